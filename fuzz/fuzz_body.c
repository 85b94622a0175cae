/*-------------------------------------------------------------------------
 *
 * fuzz_body.c
 *		  libFuzzer target: a response body through http.c's decoder, then
 *		  through the lookups the scan makes on the tree.
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
 *	 2. The outcome is checked: no tree with an error, the cap holds, the
 *		kept head matches the body, and (for a normal end without a cap) the
 *		same body fed in one piece gives the same verdict and the same tree,
 *		and the verdict agrees with a plain reference UTF-8 check.
 *	 3. The tree is walked the way the scan, the error mapping and the
 *		conversions do: "success", "errors"[].code/message/error_chain,
 *		"result" as array or object, each item's columns by dotted JSON path,
 *		a page's first and last items as JSON text, result_info's
 *		next_page_token / total_size / page counters, and a full recursive
 *		walk like the one that builds jsonb.
 *
 * Input layout (fuzz/README.md): 4 header bytes, then the body.
 *	 byte 0  bits 0-2  end: 0-3 normal, 4 CURLE_PARTIAL_FILE,
 *					   5 CURLE_RECV_ERROR, 6 CURLE_OPERATION_TIMEDOUT,
 *					   7 released mid-flight (never finished)
 *			 bit 3	   size cap on (max_response_bytes = bytes 1-2)
 *			 bit 4	   the caller takes the root (else release frees it)
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

/* Every JSON path a column of src/resources.c reads, and the scan's own. */
static const char *const fuzz_paths[] = {
	"id", "name", "create_time", "update_time", "created_on", "status",
	"type", "roles", "permissions", "policies", "api_access_enabled",
	"parent.id", "parent.name", "meta", "meta.managed_by",
	"meta.hierarchy_tags", "meta.tenant_flags", "profile",
	"profile.business_name", "profile.business_email",
	"profile.business_phone", "profile.business_address",
	"profile.external_metadata",
	"settings", "settings.abuse_contact_email", "settings.enforce_twofactor",
	"settings.api_access_enabled", "settings.access_approval_expiry",
	"settings.default_nameservers", "settings.use_account_custom_ns_by_default",
	"user", "user.id", "user.email", "user.name",
	"user.two_factor_authentication_enabled",
	"account", "account.id", "account.name", "account.type",
	"account.created_on", "account.settings.enforce_twofactor",
	"account.managed_by.parent_org_id", "a.b.c.d.e.f.g.h",
};

#define FUZZ_NPATHS (sizeof(fuzz_paths) / sizeof(fuzz_paths[0]))

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
 * apart), to tell a body json-c must accept from one it may reject.
 */
