/*
 * tabledata.c — CreateTable and the ITableData object: rows kept in memory in
 * insertion order, identified by the index column, with every change pushed
 * to the object's IMAPITable views (tableview.c) and their advise sinks.
 * See mapiutil_tabledata.h for the behaviour callers see, tabledata.h for
 * the structures and the locking rule.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tabledata.h"

static struct mapix_tabledata *td_from(ITableData *This)
{
	return (struct mapix_tabledata *)This;
}

void mapix_tabledata_lock(struct mapix_tabledata *td)
{
	pthread_mutex_lock(&td->lock);
}

void mapix_tabledata_unlock(struct mapix_tabledata *td)
{
	pthread_mutex_unlock(&td->lock);
}

BOOL mapix_tabledata_index_equal(const SPropValue *a, const SPropValue *b)
{
	return a->ulPropTag == b->ulPropTag && LPropCompareProp((LPSPropValue)a, (LPSPropValue)b) == 0;
}

LPSPropValue mapix_tabledata_find_index(const struct mapix_tabledata *td, ULONG cValues, LPSPropValue lpProps)
{
	if (!lpProps)
		return NULL;
	for (ULONG i = 0; i < cValues; i++)
		if (lpProps[i].ulPropTag == td->ulIndexTag)
			return &lpProps[i];
	return NULL;
}

/* The stored row with this index value, or NULL. */
static struct mapix_tdrow *td_find_row(struct mapix_tabledata *td, const SPropValue *lpIndex)
{
	for (ULONG i = 0; i < td->cRows; i++)
		if (mapix_tabledata_index_equal(td->rows[i]->lpIndex, lpIndex))
			return td->rows[i];
	return NULL;
}

static void td_renumber(struct mapix_tabledata *td, ULONG from)
{
	for (ULONG i = from; i < td->cRows; i++)
		td->rows[i]->ulPos = i;
}

/* Records columns first seen in a row: later views include them. */
static HRESULT td_note_columns(struct mapix_tabledata *td, ULONG cValues, const SPropValue *lpProps)
{
	for (ULONG i = 0; i < cValues; i++) {
		ULONG tag = lpProps[i].ulPropTag, j;
		if (PROP_TYPE(tag) == PT_ERROR)
			continue;
		for (j = 0; j < td->cCols; j++)
			if (td->aulCols[j] == tag)
				break;
		if (j < td->cCols)
			continue;
		if (td->cCols == td->capCols) {
			ULONG ncap = td->capCols ? td->capCols * 2 : 16;
			ULONG *n = realloc(td->aulCols, ncap * sizeof *n);
			if (!n)
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData: out of memory");
			td->aulCols = n;
			td->capCols = ncap;
		}
		td->aulCols[td->cCols++] = tag;
	}
	return S_OK;
}

static void td_free_row(struct mapix_tabledata *td, struct mapix_tdrow *row)
{
	if (!row)
		return;
	td->lpFreeBuffer(row->lpProps);
	free(row);
}

/* A stored copy of a caller's row; the caller has checked the index column. */
static HRESULT td_copy_row(struct mapix_tabledata *td, const SRow *src, struct mapix_tdrow **out)
{
	struct mapix_tdrow *row = calloc(1, sizeof *row);
	SCODE sc;
	if (!row)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData: out of memory");
	sc = ScDupPropset((int)src->cValues, src->lpProps, td->lpAllocateBuffer, &row->lpProps);
	if (FAILED(sc)) {
		free(row);
		return mapix_error(sc, "ITableData: cannot copy the row's values");
	}
	row->cValues = src->cValues;
	row->lpIndex = mapix_tabledata_find_index(td, row->cValues, row->lpProps);
	*out = row;
	return S_OK;
}

static HRESULT td_reserve_rows(struct mapix_tabledata *td, ULONG need)
{
	if (need <= td->capRows)
		return S_OK;
	ULONG ncap = td->capRows ? td->capRows : 16;
	while (ncap < need)
		ncap *= 2;
	struct mapix_tdrow **n = realloc(td->rows, ncap * sizeof *n);
	if (!n)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData: out of memory");
	td->rows = n;
	td->capRows = ncap;
	return S_OK;
}

