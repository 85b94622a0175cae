/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *		  Which WHERE clauses become Cloudflare API filters.
 *
 * A clause is pushed when its shape matches a filter of the resource
 * table (column = value, column = ANY(array), column LIKE/ILIKE pattern,
 * column IS NULL, column <> value, column <> ALL(array), and the bounds of
 * a time window: column >=, >, <, <= or = a time) and its value can be
 * computed before the scan starts: a
 * constant, a parameter, a stable expression, or a value from the outer
 * side of a parameterized join.  Every pushed clause also stays a local
 * recheck, so a filter may safely ask the API for a superset of the rows:
 * that is how LIKE patterns are sent (the longest safe prefix, suffix or
 * infix), and why case-insensitive API filters are fine for LIKE.
 *
 * IDENTIFICATION
 *		  src/pushdown.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "pushdown.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

static Var *cf_clause_var(RelOptInfo *baserel, Node *node);
static bool cf_value_is_pushable(PlannerInfo *root, RelOptInfo *baserel,
								 Expr *expr, Relids outer_relids);
static int	cf_filter_rank(const CfFilterDef *def);
static const char *cf_filter_slot(const CfFilterDef *def);
static int	cf_time_bound(Oid opfunc, bool commuted, Expr **value);

/*
 * The resource column of each column of a foreign table, worked out once
 * per table and backend: the planner, the scan and the write path ask for
 * it often (once per filter and column, at every rescan), and each answer
 * costs catalog lookups.  A relcache invalidation of the table (ALTER
 * FOREIGN TABLE, a column's options, a rename) forgets its entry.
 */
typedef struct CfColumnMap
{
	Oid			relid;			/* hash key */
	bool		valid;
	const CfResource *res;
	int			natts;
	const CfColumnDef **cols;	/* [attnum - 1], NULL: the user's own */
} CfColumnMap;

static HTAB *cf_column_maps = NULL;

static const CfColumnDef *cf_lookup_resource_column(Oid relid,
													AttrNumber attnum,
													const CfResource *res);

static void
cf_column_map_inval(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS scan;
	CfColumnMap *map;

	if (cf_column_maps == NULL)
		return;
	if (OidIsValid(relid))
	{
		map = hash_search(cf_column_maps, &relid, HASH_FIND, NULL);
		if (map != NULL)
			map->valid = false;
		return;
	}
	hash_seq_init(&scan, cf_column_maps);
	while ((map = hash_seq_search(&scan)) != NULL)
		map->valid = false;
}

/*
 * cf_attr_resource_column
 *		The documented resource column a table column stands for: the one
 *		with the same JSON path when the column has a json_path option,
 *		else the one of the same name.  NULL for a column of the user's own
 *		(or a dropped one).
 */
const CfColumnDef *
cf_attr_resource_column(Oid relid, AttrNumber attnum, const CfResource *res)
{
	CfColumnMap *map;
	bool		found;

	if (cf_column_maps == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CfColumnMap);
		ctl.hcxt = CacheMemoryContext;
		cf_column_maps = hash_create("cloudflare_fdw column maps", 64, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(cf_column_map_inval, (Datum) 0);
	}

	map = hash_search(cf_column_maps, &relid, HASH_ENTER, &found);
	if (!found)
	{
		map->valid = false;
		map->cols = NULL;
	}
	if (!map->valid || map->res != res)
	{
		Relation	rel = RelationIdGetRelation(relid);	/* the caller locked it */
		TupleDesc	tupdesc;
		int			natts;
		const CfColumnDef **cols;

		if (!RelationIsValid(rel))
			elog(ERROR, "could not open relation with OID %u", relid);
		tupdesc = RelationGetDescr(rel);
		natts = tupdesc->natts;
		cols = MemoryContextAllocZero(CacheMemoryContext,
									  sizeof(CfColumnDef *) * Max(natts, 1));
		for (int i = 0; i < natts; i++)
		{
			if (!TupleDescAttr(tupdesc, i)->attisdropped)
				cols[i] = cf_lookup_resource_column(relid, i + 1, res);
		}
		RelationClose(rel);
		if (map->cols != NULL)
			pfree(map->cols);
		map->cols = cols;
		map->natts = natts;
		map->res = res;
		map->valid = true;
	}
	if (attnum < 1 || attnum > map->natts)
		return cf_lookup_resource_column(relid, attnum, res);
	return map->cols[attnum - 1];
}

