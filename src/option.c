/*-------------------------------------------------------------------------
 *
 * option.c
 *		  Validation and lookup of cloudflare_fdw's options.
 *
 * Every option is described once, in cf_options[], with the catalogs it
 * may appear in and how its value is checked.  The validator rejects an
 * unknown option with the list of valid ones, as postgres_fdw does, and
 * enforces the security rules: credentials only in user mappings, and only
 * a superuser may send requests anywhere but Cloudflare's API.
 *
 * IDENTIFICATION
 *		  src/option.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "cloudflare_fdw.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* How an option's value is checked. */
typedef enum CfOptionKind
{
	CF_OPT_STRING,				/* any non-empty string */
	CF_OPT_INT,					/* integer within [min, max] */
	CF_OPT_BOOL,
	CF_OPT_URL,					/* api_url */
	CF_OPT_RESOURCE,			/* a name from resources.c */
	CF_OPT_JSON_PATH			/* dotted path of JSON keys */
} CfOptionKind;

typedef struct CfOptionDef
{
	const char *name;
	Oid			catalog;		/* where it may appear */
	CfOptionKind kind;
	int64		min;
	int64		max;
	bool		superuser_only; /* ca_bundle */
} CfOptionDef;

#define SRV ForeignServerRelationId
#define UM UserMappingRelationId
#define TBL ForeignTableRelationId
#define COL AttributeRelationId

/*
 * The options.  An option valid on both the server and a table appears
 * twice; the table's value wins at run time.
 */
static const CfOptionDef cf_options[] = {
	/* where and how to talk to the API */
	{"api_url", SRV, CF_OPT_URL},
	{"ca_bundle", SRV, CF_OPT_STRING, 0, 0, true},
	{"connect_timeout_ms", SRV, CF_OPT_INT, 1, 600000},
	{"request_timeout_ms", SRV, CF_OPT_INT, 1, 3600000},
	{"max_retries", SRV, CF_OPT_INT, 0, 20},
	{"max_retry_wait", SRV, CF_OPT_INT, 0, 3600},
	{"max_response_bytes", SRV, CF_OPT_INT, 1024, INT64CONST(1) << 40},
	{"max_concurrency", SRV, CF_OPT_INT, 1, 64},
	{"max_requests", SRV, CF_OPT_INT, 1, INT_MAX},
	{"max_requests", TBL, CF_OPT_INT, 1, INT_MAX},
	{"cache_ttl", SRV, CF_OPT_INT, 0, 86400},
	{"cache_ttl", TBL, CF_OPT_INT, 0, 86400},
	{"max_pages", SRV, CF_OPT_INT, 1, INT_MAX},
	{"max_pages", TBL, CF_OPT_INT, 1, INT_MAX},
	{"page_size", SRV, CF_OPT_INT, 1, 1000},
	{"page_size", TBL, CF_OPT_INT, 1, 1000},
	{"pushdown", SRV, CF_OPT_BOOL},
	{"pushdown", TBL, CF_OPT_BOOL},
	{"updatable", SRV, CF_OPT_BOOL},
	{"updatable", TBL, CF_OPT_BOOL},
	{"allow_unfiltered_writes", SRV, CF_OPT_BOOL},
	{"allow_unfiltered_writes", TBL, CF_OPT_BOOL},
	{"batch_size", SRV, CF_OPT_INT, 1, 10},
	{"batch_size", TBL, CF_OPT_INT, 1, 10},
	{"request_cache_bytes", SRV, CF_OPT_INT, 0, INT64CONST(1) << 34},
	{"request_cache_bytes", TBL, CF_OPT_INT, 0, INT64CONST(1) << 34},
	{"rows", TBL, CF_OPT_INT, 0, INT_MAX},
	{"rate_limit_requests", SRV, CF_OPT_INT, 0, 1000000},
	{"rate_limit_window", SRV, CF_OPT_INT, 1, 86400},

	/* credentials */
	{"api_token", UM, CF_OPT_STRING},
	/* a file on the database server holding the token: not in the catalog */
	{"api_token_file", UM, CF_OPT_STRING, 0, 0, true},
	{"api_email", UM, CF_OPT_STRING},
	{"api_key", UM, CF_OPT_STRING},

	/* tables and columns */
	{"resource", TBL, CF_OPT_RESOURCE},
	{"json_path", COL, CF_OPT_JSON_PATH},
};

