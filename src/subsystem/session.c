/*
 * session.c — MAPILogonEx and IMAPISession.
 *
 * A session belongs to the security context that logged on (its instance)
 * and to one profile. Opening a store finds the store provider whose
 * profile section matches the entry ID, loads the provider
 * (provider_load.c), creates a support object bound to that section
 * (support.c) and calls IMSProvider::Logon — the same provider interface
 * MAPIXOpenLocalStore uses. A store provider's entry ID is learnt the first
 * time it is opened and recorded in its section, so later sessions list
 * and route without opening every store.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>
#include <mapix/mapixremote.h>

#include "core/entryid.h"
#include "core/error.h"
#include "subsystem/ab.h"
#include "subsystem/notify.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/session.h"

typedef struct open_store {
	MAPIUID provider;      /* the provider section */
	LPMSPROVIDER msp;
	LPMSLOGON mslogon;
	LPMDB mdb;             /* the session's reference */
	void *dl;              /* dlopen handle of a third-party provider */
	BYTE record_key[16];   /* PR_STORE_RECORD_KEY: routes entry IDs */
	ULONG cb_record_key;
	struct open_store *next;
} open_store;

typedef struct session {
	IMAPISession iface;
	atomic_ulong refs;
	mapix_instance *inst;
	char *profile_dir;
	char *profile;
	ULONG flags;
	BOOL logged_off;
	pthread_mutex_t lock;
	open_store *stores;
} session;

#define SES(This) ((session *)(This))

static HRESULT enter(session *s, const char *what)
{
	HRESULT hr = mapix_instance_check_caller(s->inst, what);
	if (FAILED(hr))
		return hr;
	if (s->logged_off)
		return mapix_error(MAPI_E_END_OF_SESSION, "%s: the session has logged off", what);
	return S_OK;
}

/* Logs off and releases a list of opened stores. */
static void close_store_list(open_store *st)
{
	while (st) {
		open_store *next = st->next;
		ULONG flags = LOGOFF_ORDERLY;
		if (st->mdb)
			st->mdb->lpVtbl->Release(st->mdb);
		if (st->mslogon) {
			st->mslogon->lpVtbl->Logoff(st->mslogon, &flags);
			st->mslogon->lpVtbl->Release(st->mslogon);
		}
		if (st->msp) {
			flags = 0;
			st->msp->lpVtbl->Shutdown(st->msp, &flags);
			st->msp->lpVtbl->Release(st->msp);
		}
		/* A third-party provider's code stays mapped: objects it made
		 * may outlive the session. */
		free(st);
		st = next;
	}
}

static void close_stores(session *s)
{
	open_store *st = s->stores;
	s->stores = NULL;
	close_store_list(st);
}

/* ---- finding and opening stores ------------------------------------------------------- */

static BOOL is_store_provider(const mapix_profsect_data *sec)
{
	LPSPropValue t = mapix_profsect_find_prop(sec, PR_RESOURCE_TYPE);
	return mapix_admin_is_provider(sec) && t && PROP_TYPE(t->ulPropTag) == PT_LONG &&
	       (ULONG)t->Value.l == MAPI_STORE_PROVIDER;
}

/* A string property of a section as malloc'd UTF-8 (either width), or NULL. */
static char *section_string(const mapix_profsect_data *sec, ULONG tag)
{
	LPSPropValue v = mapix_profsect_find_prop(sec, tag);
	char *out = NULL;
	if (v && PROP_TYPE(v->ulPropTag) == PT_STRING8)
		out = strdup(v->Value.lpszA);
	else if (v && PROP_TYPE(v->ulPropTag) == PT_UNICODE)
		mapix_admin_tstr(v->Value.lpszW, MAPI_UNICODE, &out);
	return out;
}

struct record_eid {
	MAPIUID uid;
	SBinary eid;
	SBinary record_key;
};

static HRESULT record_eid_edit(void *arg, mapix_profile *p)
{
	struct record_eid *r = arg;
	SPropValue v[2] = {{.ulPropTag = PR_ENTRYID, .Value.bin = r->eid},
	                   {.ulPropTag = PR_STORE_RECORD_KEY, .Value.bin = r->record_key}};
	mapix_profsect_data *sec = mapix_profile_find(p, &r->uid);
	if (!sec)
		return S_FALSE; /* the provider was removed meanwhile */
	LPSPropValue have = mapix_profsect_find_prop(sec, PR_ENTRYID);
	if (have && have->Value.bin.cb == r->eid.cb && memcmp(have->Value.bin.lpb, r->eid.lpb, r->eid.cb) == 0)
		return S_FALSE;
	return mapix_profile_set_props(p, &r->uid, 2, v);
}

