/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  INSERT, UPDATE and DELETE through the Cloudflare API: the write
 *		  callbacks of the foreign data wrapper, batch insert and COPY FROM.
 *
 * A written row becomes the JSON body of the resource's create or modify
 * call, built from the columns' JSON paths (nested objects from dotted
 * paths) and the resource's wrapper, all read from the resource table in
 * resources.c.  UPDATE and DELETE find their object through row-identity
 * columns the scan fetches (the id, plus organization_id when the call's
 * path needs it); an UPDATE or DELETE whose WHERE clause is exactly that
 * key is a direct modification instead, the modify or delete call without
 * a scan (at the end of this file).  Whatever the API cannot express is refused at plan time,
 * and every value the API would refuse is checked before anything is sent.
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
#include "compat.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* See convert.c: PostgreSQL's SQL function json_object() vs json-c's type. */
#define json_object cf_pg_sql_json_object
#include "utils/builtins.h"
#undef json_object

#include <json-c/json.h>

/* Positions in the fdw_private list PlanForeignModify returns. */
typedef enum CfModifyPrivateIndex
{
	CfModifyPrivateResource,	/* Integer: CfResourceId */
	CfModifyPrivateRequest,		/* String: "METHOD /path template" */
	CfModifyPrivateFillResult	/* Boolean: the row must come back filled */
} CfModifyPrivateIndex;

/* The batch create call (members:batchCreate) is a POST. */
#define CF_BATCH_METHOD "POST"

/* How many ids of the objects a statement wrote an error lists. */
#define CF_DONE_IDS_MAX 50

/* Name of the whole-row junk column PostgreSQL uses for foreign tables. */
#define CF_WHOLEROW "wholerow"

/* One column that goes into a request body. */
typedef struct CfBodyColumn
{
	AttrNumber	attnum;
	char	   *name;			/* SQL column name, for errors */
	char	   *json_path;		/* dotted path in the body */
	Oid			typid;
	Oid			typoutput;
	const char *const *allowed; /* values the call takes, or NULL: any */
	const CfResource *embedded; /* the jsonb holds this resource's object */
	bool		required;		/* the create call requires it */
} CfBodyColumn;

/*
 * The object a write call is about: the rows it creates (slots), or the
 * organization (scope) and id of the object it modifies or deletes.
 */
typedef struct CfWriteTarget
{
	TupleTableSlot **slots;
	int			nslots;
	const char *scope;
	const char *id;
} CfWriteTarget;

/* Executor state of a foreign table being written (ri_FdwState). */
typedef struct CfModifyState
{
	Relation	rel;
	const CfResource *res;
	CmdType		operation;
	CfOptions	opts;
	CfConnection *conn;

	/* the call */
	const char *method;
	const char *path;			/* template with {organization_id}, {id} */
	bool		replace;		/* the body replaces: every field required */
	int			batch_size;

	/* body columns, and (INSERT) columns that must stay NULL */
	CfBodyColumn *body;
	int			nbody;
	List	   *forbidden;		/* IntList of attnums */
	AttrNumber	scope_attnum;	/* INSERT: column giving {organization_id} */
	Oid			scope_typoutput;

	/* UPDATE/DELETE: row identity in the subplan's output */
	AttrNumber	id_junk;
	Oid			id_typoutput;
	AttrNumber	scope_junk;
	AttrNumber	wholerow_junk;	/* DELETE ... RETURNING: the scanned row */

	/* the row handed back (RETURNING, AFTER ROW triggers, check options) */
	bool		fill_result;
	CfColumnConv *convs;		/* one per attribute; attnum 0 if dropped */
	CfColumnConv *read_convs;	/* copies of those read from the answer */
	CfPathNode *read_paths;		/* ... their JSON paths, as page.c walks them */
	CfColumnConv *current_conv; /* for the error context */

	/* what this statement wrote, for the DETAIL of a later error */
	int64		ndone;
	List	   *done_ids;		/* the first CF_DONE_IDS_MAX, in state_cxt */

	int64		requests;
	CfStats		stats;

	MemoryContext state_cxt;	/* lives as long as the statement */
	MemoryContext temp_cxt;		/* one row (or one batch); reset after it */
} CfModifyState;

struct CfModifyState;
static void cf_describe_write(struct CfModifyState *st, CfRequest *req,
							  CfWriteTarget *target);
static void cf_read_paths(struct CfModifyState *st, int natts);
static void cf_rethrow_unknown(struct CfModifyState *st, CfRequest *req);
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

