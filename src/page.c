/*-------------------------------------------------------------------------
 *
 * page.c
 *		  The API's answers, read in place: a scan's pages, error envelopes,
 *		  the answers of writes and of diagnostics.
 *
 * Every body comes back from http.c as text.  cf_page_parse checks it is
 * JSON, whole, and indexes the envelope: where each item of "result"
 * starts and ends, "success", and result_info's paging fields (a page
 * token, a cursor, the total size).  cf_page_field, cf_page_array and
 * cf_page_string read the rest (the errors of an envelope, say).
 * Then, row by row, cf_page_row walks one item and converts the fields
 * the query reads (the paths of its columns, as a tree of keys built once
 * per scan or per write) straight from the text into Datums; fields no
 * column reads are skipped.  Nothing builds a json-c tree, so nothing
 * frees one.
 *
 * The scanning itself is jsonscan.c's; the conversion of one value is
 * convert.c's cf_text_to_datum.  A page lives in one memory context, the
 * text with it.
 *
 * IDENTIFICATION
 *		  src/page.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "convert.h"
#include "page.h"
#include "jsonscan.h"

/* One key of a column's JSON path; the root has none. */
struct CfPathNode
{
	const char *key;
	int			keylen;
	int		   *convs;			/* columns whose path ends here */
	int			nconvs;
	CfPathNode **children;
	int			nchildren;
};

/* A key of an object in a page, unescaped if it had to be. */
typedef struct CfKey
{
	const char *s;
	long		len;			/* -1: a key that cannot be text (\u0000) */
} CfKey;

/* The offset of p in the page. */
#define CF_OFF(page, p)	((uint32) ((p) - (page)->text))

static const char *cf_read_key(const char *p, const char *end, CfKey *key);
static const char *cf_read_member(const char *p, const char *end, CfKey *key,
								  const char **value);
static bool cf_key_is(const CfKey *key, const char *word);
static void cf_page_items(CfPage *page, const char *p, const char *end,
						  CfJsError *err, const char **after);
static void cf_row_object(const char *p, const char *end, CfPathNode *node,
						  CfColumnConv *convs, Datum *values, bool *nulls,
						  CfColumnConv **current);
static void cf_row_nulls(CfPathNode *node, CfColumnConv *convs, bool *nulls);

/*
 * cf_read_key
 *		p is at the '"' of a key of an object already checked: reads the
 *		key, and returns the byte after the ':' that follows it.
 */
static const char *
cf_read_key(const char *p, const char *end, CfKey *key)
{
	bool		escaped;
	CfJsError	err;
	const char *after = cf_js_string(p, end, &escaped, &err);

	if (after == NULL)
		elog(ERROR, "cloudflare_fdw: JSON key not found where the page index put it");
	key->s = p + 1;
	key->len = after - p - 2;
	if (escaped)
	{
		char	   *buf = palloc(key->len + 1);

		key->len = cf_js_unescape(key->s, key->len, buf);
		key->s = buf;
	}
	p = cf_js_ws(after, end);
	return cf_js_ws(p + 1, end);	/* past the ':' */
}

/*
 * cf_read_member
 *		p is at the key of a member of an object already checked: reads the
 *		key, points *value at the value, and returns the byte after it.
 */
static const char *
cf_read_member(const char *p, const char *end, CfKey *key, const char **value)
{
	CfJsError	err;

	*value = cf_read_key(p, end, key);
	p = cf_js_value(*value, end, 0, &err);
	if (p == NULL)
		elog(ERROR, "cloudflare_fdw: JSON value not found where the page index put it");
	return p;
}

static bool
cf_key_is(const CfKey *key, const char *word)
{
	size_t		n = strlen(word);

	return key->len == (long) n && memcmp(key->s, word, n) == 0;
}

