/*-------------------------------------------------------------------------
 *
 * fuzz_body.c
 *		  libFuzzer target: a response body through http.c's transport, then
 *		  through the JSON verdict the reader above it gives the text.
 *
 * http.c has no PostgreSQL dependency, so it is compiled right into this
 * file (#include "../src/http.c") and its static write callback, finish step
 * and release are called directly on a transfer started through the public
 * API (cf_http_start with a URL nothing listens on; libcurl is never driven,
 * so nothing is sent).  Per input:
 *
 *	 1. The body goes through cf_http_write_cb in chunks whose sizes the
 *		input chooses (libcurl hands a body over in arbitrary pieces), with an
 *		optional size cap, then the transfer ends the way the input says: a
 *		normal end, a transport error, or an abort mid-flight.
 *	 2. The outcome is checked: the cap holds, the kept head matches the
 *		body, a body is handed over only when whole, well-formed UTF-8 and
 *		not empty, and then byte for byte, and (for a normal end without a
 *		cap) the UTF-8 verdict agrees with a plain reference check, however
 *		the body was split.
 *	 3. The text handed over is read as request.c has page.c read it: one
 *		JSON value by jsonscan.c's scanner, then only whitespace.  Text
 *		that passes a reference grammar check must be accepted, any other
 *		rejected, with an error position inside the text (at its end when
 *		it ends inside a value: the verdict that retries).
 *
 * Input layout (fuzz/README.md): 4 header bytes, then the body.
 *	 byte 0  bits 0-2  end: 0-3 normal, 4 CURLE_PARTIAL_FILE,
 *					   5 CURLE_RECV_ERROR, 6 CURLE_OPERATION_TIMEDOUT,
 *					   7 released mid-flight (never finished)
 *			 bit 3	   size cap on (max_response_bytes = bytes 1-2)
 *			 bit 4	   the caller takes the body (else release frees it)
 *			 bits 5-7  chunking: 0 one piece, 1 bytes one by one,
 *					   n >= 2 pseudo-random pieces of 1 .. 2^(2n-1) bytes
 *	 bytes 1-2		   the cap, big-endian (0: a cap of 0 means none)
 *	 byte 3			   seed of the chunk sizes
 *
 * A failed check calls abort(), which libFuzzer reports as a crash.
 *
 * IDENTIFICATION
 *		  fuzz/fuzz_body.c
 *
 *-------------------------------------------------------------------------
 */
#include "../src/http.c"
#include "../src/jsonscan.c"
#include "fuzz_ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#define FUZZ_HEADER		4

static CfHttp *fuzz_http;

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_body: check failed at %s:%d: %s\n", \
					__FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* xorshift32: the chunk sizes, from the input's seed byte. */
static uint32_t
fuzz_rand(uint32_t *s)
{
	uint32_t	x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * A reference JSON grammar check (RFC 8259, bytes only; UTF-8 is checked
 * apart), to tell a body the reader must accept from one it must reject.
 */
typedef enum FuzzRef
{
	REF_VALID,
	REF_INVALID,
	REF_TOO_DEEP				/* valid or not, nested deeper than the
								 * reader's limit allows us to predict */
} FuzzRef;

typedef struct FuzzParser
{
	const unsigned char *p;
	size_t		n;
	size_t		i;
	FuzzRef		err;
} FuzzParser;

static bool fuzz_ref_value(FuzzParser *ps, int depth);

static void
fuzz_ref_space(FuzzParser *ps)
{
	while (ps->i < ps->n && (ps->p[ps->i] == ' ' || ps->p[ps->i] == '\t' ||
							 ps->p[ps->i] == '\n' || ps->p[ps->i] == '\r'))
		ps->i++;
}

static bool
fuzz_ref_fail(FuzzParser *ps, FuzzRef err)
{
	ps->err = err;
	return false;
}

static bool
fuzz_is_numchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' ||
		c == 'e' || c == 'E';
}

