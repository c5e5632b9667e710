/*
 * remote-logon.c — the remote store as a MAPI service provider: the
 * MSProviderInit-shaped entry point, IMSProvider (Logon reads the server
 * address and mailbox from the provider's profile section, or opens the
 * mailbox a store entry ID names), IMSLogon, and the profile-less entry
 * points of mapixremote.h: MAPIXOpenRemoteStore, MAPIXOpenRemoteStoreEntryID,
 * MAPIXMailboxLogon and the administrative requests.
 *
 * A remote_logon holds the connection and the support object; the store
 * object and every open object hold a reference on it, so objects may
 * outlive the store object, and the last one lets the connection go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "providers/standalone-support.h"
#include "remote.h"

#define OPEN_FLAGS (MDB_WRITE | MAPI_BEST_ACCESS | MDB_NO_MAIL | MDB_NO_DIALOG | MDB_TEMPORARY | MDB_ONLINE | \
                    MAPI_DEFERRED_ERRORS | MAPIX_STORE_CREATE)


static const IMSLogonVtbl remote_mslogon_vtbl;

/* A connection a logon lost (see remote_logon_revive). */
struct retired_conn {
	struct retired_conn *next;
	remote_conn *conn;
};

void remote_logon_ref(remote_logon *l)
{
	atomic_fetch_add(&l->refs, 1);
}

void remote_logon_unref(remote_logon *l)
{
	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	remote_conn *conn = l->conn;
	/* The sinks still subscribed go with the logon, as in the local store. */
	remote_conn_drop_advises(conn, l);
	if (l->support)
		IMAPISupport_Release(l->support);
	while (l->retired) {
		struct retired_conn *r = l->retired;
		l->retired = r->next;
		remote_conn_drop_advises(r->conn, l);
		remote_conn_unref(r->conn);
		free(r);
	}
	pthread_mutex_destroy(&l->revive_lock);
	free(l->eid);
	free(l);
	remote_conn_unref(conn);
}

/* ---- logging on ---------------------------------------------------------------------------- */

/* Sends the logon request (by name or by entry ID); the store handle and
 * the mailbox's name (in *a) come back. */
static HRESULT send_logon(remote_conn *conn, const char *mailbox, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG flags,
                          uint32_t *handle, mapix_proto_arena *a, char **name)
{
	rcall c;
	if (lpEntryID) {
		rc_begin(&c, conn, MAPIX_PROTO_CONN_HANDLE, MPX_OP_LOGON_ENTRYID);
		RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
		RC_PUT(&c, mapix_wire_put_u32(&c.req, flags & ~(ULONG)MAPIX_STORE_CREATE));
	} else {
		rc_begin(&c, conn, MAPIX_PROTO_CONN_HANDLE, MPX_OP_LOGON);
		RC_PUT(&c, mapix_proto_put_str(&c.req, mailbox ? mailbox : ""));
		RC_PUT(&c, mapix_wire_put_u32(&c.req, flags));
		RC_PUT(&c, mapix_wire_put_u32(&c.req, 0));
	}
	HRESULT hr = rc_run(&c, "OpenMsgStore");
	if (FAILED(hr)) {
		rc_end(&c);
		return hr;
	}
	BYTE kind;
	ULONG h, access;
	char *how;
	if (FAILED(mapix_wire_get_u8(&c.out, &kind)) || FAILED(mapix_wire_get_u32(&c.out, &h)) ||
	    kind != MPX_OBJ_STORE || !h || FAILED(mapix_proto_get_str(&c.out, a, name)) ||
	    FAILED(mapix_proto_get_str(&c.out, a, &how)) || FAILED(mapix_wire_get_u32(&c.out, &access)))
		hr = rc_bad_reply(&c, "OpenMsgStore");
	else
		*handle = h;
	rc_end(&c);
	return hr;
}

/* Sends the logon request and builds the logon and its store proxy from
 * the reply. */
