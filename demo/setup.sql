-- demo/setup.sql: connect the demo database to the Cloudflare API emulator.
-- scripts/demo.sh runs it with psql variables api_url (the emulator's
-- http://127.0.0.1:PORT/client/v4) and api_token (the emulator's token).

CREATE EXTENSION cloudflare_fdw;

CREATE SERVER cloudflare FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'api_url');

CREATE USER MAPPING FOR CURRENT_USER SERVER cloudflare
  OPTIONS (api_token :'api_token');

-- One foreign table per resource: organizations, organization_accounts,
-- organization_profiles, organization_members, memberships, and the
-- dashboard tables organization_audit_logs, organization_audit_log_history,
-- organization_usage, organization_shares.
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cloudflare INTO public;
