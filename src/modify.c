/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  INSERT, UPDATE and DELETE through the Cloudflare API: the write
 *		  callbacks of the foreign data wrapper, batch insert and COPY FROM.
 *
 * A written row becomes the JSON body of the resource's create or modify
 * call, built from the columns' JSON paths (nested objects from dotted
 * paths) and the resource's wrapper, all read from the resource table in
 * resources.c (body.c).  UPDATE and DELETE find their object through
 * row-identity columns the scan fetches (the id, plus organization_id when
 * the call's path needs it); an UPDATE or DELETE whose WHERE clause is
 * exactly that key is a direct modification instead, the modify or delete
 * call without a scan (direct.c).  Whatever the API cannot express is
 * refused at plan time, and every value the API would refuse is checked
 * before anything is sent.  The calls and their answers are writecall.c's;
 * this file holds the callbacks, their planning and their executor state.
 *
 * Cloudflare's writes are not transactional: a ROLLBACK does not undo a
 * create, and a statement that fails part way has already changed what it
 * changed.  So every write callback runs under PG_TRY, and an error raised
 * after this statement wrote something gets a DETAIL naming those objects.
 * The transport never retries a POST that may have reached the server, so
 * nothing is created twice; a write sent without a readable answer is an
 * error that says the change may have been made (cf_describe_write names
 * the object and the SELECT that checks it).  Every write empties its
 * server's pages from the response cache.
 *
 * IDENTIFICATION
 *		  src/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "page.h"
#include "convert.h"
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

/* Positions in the fdw_private list PlanForeignModify returns. */
typedef enum CfModifyPrivateIndex
{
	CfModifyPrivateResource,	/* Integer: CfResourceId */
	CfModifyPrivateRequest,		/* String: "METHOD /path template" */
	CfModifyPrivateFillResult	/* Boolean: the row must come back filled */
} CfModifyPrivateIndex;

static void cloudflareAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
											  RangeTblEntry *target_rte,
											  Relation target_relation);
static List *cloudflarePlanForeignModify(PlannerInfo *root, ModifyTable *plan,
										 Index resultRelation,
										 int subplan_index);
static void cloudflareBeginForeignModify(ModifyTableState *mtstate,
										 ResultRelInfo *rinfo,
										 List *fdw_private,
										 int subplan_index, int eflags);
static TupleTableSlot *cloudflareExecForeignInsert(EState *estate,
												   ResultRelInfo *rinfo,
												   TupleTableSlot *slot,
												   TupleTableSlot *planSlot);
static TupleTableSlot **cloudflareExecForeignBatchInsert(EState *estate,
														 ResultRelInfo *rinfo,
														 TupleTableSlot **slots,
														 TupleTableSlot **planSlots,
														 int *numSlots);
static int	cloudflareGetForeignModifyBatchSize(ResultRelInfo *rinfo);
static TupleTableSlot *cloudflareExecForeignUpdate(EState *estate,
												   ResultRelInfo *rinfo,
												   TupleTableSlot *slot,
												   TupleTableSlot *planSlot);
static TupleTableSlot *cloudflareExecForeignDelete(EState *estate,
												   ResultRelInfo *rinfo,
												   TupleTableSlot *slot,
												   TupleTableSlot *planSlot);
static void cloudflareEndForeignModify(EState *estate, ResultRelInfo *rinfo);
static void cloudflareBeginForeignInsert(ModifyTableState *mtstate,
										 ResultRelInfo *rinfo);
static void cloudflareEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
static int	cloudflareIsForeignRelUpdatable(Relation rel);
static void cloudflareExplainForeignModify(ModifyTableState *mtstate,
										   ResultRelInfo *rinfo,
										   List *fdw_private,
										   int subplan_index,
										   ExplainState *es);

/*
 * cf_modify_routines
 *		Registers the write callbacks in the handler's FdwRoutine.
 */
