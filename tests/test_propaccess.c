/*
 * test_propaccess.c — HrGetOneProp, HrSetOneProp, FPropExists and
 * HrQueryAllRows (propaccess.c), driven through small fake IMAPIProp and
 * IMAPITable objects defined here, so they depend on no provider.
 */
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/memory.h"
#include "testutil.h"

/* ---- a fake IMAPIProp ---------------------------------------------------------------- */

#define TAG_SUBJECT_A PROP_TAG(PT_STRING8, 0x0037)
#define TAG_SUBJECT_W PROP_TAG(PT_UNICODE, 0x0037)
#define TAG_FLAGS PROP_TAG(PT_LONG, 0x0E07)
#define TAG_BODY PROP_TAG(PT_STRING8, 0x1000)     /* "too big for GetProps" */
#define TAG_COMPUTED PROP_TAG(PT_LONG, 0x0E08)    /* SetProps refuses it */
#define TAG_MISSING PROP_TAG(PT_LONG, 0x4242)

typedef struct fake_prop {
	IMAPIProp iface;
	HRESULT fail_with; /* GetProps fails as a whole when set */
	ULONG last_flags;
	LONG flags_value;
	int set_calls;
} fake_prop;

static HRESULT fake_get_props(IMAPIProp *This, LPSPropTagArray tags, ULONG ulFlags, ULONG *lpcValues,
                              LPSPropValue *lppPropArray)
{
	fake_prop *fp = (fake_prop *)This;
	fp->last_flags = ulFlags;
	*lpcValues = 0;
	*lppPropArray = NULL;
	if (fp->fail_with)
		return fp->fail_with;
	LPSPropValue v;
	if (MAPIAllocateBuffer(tags->cValues * sizeof *v, (LPVOID *)&v))
		return MAPI_E_NOT_ENOUGH_MEMORY;
	HRESULT hr = S_OK;
	ULONG *tag = tags->aulPropTag;
	for (ULONG i = 0; i < tags->cValues; i++) {
		ULONG id = PROP_ID(tag[i]), type = PROP_TYPE(tag[i]);
		v[i].ulPropTag = tag[i];
		if (id == 0x0037 && (type == PT_STRING8 || type == PT_UNSPECIFIED)) {
			v[i].ulPropTag = TAG_SUBJECT_A;
			MAPIAllocateMore(6, v, (LPVOID *)&v[i].Value.lpszA);
			strcpy(v[i].Value.lpszA, "hello");
		} else if (id == 0x0037 && type == PT_UNICODE) {
			MAPIAllocateMore(12, v, (LPVOID *)&v[i].Value.lpszW);
			memcpy(v[i].Value.lpszW, u"hello", 12);
		} else if (tag[i] == TAG_FLAGS) {
			v[i].Value.l = fp->flags_value;
		} else {
			v[i].ulPropTag = PROP_TAG(PT_ERROR, id);
			v[i].Value.err = id == 0x1000 ? MAPI_E_NOT_ENOUGH_MEMORY : MAPI_E_NOT_FOUND;
			hr = MAPI_W_ERRORS_RETURNED;
		}
	}
	*lpcValues = tags->cValues;
	*lppPropArray = v;
	return hr;
}

static HRESULT fake_set_props(IMAPIProp *This, ULONG cValues, LPSPropValue lpPropArray,
                              LPSPropProblemArray *lppProblems)
{
	fake_prop *fp = (fake_prop *)This;
	fp->set_calls++;
	if (lppProblems)
		*lppProblems = NULL;
	for (ULONG i = 0; i < cValues; i++) {
		if (lpPropArray[i].ulPropTag == TAG_FLAGS) {
			fp->flags_value = lpPropArray[i].Value.l;
		} else if (lpPropArray[i].ulPropTag == TAG_COMPUTED && lppProblems) {
			LPSPropProblemArray pr;
			if (MAPIAllocateBuffer(CbNewSPropProblemArray(1), (LPVOID *)&pr))
				return MAPI_E_NOT_ENOUGH_MEMORY;
			pr->cProblem = 1;
			pr->aProblem[0].ulIndex = i;
			pr->aProblem[0].ulPropTag = TAG_COMPUTED;
			pr->aProblem[0].scode = MAPI_E_COMPUTED;
			*lppProblems = pr;
		} else if (PROP_TYPE(lpPropArray[i].ulPropTag) == PT_ERROR) {
			return MAPI_E_INVALID_PARAMETER;
		}
	}
	return S_OK;
}

