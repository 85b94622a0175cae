-- The response cache (cache_ttl, issue 18 part): a repeated scan within the
-- TTL sends nothing, from this backend or another; another credential's
-- scan is never answered from it; a write empties its server's pages;
-- cloudflare_fdw_cache_clear() empties it; an expired page is fetched
-- again; errors are never kept; it holds at most cloudflare_fdw.cache_size
-- (2MB on the test bed).  What was sent is read from the emulator's log,
-- the rows compared with the emulator's own data.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_cache FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', cache_ttl '300', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_cache
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_cache;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_cache INTO cf_cache;
SET search_path = cf_cache, public;
SELECT cloudflare_fdw_cache_clear() >= 0 AS emptied;
SELECT mode, size_bytes BETWEEN 1900000 AND 2097152 AS about_2mb, entries
  FROM cloudflare_fdw_cache_info();
SELECT cloudflare_fdw_stats_reset();

-- the first scan sends its request, the second is answered by the cache
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log
-- (EXPLAIN ANALYZE without what differs between PostgreSQL majors)
CREATE FUNCTION pg_temp.explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END $$;
SELECT * FROM pg_temp.explain_analyze('SELECT count(*) FROM organizations');
SELECT * FROM pg_temp.explain_analyze('SELECT name FROM organizations WHERE parent_id IS NULL');
SELECT * FROM pg_temp.explain_analyze('SELECT name FROM organizations WHERE parent_id IS NULL');
-- the cached rows are the emulator's
\! python3 emulator/ctl.py dump organizations --jsonl | wc -l
SELECT cache_hits, cache_misses, requests
  FROM cloudflare_fdw_stats() WHERE scope = 'backend' AND server = 'cf_cache';

-- another backend of the cluster reads the same pages
\c -
SET search_path = cf_cache, public;
\! python3 emulator/ctl.py clear
SELECT count(*), min(name) FROM organizations;
\! python3 emulator/ctl.py log

-- another credential never gets them
CREATE ROLE cf_cache_other;
GRANT USAGE ON SCHEMA cf_cache TO cf_cache_other;
GRANT SELECT ON organizations TO cf_cache_other;
GRANT USAGE ON FOREIGN SERVER cf_cache TO cf_cache_other;
CREATE USER MAPPING FOR cf_cache_other SERVER cf_cache OPTIONS (api_token 'test-token');
SET ROLE cf_cache_other;
SELECT count(*) FROM organizations;
RESET ROLE;
\! python3 emulator/ctl.py log

-- a write empties the server's pages: the next scan sees the new row
INSERT INTO organizations (name) VALUES ('Cache Buster Ltd');
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE name = 'Cache Buster Ltd';
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log
DELETE FROM organizations WHERE name = 'Cache Buster Ltd';

-- cloudflare_fdw_cache_clear(server) empties one server's pages
SELECT count(*) FROM organizations;
SELECT cloudflare_fdw_cache_clear('cf_cache') > 0 AS cleared;
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log

-- a page older than the table's cache_ttl is fetched again
ALTER FOREIGN TABLE organizations OPTIONS (ADD cache_ttl '1');
SELECT pg_sleep(1.2);
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations;
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py log
ALTER FOREIGN TABLE organizations OPTIONS (DROP cache_ttl);

-- an error is never kept: the request after it is sent again
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","status":503}'
\set VERBOSITY terse
SELECT count(*) FROM memberships;
\set VERBOSITY default
\! python3 emulator/ctl.py clear
SELECT count(*) FROM memberships;
\! python3 emulator/ctl.py log

-- bounded: 300 different pages (at least 8 kB each) overflow 2MB; the
-- oldest are evicted, the newest are still there
SELECT cloudflare_fdw_cache_clear() >= 0 AS emptied;
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    PERFORM count(*) FROM organizations WHERE name = 'nobody ' || i;
  END LOOP;
