/*
 * svcadmin.c — IMsgServiceAdmin (and IMsgServiceAdmin2, the same object)
 * over one profile: adding message services from the service catalog,
 * removing, copying, renaming and configuring them, the message service
 * and provider tables, and profile sections. IProviderAdmin is in
 * provadmin.c.
 *
 * A service added from the catalog becomes one profile section for the
 * service and one per provider named in its Providers= entry, holding the
 * catalog's properties plus PR_SERVICE_UID / PR_PROVIDER_UID /
 * PR_SERVICE_NAME (profile_file.h). The whole service is written in one
 * locked, atomic update of the profile file.
 *
 * mapix has no configuration UI: the UI flags are accepted, and a service
 * that would need its property sheet to become usable reports
 * MAPI_E_UNCONFIGURED instead. Service entry points (MSGSERVICEENTRY) are
 * not called; providers read their configuration from their sections.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "core/error.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/svc_catalog.h"

/* Microsoft's value (mapiaux.h: DEFINE_OLEGUID(IID_IMsgServiceAdmin2, 0x00020387, 0, 0)). */

#define MSG_SERVICE_UI_READ_ONLY ((ULONG)0x00000008)
#define SERVICE_NO_RESTART_WARNING ((ULONG)0x00000080)

/* ---- adding a service from the catalog ----------------------------------------- */

typedef struct new_section {
	MAPIUID uid;
	ULONG cValues;
	LPSPropValue lpProps; /* from the catalog */
} new_section;

typedef struct add_arg {
	const char *service;
	const char *display;      /* from the caller, used when the catalog has none */
	const char *services_name; /* the [Services] value */
	new_section svc;
	new_section *provs;
	ULONG cProvs;
	BOOL single_copy;
} add_arg;

static SPropValue bin_prop(ULONG tag, const MAPIUID *uid)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = tag;
	v.Value.bin.cb = sizeof(MAPIUID);
	v.Value.bin.lpb = (LPBYTE)uid->ab;
	return v;
}

static BOOL same_service_name(const mapix_profsect_data *s, const WCHAR *name)
{
	LPSPropValue v = mapix_profsect_find_prop(s, PR_SERVICE_NAME_W);
	if (!v || PROP_TYPE(v->ulPropTag) != PT_UNICODE)
		return FALSE;
	size_t a = mapix_wcslen(v->Value.lpszW), b = mapix_wcslen(name);
	return a == b && memcmp(v->Value.lpszW, name, a * sizeof(WCHAR)) == 0;
}

