/*
 * ab_book.c — IAddrBook, from IMAPISession::OpenAddressBook. At opening it
 * opens every store of the session's profile (as the session would, through
 * IMAPISession::OpenMsgStore) and takes each one's Contacts folder as a
 * container; a store that cannot be opened, or has no Contacts folder, is
 * left out. OpenEntry routes by the entry ID's provider UID: one-off
 * entries (MS-OXCDATA 2.2.5.1) become mail users on the spot, contact
 * address book entries go to ab_contacts.c, container entry IDs (and no
 * entry ID: the root) to ab_obj.c. No UI: Address, Details, NewEntry and
 * RecipOptions answer MAPI_E_NO_SUPPORT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>

#include "core/error.h"
#include "subsystem/ab.h"

/* "mapixab" + container marker: mapix's own containers. */
const BYTE MAPIX_ABCONT_UID[16] = {0x6D, 0x61, 0x70, 0x69, 0x78, 0x61, 0x62, 0x00,
                                   0x63, 0x6F, 0x6E, 0x74, 0x61, 0x69, 0x6E, 0x01};

void mapix_ab_container_eid(ULONG index, BYTE out[MAPIX_ABCONT_EID_SIZE])
{
	memset(out, 0, 4);
	memcpy(out + 4, MAPIX_ABCONT_UID, 16);
	out[20] = (BYTE)index;
	out[21] = (BYTE)(index >> 8);
	out[22] = (BYTE)(index >> 16);
	out[23] = (BYTE)(index >> 24);
}

HRESULT mapix_ab_container_parse(ULONG cb, const BYTE *eid, ULONG *index)
{
	if (cb != MAPIX_ABCONT_EID_SIZE || !eid || memcmp(eid + 4, MAPIX_ABCONT_UID, 16) != 0)
		return MAPI_E_INVALID_ENTRYID;
	*index = mapix_ab_get_u32(eid + 20);
	return S_OK;
}

#define AB(This) ((ab_book *)(void *)(This))

static HRESULT enter(ab_book *ab, const char *what)
{
	return mapix_instance_check_caller(ab->inst, what);
}

void mapix_ab_book_addref(ab_book *ab)
{
	atomic_fetch_add(&ab->refs, 1);
}

void mapix_ab_book_release(ab_book *ab)
{
	if (atomic_fetch_sub(&ab->refs, 1) != 1)
		return;
	for (ULONG i = 0; i < ab->nfolders; i++) {
		if (ab->folders[i].folder)
			ab->folders[i].folder->lpVtbl->Release(ab->folders[i].folder);
		ab->folders[i].mdb->lpVtbl->Release(ab->folders[i].mdb);
		free(ab->folders[i].name);
	}
	free(ab->folders);
	if (ab->session)
		ab->session->lpVtbl->Release(ab->session);
	mapix_instance_release(ab->inst);
	free(ab);
}

static HRESULT ab_QueryInterface(IAddrBook *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPIProp) && !IsEqualIID(riid, &IID_IAddrBook))
		return E_NOINTERFACE;
	mapix_ab_book_addref(AB(This));
	*ppv = This;
	return S_OK;
}

static ULONG ab_AddRef(IAddrBook *This)
{
	return (ULONG)atomic_fetch_add(&AB(This)->refs, 1) + 1;
}

static ULONG ab_Release(IAddrBook *This)
{
	ULONG left = (ULONG)atomic_load(&AB(This)->refs) - 1;
	mapix_ab_book_release(AB(This));
	return left;
}

static HRESULT ab_GetLastError(IAddrBook *This, HRESULT hr, ULONG flags, LPMAPIERROR *out)
{
	(void)This;
	return mapix_error_to_mapierror(hr, flags, "mapix address book", out);
}

/* A one-off entry as an IMailUser: its strings, MAPI_E_INVALID_ENTRYID if
 * it is not well-formed. */
static HRESULT open_oneoff(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *type, LPUNKNOWN *out)
{
	MAPIX_ONEOFF o;
	HRESULT hr = mapix_oneoff_parse(cb, eid, NULL, &o);
	if (FAILED(hr))
		return hr;
	SBinary self = {cb, (LPBYTE)eid};
	ULONG n;
	LPSPropValue props = NULL;
	hr = mapix_ab_user_props(o.lpszName, o.lpszAdrType, o.lpszAddress, NULL, &self, DT_MAILUSER, TRUE, &n, &props);
	MAPIFreeBuffer(o.lpszName);
	if (SUCCEEDED(hr)) {
		/* PR_SEND_RICH_INFO follows the entry's "no rich info" flag. */
		SPropValue all[12];
		memcpy(all, props, n * sizeof *props);
		all[n].ulPropTag = PR_SEND_RICH_INFO;
		all[n].Value.b = !(o.wFlags & MAPI_ONE_OFF_NO_RICH_INFO);
		hr = mapix_ab_mailuser_new(ab, n + 1, all, (LPMAILUSER *)out);
	}
	MAPIFreeBuffer(props);
	if (SUCCEEDED(hr))
		*type = MAPI_MAILUSER;
	return hr;
}

