/*
 * acl_args.c — argument checks shared by the providers' PR_ACL_TABLE
 * objects (acl_args.h).
 */
#include "core/acl_args.h"

#include <mapix/edkguid.h>

#include "core/error.h"

HRESULT mapix_acl_check_open(LPCIID lpiid, ULONG ulFlags)
{
	if (!lpiid || (!IsEqualIID(lpiid, &IID_IExchangeModifyTable) && !IsEqualIID(lpiid, &IID_IUnknown)))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenProperty: PR_ACL_TABLE opens as IExchangeModifyTable");
	if (ulFlags & ~(ULONG)(MAPI_DEFERRED_ERRORS | MAPI_MODIFY | MAPI_CREATE | MAPI_BEST_ACCESS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenProperty: unknown flags 0x%08X", (unsigned)ulFlags);
	return S_OK;
}

HRESULT mapix_acl_check_modify(ULONG ulFlags, const ROWLIST *lpMods)
{
	if (ulFlags & ~(ULONG)(ROWLIST_REPLACE | ACLTABLE_FREEBUSY))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ModifyTable: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!lpMods)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: lpMods is NULL");
	return S_OK;
}
