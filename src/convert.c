/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  JSON values to Datums, and Datums to JSON values.
 *
 * Each retrieved column gets a CfColumnConv at scan start: its JSON path
 * split into keys, its type's input function, and a "kind" that lets the
 * common types (text, boolean, integers, json/jsonb, timestamps) skip the
 * round trip through a C string and the type's input function.  Every
 * other type goes through its input function, so domains, enums and
 * user-defined types work too.
 *
 * Every value comes as text of an answer, read in place by page.c's row
 * walk (a scan's rows and a write's RETURNING alike): cf_text_to_datum
 * converts the common cases straight from the text.  The rare rest (a
 * json column, arrays, a string with \u0000, a value of the wrong shape)
 * has that one value parsed by json-c and converted by cf_json_to_datum,
 * private to this file, as it always has been.
 *
 * Errors raised here carry no column name: the scan pushes an error
 * context callback that names the column, the table and the resource.
 *
 * IDENTIFICATION
 *		  src/convert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "cloudflare_fdw.h"
#include "convert.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/*
 * fmgrprotos.h declares PostgreSQL's SQL function json_object(), whose
 * name json-c uses for its object type; keep the former out of the way.
 */
#define json_object cf_pg_sql_json_object
#include "utils/builtins.h"
#undef json_object

#include <json-c/json.h>

#include "jsonscan.h"

/* Fast conversion kinds. */
typedef enum CfConvKind
{
	CF_CONV_INPUT,				/* the type's input function */
	CF_CONV_TEXT,
	CF_CONV_BOOL,
	CF_CONV_INT2,
	CF_CONV_INT4,
	CF_CONV_INT8,
	CF_CONV_JSON,				/* json and jsonb: the value's JSON text */
	CF_CONV_TIMESTAMPTZ,
	CF_CONV_TIMESTAMP,			/* the UTC value of the RFC 3339 time */
	CF_CONV_DATE,				/* the UTC date of the RFC 3339 time */
	CF_CONV_ARRAY				/* JSON array to a PostgreSQL array */
} CfConvKind;

static const char *cf_json_type_name(json_type t);
static void cf_doc_type_mismatch(CfColumnConv *conv, const char *arrived,
								 const char *value, int len);
static Datum cf_json_to_datum(struct json_object *val, CfColumnConv *conv,
							  bool *isnull);
static char *cf_json_text(struct json_object *val, int *len);
static Datum cf_parse_timestamptz(const char *s, int len, CfColumnConv *conv);
static JsonbValue *cf_push_jsonb(JsonbParseState **state,
								 struct json_object *val,
								 JsonbIteratorToken tok);
static Datum cf_json_to_array(struct json_object *val, CfColumnConv *conv);
static Datum cf_time_datum(const char *s, int len, CfColumnConv *conv);
static Datum cf_text_slow(const char *v, uint32 len, CfColumnConv *conv,
						  bool *isnull);
static const char *cf_text_push_jsonb(JsonbParseState **state, const char *p,
									  const char *end, JsonbIteratorToken tok,
									  JsonbValue **root);
static bool cf_text_jsonb_string(const char *p, const char *end,
								 JsonbValue *v, const char **after);

/*
 * cf_conv_init
 *		Prepares the conversion of one column, once per scan.
 */
void
cf_conv_init(CfColumnConv *conv, Relation rel, AttrNumber attnum,
			 const char *json_path)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid			basetype;

	memset(conv, 0, sizeof(CfColumnConv));
	conv->attnum = attnum;
	conv->colname = pstrdup(NameStr(attr->attname));
	conv->typid = attr->atttypid;
	conv->typmod = attr->atttypmod;
	getTypeInputInfo(attr->atttypid, &conv->typinput, &conv->typioparam);
	fmgr_info(conv->typinput, &conv->inflinfo);

	if (json_path != NULL)
	{
		char	   *copy = pstrdup(json_path);
		char	   *tok;
		char	   *save = NULL;
		int			n = 1;

		conv->field = pstrdup(json_path);
		for (const char *p = json_path; *p; p++)
			if (*p == '.')
				n++;
		conv->path = palloc(sizeof(char *) * n);
		for (tok = strtok_r(copy, ".", &save); tok != NULL;
			 tok = strtok_r(NULL, ".", &save))
			conv->path[conv->pathlen++] = tok;
	}

	/* Domains keep the input function, so their constraints are checked. */
	basetype = conv->typid;
	switch (basetype)
	{
		case TEXTOID:
			conv->kind = CF_CONV_TEXT;
			break;
		case BOOLOID:
			conv->kind = CF_CONV_BOOL;
			break;
		case INT2OID:
			conv->kind = CF_CONV_INT2;
			break;
		case INT4OID:
			conv->kind = CF_CONV_INT4;
			break;
		case INT8OID:
			conv->kind = CF_CONV_INT8;
			break;
		case JSONOID:
		case JSONBOID:
			conv->kind = CF_CONV_JSON;
			break;
		case TIMESTAMPTZOID:
			conv->kind = CF_CONV_TIMESTAMPTZ;
			break;
		case TIMESTAMPOID:
			conv->kind = CF_CONV_TIMESTAMP;
			break;
		case DATEOID:
			conv->kind = CF_CONV_DATE;
			break;
		default:
			conv->kind = OidIsValid(get_element_type(basetype)) &&
				get_typtype(basetype) == TYPTYPE_BASE
				? CF_CONV_ARRAY : CF_CONV_INPUT;
			break;
	}
}