void
cf_modify_routines(FdwRoutine *routine)
{
	routine->AddForeignUpdateTargets = cloudflareAddForeignUpdateTargets;
	routine->PlanForeignModify = cloudflarePlanForeignModify;
	routine->BeginForeignModify = cloudflareBeginForeignModify;
	routine->ExecForeignInsert = cloudflareExecForeignInsert;
	routine->ExecForeignBatchInsert = cloudflareExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = cloudflareGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = cloudflareExecForeignUpdate;
	routine->ExecForeignDelete = cloudflareExecForeignDelete;
	routine->EndForeignModify = cloudflareEndForeignModify;
	routine->BeginForeignInsert = cloudflareBeginForeignInsert;
	routine->EndForeignInsert = cloudflareEndForeignInsert;
	routine->IsForeignRelUpdatable = cloudflareIsForeignRelUpdatable;
	routine->ExplainForeignModify = cloudflareExplainForeignModify;
	cf_direct_routines(routine);
}

/* ======================================================================
 * Planning
 * ======================================================================
 */

/*
 * cloudflareAddForeignUpdateTargets
 *		Asks the scan for the row identity the call's path needs: the id,
 *		plus organization_id for members (for profiles the organization id
 *		is the identity).  A DELETE with RETURNING also needs the whole old
 *		row, since the delete calls answer with at most the id: PostgreSQL
 *		adds the whole-row Var for UPDATE, and for DELETE only when there
 *		are row triggers, so it is added here otherwise.
 */
static void
cloudflareAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
								  RangeTblEntry *target_rte,
								  Relation target_relation)
{
	CmdType		operation = root->parse->commandType;
	const CfResource *res = cf_table_resource(RelationGetRelid(target_relation));
	CfOptions	opts;
	const char *path;
	TriggerDesc *trig = target_relation->trigdesc;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return;

	cf_get_options(RelationGetRelid(target_relation), &opts);
	cf_check_command(target_relation, res, &opts, operation);
	path = cf_command_path(res, operation);

	for (int scope = 0; scope <= 1; scope++)
	{
		AttrNumber	attnum;
		Form_pg_attribute attr;
		Var		   *var;

		if (!cf_path_takes(path, scope ? CF_PATH_SCOPE : CF_PATH_ID))
			continue;
		attnum = cf_identity_attnum(target_relation, res, scope);
		attr = TupleDescAttr(RelationGetDescr(target_relation), attnum - 1);
		var = makeVar(rtindex, attnum, attr->atttypid, attr->atttypmod,
					  attr->attcollation, 0);
		add_row_identity_var(root, var, rtindex,
							 cf_rowid_name(scope ? "organization_id" : "id",
										   attnum));
	}

	if (operation == CMD_DELETE && root->parse->returningList != NIL &&
		!(trig && (trig->trig_delete_after_row || trig->trig_delete_before_row)))
	{
		Var		   *var = makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1,
								  InvalidOid, 0);

		add_row_identity_var(root, var, rtindex, CF_WHOLEROW);
	}
}

/*
 * cf_fill_needed
 *		Whether the executor reads back the written row: for RETURNING,
 *		AFTER ROW triggers or a view's WITH CHECK OPTION.  Only then is the
 *		API's answer converted into the row.
 */
static bool
cf_fill_needed(Relation rel, CmdType operation, List *returning, List *wco)
{
	TriggerDesc *trig = rel->trigdesc;

	if (returning != NIL || wco != NIL)
		return true;
	if (trig == NULL)
		return false;
	if (operation == CMD_INSERT)
		return trig->trig_insert_after_row;
	if (operation == CMD_UPDATE)
		return trig->trig_update_after_row;
	return false;
}

/*
 * cloudflarePlanForeignModify
 *		Refuses at plan time what the API cannot do: the command, a column
 *		the call does not take, ON CONFLICT, and an UPDATE or DELETE without
 *		a WHERE clause unless allow_unfiltered_writes is set.  Stores the
 *		call for EXPLAIN.
 */