static bool cloudflarePlanDirectModify(PlannerInfo *root, ModifyTable *plan,
									   Index resultRelation, int subplan_index);
static void cloudflareBeginDirectModify(ForeignScanState *node, int eflags);
static TupleTableSlot *cloudflareIterateDirectModify(ForeignScanState *node);
static void cloudflareEndDirectModify(ForeignScanState *node);
static void cloudflareExplainDirectModify(ForeignScanState *node,
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
	routine->PlanDirectModify = cloudflarePlanDirectModify;
	routine->BeginDirectModify = cloudflareBeginDirectModify;
	routine->IterateDirectModify = cloudflareIterateDirectModify;
	routine->EndDirectModify = cloudflareEndDirectModify;
	routine->ExplainDirectModify = cloudflareExplainDirectModify;
	routine->IsForeignRelUpdatable = cloudflareIsForeignRelUpdatable;
	routine->ExplainForeignModify = cloudflareExplainForeignModify;
}

/* ======================================================================
 * What the API can do: checks shared by planning and execution
 * ======================================================================
 */

/* The path template of the call that carries out a command, or NULL. */
static const char *
cf_command_path(const CfResource *res, CmdType operation)
{
	switch (operation)
	{
		case CMD_INSERT:
			return res->insert_path;
		case CMD_UPDATE:
			return res->update_path;
		case CMD_DELETE:
			return res->delete_path;
		default:
			return NULL;
	}
}

static const char *
cf_command_method(const CfResource *res, CmdType operation)
{
	switch (operation)
	{
		case CMD_INSERT:
			return res->insert_method;
		case CMD_UPDATE:
			return res->update_method;
		case CMD_DELETE:
			return "DELETE";
		default:
			return NULL;
	}
}

static bool
cf_path_has(const char *path, const char *placeholder)
{
	return path != NULL && strstr(path, placeholder) != NULL;
}

/*
 * cf_check_command
 *		Refuses a write to a table whose "updatable" option is false, or a
 *		command the API has no call for, naming what the API allows.
 */
static void
cf_check_command(Relation rel, const CfResource *res, const CfOptions *opts,
				 CmdType operation)
{
	const char *what = operation == CMD_INSERT ? "inserts"
	: operation == CMD_UPDATE ? "updates" : "deletes";

	if (!opts->updatable)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("foreign table \"%s\" does not allow %s",
						RelationGetRelationName(rel), what),
				 errdetail("Its option \"updatable\" is false (on the foreign table or its server).")));

	if (cf_command_path(res, operation) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot %s foreign table \"%s\"",
						operation == CMD_INSERT ? "insert into"
						: operation == CMD_UPDATE ? "update" : "delete from",
						RelationGetRelationName(rel)),
				 errdetail("The Cloudflare API has no call to %s %s.",
						   operation == CMD_INSERT ? "create"
						   : operation == CMD_UPDATE ? "modify" : "delete",
						   res->name),
				 errhint("The Cloudflare API allows %s.", res->writes_allowed)));
}

/*
 * cf_column_writable
 *		Whether the create (INSERT) or modify (UPDATE) call takes the value
 *		of this resource column: in its body, or in its path for the scope
 *		column (organization_id of a member or a profile).
 */
static bool
cf_column_writable(const CfResource *res, const CfColumnDef *col,
				   CmdType operation)
{
	if (col == NULL)
		return false;
	if (operation == CMD_INSERT)
		return (col->flags & CF_COL_INSERT) != 0 ||
			((col->flags & CF_COL_SCOPE) &&
			 cf_path_has(res->insert_path, "{organization_id}"));
	return (col->flags & CF_COL_UPDATE) != 0;
}

/*
 * cf_refuse_column
 *		The error for a value written to a column the call does not take.
 */