/*
 * cf_page_parse
 *		Checks a body is one JSON value, and indexes its envelope.  The
 *		page keeps text, which must be palloc'd in the current context and
 *		end with a NUL at text[len].  Returns NULL with errbuf filled (and
 *		*truncated set when the text ends inside the value) if it is not
 *		JSON.
 */
CfPage *
cf_page_parse(char *text, uint32 len, char *errbuf, size_t errlen,
			  bool *truncated)
{
	CfPage	   *page = palloc0(sizeof(CfPage));
	const char *end = text + len;
	const char *p = cf_js_ws(text, end);
	CfJsError	err = {CF_JS_OK, NULL};
	CfSpan		info = {0, 0};
	bool		has_info = false;

	page->text = text;
	page->len = len;
	page->success = -1;
	page->total_size = -1;
	page->value.off = CF_OFF(page, p);
	*truncated = false;

	if (p < end && *p == '{')
	{
		/* the envelope: one level by hand, each member's value checked */
		p = cf_js_ws(p + 1, end);
		if (p < end && *p == '}')
			p++;
		else
		{
			for (;;)
			{
				CfKey		key;
				bool		escaped;
				const char *k;
				const char *v;

				if (p >= end)
				{
					err.status = CF_JS_EOF;
					err.at = end;
					break;
				}
				if (*p != '"')
				{
					err.status = CF_JS_BAD;
					err.at = p;
					break;
				}
				k = cf_js_string(p, end, &escaped, &err);
				if (k == NULL)
					break;
				k = cf_js_ws(k, end);
				if (k >= end || *k != ':')
				{
					err.status = k >= end ? CF_JS_EOF : CF_JS_BAD;
					err.at = k;
					break;
				}
				cf_read_key(p, end, &key);
				p = cf_js_ws(k + 1, end);
				v = p;

				if (cf_key_is(&key, "result") && p < end && *p == '[')
					cf_page_items(page, p, end, &err, &p);
				else
					p = cf_js_value(p, end, 1, &err);
				if (p == NULL)
					break;

				if (cf_key_is(&key, "result"))
				{
					page->has_result = true;
					page->result_kind = *v;
					page->result.off = CF_OFF(page, v);
					page->result.len = (uint32) (p - v);
					if (*v != '[')
						page->nitems = 0;
				}
				else if (cf_key_is(&key, "result_info") && *v == '{')
				{
					has_info = true;
					info.off = CF_OFF(page, v);
					info.len = (uint32) (p - v);
				}
				else if (cf_key_is(&key, "success"))
					page->success = (*v == 't') ? 1 : (*v == 'f') ? 0 : -1;

				p = cf_js_ws(p, end);
				if (p >= end)
				{
					err.status = CF_JS_EOF;
					err.at = end;
					break;
				}
				if (*p == '}')
				{
					p++;
					break;
				}
				if (*p != ',')
				{
					err.status = CF_JS_BAD;
					err.at = p;
					break;
				}
				p = cf_js_ws(p + 1, end);
			}
		}
	}
	else
		p = cf_js_value(p, end, 0, &err);

	if (err.status == CF_JS_OK)
	{
		page->value.len = (uint32) (p - text) - page->value.off;
		p = cf_js_ws(p, end);
		if (p < end)
		{
			snprintf(errbuf, errlen, "unexpected data after the JSON value");
			pfree(page);
			return NULL;
		}
	}
	else
	{
		*truncated = (err.status == CF_JS_EOF);
		snprintf(errbuf, errlen, "%s at byte %lu", cf_js_describe(&err),
				 (unsigned long) (err.at - text));
		if (page->items)
			pfree(page->items);
		pfree(page);
		return NULL;
	}

	if (has_info)
	{
		CfSpan		v;

		CfSpan		cursors;

		page->has_info = true;
		page->info = info;
		if (cf_page_field(page, info, "next_page_token", &v) &&
			page->text[v.off] == '"')
			page->next_page_token = cf_page_string(page, v);

		/*
		 * A cursor: the document's result_info.cursor, or the newest SDK's
		 * result_info.cursors.after.
		 */
		if (cf_page_field(page, info, "cursor", &v) && page->text[v.off] == '"')
			page->next_cursor = cf_page_string(page, v);
		else if (cf_page_field(page, info, "cursors", &cursors) &&
				 page->text[cursors.off] == '{' &&
				 cf_page_field(page, cursors, "after", &v) &&
				 page->text[v.off] == '"')
			page->next_cursor = cf_page_string(page, v);
		if (cf_page_field(page, info, "total_size", &v))
		{
			const char *s = page->text + v.off;
			bool		integer;
			CfJsError	nerr;

			if ((*s == '-' || (*s >= '0' && *s <= '9')) &&
				cf_js_number(s, s + v.len, &integer, &nerr) != NULL &&
				integer && v.len < 19)
				page->total_size = strtoll(s, NULL, 10);
		}
	}
	return page;
}

