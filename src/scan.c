/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  The executor side of a scan: its state, the request streams of a
 *		  (re)scan, paging, the rounds of requests, and the rows.
 *
 * cf_scan_begin prepares the conversions and value expressions of a plan
 * (cf_base_plan's fdw_private); cf_scan_start evaluates the filter values
 * on the first fetch of each (re)scan and turns them into streams: one list
 * path, one per organization (named, or listed by a fan-out's driver), one
 * per chunk of a long IN list, one per time window; cf_fetch_round sends the
 * next page of every active stream at once (request.c), first asking the
 * statement's pages (stmtcache.c) and the response cache (cache.c); each
 * stream's answer advances its paging (token, cursor, page number) with the
 * guards that stop a looping API; cf_scan_next converts each item of a page
 * into a row (page.c, convert.c).  count.c runs the same streams in count
 * mode, one request of one item each.
 *
 * IDENTIFICATION
 *		  src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "common/hashfn.h"
#include "compat.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "scan.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static void cf_fetch_driver_page(CfScanState *st);
static CfStream *cf_new_stream(CfScanState *st, const char *path,
							   const char *scope, bool single);
static void cf_stream_request(CfScanState *st, CfStream *s, CfRequest *req);
static void cf_stream_response(CfScanState *st, CfStream *s);
static void cf_check_budget(CfScanState *st, int more);
static void cf_execute_cached(CfScanState *st, CfRequest **reqs, int n);
static bool cf_response_cache_get(CfScanState *st, CfRequest *req);
static void cf_store_row(CfScanState *st, const char *scope, CfPage *page,
						 CfSpan item, TupleTableSlot *slot);
static char *cf_page_id_text(CfPage *page, CfSpan value);
static void cf_conversion_error_callback(void *arg);

/*
 * cf_scan_begin
 *		The executor state of a scan of rel described by priv (a base
 *		plan's fdw_private) through userid's mapping: its conversions, its
 *		value expressions (the node's fdw_exprs) and its memory.
 */
CfScanState *
cf_scan_begin(ForeignScanState *node, List *priv, Relation rel, Oid userid)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CfScanState *st;
	ForeignTable *table;
	List	   *retrieved;
	ListCell   *lc;
	int			i;

	st = palloc0(sizeof(CfScanState));
	st->rel = rel;
	st->res = cf_resource_by_id(intVal(list_nth(priv, CfScanPrivateResource)));
	cf_get_options(RelationGetRelid(st->rel), &st->opts);

	st->page_size = intVal(list_nth(priv, CfScanPrivatePageSize));
	st->order = -1;
	if (list_nth(priv, CfScanPrivateOrder) != NIL)
	{
		List	   *order = (List *) list_nth(priv, CfScanPrivateOrder);

		st->order = linitial_int(order);
		st->order_desc = lsecond_int(order) != 0;
	}
	st->plan = cf_reqplan_read(st->res, (List *) list_nth(priv, CfScanPrivateSlots),
							   st->page_size, cf_fanout_page_size(&st->opts),
							   st->order, st->order_desc);

	table = GetForeignTable(RelationGetRelid(st->rel));
	st->conn = cf_get_connection(GetForeignServer(table->serverid),
								 GetUserMapping(userid, table->serverid));

	st->value_states = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	foreach(lc, fsplan->fdw_exprs)
		st->value_types = lappend_oid(st->value_types, exprType(lfirst(lc)));

	retrieved = (List *) list_nth(priv, CfScanPrivateRetrieved);
	st->nconvs = list_length(retrieved);
	st->convs = palloc0(sizeof(CfColumnConv) * Max(st->nconvs, 1));
	st->echo = palloc0(sizeof(char *) * Max(st->nconvs, 1));
	st->conv_columns = palloc0(sizeof(char *) * Max(st->nconvs, 1));
	i = 0;
	foreach(lc, retrieved)
	{
		AttrNumber	attnum = lfirst_int(lc);
		const CfColumnDef *col = cf_attr_resource_column(RelationGetRelid(st->rel),
														 attnum, st->res);
		char	   *path = NULL;

		if (col == NULL || !(col->flags & (CF_COL_FILTER_ONLY | CF_COL_SCOPE)))
			path = cf_column_json_path(RelationGetRelid(st->rel), attnum, st->res);
		cf_conv_init(&st->convs[i], st->rel, attnum, path);
		cf_conv_set_doc_type(&st->convs[i], cf_resource_field_type(st->res, path));
		if (col != NULL)
		{
			st->convs[i].filter_only = col->flags & (CF_COL_FILTER_ONLY | CF_COL_SCOPE |
													 CF_COL_PAGE_INFO);
			st->conv_columns[i] = col->name;
		}
		i++;
	}
	st->paths = cf_path_tree(st->convs, st->nconvs);

	st->query_cxt = estate->es_query_cxt;
	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "cloudflare_fdw scan",
										 ALLOCSET_DEFAULT_SIZES);
	st->batch_cxt = AllocSetContextCreate(estate->es_query_cxt,
										  "cloudflare_fdw page",
										  ALLOCSET_DEFAULT_SIZES);
	st->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "cloudflare_fdw tuple",
										 ALLOCSET_SMALL_SIZES);
	st->active = palloc0(sizeof(CfStream *) * st->opts.max_concurrency);
	st->cur = -1;
	return st;
}

