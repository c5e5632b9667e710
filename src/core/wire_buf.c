/*
 * wire_buf.c — the plumbing under the wire encoding (mapixwire.h): the
 * growable output buffer, the read cursor, little-endian primitives, and the
 * decoder's bounds checks, error messages and MAPI allocations. Everything
 * that touches raw bytes or sizes is here, so the structure coders in
 * wire_prop.c and wire_restrict.c never index memory themselves.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wire.h"

#define WIRE_BUF_MIN 256

/* ---- output buffer ------------------------------------------------------ */

MAPIX_API void mapix_wire_buf_init(MAPIXWIREBUF *lpBuf)
{
	if (lpBuf)
		memset(lpBuf, 0, sizeof *lpBuf);
}

MAPIX_API void mapix_wire_buf_free(MAPIXWIREBUF *lpBuf)
{
	if (!lpBuf)
		return;
	free(lpBuf->pb);
	memset(lpBuf, 0, sizeof *lpBuf);
}

MAPIX_API void mapix_wire_buf_reset(MAPIXWIREBUF *lpBuf)
{
	if (lpBuf)
		lpBuf->cb = 0;
}

/* Makes room for cb more bytes, growing geometrically so that appending is
 * amortised O(1) even for a rowset written value by value. */
static HRESULT buf_reserve(MAPIXWIREBUF *buf, size_t cb, BYTE **dst)
{
	if (!buf)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire: NULL buffer");
	if (cb == 0) {
		*dst = NULL; /* nothing to write (and no arithmetic on a NULL pb) */
		return S_OK;
	}
	if (cb > SIZE_MAX - buf->cb)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_wire: encoding larger than memory");
	size_t need = buf->cb + cb;
	if (need > buf->cbAlloc) {
		size_t cap = buf->cbAlloc ? buf->cbAlloc : WIRE_BUF_MIN;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		BYTE *pb = realloc(buf->pb, cap);
		if (!pb)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_wire: cannot grow buffer to %zu bytes", cap);
		buf->pb = pb;
		buf->cbAlloc = cap;
	}
	*dst = buf->pb + buf->cb;
	buf->cb = need;
	return S_OK;
}

