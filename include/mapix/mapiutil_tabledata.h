/*
 * mapiutil_tabledata.h — ITableData and CreateTable, as Windows mapiutil.h
 * declares them: a table data object holds rows in memory (identified by an
 * index column, typically PR_INSTANCE_KEY) and hands out IMAPITable views of
 * them. Providers use it for small tables (status, provider, recipient and
 * attachment tables of unsaved messages); the store's folder tables run in
 * SQL instead. Included by mapiutil.h.
 *
 * mapix behaviour worth knowing (src/core/tabledata.c, tableview*.c):
 *  - Thread-safe: one mutex guards the rows and every view of them.
 *  - Views evaluate restrictions with the one evaluator (mapixrestrict.h),
 *    sort with LPropCompareProp (several keys, ascending or descending;
 *    ties keep the data's row order), and keep bookmarks by index-column
 *    value, so a bookmark follows its row through changes. A bookmark
 *    whose row is gone resolves to where the row was and returns
 *    MAPI_W_POSITION_CHANGED.
 *  - Categorized sorts (cCategories > 0), TABLE_SORT_COMBINE and
 *    multi-valued instance (MV_INSTANCE) columns or sort keys are
 *    MAPI_E_TOO_COMPLEX; ExpandRow, CollapseRow, GetCollapseState and
 *    SetCollapseState return MAPI_E_NO_SUPPORT (categories are a store
 *    table feature).
 *  - Notifications: views advised with fnevTableModified receive
 *    TABLE_ROW_ADDED / TABLE_ROW_DELETED / TABLE_ROW_MODIFIED (row in the
 *    view's columns, propPrior = index value of the row before it, or
 *    PR_NULL at the top), and TABLE_CHANGED when one call changes more than
 *    eight rows or when the view's restriction contains RES_COUNT. They are
 *    delivered synchronously on the modifying thread after the table's lock
 *    is released, so a sink may call back into the table.
 *  - Rows returned by QueryRows are allocated so that FreeProws frees them;
 *    HrQueryRow and HrEnumRow return one MAPIAllocateBuffer block.
 *  - HrInsertRow's uliRow is the new row's position in insertion order
 *    (0 = first, the row count = append).
 */
#ifndef MAPIX_MAPIUTIL_TABLEDATA_H
#define MAPIX_MAPIUTIL_TABLEDATA_H

#include <mapix/mapidefs.h>

MAPIX_BEGIN_DECLS

typedef struct ITableData ITableData;
typedef ITableData *LPTABLEDATA;

/* Called when a view made by HrGetView is released (its last Release). */
typedef void(STDAPICALLTYPE CALLERRELEASE)(ULONG ulCallerData, LPTABLEDATA lpTblData, LPMAPITABLE lpVue);

/* HrDeleteRows */
#define TAD_ALL_ROWS ((ULONG)0x00000001)

/* ITableData : IUnknown */
typedef struct ITableDataVtbl {
	HRESULT (*QueryInterface)(ITableData *This, REFIID riid, LPVOID *ppvObj);
	ULONG (*AddRef)(ITableData *This);
	ULONG (*Release)(ITableData *This);
	HRESULT (*HrGetView)(ITableData *This, LPSSortOrderSet lpSSortOrderSet, CALLERRELEASE *lpfCallerRelease,
	                     ULONG ulCallerData, LPMAPITABLE *lppMAPITable);
	HRESULT (*HrModifyRow)(ITableData *This, LPSRow lpSRow);
	HRESULT (*HrDeleteRow)(ITableData *This, LPSPropValue lpSPropValue);
	HRESULT (*HrQueryRow)(ITableData *This, LPSPropValue lpsPropValue, LPSRow *lppSRow, ULONG *lpuliRow);
	HRESULT (*HrEnumRow)(ITableData *This, ULONG ulRowNumber, LPSRow *lppSRow);
	HRESULT (*HrNotify)(ITableData *This, ULONG ulFlags, ULONG cValues, LPSPropValue lpSPropValue);
	HRESULT (*HrInsertRow)(ITableData *This, ULONG uliRow, LPSRow lpSRow);
	HRESULT (*HrModifyRows)(ITableData *This, ULONG ulFlags, LPSRowSet lpSRowSet);
	HRESULT (*HrDeleteRows)(ITableData *This, ULONG ulFlags, LPSRowSet lprowsetToDelete, ULONG *cRowsDeleted);
} ITableDataVtbl;
struct ITableData {
	const ITableDataVtbl *lpVtbl;
};
#define ITableData_QueryInterface(This, a1, a2) ((This)->lpVtbl->QueryInterface((This), a1, a2))
#define ITableData_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ITableData_Release(This) ((This)->lpVtbl->Release(This))
#define ITableData_HrGetView(This, a1, a2, a3, a4) ((This)->lpVtbl->HrGetView((This), a1, a2, a3, a4))
#define ITableData_HrModifyRow(This, a1) ((This)->lpVtbl->HrModifyRow((This), a1))
#define ITableData_HrDeleteRow(This, a1) ((This)->lpVtbl->HrDeleteRow((This), a1))
#define ITableData_HrQueryRow(This, a1, a2, a3) ((This)->lpVtbl->HrQueryRow((This), a1, a2, a3))
#define ITableData_HrEnumRow(This, a1, a2) ((This)->lpVtbl->HrEnumRow((This), a1, a2))
#define ITableData_HrNotify(This, a1, a2, a3) ((This)->lpVtbl->HrNotify((This), a1, a2, a3))
#define ITableData_HrInsertRow(This, a1, a2) ((This)->lpVtbl->HrInsertRow((This), a1, a2))
#define ITableData_HrModifyRows(This, a1, a2) ((This)->lpVtbl->HrModifyRows((This), a1, a2))
#define ITableData_HrDeleteRows(This, a1, a2, a3) ((This)->lpVtbl->HrDeleteRows((This), a1, a2, a3))

/*
 * Creates a table data object. lpInterface must be NULL or
 * IID_IMAPITableData; the three allocator functions are required (the
 * table's own copies of the rows are made with them; rows handed to callers
 * always come from MAPIAllocateBuffer, so FreeProws frees them).
 * ulTableType is TBLTYPE_SNAPSHOT, TBLTYPE_KEYSET or TBLTYPE_DYNAMIC and is
 * reported by the views' GetStatus. lpSPropTagArrayColumns is the views'
 * initial column set.
 */
STDAPI_(SCODE) CreateTable(LPCIID lpInterface, ALLOCATEBUFFER *lpAllocateBuffer, ALLOCATEMORE *lpAllocateMore,
                           FREEBUFFER *lpFreeBuffer, LPVOID lpvReserved, ULONG ulTableType,
                           ULONG ulPropTagIndexColumn, LPSPropTagArray lpSPropTagArrayColumns,
                           LPTABLEDATA *lppTableData);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIUTIL_TABLEDATA_H */