static void
cf_refuse_column(Relation rel, const CfResource *res, const CfColumnDef *col,
				 const char *attname, CmdType operation)
{
	const char *call = operation == CMD_INSERT ? "create" : "modify";

	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot %s column \"%s\" of foreign table \"%s\"",
					operation == CMD_INSERT ? "insert into" : "update",
					attname, RelationGetRelationName(rel)),
			 col == NULL
			 ? errdetail("Column \"%s\" is not a documented field of %s; the Cloudflare API's %s call does not take it.",
						 attname, res->name, call)
			 : (col->flags & CF_COL_FILTER_ONLY)
			 ? errdetail("Column \"%s\" is a list filter, not a field of the object.",
						 attname)
			 : (col->flags & CF_COL_READONLY)
			 ? errdetail("Column \"%s\" is read-only: Cloudflare sets it.",
						 attname)
			 : (col->flags & (CF_COL_ID | CF_COL_SCOPE))
			 ? errdetail("Column \"%s\" identifies the object, which the API cannot move.",
						 attname)
			 : errdetail("The Cloudflare API's %s call for %s does not take \"%s\".",
						 call, res->name, attname),
			 errhint("The Cloudflare API allows %s.", res->writes_allowed)));
}

/*
 * cf_check_columns
 *		Refuses, before anything is sent, a statement that writes a column
 *		the call does not take.  cols are the RTE's insertedCols or
 *		updatedCols (offset by FirstLowInvalidHeapAttributeNumber).
 */
