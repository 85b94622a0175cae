/*-------------------------------------------------------------------------
 *
 * request.c
 *		  Running Cloudflare API requests from a backend: concurrency,
 *		  waiting, cancel, retries, and turning answers into errors.
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
 * Failed attempts are retried with exponential backoff and jitter when that
 * is safe: GET, PUT and DELETE on transport errors, 408, 429 and 5xx (and
 * whatever x-should-retry allows); a POST only when it certainly never
 * reached the server.  Retry-After and Retry-After-Ms are honoured up to
 * max_retry_wait; a longer wait fails at once, saying how long.
 *
 * Errors carry an SQLSTATE by HTTP status:
 *
 *		401, 403			42501 insufficient_privilege
 *		404					HV00R fdw_table_not_found (the remote object)
 *		400, 422			22023 invalid_parameter_value
 *		409					23505 unique_violation
 *		429					HV00M fdw_unable_to_create_reply
 *		5xx					HV00N fdw_unable_to_establish_connection
 *		other 4xx, success:false	HV000 fdw_error
 *		transport failure	HV00N fdw_unable_to_establish_connection
 *		too large			54000 program_limit_exceeded (max_response_bytes,
 *							like the scan's max_requests limit)
 *		not JSON, truncated, empty, wrong Content-Type
 *							HV004 fdw_invalid_data_type
 *		invalid UTF-8		22021 character_not_in_repertoire
 *
 * The message is Cloudflare's first errors[].message where there is one;
 * the detail names the request (method and path, never the host's
 * credentials), the HTTP status, every code: message pair and the cf-ray.
 * Text that comes from the response is sanitised and scrubbed of the
 * credentials, in case a proxy echoes the request.
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
#include "compat.h"
#include "common/pg_prng.h"
#include "http.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
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

/* How much of the response goes into an error detail. */
#define CF_DETAIL_BODY_CHARS	200
#define CF_DETAIL_MAX_ERRORS	10
#define CF_DETAIL_MSG_CHARS		500

/* The state of one request in a cf_execute call. */
typedef struct CfReqState
{
	CfRequest  *req;
	CfPage	   *page;			/* the answer, read in place (page.c) */
	char	   *url;			/* api_url + path */
	bool		idempotent;		/* GET, PUT, DELETE */
	int			attempts;		/* attempts started */
	bool		running;
	bool		done;
	bool		maybe_done;		/* an earlier attempt may have acted */
	bool		failed;			/* its own error was raised */
	TimestampTz not_before;		/* backoff: no attempt before this */
} CfReqState;

/* One cf_execute call; palloc'd so PG_CATCH sees its current state. */
typedef struct CfExec
{
	CfConnection *conn;
	CfHttp	   *http;
	CfReqState *rs;
	int			nreqs;
	int			nrunning;
	int			ndone;
	TimestampTz hold_until;		/* after a 429: no new attempt before */
	TimestampTz throttled_since;	/* held by the rate budget since */
	bool		rate_reserved;	/* the budget gave the next attempt a turn */
	MemoryContext cxt;			/* the caller's: answers go here */
	WaitEventSet *wes;
	uint64		wes_generation;
	WaitEvent  *events;
	int			maxevents;
	CfStats    *stats;
} CfExec;

/* What a final failure reports. */
typedef struct CfFailure
{
	int			sqlstate;
	char	   *message;		/* remote text, or ours */
	bool		message_internal;	/* message is remote text */
	char	   *detail;
	char	   *hint;
} CfFailure;

/* Outcome of one finished attempt. */
typedef enum CfVerdict
{
	CF_DONE,					/* an answer for the caller */
	CF_RETRY,					/* try again after a wait */
	CF_FAIL						/* raise an error */
} CfVerdict;

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
static void cf_exec_drop_body(CfReqState *rs);
static CfVerdict cf_judge(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						  long *wait_ms, CfFailure *fail);
static bool cf_curl_retryable(CURLcode code);
static long cf_server_wait_ms(CfHttpResult *res);
static long cf_backoff_ms(int attempt);
static void cf_fail_status(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						   long server_wait_ms, CfFailure *fail);
static void cf_fail_transport(CfExec *ex, CfReqState *rs, CfHttpResult *res,
							  CfFailure *fail);
