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

-- clean up
SELECT cloudflare_fdw_cache_clear() >= 0 AS emptied;
\! python3 emulator/ctl.py reset
DROP USER MAPPING FOR cf_cache_other SERVER cf_cache;
REVOKE ALL ON SCHEMA cf_cache FROM cf_cache_other;
DROP SERVER cf_cache CASCADE;
DROP SCHEMA cf_cache;
DROP ROLE cf_cache_other;
