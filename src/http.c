/*-------------------------------------------------------------------------
 *
 * http.c
 *		  The libcurl transport of cloudflare_fdw, free of PostgreSQL.
 *
 * One CfHttp wraps a libcurl multi handle.  Its connection cache is what
 * makes keep-alive (and HTTP/2 multiplexing) work across pages, scans and
 * queries, so a backend keeps one for its whole life.  Easy handles are
 * pooled and reset between transfers.
 *
 * The caller does the waiting (request.c waits on a WaitEventSet that also
 * holds the backend's latch, so that cancel acts at once): libcurl tells us
 * through CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION which sockets
 * it wants watched and when it wants to be called back, we keep that in a
 * small table, and the caller reads the table, waits, and reports what
 * fired through cf_http_socket_action.
 *
 * Bodies are bytes here: the write callback appends each chunk to the
 * body's text, checks it is UTF-8, keeps its first kilobyte for error
 * messages and enforces the size cap.  Whether the text is JSON, and what
 * it says, is for the caller to read once the transfer is done (request.c
 * and page.c); this file knows nothing of JSON.  Like every other callback
 * here the write callback only records what it sees and returns; a short
 * count stops the transfer.  Nothing in this file calls ereport or palloc.
 *
 * IDENTIFICATION
 *		  src/http.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "http.h"

/* Idle easy handles kept for reuse. */
#define CF_HTTP_POOL_SIZE		16

/*
 * Idle connections the multi handle keeps until the caller says otherwise
 * (cf_http_set_max_connects).  By default libcurl keeps four per easy
 * handle *currently added*, which would close connections whenever few
 * transfers are running.
 */
#define CF_HTTP_MAX_CONNECTS	4L

/*
 * How long an idle connection may wait for its next request.  libcurl
 * closes an older one when it next looks at its cache (at the next
 * request) instead of sending on it.
 */
#define CF_HTTP_IDLE_SECONDS	30


/*
 * A socket counted against the caller's fd budget, known by its inode too:
 * libcurl 7.88 closes a socket whose connect is abandoned without calling
 * the close callback, and the fd number may then be reused by anyone.
 */
typedef struct CfHttpFd
{
	curl_socket_t fd;
	dev_t		dev;
	ino_t		ino;
} CfHttpFd;

/* A socket libcurl wants watched. */
typedef struct CfHttpSocket
{
	curl_socket_t fd;
	int			want;			/* CF_HTTP_WANT_* */
} CfHttpSocket;

struct CfHttpTransfer
{
	CfHttpTransfer *prev;		/* CfHttp.live, every unreleased transfer */
	CfHttpTransfer *next;
	CURL	   *easy;
	void	   *tag;
	bool		in_multi;		/* added and not yet finished */
	bool		completed;		/* finished normally: easy is reusable */
	bool		fd_refused;		/* the fd budget refused a socket */
	CfHttp	   *http;

	/* body state */
	bool		nonspace;		/* a non-whitespace byte was seen */
	size_t		raw_cap;
	int64_t		max_bytes;
	int			utf8_need;		/* continuation bytes still expected */
	unsigned char utf8_lo;		/* range of the next continuation byte */
	unsigned char utf8_hi;

	CfHttpResult result;
};

struct CfHttp
{
	CURLM	   *multi;
	CfHttpTransfer *live;
	int			nactive;		/* transfers in the multi handle */
	CURL	   *pool[CF_HTTP_POOL_SIZE];
	int			npool;

	/* what libcurl wants watched, and when it wants a timeout call */
	CfHttpSocket *socks;
	int			nsocks;
	int			maxsocks;
	uint64_t	generation;		/* bumped whenever socks changes */
	long		max_connects;	/* CURLMOPT_MAXCONNECTS as last set */
	bool		timer_set;
	int64_t		timer_deadline_us;	/* CLOCK_MONOTONIC */

	/* the caller's accounting of connection sockets, or NULL */
	CfHttpFdAcquire fd_acquire;
	CfHttpFdRelease fd_release;
	CfHttpFd   *fds;			/* the sockets counted */
	int			nfds;
	int			maxfds;
};

static bool cf_http_global_done = false;

static int64_t cf_http_now_us(void);
static int	cf_http_socket_cb(CURL *easy, curl_socket_t s, int what,
							  void *userp, void *socketp);
