/*
 * remote-store.c — IMsgStore of a mailbox hosted by mapixd, its change
 * journal (IMAPIXChangeJournal) and IExchangeManageStore.
 *
 * Advise keeps the local store's shape: the sink is subscribed with the
 * logon's support object under a key private to this advise, and the
 * server, which keys the subscription by the entry ID's identity, pushes
 * the events; the connection's dispatcher hands them to the support
 * object, which calls the sink.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))
#define KNOWN_OPENSTORE (OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP | OPENSTORE_HOME_LOGON | \
                         OPENSTORE_OVERRIDE_HOME_MDB)

/* A store advise: the client id and the support subscription. */
typedef struct store_advise {
	struct store_advise *next;
	ULONG id;
	ULONG_PTR sub;
	ULONG mask;           /* kept to advise again after a reconnect */
	ULONG cb_eid;
	BYTE eid[];
} store_advise;

/* The store's current connection (a revive may change it). */
static remote_conn *store_conn(remote_obj *o)
{
	if (!remote_conn_alive(o->conn))
		(void)remote_logon_revive(o->logon, "Advise");
	pthread_mutex_lock(&o->logon->revive_lock);
	remote_conn *c = o->conn;
	pthread_mutex_unlock(&o->logon->revive_lock);
	return c;
}

static pthread_mutex_t advise_lock = PTHREAD_MUTEX_INITIALIZER;

static HRESULT store_Advise(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                            LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	remote_obj *o = OBJ(This);
	remote_logon *l = o->logon;
	if (!lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: NULL sink or connection");
	if (ulEventMask == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: empty event mask");
	if (!l->support)
		return mapix_error(MAPI_E_NO_SUPPORT, "Advise: the store has no support object");
	ULONG id;
	LPNOTIFKEY key;
	ULONG_PTR sub = 0;
	remote_conn *conn = store_conn(o);
	HRESULT hr = remote_conn_advise_register(conn, l->support, l, &id, &key);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = IMAPISupport_Subscribe(l->support, key, ulEventMask, 0, lpAdviseSink, &sub))) {
		remote_conn_advise_unregister(conn, id);
		return hr;
	}
	rcall c;
	RC_OBJ(&c, o, MPX_OP_STORE_ADVISE);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulEventMask));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, id));
	hr = rc_run(&c, "Advise");
	rc_end(&c);
	if (FAILED(hr)) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		IMAPISupport_Unsubscribe(l->support, sub);
		remote_conn_advise_unregister(conn, id);
		return mapix_error(hr, "%s", why);
	}
	/* The connection number the caller sees is the support's subscription;
	 * remember which advise id it belongs to, and what it asked for. */
	store_advise *a = malloc(sizeof *a + (lpEntryID ? cbEntryID : 0));
	if (!a) {
		IMAPISupport_Unsubscribe(l->support, sub);
		remote_conn_advise_unregister(conn, id);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Advise: out of memory");
	}
	a->id = id;
	a->sub = sub;
	a->mask = ulEventMask;
	a->cb_eid = lpEntryID ? cbEntryID : 0;
	if (a->cb_eid)
		memcpy(a->eid, lpEntryID, a->cb_eid);
	pthread_mutex_lock(&advise_lock);
	a->next = o->kind_data;
	o->kind_data = a;
	pthread_mutex_unlock(&advise_lock);
	*lpulConnection = sub;
	return S_OK;
}

static HRESULT store_Unadvise(IMsgStore *This, ULONG_PTR ulConnection)
{
	remote_obj *o = OBJ(This);
	remote_logon *l = o->logon;
	if (ulConnection == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Unadvise: connection 0");
	store_advise *found = NULL;
	pthread_mutex_lock(&advise_lock);
	for (store_advise **pp = (store_advise **)&o->kind_data; *pp; pp = &(*pp)->next)
		if ((*pp)->sub == ulConnection) {
			found = *pp;
			*pp = found->next;
			break;
		}
	pthread_mutex_unlock(&advise_lock);
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "Unadvise: no advise with connection %lu", (unsigned long)ulConnection);
	rcall c;
	RC_OBJ(&c, o, MPX_OP_STORE_UNADVISE);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, found->id));
	HRESULT hr = rc_run(&c, "Unadvise");
	rc_end(&c);
	/* Whatever the server says, this side stops delivering. */
	IMAPISupport_Unsubscribe(l->support, ulConnection);
	remote_conn_advise_unregister(c.conn, found->id);
	free(found);
	return hr == MAPI_E_NETWORK_ERROR ? S_OK : hr;
}

