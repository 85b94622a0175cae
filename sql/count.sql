-- count(*) from result_info.total_size (issue 18): a count whose conditions
-- the API answers exactly (the organization of the path, an enum value, an
-- id) is one request with page_size=1 per list, summed, or one row per
-- organization with GROUP BY organization_id; anything the FDW would have to
-- recheck keeps the scan.  Counts are compared with the emulator's own data.
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

-- per organization: the organizations list, then one request of one item
-- per organization; an organization without members has no group
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT organization_id, count(*) FROM organization_members
   GROUP BY organization_id ORDER BY organization_id;
\! python3 emulator/ctl.py clear
SELECT organization_id, count(*) FROM organization_members
 GROUP BY organization_id ORDER BY organization_id;
\! python3 emulator/ctl.py log | grep -c '^GET /organizations?page_size=1000$'
\! python3 emulator/ctl.py log | grep -c '^GET /organizations/[a-z0-9]*/members?page_size=1$'
\! python3 emulator/ctl.py log | wc -l
\! python3 emulator/ctl.py dump members --jsonl | python3 -c "import sys, json, collections; c = collections.Counter(json.loads(l)['organization_id'] for l in sys.stdin); [print(k, v) for k, v in sorted(c.items())]"
\! python3 emulator/ctl.py dump organizations --jsonl | wc -l
-- an enum value is exact: pending members per organization, and in all
\! python3 emulator/ctl.py clear
SELECT count(*), organization_id FROM organization_members
 WHERE status = 'pending' GROUP BY organization_id ORDER BY organization_id;
\! python3 emulator/ctl.py log | grep -c '^GET /organizations/[a-z0-9]*/members?status=pending&page_size=1$'
\! python3 emulator/ctl.py dump members --jsonl | python3 -c "import sys, json, collections; c = collections.Counter(m['organization_id'] for m in map(json.loads, sys.stdin) if m['status'] == 'pending'); [print(v, k) for k, v in sorted(c.items())]"
SELECT count(*) FROM organization_members WHERE status IN ('pending', 'rejected');
\! python3 emulator/ctl.py dump members --jsonl | grep -c '"status":"\(pending\|rejected\)"'
-- named organizations (one of them unknown: 404, no row, no error)
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM organization_members
   WHERE organization_id IN ('83swwm38cort1r31ioqntjqrdp4v52wl',
                             '9vgaxgt8qhdt5o3a63p067ur9e481bu1',
                             'nosuchorganization00000000000000')
     AND status = 'active';
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_members
 WHERE organization_id IN ('83swwm38cort1r31ioqntjqrdp4v52wl',
                           '9vgaxgt8qhdt5o3a63p067ur9e481bu1',
                           'nosuchorganization00000000000000')
   AND status = 'active';
\! python3 emulator/ctl.py log | sort
\! python3 emulator/ctl.py dump members --jsonl | grep '"status":"active"' | grep -c '"organization_id":"\(83swwm38cort1r31ioqntjqrdp4v52wl\|9vgaxgt8qhdt5o3a63p067ur9e481bu1\)"'
SELECT organization_id, count(*) FROM organization_members
 WHERE organization_id IN ('83swwm38cort1r31ioqntjqrdp4v52wl',
                           'nosuchorganization00000000000000')
 GROUP BY organization_id;
-- a value outside the API's enum matches no row: no request at all
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_members WHERE status = 'Active';
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM organization_members WHERE organization_id = '..';
SELECT count(*) FROM organization_members WHERE organization_id = '..';
\! python3 emulator/ctl.py log | wc -l
-- the organization tree: roots, and the children of one
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE parent_id IS NULL;
SELECT count(*) FROM organizations WHERE parent_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump organizations --jsonl | grep -vc '"parent":'
\! python3 emulator/ctl.py dump organizations --jsonl | grep -c '"parent":{"id":"83swwm38cort1r31ioqntjqrdp4v52wl"'
-- a filter-only column is the API's answer: the count agrees with the scan
SELECT count(*) AS counted,
       (SELECT count(id) FROM organizations
         WHERE containing_organization = '8ih0z5pf164xl3q48c2wuvqmuupnfxg2') AS scanned
  FROM organizations WHERE containing_organization = '8ih0z5pf164xl3q48c2wuvqmuupnfxg2';

-- these keep the scan: a condition the FDW rechecks (a pattern, a name or
-- an email the API may match otherwise), one column filtered twice (the API
-- would read the two values as either), GROUP BY another column, HAVING,
-- DISTINCT, FILTER, another aggregate, a parameter of a generic plan
EXPLAIN (COSTS OFF) SELECT count(*) FROM organizations WHERE name LIKE 'Acme%';
EXPLAIN (COSTS OFF) SELECT count(*) FROM organizations WHERE name = 'Acme Corporation';
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM organization_members WHERE user_email = 'alice@acme.example';
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM organization_members
   WHERE status IN ('active', 'pending') AND status = 'pending';
EXPLAIN (COSTS OFF) SELECT count(*) FROM organizations GROUP BY parent_id;
EXPLAIN (COSTS OFF)
  SELECT organization_id FROM organization_members
   GROUP BY organization_id HAVING count(*) > 3;
EXPLAIN (COSTS OFF) SELECT count(*) FILTER (WHERE name LIKE 'A%') FROM organizations;
EXPLAIN (COSTS OFF) SELECT count(id) FROM organizations;
EXPLAIN (COSTS OFF)
  SELECT organization_id, count(*), max(create_time) FROM organization_members
   GROUP BY organization_id;
SET plan_cache_mode = force_generic_plan;
PREPARE members_of(text) AS
  SELECT count(*) FROM organization_members WHERE organization_id = $1;
EXPLAIN (COSTS OFF) EXECUTE members_of('83swwm38cort1r31ioqntjqrdp4v52wl');
EXECUTE members_of('83swwm38cort1r31ioqntjqrdp4v52wl');
RESET plan_cache_mode;
DEALLOCATE members_of;
SELECT count(*) FROM organizations WHERE name LIKE 'Acme%';
\! python3 emulator/ctl.py dump organizations --jsonl | grep -c '"name":"Acme'
SELECT count(*) FROM organization_members
 WHERE status IN ('active', 'pending') AND status = 'pending';
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
