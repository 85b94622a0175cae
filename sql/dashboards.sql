-- Dashboard tables (issue 17): organization audit logs, their history,
-- billable usage and shares.  Each pushed form is shown by EXPLAIN and by
-- the emulator's request log; results are compared with the emulator's own
-- data (its dumps), not with another run of the FDW.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_dash FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_dash OPTIONS (api_token 'test-token');
CREATE SCHEMA cf_dash;
IMPORT FOREIGN SCHEMA cloudflare
  LIMIT TO (organization_audit_logs, organization_audit_log_history,
            organization_usage, organization_shares)
  FROM SERVER cf_dash INTO cf_dash;
SET search_path = cf_dash, public;
SET timezone = 'UTC';
\d organization_audit_logs
\d organization_audit_log_history
\d organization_usage
\d organization_shares

-- The emulator's data, loaded from its control plane
CREATE TEMP TABLE emu_audit (j jsonb);
CREATE TEMP TABLE emu_usage (j jsonb);
CREATE TEMP TABLE emu_shares (j jsonb);
\copy emu_audit from program 'python3 emulator/ctl.py dump audit_logs --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_usage from program 'python3 emulator/ctl.py dump usage --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_shares from program 'python3 emulator/ctl.py dump shares --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
CREATE TEMP VIEW want_audit AS
SELECT j->'organization'->>'id' AS organization_id, j->>'id' AS id,
       (j->'action'->>'time')::timestamptz AS action_time,
       j->'action'->>'type' AS action_type, j->'action'->>'result' AS action_result,
       j->'action'->>'description' AS action_description,
       j->'actor'->>'id' AS actor_id, j->'actor'->>'email' AS actor_email,
       j->'actor'->>'type' AS actor_type, j->'actor'->>'context' AS actor_context,
       nullif(j->'actor'->>'ip_address', '')::inet AS actor_ip_address,
       j->'actor'->>'token_id' AS actor_token_id, j->'actor'->>'token_name' AS actor_token_name,
       j->'resource'->>'id' AS resource_id, j->'resource'->>'type' AS resource_type,
       j->'resource'->>'product' AS resource_product, j->'resource'->'scope' AS resource_scope,
       j->'resource'->'request' AS resource_request, j->'resource'->'response' AS resource_response,
       j->'raw'->>'method' AS raw_method, j->'raw'->>'uri' AS raw_uri,
       (j->'raw'->>'status_code')::integer AS raw_status_code,
       j->'raw'->>'cf_ray_id' AS raw_cf_ray_id, j->'raw'->>'user_agent' AS raw_user_agent
  FROM emu_audit;
SELECT count(*) AS events, count(DISTINCT organization_id) AS organizations FROM want_audit;

-- ---------------------------------------------------------------------
-- Audit logs: since and before come from the WHERE clause on action_time
-- ---------------------------------------------------------------------
-- no lower bound: an error that names action_time and shows the form to add
SELECT count(*) FROM organization_audit_logs;
SELECT count(*) FROM organization_audit_logs WHERE action_time < '2026-02-01';
SELECT count(*) FROM organization_audit_logs WHERE action_time::date = '2026-02-01';
-- each bound form, widened to whole UTC days; the recheck keeps it exact
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time BETWEEN '2026-01-31 12:00' AND '2026-02-01 00:00';
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time > '2026-01-31 12:00' AND action_time < '2026-02-01';
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time = '2026-02-01 00:00:00Z';
-- the tightest of several bounds, from either side of the operator
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND '2026-01-20' <= action_time
   AND action_time <= '2026-03-01' AND '2026-02-10' > action_time;
-- the midnight event is in [2026-02-01, ...), the one at 23:59:59.999 is not
\! python3 emulator/ctl.py clear
SELECT id, action_time FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-31 23:00' AND action_time <= '2026-02-01 00:00'
 ORDER BY action_time;
SELECT id, action_time FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-31' AND action_time < '2026-02-01'
 ORDER BY action_time;
