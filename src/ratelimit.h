/*-------------------------------------------------------------------------
 *
 * ratelimit.h
 *		  The rate budget and the counters of cloudflare_fdw_stats() (ratelimit.c).
 *
 * IDENTIFICATION
 *		  src/ratelimit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_RATELIMIT_H
#define CF_RATELIMIT_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "request.h"

/* ----------------------------------------------------------------------
 * ratelimit.c: the rate budget shared by every backend, and the counters
 * of cloudflare_fdw_stats().
 * ----------------------------------------------------------------------
 */

/* What one backend, or all of them, sent to one foreign server. */
typedef struct CfCounters
{
	int64		requests;		/* attempts started, retries included */
	int64		retries;
	int64		rate_limited;	/* answers with HTTP status 429 */
	int64		pages;			/* answers handed to the scan or write */
	int64		rows;			/* items in those answers' "result" */
	int64		bytes;			/* response body bytes */
	int64		api_wait_us;	/* time spent in cf_execute */
	int64		budget_wait_us; /* part of it held back by the rate budget */
	int64		connections_opened; /* connections made to the API */
	int64		connections_reused; /* answers on a connection kept open */
	int64		cache_hits;		/* pages the response cache answered */
	int64		cache_misses;	/* pages it did not have (cache_ttl > 0) */
} CfCounters;

extern bool cf_rate_limit_enabled;

extern void cf_ratelimit_init(void);
extern bool cf_rate_shared(void);
extern int	cf_rate_burst(int requests);
extern long cf_rate_try(CfConnection *conn, bool reserved, bool *blocked);
extern void cf_rate_observe(CfConnection *conn, long status,
							const char *ratelimit, long retry_wait_ms);
extern void cf_rate_peek(CfConnection *conn, double *available,
						 TimestampTz *blocked_until);
extern void cf_stats_request(CfConnection *conn, bool retry);
extern void cf_stats_cache(CfConnection *conn, bool hit);
extern void cf_stats_response(CfConnection *conn, long status, int64 bytes,
							  int64 rows, int new_connections);
extern void cf_stats_add(CfConnection *conn, const CfCounters *delta);
extern void cf_stats_flush(void);
extern int	cf_stats_snapshot(bool shared, Oid **serverids,
							  CfCounters **counters);
extern void cf_stats_reset(void);

#endif							/* CF_RATELIMIT_H */
