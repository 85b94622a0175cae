-- Writes against `prism mock`: every write the FDW can make is a request
-- the document accepts (Prism would answer 422 to a body or parameter that
-- breaks it, 401 to a credential style it does not allow), and the FDW
-- accepts each documented answer, 204s included.  RETURNING shows what the
-- FDW read back from the document's example answers.
\getenv cf_api_url CF_API_URL
CREATE SERVER mock FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER mock
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER mock INTO cf;
SET timezone = 'UTC';

-- organizations: POST with the flat body; with a parent and a profile
\! python3 test/contract/tap.py clear
INSERT INTO cf.organizations (name) VALUES ('Contract Root')
RETURNING id, name, create_time, parent_id;
INSERT INTO cf.organizations (name, parent_id, profile)
VALUES ('Contract Kid', 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8',
        '{"business_name": "Kid Ltd", "business_email": "kid@example.com", "business_address": "1 Kid Street",
          "business_phone": "+1-555-0100", "external_metadata": "{\"crm\":\"K-1\"}"}')
RETURNING id, name;
\! python3 test/contract/tap.py log

-- organizations: PUT of the name (by its id: the PUT alone, a direct UPDATE)
\! python3 test/contract/tap.py clear
UPDATE cf.organizations SET name = 'Renamed' WHERE id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8'
RETURNING id, name;
\! python3 test/contract/tap.py log

-- organization_profiles: PUT of all five fields, answered 204
\! python3 test/contract/tap.py clear
UPDATE cf.organization_profiles SET business_phone = '+1-555-0199' WHERE organization_id = 'org-1'
RETURNING *;
INSERT INTO cf.organization_profiles VALUES ('org-2', 'Two Inc', 'two@example.com', '2 Two Road', '+1-555-0102', '{}')
RETURNING organization_id, business_name;
\! python3 test/contract/tap.py log

-- organization_members: one create, a batchCreate, and a create without status
\! python3 test/contract/tap.py clear
INSERT INTO cf.organization_members (organization_id, user_email, status)
VALUES ('org-1', 'one@example.com', 'active')
RETURNING organization_id, id, status, user_email;
INSERT INTO cf.organization_members (organization_id, user_email, status)
VALUES ('org-1', 'two@example.com', 'active'), ('org-1', 'three@example.com', 'canceled');
INSERT INTO cf.organization_members (organization_id, user_email) VALUES ('org-1', 'four@example.com');
\! python3 test/contract/tap.py log

-- memberships: PUT {"status"} accepted and rejected (the mock answers its
-- example, whose status is "accepted", and RETURNING shows the answer)
\! python3 test/contract/tap.py clear
UPDATE cf.memberships SET status = 'accepted' WHERE id = '4536bcfad5faccb111b47003c79917fa'
RETURNING id, status;
UPDATE cf.memberships SET status = 'rejected' WHERE id = '4536bcfad5faccb111b47003c79917fa'
RETURNING id, status;
\! python3 test/contract/tap.py log

-- DELETE: a member (204), an organization and a membership (200 with the id)
\! python3 test/contract/tap.py clear
DELETE FROM cf.organization_members
 WHERE organization_id = 'org-1' AND id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8' RETURNING id, user_email;
DELETE FROM cf.organizations WHERE id = 'a7b9c3d2e8f4g1h5i6j0k9l2m3n7o4p8' RETURNING id, name;
DELETE FROM cf.memberships WHERE id = '4536bcfad5faccb111b47003c79917fa' RETURNING id, status;
\! python3 test/contract/tap.py log

DROP SCHEMA cf CASCADE;
DROP SERVER mock CASCADE;
