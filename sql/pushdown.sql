-- Which WHERE clauses become API filters: each pushed form in EXPLAIN, and
-- in the emulator's request log what was really sent.
\! python3 emulator/ctl.py reset
\getenv cf_api_url CF_API_URL
CREATE SERVER cf FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'cf_api_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf OPTIONS (api_token 'test-token');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cf INTO public;

-- organizations
EXPLAIN (VERBOSE, COSTS OFF) SELECT name FROM organizations WHERE id = '8ih0z5pf164xl3q48c2wuvqmuupnfxg2';
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE id = '8ih0z5pf164xl3q48c2wuvqmuupnfxg2';
SELECT name FROM organizations WHERE id = 'no-such-org';
\! python3 emulator/ctl.py log | LC_ALL=C sort
EXPLAIN (COSTS OFF) SELECT name FROM organizations
 WHERE id IN ('8ih0z5pf164xl3q48c2wuvqmuupnfxg2', '2qcqt9edex1pj0n560wir7mr6038u3mi');
\! python3 emulator/ctl.py clear
SELECT name FROM organizations
 WHERE id IN ('8ih0z5pf164xl3q48c2wuvqmuupnfxg2', '2qcqt9edex1pj0n560wir7mr6038u3mi') ORDER BY 1;
SELECT name FROM organizations
 WHERE id = ANY (ARRAY['2qcqt9edex1pj0n560wir7mr6038u3mi', NULL]) ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name = 'Initech';
SELECT name FROM organizations WHERE name = 'initech';
SELECT name FROM organizations WHERE name LIKE 'Acme%' ORDER BY 1;
SELECT name FROM organizations WHERE name ILIKE '%LABS%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE '%Team' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE 'Globex_Se%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE '%e%a%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE 'acme%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE '%' AND parent_id IS NULL ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- patterns whose literal text needs care: escapes, non-ASCII under ILIKE
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name LIKE 'Acme\_%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE 'Acme#%' ESCAPE '#' ORDER BY 1;
SELECT name FROM organizations WHERE name ILIKE 'ÄCME%' ORDER BY 1;
SELECT name FROM organizations WHERE name LIKE 'Ä%' ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- the tree
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE parent_id = '9vgaxgt8qhdt5o3a63p067ur9e481bu1' ORDER BY 1;
SELECT name FROM organizations WHERE parent_id IS NULL ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- filter-only columns echo their value, and take nothing but =
EXPLAIN (COSTS OFF) SELECT name, containing_account FROM organizations
 WHERE containing_account = 'nozzqp9md1jkci4o0kshh05ttmtt9j1g';
\! python3 emulator/ctl.py clear
SELECT name, containing_account FROM organizations
 WHERE containing_account = 'nozzqp9md1jkci4o0kshh05ttmtt9j1g' ORDER BY 1;
SELECT name, containing_organization FROM organizations
 WHERE containing_organization = '83oejlo7gdtlak4bc4itdbjgqmvdcc2t' ORDER BY 1;
SELECT name FROM organizations WHERE containing_user = '03g0q9s5l5okboslmazbg0bmmci4allo' ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- with an id as well: the list carries the filter-only value (the lookup by
-- id could not), the id is checked here
EXPLAIN (COSTS OFF) SELECT name, containing_account FROM organizations
 WHERE containing_account = 'nozzqp9md1jkci4o0kshh05ttmtt9j1g'
   AND id = '83swwm38cort1r31ioqntjqrdp4v52wl';
\! python3 emulator/ctl.py clear
SELECT name, containing_account FROM organizations
 WHERE containing_account = 'nozzqp9md1jkci4o0kshh05ttmtt9j1g'
   AND id = '83swwm38cort1r31ioqntjqrdp4v52wl';
SELECT count(*) FROM organizations
 WHERE containing_account = 'nozzqp9md1jkci4o0kshh05ttmtt9j1g'
   AND id = '9vgaxgt8qhdt5o3a63p067ur9e481bu1';
