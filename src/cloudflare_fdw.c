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
#include "commands/defrem.h"
#include "compat.h"
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

/* See convert.c: PostgreSQL's SQL function json_object() vs json-c's type. */
#define json_object cf_pg_sql_json_object
#include "utils/builtins.h"
#undef json_object

#include <json-c/json.h>

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

static double cf_window_requests(const CfResource *res, List *pushed);
static void cf_estimate(PlannerInfo *root, RelOptInfo *baserel,
						CfRelInfo *info, List *pushed,
						double *requests, double *remote_rows);
static void cf_add_param_paths(PlannerInfo *root, RelOptInfo *baserel,
							   CfRelInfo *info);
static bool cf_ec_member_matches(PlannerInfo *root, RelOptInfo *rel,
								 EquivalenceClass *ec, EquivalenceMember *em,
								 void *arg);
static List *cf_describe_values(const CfFilterDef *def, Expr *value,
								int exprno, List **raw);
static char *cf_describe_condition(const CfFilterDef *def, CfPushedFilter *f,
								   List *raw, int exprno);
static void cf_check_required(PlannerInfo *root, RelOptInfo *baserel,
							  const CfResource *res, List *pushed,
							  bool pushdown, bool window_used);
static void cf_describe_request(const CfResource *res, List *pushed,
								int page_size, int org_page_size,
								int order, bool desc,
								char **request, char **fanout,
								char **conditions, char **windows);
static char *cf_describe_window(const CfResource *res, const CfWindowBounds *wb,
								char *lower_label, char *upper_label,
								char **windows);

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

	cf_estimate(root, baserel, info, info->pushed, &info->requests,
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
 *		Requests and rows of one scan with these filters pushed.  The table
 *		option "rows" sets the unfiltered row count; otherwise the resource's
 *		default per organization times an assumed number of organizations.
 */
static void
cf_estimate(PlannerInfo *root, RelOptInfo *baserel, CfRelInfo *info,
			List *pushed, double *requests, double *remote_rows)
{
	const CfResource *res = info->res;
	double		scopes = 1.0;
	double		per_scope;
	double		total;
	double		sel = 1.0;
	bool		lookup = false;
	bool		scoped = false;
	double		in_requests = 1.0;
	List	   *pushed_rinfos = NIL;
	ListCell   *lc;
	int			page_size = Max(Min(info->opts.page_size, res->max_page_size), 1);
	double		windows = cf_window_requests(res, pushed);

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		const CfFilterDef *def = &res->filters[f->filter];

		if (def->flags & CF_FLT_LOOKUP)
			lookup = true;
		else if (def->flags & CF_FLT_PATH)
		{
			scoped = true;
			scopes = 1.0;
			if (def->op == CF_OP_IN)
			{
				if (IsA(f->value, Const) && !((Const *) f->value)->constisnull)
					scopes = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) f->value)->constvalue)),
											ARR_DIMS(DatumGetArrayTypeP(((Const *) f->value)->constvalue)));
				else
					scopes = CF_DEFAULT_IN_LIST;
			}
		}
		else
		{
			pushed_rinfos = lappend(pushed_rinfos, f->rinfo);
			/* a long constant IN list goes out in chunks (cf_scan_start) */
			if (def->op == CF_OP_IN && IsA(f->value, Const) &&
				!((Const *) f->value)->constisnull)
			{
				ArrayType  *arr = DatumGetArrayTypeP(((Const *) f->value)->constvalue);
				int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

				in_requests = Max(in_requests, ceil((double) n / CF_IN_CHUNK));
			}
		}
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

	if (lookup)
	{
		*requests = scopes;
		*remote_rows = scopes;
	}
	else if (res->scope_column != NULL && !scoped)
	{
		double		org_pages = ceil(CF_FANOUT_ORGS /
									 cf_fanout_page_size(&info->opts));

		*remote_rows = total * sel;
		if (res->embedded_field)
			*requests = org_pages;
		else
			*requests = org_pages + CF_FANOUT_ORGS * windows *
				(res->paging == CF_PAGING_ONCE ? 1.0
				 : Max(1.0, ceil(per_scope * sel / page_size)));
	}
	else
	{
		*remote_rows = scopes * per_scope * sel;
		*requests = scopes * windows *
			(res->paging == CF_PAGING_ONCE ? 1.0
			 : Max(1.0, ceil(per_scope * sel / page_size)));
		if (res->scope_column == NULL)
			*requests = Max(*requests, in_requests);
	}
	*remote_rows = clamp_row_est(*remote_rows);
}

