/*-------------------------------------------------------------------------
 *
 * option.h
 *		  Options of servers, tables and user mappings (option.c).
 *
 * IDENTIFICATION
 *		  src/option.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_OPTION_H
#define CF_OPTION_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "resources.h"

/* ----------------------------------------------------------------------
 * option.c: option validation and lookup.
 * ----------------------------------------------------------------------
 */

/* Every option a scan or a modify needs, resolved with table > server. */
typedef struct CfOptions
{
	char	   *api_url;		/* without a trailing slash */
	int			page_size;
	int			max_requests;
	int			max_pages;
	int			cache_ttl;		/* seconds a page may be served again, 0: off */
	int			max_concurrency;
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	int			max_retry_wait_ms;
	int64		max_response_bytes;
	char	   *ca_bundle;
	bool		pushdown;
	bool		updatable;
	bool		allow_unfiltered_writes;
	int			batch_size;
	int64		request_cache_bytes;	/* rescan cache of one scan, 0: off */
	double		rows;			/* planner row estimate, < 0: default */
	int			rate_limit_requests;	/* rate budget per window, 0: off */
	int			rate_limit_window_ms;
} CfOptions;

extern void cf_get_options(Oid foreigntableid, CfOptions *opts);
extern void cf_get_server_options(ForeignServer *server, CfOptions *opts);
extern const CfResource *cf_table_resource(Oid foreigntableid);
extern bool cf_host_is_loopback(const char *host);
extern char *cf_column_json_path(Oid relid, AttrNumber attnum,
								 const CfResource *res);
extern void cf_warn_unmapped_columns(Oid relid, const CfResource *res);

#endif							/* CF_OPTION_H */
