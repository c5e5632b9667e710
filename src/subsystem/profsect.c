/*
 * profsect.c — IProfSect: an IMAPIProp over one section of a profile file.
 *
 * The object caches nothing: GetProps and GetPropList read the current file
 * (under its shared lock), and SetProps/DeleteProps rewrite it at once under
 * the exclusive lock (profile_dir.c), so two objects on the same section —
 * in this process or another — always agree, and SaveChanges has nothing
 * left to do. Reads go through a temporary IPropData holding the section,
 * which gives GetProps its exact MAPI behaviour (PT_UNSPECIFIED, string
 * width, PT_ERROR for missing properties) and CopyTo/CopyProps for free.
 * Named properties are not supported in profiles (MAPI_E_NO_SUPPORT).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"

typedef struct profsect {
	IProfSect iface;
	atomic_uint refs;
	mapix_instance *inst;
	char *profile_dir;
	char *profile_name;
	MAPIUID uid;
	BOOL writable;
} profsect;

static profsect *ps_from(IProfSect *This)
{
	return (profsect *)(void *)This;
}

static HRESULT ps_QueryInterface(IProfSect *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IMAPIProp) || IsEqualGUID(riid, &IID_IProfSect)) {
		atomic_fetch_add(&ps_from(This)->refs, 1);
		*ppvObj = This;
		return S_OK;
	}
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG ps_AddRef(IProfSect *This)
{
	return atomic_fetch_add(&ps_from(This)->refs, 1) + 1;
}

static ULONG ps_Release(IProfSect *This)
{
	profsect *ps = ps_from(This);
	ULONG n = atomic_fetch_sub(&ps->refs, 1) - 1;
	if (n == 0) {
		mapix_instance *inst = ps->inst;
		free(ps->profile_dir);
		free(ps->profile_name);
		free(ps);
		mapix_instance_release(inst);
	}
	return n;
}

static HRESULT ps_GetLastError(IProfSect *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = mapix_instance_check_caller(ps_from(This)->inst, "IProfSect::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix profile", lppMAPIError);
}

static HRESULT ps_SaveChanges(IProfSect *This, ULONG ulFlags)
{
	return mapix_instance_check_caller(ps_from(This)->inst, "IProfSect::SaveChanges");
}

/* The section's current properties in a fresh IPropData. */
static HRESULT ps_snapshot(profsect *ps, const char *what, LPPROPDATA *lppData)
{
	mapix_profile *p = NULL;
	HRESULT hr = mapix_profile_load(ps->profile_dir, ps->profile_name, &p);
	if (FAILED(hr))
		return mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
	LPPROPDATA pd = NULL;
	SCODE sc = CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &pd);
	if (FAILED(sc)) {
		mapix_profile_free(p);
		return mapix_error(sc, "%s: cannot make a property object", what);
	}
	const mapix_profsect_data *s = mapix_profile_find(p, &ps->uid);
	if (s && s->cValues)
		hr = IPropData_SetProps(pd, s->cValues, s->lpProps, NULL);
	mapix_profile_free(p);
	if (FAILED(hr)) {
		IPropData_Release(pd);
		return mapix_error(hr, "%s: cannot load the section's properties", what);
	}
	*lppData = pd;
	return S_OK;
}

