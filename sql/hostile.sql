-- Hostile values: a pushed value never returns a wrong row and never reaches
-- another endpoint.  Each class is shown by its answer, by EXPLAIN and by the
-- emulator's request log (an empty log: no request was needed).
-- Expected output: hostile.out (PostgreSQL 15) and hostile_1.out (later
-- majors, whose EXPLAIN prints a join filter with the scanned column first).
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

-- 1. The API reads an empty filter value as no filter.  A filter-only column
-- cannot be rechecked, and no organization contains an empty id: no row, no
-- request.  An empty name can be rechecked: it is not sent.
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE containing_account = '';
SELECT count(*) FROM organizations WHERE containing_user = '';
SELECT count(*) FROM organizations WHERE containing_organization = '';
SELECT count(*) FROM organizations WHERE parent_id = '';
SELECT count(*) FROM organization_members WHERE status = '';
\! python3 emulator/ctl.py log
SELECT count(*) FROM organizations WHERE name = '';
SELECT count(*) FROM organizations WHERE name IN ('', 'Initech');
SELECT count(*) FROM organizations WHERE id IN ('', '2qcqt9edex1pj0n560wir7mr6038u3mi');
\! python3 emulator/ctl.py log
EXPLAIN (COSTS OFF) SELECT * FROM organizations WHERE containing_account = '';
EXPLAIN (COSTS OFF) SELECT * FROM organizations WHERE name = '';

-- 2. A value that goes into the path: empty, "." and ".." would name another
-- endpoint (GET /organizations/, or /memberships once curl squashed the dot
-- segment).  None can be an id: no row, no request.  Everything else is
-- percent-encoded, "/" and "%" included, and the path goes out as built.
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE id = '';
SELECT count(*) FROM memberships WHERE id = '.';
SELECT count(*) FROM memberships WHERE id = '..';
SELECT count(*) FROM organization_members WHERE organization_id = '..';
SELECT count(*) FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND id = '.';
SELECT count(*) FROM organization_accounts WHERE organization_id IN ('', '.', '..');
\! python3 emulator/ctl.py log
SELECT count(*) FROM organizations WHERE id = '../memberships';
SELECT count(*) FROM memberships WHERE id = '%2e%2e';
SELECT count(*) FROM organization_members WHERE organization_id = '...';
\! python3 emulator/ctl.py log
EXPLAIN (COSTS OFF) SELECT * FROM memberships WHERE id = '..';
EXPLAIN (COSTS OFF) SELECT * FROM organization_members WHERE organization_id = '';
-- the same through a prepared statement's generic plan
PREPARE by_id(text) AS SELECT count(*) FROM memberships WHERE id = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_id('..');
\! python3 emulator/ctl.py clear
EXECUTE by_id('');
EXECUTE by_id('.');
EXECUTE by_id('..');
EXECUTE by_id('e8b0d3a1f6c24e9b8d7a6c5b4a3f2e1d');
\! python3 emulator/ctl.py log
RESET plan_cache_mode;
DEALLOCATE by_id;
-- and through a parameterized nested loop over a local table holding them
CREATE TEMP TABLE wanted_ids (id text);
INSERT INTO wanted_ids VALUES (''), ('.'), ('..'), ('8ih0z5pf164xl3q48c2wuvqmuupnfxg2');
ANALYZE wanted_ids;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF)
SELECT w.id, o.name FROM wanted_ids w JOIN organizations o ON o.id = w.id;
\! python3 emulator/ctl.py clear
SELECT w.id, o.name FROM wanted_ids w JOIN organizations o ON o.id = w.id;
\! python3 emulator/ctl.py log
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- a write whose row would name another endpoint is refused before sending
\! python3 emulator/ctl.py clear
INSERT INTO organization_members (organization_id, user_email) VALUES ('', 'x@example.com');
INSERT INTO organization_members (organization_id, user_email) VALUES ('..', 'x@example.com');
\! python3 emulator/ctl.py log