/* Advises still open when the store object goes: their subscriptions stay
 * with the support object (released with the logon, as locally). */
void remote_store_destroy(remote_obj *o)
{
	store_advise *a = o->kind_data;
	o->kind_data = NULL;
	while (a) {
		store_advise *next = a->next;
		free(a);
		a = next;
	}
}

void remote_store_revive_advises(remote_obj *store, remote_conn *from)
{
	/* The requests are built under the advise lock and sent after it:
	 * a sink called meanwhile may advise or unadvise. */
	pthread_mutex_lock(&store->logon->revive_lock);
	remote_conn *conn = store->conn;
	uint32_t handle = store->handle;
	pthread_mutex_unlock(&store->logon->revive_lock);
	size_t n = 0, i = 0;
	pthread_mutex_lock(&advise_lock);
	for (store_advise *a = store->kind_data; a; a = a->next)
		n++;
	rcall *calls = n ? calloc(n, sizeof *calls) : NULL;
	for (store_advise *a = store->kind_data; a && calls; a = a->next) {
		ULONG id;
		if (FAILED(remote_conn_advise_move(from, conn, a->id, &id)))
			continue;
		a->id = id;
		rc_begin(&calls[i], conn, handle, MPX_OP_STORE_ADVISE);
		RC_PUT(&calls[i], mapix_proto_put_bin(&calls[i].req, a->cb_eid, a->cb_eid ? a->eid : NULL));
		RC_PUT(&calls[i], mapix_wire_put_u32(&calls[i].req, a->mask));
		RC_PUT(&calls[i], mapix_wire_put_u32(&calls[i].req, id));
		i++;
	}
	pthread_mutex_unlock(&advise_lock);
	for (size_t k = 0; k < i; k++) {
		(void)rc_run(&calls[k], "Advise (reconnected)");
		rc_end(&calls[k]);
	}
	free(calls);
	mapix_error_clear();
}

static HRESULT store_CompareEntryIDs(IMsgStore *This, ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                     LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult)
{
	if (!lpulResult)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CompareEntryIDs: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_COMPAREENTRYIDS);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID1, lpEntryID1));
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID2, lpEntryID2));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CompareEntryIDs");
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, lpulResult)))
		hr = rc_bad_reply(&c, "CompareEntryIDs");
	rc_end(&c);
	return hr;
}

HRESULT remote_open_entry(remote_obj *o, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags,
                          ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	if (!lpulObjType || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenEntry: NULL output pointer");
	*lppUnk = NULL;
	rcall c;
	RC_OBJ(&c, o, MPX_OP_OPENENTRY);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "OpenEntry");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (FAILED(mapix_wire_get_u32(&c.out, lpulObjType)))
			hr = rc_bad_reply(&c, "OpenEntry");
		else if (SUCCEEDED(hr = remote_obj_from_reply(&c, o->logon, NULL, lppUnk)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT store_OpenEntry(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                               ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	return remote_open_entry(OBJ(This), cbEntryID, lpEntryID, lpInterface, ulFlags, lpulObjType, lppUnk);
}

static HRESULT store_SetReceiveFolder(IMsgStore *This, LPTSTR lpszMessageClass, ULONG ulFlags, ULONG cbEntryID,
                                      LPENTRYID lpEntryID)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_SETRECEIVEFOLDER);
	RC_PUT(&c, mapix_proto_put_tstr(&c.req, lpszMessageClass, (ulFlags & MAPI_UNICODE) != 0));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	HRESULT hr = rc_run(&c, "SetReceiveFolder");
	rc_end(&c);
	return hr;
}

/* Copies a decoded string into its own MAPI buffer for the caller. */
static HRESULT give_tstr(const void *s, BOOL unicode, LPTSTR *out)
{
	size_t cb = unicode ? (mapix_wcslen(s) + 1) * sizeof(WCHAR) : strlen(s) + 1;
	void *p;
	if (MAPIAllocateBuffer((ULONG)cb, &p) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "remote store: out of memory");
	memcpy(p, s, cb);
	*out = p;
	return S_OK;
}

static HRESULT store_GetReceiveFolder(IMsgStore *This, LPTSTR lpszMessageClass, ULONG ulFlags, ULONG *lpcbEntryID,
                                      LPENTRYID *lppEntryID, LPTSTR *lppszExplicitClass)
{
	if (!lpcbEntryID || !lppEntryID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetReceiveFolder: NULL output pointer");
	*lpcbEntryID = 0;
	*lppEntryID = NULL;
	if (lppszExplicitClass)
		*lppszExplicitClass = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_GETRECEIVEFOLDER);
	RC_PUT(&c, mapix_proto_put_tstr(&c.req, lpszMessageClass, (ulFlags & MAPI_UNICODE) != 0));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetReceiveFolder");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		mapix_proto_arena a = {0};
		ULONG cb;
		BYTE *eid;
		void *cls;
		BOOL uni;
		if (FAILED(mapix_proto_get_bin(&c.out, &a, &cb, &eid)) || FAILED(mapix_proto_get_tstr(&c.out, &a, &cls, &uni))) {
			hr = rc_bad_reply(&c, "GetReceiveFolder");
		} else {
			hr = keep;
			if (cb && MAPIAllocateBuffer(cb, (LPVOID *)lppEntryID) == S_OK) {
				memcpy(*lppEntryID, eid, cb);
				*lpcbEntryID = cb;
			} else if (cb) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetReceiveFolder: out of memory");
			}
			if (SUCCEEDED(hr) && lppszExplicitClass && cls)
				hr = give_tstr(cls, uni, lppszExplicitClass);
			if (FAILED(hr) && *lppEntryID) {
				MAPIFreeBuffer(*lppEntryID);
				*lppEntryID = NULL;
				*lpcbEntryID = 0;
			}
		}
		mapix_proto_arena_free(&a);
	}
	rc_end(&c);
	return hr;
}

