/*-------------------------------------------------------------------------
 *
 * page.h
 *		  A scan's pages read in place (page.c).
 *
 * IDENTIFICATION
 *		  src/page.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_PAGE_H
#define CF_PAGE_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "convert.h"

/* ----------------------------------------------------------------------
 * page.c: answers read in place (a scan's pages, errors, writes' answers),
 * without a json-c tree.
 * ----------------------------------------------------------------------
 */

/* A value inside a page's text: offset and length. */
typedef struct CfSpan
{
	uint32		off;
	uint32		len;
} CfSpan;

/*
 * The body of an answer: its text, checked as JSON, and an index of the
 * envelope.  Everything is palloc'd in one context.
 */
typedef struct CfPage
{
	char	   *text;			/* the body */
	uint32		len;
	bool		has_result;		/* the body is an object with "result" */
	char		result_kind;	/* first byte of result: '{', '[', 'n', ... */
	CfSpan		result;
	CfSpan	   *items;			/* result's elements when it is an array */
	int			nitems;
	int			success;		/* "success": 1 true, 0 false, -1 absent */
	char	   *next_page_token;	/* result_info's, NULL if none */
	char	   *next_cursor;	/* result_info.cursor or .cursors.after */
	int64		total_size;		/* result_info's, -1 if none */
	bool		has_info;		/* result_info is an object: */
	CfSpan		info;			/* ... this one */
	CfSpan		value;			/* the whole body's value, spaces aside */
} CfPage;

/* The JSON paths of the columns a scan reads, as a tree of keys. */
typedef struct CfPathNode CfPathNode;

struct CfColumnConv;
extern CfPage *cf_page_parse(char *text, uint32 len, char *errbuf,
							 size_t errlen, bool *truncated);
extern CfPage *cf_page_copy(const CfPage *page, MemoryContext cxt);
extern void cf_page_free(CfPage *page);
extern CfPathNode *cf_path_tree(struct CfColumnConv *convs, int nconvs);
extern bool cf_page_field(const CfPage *page, CfSpan obj, const char *key,
						  CfSpan *value);
extern char *cf_page_string(const CfPage *page, CfSpan value);
extern char *cf_page_text(const CfPage *page, CfSpan value, size_t *len);
extern CfSpan *cf_page_array(const CfPage *page, CfSpan arr, int *n);
extern void cf_page_row(const CfPage *page, CfSpan item, CfPathNode *paths,
						struct CfColumnConv *convs, Datum *values, bool *nulls,
						struct CfColumnConv **current);

#endif							/* CF_PAGE_H */
