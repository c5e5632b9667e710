/*
 * malloc_iface.c — MAPIGetDefaultMalloc: the process's IMalloc, as Windows
 * hands providers and IPropData for memory that is not MAPI memory. It is
 * one static object over the C heap (malloc/realloc/free), so it has no
 * state, needs no lock, and AddRef/Release are no-ops; it is unrelated to
 * the tracked MAPI allocator in memory.c.
 */
#include <malloc.h>
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

static HRESULT default_malloc_query_interface(IMalloc *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMalloc::QueryInterface: ppvObj is NULL");
	*ppvObj = NULL;
	if (!riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMalloc::QueryInterface: riid is NULL");
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMalloc)) {
		*ppvObj = This;
		return S_OK;
	}
	return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IMalloc::QueryInterface: interface not supported");
}

static ULONG default_malloc_add_ref(IMalloc *This)
{
	return 1;
}

static ULONG default_malloc_release(IMalloc *This)
{
	return 1;
}

static LPVOID default_malloc_alloc(IMalloc *This, size_t cb)
{
	return malloc(cb);
}

/* COM's rules: Realloc(NULL, cb) allocates; Realloc(pv, 0) frees and
 * returns NULL. */
static LPVOID default_malloc_realloc(IMalloc *This, LPVOID pv, size_t cb)
{
	if (pv && cb == 0) {
		free(pv);
		return NULL;
	}
	return realloc(pv, cb);
}

static void default_malloc_free(IMalloc *This, LPVOID pv)
{
	free(pv);
}

static size_t default_malloc_get_size(IMalloc *This, LPVOID pv)
{
	return pv ? malloc_usable_size(pv) : (size_t)-1;
}

/* -1: "cannot tell". The C heap offers no safe way to ask. */
static int default_malloc_did_alloc(IMalloc *This, LPVOID pv)
{
	return -1;
}

static void default_malloc_heap_minimize(IMalloc *This)
{
}

static const IMallocVtbl default_malloc_vtbl = {
	.QueryInterface = default_malloc_query_interface,
	.AddRef = default_malloc_add_ref,
	.Release = default_malloc_release,
	.Alloc = default_malloc_alloc,
	.Realloc = default_malloc_realloc,
	.Free = default_malloc_free,
	.GetSize = default_malloc_get_size,
	.DidAlloc = default_malloc_did_alloc,
	.HeapMinimize = default_malloc_heap_minimize,
};

static IMalloc default_malloc = {&default_malloc_vtbl};

STDAPI_(LPMALLOC) MAPIGetDefaultMalloc(void)
{
	return &default_malloc;
}