/* Defaults; docs/reference.md lists them too. */
#define CF_DEFAULT_PAGE_SIZE 1000
#define CF_DEFAULT_MAX_REQUESTS 1000
#define CF_DEFAULT_MAX_PAGES 100000
#define CF_DEFAULT_MAX_CONCURRENCY 4
#define CF_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define CF_DEFAULT_REQUEST_TIMEOUT_MS 60000
#define CF_DEFAULT_MAX_RETRIES 3
#define CF_DEFAULT_MAX_RETRY_WAIT_S 60
#define CF_DEFAULT_MAX_RESPONSE_BYTES (INT64CONST(64) * 1024 * 1024)
#define CF_DEFAULT_BATCH_SIZE 10
#define CF_DEFAULT_REQUEST_CACHE_BYTES (INT64CONST(4) * 1024 * 1024)
/* Cloudflare's limit: 1,200 requests per 5 minutes per user */
#define CF_DEFAULT_RATE_LIMIT_REQUESTS 1200
#define CF_DEFAULT_RATE_LIMIT_WINDOW_S 300

PG_FUNCTION_INFO_V1(cloudflare_fdw_validator);

static void cf_check_option_value(const CfOptionDef *opt, DefElem *def);
static void cf_check_api_url(const char *url);

/*
 * cloudflare_fdw_validator
 *		Checks the options of CREATE/ALTER SERVER, USER MAPPING, FOREIGN
 *		TABLE and of a foreign table's columns.
 */
Datum
cloudflare_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options_list = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *cell;
	bool		has_token = false;
	bool		has_email = false;
	bool		has_key = false;
	bool		has_resource = false;

	foreach(cell, options_list)
	{
		DefElem    *def = (DefElem *) lfirst(cell);
		const CfOptionDef *opt = NULL;

		for (int i = 0; i < lengthof(cf_options); i++)
		{
			if (cf_options[i].catalog == catalog &&
				strcmp(cf_options[i].name, def->defname) == 0)
			{
				opt = &cf_options[i];
				break;
			}
		}

		if (opt == NULL)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			for (int i = 0; i < lengthof(cf_options); i++)
			{
				if (cf_options[i].catalog == catalog)
					appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
									 cf_options[i].name);
			}
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 buf.len > 0
					 ? errhint("Valid options in this context are: %s",
							   buf.data)
					 : errhint("There are no valid options in this context.")));
		}

		cf_check_option_value(opt, def);

		if (strcmp(opt->name, "api_token") == 0 ||
			strcmp(opt->name, "api_token_file") == 0)
		{
			if (has_token)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("options \"api_token\" and \"api_token_file\" cannot be used together")));
			if (strcmp(opt->name, "api_token_file") == 0 &&
				!is_absolute_path(defGetString(def)))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"api_token_file\" must be an absolute path")));
			has_token = true;
		}
		else if (strcmp(opt->name, "api_email") == 0)
			has_email = true;
		else if (strcmp(opt->name, "api_key") == 0)
			has_key = true;
		else if (strcmp(opt->name, "resource") == 0)
			has_resource = true;
	}

	if (catalog == UserMappingRelationId)
	{
		if (has_token && (has_email || has_key))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("options \"api_token\" and \"api_email\"/\"api_key\" cannot be used together"),
					 errhint("Use either api_token (or api_token_file), or api_email together with api_key.")));
		if (has_email != has_key)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("options \"api_email\" and \"api_key\" must be given together")));
	}

	if (catalog == ForeignTableRelationId && !has_resource)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"resource\" is required for a cloudflare_fdw foreign table"),
				 errhint("Valid resources are: %s.", cf_resource_names())));

	PG_RETURN_VOID();
}

/*
 * cf_check_option_value
 *		Rejects a malformed value with an error naming the option.
 */
