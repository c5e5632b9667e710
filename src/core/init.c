/*
 * init.c — MAPIInitialize, MAPIUninitialize, ScInitMapiUtil and
 * DeinitMapiUtil. For now a process-wide reference count; the subsystem
 * replaces it with per-security-context instances.
 */
#include <stdatomic.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

static atomic_int mapi_init_count;
static atomic_int mapi_util_count;

STDAPI MAPIInitialize(LPVOID lpMapiInit)
{
	if (lpMapiInit) {
		const MAPIINIT_0 *init = lpMapiInit;
		const ULONG known = MAPI_MULTITHREAD_NOTIFICATIONS | MAPI_NT_SERVICE | MAPI_NO_COINIT;
		if (init->ulVersion != MAPI_INIT_VERSION)
			return mapix_error(MAPI_E_VERSION, "MAPIInitialize: unknown MAPIINIT version %u",
			                   (unsigned)init->ulVersion);
		if (init->ulFlags & ~known)
			return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIInitialize: unknown flags 0x%08X",
			                   (unsigned)(init->ulFlags & ~known));
	}
	atomic_fetch_add(&mapi_init_count, 1);
	return S_OK;
}

STDAPI_(void) MAPIUninitialize(void)
{
	int n = atomic_load(&mapi_init_count);
	while (n > 0 && !atomic_compare_exchange_weak(&mapi_init_count, &n, n - 1))
		;
}

STDAPI_(SCODE) ScInitMapiUtil(ULONG ulFlags)
{
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ScInitMapiUtil: flags must be 0");
	atomic_fetch_add(&mapi_util_count, 1);
	return S_OK;
}

STDAPI_(void) DeinitMapiUtil(void)
{
	int n = atomic_load(&mapi_util_count);
	while (n > 0 && !atomic_compare_exchange_weak(&mapi_util_count, &n, n - 1))
		;
}
