/*-------------------------------------------------------------------------
 *
 * direct.c
 *		  Direct UPDATE and DELETE: the call without reading the row first.
 *
 * An UPDATE or DELETE whose WHERE clause is exactly the row identity (the
 * id, and organization_id when the call's path needs it) is planned as a
 * direct modification: the ForeignScan becomes a Foreign Update or Foreign
 * Delete that sends the modify or delete call with the key's values and,
 * for an UPDATE that sets every field the call takes without the row, the
 * new values; RETURNING is read from the call's answer.  No scan.  Split
 * from modify.c, whose write state and calls it shares (modify.h).
 *
 * IDENTIFICATION
 *		  src/direct.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "page.h"
#include "pushdown.h"
#include "request.h"
#include "compat.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "modify.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static bool cloudflarePlanDirectModify(PlannerInfo *root, ModifyTable *plan,
									   Index resultRelation, int subplan_index);
static void cloudflareBeginDirectModify(ForeignScanState *node, int eflags);
static TupleTableSlot *cloudflareIterateDirectModify(ForeignScanState *node);
static void cloudflareEndDirectModify(ForeignScanState *node);
static void cloudflareExplainDirectModify(ForeignScanState *node,
										  ExplainState *es);

/* fdw_private of a direct modification's ForeignScan. */
enum CfDirectPrivateIndex
{
	CfDirectPrivateResource,	/* Integer: CfResourceId */
	CfDirectPrivateIdExpr,		/* Integer: index in fdw_exprs, or -1 */
	CfDirectPrivateScopeExpr,	/* Integer: index in fdw_exprs, or -1 */
	CfDirectPrivateSetAttrs,	/* IntList: the UPDATE's columns, whose new
								 * values follow the key in fdw_exprs */
	CfDirectPrivateReturning	/* Boolean: RETURNING, from the API's answer */
};

/* Executor state of a direct modification (ForeignScanState.fdw_state). */
typedef struct CfDirectState
{
	CfModifyState *st;			/* the write's state, as for a row's write */
	List	   *value_states;	/* ExprStates of fdw_exprs */
	int			id_expr;
	int			scope_expr;
	List	   *set_attrs;		/* UPDATE: attnums of the new values */
	TupleTableSlot *new_row;	/* UPDATE: those values in a row */
	bool		returning;
	bool		done;
	int64		written;
} CfDirectState;

/*
 * cf_direct_routines
 *		Registers the direct modification callbacks (cf_modify_routines).
 */
void
cf_direct_routines(FdwRoutine *routine)
{
	routine->PlanDirectModify = cloudflarePlanDirectModify;
	routine->BeginDirectModify = cloudflareBeginDirectModify;
	routine->IterateDirectModify = cloudflareIterateDirectModify;
	routine->EndDirectModify = cloudflareEndDirectModify;
	routine->ExplainDirectModify = cloudflareExplainDirectModify;
}

/*
 * cf_direct_value
 *		If clause is "column = value" on the scan's relation, with value a
 *		constant (not NULL) or a query parameter, the column's attnum and
 *		the value; else InvalidAttrNumber.
 */
static AttrNumber
cf_direct_value(Expr *clause, Index scanrelid, Expr **value)
{
	OpExpr	   *op;
	Node	   *left;
	Node	   *right;

	if (!IsA(clause, OpExpr))
		return InvalidAttrNumber;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2 || get_opcode(op->opno) != F_TEXTEQ)
		return InvalidAttrNumber;
	left = strip_implicit_coercions(linitial(op->args));
	right = strip_implicit_coercions(lsecond(op->args));
	if (!IsA(left, Var))
	{
		Node	   *tmp = left;

		left = right;
		right = tmp;
	}
	if (!IsA(left, Var) || ((Var *) left)->varno != scanrelid ||
		((Var *) left)->varlevelsup != 0)
		return InvalidAttrNumber;
	if (!((IsA(right, Const) && !((Const *) right)->constisnull) ||
		  (IsA(right, Param) && ((Param *) right)->paramkind == PARAM_EXTERN)))
		return InvalidAttrNumber;
	*value = (Expr *) right;
	return ((Var *) left)->varattno;
}

/* Whether node holds a parameter other than a query's ($1). */
static bool
cf_has_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return ((Param *) node)->paramkind != PARAM_EXTERN;
	return expression_tree_walker(node, cf_has_exec_param, context);
}

/*
 * cf_direct_set_values
 *		The new values of a direct UPDATE, in the order of *attrs: each
 *		computed without the row (no column, subquery or volatile function),
 *		and together every field the modify call takes, since a field left
 *		out would need the row's value.  NIL with *ok false when the UPDATE
 *		needs its rows.
 */
