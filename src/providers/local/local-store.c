/*
 * local-store.c — IMsgStore of the local store: the store object, its
 * computed properties, OpenEntry and CompareEntryIDs for the mailbox, the
 * receive-folder table, and what a new mailbox contains (the standard
 * folders and the properties that point to them).
 *
 * The store object is a local_object (local-object.c does IMAPIProp) whose
 * own stored properties live under object id LOCAL_STORE_OBJ; it writes
 * through like a folder. Its identity properties (entry ID, record key,
 * provider, the standard folders' entry IDs, capabilities, access) are
 * computed: standard folder ids are fixed (local-db.h), so nothing that
 * identifies the mailbox can drift from what the file holds.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-provider.h"
#include "local-schema.h"

/* PR_MDB_PROVIDER of every mapix local store ("mapx" "lo" "ca" "l-store"). */
static const BYTE LOCAL_STORE_PROVIDER_UID[16] = {0x78, 0x70, 0x61, 0x6d, 0x6f, 0x6c, 0x61, 0x63,
                                                  0x6c, 0x2d, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x01};

/* What the store really supports (PR_STORE_SUPPORT_MASK). Search folders,
 * categorized tables and RTF sync are not implemented, so their bits stay
 * clear; a read-only logon drops the modify/create bits and says so. */
#define LOCAL_STORE_SUPPORT                                                                                  \
	(STORE_ENTRYID_UNIQUE | STORE_MODIFY_OK | STORE_CREATE_OK | STORE_ATTACH_OK | STORE_MV_PROPS_OK |       \
	 STORE_RESTRICTION_OK | STORE_SORT_OK | STORE_UNICODE_OK | STORE_ANSI_OK | STORE_HTML_OK | STORE_NOTIFY_OK)

#define LOCAL_VALID_FOLDERS                                                                                  \
	(FOLDER_IPM_SUBTREE_VALID | FOLDER_IPM_INBOX_VALID | FOLDER_IPM_OUTBOX_VALID | FOLDER_IPM_WASTEBASKET_VALID | \
	 FOLDER_IPM_SENTMAIL_VALID | FOLDER_VIEWS_VALID | FOLDER_COMMON_VIEWS_VALID | FOLDER_FINDER_VALID)

#define STORE(This) ((local_object *)(This))

/* ---- computed properties ------------------------------------------------------------ */

static const ULONG store_computed_tags[] = {
	PR_ENTRYID,
	PR_STORE_ENTRYID,
	PR_RECORD_KEY,
	PR_STORE_RECORD_KEY,
	PR_MDB_PROVIDER,
	PR_OBJECT_TYPE,
	PR_STORE_SUPPORT_MASK,
	PR_STORE_STATE,
	PR_VALID_FOLDER_MASK,
	PR_IPM_SUBTREE_ENTRYID,
	PR_IPM_OUTBOX_ENTRYID,
	PR_IPM_SENTMAIL_ENTRYID,
	PR_IPM_WASTEBASKET_ENTRYID,
	PR_VIEWS_ENTRYID,
	PR_COMMON_VIEWS_ENTRYID,
	PR_FINDER_ENTRYID,
	PR_ACCESS,
	PR_ACCESS_LEVEL,
	PR_MAPIX_STORE_PATH_W,
};

static HRESULT bin_value(ULONG tag, const void *data, ULONG cb, LPVOID lpParent, LPSPropValue out)
{
	LPBYTE p = NULL;
	if (cb) {
		SCODE sc = MAPIAllocateMore(cb, lpParent, (LPVOID *)&p);
		if (FAILED(sc))
			return sc;
		memcpy(p, data, cb);
	}
	out->ulPropTag = tag;
	out->Value.bin.cb = cb;
	out->Value.bin.lpb = p;
	return S_OK;
}

static HRESULT folder_eid_value(local_db *db, ULONG tag, uint64_t fid, LPVOID lpParent, LPSPropValue out)
{
	BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE];
	mapix_entryid_make_folder(&db->mailbox_guid, fid, eid);
	return bin_value(tag, eid, sizeof eid, lpParent, out);
}

/* STORE_HAS_SEARCHES when the mailbox holds a search folder. */
static HRESULT store_state(local_db *db, LONG *state)
{
	static const char sql[] = "SELECT 1 FROM folders WHERE folder_type = ?1 LIMIT 1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int(st, 1, FOLDER_SEARCH);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return local_db_error(db, rc, "reading the store state");
	*state = rc == SQLITE_ROW ? (LONG)STORE_HAS_SEARCHES : 0;
	return S_OK;
}