static bool
fuzz_ref_number(FuzzParser *ps)
{
	const unsigned char *p = ps->p;
	size_t		n = ps->n;
	size_t		i = ps->i;

#define NUM_FAIL() return fuzz_ref_fail(ps, REF_INVALID)
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		NUM_FAIL();
	if (i < n && p[i] == '.')
	{
		i++;
		if (!(i < n && p[i] >= '0' && p[i] <= '9'))
			NUM_FAIL();
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E'))
	{
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (!(i < n && p[i] >= '0' && p[i] <= '9'))
			NUM_FAIL();
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	/* a number directly followed by more number characters */
	if (i < n && fuzz_is_numchar(p[i]))
		NUM_FAIL();
#undef NUM_FAIL
	ps->i = i;
	return true;
}

static bool
fuzz_ref_string(FuzzParser *ps)
{
	ps->i++;					/* the opening quote */
	while (ps->i < ps->n)
	{
		unsigned char c = ps->p[ps->i++];

		if (c == '"')
			return true;
		if (c < 0x20)
			return fuzz_ref_fail(ps, REF_INVALID);
		if (c == '\\')
		{
			if (ps->i >= ps->n)
				return fuzz_ref_fail(ps, REF_INVALID);
			c = ps->p[ps->i++];
			if (c == 'u')
			{
				for (int k = 0; k < 4; k++, ps->i++)
					if (ps->i >= ps->n || !isxdigit(ps->p[ps->i]))
						return fuzz_ref_fail(ps, REF_INVALID);
			}
			else if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return fuzz_ref_fail(ps, REF_INVALID);
		}
	}
	return fuzz_ref_fail(ps, REF_INVALID);
}

static bool
fuzz_ref_literal(FuzzParser *ps, const char *word)
{
	size_t		len = strlen(word);

	if (ps->n - ps->i < len || memcmp(ps->p + ps->i, word, len) != 0)
		return fuzz_ref_fail(ps, REF_INVALID);
	ps->i += len;
	return true;
}

static bool
fuzz_ref_value(FuzzParser *ps, int depth)
{
	unsigned char c;

	if (depth > 60)
		return fuzz_ref_fail(ps, REF_TOO_DEEP);
	fuzz_ref_space(ps);
	if (ps->i >= ps->n)
		return fuzz_ref_fail(ps, REF_INVALID);
	c = ps->p[ps->i];
	if (c == '{' || c == '[')
	{
		unsigned char close = c == '{' ? '}' : ']';

		ps->i++;
		fuzz_ref_space(ps);
		if (ps->i < ps->n && ps->p[ps->i] == close)
		{
			ps->i++;
			return true;
		}
		for (;;)
		{
			if (c == '{')
			{
				fuzz_ref_space(ps);
				if (ps->i >= ps->n || ps->p[ps->i] != '"' ||
					!fuzz_ref_string(ps))
					return ps->err == REF_VALID ? fuzz_ref_fail(ps, REF_INVALID) : false;
				fuzz_ref_space(ps);
				if (ps->i >= ps->n || ps->p[ps->i] != ':')
					return fuzz_ref_fail(ps, REF_INVALID);
				ps->i++;
			}
			if (!fuzz_ref_value(ps, depth + 1))
				return false;
			fuzz_ref_space(ps);
			if (ps->i >= ps->n)
				return fuzz_ref_fail(ps, REF_INVALID);
			if (ps->p[ps->i] == close)
			{
				ps->i++;
				return true;
			}
			if (ps->p[ps->i] != ',')
				return fuzz_ref_fail(ps, REF_INVALID);
			ps->i++;
		}
	}
	if (c == '"')
		return fuzz_ref_string(ps);
	if (c == '-' || (c >= '0' && c <= '9'))
		return fuzz_ref_number(ps);
	if (c == 't')
		return fuzz_ref_literal(ps, "true");
	if (c == 'f')
		return fuzz_ref_literal(ps, "false");
	if (c == 'n')
		return fuzz_ref_literal(ps, "null");
	return fuzz_ref_fail(ps, REF_INVALID);
}

/* The verdict on a whole body: one value, whitespace around it. */
static FuzzRef
fuzz_ref_check(const unsigned char *p, size_t n)
{
	FuzzParser	ps = {p, n, 0, REF_VALID};

	if (!fuzz_ref_value(&ps, 0))
		return ps.err;
	fuzz_ref_space(&ps);
	if (ps.i != n)
		return REF_INVALID;
	return REF_VALID;
}

/*
 * Feeds a body to a fresh transfer.  Returns the transfer, finished unless
 * `abort_midway`, with *stopped set when the write callback refused a chunk.
 */
static CfHttpTransfer *
fuzz_feed(const uint8_t *body, size_t n, int mode, uint32_t seed,
		  int64_t cap, CURLcode end, bool abort_midway, bool *stopped)
{
	CfHttpRequest req;
	CfHttpTransfer *xfer;
	char		errbuf[256];
	size_t		off = 0;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = "http://127.0.0.1:9/client/v4/organizations";
	req.allow_http = true;
	req.connect_timeout_ms = 1000;
	req.timeout_ms = 1000;
	req.max_response_bytes = cap;
	xfer = cf_http_start(fuzz_http, &req, errbuf, sizeof(errbuf));
	if (xfer == NULL)
	{
		fprintf(stderr, "fuzz_body: cf_http_start: %s\n", errbuf);
		abort();
	}

	*stopped = false;
	seed = seed * 2654435761u + 1;
	while (off < n)
	{
		size_t		len;
		size_t		got;

		if (mode == 0)
			len = n - off;
		else if (mode == 1)
			len = 1;
		else
			len = 1 + fuzz_rand(&seed) % ((size_t) 1 << (2 * mode - 1));
		if (len > n - off)
			len = n - off;

		/*
		 * libcurl hands over a chunk in its own buffer; a copy of exactly
		 * the chunk's length lets AddressSanitizer catch a read past it.
		 */
		{
			char	   *chunk = malloc(len ? len : 1);

			CHECK(chunk != NULL);
			memcpy(chunk, body + off, len);
			got = cf_http_write_cb(chunk, 1, len, xfer);
			free(chunk);
		}
		if (got != len)
		{
			CHECK(got == 0);
			*stopped = true;
			break;
		}
		off += len;
	}
	if (!abort_midway)
		cf_http_finish(fuzz_http, xfer, *stopped ? CURLE_WRITE_ERROR : end);
	return xfer;
}

/*
 * The reader's verdict on a body handed over (page.c's cf_page_parse does
 * the same scan, indexing the envelope on its way): checked against the
 * reference grammar.
 */
static void
fuzz_read(const char *raw, size_t len)
{
	/* a copy of exactly the body's length, for AddressSanitizer */
	char	   *text = malloc(len ? len : 1);
	const char *end;
	const char *p;
	CfJsError	err = {CF_JS_OK, NULL};
	FuzzRef		ref;
	bool		ok;

	CHECK(text != NULL);
	memcpy(text, raw, len);
	end = text + len;
	p = cf_js_value(cf_js_ws(text, end), end, 0, &err);
	ok = p != NULL && cf_js_ws(p, end) == end;
	if (p == NULL)
	{
		CHECK(err.status != CF_JS_OK);
		CHECK(err.at >= text && err.at <= end);
		if (err.status == CF_JS_EOF)
			CHECK(err.at == end);
		CHECK(cf_js_describe(&err) != NULL);
	}
	else
		CHECK(p > text && p <= end);

	ref = fuzz_ref_check((const unsigned char *) text, len);
	if (ref == REF_VALID && !ok)
	{
		fprintf(stderr, "fuzz_body: valid JSON rejected: %s at byte %ld\n",
				p == NULL ? cf_js_describe(&err) : "unexpected data after the JSON value",
				(long) ((p == NULL ? err.at : p) - text));
		abort();
	}
	if (ref == REF_INVALID && ok)
	{
		fprintf(stderr, "fuzz_body: invalid JSON accepted\n");
		abort();
	}
	free(text);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const CURLcode ends[8] = {
		CURLE_OK, CURLE_OK, CURLE_OK, CURLE_OK, CURLE_PARTIAL_FILE,
		CURLE_RECV_ERROR, CURLE_OPERATION_TIMEDOUT, CURLE_OK,
	};
	const uint8_t *body;
	size_t		n;
	int			flags,
				mode,
				endsel;
	int64_t		cap;
	bool		take,
				abort_midway,
				stopped;
	CfHttpTransfer *xfer;
	CfHttpResult *res;

	if (fuzz_http == NULL)
	{
		fuzz_http = cf_http_create();
		CHECK(fuzz_http != NULL);
	}
	if (size < FUZZ_HEADER)
		return 0;
	flags = data[0];
	endsel = flags & 7;
	cap = (flags & 8) ? ((int64_t) data[1] << 8 | data[2]) : 0;
	take = (flags & 16) != 0;
	mode = flags >> 5;
	abort_midway = endsel == 7;
	body = data + FUZZ_HEADER;
	n = size - FUZZ_HEADER;

	xfer = fuzz_feed(body, n, mode, data[3], cap, ends[endsel],
					 abort_midway, &stopped);
	res = cf_http_result(xfer);

	/* what the write callback keeps, whatever happens next */
	CHECK(res->head_len <= CF_HTTP_HEAD_BYTES);
	CHECK(res->head_len <= (size_t) res->body_bytes);
	CHECK(memcmp(res->head, body, res->head_len) == 0);
	CHECK((size_t) res->body_bytes <= n);
	if (cap > 0)
		CHECK(res->body_bytes <= cap);
	if (!stopped)
		CHECK((size_t) res->body_bytes == n);
	if (stopped)
		CHECK(res->body_error != CF_BODY_OK);
	if (cap > 0 && (int64_t) n > cap)
		CHECK(res->body_error != CF_BODY_OK);

	/* the transport's verdicts are its own two; JSON is the reader's */
	CHECK(res->body_error == CF_BODY_OK || res->body_error == CF_BODY_TOO_LARGE ||
		  res->body_error == CF_BODY_BAD_UTF8);

	if (abort_midway)
	{
		/* stopped mid-flight: release frees the body */
		cf_http_release(fuzz_http, xfer);
		return 0;
	}

	/* a body is handed over whole, checked and not empty, or not at all */
	if (res->body_error != CF_BODY_OK || res->curl_code != CURLE_OK)
		CHECK(res->raw == NULL);
	else if (cf_http_all_space((const char *) body, n))
		CHECK(res->raw == NULL);
	else
	{
		CHECK(res->raw != NULL);
		CHECK(res->raw_len == n);
		CHECK(memcmp(res->raw, body, n) == 0);
	}
	if (res->raw == NULL)
		CHECK(res->raw_len == 0 || res->body_error == CF_BODY_OK);

	/* a normal end without a cap: UTF-8 as a plain validator says */
	if (ends[endsel] == CURLE_OK && cap == 0)
	{
		bool		utf8 = fuzz_utf8_ok(body, n);

		if (!utf8)
			CHECK(res->body_error == CF_BODY_BAD_UTF8);
		else
			CHECK(res->body_error == CF_BODY_OK);
	}

	if (res->raw != NULL)
		fuzz_read(res->raw, res->raw_len);

	if (take && res->raw != NULL)
	{
		/* the caller takes the body: release must not free it too */
		char	   *raw = res->raw;

		res->raw = NULL;
		cf_http_release(fuzz_http, xfer);
		free(raw);
	}
	else
		cf_http_release(fuzz_http, xfer);
	return 0;
}
