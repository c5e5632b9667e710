/*
 * test_tabledata.c — CreateTable, ITableData and the IMAPITable views it
 * hands out (src/core/tabledata.c, tableview.c, tableview_rows.c): row
 * insertion, modification and deletion; columns; multi-key sorts;
 * restrictions; seeking and querying forward and backward; bookmarks that
 * follow their rows; FindRow both ways; notifications to an advise sink;
 * HrQueryAllRows on a view; concurrent use from several threads.
 */
#include <pthread.h>
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixrestrict.h>

#include "testutil.h"

#define PR_X_ID PROP_TAG(PT_LONG, 0x6701)
#define PR_X_NAME PROP_TAG(PT_UNICODE, 0x6702)
#define PR_X_NAME_A PROP_TAG(PT_STRING8, 0x6702)
#define PR_X_NUM PROP_TAG(PT_LONG, 0x6703)
#define PR_X_GROUP PROP_TAG(PT_STRING8, 0x6704)
#define PR_X_EXTRA PROP_TAG(PT_LONG, 0x6705)
#define PR_X_MISSING PROP_TAG(PT_BINARY, 0x6706)


SizedSPropTagArray(4, default_cols) = {4, {PR_X_ID, PR_X_NAME, PR_X_NUM, PR_X_GROUP}};

static LPTABLEDATA new_table(void)
{
	LPTABLEDATA td = NULL;
	assert_int_equal(CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
	                             TBLTYPE_DYNAMIC, PR_X_ID, (LPSPropTagArray)&default_cols, &td),
	                 S_OK);
	assert_non_null(td);
	return td;
}

static void put_row(LPTABLEDATA td, LONG id, const char *name, LONG num, const char *group)
{
	WCHAR wname[32];
	mapix_utf8_to_utf16_buf(name, strlen(name), wname, 32);
	SPropValue p[4];
	memset(p, 0, sizeof p);
	p[0].ulPropTag = PR_X_ID;
	p[0].Value.l = id;
	p[1].ulPropTag = PR_X_NAME;
	p[1].Value.lpszW = wname;
	p[2].ulPropTag = PR_X_NUM;
	p[2].Value.l = num;
	p[3].ulPropTag = PR_X_GROUP;
	p[3].Value.lpszA = (LPSTR)group;
	SRow row = {0, 4, p};
	assert_int_equal(ITableData_HrModifyRow(td, &row), S_OK);
}

/* The standard six rows. */
static LPTABLEDATA six_rows(void)
{
	LPTABLEDATA td = new_table();
	put_row(td, 1, "one", 10, "b");
	put_row(td, 2, "two", 20, "a");
	put_row(td, 3, "three", 30, "b");
	put_row(td, 4, "four", 40, "a");
	put_row(td, 5, "five", 50, "c");
	put_row(td, 6, "six", 60, "a");
	return td;
}

static LPMAPITABLE view_of(LPTABLEDATA td)
{
	LPMAPITABLE v = NULL;
	assert_int_equal(ITableData_HrGetView(td, NULL, NULL, 0, &v), S_OK);
	assert_non_null(v);
	return v;
}

/* Reads n rows (QueryRows(n, flags)) and puts their PR_X_ID in ids; returns the count. */
static ULONG query_ids(LPMAPITABLE v, LONG n, ULONG flags, LONG *ids)
{
	LPSRowSet rs = NULL;
	assert_int_equal(IMAPITable_QueryRows(v, n, flags, &rs), S_OK);
	assert_non_null(rs);
	ULONG c = rs->cRows;
	for (ULONG i = 0; i < c; i++) {
		LPSPropValue p = PpropFindProp(rs->aRow[i].lpProps, rs->aRow[i].cValues, PR_X_ID);
		assert_non_null(p);
		ids[i] = p->Value.l;
	}
	FreeProws(rs);
	return c;
}

static void expect_ids(LPMAPITABLE v, LONG n, ULONG flags, const LONG *expect, ULONG cexpect)
{
	LONG ids[64];
	ULONG c = query_ids(v, n, flags, ids);
	assert_int_equal(c, cexpect);
	for (ULONG i = 0; i < c; i++)
		assert_int_equal(ids[i], expect[i]);
}

static ULONG position(LPMAPITABLE v)
{
	ULONG row, num, den;
	assert_int_equal(IMAPITable_QueryPosition(v, &row, &num, &den), S_OK);
	return row;
}

static SRestriction prop_res(ULONG relop, ULONG tag, SPropValue *val)
{
	SRestriction r = {0};
	r.rt = RES_PROPERTY;
	r.res.resProperty.relop = relop;
	r.res.resProperty.ulPropTag = tag;
	r.res.resProperty.lpProp = val;
	return r;
}

static SPropValue lval(ULONG tag, LONG l)
{
	SPropValue v = {0};
	v.ulPropTag = tag;
	v.Value.l = l;
	return v;
}

/* ---- creation and columns ---------------------------------------------------------------------------- */