static HRESULT store_computed(local_object *o, ULONG tag, LPVOID lpParent, LPSPropValue out)
{
	local_logon *logon = o->logon;
	local_db *db = logon->db;
	BOOL writable = (logon->flags & MDB_WRITE) != 0;
	HRESULT hr;

	out->dwAlignPad = 0;
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_ENTRYID):
	case PROP_ID(PR_STORE_ENTRYID): {
		ULONG cb;
		LPENTRYID eid;
		hr = mapix_entryid_make_store(logon->server, logon->account, lpParent, &cb, &eid);
		if (FAILED(hr))
			return hr;
		out->ulPropTag = PROP_ID(tag) == PROP_ID(PR_ENTRYID) ? PR_ENTRYID : PR_STORE_ENTRYID;
		out->Value.bin.cb = cb;
		out->Value.bin.lpb = (LPBYTE)eid;
		return S_OK;
	}
	case PROP_ID(PR_RECORD_KEY):
		return bin_value(PR_RECORD_KEY, &db->mailbox_guid, sizeof(GUID), lpParent, out);
	case PROP_ID(PR_STORE_RECORD_KEY):
		return bin_value(PR_STORE_RECORD_KEY, &db->mailbox_guid, sizeof(GUID), lpParent, out);
	case PROP_ID(PR_MDB_PROVIDER):
		return bin_value(PR_MDB_PROVIDER, LOCAL_STORE_PROVIDER_UID, sizeof LOCAL_STORE_PROVIDER_UID, lpParent, out);
	case PROP_ID(PR_OBJECT_TYPE):
		out->ulPropTag = PR_OBJECT_TYPE;
		out->Value.l = MAPI_STORE;
		return S_OK;
	case PROP_ID(PR_STORE_SUPPORT_MASK):
		out->ulPropTag = PR_STORE_SUPPORT_MASK;
		out->Value.l = (LONG)(writable ? LOCAL_STORE_SUPPORT
		                               : (LOCAL_STORE_SUPPORT & ~(ULONG)(STORE_MODIFY_OK | STORE_CREATE_OK)) |
		                                     STORE_READONLY);
		return S_OK;
	case PROP_ID(PR_STORE_STATE):
		out->ulPropTag = PR_STORE_STATE;
		return store_state(db, &out->Value.l);
	case PROP_ID(PR_VALID_FOLDER_MASK):
		out->ulPropTag = PR_VALID_FOLDER_MASK;
		out->Value.l = (LONG)LOCAL_VALID_FOLDERS;
		return S_OK;
	case PROP_ID(PR_IPM_SUBTREE_ENTRYID):
		return folder_eid_value(db, PR_IPM_SUBTREE_ENTRYID, LOCAL_FID_IPM_SUBTREE, lpParent, out);
	case PROP_ID(PR_IPM_OUTBOX_ENTRYID):
		return folder_eid_value(db, PR_IPM_OUTBOX_ENTRYID, LOCAL_FID_OUTBOX, lpParent, out);
	case PROP_ID(PR_IPM_SENTMAIL_ENTRYID):
		return folder_eid_value(db, PR_IPM_SENTMAIL_ENTRYID, LOCAL_FID_SENT, lpParent, out);
	case PROP_ID(PR_IPM_WASTEBASKET_ENTRYID):
		return folder_eid_value(db, PR_IPM_WASTEBASKET_ENTRYID, LOCAL_FID_DELETED, lpParent, out);
	case PROP_ID(PR_VIEWS_ENTRYID):
		return folder_eid_value(db, PR_VIEWS_ENTRYID, LOCAL_FID_VIEWS, lpParent, out);
	case PROP_ID(PR_COMMON_VIEWS_ENTRYID):
		return folder_eid_value(db, PR_COMMON_VIEWS_ENTRYID, LOCAL_FID_COMMON_VIEWS, lpParent, out);
	case PROP_ID(PR_FINDER_ENTRYID):
		return folder_eid_value(db, PR_FINDER_ENTRYID, LOCAL_FID_SEARCH_ROOT, lpParent, out);
	case PROP_ID(PR_ACCESS):
		out->ulPropTag = PR_ACCESS;
		out->Value.l = (LONG)(MAPI_ACCESS_READ |
		                      (writable ? MAPI_ACCESS_MODIFY | MAPI_ACCESS_DELETE | MAPI_ACCESS_CREATE_HIERARCHY |
		                                      MAPI_ACCESS_CREATE_CONTENTS | MAPI_ACCESS_CREATE_ASSOCIATED
		                                : 0));
		return S_OK;
	case PROP_ID(PR_ACCESS_LEVEL):
		out->ulPropTag = PR_ACCESS_LEVEL;
		out->Value.l = writable ? MAPI_MODIFY : 0;
		return S_OK;
	case PROP_ID(PR_MAPIX_STORE_PATH_W):
		/* The path as the file system has it: 8-bit requests get the
		 * bytes unchanged (file names need not be valid UTF-8). */
		if (PROP_TYPE(tag) == PT_STRING8) {
			size_t n = strlen(db->path) + 1;
			SCODE sc = MAPIAllocateMore((ULONG)n, lpParent, (LPVOID *)&out->Value.lpszA);
			if (FAILED(sc))
				return sc;
			memcpy(out->Value.lpszA, db->path, n);
			out->ulPropTag = PR_MAPIX_STORE_PATH_A;
			return S_OK;
		}
		out->ulPropTag = PR_MAPIX_STORE_PATH_W;
		return mapix_utf8_to_utf16(db->path, lpParent, &out->Value.lpszW);
	default:
		return MAPI_E_NOT_FOUND;
	}
}

static void store_destroy(local_object *o)
{
	if (o->logon->store == o)
		o->logon->store = NULL;
}

static const IID *const store_iids[] = {&IID_IMsgStore, NULL};

static const local_object_ops store_ops = {
	.kind = LOCAL_KIND_STORE,
	.obj_type = MAPI_STORE,
	.iids = store_iids,
	.transacted = FALSE,
	.computed = store_computed,
	.computed_tags = store_computed_tags,
	.n_computed_tags = sizeof store_computed_tags / sizeof store_computed_tags[0],
	.destroy = store_destroy,
};

/* ---- entry IDs ------------------------------------------------------------------------------ */

