/*-------------------------------------------------------------------------
 *
 * fuzz_jsonscan.c
 *		  libFuzzer target: src/jsonscan.c's strict JSON scanner, alone and
 *		  against json-c.
 *
 * jsonscan.c is plain C, so it is compiled right into this file
 * (#include "../src/jsonscan.c").  The input is JSON text, with no header.
 * Every buffer handed to jsonscan is a malloc of exactly the text's length,
 * so AddressSanitizer catches a read past its end (or, for the slices of
 * step 4, before its start).  Per input:
 *
 *	 1. jsonscan's verdict: cf_js_value on the whole text (after cf_js_ws),
 *		then nothing but whitespace.  Whatever it is, the result must be
 *		sane: a returned pointer in (p, end], an error inside [p, end]
 *		(at end for CF_JS_EOF), CF_JS_DEEP only at a bracket that opens the
 *		65th level.  An accepted value must also be accepted alone (a copy
 *		of exactly its bytes), and every proper prefix of it must be
 *		CF_JS_EOF, unless it is a number.
 *	 2. json-c's verdict on the same text, parsed the way convert.c's
 *		cf_text_slow does (json_tokener_new_ex(65), JSON_TOKENER_STRICT, the
 *		whole text in one call, then "" of length 1 to end a top-level
 *		number), then nothing but whitespace after json-c's parse end.  When
 *		the text is valid UTF-8 (checked here by a plain reference) without a
 *		NUL byte, the verdicts must agree, except for json-c 0.16's
 *		leniencies below.  Among rejections CF_JS_EOF and CF_JS_BAD are not
 *		told apart.
 *	 3. When both accept: the value is walked with jsonscan's primitives and
 *		with json-c's tree side by side.  Every string, key or value,
 *		decodes the same (cf_js_unescape against json_object_get_string and
 *		its length; but for L6), or cf_js_unescape says -1 exactly when the
 *		string holds \u0000 or an unpaired surrogate escape; arrays have the
 *		same length; objects the same number of distinct keys (json-c keeps
 *		a repeated key's last value, which is the one compared); a
 *		non-integer number's text is json-c's (json-c keeps a parsed
 *		double's text), an integer of fewer than 19 digits has json-c's
 *		value.  And the text must have none of json-c's lenient forms:
 *		jsonscan must never accept them.
 *	 4. cf_js_string, cf_js_number and cf_js_value straight on slices of
 *		the input, at start and end offsets taken from the input's bytes and
 *		copied into exactly-sized buffers: no read outside [p, end), a
 *		returned pointer in (p, end], and what they accept passes the
 *		reference checks.
 *
 * Where json-c 0.16 differs, found by experiment (L1-L5: what
 * json-c's strict parse accepts and jsonscan rejects; L6: a string
 * json-c decodes wrongly):
 *
 *	 L1. Raw control characters (U+0001..U+001F) inside strings, keys
 *		 included:  printf '"a\tb"'  and  printf '{"a\001":1}'.
 *	 L2. Single-quoted object keys (not values):  {'a':1}  and  {'a"b':1}
 *		 (a '"' inside is a plain character).  ['a'] and {"a":'b'} are
 *		 rejected.
 *	 L3. Numbers: leading zeros except on a positive integer (00, -00,
 *		 -01, 01.5, 00.5, 01e5, -01.5), an empty fraction (1., -0., 1.e5,
 *		 0.e1, [1.E5]) and a missing integer part after '-' (-.5).  A positive
 *		 integer with a leading zero (01, 0123), .5, 1e, 1.+5 are rejected.
 *	 L4. NaN, Infinity and -Infinity (spelt so; nan, infinity, -Inf are
 *		 rejected):  NaN,  [-Infinity].
 *	 L5. Not a leniency but a limit one apart: json-c with depth 65 accepts
 *		 65 nested containers when the innermost ones are empty
 *		 ([[...[]...]] with 65 '['), where jsonscan stops at CF_JS_MAX_DEPTH
 *		 = 64 with CF_JS_DEEP.  With a value inside, json-c rejects 65 too.
 *	 L6. Not a leniency but a decoding bug: json-c 0.16 tests the code point
 *		 it combined from an escaped surrogate pair with its own surrogate
 *		 tests, which look at the low 16 bits only, so a pair for U+xD800 to
 *		 U+xDFFF (x = 1..10: U+1D800-1DFFF, Sutton SignWriting; U+2D800-
 *		 2DFFF, CJK Extension F; ...) reads as U+FFFD:  "\ud836\ude00"
 *		 (U+1DA00) decodes to EF BF BD, where cf_js_unescape rightly gives
 *		 F0 9D A8 80.  (And "\ud836\ude00\udc00" to U+90000, but there
 *		 cf_js_unescape says -1 for the lone \udc00.)  Raw UTF-8 is copied
 *		 as it is.
 *
 * How they are exempted, narrowly: when json-c accepts a text jsonscan
 * rejects, the text is rewritten into strict JSON by undoing exactly L1-L4
 * where json-c's own tokenizing finds them (a control character in a string
 * becomes \u00XX, a single-quoted key double-quoted, a number canonical:
 * 00 -> 0, -01 -> -1, 1. -> 1.0, -.5 -> -0.5; NaN and Infinity -> 0).  If
 * that changed the text, both parsers must accept the rewrite (and it is
 * compared and walked as in step 3); if it did not, the only excuse left is
 * L5: CF_JS_DEEP at a bracket of the 65th level.  The same rewrite, on a
 * text both accept, must change nothing.  For L6, every decoded string is
 * checked against a reference decoder; where json-c's bytes differ from
 * cf_js_unescape's, they must be the reference's with exactly the L6 pairs
 * turned into U+FFFD (and keys are matched against that model of json-c).
 *
 * Not seen here: json-c's misreading of an integer followed by '-' ("[1-2]"
 * read as [1]) happens only when the text is split between chunks
 * (fuzz_body.c); in one piece json-c rejects it, as jsonscan does.
 *
 * A failed check calls abort(), which libFuzzer reports as a crash.
 *
 * IDENTIFICATION
 *		  fuzz/fuzz_jsonscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "../src/jsonscan.c"
#include "fuzz_ref.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_jsonscan: check failed at %s:%d: %s\n", \
					__FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#define FAIL(...) \
	do { \
		fprintf(stderr, "fuzz_jsonscan: "); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} while (0)

/* printf arguments for "%.*s": the first 300 bytes of an unterminated text */
#define FUZZ_SHOW(buf, n)	(int) ((n) < 300 ? (n) : 300), (buf)

