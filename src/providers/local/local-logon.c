/*
 * local-logon.c — the local store as a MAPI service provider: the
 * MSProviderInit-shaped entry point, IMSProvider (Logon reads the mailbox
 * path from the provider's profile section), the IMSLogon object, and the
 * lifetime of one open mailbox (local_logon).
 *
 * Lifetime. A local_logon is reference counted: the IMSLogon handed to
 * MAPI holds one reference, the IMsgStore holds one, and every open
 * folder, message, attachment, table or journal holds one (local_object_new
 * takes it). The last release closes the database and releases the
 * support object, so objects may outlive the store object itself, as MAPI
 * clients sometimes make them.
 *
 * Notifications go through the support object: Advise subscribes a sink
 * under a NOTIFKEY made from the entry ID's parsed identity (so every
 * spelling of an entry ID reaches the same sinks), and local_logon_notify
 * notifies the keys of the object, its parent, its old parent and the
 * store. The subsystem's support object (or the standalone one) delivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-provider.h"
#include "local-schema.h"
#include "subsystem/instance.h"

/* ---- notification keys ------------------------------------------------------------ */

/* A key: a kind byte, the mailbox GUID and the object id (little endian).
 * Entry IDs of this mailbox become keys by identity; anything else keeps
 * its bytes (after the flags) so that it still matches itself. */
#define KEY_ID_SIZE (1 + 16 + 8)

typedef struct {
	ULONG cb;
	BYTE ab[256];
} local_notifkey;

static void key_for_store(local_logon *logon, local_notifkey *k)
{
	k->ab[0] = 'S';
	memcpy(k->ab + 1, &logon->db->mailbox_guid, 16);
	k->cb = 17;
}

static void key_for_id(local_logon *logon, BYTE kind, uint64_t id, local_notifkey *k)
{
	k->ab[0] = kind;
	memcpy(k->ab + 1, &logon->db->mailbox_guid, 16);
	for (int i = 0; i < 8; i++)
		k->ab[17 + i] = (BYTE)(id >> (8 * i));
	k->cb = KEY_ID_SIZE;
}

/* FALSE when the entry ID cannot be keyed (too long to be anything of ours). */
static BOOL key_for_entryid(local_logon *logon, ULONG cb, const ENTRYID *eid, local_notifkey *k)
{
	enum mapix_entryid_kind kind;
	GUID guid;
	uint64_t fid, mid;

	if (cb == 0 || !eid) {
		key_for_store(logon, k);
		return TRUE;
	}
	if (SUCCEEDED(mapix_entryid_parse(cb, eid, &kind, &guid, &fid, &mid))) {
		if (kind == MAPIX_EID_STORE) {
			key_for_store(logon, k);
			return TRUE;
		}
		if (memcmp(&guid, &logon->db->mailbox_guid, sizeof guid) == 0) {
			key_for_id(logon, kind == MAPIX_EID_FOLDER ? 'F' : 'M', kind == MAPIX_EID_FOLDER ? fid : mid, k);
			return TRUE;
		}
	}
	mapix_error_clear();
	if (cb < 4 || cb - 4 + 1 > sizeof k->ab)
		return FALSE;
	k->ab[0] = 'R';
	memcpy(k->ab + 1, (const BYTE *)eid + 4, cb - 4);
	k->cb = cb - 4 + 1;
	return TRUE;
}

