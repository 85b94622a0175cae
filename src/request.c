/*-------------------------------------------------------------------------
 *
 * request.c
 *		  Running Cloudflare API requests from a backend: concurrency,
 *		  waiting, cancel, retries, and reading the answers.
 *
 * cf_execute runs a batch of requests through http.c, at most
 * max_concurrency at once, and returns when every one has an answer.  It
 * waits on a WaitEventSet holding the backend's latch and the sockets
 * libcurl asks for, so query cancel, statement_timeout and
 * pg_terminate_backend act at once, even mid-response or during a backoff:
 * the latch wakes the wait and CHECK_FOR_INTERRUPTS raises PostgreSQL's own
 * error.  Any error leaving the loop stops the transfers still in flight
 * (PG_CATCH).  Each body arrives as text and is read once, here, by
 * page.c: the same index serves a scan's page, an error envelope, a
 * write's answer and a diagnostic, and all of it is palloc'd, so nothing
 * outlives the caller's memory context.
 *
 * Whether a finished attempt is an answer, a retry or a failure, and the
 * error a failure raises, are failure.c's (cf_judge).
 *
 * IDENTIFICATION
 *		  src/request.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <time.h>

#include "cloudflare_fdw.h"
#include "convert.h"
#include "page.h"
#include "ratelimit.h"
#include "request.h"
#include "compat.h"
#include "common/pg_prng.h"
#include "connection.h"
#include "http.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "request_int.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#define CF_USER_AGENT		"cloudflare_fdw/" CF_FDW_VERSION

/*
 * Backoff before retry n (1-based) when the server names no wait:
 * CF_BACKOFF_BASE_MS * 2^(n-1), capped, then "equal jitter" (a random
 * point in its upper half) so that concurrent requests spread out without
 * any of them retrying at once.
 */
#define CF_BACKOFF_BASE_MS	250
#define CF_BACKOFF_CAP_MS	8000

/* The longest single wait; a safety net against a lost wakeup. */
#define CF_MAX_WAIT_MS		1000

static bool cf_rate_acquire(CfExec *ex);
static void cf_exec_count_wait(CfExec *ex, TimestampTz start);
static void cf_exec_loop(CfExec *ex);
static void cf_exec_start_due(CfExec *ex);
static void cf_exec_start(CfExec *ex, CfReqState *rs);
static void cf_exec_collect(CfExec *ex);
static void cf_exec_wait(CfExec *ex, long timeout);
static void cf_exec_action(CfExec *ex, curl_socket_t fd, int events);
static void cf_exec_rebuild_wes(CfExec *ex);
static long cf_exec_timeout(CfExec *ex);
static void cf_exec_cleanup(CfExec *ex);
static void cf_exec_finish(CfExec *ex, CfReqState *rs, CfHttpTransfer *xfer);
static void cf_exec_read_body(CfExec *ex, CfReqState *rs, CfHttpResult *res);

/*
 * cf_rate_acquire
 *		Takes one request from the rate budget of the connection's
 *		credentials (ratelimit.c), before every attempt.  When the budget is
 *		spent, the next attempt gets a turn: every new attempt of this call
 *		is held until then, and it returns false; the loop then waits on the
 *		latch and the sockets of the attempts already running, so those go
 *		on and cancel acts at once, and calls again when the turn has come.
 *		A block the API asked for (a 429, or a Ratelimit header saying
 *		nothing remains) that lasts longer than max_retry_wait fails at
 *		once, as a Retry-After that long does.
 */
static bool
cf_rate_acquire(CfExec *ex)
{
	bool		blocked;
	long		wait_ms = cf_rate_try(ex->conn, ex->rate_reserved, &blocked);
	TimestampTz now = GetCurrentTimestamp();

	if (wait_ms <= 0)
	{
		ex->rate_reserved = false;
		if (ex->throttled_since != 0)
		{
			CfCounters	d = {0};

			d.budget_wait_us = now - ex->throttled_since;
			cf_stats_add(ex->conn, &d);
			if (ex->stats)
				ex->stats->budget_wait_us += d.budget_wait_us;
			ex->throttled_since = 0;
		}
		return true;
	}
	if (blocked && wait_ms > ex->conn->max_retry_wait_ms)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_REPLY),
				 errmsg("Cloudflare API rate limit exceeded"),
				 errdetail("Cloudflare's rate limit allows no request with these credentials for %ld s more.",
						   (wait_ms + 999) / 1000),
				 errhint("Retry later, or raise max_retry_wait (%d s) to wait for the block to end.",
						 ex->conn->max_retry_wait_ms / 1000)));
	if (!blocked)
		ex->rate_reserved = true;
	if (ex->throttled_since == 0)
		ex->throttled_since = now;
	ex->hold_until = Max(ex->hold_until,
						 TimestampTzPlusMilliseconds(now, wait_ms));
	return false;
}