/* cf_attr_resource_column's answer from the catalogs. */
static const CfColumnDef *
cf_lookup_resource_column(Oid relid, AttrNumber attnum, const CfResource *res)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "json_path") == 0)
		{
			const char *path = defGetString(def);

			for (int i = 0; i < res->ncolumns; i++)
			{
				if (res->columns[i].json_path &&
					strcmp(res->columns[i].json_path, path) == 0)
					return &res->columns[i];
			}
			return NULL;
		}
	}
	return cf_resource_column(res, get_attname(relid, attnum, false));
}

/*
 * cf_clause_var
 *		The Var of baserel a clause argument is (through binary-compatible
 *		casts such as varchar to text), or NULL.
 */
static Var *
cf_clause_var(RelOptInfo *baserel, Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;

	if (node && IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == baserel->relid && var->varlevelsup == 0 &&
			var->varattno > 0)
			return var;
	}
	return NULL;
}

/*
 * cf_value_is_pushable
 *		A value can be sent if it does not depend on the scanned row, can be
 *		computed once before the scan (no volatile functions, no correlated
 *		subplans), and refers only to relations the path is parameterized by.
 */
static bool
cf_value_is_pushable(PlannerInfo *root, RelOptInfo *baserel, Expr *expr,
					 Relids outer_relids)
{
	Relids		varnos = pull_varnos(root, (Node *) expr);

	if (bms_is_member(baserel->relid, varnos))
		return false;
	if (!bms_is_subset(varnos, outer_relids))
		return false;
	if (contain_volatile_functions((Node *) expr))
		return false;
	if (contain_subplans((Node *) expr))
		return false;
	return true;
}

/*
 * cf_clause_is_pushable
 *		Whether the API can answer this clause; fills *out if so.
 */
bool
cf_clause_is_pushable(PlannerInfo *root, RelOptInfo *baserel,
					  const CfResource *res, Expr *clause,
					  Relids outer_relids, CfPushedFilter *out)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Var		   *var = NULL;
	Expr	   *value = NULL;
	CfFilterOp	op;
	int			like = CF_LIKE_NONE;
	int			bound = CF_BOUND_NONE;
	bool		commuted = false;
	const CfColumnDef *col;
	int			idx;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *opexpr = (OpExpr *) clause;
		Oid			opfunc;

		if (list_length(opexpr->args) != 2)
			return false;
		opfunc = get_opcode(opexpr->opno);

		/* Equality must mean byte equality, as the API's does. */
		if (OidIsValid(opexpr->inputcollid) &&
			!get_collation_isdeterministic(opexpr->inputcollid))
			return false;

		var = cf_clause_var(baserel, linitial(opexpr->args));
		value = lsecond(opexpr->args);
		if (var == NULL && opfunc != F_TEXTLIKE && opfunc != F_TEXTICLIKE)
		{
			/* value op column: the same as column op' value */
			var = cf_clause_var(baserel, lsecond(opexpr->args));
			value = linitial(opexpr->args);
			commuted = true;
		}
		if (var == NULL)
			return false;

		switch (opfunc)
		{
			case F_TEXTEQ:
			case F_INT4EQ:
			case F_NETWORK_EQ:
				op = CF_OP_EQ;
				break;
			case F_TEXTNE:
			case F_INT4NE:
			case F_NETWORK_NE:
				op = CF_OP_NE;
				break;
			case F_TEXTLIKE:
				op = CF_OP_PREFIX;
				like = CF_LIKE_CASE;
				break;
			case F_TEXTICLIKE:
				op = CF_OP_PREFIX;
				like = CF_LIKE_ICASE;
				break;
			default:
				bound = cf_time_bound(opfunc, commuted, &value);
				if (bound == CF_BOUND_NONE)
					return false;
				if (var->vartype != TIMESTAMPTZOID)
					return false;
				op = bound == CF_BOUND_GT || bound == CF_BOUND_GE ? CF_OP_LOWER
					: bound == CF_BOUND_EQ ? CF_OP_EQ : CF_OP_UPPER;
				break;
		}
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Oid			opfunc = get_opcode(saop->opno);

		if (list_length(saop->args) != 2)
			return false;
		if (saop->useOr &&
			(opfunc == F_TEXTEQ || opfunc == F_INT4EQ || opfunc == F_NETWORK_EQ))
			op = CF_OP_IN;
		else if (!saop->useOr &&
				 (opfunc == F_TEXTNE || opfunc == F_INT4NE || opfunc == F_NETWORK_NE))
			op = CF_OP_NOT_IN;
		else
			return false;
		if (OidIsValid(saop->inputcollid) &&
			!get_collation_isdeterministic(saop->inputcollid))
			return false;
		var = cf_clause_var(baserel, linitial(saop->args));
		value = lsecond(saop->args);
		if (var == NULL)
			return false;
	}
	else if (IsA(clause, NullTest))
	{
		NullTest   *nt = (NullTest *) clause;

		if (nt->nulltesttype != IS_NULL || nt->argisrow)
			return false;
		var = cf_clause_var(baserel, (Node *) nt->arg);
		if (var == NULL)
			return false;
		op = CF_OP_IS_NULL;
	}
	else
		return false;

	if (value != NULL &&
		!cf_value_is_pushable(root, baserel, value, outer_relids))
		return false;

	col = cf_attr_resource_column(rte->relid, var->varattno, res);
	if (col == NULL)
		return false;
	idx = cf_resource_filter(res, col->name, op);

	/* a time equality is a filter of its own (action_time=), or a window */
	if (idx < 0 && bound == CF_BOUND_EQ)
		idx = cf_resource_filter(res, col->name, CF_OP_LOWER);
	else if (idx >= 0 && bound == CF_BOUND_EQ)
		bound = CF_BOUND_NONE;
	if (idx < 0)
		return false;

	/*
	 * A constant LIKE pattern is judged now, so that EXPLAIN and the cost
	 * estimate know whether anything is sent; a pattern known only at run
	 * time is judged then.
	 */
	if (like != CF_LIKE_NONE && value != NULL && IsA(value, Const))
	{
		Const	   *c = (Const *) value;
		int			f;
		char	   *literal;

		if (c->constisnull ||
			!cf_like_filter(res, idx, TextDatumGetCString(c->constvalue),
							like, &f, &literal))
			return false;
	}
	else if (like == CF_LIKE_ICASE &&
			 !(res->filters[idx].flags & CF_FLT_CASE_INSENSITIVE))
		return false;

	if (out)
	{
		out->filter = idx;
		out->value = value;
		out->like = like;
		out->bound = bound;
	}
	return true;
}

