-- Both credential styles, where the document allows them.  Cloudflare's
-- document lists an API token (Authorization: Bearer) only for GET
-- /organizations, and X-Auth-Email + X-Auth-Key everywhere (the other files
-- of this suite use email + key throughout).  Prism enforces that: with a
-- token, listing organizations works, and every other call gets Prism's 401.
-- Those refusals are deliberate here: `tap.py log --ack` shows them, so
-- this file's expected output asserts them, and check.py lets them pass.
\getenv cf_api_url CF_API_URL
CREATE SERVER mock_token FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mock_token OPTIONS (api_token 'test-token');
CREATE SCHEMA cf_token;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER mock_token INTO cf_token;

-- GET /organizations with a token: allowed, with and without filters
\! python3 test/contract/tap.py clear
SELECT id, name FROM cf_token.organizations LIMIT 1;
SELECT id, name FROM cf_token.organizations WHERE name = 'string' AND parent_id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8' LIMIT 1;
\! python3 test/contract/tap.py log

-- everything else with a token: Prism's 401 ("Invalid security scheme used")
\! python3 test/contract/tap.py clear
SELECT id FROM cf_token.organizations WHERE id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8';
SELECT id FROM cf_token.organization_members WHERE organization_id = 'org-1' LIMIT 1;
SELECT id FROM cf_token.memberships LIMIT 1;
INSERT INTO cf_token.organizations (name) VALUES ('Token Org');
\! python3 test/contract/tap.py log --ack

DROP SCHEMA cf_token CASCADE;
DROP SERVER mock_token CASCADE;