static void test_create_and_columns(void **state)
{
	LPTABLEDATA td = NULL;
	static const IID other = {0x00020303, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
	assert_int_equal(CreateTable(NULL, NULL, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_DYNAMIC, PR_X_ID,
	                             (LPSPropTagArray)&default_cols, &td),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(CreateTable(&other, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_DYNAMIC,
	                             PR_X_ID, (LPSPropTagArray)&default_cols, &td),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_int_equal(CreateTable(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_DYNAMIC,
	                             PR_X_ID, NULL, &td),
	                 MAPI_E_INVALID_PARAMETER);

	td = six_rows();
	LPVOID unk = NULL;
	assert_int_equal(ITableData_QueryInterface(td, &IID_IMAPITableData, &unk), S_OK);
	assert_ptr_equal(unk, td);
	ITableData_Release(td);
	assert_int_equal(ITableData_QueryInterface(td, &IID_IMAPITable, &unk), MAPI_E_INTERFACE_NOT_SUPPORTED);

	LPMAPITABLE v = view_of(td);
	assert_int_equal(IMAPITable_QueryInterface(v, &IID_IMAPITable, &unk), S_OK);
	IMAPITable_Release((LPMAPITABLE)unk);
	ULONG status, type, count;
	assert_int_equal(IMAPITable_GetStatus(v, &status, &type), S_OK);
	assert_int_equal(status, TBLSTAT_COMPLETE);
	assert_int_equal(type, TBLTYPE_DYNAMIC);
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 6);

	LPSPropTagArray cols = NULL;
	assert_int_equal(IMAPITable_QueryColumns(v, 0, &cols), S_OK);
	assert_int_equal(cols->cValues, 4);
	assert_int_equal(cols->aulPropTag[2], PR_X_NUM);
	MAPIFreeBuffer(cols);

	/* Asked-for columns: one missing (PT_ERROR / MAPI_E_NOT_FOUND), one in the other string width. */
	SizedSPropTagArray(3, mine) = {3, {PR_X_MISSING, PR_X_NAME_A, PR_X_ID}};
	assert_int_equal(IMAPITable_SetColumns(v, (LPSPropTagArray)&mine, 0), S_OK);
	LPSRowSet rs = NULL;
	assert_int_equal(IMAPITable_QueryRows(v, 1, 0, &rs), S_OK);
	assert_int_equal(rs->cRows, 1);
	assert_int_equal(rs->aRow[0].cValues, 3);
	assert_int_equal(rs->aRow[0].lpProps[0].ulPropTag, PROP_TAG(PT_ERROR, 0x6706));
	assert_int_equal(rs->aRow[0].lpProps[0].Value.err, MAPI_E_NOT_FOUND);
	assert_int_equal(rs->aRow[0].lpProps[1].ulPropTag, PR_X_NAME_A);
	assert_string_equal(rs->aRow[0].lpProps[1].Value.lpszA, "one");
	assert_int_equal(rs->aRow[0].lpProps[2].Value.l, 1);
	FreeProws(rs);
	assert_int_equal(IMAPITable_QueryColumns(v, 0, &cols), S_OK);
	assert_int_equal(cols->cValues, 3);
	assert_int_equal(cols->aulPropTag[0], PR_X_MISSING);
	MAPIFreeBuffer(cols);
	assert_int_equal(IMAPITable_SetColumns(v, NULL, 0), MAPI_E_INVALID_PARAMETER);
	SizedSPropTagArray(1, mvi) = {1, {MVI_PROP(PROP_TAG(PT_MV_LONG, 0x6707))}};
	assert_int_equal(IMAPITable_SetColumns(v, (LPSPropTagArray)&mvi, 0), MAPI_E_TOO_COMPLEX);

	/* A row bringing a new column: all-columns lists it, this view's set does
	 * not change, later views include it. */
	SPropValue p[2] = {lval(PR_X_ID, 7), lval(PR_X_EXTRA, 77)};
	SRow row = {0, 2, p};
	assert_int_equal(ITableData_HrModifyRow(td, &row), S_OK);
	assert_int_equal(IMAPITable_QueryColumns(v, TBL_ALL_COLUMNS, &cols), S_OK);
	assert_int_equal(cols->cValues, 5);
	assert_int_equal(cols->aulPropTag[4], PR_X_EXTRA);
	MAPIFreeBuffer(cols);
	assert_int_equal(IMAPITable_QueryColumns(v, 0, &cols), S_OK);
	assert_int_equal(cols->cValues, 3);
	MAPIFreeBuffer(cols);
	LPMAPITABLE v2 = view_of(td);
	assert_int_equal(IMAPITable_QueryColumns(v2, 0, &cols), S_OK);
	assert_int_equal(cols->cValues, 5);
	MAPIFreeBuffer(cols);

	/* GetLastError reports the last failure. */
	LPMAPIERROR err = NULL;
	assert_int_equal(IMAPITable_SetColumns(v, NULL, 0), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IMAPITable_GetLastError(v, MAPI_E_INVALID_PARAMETER, 0, &err), S_OK);
	assert_non_null(err);
	MAPIFreeBuffer(err);

	IMAPITable_Release(v2);
	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- sorting and restricting ------------------------------------------------------------------------------ */

static void test_sort_and_restrict(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	static const LONG unsorted[] = {1, 2, 3, 4, 5, 6};
	expect_ids(v, 10, 0, unsorted, 6);

	/* Group ascending, then number descending. */
	SizedSSortOrderSet(2, sort) = {2, 0, 0, {{PR_X_GROUP, TABLE_SORT_ASCEND}, {PR_X_NUM, TABLE_SORT_DESCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&sort, 0), S_OK);
	assert_int_equal(position(v), 0);
	static const LONG sorted[] = {6, 4, 2, 3, 1, 5};
	expect_ids(v, 10, 0, sorted, 6);
	LPSSortOrderSet got = NULL;
	assert_int_equal(IMAPITable_QuerySortOrder(v, &got), S_OK);
	assert_int_equal(got->cSorts, 2);
	assert_int_equal(got->aSort[1].ulPropTag, PR_X_NUM);
	assert_int_equal(got->aSort[1].ulOrder, TABLE_SORT_DESCEND);
	MAPIFreeBuffer(got);

	/* Restrict keeps the sort; NULL removes the restriction. */
	SPropValue k = lval(PR_X_NUM, 25);
	SRestriction r = prop_res(RELOP_GT, PR_X_NUM, &k);
	assert_int_equal(IMAPITable_Restrict(v, &r, 0), S_OK);
	ULONG count;
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 4);
	static const LONG restricted[] = {6, 4, 3, 5};
	expect_ids(v, 10, 0, restricted, 4);
	/* The view keeps its own copy of the restriction. */
	k.Value.l = 1000;
	put_row(td, 8, "eight", 45, "b");
	static const LONG restricted2[] = {6, 4, 8, 3, 5};
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 0, NULL), S_OK);
	expect_ids(v, 10, 0, restricted2, 5);
	assert_int_equal(IMAPITable_Restrict(v, NULL, 0), S_OK);
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 7);

	/* Name descending (wide strings, code-point order). */
	SizedSSortOrderSet(1, byname) = {1, 0, 0, {{PR_X_NAME, TABLE_SORT_DESCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&byname, 0), S_OK);
	static const LONG names_desc[] = {2, 3, 6, 1, 4, 5, 8}; /* two three six one four five eight */
	expect_ids(v, 10, 0, names_desc, 7);

	/* RES_COUNT admits the first matches in view order. */
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_ASCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0), S_OK);
	SPropValue twenty = lval(PR_X_NUM, 20);
	SRestriction ge = prop_res(RELOP_GE, PR_X_NUM, &twenty), cnt = {0};
	cnt.rt = RES_COUNT;
	cnt.res.resCount.ulCount = 2;
	cnt.res.resCount.lpRes = &ge;
	assert_int_equal(IMAPITable_Restrict(v, &cnt, 0), S_OK);
	static const LONG counted[] = {2, 3};
	expect_ids(v, 10, 0, counted, 2);
	/* A new row that sorts first takes one of the two places. */
	put_row(td, 9, "nine", 19, "z");
	put_row(td, 9, "nine", 21, "z");
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 0, NULL), S_OK);
	static const LONG counted2[] = {2, 9};
	expect_ids(v, 10, 0, counted2, 2);

	/* What in-memory tables refuse. */
	SizedSSortOrderSet(1, categ) = {1, 1, 1, {{PR_X_GROUP, TABLE_SORT_ASCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&categ, 0), MAPI_E_TOO_COMPLEX);
	SizedSSortOrderSet(1, combine) = {1, 0, 0, {{PR_X_GROUP, TABLE_SORT_COMBINE}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&combine, 0), MAPI_E_TOO_COMPLEX);
	SRestriction sub = {0};
	sub.rt = RES_SUBRESTRICTION;
	sub.res.resSub.ulSubObject = PR_MESSAGE_RECIPIENTS;
	sub.res.resSub.lpRes = &ge;
	assert_int_equal(IMAPITable_Restrict(v, &sub, 0), MAPI_E_TOO_COMPLEX);
	SPropValue s = {0};
	s.ulPropTag = PR_X_GROUP;
	s.Value.lpszA = "a";
	SRestriction mismatch = prop_res(RELOP_EQ, PR_X_NUM, &s);
	assert_int_equal(IMAPITable_Restrict(v, &mismatch, 0), MAPI_E_TOO_COMPLEX);
	/* A refused restriction leaves the old one in place. */
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 2);
	assert_int_equal(IMAPITable_ExpandRow(v, 0, NULL, 0, 0, NULL, NULL), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMAPITable_CollapseRow(v, 0, NULL, 0, NULL), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMAPITable_GetCollapseState(v, 0, 0, NULL, NULL, NULL), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMAPITable_SetCollapseState(v, 0, 0, NULL, NULL), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMAPITable_Abort(v), S_OK);

	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* A sort on a view given to HrGetView. */
