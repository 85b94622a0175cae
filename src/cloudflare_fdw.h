/*-------------------------------------------------------------------------
 *
 * cloudflare_fdw.h
 *		  Shared declarations of the foreign data wrapper for Cloudflare's
 *		  Organizations API.
 *
 * The prototypes are grouped by the file that defines them; every other
 * function in the project is static to its file.
 *
 * IDENTIFICATION
 *		  src/cloudflare_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLOUDFLARE_FDW_H
#define CLOUDFLARE_FDW_H

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#ifndef CF_FDW_VERSION
#define CF_FDW_VERSION "unknown"
#endif

#define CF_DEFAULT_API_URL "https://api.cloudflare.com/client/v4"

struct json_object;

/* ----------------------------------------------------------------------
 * resources.c: the static description of every Cloudflare resource.
 *
 * Resources are data: the planner, the executor and IMPORT FOREIGN SCHEMA
 * read these tables and contain no per-resource branches of their own.
 * ----------------------------------------------------------------------
 */

typedef enum CfResourceId
{
	CF_RES_ORGANIZATIONS,
	CF_RES_ORGANIZATION_ACCOUNTS,
	CF_RES_ORGANIZATION_PROFILES,
	CF_RES_ORGANIZATION_MEMBERS,
	CF_RES_MEMBERSHIPS,
	CF_RES_ORGANIZATION_AUDIT_LOGS,
	CF_RES_ORGANIZATION_AUDIT_LOG_HISTORY,
	CF_RES_ORGANIZATION_USAGE,
	CF_RES_ORGANIZATION_SHARES,
	CF_RES_COUNT
} CfResourceId;

/* How a list endpoint pages through its results. */
/* The query parameters that name the next page of a list. */
#define CF_TOKEN_PARAM		"page_token"	/* CF_PAGING_TOKEN */
#define CF_CURSOR_PARAM		"cursor"		/* CF_PAGING_CURSOR */
#define CF_PAGE_PARAM		"page"			/* CF_PAGING_PAGE */

typedef enum CfPaging
{
	CF_PAGING_TOKEN,			/* page_size + page_token/next_page_token */
	CF_PAGING_PAGE,				/* page + per_page (memberships) */
	CF_PAGING_CURSOR,			/* limit + cursor/result_info.cursor */
	CF_PAGING_ONCE,				/* the whole list in one answer */
	CF_PAGING_NONE				/* single object (a profile) */
} CfPaging;

/* Column flags. */
#define CF_COL_READONLY		0x01	/* set by the API, never written */
#define CF_COL_FILTER_ONLY	0x02	/* not in the JSON: echoes its filter */
#define CF_COL_SCOPE		0x04	/* from the request path (organization_id) */
#define CF_COL_ID			0x08	/* row identity for UPDATE/DELETE */
#define CF_COL_INSERT		0x10	/* accepted by the create call */
#define CF_COL_UPDATE		0x20	/* accepted by the modify call */
#define CF_COL_REQUIRED		0x40	/* the create call requires it */

/*
 * The JSON type Cloudflare's document gives a column's field.  It follows
 * from the column's sql_type (text and times: string; boolean; integer,
 * bigint and numeric: number; arrays: array); a jsonb column says which
 * with one of these flags, or neither when the document allows several.
 */
#define CF_COL_DOC_OBJECT	0x80	/* jsonb holding a JSON object */
#define CF_COL_DOC_ARRAY	0x100	/* jsonb holding a JSON array */

/* A field of the page's result_info (json_path), the same for its rows. */
#define CF_COL_PAGE_INFO	0x200

/* JSON types, as the document declares them for a field. */
typedef enum CfDocType
{
	CF_DOC_ANY = 0,				/* not declared, or several allowed */
	CF_DOC_STRING,
	CF_DOC_NUMBER,
	CF_DOC_BOOLEAN,
	CF_DOC_OBJECT,
	CF_DOC_ARRAY
} CfDocType;

typedef struct CfColumnDef
{
	const char *name;			/* column name IMPORT uses */
	const char *json_path;		/* dotted path in the JSON object, or NULL */
	const char *sql_type;		/* type IMPORT uses */
	int			flags;

	/*
	 * Values the create and modify calls take, where they are fewer than
	 * the values the API reads back (NULL-terminated; NULL: any value).
	 */
	const char *const *insert_values;
	const char *const *update_values;
} CfColumnDef;