static HRESULT add_edit(void *a, mapix_profile *p)
{
	add_arg *aa = a;
	HRESULT hr;
	LPWSTR wname = NULL, wdisp = NULL;
	if (FAILED(mapix_utf8_to_utf16(aa->service, NULL, &wname)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateMsgService: out of memory");
	if (aa->single_copy)
		for (ULONG i = 0; i < p->cSections; i++)
			if (mapix_admin_is_service(&p->sections[i]) && same_service_name(&p->sections[i], wname)) {
				MAPIFreeBuffer(wname);
				return mapix_error(MAPI_E_NO_ACCESS,
				                   "CreateMsgService: service %s allows a single copy (SERVICE_SINGLE_COPY) "
				                   "and the profile has one",
				                   aa->service);
			}
	BOOL has_display = FALSE, has_flags = FALSE;
	for (ULONG i = 0; i < aa->svc.cValues; i++) {
		has_display |= PROP_ID(aa->svc.lpProps[i].ulPropTag) == PROP_ID(PR_DISPLAY_NAME_W);
		has_flags |= PROP_ID(aa->svc.lpProps[i].ulPropTag) == PROP_ID(PR_RESOURCE_FLAGS);
	}
	const char *disp = aa->display && *aa->display ? aa->display : aa->services_name ? aa->services_name : aa->service;
	if (FAILED(mapix_utf8_to_utf16(disp, wname, &wdisp))) {
		MAPIFreeBuffer(wname);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateMsgService: out of memory");
	}
	/* Service section: the catalog's properties, then ours. */
	SPropValue extra[4];
	ULONG n = 0;
	extra[n++] = bin_prop(PR_SERVICE_UID, &aa->svc.uid);
	memset(&extra[n], 0, sizeof extra[n]);
	extra[n].ulPropTag = PR_SERVICE_NAME_W;
	extra[n++].Value.lpszW = wname;
	if (!has_display) {
		memset(&extra[n], 0, sizeof extra[n]);
		extra[n].ulPropTag = PR_DISPLAY_NAME_W;
		extra[n++].Value.lpszW = wdisp;
	}
	if (!has_flags) {
		memset(&extra[n], 0, sizeof extra[n]);
		extra[n].ulPropTag = PR_RESOURCE_FLAGS;
		extra[n++].Value.ul = 0;
	}
	hr = mapix_profile_set_props(p, &aa->svc.uid, aa->svc.cValues, aa->svc.lpProps);
	if (SUCCEEDED(hr))
		hr = mapix_profile_set_props(p, &aa->svc.uid, n, extra);
	/* Provider sections: theirs, then the service's DLL and entry point
	 * when they name none, then the links. */
	for (ULONG i = 0; i < aa->cProvs && SUCCEEDED(hr); i++) {
		new_section *pr = &aa->provs[i];
		hr = mapix_profile_set_props(p, &pr->uid, pr->cValues, pr->lpProps);
		SPropValue pe[6];
		ULONG k = 0;
		pe[k++] = bin_prop(PR_SERVICE_UID, &aa->svc.uid);
		pe[k++] = bin_prop(PR_PROVIDER_UID, &pr->uid);
		memset(&pe[k], 0, sizeof pe[k]);
		pe[k].ulPropTag = PR_SERVICE_NAME_W;
		pe[k++].Value.lpszW = wname;
		static const ULONG inherit[] = {PR_SERVICE_DLL_NAME_W, PR_SERVICE_ENTRY_NAME, PR_DISPLAY_NAME_W};
		for (size_t j = 0; j < sizeof inherit / sizeof inherit[0]; j++) {
			LPSPropValue mine = NULL, svc = NULL;
			for (ULONG q = 0; q < pr->cValues; q++)
				if (PROP_ID(pr->lpProps[q].ulPropTag) == PROP_ID(inherit[j]))
					mine = &pr->lpProps[q];
			if (mine)
				continue;
			const mapix_profsect_data *ss = mapix_profile_find(p, &aa->svc.uid);
			svc = mapix_profsect_find_prop(ss, inherit[j]);
			if (svc)
				pe[k++] = *svc; /* PropCopyMore in set_props copies it before the section changes */
		}
		if (SUCCEEDED(hr)) {
			/* pe may point into the service section's block, which
			 * set_props on another section does not touch. */
			hr = mapix_profile_set_props(p, &pr->uid, k, pe);
		}
	}
	MAPIFreeBuffer(wname); /* wdisp is its child */
	return hr;
}

static void free_add_arg(add_arg *aa)
{
	MAPIFreeBuffer(aa->svc.lpProps);
	for (ULONG i = 0; i < aa->cProvs; i++)
		MAPIFreeBuffer(aa->provs[i].lpProps);
	free(aa->provs);
}

HRESULT mapix_svcadmin_add_service(const char *profile_dir, const char *profile_name, const char *service,
                                   const char *display, MAPIUID *lpUID)
{
	if (!service || !*service)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateMsgService: no service name given");
	mapix_svccat *cat = NULL;
	HRESULT hr = mapix_svccat_load(profile_dir, &cat);
	if (FAILED(hr))
		return mapix_error(hr, "CreateMsgService: cannot read the service catalog: %s", MAPIXGetLastErrorText());
	add_arg aa;
	memset(&aa, 0, sizeof aa);
	aa.service = service;
	aa.display = display;
	char **items = NULL;
	ULONG cItems = 0;
	aa.services_name = mapix_svccat_get(cat, "Services", service);
	if (!aa.services_name) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "CreateMsgService: service \"%s\" is not in the [Services] section of "
		                                   "the service catalog", service);
		goto out;
	}
	if (FAILED(hr = mapix_svccat_section_props(cat, service, &aa.svc.cValues, &aa.svc.lpProps)))
		goto out;
	LPSPropValue flags = PpropFindProp(aa.svc.lpProps, aa.svc.cValues, PR_RESOURCE_FLAGS);
	aa.single_copy = flags && (flags->Value.ul & SERVICE_SINGLE_COPY);
	const char *providers = mapix_svccat_get(cat, service, "Providers");
	if (!providers) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "CreateMsgService: service \"%s\" lists no Providers in the catalog",
		                 service);
		goto out;
	}
	if (FAILED(hr = mapix_svccat_split_list(providers, &items, &cItems)))
		goto out;
	aa.provs = calloc(cItems ? cItems : 1, sizeof *aa.provs);
	if (!aa.provs) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateMsgService: out of memory");
		goto out;
	}
	if (FAILED(hr = mapix_profile_new_uid(&aa.svc.uid)))
		goto out;
	for (ULONG i = 0; i < cItems; i++) {
		hr = mapix_svccat_section_props(cat, items[i], &aa.provs[i].cValues, &aa.provs[i].lpProps);
		if (hr == MAPI_E_NOT_FOUND)
			hr = mapix_error(MAPI_E_NOT_FOUND, "CreateMsgService: provider section [%s] of service \"%s\" is "
			                                   "missing from the catalog", items[i], service);
		if (FAILED(hr) || FAILED(hr = mapix_profile_new_uid(&aa.provs[i].uid)))
			goto out;
		aa.cProvs++;
	}
	hr = mapix_profile_update(profile_dir, profile_name, add_edit, &aa);
	if (SUCCEEDED(hr) && lpUID)
		*lpUID = aa.svc.uid;