static HRESULT logon(remote_conn *conn, LPMAPISUP sup, const char *mailbox, ULONG cbEntryID, LPENTRYID lpEntryID,
                     ULONG flags, LPMSLOGON *lppMSLogon, LPMDB *lppMDB)
{
	uint32_t handle = 0;
	mapix_proto_arena a = {0};
	char *name = NULL;
	HRESULT hr = send_logon(conn, mailbox, cbEntryID, lpEntryID, flags, &handle, &a, &name);
	if (FAILED(hr)) {
		mapix_proto_arena_free(&a);
		return hr;
	}
	remote_logon *l = calloc(1, sizeof *l);
	if (l && lpEntryID && !(l->eid = malloc(cbEntryID ? cbEntryID : 1))) {
		free(l);
		l = NULL;
	}
	if (!l) {
		remote_conn_release_handle(conn, handle);
		mapix_proto_arena_free(&a);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenMsgStore: out of memory");
	}
	l->ms_logon.lpVtbl = &remote_mslogon_vtbl;
	atomic_init(&l->refs, 1);
	pthread_mutex_init(&l->revive_lock, NULL);
	if (lpEntryID) {
		memcpy(l->eid, lpEntryID, cbEntryID);
		l->cb_eid = cbEntryID;
	}
	l->conn = conn;
	remote_conn_ref(conn);
	l->flags = flags & ~(ULONG)MAPIX_STORE_CREATE;
	snprintf(l->mailbox, sizeof l->mailbox, "%s", name);
	mapix_proto_arena_free(&a);
	if (sup) {
		IMAPISupport_AddRef(sup);
		l->support = sup;
	}
	remote_obj *store;
	if (FAILED(hr = remote_obj_new(l, MPX_OBJ_STORE, handle, &store))) {
		remote_conn_release_handle(conn, handle);
		remote_logon_unref(l);
		return hr;
	}
	l->store = store;
	*lppMSLogon = &l->ms_logon;
	*lppMDB = (LPMDB)store;
	return S_OK;
}

/* ---- reconnecting ---------------------------------------------------------------------------- */

/* A lost connection is not re-made behind the caller's back in the middle
 * of a call: the call in flight fails with MAPI_E_NETWORK_ERROR, and the
 * next call through any object of the logon lands here. The mailbox is
 * opened again the way it was first opened (by entry ID, so admin
 * privilege is asked again, or by name) in the same security context, the
 * store object takes the new handle, and the advises of the store and of
 * advised tables are sent again under the subscriptions the sinks already
 * have. Every check is made anew by the server: a right revoked while the
 * connection was down fails the revive. Other open objects stay bound to
 * the lost connection and keep failing: they are opened again. */
HRESULT remote_logon_revive(remote_logon *l, const char *fn)
{
	pthread_mutex_lock(&l->revive_lock);
	remote_conn *old = l->conn;
	HRESULT hr = S_OK;
	if (remote_conn_alive(old))
		goto out;
	if (!l->store) {
		hr = mapix_error(MAPI_E_NETWORK_ERROR, "%s: the connection to mapixd at %s was lost and the store object is "
		                                      "released: log on again",
		                 fn, remote_conn_address(old));
		goto out;
	}
	if (!remote_conn_same_context(old)) {
		hr = mapix_error(MAPI_E_NETWORK_ERROR, "%s: the connection to mapixd at %s was lost; only its own security "
		                                      "context reconnects it",
		                 fn, remote_conn_address(old));
		goto out;
	}
	struct retired_conn *r = calloc(1, sizeof *r);
	remote_conn *nc = NULL;
	if (!r) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", fn);
		goto out;
	}
	/* Over TCP the new connection logs on with the account, password and
	 * certificate checks of the lost one (it stays referenced meanwhile). */
	remote_target target;
	memset(&target, 0, sizeof target);
	remote_conn_target(old, &target);
	if (FAILED(hr = remote_conn_get_target(&target, &nc))) {
		free(r);
		goto out;
	}
	uint32_t handle = 0;
	mapix_proto_arena a = {0};
	char *name = NULL;
	hr = send_logon(nc, l->eid ? NULL : l->mailbox, l->cb_eid, (LPENTRYID)l->eid, l->flags, &handle, &a, &name);
	mapix_proto_arena_free(&a);
	if (FAILED(hr)) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		remote_conn_unref(nc);
		free(r);
		hr = mapix_error(hr, "%s: reconnecting to mapixd: %s", fn, why);
		goto out;
	}
	/* The logon's reference on the lost connection moves to the retired
	 * list: objects of that connection still point at it. */
	r->conn = old;
	r->next = l->retired;
	l->retired = r;
	remote_obj *st = l->store;
	remote_conn *st_old = st->conn;
	remote_conn_ref(nc);
	st->conn = nc;
	st->handle = handle;
	remote_conn_unref(st_old);
	l->conn = nc;
	/* The advises are sent again outside the lock: a sink called meanwhile
	 * may call into this logon. */
	size_t n = 0;
	for (remote_obj *t = l->advised_tables; t; t = t->next_advised)
		n++;
	remote_obj **tables = n ? calloc(n, sizeof *tables) : NULL;
	n = 0;
	for (remote_obj *t = l->advised_tables; t && tables; t = t->next_advised) {
		remote_prop_AddRef(t);
		tables[n++] = t;
	}
	remote_prop_AddRef(st);
	pthread_mutex_unlock(&l->revive_lock);
	remote_store_revive_advises(st, old);
	for (size_t i = 0; i < n; i++) {
		if (FAILED(remote_table_revive(tables[i])))
			mapix_error_clear(); /* that table keeps failing; the others live */
		remote_prop_Release(tables[i]);
	}
	free(tables);
	remote_prop_Release(st);
	mapix_error_clear();
	return S_OK;