static List *
cloudflarePlanForeignModify(PlannerInfo *root, ModifyTable *plan,
							Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	const CfResource *res = cf_table_resource(rte->relid);
	CfOptions	opts;
	List	   *returning = NIL;
	List	   *wco = NIL;
	char	   *request;
	bool		fill;

	cf_get_options(rte->relid, &opts);
	cf_check_command(rel, res, &opts, operation);

	if (plan->onConflictAction != ONCONFLICT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("INSERT with ON CONFLICT is not supported on foreign table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("The Cloudflare API has no conditional create.")));

	if (operation == CMD_INSERT)
		cf_check_columns(rel, res, operation,
						 cf_planned_inserted_cols(root, rte));
	else if (operation == CMD_UPDATE)
		cf_check_columns(rel, res, operation,
						 cf_planned_updated_cols(root, rte));

	/*
	 * "No WHERE clause" is judged on the target's scan: no restriction, no
	 * join clause (a WHERE id IN (SELECT ...) becomes one), no equivalence
	 * class join and no pseudo-constant qual.  The parse tree's quals are
	 * no guide here: the planner has already moved sublinks out of them.
	 */
	if (operation != CMD_INSERT && !opts.allow_unfiltered_writes)
	{
		RelOptInfo *baserel = resultRelation < root->simple_rel_array_size
		? root->simple_rel_array[resultRelation] : NULL;

		if (baserel != NULL && baserel->baserestrictinfo == NIL &&
			baserel->joininfo == NIL && !baserel->has_eclass_joins &&
			!root->hasPseudoConstantQuals)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s on foreign table \"%s\" has no WHERE clause",
							operation == CMD_UPDATE ? "UPDATE" : "DELETE",
							RelationGetRelationName(rel)),
					 errdetail("It would %s every object of %s the credentials can see, one API call each.",
							   operation == CMD_UPDATE ? "modify" : "delete",
							   res->name),
					 errhint("Add a WHERE clause, or set the option allow_unfiltered_writes 'true' on the foreign table or its server.")));
	}

	if (plan->returningLists != NIL)
		returning = (List *) list_nth(plan->returningLists, subplan_index);
	if (plan->withCheckOptionLists != NIL)
		wco = (List *) list_nth(plan->withCheckOptionLists, subplan_index);
	fill = cf_fill_needed(rel, operation, returning, wco);

	request = psprintf("%s %s", cf_command_method(res, operation),
					   cf_command_path(res, operation));
	table_close(rel, NoLock);

	return list_make3(makeInteger(res->id), makeString(request),
					  makeBoolean(fill));
}

/*
 * cloudflareIsForeignRelUpdatable
 *		The commands the resource has a call for, none when the option
 *		"updatable" is false (information_schema reports this).
 */
static int
cloudflareIsForeignRelUpdatable(Relation rel)
{
	const CfResource *res = cf_table_resource(RelationGetRelid(rel));
	CfOptions	opts;
	int			cmds = 0;

	cf_get_options(RelationGetRelid(rel), &opts);
	if (!opts.updatable)
		return 0;
	if (res->insert_path)
		cmds |= 1 << CMD_INSERT;
	if (res->update_path)
		cmds |= 1 << CMD_UPDATE;
	if (res->delete_path)
		cmds |= 1 << CMD_DELETE;
	return cmds;
}

/* ======================================================================
 * Executor state
 * ======================================================================
 */

/*
 * cf_begin_modify
 *		The executor state of a write: the connection of the user the RTE
 *		checks as (as the scan does), the body columns and the contexts.
 */
