/*-------------------------------------------------------------------------
 *
 * cloudflare_fdw.c
 *		  Foreign data wrapper for Cloudflare's Organizations API: the
 *		  handler, the planner (paths, costs, the plan and the request it
 *		  describes for EXPLAIN), the scan's executor callbacks, and IMPORT
 *		  FOREIGN SCHEMA.
 *
 * A query travels one way: the WHERE clauses the API can answer become
 * filters (pushdown.c) that GetForeignPlan stores with their value
 * expressions; the executor callbacks hand the plan to scan.c, which
 * evaluates those values into request streams (one per organization for
 * the per-organization resources), fetches the streams' pages, several at
 * once (request.c), and converts each JSON item into a tuple (convert.c).
 * Every clause is also checked locally, so the API may return more rows
 * than asked for, never fewer.
 *
 * IDENTIFICATION
 *		  src/cloudflare_fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "pushdown.h"
#include "ratelimit.h"
#include "request.h"
#include "commands/defrem.h"
#include "compat.h"
#include "reqplan.h"
#include "scan.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "utils/builtins.h"

PG_MODULE_MAGIC;

/* Planner cost of a row (CF_STARTUP_COST and CF_REQUEST_COST: cloudflare_fdw.h). */
#define CF_ROW_COST			0.01


/*
 * The cost of a path that lacks a filter the API requires: never chosen
 * while another path has it; chosen anyway, it is refused with the error
 * that says what to add (cf_base_plan).
 */
#define CF_UNUSABLE_COST	1.0e10

void		_PG_init(void);

PG_FUNCTION_INFO_V1(cloudflare_fdw_handler);
PG_FUNCTION_INFO_V1(cloudflare_fdw_version);

static void cloudflareGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
										Oid foreigntableid);
static void cloudflareGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid);
static ForeignScan *cloudflareGetForeignPlan(PlannerInfo *root,
											 RelOptInfo *baserel,
											 Oid foreigntableid,
											 ForeignPath *best_path,
											 List *tlist, List *scan_clauses,
											 Plan *outer_plan);
static void cloudflareBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *cloudflareIterateForeignScan(ForeignScanState *node);
static void cloudflareReScanForeignScan(ForeignScanState *node);
static void cloudflareEndForeignScan(ForeignScanState *node);
static void cloudflareExplainForeignScan(ForeignScanState *node,
										 ExplainState *es);
static List *cloudflareImportForeignSchema(ImportForeignSchemaStmt *stmt,
										   Oid serverOid);

static void cf_estimate_pushed(PlannerInfo *root, RelOptInfo *baserel,
							   CfRelInfo *info, List *pushed, double *requests,
							   double *remote_rows);
static void cf_estimate(PlannerInfo *root, RelOptInfo *baserel,
						CfRelInfo *info, List *pushed,
						const CfRequestShape *shape, double *requests,
						double *remote_rows);
static void cf_add_param_paths(PlannerInfo *root, RelOptInfo *baserel,
							   CfRelInfo *info);
static bool cf_ec_member_matches(PlannerInfo *root, RelOptInfo *rel,
								 EquivalenceClass *ec, EquivalenceMember *em,
								 void *arg);
static List *cf_retrieved_attrs(RelOptInfo *baserel, Oid foreigntableid,
								List *scan_clauses);
static int	cf_plan_order(PlannerInfo *root, RelOptInfo *baserel,
						  CfRelInfo *info, bool *desc);
static void cf_check_required(PlannerInfo *root, RelOptInfo *baserel,
							  const CfResource *res, List *pushed,
							  bool pushdown, bool window_used);

/*
 * _PG_init
 *		The GUC cloudflare_fdw.rate_limit and, when the library is listed in
 *		shared_preload_libraries, the shared memory of the rate budget and
 *		of the statistics (ratelimit.c).
 */
void
_PG_init(void)
{
	cf_ratelimit_init();
	cf_cache_init();
	MarkGUCPrefixReserved("cloudflare_fdw");
}