static void
cf_check_columns(Relation rel, const CfResource *res, CmdType operation,
				 Bitmapset *cols)
{
	int			x = -1;

	while ((x = bms_next_member(cols, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
		Form_pg_attribute attr;
		const CfColumnDef *col;

		if (attnum <= 0 || attnum > RelationGetNumberOfAttributes(rel))
			continue;
		attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
		if (attr->attisdropped)
			continue;
		col = cf_attr_resource_column(RelationGetRelid(rel), attnum, res);
		if (!cf_column_writable(res, col, operation))
			cf_refuse_column(rel, res, col, NameStr(attr->attname), operation);
	}
}

/*
 * cf_identity_attnum
 *		The column of the table holding the object's id (scope false) or
 *		its organization id (scope true), or an ERROR naming it.
 */
static AttrNumber
cf_identity_attnum(Relation rel, const CfResource *res, bool scope)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const char *wanted = NULL;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		const CfColumnDef *col;

		if (TupleDescAttr(tupdesc, i)->attisdropped)
			continue;
		col = cf_attr_resource_column(RelationGetRelid(rel), i + 1, res);
		if (col == NULL)
			continue;
		if (scope ? (col->flags & CF_COL_SCOPE) != 0
			: (col->flags & CF_COL_ID) && !(col->flags & CF_COL_SCOPE))
			return i + 1;
	}

	for (int i = 0; i < res->ncolumns; i++)
	{
		int			f = res->columns[i].flags;

		if (scope ? (f & CF_COL_SCOPE) != 0
			: (f & CF_COL_ID) && !(f & CF_COL_SCOPE))
			wanted = res->columns[i].name;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
			 errmsg("foreign table \"%s\" has no column \"%s\"",
					RelationGetRelationName(rel), wanted ? wanted : "id"),
			 errdetail("UPDATE and DELETE on %s find the object through its \"%s\", which the API's path needs.",
					   res->name, wanted ? wanted : "id")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/*
 * cf_rowid_name
 *		The name of a row-identity junk column.  The attnum is part of it,
 *		so that the children of an inherited UPDATE/DELETE whose identity
 *		columns sit at different positions do not claim the same name for
 *		different Vars.
 */
static char *
cf_rowid_name(const char *what, AttrNumber attnum)
{
	return psprintf("cf_%s_%d", what, attnum);
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

		if (!cf_path_has(path, scope ? "{organization_id}" : "{id}"))
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

/* The values one write call takes for a column (resources.c), or NULL. */
static const char *const *
cf_allowed_values(const CfResource *res, CmdType operation,
				  const CfColumnDef *col)
{
	return operation == CMD_INSERT ? col->insert_values : col->update_values;
}

/*
 * cf_embedded_resource
 *		The resource whose object a column holds whole (organizations'
 *		profile is an organization_profiles object): the one whose
 *		embedded_field is the column's JSON path.
 */
static const CfResource *
cf_embedded_resource(const CfResource *res, const char *json_path)
{
	for (int r = 0; r < CF_RES_COUNT; r++)
	{
		const CfResource *other = cf_resource_by_id((CfResourceId) r);

		if (other != res && other->embedded_field != NULL &&
			strcmp(other->embedded_field, json_path) == 0)
			return other;
	}
	return NULL;
}

/*
 * cf_begin_modify
 *		The executor state of a write: the connection of the user the RTE
 *		checks as (as the scan does), the body columns and the contexts.
 */
static CfModifyState *
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

		if (cf_path_has(st->path, "{id}"))
		{
			AttrNumber	attnum = cf_identity_attnum(rel, st->res, false);

			st->id_junk = cf_find_junk(mtstate, cf_rowid_name("id", attnum));
			getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
							  &st->id_typoutput, &isvarlena);
		}
		if (cf_path_has(st->path, "{organization_id}"))
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
 * What a statement already wrote
 * ======================================================================
 */

/* Notes one object written by this statement. */
static void
cf_record_done(CfModifyState *st, const char *id)
{
	cf_writelog_note(st->operation == CMD_INSERT ? "created"
					 : st->operation == CMD_UPDATE ? "modified" : "deleted",
					 st->res, id);
	st->ndone++;
	if (id != NULL && list_length(st->done_ids) < CF_DONE_IDS_MAX)
	{
		/* the list outlives the per-row context the caller is in */
		MemoryContext old = MemoryContextSwitchTo(st->state_cxt);

		st->done_ids = lappend(st->done_ids, pstrdup(id));
		MemoryContextSwitchTo(old);
	}
}

/*
 * cf_rethrow_with_writes
 *		Called in PG_CATCH: re-raises the error, its DETAIL extended with the
 *		objects this statement already created, modified or deleted, which
 *		neither the error nor a rollback undoes.
 */
static void
cf_rethrow_with_writes(CfModifyState *st)
{
	ErrorData  *edata;
	StringInfoData buf;
	ListCell   *lc;
	int			shown = 0;

	if (st->ndone == 0)
		PG_RE_THROW();

	MemoryContextSwitchTo(st->state_cxt);
	edata = CopyErrorData();
	FlushErrorState();
	cf_writelog_mark_reported(st->ndone);

	initStringInfo(&buf);
	if (edata->detail != NULL)
		appendStringInfo(&buf, "%s\n", edata->detail);
	appendStringInfo(&buf,
					 "Before the error, this statement %s " INT64_FORMAT " %s%s in Cloudflare, which a rollback does not undo",
					 st->operation == CMD_INSERT ? "created"
					 : st->operation == CMD_UPDATE ? "modified" : "deleted",
					 st->ndone, st->res->item_name, st->ndone == 1 ? "" : "s");
	foreach(lc, st->done_ids)
	{
		appendStringInfo(&buf, "%s%s", shown == 0 ? ": " : ", ",
						 (char *) lfirst(lc));
		shown++;
	}
	if (st->ndone > shown && shown > 0)
		appendStringInfo(&buf, " and " INT64_FORMAT " more", st->ndone - shown);
	appendStringInfoChar(&buf, '.');
	edata->detail = buf.data;

	ReThrowError(edata);
}

/* ======================================================================
 * Request bodies
 * ======================================================================
 */

/*
 * cf_json_set_path
 *		Adds val to obj at a dotted path, creating the intermediate objects
 *		("user.email" gives {"user": {"email": val}}); path is a scratch
 *		copy, cut at its dots.  Never raises: on a conflict (the path is
 *		taken, or crosses a non-object) it returns false and the caller
 *		still owns val.
 */
static bool
cf_json_set_path(struct json_object *obj, char *path, struct json_object *val)
{
	char	   *p = path;
	char	   *dot;

	while ((dot = strchr(p, '.')) != NULL)
	{
		struct json_object *next;

		*dot = '\0';
		if (!json_object_object_get_ex(obj, p, &next))
		{
			next = json_object_new_object();
			if (next == NULL || json_object_object_add(obj, p, next) != 0)
			{
				json_object_put(next);
				return false;
			}
		}
		else if (json_object_get_type(next) != json_type_object)
			return false;
		obj = next;
		p = dot + 1;
	}
	if (json_object_object_get_ex(obj, p, NULL))
		return false;
	return json_object_object_add(obj, p, val) == 0;
}

/*
 * cf_json_take_text
 *		The JSON text of obj, palloc'd, and obj freed.  Nothing between the
 *		two can raise an error while obj is still owned here.
 */
static char *
cf_json_take_text(struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
												   JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t		len = s ? strlen(s) : 0;
	char	   *copy = s ? palloc_extended(len + 1, MCXT_ALLOC_NO_OOM) : NULL;

	if (copy != NULL)
		memcpy(copy, s, len + 1);
	json_object_put(obj);
	if (copy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return copy;
}

/* A value's text through its type's output function, in UTF-8. */
static char *
cf_value_text(Datum value, Oid typoutput)
{
	char	   *s = OidOutputFunctionCall(typoutput, value);

	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/*
 * cf_check_embedded
 *		A jsonb value holding a whole embedded object (an organization's
 *		profile) must be an object with every field the API requires of it:
 *		the fields its own table writes.
 */
static void
cf_check_embedded(CfModifyState *st, CfBodyColumn *bc, struct json_object *val)
{
	const CfResource *emb = bc->embedded;
	StringInfoData missing;
	StringInfoData all;

	if (json_object_get_type(val) != json_type_object)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of foreign table \"%s\" must be a JSON object",
						bc->name, RelationGetRelationName(st->rel))));

	initStringInfo(&missing);
	initStringInfo(&all);
	for (int i = 0; i < emb->ncolumns; i++)
	{
		const CfColumnDef *col = &emb->columns[i];
		struct json_object *field;

		if (!(col->flags & CF_COL_INSERT) || col->json_path == NULL)
			continue;
		appendStringInfo(&all, "%s%s", all.len ? ", " : "", col->json_path);
		if (!json_object_object_get_ex(val, col->json_path, &field) ||
			json_object_get_type(field) == json_type_null)
			appendStringInfo(&missing, "%s%s", missing.len ? ", " : "",
							 col->json_path);
	}
	if (missing.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of foreign table \"%s\" lacks fields the Cloudflare API requires: %s",
						bc->name, RelationGetRelationName(st->rel), missing.data),
				 errdetail("The API takes a %s only with all of its fields: %s.",
						   emb->embedded_field, all.data)));
}