static void test_view_with_sort(void **state)
{
	LPTABLEDATA td = six_rows();
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_DESCEND}}};
	LPMAPITABLE v = NULL;
	assert_int_equal(ITableData_HrGetView(td, (LPSSortOrderSet)&bynum, NULL, 0, &v), S_OK);
	static const LONG desc[] = {6, 5, 4, 3, 2, 1};
	expect_ids(v, 10, 0, desc, 6);
	/* Rows without the sort key sort as the lowest values. */
	SPropValue p[1] = {lval(PR_X_ID, 7)};
	SRow row = {0, 1, p};
	assert_int_equal(ITableData_HrModifyRow(td, &row), S_OK);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 0, NULL), S_OK);
	static const LONG desc7[] = {6, 5, 4, 3, 2, 1, 7};
	expect_ids(v, 10, 0, desc7, 7);
	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- seeking and querying ------------------------------------------------------------------------------- */

static void test_seek_and_query(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	LPSRowSet rs = NULL;
	LONG sought = 0;
	ULONG row, num, den;

	static const LONG first2[] = {1, 2}, next2[] = {3, 4};
	expect_ids(v, 2, 0, first2, 2);
	assert_int_equal(position(v), 2);
	expect_ids(v, 2, TBL_NOADVANCE, next2, 2);
	assert_int_equal(IMAPITable_QueryPosition(v, &row, &num, &den), S_OK);
	assert_int_equal(row, 2);
	assert_int_equal(num, 2);
	assert_int_equal(den, 6);

	/* Backward: move back, read forward, stay on the first row read. */
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_END, -2, &sought), S_OK);
	assert_int_equal(sought, -2);
	assert_int_equal(position(v), 4);
	static const LONG back3[] = {2, 3, 4}, back_rest[] = {1};
	expect_ids(v, -3, 0, back3, 3);
	assert_int_equal(position(v), 1);
	expect_ids(v, -5, 0, back_rest, 1);
	assert_int_equal(position(v), 0);
	assert_int_equal(IMAPITable_QueryRows(v, -1, 0, &rs), S_OK);
	assert_int_equal(rs->cRows, 0);
	FreeProws(rs);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_CURRENT, 3, &sought), S_OK);
	static const LONG back_na[] = {3};
	expect_ids(v, -1, TBL_NOADVANCE, back_na, 1);
	assert_int_equal(position(v), 2);

	/* Seeks are clamped and say how far they went. */
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 100, &sought), S_OK);
	assert_int_equal(sought, 6);
	assert_int_equal(IMAPITable_QueryRows(v, 1, 0, &rs), S_OK);
	assert_int_equal(rs->cRows, 0);
	FreeProws(rs);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_CURRENT, -100, &sought), S_OK);
	assert_int_equal(sought, -6);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_END, 5, &sought), S_OK);
	assert_int_equal(sought, 0);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 1, NULL), S_OK);
	assert_int_equal(position(v), 1);

	/* Approximate positions. */
	assert_int_equal(IMAPITable_SeekRowApprox(v, 1, 2), S_OK);
	assert_int_equal(position(v), 3);
	assert_int_equal(IMAPITable_SeekRowApprox(v, 0, 3), S_OK);
	assert_int_equal(position(v), 0);
	assert_int_equal(IMAPITable_SeekRowApprox(v, 5, 4), S_OK);
	assert_int_equal(position(v), 6);
	assert_int_equal(IMAPITable_SeekRowApprox(v, 1, 0), MAPI_E_INVALID_PARAMETER);

	assert_int_equal(IMAPITable_QueryRows(v, 0, 0, &rs), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IMAPITable_QueryRows(v, 1, 0x100, &rs), MAPI_E_UNKNOWN_FLAGS);
	assert_int_equal(IMAPITable_SeekRow(v, (BOOKMARK)12345, 0, NULL), MAPI_E_INVALID_BOOKMARK);

	/* Rows returned are separate MAPIAllocateBuffer blocks: free one row early. */
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 0, NULL), S_OK);
	assert_int_equal(IMAPITable_QueryRows(v, 3, 0, &rs), S_OK);
	assert_int_equal(rs->cRows, 3);
	LPSRow second = &rs->aRow[0] + 1;
	MAPIFreeBuffer(second->lpProps);
	second->lpProps = NULL;
	second->cValues = 0;
	FreeProws(rs);

	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- bookmarks --------------------------------------------------------------------------------------------- */

