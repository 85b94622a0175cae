/*-------------------------------------------------------------------------
 *
 * connection.c
 *		  Per-backend cache of what talking to the Cloudflare API needs:
 *		  the server's options, the credentials as prepared HTTP headers,
 *		  and the libcurl multi handle whose connection cache provides
 *		  keep-alive across pages, scans and queries.
 *
 * As in postgres_fdw, entries are keyed by user mapping OID and are marked
 * invalid by syscache callbacks when the server or the user mapping
 * changes, so that ALTER SERVER and ALTER USER MAPPING (a rotated token)
 * take effect in open sessions: the next cf_get_connection rebuilds the
 * entry in place, so a CfConnection pointer held by a running scan stays
 * valid.
 *
 * The credentials exist only inside libcurl's header lists (malloc'd by
 * libcurl); they are overwritten before those lists are freed, and never
 * appear in a message.
 *
 * IDENTIFICATION
 *		  src/connection.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "cloudflare_fdw.h"
#include "request.h"
#include "commands/defrem.h"
#include "connection.h"
#include "http.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* One cache entry.  The key must come first. */
typedef struct CfConnCacheEntry
{
	Oid			key;			/* user mapping OID */
	bool		valid;			/* built, and not invalidated since */
	uint32		server_hashvalue;	/* hash of the server's OID */
	uint32		mapping_hashvalue;	/* hash of the user mapping's OID */
	struct CfConnection conn;	/* what request.c uses */
} CfConnCacheEntry;

static HTAB *cf_conn_cache = NULL;

/* The backend's multi handle, shared by every entry. */
static CfHttp *cf_http = NULL;

static void cf_build_connection(CfConnCacheEntry *entry,
								ForeignServer *server, UserMapping *user);
static void cf_release_connection(CfConnCacheEntry *entry);
static bool cf_url_allows_http(const char *url);
static void cf_check_header_value(const char *option, const char *value);
static void cf_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void cf_xact_callback(XactEvent event, void *arg);

/*
 * cf_get_connection
 *		The cached connection of a user mapping, built or rebuilt as needed.
 */
CfConnection *
cf_get_connection(ForeignServer *server, UserMapping *user)
{
	CfConnCacheEntry *entry;
	bool		found;

	if (cf_conn_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CfConnCacheEntry);
		ctl.hcxt = CacheMemoryContext;
		cf_conn_cache = hash_create("cloudflare_fdw connections", 8, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

		RegisterXactCallback(cf_xact_callback, NULL);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, cf_inval_callback,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, cf_inval_callback,
									  (Datum) 0);
	}

	if (cf_http == NULL)
	{
		cf_http = cf_http_create();
		if (cf_http == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
					 errmsg("could not initialize libcurl")));
		/* connection sockets count against max_files_per_process */
		cf_http_set_fd_hooks(cf_http, AcquireExternalFD, ReleaseExternalFD);
	}

	entry = hash_search(cf_conn_cache, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		entry->valid = false;
		entry->server_hashvalue = 0;
		entry->mapping_hashvalue = 0;
		memset(&entry->conn, 0, sizeof(entry->conn));
	}
	if (!entry->valid)
		cf_build_connection(entry, server, user);
	return &entry->conn;
}

/*
 * cf_read_token_file
 *		The token in a file on the database server (option api_token_file,
 *		which only a superuser may set): read when the connection is made,
 *		so that it never enters the catalog or a dump.  Surrounding
 *		whitespace (a final newline) is dropped; errors name the file, never
 *		its content.
 */
static char *
cf_read_token_file(const char *path)
{
	char		buf[4097];
	size_t		n;
	FILE	   *f;
	char	   *start;
	char	   *end;

	f = AllocateFile(path, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open api_token_file \"%s\": %m", path),
				 errhint("The file is read by the database server's operating system user.")));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f))
	{
		FreeFile(f);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read api_token_file \"%s\": %m", path)));
	}
	FreeFile(f);
	if (n == sizeof(buf) - 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("api_token_file \"%s\" is larger than %d bytes", path,
						(int) sizeof(buf) - 2)));
	buf[n] = '\0';
	start = buf;
	while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	if (*start == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("api_token_file \"%s\" holds no token", path)));
	start = pstrdup(start);
	explicit_bzero(buf, sizeof(buf));
	return start;
}