out:
	free(items);
	free_add_arg(&aa);
	mapix_svccat_free(cat);
	return hr;
}

/* ---- the object ------------------------------------------------------------------- */

typedef struct svcadmin {
	IMsgServiceAdmin2 iface;
	atomic_uint refs;
	mapix_instance *inst;
	char *profile_dir;
	char *profile_name;
} svcadmin;

static const IMsgServiceAdmin2Vtbl svcadmin_vtbl;

static svcadmin *sa_from(IMsgServiceAdmin2 *This)
{
	return (svcadmin *)(void *)This;
}

static HRESULT sa_QueryInterface(IMsgServiceAdmin2 *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IMsgServiceAdmin) ||
	    IsEqualGUID(riid, &IID_IMsgServiceAdmin2)) {
		atomic_fetch_add(&sa_from(This)->refs, 1);
		*ppvObj = This;
		return S_OK;
	}
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG sa_AddRef(IMsgServiceAdmin2 *This)
{
	return atomic_fetch_add(&sa_from(This)->refs, 1) + 1;
}

static ULONG sa_Release(IMsgServiceAdmin2 *This)
{
	svcadmin *sa = sa_from(This);
	ULONG n = atomic_fetch_sub(&sa->refs, 1) - 1;
	if (n == 0) {
		mapix_instance *inst = sa->inst;
		free(sa->profile_dir);
		free(sa->profile_name);
		free(sa);
		mapix_instance_release(inst);
	}
	return n;
}

static HRESULT sa_GetLastError(IMsgServiceAdmin2 *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = mapix_instance_check_caller(sa_from(This)->inst, "IMsgServiceAdmin::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix message service administration", lppMAPIError);
}

/* Rows of the sections that pass `want`, as a table. */
static HRESULT sections_table(svcadmin *sa, const char *what, const SPropTagArray *cols,
                              BOOL (*want)(const mapix_profsect_data *, const void *), const void *arg,
                              ULONG ordinal_col, LPMAPITABLE *lppTable)
{
	mapix_profile *p = NULL;
	HRESULT hr = mapix_profile_load(sa->profile_dir, sa->profile_name, &p);
	if (FAILED(hr))
		return mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
	LPSPropValue *rows = calloc(p->cSections ? p->cSections : 1, sizeof *rows);
	ULONG n = 0;
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", what);
	for (ULONG i = 0; i < p->cSections && SUCCEEDED(hr); i++) {
		if (!want(&p->sections[i], arg))
			continue;
		if (SUCCEEDED(hr = mapix_admin_section_row(cols, &p->sections[i], &rows[n]))) {
			/* instance key = the section's UID */
			for (ULONG c = 0; c < cols->cValues; c++)
				if (cols->aulPropTag[c] == PR_INSTANCE_KEY) {
					rows[n][c].ulPropTag = PR_INSTANCE_KEY;
					rows[n][c].Value.bin.cb = sizeof(MAPIUID);
					rows[n][c].Value.bin.lpb = p->sections[i].uid.ab;
				}
			if (ordinal_col < cols->cValues) {
				rows[n][ordinal_col].ulPropTag = PR_PROVIDER_ORDINAL;
				rows[n][ordinal_col].Value.ul = n;
			}
			n++;
		}
	}
	if (SUCCEEDED(hr))
		hr = mapix_admin_make_table(cols, n, rows, lppTable);
	for (ULONG i = 0; rows && i < n; i++)
		MAPIFreeBuffer(rows[i]);
	free(rows);
	mapix_profile_free(p);
	return hr;
}

