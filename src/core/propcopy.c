/*
 * propcopy.c — copying property values with the Windows semantics:
 * PropCopyMore (one value, its data hung on a parent allocation),
 * UlPropSize, and the contiguous-array trio ScCountProps / ScCopyProps /
 * ScRelocProps with ScDupPropset on top. Everything that copies values
 * (IPropData, tables, providers, the wire code) goes through here, so there
 * is one place that knows which members of union _PV are pointers.
 *
 * Contiguous layout, shared by ScCopyProps and PropCopyMore:
 *   [SPropValue x cValues][data of value 0][data of value 1]...
 * where each piece of data (a string, a byte array, a GUID, an MV array,
 * each element of an MV string or binary array) starts on an 8-byte
 * boundary, so every pointer in the copy is naturally aligned. Empty data
 * (a 0-byte binary, an MV array with no values) takes no room and its
 * pointer is NULL in the copy.
 *
 * Types. Every single-valued and PT_MV_* type of mapidefs.h is copied;
 * PT_NULL, PT_OBJECT and PT_ERROR are plain values (PT_OBJECT carries no
 * usable data in an SPropValue). PT_SVREID holds an SBinary and is copied
 * as one. PT_SRESTRICT and PT_ACTIONS (rule properties whose value is a
 * pointer to a restriction or action tree) are refused with
 * MAPI_E_NO_SUPPORT. A tag with MVI_FLAG (a table row's instance of an MV
 * column) holds one value of the base type. Any other type is
 * MAPI_E_INVALID_PARAMETER, as is a NULL string or a missing array.
 */
#include <stdint.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

#define ALIGN8(n) (((n) + (size_t)7) & ~(size_t)7)
/* Counts and sizes in this API are ULONGs. */
#define MAX_ULONG_BYTES ((size_t)0xFFFFFFFFu)

/* The type the value really holds (see MVI_FLAG in the file comment). */
static ULONG value_type(ULONG tag)
{
	ULONG t = PROP_TYPE(tag);
	if ((t & MVI_FLAG) == MVI_FLAG)
		t &= ~(ULONG)MVI_FLAG;
	return t;
}