static List *
cf_direct_set_values(PlannerInfo *root, Index resultRelation, Relation rel,
					 const CfResource *res, List **attrs, bool *ok)
{
	List	   *tlist;
	List	   *colnos;
	List	   *values = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	TupleDesc	desc = RelationGetDescr(rel);

	*ok = false;
	*attrs = NIL;
	get_translated_update_targetlist(root, resultRelation, &tlist, &colnos);
	forboth(lc, tlist, lc2, colnos)
	{
		Expr	   *e = lfirst_node(TargetEntry, lc)->expr;

		if (contain_var_clause((Node *) e) ||
			contain_volatile_functions((Node *) e) ||
			contain_subplans((Node *) e) ||
			cf_has_exec_param((Node *) e, NULL))
			return NIL;
		values = lappend(values, e);
		*attrs = lappend_int(*attrs, lfirst_int(lc2));
	}
	for (int i = 0; i < desc->natts; i++)
	{
		const CfColumnDef *col;

		if (TupleDescAttr(desc, i)->attisdropped)
			continue;
		col = cf_attr_resource_column(RelationGetRelid(rel), i + 1, res);
		if (cf_column_writable(res, col, CMD_UPDATE) &&
			!(col->flags & CF_COL_SCOPE) && !list_member_int(*attrs, i + 1))
			return NIL;
	}
	*ok = true;
	return values;
}

/*
 * cloudflarePlanDirectModify
 *		An UPDATE or DELETE whose WHERE clause is exactly the object's key,
 *		"id = value" (and "organization_id = value" where the call's path
 *		needs it; a profile's key is its organization), with constants or
 *		query parameters, goes straight to the modify or delete call: the
 *		row is not fetched first.  An UPDATE must set every field the call
 *		takes from values known without the row, and its RETURNING is read
 *		from the call's answer, so a call that answers without the object
 *		(a profile's 204) keeps the scan for RETURNING, as DELETE ...
 *		RETURNING does (the delete calls answer with at most the id).
 *		Anything else (another clause, row triggers, a view's CHECK OPTION,
 *		a join) keeps the usual path, where the scan finds the rows.
 */
static bool
cloudflarePlanDirectModify(PlannerInfo *root, ModifyTable *plan,
						   Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Plan	   *subplan = outerPlan(plan);
	ForeignScan *fscan;
	const CfResource *res;
	const char *path;
	bool		need_id;
	bool		need_scope;
	bool		returning = plan->returningLists != NIL;
	Expr	   *id_value = NULL;
	Expr	   *scope_value = NULL;
	List	   *set_values = NIL;
	List	   *set_attrs = NIL;
	List	   *exprs = NIL;
	ListCell   *lc;
	Relation	rel;
	CfOptions	opts;
	TriggerDesc *trig;
	bool		ok = true;

	if ((operation != CMD_DELETE && operation != CMD_UPDATE) ||
		subplan == NULL || !IsA(subplan, ForeignScan) ||
		plan->withCheckOptionLists != NIL)
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation || fscan->scan.plan.qual == NIL)
		return false;

	res = cf_table_resource(rte->relid);
	path = cf_command_path(res, operation);
	if (path == NULL)
		return false;			/* PlanForeignModify says what is refused */
	if (returning && (operation == CMD_DELETE || !res->update_answers_row))
		return false;
	need_id = cf_path_takes(path, CF_PATH_ID);
	need_scope = cf_path_takes(path, CF_PATH_SCOPE);

	foreach(lc, fscan->scan.plan.qual)
	{
		Expr	   *value;
		AttrNumber	attnum = cf_direct_value(lfirst(lc), fscan->scan.scanrelid,
											 &value);
		const CfColumnDef *col;

		if (attnum <= 0)
			return false;
		col = cf_attr_resource_column(rte->relid, attnum, res);
		if (col == NULL)
			return false;
		if ((col->flags & CF_COL_SCOPE) && scope_value == NULL && need_scope)
			scope_value = value;
		else if ((col->flags & CF_COL_ID) && !(col->flags & CF_COL_SCOPE) &&
				 id_value == NULL && need_id)
			id_value = value;
		else
			return false;
	}
	if ((need_id && id_value == NULL) || (need_scope && scope_value == NULL))
		return false;

	/* the checks PlanForeignModify would have made, and row triggers */
	rel = table_open(rte->relid, NoLock);
	cf_get_options(rte->relid, &opts);
	cf_check_command(rel, res, &opts, operation);
	trig = rel->trigdesc;
	if (trig && (operation == CMD_UPDATE
				 ? (trig->trig_update_before_row || trig->trig_update_after_row)
				 : (trig->trig_delete_before_row || trig->trig_delete_after_row)))
		ok = false;
	if (ok && operation == CMD_UPDATE)
	{
		cf_check_columns(rel, res, operation, cf_planned_updated_cols(root, rte));
		set_values = cf_direct_set_values(root, resultRelation, rel, res,
										  &set_attrs, &ok);
	}
	table_close(rel, NoLock);
	if (!ok)
		return false;

	if (id_value)
		exprs = lappend(exprs, id_value);
	if (scope_value)
		exprs = lappend(exprs, scope_value);
	fscan->operation = operation;
	fscan->resultRelation = resultRelation;
	fscan->scan.plan.qual = NIL;
	fscan->fdw_exprs = list_concat(exprs, set_values);
	fscan->fdw_private = list_make5(makeInteger(res->id),
									makeInteger(id_value ? 0 : -1),
									makeInteger(scope_value ? (id_value ? 1 : 0) : -1),
									set_attrs,
									makeBoolean(returning));
	return true;
}