/*
 * cf_row_json
 *		One row's fields as the JSON object of the create or modify call
 *		(without the resource's wrapper), nested along the columns' JSON
 *		paths.  Every check is made before the first value is converted:
 *		fields a replacing call requires, and enum values the call takes.
 *		A NULL is left out of a create body (the field is optional).
 */
static struct json_object *
cf_row_json(CfModifyState *st, TupleTableSlot *slot)
{
	struct json_object *volatile obj = NULL;
	StringInfoData missing;
	StringInfoData fields;
	int			nmissing = 0;

	slot_getallattrs(slot);

	initStringInfo(&missing);
	initStringInfo(&fields);
	for (int i = 0; i < st->nbody; i++)
	{
		CfBodyColumn *bc = &st->body[i];

		appendStringInfo(&fields, "%s%s", i ? ", " : "", bc->json_path);
		if (slot->tts_isnull[bc->attnum - 1])
		{
			if (bc->required && !st->replace)
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("null value in column \"%s\" of foreign table \"%s\"",
								bc->name, RelationGetRelationName(st->rel)),
						 errdetail("The Cloudflare API's create call %s %s requires %s.",
								   st->method, st->path, bc->json_path)));
			if (st->replace)
			{
				appendStringInfo(&missing, "%s\"%s\"", missing.len ? ", " : "",
								 bc->name);
				nmissing++;
			}
			continue;
		}
		if (bc->allowed != NULL)
		{
			char	   *v = cf_value_text(slot->tts_values[bc->attnum - 1],
										  bc->typoutput);
			StringInfoData list;
			bool		ok = false;

			initStringInfo(&list);
			for (int k = 0; bc->allowed[k]; k++)
			{
				ok |= strcmp(bc->allowed[k], v) == 0;
				appendStringInfo(&list, "%s%s", k ? ", " : "", bc->allowed[k]);
			}
			if (!ok)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for column \"%s\" of foreign table \"%s\": \"%s\"",
								bc->name, RelationGetRelationName(st->rel),
								OidOutputFunctionCall(bc->typoutput,
													  slot->tts_values[bc->attnum - 1])),
						 errdetail("The Cloudflare API's %s call for %s takes only: %s.",
								   st->operation == CMD_INSERT ? "create" : "modify",
								   st->res->name, list.data)));
		}
	}
	if (nmissing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("null value in column%s %s of foreign table \"%s\"",
						nmissing > 1 ? "s" : "", missing.data,
						RelationGetRelationName(st->rel)),
				 errdetail("The Cloudflare API's %s %s requires every field it takes: %s.",
						   st->method, st->path, fields.data)));

	obj = json_object_new_object();
	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	PG_TRY();
	{
		for (int i = 0; i < st->nbody; i++)
		{
			CfBodyColumn *bc = &st->body[i];
			struct json_object *val;
			char	   *path;

			if (slot->tts_isnull[bc->attnum - 1])
				continue;
			path = pstrdup(bc->json_path);
			val = cf_datum_to_json(slot->tts_values[bc->attnum - 1], bc->typid);
			if (!cf_json_set_path(obj, path, val))
			{
				json_object_put(val);
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("column \"%s\" of foreign table \"%s\" writes JSON field \"%s\", which another column writes too",
								bc->name, RelationGetRelationName(st->rel),
								bc->json_path)));
			}
			if (bc->embedded != NULL)
				cf_check_embedded(st, bc, val);
		}
	}
	PG_CATCH();
	{
		json_object_put(obj);
		PG_RE_THROW();
	}
	PG_END_TRY();

	return obj;
}

