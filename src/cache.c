/*-------------------------------------------------------------------------
 *
 * cache.c
 *		  The response cache: scan pages the API answered, served again for
 *		  cache_ttl seconds instead of spending the rate budget.
 *
 * An entry is one page exactly as the scan reads it (its text), keyed by a
 * SHA-256 of the credentials' digest and the request's path with every
 * parameter, so one credential's answers are never served to another and
 * no secret is kept in the key.  The credentials' digest is itself a
 * SHA-256 of a random salt, the API URL and the credential header lines.
 *
 * Storage is one region: a table of entries and a pool of fixed-size
 * blocks, each page a chain of blocks.  When the library is in
 * shared_preload_libraries the region is in shared memory, guarded by one
 * LWLock, and every backend of the cluster shares it; otherwise each
 * backend makes its own on first use.  Either way it holds at most
 * cloudflare_fdw.cache_size bytes of pages: a page that does not fit
 * evicts the least recently used ones first.  A page larger than a
 * quarter of the region is not kept.
 *
 * Only complete 2xx pages of a scan are stored, in one step after the page
 * arrived: errors, 429s, partial pages and cancelled scans leave nothing.
 * A write through the FDW removes every entry of its server (the lists it
 * could change are most of them); cloudflare_fdw_cache_clear() removes all
 * or one server's.  Two backends missing the same page at once both fetch
 * it (no coalescing): the second store replaces the first.
 *
 * IDENTIFICATION
 *		  src/cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "request.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "connection.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define CF_CACHE_BLOCK		8192	/* bytes of page text per block */
#define CF_CACHE_KEY		PG_SHA256_DIGEST_LENGTH

/* One cached page. */
typedef struct CfCacheSlot
{
	bool		used;
	uint8		key[CF_CACHE_KEY];
	Oid			server;			/* for invalidation */
	int			first;			/* first block, -1: none */
	uint32		len;			/* bytes of text */
	TimestampTz stored_at;
	uint64		last_used;		/* the region's clock at the last hit */
} CfCacheSlot;

/* The region: header, then nslots slots, nblocks next-links, the blocks. */
typedef struct CfCacheRegion
{
	LWLock	   *lock;			/* NULL for a backend's own region */
	int			nslots;
	int			nblocks;
	int			free_head;		/* first free block, -1: none */
	int			nfree;
	uint64		clock;
	uint8		salt[16];
	int64		hits;
	int64		misses;
	int64		stores;
	int64		evictions;
} CfCacheRegion;

int			cf_cache_size_kb = 65536;

static CfCacheRegion *cf_region = NULL;
static bool cf_region_shared = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void cf_cache_shmem_request(void);
static void cf_cache_shmem_startup(void);

/* Layout of a region of size bytes. */
static void
cf_cache_layout(Size size, int *nslots, int *nblocks)
{
	Size		per_block = CF_CACHE_BLOCK + sizeof(int) + sizeof(CfCacheSlot);

	*nblocks = (int) Max((size - sizeof(CfCacheRegion)) / per_block, 4);
	*nslots = *nblocks;
}

static Size
cf_cache_region_size(void)
{
	int			nslots;
	int			nblocks;
	Size		size = (Size) cf_cache_size_kb * 1024;

	cf_cache_layout(size, &nslots, &nblocks);
	return MAXALIGN(sizeof(CfCacheRegion)) +
		MAXALIGN(sizeof(CfCacheSlot) * nslots) +
		MAXALIGN(sizeof(int) * nblocks) +
		(Size) CF_CACHE_BLOCK * nblocks;
}

#define CF_SLOTS(r)	((CfCacheSlot *) ((char *) (r) + MAXALIGN(sizeof(CfCacheRegion))))
#define CF_NEXT(r)	((int *) ((char *) CF_SLOTS(r) + MAXALIGN(sizeof(CfCacheSlot) * (r)->nslots)))
#define CF_BLOCK(r, i) ((char *) CF_NEXT(r) + MAXALIGN(sizeof(int) * (r)->nblocks) + \
						(Size) CF_CACHE_BLOCK * (i))