/*
 * cf_utf8
 *		A runtime value as UTF-8 text, the API's encoding.
 */
char *
cf_utf8(char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* list_sort comparator of C strings */
/*
 * cf_scan_start
 *		Evaluates the filter values and sets up the request streams of a
 *		(re)scan from the shape of what they send (reqplan.c): nothing when
 *		no row can match, one object, one list (or the chunks of a long IN
 *		list), a list per organization named (times each time window), or
 *		a fan-out over the organizations list.
 */
void
cf_scan_start(CfScanState *st, ExprContext *econtext)
{
	const CfResource *res = st->res;
	const CfReqPlan *plan = st->plan;
	CfSlotValue *values;
	CfRequestShape shape;
	ListCell   *lc;
	MemoryContext old;

	MemoryContextReset(st->batch_cxt);
	MemoryContextReset(st->scan_cxt);
	old = MemoryContextSwitchTo(st->scan_cxt);

	st->empty = false;
	st->budget_used = 0;
	st->fanout = false;
	st->path_id = NULL;
	st->windows = NIL;
	st->next_window = 0;
	st->scopes = NIL;
	st->chunks = NIL;
	st->driver = NULL;
	st->nactive = 0;
	st->cur = -1;
	for (int i = 0; i < st->nconvs; i++)
		st->echo[i] = NULL;

	/* the values, evaluated in per-tuple memory, their text kept here */
	values = palloc0(sizeof(CfSlotValue) * Max(plan->nslots, 1));
	for (int i = 0; i < plan->nslots; i++)
	{
		const CfSlot *slot = &plan->slots[i];
		bool		isnull = false;
		Datum		d = (Datum) 0;

		values[i].known = true;
		if (slot->expr < 0)
			continue;
		MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		d = ExecEvalExpr(list_nth(st->value_states, slot->expr), econtext,
						 &isnull);
		MemoryContextSwitchTo(st->scan_cxt);
		cf_slot_set(&values[i], res, slot, d, isnull,
					list_nth_oid(st->value_types, slot->expr));
	}
	cf_request_shape(plan, values, CF_SHAPE_RUN, &shape);
	if (shape.no_match)
	{
		st->empty = true;
		MemoryContextSwitchTo(old);
		return;
	}

	/* a filter-only column echoes the value it was filtered on */
	foreach(lc, shape.echo)
	{
		CfEcho	   *echo = (CfEcho *) lfirst(lc);

		for (int i = 0; i < st->nconvs; i++)
			if ((st->convs[i].filter_only & CF_COL_FILTER_ONLY) &&
				st->conv_columns[i] != NULL &&
				strcmp(st->conv_columns[i], echo->column) == 0)
				st->echo[i] = echo->value;
	}

	st->path_id = shape.path_id;
	st->windows = shape.windows;
	if (plan->order >= 0)
		cf_append_order(&shape.query, &res->orders[plan->order], plan->order_desc);
	st->query = shape.query.data;

	switch (shape.reach)
	{
		case CF_REACH_LOOKUP:
			{
				const char *scope = shape.scopes ? strVal(linitial(shape.scopes)) : NULL;

				st->active[st->nactive++] =
					cf_new_stream(st, cf_fill_path(res->item_path, scope, shape.lookup),
								  scope, true);
			}
			break;
		case CF_REACH_LIST:
			if (shape.split == NIL)
				st->active[st->nactive++] =
					cf_new_stream(st, psprintf("%s%s%s", res->list_path,
											   st->query[0] ? "?" : "",
											   st->query[0] ? st->query + 1 : ""),
								  NULL, false);
			/* one list path per CF_IN_CHUNK values, read as streams */
			for (int i = 0; i < list_length(shape.split); i += CF_IN_CHUNK)
			{
				StringInfoData chunk;

				initStringInfo(&chunk);
				appendStringInfoString(&chunk, st->query);
				for (int j = i; j < Min(i + CF_IN_CHUNK, list_length(shape.split)); j++)
					cf_append_param(&chunk, shape.split_def->param,
									list_nth(shape.split, j), true);
				st->chunks = lappend(st->chunks,
									 psprintf("%s?%s", res->list_path, chunk.data + 1));
			}
			break;
		case CF_REACH_SCOPES:
			foreach(lc, shape.scopes)
				st->scopes = lappend(st->scopes, strVal(lfirst(lc)));
			break;
		case CF_REACH_EMBEDDED:
			{
				CfStream   *s = cf_new_stream(st, pstrdup(cf_resource_by_id(CF_RES_ORGANIZATIONS)->list_path),
											  NULL, false);

				s->embedded = true;
				st->active[st->nactive++] = s;
			}
			break;
		case CF_REACH_FANOUT:
			st->fanout = true;
			st->driver = cf_new_stream(st, pstrdup(cf_resource_by_id(CF_RES_ORGANIZATIONS)->list_path),
									   NULL, false);
			break;
	}
	MemoryContextSwitchTo(old);
}

static CfStream *
cf_new_stream(CfScanState *st, const char *path, const char *scope, bool single)
{
	CfStream   *s = palloc0(sizeof(CfStream));

	s->path = (char *) path;
	s->scope = (char *) scope;
	s->single = single;
	s->page = 1;
	return s;
}

/*
 * cf_fanout_page_size
 *		The page size of the organizations list a fan-out reads (and a
 *		profile scan, whose rows come embedded in it): the table's
 *		page_size, within what that list allows.
 */
int
cf_fanout_page_size(const CfOptions *opts)
{
	const CfResource *orgs = cf_resource_by_id(CF_RES_ORGANIZATIONS);

	return Max(Min(opts->page_size, orgs->max_page_size), orgs->min_page_size);
}

/*
 * cf_stream_request
 *		The request for a stream's next page.
 */
static void
cf_stream_request(CfScanState *st, CfStream *s, CfRequest *req)
{
	const CfResource *res = st->res;
	StringInfoData path;
	const CfResource *orgs = cf_resource_by_id(CF_RES_ORGANIZATIONS);
	bool		org_list = s->embedded || s == st->driver;
	CfPaging	paging = org_list ? orgs->paging : res->paging;
	const char *page_param = org_list ? orgs->page_param : res->page_param;
	int			page_size = org_list ? cf_fanout_page_size(&st->opts)
		: st->page_size;

	initStringInfo(&path);
	appendStringInfoString(&path, s->path);
	if (!s->single && paging != CF_PAGING_NONE && paging != CF_PAGING_ONCE)
	{
		appendStringInfo(&path, "%c%s=%d", strchr(s->path, '?') ? '&' : '?',
						 page_param, page_size);
		if (paging == CF_PAGING_TOKEN && s->token)
			appendStringInfo(&path, "&%s=%s", CF_TOKEN_PARAM, cf_url_escape(s->token));
		else if (paging == CF_PAGING_CURSOR && s->token)
			appendStringInfo(&path, "&%s=%s", CF_CURSOR_PARAM, cf_url_escape(s->token));
		else if (paging == CF_PAGING_PAGE)
			appendStringInfo(&path, "&%s=%d", CF_PAGE_PARAM, s->page);
	}

	memset(req, 0, sizeof(CfRequest));
	req->method = "GET";
	req->path = path.data;
	req->as_page = true;
	req->not_found_ok = s->single || s->scope != NULL;
	s->req = req;
}

/*
 * cf_page_edges_hash
 *		A hash of a page's size and of the JSON text of its first and last
 *		items: two consecutive pages of a list never share it.
 */
static uint64
cf_page_edges_hash(CfPage *page)
{
	CfSpan		first = page->items[0];
	CfSpan		last = page->items[page->nitems - 1];
	uint64		h = hash_bytes_extended((const unsigned char *) page->text + first.off,
										first.len, (uint64) page->nitems);

	if (page->nitems > 1)
		h = hash_bytes_extended((const unsigned char *) page->text + last.off,
								last.len, h);
	return h;
}

/*
 * cf_stream_response
 *		Takes the items of a stream's page and advances its paging.  A page
 *		token that does not move, or a page identical to the one before,
 *		would make the scan loop forever: both stop it with an ERROR.
 */
static void
cf_stream_response(CfScanState *st, CfStream *s)
{
	CfRequest  *req = s->req;
	CfPage	   *page = req->page;
	bool		org_list = s->embedded || s == st->driver;
	CfPaging	paging = org_list
		? cf_resource_by_id(CF_RES_ORGANIZATIONS)->paging : st->res->paging;
	int			page_size = org_list ? cf_fanout_page_size(&st->opts)
		: st->page_size;

	s->cur_page = NULL;
	s->items = NULL;
	s->nitems = 0;
	s->next = 0;
	s->pages++;
	st->stats.pages++;

	if (st->stats.pages > st->opts.max_pages)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("scan of foreign table \"%s\" exceeded max_pages (%d)",
						RelationGetRelationName(st->rel), st->opts.max_pages),
				 errhint("Add a filter, or raise the max_pages option.")));

	if (req->status == 404)
	{
		s->done = true;
		return;
	}

	if (page == NULL || !page->has_result)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Cloudflare API response has no \"result\""),
				 errcontext("request: GET %s", req->path)));
	s->cur_page = page;

	if (s->single)
	{
		if (page->result_kind == '{')
		{
			s->items = &page->result;
			s->nitems = 1;
		}
		else if (page->result_kind != 'n')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Cloudflare API response \"result\" is not an object"),
					 errcontext("request: GET %s", req->path)));
		s->done = true;
		return;
	}

	if (page->result_kind != '[')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Cloudflare API response \"result\" is not an array"),
				 errcontext("request: GET %s", req->path)));

	/* a count reads the list's total, not its one item */
	if (st->count_mode && !org_list)
	{
		if (page->total_size < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API response has no result_info.total_size to count"),
					 errcontext("request: GET %s", req->path)));
		s->total = page->total_size;
		s->done = true;
		return;
	}

	s->items = page->items;
	s->nitems = page->nitems;

	if (paging == CF_PAGING_ONCE)
		s->done = true;
	else if (paging == CF_PAGING_TOKEN || paging == CF_PAGING_CURSOR)
	{
		const char *next = paging == CF_PAGING_TOKEN ? page->next_page_token
			: page->next_cursor;

		if (next == NULL || next[0] == '\0' || s->nitems == 0)
			s->done = true;
		else if (s->token && strcmp(next, s->token) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API returned the same %s it was sent while paging foreign table \"%s\"",
							paging == CF_PAGING_TOKEN ? "next_page_token" : "cursor",
							RelationGetRelationName(st->rel)),
					 errdetail("GET %s: the scan stopped after %lld pages instead of looping.",
							   s->path, (long long) s->pages)));
		else
			s->token = MemoryContextStrdup(st->scan_cxt, next);
	}

	/*
	 * A page that repeats the one before (the same first and last items,
	 * whatever its token) means the API is not moving on.
	 */
	if (s->nitems > 0)
	{
		uint64		edges = cf_page_edges_hash(page);

		if (s->pages > 1 && edges == s->last_edges)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API returned the same page twice while paging foreign table \"%s\"",
							RelationGetRelationName(st->rel)),
					 errdetail("Page %lld of GET %s repeats the page before it; the scan stopped instead of looping.",
							   (long long) s->pages, s->path)));
		s->last_edges = edges;
	}

	if (paging == CF_PAGING_PAGE)
	{
		if (s->nitems < page_size)
			s->done = true;
		else
			s->page++;
	}
}

