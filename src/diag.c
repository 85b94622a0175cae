/*-------------------------------------------------------------------------
 *
 * diag.c
 *		  SQL functions for operators: checking credentials, the request
 *		  counters, and the state of the rate budget.
 *
 * cloudflare_fdw_check() sends one cheap request per resource with the
 * current user's credentials and turns every failure into a row saying why,
 * so that it can run from a dashboard or a monitoring job: each request
 * runs in a subtransaction, as a PL/pgSQL exception block does, and its
 * error is caught, copied and flushed, leaving the transaction usable.
 * Only a cancel (or statement_timeout) goes through as the error it is.
 *
 * Nothing here prints a credential: the errors come from request.c and
 * connection.c, which never put one in a message.
 *
 * IDENTIFICATION
 *		  src/diag.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "cloudflare_fdw.h"
#include "page.h"
#include "pushdown.h"
#include "ratelimit.h"
#include "request.h"
#include "compat.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

/* The FDW's handler, which tells our servers from others. */
extern Datum cloudflare_fdw_handler(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(cloudflare_fdw_check);
PG_FUNCTION_INFO_V1(cloudflare_fdw_stats);
PG_FUNCTION_INFO_V1(cloudflare_fdw_stats_reset);
PG_FUNCTION_INFO_V1(cloudflare_fdw_rate_budget);
PG_FUNCTION_INFO_V1(cloudflare_fdw_cache_clear);
PG_FUNCTION_INFO_V1(cloudflare_fdw_cache_clear_server);
PG_FUNCTION_INFO_V1(cloudflare_fdw_cache_info);

#define CF_CHECK_COLS	6
#define CF_STATS_COLS	14
#define CF_BUDGET_COLS	6

/* What cf_diag_try runs. */
typedef void (*CfDiagFn) (void *arg);

/* The current user's connection to a server, for cf_diag_connect. */
typedef struct CfDiagConnect
{
	ForeignServer *server;
	CfConnection *conn;
} CfDiagConnect;

/* One request of the check, for cf_check_call. */
typedef struct CfCheckCall
{
	CfConnection *conn;
	CfRequest  *req;
} CfCheckCall;

static ForeignServer *cf_diag_server(const char *name);
static ErrorData *cf_diag_try(CfDiagFn fn, void *arg);
static void cf_diag_connect(void *arg);
static void cf_check_call(void *arg);
static char *cf_check_diagnosis(const CfResource *res, ErrorData *edata,
								const CfFailureRecord *failure);
static char *cf_first_id(const CfPage *page);
static bool cf_needs_path_id(const CfResource *res);
static void cf_check_row(ReturnSetInfo *rsinfo, const char *resource,
						 int reachable, int status, const char *request,
						 const char *diagnosis, const char *detail);

/*
 * cf_diag_server
 *		A foreign server of this wrapper that the current user may use.
 */
static ForeignServer *
cf_diag_server(const char *name)
{
	ForeignServer *server = GetForeignServerByName(name, false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	FmgrInfo	finfo;
	AclResult	aclresult;

	if (OidIsValid(fdw->fdwhandler))
		fmgr_info(fdw->fdwhandler, &finfo);
	if (!OidIsValid(fdw->fdwhandler) ||
		finfo.fn_addr != cloudflare_fdw_handler)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a cloudflare_fdw server",
						name)));

	aclresult = cf_server_aclcheck(server->serverid, GetUserId(),
										   ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	return server;
}

/*
 * cf_diag_try
 *		Runs fn in a subtransaction and returns its error, or NULL.  The
 *		error is copied into the caller's memory context and flushed, and
 *		the subtransaction rolled back, as PL/pgSQL's exception blocks do;
 *		a cancel or statement_timeout is raised again.
 */
