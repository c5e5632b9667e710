/*
 * tableview.c — the IMAPITable views that ITableData::HrGetView hands out:
 * columns, cursor movement, row retrieval, restriction, sorting, bookmarks
 * and advise sinks, all on the rows of one table data object (tabledata.h).
 * How a view's row list is built and kept current lives in
 * tableview_rows.c. Every method holds the table data's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tabledata.h"

static struct mapix_tableview *tv_from(IMAPITable *This)
{
	return (struct mapix_tableview *)This;
}

/* MAPIFreeBuffer for pointers that may be NULL. */
static void free_mapi(LPVOID p)
{
	if (p)
		MAPIFreeBuffer(p);
}

#define TV_LOCK(v) mapix_tabledata_lock((v)->td)
#define TV_UNLOCK(v) mapix_tabledata_unlock((v)->td)

/* ---- bookmarks -------------------------------------------------------------------------------- */

static struct mapix_bookmark *bm_find(struct mapix_tableview *v, BOOKMARK bk)
{
	for (ULONG i = 0; i < v->cBookmarks; i++)
		if (v->bookmarks[i].bk == bk)
			return &v->bookmarks[i];
	return NULL;
}

/*
 * The position a bookmark stands for. A bookmark remembers its row by
 * index value; when that row has left the view, the bookmark resolves to
 * the position the row had (clamped), and MAPI_W_POSITION_CHANGED says so.
 */
static HRESULT bm_resolve(struct mapix_tableview *v, BOOKMARK bk, ULONG *lpPos, const char *fn)
{
	struct mapix_bookmark *b;
	if (bk == BOOKMARK_BEGINNING) {
		*lpPos = 0;
		return S_OK;
	}
	if (bk == BOOKMARK_CURRENT) {
		*lpPos = v->ulCursor;
		return S_OK;
	}
	if (bk == BOOKMARK_END) {
		*lpPos = v->cRows;
		return S_OK;
	}
	b = bm_find(v, bk);
	if (!b)
		return mapix_error(MAPI_E_INVALID_BOOKMARK, "%s: unknown bookmark", fn);
	if (!b->lpIndex) {
		*lpPos = v->cRows;
		return S_OK;
	}
	for (ULONG i = 0; i < v->cRows; i++) {
		if (mapix_tabledata_index_equal(v->rows[i]->lpIndex, b->lpIndex)) {
			b->ulPos = i;
			*lpPos = i;
			return S_OK;
		}
	}
	*lpPos = b->ulPos < v->cRows ? b->ulPos : v->cRows;
	return MAPI_W_POSITION_CHANGED;
}

/* ---- IUnknown ------------------------------------------------------------------------------------- */

static HRESULT tv_QueryInterface(IMAPITable *This, REFIID riid, LPVOID *ppvObj)
{
	if (!riid || !ppvObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryInterface: NULL argument");
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPITable)) {
		This->lpVtbl->AddRef(This);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IMAPITable::QueryInterface: interface not supported");
}

static ULONG tv_AddRef(IMAPITable *This)
{
	return (ULONG)atomic_fetch_add(&tv_from(This)->cRef, 1) + 1;
}

static ULONG tv_Release(IMAPITable *This)
{
	struct mapix_tableview *v = tv_from(This);
	struct mapix_tabledata *td = v->td;
	ULONG n = (ULONG)atomic_fetch_sub(&v->cRef, 1) - 1;
	if (n)
		return n;
	if (v->lpfCallerRelease)
		v->lpfCallerRelease(v->ulCallerData, &td->itf, This);
	mapix_tabledata_lock(td);
	for (struct mapix_tableview **pp = &td->views; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	}
	mapix_tabledata_unlock(td);
	for (ULONG i = 0; i < v->cAdvise; i++)
		IMAPIAdviseSink_Release(v->advise[i].lpSink);
	for (ULONG i = 0; i < v->cBookmarks; i++)
		free_mapi(v->bookmarks[i].lpIndex);
	free(v->advise);
	free(v->bookmarks);
	free(v->rows);
	free_mapi(v->lpCols);
	free_mapi(v->lpRes);
	free_mapi(v->lpSort);
	free(v);
	td->itf.lpVtbl->Release(&td->itf);
	return 0;
}

