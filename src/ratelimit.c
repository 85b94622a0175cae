/*-------------------------------------------------------------------------
 *
 * ratelimit.c
 *		  The rate budget every backend shares per set of credentials, and
 *		  the request counters cloudflare_fdw_stats() shows.
 *
 * Cloudflare allows 1,200 requests per 5 minutes per user, and once a user
 * goes over, it blocks every call for five minutes.  Backends that use the
 * same credentials must therefore pace themselves together.  When the
 * library is in shared_preload_libraries, a fixed table of token buckets
 * lives in shared memory, one per credential (keyed by a salted hash of the
 * API URL and the credential headers; the secret itself is never stored),
 * guarded by one LWLock.  Loaded any other way, each backend keeps its own
 * table, and only paces itself.
 *
 * A bucket holds at most a tenth of the budget (at least one request) and
 * refills so that no interval of rate_limit_window seconds ever sees more
 * than rate_limit_requests requests: burst + rate * window = requests.  A
 * plain token bucket that starts full and refills the whole budget per
 * window would let twice the budget through in one window.  A request that
 * finds the bucket empty takes its token all the same and is told when its
 * turn comes, so that waiting requests of every backend go in order.
 *
 * The API's own word wins: a Ratelimit header saying nothing remains
 * ("r=0;t=N") empties the bucket for N seconds, a smaller remainder lowers
 * it, and a 429 empties it until its Retry-After.
 *
 * Nothing here waits: cf_rate_try answers how long to wait, and request.c
 * waits in its own loop on the latch and the sockets of the requests
 * already running, so cancel and statement_timeout act at once.
 *
 * The counters are kept per backend and per foreign server, and, in shared
 * memory, per database and server across backends.  request.c reports
 * each attempt and each answer; the backend's counts go to shared memory at
 * the end of each batch of requests, in one locked section.
 *
 * IDENTIFICATION
 *		  src/ratelimit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "cloudflare_fdw.h"
#include "ratelimit.h"
#include "request.h"
#include "common/hashfn.h"
#include "connection.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Sizes of the shared tables; docs/operations.md states them. */
#define CF_RATE_BUCKETS		128
#define CF_STATS_SERVERS	256

/* A backend without shared memory keeps fewer buckets of its own. */
#define CF_LOCAL_BUCKETS	16

/* The burst is this fraction of the budget. */
#define CF_BURST_DIVISOR	10

/* One credential's bucket. */
typedef struct CfRateBucket
{
	uint64		key;			/* salted hash of URL + credentials; 0: free */
	int			requests;		/* the budget it was last paced with */
	int			window_ms;
	double		tokens;			/* requests that may start now */
	TimestampTz refilled_at;
	TimestampTz blocked_until;	/* the API asked for nothing before this */
	TimestampTz used_at;
} CfRateBucket;

/* One foreign server's counters in shared memory. */
typedef struct CfSharedServer
{
	Oid			dbid;			/* InvalidOid: free */
	Oid			serverid;
	CfCounters	c;
} CfSharedServer;

typedef struct CfShared
{
	LWLock	   *lock;
	uint64		salt;
	CfRateBucket buckets[CF_RATE_BUCKETS];
	CfSharedServer servers[CF_STATS_SERVERS];
} CfShared;

/* One foreign server's counters in this backend. */
typedef struct CfLocalServer
{
	Oid			serverid;		/* hash key */
	CfCounters	total;			/* since the last reset */
	CfCounters	unflushed;		/* not yet added to shared memory */
} CfLocalServer;

/* GUC cloudflare_fdw.rate_limit */
bool		cf_rate_limit_enabled = true;

static CfShared *cf_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* The backend's own buckets when there is no shared memory. */
static CfRateBucket *cf_local_buckets = NULL;
static uint64 cf_local_salt = 0;

static HTAB *cf_local_servers = NULL;

static void cf_shmem_request(void);
static void cf_shmem_startup(void);
static uint64 cf_rate_key(CfConnection *conn);
static CfRateBucket *cf_bucket_get(uint64 key, bool create, TimestampTz now);
static void cf_bucket_pace(CfRateBucket *b, int requests, int window_ms,
						   TimestampTz now);