static BOOL want_service(const mapix_profsect_data *s, const void *arg)
{
	return mapix_admin_is_service(s);
}

static BOOL want_provider(const mapix_profsect_data *s, const void *arg)
{
	MAPIUID svc;
	if (!mapix_admin_is_provider(s))
		return FALSE;
	return !arg || (mapix_admin_service_of(s, &svc) && IsEqualMAPIUID(&svc, arg));
}

static HRESULT sa_GetMsgServiceTable(IMsgServiceAdmin2 *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	svcadmin *sa = sa_from(This);
	HRESULT hr = mapix_instance_check_caller(sa->inst, "IMsgServiceAdmin::GetMsgServiceTable");
	if (FAILED(hr))
		return hr;
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMsgServiceAdmin::GetMsgServiceTable: lppTable is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMsgServiceAdmin::GetMsgServiceTable: unknown flags 0x%08X",
		                   (unsigned)ulFlags);
	BOOL w = (ulFlags & MAPI_UNICODE) != 0;
	SizedSPropTagArray(7, cols) = {7,
	                               {w ? PR_DISPLAY_NAME_W : PR_DISPLAY_NAME_A, PR_INSTANCE_KEY, PR_RESOURCE_FLAGS,
	                                w ? PR_SERVICE_DLL_NAME_W : PR_SERVICE_DLL_NAME_A, PR_SERVICE_ENTRY_NAME,
	                                w ? PR_SERVICE_NAME_W : PR_SERVICE_NAME_A, PR_SERVICE_UID}};
	return sections_table(sa, "IMsgServiceAdmin::GetMsgServiceTable", (LPSPropTagArray)&cols, want_service, NULL,
	                      (ULONG)-1, lppTable);
}

HRESULT mapix_svcadmin_provider_table(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                                      const MAPIUID *service, ULONG ulFlags, const char *what, LPMAPITABLE *lppTable)
{
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lppTable is NULL", what);
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	BOOL w = (ulFlags & MAPI_UNICODE) != 0;
	SizedSPropTagArray(10, cols) = {10,
	                                {w ? PR_DISPLAY_NAME_W : PR_DISPLAY_NAME_A, PR_INSTANCE_KEY,
	                                 w ? PR_PROVIDER_DISPLAY_W : PR_PROVIDER_DISPLAY_A,
	                                 w ? PR_PROVIDER_DLL_NAME_W : PR_PROVIDER_DLL_NAME_A, PR_PROVIDER_ORDINAL,
	                                 PR_PROVIDER_UID, PR_RESOURCE_FLAGS, PR_RESOURCE_TYPE,
	                                 w ? PR_SERVICE_NAME_W : PR_SERVICE_NAME_A, PR_SERVICE_UID}};
	svcadmin tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.inst = inst;
	tmp.profile_dir = (char *)profile_dir;
	tmp.profile_name = (char *)profile_name;
	return sections_table(&tmp, what, (LPSPropTagArray)&cols, want_provider, service, 4, lppTable);
}

static HRESULT sa_GetProviderTable(IMsgServiceAdmin2 *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	svcadmin *sa = sa_from(This);
	HRESULT hr = mapix_instance_check_caller(sa->inst, "IMsgServiceAdmin::GetProviderTable");
	if (FAILED(hr))
		return hr;
	return mapix_svcadmin_provider_table(sa->inst, sa->profile_dir, sa->profile_name, NULL, ulFlags,
	                                     "IMsgServiceAdmin::GetProviderTable", lppTable);
}