/*
 * cf_window_requests
 *		The requests a window needs per scope: the number of windows its
 *		constant bounds make (the usage's 31 days each), three (a quarter)
 *		when they are known only at run time, else one.
 */
static double
cf_window_requests(const CfResource *res, List *pushed)
{
	CfWindowBounds wb;
	List	   *frags;
	char	   *why;
	ListCell   *lc;

	if (res->window == NULL || res->window->max_days == 0)
		return 1.0;
	cf_window_init(&wb);
	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		const CfFilterDef *def = &res->filters[f->filter];

		if (def->op != CF_OP_LOWER && def->op != CF_OP_UPPER)
			continue;
		if (!IsA(f->value, Const))
			return 3.0;
		if (((Const *) f->value)->constisnull)
			return 1.0;
		cf_window_add(&wb, def->op, f->bound,
					  DatumGetTimestampTz(((Const *) f->value)->constvalue));
	}
	if (!wb.has_lower || TIMESTAMP_NOT_FINITE(wb.lower) ||
		cf_window_fragments(res, &wb, GetCurrentStatementStartTimestamp(),
							false, &frags, &why) != CF_VALUE_SEND)
		return 1.0;
	return Max(1.0, (double) list_length(frags));
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
		cf_estimate(root, baserel, info, pushed, &requests, &rows);
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
	List	   *filters = NIL;
	List	   *retrieved = NIL;
	List	   *order = NIL;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			page_size;
	int			order_idx = -1;
	bool		desc = false;
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

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		int			exprno = -1;

		if (f->value != NULL)
		{
			fdw_exprs = lappend(fdw_exprs, f->value);
			exprno = list_length(fdw_exprs) - 1;
		}
		filters = lappend(filters, list_make4_int(f->filter, exprno, f->like,
												  f->bound));
	}
	cf_check_required(root, baserel, res, pushed, info->opts.pushdown,
					  info->window_used);

	/* Columns to convert: the output and every clause (all are rechecked). */
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

	page_size = Max(Min(info->opts.page_size, res->max_page_size),
					res->min_page_size);
	if (count)
		page_size = Max(1, res->min_page_size);

	/*
	 * An ORDER BY the API can produce is sent, so rows arrive in that
	 * order, but PostgreSQL still sorts: the API's order of text under
	 * case and collation rules is not documented.
	 */
	if (!count &&
		root->query_pathkeys != NIL && list_length(root->query_pathkeys) == 1 &&
		bms_membership(root->all_baserels) == BMS_SINGLETON && info->opts.pushdown)
	{
		PathKey    *pk = linitial_node(PathKey, root->query_pathkeys);
		ListCell   *ec;

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
			col = cf_attr_resource_column(foreigntableid, ((Var *) e)->varattno,
										  res);
			for (int i = 0; col && i < res->norders; i++)
			{
				if (strcmp(res->orders[i].column, col->name) == 0)
				{
					order_idx = i;
					desc = cf_pathkey_descending(pk);
				}
			}
		}
		if (order_idx >= 0)
			order = list_make2_int(order_idx, desc ? 1 : 0);
	}

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

	/* a fan-out reads the organizations list as the scan does */
	cf_describe_request(res, pushed, page_size,
						cf_fanout_page_size(&info->opts), order_idx, desc,
						&request, &fanout, &conditions, &windows);
	if (count)
		cf_count_estimate(res, pushed, &requests, &rows);
	else
		cf_estimate(root, baserel, info, pushed, &requests, &rows);
	if (strncmp(request, "no request", 10) == 0)
		requests = 0;

	fdw_private = list_make5(makeInteger(res->id), filters, retrieved,
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
 * Request descriptions
 * ======================================================================
 */

/*
 * cf_append_param
 *		Appends "&name=value"; the caller drops the first '&'.  Values
 *		from SQL are percent-encoded, so no value can add a parameter or
 *		reach another endpoint.
 */
void
cf_append_param(StringInfo buf, const char *name, const char *value,
				bool escape)
{
	appendStringInfo(buf, "&%s=%s", name, escape ? cf_url_escape(value) : value);
}

/*
 * cf_describe_values
 *		For EXPLAIN: the values a filter sends as they appear on the wire
 *		(percent-encoded) when they are constants, or "$n" for a value
 *		known only at run time (n counts the scan's runtime values).
 *		Returns NIL for a NULL constant, which sends nothing.
 */
static List *
cf_describe_values(const CfFilterDef *def, Expr *value, int exprno,
				   List **raw)
{
	List	   *labels = NIL;
	ListCell   *lc;

	*raw = NIL;
	if (value && IsA(value, Const))
	{
		Const	   *c = (Const *) value;

		if (c->constisnull)
			return NIL;
		*raw = cf_datum_values(c->constvalue, c->consttype,
							   def->op == CF_OP_IN || def->op == CF_OP_NOT_IN);
		foreach(lc, *raw)
			labels = lappend(labels, cf_url_escape(lfirst(lc)));
		return labels;
	}
	return list_make1(psprintf("$%d", exprno + 1));
}

/*
 * cf_describe_request
 *		The request a scan sends, for EXPLAIN ("GET /path?filters&paging"),
 *		and, for a scan that fans out over organizations, how it does: it
 *		reads their list org_page_size at a time.
 */
static void
cf_describe_request(const CfResource *res, List *pushed, int page_size,
					int org_page_size, int order, bool desc, char **request, char **fanout,
					char **conditions, char **windows)
{
	const CfResource *orgs = cf_resource_by_id(CF_RES_ORGANIZATIONS);
	StringInfoData query;
	StringInfoData fan;
	StringInfoData out;
	const char *scope = NULL;
	const char *lookup = NULL;
	const char *path_id = NULL;
	bool		scoped = false;
	bool		single = res->paging == CF_PAGING_NONE;
	const char *path;
	ListCell   *lc;
	int			exprno = 0;
	StringInfoData conds;
	CfWindowBounds wb;
	char	   *lower_label = NULL;
	char	   *upper_label = NULL;
	char	   *window_query = NULL;

	initStringInfo(&query);
	initStringInfo(&fan);
	initStringInfo(&out);
	initStringInfo(&conds);
	*conditions = "";
	*windows = "";
	cf_window_init(&wb);

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		const CfFilterDef *def = &res->filters[f->filter];
		List	   *labels = NIL;
		List	   *raw = NIL;
		ListCell   *vc;

		if (f->value)
			labels = cf_describe_values(def, f->value, exprno++, &raw);

		/* a window's bound: its dates are worked out below */
		if (def->op == CF_OP_LOWER || def->op == CF_OP_UPPER)
		{
			if (IsA(f->value, Const) && ((Const *) f->value)->constisnull)
			{
				*request = psprintf("no request: %s compared with NULL matches no row",
									def->column);
				*fanout = "";
				*conditions = "";
				return;
			}
			if (IsA(f->value, Const))
				cf_window_add(&wb, def->op, f->bound,
							  DatumGetTimestampTz(((Const *) f->value)->constvalue));
			else if (def->op == CF_OP_LOWER && lower_label == NULL)
				lower_label = linitial(labels);
			else if (def->op == CF_OP_UPPER && upper_label == NULL)
				upper_label = linitial(labels);
			/* "=" is both bounds: said once */
			if (!(def->op == CF_OP_UPPER && f->bound == CF_BOUND_EQ))
				appendStringInfo(&conds, "%s%s", conds.len ? " AND " : "",
								 cf_describe_condition(def, f, raw, exprno));
			continue;
		}

		/* a constant is judged as the scan will judge it (cf_scan_start) */
		if (f->value && IsA(f->value, Const))
		{
			List	   *utf8 = NIL;
			List	   *kept;
			char	   *why = NULL;
			CfValueVerdict	verdict;
			int			fidx;
			char	   *literal;

			foreach(vc, raw)
				utf8 = lappend(utf8, cf_utf8(lfirst(vc)));
			if (f->like != CF_LIKE_NONE && utf8 != NIL)
			{
				if (!cf_like_filter(res, f->filter, linitial(utf8), f->like,
									&fidx, &literal))
					continue;
				verdict = cf_judge_values(res, &res->filters[fidx],
										  list_make1(literal), &kept, &why);
			}
			else
				verdict = cf_judge_values(res, def, utf8, &kept, &why);
			if (verdict == CF_VALUE_NO_MATCH)
			{
				*request = psprintf("no request: %s", why);
				*fanout = "";
				*conditions = "";
				return;
			}
			if (verdict == CF_VALUE_SKIP)
				continue;
			if (f->like == CF_LIKE_NONE)
			{
				raw = kept;
				labels = NIL;
				foreach(vc, kept)
					labels = lappend(labels, cf_url_escape(lfirst(vc)));
			}
		}

		appendStringInfo(&conds, "%s%s", conds.len ? " AND " : "",
						 cf_describe_condition(def, f, raw,
											   f->value ? exprno : 0));

		if (def->flags & CF_FLT_LOOKUP)
		{
			lookup = labels ? linitial(labels) : "NULL";
			single = true;
		}
		else if (def->flags & CF_FLT_PATH_ID)
			path_id = labels == NIL ? "NULL"
				: raw != NIL && (def->flags & CF_FLT_UUID)
				? cf_url_escape(cf_uuid_dashed(linitial(raw))) : linitial(labels);
		else if (def->flags & CF_FLT_PATH)
		{
			scoped = true;
			if (def->op == CF_OP_EQ)
				scope = labels ? linitial(labels) : "NULL";
			else
			{
				appendStringInfoString(&fan, "for each organization_id in (");
				foreach(vc, labels)
					appendStringInfo(&fan, "%s%s",
									 vc == list_head(labels) ? "" : ", ",
									 (char *) lfirst(vc));
				appendStringInfoChar(&fan, ')');
			}
		}
		else if (def->op == CF_OP_IS_NULL)
			cf_append_param(&query, def->param, def->null_value, false);
		else if (f->like != CF_LIKE_NONE)
		{
			int			fidx;
			char	   *literal;

			if (raw == NIL)
				appendStringInfo(&query, "&<%s %s>", res->filters[f->filter].column,
								 f->like == CF_LIKE_ICASE ? "ILIKE" : "LIKE");
			else if (cf_like_filter(res, f->filter, linitial(raw), f->like,
									&fidx, &literal))
				cf_append_param(&query, res->filters[fidx].param, literal, true);
		}
		else if (def->op == CF_OP_IN && res->scope_column == NULL &&
				 order < 0 && list_length(labels) > CF_IN_CHUNK)
		{
			/* the scan splits such a list (cf_scan_start) */
			appendStringInfo(&query, "&%s=<%d values, up to %d per request>",
							 def->param, list_length(labels), CF_IN_CHUNK);
		}
		else if ((def->op == CF_OP_IN || def->op == CF_OP_NOT_IN) &&
				 list_length(labels) > CF_IN_CHUNK)
			appendStringInfo(&query, "&<%s: %d values, more than one request takes: checked locally>",
							 def->param, list_length(labels));
		else
		{
			foreach(vc, labels)
				cf_append_param(&query, def->param, lfirst(vc), false);
		}
	}

	if (res->window)
	{
		window_query = cf_describe_window(res, &wb, lower_label, upper_label,
										  windows);
		if (window_query == NULL)
		{
			*request = psprintf("no request: %s", *windows);
			*fanout = "";
			*conditions = "";
			*windows = "";
			return;
		}
	}

	if (lookup)
		path = cf_fill_path_label(res->item_path, scope, lookup);
	else
	{
		path = cf_fill_path_label(res->list_path, scope, path_id);
		if (order >= 0)
			cf_append_order(&query, &res->orders[order], desc);
		if (window_query)
			appendStringInfoString(&query, window_query);
		if (!single && res->paging != CF_PAGING_ONCE)
			appendStringInfo(&query, "&%s=%d", res->page_param, page_size);
	}

	if (res->scope_column && !scoped && !lookup)
	{
		int			org_page = org_page_size;

		if (res->embedded_field)
		{
			/* the rows come embedded in the organizations list */
			path = orgs->list_path;
			resetStringInfo(&query);
			appendStringInfo(&query, "&%s=%d", orgs->page_param, org_page);
			appendStringInfo(&fan, "the \"%s\" of each organization",
							 res->embedded_field);
		}
		else
			appendStringInfo(&fan, "for each organization listed by GET %s?%s=%d",
							 orgs->list_path, orgs->page_param, org_page);
	}

	appendStringInfo(&out, "GET %s", path);
	if (query.len > 0)
		appendStringInfo(&out, "?%s", query.data + 1);
	*request = out.data;
	*fanout = fan.data;
	*conditions = conds.data;
}