/*
 * cloudflareBeginDirectModify
 *		The write's state, as a row's UPDATE or DELETE has it; nothing is
 *		sent here.
 */
static void
cloudflareBeginDirectModify(ForeignScanState *node, int eflags)
{
	ForeignScan *fscan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	CfDirectState *ds;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	ds = palloc0(sizeof(CfDirectState));
	ds->returning = boolVal(list_nth(fscan->fdw_private, CfDirectPrivateReturning));
	ds->st = cf_begin_modify(estate, node->resultRelInfo, fscan->operation,
							 ds->returning);
	ds->value_states = ExecInitExprList(fscan->fdw_exprs, (PlanState *) node);
	ds->id_expr = intVal(list_nth(fscan->fdw_private, CfDirectPrivateIdExpr));
	ds->scope_expr = intVal(list_nth(fscan->fdw_private, CfDirectPrivateScopeExpr));
	ds->set_attrs = list_nth(fscan->fdw_private, CfDirectPrivateSetAttrs);
	if (fscan->operation == CMD_UPDATE)
		ds->new_row = ExecInitExtraTupleSlot(estate,
											 RelationGetDescr(ds->st->rel),
											 &TTSOpsVirtual);
	node->fdw_state = ds;
}

/* The value of one fdw_exprs entry as text, or NULL. */
static char *
cf_direct_text(ForeignScanState *node, CfDirectState *ds, int index)
{
	ForeignScan *fscan = (ForeignScan *) node->ss.ps.plan;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	ExprState  *state;
	Datum		value;
	bool		isnull;
	Oid			typoutput;
	bool		varlena;

	if (index < 0)
		return NULL;
	state = list_nth(ds->value_states, index);
	value = ExecEvalExpr(state, econtext, &isnull);
	if (isnull)
		return NULL;
	getTypeOutputInfo(exprType(list_nth(fscan->fdw_exprs, index)),
					  &typoutput, &varlena);
	return cf_value_text(value, typoutput);
}

/* Whether a key value can name an object at all (as the scan judges it). */
static bool
cf_direct_value_can_match(const CfResource *res, const char *column,
						  const char *value)
{
	for (int i = 0; i < res->nfilters; i++)
	{
		const CfFilterDef *def = &res->filters[i];
		List	   *kept;
		char	   *why;

		if (def->op == CF_OP_EQ && strcmp(def->column, column) == 0 &&
			(def->flags & (CF_FLT_LOOKUP | CF_FLT_PATH)))
			return cf_judge_values(res, def, list_make1(pstrdup(value)),
								   &kept, &why) == CF_VALUE_SEND;
	}
	return value[0] != '\0';
}

/*
 * cf_direct_new_row
 *		A direct UPDATE's new values in a row of the table (the other
 *		columns NULL), as cf_row_json reads a row's.
 */
static TupleTableSlot *
cf_direct_new_row(ForeignScanState *node, CfDirectState *ds)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleTableSlot *slot = ds->new_row;
	ListCell   *lc;
	int			first = (ds->id_expr >= 0) + (ds->scope_expr >= 0);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	foreach(lc, ds->set_attrs)
	{
		int			att = lfirst_int(lc) - 1;
		ExprState  *state = list_nth(ds->value_states,
								 first + foreach_current_index(lc));

		slot->tts_values[att] = ExecEvalExpr(state, econtext,
											 &slot->tts_isnull[att]);
	}
	return ExecStoreVirtualTuple(slot);
}

/*
 * cloudflareIterateDirectModify
 *		Sends the modify or delete call once.  A 404 (already gone, or never
 *		there) is zero rows, as for a row's write; a key that cannot name an
 *		object (empty, "." or "..", too long) is zero rows without a request.
 *		An UPDATE's RETURNING row is the call's answer.
 */