out:
	pthread_mutex_unlock(&l->revive_lock);
	return hr;
}

void remote_logon_track_table(remote_logon *l, remote_obj *table, BOOL on)
{
	pthread_mutex_lock(&l->revive_lock);
	remote_obj **pp = &l->advised_tables;
	while (*pp && *pp != table)
		pp = &(*pp)->next_advised;
	if (on && !*pp) {
		table->next_advised = l->advised_tables;
		l->advised_tables = table;
	} else if (!on && *pp) {
		*pp = table->next_advised;
		table->next_advised = NULL;
	}
	pthread_mutex_unlock(&l->revive_lock);
}

/* ---- IMSLogon ------------------------------------------------------------------------------ */

#define LOGON(This) ((remote_logon *)(This))

static HRESULT mslogon_QueryInterface(IMSLogon *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSLogon::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMSLogon))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	remote_logon_ref(LOGON(This));
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
	remote_logon_unref(LOGON(This));
	return left;
}

static HRESULT mslogon_GetLastError(IMSLogon *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	(void)This;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSLogon::GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return MAPI_E_UNKNOWN_FLAGS;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix remote store", lppMAPIError);
}

static HRESULT mslogon_Logoff(IMSLogon *This, ULONG *lpulFlags)
{
	(void)This;
	if (lpulFlags)
		*lpulFlags = 0;
	return S_OK;
}

/* The store object, or MAPI_E_INVALID_OBJECT once it is gone. */
static HRESULT logon_store(remote_logon *l, const char *fn, remote_obj **out)
{
	*out = l->store;
	return *out ? S_OK : mapix_error(MAPI_E_INVALID_OBJECT, "%s: the store object was released", fn);
}

static HRESULT mslogon_OpenEntry(IMSLogon *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                 ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	remote_obj *s;
	HRESULT hr = logon_store(LOGON(This), "IMSLogon::OpenEntry", &s);
	return FAILED(hr) ? hr : remote_open_entry(s, cbEntryID, lpEntryID, lpInterface, ulFlags, lpulObjType, lppUnk);
}

static HRESULT mslogon_CompareEntryIDs(IMSLogon *This, ULONG cb1, LPENTRYID e1, ULONG cb2, LPENTRYID e2, ULONG ulFlags,
                                       ULONG *lpulResult)
{
	remote_obj *s;
	HRESULT hr = logon_store(LOGON(This), "IMSLogon::CompareEntryIDs", &s);
	return FAILED(hr) ? hr : IMsgStore_CompareEntryIDs((LPMDB)s, cb1, e1, cb2, e2, ulFlags, lpulResult);
}

static HRESULT mslogon_Advise(IMSLogon *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                              LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	remote_obj *s;
	HRESULT hr = logon_store(LOGON(This), "IMSLogon::Advise", &s);
	return FAILED(hr) ? hr : IMsgStore_Advise((LPMDB)s, cbEntryID, lpEntryID, ulEventMask, lpAdviseSink, lpulConnection);
}