/*
 * cf_exec_count_wait
 *		Counts the time a cf_execute call took, and the part of it the rate
 *		budget held requests back, in cloudflare_fdw_stats().  Cannot fail.
 */
static void
cf_exec_count_wait(CfExec *ex, TimestampTz start)
{
	TimestampTz now = GetCurrentTimestamp();
	CfCounters	d = {0};

	d.api_wait_us = now - start;
	if (ex->throttled_since != 0)
	{
		d.budget_wait_us = now - ex->throttled_since;
		if (ex->stats)
			ex->stats->budget_wait_us += d.budget_wait_us;
	}
	cf_stats_add(ex->conn, &d);
	cf_stats_flush();
}

/*
 * cf_execute
 *		Runs nreqs requests, at most max_concurrency at once, retrying what
 *		may be retried, and returns when each has its answer in status,
 *		page (for a 2xx answer with a body) and body_bytes.  Any failure is
 *		an ERROR.
 *
 * Pages are palloc'd in the memory context current at the call, and freed
 * with it, or earlier by cf_request_release.
 */
void
cf_execute(CfConnection *conn, CfRequest **reqs, int nreqs, CfStats *stats)
{
	CfExec	   *ex;
	TimestampTz start;

	if (nreqs <= 0)
		return;
	if (conn == NULL || conn->headers == NULL)
		elog(ERROR, "cloudflare_fdw connection used after it was released");

	CHECK_FOR_INTERRUPTS();
	start = GetCurrentTimestamp();

	/*
	 * Keep as many idle connections as this server's requests can use at
	 * once; writes that must not be resent use their own, closed after.
	 */
	cf_http_set_max_connects(conn->http, conn->max_concurrency);

	ex = palloc0(sizeof(CfExec));
	ex->conn = conn;
	ex->cxt = CurrentMemoryContext;
	ex->http = conn->http;
	ex->nreqs = nreqs;
	ex->stats = stats;
	ex->rs = palloc0(sizeof(CfReqState) * nreqs);

	for (int i = 0; i < nreqs; i++)
	{
		CfReqState *rs = &ex->rs[i];
		CfRequest  *req = reqs[i];

		req->status = 0;
		req->page = NULL;
		req->body_bytes = 0;
		req->outcome_unknown = false;
		req->outcome_reported = false;
		memset(&req->failure, 0, sizeof(req->failure));

		rs->req = req;
		rs->url = psprintf("%s%s%s", conn->base_url,
						   req->path[0] == '/' ? "" : "/", req->path);
		rs->idempotent = strcmp(req->method, "POST") != 0 &&
			strcmp(req->method, "PATCH") != 0;
	}

	PG_TRY();
	{
		cf_exec_loop(ex);
	}
	PG_CATCH();
	{
		/*
		 * A write whose attempt was under way when the statement was
		 * cancelled (or failed elsewhere) may have been carried out.
		 */
		for (int i = 0; i < nreqs; i++)
		{
			CfReqState *rs = &ex->rs[i];

			if (!rs->done && !rs->failed &&
				(rs->running || rs->maybe_done) &&
				strcmp(rs->req->method, "GET") != 0)
				rs->req->outcome_unknown = true;
		}
		cf_exec_cleanup(ex);
		cf_exec_count_wait(ex, start);
		PG_RE_THROW();
	}
	PG_END_TRY();
	cf_exec_cleanup(ex);
	cf_exec_count_wait(ex, start);
	if (ex->events)
		pfree(ex->events);

	if (stats)
	{
		long		secs;
		int			usecs;

		TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
		stats->wait_us += (int64) secs * USECS_PER_SEC + usecs;
	}
	pfree(ex->rs);
	pfree(ex);
}

/*
 * cf_failure_has_code
 *		Whether Cloudflare's answer to a failed request carried that error
 *		code (6003: malformed credentials, say).
 */
