-- INSERT, UPDATE and DELETE: each write becomes the documented call with the
-- exact body, checked in the emulator's request log; RETURNING; refusals at
-- plan time and before sending; what the API refuses; partial failures.
-- Expected output: modify.out (PostgreSQL 15) and modify_1.out (later
-- majors): from 16 on, COPY into a foreign table hands the FDW rows in
-- batches, so COPY of members sends members:batchCreate, and an error found
-- while a batch is converted names no COPY line.
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
CREATE SERVER cf_modify FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_modify
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_modify;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_modify INTO cf_modify;
SET search_path = cf_modify, public;
-- The API's errors carry the emulator's cf-ray, which counts every request
-- since it started: those statements run with VERBOSITY terse, or through
-- this helper, which shows the DETAIL with the ray masked.
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m text;
  d text;
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RETURN 'ERROR: ' || m || E'\nDETAIL: ' || regexp_replace(d, 'cf-ray: [0-9a-f]+-[A-Z]+', 'cf-ray: <ray>', 'g');
END $$;

-- What the API lets each table do (IsForeignRelUpdatable)
SELECT table_name, is_insertable_into FROM information_schema.tables
 WHERE table_schema = 'cf_modify' ORDER BY 1;
SELECT relname, pg_relation_is_updatable(c.oid, false) AS events
  FROM pg_class c WHERE relnamespace = 'cf_modify'::regnamespace ORDER BY 1;

-- ======================================================================
-- organizations
-- ======================================================================

-- INSERT: the flat body {"name", "parent": {"id"}}; RETURNING from the answer
\! python3 emulator/ctl.py clear
INSERT INTO organizations (name, parent_id)
VALUES ('Acme Asia', '83swwm38cort1r31ioqntjqrdp4v52wl')
RETURNING id ~ '^[0-9a-z]{32}$' AS has_id, name, parent_id, parent_name,
          create_time > '2020-01-01' AS has_create_time, meta IS NOT NULL AS has_meta,
          profile, containing_account;
\! python3 emulator/ctl.py log
SELECT id AS asia_id FROM organizations WHERE name = 'Acme Asia' \gset
\setenv ASIA_ID :asia_id

-- INSERT with a profile: all five fields go in "profile"
\! python3 emulator/ctl.py clear
INSERT INTO organizations (name, profile) VALUES ('Hooli', '{"business_name": "Hooli XYZ",
  "business_email": "legal@hooli.example", "business_address": "1 Hooli Way",
  "business_phone": "+1-555-0142", "external_metadata": "{\"crm\":\"H-1\"}"}');
\! python3 emulator/ctl.py log
SELECT name, parent_id, profile->>'business_name' AS business_name
  FROM organizations WHERE name = 'Hooli';

-- a profile the API would refuse: named before anything is sent
\! python3 emulator/ctl.py clear
INSERT INTO organizations (name, profile)
VALUES ('Pied Piper', '{"business_name": "Pied Piper", "business_email": "rh@pp.example", "business_phone": null}');
INSERT INTO organizations (name, profile) VALUES ('Pied Piper', '"just a string"');
\! python3 emulator/ctl.py log

-- the API's own refusals surface: unknown parent, empty name
\set VERBOSITY terse
INSERT INTO organizations (name, parent_id) VALUES ('Orphan', 'no-such-organization');
INSERT INTO organizations (name) VALUES ('');
\set VERBOSITY default
\! python3 emulator/ctl.py log

-- UPDATE of name by its id: PUT /organizations/{id} with {"name"} alone
-- (a direct UPDATE, sql/direct.sql); RETURNING is the PUT's answer
\! python3 emulator/ctl.py clear
UPDATE organizations SET name = 'Acme Asia Pacific' WHERE id = :'asia_id'
RETURNING id = :'asia_id' AS same_id, name, parent_name, profile;
\! python3 emulator/ctl.py log | sed "s/$ASIA_ID/<asia_id>/g"

-- UPDATE found through a list filter; the new name computed from the old one
\! python3 emulator/ctl.py clear
UPDATE organizations SET name = name || ' (beta)' WHERE name = 'Hooli' RETURNING name;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<hooli_id>/'

-- EXPLAIN shows the calls, sends nothing
\! python3 emulator/ctl.py clear
EXPLAIN (VERBOSE, COSTS OFF)
UPDATE organizations SET name = 'x' WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl';
EXPLAIN (VERBOSE, COSTS OFF)
DELETE FROM organizations WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl' RETURNING name;
EXPLAIN (COSTS OFF) INSERT INTO organizations (name) VALUES ('x');
\! python3 emulator/ctl.py log