/*
 * cf_check_budget
 *		Stops a scan that would send more than max_requests requests.
 */
static void
cf_check_budget(CfScanState *st, int more)
{
	st->sent += more;
	st->budget_used += more;
	if (st->budget_used > st->opts.max_requests)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scan of foreign table \"%s\" would send more than max_requests (%d) requests to the Cloudflare API",
						RelationGetRelationName(st->rel), st->opts.max_requests),
				 st->res->scope_column
				 ? errhint("Filter on %s (for example \"%s = '...'\") to avoid one request per organization, or raise the max_requests option.",
						   st->res->scope_column, st->res->scope_column)
				 : errhint("Add a filter the API can apply, or raise the max_requests option.")));
}

/*
 * cf_response_cache_get
 *		Answers a page request from the response cache when it holds the
 *		page, fresh within cache_ttl: the text is read as a fetched page
 *		is.  False when the request must be sent.
 */
static bool
cf_response_cache_get(CfScanState *st, CfRequest *req)
{
	uint32		len;
	int64		age_ms;
	char	   *text;
	CfPage	   *page;
	char		errbuf[128];
	bool		truncated;

	if (!req->as_page || strcmp(req->method, "GET") != 0)
		return false;
	text = cf_cache_get(st->conn, req->path, st->opts.cache_ttl, &len, &age_ms);
	if (text == NULL)
	{
		cf_stats_cache(st->conn, false);
		return false;
	}
	page = cf_page_parse(text, len, errbuf, sizeof(errbuf), &truncated);
	if (page == NULL)
	{
		pfree(text);
		return false;			/* cannot happen: it was stored parsed */
	}
	req->status = 200;
	req->page = page;
	req->root = NULL;
	req->body_bytes = len;
	st->stats.response_hits++;
	st->stats.response_oldest_ms = Max(st->stats.response_oldest_ms, age_ms);
	cf_stats_cache(st->conn, true);
	return true;
}

