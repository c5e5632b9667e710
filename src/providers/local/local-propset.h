/*
 * local-propset.h — the stored properties of objects read with one query
 * (private to src/providers/local/).
 *
 * Reading property by property costs one SQLite statement per value; a
 * GetProps of 15 tags was 15 index look-ups. A propset is every props row
 * of one object as SQLite returned it (the storage form of local-props.c:
 * integers, reals, UTF-8 text, blobs; a chunked large value as a row
 * without bytes), taken with one `SELECT ... WHERE obj = ?` and decoded
 * into SPropValues only when a caller asks for a value. Transacted objects
 * (messages, attachments) keep theirs while they are open: an open message
 * is a snapshot in MAPI (local-object.c says when it is dropped). Many
 * objects' sets come from one joined query for recipient and attachment
 * tables.
 */
#ifndef MAPIX_LOCAL_PROPSET_H
#define MAPIX_LOCAL_PROPSET_H

#include "local.h"

/* One props row in its stored form. */
typedef struct local_stored {
	ULONG tag;           /* normalized stored tag */
	int type;            /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB; SQLITE_NULL: in chunks */
	sqlite3_int64 i;
	double d;
	const BYTE *p;       /* text (NUL-terminated) or blob bytes */
	int n;               /* bytes at p (text without the NUL) */
	uint64_t size;       /* props.size: the value's size (a chunked value's whole length) */
} local_stored;

/* The rows of one object, in tag order, and the bytes they point into. */
typedef struct local_propset {
	local_stored *rows;
	ULONG n;
	BYTE *bytes;
} local_propset;

/* One object of a joined load: its id, the extra column (row_num,
 * attachment number) and its set. */
typedef struct local_propgroup {
	uint64_t obj;
	sqlite3_int64 extra;
	local_propset set;
} local_propgroup;

/* Decodes a stored row into *out as local_props_read does (local-props.c):
 * the wanted type must match (PT_UNSPECIFIED takes the stored one),
 * strings convert to the wanted width, a chunked value is PT_ERROR
 * MAPI_E_NOT_ENOUGH_MEMORY unless allow_large (then read from obj's
 * chunks). MAPI_E_NOT_FOUND on a type mismatch. */
HRESULT local_props_decode(local_db *db, uint64_t obj, const local_stored *row, ULONG want_tag, LPVOID lpParent,
                           LPSPropValue out, BOOL allow_large);

/* Fills *row from a statement's columns (tag, value, size) starting at
 * `first`; the bytes stay the statement's (local-props.c). */
void local_stored_from_stmt(sqlite3_stmt *st, int first, local_stored *row);

/* Reads every props row of obj (one query). */
HRESULT local_propset_load(local_db *db, uint64_t obj, local_propset **out);
/* The row of the property id of tag, or NULL. */
const local_stored *local_propset_find(const local_propset *ps, ULONG tag);
/* Sum of the rows' sizes (what local_props_total_size sums). */
uint64_t local_propset_total_size(const local_propset *ps);
void local_propset_free(local_propset *ps);

/* Runs sql bound to key; it must return (obj, tag, value, size, extra)
 * grouped by obj, with tag NULL for an object without properties (a LEFT
 * JOIN). Fills *groups (malloc'd; free with local_propgroups_free). */
HRESULT local_propgroups_load(local_db *db, const char *sql, uint64_t key, local_propgroup **groups, size_t *n);
void local_propgroups_free(local_propgroup *groups, size_t n);

#endif