static ErrorData *
cf_diag_try(CfDiagFn fn, void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	/* run in the caller's context, so that results outlive the subxact */
	MemoryContextSwitchTo(oldcxt);

	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();

	if (edata != NULL && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		ReThrowError(edata);
	return edata;
}

/* The current user's mapping and connection (errors if there is none). */
static void
cf_diag_connect(void *arg)
{
	CfDiagConnect *c = (CfDiagConnect *) arg;
	Oid			serverid = c->server->serverid;
	UserMapping *um;

	if (!SearchSysCacheExists2(USERMAPPINGUSERSERVER,
							   ObjectIdGetDatum(GetUserId()),
							   ObjectIdGetDatum(serverid)) &&
		!SearchSysCacheExists2(USERMAPPINGUSERSERVER,
							   ObjectIdGetDatum(InvalidOid),
							   ObjectIdGetDatum(serverid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no user mapping for the current user on server \"%s\"",
						c->server->servername),
				 errhint("Create one: CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (api_token '...').",
						 quote_identifier(c->server->servername))));
	um = GetUserMapping(GetUserId(), serverid);
	c->conn = cf_get_connection(c->server, um);
}

static void
cf_check_call(void *arg)
{
	CfCheckCall *c = (CfCheckCall *) arg;

	cf_execute(c->conn, &c->req, 1, NULL);
}

/*
 * cf_check_diagnosis
 *		One sentence on what a failed check means and what to do.
 */
static char *
cf_check_diagnosis(const CfResource *res, ErrorData *edata,
				   const CfFailureRecord *failure)
{
	int			status = failure->status;
	const char *said = edata->message;

	/* Cloudflare's own words, without request.c's prefix */
	if (strncmp(said, "Cloudflare API error: ", 22) == 0)
		said = said + 22;

	if (status == 401)
		return psprintf("Cloudflare did not accept the credentials (HTTP 401: \"%s\"): check option \"api_token\", or \"api_email\" and \"api_key\", of the user mapping",
						said);
	if (status == 403 && res->beta)
		return psprintf("Cloudflare refused the credentials (HTTP 403: \"%s\"): the token or key may be wrong or revoked, lack the \"%s Read\" permission, or belong to an account without the Organizations beta; Cloudflare answers all of these with 403 and code 10000, so check each",
						said, res->token_group);
	if (status == 403)
		return psprintf("Cloudflare refused the credentials (HTTP 403: \"%s\"): the token or key may be wrong or revoked, or lack the \"%s Read\" permission",
						said, res->token_group);
	if (status == 400 && (cf_failure_has_code(failure, 6003) ||
						  cf_failure_has_code(failure, 9106)))
		return psprintf("Cloudflare found the credentials malformed or missing (HTTP 400: \"%s\"): check the user mapping",
						said);
	if (status == 429 || edata->sqlerrcode == ERRCODE_FDW_UNABLE_TO_CREATE_REPLY)
		return psprintf("rate limited: Cloudflare allows 1200 requests per 5 minutes per user, then blocks all of the user's calls for 5 minutes%s%s",
						edata->hint ? "; " : "", edata->hint ? edata->hint : "");
	if (status == 404)
		return psprintf("the API has no such path (HTTP 404: \"%s\"): check the server's api_url",
						said);
	if (status >= 500)
		return psprintf("the API is unavailable (HTTP %d): try again later",
						status);
	if (status > 0)
		return psprintf("HTTP %d: %s", status, said);
	if (edata->hint != NULL)
		return psprintf("%s: %s", said, edata->hint);
	return pstrdup(said);
}

/* The "id" of the first item of a list answer, or NULL. */
static char *
cf_first_id(const CfPage *page)
{
	CfSpan		id;

	if (page == NULL || page->result_kind != '[' || page->nitems == 0 ||
		!cf_page_field(page, page->items[0], "id", &id))
		return NULL;
	return cf_page_string(page, id);
}

/* Appends one row of cloudflare_fdw_check(); reachable -1 and status 0 are NULL. */
static void
cf_check_row(ReturnSetInfo *rsinfo, const char *resource, int reachable,
			 int status, const char *request, const char *diagnosis,
			 const char *detail)
{
	Datum		values[CF_CHECK_COLS];
	bool		nulls[CF_CHECK_COLS];

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(resource);
	if (reachable < 0)
		nulls[1] = true;
	else
		values[1] = BoolGetDatum(reachable != 0);
	if (status <= 0)
		nulls[2] = true;
	else
		values[2] = Int32GetDatum(status);
	if (request == NULL)
		nulls[3] = true;
	else
		values[3] = CStringGetTextDatum(request);
	values[4] = CStringGetTextDatum(diagnosis);
	if (detail == NULL)
		nulls[5] = true;
	else
		values[5] = CStringGetTextDatum(detail);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * cloudflare_fdw_check(server name)
 *		One row per resource: whether the current user's credentials reach
 *		it, the HTTP status, the request sent, and why not.  The resources
 *		under an organization are tried on the first organization the
 *		credentials see.  Never raises an error for what the API answers.
 */
Datum
cloudflare_fdw_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ForeignServer *server = cf_diag_server(NameStr(*PG_GETARG_NAME(0)));
	CfDiagConnect dc;
	ErrorData  *edata;
	char	   *org_id = NULL;
	bool		orgs_failed = false;

	InitMaterializedSRF(fcinfo, 0);

	dc.server = server;
	dc.conn = NULL;
	edata = cf_diag_try(cf_diag_connect, &dc);
	if (edata != NULL)
	{
		char	   *why = edata->hint
		? psprintf("%s: %s", edata->message, edata->hint)
		: edata->message;

		for (int i = 0; i < CF_RES_COUNT; i++)
			cf_check_row(rsinfo, cf_resource_by_id((CfResourceId) i)->name,
						 0, 0, NULL, why, edata->detail);
		PG_RETURN_VOID();
	}

	for (int i = 0; i < CF_RES_COUNT; i++)
	{
		const CfResource *res = cf_resource_by_id((CfResourceId) i);
		bool		scoped = cf_path_takes(res->list_path, CF_PATH_SCOPE);
		StringInfoData path;
		CfRequest	req;
		CfCheckCall call;
		int			status;

		if (scoped && org_id == NULL)
		{
			cf_check_row(rsinfo, res->name, -1, 0, NULL,
						 orgs_failed
						 ? "not checked: the organizations could not be listed"
						 : "not checked: the credentials see no organization",
						 NULL);
			continue;
		}

		if (cf_needs_path_id(res))
		{
			cf_check_row(rsinfo, res->name, -1, 0, NULL,
						 "not checked: a request needs an audit log entry's id; the audit logs' check covers its permission",
						 NULL);
			continue;
		}

		initStringInfo(&path);
		appendStringInfoString(&path,
							   cf_fill_path(res->list_path, org_id, NULL));
		appendStringInfoChar(&path, '?');
		if (res->window)
		{
			CfWindowBounds wb;
			List	   *frags;
			char	   *why;

			/* today's window: the smallest the API takes */
			cf_window_init(&wb);
			cf_window_add(&wb, CF_OP_LOWER, CF_BOUND_GE,
						  GetCurrentStatementStartTimestamp());
			if (cf_window_fragments(res, &wb, GetCurrentStatementStartTimestamp(),
									false, &frags, &why) == CF_VALUE_SEND &&
				frags != NIL)
				appendStringInfoString(&path, (char *) linitial(frags) + 1);
		}
		if (cf_paging_sized(res))
			appendStringInfo(&path, "%s%s=%d", path.data[path.len - 1] == '?' ? "" : "&",
							 res->page_param, Max(res->min_page_size, 1));
		if (path.data[path.len - 1] == '?')
			path.data[--path.len] = '\0';

		memset(&req, 0, sizeof(req));
		req.res = res;
		req.method = "GET";
		req.path = path.data;
		req.not_found_ok = (res->paging == CF_PAGING_NONE);
		call.conn = dc.conn;
		call.req = &req;

		edata = cf_diag_try(cf_check_call, &call);
		if (edata != NULL)
		{
			status = req.failure.status;
			if (res == cf_fanout_resource(res))
				orgs_failed = true;
			cf_check_row(rsinfo, res->name, 0, status,
						 psprintf("GET %s", path.data),
						 cf_check_diagnosis(res, edata, &req.failure),
						 edata->detail);
			FreeErrorData(edata);
			continue;
		}

		if (res == cf_fanout_resource(res))
			org_id = cf_first_id(req.page);
		cf_check_row(rsinfo, res->name, 1, req.status,
					 psprintf("GET %s", path.data),
					 req.status == 404
					 ? "ok: the organization has no profile, which is no error"
					 : "ok",
					 NULL);
		cf_request_release(&req);
	}

	PG_RETURN_VOID();
}

/* Whether a resource's requests name an object in the path ({id}). */
static bool
cf_needs_path_id(const CfResource *res)
{
	for (int i = 0; i < res->nfilters; i++)
		if (res->filters[i].flags & CF_FLT_PATH_ID)
			return true;
	return false;
}

/*
 * cloudflare_fdw_stats()
 *		The request counters per server: this backend's ("backend") and,
 *		when the library is preloaded, every backend's in this database
 *		("shared").
 */
Datum
cloudflare_fdw_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);

	for (int scope = 0; scope < 2; scope++)
	{
		Oid		   *servers;
		CfCounters *counters;
		int			n = cf_stats_snapshot(scope == 1, &servers, &counters);

		for (int i = 0; i < n; i++)
		{
			Datum		values[CF_STATS_COLS];
			bool		nulls[CF_STATS_COLS];
			ForeignServer *server = GetForeignServerExtended(servers[i],
															 FSV_MISSING_OK);
			CfCounters *c = &counters[i];
			int			col = 0;

			memset(nulls, 0, sizeof(nulls));
			values[col++] = CStringGetTextDatum(scope == 1 ? "shared" : "backend");
			if (server == NULL)
				nulls[col++] = true;	/* dropped since */
			else
				values[col++] = DirectFunctionCall1(namein,
													CStringGetDatum(server->servername));
			values[col++] = Int64GetDatum(c->requests);
			values[col++] = Int64GetDatum(c->retries);
			values[col++] = Int64GetDatum(c->rate_limited);
			values[col++] = Int64GetDatum(c->pages);
			values[col++] = Int64GetDatum(c->rows);
			values[col++] = Int64GetDatum(c->bytes);
			values[col++] = Float8GetDatum(c->api_wait_us / 1000.0);
			values[col++] = Float8GetDatum(c->budget_wait_us / 1000.0);
			/* extension 1.2 added the connection counters */
			if (rsinfo->setDesc->natts >= CF_STATS_COLS)
			{
				values[col++] = Int64GetDatum(c->connections_opened);
				values[col++] = Int64GetDatum(c->connections_reused);
				values[col++] = Int64GetDatum(c->cache_hits);
				values[col++] = Int64GetDatum(c->cache_misses);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 values, nulls);
		}
	}
	PG_RETURN_VOID();
}

