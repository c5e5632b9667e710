/*
 * init.c — ScInitMapiUtil and DeinitMapiUtil: the utility layer needs no
 * set-up in mapix, so these only count, for programs that call them before
 * using the utility functions (MAPIInitialize lives in src/subsystem/).
 */
#include <stdatomic.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

static atomic_int mapi_util_count;

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