/*
 * cf_build_connection
 *		(Re)fills an entry from the server's options and the user mapping's
 *		credentials.
 *
 * Everything that may raise an error is done before the first libcurl
 * allocation, and the entry is only changed once nothing can fail, so an
 * error leaves it as it was (invalid) and leaks no malloc'd memory.
 */
static void
cf_build_connection(CfConnCacheEntry *entry, ForeignServer *server,
					UserMapping *user)
{
	CfOptions	opts;
	const char *token = NULL;
	const char *email = NULL;
	const char *key = NULL;
	char	   *lines[4];
	int			nlines = 0;
	char	   *base_url;
	char	   *ca_file = NULL;
	struct curl_slist *headers = NULL;
	struct curl_slist *headers_body = NULL;
	bool		oom = false;
	ListCell   *lc;

	cf_get_server_options(server, &opts);

	foreach(lc, user->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "api_token") == 0)
			token = defGetString(def);
		else if (strcmp(def->defname, "api_token_file") == 0)
			token = cf_read_token_file(defGetString(def));
		else if (strcmp(def->defname, "api_email") == 0)
			email = defGetString(def);
		else if (strcmp(def->defname, "api_key") == 0)
			key = defGetString(def);
	}
	if (token != NULL && token[0] == '\0')
		token = NULL;
	if (email != NULL && email[0] == '\0')
		email = NULL;
	if (key != NULL && key[0] == '\0')
		key = NULL;

	/*
	 * Credentials come from the user mapping and nowhere else (not the
	 * server, the environment or a file), so the password_required rule of
	 * postgres_fdw, that a non-superuser must bring their own, holds by
	 * construction; say so when it is a non-superuser who has none.
	 */
	if (token == NULL && (email == NULL || key == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has no Cloudflare API credentials",
						server->servername),
				 superuser() ? 0 :
				 errdetail("Non-superusers must supply credentials in their user mapping."),
				 errhint("Set option \"api_token\" (or, as a superuser, \"api_token_file\"), or both \"api_email\" and \"api_key\", on the user mapping.")));

	if (token != NULL)
	{
		cf_check_header_value("api_token", token);
		lines[nlines++] = psprintf("Authorization: Bearer %s", token);
	}
	else
	{
		cf_check_header_value("api_email", email);
		cf_check_header_value("api_key", key);
		lines[nlines++] = psprintf("X-Auth-Email: %s", email);
		lines[nlines++] = psprintf("X-Auth-Key: %s", key);
	}

	base_url = MemoryContextStrdup(CacheMemoryContext, opts.api_url);
	if (opts.ca_bundle != NULL)
		ca_file = MemoryContextStrdup(CacheMemoryContext, opts.ca_bundle);

	/* From here on nothing raises an error until the lists are installed. */
	for (int i = 0; i < nlines && !oom; i++)
	{
		struct curl_slist *l;

		l = curl_slist_append(headers, lines[i]);
		oom |= (l == NULL);
		if (l != NULL)
			headers = l;
		l = curl_slist_append(headers_body, lines[i]);
		oom |= (l == NULL);
		if (l != NULL)
			headers_body = l;
	}
	for (int i = 0; i < nlines; i++)
	{
		explicit_bzero(lines[i], strlen(lines[i]));
		pfree(lines[i]);
	}
	if (!oom)
	{
		const char *common[] = {"Accept: application/json"};
		const char *body_only[] = {
			"Content-Type: application/json",
			/* no "Expect: 100-continue" round trip before a body */
			"Expect:"
		};
		struct curl_slist *l;

		for (int i = 0; i < lengthof(common) && !oom; i++)
		{
			l = curl_slist_append(headers, common[i]);
			oom |= (l == NULL);
			if (l != NULL)
				headers = l;
			l = curl_slist_append(headers_body, common[i]);
			oom |= (l == NULL);
			if (l != NULL)
				headers_body = l;
		}
		for (int i = 0; i < lengthof(body_only) && !oom; i++)
		{
			l = curl_slist_append(headers_body, body_only[i]);
			oom |= (l == NULL);
			if (l != NULL)
				headers_body = l;
		}
	}
	if (oom)
	{
		cf_http_slist_free_secure(headers);
		cf_http_slist_free_secure(headers_body);
		pfree(base_url);
		if (ca_file)
			pfree(ca_file);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}

	cf_release_connection(entry);

	entry->conn.http = cf_http;
	entry->conn.base_url = base_url;
	entry->conn.allow_http = cf_url_allows_http(base_url);
	entry->conn.ca_file = ca_file;
	entry->conn.connect_timeout_ms = opts.connect_timeout_ms;
	entry->conn.request_timeout_ms = opts.request_timeout_ms;
	entry->conn.max_response_bytes = opts.max_response_bytes;
	entry->conn.max_concurrency = Max(opts.max_concurrency, 1);
	entry->conn.max_retries = Max(opts.max_retries, 0);
	entry->conn.max_retry_wait_ms = Max(opts.max_retry_wait_ms, 0);
	entry->conn.headers = headers;
	entry->conn.headers_body = headers_body;
	entry->conn.server_oid = server->serverid;
	entry->conn.rate_limit_requests = opts.rate_limit_requests;
	entry->conn.rate_limit_window_ms = opts.rate_limit_window_ms;

	entry->server_hashvalue =
		GetSysCacheHashValue1(FOREIGNSERVEROID,
							  ObjectIdGetDatum(server->serverid));
	entry->mapping_hashvalue =
		GetSysCacheHashValue1(USERMAPPINGOID,
							  ObjectIdGetDatum(user->umid));
	entry->valid = true;
}

