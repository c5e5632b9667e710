/*
 * error.h — the per-thread "last error" of mapix: every failing call
 * records its HRESULT and a message, which MAPIXGetLastErrorText and the
 * objects' GetLastError methods return. The library never prints.
 */
#ifndef MAPIX_CORE_ERROR_H
#define MAPIX_CORE_ERROR_H

#include <mapix/mapidefs.h>

/* Records hr and a printf-style message for the calling thread; returns hr
 * so that `return mapix_error(MAPI_E_..., "...")` reads naturally. */
HRESULT mapix_error(HRESULT hr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the calling thread's last error. */
void mapix_error_clear(void);
/* Builds a MAPIERROR for GetLastError methods, allocated with
 * MAPIAllocateBuffer (strings as PT_UNICODE when ulFlags has MAPI_UNICODE). */
HRESULT mapix_error_to_mapierror(HRESULT hResult, ULONG ulFlags, const char *component, LPMAPIERROR *lppMAPIError);

#endif
