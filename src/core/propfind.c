/*
 * propfind.c — the small MAPI utilities around property arrays, rows and
 * objects: finding a value in an array (LpValFindProp, PpropFindProp),
 * freeing row sets and address lists built from MAPI allocations
 * (FreeProws, FreePadrlist), comparing named-property names (FEqualNames),
 * NULL-tolerant reference counting (UlAddRef, UlRelease) and hex
 * conversion (HexFromBin, FBinFromHex). All follow the Windows semantics;
 * where Windows would crash on NULL input these return the "nothing" answer.
 *
 * HexFromBin and FBinFromHex take LPTSTR; the library is built without
 * UNICODE, so these are the 8-bit forms.
 */
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

/* Matches on the property identifier alone; the type is ignored. */
STDAPI_(LPSPropValue) LpValFindProp(ULONG ulPropTag, ULONG cValues, LPSPropValue lpPropArray)
{
	if (!lpPropArray)
		return NULL;
	for (ULONG i = 0; i < cValues; i++)
		if (PROP_ID(lpPropArray[i].ulPropTag) == PROP_ID(ulPropTag))
			return &lpPropArray[i];
	return NULL;
}

/* Matches the whole tag, or only the identifier when the searched tag's
 * type is PT_UNSPECIFIED. */
STDAPI_(LPSPropValue) PpropFindProp(LPSPropValue lpPropArray, ULONG cValues, ULONG ulPropTag)
{
	if (!lpPropArray)
		return NULL;
	BOOL any_type = PROP_TYPE(ulPropTag) == PT_UNSPECIFIED;
	for (ULONG i = 0; i < cValues; i++) {
		ULONG tag = lpPropArray[i].ulPropTag;
		if (any_type ? PROP_ID(tag) == PROP_ID(ulPropTag) : tag == ulPropTag)
			return &lpPropArray[i];
	}
	return NULL;
}

/* Each row's values are a separate MAPIAllocateBuffer root, as
 * IMAPITable::QueryRows returns them, and the set is one more. */
STDAPI_(void) FreeProws(LPSRowSet lpRows)
{
	if (!lpRows)
		return;
	for (ULONG i = 0; i < lpRows->cRows; i++)
		MAPIFreeBuffer(lpRows->aRow[i].lpProps);
	MAPIFreeBuffer(lpRows);
}

STDAPI_(void) FreePadrlist(LPADRLIST lpAdrlist)
{
	if (!lpAdrlist)
		return;
	for (ULONG i = 0; i < lpAdrlist->cEntries; i++)
		MAPIFreeBuffer(lpAdrlist->aEntries[i].rgPropVals);
	MAPIFreeBuffer(lpAdrlist);
}

static BOOL wstr_equal(const WCHAR *a, const WCHAR *b)
{
	if (!a || !b)
		return a == b;
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Same property set GUID (or both without one), same kind, same id or
 * same name — names compared case-sensitively, as Windows does. */
STDAPI_(BOOL) FEqualNames(LPMAPINAMEID lpName1, LPMAPINAMEID lpName2)
{
	if (!lpName1 || !lpName2)
		return FALSE;
	if (lpName1 == lpName2)
		return TRUE;
	if (!lpName1->lpguid != !lpName2->lpguid)
		return FALSE;
	if (lpName1->lpguid && !IsEqualGUID(lpName1->lpguid, lpName2->lpguid))
		return FALSE;
	if (lpName1->ulKind != lpName2->ulKind)
		return FALSE;
	switch (lpName1->ulKind) {
	case MNID_ID: return lpName1->Kind.lID == lpName2->Kind.lID;
	case MNID_STRING: return wstr_equal(lpName1->Kind.lpwstrName, lpName2->Kind.lpwstrName);
	default: return FALSE;
	}
}

STDAPI_(ULONG) UlAddRef(LPVOID lpunk)
{
	return lpunk ? IUnknown_AddRef((LPUNKNOWN)lpunk) : 0;
}

STDAPI_(ULONG) UlRelease(LPVOID lpunk)
{
	return lpunk ? IUnknown_Release((LPUNKNOWN)lpunk) : 0;
}

/* Upper-case digits, two per byte, NUL-terminated: sz needs 2 * cb + 1. */
STDAPI_(void) HexFromBin(LPBYTE pb, int cb, LPTSTR sz)
{
	static const char digits[] = "0123456789ABCDEF";
	if (!sz)
		return;
	int k = 0;
	for (int i = 0; pb && i < cb; i++) {
		sz[k++] = digits[pb[i] >> 4];
		sz[k++] = digits[pb[i] & 0x0F];
	}
	sz[k] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* FALSE, with pb untouched, for an odd length or a non-hex digit; pb needs
 * strlen(sz) / 2 bytes. */
STDAPI_(BOOL) FBinFromHex(LPTSTR sz, LPBYTE pb)
{
	if (!sz || !pb)
		return FALSE;
	size_t len = strlen(sz);
	if (len % 2)
		return FALSE;
	for (size_t i = 0; i < len; i++)
		if (hex_value(sz[i]) < 0)
			return FALSE;
	for (size_t i = 0; i < len; i += 2)
		pb[i / 2] = (BYTE)(hex_value(sz[i]) << 4 | hex_value(sz[i + 1]));
	return TRUE;
}
