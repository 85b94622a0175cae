/*-------------------------------------------------------------------------
 *
 * count.c
 *		  SELECT count(*) answered by the API's result_info.total_size.
 *
 * A list endpoint that pages by token reports how many items match in
 * result_info.total_size, so a count(*) needs one request with page_size=1
 * instead of every page.  That is only right when the request's filters
 * are all the query asks: here, no condition at all, or only the
 * organization of the path ("organization_id = constant") for a table under
 * an organization.  Anything else (a WHERE clause the FDW rechecks, GROUP
 * BY, DISTINCT, FILTER, a fan-out over organizations) keeps the usual scan.
 *
 * The planner side adds an upper-relation path (GetForeignUpperPaths); its
 * plan is a ForeignScan with no base relation (scanrelid 0) whose one
 * output column is the count.  The executor side sends the request once
 * and returns one row.
 *
 * IDENTIFICATION
 *		  src/count.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "commands/explain.h"
#include "compat.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

/* fdw_private of a count's ForeignScan (and of its path). */
enum CfCountPrivateIndex
{
	CfCountPrivateMarker,		/* String "count" */
	CfCountPrivateTable,		/* String: the foreign table's OID */
	CfCountPrivateRti,			/* Integer: its range table index */
	CfCountPrivatePath			/* String: the request path */
};

#define CF_COUNT_MARKER "count"


/* Executor state of a count (ForeignScanState.fdw_state). */
typedef struct CfCountState
{
	CfConnection *conn;
	char	   *path;
	int			cache_ttl;		/* the table's, for the response cache */
	bool		done;
	int			requests;
	int			cache_hits;
	CfStats		stats;
} CfCountState;

/* Whether expr is a plain count(*): no DISTINCT, ORDER BY or FILTER. */
static bool
cf_is_count_star(Expr *expr)
{
	Aggref	   *agg;

	if (!IsA(expr, Aggref))
		return false;
	agg = (Aggref *) expr;
	return agg->aggfnoid == F_COUNT_ && agg->aggstar &&
		agg->aggfilter == NULL && agg->aggorder == NIL &&
		agg->aggdistinct == NIL && agg->agglevelsup == 0 &&
		agg->aggsplit == AGGSPLIT_SIMPLE;
}

/*
 * cf_count_scope
 *		The organization a scan of a table under an organization is limited
 *		to by its restriction clauses, as a constant's text; NULL when the
 *		clauses are not exactly one "organization_id = constant".  *ok says
 *		whether the clauses allow a count at all.
 */
static char *
cf_count_scope(RelOptInfo *baserel, Oid relid, const CfResource *res,
			   bool scoped, bool *ok)
{
	RestrictInfo *ri;
	OpExpr	   *op;
	Node	   *left;
	Node	   *right;
	const CfColumnDef *col;
	Oid			typoutput;
	bool		varlena;

	*ok = false;
	if (baserel->baserestrictinfo == NIL)
	{
		*ok = !scoped;			/* a table under an organization fans out */
		return NULL;
	}
	if (!scoped || list_length(baserel->baserestrictinfo) != 1)
		return NULL;
	ri = linitial(baserel->baserestrictinfo);
	if (!IsA(ri->clause, OpExpr))
		return NULL;
	op = (OpExpr *) ri->clause;
	if (list_length(op->args) != 2 || get_opcode(op->opno) != F_TEXTEQ)
		return NULL;
	left = strip_implicit_coercions(linitial(op->args));
	right = strip_implicit_coercions(lsecond(op->args));
	if (!IsA(left, Var))
	{
		Node	   *tmp = left;

		left = right;
		right = tmp;
	}
	if (!IsA(left, Var) || ((Var *) left)->varno != baserel->relid ||
		!IsA(right, Const) || ((Const *) right)->constisnull)
		return NULL;
	col = cf_attr_resource_column(relid, ((Var *) left)->varattno, res);
	if (col == NULL || !(col->flags & CF_COL_SCOPE))
		return NULL;
	*ok = true;
	getTypeOutputInfo(((Const *) right)->consttype, &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, ((Const *) right)->constvalue);
}