-- DELETE of a non-empty organization: the API's refusal surfaces
\! python3 emulator/ctl.py clear
SELECT pg_temp.try($$DELETE FROM organizations WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl'$$);
\! python3 emulator/ctl.py log

-- DELETE ... RETURNING gives the row as scanned (the API answers only the id)
\! python3 emulator/ctl.py clear
DELETE FROM organizations WHERE id = :'asia_id'
RETURNING id = :'asia_id' AS same_id, name, parent_id, parent_name, create_time IS NOT NULL AS has_time;
\! python3 emulator/ctl.py log | sed "s/$ASIA_ID/<asia_id>/g"
SELECT count(*) AS left_behind FROM organizations WHERE id = :'asia_id';

-- a target gone between the scan and the DELETE (404) counts as zero rows
\! python3 emulator/ctl.py clear
\! python3 emulator/ctl.py fault '{"method": "DELETE", "path": "^/organizations/nk7wp4x1jmd7wihdrfasc8cw7utqvif6$", "status": 404}'
DELETE FROM organizations WHERE id = 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6' RETURNING name;
\! python3 emulator/ctl.py log
SELECT name FROM organizations WHERE id = 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6';

-- writes are not transactional: a rolled-back INSERT stays created
BEGIN;
INSERT INTO organizations (name) VALUES ('Rolled Back Inc');
ROLLBACK;
SELECT name FROM organizations WHERE name = 'Rolled Back Inc';

-- ======================================================================
-- organization_profiles: PUT with all five fields, 204 without a body
-- ======================================================================

-- UPDATE sends every field (the unchanged ones as scanned); RETURNING the values sent
\! python3 emulator/ctl.py clear
UPDATE organization_profiles SET business_phone = '+49-30-0000'
 WHERE organization_id = '8ih0z5pf164xl3q48c2wuvqmuupnfxg2'
RETURNING *;
\! python3 emulator/ctl.py log

-- INSERT is an upsert: PUT of the whole profile
\! python3 emulator/ctl.py clear
INSERT INTO organization_profiles (organization_id, business_name, business_email,
  business_address, business_phone, external_metadata)
VALUES ('ui7v0g2hcxjnwl50dvacvvq27od2rhh9', 'Acme Labs GmbH', 'labs@acme.example',
  'Labstr. 1, Berlin', '+49-30-1234', '{}')
RETURNING *;
\! python3 emulator/ctl.py log
SELECT business_name, business_phone FROM organization_profiles
 WHERE organization_id = 'ui7v0g2hcxjnwl50dvacvvq27od2rhh9';

-- a missing field is refused before sending; so is a missing organization_id
\! python3 emulator/ctl.py clear
INSERT INTO organization_profiles (organization_id, business_name, business_email)
VALUES ('ui7v0g2hcxjnwl50dvacvvq27od2rhh9', 'Acme Labs GmbH', 'labs@acme.example');
INSERT INTO organization_profiles (business_name, business_email, business_address,
  business_phone, external_metadata) VALUES ('a', 'b', 'c', 'd', 'e');
UPDATE organization_profiles SET business_phone = NULL
 WHERE organization_id = 'ui7v0g2hcxjnwl50dvacvvq27od2rhh9';
\! python3 emulator/ctl.py log

-- the profile of an unknown organization: the API's 404 surfaces for INSERT
\set VERBOSITY terse
INSERT INTO organization_profiles (organization_id, business_name, business_email,
  business_address, business_phone, external_metadata)
VALUES ('no-such-organization', 'a', 'b', 'c', 'd', 'e');
\set VERBOSITY default

-- ======================================================================
-- organization_members
-- ======================================================================

-- INSERT: POST .../members with {"member": {...}}; organization_id from the path
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email, status)
VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'tom.smykowski@initech.example', 'active')
RETURNING organization_id, id ~ '^[0-9a-z]{32}$' AS has_id, status, user_email,
          user_id IS NOT NULL AS has_user_id, create_time IS NOT NULL AS has_time;
\! python3 emulator/ctl.py log

-- status left out is left out of the body (the API's default applies)
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email)
VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'dom.portwood@initech.example')
RETURNING status;
\! python3 emulator/ctl.py log

-- only "active" and "canceled" can be created: anything else fails before sending
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email, status)
VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'drew@initech.example', 'pending');
INSERT INTO organization_members (organization_id, user_email, status)
VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'drew@initech.example', 'ACTIVE');
INSERT INTO organization_members (user_email, status) VALUES ('drew@initech.example', 'active');
\! python3 emulator/ctl.py log

