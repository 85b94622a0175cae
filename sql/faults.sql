-- The fault matrix: each bad answer the network can give, and the exact
-- outcome (rows, or an ERROR with its SQLSTATE); the backend survives all.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', max_retries '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
CREATE FOREIGN TABLE orgs (id text, name text, create_time timestamptz)
  SERVER cf OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE small_pages (id text) SERVER cf OPTIONS (resource 'organizations', page_size '5');
CREATE TABLE matrix (fault text, outcome text);

-- runs q after a fault rule was set; records what happened
CREATE FUNCTION try_fault(fault text, q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text; n bigint; outcome text;
BEGIN
  BEGIN
    EXECUTE q INTO n;
    outcome := 'rows: ' || n;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    outcome := st || ' ' || msg;
    IF concat(msg, det, hnt) LIKE '%test-token%' THEN
      outcome := outcome || ' (LEAKED THE TOKEN)';
    END IF;
  END;
  INSERT INTO matrix VALUES (fault, outcome);
  RETURN outcome;
END $$;

-- rate limits: a short Retry-After is waited out, a long one fails at once
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"retry_after":"1"}'
SELECT try_fault('429 Retry-After 1 s', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"retry_after_ms":"300"}'
SELECT try_fault('429 Retry-After-Ms 300', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault "{\"path\":\"^/organizations$\",\"status\":429,\"retry_after\":\"$(python3 -c 'import email.utils,time;print(email.utils.formatdate(time.time()+1,usegmt=True))')\"}"
SELECT try_fault('429 Retry-After as a date', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"retry_after":"300"}'
SELECT try_fault('429 Retry-After 300 s', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"count":5}'
SELECT try_fault('429 without Retry-After, past max_retries', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py faults-clear

-- server errors are retried, then reported
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":500}'
SELECT try_fault('500 once', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":503,"count":3}'
SELECT try_fault('503 past max_retries', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":502,"kind":"html"}'
SELECT try_fault('HTML error page once', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":502,"kind":"html","count":3}'
SELECT try_fault('HTML error page every time', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":503,"headers":{"x-should-retry":"false"}}'
SELECT try_fault('503 with x-should-retry: false', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"drop"}'
SELECT try_fault('dropped connection once', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"drop","count":-1}'
SELECT try_fault('dropped connection every time', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","delay_ms":300}'
SELECT try_fault('slow answer', 'SELECT count(*) FROM orgs');
ALTER SERVER cf OPTIONS (ADD request_timeout_ms '200', SET max_retries '1');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","delay_ms":2000,"count":2}'
SELECT try_fault('answer slower than request_timeout_ms', 'SELECT count(*) FROM orgs');
ALTER SERVER cf OPTIONS (DROP request_timeout_ms, SET max_retries '2');
\! python3 emulator/ctl.py faults-clear

-- bodies that cannot be used
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"truncate"}'
SELECT try_fault('truncated body once', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"truncate","count":-1}'
SELECT try_fault('truncated body every time', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"malformed"}'
SELECT try_fault('malformed JSON once', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"malformed","count":-1}'
SELECT try_fault('malformed JSON every time', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"empty"}'
SELECT try_fault('empty body', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"wrong_content_type"}'
SELECT try_fault('wrong content type', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"non_utf8"}'
SELECT try_fault('invalid UTF-8', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"[1, 2, 3]"}'
SELECT try_fault('JSON that is not an envelope', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"id\":\"x\"}}"}'
SELECT try_fault('result that is not a list', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"{\"success\":false,\"errors\":[],\"messages\":[],\"result\":[]}"}'
SELECT try_fault('200 with success false', 'SELECT count(*) FROM orgs');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"huge","size":3000000}'
ALTER SERVER cf OPTIONS (ADD max_response_bytes '1000000');
SELECT try_fault('body over max_response_bytes', 'SELECT count(*) FROM orgs');
ALTER SERVER cf OPTIONS (DROP max_response_bytes);
-- wrong JSON types: a value whose JSON type is not the one the API's
-- document declares for its field is an error naming the field (the error's
-- context names the column), in a text column too
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"wrong_types"}'
SELECT try_fault('wrong JSON types, text columns', 'SELECT count(*) FROM orgs WHERE name IS NOT NULL AND id IS NOT NULL');
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"wrong_types"}'
SELECT try_fault('wrong JSON types, timestamp column', 'SELECT count(create_time) FROM orgs');
\! python3 emulator/ctl.py faults-clear

-- paging that would never end
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"stuck_token","count":-1}'
SELECT try_fault('next_page_token never changes', 'SELECT count(id) FROM small_pages');
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","kind":"repeat_page","count":-1}'
SELECT try_fault('the same page again and again', 'SELECT count(id) FROM small_pages');
\! python3 emulator/ctl.py faults-clear
ALTER FOREIGN TABLE small_pages OPTIONS (ADD max_pages '2');
SELECT try_fault('more pages than max_pages', 'SELECT count(id) FROM small_pages');

-- what happened, fault by fault; the backend is still fine
SELECT fault, outcome FROM matrix;
SELECT count(*) AS faults_tried,
       count(*) FILTER (WHERE outcome NOT LIKE '%LEAKED%') AS survived_without_leak
  FROM matrix;
SELECT count(*) FROM orgs;

-- clean up
DROP FUNCTION try_fault;
DROP TABLE matrix;
DROP SERVER cf CASCADE;
