-- Reads against `prism mock` serving Cloudflare's OpenAPI document, no
-- emulator: every foreign table answers with the document's example objects,
-- each value converted to its column's type.  Reads use LIMIT or an id, so
-- the scan stops after the first page (Prism's next_page_token never ends a
-- walk; paging.sql shows what a full scan does).  `tap.py log` shows each
-- request as the FDW sent it and Prism's status; a request that broke the
-- document would get 401/422 and show Prism's violation.
\getenv cf_api_url CF_API_URL
CREATE SERVER mock FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mock
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER mock INTO cf;
SET timezone = 'UTC';
\x on

-- organizations: a list page, and one organization by id (the example's id:
-- the FDW checks the id of what comes back, so another id finds no row)
\! python3 test/contract/tap.py clear
SELECT * FROM cf.organizations LIMIT 1;
SELECT id, name, create_time FROM cf.organizations WHERE id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8';
SELECT count(*) AS other_id FROM cf.organizations WHERE id = 'no-such-id';
\! python3 test/contract/tap.py log

-- organization_accounts: the document's account, with the settings it spells out
\! python3 test/contract/tap.py clear
SELECT * FROM cf.organization_accounts WHERE organization_id = 'org-1' LIMIT 1;
\! python3 test/contract/tap.py log

-- organization_profiles: GET .../profile
\! python3 test/contract/tap.py clear
SELECT * FROM cf.organization_profiles WHERE organization_id = 'org-1';
\! python3 test/contract/tap.py log

-- organization_members: a list page, and one member by id
\! python3 test/contract/tap.py clear
SELECT * FROM cf.organization_members WHERE organization_id = 'org-1' LIMIT 1;
SELECT id, status, user_email FROM cf.organization_members
 WHERE organization_id = 'org-1' AND id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8';
\! python3 test/contract/tap.py log

-- memberships: the list has no policies; by id it has them
\! python3 test/contract/tap.py clear
SELECT * FROM cf.memberships LIMIT 1;
SELECT id, policies FROM cf.memberships WHERE id = '4536bcfad5faccb111b47003c79917fa';
\! python3 test/contract/tap.py log
\x off

-- the types are PostgreSQL's, not text
SELECT pg_typeof(create_time) AS create_time, pg_typeof(meta) AS meta,
       jsonb_typeof(meta->'hierarchy_tags') AS hierarchy_tags
  FROM cf.organizations LIMIT 1;
SELECT pg_typeof(enforce_twofactor) AS enforce_twofactor,
       access_approval_expiry = '2019-08-24T14:15:22Z' AS access_approval_expiry
  FROM cf.organization_accounts WHERE organization_id = 'org-1' LIMIT 1;
SELECT roles[1] AS first_role, pg_typeof(roles) AS roles,
       (permissions->'zones'->>'write')::boolean AS zones_write,
       account->'managed_by'->>'parent_org_name' AS parent_org_name
  FROM cf.memberships LIMIT 1;

-- every pushed-down filter reaches the API as one of the document's query
-- parameters, whose names and values Prism checks (the values match the
-- mock's example rows, which the FDW rechecks locally)
\! python3 test/contract/tap.py clear
SELECT id FROM cf.organizations WHERE id IN ('a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8', 'other') LIMIT 1;
SELECT id FROM cf.organizations WHERE name = 'string' LIMIT 1;
SELECT id FROM cf.organizations WHERE name LIKE 'str%' LIMIT 1;
SELECT id FROM cf.organizations WHERE name LIKE '%ing' LIMIT 1;
SELECT id FROM cf.organizations WHERE name ILIKE '%TRIN%' LIMIT 1;
SELECT id FROM cf.organizations WHERE parent_id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8' LIMIT 1;
SELECT id, containing_account FROM cf.organizations WHERE containing_account = 'acct-1' LIMIT 1;
SELECT id, containing_user FROM cf.organizations WHERE containing_user = 'user-1' LIMIT 1;
SELECT id, containing_organization FROM cf.organizations WHERE containing_organization = 'org-9' LIMIT 1;
SELECT id FROM cf.organization_accounts WHERE organization_id = 'org-1' AND name = 'string' LIMIT 1;
SELECT id FROM cf.organization_accounts WHERE organization_id = 'org-1' AND name ILIKE 'STR%' LIMIT 1;
SELECT id FROM cf.organization_members
 WHERE organization_id = 'org-1' AND status IN ('active', 'pending') LIMIT 1;
SELECT id FROM cf.organization_members WHERE organization_id = 'org-1' AND user_email = 'string' LIMIT 1;
SELECT id FROM cf.organization_members WHERE organization_id = 'org-1' AND user_email LIKE '%ring' LIMIT 1;
SELECT id FROM cf.memberships WHERE status = 'accepted' LIMIT 1;
SELECT id FROM cf.memberships WHERE account_name = 'Demo Account' LIMIT 1;
SELECT id FROM cf.memberships ORDER BY account_name DESC LIMIT 1;
\! python3 test/contract/tap.py log

DROP SCHEMA cf CASCADE;
DROP SERVER mock CASCADE;