/*
 * cf_time_bound
 *		The bound a comparison of a timestamptz column with a time is
 *		(CF_BOUND_NONE for any other operator).  A date or timestamp value
 *		is compared as the timestamptz it casts to, so *value becomes that
 *		cast (the functions timestamptz(date) and timestamptz(timestamp)),
 *		evaluated with the session's time zone like the comparison.
 */
static int
cf_time_bound(Oid opfunc, bool commuted, Expr **value)
{
	int			bound;
	Oid			cast = InvalidOid;

	switch (opfunc)
	{
		case F_TIMESTAMPTZ_GT:
			bound = CF_BOUND_GT;
			break;
		case F_TIMESTAMPTZ_GE:
			bound = CF_BOUND_GE;
			break;
		case F_TIMESTAMPTZ_LT:
			bound = CF_BOUND_LT;
			break;
		case F_TIMESTAMPTZ_LE:
			bound = CF_BOUND_LE;
			break;
		case F_TIMESTAMPTZ_EQ:
			bound = CF_BOUND_EQ;
			break;
		case F_TIMESTAMPTZ_GT_DATE:
		case F_DATE_LT_TIMESTAMPTZ:
			bound = CF_BOUND_GT;
			cast = F_TIMESTAMPTZ_DATE;
			break;
		case F_TIMESTAMPTZ_GE_DATE:
		case F_DATE_LE_TIMESTAMPTZ:
			bound = CF_BOUND_GE;
			cast = F_TIMESTAMPTZ_DATE;
			break;
		case F_TIMESTAMPTZ_LT_DATE:
		case F_DATE_GT_TIMESTAMPTZ:
			bound = CF_BOUND_LT;
			cast = F_TIMESTAMPTZ_DATE;
			break;
		case F_TIMESTAMPTZ_LE_DATE:
		case F_DATE_GE_TIMESTAMPTZ:
			bound = CF_BOUND_LE;
			cast = F_TIMESTAMPTZ_DATE;
			break;
		case F_TIMESTAMPTZ_EQ_DATE:
		case F_DATE_EQ_TIMESTAMPTZ:
			bound = CF_BOUND_EQ;
			cast = F_TIMESTAMPTZ_DATE;
			break;
		case F_TIMESTAMPTZ_GT_TIMESTAMP:
		case F_TIMESTAMP_LT_TIMESTAMPTZ:
			bound = CF_BOUND_GT;
			cast = F_TIMESTAMPTZ_TIMESTAMP;
			break;
		case F_TIMESTAMPTZ_GE_TIMESTAMP:
		case F_TIMESTAMP_LE_TIMESTAMPTZ:
			bound = CF_BOUND_GE;
			cast = F_TIMESTAMPTZ_TIMESTAMP;
			break;
		case F_TIMESTAMPTZ_LT_TIMESTAMP:
		case F_TIMESTAMP_GT_TIMESTAMPTZ:
			bound = CF_BOUND_LT;
			cast = F_TIMESTAMPTZ_TIMESTAMP;
			break;
		case F_TIMESTAMPTZ_LE_TIMESTAMP:
		case F_TIMESTAMP_GE_TIMESTAMPTZ:
			bound = CF_BOUND_LE;
			cast = F_TIMESTAMPTZ_TIMESTAMP;
			break;
		case F_TIMESTAMPTZ_EQ_TIMESTAMP:
		case F_TIMESTAMP_EQ_TIMESTAMPTZ:
			bound = CF_BOUND_EQ;
			cast = F_TIMESTAMPTZ_TIMESTAMP;
			break;
		default:
			return CF_BOUND_NONE;
	}

	/*
	 * The cross-type operators with the column second were matched above
	 * by their own direction (date < column is column > date); the
	 * same-type ones name the column first, so a commuted one flips.
	 */
	if (commuted && !OidIsValid(cast))
	{
		switch (bound)
		{
			case CF_BOUND_GT:
				bound = CF_BOUND_LT;
				break;
			case CF_BOUND_GE:
				bound = CF_BOUND_LE;
				break;
			case CF_BOUND_LT:
				bound = CF_BOUND_GT;
				break;
			case CF_BOUND_LE:
				bound = CF_BOUND_GE;
				break;
		}
	}
	if (OidIsValid(cast))
		*value = (Expr *) makeFuncExpr(cast, TIMESTAMPTZOID, list_make1(*value),
									   InvalidOid, InvalidOid,
									   COERCE_IMPLICIT_CAST);
	return bound;
}