static HRESULT create_service(svcadmin *sa, const char *what, LPSTR lpszService, LPSTR lpszDisplayName,
                              ULONG ulFlags, MAPIUID *lpUID)
{
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	const ULONG known = MAPI_UNICODE | SERVICE_UI_ALWAYS | SERVICE_UI_ALLOWED | SERVICE_NO_RESTART_WARNING;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	if (!lpszService)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no service name given", what);
	char *service = NULL, *display = NULL;
	if (SUCCEEDED(hr = mapix_admin_tstr(lpszService, ulFlags, &service)) &&
	    SUCCEEDED(hr = mapix_admin_tstr(lpszDisplayName, ulFlags, &display))) {
		hr = mapix_svcadmin_add_service(sa->profile_dir, sa->profile_name, service, display, lpUID);
		if (FAILED(hr))
			hr = mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
	}
	free(service);
	free(display);
	return hr;
}

static HRESULT sa_CreateMsgService(IMsgServiceAdmin2 *This, LPTSTR lpszService, LPTSTR lpszDisplayName,
                                   ULONG_PTR ulUIParam, ULONG ulFlags)
{
	return create_service(sa_from(This), "IMsgServiceAdmin::CreateMsgService", (LPSTR)lpszService,
	                      (LPSTR)lpszDisplayName, ulFlags, NULL);
}

static HRESULT sa_CreateMsgServiceEx(IMsgServiceAdmin2 *This, LPSTR lpszService, LPSTR lpszDisplayName,
                                     ULONG_PTR ulUIParam, ULONG ulFlags, LPMAPIUID lpuidService)
{
	if (!lpuidService)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMsgServiceAdmin2::CreateMsgServiceEx: lpuidService is NULL");
	return create_service(sa_from(This), "IMsgServiceAdmin2::CreateMsgServiceEx", lpszService, lpszDisplayName,
	                      ulFlags, lpuidService);
}

typedef struct uid_arg {
	const MAPIUID *uid;
	const char *what;
	ULONG cValues;
	LPSPropValue lpProps;
	BOOL check_configured;
} uid_arg;

static HRESULT no_service(const char *what)
{
	return mapix_error(MAPI_E_NOT_FOUND, "%s: the profile has no message service with that UID", what);
}

static HRESULT delete_edit(void *a, mapix_profile *p)
{
	uid_arg *ua = a;
	const mapix_profsect_data *s = mapix_profile_find(p, ua->uid);
	if (!s || !mapix_admin_is_service(s))
		return no_service(ua->what);
	for (ULONG i = p->cSections; i-- > 0;) {
		MAPIUID svc;
		if (mapix_admin_is_provider(&p->sections[i]) && mapix_admin_service_of(&p->sections[i], &svc) &&
		    IsEqualMAPIUID(&svc, ua->uid))
			mapix_profile_remove_section(p, &p->sections[i].uid);
	}
	mapix_profile_remove_section(p, ua->uid);
	return S_OK;
}