bool
cf_failure_has_code(const CfFailureRecord *rec, int code)
{
	for (int i = 0; i < rec->ncodes; i++)
	{
		if (rec->codes[i] == code)
			return true;
	}
	return false;
}

/*
 * cf_request_release
 *		Frees a request's answer before its memory context goes (a loop
 *		that sends many requests in one context).
 */
void
cf_request_release(CfRequest *req)
{
	if (req->page != NULL)
		cf_page_free(req->page);
	req->page = NULL;
}

/*
 * cf_url_escape
 *		Percent-encodes one path segment or query value: RFC 3986's
 *		unreserved characters stay, every other byte of its UTF-8 form
 *		(the API's encoding, whatever the database's) becomes %XX.
 */
char *
cf_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *utf8 = pg_server_to_any(s, strlen(s), PG_UTF8);
	size_t		len = strlen(utf8);
	char	   *out = palloc(len * 3 + 1);
	char	   *o = out;

	for (const unsigned char *p = (const unsigned char *) utf8; *p; p++)
	{
		unsigned char c = *p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
			c == '~')
			*o++ = (char) c;
		else
		{
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0x0F];
		}
	}
	*o = '\0';
	return out;
}

/*
 * cf_exec_loop
 *		Starts what is due, lets libcurl work, collects answers, and waits,
 *		until every request is done.
 */
static void
cf_exec_loop(CfExec *ex)
{
	for (;;)
	{
		cf_exec_start_due(ex);
		if (cf_http_timeout_ms(ex->http) == 0)
			cf_exec_action(ex, CF_HTTP_TIMEOUT, 0);
		cf_exec_collect(ex);
		if (ex->ndone == ex->nreqs)
			break;
		cf_exec_wait(ex, cf_exec_timeout(ex));
		cf_exec_collect(ex);
		if (ex->ndone == ex->nreqs)
			break;
	}
}

/*
 * cf_exec_start_due
 *		Starts the requests whose backoff is over, in order, while fewer
 *		than max_concurrency are running.
 */
static void
cf_exec_start_due(CfExec *ex)
{
	TimestampTz now = 0;

	for (int i = 0; i < ex->nreqs; i++)
	{
		CfReqState *rs = &ex->rs[i];

		if (ex->nrunning >= ex->conn->max_concurrency)
			break;
		if (rs->done || rs->running)
			continue;
		if (rs->not_before != 0 || ex->hold_until != 0)
		{
			if (now == 0)
				now = GetCurrentTimestamp();
			if (now < rs->not_before || now < ex->hold_until)
				continue;
		}
		if (!cf_rate_acquire(ex))
			break;
		cf_exec_start(ex, rs);
	}
}

/*
 * cf_exec_start
 *		Starts one attempt of a request.
 */
static void
cf_exec_start(CfExec *ex, CfReqState *rs)
{
	CfConnection *conn = ex->conn;
	CfRequest  *req = rs->req;
	CfHttpRequest hr;
	char		errbuf[256];

	memset(&hr, 0, sizeof(hr));
	hr.method = req->method;
	hr.url = rs->url;
	hr.headers = req->body ? conn->headers_body : conn->headers;
	hr.body = req->body;
	hr.body_len = req->body ? strlen(req->body) : 0;
	hr.allow_http = conn->allow_http;
	/*
	 * Every write goes on a connection of its own, closed when it is done:
	 * libcurl silently sends a request again on a new connection when a
	 * reused one dies before any answer, which would create twice, or turn
	 * a DELETE that worked into one that found nothing (a 404, zero rows).
	 */
	hr.fresh_connect = strcmp(req->method, "GET") != 0;
	hr.ca_file = conn->ca_file;
	hr.user_agent = CF_USER_AGENT;
	hr.connect_timeout_ms = conn->connect_timeout_ms;
	hr.timeout_ms = conn->request_timeout_ms;
	hr.max_response_bytes = conn->max_response_bytes;
	hr.tag = rs;

	if (cf_http_start(ex->http, &hr, errbuf, sizeof(errbuf)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not start a Cloudflare API request"),
				 errdetail_internal("%s", errbuf)));

	rs->attempts++;
	rs->running = true;
	ex->nrunning++;
	if (ex->stats)
	{
		ex->stats->requests++;
		if (rs->attempts > 1)
			ex->stats->retries++;
	}
	cf_stats_request(conn, rs->attempts > 1);
}