CfModifyState *
cf_begin_modify(EState *estate, ResultRelInfo *rinfo, CmdType operation,
				bool fill)
{
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	CfModifyState *st = palloc0(sizeof(CfModifyState));
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ForeignTable *table = GetForeignTable(relid);
	Oid			userid;
	bool		isvarlena;

	st->rel = rel;
	st->res = cf_table_resource(relid);
	st->operation = operation;
	cf_get_options(relid, &st->opts);
	st->method = cf_command_method(st->res, operation);
	st->path = cf_command_path(st->res, operation);

	/*
	 * A PUT replaces the object (a profile), and a modify call takes each
	 * of its fields as required (name, status, the five profile fields):
	 * the body then carries every field it takes, none of them NULL.
	 */
	st->replace = operation == CMD_UPDATE ||
		(operation == CMD_INSERT && strcmp(st->method, "PUT") == 0);
	st->batch_size = st->res->batch_path
		? Max(1, Min(st->opts.batch_size, st->res->batch_max)) : 1;

	userid = cf_modify_user(rinfo, estate);
	st->conn = cf_get_connection(GetForeignServer(table->serverid),
								 GetUserMapping(userid, table->serverid));

	st->body = palloc0(sizeof(CfBodyColumn) * Max(tupdesc->natts, 1));
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		const CfColumnDef *col;

		if (attr->attisdropped || operation == CMD_DELETE)
			continue;
		col = cf_attr_resource_column(relid, i + 1, st->res);
		if (!cf_column_writable(st->res, col, operation))
		{
			if (operation == CMD_INSERT)
				st->forbidden = lappend_int(st->forbidden, i + 1);
			continue;
		}
		if (col->flags & CF_COL_SCOPE)
		{
			/* goes into the path, not the body */
			st->scope_attnum = i + 1;
			getTypeOutputInfo(attr->atttypid, &st->scope_typoutput, &isvarlena);
			continue;
		}
		else
		{
			CfBodyColumn *bc = &st->body[st->nbody++];

			bc->attnum = i + 1;
			bc->name = pstrdup(NameStr(attr->attname));
			bc->json_path = cf_column_json_path(relid, i + 1, st->res);
			bc->typid = attr->atttypid;
			getTypeOutputInfo(attr->atttypid, &bc->typoutput, &isvarlena);
			bc->allowed = cf_allowed_values(st->res, operation, col);
			bc->required = operation == CMD_INSERT && (col->flags & CF_COL_REQUIRED);
			if (attr->atttypid == JSONBOID || attr->atttypid == JSONOID)
				bc->embedded = cf_embedded_resource(st->res, bc->json_path);
		}
	}

	/* a field the create call requires needs a column to come from */
	for (int c = 0; operation == CMD_INSERT && c < st->res->ncolumns; c++)
	{
		const CfColumnDef *col = &st->res->columns[c];
		bool		found = false;

		if (!(col->flags & CF_COL_REQUIRED))
			continue;
		for (int b = 0; b < st->nbody; b++)
			found |= strcmp(st->body[b].json_path, col->json_path) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("foreign table \"%s\" has no column for field \"%s\", which the Cloudflare API's create call requires",
							RelationGetRelationName(rel), col->json_path),
					 errhint("Add a column \"%s\" (or one with OPTIONS (json_path '%s')).",
							 col->name, col->json_path)));
	}

	st->fill_result = fill;
	if (fill && operation != CMD_DELETE)
	{
		st->convs = palloc0(sizeof(CfColumnConv) * Max(tupdesc->natts, 1));
		for (int i = 0; i < tupdesc->natts; i++)
		{
			const CfColumnDef *col;
			char	   *path = NULL;

			if (TupleDescAttr(tupdesc, i)->attisdropped)
				continue;
			col = cf_attr_resource_column(relid, i + 1, st->res);
			if (col == NULL || !(col->flags & (CF_COL_FILTER_ONLY | CF_COL_SCOPE)))
				path = cf_column_json_path(relid, i + 1, st->res);
			cf_conv_init(&st->convs[i], rel, i + 1, path);
			cf_conv_set_doc_type(&st->convs[i], cf_resource_field_type(st->res, path));
			if (col != NULL)
				st->convs[i].filter_only = col->flags & (CF_COL_FILTER_ONLY | CF_COL_SCOPE);
		}
		cf_read_paths(st, tupdesc->natts);
	}

	st->state_cxt = estate->es_query_cxt;
	st->temp_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "cloudflare_fdw modify",
										 ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * cf_find_junk
 *		The position of a row-identity column in the subplan's output.
 */
static AttrNumber
cf_find_junk(ModifyTableState *mtstate, const char *name)
{
	Plan	   *subplan = outerPlanState(mtstate)->plan;
	AttrNumber	attno = ExecFindJunkAttributeInTlist(subplan->targetlist, name);

	if (!AttributeNumberIsValid(attno))
		elog(ERROR, "could not find junk column \"%s\"", name);
	return attno;
}

/*
 * cloudflareBeginForeignModify
 *		Prepares the write of an INSERT, UPDATE or DELETE.  Nothing is sent
 *		here, and nothing at all under plain EXPLAIN.
 */
