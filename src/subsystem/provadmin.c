/*
 * provadmin.c — IProviderAdmin: the providers of one message service in a
 * profile (IMsgServiceAdmin::AdminProviders). CreateProvider adds a
 * provider section named in the service catalog to the service, with the
 * caller's extra properties; DeleteProvider removes one. Like every other
 * profile change, each is one locked, atomic update of the profile file.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/svc_catalog.h"

typedef struct provadmin {
	IProviderAdmin iface;
	atomic_uint refs;
	mapix_instance *inst;
	char *profile_dir;
	char *profile_name;
	MAPIUID service;
} provadmin;

static provadmin *pv_from(IProviderAdmin *This)
{
	return (provadmin *)(void *)This;
}

static HRESULT pv_QueryInterface(IProviderAdmin *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IProviderAdmin)) {
		atomic_fetch_add(&pv_from(This)->refs, 1);
		*ppvObj = This;
		return S_OK;
	}
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG pv_AddRef(IProviderAdmin *This)
{
	return atomic_fetch_add(&pv_from(This)->refs, 1) + 1;
}

static ULONG pv_Release(IProviderAdmin *This)
{
	provadmin *pv = pv_from(This);
	ULONG n = atomic_fetch_sub(&pv->refs, 1) - 1;
	if (n == 0) {
		mapix_instance *inst = pv->inst;
		free(pv->profile_dir);
		free(pv->profile_name);
		free(pv);
		mapix_instance_release(inst);
	}
	return n;
}

static HRESULT pv_GetLastError(IProviderAdmin *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = mapix_instance_check_caller(pv_from(This)->inst, "IProviderAdmin::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix provider administration", lppMAPIError);
}

static HRESULT pv_GetProviderTable(IProviderAdmin *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	provadmin *pv = pv_from(This);
	HRESULT hr = mapix_instance_check_caller(pv->inst, "IProviderAdmin::GetProviderTable");
	if (FAILED(hr))
		return hr;
	return mapix_svcadmin_provider_table(pv->inst, pv->profile_dir, pv->profile_name, &pv->service, ulFlags,
	                                     "IProviderAdmin::GetProviderTable", lppTable);
}

typedef struct create_arg {
	const MAPIUID *service;
	MAPIUID uid;
	ULONG cCat, cExtra;
	LPSPropValue lpCat, lpExtra;
} create_arg;

static HRESULT create_edit(void *a, mapix_profile *p)
{
	create_arg *ca = a;
	const mapix_profsect_data *s = mapix_profile_find(p, ca->service);
	if (!s || !mapix_admin_is_service(s))
		return mapix_error(MAPI_E_NOT_FOUND, "IProviderAdmin::CreateProvider: the service is no longer in the profile");
	LPSPropValue name = mapix_profsect_find_prop(s, PR_SERVICE_NAME_W);
	SPropValue links[3];
	memset(links, 0, sizeof links);
	links[0].ulPropTag = PR_SERVICE_UID;
	links[0].Value.bin.cb = sizeof(MAPIUID);
	links[0].Value.bin.lpb = (LPBYTE)ca->service->ab;
	links[1].ulPropTag = PR_PROVIDER_UID;
	links[1].Value.bin.cb = sizeof(MAPIUID);
	links[1].Value.bin.lpb = ca->uid.ab;
	ULONG nl = 2;
	if (name)
		links[nl++] = *name; /* copied by set_props before anything moves */
	HRESULT hr = mapix_profile_set_props(p, &ca->uid, ca->cCat, ca->lpCat);
	if (SUCCEEDED(hr) && ca->cExtra)
		hr = mapix_profile_set_props(p, &ca->uid, ca->cExtra, ca->lpExtra);
	if (SUCCEEDED(hr))
		hr = mapix_profile_set_props(p, &ca->uid, nl, links);
	return hr;
}