Datum
cloudflare_fdw_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(CF_FDW_VERSION));
}

/*
 * cloudflare_fdw_handler
 *		The FdwRoutine: scans here, writes in modify.c.
 */
Datum
cloudflare_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = cloudflareGetForeignRelSize;
	routine->GetForeignPaths = cloudflareGetForeignPaths;
	routine->GetForeignPlan = cloudflareGetForeignPlan;
	routine->BeginForeignScan = cloudflareBeginForeignScan;
	routine->IterateForeignScan = cloudflareIterateForeignScan;
	routine->ReScanForeignScan = cloudflareReScanForeignScan;
	routine->EndForeignScan = cloudflareEndForeignScan;
	routine->ExplainForeignScan = cloudflareExplainForeignScan;
	routine->ImportForeignSchema = cloudflareImportForeignSchema;
	routine->GetForeignUpperPaths = cf_count_upper_paths;

	cf_modify_routines(routine);

	PG_RETURN_POINTER(routine);
}

/* ======================================================================
 * Planning
 * ======================================================================
 */

/*
 * cloudflareGetForeignRelSize
 *		Splits the restriction clauses into API filters and local checks,
 *		and estimates the rows and requests of a scan.  Planning never
 *		calls the API.
 */
static void
cloudflareGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
							Oid foreigntableid)
{
	CfRelInfo  *info = palloc0(sizeof(CfRelInfo));

	info->relid = foreigntableid;
	info->res = cf_table_resource(foreigntableid);
	cf_get_options(foreigntableid, &info->opts);
	cf_warn_unmapped_columns(foreigntableid, info->res);

	if (info->opts.pushdown)
		info->pushed = cf_classify_clauses(root, baserel, info->res,
										   baserel->baserestrictinfo, NULL,
										   &info->local);
	else
		info->local = baserel->baserestrictinfo;
	cf_check_filter_only_columns(root, baserel, info->res, info->pushed,
								 baserel->baserestrictinfo);
	info->window_used = cf_window_used(root, baserel, info->res);

	cf_estimate_pushed(root, baserel, info, info->pushed, &info->requests,
					   &info->remote_rows);
	baserel->rows = clamp_row_est(info->remote_rows *
								  clauselist_selectivity(root, info->local,
														 baserel->relid,
														 JOIN_INNER, NULL));
	baserel->tuples = info->remote_rows;
	baserel->fdw_private = info;
}

/*
 * cf_estimate
 *		Requests and rows of one scan with these filters pushed, counted
 *		from the shape of what it sends (reqplan.c).  The table option
 *		"rows" sets the unfiltered row count; otherwise the resource's
 *		default per organization times an assumed number of organizations.
 */
static void
cf_estimate(PlannerInfo *root, RelOptInfo *baserel, CfRelInfo *info,
			List *pushed, const CfRequestShape *shape, double *requests,
			double *remote_rows)
{
	const CfResource *res = info->res;
	double		scopes = cf_shape_scopes(shape);
	double		windows = shape->nwindows;
	double		per_scope;
	double		total;
	double		sel = 1.0;
	double		lists;
	List	   *pushed_rinfos = NIL;
	ListCell   *lc;
	int			page_size = Max(Min(info->opts.page_size, res->max_page_size), 1);

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		const CfFilterDef *def = &res->filters[f->filter];

		if (!(def->flags & (CF_FLT_LOOKUP | CF_FLT_PATH)))
			pushed_rinfos = lappend(pushed_rinfos, f->rinfo);
	}
	if (pushed_rinfos != NIL)
		sel = clauselist_selectivity(root, pushed_rinfos, baserel->relid,
									 JOIN_INNER, NULL);

	if (res->scope_column == NULL)
	{
		total = info->opts.rows >= 0 ? info->opts.rows : res->default_rows;
		per_scope = total;
	}
	else
	{
		total = info->opts.rows >= 0 ? info->opts.rows
			: res->default_rows * CF_FANOUT_ORGS;
		per_scope = total / CF_FANOUT_ORGS;
	}
	/* the pages of one list */
	lists = res->paging == CF_PAGING_ONCE ? 1.0
		: Max(1.0, ceil(per_scope * sel / page_size));

	switch (shape->reach)
	{
		case CF_REACH_LOOKUP:
			*requests = scopes;
			*remote_rows = scopes;
			break;
		case CF_REACH_EMBEDDED:
		case CF_REACH_FANOUT:
			*remote_rows = total * sel;
			*requests = ceil(CF_FANOUT_ORGS / cf_fanout_page_size(res, &info->opts));
			if (shape->reach == CF_REACH_FANOUT)
				*requests += CF_FANOUT_ORGS * windows * lists;
			break;
		default:
			*remote_rows = scopes * per_scope * sel;
			*requests = scopes * windows * lists;
			if (res->scope_column == NULL)
				*requests = Max(*requests, cf_shape_chunks(shape));
			break;
	}
	*remote_rows = clamp_row_est(*remote_rows);
}

