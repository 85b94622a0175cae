/*-------------------------------------------------------------------------
 *
 * resources.h
 *		  The resource catalog: every Cloudflare resource as data (resources.c).
 *
 * IDENTIFICATION
 *		  src/resources.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_RESOURCES_H
#define CF_RESOURCES_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

/* ----------------------------------------------------------------------
 * resources.c: the static description of every Cloudflare resource.
 *
 * Resources are data: the planner, the executor and IMPORT FOREIGN SCHEMA
 * read these tables and contain no per-resource branches of their own.
 * ----------------------------------------------------------------------
 */

typedef enum CfResourceId
{
	CF_RES_ORGANIZATIONS,
	CF_RES_ORGANIZATION_ACCOUNTS,
	CF_RES_ORGANIZATION_PROFILES,
	CF_RES_ORGANIZATION_MEMBERS,
	CF_RES_MEMBERSHIPS,
	CF_RES_ORGANIZATION_AUDIT_LOGS,
	CF_RES_ORGANIZATION_AUDIT_LOG_HISTORY,
	CF_RES_ORGANIZATION_USAGE,
	CF_RES_ORGANIZATION_SHARES,
	CF_RES_COUNT
} CfResourceId;

/* How a list endpoint pages through its results. */
/* The query parameters that name the next page of a list. */
#define CF_TOKEN_PARAM		"page_token"	/* CF_PAGING_TOKEN */
#define CF_CURSOR_PARAM		"cursor"		/* CF_PAGING_CURSOR */
#define CF_PAGE_PARAM		"page"			/* CF_PAGING_PAGE */

typedef enum CfPaging
{
	CF_PAGING_TOKEN,			/* page_size + page_token/next_page_token */
	CF_PAGING_PAGE,				/* page + per_page (memberships) */
	CF_PAGING_CURSOR,			/* limit + cursor/result_info.cursor */
	CF_PAGING_ONCE,				/* the whole list in one answer */
	CF_PAGING_NONE				/* single object (a profile) */
} CfPaging;

/* Column flags. */
#define CF_COL_READONLY		0x01	/* set by the API, never written */
#define CF_COL_FILTER_ONLY	0x02	/* not in the JSON: echoes its filter */
#define CF_COL_SCOPE		0x04	/* from the request path (organization_id) */
#define CF_COL_ID			0x08	/* row identity for UPDATE/DELETE */
#define CF_COL_INSERT		0x10	/* accepted by the create call */
#define CF_COL_UPDATE		0x20	/* accepted by the modify call */
#define CF_COL_REQUIRED		0x40	/* the create call requires it */

/*
 * The JSON type Cloudflare's document gives a column's field.  It follows
 * from the column's sql_type (text and times: string; boolean; integer,
 * bigint and numeric: number; arrays: array); a jsonb column says which
 * with one of these flags, or neither when the document allows several.
 */
#define CF_COL_DOC_OBJECT	0x80	/* jsonb holding a JSON object */
#define CF_COL_DOC_ARRAY	0x100	/* jsonb holding a JSON array */

/* A field of the page's result_info (json_path), the same for its rows. */
#define CF_COL_PAGE_INFO	0x200

/* JSON types, as the document declares them for a field. */
typedef enum CfDocType
{
	CF_DOC_ANY = 0,				/* not declared, or several allowed */
	CF_DOC_STRING,
	CF_DOC_NUMBER,
	CF_DOC_BOOLEAN,
	CF_DOC_OBJECT,
	CF_DOC_ARRAY
} CfDocType;

typedef struct CfColumnDef
{
	const char *name;			/* column name IMPORT uses */
	const char *json_path;		/* dotted path in the JSON object, or NULL */
	const char *sql_type;		/* type IMPORT uses */
	int			flags;

	/*
	 * Values the create and modify calls take, where they are fewer than
	 * the values the API reads back (NULL-terminated; NULL: any value).
	 */
	const char *const *insert_values;
	const char *const *update_values;
} CfColumnDef;

/* The SQL shapes a filter can take. */
typedef enum CfFilterOp
{
	CF_OP_EQ,					/* col = value */
	CF_OP_IN,					/* col = ANY(array) / col IN (...) */
	CF_OP_PREFIX,				/* col LIKE 'abc%' */
	CF_OP_SUFFIX,				/* col LIKE '%abc' */
	CF_OP_CONTAINS,				/* col LIKE '%abc%' */
	CF_OP_IS_NULL,				/* col IS NULL */
	CF_OP_NE,					/* col <> value: the param.not variant */
	CF_OP_NOT_IN,				/* col <> ALL(array) / col NOT IN (...) */
	CF_OP_LOWER,				/* col >= / > / = time: the window's start */
	CF_OP_UPPER					/* col <= / < / = time: the window's end */
} CfFilterOp;