static int	cf_http_timer_cb(CURLM *multi, long timeout_ms, void *userp);
static size_t cf_http_write_cb(char *ptr, size_t size, size_t nmemb,
							   void *userdata);
static size_t cf_http_header_cb(char *buf, size_t size, size_t nitems,
								void *userdata);
static bool cf_http_utf8_feed(CfHttpTransfer *xfer, const unsigned char *p,
							  size_t n);
static bool cf_http_raw_feed(CfHttpTransfer *xfer, const char *p, size_t n);
static bool cf_http_all_space(const char *p, size_t n);
static void cf_http_finish(CfHttp *http, CfHttpTransfer *xfer, CURLcode code);
static CURLcode cf_http_setup(CURL *easy, CfHttpTransfer *xfer,
							  const CfHttpRequest *req);
static void cf_http_copy_value(char *dst, size_t dstlen, const char *src,
							   size_t len);
static void cf_http_unlink(CfHttp *http, CfHttpTransfer *xfer);
static curl_socket_t cf_http_open_cb(void *clientp, curlsocktype purpose,
									 struct curl_sockaddr *address);
static int	cf_http_close_cb(void *clientp, curl_socket_t item);
static void cf_http_fd_forget(CfHttp *http, int i);
static void cf_http_fd_reconcile(CfHttp *http);

/*
 * cf_http_create
 *		A new multi handle, initialising libcurl on first use.
 *
 * curl_global_init runs lazily rather than in _PG_init so that a library
 * preloaded into the postmaster does not create TLS state that every
 * backend would inherit through fork().  Returns NULL on failure.
 */
CfHttp *
cf_http_create(void)
{
	CfHttp	   *http;

	if (!cf_http_global_done)
	{
		if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
			return NULL;
		cf_http_global_done = true;
	}

	http = calloc(1, sizeof(CfHttp));
	if (http == NULL)
		return NULL;
	http->multi = curl_multi_init();
	if (http->multi == NULL)
	{
		free(http);
		return NULL;
	}
	if (curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION,
						  cf_http_socket_cb) != CURLM_OK ||
		curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http) != CURLM_OK ||
		curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION,
						  cf_http_timer_cb) != CURLM_OK ||
		curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http) != CURLM_OK ||
		curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS,
						  CF_HTTP_MAX_CONNECTS) != CURLM_OK)
	{
		curl_multi_cleanup(http->multi);
		free(http);
		return NULL;
	}
	http->max_connects = CF_HTTP_MAX_CONNECTS;
	return http;
}

/*
 * cf_http_set_max_connects
 *		How many connections the handle keeps open between transfers; libcurl
 *		closes the least recently used beyond that.  The caller sets it to
 *		the concurrency it is about to use.
 */
void
cf_http_set_max_connects(CfHttp *http, long n)
{
	if (n < 1)
		n = 1;
	if (n != http->max_connects &&
		curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, n) == CURLM_OK)
		http->max_connects = n;
}

/*
 * cf_http_set_fd_hooks
 *		Lets the caller count the sockets of connections against its own
 *		budget of file descriptors (PostgreSQL's max_files_per_process).
 *		Set it before the first transfer: only sockets opened afterwards
 *		are counted, and each of them is released when it is closed.
 */
void
cf_http_set_fd_hooks(CfHttp *http, CfHttpFdAcquire acquire,
					 CfHttpFdRelease release)
{
	http->fd_acquire = acquire;
	http->fd_release = release;
}

/*
 * cf_http_destroy
 *		Stops every transfer and frees the handle and its connections.
 */
void
cf_http_destroy(CfHttp *http)
{
	if (http == NULL)
		return;
	cf_http_abort_all(http);
	while (http->npool > 0)
		curl_easy_cleanup(http->pool[--http->npool]);
	curl_multi_cleanup(http->multi);
	cf_http_fd_reconcile(http);
	free(http->fds);
	free(http->socks);
	free(http);
}

/*
 * cf_http_start
 *		Starts a transfer.  On failure returns NULL with a message in errbuf;
 *		nothing is left allocated.
 *
 * libcurl does not act until the caller next calls cf_http_socket_action:
 * adding the handle only arms a zero timeout.
 */