/* The SQL shapes a filter can take. */
typedef enum CfFilterOp
{
	CF_OP_EQ,					/* col = value */
	CF_OP_IN,					/* col = ANY(array) / col IN (...) */
	CF_OP_PREFIX,				/* col LIKE 'abc%' */
	CF_OP_SUFFIX,				/* col LIKE '%abc' */
	CF_OP_CONTAINS,				/* col LIKE '%abc%' */
	CF_OP_IS_NULL,				/* col IS NULL */
	CF_OP_NE,					/* col <> value: the param.not variant */
	CF_OP_NOT_IN,				/* col <> ALL(array) / col NOT IN (...) */
	CF_OP_LOWER,				/* col >= / > / = time: the window's start */
	CF_OP_UPPER					/* col <= / < / = time: the window's end */
} CfFilterOp;

/* Filter flags. */
#define CF_FLT_CASE_INSENSITIVE 0x01	/* API matching ignores case: ILIKE ok */
#define CF_FLT_LOOKUP			0x02	/* EQ becomes GET <item path> */
#define CF_FLT_PATH				0x04	/* value goes into the path, not query */
#define CF_FLT_NONEMPTY			0x08	/* no row has an empty value here */
#define CF_FLT_PATH_ID			0x10	/* value goes into the list path's {id} */
#define CF_FLT_REQUIRED			0x20	/* the API needs it: no scan without it */
#define CF_FLT_UUID				0x40	/* the document's format: uuid */
#define CF_FLT_IPV4				0x80	/* sent only for an IPv4 address */
#define CF_FLT_EMAIL			0x100	/* the document's format: email */
#define CF_FLT_HTTP_STATUS		0x200	/* an HTTP status: at most 3 digits */
#define CF_FLT_EXACT			0x400	/* the API keeps exactly the rows SQL's = (or
										 * IS NULL) keeps: count(*) reads its total */

typedef struct CfFilterDef
{
	const char *column;			/* resource column it applies to */
	CfFilterOp	op;
	const char *param;			/* wire query parameter, e.g. name.startsWith */
	const char *null_value;		/* CF_OP_IS_NULL: the literal sent ("null") */
	const char *const *enum_values; /* NULL-terminated, or NULL: any value */
	int			flags;
	int			max_length;		/* the document's maxLength (characters), 0: none */
} CfFilterDef;

/*
 * A time window the API needs as two dates (since/before, from/to), taken
 * from the WHERE clause on one timestamptz column (CF_OP_LOWER/UPPER
 * filters) and widened to whole UTC days; every bound stays a local recheck.
 */
typedef struct CfWindowDef
{
	const char *column;			/* action_time, charge_period_start */
	const char *lower_param;	/* since, from */
	const char *upper_param;	/* before, to */
	bool		upper_inclusive;	/* to is the last day; before the day after */
	int			max_days;		/* days one request may span, 0: any */
	const char *default_text;	/* EXPLAIN, when no bound is sent */
} CfWindowDef;

/* Orders the API can produce. */
typedef struct CfOrderDef
{
	const char *column;
	const char *param;			/* order_by / order, or NULL: direction only */
	const char *value;			/* account_name / account.name / id */
	const char *direction_param;	/* direction */
} CfOrderDef;

typedef struct CfResource
{
	CfResourceId id;
	const char *name;			/* table name for IMPORT and option value */
	const char *item_name;		/* one object, for messages ("organization member") */
	const char *list_path;		/* may contain {organization_id} */
	const char *item_path;		/* GET/PUT/DELETE one, with {id} */
	CfPaging	paging;
	int			max_page_size;
	int			min_page_size;
	const char *page_param;		/* page_size / per_page / limit */
	const char *scope_column;	/* column filled from the path, or NULL */
	const CfColumnDef *columns;
	int			ncolumns;
	const CfFilterDef *filters;
	int			nfilters;
	const CfOrderDef *orders;
	int			norders;
	double		default_rows;	/* planner estimate per scope */
	const CfWindowDef *window;	/* a time window the requests carry, or NULL */

	/*
	 * Unscoped scans of a scoped resource fan out over the organizations
	 * list; when embedded_field is set, the rows are instead that field of
	 * each organization object (profiles come embedded in the list).
	 */
	const char *embedded_field;

	/* Writes: NULL paths mean the API has no such call. */
	const char *insert_method;	/* POST, or PUT for a profile upsert */
	const char *insert_path;
	const char *insert_wrapper; /* {"member": {...}} */
	const char *batch_path;		/* members:batchCreate */
	const char *batch_wrapper;	/* {"members": [...]} */
	int			batch_max;
	const char *update_method;
	const char *update_path;
	bool		update_answers_row;	/* the modify call answers with the object */
	const char *delete_path;
	const char *writes_allowed; /* what the API allows, for error hints */
} CfResource;

extern const CfResource *cf_resource_by_name(const char *name);
extern const CfResource *cf_resource_by_id(CfResourceId id);
extern const CfColumnDef *cf_resource_column(const CfResource *res,
											 const char *colname);
