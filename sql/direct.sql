-- Direct DELETE (issue 18, part): a DELETE whose WHERE clause is exactly the
-- object's key, with constants or parameters, sends only the delete call;
-- anything else reads the rows first.  What was sent is checked in the
-- emulator's request log, what was deleted in the emulator's data.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_direct FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_direct
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA cf_direct;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_direct INTO cf_direct;
SET search_path = cf_direct, public;
-- the rows a statement deleted (psql -q hides the command tag)
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

-- a write the table does not allow is refused as before
ALTER FOREIGN TABLE organizations OPTIONS (ADD updatable 'false');
DELETE FROM organizations WHERE id = 'x1';
ALTER FOREIGN TABLE organizations OPTIONS (DROP updatable);

-- clean up
\! python3 emulator/ctl.py reset
DROP SERVER cf_direct CASCADE;
DROP SCHEMA cf_direct;