/* Opens the store of provider section `sec` (logon flags as for
 * OpenMsgStore); with an entry ID, the store it names through that
 * provider (a mailbox other than the section's own, which is then not
 * recorded as the section's store). */
static HRESULT open_provider_eid(session *s, const mapix_profsect_data *sec, ULONG cbEntryID, LPENTRYID lpEntryID,
                                 ULONG ulFlags, open_store **out);

static HRESULT open_provider(session *s, const mapix_profsect_data *sec, ULONG ulFlags, open_store **out)
{
	return open_provider_eid(s, sec, 0, NULL, ulFlags, out);
}

static HRESULT open_provider_eid(session *s, const mapix_profsect_data *sec, ULONG cbEntryID, LPENTRYID lpEntryID,
                                 ULONG ulFlags, open_store **out)
{
	char *dll = section_string(sec, PR_PROVIDER_DLL_NAME_A);
	char *display = section_string(sec, PR_PROVIDER_DISPLAY_A);
	if (!display)
		display = section_string(sec, PR_DISPLAY_NAME_A);
	LPMSPROVIDERINIT init;
	open_store *st = calloc(1, sizeof *st);
	LPMAPISUP sup = NULL;
	LPMAPIERROR err = NULL;
	ULONG ver = 0, cbsec = 0;
	LPBYTE sec_bytes = NULL;
	HRESULT hr;

	if (!st)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenMsgStore: out of memory");
	st->provider = sec->uid;
	if (FAILED(hr = mapix_provider_load(dll, display, &init, &st->dl)))
		goto fail;
	hr = init(NULL, MAPIGetDefaultMalloc(), MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, 0,
	          CURRENT_SPI_VERSION, &ver, &st->msp);
	if (FAILED(hr)) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		hr = mapix_error(MAPI_E_FAILONEPROVIDER, "provider %s: MSProviderInit failed: %s", display ? display : dll, why);
		goto fail;
	}
	if (FAILED(hr = mapix_support_create(s->inst, s->profile_dir, s->profile, &sec->uid, &sup)))
		goto fail;
	hr = st->msp->lpVtbl->Logon(st->msp, sup, 0, NULL, cbEntryID, lpEntryID, ulFlags, NULL, &cbsec, &sec_bytes, &err,
	                            &st->mslogon, &st->mdb);
	sup->lpVtbl->Release(sup);
	if (err)
		MAPIFreeBuffer(err);
	if (sec_bytes)
		MAPIFreeBuffer(sec_bytes);
	if (FAILED(hr)) {
		/* A provider that could not find its configuration is a provider
		 * that failed; one that found a damaged store says so itself. */
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		if (hr == MAPI_E_UNCONFIGURED || hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_PARAMETER)
			hr = MAPI_E_FAILONEPROVIDER;
		mapix_error(hr, "provider %s: %s", display ? display : dll, why);
		goto fail;
	}
	/* Learn the store's identity for routing and for the stores table. */
	SizedSPropTagArray(2, tags) = {2, {PR_ENTRYID, PR_STORE_RECORD_KEY}};
	ULONG n = 0;
	LPSPropValue vals = NULL;
	if (SUCCEEDED(st->mdb->lpVtbl->GetProps(st->mdb, (LPSPropTagArray)&tags, 0, &n, &vals)) && n == 2 &&
	    PROP_TYPE(vals[0].ulPropTag) == PT_BINARY && PROP_TYPE(vals[1].ulPropTag) == PT_BINARY) {
		st->cb_record_key = vals[1].Value.bin.cb < 16 ? vals[1].Value.bin.cb : 16;
		memcpy(st->record_key, vals[1].Value.bin.lpb, st->cb_record_key);
		struct record_eid r = {sec->uid, vals[0].Value.bin, vals[1].Value.bin};
		if (lpEntryID)
			; /* another mailbox through this provider: not the section's store */
		else if (!mapix_profsect_find_prop(sec, PR_ENTRYID) ||
		    mapix_profsect_find_prop(sec, PR_ENTRYID)->Value.bin.cb != r.eid.cb ||
		    memcmp(mapix_profsect_find_prop(sec, PR_ENTRYID)->Value.bin.lpb, r.eid.lpb, r.eid.cb) != 0)
			mapix_profile_update(s->profile_dir, s->profile, record_eid_edit, &r);
	}
	if (vals)
		MAPIFreeBuffer(vals);
	free(dll);
	free(display);
	*out = st;
	return S_OK;