static const IMAPIPropVtbl fake_prop_vtbl = {
	.GetProps = fake_get_props,
	.SetProps = fake_set_props,
};

static void fake_prop_init(fake_prop *fp)
{
	memset(fp, 0, sizeof *fp);
	fp->iface.lpVtbl = &fake_prop_vtbl;
	fp->flags_value = 0x11;
}

/* ---- HrGetOneProp / HrSetOneProp / FPropExists ------------------------------------------------ */

static void test_get_one_prop(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_prop fp;
	fake_prop_init(&fp);
	LPMAPIPROP obj = &fp.iface;

	LPSPropValue v = NULL;
	assert_int_equal(HrGetOneProp(obj, TAG_SUBJECT_A, &v), S_OK);
	assert_int_equal(v->ulPropTag, TAG_SUBJECT_A);
	assert_string_equal(v->Value.lpszA, "hello");
	assert_int_equal(fp.last_flags, 0);
	assert_int_equal(MAPIFreeBuffer(v), 0);

	assert_int_equal(HrGetOneProp(obj, TAG_SUBJECT_W, &v), S_OK);
	assert_int_equal(fp.last_flags, MAPI_UNICODE);
	assert_memory_equal(v->Value.lpszW, u"hello", 12);
	assert_int_equal(MAPIFreeBuffer(v), 0);

	/* PT_UNSPECIFIED: the object picks the type */
	assert_int_equal(HrGetOneProp(obj, PROP_TAG(PT_UNSPECIFIED, 0x0037), &v), S_OK);
	assert_int_equal(v->ulPropTag, TAG_SUBJECT_A);
	assert_int_equal(MAPIFreeBuffer(v), 0);

	/* an error value: MAPI_E_NOT_FOUND, the value freed, nothing returned */
	v = (LPSPropValue)1;
	assert_int_equal(HrGetOneProp(obj, TAG_MISSING, &v), MAPI_E_NOT_FOUND);
	assert_null(v);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "HrGetOneProp"));
	assert_int_equal(HrGetOneProp(obj, TAG_BODY, &v), MAPI_E_NOT_FOUND);

	fp.fail_with = MAPI_E_NO_ACCESS;
	assert_int_equal(HrGetOneProp(obj, TAG_FLAGS, &v), MAPI_E_NO_ACCESS);
	assert_null(v);
	fp.fail_with = S_OK;

	assert_int_equal(HrGetOneProp(NULL, TAG_FLAGS, &v), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(HrGetOneProp(obj, TAG_FLAGS, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_set_one_prop(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_prop fp;
	fake_prop_init(&fp);
	SPropValue v = {.ulPropTag = TAG_FLAGS, .Value.l = 0x42};
	assert_int_equal(HrSetOneProp(&fp.iface, &v), S_OK);
	assert_int_equal(fp.flags_value, 0x42);

	/* a problem for the one property is the result */
	v.ulPropTag = TAG_COMPUTED;
	assert_int_equal(HrSetOneProp(&fp.iface, &v), MAPI_E_COMPUTED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "MAPI_E_COMPUTED"));
	/* a failing SetProps passes through */
	v.ulPropTag = PROP_TAG(PT_ERROR, 0x0037);
	assert_int_equal(HrSetOneProp(&fp.iface, &v), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(fp.set_calls, 3);

	assert_int_equal(HrSetOneProp(NULL, &v), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(HrSetOneProp(&fp.iface, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_fpropexists(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_prop fp;
	fake_prop_init(&fp);
	assert_true(FPropExists(&fp.iface, TAG_FLAGS));
	assert_true(FPropExists(&fp.iface, PROP_TAG(PT_UNSPECIFIED, 0x0037)));
	assert_true(FPropExists(&fp.iface, TAG_BODY)); /* exists, only too big to return */
	assert_false(FPropExists(&fp.iface, TAG_MISSING));
	assert_false(FPropExists(NULL, TAG_FLAGS));
	fp.fail_with = MAPI_E_CALL_FAILED;
	assert_false(FPropExists(&fp.iface, TAG_FLAGS));
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* ---- a fake IMAPITable --------------------------------------------------------------------- */

#define TAG_ROWID PROP_TAG(PT_LONG, 0x3000)

typedef struct fake_table {
	IMAPITable iface;
	ULONG rows;      /* rows in the (restricted) view */
	ULONG pos;       /* cursor */
	ULONG per_call;  /* most rows one QueryRows returns, like a provider's page */
	LONG max_asked;  /* largest lRowCount seen */
	int query_calls;
	int fail_query_at; /* QueryRows call number that fails (1-based), 0 = never */
	HRESULT fail_setcolumns;
	LPSPropTagArray columns;
	LPSRestriction restriction;
	LPSSortOrderSet sort;
	ULONG set_flags, restrict_flags, sort_flags;
} fake_table;

static HRESULT fake_set_columns(IMAPITable *This, LPSPropTagArray tags, ULONG ulFlags)
{
	fake_table *t = (fake_table *)This;
	t->columns = tags;
	t->set_flags = ulFlags;
	return t->fail_setcolumns;
}

static HRESULT fake_restrict(IMAPITable *This, LPSRestriction res, ULONG ulFlags)
{
	fake_table *t = (fake_table *)This;
	t->restriction = res;
	t->restrict_flags = ulFlags;
	return S_OK;
}

static HRESULT fake_sort_table(IMAPITable *This, LPSSortOrderSet sos, ULONG ulFlags)
{
	fake_table *t = (fake_table *)This;
	t->sort = sos;
	t->sort_flags = ulFlags;
	return S_OK;
}

static HRESULT fake_seek_row(IMAPITable *This, BOOKMARK bk, LONG lRowCount, LONG *lplRowsSought)
{
	fake_table *t = (fake_table *)This;
	if (bk != BOOKMARK_BEGINNING || lRowCount != 0)
		return MAPI_E_NO_SUPPORT;
	t->pos = 0;
	if (lplRowsSought)
		*lplRowsSought = 0;
	return S_OK;
}

static HRESULT fake_query_rows(IMAPITable *This, LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows)
{
	fake_table *t = (fake_table *)This;
	*lppRows = NULL;
	t->query_calls++;
	if (lRowCount > t->max_asked)
		t->max_asked = lRowCount;
	if (t->fail_query_at == t->query_calls)
		return MAPI_E_NETWORK_ERROR;
	if (lRowCount <= 0)
		return MAPI_E_INVALID_PARAMETER;
	ULONG n = t->rows - t->pos;
	if (n > (ULONG)lRowCount)
		n = (ULONG)lRowCount;
	if (n > t->per_call)
		n = t->per_call;
	LPSRowSet rs;
	if (MAPIAllocateBuffer(CbNewSRowSet(n), (LPVOID *)&rs))
		return MAPI_E_NOT_ENOUGH_MEMORY;
	rs->cRows = n;
	SRow *row = rs->aRow;
	for (ULONG i = 0; i < n; i++) {
		row[i].cValues = 1;
		if (MAPIAllocateBuffer(sizeof(SPropValue), (LPVOID *)&row[i].lpProps)) {
			rs->cRows = i;
			FreeProws(rs);
			return MAPI_E_NOT_ENOUGH_MEMORY;
		}
		row[i].lpProps->ulPropTag = TAG_ROWID;
		row[i].lpProps->Value.l = (LONG)(t->pos + i);
	}
	t->pos += n;
	*lppRows = rs;
	return S_OK;
}

static const IMAPITableVtbl fake_table_vtbl = {
	.SetColumns = fake_set_columns,
	.Restrict = fake_restrict,
	.SortTable = fake_sort_table,
	.SeekRow = fake_seek_row,
	.QueryRows = fake_query_rows,
};

static void fake_table_init(fake_table *t, ULONG rows, ULONG per_call)
{
	memset(t, 0, sizeof *t);
	t->iface.lpVtbl = &fake_table_vtbl;
	t->rows = rows;
	t->per_call = per_call;
}

static void assert_rows_in_order(LPSRowSet rs, ULONG n)
{
	assert_non_null(rs);
	assert_int_equal(rs->cRows, n);
	SRow *row = rs->aRow;
	for (ULONG i = 0; i < n; i++) {
		assert_int_equal(row[i].cValues, 1);
		assert_int_equal(row[i].lpProps->ulPropTag, TAG_ROWID);
		assert_int_equal(row[i].lpProps->Value.l, (LONG)i);
	}
}

static void test_query_all_rows(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_table t;
	SizedSPropTagArray(1, cols) = {1, {TAG_ROWID}};
	SRestriction res = {.rt = RES_EXIST, .res.resExist = {0, TAG_ROWID, 0}};
	SizedSSortOrderSet(1, sos) = {1, 0, 0, {{TAG_ROWID, TABLE_SORT_ASCEND}}};

	/* many pages, more rows than one batch; the cursor starts elsewhere */
	fake_table_init(&t, 2500, 97);
	t.pos = 1000;
	LPSRowSet rs = NULL;
	assert_int_equal(HrQueryAllRows(&t.iface, (LPSPropTagArray)&cols, &res, (LPSSortOrderSet)&sos, 0, &rs), S_OK);
	assert_rows_in_order(rs, 2500);
	assert_ptr_equal(t.columns, &cols);
	assert_ptr_equal(t.restriction, &res);
	assert_ptr_equal(t.sort, &sos);
	assert_int_equal(t.set_flags, TBL_BATCH);
	assert_int_equal(t.restrict_flags, TBL_BATCH);
	assert_int_equal(t.sort_flags, TBL_BATCH);
	FreeProws(rs);

	/* NULL columns, restriction and sort: the table is left as it is */
	fake_table_init(&t, 5, 100);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 0, &rs), S_OK);
	assert_rows_in_order(rs, 5);
	assert_null(t.columns);
	assert_null(t.restriction);
	assert_null(t.sort);
	FreeProws(rs);

	/* an empty table gives an empty row set, not NULL */
	fake_table_init(&t, 0, 100);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 0, &rs), S_OK);
	assert_rows_in_order(rs, 0);
	FreeProws(rs);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_query_all_rows_limit(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_table t;
	LPSRowSet rs = NULL;

	/* exactly crowsMax rows is fine */
	fake_table_init(&t, 40, 7);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 40, &rs), S_OK);
	assert_rows_in_order(rs, 40);
	assert_true(t.max_asked <= 41);
	FreeProws(rs);

	/* one more is too big, and nothing beyond crowsMax + 1 is ever read */
	fake_table_init(&t, 100000, 1000000);
	rs = (LPSRowSet)1;
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 10, &rs), MAPI_E_TABLE_TOO_BIG);
	assert_null(rs);
	assert_true(t.max_asked <= 11);
	assert_true(t.pos <= 11);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "HrQueryAllRows"));

	fake_table_init(&t, 41, 7);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 40, &rs), MAPI_E_TABLE_TOO_BIG);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_query_all_rows_errors(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	fake_table t;
	LPSRowSet rs = (LPSRowSet)1;
	SizedSPropTagArray(1, cols) = {1, {TAG_ROWID}};

	/* a failure halfway frees what was read */
	fake_table_init(&t, 100, 10);
	t.fail_query_at = 4;
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 0, &rs), MAPI_E_NETWORK_ERROR);
	assert_null(rs);
	assert_int_equal(mapix_memory_live_blocks(), base);

	fake_table_init(&t, 100, 10);
	t.fail_setcolumns = MAPI_E_BAD_COLUMN;
	assert_int_equal(HrQueryAllRows(&t.iface, (LPSPropTagArray)&cols, NULL, NULL, 0, &rs), MAPI_E_BAD_COLUMN);
	assert_int_equal(t.query_calls, 0);

	/* out of memory while joining pages: each page is 11 allocations (the
	 * set and 10 rows), so the 23rd is the first join */
	fake_table_init(&t, 100, 10);
	mapix_memory_fail_after(23);
	HRESULT hr = HrQueryAllRows(&t.iface, NULL, NULL, NULL, 0, &rs);
	mapix_memory_fail_after(0);
	assert_int_equal(hr, MAPI_E_NOT_ENOUGH_MEMORY);
	assert_null(rs);
	assert_int_equal(mapix_memory_live_blocks(), base);

	assert_int_equal(HrQueryAllRows(NULL, NULL, NULL, NULL, 0, &rs), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(HrQueryAllRows(&t.iface, NULL, NULL, NULL, -1, &rs), MAPI_E_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_one_prop),
		cmocka_unit_test(test_set_one_prop),
		cmocka_unit_test(test_fpropexists),
		cmocka_unit_test(test_query_all_rows),
		cmocka_unit_test(test_query_all_rows_limit),
		cmocka_unit_test(test_query_all_rows_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