/*
 * The order in which candidate filters claim their slot: a lookup by id
 * beats a path scope, which beats a query filter, which beats a list, which
 * beats a pattern.
 */
static int
cf_filter_rank(const CfFilterDef *def)
{
	if (def->flags & CF_FLT_LOOKUP)
		return 0;
	if (def->flags & (CF_FLT_PATH | CF_FLT_PATH_ID))
		return def->op == CF_OP_EQ ? 1 : 2;
	switch (def->op)
	{
		case CF_OP_EQ:
		case CF_OP_NE:
		case CF_OP_LOWER:
		case CF_OP_UPPER:
			return 3;
		case CF_OP_IN:
		case CF_OP_NOT_IN:
			return 4;
		case CF_OP_IS_NULL:
			return 5;
		default:
			return 6;
	}
}

/* Filters that cannot both be sent share a slot. */
static const char *
cf_filter_slot(const CfFilterDef *def)
{
	if (def->flags & CF_FLT_LOOKUP)
		return "{lookup}";
	if (def->flags & CF_FLT_PATH)
		return "{path}";
	if (def->flags & CF_FLT_PATH_ID)
		return "{path id}";
	if (def->op == CF_OP_PREFIX || def->op == CF_OP_SUFFIX ||
		def->op == CF_OP_CONTAINS)
		return psprintf("like:%s", def->column);
	return def->param;
}

/*
 * cf_classify_clauses
 *		Splits RestrictInfos into the filters sent to the API (returned, a
 *		List of CfPushedFilter *) and the rest (*local).  Every clause,
 *		pushed or not, is also evaluated locally by the caller.
 */