/* Filter flags. */
#define CF_FLT_CASE_INSENSITIVE 0x01	/* API matching ignores case: ILIKE ok */
#define CF_FLT_LOOKUP			0x02	/* EQ becomes GET <item path> */
#define CF_FLT_PATH				0x04	/* value goes into the path, not query */
#define CF_FLT_NONEMPTY			0x08	/* no row has an empty value here */
#define CF_FLT_PATH_ID			0x10	/* value goes into the list path's {id} */
#define CF_FLT_REQUIRED			0x20	/* the API needs it: no scan without it */
#define CF_FLT_UUID				0x40	/* the document's format: uuid */
#define CF_FLT_IPV4				0x80	/* sent only for an IPv4 address */
#define CF_FLT_EMAIL			0x100	/* the document's format: email */
#define CF_FLT_HTTP_STATUS		0x200	/* an HTTP status: at most 3 digits */
#define CF_FLT_EXACT			0x400	/* the API keeps exactly the rows SQL's = (or
										 * IS NULL) keeps: count(*) reads its total */

typedef struct CfFilterDef
{
	const char *column;			/* resource column it applies to */
	CfFilterOp	op;
	const char *param;			/* wire query parameter, e.g. name.startsWith */
	const char *null_value;		/* CF_OP_IS_NULL: the literal sent ("null") */
	const char *const *enum_values; /* NULL-terminated, or NULL: any value */
	int			flags;
	int			max_length;		/* the document's maxLength (characters), 0: none */
} CfFilterDef;

/*
 * A time window the API needs as two dates (since/before, from/to), taken
 * from the WHERE clause on one timestamptz column (CF_OP_LOWER/UPPER
 * filters) and widened to whole UTC days; every bound stays a local recheck.
 */
typedef struct CfWindowDef
{
	const char *column;			/* action_time, charge_period_start */
	const char *lower_param;	/* since, from */
	const char *upper_param;	/* before, to */
	bool		upper_inclusive;	/* to is the last day; before the day after */
	int			max_days;		/* days one request may span, 0: any */
	const char *default_text;	/* EXPLAIN, when no bound is sent */
} CfWindowDef;

/* Orders the API can produce. */
typedef struct CfOrderDef
{
	const char *column;
	const char *param;			/* order_by / order, or NULL: direction only */
	const char *value;			/* account_name / account.name / id */
	const char *direction_param;	/* direction */
} CfOrderDef;

typedef struct CfResource
{
	CfResourceId id;
	const char *name;			/* table name for IMPORT and option value */
	const char *item_name;		/* one object, for messages ("organization member") */
	const char *list_path;		/* may contain {organization_id} */
	const char *item_path;		/* GET/PUT/DELETE one, with {id} */
	CfPaging	paging;
	int			max_page_size;
	int			min_page_size;
	const char *page_param;		/* page_size / per_page / limit */
	const char *scope_column;	/* column filled from the path, or NULL */
	const CfColumnDef *columns;
	int			ncolumns;
	const CfFilterDef *filters;
	int			nfilters;
	const CfOrderDef *orders;
	int			norders;
	double		default_rows;	/* planner estimate per scope */
	const CfWindowDef *window;	/* a time window the requests carry, or NULL */

	/*
	 * Unscoped scans of a scoped resource fan out over the organizations
	 * list; when embedded_field is set, the rows are instead that field of
	 * each organization object (profiles come embedded in the list).
	 */
	const char *embedded_field;

	/*
	 * What calls need: the API token permission group (Cloudflare's
	 * x-api-token-group, " Read" or " Write" appended), and whether the
	 * account must be in the Organizations beta.  For the hints of a 403.
	 */
	const char *token_group;
	bool		beta;

	/* Writes: NULL paths mean the API has no such call. */
	const char *insert_method;	/* POST, or PUT for a profile upsert */
	const char *insert_path;
	const char *insert_wrapper; /* {"member": {...}} */
	const char *batch_path;		/* members:batchCreate */
	const char *batch_wrapper;	/* {"members": [...]} */
	int			batch_max;
	const char *update_method;
	const char *update_path;
	bool		update_answers_row;	/* the modify call answers with the object */
	const char *delete_path;
	const char *writes_allowed; /* what the API allows, for error hints */
} CfResource;

extern const CfResource *cf_resource_by_name(const char *name);
extern const CfResource *cf_resource_by_id(CfResourceId id);
extern const CfColumnDef *cf_resource_column(const CfResource *res,
											 const char *colname);
extern const char *cf_resource_names(void);
/* The placeholders of a path template (cf_path_takes, cf_fill_path). */
typedef enum CfPathPart
{
	CF_PATH_SCOPE,				/* {organization_id} */
	CF_PATH_ID					/* {id} */
} CfPathPart;

extern const CfResource *cf_fanout_resource(const CfResource *res);
extern bool cf_paging_sized(const CfResource *res);
extern bool cf_path_takes(const char *template, CfPathPart part);
extern int	cf_resource_filter(const CfResource *res, const char *column,
							   CfFilterOp op);
extern char *cf_fill_path(const char *template, const char *organization_id,
						  const char *id);
extern char *cf_fill_path_label(const char *template,
								const char *organization_id, const char *id);
extern CfDocType cf_resource_field_type(const CfResource *res,
										const char *json_path);

#endif							/* CF_RESOURCES_H */
