/*-------------------------------------------------------------------------
 *
 * reqplan.h
 *		  A scan's request plan: its pushed filters as ordered slots, and
 *		  the shape of the requests their values make.  The planner builds
 *		  the plan once (GetForeignPlan); the estimate, EXPLAIN and the
 *		  scan's streams are all read from cf_request_shape.
 *
 * IDENTIFICATION
 *		  src/reqplan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_REQPLAN_H
#define CF_REQPLAN_H

#include "cloudflare_fdw.h"
#include "lib/stringinfo.h"

/*
 * The most values of one IN list a request carries.  A longer list is sent
 * as several requests of this many values each (a hundred 32-character ids
 * make a query of about 4 kB; servers refuse URLs past 8 to 16 kB).
 */
#define CF_IN_CHUNK			100

/* Values of a runtime IN list (or scope list) the planner assumes. */
#define CF_DEFAULT_IN_LIST	10.0

/* Windows of a time range known only at run time (a quarter of months). */
#define CF_DEFAULT_WINDOWS	3.0

/* What a slot's value becomes in a request. */
typedef enum CfSlotKind
{
	CF_SLOT_LOOKUP,				/* the {id} of the item path: one object */
	CF_SLOT_PATH_ID,			/* the {id} of a list path (a history) */
	CF_SLOT_SCOPE,				/* {organization_id}: one list per value */
	CF_SLOT_QUERY,				/* query parameters; a long IN list in chunks */
	CF_SLOT_NULL,				/* IS NULL: the parameter's null value */
	CF_SLOT_PATTERN,			/* LIKE: a safe literal of the pattern */
	CF_SLOT_WINDOW				/* a bound of the time window */
} CfSlotKind;

/* Positions in a slot's IntList in fdw_private (CfScanPrivateSlots). */
typedef enum CfSlotField
{
	CfSlotFieldKind,			/* CfSlotKind */
	CfSlotFieldFilter,			/* index into res->filters */
	CfSlotFieldExpr,			/* index into fdw_exprs, or -1 (IS NULL) */
	CfSlotFieldLike,			/* CF_LIKE_* */
	CfSlotFieldBound			/* CF_BOUND_* of a window's bound */
} CfSlotField;

/* One pushed filter: what it becomes, and where its value comes from. */
typedef struct CfSlot
{
	CfSlotKind	kind;
	int			filter;
	int			expr;
	int			like;
	int			bound;
} CfSlot;

/* The request plan of a scan, in the order its parameters go out. */
typedef struct CfReqPlan
{
	const CfResource *res;
	int			nslots;
	CfSlot	   *slots;
	int			page_size;		/* of the resource's lists */
	int			org_page_size;	/* of the organizations list a fan-out reads */
	int			order;			/* index into res->orders, or -1 */
	bool		order_desc;
} CfReqPlan;

/* A slot's value in one (re)scan, or at plan time. */
typedef struct CfSlotValue
{
	bool		known;			/* false: only at run time ("$n") */
	bool		isnull;
	List	   *raw;			/* text of the value or of each element */
	List	   *texts;			/* the same in UTF-8, the API's encoding */
	TimestampTz time;			/* a window's bound */
	char	   *label;			/* "$n": for EXPLAIN */
} CfSlotValue;

/* What the shape is for: the values differ in what is known of them. */
typedef enum CfShapeUse
{
	CF_SHAPE_RUN,				/* every value known: the scan's streams */
	CF_SHAPE_EXPLAIN,			/* constants known, others labels */
	CF_SHAPE_ESTIMATE			/* as EXPLAIN, and never an error */
} CfShapeUse;

/* How the requests of a (re)scan reach their rows. */
typedef enum CfReach
{
	CF_REACH_LIST,				/* one list (or its chunks) */
	CF_REACH_LOOKUP,			/* one object by id */
	CF_REACH_SCOPES,			/* a list per organization named */
	CF_REACH_FANOUT,			/* a list per organization listed */
	CF_REACH_EMBEDDED			/* a field of each organization listed */
} CfReach;

/* A filter-only column and the value it was filtered on. */
typedef struct CfEcho
{
	const char *column;
	char	   *value;
} CfEcho;

/*
 * What one (re)scan sends.  Under CF_SHAPE_RUN the values are UTF-8 text;
 * under EXPLAIN and ESTIMATE they are escaped as on the wire, or "$n".
 */
typedef struct CfRequestShape
{
	CfShapeUse	use;
	char	   *no_match;		/* why no row can match: nothing is sent */
	CfReach		reach;
	char	   *lookup;			/* the item's id */
	char	   *path_id;		/* the list path's {id} */
	List	   *scopes;			/* organization ids (char *), each once */
	bool		scopes_known;	/* false: a list known only at run time */
	StringInfoData query;		/* "&name=value" per parameter, escaped */
	const CfFilterDef *split_def;	/* a long IN list sent in chunks */
	List	   *split;			/* its values, sorted, each once */
	List	   *windows;		/* "&since=..&before=.." per request, or NIL */
	double		nwindows;		/* requests per scope the window makes */
	char	   *window_query;	/* EXPLAIN: the first request's window */
	char	   *window_note;	/* EXPLAIN: how the window is sent */
	List	   *echo;			/* CfEcho *, later ones win */
	StringInfoData conditions;	/* EXPLAIN VERBOSE: the conditions sent */
} CfRequestShape;

extern CfReqPlan *cf_reqplan_make(const CfResource *res, List *pushed,
								  int page_size, int org_page_size,
								  int order, bool desc, List **exprs);
extern List *cf_reqplan_slots_list(const CfReqPlan *plan);
extern CfReqPlan *cf_reqplan_read(const CfResource *res, List *slots,
								  int page_size, int org_page_size,
								  int order, bool desc);
extern void cf_slot_set(CfSlotValue *v, const CfResource *res,
						const CfSlot *slot, Datum value, bool isnull, Oid type,
						bool shown);
extern CfSlotValue *cf_reqplan_plan_values(const CfReqPlan *plan, List *exprs);
/* Evaluates slot i's value into *v, when the shape first needs it. */
typedef void (*CfSlotEval) (int i, CfSlotValue *v, void *arg);

extern void cf_request_shape(const CfReqPlan *plan, CfSlotValue *values,
							 CfSlotEval eval, void *arg, CfShapeUse use,
							 CfRequestShape *shape);
extern CfReqPlan *cf_reqplan_shape_pushed(const CfResource *res, List *pushed,
										  int page_size, int org_page_size,
										  int order, bool desc, CfShapeUse use,
										  CfRequestShape *shape);
extern void cf_shape_describe(const CfReqPlan *plan, CfRequestShape *shape,
							  char **request, char **fanout,
							  char **conditions, char **windows);
extern double cf_shape_scopes(const CfRequestShape *shape);
extern double cf_shape_chunks(const CfRequestShape *shape);

#endif							/* CF_REQPLAN_H */