List *
cf_classify_clauses(PlannerInfo *root, RelOptInfo *baserel,
					const CfResource *res, List *clauses,
					Relids outer_relids, List **local)
{
	List	   *candidates = NIL;
	List	   *pushed = NIL;
	List	   *slots = NIL;
	ListCell   *lc;
	bool		has_lookup = false;
	bool		has_scope_eq = false;
	bool		needs_scope;

	*local = NIL;
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		CfPushedFilter *f = palloc0(sizeof(CfPushedFilter));

		if (cf_clause_is_pushable(root, baserel, res, rinfo->clause,
								  outer_relids, f))
		{
			f->rinfo = rinfo;
			candidates = lappend(candidates, f);
		}
		else
			*local = lappend(*local, rinfo);
	}

	/* Claim slots in rank order; a filter whose slot is taken is dropped. */
	for (int rank = 0; rank <= 6; rank++)
	{
		foreach(lc, candidates)
		{
			CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
			const CfFilterDef *def = &res->filters[f->filter];
			const char *slot;
			ListCell   *sc;
			bool		taken = false;

			if (cf_filter_rank(def) != rank)
				continue;

			/* every bound of a window is sent: the scan takes the tightest */
			if (def->op == CF_OP_LOWER || def->op == CF_OP_UPPER)
			{
				pushed = lappend(pushed, f);
				if (f->bound == CF_BOUND_EQ)
				{
					CfPushedFilter *upper = palloc(sizeof(CfPushedFilter));

					*upper = *f;
					upper->filter = cf_resource_filter(res, def->column, CF_OP_UPPER);
					Assert(upper->filter >= 0);
					pushed = lappend(pushed, upper);
				}
				continue;
			}
			slot = cf_filter_slot(def);
			foreach(sc, slots)
			{
				if (strcmp((char *) lfirst(sc), slot) == 0)
					taken = true;
			}
			if (taken)
			{
				*local = lappend(*local, f->rinfo);
				continue;
			}
			slots = lappend(slots, (char *) slot);
			pushed = lappend(pushed, f);
			if (def->flags & CF_FLT_LOOKUP)
				has_lookup = true;
			if ((def->flags & CF_FLT_PATH) && def->op == CF_OP_EQ)
				has_scope_eq = true;
		}
	}

	/*
	 * A lookup by id sends no query filters; one whose item path needs the
	 * organization is possible only when the organization is a single value.
	 * A filter-only column (containing_account) has no value but the one
	 * the list was filtered on, so with one the list is read instead and
	 * the id checked locally.
	 */
	needs_scope = cf_path_takes(res->item_path, CF_PATH_SCOPE);
	if (has_lookup)
	{
		List	   *kept = NIL;
		bool		lookup_ok = !needs_scope || has_scope_eq;

		foreach(lc, pushed)
		{
			const CfFilterDef *def = &res->filters[((CfPushedFilter *) lfirst(lc))->filter];
			const CfColumnDef *col = cf_resource_column(res, def->column);

			if (col != NULL && (col->flags & CF_COL_FILTER_ONLY))
				lookup_ok = false;
		}

		foreach(lc, pushed)
		{
			CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
			const CfFilterDef *def = &res->filters[f->filter];

			if (def->flags & CF_FLT_LOOKUP)
			{
				if (lookup_ok)
					kept = lappend(kept, f);
				else
					*local = lappend(*local, f->rinfo);
			}
			else if (!lookup_ok || (def->flags & CF_FLT_PATH))
				kept = lappend(kept, f);
			else
				*local = lappend(*local, f->rinfo);
		}
		pushed = kept;
	}
	return pushed;
}

/*
 * cf_missing_required
 *		The first filter the API needs that none of the pushed filters is
 *		(a path id, a window's start, ...), or NULL.  A window's end needs
 *		its start too: the API takes both dates or neither.  So does any
 *		other condition on the window's column (window_used): without a
 *		start the API reads its default window (the usage: this month), and
 *		the condition, checked on those rows only, would silently miss the
 *		rest.
 */