/*
 * cf_execute_cached
 *		Runs the requests of one round, answering from the statement's
 *		pages (stmtcache.c) those it already sent through this connection,
 *		then from the response cache (cache_ttl), and keeping the new
 *		answers for the rest of the statement while they fit.  A page
 *		from the statement's pages is borrowed: they keep it until the
 *		statement ends.
 */
static void
cf_execute_cached(CfScanState *st, CfRequest **reqs, int n)
{
	CfRequest **miss = palloc(sizeof(CfRequest *) * n);
	int			nmiss = 0;

	if (st->opts.request_cache_bytes > 0)
		st->pages = cf_stmt_cache(st->query_cxt, st->conn, false);
	for (int i = 0; i < n; i++)
	{
		if (cf_stmt_cache_get(st->pages, reqs[i]))
			st->stats.cache_hits++;
		else
			miss[nmiss++] = reqs[i];
	}
	if (nmiss == 0)
		return;

	/* the response cache (cache_ttl) answers what it holds */
	if (st->opts.cache_ttl > 0)
	{
		int			nfetch = 0;

		for (int i = 0; i < nmiss; i++)
		{
			if (!cf_response_cache_get(st, miss[i]))
				miss[nfetch++] = miss[i];
		}
		nmiss = nfetch;
		if (nmiss == 0)
			return;
	}

	cf_check_budget(st, nmiss);
	cf_execute(st->conn, miss, nmiss, &st->stats);

	if (st->opts.cache_ttl > 0)
	{
		for (int i = 0; i < nmiss; i++)
		{
			CfRequest  *r = miss[i];

			if (r->status >= 200 && r->status < 300 && r->page != NULL &&
				r->page->success != 0)
				cf_cache_put(st->conn, r->path, r->page->text, r->page->len);
		}
	}

	if (st->opts.request_cache_bytes <= 0)
		return;
	st->pages = cf_stmt_cache(st->query_cxt, st->conn, true);
	for (int i = 0; i < nmiss; i++)
		cf_stmt_cache_put(st->pages, miss[i], st->opts.request_cache_bytes);
}

