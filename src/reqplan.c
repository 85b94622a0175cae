/*-------------------------------------------------------------------------
 *
 * reqplan.c
 *		  The request plan of a scan and the shape of what it sends.
 *
 * The planner turns the filters it pushes (pushdown.c) into a plan once:
 * ordered slots, each saying what its value becomes (an id in the path, a
 * scope, query parameters, a pattern's literal, a bound of the time window)
 * and which of the scan's expressions gives it.  cf_request_shape then
 * works out, from the slots' values, everything a (re)scan sends: whether
 * any row can match, the object or lists to read, the query, a long IN
 * list's chunks, the time windows.  It is the only place that decides
 * these things: the scan builds its streams from the shape (scan.c),
 * EXPLAIN prints it (cf_shape_describe) and the estimates count it
 * (cloudflare_fdw.c, count.c).  At plan time the values are the constants,
 * and a value known only at run time is a label ("$1"), so EXPLAIN says
 * exactly what the scan will do with the constants it has.
 *
 * One difference is deliberate: the estimate (CF_SHAPE_ESTIMATE) counts the
 * requests the filters make even when a constant can match no row (and
 * notes no_match).  A path is costed by its structure; were a scan that
 * sends nothing costed at nothing, it would tie with a count(*) that sends
 * nothing either, and which of the two plans PostgreSQL keeps would depend
 * on add_path's order.  EXPLAIN shows no request and 0 estimated requests.
 *
 * IDENTIFICATION
 *		  src/reqplan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "reqplan.h"
#include "scan.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

static CfSlotKind cf_slot_kind(const CfFilterDef *def, int like);
static bool cf_shape_value(const CfReqPlan *plan, const CfSlot *slot,
						   CfSlotValue *v, CfRequestShape *shape,
						   List **kept, List **shown);
static void cf_shape_slot(const CfReqPlan *plan, const CfSlot *slot,
						  CfSlotValue *v, List *kept, CfRequestShape *shape);
static void cf_shape_window(const CfReqPlan *plan, const CfWindowBounds *wb,
							char *lower_label, char *upper_label,
							CfRequestShape *shape);
static char *cf_shape_condition(const CfFilterDef *def, const CfSlot *slot,
								const CfSlotValue *v, List *raw);
static int	cf_cmp_cstring(const ListCell *a, const ListCell *b);

/*
 * cf_slot_kind
 *		What a filter's value becomes in a request; the order of the tests
 *		is the order of precedence.
 */
static CfSlotKind
cf_slot_kind(const CfFilterDef *def, int like)
{
	if (def->op == CF_OP_LOWER || def->op == CF_OP_UPPER)
		return CF_SLOT_WINDOW;
	if (def->flags & CF_FLT_LOOKUP)
		return CF_SLOT_LOOKUP;
	if (def->flags & CF_FLT_PATH_ID)
		return CF_SLOT_PATH_ID;
	if (def->flags & CF_FLT_PATH)
		return CF_SLOT_SCOPE;
	if (def->op == CF_OP_IS_NULL)
		return CF_SLOT_NULL;
	if (like != CF_LIKE_NONE)
		return CF_SLOT_PATTERN;
	return CF_SLOT_QUERY;
}

/* A plan of nslots slots, to be filled in. */
static CfReqPlan *
cf_reqplan_new(const CfResource *res, int nslots, int page_size,
			   int org_page_size, int order, bool desc)
{
	CfReqPlan  *plan = palloc0(sizeof(CfReqPlan));

	plan->res = res;
	plan->nslots = nslots;
	plan->slots = palloc0(sizeof(CfSlot) * Max(nslots, 1));
	plan->page_size = page_size;
	plan->org_page_size = org_page_size;
	plan->order = order;
	plan->order_desc = desc;
	return plan;
}

/*
 * cf_reqplan_make
 *		The plan of the filters pushed (CfPushedFilter *), in their order;
 *		each value expression is appended to *exprs, which becomes the
 *		scan's fdw_exprs.
 */