HRESULT local_store_compare_entryids(local_logon *logon, ULONG cb1, LPENTRYID eid1, ULONG cb2, LPENTRYID eid2,
                                     ULONG ulFlags, ULONG *lpulResult)
{
	enum mapix_entryid_kind k1, k2;
	GUID g1, g2;
	uint64_t f1 = 0, f2 = 0, m1 = 0, m2 = 0;
	HRESULT hr;
	(void)logon, (void)ulFlags;

	if (!lpulResult || !eid1 || !eid2)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CompareEntryIDs: NULL entry ID or result");
	*lpulResult = FALSE;
	if (FAILED(mapix_entryid_parse(cb1, eid1, &k1, &g1, &f1, &m1)) ||
	    FAILED(mapix_entryid_parse(cb2, eid2, &k2, &g2, &f2, &m2)))
		return mapix_error(MAPI_E_UNKNOWN_ENTRYID, "CompareEntryIDs: not an entry ID of a mapix store");
	if (k1 != k2)
		return S_OK;
	if (k1 == MAPIX_EID_STORE) {
		char s1[256], s2[256], d1[512], d2[512];
		if (FAILED(hr = mapix_entryid_parse_store(cb1, eid1, s1, sizeof s1, d1, sizeof d1)) ||
		    FAILED(hr = mapix_entryid_parse_store(cb2, eid2, s2, sizeof s2, d2, sizeof d2)))
			return hr;
		*lpulResult = strcasecmp(s1, s2) == 0 && strcasecmp(d1, d2) == 0;
		return S_OK;
	}
	/* Identity is (mailbox, folder, message), as OpenEntry resolves it (a
	 * message entry ID names the message in that folder); the flag bytes
	 * and padding of the entry ID are not part of it. */
	*lpulResult = memcmp(&g1, &g2, sizeof g1) == 0 && f1 == f2 && m1 == m2;
	return S_OK;
}

/* TRUE when a store entry ID names this logon's mailbox. */
static BOOL is_this_store(local_logon *logon, ULONG cb, const ENTRYID *eid)
{
	char server[256], dn[512];
	if (FAILED(mapix_entryid_parse_store(cb, eid, server, sizeof server, dn, sizeof dn))) {
		mapix_error_clear();
		return FALSE;
	}
	const char *account = mapix_mailbox_dn_account(dn);
	return account && strcasecmp(server, logon->server) == 0 && strcasecmp(account, logon->account) == 0;
}

HRESULT local_store_open_entry(local_logon *logon, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                               ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	enum mapix_entryid_kind kind = MAPIX_EID_FOLDER;
	GUID guid;
	uint64_t fid = LOCAL_FID_ROOT, mid = 0;
	local_object *o = NULL;
	HRESULT hr;

	if (!lpulObjType || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenEntry: NULL output pointer");
	*lppUnk = NULL;
	BOOL can_write = (logon->flags & MDB_WRITE) != 0;
	if ((ulFlags & MAPI_MODIFY) && !(ulFlags & MAPI_BEST_ACCESS) && !can_write)
		return mapix_error(MAPI_E_NO_ACCESS, "OpenEntry: MAPI_MODIFY on a store opened read-only");
	/* MAPI_BEST_ACCESS resolves here: the object gets MAPI_MODIFY exactly
	 * when the logon may write. */
	ULONG open_flags = ulFlags & ~(ULONG)(MAPI_MODIFY | MAPI_BEST_ACCESS);
	if ((ulFlags & (MAPI_MODIFY | MAPI_BEST_ACCESS)) && can_write)
		open_flags |= MAPI_MODIFY;

	if (cbEntryID && lpEntryID) {
		if (FAILED(hr = mapix_entryid_parse(cbEntryID, lpEntryID, &kind, &guid, &fid, &mid)))
			return hr;
		if (kind == MAPIX_EID_STORE) {
			local_object *store = logon->store;
			if (!store || !is_this_store(logon, cbEntryID, lpEntryID))
				return mapix_error(MAPI_E_INVALID_ENTRYID, "OpenEntry: the entry ID names another store");
			local_prop_AddRef(store);
			*lpulObjType = MAPI_STORE;
			*lppUnk = (LPUNKNOWN)store;
			return S_OK;
		}
		if (memcmp(&guid, &logon->db->mailbox_guid, sizeof guid) != 0)
			return mapix_error(MAPI_E_INVALID_ENTRYID, "OpenEntry: the entry ID belongs to another mailbox");
	} else if (cbEntryID || lpEntryID) {
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenEntry: entry ID size and pointer disagree");
	}

	/* The module open functions run under the caller's lock (they read
	 * the object's row). */
	local_db_lock(logon->db);
	if (kind == MAPIX_EID_FOLDER)
		hr = local_folder_open(logon, fid, open_flags, &o);
	else
		hr = local_message_open(logon, fid, mid, open_flags, &o);
	local_db_unlock(logon->db);
	if (FAILED(hr))
		return hr;
	*lpulObjType = o->ops->obj_type;
	*lppUnk = (LPUNKNOWN)o;
	return S_OK;
}

/* ---- receive folders ---------------------------------------------------------------------- */

/* A message class as UTF-8 (caller frees with MAPIFreeBuffer), validated
 * as MS-OXCSTOR asks: printable ASCII, no empty component. "" and NULL
 * are the default class. */
static HRESULT class_from_arg(LPTSTR lpszClass, ULONG ulFlags, const char *what, LPSTR *out)
{
	LPSTR s = NULL;
	SCODE sc;
	if (lpszClass && (ulFlags & MAPI_UNICODE)) {
		sc = mapix_utf16_to_utf8((const WCHAR *)(const void *)lpszClass, NULL, &s);
	} else {
		const char *a = lpszClass ? (const char *)lpszClass : "";
		size_t n = strlen(a) + 1;
		sc = MAPIAllocateBuffer((ULONG)n, (LPVOID *)&s);
		if (SUCCEEDED(sc))
			memcpy(s, a, n);
	}
	if (FAILED(sc))
		return mapix_error(sc, "%s: out of memory", what);
	size_t len = strlen(s);
	BOOL ok = len < 255 && (len == 0 || (s[0] != '.' && s[len - 1] != '.'));
	for (size_t i = 0; ok && i < len; i++)
		ok = s[i] >= 32 && s[i] <= 126 && !(s[i] == '.' && s[i + 1] == '.');
	if (!ok) {
		MAPIFreeBuffer(s);
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: \"%s\" is not a valid message class", what,
		                   lpszClass && !(ulFlags & MAPI_UNICODE) ? (const char *)lpszClass : "(unicode)");
	}
	*out = s;
	return S_OK;
}