/*
 * cf_exec_timeout
 *		How long the next wait may last: until libcurl's timer, or until
 *		the first backoff ends when a request could then start.
 */
static long
cf_exec_timeout(CfExec *ex)
{
	long		timeout = cf_http_timeout_ms(ex->http);

	if (ex->nrunning < ex->conn->max_concurrency)
	{
		TimestampTz now = GetCurrentTimestamp();

		for (int i = 0; i < ex->nreqs; i++)
		{
			CfReqState *rs = &ex->rs[i];
			TimestampTz due;
			long		ms;

			if (rs->done || rs->running)
				continue;
			due = Max(rs->not_before, ex->hold_until);
			ms = TimestampDifferenceMilliseconds(now, due);
			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
	}
	if (timeout < 0 || timeout > CF_MAX_WAIT_MS)
		timeout = CF_MAX_WAIT_MS;
	return timeout;
}

/*
 * cf_exec_rebuild_wes
 *		A wait set of the latch, postmaster death and every socket libcurl
 *		wants watched; rebuilt only when that set of sockets changed.
 */
static void
cf_exec_rebuild_wes(CfExec *ex)
{
	int			nsocks = cf_http_nsockets(ex->http);

	if (ex->wes != NULL)
	{
		FreeWaitEventSet(ex->wes);
		ex->wes = NULL;
	}
	if (ex->maxevents < nsocks + 2)
	{
		if (ex->events)
			pfree(ex->events);
		ex->maxevents = nsocks + 2;
		ex->events = palloc(sizeof(WaitEvent) * ex->maxevents);
	}

	ex->wes = cf_create_wait_event_set(nsocks + 2);
	AddWaitEventToSet(ex->wes, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	/* a single-user backend has no postmaster to watch */
	if (IsUnderPostmaster)
		AddWaitEventToSet(ex->wes, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
						  NULL, NULL);
	for (int i = 0; i < nsocks; i++)
	{
		curl_socket_t fd;
		int			want;
		uint32		events = 0;

		cf_http_socket(ex->http, i, &fd, &want);
		if (want & CF_HTTP_WANT_READ)
			events |= WL_SOCKET_READABLE;
		if (want & CF_HTTP_WANT_WRITE)
			events |= WL_SOCKET_WRITEABLE;
		if (events != 0)
			AddWaitEventToSet(ex->wes, events, fd, NULL, NULL);
	}
	ex->wes_generation = cf_http_socket_generation(ex->http);
}

/*
 * cf_exec_wait
 *		Waits for a socket, the latch or the timeout, then checks for
 *		interrupts before letting libcurl act on what fired.
 */
static void
cf_exec_wait(CfExec *ex, long timeout)
{
	int			n;
	bool		timed_out;

	if (ex->wes == NULL ||
		ex->wes_generation != cf_http_socket_generation(ex->http))
		cf_exec_rebuild_wes(ex);

	n = WaitEventSetWait(ex->wes, timeout, ex->events, ex->maxevents,
						 PG_WAIT_EXTENSION);
	timed_out = (n == 0);

	for (int i = 0; i < n; i++)
	{
		if (ex->events[i].events & WL_LATCH_SET)
			ResetLatch(MyLatch);
	}

	/* cancel, statement_timeout and terminate raise their errors here */
	CHECK_FOR_INTERRUPTS();

	for (int i = 0; i < n; i++)
	{
		WaitEvent  *ev = &ex->events[i];
		int			mask = 0;

		if (!(ev->events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE)))
			continue;
		if (ev->events & WL_SOCKET_READABLE)
			mask |= CF_HTTP_EV_READ;
		if (ev->events & WL_SOCKET_WRITEABLE)
			mask |= CF_HTTP_EV_WRITE;
		cf_exec_action(ex, ev->fd, mask);
	}
	if (timed_out || cf_http_timeout_ms(ex->http) == 0)
		cf_exec_action(ex, CF_HTTP_TIMEOUT, 0);
}

/*
 * cf_exec_action
 *		Lets libcurl act on a socket or its timeout.  libcurl's callbacks
 *		run inside and only record; a failure of libcurl itself (out of
 *		memory) is raised here, after it returned.
 */
static void
cf_exec_action(CfExec *ex, curl_socket_t fd, int events)
{
	int			rc = cf_http_socket_action(ex->http, fd, events);

	if (rc != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("libcurl failed while running Cloudflare API requests"),
				 errdetail_internal("%s", curl_multi_strerror(rc))));
}