/*
 * cf_estimate_pushed
 *		cf_estimate of a path: the shape of its filters with the constants
 *		the planner has.
 */
static void
cf_estimate_pushed(PlannerInfo *root, RelOptInfo *baserel, CfRelInfo *info,
				   List *pushed, double *requests, double *remote_rows)
{
	CfRequestShape shape;

	cf_reqplan_shape_pushed(info->res, pushed, info->opts.page_size,
							cf_fanout_page_size(info->res, &info->opts), -1, false,
							CF_SHAPE_ESTIMATE, &shape);
	cf_estimate(root, baserel, info, pushed, &shape, requests, remote_rows);
}

/*
 * cloudflareGetForeignPaths
 *		An unparameterized scan, plus one parameterized path per set of
 *		outer relations whose join values the API can filter on (one
 *		request per outer row instead of a scan of everything).
 */
static void
cloudflareGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
						  Oid foreigntableid)
{
	CfRelInfo  *info = (CfRelInfo *) baserel->fdw_private;
	Cost		startup = CF_STARTUP_COST + CF_REQUEST_COST;
	Cost		total;

	total = CF_STARTUP_COST + info->requests * CF_REQUEST_COST +
		info->remote_rows * (CF_ROW_COST + cpu_tuple_cost) +
		info->remote_rows * cpu_operator_cost *
		list_length(baserel->baserestrictinfo);
	if (cf_missing_required(info->res, info->pushed, info->window_used) != NULL)
	{
		startup += CF_UNUSABLE_COST;
		total += CF_UNUSABLE_COST;
	}

	add_path(baserel, (Path *)
			 cf_create_foreignscan_path(root, baserel, baserel->rows,
										startup, total, NIL,
										baserel->lateral_relids, NIL));

	if (info->opts.pushdown)
		cf_add_param_paths(root, baserel, info);
}

/* Argument of cf_ec_member_matches. */
typedef struct CfEcArg
{
	AttrNumber	attnum;
} CfEcArg;

static bool
cf_ec_member_matches(PlannerInfo *root, RelOptInfo *rel,
					 EquivalenceClass *ec, EquivalenceMember *em, void *arg)
{
	Expr	   *expr = em->em_expr;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr && IsA(expr, Var) &&
		((Var *) expr)->varno == rel->relid &&
		((Var *) expr)->varattno == ((CfEcArg *) arg)->attnum &&
		((Var *) expr)->varlevelsup == 0;
}

/*
 * cf_add_param_paths
 *		Parameterized paths for join clauses "column = outer value" that
 *		the API can filter on, from the rel's join clauses and from its
 *		equivalence classes, as postgres_fdw builds them.
 */