/*
 * cf_release_connection
 *		Frees what an entry holds, overwriting the credentials first.
 */
static void
cf_release_connection(CfConnCacheEntry *entry)
{
	CfConnection *conn = &entry->conn;

	cf_http_slist_free_secure(conn->headers);
	cf_http_slist_free_secure(conn->headers_body);
	if (conn->base_url)
		pfree(conn->base_url);
	if (conn->ca_file)
		pfree(conn->ca_file);
	memset(conn, 0, sizeof(*conn));
	entry->valid = false;
}

/*
 * cf_check_header_value
 *		A credential becomes an HTTP header line: control characters would
 *		let it add headers of its own.  The value is never printed.
 */
static void
cf_check_header_value(const char *option, const char *value)
{
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7F)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"%s\" of the user mapping contains control characters",
							option),
					 errhint("Set the option again, without line breaks or other control characters.")));
	}
}

/*
 * cf_url_allows_http
 *		Plain http is allowed towards a loopback host only (the emulator);
 *		anywhere else libcurl is restricted to https.  The validator already
 *		refuses other http URLs; this is the second line.
 */
static bool
cf_url_allows_http(const char *url)
{
	CURLU	   *h = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	bool		result = false;

	if (h == NULL)
		return false;
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		pg_strcasecmp(scheme, "http") == 0)
		result = cf_host_is_loopback(host);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return result;
}

/*
 * cf_inval_callback
 *		Marks the entries of a changed server or user mapping invalid, as
 *		postgres_fdw's pgfdw_inval_callback does (hash value 0: all).
 *
 * Nothing is freed here: a scan may still hold the entry between two
 * requests.  The next cf_get_connection rebuilds it, and transaction end
 * frees the credentials of entries nobody rebuilt.
 */
static void
cf_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	CfConnCacheEntry *entry;

	Assert(cacheid == FOREIGNSERVEROID || cacheid == USERMAPPINGOID);

	hash_seq_init(&scan, cf_conn_cache);
	while ((entry = (CfConnCacheEntry *) hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID &&
			 entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID &&
			 entry->mapping_hashvalue == hashvalue))
			entry->valid = false;
	}
}

/*
 * cf_xact_callback
 *		At transaction end, stops transfers left in flight (request.c's own
 *		error cleanup normally has) and drops invalidated entries, so that a
 *		dropped user mapping's credentials do not linger in memory.
 */
static void
cf_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	CfConnCacheEntry *entry;

	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			cf_http_abort_all(cf_http);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}

	hash_seq_init(&scan, cf_conn_cache);
	while ((entry = (CfConnCacheEntry *) hash_seq_search(&scan)) != NULL)
	{
		if (!entry->valid && entry->conn.http != NULL)
			cf_release_connection(entry);
	}
}