fail:
	if (st->msp)
		st->msp->lpVtbl->Release(st->msp);
	free(st);
	free(dll);
	free(display);
	return hr;
}

static BOOL section_matches(const mapix_profsect_data *sec, ULONG cb, const ENTRYID *eid)
{
	LPSPropValue v = mapix_profsect_find_prop(sec, PR_ENTRYID);
	return v && PROP_TYPE(v->ulPropTag) == PT_BINARY && v->Value.bin.cb == cb && memcmp(v->Value.bin.lpb, eid, cb) == 0;
}

static BOOL is_default_store(const mapix_profsect_data *sec)
{
	LPSPropValue f = mapix_profsect_find_prop(sec, PR_RESOURCE_FLAGS);
	return f && PROP_TYPE(f->ulPropTag) == PT_LONG && ((ULONG)f->Value.l & STATUS_DEFAULT_STORE);
}

/* The remote store section of the profile that should open the store
 * entry ID eid: one whose own recorded mailbox is on the same server, else
 * the first remote section; NULL when eid names no mailbox DN or the
 * profile has no remote store. */
static const mapix_profsect_data *remote_section_for(const mapix_profile *p, ULONG cb, LPENTRYID eid)
{
	char server[256], dn[512], other[256], other_dn[512];
	const mapix_profsect_data *first = NULL;
	if (FAILED(mapix_entryid_parse_store(cb, eid, server, sizeof server, dn, sizeof dn))) {
		mapix_error_clear();
		return NULL;
	}
	for (ULONG i = 0; i < p->cSections; i++) {
		const mapix_profsect_data *sec = &p->sections[i];
		if (!is_store_provider(sec))
			continue;
		char *dll = section_string(sec, PR_PROVIDER_DLL_NAME_A);
		BOOL is_remote = dll && strcmp(dll, "mapix_remote") == 0;
		free(dll);
		if (!is_remote)
			continue;
		if (!first)
			first = sec;
		LPSPropValue own = mapix_profsect_find_prop(sec, PR_ENTRYID);
		if (own && PROP_TYPE(own->ulPropTag) == PT_BINARY &&
		    SUCCEEDED(mapix_entryid_parse_store(own->Value.bin.cb, (LPENTRYID)own->Value.bin.lpb, other, sizeof other,
		                                        other_dn, sizeof other_dn)) &&
		    strcasecmp(other, server) == 0)
			return sec;
	}
	mapix_error_clear();
	return first;
}