static HRESULT mslogon_Unadvise(IMSLogon *This, ULONG_PTR ulConnection)
{
	remote_obj *s;
	HRESULT hr = logon_store(LOGON(This), "IMSLogon::Unadvise", &s);
	return FAILED(hr) ? hr : IMsgStore_Unadvise((LPMDB)s, ulConnection);
}

static HRESULT mslogon_OpenStatusEntry(IMSLogon *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType,
                                       LPVOID *lppEntry)
{
	(void)This, (void)lpInterface, (void)ulFlags, (void)lpulObjType, (void)lppEntry;
	return mapix_error(MAPI_E_NO_SUPPORT, "IMSLogon::OpenStatusEntry: the remote store has no status object");
}

static const IMSLogonVtbl remote_mslogon_vtbl = {
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

/* ---- IMSProvider ------------------------------------------------------------------------------ */

typedef struct remote_provider {
	IMSProvider itf; /* must stay first */
	atomic_ulong refs;
} remote_provider;

static HRESULT prov_QueryInterface(IMSProvider *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSProvider::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMSProvider))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&((remote_provider *)This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG prov_AddRef(IMSProvider *This)
{
	return (ULONG)atomic_fetch_add(&((remote_provider *)This)->refs, 1) + 1;
}

static ULONG prov_Release(IMSProvider *This)
{
	ULONG left = (ULONG)atomic_fetch_sub(&((remote_provider *)This)->refs, 1) - 1;
	if (!left)
		free(This);
	return left;
}

static HRESULT prov_Shutdown(IMSProvider *This, ULONG *lpulFlags)
{
	(void)This;
	if (lpulFlags)
		*lpulFlags = 0;
	return S_OK;
}

/* What the profile section says (strings are the caller's to free). */
typedef struct section_values {
	char *server, *mailbox, *user, *password, *ca_file, *pin;
	BOOL create;
} section_values;

static void section_free(section_values *v)
{
	free(v->server);
	free(v->mailbox);
	free(v->user);
	if (v->password)
		explicit_bzero(v->password, strlen(v->password));
	free(v->password);
	free(v->ca_file);
	free(v->pin);
	memset(v, 0, sizeof *v);
}

/* Takes the first value of a string property (8-bit, UTF-8, as the
 * server address and mailbox are read). */
static void take_string(const SPropValue *v, ULONG tag, char **slot)
{
	if (!*slot && v->ulPropTag == tag && v->Value.lpszA)
		*slot = strdup(v->Value.lpszA);
}

/* Server address, mailbox and TCP logon from the profile section. */
static HRESULT read_section(LPMAPISUP sup, section_values *out)
{
	LPPROFSECT sect = NULL;
	LPSPropValue vals = NULL;
	ULONG n = 0;
	memset(out, 0, sizeof *out);
	HRESULT hr = IMAPISupport_OpenProfileSection(sup, NULL, 0, &sect);
	if (FAILED(hr))
		return hr;
	hr = IProfSect_GetProps(sect, NULL, 0, &n, &vals);
	IProfSect_Release(sect);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < n; i++) {
		if (vals[i].ulPropTag == PR_MAPIX_REMOTE_SERVER_A && vals[i].Value.lpszA && !out->server)
			out->server = strdup(vals[i].Value.lpszA);
		else if (vals[i].ulPropTag == PR_MAPIX_REMOTE_MAILBOX_A && vals[i].Value.lpszA && !out->mailbox)
			out->mailbox = strdup(vals[i].Value.lpszA);
		else if (vals[i].ulPropTag == PR_MAPIX_STORE_CREATE)
			out->create = vals[i].Value.b != 0;
		take_string(&vals[i], PR_MAPIX_REMOTE_USER_A, &out->user);
		take_string(&vals[i], PR_MAPIX_REMOTE_PASSWORD_A, &out->password);
		take_string(&vals[i], PR_MAPIX_REMOTE_CA_FILE_A, &out->ca_file);
		take_string(&vals[i], PR_MAPIX_REMOTE_PINNED_KEY_A, &out->pin);
	}
	MAPIFreeBuffer(vals);
	return S_OK;
}

