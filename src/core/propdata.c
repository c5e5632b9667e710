/*
 * propdata.c — IPropData, the in-memory property object that CreateIProp
 * makes: providers use it for objects whose properties live in memory
 * (status objects, one-off recipients, profile sections before they are
 * written). It implements every IMAPIProp method plus IPropData's access
 * control (HrSetObjAccess, HrSetPropAccess, HrGetPropAccess) and object
 * properties (HrAddObjProps). CopyTo/CopyProps are in propdata_copy.c and
 * the named-property map in propdata_names.c.
 *
 * Choices, where Windows leaves room or where mapix differs:
 *  - Memory. Everything handed to the caller (property arrays, tag lists,
 *    problem arrays, access arrays, names) is made with the allocators
 *    given to CreateIProp and is freed with the matching FREEBUFFER (for
 *    the usual MAPIAllocateBuffer/More, MAPIFreeBuffer). The object keeps
 *    each property value as its own block of those same allocators
 *    (PropCopyMore does the deep copy), and its bookkeeping (the property
 *    index, the name map, the object itself) with malloc. Release to zero
 *    frees all of it.
 *  - Properties are identified by property ID: setting PR_SUBJECT_W
 *    replaces a stored PR_SUBJECT_A, and the tag's type decides the stored
 *    type. PT_STRING8 is UTF-8 (the encoding of the whole system), so
 *    converting between PT_STRING8 and PT_UNICODE is lossless for valid
 *    text.
 *  - GetProps: a requested PT_UNSPECIFIED type gives the stored value,
 *    with strings in the width MAPI_UNICODE selects (PT_UNICODE with it,
 *    PT_STRING8 without); a requested string type converts; any other type
 *    that differs from the stored one is PT_ERROR/MAPI_E_NOT_FOUND, as for
 *    a missing property. PT_OBJECT properties read as
 *    PT_ERROR/MAPI_E_NO_SUPPORT.
 *  - SetProps refuses the whole call with MAPI_E_NO_ACCESS on a read-only
 *    object and with MAPI_E_INVALID_PARAMETER when a value is malformed
 *    (FBadProp), before anything changes. Per property, read-only
 *    properties give MAPI_E_NO_ACCESS problems and values of types that
 *    cannot be stored (PT_ERROR, PT_OBJECT, PT_NULL, PT_UNSPECIFIED, or a
 *    tag with MV_INSTANCE) give MAPI_E_INVALID_TYPE problems. A set marks
 *    the property IPROP_DIRTY.
 *  - DeleteProps ignores property types and properties that do not exist.
 *  - OpenProperty answers MAPI_E_NO_SUPPORT: the object holds no streams
 *    or subobjects to open. SaveChanges is a successful no-op (the object
 *    is in memory only; dirty flags stay as they are).
 *  - GetLastError's MAPIERROR comes from mapix_error_to_mapierror and is
 *    made with MAPIAllocateBuffer, like every object's in mapix.
 *  - Named properties are a mapix extension (Windows' IPropData answers
 *    MAPI_E_NO_SUPPORT): each object keeps its own name map, see
 *    propdata_names.c.
 *
 * Thread safety: one mutex per object guards its state; the reference
 * count is atomic. No lock is held while another object's methods run.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapival.h>

#include "core/error.h"
#include "core/propdata.h"

#define PROPDATA_COMPONENT "IPropData"

void mapix_propdata_lock(mapix_propdata *pd)
{
	pthread_mutex_lock(&pd->lock);
}

void mapix_propdata_unlock(mapix_propdata *pd)
{
	pthread_mutex_unlock(&pd->lock);
}

mapix_propdata_entry *mapix_propdata_find(mapix_propdata *pd, ULONG propid)
{
	for (ULONG i = 0; i < pd->nprops; i++)
		if (PROP_ID(pd->props[i].tag) == propid)
			return &pd->props[i];
	return NULL;
}

static void propdata_free_entry(mapix_propdata *pd, mapix_propdata_entry *e)
{
	if (e->value)
		pd->freebuf(e->value);
	e->value = NULL;
}

void mapix_propdata_remove_at(mapix_propdata *pd, ULONG i)
{
	propdata_free_entry(pd, &pd->props[i]);
	memmove(&pd->props[i], &pd->props[i + 1], (pd->nprops - i - 1) * sizeof(pd->props[0]));
	pd->nprops--;
}

/* A new entry at the end of the index (value NULL), or NULL without memory. */
static mapix_propdata_entry *propdata_append(mapix_propdata *pd, ULONG tag, ULONG access)
{
	if (pd->nprops == pd->capprops) {
		ULONG cap = pd->capprops ? pd->capprops * 2 : 16;
		mapix_propdata_entry *grown = realloc(pd->props, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		pd->props = grown;
		pd->capprops = cap;
	}
	mapix_propdata_entry *e = &pd->props[pd->nprops++];
	e->tag = tag;
	e->access = access;
	e->value = NULL;
	return e;
}

/* ---- Problem lists ------------------------------------------------------ */

HRESULT mapix_propdata_problems_add(mapix_propdata_problems *pl, ULONG index, ULONG tag, SCODE sc)
{
	if (pl->n == pl->cap) {
		ULONG cap = pl->cap ? pl->cap * 2 : 8;
		SPropProblem *grown = realloc(pl->v, cap * sizeof(*grown));
		if (grown == NULL)
			return MAPI_E_NOT_ENOUGH_MEMORY;
		pl->v = grown;
		pl->cap = cap;
	}
	pl->v[pl->n].ulIndex = index;
	pl->v[pl->n].ulPropTag = tag;
	pl->v[pl->n].scode = sc;
	pl->n++;
	return S_OK;
}

void mapix_propdata_problems_free(mapix_propdata_problems *pl)
{
	free(pl->v);
	pl->v = NULL;
	pl->n = pl->cap = 0;
}

HRESULT mapix_propdata_problems_return(mapix_propdata *pd, mapix_propdata_problems *pl,
                                       LPSPropProblemArray *lppProblems)
{
	HRESULT hr = S_OK;
	if (lppProblems) {
		*lppProblems = NULL;
		if (pl->n) {
			LPSPropProblemArray arr = NULL;
			if (FAILED(pd->alloc((ULONG)CbNewSPropProblemArray(pl->n), (LPVOID *)&arr))) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData: no memory for a problem array of %u entries",
				                 (unsigned)pl->n);
			} else {
				arr->cProblem = pl->n;
				memcpy(arr->aProblem, pl->v, pl->n * sizeof(SPropProblem));
				*lppProblems = arr;
			}
		}
	}
	mapix_propdata_problems_free(pl);
	return hr;
}