/* Opens the store named by lpEntryID (NULL: the default store). */
static HRESULT open_store_by_eid(session *s, ULONG cb, LPENTRYID eid, ULONG ulFlags, open_store **out)
{
	mapix_profile *p = NULL;
	HRESULT hr = mapix_profile_load(s->profile_dir, s->profile, &p);
	if (FAILED(hr)) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		return mapix_error(hr == MAPI_E_NOT_FOUND ? MAPI_E_LOGON_FAILED : hr, "profile %s: %s", s->profile, why);
	}
	const mapix_profsect_data *pick = NULL, *first = NULL, *unknown_eid = NULL;
	ULONG nstores = 0;
	for (ULONG i = 0; i < p->cSections; i++) {
		const mapix_profsect_data *sec = &p->sections[i];
		if (!is_store_provider(sec))
			continue;
		nstores++;
		if (!first)
			first = sec;
		if (!eid && is_default_store(sec))
			pick = sec;
		if (eid && section_matches(sec, cb, eid))
			pick = sec;
		if (!mapix_profsect_find_prop(sec, PR_ENTRYID) && !unknown_eid)
			unknown_eid = sec;
	}
	if (!eid && !pick)
		pick = first;
	if (!pick && eid && unknown_eid) {
		/* Not recorded yet: open the providers we do not know to find it. */
		for (ULONG i = 0; i < p->cSections && SUCCEEDED(hr); i++) {
			const mapix_profsect_data *sec = &p->sections[i];
			if (!is_store_provider(sec) || mapix_profsect_find_prop(sec, PR_ENTRYID))
				continue;
			open_store *st;
			if (FAILED(open_provider(s, sec, ulFlags, &st)))
				continue;
			SizedSPropTagArray(1, t) = {1, {PR_ENTRYID}};
			ULONG n, same = 0;
			LPSPropValue v = NULL;
			BOOL match = FALSE;
			if (SUCCEEDED(st->mdb->lpVtbl->GetProps(st->mdb, (LPSPropTagArray)&t, 0, &n, &v)) &&
			    PROP_TYPE(v[0].ulPropTag) == PT_BINARY &&
			    SUCCEEDED(st->msp->lpVtbl->CompareStoreIDs(st->msp, cb, eid, v[0].Value.bin.cb,
			                                               (LPENTRYID)v[0].Value.bin.lpb, 0, &same)))
				match = same != 0;
			if (v)
				MAPIFreeBuffer(v);
			if (match) {
				mapix_profile_free(p);
				*out = st;
				return S_OK;
			}
			close_store_list(st);
		}
	}
	if (!pick && eid) {
		/* A store entry ID of a mailbox hosted by mapixd that is none of
		 * the profile's own (IExchangeManageStore::CreateStoreEntryID, a
		 * PR_STORE_ENTRYID of another mailbox): the profile's remote store
		 * service opens it on its server, with the caller's rights. */
		const mapix_profsect_data *remote = remote_section_for(p, cb, eid);
		if (remote) {
			hr = open_provider_eid(s, remote, cb, eid, ulFlags, out);
			mapix_profile_free(p);
			return hr;
		}
	}
	if (!pick) {
		mapix_profile_free(p);
		if (nstores == 0)
			return mapix_error(MAPI_E_NOT_FOUND, "profile %s has no message store service", s->profile);
		return mapix_error(MAPI_E_NOT_FOUND, "profile %s has no store with that entry ID", s->profile);
	}
	hr = open_provider(s, pick, ulFlags, out);
	mapix_profile_free(p);
	return hr;
}

/* ---- IMAPISession ----------------------------------------------------------------------- */

static HRESULT ses_QueryInterface(IMAPISession *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPISession)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&SES(This)->refs, 1);
	*ppv = This;
	return S_OK;
}

static ULONG ses_AddRef(IMAPISession *This)
{
	return (ULONG)atomic_fetch_add(&SES(This)->refs, 1) + 1;
}

static HRESULT free_session_as_owner(void *arg)
{
	session *s = arg;
	close_stores(s);
	return S_OK;
}

static ULONG ses_Release(IMAPISession *This)
{
	session *s = SES(This);
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (left)
		return left;
	/* Closing stores touches files: do it as the session's owner, from
	 * whatever thread the last Release comes. */
	if (FAILED(mapix_instance_run_as(s->inst, free_session_as_owner, s)))
		close_stores(s);
	pthread_mutex_destroy(&s->lock);
	free(s->profile_dir);
	free(s->profile);
	mapix_instance *inst = s->inst;
	free(s);
	mapix_instance_release(inst);
	return 0;
}