static void test_bookmarks(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	BOOKMARK bk = 0, bkEnd = 0;
	static const LONG three[] = {3}, four[] = {4};

	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 2, NULL), S_OK);
	assert_int_equal(IMAPITable_CreateBookmark(v, &bk), S_OK);
	assert_true(bk > BOOKMARK_END);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_END, 0, NULL), S_OK);
	assert_int_equal(IMAPITable_CreateBookmark(v, &bkEnd), S_OK);
	assert_int_not_equal(bk, bkEnd);

	/* Rows inserted before it: the bookmark stays on its row. */
	SPropValue p[2] = {lval(PR_X_ID, 7), lval(PR_X_NUM, 70)};
	SRow row = {0, 2, p};
	assert_int_equal(ITableData_HrInsertRow(td, 0, &row), S_OK);
	assert_int_equal(IMAPITable_SeekRow(v, bk, 0, NULL), S_OK);
	assert_int_equal(position(v), 3);
	expect_ids(v, 1, TBL_NOADVANCE, three, 1);
	LONG sought;
	assert_int_equal(IMAPITable_SeekRow(v, bk, 1, &sought), S_OK);
	assert_int_equal(sought, 1);
	expect_ids(v, 1, TBL_NOADVANCE, four, 1);

	/* Its row deleted: the bookmark stands where the row was, and says so. */
	SPropValue id3 = lval(PR_X_ID, 3);
	assert_int_equal(ITableData_HrDeleteRow(td, &id3), S_OK);
	assert_int_equal(IMAPITable_SeekRow(v, bk, 0, NULL), MAPI_W_POSITION_CHANGED);
	assert_int_equal(position(v), 3);
	expect_ids(v, 1, TBL_NOADVANCE, four, 1);
	/* The row back (appended at the end): the bookmark finds it again. */
	put_row(td, 3, "three", 30, "b");
	assert_int_equal(IMAPITable_SeekRow(v, bk, 0, NULL), S_OK);
	assert_int_equal(position(v), 6);
	expect_ids(v, 1, TBL_NOADVANCE, three, 1);
	/* The end bookmark is the end, however many rows there are. */
	assert_int_equal(IMAPITable_SeekRow(v, bkEnd, -1, &sought), S_OK);
	assert_int_equal(sought, -1);
	expect_ids(v, 1, TBL_NOADVANCE, three, 1);

	/* Sorting and restricting do not invalidate bookmarks. */
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_DESCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0), S_OK);
	assert_int_equal(IMAPITable_SeekRow(v, bk, 0, NULL), S_OK);
	assert_int_equal(position(v), 4); /* 70 60 50 40 30 ... */
	expect_ids(v, 1, TBL_NOADVANCE, three, 1);

	assert_int_equal(IMAPITable_FreeBookmark(v, bk), S_OK);
	assert_int_equal(IMAPITable_FreeBookmark(v, bk), MAPI_E_INVALID_BOOKMARK);
	assert_int_equal(IMAPITable_SeekRow(v, bk, 0, NULL), MAPI_E_INVALID_BOOKMARK);
	assert_int_equal(IMAPITable_FreeBookmark(v, BOOKMARK_CURRENT), S_OK);
	/* bkEnd is freed with the view. */
	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- FindRow ------------------------------------------------------------------------------------------------ */

static void test_findrow(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	SPropValue thirty = lval(PR_X_NUM, 30), twenty = lval(PR_X_NUM, 20), none = lval(PR_X_NUM, 999);
	SRestriction ge30 = prop_res(RELOP_GE, PR_X_NUM, &thirty), le20 = prop_res(RELOP_LE, PR_X_NUM, &twenty);
	SRestriction eq999 = prop_res(RELOP_EQ, PR_X_NUM, &none);
	static const LONG i1[] = {1}, i2[] = {2}, i3[] = {3}, i4[] = {4};

	assert_int_equal(IMAPITable_FindRow(v, &ge30, BOOKMARK_BEGINNING, 0), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i3, 1);
	/* Forward searches include the origin row. */
	assert_int_equal(IMAPITable_FindRow(v, &ge30, BOOKMARK_CURRENT, 0), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i3, 1);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_CURRENT, 1, NULL), S_OK);
	assert_int_equal(IMAPITable_FindRow(v, &ge30, BOOKMARK_CURRENT, 0), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i4, 1);

	/* Backward searches start at the row before the origin. */
	assert_int_equal(IMAPITable_FindRow(v, &le20, BOOKMARK_END, DIR_BACKWARD), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i2, 1);
	assert_int_equal(IMAPITable_FindRow(v, &le20, BOOKMARK_CURRENT, DIR_BACKWARD), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i1, 1);
	assert_int_equal(IMAPITable_FindRow(v, &le20, BOOKMARK_CURRENT, DIR_BACKWARD), MAPI_E_NOT_FOUND);
	expect_ids(v, 1, TBL_NOADVANCE, i1, 1); /* not found: the cursor stays */
	assert_int_equal(IMAPITable_FindRow(v, &le20, BOOKMARK_BEGINNING, DIR_BACKWARD), MAPI_E_NOT_FOUND);
	assert_int_equal(IMAPITable_FindRow(v, &eq999, BOOKMARK_BEGINNING, 0), MAPI_E_NOT_FOUND);
	assert_int_equal(IMAPITable_FindRow(v, &ge30, BOOKMARK_END, 0), MAPI_E_NOT_FOUND);

	/* From a bookmark, in a sorted view. */
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_DESCEND}}};
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0), S_OK);
	BOOKMARK bk;
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 3, NULL), S_OK); /* id 3 (30) */
	assert_int_equal(IMAPITable_CreateBookmark(v, &bk), S_OK);
	assert_int_equal(IMAPITable_FindRow(v, &le20, bk, 0), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i2, 1);
	assert_int_equal(IMAPITable_FindRow(v, &ge30, bk, DIR_BACKWARD), S_OK);
	expect_ids(v, 1, TBL_NOADVANCE, i4, 1);
	/* Its row gone: the search still runs, from where it was, with the warning. */
	SPropValue id3 = lval(PR_X_ID, 3);
	assert_int_equal(ITableData_HrDeleteRow(td, &id3), S_OK);
	assert_int_equal(IMAPITable_FindRow(v, &le20, bk, 0), MAPI_W_POSITION_CHANGED);
	expect_ids(v, 1, TBL_NOADVANCE, i2, 1);
	assert_int_equal(IMAPITable_FindRow(v, NULL, BOOKMARK_BEGINNING, 0), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IMAPITable_FindRow(v, &le20, BOOKMARK_BEGINNING, 0x10), MAPI_E_UNKNOWN_FLAGS);

	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- notifications --------------------------------------------------------------------------------------------- */

