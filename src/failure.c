/*-------------------------------------------------------------------------
 *
 * failure.c
 *		  What a finished Cloudflare API request means: an answer, a retry
 *		  or a failure, and the error a failure raises.
 *
 * request.c runs the requests and reads each body (page.c); cf_judge then
 * gives the verdict on each attempt, and builds the error while the
 * attempt's result still exists.
 *
 * Failed attempts are retried with exponential backoff and jitter when that
 * is safe: GET, PUT and DELETE on transport errors, 408, 429 and 5xx (and
 * whatever x-should-retry allows); a POST only when it certainly never
 * reached the server.  Retry-After and Retry-After-Ms are honoured up to
 * max_retry_wait; a longer wait fails at once, saying how long.  (The
 * waits themselves are request.c's: cf_backoff_ms, cf_server_wait_ms.)
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
 *		  src/failure.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "convert.h"
#include "page.h"
#include "request.h"
#include "http.h"
#include "mb/pg_wchar.h"
#include "request_int.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* How much of the response goes into an error detail. */
#define CF_DETAIL_BODY_CHARS	200
#define CF_DETAIL_MAX_ERRORS	10
#define CF_DETAIL_MSG_CHARS		500

static char *cf_request_label(CfReqState *rs);
static void cf_fail_status(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						   long server_wait_ms, CfFailure *fail);
static void cf_fail_transport(CfExec *ex, CfReqState *rs, CfHttpResult *res,
							  CfFailure *fail);
static void cf_fail_unknown(CfReqState *rs, CfFailure *fail);
static void cf_fail_body(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						 CfFailure *fail);
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

/*
 * cf_judge
 *		The verdict on one finished attempt; for CF_RETRY, how long to wait,
 *		and for CF_FAIL, the error (built here, while the result exists).
 */
CfVerdict
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
		else if (rs->req->res->beta)
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
 *		\u0000), an integer in its plain decimal form, any other number,
 *		true or false as written, and an object or array (or an integer
 *		beyond 64 bits) as json-c prints it, the way the detail always has.
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
	{
		long long	x;

		errno = 0;
		x = strtoll(v, NULL, 10);

		/* beyond 64 bits: json-c's reading, which differs by release */
		if (errno == ERANGE)
			return cf_json_c_text(v, code.len, &len);
		return psprintf(INT64_FORMAT, (int64) x);
	}
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

	return psprintf("%s %s", rs->req->res->token_group, read ? "Read" : "Write");
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
void
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
