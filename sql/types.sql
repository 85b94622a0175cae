-- Type conversions, hand-written tables, pagination, rescans and EXPLAIN.
-- Expected output: types.out (PostgreSQL 15) and types_1.out (later majors):
-- from 16 on, count(DISTINCT id) asks the scan for rows sorted by id, which
-- the FDW sends as order=id, and EXPLAIN prints a parameterized join filter
-- with the scanned table's column first.
-- EXPLAIN ANALYZE without what differs between PostgreSQL majors and is not
-- the FDW's doing: 18 prints row counts with two decimals and Buffers lines.
CREATE OR REPLACE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END $$;
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
-- email + key credentials this time
CREATE USER MAPPING FOR CURRENT_USER SERVER cf
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');

-- any subset of columns, in any order, with other types and json_path
CREATE FOREIGN TABLE org_types (
  created timestamp OPTIONS (json_path 'create_time'),
  created_day date OPTIONS (json_path 'create_time'),
  created_tz timestamptz(0) OPTIONS (json_path 'create_time'),
  created_full timestamptz OPTIONS (json_path 'create_time'),
  title varchar(40) OPTIONS (json_path 'name'),
  id text,
  tags text[] OPTIONS (json_path 'meta.hierarchy_tags'),
  flags json OPTIONS (json_path 'meta.tenant_flags'),
  plan text OPTIONS (json_path 'meta.billing.plan'),
  nothing text OPTIONS (json_path 'no.such.field'),
  parent_id text
) SERVER cf OPTIONS (resource 'organizations');
SET timezone = 'America/New_York';
-- timestamp gets the UTC time (never the offset dropped), date the UTC date
SELECT title, created, created_day, created_tz, created = (created_full AT TIME ZONE 'UTC') AS utc,
       array_length(tags, 1) AS depth, flags->>'sub_org_creation' AS sub_orgs, plan,
       nothing, parent_id IS NULL AS root
  FROM org_types ORDER BY created_tz, title;
RESET timezone;

CREATE TYPE member_status AS ENUM ('active', 'pending', 'rejected', 'canceled');
CREATE DOMAIN short_email AS text CHECK (length(VALUE) < 100);
CREATE FOREIGN TABLE member_types (
  level integer OPTIONS (json_path 'meta.clearance.level'),
  level8 bigint OPTIONS (json_path 'meta.clearance.level'),
  leveln numeric(4,1) OPTIONS (json_path 'meta.clearance.level'),
  level2 smallint OPTIONS (json_path 'meta.clearance.level'),
  two_fa boolean OPTIONS (json_path 'user.two_factor_authentication_enabled'),
  two_fa_text text OPTIONS (json_path 'user.two_factor_authentication_enabled'),
  meta_text text OPTIONS (json_path 'meta'),
  state member_status OPTIONS (json_path 'status'),
  email short_email OPTIONS (json_path 'user.email'),
  organization_id text
) SERVER cf OPTIONS (resource 'organization_members');
SELECT level, level8, leveln, level2, two_fa, two_fa_text, meta_text, state, email
  FROM member_types WHERE level IS NOT NULL;
SELECT state, count(*), count(*) FILTER (WHERE two_fa) AS with_2fa
  FROM member_types GROUP BY 1 ORDER BY 1;

-- a value that does not fit its column is an error naming the column
CREATE FOREIGN TABLE bad_int (id text, name integer) SERVER cf OPTIONS (resource 'organizations');
SELECT * FROM bad_int;
CREATE FOREIGN TABLE bad_bool (name boolean) SERVER cf OPTIONS (resource 'organizations');
SELECT * FROM bad_bool;
CREATE FOREIGN TABLE bad_obj (meta integer) SERVER cf OPTIONS (resource 'organizations');
SELECT * FROM bad_obj;
CREATE FOREIGN TABLE bad_len (name varchar(5)) SERVER cf OPTIONS (resource 'organizations');
SELECT * FROM bad_len;
CREATE FOREIGN TABLE bad_domain (email short_email OPTIONS (json_path 'user.email'),
  status member_status, organization_id text)
  SERVER cf OPTIONS (resource 'organization_members');
CREATE TYPE tiny_status AS ENUM ('active');
ALTER FOREIGN TABLE bad_domain ALTER COLUMN status TYPE tiny_status;
SELECT * FROM bad_domain;

-- every RFC 3339 form the API may use reads as PostgreSQL itself reads it
CREATE FOREIGN TABLE stamps (id text, t timestamptz OPTIONS (json_path 'create_time'),
  t_text text OPTIONS (json_path 'create_time')) SERVER cf OPTIONS (resource 'organizations');
