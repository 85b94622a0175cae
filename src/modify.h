/*-------------------------------------------------------------------------
 *
 * modify.h
 *		  The write side's own header: modify.c, body.c, writecall.c, direct.c.
 *
 * The state of a foreign table being written and the functions its four
 * files share.  Only they include it; the rest of the FDW knows the write
 * side by cf_modify_routines (cloudflare_fdw.h).
 *
 * IDENTIFICATION
 *		  src/modify.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_MODIFY_H
#define CF_MODIFY_H

#include "cloudflare_fdw.h"
#include "convert.h"
#include "page.h"
#include "request.h"

struct json_object;

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
	CfPathNode **read_paths;	/* per attribute: its JSON path, as page.c
								 * walks it, or NULL if not read */
	CfColumnConv *current_conv; /* for the error context */

	/* what this statement wrote, for the DETAIL of a later error */
	int64		ndone;
	List	   *done_ids;		/* the first CF_DONE_IDS_MAX, in state_cxt */

	int64		requests;
	CfStats		stats;

	MemoryContext state_cxt;	/* lives as long as the statement */
	MemoryContext temp_cxt;		/* one row (or one batch); reset after it */
} CfModifyState;

/* modify.c */
extern CfModifyState *cf_begin_modify(EState *estate, ResultRelInfo *rinfo,
									  CmdType operation, bool fill);

/* body.c: what a write may carry */
extern const char *cf_command_path(const CfResource *res, CmdType operation);
extern const char *cf_command_method(const CfResource *res,
									 CmdType operation);
extern void cf_check_command(Relation rel, const CfResource *res,
							 const CfOptions *opts, CmdType operation);
extern bool cf_column_writable(const CfResource *res, const CfColumnDef *col,
							   CmdType operation);
extern void cf_check_columns(Relation rel, const CfResource *res,
							 CmdType operation, Bitmapset *cols);
extern AttrNumber cf_identity_attnum(Relation rel, const CfResource *res,
									 bool scope);
extern char *cf_rowid_name(const char *what, AttrNumber attnum);
extern const char *const *cf_allowed_values(const CfResource *res,
											CmdType operation,
											const CfColumnDef *col);
extern const CfResource *cf_embedded_resource(const CfResource *res,
											  const char *json_path);

/* body.c: the body that carries it */
extern char *cf_json_take_text(struct json_object *obj);
extern char *cf_value_text(Datum value, Oid typoutput);
extern struct json_object *cf_row_json(CfModifyState *st,
									   TupleTableSlot *slot);
extern char *cf_wrap(const char *wrapper, const char *item);
extern char *cf_insert_scope(CfModifyState *st, TupleTableSlot *slot);
extern char *cf_junk_text(CfModifyState *st, TupleTableSlot *planSlot,
						  AttrNumber attno, Oid typoutput);

/* writecall.c */
extern void cf_record_done(CfModifyState *st, const char *id);
extern void cf_rethrow_with_writes(CfModifyState *st);
extern CfRequest *cf_send(CfModifyState *st, const char *method, char *path,
						  char *body, bool not_found_ok,
						  CfWriteTarget *target);
extern void cf_read_paths(CfModifyState *st, int natts);
extern bool cf_result(CfRequest *req, char kind, CfSpan *result);
extern const char *cf_result_identity(CfRequest *req, const CfSpan *result,
									  const char *scope);
extern void cf_store_result(CfModifyState *st, TupleTableSlot *slot,
							CfRequest *req, CfSpan result, const char *scope);
extern void cf_store_old_row(CfModifyState *st, TupleTableSlot *slot,
							 TupleTableSlot *planSlot);

/* direct.c */
extern void cf_direct_routines(FdwRoutine *routine);

#endif							/* CF_MODIFY_H */