/* Pushes changes to every view, then frees deleted rows. Lock held. */
static void td_propagate(struct mapix_tabledata *td, struct mapix_rowchange *ch, ULONG cch, struct mapix_notifq *q)
{
	for (ULONG i = 0; i < cch; i++)
		ch[i].row->fDeleted = ch[i].fDeleted;
	for (struct mapix_tableview *v = td->views; v; v = v->next)
		mapix_tableview_apply(v, ch, cch, q);
	for (ULONG i = 0; i < cch; i++)
		if (ch[i].fDeleted)
			td_free_row(td, ch[i].row);
}

/* Removes a row from the row list (not freed). Lock held. */
static void td_unlink_row(struct mapix_tabledata *td, struct mapix_tdrow *row)
{
	ULONG pos = row->ulPos;
	memmove(&td->rows[pos], &td->rows[pos + 1], (td->cRows - pos - 1) * sizeof *td->rows);
	td->cRows--;
	td_renumber(td, pos);
}

/*
 * Stores a new version of a row: replaces the row with the same index value
 * (keeping its position) or appends. *ch receives the change. Lock held;
 * the row set has room for one more row.
 */
static HRESULT td_store(struct mapix_tabledata *td, struct mapix_tdrow *fresh, struct mapix_rowchange *ch)
{
	struct mapix_tdrow *old = td_find_row(td, fresh->lpIndex);
	HRESULT hr = td_note_columns(td, fresh->cValues, fresh->lpProps);
	if (FAILED(hr))
		return hr;
	if (old) {
		/* Views point at the row object, so the values are swapped in place. */
		td->lpFreeBuffer(old->lpProps);
		old->lpProps = fresh->lpProps;
		old->cValues = fresh->cValues;
		old->lpIndex = fresh->lpIndex;
		free(fresh);
		ch->row = old;
	} else {
		fresh->ulPos = td->cRows;
		td->rows[td->cRows++] = fresh;
		ch->row = fresh;
	}
	ch->fDeleted = FALSE;
	return S_OK;
}

/* ---- IUnknown ---------------------------------------------------------------------------------- */

static HRESULT td_QueryInterface(ITableData *This, REFIID riid, LPVOID *ppvObj)
{
	if (!riid || !ppvObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::QueryInterface: NULL argument");
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPITableData)) {
		This->lpVtbl->AddRef(This);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "ITableData::QueryInterface: interface not supported");
}

static ULONG td_AddRef(ITableData *This)
{
	return (ULONG)atomic_fetch_add(&td_from(This)->cRef, 1) + 1;
}

static ULONG td_Release(ITableData *This)
{
	struct mapix_tabledata *td = td_from(This);
	ULONG n = (ULONG)atomic_fetch_sub(&td->cRef, 1) - 1;
	if (n)
		return n;
	/* Views hold references, so none is left here. */
	for (ULONG i = 0; i < td->cRows; i++)
		td_free_row(td, td->rows[i]);
	free(td->rows);
	free(td->aulCols);
	pthread_mutex_destroy(&td->lock);
	free(td);
	return 0;
}

/* ---- ITableData -------------------------------------------------------------------------------- */

static HRESULT td_HrGetView(ITableData *This, LPSSortOrderSet lpSSortOrderSet, CALLERRELEASE *lpfCallerRelease,
                            ULONG ulCallerData, LPMAPITABLE *lppMAPITable)
{
	if (!lppMAPITable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrGetView: NULL result");
	return mapix_tableview_create(td_from(This), lpSSortOrderSet, lpfCallerRelease, ulCallerData, lppMAPITable);
}

static HRESULT td_HrModifyRows(ITableData *This, ULONG ulFlags, LPSRowSet lpSRowSet)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_notifq q = {0};
	struct mapix_tdrow **fresh = NULL;
	struct mapix_rowchange *ch = NULL;
	ULONG n, cch = 0;
	HRESULT hr = S_OK;

	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ITableData::HrModifyRows: flags must be 0");
	if (!lpSRowSet)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrModifyRows: NULL row set");
	n = lpSRowSet->cRows;
	for (ULONG i = 0; i < n; i++)
		if (!mapix_tabledata_find_index(td, lpSRowSet->aRow[i].cValues, lpSRowSet->aRow[i].lpProps))
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrModifyRows: row %u has no index column 0x%08X",
			                   (unsigned)i, (unsigned)td->ulIndexTag);
	if (n == 0)
		return S_OK;
	/* Copy everything first, so running out of memory changes nothing. */
	fresh = calloc(n, sizeof *fresh);
	ch = calloc(n, sizeof *ch);
	if (!fresh || !ch) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData::HrModifyRows: out of memory");
		goto out;
	}
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++)
		hr = td_copy_row(td, &lpSRowSet->aRow[i], &fresh[i]);
	if (FAILED(hr))
		goto out;

	mapix_tabledata_lock(td);
	hr = td_reserve_rows(td, td->cRows + n);
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++) {
		hr = td_store(td, fresh[i], &ch[cch]);
		if (SUCCEEDED(hr)) {
			fresh[i] = NULL; /* stored (or merged and freed) */
			BOOL dup = FALSE; /* the same row twice in one call is one change */
			for (ULONG k = 0; k < cch; k++)
				dup |= ch[k].row == ch[cch].row;
			if (!dup)
				cch++;
		}
	}
	td_propagate(td, ch, cch, &q);
	mapix_tabledata_unlock(td);
	mapix_tableview_deliver(&q);
