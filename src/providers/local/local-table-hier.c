/*
 * local-table-hier.c — hierarchy tables of the local store. A folder tree
 * is small (hundreds of folders, not millions of messages), so a
 * hierarchy table is a snapshot over ITableData: every view feature of the
 * foundation's tables (sorting, restrictions, bookmarks, FindRow) comes
 * with it. Rows are the subfolders' properties with PR_DEPTH; with
 * CONVENIENT_DEPTH the whole subtree, depth first.
 */
#include <stdlib.h>

#include "core/error.h"
#include "local-table.h"

/* Folder trees deeper than this are refused (as local-folder.c does). */
#define HIER_MAX_DEPTH 256

/* Adds the subfolders of fid (depth-first when recursive) to the table. */
static HRESULT add_children(local_logon *logon, LPTABLEDATA td, uint64_t fid, ULONG ulFlags, LONG depth)
{
	static const char sel[] = "SELECT fid FROM folders WHERE parent_fid = ?1 ORDER BY fid";
	local_db *db = logon->db;
	uint64_t *kids = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr;

	if (depth >= HIER_MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: folder tree deeper than %d", db->path, HIER_MAX_DEPTH);
	local_db_lock(db);
	hr = local_db_prepare(db, sel, &st);
	if (SUCCEEDED(hr)) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		hr = local_collect_ids(db, st, 1, &kids, &n, "listing folders");
	}
	local_db_unlock(db);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) {
		local_object *f;
		local_db_lock(db);
		hr = local_folder_open(logon, kids[i], 0, &f);
		local_db_unlock(db);
		if (hr == MAPI_E_NOT_FOUND) {
			hr = S_OK; /* deleted meanwhile */
			continue;
		}
		if (FAILED(hr))
			break;
		SPropValue extra = {.ulPropTag = PR_DEPTH, .Value.l = depth};
		hr = local_table_add_object(td, (LPMAPIPROP)f, ulFlags, &extra, 1, kids[i]);
		local_prop_Release(f);
		if (SUCCEEDED(hr) && (ulFlags & CONVENIENT_DEPTH))
			hr = add_children(logon, td, kids[i], ulFlags, depth + 1);
	}
	free(kids);
	return hr;
}

HRESULT local_table_open_hierarchy(local_logon *logon, uint64_t fid, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	static const SizedSPropTagArray(7, cols_w) = {
		7, {PR_INSTANCE_KEY, PR_ENTRYID, PR_DISPLAY_NAME_W, PR_DEPTH, PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
		    PR_SUBFOLDERS}};
	static const SizedSPropTagArray(7, cols_a) = {
		7, {PR_INSTANCE_KEY, PR_ENTRYID, PR_DISPLAY_NAME_A, PR_DEPTH, PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
		    PR_SUBFOLDERS}};
	LPTABLEDATA td;
	HRESULT hr = local_table_new((ulFlags & MAPI_UNICODE) ? (const SPropTagArray *)&cols_w
	                                                       : (const SPropTagArray *)&cols_a,
	                             &td);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = add_children(logon, td, fid, ulFlags, 0))) {
		ITableData_Release(td);
		return hr;
	}
	return local_table_view(td, lppTable);
}