static void
cloudflareBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index, int eflags)
{
	EState	   *estate = mtstate->ps.state;
	CmdType		operation = mtstate->operation;
	CfModifyState *st;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	st = cf_begin_modify(estate, rinfo, operation,
						 boolVal(list_nth(fdw_private, CfModifyPrivateFillResult)));

	if (operation == CMD_UPDATE || operation == CMD_DELETE)
	{
		Relation	rel = rinfo->ri_RelationDesc;
		bool		isvarlena;

		if (cf_path_takes(st->path, CF_PATH_ID))
		{
			AttrNumber	attnum = cf_identity_attnum(rel, st->res, false);

			st->id_junk = cf_find_junk(mtstate, cf_rowid_name("id", attnum));
			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
							  &st->id_typoutput, &isvarlena);
		}
		if (cf_path_takes(st->path, CF_PATH_SCOPE))
		{
			AttrNumber	attnum = cf_identity_attnum(rel, st->res, true);

			st->scope_junk = cf_find_junk(mtstate,
										  cf_rowid_name("organization_id", attnum));
			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
							  &st->scope_typoutput, &isvarlena);
		}
		if (operation == CMD_DELETE && st->fill_result)
			st->wholerow_junk = cf_find_junk(mtstate, CF_WHOLEROW);
	}

	rinfo->ri_FdwState = st;
}

/*
 * cloudflareBeginForeignInsert
 *		Prepares COPY FROM into the table, or rows routed into it as a
 *		partition.  COPY has no planning step, so the checks of
 *		PlanForeignModify are made here; routed rows are checked one by one
 *		(cf_insert_scope).
 */
static void
cloudflareBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	EState	   *estate = mtstate->ps.state;
	Relation	rel = rinfo->ri_RelationDesc;
	const CfResource *res = cf_table_resource(RelationGetRelid(rel));
	CfOptions	opts;
	bool		fill;

	cf_get_options(RelationGetRelid(rel), &opts);
	cf_check_command(rel, res, &opts, CMD_INSERT);

	/* COPY (a result relation with no plan): its column list */
	if (rinfo->ri_RangeTableIndex != 0 && mtstate->ps.plan == NULL)
		cf_check_columns(rel, res, CMD_INSERT,
						 ExecGetInsertedCols(rinfo, estate));

	fill = cf_fill_needed(rel, CMD_INSERT, rinfo->ri_returningList,
						  rinfo->ri_WithCheckOptions);
	rinfo->ri_FdwState = cf_begin_modify(estate, rinfo, CMD_INSERT, fill);
}

static void
cloudflareEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;

	if (st == NULL)
		return;
	MemoryContextReset(st->temp_cxt);
}

static void
cloudflareEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	cloudflareEndForeignModify(estate, rinfo);
}

/*
 * cloudflareGetForeignModifyBatchSize
 *		Rows per batch create call: the batch_size option, at most what the
 *		API takes (10 members), 1 for a resource without a batch call.  As
 *		postgres_fdw does, no batching when each row must come back filled
 *		(RETURNING, check options) or when row triggers fire per row.
 *		Under plain EXPLAIN there is no state: the options are read again.
 */
static int
cloudflareGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;
	TriggerDesc *trig = rinfo->ri_TrigDesc;

	if (rinfo->ri_projectReturning != NULL ||
		rinfo->ri_WithCheckOptions != NIL ||
		(trig && (trig->trig_insert_before_row || trig->trig_insert_after_row)))
		return 1;

	if (st == NULL)
	{
		Oid			relid = RelationGetRelid(rinfo->ri_RelationDesc);
		const CfResource *res = cf_table_resource(relid);
		CfOptions	opts;

		if (res->batch_path == NULL)
			return 1;
		cf_get_options(relid, &opts);
		return Max(1, Min(opts.batch_size, res->batch_max));
	}
	return st->batch_size;
}

/*
 * cloudflareExplainForeignModify
 *		The call a write makes, without host or credentials; under ANALYZE
 *		the number of calls made.
 */