HRESULT local_logon_advise(local_logon *logon, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                           LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	local_notifkey k;
	if (!lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: NULL sink or connection");
	if (ulEventMask == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: empty event mask");
	if (!logon->support)
		return mapix_error(MAPI_E_NO_SUPPORT, "Advise: the store has no support object");
	if (!key_for_entryid(logon, cbEntryID, lpEntryID, &k))
		return mapix_error(MAPI_E_INVALID_ENTRYID, "Advise: entry ID of %u bytes is not one of this store",
		                   (unsigned)cbEntryID);
	HRESULT hr = local_watch_start(logon);
	if (FAILED(hr))
		return hr;
	return IMAPISupport_Subscribe(logon->support, (LPNOTIFKEY)&k, ulEventMask, 0, lpAdviseSink, lpulConnection);
}

HRESULT local_logon_unadvise(local_logon *logon, ULONG_PTR ulConnection)
{
	if (!logon->support)
		return mapix_error(MAPI_E_NO_SUPPORT, "Unadvise: the store has no support object");
	if (ulConnection == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Unadvise: connection 0");
	return IMAPISupport_Unsubscribe(logon->support, ulConnection);
}

/* Call it after the change is committed and with the mailbox lock
 * released: the support object may call sinks synchronously, and a sink
 * may call back into the store. */
void local_logon_notify(local_logon *logon, ULONG ulEventType, const NOTIFICATION *n)
{
	local_notifkey keys[4];
	int nkeys = 0;
	NOTIFICATION copy;

	if (!logon || !logon->support || !n)
		return;
	copy = *n;
	copy.ulEventType = ulEventType;

	/* The object, its parent and (for moves) its old parent, then the
	 * whole store; each key once. */
	struct {
		ULONG cb;
		const ENTRYID *eid;
	} ids[3] = {{0, NULL}, {0, NULL}, {0, NULL}};
	if (ulEventType == fnevNewMail) {
		ids[0].cb = n->info.newmail.cbEntryID, ids[0].eid = n->info.newmail.lpEntryID;
		ids[1].cb = n->info.newmail.cbParentID, ids[1].eid = n->info.newmail.lpParentID;
	} else if (ulEventType & (fnevObjectCreated | fnevObjectDeleted | fnevObjectModified | fnevObjectMoved |
	                          fnevObjectCopied | fnevSearchComplete)) {
		ids[0].cb = n->info.obj.cbEntryID, ids[0].eid = n->info.obj.lpEntryID;
		ids[1].cb = n->info.obj.cbParentID, ids[1].eid = n->info.obj.lpParentID;
		ids[2].cb = n->info.obj.cbOldParentID, ids[2].eid = n->info.obj.lpOldParentID;
	}
	for (int i = 0; i < 3; i++) {
		if (ids[i].cb == 0 || !ids[i].eid || !key_for_entryid(logon, ids[i].cb, ids[i].eid, &keys[nkeys]))
			continue;
		BOOL dup = FALSE;
		for (int j = 0; j < nkeys; j++)
			dup |= keys[j].cb == keys[nkeys].cb && memcmp(keys[j].ab, keys[nkeys].ab, keys[j].cb) == 0;
		if (!dup)
			nkeys++;
	}
	key_for_store(logon, &keys[nkeys]);
	BOOL dup = FALSE;
	for (int j = 0; j < nkeys; j++)
		dup |= keys[j].cb == keys[nkeys].cb && memcmp(keys[j].ab, keys[nkeys].ab, keys[j].cb) == 0;
	if (!dup)
		nkeys++;
	for (int i = 0; i < nkeys; i++) {
		ULONG flags = 0;
		IMAPISupport_Notify(logon->support, (LPNOTIFKEY)&keys[i], 1, &copy, &flags);
	}
}

/* ---- opening and closing a mailbox ---------------------------------------------------- */

static const IMSLogonVtbl local_mslogon_vtbl;

/* Reads a text value of the meta table, or NULL (caller frees). */
static char *meta_text(local_db *db, const char *key)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *st;
	char *out = NULL;
	if (FAILED(local_db_prepare(db, sql, &st))) {
		mapix_error_clear();
		return NULL;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (v && *v)
			out = strdup(v);
	}
	sqlite3_reset(st);
	return out;
}

/* TRUE when the mailbox still lacks its standard folders: a new file, or
 * one whose creator stopped between making the schema and the folders. */
static HRESULT needs_init(local_db *db, BOOL *needed)
{
	static const char sql[] = "SELECT 1 FROM folders WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, LOCAL_FID_ROOT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return local_db_error(db, rc, "looking for the root folder");
	*needed = rc == SQLITE_DONE;
	return S_OK;
}

HRESULT local_logon_open(const char *path, ULONG flags, LPMAPISUP support, local_logon **out)
{
	local_logon *logon = NULL;
	local_db *db = NULL;
	HRESULT hr;
	int created = 0;
	BOOL want_write = (flags & MDB_WRITE) != 0;
	BOOL best = (flags & MAPI_BEST_ACCESS) != 0;
	BOOL create = (flags & MAPIX_STORE_CREATE) != 0;
	ULONG db_flags = create ? LOCAL_DB_CREATE : 0;

	*out = NULL;
	if (!path || !*path)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "local store: no mailbox path");
	/* A plain read-only open gets a read-only connection, so nothing can
	 * write the file by accident; MAPI_BEST_ACCESS takes what it can. */
	if (!want_write && !best && !create)
		db_flags |= LOCAL_DB_READONLY;
	if (FAILED(hr = local_db_open(path, db_flags, &db, &created)))
		return hr;

	BOOL writable = !(db_flags & LOCAL_DB_READONLY) && !sqlite3_db_readonly(db->db, "main");
	if (want_write && !writable) {
		hr = mapix_error(MAPI_E_NO_ACCESS, "%s: the mailbox cannot be opened for writing", path);
		goto fail;
	}

	local_db_lock(db);
	BOOL init = created;
	if (!init && writable && FAILED(hr = needs_init(db, &init))) {
		local_db_unlock(db);
		goto fail;
	}
	if (init) {
		hr = local_db_begin_write(db);
		if (SUCCEEDED(hr)) {
			/* Check again under the write lock: another process may be
			 * initializing the same new file. */
			BOOL still = TRUE;
			hr = created ? S_OK : needs_init(db, &still);
			if (SUCCEEDED(hr) && still)
				hr = local_store_init_mailbox(db);
			if (SUCCEEDED(hr))
				hr = local_db_commit(db);
			else
				local_db_rollback(db);
		}
	}
	local_db_unlock(db);
	if (FAILED(hr))
		goto fail;

	logon = calloc(1, sizeof *logon);
	if (!logon) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", path);
		goto fail;
	}
	logon->ms_logon.lpVtbl = &local_mslogon_vtbl;
	atomic_init(&logon->refs, 1);
	logon->db = db;
	/* MAPIX_STORE_CREATE needs a writable connection but does not make
	 * the logon writable: that takes MDB_WRITE or MAPI_BEST_ACCESS. */
	logon->flags = (flags & ~(ULONG)(MDB_WRITE | MAPI_BEST_ACCESS | MAPIX_STORE_CREATE)) |
	               (writable && (want_write || best) ? MDB_WRITE : 0);
	local_db_lock(db);
	logon->server = meta_text(db, "server");
	logon->account = meta_text(db, "account");
	local_db_unlock(db);
	if (!logon->server)
		logon->server = strdup("local");
	if (!logon->account) {
		const BYTE *g = (const BYTE *)&db->mailbox_guid;
		char hex[33];
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", g[i]);
		logon->account = strdup(hex);
	}
	if (!logon->server || !logon->account) {
		free(logon->server);
		free(logon->account);
		free(logon);
		logon = NULL;
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", path);
		goto fail;
	}
	if (support) {
		IMAPISupport_AddRef(support);
		logon->support = support;
	}
	pthread_mutex_init(&logon->watch_lock, NULL);
	logon->inotify_fd = -1;
	logon->inst = mapix_instance_current(TRUE);
	*out = logon;
	return S_OK;
fail:
	local_db_close(db);
	return hr;
}