-- the API's refusals: unknown organization (404), an email already a member (409)
\! python3 emulator/ctl.py clear
\set VERBOSITY terse
INSERT INTO organization_members (organization_id, user_email)
VALUES ('no-such-organization', 'drew@initech.example');
\set VERBOSITY default
SELECT pg_temp.try($$INSERT INTO organization_members (organization_id, user_email)
VALUES ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'milton@initech.example')$$);
\! python3 emulator/ctl.py log

-- a multi-row INSERT is grouped per organization into members:batchCreate;
-- a group of one row uses the single create call
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email, status) VALUES
  ('su0xsch873cb0979067rjp3r3q0ezpim', 'a1@initech.example', 'active'),
  ('nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'b1@initech.example', 'active'),
  ('su0xsch873cb0979067rjp3r3q0ezpim', 'a2@initech.example', 'canceled'),
  ('su0xsch873cb0979067rjp3r3q0ezpim', 'a3@initech.example', 'active');
\! python3 emulator/ctl.py log

-- EXPLAIN: the batch call and its size; RETURNING turns batching off
EXPLAIN (COSTS OFF)
INSERT INTO organization_members (organization_id, user_email)
SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'u' || g || '@initech.example' FROM generate_series(1, 25) g;
EXPLAIN (COSTS OFF)
INSERT INTO organization_members (organization_id, user_email)
SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'u' || g || '@initech.example' FROM generate_series(1, 25) g
RETURNING id;

-- 25 members into one organization without RETURNING: 3 batchCreate calls of 10, 10, 5
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email)
SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'u' || g || '@initech.example' FROM generate_series(1, 25) g;
\! python3 emulator/ctl.py log | python3 -c 'import sys, json; [print(l.split(" ")[0], l.split(" ")[1], len(json.loads(l.split(" ", 2)[2])["members"])) for l in sys.stdin]'
\! python3 emulator/ctl.py log | head -1

-- EXPLAIN ANALYZE counts the calls
\! python3 emulator/ctl.py clear
SELECT * FROM explain_analyze($$
INSERT INTO organization_members (organization_id, user_email)
SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'v' || g || '@initech.example' FROM generate_series(1, 12) g$$)
  AS "QUERY PLAN";
\! python3 emulator/ctl.py log | sed -E 's/ \{.*//'

-- with RETURNING: one POST per row, each row filled from its answer
\! python3 emulator/ctl.py clear
WITH ins AS (
  INSERT INTO organization_members (organization_id, user_email)
  SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'w' || g || '@initech.example' FROM generate_series(1, 25) g
  RETURNING organization_id, id, user_email, status)
SELECT count(*) AS rows, count(DISTINCT id) AS ids, min(user_email), max(user_email),
       min(status) AS status, min(organization_id) AS organization_id FROM ins;
\! python3 emulator/ctl.py log | sed -E 's/ \{.*//' | sort | uniq -c