/*
 * cf_fetch_driver_page
 *		The next page of the organizations list a fan-out visits; its ids
 *		become the scopes of the next streams.
 */
static void
cf_fetch_driver_page(CfScanState *st)
{
	CfStream   *d = st->driver;
	CfRequest  *req = palloc0(sizeof(CfRequest));
	MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);

	cf_stream_request(st, d, req);
	cf_execute_cached(st, &req, 1);
	cf_stream_response(st, d);

	/*
	 * With the total known after the first page, a fan-out that cannot
	 * fit in max_requests fails now rather than half-way.
	 */
	if (d->pages == 1)
	{
		int64		orgs = -1;

		if (d->done)
			orgs = d->nitems;
		else if (d->cur_page != NULL)
			orgs = d->cur_page->total_size;

		if (orgs >= 0)
		{
			int64		org_page = cf_fanout_page_size(&st->opts);
			int64		need = orgs + (orgs + org_page - 1) / org_page;

			if (need > st->opts.max_requests)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("scan of foreign table \"%s\" would need about " INT64_FORMAT " requests, more than max_requests (%d)",
								RelationGetRelationName(st->rel), need,
								st->opts.max_requests),
						 errdetail("It visits each of the " INT64_FORMAT " organizations the credentials can see.",
								   orgs),
						 errhint("Filter on %s (for example \"%s = '...'\" or \"%s IN (...)\"), or raise the max_requests option.",
								 st->res->scope_column, st->res->scope_column,
								 st->res->scope_column)));
		}
	}

	MemoryContextSwitchTo(st->scan_cxt);
	for (int i = 0; i < d->nitems; i++)
	{
		CfSpan		id;
		char	   *scope;

		if (cf_page_field(d->cur_page, d->items[i], "id", &id) &&
			(scope = cf_page_string(d->cur_page, id)) != NULL)
			st->scopes = lappend(st->scopes, scope);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->batch_cxt);
}