static HRESULT ses_GetLastError(IMAPISession *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = mapix_instance_check_caller(SES(This)->inst, "IMAPISession::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_error_to_mapierror(hResult, ulFlags, "MAPI session", lppMAPIError);
}

static HRESULT ses_GetMsgStoresTable(IMAPISession *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	session *s = SES(This);
	static const SizedSPropTagArray(7, cols) = {
		7, {PR_INSTANCE_KEY, PR_ENTRYID, PR_DISPLAY_NAME_A, PR_DEFAULT_STORE, PR_PROVIDER_DISPLAY_A,
		    PR_RESOURCE_FLAGS, PR_MDB_PROVIDER}};
	HRESULT hr = enter(s, "IMAPISession::GetMsgStoresTable");
	if (FAILED(hr))
		return hr;
	if (!lppTable)
		return MAPI_E_INVALID_PARAMETER;
	/* Opening each store once records its entry ID in the profile. */
	mapix_profile *p = NULL;
	if (FAILED(hr = mapix_profile_load(s->profile_dir, s->profile, &p)))
		return hr;
	for (ULONG i = 0; i < p->cSections; i++) {
		const mapix_profsect_data *sec = &p->sections[i];
		if (!is_store_provider(sec) || mapix_profsect_find_prop(sec, PR_ENTRYID))
			continue;
		open_store *st;
		if (SUCCEEDED(open_provider(s, sec, 0, &st))) {
			close_store_list(st);
		}
	}
	mapix_profile_free(p);
	if (FAILED(hr = mapix_profile_load(s->profile_dir, s->profile, &p)))
		return hr;
	LPSPropValue *rows = calloc(p->cSections ? p->cSections : 1, sizeof *rows);
	ULONG n = 0;
	for (ULONG i = 0; rows && SUCCEEDED(hr) && i < p->cSections; i++) {
		const mapix_profsect_data *sec = &p->sections[i];
		if (!is_store_provider(sec))
			continue;
		if (FAILED(hr = mapix_admin_section_row((const SPropTagArray *)&cols, sec, &rows[n])))
			break;
		LPSPropValue r = rows[n++];
		/* PR_INSTANCE_KEY: the provider's UID; PR_DEFAULT_STORE from the flags. */
		r[0].ulPropTag = PR_INSTANCE_KEY;
		MAPIAllocateMore(sizeof(MAPIUID), r, (LPVOID *)&r[0].Value.bin.lpb);
		if (r[0].Value.bin.lpb) {
			memcpy(r[0].Value.bin.lpb, &sec->uid, sizeof(MAPIUID));
			r[0].Value.bin.cb = sizeof(MAPIUID);
		}
		r[3].ulPropTag = PR_DEFAULT_STORE;
		r[3].Value.b = is_default_store(sec);
		if (PROP_TYPE(r[2].ulPropTag) == PT_ERROR) {
			char *pd = section_string(sec, PR_PROVIDER_DISPLAY_A);
			size_t len = pd ? strlen(pd) + 1 : 0;
			if (pd && SUCCEEDED(MAPIAllocateMore((ULONG)len, r, (LPVOID *)&r[2].Value.lpszA))) {
				memcpy(r[2].Value.lpszA, pd, len);
				r[2].ulPropTag = PR_DISPLAY_NAME_A;
			}
			free(pd);
		}
	}
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetMsgStoresTable: out of memory");
	if (SUCCEEDED(hr))
		hr = mapix_admin_make_table((const SPropTagArray *)&cols, n, rows, lppTable);
	for (ULONG i = 0; rows && i < n; i++)
		MAPIFreeBuffer(rows[i]);
	free(rows);
	mapix_profile_free(p);
	return hr;
}

static HRESULT ses_OpenMsgStore(IMAPISession *This, ULONG_PTR ulUIParam, ULONG cbEntryID, LPENTRYID lpEntryID,
                                LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::OpenMsgStore");
	if (FAILED(hr))
		return hr;
	if (!lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenMsgStore: lppMDB is NULL");
	const ULONG known = MDB_NO_DIALOG | MDB_WRITE | MDB_TEMPORARY | MDB_NO_MAIL | MDB_ONLINE | MAPI_BEST_ACCESS |
	                    MAPI_DEFERRED_ERRORS | 0x00000800 /* MDB_NO_MAIL_DEPRECATED */ | 0x80000000 /* MAPI_UNICODE */;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenMsgStore: unknown flags 0x%08X", (unsigned)(ulFlags & ~known));
	open_store *st;
	if (FAILED(hr = open_store_by_eid(s, cbEntryID, lpEntryID, ulFlags, &st)))
		return hr;
	LPMDB mdb = st->mdb;
	mdb->lpVtbl->AddRef(mdb);
	pthread_mutex_lock(&s->lock);
	st->next = s->stores;
	s->stores = st;
	pthread_mutex_unlock(&s->lock);
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IMsgStore)) {
		LPVOID other;
		hr = mdb->lpVtbl->QueryInterface(mdb, lpInterface, &other);
		mdb->lpVtbl->Release(mdb);
		if (FAILED(hr))
			return hr;
		mdb = other;
	}
	*lppMDB = mdb;
	return S_OK;
}

/* The open store whose record key (mailbox GUID) is the entry ID's
 * provider UID; opens the default store first when none is open. */
static LPMDB route_entry(session *s, ULONG cb, LPENTRYID eid)
{
	if (!eid || cb < 20)
		return NULL;
	const BYTE *uid = (const BYTE *)eid + 4;
	for (int attempt = 0; attempt < 2; attempt++) {
		pthread_mutex_lock(&s->lock);
		for (open_store *st = s->stores; st; st = st->next)
			if (st->cb_record_key == 16 && memcmp(st->record_key, uid, 16) == 0) {
				LPMDB mdb = st->mdb;
				mdb->lpVtbl->AddRef(mdb);
				pthread_mutex_unlock(&s->lock);
				return mdb;
			}
		pthread_mutex_unlock(&s->lock);
		if (attempt == 0) {
			LPMDB mdb;
			if (FAILED(ses_OpenMsgStore(&s->iface, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb)))
				return NULL;
			mdb->lpVtbl->Release(mdb);
		}
	}
	return NULL;
}