-- batch_size lowers the batch (the option is capped at the API's 10)
ALTER FOREIGN TABLE organization_members OPTIONS (ADD batch_size '4');
EXPLAIN (COSTS OFF)
INSERT INTO organization_members (organization_id, user_email) SELECT 'x', 'y';
ALTER FOREIGN TABLE organization_members OPTIONS (SET batch_size '11');
ALTER FOREIGN TABLE organization_members OPTIONS (DROP batch_size);

-- the emulator holds what was sent
CREATE TEMP TABLE emu_members (j jsonb);
\copy emu_members from program 'python3 emulator/ctl.py dump members --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
SELECT j->>'organization_id' AS organization_id, j->>'status' AS status, count(*)
  FROM emu_members WHERE j->'user'->>'email' ~ '^[uvw][0-9]+@'
 GROUP BY 1, 2 ORDER BY 1, 2;

-- COPY FROM: one create call per row (PostgreSQL 15 does not batch COPY into
-- a foreign table)
\! python3 emulator/ctl.py clear
COPY organization_members (organization_id, user_email, status) FROM stdin;
2qcqt9edex1pj0n560wir7mr6038u3mi	copy1@initech.example	active
2qcqt9edex1pj0n560wir7mr6038u3mi	copy2@initech.example	canceled
su0xsch873cb0979067rjp3r3q0ezpim	copy3@initech.example	\N
\.
\! python3 emulator/ctl.py log
-- COPY into a column the API does not take, or an invalid value
COPY organization_members (organization_id, id, user_email) FROM stdin;
2qcqt9edex1pj0n560wir7mr6038u3mi	x	copy4@initech.example
\.
COPY organization_members (organization_id, user_email, status) FROM stdin;
2qcqt9edex1pj0n560wir7mr6038u3mi	copy4@initech.example	rejected
\.
COPY organization_accounts (organization_id, name) FROM stdin;
2qcqt9edex1pj0n560wir7mr6038u3mi	x
\.

-- an error before sending, after earlier rows were created (RETURNING: no
-- batching): the DETAIL lists what was created
\! python3 emulator/ctl.py clear
SELECT regexp_replace(pg_temp.try($$INSERT INTO organization_members (organization_id, user_email, status)
VALUES ('nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'r1@initech.example', 'active'),
       ('nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 'r2@initech.example', 'pending') RETURNING id$$),
       'undo: [0-9a-z]{32}', 'undo: <id>');
\! python3 emulator/ctl.py log

-- AFTER ROW triggers: no batching, and the trigger sees the created object;
-- on DELETE it sees the row as scanned
CREATE FUNCTION cf_modify.show_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    RAISE NOTICE 'inserted % into % (id from the API: %)',
      NEW.user_email, NEW.organization_id, NEW.id ~ '^[0-9a-z]{32}$';
    RETURN NEW;
  END IF;
  RAISE NOTICE 'deleted % (%)', OLD.user_email, OLD.status;
  RETURN OLD;
END $$;
CREATE TRIGGER show AFTER INSERT OR DELETE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION cf_modify.show_member();
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email)
SELECT 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6', 't' || g || '@initech.example' FROM generate_series(1, 2) g;
\! python3 emulator/ctl.py log | sed -E 's/ \{.*//'
\! python3 emulator/ctl.py clear
DELETE FROM organization_members
 WHERE organization_id = 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6' AND user_email = 't1@initech.example'
RETURNING user_email, status;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}$/<id>/'
DROP TRIGGER show ON organization_members;

-- DELETE by id and organization: one lookup, one DELETE (204); RETURNING as scanned
\! python3 emulator/ctl.py clear
DELETE FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND id = 'z2xzhf7v5f99cri25z1hv8uwxluyeu74'
RETURNING organization_id, id, user_email, status;
\! python3 emulator/ctl.py log
-- again: the lookup finds nothing, so nothing is deleted
\! python3 emulator/ctl.py clear
DELETE FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND id = 'z2xzhf7v5f99cri25z1hv8uwxluyeu74'
RETURNING id;
\! python3 emulator/ctl.py log

-- a multi-row DELETE that fails part way lists what it had already deleted
\! python3 emulator/ctl.py clear
\! python3 emulator/ctl.py fault '{"method": "DELETE", "path": "/members/vzt0pl6cr7csvwnbkxujbbx7ze6gz90d$", "status": 403}'
SELECT pg_temp.try($$DELETE FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi'
   AND user_email IN ('peter.gibbons@initech.example', 'michael.bolton@initech.example')$$);
\! python3 emulator/ctl.py log
SELECT user_email FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi'
   AND user_email IN ('peter.gibbons@initech.example', 'michael.bolton@initech.example');

-- a batch INSERT whose second call fails: the DETAIL lists the members the first
-- call created (ids masked here, then compared with the emulator's)
\! python3 emulator/ctl.py clear
\! python3 emulator/ctl.py fault '{"method": "POST", "path": "^/organizations/l1uj8hie13wxk7h0wsty5przv7ze8716/members:batchCreate$", "status": 500}'
CREATE TEMP TABLE failure (detail text);
DO $$
DECLARE
  d text;
BEGIN
  INSERT INTO cf_modify.organization_members (organization_id, user_email)
  SELECT CASE WHEN g <= 10 THEN 'u1vws9313ppxv2x6rrxpa1l6snch730m' ELSE 'l1uj8hie13wxk7h0wsty5przv7ze8716' END,
         'p' || g || '@acme.example'
    FROM generate_series(1, 20) g;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE 'error: %', SQLERRM;
  INSERT INTO failure VALUES (d);
END $$;
SELECT regexp_replace(regexp_replace(detail, '(undo: |, )[0-9a-z]{32}', '\1<id>', 'g'),
                      'cf-ray: [0-9a-f]+-[A-Z]+', 'cf-ray: <ray>') AS detail FROM failure;
\! python3 emulator/ctl.py log | sed -E 's/ \{.*//'
TRUNCATE emu_members;
\copy emu_members from program 'python3 emulator/ctl.py dump members --jsonl' with (format csv, quote e'\x01', delimiter e'\x02')
SELECT (SELECT array_agg(m[1] ORDER BY m[1])
          FROM regexp_matches(substring(detail from 'undo: .*$'), '([0-9a-z]{32})', 'g') m) =
       (SELECT array_agg(j->>'id' ORDER BY j->>'id') FROM emu_members WHERE j->'user'->>'email' ~ '^p[0-9]+@')
       AS detail_lists_the_created_members
  FROM failure;
SELECT j->>'organization_id' AS organization_id, count(*) FROM emu_members
 WHERE j->'user'->>'email' ~ '^p[0-9]+@' GROUP BY 1;

-- ======================================================================
-- memberships: PUT {"status"} to accepted or rejected; DELETE
-- ======================================================================

\! python3 emulator/ctl.py clear
UPDATE memberships SET status = 'accepted' WHERE id = 'xkpg2mqkcldklsfzn4j0nxlaauyfuz3i'
RETURNING id, status, account_name;
\! python3 emulator/ctl.py log
-- a status the call does not take, or none: refused before anything is sent
\! python3 emulator/ctl.py clear
UPDATE memberships SET status = 'pending' WHERE id = 'xkpg2mqkcldklsfzn4j0nxlaauyfuz3i';
UPDATE memberships SET status = NULL WHERE id = 'xkpg2mqkcldklsfzn4j0nxlaauyfuz3i';
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py clear
DELETE FROM memberships WHERE id = 'pfvkzbo8u2nto0wjwnmrm39azh8rye5c' RETURNING id, status, account_name;
\! python3 emulator/ctl.py log

-- ======================================================================
-- refused at plan time: nothing is sent
-- ======================================================================
\! python3 emulator/ctl.py clear
-- writes the API has no call for
INSERT INTO organization_accounts (organization_id, name) VALUES ('x', 'y');
UPDATE organization_accounts SET name = 'y' WHERE organization_id = 'x';
DELETE FROM organization_accounts WHERE organization_id = 'x';
INSERT INTO memberships (status) VALUES ('accepted');
UPDATE organization_members SET status = 'canceled' WHERE organization_id = 'x';
DELETE FROM organization_profiles WHERE organization_id = 'x';
-- read-only columns, and changes the API cannot express
INSERT INTO organizations (id, name) VALUES ('x', 'y');
INSERT INTO organizations VALUES ('x', 'y');
UPDATE organizations SET create_time = now() WHERE id = 'x';
UPDATE organizations SET parent_id = 'y' WHERE id = 'x';
UPDATE organization_profiles SET organization_id = 'y' WHERE organization_id = 'x';
UPDATE memberships SET roles = '{}' WHERE id = 'x';
INSERT INTO organization_members (organization_id, user_email, user_name) VALUES ('x', 'y', 'z');
INSERT INTO organizations (name, containing_account) VALUES ('x', 'y');
INSERT INTO organizations (name) VALUES ('x') ON CONFLICT DO NOTHING;
-- UPDATE and DELETE without a WHERE clause
DELETE FROM organizations;
UPDATE memberships SET status = 'accepted';
DELETE FROM organization_members;
-- ... but a condition in a subquery is a WHERE clause too
EXPLAIN (COSTS OFF)
DELETE FROM memberships WHERE id IN (SELECT 'x' UNION SELECT 'y');
-- updatable 'false' on the table (or the server)
ALTER FOREIGN TABLE organizations OPTIONS (ADD updatable 'false');
INSERT INTO organizations (name) VALUES ('x');
DELETE FROM organizations WHERE id = 'x';
SELECT is_insertable_into FROM information_schema.tables
 WHERE table_schema = 'cf_modify' AND table_name = 'organizations';
ALTER FOREIGN TABLE organizations OPTIONS (DROP updatable);
ALTER SERVER cf_modify OPTIONS (ADD updatable 'false');
UPDATE memberships SET status = 'accepted' WHERE id = 'x';
ALTER SERVER cf_modify OPTIONS (DROP updatable);
\! python3 emulator/ctl.py log

-- allow_unfiltered_writes lets an UPDATE/DELETE without WHERE through:
-- one list, then one call per row
\! python3 emulator/ctl.py clear
ALTER FOREIGN TABLE memberships OPTIONS (ADD allow_unfiltered_writes 'true');
DELETE FROM memberships;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/' | sort | uniq -c
SELECT count(*) AS memberships_left FROM memberships;

-- leave the emulator as the next test expects it
\! python3 emulator/ctl.py reset
RESET search_path;
DROP SCHEMA cf_modify CASCADE;
DROP SERVER cf_modify CASCADE;