/* The key a class is stored under: upper-cased, since message classes
 * compare case-insensitively (they are ASCII). */
static void class_key(const char *cls, char *key, size_t cap)
{
	size_t i = 0;
	for (; cls[i] && i + 1 < cap; i++)
		key[i] = (char)toupper((unsigned char)cls[i]);
	key[i] = '\0';
}

/* Finds the receive folder of the longest registered prefix of key (whole
 * dot-separated components), ending with the default "". */
static HRESULT receive_lookup(local_db *db, const char *key, char **explicit_class, uint64_t *fid)
{
	static const char sql[] = "SELECT r.class, r.fid FROM receive r JOIN folders f ON f.fid = r.fid"
	                          " WHERE r.class_key = ?1";
	char buf[256];
	size_t len = strlen(key);
	HRESULT hr;

	memcpy(buf, key, len + 1);
	for (;;) {
		sqlite3_stmt *st;
		if (FAILED(hr = local_db_prepare(db, sql, &st)))
			return hr;
		sqlite3_bind_text(st, 1, buf, (int)len, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *cls = (const char *)sqlite3_column_text(st, 0);
			*explicit_class = strdup(cls ? cls : "");
			*fid = (uint64_t)sqlite3_column_int64(st, 1);
			sqlite3_reset(st);
			if (!*explicit_class)
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetReceiveFolder: out of memory");
			return S_OK;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "looking up a receive folder");
		if (len == 0)
			return mapix_error(MAPI_E_NOT_FOUND, "%s: the mailbox has no default receive folder", db->path);
		while (len > 0 && buf[len - 1] != '.')
			len--;
		if (len > 0)
			len--; /* drop the dot */
		buf[len] = '\0';
	}
}

static HRESULT receive_set(local_db *db, const char *cls, uint64_t fid)
{
	static const char sql[] = "INSERT OR REPLACE INTO receive(class_key, class, fid) VALUES (?1, ?2, ?3)";
	char key[256];
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	class_key(cls, key, sizeof key);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, cls, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "setting a receive folder");
}

static HRESULT receive_delete(local_db *db, const char *cls)
{
	static const char sql[] = "DELETE FROM receive WHERE class_key = ?1";
	char key[256];
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	class_key(cls, key, sizeof key);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "removing a receive folder");
}

static HRESULT folder_exists(local_db *db, uint64_t fid, BOOL *exists)
{
	static const char sql[] = "SELECT 1 FROM folders WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return local_db_error(db, rc, "looking up a folder");
	*exists = rc == SQLITE_ROW;
	return S_OK;
}

static HRESULT store_SetReceiveFolder(IMsgStore *This, LPTSTR lpszMessageClass, ULONG ulFlags, ULONG cbEntryID,
                                      LPENTRYID lpEntryID)
{
	LOCAL_CHECK_CALLER(This, "store_SetReceiveFolder");
	local_logon *logon = STORE(This)->logon;
	local_db *db = logon->db;
	LPSTR cls = NULL;
	uint64_t fid = LOCAL_FID_INBOX;
	HRESULT hr;

	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "SetReceiveFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "SetReceiveFolder: the store was opened read-only");
	if (cbEntryID && lpEntryID) {
		enum mapix_entryid_kind kind;
		GUID guid;
		uint64_t mid;
		if (FAILED(hr = mapix_entryid_parse(cbEntryID, lpEntryID, &kind, &guid, &fid, &mid)))
			return hr;
		if (kind != MAPIX_EID_FOLDER || memcmp(&guid, &db->mailbox_guid, sizeof guid) != 0)
			return mapix_error(MAPI_E_INVALID_ENTRYID, "SetReceiveFolder: not a folder of this mailbox");
	} else if (cbEntryID || lpEntryID) {
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetReceiveFolder: entry ID size and pointer disagree");
	}
	if (FAILED(hr = class_from_arg(lpszMessageClass, ulFlags, "SetReceiveFolder", &cls)))
		return hr;

	local_db_lock(db);
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	if (!lpEntryID && *cls) {
		/* No folder: the class goes back to whatever its base classes
		 * (finally the default) say. */
		hr = receive_delete(db, cls);
	} else {
		/* No folder for the default class restores the Inbox. */
		BOOL exists = FALSE;
		hr = folder_exists(db, fid, &exists);
		if (SUCCEEDED(hr) && !exists)
			hr = mapix_error(MAPI_E_NOT_FOUND, "SetReceiveFolder: folder %llu does not exist",
			                 (unsigned long long)fid);
		if (SUCCEEDED(hr))
			hr = receive_set(db, cls, fid);
	}
	if (SUCCEEDED(hr))
		hr = local_db_commit(db);
	else
		local_db_rollback(db);
out:
	local_db_unlock(db);
	MAPIFreeBuffer(cls);
	return hr;
}