static void
cf_cache_region_init(CfCacheRegion *r, LWLock *lock)
{
	int			nslots;
	int			nblocks;

	memset(r, 0, sizeof(CfCacheRegion));
	cf_cache_layout((Size) cf_cache_size_kb * 1024, &nslots, &nblocks);
	r->lock = lock;
	r->nslots = nslots;
	r->nblocks = nblocks;
	memset(CF_SLOTS(r), 0, sizeof(CfCacheSlot) * nslots);
	for (int i = 0; i < nblocks; i++)
		CF_NEXT(r)[i] = i + 1 < nblocks ? i + 1 : -1;
	r->free_head = 0;
	r->nfree = nblocks;
	if (!pg_strong_random(r->salt, sizeof(r->salt)))
		memcpy(r->salt, &(TimestampTz) {GetCurrentTimestamp()}, sizeof(TimestampTz));
}

/*
 * cf_cache_init
 *		Called by _PG_init: the GUC, and the shared region when the library
 *		is preloaded.
 */
void
cf_cache_init(void)
{
	/*
	 * Preloaded, it sizes shared memory, fixed at server start; loaded
	 * later, a backend's own region, made at its first use (a variable of
	 * the server's start cannot be made after it).
	 */
	DefineCustomIntVariable("cloudflare_fdw.cache_size",
							"Memory for the response cache (pages of scans with cache_ttl).",
							"Shared by every backend when cloudflare_fdw is in shared_preload_libraries, else per backend.",
							&cf_cache_size_kb,
							65536, 64, INT_MAX / 1024,
							process_shared_preload_libraries_in_progress
							? PGC_POSTMASTER : PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cf_cache_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cf_cache_shmem_startup;
}

static void
cf_cache_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(cf_cache_region_size());
	RequestNamedLWLockTranche("cloudflare_fdw cache", 1);
}

static void
cf_cache_shmem_startup(void)
{
	bool		found;
	CfCacheRegion *r;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	r = ShmemInitStruct("cloudflare_fdw cache", cf_cache_region_size(), &found);
	if (!found)
		cf_cache_region_init(r, &(GetNamedLWLockTranche("cloudflare_fdw cache"))->lock);
	LWLockRelease(AddinShmemInitLock);
	cf_region = r;
	cf_region_shared = true;
}

/* The region, made for this backend on first use when not shared. */
static CfCacheRegion *
cf_cache_region(void)
{
	if (cf_region == NULL)
	{
		CfCacheRegion *r = MemoryContextAllocExtended(TopMemoryContext,
													  cf_cache_region_size(),
													  MCXT_ALLOC_HUGE);

		cf_cache_region_init(r, NULL);
		cf_region = r;
	}
	return cf_region;
}

static void
cf_cache_lock(CfCacheRegion *r)
{
	if (r->lock)
		LWLockAcquire(r->lock, LW_EXCLUSIVE);
}

static void
cf_cache_unlock(CfCacheRegion *r)
{
	if (r->lock)
		LWLockRelease(r->lock);
}

/* A SHA-256 of the pieces, into out; raises on failure (outside the lock). */
static void
cf_sha256(const void *const *parts, const size_t *lens, int n, uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	bool		ok = ctx != NULL && pg_cryptohash_init(ctx) == 0;

	for (int i = 0; ok && i < n; i++)
		ok = pg_cryptohash_update(ctx, parts[i], lens[i]) == 0;
	ok = ok && pg_cryptohash_final(ctx, out, CF_CACHE_KEY) == 0;
	pg_cryptohash_free(ctx);
	if (!ok)
		elog(ERROR, "could not compute a SHA-256 digest");
}

/*
 * cf_cache_key
 *		The key of a request: SHA-256 of the connection's credential digest
 *		(made once per connection, from the region's salt, the API URL and
 *		the credential header lines) and the path with its parameters.
 */