/*
 * cf_fetch_round
 *		Fetches the next page of every active stream at once (up to
 *		max_concurrency requests in flight), after replacing finished
 *		streams with the next organizations to visit.  Returns false when
 *		no stream is left.
 */
bool
cf_fetch_round(CfScanState *st)
{
	const CfResource *res = st->res;
	CfRequest **reqs;
	CfRequest  *reqarr;
	int			n = 0;
	MemoryContext old;

	for (int i = 0; i < st->nactive; i++)
		if (!st->active[i]->done)
			st->active[n++] = st->active[i];
	st->nactive = n;

	MemoryContextReset(st->batch_cxt);
	while (st->nactive < st->opts.max_concurrency)
	{
		char	   *scope;
		char	   *path;
		char	   *query;

		if (st->chunks != NIL)
		{
			old = MemoryContextSwitchTo(st->scan_cxt);
			st->active[st->nactive++] = cf_new_stream(st, linitial(st->chunks),
													  NULL, false);
			st->chunks = list_delete_first(st->chunks);
			MemoryContextSwitchTo(old);
			continue;
		}
		if (st->scopes == NIL)
		{
			if (st->driver && !st->driver->done)
			{
				cf_fetch_driver_page(st);
				continue;
			}
			break;
		}
		/* a scope's streams: one per window of time, or just one */
		scope = linitial(st->scopes);
		old = MemoryContextSwitchTo(st->scan_cxt);
		path = cf_fill_path(res->list_path, scope, st->path_id);
		query = st->query ? st->query : "";
		if (st->windows != NIL)
			query = psprintf("%s%s", query,
							 (char *) list_nth(st->windows, st->next_window++));
		if (st->next_window >= list_length(st->windows))
		{
			st->next_window = 0;
			st->scopes = list_delete_first(st->scopes);
		}
		if (query[0])
			path = psprintf("%s?%s", path, query + 1);
		st->active[st->nactive++] = cf_new_stream(st, path, scope,
												  res->paging == CF_PAGING_NONE);
		MemoryContextSwitchTo(old);
	}
	if (st->nactive == 0)
		return false;

	old = MemoryContextSwitchTo(st->batch_cxt);
	reqs = palloc(sizeof(CfRequest *) * st->nactive);
	reqarr = palloc0(sizeof(CfRequest) * st->nactive);
	for (int i = 0; i < st->nactive; i++)
	{
		reqs[i] = &reqarr[i];
		cf_stream_request(st, st->active[i], reqs[i]);
	}
	cf_execute_cached(st, reqs, st->nactive);
	for (int i = 0; i < st->nactive; i++)
		cf_stream_response(st, st->active[i]);
	MemoryContextSwitchTo(old);
	st->cur = 0;
	return true;
}

