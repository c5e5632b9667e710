/*
 * remote-acl.c — IExchangeModifyTable on a remote folder's PR_ACL_TABLE: a
 * small client-side object that holds the folder proxy and forwards
 * GetTable (MPX_OP_ACL_GETTABLE, a table proxy comes back) and ModifyTable
 * (MPX_OP_ACL_MODIFY, the ROWLIST as row flags + property values) to
 * mapixd, which checks the caller's rights on the folder.
 */
#include <stdlib.h>

#include "core/acl_args.h"
#include "core/error.h"
#include "remote.h"

typedef struct remote_acl {
	const IExchangeModifyTableVtbl *lpVtbl;
	atomic_ulong refs;
	remote_obj *folder; /* referenced */
} remote_acl;

#define ACL(This) ((remote_acl *)(This))

static HRESULT acl_QueryInterface(IExchangeModifyTable *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IExchangeModifyTable)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&ACL(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG acl_AddRef(IExchangeModifyTable *This)
{
	return (ULONG)atomic_fetch_add(&ACL(This)->refs, 1) + 1;
}

static ULONG acl_Release(IExchangeModifyTable *This)
{
	remote_acl *a = ACL(This);
	ULONG left = (ULONG)atomic_fetch_sub(&a->refs, 1) - 1;
	if (left)
		return left;
	remote_prop_Release(a->folder);
	free(a);
	return 0;
}

static HRESULT acl_GetLastError(IExchangeModifyTable *This, HRESULT hResult, ULONG ulFlags,
                                LPMAPIERROR *lppMAPIError)
{
	return remote_prop_GetLastError(ACL(This)->folder, hResult, ulFlags, lppMAPIError);
}

static HRESULT acl_GetTable(IExchangeModifyTable *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetTable: lppTable is NULL");
	*lppTable = NULL;
	rcall c;
	RC_OBJ(&c, ACL(This)->folder, MPX_OP_ACL_GETTABLE);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "IExchangeModifyTable::GetTable");
	if (SUCCEEDED(hr))
		hr = remote_obj_from_reply(&c, ACL(This)->folder->logon, &IID_IMAPITable, (LPUNKNOWN *)lppTable);
	rc_end(&c);
	return hr;
}

static HRESULT acl_ModifyTable(IExchangeModifyTable *This, ULONG ulFlags, LPROWLIST lpMods)
{
	/* The local store's first checks, so both providers fail alike. */
	HRESULT hr = mapix_acl_check_modify(ulFlags, lpMods);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < lpMods->cEntries; i++)
		if (lpMods->aEntries[i].cValues && !lpMods->aEntries[i].rgPropVals)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u has no values", (unsigned)i);
	rcall c;
	RC_OBJ(&c, ACL(This)->folder, MPX_OP_ACL_MODIFY);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, lpMods->cEntries));
	for (ULONG i = 0; i < lpMods->cEntries; i++) {
		RC_PUT(&c, mapix_wire_put_u32(&c.req, lpMods->aEntries[i].ulRowFlags));
		RC_PUT(&c, mapix_wire_put_props(&c.req, lpMods->aEntries[i].cValues, lpMods->aEntries[i].rgPropVals));
	}
	hr = rc_run(&c, "IExchangeModifyTable::ModifyTable");
	rc_end(&c);
	return hr;
}

static const IExchangeModifyTableVtbl remote_acl_vtbl = {
	.QueryInterface = acl_QueryInterface,
	.AddRef = acl_AddRef,
	.Release = acl_Release,
	.GetLastError = acl_GetLastError,
	.GetTable = acl_GetTable,
	.ModifyTable = acl_ModifyTable,
};

HRESULT remote_acl_open(remote_obj *folder, LPCIID lpiid, ULONG ulFlags, LPUNKNOWN *lppUnk)
{
	HRESULT hr = mapix_acl_check_open(lpiid, ulFlags);
	if (FAILED(hr))
		return hr;
	remote_acl *a = calloc(1, sizeof *a);
	if (!a)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProperty: out of memory");
	a->lpVtbl = &remote_acl_vtbl;
	atomic_init(&a->refs, 1);
	remote_prop_AddRef(folder);
	a->folder = folder;
	*lppUnk = (LPUNKNOWN)a;
	return S_OK;
}
