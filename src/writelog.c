/*-------------------------------------------------------------------------
 *
 * writelog.c
 *		  The API writes of the current transaction, and the WARNING that
 *		  says which of them an abort did not undo.
 *
 * A create, modify or delete call cannot be rolled back: Cloudflare has
 * made the change when the call returns.  writecall.c notes each write here
 * (cf_writelog_note) with the subtransaction nesting level it was made at.
 * When a transaction or subtransaction aborts, the writes made inside it
 * are listed in one WARNING (the first CF_WRITELOG_SHOWN, then a count), so
 * that BEGIN ... ROLLBACK never loses a change without a word.  A failing
 * statement already lists its own writes in its error's DETAIL
 * (cf_writelog_mark_reported); the abort of a transaction does not repeat
 * them, that of a subtransaction does (an exception handler may have
 * swallowed the error).  A write that was sent but got no readable answer
 * is listed as one that "may have been" made
 * (cf_writelog_note_possible).  A commit forgets
 * everything; a subtransaction commit hands its writes to its parent.
 *
 * The entries live in TopMemoryContext, so they survive the memory reset of
 * an abort until the callback has read them.
 *
 * IDENTIFICATION
 *		  src/writelog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "cloudflare_fdw.h"
#include "request.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"

#define CF_WRITELOG_SHOWN	5		/* writes named in the WARNING */
#define CF_WRITELOG_KEPT	1000	/* writes whose text is kept */

typedef struct CfWrite
{
	int			level;			/* GetCurrentTransactionNestLevel() */
	bool		reported;		/* named in a statement's error */
	bool		possible;		/* sent, but whether it was made is unknown */
	char	   *text;			/* "created organization 83sw...", or NULL */
} CfWrite;

static CfWrite *cf_writes = NULL;
static int	cf_nwrites = 0;
static int	cf_maxwrites = 0;
static bool cf_callbacks_registered = false;

static void cf_writelog_add(char *text, bool possible);
static void cf_writelog_xact(XactEvent event, void *arg);
static void cf_writelog_subxact(SubXactEvent event, SubTransactionId mySubid,
								SubTransactionId parentSubid, void *arg);

static void
cf_writelog_forget(void)
{
	for (int i = 0; i < cf_nwrites; i++)
	{
		if (cf_writes[i].text)
			pfree(cf_writes[i].text);
	}
	cf_nwrites = 0;
}

/*
 * cf_writelog_note
 *		Notes one write the API has made: verb ("created"), the resource,
 *		and what identifies the object (its id, or the organization of a
 *		profile), or NULL when the answer named none.
 */
void
cf_writelog_note(const char *verb, const CfResource *res, const char *what)
{
	cf_writelog_add(psprintf("%s %s%s%s", verb, res->item_name,
							 what ? " " : "", what ? what : ""),
					false);
}

/*
 * cf_writelog_note_possible
 *		Notes a write that was sent and got no readable answer: what ("the
 *		organization where name = 'Acme'") may have been verb ("created").
 *		The error of its statement names it, so the WARNING at the abort
 *		of the transaction does not repeat it.
 */
void
cf_writelog_note_possible(const char *verb, const char *what)
{
	cf_writelog_add(psprintf("%s may have been %s", what, verb), true);
	cf_writes[cf_nwrites - 1].reported = true;
}