CfHttpTransfer *
cf_http_start(CfHttp *http, const CfHttpRequest *req, char *errbuf,
			  size_t errlen)
{
	CfHttpTransfer *xfer;
	CURL	   *easy;
	CURLcode	rc;
	CURLMcode	mrc;

	xfer = calloc(1, sizeof(CfHttpTransfer));
	if (xfer == NULL)
	{
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	xfer->max_bytes = req->max_response_bytes;
	xfer->tag = req->tag;
	xfer->http = http;

	if (http->npool > 0)
		easy = http->pool[--http->npool];
	else
		easy = curl_easy_init();
	if (easy == NULL)
	{
		free(xfer);
		snprintf(errbuf, errlen, "could not create a libcurl handle");
		return NULL;
	}
	xfer->easy = easy;

	rc = cf_http_setup(easy, xfer, req);
	if (rc != CURLE_OK)
	{
		snprintf(errbuf, errlen, "could not set up the request: %s",
				 curl_easy_strerror(rc));
		curl_easy_cleanup(easy);
		free(xfer);
		return NULL;
	}

	mrc = curl_multi_add_handle(http->multi, easy);
	if (mrc != CURLM_OK)
	{
		snprintf(errbuf, errlen, "could not start the request: %s",
				 curl_multi_strerror(mrc));
		curl_easy_cleanup(easy);
		free(xfer);
		return NULL;
	}
	xfer->in_multi = true;
	http->nactive++;

	xfer->next = http->live;
	if (http->live)
		http->live->prev = xfer;
	http->live = xfer;
	return xfer;
}

/*
 * cf_http_setup
 *		Sets every option of one transfer on a fresh or reset easy handle.
 */
static CURLcode
cf_http_setup(CURL *easy, CfHttpTransfer *xfer, const CfHttpRequest *req)
{
	const char *protocols = req->allow_http ? "http,https" : "https";
	CURLcode	rc = CURLE_OK;

/* Stops at the first failing option; rc keeps its code. */
#define CF_SETOPT(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(easy, opt, val); \
	} while (0)

	CF_SETOPT(CURLOPT_PRIVATE, (void *) xfer);

	/*
	 * A connection outlives the transfer that opened it, so the close
	 * callback gets the CfHttp, which lives as long as the connections.
	 */
	if (xfer->http->fd_acquire != NULL)
	{
		CF_SETOPT(CURLOPT_OPENSOCKETFUNCTION, cf_http_open_cb);
		CF_SETOPT(CURLOPT_OPENSOCKETDATA, (void *) xfer);
		CF_SETOPT(CURLOPT_CLOSESOCKETFUNCTION, cf_http_close_cb);
		CF_SETOPT(CURLOPT_CLOSESOCKETDATA, (void *) xfer->http);
	}
	CF_SETOPT(CURLOPT_URL, req->url);
	/* the path goes out as built: libcurl must not squash dot segments */
	CF_SETOPT(CURLOPT_PATH_AS_IS, 1L);
	CF_SETOPT(CURLOPT_PROTOCOLS_STR, protocols);
	CF_SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	CF_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);

	/* libcurl must not use SIGALRM, which the backend's timeouts own */
	CF_SETOPT(CURLOPT_NOSIGNAL, 1L);
	CF_SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	CF_SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL && req->ca_file[0] != '\0')
		CF_SETOPT(CURLOPT_CAINFO, req->ca_file);
	CF_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	CF_SETOPT(CURLOPT_TIMEOUT_MS, req->timeout_ms);
	CF_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);

	/*
	 * Concurrent requests to the same host wait for the first connection to
	 * learn whether it multiplexes (HTTP/2) rather than each opening its own.
	 */
	CF_SETOPT(CURLOPT_PIPEWAIT, 1L);

	/*
	 * A request that must not be sent twice gets a connection of its own,
	 * closed when it is done: it is never reused, so the connections a
	 * backend keeps are those of its reads, however many writes it makes.
	 */
	if (req->fresh_connect)
	{
		CF_SETOPT(CURLOPT_FRESH_CONNECT, 1L);
		CF_SETOPT(CURLOPT_FORBID_REUSE, 1L);
	}
	else
	{
		CF_SETOPT(CURLOPT_FRESH_CONNECT, 0L);
		CF_SETOPT(CURLOPT_FORBID_REUSE, 0L);
	}
	/* an idle connection is reused only this long, then closed */
	CF_SETOPT(CURLOPT_MAXAGE_CONN, (long) CF_HTTP_IDLE_SECONDS);
	CF_SETOPT(CURLOPT_HTTPHEADER, (struct curl_slist *) req->headers);
	if (req->user_agent != NULL)
		CF_SETOPT(CURLOPT_USERAGENT, req->user_agent);
	CF_SETOPT(CURLOPT_ERRORBUFFER, xfer->result.curl_error);
	CF_SETOPT(CURLOPT_WRITEFUNCTION, cf_http_write_cb);
	CF_SETOPT(CURLOPT_WRITEDATA, (void *) xfer);
	CF_SETOPT(CURLOPT_HEADERFUNCTION, cf_http_header_cb);
	CF_SETOPT(CURLOPT_HEADERDATA, (void *) xfer);
	if (req->max_response_bytes > 0)
		CF_SETOPT(CURLOPT_MAXFILESIZE_LARGE,
				  (curl_off_t) req->max_response_bytes);

	if (strcmp(req->method, "GET") == 0)
		CF_SETOPT(CURLOPT_HTTPGET, 1L);
	else
	{
		if (strcmp(req->method, "POST") == 0)
			CF_SETOPT(CURLOPT_POST, 1L);
		else
			CF_SETOPT(CURLOPT_CUSTOMREQUEST, req->method);

		/*
		 * A PUT or POST without a body still says Content-Length: 0; a
		 * DELETE without one sends nothing.  The body is copied so that
		 * its lifetime is the transfer's.
		 */
		if (req->body != NULL || strcmp(req->method, "DELETE") != 0)
		{
			CF_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE,
					  (curl_off_t) (req->body ? req->body_len : 0));
			CF_SETOPT(CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
		}
	}
