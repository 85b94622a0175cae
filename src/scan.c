/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  The executor side of a scan: its state, the request streams of a
 *		  (re)scan, the rows, and EXPLAIN.
 *
 * cf_scan_begin prepares the conversions and value expressions of a plan
 * (cf_base_plan's fdw_private); cf_scan_start evaluates the filter values
 * on the first fetch of each (re)scan and turns the shape of what they send
 * (reqplan.c) into streams: one list path, one per organization (named, or
 * listed by a fan-out's driver), one per chunk of a long IN list, one per
 * time window.  fetch.c reads the streams' pages, a round at a time;
 * cf_scan_next converts each item of a page into a row (page.c,
 * convert.c).  count.c runs the same streams in count mode, one request of
 * one item each.
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
#include "convert.h"
#include "page.h"
#include "pushdown.h"
#include "request.h"
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

static void cf_store_row(CfScanState *st, const char *scope, CfPage *page,
						 CfSpan item, TupleTableSlot *slot);
static char *cf_page_id_text(CfPage *page, CfSpan value);
static void cf_conversion_error_callback(void *arg);
static void cf_scan_streams(CfScanState *st, CfRequestShape *shape);

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
	List	   *order;
	ListCell   *lc;
	int			i;

	st = palloc0(sizeof(CfScanState));
	st->rel = rel;
	st->res = cf_resource_by_id(intVal(list_nth(priv, CfScanPrivateResource)));
	cf_get_options(RelationGetRelid(st->rel), &st->opts);

	order = (List *) list_nth(priv, CfScanPrivateOrder);
	st->plan = cf_reqplan_read(st->res, (List *) list_nth(priv, CfScanPrivateSlots),
							   intVal(list_nth(priv, CfScanPrivatePageSize)),
							   cf_fanout_page_size(st->res, &st->opts),
							   order != NIL ? linitial_int(order) : -1,
							   order != NIL && lsecond_int(order) != 0);

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
/* What cf_scan_eval needs. */
typedef struct CfScanEval
{
	CfScanState *st;
	ExprContext *econtext;
} CfScanEval;

/*
 * cf_scan_eval
 *		A slot's value at run time, evaluated in per-tuple memory, its text
 *		kept in the scan's context (CfSlotEval).
 */
static void
cf_scan_eval(int i, CfSlotValue *v, void *arg)
{
	CfScanEval *ev = (CfScanEval *) arg;
	CfScanState *st = ev->st;
	const CfSlot *slot = &st->plan->slots[i];
	bool		isnull = false;
	Datum		d;
	MemoryContext old;

	v->known = true;
	if (slot->expr < 0)
		return;
	old = MemoryContextSwitchTo(ev->econtext->ecxt_per_tuple_memory);
	d = ExecEvalExpr(list_nth(st->value_states, slot->expr), ev->econtext,
					 &isnull);
	MemoryContextSwitchTo(st->scan_cxt);
	cf_slot_set(v, st->res, slot, d, isnull,
				list_nth_oid(st->value_types, slot->expr), false);
	MemoryContextSwitchTo(old);
}

/*
 * cf_scan_streams
 *		The streams of a (re)scan whose requests have this shape: the
 *		object, the list or its chunks; the organizations named, each
 *		started by cf_fetch_round; the organizations list's pages carrying
 *		the rows; or the fan-out's driver.
 */
static void
cf_scan_streams(CfScanState *st, CfRequestShape *shape)
{
	const CfResource *res = st->res;
	const CfReqPlan *plan = st->plan;
	ListCell   *lc;

	st->path_id = shape->path_id;
	st->windows = shape->windows;
	if (plan->order >= 0)
		cf_append_order(&shape->query, &res->orders[plan->order], plan->order_desc);
	st->query = shape->query.data;

	switch (shape->reach)
	{
		case CF_REACH_LOOKUP:
			{
				const char *scope = shape->scopes ? strVal(linitial(shape->scopes)) : NULL;

				st->active[st->nactive++] =
					cf_new_stream(st, cf_fill_path(res->item_path, scope, shape->lookup),
								  scope, true);
			}
			break;
		case CF_REACH_LIST:
			if (shape->split == NIL)
				st->active[st->nactive++] =
					cf_new_stream(st, psprintf("%s%s%s", res->list_path,
											   st->query[0] ? "?" : "",
											   st->query[0] ? st->query + 1 : ""),
								  NULL, false);
			/* one list path per CF_IN_CHUNK values, read as streams */
			for (int i = 0; i < list_length(shape->split); i += CF_IN_CHUNK)
			{
				StringInfoData chunk;

				initStringInfo(&chunk);
				appendStringInfoString(&chunk, st->query);
				for (int j = i; j < Min(i + CF_IN_CHUNK, list_length(shape->split)); j++)
					cf_append_param(&chunk, shape->split_def->param,
									list_nth(shape->split, j), true);
				st->chunks = lappend(st->chunks,
									 psprintf("%s?%s", res->list_path, chunk.data + 1));
			}
			break;
		case CF_REACH_SCOPES:
			foreach(lc, shape->scopes)
				st->scopes = lappend(st->scopes, strVal(lfirst(lc)));
			break;
		case CF_REACH_EMBEDDED:
			{
				CfStream   *s = cf_new_stream(st, pstrdup(cf_fanout_resource(res)->list_path),
											  NULL, false);

				s->res = cf_fanout_resource(res);
				s->embedded = true;
				st->active[st->nactive++] = s;
			}
			break;
		case CF_REACH_FANOUT:
			st->fanout = true;
			st->driver = cf_new_stream(st, pstrdup(cf_fanout_resource(res)->list_path),
									   NULL, false);
			st->driver->res = cf_fanout_resource(res);
			break;
	}
}

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
	const CfReqPlan *plan = st->plan;
	CfSlotValue *values;
	CfScanEval	eval;
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

	/* each value is evaluated when the shape comes to it (cf_scan_eval) */
	values = palloc0(sizeof(CfSlotValue) * Max(plan->nslots, 1));
	eval.st = st;
	eval.econtext = econtext;
	cf_request_shape(plan, values, cf_scan_eval, &eval, CF_SHAPE_RUN, &shape);
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

	cf_scan_streams(st, &shape);
	MemoryContextSwitchTo(old);
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