static HRESULT prov_Logon(IMSProvider *This, LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam, LPTSTR lpszProfileName,
                          ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, LPCIID lpInterface,
                          ULONG *lpcbSpoolSecurity, LPBYTE *lppbSpoolSecurity, LPMAPIERROR *lppMAPIError,
                          LPMSLOGON *lppMSLogon, LPMDB *lppMDB)
{
	section_values sv;
	remote_conn *conn = NULL;
	HRESULT hr;
	memset(&sv, 0, sizeof sv);
	(void)This, (void)ulUIParam, (void)lpszProfileName;
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
	if (FAILED(hr = read_section(lpMAPISup, &sv)))
		goto out;
	if (sv.create)
		ulFlags |= MAPIX_STORE_CREATE;
	remote_target t = {sv.server, sv.user, sv.password, sv.ca_file, sv.pin};
	if (FAILED(hr = remote_conn_get_target(&t, &conn)))
		goto out;
	/* With an entry ID, that mailbox (CreateStoreEntryID); otherwise the
	 * profile's. */
	hr = logon(conn, lpMAPISup, sv.mailbox, cbEntryID, cbEntryID ? lpEntryID : NULL, ulFlags, lppMSLogon, lppMDB);
	remote_conn_unref(conn);
out:
	if (FAILED(hr) && lppMAPIError &&
	    FAILED(mapix_error_to_mapierror(hr, ulFlags & MAPI_UNICODE, "mapix remote store", lppMAPIError)))
		*lppMAPIError = NULL;
	section_free(&sv);
	return hr;
}

static HRESULT prov_SpoolerLogon(IMSProvider *This, LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam, LPTSTR lpszProfileName,
                                 ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, LPCIID lpInterface,
                                 ULONG cbSpoolSecurity, LPBYTE lpbSpoolSecurity, LPMAPIERROR *lppMAPIError,
                                 LPMSLOGON *lppMSLogon, LPMDB *lppMDB)
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

static HRESULT prov_CompareStoreIDs(IMSProvider *This, ULONG cb1, LPENTRYID e1, ULONG cb2, LPENTRYID e2,
                                    ULONG ulFlags, ULONG *lpulResult)
{
	(void)This, (void)ulFlags;
	if (!lpulResult)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMSProvider::CompareStoreIDs: NULL result");
	/* Store entry IDs name a server and a mailbox DN; the WrappedType
	 * (bytes 56-59: the OPENSTORE flags) does not change which mailbox. */
	if (!e1 || !e2 || cb1 < 60 || cb2 < 60)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "IMSProvider::CompareStoreIDs: not store entry IDs");
	*lpulResult = cb1 == cb2 && memcmp((BYTE *)e1 + 4, (BYTE *)e2 + 4, 52) == 0 &&
	              strncasecmp((char *)e1 + 60, (char *)e2 + 60, cb1 - 60) == 0;
	return S_OK;
}

static const IMSProviderVtbl remote_provider_vtbl = {
	.QueryInterface = prov_QueryInterface,
	.AddRef = prov_AddRef,
	.Release = prov_Release,
	.Shutdown = prov_Shutdown,
	.Logon = prov_Logon,
	.SpoolerLogon = prov_SpoolerLogon,
	.CompareStoreIDs = prov_CompareStoreIDs,
};

HRESULT remote_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
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
	remote_provider *p = calloc(1, sizeof *p);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MSProviderInit: out of memory");
	p->itf.lpVtbl = &remote_provider_vtbl;
	atomic_init(&p->refs, 1);
	*lppMSProvider = &p->itf;
	return S_OK;
}

/* ---- profile-less entry points (mapixremote.h) ------------------------------------------------------ */

/* The provider path with a standalone support object, as a profile would
 * drive it. */