struct test_sink {
	IMAPIAdviseSink itf;
	ULONG cRef;
	ULONG cEvents;
	ULONG lastEvent;
	LONG lastIndex;  /* PR_X_ID of propIndex, or -1 */
	LONG lastPrior;  /* PR_X_ID of propPrior, or -1 when PR_NULL */
	ULONG lastRowValues;
	LONG lastRowNum; /* PR_X_NUM in the row, or -1 */
	LPMAPITABLE view; /* called back from OnNotify */
	ULONG viewCount;
};

static HRESULT sink_qi(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG sink_addref(IMAPIAdviseSink *This)
{
	return ++((struct test_sink *)This)->cRef;
}

static ULONG sink_release(IMAPIAdviseSink *This)
{
	return --((struct test_sink *)This)->cRef;
}

static ULONG sink_notify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION n)
{
	struct test_sink *s = (struct test_sink *)This;
	for (ULONG i = 0; i < cNotif; i++) {
		assert_int_equal(n[i].ulEventType, fnevTableModified);
		const TABLE_NOTIFICATION *t = &n[i].info.tab;
		s->cEvents++;
		s->lastEvent = t->ulTableEvent;
		s->lastIndex = t->propIndex.ulPropTag == PR_X_ID ? t->propIndex.Value.l : -1;
		s->lastPrior = t->propPrior.ulPropTag == PR_X_ID ? t->propPrior.Value.l : -1;
		if (t->propPrior.ulPropTag != PR_X_ID)
			assert_int_equal(t->propPrior.ulPropTag, PR_NULL);
		s->lastRowValues = t->row.cValues;
		LPSPropValue num = t->row.cValues ? PpropFindProp(t->row.lpProps, t->row.cValues, PR_X_NUM) : NULL;
		s->lastRowNum = num ? num->Value.l : -1;
	}
	/* The table's lock is not held here: calling back into the view works. */
	if (s->view)
		assert_int_equal(IMAPITable_GetRowCount(s->view, 0, &s->viewCount), S_OK);
	return 0;
}

static const IMAPIAdviseSinkVtbl sink_vtbl = {sink_qi, sink_addref, sink_release, sink_notify};