/*
 * cf_conv_set_doc_type
 *		The JSON type the API's document gives the column's field, which
 *		values must have (cf_doc_type_mismatch); a column of type json or
 *		jsonb, or of a domain over them, takes any JSON.
 */
void
cf_conv_set_doc_type(CfColumnConv *conv, CfDocType doc_type)
{
	Oid			base = getBaseType(conv->typid);

	conv->doc_type = (base == JSONOID || base == JSONBOID) ? CF_DOC_ANY : doc_type;
}

/*
 * cf_json_to_datum
 *		Converts one JSON value (NULL for absent or JSON null) into the
 *		column's type, in CurrentMemoryContext: cf_text_to_datum's rare
 *		cases, once json-c has read the value.
 */
static Datum
cf_json_to_datum(struct json_object *val, CfColumnConv *conv, bool *isnull)
{
	json_type	t = json_object_get_type(val);
	const char *s;
	int			len;

	if (val == NULL || t == json_type_null)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;

	if (conv->doc_type != CF_DOC_ANY && conv->kind != CF_CONV_JSON)
	{
		CfDocType	arrived;

		switch (t)
		{
			case json_type_string:
				arrived = CF_DOC_STRING;
				break;
			case json_type_boolean:
				arrived = CF_DOC_BOOLEAN;
				break;
			case json_type_object:
				arrived = CF_DOC_OBJECT;
				break;
			case json_type_array:
				arrived = CF_DOC_ARRAY;
				break;
			default:
				arrived = CF_DOC_NUMBER;
				break;
		}
		if (arrived != conv->doc_type)
		{
			s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
			cf_doc_type_mismatch(conv, cf_json_type_name(t), s, strlen(s));
		}
	}

	switch ((CfConvKind) conv->kind)
	{
		case CF_CONV_TEXT:
			s = cf_json_text(val, &len);
			return PointerGetDatum(cstring_to_text_with_len(s, len));

		case CF_CONV_BOOL:
			if (t == json_type_boolean)
				return BoolGetDatum(json_object_get_boolean(val));
			break;

		case CF_CONV_INT2:
		case CF_CONV_INT4:
		case CF_CONV_INT8:
			if (t == json_type_int)
			{
				int64		v;

				errno = 0;
				v = json_object_get_int64(val);
				if (errno == 0 &&
					(conv->kind == CF_CONV_INT8 ||
					 (conv->kind == CF_CONV_INT4 && v >= PG_INT32_MIN && v <= PG_INT32_MAX) ||
					 (conv->kind == CF_CONV_INT2 && v >= PG_INT16_MIN && v <= PG_INT16_MAX)))
				{
					if (conv->kind == CF_CONV_INT8)
						return Int64GetDatum(v);
					if (conv->kind == CF_CONV_INT4)
						return Int32GetDatum((int32) v);
					return Int16GetDatum((int16) v);
				}
			}
			break;

		case CF_CONV_JSON:
			if (conv->typid == JSONBOID &&
				(t == json_type_object || t == json_type_array))
			{
				JsonbParseState *state = NULL;

				return JsonbPGetDatum(JsonbValueToJsonb(cf_push_jsonb(&state, val,
																		WJB_VALUE)));
			}
			s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
											   JSON_C_TO_STRING_NOSLASHESCAPE);
			s = pg_any_to_server(s, strlen(s), PG_UTF8);
			return InputFunctionCall(&conv->inflinfo, (char *) s,
									 conv->typioparam, conv->typmod);

		case CF_CONV_TIMESTAMPTZ:
		case CF_CONV_TIMESTAMP:
		case CF_CONV_DATE:
			if (t == json_type_string)
				return cf_time_datum(json_object_get_string(val),
									 json_object_get_string_len(val), conv);
			break;

		case CF_CONV_ARRAY:
			if (t == json_type_array)
				return cf_json_to_array(val, conv);
			break;

		case CF_CONV_INPUT:
			break;
	}

	/* Everything else goes through the type's input function. */
	if ((t == json_type_object || t == json_type_array) &&
		conv->kind != CF_CONV_INPUT && conv->kind != CF_CONV_TEXT)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("cannot convert a JSON %s to type %s",
						cf_json_type_name(t), format_type_be(conv->typid)),
				 errdetail_internal("Value: %.200s",
									json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN))));

	s = cf_json_text(val, &len);
	return InputFunctionCall(&conv->inflinfo, (char *) s,
							 conv->typioparam, conv->typmod);
}