static void
cf_check_option_value(const CfOptionDef *opt, DefElem *def)
{
	char	   *value = defGetString(def);

	if (opt->superuser_only && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may set option \"%s\"", opt->name)));

	switch (opt->kind)
	{
		case CF_OPT_STRING:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", opt->name)));
			if (strpbrk(value, "\r\n") != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not contain line breaks",
								opt->name)));
			break;

		case CF_OPT_INT:
			{
				char	   *end;
				long long	v;

				errno = 0;
				v = strtoll(value, &end, 10);
				if (errno != 0 || end == value || *end != '\0' ||
					v < opt->min || v > opt->max)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"",
									opt->name, value),
							 errhint("Valid values are integers from " INT64_FORMAT " to " INT64_FORMAT ".",
									 opt->min, opt->max)));
				break;
			}

		case CF_OPT_BOOL:
			{
				bool		b;

				if (!parse_bool(value, &b))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"",
									opt->name, value),
							 errhint("Valid values are true and false.")));
				break;
			}

		case CF_OPT_URL:
			cf_check_api_url(value);
			break;

		case CF_OPT_RESOURCE:
			if (cf_resource_by_name(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"resource\": \"%s\"",
								value),
						 errhint("Valid resources are: %s.", cf_resource_names())));
			break;

		case CF_OPT_JSON_PATH:
			{
				bool		ok = value[0] != '\0';
				const char *p;

				for (p = value; ok && *p; p++)
				{
					if (*p == '.' && (p == value || p[1] == '\0' || p[1] == '.'))
						ok = false;
				}
				if (!ok)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"json_path\": \"%s\"",
									value),
							 errhint("A JSON path is one or more field names joined by dots, such as \"user.email\".")));
				break;
			}
	}
}

/*
 * cf_check_api_url
 *		api_url must be an absolute http(s) URL.  Anything but Cloudflare's
 *		own API over https is superuser-only, so that USAGE on the wrapper
 *		cannot be turned into requests to internal addresses; plain http is
 *		accepted only towards a loopback host (the emulator).
 */
static void
cf_check_api_url(const char *url)
{
	CURLU	   *h = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *query = NULL;
	char	   *fragment = NULL;
	char	   *user = NULL;
	bool		parsed;
	bool		is_https = false;
	bool		loopback = false;
	bool		extra = false;

	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	parsed = curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	if (parsed)
	{
		is_https = pg_strcasecmp(scheme, "https") == 0;
		loopback = cf_host_is_loopback(host);
		extra = curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
			curl_url_get(h, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK ||
			curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK;
		parsed = is_https || pg_strcasecmp(scheme, "http") == 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(query);
	curl_free(fragment);
	curl_free(user);
	curl_url_cleanup(h);

	if (!parsed || extra)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"api_url\": \"%s\"", url),
				 errhint("api_url must be an http or https URL without credentials, query or fragment, such as \"%s\".",
						 CF_DEFAULT_API_URL)));
	if (!is_https && !loopback)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("api_url must use https unless it points at a loopback address"),
				 errdetail("Plain http is accepted only for a local test server such as the project's emulator.")));
	if (strcmp(url, CF_DEFAULT_API_URL) != 0 &&
		strcmp(url, CF_DEFAULT_API_URL "/") != 0 && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may set \"api_url\" to anything but \"%s\"",
						CF_DEFAULT_API_URL)));
}

/*
 * cf_host_is_loopback
 *		localhost, an IPv4 address in 127.0.0.0/8, or ::1 (libcurl gives it
 *		as [::1]); not a name like 127.x.com.  The validator and the
 *		connection (cf_url_allows_http) both ask this.
 */