out:
	if (fresh)
		for (ULONG i = 0; i < n; i++)
			td_free_row(td, fresh[i]);
	free(fresh);
	free(ch);
	return hr;
}

static HRESULT td_HrModifyRow(ITableData *This, LPSRow lpSRow)
{
	SRowSet set;
	if (!lpSRow)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrModifyRow: NULL row");
	set.cRows = 1;
	set.aRow[0] = *lpSRow;
	return td_HrModifyRows(This, 0, &set);
}

static HRESULT td_HrInsertRow(ITableData *This, ULONG uliRow, LPSRow lpSRow)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_notifq q = {0};
	struct mapix_tdrow *row = NULL;
	struct mapix_rowchange ch;
	LPSPropValue idx;
	HRESULT hr;

	if (!lpSRow)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrInsertRow: NULL row");
	idx = mapix_tabledata_find_index(td, lpSRow->cValues, lpSRow->lpProps);
	if (!idx)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrInsertRow: the row has no index column 0x%08X",
		                   (unsigned)td->ulIndexTag);
	hr = td_copy_row(td, lpSRow, &row);
	if (FAILED(hr))
		return hr;
	mapix_tabledata_lock(td);
	if (uliRow > td->cRows) {
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrInsertRow: position %u is past the %u rows",
		                 (unsigned)uliRow, (unsigned)td->cRows);
	} else if (td_find_row(td, idx)) {
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrInsertRow: a row with this index value exists");
	} else {
		hr = td_reserve_rows(td, td->cRows + 1);
		if (SUCCEEDED(hr))
			hr = td_note_columns(td, row->cValues, row->lpProps);
	}
	if (SUCCEEDED(hr)) {
		memmove(&td->rows[uliRow + 1], &td->rows[uliRow], (td->cRows - uliRow) * sizeof *td->rows);
		td->rows[uliRow] = row;
		td->cRows++;
		td_renumber(td, uliRow);
		ch.row = row;
		ch.fDeleted = FALSE;
		row = NULL;
		td_propagate(td, &ch, 1, &q);
	}
	mapix_tabledata_unlock(td);
	mapix_tableview_deliver(&q);
	td_free_row(td, row);
	return hr;
}

static HRESULT td_HrDeleteRows(ITableData *This, ULONG ulFlags, LPSRowSet lprowsetToDelete, ULONG *cRowsDeleted)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_notifq q = {0};
	struct mapix_rowchange *ch;
	ULONG cch = 0, cap;

	if (ulFlags & ~TAD_ALL_ROWS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ITableData::HrDeleteRows: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(ulFlags & TAD_ALL_ROWS) && !lprowsetToDelete)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrDeleteRows: NULL row set");
	if (cRowsDeleted)
		*cRowsDeleted = 0;
	mapix_tabledata_lock(td);
	cap = (ulFlags & TAD_ALL_ROWS) ? td->cRows : lprowsetToDelete->cRows;
	ch = calloc(cap ? cap : 1, sizeof *ch);
	if (!ch) {
		mapix_tabledata_unlock(td);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ITableData::HrDeleteRows: out of memory");
	}
	if (ulFlags & TAD_ALL_ROWS) {
		for (ULONG i = 0; i < td->cRows; i++) {
			ch[cch].row = td->rows[i];
			ch[cch++].fDeleted = TRUE;
		}
		td->cRows = 0;
	} else {
		for (ULONG i = 0; i < lprowsetToDelete->cRows; i++) {
			const SRow *r = &lprowsetToDelete->aRow[i];
			LPSPropValue idx = mapix_tabledata_find_index(td, r->cValues, r->lpProps);
			struct mapix_tdrow *row = idx ? td_find_row(td, idx) : NULL;
			if (!row)
				continue; /* rows that are not there are simply not counted */
			td_unlink_row(td, row);
			ch[cch].row = row;
			ch[cch++].fDeleted = TRUE;
		}
	}
	td_propagate(td, ch, cch, &q);
	mapix_tabledata_unlock(td);
	mapix_tableview_deliver(&q);
	free(ch);
	if (cRowsDeleted)
		*cRowsDeleted = cch;
	return S_OK;
}