static void cf_lock(void);
static void cf_unlock(void);
static CfLocalServer *cf_local_server(Oid serverid);
static void cf_counters_add(CfCounters *to, const CfCounters *from);

/*
 * cf_ratelimit_init
 *		Called by _PG_init: the GUC, and the shared memory when the library
 *		is being preloaded.
 */
void
cf_ratelimit_init(void)
{
	DefineCustomBoolVariable("cloudflare_fdw.rate_limit",
							 "Paces Cloudflare API requests to each server's rate budget.",
							 "Off sends requests as fast as the servers' other limits allow, whatever their rate_limit_requests.",
							 &cf_rate_limit_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cf_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cf_shmem_startup;
}

static void
cf_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(CfShared)));
	RequestNamedLWLockTranche("cloudflare_fdw", 1);
}

static void
cf_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cf_shared = ShmemInitStruct("cloudflare_fdw", sizeof(CfShared), &found);
	if (!found)
	{
		memset(cf_shared, 0, sizeof(CfShared));
		cf_shared->lock = &(GetNamedLWLockTranche("cloudflare_fdw"))->lock;
		if (!pg_strong_random(&cf_shared->salt, sizeof(cf_shared->salt)))
			cf_shared->salt = (uint64) GetCurrentTimestamp();
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Whether the budget and the counters are shared by every backend. */
bool
cf_rate_shared(void)
{
	return cf_shared != NULL;
}

/* The burst a budget allows: a tenth of it, at least one request. */
int
cf_rate_burst(int requests)
{
	return Max(requests / CF_BURST_DIVISOR, 1);
}

static void
cf_lock(void)
{
	if (cf_shared)
		LWLockAcquire(cf_shared->lock, LW_EXCLUSIVE);
}

static void
cf_unlock(void)
{
	if (cf_shared)
		LWLockRelease(cf_shared->lock);
}

/*
 * cf_rate_key
 *		The bucket key of a connection: a salted hash of the API URL and the
 *		credential header lines, computed once per connection.  The same
 *		token against another URL (the emulator) is another budget.
 */
static uint64
cf_rate_key(CfConnection *conn)
{
	uint64		salt;
	uint64		h;

	if (conn->rate_key != 0)
		return conn->rate_key;

	if (cf_shared)
		salt = cf_shared->salt;
	else
	{
		if (cf_local_salt == 0 &&
			!pg_strong_random(&cf_local_salt, sizeof(cf_local_salt)))
			cf_local_salt = (uint64) GetCurrentTimestamp();
		salt = cf_local_salt;
	}

	h = hash_bytes_extended((const unsigned char *) conn->base_url,
							strlen(conn->base_url), salt);
	for (struct curl_slist *l = conn->headers; l != NULL; l = l->next)
	{
		if (pg_strncasecmp(l->data, "Authorization:", 14) == 0 ||
			pg_strncasecmp(l->data, "X-Auth-", 7) == 0)
			h = hash_bytes_extended((const unsigned char *) l->data,
									strlen(l->data), h);
	}
	if (h == 0)
		h = 1;
	conn->rate_key = h;
	return h;
}

/*
 * cf_bucket_get
 *		The bucket of a key, with the lock held.  A new one takes a free
 *		slot, else the one unused for longest (a bucket idle for a whole
 *		window would be full anyway).  NULL when not found and not created.
 */
static CfRateBucket *
cf_bucket_get(uint64 key, bool create, TimestampTz now)
{
	CfRateBucket *buckets;
	int			n;
	CfRateBucket *victim = NULL;

	if (cf_shared)
	{
		buckets = cf_shared->buckets;
		n = CF_RATE_BUCKETS;
	}
	else
	{
		if (cf_local_buckets == NULL)
			cf_local_buckets = MemoryContextAllocZero(TopMemoryContext,
													  sizeof(CfRateBucket) * CF_LOCAL_BUCKETS);
		buckets = cf_local_buckets;
		n = CF_LOCAL_BUCKETS;
	}

	for (int i = 0; i < n; i++)
	{
		CfRateBucket *b = &buckets[i];

		if (b->key == key)
			return b;
		if (victim == NULL || (victim->key != 0 &&
							   (b->key == 0 || b->used_at < victim->used_at)))
			victim = b;
	}
	if (!create)
		return NULL;

	memset(victim, 0, sizeof(CfRateBucket));
	victim->key = key;
	victim->refilled_at = now;
	victim->requests = 0;		/* new: cf_bucket_pace fills it */
	return victim;
}

/*
 * cf_bucket_pace
 *		Brings a bucket up to now under a budget: adopts the budget if it
 *		changed (servers sharing credentials should share the budget too)
 *		and adds the tokens earned since the last refill.
 */
static void
cf_bucket_pace(CfRateBucket *b, int requests, int window_ms, TimestampTz now)
{
	int			burst = cf_rate_burst(requests);
	double		per_us = (double) Max(requests - burst, 1) /
		((double) window_ms * 1000.0);

	if (b->requests == 0)
		b->tokens = burst;		/* a new bucket starts full */
	else if (b->requests != requests || b->window_ms != window_ms)
		b->tokens = Min(b->tokens, burst);
	b->requests = requests;
	b->window_ms = window_ms;
	if (now > b->refilled_at)
	{
		b->tokens = Min((double) burst,
						b->tokens + (double) (now - b->refilled_at) * per_us);
		b->refilled_at = now;
	}
}

/*
 * cf_rate_try
 *		Takes one request from the budget of a connection's credentials and
 *		says when it may start: 0 for now, else in how many ms.  A request
 *		that has to wait keeps its place: its token is taken all the same
 *		(the bucket goes below zero), so that waiting requests of every
 *		backend start in the order they asked, without polling.  The caller
 *		starts it once the time has come, asking first with reserved = true,
 *		which takes nothing and only checks that the API has not blocked the
 *		credentials meanwhile.  While the API blocks them nothing is taken,
 *		*blocked is set and the wait lasts until the block ends.
 */
long
cf_rate_try(CfConnection *conn, bool reserved, bool *blocked)
{
	uint64		key;
	TimestampTz now;
	CfRateBucket *b;
	long		wait_ms = 0;

	*blocked = false;
	if (!cf_rate_limit_enabled || conn->rate_limit_requests <= 0)
		return 0;

	key = cf_rate_key(conn);
	now = GetCurrentTimestamp();

	cf_lock();
	b = cf_bucket_get(key, true, now);
	cf_bucket_pace(b, conn->rate_limit_requests, conn->rate_limit_window_ms,
				   now);
	b->used_at = now;
	if (now < b->blocked_until)
	{
		wait_ms = (long) ((b->blocked_until - now + 999) / 1000);
		*blocked = true;
	}
	else if (!reserved)
	{
		b->tokens -= 1.0;
		if (b->tokens < 0)
		{
			double		per_ms = (double) Max(b->requests - cf_rate_burst(b->requests), 1) /
				(double) b->window_ms;

			wait_ms = Max((long) ceil(-b->tokens / per_ms), 1);
		}
	}
	cf_unlock();

	return wait_ms;
}

/*
 * cf_rate_observe
 *		Tells the budget what an answer said about the API's own count:
 *		the Ratelimit header ("default";r=<remaining>;t=<seconds>) and, for
 *		a 429, the wait it asked for (retry_wait_ms, -1 if none).
 */
void
cf_rate_observe(CfConnection *conn, long status, const char *ratelimit,
				long retry_wait_ms)
{
	long		remaining = -1;
	long		reset_s = -1;
	TimestampTz now;
	CfRateBucket *b;

	if (!cf_rate_limit_enabled || conn->rate_limit_requests <= 0)
		return;

	if (ratelimit != NULL && ratelimit[0] != '\0')
	{
		for (const char *p = ratelimit; *p; p++)
		{
			if (p != ratelimit && p[-1] != ';' && p[-1] != ' ')
				continue;
			if (p[0] == 'r' && p[1] == '=')
				remaining = strtol(p + 2, NULL, 10);
			else if (p[0] == 't' && p[1] == '=')
				reset_s = strtol(p + 2, NULL, 10);
		}
	}
	if (status != 429 && remaining < 0)
		return;

	now = GetCurrentTimestamp();
	cf_lock();
	b = cf_bucket_get(cf_rate_key(conn), true, now);
	cf_bucket_pace(b, conn->rate_limit_requests, conn->rate_limit_window_ms,
				   now);
	if (remaining >= 0 && remaining < b->tokens)
		b->tokens = remaining;
	if (remaining == 0 && reset_s > 0 && reset_s < 86400)
		b->blocked_until = Max(b->blocked_until,
							   TimestampTzPlusMilliseconds(now, reset_s * 1000));
	if (status == 429)
	{
		b->tokens = 0;
		if (retry_wait_ms > 0)
			b->blocked_until = Max(b->blocked_until,
								   TimestampTzPlusMilliseconds(now, retry_wait_ms));
	}
	cf_unlock();
}

/*
 * cf_rate_peek
 *		The state of a connection's bucket, for cloudflare_fdw_rate_budget():
 *		requests that could start now (below zero: requests waiting for
 *		their turn), and until when the API blocks them (0 if it does not).
 *		A bucket not yet used is full.
 */
void
cf_rate_peek(CfConnection *conn, double *available, TimestampTz *blocked_until)
{
	TimestampTz now = GetCurrentTimestamp();
	CfRateBucket *b;

	*available = cf_rate_burst(conn->rate_limit_requests);
	*blocked_until = 0;

	cf_lock();
	b = cf_bucket_get(cf_rate_key(conn), false, now);
	if (b != NULL)
	{
		cf_bucket_pace(b, conn->rate_limit_requests,
					   conn->rate_limit_window_ms, now);
		*available = b->tokens;
		if (b->blocked_until > now)
			*blocked_until = b->blocked_until;
	}
	cf_unlock();
}

/* ----------------------------------------------------------------------
 * Counters
 * ----------------------------------------------------------------------
 */

static CfLocalServer *
cf_local_server(Oid serverid)
{
	bool		found;
	CfLocalServer *s;

	if (cf_local_servers == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CfLocalServer);
		ctl.hcxt = TopMemoryContext;
		cf_local_servers = hash_create("cloudflare_fdw statistics", 8, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	s = hash_search(cf_local_servers, &serverid, HASH_ENTER, &found);
	if (!found)
	{
		memset(&s->total, 0, sizeof(CfCounters));
		memset(&s->unflushed, 0, sizeof(CfCounters));
	}
	return s;
}

static void
cf_counters_add(CfCounters *to, const CfCounters *from)
{
	to->requests += from->requests;
	to->retries += from->retries;
	to->rate_limited += from->rate_limited;
	to->pages += from->pages;
	to->rows += from->rows;
	to->bytes += from->bytes;
	to->api_wait_us += from->api_wait_us;
	to->budget_wait_us += from->budget_wait_us;
	to->connections_opened += from->connections_opened;
	to->connections_reused += from->connections_reused;
	to->cache_hits += from->cache_hits;
	to->cache_misses += from->cache_misses;
}

/* A page the response cache answered (hit) or did not have. */
void
cf_stats_cache(CfConnection *conn, bool hit)
{
	CfCounters	d = {0};

	d.cache_hits = hit ? 1 : 0;
	d.cache_misses = hit ? 0 : 1;
	cf_stats_add(conn, &d);
}

/* An attempt started; retry says it is not the request's first. */
void
cf_stats_request(CfConnection *conn, bool retry)
{
	CfCounters	d = {0};

	d.requests = 1;
	d.retries = retry ? 1 : 0;
	cf_stats_add(conn, &d);
}

/*
 * cf_stats_response
 *		An attempt finished.  An answer the caller gets is a page, with rows
 *		(the items of its "result" array, or 1 for an object); rows is -1
 *		for an attempt that was not an answer.  new_connections is how many
 *		connections the attempt opened; an answer that came without opening
 *		one came on a connection kept open.
 */
void
cf_stats_response(CfConnection *conn, long status, int64 bytes, int64 rows,
				  int new_connections)
{
	CfCounters	d = {0};

	d.bytes = bytes;
	d.connections_opened = new_connections;
	d.connections_reused = (new_connections == 0 && status != 0) ? 1 : 0;
	d.rate_limited = (status == 429) ? 1 : 0;
	if (rows >= 0)
	{
		d.pages = 1;
		d.rows = rows;
	}
	cf_stats_add(conn, &d);
}

/* Adds counts of a connection's server to this backend's counters. */
void
cf_stats_add(CfConnection *conn, const CfCounters *delta)
{
	CfLocalServer *s = cf_local_server(conn->server_oid);

	cf_counters_add(&s->total, delta);
	cf_counters_add(&s->unflushed, delta);
}

/*
 * cf_stats_flush
 *		Adds what this backend counted since the last flush to the shared
 *		counters.  Called at the end of every batch of requests, also on
 *		error; it cannot fail.  A full table drops the counts of servers it
 *		has no room for (docs/operations.md says so).
 */
void
cf_stats_flush(void)
{
	HASH_SEQ_STATUS scan;
	CfLocalServer *s;

	if (cf_local_servers == NULL)
		return;
	if (cf_shared == NULL)
	{
		hash_seq_init(&scan, cf_local_servers);
		while ((s = hash_seq_search(&scan)) != NULL)
			memset(&s->unflushed, 0, sizeof(CfCounters));
		return;
	}

	LWLockAcquire(cf_shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&scan, cf_local_servers);
	while ((s = hash_seq_search(&scan)) != NULL)
	{
		CfSharedServer *free_slot = NULL;
		CfSharedServer *slot = NULL;

		static const CfCounters zero;

		if (memcmp(&s->unflushed, &zero, sizeof(CfCounters)) == 0)
			continue;
		for (int i = 0; i < CF_STATS_SERVERS; i++)
		{
			CfSharedServer *e = &cf_shared->servers[i];

			if (e->dbid == MyDatabaseId && e->serverid == s->serverid)
			{
				slot = e;
				break;
			}
			if (e->dbid == InvalidOid && free_slot == NULL)
				free_slot = e;
		}
		if (slot == NULL && free_slot != NULL)
		{
			slot = free_slot;
			slot->dbid = MyDatabaseId;
			slot->serverid = s->serverid;
			memset(&slot->c, 0, sizeof(CfCounters));
		}
		if (slot != NULL)
			cf_counters_add(&slot->c, &s->unflushed);
		memset(&s->unflushed, 0, sizeof(CfCounters));
	}
	LWLockRelease(cf_shared->lock);
}

/*
 * cf_stats_snapshot
 *		Copies of the counters of this backend (shared = false) or of every
 *		backend in this database (shared = true; none without shared
 *		memory), one per server; returns how many.
 */
int
cf_stats_snapshot(bool shared, Oid **serverids, CfCounters **counters)
{
	int			n = 0;

	*serverids = NULL;
	*counters = NULL;
	if (!shared)
	{
		HASH_SEQ_STATUS scan;
		CfLocalServer *s;
		long		size;

		if (cf_local_servers == NULL)
			return 0;
		size = hash_get_num_entries(cf_local_servers);
		if (size == 0)
			return 0;
		*serverids = palloc(sizeof(Oid) * size);
		*counters = palloc(sizeof(CfCounters) * size);
		hash_seq_init(&scan, cf_local_servers);
		while ((s = hash_seq_search(&scan)) != NULL)
		{
			(*serverids)[n] = s->serverid;
			(*counters)[n] = s->total;
			n++;
		}
		return n;
	}

	if (cf_shared == NULL)
		return 0;
	*serverids = palloc(sizeof(Oid) * CF_STATS_SERVERS);
	*counters = palloc(sizeof(CfCounters) * CF_STATS_SERVERS);
	LWLockAcquire(cf_shared->lock, LW_SHARED);
	for (int i = 0; i < CF_STATS_SERVERS; i++)
	{
		CfSharedServer *e = &cf_shared->servers[i];

		if (e->dbid != MyDatabaseId)
			continue;
		(*serverids)[n] = e->serverid;
		(*counters)[n] = e->c;
		n++;
	}
	LWLockRelease(cf_shared->lock);
	return n;
}

/*
 * cf_stats_reset
 *		Zeroes this backend's counters and the shared counters of this
 *		database.
 */
void
cf_stats_reset(void)
{
	if (cf_local_servers != NULL)
	{
		hash_destroy(cf_local_servers);
		cf_local_servers = NULL;
	}
	if (cf_shared == NULL)
		return;
	LWLockAcquire(cf_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < CF_STATS_SERVERS; i++)
	{
		CfSharedServer *e = &cf_shared->servers[i];

		if (e->dbid == MyDatabaseId)
			memset(e, 0, sizeof(CfSharedServer));
	}
	LWLockRelease(cf_shared->lock);
}