/*
 * cf_append_order
 *		Appends the parameters that ask for an order: "&order=name&direction=
 *		asc", or the direction alone where the API has one order.
 */
void
cf_append_order(StringInfo buf, const CfOrderDef *order, bool desc)
{
	if (order->param)
		cf_append_param(buf, order->param, order->value, false);
	cf_append_param(buf, order->direction_param, desc ? "desc" : "asc", false);
}

/*
 * cf_describe_window
 *		The window's parameters as EXPLAIN shows them ("&since=2026-01-01&
 *		before=2026-02-01", or "&since=$1&before=..." for values known at run
 *		time), with *windows saying how the scan splits it into requests or
 *		that the API's default applies.  NULL when no time can match, with
 *		*windows saying why.
 */
static char *
cf_describe_window(const CfResource *res, const CfWindowBounds *wb,
				   char *lower_label, char *upper_label, char **windows)
{
	const CfWindowDef *w = res->window;
	List	   *frags;
	char	   *why;
	char	   *line;

	if (lower_label != NULL || upper_label != NULL)
	{
		char	   *lower = lower_label ? lower_label
			: cf_window_day(res, wb, CF_OP_LOWER);
		char	   *upper = upper_label ? upper_label
			: cf_window_day(res, wb, CF_OP_UPPER);

		if (w->max_days > 0)
			*windows = psprintf("windows of at most %d days, from the values",
								w->max_days);
		return psprintf("&%s=%s&%s=%s", w->lower_param, lower,
						w->upper_param, upper);
	}
	if (cf_window_fragments(res, wb, GetCurrentStatementStartTimestamp(), true,
							&frags, &why) == CF_VALUE_NO_MATCH)
	{
		*windows = why;
		return NULL;
	}
	if (frags == NIL)
	{
		*windows = w->default_text
			? psprintf("the API's default window: %s", w->default_text) : "";
		return "";
	}
	line = cf_window_describe(res, frags);
	if (line)
		*windows = line;
	return linitial(frags);
}