CfReqPlan *
cf_reqplan_make(const CfResource *res, List *pushed, int page_size,
				int org_page_size, int order, bool desc, List **exprs)
{
	CfReqPlan  *plan = cf_reqplan_new(res, list_length(pushed), page_size,
									  org_page_size, order, desc);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, pushed)
	{
		CfPushedFilter *f = (CfPushedFilter *) lfirst(lc);
		CfSlot	   *slot = &plan->slots[i++];

		slot->kind = cf_slot_kind(&res->filters[f->filter], f->like);
		slot->filter = f->filter;
		slot->like = f->like;
		slot->bound = f->bound;
		slot->expr = -1;
		if (f->value != NULL)
		{
			*exprs = lappend(*exprs, f->value);
			slot->expr = list_length(*exprs) - 1;
		}
	}
	return plan;
}

/* The slots as fdw_private keeps them: one IntList each (CfSlotField). */
List *
cf_reqplan_slots_list(const CfReqPlan *plan)
{
	List	   *slots = NIL;

	for (int i = 0; i < plan->nslots; i++)
	{
		const CfSlot *s = &plan->slots[i];

		slots = lappend(slots, list_make5_int(s->kind, s->filter, s->expr,
											  s->like, s->bound));
	}
	return slots;
}

/* The plan back from fdw_private. */
CfReqPlan *
cf_reqplan_read(const CfResource *res, List *slots, int page_size,
				int org_page_size, int order, bool desc)
{
	CfReqPlan  *plan = cf_reqplan_new(res, list_length(slots), page_size,
									  org_page_size, order, desc);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, slots)
	{
		List	   *l = (List *) lfirst(lc);
		CfSlot	   *s = &plan->slots[i++];

		s->kind = (CfSlotKind) list_nth_int(l, CfSlotFieldKind);
		s->filter = list_nth_int(l, CfSlotFieldFilter);
		s->expr = list_nth_int(l, CfSlotFieldExpr);
		s->like = list_nth_int(l, CfSlotFieldLike);
		s->bound = list_nth_int(l, CfSlotFieldBound);
	}
	return plan;
}

/*
 * cf_slot_set
 *		A slot's value from a datum: a window's time (and, when shown by
 *		EXPLAIN, its text), or the text of the value (of each non-NULL
 *		element of a list) and its UTF-8 form.
 */
void
cf_slot_set(CfSlotValue *v, const CfResource *res, const CfSlot *slot,
			Datum value, bool isnull, Oid type, bool shown)
{
	const CfFilterDef *def = &res->filters[slot->filter];
	ListCell   *lc;

	v->known = true;
	v->isnull = isnull;
	v->raw = NIL;
	v->texts = NIL;
	if (isnull)
		return;
	if (slot->kind == CF_SLOT_WINDOW)
	{
		Assert(type == TIMESTAMPTZOID);
		v->time = DatumGetTimestampTz(value);
		if (!shown)
			return;				/* its text is only EXPLAIN's */
	}
	v->raw = cf_datum_values(value, type,
							 def->op == CF_OP_IN || def->op == CF_OP_NOT_IN);
	foreach(lc, v->raw)
		v->texts = lappend(v->texts, cf_utf8(lfirst(lc)));
}

/*
 * cf_reqplan_plan_values
 *		The slots' values at plan time: a constant is known, anything else
 *		is "$n", n counting the scan's expressions.
 */
CfSlotValue *
cf_reqplan_plan_values(const CfReqPlan *plan, List *exprs)
{
	CfSlotValue *values = palloc0(sizeof(CfSlotValue) * Max(plan->nslots, 1));

	for (int i = 0; i < plan->nslots; i++)
	{
		const CfSlot *slot = &plan->slots[i];
		CfSlotValue *v = &values[i];
		Expr	   *e = slot->expr >= 0 ? list_nth(exprs, slot->expr) : NULL;

		v->known = true;
		if (e == NULL)
			continue;
		v->label = psprintf("$%d", slot->expr + 1);
		if (IsA(e, Const))
			cf_slot_set(v, plan->res, slot, ((Const *) e)->constvalue,
						((Const *) e)->constisnull, ((Const *) e)->consttype,
						true);
		else
			v->known = false;
	}
	return values;
}