/*
 * cf_doc_type_mismatch
 *		Raises the error for a value whose JSON type is not the one the
 *		API's document declares for its field: text would take a number as
 *		its digits and give wrong answers (a name of 12345 never matches
 *		LIKE 'Cobalt%'), so the value is refused, not coerced.  A jsonb or
 *		json column takes any JSON.  value is the JSON text, not terminated.
 */
static void
cf_doc_type_mismatch(CfColumnConv *conv, const char *arrived,
					 const char *value, int len)
{
	static const char *const names[] = {
		[CF_DOC_ANY] = "any value",
		[CF_DOC_STRING] = "string",
		[CF_DOC_NUMBER] = "number",
		[CF_DOC_BOOLEAN] = "boolean",
		[CF_DOC_OBJECT] = "object",
		[CF_DOC_ARRAY] = "array",
	};
	int			cut = pg_encoding_mbcliplen(PG_UTF8, value, len, 200);
	char	   *shown = pnstrdup(value, cut);

	if (GetDatabaseEncoding() != PG_UTF8)
		shown = pg_any_to_server(shown, strlen(shown), PG_UTF8);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("Cloudflare API sent a JSON %s for field \"%s\", which the API's document declares a %s",
					arrived, conv->field ? conv->field : "?",
					names[conv->doc_type]),
			 errdetail_internal("Value: %s%s", shown, cut < len ? "..." : ""),
			 errhint("A column declared jsonb takes whatever JSON the API sends.")));
}

/*
 * cf_time_datum
 *		An RFC 3339 time (UTF-8, not terminated) as the column's timestamptz,
 *		timestamp or date.
 */
static Datum
cf_time_datum(const char *s, int len, CfColumnConv *conv)
{
	Datum		tz = cf_parse_timestamptz(s, len, conv);

	if (conv->kind == CF_CONV_TIMESTAMPTZ)
		return tz;
	if (conv->kind == CF_CONV_TIMESTAMP)
	{
		/*
		 * A timestamptz is microseconds since 2000-01-01 UTC; the same
		 * number read as a timestamp is the UTC wall clock time, whatever
		 * the session's TimeZone.
		 */
		Timestamp	ts = DatumGetTimestampTz(tz);

		if (conv->typmod >= 0)
			ts = DatumGetTimestamp(DirectFunctionCall2(timestamp_scale,
													   TimestampGetDatum(ts),
													   Int32GetDatum(conv->typmod)));
		return TimestampGetDatum(ts);
	}
	else
	{
		TimestampTz ts = DatumGetTimestampTz(tz);
		DateADT		d;

		if (TIMESTAMP_NOT_FINITE(ts))
			return DirectFunctionCall1(timestamp_date, TimestampGetDatum(ts));
		d = (DateADT) (ts >= 0 ? ts / USECS_PER_DAY
					   : -((-ts + USECS_PER_DAY - 1) / USECS_PER_DAY));
		return DateADTGetDatum(d);
	}
}

/*
 * cf_text_to_datum
 *		Converts one JSON value, given as its text in a page (v, len: from
 *		its first byte to its last, already checked by jsonscan.c), into the
 *		column's type, in CurrentMemoryContext.  The common cases go
 *		straight from the text: strings to text and times, jsonb objects
 *		and arrays, booleans, integers.  Every other case parses the value
 *		with json-c and takes cf_json_to_datum's path, so a value converts,
 *		or fails, exactly as it does there.
 */