bool
cf_host_is_loopback(const char *host)
{
	struct in_addr a4;

	if (pg_strcasecmp(host, "localhost") == 0 ||
		strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 &&
		(ntohl(a4.s_addr) >> 24) == 127;
}

/*
 * cf_apply_options
 *		Copies the values of a list of DefElems into opts.  Values were
 *		validated when they were stored.
 */
static void
cf_apply_options(List *options, CfOptions *opts)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *name = def->defname;
		char	   *value = defGetString(def);

		if (strcmp(name, "api_url") == 0)
		{
			char	   *url = pstrdup(value);
			size_t		len = strlen(url);

			while (len > 0 && url[len - 1] == '/')
				url[--len] = '\0';
			opts->api_url = url;
		}
		else if (strcmp(name, "ca_bundle") == 0)
			opts->ca_bundle = pstrdup(value);
		else if (strcmp(name, "connect_timeout_ms") == 0)
			opts->connect_timeout_ms = atoi(value);
		else if (strcmp(name, "request_timeout_ms") == 0)
			opts->request_timeout_ms = atoi(value);
		else if (strcmp(name, "max_retries") == 0)
			opts->max_retries = atoi(value);
		else if (strcmp(name, "max_retry_wait") == 0)
			opts->max_retry_wait_ms = atoi(value) * 1000;
		else if (strcmp(name, "max_response_bytes") == 0)
			opts->max_response_bytes = strtoll(value, NULL, 10);
		else if (strcmp(name, "max_concurrency") == 0)
			opts->max_concurrency = atoi(value);
		else if (strcmp(name, "max_requests") == 0)
			opts->max_requests = atoi(value);
		else if (strcmp(name, "max_pages") == 0)
			opts->max_pages = atoi(value);
		else if (strcmp(name, "cache_ttl") == 0)
			opts->cache_ttl = atoi(value);
		else if (strcmp(name, "page_size") == 0)
			opts->page_size = atoi(value);
		else if (strcmp(name, "pushdown") == 0)
			opts->pushdown = defGetBoolean(def);
		else if (strcmp(name, "updatable") == 0)
			opts->updatable = defGetBoolean(def);
		else if (strcmp(name, "allow_unfiltered_writes") == 0)
			opts->allow_unfiltered_writes = defGetBoolean(def);
		else if (strcmp(name, "batch_size") == 0)
			opts->batch_size = atoi(value);
		else if (strcmp(name, "request_cache_bytes") == 0)
			opts->request_cache_bytes = strtoll(value, NULL, 10);
		else if (strcmp(name, "rows") == 0)
			opts->rows = atof(value);
		else if (strcmp(name, "rate_limit_requests") == 0)
			opts->rate_limit_requests = atoi(value);
		else if (strcmp(name, "rate_limit_window") == 0)
			opts->rate_limit_window_ms = atoi(value) * 1000;
	}
}

/*
 * cf_get_server_options
 *		The defaults overridden by the server's options.
 */
void
cf_get_server_options(ForeignServer *server, CfOptions *opts)
{
	memset(opts, 0, sizeof(CfOptions));
	opts->api_url = pstrdup(CF_DEFAULT_API_URL);
	opts->page_size = CF_DEFAULT_PAGE_SIZE;
	opts->max_requests = CF_DEFAULT_MAX_REQUESTS;
	opts->max_pages = CF_DEFAULT_MAX_PAGES;
	opts->max_concurrency = CF_DEFAULT_MAX_CONCURRENCY;
	opts->connect_timeout_ms = CF_DEFAULT_CONNECT_TIMEOUT_MS;
	opts->request_timeout_ms = CF_DEFAULT_REQUEST_TIMEOUT_MS;
	opts->max_retries = CF_DEFAULT_MAX_RETRIES;
	opts->max_retry_wait_ms = CF_DEFAULT_MAX_RETRY_WAIT_S * 1000;
	opts->max_response_bytes = CF_DEFAULT_MAX_RESPONSE_BYTES;
	opts->pushdown = true;
	opts->updatable = true;
	opts->allow_unfiltered_writes = false;
	opts->batch_size = CF_DEFAULT_BATCH_SIZE;
	opts->request_cache_bytes = CF_DEFAULT_REQUEST_CACHE_BYTES;
	opts->rows = -1;
	opts->rate_limit_requests = -1;
	opts->rate_limit_window_ms = CF_DEFAULT_RATE_LIMIT_WINDOW_S * 1000;

	cf_apply_options(server->options, opts);

	/*
	 * Cloudflare's limit is Cloudflare's: by default only its API gets a
	 * budget.  A server pointing elsewhere (the emulator, a proxy) has one
	 * only when it sets rate_limit_requests.
	 */
	if (opts->rate_limit_requests < 0)
		opts->rate_limit_requests =
			strcmp(opts->api_url, CF_DEFAULT_API_URL) == 0
			? CF_DEFAULT_RATE_LIMIT_REQUESTS : 0;
}