/*
 * cf_request_shape
 *		What a (re)scan with these slot values sends (see the file's
 *		header).  A value that can match no row (NULL, an empty list, what
 *		cf_judge_values refuses, bounds that leave no time) sets no_match
 *		and nothing is sent; a value the API would read as no filter is not
 *		sent, and the local recheck answers it.  With eval, each value is
 *		evaluated when its slot's turn comes, so none is evaluated after
 *		one that can match no row (an InitPlan behind it never runs, an
 *		input that would not convert raises no error), as the scan always
 *		did.
 */
void
cf_request_shape(const CfReqPlan *plan, CfSlotValue *values, CfSlotEval eval,
				 void *arg, CfShapeUse use, CfRequestShape *shape)
{
	const CfResource *res = plan->res;
	CfWindowBounds wb;
	char	   *lower_label = NULL;
	char	   *upper_label = NULL;
	bool		scoped = false;

	memset(shape, 0, sizeof(CfRequestShape));
	shape->use = use;
	shape->scopes_known = true;
	shape->nwindows = 1.0;
	initStringInfo(&shape->query);
	initStringInfo(&shape->conditions);
	cf_window_init(&wb);

	for (int i = 0;
		 i < plan->nslots && (shape->no_match == NULL || use == CF_SHAPE_ESTIMATE);
		 i++)
	{
		const CfSlot *slot = &plan->slots[i];
		const CfFilterDef *def = &res->filters[slot->filter];
		CfSlotValue *v = &values[i];
		List	   *kept = NIL;
		List	   *shown = NIL;

		if (eval)
			eval(i, v, arg);
		if (slot->kind == CF_SLOT_WINDOW)
		{
			/* a window's bound: the dates are worked out after the loop */
			if (v->known && v->isnull)
			{
				shape->no_match = psprintf("%s compared with NULL matches no row",
										   def->column);
				continue;
			}
			if (v->known)
				cf_window_add(&wb, def->op, slot->bound, v->time);
			else if (def->op == CF_OP_LOWER && lower_label == NULL)
				lower_label = v->label;
			else if (def->op == CF_OP_UPPER && upper_label == NULL)
				upper_label = v->label;
			/* "=" is both bounds: said once */
			if (use == CF_SHAPE_EXPLAIN &&
				!(def->op == CF_OP_UPPER && slot->bound == CF_BOUND_EQ))
				appendStringInfo(&shape->conditions, "%s%s",
								 shape->conditions.len ? " AND " : "",
								 cf_shape_condition(def, slot, v, v->raw));
			continue;
		}

		if (!cf_shape_value(plan, slot, v, shape, &kept, &shown))
			continue;
		if (use == CF_SHAPE_EXPLAIN)
			appendStringInfo(&shape->conditions, "%s%s",
							 shape->conditions.len ? " AND " : "",
							 cf_shape_condition(def, slot, v, shown));
		if (slot->kind == CF_SLOT_SCOPE)
			scoped = true;
		cf_shape_slot(plan, slot, v, kept, shape);
	}

	if ((shape->no_match == NULL || use == CF_SHAPE_ESTIMATE) && res->window)
		cf_shape_window(plan, &wb, lower_label, upper_label, shape);

	if (shape->lookup)
		shape->reach = CF_REACH_LOOKUP;
	else if (res->scope_column == NULL)
		shape->reach = CF_REACH_LIST;
	else if (scoped)
		shape->reach = CF_REACH_SCOPES;
	else if (res->embedded_field)
		shape->reach = CF_REACH_EMBEDDED;
	else
		shape->reach = CF_REACH_FANOUT;
}

/*
 * cf_shape_value
 *		Judges a known value as the API will read it: false when it is not
 *		sent (or can match nothing: shape->no_match).  *kept gets the
 *		values to send (UTF-8, or EXPLAIN's labels), *shown the values
 *		EXPLAIN VERBOSE lists.  A pattern is judged by the literal it
 *		sends (cf_shape_slot); a value known only at run time is sent.
 */