static void
cloudflareExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							   List *fdw_private, int subplan_index,
							   ExplainState *es)
{
	const CfResource *res =
		cf_resource_by_id(intVal(list_nth(fdw_private, CfModifyPrivateResource)));
	const char *request = strVal(list_nth(fdw_private, CfModifyPrivateRequest));
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;

	if (mtstate->operation == CMD_INSERT && rinfo->ri_BatchSize > 1 &&
		res->batch_path != NULL)
	{
		ExplainPropertyText("Cloudflare API",
							psprintf("%s %s", CF_BATCH_METHOD, res->batch_path),
							es);
		/* a group of one row goes through the single create call */
		ExplainPropertyText("Cloudflare API (one row)", request, es);
	}
	else
		ExplainPropertyText("Cloudflare API", request, es);

	if (mtstate->operation == CMD_INSERT && rinfo->ri_BatchSize > 0)
		ExplainPropertyInteger("Batch Size", NULL, rinfo->ri_BatchSize, es);

	if (es->analyze && st != NULL)
		ExplainPropertyInteger("Cloudflare Requests", NULL, st->requests, es);
}

/* ======================================================================
 * Execution
 * ======================================================================
 */

/*
 * cf_create_one
 *		The single create call for one row; fills the slot from the answer
 *		when the row must come back.  A create call that answers without a
 *		body (a profile's PUT: 204) leaves the slot as sent.
 */
static void
cf_create_one(CfModifyState *st, TupleTableSlot *slot, char *scope, char *item)
{
	const CfResource *res = st->res;
	CfRequest  *req;
	CfSpan		result;
	bool		has_result;
	CfWriteTarget target;

	target.slots = &slot;
	target.nslots = 1;
	target.scope = scope;
	target.id = NULL;
	req = cf_send(st, res->insert_method,
				  cf_fill_path(res->insert_path, scope, NULL),
				  cf_wrap(res->insert_wrapper, item), false, &target);
	has_result = cf_result(req, '{', &result);
	cf_record_done(st, cf_result_identity(req, has_result ? &result : NULL,
										  scope));
	if (st->fill_result && has_result)
		cf_store_result(st, slot, req, result, scope);
}

/*
 * cloudflareExecForeignInsert
 *		One row: the create call (or a profile's PUT), without batching
 *		(RETURNING, triggers, COPY FROM, batch_size 1, organizations).
 */
static TupleTableSlot *
cloudflareExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
							TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;
	MemoryContext old = MemoryContextSwitchTo(st->temp_cxt);

	PG_TRY();
	{
		char	   *scope = cf_insert_scope(st, slot);
		char	   *item = cf_json_take_text(cf_row_json(st, slot));

		cf_create_one(st, slot, scope, item);
	}
	PG_CATCH();
	{
		cf_rethrow_with_writes(st);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old);
	MemoryContextReset(st->temp_cxt);
	return slot;
}

/*
 * cloudflareExecForeignBatchInsert
 *		Up to batch_size rows: grouped by the organization of their path,
 *		one batch create call per group ({"members": [...]}) in the order
 *		the groups first appear, the single create call for a group of one
 *		row.  Every row of the batch is checked before the first call.  The
 *		rows do not come back filled (PostgreSQL batches only when nothing
 *		reads them).
 */
static TupleTableSlot **
cloudflareExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
								 TupleTableSlot **slots,
								 TupleTableSlot **planSlots, int *numSlots)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;
	const CfResource *res = st->res;
	MemoryContext old = MemoryContextSwitchTo(st->temp_cxt);
	int			n = *numSlots;

	PG_TRY();
	{
		char	  **scopes = palloc0(sizeof(char *) * n);
		char	  **items = palloc0(sizeof(char *) * n);
		bool	   *sent = palloc0(sizeof(bool) * n);

		for (int i = 0; i < n; i++)
		{
			scopes[i] = cf_insert_scope(st, slots[i]);
			items[i] = cf_json_take_text(cf_row_json(st, slots[i]));
		}

		for (int i = 0; i < n; i++)
		{
			StringInfoData body;
			int			count = 0;
			int			only = i;
			CfRequest  *req;
			CfSpan		result;
			CfWriteTarget target;
			TupleTableSlot **group = palloc(sizeof(TupleTableSlot *) * n);

			if (sent[i])
				continue;

			initStringInfo(&body);
			if (res->batch_wrapper != NULL)
				appendStringInfo(&body, "{\"%s\":", res->batch_wrapper);
			appendStringInfoChar(&body, '[');
			for (int j = i; j < n; j++)
			{
				if (sent[j] ||
					(scopes[i] != NULL) != (scopes[j] != NULL) ||
					(scopes[i] != NULL && strcmp(scopes[i], scopes[j]) != 0))
					continue;
				appendStringInfo(&body, "%s%s", count ? "," : "", items[j]);
				sent[j] = true;
				only = j;
				group[count] = slots[j];
				count++;
			}
			appendStringInfoChar(&body, ']');
			if (res->batch_wrapper != NULL)
				appendStringInfoChar(&body, '}');

			if (count == 1)
			{
				cf_create_one(st, slots[only], scopes[only], items[only]);
				continue;
			}

			target.slots = group;
			target.nslots = count;
			target.scope = scopes[i];
			target.id = NULL;
			req = cf_send(st, CF_BATCH_METHOD,
						  cf_fill_path(res->batch_path, scopes[i], NULL),
						  body.data, false, &target);
			if (cf_result(req, '[', &result) && req->page->nitems == count)
			{
				for (int k = 0; k < count; k++)
					cf_record_done(st, cf_result_identity(req, &req->page->items[k],
														  NULL));
			}
			else
			{
				/* an answer without the list: count the rows, no ids */
				for (int k = 0; k < count; k++)
					cf_record_done(st, NULL);
			}
		}
	}
	PG_CATCH();
	{
		cf_rethrow_with_writes(st);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old);
	MemoryContextReset(st->temp_cxt);
	return slots;
}

