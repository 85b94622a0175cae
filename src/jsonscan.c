/*-------------------------------------------------------------------------
 *
 * jsonscan.c
 *		  A strict JSON scanner over text in memory, for the scan's pages.
 *
 * A list page is a thousand items the scan reads once, field by field, into
 * Datums.  json-c 0.16 can only build a tree of the whole page (about half
 * of a scan's CPU went into building and freeing it), and PostgreSQL 15's
 * pg_parse_json copies every string byte by byte; neither can hand over a
 * field without building something first.  This file does the one thing
 * the scan needs instead: it walks RFC 8259 JSON in place and says where
 * each value starts and ends, so page.c can index a page's items and
 * convert the fields a query reads straight from the text.  It validates
 * as it goes (a page is checked whole before any of it is used) and
 * allocates nothing.  Unescaping a string is here too; what it does not
 * decode itself (\u0000, unpaired surrogates) it reports, and the caller
 * hands that value to json-c, so such values read as they always did.
 *
 * Plain C like http.c: no palloc, no ereport, no longjmp.  The input is
 * UTF-8 already checked by http.c.
 *
 * IDENTIFICATION
 *		  src/jsonscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "jsonscan.h"

#include <stdint.h>
#include <string.h>

/* Bytes a string's fast loop stops at: '"', '\\' and control characters. */
static const unsigned char cf_js_stop[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* '\\' */
};

static inline int
cf_js_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *
cf_js_fail(CfJsError *err, CfJsStatus status, const char *at)
{
	err->status = status;
	err->at = at;
	return NULL;
}

/*
 * cf_js_string
 *		p is at a '"'.  Returns the byte after the closing quote, and
 *		whether the string holds any escape (its text then needs
 *		cf_js_unescape).  NULL with err set if it is not a valid string.
 */
const char *
cf_js_string(const char *p, const char *end, bool *escaped, CfJsError *err)
{
	const unsigned char *s = (const unsigned char *) p + 1;
	const unsigned char *e = (const unsigned char *) end;

	*escaped = false;
	for (;;)
	{
		/*
		 * Skip eight bytes at a time while none of them is a quote, a
		 * backslash or a control character (the classic "has a zero byte"
		 * and "has a byte less than n" word tests: they never miss one;
		 * a word they flag is looked at byte by byte below).
		 */
		while (e - s >= 8)
		{
			uint64_t	w;
			uint64_t	q;
			uint64_t	b;

			memcpy(&w, s, 8);
			q = w ^ UINT64_C(0x2222222222222222);
			b = w ^ UINT64_C(0x5C5C5C5C5C5C5C5C);
			if ((((q - UINT64_C(0x0101010101010101)) & ~q) |
				 ((b - UINT64_C(0x0101010101010101)) & ~b) |
				 ((w - UINT64_C(0x2020202020202020)) & ~w)) &
				UINT64_C(0x8080808080808080))
				break;
			s += 8;
		}
		while (s < e && !cf_js_stop[*s])
			s++;
		if (s >= e)
			return cf_js_fail(err, CF_JS_EOF, end);
		if (*s == '"')
			return (const char *) s + 1;
		if (*s < 0x20)
			return cf_js_fail(err, CF_JS_BAD, (const char *) s);

		/* a backslash */
		*escaped = true;
		if (s + 1 >= e)
			return cf_js_fail(err, CF_JS_EOF, end);
		switch (s[1])
		{
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				s += 2;
				break;
			case 'u':
				for (int i = 2; i < 6; i++)
				{
					if (s + i >= e)
						return cf_js_fail(err, CF_JS_EOF, end);
					if (cf_js_hex(s[i]) < 0)
						return cf_js_fail(err, CF_JS_BAD, (const char *) s + i);
				}
				s += 6;
				break;
			default:
				return cf_js_fail(err, CF_JS_BAD, (const char *) s + 1);
		}
	}
}

/* One or more digits (a fraction's or an exponent's): the byte after them. */
static const char *
cf_js_digits(const char *s, const char *end, CfJsError *err)
{
	if (s >= end)
		return cf_js_fail(err, CF_JS_EOF, end);
	if (*s < '0' || *s > '9')
		return cf_js_fail(err, CF_JS_BAD, s);
	while (s < end && *s >= '0' && *s <= '9')
		s++;
	return s;
}

/*
 * cf_js_number
 *		p is at a '-' or a digit.  Returns the byte after the number, and
 *		whether it is an integer (no fraction, no exponent).  A number
 *		that runs to the end of the text is complete only at the top
 *		level; callers inside a container see CF_JS_EOF from what follows.
 */
const char *
cf_js_number(const char *p, const char *end, bool *integer, CfJsError *err)
{
	const char *s = p;

	*integer = true;
	if (s < end && *s == '-')
		s++;
	if (s >= end)
		return cf_js_fail(err, CF_JS_EOF, end);
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	else
		return cf_js_fail(err, CF_JS_BAD, s);

	if (s < end && *s == '.')
	{
		*integer = false;
		s = cf_js_digits(s + 1, end, err);
		if (s == NULL)
			return NULL;
	}
	if (s < end && (*s == 'e' || *s == 'E'))
	{
		*integer = false;
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		s = cf_js_digits(s, end, err);
	}
	return s;
}

/* A literal (true, false, null): the byte after it. */
static const char *
cf_js_literal(const char *p, const char *end, const char *word, size_t len,
			  CfJsError *err)
{
	for (size_t i = 0; i < len; i++)
	{
		if (p + i >= end)
			return cf_js_fail(err, CF_JS_EOF, end);
		if (p[i] != word[i])
			return cf_js_fail(err, CF_JS_BAD, p + i);
	}
	return p + len;
}