/* Operations that return a table for a flags argument. */
static HRESULT table_op(void *This, ULONG op, ULONG ulFlags, LPMAPITABLE *lppTable, const char *fn)
{
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL output pointer", fn);
	*lppTable = NULL;
	rcall c;
	RC_OBJ(&c, This, op);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, fn);
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, &IID_IMAPITable, (LPUNKNOWN *)lppTable)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT store_GetReceiveFolderTable(IMsgStore *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_STORE_GETRECEIVEFOLDERTABLE, ulFlags, lppTable, "GetReceiveFolderTable");
}

static HRESULT store_GetOutgoingQueue(IMsgStore *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_STORE_GETOUTGOINGQUEUE, ulFlags, lppTable, "GetOutgoingQueue");
}

static HRESULT store_StoreLogoff(IMsgStore *This, ULONG *lpulFlags)
{
	if (!lpulFlags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "StoreLogoff: NULL flags");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_LOGOFF);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, *lpulFlags));
	HRESULT hr = rc_run(&c, "StoreLogoff");
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, lpulFlags)))
		hr = rc_bad_reply(&c, "StoreLogoff");
	rc_end(&c);
	return hr;
}

static HRESULT store_AbortSubmit(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_ABORTSUBMIT);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "AbortSubmit");
	rc_end(&c);
	return hr;
}

static HRESULT store_FinishedMsg(IMsgStore *This, ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_FINISHEDMSG);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	HRESULT hr = rc_run(&c, "FinishedMsg");
	rc_end(&c);
	return hr;
}

static HRESULT store_SetLockState(IMsgStore *This, LPMESSAGE lpMessage, ULONG ulLockState)
{
	uint32_t h = remote_obj_handle_of(OBJ(This)->conn, lpMessage);
	if (!h)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetLockState: not a message of this store");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_SETLOCKSTATE);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, h));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulLockState));
	HRESULT hr = rc_run(&c, "SetLockState");
	rc_end(&c);
	return hr;
}

static HRESULT store_NotifyNewMail(IMsgStore *This, LPNOTIFICATION lpNotification)
{
	if (!lpNotification || lpNotification->ulEventType != fnevNewMail)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "NotifyNewMail: not a new-mail notification");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STORE_NOTIFYNEWMAIL);
	RC_PUT(&c, mapix_proto_put_notifs(&c.req, 1, lpNotification));
	HRESULT hr = rc_run(&c, "NotifyNewMail");
	rc_end(&c);
	return hr;
}

