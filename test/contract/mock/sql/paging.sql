-- Full scans against `prism mock`: Prism answers every page with the same
-- next_page_token ("string"), so a walk that follows tokens until they stop
-- would never end.  The FDW's pagination guard stops the scan with a clear
-- ERROR on the second page.  Page-numbered memberships stop on a short page.
\getenv cf_api_url CF_API_URL
CREATE SERVER mock FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mock
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER mock INTO cf;

\! python3 test/contract/tap.py clear
SELECT count(id) FROM cf.organizations;
\! python3 test/contract/tap.py log

\! python3 test/contract/tap.py clear
SELECT count(id) FROM cf.organization_accounts WHERE organization_id = 'org-1';
SELECT count(id) FROM cf.organization_members WHERE organization_id = 'org-1';
\! python3 test/contract/tap.py log

-- an ORDER BY the API sorts by still reads every row (PostgreSQL sorts too)
\! python3 test/contract/tap.py clear
SELECT id FROM cf.organization_accounts WHERE organization_id = 'org-1' ORDER BY name DESC LIMIT 1;
\! python3 test/contract/tap.py log

-- a fan-out over every organization meets the guard in its outer walk
\! python3 test/contract/tap.py clear
SELECT count(*) FROM cf.organization_members;
\! python3 test/contract/tap.py log

-- a smaller page size: the guard still fires on the second page
ALTER FOREIGN TABLE cf.organizations OPTIONS (ADD page_size '1');
\! python3 test/contract/tap.py clear
SELECT count(id) FROM cf.organizations;
\! python3 test/contract/tap.py log

-- memberships: Prism's one row on a page of 50 is the last page
\! python3 test/contract/tap.py clear
SELECT count(*) FROM cf.memberships;
\! python3 test/contract/tap.py log

DROP SCHEMA cf CASCADE;
DROP SERVER mock CASCADE;