static HRESULT ab_OpenEntry(IAddrBook *This, ULONG cb, LPENTRYID eid, LPCIID iid, ULONG flags, ULONG *type,
                            LPUNKNOWN *out)
{
	ab_book *ab = AB(This);
	HRESULT hr = enter(ab, "IAddrBook::OpenEntry");
	if (FAILED(hr))
		return hr;
	if (!type || !out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IAddrBook::OpenEntry: NULL output");
	if (flags & MAPI_MODIFY)
		return mapix_error(MAPI_E_NO_ACCESS, "IAddrBook::OpenEntry: address book entries are read-only");
	*out = NULL;
	const BYTE *p = (const BYTE *)eid;
	ULONG index;
	if (!cb || !eid) {
		hr = mapix_ab_container_new(ab, MAPIX_ABCONT_ROOT, (LPABCONT *)out);
		*type = MAPI_ABCONT;
	} else if (mapix_ab_container_parse(cb, p, &index) == S_OK) {
		hr = mapix_ab_container_new(ab, index, (LPABCONT *)out);
		*type = MAPI_ABCONT;
	} else if (mapix_is_oneoff(cb, p)) {
		hr = open_oneoff(ab, cb, p, type, out);
	} else if (cb >= 20 && memcmp(p + 4, MAPIX_CONTAB_UID, 16) == 0) {
		hr = mapix_ab_open_contab(ab, cb, p, type, out);
	} else if (cb >= 20 && memcmp(p + 4, MAPIX_AB_UID, 16) == 0) {
		hr = mapix_ab_open_gal(ab, cb, p, type, out);
	} else {
		return mapix_error(MAPI_E_UNKNOWN_ENTRYID, "IAddrBook::OpenEntry: no address book provider owns the entry ID");
	}
	if (FAILED(hr))
		return hr;
	if (iid && !IsEqualIID(iid, &IID_IMAPIProp)) {
		LPUNKNOWN other = NULL;
		hr = (*out)->lpVtbl->QueryInterface(*out, iid, (LPVOID *)&other);
		(*out)->lpVtbl->Release(*out);
		*out = other;
		if (FAILED(hr))
			return mapix_error(E_NOINTERFACE, "IAddrBook::OpenEntry: the entry does not have that interface");
	}
	return S_OK;
}

static HRESULT ab_CompareEntryIDs(IAddrBook *This, ULONG cb1, LPENTRYID e1, ULONG cb2, LPENTRYID e2, ULONG flags,
                                  ULONG *result)
{
	HRESULT hr = enter(AB(This), "IAddrBook::CompareEntryIDs");
	if (FAILED(hr))
		return hr;
	if (!result)
		return MAPI_E_INVALID_PARAMETER;
	(void)flags;
	*result = cb1 == cb2 && (!cb1 || memcmp(e1, e2, cb1) == 0);
	/* Two one-offs name the same recipient when type and address agree,
	 * whatever their display names or flags. */
	MAPIX_ONEOFF a, b;
	if (!*result && mapix_is_oneoff(cb1, (const BYTE *)e1) && mapix_is_oneoff(cb2, (const BYTE *)e2) &&
	    SUCCEEDED(mapix_oneoff_parse(cb1, (const BYTE *)e1, NULL, &a))) {
		if (SUCCEEDED(mapix_oneoff_parse(cb2, (const BYTE *)e2, NULL, &b))) {
			*result = strcasecmp(a.lpszAdrType, b.lpszAdrType) == 0 && strcasecmp(a.lpszAddress, b.lpszAddress) == 0;
			MAPIFreeBuffer(b.lpszName);
		}
		MAPIFreeBuffer(a.lpszName);
	}
	mapix_error_clear();
	return S_OK;
}

static HRESULT ab_CreateOneOff(IAddrBook *This, LPTSTR name, LPTSTR adrtype, LPTSTR address, ULONG flags, ULONG *cb,
                               LPENTRYID *eid)
{
	HRESULT hr = enter(AB(This), "IAddrBook::CreateOneOff");
	if (FAILED(hr))
		return hr;
	if (!adrtype || !address || !cb || !eid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IAddrBook::CreateOneOff: NULL address type, address or output");
	if (flags & ~(MAPI_UNICODE | MAPI_SEND_NO_RICH_INFO))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IAddrBook::CreateOneOff: unknown flags 0x%08X",
		                   (unsigned)(flags & ~(MAPI_UNICODE | MAPI_SEND_NO_RICH_INFO)));
	WORD wflags = (flags & MAPI_UNICODE ? MAPI_ONE_OFF_UNICODE : 0) |
	              (flags & MAPI_SEND_NO_RICH_INFO ? MAPI_ONE_OFF_NO_RICH_INFO : 0);
	char *s[3] = {NULL, NULL, NULL};
	const void *in[3] = {name, adrtype, address};
	for (int i = 0; i < 3 && SUCCEEDED(hr); i++) {
		if (!in[i])
			continue;
		if (flags & MAPI_UNICODE)
			hr = mapix_utf16_to_utf8((const WCHAR *)in[i], NULL, &s[i]);
		else
			hr = mapix_ab_strdup(in[i], strlen(in[i]), NULL, &s[i]);
	}
	SBinary b = {0, NULL};
	if (SUCCEEDED(hr))
		hr = mapix_oneoff_build(s[0] ? s[0] : s[2], s[1], s[2], wflags, NULL, &b);
	for (int i = 0; i < 3; i++)
		MAPIFreeBuffer(s[i]);
	if (FAILED(hr))
		return hr;
	*cb = b.cb;
	*eid = (LPENTRYID)b.lpb;
	return S_OK;
}

static HRESULT ab_ResolveName(IAddrBook *This, ULONG_PTR ui, ULONG flags, LPTSTR title, LPADRLIST list)
{
	(void)ui, (void)title;
	HRESULT hr = enter(AB(This), "IAddrBook::ResolveName");
	if (FAILED(hr))
		return hr;
	return mapix_ab_resolve(AB(This), flags, list);
}

static HRESULT ab_PrepareRecips(IAddrBook *This, ULONG flags, LPSPropTagArray tags, LPADRLIST list)
{
	HRESULT hr = enter(AB(This), "IAddrBook::PrepareRecips");
	return FAILED(hr) ? hr : mapix_ab_prepare(AB(This), flags, tags, list);
}

static HRESULT ab_GetPAB(IAddrBook *This, ULONG *cb, LPENTRYID *eid)
{
	ab_book *ab = AB(This);
	HRESULT hr = enter(ab, "IAddrBook::GetPAB");
	if (FAILED(hr))
		return hr;
	if (!cb || !eid)
		return MAPI_E_INVALID_PARAMETER;
	/* The personal address book is the first Contacts folder, as Outlook
	 * makes its Contacts the PAB when there is no .pab file. */
	if (!ab->nfolders) {
		*cb = 0;
		*eid = NULL;
		return S_OK;
	}
	if (FAILED(hr = MAPIAllocateBuffer(MAPIX_ABCONT_EID_SIZE, (LPVOID *)eid)))
		return hr;
	mapix_ab_container_eid(0, (BYTE *)*eid);
	*cb = MAPIX_ABCONT_EID_SIZE;
	return S_OK;
}

static HRESULT ab_GetDefaultDir(IAddrBook *This, ULONG *cb, LPENTRYID *eid)
{
	HRESULT hr = enter(AB(This), "IAddrBook::GetDefaultDir");
	if (FAILED(hr))
		return hr;
	if (!cb || !eid)
		return MAPI_E_INVALID_PARAMETER;
	if (FAILED(hr = MAPIAllocateBuffer(MAPIX_ABCONT_EID_SIZE, (LPVOID *)eid)))
		return hr;
	mapix_ab_container_eid(AB(This)->nfolders ? 0 : MAPIX_ABCONT_ROOT, (BYTE *)*eid);
	*cb = MAPIX_ABCONT_EID_SIZE;
	return S_OK;
}

static HRESULT ab_GetSearchPath(IAddrBook *This, ULONG flags, LPSRowSet *out)
{
	(void)flags;
	HRESULT hr = enter(AB(This), "IAddrBook::GetSearchPath");
	if (FAILED(hr))
		return hr;
	if (!out)
		return MAPI_E_INVALID_PARAMETER;
	LPMAPITABLE t = NULL;
	if (FAILED(hr = mapix_ab_hierarchy_table(AB(This), &t)))
		return hr;
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_DISPLAY_NAME_W}};
	hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, out);
	t->lpVtbl->Release(t);
	return hr;
}

