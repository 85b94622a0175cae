/*-------------------------------------------------------------------------
 *
 * pushdown.h
 *		  Which WHERE clauses become API filters (pushdown.c), what their values
 *		  do to a request (judge.c), and time windows (window.c).
 *
 * IDENTIFICATION
 *		  src/pushdown.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_PUSHDOWN_H
#define CF_PUSHDOWN_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "resources.h"
#include "option.h"

/* ----------------------------------------------------------------------
 * pushdown.c: which WHERE clauses become API filters.
 * ----------------------------------------------------------------------
 */

/* How a LIKE-family filter was written; decided again at run time. */
#define CF_LIKE_NONE	0
#define CF_LIKE_CASE	1		/* LIKE */
#define CF_LIKE_ICASE	2		/* ILIKE */

/* How a time bound was written (CF_OP_LOWER and CF_OP_UPPER filters). */
#define CF_BOUND_NONE	0
#define CF_BOUND_GT		1		/* col > value */
#define CF_BOUND_GE		2		/* col >= value */
#define CF_BOUND_LT		3		/* col < value */
#define CF_BOUND_LE		4		/* col <= value */
#define CF_BOUND_EQ		5		/* col = value: both bounds */

/* One WHERE clause the API can answer (it is still rechecked locally). */
typedef struct CfPushedFilter
{
	int			filter;			/* index into res->filters */
	Expr	   *value;			/* value or pattern; NULL for IS NULL */
	int			like;			/* CF_LIKE_* */
	int			bound;			/* CF_BOUND_* of a window filter */
	RestrictInfo *rinfo;		/* the clause (plan time only) */
} CfPushedFilter;

extern List *cf_classify_clauses(PlannerInfo *root, RelOptInfo *baserel,
								 const CfResource *res, List *clauses,
								 Relids outer_relids, List **local);
extern bool cf_clause_is_pushable(PlannerInfo *root, RelOptInfo *baserel,
								  const CfResource *res, Expr *clause,
								  Relids outer_relids, CfPushedFilter *out);
extern const CfColumnDef *cf_attr_resource_column(Oid relid, AttrNumber attnum,
												  const CfResource *res);
/*
 * What one filter value does to a request (cf_judge_values): sent as it is,
 * not sent (the API would ignore it: the local recheck answers), or known to
 * match no row (no request at all).  Decided the same way at run time and,
 * for constants, by EXPLAIN and the cost estimate.
 */
typedef enum CfValueVerdict
{
	CF_VALUE_SEND,
	CF_VALUE_SKIP,
	CF_VALUE_NO_MATCH
} CfValueVerdict;

extern CfValueVerdict cf_judge_values(const CfResource *res, const CfFilterDef *def,
								 List *values, List **kept, char **why);
extern char *cf_uuid_dashed(const char *value);
extern bool cf_like_filter(const CfResource *res, int prefix_filter,
						   const char *pattern, int like,
						   int *filter, char **literal);
extern const CfFilterDef *cf_missing_required(const CfResource *res,
											  List *pushed, bool window_used);
extern bool cf_window_used(PlannerInfo *root, RelOptInfo *baserel,
						   const CfResource *res);
extern void cf_check_filter_only_columns(PlannerInfo *root, RelOptInfo *baserel,
										 const CfResource *res, List *pushed,
										 List *clauses);

/* ----------------------------------------------------------------------
 * window.c: time windows, from WHERE bounds to the API's dates.
 * ----------------------------------------------------------------------
 */

/* The tightest bounds of each side, as the scan evaluated them. */
typedef struct CfWindowBounds
{
	bool		has_lower;
	bool		lower_incl;
	TimestampTz lower;
	bool		has_upper;
	bool		upper_incl;
	TimestampTz upper;
} CfWindowBounds;

extern void cf_window_init(CfWindowBounds *b);
extern void cf_window_add(CfWindowBounds *b, CfFilterOp op, int bound,
						  TimestampTz t);
extern CfValueVerdict cf_window_fragments(const CfResource *res,
										  const CfWindowBounds *b,
										  TimestampTz now, bool now_symbolic,
										  List **fragments, char **why);
extern char *cf_window_describe(const CfResource *res, List *fragments);
extern char *cf_window_day(const CfResource *res, const CfWindowBounds *b,
						   CfFilterOp side);

#endif							/* CF_PUSHDOWN_H */