static size_t wstr_len(const WCHAR *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Element size of a PT_MV_* type whose elements hold no pointers; 0 for
 * every other type. */
static size_t mv_fixed_elem(ULONG t)
{
	switch (t) {
	case PT_MV_I2: return sizeof(short int);
	case PT_MV_LONG: return sizeof(LONG);
	case PT_MV_R4: return sizeof(float);
	case PT_MV_DOUBLE: return sizeof(double);
	case PT_MV_CURRENCY: return sizeof(CURRENCY);
	case PT_MV_APPTIME: return sizeof(double);
	case PT_MV_SYSTIME: return sizeof(FILETIME);
	case PT_MV_CLSID: return sizeof(GUID);
	case PT_MV_I8: return sizeof(LARGE_INTEGER);
	default: return 0;
	}
}

static BOOL is_plain_type(ULONG t)
{
	switch (t) {
	case PT_NULL:
	case PT_I2:
	case PT_LONG:
	case PT_R4:
	case PT_DOUBLE:
	case PT_CURRENCY:
	case PT_APPTIME:
	case PT_ERROR:
	case PT_BOOLEAN:
	case PT_OBJECT:
	case PT_I8:
	case PT_SYSTIME:
		return TRUE;
	default:
		return FALSE;
	}
}

/*
 * Bytes of data (beyond the SPropValue itself) that a contiguous copy of v
 * needs, checking v on the way. fn names the public caller for messages.
 */
static SCODE value_measure(const char *fn, const SPropValue *v, size_t *extra)
{
	ULONG t = value_type(v->ulPropTag);
	size_t n = 0;
	*extra = 0;
	if (is_plain_type(t))
		return S_OK;
	switch (t) {
	case PT_STRING8:
		if (!v->Value.lpszA)
			goto null_ptr;
		*extra = ALIGN8(strlen(v->Value.lpszA) + 1);
		return S_OK;
	case PT_UNICODE:
		if (!v->Value.lpszW)
			goto null_ptr;
		*extra = ALIGN8((wstr_len(v->Value.lpszW) + 1) * sizeof(WCHAR));
		return S_OK;
	case PT_BINARY:
	case PT_SVREID:
		if (v->Value.bin.cb && !v->Value.bin.lpb)
			goto null_ptr;
		*extra = ALIGN8((size_t)v->Value.bin.cb);
		return S_OK;
	case PT_CLSID:
		if (!v->Value.lpguid)
			goto null_ptr;
		*extra = ALIGN8(sizeof(GUID));
		return S_OK;
	case PT_MV_STRING8:
		if (v->Value.MVszA.cValues && !v->Value.MVszA.lppszA)
			goto null_ptr;
		if (v->Value.MVszA.cValues)
			n = ALIGN8((size_t)v->Value.MVszA.cValues * sizeof(LPSTR));
		for (ULONG i = 0; i < v->Value.MVszA.cValues; i++) {
			if (!v->Value.MVszA.lppszA[i])
				goto null_ptr;
			n += ALIGN8(strlen(v->Value.MVszA.lppszA[i]) + 1);
		}
		*extra = n;
		return S_OK;
	case PT_MV_UNICODE:
		if (v->Value.MVszW.cValues && !v->Value.MVszW.lppszW)
			goto null_ptr;
		if (v->Value.MVszW.cValues)
			n = ALIGN8((size_t)v->Value.MVszW.cValues * sizeof(LPWSTR));
		for (ULONG i = 0; i < v->Value.MVszW.cValues; i++) {
			if (!v->Value.MVszW.lppszW[i])
				goto null_ptr;
			n += ALIGN8((wstr_len(v->Value.MVszW.lppszW[i]) + 1) * sizeof(WCHAR));
		}
		*extra = n;
		return S_OK;
	case PT_MV_BINARY:
		if (v->Value.MVbin.cValues && !v->Value.MVbin.lpbin)
			goto null_ptr;
		if (v->Value.MVbin.cValues)
			n = ALIGN8((size_t)v->Value.MVbin.cValues * sizeof(SBinary));
		for (ULONG i = 0; i < v->Value.MVbin.cValues; i++) {
			const SBinary *b = &v->Value.MVbin.lpbin[i];
			if (b->cb && !b->lpb)
				goto null_ptr;
			n += ALIGN8((size_t)b->cb);
		}
		*extra = n;
		return S_OK;
	case PT_SRESTRICT:
	case PT_ACTIONS:
		return mapix_error(MAPI_E_NO_SUPPORT, "%s: property 0x%08X: copying PT_SRESTRICT/PT_ACTIONS values is not supported",
		                   fn, (unsigned)v->ulPropTag);
	default: {
		size_t elem = mv_fixed_elem(t);
		if (!elem)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: property 0x%08X has an unknown type 0x%04X", fn,
			                   (unsigned)v->ulPropTag, (unsigned)PROP_TYPE(v->ulPropTag));
		/* every fixed MV array has cValues first and the pointer second */
		if (v->Value.MVl.cValues && !v->Value.MVl.lpl)
			goto null_ptr;
		*extra = v->Value.MVl.cValues ? ALIGN8((size_t)v->Value.MVl.cValues * elem) : 0;
		return S_OK;
	}
	}
null_ptr:
	return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: property 0x%08X has a NULL pointer where its data should be", fn,
	                   (unsigned)v->ulPropTag);
}

/* Places len bytes from src at *cursor and advances it; NULL for len 0. */
static void *put(unsigned char **cursor, const void *src, size_t len)
{
	if (!len)
		return NULL;
	void *at = *cursor;
	memcpy(at, src, len);
	*cursor += ALIGN8(len);
	return at;
}

/* Reserves len bytes at *cursor (for a pointer array filled in later). */
static void *reserve(unsigned char **cursor, size_t len)
{
	void *at = *cursor;
	*cursor += ALIGN8(len);
	return at;
}