/*
 * cf_conversion_error_callback
 *		Names the column, table and resource of a value that does not fit.
 */
static void
cf_conversion_error_callback(void *arg)
{
	CfScanState *st = (CfScanState *) arg;
	CfColumnConv *conv = st->current_conv;

	if (conv == NULL)
		return;
	if (conv->pathlen > 0)
	{
		StringInfoData path;

		initStringInfo(&path);
		for (int i = 0; i < conv->pathlen; i++)
			appendStringInfo(&path, "%s%s", i ? "." : "", conv->path[i]);
		errcontext("column \"%s\" of foreign table \"%s\" (Cloudflare resource %s, JSON field \"%s\")",
				   conv->colname, RelationGetRelationName(st->rel),
				   st->res->name, path.data);
	}
	else
		errcontext("column \"%s\" of foreign table \"%s\" (Cloudflare resource %s)",
				   conv->colname, RelationGetRelationName(st->rel),
				   st->res->name);
}

/*
 * cf_page_id_text
 *		The text of an organization's id for the scope column: a string's
 *		contents, NULL for JSON null, any other value's JSON text.
 */
static char *
cf_page_id_text(CfPage *page, CfSpan value)
{
	char		first = page->text[value.off];

	if (first == '"')
		return cf_page_string(page, value);
	if (first == 'n')
		return NULL;
	return pnstrdup(page->text + value.off, value.len);
}

/*
 * cf_store_row
 *		Converts one JSON item into the slot's columns.
 */
static void
cf_store_row(CfScanState *st, const char *scope, CfPage *page, CfSpan item,
			 TupleTableSlot *slot)
{
	Datum	   *values = slot->tts_values;
	bool	   *nulls = slot->tts_isnull;
	ErrorContextCallback errcb;

	ExecClearTuple(slot);
	memset(nulls, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);

	errcb.callback = cf_conversion_error_callback;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	cf_page_row(page, item, st->paths, st->convs, values, nulls,
				&st->current_conv);

	for (int i = 0; i < st->nconvs; i++)
	{
		CfColumnConv *conv = &st->convs[i];
		int			att = conv->attnum - 1;
		const char *text = NULL;

		if (conv->filter_only & CF_COL_PAGE_INFO)
		{
			CfSpan		v;

			/* a field of the page's result_info, the same for its rows */
			st->current_conv = conv;
			if (page->has_info &&
				cf_page_field(page, page->info, conv->path[0], &v))
				values[att] = cf_text_to_datum(page->text + v.off, v.len, conv,
											   &nulls[att]);
			continue;
		}
		if (conv->filter_only & CF_COL_SCOPE)
			text = scope;
		else if (conv->filter_only & CF_COL_FILTER_ONLY)
			text = st->echo[i];
		else
			continue;
		st->current_conv = conv;
		if (text != NULL)
		{
			values[att] = InputFunctionCall(&conv->inflinfo, (char *) text,
											conv->typioparam, conv->typmod);
			nulls[att] = false;
		}
	}
	st->current_conv = NULL;
	error_context_stack = errcb.previous;

	ExecStoreVirtualTuple(slot);
}

/*
 * cf_scan_next
 *		The next row into slot: from the current page of the current
 *		stream, else from the next round of pages; an empty slot at the end.
 */