static HRESULT store_GetReceiveFolder(IMsgStore *This, LPTSTR lpszMessageClass, ULONG ulFlags, ULONG *lpcbEntryID,
                                      LPENTRYID *lppEntryID, LPTSTR *lppszExplicitClass)
{
	LOCAL_CHECK_CALLER(This, "store_GetReceiveFolder");
	local_db *db = STORE(This)->logon->db;
	LPSTR cls = NULL;
	char key[256];
	char *explicit_class = NULL;
	uint64_t fid = 0;
	HRESULT hr;

	if (lppszExplicitClass)
		*lppszExplicitClass = NULL;
	if (!lpcbEntryID || !lppEntryID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetReceiveFolder: NULL output pointer");
	*lpcbEntryID = 0;
	*lppEntryID = NULL;
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetReceiveFolder: unknown flags 0x%08X", (unsigned)ulFlags);
	if (FAILED(hr = class_from_arg(lpszMessageClass, ulFlags, "GetReceiveFolder", &cls)))
		return hr;
	class_key(cls, key, sizeof key);
	MAPIFreeBuffer(cls);

	local_db_lock(db);
	hr = local_db_begin_read(db);
	if (SUCCEEDED(hr)) {
		hr = receive_lookup(db, key, &explicit_class, &fid);
		local_db_end_read(db);
	}
	local_db_unlock(db);
	if (FAILED(hr))
		return hr;

	LPENTRYID eid = NULL;
	hr = MAPIAllocateBuffer(MAPIX_FOLDER_ENTRYID_SIZE, (LPVOID *)&eid);
	if (SUCCEEDED(hr)) {
		mapix_entryid_make_folder(&db->mailbox_guid, fid, (BYTE *)eid);
		if (lppszExplicitClass) {
			LPTSTR out = NULL;
			if (ulFlags & MAPI_UNICODE) {
				LPWSTR w = NULL;
				hr = mapix_utf8_to_utf16(explicit_class, NULL, &w);
				out = (LPTSTR)(void *)w;
			} else {
				size_t n = strlen(explicit_class) + 1;
				hr = MAPIAllocateBuffer((ULONG)n, (LPVOID *)&out);
				if (SUCCEEDED(hr))
					memcpy(out, explicit_class, n);
			}
			if (FAILED(hr)) {
				MAPIFreeBuffer(eid);
				eid = NULL;
			} else {
				*lppszExplicitClass = out;
			}
		}
	}
	free(explicit_class);
	if (FAILED(hr))
		return mapix_error(hr, "GetReceiveFolder: out of memory");
	*lpcbEntryID = MAPIX_FOLDER_ENTRYID_SIZE;
	*lppEntryID = eid;
	return S_OK;
}

/* One row of the receive folder table, built on its own allocation. */
static HRESULT receive_row(local_db *db, ULONG index, const char *cls, uint64_t fid, ULONG ulFlags, LPSRow row)
{
	LPSPropValue props = NULL;
	BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE];
	BYTE ikey[4] = {(BYTE)index, (BYTE)(index >> 8), (BYTE)(index >> 16), (BYTE)(index >> 24)};
	HRESULT hr = MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&props);
	if (FAILED(hr))
		return hr;
	memset(props, 0, 4 * sizeof(SPropValue));
	mapix_entryid_make_folder(&db->mailbox_guid, fid, eid);
	hr = bin_value(PR_INSTANCE_KEY, ikey, sizeof ikey, props, &props[0]);
	if (SUCCEEDED(hr))
		hr = bin_value(PR_ENTRYID, eid, sizeof eid, props, &props[1]);
	/* A folder's record key is its entry ID (design.md). */
	if (SUCCEEDED(hr))
		hr = bin_value(PR_RECORD_KEY, eid, sizeof eid, props, &props[2]);
	if (SUCCEEDED(hr)) {
		if (ulFlags & MAPI_UNICODE) {
			props[3].ulPropTag = PR_MESSAGE_CLASS_W;
			hr = mapix_utf8_to_utf16(cls, props, &props[3].Value.lpszW);
		} else {
			size_t n = strlen(cls) + 1;
			props[3].ulPropTag = PR_MESSAGE_CLASS_A;
			hr = MAPIAllocateMore((ULONG)n, props, (LPVOID *)&props[3].Value.lpszA);
			if (SUCCEEDED(hr))
				memcpy(props[3].Value.lpszA, cls, n);
		}
	}
	if (FAILED(hr)) {
		MAPIFreeBuffer(props);
		return hr;
	}
	row->cValues = 4;
	row->lpProps = props;
	return S_OK;
}