const CfFilterDef *
cf_missing_required(const CfResource *res, List *pushed, bool window_used)
{
	bool		has_upper = false;
	bool		has_lower = false;
	ListCell   *lc;

	foreach(lc, pushed)
	{
		const CfFilterDef *def = &res->filters[((CfPushedFilter *) lfirst(lc))->filter];

		has_lower |= def->op == CF_OP_LOWER;
		has_upper |= def->op == CF_OP_UPPER;
	}
	for (int i = 0; i < res->nfilters; i++)
	{
		const CfFilterDef *def = &res->filters[i];
		bool		found = false;

		if (!(def->flags & CF_FLT_REQUIRED) &&
			!(def->op == CF_OP_LOWER && (has_upper || window_used)))
			continue;
		foreach(lc, pushed)
		{
			const CfFilterDef *p = &res->filters[((CfPushedFilter *) lfirst(lc))->filter];

			if (strcmp(p->column, def->column) == 0 && p->op == def->op)
				found = true;
		}
		if (!found && !(def->op == CF_OP_LOWER && has_lower))
			return def;
	}
	return NULL;
}

/* Whether a clause reads the column of relid that is the window's. */
static bool
cf_clause_reads_window(Node *clause, Index varno, Oid relid,
					   const CfResource *res)
{
	Bitmapset  *attrs = NULL;
	int			x = -1;

	pull_varattnos(clause, varno, &attrs);
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
		const CfColumnDef *col;

		if (attnum <= 0)
			continue;
		col = cf_attr_resource_column(relid, attnum, res);
		if (col && strcmp(col->name, res->window->column) == 0)
			return true;
	}
	return false;
}

/*
 * cf_window_used
 *		Whether any condition of the query reads the window's column of
 *		baserel: a restriction, a join clause, or an equivalence (a join on
 *		equal times).  See cf_missing_required.
 */
bool
cf_window_used(PlannerInfo *root, RelOptInfo *baserel, const CfResource *res)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	ListCell   *lc;

	if (res->window == NULL)
		return false;
	foreach(lc, baserel->baserestrictinfo)
		if (cf_clause_reads_window((Node *) lfirst_node(RestrictInfo, lc)->clause,
								   baserel->relid, rte->relid, res))
			return true;
	foreach(lc, baserel->joininfo)
		if (cf_clause_reads_window((Node *) lfirst_node(RestrictInfo, lc)->clause,
								   baserel->relid, rte->relid, res))
			return true;
	foreach(lc, root->eq_classes)
	{
		EquivalenceClass *ec = (EquivalenceClass *) lfirst(lc);
		ListCell   *mc;

		if (list_length(ec->ec_members) < 2)
			continue;
		foreach(mc, ec->ec_members)
		{
			EquivalenceMember *em = (EquivalenceMember *) lfirst(mc);

			if (bms_is_member(baserel->relid, em->em_relids) &&
				cf_clause_reads_window((Node *) em->em_expr, baserel->relid,
									   rte->relid, res))
				return true;
		}
	}
	return false;
}

/*
 * cf_check_filter_only_columns
 *		A filter-only column (containing_account, ...) has no value of its
 *		own: it echoes the value the API filtered on.  Any other use of it
 *		in a WHERE clause would silently return no rows or every row, so it
 *		is an error.
 */
void
cf_check_filter_only_columns(PlannerInfo *root, RelOptInfo *baserel,
							 const CfResource *res, List *pushed,
							 List *clauses)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	ListCell   *lc;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Bitmapset  *attrs = NULL;
		bool		is_pushed = false;
		ListCell   *pc;
		int			x = -1;

		pull_varattnos((Node *) rinfo->clause, baserel->relid, &attrs);
		while ((x = bms_next_member(attrs, x)) >= 0)
		{
			AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
			const CfColumnDef *col;

			if (attnum <= 0)
				continue;
			col = cf_attr_resource_column(rte->relid, attnum, res);
			if (col == NULL || !(col->flags & CF_COL_FILTER_ONLY))
				continue;

			foreach(pc, pushed)
			{
				if (((CfPushedFilter *) lfirst(pc))->rinfo == rinfo)
					is_pushed = true;
			}
			if (!is_pushed)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("column \"%s\" of foreign table \"%s\" can only be compared with = to a value",
								get_attname(rte->relid, attnum, false),
								get_rel_name(rte->relid)),
						 errdetail("It is a filter-only column: the Cloudflare API filters on it and the column echoes the value, so no other operator can be answered."),
						 errhint("Write \"%s = 'value'\"%s.",
								 get_attname(rte->relid, attnum, false),
								 pushed == NIL ? " and make sure the table's \"pushdown\" option is true" : "")));
		}
	}
}