const IMsgStoreVtbl remote_store_vtbl = {
	REMOTE_IMAPIPROP_METHODS,
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

/* ---- IMAPIXChangeJournal ------------------------------------------------------------------ */

static HRESULT journal_QueryInterface(IMAPIXChangeJournal *This, REFIID riid, LPVOID *ppv)
{
	return remote_prop_QueryInterface(This, riid, ppv);
}

static ULONG journal_AddRef(IMAPIXChangeJournal *This)
{
	return remote_prop_AddRef(This);
}

static ULONG journal_Release(IMAPIXChangeJournal *This)
{
	return remote_prop_Release(This);
}

static HRESULT journal_GetLastChangeNumber(IMAPIXChangeJournal *This, ULONGLONG *lpcnLast)
{
	if (!lpcnLast)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastChangeNumber: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_JOURNAL_LAST);
	HRESULT hr = rc_run(&c, "GetLastChangeNumber");
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u64(&c.out, lpcnLast)))
		hr = rc_bad_reply(&c, "GetLastChangeNumber");
	rc_end(&c);
	return hr;
}

static HRESULT journal_GetChangesSince(IMAPIXChangeJournal *This, ULONGLONG cnSince, ULONG cMax, LPSRowSet *lppRows)
{
	if (!lppRows)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetChangesSince: NULL result");
	*lppRows = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_JOURNAL_SINCE);
	RC_PUT(&c, mapix_wire_put_u64(&c.req, cnSince));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, cMax));
	HRESULT hr = rc_run(&c, "GetChangesSince");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (FAILED(mapix_proto_get_rows(&c.out, lppRows)) || !*lppRows) {
			if (*lppRows)
				FreeProws(*lppRows);
			*lppRows = NULL;
			hr = rc_bad_reply(&c, "GetChangesSince");
		} else {
			hr = keep;
		}
	}
	rc_end(&c);
	return hr;
}

const IMAPIXChangeJournalVtbl remote_journal_vtbl = {
	.QueryInterface = journal_QueryInterface,
	.AddRef = journal_AddRef,
	.Release = journal_Release,
	.GetLastChangeNumber = journal_GetLastChangeNumber,
	.GetChangesSince = journal_GetChangesSince,
};

/* ---- IExchangeManageStore ------------------------------------------------------------------- */

/* A small object over the store proxy (which it keeps referenced), or over
 * the bare connection for a service identity without a store. */
typedef struct remote_manage {
	IExchangeManageStore itf;
	atomic_ulong refs;
	remote_obj *store;
} remote_manage;

#define MANAGE(This) ((remote_manage *)(This))

static HRESULT manage_QueryInterface(IExchangeManageStore *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!riid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IExchangeManageStore)) {
		atomic_fetch_add(&MANAGE(This)->refs, 1);
		*ppv = This;
		return S_OK;
	}
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG manage_AddRef(IExchangeManageStore *This)
{
	return (ULONG)atomic_fetch_add(&MANAGE(This)->refs, 1) + 1;
}

static ULONG manage_Release(IExchangeManageStore *This)
{
	remote_manage *m = MANAGE(This);
	ULONG left = (ULONG)atomic_fetch_sub(&m->refs, 1) - 1;
	if (!left) {
		remote_prop_Release(m->store);
		free(m);
	}
	return left;
}

/* Shared by the interface and MAPIXMailboxLogon: handle 0 asks the
 * connection itself. */
HRESULT remote_create_store_entryid(remote_conn *conn, uint32_t handle, LPCSTR lpszMsgStoreDN, LPCSTR lpszMailboxDN,
                                    ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID)
{
	if (!lpcbEntryID || !lppEntryID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateStoreEntryID: NULL output pointer");
	*lpcbEntryID = 0;
	*lppEntryID = NULL;
	if (!lpszMailboxDN || !*lpszMailboxDN)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateStoreEntryID: no mailbox DN");
	if (ulFlags & ~(ULONG)KNOWN_OPENSTORE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CreateStoreEntryID: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~KNOWN_OPENSTORE));
	rcall c;
	rc_begin(&c, conn, handle, MPX_OP_MANAGE_CREATESTOREENTRYID);
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMsgStoreDN ? lpszMsgStoreDN : ""));
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMailboxDN));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CreateStoreEntryID");
	if (SUCCEEDED(hr)) {
		mapix_proto_arena a = {0};
		ULONG cb;
		BYTE *eid;
		if (FAILED(mapix_proto_get_bin(&c.out, &a, &cb, &eid)) || !cb)
			hr = rc_bad_reply(&c, "CreateStoreEntryID");
		else if (MAPIAllocateBuffer(cb, (LPVOID *)lppEntryID) != S_OK)
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateStoreEntryID: out of memory");
		else {
			memcpy(*lppEntryID, eid, cb);
			*lpcbEntryID = cb;
		}
		mapix_proto_arena_free(&a);
	}
	rc_end(&c);
	return hr;
}

