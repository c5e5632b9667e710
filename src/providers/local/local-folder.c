/*
 * local-folder.c — IMAPIFolder of the local store: folder rows, computed
 * folder properties, creating, copying, moving and deleting folders, and
 * the folder-level message operations (create, copy/move, delete, read
 * flags, message status, empty). Folders write through: every change is
 * committed at once and journaled.
 */
#include <stdlib.h>
#include <string.h>

#include "core/collation.h"
#include "core/entryid.h"
#include "core/error.h"
#include "local.h"
#include "local-acl.h"
#include "local-message.h"
#include "local-schema.h"
#include "local-table.h"

#define FOLDER(This) ((local_object *)(This))
/* Folder trees deeper than this are refused (and recursion is bounded). */
#define LOCAL_MAX_FOLDER_DEPTH 256

static const IMAPIFolderVtbl folder_vtbl;
static const local_object_ops folder_ops;

/* ---- names ------------------------------------------------------------------------ */

/* Case-folded copy of a UTF-8 name (malloc'd): sibling names are unique
 * under simple case folding, as MAPI folder names compare case-insensitively. */
static char *fold_name(const char *s)
{
	return mapix_collation_fold_key(mapix_text_utf8(s, strlen(s)), FL_IGNORECASE, SIZE_MAX);
}

/* A folder name argument as UTF-8 (MAPI_UNICODE: LPWSTR). Caller MAPIFreeBuffer's. */
static HRESULT name_arg(LPTSTR name, ULONG ulFlags, char **out)
{
	if (!name)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "folder name is NULL");
	if (ulFlags & MAPI_UNICODE)
		return mapix_utf16_to_utf8((const WCHAR *)name, NULL, out);
	size_t n = strlen((const char *)name);
	HRESULT hr = MAPIAllocateBuffer((ULONG)n + 1, (LPVOID *)out);
	if (SUCCEEDED(hr))
		memcpy(*out, name, n + 1);
	return hr;
}

/* ---- rows ------------------------------------------------------------------------ */

typedef struct folder_row {
	uint64_t parent;
	ULONG type;
	uint64_t change_number, created, modified;
	int64_t content, unread, assoc, children, size;
} folder_row;

static HRESULT read_row(local_db *db, uint64_t fid, folder_row *r)
{
	static const char sel[] =
	    "SELECT coalesce(parent_fid, 0), folder_type, change_number, created, modified, content_count,"
	    " unread_count, assoc_count, child_count, content_size FROM folders WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->parent = (uint64_t)sqlite3_column_int64(st, 0);
		r->type = (ULONG)sqlite3_column_int(st, 1);
		r->change_number = (uint64_t)sqlite3_column_int64(st, 2);
		r->created = (uint64_t)sqlite3_column_int64(st, 3);
		r->modified = (uint64_t)sqlite3_column_int64(st, 4);
		r->content = sqlite3_column_int64(st, 5);
		r->unread = sqlite3_column_int64(st, 6);
		r->assoc = sqlite3_column_int64(st, 7);
		r->children = sqlite3_column_int64(st, 8);
		r->size = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return mapix_error(MAPI_E_NOT_FOUND, "%s: folder %llu does not exist", db->path, (unsigned long long)fid);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "reading a folder");
}

static HRESULT step_done(local_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT)
		return mapix_error(MAPI_E_COLLISION, "%s: %s: a folder of that name exists", db->path, what);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, what);
}

HRESULT local_folder_adjust_counts(local_db *db, uint64_t fid, int64_t d_content, int64_t d_unread, int64_t d_assoc,
                                   int64_t d_size)
{
	static const char upd[] =
	    "UPDATE folders SET content_count = content_count + ?2, unread_count = unread_count + ?3,"
	    " assoc_count = assoc_count + ?4, content_size = content_size + ?5 WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, upd, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	sqlite3_bind_int64(st, 2, d_content);
	sqlite3_bind_int64(st, 3, d_unread);
	sqlite3_bind_int64(st, 4, d_assoc);
	sqlite3_bind_int64(st, 5, d_size);
	return step_done(db, st, "updating folder counts");
}

static HRESULT adjust_children(local_db *db, uint64_t fid, int64_t d)
{
	static const char upd[] = "UPDATE folders SET child_count = child_count + ?2 WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, upd, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	sqlite3_bind_int64(st, 2, d);
	return step_done(db, st, "updating folder counts");
}

/* Journals a change of a folder and makes its number the folder's change number. */
static HRESULT touch_folder(local_db *db, uint64_t fid, int kind, uint64_t parent, uint64_t old_parent)
{
	static const char upd[] = "UPDATE folders SET change_number = ?2, modified = ?3 WHERE fid = ?1";
	sqlite3_stmt *st;
	uint64_t cn;
	HRESULT hr = local_journal_add(db, kind, MAPI_FOLDER, fid, parent, old_parent, &cn);
	if (FAILED(hr) || FAILED(hr = local_db_prepare(db, upd, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	return step_done(db, st, "updating a folder");
}

HRESULT local_folder_insert(local_db *db, uint64_t parent, const char *name, ULONG type, uint64_t fid,
                            uint64_t *out_fid)
{
	static const char ins[] =
	    "INSERT INTO folders(fid, parent_fid, folder_type, name, name_key, change_number, created, modified)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	sqlite3_stmt *st;
	HRESULT hr;
	uint64_t cn;
	char *key = fold_name(name);

	if (!key)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "creating a folder: out of memory");
	if (fid == 0 && FAILED(hr = local_db_next_ids(db, 1, &fid)))
		goto out;
	if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_CREATE, MAPI_FOLDER, fid, parent, 0, &cn)))
		goto out;
	if (FAILED(hr = local_db_prepare(db, ins, &st)))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	if (parent)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)parent);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, type);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	if (FAILED(hr = step_done(db, st, "creating a folder")))
		goto out;
	/* PR_DISPLAY_NAME is also an ordinary stored property, so every
	 * property path (GetProps, tables, CopyTo) sees it. */
	SPropValue dn = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR)name};
	if (FAILED(hr = local_props_write(db, fid, &dn)))
		goto out;
	if (parent && FAILED(hr = adjust_children(db, parent, 1)))
		goto out;
	if (out_fid)
		*out_fid = fid;