/* ---- String width conversion ------------------------------------------- */

static BOOL propdata_is_string_type(ULONG type)
{
	type &= ~(ULONG)MV_FLAG;
	return type == PT_STRING8 || type == PT_UNICODE;
}

/* The string type (single or MV like `type`) in the width flags select. */
static ULONG propdata_string_width(ULONG type, ULONG flags)
{
	ULONG base = (flags & MAPI_UNICODE) ? PT_UNICODE : PT_STRING8;
	return (type & MV_FLAG) | base;
}

static SCODE propdata_utf8_to_utf16(const char *s, ALLOCATEMORE *more, LPVOID root, LPWSTR *out)
{
	size_t len = strlen(s);
	size_t need = mapix_utf8_to_utf16_buf(s, len, NULL, 0);
	if (need >= MAPIX_PROPDATA_MAX_BYTES)
		return MAPI_E_NOT_ENOUGH_MEMORY;
	SCODE sc = more((ULONG)((need + 1) * sizeof(WCHAR)), root, (LPVOID *)out);
	if (FAILED(sc))
		return sc;
	mapix_utf8_to_utf16_buf(s, len, *out, need + 1);
	return S_OK;
}

static SCODE propdata_utf16_to_utf8(const WCHAR *s, ALLOCATEMORE *more, LPVOID root, LPSTR *out)
{
	size_t len = mapix_wcslen(s);
	size_t need = mapix_utf16_to_utf8_buf(s, len, NULL, 0);
	if (need >= MAPIX_PROPDATA_MAX_BYTES)
		return MAPI_E_NOT_ENOUGH_MEMORY;
	SCODE sc = more((ULONG)(need + 1), root, (LPVOID *)out);
	if (FAILED(sc))
		return sc;
	mapix_utf16_to_utf8_buf(s, len, *out, need + 1);
	return S_OK;
}

