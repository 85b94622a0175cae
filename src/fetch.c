/*-------------------------------------------------------------------------
 *
 * fetch.c
 *		  The pages of a scan's request streams, a round at a time.
 *
 * cf_fetch_round replaces the streams that are done with the next ones (a
 * chunk of a long IN list, the next organization named or listed by a
 * fan-out's driver, the next time window), then sends the next page of
 * every active stream at once (request.c), first asking the statement's
 * pages (stmtcache.c) and the response cache (cache.c).  Each stream's
 * answer advances its paging as the resource table says it pages (token,
 * cursor, page number, one answer) with the guards that stop a looping
 * API, and the max_requests budget bounds the whole scan.
 *
 * IDENTIFICATION
 *		  src/fetch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "cloudflare_fdw.h"
#include "page.h"
#include "ratelimit.h"
#include "request.h"
#include "common/hashfn.h"
#include "compat.h"
#include "miscadmin.h"
#include "scan.h"
#include "utils/memutils.h"
#include "utils/rel.h"

static void cf_fetch_driver_page(CfScanState *st);
static void cf_stream_request(CfScanState *st, CfStream *s, CfRequest *req);
static void cf_stream_response(CfScanState *st, CfStream *s);
static void cf_check_budget(CfScanState *st, int more);
static void cf_execute_cached(CfScanState *st, CfRequest **reqs, int n);
static bool cf_response_cache_get(CfScanState *st, CfRequest *req);

/* A stream of pages of path (of one object when single). */
CfStream *
cf_new_stream(CfScanState *st, const char *path, const char *scope, bool single)
{
	CfStream   *s = palloc0(sizeof(CfStream));

	s->path = (char *) path;
	s->scope = (char *) scope;
	s->single = single;
	s->res = st->res;
	s->page = 1;
	return s;
}

/*
 * cf_fanout_page_size
 *		The page size of the organizations list a fan-out of res reads (and
 *		a profile scan, whose rows come embedded in it): the table's
 *		page_size, within what that list allows.
 */
int
cf_fanout_page_size(const CfResource *res, const CfOptions *opts)
{
	const CfResource *orgs = cf_fanout_resource(res);

	return Max(Min(opts->page_size, orgs->max_page_size), orgs->min_page_size);
}

/*
 * cf_stream_request
 *		The request for a stream's next page.
 */
static void
cf_stream_request(CfScanState *st, CfStream *s, CfRequest *req)
{
	StringInfoData path;
	CfPaging	paging = s->res->paging;
	int			page_size = s->res != st->res
		? st->plan->org_page_size : st->plan->page_size;

	initStringInfo(&path);
	appendStringInfoString(&path, s->path);
	if (!s->single && cf_paging_sized(s->res))
	{
		appendStringInfo(&path, "%c%s=%d", strchr(s->path, '?') ? '&' : '?',
						 s->res->page_param, page_size);
		if (paging == CF_PAGING_TOKEN && s->token)
			appendStringInfo(&path, "&%s=%s", CF_TOKEN_PARAM, cf_url_escape(s->token));
		else if (paging == CF_PAGING_CURSOR && s->token)
			appendStringInfo(&path, "&%s=%s", CF_CURSOR_PARAM, cf_url_escape(s->token));
		else if (paging == CF_PAGING_PAGE)
			appendStringInfo(&path, "&%s=%d", CF_PAGE_PARAM, s->page);
	}

	memset(req, 0, sizeof(CfRequest));
	req->res = s->res;
	req->method = "GET";
	req->path = path.data;
	req->as_page = true;
	req->not_found_ok = s->single || s->scope != NULL;
	s->req = req;
}

/*
 * cf_page_edges_hash
 *		A hash of a page's size and of the JSON text of its first and last
 *		items: two consecutive pages of a list never share it.
 */
static uint64
cf_page_edges_hash(CfPage *page)
{
	CfSpan		first = page->items[0];
	CfSpan		last = page->items[page->nitems - 1];
	uint64		h = hash_bytes_extended((const unsigned char *) page->text + first.off,
										first.len, (uint64) page->nitems);

	if (page->nitems > 1)
		h = hash_bytes_extended((const unsigned char *) page->text + last.off,
								last.len, h);
	return h;
}