#define AB_NO_SUPPORT(name, ...)                                                                           \
	static HRESULT ab_##name(IAddrBook *This, __VA_ARGS__)                                                 \
	{                                                                                                      \
		HRESULT hr = enter(AB(This), "IAddrBook::" #name);                                                 \
		return FAILED(hr) ? hr : mapix_error(MAPI_E_NO_SUPPORT, "IAddrBook::" #name " is not available"); \
	}

AB_NO_SUPPORT(SaveChanges, ULONG a)
AB_NO_SUPPORT(GetProps, LPSPropTagArray a, ULONG b, ULONG *c, LPSPropValue *d)
AB_NO_SUPPORT(GetPropList, ULONG a, LPSPropTagArray *b)
AB_NO_SUPPORT(OpenProperty, ULONG a, LPCIID b, ULONG c, ULONG d, LPUNKNOWN *e)
AB_NO_SUPPORT(SetProps, ULONG a, LPSPropValue b, LPSPropProblemArray *c)
AB_NO_SUPPORT(DeleteProps, LPSPropTagArray a, LPSPropProblemArray *b)
AB_NO_SUPPORT(CopyTo, ULONG a, LPCIID b, LPSPropTagArray c, ULONG_PTR d, LPMAPIPROGRESS e, LPCIID f, LPVOID g, ULONG h,
              LPSPropProblemArray *i)
AB_NO_SUPPORT(CopyProps, LPSPropTagArray a, ULONG_PTR b, LPMAPIPROGRESS c, LPCIID d, LPVOID e, ULONG f,
              LPSPropProblemArray *g)
AB_NO_SUPPORT(GetNamesFromIDs, LPSPropTagArray *a, LPGUID b, ULONG c, ULONG *d, LPMAPINAMEID **e)
AB_NO_SUPPORT(GetIDsFromNames, ULONG a, LPMAPINAMEID *b, ULONG c, LPSPropTagArray *d)
AB_NO_SUPPORT(Advise, ULONG a, LPENTRYID b, ULONG c, LPMAPIADVISESINK d, ULONG_PTR *e)
AB_NO_SUPPORT(Unadvise, ULONG_PTR a)
AB_NO_SUPPORT(NewEntry, ULONG_PTR a, ULONG b, ULONG c, LPENTRYID d, ULONG e, LPENTRYID f, ULONG *g, LPENTRYID *h)
AB_NO_SUPPORT(Address, ULONG_PTR *a, LPVOID b, LPADRLIST *c)
AB_NO_SUPPORT(Details, ULONG_PTR *a, LPVOID b, LPVOID c, ULONG d, LPENTRYID e, LPVOID f, LPVOID g, LPTSTR h, ULONG i)
AB_NO_SUPPORT(RecipOptions, ULONG_PTR a, ULONG b, LPADRENTRY c)
AB_NO_SUPPORT(QueryDefaultRecipOpt, LPTSTR a, ULONG b, ULONG *c, LPSPropValue *d)
AB_NO_SUPPORT(SetPAB, ULONG a, LPENTRYID b)
AB_NO_SUPPORT(SetDefaultDir, ULONG a, LPENTRYID b)
AB_NO_SUPPORT(SetSearchPath, ULONG a, LPSRowSet b)

static const IAddrBookVtbl addrbook_vtbl = {
	ab_QueryInterface, ab_AddRef, ab_Release, ab_GetLastError, ab_SaveChanges, ab_GetProps, ab_GetPropList,
	ab_OpenProperty, ab_SetProps, ab_DeleteProps, ab_CopyTo, ab_CopyProps, ab_GetNamesFromIDs, ab_GetIDsFromNames,
	ab_OpenEntry, ab_CompareEntryIDs, ab_Advise, ab_Unadvise, ab_CreateOneOff, ab_NewEntry, ab_ResolveName,
	ab_Address, ab_Details, ab_RecipOptions, ab_QueryDefaultRecipOpt, ab_GetPAB, ab_SetPAB, ab_GetDefaultDir,
	ab_SetDefaultDir, ab_GetSearchPath, ab_SetSearchPath, ab_PrepareRecips,
};

/* Adds the global address list of mdb's server (mapixd's directory) when
 * the store has one and no earlier store gave one. */
static void add_gal(ab_book *ab, LPMDB mdb)
{
	for (ULONG i = 0; i < ab->nfolders; i++)
		if (ab->folders[i].gal)
			return;
	LPMAPITABLE t = NULL;
	if (FAILED(mdb->lpVtbl->OpenProperty(mdb, PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)&t))) {
		mapix_error_clear(); /* a local store has no directory */
		return;
	}
	t->lpVtbl->Release(t);
	ab_folder *f = realloc(ab->folders, (ab->nfolders + 1) * sizeof *f);
	char *name = strdup("Global Address List");
	if (f)
		ab->folders = f;
	if (!f || !name) {
		free(name);
		return;
	}
	mdb->lpVtbl->AddRef(mdb);
	f[ab->nfolders].mdb = mdb;
	f[ab->nfolders].folder = NULL;
	f[ab->nfolders].gal = TRUE;
	f[ab->nfolders].name = name;
	ab->nfolders++;
}

/* Adds the Contacts folder of store `mdb` (taking the reference), and its
 * server's directory. */
static void add_store(ab_book *ab, LPMDB mdb, const WCHAR *store_name, ULONG nstores)
{
	add_gal(ab, mdb);
	LPMAPIFOLDER root = NULL, contacts = NULL;
	LPSPropValue v = NULL;
	ULONG type;
	if (FAILED(mdb->lpVtbl->OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root)) ||
	    FAILED(HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v)) ||
	    FAILED(mdb->lpVtbl->OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, 0, &type,
	                                  (LPUNKNOWN *)&contacts))) {
		mapix_error_clear(); /* a store without Contacts adds nothing */
		goto done;
	}
	ab_folder *f = realloc(ab->folders, (ab->nfolders + 1) * sizeof *f);
	if (!f)
		goto done;
	ab->folders = f;
	char *sname = NULL;
	if (store_name)
		mapix_utf16_to_utf8(store_name, NULL, &sname);
	size_t len = 32 + (sname ? strlen(sname) : 0);
	char *name = malloc(len);
	if (name && nstores > 1 && sname)
		snprintf(name, len, "Contacts (%s)", sname);
	else if (name)
		snprintf(name, len, "Contacts");
	MAPIFreeBuffer(sname);
	if (!name)
		goto done;
	f[ab->nfolders].mdb = mdb;
	f[ab->nfolders].folder = contacts;
	f[ab->nfolders].gal = FALSE;
	f[ab->nfolders].name = name;
	ab->nfolders++;
	mdb = NULL;
	contacts = NULL;
