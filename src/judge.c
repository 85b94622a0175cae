/*-------------------------------------------------------------------------
 *
 * judge.c
 *		  What a filter's value does to a request, judged against what the
 *		  resource table knows of its parameter.
 *
 * A value is sent as it is, not sent (the API would read it as no filter,
 * and the local recheck answers it), or makes the scan empty with no
 * request at all (it can match no row: NULL, an empty list, a status the
 * API does not have, a value beyond the document's maxLength, an empty or
 * dot-segment id).  A LIKE pattern is sent as its longest literal whose
 * case folding cannot differ between PostgreSQL and the API.  The request
 * plan (reqplan.c) asks both, alike for the scan, EXPLAIN and the
 * estimates.
 *
 * IDENTIFICATION
 *		  src/judge.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "pushdown.h"

static bool cf_is_email(const char *s);
static bool cf_is_ipv4(const char *s);

/* The number of characters of a UTF-8 string. */
static int
cf_utf8_chars(const char *s)
{
	int			n = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p & 0xC0) != 0x80)
			n++;
	}
	return n;
}

/*
 * cf_judge_value
 *		What one value (UTF-8) of a filter does; see CfValueVerdict.
 */
static CfValueVerdict
cf_judge_value(const CfResource *res, const CfFilterDef *def,
			   const char *value, char **why)
{
	const CfColumnDef *col = cf_resource_column(res, def->column);
	bool		in_path = (def->flags & (CF_FLT_LOOKUP | CF_FLT_PATH |
										 CF_FLT_PATH_ID)) != 0;

	if (value[0] == '\0')
	{
		/*
		 * The API reads an empty value as no filter.  Where no row can have
		 * an empty value (an id, a path value, a filter-only column) it
		 * matches nothing; elsewhere the local recheck answers it.
		 */
		if (in_path || (def->flags & CF_FLT_NONEMPTY) || def->enum_values ||
			(col && (col->flags & CF_COL_FILTER_ONLY)))
		{
			*why = psprintf("an empty %s matches no row", def->column);
			return CF_VALUE_NO_MATCH;
		}
		*why = psprintf("the API ignores an empty %s", def->param);
		return CF_VALUE_SKIP;
	}
	/* "." and ".." would be dot segments of the path: no id is either */
	if (in_path && (strcmp(value, ".") == 0 || strcmp(value, "..") == 0))
	{
		*why = psprintf("%s \"%s\" matches no row", def->column, value);
		return CF_VALUE_NO_MATCH;
	}
	if (def->enum_values)
	{
		bool		found = false;

		for (int i = 0; def->enum_values[i]; i++)
		{
			if (strcmp(def->enum_values[i], value) == 0)
				found = true;
		}
		if (!found)
		{
			*why = psprintf("%s \"%s\" is not one of the API's values",
							def->column, value);
			return CF_VALUE_NO_MATCH;
		}
	}
	if (def->max_length > 0 && cf_utf8_chars(value) > def->max_length)
	{
		*why = psprintf("%s longer than the API's limit of %d characters matches no row",
						def->column, def->max_length);
		return CF_VALUE_NO_MATCH;
	}
	if ((def->flags & CF_FLT_UUID) && cf_uuid_dashed(value) == NULL)
	{
		*why = psprintf("%s \"%s\" is not a UUID, as every one is", def->column,
						value);
		return CF_VALUE_NO_MATCH;
	}
	if ((def->flags & CF_FLT_HTTP_STATUS) &&
		(strlen(value) > 3 || strspn(value, "0123456789") != strlen(value)))
	{
		*why = psprintf("%s %s is no HTTP status code", def->column, value);
		return CF_VALUE_NO_MATCH;
	}
	if ((def->flags & CF_FLT_EMAIL) && !cf_is_email(value))
	{
		/* the API would refuse it; no actor can have it, but be safe */
		*why = psprintf("%s is sent only when it is an email address, as the document's format says",
						def->param);
		return CF_VALUE_SKIP;
	}
	if ((def->flags & CF_FLT_IPV4) && !cf_is_ipv4(value))
	{
		*why = psprintf("only IPv4 addresses are sent as %s (the API's form of other addresses is not documented)",
						def->param);
		return CF_VALUE_SKIP;
	}
	return CF_VALUE_SEND;
}

