/*-------------------------------------------------------------------------
 *
 * floor.c
 *		The floor of cloudflare_fdw's full scan: what fetching and parsing
 *		every organization costs outside PostgreSQL, with the same libcurl
 *		and json-c.
 *
 *	  floor [--one-page] [--page-size N] [--token T] [--path P] API_URL
 *
 * Walks GET API_URL/organizations?page_size=N (default 1000), following
 * result_info.next_page_token, over ONE easy handle (so one keep-alive
 * connection).  Each page is collected into a buffer and parsed with
 * json_tokener_parse_ex (strict mode, as the FDW does); then every field of
 * every organization is touched as the FDW must touch it to build its
 * columns: id, name and create_time strings, parent.id and parent.name,
 * meta.managed_by, and the whole meta and profile objects walked down to
 * every value (the FDW turns them into jsonb).  A checksum of what was read
 * keeps the compiler from skipping any of it.
 *
 * --one-page fetches only the first page (connection set-up included):
 * the time of one page's request, for the time-to-first-row comparison.
 *
 * Prints one line of key=value pairs on stdout:
 *   pages=100 rows=100000 bytes=70123456 wall_s=0.812 user_s=0.70 sys_s=0.05
 *   first_page_s=0.011 total_size=100000 checksum=...
 * wall_s runs from before the first request to the end of the last walk.
 * Exits 1 (with a message on stderr) on any HTTP, JSON or count error.
 *
 * Built by `make bench` (mk/bench.mk) with
 *   cc -O2 $(pkg-config --cflags --libs libcurl json-c)
 *
 * IDENTIFICATION
 *		  bench/floor.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static uint64_t checksum = 1469598103934665603ULL;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "floor: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	Buf		   *b = (Buf *) userdata;
	size_t		n = size * nmemb;

	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 1 << 20;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			return 0;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Read a string value as the FDW does to copy it into a text Datum. */
static void
touch_string(struct json_object *v)
{
	const char *s;
	int			len;

	if (v == NULL || json_object_get_type(v) == json_type_null)
	{
		checksum = (checksum ^ 0x9e) * 1099511628211ULL;
		return;
	}
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	/* the FDW copies the bytes: read all of them */
	for (int i = 0; i < len; i++)
		checksum = (checksum ^ (unsigned char) s[i]) * 1099511628211ULL;
}

/* Every key and value of a JSON value, as building a jsonb needs. */
static void
walk(struct json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_object:
			{
				json_object_object_foreach(v, key, child)
				{
					checksum = (checksum ^ (unsigned char) key[0] ^ strlen(key)) * 1099511628211ULL;
					walk(child);
				}
				break;
			}
		case json_type_array:
			{
				size_t		n = json_object_array_length(v);

				for (size_t i = 0; i < n; i++)
					walk(json_object_array_get_idx(v, i));
				break;
			}
		case json_type_string:
			touch_string(v);
			break;
		case json_type_boolean:
			checksum = (checksum ^ (uint64_t) json_object_get_boolean(v)) * 1099511628211ULL;
			break;
		case json_type_int:
			checksum = (checksum ^ (uint64_t) json_object_get_int64(v)) * 1099511628211ULL;
			break;
		case json_type_double:
			checksum = (checksum ^ (uint64_t) json_object_get_double(v)) * 1099511628211ULL;
			break;
		case json_type_null:
			checksum = (checksum ^ 0x9e) * 1099511628211ULL;
			break;
	}
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* One organization: every column of cf.organizations. */
static void
walk_org(struct json_object *org)
{
	struct json_object *parent = get(org, "parent");
	struct json_object *meta = get(org, "meta");
	struct json_object *profile = get(org, "profile");

	touch_string(get(org, "id"));
	touch_string(get(org, "name"));
	touch_string(get(org, "create_time"));
	touch_string(get(parent, "id"));
	touch_string(get(parent, "name"));
	touch_string(get(meta, "managed_by"));
	if (meta)
		walk(meta);
	if (profile)
		walk(profile);
}

