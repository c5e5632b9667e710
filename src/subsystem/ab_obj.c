/*
 * ab_obj.c — the objects the address book hands out: IMailUser (a contact's
 * address, a one-off, a list member), IDistList (a personal distribution
 * list: its members are its contents table) and IABContainer (the root,
 * whose hierarchy is the Contacts folders, and each Contacts folder, whose
 * contents are its entries). Their properties live in an IPropData made
 * read-only: the address book is a view of the mailboxes, changed through
 * the mailboxes (or mapixab.h for lists), never through these objects.
 *
 * One struct serves the three interfaces; their IMAPIProp halves share one
 * implementation and thin per-interface wrappers keep every call through a
 * function pointer of its exact type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/ab.h"

enum { K_MAILUSER, K_DISTLIST, K_CONTAINER };

typedef struct ab_obj {
	union {
		IMailUser mu;
		IDistList dl;
		IABContainer ct;
	} iface;
	atomic_ulong refs;
	int kind;
	ab_book *ab;
	LPPROPDATA pd;
	LPMDB mdb;   /* list: the store of its message */
	SBinary msg; /* list: its message's entry ID (malloc'd) */
	ULONG index; /* container: folder index or MAPIX_ABCONT_ROOT */
} ab_obj;

#define OBJ(This) ((ab_obj *)(void *)(This))

static HRESULT enter(ab_obj *o, const char *what)
{
	return mapix_instance_check_caller(o->ab->inst, what);
}

static HRESULT obj_qi(ab_obj *o, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	BOOL ok = IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPIProp) ||
	          (o->kind == K_MAILUSER && IsEqualIID(riid, &IID_IMailUser)) ||
	          (o->kind == K_DISTLIST && (IsEqualIID(riid, &IID_IDistList) || IsEqualIID(riid, &IID_IMAPIContainer))) ||
	          (o->kind == K_CONTAINER && (IsEqualIID(riid, &IID_IABContainer) || IsEqualIID(riid, &IID_IMAPIContainer)));
	if (!ok)
		return E_NOINTERFACE;
	atomic_fetch_add(&o->refs, 1);
	*ppv = o;
	return S_OK;
}

static ULONG obj_addref(ab_obj *o)
{
	return (ULONG)atomic_fetch_add(&o->refs, 1) + 1;
}

static ULONG obj_release(ab_obj *o)
{
	ULONG left = (ULONG)atomic_fetch_sub(&o->refs, 1) - 1;
	if (left)
		return left;
	if (o->pd)
		o->pd->lpVtbl->Release(o->pd);
	if (o->mdb)
		o->mdb->lpVtbl->Release(o->mdb);
	free(o->msg.lpb);
	mapix_ab_book_release(o->ab);
	free(o);
	return 0;
}

static HRESULT obj_last_error(ab_obj *o, HRESULT hr, ULONG flags, LPMAPIERROR *out)
{
	(void)o;
	return mapix_error_to_mapierror(hr, flags, "mapix address book", out);
}

static HRESULT obj_read_only(ab_obj *o, const char *what)
{
	HRESULT hr = enter(o, what);
	return FAILED(hr) ? hr : mapix_error(MAPI_E_NO_ACCESS, "%s: address book entries are read-only", what);
}

static HRESULT obj_open_property(ab_obj *o, ULONG tag, LPCIID iid, ULONG opts, ULONG flags, LPUNKNOWN *out)
{
	HRESULT hr = enter(o, "OpenProperty");
	if (FAILED(hr))
		return hr;
	if (!out || !iid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualIID(iid, &IID_IMAPITable) && o->kind != K_MAILUSER) {
		if (tag == PR_CONTAINER_CONTENTS)
			return o->kind == K_DISTLIST ? mapix_ab_members_table(o->mdb, o->msg.cb, o->msg.lpb, (LPMAPITABLE *)out)
			                             : mapix_ab_contents_table(o->ab, o->index, (LPMAPITABLE *)out);
		if (tag == PR_CONTAINER_HIERARCHY && o->kind == K_CONTAINER && o->index == MAPIX_ABCONT_ROOT)
			return mapix_ab_hierarchy_table(o->ab, (LPMAPITABLE *)out);
	}
	return mapix_error(MAPI_E_NO_SUPPORT, "OpenProperty: 0x%08X cannot be opened here", (unsigned)tag);
}

/* IMAPIProp for interface I with prefix p: forwards to the generic code
 * and to the IPropData that holds the values. */