static void
cf_add_param_paths(PlannerInfo *root, RelOptInfo *baserel, CfRelInfo *info)
{
	List	   *candidates = NIL;
	List	   *ppis = NIL;
	ListCell   *lc;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (join_clause_is_movable_to(rinfo, baserel))
			candidates = lappend(candidates, rinfo);
	}

	if (baserel->has_eclass_joins)
	{
		for (AttrNumber attnum = 1; attnum <= baserel->max_attr; attnum++)
		{
			CfEcArg		arg;
			List	   *clauses;

			arg.attnum = attnum;
			clauses = generate_implied_equalities_for_column(root, baserel,
															 cf_ec_member_matches,
															 &arg,
															 baserel->lateral_referencers);
			foreach(lc, clauses)
			{
				RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

				if (join_clause_is_movable_to(rinfo, baserel))
					candidates = lappend(candidates, rinfo);
			}
		}
	}

	foreach(lc, candidates)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Relids		outer;
		CfPushedFilter f;

		outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);
		outer = bms_del_member(outer, baserel->relid);
		if (bms_is_empty(outer))
			continue;
		if (!cf_clause_is_pushable(root, baserel, info->res, rinfo->clause,
								   outer, &f))
			continue;
		/* an equality, or a time window's bound from the outer row */
		if (info->res->filters[f.filter].op != CF_OP_EQ &&
			info->res->filters[f.filter].op != CF_OP_LOWER &&
			info->res->filters[f.filter].op != CF_OP_UPPER)
			continue;
		ppis = list_append_unique_ptr(ppis,
									  get_baserel_parampathinfo(root, baserel,
																outer));
	}

	foreach(lc, ppis)
	{
		ParamPathInfo *ppi = (ParamPathInfo *) lfirst(lc);
		List	   *local;
		List	   *pushed;
		double		requests;
		double		rows;
		Cost		startup;
		Cost		total;

		pushed = cf_classify_clauses(root, baserel, info->res,
									 list_concat(list_copy(baserel->baserestrictinfo),
												 ppi->ppi_clauses),
									 ppi->ppi_req_outer, &local);
		cf_estimate_pushed(root, baserel, info, pushed, &requests, &rows);
		total = CF_STARTUP_COST + requests * CF_REQUEST_COST +
			rows * (CF_ROW_COST + cpu_tuple_cost);
		startup = CF_STARTUP_COST + CF_REQUEST_COST;
		if (cf_missing_required(info->res, pushed, info->window_used) != NULL)
		{
			startup += CF_UNUSABLE_COST;
			total += CF_UNUSABLE_COST;
		}
		add_path(baserel, (Path *)
				 cf_create_foreignscan_path(root, baserel, ppi->ppi_rows,
											startup, total, NIL,
											ppi->ppi_req_outer, NIL));
	}
}

/*
 * cloudflareGetForeignPlan
 *		Decides the filters sent (again, now with the path's outer
 *		relations), keeps every clause as a local recheck, and stores the
 *		request description for the executor and EXPLAIN.
 */
static ForeignScan *
cloudflareGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
						 Oid foreigntableid, ForeignPath *best_path,
						 List *tlist, List *scan_clauses, Plan *outer_plan)
{
	/* a count(*) the API answers (count.c) */
	if (IS_UPPER_REL(baserel))
		return cf_count_plan(root, baserel, best_path, tlist, outer_plan);
	return cf_base_plan(root, baserel, foreigntableid, best_path, tlist,
						scan_clauses, outer_plan, false);
}

/*
 * cf_base_plan
 *		GetForeignPlan of a scan of the table itself; with count, of the
 *		scan a count(*) runs (count.c): no path of its own (best_path NULL),
 *		pages of one item, no order.
 */
