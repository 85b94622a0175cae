/*-------------------------------------------------------------------------
 *
 * count.c
 *		  SELECT count(*) answered by the API's result_info.total_size.
 *
 * A list endpoint that pages by token reports how many items match in
 * result_info.total_size, so a count(*) needs one request with page_size=1
 * per list instead of every page.  That is only right when the request's
 * filters are exactly what the query asks (cf_count_exact): every WHERE
 * clause is pushed, none needs the local recheck (an organization of the
 * path, an enum value, an id the API matches as SQL's = does: the filters
 * marked CF_FLT_EXACT), and each column is filtered once.  Then
 *
 *		SELECT count(*) FROM t [WHERE ...]
 *		SELECT organization_id, count(*) FROM t [WHERE ...] GROUP BY 1
 *
 * are answered from the totals: a table under an organization sends one
 * request per organization (the organizations of the WHERE clause, or each
 * one the credentials see, as a scan fans out) and sums them, or returns one
 * row per organization with items.  Anything else (a condition the API
 * cannot answer exactly, HAVING, DISTINCT, FILTER, another aggregate, a
 * join) keeps the usual scan.
 *
 * The planner side adds an upper-relation path (GetForeignUpperPaths),
 * costed by its requests; its plan is a ForeignScan with no base relation
 * (scanrelid 0) that carries the plan of the scan it runs (cf_base_plan
 * with pages of one item), so the requests, EXPLAIN and the estimate come
 * from the same place as a scan's.  The executor side runs that scan's
 * request streams (scan.h) in count mode: each stream is one request whose
 * total is read instead of its item.
 *
 * IDENTIFICATION
 *		  src/count.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "cloudflare_fdw.h"
#include "pushdown.h"
#include "reqplan.h"
#include "scan.h"
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

/* fdw_private of a count's path. */
enum CfCountPathIndex
{
	CfCountPathMarker,			/* String "count" */
	CfCountPathRti,				/* Integer: the counted table's range index */
	CfCountPathGrouped			/* Integer: 1 for GROUP BY organization_id */
};

/*
 * fdw_private of a count's ForeignScan.  Its table's range index is the one
 * member of fs_relids, which setrefs.c moves with the range table (a count
 * in a subquery).
 */
enum CfCountPlanIndex
{
	CfCountPlanMarker,			/* String "count" */
	CfCountPlanGrouped,			/* Integer: 1 for GROUP BY organization_id */
	CfCountPlanOutputs,			/* IntList: per output column, CF_COUNT_OUT_* */
	CfCountPlanScan				/* List: the scan's fdw_private */
};

#define CF_COUNT_MARKER "count"

/*
 * A request for one item costs less than one for a page of them: little to
 * send and nothing to convert.  Costed as a whole request, a count would tie
 * with a scan of one page per list, and add_path keeps the scan when it is
 * sorted (a GROUP BY over a sorted scan) or within its 1% fuzz.
 */
#define CF_COUNT_REQUEST_COST	(CF_REQUEST_COST * 0.9)
#define CF_COUNT_OUT_COUNT 0
#define CF_COUNT_OUT_SCOPE 1