/*
 * Makes dst a deep copy of src whose data is placed at *cursor (which
 * advances). dst must not be src. src has passed value_measure, and
 * *cursor has that much room (it may be NULL when that is 0).
 */
static void value_copy(SPropValue *dst, const SPropValue *src, unsigned char **cursor)
{
	ULONG t = value_type(src->ulPropTag);
	*dst = *src;
	switch (t) {
	case PT_STRING8:
		dst->Value.lpszA = put(cursor, src->Value.lpszA, strlen(src->Value.lpszA) + 1);
		return;
	case PT_UNICODE:
		dst->Value.lpszW = put(cursor, src->Value.lpszW, (wstr_len(src->Value.lpszW) + 1) * sizeof(WCHAR));
		return;
	case PT_BINARY:
	case PT_SVREID:
		dst->Value.bin.lpb = put(cursor, src->Value.bin.lpb, src->Value.bin.cb);
		return;
	case PT_CLSID:
		dst->Value.lpguid = put(cursor, src->Value.lpguid, sizeof(GUID));
		return;
	case PT_MV_STRING8: {
		ULONG n = src->Value.MVszA.cValues;
		if (!n) {
			dst->Value.MVszA.lppszA = NULL;
			return;
		}
		LPSTR *arr = reserve(cursor, n * sizeof(LPSTR));
		for (ULONG i = 0; i < n; i++)
			arr[i] = put(cursor, src->Value.MVszA.lppszA[i], strlen(src->Value.MVszA.lppszA[i]) + 1);
		dst->Value.MVszA.lppszA = arr;
		return;
	}
	case PT_MV_UNICODE: {
		ULONG n = src->Value.MVszW.cValues;
		if (!n) {
			dst->Value.MVszW.lppszW = NULL;
			return;
		}
		LPWSTR *arr = reserve(cursor, n * sizeof(LPWSTR));
		for (ULONG i = 0; i < n; i++)
			arr[i] = put(cursor, src->Value.MVszW.lppszW[i],
			             (wstr_len(src->Value.MVszW.lppszW[i]) + 1) * sizeof(WCHAR));
		dst->Value.MVszW.lppszW = arr;
		return;
	}
	case PT_MV_BINARY: {
		ULONG n = src->Value.MVbin.cValues;
		if (!n) {
			dst->Value.MVbin.lpbin = NULL;
			return;
		}
		SBinary *arr = reserve(cursor, n * sizeof(SBinary));
		for (ULONG i = 0; i < n; i++) {
			arr[i].cb = src->Value.MVbin.lpbin[i].cb;
			arr[i].lpb = put(cursor, src->Value.MVbin.lpbin[i].lpb, arr[i].cb);
		}
		dst->Value.MVbin.lpbin = arr;
		return;
	}
	default: {
		size_t elem = mv_fixed_elem(t);
		if (elem)
			dst->Value.MVl.lpl = put(cursor, src->Value.MVl.lpl, (size_t)src->Value.MVl.cValues * elem);
		return;
	}
	}
}

/* ---- one value -------------------------------------------------------------- */

STDAPI_(SCODE) PropCopyMore(LPSPropValue lpSPropValueDest, LPSPropValue lpSPropValueSrc,
                            ALLOCATEMORE *lpfAllocMore, LPVOID lpvObject)
{
	if (!lpSPropValueDest || !lpSPropValueSrc || !lpfAllocMore)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "PropCopyMore: NULL destination, source or allocator");
	size_t extra;
	SCODE sc = value_measure("PropCopyMore", lpSPropValueSrc, &extra);
	if (FAILED(sc))
		return sc;
	if (extra > MAX_ULONG_BYTES)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "PropCopyMore: value of %zu bytes is too large", extra);

	/* Copy through a temporary: Dest may be Src. */
	SPropValue tmp;
	unsigned char *cursor = NULL;
	if (extra) {
		LPVOID block;
		sc = lpfAllocMore((ULONG)extra, lpvObject, &block);
		if (FAILED(sc))
			return sc;
		cursor = block;
	}
	value_copy(&tmp, lpSPropValueSrc, &cursor);
	*lpSPropValueDest = tmp;
	return S_OK;
}