/*
 * cf_stream_response
 *		Takes the items of a stream's page and advances its paging.  A page
 *		token that does not move, or a page identical to the one before,
 *		would make the scan loop forever: both stop it with an ERROR.
 */
static void
cf_stream_response(CfScanState *st, CfStream *s)
{
	CfRequest  *req = s->req;
	CfPage	   *page = req->page;
	CfPaging	paging = s->res->paging;
	int			page_size = s->res != st->res
		? st->plan->org_page_size : st->plan->page_size;

	s->cur_page = NULL;
	s->items = NULL;
	s->nitems = 0;
	s->next = 0;
	s->pages++;
	st->stats.pages++;

	if (st->stats.pages > st->opts.max_pages)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("scan of foreign table \"%s\" exceeded max_pages (%d)",
						RelationGetRelationName(st->rel), st->opts.max_pages),
				 errhint("Add a filter, or raise the max_pages option.")));

	if (req->status == 404)
	{
		s->done = true;
		return;
	}

	if (page == NULL || !page->has_result)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Cloudflare API response has no \"result\""),
				 errcontext("request: GET %s", req->path)));
	s->cur_page = page;

	if (s->single)
	{
		if (page->result_kind == '{')
		{
			s->items = &page->result;
			s->nitems = 1;
		}
		else if (page->result_kind != 'n')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Cloudflare API response \"result\" is not an object"),
					 errcontext("request: GET %s", req->path)));
		s->done = true;
		return;
	}

	if (page->result_kind != '[')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Cloudflare API response \"result\" is not an array"),
				 errcontext("request: GET %s", req->path)));

	/* a count reads the list's total, not its one item */
	if (st->count_mode && s->res == st->res)
	{
		if (page->total_size < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API response has no result_info.total_size to count"),
					 errcontext("request: GET %s", req->path)));
		s->total = page->total_size;
		s->done = true;
		return;
	}

	s->items = page->items;
	s->nitems = page->nitems;

	if (paging == CF_PAGING_ONCE)
		s->done = true;
	else if (paging == CF_PAGING_TOKEN || paging == CF_PAGING_CURSOR)
	{
		const char *next = paging == CF_PAGING_TOKEN ? page->next_page_token
			: page->next_cursor;

		if (next == NULL || next[0] == '\0' || s->nitems == 0)
			s->done = true;
		else if (s->token && strcmp(next, s->token) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API returned the same %s it was sent while paging foreign table \"%s\"",
							paging == CF_PAGING_TOKEN ? "next_page_token" : "cursor",
							RelationGetRelationName(st->rel)),
					 errdetail("GET %s: the scan stopped after %lld pages instead of looping.",
							   s->path, (long long) s->pages)));
		else
			s->token = MemoryContextStrdup(st->scan_cxt, next);
	}

	/*
	 * A page that repeats the one before (the same first and last items,
	 * whatever its token) means the API is not moving on.
	 */
	if (s->nitems > 0)
	{
		uint64		edges = cf_page_edges_hash(page);

		if (s->pages > 1 && edges == s->last_edges)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Cloudflare API returned the same page twice while paging foreign table \"%s\"",
							RelationGetRelationName(st->rel)),
					 errdetail("Page %lld of GET %s repeats the page before it; the scan stopped instead of looping.",
							   (long long) s->pages, s->path)));
		s->last_edges = edges;
	}

	if (paging == CF_PAGING_PAGE)
	{
		if (s->nitems < page_size)
			s->done = true;
		else
			s->page++;
	}
}

/*
 * cf_check_budget
 *		Stops a scan that would send more than max_requests requests.
 */
static void
cf_check_budget(CfScanState *st, int more)
{
	st->sent += more;
	st->budget_used += more;
	if (st->budget_used > st->opts.max_requests)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("scan of foreign table \"%s\" would send more than max_requests (%d) requests to the Cloudflare API",
						RelationGetRelationName(st->rel), st->opts.max_requests),
				 st->res->scope_column
				 ? errhint("Filter on %s (for example \"%s = '...'\") to avoid one request per organization, or raise the max_requests option.",
						   st->res->scope_column, st->res->scope_column)
				 : errhint("Add a filter the API can apply, or raise the max_requests option.")));
}

