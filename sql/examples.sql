-- The worked examples of docs/operations.md, run against the emulator's
-- sample data so that they cannot rot.  Keep the two in step.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cloudflare FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cloudflare
  OPTIONS (api_token 'test-token');
CREATE SCHEMA cf;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cloudflare INTO cf;

-- Example 1: members without two-factor authentication, joined with a
-- local employees table
CREATE TABLE employees (
  email     text PRIMARY KEY,
  full_name text NOT NULL,
  team      text NOT NULL
);
INSERT INTO employees VALUES
  ('alice@acme.example',            'Alice Andersen',  'platform'),
  ('bob.smith@acme.example',        'Bob Smith',       'sales'),
  ('dana@acme.example',             'Dana Diaz',       'finance'),
  ('waylon@globex.example',         'Waylon Smithers', 'executive office'),
  ('peter.gibbons@initech.example', 'Peter Gibbons',   'reports');

-- active members without 2FA, and who they are (a member who is no
-- employee, such as a shared mailbox, shows NULLs)
SELECT o.name AS organization, m.user_email, e.full_name, e.team
  FROM cf.organization_members m
  JOIN cf.organizations o ON o.id = m.organization_id
  LEFT JOIN employees e ON e.email = m.user_email
 WHERE m.status = 'active'
   AND NOT m.user_two_factor_authentication_enabled
 ORDER BY organization, m.user_email;

-- Example 2: the organization tree, with a recursive CTE
WITH RECURSIVE tree AS (
  SELECT id, name, 0 AS depth, ARRAY[name] AS path
    FROM cf.organizations
   WHERE parent_id IS NULL
  UNION ALL
  SELECT o.id, o.name, t.depth + 1, t.path || o.name
    FROM cf.organizations o
    JOIN tree t ON o.parent_id = t.id
)
SELECT repeat('    ', depth) || name AS organization, depth
  FROM tree
 ORDER BY path;

-- Example 3: a dashboard table kept fresh by pg_cron
-- (shared_preload_libraries = 'cloudflare_fdw,pg_cron' and
-- cron.database_name = this database)
CREATE MATERIALIZED VIEW member_dashboard AS
SELECT o.name AS organization,
       count(m.id) FILTER (WHERE m.status = 'active') AS active,
       count(m.id) FILTER (WHERE m.status = 'pending') AS pending,
       count(m.id) FILTER (WHERE m.status = 'active'
                             AND NOT m.user_two_factor_authentication_enabled) AS active_without_2fa
  FROM cf.organizations o
  LEFT JOIN cf.organization_members m ON m.organization_id = o.id
 GROUP BY o.name;
-- a unique index lets the refresh run CONCURRENTLY: readers never wait
CREATE UNIQUE INDEX ON member_dashboard (organization);

CREATE EXTENSION pg_cron;
SELECT cron.schedule('cf-dashboard', '*/5 * * * *',
                     'REFRESH MATERIALIZED VIEW CONCURRENTLY member_dashboard') > 0 AS scheduled;
SELECT jobname, schedule, command, database = current_database() AS this_database,
       username = current_user AS as_me, active
  FROM cron.job WHERE jobname = 'cf-dashboard';

SELECT * FROM member_dashboard WHERE organization LIKE 'Initech%' ORDER BY organization;
-- a new member appears in the dashboard at the next refresh (here run by
-- hand instead of waiting for the schedule)
INSERT INTO cf.organization_members (organization_id, user_email, status)
  SELECT id, 'new.hire@initech.example', 'active' FROM cf.organizations WHERE name = 'Initech Sandbox';
SELECT * FROM member_dashboard WHERE organization = 'Initech Sandbox';
REFRESH MATERIALIZED VIEW CONCURRENTLY member_dashboard;
SELECT * FROM member_dashboard WHERE organization LIKE 'Initech%' ORDER BY organization;

SELECT cron.unschedule('cf-dashboard');
SELECT count(*) AS jobs_left FROM cron.job WHERE jobname = 'cf-dashboard';
DROP EXTENSION pg_cron;

-- Example 4: bulk membership changes from a local table
CREATE TABLE approved_invitations (
  account_name text PRIMARY KEY,
  approved_by  text NOT NULL
);
INSERT INTO approved_invitations VALUES
  ('Acme Marketing Sites',   'alice'),
  ('Globex Shared Services', 'hank'),
  ('Globex SOC',             'hank');  -- rejected already: left alone

\! python3 emulator/ctl.py clear
UPDATE cf.memberships m
   SET status = 'accepted'
  FROM approved_invitations a
 WHERE m.account_name = a.account_name
   AND m.status = 'pending'
RETURNING m.account_name, m.status, a.approved_by;
-- one GET of the pending memberships, then one PUT per row
\! python3 emulator/ctl.py log

SELECT account_name, status FROM cf.memberships ORDER BY account_name;

-- writes are not transactional on Cloudflare's side: a ROLLBACK does not
-- undo the call that was made
BEGIN;
UPDATE cf.memberships SET status = 'rejected'
 WHERE account_name = 'Open Source Community Projects' AND status = 'pending';
ROLLBACK;
SELECT account_name, status FROM cf.memberships
 WHERE account_name = 'Open Source Community Projects';

DROP TABLE employees, approved_invitations;
DROP MATERIALIZED VIEW member_dashboard;
DROP SCHEMA cf CASCADE;
DROP SERVER cloudflare CASCADE;