\! python3 emulator/ctl.py log
-- bounds that leave no time, or a NULL: no request at all
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE action_time >= '2026-03-01' AND action_time < '2026-02-01';
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE action_time > '2026-03-01' AND action_time <= '2026-03-01';
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_audit_logs
 WHERE action_time >= '2026-03-01' AND action_time < '2026-02-01';
SELECT count(*) FROM organization_audit_logs WHERE action_time >= NULL::timestamptz;
\! python3 emulator/ctl.py log
-- -infinity is no bound the API can take: an error, not all of time
SELECT count(*) FROM organization_audit_logs WHERE action_time > '-infinity';
SELECT count(*) FROM organization_usage WHERE charge_period_start >= '-infinity';
-- an infinite upper bound is no bound: before is the day after today
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-30' AND action_time < 'infinity';
-- a lower bound alone: before is the day after today (UTC), shown as such
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND action_time >= '2026-03-20';
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND action_time >= '2026-03-20';
\! python3 emulator/ctl.py log | sed "s/before=$(date -u -d tomorrow +%F)/before=<tomorrow>/"
-- parameters and stable expressions are evaluated when the scan starts
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= timestamptz '2026-03-01' - interval '7 days'
   AND action_time < timestamptz '2026-03-01';
PREPARE window_q(timestamptz, timestamptz) AS
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= $1 AND action_time < $2;
\! python3 emulator/ctl.py clear
EXECUTE window_q('2026-02-22', '2026-03-01');
EXECUTE window_q('2026-02-22 18:00', '2026-02-26 11:30');
SELECT count(*) FROM want_audit
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-02-22 18:00' AND action_time < '2026-02-26 11:30';
\! python3 emulator/ctl.py log
-- a date or timestamp value compares as the timestamptz it casts to, in
-- the session's time zone: midnight in New York is 05:00 UTC
SET timezone = 'America/New_York';
\! python3 emulator/ctl.py clear
SELECT id, action_time AT TIME ZONE 'UTC' AS utc FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= date '2026-01-31' AND action_time < timestamp '2026-02-01 00:00'
 ORDER BY action_time;
\! python3 emulator/ctl.py log
SET timezone = 'UTC';

-- every row and column of a quarter, fanned out over the organizations,
-- equals the emulator's
\! python3 emulator/ctl.py clear
SELECT count(*) AS missing_or_different FROM (
  SELECT * FROM want_audit
  EXCEPT SELECT organization_id, id, action_time, action_type, action_result,
                action_description, actor_id, actor_email, actor_type, actor_context,
                actor_ip_address, actor_token_id, actor_token_name, resource_id,
                resource_type, resource_product, resource_scope, resource_request,
                resource_response, raw_method, raw_uri, raw_status_code,
                raw_cf_ray_id, raw_user_agent
           FROM organization_audit_logs
          WHERE action_time >= '2026-01-01' AND action_time < '2026-04-01') d;
SELECT (SELECT count(*) FROM organization_audit_logs
         WHERE action_time >= '2026-01-01' AND action_time < '2026-04-01') AS fdw,
       (SELECT count(*) FROM want_audit) AS emulator;
\! python3 emulator/ctl.py log | grep -c logs/audit
-- an address that is not one is an error naming the column (declare the
-- column text to read whatever the API sends)
\! python3 emulator/ctl.py fault '{"path": "logs/audit$", "body": "{\"success\":true,\"errors\":[],\"result\":[{\"id\":\"x\",\"action\":{\"time\":\"2026-01-02T00:00:00Z\"},\"actor\":{\"ip_address\":\"10.0.0.300\"}}],\"result_info\":{\"count\":\"1\"}}"}'
SELECT id, actor_ip_address FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND action_time >= '2026-01-02';
\! python3 emulator/ctl.py faults-clear
-- an empty address is NULL; every other one is an inet
SELECT count(*) FILTER (WHERE actor_ip_address IS NULL) AS no_address,
       count(*) FILTER (WHERE family(actor_ip_address) = 6) AS ipv6
  FROM organization_audit_logs WHERE action_time >= '2026-01-01' AND action_time < '2026-04-01';