out:
	free(key);
	return hr;
}

/* ---- computed properties ------------------------------------------------------------- */

static const ULONG folder_computed[] = {
	PR_ENTRYID, PR_PARENT_ENTRYID, PR_RECORD_KEY, PR_SOURCE_KEY, PR_PARENT_SOURCE_KEY, PR_CHANGE_KEY,
	PR_PREDECESSOR_CHANGE_LIST, PR_OBJECT_TYPE, PR_FOLDER_TYPE, PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
	PR_ASSOC_CONTENT_COUNT, PR_SUBFOLDERS, PR_FOLDER_CHILD_COUNT, PR_ACCESS, PR_ACCESS_LEVEL, PR_CREATION_TIME,
	PR_LAST_MODIFICATION_TIME, PR_MESSAGE_SIZE_EXTENDED, PR_STORE_RECORD_KEY, PR_STORE_ENTRYID, PR_MAPPING_SIGNATURE,
	PR_RIGHTS,
};

static HRESULT binary_value(LPSPropValue out, ULONG tag, const void *data, ULONG cb, LPVOID root)
{
	BYTE *p;
	HRESULT hr = MAPIAllocateMore(cb ? cb : 1, root, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memcpy(p, data, cb);
	out->ulPropTag = tag;
	out->Value.bin.cb = cb;
	out->Value.bin.lpb = p;
	return S_OK;
}

static ULONG folder_access(local_object *o)
{
	ULONG a = MAPI_ACCESS_READ;
	if (o->access & MAPI_MODIFY)
		a |= MAPI_ACCESS_MODIFY | MAPI_ACCESS_DELETE | MAPI_ACCESS_CREATE_HIERARCHY | MAPI_ACCESS_CREATE_CONTENTS |
		     MAPI_ACCESS_CREATE_ASSOCIATED;
	return a;
}

static HRESULT folder_computed_prop(local_object *o, ULONG tag, LPVOID root, LPSPropValue out)
{
	local_db *db = o->logon->db;
	const GUID *g = &db->mailbox_guid;
	folder_row r, *kept;
	BYTE buf[MAPIX_FOLDER_ENTRYID_SIZE];
	HRESULT hr = S_OK;
	/* The row is read once per GetProps call (GetProps(NULL) asks for
	 * some twenty computed properties). */
	if (local_object_call_row(o, sizeof *kept, (void **)&kept)) {
		r = *kept;
	} else if (SUCCEEDED(hr = read_row(db, o->id, &r)) && kept) {
		*kept = r;
		local_object_call_row_filled(o);
	}
	if (FAILED(hr))
		return hr == MAPI_E_NOT_FOUND ? mapix_error(MAPI_E_OBJECT_DELETED, "%s: the folder was deleted", db->path)
		                              : hr;
	out->dwAlignPad = 0;
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_ENTRYID):
		mapix_entryid_make_folder(g, o->id, buf);
		return binary_value(out, PR_ENTRYID, buf, sizeof buf, root);
	case PROP_ID(PR_RECORD_KEY):
		mapix_entryid_make_folder(g, o->id, buf);
		return binary_value(out, PR_RECORD_KEY, buf, sizeof buf, root);
	case PROP_ID(PR_PARENT_ENTRYID):
		/* The root is its own parent, as on Exchange. */
		mapix_entryid_make_folder(g, r.parent ? r.parent : o->id, buf);
		return binary_value(out, PR_PARENT_ENTRYID, buf, sizeof buf, root);
	case PROP_ID(PR_SOURCE_KEY):
		mapix_xid_make(g, o->id, buf);
		return binary_value(out, PR_SOURCE_KEY, buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_PARENT_SOURCE_KEY):
		if (!r.parent)
			return binary_value(out, PR_PARENT_SOURCE_KEY, buf, 0, root);
		mapix_xid_make(g, r.parent, buf);
		return binary_value(out, PR_PARENT_SOURCE_KEY, buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_CHANGE_KEY):
		mapix_xid_make(g, r.change_number, buf);
		return binary_value(out, PR_CHANGE_KEY, buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_PREDECESSOR_CHANGE_LIST):
		buf[0] = MAPIX_XID_SIZE;
		mapix_xid_make(g, r.change_number, buf + 1);
		return binary_value(out, PR_PREDECESSOR_CHANGE_LIST, buf, MAPIX_XID_SIZE + 1, root);
	case PROP_ID(PR_OBJECT_TYPE):
		out->ulPropTag = PR_OBJECT_TYPE;
		out->Value.l = MAPI_FOLDER;
		return S_OK;
	case PROP_ID(PR_FOLDER_TYPE):
		out->ulPropTag = PR_FOLDER_TYPE;
		out->Value.l = (LONG)r.type;
		return S_OK;
	case PROP_ID(PR_CONTENT_COUNT):
		out->ulPropTag = PR_CONTENT_COUNT;
		out->Value.l = (LONG)r.content;
		return S_OK;
	case PROP_ID(PR_CONTENT_UNREAD):
		out->ulPropTag = PR_CONTENT_UNREAD;
		out->Value.l = (LONG)r.unread;
		return S_OK;
	case PROP_ID(PR_ASSOC_CONTENT_COUNT):
		out->ulPropTag = PR_ASSOC_CONTENT_COUNT;
		out->Value.l = (LONG)r.assoc;
		return S_OK;
	case PROP_ID(PR_SUBFOLDERS):
		out->ulPropTag = PR_SUBFOLDERS;
		out->Value.b = r.children > 0;
		return S_OK;
	case PROP_ID(PR_FOLDER_CHILD_COUNT):
		out->ulPropTag = PR_FOLDER_CHILD_COUNT;
		out->Value.l = (LONG)r.children;
		return S_OK;
	case PROP_ID(PR_ACCESS):
		out->ulPropTag = PR_ACCESS;
		out->Value.l = (LONG)folder_access(o);
		return S_OK;
	case PROP_ID(PR_RIGHTS):
		/* Whoever opens a local mailbox is its owner: every right, except
		 * writing ones on a read-only logon. (mapixd answers with the
		 * caller's effective rights instead.) */
		out->ulPropTag = PR_RIGHTS;
		out->Value.l = (o->logon->flags & MDB_WRITE) ? ROLE_OWNER : (rightsReadOnly | frightsVisible);
		return S_OK;
	case PROP_ID(PR_ACCESS_LEVEL):
		out->ulPropTag = PR_ACCESS_LEVEL;
		out->Value.l = (o->access & MAPI_MODIFY) ? MAPI_MODIFY : 0;
		return S_OK;
	case PROP_ID(PR_CREATION_TIME):
		out->ulPropTag = PR_CREATION_TIME;
		out->Value.ft = mapix_filetime_from_u64(r.created);
		return S_OK;
	case PROP_ID(PR_LAST_MODIFICATION_TIME):
		out->ulPropTag = PR_LAST_MODIFICATION_TIME;
		out->Value.ft = mapix_filetime_from_u64(r.modified);
		return S_OK;
	case PROP_ID(PR_MESSAGE_SIZE_EXTENDED):
		out->ulPropTag = PR_MESSAGE_SIZE_EXTENDED;
		out->Value.li.QuadPart = r.size;
		return S_OK;
	case PROP_ID(PR_STORE_RECORD_KEY):
	case PROP_ID(PR_MAPPING_SIGNATURE):
		return binary_value(out, PROP_TAG(PT_BINARY, PROP_ID(tag)), g, sizeof *g, root);
	case PROP_ID(PR_STORE_ENTRYID): {
		ULONG cb;
		LPENTRYID eid;
		hr = mapix_entryid_make_store(o->logon->server, o->logon->account, root, &cb, &eid);
		if (FAILED(hr))
			return hr;
		out->ulPropTag = PR_STORE_ENTRYID;
		out->Value.bin.cb = cb;
		out->Value.bin.lpb = (LPBYTE)eid;
		return S_OK;
	}
	}
	return MAPI_E_NOT_FOUND;
}