/*
 * cf_page_items
 *		p is at the '[' of "result": checks each element, recording where
 *		it starts and ends.  *after is the byte after the ']', or NULL.
 */
static void
cf_page_items(CfPage *page, const char *p, const char *end, CfJsError *err,
			  const char **after)
{
	int			cap = 1024;

	*after = NULL;
	if (page->items)
		pfree(page->items);		/* a second "result": the last one counts */
	page->items = palloc(sizeof(CfSpan) * cap);
	page->nitems = 0;

	p = cf_js_ws(p + 1, end);
	if (p < end && *p == ']')
	{
		*after = p + 1;
		return;
	}
	for (;;)
	{
		const char *v = p;

		p = cf_js_value(p, end, 2, err);
		if (p == NULL)
			return;
		if (page->nitems == cap)
		{
			cap *= 2;
			page->items = repalloc(page->items, sizeof(CfSpan) * cap);
		}
		page->items[page->nitems].off = CF_OFF(page, v);
		page->items[page->nitems].len = (uint32) (p - v);
		page->nitems++;

		p = cf_js_ws(p, end);
		if (p >= end)
		{
			err->status = CF_JS_EOF;
			err->at = end;
			return;
		}
		if (*p == ']')
		{
			*after = p + 1;
			return;
		}
		if (*p != ',')
		{
			err->status = CF_JS_BAD;
			err->at = p;
			return;
		}
		p = cf_js_ws(p + 1, end);
	}
}

/*
 * cf_page_copy
 *		A copy of a page, text and index, in another context (the scan's
 *		rescan cache keeps pages beyond their round).
 */
CfPage *
cf_page_copy(const CfPage *page, MemoryContext cxt)
{
	CfPage	   *copy = MemoryContextAlloc(cxt, sizeof(CfPage));

	*copy = *page;
	copy->text = MemoryContextAlloc(cxt, page->len + 1);
	memcpy(copy->text, page->text, page->len + 1);
	if (page->items)
	{
		copy->items = MemoryContextAlloc(cxt, sizeof(CfSpan) * Max(page->nitems, 1));
		memcpy(copy->items, page->items, sizeof(CfSpan) * page->nitems);
	}
	if (page->next_page_token)
		copy->next_page_token = MemoryContextStrdup(cxt, page->next_page_token);
	if (page->next_cursor)
		copy->next_cursor = MemoryContextStrdup(cxt, page->next_cursor);
	return copy;
}

/*
 * cf_page_free
 *		Frees a page, text and index, before its memory context goes.
 */
void
cf_page_free(CfPage *page)
{
	pfree(page->text);
	if (page->items)
		pfree(page->items);
	if (page->next_page_token)
		pfree(page->next_page_token);
	if (page->next_cursor)
		pfree(page->next_cursor);
	pfree(page);
}

/*
 * cf_page_field
 *		The value of key in the object at obj (a span of the page), the last
 *		one if the key repeats, as json-c and jsonb keep it.  False if obj
 *		is not an object or has no such key.
 */