/* Appends one write; text is palloc'd by the caller, in any context. */
static void
cf_writelog_add(char *text, bool possible)
{
	MemoryContext old;

	if (!cf_callbacks_registered)
	{
		RegisterXactCallback(cf_writelog_xact, NULL);
		RegisterSubXactCallback(cf_writelog_subxact, NULL);
		cf_callbacks_registered = true;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (cf_nwrites == cf_maxwrites)
	{
		cf_maxwrites = Max(16, cf_maxwrites * 2);
		cf_writes = cf_writes == NULL
			? palloc(sizeof(CfWrite) * cf_maxwrites)
			: repalloc(cf_writes, sizeof(CfWrite) * cf_maxwrites);
	}
	cf_writes[cf_nwrites].level = GetCurrentTransactionNestLevel();
	cf_writes[cf_nwrites].reported = false;
	cf_writes[cf_nwrites].possible = possible;
	cf_writes[cf_nwrites].text = cf_nwrites < CF_WRITELOG_KEPT
		? pstrdup(text) : NULL;
	cf_nwrites++;
	MemoryContextSwitchTo(old);
	pfree(text);
}

/*
 * cf_writelog_mark_reported
 *		The last n writes were named in the DETAIL of the error that ends
 *		their statement: the WARNING at abort does not repeat them.
 */
void
cf_writelog_mark_reported(int64 n)
{
	for (int i = cf_nwrites - 1; i >= 0 && n > 0; i--)
	{
		if (cf_writes[i].possible)
			continue;			/* noted as reported already */
		cf_writes[i].reported = true;
		n--;
	}
}

/*
 * cf_writelog_warn
 *		The WARNING for the unreported writes at nesting level min_level or
 *		deeper, which are then forgotten.
 */
static void
cf_writelog_warn(int min_level, bool sub)
{
	StringInfoData buf;
	int			count = 0;
	int			possible = 0;
	int			kept = 0;

	initStringInfo(&buf);
	for (int i = 0; i < cf_nwrites; i++)
	{
		CfWrite    *w = &cf_writes[i];

		/* a top-level error showed its statement's writes to the client */
		if (w->level < min_level || (w->reported && !sub))
			continue;
		if (count < CF_WRITELOG_SHOWN && w->text)
			appendStringInfo(&buf, "%s%s", count ? "; " : "", w->text);
		count++;
		if (w->possible)
			possible++;
	}
	if (count > CF_WRITELOG_SHOWN)
		appendStringInfo(&buf, "; and %d more", count - CF_WRITELOG_SHOWN);

	/* forget what the abort ends, keep the rest in order */
	for (int i = 0; i < cf_nwrites; i++)
	{
		if (cf_writes[i].level >= min_level)
		{
			if (cf_writes[i].text)
				pfree(cf_writes[i].text);
		}
		else
			cf_writes[kept++] = cf_writes[i];
	}
	cf_nwrites = kept;

	if (possible > 0 && possible == count)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s rolled back, but %d change%s sent to Cloudflare may have been made there",
						sub ? "subtransaction" : "transaction", count,
						count == 1 ? "" : "s"),
				 errdetail("%s.", buf.data),
				 errhint("The Cloudflare API has no transactions: a create, modify or delete call is final when it returns.")));
	else if (possible > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s rolled back, but %d change%s made in Cloudflare stay%s, and %d more may have been made",
						sub ? "subtransaction" : "transaction", count - possible,
						count - possible == 1 ? "" : "s",
						count - possible == 1 ? "s" : "", possible),
				 errdetail("%s.", buf.data),
				 errhint("The Cloudflare API has no transactions: a create, modify or delete call is final when it returns.")));
	else if (count > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s rolled back, but %d change%s made in Cloudflare stay%s",
						sub ? "subtransaction" : "transaction", count,
						count == 1 ? "" : "s", count == 1 ? "s" : ""),
				 errdetail("%s.", buf.data),
				 errhint("The Cloudflare API has no transactions: a create, modify or delete call is final when it returns.")));
	pfree(buf.data);
}

static void
cf_writelog_xact(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (cf_nwrites > 0)
				cf_writelog_warn(0, false);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			cf_writelog_forget();
			break;
		default:
			break;
	}
}

static void
cf_writelog_subxact(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	int			level;

	if (cf_nwrites == 0)
		return;
	level = GetCurrentTransactionNestLevel();
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cf_writelog_warn(level, true);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (int i = 0; i < cf_nwrites; i++)
		{
			if (cf_writes[i].level >= level)
				cf_writes[i].level = level - 1;
		}
	}
}