static bool
cf_shape_value(const CfReqPlan *plan, const CfSlot *slot, CfSlotValue *v,
			   CfRequestShape *shape, List **kept, List **shown)
{
	const CfResource *res = plan->res;
	const CfFilterDef *def = &res->filters[slot->filter];
	char	   *why = NULL;
	CfValueVerdict verdict;

	*kept = NIL;
	*shown = v->raw;
	if (slot->expr < 0)
		return true;			/* IS NULL: nothing to judge */
	if (!v->known)
	{
		*kept = list_make1(v->label);
		return true;
	}
	if (slot->kind == CF_SLOT_PATTERN && v->texts != NIL)
	{
		int			fidx;
		char	   *literal;
		List	   *lit;

		/* sent as its longest safe literal, if it has one */
		if (!cf_like_filter(res, slot->filter, linitial(v->texts), slot->like,
							&fidx, &literal))
			return false;
		verdict = cf_judge_values(res, &res->filters[fidx],
								  list_make1(literal), &lit, &why);
		*kept = v->texts;
	}
	else
		verdict = cf_judge_values(res, def, v->texts, kept, &why);
	if (verdict == CF_VALUE_NO_MATCH)
	{
		if (shape->no_match == NULL)
			shape->no_match = why;
		/*
		 * The estimate counts the requests the filters make (see the
		 * header): the object or the organizations they name.
		 */
		if (shape->use != CF_SHAPE_ESTIMATE ||
			(slot->kind != CF_SLOT_SCOPE && slot->kind != CF_SLOT_LOOKUP))
			return false;
		/* a list of NULLs still names an organization or an object */
		*kept = v->texts ? v->texts : list_make1(pstrdup(""));
		return true;
	}
	if (verdict == CF_VALUE_SKIP)
		return false;
	if (slot->kind != CF_SLOT_PATTERN)
		*shown = *kept;
	return true;
}

/*
 * cf_shape_slot
 *		What a slot whose value is sent adds to the request.  Its kept
 *		values are UTF-8 text when running, labels or escaped text at
 *		plan time.
 */
static void
cf_shape_slot(const CfReqPlan *plan, const CfSlot *slot, CfSlotValue *v,
			  List *kept, CfRequestShape *shape)
{
	const CfResource *res = plan->res;
	const CfFilterDef *def = &res->filters[slot->filter];
	bool		run = shape->use == CF_SHAPE_RUN;
	bool		label = !v->known;
	ListCell   *vc;

	switch (slot->kind)
	{
		case CF_SLOT_LOOKUP:
			shape->lookup = label || run ? linitial(kept)
				: cf_url_escape(linitial(kept));
			break;
		case CF_SLOT_PATH_ID:
			/* the path takes a UUID's dashed form */
			shape->path_id = label ? linitial(kept)
				: (def->flags & CF_FLT_UUID) ? cf_uuid_dashed(linitial(kept))
				: linitial(kept);
			if (!run && !label)
				shape->path_id = cf_url_escape(shape->path_id);
			break;
		case CF_SLOT_SCOPE:
			if (label && def->op == CF_OP_IN)
				shape->scopes_known = false;
			foreach(vc, kept)
			{
				char	   *s = run || label ? lfirst(vc) : cf_url_escape(lfirst(vc));

				if (!list_member(shape->scopes, makeString(s)))
					shape->scopes = lappend(shape->scopes, makeString(s));
			}
			break;
		case CF_SLOT_NULL:
			cf_append_param(&shape->query, def->param, def->null_value, false);
			break;
		case CF_SLOT_PATTERN:
			{
				int			fidx;
				char	   *literal;

				if (label)
					appendStringInfo(&shape->query, "&<%s %s>", def->column,
									 slot->like == CF_LIKE_ICASE ? "ILIKE" : "LIKE");
				/* judged by cf_shape_value: its literal is sent */
				else if (cf_like_filter(res, slot->filter, linitial(kept),
										slot->like, &fidx, &literal))
					cf_append_param(&shape->query, res->filters[fidx].param,
									literal, true);
			}
			break;
		case CF_SLOT_QUERY:
			if (def->op == CF_OP_IN && !label && res->scope_column == NULL &&
				shape->split_def == NULL && plan->order < 0 &&
				list_length(kept) > CF_IN_CHUNK)
			{
				/*
				 * Sent in chunks.  Each value goes into one chunk only
				 * (sorted, duplicates dropped), so no row comes back twice.
				 */
				List	   *sorted = list_copy(kept);

				shape->split_def = def;
				list_sort(sorted, cf_cmp_cstring);
				foreach(vc, sorted)
					if (shape->split == NIL ||
						strcmp(llast(shape->split), lfirst(vc)) != 0)
						shape->split = lappend(shape->split, lfirst(vc));
				kept = shape->split;
				if (!run)
					appendStringInfo(&shape->query,
									 "&%s=<%d values, up to %d per request>",
									 def->param, list_length(shape->split),
									 CF_IN_CHUNK);
				break;
			}
			if ((def->op == CF_OP_IN || def->op == CF_OP_NOT_IN) && !label &&
				list_length(kept) > CF_IN_CHUNK)
			{
				/* too long for one URL: checked locally */
				if (!run)
					appendStringInfo(&shape->query,
									 "&<%s: %d values, more than one request takes: checked locally>",
									 def->param, list_length(kept));
				return;
			}
			foreach(vc, kept)
				cf_append_param(&shape->query, def->param, lfirst(vc),
								!label);
			break;
		case CF_SLOT_WINDOW:
			Assert(false);
			break;
	}

	/* a filter-only column echoes the value it was filtered on */
	if (run && kept != NIL)
	{
		CfEcho	   *echo = palloc(sizeof(CfEcho));

		echo->column = def->column;
		echo->value = linitial(kept);
		shape->echo = lappend(shape->echo, echo);
	}
}