\! python3 emulator/ctl.py log | LC_ALL=C sort
\! python3 emulator/ctl.py dump accounts --jsonl | grep '"id":"nozzqp9md1jkci4o0kshh05ttmtt9j1g"' | grep -o '"organization_id":"[a-z0-9]*"'
SELECT name FROM organizations WHERE containing_user LIKE 'x%';
SELECT name FROM organizations WHERE containing_user IS NULL;
SELECT name FROM organizations WHERE containing_user <> 'x';
SELECT name FROM organizations WHERE containing_user = 'a' OR name = 'Initech';
-- values known only at run time: parameters (also in generic plans),
-- stable expressions; volatile ones stay local
PREPARE by_name(text) AS SELECT id FROM organizations WHERE name = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE by_name('Initech');
\! python3 emulator/ctl.py clear
EXECUTE by_name('Initech');
EXECUTE by_name('Globex Retail');
\! python3 emulator/ctl.py log | LC_ALL=C sort
PREPARE by_pattern(text) AS SELECT name FROM organizations WHERE name LIKE $1 ORDER BY 1;
EXPLAIN (COSTS OFF) EXECUTE by_pattern('Glob%');
\! python3 emulator/ctl.py clear
EXECUTE by_pattern('Glob%');
EXECUTE by_pattern('%');
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- values are evaluated in the plan's order, and none after one that can
-- match no row: the empty organization id ends the scan before the time
-- that would not convert, or the subquery that would send a request
PREPARE lazy(text, text) AS SELECT count(*) FROM organization_audit_logs
 WHERE organization_id = $1 AND action_time >= $2::timestamptz;
