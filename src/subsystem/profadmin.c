/*
 * profadmin.c — IProfAdmin and MAPIAdminProfiles: creating, deleting,
 * copying, renaming and listing the profiles of one profile directory (the
 * calling security context's, see instance.h), choosing the default
 * profile, and handing out IMsgServiceAdmin for one profile. Also the
 * helpers the admin objects share (string parameters, tables built from
 * profile sections).
 *
 * Profiles have no passwords in mapix: they are files only their owner can
 * read (0600 in a 0700 directory). Password parameters are accepted and
 * ignored, and ChangeProfilePassword returns MAPI_E_NO_SUPPORT.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/svc_catalog.h"

/* ---- shared helpers ------------------------------------------------------------ */

HRESULT mapix_admin_tstr(const void *s, ULONG ulFlags, char **lppOut)
{
	*lppOut = NULL;
	if (!s)
		return S_OK;
	if (!(ulFlags & MAPI_UNICODE)) {
		*lppOut = strdup(s);
		return *lppOut ? S_OK : mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	}
	const WCHAR *w = s;
	size_t wl = mapix_wcslen(w);
	size_t need = mapix_utf16_to_utf8_buf(w, wl, NULL, 0);
	char *u = malloc(need + 1);
	if (!u)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	mapix_utf16_to_utf8_buf(w, wl, u, need + 1);
	*lppOut = u;
	return S_OK;
}

static BOOL uid_prop_is(const mapix_profsect_data *s, ULONG tag)
{
	LPSPropValue v = mapix_profsect_find_prop(s, tag);
	return v && PROP_TYPE(v->ulPropTag) == PT_BINARY && v->Value.bin.cb == sizeof(MAPIUID) &&
	       memcmp(v->Value.bin.lpb, s->uid.ab, sizeof(MAPIUID)) == 0;
}

BOOL mapix_admin_is_service(const mapix_profsect_data *s)
{
	return uid_prop_is(s, PR_SERVICE_UID) && mapix_profsect_find_prop(s, PR_SERVICE_NAME_W) != NULL;
}

BOOL mapix_admin_is_provider(const mapix_profsect_data *s)
{
	MAPIUID svc;
	return uid_prop_is(s, PR_PROVIDER_UID) && mapix_admin_service_of(s, &svc);
}

BOOL mapix_admin_service_of(const mapix_profsect_data *s, MAPIUID *lpService)
{
	LPSPropValue v = mapix_profsect_find_prop(s, PR_SERVICE_UID);
	if (!v || PROP_TYPE(v->ulPropTag) != PT_BINARY || v->Value.bin.cb != sizeof(MAPIUID))
		return FALSE;
	memcpy(lpService->ab, v->Value.bin.lpb, sizeof(MAPIUID));
	return TRUE;
}

HRESULT mapix_admin_section_row(const SPropTagArray *cols, const mapix_profsect_data *s, LPSPropValue *lppRow)
{
	LPSPropValue row = NULL;
	if (FAILED(MAPIAllocateBuffer((ULONG)(cols->cValues * sizeof(SPropValue)), (LPVOID *)&row)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory building a table row");
	for (ULONG c = 0; c < cols->cValues; c++) {
		ULONG tag = cols->aulPropTag[c];
		LPSPropValue v = mapix_profsect_find_prop(s, tag);
		SCODE sc = S_OK;
		row[c].dwAlignPad = 0;
		if (!v) {
			row[c].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(tag));
			row[c].Value.err = MAPI_E_NOT_FOUND;
			continue;
		}
		ULONG have = PROP_TYPE(v->ulPropTag), want = PROP_TYPE(tag);
		row[c].ulPropTag = tag;
		if (have == want)
			sc = PropCopyMore(&row[c], v, MAPIAllocateMore, row);
		else if (want == PT_UNICODE && have == PT_STRING8)
			sc = mapix_utf8_to_utf16(v->Value.lpszA, row, &row[c].Value.lpszW);
		else if (want == PT_STRING8 && have == PT_UNICODE)
			sc = mapix_utf16_to_utf8(v->Value.lpszW, row, &row[c].Value.lpszA);
		else {
			row[c].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(tag));
			row[c].Value.err = MAPI_E_NOT_FOUND;
		}
		if (FAILED(sc)) {
			MAPIFreeBuffer(row);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory building a table row");
		}
	}
	*lppRow = row;
	return S_OK;
}