/* Copies string value src into dst as type `want` (the other width, same
 * MV-ness), with memory from `more` on root. */
static SCODE propdata_convert_string(const SPropValue *src, ULONG want, LPSPropValue dst, ALLOCATEMORE *more,
                                     LPVOID root)
{
	SCODE sc = S_OK;
	dst->ulPropTag = CHANGE_PROP_TYPE(src->ulPropTag, want);
	dst->dwAlignPad = 0;
	switch (want) {
	case PT_UNICODE:
		return propdata_utf8_to_utf16(src->Value.lpszA, more, root, &dst->Value.lpszW);
	case PT_STRING8:
		return propdata_utf16_to_utf8(src->Value.lpszW, more, root, &dst->Value.lpszA);
	case PT_MV_UNICODE: {
		ULONG n = src->Value.MVszA.cValues;
		dst->Value.MVszW.cValues = n;
		dst->Value.MVszW.lppszW = NULL;
		if (n == 0)
			return S_OK;
		sc = more(n * (ULONG)sizeof(LPWSTR), root, (LPVOID *)&dst->Value.MVszW.lppszW);
		for (ULONG i = 0; SUCCEEDED(sc) && i < n; i++)
			sc = propdata_utf8_to_utf16(src->Value.MVszA.lppszA[i], more, root, &dst->Value.MVszW.lppszW[i]);
		return sc;
	}
	case PT_MV_STRING8: {
		ULONG n = src->Value.MVszW.cValues;
		dst->Value.MVszA.cValues = n;
		dst->Value.MVszA.lppszA = NULL;
		if (n == 0)
			return S_OK;
		sc = more(n * (ULONG)sizeof(LPSTR), root, (LPVOID *)&dst->Value.MVszA.lppszA);
		for (ULONG i = 0; SUCCEEDED(sc) && i < n; i++)
			sc = propdata_utf16_to_utf8(src->Value.MVszW.lppszW[i], more, root, &dst->Value.MVszA.lppszA[i]);
		return sc;
	}
	default:
		return MAPI_E_INVALID_TYPE;
	}
}

/* ---- Reading ------------------------------------------------------------- */

/*
 * The type to deliver for a stored value of type `stored` when `req` was
 * asked for, or PT_ERROR when the request cannot be met.
 */
static ULONG propdata_answer_type(ULONG stored, ULONG req, ULONG flags, BOOL native)
{
	if (stored == PT_OBJECT)
		return PT_ERROR;
	if (req == PT_UNSPECIFIED) {
		if (native || !propdata_is_string_type(stored))
			return stored;
		return propdata_string_width(stored, flags);
	}
	if (req == stored)
		return stored;
	if (propdata_is_string_type(req) && propdata_is_string_type(stored) && (req & MV_FLAG) == (stored & MV_FLAG))
		return req;
	return PT_ERROR;
}

/* Fills out (inside the block root) with entry e answered as `req`. Returns
 * FALSE in *ok when the answer is a PT_ERROR entry. */