/* ---- IMAPITable ------------------------------------------------------------------------------------ */

static HRESULT tv_GetLastError(IMAPITable *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetLastError: NULL result");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::GetLastError: unknown flags");
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix in-memory table", lppMAPIError);
}

static HRESULT tv_Advise(IMAPITable *This, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	struct mapix_tableview *v = tv_from(This);
	if (!lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::Advise: NULL sink or connection");
	if (!(ulEventMask & fnevTableModified) || (ulEventMask & ~fnevTableModified))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::Advise: tables report fnevTableModified only");
	TV_LOCK(v);
	if (v->cAdvise == v->capAdvise) {
		ULONG ncap = v->capAdvise ? v->capAdvise * 2 : 4;
		struct mapix_advise *n = realloc(v->advise, ncap * sizeof *n);
		if (!n) {
			TV_UNLOCK(v);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable::Advise: out of memory");
		}
		v->advise = n;
		v->capAdvise = ncap;
	}
	IMAPIAdviseSink_AddRef(lpAdviseSink);
	v->advise[v->cAdvise].lpSink = lpAdviseSink;
	v->advise[v->cAdvise].ulEventMask = ulEventMask;
	v->advise[v->cAdvise].ulConnection = ++v->ulNextConnection;
	*lpulConnection = v->advise[v->cAdvise].ulConnection;
	v->cAdvise++;
	TV_UNLOCK(v);
	return S_OK;
}

static HRESULT tv_Unadvise(IMAPITable *This, ULONG_PTR ulConnection)
{
	struct mapix_tableview *v = tv_from(This);
	LPMAPIADVISESINK sink = NULL;
	TV_LOCK(v);
	for (ULONG i = 0; i < v->cAdvise; i++) {
		if (v->advise[i].ulConnection == ulConnection) {
			sink = v->advise[i].lpSink;
			v->advise[i] = v->advise[--v->cAdvise];
			break;
		}
	}
	TV_UNLOCK(v);
	if (!sink)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::Unadvise: unknown connection %lu", (unsigned long)ulConnection);
	IMAPIAdviseSink_Release(sink);
	return S_OK;
}

static HRESULT tv_GetStatus(IMAPITable *This, ULONG *lpulTableStatus, ULONG *lpulTableType)
{
	struct mapix_tableview *v = tv_from(This);
	if (!lpulTableStatus || !lpulTableType)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetStatus: NULL result");
	*lpulTableStatus = TBLSTAT_COMPLETE;
	*lpulTableType = v->td->ulTableType;
	return S_OK;
}

static HRESULT tv_SetColumns(IMAPITable *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags)
{
	struct mapix_tableview *v = tv_from(This);
	LPSPropTagArray cols = NULL;
	HRESULT hr;
	if (ulFlags & ~(TBL_NOWAIT | TBL_BATCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::SetColumns: unknown flags 0x%08X", (unsigned)ulFlags);
	hr = mapix_tableview_check_columns(lpPropTagArray, "IMAPITable::SetColumns");
	if (FAILED(hr))
		return hr;
	hr = mapix_tableview_copy_columns(lpPropTagArray, &cols);
	if (FAILED(hr))
		return hr;
	TV_LOCK(v);
	MAPIFreeBuffer(v->lpCols);
	v->lpCols = cols;
	TV_UNLOCK(v);
	return S_OK;
}

static HRESULT tv_QueryColumns(IMAPITable *This, ULONG ulFlags, LPSPropTagArray *lpPropTagArray)
{
	struct mapix_tableview *v = tv_from(This);
	HRESULT hr;
	if (!lpPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryColumns: NULL result");
	if (ulFlags & ~TBL_ALL_COLUMNS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::QueryColumns: unknown flags 0x%08X", (unsigned)ulFlags);
	*lpPropTagArray = NULL;
	TV_LOCK(v);
	if (ulFlags & TBL_ALL_COLUMNS) {
		LPSPropTagArray all = NULL;
		SCODE sc = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(v->td->cCols), (LPVOID *)&all);
		if (FAILED(sc)) {
			hr = mapix_error(sc, "IMAPITable::QueryColumns: out of memory");
		} else {
			all->cValues = v->td->cCols;
			memcpy(all->aulPropTag, v->td->aulCols, v->td->cCols * sizeof(ULONG));
			*lpPropTagArray = all;
			hr = S_OK;
		}
	} else {
		hr = mapix_tableview_copy_columns(v->lpCols, lpPropTagArray);
	}
	TV_UNLOCK(v);
	return hr;
}

static HRESULT tv_GetRowCount(IMAPITable *This, ULONG ulFlags, ULONG *lpulCount)
{
	struct mapix_tableview *v = tv_from(This);
	if (!lpulCount)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetRowCount: NULL result");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::GetRowCount: flags must be 0");
	TV_LOCK(v);
	*lpulCount = v->cRows;
	TV_UNLOCK(v);
	return S_OK;
}

static HRESULT tv_SeekRow(IMAPITable *This, BOOKMARK bkOrigin, LONG lRowCount, LONG *lplRowsSought)
{
	struct mapix_tableview *v = tv_from(This);
	ULONG origin;
	int64_t target;
	HRESULT hr;

	TV_LOCK(v);
	hr = bm_resolve(v, bkOrigin, &origin, "IMAPITable::SeekRow");
	if (FAILED(hr)) {
		TV_UNLOCK(v);
		return hr;
	}
	target = (int64_t)origin + lRowCount;
	if (target < 0)
		target = 0;
	if (target > (int64_t)v->cRows)
		target = v->cRows;
	v->ulCursor = (ULONG)target;
	if (lplRowsSought)
		*lplRowsSought = (LONG)(target - (int64_t)origin);
	TV_UNLOCK(v);
	return hr;
}

static HRESULT tv_SeekRowApprox(IMAPITable *This, ULONG ulNumerator, ULONG ulDenominator)
{
	struct mapix_tableview *v = tv_from(This);
	if (ulDenominator == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SeekRowApprox: denominator is 0");
	TV_LOCK(v);
	if (ulNumerator >= ulDenominator)
		v->ulCursor = v->cRows;
	else
		v->ulCursor = (ULONG)((uint64_t)ulNumerator * v->cRows / ulDenominator);
	TV_UNLOCK(v);
	return S_OK;
}

static HRESULT tv_QueryPosition(IMAPITable *This, ULONG *lpulRow, ULONG *lpulNumerator, ULONG *lpulDenominator)
{
	struct mapix_tableview *v = tv_from(This);
	if (!lpulRow || !lpulNumerator || !lpulDenominator)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryPosition: NULL result");
	TV_LOCK(v);
	*lpulRow = v->ulCursor;
	*lpulNumerator = v->ulCursor;
	*lpulDenominator = v->cRows ? v->cRows : 1;
	TV_UNLOCK(v);
	return S_OK;
}

static HRESULT tv_FindRow(IMAPITable *This, LPSRestriction lpRestriction, BOOKMARK bkOrigin, ULONG ulFlags)
{
	struct mapix_tableview *v = tv_from(This);
	ULONG origin;
	HRESULT hr, hrPos;

	if (!lpRestriction)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::FindRow: NULL restriction");
	if (ulFlags & ~DIR_BACKWARD)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::FindRow: unknown flags 0x%08X", (unsigned)ulFlags);
	hr = mapix_restriction_validate(lpRestriction);
	if (FAILED(hr))
		return hr;
	if (mapix_tableview_res_contains(lpRestriction, RES_SUBRESTRICTION, 0))
		return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::FindRow: in-memory tables have no sub-objects");

	TV_LOCK(v);
	hrPos = bm_resolve(v, bkOrigin, &origin, "IMAPITable::FindRow");
	if (FAILED(hrPos)) {
		TV_UNLOCK(v);
		return hrPos;
	}
	/* Forward searches start at the origin row, backward ones at the row before it. */
	MAPIXRESTRICTIONSTATE st = MAPIX_RESTRICTION_STATE_INIT;
	hr = MAPI_E_NOT_FOUND;
	if (ulFlags & DIR_BACKWARD) {
		for (ULONG i = origin; i-- > 0;) {
			BOOL f = FALSE;
			HRESULT he = mapix_restriction_eval_state(lpRestriction, v->rows[i]->cValues, v->rows[i]->lpProps, NULL,
			                                          &st, &f);
			if (FAILED(he) || f) {
				hr = FAILED(he) ? he : S_OK;
				if (f)
					v->ulCursor = i;
				break;
			}
		}
	} else {
		for (ULONG i = origin; i < v->cRows; i++) {
			BOOL f = FALSE;
			HRESULT he = mapix_restriction_eval_state(lpRestriction, v->rows[i]->cValues, v->rows[i]->lpProps, NULL,
			                                          &st, &f);
			if (FAILED(he) || f) {
				hr = FAILED(he) ? he : S_OK;
				if (f)
					v->ulCursor = i;
				break;
			}
		}
	}
	TV_UNLOCK(v);
	if (hr == MAPI_E_NOT_FOUND)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::FindRow: no row matches");
	return FAILED(hr) ? hr : hrPos;
}

static HRESULT tv_Restrict(IMAPITable *This, LPSRestriction lpRestriction, ULONG ulFlags)
{
	struct mapix_tableview *v = tv_from(This);
	LPSRestriction res = NULL;
	struct mapix_tdrow **rows = NULL;
	ULONG n = 0;
	HRESULT hr;

	if (ulFlags & ~(TBL_NOWAIT | TBL_BATCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::Restrict: unknown flags 0x%08X", (unsigned)ulFlags);
	if (lpRestriction) {
		hr = mapix_restriction_dup(lpRestriction, &res);
		if (FAILED(hr))
			return hr;
		if (mapix_tableview_res_contains(res, RES_SUBRESTRICTION, 0)) {
			MAPIFreeBuffer(res);
			return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::Restrict: in-memory tables have no sub-objects");
		}
	}
	TV_LOCK(v);
	hr = mapix_tableview_build(v->td, res, v->lpSort, &rows, &n);
	if (SUCCEEDED(hr)) {
		free_mapi(v->lpRes);
		v->lpRes = res;
		v->fResHasCount = mapix_tableview_res_contains(res, RES_COUNT, 0);
		free(v->rows);
		v->rows = rows;
		v->cRows = n;
		v->capRows = v->td->cRows ? v->td->cRows : 1;
		v->ulCursor = 0;
		res = NULL;
	}
	TV_UNLOCK(v);
	free_mapi(res);
	return hr;
}

static HRESULT tv_CreateBookmark(IMAPITable *This, BOOKMARK *lpbkPosition)
{
	struct mapix_tableview *v = tv_from(This);
	LPSPropValue idx = NULL;
	HRESULT hr = S_OK;

	if (!lpbkPosition)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::CreateBookmark: NULL result");
	TV_LOCK(v);
	if (v->cBookmarks == v->capBookmarks) {
		ULONG ncap = v->capBookmarks ? v->capBookmarks * 2 : 4;
		struct mapix_bookmark *nb = realloc(v->bookmarks, ncap * sizeof *nb);
		if (!nb) {
			hr = mapix_error(MAPI_E_UNABLE_TO_COMPLETE, "IMAPITable::CreateBookmark: out of memory");
			goto out;
		}
		v->bookmarks = nb;
		v->capBookmarks = ncap;
	}
	if (v->ulCursor < v->cRows) {
		SCODE sc = MAPIAllocateBuffer(sizeof(SPropValue), (LPVOID *)&idx);
		if (SUCCEEDED(sc))
			sc = PropCopyMore(idx, v->rows[v->ulCursor]->lpIndex, MAPIAllocateMore, idx);
		if (FAILED(sc)) {
			free_mapi(idx);
			hr = mapix_error(MAPI_E_UNABLE_TO_COMPLETE, "IMAPITable::CreateBookmark: out of memory");
			goto out;
		}
	}
	v->bookmarks[v->cBookmarks].bk = v->bkNext++;
	v->bookmarks[v->cBookmarks].lpIndex = idx;
	v->bookmarks[v->cBookmarks].ulPos = v->ulCursor;
	*lpbkPosition = v->bookmarks[v->cBookmarks].bk;
	v->cBookmarks++;
out:
	TV_UNLOCK(v);
	return hr;
}

static HRESULT tv_FreeBookmark(IMAPITable *This, BOOKMARK bkPosition)
{
	struct mapix_tableview *v = tv_from(This);
	struct mapix_bookmark *b;
	if (bkPosition == BOOKMARK_BEGINNING || bkPosition == BOOKMARK_CURRENT || bkPosition == BOOKMARK_END)
		return S_OK;
	TV_LOCK(v);
	b = bm_find(v, bkPosition);
	if (b) {
		free_mapi(b->lpIndex);
		*b = v->bookmarks[--v->cBookmarks];
	}
	TV_UNLOCK(v);
	return b ? S_OK : mapix_error(MAPI_E_INVALID_BOOKMARK, "IMAPITable::FreeBookmark: unknown bookmark");
}

static HRESULT tv_SortTable(IMAPITable *This, LPSSortOrderSet lpSortCriteria, ULONG ulFlags)
{
	struct mapix_tableview *v = tv_from(This);
	LPSSortOrderSet sort = NULL;
	struct mapix_tdrow **rows = NULL;
	ULONG n = 0;
	HRESULT hr;

	if (!lpSortCriteria)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SortTable: NULL sort order");
	if (ulFlags & ~(TBL_NOWAIT | TBL_BATCH | TBL_ASYNC))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::SortTable: unknown flags 0x%08X", (unsigned)ulFlags);
	hr = mapix_tableview_check_sort(lpSortCriteria, "IMAPITable::SortTable");
	if (FAILED(hr))
		return hr;
	hr = mapix_tableview_copy_sort(lpSortCriteria, &sort);
	if (FAILED(hr))
		return hr;
	TV_LOCK(v);
	hr = mapix_tableview_build(v->td, v->lpRes, sort, &rows, &n);
	if (SUCCEEDED(hr)) {
		MAPIFreeBuffer(v->lpSort);
		v->lpSort = sort;
		free(v->rows);
		v->rows = rows;
		v->cRows = n;
		v->capRows = v->td->cRows ? v->td->cRows : 1;
		v->ulCursor = 0;
		sort = NULL;
	}
	TV_UNLOCK(v);
	free_mapi(sort);
	return hr;
}

static HRESULT tv_QuerySortOrder(IMAPITable *This, LPSSortOrderSet *lppSortCriteria)
{
	struct mapix_tableview *v = tv_from(This);
	HRESULT hr;
	if (!lppSortCriteria)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QuerySortOrder: NULL result");
	TV_LOCK(v);
	hr = mapix_tableview_copy_sort(v->lpSort, lppSortCriteria);
	TV_UNLOCK(v);
	return hr;
}

static HRESULT tv_QueryRows(IMAPITable *This, LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows)
{
	struct mapix_tableview *v = tv_from(This);
	LPSRowSet set = NULL;
	ULONG first, count;
	HRESULT hr = S_OK;
	SCODE sc;

	if (!lppRows || lRowCount == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryRows: NULL result or a row count of 0");
	if (ulFlags & ~TBL_NOADVANCE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::QueryRows: unknown flags 0x%08X", (unsigned)ulFlags);
	*lppRows = NULL;
	TV_LOCK(v);
	/* A negative count moves the cursor back that far and reads forward from
	 * there; the cursor stays at the first row returned, so repeated
	 * negative calls page backward. */
	if (lRowCount > 0) {
		first = v->ulCursor;
		count = v->cRows - first;
		if ((ULONG)lRowCount < count)
			count = (ULONG)lRowCount;
	} else {
		uint64_t back = (uint64_t)(-(int64_t)lRowCount);
		first = back >= v->ulCursor ? 0 : v->ulCursor - (ULONG)back;
		count = v->ulCursor - first;
	}
	sc = MAPIAllocateBuffer((ULONG)CbNewSRowSet(count), (LPVOID *)&set);
	if (FAILED(sc)) {
		hr = mapix_error(sc, "IMAPITable::QueryRows: out of memory");
		goto out;
	}
	set->cRows = 0;
	for (ULONG i = 0; i < count; i++) {
		struct mapix_tdrow *row = v->rows[first + i];
		set->aRow[i].ulAdrEntryPad = 0;
		set->aRow[i].cValues = v->lpCols->cValues;
		hr = mapix_tableview_make_row(v->lpCols, row->cValues, row->lpProps, NULL, &set->aRow[i].lpProps);
		if (FAILED(hr))
			break;
		set->cRows++;
	}
	if (FAILED(hr)) {
		FreeProws(set);
		set = NULL;
		goto out;
	}
	if (lRowCount < 0 || (ulFlags & TBL_NOADVANCE))
		v->ulCursor = first;
	else
		v->ulCursor = first + count;
	*lppRows = set;
out:
	TV_UNLOCK(v);
	return hr;
}

static HRESULT tv_Abort(IMAPITable *This)
{
	return S_OK; /* nothing here runs asynchronously */
}

static HRESULT tv_ExpandRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulRowCount,
                            ULONG ulFlags, LPSRowSet *lppRows, ULONG *lpulMoreRows)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::ExpandRow: in-memory tables have no categories");
}

static HRESULT tv_CollapseRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulFlags,
                              ULONG *lpulRowCount)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::CollapseRow: in-memory tables have no categories");
}

static HRESULT tv_WaitForCompletion(IMAPITable *This, ULONG ulFlags, ULONG ulTimeout, ULONG *lpulTableStatus)
{
	if (lpulTableStatus)
		*lpulTableStatus = TBLSTAT_COMPLETE;
	return S_OK;
}

static HRESULT tv_GetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbInstanceKey, LPBYTE lpbInstanceKey,
                                   ULONG *lpcbCollapseState, LPBYTE *lppbCollapseState)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::GetCollapseState: in-memory tables have no categories");
}

static HRESULT tv_SetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbCollapseState, LPBYTE pbCollapseState,
                                   BOOKMARK *lpbkLocation)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::SetCollapseState: in-memory tables have no categories");
}