static HRESULT ses_OpenEntry(IMAPISession *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                             ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::OpenEntry");
	if (FAILED(hr))
		return hr;
	if (!lppUnk || !lpulObjType)
		return MAPI_E_INVALID_PARAMETER;
	/* A store entry ID opens the store; anything else goes to the open
	 * store that owns it (without reading the profile again). */
	LPMDB mdb;
	enum mapix_entryid_kind kind = MAPIX_EID_UNKNOWN;
	GUID guid;
	uint64_t fid, mid;
	if (cbEntryID && lpEntryID && FAILED(mapix_entryid_parse(cbEntryID, lpEntryID, &kind, &guid, &fid, &mid)))
		mapix_error_clear(); /* not one of ours: a store may still know it */
	if (kind == MAPIX_EID_STORE) {
		hr = ses_OpenMsgStore(This, 0, cbEntryID, lpEntryID, NULL,
		                      (ulFlags & MAPI_MODIFY) ? MDB_WRITE : MAPI_BEST_ACCESS, &mdb);
		if (SUCCEEDED(hr)) {
			*lpulObjType = MAPI_STORE;
			*lppUnk = (LPUNKNOWN)mdb;
		}
		return hr;
	}
	if (!(mdb = route_entry(s, cbEntryID, lpEntryID)))
		return mapix_error(MAPI_E_UNKNOWN_ENTRYID, "IMAPISession::OpenEntry: no store of this profile owns the entry ID");
	hr = mdb->lpVtbl->OpenEntry(mdb, cbEntryID, lpEntryID, lpInterface, ulFlags, lpulObjType, lppUnk);
	mdb->lpVtbl->Release(mdb);
	return hr;
}

static HRESULT ses_CompareEntryIDs(IMAPISession *This, ULONG cb1, LPENTRYID e1, ULONG cb2, LPENTRYID e2,
                                   ULONG ulFlags, ULONG *lpulResult)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::CompareEntryIDs");
	if (FAILED(hr))
		return hr;
	if (!lpulResult)
		return MAPI_E_INVALID_PARAMETER;
	LPMDB mdb = route_entry(s, cb1, e1);
	if (!mdb) {
		*lpulResult = cb1 == cb2 && e1 && e2 && memcmp(e1, e2, cb1) == 0;
		return S_OK;
	}
	hr = mdb->lpVtbl->CompareEntryIDs(mdb, cb1, e1, cb2, e2, ulFlags, lpulResult);
	mdb->lpVtbl->Release(mdb);
	return hr;
}

static HRESULT ses_Advise(IMAPISession *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                          LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::Advise");
	if (FAILED(hr))
		return hr;
	LPMDB mdb = route_entry(s, cbEntryID, lpEntryID);
	if (!mdb)
		return mapix_error(MAPI_E_UNKNOWN_ENTRYID, "IMAPISession::Advise: no store of this profile owns the entry ID");
	hr = mdb->lpVtbl->Advise(mdb, cbEntryID, lpEntryID, ulEventMask, lpAdviseSink, lpulConnection);
	mdb->lpVtbl->Release(mdb);
	return hr;
}

static HRESULT ses_Unadvise(IMAPISession *This, ULONG_PTR ulConnection)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::Unadvise");
	if (FAILED(hr))
		return hr;
	/* Store connections come from the instance's engine: one namespace. */
	return mapix_notify_unsubscribe(s->inst, ulConnection);
}

static HRESULT ses_OpenProfileSection(IMAPISession *This, LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags,
                                      LPPROFSECT *lppProfSect)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::OpenProfileSection");
	if (FAILED(hr))
		return hr;
	if (!lpUID || !lppProfSect)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenProfileSection: NULL section UID or output");
	return mapix_profsect_create(s->inst, s->profile_dir, s->profile, lpUID, ulFlags, lppProfSect);
}

/*
 * The primary identity: a provider section's PR_IDENTITY_ENTRYID when a
 * provider has STATUS_PRIMARY_IDENTITY; otherwise, as Windows does when no
 * service provides one, a one-off entry ID (MS-OXCDATA 2.2.5.1) for the
 * user the session belongs to, with MAPI_W_NO_SERVICE.
 */
