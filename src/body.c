/*-------------------------------------------------------------------------
 *
 * body.c
 *		  What a write may carry, and the JSON body that carries it.
 *
 * The checks shared by planning and execution of a write (which calls the
 * resource has, which columns each call takes, the row identity UPDATE and
 * DELETE need), and the request body built from a row: the columns' JSON
 * paths as nested objects, the values each call accepts checked before
 * anything is sent, the resource's wrapper around it.  json-c builds the
 * bodies.  Split from modify.c, whose callbacks use it.
 *
 * IDENTIFICATION
 *		  src/body.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "convert.h"
#include "pushdown.h"
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
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* See convert.c: PostgreSQL's SQL function json_object() vs json-c's type. */
#define json_object cf_pg_sql_json_object
#include "utils/builtins.h"
#undef json_object

#include <json-c/json.h>

/* ======================================================================
 * What the API can do: checks shared by planning and execution
 * ======================================================================
 */

/* The path template of the call that carries out a command, or NULL. */
const char *
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

const char *
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

/*
 * cf_check_command
 *		Refuses a write to a table whose "updatable" option is false, or a
 *		command the API has no call for, naming what the API allows.
 */
void
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
bool
cf_column_writable(const CfResource *res, const CfColumnDef *col,
				   CmdType operation)
{
	if (col == NULL)
		return false;
	if (operation == CMD_INSERT)
		return (col->flags & CF_COL_INSERT) != 0 ||
			((col->flags & CF_COL_SCOPE) &&
			 cf_path_takes(res->insert_path, CF_PATH_SCOPE));
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
void
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
AttrNumber
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
char *
cf_rowid_name(const char *what, AttrNumber attnum)
{
	return psprintf("cf_%s_%d", what, attnum);
}

/* The values one write call takes for a column (resources.c), or NULL. */
const char *const *
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
const CfResource *
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
char *
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
char *
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
struct json_object *
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
char *
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
char *
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

	if (!cf_path_takes(st->path, CF_PATH_SCOPE))
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
char *
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