static HRESULT sa_DeleteMsgService(IMsgServiceAdmin2 *This, LPMAPIUID lpUID)
{
	svcadmin *sa = sa_from(This);
	HRESULT hr = mapix_instance_check_caller(sa->inst, "IMsgServiceAdmin::DeleteMsgService");
	if (FAILED(hr))
		return hr;
	if (!lpUID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMsgServiceAdmin::DeleteMsgService: lpUID is NULL");
	uid_arg ua = {lpUID, "IMsgServiceAdmin::DeleteMsgService", 0, NULL, FALSE};
	return mapix_profile_update(sa->profile_dir, sa->profile_name, delete_edit, &ua);
}

/* Stores props in the service's section and every provider section of it. */
static HRESULT configure_edit(void *a, mapix_profile *p)
{
	uid_arg *ua = a;
	const mapix_profsect_data *s = mapix_profile_find(p, ua->uid);
	if (!s || !mapix_admin_is_service(s))
		return no_service(ua->what);
	if (ua->check_configured) {
		/* Nothing to store: only say whether the service is usable. The
		 * local store needs the mailbox file named somewhere. */
		LPSPropValue name = mapix_profsect_find_prop(s, PR_SERVICE_NAME_W);
		static const WCHAR local[] = u"MAPIX_LOCAL";
		BOOL is_local = name && mapix_wcslen(name->Value.lpszW) == 11 &&
		                memcmp(name->Value.lpszW, local, sizeof local - sizeof(WCHAR)) == 0;
		if (!is_local)
			return S_FALSE;
		BOOL configured = mapix_profsect_find_prop(s, PR_MAPIX_STORE_PATH_W) != NULL;
		for (ULONG i = 0; i < p->cSections && !configured; i++) {
			MAPIUID svc;
			if (mapix_admin_is_provider(&p->sections[i]) && mapix_admin_service_of(&p->sections[i], &svc) &&
			    IsEqualMAPIUID(&svc, ua->uid))
				configured = mapix_profsect_find_prop(&p->sections[i], PR_MAPIX_STORE_PATH_W) != NULL;
		}
		return configured ? S_FALSE
		                  : mapix_error(MAPI_E_UNCONFIGURED,
		                                "%s: the mapix local mailbox service needs PR_MAPIX_STORE_PATH (the mailbox "
		                                "file) and mapix has no configuration dialog",
		                                ua->what);
	}
	HRESULT hr = mapix_profile_set_props(p, ua->uid, ua->cValues, ua->lpProps);
	for (ULONG i = 0; i < p->cSections && SUCCEEDED(hr); i++) {
		MAPIUID svc;
		if (mapix_admin_is_provider(&p->sections[i]) && mapix_admin_service_of(&p->sections[i], &svc) &&
		    IsEqualMAPIUID(&svc, ua->uid))
			hr = mapix_profile_set_props(p, &p->sections[i].uid, ua->cValues, ua->lpProps);
	}
	return hr;
}

static HRESULT sa_ConfigureMsgService(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, ULONG_PTR ulUIParam, ULONG ulFlags,
                                      ULONG cValues, LPSPropValue lpProps)
{
	svcadmin *sa = sa_from(This);
	const char *what = "IMsgServiceAdmin::ConfigureMsgService";
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpUID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lpUID is NULL", what);
	const ULONG known = MAPI_UNICODE | SERVICE_UI_ALWAYS | SERVICE_UI_ALLOWED | MSG_SERVICE_UI_READ_ONLY;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	if (cValues && !lpProps)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: cValues without lpProps", what);
	for (ULONG i = 0; i < cValues; i++) {
		ULONG t = PROP_TYPE(lpProps[i].ulPropTag);
		if (FBadProp(&lpProps[i]) || t == PT_ERROR || t == PT_OBJECT || t == PT_NULL || t == PT_UNSPECIFIED)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: property %lu (0x%08X) cannot be stored in a profile",
			                   what, (unsigned long)i, (unsigned)lpProps[i].ulPropTag);
	}
	uid_arg ua = {lpUID, what, cValues, lpProps, cValues == 0};
	return mapix_profile_update(sa->profile_dir, sa->profile_name, configure_edit, &ua);
}

typedef struct rename_arg {
	const MAPIUID *uid;
	LPWSTR name;
} rename_arg;

static HRESULT rename_edit(void *a, mapix_profile *p)
{
	rename_arg *ra = a;
	const mapix_profsect_data *s = mapix_profile_find(p, ra->uid);
	if (!s || !mapix_admin_is_service(s))
		return no_service("IMsgServiceAdmin::RenameMsgService");
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = PR_DISPLAY_NAME_W;
	v.Value.lpszW = ra->name;
	return mapix_profile_set_props(p, ra->uid, 1, &v);
}

static HRESULT sa_RenameMsgService(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, ULONG ulFlags, LPTSTR lpszDisplayName)
{
	svcadmin *sa = sa_from(This);
	const char *what = "IMsgServiceAdmin::RenameMsgService";
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpUID || !lpszDisplayName)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lpUID or lpszDisplayName is NULL", what);
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	char *u = NULL;
	if (FAILED(hr = mapix_admin_tstr(lpszDisplayName, ulFlags, &u)))
		return hr;
	rename_arg ra = {lpUID, NULL};
	if (FAILED(mapix_utf8_to_utf16(u, NULL, &ra.name))) {
		free(u);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", what);
	}
	free(u);
	hr = mapix_profile_update(sa->profile_dir, sa->profile_name, rename_edit, &ra);
	MAPIFreeBuffer(ra.name);
	return hr;
}

/* CopyMsgService: the service's sections from this profile, with new UIDs,
 * into the profile of another of our service admin objects. */