/* Keeps the compiler from dropping reads whose result is unused. */
static volatile size_t fuzz_sink;

/* A malloc'd copy of exactly n bytes (1 when n is 0). */
static char *
fuzz_copy(const void *src, size_t n)
{
	char	   *b = malloc(n ? n : 1);

	CHECK(b != NULL);
	if (n)
		memcpy(b, src, n);
	return b;
}

static bool
fuzz_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
fuzz_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---------------------------------------------------------------------
 * Reference checks, written apart from jsonscan.c.
 * ---------------------------------------------------------------------
 */

/* The code unit of the \uXXXX escape at s (6 bytes), or -1. */
static long
fuzz_u_escape(const char *s, const char *e)
{
	long		c = 0;

	if (e - s < 6 || s[0] != '\\' || s[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++)
	{
		int			h = fuzz_hexval((unsigned char) s[i]);

		if (h < 0)
			return -1;
		c = c << 4 | h;
	}
	return c;
}

/* Appends code point c to o as UTF-8; returns the bytes written. */
static size_t
fuzz_put_utf8(char *o, uint32_t c)
{
	if (c < 0x80)
	{
		o[0] = (char) c;
		return 1;
	}
	if (c < 0x800)
	{
		o[0] = (char) (0xC0 | c >> 6);
		o[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000)
	{
		o[0] = (char) (0xE0 | c >> 12);
		o[1] = (char) (0x80 | (c >> 6 & 0x3F));
		o[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char) (0xF0 | c >> 18);
	o[1] = (char) (0x80 | (c >> 12 & 0x3F));
	o[2] = (char) (0x80 | (c >> 6 & 0x3F));
	o[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

/*
 * Whether an escaped surrogate pair stands for a code point json-c 0.16
 * decodes wrongly (L6): one whose low 16 bits are D800-DFFF, U+1D800-1DFFF,
 * U+2D800-2DFFF, ... U+10D800-10DFFF.
 */
static bool
fuzz_jc_bad_pair(uint32_t c)
{
	return c >= 0x10000 && (c & 0xF800) == 0xD800;
}

/*
 * A reference decoder of a string's contents (valid escapes, between the
 * quotes) into out (room for len bytes): the correct decoding, or with
 * jc016 json-c 0.16's (L6: U+FFFD for a pair fuzz_jc_bad_pair names).
 * Returns the length, or -1 for \u0000 or a surrogate escape that is not
 * half of a high-low pair.
 */
static long
fuzz_ref_unescape(const char *s, size_t len, bool jc016, char *out)
{
	const char *e = s + len;
	size_t		j = 0;

	while (s < e)
	{
		long		c;

		if (*s != '\\')
		{
			out[j++] = *s++;
			continue;
		}
		if (s[1] != 'u')
		{
			const char *from = "bfnrt";
			const char *to = "\b\f\n\r\t";
			const char *k = strchr(from, s[1]);

			out[j++] = k ? to[k - from] : s[1];
			s += 2;
			continue;
		}
		c = fuzz_u_escape(s, e);
		CHECK(c >= 0);
		s += 6;
		if (c == 0 || (c >= 0xDC00 && c <= 0xDFFF))
			return -1;
		if (c >= 0xD800 && c <= 0xDBFF)
		{
			long		lo = fuzz_u_escape(s, e);

			if (lo < 0xDC00 || lo > 0xDFFF)
				return -1;
			s += 6;
			c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
			if (jc016 && fuzz_jc_bad_pair((uint32_t) c))
				c = 0xFFFD;
		}
		j += fuzz_put_utf8(out + j, (uint32_t) c);
	}
	return (long) j;
}

/* Whether s[0..len) is exactly an RFC 8259 number. */
static bool
fuzz_number_ok(const char *s, size_t len)
{
	size_t		i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else if (i < len && s[i] >= '1' && s[i] <= '9')
		while (i < len && fuzz_digit(s[i]))
			i++;
	else
		return false;
	if (i < len && s[i] == '.')
	{
		i++;
		if (!(i < len && fuzz_digit(s[i])))
			return false;
		while (i < len && fuzz_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!(i < len && fuzz_digit(s[i])))
			return false;
		while (i < len && fuzz_digit(s[i]))
			i++;
	}
	return i == len;
}

/* Whether s[0..len) is exactly the contents of an RFC 8259 string. */
static bool
fuzz_contents_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len;)
	{
		unsigned char c = s[i];

		if (c < 0x20 || c == '"')
			return false;
		if (c != '\\')
		{
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		if (s[i + 1] == 'u')
		{
			if (fuzz_u_escape(s + i, s + len) < 0)
				return false;
			i += 6;
		}
		else if (s[i + 1] != '\0' && strchr("\"\\/bfnrt", s[i + 1]) != NULL)
			i += 2;
		else
			return false;
	}
	return true;
}

/*
 * How deeply the bracket at `at` nests, counting the containers opened and
 * not closed before it in text that is JSON up to there, plus itself.
 */
static int
fuzz_nesting_at(const char *buf, const char *at)
{
	int			depth = 0;
	bool		in_string = false;

	for (const char *s = buf; s < at; s++)
	{
		if (in_string)
		{
			if (*s == '\\')
				s++;
			else if (*s == '"')
				in_string = false;
		}
		else if (*s == '"')
			in_string = true;
		else if (*s == '[' || *s == '{')
			depth++;
		else if (*s == ']' || *s == '}')
			depth--;
	}
	return depth + 1;
}

/*
 * Checks a failed scan's error: inside [start, end], at end for CF_JS_EOF,
 * and CF_JS_DEEP only at a bracket that opens level CF_JS_MAX_DEPTH + 1
 * (depth being the level the scan started in).
 */
static void
fuzz_check_error(const CfJsError *err, const char *start, const char *end,
				 int depth)
{
	CHECK(err->status == CF_JS_EOF || err->status == CF_JS_BAD ||
		  err->status == CF_JS_DEEP);
	CHECK(err->at >= start && err->at <= end);
	CHECK(strcmp(cf_js_describe(err), "unknown error") != 0);
	if (err->status == CF_JS_EOF)
		CHECK(err->at == end);
	if (err->status == CF_JS_DEEP)
	{
		CHECK(err->at < end && (*err->at == '[' || *err->at == '{'));
		CHECK(depth + fuzz_nesting_at(start, err->at) == CF_JS_MAX_DEPTH + 1);
	}
}

/* ---------------------------------------------------------------------
 * json-c's lenient forms, rewritten into strict JSON (see the top).
 * ---------------------------------------------------------------------
 */

/* The length of the number json-c's tokenizer reads at s (its rules). */
static size_t
fuzz_jc_number_run(const char *s, size_t n)
{
	bool		is_double = false,
				is_exp = false,
				neg_ok = true,
				pos_ok = false;
	size_t		k = 0;

	while (k < n)
	{
		char		c = s[k];

		if (!(fuzz_digit(c) || (!is_exp && (c == 'e' || c == 'E')) ||
			  (neg_ok && c == '-') || (pos_ok && c == '+') ||
			  (!is_double && c == '.')))
			break;
		neg_ok = pos_ok = false;
		if (c == '.')
			is_double = neg_ok = pos_ok = true;
		else if (c == 'e' || c == 'E')
			is_exp = is_double = neg_ok = pos_ok = true;
		k++;
	}
	return k;
}

/*
 * A number json-c read, in canonical form: no leading zeros, no empty
 * integer part or fraction.  Text that is not -?D*(.D*)?([eE][+-]?D+)
 * with a digit in the mantissa is copied as it is.  Returns bytes written.
 */
static size_t
fuzz_canon_number(const char *s, size_t k, char *o)
{
	size_t		i = 0,
				j = 0,
				int0,
				int1,
				frac0 = 0,
				frac1 = 0,
				exp0;
	bool		dot = false;

	if (i < k && s[i] == '-')
		i++;
	int0 = i;
	while (i < k && fuzz_digit(s[i]))
		i++;
	int1 = i;
	if (i < k && s[i] == '.')
	{
		dot = true;
		frac0 = ++i;
		while (i < k && fuzz_digit(s[i]))
			i++;
		frac1 = i;
	}
	exp0 = i;
	if (i < k && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		d;

		i++;
		if (i < k && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		while (i < k && fuzz_digit(s[i]))
			i++;
		if (i == d)
			i = k + 1;			/* no exponent digits: not a number */
	}
	if (i != k || (int1 == int0 && frac1 == frac0))
	{
		memcpy(o, s, k);
		return k;
	}
	if (int0 > 0)
		o[j++] = '-';
	while (int0 + 1 < int1 && s[int0] == '0')
		int0++;
	if (int1 == int0)
		o[j++] = '0';
	memcpy(o + j, s + int0, int1 - int0);
	j += int1 - int0;
	if (dot)
	{
		o[j++] = '.';
		if (frac1 == frac0)
			o[j++] = '0';
		memcpy(o + j, s + frac0, frac1 - frac0);
		j += frac1 - frac0;
	}
	memcpy(o + j, s + exp0, k - exp0);
	j += k - exp0;
	return j;
}

/*
 * The text json-c accepted, with L1-L4 undone; exactly sized, its length
 * in *outn.
 */
static char *
fuzz_jc_rewrite(const char *x, size_t n, size_t *outn)
{
	char	   *o = malloc(6 * n + 16);
	char	   *r;
	size_t		i = 0,
				j = 0;

	CHECK(o != NULL);
	while (i < n)
	{
		unsigned char c = x[i];

		if (c == '"' || c == '\'')
		{
			unsigned char quote = c;

			o[j++] = '"';
			i++;
			while (i < n)
			{
				c = x[i];
				if (c == quote)
				{
					o[j++] = '"';
					i++;
					break;
				}
				if (c == '\\' && i + 1 < n)
				{
					o[j++] = x[i];
					o[j++] = x[i + 1];
					i += 2;
				}
				else if (c < 0x20)
				{
					j += (size_t) sprintf(o + j, "\\u%04x", c);
					i++;
				}
				else if (c == '"')
				{
					/* inside a single-quoted key */
					o[j++] = '\\';
					o[j++] = '"';
					i++;
				}
				else
					o[j++] = x[i++];
			}
		}
		else if (n - i >= 9 && memcmp(x + i, "-Infinity", 9) == 0)
		{
			memcpy(o + j, "-0", 2);
			j += 2;
			i += 9;
		}
		else if (n - i >= 8 && memcmp(x + i, "Infinity", 8) == 0)
		{
			o[j++] = '0';
			i += 8;
		}
		else if (n - i >= 3 && memcmp(x + i, "NaN", 3) == 0)
		{
			o[j++] = '0';
			i += 3;
		}
		else if (c == '-' || fuzz_digit(c))
		{
			size_t		k = fuzz_jc_number_run(x + i, n - i);

			j += fuzz_canon_number(x + i, k, o + j);
			i += k;
		}
		else
			o[j++] = x[i++];
		CHECK(j <= 6 * n + 16);
	}
	r = fuzz_copy(o, j);
	free(o);
	*outn = j;
	return r;
}

/* ---------------------------------------------------------------------
 * The two verdicts.
 * ---------------------------------------------------------------------
 */

/*
 * jsonscan's verdict on a whole text: true with the value's span, or false
 * with err set (status CF_JS_OK and at the first byte after the value when
 * only trailing data is wrong).  Checks the result is sane.
 */
static bool
fuzz_js_verdict(const char *buf, size_t n, const char **v0, const char **v1,
				CfJsError *err)
{
	const char *end = buf + n;
	const char *p = cf_js_ws(buf, end);
	const char *q;

	CHECK(p >= buf && p <= end);
	err->status = CF_JS_OK;
	err->at = NULL;
	q = cf_js_value(p, end, 0, err);
	*v0 = p;
	*v1 = q;
	if (q == NULL)
	{
		fuzz_check_error(err, buf, end, 0);
		return false;
	}
	CHECK(q > p && q <= end);
	if (cf_js_ws(q, end) != end)
	{
		err->status = CF_JS_OK;
		err->at = cf_js_ws(q, end);
		return false;
	}
	return true;
}

/*
 * json-c's verdict, parsed as cf_text_slow parses a value.  Returns the
 * tree (NULL for null) and sets *ok; when not ok, no tree.
 */
static struct json_object *
fuzz_jc_parse(const char *buf, size_t n, bool *ok)
{
	struct json_tokener *tok = json_tokener_new_ex(CF_JS_MAX_DEPTH + 1);
	struct json_object *root;
	enum json_tokener_error jerr;
	size_t		used = n;

	CHECK(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int) n);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success)
	{
		used = json_tokener_get_parse_end(tok);
		CHECK(used <= n);
	}
	else if (jerr == json_tokener_continue)
	{
		CHECK(root == NULL);
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	*ok = jerr == json_tokener_success && cf_js_ws(buf + used, buf + n) == buf + n;
	if (!*ok)
	{
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/* ---------------------------------------------------------------------
 * The walk: jsonscan's primitives and json-c's tree side by side.
 * ---------------------------------------------------------------------
 */

/*
 * A string's contents (s, len: between the quotes), checked against the
 * references and decoded into a malloc'd buffer of exactly len bytes,
 * *decoded.  Returns cf_js_unescape's result.
 */
static long
fuzz_string(const char *s, size_t len, bool escaped, char **decoded)
{
	char	   *out = malloc(len ? len : 1);
	char	   *ref = malloc(len ? len : 1);
	long		r;
	long		rr;

	CHECK(out != NULL && ref != NULL);
	CHECK(escaped == (memchr(s, '\\', len) != NULL));
	CHECK(fuzz_contents_ok(s, len));
	r = cf_js_unescape(s, len, out);
	CHECK(r >= -1 && r <= (long) len);
	rr = fuzz_ref_unescape(s, len, false, ref);
	CHECK((r < 0) == (rr < 0));
	if (r >= 0 && !escaped)
		CHECK(r == (long) len && memcmp(out, s, len) == 0);
	if (r >= 0)
	{
		CHECK(memchr(out, '\0', (size_t) r) == NULL);
		if (rr != r || memcmp(ref, out, (size_t) r) != 0)
			FAIL("cf_js_unescape decodes \"%.*s\" unlike the reference",
				 (int) len, s);
	}
	free(ref);
	*decoded = out;
	return r;
}

/*
 * What json-c 0.16 decodes a string's contents to, when cf_js_unescape
 * decodes them (r >= 0, its output out): the same, unless L6 applies.
 * Returns a malloc'd copy of exactly its length, *jlen.
 */
static char *
fuzz_jc_string(const char *s, size_t len, const char *out, long r, long *jlen)
{
	char	   *j = malloc(len ? len : 1);

	CHECK(j != NULL && r >= 0);
	*jlen = fuzz_ref_unescape(s, len, true, j);
	CHECK(*jlen >= 0 && *jlen <= r);
	if (*jlen == r)
		CHECK(memcmp(j, out, (size_t) r) == 0);
	return j;
}

/* A string's contents against json-c's string jo. */
static void
fuzz_same_string(const char *s, size_t len, bool escaped,
				 struct json_object *jo)
{
	char	   *out;
	long		r = fuzz_string(s, len, escaped, &out);

	CHECK(json_object_get_type(jo) == json_type_string);
	if (r >= 0)
	{
		const char *js = json_object_get_string(jo);
		int			jslen = json_object_get_string_len(jo);

		if (jslen != (int) r || memcmp(js, out, (size_t) r) != 0)
		{
			/* L6: only json-c 0.16's misreading of some pairs may differ */
			long		jlen;
			char	   *j = fuzz_jc_string(s, len, out, r, &jlen);

			if (jlen == r || jslen != (int) jlen ||
				memcmp(js, j, (size_t) jlen) != 0)
				FAIL("string decodes differently: \"%.*s\" -> %ld bytes \"%.*s\", json-c %d bytes \"%s\"",
					 (int) len, s, r, (int) r, out, jslen, js);
			free(j);
		}
	}
	free(out);
}

static void
fuzz_same_number(const char *s, size_t len, bool integer,
				 struct json_object *jo)
{
	size_t		digits = 0;

	CHECK(fuzz_number_ok(s, len));
	CHECK(integer == (memchr(s, '.', len) == NULL && memchr(s, 'e', len) == NULL &&
					  memchr(s, 'E', len) == NULL));
	for (size_t i = 0; i < len; i++)
		digits += fuzz_digit(s[i]);
	if (integer)
	{
		CHECK(json_object_get_type(jo) == json_type_int);
		if (digits < 19)
		{
			char		text[24];

			memcpy(text, s, len);
			text[len] = '\0';
			if (strtoll(text, NULL, 10) != json_object_get_int64(jo))
				FAIL("integer %s read by json-c as %lld", text,
					 (long long) json_object_get_int64(jo));
		}
	}
	else
	{
		const char *t;

		CHECK(json_object_get_type(jo) == json_type_double);
		t = json_object_get_string(jo);
		CHECK(t != NULL);
		if (strlen(t) != len || memcmp(t, s, len) != 0)
			FAIL("number %.*s read by json-c as %s", (int) len, s, t);
	}
}

typedef struct FuzzMember
{
	const char *key;			/* the key's contents */
	size_t		klen;
	char	   *decoded;		/* the key as json-c decodes it: cf_js_unescape's
								 * output (checked), but for L6 */
	long		dlen;			/* its length, -1 if cf_js_unescape says -1 */
	const char *val;			/* the value's first byte */
	size_t		idx;
} FuzzMember;

static int
fuzz_member_cmp(const void *a, const void *b)
{
	const FuzzMember *x = a;
	const FuzzMember *y = b;
	size_t		n = x->dlen < y->dlen ? (size_t) x->dlen : (size_t) y->dlen;
	int			c = memcmp(x->decoded, y->decoded, n);

	if (c != 0)
		return c;
	if (x->dlen != y->dlen)
		return x->dlen < y->dlen ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *fuzz_walk(const char *p, const char *end, int depth,
							 struct json_object *jo);

static const char *
fuzz_walk_object(const char *p, const char *end, int depth,
				 struct json_object *jo)
{
	FuzzMember *m = NULL;
	size_t		n = 0,
				cap = 0,
				len;
	bool		all_decoded = true;
	CfJsError	err;

	CHECK(json_object_get_type(jo) == json_type_object);
	p = cf_js_ws(p + 1, end);
	CHECK(p < end);
	if (*p != '}')
	{
		for (;;)
		{
			bool		escaped;
			const char *q;

			CHECK(p < end && *p == '"');
			q = cf_js_string(p, end, &escaped, &err);
			CHECK(q != NULL && q > p + 1 && q <= end && q[-1] == '"');
			if (n == cap)
			{
				cap = cap ? 2 * cap : 8;
				m = realloc(m, cap * sizeof(FuzzMember));
				CHECK(m != NULL);
			}
			m[n].key = p + 1;
			m[n].klen = (size_t) (q - p - 2);
			m[n].dlen = fuzz_string(m[n].key, m[n].klen, escaped, &m[n].decoded);
			if (m[n].dlen >= 0)
			{
				/* json-c's key: cf_js_unescape's output but for L6 */
				long		jlen;
				char	   *j = fuzz_jc_string(m[n].key, m[n].klen, m[n].decoded,
											   m[n].dlen, &jlen);

				free(m[n].decoded);
				m[n].decoded = j;
				m[n].dlen = jlen;
			}
			m[n].idx = n;
			all_decoded &= m[n].dlen >= 0;
			p = cf_js_ws(q, end);
			CHECK(p < end && *p == ':');
			p = cf_js_ws(p + 1, end);
			m[n].val = p;
			n++;
			q = cf_js_value(p, end, depth + 1, &err);
			CHECK(q != NULL && q > p && q <= end);
			p = cf_js_ws(q, end);
			CHECK(p < end);
			if (*p == '}')
				break;
			CHECK(*p == ',');
			p = cf_js_ws(p + 1, end);
		}
	}
	len = (size_t) json_object_object_length(jo);
	CHECK(len <= n && (len == 0) == (n == 0));

	if (len == n)
	{
		/* no key repeats: json-c's members are the text's, in order */
		struct json_object_iterator it = json_object_iter_begin(jo);
		struct json_object_iterator stop = json_object_iter_end(jo);

		for (size_t i = 0; i < n; i++)
		{
			const char *k;

			CHECK(!json_object_iter_equal(&it, &stop));
			k = json_object_iter_peek_name(&it);
			if (m[i].dlen >= 0 &&
				(strlen(k) != (size_t) m[i].dlen ||
				 memcmp(k, m[i].decoded, (size_t) m[i].dlen) != 0))
				FAIL("key \"%.*s\" decodes to %ld bytes, json-c has \"%s\"",
					 (int) m[i].klen, m[i].key, m[i].dlen, k);
			fuzz_walk(m[i].val, end, depth + 1, json_object_iter_peek_value(&it));
			json_object_iter_next(&it);
		}
		CHECK(json_object_iter_equal(&it, &stop));
	}
	else if (all_decoded)
	{
		/* a key repeats: json-c has each key once, with its last value */
		size_t		distinct = 0;

		qsort(m, n, sizeof(FuzzMember), fuzz_member_cmp);
		for (size_t i = 0; i < n; i++)
		{
			char	   *key;
			struct json_object *v;

			if (i + 1 < n && m[i].dlen == m[i + 1].dlen &&
				memcmp(m[i].decoded, m[i + 1].decoded, (size_t) m[i].dlen) == 0)
				continue;		/* not the last of its key */
			distinct++;
			key = malloc((size_t) m[i].dlen + 1);
			CHECK(key != NULL);
			memcpy(key, m[i].decoded, (size_t) m[i].dlen);
			key[m[i].dlen] = '\0';
			if (!json_object_object_get_ex(jo, key, &v))
				FAIL("key \"%s\" not in json-c's object", key);
			fuzz_walk(m[i].val, end, depth + 1, v);
			free(key);
		}
		if (distinct != len)
			FAIL("object with %zu distinct keys, json-c has %zu", distinct, len);
	}

	/*
	 * Otherwise a key that does not decode (\u0000, a lone surrogate) may
	 * have merged with another in json-c; the members are left unpaired.
	 */
	for (size_t i = 0; i < n; i++)
		free(m[i].decoded);
	free(m);
	return p + 1;
}

/*
 * Walks the value at p (depth: the level of the container it is in) and
 * json-c's jo together; returns the byte after the value.
 */
static const char *
fuzz_walk(const char *p, const char *end, int depth, struct json_object *jo)
{
	CfJsError	err;
	const char *after = cf_js_value(p, end, depth, &err);
	const char *q;
	bool		flag;

	CHECK(after != NULL && after > p && after <= end);
	switch (*p)
	{
		case '"':
			q = cf_js_string(p, end, &flag, &err);
			CHECK(q == after && q[-1] == '"');
			fuzz_same_string(p + 1, (size_t) (q - p - 2), flag, jo);
			break;
		case 't':
		case 'f':
			CHECK(json_object_get_type(jo) == json_type_boolean);
			CHECK(json_object_get_boolean(jo) == (*p == 't'));
			CHECK(after - p == (*p == 't' ? 4 : 5));
			break;
		case 'n':
			CHECK(jo == NULL);
			CHECK(after - p == 4);
			break;
		case '[':
			{
				size_t		len,
							i = 0;

				CHECK(json_object_get_type(jo) == json_type_array);
				len = json_object_array_length(jo);
				p = cf_js_ws(p + 1, end);
				CHECK(p < end);
				if (*p != ']')
				{
					for (;;)
					{
						if (i >= len)
							FAIL("array longer than json-c's %zu", len);
						p = cf_js_ws(fuzz_walk(p, end, depth + 1,
											   json_object_array_get_idx(jo, i)),
									 end);
						i++;
						CHECK(p < end);
						if (*p == ']')
							break;
						CHECK(*p == ',');
						p = cf_js_ws(p + 1, end);
					}
				}
				if (i != len)
					FAIL("array of %zu values, json-c has %zu", i, len);
				q = p + 1;
				CHECK(q == after);
				break;
			}
		case '{':
			q = fuzz_walk_object(p, end, depth, jo);
			CHECK(q == after);
			break;
		default:
			q = cf_js_number(p, end, &flag, &err);
			CHECK(q == after);
			fuzz_same_number(p, (size_t) (q - p), flag, jo);
			break;
	}
	return after;
}

/* ---------------------------------------------------------------------
 * Steps 1-3.
 * ---------------------------------------------------------------------
 */

/*
 * An accepted value alone: a copy of exactly its bytes scans to its end,
 * and proper prefixes (two, picked by seed) end inside it, unless it is a
 * number (a prefix of a number may be a number).
 */
static void
fuzz_alone(const char *v0, const char *v1, uint32_t seed)
{
	size_t		len = (size_t) (v1 - v0);
	char	   *b = fuzz_copy(v0, len);
	CfJsError	err;

	CHECK(cf_js_value(b, b + len, 0, &err) == b + len);
	free(b);
	if (*v0 == '-' || fuzz_digit(*v0))
		return;
	for (int k = 0; k < 2; k++)
	{
		size_t		cut = k == 0 ? len - 1 : (seed * 2654435761u) % len;

		b = fuzz_copy(v0, cut);
		if (cf_js_value(b, b + cut, 0, &err) != NULL)
			FAIL("a prefix of %zu bytes of an accepted value accepted", cut);
		if (err.status != CF_JS_EOF)
			FAIL("a prefix of %zu bytes of an accepted value: status %d, not CF_JS_EOF",
				 cut, (int) err.status);
		CHECK(err.at == b + cut);
		free(b);
	}
}

/*
 * Steps 1-3 on the text buf[0..n) (an exactly sized buffer).  level 0 is
 * the input; level 1 its rewrite without json-c's leniencies, which json-c
 * must accept and jsonscan may reject only for L5.
 */
static void
fuzz_compare(const char *buf, size_t n, int level, uint32_t seed)
{
	const char *v0;
	const char *v1;
	CfJsError	err;
	bool		js_ok = fuzz_js_verdict(buf, n, &v0, &v1, &err);
	bool		jc_ok;
	struct json_object *root;

	if (js_ok)
		fuzz_alone(v0, v1, seed);
	if (memchr(buf, '\0', n) != NULL ||
		!fuzz_utf8_ok((const unsigned char *) buf, n))
	{
		CHECK(level == 0);
		return;
	}

	root = fuzz_jc_parse(buf, n, &jc_ok);
	if (level > 0 && !jc_ok)
		FAIL("json-c rejects the rewrite of a text it accepted: %.*s",
			 FUZZ_SHOW(buf, n));
	if (js_ok && jc_ok)
	{
		size_t		rn;
		char	   *r = fuzz_jc_rewrite(buf, n, &rn);

		if (rn != n || memcmp(r, buf, n) != 0)
			FAIL("jsonscan accepts a form only json-c's leniency allows: %.*s",
				 FUZZ_SHOW(buf, n));
		free(r);
		CHECK(cf_js_ws(v1, buf + n) == buf + n);
		fuzz_walk(v0, buf + n, 0, root);
	}
	else if (js_ok)
		FAIL("jsonscan accepts, json-c rejects: %.*s", FUZZ_SHOW(buf, n));
	else if (jc_ok)
	{
		size_t		rn;
		char	   *r = fuzz_jc_rewrite(buf, n, &rn);

		if (rn != n || memcmp(r, buf, n) != 0)
		{
			/* L1-L4: the strict rewrite must pass both */
			if (level > 0)
				FAIL("the rewrite still has a lenient form: %.*s", FUZZ_SHOW(buf, n));
			fuzz_compare(r, rn, level + 1, seed);
		}
		else if (err.status != CF_JS_DEEP)
			FAIL("json-c accepts, jsonscan rejects (status %d at byte %zu): %.*s",
				 (int) err.status, (size_t) (err.at - buf), FUZZ_SHOW(buf, n));
		/* else L5: CF_JS_DEEP, at level 65 (fuzz_check_error checked) */
		free(r);
	}
	json_object_put(root);
}

/* ---------------------------------------------------------------------
 * Step 4: the primitives on slices.
 * ---------------------------------------------------------------------
 */

static void
fuzz_slice(const uint8_t *data, size_t size, size_t off, size_t len, int depth)
{
	char	   *b = fuzz_copy(data + off, len);
	const char *end = b + len;
	const char *q;
	CfJsError	err;
	bool		flag;

	if (len == 0)
	{
		/* cf_js_string needs its opening quote; the others see no text */
		CHECK(cf_js_number(b, end, &flag, &err) == NULL && err.status == CF_JS_EOF);
		CHECK(cf_js_value(b, end, depth, &err) == NULL && err.status == CF_JS_EOF);
		free(b);
		return;
	}

	/* cf_js_string takes b[0] for the opening quote, whatever it is */
	q = cf_js_string(b, end, &flag, &err);
	if (q == NULL)
		fuzz_check_error(&err, b, end, 0);
	else
	{
		char	   *out;

		CHECK(q > b + 1 && q <= end && q[-1] == '"');
		CHECK(fuzz_contents_ok(b + 1, (size_t) (q - b - 2)));
		fuzz_string(b + 1, (size_t) (q - b - 2), flag, &out);
		free(out);
	}

	q = cf_js_number(b, end, &flag, &err);
	if (q == NULL)
	{
		fuzz_check_error(&err, b, end, 0);
		CHECK(err.status != CF_JS_DEEP);
	}
	else
	{
		CHECK(q > b && q <= end);
		CHECK(fuzz_number_ok(b, (size_t) (q - b)));
		CHECK(flag == (memchr(b, '.', q - b) == NULL &&
					   memchr(b, 'e', q - b) == NULL &&
					   memchr(b, 'E', q - b) == NULL));
	}

	q = cf_js_value(b, end, depth, &err);
	if (q == NULL)
		fuzz_check_error(&err, b, end, depth);
	else
		CHECK(q > b && q <= end);

	fuzz_sink += cf_js_ws(b, end) - b;
	free(b);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf = fuzz_copy(data, size);
	uint32_t	seed = 2166136261u;

	for (size_t i = 0; i < size && i < 64; i++)
		seed = (seed ^ data[i]) * 16777619u;

	/* steps 1-3 */
	fuzz_compare(buf, size, 0, seed);
	free(buf);

	/* step 4: slices starting at offsets the input's bytes pick */
	for (size_t i = 0; i < 8 && i < size; i++)
	{
		size_t		off = ((size_t) data[i] << 8 | data[(i * 7 + 3) % size]) % size;
		size_t		rest = size - off;
		size_t		len = (i & 1) ? rest : (size_t) data[(i + 1) % size] * 31 % (rest + 1);
		int			depth = data[(i + 2) % size] % (CF_JS_MAX_DEPTH + 1);

		fuzz_slice(data, size, off, len, depth);
	}
	return 0;
}