#undef CF_SETOPT

	return rc;
}

/*
 * cf_http_open_cb
 *		Opens a connection's socket if the caller's fd budget allows it.
 */
static curl_socket_t
cf_http_open_cb(void *clientp, curlsocktype purpose,
				struct curl_sockaddr *address)
{
	CfHttpTransfer *xfer = (CfHttpTransfer *) clientp;
	CfHttp	   *http = xfer->http;
	curl_socket_t fd;
	struct stat st;

	/* sockets closed behind our back give their budget back first */
	cf_http_fd_reconcile(http);

	if (http->nfds == http->maxfds)
	{
		int			newmax = http->maxfds ? http->maxfds * 2 : 16;
		CfHttpFd   *fds = realloc(http->fds, newmax * sizeof(CfHttpFd));

		if (fds == NULL)
			return CURL_SOCKET_BAD;
		http->fds = fds;
		http->maxfds = newmax;
	}
	if (!http->fd_acquire())
	{
		xfer->fd_refused = true;
		return CURL_SOCKET_BAD;
	}
	fd = socket(address->family, address->socktype, address->protocol);
	if (fd == CURL_SOCKET_BAD || fstat(fd, &st) != 0)
	{
		if (fd != CURL_SOCKET_BAD)
			close(fd);
		http->fd_release();
		return CURL_SOCKET_BAD;
	}
	http->fds[http->nfds].fd = fd;
	http->fds[http->nfds].dev = st.st_dev;
	http->fds[http->nfds].ino = st.st_ino;
	http->nfds++;
	return fd;
}

/* Closes a socket cf_http_open_cb opened and gives its fd back. */
static int
cf_http_close_cb(void *clientp, curl_socket_t item)
{
	CfHttp	   *http = (CfHttp *) clientp;

	for (int i = 0; i < http->nfds; i++)
	{
		if (http->fds[i].fd == item)
		{
			cf_http_fd_forget(http, i);
			break;
		}
	}
	return close(item);
}

static void
cf_http_fd_forget(CfHttp *http, int i)
{
	http->fds[i] = http->fds[--http->nfds];
	http->fd_release();
}

/*
 * cf_http_fd_reconcile
 *		Gives back the budget of counted sockets that are no longer open
 *		(or whose fd number now names another file): libcurl closed them
 *		without the close callback.
 */