static SCODE propdata_fill(mapix_propdata *pd, const mapix_propdata_entry *e, ULONG req_tag, ULONG flags,
                           BOOL native, LPSPropValue out, LPVOID root, BOOL *ok)
{
	memset(out, 0, sizeof(*out));
	*ok = FALSE;
	if (e == NULL) {
		out->ulPropTag = CHANGE_PROP_TYPE(req_tag, PT_ERROR);
		out->Value.err = MAPI_E_NOT_FOUND;
		return S_OK;
	}
	ULONG stored = PROP_TYPE(e->tag);
	ULONG want = propdata_answer_type(stored, PROP_TYPE(req_tag), flags, native);
	if (want == PT_ERROR) {
		out->ulPropTag = CHANGE_PROP_TYPE(e->tag, PT_ERROR);
		out->Value.err = stored == PT_OBJECT ? MAPI_E_NO_SUPPORT : MAPI_E_NOT_FOUND;
		return S_OK;
	}
	*ok = TRUE;
	if (want == stored)
		return PropCopyMore(out, e->value, pd->more, root);
	return propdata_convert_string(e->value, want, out, pd->more, root);
}

HRESULT mapix_propdata_get_values(mapix_propdata *pd, const SPropTagArray *tags, ULONG flags, BOOL native,
                                  ULONG *lpcValues, LPSPropValue *lppProps)
{
	ULONG n = tags ? tags->cValues : pd->nprops;
	LPSPropValue arr = NULL;
	BOOL errors = FALSE;

	if ((size_t)n * sizeof(SPropValue) > MAPIX_PROPDATA_MAX_BYTES ||
	    FAILED(pd->alloc((ULONG)((n ? n : 1) * sizeof(SPropValue)), (LPVOID *)&arr)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::GetProps: no memory for %u values", (unsigned)n);

	for (ULONG i = 0; i < n; i++) {
		const mapix_propdata_entry *e;
		ULONG req;
		if (tags) {
			req = tags->aulPropTag[i];
			e = mapix_propdata_find(pd, PROP_ID(req));
		} else {
			e = &pd->props[i];
			req = CHANGE_PROP_TYPE(e->tag, PT_UNSPECIFIED);
		}
		BOOL ok;
		SCODE sc = propdata_fill(pd, e, req, flags, native, &arr[i], arr, &ok);
		if (FAILED(sc)) {
			pd->freebuf(arr);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::GetProps: no memory to copy property 0x%08X",
			                   (unsigned)req);
		}
		if (!ok)
			errors = TRUE;
	}
	*lpcValues = n;
	*lppProps = arr;
	return errors ? MAPI_W_ERRORS_RETURNED : S_OK;
}

/* ---- IUnknown ---------------------------------------------------------- */

static HRESULT propdata_QueryInterface(IPropData *This, REFIID riid, LPVOID *ppvObj)
{
	if (ppvObj == NULL || riid == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::QueryInterface: NULL interface or result pointer");
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPIProp) || IsEqualIID(riid, &IID_IMAPIPropData)) {
		This->lpVtbl->AddRef(This);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IPropData::QueryInterface: interface not supported");
}

static ULONG propdata_AddRef(IPropData *This)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	return atomic_fetch_add(&pd->refs, 1) + 1;
}

static void propdata_destroy(mapix_propdata *pd)
{
	for (ULONG i = 0; i < pd->nprops; i++)
		propdata_free_entry(pd, &pd->props[i]);
	free(pd->props);
	mapix_propdata_names_free(pd);
	pthread_mutex_destroy(&pd->lock);
	free(pd);
}

static ULONG propdata_Release(IPropData *This)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	unsigned old = atomic_load(&pd->refs);
	/* Never wrap below zero, even when a caller releases once too often
	 * on an object that is still alive. */
	do {
		if (old == 0)
			return 0;
	} while (!atomic_compare_exchange_weak(&pd->refs, &old, old - 1));
	if (old == 1)
		propdata_destroy(pd);
	return old - 1;
}

/* ---- IMAPIProp --------------------------------------------------------- */

static HRESULT propdata_GetLastError(IPropData *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	if (lppMAPIError == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::GetLastError: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~MAPI_UNICODE));
	return mapix_error_to_mapierror(hResult, ulFlags, PROPDATA_COMPONENT, lppMAPIError);
}

