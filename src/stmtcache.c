/*-------------------------------------------------------------------------
 *
 * stmtcache.c
 *		  Pages one statement already fetched, shared by its scans.
 *
 * A statement often sends the same request twice: the inner side of a
 * nested loop rescanned with the same filters, a table read by two
 * subqueries, or the organizations list read both by a scan of
 * organizations and by the fan-out of a table under an organization.  The
 * answers are kept here for the length of the statement, by request path,
 * for each connection (a server and a user mapping: one credential's pages
 * are never read under another's), within the request_cache_bytes of the
 * scan that stores them.
 *
 * A store lives in a memory context under the executor's es_query_cxt, so
 * it goes when the statement ends, on error too.  A page handed out is
 * borrowed: the store keeps it until then.  A write through the FDW
 * detaches the stores of its server (cf_stmt_cache_forget), so later reads
 * of the same statement ask the API again; the detached pages stay until
 * the statement ends, since a scan may still be reading one.
 *
 * This is not the response cache (cache.c, cache_ttl): that one outlives
 * statements, is off by default and may be shared by every backend.
 *
 * IDENTIFICATION
 *		  src/stmtcache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "page.h"
#include "request.h"
#include "connection.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

/* Longer request paths are not kept. */
#define CF_STMT_KEY_LEN 1024

/* One page, by request path. */
typedef struct CfStmtEntry
{
	char		path[CF_STMT_KEY_LEN];	/* hash key */
	int			status;
	CfPage	   *page;			/* a copy in the store's context, or NULL */
	int64		body_bytes;
} CfStmtEntry;

/* The pages of one connection in one statement. */
struct CfStmtCache
{
	MemoryContext query_cxt;	/* the statement's es_query_cxt */
	CfConnection *conn;
	Oid			server;			/* conn's server */
	MemoryContext cxt;			/* this store's memory, under query_cxt */
	HTAB	   *pages;
	int64		bytes;			/* what the pages cost, as counted below */
	bool		attached;		/* still in cf_stmt_caches */
	struct CfStmtCache *next;
};

/* The stores of the statements running in this backend. */
static CfStmtCache *cf_stmt_caches = NULL;

static void
cf_stmt_detach(CfStmtCache *sc)
{
	CfStmtCache **p;

	if (!sc->attached)
		return;
	for (p = &cf_stmt_caches; *p != NULL; p = &(*p)->next)
	{
		if (*p == sc)
		{
			*p = sc->next;
			break;
		}
	}
	sc->attached = false;
}

/* The statement's memory goes: so does its store. */
static void
cf_stmt_cache_free(void *arg)
{
	cf_stmt_detach((CfStmtCache *) arg);
}

/*
 * cf_stmt_cache
 *		The store of conn's pages in the statement whose es_query_cxt is
 *		query_cxt; created when create is true, else NULL when there is
 *		none yet.
 */
CfStmtCache *
cf_stmt_cache(MemoryContext query_cxt, CfConnection *conn, bool create)
{
	CfStmtCache *sc;
	MemoryContext cxt;
	MemoryContextCallback *cb;
	HASHCTL		ctl;

	for (sc = cf_stmt_caches; sc != NULL; sc = sc->next)
		if (sc->query_cxt == query_cxt && sc->conn == conn)
			return sc;
	if (!create)
		return NULL;

	cxt = AllocSetContextCreate(query_cxt, "cloudflare_fdw statement pages",
								ALLOCSET_DEFAULT_SIZES);
	sc = MemoryContextAllocZero(cxt, sizeof(CfStmtCache));
	sc->query_cxt = query_cxt;
	sc->conn = conn;
	sc->server = conn->server_oid;
	sc->cxt = cxt;
	ctl.keysize = CF_STMT_KEY_LEN;
	ctl.entrysize = sizeof(CfStmtEntry);
	ctl.hcxt = cxt;
	sc->pages = hash_create("cloudflare_fdw statement pages", 64, &ctl,
							HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	cb->func = cf_stmt_cache_free;
	cb->arg = sc;
	MemoryContextRegisterResetCallback(cxt, cb);
	sc->attached = true;
	sc->next = cf_stmt_caches;
	cf_stmt_caches = sc;
	return sc;
}

/*
 * cf_stmt_cache_get
 *		Answers req from the pages of the statement (status, page, body
 *		size), the page borrowed; false when it was not fetched yet.
 */
bool
cf_stmt_cache_get(CfStmtCache *sc, CfRequest *req)
{
	CfStmtEntry *e;

	if (sc == NULL || !sc->attached || strlen(req->path) >= CF_STMT_KEY_LEN)
		return false;
	e = hash_search(sc->pages, req->path, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	req->status = e->status;
	req->page = e->page;
	req->body_bytes = e->body_bytes;
	return true;
}

/*
 * cf_stmt_cache_put
 *		Keeps a copy of req's answer for the rest of the statement, while
 *		the store's pages cost at most limit bytes (the body and its item
 *		index).
 */
void
cf_stmt_cache_put(CfStmtCache *sc, const CfRequest *req, int64 limit)
{
	int64		cost = req->body_bytes +
		(req->page ? (int64) sizeof(CfSpan) * req->page->nitems : 0);
	CfStmtEntry *e;
	bool		found;

	if (!sc->attached || strlen(req->path) >= CF_STMT_KEY_LEN ||
		sc->bytes + cost > limit)
		return;
	e = hash_search(sc->pages, req->path, HASH_ENTER, &found);
	if (found)
		return;
	e->status = req->status;
	e->body_bytes = req->body_bytes;
	e->page = req->page ? cf_page_copy(req->page, sc->cxt) : NULL;
	sc->bytes += cost;
}

/*
 * cf_stmt_cache_forget
 *		A write through conn: the statements' pages fetched from its server,
 *		under any user mapping, are not answered again.  Their memory stays
 *		until each statement ends.
 */
void
cf_stmt_cache_forget(CfConnection *conn)
{
	CfStmtCache *sc = cf_stmt_caches;

	while (sc != NULL)
	{
		CfStmtCache *next = sc->next;

		if (sc->server == conn->server_oid)
			cf_stmt_detach(sc);
		sc = next;
	}
}
