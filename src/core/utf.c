/*
 * utf.c — UTF-8 <-> UTF-16 conversion for the mapix string helpers of
 * mapiutil.h. PT_UNICODE values are UTF-16 (WCHAR); the store, SQLite and
 * the command line speak UTF-8, so every crossing between the two goes
 * through here.
 *
 * Conversion never fails on bad input: ill-formed UTF-8 (overlongs,
 * surrogates encoded in UTF-8, values above U+10FFFF, truncated or stray
 * bytes) and lone UTF-16 surrogates become U+FFFD, using the decoders of
 * collation.h so that the collation reads exactly the same code points.
 *
 * The _buf variants take explicit lengths (an embedded NUL is converted like
 * any other character), return the length the whole result needs, and, when
 * the buffer is too small, write as many whole characters as fit: a
 * surrogate pair or a multi-byte sequence is never cut in half. A NULL
 * source reads as the empty string, and a NULL dst as cap 0 (length only).
 */
#include <limits.h>
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/collation.h"
#include "core/error.h"

MAPIX_API size_t mapix_wcslen(const WCHAR *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	while (s[n])
		n++;
	return n;
}

MAPIX_API size_t mapix_utf8_to_utf16_buf(const char *src, size_t srclen, WCHAR *dst, size_t cap)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t pos = 0, need = 0, written = 0;
	BOOL full = FALSE;

	if (!src)
		srclen = 0;
	if (!dst)
		cap = 0;
	while (pos < srclen) {
		uint32_t cp = mapix_utf8_next(s, srclen, &pos);
		size_t units = cp >= 0x10000 ? 2 : 1;
		/* One unit of cap is kept for the terminating NUL. */
		if (!full && written + units < cap) {
			if (units == 2) {
				dst[written++] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
				dst[written++] = (WCHAR)(0xDC00 + ((cp - 0x10000) & 0x3FF));
			} else {
				dst[written++] = (WCHAR)cp;
			}
		} else {
			full = TRUE;
		}
		need += units;
	}
	if (cap > 0)
		dst[written] = 0;
	return need;
}

MAPIX_API size_t mapix_utf16_to_utf8_buf(const WCHAR *src, size_t srclen, char *dst, size_t cap)
{
	size_t pos = 0, need = 0, written = 0;
	BOOL full = FALSE;

	if (!src)
		srclen = 0;
	if (!dst)
		cap = 0;
	while (pos < srclen) {
		unsigned char tmp[4];
		uint32_t cp = mapix_utf16_next(src, srclen, &pos);
		size_t n = mapix_utf8_encode(cp, tmp);
		if (!full && written + n < cap) {
			memcpy(dst + written, tmp, n);
			written += n;
		} else {
			full = TRUE;
		}
		need += n;
	}
	if (cap > 0)
		dst[written] = 0;
	return need;
}

/* MAPIAllocateMore on the parent, or a new MAPIAllocateBuffer root. */
static SCODE utf_allocate(const char *fn, size_t cb, LPVOID lpParent, LPVOID *lpp)
{
	SCODE sc;

	if (cb > ULONG_MAX)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: result of %zu bytes is too large", fn, cb);
	sc = lpParent ? MAPIAllocateMore((ULONG)cb, lpParent, lpp) : MAPIAllocateBuffer((ULONG)cb, lpp);
	if (sc != S_OK) {
		*lpp = NULL;
		return mapix_error(sc, "%s: cannot allocate %zu bytes", fn, cb);
	}
	return S_OK;
}

MAPIX_API SCODE mapix_utf8_to_utf16(const char *src, LPVOID lpParent, LPWSTR *lppDst)
{
	size_t len, need;
	LPVOID p;
	SCODE sc;

	if (!lppDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_utf8_to_utf16: lppDst is NULL");
	*lppDst = NULL;
	if (!src)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_utf8_to_utf16: src is NULL");
	len = strlen(src);
	need = mapix_utf8_to_utf16_buf(src, len, NULL, 0);
	if (need >= SIZE_MAX / sizeof(WCHAR) - 1)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_utf8_to_utf16: string too long");
	sc = utf_allocate("mapix_utf8_to_utf16", (need + 1) * sizeof(WCHAR), lpParent, &p);
	if (sc != S_OK)
		return sc;
	mapix_utf8_to_utf16_buf(src, len, p, need + 1);
	*lppDst = p;
	return S_OK;
}

MAPIX_API SCODE mapix_utf16_to_utf8(const WCHAR *src, LPVOID lpParent, LPSTR *lppDst)
{
	size_t len, need;
	LPVOID p;
	SCODE sc;

	if (!lppDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_utf16_to_utf8: lppDst is NULL");
	*lppDst = NULL;
	if (!src)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_utf16_to_utf8: src is NULL");
	len = mapix_wcslen(src);
	need = mapix_utf16_to_utf8_buf(src, len, NULL, 0);
	if (need >= SIZE_MAX - 1)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_utf16_to_utf8: string too long");
	sc = utf_allocate("mapix_utf16_to_utf8", need + 1, lpParent, &p);
	if (sc != S_OK)
		return sc;
	mapix_utf16_to_utf8_buf(src, len, p, need + 1);
	*lppDst = p;
	return S_OK;
}

char *mapix_utf8_sanitize(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pos = 0, out = 0;
	char *r;

	/* Each ill-formed byte can grow into the three bytes of U+FFFD. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	r = malloc(len * 3 + 1);
	if (!r)
		return NULL;
	while (pos < len)
		out += mapix_utf8_encode(mapix_utf8_next(u, len, &pos), (unsigned char *)r + out);
	r[out] = 0;
	return r;
}