/*
 * cloudflareExecForeignUpdate
 *		The modify call with every field it takes, from the new row (the
 *		unchanged ones as scanned).  An object gone since the scan (404)
 *		counts as zero rows, as for DELETE.
 */
static TupleTableSlot *
cloudflareExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
							TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;
	MemoryContext old = MemoryContextSwitchTo(st->temp_cxt);
	TupleTableSlot *volatile ret = slot;

	PG_TRY();
	{
		char	   *id = cf_junk_text(st, planSlot, st->id_junk, st->id_typoutput);
		char	   *scope = cf_junk_text(st, planSlot, st->scope_junk,
										 st->scope_typoutput);
		char	   *body = cf_json_take_text(cf_row_json(st, slot));
		CfRequest  *req;
		CfWriteTarget target = {NULL, 0, scope, id};

		req = cf_send(st, st->method, cf_fill_path(st->path, scope, id), body,
					  true, &target);
		if (req->status == 404)
			ret = NULL;
		else
		{
			CfSpan		result;

			cf_record_done(st, id ? id : scope);
			if (st->fill_result && cf_result(req, '{', &result))
				cf_store_result(st, slot, req, result, scope);
		}
	}
	PG_CATCH();
	{
		cf_rethrow_with_writes(st);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old);
	MemoryContextReset(st->temp_cxt);
	return ret;
}

/*
 * cloudflareExecForeignDelete
 *		The delete call for the scanned row.  RETURNING gets the row as the
 *		scan read it (the delete calls answer with at most the id).
 *
 *		A target already gone (404) counts as zero rows, not an error: a
 *		DELETE means "make it not exist", another session may have deleted
 *		it since the scan, and a retried DELETE whose first attempt did the
 *		work also answers 404.  Other refusals (409, a non-empty
 *		organization) are errors.
 */
static TupleTableSlot *
cloudflareExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
							TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	CfModifyState *st = (CfModifyState *) rinfo->ri_FdwState;
	MemoryContext old = MemoryContextSwitchTo(st->temp_cxt);
	TupleTableSlot *volatile ret = slot;

	PG_TRY();
	{
		char	   *id = cf_junk_text(st, planSlot, st->id_junk, st->id_typoutput);
		char	   *scope = cf_junk_text(st, planSlot, st->scope_junk,
										 st->scope_typoutput);
		CfRequest  *req;
		CfWriteTarget target = {NULL, 0, scope, id};

		req = cf_send(st, st->method, cf_fill_path(st->path, scope, id), NULL,
					  true, &target);
		if (req->status == 404)
			ret = NULL;
		else
		{
			cf_record_done(st, id ? id : scope);
			if (st->wholerow_junk != InvalidAttrNumber)
				cf_store_old_row(st, slot, planSlot);
		}
	}
	PG_CATCH();
	{
		cf_rethrow_with_writes(st);
	}
	PG_END_TRY();

	MemoryContextSwitchTo(old);
	MemoryContextReset(st->temp_cxt);
	return ret;
}
