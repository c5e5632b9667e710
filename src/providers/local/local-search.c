/*
 * local-search.c — search folders of the local store.
 *
 * SetSearchCriteria stores the restriction and the searched folders in the
 * folder's row (folders.search_criteria, in the wire encoding of
 * mapixwire.h: the restriction, then the count and ids of the folders;
 * folders.search_flags keeps RECURSIVE_SEARCH and STOP_SEARCH). The
 * results are not a second copy of the messages that would have to be
 * caught up: a search folder's contents table is a contents table over
 * the searched folders (their subtrees with RECURSIVE_SEARCH) with the
 * criteria as a restriction that the table cannot remove, so it reflects
 * every committed change at once, and its notifications come from the
 * store's change journal like any contents table's.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixwire.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-schema.h"
#include "local-table.h"

#define SEARCH_BLOB_VERSION 1

HRESULT local_search_is_search_folder(local_db *db, uint64_t fid, BOOL *is_search)
{
	static const char sel[] = "SELECT folder_type FROM folders WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	*is_search = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == FOLDER_SEARCH;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return mapix_error(MAPI_E_OBJECT_DELETED, "%s: the folder was deleted", db->path);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "reading a folder");
}

/* The stored criteria: restriction (MAPIAllocateBuffer'd), folder ids (malloc'd), flags. */
static HRESULT read_criteria(local_db *db, uint64_t fid, LPSRestriction *res, uint64_t **fids, ULONG *n, ULONG *flags)
{
	static const char sel[] = "SELECT search_criteria, search_flags FROM folders WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	*res = NULL;
	*fids = NULL;
	*n = 0;
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? mapix_error(MAPI_E_OBJECT_DELETED, "%s: the folder was deleted", db->path)
		                         : local_db_error(db, rc, "reading search criteria");
	}
	*flags = (ULONG)sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_reset(st);
		return mapix_error(MAPI_E_NOT_INITIALIZED, "%s: the search folder has no criteria yet", db->path);
	}
	MAPIXWIRECURSOR cur;
	ULONG version = 0, count = 0;
	mapix_wire_cursor_init(&cur, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	hr = mapix_wire_get_u32(&cur, &version);
	if (SUCCEEDED(hr) && version != SEARCH_BLOB_VERSION)
		hr = MAPI_E_CORRUPT_DATA;
	if (SUCCEEDED(hr))
		hr = mapix_wire_get_restriction(&cur, res);
	if (SUCCEEDED(hr))
		hr = mapix_wire_get_u32(&cur, &count);
	if (SUCCEEDED(hr) && count > mapix_wire_cursor_left(&cur) / 8)
		hr = MAPI_E_CORRUPT_DATA;
	if (SUCCEEDED(hr) && !(*fids = malloc((count ? count : 1) * sizeof **fids)))
		hr = MAPI_E_NOT_ENOUGH_MEMORY;
	for (ULONG i = 0; SUCCEEDED(hr) && i < count; i++) {
		ULONGLONG v;
		if (SUCCEEDED(hr = mapix_wire_get_u64(&cur, &v)))
			(*fids)[i] = v;
	}
	sqlite3_reset(st);
	if (FAILED(hr)) {
		if (*res)
			MAPIFreeBuffer(*res);
		*res = NULL;
		free(*fids);
		*fids = NULL;
		return mapix_error(hr == MAPI_E_NOT_ENOUGH_MEMORY ? hr : MAPI_E_CORRUPT_STORE,
		                   "%s: the search criteria of folder %llu are damaged", db->path, (unsigned long long)fid);
	}
	*n = count;
	return S_OK;
}