static HRESULT ses_QueryIdentity(IMAPISession *This, ULONG *lpcbEntryID, LPENTRYID *lppEntryID)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::QueryIdentity");
	if (FAILED(hr))
		return hr;
	if (!lpcbEntryID || !lppEntryID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryIdentity: NULL output");
	mapix_profile *p = NULL;
	if (SUCCEEDED(mapix_profile_load(s->profile_dir, s->profile, &p))) {
		for (ULONG i = 0; i < p->cSections; i++) {
			LPSPropValue f = mapix_profsect_find_prop(&p->sections[i], PR_RESOURCE_FLAGS);
			LPSPropValue id = mapix_profsect_find_prop(&p->sections[i], PR_IDENTITY_ENTRYID);
			if (f && PROP_TYPE(f->ulPropTag) == PT_LONG && ((ULONG)f->Value.l & STATUS_PRIMARY_IDENTITY) && id &&
			    PROP_TYPE(id->ulPropTag) == PT_BINARY && id->Value.bin.cb) {
				hr = MAPIAllocateBuffer(id->Value.bin.cb, (LPVOID *)lppEntryID);
				if (SUCCEEDED(hr)) {
					memcpy(*lppEntryID, id->Value.bin.lpb, id->Value.bin.cb);
					*lpcbEntryID = id->Value.bin.cb;
				}
				mapix_profile_free(p);
				return hr;
			}
		}
		mapix_profile_free(p);
	}
	/* The session's user, from the user database. */
	struct passwd pw, *res = NULL;
	char buf[4096], host[256] = "localhost", addr[600], name[256];
	getpwuid_r(s->inst->ctx.euid, &pw, buf, sizeof buf, &res);
	const char *login = res ? res->pw_name : "unknown";
	size_t gl = res && res->pw_gecos ? strcspn(res->pw_gecos, ",") : 0;
	snprintf(name, sizeof name, "%.*s", (int)(gl ? gl : strlen(login)), gl ? res->pw_gecos : login);
	gethostname(host, sizeof host - 1);
	snprintf(addr, sizeof addr, "%s@%s", login, host);
	SBinary oneoff;
	if (FAILED(hr = mapix_oneoff_build(name, "SMTP", addr, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO, NULL,
	                                   &oneoff)))
		return hr;
	*lpcbEntryID = oneoff.cb;
	*lppEntryID = (LPENTRYID)oneoff.lpb;
	return MAPI_W_NO_SERVICE;
}

static HRESULT ses_Logoff(IMAPISession *This, ULONG_PTR ulUIParam, ULONG ulFlags, ULONG ulReserved)
{
	session *s = SES(This);
	HRESULT hr = mapix_instance_check_caller(s->inst, "IMAPISession::Logoff");
	if (FAILED(hr))
		return hr;
	pthread_mutex_lock(&s->lock);
	s->logged_off = TRUE;
	close_stores(s);
	pthread_mutex_unlock(&s->lock);
	return S_OK;
}

static HRESULT ses_AdminServices(IMAPISession *This, ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::AdminServices");
	if (FAILED(hr))
		return hr;
	return mapix_svcadmin_create(s->inst, s->profile_dir, s->profile, lppServiceAdmin);
}

#define SES_NO_SUPPORT(name, ...)                                                                           \
	static HRESULT ses_##name(IMAPISession *This, __VA_ARGS__)                                              \
	{                                                                                                       \
		HRESULT hr = enter(SES(This), "IMAPISession::" #name);                                              \
		return FAILED(hr) ? hr : mapix_error(MAPI_E_NO_SUPPORT, "IMAPISession::" #name " is not available"); \
	}

SES_NO_SUPPORT(GetStatusTable, ULONG a, LPMAPITABLE *b)
SES_NO_SUPPORT(MessageOptions, ULONG_PTR a, ULONG b, LPTSTR c, LPMESSAGE d)
SES_NO_SUPPORT(QueryDefaultMessageOpt, LPTSTR a, ULONG b, ULONG *c, LPSPropValue *d)
SES_NO_SUPPORT(EnumAdrTypes, ULONG a, ULONG *b, LPTSTR **c)
SES_NO_SUPPORT(SetDefaultStore, ULONG a, ULONG b, LPENTRYID c)
SES_NO_SUPPORT(ShowForm, ULONG_PTR a, LPMDB b, LPMAPIFOLDER c, LPCIID d, ULONG e, LPMESSAGE f, ULONG g, ULONG h,
               ULONG i, ULONG j, LPSTR k)
SES_NO_SUPPORT(PrepareForm, LPCIID a, LPMESSAGE b, ULONG *c)

/* The address book over this session's stores (ab_book.c). */
static HRESULT ses_OpenAddressBook(IMAPISession *This, ULONG_PTR ulUIParam, LPCIID lpInterface, ULONG ulFlags,
                                   LPADRBOOK *lppAdrBook)
{
	session *s = SES(This);
	HRESULT hr = enter(s, "IMAPISession::OpenAddressBook");
	if (FAILED(hr))
		return hr;
	(void)ulUIParam;
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IAddrBook))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenAddressBook: only IID_IAddrBook is available");
	return mapix_addrbook_create(s->inst, This, ulFlags, lppAdrBook);
}