static HRESULT propdata_SaveChanges(IPropData *This, ULONG ulFlags)
{
	const ULONG known = KEEP_OPEN_READONLY | KEEP_OPEN_READWRITE | FORCE_SAVE | MAPI_DEFERRED_ERRORS;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::SaveChanges: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~known));
	return S_OK;
}

static HRESULT propdata_GetProps(IPropData *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                                 LPSPropValue *lppPropArray)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	if (lpcValues == NULL || lppPropArray == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetProps: NULL result pointer");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::GetProps: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~MAPI_UNICODE));
	if (lpPropTagArray && (lpPropTagArray->cValues == 0 || FBadColumnSet(lpPropTagArray)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetProps: empty or malformed property tag array");

	mapix_propdata_lock(pd);
	HRESULT hr = mapix_propdata_get_values(pd, lpPropTagArray, ulFlags, FALSE, lpcValues, lppPropArray);
	mapix_propdata_unlock(pd);
	return hr;
}

static HRESULT propdata_GetPropList(IPropData *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	if (lppPropTagArray == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetPropList: lppPropTagArray is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::GetPropList: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~MAPI_UNICODE));

	mapix_propdata_lock(pd);
	LPSPropTagArray tags = NULL;
	if (FAILED(pd->alloc((ULONG)CbNewSPropTagArray(pd->nprops), (LPVOID *)&tags))) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::GetPropList: no memory for %u tags",
		                   (unsigned)pd->nprops);
	}
	tags->cValues = pd->nprops;
	for (ULONG i = 0; i < pd->nprops; i++) {
		ULONG tag = pd->props[i].tag;
		if (propdata_is_string_type(PROP_TYPE(tag)))
			tag = CHANGE_PROP_TYPE(tag, propdata_string_width(PROP_TYPE(tag), ulFlags));
		tags->aulPropTag[i] = tag;
	}
	mapix_propdata_unlock(pd);
	*lppPropTagArray = tags;
	return S_OK;
}

static HRESULT propdata_OpenProperty(IPropData *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions,
                                     ULONG ulFlags, LPUNKNOWN *lppUnk)
{
	if (lppUnk)
		*lppUnk = NULL;
	return mapix_error(MAPI_E_NO_SUPPORT,
	                   "IPropData::OpenProperty: property 0x%08X cannot be opened; IPropData holds no streams or "
	                   "subobjects",
	                   (unsigned)ulPropTag);
}

/* Types SetProps cannot store (see the file comment). */
static BOOL propdata_settable_type(ULONG type)
{
	if ((type & MVI_FLAG) == MVI_FLAG)
		return FALSE;
	return type != PT_ERROR && type != PT_OBJECT && type != PT_NULL && type != PT_UNSPECIFIED;
}

/* Stores a private copy of src in e (replacing its old value). */
static SCODE propdata_store(mapix_propdata *pd, mapix_propdata_entry *e, const SPropValue *src)
{
	LPSPropValue blk = NULL;
	SCODE sc = pd->alloc(sizeof(SPropValue), (LPVOID *)&blk);
	if (FAILED(sc))
		return sc;
	sc = PropCopyMore(blk, (LPSPropValue)src, pd->more, blk);
	if (FAILED(sc)) {
		pd->freebuf(blk);
		return sc;
	}
	propdata_free_entry(pd, e);
	e->value = blk;
	e->tag = src->ulPropTag;
	return S_OK;
}