HRESULT local_search_set(local_object *folder, LPSRestriction res, LPENTRYLIST containers, ULONG flags)
{
	static const char upd[] = "UPDATE folders SET search_criteria = ?2, search_flags = ?3, change_number = ?4,"
	                          " modified = ?5 WHERE fid = ?1";
	static const char parent_sql[] = "SELECT coalesce(parent_fid, 0) FROM folders WHERE fid = ?1";
	local_db *db = folder->logon->db;
	LPSRestriction old_res = NULL;
	uint64_t *fids = NULL;
	ULONG n = 0, old_flags = 0;
	MAPIXWIREBUF buf;
	HRESULT hr;
	BOOL is_search;

	if (flags & ~(STOP_SEARCH | RESTART_SEARCH | RECURSIVE_SEARCH | SHALLOW_SEARCH | FOREGROUND_SEARCH |
	              BACKGROUND_SEARCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "SetSearchCriteria: unknown flags 0x%08X", (unsigned)flags);
	if ((flags & STOP_SEARCH) && (flags & RESTART_SEARCH))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetSearchCriteria: STOP_SEARCH with RESTART_SEARCH");
	if ((flags & RECURSIVE_SEARCH) && (flags & SHALLOW_SEARCH))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetSearchCriteria: RECURSIVE_SEARCH with SHALLOW_SEARCH");
	if (res && FAILED(hr = mapix_restriction_validate(res)))
		return hr;
	if (!(folder->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SetSearchCriteria: the folder was opened read-only");
	mapix_wire_buf_init(&buf);
	local_db_lock(db);
	if (FAILED(hr = local_search_is_search_folder(db, folder->id, &is_search)))
		goto out;
	if (!is_search) {
		hr = mapix_error(MAPI_E_NO_SUPPORT, "SetSearchCriteria: not a search folder");
		goto out;
	}
	hr = read_criteria(db, folder->id, &old_res, &fids, &n, &old_flags);
	if (hr == MAPI_E_NOT_INITIALIZED) {
		mapix_error_clear();
		hr = S_OK;
		if (!res || !containers) {
			hr = mapix_error(MAPI_E_INVALID_PARAMETER,
			                 "SetSearchCriteria: a new search needs a restriction and folders to search");
			goto out;
		}
	}
	if (FAILED(hr))
		goto out;
	/* NULL keeps what was set before. */
	if (containers) {
		free(fids);
		n = 0;
		if (!(fids = malloc((containers->cValues ? containers->cValues : 1) * sizeof *fids))) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SetSearchCriteria: out of memory");
			goto out;
		}
		for (ULONG i = 0; i < containers->cValues; i++) {
			enum mapix_entryid_kind kind;
			GUID g;
			uint64_t fid, mid;
			const SBinary *b = &containers->lpbin[i];
			if (FAILED(hr = mapix_entryid_parse(b->cb, (const ENTRYID *)b->lpb, &kind, &g, &fid, &mid)))
				goto out;
			if (kind != MAPIX_EID_FOLDER || memcmp(&g, &db->mailbox_guid, sizeof g) != 0) {
				hr = mapix_error(MAPI_E_INVALID_ENTRYID, "SetSearchCriteria: folder %u is not one of this mailbox",
				                 (unsigned)i);
				goto out;
			}
			fids[n++] = fid;
		}
	}
	ULONG new_flags = old_flags;
	if (flags & RECURSIVE_SEARCH)
		new_flags |= RECURSIVE_SEARCH;
	if (flags & SHALLOW_SEARCH)
		new_flags &= ~(ULONG)RECURSIVE_SEARCH;
	if (flags & STOP_SEARCH)
		new_flags |= STOP_SEARCH;
	if (flags & RESTART_SEARCH)
		new_flags &= ~(ULONG)STOP_SEARCH;
	if (FAILED(hr = mapix_wire_put_u32(&buf, SEARCH_BLOB_VERSION)) ||
	    FAILED(hr = mapix_wire_put_restriction(&buf, res ? res : old_res)) ||
	    FAILED(hr = mapix_wire_put_u32(&buf, n)))
		goto out;
	for (ULONG i = 0; i < n; i++)
		if (FAILED(hr = mapix_wire_put_u64(&buf, fids[i])))
			goto out;
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	sqlite3_stmt *st;
	uint64_t parent = 0, cn;
	if (SUCCEEDED(hr = local_db_prepare(db, parent_sql, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)folder->id);
		if (sqlite3_step(st) == SQLITE_ROW)
			parent = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	if (SUCCEEDED(hr))
		hr = local_journal_add(db, LOCAL_CHANGE_MODIFY, MAPI_FOLDER, folder->id, parent, 0, &cn);
	if (SUCCEEDED(hr) && SUCCEEDED(hr = local_db_prepare(db, upd, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)folder->id);
		sqlite3_bind_blob(st, 2, buf.pb, (int)buf.cb, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, new_flags);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)cn);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
		hr = local_step_done(db, st, "storing search criteria");
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	mapix_wire_buf_free(&buf);
	if (old_res)
		MAPIFreeBuffer(old_res);
	free(fids);
	return hr;
}

HRESULT local_search_get(local_object *folder, ULONG flags, LPSRestriction *res, LPENTRYLIST *containers,
                         ULONG *state)
{
	local_db *db = folder->logon->db;
	LPSRestriction r = NULL;
	uint64_t *fids = NULL;
	ULONG n = 0, sflags = 0;
	LPENTRYLIST list = NULL;
	HRESULT hr;
	BOOL is_search;

	if (flags & ~(ULONG)MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetSearchCriteria: unknown flags 0x%08X", (unsigned)flags);
	local_db_lock(db);
	if (FAILED(hr = local_search_is_search_folder(db, folder->id, &is_search)))
		goto out;
	if (!is_search) {
		hr = mapix_error(MAPI_E_NO_SUPPORT, "GetSearchCriteria: not a search folder");
		goto out;
	}
	if (FAILED(hr = read_criteria(db, folder->id, &r, &fids, &n, &sflags)))
		goto out;
	if (containers) {
		if (FAILED(hr = MAPIAllocateBuffer(sizeof *list, (LPVOID *)&list)))
			goto out;
		list->cValues = n;
		list->lpbin = NULL;
		if (n && FAILED(hr = MAPIAllocateMore(n * (ULONG)sizeof(SBinary), list, (LPVOID *)&list->lpbin)))
			goto out;
		for (ULONG i = 0; i < n; i++) {
			BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE];
			mapix_entryid_make_folder(&db->mailbox_guid, fids[i], eid);
			SPropValue v;
			if (FAILED(hr = local_binary_value(&v, PR_ENTRYID, eid, sizeof eid, list)))
				goto out;
			list->lpbin[i] = v.Value.bin;
		}
	}
out:
	local_db_unlock(db);
	free(fids);
	if (FAILED(hr)) {
		if (r)
			MAPIFreeBuffer(r);
		if (list)
			MAPIFreeBuffer(list);
		return hr;
	}
	if (res)
		*res = r;
	else if (r)
		MAPIFreeBuffer(r);
	if (containers)
		*containers = list;
	if (state)
		*state = ((sflags & STOP_SEARCH) ? 0 : SEARCH_RUNNING) | ((sflags & RECURSIVE_SEARCH) ? SEARCH_RECURSIVE : 0);
	return S_OK;
}

HRESULT local_search_contents(local_object *folder, ULONG flags, LPMAPITABLE *lppTable)
{
	static const char tree_sql[] =
	    "WITH RECURSIVE sub(fid) AS (SELECT ?1 UNION SELECT f.fid FROM folders f JOIN sub ON f.parent_fid = sub.fid"
	    " WHERE f.folder_type <> 2) SELECT fid FROM sub";
	local_db *db = folder->logon->db;
	LPSRestriction r = NULL;
	uint64_t *fids = NULL, *scope = NULL;
	ULONG n = 0, sflags = 0, n_scope = 0, cap = 0;
	HRESULT hr;

	if (flags & MAPI_ASSOCIATED)
		return mapix_error(MAPI_E_NO_SUPPORT, "GetContentsTable: search folders have no associated contents");
	local_db_lock(db);
	hr = read_criteria(db, folder->id, &r, &fids, &n, &sflags);
	if (hr == MAPI_E_NOT_INITIALIZED) {
		/* No criteria yet: an empty search. */
		mapix_error_clear();
		hr = S_OK;
	}
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
		uint64_t *ids = NULL;
		size_t k = 0;
		if (sflags & RECURSIVE_SEARCH) {
			sqlite3_stmt *st;
			if (FAILED(hr = local_db_prepare(db, tree_sql, &st)))
				break;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)fids[i]);
			if (FAILED(hr = local_collect_ids(db, st, 1, &ids, &k, "listing searched folders")))
				break;
		} else {
			if (!(ids = malloc(sizeof *ids))) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetContentsTable: out of memory");
				break;
			}
			ids[0] = fids[i];
			k = 1;
		}
		if (n_scope + k > cap) {
			cap = (ULONG)(n_scope + k) * 2;
			uint64_t *bigger = realloc(scope, cap * sizeof *scope);
			if (!bigger) {
				free(ids);
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetContentsTable: out of memory");
				break;
			}
			scope = bigger;
		}
		for (size_t j = 0; j < k; j++) {
			ULONG m;
			for (m = 0; m < n_scope && scope[m] != ids[j]; m++)
				;
			if (m == n_scope)
				scope[n_scope++] = ids[j];
		}
		free(ids);
	}
	local_db_unlock(db);
	if (SUCCEEDED(hr)) {
		/* An empty scope searches nothing: fid 0 holds no message. */
		uint64_t none = 0;
		hr = local_table_open_contents(folder->logon, folder->id, flags, n_scope ? scope : &none, n_scope ? n_scope : 1,
		                               r, lppTable);
	}
	if (r)
		MAPIFreeBuffer(r);
	free(fids);
	free(scope);
	return hr;
}
