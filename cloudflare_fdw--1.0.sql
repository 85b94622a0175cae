/* cloudflare_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cloudflare_fdw" to load this file. \quit

CREATE FUNCTION cloudflare_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION cloudflare_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER cloudflare_fdw
  HANDLER cloudflare_fdw_handler
  VALIDATOR cloudflare_fdw_validator;

CREATE FUNCTION cloudflare_fdw_version()
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL SAFE;

COMMENT ON FUNCTION cloudflare_fdw_version()
IS 'version of the cloudflare_fdw shared library';

-- Diagnostics (src/diag.c); docs/operations.md shows their use.

CREATE FUNCTION cloudflare_fdw_check(server name,
  OUT resource text, OUT reachable boolean, OUT http_status integer,
  OUT request text, OUT diagnosis text, OUT detail text)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_check(name)
IS 'checks the current user''s credentials with one cheap request per resource';

CREATE FUNCTION cloudflare_fdw_stats(
  OUT scope text, OUT server name, OUT requests bigint, OUT retries bigint,
  OUT rate_limited bigint, OUT pages bigint, OUT rows bigint,
  OUT bytes bigint, OUT api_wait_ms double precision,
  OUT budget_wait_ms double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_stats()
IS 'Cloudflare API requests per server, of this backend and of all backends';

CREATE FUNCTION cloudflare_fdw_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_stats_reset()
IS 'zeroes this backend''s and this database''s shared cloudflare_fdw_stats()';

-- like pg_stat_reset(): only for those it is granted to
REVOKE ALL ON FUNCTION cloudflare_fdw_stats_reset() FROM PUBLIC;

CREATE FUNCTION cloudflare_fdw_rate_budget(server name,
  OUT mode text, OUT requests integer, OUT window_s integer,
  OUT burst integer, OUT available double precision,
  OUT blocked_until timestamp with time zone)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_rate_budget(name)
IS 'the rate budget of a server: shared, backend or off, and what is left for the current user';
