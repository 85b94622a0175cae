-- The dashboard tables' requests through `prism proxy --errors` (issue 17):
-- every request form the FDW has for organization_audit_logs,
-- organization_audit_log_history, organization_usage and organization_shares
-- (sql/dashboards.sql shows them against the emulator alone), sent with
-- email + key as the document requires, each one shown by `tap.py log`:
-- "-> 200" (or the history's documented 404) is Prism's verdict that the
-- request and the emulator's answer both follow the document, and the
-- emulator's own request count shows that each one was forwarded.  Results
-- are compared with the emulator's data (its dumps).
--
-- sql/dashboards.sql itself cannot run here (test/contract/prepare.py
-- excludes it): the document contradicts itself on audit log ids.  The
-- item's id is aaa_identifier-2, maxLength 32, but ids are UUIDs (36
-- characters; the history's path parameter is format: uuid and the id
-- filter's example is a UUID), so Prism turns every audit log page or
-- history with items into a 500.  This file switches the emulator to serve
-- the same ids as 32 hex digits (config audit_id_form "hex"), which the item
-- schema accepts; the history's path still takes the dashed UUID.  It reads
-- only Acme Corporation, whose entries have no actor context "api" (outside
-- the document's enum) and whose usage records carry every field the
-- document requires (Globex Retail's lack BillingAccountName and
-- x_BillableMetricName).
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_dreq FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_dreq
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_dreq;
IMPORT FOREIGN SCHEMA cloudflare
  LIMIT TO (organization_audit_logs, organization_audit_log_history,
            organization_usage, organization_shares)
  FROM SERVER cf_dreq INTO cf_dreq;
SET search_path = cf_dreq, public;
SET timezone = 'UTC';
\! python3 emulator/ctl.py config '{"audit_id_form": "hex"}'

-- The emulator's data (the dumps spell audit log ids as the API serves them)
CREATE TEMP TABLE emu_audit (j jsonb);
CREATE TEMP TABLE emu_usage (j jsonb);
CREATE TEMP TABLE emu_shares (j jsonb);
\copy emu_audit from program 'python3 emulator/ctl.py dump audit_logs --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_usage from program 'python3 emulator/ctl.py dump usage --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_shares from program 'python3 emulator/ctl.py dump shares --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
-- Acme Corporation's entries, with the foreign table's columns in its order
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
  FROM emu_audit WHERE j->'organization'->>'id' = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) AS entries, count(*) FILTER (WHERE id ~ '^[0-9a-f]{32}$') AS hex_ids,
       count(*) FILTER (WHERE actor_context = 'api') AS api_context
  FROM want_audit;
-- audit_check(cond): Acme's entries under cond, read once through the FDW,
-- against the emulator's: every column of every row must be equal
CREATE FUNCTION pg_temp.audit_check(cond text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE fdw bigint; truth bigint; diff bigint;
BEGIN
  EXECUTE format($q$
    WITH f AS MATERIALIZED (SELECT * FROM cf_dreq.organization_audit_logs
                             WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND %1$s),
         w AS (SELECT * FROM want_audit WHERE %1$s)
    SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM w),
           (SELECT count(*) FROM ((TABLE f EXCEPT ALL TABLE w) UNION ALL (TABLE w EXCEPT ALL TABLE f)) d)$q$, cond)
    INTO fdw, truth, diff;
  RETURN format('%s: %s rows, emulator %s%s', cond, fdw, truth,
                CASE WHEN diff = 0 THEN '' ELSE format(', %s rows differ', diff) END);
END $$;

-- ---------------------------------------------------------------------
-- Audit logs: since and before from each bound form on action_time
-- ---------------------------------------------------------------------
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT pg_temp.audit_check(cond) FROM (VALUES
  (1, $$action_time BETWEEN '2026-01-31 12:00' AND '2026-02-01 00:00'$$),
  (2, $$action_time > '2026-01-31 12:00' AND action_time < '2026-02-01'$$),
  (3, $$action_time = '2026-02-01 00:00:00Z'$$),
  (4, $$action_time >= '2026-01-01' AND '2026-01-20' <= action_time AND action_time <= '2026-03-01' AND '2026-02-10' > action_time$$),
  (5, $$action_time >= '2026-03-20'$$),
  (6, $$action_time >= timestamptz '2026-03-01' - interval '7 days' AND action_time < timestamptz '2026-03-01'$$),
  (7, $$action_time >= '2026-01-01' AND action_time < '2026-04-01'$$)) c(n, cond)
 ORDER BY n;
-- parameters, evaluated when the scan starts
PREPARE window_q(timestamptz, timestamptz) AS
SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= $1 AND action_time < $2;
EXECUTE window_q('2026-02-22', '2026-03-01');
EXECUTE window_q('2026-02-22 18:00', '2026-02-26 11:30');
SELECT count(*) FILTER (WHERE action_time >= '2026-02-22' AND action_time < '2026-03-01') AS first,
       count(*) FILTER (WHERE action_time >= '2026-02-22 18:00' AND action_time < '2026-02-26 11:30') AS second
  FROM want_audit;
DEALLOCATE window_q;
-- a date or timestamp compares as the timestamptz it casts to, in the
-- session's time zone (midnight in New York is 05:00 UTC)
SET timezone = 'America/New_York';
SELECT pg_temp.audit_check($$action_time >= date '2026-01-31' AND action_time < timestamp '2026-02-01 00:00'$$);
SET timezone = 'UTC';
\! python3 test/contract/tap.py log | sed "s/before=$(date -u -d tomorrow +%F)/before=<tomorrow>/"
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"

-- ---------------------------------------------------------------------
-- Audit log filters: = and IN as the list filters, <> and NOT IN as their
-- .not variants; text, enum, integer, inet and id columns
-- ---------------------------------------------------------------------
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT pg_temp.audit_check($$action_time >= '2026-01-01' AND action_time < '2026-04-01' AND $$ || cond)
  FROM (VALUES
  (1, $$action_type = 'update'$$),
  (2, $$action_type <> 'view'$$),
  (3, $$action_type IN ('create', 'delete')$$),
  (4, $$action_type NOT IN ('view', 'update')$$),
  (5, $$action_result = 'failure'$$),
  (6, $$action_result <> 'failure'$$),
  (7, $$actor_context IN ('api_key', 'origin_ca_key')$$),
  (8, $$actor_context NOT IN ('dash', 'oauth')$$),
  (9, $$actor_type = 'user'$$),
  (10, $$actor_type <> 'system'$$),
  (11, $$actor_email = 'ops+alerts@acme.example'$$),
  (12, $$actor_email NOT IN ('user@example.com', 'ops+alerts@acme.example')$$),
  (13, $$actor_id = 'pjvclkggsx1ga1fcxpblpo8b5qo5cx33'$$),
  (14, $$actor_token_id <> 'a3c1f0e2b4d64f5e8a9b0c1d2e3f4a5b'$$),
  (15, $$actor_token_name = 'Terraform CI'$$),
  (16, $$actor_ip_address = '198.51.100.77'$$),
  (17, $$id = 'c123e7a7bb2c47fea0d9a504a6835d24'$$),
  (18, $$id IN ('c123e7a7bb2c47fea0d9a504a6835d24', '32619fa39ee7498094eff012ad524214')$$),
  (19, $$id <> 'c123e7a7bb2c47fea0d9a504a6835d24'$$),
  (20, $$raw_status_code = 403$$),
  (21, $$raw_status_code IN (200, 204)$$),
  (22, $$raw_status_code NOT IN (200, 403)$$),
  (23, $$raw_method IN ('GET', 'PUT')$$),
  (24, $$raw_method <> 'PATCH'$$),
  (25, $$raw_uri = '/organizations/83swwm38cort1r31ioqntjqrdp4v52wl'$$),
  (26, $$raw_cf_ray_id <> ALL (ARRAY['x', 'y'])$$),
  (27, $$resource_id = '5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6'$$),
  (28, $$resource_type = 'DNS Record'$$),
  (29, $$resource_product <> 'dns'$$),
  (30, $$action_type <> 'view' AND actor_context NOT IN ('dash', 'oauth') AND action_result = 'success' AND raw_status_code IN (200, 204) AND actor_email = 'ops+alerts@acme.example'$$),
  -- hostile values stay values: percent-encoded, never a new parameter
  -- (an actor_email must still be an email address: the document's format)
  (31, $$actor_email = 'x&since=1999-01-01@example.com' AND raw_uri <> '/x?y=1#z'$$)) c(n, cond)
 ORDER BY n;
\! python3 test/contract/tap.py log
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"

-- ---------------------------------------------------------------------
-- Audit log paging: limit and cursor, both cursor forms; ORDER BY as
-- direction; a LIMIT as a smaller page
-- ---------------------------------------------------------------------
ALTER FOREIGN TABLE organization_audit_logs OPTIONS (ADD page_size '8');
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT pg_temp.audit_check($$action_time >= '2026-01-01' AND action_time < '2026-04-01'$$);
\! python3 emulator/ctl.py config '{"cursor_form": "cursors.after"}'
SELECT pg_temp.audit_check($$action_time >= '2026-01-01' AND action_time < '2026-04-01'$$);
\! python3 emulator/ctl.py config '{"cursor_form": "cursor"}'
\! python3 test/contract/tap.py log | sed -E 's/cursor=[A-Za-z0-9_%-]+/cursor=<cursor>/'
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT id, action_time FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-01' AND action_time < '2026-04-01'
 ORDER BY action_time DESC;
SELECT array_agg(id) = (SELECT array_agg(id ORDER BY action_time DESC) FROM want_audit
                         WHERE action_time >= '2026-03-01' AND action_time < '2026-04-01') AS emulator_order
  FROM (SELECT id FROM organization_audit_logs
         WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
           AND action_time >= '2026-03-01' AND action_time < '2026-04-01'
         ORDER BY action_time DESC) s;
SELECT array_agg(id) = (SELECT array_agg(id ORDER BY action_time) FROM want_audit
                         WHERE action_time >= '2026-01-01' AND action_time < '2026-02-01') AS emulator_order
  FROM (SELECT id FROM organization_audit_logs
         WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
           AND action_time >= '2026-01-01' AND action_time < '2026-02-01'
         ORDER BY action_time) s;
SELECT count(*) FROM (SELECT id FROM organization_audit_logs
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND action_time >= '2026-03-01' AND action_time < '2026-04-01' LIMIT 3) s;
\! python3 test/contract/tap.py log | sed -E 's/cursor=[A-Za-z0-9_%-]+/cursor=<cursor>/'
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"
ALTER FOREIGN TABLE organization_audit_logs OPTIONS (DROP page_size);

-- ---------------------------------------------------------------------
-- History: the path takes the source entry's id as a dashed UUID (format:
-- uuid); the entries it answers carry hex ids like the list's.  With dashed
-- ids in the answer Prism would turn each history with entries into a 500
-- ("Response body property result.0.id must NOT have more than 32
-- characters", the same contradiction); the unavailable one (no entries)
-- and the 404 (the document's aaa_audit-logs-v2-history-not-found body)
-- are clean either way.
-- ---------------------------------------------------------------------
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
-- exact: the entries of the same DNS record, as the emulator has them
SELECT id, action_time, action_type, history_status, source_id, source_action_time
  FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa3-9ee7-4980-94ef-f012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
 ORDER BY action_time;
SELECT id, action_time, action_type FROM want_audit
 WHERE resource_id = '5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6' ORDER BY action_time;
-- the same by cursor, two entries a page, newest first (both cursor forms)
ALTER FOREIGN TABLE organization_audit_log_history OPTIONS (ADD page_size '2');
SELECT array_agg(id) AS newest_first FROM (SELECT id FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa3-9ee7-4980-94ef-f012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01'
 ORDER BY action_time DESC) s;
\! python3 emulator/ctl.py config '{"cursor_form": "cursors.after"}'
SELECT count(*) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '32619fa3-9ee7-4980-94ef-f012ad524214'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 emulator/ctl.py config '{"cursor_form": "cursor"}'
ALTER FOREIGN TABLE organization_audit_log_history OPTIONS (DROP page_size);
-- approximate (the entry has no URI), unavailable (no resource: no row),
-- and an entry that is not there (the document's 404: no row)
SELECT history_status, count(*),
       (SELECT count(*) FROM want_audit WHERE resource_type = 'Organization'
           AND resource_id = '83swwm38cort1r31ioqntjqrdp4v52wl') AS emulator
  FROM organization_audit_log_history
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
SELECT count(*) FROM organization_audit_log_history
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND source_id = '00000000-0000-0000-0000-000000000000'
   AND source_action_time = '2026-02-01 00:00:00Z'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01';
\! python3 test/contract/tap.py log | sed -E 's/cursor=[A-Za-z0-9_%-]+/cursor=<cursor>/'
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"
-- the history of each failed action, one request per entry, through a
-- join: a hex id maps back to its UUID with dashes after digits 8, 12, 16
-- and 20 (the FDW sends no request for an id that is no UUID)
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT a.id AS entry, count(h.id) AS history,
       (SELECT count(*) FROM want_audit w
         WHERE (w.resource_type, w.resource_id) = (a.resource_type, a.resource_id)) AS emulator
  FROM organization_audit_logs a
  JOIN LATERAL (SELECT * FROM organization_audit_log_history h
                 WHERE h.organization_id = a.organization_id
                   AND h.source_id = regexp_replace(a.id, '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5')
                   AND h.source_action_time = a.action_time
                   AND h.action_time >= '2026-01-01' AND h.action_time < '2026-04-01') h ON true
 WHERE a.organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND a.action_time >= '2026-01-01' AND a.action_time < '2026-04-01'
   AND a.raw_status_code >= 400
 GROUP BY a.id, a.resource_type, a.resource_id ORDER BY 1;
\! python3 test/contract/tap.py log
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"

-- ---------------------------------------------------------------------
-- Billable usage: from and to, at most 31 days a request
-- ---------------------------------------------------------------------
CREATE TEMP VIEW want_usage AS
SELECT (j->>'ChargePeriodStart')::timestamptz AS charge_period_start,
       j->>'SubAccountId' AS sub_account_id, j->>'x_BillableMetricId' AS x_billable_metric_id,
       (j->>'ConsumedQuantity')::numeric AS consumed_quantity,
       j->>'BillingAccountId' AS billing_account_id,
       j->>'BillingAccountName' AS billing_account_name,
       j->>'x_BillableMetricName' AS x_billable_metric_name, j->'Tags' AS tags
  FROM emu_usage WHERE j->>'organization_id' = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
-- a quarter: three consecutive windows in one scan; every row is the emulator's
CREATE TEMP TABLE got_usage AS
SELECT charge_period_start, sub_account_id, x_billable_metric_id, consumed_quantity,
       billing_account_id, billing_account_name, x_billable_metric_name, tags
  FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start >= '2026-01-01' AND charge_period_start < '2026-04-01';
SELECT (SELECT count(*) FROM got_usage) AS fdw, (SELECT count(*) FROM want_usage) AS emulator,
       (SELECT count(*) FROM ((TABLE got_usage EXCEPT ALL TABLE want_usage)
                    UNION ALL (TABLE want_usage EXCEPT ALL TABLE got_usage)) d) AS differ;
-- a single day
SELECT sub_account_id, consumed_quantity FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start = '2026-02-14' AND x_billable_metric_id = 'workers_standard_requests'
 ORDER BY 1, 2;
SELECT sub_account_id, consumed_quantity FROM want_usage
 WHERE charge_period_start = '2026-02-14' AND x_billable_metric_id = 'workers_standard_requests'
 ORDER BY 1, 2;
-- a window that starts and ends mid-day: two requests
SELECT count(*), (SELECT count(*) FROM want_usage
                   WHERE charge_period_start > '2025-12-31 18:00'
                     AND charge_period_start <= '2026-02-01 06:00') AS emulator
  FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start > '2025-12-31 18:00' AND charge_period_start <= '2026-02-01 06:00';
-- no bound: the API's default window (this month to today), no from or to
SELECT count(*), (SELECT count(*) FROM want_usage
                   WHERE charge_period_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                   AS emulator
  FROM organization_usage WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
-- a lower bound alone reads to today (UTC)
SELECT count(*) FROM organization_usage
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND charge_period_start >= now() - interval '3 days';
-- (a scan's windows are fetched concurrently: the log is sorted)
\! python3 test/contract/tap.py log | sed "s/from=$(date -u -d '3 days ago' +%F)/from=<3 days ago>/; s/to=$(date -u +%F)/to=<today>/" | LC_ALL=C sort
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"

-- ---------------------------------------------------------------------
-- Shares: status, kind, target_type and resource_type; ORDER BY name and
-- created, both directions; page paging, 10 a page
-- ---------------------------------------------------------------------
CREATE TEMP VIEW want_shares AS
SELECT j->>'organization_id' AS organization_id, j->>'id' AS id, j->>'name' AS name,
       j->>'kind' AS kind, j->>'status' AS status, j->>'target_type' AS target_type,
       (j->>'created')::timestamptz AS created, j->'resources' AS resources
  FROM emu_shares WHERE j->>'organization_id' = '83swwm38cort1r31ioqntjqrdp4v52wl';
-- share_check(cond, ord): Acme's shares under cond in the order ord, read
-- through the FDW, against the emulator's: the same rows, the sort key in
-- the same order
CREATE FUNCTION pg_temp.share_check(cond text, ord text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE fdw bigint; truth bigint; diff bigint; same_order boolean;
BEGIN
  EXECUTE format($q$
    WITH f AS MATERIALIZED (SELECT row_number() OVER () AS n, s.* FROM (
             SELECT organization_id, id, name, kind, status, target_type, created, resources
               FROM cf_dreq.organization_shares
              WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND %1$s ORDER BY %2$s) s),
         w AS (SELECT * FROM want_shares WHERE %1$s)
    SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM w),
           (SELECT count(*) FROM ((SELECT organization_id, id, name, kind, status, target_type, created, resources
                                     FROM f EXCEPT ALL TABLE w)
                        UNION ALL (TABLE w EXCEPT ALL SELECT organization_id, id, name, kind, status,
                                                             target_type, created, resources FROM f)) d),
           (SELECT array_agg(%3$s ORDER BY n) FROM f) = (SELECT array_agg(%3$s ORDER BY %2$s) FROM w)$q$,
    cond, ord, split_part(ord, ' ', 1))
    INTO fdw, truth, diff, same_order;
  RETURN format('%s ORDER BY %s: %s rows, emulator %s%s%s', cond, ord, fdw, truth,
                CASE WHEN diff = 0 THEN '' ELSE format(', %s rows differ', diff) END,
                CASE WHEN same_order THEN '' ELSE ', in another order' END);
END $$;
ALTER FOREIGN TABLE organization_shares OPTIONS (ADD page_size '10');
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT pg_temp.share_check(cond, ord) FROM (VALUES
  (1, 'true', 'id'),
  (2, $$status = 'active'$$, 'id'),
  (3, $$kind = 'received'$$, 'id'),
  (4, $$target_type = 'organization'$$, 'id'),
  (5, $$status = 'active' AND kind = 'sent' AND target_type = 'account'$$, 'id'),
  (6, 'true', 'name'),
  (7, 'true', 'name DESC'),
  (8, 'true', 'created'),
  (9, 'true', 'created DESC'),
  (10, $$status = 'deleting' AND kind = 'sent'$$, 'created DESC')) c(n, cond, ord)
 ORDER BY n;
-- resource_type is filter-only: it echoes the type asked for
SELECT name, resource_type FROM organization_shares
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'
   AND resource_type = 'gateway-policy' ORDER BY name;
SELECT name FROM want_shares
 WHERE resources @> '[{"resource_type": "gateway-policy"}]' ORDER BY name;
\! python3 test/contract/tap.py log
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"
ALTER FOREIGN TABLE organization_shares OPTIONS (DROP page_size);

-- ---------------------------------------------------------------------
-- The one deliberate refusal: actor context "api", the newest SDK's value
-- (Initech has one such entry), is outside the document's enum, so Prism
-- answers 422 without forwarding it and the FDW reports the refusal.
-- --ack asserts exactly that violation.
-- ---------------------------------------------------------------------
\! python3 test/contract/tap.py clear; python3 emulator/ctl.py clear
SELECT id, actor_context FROM organization_audit_logs
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi'
   AND action_time >= '2026-01-01' AND action_time < '2026-04-01' AND actor_context = 'api';
\! python3 test/contract/tap.py log --ack
\! echo "forwarded to the emulator: $(python3 emulator/ctl.py log | wc -l)"

-- clean up: reset restores the emulator's dashed ids
\! python3 emulator/ctl.py reset
RESET timezone;
DROP SERVER cf_dreq CASCADE;
DROP SCHEMA cf_dreq CASCADE;