TupleTableSlot *
cf_scan_next(CfScanState *st, ExprContext *econtext, TupleTableSlot *slot)
{
	MemoryContext old;

	if (!st->started)
	{
		cf_scan_start(st, econtext);
		st->started = true;
	}

	MemoryContextReset(st->temp_cxt);
	for (;;)
	{
		if (st->empty)
			return ExecClearTuple(slot);

		if (st->cur >= 0 && st->cur < st->nactive)
		{
			CfStream   *s = st->active[st->cur];

			while (s->next < s->nitems)
			{
				CfPage	   *page = s->cur_page;
				CfSpan		item = s->items[s->next];

				s->next++;
				if (s->embedded)
				{
					/* the row is a field of the organization, its scope the id */
					CfSpan		emb;
					CfSpan		id;

					if (!cf_page_field(page, item, st->res->embedded_field, &emb) ||
						page->text[emb.off] != '{' ||
						!cf_page_field(page, item, "id", &id))
						continue;
					old = MemoryContextSwitchTo(st->temp_cxt);
					cf_store_row(st, cf_page_id_text(page, id), page, emb, slot);
					MemoryContextSwitchTo(old);
					st->stats.rows++;
					return slot;
				}
				if (page->text[item.off] != '{')
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
							 errmsg("Cloudflare API returned an item that is not a JSON object"),
							 errcontext("request: GET %s", s->req->path)));
				old = MemoryContextSwitchTo(st->temp_cxt);
				cf_store_row(st, s->scope, page, item, slot);
				MemoryContextSwitchTo(old);
				st->stats.rows++;
				return slot;
			}
			st->cur++;
			continue;
		}

		CHECK_FOR_INTERRUPTS();
		if (!cf_fetch_round(st))
		{
			st->empty = true;
			return ExecClearTuple(slot);
		}
	}
}

/*
 * cf_scan_explain
 *		The EXPLAIN lines of a scan described by priv (a base plan's
 *		fdw_private), st its state under ANALYZE; count, what a count(*)
 *		reads instead of rows, or NULL.
 */
void
cf_scan_explain(List *priv, CfScanState *st, const char *count,
				ExplainState *es)
{
	const char *fanout = strVal(list_nth(priv, CfScanPrivateFanout));

	ExplainPropertyText("Cloudflare API",
						strVal(list_nth(priv, CfScanPrivateRequest)), es);
	if (fanout[0] != '\0')
		ExplainPropertyText("Cloudflare Fan-out", fanout, es);
	if (strVal(list_nth(priv, CfScanPrivateWindows))[0] != '\0')
		ExplainPropertyText("Cloudflare Window",
							strVal(list_nth(priv, CfScanPrivateWindows)), es);
	if (count != NULL)
		ExplainPropertyText("Cloudflare Count", count, es);
	/*
	 * The Filter line above is the local recheck of every row; VERBOSE says
	 * which of its conditions the request carries as well.
	 */
	if (es->verbose &&
		strncmp(strVal(list_nth(priv, CfScanPrivateRequest)), "no request", 10) != 0)
	{
		const char *conds = strVal(list_nth(priv, CfScanPrivatePushed));

		ExplainPropertyText("Cloudflare Pushed",
							conds[0] ? conds : "nothing (the request filters no rows)", es);
	}
	if (es->costs)
		ExplainPropertyInteger("Cloudflare Requests (estimated)", NULL,
							   intVal(list_nth(priv, CfScanPrivateEstRequests)),
							   es);

	if (es->analyze && st != NULL)
	{
		ExplainPropertyInteger("Cloudflare Requests", NULL, st->sent, es);
		ExplainPropertyInteger("Cloudflare Pages", NULL, st->stats.pages, es);
		ExplainPropertyInteger("Cloudflare Retries", NULL, st->stats.retries, es);
		if (st->stats.cache_hits > 0)
			ExplainPropertyInteger("Cloudflare Cache Hits", NULL,
								   st->stats.cache_hits, es);
		if (st->opts.cache_ttl > 0)
		{
			ExplainPropertyInteger("Cloudflare Response Cache Hits", NULL,
								   st->stats.response_hits, es);
			if (es->timing && st->stats.response_hits > 0)
				ExplainPropertyFloat("Cloudflare Response Cache Oldest Page", "s",
									 st->stats.response_oldest_ms / 1000.0, 1, es);
		}
		if (es->timing)
		{
			ExplainPropertyInteger("Cloudflare Bytes", NULL, st->stats.bytes, es);
			ExplainPropertyFloat("Cloudflare API Wait", "ms",
								 st->stats.wait_us / 1000.0, 3, es);
			/* the part of it the shared rate budget held requests back */
			if (st->stats.budget_wait_us > 0)
				ExplainPropertyFloat("Cloudflare Rate Budget Wait", "ms",
									 st->stats.budget_wait_us / 1000.0, 3, es);
		}
	}
}