static HRESULT open_via_provider(const remote_target *t, LPCSTR lpszMailbox, ULONG cbEntryID, LPENTRYID lpEntryID,
                                 ULONG ulFlags, LPMDB *lppMDB)
{
	SPropValue section[8];
	ULONG n = 0;
	LPMAPISUP sup = NULL;
	LPMSPROVIDER prov = NULL;
	LPMSLOGON mslogon = NULL;
	ULONG spi = 0;
	memset(section, 0, sizeof section);
	const struct {
		ULONG tag;
		const char *value;
	} strings[] = {
		{PR_MAPIX_REMOTE_SERVER_A, t->address},   {PR_MAPIX_REMOTE_MAILBOX_A, lpszMailbox},
		{PR_MAPIX_REMOTE_USER_A, t->user},         {PR_MAPIX_REMOTE_PASSWORD_A, t->password},
		{PR_MAPIX_REMOTE_CA_FILE_A, t->ca_file},   {PR_MAPIX_REMOTE_PINNED_KEY_A, t->pin},
	};
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		if (strings[i].value) {
			section[n].ulPropTag = strings[i].tag;
			section[n++].Value.lpszA = (LPSTR)strings[i].value;
		}
	HRESULT hr = mapix_support_standalone_new(n, section, &sup);
	if (FAILED(hr))
		return hr;
	hr = remote_MSProviderInit(NULL, NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, 0,
	                           CURRENT_SPI_VERSION, &spi, &prov);
	if (SUCCEEDED(hr))
		hr = IMSProvider_Logon(prov, sup, 0, NULL, cbEntryID, lpEntryID, ulFlags, NULL, NULL, NULL, NULL, &mslogon,
		                       lppMDB);
	if (mslogon)
		IMSLogon_Release(mslogon);
	if (prov)
		IMSProvider_Release(prov);
	IMAPISupport_Release(sup);
	return hr;
}

STDAPI MAPIXOpenRemoteStore(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG ulFlags, LPMDB *lppMDB)
{
	if (!lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenRemoteStore: NULL result pointer");
	*lppMDB = NULL;
	if (ulFlags & ~(ULONG)OPEN_FLAGS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIXOpenRemoteStore: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~(ULONG)OPEN_FLAGS));
	remote_target t = {lpszServer, NULL, NULL, NULL, NULL};
	return open_via_provider(&t, lpszMailbox, 0, NULL, ulFlags, lppMDB);
}

STDAPI MAPIXOpenRemoteStoreTLS(LPCSTR lpszServer, const MAPIXREMOTETLS *lpTLS, LPCSTR lpszMailbox, ULONG ulFlags,
                               LPMDB *lppMDB)
{
	if (!lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenRemoteStoreTLS: NULL result pointer");
	*lppMDB = NULL;
	if (lpTLS && lpTLS->ulVersion != MAPIX_REMOTE_TLS_VERSION)
		return mapix_error(MAPI_E_VERSION, "MAPIXOpenRemoteStoreTLS: MAPIXREMOTETLS version %u, this library "
		                                   "knows %u",
		                   (unsigned)lpTLS->ulVersion, (unsigned)MAPIX_REMOTE_TLS_VERSION);
	if (ulFlags & ~(ULONG)OPEN_FLAGS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIXOpenRemoteStoreTLS: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~(ULONG)OPEN_FLAGS));
	remote_target t = {lpszServer, NULL, NULL, NULL, NULL};
	if (lpTLS) {
		t.user = lpTLS->lpszUser;
		t.password = lpTLS->lpszPassword;
		t.ca_file = lpTLS->lpszCAFile;
		t.pin = lpTLS->lpszPinnedKey;
	}
	return open_via_provider(&t, lpszMailbox, 0, NULL, ulFlags, lppMDB);
}