static void
cf_cache_key(CfConnection *conn, const char *path, uint8 *key)
{
	CfCacheRegion *r = cf_cache_region();
	const void *parts[2];
	size_t		lens[2];

	if (!conn->cache_cred_set)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, (const char *) r->salt, sizeof(r->salt));
		appendStringInfo(&buf, "%s\n", conn->base_url);
		for (struct curl_slist *l = conn->headers; l != NULL; l = l->next)
		{
			if (pg_strncasecmp(l->data, "Authorization:", 14) == 0 ||
				pg_strncasecmp(l->data, "X-Auth-", 7) == 0)
				appendStringInfo(&buf, "%s\n", l->data);
		}
		parts[0] = buf.data;
		lens[0] = buf.len;
		cf_sha256(parts, lens, 1, conn->cache_cred);
		memset(buf.data, 0, buf.len);
		pfree(buf.data);
		conn->cache_cred_set = true;
	}
	parts[0] = conn->cache_cred;
	lens[0] = CF_CACHE_KEY;
	parts[1] = path;
	lens[1] = strlen(path) + 1;
	cf_sha256(parts, lens, 2, key);
}

static CfCacheSlot *
cf_cache_find(CfCacheRegion *r, const uint8 *key)
{
	CfCacheSlot *slots = CF_SLOTS(r);

	for (int i = 0; i < r->nslots; i++)
	{
		if (slots[i].used && memcmp(slots[i].key, key, CF_CACHE_KEY) == 0)
			return &slots[i];
	}
	return NULL;
}

/* Frees a slot and its blocks; the lock is held. */
static void
cf_cache_drop(CfCacheRegion *r, CfCacheSlot *s)
{
	int			b = s->first;

	while (b >= 0)
	{
		int			next = CF_NEXT(r)[b];

		CF_NEXT(r)[b] = r->free_head;
		r->free_head = b;
		r->nfree++;
		b = next;
	}
	s->used = false;
	s->first = -1;
}

/* The least recently used slot, or NULL if none is used. */
static CfCacheSlot *
cf_cache_lru(CfCacheRegion *r)
{
	CfCacheSlot *slots = CF_SLOTS(r);
	CfCacheSlot *lru = NULL;

	for (int i = 0; i < r->nslots; i++)
	{
		if (slots[i].used && (lru == NULL || slots[i].last_used < lru->last_used))
			lru = &slots[i];
	}
	return lru;
}

/*
 * cf_cache_get
 *		The text of the page cached for this request within ttl_s seconds,
 *		palloc'd in the current context (NUL-terminated), or NULL.  *age_ms
 *		gets its age.
 */
char *
cf_cache_get(CfConnection *conn, const char *path, int ttl_s, uint32 *len,
			 int64 *age_ms)
{
	CfCacheRegion *r = cf_cache_region();
	uint8		key[CF_CACHE_KEY];
	CfCacheSlot *s;
	char	   *text = NULL;
	TimestampTz now = GetCurrentTimestamp();

	cf_cache_key(conn, path, key);
	/* the copy's memory first: nothing may fail under the lock */
	cf_cache_lock(r);
	s = cf_cache_find(r, key);
	if (s != NULL && s->stored_at + (int64) ttl_s * USECS_PER_SEC >= now)
	{
		uint32		n = s->len;

		cf_cache_unlock(r);
		text = palloc(n + 1);
		cf_cache_lock(r);
		/* the slot may have changed while unlocked: look again */
		s = cf_cache_find(r, key);
		if (s != NULL && s->len == n)
		{
			char	   *p = text;
			int			b = s->first;
			uint32		left = n;

			while (b >= 0 && left > 0)
			{
				uint32		k = Min(left, CF_CACHE_BLOCK);

				memcpy(p, CF_BLOCK(r, b), k);
				p += k;
				left -= k;
				b = CF_NEXT(r)[b];
			}
			text[n] = '\0';
			*len = n;
			*age_ms = (now - s->stored_at) / 1000;
			s->last_used = ++r->clock;
			r->hits++;
		}
		else
		{
			pfree(text);
			text = NULL;
		}
	}
	if (text == NULL)
		r->misses++;
	cf_cache_unlock(r);
	return text;
}

/*
 * cf_cache_put
 *		Stores a complete page, replacing the request's older one and
 *		evicting the least recently used pages until it fits.
 */
