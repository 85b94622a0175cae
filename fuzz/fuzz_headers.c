/*-------------------------------------------------------------------------
 *
 * fuzz_headers.c
 *		  libFuzzer target: response header lines through http.c's header
 *		  callback.
 *
 * The input is cut into lines after each '\n' (libcurl hands the header
 * callback one whole line, CRLF included, at a time), and every line goes
 * through cf_http_header_cb.  Afterwards every captured value must be a
 * terminated string within its field, of printable ASCII only (the values
 * reach error messages and the rate limiter), and a status line must have
 * forgotten the headers before it.
 *
 * IDENTIFICATION
 *		  fuzz/fuzz_headers.c
 *
 *-------------------------------------------------------------------------
 */
#include "../src/http.c"

#include <stdio.h>

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_headers: check failed at %s:%d: %s\n", \
					__FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static void
fuzz_check_field(const char *f, size_t size)
{
	const char *end = memchr(f, '\0', size);

	CHECK(end != NULL);
	for (const char *p = f; p < end; p++)
		CHECK(*p >= 0x20 && *p < 0x7F);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CfHttpTransfer *xfer = calloc(1, sizeof(CfHttpTransfer));
	CfHttpHeaders *h;
	size_t		off = 0;

	CHECK(xfer != NULL);
	h = &xfer->result.headers;
	while (off < size)
	{
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t		len = nl ? (size_t) (nl - (data + off)) + 1 : size - off;
		char	   *line = malloc(len ? len : 1);
		size_t		got;

		CHECK(line != NULL);
		memcpy(line, data + off, len);
		/* size and nitems as libcurl passes them (size is always 1) */
		got = cf_http_header_cb(line, 1, len, xfer);
		CHECK(got == len);
		if (len >= 5 && memcmp(line, "HTTP/", 5) == 0)
		{
			CfHttpHeaders zero;

			memset(&zero, 0, sizeof(zero));
			CHECK(memcmp(h, &zero, sizeof(zero)) == 0);
		}
		free(line);
		off += len;
	}
	fuzz_check_field(h->content_type, sizeof(h->content_type));
	fuzz_check_field(h->retry_after, sizeof(h->retry_after));
	fuzz_check_field(h->retry_after_ms, sizeof(h->retry_after_ms));
	fuzz_check_field(h->cf_ray, sizeof(h->cf_ray));
	fuzz_check_field(h->ratelimit, sizeof(h->ratelimit));
	fuzz_check_field(h->ratelimit_policy, sizeof(h->ratelimit_policy));
	fuzz_check_field(h->should_retry, sizeof(h->should_retry));
	free(xfer);
	return 0;
}