static TupleTableSlot *
cloudflareIterateDirectModify(ForeignScanState *node)
{
	CfDirectState *ds = (CfDirectState *) node->fdw_state;
	CfModifyState *st = ds->st;
	volatile bool returned = false;
	MemoryContext old;

	ExecClearTuple(node->ss.ss_ScanTupleSlot);
	if (ds->done)
		return node->ss.ss_ScanTupleSlot;
	ds->done = true;

	old = MemoryContextSwitchTo(st->temp_cxt);
	PG_TRY();
	{
		char	   *id = cf_direct_text(node, ds, ds->id_expr);
		char	   *scope = cf_direct_text(node, ds, ds->scope_expr);

		if ((ds->id_expr < 0 ||
			 (id != NULL && cf_direct_value_can_match(st->res, "id", id))) &&
			(ds->scope_expr < 0 ||
			 (scope != NULL &&
			  cf_direct_value_can_match(st->res, "organization_id", scope))))
		{
			CfWriteTarget target = {NULL, 0, scope, id};
			char	   *body = NULL;
			CfRequest  *req;

			if (st->operation == CMD_UPDATE)
				body = cf_json_take_text(cf_row_json(st, cf_direct_new_row(node, ds)));
			req = cf_send(st, st->method, cf_fill_path(st->path, scope, id),
						  body, true, &target);
			if (req->status != 404)
			{
				cf_record_done(st, id ? id : scope);
				ds->written++;
				if (ds->returning)
				{
					CfSpan		result;

					if (!cf_result(req, '{', &result))
						ereport(ERROR,
								(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
								 errmsg("Cloudflare API answered %s %s without the object",
										st->method, req->path),
								 errdetail("The change was made; RETURNING has no row to show.")));
					cf_store_result(st, node->ss.ss_ScanTupleSlot, req, result,
									scope);
					returned = true;
				}
			}
		}
	}
	PG_CATCH();
	{
		cf_rethrow_with_writes(st);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->temp_cxt);	/* the answer's row is the slot's copy */

	node->ss.ps.state->es_processed += ds->written;
	if (returned)
	{
		/* the row RETURNING projects (ExecProcessReturning reads it there) */
		node->resultRelInfo->ri_projectReturning->pi_exprContext->ecxt_scantuple =
			node->ss.ss_ScanTupleSlot;
		return node->ss.ss_ScanTupleSlot;
	}
	return ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

static void
cloudflareEndDirectModify(ForeignScanState *node)
{
	/* the connection is the backend's; the contexts are the query's */
}

/*
 * cloudflareExplainDirectModify
 *		The modify or delete call, with its key when it is a constant; under
 *		ANALYZE the calls made.
 */
static void
cloudflareExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *fscan = (ForeignScan *) node->ss.ps.plan;
	const CfResource *res =
		cf_resource_by_id(intVal(list_nth(fscan->fdw_private, CfDirectPrivateResource)));
	int			id_expr = intVal(list_nth(fscan->fdw_private, CfDirectPrivateIdExpr));
	int			scope_expr = intVal(list_nth(fscan->fdw_private, CfDirectPrivateScopeExpr));
	char	   *values[2] = {NULL, NULL};
	int			idx[2] = {id_expr, scope_expr};
	const char *columns[2] = {"id", "organization_id"};
	CfDirectState *ds = (CfDirectState *) node->fdw_state;
	char	   *no_request = NULL;

	for (int i = 0; i < 2; i++)
	{
		Expr	   *e;

		if (idx[i] < 0)
			continue;
		e = list_nth(fscan->fdw_exprs, idx[i]);
		if (IsA(e, Const))
		{
			Oid			typoutput;
			bool		varlena;
			char	   *text;

			getTypeOutputInfo(((Const *) e)->consttype, &typoutput, &varlena);
			text = cf_value_text(((Const *) e)->constvalue, typoutput);
			if (!cf_direct_value_can_match(res, columns[i], text))
				no_request = psprintf("no request: %s '%s' names no object",
									  columns[i], text);
			values[i] = cf_url_escape(text);
		}
		else
			values[i] = psprintf("$%d", ((Param *) e)->paramid);
	}
	ExplainPropertyText("Cloudflare API",
						no_request ? no_request :
						psprintf("%s %s", cf_command_method(res, fscan->operation),
								 cf_fill_path_label(cf_command_path(res, fscan->operation),
													values[1], values[0])),
						es);
	ExplainPropertyText("Cloudflare Direct",
						fscan->operation == CMD_UPDATE
						? "the modify call, without reading the row first"
						: "the delete call, without reading the row first", es);
	if (es->analyze && ds != NULL)
		ExplainPropertyInteger("Cloudflare Requests", NULL, ds->st->requests, es);
}