extern const char *cf_resource_names(void);
extern char *cf_fill_path(const char *template, const char *organization_id,
						  const char *id);
extern char *cf_fill_path_label(const char *template,
								const char *organization_id, const char *id);
extern CfDocType cf_resource_field_type(const CfResource *res,
										const char *json_path);

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

/* ----------------------------------------------------------------------
 * pushdown.c: which WHERE clauses become API filters.
 * ----------------------------------------------------------------------
 */

/* How a LIKE-family filter was written; decided again at run time. */
#define CF_LIKE_NONE	0
#define CF_LIKE_CASE	1		/* LIKE */
#define CF_LIKE_ICASE	2		/* ILIKE */

/* How a time bound was written (CF_OP_LOWER and CF_OP_UPPER filters). */
#define CF_BOUND_NONE	0
#define CF_BOUND_GT		1		/* col > value */
#define CF_BOUND_GE		2		/* col >= value */
#define CF_BOUND_LT		3		/* col < value */
#define CF_BOUND_LE		4		/* col <= value */
#define CF_BOUND_EQ		5		/* col = value: both bounds */

/* One WHERE clause the API can answer (it is still rechecked locally). */
typedef struct CfPushedFilter
{
	int			filter;			/* index into res->filters */
	Expr	   *value;			/* value or pattern; NULL for IS NULL */
	int			like;			/* CF_LIKE_* */
	int			bound;			/* CF_BOUND_* of a window filter */
	RestrictInfo *rinfo;		/* the clause (plan time only) */
} CfPushedFilter;

extern List *cf_classify_clauses(PlannerInfo *root, RelOptInfo *baserel,
								 const CfResource *res, List *clauses,
								 Relids outer_relids, List **local);
extern bool cf_clause_is_pushable(PlannerInfo *root, RelOptInfo *baserel,
								  const CfResource *res, Expr *clause,
								  Relids outer_relids, CfPushedFilter *out);
extern const CfColumnDef *cf_attr_resource_column(Oid relid, AttrNumber attnum,
												  const CfResource *res);
/*
 * What one filter value does to a request (cf_judge_values): sent as it is,
 * not sent (the API would ignore it: the local recheck answers), or known to
 * match no row (no request at all).  Decided the same way at run time and,
 * for constants, by EXPLAIN and the cost estimate.
 */
typedef enum CfValueVerdict
{
	CF_VALUE_SEND,
	CF_VALUE_SKIP,
	CF_VALUE_NO_MATCH
} CfValueVerdict;

extern CfValueVerdict cf_judge_values(const CfResource *res, const CfFilterDef *def,
								 List *values, List **kept, char **why);
extern char *cf_uuid_dashed(const char *value);
extern bool cf_like_filter(const CfResource *res, int prefix_filter,
						   const char *pattern, int like,
						   int *filter, char **literal);
extern const CfFilterDef *cf_missing_required(const CfResource *res,
											  List *pushed, bool window_used);
extern bool cf_window_used(PlannerInfo *root, RelOptInfo *baserel,
						   const CfResource *res);
extern void cf_check_filter_only_columns(PlannerInfo *root, RelOptInfo *baserel,
										 const CfResource *res, List *pushed,
										 List *clauses);

/* ----------------------------------------------------------------------
 * window.c: time windows, from WHERE bounds to the API's dates.
 * ----------------------------------------------------------------------
 */

/* The tightest bounds of each side, as the scan evaluated them. */
typedef struct CfWindowBounds
{
	bool		has_lower;
	bool		lower_incl;
	TimestampTz lower;
	bool		has_upper;
	bool		upper_incl;
	TimestampTz upper;
} CfWindowBounds;

extern void cf_window_init(CfWindowBounds *b);
extern void cf_window_add(CfWindowBounds *b, CfFilterOp op, int bound,
						  TimestampTz t);
extern CfValueVerdict cf_window_fragments(const CfResource *res,
										  const CfWindowBounds *b,
										  TimestampTz now, bool now_symbolic,
										  List **fragments, char **why);
extern char *cf_window_describe(const CfResource *res, List *fragments);
extern char *cf_window_day(const CfResource *res, const CfWindowBounds *b,
						   CfFilterOp side);

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
	void	   *root;			/* always NULL: no answer is a json-c tree
								 * any more; goes once scan.c stops
								 * clearing it */
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

/* ----------------------------------------------------------------------
 * page.c: answers read in place (a scan's pages, errors, writes' answers),
 * without a json-c tree.
 * ----------------------------------------------------------------------
 */

/* A value inside a page's text: offset and length. */
typedef struct CfSpan
{
	uint32		off;
	uint32		len;
} CfSpan;

/*
 * The body of an answer: its text, checked as JSON, and an index of the
 * envelope.  Everything is palloc'd in one context.
 */