static HRESULT store_GetReceiveFolderTable(IMsgStore *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	LOCAL_CHECK_CALLER(This, "store_GetReceiveFolderTable");
	static const char sql[] = "SELECT r.class, r.fid FROM receive r JOIN folders f ON f.fid = r.fid"
	                          " ORDER BY r.class_key";
	local_db *db = STORE(This)->logon->db;
	LPTABLEDATA td = NULL;
	sqlite3_stmt *st = NULL;
	HRESULT hr;
	SizedSPropTagArray(4, cols) = {4, {PR_INSTANCE_KEY, PR_ENTRYID, PR_RECORD_KEY, PR_MESSAGE_CLASS_A}};

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetReceiveFolderTable: NULL output pointer");
	*lppTable = NULL;
	if (ulFlags & ~(MAPI_UNICODE | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetReceiveFolderTable: unknown flags 0x%08X", (unsigned)ulFlags);
	if (ulFlags & MAPI_UNICODE)
		cols.aulPropTag[3] = PR_MESSAGE_CLASS_W;
	hr = CreateTable(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_SNAPSHOT,
	                 PR_INSTANCE_KEY, (LPSPropTagArray)&cols, &td);
	if (FAILED(hr))
		return hr;

	/* The table is a snapshot: read the rows in one short read
	 * transaction and hand them to the in-memory table. */
	local_db_lock(db);
	hr = local_db_begin_read(db);
	if (SUCCEEDED(hr)) {
		hr = local_db_prepare(db, sql, &st);
		ULONG i = 0;
		while (SUCCEEDED(hr)) {
			int rc = sqlite3_step(st);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW) {
				hr = local_db_error(db, rc, "reading the receive folder table");
				break;
			}
			const char *cls = (const char *)sqlite3_column_text(st, 0);
			SRow row;
			hr = receive_row(db, i + 1, cls ? cls : "", (uint64_t)sqlite3_column_int64(st, 1), ulFlags, &row);
			if (SUCCEEDED(hr)) {
				hr = ITableData_HrInsertRow(td, i, &row);
				MAPIFreeBuffer(row.lpProps);
				i++;
			}
		}
		if (st)
			sqlite3_reset(st);
		local_db_end_read(db);
	}
	local_db_unlock(db);
	if (SUCCEEDED(hr))
		hr = ITableData_HrGetView(td, NULL, NULL, 0, lppTable);
	/* The view holds its own reference on the table data. */
	ITableData_Release(td);
	return hr;
}

/* ---- IMsgStore ---------------------------------------------------------------------------------- */

static HRESULT store_QueryInterface(IMsgStore *This, REFIID riid, LPVOID *ppvObj)
{
	if (riid && ppvObj && IsEqualIID(riid, &IID_IMAPIXChangeJournal)) {
		*ppvObj = NULL;
		return local_journal_open(STORE(This)->logon, ppvObj);
	}
	return local_prop_QueryInterface(This, riid, ppvObj);
}

static ULONG store_AddRef(IMsgStore *This)
{
	return local_prop_AddRef(This);
}

static ULONG store_Release(IMsgStore *This)
{
	return local_prop_Release(This);
}

static HRESULT store_Advise(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                            LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	LOCAL_CHECK_CALLER(This, "store_Advise");
	return local_logon_advise(STORE(This)->logon, cbEntryID, lpEntryID, ulEventMask, lpAdviseSink, lpulConnection);
}

static HRESULT store_Unadvise(IMsgStore *This, ULONG_PTR ulConnection)
{
	LOCAL_CHECK_CALLER(This, "store_Unadvise");
	return local_logon_unadvise(STORE(This)->logon, ulConnection);
}

static HRESULT store_CompareEntryIDs(IMsgStore *This, ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                     LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult)
{
	LOCAL_CHECK_CALLER(This, "store_CompareEntryIDs");
	return local_store_compare_entryids(STORE(This)->logon, cbEntryID1, lpEntryID1, cbEntryID2, lpEntryID2, ulFlags,
	                                    lpulResult);
}

static HRESULT store_OpenEntry(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                               ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	LOCAL_CHECK_CALLER(This, "store_OpenEntry");
	LPUNKNOWN unk = NULL;
	ULONG type = 0;
	if (!lpulObjType || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMsgStore::OpenEntry: NULL output pointer");
	*lppUnk = NULL;
	HRESULT hr = local_store_open_entry(STORE(This)->logon, cbEntryID, lpEntryID, ulFlags, &type, &unk);
	if (FAILED(hr))
		return hr;
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IUnknown)) {
		LPUNKNOWN asked = NULL;
		HRESULT qhr = unk->lpVtbl->QueryInterface(unk, lpInterface, (LPVOID *)&asked);
		unk->lpVtbl->Release(unk);
		if (FAILED(qhr))
			return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED,
			                   "IMsgStore::OpenEntry: the object has no such interface");
		unk = asked;
	}
	*lpulObjType = type;
	*lppUnk = unk;
	return S_OK;
}

static HRESULT store_StoreLogoff(IMsgStore *This, ULONG *lpulFlags)
{
	LOCAL_CHECK_CALLER(This, "store_StoreLogoff");
	(void)This;
	if (!lpulFlags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "StoreLogoff: NULL flags");
	/* Nothing is ever pending (no spooler, no queues): the logoff is
	 * complete whenever the last object is released. */
	*lpulFlags = 0;
	return S_OK;
}

static HRESULT store_AbortSubmit(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "store_AbortSubmit");
	(void)This, (void)cbEntryID, (void)lpEntryID, (void)ulFlags;
	return mapix_error(MAPI_E_NO_SUPPORT, "AbortSubmit: the local store has no outgoing queue");
}

static HRESULT store_GetOutgoingQueue(IMsgStore *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	LOCAL_CHECK_CALLER(This, "store_GetOutgoingQueue");
	(void)This, (void)ulFlags;
	if (lppTable)
		*lppTable = NULL;
	return mapix_error(MAPI_E_NO_SUPPORT, "GetOutgoingQueue: the local store has no outgoing queue");
}