static void
cf_http_fd_reconcile(CfHttp *http)
{
	int			i = 0;

	while (i < http->nfds)
	{
		struct stat st;

		if (fstat(http->fds[i].fd, &st) != 0 ||
			st.st_dev != http->fds[i].dev || st.st_ino != http->fds[i].ino)
			cf_http_fd_forget(http, i);
		else
			i++;
	}
}

/*
 * cf_http_socket_cb
 *		libcurl says which events it wants on a socket, or that it is done
 *		with it.  Returns -1 (failing the transfer) only on out of memory.
 */
static int
cf_http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
				  void *socketp)
{
	CfHttp	   *http = (CfHttp *) userp;
	int			want = 0;
	int			i;

	for (i = 0; i < http->nsocks; i++)
		if (http->socks[i].fd == s)
			break;

	if (what == CURL_POLL_REMOVE)
	{
		if (i < http->nsocks)
		{
			http->socks[i] = http->socks[--http->nsocks];
			http->generation++;
		}
		return 0;
	}

	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		want |= CF_HTTP_WANT_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		want |= CF_HTTP_WANT_WRITE;

	if (i < http->nsocks)
	{
		if (http->socks[i].want != want)
		{
			http->socks[i].want = want;
			http->generation++;
		}
		return 0;
	}

	if (http->nsocks == http->maxsocks)
	{
		int			newmax = http->maxsocks ? http->maxsocks * 2 : 8;
		CfHttpSocket *socks = realloc(http->socks,
									  newmax * sizeof(CfHttpSocket));

		if (socks == NULL)
			return -1;
		http->socks = socks;
		http->maxsocks = newmax;
	}
	http->socks[http->nsocks].fd = s;
	http->socks[http->nsocks].want = want;
	http->nsocks++;
	http->generation++;
	return 0;
}

/*
 * cf_http_timer_cb
 *		libcurl wants cf_http_socket_action(CF_HTTP_TIMEOUT) after
 *		timeout_ms, or no timeout call at all (-1).
 */
static int
cf_http_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	CfHttp	   *http = (CfHttp *) userp;

	if (timeout_ms < 0)
		http->timer_set = false;
	else
	{
		http->timer_set = true;
		http->timer_deadline_us = cf_http_now_us() + (int64_t) timeout_ms * 1000;
	}
	return 0;
}

static int64_t
cf_http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * cf_http_write_cb
 *		Takes one chunk of a response body.
 *
 * Returns the chunk's length to go on or 0 to stop the transfer, which
 * libcurl then ends with CURLE_WRITE_ERROR; body_error says why.
 */
static size_t
cf_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	CfHttpTransfer *xfer = (CfHttpTransfer *) userdata;
	CfHttpResult *res = &xfer->result;
	size_t		n = size * nmemb;

	if (res->body_error != CF_BODY_OK)
		return 0;
	if (xfer->max_bytes > 0 && (int64_t) n > xfer->max_bytes - res->body_bytes)
	{
		res->body_error = CF_BODY_TOO_LARGE;
		return 0;
	}

	if (res->head_len < CF_HTTP_HEAD_BYTES)
	{
		size_t		take = CF_HTTP_HEAD_BYTES - res->head_len;

		if (take > n)
			take = n;
		memcpy(res->head + res->head_len, ptr, take);
		res->head_len += take;
	}
	res->body_bytes += n;

	if (!cf_http_utf8_feed(xfer, (const unsigned char *) ptr, n))
	{
		res->body_error = CF_BODY_BAD_UTF8;
		return 0;
	}
	if (!cf_http_raw_feed(xfer, ptr, n))
		return 0;
	return n;
}

/*
 * cf_http_raw_feed
 *		Appends the next bytes to a body kept as text, growing the buffer
 *		by doubling (from the announced length when there is one).
 */