/* {"wrapper": item}, or item alone; wrappers are plain identifiers. */
static char *
cf_wrap(const char *wrapper, const char *item)
{
	if (wrapper == NULL)
		return (char *) item;
	return psprintf("{\"%s\":%s}", wrapper, item);
}

/*
 * cf_insert_scope
 *		The organization id an inserted row's call path needs (NULL when the
 *		path has none), after checking that the row writes nothing the call
 *		does not take (COPY with defaults, rows routed to a partition).
 */
static char *
cf_insert_scope(CfModifyState *st, TupleTableSlot *slot)
{
	ListCell   *lc;

	slot_getallattrs(slot);
	foreach(lc, st->forbidden)
	{
		AttrNumber	attnum = lfirst_int(lc);

		if (!slot->tts_isnull[attnum - 1])
			cf_refuse_column(st->rel, st->res,
							 cf_attr_resource_column(RelationGetRelid(st->rel),
													 attnum, st->res),
							 NameStr(TupleDescAttr(RelationGetDescr(st->rel),
												   attnum - 1)->attname),
							 CMD_INSERT);
	}

	if (!cf_path_has(st->path, "{organization_id}"))
		return NULL;
	if (st->scope_attnum == InvalidAttrNumber)
		(void) cf_identity_attnum(st->rel, st->res, true);	/* raises */
	if (slot->tts_isnull[st->scope_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("null value in column \"%s\" of foreign table \"%s\"",
						NameStr(TupleDescAttr(RelationGetDescr(st->rel),
											  st->scope_attnum - 1)->attname),
						RelationGetRelationName(st->rel)),
				 errdetail("The Cloudflare API's create call %s %s needs it in its path.",
						   st->method, st->path)));
	return cf_value_text(slot->tts_values[st->scope_attnum - 1],
						 st->scope_typoutput);
}

/* A row-identity value of an UPDATE or DELETE, as UTF-8 text. */
static char *
cf_junk_text(CfModifyState *st, TupleTableSlot *planSlot, AttrNumber attno,
			 Oid typoutput)
{
	Datum		d;
	bool		isnull;

	if (attno == InvalidAttrNumber)
		return NULL;
	d = ExecGetJunkAttribute(planSlot, attno, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("cannot %s a row of foreign table \"%s\" whose identity is NULL",
						st->operation == CMD_UPDATE ? "update" : "delete",
						RelationGetRelationName(st->rel))));
	return cf_value_text(d, typoutput);
}

/* ======================================================================
 * Calls and answers
 * ======================================================================
 */

/*
 * cf_send
 *		Makes one call.  The transport raises the API's errors itself (with
 *		the request in the error context); a 404 is an answer only where
 *		not_found_ok says so.
 */