static HRESULT store_SetLockState(IMsgStore *This, LPMESSAGE lpMessage, ULONG ulLockState)
{
	LOCAL_CHECK_CALLER(This, "store_SetLockState");
	(void)This, (void)lpMessage, (void)ulLockState;
	return mapix_error(MAPI_E_NO_SUPPORT, "SetLockState: the local store has no outgoing queue");
}

static HRESULT store_FinishedMsg(IMsgStore *This, ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID)
{
	LOCAL_CHECK_CALLER(This, "store_FinishedMsg");
	(void)This, (void)ulFlags, (void)cbEntryID, (void)lpEntryID;
	return mapix_error(MAPI_E_NO_SUPPORT, "FinishedMsg: the local store has no outgoing queue");
}

static HRESULT store_NotifyNewMail(IMsgStore *This, LPNOTIFICATION lpNotification)
{
	LOCAL_CHECK_CALLER(This, "store_NotifyNewMail");
	if (!lpNotification || lpNotification->ulEventType != fnevNewMail)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "NotifyNewMail: not a new-mail notification");
	local_logon_notify(STORE(This)->logon, fnevNewMail, lpNotification);
	return S_OK;
}

static const IMsgStoreVtbl local_store_vtbl = {
	.QueryInterface = store_QueryInterface,
	.AddRef = store_AddRef,
	.Release = store_Release,
	.GetLastError = (void *)local_prop_GetLastError,
	.SaveChanges = (void *)local_prop_SaveChanges,
	.GetProps = (void *)local_prop_GetProps,
	.GetPropList = (void *)local_prop_GetPropList,
	.OpenProperty = (void *)local_prop_OpenProperty,
	.SetProps = (void *)local_prop_SetProps,
	.DeleteProps = (void *)local_prop_DeleteProps,
	.CopyTo = (void *)local_prop_CopyTo,
	.CopyProps = (void *)local_prop_CopyProps,
	.GetNamesFromIDs = (void *)local_prop_GetNamesFromIDs,
	.GetIDsFromNames = (void *)local_prop_GetIDsFromNames,
	.Advise = store_Advise,
	.Unadvise = store_Unadvise,
	.CompareEntryIDs = store_CompareEntryIDs,
	.OpenEntry = store_OpenEntry,
	.SetReceiveFolder = store_SetReceiveFolder,
	.GetReceiveFolder = store_GetReceiveFolder,
	.GetReceiveFolderTable = store_GetReceiveFolderTable,
	.StoreLogoff = store_StoreLogoff,
	.AbortSubmit = store_AbortSubmit,
	.GetOutgoingQueue = store_GetOutgoingQueue,
	.SetLockState = store_SetLockState,
	.FinishedMsg = store_FinishedMsg,
	.NotifyNewMail = store_NotifyNewMail,
};

HRESULT local_store_new(local_logon *logon, local_object **out)
{
	local_object *o;
	HRESULT hr = local_object_new(logon, &store_ops, &local_store_vtbl, sizeof *o, &o);
	if (FAILED(hr))
		return hr;
	o->id = LOCAL_STORE_OBJ;
	o->access = (logon->flags & MDB_WRITE) ? MAPI_MODIFY : 0;
	logon->store = o;
	*out = o;
	return S_OK;
}

local_logon *local_store_logon(LPMDB lpMDB)
{
	if (!lpMDB || lpMDB->lpVtbl != &local_store_vtbl)
		return NULL;
	return STORE(lpMDB)->logon;
}

/* ---- a new mailbox ------------------------------------------------------------------------------- */

/* The standard folders, as Exchange lays them out: the IPM folders under
 * "Top of Information Store", the search root and the view folders
 * directly under the root. */
static const struct std_folder {
	uint64_t fid, parent;
	const char *name;
	ULONG type;
	const char *container_class;
} STD_FOLDERS[] = {
	{LOCAL_FID_ROOT, 0, "", FOLDER_ROOT, NULL},
	{LOCAL_FID_IPM_SUBTREE, LOCAL_FID_ROOT, "Top of Information Store", FOLDER_GENERIC, NULL},
	{LOCAL_FID_INBOX, LOCAL_FID_IPM_SUBTREE, "Inbox", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_OUTBOX, LOCAL_FID_IPM_SUBTREE, "Outbox", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_SENT, LOCAL_FID_IPM_SUBTREE, "Sent Items", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_DELETED, LOCAL_FID_IPM_SUBTREE, "Deleted Items", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_DRAFTS, LOCAL_FID_IPM_SUBTREE, "Drafts", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_CONTACTS, LOCAL_FID_IPM_SUBTREE, "Contacts", FOLDER_GENERIC, "IPF.Contact"},
	{LOCAL_FID_CALENDAR, LOCAL_FID_IPM_SUBTREE, "Calendar", FOLDER_GENERIC, "IPF.Appointment"},
	{LOCAL_FID_JOURNAL, LOCAL_FID_IPM_SUBTREE, "Journal", FOLDER_GENERIC, "IPF.Journal"},
	{LOCAL_FID_NOTES, LOCAL_FID_IPM_SUBTREE, "Notes", FOLDER_GENERIC, "IPF.StickyNote"},
	{LOCAL_FID_TASKS, LOCAL_FID_IPM_SUBTREE, "Tasks", FOLDER_GENERIC, "IPF.Task"},
	{LOCAL_FID_JUNK, LOCAL_FID_IPM_SUBTREE, "Junk E-mail", FOLDER_GENERIC, "IPF.Note"},
	{LOCAL_FID_SEARCH_ROOT, LOCAL_FID_ROOT, "Finder", FOLDER_GENERIC, NULL},
	{LOCAL_FID_VIEWS, LOCAL_FID_ROOT, "Views", FOLDER_GENERIC, NULL},
	{LOCAL_FID_COMMON_VIEWS, LOCAL_FID_ROOT, "Common Views", FOLDER_GENERIC, NULL},
};