static HRESULT pv_CreateProvider(IProviderAdmin *This, LPTSTR lpszProvider, ULONG cValues, LPSPropValue lpProps,
                                 ULONG_PTR ulUIParam, ULONG ulFlags, MAPIUID *lpUID)
{
	provadmin *pv = pv_from(This);
	const char *what = "IProviderAdmin::CreateProvider";
	HRESULT hr = mapix_instance_check_caller(pv->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpszProvider || !lpUID || (cValues && !lpProps))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: bad parameter", what);
	if (ulFlags & ~(MAPI_UNICODE | SERVICE_UI_ALWAYS | SERVICE_UI_ALLOWED))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	for (ULONG i = 0; i < cValues; i++) {
		ULONG t = PROP_TYPE(lpProps[i].ulPropTag);
		if (FBadProp(&lpProps[i]) || t == PT_ERROR || t == PT_OBJECT || t == PT_NULL || t == PT_UNSPECIFIED)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: property %lu cannot be stored in a profile", what,
			                   (unsigned long)i);
	}
	char *section = NULL;
	if (FAILED(hr = mapix_admin_tstr(lpszProvider, ulFlags, &section)))
		return hr;
	mapix_svccat *cat = NULL;
	create_arg ca;
	memset(&ca, 0, sizeof ca);
	ca.service = &pv->service;
	ca.cExtra = cValues;
	ca.lpExtra = lpProps;
	if (SUCCEEDED(hr = mapix_svccat_load(pv->profile_dir, &cat)))
		hr = mapix_svccat_section_props(cat, section, &ca.cCat, &ca.lpCat);
	if (hr == MAPI_E_NOT_FOUND)
		hr = mapix_error(MAPI_E_NOT_FOUND, "%s: the service catalog has no provider section [%s]", what, section);
	if (SUCCEEDED(hr))
		hr = mapix_profile_new_uid(&ca.uid);
	if (SUCCEEDED(hr))
		hr = mapix_profile_update(pv->profile_dir, pv->profile_name, create_edit, &ca);
	if (SUCCEEDED(hr))
		*lpUID = ca.uid;
	MAPIFreeBuffer(ca.lpCat);
	mapix_svccat_free(cat);
	free(section);
	return hr;
}

typedef struct delete_arg {
	const MAPIUID *service, *uid;
} delete_arg;

static HRESULT delete_edit(void *a, mapix_profile *p)
{
	delete_arg *da = a;
	const mapix_profsect_data *s = mapix_profile_find(p, da->uid);
	MAPIUID svc;
	if (!s || !mapix_admin_is_provider(s) || !mapix_admin_service_of(s, &svc) || !IsEqualMAPIUID(&svc, da->service))
		return mapix_error(MAPI_E_NOT_FOUND, "IProviderAdmin::DeleteProvider: the service has no provider with that UID");
	mapix_profile_remove_section(p, da->uid);
	return S_OK;
}

static HRESULT pv_DeleteProvider(IProviderAdmin *This, LPMAPIUID lpUID)
{
	provadmin *pv = pv_from(This);
	HRESULT hr = mapix_instance_check_caller(pv->inst, "IProviderAdmin::DeleteProvider");
	if (FAILED(hr))
		return hr;
	if (!lpUID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProviderAdmin::DeleteProvider: lpUID is NULL");
	delete_arg da = {&pv->service, lpUID};
	return mapix_profile_update(pv->profile_dir, pv->profile_name, delete_edit, &da);
}

static HRESULT pv_OpenProfileSection(IProviderAdmin *This, LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags,
                                     LPPROFSECT *lppProfSect)
{
	provadmin *pv = pv_from(This);
	const char *what = "IProviderAdmin::OpenProfileSection";
	HRESULT hr = mapix_instance_check_caller(pv->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lppProfSect)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lppProfSect is NULL", what);
	*lppProfSect = NULL;
	if (lpInterface && !IsEqualGUID(lpInterface, &IID_IProfSect) && !IsEqualGUID(lpInterface, &IID_IMAPIProp))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "%s: only IProfSect and IMAPIProp", what);
	if (ulFlags & ~(MAPI_MODIFY | MAPI_DEFERRED_ERRORS | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	/* NULL opens the service's own section, as on Windows. */
	return mapix_profsect_create(pv->inst, pv->profile_dir, pv->profile_name, lpUID ? lpUID : &pv->service, ulFlags,
	                             lppProfSect);
}

static const IProviderAdminVtbl provadmin_vtbl = {
	pv_QueryInterface, pv_AddRef,         pv_Release,        pv_GetLastError,
	pv_GetProviderTable, pv_CreateProvider, pv_DeleteProvider, pv_OpenProfileSection,
};

HRESULT mapix_provadmin_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                               const MAPIUID *service, LPPROVIDERADMIN *lppProviderAdmin)
{
	provadmin *pv = calloc(1, sizeof *pv);
	if (!pv || !(pv->profile_dir = strdup(profile_dir)) || !(pv->profile_name = strdup(profile_name))) {
		if (pv)
			free(pv->profile_dir);
		free(pv);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "AdminProviders: out of memory");
	}
	pv->iface.lpVtbl = &provadmin_vtbl;
	atomic_init(&pv->refs, 1);
	pv->service = *service;
	pv->inst = inst;
	mapix_instance_hold(inst);
	*lppProviderAdmin = &pv->iface;
	return S_OK;
}