SELECT count(*) FILTER (WHERE coalesce(j->'actor'->>'ip_address', '') = '') AS no_address,
       count(*) FILTER (WHERE j->'actor'->>'ip_address' LIKE '%:%') AS ipv6
  FROM emu_audit;

-- ---------------------------------------------------------------------
-- Audit log filters: = and IN, <> and NOT IN through the .not variants
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
   AND action_type <> 'view' AND actor_context NOT IN ('dash', 'oauth')
   AND action_result = 'success' AND raw_status_code IN (200, 204)
   AND actor_email = 'ops+alerts@acme.example';
\! python3 emulator/ctl.py clear
SELECT id, action_type, actor_context, raw_status_code FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
   AND action_type <> 'view' AND actor_context NOT IN ('dash', 'oauth')
   AND action_result = 'success' AND raw_status_code IN (200, 204)
 ORDER BY action_time;
\! python3 emulator/ctl.py log
SELECT id, action_type, actor_context, raw_status_code FROM want_audit
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_type <> 'view' AND actor_context NOT IN ('dash', 'oauth')
   AND action_result = 'success' AND raw_status_code IN (200, 204)
 ORDER BY action_time;
-- every filter column, each form: the FDW's rows are the emulator's
CREATE TEMP TABLE filter_cases (col text, val text);
INSERT INTO filter_cases VALUES
  ('id', 'c123e7a7-bb2c-47fe-a0d9-a504a6835d24'), ('action_type', 'update'),
  ('action_result', 'failure'), ('actor_id', 'pjvclkggsx1ga1fcxpblpo8b5qo5cx33'),
  ('actor_email', 'user@example.com'), ('actor_type', 'system'),
  ('actor_context', 'api_token'), ('actor_token_id', 'a3c1f0e2b4d64f5e8a9b0c1d2e3f4a5b'),
  ('actor_token_name', 'Terraform CI'), ('resource_id', '5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6'),
  ('resource_type', 'DNS Record'), ('resource_product', 'dns'), ('raw_method', 'PATCH'),
  ('raw_uri', '/organizations/83swwm38cort1r31ioqntjqrdp4v52wl'),
  ('raw_cf_ray_id', '5e5163cb8561dd30');
