-- count(*) from result_info.total_size (issue 18, part): a count with no
-- condition, or only the organization of the path, is one request with
-- page_size=1; anything the FDW would have to recheck keeps the scan.
-- Counts are compared with the emulator's own data.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_count FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_count
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_count;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_count INTO cf_count;
SET search_path = cf_count, public;

EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM organizations;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT count(*) FROM organization_members
   WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';

-- one request each; the counts are the emulator's
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump organizations --jsonl | wc -l
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump members --jsonl | grep -c '"organization_id":"83swwm38cort1r31ioqntjqrdp4v52wl"'
-- an organization that does not exist counts 0 (its scan has no row)
SELECT count(*) FROM organization_accounts
 WHERE organization_id = 'nosuchorganization00000000000000';

-- these keep the scan: a condition the FDW rechecks, GROUP BY, DISTINCT,
-- FILTER, a fan-out, a value that names no organization, another aggregate
EXPLAIN (COSTS OFF) SELECT count(*) FROM organizations WHERE name LIKE 'Acme%';
EXPLAIN (COSTS OFF) SELECT count(*) FROM organizations GROUP BY parent_id;
EXPLAIN (COSTS OFF) SELECT count(*) FILTER (WHERE name LIKE 'A%') FROM organizations;
EXPLAIN (COSTS OFF) SELECT count(*) FROM organization_members;
EXPLAIN (COSTS OFF) SELECT count(*) FROM organization_members WHERE organization_id = '..';
EXPLAIN (COSTS OFF) SELECT count(id) FROM organizations;
SELECT count(*) FROM organizations WHERE name LIKE 'Acme%';
-- count(DISTINCT ...) reads every page (PostgreSQL 16 and later sort first,
-- so the request log shows it rather than the plan)
\! python3 emulator/ctl.py clear
SELECT count(DISTINCT name) FROM organizations;
\! python3 emulator/ctl.py log

-- EXPLAIN ANALYZE counts the request
CREATE FUNCTION pg_temp.explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END $$;
SELECT * FROM pg_temp.explain_analyze('SELECT count(*) FROM organizations');
-- a page without total_size is an error, not a guess
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[],\"result_info\":{}}"}'
\set VERBOSITY terse
SELECT count(*) FROM organizations;
\set VERBOSITY default
\! python3 emulator/ctl.py faults-clear

-- clean up
\! python3 emulator/ctl.py reset
DROP SERVER cf_count CASCADE;
DROP SCHEMA cf_count;