/*
 * cf_count_upper_paths
 *		GetForeignUpperPaths: a path that answers "SELECT count(*) FROM t"
 *		(or "... WHERE organization_id = '...'") with one request.
 */
void
cf_count_upper_paths(PlannerInfo *root, UpperRelationKind stage,
					 RelOptInfo *input_rel, RelOptInfo *output_rel,
					 void *extra)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
	RangeTblEntry *rte;
	const CfResource *res;
	CfOptions	opts;
	bool		scoped;
	bool		ok;
	char	   *scope;
	char	   *path;
	ForeignPath *fpath;
	Cost		cost;

	if (stage != UPPERREL_GROUP_AGG ||
		input_rel->reloptkind != RELOPT_BASEREL ||
		output_rel->fdw_private != NULL ||
		root->hasPseudoConstantQuals || parse->rowMarks != NIL ||
		input_rel->joininfo != NIL || input_rel->lateral_relids != NULL)
		return;
	if (parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->havingQual != NULL || parse->hasWindowFuncs ||
		target == NULL || list_length(target->exprs) != 1 ||
		!cf_is_count_star(linitial(target->exprs)))
		return;

	rte = planner_rt_fetch(input_rel->relid, root);
	res = cf_table_resource(rte->relid);
	cf_get_options(rte->relid, &opts);
	if (!opts.pushdown || res->paging != CF_PAGING_TOKEN ||
		res->embedded_field != NULL)
		return;
	scoped = strstr(res->list_path, "{organization_id}") != NULL;
	scope = cf_count_scope(input_rel, rte->relid, res, scoped, &ok);
	if (!ok)
		return;
	if (scope != NULL)
	{
		char	   *utf8 = pg_server_to_any(scope, strlen(scope), PG_UTF8);

		/* a value that names no organization keeps the usual scan */
		for (int i = 0; i < res->nfilters; i++)
		{
			const CfFilterDef *def = &res->filters[i];
			List	   *kept;
			char	   *why;

			if (def->op == CF_OP_EQ && (def->flags & CF_FLT_PATH) &&
				cf_judge_values(res, def, list_make1(utf8), &kept, &why) != CF_VALUE_SEND)
				return;
		}
		scope = utf8;
	}
	path = psprintf("%s?%s=1", cf_fill_path(res->list_path, scope, NULL),
					res->page_param);

	cost = CF_STARTUP_COST + CF_REQUEST_COST;	/* one request */
	fpath = cf_create_foreign_upper_path(root, output_rel, target, 1.0,
										 cost, cost,
										 list_make4(makeString(CF_COUNT_MARKER),
													makeString(psprintf("%u", rte->relid)),
													makeInteger(input_rel->relid),
													makeString(path)));
	output_rel->fdw_private = fpath;	/* added once */
	add_path(output_rel, (Path *) fpath);
}

/* Whether a ForeignScan's fdw_private is a count's. */
bool
cf_is_count_plan(List *fdw_private)
{
	return list_length(fdw_private) > CfCountPrivateMarker &&
		IsA(linitial(fdw_private), String) &&
		strcmp(strVal(linitial(fdw_private)), CF_COUNT_MARKER) == 0;
}

/*
 * cf_count_plan
 *		GetForeignPlan of a count's path: no base relation; the count(*) is
 *		the scan's one output column.
 */
ForeignScan *
cf_count_plan(RelOptInfo *foreignrel, ForeignPath *best_path, List *tlist,
			  Plan *outer_plan)
{
	List	   *scan_tlist = NIL;
	ListCell   *lc;

	foreach(lc, foreignrel->reltarget->exprs)
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) lfirst(lc),
											 list_length(scan_tlist) + 1,
											 NULL, false));
	return make_foreignscan(tlist, NIL, 0, NIL, best_path->fdw_private,
							scan_tlist, NIL, outer_plan);
}

