/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  INSERT, UPDATE and DELETE through the Cloudflare API (placeholder
 *		  until the write path lands: no write callbacks are registered, so
 *		  PostgreSQL refuses writes to the foreign tables).
 *
 * IDENTIFICATION
 *		  src/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"

void
cf_modify_routines(FdwRoutine *routine)
{
}