Datum
cf_text_to_datum(const char *v, uint32 len, CfColumnConv *conv, bool *isnull)
{
	*isnull = false;
	if (conv->doc_type != CF_DOC_ANY && conv->kind != CF_CONV_JSON &&
		v[0] != 'n')
	{
		CfDocType	arrived = v[0] == '"' ? CF_DOC_STRING
			: v[0] == '{' ? CF_DOC_OBJECT
			: v[0] == '[' ? CF_DOC_ARRAY
			: (v[0] == 't' || v[0] == 'f') ? CF_DOC_BOOLEAN
			: CF_DOC_NUMBER;

		if (arrived != conv->doc_type)
			cf_doc_type_mismatch(conv,
								 arrived == CF_DOC_STRING ? "string"
								 : arrived == CF_DOC_OBJECT ? "object"
								 : arrived == CF_DOC_ARRAY ? "array"
								 : arrived == CF_DOC_BOOLEAN ? "boolean"
								 : "number", v, (int) len);
	}
	switch (v[0])
	{
		case 'n':
			*isnull = true;
			return (Datum) 0;

		case '"':
			{
				const char *s = v + 1;
				long		n = (long) len - 2;

				if (conv->kind == CF_CONV_JSON || conv->kind == CF_CONV_BOOL ||
					conv->kind == CF_CONV_INT2 || conv->kind == CF_CONV_INT4 ||
					conv->kind == CF_CONV_INT8 || conv->kind == CF_CONV_ARRAY)
					break;

				/*
				 * An empty address is none (the audit logs send "" for an
				 * action without one); any other text must be an address.
				 */
				if (n == 0 && (conv->typid == INETOID || conv->typid == CIDROID))
				{
					*isnull = true;
					return (Datum) 0;
				}
				if (memchr(s, '\\', n) != NULL)
				{
					char	   *buf = palloc(n + 1);

					n = cf_js_unescape(s, n, buf);
					if (n < 0)
						break;	/* \u0000 or a lone surrogate: json-c's way */
					s = buf;
				}
				if (conv->kind == CF_CONV_TIMESTAMPTZ ||
					conv->kind == CF_CONV_TIMESTAMP ||
					conv->kind == CF_CONV_DATE)
					return cf_time_datum(s, (int) n, conv);
				if (GetDatabaseEncoding() != PG_UTF8)
				{
					s = pg_any_to_server(s, (int) n, PG_UTF8);
					n = strlen(s);
				}
				if (conv->kind == CF_CONV_TEXT)
					return PointerGetDatum(cstring_to_text_with_len(s, (int) n));
				return InputFunctionCall(&conv->inflinfo, pnstrdup(s, n),
										 conv->typioparam, conv->typmod);
			}

		case '{':
		case '[':
			if (conv->kind == CF_CONV_JSON && conv->typid == JSONBOID)
			{
				JsonbParseState *state = NULL;
				JsonbValue *root = NULL;

				if (cf_text_push_jsonb(&state, v, v + len, WJB_VALUE, &root))
					return JsonbPGetDatum(JsonbValueToJsonb(root));
			}
			break;

		case 't':
		case 'f':
			if (conv->kind == CF_CONV_BOOL)
				return BoolGetDatum(v[0] == 't');
			if (conv->kind == CF_CONV_TEXT)
				return PointerGetDatum(cstring_to_text_with_len(v, len));
			break;

		default:				/* a number */
			if (conv->kind == CF_CONV_INT2 || conv->kind == CF_CONV_INT4 ||
				conv->kind == CF_CONV_INT8)
			{
				int64		x = 0;
				bool		neg = (v[0] == '-');
				uint32		i = neg ? 1 : 0;

				/* integers of up to 18 digits cannot overflow an int64 */
				if (len - i > 18 || len == i)
					break;
				for (; i < len; i++)
				{
					if (v[i] < '0' || v[i] > '9')
						break;
					x = x * 10 + (v[i] - '0');
				}
				if (i < len)
					break;		/* a fraction or an exponent */
				if (neg)
					x = -x;
				if (conv->kind == CF_CONV_INT8)
					return Int64GetDatum(x);
				if (conv->kind == CF_CONV_INT4 && x >= PG_INT32_MIN && x <= PG_INT32_MAX)
					return Int32GetDatum((int32) x);
				if (conv->kind == CF_CONV_INT2 && x >= PG_INT16_MIN && x <= PG_INT16_MAX)
					return Int16GetDatum((int16) x);
				break;
			}
			if (conv->kind == CF_CONV_TEXT)
				return PointerGetDatum(cstring_to_text_with_len(v, len));
			/* numeric and the like read the number's own digits */
			if (conv->kind == CF_CONV_INPUT)
				return InputFunctionCall(&conv->inflinfo, pnstrdup(v, len),
										 conv->typioparam, conv->typmod);
			break;
	}
	return cf_text_slow(v, len, conv, isnull);
}

/*
 * cf_json_c_text
 *		json-c's text of one value of a checked body: a string's bytes (with
 *		*len, which counts a \u0000 and what follows), or the value as
 *		json-c prints it.  For the few values the in-place reader does not
 *		decode as json-c always has (a string with \u0000 or an unpaired
 *		surrogate; an object or array quoted in an error's code), so that
 *		their text stays what it was.  "" if json-c cannot read it.
 */