static CfRequest *
cf_send(CfModifyState *st, const char *method, char *path, char *body,
		bool not_found_ok, CfWriteTarget *target)
{
	CfRequest  *volatile req = palloc0(sizeof(CfRequest));

	req->method = method;
	req->path = path;
	req->body = body;
	req->not_found_ok = not_found_ok;
	req->gone_ok = strcmp(method, "DELETE") == 0;
	cf_describe_write(st, req, target);

	CHECK_FOR_INTERRUPTS();
	st->requests++;
	PG_TRY();
	{
		cf_execute(st->conn, (CfRequest **) &req, 1, &st->stats);
	}
	PG_CATCH();
	{
		/* the write may have been made: what it could change goes */
		cf_cache_forget_connection(st->conn);
		if (req->outcome_unknown)
			cf_rethrow_unknown(st, req);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cf_cache_forget_connection(st->conn);
	return req;
}

/*
 * cf_describe_write
 *		What a write changes, for the error when it gets no readable answer
 *		(request.c): the object named by the values that identify it, as
 *		SQL conditions on the table's own columns, and the SELECT that shows
 *		whether the change was made.  A create is known by the columns the
 *		API requires and its organization (the rows of a batch by an IN
 *		list), a modify or delete by the object's id and organization.
 */
static void
cf_describe_write(CfModifyState *st, CfRequest *req, CfWriteTarget *target)
{
	TupleDesc	tupdesc = RelationGetDescr(st->rel);
	Oid			relid = RelationGetRelid(st->rel);
	StringInfoData conds;
	int			n = 0;

	initStringInfo(&conds);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		const CfColumnDef *col;
		const char *value = NULL;
		const char *name = quote_identifier(NameStr(attr->attname));

		if (attr->attisdropped)
			continue;
		col = cf_attr_resource_column(relid, i + 1, st->res);
		if (col == NULL)
			continue;
		if (col->flags & CF_COL_SCOPE)
			value = target->scope;
		else if (st->operation != CMD_INSERT && (col->flags & CF_COL_ID))
			value = target->id;
		else if (st->operation == CMD_INSERT && (col->flags & CF_COL_REQUIRED))
		{
			StringInfoData list;
			int			nvalues = 0;
			Oid			typoutput;
			bool		varlena;

			getTypeOutputInfo(attr->atttypid, &typoutput, &varlena);
			initStringInfo(&list);
			for (int k = 0; k < target->nslots; k++)
			{
				bool		isnull;
				Datum		d = slot_getattr(target->slots[k], i + 1, &isnull);

				if (isnull)
					continue;
				appendStringInfo(&list, "%s%s", nvalues ? ", " : "",
								 quote_literal_cstr(OidOutputFunctionCall(typoutput, d)));
				nvalues++;
			}
			if (nvalues > 1)
				appendStringInfo(&conds, "%s%s IN (%s)", n++ ? " AND " : "",
								 name, list.data);
			else if (nvalues == 1)
				appendStringInfo(&conds, "%s%s = %s", n++ ? " AND " : "",
								 name, list.data);
			continue;
		}
		if (value != NULL)
			appendStringInfo(&conds, "%s%s = %s", n++ ? " AND " : "", name,
							 quote_literal_cstr(value));
	}

	req->write_verb = st->operation == CMD_INSERT ? "created"
		: st->operation == CMD_UPDATE ? "modified" : "deleted";
	if (target->nslots > 1)
		req->write_what = psprintf("%d %ss%s%s", target->nslots,
								   st->res->item_name, n ? " where " : "",
								   conds.data);
	else
		req->write_what = psprintf("%s%s%s", st->res->item_name,
								   n ? " where " : "", conds.data);
	if (n > 0)
		req->write_check =
			psprintf("SELECT * FROM %s WHERE %s;",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(st->rel)),
												RelationGetRelationName(st->rel)),
					 conds.data);
}

/*
 * cf_rethrow_unknown
 *		Called in PG_CATCH for a write that was sent and got no readable
 *		answer: notes it for the WARNING of a rollback, and when the error
 *		is not the one request.c raised for it (a cancel, a timeout of the
 *		statement), adds to its DETAIL that the change may have been made.
 */
static void
cf_rethrow_unknown(CfModifyState *st, CfRequest *req)
{
	ErrorData  *edata;

	cf_writelog_note_possible(req->write_verb, req->write_what);
	if (req->outcome_reported)
		PG_RE_THROW();

	MemoryContextSwitchTo(st->state_cxt);
	edata = CopyErrorData();
	FlushErrorState();
	edata->detail = psprintf("%s%sThe %s %s was under way: Cloudflare may have %s the %s.%s%s",
							 edata->detail ? edata->detail : "",
							 edata->detail ? "\n" : "",
							 req->method, req->path, req->write_verb,
							 req->write_what,
							 req->write_check ? " Check before retrying: " : "",
							 req->write_check ? req->write_check : "");
	ReThrowError(edata);
}

/*
 * cf_read_paths
 *		The columns a RETURNING row reads from the API's answer, and their
 *		JSON paths as a tree of keys: the answer is read as a scan's page is,
 *		by page.c's row walk and the scan's text conversion.  The walk
 *		indexes the columns it converts, so it gets copies of those it
 *		reads (neither dropped, nor filter-only, nor the scope).
 */
