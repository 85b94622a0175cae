/*-------------------------------------------------------------------------
 *
 * cloudflare_fdw.h
 *		  Shared declarations of the foreign data wrapper for Cloudflare's
 *		  Organizations API.
 *
 * What the handler's callbacks share: the planner's cost units and the
 * entry points of modify.c and count.c.  Each layer has a header of its own
 * (resources.h, option.h, pushdown.h, request.h, page.h, convert.h,
 * ratelimit.h, reqplan.h, scan.h; http.h and jsonscan.h know no
 * PostgreSQL), and a file includes the layers it uses.
 *
 * IDENTIFICATION
 *		  src/cloudflare_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLOUDFLARE_FDW_H
#define CLOUDFLARE_FDW_H

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#include "option.h"
#include "resources.h"

#ifndef CF_FDW_VERSION
#define CF_FDW_VERSION "unknown"
#endif

#define CF_DEFAULT_API_URL "https://api.cloudflare.com/client/v4"


/* ----------------------------------------------------------------------
 * modify.c: INSERT, UPDATE and DELETE.
 * ----------------------------------------------------------------------
 */

extern void cf_modify_routines(FdwRoutine *routine);

/*
 * Planner cost units, of the scan and of count.c's path.  A request to
 * Cloudflare costs far more than reading a local page: the per-request cost
 * is what makes a parameterized nested loop win for a few outer rows and a
 * single fan-out win for many.
 */
#define CF_STARTUP_COST		10.0
#define CF_REQUEST_COST		100.0

/* ----------------------------------------------------------------------
 * count.c: count(*) from result_info.total_size.
 * ----------------------------------------------------------------------
 */

struct ExplainState;
extern void cf_count_upper_paths(PlannerInfo *root, UpperRelationKind stage,
								 RelOptInfo *input_rel, RelOptInfo *output_rel,
								 void *extra);
extern bool cf_is_count_plan(List *fdw_private);
extern ForeignScan *cf_count_plan(PlannerInfo *root, RelOptInfo *foreignrel,
								  ForeignPath *best_path,
								  List *tlist, Plan *outer_plan);
extern void cf_count_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *cf_count_iterate(ForeignScanState *node);
extern void cf_count_rescan(ForeignScanState *node);
extern void cf_count_explain(ForeignScanState *node, struct ExplainState *es);

#endif							/* CLOUDFLARE_FDW_H */