char *
cf_json_c_text(const char *v, uint32 len, size_t *outlen)
{
	struct json_tokener *tok = json_tokener_new_ex(CF_JS_MAX_DEPTH + 1);
	struct json_object *val = NULL;
	char	   *out;

	if (tok != NULL)
	{
		val = json_tokener_parse_ex(tok, v, (int) len);
		if (val == NULL && json_tokener_get_error(tok) == json_tokener_continue)
			val = json_tokener_parse_ex(tok, "", 1);
		json_tokener_free(tok);
	}
	if (val == NULL)
	{
		*outlen = 0;
		return pstrdup("");
	}
	if (json_object_get_type(val) == json_type_string)
	{
		*outlen = (size_t) json_object_get_string_len(val);
		out = palloc(*outlen + 1);
		memcpy(out, json_object_get_string(val), *outlen);
		out[*outlen] = '\0';
	}
	else
	{
		out = pstrdup(json_object_get_string(val));
		*outlen = strlen(out);
	}
	json_object_put(val);
	return out;
}

/*
 * cf_json_c_refuses
 *		Whether json-c, as it once read every answer but a scan's pages
 *		(depth 64, not strict), refuses a body; then errbuf gets its words
 *		and *truncated whether the text ended inside a value.  So the error
 *		of such an answer is worded as it always was, though page.c's
 *		scanner reads it now.  json-c refuses a top-level null too (it
 *		returns no object for it, calling that "success").
 */
bool
cf_json_c_refuses(const char *text, uint32 len, char *errbuf, size_t errlen,
				  bool *truncated)
{
	struct json_tokener *tok = json_tokener_new_ex(CF_JS_MAX_DEPTH);
	struct json_object *val;
	enum json_tokener_error jerr;
	bool		refused = true;
	bool		at_end = false;

	if (tok == NULL)
		return false;
	json_tokener_set_flags(tok, 0);
	*truncated = false;
	val = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	if (val == NULL && jerr == json_tokener_continue)
	{
		/* the end of the body completes a top-level number, or not */
		at_end = true;
		val = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (val == NULL && (jerr == json_tokener_continue ||
							jerr == json_tokener_error_parse_eof))
		{
			*truncated = true;
			errbuf[0] = '\0';
			json_tokener_free(tok);
			return true;
		}
	}
	if (val != NULL)
	{
		size_t		used = json_tokener_get_parse_end(tok);

		refused = !at_end && used < len &&
			cf_js_ws(text + used, text + len) != text + len;
		if (refused)
			snprintf(errbuf, errlen, "unexpected data after the JSON value");
		json_object_put(val);
	}
	else
		snprintf(errbuf, errlen, "%s", json_tokener_error_desc(jerr));
	json_tokener_free(tok);
	return refused;
}

/*
 * cf_text_slow
 *		cf_text_to_datum's other cases: json-c reads the value, and
 *		cf_json_to_datum converts it.  The tree is freed on error too.
 */