ForeignScan *
cf_base_plan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
			 ForeignPath *best_path, List *tlist, List *scan_clauses,
			 Plan *outer_plan, bool count)
{
	CfRelInfo  *info = (CfRelInfo *) baserel->fdw_private;
	const CfResource *res = info->res;
	Relids		outer = best_path && best_path->path.param_info
		? best_path->path.param_info->ppi_req_outer : NULL;
	List	   *pushed = NIL;
	List	   *local = NIL;
	List	   *fdw_exprs = NIL;
	List	   *retrieved = NIL;
	List	   *order = NIL;
	int			page_size;
	int			order_idx = -1;
	bool		desc = false;
	CfReqPlan  *plan;
	CfRequestShape shape;
	char	   *request;
	char	   *fanout;
	char	   *conditions;
	char	   *windows;
	double		requests;
	double		rows;
	List	   *fdw_private;

	if (info->opts.pushdown)
		pushed = cf_classify_clauses(root, baserel, res, scan_clauses, outer,
									 &local);
	else
		local = scan_clauses;

	cf_check_required(root, baserel, res, pushed, info->opts.pushdown,
					  info->window_used);

	retrieved = cf_retrieved_attrs(baserel, foreigntableid, scan_clauses);

	page_size = Max(Min(info->opts.page_size, res->max_page_size),
					res->min_page_size);
	if (count)
		page_size = Max(1, res->min_page_size);

	if (!count)
		order_idx = cf_plan_order(root, baserel, info, &desc);
	if (order_idx >= 0)
		order = list_make2_int(order_idx, desc ? 1 : 0);

	/*
	 * LIMIT shrinks the pages when the API answers every clause and no
	 * sort or join sits above the scan.  Paging still goes on for as long
	 * as the executor asks for rows, so this only saves transfer.
	 */
	if (!count && root->limit_tuples >= 0 && local == NIL && outer == NULL &&
		root->query_pathkeys == NIL &&
		bms_membership(root->all_baserels) == BMS_SINGLETON &&
		root->parse->commandType == CMD_SELECT && root->parse->rowMarks == NIL)
		page_size = Max(Min(page_size, (int) ceil(root->limit_tuples)),
						res->min_page_size);

	/*
	 * The request plan; what it sends with the constants known now is what
	 * EXPLAIN shows and the estimate counts.  A fan-out reads the
	 * organizations list as the scan does.
	 */
	plan = cf_reqplan_make(res, pushed, page_size,
						   cf_fanout_page_size(res, &info->opts), order_idx, desc,
						   &fdw_exprs);
	cf_request_shape(plan, cf_reqplan_plan_values(plan, fdw_exprs), NULL, NULL,
					 CF_SHAPE_EXPLAIN, &shape);
	cf_shape_describe(plan, &shape, &request, &fanout, &conditions, &windows);
	if (count)
		cf_count_estimate(res, &shape, &requests, &rows);
	else
		cf_estimate(root, baserel, info, pushed, &shape, &requests, &rows);
	if (shape.no_match)
		requests = 0;

	fdw_private = list_make5(makeInteger(res->id),
							 cf_reqplan_slots_list(plan), retrieved,
							 makeInteger(page_size), order);
	fdw_private = lappend(fdw_private, makeString(request));
	fdw_private = lappend(fdw_private, makeString(fanout));
	fdw_private = lappend(fdw_private, makeInteger((int) Min(requests, INT_MAX)));
	fdw_private = lappend(fdw_private, makeString(conditions));
	fdw_private = lappend(fdw_private, makeString(windows));

	return make_foreignscan(tlist,
							extract_actual_clauses(scan_clauses, false),
							baserel->relid,
							fdw_exprs,
							fdw_private,
							NIL,
							NIL,
							outer_plan);
}

/*
 * cf_retrieved_attrs
 *		The columns a scan converts: the output and every clause (all are
 *		rechecked); a whole-row reference needs them all.
 */
static List *
cf_retrieved_attrs(RelOptInfo *baserel, Oid foreigntableid, List *scan_clauses)
{
	List	   *retrieved = NIL;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, scan_clauses)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause,
					   baserel->relid, &attrs);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
	{
		Relation	rel = table_open(foreigntableid, NoLock);
		TupleDesc	desc = RelationGetDescr(rel);

		for (int i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				retrieved = lappend_int(retrieved, i + 1);
		table_close(rel, NoLock);
	}
	else
	{
		int			x = -1;

		while ((x = bms_next_member(attrs, x)) >= 0)
		{
			AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0)
				retrieved = lappend_int(retrieved, attnum);
		}
	}
	return retrieved;
}