/*
 * cf_exec_cleanup
 *		Stops whatever is still in flight and frees the wait set.  Runs on
 *		success and from PG_CATCH, so it must not fail.
 *
 * Only one cf_execute runs at a time in a backend (nothing inside it runs
 * user code), so every transfer of the shared handle is ours.
 */
static void
cf_exec_cleanup(CfExec *ex)
{
	pgstat_report_wait_end();
	cf_http_abort_all(ex->http);
	if (ex->wes != NULL)
	{
		FreeWaitEventSet(ex->wes);
		ex->wes = NULL;
	}
}

/*
 * cf_exec_collect
 *		Takes every finished attempt from libcurl.
 */
static void
cf_exec_collect(CfExec *ex)
{
	CfHttpTransfer *xfer;

	while ((xfer = cf_http_next_done(ex->http)) != NULL)
	{
		CfReqState *rs = (CfReqState *) cf_http_tag(xfer);

		rs->running = false;
		ex->nrunning--;
		cf_exec_finish(ex, rs, xfer);
	}
}

/*
 * cf_exec_finish
 *		Decides what a finished attempt means: an answer, a retry, or an
 *		error.  The transfer is released before any error is raised; the
 *		error's text is copied out of it first.
 */
static void
cf_exec_finish(CfExec *ex, CfReqState *rs, CfHttpTransfer *xfer)
{
	CfHttpResult *res = cf_http_result(xfer);
	CfRequest  *req = rs->req;
	CfFailure	fail;
	long		wait_ms = 0;
	CfVerdict	verdict;

	if (ex->stats)
	{
		ex->stats->bytes += res->body_bytes;
		if (res->status == 429)
			ex->stats->rate_limited++;
	}

	rs->page = NULL;
	if (res->raw != NULL)
		cf_exec_read_body(ex, rs, res);

	memset(&fail, 0, sizeof(fail));
	verdict = cf_judge(ex, rs, res, &wait_ms, &fail);

	/* the API's count of this user's requests; then ours */
	cf_rate_observe(ex->conn, res->status, res->headers.ratelimit,
					res->status == 429 ? cf_server_wait_ms(res) : -1);
	cf_stats_response(ex->conn, res->status, res->body_bytes,
					  verdict != CF_DONE ? -1 :
					  rs->page == NULL ? 0 :
					  rs->page->result_kind == '[' ? rs->page->nitems :
					  rs->page->result_kind == '{' ? 1 : 0,
					  res->new_connections);

	switch (verdict)
	{
		case CF_DONE:
			req->page = (res->status >= 200 && res->status < 300)
				? rs->page : NULL;
			req->body_bytes = res->body_bytes;
			if (req->status == 0)
				req->status = (int) res->status;
			rs->done = true;
			ex->ndone++;
			cf_http_release(ex->http, xfer);
			break;

		case CF_RETRY:
			{
				TimestampTz due;
				long		status = res->status;	/* res goes with xfer */

				cf_http_release(ex->http, xfer);
				cf_exec_drop_body(rs);
				due = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  wait_ms);
				rs->not_before = due;
				if (status == 429 && due > ex->hold_until)
					ex->hold_until = due;
				break;
			}

		case CF_FAIL:
			rs->failed = true;
			req->failure.failed = true;
			req->failure.status = (int) res->status;
			strlcpy(req->failure.cf_ray, res->headers.cf_ray,
					sizeof(req->failure.cf_ray));
			cf_http_release(ex->http, xfer);
			cf_exec_drop_body(rs);
			CHECK_FOR_INTERRUPTS();
			cf_raise(&fail);
			break;
	}
}

/*
 * cf_exec_read_body
 *		A body, kept as text by the transport: copied into the caller's
 *		context and checked and indexed as a page (page.c), the one reading
 *		of its JSON.  Text that is not JSON gets its body_error here, so
 *		that cf_judge treats it as any other bad body.
 */
