/*
 * local-table-index.c — sort indexes built on demand (schema 4).
 *
 * A contents table pages through an index of the messages table when one
 * serves its first sort key (docs/store.md, "Contents tables page through
 * indexes"). Only the delivery time's index always exists: every other
 * index would cost each saved message an entry for a sort most mailboxes
 * never use. So the first SortTable on a large folder by such a column
 * builds its index, once for the mailbox; later saves keep it like any
 * other. Small folders sort fine without, and building is best effort: a
 * read-only logon, another writer holding the lock or a failure leaves the
 * table sorting without the index (same rows, same order, just slower),
 * and the next SortTable tries again.
 */
#include <stdlib.h>

#include "core/error.h"
#include "local-schema.h"
#include "local-table.h"

/* Rows of the table's folder (its kept counter). */
static HRESULT folder_rows(local_table *t, ULONG *rows)
{
	static const char sel[] = "SELECT CASE WHEN ?2 THEN assoc_count ELSE content_count END FROM folders WHERE fid = ?1";
	local_db *db = t->logon->db;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)t->fid);
	sqlite3_bind_int(st, 2, t->associated ? 1 : 0);
	int rc = sqlite3_step(st);
	*rows = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "counting a folder's messages");
}

/* LOCAL_SORT_INDEX_MIN_ROWS, or MAPIX_TEST_SORT_INDEX_MIN_ROWS (a test
 * hook: 0 builds indexes for any folder, so that the table suite can run
 * through the indexes as well as without). */
static ULONG min_rows(void)
{
	const char *s = getenv("MAPIX_TEST_SORT_INDEX_MIN_ROWS");
	return s && *s ? (ULONG)strtoul(s, NULL, 10) : LOCAL_SORT_INDEX_MIN_ROWS;
}

static HRESULT build(local_table *t, const char *name, const char *sql)
{
	local_db *db = t->logon->db;
	BOOL has = FALSE;
	ULONG rows = 0;
	HRESULT hr;
	if (FAILED(hr = local_schema_has_index(db, name, &has)) || has)
		return hr;
	if (FAILED(hr = folder_rows(t, &rows)) || rows < min_rows())
		return hr;
	if (FAILED(hr = local_db_try_begin_write(db)))
		return hr;
	if (SUCCEEDED(hr = local_db_exec(db, sql)))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
	return hr;
}

void local_table_sort_index(local_table *t, const SSortOrderSet *sort)
{
	/* Search folders span folders: one folder's range does not serve them. */
	if (t->scope || sort->cSorts == 0 || !(t->logon->flags & MDB_WRITE))
		return;
	const char *name = local_sort_index(sort->aSort[0].ulPropTag);
	const char *sql = local_schema_sort_index_sql(name);
	if (!sql)
		return; /* no index serves the key, or it always exists */
	local_db_lock(t->logon->db);
	HRESULT hr = build(t, name, sql);
	local_db_unlock(t->logon->db);
	/* Not a failure of SortTable (see above): the error is not the caller's. */
	if (FAILED(hr))
		mapix_error_clear();
}