static Datum
cf_text_slow(const char *v, uint32 len, CfColumnConv *conv, bool *isnull)
{
	struct json_tokener *tok = json_tokener_new_ex(CF_JS_MAX_DEPTH + 1);
	struct json_object *volatile val = NULL;
	Datum		result = (Datum) 0;

	if (tok == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	val = json_tokener_parse_ex(tok, v, (int) len);
	if (val == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		val = json_tokener_parse_ex(tok, "", 1);	/* ends a top-level number */
	json_tokener_free(tok);
	if (val == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("could not read a JSON value of the Cloudflare API response"),
				 errdetail_internal("Value: %.200s", pnstrdup(v, Min(len, 200)))));

	PG_TRY();
	{
		result = cf_json_to_datum(val, conv, isnull);
	}
	PG_FINALLY();
	{
		json_object_put(val);
	}
	PG_END_TRY();
	return result;
}

/*
 * cf_text_push_jsonb
 *		Adds the JSON value at p (text of a page, already checked) to a jsonb
 *		under construction, as cf_push_jsonb does for a json-c value; *root
 *		gets the last pushJsonbValue result.  Returns the byte after the
 *		value, or NULL for a value cf_js_unescape leaves to json-c (the
 *		caller then converts the whole value that way).
 */
static const char *
cf_text_push_jsonb(JsonbParseState **state, const char *p, const char *end,
				   JsonbIteratorToken tok, JsonbValue **root)
{
	JsonbValue	v;
	CfJsError	err;
	bool		flag;
	const char *after;

	switch (*p)
	{
		case '{':
		case '[':
			{
				bool		object = (*p == '{');

				*root = pushJsonbValue(state, object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY,
									   NULL);
				p = cf_js_ws(p + 1, end);
				while (p < end && *p != '}' && *p != ']')
				{
					if (object)
					{
						if (!cf_text_jsonb_string(p, end, &v, &p))
							return NULL;
						pushJsonbValue(state, WJB_KEY, &v);
						p = cf_js_ws(cf_js_ws(p, end) + 1, end);	/* ':' */
					}
					p = cf_text_push_jsonb(state, p, end,
										   object ? WJB_VALUE : WJB_ELEM, root);
					if (p == NULL)
						return NULL;
					p = cf_js_ws(p, end);
					if (p < end && *p == ',')
						p = cf_js_ws(p + 1, end);
				}
				*root = pushJsonbValue(state, object ? WJB_END_OBJECT : WJB_END_ARRAY,
									   NULL);
				return p + 1;
			}

		case '"':
			if (!cf_text_jsonb_string(p, end, &v, &after))
				return NULL;
			break;

		case 't':
		case 'f':
			v.type = jbvBool;
			v.val.boolean = (*p == 't');
			after = p + (*p == 't' ? 4 : 5);
			break;

		case 'n':
			v.type = jbvNull;
			after = p + 4;
			break;

		default:
			after = cf_js_number(p, end, &flag, &err);
			if (after == NULL)
				elog(ERROR, "cloudflare_fdw: JSON number not found where the page index put it");
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(pnstrdup(p, after - p)),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;
	}
	*root = pushJsonbValue(state, tok, &v);
	return after;
}

/*
 * cf_text_jsonb_string
 *		The string at p as a jbvString: in place when it has no escape and
 *		the database is UTF-8.  False for one cf_js_unescape leaves alone.
 */
static bool
cf_text_jsonb_string(const char *p, const char *end, JsonbValue *v,
					 const char **after)
{
	bool		escaped;
	CfJsError	err;
	const char *s = p + 1;
	long		n;

	*after = cf_js_string(p, end, &escaped, &err);
	if (*after == NULL)
		elog(ERROR, "cloudflare_fdw: JSON string not found where the page index put it");
	n = *after - p - 2;
	if (escaped)
	{
		char	   *buf = palloc(n + 1);

		n = cf_js_unescape(s, n, buf);
		if (n < 0)
			return false;
		s = buf;
	}
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		s = pg_any_to_server(s, (int) n, PG_UTF8);
		n = strlen(s);
	}
	if (n > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long to represent as jsonb string")));
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = (int) n;
	return true;
}

/*
 * cf_json_text
 *		A JSON scalar's text (a string's contents, a number's or boolean's
 *		JSON text), or an object's or array's JSON text, in the server
 *		encoding.  Invalid UTF-8 from the network is an ERROR here.
 */
static char *
cf_json_text(struct json_object *val, int *len)
{
	const char *s;
	char	   *conv;

	if (json_object_get_type(val) == json_type_string)
	{
		s = json_object_get_string(val);
		*len = json_object_get_string_len(val);
	}
	else
	{
		s = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
										   JSON_C_TO_STRING_NOSLASHESCAPE);
		*len = strlen(s);
	}

	if (memchr(s, '\0', *len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("JSON string contains a NUL character, which PostgreSQL text cannot hold")));

	conv = pg_any_to_server(s, *len, PG_UTF8);
	if (conv != s)
		*len = strlen(conv);
	return conv;
}

/* Reads n decimal digits; false if any is not a digit. */
static inline bool
cf_digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * cf_rfc3339
 *		The common form of an API timestamp, "YYYY-MM-DDTHH:MM:SS", an
 *		optional fraction of up to six digits, and "Z" or "+hh:mm", read
 *		without PostgreSQL's general date parser.  Returns false for any
 *		other form, which then goes through timestamptz_in.
 */
static bool
cf_rfc3339(const char *s, int len, TimestampTz *result)
{
	int			year, mon, mday, hour, min, sec;
	int64		usec = 0;
	int			offset = 0;
	int			pos = 19;
	int64		days;
	TimestampTz ts;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
		(s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
		s[13] != ':' || s[16] != ':' ||
		!cf_digits(s, 4, &year) || !cf_digits(s + 5, 2, &mon) ||
		!cf_digits(s + 8, 2, &mday) || !cf_digits(s + 11, 2, &hour) ||
		!cf_digits(s + 14, 2, &min) || !cf_digits(s + 17, 2, &sec))
		return false;
	if (mon < 1 || mon > 12 || mday < 1 ||
		mday > day_tab[isleap(year)][mon - 1] ||
		hour > 23 || min > 59 || sec > 59 || year < 1)
		return false;

	if (s[pos] == '.')
	{
		int			ndigits = 0;
		int64		scale = 100000;

		for (pos++; pos < len && s[pos] >= '0' && s[pos] <= '9'; pos++, ndigits++)
		{
			if (ndigits >= 6)
				return false;	/* let PostgreSQL round it */
			usec += (s[pos] - '0') * scale;
			scale /= 10;
		}
		if (ndigits == 0)
			return false;
	}

	if (pos == len - 1 && (s[pos] == 'Z' || s[pos] == 'z'))
		offset = 0;
	else if (pos == len - 6 && (s[pos] == '+' || s[pos] == '-') &&
			 s[pos + 3] == ':')
	{
		int			oh, om;

		if (!cf_digits(s + pos + 1, 2, &oh) || !cf_digits(s + pos + 4, 2, &om) ||
			oh > 23 || om > 59)
			return false;
		offset = (oh * 60 + om) * 60;
		if (s[pos] == '-')
			offset = -offset;
	}
	else
		return false;

	days = date2j(year, mon, mday) - POSTGRES_EPOCH_JDATE;
	ts = ((days * HOURS_PER_DAY + hour) * MINS_PER_HOUR + min) * SECS_PER_MINUTE + sec;
	ts = (ts - offset) * USECS_PER_SEC + usec;
	if (!IS_VALID_TIMESTAMP(ts))
		return false;
	*result = ts;
	return true;
}