/*
 * cloudflare_fdw_stats_reset()
 *		Zeroes this backend's counters and the shared ones of this database.
 */
Datum
cloudflare_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	cf_stats_reset();
	PG_RETURN_VOID();
}

/*
 * cloudflare_fdw_rate_budget(server name)
 *		The rate budget a server's requests are paced with: the mode
 *		("shared" by every backend, "backend" when the library is not
 *		preloaded, "off"), the budget, and for the current user's
 *		credentials the requests that could start now and until when the
 *		API blocks them.
 */
Datum
cloudflare_fdw_rate_budget(PG_FUNCTION_ARGS)
{
	ForeignServer *server = cf_diag_server(NameStr(*PG_GETARG_NAME(0)));
	CfOptions	opts;
	TupleDesc	tupdesc;
	Datum		values[CF_BUDGET_COLS];
	bool		nulls[CF_BUDGET_COLS];
	bool		off;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	cf_get_server_options(server, &opts);
	off = !cf_rate_limit_enabled || opts.rate_limit_requests <= 0;

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(off ? "off" :
									cf_rate_shared() ? "shared" : "backend");
	values[1] = Int32GetDatum(opts.rate_limit_requests);
	values[2] = Int32GetDatum(opts.rate_limit_window_ms / 1000);
	values[3] = Int32GetDatum(cf_rate_burst(opts.rate_limit_requests));
	nulls[4] = nulls[5] = true;
	if (off)
		nulls[3] = true;
	else
	{
		CfDiagConnect dc;
		ErrorData  *edata;

		dc.server = server;
		dc.conn = NULL;
		edata = cf_diag_try(cf_diag_connect, &dc);
		if (edata == NULL)
		{
			double		available;
			TimestampTz blocked_until;

			cf_rate_peek(dc.conn, &available, &blocked_until);
			values[4] = Float8GetDatum(available);
			nulls[4] = false;
			if (blocked_until != 0)
			{
				values[5] = TimestampTzGetDatum(blocked_until);
				nulls[5] = false;
			}
		}
		else
			FreeErrorData(edata);
	}

	/*
	 * From version 1.1 of the extension the function returns SETOF, so that
	 * a NULL server gives no row (as cloudflare_fdw_check() does) rather
	 * than a row of NULLs; a database still at 1.0 calls it for one row.
	 */
	if (fcinfo->resultinfo != NULL && IsA(fcinfo->resultinfo, ReturnSetInfo))
	{
		ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

		InitMaterializedSRF(fcinfo, 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		return (Datum) 0;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values,
													  nulls)));
}