/* Executor state of a count (ForeignScanState.fdw_state). */
typedef struct CfCountState
{
	CfScanState *scan;			/* its streams, in count mode */
	bool		grouped;
	List	   *outputs;		/* CF_COUNT_OUT_* per output column */
	FmgrInfo	scope_in;		/* input function of the grouped column */
	Oid			scope_ioparam;
	int32		scope_typmod;
	int64		sum;
	bool		done;			/* the ungrouped count's row was returned */
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

/* Whether expr is the scope column (organization_id) of rel. */
static bool
cf_is_scope_var(Expr *expr, RelOptInfo *rel, CfRelInfo *info)
{
	const CfColumnDef *col;
	Var		   *var;

	expr = (Expr *) strip_implicit_coercions((Node *) expr);
	if (!IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varno != rel->relid || var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	col = cf_attr_resource_column(info->relid, var->varattno, info->res);
	return col != NULL && (col->flags & CF_COL_SCOPE);
}

/*
 * cf_count_exact
 *		Whether the request these filters make returns exactly the rows the
 *		WHERE clause keeps, so that its result_info.total_size is the
 *		count: every filter is the path's organization or one the API
 *		matches as SQL does (CF_FLT_EXACT), with constant values that are
 *		all sent (a value the API would ignore is not, and its rows would be
 *		counted), on a column filtered only once (two values of one
 *		parameter would be read as either).
 */
static bool
cf_count_exact(const CfResource *res, List *pushed)
{
	List	   *columns = NIL;
	ListCell   *lc;

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		const CfFilterDef *def = &res->filters[f->filter];
		Const	   *c;
		List	   *utf8 = NIL;
		List	   *kept;
		char	   *why;
		ListCell   *vc;
		CfValueVerdict verdict;

		if (f->like != CF_LIKE_NONE ||
			!(def->flags & (CF_FLT_PATH | CF_FLT_EXACT)) ||
			(def->flags & (CF_FLT_LOOKUP | CF_FLT_PATH_ID)) ||
			(def->op != CF_OP_EQ && def->op != CF_OP_IN &&
			 def->op != CF_OP_IS_NULL))
			return false;
		foreach(vc, columns)
			if (strcmp(lfirst(vc), def->column) == 0)
				return false;
		columns = lappend(columns, (char *) def->column);
		if (def->op == CF_OP_IS_NULL)
			continue;
		if (!IsA(f->value, Const))
			return false;
		c = (Const *) f->value;
		if (c->constisnull)
			continue;			/* no row: the scan sends nothing */
		foreach(vc, cf_datum_values(c->constvalue, c->consttype,
									def->op == CF_OP_IN))
			utf8 = lappend(utf8, pg_server_to_any(lfirst(vc), strlen(lfirst(vc)),
												  PG_UTF8));
		verdict = cf_judge_values(res, def, utf8, &kept, &why);
		if (verdict == CF_VALUE_SKIP)
			return false;
		/* a long list is not sent under an organization, chunked above one */
		if (verdict == CF_VALUE_SEND && !(def->flags & CF_FLT_PATH) &&
			list_length(kept) > CF_IN_CHUNK)
			return false;
	}
	return true;
}

/*
 * cf_count_estimate
 *		The requests of a count whose scan sends this shape, and the
 *		organizations (groups) it visits: one list per organization named,
 *		or the organizations list and one request per organization for a
 *		fan-out.
 */
void
cf_count_estimate(const CfResource *res, const CfRequestShape *shape,
				  double *requests, double *groups)
{
	if (res->scope_column == NULL)
	{
		*requests = 1.0;
		*groups = 1.0;
	}
	else if (shape->reach == CF_REACH_SCOPES)
	{
		*requests = cf_shape_scopes(shape);
		*groups = *requests;
	}
	else
	{
		*requests = ceil(CF_FANOUT_ORGS /
						 cf_fanout_resource(res)->max_page_size) +
			CF_FANOUT_ORGS;
		*groups = CF_FANOUT_ORGS;
	}
}

/*
 * cf_count_upper_paths
 *		GetForeignUpperPaths: a path that answers "SELECT count(*) FROM t"
 *		(with conditions the API answers exactly, or grouped by the
 *		organization) from result_info.total_size.
 */
void
cf_count_upper_paths(PlannerInfo *root, UpperRelationKind stage,
					 RelOptInfo *input_rel, RelOptInfo *output_rel,
					 void *extra)
{
	Query	   *parse = root->parse;
	PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
	CfRelInfo  *info;
	const CfResource *res;
	bool		grouped;
	int			ncounts = 0;
	ListCell   *lc;
	double		requests;
	double		groups;
	CfRequestShape shape;
	ForeignPath *fpath;
	Cost		cost;

	if (stage != UPPERREL_GROUP_AGG ||
		input_rel->reloptkind != RELOPT_BASEREL ||
		output_rel->fdw_private != NULL ||
		root->hasPseudoConstantQuals || parse->rowMarks != NIL ||
		parse->hasTargetSRFs ||
		input_rel->joininfo != NIL || input_rel->lateral_relids != NULL)
		return;
	if (parse->groupingSets != NIL || parse->havingQual != NULL ||
		parse->hasWindowFuncs || target == NULL)
		return;

	info = (CfRelInfo *) input_rel->fdw_private;
	res = info->res;
	if (!info->opts.pushdown || res->paging != CF_PAGING_TOKEN ||
		res->embedded_field != NULL)
		return;

	/* count(*), and with GROUP BY the organization: nothing else */
	grouped = parse->groupClause != NIL;
	if (grouped)
	{
		SortGroupClause *sgc;

		if (res->scope_column == NULL || list_length(parse->groupClause) != 1)
			return;
		sgc = linitial_node(SortGroupClause, parse->groupClause);
		if (!cf_is_scope_var((Expr *) get_sortgroupclause_expr(sgc, parse->targetList),
							 input_rel, info))
			return;
	}
	foreach(lc, target->exprs)
	{
		Expr	   *e = (Expr *) lfirst(lc);

		if (cf_is_count_star(e))
			ncounts++;
		else if (!grouped || !cf_is_scope_var(e, input_rel, info))
			return;
	}
	if (ncounts == 0)
		return;

	/* every condition answered by the API, exactly */
	if (info->local != NIL || !cf_count_exact(res, info->pushed))
		return;

	cf_reqplan_shape_pushed(res, info->pushed, 1, 1, -1, false,
							CF_SHAPE_ESTIMATE, &shape);
	cf_count_estimate(res, &shape, &requests, &groups);
	cost = CF_STARTUP_COST + requests * CF_COUNT_REQUEST_COST;
	fpath = cf_create_foreign_upper_path(root, output_rel, target,
										 grouped ? groups : 1.0, cost, cost,
										 list_make3(makeString(CF_COUNT_MARKER),
													makeInteger(input_rel->relid),
													makeInteger(grouped ? 1 : 0)));
	output_rel->fdw_private = fpath;	/* added once */
	add_path(output_rel, (Path *) fpath);
}

/* Whether a ForeignScan's fdw_private is a count's. */
bool
cf_is_count_plan(List *fdw_private)
{
	return list_length(fdw_private) > CfCountPlanMarker &&
		IsA(linitial(fdw_private), String) &&
		strcmp(strVal(linitial(fdw_private)), CF_COUNT_MARKER) == 0;
}

/*
 * cf_count_plan
 *		GetForeignPlan of a count's path: no base relation; its outputs are
 *		the count(*) and the organization; it carries the plan of the scan
 *		whose streams it runs, with pages of one item.
 */
ForeignScan *
cf_count_plan(PlannerInfo *root, RelOptInfo *foreignrel, ForeignPath *best_path,
			  List *tlist, Plan *outer_plan)
{
	Index		rti = intVal(list_nth(best_path->fdw_private, CfCountPathRti));
	RelOptInfo *baserel = find_base_rel(root, rti);
	CfRelInfo  *info = (CfRelInfo *) baserel->fdw_private;
	ForeignScan *scan;
	List	   *scan_tlist = NIL;
	List	   *outputs = NIL;
	ListCell   *lc;

	scan = cf_base_plan(root, baserel, info->relid, NULL, NIL,
						baserel->baserestrictinfo, NULL, true);
	foreach(lc, foreignrel->reltarget->exprs)
	{
		Expr	   *e = (Expr *) lfirst(lc);

		outputs = lappend_int(outputs, cf_is_count_star(e)
							  ? CF_COUNT_OUT_COUNT : CF_COUNT_OUT_SCOPE);
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry(e, list_length(scan_tlist) + 1,
											 NULL, false));
	}
	return make_foreignscan(tlist, NIL, 0, scan->fdw_exprs,
							list_make4(makeString(CF_COUNT_MARKER),
									   list_nth(best_path->fdw_private,
												CfCountPathGrouped),
									   outputs, scan->fdw_private),
							scan_tlist, NIL, outer_plan);
}