static void test_notifications(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	struct test_sink sink = {{&sink_vtbl}, 1, 0, 0, 0, 0, 0, 0, NULL, 0};
	ULONG_PTR conn = 0;
	SizedSPropTagArray(2, cols) = {2, {PR_X_ID, PR_X_NUM}};
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_ASCEND}}};
	SPropValue twenty = lval(PR_X_NUM, 20);
	SRestriction ge20 = prop_res(RELOP_GE, PR_X_NUM, &twenty);

	assert_int_equal(IMAPITable_SetColumns(v, (LPSPropTagArray)&cols, 0), S_OK);
	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0), S_OK);
	assert_int_equal(IMAPITable_Restrict(v, &ge20, 0), S_OK);
	assert_int_equal(IMAPITable_Advise(v, fnevObjectCreated, &sink.itf, &conn), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IMAPITable_Advise(v, fnevTableModified, &sink.itf, &conn), S_OK);
	assert_int_equal(sink.cRef, 2);
	sink.view = v;

	/* A new row in the view: added, after the row with 30. */
	put_row(td, 10, "ten", 35, "x");
	assert_int_equal(sink.cEvents, 1);
	assert_int_equal(sink.lastEvent, TABLE_ROW_ADDED);
	assert_int_equal(sink.lastIndex, 10);
	assert_int_equal(sink.lastPrior, 3);
	assert_int_equal(sink.lastRowValues, 2);
	assert_int_equal(sink.lastRowNum, 35);
	assert_int_equal(sink.viewCount, 6);
	/* Changed so the restriction drops it: deleted from the view. */
	put_row(td, 10, "ten", 5, "x");
	assert_int_equal(sink.cEvents, 2);
	assert_int_equal(sink.lastEvent, TABLE_ROW_DELETED);
	assert_int_equal(sink.lastIndex, 10);
	assert_int_equal(sink.lastRowValues, 0);
	/* Changed back in, at the end: added after 60. */
	put_row(td, 10, "ten", 70, "x");
	assert_int_equal(sink.lastEvent, TABLE_ROW_ADDED);
	assert_int_equal(sink.lastPrior, 6);
	/* Changed while staying in: modified. */
	put_row(td, 10, "ten", 65, "x");
	assert_int_equal(sink.cEvents, 4);
	assert_int_equal(sink.lastEvent, TABLE_ROW_MODIFIED);
	assert_int_equal(sink.lastRowNum, 65);
	assert_int_equal(sink.lastPrior, 6);
	/* A row the restriction excludes, before and after: nothing. */
	put_row(td, 1, "one", 15, "b");
	assert_int_equal(sink.cEvents, 4);
	put_row(td, 11, "eleven", 25, "x");
	assert_int_equal(sink.cEvents, 5);
	assert_int_equal(sink.lastEvent, TABLE_ROW_ADDED);
	assert_int_equal(sink.lastPrior, 2);
	/* The row at the top: propPrior is PR_NULL. */
	put_row(td, 2, "two", 20, "a");
	assert_int_equal(sink.cEvents, 6);
	assert_int_equal(sink.lastEvent, TABLE_ROW_MODIFIED);
	assert_int_equal(sink.lastIndex, 2);
	assert_int_equal(sink.lastPrior, -1);
	/* HrNotify: a modified event with the values given. */
	SPropValue nv[2] = {lval(PR_X_ID, 4), lval(PR_X_NUM, 44)};
	assert_int_equal(ITableData_HrNotify(td, 0, 2, nv), S_OK);
	assert_int_equal(sink.cEvents, 7);
	assert_int_equal(sink.lastEvent, TABLE_ROW_MODIFIED);
	assert_int_equal(sink.lastIndex, 4);
	assert_int_equal(sink.lastRowNum, 44);
	/* Deleted. */
	SPropValue id10 = lval(PR_X_ID, 10);
	assert_int_equal(ITableData_HrDeleteRow(td, &id10), S_OK);
	assert_int_equal(sink.cEvents, 8);
	assert_int_equal(sink.lastEvent, TABLE_ROW_DELETED);
	assert_int_equal(sink.lastIndex, 10);
	assert_int_equal(ITableData_HrDeleteRow(td, &id10), MAPI_E_NOT_FOUND);
	assert_int_equal(sink.cEvents, 8);

	/* More than eight rows in one call: one TABLE_CHANGED. */
	SPropValue many[9][2];
	SRow mrows[9];
	for (int i = 0; i < 9; i++) {
		many[i][0] = lval(PR_X_ID, 20 + i);
		many[i][1] = lval(PR_X_NUM, 100 + i);
		mrows[i].ulAdrEntryPad = 0;
		mrows[i].cValues = 2;
		mrows[i].lpProps = many[i];
	}
	LPSRowSet set = NULL;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewSRowSet(9), (LPVOID *)&set), S_OK);
	set->cRows = 9;
	memcpy(set->aRow, mrows, sizeof mrows);
	assert_int_equal(ITableData_HrModifyRows(td, 0, set), S_OK);
	assert_int_equal(sink.cEvents, 9);
	assert_int_equal(sink.lastEvent, TABLE_CHANGED);
	assert_int_equal(sink.lastIndex, -1);
	ULONG count;
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 15); /* 2..6, 11, 20..28 */
	/* Two rows in one call: two row events. */
	set->cRows = 2;
	LPSRow srows = set->aRow;
	srows[0].lpProps[1].Value.l = 200;
	srows[1].lpProps[1].Value.l = 201;
	assert_int_equal(ITableData_HrModifyRows(td, 0, set), S_OK);
	assert_int_equal(sink.cEvents, 11);
	assert_int_equal(sink.lastEvent, TABLE_ROW_MODIFIED);
	MAPIFreeBuffer(set);

	/* Deleting everything (more than eight rows): TABLE_CHANGED. */
	ULONG deleted = 0;
	assert_int_equal(ITableData_HrDeleteRows(td, TAD_ALL_ROWS, NULL, &deleted), S_OK);
	assert_int_equal(deleted, 16);
	assert_int_equal(sink.cEvents, 12);
	assert_int_equal(sink.lastEvent, TABLE_CHANGED);
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(count, 0);
	assert_int_equal(position(v), 0);

	/* After Unadvise: silence, and the sink is released. */
	assert_int_equal(IMAPITable_Unadvise(v, conn), S_OK);
	assert_int_equal(sink.cRef, 1);
	put_row(td, 1, "one", 50, "b");
	assert_int_equal(sink.cEvents, 12);
	assert_int_equal(IMAPITable_Unadvise(v, conn), MAPI_E_NOT_FOUND);

	/* A sink still advised when the view goes is released with it. */
	assert_int_equal(IMAPITable_Advise(v, fnevTableModified, &sink.itf, &conn), S_OK);
	sink.view = NULL;
	IMAPITable_Release(v);
	assert_int_equal(sink.cRef, 1);
	ITableData_Release(td);
}