/*
 * cf_shape_window
 *		The window's requests from its bounds: per-request query fragments
 *		(of at most max_days days each), or the API's default window.  At
 *		plan time a bound known only at run time is shown as its label;
 *		the estimate counts CF_DEFAULT_WINDOWS requests for it.
 */
static void
cf_shape_window(const CfReqPlan *plan, const CfWindowBounds *wb,
				char *lower_label, char *upper_label, CfRequestShape *shape)
{
	const CfResource *res = plan->res;
	const CfWindowDef *w = res->window;
	char	   *why;

	if (lower_label != NULL || upper_label != NULL)
	{
		char	   *lower = lower_label ? lower_label
			: cf_window_day(res, wb, CF_OP_LOWER);
		char	   *upper = upper_label ? upper_label
			: cf_window_day(res, wb, CF_OP_UPPER);

		Assert(shape->use != CF_SHAPE_RUN);
		if (w->max_days > 0)
		{
			shape->window_note = psprintf("windows of at most %d days, from the values",
										  w->max_days);
			shape->nwindows = CF_DEFAULT_WINDOWS;
		}
		shape->window_query = psprintf("&%s=%s&%s=%s", w->lower_param, lower,
									   w->upper_param, upper);
		return;
	}

	/* the estimate never fails: a missing lower bound is the planner's */
	if (shape->use == CF_SHAPE_ESTIMATE &&
		(!wb->has_lower || TIMESTAMP_NOT_FINITE(wb->lower)))
		return;
	if (cf_window_fragments(res, wb, GetCurrentStatementStartTimestamp(),
							shape->use == CF_SHAPE_EXPLAIN, &shape->windows,
							&why) == CF_VALUE_NO_MATCH)
	{
		if (shape->no_match == NULL)
			shape->no_match = why;
		return;
	}
	if (shape->windows == NIL)
	{
		if (w->default_text)
			shape->window_note = psprintf("the API's default window: %s",
										  w->default_text);
		return;
	}
	shape->nwindows = w->max_days > 0 ? list_length(shape->windows) : 1.0;
	if (shape->use != CF_SHAPE_RUN)
	{
		shape->window_note = cf_window_describe(res, shape->windows);
		shape->window_query = linitial(shape->windows);
	}
}

/*
 * cf_shape_describe
 *		EXPLAIN's account of a shape: the request ("GET /path?filters&
 *		paging", or "no request: why"), how it fans out over organizations,
 *		the conditions sent, and how the time window is sent.
 */