/*
 * cf_response_cache_get
 *		Answers a page request from the response cache when it holds the
 *		page, fresh within cache_ttl: the text is read as a fetched page
 *		is.  False when the request must be sent.
 */
static bool
cf_response_cache_get(CfScanState *st, CfRequest *req)
{
	uint32		len;
	int64		age_ms;
	char	   *text;
	CfPage	   *page;
	char		errbuf[128];
	bool		truncated;

	if (!req->as_page || strcmp(req->method, "GET") != 0)
		return false;
	text = cf_cache_get(st->conn, req->path, st->opts.cache_ttl, &len, &age_ms);
	if (text == NULL)
	{
		cf_stats_cache(st->conn, false);
		return false;
	}
	page = cf_page_parse(text, len, errbuf, sizeof(errbuf), &truncated);
	if (page == NULL)
	{
		pfree(text);
		return false;			/* cannot happen: it was stored parsed */
	}
	req->status = 200;
	req->page = page;
	req->body_bytes = len;
	st->stats.response_hits++;
	st->stats.response_oldest_ms = Max(st->stats.response_oldest_ms, age_ms);
	cf_stats_cache(st->conn, true);
	return true;
}

/*
 * cf_execute_cached
 *		Runs the requests of one round, answering from the statement's
 *		pages (stmtcache.c) those it already sent through this connection,
 *		then from the response cache (cache_ttl), and keeping the new
 *		answers for the rest of the statement while they fit.  A page
 *		from the statement's pages is borrowed: they keep it until the
 *		statement ends.
 */
static void
cf_execute_cached(CfScanState *st, CfRequest **reqs, int n)
{
	CfRequest **miss = palloc(sizeof(CfRequest *) * n);
	int			nmiss = 0;

	if (st->opts.request_cache_bytes > 0)
		st->pages = cf_stmt_cache(st->query_cxt, st->conn, false);
	for (int i = 0; i < n; i++)
	{
		if (cf_stmt_cache_get(st->pages, reqs[i]))
			st->stats.cache_hits++;
		else
			miss[nmiss++] = reqs[i];
	}
	if (nmiss == 0)
		return;

	/* the response cache (cache_ttl) answers what it holds */
	if (st->opts.cache_ttl > 0)
	{
		int			nfetch = 0;

		for (int i = 0; i < nmiss; i++)
		{
			if (!cf_response_cache_get(st, miss[i]))
				miss[nfetch++] = miss[i];
		}
		nmiss = nfetch;
		if (nmiss == 0)
			return;
	}

	cf_check_budget(st, nmiss);
	cf_execute(st->conn, miss, nmiss, &st->stats);

	if (st->opts.cache_ttl > 0)
	{
		for (int i = 0; i < nmiss; i++)
		{
			CfRequest  *r = miss[i];

			if (r->status >= 200 && r->status < 300 && r->page != NULL &&
				r->page->success != 0)
				cf_cache_put(st->conn, r->path, r->page->text, r->page->len);
		}
	}

	if (st->opts.request_cache_bytes <= 0)
		return;
	st->pages = cf_stmt_cache(st->query_cxt, st->conn, true);
	for (int i = 0; i < nmiss; i++)
		cf_stmt_cache_put(st->pages, miss[i], st->opts.request_cache_bytes);
}

/*
 * cf_fetch_driver_page
 *		The next page of the organizations list a fan-out visits; its ids
 *		become the scopes of the next streams.
 */