MAPIX_API HRESULT mapix_wire_put_bytes(MAPIXWIREBUF *lpBuf, const void *pv, size_t cb)
{
	BYTE *dst;
	if (cb && !pv)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_put_bytes: NULL data with %zu bytes", cb);
	HRESULT hr = buf_reserve(lpBuf, cb, &dst);
	if (hr == S_OK && cb)
		memcpy(dst, pv, cb);
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_u8(MAPIXWIREBUF *lpBuf, BYTE v)
{
	BYTE *dst;
	HRESULT hr = buf_reserve(lpBuf, 1, &dst);
	if (hr == S_OK)
		dst[0] = v;
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_u16(MAPIXWIREBUF *lpBuf, WORD v)
{
	BYTE *dst;
	HRESULT hr = buf_reserve(lpBuf, 2, &dst);
	if (hr == S_OK) {
		dst[0] = (BYTE)v;
		dst[1] = (BYTE)(v >> 8);
	}
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_u32(MAPIXWIREBUF *lpBuf, ULONG v)
{
	BYTE *dst;
	HRESULT hr = buf_reserve(lpBuf, 4, &dst);
	if (hr == S_OK)
		for (int i = 0; i < 4; i++)
			dst[i] = (BYTE)(v >> (8 * i));
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_u64(MAPIXWIREBUF *lpBuf, ULONGLONG v)
{
	BYTE *dst;
	HRESULT hr = buf_reserve(lpBuf, 8, &dst);
	if (hr == S_OK)
		for (int i = 0; i < 8; i++)
			dst[i] = (BYTE)(v >> (8 * i));
	return hr;
}

/* ---- cursor and primitive readers --------------------------------------- */

static ULONGLONG load_le(const BYTE *p, int n)
{
	ULONGLONG v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

MAPIX_API void mapix_wire_cursor_init(MAPIXWIRECURSOR *lpCur, const void *pb, size_t cb)
{
	if (!lpCur)
		return;
	lpCur->pb = pb;
	lpCur->cb = pb ? cb : 0;
	lpCur->off = 0;
}

MAPIX_API size_t mapix_wire_cursor_left(const MAPIXWIRECURSOR *lpCur)
{
	if (!lpCur || lpCur->off > lpCur->cb)
		return 0;
	return lpCur->cb - lpCur->off;
}

MAPIX_API HRESULT mapix_wire_get_end(const MAPIXWIRECURSOR *lpCur)
{
	if (!lpCur)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_end: NULL cursor");
	size_t left = mapix_wire_cursor_left(lpCur);
	if (left)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_wire_get_end: %zu bytes of trailing garbage at offset %zu",
		                   left, lpCur->off);
	return S_OK;
}

/* One primitive read through the public API: the caller names itself. */
static HRESULT get_prim(MAPIXWIRECURSOR *cur, int n, ULONGLONG *v, const char *fn)
{
	if (!cur || !v)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL argument", fn);
	size_t left = mapix_wire_cursor_left(cur);
	if (left < (size_t)n)
		return mapix_error(MAPI_E_CORRUPT_DATA, "%s: truncated at offset %zu (need %d bytes, %zu left)", fn,
		                   cur->off, n, left);
	*v = load_le(cur->pb + cur->off, n);
	cur->off += (size_t)n;
	return S_OK;
}

MAPIX_API HRESULT mapix_wire_get_u8(MAPIXWIRECURSOR *lpCur, BYTE *lpv)
{
	ULONGLONG v = 0;
	HRESULT hr = get_prim(lpCur, 1, lpv ? &v : NULL, "mapix_wire_get_u8");
	if (hr == S_OK)
		*lpv = (BYTE)v;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_u16(MAPIXWIRECURSOR *lpCur, WORD *lpv)
{
	ULONGLONG v = 0;
	HRESULT hr = get_prim(lpCur, 2, lpv ? &v : NULL, "mapix_wire_get_u16");
	if (hr == S_OK)
		*lpv = (WORD)v;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_u32(MAPIXWIRECURSOR *lpCur, ULONG *lpv)
{
	ULONGLONG v = 0;
	HRESULT hr = get_prim(lpCur, 4, lpv ? &v : NULL, "mapix_wire_get_u32");
	if (hr == S_OK)
		*lpv = (ULONG)v;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_u64(MAPIXWIRECURSOR *lpCur, ULONGLONG *lpv)
{
	return get_prim(lpCur, 8, lpv, "mapix_wire_get_u64");
}

MAPIX_API HRESULT mapix_wire_get_bytes(MAPIXWIRECURSOR *lpCur, size_t cb, const BYTE **lppb)
{
	if (!lpCur || !lppb)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_bytes: NULL argument");
	size_t left = mapix_wire_cursor_left(lpCur);
	if (left < cb)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_wire_get_bytes: truncated at offset %zu (need %zu bytes, %zu left)",
		                   lpCur->off, cb, left);
	*lppb = lpCur->pb + lpCur->off;
	lpCur->off += cb;
	return S_OK;
}

/* ---- encoder and decoder helpers ---------------------------------------- */

HRESULT mapix_wire_bad(const mapix_wire_enc *e, HRESULT hr, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return mapix_error(hr, "%s: %s", e->fn, reason);
}

HRESULT mapix_wire_corrupt(const mapix_wire_dec *d, size_t off, const char *fmt, ...)
{
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return mapix_error(MAPI_E_CORRUPT_DATA, "%s: %s at offset %zu", d->fn, reason, off);
}

HRESULT mapix_wire_need(const mapix_wire_dec *d, size_t n, const char *what)
{
	size_t left = mapix_wire_cursor_left(d->cur);
	if (left < n)
		return mapix_wire_corrupt(d, d->cur->off, "truncated %s (need %zu bytes, %zu left)", what, n, left);
	return S_OK;
}

HRESULT mapix_wire_need_count(const mapix_wire_dec *d, ULONG count, size_t minsize, const char *what)
{
	/* count < 2^32 and minsize is a small constant: no overflow in size_t. */
	size_t need = (size_t)count * minsize;
	size_t left = mapix_wire_cursor_left(d->cur);
	if (need > left)
		return mapix_wire_corrupt(d, d->cur->off, "%s count %u needs at least %zu bytes, %zu left", what,
		                          (unsigned)count, need, left);
	return S_OK;
}

static HRESULT dec_prim(mapix_wire_dec *d, int n, ULONGLONG *v, const char *what)
{
	HRESULT hr = mapix_wire_need(d, (size_t)n, what);
	if (hr != S_OK)
		return hr;
	*v = load_le(d->cur->pb + d->cur->off, n);
	d->cur->off += (size_t)n;
	return S_OK;
}

HRESULT mapix_wire_dec_u8(mapix_wire_dec *d, BYTE *v, const char *what)
{
	ULONGLONG x = 0;
	HRESULT hr = dec_prim(d, 1, &x, what);
	*v = (BYTE)x;
	return hr;
}

HRESULT mapix_wire_dec_u32(mapix_wire_dec *d, ULONG *v, const char *what)
{
	ULONGLONG x = 0;
	HRESULT hr = dec_prim(d, 4, &x, what);
	*v = (ULONG)x;
	return hr;
}

HRESULT mapix_wire_dec_u64(mapix_wire_dec *d, ULONGLONG *v, const char *what)
{
	*v = 0;
	return dec_prim(d, 8, v, what);
}

HRESULT mapix_wire_alloc(mapix_wire_dec *d, size_t cb, void **lppv)
{
	void *p = NULL;
	SCODE sc;
	*lppv = NULL;
	if (cb == 0 || cb > 0xFFFFFFFFu)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: cannot allocate %zu bytes", d->fn, cb);
	if (d->root)
		sc = MAPIAllocateMore((ULONG)cb, d->root, &p);
	else
		sc = MAPIAllocateBuffer((ULONG)cb, &p);
	if (sc != S_OK || !p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory allocating %zu bytes", d->fn, cb);
	memset(p, 0, cb);
	if (!d->root)
		d->root = p;
	*lppv = p;
	return S_OK;
}
