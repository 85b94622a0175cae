/*-------------------------------------------------------------------------
 *
 * connection.h
 *		  What a cached connection holds: the transport's handle, the
 *		  credentials' headers, timeouts and limits, and the keys of the rate
 *		  budget and the response cache (connection.c fills it).
 *
 * IDENTIFICATION
 *		  src/connection.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_CONNECTION_H
#define CF_CONNECTION_H

#include "http.h"

/*
 * struct CfConnection
 *		What a cached connection holds for request.c.
 *
 * request.h declares CfConnection opaque; its definition lives here so
 * that connection.c, which fills it, and the files that use its fields
 * (request.c, ratelimit.c, cache.c, stmtcache.c) include it, while
 * the rest of the FDW cannot see the header lists that carry the
 * credentials.  The transport (http.h) knows nothing of it: the strings are
 * allocated by connection.c, the header lists by libcurl.
 */
struct CfConnection
{
	CfHttp	   *http;			/* the backend's multi handle (shared) */
	char	   *base_url;		/* api_url, no trailing slash */
	bool		allow_http;		/* api_url is http on a loopback host */
	char	   *ca_file;		/* ca_bundle or NULL */
	long		connect_timeout_ms;
	long		request_timeout_ms;
	int64_t		max_response_bytes;
	int			max_concurrency;
	int			max_retries;
	int			max_retry_wait_ms;

	/*
	 * Every request header: the credentials and Accept (User-Agent is an
	 * option of its own).  headers_body adds Content-Type and an empty
	 * Expect for requests that carry JSON.  libcurl allocated both; their
	 * text is overwritten before they are freed.
	 */
	struct curl_slist *headers;
	struct curl_slist *headers_body;

	/* cache.c's digest of api_url and the credentials, made once */
	bool		cache_cred_set;
	unsigned char cache_cred[32];

	/* The rate budget and the counters of ratelimit.c. */
	unsigned int server_oid;	/* the foreign server */
	int			rate_limit_requests;	/* per window; 0: no budget */
	int			rate_limit_window_ms;
	uint64_t	rate_key;		/* bucket key, 0 until ratelimit.c sets it */
};

#endif							/* CF_CONNECTION_H */