END $$;
SELECT used_bytes <= size_bytes AS within_size, entries < 300 AS some_evicted,
       evictions > 0 AS evicted
  FROM cloudflare_fdw_cache_info();
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE name = 'nobody 1';
SELECT count(*) FROM organizations WHERE name = 'nobody 300';
\! python3 emulator/ctl.py log

-- One statement's pages (cache_ttl 0 here): two scans of one statement
-- that send the same request share its answer (a scan of organizations and
-- the organizations list of a fan-out too); another credential's scan in
-- the same statement sends its own; a write makes the statement's later
-- reads ask again; request_cache_bytes 0 turns the sharing off.
CREATE SERVER cf_stmt FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_stmt
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE USER MAPPING FOR cf_cache_other SERVER cf_stmt OPTIONS (api_token 'test-token');
CREATE SCHEMA cf_stmt;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_stmt INTO cf_stmt;
SET search_path = cf_stmt, public;
\! python3 emulator/ctl.py dump organizations --jsonl | wc -l
\! python3 emulator/ctl.py clear
SELECT (SELECT count(name) FROM organizations) AS a,
       (SELECT count(id) FROM organizations) AS b;
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump members --jsonl | wc -l
\! python3 emulator/ctl.py clear
SELECT count(DISTINCT o.id) AS organizations, count(m.id) AS members
  FROM organizations o JOIN organization_members m ON m.organization_id = o.id;
-- the organizations list once, then one request per organization
\! python3 emulator/ctl.py log | grep -c '^GET /organizations?'
\! python3 emulator/ctl.py log | grep -c '^GET /organizations/[a-z0-9]*/members?page_size=1000$'
-- a view owned by another role reads with that role's user mapping
GRANT USAGE ON SCHEMA cf_stmt TO cf_cache_other;
GRANT USAGE ON FOREIGN SERVER cf_stmt TO cf_cache_other;
GRANT SELECT ON organizations TO cf_cache_other;
CREATE VIEW other_organizations AS SELECT name FROM organizations;
ALTER VIEW other_organizations OWNER TO cf_cache_other;
\! python3 emulator/ctl.py clear
SELECT (SELECT count(name) FROM organizations) AS mine,
       (SELECT count(name) FROM other_organizations) AS theirs;
\! python3 emulator/ctl.py log
-- a write in the statement: the read after it is sent again, and sees it
\! python3 emulator/ctl.py clear
WITH before AS MATERIALIZED (SELECT count(name) AS n FROM organizations),
     ins AS (INSERT INTO organizations (name)
             SELECT 'statement pages ' || n FROM before RETURNING id)
SELECT (SELECT n FROM before) AS before, (SELECT count(*) FROM ins) AS inserted,
       (SELECT count(name) FROM organizations) AS after;
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump organizations --jsonl | wc -l
-- off
ALTER SERVER cf_stmt OPTIONS (ADD request_cache_bytes '0');
\! python3 emulator/ctl.py clear
SELECT (SELECT count(name) FROM organizations) AS a,
       (SELECT count(id) FROM organizations) AS b;
\! python3 emulator/ctl.py log
DROP VIEW other_organizations;
REVOKE ALL ON organizations FROM cf_cache_other;
REVOKE ALL ON SCHEMA cf_stmt FROM cf_cache_other;
REVOKE ALL ON FOREIGN SERVER cf_stmt FROM cf_cache_other;
DROP USER MAPPING FOR cf_cache_other SERVER cf_stmt;
DROP SERVER cf_stmt CASCADE;
DROP SCHEMA cf_stmt;
SET search_path = cf_cache, public;

-- clean up
SELECT cloudflare_fdw_cache_clear() >= 0 AS emptied;
\! python3 emulator/ctl.py reset
DROP USER MAPPING FOR cf_cache_other SERVER cf_cache;
REVOKE ALL ON SCHEMA cf_cache FROM cf_cache_other;
DROP SERVER cf_cache CASCADE;
DROP SCHEMA cf_cache;
DROP ROLE cf_cache_other;