static const IMAPITableVtbl tv_vtbl = {
	tv_QueryInterface, tv_AddRef,        tv_Release,          tv_GetLastError,     tv_Advise,
	tv_Unadvise,       tv_GetStatus,     tv_SetColumns,       tv_QueryColumns,     tv_GetRowCount,
	tv_SeekRow,        tv_SeekRowApprox, tv_QueryPosition,    tv_FindRow,          tv_Restrict,
	tv_CreateBookmark, tv_FreeBookmark,  tv_SortTable,        tv_QuerySortOrder,   tv_QueryRows,
	tv_Abort,          tv_ExpandRow,     tv_CollapseRow,      tv_WaitForCompletion, tv_GetCollapseState,
	tv_SetCollapseState,
};

HRESULT mapix_tableview_create(struct mapix_tabledata *td, LPSSortOrderSet lpSort, CALLERRELEASE *lpfRelease,
                               ULONG ulCallerData, LPMAPITABLE *lppTable)
{
	struct mapix_tableview *v;
	HRESULT hr = mapix_tableview_check_sort(lpSort, "ITableData::HrGetView");
	if (FAILED(hr))
		return hr;
	v = calloc(1, sizeof *v);
	if (!v)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData::HrGetView: out of memory");
	v->itf.lpVtbl = &tv_vtbl;
	atomic_init(&v->cRef, 1);
	v->td = td;
	v->lpfCallerRelease = lpfRelease;
	v->ulCallerData = ulCallerData;
	v->bkNext = BOOKMARK_END + 1;
	hr = mapix_tableview_copy_sort(lpSort, &v->lpSort);
	if (FAILED(hr))
		goto fail;
	mapix_tabledata_lock(td);
	{
		SPropTagArray *cols = NULL;
		/* Columns first seen in rows are part of every later view. */
		SCODE sc = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(td->cCols), (LPVOID *)&cols);
		if (FAILED(sc)) {
			hr = mapix_error(sc, "ITableData::HrGetView: out of memory");
		} else {
			cols->cValues = td->cCols;
			memcpy(cols->aulPropTag, td->aulCols, td->cCols * sizeof(ULONG));
			v->lpCols = cols;
			hr = mapix_tableview_build(td, NULL, v->lpSort, &v->rows, &v->cRows);
			v->capRows = td->cRows ? td->cRows : 1;
		}
	}
	if (SUCCEEDED(hr)) {
		v->next = td->views;
		td->views = v;
		td->itf.lpVtbl->AddRef(&td->itf);
	}
	mapix_tabledata_unlock(td);
	if (FAILED(hr))
		goto fail;
	*lppTable = &v->itf;
	return S_OK;
fail:
	free_mapi(v->lpSort);
	free_mapi(v->lpCols);
	free(v->rows);
	free(v);
	return hr;
}
