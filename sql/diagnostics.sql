-- Diagnostics in SQL: the version, cloudflare_fdw_check(), the request
-- counters of cloudflare_fdw_stats(), and the rate budget shared by every
-- backend (the test bed preloads the library, so its mode is "shared").
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
-- the same emulator under another name: another rate budget
SELECT replace(:'cf_api_url', '127.0.0.1', 'localhost') AS cf_api_url_lh \gset

-- one version: the control file's default_version, which the Makefile
-- passes to the library; META.json carries it as PGXN's x.y.z
\set meta_version `python3 -c "import json; print(json.load(open('META.json'))['version'])"`
\set meta_provides `python3 -c "import json; print(json.load(open('META.json'))['provides']['cloudflare_fdw']['version'])"`
SELECT cloudflare_fdw_version() = default_version AS library_is_control_version,
       regexp_replace(default_version, '^(\d+)\.(\d+)$', '\1.\2.0') = :'meta_version'
         AS meta_json_version,
       :'meta_version' = :'meta_provides' AS meta_json_provides
  FROM pg_available_extensions WHERE name = 'cloudflare_fdw';

CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', max_retries '0');
CREATE FOREIGN TABLE orgs (id text, name text) SERVER cf OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE ms (id text, status text) SERVER cf OPTIONS (resource 'memberships');

-- every part of an error, with the emulator's cf-ray and numbers of seconds masked
CREATE FUNCTION show_error(q text) RETURNS TABLE (part text, value text)
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  EXECUTE q;
  RETURN QUERY SELECT 'result', 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN QUERY VALUES ('sqlstate', st), ('message', msg),
    ('detail', regexp_replace(regexp_replace(det, 'cf-ray: [0-9a-f]+-[A-Z]+', 'cf-ray: <ray>', 'g'),
                              '\d+ s more', 'N s more')),
    ('hint', hnt);
END $$;

-- cloudflare_fdw_check(): the check of a server without a user mapping
-- sends nothing and says what to do
\! python3 emulator/ctl.py clear
SELECT resource, reachable, http_status, request, diagnosis FROM cloudflare_fdw_check('cf');
-- nor does a mapping without credentials
CREATE USER MAPPING FOR CURRENT_USER SERVER cf;
SELECT resource, reachable, diagnosis FROM cloudflare_fdw_check('cf');
\! python3 emulator/ctl.py log