/*
 * cf_uuid_dashed
 *		A UUID in its usual text form (8-4-4-4-12 hexadecimal digits), from
 *		that form or from its 32 digits alone (the form the document's
 *		maxLength of 32 implies for an audit log id); NULL for anything else.
 */
char *
cf_uuid_dashed(const char *value)
{
	size_t		len = strlen(value);

	if (len == 36)
	{
		for (int i = 0; i < 36; i++)
		{
			if (i == 8 || i == 13 || i == 18 || i == 23)
			{
				if (value[i] != '-')
					return NULL;
			}
			else if (!isxdigit((unsigned char) value[i]))
				return NULL;
		}
		return pstrdup(value);
	}
	if (len == 32)
	{
		for (int i = 0; i < 32; i++)
			if (!isxdigit((unsigned char) value[i]))
				return NULL;
		return psprintf("%.8s-%.4s-%.4s-%.4s-%.12s", value, value + 8,
						value + 12, value + 16, value + 20);
	}
	return NULL;
}

/*
 * An email address in the shape the document's "email" format takes (and
 * Prism checks): a local part of the characters RFC 5322 allows unquoted,
 * "@", and a domain of dot-separated labels of letters, digits and inner
 * hyphens.
 */
static bool
cf_is_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *p;
	int			label = 0;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
		return false;
	for (p = s; p < at; p++)
	{
		if (!isalnum((unsigned char) *p) && strchr(".!#$%&'*+/=?^_`{|}~-", *p) == NULL)
			return false;
	}
	for (p = at + 1; *p; p++)
	{
		if (*p == '.')
		{
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		}
		else if (isalnum((unsigned char) *p) || (*p == '-' && label > 0))
		{
			if (++label > 63)
				return false;
		}
		else
			return false;
	}
	return label > 0 && p[-1] != '-';
}

/*
 * An IPv4 address as inet's output writes one (four decimal numbers of at
 * most three digits, no netmask): the form that matches the API's text.
 */