bool
cf_page_field(const CfPage *page, CfSpan obj, const char *key, CfSpan *value)
{
	const char *p = page->text + obj.off;
	const char *end = p + obj.len;
	bool		found = false;

	if (obj.len == 0 || *p != '{')
		return false;
	p = cf_js_ws(p + 1, end);
	while (p < end && *p == '"')
	{
		CfKey		k;
		const char *v;

		p = cf_read_member(p, end, &k, &v);
		if (cf_key_is(&k, key))
		{
			value->off = CF_OFF(page, v);
			value->len = (uint32) (p - v);
			found = true;
		}
		p = cf_js_ws(p, end);
		if (p < end && *p == ',')
			p = cf_js_ws(p + 1, end);
	}
	return found;
}

/*
 * cf_page_string
 *		A string value of the page as a C string in UTF-8, or NULL if the
 *		value is not a string.  A string with \u0000 ends there, as json-c's
 *		C string of it does.
 */
char *
cf_page_string(const CfPage *page, CfSpan value)
{
	size_t		len;

	return cf_page_text(page, value, &len);
}

/*
 * cf_page_text
 *		A string value of the page, decoded, with its length (*len counts
 *		the bytes of a \u0000 and what follows it, as json-c's string
 *		length does), or NULL if the value is not a string.
 */
char *
cf_page_text(const CfPage *page, CfSpan value, size_t *len)
{
	const char *s = page->text + value.off + 1;
	long		n = (long) value.len - 2;
	char	   *out;

	if (value.len < 2 || page->text[value.off] != '"')
		return NULL;
	if (memchr(s, '\\', n) != NULL)
	{
		out = palloc(n + 1);
		n = cf_js_unescape(s, n, out);
		if (n < 0)
		{
			/* \u0000 or a lone surrogate: json-c's reading of them */
			pfree(out);
			return cf_json_c_text(s - 1, value.len, len);
		}
	}
	else
		out = pnstrdup(s, n);
	out[n] = '\0';
	*len = (size_t) n;
	return out;
}

/*
 * cf_page_array
 *		The elements of the array at arr (a span of the page), or NULL if
 *		the value is not an array; *n gets their number.
 */
CfSpan *
cf_page_array(const CfPage *page, CfSpan arr, int *n)
{
	const char *p = page->text + arr.off;
	const char *end = p + arr.len;
	CfSpan	   *elems;
	int			cap = 8;

	*n = 0;
	if (arr.len == 0 || *p != '[')
		return NULL;
	elems = palloc(sizeof(CfSpan) * cap);
	p = cf_js_ws(p + 1, end);
	while (p < end && *p != ']')
	{
		CfJsError	err;
		const char *v = p;

		p = cf_js_value(v, end, 0, &err);
		if (p == NULL)
			elog(ERROR, "cloudflare_fdw: JSON value not found where the page index put it");
		if (*n == cap)
		{
			cap *= 2;
			elems = repalloc(elems, sizeof(CfSpan) * cap);
		}
		elems[*n].off = CF_OFF(page, v);
		elems[*n].len = (uint32) (p - v);
		(*n)++;
		p = cf_js_ws(p, end);
		if (p < end && *p == ',')
			p = cf_js_ws(p + 1, end);
	}
	return elems;
}

/*
 * cf_path_tree
 *		The JSON paths of the columns read from the JSON, as a tree of keys,
 *		built once per scan: a row is then one walk of its item.
 */