done:
	MAPIFreeBuffer(v);
	if (root)
		root->lpVtbl->Release(root);
	if (contacts)
		contacts->lpVtbl->Release(contacts);
	if (mdb)
		mdb->lpVtbl->Release(mdb);
}

HRESULT mapix_addrbook_create(mapix_instance *inst, LPMAPISESSION session, ULONG flags, LPADRBOOK *out)
{
	(void)flags;
	if (!out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenAddressBook: lppAdrBook is NULL");
	ab_book *ab = calloc(1, sizeof *ab);
	if (!ab)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenAddressBook: out of memory");
	ab->iface.lpVtbl = &addrbook_vtbl;
	atomic_init(&ab->refs, 1);
	mapix_instance_hold(inst);
	ab->inst = inst;
	session->lpVtbl->AddRef(session);
	ab->session = session;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_DISPLAY_NAME_W}};
	HRESULT hr = session->lpVtbl->GetMsgStoresTable(session, MAPI_UNICODE, &t);
	if (SUCCEEDED(hr)) {
		hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
		t->lpVtbl->Release(t);
	}
	if (FAILED(hr)) {
		mapix_ab_book_release(ab);
		return hr;
	}
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		LPMDB mdb = NULL;
		if (PROP_TYPE(p[0].ulPropTag) != PT_BINARY ||
		    FAILED(session->lpVtbl->OpenMsgStore(session, 0, p[0].Value.bin.cb, (LPENTRYID)p[0].Value.bin.lpb, NULL,
		                                         MAPI_BEST_ACCESS | MDB_NO_DIALOG, &mdb))) {
			mapix_error_clear(); /* a store that cannot be opened is left out */
			continue;
		}
		add_store(ab, mdb, PROP_TYPE(p[1].ulPropTag) == PT_UNICODE ? p[1].Value.lpszW : NULL, rows->cRows);
	}
	FreeProws(rows);
	*out = &ab->iface;
	return S_OK;
}