/*
 * cf_parse_timestamptz
 *		An RFC 3339 date-time as a timestamptz: the API's usual form is read
 *		directly; anything else (more than six fraction digits, other
 *		layouts, a typmod to round to) goes through PostgreSQL's own parser,
 *		which raises its usual error for a value it rejects.
 */
static Datum
cf_parse_timestamptz(const char *s, int len, CfColumnConv *conv)
{
	TimestampTz ts;
	int32		typmod = conv->kind == CF_CONV_TIMESTAMPTZ ? conv->typmod : -1;

	if (typmod < 0 && cf_rfc3339(s, len, &ts))
		return TimestampTzGetDatum(ts);

	return DirectFunctionCall3(timestamptz_in,
							   CStringGetDatum(pnstrdup(s, len)),
							   ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(typmod));
}

/*
 * cf_push_jsonb
 *		Adds a json-c value to a jsonb under construction, so that a jsonb
 *		column needs no round trip through JSON text and jsonb_in.  Strings
 *		are checked as jsonb_in checks them (valid in the server encoding,
 *		no NUL); numbers keep the text json-c read, so none loses precision.
 */
static JsonbValue *
cf_push_jsonb(JsonbParseState **state, struct json_object *val,
			  JsonbIteratorToken tok)
{
	JsonbValue	v;

	switch (json_object_get_type(val))
	{
		case json_type_object:
			pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			{
				struct json_object_iterator it = json_object_iter_begin(val);
				struct json_object_iterator end = json_object_iter_end(val);

				for (; !json_object_iter_equal(&it, &end);
					 json_object_iter_next(&it))
				{
					const char *key = json_object_iter_peek_name(&it);
					int			klen = strlen(key);

					v.type = jbvString;
					v.val.string.val = pg_any_to_server(key, klen, PG_UTF8);
					v.val.string.len = (v.val.string.val == key) ? klen
						: strlen(v.val.string.val);
					pushJsonbValue(state, WJB_KEY, &v);
					cf_push_jsonb(state, json_object_iter_peek_value(&it),
								  WJB_VALUE);
				}
			}
			return pushJsonbValue(state, WJB_END_OBJECT, NULL);

		case json_type_array:
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (size_t i = 0; i < json_object_array_length(val); i++)
				cf_push_jsonb(state, json_object_array_get_idx(val, i), WJB_ELEM);
			return pushJsonbValue(state, WJB_END_ARRAY, NULL);

		case json_type_string:
			{
				const char *str = json_object_get_string(val);
				int			slen = json_object_get_string_len(val);

				if (memchr(str, '\0', slen) != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
							 errmsg("unsupported Unicode escape sequence"),
							 errdetail("\\u0000 cannot be converted to text.")));
				v.type = jbvString;
				v.val.string.val = pg_any_to_server(str, slen, PG_UTF8);
				v.val.string.len = (v.val.string.val == str) ? slen
					: strlen(v.val.string.val);
				break;
			}

		case json_type_int:
		case json_type_double:
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																CStringGetDatum(json_object_get_string(val)),
																ObjectIdGetDatum(InvalidOid),
																Int32GetDatum(-1)));
			break;

		case json_type_boolean:
			v.type = jbvBool;
			v.val.boolean = json_object_get_boolean(val);
			break;

		case json_type_null:
		default:
			v.type = jbvNull;
			break;
	}
	return pushJsonbValue(state, tok, &v);
}

/*
 * cf_json_to_array
 *		A JSON array as a one-dimensional array of the column's element
 *		type; each element goes through the element type's input function
 *		(JSON null elements become NULL elements).
 */