HRESULT mapix_admin_make_table(const SPropTagArray *cols, ULONG cRows, LPSPropValue *rows, LPMAPITABLE *lppTable)
{
	LPTABLEDATA td = NULL;
	ULONG idx = 0;
	for (; idx < cols->cValues && cols->aulPropTag[idx] != PR_INSTANCE_KEY; idx++)
		;
	if (idx == cols->cValues)
		return mapix_error(MAPI_E_CALL_FAILED, "mapix_admin_make_table: no PR_INSTANCE_KEY column");
	SCODE sc = CreateTable(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_SNAPSHOT,
	                       PR_INSTANCE_KEY, (LPSPropTagArray)cols, &td);
	if (FAILED(sc))
		return mapix_error(sc, "cannot create a table (%s)", mapix_error_name(sc));
	HRESULT hr = S_OK;
	for (ULONG r = 0; r < cRows && SUCCEEDED(hr); r++) {
		SRow row = {0, cols->cValues, rows[r]};
		hr = ITableData_HrModifyRow(td, &row);
	}
	if (SUCCEEDED(hr))
		hr = ITableData_HrGetView(td, NULL, NULL, 0, lppTable);
	ITableData_Release(td); /* the view keeps the data alive */
	if (FAILED(hr))
		return mapix_error(hr, "cannot fill a table: %s", MAPIXGetLastErrorText());
	return S_OK;
}

/* ---- IProfAdmin ---------------------------------------------------------------- */

typedef struct profadmin {
	IProfAdmin iface;
	atomic_uint refs;
	mapix_instance *inst;
	char *profile_dir;
} profadmin;

static profadmin *pa_from(IProfAdmin *This)
{
	return (profadmin *)(void *)This;
}

static HRESULT pa_QueryInterface(IProfAdmin *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IProfAdmin)) {
		atomic_fetch_add(&pa_from(This)->refs, 1);
		*ppvObj = This;
		return S_OK;
	}
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG pa_AddRef(IProfAdmin *This)
{
	return atomic_fetch_add(&pa_from(This)->refs, 1) + 1;
}

static ULONG pa_Release(IProfAdmin *This)
{
	profadmin *pa = pa_from(This);
	ULONG n = atomic_fetch_sub(&pa->refs, 1) - 1;
	if (n == 0) {
		mapix_instance *inst = pa->inst;
		free(pa->profile_dir);
		free(pa);
		mapix_instance_release(inst);
	}
	return n;
}

static HRESULT pa_GetLastError(IProfAdmin *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = mapix_instance_check_caller(pa_from(This)->inst, "IProfAdmin::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix profile administration", lppMAPIError);
}