static HRESULT td_HrDeleteRow(ITableData *This, LPSPropValue lpSPropValue)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_notifq q = {0};
	struct mapix_rowchange ch;
	struct mapix_tdrow *row;

	if (!lpSPropValue || lpSPropValue->ulPropTag != td->ulIndexTag)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrDeleteRow: the value is not the index column 0x%08X",
		                   (unsigned)td->ulIndexTag);
	mapix_tabledata_lock(td);
	row = td_find_row(td, lpSPropValue);
	if (!row) {
		mapix_tabledata_unlock(td);
		return mapix_error(MAPI_E_NOT_FOUND, "ITableData::HrDeleteRow: no row has this index value");
	}
	td_unlink_row(td, row);
	ch.row = row;
	ch.fDeleted = TRUE;
	td_propagate(td, &ch, 1, &q);
	mapix_tabledata_unlock(td);
	mapix_tableview_deliver(&q);
	return S_OK;
}

/* One MAPIAllocateBuffer block holding an SRow and a copy of the values. */
static HRESULT td_export_row(const struct mapix_tdrow *row, LPSRow *lppSRow, const char *fn)
{
	LPSRow out = NULL;
	SCODE sc = MAPIAllocateBuffer(sizeof(SRow), (LPVOID *)&out);
	if (FAILED(sc))
		return mapix_error(sc, "%s: out of memory", fn);
	memset(out, 0, sizeof *out);
	sc = MAPIAllocateMore((row->cValues ? row->cValues : 1) * (ULONG)sizeof(SPropValue), out, (LPVOID *)&out->lpProps);
	for (ULONG i = 0; i < row->cValues && SUCCEEDED(sc); i++)
		sc = PropCopyMore(&out->lpProps[i], &row->lpProps[i], MAPIAllocateMore, out);
	if (FAILED(sc)) {
		MAPIFreeBuffer(out);
		return mapix_error(sc, "%s: cannot copy the row", fn);
	}
	out->cValues = row->cValues;
	*lppSRow = out;
	return S_OK;
}

static HRESULT td_HrQueryRow(ITableData *This, LPSPropValue lpsPropValue, LPSRow *lppSRow, ULONG *lpuliRow)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_tdrow *row;
	HRESULT hr;

	if (!lpsPropValue || !lppSRow || lpsPropValue->ulPropTag != td->ulIndexTag)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrQueryRow: the value is not the index column 0x%08X",
		                   (unsigned)td->ulIndexTag);
	*lppSRow = NULL;
	mapix_tabledata_lock(td);
	row = td_find_row(td, lpsPropValue);
	if (!row) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "ITableData::HrQueryRow: no row has this index value");
	} else {
		hr = td_export_row(row, lppSRow, "ITableData::HrQueryRow");
		if (SUCCEEDED(hr) && lpuliRow)
			*lpuliRow = row->ulPos;
	}
	mapix_tabledata_unlock(td);
	return hr;
}

static HRESULT td_HrEnumRow(ITableData *This, ULONG ulRowNumber, LPSRow *lppSRow)
{
	struct mapix_tabledata *td = td_from(This);
	HRESULT hr = S_OK;

	if (!lppSRow)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrEnumRow: NULL result");
	*lppSRow = NULL;
	mapix_tabledata_lock(td);
	if (ulRowNumber < td->cRows)
		hr = td_export_row(td->rows[ulRowNumber], lppSRow, "ITableData::HrEnumRow");
	mapix_tabledata_unlock(td);
	return hr;
}

