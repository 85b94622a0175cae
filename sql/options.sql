-- The validator: every option in its context, malformed values, the
-- security rules, and the extension's own objects.  No request is sent.

-- CREATE EXTENSION made the handler, the validator and the wrapper
SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc
  FROM pg_foreign_data_wrapper WHERE fdwname = 'cloudflare_fdw';
SELECT cloudflare_fdw_version() = extversion AS version_matches
  FROM pg_extension WHERE extname = 'cloudflare_fdw';

-- server options
CREATE SERVER cf_opts FOREIGN DATA WRAPPER cloudflare_fdw;
CREATE SERVER cf_bad FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (nonsense 'x');
CREATE SERVER cf_bad FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_token 'secret');
CREATE SERVER cf_bad FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (resource 'organizations');
ALTER SERVER cf_opts OPTIONS (ADD page_size '0');
ALTER SERVER cf_opts OPTIONS (ADD page_size '1001');
ALTER SERVER cf_opts OPTIONS (ADD page_size 'ten');
ALTER SERVER cf_opts OPTIONS (ADD page_size '');
ALTER SERVER cf_opts OPTIONS (ADD batch_size '11');
ALTER SERVER cf_opts OPTIONS (ADD max_concurrency '0');
ALTER SERVER cf_opts OPTIONS (ADD pushdown 'maybe');
ALTER SERVER cf_opts OPTIONS (ADD updatable 'yes please');
ALTER SERVER cf_opts OPTIONS (ADD max_retries '-1');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'ftp://api.cloudflare.com/client/v4');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'not a url');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'http://api.cloudflare.com/client/v4');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'http://127.evil.example/client/v4');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'https://user:pw@api.cloudflare.com/client/v4');
ALTER SERVER cf_opts OPTIONS (ADD api_url 'https://api.cloudflare.com/client/v4?x=1');
ALTER SERVER cf_opts OPTIONS (ADD ca_bundle '');
-- valid values
ALTER SERVER cf_opts OPTIONS (ADD api_url 'http://127.0.0.1:9/client/v4',
  ADD page_size '1000', ADD batch_size '10', ADD max_concurrency '8',
  ADD pushdown 'false', ADD updatable 'true', ADD max_retries '0',
  ADD max_retry_wait '300', ADD connect_timeout_ms '1000',
  ADD request_timeout_ms '5000', ADD max_response_bytes '1048576',
  ADD max_pages '10', ADD max_requests '50', ADD allow_unfiltered_writes 'off');
ALTER SERVER cf_opts OPTIONS (SET api_url 'http://localhost:9/client/v4/');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'cf_opts';

-- user mapping options
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (page_size '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (api_email 'user@example.com');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (api_key 'k');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts
  OPTIONS (api_token 't', api_email 'user@example.com', api_key 'k');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (api_token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (api_token E'a\nb');
CREATE USER MAPPING FOR CURRENT_USER SERVER cf_opts OPTIONS (api_token 'SENTINEL-DO-NOT-PRINT');
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_opts
  OPTIONS (DROP api_token, ADD api_email 'user@example.com', ADD api_key 'k');
ALTER USER MAPPING FOR CURRENT_USER SERVER cf_opts
  OPTIONS (DROP api_email, DROP api_key, ADD api_token 'SENTINEL-DO-NOT-PRINT');

-- foreign table and column options
CREATE FOREIGN TABLE cf_t (id text) SERVER cf_opts;
CREATE FOREIGN TABLE cf_t (id text) SERVER cf_opts OPTIONS (resource 'zones');
CREATE FOREIGN TABLE cf_t (id text) SERVER cf_opts
  OPTIONS (resource 'organizations', api_url 'https://api.cloudflare.com/client/v4');
CREATE FOREIGN TABLE cf_t (id text) SERVER cf_opts
  OPTIONS (resource 'organizations', page_size '2000');
CREATE FOREIGN TABLE cf_t (id text OPTIONS (json_path 'a..b')) SERVER cf_opts
  OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE cf_t (id text OPTIONS (json_path '.a')) SERVER cf_opts
  OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE cf_t (id text OPTIONS (bogus 'x')) SERVER cf_opts
  OPTIONS (resource 'organizations');
CREATE FOREIGN TABLE cf_t (org_id text OPTIONS (json_path 'id'), tier text OPTIONS (json_path 'meta.tenant_flags.account_creation'))
  SERVER cf_opts OPTIONS (resource 'organizations', page_size '50', rows '5000',
                          pushdown 'true', updatable 'false', batch_size '5');
ALTER FOREIGN TABLE cf_t OPTIONS (DROP resource);
ALTER FOREIGN TABLE cf_t OPTIONS (SET resource 'memberships');
\d+ cf_t

-- the non-superuser rules
CREATE ROLE cf_regress_user;
GRANT USAGE ON FOREIGN DATA WRAPPER cloudflare_fdw TO cf_regress_user;
SET ROLE cf_regress_user;
CREATE SERVER cf_user_srv FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url 'http://127.0.0.1:9/client/v4');
CREATE SERVER cf_user_srv FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url 'https://internal.example.com/client/v4');
CREATE SERVER cf_user_srv FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (ca_bundle '/etc/ssl/certs/ca-certificates.crt');
CREATE SERVER cf_user_srv FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url 'https://api.cloudflare.com/client/v4');
CREATE USER MAPPING FOR cf_regress_user SERVER cf_user_srv
  OPTIONS (api_token 'SENTINEL-DO-NOT-PRINT');
-- the mapping's owner sees its options; another role does not
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 'cf_user_srv';
RESET ROLE;
CREATE ROLE cf_regress_other;
SET ROLE cf_regress_other;
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname IN ('cf_user_srv', 'cf_opts');
RESET ROLE;

-- DROP EXTENSION CASCADE takes the servers, mappings and tables with it
DROP ROLE cf_regress_other;
DROP EXTENSION cloudflare_fdw CASCADE;
SELECT count(*) FROM pg_foreign_server WHERE srvname IN ('cf_opts', 'cf_user_srv');
SELECT count(*) FROM pg_proc WHERE proname LIKE 'cloudflare_fdw%';
DROP ROLE cf_regress_user;
CREATE EXTENSION cloudflare_fdw;
SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwname = 'cloudflare_fdw';