-- good credentials: one cheap request per resource, the resources under an
-- organization on the first organization
-- (the audit logs and the usage are asked for today's window, in UTC)
ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (ADD api_token 'test-token');
SELECT resource, reachable, http_status,
       replace(replace(request, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '<today>'),
               to_char(now() AT TIME ZONE 'UTC' + interval '1 day', 'YYYY-MM-DD'), '<tomorrow>') AS request,
       diagnosis, detail FROM cloudflare_fdw_check('cf');
\! python3 emulator/ctl.py log | sed "s/$(date -u +%F)/<today>/g; s/$(date -u -d tomorrow +%F)/<tomorrow>/g"

-- a wrong token: 403 and code 10000, which also means a missing permission
-- or no Organizations beta; no row, message or log line shows the token,
-- and the transaction goes on
ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (SET api_token 'SENTINEL-DO-NOT-PRINT');
BEGIN;
CREATE TABLE check_results AS SELECT * FROM cloudflare_fdw_check('cf');
SELECT resource, reachable, http_status, diagnosis,
       regexp_replace(detail, 'cf-ray: [0-9a-f]+-[A-Z]+', 'cf-ray: <ray>') AS detail
  FROM check_results;
SELECT count(*) AS rows_showing_the_token FROM check_results
 WHERE concat(request, diagnosis, detail) LIKE '%SENTINEL%';
COMMIT;
SELECT count(*) AS rows_kept FROM check_results;
DROP TABLE check_results;
\! python3 emulator/ctl.py log | grep -c SENTINEL
\! grep -c 'SENTINEL-DO-NOT-PRINT' "$CF_PG_LOG"
ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (SET api_token 'test-token');

-- an account without the Organizations beta: every /organizations call is
-- 403 Forbidden, /memberships works
\! python3 emulator/ctl.py fault '{"path":"^/organizations","status":403,"count":-1}' >/dev/null
SELECT resource, reachable, http_status, diagnosis FROM cloudflare_fdw_check('cf');
\! python3 emulator/ctl.py faults-clear >/dev/null

-- a missing profile is an answer, not a failure; a 401, a 429 asking for a
-- long wait and a 503 are diagnosed
\! python3 emulator/ctl.py fault '{"path":"/profile$","status":404}' >/dev/null
\! python3 emulator/ctl.py fault '{"path":"/accounts$","status":503}' >/dev/null
\! python3 emulator/ctl.py fault '{"path":"/members$","status":429,"retry_after":"300"}' >/dev/null
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","status":401}' >/dev/null
SELECT resource, reachable, http_status, diagnosis FROM cloudflare_fdw_check('cf');
\! python3 emulator/ctl.py faults-clear >/dev/null

-- an API that cannot be reached
CREATE SERVER cf_down FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url 'http://127.0.0.1:9/client/v4', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_down OPTIONS (api_token 'test-token');
SELECT resource, reachable, http_status, diagnosis FROM cloudflare_fdw_check('cf_down');

-- a cancel is not turned into a row: statement_timeout still works
\! python3 emulator/ctl.py config '{"latency_ms":3000}' >/dev/null
SET statement_timeout = '300ms';
SELECT resource FROM cloudflare_fdw_check('cf');
RESET statement_timeout;
\! python3 emulator/ctl.py config '{"latency_ms":0}' >/dev/null

-- only servers of this wrapper, and only with USAGE on them
SELECT * FROM cloudflare_fdw_check('no_such_server');
CREATE FOREIGN DATA WRAPPER other_fdw;
CREATE SERVER other FOREIGN DATA WRAPPER other_fdw;
SELECT * FROM cloudflare_fdw_check('other');
SELECT * FROM cloudflare_fdw_rate_budget('other');
DROP SERVER other;
DROP FOREIGN DATA WRAPPER other_fdw;
CREATE ROLE cf_diag_user;
SET ROLE cf_diag_user;
SELECT * FROM cloudflare_fdw_check('cf');
SELECT * FROM cloudflare_fdw_rate_budget('cf');
-- like pg_stat_reset(), the reset is only for whom it is granted to
SELECT cloudflare_fdw_stats_reset();
RESET ROLE;
DROP ROLE cf_diag_user;

-- cloudflare_fdw_stats(): what this backend sent, and what every backend
-- sent (the same here), per server
SELECT cloudflare_fdw_stats_reset();
SELECT count(*) FROM cloudflare_fdw_stats();
\! python3 emulator/ctl.py clear
SELECT count(*) FROM orgs;
SELECT count(*) FROM ms;
-- a 429 that asks for no wait is retried, and counted
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","status":429,"retry_after":"0"}' >/dev/null
ALTER SERVER cf OPTIONS (SET max_retries '1');
SELECT count(*) FROM ms;
ALTER SERVER cf OPTIONS (SET max_retries '0');
\! python3 emulator/ctl.py log
SELECT scope, server, requests, retries, rate_limited, pages, rows, bytes > 0 AS bytes,
       api_wait_ms > 0 AS api_wait, budget_wait_ms
  FROM cloudflare_fdw_stats() ORDER BY scope, server;
SELECT cloudflare_fdw_stats_reset();
SELECT count(*) FROM cloudflare_fdw_stats();

-- cloudflare_fdw_rate_budget(): no budget by default but against
-- Cloudflare's own API, where it is Cloudflare's: 1200 requests per 300 s
SELECT * FROM cloudflare_fdw_rate_budget('cf');
CREATE SERVER cf_real FOREIGN DATA WRAPPER cloudflare_fdw;
SELECT * FROM cloudflare_fdw_rate_budget('cf_real');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_real OPTIONS (api_token 'never-sent');
SELECT mode, available FROM cloudflare_fdw_rate_budget('cf_real');
DROP SERVER cf_real CASCADE;

-- the options: a budget of 0 is none; only on the server
ALTER SERVER cf OPTIONS (ADD rate_limit_requests '-1');
ALTER SERVER cf OPTIONS (ADD rate_limit_requests 'many');
ALTER SERVER cf OPTIONS (ADD rate_limit_window '0');
CREATE FOREIGN TABLE bad (id text) SERVER cf OPTIONS (resource 'memberships', rate_limit_requests '5');
ALTER SERVER cf OPTIONS (ADD rate_limit_requests '0');
SELECT mode, requests FROM cloudflare_fdw_rate_budget('cf');
ALTER SERVER cf OPTIONS (DROP rate_limit_requests);

-- the switch for the whole cluster is a postgresql.conf setting
SHOW cloudflare_fdw.rate_limit;
SET cloudflare_fdw.rate_limit = off;
SET cloudflare_fdw.no_such_setting = 1;

-- a budget of 4 requests per 2 s: a burst of 1, then one request every
-- 2/3 s, so four scans take at least 2 s (here: more than 1.5 s), and the
-- counters show the wait
CREATE SERVER cf_paced FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url_lh', rate_limit_requests '4', rate_limit_window '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_paced OPTIONS (api_token 'test-token');
CREATE FOREIGN TABLE ms_paced (id text) SERVER cf_paced OPTIONS (resource 'memberships');
SELECT mode, requests, window_s, burst FROM cloudflare_fdw_rate_budget('cf_paced');
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM ms_paced;
SELECT count(*) FROM ms_paced;
SELECT count(*) FROM ms_paced;
SELECT count(*) FROM ms_paced;
SELECT clock_timestamp() - :'t0' > interval '1.5 s' AS paced,
       available < 1 AS spent
  FROM cloudflare_fdw_rate_budget('cf_paced');
SELECT requests, budget_wait_ms > 1000 AS waited
  FROM cloudflare_fdw_stats() WHERE scope = 'shared' AND server = 'cf_paced';
-- EXPLAIN ANALYZE shows the part of one scan's wait the budget held it
-- back (spent above, so about 2/3 s), and nothing for a server without one
CREATE FUNCTION budget_wait_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO j;
  RETURN coalesce((j->0->'Plan'->'Plans'->0->>'Cloudflare Rate Budget Wait')::float8, 0);
END $$;
SELECT budget_wait_ms('SELECT count(*) FROM ms_paced') > 100 AS held,
       budget_wait_ms('SELECT count(*) FROM ms') = 0 AS not_held;

-- the API's Ratelimit header says when nothing remains ("r=0;t=2"): the
-- budget waits for the API's window to end instead of running into a 429
-- (the server does not retry, so a 429 would be an ERROR)
\! python3 emulator/ctl.py config '{"rate_limit":{"requests":3,"window_s":2},"ratelimit_headers":true}' >/dev/null
CREATE SERVER cf_headers FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', rate_limit_requests '1000', rate_limit_window '10',
           max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_headers OPTIONS (api_token 'test-token');
CREATE FOREIGN TABLE ms_headers (id text) SERVER cf_headers OPTIONS (resource 'memberships');
SELECT count(*) FROM ms_headers;
SELECT count(*) FROM ms_headers;
SELECT count(*) FROM ms_headers;
SELECT blocked_until > now() AS blocked FROM cloudflare_fdw_rate_budget('cf_headers');
SELECT count(*) FROM ms_headers;
SELECT requests, rate_limited, budget_wait_ms > 500 AS waited
  FROM cloudflare_fdw_stats() WHERE scope = 'backend' AND server = 'cf_headers';
\! python3 emulator/ctl.py config '{"rate_limit":null,"ratelimit_headers":false}' >/dev/null

-- a 429 blocks the credentials' budget until its Retry-After, for every
-- backend: a wait longer than max_retry_wait fails at once without a
-- request; a shorter one waits, and that wait can be cancelled
CREATE SERVER cf_blocked FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url_lh', rate_limit_requests '100', rate_limit_window '10',
           max_retries '0', max_retry_wait '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_blocked
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE FOREIGN TABLE ms_blocked (id text) SERVER cf_blocked OPTIONS (resource 'memberships');
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","status":429,"retry_after":"3"}' >/dev/null
\! python3 emulator/ctl.py clear
SELECT * FROM show_error('SELECT count(*) FROM ms_blocked');
SELECT blocked_until > now() AS blocked FROM cloudflare_fdw_rate_budget('cf_blocked');
SELECT * FROM show_error('SELECT count(*) FROM ms_blocked');
\! python3 emulator/ctl.py log
ALTER SERVER cf_blocked OPTIONS (SET max_retry_wait '60');
SET statement_timeout = '300ms';
SELECT count(*) FROM ms_blocked;
RESET statement_timeout;
-- once the block is over, requests go again
SELECT pg_sleep(greatest(0, extract(epoch FROM blocked_until - clock_timestamp())::float8))
  FROM cloudflare_fdw_rate_budget('cf_blocked');
SELECT count(*) FROM ms_blocked;
\! python3 emulator/ctl.py log

DROP SERVER cf_paced, cf_headers, cf_blocked, cf_down CASCADE;
DROP SERVER cf CASCADE;
DROP FUNCTION show_error(text);
