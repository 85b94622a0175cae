/*-------------------------------------------------------------------------
 *
 * jsonscan.h
 *		  A strict JSON scanner over text in memory, for the scan's pages.
 *
 * Plain C, like http.c: no palloc, no ereport.  See jsonscan.c.
 *
 * IDENTIFICATION
 *		  src/jsonscan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_JSONSCAN_H
#define CF_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Deepest nesting accepted, as json-c's tokener is given in http.c. */
#define CF_JS_MAX_DEPTH		64

typedef enum CfJsStatus
{
	CF_JS_OK = 0,
	CF_JS_EOF,					/* the text ends inside a value */
	CF_JS_BAD,					/* not JSON */
	CF_JS_DEEP					/* nested deeper than CF_JS_MAX_DEPTH */
} CfJsStatus;

/* Where and why a scan stopped. */
typedef struct CfJsError
{
	CfJsStatus	status;
	const char *at;				/* the offending byte (end for CF_JS_EOF) */
} CfJsError;

/* The first byte at or after p that is not JSON whitespace, or end. */
static inline const char *
cf_js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

extern const char *cf_js_value(const char *p, const char *end, int depth,
							   CfJsError *err);
extern const char *cf_js_string(const char *p, const char *end, bool *escaped,
								CfJsError *err);
extern const char *cf_js_number(const char *p, const char *end, bool *integer,
								CfJsError *err);
extern long cf_js_unescape(const char *s, size_t len, char *out);
extern const char *cf_js_describe(const CfJsError *err);

#endif							/* CF_JSONSCAN_H */