static HRESULT pa_GetProfileTable(IProfAdmin *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	profadmin *pa = pa_from(This);
	HRESULT hr = mapix_instance_check_caller(pa->inst, "IProfAdmin::GetProfileTable");
	if (FAILED(hr))
		return hr;
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfAdmin::GetProfileTable: lppTable is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IProfAdmin::GetProfileTable: unknown flags 0x%08X",
		                   (unsigned)ulFlags);
	char **names = NULL, *def = NULL;
	ULONG n = 0;
	if (FAILED(hr = mapix_profile_list(pa->profile_dir, &names, &n)))
		return hr;
	if (FAILED(mapix_profile_get_default(pa->profile_dir, &def)))
		def = NULL;
	SizedSPropTagArray(3, cols) = {3, {(ulFlags & MAPI_UNICODE) ? PR_DISPLAY_NAME_W : PR_DISPLAY_NAME_A,
	                                   PR_DEFAULT_PROFILE, PR_INSTANCE_KEY}};
	LPSPropValue *rows = calloc(n ? n : 1, sizeof *rows);
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IProfAdmin::GetProfileTable: out of memory");
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++) {
		LPSPropValue r = NULL;
		if (FAILED(MAPIAllocateBuffer(3 * sizeof(SPropValue), (LPVOID *)&r))) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IProfAdmin::GetProfileTable: out of memory");
			break;
		}
		rows[i] = r;
		memset(r, 0, 3 * sizeof(SPropValue));
		r[0].ulPropTag = cols.aulPropTag[0];
		SCODE sc;
		if (ulFlags & MAPI_UNICODE) {
			sc = mapix_utf8_to_utf16(names[i], r, &r[0].Value.lpszW);
		} else {
			size_t l = strlen(names[i]) + 1;
			sc = MAPIAllocateMore((ULONG)l, r, (LPVOID *)&r[0].Value.lpszA);
			if (SUCCEEDED(sc))
				memcpy(r[0].Value.lpszA, names[i], l);
		}
		r[1].ulPropTag = PR_DEFAULT_PROFILE;
		r[1].Value.b = def && strcmp(def, names[i]) == 0;
		/* The instance key is the name itself: unique within the table
		 * and stable between calls. */
		r[2].ulPropTag = PR_INSTANCE_KEY;
		r[2].Value.bin.cb = (ULONG)strlen(names[i]);
		if (SUCCEEDED(sc))
			sc = MAPIAllocateMore(r[2].Value.bin.cb + 1, r, (LPVOID *)&r[2].Value.bin.lpb);
		if (SUCCEEDED(sc))
			memcpy(r[2].Value.bin.lpb, names[i], r[2].Value.bin.cb);
		if (FAILED(sc))
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IProfAdmin::GetProfileTable: out of memory");
	}
	if (SUCCEEDED(hr))
		hr = mapix_admin_make_table((LPSPropTagArray)&cols, n, rows, lppTable);
	for (ULONG i = 0; rows && i < n; i++)
		MAPIFreeBuffer(rows[i]);
	free(rows);
	free(def);
	mapix_profile_names_free(names, n);
	return hr;
}

/* Reads a name parameter and checks it. */
static HRESULT name_param(const void *s, ULONG ulFlags, const char *what, char **lppName)
{
	if (!s)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no profile name given", what);
	HRESULT hr = mapix_admin_tstr(s, ulFlags, lppName);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = mapix_profile_check_name(*lppName))) {
		hr = mapix_error(hr, "%s: %s", what, MAPIXGetLastErrorText());
		free(*lppName);
		*lppName = NULL;
	}
	return hr;
}

static HRESULT add_default_services(const char *dir, const char *name)
{
	mapix_svccat *cat = NULL;
	HRESULT hr = mapix_svccat_load(dir, &cat);
	if (FAILED(hr))
		return hr;
	const mapix_ini_section *s = mapix_svccat_section(cat, "Default Services");
	for (ULONG i = 0; s && i < s->cEntries && SUCCEEDED(hr); i++)
		if (s->entries[i].key)
			hr = mapix_svcadmin_add_service(dir, name, s->entries[i].key, NULL, NULL);
	mapix_svccat_free(cat);
	return hr;
}