static void cf_fail_unknown(CfReqState *rs, CfFailure *fail);
static void cf_fail_body(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						 CfFailure *fail);
static char *cf_request_label(CfReqState *rs);
static void cf_append_cf_errors(StringInfo buf, const CfPage *page,
								char **first, CfFailureRecord *rec);
static bool cf_error_member(const CfPage *page, CfSpan obj, const char *key,
							CfSpan *value);
static const char *cf_code_text(const CfPage *page, CfSpan code);
static bool cf_code_int(const CfPage *page, CfSpan code, int *value);
static bool cf_is_integer(const char *v, uint32 len);
static char *cf_message_text(const CfPage *page, CfSpan msg);
static bool cf_is_envelope(CfReqState *rs, CfHttpResult *res);
static void cf_append_tail(StringInfo buf, CfReqState *rs, CfHttpResult *res);
static char *cf_sanitize(const char *s, size_t len, size_t max, bool utf8);
static char *cf_redact(CfConnection *conn, char *s);
static const char *cf_token_group(CfReqState *rs);
static bool cf_is_json_type(const char *content_type);
static void cf_raise(CfFailure *fail);

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
	if (rs->page == NULL)
	{
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
static void
cf_exec_drop_body(CfReqState *rs)
{
	if (rs->page != NULL)
		cf_page_free(rs->page);
	rs->page = NULL;
}

/*
 * cf_judge
 *		The verdict on one finished attempt; for CF_RETRY, how long to wait,
 *		and for CF_FAIL, the error (built here, while the result exists).
 */
static CfVerdict
cf_judge(CfExec *ex, CfReqState *rs, CfHttpResult *res, long *wait_ms,
		 CfFailure *fail)
{
	CfRequest  *req = rs->req;
	long		status = res->status;
	bool		retries_left = rs->attempts <= ex->conn->max_retries;
	bool		retryable;
	long		server_wait;

	/* The size cap is ours: retrying would hit it again. */
	if (res->body_error == CF_BODY_TOO_LARGE)
	{
		cf_fail_body(ex, rs, res, fail);
		if (status >= 200 && status < 300)
			cf_fail_unknown(rs, fail);
		return CF_FAIL;
	}

	/* No complete answer: the connection failed, timed out or was cut. */
	if (res->curl_code != CURLE_OK && res->body_error == CF_BODY_OK)
	{
		if (res->maybe_sent)
			rs->maybe_done = true;
		if (retries_left && cf_curl_retryable(res->curl_code) &&
			(rs->idempotent || !res->maybe_sent))
		{
			*wait_ms = cf_backoff_ms(rs->attempts);
			return CF_RETRY;
		}
		cf_fail_transport(ex, rs, res, fail);
		if (rs->maybe_done)
			cf_fail_unknown(rs, fail);
		return CF_FAIL;
	}

	if (status >= 200 && status < 300)
	{
		if (status == 204 && res->body_bytes == 0)
			return CF_DONE;

		/*
		 * A body that ends inside the JSON value, though the transfer was
		 * complete, was most likely cut on its way (a proxy); other bad
		 * bodies would come back the same.
		 */
		if (res->body_error == CF_BODY_TRUNCATED && rs->idempotent &&
			retries_left)
		{
			*wait_ms = cf_backoff_ms(rs->attempts);
			return CF_RETRY;
		}
		if (res->body_error != CF_BODY_OK ||
			rs->page == NULL ||
			(res->headers.content_type[0] != '\0' &&
			 !cf_is_json_type(res->headers.content_type)))
		{
			/* a write answered 2xx: it was made, but what it made is lost */
			cf_fail_body(ex, rs, res, fail);
			cf_fail_unknown(rs, fail);
			return CF_FAIL;
		}
		if (rs->page->success == 0)
		{
			cf_fail_status(ex, rs, res, -1, fail);
			return CF_FAIL;
		}
		return CF_DONE;
	}

	/*
	 * A DELETE retried after an attempt that may have done the work finds
	 * the object gone: that is the answer the first attempt would have had.
	 */
	if (status == 404 && req->gone_ok && rs->maybe_done &&
		strcmp(req->method, "DELETE") == 0)
	{
		cf_exec_drop_body(rs);
		req->status = 204;
		return CF_DONE;
	}
	if (status == 404 && req->not_found_ok)
		return CF_DONE;

	/* Which statuses may be tried again; x-should-retry overrides. */
	retryable = (status == 408 || status == 429 || status >= 500);
	if (pg_strcasecmp(res->headers.should_retry, "true") == 0)
		retryable = true;
	else if (pg_strcasecmp(res->headers.should_retry, "false") == 0)
		retryable = false;
	if (status == 409)
		retryable = false;
	/* a POST that got an answer reached the server */
	if (!rs->idempotent)
		retryable = false;

	if (status == 408 || status >= 500)
		rs->maybe_done = true;

	server_wait = cf_server_wait_ms(res);
	if (retryable && server_wait > ex->conn->max_retry_wait_ms)
	{
		/* the server asks for a longer wait than we may spend: fail now */
		cf_fail_status(ex, rs, res, server_wait, fail);
		return CF_FAIL;
	}
	if (retryable && retries_left)
	{
		*wait_ms = server_wait >= 0 ? server_wait : cf_backoff_ms(rs->attempts);
		return CF_RETRY;
	}
	cf_fail_status(ex, rs, res, server_wait, fail);
	return CF_FAIL;
}

/*
 * cf_curl_retryable
 *		Transport failures that may pass: resolving, connecting, a timeout,
 *		a connection cut mid-way.  Certificate problems, unsupported
 *		protocols and the like would fail again.
 */
static bool
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
static long
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
static long
cf_backoff_ms(int attempt)
{
	long		delay = CF_BACKOFF_BASE_MS;

	for (int i = 1; i < attempt && delay < CF_BACKOFF_CAP_MS; i++)
		delay *= 2;
	delay = Min(delay, CF_BACKOFF_CAP_MS);
	return delay / 2 +
		(long) pg_prng_uint64_range(&pg_global_prng_state, 0, delay / 2);
}

/* "GET /path?query", the request as errors show it. */
static char *
cf_request_label(CfReqState *rs)
{
	return psprintf("%s %s", rs->req->method, rs->req->path);
}

/*
 * cf_fail_status
 *		The error of an HTTP status, or of a 2xx answer saying
 *		"success": false.  server_wait_ms > 0 is a wait the server asked
 *		for, beyond max_retry_wait when retries were still left.
 */
static void
cf_fail_status(CfExec *ex, CfReqState *rs, CfHttpResult *res,
			   long server_wait_ms, CfFailure *fail)
{
	long		status = res->status;
	StringInfoData detail;
	char	   *first = NULL;
	bool		json_envelope = cf_is_envelope(rs, res);

	initStringInfo(&detail);
	appendStringInfo(&detail, "HTTP status %ld for %s", status,
					 cf_request_label(rs));
	if (rs->attempts > 1)
		appendStringInfo(&detail, " (%d attempts)", rs->attempts);
	appendStringInfoChar(&detail, '.');
	if (json_envelope)
		cf_append_cf_errors(&detail, rs->page, &first, &rs->req->failure);
	cf_append_tail(&detail, rs, res);

	fail->detail = detail.data;
	if (first != NULL)
	{
		fail->message = psprintf("Cloudflare API error: %s", first);
		fail->message_internal = true;
	}

	if (status == 401 || status == 403)
	{
		const char *group = cf_token_group(rs);

		fail->sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
		if (fail->message == NULL)
			fail->message = pstrdup("Cloudflare API denied access");
		if (status == 401)
			fail->hint = pstrdup("Check the credentials of the user mapping: option \"api_token\", or \"api_email\" and \"api_key\".");
		else if (strncmp(rs->req->path, "/organizations", 14) == 0)
			fail->hint = psprintf("The token or key may be wrong or revoked, lack the \"%s\" permission, or belong to an account without the Organizations beta; Cloudflare answers each with 403. cloudflare_fdw_check() tells which.",
								  group);
		else
			fail->hint = psprintf("The token or key may be wrong or revoked, or lack the \"%s\" permission for this resource; Cloudflare answers each with 403.",
								  group);
	}
	else if (status == 404)
	{
		fail->sqlstate = ERRCODE_FDW_TABLE_NOT_FOUND;
		if (fail->message == NULL)
			fail->message = pstrdup("Cloudflare API object not found");
	}
	else if (status == 400 || status == 422)
	{
		fail->sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
		if (fail->message == NULL)
			fail->message = pstrdup("Cloudflare API rejected the request");
	}
	else if (status == 409)
	{
		fail->sqlstate = ERRCODE_UNIQUE_VIOLATION;
		if (fail->message == NULL)
			fail->message = pstrdup("Cloudflare API reported a conflict");
	}
	else if (status == 429)
	{
		fail->sqlstate = ERRCODE_FDW_UNABLE_TO_CREATE_REPLY;
		fail->message = pstrdup("Cloudflare API rate limit exceeded");
		fail->message_internal = false;
	}
	else if (status >= 500)
	{
		fail->sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		fail->message = pstrdup("Cloudflare API unavailable");
		fail->message_internal = false;
	}
	else
	{
		fail->sqlstate = ERRCODE_FDW_ERROR;
		if (fail->message == NULL)
			fail->message = (status >= 200 && status < 300)
				? pstrdup("Cloudflare API reported failure")
				: psprintf("Cloudflare API request failed with HTTP status %ld",
						   status);
	}

	if (status == 429 || status >= 500)
	{
		long		secs = (server_wait_ms + 999) / 1000;

		if (server_wait_ms > ex->conn->max_retry_wait_ms)
			fail->hint = psprintf("Cloudflare asks to retry in %ld s, longer than max_retry_wait (%d s).",
								  secs, ex->conn->max_retry_wait_ms / 1000);
		else if (server_wait_ms >= 0)
			fail->hint = psprintf("Cloudflare asks to retry in %ld s.", secs);
		else if (status == 429)
			fail->hint = pstrdup("Retry later: Cloudflare allows 1200 requests per 5 minutes per user.");
	}
	else if (status == 400 && cf_failure_has_code(&rs->req->failure, 6003))
		fail->hint = pstrdup("Check the credentials of the user mapping: option \"api_token\", or \"api_email\" and \"api_key\".");

	fail->message = cf_redact(ex->conn, fail->message);
	fail->detail = cf_redact(ex->conn, fail->detail);
}

/*
 * cf_fail_transport
 *		The error of an attempt that got no complete answer.
 */
static void
cf_fail_transport(CfExec *ex, CfReqState *rs, CfHttpResult *res,
				  CfFailure *fail)
{
	StringInfoData detail;
	CURLcode	code = res->curl_code;

	initStringInfo(&detail);
	appendStringInfo(&detail, "%s", cf_request_label(rs));
	if (rs->attempts > 1)
		appendStringInfo(&detail, " (%d attempts)", rs->attempts);
	appendStringInfo(&detail, ": %s.",
					 cf_sanitize(res->curl_error, strlen(res->curl_error),
								 CURL_ERROR_SIZE, false));
	if (res->status != 0)
		appendStringInfo(&detail, " HTTP status %ld.", res->status);

	fail->sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
	fail->detail = cf_redact(ex->conn, detail.data);

	switch (code)
	{
		case CURLE_OPERATION_TIMEDOUT:
			fail->message = pstrdup("Cloudflare API request timed out");
			fail->hint = psprintf("The limits are connect_timeout_ms (%ld) and request_timeout_ms (%ld).",
								  ex->conn->connect_timeout_ms,
								  ex->conn->request_timeout_ms);
			break;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			fail->message = pstrdup("could not connect to the Cloudflare API");
			break;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
		case CURLE_SSL_CRL_BADFILE:
			fail->message = pstrdup("could not establish a TLS connection to the Cloudflare API");
			break;
		default:
			fail->message = pstrdup("connection to the Cloudflare API failed");
			break;
	}
}

/*
 * cf_fail_unknown
 *		Turns the failure of a write that reached the server, or may have,
 *		and got no readable answer into the error that says so: the change
 *		may have been made in Cloudflare (the request is never sent again),
 *		what it was, and the SELECT that tells.  A read's failure is left
 *		as it is.  SQLSTATE 08007, transaction_resolution_unknown, is
 *		PostgreSQL's own for "it may or may not have happened".
 */
static void
cf_fail_unknown(CfReqState *rs, CfFailure *fail)
{
	CfRequest  *req = rs->req;
	StringInfoData detail;

	if (strcmp(req->method, "GET") == 0)
		return;

	initStringInfo(&detail);
	appendStringInfo(&detail, "%s%s %s", fail->message,
					 fail->detail ? ":" : ".", fail->detail ? fail->detail : "");
	appendStringInfoString(&detail, rs->idempotent
						   ? " The request was sent, and the answers to it and to its retries could not be read."
						   : " The request was sent once and was not sent again: sending it again could do it twice.");

	fail->sqlstate = ERRCODE_TRANSACTION_RESOLUTION_UNKNOWN;
	fail->message_internal = false;
	if (req->write_verb != NULL && req->write_what != NULL)
		fail->message = psprintf("Cloudflare may have %s the %s, but no readable answer came back",
								 req->write_verb, req->write_what);
	else
		fail->message = psprintf("the Cloudflare API may have carried out %s, but no readable answer came back",
								 cf_request_label(rs));
	fail->detail = detail.data;
	fail->hint = req->write_check != NULL
		? psprintf("Check before retrying: %s", req->write_check)
		: pstrdup("Check in Cloudflare whether the change was made before retrying.");
	req->outcome_unknown = true;
	req->outcome_reported = true;
}

/*
 * cf_fail_body
 *		The error of a body that cannot be used: too large, not UTF-8, not
 *		JSON, cut short, empty, or not declared as JSON.
 */
static void
cf_fail_body(CfExec *ex, CfReqState *rs, CfHttpResult *res, CfFailure *fail)
{
	StringInfoData detail;

	initStringInfo(&detail);
	if (res->status != 0)
		appendStringInfo(&detail, "HTTP status %ld for %s", res->status,
						 cf_request_label(rs));
	else
		appendStringInfoString(&detail, cf_request_label(rs));
	if (rs->attempts > 1)
		appendStringInfo(&detail, " (%d attempts)", rs->attempts);
	if (res->headers.content_type[0] != '\0')
		appendStringInfo(&detail, ", Content-Type %s",
						 res->headers.content_type);
	appendStringInfoChar(&detail, '.');

	fail->sqlstate = ERRCODE_FDW_INVALID_DATA_TYPE;
	switch (res->body_error)
	{
		case CF_BODY_TOO_LARGE:
			fail->sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			fail->message = psprintf("Cloudflare API response exceeds max_response_bytes (" INT64_FORMAT " bytes)",
									 (int64) ex->conn->max_response_bytes);
			fail->hint = pstrdup("Raise the server option max_response_bytes, or lower page_size.");
			break;
		case CF_BODY_BAD_UTF8:
			fail->sqlstate = ERRCODE_CHARACTER_NOT_IN_REPERTOIRE;
			fail->message = pstrdup("invalid UTF-8 in Cloudflare API response");
			break;
		case CF_BODY_BAD_JSON:
			fail->message = pstrdup("invalid JSON in Cloudflare API response");
			appendStringInfo(&detail, " The parser says: %s.",
							 res->parse_error);
			break;
		case CF_BODY_TRUNCATED:
			fail->message = pstrdup("invalid JSON in Cloudflare API response");
			appendStringInfoString(&detail, " The body ends inside a JSON value.");
			break;
		case CF_BODY_OK:
			if (rs->page == NULL)
				fail->message = pstrdup("empty Cloudflare API response where JSON was expected");
			else
				fail->message = pstrdup("Cloudflare API response is not declared as JSON");
			break;
	}
	if (res->body_error != CF_BODY_TOO_LARGE)
		cf_append_tail(&detail, rs, res);
	else if (res->headers.cf_ray[0] != '\0')
		appendStringInfo(&detail, " cf-ray: %s.", res->headers.cf_ray);
	fail->detail = cf_redact(ex->conn, detail.data);
}

/*
 * cf_append_cf_errors
 *		Appends the "code: message" pairs of a Cloudflare envelope's
 *		errors[] (and their error_chain), and returns the first message.
 */
static void
cf_append_cf_errors(StringInfo buf, const CfPage *page, char **first,
					CfFailureRecord *rec)
{
	CfSpan		errors;
	CfSpan	   *elems;
	int			n;
	int			shown = 0;

	if (!cf_page_field(page, page->value, "errors", &errors) ||
		(elems = cf_page_array(page, errors, &n)) == NULL)
		return;
	for (int i = 0; i < n && shown < CF_DETAIL_MAX_ERRORS; i++)
	{
		CfSpan		e = elems[i];
		CfSpan		code;
		CfSpan		msg;
		CfSpan		chain;
		CfSpan	   *links;
		int			nlinks;
		bool		has_code;
		bool		has_msg;
		const char *codestr;
		char	   *msgstr;
		int			codeval;

		if (page->text[e.off] != '{')
			continue;
		has_code = cf_error_member(page, e, "code", &code);
		has_msg = cf_error_member(page, e, "message", &msg);
		codestr = has_code ? cf_code_text(page, code) : "?";
		if (has_code && cf_code_int(page, code, &codeval) &&
			rec->ncodes < CF_FAILURE_MAX_CODES)
			rec->codes[rec->ncodes++] = codeval;
		msgstr = has_msg ? cf_message_text(page, msg) : NULL;
		if (msgstr == NULL)
			msgstr = pstrdup("(no message)");
		if (*first == NULL && has_msg)
			*first = msgstr;
		appendStringInfo(buf, "%s %s: %s", shown == 0 ? " Errors:" : ";",
						 cf_sanitize(codestr, strlen(codestr), 20, false),
						 msgstr);
		shown++;

		if (cf_page_field(page, e, "error_chain", &chain) &&
			(links = cf_page_array(page, chain, &nlinks)) != NULL)
		{
			for (int j = 0; j < nlinks && j < CF_DETAIL_MAX_ERRORS; j++)
			{
				CfSpan		c = links[j];
				CfSpan		cc;
				CfSpan		cm;
				const char *ccs;
				char	   *cms = NULL;

				if (page->text[c.off] != '{')
					continue;
				ccs = cf_error_member(page, c, "code", &cc)
					? cf_code_text(page, cc) : "?";
				if (cf_error_member(page, c, "message", &cm))
					cms = cf_message_text(page, cm);
				appendStringInfo(buf, " (%s: %s)",
								 cf_sanitize(ccs, strlen(ccs), 20, false),
								 cms ? cms : "(no message)");
			}
		}
	}
	if (shown > 0)
		appendStringInfoChar(buf, '.');
}

/*
 * cf_error_member
 *		A member of an error object, when it is there and not null (a null
 *		code or message counts as none).
 */
static bool
cf_error_member(const CfPage *page, CfSpan obj, const char *key,
				CfSpan *value)
{
	return cf_page_field(page, obj, key, value) &&
		page->text[value->off] != 'n';
}

/*
 * cf_code_text
 *		An error code as the detail quotes it: a string's text (to a
 *		\u0000), an integer in its plain decimal form (as a 64-bit value,
 *		saturated), any other number, true or false as written, and an
 *		object or array as json-c prints it, the way the detail always has.
 */
static const char *
cf_code_text(const CfPage *page, CfSpan code)
{
	const char *v = page->text + code.off;
	size_t		len;

	if (*v == '"')
		return cf_page_string(page, code);
	if (*v == '{' || *v == '[')
		return cf_json_c_text(v, code.len, &len);
	if (cf_is_integer(v, code.len))
		return psprintf(INT64_FORMAT, (int64) strtoll(v, NULL, 10));
	return pnstrdup(v, code.len);
}

/*
 * cf_code_int
 *		An integer error code (6003, say), for cf_failure_has_code: clamped
 *		to int as json-c's json_object_get_int clamps it.
 */
static bool
cf_code_int(const CfPage *page, CfSpan code, int *value)
{
	const char *v = page->text + code.off;
	int64		x;

	if (!cf_is_integer(v, code.len))
		return false;
	x = (int64) strtoll(v, NULL, 10);
	*value = x > PG_INT32_MAX ? PG_INT32_MAX :
		x < PG_INT32_MIN ? PG_INT32_MIN : (int) x;
	return true;
}

/* A JSON number without a fraction or an exponent. */
static bool
cf_is_integer(const char *v, uint32 len)
{
	if (len == 0 || !(*v == '-' || (*v >= '0' && *v <= '9')))
		return false;
	for (uint32 i = 0; i < len; i++)
		if (v[i] == '.' || v[i] == 'e' || v[i] == 'E')
			return false;
	return true;
}

/*
 * cf_message_text
 *		An error message for the detail, sanitised, or NULL if it is not a
 *		string.
 */
static char *
cf_message_text(const CfPage *page, CfSpan msg)
{
	size_t		len;
	char	   *s = cf_page_text(page, msg, &len);

	return s ? cf_sanitize(s, len, CF_DETAIL_MSG_CHARS, true) : NULL;
}

/*
 * cf_is_envelope
 *		Whether an answer's body is read as Cloudflare's envelope (a JSON
 *		object) for its error text, rather than quoted from its beginning.
 *
 * A scan's 2xx page that says nothing of failure (it is refused for its
 * Content-Type, say) is quoted, as it always has been: only a page that
 * says "success": false, and every other answer, are read.
 */
static bool
cf_is_envelope(CfReqState *rs, CfHttpResult *res)
{
	if (rs->page == NULL || rs->page->text[rs->page->value.off] != '{')
		return false;
	return !rs->req->as_page || res->status < 200 || res->status >= 300 ||
		rs->page->success == 0;
}

/*
 * cf_append_tail
 *		Appends the start of a body that is not a JSON object (an HTML error
 *		page, say) and the cf-ray.
 */
static void
cf_append_tail(StringInfo buf, CfReqState *rs, CfHttpResult *res)
{
	if (!cf_is_envelope(rs, res) && res->head_len > 0)
	{
		size_t		len = res->head_len;

		appendStringInfo(buf, " Response begins: \"%s\".",
						 cf_sanitize(res->head, len, CF_DETAIL_BODY_CHARS,
									 false));
	}
	if (res->headers.cf_ray[0] != '\0')
		appendStringInfo(buf, " cf-ray: %s.", res->headers.cf_ray);
}

/*
 * cf_sanitize
 *		A printable one-line copy of remote text: at most max characters,
 *		runs of white space as one space, other control characters and
 *		bytes outside ASCII as \xNN, unless the text is known UTF-8 and the
 *		database is UTF-8 too.
 */
static char *
cf_sanitize(const char *s, size_t len, size_t max, bool utf8)
{
	StringInfoData buf;
	bool		keep8 = utf8 && GetDatabaseEncoding() == PG_UTF8;
	size_t		shown = 0;
	size_t		i;

	initStringInfo(&buf);
	for (i = 0; i < len && shown < max; i++, shown++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ')
		{
			if (buf.len > 0 && buf.data[buf.len - 1] != ' ')
				appendStringInfoChar(&buf, ' ');
		}
		else if (c < 0x20 || c == 0x7F)
			appendStringInfo(&buf, "\\x%02X", c);
		else if (c < 0x80)
			appendStringInfoChar(&buf, (char) c);
		else if (keep8)
		{
			int			clen = pg_utf_mblen((const unsigned char *) &s[i]);

			if (clen < 1 || i + clen > len)
				break;
			appendBinaryStringInfo(&buf, &s[i], clen);
			i += clen - 1;
		}
		else
			appendStringInfo(&buf, "\\x%02X", c);
	}
	if (buf.len > 0 && buf.data[buf.len - 1] == ' ')
		buf.data[--buf.len] = '\0';
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * cf_redact
 *		Replaces any credential of the connection found in s.  Responses
 *		should never carry them, but a misbehaving proxy might echo the
 *		request, and that text must not reach a message.
 */
static char *
cf_redact(CfConnection *conn, char *s)
{
	static const char *const prefixes[] = {
		"Authorization: Bearer ", "X-Auth-Key: ", "X-Auth-Email: "
	};

	if (s == NULL)
		return NULL;
	for (struct curl_slist *l = conn->headers; l != NULL; l = l->next)
	{
		for (int p = 0; p < lengthof(prefixes); p++)
		{
			size_t		plen = strlen(prefixes[p]);
			const char *secret;
			size_t		slen;
			char	   *hit;

			if (strncmp(l->data, prefixes[p], plen) != 0)
				continue;
			secret = l->data + plen;
			slen = strlen(secret);
			if (slen < 4)
				continue;
			while ((hit = strstr(s, secret)) != NULL)
			{
				StringInfoData buf;

				initStringInfo(&buf);
				appendBinaryStringInfo(&buf, s, hit - s);
				appendStringInfoString(&buf, "[redacted]");
				appendStringInfoString(&buf, hit + slen);
				s = buf.data;
			}
		}
	}
	return s;
}

/*
 * cf_token_group
 *		The API token permission a request needs (the x-api-token-group of
 *		Cloudflare's schema), for the hint of a 403.
 */
static const char *
cf_token_group(CfReqState *rs)
{
	bool		read = strcmp(rs->req->method, "GET") == 0;

	if (strncmp(rs->req->path, "/memberships", 12) == 0)
		return read ? "Memberships Read" : "Memberships Write";
	return read ? "User Details Read" : "User Details Write";
}

/* application/json, or any type with a +json suffix. */
static bool
cf_is_json_type(const char *content_type)
{
	const char *semi = strchr(content_type, ';');
	size_t		len = semi ? (size_t) (semi - content_type) : strlen(content_type);

	while (len > 0 && content_type[len - 1] == ' ')
		len--;
	if (len == 16 && pg_strncasecmp(content_type, "application/json", 16) == 0)
		return true;
	return len > 5 && pg_strncasecmp(content_type + len - 5, "+json", 5) == 0;
}

/* Raises a failure built by cf_fail_*. */
static void
cf_raise(CfFailure *fail)
{
	if (fail->message_internal)
		ereport(ERROR,
				(errcode(fail->sqlstate),
				 errmsg_internal("%s", fail->message),
				 fail->detail ? errdetail_internal("%s", fail->detail) : 0,
				 fail->hint ? errhint("%s", fail->hint) : 0));
	else
		ereport(ERROR,
				(errcode(fail->sqlstate),
				 errmsg("%s", fail->message),
				 fail->detail ? errdetail_internal("%s", fail->detail) : 0,
				 fail->hint ? errhint("%s", fail->hint) : 0));
}