void local_logon_release(local_logon *logon)
{
	if (!logon || atomic_fetch_sub(&logon->refs, 1) != 1)
		return;
	local_watch_stop(logon);
	local_db_close(logon->db);
	mapix_instance_release(logon->inst);
	pthread_mutex_destroy(&logon->watch_lock);
	if (logon->support)
		IMAPISupport_Release(logon->support);
	free(logon->server);
	free(logon->account);
	free(logon);
}

/* ---- IMSLogon ---------------------------------------------------------------------------- */

#define LOGON(This) ((local_logon *)(This))

static HRESULT mslogon_QueryInterface(IMSLogon *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSLogon::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMSLogon))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&LOGON(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG mslogon_AddRef(IMSLogon *This)
{
	return (ULONG)atomic_fetch_add(&LOGON(This)->refs, 1) + 1;
}

static ULONG mslogon_Release(IMSLogon *This)
{
	ULONG left = (ULONG)atomic_load(&LOGON(This)->refs) - 1;
	local_logon_release(LOGON(This));
	return left;
}

static HRESULT mslogon_GetLastError(IMSLogon *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	(void)This;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSLogon::GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return MAPI_E_UNKNOWN_FLAGS;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix local store", lppMAPIError);
}

static HRESULT mslogon_Logoff(IMSLogon *This, ULONG *lpulFlags)
{
	(void)This;
	/* Nothing is cached or queued: the mailbox closes with the last
	 * reference, whatever order the objects are released in. */
	if (lpulFlags)
		*lpulFlags = 0;
	return S_OK;
}

static HRESULT mslogon_OpenEntry(IMSLogon *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                 ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	local_logon *logon = LOGON(This);
	LPUNKNOWN unk = NULL;
	ULONG type = 0;
	if (!lpulObjType || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSLogon::OpenEntry: NULL output pointer");
	*lppUnk = NULL;
	HRESULT hr = local_store_open_entry(logon, cbEntryID, lpEntryID, ulFlags, &type, &unk);
	if (FAILED(hr))
		return hr;
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IUnknown)) {
		LPUNKNOWN asked = NULL;
		HRESULT qhr = unk->lpVtbl->QueryInterface(unk, lpInterface, (LPVOID *)&asked);
		unk->lpVtbl->Release(unk);
		if (FAILED(qhr))
			return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IMSLogon::OpenEntry: the object has no such interface");
		unk = asked;
	}
	*lpulObjType = type;
	*lppUnk = unk;
	return hr;
}

