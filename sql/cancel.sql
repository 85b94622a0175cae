-- Cancel, statement_timeout and pg_terminate_backend take effect at once,
-- during a slow response, a backoff wait and a fan-out; the session goes on.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

-- runs q, expects it to be cancelled, and says whether that took < 2 s
CREATE FUNCTION cancelled_in_time(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); st text; msg text;
BEGIN
  EXECUTE q;
  RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  RETURN format('%s %s, within 2 s: %s', st, msg, clock_timestamp() - t0 < interval '2 s');
END $$;

-- a response that takes 20 s
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","delay_ms":20000}'
SET statement_timeout = '300ms';
SELECT cancelled_in_time('SELECT count(*) FROM organizations');
RESET statement_timeout;
\! python3 emulator/ctl.py faults-clear

-- a backoff wait of 30 s asked for by Retry-After
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","status":429,"retry_after":"30"}'
SET statement_timeout = '300ms';
SELECT cancelled_in_time('SELECT count(*) FROM organizations');
RESET statement_timeout;
\! python3 emulator/ctl.py faults-clear

-- a fan-out whose requests all hang
\! python3 emulator/ctl.py fault '{"path":"/members$","delay_ms":20000,"count":-1}'
SET statement_timeout = '500ms';
SELECT cancelled_in_time('SELECT count(*) FROM organization_members');
RESET statement_timeout;
\! python3 emulator/ctl.py faults-clear

-- a cancel from another session (pg_cancel_backend) during a slow response
\! python3 emulator/ctl.py fault '{"path":"^/memberships$","delay_ms":20000}'
\! (for i in $(seq 100); do sleep 0.2; n=$(psql -X -q -At -c "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid)) FROM (SELECT pid FROM pg_stat_activity WHERE query LIKE '%cf_cancel_me%' AND state = 'active' AND wait_event_type = 'Extension' OFFSET 0) s"); [ "$n" = 1 ] && break; done) >/dev/null 2>&1 &
SELECT cancelled_in_time('SELECT count(*) /* cf_cancel_me */ FROM memberships');
\! python3 emulator/ctl.py faults-clear

-- the same session still works, on the same connection cache
SELECT count(*) FROM organizations;
SELECT count(*) FROM organization_members;

-- (pg_terminate_backend is tested by test/runners.d/20-terminate: it ends
-- the session, which pg_regress cannot follow)
DROP FUNCTION cancelled_in_time;
DROP SERVER cf CASCADE;
