/*
 * propaccess.c — helpers that work on any MAPI object through its vtable:
 * HrGetOneProp, HrSetOneProp and FPropExists on an IMAPIProp (or anything
 * derived from it), HrQueryAllRows on an IMAPITable. They know nothing of
 * providers, so they work the same on a local message, a remote folder or
 * an IPropData.
 */
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

/* Rows asked for per QueryRows call when the caller set no limit. */
#define QUERY_BATCH 1024

STDAPI HrGetOneProp(LPMAPIPROP lpMapiProp, ULONG ulPropTag, LPSPropValue *lppProp)
{
	if (!lppProp)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrGetOneProp: lppProp is NULL");
	*lppProp = NULL;
	if (!lpMapiProp)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrGetOneProp: lpMapiProp is NULL");

	SizedSPropTagArray(1, tags) = {1, {ulPropTag}};
	ULONG count = 0;
	LPSPropValue vals = NULL;
	ULONG type = PROP_TYPE(ulPropTag);
	ULONG flags = (type == PT_UNICODE || type == PT_MV_UNICODE) ? MAPI_UNICODE : 0;
	HRESULT hr = IMAPIProp_GetProps(lpMapiProp, (LPSPropTagArray)&tags, flags, &count, &vals);
	if (FAILED(hr)) {
		MAPIFreeBuffer(vals);
		return hr;
	}
	if (count != 1 || !vals) {
		MAPIFreeBuffer(vals);
		return mapix_error(MAPI_E_CALL_FAILED, "HrGetOneProp: GetProps returned %u values for one tag",
		                   (unsigned)count);
	}
	if (PROP_TYPE(vals->ulPropTag) == PT_ERROR) {
		SCODE err = vals->Value.err;
		MAPIFreeBuffer(vals);
		return mapix_error(MAPI_E_NOT_FOUND, "HrGetOneProp: property 0x%08X not available (%s)",
		                   (unsigned)ulPropTag, mapix_error_name(err));
	}
	*lppProp = vals;
	return S_OK;
}

STDAPI HrSetOneProp(LPMAPIPROP lpMapiProp, LPSPropValue lpProp)
{
	if (!lpMapiProp || !lpProp)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrSetOneProp: NULL object or value");
	LPSPropProblemArray problems = NULL;
	HRESULT hr = IMAPIProp_SetProps(lpMapiProp, 1, lpProp, &problems);
	if (SUCCEEDED(hr) && problems && problems->cProblem > 0) {
		/* the one problem is the answer for the one property */
		hr = problems->aProblem[0].scode;
		mapix_error(hr, "HrSetOneProp: property 0x%08X: %s", (unsigned)lpProp->ulPropTag, mapix_error_name(hr));
	}
	MAPIFreeBuffer(problems);
	return hr;
}

/*
 * A property exists when GetProps returns a value for it, or an error value
 * MAPI_E_NOT_ENOUGH_MEMORY (the value exists but is too large for GetProps
 * and must be opened as a stream). Any other error value means it does not.
 */
STDAPI_(BOOL) FPropExists(LPMAPIPROP lpMapiProp, ULONG ulPropTag)
{
	if (!lpMapiProp)
		return FALSE;
	SizedSPropTagArray(1, tags) = {1, {ulPropTag}};
	ULONG count = 0;
	LPSPropValue vals = NULL;
	HRESULT hr = IMAPIProp_GetProps(lpMapiProp, (LPSPropTagArray)&tags, 0, &count, &vals);
	BOOL exists = FALSE;
	if (SUCCEEDED(hr) && count == 1 && vals)
		exists = PROP_TYPE(vals->ulPropTag) != PT_ERROR || vals->Value.err == MAPI_E_NOT_ENOUGH_MEMORY;
	MAPIFreeBuffer(vals);
	return exists;
}

/*
 * Moves the rows of part to the end of *all, and frees part's container;
 * the rows' value arrays change owner, not address. *all grows by doubling
 * (*cap rows), so a provider that answers in small pages costs linear time.
 */