typedef struct copy_arg {
	mapix_profile *src;
	const MAPIUID *uid;
	LPWSTR display; /* or NULL */
} copy_arg;

static HRESULT copy_edit(void *a, mapix_profile *dst)
{
	copy_arg *ca = a;
	MAPIUID nsvc;
	HRESULT hr = mapix_profile_new_uid(&nsvc);
	if (FAILED(hr))
		return hr;
	const mapix_profsect_data *s = mapix_profile_find(ca->src, ca->uid);
	SPropValue link = bin_prop(PR_SERVICE_UID, &nsvc);
	hr = mapix_profile_set_props(dst, &nsvc, s->cValues, s->lpProps);
	if (SUCCEEDED(hr))
		hr = mapix_profile_set_props(dst, &nsvc, 1, &link);
	if (SUCCEEDED(hr) && ca->display) {
		SPropValue d;
		memset(&d, 0, sizeof d);
		d.ulPropTag = PR_DISPLAY_NAME_W;
		d.Value.lpszW = ca->display;
		hr = mapix_profile_set_props(dst, &nsvc, 1, &d);
	}
	for (ULONG i = 0; i < ca->src->cSections && SUCCEEDED(hr); i++) {
		const mapix_profsect_data *ps = &ca->src->sections[i];
		MAPIUID svc, nprov;
		if (!mapix_admin_is_provider(ps) || !mapix_admin_service_of(ps, &svc) || !IsEqualMAPIUID(&svc, ca->uid))
			continue;
		if (FAILED(hr = mapix_profile_new_uid(&nprov)))
			break;
		SPropValue links[2] = {bin_prop(PR_SERVICE_UID, &nsvc), bin_prop(PR_PROVIDER_UID, &nprov)};
		hr = mapix_profile_set_props(dst, &nprov, ps->cValues, ps->lpProps);
		if (SUCCEEDED(hr))
			hr = mapix_profile_set_props(dst, &nprov, 2, links);
	}
	return hr;
}

static HRESULT sa_CopyMsgService(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, LPTSTR lpszDisplayName,
                                 LPCIID lpInterfaceToCopy, LPCIID lpInterfaceDst, LPVOID lpObjectDst,
                                 ULONG_PTR ulUIParam, ULONG ulFlags)
{
	svcadmin *sa = sa_from(This);
	const char *what = "IMsgServiceAdmin::CopyMsgService";
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpUID || !lpObjectDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lpUID or lpObjectDst is NULL", what);
	if (ulFlags & ~(MAPI_UNICODE | SERVICE_UI_ALWAYS | SERVICE_UI_ALLOWED))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	if (lpInterfaceDst && !IsEqualGUID(lpInterfaceDst, &IID_IMsgServiceAdmin) &&
	    !IsEqualGUID(lpInterfaceDst, &IID_IMsgServiceAdmin2))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "%s: the destination must be an IMsgServiceAdmin", what);
	IMsgServiceAdmin2 *dobj = lpObjectDst;
	if (dobj->lpVtbl != &svcadmin_vtbl)
		return mapix_error(MAPI_E_NO_SUPPORT, "%s: the destination is not a mapix message service admin object", what);
	svcadmin *dst = sa_from(dobj);
	if (FAILED(hr = mapix_instance_check_caller(dst->inst, what)))
		return hr;
	copy_arg ca = {NULL, lpUID, NULL};
	if (FAILED(hr = mapix_profile_load(sa->profile_dir, sa->profile_name, &ca.src)))
		return mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
	const mapix_profsect_data *s = mapix_profile_find(ca.src, lpUID);
	if (!s || !mapix_admin_is_service(s)) {
		mapix_profile_free(ca.src);
		return no_service(what);
	}
	char *u = NULL;
	hr = mapix_admin_tstr(lpszDisplayName, ulFlags, &u);
	if (SUCCEEDED(hr) && u && FAILED(mapix_utf8_to_utf16(u, NULL, &ca.display)))
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", what);
	free(u);
	if (SUCCEEDED(hr))
		hr = mapix_profile_update(dst->profile_dir, dst->profile_name, copy_edit, &ca);
	MAPIFreeBuffer(ca.display);
	mapix_profile_free(ca.src);
	return hr;
}

