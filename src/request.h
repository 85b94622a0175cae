/*-------------------------------------------------------------------------
 *
 * request.h
 *		  Talking to the API from a backend: connections (connection.c), requests
 *		  and their failures (request.c), the statement's pages (stmtcache.c),
 *		  the response cache (cache.c) and the write log (writelog.c).
 *
 * IDENTIFICATION
 *		  src/request.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_REQUEST_H
#define CF_REQUEST_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "resources.h"
#include "option.h"

/* ----------------------------------------------------------------------
 * writelog.c: the API writes of the transaction, warned about at abort.
 * ----------------------------------------------------------------------
 */
extern void cf_writelog_note(const char *verb, const CfResource *res,
							 const char *what);
extern void cf_writelog_note_possible(const char *verb, const char *what);
extern void cf_writelog_mark_reported(int64 n);

/* ----------------------------------------------------------------------
 * connection.c: per-backend cache of credentials and HTTP handles.
 * ----------------------------------------------------------------------
 */

/* Counters of one scan or modify, shown by EXPLAIN ANALYZE. */
typedef struct CfStats
{
	int64		requests;
	int64		pages;
	int64		rows;
	int64		bytes;
	int64		retries;
	int64		rate_limited;
	int64		wait_us;		/* time spent waiting on the API */
	int64		budget_wait_us; /* part of it held back by the rate budget */
	int64		cache_hits;		/* pages served again from the rescan cache */
	int64		response_hits;	/* pages served from the response cache */
	int64		response_oldest_ms; /* age of the oldest of those */
} CfStats;

typedef struct CfConnection CfConnection;	/* opaque outside connection.c */

extern CfConnection *cf_get_connection(ForeignServer *server, UserMapping *user);

/* ----------------------------------------------------------------------
 * cache.c: the response cache (cache_ttl).
 * ----------------------------------------------------------------------
 */

typedef struct CfCacheInfo
{
	bool		shared;			/* in shared memory, for every backend */
	int64		size_bytes;
	int64		used_bytes;		/* in blocks */
	int64		page_bytes;		/* of page text */
	int64		entries;
	int64		hits;
	int64		misses;
	int64		stores;
	int64		evictions;
} CfCacheInfo;

extern int	cf_cache_size_kb;
extern void cf_cache_init(void);
extern char *cf_cache_get(CfConnection *conn, const char *path, int ttl_s,
						  uint32 *len, int64 *age_ms);
extern void cf_cache_put(CfConnection *conn, const char *path,
						 const char *text, uint32 len);
extern int64 cf_cache_forget(Oid server);
extern void cf_cache_forget_connection(CfConnection *conn);
extern void cf_cache_info(CfCacheInfo *info);

/* ----------------------------------------------------------------------
 * request.c: running HTTP requests from a backend.
 * ----------------------------------------------------------------------
 */

/*
 * Why a request failed, as data: request.c fills it in before it raises the
 * request's error, so that a caller that catches the error (diag.c) reads
 * the status and Cloudflare's codes here, not out of the message's text.
 */
#define CF_FAILURE_MAX_CODES	8

typedef struct CfFailureRecord
{
	bool		failed;			/* the request's own error was raised */
	int			status;			/* HTTP status of the last attempt, 0: none */
	int			ncodes;
	int			codes[CF_FAILURE_MAX_CODES];	/* errors[].code, in order */
	char		cf_ray[64];		/* "" if none */
} CfFailureRecord;

typedef struct CfRequest
{
	/* input */
	const CfResource *res;		/* the resource called */
	const char *method;			/* GET, POST, PUT, DELETE */
	char	   *path;			/* path?query relative to api_url, escaped */
	char	   *body;			/* JSON text or NULL */
	bool		not_found_ok;	/* 404 is an answer, not an ERROR */
	bool		gone_ok;		/* a retried DELETE's 404 means done */

	bool		as_page;		/* a scan's page: see CfPage below */

	/*
	 * A write: what it changes, for the error when it was sent and no
	 * readable answer came back.  verb is "created", "modified" or
	 * "deleted"; what names the object by the values that identify it
	 * ("organization where name = 'Acme'"); check is the SELECT that tells
	 * whether the change was made, or NULL.
	 */
	const char *write_verb;
	const char *write_what;
	const char *write_check;

	/* output */
	CfFailureRecord failure;	/* why it failed, when its error was raised */
	bool		outcome_unknown;	/* a write sent without a readable answer */
	bool		outcome_reported;	/* ... and the error raised says so */
	int			status;			/* HTTP status of the final attempt */
	struct CfPage *page;		/* a 2xx answer's body, read in place; NULL
								 * for an empty body */
	int64		body_bytes;
} CfRequest;

extern void cf_execute(CfConnection *conn, CfRequest **reqs, int nreqs,
					   CfStats *stats);
extern void cf_request_release(CfRequest *req);
extern bool cf_failure_has_code(const CfFailureRecord *rec, int code);
extern char *cf_url_escape(const char *s);

/* ----------------------------------------------------------------------
 * stmtcache.c: the pages one statement already fetched, by connection.
 * ----------------------------------------------------------------------
 */

typedef struct CfStmtCache CfStmtCache;

extern CfStmtCache *cf_stmt_cache(MemoryContext query_cxt, CfConnection *conn,
								  bool create);
extern bool cf_stmt_cache_get(CfStmtCache *sc, CfRequest *req);
extern void cf_stmt_cache_put(CfStmtCache *sc, const CfRequest *req,
							  int64 limit);
extern void cf_stmt_cache_forget(CfConnection *conn);

#endif							/* CF_REQUEST_H */
