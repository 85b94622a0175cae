/* cloudflare_fdw--1.1--1.2.sql: ALTER EXTENSION cloudflare_fdw UPDATE TO '1.2' */

\echo Use "ALTER EXTENSION cloudflare_fdw UPDATE TO '1.2'" to load this file. \quit

-- cloudflare_fdw_stats() counts the connections a server's requests opened
-- and the answers that came on a connection kept open.
DROP FUNCTION cloudflare_fdw_stats();

CREATE FUNCTION cloudflare_fdw_stats(
  OUT scope text, OUT server name, OUT requests bigint, OUT retries bigint,
  OUT rate_limited bigint, OUT pages bigint, OUT rows bigint,
  OUT bytes bigint, OUT api_wait_ms double precision,
  OUT budget_wait_ms double precision,
  OUT connections_opened bigint, OUT connections_reused bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_stats()
IS 'Cloudflare API requests per server, of this backend and of all backends';