/*
 * cf_plan_order
 *		The order (index into res->orders, or -1) to ask the API for: the
 *		query's one sort key when it is a column the API can order by, in a
 *		query of this table alone.  Rows then arrive in that order, but
 *		PostgreSQL still sorts: the API's order of text under case and
 *		collation rules is not documented.
 */
static int
cf_plan_order(PlannerInfo *root, RelOptInfo *baserel, CfRelInfo *info,
			  bool *desc)
{
	const CfResource *res = info->res;
	PathKey    *pk;
	ListCell   *ec;
	int			order_idx = -1;

	if (root->query_pathkeys == NIL || list_length(root->query_pathkeys) != 1 ||
		bms_membership(root->all_baserels) != BMS_SINGLETON || !info->opts.pushdown)
		return -1;
	pk = linitial_node(PathKey, root->query_pathkeys);
	foreach(ec, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = (EquivalenceMember *) lfirst(ec);
		Expr	   *e = em->em_expr;
		const CfColumnDef *col;

		while (e && IsA(e, RelabelType))
			e = ((RelabelType *) e)->arg;
		if (!e || !IsA(e, Var) || ((Var *) e)->varno != baserel->relid ||
			((Var *) e)->varattno <= 0)
			continue;
		col = cf_attr_resource_column(info->relid, ((Var *) e)->varattno, res);
		for (int i = 0; col && i < res->norders; i++)
		{
			if (strcmp(res->orders[i].column, col->name) == 0)
			{
				order_idx = i;
				*desc = cf_pathkey_descending(pk);
			}
		}
	}
	return order_idx;
}

/*
 * cf_check_required
 *		Refuses a scan without a filter the API requires: the audit logs'
 *		lower time bound, a history's source entry.  The API would answer
 *		400, and guessing a value (a window of the last week, say) would
 *		silently return fewer rows than the query asks for.
 */
static void
cf_check_required(PlannerInfo *root, RelOptInfo *baserel,
				  const CfResource *res, List *pushed, bool pushdown,
				  bool window_used)
{
	const CfFilterDef *def = cf_missing_required(res, pushed, window_used);
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	const char *example;

	if (def == NULL)
		return;
	if (def->op == CF_OP_LOWER)
		example = psprintf("%s >= now() - interval '7 days'", def->column);
	else
		example = psprintf("%s = '...'", def->column);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("a scan of foreign table \"%s\" needs a condition on %s",
					get_rel_name(rte->relid), def->column),
			 def->op == CF_OP_LOWER && (def->flags & CF_FLT_REQUIRED)
			 ? errdetail("The Cloudflare API requires %s and %s for GET %s; they come from a lower bound on %s (>=, >, = or BETWEEN) with a constant, a parameter, a stable expression or a value from a join.",
						 res->window->lower_param, res->window->upper_param,
						 res->list_path, def->column)
			 : def->op == CF_OP_LOWER
			 ? errdetail("Without %s and %s the Cloudflare API answers its default window (%s), and a condition on %s would be checked on those rows only; they come from a lower bound on %s (>=, >, = or BETWEEN) with a constant, a parameter, a stable expression or a value from a join.",
						 res->window->lower_param, res->window->upper_param,
						 res->window->default_text ? res->window->default_text : "",
						 def->column, def->column)
			 : errdetail("The Cloudflare API requires it for GET %s, from \"%s = value\" with a constant, a parameter or a join.",
						 res->list_path, def->column),
			 pushdown
			 ? errhint("Add a condition such as \"WHERE %s\".", example)
			 : errhint("Set the table's \"pushdown\" option to true, and add a condition such as \"WHERE %s\".",
					   example)));
}

/* ======================================================================
 * Execution
 * ======================================================================
 */

