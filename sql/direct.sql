-- Direct UPDATE and DELETE (issue 18): an UPDATE or DELETE whose WHERE
-- clause is exactly the object's key, with constants or parameters, sends
-- only the modify or delete call; anything else reads the rows first.
-- What was sent is checked in the emulator's request log, what was written
-- in the emulator's data.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_direct FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_direct
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_direct;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_direct INTO cf_direct;
SET search_path = cf_direct, public;
-- the rows a statement deleted or changed (psql -q hides the command tag)
CREATE FUNCTION pg_temp.deleted(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
-- EXPLAIN ANALYZE without what differs between PostgreSQL majors
CREATE FUNCTION pg_temp.explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ', 'g');
  END LOOP;
END $$;

-- the plans: the key alone goes straight to the delete call
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organizations WHERE id = 'x1';
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organization_members WHERE organization_id = 'o1' AND id = 'm1';
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM memberships WHERE id = 'ms1';
-- a key that names no object: no request at all
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organizations WHERE id = '..';
-- these read the rows first: RETURNING (the delete call answers without
-- the row), another condition, a member without its organization
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organizations WHERE id = 'x1' RETURNING name;
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organizations WHERE id = 'x1' AND name = 'Acme';
EXPLAIN (VERBOSE, COSTS OFF)
  DELETE FROM organization_members WHERE id = 'm1';

-- what is sent: the DELETE only; the second time a 404, zero rows
INSERT INTO organizations (name) VALUES ('Direct Delete Ltd');
SELECT id AS did FROM organizations WHERE name = 'Direct Delete Ltd' \gset
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted(format('DELETE FROM organizations WHERE id = %L', :'did'));
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
\! python3 emulator/ctl.py dump organizations --jsonl | grep -c 'Direct Delete Ltd'
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted(format('DELETE FROM organizations WHERE id = %L', :'did'));
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
-- a key that names no object sends nothing
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted($$DELETE FROM organizations WHERE id = '..'$$),
       pg_temp.deleted($$DELETE FROM organizations WHERE id = ''$$);
\! python3 emulator/ctl.py log

-- a parameter: the generic plan too
INSERT INTO organization_members (organization_id, user_email)
  VALUES ('83swwm38cort1r31ioqntjqrdp4v52wl', 'direct1@example.com'),
         ('83swwm38cort1r31ioqntjqrdp4v52wl', 'direct2@example.com');
PREPARE del_member(text, text) AS
  DELETE FROM organization_members WHERE organization_id = $1 AND id = $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE del_member('o', 'm');
SELECT id AS m1 FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email = 'direct1@example.com' \gset
\! python3 emulator/ctl.py clear
EXECUTE del_member('83swwm38cort1r31ioqntjqrdp4v52wl', :'m1');
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
RESET plan_cache_mode;
SELECT user_email FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email LIKE 'direct%'
 ORDER BY 1;

-- EXPLAIN ANALYZE counts the call; the statement's writes are in the
-- rollback's WARNING, as for any write
SELECT id AS m2 FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email = 'direct2@example.com' \gset
BEGIN;
SELECT regexp_replace(l, '[0-9a-z]{32}$', '<id>') FROM pg_temp.explain_analyze(format(
  'DELETE FROM organization_members WHERE organization_id = %L AND id = %L',
  '83swwm38cort1r31ioqntjqrdp4v52wl', :'m2')) AS l;
ROLLBACK;
SELECT count(*) AS direct2_left FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email = 'direct2@example.com';

-- Direct UPDATE: the modify call alone, when the UPDATE sets every field
-- the call takes from values known without the row; RETURNING is the call's
-- answer
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = 'New name' WHERE id = 'x1';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = 'New ' || 'name' WHERE id = 'x1' RETURNING id, name;
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE memberships SET status = 'accepted' WHERE id = 'ms1';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organization_profiles
     SET business_name = 'a', business_email = 'b@example.com', business_address = 'c',
         business_phone = 'd', external_metadata = 'e'
   WHERE organization_id = 'o1';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = 'New name' WHERE id = '..';
-- these read the row first: a value from the row, a field left as it is (a
-- profile's PUT replaces them all), RETURNING from a call that answers
-- without the object (a profile's 204), another condition, a volatile value
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = name || ' Ltd' WHERE id = 'x1';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organization_profiles SET business_name = 'a' WHERE organization_id = 'o1';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organization_profiles
     SET business_name = 'a', business_email = 'b@example.com', business_address = 'c',
         business_phone = 'd', external_metadata = 'e'
   WHERE organization_id = 'o1' RETURNING business_name;
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = 'New name' WHERE id = 'x1' AND name = 'Acme';
EXPLAIN (VERBOSE, COSTS OFF)
  UPDATE organizations SET name = 'New ' || random()::text WHERE id = 'x1';

-- what is sent: the PUT only; RETURNING is the API's answer
INSERT INTO organizations (name) VALUES ('Direct Update Ltd');
SELECT id AS uid FROM organizations WHERE name = 'Direct Update Ltd' \gset
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted(format('UPDATE organizations SET name = %L WHERE id = %L',
                              'Direct Update Renamed', :'uid')) AS changed;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
\! python3 emulator/ctl.py dump organizations --jsonl | grep -c '"name":"Direct Update Renamed"'
\! python3 emulator/ctl.py clear
UPDATE organizations SET name = 'Direct Update Returned' WHERE id = :'uid'
  RETURNING id = :'uid' AS same_id, name, create_time IS NOT NULL AS has_time, parent_id;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
\! python3 emulator/ctl.py dump organizations --jsonl | grep -c '"name":"Direct Update Returned"'
-- an object that is gone: a 404, zero rows, nothing returned
DELETE FROM organizations WHERE id = :'uid';
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted(format('UPDATE organizations SET name = %L WHERE id = %L',
                              'Nobody', :'uid')) AS changed;
UPDATE organizations SET name = 'Nobody' WHERE id = :'uid' RETURNING name;
\! python3 emulator/ctl.py log | sed -E 's/[0-9a-z]{32}/<id>/g'
-- a key that names no object sends nothing
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted($$UPDATE organizations SET name = 'x' WHERE id = '..'$$) AS changed;
\! python3 emulator/ctl.py log | wc -l
-- a parameter, the generic plan too
PREPARE set_status(text, text) AS
  UPDATE memberships SET status = $2 WHERE id = $1 RETURNING status;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE set_status('ms', 'accepted');
\! python3 emulator/ctl.py clear
EXECUTE set_status('tkmnq9kie3qh3zoiuuyshighaedlyi1a', 'rejected');
\! python3 emulator/ctl.py log
RESET plan_cache_mode;
\! python3 emulator/ctl.py dump memberships --jsonl | grep '"id":"tkmnq9kie3qh3zoiuuyshighaedlyi1a"' | grep -c '"status":"rejected"'
-- values the call does not take are refused before anything is sent
\! python3 emulator/ctl.py clear
UPDATE memberships SET status = 'pending' WHERE id = 'tkmnq9kie3qh3zoiuuyshighaedlyi1a';
UPDATE organizations SET name = NULL WHERE id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py log | wc -l
-- a profile with every field set: the PUT alone
\! python3 emulator/ctl.py clear
SELECT pg_temp.deleted($$UPDATE organization_profiles
   SET business_name = 'Acme Direct', business_email = 'direct@acme.example',
       business_address = '1 Direct Way', business_phone = '+1-555-0199',
       external_metadata = '{}'
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl'$$) AS changed;
\! python3 emulator/ctl.py log
\! python3 emulator/ctl.py dump profiles --jsonl | grep '"organization_id":"83swwm38cort1r31ioqntjqrdp4v52wl"' | grep -c '"business_name":"Acme Direct"'

-- a write the table does not allow is refused as before
ALTER FOREIGN TABLE organizations OPTIONS (ADD updatable 'false');
DELETE FROM organizations WHERE id = 'x1';
UPDATE organizations SET name = 'x' WHERE id = 'x1';
ALTER FOREIGN TABLE organizations OPTIONS (DROP updatable);

-- clean up
\! python3 emulator/ctl.py reset
DROP SERVER cf_direct CASCADE;
DROP SCHEMA cf_direct;