/* Entry IDs the Inbox and the root both carry (MS-OXOSFLD 2.2). */
static const struct {
	ULONG tag;
	uint64_t fid;
} SPECIAL_FOLDER_PROPS[] = {
	{PR_IPM_APPOINTMENT_ENTRYID, LOCAL_FID_CALENDAR}, {PR_IPM_CONTACT_ENTRYID, LOCAL_FID_CONTACTS},
	{PR_IPM_DRAFTS_ENTRYID, LOCAL_FID_DRAFTS},         {PR_IPM_JOURNAL_ENTRYID, LOCAL_FID_JOURNAL},
	{PR_IPM_NOTE_ENTRYID, LOCAL_FID_NOTES},            {PR_IPM_TASK_ENTRYID, LOCAL_FID_TASKS},
};

/* PR_ADDITIONAL_REN_ENTRYIDS indexes (MS-OXOSFLD 2.2.4): 0 Conflicts,
 * 1 Sync Issues, 2 Local Failures, 3 Server Failures, 4 Junk E-mail.
 * mapix makes only the Junk E-mail folder; the others stay empty. */
#define REN_JUNK_INDEX 4
#define REN_COUNT 5

/* The default receive folders (MAPI: the Inbox for IPM, reports and the
 * empty class; the root for IPC). */
static const struct {
	const char *cls;
	uint64_t fid;
} DEFAULT_RECEIVE[] = {
	{"", LOCAL_FID_INBOX},
	{"IPM", LOCAL_FID_INBOX},
	{"Report.IPM", LOCAL_FID_INBOX},
	{"IPC", LOCAL_FID_ROOT},
};

static HRESULT write_special_folder_props(local_db *db, uint64_t obj)
{
	BYTE eids[sizeof SPECIAL_FOLDER_PROPS / sizeof SPECIAL_FOLDER_PROPS[0]][MAPIX_FOLDER_ENTRYID_SIZE];
	BYTE junk[MAPIX_FOLDER_ENTRYID_SIZE];
	SBinary ren[REN_COUNT];
	SPropValue v;
	HRESULT hr;

	for (size_t i = 0; i < sizeof SPECIAL_FOLDER_PROPS / sizeof SPECIAL_FOLDER_PROPS[0]; i++) {
		mapix_entryid_make_folder(&db->mailbox_guid, SPECIAL_FOLDER_PROPS[i].fid, eids[i]);
		memset(&v, 0, sizeof v);
		v.ulPropTag = SPECIAL_FOLDER_PROPS[i].tag;
		v.Value.bin.cb = MAPIX_FOLDER_ENTRYID_SIZE;
		v.Value.bin.lpb = eids[i];
		if (FAILED(hr = local_props_write(db, obj, &v)))
			return hr;
	}
	static BYTE empty[1];
	for (int i = 0; i < REN_COUNT; i++) {
		ren[i].cb = 0;
		ren[i].lpb = empty;
	}
	mapix_entryid_make_folder(&db->mailbox_guid, LOCAL_FID_JUNK, junk);
	ren[REN_JUNK_INDEX].cb = sizeof junk;
	ren[REN_JUNK_INDEX].lpb = junk;
	memset(&v, 0, sizeof v);
	v.ulPropTag = PR_ADDITIONAL_REN_ENTRYIDS;
	v.Value.MVbin.cValues = REN_COUNT;
	v.Value.MVbin.lpbin = ren;
	return local_props_write(db, obj, &v);
}

HRESULT local_store_init_mailbox(local_db *db)
{
	HRESULT hr;
	SPropValue v;

	for (size_t i = 0; i < sizeof STD_FOLDERS / sizeof STD_FOLDERS[0]; i++) {
		const struct std_folder *f = &STD_FOLDERS[i];
		uint64_t fid = 0;
		if (FAILED(hr = local_folder_insert(db, f->parent, f->name, f->type, f->fid, &fid)))
			return hr;
		if (fid != f->fid)
			return mapix_error(MAPI_E_CALL_FAILED, "%s: standard folder \"%s\" got id %llu instead of %llu",
			                   db->path, f->name, (unsigned long long)fid, (unsigned long long)f->fid);
		if (f->container_class) {
			memset(&v, 0, sizeof v);
			v.ulPropTag = PR_CONTAINER_CLASS_A;
			v.Value.lpszA = (LPSTR)f->container_class;
			if (FAILED(hr = local_props_write(db, f->fid, &v)))
				return hr;
		}
	}
	if (FAILED(hr = write_special_folder_props(db, LOCAL_FID_INBOX)) ||
	    FAILED(hr = write_special_folder_props(db, LOCAL_FID_ROOT)))
		return hr;
	for (size_t i = 0; i < sizeof DEFAULT_RECEIVE / sizeof DEFAULT_RECEIVE[0]; i++)
		if (FAILED(hr = receive_set(db, DEFAULT_RECEIVE[i].cls, DEFAULT_RECEIVE[i].fid)))
			return hr;
	memset(&v, 0, sizeof v);
	v.ulPropTag = PR_DISPLAY_NAME_A;
	v.Value.lpszA = (LPSTR) "Mailbox";
	return local_props_write(db, LOCAL_STORE_OBJ, &v);
}