static HRESULT manage_CreateStoreEntryID(IExchangeManageStore *This, LPSTR lpszMsgStoreDN, LPSTR lpszMailboxDN,
                                         ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID)
{
	remote_obj *s = MANAGE(This)->store;
	return remote_create_store_entryid(s->conn, s->handle, lpszMsgStoreDN, lpszMailboxDN, ulFlags,
	                                   lpcbEntryID, lppEntryID);
}

static HRESULT manage_EntryIDFromSourceKey(IExchangeManageStore *This, ULONG cFolderKeySize, BYTE *lpFolderSourceKey,
                                           ULONG cMessageKeySize, BYTE *lpMessageSourceKey, ULONG *lpcbEntryID,
                                           LPENTRYID *lppEntryID)
{
	(void)This, (void)cFolderKeySize, (void)lpFolderSourceKey, (void)cMessageKeySize, (void)lpMessageSourceKey;
	if (lpcbEntryID)
		*lpcbEntryID = 0;
	if (lppEntryID)
		*lppEntryID = NULL;
	return mapix_error(MAPI_E_NO_SUPPORT, "EntryIDFromSourceKey is not available yet");
}

static HRESULT manage_GetRights(IExchangeManageStore *This, ULONG cbUserEntryID, LPENTRYID lpUserEntryID,
                                ULONG cbEntryID, LPENTRYID lpEntryID, ULONG *lpulRights)
{
	(void)This, (void)cbUserEntryID, (void)lpUserEntryID, (void)cbEntryID, (void)lpEntryID;
	if (lpulRights)
		*lpulRights = 0;
	return mapix_error(MAPI_E_NO_SUPPORT, "GetRights: folder permissions are not available yet");
}

static HRESULT manage_GetMailboxTable(IExchangeManageStore *This, LPSTR lpszServerName, LPMAPITABLE *lppTable,
                                      ULONG ulFlags)
{
	remote_obj *s = MANAGE(This)->store;
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetMailboxTable: NULL output pointer");
	*lppTable = NULL;
	rcall c;
	RC_OBJ(&c, s, MPX_OP_MANAGE_GETMAILBOXTABLE);
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszServerName ? lpszServerName : ""));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetMailboxTable");
	if (SUCCEEDED(hr))
		hr = remote_obj_from_reply(&c, s->logon, &IID_IMAPITable, (LPUNKNOWN *)lppTable);
	rc_end(&c);
	return hr;
}

static HRESULT manage_GetPublicFolderTable(IExchangeManageStore *This, LPSTR lpszServerName, LPMAPITABLE *lppTable,
                                           ULONG ulFlags)
{
	(void)This, (void)lpszServerName, (void)ulFlags;
	if (lppTable)
		*lppTable = NULL;
	return mapix_error(MAPI_E_NO_SUPPORT, "GetPublicFolderTable: mapixd hosts no public folders");
}

static const IExchangeManageStoreVtbl manage_vtbl = {
	.QueryInterface = manage_QueryInterface,
	.AddRef = manage_AddRef,
	.Release = manage_Release,
	.CreateStoreEntryID = manage_CreateStoreEntryID,
	.EntryIDFromSourceKey = manage_EntryIDFromSourceKey,
	.GetRights = manage_GetRights,
	.GetMailboxTable = manage_GetMailboxTable,
	.GetPublicFolderTable = manage_GetPublicFolderTable,
};

HRESULT remote_manage_new(remote_obj *store, LPVOID *ppv)
{
	remote_manage *m = calloc(1, sizeof *m);
	if (!m)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "QueryInterface(IExchangeManageStore): out of memory");
	m->itf.lpVtbl = &manage_vtbl;
	atomic_init(&m->refs, 1);
	remote_prop_AddRef(store);
	m->store = store;
	*ppv = &m->itf;
	return S_OK;
}