static HRESULT mslogon_CompareEntryIDs(IMSLogon *This, ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                       LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult)
{
	return local_store_compare_entryids(LOGON(This), cbEntryID1, lpEntryID1, cbEntryID2, lpEntryID2, ulFlags,
	                                    lpulResult);
}

static HRESULT mslogon_Advise(IMSLogon *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                              LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	return local_logon_advise(LOGON(This), cbEntryID, lpEntryID, ulEventMask, lpAdviseSink, lpulConnection);
}

static HRESULT mslogon_Unadvise(IMSLogon *This, ULONG_PTR ulConnection)
{
	return local_logon_unadvise(LOGON(This), ulConnection);
}

static HRESULT mslogon_OpenStatusEntry(IMSLogon *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType,
                                       LPVOID *lppEntry)
{
	(void)This, (void)lpInterface, (void)ulFlags, (void)lpulObjType, (void)lppEntry;
	return mapix_error(MAPI_E_NO_SUPPORT, "IMSLogon::OpenStatusEntry: the local store has no status object");
}

static const IMSLogonVtbl local_mslogon_vtbl = {
	.QueryInterface = mslogon_QueryInterface,
	.AddRef = mslogon_AddRef,
	.Release = mslogon_Release,
	.GetLastError = mslogon_GetLastError,
	.Logoff = mslogon_Logoff,
	.OpenEntry = mslogon_OpenEntry,
	.CompareEntryIDs = mslogon_CompareEntryIDs,
	.Advise = mslogon_Advise,
	.Unadvise = mslogon_Unadvise,
	.OpenStatusEntry = mslogon_OpenStatusEntry,
};

/* ---- IMSProvider ----------------------------------------------------------------------------- */

typedef struct local_provider {
	IMSProvider itf; /* must stay first */
	atomic_ulong refs;
} local_provider;