\! python3 emulator/ctl.py fault '{"path": "^/organizations$", "body": "{\"success\": true, \"errors\": [], \"messages\": [], \"result\": [{\"id\": \"ts00\", \"name\": \"stamp 0\", \"create_time\": \"2024-02-29T23:59:59Z\", \"meta\": {}}, {\"id\": \"ts01\", \"name\": \"stamp 1\", \"create_time\": \"2024-02-29t23:59:59z\", \"meta\": {}}, {\"id\": \"ts02\", \"name\": \"stamp 2\", \"create_time\": \"2023-12-31T23:30:00-05:30\", \"meta\": {}}, {\"id\": \"ts03\", \"name\": \"stamp 3\", \"create_time\": \"2024-01-01T00:00:00+14:00\", \"meta\": {}}, {\"id\": \"ts04\", \"name\": \"stamp 4\", \"create_time\": \"2024-06-01T12:00:00.1Z\", \"meta\": {}}, {\"id\": \"ts05\", \"name\": \"stamp 5\", \"create_time\": \"2024-06-01T12:00:00.123456Z\", \"meta\": {}}, {\"id\": \"ts06\", \"name\": \"stamp 6\", \"create_time\": \"2024-06-01T12:00:00.1234567Z\", \"meta\": {}}, {\"id\": \"ts07\", \"name\": \"stamp 7\", \"create_time\": \"2024-06-01T12:00:00.9999995Z\", \"meta\": {}}, {\"id\": \"ts08\", \"name\": \"stamp 8\", \"create_time\": \"0001-01-01T00:00:00Z\", \"meta\": {}}, {\"id\": \"ts09\", \"name\": \"stamp 9\", \"create_time\": \"9999-12-31T23:59:59.999999Z\", \"meta\": {}}, {\"id\": \"ts10\", \"name\": \"stamp 10\", \"create_time\": \"2024-06-01 12:00:00Z\", \"meta\": {}}, {\"id\": \"ts11\", \"name\": \"stamp 11\", \"create_time\": \"2024-06-01T12:00:00+0200\", \"meta\": {}}, {\"id\": \"ts12\", \"name\": \"stamp 12\", \"create_time\": \"1999-01-08T04:05:06.000001-08:00\", \"meta\": {}}], \"result_info\": {\"total_size\": 13}}"}'
SET timezone = 'UTC';
SELECT id, t_text, t, t = t_text::timestamptz AS same_as_postgres FROM stamps ORDER BY id;
RESET timezone;
\! python3 emulator/ctl.py fault '{"path":"^/organizations$","body":"{\"success\":true,\"errors\":[],\"messages\":[],\"result\":[{\"id\":\"bad\",\"create_time\":\"2024-02-30T00:00:00Z\"}]}"}'
SELECT * FROM stamps;

-- pagination: page sizes that do and do not divide the row count
ALTER FOREIGN TABLE org_types OPTIONS (ADD page_size '5');
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM org_types;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
ALTER FOREIGN TABLE org_types OPTIONS (SET page_size '13');
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM org_types;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
CREATE FOREIGN TABLE paged_members (id text, organization_id text)
  SERVER cf OPTIONS (resource 'organization_members', page_size '4');
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM paged_members
 WHERE organization_id = '9vgaxgt8qhdt5o3a63p067ur9e481bu1';
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM paged_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
CREATE FOREIGN TABLE paged_memberships (id text, account_name text)
  SERVER cf OPTIONS (resource 'memberships', page_size '5');
\! python3 emulator/ctl.py clear
SELECT count(*), count(DISTINCT id) FROM paged_memberships;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'

-- rescans: the inner side of a nested loop, with and without new parameters
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;
CREATE TEMP TABLE wanted (org_name text);
INSERT INTO wanted VALUES ('Acme Europe'), ('Initech'), ('No Such Org');
ANALYZE wanted;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF)
SELECT w.org_name, o.id FROM wanted w JOIN organizations o ON o.name = w.org_name;
\! python3 emulator/ctl.py clear
SELECT w.org_name, o.id FROM wanted w JOIN organizations o ON o.name = w.org_name ORDER BY 1;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
-- a correlated subquery rescans with a new organization each time
\! python3 emulator/ctl.py clear
SELECT o.name,
       (SELECT count(*) FROM organization_members m WHERE m.organization_id = o.id) AS members
  FROM organizations o WHERE o.parent_id IS NULL ORDER BY 1;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
-- an unparameterized inner side is rescanned as it is: the same request
-- again, answered from the statement's cache
SELECT * FROM explain_analyze($$
SELECT count(m.id)
  FROM wanted w LEFT JOIN memberships m ON m.account_name LIKE w.org_name || '%'$$) AS "QUERY PLAN";
\! python3 emulator/ctl.py clear
SELECT w.org_name, count(m.id)
  FROM wanted w LEFT JOIN memberships m ON m.account_name LIKE w.org_name || '%'
 GROUP BY 1 ORDER BY 1;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- EXPLAIN shows the request; ANALYZE what was sent
EXPLAIN (COSTS OFF) SELECT * FROM organizations;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, name FROM organizations;
EXPLAIN (COSTS OFF) SELECT * FROM organization_members;
EXPLAIN (COSTS OFF) SELECT * FROM organization_profiles;
EXPLAIN (COSTS OFF) SELECT * FROM memberships;
SELECT * FROM explain_analyze('SELECT count(*) FROM paged_memberships') AS "QUERY PLAN";
SELECT * FROM explain_analyze('SELECT * FROM organization_accounts') AS "QUERY PLAN";

-- a fan-out larger than max_requests stops before it starts
ALTER SERVER cf OPTIONS (ADD max_requests '5');
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_members;
\! python3 emulator/ctl.py log | sed -e 's/page_token=[^&]*/page_token=<token>/'
SELECT count(*) FROM organization_members WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi';
ALTER SERVER cf OPTIONS (DROP max_requests);

-- clean up
DROP SERVER cf CASCADE;
DROP TYPE member_status, tiny_status CASCADE;
DROP DOMAIN short_email CASCADE;