/*
 * cloudflareBeginForeignScan
 *		Prepares conversions and the value expressions; the requests are
 *		made on the first fetch.
 */
static void
cloudflareBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;

	if (cf_is_count_plan(priv))
	{
		cf_count_begin(node, eflags);
		return;
	}
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	/* The user whose mapping is used: the view owner's, as postgres_fdw. */
	node->fdw_state = cf_scan_begin(node, priv, node->ss.ss_currentRelation,
									cf_scan_user(fsplan, node->ss.ps.state));
}

/*
 * cloudflareIterateForeignScan
 *		The next row (scan.c), or a count's (count.c).
 */
static TupleTableSlot *
cloudflareIterateForeignScan(ForeignScanState *node)
{
	if (cf_is_count_plan(((ForeignScan *) node->ss.ps.plan)->fdw_private))
		return cf_count_iterate(node);
	return cf_scan_next((CfScanState *) node->fdw_state,
						node->ss.ps.ps_ExprContext, node->ss.ss_ScanTupleSlot);
}

/*
 * cloudflareReScanForeignScan
 *		Starts over, re-evaluating the filter values (they may come from
 *		the outer side of a nested loop).
 */
static void
cloudflareReScanForeignScan(ForeignScanState *node)
{
	CfScanState *st = (CfScanState *) node->fdw_state;

	if (cf_is_count_plan(((ForeignScan *) node->ss.ps.plan)->fdw_private))
	{
		cf_count_rescan(node);
		return;
	}
	st->started = false;
}

static void
cloudflareEndForeignScan(ForeignScanState *node)
{
	CfScanState *st = (CfScanState *) node->fdw_state;

	if (st == NULL ||
		cf_is_count_plan(((ForeignScan *) node->ss.ps.plan)->fdw_private))
		return;
	MemoryContextReset(st->batch_cxt);
}

/*
 * cloudflareExplainForeignScan
 *		Shows the request the scan sends, as postgres_fdw shows its remote
 *		SQL, with no host and never a credential; under ANALYZE, what was
 *		really sent.
 */
static void
cloudflareExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	List	   *priv = ((ForeignScan *) node->ss.ps.plan)->fdw_private;

	if (cf_is_count_plan(priv))
		cf_count_explain(node, es);
	else
		cf_scan_explain(priv, (CfScanState *) node->fdw_state, NULL, es);
}

/* ======================================================================
 * IMPORT FOREIGN SCHEMA
 * ======================================================================
 */

/*
 * cloudflareImportForeignSchema
 *		IMPORT FOREIGN SCHEMA cloudflare creates one foreign table per
 *		resource with its documented columns; LIMIT TO and EXCEPT name
 *		resources.
 */
static List *
cloudflareImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;

	if (strcmp(stmt->remote_schema, "cloudflare") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("remote schema \"%s\" does not exist", stmt->remote_schema),
				 errhint("cloudflare_fdw has one remote schema, \"cloudflare\".")));

	for (int r = 0; r < CF_RES_COUNT; r++)
	{
		const CfResource *res = cf_resource_by_id((CfResourceId) r);
		StringInfoData buf;
		bool		listed = false;
		ListCell   *lc;

		foreach(lc, stmt->table_list)
		{
			if (strcmp(((RangeVar *) lfirst(lc))->relname, res->name) == 0)
				listed = true;
		}
		if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !listed) ||
			(stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && listed))
			continue;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n",
						 quote_identifier(res->name));
		for (int c = 0; c < res->ncolumns; c++)
			appendStringInfo(&buf, "  %s %s%s\n",
							 quote_identifier(res->columns[c].name),
							 res->columns[c].sql_type,
							 c + 1 < res->ncolumns ? "," : "");
		appendStringInfo(&buf, ") SERVER %s OPTIONS (resource %s)",
						 quote_identifier(server->servername),
						 quote_literal_cstr(res->name));
		commands = lappend(commands, buf.data);
	}
	return commands;
}