static HRESULT prov_QueryInterface(IMSProvider *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSProvider::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMSProvider))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&((local_provider *)This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG prov_AddRef(IMSProvider *This)
{
	return (ULONG)atomic_fetch_add(&((local_provider *)This)->refs, 1) + 1;
}

static ULONG prov_Release(IMSProvider *This)
{
	ULONG left = (ULONG)atomic_fetch_sub(&((local_provider *)This)->refs, 1) - 1;
	if (!left)
		free(This);
	return left;
}

static HRESULT prov_Shutdown(IMSProvider *This, ULONG *lpulFlags)
{
	(void)This;
	/* Logons are independent of the provider object and close with
	 * their last reference. */
	if (lpulFlags)
		*lpulFlags = 0;
	return S_OK;
}

/* Reads the mailbox path (UTF-8, caller frees) and the create flag from
 * the provider's profile section. */
static HRESULT read_profile_section(LPMAPISUP sup, char **path, BOOL *create)
{
	LPPROFSECT sect = NULL;
	LPSPropValue vals = NULL;
	ULONG n = 0;
	HRESULT hr;

	*path = NULL;
	*create = FALSE;
	hr = IMAPISupport_OpenProfileSection(sup, NULL, 0, &sect);
	if (FAILED(hr))
		return hr;
	/* All properties in 8-bit width: a path stored as PT_STRING8 comes
	 * back byte for byte (file names need not be valid UTF-8), one stored
	 * as PT_UNICODE as UTF-8. */
	hr = IProfSect_GetProps(sect, NULL, 0, &n, &vals);
	IProfSect_Release(sect);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < n; i++) {
		const SPropValue *v = &vals[i];
		if (v->ulPropTag == PR_MAPIX_STORE_PATH_A && v->Value.lpszA && !*path) {
			*path = strdup(v->Value.lpszA);
		} else if (v->ulPropTag == PR_MAPIX_STORE_PATH_W && v->Value.lpszW && !*path) {
			LPSTR utf8 = NULL;
			if (SUCCEEDED(mapix_utf16_to_utf8(v->Value.lpszW, NULL, &utf8))) {
				*path = strdup(utf8);
				MAPIFreeBuffer(utf8);
			}
		} else if (v->ulPropTag == PR_MAPIX_STORE_CREATE) {
			*create = v->Value.b != 0;
		}
	}
	MAPIFreeBuffer(vals);
	if (!*path)
		return mapix_error(MAPI_E_UNCONFIGURED, "local store: the profile section names no mailbox file "
		                                        "(PR_MAPIX_STORE_PATH)");
	return S_OK;
}

static HRESULT prov_Logon(IMSProvider *This, LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam, LPTSTR lpszProfileName,
                          ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, LPCIID lpInterface,
                          ULONG *lpcbSpoolSecurity, LPBYTE *lppbSpoolSecurity, LPMAPIERROR *lppMAPIError,
                          LPMSLOGON *lppMSLogon, LPMDB *lppMDB)
{
	local_logon *logon = NULL;
	local_object *store = NULL;
	char *path = NULL;
	BOOL create = FALSE;
	HRESULT hr;
	(void)This, (void)ulUIParam, (void)lpszProfileName, (void)cbEntryID, (void)lpEntryID;

	if (lpcbSpoolSecurity)
		*lpcbSpoolSecurity = 0;
	if (lppbSpoolSecurity)
		*lppbSpoolSecurity = NULL;
	if (lppMAPIError)
		*lppMAPIError = NULL;
	if (!lpMAPISup || !lppMSLogon || !lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSProvider::Logon: NULL support object or result");
	*lppMSLogon = NULL;
	*lppMDB = NULL;
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IMsgStore) && !IsEqualIID(lpInterface, &IID_IMAPIProp) &&
	    !IsEqualIID(lpInterface, &IID_IUnknown))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IMSProvider::Logon: the store has no such interface");

	if (FAILED(hr = read_profile_section(lpMAPISup, &path, &create)))
		goto out;
	if (create)
		ulFlags |= MAPIX_STORE_CREATE;
	if (FAILED(hr = local_logon_open(path, ulFlags, lpMAPISup, &logon)))
		goto out;
	if (FAILED(hr = local_store_new(logon, &store))) {
		local_logon_release(logon);
		goto out;
	}
	*lppMSLogon = &logon->ms_logon;
	*lppMDB = (LPMDB)store;