void
cf_cache_put(CfConnection *conn, const char *path, const char *text,
			 uint32 len)
{
	CfCacheRegion *r = cf_cache_region();
	uint8		key[CF_CACHE_KEY];
	int			need = (int) ((len + CF_CACHE_BLOCK - 1) / CF_CACHE_BLOCK);
	CfCacheSlot *slots;
	CfCacheSlot *s = NULL;
	int			prev = -1;
	uint32		left = len;

	if (need > r->nblocks / 4 || len == 0)
		return;
	cf_cache_key(conn, path, key);

	cf_cache_lock(r);
	slots = CF_SLOTS(r);
	s = cf_cache_find(r, key);
	if (s != NULL)
		cf_cache_drop(r, s);
	for (;;)
	{
		s = NULL;
		for (int i = 0; i < r->nslots && s == NULL; i++)
		{
			if (!slots[i].used)
				s = &slots[i];
		}
		if (s != NULL && r->nfree >= need)
			break;
		if (cf_cache_lru(r) == NULL)
		{
			cf_cache_unlock(r);
			return;				/* cannot happen: an empty region fits it */
		}
		cf_cache_drop(r, cf_cache_lru(r));
		r->evictions++;
	}

	memcpy(s->key, key, CF_CACHE_KEY);
	s->used = true;
	s->server = conn->server_oid;
	s->len = len;
	s->stored_at = GetCurrentTimestamp();
	s->last_used = ++r->clock;
	s->first = -1;
	while (left > 0)
	{
		int			b = r->free_head;
		uint32		k = Min(left, CF_CACHE_BLOCK);

		r->free_head = CF_NEXT(r)[b];
		r->nfree--;
		CF_NEXT(r)[b] = -1;
		memcpy(CF_BLOCK(r, b), text + (len - left), k);
		if (prev < 0)
			s->first = b;
		else
			CF_NEXT(r)[prev] = b;
		prev = b;
		left -= k;
	}
	r->stores++;
	cf_cache_unlock(r);
}

/*
 * cf_cache_forget
 *		Removes the pages of one server (InvalidOid: all); returns how many.
 *		A write through the FDW calls it for its server, in every backend at
 *		once when the region is shared.
 */
int64
cf_cache_forget(Oid server)
{
	CfCacheRegion *r;
	CfCacheSlot *slots;
	int64		n = 0;

	if (cf_region == NULL)
		return 0;				/* nothing was ever cached here */
	r = cf_region;
	cf_cache_lock(r);
	slots = CF_SLOTS(r);
	for (int i = 0; i < r->nslots; i++)
	{
		if (slots[i].used && (!OidIsValid(server) || slots[i].server == server))
		{
			cf_cache_drop(r, &slots[i]);
			n++;
		}
	}
	cf_cache_unlock(r);
	return n;
}

/*
 * A write through conn: its server's pages go (cf_cache_forget), and so do
 * the pages the running statements fetched from that server, under any
 * user mapping (stmtcache.c).
 */
void
cf_cache_forget_connection(CfConnection *conn)
{
	cf_stmt_cache_forget(conn);
	cf_cache_forget(conn->server_oid);
}

/* What cloudflare_fdw_cache_info() shows. */
void
cf_cache_info(CfCacheInfo *info)
{
	CfCacheRegion *r = cf_region;
	CfCacheSlot *slots;
	int			nslots;
	int			nblocks;

	memset(info, 0, sizeof(CfCacheInfo));
	info->shared = cf_region_shared;
	cf_cache_layout((Size) cf_cache_size_kb * 1024, &nslots, &nblocks);
	info->size_bytes = (int64) nblocks * CF_CACHE_BLOCK;
	if (r == NULL)
		return;					/* this backend has cached nothing yet */
	cf_cache_lock(r);
	slots = CF_SLOTS(r);
	for (int i = 0; i < r->nslots; i++)
	{
		if (slots[i].used)
		{
			info->entries++;
			info->page_bytes += slots[i].len;
		}
	}
	info->used_bytes = (int64) (r->nblocks - r->nfree) * CF_CACHE_BLOCK;
	info->hits = r->hits;
	info->misses = r->misses;
	info->stores = r->stores;
	info->evictions = r->evictions;
	cf_cache_unlock(r);
}
