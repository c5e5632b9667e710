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
/* The symbolic name of a status code ("MAPI_E_NOT_FOUND", "S_OK"); for a
 * code mapicode.h does not define, "0x%08X" in a thread-local buffer that
 * the next call on the same thread overwrites. Where a MAPI and a COM name
 * share a value the MAPI name is returned (MAPI_E_CALL_FAILED, not E_FAIL). */
const char *mapix_error_name(HRESULT hr);

#endif