/*
 * Windows' definition: the bytes of the value's data, not counting the
 * SPropValue, nor for MV strings and binaries the array of pointers or
 * SBinary structures; strings count their terminator. PT_NULL, PT_OBJECT
 * and unknown types are 0. NULL members count as empty instead of crashing.
 */
STDAPI_(ULONG) UlPropSize(LPSPropValue lpSPropValue)
{
	if (!lpSPropValue)
		return 0;
	const union _PV *v = &lpSPropValue->Value;
	ULONG t = value_type(lpSPropValue->ulPropTag);
	size_t elem = mv_fixed_elem(t);
	if (elem)
		return (ULONG)(v->MVl.cValues * elem);
	size_t n = 0;
	switch (t) {
	case PT_I2:
	case PT_BOOLEAN: return sizeof(short int);
	case PT_LONG:
	case PT_ERROR: return sizeof(LONG);
	case PT_R4: return sizeof(float);
	case PT_DOUBLE:
	case PT_APPTIME: return sizeof(double);
	case PT_CURRENCY: return sizeof(CURRENCY);
	case PT_SYSTIME: return sizeof(FILETIME);
	case PT_I8: return sizeof(LARGE_INTEGER);
	case PT_CLSID: return sizeof(GUID);
	case PT_STRING8: return v->lpszA ? (ULONG)(strlen(v->lpszA) + 1) : 0;
	case PT_UNICODE: return v->lpszW ? (ULONG)((wstr_len(v->lpszW) + 1) * sizeof(WCHAR)) : 0;
	case PT_BINARY:
	case PT_SVREID: return v->bin.cb;
	case PT_MV_STRING8:
		for (ULONG i = 0; v->MVszA.lppszA && i < v->MVszA.cValues; i++)
			n += v->MVszA.lppszA[i] ? strlen(v->MVszA.lppszA[i]) + 1 : 0;
		return (ULONG)n;
	case PT_MV_UNICODE:
		for (ULONG i = 0; v->MVszW.lppszW && i < v->MVszW.cValues; i++)
			n += v->MVszW.lppszW[i] ? (wstr_len(v->MVszW.lppszW[i]) + 1) * sizeof(WCHAR) : 0;
		return (ULONG)n;
	case PT_MV_BINARY:
		for (ULONG i = 0; v->MVbin.lpbin && i < v->MVbin.cValues; i++)
			n += v->MVbin.lpbin[i].cb;
		return (ULONG)n;
	default:
		return 0;
	}
}

/* ---- arrays in one block ------------------------------------------------------ */