static Datum
cf_json_to_array(struct json_object *val, CfColumnConv *conv)
{
	Oid			elemtype = get_element_type(conv->typid);
	int			n = json_object_array_length(val);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Oid			elinput;
	Oid			elioparam;
	int			dims[1];
	int			lbs[1];

	get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
	getTypeInputInfo(elemtype, &elinput, &elioparam);

	for (int i = 0; i < n; i++)
	{
		struct json_object *e = json_object_array_get_idx(val, i);
		json_type	et = json_object_get_type(e);

		if (e == NULL || et == json_type_null)
		{
			nulls[i] = true;
			elems[i] = (Datum) 0;
		}
		else
		{
			int			len;
			char	   *s = cf_json_text(e, &len);

			nulls[i] = false;
			elems[i] = OidInputFunctionCall(elinput, s, elioparam, -1);
		}
	}

	dims[0] = n;
	lbs[0] = 1;
	if (n == 0)
		return PointerGetDatum(construct_empty_array(elemtype));
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, elmlen, elmbyval,
											  elmalign));
}

static const char *
cf_json_type_name(json_type t)
{
	switch (t)
	{
		case json_type_object:
			return "object";
		case json_type_array:
			return "array";
		case json_type_string:
			return "string";
		case json_type_int:
		case json_type_double:
			return "number";
		case json_type_boolean:
			return "boolean";
		case json_type_null:
			return "null";
	}
	return "value";
}

/*
 * cf_array_elements
 *		The elements of a one-dimensional (or any) array Datum, flattened:
 *		returns their number, with their type, values and null flags.
 */
int
cf_array_elements(Datum value, Oid *elemtype, Datum **elems, bool **nulls)
{
	ArrayType  *arr = DatumGetArrayTypeP(value);
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	int			n;

	*elemtype = ARR_ELEMTYPE(arr);
	get_typlenbyvalalign(*elemtype, &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, *elemtype, elmlen, elmbyval, elmalign,
					  elems, nulls, &n);
	return n;
}

/*
 * cf_datum_to_json
 *		A SQL value as a JSON value for a request body: booleans and
 *		numbers as JSON scalars, json/jsonb as the parsed document, arrays
 *		as JSON arrays of their elements' text, everything else as a JSON
 *		string of the type's output text (converted to UTF-8).
 */
struct json_object *
cf_datum_to_json(Datum value, Oid typid)
{
	Oid			outfunc;
	bool		isvarlena;
	char	   *s;

	switch (typid)
	{
		case BOOLOID:
			return json_object_new_boolean(DatumGetBool(value));
		case INT2OID:
			return json_object_new_int64(DatumGetInt16(value));
		case INT4OID:
			return json_object_new_int64(DatumGetInt32(value));
		case INT8OID:
			return json_object_new_int64(DatumGetInt64(value));
		default:
			break;
	}

	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	s = OidOutputFunctionCall(outfunc, value);
	s = pg_server_to_any(s, strlen(s), PG_UTF8);

	if (typid == JSONOID || typid == JSONBOID)
	{
		struct json_object *obj = json_tokener_parse(s);

		if (obj == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("value cannot be sent as JSON: %.200s", s)));
		return obj;
	}

	if (OidIsValid(get_element_type(typid)))
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = cf_array_elements(value, &elemtype, &elems, &nulls);
		struct json_object **items = palloc0(sizeof(struct json_object *) * Max(n, 1));
		struct json_object *jarr;

		/*
		 * The elements first (converting one may fail: free those made so
		 * far), then the array, which takes them over without failing.
		 */
		PG_TRY();
		{
			for (int i = 0; i < n; i++)
				if (!nulls[i])
					items[i] = cf_datum_to_json(elems[i], elemtype);
		}
		PG_CATCH();
		{
			for (int i = 0; i < n; i++)
				json_object_put(items[i]);
			PG_RE_THROW();
		}
		PG_END_TRY();
		jarr = json_object_new_array();
		for (int i = 0; i < n; i++)
			json_object_array_add(jarr, items[i]);
		return jarr;
	}

	return json_object_new_string(s);
}

/*
 * cf_timestamptz_rfc3339
 *		A time as RFC 3339 in UTC ("2026-01-05T10:00:00Z", with the
 *		fraction of a second when it has one): how the API writes times,
 *		and how a time filter value goes out.
 */
char *
cf_timestamptz_rfc3339(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *s;

	if (TIMESTAMP_NOT_FINITE(t))
		return pstrdup(TIMESTAMP_IS_NOBEGIN(t) ? "-infinity" : "infinity");
	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	s = psprintf("%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year, tm.tm_mon,
				 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (fsec != 0)
	{
		char		frac[8];
		int			n;

		snprintf(frac, sizeof(frac), "%06d", (int) fsec);
		for (n = 6; n > 0 && frac[n - 1] == '0'; n--)
			;
		frac[n] = '\0';
		s = psprintf("%s.%s", s, frac);
	}
	return psprintf("%sZ", s);
}