/* The cursor stays on its row while rows come and go around it. */
static void test_cursor_follows_row(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = view_of(td);
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_ASCEND}}};
	SPropValue thirty = lval(PR_X_NUM, 30);
	SRestriction eq30 = prop_res(RELOP_EQ, PR_X_NUM, &thirty);
	static const LONG i3[] = {3}, i6[] = {6};

	assert_int_equal(IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0), S_OK);
	assert_int_equal(IMAPITable_FindRow(v, &eq30, BOOKMARK_BEGINNING, 0), S_OK);
	assert_int_equal(position(v), 2);
	put_row(td, 7, "seven", 15, "x"); /* sorts before the cursor */
	assert_int_equal(position(v), 3);
	expect_ids(v, 1, TBL_NOADVANCE, i3, 1);
	SPropValue id1 = lval(PR_X_ID, 1);
	assert_int_equal(ITableData_HrDeleteRow(td, &id1), S_OK); /* before the cursor */
	assert_int_equal(position(v), 2);
	expect_ids(v, 1, TBL_NOADVANCE, i3, 1);
	put_row(td, 8, "eight", 99, "x"); /* after the cursor */
	assert_int_equal(position(v), 2);
	put_row(td, 3, "three", 55, "b"); /* the cursor's row moves: the cursor goes with it */
	assert_int_equal(position(v), 4);
	expect_ids(v, 1, TBL_NOADVANCE, i3, 1);
	SPropValue id3 = lval(PR_X_ID, 3);
	assert_int_equal(ITableData_HrDeleteRow(td, &id3), S_OK); /* the cursor's row: next row takes its place */
	assert_int_equal(position(v), 4);
	expect_ids(v, 1, TBL_NOADVANCE, i6, 1);
	/* At the end, the cursor stays at the end. */
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_END, 0, NULL), S_OK);
	put_row(td, 9, "nine", 1, "x");
	ULONG count;
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	assert_int_equal(position(v), count);

	/* Nine rows in one call (the rebuilding path): the cursor keeps its row. */
	SPropValue sixty = lval(PR_X_NUM, 60);
	SRestriction eq60 = prop_res(RELOP_EQ, PR_X_NUM, &sixty);
	assert_int_equal(IMAPITable_FindRow(v, &eq60, BOOKMARK_BEGINNING, 0), S_OK);
	ULONG before = position(v);
	SPropValue many[9][2];
	LPSRowSet set = NULL;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewSRowSet(9), (LPVOID *)&set), S_OK);
	LPSRow srows = set->aRow;
	set->cRows = 9;
	for (int i = 0; i < 9; i++) {
		many[i][0] = lval(PR_X_ID, 100 + i);
		many[i][1] = lval(PR_X_NUM, i); /* all sort before 60 */
		srows[i].ulAdrEntryPad = 0;
		srows[i].cValues = 2;
		srows[i].lpProps = many[i];
	}
	assert_int_equal(ITableData_HrModifyRows(td, 0, set), S_OK);
	assert_int_equal(position(v), before + 9);
	expect_ids(v, 1, TBL_NOADVANCE, i6, 1);
	/* ...and when its row goes in such a call, it keeps its position: eight
	 * rows before it go too, so it moves up by eight. */
	SPropValue id6 = lval(PR_X_ID, 6);
	for (int i = 0; i < 8; i++) {
		srows[i].cValues = 1;
		srows[i].lpProps = &many[i][0];
	}
	srows[8].cValues = 1;
	srows[8].lpProps = &id6;
	ULONG deleted = 0;
	assert_int_equal(ITableData_HrDeleteRows(td, 0, set, &deleted), S_OK);
	assert_int_equal(deleted, 9);
	assert_int_equal(position(v), before + 9 - 8);
	static const LONG i8[] = {8};
	expect_ids(v, 1, TBL_NOADVANCE, i8, 1); /* 60 was followed by 99 */
	MAPIFreeBuffer(set);
	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- ITableData's own row access ---------------------------------------------------------------------------- */

static void test_tabledata_rows(void **state)
{
	LPTABLEDATA td = six_rows();
	LPSRow row = NULL;
	ULONG pos = 99;
	SPropValue id4 = lval(PR_X_ID, 4), id99 = lval(PR_X_ID, 99), num = lval(PR_X_NUM, 4);

	assert_int_equal(ITableData_HrQueryRow(td, &id4, &row, &pos), S_OK);
	assert_int_equal(pos, 3);
	assert_int_equal(row->cValues, 4);
	assert_int_equal(PpropFindProp(row->lpProps, row->cValues, PR_X_NUM)->Value.l, 40);
	MAPIFreeBuffer(row); /* one block */
	assert_int_equal(ITableData_HrQueryRow(td, &id99, &row, NULL), MAPI_E_NOT_FOUND);
	assert_int_equal(ITableData_HrQueryRow(td, &num, &row, NULL), MAPI_E_INVALID_PARAMETER);

	for (ULONG i = 0; i < 6; i++) {
		assert_int_equal(ITableData_HrEnumRow(td, i, &row), S_OK);
		assert_non_null(row);
		assert_int_equal(PpropFindProp(row->lpProps, row->cValues, PR_X_ID)->Value.l, (LONG)i + 1);
		MAPIFreeBuffer(row);
	}
	assert_int_equal(ITableData_HrEnumRow(td, 6, &row), S_OK);
	assert_null(row);

	/* HrInsertRow: at a position, never over an existing index value. */
	SPropValue p[2] = {lval(PR_X_ID, 7), lval(PR_X_NUM, 70)};
	SRow r7 = {0, 2, p};
	assert_int_equal(ITableData_HrInsertRow(td, 2, &r7), S_OK);
	assert_int_equal(ITableData_HrInsertRow(td, 0, &r7), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ITableData_HrEnumRow(td, 2, &row), S_OK);
	assert_int_equal(row->lpProps[0].Value.l, 7);
	MAPIFreeBuffer(row);
	assert_int_equal(ITableData_HrQueryRow(td, &id4, &row, &pos), S_OK);
	assert_int_equal(pos, 4);
	MAPIFreeBuffer(row);
	p[0].Value.l = 8;
	assert_int_equal(ITableData_HrInsertRow(td, 99, &r7), MAPI_E_INVALID_PARAMETER);
	SRow noidx = {0, 1, &p[1]};
	assert_int_equal(ITableData_HrInsertRow(td, 0, &noidx), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ITableData_HrModifyRow(td, &noidx), MAPI_E_INVALID_PARAMETER);

	/* HrModifyRows is all or nothing about index columns. */
	LPSRowSet set = NULL;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewSRowSet(2), (LPVOID *)&set), S_OK);
	LPSRow srows = set->aRow;
	set->cRows = 2;
	srows[0] = r7;
	srows[1] = noidx;
	assert_int_equal(ITableData_HrModifyRows(td, 0, set), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ITableData_HrQueryRow(td, &p[0], &row, NULL), MAPI_E_NOT_FOUND);
	assert_int_equal(ITableData_HrModifyRows(td, 1, set), MAPI_E_UNKNOWN_FLAGS);

	/* HrDeleteRows of a set: rows that are not there are not counted. */
	SPropValue d1 = lval(PR_X_ID, 1), d5 = lval(PR_X_ID, 5), d42 = lval(PR_X_ID, 42);
	set->cRows = 2;
	srows[0].cValues = 1;
	srows[0].lpProps = &d1;
	srows[1].cValues = 1;
	srows[1].lpProps = &d42;
	ULONG deleted = 0;
	assert_int_equal(ITableData_HrDeleteRows(td, 0, set, &deleted), S_OK);
	assert_int_equal(deleted, 1);
	srows[1].lpProps = &d5;
	assert_int_equal(ITableData_HrDeleteRows(td, 0, set, &deleted), S_OK);
	assert_int_equal(deleted, 1);
	MAPIFreeBuffer(set);
	/* 2 7 3 4 6 remain, in insertion order. */
	static const LONG left[] = {2, 7, 3, 4, 6};
	for (ULONG i = 0; i < 5; i++) {
		assert_int_equal(ITableData_HrEnumRow(td, i, &row), S_OK);
		assert_int_equal(row->lpProps[0].Value.l, left[i]);
		MAPIFreeBuffer(row);
	}
	LPMAPITABLE v = view_of(td);
	expect_ids(v, 10, 0, left, 5);
	IMAPITable_Release(v);
	ITableData_Release(td);
}

