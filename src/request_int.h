/*-------------------------------------------------------------------------
 *
 * request_int.h
 *		  What request.c and failure.c share: the state of one cf_execute
 *		  call and of each request in it, and the verdict on an attempt.
 *
 * Only those two files include it.
 *
 * IDENTIFICATION
 *		  src/request_int.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_REQUEST_INT_H
#define CF_REQUEST_INT_H

#include "connection.h"
#include "http.h"
#include "page.h"
#include "request.h"
#include "storage/latch.h"

/* The state of one request in a cf_execute call. */
typedef struct CfReqState
{
	CfRequest  *req;
	CfPage	   *page;			/* the answer, read in place (page.c) */
	char	   *url;			/* api_url + path */
	bool		idempotent;		/* GET, PUT, DELETE */
	int			attempts;		/* attempts started */
	bool		running;
	bool		done;
	bool		maybe_done;		/* an earlier attempt may have acted */
	bool		failed;			/* its own error was raised */
	TimestampTz not_before;		/* backoff: no attempt before this */
} CfReqState;

/* One cf_execute call; palloc'd so PG_CATCH sees its current state. */
typedef struct CfExec
{
	CfConnection *conn;
	CfHttp	   *http;
	CfReqState *rs;
	int			nreqs;
	int			nrunning;
	int			ndone;
	TimestampTz hold_until;		/* after a 429: no new attempt before */
	TimestampTz throttled_since;	/* held by the rate budget since */
	bool		rate_reserved;	/* the budget gave the next attempt a turn */
	MemoryContext cxt;			/* the caller's: answers go here */
	WaitEventSet *wes;
	uint64		wes_generation;
	WaitEvent  *events;
	int			maxevents;
	CfStats    *stats;
} CfExec;

/* What a final failure reports. */
typedef struct CfFailure
{
	int			sqlstate;
	char	   *message;		/* remote text, or ours */
	bool		message_internal;	/* message is remote text */
	char	   *detail;
	char	   *hint;
} CfFailure;

/* Outcome of one finished attempt. */
typedef enum CfVerdict
{
	CF_DONE,					/* an answer for the caller */
	CF_RETRY,					/* try again after a wait */
	CF_FAIL						/* raise an error */
} CfVerdict;

/* request.c: reading bodies, and the timing of retries */
extern void cf_exec_drop_body(CfReqState *rs);
extern bool cf_curl_retryable(CURLcode code);
extern long cf_server_wait_ms(CfHttpResult *res);
extern long cf_backoff_ms(int attempt);

/* failure.c */
extern CfVerdict cf_judge(CfExec *ex, CfReqState *rs, CfHttpResult *res,
						  long *wait_ms, CfFailure *fail);
extern void cf_raise(CfFailure *fail);

#endif							/* CF_REQUEST_INT_H */