void
cf_count_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CfCountState *cs;
	Oid			relid;
	ForeignTable *table;
	Oid			userid;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	cs = palloc0(sizeof(CfCountState));
	relid = (Oid) strtoul(strVal(list_nth(fsplan->fdw_private, CfCountPrivateTable)),
						  NULL, 10);
	table = GetForeignTable(relid);
	userid = cf_upper_scan_user(fsplan, estate,
								intVal(list_nth(fsplan->fdw_private, CfCountPrivateRti)));
	cs->conn = cf_get_connection(GetForeignServer(table->serverid),
								 GetUserMapping(userid, table->serverid));
	cs->path = strVal(list_nth(fsplan->fdw_private, CfCountPrivatePath));
	{
		CfOptions	opts;

		cf_get_options(relid, &opts);
		cs->cache_ttl = opts.cache_ttl;
	}
	node->fdw_state = cs;
}

/*
 * cf_count_iterate
 *		One row: result_info.total_size of one page of one item.  A list
 *		under an organization that does not exist (404) counts 0, as its
 *		scan returns no row.
 */
TupleTableSlot *
cf_count_iterate(ForeignScanState *node)
{
	CfCountState *cs = (CfCountState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	CfRequest  *req;
	int64		n = 0;

	ExecClearTuple(slot);
	if (cs->done)
		return slot;
	cs->done = true;

	req = palloc0(sizeof(CfRequest));
	req->method = "GET";
	req->path = cs->path;
	req->as_page = true;
	req->not_found_ok = true;
	CHECK_FOR_INTERRUPTS();

	/* the response cache (cache_ttl) holds this page as a scan's */
	if (cs->cache_ttl > 0)
	{
		uint32		len;
		int64		age_ms;
		char	   *text = cf_cache_get(cs->conn, cs->path, cs->cache_ttl,
										&len, &age_ms);
		char		errbuf[128];
		bool		truncated;

		cf_stats_cache(cs->conn, text != NULL);
		if (text != NULL)
		{
			req->page = cf_page_parse(text, len, errbuf, sizeof(errbuf),
									  &truncated);
			if (req->page != NULL)
			{
				req->status = 200;
				cs->cache_hits++;
			}
		}
	}
	if (req->page == NULL)
	{
		cs->requests++;
		cf_execute(cs->conn, &req, 1, &cs->stats);
		if (cs->cache_ttl > 0 && req->status >= 200 && req->status < 300 &&
			req->page != NULL && req->page->success != 0 &&
			req->page->has_result)
			cf_cache_put(cs->conn, cs->path, req->page->text, req->page->len);
	}
	if (req->status != 404)
	{
		/* the envelope is checked as a scan checks it */
		if (req->page == NULL || !req->page->has_result)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Cloudflare API response has no \"result\""),
					 errcontext("request: GET %s", cs->path)));
		if (req->page->result_kind != '[')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Cloudflare API response \"result\" is not an array"),
					 errcontext("request: GET %s", cs->path)));
		if (req->page->total_size < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API response has no result_info.total_size to count"),
					 errcontext("request: GET %s", cs->path)));
		n = req->page->total_size;
	}
	slot->tts_values[0] = Int64GetDatum(n);
	slot->tts_isnull[0] = false;
	return ExecStoreVirtualTuple(slot);
}

void
cf_count_rescan(ForeignScanState *node)
{
	CfCountState *cs = (CfCountState *) node->fdw_state;

	if (cs != NULL)
		cs->done = false;
}

void
cf_count_explain(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	CfCountState *cs = (CfCountState *) node->fdw_state;

	ExplainPropertyText("Cloudflare API",
						psprintf("GET %s",
								 strVal(list_nth(fsplan->fdw_private, CfCountPrivatePath))),
						es);
	ExplainPropertyText("Cloudflare Count", "result_info.total_size", es);
	if (es->analyze && cs != NULL)
	{
		ExplainPropertyInteger("Cloudflare Requests", NULL, cs->requests, es);
		if (cs->cache_ttl > 0)
			ExplainPropertyInteger("Cloudflare Response Cache Hits", NULL,
								   cs->cache_hits, es);
	}
}