typedef struct CfPage
{
	char	   *text;			/* the body */
	uint32		len;
	bool		has_result;		/* the body is an object with "result" */
	char		result_kind;	/* first byte of result: '{', '[', 'n', ... */
	CfSpan		result;
	CfSpan	   *items;			/* result's elements when it is an array */
	int			nitems;
	int			success;		/* "success": 1 true, 0 false, -1 absent */
	char	   *next_page_token;	/* result_info's, NULL if none */
	char	   *next_cursor;	/* result_info.cursor or .cursors.after */
	int64		total_size;		/* result_info's, -1 if none */
	bool		has_info;		/* result_info is an object: */
	CfSpan		info;			/* ... this one */
	CfSpan		value;			/* the whole body's value, spaces aside */
} CfPage;

/* The JSON paths of the columns a scan reads, as a tree of keys. */
typedef struct CfPathNode CfPathNode;

struct CfColumnConv;
extern CfPage *cf_page_parse(char *text, uint32 len, char *errbuf,
							 size_t errlen, bool *truncated);
extern CfPage *cf_page_copy(const CfPage *page, MemoryContext cxt);
extern void cf_page_free(CfPage *page);
extern CfPathNode *cf_path_tree(struct CfColumnConv *convs, int nconvs);
extern bool cf_page_field(const CfPage *page, CfSpan obj, const char *key,
						  CfSpan *value);
extern char *cf_page_string(const CfPage *page, CfSpan value);
extern char *cf_page_text(const CfPage *page, CfSpan value, size_t *len);
extern CfSpan *cf_page_array(const CfPage *page, CfSpan arr, int *n);
extern void cf_page_row(const CfPage *page, CfSpan item, CfPathNode *paths,
						struct CfColumnConv *convs, Datum *values, bool *nulls,
						struct CfColumnConv **current);

/* ----------------------------------------------------------------------
 * modify.c: INSERT, UPDATE and DELETE.
 * ----------------------------------------------------------------------
 */

extern void cf_modify_routines(FdwRoutine *routine);

/*
 * Planner cost units, of the scan and of count.c's path.  A request to
 * Cloudflare costs far more than reading a local page: the per-request cost
 * is what makes a parameterized nested loop win for a few outer rows and a
 * single fan-out win for many.
 */
#define CF_STARTUP_COST		10.0
#define CF_REQUEST_COST		100.0

/* ----------------------------------------------------------------------
 * count.c: count(*) from result_info.total_size.
 * ----------------------------------------------------------------------
 */

struct ExplainState;
extern void cf_count_upper_paths(PlannerInfo *root, UpperRelationKind stage,
								 RelOptInfo *input_rel, RelOptInfo *output_rel,
								 void *extra);
extern bool cf_is_count_plan(List *fdw_private);
extern ForeignScan *cf_count_plan(PlannerInfo *root, RelOptInfo *foreignrel,
								  ForeignPath *best_path,
								  List *tlist, Plan *outer_plan);
extern void cf_count_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *cf_count_iterate(ForeignScanState *node);
extern void cf_count_rescan(ForeignScanState *node);
extern void cf_count_explain(ForeignScanState *node, struct ExplainState *es);

/* ----------------------------------------------------------------------
 * convert.c: JSON values to Datums and back.
 * ----------------------------------------------------------------------
 */

typedef struct CfColumnConv
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *field;			/* the json path, for messages */
	char	  **path;			/* json path split at dots */
	int			pathlen;
	Oid			typid;
	int32		typmod;
	Oid			typinput;
	Oid			typioparam;
	FmgrInfo	inflinfo;
	int			kind;			/* fast conversion kind, convert.c */
	bool		whole_row;		/* path empty: the object itself */
	int			filter_only;	/* CF_COL_FILTER_ONLY / CF_COL_SCOPE */
	CfDocType	doc_type;		/* the field's type in the document */
} CfColumnConv;

extern void cf_conv_init(CfColumnConv *conv, Relation rel, AttrNumber attnum,
						 const char *json_path);
extern void cf_conv_set_doc_type(CfColumnConv *conv, CfDocType doc_type);
extern Datum cf_text_to_datum(const char *v, uint32 len, CfColumnConv *conv,
							  bool *isnull);
extern char *cf_json_c_text(const char *v, uint32 len, size_t *outlen);
extern bool cf_json_c_refuses(const char *text, uint32 len, char *errbuf,
							  size_t errlen, bool *truncated);
extern struct json_object *cf_datum_to_json(Datum value, Oid typid);
extern char *cf_timestamptz_rfc3339(TimestampTz t);
extern int	cf_array_elements(Datum value, Oid *elemtype, Datum **elems,
							  bool **nulls);

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

#endif							/* CLOUDFLARE_FDW_H */