static HRESULT ps_GetProps(IProfSect *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                           LPSPropValue *lppPropArray)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::GetProps");
	if (FAILED(hr))
		return hr;
	if (!lpcValues || !lppPropArray || (lpPropTagArray && FBadPropTagArray(lpPropTagArray)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfSect::GetProps: bad parameter");
	LPPROPDATA pd;
	if (FAILED(hr = ps_snapshot(ps, "IProfSect::GetProps", &pd)))
		return hr;
	hr = IPropData_GetProps(pd, lpPropTagArray, ulFlags, lpcValues, lppPropArray);
	IPropData_Release(pd);
	return hr;
}

static HRESULT ps_GetPropList(IProfSect *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::GetPropList");
	if (FAILED(hr))
		return hr;
	if (!lppPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfSect::GetPropList: bad parameter");
	LPPROPDATA pd;
	if (FAILED(hr = ps_snapshot(ps, "IProfSect::GetPropList", &pd)))
		return hr;
	hr = IPropData_GetPropList(pd, ulFlags, lppPropTagArray);
	IPropData_Release(pd);
	return hr;
}

static HRESULT ps_OpenProperty(IProfSect *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions,
                               ULONG ulFlags, LPUNKNOWN *lppUnk)
{
	HRESULT hr = mapix_instance_check_caller(ps_from(This)->inst, "IProfSect::OpenProperty");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IProfSect::OpenProperty: profile sections hold no objects or streams");
}

typedef struct set_arg {
	const MAPIUID *uid;
	ULONG cValues;
	LPSPropValue props;
	const SPropTagArray *del;
} set_arg;

static HRESULT edit_section(void *a, mapix_profile *p)
{
	set_arg *sa = a;
	if (sa->del)
		return mapix_profile_delete_props(p, sa->uid, sa->del);
	return mapix_profile_set_props(p, sa->uid, sa->cValues, sa->props);
}

/* Problems for the properties SetProps refuses, and the values it keeps
 * (a copy of the array without them). */
static HRESULT split_storable(ULONG cValues, LPSPropValue lpProps, LPSPropValue *lppKeep, ULONG *lpcKeep,
                              LPSPropProblemArray *lppProblems)
{
	ULONG bad = 0;
	for (ULONG i = 0; i < cValues; i++) {
		ULONG t = PROP_TYPE(lpProps[i].ulPropTag);
		if (t == PT_OBJECT || t == PT_ERROR || t == PT_NULL || t == PT_UNSPECIFIED || t == (MV_FLAG | PT_BOOLEAN))
			bad++;
	}
	LPSPropValue keep = NULL;
	if (FAILED(MAPIAllocateBuffer((ULONG)((cValues - bad + 1) * sizeof(SPropValue)), (LPVOID *)&keep)))
		return MAPI_E_NOT_ENOUGH_MEMORY;
	LPSPropProblemArray probs = NULL;
	if (bad && lppProblems && FAILED(MAPIAllocateBuffer((ULONG)CbNewSPropProblemArray(bad), (LPVOID *)&probs))) {
		MAPIFreeBuffer(keep);
		return MAPI_E_NOT_ENOUGH_MEMORY;
	}
	ULONG k = 0, b = 0;
	for (ULONG i = 0; i < cValues; i++) {
		ULONG t = PROP_TYPE(lpProps[i].ulPropTag);
		if (t == PT_OBJECT || t == PT_ERROR || t == PT_NULL || t == PT_UNSPECIFIED || t == (MV_FLAG | PT_BOOLEAN)) {
			if (probs) {
				probs->aProblem[b].ulIndex = i;
				probs->aProblem[b].ulPropTag = lpProps[i].ulPropTag;
				probs->aProblem[b].scode = MAPI_E_INVALID_TYPE;
			}
			b++;
		} else {
			keep[k++] = lpProps[i]; /* shallow: the values stay the caller's */
		}
	}
	if (probs)
		probs->cProblem = b;
	*lppKeep = keep;
	*lpcKeep = k;
	if (lppProblems)
		*lppProblems = probs;
	return S_OK;
}

static HRESULT ps_SetProps(IProfSect *This, ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::SetProps");
	if (FAILED(hr))
		return hr;
	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropArray || cValues == 0 || cValues > 0x10000)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfSect::SetProps: no properties given");
	for (ULONG i = 0; i < cValues; i++)
		if (FBadProp(&lpPropArray[i]))
			return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfSect::SetProps: property %lu is malformed",
			                   (unsigned long)i);
	if (!ps->writable)
		return mapix_error(MAPI_E_NO_ACCESS, "IProfSect::SetProps: the section was opened without MAPI_MODIFY");
	LPSPropValue keep = NULL;
	ULONG cKeep = 0;
	if (FAILED(split_storable(cValues, lpPropArray, &keep, &cKeep, lppProblems)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IProfSect::SetProps: out of memory");
	if (cKeep) {
		set_arg sa = {&ps->uid, cKeep, keep, NULL};
		hr = mapix_profile_update(ps->profile_dir, ps->profile_name, edit_section, &sa);
		if (FAILED(hr)) {
			hr = mapix_error(hr, "IProfSect::SetProps: %s", MAPIXGetLastErrorText());
			if (lppProblems) {
				MAPIFreeBuffer(*lppProblems);
				*lppProblems = NULL;
			}
		}
	}
	MAPIFreeBuffer(keep);
	return hr;
}

static HRESULT ps_DeleteProps(IProfSect *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::DeleteProps");
	if (FAILED(hr))
		return hr;
	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropTagArray || FBadPropTagArray(lpPropTagArray))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfSect::DeleteProps: bad tag array");
	if (!ps->writable)
		return mapix_error(MAPI_E_NO_ACCESS, "IProfSect::DeleteProps: the section was opened without MAPI_MODIFY");
	set_arg sa = {&ps->uid, 0, NULL, lpPropTagArray};
	hr = mapix_profile_update(ps->profile_dir, ps->profile_name, edit_section, &sa);
	if (FAILED(hr))
		return mapix_error(hr, "IProfSect::DeleteProps: %s", MAPIXGetLastErrorText());
	return S_OK;
}

static HRESULT ps_CopyTo(IProfSect *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,
                         ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                         ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::CopyTo");
	if (FAILED(hr))
		return hr;
	if (ulFlags & MAPI_MOVE)
		return mapix_error(MAPI_E_NO_ACCESS, "IProfSect::CopyTo: profile sections cannot be moved from");
	LPPROPDATA pd;
	if (FAILED(hr = ps_snapshot(ps, "IProfSect::CopyTo", &pd)))
		return hr;
	hr = IPropData_CopyTo(pd, ciidExclude, rgiidExclude, lpExcludeProps, ulUIParam, lpProgress, lpInterface,
	                      lpDestObj, ulFlags, lppProblems);
	IPropData_Release(pd);
	return hr;
}

static HRESULT ps_CopyProps(IProfSect *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                            LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                            LPSPropProblemArray *lppProblems)
{
	profsect *ps = ps_from(This);
	HRESULT hr = mapix_instance_check_caller(ps->inst, "IProfSect::CopyProps");
	if (FAILED(hr))
		return hr;
	if (ulFlags & MAPI_MOVE)
		return mapix_error(MAPI_E_NO_ACCESS, "IProfSect::CopyProps: profile sections cannot be moved from");
	LPPROPDATA pd;
	if (FAILED(hr = ps_snapshot(ps, "IProfSect::CopyProps", &pd)))
		return hr;
	hr = IPropData_CopyProps(pd, lpIncludeProps, ulUIParam, lpProgress, lpInterface, lpDestObj, ulFlags, lppProblems);
	IPropData_Release(pd);
	return hr;
}

static HRESULT ps_GetNamesFromIDs(IProfSect *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid,
                                  ULONG ulFlags, ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)
{
	HRESULT hr = mapix_instance_check_caller(ps_from(This)->inst, "IProfSect::GetNamesFromIDs");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IProfSect::GetNamesFromIDs: profiles have no named properties");
}

static HRESULT ps_GetIDsFromNames(IProfSect *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                  LPSPropTagArray *lppPropTags)
{
	HRESULT hr = mapix_instance_check_caller(ps_from(This)->inst, "IProfSect::GetIDsFromNames");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IProfSect::GetIDsFromNames: profiles have no named properties");
}

static const IProfSectVtbl profsect_vtbl = {
	ps_QueryInterface, ps_AddRef,     ps_Release,  ps_GetLastError, ps_SaveChanges,     ps_GetProps,
	ps_GetPropList,    ps_OpenProperty, ps_SetProps, ps_DeleteProps, ps_CopyTo,          ps_CopyProps,
	ps_GetNamesFromIDs, ps_GetIDsFromNames,
};

HRESULT mapix_profsect_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                              const MAPIUID *uid, ULONG ulFlags, LPPROFSECT *lppProfSect)
{
	if (!profile_dir || !profile_name || !uid || !lppProfSect)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenProfileSection: bad parameter");
	profsect *ps = calloc(1, sizeof *ps);
	if (!ps || !(ps->profile_dir = strdup(profile_dir)) || !(ps->profile_name = strdup(profile_name))) {
		if (ps) {
			free(ps->profile_dir);
			free(ps);
		}
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProfileSection: out of memory");
	}
	ps->iface.lpVtbl = &profsect_vtbl;
	atomic_init(&ps->refs, 1);
	ps->uid = *uid;
	ps->writable = (ulFlags & MAPI_MODIFY) != 0;
	ps->inst = inst;
	mapix_instance_hold(inst);
	*lppProfSect = &ps->iface;
	return S_OK;
}