static bool
cf_http_raw_feed(CfHttpTransfer *xfer, const char *p, size_t n)
{
	CfHttpResult *res = &xfer->result;

	if (!xfer->nonspace && !cf_http_all_space(p, n))
		xfer->nonspace = true;
	if (res->raw_len + n > xfer->raw_cap)
	{
		size_t		cap = xfer->raw_cap;
		char	   *grown;

		if (cap == 0)
		{
			curl_off_t	announced = -1;

			curl_easy_getinfo(xfer->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
							  &announced);
			cap = (announced > 0 && (xfer->max_bytes <= 0 ||
									 announced <= xfer->max_bytes))
				? (size_t) announced : 65536;
		}
		while (cap < res->raw_len + n)
			cap *= 2;
		grown = realloc(res->raw, cap);
		if (grown == NULL)
		{
			res->body_error = CF_BODY_TOO_LARGE;
			return false;
		}
		res->raw = grown;
		xfer->raw_cap = cap;
	}
	memcpy(res->raw + res->raw_len, p, n);
	res->raw_len += n;
	return true;
}

/*
 * cf_http_utf8_feed
 *		Checks the next bytes of a body are well-formed UTF-8 (no overlong
 *		forms, surrogates or code points above U+10FFFF), keeping the state
 *		of a character split between chunks.
 */
static bool
cf_http_utf8_feed(CfHttpTransfer *xfer, const unsigned char *p, size_t n)
{
	int			need = xfer->utf8_need;
	unsigned char lo = xfer->utf8_lo;
	unsigned char hi = xfer->utf8_hi;
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c;

		/* Between characters, skip runs of ASCII eight bytes at a time. */
		if (need == 0)
		{
			uint64_t	w;

			while (i + 8 <= n)
			{
				memcpy(&w, p + i, 8);
				if (w & UINT64_C(0x8080808080808080))
					break;
				i += 8;
			}
			if (i >= n)
				break;
		}

		c = p[i++];
		if (need > 0)
		{
			if (c < lo || c > hi)
				return false;
			need--;
			lo = 0x80;
			hi = 0xBF;
			continue;
		}
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c == 0xE0)
		{
			need = 2;
			lo = 0xA0;
		}
		else if (c == 0xED)
		{
			need = 2;
			hi = 0x9F;
		}
		else if (c >= 0xE1 && c <= 0xEF)
			need = 2;
		else if (c == 0xF0)
		{
			need = 3;
			lo = 0x90;
		}
		else if (c >= 0xF1 && c <= 0xF3)
			need = 3;
		else if (c == 0xF4)
		{
			need = 3;
			hi = 0x8F;
		}
		else
			return false;
	}
	xfer->utf8_need = need;
	xfer->utf8_lo = lo;
	xfer->utf8_hi = hi;
	return true;
}

static bool
cf_http_all_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return false;
	return true;
}

/*
 * cf_http_header_cb
 *		Records the response headers the glue needs.  A status line starts
 *		a new response (after a 100 Continue, say) and forgets the previous
 *		response's headers.
 */
static size_t
cf_http_header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	CfHttpTransfer *xfer = (CfHttpTransfer *) userdata;
	CfHttpHeaders *h = &xfer->result.headers;
	size_t		n = size * nitems;
	const char *colon;
	const char *value;
	size_t		namelen;
	size_t		vlen;

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0)
	{
		memset(h, 0, sizeof(CfHttpHeaders));
		return n;
	}
	colon = memchr(buf, ':', n);
	if (colon == NULL)
		return n;
	namelen = colon - buf;
	value = colon + 1;
	vlen = n - namelen - 1;
	while (vlen > 0 && (*value == ' ' || *value == '\t'))
	{
		value++;
		vlen--;
	}
	while (vlen > 0 && (value[vlen - 1] == '\r' || value[vlen - 1] == '\n' ||
						value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;

#define CF_HEADER_IS(name) \
	(namelen == sizeof(name) - 1 && strncasecmp(buf, name, namelen) == 0)

	if (CF_HEADER_IS("Content-Type"))
		cf_http_copy_value(h->content_type, sizeof(h->content_type), value, vlen);
	else if (CF_HEADER_IS("Retry-After"))
		cf_http_copy_value(h->retry_after, sizeof(h->retry_after), value, vlen);
	else if (CF_HEADER_IS("Retry-After-Ms"))
		cf_http_copy_value(h->retry_after_ms, sizeof(h->retry_after_ms), value, vlen);
	else if (CF_HEADER_IS("cf-ray"))
		cf_http_copy_value(h->cf_ray, sizeof(h->cf_ray), value, vlen);
	else if (CF_HEADER_IS("Ratelimit"))
		cf_http_copy_value(h->ratelimit, sizeof(h->ratelimit), value, vlen);
	else if (CF_HEADER_IS("Ratelimit-Policy"))
		cf_http_copy_value(h->ratelimit_policy, sizeof(h->ratelimit_policy), value, vlen);
	else if (CF_HEADER_IS("x-should-retry"))
		cf_http_copy_value(h->should_retry, sizeof(h->should_retry), value, vlen);
#undef CF_HEADER_IS

	return n;
}

/* Copies a header value, truncated, replacing control characters. */
static void
cf_http_copy_value(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (len >= dstlen)
		len = dstlen - 1;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) src[i];

		dst[i] = (c < 0x20 || c >= 0x7F) ? '?' : (char) c;
	}
	dst[len] = '\0';
}