static HRESULT sa_OpenProfileSection(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags,
                                     LPPROFSECT *lppProfSect)
{
	svcadmin *sa = sa_from(This);
	const char *what = "IMsgServiceAdmin::OpenProfileSection";
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpUID || !lppProfSect)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lpUID or lppProfSect is NULL", what);
	*lppProfSect = NULL;
	if (lpInterface && !IsEqualGUID(lpInterface, &IID_IProfSect) && !IsEqualGUID(lpInterface, &IID_IMAPIProp))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "%s: only IProfSect and IMAPIProp", what);
	if (ulFlags & ~(MAPI_MODIFY | MAPI_DEFERRED_ERRORS | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	if (!mapix_profile_exists(sa->profile_dir, sa->profile_name))
		return mapix_error(MAPI_E_NOT_FOUND, "%s: profile \"%s\" no longer exists", what, sa->profile_name);
	return mapix_profsect_create(sa->inst, sa->profile_dir, sa->profile_name, lpUID, ulFlags, lppProfSect);
}

static HRESULT sa_MsgServiceTransportOrder(IMsgServiceAdmin2 *This, ULONG cUID, LPMAPIUID lpUIDList, ULONG ulFlags)
{
	HRESULT hr = mapix_instance_check_caller(sa_from(This)->inst, "IMsgServiceAdmin::MsgServiceTransportOrder");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IMsgServiceAdmin::MsgServiceTransportOrder: mapix has no transport providers");
}

static HRESULT sa_SetPrimaryIdentity(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, ULONG ulFlags)
{
	HRESULT hr = mapix_instance_check_caller(sa_from(This)->inst, "IMsgServiceAdmin::SetPrimaryIdentity");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IMsgServiceAdmin::SetPrimaryIdentity: mapix keeps no primary identity");
}

static HRESULT sa_AdminProviders(IMsgServiceAdmin2 *This, LPMAPIUID lpUID, ULONG ulFlags,
                                 LPPROVIDERADMIN *lppProviderAdmin)
{
	svcadmin *sa = sa_from(This);
	const char *what = "IMsgServiceAdmin::AdminProviders";
	HRESULT hr = mapix_instance_check_caller(sa->inst, what);
	if (FAILED(hr))
		return hr;
	if (!lpUID || !lppProviderAdmin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: lpUID or lppProviderAdmin is NULL", what);
	*lppProviderAdmin = NULL;
	mapix_profile *p = NULL;
	if (FAILED(hr = mapix_profile_load(sa->profile_dir, sa->profile_name, &p)))
		return mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
	const mapix_profsect_data *s = mapix_profile_find(p, lpUID);
	BOOL ok = s && mapix_admin_is_service(s);
	mapix_profile_free(p);
	if (!ok)
		return no_service(what);
	return mapix_provadmin_create(sa->inst, sa->profile_dir, sa->profile_name, lpUID, lppProviderAdmin);
}

static const IMsgServiceAdmin2Vtbl svcadmin_vtbl = {
	sa_QueryInterface,
	sa_AddRef,
	sa_Release,
	sa_GetLastError,
	sa_GetMsgServiceTable,
	sa_CreateMsgService,
	sa_DeleteMsgService,
	sa_CopyMsgService,
	sa_RenameMsgService,
	sa_ConfigureMsgService,
	sa_OpenProfileSection,
	sa_MsgServiceTransportOrder,
	sa_AdminProviders,
	sa_SetPrimaryIdentity,
	sa_GetProviderTable,
	sa_CreateMsgServiceEx,
};

HRESULT mapix_svcadmin_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                              LPSERVICEADMIN *lppServiceAdmin)
{
	if (!profile_dir || !profile_name || !lppServiceAdmin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "AdminServices: bad parameter");
	svcadmin *sa = calloc(1, sizeof *sa);
	if (!sa || !(sa->profile_dir = strdup(profile_dir)) || !(sa->profile_name = strdup(profile_name))) {
		if (sa)
			free(sa->profile_dir);
		free(sa);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "AdminServices: out of memory");
	}
	sa->iface.lpVtbl = &svcadmin_vtbl;
	atomic_init(&sa->refs, 1);
	sa->inst = inst;
	mapix_instance_hold(inst);
	*lppServiceAdmin = (LPSERVICEADMIN)(void *)&sa->iface;
	return S_OK;
}