/*
 * cf_js_value
 *		Checks the JSON value that starts at p (no whitespace before it) and
 *		returns the byte after it; depth is the nesting of the container it
 *		is in (0 at the top).  NULL with err set if it is not valid JSON.
 */
const char *
cf_js_value(const char *p, const char *end, int depth, CfJsError *err)
{
	bool		flag;

	if (p >= end)
		return cf_js_fail(err, CF_JS_EOF, end);

	switch (*p)
	{
		case '"':
			return cf_js_string(p, end, &flag, err);
		case 't':
			return cf_js_literal(p, end, "true", 4, err);
		case 'f':
			return cf_js_literal(p, end, "false", 5, err);
		case 'n':
			return cf_js_literal(p, end, "null", 4, err);
		case '{':
		case '[':
			{
				bool		object = (*p == '{');
				char		close = object ? '}' : ']';

				if (depth + 1 > CF_JS_MAX_DEPTH)
					return cf_js_fail(err, CF_JS_DEEP, p);
				p = cf_js_ws(p + 1, end);
				if (p >= end)
					return cf_js_fail(err, CF_JS_EOF, end);
				if (*p == close)
					return p + 1;
				for (;;)
				{
					if (object)
					{
						if (*p != '"')
							return cf_js_fail(err, CF_JS_BAD, p);
						p = cf_js_string(p, end, &flag, err);
						if (p == NULL)
							return NULL;
						p = cf_js_ws(p, end);
						if (p >= end)
							return cf_js_fail(err, CF_JS_EOF, end);
						if (*p != ':')
							return cf_js_fail(err, CF_JS_BAD, p);
						p = cf_js_ws(p + 1, end);
					}
					p = cf_js_value(p, end, depth + 1, err);
					if (p == NULL)
						return NULL;
					p = cf_js_ws(p, end);
					if (p >= end)
						return cf_js_fail(err, CF_JS_EOF, end);
					if (*p == close)
						return p + 1;
					if (*p != ',')
						return cf_js_fail(err, CF_JS_BAD, p);
					p = cf_js_ws(p + 1, end);
					if (p >= end)
						return cf_js_fail(err, CF_JS_EOF, end);
				}
			}
		default:
			if (*p == '-' || (*p >= '0' && *p <= '9'))
				return cf_js_number(p, end, &flag, err);
			return cf_js_fail(err, CF_JS_BAD, p);
	}
}

/* Appends code point c as UTF-8; returns the bytes written. */
static int
cf_js_put_utf8(char *out, uint32_t c)
{
	if (c < 0x80)
	{
		out[0] = (char) c;
		return 1;
	}
	if (c < 0x800)
	{
		out[0] = (char) (0xC0 | (c >> 6));
		out[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000)
	{
		out[0] = (char) (0xE0 | (c >> 12));
		out[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		out[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (c >> 18));
	out[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((c >> 6) & 0x3F));
	out[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

static uint32_t
cf_js_hex4(const char *s)
{
	return (uint32_t) (cf_js_hex((unsigned char) s[0]) << 12 |
					   cf_js_hex((unsigned char) s[1]) << 8 |
					   cf_js_hex((unsigned char) s[2]) << 4 |
					   cf_js_hex((unsigned char) s[3]));
}

/*
 * cf_js_unescape
 *		Decodes the contents of a string cf_js_string accepted (s and len
 *		exclude the quotes) into out, which has room for len bytes: no
 *		escape decodes to more bytes than it takes.  Returns the length
 *		written, or -1 for \u0000 and unpaired surrogates, which PostgreSQL
 *		text cannot hold as they are; the caller then leaves the value to
 *		json-c, whose treatment of them the scan has always had.
 */
long
cf_js_unescape(const char *s, size_t len, char *out)
{
	const char *e = s + len;
	char	   *o = out;

	while (s < e)
	{
		uint32_t	c;

		if (*s != '\\')
		{
			*o++ = *s++;
			continue;
		}
		switch (s[1])
		{
			case 'b':
				*o++ = '\b';
				s += 2;
				continue;
			case 'f':
				*o++ = '\f';
				s += 2;
				continue;
			case 'n':
				*o++ = '\n';
				s += 2;
				continue;
			case 'r':
				*o++ = '\r';
				s += 2;
				continue;
			case 't':
				*o++ = '\t';
				s += 2;
				continue;
			case 'u':
				break;
			default:			/* '"', '\\', '/' stand for themselves */
				*o++ = s[1];
				s += 2;
				continue;
		}
		c = cf_js_hex4(s + 2);
		s += 6;
		if (c == 0 || (c >= 0xDC00 && c <= 0xDFFF))
			return -1;
		if (c >= 0xD800 && c <= 0xDBFF)
		{
			uint32_t	lo;

			if (e - s < 6 || s[0] != '\\' || s[1] != 'u')
				return -1;
			lo = cf_js_hex4(s + 2);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return -1;
			c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
			s += 6;
		}
		o += cf_js_put_utf8(o, c);
	}
	return (long) (o - out);
}

/* The words of an error, for "The parser says: ...". */
const char *
cf_js_describe(const CfJsError *err)
{
	switch (err->status)
	{
		case CF_JS_OK:
			return "success";
		case CF_JS_EOF:
			return "unexpected end of data";
		case CF_JS_BAD:
			return "unexpected character";
		case CF_JS_DEEP:
			return "nesting too deep";
	}
	return "unknown error";
}