static HRESULT pa_CreateProfile(IProfAdmin *This, LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG_PTR ulUIParam,
                                ULONG ulFlags)
{
	profadmin *pa = pa_from(This);
	HRESULT hr = mapix_instance_check_caller(pa->inst, "IProfAdmin::CreateProfile");
	if (FAILED(hr))
		return hr;
	const ULONG known = MAPI_DEFAULT_SERVICES | MAPI_UNICODE | MAPI_DIALOG;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IProfAdmin::CreateProfile: unknown flags 0x%08X", (unsigned)ulFlags);
	char *name;
	if (FAILED(hr = name_param(lpszProfileName, ulFlags, "IProfAdmin::CreateProfile", &name)))
		return hr;
	hr = mapix_profile_create(pa->profile_dir, name);
	if (SUCCEEDED(hr) && (ulFlags & MAPI_DEFAULT_SERVICES)) {
		hr = add_default_services(pa->profile_dir, name);
		if (FAILED(hr)) { /* all or nothing: do not leave a half-made profile */
			HRESULT keep = hr;
			char *msg = strdup(MAPIXGetLastErrorText());
			mapix_profile_delete(pa->profile_dir, name);
			hr = mapix_error(keep, "IProfAdmin::CreateProfile: adding the default services failed: %s",
			                 msg ? msg : "");
			free(msg);
		}
	}
	free(name);
	return hr;
}

static HRESULT pa_DeleteProfile(IProfAdmin *This, LPTSTR lpszProfileName, ULONG ulFlags)
{
	profadmin *pa = pa_from(This);
	HRESULT hr = mapix_instance_check_caller(pa->inst, "IProfAdmin::DeleteProfile");
	if (FAILED(hr))
		return hr;
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IProfAdmin::DeleteProfile: unknown flags 0x%08X", (unsigned)ulFlags);
	char *name;
	if (FAILED(hr = name_param(lpszProfileName, ulFlags, "IProfAdmin::DeleteProfile", &name)))
		return hr;
	hr = mapix_profile_delete(pa->profile_dir, name);
	free(name);
	return hr;
}

static HRESULT pa_ChangeProfilePassword(IProfAdmin *This, LPTSTR lpszProfileName, LPTSTR lpszOldPassword,
                                        LPTSTR lpszNewPassword, ULONG ulFlags)
{
	HRESULT hr = mapix_instance_check_caller(pa_from(This)->inst, "IProfAdmin::ChangeProfilePassword");
	if (FAILED(hr))
		return hr;
	return mapix_error(MAPI_E_NO_SUPPORT, "IProfAdmin::ChangeProfilePassword: mapix profiles have no passwords; "
	                                      "they are protected by file permissions (0600)");
}

static HRESULT copy_or_rename(profadmin *pa, LPTSTR lpszOld, LPTSTR lpszNew, ULONG ulFlags, BOOL rename_it)
{
	const char *what = rename_it ? "IProfAdmin::RenameProfile" : "IProfAdmin::CopyProfile";
	HRESULT hr = mapix_instance_check_caller(pa->inst, what);
	if (FAILED(hr))
		return hr;
	if (ulFlags & ~(MAPI_UNICODE | MAPI_DIALOG))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: unknown flags 0x%08X", what, (unsigned)ulFlags);
	char *from = NULL, *to = NULL;
	if (SUCCEEDED(hr = name_param(lpszOld, ulFlags, what, &from)) &&
	    SUCCEEDED(hr = name_param(lpszNew, ulFlags, what, &to)))
		hr = rename_it ? mapix_profile_rename(pa->profile_dir, from, to) : mapix_profile_copy(pa->profile_dir, from, to);
	free(from);
	free(to);
	return hr;
}

static HRESULT pa_CopyProfile(IProfAdmin *This, LPTSTR lpszOldProfileName, LPTSTR lpszOldPassword,
                              LPTSTR lpszNewProfileName, ULONG_PTR ulUIParam, ULONG ulFlags)
{
	return copy_or_rename(pa_from(This), lpszOldProfileName, lpszNewProfileName, ulFlags, FALSE);
}

static HRESULT pa_RenameProfile(IProfAdmin *This, LPTSTR lpszOldProfileName, LPTSTR lpszOldPassword,
                                LPTSTR lpszNewProfileName, ULONG_PTR ulUIParam, ULONG ulFlags)
{
	return copy_or_rename(pa_from(This), lpszOldProfileName, lpszNewProfileName, ulFlags, TRUE);
}