CfPathNode *
cf_path_tree(CfColumnConv *convs, int nconvs)
{
	CfPathNode *root = palloc0(sizeof(CfPathNode));

	for (int i = 0; i < nconvs; i++)
	{
		CfColumnConv *conv = &convs[i];
		CfPathNode *node = root;

		if (conv->filter_only)
			continue;
		for (int k = 0; k < conv->pathlen; k++)
		{
			const char *key = conv->path[k];
			int			keylen = strlen(key);
			CfPathNode *child = NULL;

			for (int c = 0; c < node->nchildren; c++)
				if (node->children[c]->keylen == keylen &&
					memcmp(node->children[c]->key, key, keylen) == 0)
					child = node->children[c];
			if (child == NULL)
			{
				child = palloc0(sizeof(CfPathNode));
				child->key = key;
				child->keylen = keylen;
				node->children = node->nchildren == 0
					? palloc(sizeof(CfPathNode *))
					: repalloc(node->children,
							   sizeof(CfPathNode *) * (node->nchildren + 1));
				node->children[node->nchildren++] = child;
			}
			node = child;
		}
		node->convs = node->nconvs == 0
			? palloc(sizeof(int))
			: repalloc(node->convs, sizeof(int) * (node->nconvs + 1));
		node->convs[node->nconvs++] = i;
	}
	return root;
}

/*
 * cf_page_row
 *		Converts the fields of one item (a span of the page) that the
 *		columns in paths read into values and nulls (indexed by attribute
 *		number - 1).  Columns whose field is missing are left alone: the
 *		caller has set them NULL.  *current names the column being
 *		converted, for the caller's error context.
 */
void
cf_page_row(const CfPage *page, CfSpan item, CfPathNode *paths,
			CfColumnConv *convs, Datum *values, bool *nulls,
			CfColumnConv **current)
{
	const char *p = page->text + item.off;
	const char *end = p + item.len;

	for (int i = 0; i < paths->nconvs; i++)
	{
		CfColumnConv *conv = &convs[paths->convs[i]];
		int			att = conv->attnum - 1;

		*current = conv;
		values[att] = cf_text_to_datum(p, item.len, conv, &nulls[att]);
	}
	if (paths->nchildren > 0 && *p == '{')
		cf_row_object(p, end, paths, convs, values, nulls, current);
}

/*
 * cf_row_object
 *		One object of a row: its members whose keys are children of node
 *		are converted (or walked into); the others are skipped.
 */
static void
cf_row_object(const char *p, const char *end, CfPathNode *node,
			  CfColumnConv *convs, Datum *values, bool *nulls,
			  CfColumnConv **current)
{
	p = cf_js_ws(p + 1, end);
	while (p < end && *p == '"')
	{
		CfKey		k;
		const char *v;
		CfPathNode *child = NULL;

		p = cf_read_member(p, end, &k, &v);
		for (int c = 0; c < node->nchildren; c++)
		{
			CfPathNode *n = node->children[c];

			if (n->keylen == k.len && memcmp(n->key, k.s, k.len) == 0)
			{
				child = n;
				break;
			}
		}
		if (child != NULL)
		{
			for (int i = 0; i < child->nconvs; i++)
			{
				CfColumnConv *conv = &convs[child->convs[i]];
				int			att = conv->attnum - 1;

				*current = conv;
				values[att] = cf_text_to_datum(v, (uint32) (p - v), conv,
											   &nulls[att]);
			}
			if (child->nchildren > 0)
			{
				/* a repeated key: only the last value's fields count */
				cf_row_nulls(child, convs, nulls);
				if (*v == '{')
					cf_row_object(v, p, child, convs, values, nulls, current);
			}
		}
		p = cf_js_ws(p, end);
		if (p < end && *p == ',')
			p = cf_js_ws(p + 1, end);
	}
}

/* Sets NULL the columns below node. */
static void
cf_row_nulls(CfPathNode *node, CfColumnConv *convs, bool *nulls)
{
	for (int c = 0; c < node->nchildren; c++)
	{
		CfPathNode *n = node->children[c];

		for (int i = 0; i < n->nconvs; i++)
			nulls[convs[n->convs[i]].attnum - 1] = true;
		cf_row_nulls(n, convs, nulls);
	}
}