void
cf_count_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	Index		rti = bms_singleton_member(fsplan->fs_relids);
	TupleDesc	desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	CfCountState *cs;
	ListCell   *lc;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	cs = palloc0(sizeof(CfCountState));
	cs->scan = cf_scan_begin(node, list_nth(priv, CfCountPlanScan),
							 cf_rt_relation(estate, rti),
							 cf_upper_scan_user(fsplan, estate, rti));
	cs->scan->count_mode = true;
	cs->grouped = intVal(list_nth(priv, CfCountPlanGrouped)) != 0;
	cs->outputs = list_nth(priv, CfCountPlanOutputs);
	foreach(lc, cs->outputs)
	{
		Form_pg_attribute att = TupleDescAttr(desc, foreach_current_index(lc));
		Oid			infunc;

		if (lfirst_int(lc) != CF_COUNT_OUT_SCOPE)
			continue;
		getTypeInputInfo(att->atttypid, &infunc, &cs->scope_ioparam);
		fmgr_info(infunc, &cs->scope_in);
		cs->scope_typmod = att->atttypmod;
	}
	node->fdw_state = cs;
}

/* Stores one row: the count n, and the organization when grouped. */
static TupleTableSlot *
cf_count_row(CfCountState *cs, TupleTableSlot *slot, const char *scope, int64 n)
{
	ListCell   *lc;

	ExecClearTuple(slot);
	foreach(lc, cs->outputs)
	{
		int			i = foreach_current_index(lc);

		if (lfirst_int(lc) == CF_COUNT_OUT_COUNT)
			slot->tts_values[i] = Int64GetDatum(n);
		else
			slot->tts_values[i] = InputFunctionCall(&cs->scope_in, (char *) scope,
													cs->scope_ioparam,
													cs->scope_typmod);
		slot->tts_isnull[i] = false;
	}
	return ExecStoreVirtualTuple(slot);
}