static HRESULT pa_SetDefaultProfile(IProfAdmin *This, LPTSTR lpszProfileName, ULONG ulFlags)
{
	profadmin *pa = pa_from(This);
	HRESULT hr = mapix_instance_check_caller(pa->inst, "IProfAdmin::SetDefaultProfile");
	if (FAILED(hr))
		return hr;
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IProfAdmin::SetDefaultProfile: unknown flags 0x%08X",
		                   (unsigned)ulFlags);
	if (!lpszProfileName) /* Windows: NULL removes the default */
		return mapix_profile_set_default(pa->profile_dir, NULL);
	char *name;
	if (FAILED(hr = name_param(lpszProfileName, ulFlags, "IProfAdmin::SetDefaultProfile", &name)))
		return hr;
	hr = mapix_profile_set_default(pa->profile_dir, name);
	free(name);
	return hr;
}

static HRESULT pa_AdminServices(IProfAdmin *This, LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG_PTR ulUIParam,
                                ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin)
{
	profadmin *pa = pa_from(This);
	HRESULT hr = mapix_instance_check_caller(pa->inst, "IProfAdmin::AdminServices");
	if (FAILED(hr))
		return hr;
	if (!lppServiceAdmin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IProfAdmin::AdminServices: lppServiceAdmin is NULL");
	*lppServiceAdmin = NULL;
	char *name;
	if (FAILED(hr = name_param(lpszProfileName, ulFlags, "IProfAdmin::AdminServices", &name)))
		return hr;
	if (!mapix_profile_exists(pa->profile_dir, name))
		hr = mapix_error(MAPI_E_NOT_FOUND, "IProfAdmin::AdminServices: there is no profile named \"%s\"", name);
	else
		hr = mapix_svcadmin_create(pa->inst, pa->profile_dir, name, lppServiceAdmin);
	free(name);
	return hr;
}

static const IProfAdminVtbl profadmin_vtbl = {
	pa_QueryInterface,  pa_AddRef,      pa_Release,           pa_GetLastError, pa_GetProfileTable,
	pa_CreateProfile,   pa_DeleteProfile, pa_ChangeProfilePassword, pa_CopyProfile, pa_RenameProfile,
	pa_SetDefaultProfile, pa_AdminServices,
};

HRESULT mapix_profadmin_create(mapix_instance *inst, const char *profile_dir, LPPROFADMIN *lppProfAdmin)
{
	if (!profile_dir || !lppProfAdmin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIAdminProfiles: bad parameter");
	profadmin *pa = calloc(1, sizeof *pa);
	if (!pa || !(pa->profile_dir = strdup(profile_dir))) {
		free(pa);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPIAdminProfiles: out of memory");
	}
	pa->iface.lpVtbl = &profadmin_vtbl;
	atomic_init(&pa->refs, 1);
	pa->inst = inst;
	mapix_instance_hold(inst);
	*lppProfAdmin = &pa->iface;
	return S_OK;
}

STDAPI MAPIAdminProfiles(ULONG ulFlags, LPPROFADMIN *lppProfAdmin)
{
	if (!lppProfAdmin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIAdminProfiles: lppProfAdmin is NULL");
	*lppProfAdmin = NULL;
	mapix_instance *inst = mapix_instance_current(TRUE);
	if (!inst)
		return mapix_error(MAPI_E_NOT_INITIALIZED,
		                   "MAPIAdminProfiles: MAPIInitialize has not been called in this security context");
	HRESULT hr;
	if (!inst->profile_dir)
		hr = mapix_error(MAPI_E_NOT_INITIALIZED, "MAPIAdminProfiles: this context has no profile directory");
	else
		hr = mapix_profadmin_create(inst, inst->profile_dir, lppProfAdmin);
	mapix_instance_release(inst); /* the object holds its own reference */
	return hr;
}
