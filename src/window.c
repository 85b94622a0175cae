/*-------------------------------------------------------------------------
 *
 * window.c
 *		  Time windows: the bounds a WHERE clause puts on a time column,
 *		  turned into the dates the API takes.
 *
 * The audit logs need since and before, the usage from and to, all of them
 * dates (the document types them so; a date means midnight UTC).  The
 * bounds come from the clauses on the window's column (>=, >, <, <=, =,
 * BETWEEN), the tightest of each side; they are widened to whole UTC days,
 * so the API returns a superset, and every clause stays a local recheck.
 *
 *		since  = the day of the lower bound
 *		before = the day after the upper bound (the day of a "<" bound that
 *				 falls on midnight); without an upper bound, the day after
 *				 today: nothing is logged in the future
 *		from   = the day of the lower bound
 *		to	   = the day of the upper bound, the last day it reads
 *				 (without an upper bound, today)
 *
 * A window longer than the API allows one request (max_days: 31 for the
 * usage, counting both ends) becomes consecutive windows, one request each.
 * The scan computes this at run time from the values; EXPLAIN computes it
 * from constants, with the same function.
 *
 * IDENTIFICATION
 *		  src/window.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "pushdown.h"
#include "datatype/timestamp.h"
#include "utils/datetime.h"

/* The first and last day (days since 2000-01-01) a date can be sent for. */
#define CF_FIRST_DAY	(-730119)	/* 0001-01-01 */
#define CF_LAST_DAY		2921939		/* 9999-12-31 */

/* The most windows EXPLAIN lists before it says how many more. */
#define CF_WINDOWS_SHOWN	6

void
cf_window_init(CfWindowBounds *b)
{
	memset(b, 0, sizeof(CfWindowBounds));
}

/*
 * cf_window_add
 *		Adds one bound (op CF_OP_LOWER or CF_OP_UPPER, bound CF_BOUND_*),
 *		keeping the tightest of each side.
 */
void
cf_window_add(CfWindowBounds *b, CfFilterOp op, int bound, TimestampTz t)
{
	if (op == CF_OP_LOWER)
	{
		bool		incl = bound != CF_BOUND_GT;

		if (!b->has_lower || t > b->lower || (t == b->lower && !incl))
		{
			b->lower = t;
			b->lower_incl = incl;
		}
		b->has_lower = true;
	}
	else
	{
		bool		incl = bound != CF_BOUND_LT;

		if (!b->has_upper || t < b->upper || (t == b->upper && !incl))
		{
			b->upper = t;
			b->upper_incl = incl;
		}
		b->has_upper = true;
	}
}

/* Days since 2000-01-01 of a time, rounded down (UTC). */
static int64
cf_day_of(TimestampTz t)
{
	int64		day = t / USECS_PER_DAY;

	if (t % USECS_PER_DAY < 0)
		day--;
	return day;
}

static char *
cf_day_text(int64 day)
{
	int			y,
				m,
				d;

	j2date((int) (day + POSTGRES_EPOCH_JDATE), &y, &m, &d);
	return psprintf("%04d-%02d-%02d", y, m, d);
}

/*
 * cf_window_fragments
 *		The query parameters ("&since=...&before=...") of each request the
 *		bounds need, in *fragments; NIL with CF_VALUE_SEND when nothing is
 *		sent (no bound: the API's default window).  NO_MATCH (with *why)
 *		when no time can satisfy the bounds.  With now_symbolic (EXPLAIN),
 *		a date that depends on today is written as words, not as a date
 *		that changes every day.  A lower bound that is missing where one is
 *		needed (required, or with an upper bound), or that is -infinity, is
 *		an ERROR here; the planner has already refused queries without any.
 */