static HRESULT propdata_SetProps(IPropData *This, ULONG cValues, LPSPropValue lpPropArray,
                                 LPSPropProblemArray *lppProblems)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	mapix_propdata_problems pl = {0};
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (lpPropArray == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::SetProps: lpPropArray is NULL");
	for (ULONG i = 0; i < cValues; i++)
		if (FBadProp(&lpPropArray[i]))
			return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::SetProps: value %u (tag 0x%08X) is malformed",
			                   (unsigned)i, (unsigned)lpPropArray[i].ulPropTag);

	mapix_propdata_lock(pd);
	if (!(pd->obj_access & IPROP_READWRITE)) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::SetProps: the object is read-only");
	}
	for (ULONG i = 0; i < cValues && SUCCEEDED(hr); i++) {
		const SPropValue *v = &lpPropArray[i];
		SCODE problem = S_OK;
		if (!propdata_settable_type(PROP_TYPE(v->ulPropTag))) {
			problem = MAPI_E_INVALID_TYPE;
		} else {
			mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(v->ulPropTag));
			BOOL added = FALSE;
			if (e && (e->access & IPROP_READONLY)) {
				problem = MAPI_E_NO_ACCESS;
			} else {
				if (e == NULL) {
					e = propdata_append(pd, v->ulPropTag, IPROP_READWRITE | IPROP_DIRTY);
					added = TRUE;
				}
				SCODE sc = e ? propdata_store(pd, e, v) : MAPI_E_NOT_ENOUGH_MEMORY;
				if (FAILED(sc)) {
					/* e.g. MAPI_E_NO_SUPPORT for PT_SRESTRICT/PT_ACTIONS,
					 * which PropCopyMore cannot copy */
					problem = sc;
					if (added && e)
						pd->nprops--;
				} else {
					e->access = (e->access & ~(ULONG)IPROP_CLEAN) | IPROP_DIRTY;
				}
			}
		}
		if (problem != S_OK)
			hr = mapix_propdata_problems_add(&pl, i, v->ulPropTag, problem);
	}
	mapix_propdata_unlock(pd);
	if (FAILED(hr)) {
		mapix_propdata_problems_free(&pl);
		return mapix_error(hr, "IPropData::SetProps: no memory for the problem list");
	}
	return mapix_propdata_problems_return(pd, &pl, lppProblems);
}

static HRESULT propdata_DeleteProps(IPropData *This, LPSPropTagArray lpPropTagArray,
                                    LPSPropProblemArray *lppProblems)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	mapix_propdata_problems pl = {0};
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (lpPropTagArray == NULL || lpPropTagArray->cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::DeleteProps: NULL or empty property tag array");

	mapix_propdata_lock(pd);
	if (!(pd->obj_access & IPROP_READWRITE)) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::DeleteProps: the object is read-only");
	}
	for (ULONG i = 0; i < lpPropTagArray->cValues && SUCCEEDED(hr); i++) {
		ULONG tag = lpPropTagArray->aulPropTag[i];
		mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(tag));
		if (e == NULL)
			continue;
		if (e->access & IPROP_READONLY)
			hr = mapix_propdata_problems_add(&pl, i, tag, MAPI_E_NO_ACCESS);
		else
			mapix_propdata_remove_at(pd, (ULONG)(e - pd->props));
	}
	mapix_propdata_unlock(pd);
	if (FAILED(hr)) {
		mapix_propdata_problems_free(&pl);
		return mapix_error(hr, "IPropData::DeleteProps: no memory for the problem list");
	}
	return mapix_propdata_problems_return(pd, &pl, lppProblems);
}

/* ---- IPropData --------------------------------------------------------- */

static HRESULT propdata_HrSetObjAccess(IPropData *This, ULONG ulAccess)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	if (ulAccess & ~(ULONG)(IPROP_READONLY | IPROP_READWRITE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::HrSetObjAccess: unknown flags 0x%08X",
		                   (unsigned)(ulAccess & ~(ULONG)(IPROP_READONLY | IPROP_READWRITE)));
	if (ulAccess != IPROP_READONLY && ulAccess != IPROP_READWRITE)
		return mapix_error(MAPI_E_INVALID_PARAMETER,
		                   "IPropData::HrSetObjAccess: exactly one of IPROP_READONLY and IPROP_READWRITE is needed");
	mapix_propdata_lock(pd);
	pd->obj_access = ulAccess;
	mapix_propdata_unlock(pd);
	return S_OK;
}

/*
 * Each rgulAccess entry may give an access level, a status, or both; what
 * it leaves out keeps its current value. Properties that do not exist are
 * skipped.
 */