/*
 * cf_describe_condition
 *		A pushed condition as EXPLAIN VERBOSE shows it: the resource column,
 *		the operator and the constant (or $n, numbered as in the request).
 */
static char *
cf_describe_condition(const CfFilterDef *def, CfPushedFilter *f, List *raw,
					  int exprno)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		constant = f->value && IsA(f->value, Const);

	initStringInfo(&buf);
	appendStringInfoString(&buf, quote_identifier(def->column));
	if (def->op == CF_OP_LOWER || def->op == CF_OP_UPPER)
	{
		static const char *const ops[] = {"?", ">", ">=", "<", "<=", "="};

		appendStringInfo(&buf, " %s %s", ops[f->bound],
						 constant ? quote_literal_cstr(linitial(raw))
						 : psprintf("$%d", exprno));
	}
	else if (def->op == CF_OP_NE)
		appendStringInfo(&buf, " <> %s", constant ? quote_literal_cstr(linitial(raw))
						 : psprintf("$%d", exprno));
	else if (def->op == CF_OP_NOT_IN && !constant)
		appendStringInfo(&buf, " <> ALL ($%d)", exprno);
	else if (def->op == CF_OP_NOT_IN)
	{
		appendStringInfoString(&buf, " NOT IN (");
		foreach(lc, raw)
			appendStringInfo(&buf, "%s%s", lc == list_head(raw) ? "" : ", ",
							 quote_literal_cstr(lfirst(lc)));
		appendStringInfoChar(&buf, ')');
	}
	else if (def->op == CF_OP_IS_NULL)
		appendStringInfoString(&buf, " IS NULL");
	else if (f->like != CF_LIKE_NONE)
		appendStringInfo(&buf, " %s %s", f->like == CF_LIKE_ICASE ? "ILIKE" : "LIKE",
						 constant ? quote_literal_cstr(linitial(raw))
						 : psprintf("$%d", exprno));
	else if (def->op == CF_OP_IN && !constant)
		appendStringInfo(&buf, " = ANY ($%d)", exprno);
	else if (def->op == CF_OP_IN && list_length(raw) > 10)
		appendStringInfo(&buf, " IN (%d values)", list_length(raw));
	else if (def->op == CF_OP_IN)
	{
		appendStringInfoString(&buf, " IN (");
		foreach(lc, raw)
			appendStringInfo(&buf, "%s%s", lc == list_head(raw) ? "" : ", ",
							 quote_literal_cstr(lfirst(lc)));
		appendStringInfoChar(&buf, ')');
	}
	else
		appendStringInfo(&buf, " = %s", constant ? quote_literal_cstr(linitial(raw))
						 : psprintf("$%d", exprno));
	return buf.data;
}

/*
 * cf_datum_values
 *		The text values of a scalar or of each non-NULL array element.
 */
List *
cf_datum_values(Datum value, Oid type, bool is_array)
{
	List	   *result = NIL;
	Oid			outfunc;
	bool		isvarlena;

	if (!is_array)
	{
		/* a time goes out as the API writes one: RFC 3339, in UTC */
		if (type == TIMESTAMPTZOID)
			return list_make1(cf_timestamptz_rfc3339(DatumGetTimestampTz(value)));
		getTypeOutputInfo(type, &outfunc, &isvarlena);
		return list_make1(OidOutputFunctionCall(outfunc, value));
	}
	else
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = cf_array_elements(value, &elemtype, &elems, &nulls);

		getTypeOutputInfo(elemtype, &outfunc, &isvarlena);
		for (int i = 0; i < n; i++)
		{
			if (!nulls[i])
				result = lappend(result, OidOutputFunctionCall(outfunc, elems[i]));
		}
	}
	return result;
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