static HRESULT folder_write_hook(local_object *o, const SPropValue *v, ULONG deleted_tag, BOOL *handled)
{
	local_db *db = o->logon->db;
	HRESULT hr;
	ULONG tag = v ? v->ulPropTag : deleted_tag;
	*handled = FALSE;
	if (PROP_ID(tag) == PROP_ID(PR_DISPLAY_NAME)) {
		static const char upd[] = "UPDATE folders SET name = ?2, name_key = ?3 WHERE fid = ?1";
		char *name = NULL, *key;
		sqlite3_stmt *st;
		if (!v)
			return MAPI_E_NO_ACCESS; /* a folder always has a name */
		if (PROP_TYPE(tag) == PT_UNICODE)
			hr = mapix_utf16_to_utf8(v->Value.lpszW, NULL, &name);
		else if (PROP_TYPE(tag) == PT_STRING8)
			hr = name_arg((LPTSTR)v->Value.lpszA, 0, &name);
		else
			return MAPI_E_INVALID_TYPE;
		if (FAILED(hr))
			return hr;
		if (!*name) {
			MAPIFreeBuffer(name);
			return MAPI_E_INVALID_PARAMETER;
		}
		if (!(key = fold_name(name))) {
			MAPIFreeBuffer(name);
			return MAPI_E_NOT_ENOUGH_MEMORY;
		}
		hr = local_db_prepare(db, upd, &st);
		if (SUCCEEDED(hr)) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
			sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
			hr = step_done(db, st, "renaming a folder");
		}
		free(key);
		MAPIFreeBuffer(name);
		if (FAILED(hr))
			return hr;
	}
	folder_row r;
	if (FAILED(hr = read_row(db, o->id, &r)))
		return hr;
	return touch_folder(db, o->id, LOCAL_CHANGE_MODIFY, r.parent, 0);
}

/* ---- opening ---------------------------------------------------------------------- */