/*
 * cf_count_iterate
 *		The scan's streams, each one request of one item: without GROUP BY
 *		one row, the sum of their totals; with it, a row per organization
 *		that has items (one that does not exist, 404, has none), as the
 *		grouped scan would return.
 */
TupleTableSlot *
cf_count_iterate(ForeignScanState *node)
{
	CfCountState *cs = (CfCountState *) node->fdw_state;
	CfScanState *st = cs->scan;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!st->started)
	{
		cf_scan_start(st, node->ss.ps.ps_ExprContext);
		st->started = true;
	}
	for (;;)
	{
		while (!st->empty && st->cur >= 0 && st->cur < st->nactive)
		{
			CfStream   *s = st->active[st->cur++];

			cs->sum += s->total;
			if (cs->grouped && s->total > 0)
				return cf_count_row(cs, slot, s->scope, s->total);
		}
		if (st->empty)
		{
			if (cs->grouped || cs->done)
				return ExecClearTuple(slot);
			cs->done = true;
			return cf_count_row(cs, slot, NULL, cs->sum);
		}
		CHECK_FOR_INTERRUPTS();
		if (!cf_fetch_round(st))
			st->empty = true;
	}
}

void
cf_count_rescan(ForeignScanState *node)
{
	CfCountState *cs = (CfCountState *) node->fdw_state;

	if (cs == NULL)
		return;
	cs->scan->started = false;
	cs->sum = 0;
	cs->done = false;
}

void
cf_count_explain(ForeignScanState *node, ExplainState *es)
{
	List	   *priv = ((ForeignScan *) node->ss.ps.plan)->fdw_private;
	CfCountState *cs = (CfCountState *) node->fdw_state;

	cf_scan_explain(list_nth(priv, CfCountPlanScan), cs ? cs->scan : NULL,
					intVal(list_nth(priv, CfCountPlanGrouped))
					? "result_info.total_size per organization"
					: "result_info.total_size",
					es);
}