static HRESULT td_HrNotify(ITableData *This, ULONG ulFlags, ULONG cValues, LPSPropValue lpSPropValue)
{
	struct mapix_tabledata *td = td_from(This);
	struct mapix_notifq q = {0};
	struct mapix_tdrow *row;
	LPSPropValue idx;

	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ITableData::HrNotify: flags must be 0");
	idx = mapix_tabledata_find_index(td, cValues, lpSPropValue);
	if (!idx)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ITableData::HrNotify: the values have no index column 0x%08X",
		                   (unsigned)td->ulIndexTag);
	mapix_tabledata_lock(td);
	row = td_find_row(td, idx);
	if (row)
		for (struct mapix_tableview *v = td->views; v; v = v->next)
			mapix_tableview_notify_values(v, row, cValues, lpSPropValue, &q);
	mapix_tabledata_unlock(td);
	mapix_tableview_deliver(&q);
	return row ? S_OK : mapix_error(MAPI_E_NOT_FOUND, "ITableData::HrNotify: no row has this index value");
}

static const ITableDataVtbl td_vtbl = {
	td_QueryInterface, td_AddRef,     td_Release,    td_HrGetView,    td_HrModifyRow,   td_HrDeleteRow,
	td_HrQueryRow,     td_HrEnumRow,  td_HrNotify,   td_HrInsertRow,  td_HrModifyRows,  td_HrDeleteRows,
};

STDAPI_(SCODE) CreateTable(LPCIID lpInterface, ALLOCATEBUFFER *lpAllocateBuffer, ALLOCATEMORE *lpAllocateMore,
                           FREEBUFFER *lpFreeBuffer, LPVOID lpvReserved, ULONG ulTableType,
                           ULONG ulPropTagIndexColumn, LPSPropTagArray lpSPropTagArrayColumns,
                           LPTABLEDATA *lppTableData)
{
	struct mapix_tabledata *td;
	HRESULT hr;

	if (!lppTableData || !lpAllocateBuffer || !lpAllocateMore || !lpFreeBuffer || !lpSPropTagArrayColumns)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateTable: NULL allocator, column set or result");
	*lppTableData = NULL;
	if (lpInterface && !IsEqualIID(lpInterface, &IID_IMAPITableData))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "CreateTable: only IID_IMAPITableData is supported");
	if (ulTableType > TBLTYPE_DYNAMIC)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateTable: unknown table type %u", (unsigned)ulTableType);
	if (PROP_TYPE(ulPropTagIndexColumn) == PT_ERROR || PROP_TYPE(ulPropTagIndexColumn) == PT_UNSPECIFIED ||
	    (PROP_TYPE(ulPropTagIndexColumn) & MV_FLAG))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateTable: 0x%08X cannot be an index column",
		                   (unsigned)ulPropTagIndexColumn);
	hr = mapix_tableview_check_columns(lpSPropTagArrayColumns, "CreateTable");
	if (FAILED(hr))
		return hr;

	td = calloc(1, sizeof *td);
	if (!td)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateTable: out of memory");
	td->itf.lpVtbl = &td_vtbl;
	atomic_init(&td->cRef, 1);
	pthread_mutex_init(&td->lock, NULL);
	td->lpAllocateBuffer = lpAllocateBuffer;
	td->lpAllocateMore = lpAllocateMore;
	td->lpFreeBuffer = lpFreeBuffer;
	td->ulTableType = ulTableType;
	td->ulIndexTag = ulPropTagIndexColumn;
	td->capCols = lpSPropTagArrayColumns->cValues;
	td->aulCols = malloc(td->capCols * sizeof(ULONG));
	if (!td->aulCols) {
		pthread_mutex_destroy(&td->lock);
		free(td);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateTable: out of memory");
	}
	for (ULONG i = 0; i < lpSPropTagArrayColumns->cValues; i++) {
		ULONG tag = lpSPropTagArrayColumns->aulPropTag[i], j;
		for (j = 0; j < td->cCols && td->aulCols[j] != tag; j++)
			;
		if (j == td->cCols)
			td->aulCols[td->cCols++] = tag;
	}
	*lppTableData = &td->itf;
	return S_OK;
}
