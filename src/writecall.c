/*-------------------------------------------------------------------------
 *
 * writecall.c
 *		  A write call and its answer: sending, what it changed, RETURNING.
 *
 * cf_send makes one create, modify or delete call on a connection of its
 * own; cf_describe_write names what the call changes, for the error that
 * says it may have been made when no readable answer came back.  The
 * answer is read in place as a scan's page is (page.c): its id for the
 * list of writes, and the row RETURNING shows through the scan's row walk
 * and text converter.  What a statement already wrote is kept here too, for
 * the DETAIL of a later error.  Split from modify.c, whose callbacks use it.
 *
 * IDENTIFICATION
 *		  src/writecall.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "convert.h"
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

static void cf_describe_write(CfModifyState *st, CfRequest *req,
							  CfWriteTarget *target);
static void cf_rethrow_unknown(CfModifyState *st, CfRequest *req);

/* ======================================================================
 * What a statement already wrote
 * ======================================================================
 */

/* Notes one object written by this statement. */
void
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
void
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
 * Calls and answers
 * ======================================================================
 */

/*
 * cf_send
 *		Makes one call.  The transport raises the API's errors itself (with
 *		the request in the error context); a 404 is an answer only where
 *		not_found_ok says so.
 */
CfRequest *
cf_send(CfModifyState *st, const char *method, char *path, char *body,
		bool not_found_ok, CfWriteTarget *target)
{
	CfRequest  *volatile req = palloc0(sizeof(CfRequest));

	req->res = st->res;
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
 *		The JSON path of each column a RETURNING row reads from the API's
 *		answer (neither dropped, nor filter-only, nor the scope), as a tree
 *		of keys of its own: the answer is read as a scan's page is, by
 *		page.c's row walk and the scan's text conversion.
 *
 * One tree per column, not one for the row: the columns are then read in
 * their order in the table, so that of two values that cannot convert the
 * error names the same one it always has, whatever the answer's key order.
 * An answer is one object, so walking it once per column costs nothing
 * that matters.
 */
void
cf_read_paths(CfModifyState *st, int natts)
{
	st->read_paths = palloc0(sizeof(CfPathNode *) * Max(natts, 1));
	for (int i = 0; i < natts; i++)
	{
		if (st->convs[i].attnum != InvalidAttrNumber &&
			st->convs[i].filter_only == 0)
			st->read_paths[i] = cf_path_tree(&st->convs[i], 1);
	}
}

/*
 * cf_result
 *		The "result" of an answer when it is an object ('{') or an array
 *		('['), as a span of the answer's page; false otherwise.
 */
bool
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
const char *
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
void
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

		if (conv->attnum == InvalidAttrNumber)
			continue;			/* dropped */
		st->current_conv = conv;
		if (conv->filter_only & CF_COL_SCOPE)
		{
			if (scope != NULL)
			{
				values[i] = InputFunctionCall(&conv->inflinfo, (char *) scope,
											  conv->typioparam, conv->typmod);
				nulls[i] = false;
			}
		}
		else if (st->read_paths[i] != NULL)
			cf_page_row(req->page, result, st->read_paths[i], conv,
						values, nulls, &st->current_conv);
	}
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
void
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