-- 3. A value beyond the document's limits cannot match: a membership's
-- account name has at most 100 characters, its id at most 32.
\! python3 emulator/ctl.py clear
SELECT count(*) FROM memberships WHERE account_name = repeat('x', 101);
SELECT count(*) FROM memberships WHERE id = repeat('a', 33);
SELECT count(*) FROM memberships WHERE account_name = repeat('x', 100);
\! python3 emulator/ctl.py log
EXPLAIN (COSTS OFF) SELECT * FROM memberships WHERE account_name = repeat('x', 101);
EXPLAIN (COSTS OFF) SELECT * FROM memberships WHERE status = 'Accepted';

-- 4. Case-insensitive filters: the API may fold case otherwise than
-- PostgreSQL.  With a collation that lowers İ to i, "İnitech Türkiye" ILIKE
-- 'ini%'; a server folding with full Unicode rules reads İ as i + U+0307 and
-- would not match name.startsWith=ini.  So ILIKE literals lose i, k and s and
-- every non-ASCII character, and LIKE literals every non-ASCII character,
-- whatever the server's folding: the emulator runs with each of them.
INSERT INTO organizations (name) VALUES ('İnitech Türkiye'), ('Straße & Co'), ('ΑΣ Holdings');
EXPLAIN (COSTS OFF) SELECT name FROM organizations WHERE name COLLATE "C.utf8" ILIKE 'ini%';
EXPLAIN (COSTS OFF) SELECT name FROM organizations WHERE name ILIKE 'acme eu%';
EXPLAIN (COSTS OFF) SELECT name FROM organizations WHERE name LIKE 'ΑΣ%';
EXPLAIN (COSTS OFF) SELECT name FROM organizations WHERE name LIKE 'Straße%';
-- The truth: the emulator's own organizations, loaded into a local table.
CREATE TEMP TABLE truth (doc jsonb);
\copy truth FROM PROGRAM 'python3 emulator/ctl.py dump organizations --jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TEMP TABLE folding_queries (q text);
INSERT INTO folding_queries VALUES
  ($q$name COLLATE "C.utf8" ILIKE 'ini%'$q$),
  ($q$name COLLATE "C.utf8" ILIKE '%TÜRK%'$q$),
  ($q$name ILIKE 'strasse%'$q$),
  ($q$name LIKE 'Straße%'$q$),
  ($q$name LIKE 'ΑΣ%'$q$),
  ($q$name COLLATE "C.utf8" ILIKE 'ασ%'$q$),
  ($q$name ILIKE '%LABS%'$q$);
-- each query through the FDW and over the truth, as the emulator folds now
CREATE FUNCTION folding_answers()
RETURNS TABLE (query text, fdw bigint, truth bigint)
LANGUAGE plpgsql AS $$
BEGIN
  FOR query IN SELECT q FROM folding_queries LOOP
    EXECUTE 'SELECT count(*) FROM organizations WHERE ' || query INTO fdw;
    EXECUTE 'SELECT count(*) FROM (SELECT doc->>''name'' AS name FROM truth) t WHERE '
      || query INTO truth;
    RETURN NEXT;
  END LOOP;
END $$;
\! python3 emulator/ctl.py config '{"case_folding": "full"}' >/dev/null
SELECT * FROM folding_answers();
\! python3 emulator/ctl.py config '{"case_folding": "simple"}' >/dev/null
SELECT * FROM folding_answers();
\! python3 emulator/ctl.py config '{"case_folding": "ascii"}' >/dev/null
SELECT * FROM folding_answers();
\! python3 emulator/ctl.py config '{"case_folding": "full"}' >/dev/null
DELETE FROM organizations WHERE name IN ('İnitech Türkiye', 'Straße & Co', 'ΑΣ Holdings');

-- 5. Characters with a meaning in a URL reach the API as data.
INSERT INTO organizations (name) VALUES ('a&b=c#d?e/f+g%h\i');
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name = 'a&b=c#d?e/f+g%h\i';
SELECT name FROM organizations WHERE name LIKE 'a&b=c#d?e/f+g\%h%';
\! python3 emulator/ctl.py log
DELETE FROM organizations WHERE name = 'a&b=c#d?e/f+g%h\i';

-- clean up
DROP FUNCTION folding_answers();
DROP SERVER cf CASCADE;
