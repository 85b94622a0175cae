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
