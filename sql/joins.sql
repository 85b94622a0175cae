-- Joins with local tables: parameterized nested loops send one filtered
-- request per outer key when that is cheaper than scanning everything.
-- Expected output: joins.out (PostgreSQL 15) and joins_1.out (later majors,
-- whose EXPLAIN prints a parameterized join filter with the scanned table's
-- column first: id = u.org_id, not u.org_id = id).
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

CREATE TABLE local_users (email text, org_id text, team text);
INSERT INTO local_users VALUES
  ('user@example.com', '83swwm38cort1r31ioqntjqrdp4v52wl', 'platform'),
  ('nobody@example.com', '2qcqt9edex1pj0n560wir7mr6038u3mi', 'sales');
ANALYZE local_users;

-- a small outer side: one members request per organization of the outer rows
EXPLAIN (VERBOSE, COSTS OFF)
SELECT u.team, m.user_email, m.status
  FROM local_users u JOIN organization_members m ON m.organization_id = u.org_id;
\! python3 emulator/ctl.py clear
SELECT u.team, count(*) AS members, count(*) FILTER (WHERE m.user_email = u.email) AS self
  FROM local_users u JOIN organization_members m ON m.organization_id = u.org_id
 GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- a join on organizations.id: one lookup per outer row, once the planner
-- knows that scanning all organizations takes many requests
EXPLAIN (COSTS OFF)
SELECT u.team, o.name FROM local_users u JOIN organizations o ON o.id = u.org_id;
ALTER FOREIGN TABLE organizations OPTIONS (ADD rows '100000');
EXPLAIN (COSTS OFF)
SELECT u.team, o.name FROM local_users u JOIN organizations o ON o.id = u.org_id;
\! python3 emulator/ctl.py clear
SELECT u.team, o.name FROM local_users u JOIN organizations o ON o.id = u.org_id ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- both keys at once: organization and email
EXPLAIN (COSTS OFF)
SELECT m.status FROM local_users u
  JOIN organization_members m ON m.organization_id = u.org_id AND m.user_email = u.email;
\! python3 emulator/ctl.py clear
SELECT u.email, m.status FROM local_users u
  JOIN organization_members m ON m.organization_id = u.org_id AND m.user_email = u.email;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- memberships by id from a local list
CREATE TABLE wanted_memberships (id text);
INSERT INTO wanted_memberships VALUES ('t7nxeit601f5wrzcxfbl8e5jj6r998rv'), ('missing');
ANALYZE wanted_memberships;
ALTER FOREIGN TABLE memberships OPTIONS (ADD rows '5000');
EXPLAIN (COSTS OFF)
SELECT w.id, m.account_name FROM wanted_memberships w JOIN memberships m ON m.id = w.id;
\! python3 emulator/ctl.py clear
SELECT w.id, m.account_name FROM wanted_memberships w JOIN memberships m ON m.id = w.id;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- a large outer side: one scan of everything and a hash join
CREATE TABLE many_users AS
SELECT 'u' || g || '@example.com' AS email,
       CASE WHEN g % 100 = 0 THEN '83swwm38cort1r31ioqntjqrdp4v52wl' ELSE 'org' || g END AS org_id
  FROM generate_series(1, 5000) g;
ANALYZE many_users;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM many_users u JOIN organization_members m ON m.organization_id = u.org_id;
\! python3 emulator/ctl.py clear
SELECT count(*) FROM many_users u JOIN organization_members m ON m.organization_id = u.org_id;
\! python3 emulator/ctl.py log | wc -l

-- the same results as with nothing pushed
ALTER SERVER cf OPTIONS (ADD pushdown 'false');
SELECT u.team, count(*) AS members
  FROM local_users u JOIN organization_members m ON m.organization_id = u.org_id
 GROUP BY 1 ORDER BY 1;
SELECT u.team, o.name FROM local_users u JOIN organizations o ON o.id = u.org_id ORDER BY 1;
ALTER SERVER cf OPTIONS (DROP pushdown);

-- clean up
DROP SERVER cf CASCADE;
DROP TABLE local_users, wanted_memberships, many_users;