typedef enum FuzzRef
{
	REF_VALID,
	REF_INVALID,
	REF_TOO_DEEP				/* valid or not, nested deeper than json-c's
								 * limit allows us to predict */
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

/*
 * Whether the body has, outside string literals, a digit followed by '-':
 * the text json-c 0.16 misreads when a chunk boundary falls inside it
 * ("1-2" is an error in one piece, 1 when split).
 */
static bool
fuzz_has_int_minus(const unsigned char *p, size_t n)
{
	bool		in_string = false;

	for (size_t i = 0; i + 1 < n; i++)
	{
		if (in_string)
		{
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = false;
		}
		else if (p[i] == '"')
			in_string = true;
		else if (p[i] >= '0' && p[i] <= '9' && p[i + 1] == '-')
			return true;
	}
	return false;
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

/* Keeps the compiler from dropping reads whose result is unused. */
static volatile size_t fuzz_sink;

/* A value's text, as the text conversion takes it. */
static void
fuzz_text(struct json_object *v)
{
	const char *s;
	size_t		len;

	if (json_object_get_type(v) == json_type_string)
	{
		s = json_object_get_string(v);
		len = (size_t) json_object_get_string_len(v);
		CHECK(s != NULL);
		CHECK(s[len] == '\0');
	}
	else
	{
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
										   JSON_C_TO_STRING_NOSLASHESCAPE);
		CHECK(s != NULL);
		len = strlen(s);
	}
	fuzz_sink += len + (memchr(s, '\0', len) != NULL);
}

/* The whole tree, as the jsonb conversion visits it. */
static void
fuzz_walk(struct json_object *v, int depth)
{
	CHECK(depth <= CF_HTTP_JSON_DEPTH + 1);
	switch (json_object_get_type(v))
	{
		case json_type_null:
			break;
		case json_type_boolean:
			fuzz_sink += json_object_get_boolean(v);
			break;
		case json_type_int:
			errno = 0;
			fuzz_sink += (size_t) json_object_get_int64(v);
			fuzz_sink += (size_t) json_object_get_uint64(v);
			fuzz_text(v);
			break;
		case json_type_double:
			fuzz_sink += (size_t) (json_object_get_double(v) != 0);
			fuzz_text(v);
			break;
		case json_type_string:
			fuzz_text(v);
			break;
		case json_type_array:
			{
				size_t		n = json_object_array_length(v);

				for (size_t i = 0; i < n; i++)
					fuzz_walk(json_object_array_get_idx(v, i), depth + 1);
				break;
			}
		case json_type_object:
			{
				json_object_object_foreach(v, key, val)
				{
					fuzz_sink += strlen(key);
					fuzz_walk(val, depth + 1);
				}
				break;
			}
	}
}

/* cf_json_lookup: a dotted path, NULL when absent or through a non-object. */
static struct json_object *
fuzz_lookup(struct json_object *obj, const char *path)
{
	char		key[128];

	while (obj != NULL && *path)
	{
		const char *dot = strchr(path, '.');
		size_t		len = dot ? (size_t) (dot - path) : strlen(path);

		CHECK(len < sizeof(key));
		memcpy(key, path, len);
		key[len] = '\0';
		if (json_object_get_type(obj) != json_type_object ||
			!json_object_object_get_ex(obj, key, &obj))
			return NULL;
		path += len + (dot != NULL);
	}
	return obj;
}

/* One item of a page: every column, the id the fan-out reads. */
static void
fuzz_item(struct json_object *item)
{
	struct json_object *id;

	for (size_t i = 0; i < FUZZ_NPATHS; i++)
	{
		struct json_object *v = fuzz_lookup(item, fuzz_paths[i]);

		if (v == NULL || json_object_get_type(v) == json_type_null)
			continue;
		fuzz_text(v);
		if (json_object_get_type(v) == json_type_array)
		{
			size_t		n = json_object_array_length(v);

			for (size_t k = 0; k < n; k++)
			{
				struct json_object *e = json_object_array_get_idx(v, k);

				if (e != NULL)
					fuzz_text(e);
			}
		}
	}
	if (json_object_get_type(item) == json_type_object &&
		json_object_object_get_ex(item, "id", &id) &&
		json_object_get_type(id) == json_type_string)
		fuzz_sink += strlen(json_object_get_string(id));
}

/* cf_append_cf_errors: the error envelope. */
static void
fuzz_errors(struct json_object *root)
{
	struct json_object *errors;
	size_t		n;

	if (!json_object_object_get_ex(root, "errors", &errors) ||
		json_object_get_type(errors) != json_type_array)
		return;
	n = json_object_array_length(errors);
	for (size_t i = 0; i < n; i++)
	{
		struct json_object *e = json_object_array_get_idx(errors, i);
		struct json_object *code = NULL;
		struct json_object *msg = NULL;
		struct json_object *chain = NULL;

		if (json_object_get_type(e) != json_type_object)
			continue;
		json_object_object_get_ex(e, "code", &code);
		json_object_object_get_ex(e, "message", &msg);
		if (code)
			fuzz_sink += strlen(json_object_get_string(code));
		if (msg && json_object_get_type(msg) == json_type_string)
			fuzz_text(msg);
		if (json_object_object_get_ex(e, "error_chain", &chain) &&
			json_object_get_type(chain) == json_type_array)
		{
			size_t		nc = json_object_array_length(chain);

			for (size_t j = 0; j < nc; j++)
			{
				struct json_object *c = json_object_array_get_idx(chain, j);
				struct json_object *cc = NULL;
				struct json_object *cm = NULL;

				if (json_object_get_type(c) != json_type_object)
					continue;
				json_object_object_get_ex(c, "code", &cc);
				json_object_object_get_ex(c, "message", &cm);
				if (cc)
					fuzz_sink += strlen(json_object_get_string(cc));
				if (cm && json_object_get_type(cm) == json_type_string)
					fuzz_text(cm);
			}
		}
	}
}

/* What the scan and the error mapping read of a parsed body. */
static void
fuzz_scan(struct json_object *root)
{
	struct json_object *ok;
	struct json_object *result;
	struct json_object *info;
	struct json_object *v;

	if (json_object_get_type(root) != json_type_object)
	{
		fuzz_walk(root, 0);
		return;
	}
	if (json_object_object_get_ex(root, "success", &ok) &&
		json_object_get_type(ok) == json_type_boolean)
		fuzz_sink += json_object_get_boolean(ok);
	fuzz_errors(root);

	if (json_object_object_get_ex(root, "result", &result))
	{
		if (json_object_get_type(result) == json_type_array)
		{
			size_t		n = json_object_array_length(result);

			for (size_t i = 0; i < n; i++)
				fuzz_item(json_object_array_get_idx(result, i));
			/* cf_page_edges_hash */
			if (n > 0)
			{
				const char *first =
					json_object_to_json_string_ext(json_object_array_get_idx(result, 0),
												   JSON_C_TO_STRING_PLAIN);
				const char *last =
					json_object_to_json_string_ext(json_object_array_get_idx(result, n - 1),
												   JSON_C_TO_STRING_PLAIN);

				CHECK(first != NULL && last != NULL);
				fuzz_sink += strlen(first) + strlen(last);
			}
		}
		else if (json_object_get_type(result) == json_type_object)
			fuzz_item(result);
	}

	if (json_object_object_get_ex(root, "result_info", &info))
	{
		static const char *const counters[] = {
			"total_size", "count", "page", "per_page", "total_count",
		};

		if (json_object_object_get_ex(info, "next_page_token", &v) &&
			json_object_get_type(v) == json_type_string)
		{
			const char *next = json_object_get_string(v);
			char	   *copy = strdup(next);

			CHECK(copy != NULL);
			fuzz_sink += strcmp(copy, "stuck") == 0;
			free(copy);
		}
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			if (json_object_object_get_ex(info, counters[i], &v) &&
				json_object_get_type(v) == json_type_int)
				fuzz_sink += (size_t) json_object_get_int64(v);
	}
	fuzz_walk(root, 0);
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

/* The JSON text of a result, for comparing two parses (malloc'd or NULL). */
static char *
fuzz_dump(struct json_object *root)
{
	const char *s;

	if (root == NULL)
		return NULL;
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	CHECK(s != NULL);
	return strdup(s);
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
	struct json_object *root;

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

	if (abort_midway)
	{
		/* stopped mid-flight: release frees the tokener and any tree */
		cf_http_release(fuzz_http, xfer);
		return 0;
	}

	CHECK(xfer->tok == NULL);
	if (res->body_error != CF_BODY_OK || res->curl_code != CURLE_OK)
		CHECK(res->root == NULL);
	if (res->body_error == CF_BODY_BAD_JSON)
		CHECK(memchr(res->json_error, '\0', sizeof(res->json_error)) != NULL);

	/*
	 * A normal end without a cap: compare with the body fed in one piece
	 * and with the reference checks.  Valid JSON in valid UTF-8 must give
	 * the same tree both ways.  Otherwise both ways must agree too, except
	 * where json-c 0.16's incremental parser is known to go wrong: an
	 * integer followed by minus signs and digits ("1-2", "-1-1", "1-") is
	 * an error in one piece but, split between chunks, is taken as the
	 * first integer (see docs/testing-deep.md).  So a body that fails in one
	 * piece may pass in chunks when it has a digit followed by '-' outside
	 * its strings; any other disagreement fails.  FUZZ_STRICT_JSONC=1 makes
	 * that one a failure too.
	 */
	if (ends[endsel] == CURLE_OK && cap == 0)
	{
		bool		stopped1;
		CfHttpTransfer *one = fuzz_feed(body, n, 0, 0, 0, CURLE_OK,
										false, &stopped1);
		CfHttpResult *r1 = cf_http_result(one);
		char	   *a = fuzz_dump(res->root);
		char	   *b = fuzz_dump(r1->root);
		bool		utf8 = fuzz_utf8_ok(body, n);
		FuzzRef		ref = fuzz_ref_check(body, n);
		bool		same = (res->body_error == CF_BODY_OK) == (r1->body_error == CF_BODY_OK) &&
			(a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
		static bool strict = false;
		static bool strict_read = false;

		if (!strict_read)
		{
			const char *e = getenv("FUZZ_STRICT_JSONC");

			strict = e != NULL && strcmp(e, "1") == 0;
			strict_read = true;
		}
		if (!utf8)
			CHECK(r1->body_error != CF_BODY_OK && res->body_error != CF_BODY_OK);
		else if (r1->body_error == CF_BODY_BAD_UTF8 || res->body_error == CF_BODY_BAD_UTF8)
		{
			fprintf(stderr, "fuzz_body: valid UTF-8 reported as invalid\n");
			abort();
		}

		/*
		 * A body that is exactly JSON null: json-c returns no object for
		 * it, and http.c calls that BAD_JSON (with json-c's text "success").
		 */
		if (utf8 && ref == REF_VALID && r1->body_error == CF_BODY_BAD_JSON &&
			strcmp(r1->json_error, "success") == 0)
			CHECK(same);
		else if (utf8 && ref == REF_VALID)
		{
			if (r1->body_error != CF_BODY_OK || r1->root == NULL)
			{
				fprintf(stderr, "fuzz_body: valid JSON rejected in one piece: error %d (%s)\n",
						(int) r1->body_error, r1->json_error);
				abort();
			}
			if (!same)
			{
				fprintf(stderr, "fuzz_body: valid JSON parsed differently in chunks (mode %d, error %d)\n"
						"  chunked: %.300s\n  one piece: %.300s\n",
						mode, (int) res->body_error, a ? a : "(no tree)", b ? b : "(no tree)");
				abort();
			}
		}
		else if (!same &&
				 !(r1->body_error != CF_BODY_OK && res->body_error == CF_BODY_OK &&
				   fuzz_has_int_minus(body, n) && !strict))
		{
			fprintf(stderr, "fuzz_body: chunked parse (mode %d) gave error %d, "
					"one piece gave error %d (reference verdict %d)\n"
					"  chunked: %.300s\n  one piece: %.300s\n",
					mode, (int) res->body_error, (int) r1->body_error, (int) ref,
					a ? a : "(no tree)", b ? b : "(no tree)");
			abort();
		}
		free(a);
		free(b);
		cf_http_release(fuzz_http, one);
	}

	root = res->root;
	if (root != NULL)
		fuzz_scan(root);

	if (take && root != NULL)
	{
		/* the caller takes the tree: release must not free it too */
		res->root = NULL;
		cf_http_release(fuzz_http, xfer);
		fuzz_scan(root);
		CHECK(json_object_put(root) == 1);
	}
	else
		cf_http_release(fuzz_http, xfer);
	return 0;
}