static SCODE count_props(const char *fn, int cValues, const SPropValue *props, size_t *total)
{
	*total = 0;
	if (cValues < 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: negative count %d", fn, cValues);
	if (cValues > 0 && !props)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: %d values but no array", fn, cValues);
	size_t n = (size_t)cValues * sizeof(SPropValue);
	for (int i = 0; i < cValues; i++) {
		size_t extra;
		SCODE sc = value_measure(fn, &props[i], &extra);
		if (FAILED(sc))
			return sc;
		n += extra;
	}
	if (n > MAX_ULONG_BYTES)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: %zu bytes do not fit one block", fn, n);
	*total = n;
	return S_OK;
}

STDAPI_(SCODE) ScCountProps(int cValues, LPSPropValue lpPropArray, ULONG *lpcb)
{
	size_t n;
	SCODE sc = count_props("ScCountProps", cValues, lpPropArray, &n);
	if (FAILED(sc))
		return sc;
	if (lpcb)
		*lpcb = (ULONG)n;
	return S_OK;
}

STDAPI_(SCODE) ScCopyProps(int cValues, LPSPropValue lpPropArray, LPVOID lpvDst, ULONG *lpcb)
{
	size_t n;
	/* validate everything before the first byte is written */
	SCODE sc = count_props("ScCopyProps", cValues, lpPropArray, &n);
	if (FAILED(sc))
		return sc;
	if (!lpvDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ScCopyProps: lpvDst is NULL");
	LPSPropValue dst = lpvDst;
	unsigned char *cursor = (unsigned char *)lpvDst + (size_t)cValues * sizeof(SPropValue);
	for (int i = 0; i < cValues; i++)
		value_copy(&dst[i], &lpPropArray[i], &cursor);
	if (lpcb)
		*lpcb = (ULONG)(cursor - (unsigned char *)lpvDst);
	return S_OK;
}

STDAPI_(SCODE) ScDupPropset(int cValues, LPSPropValue lpPropArray, LPALLOCATEBUFFER lpAllocateBuffer,
                            LPSPropValue *lppPropArray)
{
	if (!lppPropArray || !lpAllocateBuffer)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ScDupPropset: NULL allocator or result pointer");
	*lppPropArray = NULL;
	size_t n;
	SCODE sc = count_props("ScDupPropset", cValues, lpPropArray, &n);
	if (FAILED(sc))
		return sc;
	LPVOID block;
	sc = lpAllocateBuffer((ULONG)n, &block);
	if (FAILED(sc))
		return sc;
	sc = ScCopyProps(cValues, lpPropArray, block, NULL);
	if (FAILED(sc))
		return sc; /* cannot happen: the array was validated above */
	*lppPropArray = block;
	return S_OK;
}

/*
 * Relocation. Every pointer p in the array becomes p - old + new; NULL stays
 * NULL. The array's own data must be reachable to relocate MV arrays and to
 * count bytes, and it lives at one of the two bases: after a memcpy to a
 * new block it is at new; when converting pointers to offsets in place
 * (new = 0, as Microsoft suggests before writing to disk) it is still at
 * old. Native MAPI always reads at new and crashes on the second case; here
 * the data is taken to live at whichever base is the highest one not above
 * the array itself (the array is inside its block, so its block starts at
 * or below it, and a base the array is not in lies wholly below or above).
 */
typedef struct reloc {
	uintptr_t old_base, new_base, phys_base;
} reloc;

static void *reloc_ptr(const reloc *r, const void *p)
{
	return p ? (void *)((uintptr_t)p - r->old_base + r->new_base) : NULL;
}

/* Where the data p (stored relative to old) can be read now. */
static void *reloc_phys(const reloc *r, const void *p)
{
	return p ? (void *)((uintptr_t)p - r->old_base + r->phys_base) : NULL;
}

STDAPI_(SCODE) ScRelocProps(int cValues, LPSPropValue lpPropArray, LPVOID lpvBaseOld, LPVOID lpvBaseNew,
                            ULONG *lpcb)
{
	if (cValues < 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ScRelocProps: negative count %d", cValues);
	if (cValues > 0 && !lpPropArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ScRelocProps: %d values but no array", cValues);
	reloc r = {(uintptr_t)lpvBaseOld, (uintptr_t)lpvBaseNew, 0};
	uintptr_t at = (uintptr_t)lpPropArray;
	if (r.old_base <= at && r.new_base <= at)
		r.phys_base = r.old_base > r.new_base ? r.old_base : r.new_base;
	else if (r.old_base <= at)
		r.phys_base = r.old_base;
	else if (r.new_base <= at)
		r.phys_base = r.new_base;
	else if (cValues > 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ScRelocProps: the array lies below both bases");

	/* Check types first so a bad value leaves the array untouched. */
	for (int i = 0; i < cValues; i++) {
		ULONG t = value_type(lpPropArray[i].ulPropTag);
		if (t == PT_SRESTRICT || t == PT_ACTIONS)
			return mapix_error(MAPI_E_NO_SUPPORT, "ScRelocProps: property 0x%08X: PT_SRESTRICT/PT_ACTIONS not supported",
			                   (unsigned)lpPropArray[i].ulPropTag);
		if (!is_plain_type(t) && !mv_fixed_elem(t) && t != PT_STRING8 && t != PT_UNICODE && t != PT_BINARY &&
		    t != PT_SVREID && t != PT_CLSID && t != PT_MV_STRING8 && t != PT_MV_UNICODE && t != PT_MV_BINARY)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ScRelocProps: property 0x%08X has an unknown type 0x%04X",
			                   (unsigned)lpPropArray[i].ulPropTag, (unsigned)PROP_TYPE(lpPropArray[i].ulPropTag));
	}

	size_t total = (size_t)cValues * sizeof(SPropValue);
	for (int i = 0; i < cValues; i++) {
		union _PV *v = &lpPropArray[i].Value;
		ULONG t = value_type(lpPropArray[i].ulPropTag);
		size_t elem = mv_fixed_elem(t);
		if (elem) {
			total += v->MVl.lpl && v->MVl.cValues ? ALIGN8((size_t)v->MVl.cValues * elem) : 0;
			v->MVl.lpl = reloc_ptr(&r, v->MVl.lpl);
			continue;
		}
		switch (t) {
		case PT_STRING8: {
			const char *s = reloc_phys(&r, v->lpszA);
			total += s ? ALIGN8(strlen(s) + 1) : 0;
			v->lpszA = reloc_ptr(&r, v->lpszA);
			break;
		}
		case PT_UNICODE: {
			const WCHAR *s = reloc_phys(&r, v->lpszW);
			total += s ? ALIGN8((wstr_len(s) + 1) * sizeof(WCHAR)) : 0;
			v->lpszW = reloc_ptr(&r, v->lpszW);
			break;
		}
		case PT_BINARY:
		case PT_SVREID:
			total += v->bin.lpb ? ALIGN8((size_t)v->bin.cb) : 0;
			v->bin.lpb = reloc_ptr(&r, v->bin.lpb);
			break;
		case PT_CLSID:
			total += v->lpguid ? ALIGN8(sizeof(GUID)) : 0;
			v->lpguid = reloc_ptr(&r, v->lpguid);
			break;
		case PT_MV_STRING8: {
			LPSTR *arr = reloc_phys(&r, v->MVszA.lppszA);
			if (arr && v->MVszA.cValues) {
				total += ALIGN8((size_t)v->MVszA.cValues * sizeof(LPSTR));
				for (ULONG k = 0; k < v->MVszA.cValues; k++) {
					const char *s = reloc_phys(&r, arr[k]);
					total += s ? ALIGN8(strlen(s) + 1) : 0;
					arr[k] = reloc_ptr(&r, arr[k]);
				}
			}
			v->MVszA.lppszA = reloc_ptr(&r, v->MVszA.lppszA);
			break;
		}
		case PT_MV_UNICODE: {
			LPWSTR *arr = reloc_phys(&r, v->MVszW.lppszW);
			if (arr && v->MVszW.cValues) {
				total += ALIGN8((size_t)v->MVszW.cValues * sizeof(LPWSTR));
				for (ULONG k = 0; k < v->MVszW.cValues; k++) {
					const WCHAR *s = reloc_phys(&r, arr[k]);
					total += s ? ALIGN8((wstr_len(s) + 1) * sizeof(WCHAR)) : 0;
					arr[k] = reloc_ptr(&r, arr[k]);
				}
			}
			v->MVszW.lppszW = reloc_ptr(&r, v->MVszW.lppszW);
			break;
		}
		case PT_MV_BINARY: {
			SBinary *arr = reloc_phys(&r, v->MVbin.lpbin);
			if (arr && v->MVbin.cValues) {
				total += ALIGN8((size_t)v->MVbin.cValues * sizeof(SBinary));
				for (ULONG k = 0; k < v->MVbin.cValues; k++) {
					total += arr[k].lpb ? ALIGN8((size_t)arr[k].cb) : 0;
					arr[k].lpb = reloc_ptr(&r, arr[k].lpb);
				}
			}
			v->MVbin.lpbin = reloc_ptr(&r, v->MVbin.lpbin);
			break;
		}
		default:
			break; /* plain values have no pointers */
		}
	}
	if (lpcb)
		*lpcb = (ULONG)total;
	return S_OK;
}
