/*-------------------------------------------------------------------------
 *
 * compat.h
 *		  What differs between the PostgreSQL majors cloudflare_fdw builds
 *		  against (15 to 18), behind one name each.
 *
 * Each guard follows the release that made the change, so a major that is
 * built but not tested here (16) takes the branch of its own history:
 *
 *	16	permissions moved from RangeTblEntry to RTEPermissionInfo
 *		(checkAsUser, insertedCols, updatedCols); pg_foreign_server_aclcheck
 *		became object_aclcheck(ForeignServerRelationId, ...).
 *	17	create_foreignscan_path takes fdw_restrictinfo; CreateWaitEventSet
 *		takes a ResourceOwner instead of a MemoryContext.
 *	18	create_foreignscan_path takes disabled_nodes; the EXPLAIN API moved
 *		to commands/explain_state.h and commands/explain_format.h;
 *		PathKey.pk_strategy became pk_cmptype.
 *
 * IDENTIFICATION
 *		  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLOUDFLARE_FDW_COMPAT_H
#define CLOUDFLARE_FDW_COMPAT_H

#include "access/stratnum.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "optimizer/pathnode.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/resowner.h"

#if PG_VERSION_NUM < 150000
#error "cloudflare_fdw needs PostgreSQL 15 or later"
#endif

#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#else
#include "commands/explain.h"
#endif

#if PG_VERSION_NUM >= 160000
#include "catalog/pg_foreign_server.h"
#include "parser/parse_relation.h"
#endif

/*
 * cf_create_foreignscan_path
 *		create_foreignscan_path of a base relation, with what the newer
 *		majors add set to "none": no disabled nodes (18), no restriction
 *		info of its own (17; the FDW rechecks every clause itself, so the
 *		core may hand the path's clauses to the plan as usual).
 */
static inline ForeignPath *
cf_create_foreignscan_path(PlannerInfo *root, RelOptInfo *rel, double rows,
						   Cost startup, Cost total, List *pathkeys,
						   Relids required_outer, List *fdw_private)
{
#if PG_VERSION_NUM >= 180000
	return create_foreignscan_path(root, rel, NULL, rows, 0, startup, total,
								   pathkeys, required_outer, NULL, NIL,
								   fdw_private);
#elif PG_VERSION_NUM >= 170000
	return create_foreignscan_path(root, rel, NULL, rows, startup, total,
								   pathkeys, required_outer, NULL, NIL,
								   fdw_private);
#else
	return create_foreignscan_path(root, rel, NULL, rows, startup, total,
								   pathkeys, required_outer, NULL,
								   fdw_private);
#endif
}

/*
 * cf_create_foreign_upper_path
 *		create_foreign_upper_path without what the newer majors add: no
 *		disabled nodes (18), no restriction info of its own (17).
 */
static inline ForeignPath *
cf_create_foreign_upper_path(PlannerInfo *root, RelOptInfo *rel,
							 PathTarget *target, double rows, Cost startup,
							 Cost total, List *fdw_private)
{
#if PG_VERSION_NUM >= 180000
	return create_foreign_upper_path(root, rel, target, rows, 0, startup,
									 total, NIL, NULL, NIL, fdw_private);
#elif PG_VERSION_NUM >= 170000
	return create_foreign_upper_path(root, rel, target, rows, startup,
									 total, NIL, NULL, NIL, fdw_private);
#else
	return create_foreign_upper_path(root, rel, target, rows, startup,
									 total, NIL, NULL, fdw_private);
#endif
}

/*
 * cf_rt_relation
 *		The opened relation of range table entry rti, closed by the executor
 *		at its end; PostgreSQL 18 asks whether it is a result relation.
 */
static inline Relation
cf_rt_relation(EState *estate, Index rti)
{
#if PG_VERSION_NUM >= 180000
	return ExecGetRangeTableRelation(estate, rti, false);
#else
	return ExecGetRangeTableRelation(estate, rti);
#endif
}

