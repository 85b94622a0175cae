/*-------------------------------------------------------------------------
 *
 * scan.h
 *		  A scan's planner state, the layout of its plan and its executor
 *		  state: shared by the scan (cloudflare_fdw.c) and by count(*)
 *		  (count.c), which runs the same request streams with pages of one
 *		  item and reads result_info.total_size instead of the rows.
 *
 * IDENTIFICATION
 *		  src/scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_SCAN_H
#define CF_SCAN_H

#include "cloudflare_fdw.h"
#include "convert.h"
#include "page.h"
#include "pushdown.h"
#include "request.h"
#include "compat.h"
#include "reqplan.h"
#include "nodes/execnodes.h"
#include "utils/hsearch.h"
#include "utils/rel.h"

/* Organizations a fan-out is assumed to cover when nothing says better. */
#define CF_FANOUT_ORGS		100.0

/* Positions in a ForeignScan's fdw_private. */
typedef enum CfScanPrivateIndex
{
	CfScanPrivateResource,		/* Integer: CfResourceId */
	CfScanPrivateSlots,			/* the request plan's slots: List of IntList
								 * (CfSlotField) */
	CfScanPrivateRetrieved,		/* IntList of attnums to convert */
	CfScanPrivatePageSize,		/* Integer */
	CfScanPrivateOrder,			/* IntList (order index, descending) or NIL */
	CfScanPrivateRequest,		/* String: the request, for EXPLAIN */
	CfScanPrivateFanout,		/* String: how it fans out, or "" */
	CfScanPrivateEstRequests,	/* Integer: estimated requests per scan */
	CfScanPrivatePushed,		/* String: the conditions sent, for EXPLAIN */
	CfScanPrivateWindows		/* String: a window's requests, for EXPLAIN */
} CfScanPrivateIndex;

/* Planner state of a foreign relation (baserel->fdw_private). */
typedef struct CfRelInfo
{
	const CfResource *res;
	CfOptions	opts;
	Oid			relid;
	List	   *pushed;			/* CfPushedFilter * of baserestrictinfo */
	List	   *local;			/* RestrictInfos only checked locally */
	bool		window_used;	/* a condition reads the window's column */
	double		requests;		/* estimated requests of an unparameterized scan */
	double		remote_rows;	/* rows the API returns to it */
} CfRelInfo;

/* One sequence of pages: a list endpoint with fixed filters, or one GET. */
typedef struct CfStream
{
	const CfResource *res;		/* whose pages: the scan's, or the fan-out's */
	char	   *path;			/* path?query without paging parameters */
	char	   *scope;			/* organization id of the scope column */
	bool		single;			/* one object, not a list */
	bool		embedded;		/* rows are a field of each organization */
	bool		done;
	char	   *token;			/* next page_token */
	int			page;			/* next page (page paging) */
	uint64		last_edges;		/* its first and last items, hashed */
	int64		pages;
	CfRequest  *req;			/* the page being read */
	CfPage	   *cur_page;		/* its text and index, or NULL */
	CfSpan	   *items;			/* its items (single: the result object) */
	int			nitems;
	int			next;
	int64		total;			/* a count's result_info.total_size (0: 404) */
} CfStream;

/* Executor state of a foreign scan. */
typedef struct CfScanState
{
	Relation	rel;
	const CfResource *res;
	CfOptions	opts;
	CfConnection *conn;

	/* from the plan */
	CfReqPlan  *plan;			/* the request plan (reqplan.h) */
	List	   *value_states;	/* ExprState per fdw_exprs entry */
	List	   *value_types;	/* result type OIDs of fdw_exprs */

	/* conversion */
	int			nconvs;
	CfColumnConv *convs;
	CfPathNode *paths;			/* the JSON paths of convs, as a tree */
	CfColumnConv *current_conv; /* for the error context */
	const char **conv_columns;	/* the resource column of each conv, or NULL */
	char	  **echo;			/* filter-only values per conv, or NULL */

	/*
	 * count(*) (count.c): each stream is one request of one item whose
	 * result_info.total_size is its count, and no row is converted.
	 */
	bool		count_mode;

	/* request streams of the current (re)scan */
	bool		started;		/* cf_scan_start ran */
	bool		empty;			/* the filters cannot match anything */
	bool		fanout;			/* streams come from the organizations list */
	char	   *query;			/* "&a=b&c=d" filters, escaped */
	char	   *path_id;		/* the {id} of a list path (a history) */
	List	   *windows;		/* "&since=..&before=.." per request, or NIL */
	int			next_window;	/* of the scope being started */
	List	   *scopes;			/* organization ids still to visit */
	List	   *chunks;			/* list paths still to read (a long IN list) */
	CfStream   *driver;			/* the organizations list of a fan-out */
	CfStream  **active;
	int			nactive;
	int			cur;

	MemoryContext query_cxt;	/* the executor's es_query_cxt */
	MemoryContext scan_cxt;		/* streams; reset on rescan */
	MemoryContext batch_cxt;	/* the pages of one round; reset per round */
	MemoryContext temp_cxt;		/* one tuple's values */

	/*
	 * Pages this statement already fetched through the same connection,
	 * by request path (stmtcache.c): a rescan, another scan of the same
	 * statement or a fan-out's organizations list that sends a request
	 * again is answered from there, within request_cache_bytes.
	 */
	CfStmtCache *pages;

	int64		sent;			/* requests of all (re)scans, retries not counted */
	int64		budget_used;	/* requests of this (re)scan */
	CfStats		stats;
} CfScanState;

/* cloudflare_fdw.c */
extern ForeignScan *cf_base_plan(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid, ForeignPath *best_path,
								 List *tlist, List *scan_clauses,
								 Plan *outer_plan, bool count);

/* reqplan.c */
extern void cf_append_param(StringInfo buf, const char *name,
							const char *value, bool escape);
extern void cf_append_order(StringInfo buf, const CfOrderDef *order, bool desc);
extern List *cf_datum_values(Datum value, Oid type, bool is_array);

/* scan.c */
extern CfScanState *cf_scan_begin(ForeignScanState *node, List *priv,
								  Relation rel, Oid userid);
extern void cf_scan_start(CfScanState *st, ExprContext *econtext);
extern TupleTableSlot *cf_scan_next(CfScanState *st, ExprContext *econtext,
									TupleTableSlot *slot);
extern char *cf_utf8(char *s);

/* fetch.c */
extern CfStream *cf_new_stream(CfScanState *st, const char *path,
							   const char *scope, bool single);
extern int	cf_fanout_page_size(const CfResource *res, const CfOptions *opts);
extern bool cf_fetch_round(CfScanState *st);
extern void cf_scan_explain(List *priv, CfScanState *st, const char *count,
							ExplainState *es);

/* count.c */
extern void cf_count_estimate(const CfResource *res,
							  const CfRequestShape *shape,
							  double *requests, double *groups);

#endif							/* CF_SCAN_H */