static void
cf_read_paths(CfModifyState *st, int natts)
{
	int			n = 0;

	st->read_convs = palloc0(sizeof(CfColumnConv) * Max(natts, 1));
	for (int i = 0; i < natts; i++)
	{
		if (st->convs[i].attnum != InvalidAttrNumber &&
			st->convs[i].filter_only == 0)
			st->read_convs[n++] = st->convs[i];
	}
	st->read_paths = cf_path_tree(st->read_convs, n);
}

/*
 * cf_result
 *		The "result" of an answer when it is an object ('{') or an array
 *		('['), as a span of the answer's page; false otherwise.
 */
static bool
cf_result(CfRequest *req, char kind, CfSpan *result)
{
	CfPage	   *page = req->page;

	if (page == NULL || !page->has_result || page->result_kind != kind)
		return false;
	*result = page->result;
	return true;
}

/*
 * cf_result_identity
 *		What names a written object in the list of writes: the id of the
 *		API's answer, else the organization id of the path (a profile).
 */
static const char *
cf_result_identity(CfRequest *req, const CfSpan *result, const char *scope)
{
	CfSpan		id;
	char	   *s;

	if (result != NULL && cf_page_field(req->page, *result, "id", &id) &&
		(s = cf_page_string(req->page, id)) != NULL)
		return s;
	return scope;
}

static void
cf_result_error_callback(void *arg)
{
	CfModifyState *st = (CfModifyState *) arg;
	CfColumnConv *conv = st->current_conv;

	if (conv != NULL)
		errcontext("column \"%s\" of foreign table \"%s\" (Cloudflare resource %s), in the API's answer",
				   conv->colname, RelationGetRelationName(st->rel),
				   st->res->name);
}

/*
 * cf_store_result
 *		Replaces the slot's row with the object the API answered (the
 *		created or modified object with its id and timestamps); the scope
 *		column takes the organization id of the path, filter-only columns
 *		are NULL.  The object is read as a scan reads an item of its page
 *		(cf_page_row, cf_text_to_datum), so a value converts, or fails, as
 *		it would in a SELECT.  Conversions happen in the per-row context,
 *		then the slot gets a copy of its own.
 */
static void
cf_store_result(CfModifyState *st, TupleTableSlot *slot, CfRequest *req,
				CfSpan result, const char *scope)
{
	TupleDesc	tupdesc = RelationGetDescr(st->rel);
	Datum	   *values = palloc0(sizeof(Datum) * Max(tupdesc->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(tupdesc->natts, 1));
	ErrorContextCallback errcb;
	HeapTuple	tuple;

	memset(nulls, true, sizeof(bool) * Max(tupdesc->natts, 1));

	errcb.callback = cf_result_error_callback;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	for (int i = 0; i < tupdesc->natts; i++)
	{
		CfColumnConv *conv = &st->convs[i];

		if (conv->attnum == InvalidAttrNumber ||
			!(conv->filter_only & CF_COL_SCOPE) || scope == NULL)
			continue;
		st->current_conv = conv;
		values[i] = InputFunctionCall(&conv->inflinfo, (char *) scope,
									  conv->typioparam, conv->typmod);
		nulls[i] = false;
	}
	cf_page_row(req->page, result, st->read_paths, st->read_convs,
				values, nulls, &st->current_conv);
	st->current_conv = NULL;
	error_context_stack = errcb.previous;

	tuple = heap_form_tuple(tupdesc, values, nulls);
	ExecForceStoreHeapTuple(tuple, slot, false);
	ExecMaterializeSlot(slot);
}

/*
 * cf_store_old_row
 *		DELETE ... RETURNING: the row as the scan read it, from the
 *		whole-row junk column.
 */
static void
cf_store_old_row(CfModifyState *st, TupleTableSlot *slot,
				 TupleTableSlot *planSlot)
{
	Datum		d;
	bool		isnull;
	HeapTupleHeader td;
	HeapTupleData tuple;

	d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);
	if (isnull)
		elog(ERROR, "wholerow is NULL");
	td = DatumGetHeapTupleHeader(d);
	tuple.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = RelationGetRelid(st->rel);
	tuple.t_data = td;
	ExecForceStoreHeapTuple(&tuple, slot, false);
	ExecMaterializeSlot(slot);
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

/* ======================================================================
 * Direct UPDATE and DELETE: the call without reading the row first
 * ======================================================================
 */

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
	need_id = cf_path_has(path, "{id}");
	need_scope = cf_path_has(path, "{organization_id}");

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