#define AB_IMAPIPROP(I, p)                                                                                         \
	static HRESULT p##_QueryInterface(I *This, REFIID riid, LPVOID *ppv)                                        \
	{                                                                                                           \
		return obj_qi(OBJ(This), riid, ppv);                                                                    \
	}                                                                                                           \
	static ULONG p##_AddRef(I *This)                                                                            \
	{                                                                                                           \
		return obj_addref(OBJ(This));                                                                           \
	}                                                                                                           \
	static ULONG p##_Release(I *This)                                                                           \
	{                                                                                                           \
		return obj_release(OBJ(This));                                                                          \
	}                                                                                                           \
	static HRESULT p##_GetLastError(I *This, HRESULT hr, ULONG f, LPMAPIERROR *e)                               \
	{                                                                                                           \
		return obj_last_error(OBJ(This), hr, f, e);                                                             \
	}                                                                                                           \
	static HRESULT p##_SaveChanges(I *This, ULONG f)                                                            \
	{                                                                                                           \
		(void)f;                                                                                                \
		return obj_read_only(OBJ(This), #I "::SaveChanges");                                                    \
	}                                                                                                           \
	static HRESULT p##_GetProps(I *This, LPSPropTagArray t, ULONG f, ULONG *n, LPSPropValue *v)                 \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::GetProps");                                                         \
		return FAILED(hr) ? hr : OBJ(This)->pd->lpVtbl->GetProps(OBJ(This)->pd, t, f, n, v);                    \
	}                                                                                                           \
	static HRESULT p##_GetPropList(I *This, ULONG f, LPSPropTagArray *t)                                        \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::GetPropList");                                                      \
		return FAILED(hr) ? hr : OBJ(This)->pd->lpVtbl->GetPropList(OBJ(This)->pd, f, t);                       \
	}                                                                                                           \
	static HRESULT p##_OpenProperty(I *This, ULONG tag, LPCIID iid, ULONG o, ULONG f, LPUNKNOWN *u)             \
	{                                                                                                           \
		return obj_open_property(OBJ(This), tag, iid, o, f, u);                                                 \
	}                                                                                                           \
	static HRESULT p##_SetProps(I *This, ULONG n, LPSPropValue v, LPSPropProblemArray *pr)                      \
	{                                                                                                           \
		(void)n, (void)v, (void)pr;                                                                             \
		return obj_read_only(OBJ(This), #I "::SetProps");                                                       \
	}                                                                                                           \
	static HRESULT p##_DeleteProps(I *This, LPSPropTagArray t, LPSPropProblemArray *pr)                         \
	{                                                                                                           \
		(void)t, (void)pr;                                                                                      \
		return obj_read_only(OBJ(This), #I "::DeleteProps");                                                    \
	}                                                                                                           \
	static HRESULT p##_CopyTo(I *This, ULONG ci, LPCIID ri, LPSPropTagArray ex, ULONG_PTR ui, LPMAPIPROGRESS pg, \
	                          LPCIID iid, LPVOID dst, ULONG f, LPSPropProblemArray *pr)                         \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::CopyTo");                                                           \
		return FAILED(hr) ? hr                                                                                  \
		                  : OBJ(This)->pd->lpVtbl->CopyTo(OBJ(This)->pd, ci, ri, ex, ui, pg, iid, dst, f, pr);  \
	}                                                                                                           \
	static HRESULT p##_CopyProps(I *This, LPSPropTagArray in, ULONG_PTR ui, LPMAPIPROGRESS pg, LPCIID iid,      \
	                             LPVOID dst, ULONG f, LPSPropProblemArray *pr)                                  \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::CopyProps");                                                        \
		return FAILED(hr) ? hr : OBJ(This)->pd->lpVtbl->CopyProps(OBJ(This)->pd, in, ui, pg, iid, dst, f, pr);  \
	}                                                                                                           \
	static HRESULT p##_GetNamesFromIDs(I *This, LPSPropTagArray *t, LPGUID g, ULONG f, ULONG *n,                \
	                                   LPMAPINAMEID **names)                                                    \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::GetNamesFromIDs");                                                  \
		return FAILED(hr) ? hr : OBJ(This)->pd->lpVtbl->GetNamesFromIDs(OBJ(This)->pd, t, g, f, n, names);      \
	}                                                                                                           \
	static HRESULT p##_GetIDsFromNames(I *This, ULONG n, LPMAPINAMEID *names, ULONG f, LPSPropTagArray *t)      \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::GetIDsFromNames");                                                  \
		return FAILED(hr) ? hr : OBJ(This)->pd->lpVtbl->GetIDsFromNames(OBJ(This)->pd, n, names, f, t);         \
	}