static HRESULT propdata_HrSetPropAccess(IPropData *This, LPSPropTagArray lpPropTagArray, ULONG *rgulAccess)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	const ULONG levels = IPROP_READONLY | IPROP_READWRITE;
	const ULONG states = IPROP_CLEAN | IPROP_DIRTY;

	if (lpPropTagArray == NULL || rgulAccess == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::HrSetPropAccess: NULL tag or access array");
	for (ULONG i = 0; i < lpPropTagArray->cValues; i++) {
		ULONG a = rgulAccess[i];
		if (a & ~(levels | states))
			return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::HrSetPropAccess: unknown flags 0x%08X in entry %u",
			                   (unsigned)(a & ~(levels | states)), (unsigned)i);
		if ((a & levels) == levels || (a & states) == states)
			return mapix_error(MAPI_E_INVALID_PARAMETER,
			                   "IPropData::HrSetPropAccess: entry %u combines opposite flags (0x%08X)", (unsigned)i,
			                   (unsigned)a);
	}

	mapix_propdata_lock(pd);
	if (!(pd->obj_access & IPROP_READWRITE)) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::HrSetPropAccess: the object is read-only");
	}
	for (ULONG i = 0; i < lpPropTagArray->cValues; i++) {
		mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(lpPropTagArray->aulPropTag[i]));
		if (e == NULL)
			continue;
		ULONG a = rgulAccess[i];
		if (a & levels)
			e->access = (e->access & ~levels) | (a & levels);
		if (a & states)
			e->access = (e->access & ~states) | (a & states);
	}
	mapix_propdata_unlock(pd);
	return S_OK;
}

/*
 * *lppPropTagArray NULL asks for every property: the tag list is then made
 * with the object's allocator and returned too. Given a list, the list is
 * left as it is and properties that do not exist get access 0.
 */
static HRESULT propdata_HrGetPropAccess(IPropData *This, LPSPropTagArray *lppPropTagArray, ULONG **lprgulAccess)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	if (lppPropTagArray == NULL || lprgulAccess == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::HrGetPropAccess: NULL result pointer");

	mapix_propdata_lock(pd);
	LPSPropTagArray tags = *lppPropTagArray;
	LPSPropTagArray made = NULL;
	ULONG *access = NULL;
	ULONG n = tags ? tags->cValues : pd->nprops;

	if (tags == NULL) {
		if (FAILED(pd->alloc((ULONG)CbNewSPropTagArray(n), (LPVOID *)&made)))
			goto oom;
		made->cValues = n;
		for (ULONG i = 0; i < n; i++)
			made->aulPropTag[i] = pd->props[i].tag;
		tags = made;
	}
	if (FAILED(pd->alloc((ULONG)((n ? n : 1) * sizeof(ULONG)), (LPVOID *)&access)))
		goto oom;
	for (ULONG i = 0; i < n; i++) {
		const mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(tags->aulPropTag[i]));
		access[i] = e ? e->access : 0;
	}
	mapix_propdata_unlock(pd);
	*lppPropTagArray = tags;
	*lprgulAccess = access;
	return S_OK;

oom:
	mapix_propdata_unlock(pd);
	if (made)
		pd->freebuf(made);
	return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::HrGetPropAccess: no memory for %u entries", (unsigned)n);
}