/*
 * cf_http_socket_generation
 *		Changes whenever the set of sockets or their events changes, so the
 *		caller rebuilds its wait set only then.
 */
uint64_t
cf_http_socket_generation(CfHttp *http)
{
	return http->generation;
}

int
cf_http_nsockets(CfHttp *http)
{
	return http->nsocks;
}

/* The i-th socket libcurl wants watched and its CF_HTTP_WANT_* events. */
void
cf_http_socket(CfHttp *http, int i, curl_socket_t *fd, int *want)
{
	*fd = http->socks[i].fd;
	*want = http->socks[i].want;
}

/*
 * cf_http_timeout_ms
 *		How long the caller may wait before calling
 *		cf_http_socket_action(CF_HTTP_TIMEOUT): -1 if libcurl set no timer,
 *		0 if it is due.  Rounded up so that a wait never ends just early.
 */
long
cf_http_timeout_ms(CfHttp *http)
{
	int64_t		left;

	if (!http->timer_set)
		return -1;
	left = http->timer_deadline_us - cf_http_now_us();
	if (left <= 0)
		return 0;
	return (long) ((left + 999) / 1000);
}

/*
 * cf_http_socket_action
 *		Lets libcurl act on a socket that fired (events: CF_HTTP_EV_*), or on
 *		its timeout (fd CF_HTTP_TIMEOUT).  Returns a CURLMcode.
 */
int
cf_http_socket_action(CfHttp *http, curl_socket_t fd, int events)
{
	int			mask = 0;
	int			running;

	if (fd == CF_HTTP_TIMEOUT)
		http->timer_set = false;	/* libcurl re-arms it if it wants */
	if (events & CF_HTTP_EV_READ)
		mask |= CURL_CSELECT_IN;
	if (events & CF_HTTP_EV_WRITE)
		mask |= CURL_CSELECT_OUT;
	if (events & CF_HTTP_EV_ERROR)
		mask |= CURL_CSELECT_ERR;
	return (int) curl_multi_socket_action(http->multi, fd, mask, &running);
}

/*
 * cf_http_next_done
 *		The next finished transfer, its result filled in, or NULL.  The
 *		caller reads the result and then calls cf_http_release.
 */
CfHttpTransfer *
cf_http_next_done(CfHttp *http)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL)
	{
		CURL	   *easy = msg->easy_handle;
		CURLcode	code = msg->data.result;
		char	   *priv = NULL;
		CfHttpTransfer *xfer;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
			priv == NULL)
			continue;
		xfer = (CfHttpTransfer *) priv;
		cf_http_finish(http, xfer, code);
		return xfer;
	}
	return NULL;
}

/*
 * cf_http_finish
 *		Fills in the result of a transfer libcurl has finished and takes it
 *		out of the multi handle.
 */