static const IMAPISessionVtbl session_vtbl = {
	ses_QueryInterface, ses_AddRef, ses_Release, ses_GetLastError, ses_GetMsgStoresTable, ses_OpenMsgStore,
	ses_OpenAddressBook, ses_OpenProfileSection, ses_GetStatusTable, ses_OpenEntry, ses_CompareEntryIDs, ses_Advise,
	ses_Unadvise, ses_MessageOptions, ses_QueryDefaultMessageOpt, ses_EnumAdrTypes, ses_QueryIdentity, ses_Logoff,
	ses_SetDefaultStore, ses_AdminServices, ses_ShowForm, ses_PrepareForm,
};

/* ---- MAPILogonEx -------------------------------------------------------------------------- */

STDAPI MAPILogonEx(ULONG_PTR ulUIParam, LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG ulFlags,
                   LPMAPISESSION *lppSession)
{
	const ULONG known = MAPI_LOGON_UI | MAPI_NEW_SESSION | MAPI_ALLOW_OTHERS | MAPI_EXPLICIT_PROFILE | MAPI_EXTENDED |
	                    MAPI_FORCE_DOWNLOAD | MAPI_SERVICE_UI_ALWAYS | MAPI_NO_MAIL | MAPI_NT_SERVICE |
	                    MAPI_PASSWORD_UI | MAPI_USE_DEFAULT | MAPI_TIMEOUT_SHORT | MAPI_BG_SESSION | MAPI_UNICODE;
	char *name = NULL;
	HRESULT hr;

	if (!lppSession)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPILogonEx: lppSession is NULL");
	*lppSession = NULL;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPILogonEx: unknown flags 0x%08X", (unsigned)(ulFlags & ~known));
	mapix_instance *inst = mapix_instance_current(TRUE);
	if (!inst)
		return mapix_error(MAPI_E_NOT_INITIALIZED, "MAPILogonEx: MAPIInitialize was not called in this security context");
	if (lpszProfileName && !(ulFlags & MAPI_USE_DEFAULT))
		hr = mapix_admin_tstr(lpszProfileName, ulFlags & MAPI_UNICODE, &name);
	else
		hr = mapix_profile_get_default(inst->profile_dir, &name);
	if (FAILED(hr)) {
		/* Without a profile, Windows would show a dialog to pick one;
		 * there is no UI here, so that is a failed logon. */
		hr = mapix_error(MAPI_E_LOGON_FAILED, "MAPILogonEx: %s in %s%s",
		                 lpszProfileName ? "bad profile name" : "no profile named and no default profile",
		                 inst->profile_dir, (ulFlags & (MAPI_LOGON_UI | MAPI_PASSWORD_UI)) ? " (no UI to ask)" : "");
		mapix_instance_release(inst);
		return hr;
	}
	if (!mapix_profile_exists(inst->profile_dir, name)) {
		hr = mapix_error(MAPI_E_LOGON_FAILED, "MAPILogonEx: no profile named \"%s\" in %s", name, inst->profile_dir);
		free(name);
		mapix_instance_release(inst);
		return hr;
	}
	session *s = calloc(1, sizeof *s);
	if (!s || !(s->profile_dir = strdup(inst->profile_dir))) {
		free(s);
		free(name);
		mapix_instance_release(inst);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPILogonEx: out of memory");
	}
	s->iface.lpVtbl = &session_vtbl;
	atomic_init(&s->refs, 1);
	s->inst = inst; /* the reference taken above */
	s->profile = name;
	s->flags = ulFlags;
	pthread_mutex_init(&s->lock, NULL);
	*lppSession = &s->iface;
	return S_OK;
}