/* IMAPIContainer + the IABContainer/IDistList methods for interface I. */
#define AB_CONTAINER(I, p)                                                                                         \
	static HRESULT p##_GetContentsTable(I *This, ULONG f, LPMAPITABLE *t)                                       \
	{                                                                                                           \
		(void)f;                                                                                                \
		return obj_open_property(OBJ(This), PR_CONTAINER_CONTENTS, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)t);      \
	}                                                                                                           \
	static HRESULT p##_GetHierarchyTable(I *This, ULONG f, LPMAPITABLE *t)                                      \
	{                                                                                                           \
		(void)f;                                                                                                \
		HRESULT hr = obj_open_property(OBJ(This), PR_CONTAINER_HIERARCHY, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)t); \
		return hr == MAPI_E_NO_SUPPORT ? mapix_error(MAPI_E_NO_SUPPORT, #I "::GetHierarchyTable: no sub-containers") \
		                               : hr;                                                                    \
	}                                                                                                           \
	static HRESULT p##_OpenEntry(I *This, ULONG cb, LPENTRYID e, LPCIID iid, ULONG f, ULONG *type, LPUNKNOWN *u) \
	{                                                                                                           \
		HRESULT hr = enter(OBJ(This), #I "::OpenEntry");                                                        \
		IAddrBook *ab = &OBJ(This)->ab->iface;                                                                  \
		return FAILED(hr) ? hr : ab->lpVtbl->OpenEntry(ab, cb, e, iid, f, type, u);                             \
	}                                                                                                           \
	static HRESULT p##_SetSearchCriteria(I *This, LPSRestriction r, LPENTRYLIST l, ULONG f)                     \
	{                                                                                                           \
		(void)This, (void)r, (void)l, (void)f;                                                                  \
		return mapix_error(MAPI_E_NO_SUPPORT, #I "::SetSearchCriteria is not available");                      \
	}                                                                                                           \
	static HRESULT p##_GetSearchCriteria(I *This, ULONG f, LPSRestriction *r, LPENTRYLIST *l, ULONG *s)         \
	{                                                                                                           \
		(void)This, (void)r, (void)l, (void)f, (void)s;                                                         \
		return mapix_error(MAPI_E_NO_SUPPORT, #I "::GetSearchCriteria is not available");                      \
	}                                                                                                           \
	static HRESULT p##_CreateEntry(I *This, ULONG cb, LPENTRYID e, ULONG f, LPMAPIPROP *out)                    \
	{                                                                                                           \
		(void)cb, (void)e, (void)f, (void)out;                                                                  \
		return obj_read_only(OBJ(This), #I "::CreateEntry");                                                    \
	}                                                                                                           \
	static HRESULT p##_CopyEntries(I *This, LPENTRYLIST l, ULONG_PTR ui, LPMAPIPROGRESS pg, ULONG f)            \
	{                                                                                                           \
		(void)l, (void)ui, (void)pg, (void)f;                                                                   \
		return obj_read_only(OBJ(This), #I "::CopyEntries");                                                    \
	}                                                                                                           \
	static HRESULT p##_DeleteEntries(I *This, LPENTRYLIST l, ULONG f)                                           \
	{                                                                                                           \
		(void)l, (void)f;                                                                                       \
		return obj_read_only(OBJ(This), #I "::DeleteEntries");                                                  \
	}                                                                                                           \
	static HRESULT p##_ResolveNames(I *This, LPSPropTagArray t, ULONG f, LPADRLIST l, LPFlagList fl)            \
	{                                                                                                           \
		(void)This, (void)t, (void)f, (void)l, (void)fl;                                                        \
		return mapix_error(MAPI_E_NO_SUPPORT, #I "::ResolveNames: use IAddrBook::ResolveName");                 \
	}

#define PROP_SLOTS(p)                                                                                              \
	p##_QueryInterface, p##_AddRef, p##_Release, p##_GetLastError, p##_SaveChanges, p##_GetProps,                 \
		p##_GetPropList, p##_OpenProperty, p##_SetProps, p##_DeleteProps, p##_CopyTo, p##_CopyProps,              \
		p##_GetNamesFromIDs, p##_GetIDsFromNames
#define CONTAINER_SLOTS(p)                                                                                         \
	p##_GetContentsTable, p##_GetHierarchyTable, p##_OpenEntry, p##_SetSearchCriteria, p##_GetSearchCriteria,     \
		p##_CreateEntry, p##_CopyEntries, p##_DeleteEntries, p##_ResolveNames

AB_IMAPIPROP(IMailUser, mu)
AB_IMAPIPROP(IDistList, dl)
AB_CONTAINER(IDistList, dl)
AB_IMAPIPROP(IABContainer, ct)
AB_CONTAINER(IABContainer, ct)

static const IMailUserVtbl mailuser_vtbl = {PROP_SLOTS(mu)};
static const IDistListVtbl distlist_vtbl = {PROP_SLOTS(dl), CONTAINER_SLOTS(dl)};
static const IABContainerVtbl container_vtbl = {PROP_SLOTS(ct), CONTAINER_SLOTS(ct)};

static HRESULT obj_new(ab_book *ab, int kind, ULONG n, const SPropValue *props, ab_obj **out)
{
	ab_obj *o = calloc(1, sizeof *o);
	if (!o)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	SCODE sc = CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &o->pd);
	HRESULT hr = sc;
	if (SUCCEEDED(hr))
		hr = o->pd->lpVtbl->SetProps(o->pd, n, (LPSPropValue)props, NULL);
	if (SUCCEEDED(hr))
		hr = o->pd->lpVtbl->HrSetObjAccess(o->pd, IPROP_READONLY);
	if (FAILED(hr)) {
		if (o->pd)
			o->pd->lpVtbl->Release(o->pd);
		free(o);
		return hr;
	}
	atomic_init(&o->refs, 1);
	o->kind = kind;
	o->ab = ab;
	mapix_ab_book_addref(ab);
	if (kind == K_MAILUSER)
		o->iface.mu.lpVtbl = &mailuser_vtbl;
	else if (kind == K_DISTLIST)
		o->iface.dl.lpVtbl = &distlist_vtbl;
	else
		o->iface.ct.lpVtbl = &container_vtbl;
	*out = o;
	return S_OK;
}

HRESULT mapix_ab_mailuser_new(ab_book *ab, ULONG n, const SPropValue *props, LPMAILUSER *out)
{
	ab_obj *o;
	HRESULT hr = obj_new(ab, K_MAILUSER, n, props, &o);
	if (SUCCEEDED(hr))
		*out = &o->iface.mu;
	return hr;
}

HRESULT mapix_ab_distlist_new(ab_book *ab, LPMDB mdb, ULONG cbMsg, const BYTE *msgEid, ULONG n,
                              const SPropValue *props, LPDISTLIST *out)
{
	ab_obj *o;
	HRESULT hr = obj_new(ab, K_DISTLIST, n, props, &o);
	if (FAILED(hr))
		return hr;
	if (!(o->msg.lpb = malloc(cbMsg ? cbMsg : 1))) {
		obj_release(o);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	}
	memcpy(o->msg.lpb, msgEid, cbMsg);
	o->msg.cb = cbMsg;
	o->mdb = mdb;
	mdb->lpVtbl->AddRef(mdb);
	*out = &o->iface.dl;
	return S_OK;
}

HRESULT mapix_ab_container_new(ab_book *ab, ULONG index, LPABCONT *out)
{
	if (index != MAPIX_ABCONT_ROOT && index >= ab->nfolders)
		return mapix_error(MAPI_E_NOT_FOUND, "address book: no container %u", (unsigned)index);
	BYTE eid[MAPIX_ABCONT_EID_SIZE];
	mapix_ab_container_eid(index, eid);
	WCHAR *name = NULL;
	HRESULT hr = mapix_utf8_to_utf16(index == MAPIX_ABCONT_ROOT ? "" : ab->folders[index].name, NULL, &name);
	if (FAILED(hr))
		return hr;
	SPropValue v[5] = {
		{.ulPropTag = PR_ENTRYID, .Value.bin = {sizeof eid, eid}},
		{.ulPropTag = PR_OBJECT_TYPE, .Value.l = MAPI_ABCONT},
		{.ulPropTag = PR_DISPLAY_TYPE,
	     .Value.l = (LONG)(index != MAPIX_ABCONT_ROOT && ab->folders[index].gal ? DT_GLOBAL : DT_NOT_SPECIFIC)},
		{.ulPropTag = PR_DISPLAY_NAME_W, .Value.lpszW = name},
		{.ulPropTag = PR_CONTAINER_FLAGS,
	     .Value.l = (LONG)(index == MAPIX_ABCONT_ROOT ? AB_SUBCONTAINERS | AB_UNMODIFIABLE
	                                                  : AB_RECIPIENTS | AB_UNMODIFIABLE)},
	};
	ab_obj *o;
	hr = obj_new(ab, K_CONTAINER, 5, v, &o);
	MAPIFreeBuffer(name);
	if (FAILED(hr))
		return hr;
	o->index = index;
	*out = &o->iface.ct;
	return S_OK;
}
