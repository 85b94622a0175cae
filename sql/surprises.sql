-- Nothing surprises silently: required values are checked before sending,
-- a rollback says what it could not undo, a column that reads nothing says
-- so, and a token can stay out of the catalog.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

-- 1. A value the create call requires is checked before any request:
-- 23502 names the column, and the emulator's log stays empty.
\! python3 emulator/ctl.py clear
INSERT INTO organizations (parent_id) VALUES ('83swwm38cort1r31ioqntjqrdp4v52wl');
INSERT INTO organizations (name) VALUES (NULL);
INSERT INTO organization_members (organization_id, status)
  VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'active');
CREATE FOREIGN TABLE orgs_without_name (parent_id text) SERVER cf
  OPTIONS (resource 'organizations');
INSERT INTO orgs_without_name VALUES ('83swwm38cort1r31ioqntjqrdp4v52wl');
\! python3 emulator/ctl.py log

-- 2. The API has no transactions.  A rollback says which changes stay: of
-- the transaction, or of the subtransaction a ROLLBACK TO SAVEPOINT ends.
BEGIN;
INSERT INTO organizations (name) VALUES ('Kept Despite Rollback');
SAVEPOINT s1;
INSERT INTO organization_members (organization_id, user_email)
  VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'kept1@initech.example'),
         ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'kept2@initech.example');
ROLLBACK TO SAVEPOINT s1;
SELECT 1 AS still_in_the_transaction;
ROLLBACK;
-- the emulator still has all three
SELECT name FROM organizations WHERE name = 'Kept Despite Rollback';
SELECT user_email FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND user_email LIKE 'kept%'
 ORDER BY 1;
-- a committed transaction says nothing
BEGIN;
DELETE FROM organizations WHERE name = 'Kept Despite Rollback';
COMMIT;
DELETE FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND user_email LIKE 'kept%';

-- 3. A hand-written column that matches no column of its resource (a typo)
-- warns once, when the table is first planned; json_path silences it.
CREATE FOREIGN TABLE typo_orgs (id text, nmae text, parent text) SERVER cf
  OPTIONS (resource 'organizations');
SELECT count(nmae) FROM typo_orgs;
SELECT count(nmae) FROM typo_orgs;
CREATE FOREIGN TABLE meta_orgs (id text, billing jsonb OPTIONS (json_path 'meta.billing'))
  SERVER cf OPTIONS (resource 'organizations');
SELECT count(billing) FROM meta_orgs;

-- 4. A token kept out of the catalog: api_token_file names a file on the
-- database server, read when the connection is made.  Only a superuser may
-- set it; pg_dump then carries the file's name, never the token.
\set token_file '/tmp/cloudflare_fdw_regress.token'
\! printf 'test-token\n' > /tmp/cloudflare_fdw_regress.token; chmod 0644 /tmp/cloudflare_fdw_regress.token
CREATE SERVER cf_file FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_file OPTIONS (api_token_file :'token_file');
CREATE FOREIGN TABLE file_orgs (id text) SERVER cf_file OPTIONS (resource 'organizations');
SELECT count(*) FROM file_orgs;
\! "$CF_PG_BINDIR/pg_dump" --schema-only contrib_regression | grep -A1 '^CREATE USER MAPPING.*SERVER cf_file'
-- a wrong path, a relative one, both token options, an empty file
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_file
  OPTIONS (SET api_token_file '/nonexistent/cloudflare-token');
SELECT count(*) FROM file_orgs;
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_file OPTIONS (SET api_token_file 'token');
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_file OPTIONS (ADD api_token 'test-token');
\! : > /tmp/cloudflare_fdw_regress.token
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_file OPTIONS (SET api_token_file :'token_file');
SELECT count(*) FROM file_orgs;
-- a role that is not a superuser may not name a file
CREATE ROLE cf_plain;
GRANT USAGE ON FOREIGN SERVER cf_file TO cf_plain;
SET ROLE cf_plain;
CREATE USER MAPPING FOR cf_plain SERVER cf_file OPTIONS (api_token_file '/etc/passwd');
RESET ROLE;
DROP OWNED BY cf_plain;
DROP ROLE cf_plain;

-- 5. A NULL server gives no row, from both diagnostic functions (version
-- 1.1; 1.0's rate_budget gave a row of NULLs), and 1.0 updates to 1.1.
SELECT * FROM cloudflare_fdw_check(NULL);
SELECT * FROM cloudflare_fdw_rate_budget(NULL);
SELECT mode FROM cloudflare_fdw_rate_budget('cf');

-- clean up
\! rm -f /tmp/cloudflare_fdw_regress.token
\! python3 emulator/ctl.py reset
DROP SERVER cf, cf_file CASCADE;

-- the update from 1.0 (the extension is made again at the default version)
DROP EXTENSION cloudflare_fdw;
CREATE EXTENSION cloudflare_fdw VERSION '1.0';
SELECT count(*) AS rows_for_null FROM cloudflare_fdw_rate_budget(NULL);
ALTER EXTENSION cloudflare_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'cloudflare_fdw';
SELECT count(*) AS rows_for_null FROM cloudflare_fdw_rate_budget(NULL);