static HRESULT append_rows(LPSRowSet *all, ULONG *cap, LPSRowSet part)
{
	if (!*all) {
		*all = part;
		*cap = part->cRows;
		return S_OK;
	}
	if (!part->cRows) {
		MAPIFreeBuffer(part);
		return S_OK;
	}
	ULONG n = (*all)->cRows + part->cRows;
	if (n > *cap) {
		ULONG want = *cap > n / 2 ? *cap * 2 : n;
		LPSRowSet grown;
		SCODE sc = MAPIAllocateBuffer((ULONG)CbNewSRowSet(want), (LPVOID *)&grown);
		if (FAILED(sc)) {
			FreeProws(part);
			return sc;
		}
		memcpy(grown->aRow, (*all)->aRow, (*all)->cRows * sizeof(SRow));
		grown->cRows = (*all)->cRows;
		MAPIFreeBuffer(*all);
		*all = grown;
		*cap = want;
	}
	SRow *dst = (*all)->aRow;
	memcpy(dst + (*all)->cRows, part->aRow, part->cRows * sizeof(SRow));
	(*all)->cRows = n;
	MAPIFreeBuffer(part);
	return S_OK;
}

/*
 * crowsMax > 0 is a ceiling, not a page size: a table with more rows than
 * that fails with MAPI_E_TABLE_TOO_BIG (and nothing is returned). To tell
 * "exactly crowsMax" from "more" without loading the whole table, at most
 * crowsMax + 1 rows are ever requested.
 */
STDAPI HrQueryAllRows(LPMAPITABLE lpTable, LPSPropTagArray lpPropTags, LPSRestriction lpRestriction,
                      LPSSortOrderSet lpSortOrderSet, LONG crowsMax, LPSRowSet *lppRows)
{
	if (!lppRows)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrQueryAllRows: lppRows is NULL");
	*lppRows = NULL;
	if (!lpTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrQueryAllRows: lpTable is NULL");
	if (crowsMax < 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrQueryAllRows: negative crowsMax %d", (int)crowsMax);

	HRESULT hr;
	if (lpPropTags && FAILED(hr = IMAPITable_SetColumns(lpTable, lpPropTags, TBL_BATCH)))
		return hr;
	if (lpRestriction && FAILED(hr = IMAPITable_Restrict(lpTable, lpRestriction, TBL_BATCH)))
		return hr;
	if (lpSortOrderSet && FAILED(hr = IMAPITable_SortTable(lpTable, lpSortOrderSet, TBL_BATCH)))
		return hr;
	if (FAILED(hr = IMAPITable_SeekRow(lpTable, BOOKMARK_BEGINNING, 0, NULL)))
		return hr;

	LPSRowSet all = NULL;
	ULONG cap = 0;
	for (;;) {
		ULONG have = all ? all->cRows : 0;
		LONG want = QUERY_BATCH;
		if (crowsMax > 0) {
			ULONG left = (ULONG)crowsMax + 1 - have;
			if (left < (ULONG)want)
				want = (LONG)left;
		}
		LPSRowSet part = NULL;
		hr = IMAPITable_QueryRows(lpTable, want, 0, &part);
		if (FAILED(hr)) {
			FreeProws(part);
			FreeProws(all);
			return hr;
		}
		if (!part) {
			FreeProws(all);
			return mapix_error(MAPI_E_CALL_FAILED, "HrQueryAllRows: QueryRows succeeded but returned no row set");
		}
		ULONG got = part->cRows;
		if (FAILED(hr = append_rows(&all, &cap, part))) {
			FreeProws(all);
			return hr;
		}
		if (crowsMax > 0 && all->cRows > (ULONG)crowsMax) {
			FreeProws(all);
			return mapix_error(MAPI_E_TABLE_TOO_BIG, "HrQueryAllRows: the table has more than %d rows",
			                   (int)crowsMax);
		}
		if (got == 0)
			break;
	}
	*lppRows = all;
	return S_OK;
}
