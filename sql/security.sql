-- Secrets stay secret: the token appears in no plan, no message at any
-- level, no server log line and no request log; plain http and other hosts
-- are superuser-only (see options.sql); values cannot inject requests
-- (see pushdown.sql).
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'SENTINEL-DO-NOT-PRINT');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

-- every message of this session, down to DEBUG5, into the server log
SET log_min_messages = debug5;
SET log_error_verbosity = verbose;
-- the plan (fdw_private included) and EXPLAIN
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM organization_members WHERE status = 'active';
SET debug_print_plan = on;
SELECT count(*) FROM organizations WHERE name = 'Initech';
RESET debug_print_plan;
-- a failing request, its error and its retries
SELECT count(*) FROM memberships;
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":503}'
SELECT count(*) FROM organizations;
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"{\"success\":false,\"errors\":[{\"code\":1,\"message\":\"echo: Authorization: Bearer SENTINEL-DO-NOT-PRINT\"}],\"messages\":[]}","status":400}'
SELECT count(*) FROM organizations;
RESET log_min_messages;
RESET log_error_verbosity;

-- none of it reached the server log or the emulator's request log
\! grep -c 'SENTINEL-DO-NOT-PRINT' "$CF_PG_LOG"
\! python3 emulator/ctl.py log | grep -c 'SENTINEL'
\! python3 emulator/ctl.py log | wc -l

-- clean up
DROP SERVER cf CASCADE;