int
main(int argc, char **argv)
{
	const char *api_url = NULL;
	const char *token = "test-token";
	const char *path = "/organizations";
	int			page_size = 1000;
	int			one_page = 0;
	char		url[4096];
	char		auth[512];
	char		next_token[1024] = "";
	struct curl_slist *headers = NULL;
	CURL	   *easy;
	Buf			buf = {0};
	json_tokener *tok;
	long		pages = 0;
	long		rows = 0;
	long		total_size = -1;
	uint64_t	bytes = 0;
	double		t0,
				t_first = 0,
				t_end;
	struct rusage ru;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--one-page") == 0)
			one_page = 1;
		else if (strcmp(argv[i], "--page-size") == 0 && i + 1 < argc)
			page_size = atoi(argv[++i]);
		else if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
			token = argv[++i];
		else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (argv[i][0] == '-')
			die("unknown option %s (usage: floor [--one-page] [--page-size N] [--token T] [--path P] API_URL)", argv[i]);
		else
			api_url = argv[i];
	}
	if (api_url == NULL)
		die("%s", "usage: floor [--one-page] [--page-size N] [--token T] [--path P] API_URL");

	curl_global_init(CURL_GLOBAL_DEFAULT);
	easy = curl_easy_init();
	tok = json_tokener_new_ex(64);
	if (easy == NULL || tok == NULL)
		die("%s", "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &buf);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);

	t0 = now_s();
	for (;;)
	{
		CURLcode	rc;
		long		status = 0;
		struct json_object *root,
				   *result,
				   *info,
				   *tokv;
		size_t		n;

		if (next_token[0])
			snprintf(url, sizeof(url), "%s%s?page_size=%d&page_token=%s",
					 api_url, path, page_size, next_token);
		else
			snprintf(url, sizeof(url), "%s%s?page_size=%d", api_url, path, page_size);
		buf.len = 0;
		curl_easy_setopt(easy, CURLOPT_URL, url);
		rc = curl_easy_perform(easy);
		if (rc != CURLE_OK)
			die("request failed: %s", curl_easy_strerror(rc));
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			die("HTTP status not 200 for %s", url);
		bytes += buf.len;

		json_tokener_reset(tok);
		root = json_tokener_parse_ex(tok, buf.data, (int) buf.len);
		if (root == NULL)
			die("bad JSON: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
		result = get(root, "result");
		if (result == NULL || json_object_get_type(result) != json_type_array)
			die("%s", "no result array");
		n = json_object_array_length(result);
		for (size_t i = 0; i < n; i++)
			walk_org(json_object_array_get_idx(result, i));
		rows += n;
		pages++;
		if (pages == 1)
			t_first = now_s();

		info = get(root, "result_info");
		total_size = json_object_get_int64(get(info, "total_size"));
		tokv = get(info, "next_page_token");
		if (tokv && json_object_get_type(tokv) == json_type_string &&
			json_object_get_string_len(tokv) > 0 && !one_page)
		{
			const char *t = json_object_get_string(tokv);

			if (strlen(t) >= sizeof(next_token) || strcmp(t, next_token) == 0)
				die("bad next_page_token %s", t);
			strcpy(next_token, t);
			json_object_put(root);
		}
		else
		{
			json_object_put(root);
			break;
		}
	}
	t_end = now_s();
	if (!one_page && rows != total_size)
	{
		fprintf(stderr, "floor: read %ld rows, result_info.total_size says %ld\n",
				rows, total_size);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("pages=%ld rows=%ld bytes=%llu wall_s=%.6f first_page_s=%.6f "
		   "user_s=%.3f sys_s=%.3f total_size=%ld checksum=%016llx\n",
		   pages, rows, (unsigned long long) bytes, t_end - t0, t_first - t0,
		   ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		   total_size, (unsigned long long) checksum);

	json_tokener_free(tok);
	curl_slist_free_all(headers);
	curl_easy_cleanup(easy);
	free(buf.data);
	curl_global_cleanup();
	return 0;
}