CREATE FUNCTION pg_temp.filter_check(c text, v text, op text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE fdw bigint; truth bigint; cond text;
BEGIN
  cond := format('%I %s %L', c, op, v);
  EXECUTE 'SELECT count(*) FROM cf_dash.organization_audit_logs WHERE action_time >= ''2026-01-01'' AND action_time < ''2026-04-01'' AND ' || cond INTO fdw;
  EXECUTE 'SELECT count(*) FROM want_audit WHERE ' || cond INTO truth;
  RETURN format('%s: %s rows, emulator %s', cond, fdw, truth);
END $$;
SELECT pg_temp.filter_check(col, val, op) FROM filter_cases, (VALUES ('='), ('<>')) o(op)
 ORDER BY col, op;
-- a status code is at most three digits: any other number matches no row
-- (=, no request) or excludes nothing (<>, not sent)
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE action_time >= '2026-01-01' AND raw_status_code = 2147483647;
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND action_time >= '2026-01-01'
   AND action_time < '2026-02-01' AND raw_status_code NOT IN (-1, 403, 1000);
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
   AND resource_type = 'Organization' AND resource_product <> 'dns'
   AND raw_method IN ('GET', 'PUT') AND raw_cf_ray_id <> ALL (ARRAY['x', 'y']);
\! python3 emulator/ctl.py log
-- enums are checked locally: a value the API does not have matches no row
-- (no request) for =, and excludes nothing (not sent) for <>
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE action_time >= '2026-01-01' AND action_type = 'Update';
EXPLAIN (COSTS OFF)
SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-02-01'
   AND action_type <> 'Update' AND actor_type NOT IN ('robot', 'system');
-- "api" is the newest SDK's actor context: sent
\! python3 emulator/ctl.py clear
SELECT id, actor_context FROM organization_audit_logs
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01' AND actor_context = 'api';
\! python3 emulator/ctl.py log
-- addresses: an IPv4 address is sent as the API writes it; an IPv6 one
-- (whose text form the API does not document) is checked locally only
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
   AND actor_ip_address = '198.51.100.77';
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
   AND actor_ip_address = '2001:db8:85a3:0:0:8a2e:370:7334';
\! python3 emulator/ctl.py log
SELECT count(*) FILTER (WHERE actor_ip_address = '198.51.100.77') AS v4,
       count(*) FILTER (WHERE actor_ip_address = '2001:db8:85a3::8a2e:370:7334') AS v6
  FROM want_audit WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
-- hostile values stay values: percent-encoded, never a new parameter; an
-- actor_email that is no email address (the document's format) is not sent
-- (the API would refuse it) and the recheck answers it
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-01-02'
   AND actor_email = 'x&since=1999-01-01@b.c' AND raw_uri <> '/x?y=1#z';
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-01-03'
   AND actor_email IN ('user@example.com', 'a@b.c&since=1999-01-01');
\! python3 emulator/ctl.py log

-- ---------------------------------------------------------------------
-- Audit log paging: cursor and limit, ORDER BY as direction, LIMIT
-- ---------------------------------------------------------------------
ALTER FOREIGN TABLE organization_audit_logs OPTIONS (ADD page_size '8');
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py log | sed -E 's/cursor=[A-Za-z0-9_-]+/cursor=<cursor>/'
-- the newest SDK's result_info.cursors.after pages the same way
\! python3 emulator/ctl.py config '{"cursor_form": "cursors.after"}'
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py log | sed -E 's/cursor=[A-Za-z0-9_-]+/cursor=<cursor>/'
\! python3 emulator/ctl.py config '{"cursor_form": "cursor"}'
-- a cursor that does not move stops the scan instead of looping
\set VERBOSITY terse
\! python3 emulator/ctl.py fault '{"path": "logs/audit", "kind": "stuck_token", "count": -1}'
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py fault '{"path": "logs/audit", "kind": "repeat_page", "count": -1}'
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py faults-clear
\set VERBOSITY default
EXPLAIN (COSTS OFF)
SELECT id, action_time FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-01' ORDER BY action_time DESC;
\! python3 emulator/ctl.py clear
SELECT id, action_time FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-01' AND action_time < '2026-04-01'
 ORDER BY action_time DESC;
\! python3 emulator/ctl.py log | sed -E 's/cursor=[A-Za-z0-9_-]+/cursor=<cursor>/'
-- a LIMIT with nothing left to check locally shrinks the page
\! python3 emulator/ctl.py clear
SELECT count(*) FROM (SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-01' AND action_time < '2026-04-01' LIMIT 3) s;
\! python3 emulator/ctl.py log
ALTER FOREIGN TABLE organization_audit_logs OPTIONS (DROP page_size);
-- an unknown organization is no row
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = 'nosuchorganization00000000000000' AND action_time >= '2026-01-01';

-- ---------------------------------------------------------------------
-- History of the resource an audit log entry changed
-- ---------------------------------------------------------------------
SELECT count(*) FROM organization_audit_log_history WHERE action_time >= '2026-01-01';
SELECT count(*) FROM organization_audit_log_history
 WHERE source_id = '32619fa3-9ee7-4980-94ef-f012ad524214' AND action_time >= '2026-01-01';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, action_time, history_status FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa3-9ee7-4980-94ef-f012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
-- exact: the entries of the same resource (a DNS record), as the emulator has them
\! python3 emulator/ctl.py clear
SELECT id, action_time, action_type, history_status, source_id, source_action_time
  FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa3-9ee7-4980-94ef-f012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
 ORDER BY action_time;
\! python3 emulator/ctl.py log
SELECT id, action_time, action_type FROM want_audit
 WHERE resource_id = '5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6' ORDER BY action_time;
-- approximate (the entry has no URI) and unavailable (no resource: no row)
SELECT history_status, count(*) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '9a3df4a5-12c3-43bd-83d7-54853172456f'
   AND source_action_time = '2026-02-14 14:14:14Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
 GROUP BY 1;
SELECT count(*) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = 'bd9dcfe8-a4c6-4e75-a20e-26dadf97d5bc'
   AND source_action_time = '2026-01-25 03:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
-- an id given as the UUID's 32 digits (the form the document's maxLength
-- implies) goes into the path dashed, and source_id echoes it as given
\! python3 emulator/ctl.py clear
SELECT count(*), min(source_id) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa39ee7498094eff012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py log
-- an entry that is not there (404) is no row; an id that is no UUID sends nothing
SELECT count(*) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '00000000-0000-0000-0000-000000000000'
   AND source_action_time = '2026-02-01 00:00:00Z' AND action_time >= '2026-01-01';
EXPLAIN (COSTS OFF)
SELECT * FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '../../logs/audit' AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01';
-- the history of each failed action, one request per entry, through a join
\! python3 emulator/ctl.py clear
SELECT a.id AS entry, count(h.id) AS history
  FROM organization_audit_logs a
  JOIN LATERAL (SELECT * FROM organization_audit_log_history h
                 WHERE h.organization_id = a.organization_id
                   AND h.source_id = a.id AND h.source_action_time = a.action_time
                   AND h.action_time >= '2026-01-01' AND h.action_time < '2026-04-01') h ON true
 WHERE a.organization_id = '9vgaxgt8qhdt5o3a63p067ur9e481bu1'
   AND a.action_time >= '2026-01-01' AND a.action_time < '2026-04-01'
   AND a.raw_status_code >= 400
 GROUP BY a.id ORDER BY 1;
\! python3 emulator/ctl.py log | grep -c /history

-- ---------------------------------------------------------------------
-- Billable usage: from and to from charge_period_start, 31 days a request
-- ---------------------------------------------------------------------
CREATE TEMP VIEW want_usage AS
SELECT j->>'organization_id' AS organization_id,
       (j->>'ChargePeriodStart')::timestamptz AS charge_period_start,
       j->>'SubAccountId' AS sub_account_id, j->>'x_BillableMetricId' AS metric,
       (j->>'ConsumedQuantity')::numeric AS consumed_quantity,
       j->>'BillingAccountId' AS billing_account_id,
       j->>'BillingAccountName' AS billing_account_name,
       j->>'x_BillableMetricName' AS metric_name, j->'Tags' AS tags
  FROM emu_usage;
-- no bound: the API's default window (this month to today), said in EXPLAIN
EXPLAIN (COSTS OFF)
SELECT * FROM organization_usage WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_usage WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py log
-- a quarter: three consecutive windows of at most 31 days, in one scan
EXPLAIN (COSTS OFF)
SELECT * FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start >= '2026-01-01' AND charge_period_start < '2026-04-01';
\! python3 emulator/ctl.py clear
SELECT x_billable_metric_id, count(*), sum(consumed_quantity)
  FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start >= '2026-01-01' AND charge_period_start < '2026-04-01'
 GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT metric, count(*), sum(consumed_quantity) FROM want_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' GROUP BY 1 ORDER BY 1;
-- every row of both organizations over the quarter equals the emulator's
SELECT count(*) AS missing_or_different FROM (
  SELECT * FROM want_usage
  EXCEPT SELECT organization_id, charge_period_start, sub_account_id,
                x_billable_metric_id, consumed_quantity, billing_account_id,
                billing_account_name, x_billable_metric_name, tags
           FROM organization_usage
          WHERE charge_period_start BETWEEN '2026-01-01' AND '2026-03-31') d;
SELECT (SELECT count(*) FROM organization_usage
         WHERE charge_period_start BETWEEN '2026-01-01' AND '2026-03-31') AS fdw,
       (SELECT count(*) FROM want_usage) AS emulator;
-- fields the newest SDK may leave out read NULL; the large quantity is exact
SELECT count(*) FILTER (WHERE billing_account_name IS NULL) AS no_account_name,
       count(*) FILTER (WHERE x_billable_metric_name IS NULL) AS no_metric_name,
       count(*) FILTER (WHERE billed_cost IS NULL) AS no_cost,
       max(consumed_quantity) AS largest, min(consumed_quantity) AS smallest
  FROM organization_usage
 WHERE charge_period_start >= '2026-01-01' AND charge_period_start < '2026-04-01';
SELECT count(*) FILTER (WHERE billing_account_name IS NULL) AS no_account_name,
       count(*) FILTER (WHERE metric_name IS NULL) AS no_metric_name,
       max(consumed_quantity) AS largest, min(consumed_quantity) AS smallest
  FROM want_usage;
-- a window that ends mid-day, a single day, and a bound before the data
EXPLAIN (COSTS OFF)
SELECT * FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start = '2026-02-14';
\! python3 emulator/ctl.py clear
SELECT sub_account_id, consumed_quantity FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start = '2026-02-14' AND x_billable_metric_id = 'workers_standard_requests'
 ORDER BY 1;
\! python3 emulator/ctl.py log
SELECT sub_account_id, consumed_quantity FROM want_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start = '2026-02-14' AND metric = 'workers_standard_requests'
 ORDER BY 1;
EXPLAIN (COSTS OFF)
SELECT * FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start > '2025-12-31 18:00' AND charge_period_start <= '2026-02-01 06:00';
-- an upper bound alone is an error (the API takes both dates or neither)
SELECT count(*) FROM organization_usage WHERE charge_period_start < '2026-02-01';
-- a lower bound alone reads to today (UTC)
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start >= now() - interval '3 days';
\! python3 emulator/ctl.py log | sed "s/from=$(date -u -d '3 days ago' +%F)/from=<3 days ago>/; s/to=$(date -u +%F)/to=<today>/"
-- any other condition on charge_period_start needs a bound the API can
-- take: without one the API's default month would hide the other rows
SELECT count(*) FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND date_trunc('day', charge_period_start) = '2026-02-14';
-- a bound from the outer side of a join is sent, per outer row
CREATE TEMP TABLE periods (lo timestamptz, hi timestamptz);
INSERT INTO periods VALUES ('2026-03-20', '2026-03-22'), ('2026-03-25', '2026-03-26');
\! python3 emulator/ctl.py clear
SELECT p.lo, count(*) FROM periods p
  JOIN organization_usage u ON u.charge_period_start >= p.lo AND u.charge_period_start < p.hi
 WHERE u.organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT p.lo, count(*) FROM periods p
  JOIN want_usage u ON u.charge_period_start >= p.lo AND u.charge_period_start < p.hi
 WHERE u.organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py clear
SELECT p.lo, count(a.id) FROM periods p
 CROSS JOIN LATERAL (SELECT * FROM organization_audit_logs a
                      WHERE a.organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
                        AND a.action_time >= p.lo) a
 GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort | sed "s/before=$(date -u -d tomorrow +%F)/before=<tomorrow>/"
SELECT p.lo, count(a.id) FROM periods p
  JOIN want_audit a ON a.organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
                   AND a.action_time >= p.lo
 GROUP BY 1 ORDER BY 1;
-- an unknown organization answers an empty list: no row, no error
SELECT count(*) FROM organization_usage
 WHERE organization_id = 'nosuchorganization00000000000000'
   AND charge_period_start >= '2026-01-01' AND charge_period_start < '2026-01-10';

-- ---------------------------------------------------------------------
-- Shares: status, kind, target_type, resource type; order; page paging
-- ---------------------------------------------------------------------
CREATE TEMP VIEW want_shares AS
SELECT j->>'organization_id' AS organization_id, j->>'id' AS id, j->>'name' AS name,
       j->>'kind' AS kind, j->>'status' AS status, j->>'target_type' AS target_type,
       (j->>'created')::timestamptz AS created, j->'resources' AS resources
  FROM emu_shares;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT name FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND status = 'active' AND kind = 'sent' AND target_type = 'account'
 ORDER BY name;
ALTER FOREIGN TABLE organization_shares OPTIONS (ADD page_size '10');
\! python3 emulator/ctl.py clear
SELECT kind, status, target_type, count(*) FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\! python3 emulator/ctl.py log
SELECT kind, status, target_type, count(*) FROM want_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
\! python3 emulator/ctl.py clear
SELECT name, created FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND status = 'active'
   AND kind = 'sent' ORDER BY created DESC, name LIMIT 4;
\! python3 emulator/ctl.py log
EXPLAIN (COSTS OFF)
SELECT name, created FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' ORDER BY created DESC;
\! python3 emulator/ctl.py clear
SELECT name, created FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND kind = 'received'
 ORDER BY created DESC;
\! python3 emulator/ctl.py log
SELECT name, created FROM want_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND kind = 'received'
 ORDER BY created DESC;
-- resource_type is filter-only: it echoes the type asked for
\! python3 emulator/ctl.py clear
SELECT name, resource_type FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND resource_type = 'gateway-policy' ORDER BY name;
\! python3 emulator/ctl.py log
SELECT name FROM want_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND resources @> '[{"resource_type": "gateway-policy"}]' ORDER BY name;
SELECT name FROM organization_shares WHERE resource_type LIKE 'gateway%';
EXPLAIN (COSTS OFF) SELECT * FROM organization_shares WHERE status = 'Active';
-- every share of every organization equals the emulator's
SELECT count(*) AS missing_or_different FROM (
  SELECT * FROM want_shares
  EXCEPT SELECT organization_id, id, name, kind, status, target_type, created, resources
           FROM organization_shares) d;
SELECT (SELECT count(*) FROM organization_shares) AS fdw,
       (SELECT count(*) FROM want_shares) AS emulator;

-- ---------------------------------------------------------------------
-- organizations.meta keeps whatever the API sends: the newest SDK's tenant
-- flag account_creation_applies_tenant_defaults comes through as it is
-- ---------------------------------------------------------------------
CREATE FOREIGN TABLE orgs (id text, meta jsonb) SERVER cf_dash OPTIONS (resource 'organizations');
\! python3 emulator/ctl.py fault '{"path": "^/organizations/83swwm38cort1r31ioqntjqrdp4v52wl$", "body": "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"id\":\"83swwm38cort1r31ioqntjqrdp4v52wl\",\"name\":\"Acme Corporation\",\"meta\":{\"managed_by\":\"tenant\",\"tenant_flags\":{\"account_creation_applies_tenant_defaults\":true}}}}"}'
SELECT meta->'tenant_flags' AS tenant_flags,
       (meta->'tenant_flags'->>'account_creation_applies_tenant_defaults')::boolean AS applies
  FROM orgs WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py faults-clear

-- ---------------------------------------------------------------------
-- No writes: the API has none for these tables
-- ---------------------------------------------------------------------
INSERT INTO organization_shares (organization_id, name) VALUES ('x', 'y');
DELETE FROM organization_audit_logs WHERE action_time >= '2026-01-01';
UPDATE organization_usage SET consumed_unit = 'x' WHERE charge_period_start >= '2026-01-01';

-- clean up
RESET timezone;
DROP SERVER cf_dash CASCADE;
DROP SCHEMA cf_dash CASCADE;