void
cf_shape_describe(const CfReqPlan *plan, CfRequestShape *shape,
				  char **request, char **fanout, char **conditions,
				  char **windows)
{
	const CfResource *res = plan->res;
	const CfResource *orgs = cf_fanout_resource(res);
	StringInfoData query;
	StringInfoData fan;
	const char *scope = NULL;
	const char *path;

	*fanout = "";
	*conditions = "";
	*windows = "";
	if (shape->no_match)
	{
		*request = psprintf("no request: %s", shape->no_match);
		return;
	}
	*conditions = shape->conditions.data;
	*windows = shape->window_note ? shape->window_note : "";

	initStringInfo(&query);
	initStringInfo(&fan);
	appendStringInfoString(&query, shape->query.data);
	if (shape->reach == CF_REACH_SCOPES || shape->reach == CF_REACH_LOOKUP)
	{
		const CfFilterDef *def = NULL;

		for (int i = 0; i < plan->nslots; i++)
			if (plan->slots[i].kind == CF_SLOT_SCOPE)
				def = &res->filters[plan->slots[i].filter];
		if (def && def->op == CF_OP_EQ)
			scope = shape->scopes ? strVal(linitial(shape->scopes)) : "NULL";
		else if (def)
		{
			ListCell   *vc;

			appendStringInfoString(&fan, "for each organization_id in (");
			foreach(vc, shape->scopes)
				appendStringInfo(&fan, "%s%s",
								 vc == list_head(shape->scopes) ? "" : ", ",
								 strVal(lfirst(vc)));
			appendStringInfoChar(&fan, ')');
		}
	}

	if (shape->reach == CF_REACH_LOOKUP)
		path = cf_fill_path_label(res->item_path, scope, shape->lookup);
	else
	{
		path = cf_fill_path_label(res->list_path, scope, shape->path_id);
		if (plan->order >= 0)
			cf_append_order(&query, &res->orders[plan->order], plan->order_desc);
		if (shape->window_query)
			appendStringInfoString(&query, shape->window_query);
		if (cf_paging_sized(res))
			appendStringInfo(&query, "&%s=%d", res->page_param, plan->page_size);
	}

	if (shape->reach == CF_REACH_EMBEDDED)
	{
		/* the rows come embedded in the organizations list */
		path = orgs->list_path;
		resetStringInfo(&query);
		appendStringInfo(&query, "&%s=%d", orgs->page_param, plan->org_page_size);
		appendStringInfo(&fan, "the \"%s\" of each organization",
						 res->embedded_field);
	}
	else if (shape->reach == CF_REACH_FANOUT)
		appendStringInfo(&fan, "for each organization listed by GET %s?%s=%d",
						 orgs->list_path, orgs->page_param, plan->org_page_size);

	*request = psprintf("GET %s%s%s", path, query.len ? "?" : "",
						query.len ? query.data + 1 : "");
	*fanout = fan.data;
}

/*
 * cf_reqplan_shape_pushed
 *		At plan time: the plan of these pushed filters and the shape of
 *		what it sends with the constants it has.
 */
CfReqPlan *
cf_reqplan_shape_pushed(const CfResource *res, List *pushed, int page_size,
						int org_page_size, int order, bool desc,
						CfShapeUse use, CfRequestShape *shape)
{
	List	   *exprs = NIL;
	CfReqPlan  *plan = cf_reqplan_make(res, pushed, page_size, org_page_size,
									   order, desc, &exprs);

	cf_request_shape(plan, cf_reqplan_plan_values(plan, exprs), NULL, NULL,
					 use, shape);
	return plan;
}

/* The organizations a shape's lists are read for (1 for no scope). */
double
cf_shape_scopes(const CfRequestShape *shape)
{
	if (shape->reach != CF_REACH_SCOPES &&
		!(shape->reach == CF_REACH_LOOKUP && shape->scopes != NIL))
		return 1.0;
	if (!shape->scopes_known)
		return CF_DEFAULT_IN_LIST;
	return Max(list_length(shape->scopes), 1);
}

/* The lists a long IN list is read in (1 for none). */
double
cf_shape_chunks(const CfRequestShape *shape)
{
	if (shape->split == NIL)
		return 1.0;
	return (list_length(shape->split) + CF_IN_CHUNK - 1) / CF_IN_CHUNK;
}

/*
 * cf_shape_condition
 *		A condition sent, as EXPLAIN VERBOSE shows it: the resource column,
 *		the operator and the constant (or $n, as in the request).
 */
