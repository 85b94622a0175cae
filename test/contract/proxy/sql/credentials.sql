-- Both credential styles through `prism proxy --errors` to the emulator.
-- The regression tests run here with email + key (test/contract/prepare.py
-- rewrites their token mappings); this file uses a token.  Cloudflare's
-- document allows a token only on GET /organizations: those requests pass
-- Prism and reach the emulator; every other call with a token gets Prism's
-- 401 and never reaches it.  (The emulator accepts tokens everywhere, as
-- Cloudflare's permission groups suggest; the document is narrower.)
-- `tap.py log --ack` shows the refusals, so this output asserts them and
-- check.py lets them pass.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_token FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_token OPTIONS (api_token 'test-token');
CREATE SCHEMA cf_token;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_token INTO cf_token;

-- GET /organizations with a token: every page, and the pushed-down filters
ALTER FOREIGN TABLE cf_token.organizations OPTIONS (ADD page_size '5');
\! python3 test/contract/tap.py clear
\! python3 emulator/ctl.py clear
SELECT count(id) AS organizations FROM cf_token.organizations;
SELECT name FROM cf_token.organizations WHERE name LIKE 'Globex%' ORDER BY name;
SELECT name FROM cf_token.organizations WHERE parent_id IS NULL ORDER BY name;
SELECT name FROM cf_token.organizations
 WHERE containing_organization = '83oejlo7gdtlak4bc4itdbjgqmvdcc2t' ORDER BY name;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^& ]*/page_token=<token>/'
\! python3 test/contract/tap.py log | sed -e 's/page_token=[^& ]*/page_token=<token>/'

-- everything else with a token: Prism's 401, nothing reaches the emulator
\! python3 test/contract/tap.py clear
\! python3 emulator/ctl.py clear
SELECT id FROM cf_token.organizations WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) FROM cf_token.organization_members WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) FROM cf_token.memberships;
UPDATE cf_token.memberships SET status = 'accepted' WHERE id = 'xkpg2mqkcldklsfzn4j0nxlaauyfuz3i';
\! python3 emulator/ctl.py log
\! python3 test/contract/tap.py log --ack

-- the same reads with email + key pass
CREATE SERVER cf_key FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_key
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_key;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_key INTO cf_key;
\! python3 test/contract/tap.py clear
SELECT name FROM cf_key.organizations WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) FROM cf_key.organization_members WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) FROM cf_key.memberships;
\! python3 test/contract/tap.py log

\! python3 emulator/ctl.py reset
DROP SCHEMA cf_token, cf_key CASCADE;
DROP SERVER cf_token CASCADE;
DROP SERVER cf_key CASCADE;