/*
 * cf_get_options
 *		The options in force for a foreign table: the server's, overridden
 *		by the table's.
 */
void
cf_get_options(Oid foreigntableid, CfOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);

	cf_get_server_options(server, opts);
	cf_apply_options(table->options, opts);
}

/*
 * cf_table_resource
 *		The resource a foreign table reads.
 */
const CfResource *
cf_table_resource(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "resource") == 0)
		{
			const CfResource *res = cf_resource_by_name(defGetString(def));

			if (res != NULL)
				return res;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("foreign table \"%s\" has no valid \"resource\" option",
					get_rel_name(foreigntableid)),
			 errhint("Valid resources are: %s.", cf_resource_names())));
	return NULL;				/* keep compiler quiet */
}

/*
 * cf_column_json_path
 *		The JSON path a column reads: its json_path option, else the
 *		documented path of the resource column of the same name, else the
 *		column's own name.  NULL for columns that are not in the JSON
 *		(filter-only and scope columns).
 */
char *
cf_column_json_path(Oid relid, AttrNumber attnum, const CfResource *res)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;
	char	   *attname;
	const CfColumnDef *col;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "json_path") == 0)
			return pstrdup(defGetString(def));
	}

	attname = get_attname(relid, attnum, false);
	col = cf_resource_column(res, attname);
	if (col != NULL)
		return col->json_path ? pstrdup(col->json_path) : NULL;
	return attname;
}

/*
 * cf_warn_unmapped_columns
 *		A WARNING, once per table and backend, for columns of a hand-written
 *		foreign table that match no column of the resource and have no
 *		json_path: each reads the JSON field of its own name, which the
 *		resource does not document, so a typo would read NULL forever.
 */
void
cf_warn_unmapped_columns(Oid relid, const CfResource *res)
{
	static List *warned = NIL;
	Relation	rel;
	TupleDesc	tupdesc;
	StringInfoData cols;
	StringInfoData known;
	int			n = 0;
	MemoryContext old;

	if (list_member_oid(warned, relid))
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	warned = lappend_oid(warned, relid);
	MemoryContextSwitchTo(old);

	rel = table_open(relid, AccessShareLock);
	tupdesc = RelationGetDescr(rel);
	initStringInfo(&cols);
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		List	   *options;
		ListCell   *lc;
		bool		has_path = false;

		if (attr->attisdropped)
			continue;
		options = GetForeignColumnOptions(relid, i + 1);
		foreach(lc, options)
			has_path |= strcmp(((DefElem *) lfirst(lc))->defname, "json_path") == 0;
		if (has_path || cf_resource_column(res, NameStr(attr->attname)) != NULL)
			continue;
		appendStringInfo(&cols, "%s\"%s\"", n ? ", " : "", NameStr(attr->attname));
		n++;
	}
	if (n > 0)
	{
		initStringInfo(&known);
		for (int i = 0; i < res->ncolumns; i++)
			appendStringInfo(&known, "%s%s", i ? ", " : "", res->columns[i].name);
		ereport(WARNING,
				(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
				 errmsg("column%s %s of foreign table \"%s\" match%s no column of Cloudflare resource %s",
						n > 1 ? "s" : "", cols.data, RelationGetRelationName(rel),
						n > 1 ? "" : "es", res->name),
				 errdetail("Such a column reads the JSON field of its own name, which the resource does not document; it is NULL wherever the API sends no such field."),
				 errhint("The resource's columns are: %s. To read another field, give the column OPTIONS (json_path 'field.path').",
						 known.data)));
	}
	table_close(rel, AccessShareLock);
}