static void
cf_fetch_driver_page(CfScanState *st)
{
	CfStream   *d = st->driver;
	CfRequest  *req = palloc0(sizeof(CfRequest));
	MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);

	cf_stream_request(st, d, req);
	cf_execute_cached(st, &req, 1);
	cf_stream_response(st, d);

	/*
	 * With the total known after the first page, a fan-out that cannot
	 * fit in max_requests fails now rather than half-way.
	 */
	if (d->pages == 1)
	{
		int64		orgs = -1;

		if (d->done)
			orgs = d->nitems;
		else if (d->cur_page != NULL)
			orgs = d->cur_page->total_size;

		if (orgs >= 0)
		{
			int64		org_page = st->plan->org_page_size;
			int64		need = orgs + (orgs + org_page - 1) / org_page;

			if (need > st->opts.max_requests)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("scan of foreign table \"%s\" would need about " INT64_FORMAT " requests, more than max_requests (%d)",
								RelationGetRelationName(st->rel), need,
								st->opts.max_requests),
						 errdetail("It visits each of the " INT64_FORMAT " organizations the credentials can see.",
								   orgs),
						 errhint("Filter on %s (for example \"%s = '...'\" or \"%s IN (...)\"), or raise the max_requests option.",
								 st->res->scope_column, st->res->scope_column,
								 st->res->scope_column)));
		}
	}

	MemoryContextSwitchTo(st->scan_cxt);
	for (int i = 0; i < d->nitems; i++)
	{
		CfSpan		id;
		char	   *scope;

		if (cf_page_field(d->cur_page, d->items[i], "id", &id) &&
			(scope = cf_page_string(d->cur_page, id)) != NULL)
			st->scopes = lappend(st->scopes, scope);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->batch_cxt);
}

/*
 * cf_fetch_round
 *		Fetches the next page of every active stream at once (up to
 *		max_concurrency requests in flight), after replacing finished
 *		streams with the next organizations to visit.  Returns false when
 *		no stream is left.
 */
bool
cf_fetch_round(CfScanState *st)
{
	const CfResource *res = st->res;
	CfRequest **reqs;
	CfRequest  *reqarr;
	int			n = 0;
	MemoryContext old;

	for (int i = 0; i < st->nactive; i++)
		if (!st->active[i]->done)
			st->active[n++] = st->active[i];
	st->nactive = n;

	MemoryContextReset(st->batch_cxt);
	while (st->nactive < st->opts.max_concurrency)
	{
		char	   *scope;
		char	   *path;
		char	   *query;

		if (st->chunks != NIL)
		{
			old = MemoryContextSwitchTo(st->scan_cxt);
			st->active[st->nactive++] = cf_new_stream(st, linitial(st->chunks),
													  NULL, false);
			st->chunks = list_delete_first(st->chunks);
			MemoryContextSwitchTo(old);
			continue;
		}
		if (st->scopes == NIL)
		{
			if (st->driver && !st->driver->done)
			{
				cf_fetch_driver_page(st);
				continue;
			}
			break;
		}
		/* a scope's streams: one per window of time, or just one */
		scope = linitial(st->scopes);
		old = MemoryContextSwitchTo(st->scan_cxt);
		path = cf_fill_path(res->list_path, scope, st->path_id);
		query = st->query ? st->query : "";
		if (st->windows != NIL)
			query = psprintf("%s%s", query,
							 (char *) list_nth(st->windows, st->next_window++));
		if (st->next_window >= list_length(st->windows))
		{
			st->next_window = 0;
			st->scopes = list_delete_first(st->scopes);
		}
		if (query[0])
			path = psprintf("%s?%s", path, query + 1);
		st->active[st->nactive++] = cf_new_stream(st, path, scope,
												  res->paging == CF_PAGING_NONE);
		MemoryContextSwitchTo(old);
	}
	if (st->nactive == 0)
		return false;

	old = MemoryContextSwitchTo(st->batch_cxt);
	reqs = palloc(sizeof(CfRequest *) * st->nactive);
	reqarr = palloc0(sizeof(CfRequest) * st->nactive);
	for (int i = 0; i < st->nactive; i++)
	{
		reqs[i] = &reqarr[i];
		cf_stream_request(st, st->active[i], reqs[i]);
	}
	cf_execute_cached(st, reqs, st->nactive);
	for (int i = 0; i < st->nactive; i++)
		cf_stream_response(st, st->active[i]);
	MemoryContextSwitchTo(old);
	st->cur = 0;
	return true;
}

