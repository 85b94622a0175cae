/* cloudflare_fdw--1.1--1.2.sql: ALTER EXTENSION cloudflare_fdw UPDATE TO '1.2' */

\echo Use "ALTER EXTENSION cloudflare_fdw UPDATE TO '1.2'" to load this file. \quit

-- cloudflare_fdw_stats() counts the connections a server's requests opened,
-- the answers that came on a connection kept open, and the pages the
-- response cache (cache_ttl) answered or did not have.
DROP FUNCTION cloudflare_fdw_stats();

CREATE FUNCTION cloudflare_fdw_stats(
  OUT scope text, OUT server name, OUT requests bigint, OUT retries bigint,
  OUT rate_limited bigint, OUT pages bigint, OUT rows bigint,
  OUT bytes bigint, OUT api_wait_ms double precision,
  OUT budget_wait_ms double precision,
  OUT connections_opened bigint, OUT connections_reused bigint,
  OUT cache_hits bigint, OUT cache_misses bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_stats()
IS 'Cloudflare API requests per server, of this backend and of all backends';

-- The response cache.
CREATE FUNCTION cloudflare_fdw_cache_clear()
RETURNS bigint
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_cache_clear()
IS 'empties the response cache; returns the pages removed';

CREATE FUNCTION cloudflare_fdw_cache_clear(server name)
RETURNS bigint
AS 'MODULE_PATHNAME', 'cloudflare_fdw_cache_clear_server'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_cache_clear(name)
IS 'removes one server''s pages from the response cache; returns how many';

-- like cloudflare_fdw_stats_reset(): only for those it is granted to
REVOKE ALL ON FUNCTION cloudflare_fdw_cache_clear() FROM PUBLIC;
REVOKE ALL ON FUNCTION cloudflare_fdw_cache_clear(name) FROM PUBLIC;

CREATE FUNCTION cloudflare_fdw_cache_info(
  OUT mode text, OUT size_bytes bigint, OUT used_bytes bigint,
  OUT entries bigint, OUT page_bytes bigint, OUT hits bigint,
  OUT misses bigint, OUT stores bigint, OUT evictions bigint)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

COMMENT ON FUNCTION cloudflare_fdw_cache_info()
IS 'the response cache: shared or per backend, its size and use, and its counters';
