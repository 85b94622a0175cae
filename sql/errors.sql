-- API errors become ERRORs with a fitting SQLSTATE, the Cloudflare codes in
-- DETAIL and never a secret; credentials, their rotation and PUBLIC mappings.
-- Expected output: errors.out (PostgreSQL 15) and errors_1.out (later majors,
-- where PostgreSQL's own "user mapping not found" error names the server).
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', max_retries '0');
CREATE FOREIGN TABLE orgs (id text, name text) SERVER cf OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE ms (id text, status text) SERVER cf OPTIONS (resource 'memberships');

-- every part of an error, with the emulator's cf-ray masked
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
    ('detail', regexp_replace(det, 'cf-ray: [0-9a-f]+-[A-Z]+', 'cf-ray: <ray>', 'g')),
    ('hint', hnt);
END $$;

-- no user mapping, and a mapping without credentials
SELECT * FROM show_error('SELECT * FROM orgs');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf;
SELECT * FROM show_error('SELECT * FROM orgs');

-- a wrong token: 403 with code 10000; the token never appears
ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (ADD api_token 'SENTINEL-DO-NOT-PRINT');
\! python3 emulator/ctl.py clear
SELECT * FROM show_error('SELECT * FROM orgs');
SELECT * FROM show_error('SELECT * FROM ms');
-- token rotation takes effect in this open session
ALTER USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (SET api_token 'test-token');
SELECT count(*) FROM orgs;
ALTER USER MAPPING FOR CURRENT_USER SERVER cf
  OPTIONS (DROP api_token, ADD api_email 'user@example.com', ADD api_key 'wrong-key');
SELECT * FROM show_error('SELECT * FROM orgs');
ALTER USER MAPPING FOR CURRENT_USER SERVER cf
  OPTIONS (SET api_key '144c9defac04969c7bfad8efaa8ea194');
SELECT count(*) FROM orgs;
-- so does a server change
ALTER SERVER cf OPTIONS (SET api_url 'http://127.0.0.1:9/client/v4');
SELECT sqlstate_and_message FROM (
  SELECT string_agg(value, ': ' ORDER BY part DESC) AS sqlstate_and_message
    FROM show_error('SELECT * FROM orgs') WHERE part IN ('sqlstate', 'message')) s;
ALTER SERVER cf OPTIONS (SET api_url :'cf_api_url');
SELECT count(*) FROM orgs;
\! python3 emulator/ctl.py log | grep -c SENTINEL

-- a mapping for PUBLIC serves every role without one of its own
DROP USER MAPPING FOR CURRENT_USER SERVER cf;
CREATE USER MAPPING FOR PUBLIC SERVER cf OPTIONS (api_token 'test-token');
SELECT count(*) FROM orgs;
DROP USER MAPPING FOR PUBLIC SERVER cf;
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');

-- a non-superuser needs credentials of its own
CREATE ROLE cf_err_user;
GRANT USAGE ON FOREIGN SERVER cf TO cf_err_user;
GRANT SELECT ON orgs TO cf_err_user;
CREATE USER MAPPING FOR cf_err_user SERVER cf;
SET ROLE cf_err_user;
SELECT * FROM show_error('SELECT * FROM orgs');
RESET ROLE;
DROP USER MAPPING FOR cf_err_user SERVER cf;
CREATE USER MAPPING FOR cf_err_user SERVER cf OPTIONS (api_token 'test-token');
SET ROLE cf_err_user;
SELECT count(*) FROM orgs;
RESET ROLE;

-- Cloudflare's envelopes: 400, 422, 404 on a list, 409, 500, 429
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":400,"body":"{\"success\":false,\"errors\":[{\"code\":1002,\"message\":\"invalid page_size\"},{\"code\":1003,\"message\":\"second problem\",\"error_chain\":[{\"code\":6103,\"message\":\"chained\"}]}],\"messages\":[]}"}'
SELECT * FROM show_error('SELECT * FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":422,"body":"{\"success\":false,\"errors\":[{\"code\":1004,\"message\":\"unprocessable\"}],\"messages\":[]}"}'
SELECT * FROM show_error('SELECT * FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":404}'
SELECT * FROM show_error('SELECT * FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","status":403}'
SELECT * FROM show_error('SELECT * FROM ms');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":500}'
SELECT * FROM show_error('SELECT * FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"retry_after":"300"}'
SELECT * FROM show_error('SELECT * FROM orgs');
-- a 404 on a lookup by id is no row, not an error
SELECT count(*) FROM orgs WHERE id = 'missing';
-- and the same session still works
SELECT count(*) FROM orgs;

-- clean up
DROP FUNCTION show_error;
DROP SERVER cf CASCADE;
DROP ROLE cf_err_user;
