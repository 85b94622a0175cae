-- SELECT over every resource, checked against what the emulator serves.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
CREATE SCHEMA cf;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO cf;
SELECT foreign_table_name, option_value
  FROM information_schema.foreign_table_options
 WHERE foreign_table_schema = 'cf' ORDER BY 1;
\d cf.organizations
\d cf.memberships

-- IMPORT with LIMIT TO and EXCEPT, and an unknown remote schema
CREATE SCHEMA cf_some;
IMPORT FOREIGN SCHEMA cloudflare LIMIT TO (organizations, memberships) FROM SERVER cf INTO cf_some;
CREATE SCHEMA cf_rest;
IMPORT FOREIGN SCHEMA cloudflare EXCEPT (organizations, memberships) FROM SERVER cf INTO cf_rest;
SELECT foreign_table_schema, foreign_table_name FROM information_schema.foreign_tables
 WHERE foreign_table_schema IN ('cf_some', 'cf_rest') ORDER BY 1, 2;
IMPORT FOREIGN SCHEMA zones FROM SERVER cf INTO cf_some;
DROP SCHEMA cf_some, cf_rest CASCADE;

-- What the emulator holds, loaded straight from its control plane
CREATE TEMP TABLE emu_orgs (j jsonb);
CREATE TEMP TABLE emu_accounts (j jsonb);
CREATE TEMP TABLE emu_members (j jsonb);
CREATE TEMP TABLE emu_memberships (j jsonb);
CREATE TEMP TABLE emu_profiles (j jsonb);
\copy emu_orgs from program 'python3 emulator/ctl.py dump organizations --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_accounts from program 'python3 emulator/ctl.py dump accounts --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_members from program 'python3 emulator/ctl.py dump members --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_memberships from program 'python3 emulator/ctl.py dump memberships --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
\copy emu_profiles from program 'python3 emulator/ctl.py dump profiles --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')

-- organizations: every row and every column equals the emulator's
\! python3 emulator/ctl.py clear
SELECT (SELECT count(*) FROM cf.organizations) AS fdw,
       (SELECT count(*) FROM emu_orgs) AS emulator;
\! python3 emulator/ctl.py log | LC_ALL=C sort
CREATE TEMP VIEW want_orgs AS
SELECT j->>'id' AS id, j->>'name' AS name, (j->>'create_time')::timestamptz AS create_time,
       j->'parent'->>'id' AS parent_id, j->'parent'->>'name' AS parent_name,
       j->'meta'->>'managed_by' AS managed_by, j->'meta' AS meta, j->'profile' AS profile
  FROM emu_orgs;
SELECT count(*) AS missing_or_different FROM (
  SELECT * FROM want_orgs
  EXCEPT SELECT id, name, create_time, parent_id, parent_name, managed_by, meta, profile
           FROM cf.organizations) d;
SELECT count(*) AS unexpected FROM (
  SELECT id, name, create_time, parent_id, parent_name, managed_by, meta, profile
    FROM cf.organizations EXCEPT SELECT * FROM want_orgs) d;
SET timezone = 'UTC';
SELECT name, create_time, parent_name, containing_account IS NULL AS no_filter
  FROM cf.organizations ORDER BY create_time;
RESET timezone;

-- organization_accounts (a fan-out over every organization)
\! python3 emulator/ctl.py clear
SELECT count(*) = (SELECT count(*) FROM emu_accounts) AS all_accounts FROM cf.organization_accounts;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT count(*) AS missing_or_different FROM (
  SELECT j->>'organization_id', j->>'id', j->>'name', j->>'type', (j->>'created_on')::timestamptz,
         j->'settings', j->'settings'->>'abuse_contact_email',
         (j->'settings'->>'enforce_twofactor')::boolean,
         (j->'settings'->>'api_access_enabled')::boolean,
         (j->'settings'->>'access_approval_expiry')::timestamptz
    FROM emu_accounts
  EXCEPT
  SELECT organization_id, id, name, type, created_on, settings, abuse_contact_email,
         enforce_twofactor, api_access_enabled, access_approval_expiry
    FROM cf.organization_accounts) d;
SELECT o.name AS organization, a.name, a.type, a.enforce_twofactor, a.api_access_enabled
  FROM cf.organization_accounts a JOIN cf.organizations o ON o.id = a.organization_id
 ORDER BY 1, 2;

-- organization_profiles: from the embedded profiles, and one by one
\! python3 emulator/ctl.py clear
SELECT count(*) = (SELECT count(*) FROM emu_profiles) AS all_profiles FROM cf.organization_profiles;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT count(*) AS missing_or_different FROM (
  SELECT j->>'organization_id', j->>'business_name', j->>'business_email',
         j->>'business_address', j->>'business_phone', j->>'external_metadata'
    FROM emu_profiles
  EXCEPT SELECT * FROM cf.organization_profiles) d;
SELECT o.name, p.business_name IS NOT NULL AS has_profile
  FROM cf.organizations o
  LEFT JOIN cf.organization_profiles p ON p.organization_id = o.id
 ORDER BY o.name;
\! python3 emulator/ctl.py clear
SELECT business_name, external_metadata::jsonb->>'tier' AS tier
  FROM cf.organization_profiles
 WHERE organization_id IN ('83swwm38cort1r31ioqntjqrdp4v52wl', 'ui7v0g2hcxjnwl50dvacvvq27od2rhh9')
 ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- organization_members
\! python3 emulator/ctl.py clear
SELECT count(*) = (SELECT count(*) FROM emu_members) AS all_members FROM cf.organization_members;
SELECT count(*) AS missing_or_different FROM (
  SELECT j->>'organization_id', j->>'id', j->>'status', (j->>'create_time')::timestamptz,
         (j->>'update_time')::timestamptz, j->'user'->>'id', j->'user'->>'email',
         j->'user'->>'name', (j->'user'->>'two_factor_authentication_enabled')::boolean, j->'meta'
    FROM emu_members
  EXCEPT SELECT * FROM cf.organization_members) d;
SELECT status, count(*) FROM cf.organization_members GROUP BY 1 ORDER BY 1;
SELECT user_name, user_email FROM cf.organization_members
 WHERE user_name !~ '^[ -~]*$' OR user_email LIKE '%+%' ORDER BY 1;

-- memberships (page pagination); the list omits policies
\! python3 emulator/ctl.py clear
SELECT count(*) = (SELECT count(*) FROM emu_memberships) AS all_memberships,
       count(policies) AS with_policies FROM cf.memberships;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT count(*) AS missing_or_different FROM (
  SELECT j->>'id', j->>'status', (j->>'api_access_enabled')::boolean,
         ARRAY(SELECT jsonb_array_elements_text(j->'roles')), j->'permissions',
         j->'account'->>'id', j->'account'->>'name', j->'account'->>'type'
    FROM emu_memberships
  EXCEPT SELECT id, status, api_access_enabled, roles, permissions,
                account_id, account_name, account_type FROM cf.memberships) d;
SELECT account_name, status, roles FROM cf.memberships ORDER BY account_name, id;

-- clean up
DROP SERVER cf CASCADE;
DROP SCHEMA cf CASCADE;