/*
 * cf_upper_scan_user
 *		cf_scan_user of a scan without a base relation (an aggregate pushed
 *		to the API): on 15 the user comes from the range table entry of the
 *		relation it counts (rti).
 */
static inline Oid
cf_upper_scan_user(ForeignScan *plan, EState *estate, Index rti)
{
	Oid			userid;

#if PG_VERSION_NUM >= 160000
	(void) estate;
	(void) rti;
	userid = plan->checkAsUser;
#else
	userid = exec_rt_fetch(rti, estate)->checkAsUser;
#endif
	return OidIsValid(userid) ? userid : GetUserId();
}

/*
 * cf_scan_user
 *		The role whose user mapping a scan uses: the view owner's when the
 *		table is read through a view, else the current user, as postgres_fdw.
 */
static inline Oid
cf_scan_user(ForeignScan *plan, EState *estate)
{
	Oid			userid;

#if PG_VERSION_NUM >= 160000
	(void) estate;
	userid = plan->checkAsUser;
#else
	userid = exec_rt_fetch(plan->scan.scanrelid, estate)->checkAsUser;
#endif
	return OidIsValid(userid) ? userid : GetUserId();
}

/*
 * cf_modify_user
 *		The role whose user mapping a modification uses.
 */
static inline Oid
cf_modify_user(ResultRelInfo *rinfo, EState *estate)
{
	Oid			userid;

#if PG_VERSION_NUM >= 160000
	userid = ExecGetResultRelCheckAsUser(rinfo, estate);
#else
	/* a partition that rows are routed into has no range table entry */
	if (rinfo->ri_RangeTableIndex == 0)
		rinfo = rinfo->ri_RootResultRelInfo;
	userid = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate)->checkAsUser;
#endif
	return OidIsValid(userid) ? userid : GetUserId();
}

/*
 * cf_planned_inserted_cols, cf_planned_updated_cols
 *		The columns an INSERT or UPDATE names, at plan time (offset by
 *		FirstLowInvalidHeapAttributeNumber, as in the range table).
 */
static inline Bitmapset *
cf_planned_inserted_cols(PlannerInfo *root, RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 160000
	return getRTEPermissionInfo(root->parse->rteperminfos, rte)->insertedCols;
#else
	return rte->insertedCols;
#endif
}

static inline Bitmapset *
cf_planned_updated_cols(PlannerInfo *root, RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 160000
	return getRTEPermissionInfo(root->parse->rteperminfos, rte)->updatedCols;
#else
	return rte->updatedCols;
#endif
}

/*
 * cf_server_aclcheck
 *		USAGE-style privilege check on a foreign server.
 */
static inline AclResult
cf_server_aclcheck(Oid serverid, Oid roleid, AclMode mode)
{
#if PG_VERSION_NUM >= 160000
	return object_aclcheck(ForeignServerRelationId, serverid, roleid, mode);
#else
	return pg_foreign_server_aclcheck(serverid, roleid, mode);
#endif
}

/*
 * cf_create_wait_event_set
 *		A wait event set for NEVENTS.  From 17 on it is tracked by the
 *		current resource owner, so an abort that skips the caller's cleanup
 *		still closes its epoll descriptor; the caller frees it as before.
 */
static inline WaitEventSet *
cf_create_wait_event_set(int nevents)
{
#if PG_VERSION_NUM >= 170000
	return CreateWaitEventSet(CurrentResourceOwner, nevents);
#else
	return CreateWaitEventSet(CurrentMemoryContext, nevents);
#endif
}

/*
 * cf_pathkey_descending
 *		Whether a sort path key asks for descending order.
 */
static inline bool
cf_pathkey_descending(PathKey *pk)
{
#if PG_VERSION_NUM >= 180000
	return pk->pk_cmptype == COMPARE_GT;
#else
	return pk->pk_strategy == BTGreaterStrategyNumber;
#endif
}

#endif							/* CLOUDFLARE_FDW_COMPAT_H */
