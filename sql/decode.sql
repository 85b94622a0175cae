-- The scan reads its pages in place (src/jsonscan.c, src/page.c): bodies
-- the emulator itself never writes, served by test/bodies.py, through the
-- real path.  Every body is JSON text written by hand; see that file.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'cf_api_url', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
CREATE FOREIGN TABLE orgs (
  id text, name text, create_time timestamptz,
  parent_id text, parent_name text, managed_by text, meta jsonb, profile jsonb
) SERVER cf OPTIONS (resource 'organizations');
-- fields the API's document does not describe, so any JSON type may come
-- (a documented field must have its documented type: sql/reliability.sql)
CREATE FOREIGN TABLE org_shapes (
  id text,
  name_text text OPTIONS (json_path 'x_value'),
  name_num numeric OPTIONS (json_path 'x_value'),
  name_bool boolean OPTIONS (json_path 'x_value'),
  parent_text text OPTIONS (json_path 'x_parent'),
  parent_id_text text OPTIONS (json_path 'x_parent.id'),
  meta_text text OPTIONS (json_path 'x_meta'),
  meta_json json OPTIONS (json_path 'x_meta'),
  meta_jsonb jsonb OPTIONS (json_path 'x_meta')
) SERVER cf OPTIONS (resource 'organizations');

-- whitespace anywhere, members in any order
\! python3 test/bodies.py spaced
SELECT id, name, create_time AT TIME ZONE 'UTC' AS created, managed_by, meta FROM orgs;

-- escapes in values and keys decode as JSON says
\! python3 test/bodies.py escapes
SELECT id, name, length(name) AS chars, profile->>'business_name' AS business,
       (profile->>'external_metadata')::jsonb->>'crm_id' AS crm
  FROM orgs ORDER BY id;

-- a repeated key: the last one counts, nested columns included
\! python3 test/bodies.py repeated
SELECT id, name, parent_id, parent_name, managed_by, meta FROM orgs;

-- a second "result": the last one
\! python3 test/bodies.py two_results
SELECT id, name FROM orgs;

-- jsonb keeps numbers exactly
\! python3 test/bodies.py numbers
SELECT meta, meta->'big' AS big, (meta->>'big')::numeric + 1 AS big_plus_one FROM orgs;

-- a path meeting a number, a boolean, a string, an array, an object
\! python3 test/bodies.py shapes
SELECT id, name_text, parent_text, parent_id_text, meta_text, meta_json, meta_jsonb
  FROM org_shapes ORDER BY id;
\! python3 test/bodies.py shapes
SELECT id, name_num FROM org_shapes LIMIT 1;
\! python3 test/bodies.py shapes
SELECT id, name_bool FROM org_shapes ORDER BY id;  -- 12.50 is no boolean
\! python3 emulator/ctl.py faults-clear

-- text cannot hold \u0000; an unpaired surrogate reads as json-c reads it
\! python3 test/bodies.py nul
SELECT id, name FROM orgs;
\! python3 test/bodies.py nul
SELECT id, meta FROM orgs;  -- not read, so no error
\! python3 test/bodies.py surrogate
SELECT id, name, name = 'x' || U&'\FFFD' || 'y' AS replacement FROM orgs;

-- a page token with an escape is sent back decoded (and re-encoded)
\! python3 emulator/ctl.py clear
\! python3 test/bodies.py token1
\! python3 test/bodies.py token2
SELECT id, name FROM orgs;
\! python3 emulator/ctl.py log

-- not JSON: an error, with the parser's words in the detail
\set VERBOSITY default
\! python3 test/bodies.py trailing_comma -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 test/bodies.py leading_zero -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 test/bodies.py control_char -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 test/bodies.py bad_escape -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 test/bodies.py after_value -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 test/bodies.py deep -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
-- a body that ends inside the value is retried (max_retries 1), then fails
\! python3 emulator/ctl.py clear
\! python3 test/bodies.py unclosed -1
SELECT count(id) FROM orgs;
\! python3 emulator/ctl.py faults-clear
\! python3 emulator/ctl.py log
-- once, then the real page: the retry reads it
\! python3 test/bodies.py unclosed
SELECT count(id) FROM orgs;

-- JSON the scan cannot use
\! python3 test/bodies.py not_object_item
SELECT count(id) FROM orgs;
\! python3 test/bodies.py no_result
SELECT count(id) FROM orgs;
\! python3 test/bodies.py result_object
SELECT count(id) FROM orgs;
\! python3 test/bodies.py success_false
SELECT count(id) FROM orgs;
\set VERBOSITY terse

-- the backend is fine, and the real pages read as before
\! python3 emulator/ctl.py faults-clear
SELECT count(*), count(DISTINCT id), min(name) FROM orgs;
DROP SERVER cf CASCADE;