HRESULT local_folder_open(local_logon *logon, uint64_t fid, ULONG ulFlags, local_object **out)
{
	folder_row r;
	local_object *o;
	HRESULT hr = read_row(logon->db, fid, &r);
	if (FAILED(hr))
		return hr;
	if ((ulFlags & MAPI_MODIFY) && !(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "%s: the store was opened read-only", logon->db->path);
	if (FAILED(hr = local_object_new(logon, &folder_ops, &folder_vtbl, sizeof *o, &o)))
		return hr;
	o->id = o->fid = fid;
	o->change_number = r.change_number;
	if ((ulFlags & MAPI_MODIFY) || ((ulFlags & MAPI_BEST_ACCESS) && (logon->flags & MDB_WRITE)))
		o->access = MAPI_MODIFY;
	*out = o;
	return S_OK;
}

/* The folder behind lpDestFolder when it is a folder of the same mailbox
 * connection; NULL otherwise. */
static local_object *same_store_folder(local_object *o, LPVOID dest)
{
	local_object *d = dest;
	if (!d || d->lpVtbl != &folder_vtbl || d->logon != o->logon)
		return NULL;
	return d;
}

/* ---- IMAPIContainer ---------------------------------------------------------------- */

/* Contents and hierarchy tables live in local-table*.c: contents tables page
 * through the database, search folders' contents are searches over the
 * folders they name (local-search.c). */
static HRESULT folder_GetContentsTable(IMAPIFolder *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	BOOL is_search = FALSE;
	HRESULT hr;

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetContentsTable: lppTable is NULL");
	*lppTable = NULL;
	if (ulFlags & ~(MAPI_ASSOCIATED | MAPI_UNICODE | MAPI_DEFERRED_ERRORS | SHOW_SOFT_DELETES))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetContentsTable: unknown flags 0x%08X", (unsigned)ulFlags);
	local_db_lock(db);
	hr = local_search_is_search_folder(db, o->id, &is_search);
	local_db_unlock(db);
	if (FAILED(hr))
		return hr;
	if (is_search)
		return local_search_contents(o, ulFlags, lppTable);
	return local_table_open_contents(o->logon, o->id, ulFlags, NULL, 0, NULL, lppTable);
}

static HRESULT folder_GetHierarchyTable(IMAPIFolder *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	local_object *o = FOLDER(This);
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetHierarchyTable: lppTable is NULL");
	*lppTable = NULL;
	if (ulFlags & ~(CONVENIENT_DEPTH | MAPI_UNICODE | MAPI_DEFERRED_ERRORS | SHOW_SOFT_DELETES))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetHierarchyTable: unknown flags 0x%08X", (unsigned)ulFlags);
	return local_table_open_hierarchy(o->logon, o->id, ulFlags, lppTable);
}

static HRESULT folder_OpenEntry(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	LOCAL_CHECK_CALLER(This, "folder_OpenEntry");
	local_object *o = FOLDER(This);
	(void)lpInterface;
	if (!cbEntryID || !lpEntryID) {
		/* NULL opens the folder itself. */
		local_object *f;
		local_db_lock(o->logon->db);
		HRESULT hr = local_folder_open(o->logon, o->id, ulFlags, &f);
		local_db_unlock(o->logon->db);
		if (SUCCEEDED(hr)) {
			if (lpulObjType)
				*lpulObjType = MAPI_FOLDER;
			*lppUnk = (LPUNKNOWN)f;
		}
		return hr;
	}
	return local_store_open_entry(o->logon, cbEntryID, lpEntryID, ulFlags, lpulObjType, lppUnk);
}

static HRESULT folder_SetSearchCriteria(IMAPIFolder *This, LPSRestriction lpRestriction, LPENTRYLIST lpContainerList,
                                        ULONG ulSearchFlags)
{
	return local_search_set(FOLDER(This), lpRestriction, lpContainerList, ulSearchFlags);
}

static HRESULT folder_GetSearchCriteria(IMAPIFolder *This, ULONG ulFlags, LPSRestriction *lppRestriction,
                                        LPENTRYLIST *lppContainerList, ULONG *lpulSearchState)
{
	return local_search_get(FOLDER(This), ulFlags, lppRestriction, lppContainerList, lpulSearchState);
}

/* ---- IMAPIFolder: messages ------------------------------------------------------------ */

static HRESULT folder_CreateMessage(IMAPIFolder *This, LPCIID lpInterface, ULONG ulFlags, LPMESSAGE *lppMessage)
{
	LOCAL_CHECK_CALLER(This, "folder_CreateMessage");
	local_object *o = FOLDER(This);
	local_object *m;
	if (!lppMessage)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateMessage: lppMessage is NULL");
	if (ulFlags & ~(MAPI_ASSOCIATED | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CreateMessage: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "CreateMessage: the folder was opened read-only");
	local_db_lock(o->logon->db);
	HRESULT hr = local_message_create(o->logon, o->id, (ulFlags & MAPI_ASSOCIATED) != 0, &m);
	local_db_unlock(o->logon->db);
	if (SUCCEEDED(hr))
		*lppMessage = (LPMESSAGE)m;
	return hr;
}

/* Resolves a message entry ID of this mailbox that must live in folder fid. */
static HRESULT message_in_folder(local_object *o, const SBinary *bin, uint64_t *mid)
{
	enum mapix_entryid_kind kind;
	GUID g;
	uint64_t fid;
	HRESULT hr = mapix_entryid_parse(bin->cb, (const ENTRYID *)bin->lpb, &kind, &g, &fid, mid);
	if (FAILED(hr))
		return hr;
	if (kind != MAPIX_EID_MESSAGE || memcmp(&g, &o->logon->db->mailbox_guid, sizeof g) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a message of this mailbox");
	static const char sel[] = "SELECT 1 FROM messages WHERE mid = ?1 AND fid = ?2";
	sqlite3_stmt *st;
	if (FAILED(hr = local_db_prepare(o->logon->db, sel, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)*mid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return MAPI_E_NOT_FOUND;
	return rc == SQLITE_ROW ? S_OK : local_db_error(o->logon->db, rc, "looking up a message");
}

static HRESULT folder_CopyMessages(IMAPIFolder *This, LPENTRYLIST lpMsgList, LPCIID lpInterface, LPVOID lpDestFolder,
                                   ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_CopyMessages");
	local_object *o = FOLDER(This);
	local_object *dest = same_store_folder(o, lpDestFolder);
	local_db *db = o->logon->db;
	HRESULT hr;
	BOOL partial = FALSE;

	if (!lpMsgList)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CopyMessages: no message list");
	if (ulFlags & ~(MESSAGE_MOVE | MESSAGE_DIALOG | MAPI_DECLINE_OK))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CopyMessages: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!dest)
		return mapix_error(MAPI_E_NO_SUPPORT, "CopyMessages: the destination is not a folder of this mailbox");
	if (!(dest->access & MAPI_MODIFY) || ((ulFlags & MESSAGE_MOVE) && !(o->access & MAPI_MODIFY)))
		return mapix_error(MAPI_E_NO_ACCESS, "CopyMessages: %s opened read-only",
		                   (dest->access & MAPI_MODIFY) ? "the source folder was" : "the destination folder was");
	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	for (ULONG i = 0; i < lpMsgList->cValues; i++) {
		uint64_t mid, new_mid;
		hr = message_in_folder(o, &lpMsgList->lpbin[i], &mid);
		if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_ENTRYID) {
			partial = TRUE;
			continue;
		}
		if (FAILED(hr))
			break;
		if ((ulFlags & MESSAGE_MOVE) && dest->id == o->id)
			continue; /* moving into the same folder changes nothing */
		if (FAILED(hr = local_message_copy(db, mid, dest->id, (ulFlags & MESSAGE_MOVE) != 0, &new_mid)))
			break;
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	return SUCCEEDED(hr) && partial ? MAPI_W_PARTIAL_COMPLETION : hr;
}

static HRESULT folder_DeleteMessages(IMAPIFolder *This, LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam,
                                     LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_DeleteMessages");
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	HRESULT hr;
	BOOL partial = FALSE;
	if (!lpMsgList)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "DeleteMessages: no message list");
	if (ulFlags & ~(MESSAGE_DIALOG | DELETE_HARD_DELETE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "DeleteMessages: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "DeleteMessages: the folder was opened read-only");
	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	for (ULONG i = 0; i < lpMsgList->cValues; i++) {
		uint64_t mid;
		hr = message_in_folder(o, &lpMsgList->lpbin[i], &mid);
		if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_ENTRYID) {
			partial = TRUE;
			hr = S_OK;
			continue;
		}
		if (FAILED(hr) || FAILED(hr = local_message_delete(db, mid)))
			break;
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	return SUCCEEDED(hr) && partial ? MAPI_W_PARTIAL_COMPLETION : hr;
}

/* Sets or clears MSGFLAG_READ on one message, keeping the unread count. */
static HRESULT set_read(local_db *db, uint64_t fid, uint64_t mid, BOOL read)
{
	static const char sel[] = "SELECT flags, associated FROM messages WHERE mid = ?1";
	static const char upd[] = "UPDATE messages SET flags = ?2, change_number = ?3, modified = ?4 WHERE mid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	int rc = sqlite3_step(st);
	ULONG flags = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	int assoc = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? MAPI_E_NOT_FOUND : local_db_error(db, rc, "reading a message");
	BOOL was = (flags & MSGFLAG_READ) != 0;
	if (was == read)
		return S_OK;
	flags = read ? (flags | MSGFLAG_READ) : (flags & ~MSGFLAG_READ);
	uint64_t cn;
	if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_MODIFY, MAPI_MESSAGE, mid, fid, 0, &cn)))
		return hr;
	if (FAILED(hr = local_db_prepare(db, upd, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 2, flags);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	if (FAILED(hr = step_done(db, st, "updating read flags")))
		return hr;
	return assoc ? S_OK : local_folder_adjust_counts(db, fid, 0, read ? -1 : 1, 0, 0);
}

static HRESULT folder_SetReadFlags(IMAPIFolder *This, LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_SetReadFlags");
	static const char all[] = "SELECT mid FROM messages WHERE fid = ?1 AND associated = 0";
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	HRESULT hr;
	BOOL partial = FALSE;
	const ULONG known = SUPPRESS_RECEIPT | CLEAR_READ_FLAG | MAPI_DEFERRED_ERRORS | GENERATE_RECEIPT_ONLY |
	                    CLEAR_RN_PENDING | CLEAR_NRN_PENDING | MESSAGE_DIALOG;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "SetReadFlags: unknown flags 0x%08X", (unsigned)ulFlags);
	if ((ulFlags & CLEAR_READ_FLAG) && (ulFlags & (SUPPRESS_RECEIPT | GENERATE_RECEIPT_ONLY)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetReadFlags: CLEAR_READ_FLAG with receipt flags");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SetReadFlags: the folder was opened read-only");
	if (ulFlags & GENERATE_RECEIPT_ONLY)
		return S_OK; /* read receipts need a transport; nothing changes in the store */
	BOOL read = !(ulFlags & CLEAR_READ_FLAG);
	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	if (lpMsgList) {
		for (ULONG i = 0; SUCCEEDED(hr) && i < lpMsgList->cValues; i++) {
			uint64_t mid;
			hr = message_in_folder(o, &lpMsgList->lpbin[i], &mid);
			if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_ENTRYID) {
				partial = TRUE;
				hr = S_OK;
				continue;
			}
			if (SUCCEEDED(hr))
				hr = set_read(db, o->id, mid, read);
		}
	} else {
		/* Collect first: set_read reuses cached statements. */
		uint64_t *mids = NULL;
		size_t n = 0;
		sqlite3_stmt *st;
		if (SUCCEEDED(hr = local_db_prepare(db, all, &st))) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
			hr = local_collect_ids(db, st, 1, &mids, &n, "listing messages");
		}
		for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
			hr = set_read(db, o->id, mids[i], read);
		free(mids);
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	return SUCCEEDED(hr) && partial ? MAPI_W_PARTIAL_COMPLETION : hr;
}

static HRESULT folder_GetMessageStatus(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                                       ULONG *lpulMessageStatus)
{
	LOCAL_CHECK_CALLER(This, "folder_GetMessageStatus");
	local_object *o = FOLDER(This);
	SBinary bin = {cbEntryID, (LPBYTE)lpEntryID};
	uint64_t mid;
	SPropValue v;
	LPVOID root;
	if (!lpulMessageStatus)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetMessageStatus: NULL output");
	local_db_lock(o->logon->db);
	HRESULT hr = message_in_folder(o, &bin, &mid);
	if (SUCCEEDED(hr) && SUCCEEDED(hr = MAPIAllocateBuffer(1, &root))) {
		hr = local_props_read(o->logon->db, mid, PR_MSG_STATUS, root, &v, FALSE);
		*lpulMessageStatus = SUCCEEDED(hr) ? (ULONG)v.Value.l : 0;
		if (hr == MAPI_E_NOT_FOUND)
			hr = S_OK;
		MAPIFreeBuffer(root);
	}
	local_db_unlock(o->logon->db);
	return hr;
}

static HRESULT folder_SetMessageStatus(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulNewStatus,
                                       ULONG ulNewStatusMask, ULONG *lpulOldStatus)
{
	LOCAL_CHECK_CALLER(This, "folder_SetMessageStatus");
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	SBinary bin = {cbEntryID, (LPBYTE)lpEntryID};
	uint64_t mid;
	ULONG old = 0;
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SetMessageStatus: the folder was opened read-only");
	local_db_lock(db);
	HRESULT hr = local_db_begin_write(db);
	if (SUCCEEDED(hr))
		hr = message_in_folder(o, &bin, &mid);
	if (SUCCEEDED(hr)) {
		LPVOID root;
		SPropValue v;
		if (SUCCEEDED(hr = MAPIAllocateBuffer(1, &root))) {
			if (SUCCEEDED(local_props_read(db, mid, PR_MSG_STATUS, root, &v, FALSE)))
				old = (ULONG)v.Value.l;
			MAPIFreeBuffer(root);
		}
		SPropValue nv = {.ulPropTag = PR_MSG_STATUS, .Value.l = (LONG)((old & ~ulNewStatusMask) | (ulNewStatus & ulNewStatusMask))};
		if (SUCCEEDED(hr))
			hr = local_props_write(db, mid, &nv);
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
	local_db_unlock(db);
	if (SUCCEEDED(hr) && lpulOldStatus)
		*lpulOldStatus = old;
	return hr;
}

static HRESULT folder_SaveContentsSort(IMAPIFolder *This, LPSSortOrderSet lpSortCriteria, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_SaveContentsSort");
	return mapix_error(MAPI_E_NO_SUPPORT, "SaveContentsSort is not supported");
}

/* ---- IMAPIFolder: folders ---------------------------------------------------------------- */

static HRESULT find_child(local_db *db, uint64_t parent, const char *name, uint64_t *fid)
{
	static const char sel[] = "SELECT fid FROM folders WHERE parent_fid = ?1 AND name_key = ?2";
	sqlite3_stmt *st;
	char *key = fold_name(name);
	if (!key)
		return MAPI_E_NOT_ENOUGH_MEMORY;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (SUCCEEDED(hr)) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*fid = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		hr = rc == SQLITE_ROW ? S_OK : rc == SQLITE_DONE ? MAPI_E_NOT_FOUND : local_db_error(db, rc, "finding a folder");
	}
	free(key);
	return hr;
}

static HRESULT folder_CreateFolder(IMAPIFolder *This, ULONG ulFolderType, LPTSTR lpszFolderName,
                                   LPTSTR lpszFolderComment, LPCIID lpInterface, ULONG ulFlags,
                                   LPMAPIFOLDER *lppFolder)
{
	LOCAL_CHECK_CALLER(This, "folder_CreateFolder");
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	char *name = NULL, *comment = NULL;
	uint64_t fid = 0;
	local_object *f = NULL;
	HRESULT hr;

	if (!lppFolder)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateFolder: lppFolder is NULL");
	if (ulFlags & ~(MAPI_UNICODE | OPEN_IF_EXISTS | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CreateFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (ulFolderType != FOLDER_GENERIC && ulFolderType != FOLDER_SEARCH)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateFolder: folder type must be FOLDER_GENERIC or FOLDER_SEARCH");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "CreateFolder: the parent folder was opened read-only");
	if (FAILED(hr = name_arg(lpszFolderName, ulFlags, &name)))
		return hr;
	if (!*name) {
		MAPIFreeBuffer(name);
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateFolder: empty folder name");
	}
	if (lpszFolderComment && FAILED(hr = name_arg(lpszFolderComment, ulFlags, &comment))) {
		MAPIFreeBuffer(name);
		return hr;
	}
	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	hr = find_child(db, o->id, name, &fid);
	if (SUCCEEDED(hr)) {
		if (!(ulFlags & OPEN_IF_EXISTS))
			hr = mapix_error(MAPI_E_COLLISION, "CreateFolder: a folder named \"%s\" exists", name);
	} else if (hr == MAPI_E_NOT_FOUND) {
		hr = local_folder_insert(db, o->id, name, ulFolderType, 0, &fid);
		if (SUCCEEDED(hr) && comment) {
			SPropValue c = {.ulPropTag = PR_COMMENT_A, .Value.lpszA = comment};
			hr = local_props_write(db, fid, &c);
		}
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
	if (SUCCEEDED(hr))
		hr = local_folder_open(o->logon, fid, MAPI_MODIFY, &f);
out:
	local_db_unlock(db);
	MAPIFreeBuffer(name);
	if (comment)
		MAPIFreeBuffer(comment);
	if (SUCCEEDED(hr))
		*lppFolder = (LPMAPIFOLDER)f;
	return hr;
}

/* Resolves a folder entry ID of this mailbox. */
static HRESULT folder_from_eid(local_object *o, ULONG cb, LPENTRYID eid, uint64_t *fid)
{
	enum mapix_entryid_kind kind;
	GUID g;
	uint64_t mid;
	HRESULT hr = mapix_entryid_parse(cb, eid, &kind, &g, fid, &mid);
	if (FAILED(hr))
		return hr;
	if (kind != MAPIX_EID_FOLDER || memcmp(&g, &o->logon->db->mailbox_guid, sizeof g) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a folder of this mailbox");
	return S_OK;
}

/* Deletes a folder, its messages and subfolders (inside a write transaction). */
static HRESULT delete_tree(local_db *db, uint64_t fid, int depth)
{
	static const char kids_sql[] = "SELECT fid FROM folders WHERE parent_fid = ?1";
	static const char msgs_sql[] = "SELECT mid FROM messages WHERE fid = ?1";
	static const char del_sql[] = "DELETE FROM folders WHERE fid = ?1";
	static const char recv_sql[] = "DELETE FROM receive WHERE fid = ?1";
	const char *lists[2] = {kids_sql, msgs_sql};
	sqlite3_stmt *st;
	HRESULT hr;
	folder_row r;

	if (depth > LOCAL_MAX_FOLDER_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: folder tree too deep", db->path);
	if (FAILED(hr = read_row(db, fid, &r)))
		return hr;
	for (int l = 0; l < 2; l++) {
		uint64_t *ids = NULL;
		size_t n = 0;
		if (FAILED(hr = local_db_prepare(db, lists[l], &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		if (FAILED(hr = local_collect_ids(db, st, 1, &ids, &n, "listing a folder")))
			return hr;
		for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
			hr = l == 0 ? delete_tree(db, ids[i], depth + 1) : local_message_delete(db, ids[i]);
		free(ids);
		if (FAILED(hr))
			return hr;
	}
	if (FAILED(hr = local_props_delete_all(db, fid)) || FAILED(hr = local_acl_delete_folder(db, fid)))
		return hr;
	for (int i = 0; i < 2; i++) {
		if (FAILED(hr = local_db_prepare(db, i ? recv_sql : del_sql, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		if (FAILED(hr = step_done(db, st, "deleting a folder")))
			return hr;
	}
	uint64_t cn;
	if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_DELETE, MAPI_FOLDER, fid, r.parent, 0, &cn)))
		return hr;
	return r.parent ? adjust_children(db, r.parent, -1) : S_OK;
}

static HRESULT folder_DeleteFolder(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_DeleteFolder");
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	uint64_t fid;
	folder_row r;
	HRESULT hr;

	if (ulFlags & ~(DEL_FOLDERS | DEL_MESSAGES | FOLDER_DIALOG | DELETE_HARD_DELETE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "DeleteFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "DeleteFolder: the parent folder was opened read-only");
	local_db_lock(db);
	if (FAILED(hr = folder_from_eid(o, cbEntryID, lpEntryID, &fid)) || FAILED(hr = local_db_begin_write(db)))
		goto out;
	if (FAILED(hr = read_row(db, fid, &r)))
		goto fail;
	if (r.parent != o->id) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "DeleteFolder: not a subfolder of this folder");
		goto fail;
	}
	if (fid < LOCAL_FID_FIRST_FREE) {
		hr = mapix_error(MAPI_E_NO_ACCESS, "DeleteFolder: standard folders cannot be deleted");
		goto fail;
	}
	if (r.children && !(ulFlags & DEL_FOLDERS)) {
		hr = mapix_error(MAPI_E_HAS_FOLDERS, "DeleteFolder: the folder has subfolders (DEL_FOLDERS not given)");
		goto fail;
	}
	if ((r.content || r.assoc) && !(ulFlags & DEL_MESSAGES)) {
		hr = mapix_error(MAPI_E_HAS_MESSAGES, "DeleteFolder: the folder has messages (DEL_MESSAGES not given)");
		goto fail;
	}
	if (SUCCEEDED(hr = delete_tree(db, fid, 0)))
		hr = local_db_commit(db);
	else
fail:
		local_db_rollback(db);
out:
	local_db_unlock(db);
	return hr;
}

/* Copies folder src (its properties, messages and, with subfolders, its
 * tree) under dest_parent with the given name. */
static HRESULT copy_tree(local_db *db, uint64_t src, uint64_t dest_parent, const char *name, BOOL subfolders,
                         int depth, uint64_t *out_fid)
{
	static const char kids_sql[] = "SELECT fid, name FROM folders WHERE parent_fid = ?1";
	static const char msgs_sql[] = "SELECT mid FROM messages WHERE fid = ?1";
	folder_row r;
	uint64_t fid;
	HRESULT hr;
	sqlite3_stmt *st;

	if (depth > LOCAL_MAX_FOLDER_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: folder tree too deep", db->path);
	if (FAILED(hr = read_row(db, src, &r)) || FAILED(hr = local_folder_insert(db, dest_parent, name, r.type, 0, &fid)))
		return hr;
	/* Properties, keeping the new name. */
	if (FAILED(hr = local_props_copy_all(db, src, fid)))
		return hr;
	SPropValue dn = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR)name};
	if (FAILED(hr = local_props_write(db, fid, &dn)))
		return hr;
	uint64_t *ids = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (int l = subfolders ? 0 : 1; l < 2 && SUCCEEDED(hr); l++) {
		if (FAILED(hr = local_db_prepare(db, l == 0 ? kids_sql : msgs_sql, &st)))
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)src);
		int rc;
		n = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				uint64_t *bi = realloc(ids, cap * sizeof *ids);
				char **bn = bi ? realloc(names, cap * sizeof *names) : NULL;
				if (bi)
					ids = bi;
				if (bn)
					names = bn;
				if (!bi || !bn) {
					rc = SQLITE_NOMEM;
					break;
				}
			}
			ids[n] = (uint64_t)sqlite3_column_int64(st, 0);
			names[n] = l == 0 ? strdup((const char *)sqlite3_column_text(st, 1)) : NULL;
			n++;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			hr = local_db_error(db, rc, "listing a folder");
		for (size_t i = 0; i < n; i++) {
			if (SUCCEEDED(hr)) {
				uint64_t new_id;
				if (l == 0)
					hr = names[i] ? copy_tree(db, ids[i], fid, names[i], TRUE, depth + 1, &new_id)
					              : MAPI_E_NOT_ENOUGH_MEMORY;
				else
					hr = local_message_copy(db, ids[i], fid, FALSE, &new_id);
			}
			free(names[i]);
		}
	}
	free(ids);
	free(names);
	if (SUCCEEDED(hr) && out_fid)
		*out_fid = fid;
	return hr;
}

static BOOL is_descendant(local_db *db, uint64_t fid, uint64_t ancestor)
{
	folder_row r;
	for (int depth = 0; fid && depth <= LOCAL_MAX_FOLDER_DEPTH; depth++) {
		if (fid == ancestor)
			return TRUE;
		if (FAILED(read_row(db, fid, &r)))
			return FALSE;
		fid = r.parent;
	}
	return FALSE;
}

static HRESULT folder_CopyFolder(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                 LPVOID lpDestFolder, LPTSTR lpszNewFolderName, ULONG_PTR ulUIParam,
                                 LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_CopyFolder");
	static const char mv[] = "UPDATE folders SET parent_fid = ?2, name = ?3, name_key = ?4 WHERE fid = ?1";
	local_object *o = FOLDER(This);
	local_object *dest = same_store_folder(o, lpDestFolder);
	local_db *db = o->logon->db;
	char *name = NULL, *key = NULL;
	uint64_t fid, existing;
	folder_row r;
	HRESULT hr;

	if (ulFlags & ~(FOLDER_MOVE | FOLDER_DIALOG | COPY_SUBFOLDERS | MAPI_UNICODE | MAPI_DECLINE_OK | MAPI_NOREPLACE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CopyFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!dest)
		return mapix_error(MAPI_E_NO_SUPPORT, "CopyFolder: the destination is not a folder of this mailbox");
	if (!(dest->access & MAPI_MODIFY) || ((ulFlags & FOLDER_MOVE) && !(o->access & MAPI_MODIFY)))
		return mapix_error(MAPI_E_NO_ACCESS, "CopyFolder: a folder was opened read-only");
	local_db_lock(db);
	if (FAILED(hr = folder_from_eid(o, cbEntryID, lpEntryID, &fid)) || FAILED(hr = local_db_begin_write(db)))
		goto out;
	if (FAILED(hr = read_row(db, fid, &r)))
		goto fail;
	if (r.parent != o->id) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "CopyFolder: not a subfolder of this folder");
		goto fail;
	}
	if (lpszNewFolderName)
		hr = name_arg(lpszNewFolderName, ulFlags, &name);
	else {
		SPropValue v;
		LPVOID root;
		if (SUCCEEDED(hr = MAPIAllocateBuffer(1, &root))) {
			hr = local_props_read(db, fid, PR_DISPLAY_NAME_A, root, &v, FALSE);
			if (SUCCEEDED(hr))
				hr = name_arg((LPTSTR)v.Value.lpszA, 0, &name);
			MAPIFreeBuffer(root);
		}
	}
	if (FAILED(hr))
		goto fail;
	if (SUCCEEDED(find_child(db, dest->id, name, &existing)) && existing != fid) {
		hr = mapix_error(MAPI_E_COLLISION, "CopyFolder: the destination has a folder named \"%s\"", name);
		goto fail;
	}
	if (ulFlags & FOLDER_MOVE) {
		if (fid < LOCAL_FID_FIRST_FREE) {
			hr = mapix_error(MAPI_E_NO_ACCESS, "CopyFolder: standard folders cannot be moved");
			goto fail;
		}
		if (is_descendant(db, dest->id, fid)) {
			hr = mapix_error(MAPI_E_FOLDER_CYCLE, "CopyFolder: cannot move a folder into itself");
			goto fail;
		}
		if (!(key = fold_name(name))) {
			hr = MAPI_E_NOT_ENOUGH_MEMORY;
			goto fail;
		}
		sqlite3_stmt *st;
		if (FAILED(hr = local_db_prepare(db, mv, &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)dest->id);
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
		if (FAILED(hr = step_done(db, st, "moving a folder")))
			goto fail;
		SPropValue dn = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = name};
		if (FAILED(hr = local_props_write(db, fid, &dn)))
			goto fail;
		if (dest->id != o->id &&
		    (FAILED(hr = adjust_children(db, o->id, -1)) || FAILED(hr = adjust_children(db, dest->id, 1))))
			goto fail;
		hr = touch_folder(db, fid, LOCAL_CHANGE_MOVE, dest->id, o->id);
	} else {
		if (is_descendant(db, dest->id, fid) && (ulFlags & COPY_SUBFOLDERS)) {
			hr = mapix_error(MAPI_E_FOLDER_CYCLE, "CopyFolder: cannot copy a folder tree into itself");
			goto fail;
		}
		hr = copy_tree(db, fid, dest->id, name, (ulFlags & COPY_SUBFOLDERS) != 0, 0, NULL);
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
fail:
		local_db_rollback(db);
out:
	local_db_unlock(db);
	if (name)
		MAPIFreeBuffer(name);
	free(key);
	return hr;
}

static HRESULT folder_EmptyFolder(IMAPIFolder *This, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "folder_EmptyFolder");
	static const char kids_sql[] = "SELECT fid FROM folders WHERE parent_fid = ?1";
	static const char msgs_sql[] = "SELECT mid FROM messages WHERE fid = ?1 AND associated <= ?2";
	local_object *o = FOLDER(This);
	local_db *db = o->logon->db;
	HRESULT hr;

	if (ulFlags & ~(FOLDER_DIALOG | DEL_ASSOCIATED | DELETE_HARD_DELETE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "EmptyFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "EmptyFolder: the folder was opened read-only");
	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	for (int l = 0; l < 2 && SUCCEEDED(hr); l++) {
		uint64_t *ids = NULL;
		size_t n = 0;
		sqlite3_stmt *st;
		if (FAILED(hr = local_db_prepare(db, l == 0 ? kids_sql : msgs_sql, &st)))
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
		if (l == 1)
			sqlite3_bind_int(st, 2, (ulFlags & DEL_ASSOCIATED) ? 1 : 0);
		hr = local_collect_ids(db, st, 1, &ids, &n, "emptying a folder");
		for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) {
			/* Standard folders below this one stay (they are emptied instead). */
			if (l == 0 && ids[i] < LOCAL_FID_FIRST_FREE)
				continue;
			hr = l == 0 ? delete_tree(db, ids[i], 0) : local_message_delete(db, ids[i]);
		}
		free(ids);
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	return hr;
}

/* ---- the folder object ---------------------------------------------------------------- */

static HRESULT folder_open_property(local_object *o, ULONG tag, LPCIID lpiid, ULONG opts, ULONG flags,
                                    LPUNKNOWN *lppUnk)
{
	(void)opts;
	if (PROP_ID(tag) != PROP_ID(PR_ACL_TABLE))
		return MAPI_E_NO_SUPPORT;
	if (PROP_TYPE(tag) != PT_OBJECT)
		return mapix_error(MAPI_E_INVALID_TYPE, "OpenProperty: the ACL opens as PR_ACL_TABLE (PT_OBJECT)");
	return local_acl_open(o, lpiid, flags, lppUnk);
}

static const IID *const folder_iids[] = {&IID_IMAPIFolder, &IID_IMAPIContainer, NULL};

static const local_object_ops folder_ops = {
	.kind = LOCAL_KIND_FOLDER,
	.obj_type = MAPI_FOLDER,
	.iids = folder_iids,
	.transacted = FALSE,
	.computed = folder_computed_prop,
	.computed_tags = folder_computed,
	.n_computed_tags = sizeof folder_computed / sizeof folder_computed[0],
	.write_hook = folder_write_hook,
	.open_property = folder_open_property,
};

static const IMAPIFolderVtbl folder_vtbl = {
	LOCAL_IMAPIPROP_METHODS(IMAPIFolder),
	.GetContentsTable = folder_GetContentsTable,
	.GetHierarchyTable = folder_GetHierarchyTable,
	.OpenEntry = folder_OpenEntry,
	.SetSearchCriteria = folder_SetSearchCriteria,
	.GetSearchCriteria = folder_GetSearchCriteria,
	.CreateMessage = folder_CreateMessage,
	.CopyMessages = folder_CopyMessages,
	.DeleteMessages = folder_DeleteMessages,
	.CreateFolder = folder_CreateFolder,
	.CopyFolder = folder_CopyFolder,
	.DeleteFolder = folder_DeleteFolder,
	.SetReadFlags = folder_SetReadFlags,
	.GetMessageStatus = folder_GetMessageStatus,
	.SetMessageStatus = folder_SetMessageStatus,
	.SaveContentsSort = folder_SaveContentsSort,
	.EmptyFolder = folder_EmptyFolder,
};
