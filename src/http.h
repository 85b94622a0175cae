/*-------------------------------------------------------------------------
 *
 * http.h
 *		  The libcurl transport of cloudflare_fdw, free of PostgreSQL.
 *
 * http.c drives libcurl's multi interface for a caller that owns the
 * waiting: the caller adds transfers, asks which sockets to wait on and for
 * how long, reports what fired, and collects finished transfers with their
 * status, headers and body, kept as text.  The transport moves bytes: it
 * checks a body is UTF-8 and within its size cap, and leaves reading it as
 * JSON to the caller (request.c and page.c), once it is whole.  Nothing
 * here calls ereport or palloc, and no libcurl callback can longjmp:
 * callbacks record what happened and return, and the caller (request.c)
 * turns the results into errors after libcurl has returned.  Memory is
 * malloc'd; every function reports failure through its return value.
 *
 * This header includes no PostgreSQL header, so that it can be compiled
 * and tested on its own.
 *
 * IDENTIFICATION
 *		  src/http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_HTTP_H
#define CF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* How much of a body is kept verbatim for error messages. */
#define CF_HTTP_HEAD_BYTES		1024

/* Sizes of the captured response headers (longer values are truncated). */
#define CF_HTTP_HDR_SHORT		64
#define CF_HTTP_HDR_LONG		256

/* Socket interest, as CURL_POLL_* says it. */
#define CF_HTTP_WANT_READ		0x01
#define CF_HTTP_WANT_WRITE		0x02

/* What fired on a socket, for cf_http_socket_action. */
#define CF_HTTP_EV_READ			0x01
#define CF_HTTP_EV_WRITE		0x02
#define CF_HTTP_EV_ERROR		0x04

/* Sentinel for cf_http_socket_action: curl's timeout expired. */
#define CF_HTTP_TIMEOUT			CURL_SOCKET_TIMEOUT

typedef struct CfHttp CfHttp;	/* one multi handle and its state */
typedef struct CfHttpTransfer CfHttpTransfer;	/* one request in flight */

/* One request as the caller describes it. */
typedef struct CfHttpRequest
{
	const char *method;			/* GET, POST, PUT, DELETE, PATCH */
	const char *url;			/* absolute URL */

	/*
	 * Every request header, credentials included; the list must outlive the
	 * transfer.  http.c adds nothing to it: the caller includes Accept and,
	 * for bodies, Content-Type.
	 */
	const struct curl_slist *headers;
	const char *body;			/* copied; NULL: no body */
	size_t		body_len;
	bool		allow_http;		/* plain http too (loopback test servers) */

	/*
	 * Use a new connection, closed when the transfer is done.  libcurl
	 * silently sends a request again when a reused connection dies before
	 * any answer (libcurl 7.88 cannot turn that off), which the caller
	 * must not let happen to a write.
	 */
	bool		fresh_connect;
	const char *ca_file;		/* NULL: the system's CAs */
	const char *user_agent;
	long		connect_timeout_ms;
	long		timeout_ms;		/* whole transfer */
	int64_t		max_response_bytes;
	void	   *tag;			/* the caller's, returned untouched */
} CfHttpRequest;

/* The headers of a response that the glue looks at. */
typedef struct CfHttpHeaders
{
	char		content_type[CF_HTTP_HDR_SHORT * 2];
	char		retry_after[CF_HTTP_HDR_SHORT];
	char		retry_after_ms[CF_HTTP_HDR_SHORT];
	char		cf_ray[CF_HTTP_HDR_SHORT];
	char		ratelimit[CF_HTTP_HDR_LONG];
	char		ratelimit_policy[CF_HTTP_HDR_LONG];
	char		should_retry[CF_HTTP_HDR_SHORT];	/* x-should-retry */
} CfHttpHeaders;

/*
 * Why a body could not be used, if it could not.  The transport finds the
 * first two; the last two are the verdict of the caller's JSON reader on
 * the text, recorded here so that one field says what became of the body.
 */
typedef enum CfHttpBodyError
{
	CF_BODY_OK = 0,
	CF_BODY_TOO_LARGE,			/* more than max_response_bytes */
	CF_BODY_BAD_UTF8,			/* not valid UTF-8 */
	CF_BODY_BAD_JSON,			/* not JSON, or JSON with trailing text */
	CF_BODY_TRUNCATED			/* ended inside a JSON value */
} CfHttpBodyError;

/* The outcome of one transfer, filled in when it finishes. */
typedef struct CfHttpResult
{
	long		status;			/* HTTP status, 0 if none was received */
	CURLcode	curl_code;		/* CURLE_OK, or why the transfer failed */
	char		curl_error[CURL_ERROR_SIZE];	/* curl's text, or "" */

	/*
	 * Whether the request may have reached the server.  False only when
	 * libcurl failed before it wrote a byte of the request (resolve or
	 * connect failures, a TLS handshake that did not complete), so that a
	 * POST may be retried without risk of doing it twice.
	 */
	bool		maybe_sent;

	/* Connections opened for it: 0 when it reused one. */
	int			new_connections;

	/* The body. */
	char	   *raw;			/* the malloc'd body, NULL if empty (only
								 * whitespace), cut short or bad; owned by
								 * the caller once the transfer is done:
								 * take it and set it NULL */
	size_t		raw_len;
	CfHttpBodyError body_error;
	char		parse_error[64];	/* the reader's words for BAD_JSON */
	int64_t		body_bytes;
	char		head[CF_HTTP_HEAD_BYTES];	/* first bytes, not terminated */
	size_t		head_len;

	CfHttpHeaders headers;
} CfHttpResult;

/*
 * Accounting of the sockets libcurl opens for connections: acquire says
 * whether one more may be opened, release that one was closed.  Both are
 * called from inside libcurl, so they must not longjmp.
 */
typedef bool (*CfHttpFdAcquire) (void);
typedef void (*CfHttpFdRelease) (void);

/* Library and handle lifetime. */
extern CfHttp *cf_http_create(void);
extern void cf_http_destroy(CfHttp *http);
extern void cf_http_set_max_connects(CfHttp *http, long n);
extern void cf_http_set_fd_hooks(CfHttp *http, CfHttpFdAcquire acquire,
								 CfHttpFdRelease release);

/* Transfers. */
extern CfHttpTransfer *cf_http_start(CfHttp *http, const CfHttpRequest *req,
									 char *errbuf, size_t errlen);
extern CfHttpTransfer *cf_http_next_done(CfHttp *http);
extern CfHttpResult *cf_http_result(CfHttpTransfer *xfer);
extern void *cf_http_tag(CfHttpTransfer *xfer);
extern void cf_http_release(CfHttp *http, CfHttpTransfer *xfer);
extern int	cf_http_active(CfHttp *http);
extern void cf_http_abort_all(CfHttp *http);

/* Waiting, driven by the caller. */
extern uint64_t cf_http_socket_generation(CfHttp *http);
extern int	cf_http_nsockets(CfHttp *http);
extern void cf_http_socket(CfHttp *http, int i, curl_socket_t *fd, int *want);
extern long cf_http_timeout_ms(CfHttp *http);
extern int	cf_http_socket_action(CfHttp *http, curl_socket_t fd, int events);

/* Small helpers. */
extern void cf_http_slist_free_secure(struct curl_slist *list);
extern const char *cf_http_strerror(CURLcode code);

#endif							/* CF_HTTP_H */
