/* cloudflare_fdw--1.0--1.1.sql: ALTER EXTENSION cloudflare_fdw UPDATE TO '1.1' */

\echo Use "ALTER EXTENSION cloudflare_fdw UPDATE TO '1.1'" to load this file. \quit

-- cloudflare_fdw_rate_budget(NULL) gives no row, as cloudflare_fdw_check(NULL)
-- does, instead of a row of NULLs: the function returns SETOF (one row for a
-- server).
DROP FUNCTION cloudflare_fdw_rate_budget(name);

CREATE FUNCTION cloudflare_fdw_rate_budget(server name,
  OUT mode text, OUT requests integer, OUT window_s integer,
  OUT burst integer, OUT available double precision,
  OUT blocked_until timestamp with time zone)
RETURNS SETOF record
ROWS 1
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_rate_budget(name)
IS 'the rate budget of a server: shared, backend or off, and what is left for the current user';