static bool
cf_is_ipv4(const char *s)
{
	for (int part = 0; part < 4; part++)
	{
		int			digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4)
		{
			s++;
			digits++;
		}
		if (digits == 0 || digits > 3)
			return false;
		if (part < 3 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/*
 * cf_judge_values
 *		What the values of one filter (UTF-8 C strings; one for =, the
 *		list's non-NULL elements for IN, the literal for a LIKE) do to the
 *		request.  SEND: *kept holds the values to send (those that cannot
 *		match dropped from a list).  SKIP: the filter is not sent, the local
 *		recheck answers it (a list with an empty value is not sent either:
 *		the API would read it as no filter).  NO_MATCH: no row can match
 *		(no value, or none that the API could have), so no request is made.
 *		*why says which, for EXPLAIN.
 */
CfValueVerdict
cf_judge_values(const CfResource *res, const CfFilterDef *def, List *values,
				List **kept, char **why)
{
	ListCell   *lc;
	bool		skip = false;
	char	   *reason = NULL;

	*kept = NIL;
	*why = NULL;

	/*
	 * An exclusion (<>, NOT IN): leaving out a value the API could not
	 * take excludes less, which the recheck answers; with none left, the
	 * filter is not sent.
	 */
	if (def->op == CF_OP_NE || def->op == CF_OP_NOT_IN)
	{
		foreach(lc, values)
		{
			char	   *r;

			if (cf_judge_value(res, def, lfirst(lc), &r) == CF_VALUE_SEND)
				*kept = lappend(*kept, lfirst(lc));
		}
		if (*kept != NIL)
			return CF_VALUE_SEND;
		*why = psprintf("no value of the %s filter could be sent", def->param);
		return CF_VALUE_SKIP;
	}

	foreach(lc, values)
	{
		char	   *r;

		switch (cf_judge_value(res, def, lfirst(lc), &r))
		{
			case CF_VALUE_SEND:
				*kept = lappend(*kept, lfirst(lc));
				break;
			case CF_VALUE_SKIP:
				skip = true;
				*why = r;
				break;
			case CF_VALUE_NO_MATCH:
				if (reason == NULL)
					reason = r;
				break;
		}
	}
	if (skip)
	{
		*kept = NIL;
		return CF_VALUE_SKIP;
	}
	if (*kept == NIL)
	{
		*why = reason ? reason : psprintf("no %s value can match", def->column);
		return CF_VALUE_NO_MATCH;
	}
	return CF_VALUE_SEND;
}

/*
 * cf_fold_unsafe
 *		Whether a byte of a literal sent to the API could make it miss a
 *		row PostgreSQL matches (see
 *		cf_like_filter): any byte of a non-ASCII character, and for ILIKE
 *		the letters i, k and s.
 */
static bool
cf_fold_unsafe(char c, int like)
{
	if (IS_HIGHBIT_SET(c))
		return true;
	if (like == CF_LIKE_ICASE)
	{
		switch (c)
		{
			case 'i':
			case 'I':
			case 'k':
			case 'K':
			case 's':
			case 'S':
				return true;
		}
	}
	return false;
}

/*
 * cf_like_filter
 *		The API filter that returns a superset of the rows a LIKE/ILIKE
 *		pattern matches: the literal text before the first wildcard as a
 *		prefix, else the literal text after the last one as a suffix, else
 *		the longest literal run as an infix.  Returns false when nothing
 *		safe can be sent (no literal text, or ILIKE where the API's matching
 *		is not known to ignore case).
 *
 * A literal gets only characters whose case folding cannot differ from
 * PostgreSQL's.  The API says only "case-insensitive" for names (and
 * nothing for emails): it may fold with full Unicode rules (İ to i +
 * U+0307), simple ones, or ASCII only.  So a non-ASCII character ends a
 * literal run (a context-dependent lowering, such as Greek final sigma,
 * could make the literal miss), and for ILIKE so do the ASCII letters that
 * non-ASCII characters lower to in some collation (i from İ, k from the
 * Kelvin sign, s from the long s): each counts as a wildcard, so what is
 * sent is a shorter literal, or nothing.
 */
bool
cf_like_filter(const CfResource *res, int prefix_filter, const char *pattern,
			   int like, int *filter, char **literal)
{
	const char *column = res->filters[prefix_filter].column;
	bool		ci = (res->filters[prefix_filter].flags & CF_FLT_CASE_INSENSITIVE) != 0;
	StringInfoData run;
	char	   *first = NULL;
	char	   *last = NULL;
	char	   *longest = NULL;
	bool		seen_wild = false;
	const char *p;
	CfFilterOp	op;
	char	   *lit;

	if (like == CF_LIKE_ICASE && !ci)
		return false;

	initStringInfo(&run);
	for (p = pattern;; p++)
	{
		bool		wild = (*p == '%' || *p == '_');

		if (*p == '\\')
		{
			p++;
			if (*p == '\0')
				return false;	/* PostgreSQL rejects this pattern */
		}
		if (*p != '\0' && !wild && cf_fold_unsafe(*p, like))
		{
			/* the whole character ends the run, as a wildcard would */
			while ((p[1] & 0xC0) == 0x80)
				p++;
			wild = true;
		}

		if (*p == '\0' || wild)
		{
			if (run.len > 0)
			{
				char	   *r = pstrdup(run.data);

				if (!seen_wild)
					first = r;
				last = (*p == '\0') ? r : NULL;
				if (longest == NULL || strlen(r) > strlen(longest))
					longest = r;
			}
			resetStringInfo(&run);
			if (*p == '\0')
				break;
			seen_wild = true;
			last = NULL;
			continue;
		}
		appendStringInfoChar(&run, *p);
	}

	if (first)
	{
		op = CF_OP_PREFIX;
		lit = first;
	}
	else if (last)
	{
		op = CF_OP_SUFFIX;
		lit = last;
	}
	else if (longest)
	{
		op = CF_OP_CONTAINS;
		lit = longest;
	}
	else
		return false;

	*filter = cf_resource_filter(res, column, op);
	if (*filter < 0)
		*filter = cf_resource_filter(res, column, CF_OP_CONTAINS);
	if (*filter < 0)
		return false;
	*literal = lit;
	return true;
}
