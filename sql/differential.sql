-- The differential test: generated queries return exactly the same rows
-- with pushdown on as with every clause filtered locally (pushdown 'false').
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf_on FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE SERVER cf_off FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url', pushdown 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_on OPTIONS (api_token 'test-token');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_off OPTIONS (api_token 'test-token');
CREATE SCHEMA pd;
CREATE SCHEMA np;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_on INTO pd;
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf_off INTO np;
CREATE TABLE keys (k text);
INSERT INTO keys VALUES ('83swwm38cort1r31ioqntjqrdp4v52wl'), ('2qcqt9edex1pj0n560wir7mr6038u3mi'),
  ('Acme Europe'), ('user@example.com'), (NULL);
ANALYZE keys;

CREATE FUNCTION pick(VARIADIC a text[]) RETURNS text LANGUAGE sql AS
$$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;

-- one random predicate on a column of the given table
CREATE FUNCTION gen_pred(tbl text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  org_ids text := pick('''83swwm38cort1r31ioqntjqrdp4v52wl''', '''9vgaxgt8qhdt5o3a63p067ur9e481bu1''',
                       '''ui7v0g2hcxjnwl50dvacvvq27od2rhh9''', '''nk7wp4x1jmd7wihdrfasc8cw7utqvif6''',
                       '''no-such-org''', 'NULL');
  pat text := pick('''Acme%''', '''%Team''', '''%e%''', '''a%''', '''A_me%''', '''%''', '''Acme\_%''',
                   '''Glob%Sec%''', '''%ö%''', '''%Ö%''', '''Zoë%''', '''%EUROPE''', '''_nitech''',
                   '''%@acme.example''', '''USER@%''', '''%.example''', '''%+%''', '''%labs%''',
                   '''%Production''', '''acme%''');
  op text := pick('LIKE', 'ILIKE', 'NOT LIKE');
BEGIN
  CASE tbl
  WHEN 'organizations' THEN
    RETURN pick('id = ' || org_ids,
                'id IN (' || org_ids || ', ''2qcqt9edex1pj0n560wir7mr6038u3mi'')',
                'id = ANY (ARRAY[' || org_ids || ', ''l1uj8hie13wxk7h0wsty5przv7ze8716''])',
                'name = ' || pick('''Initech''', '''initech''', '''Acme Europe''', '''Globex Red Team''', '''x'''),
                'name ' || op || ' ' || pat,
                'parent_id = ' || org_ids, 'parent_id IS NULL', 'parent_id IS NOT NULL',
                'name <> ''Initech''', 'create_time > ''2024-03-01''',
                '(name LIKE ''Acme%'' OR parent_id IS NULL)');
  WHEN 'organization_members' THEN
    RETURN pick('organization_id = ' || org_ids,
                'organization_id IN (' || org_ids || ', ''2qcqt9edex1pj0n560wir7mr6038u3mi'')',
                'status = ' || pick('''active''', '''pending''', '''ACTIVE''', '''bogus''', '''canceled'''),
                'status IN (' || pick('''active''', '''Rejected''') || ', ''pending'')',
                'user_email = ' || pick('''user@example.com''', '''USER@example.com''', '''nobody@x'''),
                'user_email ' || op || ' ' || pat,
                'user_two_factor_authentication_enabled',
                'id = ' || pick('''vo06kb8lwuu4vtst6oirb9nv2ch8l08z''', '''nope'''),
                'user_name ' || op || ' ' || pat);
  WHEN 'organization_accounts' THEN
    RETURN pick('organization_id = ' || org_ids,
                'name = ' || pick('''Acme Production''', '''acme production''', '''x'''),
                'name ' || op || ' ' || pat, 'type = ''enterprise''', 'enforce_twofactor');
  ELSE
    RETURN pick('id = ' || pick('''t7nxeit601f5wrzcxfbl8e5jj6r998rv''', '''missing''', 'NULL'),
                'status = ' || pick('''accepted''', '''pending''', '''Pending''', '''rejected'''),
                'account_name = ' || pick('''Acme Production''', '''acme production''', '''x'''),
                'account_name ' || op || ' ' || pat, '''Administrator'' = ANY (roles)');
  END CASE;
END $$;

CREATE FUNCTION run_corpus(n int, OUT queries int, OUT mismatches int, OUT scanned int,
                           OUT pushed int)
LANGUAGE plpgsql AS $$
DECLARE
  tbl text; cols text; ord text; q text; w text; tail text; plan_on text; plan_off text;
  diff bigint; line text;
BEGIN
  queries := 0; mismatches := 0; scanned := 0; pushed := 0;
  PERFORM setseed(0.4242);
  FOR i IN 1..n LOOP
    tbl := pick('organizations', 'organizations', 'organization_members', 'organization_members',
                'organization_accounts', 'memberships');
    cols := CASE tbl
      WHEN 'organizations' THEN 'id, name, parent_id, create_time, meta'
      WHEN 'organization_members' THEN 'organization_id, id, status, user_email, user_name, create_time'
      WHEN 'organization_accounts' THEN 'organization_id, id, name, type, settings'
      ELSE 'id, status, account_name, roles, permissions' END;
    ord := CASE tbl WHEN 'organization_members' THEN 'organization_id, id'
                    WHEN 'organization_accounts' THEN 'organization_id, id' ELSE 'id' END;
    w := gen_pred(tbl);
    FOR j IN 1..floor(random() * 3)::int LOOP
      w := w || pick(' AND ', ' AND ', ' OR ') || gen_pred(tbl);
    END LOOP;
    tail := pick('', '', '', ' ORDER BY ' || ord || ' LIMIT ' || (1 + floor(random() * 5)::int),
                 ' ORDER BY ' || ord || ' DESC LIMIT 3 OFFSET 1', ' ORDER BY name');
    IF tail = ' ORDER BY name' AND tbl NOT IN ('organizations', 'organization_accounts') THEN
      tail := '';
    END IF;
    IF random() < 0.15 THEN
      q := format('SELECT %s, k.k FROM keys k JOIN @S@.%I t ON t.%s = k.k',
                  cols, tbl,
                  CASE tbl WHEN 'organization_members' THEN pick('organization_id', 'user_email')
                           WHEN 'organization_accounts' THEN 'organization_id'
                           WHEN 'organizations' THEN pick('id', 'name') ELSE 'id' END);
      q := q || ' WHERE ' || w;
      tail := '';
    ELSE
      q := format('SELECT %s FROM @S@.%I WHERE ', cols, tbl) || w;
    END IF;
    q := 'SELECT * FROM (' || q || tail || ') s';
    queries := queries + 1;
    EXECUTE format('SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s)) d',
                   replace(q, '@S@', 'pd'), replace(q, '@S@', 'np'),
                   replace(q, '@S@', 'np'), replace(q, '@S@', 'pd'))
      INTO diff;
    IF diff <> 0 THEN
      mismatches := mismatches + 1;
      RAISE NOTICE 'mismatch: %', replace(q, '@S@', 'pd');
    END IF;
    plan_on := ''; plan_off := '';
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || replace(q, '@S@', 'pd') LOOP
      IF line LIKE '%Cloudflare API:%' THEN plan_on := plan_on || line; END IF;
    END LOOP;
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || replace(q, '@S@', 'np') LOOP
      IF line LIKE '%Cloudflare API:%' THEN plan_off := plan_off || line; END IF;
    END LOOP;
    IF plan_on <> '' THEN scanned := scanned + 1; END IF;
    IF plan_on <> plan_off THEN pushed := pushed + 1; END IF;
  END LOOP;
END $$;

-- "most pushed" counts among the queries that reach the API at all: a
-- planner that folds a contradiction (x = 'a' AND x = 'b') into a One-Time
-- Filter sends nothing, and PostgreSQL 17 folds more of them than 15.
SELECT queries, mismatches, pushed >= scanned / 2 AS most_pushed FROM run_corpus(240);

DROP SCHEMA pd, np CASCADE;
DROP SERVER cf_on CASCADE;
DROP SERVER cf_off CASCADE;
DROP TABLE keys;
DROP FUNCTION run_corpus, gen_pred, pick;