/* ---- HrQueryAllRows, CALLERRELEASE, lifetime ------------------------------------------------------------------ */

static ULONG released_data;
static LPMAPITABLE released_view;

static void caller_release(ULONG ulCallerData, LPTABLEDATA lpTblData, LPMAPITABLE lpVue)
{
	released_data = ulCallerData;
	released_view = lpVue;
}

static void test_query_all_rows_and_release(void **state)
{
	LPTABLEDATA td = six_rows();
	LPMAPITABLE v = NULL;
	assert_int_equal(ITableData_HrGetView(td, NULL, caller_release, 1234, &v), S_OK);

	SizedSPropTagArray(2, cols) = {2, {PR_X_ID, PR_X_GROUP}};
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_DESCEND}}};
	SPropValue grp = {0};
	grp.ulPropTag = PR_X_GROUP;
	grp.Value.lpszA = "a";
	SRestriction in_a = prop_res(RELOP_EQ, PR_X_GROUP, &grp);
	LPSRowSet rs = NULL;
	assert_int_equal(HrQueryAllRows(v, (LPSPropTagArray)&cols, &in_a, (LPSSortOrderSet)&bynum, 0, &rs), S_OK);
	assert_int_equal(rs->cRows, 3);
	static const LONG expect[] = {6, 4, 2};
	for (ULONG i = 0; i < 3; i++) {
		assert_int_equal(rs->aRow[i].cValues, 2);
		assert_int_equal(rs->aRow[i].lpProps[0].Value.l, expect[i]);
		assert_string_equal(rs->aRow[i].lpProps[1].Value.lpszA, "a");
	}
	FreeProws(rs);

	/* The table data may go first: its views keep it alive. */
	ITableData_Release(td);
	assert_int_equal(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, 0, NULL), S_OK);
	expect_ids(v, 10, 0, expect, 3);
	released_view = NULL;
	IMAPITable_Release(v);
	assert_int_equal(released_data, 1234);
	assert_ptr_equal(released_view, v);
}

/* ---- threads ------------------------------------------------------------------------------------------------------ */

struct thread_arg {
	LPTABLEDATA td;
	LONG base;
	unsigned rounds;
};

static void *writer(void *p)
{
	struct thread_arg *a = p;
	for (unsigned i = 0; i < a->rounds; i++) {
		SPropValue v[2] = {lval(PR_X_ID, a->base + (LONG)(i % 50)), lval(PR_X_NUM, (LONG)i)};
		SRow row = {0, 2, v};
		if (FAILED(ITableData_HrModifyRow(a->td, &row)))
			return (void *)1;
		if (i % 7 == 0) {
			SPropValue id = lval(PR_X_ID, a->base + (LONG)((i / 7) % 50));
			HRESULT hr = ITableData_HrDeleteRow(a->td, &id);
			if (FAILED(hr) && hr != MAPI_E_NOT_FOUND)
				return (void *)1;
		}
	}
	return NULL;
}

static void *reader(void *p)
{
	struct thread_arg *a = p;
	LPMAPITABLE v = NULL;
	if (FAILED(ITableData_HrGetView(a->td, NULL, NULL, 0, &v)))
		return (void *)1;
	SizedSSortOrderSet(1, bynum) = {1, 0, 0, {{PR_X_NUM, TABLE_SORT_DESCEND}}};
	IMAPITable_SortTable(v, (LPSSortOrderSet)&bynum, 0);
	for (unsigned i = 0; i < a->rounds; i++) {
		LPSRowSet rs = NULL;
		BOOKMARK bk;
		if (FAILED(IMAPITable_SeekRow(v, BOOKMARK_BEGINNING, (LONG)(i % 20), NULL)) ||
		    FAILED(IMAPITable_CreateBookmark(v, &bk)) || FAILED(IMAPITable_QueryRows(v, 5, 0, &rs)))
			return (void *)1;
		FreeProws(rs);
		if (FAILED(IMAPITable_SeekRow(v, bk, 0, NULL)) || FAILED(IMAPITable_FreeBookmark(v, bk)))
			return (void *)1;
	}
	IMAPITable_Release(v);
	return NULL;
}

static void test_threads(void **state)
{
	LPTABLEDATA td = new_table();
	unsigned rounds = 300 * mapix_test_stress();
	struct thread_arg args[3] = {{td, 1000, rounds}, {td, 2000, rounds}, {td, 0, rounds}};
	pthread_t t[3];
	LPMAPITABLE v = view_of(td);
	assert_int_equal(pthread_create(&t[0], NULL, writer, &args[0]), 0);
	assert_int_equal(pthread_create(&t[1], NULL, writer, &args[1]), 0);
	assert_int_equal(pthread_create(&t[2], NULL, reader, &args[2]), 0);
	for (int i = 0; i < 3; i++) {
		void *ret = (void *)2;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* The long-lived view agrees with the data. */
	ULONG count = 0, rows = 0;
	assert_int_equal(IMAPITable_GetRowCount(v, 0, &count), S_OK);
	for (;;) {
		LPSRow r = NULL;
		assert_int_equal(ITableData_HrEnumRow(td, rows, &r), S_OK);
		if (!r)
			break;
		MAPIFreeBuffer(r);
		rows++;
	}
	assert_int_equal(count, rows);
	assert_true(rows > 0 && rows <= 100);
	IMAPITable_Release(v);
	ITableData_Release(td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_columns),
		cmocka_unit_test(test_sort_and_restrict),
		cmocka_unit_test(test_view_with_sort),
		cmocka_unit_test(test_seek_and_query),
		cmocka_unit_test(test_bookmarks),
		cmocka_unit_test(test_findrow),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_cursor_follows_row),
		cmocka_unit_test(test_tabledata_rows),
		cmocka_unit_test(test_query_all_rows_and_release),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