EXPLAIN (COSTS OFF) EXECUTE lazy('', 'not a time');
\! python3 emulator/ctl.py clear
EXECUTE lazy('', 'not a time');
SELECT count(*) FROM organization_members
 WHERE organization_id = ''
   AND user_email = (SELECT user_email FROM organization_members
                      WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' LIMIT 1);
\! python3 emulator/ctl.py log | LC_ALL=C sort
EXECUTE lazy('83swwm38cort1r31ioqntjqrdp4v52wl', 'not a time');
DEALLOCATE lazy;
RESET plan_cache_mode;
SET cloudflare_test.org = 'Initech Payments';
EXPLAIN (COSTS OFF) SELECT id FROM organizations WHERE name = current_setting('cloudflare_test.org');
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name = current_setting('cloudflare_test.org');
SELECT count(*) FROM organizations WHERE name = (CASE WHEN random() < 2 THEN 'Initech' END);
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- organization_members
EXPLAIN (COSTS OFF) SELECT user_email FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND status IN ('active', 'pending');
\! python3 emulator/ctl.py clear
SELECT user_email, status FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND status IN ('active', 'pending')
 ORDER BY 1;
SELECT count(*) FROM organization_members
 WHERE organization_id IN ('2qcqt9edex1pj0n560wir7mr6038u3mi', 'su0xsch873cb0979067rjp3r3q0ezpim');
SELECT user_email FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND status = 'canceled';
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- values outside the API's enum are never sent
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND status = 'ACTIVE';
SELECT count(*) FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND status IN ('bogus', 'active');
SELECT count(*) FROM organization_members WHERE organization_id = NULL;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- one member by id needs its organization
EXPLAIN (COSTS OFF) SELECT user_email FROM organization_members
 WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi' AND id = 'x';
\! python3 emulator/ctl.py clear
SELECT user_email FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND id = 'vo06kb8lwuu4vtst6oirb9nv2ch8l08z';
SELECT user_email FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND id = 'no-such-member';
\! python3 emulator/ctl.py log | LC_ALL=C sort
\! python3 emulator/ctl.py clear
SELECT organization_id, status FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email = 'user@example.com';
SELECT user_email FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email LIKE '%@acme.example' ORDER BY 1;
SELECT user_email FROM organization_members
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND user_email ILIKE 'USER@%' ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- organization_accounts: name filters and ORDER BY (PostgreSQL still sorts)
EXPLAIN (COSTS OFF) SELECT name FROM organization_accounts
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' ORDER BY name DESC;
\! python3 emulator/ctl.py clear
SELECT name FROM organization_accounts
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' ORDER BY name DESC;
SELECT name FROM organization_accounts
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND name ILIKE 'acme p%';
SELECT name FROM organization_accounts
 WHERE organization_id = '83swwm38cort1r31ioqntjqrdp4v52wl' AND name = 'Acme Production';
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- organization_profiles
\! python3 emulator/ctl.py clear
SELECT business_name FROM organization_profiles WHERE organization_id = '2qcqt9edex1pj0n560wir7mr6038u3mi';
SELECT business_name FROM organization_profiles WHERE organization_id = 'nk7wp4x1jmd7wihdrfasc8cw7utqvif6';
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- memberships
EXPLAIN (COSTS OFF) SELECT account_name FROM memberships WHERE status = 'pending' ORDER BY account_name;
\! python3 emulator/ctl.py clear
SELECT account_name FROM memberships WHERE status = 'pending' ORDER BY account_name;
SELECT status FROM memberships WHERE account_name = 'Acme Production';
SELECT count(*) FROM memberships WHERE status = 'Pending';
SELECT account_name, policies IS NOT NULL AS has_policies
  FROM memberships WHERE id = 't7nxeit601f5wrzcxfbl8e5jj6r998rv';
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- LIMIT shrinks the page when the API answers every clause
EXPLAIN (COSTS OFF) SELECT name FROM organizations LIMIT 2;
\! python3 emulator/ctl.py clear
SELECT count(*) FROM (SELECT name FROM organizations LIMIT 2) s;
SELECT count(*) FROM (SELECT name FROM organizations WHERE parent_id IS NULL LIMIT 2 OFFSET 1) s;
SELECT count(*) FROM (SELECT id FROM memberships LIMIT 3) s;
\! python3 emulator/ctl.py log | LC_ALL=C sort
-- ... and not when a clause is checked only locally, or a sort sits above
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name ~ 'Lab' LIMIT 1;
SELECT name FROM organizations ORDER BY name LIMIT 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- pushdown 'false': everything is filtered locally, with the same rows
ALTER FOREIGN TABLE organizations OPTIONS (ADD pushdown 'false');
EXPLAIN (COSTS OFF) SELECT name FROM organizations WHERE name LIKE 'Acme%';
\! python3 emulator/ctl.py clear
SELECT name FROM organizations WHERE name LIKE 'Acme%' ORDER BY 1;
\! python3 emulator/ctl.py log | LC_ALL=C sort
SELECT name FROM organizations WHERE containing_user = 'x';
ALTER FOREIGN TABLE organizations OPTIONS (DROP pushdown);

-- values that are not plain text are encoded, never interpreted
\! python3 emulator/ctl.py clear
SELECT count(*) FROM organizations WHERE name = 'a&page_size=1#x';
SELECT count(*) FROM organizations WHERE id = '../memberships';
SELECT count(*) FROM organization_members WHERE organization_id = E'x/y?z\r\nX-Injected: 1';
SELECT count(*) FROM organizations WHERE name = 'Zoë ''quoted'' %20';
\! python3 emulator/ctl.py log | LC_ALL=C sort

-- a long IN list goes out in requests of 100 ids each, every id once
\! python3 emulator/ctl.py clear
SELECT count(*) AS rows, count(DISTINCT id) AS ids, min(name) FROM organizations
 WHERE id = ANY (ARRAY(SELECT 'nosuchorg' || lpad(g::text, 23, '0') FROM generate_series(1, 230) g)
                 || '{83swwm38cort1r31ioqntjqrdp4v52wl,nk7wp4x1jmd7wihdrfasc8cw7utqvif6}'::text[]
                 || '{83swwm38cort1r31ioqntjqrdp4v52wl,nk7wp4x1jmd7wihdrfasc8cw7utqvif6}'::text[]);
\! python3 emulator/ctl.py log | python3 -c 'import sys; [print(l.split("?")[0], "ids:", l.count("&id=") + l.count("?id=")) for l in sys.stdin]' | LC_ALL=C sort
-- EXPLAIN says so for a constant list (a parameter's length is unknown
-- until it runs; EXPLAIN ANALYZE counts the requests)
CREATE FUNCTION explain_api(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN concat(j->0->'Plan'->>'Cloudflare API', ' (',
                j->0->'Plan'->>'Cloudflare Requests (estimated)', ' requests)');
END $$;
SELECT '{' || string_agg('org' || g, ',') || '}' AS ids FROM generate_series(1, 201) g \gset
SELECT explain_api(format('SELECT id FROM organizations WHERE id = ANY (%L::text[])', :'ids'));
SELECT explain_api('SELECT id FROM organizations WHERE id IN (''a'', ''b'')');

-- clean up
DROP SERVER cf CASCADE;
