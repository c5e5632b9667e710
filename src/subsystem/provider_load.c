/*
 * provider_load.c — finding a store provider's MSProviderInit entry point
 * from its profile section: mapix's built-in providers by name, other
 * providers from the shared object the service catalog names (dlopen).
 */
#include <dlfcn.h>
#include <string.h>

#include "core/error.h"
#include "subsystem/session.h"

/* Built into libmapix (src/providers/local/local-logon.c and
 * src/providers/remote/remote-logon.c). */
HRESULT remote_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
                              LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer, ULONG ulFlags,
                              ULONG ulMAPIVer, ULONG *lpulProviderVer, LPMSPROVIDER *lppMSProvider);
HRESULT local_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
                             LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer, ULONG ulFlags,
                             ULONG ulMAPIVer, ULONG *lpulProviderVer, LPMSPROVIDER *lppMSProvider);

static const struct builtin {
	const char *dll;
	MSPROVIDERINIT *init;
} builtins[] = {
	/* The DLL names mapisvc.inf uses for the local store. */
	{"libmapix.so.0", local_MSProviderInit},
	{"libmapix.so", local_MSProviderInit},
	{"mapix", local_MSProviderInit},
	/* The mapixd client: its profile section names the server and mailbox. */
	{"mapix_remote", remote_MSProviderInit},
};

HRESULT mapix_provider_load(const char *dll, const char *display, LPMSPROVIDERINIT *lppInit, void **lppHandle)
{
	*lppHandle = NULL;
	if (!dll || !*dll)
		return mapix_error(MAPI_E_FAILONEPROVIDER, "provider %s: its profile section names no PR_PROVIDER_DLL_NAME",
		                   display ? display : "(unnamed)");
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(dll, builtins[i].dll) == 0) {
			*lppInit = builtins[i].init;
			return S_OK;
		}
	void *h = dlopen(dll, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return mapix_error(MAPI_E_FAILONEPROVIDER, "provider %s: cannot load %s: %s", display ? display : dll, dll,
		                   dlerror());
	void *sym = dlsym(h, "MSProviderInit");
	if (!sym) {
		dlclose(h);
		return mapix_error(MAPI_E_FAILONEPROVIDER, "provider %s: %s has no MSProviderInit entry point",
		                   display ? display : dll, dll);
	}
	*lppInit = (LPMSPROVIDERINIT)sym;
	*lppHandle = h;
	return S_OK;
}