static void
cf_exec_read_body(CfExec *ex, CfReqState *rs, CfHttpResult *res)
{
	MemoryContext old = MemoryContextSwitchTo(ex->cxt);
	char	   *text;
	bool		truncated;

	if (res->raw_len >= MaxAllocSize)
	{
		/* max_response_bytes allows at most 1 GB; this is a safety net */
		free(res->raw);
		res->raw = NULL;
		res->body_error = CF_BODY_TOO_LARGE;
		MemoryContextSwitchTo(old);
		return;
	}
	text = palloc(res->raw_len + 1);
	memcpy(text, res->raw, res->raw_len);
	text[res->raw_len] = '\0';
	free(res->raw);
	res->raw = NULL;

	rs->page = cf_page_parse(text, (uint32) res->raw_len, res->parse_error,
							 sizeof(res->parse_error), &truncated);

	/*
	 * The answers json-c once read as they downloaded (all but a scan's 2xx
	 * pages) keep json-c's verdict on text it refuses, words included.  It
	 * refuses no JSON the scanner accepts but a top-level null, so it is
	 * asked only about those and about text the scanner refused.
	 */
	if (!(rs->req->as_page && res->status >= 200 && res->status < 300) &&
		(rs->page == NULL || text[rs->page->value.off] == 'n'))
	{
		char		words[sizeof(res->parse_error)];
		bool		cut;

		if (cf_json_c_refuses(text, (uint32) res->raw_len, words,
							  sizeof(words), &cut))
		{
			if (rs->page != NULL)
				cf_page_free(rs->page);
			else
				pfree(text);
			rs->page = NULL;
			text = NULL;
			truncated = cut;
			strlcpy(res->parse_error, words, sizeof(res->parse_error));
		}
	}
	if (rs->page == NULL)
	{
		if (text != NULL)
			pfree(text);
		res->body_error = truncated ? CF_BODY_TRUNCATED : CF_BODY_BAD_JSON;
	}
	MemoryContextSwitchTo(old);
}

/*
 * cf_exec_drop_body
 *		Frees the body of an attempt that is no answer (retried, or failed
 *		once its error's text is built), so that retries do not pile up
 *		bodies in the caller's context.
 */
void
cf_exec_drop_body(CfReqState *rs)
{
	if (rs->page != NULL)
		cf_page_free(rs->page);
	rs->page = NULL;
}

/*
 * cf_curl_retryable
 *		Transport failures that may pass: resolving, connecting, a timeout,
 *		a connection cut mid-way.  Certificate problems, unsupported
 *		protocols and the like would fail again.
 */
bool
cf_curl_retryable(CURLcode code)
{
	switch (code)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			return true;
		default:
			return false;
	}
}

/*
 * cf_server_wait_ms
 *		The wait the server asks for, in ms, or -1: Retry-After-Ms, else
 *		Retry-After (seconds or an HTTP date), else, on a 429, the reset
 *		time of the Ratelimit header once nothing remains.
 */
long
cf_server_wait_ms(CfHttpResult *res)
{
	CfHttpHeaders *h = &res->headers;
	char	   *end;

	if (h->retry_after_ms[0] != '\0')
	{
		double		ms = strtod(h->retry_after_ms, &end);

		if (end != h->retry_after_ms && *end == '\0' && ms >= 0 && ms < 1e9)
			return (long) ceil(ms);
	}
	if (h->retry_after[0] != '\0')
	{
		long		secs = strtol(h->retry_after, &end, 10);
		time_t		when;

		if (end != h->retry_after && *end == '\0')
			return secs < 0 ? 0 : (secs > 1000000 ? 1000000000L : secs * 1000);
		when = curl_getdate(h->retry_after, NULL);
		if (when != (time_t) -1)
		{
			double		diff = difftime(when, time(NULL));

			return diff <= 0 ? 0 : (diff > 1e6 ? 1000000000L : (long) diff * 1000);
		}
	}
	if (res->status == 429 && h->ratelimit[0] != '\0')
	{
		const char *r = strstr(h->ratelimit, "r=");
		const char *t = strstr(h->ratelimit, "t=");

		if (r && t && strtol(r + 2, NULL, 10) == 0)
		{
			long		secs = strtol(t + 2, &end, 10);

			if (end != t + 2 && secs >= 0 && secs < 1000000)
				return secs * 1000;
		}
	}
	return -1;
}

/* Exponential backoff with equal jitter before retry number "attempt". */
long
cf_backoff_ms(int attempt)
{
	long		delay = CF_BACKOFF_BASE_MS;

	for (int i = 1; i < attempt && delay < CF_BACKOFF_CAP_MS; i++)
		delay *= 2;
	delay = Min(delay, CF_BACKOFF_CAP_MS);
	return delay / 2 +
		(long) pg_prng_uint64_range(&pg_global_prng_state, 0, delay / 2);
}