static void
cf_http_finish(CfHttp *http, CfHttpTransfer *xfer, CURLcode code)
{
	CfHttpResult *res = &xfer->result;
	CURL	   *easy = xfer->easy;
	long		status = 0;
	long		reqsize = 0;

	res->curl_code = code;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &reqsize);
	res->status = status;
	{
		long		nconnects = 0;

		curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &nconnects);
		res->new_connections = (int) nconnects;
	}

	if (code == CURLE_FILESIZE_EXCEEDED)
		res->body_error = CF_BODY_TOO_LARGE;
	if (code != CURLE_OK && res->curl_error[0] == '\0')
		snprintf(res->curl_error, sizeof(res->curl_error), "%s",
				 curl_easy_strerror(code));
	if (code == CURLE_WRITE_ERROR && res->body_error != CF_BODY_OK)
		res->curl_error[0] = '\0';	/* we stopped it; body_error says why */
	if (code != CURLE_OK && xfer->fd_refused)
		snprintf(res->curl_error, sizeof(res->curl_error),
				 "too many open files in this process to open a connection");

	/*
	 * The request certainly did not reach the server when libcurl could not
	 * resolve or connect, or when it failed without writing a byte of the
	 * request (a TLS handshake that failed or timed out).  Anything else
	 * may have been received, even without an answer.
	 */
	if (code == CURLE_COULDNT_RESOLVE_HOST ||
		code == CURLE_COULDNT_RESOLVE_PROXY ||
		code == CURLE_COULDNT_CONNECT)
		res->maybe_sent = false;
	else if (code != CURLE_OK && status == 0 && reqsize == 0)
		res->maybe_sent = false;
	else
		res->maybe_sent = true;

	/* a character cut off by the end of the body */
	if (code == CURLE_OK && res->body_error == CF_BODY_OK &&
		xfer->utf8_need > 0)
		res->body_error = CF_BODY_BAD_UTF8;

	/*
	 * The caller gets the text of a whole, well-formed body; not of one
	 * the transfer cut short, nor an empty (all whitespace) one.
	 */
	if (res->raw != NULL &&
		(code != CURLE_OK || res->body_error != CF_BODY_OK || !xfer->nonspace))
	{
		free(res->raw);
		res->raw = NULL;
		res->raw_len = 0;
	}

	curl_multi_remove_handle(http->multi, easy);
	xfer->in_multi = false;
	xfer->completed = true;
	http->nactive--;
}

CfHttpResult *
cf_http_result(CfHttpTransfer *xfer)
{
	return &xfer->result;
}

void *
cf_http_tag(CfHttpTransfer *xfer)
{
	return xfer->tag;
}

/* Transfers in the multi handle, not yet collected by cf_http_next_done. */
int
cf_http_active(CfHttp *http)
{
	return http->nactive;
}

static void
cf_http_unlink(CfHttp *http, CfHttpTransfer *xfer)
{
	if (xfer->prev)
		xfer->prev->next = xfer->next;
	else
		http->live = xfer->next;
	if (xfer->next)
		xfer->next->prev = xfer->prev;
	xfer->prev = xfer->next = NULL;
}

/*
 * cf_http_release
 *		Frees a transfer, finished or not, and a body the caller did not
 *		take.
 *
 * A finished transfer's easy handle goes back to the pool; one stopped
 * mid-flight is destroyed, since libcurl's state for it is unknown (its
 * connection is closed by libcurl when the handle leaves the multi).
 */
void
cf_http_release(CfHttp *http, CfHttpTransfer *xfer)
{
	cf_http_unlink(http, xfer);
	if (xfer->in_multi)
	{
		curl_multi_remove_handle(http->multi, xfer->easy);
		http->nactive--;
		curl_easy_cleanup(xfer->easy);
	}
	else if (xfer->completed && http->npool < CF_HTTP_POOL_SIZE)
	{
		curl_easy_reset(xfer->easy);
		http->pool[http->npool++] = xfer->easy;
	}
	else
		curl_easy_cleanup(xfer->easy);

	free(xfer->result.raw);
	free(xfer);
}

/*
 * cf_http_abort_all
 *		Stops and frees every transfer, finished or not.  Safe to call at
 *		any time outside a libcurl callback, including from error cleanup:
 *		afterwards no transfer pointer the caller held is valid.
 */
void
cf_http_abort_all(CfHttp *http)
{
	if (http == NULL)
		return;
	while (http->live != NULL)
		cf_http_release(http, http->live);
	http->timer_set = false;
	cf_http_fd_reconcile(http);
}

/*
 * cf_http_slist_free_secure
 *		Frees a header list after overwriting its text, which may hold
 *		credentials.
 */
void
cf_http_slist_free_secure(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l != NULL; l = l->next)
	{
		volatile char *p = l->data;

		if (p == NULL)
			continue;
		while (*p)
			*p++ = '\0';
	}
	curl_slist_free_all(list);
}

const char *
cf_http_strerror(CURLcode code)
{
	return curl_easy_strerror(code);
}