static char *
cf_shape_condition(const CfFilterDef *def, const CfSlot *slot,
				   const CfSlotValue *v, List *raw)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		constant = slot->expr >= 0 && v->known;
	const char *label = v->label;

	initStringInfo(&buf);
	appendStringInfoString(&buf, quote_identifier(def->column));
	if (def->op == CF_OP_LOWER || def->op == CF_OP_UPPER)
	{
		static const char *const ops[] = {"?", ">", ">=", "<", "<=", "="};

		appendStringInfo(&buf, " %s %s", ops[slot->bound],
						 constant ? quote_literal_cstr(linitial(raw)) : label);
	}
	else if (def->op == CF_OP_NE)
		appendStringInfo(&buf, " <> %s",
						 constant ? quote_literal_cstr(linitial(raw)) : label);
	else if (def->op == CF_OP_NOT_IN && !constant)
		appendStringInfo(&buf, " <> ALL (%s)", label);
	else if (def->op == CF_OP_NOT_IN)
	{
		appendStringInfoString(&buf, " NOT IN (");
		foreach(lc, raw)
			appendStringInfo(&buf, "%s%s", lc == list_head(raw) ? "" : ", ",
							 quote_literal_cstr(lfirst(lc)));
		appendStringInfoChar(&buf, ')');
	}
	else if (def->op == CF_OP_IS_NULL)
		appendStringInfoString(&buf, " IS NULL");
	else if (slot->like != CF_LIKE_NONE)
		appendStringInfo(&buf, " %s %s",
						 slot->like == CF_LIKE_ICASE ? "ILIKE" : "LIKE",
						 constant ? quote_literal_cstr(linitial(raw)) : label);
	else if (def->op == CF_OP_IN && !constant)
		appendStringInfo(&buf, " = ANY (%s)", label);
	else if (def->op == CF_OP_IN && list_length(raw) > 10)
		appendStringInfo(&buf, " IN (%d values)", list_length(raw));
	else if (def->op == CF_OP_IN)
	{
		appendStringInfoString(&buf, " IN (");
		foreach(lc, raw)
			appendStringInfo(&buf, "%s%s", lc == list_head(raw) ? "" : ", ",
							 quote_literal_cstr(lfirst(lc)));
		appendStringInfoChar(&buf, ')');
	}
	else
		appendStringInfo(&buf, " = %s",
						 constant ? quote_literal_cstr(linitial(raw)) : label);
	return buf.data;
}

/*
 * cf_append_param
 *		Appends "&name=value"; the caller drops the first '&'.  Values
 *		from SQL are percent-encoded, so no value can add a parameter or
 *		reach another endpoint.
 */
void
cf_append_param(StringInfo buf, const char *name, const char *value,
				bool escape)
{
	appendStringInfo(buf, "&%s=%s", name, escape ? cf_url_escape(value) : value);
}

/*
 * cf_append_order
 *		Appends the parameters that ask for an order: "&order=name&direction=
 *		asc", or the direction alone where the API has one order.
 */
void
cf_append_order(StringInfo buf, const CfOrderDef *order, bool desc)
{
	if (order->param)
		cf_append_param(buf, order->param, order->value, false);
	cf_append_param(buf, order->direction_param, desc ? "desc" : "asc", false);
}

/*
 * cf_datum_values
 *		The text values of a scalar or of each non-NULL array element.
 */
List *
cf_datum_values(Datum value, Oid type, bool is_array)
{
	List	   *result = NIL;
	Oid			outfunc;
	bool		isvarlena;

	if (!is_array)
	{
		/* a time goes out as the API writes one: RFC 3339, in UTC */
		if (type == TIMESTAMPTZOID)
			return list_make1(cf_timestamptz_rfc3339(DatumGetTimestampTz(value)));
		getTypeOutputInfo(type, &outfunc, &isvarlena);
		return list_make1(OidOutputFunctionCall(outfunc, value));
	}
	else
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = cf_array_elements(value, &elemtype, &elems, &nulls);

		getTypeOutputInfo(elemtype, &outfunc, &isvarlena);
		for (int i = 0; i < n; i++)
		{
			if (!nulls[i])
				result = lappend(result, OidOutputFunctionCall(outfunc, elems[i]));
		}
	}
	return result;
}


static int
cf_cmp_cstring(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}