CfValueVerdict
cf_window_fragments(const CfResource *res, const CfWindowBounds *b,
					TimestampTz now, bool now_symbolic, List **fragments,
					char **why)
{
	const CfWindowDef *w = res->window;
	bool		has_lower = b->has_lower && !TIMESTAMP_IS_NOBEGIN(b->lower);
	bool		has_upper = b->has_upper && !TIMESTAMP_IS_NOEND(b->upper);
	int64		first;
	int64		last;
	bool		last_is_today = false;

	*fragments = NIL;
	*why = NULL;

	if ((b->has_lower && TIMESTAMP_IS_NOEND(b->lower)) ||
		(b->has_upper && TIMESTAMP_IS_NOBEGIN(b->upper)) ||
		(has_lower && has_upper &&
		 (b->lower > b->upper ||
		  (b->lower == b->upper && !(b->lower_incl && b->upper_incl)))))
	{
		*why = psprintf("the bounds on %s leave no time", w->column);
		return CF_VALUE_NO_MATCH;
	}
	if (!has_lower)
	{
		const CfFilterDef *def = NULL;

		for (int i = 0; i < res->nfilters; i++)
			if (res->filters[i].op == CF_OP_LOWER)
				def = &res->filters[i];
		/* -infinity asks for all of time, which no window the API takes is */
		if ((def && (def->flags & CF_FLT_REQUIRED)) || has_upper || b->has_lower)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("the Cloudflare API needs a finite lower bound on %s",
							w->column),
					 errdetail("%s is sent as the date of the lower bound.",
							   w->lower_param),
					 errhint("Use a bound such as \"%s >= now() - interval '7 days'\".",
							 w->column)));
		return CF_VALUE_SEND;	/* the API's default window */
	}

	first = Max(cf_day_of(b->lower), CF_FIRST_DAY);
	if (has_upper)
	{
		last = cf_day_of(b->upper);
		/* a "< midnight" bound ends the day before */
		if (!b->upper_incl && b->upper % USECS_PER_DAY == 0)
			last--;
	}
	else
	{
		last = cf_day_of(now);
		last_is_today = true;
	}
	last = Min(last, CF_LAST_DAY - (w->upper_inclusive ? 0 : 1));
	if (last < first)
	{
		*why = last_is_today
			? psprintf("%s after today matches no row", w->column)
			: psprintf("the bounds on %s leave no day", w->column);
		/* a lower bound later than today: nothing has happened yet */
		return CF_VALUE_NO_MATCH;
	}

	/* one request, or consecutive windows of at most max_days days */
	for (int64 start = first; start <= last;)
	{
		int64		end = w->max_days > 0 ? Min(last, start + w->max_days - 1) : last;
		bool		end_today = last_is_today && end == last;
		char	   *upper;

		if (end_today && now_symbolic && w->max_days > 0)
		{
			*fragments = lappend(*fragments,
								 psprintf("&%s=%s&%s=<today (UTC)>, in windows of at most %d days",
										  w->lower_param, cf_day_text(start),
										  w->upper_param, w->max_days));
			break;
		}
		if (w->upper_inclusive)
			upper = end_today && now_symbolic ? "<today (UTC)>" : cf_day_text(end);
		else
			upper = end_today && now_symbolic ? "<the day after today (UTC)>"
				: cf_day_text(end + 1);
		*fragments = lappend(*fragments,
							 psprintf("&%s=%s&%s=%s", w->lower_param,
									  cf_day_text(start), w->upper_param, upper));
		start = end + 1;
	}
	return CF_VALUE_SEND;
}

/*
 * cf_window_describe
 *		EXPLAIN's line for the windows of a scan: NULL for one request,
 *		else how many and which.
 */
char *
cf_window_describe(const CfResource *res, List *fragments)
{
	StringInfoData buf;
	int			n = 0;
	ListCell   *lc;

	if (list_length(fragments) <= 1)
		return NULL;
	initStringInfo(&buf);
	appendStringInfo(&buf, "%d windows of at most %d days:",
					 list_length(fragments), res->window->max_days);
	foreach(lc, fragments)
	{
		if (n++ == CF_WINDOWS_SHOWN)
		{
			appendStringInfo(&buf, " ... (%d more)",
							 list_length(fragments) - CF_WINDOWS_SHOWN);
			break;
		}
		appendStringInfo(&buf, "%s %s", n > 1 ? "," : "",
						 (char *) lfirst(lc) + 1);
	}
	return buf.data;
}

/*
 * cf_window_day
 *		For EXPLAIN of a window whose other side is known only at run time:
 *		the date one side's constant bounds send, or what the scan sends
 *		when that side has none.
 */
char *
cf_window_day(const CfResource *res, const CfWindowBounds *b, CfFilterOp side)
{
	const CfWindowDef *w = res->window;
	int64		day;

	if (side == CF_OP_LOWER)
		return b->has_lower && !TIMESTAMP_NOT_FINITE(b->lower)
			? cf_day_text(Max(cf_day_of(b->lower), CF_FIRST_DAY)) : "<none>";
	if (!b->has_upper || TIMESTAMP_NOT_FINITE(b->upper))
		return w->upper_inclusive ? "<today (UTC)>" : "<the day after today (UTC)>";
	day = cf_day_of(b->upper);
	if (!b->upper_incl && b->upper % USECS_PER_DAY == 0)
		day--;
	return cf_day_text(Min(day + (w->upper_inclusive ? 0 : 1), CF_LAST_DAY));
}
