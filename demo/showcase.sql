-- demo/showcase.sql: a few real questions asked of Cloudflare's Organizations
-- API through cloudflare_fdw (scripts/demo.sh runs it against the emulator).

\set QUIET on
\pset footer off
\pset null '(none)'
\set QUIET off

\echo
\echo '== The organization tree (a recursive CTE over organizations.parent_id)'
WITH RECURSIVE tree AS (
    SELECT id, name, 0 AS depth, name::text AS path
      FROM organizations
     WHERE parent_id IS NULL
  UNION ALL
    SELECT o.id, o.name, t.depth + 1, t.path || ' / ' || o.name
      FROM organizations o
      JOIN tree t ON o.parent_id = t.id
)
SELECT repeat('    ', depth) || name AS organization, id
  FROM tree
 ORDER BY path;

\echo
\echo '== Accounts per organization'
SELECT o.name AS organization,
       count(a.id) AS accounts,
       string_agg(a.name, ', ' ORDER BY a.name) AS account_names
  FROM organizations o
  LEFT JOIN organization_accounts a ON a.organization_id = o.id
 GROUP BY o.name
 ORDER BY o.name;

\echo
\echo '== Members without two-factor authentication'
SELECT o.name AS organization, m.user_email, m.status
  FROM organizations o
  JOIN organization_members m ON m.organization_id = o.id
 WHERE m.user_two_factor_authentication_enabled IS NOT TRUE
 ORDER BY o.name, m.user_email;

\echo
\echo '== Memberships still pending (invitations to accept or reject)'
SELECT account_name, roles, id
  FROM memberships
 WHERE status = 'pending'
 ORDER BY account_name;

\echo
\echo '== Who did what: failed actions in the audit logs of every organization (Feb 2026)'
SELECT o.name AS organization, a.action_time, a.actor_email, a.action_type,
       a.resource_type, a.raw_status_code
  FROM organizations o
  JOIN organization_audit_logs a ON a.organization_id = o.id
 WHERE a.action_time >= '2026-02-01' AND a.action_time < '2026-03-01'
   AND a.action_result = 'failure'
 ORDER BY a.action_time;

\echo
\echo '== What it costs: billable usage per account and metric over Q1 2026 (three 31-day requests)'
SELECT o.name AS organization, u.billing_account_name AS account,
       u.x_billable_metric_id AS metric, sum(u.consumed_quantity) AS quantity,
       min(u.consumed_unit) AS unit
  FROM organizations o
  JOIN organization_usage u ON u.organization_id = o.id
 WHERE o.name = 'Acme Corporation'
   AND u.charge_period_start >= '2026-01-01' AND u.charge_period_start < '2026-04-01'
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3;

\echo
\echo '== What is sent: the filters and the LIMIT go into the request'
SELECT id AS some_org FROM organizations ORDER BY name LIMIT 1 \gset
EXPLAIN (VERBOSE, COSTS OFF)
SELECT user_email, status
  FROM organization_members
 WHERE organization_id = :'some_org'
   AND status = 'pending'
 LIMIT 5;
