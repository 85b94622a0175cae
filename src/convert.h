/*-------------------------------------------------------------------------
 *
 * convert.h
 *		  JSON values to Datums and back (convert.c).
 *
 * IDENTIFICATION
 *		  src/convert.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CF_CONVERT_H
#define CF_CONVERT_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

struct json_object;
#include "resources.h"

/* ----------------------------------------------------------------------
 * convert.c: JSON values to Datums and back.
 * ----------------------------------------------------------------------
 */

typedef struct CfColumnConv
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *field;			/* the json path, for messages */
	char	  **path;			/* json path split at dots */
	int			pathlen;
	Oid			typid;
	int32		typmod;
	Oid			typinput;
	Oid			typioparam;
	FmgrInfo	inflinfo;
	int			kind;			/* fast conversion kind, convert.c */
	bool		whole_row;		/* path empty: the object itself */
	int			filter_only;	/* CF_COL_FILTER_ONLY / CF_COL_SCOPE */
	CfDocType	doc_type;		/* the field's type in the document */
} CfColumnConv;

extern void cf_conv_init(CfColumnConv *conv, Relation rel, AttrNumber attnum,
						 const char *json_path);
extern void cf_conv_set_doc_type(CfColumnConv *conv, CfDocType doc_type);
extern Datum cf_text_to_datum(const char *v, uint32 len, CfColumnConv *conv,
							  bool *isnull);
extern char *cf_json_c_text(const char *v, uint32 len, size_t *outlen);
extern bool cf_json_c_refuses(const char *text, uint32 len, char *errbuf,
							  size_t errlen, bool *truncated);
extern struct json_object *cf_datum_to_json(Datum value, Oid typid);
extern char *cf_timestamptz_rfc3339(TimestampTz t);
extern int	cf_array_elements(Datum value, Oid *elemtype, Datum **elems,
							  bool **nulls);

#endif							/* CF_CONVERT_H */