/*
 * cloudflare_fdw_cache_clear()
 *		Empties the response cache; returns the pages removed.
 */
Datum
cloudflare_fdw_cache_clear(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(cf_cache_forget(InvalidOid));
}

/*
 * cloudflare_fdw_cache_clear(server name)
 *		Removes one server's pages from the response cache.
 */
Datum
cloudflare_fdw_cache_clear_server(PG_FUNCTION_ARGS)
{
	ForeignServer *server = cf_diag_server(NameStr(*PG_GETARG_NAME(0)));

	PG_RETURN_INT64(cf_cache_forget(server->serverid));
}

/*
 * cloudflare_fdw_cache_info()
 *		The response cache: shared or this backend's, its size, what it
 *		holds, and its counters since the server (or backend) started.
 */
Datum
cloudflare_fdw_cache_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};
	CfCacheInfo info;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	cf_cache_info(&info);
	values[0] = CStringGetTextDatum(info.shared ? "shared" : "backend");
	values[1] = Int64GetDatum(info.size_bytes);
	values[2] = Int64GetDatum(info.used_bytes);
	values[3] = Int64GetDatum(info.entries);
	values[4] = Int64GetDatum(info.page_bytes);
	values[5] = Int64GetDatum(info.hits);
	values[6] = Int64GetDatum(info.misses);
	values[7] = Int64GetDatum(info.stores);
	values[8] = Int64GetDatum(info.evictions);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