out:
	if (FAILED(hr) && lppMAPIError) {
		/* The caller may want the reason as a MAPIERROR too. */
		if (FAILED(mapix_error_to_mapierror(hr, ulFlags & MAPI_UNICODE, "mapix local store", lppMAPIError)))
			*lppMAPIError = NULL;
	}
	free(path);
	return hr;
}

static HRESULT prov_SpoolerLogon(IMSProvider *This, LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam,
                                 LPTSTR lpszProfileName, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                                 LPCIID lpInterface, ULONG cbSpoolSecurity, LPBYTE lpbSpoolSecurity,
                                 LPMAPIERROR *lppMAPIError, LPMSLOGON *lppMSLogon, LPMDB *lppMDB)
{
	(void)This, (void)lpMAPISup, (void)ulUIParam, (void)lpszProfileName, (void)cbEntryID, (void)lpEntryID;
	(void)ulFlags, (void)lpInterface, (void)cbSpoolSecurity, (void)lpbSpoolSecurity;
	if (lppMAPIError)
		*lppMAPIError = NULL;
	if (lppMSLogon)
		*lppMSLogon = NULL;
	if (lppMDB)
		*lppMDB = NULL;
	return mapix_error(MAPI_E_NO_SUPPORT, "IMSProvider::SpoolerLogon: mapix has no MAPI spooler");
}

static HRESULT prov_CompareStoreIDs(IMSProvider *This, ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                    LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult)
{
	char s1[256], s2[256], d1[512], d2[512];
	HRESULT hr;
	(void)This, (void)ulFlags;
	if (!lpulResult)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSProvider::CompareStoreIDs: NULL result");
	if (FAILED(hr = mapix_entryid_parse_store(cbEntryID1, lpEntryID1, s1, sizeof s1, d1, sizeof d1)) ||
	    FAILED(hr = mapix_entryid_parse_store(cbEntryID2, lpEntryID2, s2, sizeof s2, d2, sizeof d2)))
		return hr;
	/* Server names and DNs are case-insensitive, as in Exchange. */
	*lpulResult = strcasecmp(s1, s2) == 0 && strcasecmp(d1, d2) == 0;
	return S_OK;
}

static const IMSProviderVtbl local_provider_vtbl = {
	.QueryInterface = prov_QueryInterface,
	.AddRef = prov_AddRef,
	.Release = prov_Release,
	.Shutdown = prov_Shutdown,
	.Logon = prov_Logon,
	.SpoolerLogon = prov_SpoolerLogon,
	.CompareStoreIDs = prov_CompareStoreIDs,
};

HRESULT local_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
                             LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer, ULONG ulFlags,
                             ULONG ulMAPIVer, ULONG *lpulProviderVer, LPMSPROVIDER *lppMSProvider)
{
	(void)hInstance, (void)lpMalloc, (void)lpAllocateBuffer, (void)lpAllocateMore, (void)lpFreeBuffer, (void)ulFlags;
	if (!lpulProviderVer || !lppMSProvider)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MSProviderInit: NULL result");
	*lppMSProvider = NULL;
	*lpulProviderVer = CURRENT_SPI_VERSION;
	if (ulMAPIVer < PDK1_SPI_VERSION)
		return mapix_error(MAPI_E_VERSION, "MSProviderInit: SPI version 0x%08X is too old", (unsigned)ulMAPIVer);
	/* The store allocates with the MAPI allocator itself: mapix's
	 * MAPIAllocateBuffer is the one the subsystem hands out anyway. */
	local_provider *p = calloc(1, sizeof *p);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MSProviderInit: out of memory");
	p->itf.lpVtbl = &local_provider_vtbl;
	atomic_init(&p->refs, 1);
	*lppMSProvider = &p->itf;
	return S_OK;
}