static HRESULT propdata_HrAddObjProps(IPropData *This, LPSPropTagArray lpPropTagArray,
                                      LPSPropProblemArray *lppProblems)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	mapix_propdata_problems pl = {0};
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (lpPropTagArray == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::HrAddObjProps: lpPropTagArray is NULL");
	for (ULONG i = 0; i < lpPropTagArray->cValues; i++)
		if (PROP_TYPE(lpPropTagArray->aulPropTag[i]) != PT_OBJECT)
			return mapix_error(MAPI_E_INVALID_TYPE, "IPropData::HrAddObjProps: tag 0x%08X is not PT_OBJECT",
			                   (unsigned)lpPropTagArray->aulPropTag[i]);

	mapix_propdata_lock(pd);
	if (!(pd->obj_access & IPROP_READWRITE)) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::HrAddObjProps: the object is read-only");
	}
	for (ULONG i = 0; i < lpPropTagArray->cValues && SUCCEEDED(hr); i++) {
		ULONG tag = lpPropTagArray->aulPropTag[i];
		mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(tag));
		if (e && (e->access & IPROP_READONLY)) {
			hr = mapix_propdata_problems_add(&pl, i, tag, MAPI_E_NO_ACCESS);
		} else if (e) {
			propdata_free_entry(pd, e);
			e->tag = tag;
			e->access = (e->access & ~(ULONG)IPROP_CLEAN) | IPROP_DIRTY;
		} else if (propdata_append(pd, tag, IPROP_READWRITE | IPROP_DIRTY) == NULL) {
			hr = mapix_propdata_problems_add(&pl, i, tag, MAPI_E_NOT_ENOUGH_MEMORY);
		}
	}
	mapix_propdata_unlock(pd);
	if (FAILED(hr)) {
		mapix_propdata_problems_free(&pl);
		return mapix_error(hr, "IPropData::HrAddObjProps: no memory for the problem list");
	}
	BOOL partial = pl.n != 0;
	hr = mapix_propdata_problems_return(pd, &pl, lppProblems);
	if (FAILED(hr))
		return hr;
	return partial ? MAPI_W_PARTIAL_COMPLETION : S_OK;
}

static const IPropDataVtbl propdata_vtbl = {
	.QueryInterface = propdata_QueryInterface,
	.AddRef = propdata_AddRef,
	.Release = propdata_Release,
	.GetLastError = propdata_GetLastError,
	.SaveChanges = propdata_SaveChanges,
	.GetProps = propdata_GetProps,
	.GetPropList = propdata_GetPropList,
	.OpenProperty = propdata_OpenProperty,
	.SetProps = propdata_SetProps,
	.DeleteProps = propdata_DeleteProps,
	.CopyTo = mapix_propdata_copy_to,
	.CopyProps = mapix_propdata_copy_props,
	.GetNamesFromIDs = mapix_propdata_get_names_from_ids,
	.GetIDsFromNames = mapix_propdata_get_ids_from_names,
	.HrSetObjAccess = propdata_HrSetObjAccess,
	.HrSetPropAccess = propdata_HrSetPropAccess,
	.HrGetPropAccess = propdata_HrGetPropAccess,
	.HrAddObjProps = propdata_HrAddObjProps,
};

STDAPI_(SCODE) CreateIProp(LPCIID lpInterface, ALLOCATEBUFFER *lpAllocateBuffer, ALLOCATEMORE *lpAllocateMore,
                           FREEBUFFER *lpFreeBuffer, LPVOID lpvReserved, LPPROPDATA *lppPropData)
{
	if (lppPropData == NULL || lpInterface == NULL || lpAllocateBuffer == NULL || lpAllocateMore == NULL ||
	    lpFreeBuffer == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateIProp: NULL interface, allocator or result pointer");
	*lppPropData = NULL;
	if (lpvReserved != NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateIProp: lpvReserved must be NULL");
	if (!IsEqualIID(lpInterface, &IID_IMAPIPropData) && !IsEqualIID(lpInterface, &IID_IMAPIProp) &&
	    !IsEqualIID(lpInterface, &IID_IUnknown))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "CreateIProp: only IID_IMAPIPropData is supported");

	mapix_propdata *pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateIProp: no memory for the object");
	if (pthread_mutex_init(&pd->lock, NULL) != 0) {
		free(pd);
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "CreateIProp: cannot create the object's mutex");
	}
	pd->iface.lpVtbl = &propdata_vtbl;
	atomic_init(&pd->refs, 1);
	pd->alloc = lpAllocateBuffer;
	pd->more = lpAllocateMore;
	pd->freebuf = lpFreeBuffer;
	pd->obj_access = IPROP_READWRITE;
	pd->next_named_id = 0x8000;
	*lppPropData = &pd->iface;
	return S_OK;
}