STDAPI MAPIXOpenRemoteStoreEntryID(LPCSTR lpszServer, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                                   LPMDB *lppMDB)
{
	if (!lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenRemoteStoreEntryID: NULL result pointer");
	*lppMDB = NULL;
	if (!lpEntryID || !cbEntryID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenRemoteStoreEntryID: no entry ID");
	if (ulFlags & ~(ULONG)(OPEN_FLAGS & ~MAPIX_STORE_CREATE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIXOpenRemoteStoreEntryID: unknown flags 0x%08X",
		                   (unsigned)ulFlags);
	remote_target t = {lpszServer, NULL, NULL, NULL, NULL};
	return open_via_provider(&t, NULL, cbEntryID, lpEntryID, ulFlags, lppMDB);
}

STDAPI MAPIXMailboxLogon(LPCSTR lpszServer, LPMDB lpMDB, LPCSTR lpszMailbox, ULONG ulOpenStoreFlags, ULONG ulFlags,
                         LPMDB *lppMailbox)
{
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	HRESULT hr;
	if (!lppMailbox)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXMailboxLogon: NULL result pointer");
	*lppMailbox = NULL;
	if (lpMDB) {
		if (!remote_obj_is_proxy(lpMDB))
			return mapix_error(MAPI_E_NO_SUPPORT, "MAPIXMailboxLogon: the store is not hosted by mapixd");
		LPEXCHANGEMANAGESTORE ems = NULL;
		if (FAILED(hr = IMsgStore_QueryInterface(lpMDB, &IID_IExchangeManageStore, (LPVOID *)&ems)))
			return hr;
		hr = IExchangeManageStore_CreateStoreEntryID(ems, NULL, (LPSTR)lpszMailbox, ulOpenStoreFlags, &cb, &eid);
		IExchangeManageStore_Release(ems);
		if (SUCCEEDED(hr)) {
			/* The same server as the same identity (a TCP store's logon too). */
			remote_target t;
			remote_conn_target(((remote_obj *)lpMDB)->logon->conn, &t);
			hr = open_via_provider(&t, NULL, cb, eid, ulFlags, lppMailbox);
		}
	} else {
		remote_conn *conn;
		if (FAILED(hr = remote_conn_get(lpszServer, &conn)))
			return hr;
		hr = remote_create_store_entryid(conn, MAPIX_PROTO_CONN_HANDLE, NULL, lpszMailbox, ulOpenStoreFlags, &cb, &eid);
		if (SUCCEEDED(hr)) {
			remote_target t;
			remote_conn_target(conn, &t);
			hr = open_via_provider(&t, NULL, cb, eid, ulFlags, lppMailbox);
		}
		remote_conn_unref(conn);
	}
	if (eid)
		MAPIFreeBuffer(eid);
	return hr;
}

/* One administrative request on the connection. */
static HRESULT admin_call(LPCSTR lpszServer, ULONG op, const char *fn, int nstr, const char *const *strs,
                          const char *password)
{
	remote_conn *conn;
	HRESULT hr = remote_conn_get(lpszServer, &conn);
	if (FAILED(hr))
		return hr;
	rcall c;
	rc_begin(&c, conn, MAPIX_PROTO_CONN_HANDLE, op);
	for (int i = 0; i < nstr; i++)
		RC_PUT(&c, mapix_proto_put_str(&c.req, strs[i] ? strs[i] : ""));
	if (op == MPX_OP_ADMIN_CREATE) {
		RC_PUT(&c, mapix_wire_put_u8(&c.req, password != NULL));
		RC_PUT(&c, mapix_proto_put_str(&c.req, password ? password : ""));
	}
	hr = rc_run(&c, fn);
	rc_end(&c);
	remote_conn_unref(conn);
	return hr;
}

STDAPI MAPIXRemoteCreateAccount(LPCSTR lpszServer, LPCSTR lpszName, LPCSTR lpszDisplayName, LPCSTR lpszSmtp,
                                LPCSTR lpszUnixUser, LPCSTR lpszPassword)
{
	if (!lpszName || !*lpszName)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXRemoteCreateAccount: no account name");
	const char *s[] = {lpszName, lpszDisplayName, lpszSmtp, lpszUnixUser};
	return admin_call(lpszServer, MPX_OP_ADMIN_CREATE, "MAPIXRemoteCreateAccount", 4, s, lpszPassword);
}

STDAPI MAPIXRemoteDeleteAccount(LPCSTR lpszServer, LPCSTR lpszName)
{
	if (!lpszName || !*lpszName)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXRemoteDeleteAccount: no account name");
	const char *s[] = {lpszName};
	return admin_call(lpszServer, MPX_OP_ADMIN_DELETE, "MAPIXRemoteDeleteAccount", 1, s, NULL);
}

STDAPI MAPIXRemoteGrant(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszGrantee, LPCSTR lpszRight)
{
	if (!lpszMailbox || !lpszGrantee || !lpszRight)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXRemoteGrant: NULL argument");
	const char *s[] = {lpszMailbox, lpszGrantee, lpszRight};
	return admin_call(lpszServer, MPX_OP_ADMIN_GRANT, "MAPIXRemoteGrant", 3, s, NULL);
}

STDAPI MAPIXRemoteRevoke(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszGrantee, LPCSTR lpszRight)
{
	if (!lpszMailbox || !lpszGrantee || !lpszRight)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXRemoteRevoke: NULL argument");
	const char *s[] = {lpszMailbox, lpszGrantee, lpszRight};
	return admin_call(lpszServer, MPX_OP_ADMIN_REVOKE, "MAPIXRemoteRevoke", 3, s, NULL);
}
