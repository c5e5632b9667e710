/*
 * test_store_table.c — contents and hierarchy tables of the message store
 * through the public API: paging forward and backward, sorting on several
 * keys (indexed and not), seeking, positions, bookmarks, FindRow,
 * restrictions, truncation of long values, categorized views with header
 * rows, expanded multi-valued columns, table notifications and hierarchy
 * tables with CONVENIENT_DEPTH.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "store_hook.h"

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

#define N_MSGS 60
#define PR_TEST_KEYWORDS PROP_TAG(PT_MV_STRING8, 0x6701)
#define PR_TEST_RANK PROP_TAG(PT_LONG, 0x6702)

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER root, folder;
} fixture;

static const char *const classes[] = {"IPM.Note", "IPM.Appointment", "IPM.Contact"};

/* Message i: subject "Subject <i>" (case alternates), delivery time i
 * minutes apart (reverse of creation for odd ones), class by i % 3,
 * unread when i % 4 == 0, keywords {k<i%3>, shared}, rank (i * 7) % 10. */
static void make_message(LPMAPIFOLDER f, int i, const char *subject_override)
{
	LPMESSAGE m;
	char subject[64];
	char kw0[16];
	LPSTR kws[2] = {kw0, "shared"};
	snprintf(subject, sizeof subject, (i % 2) ? "subject %03d" : "SUBJECT %03d", i);
	snprintf(kw0, sizeof kw0, "k%d", i % 3);
	SPropValue v[7];
	memset(v, 0, sizeof v);
	v[0].ulPropTag = PR_SUBJECT_A;
	v[0].Value.lpszA = (LPSTR)(subject_override ? subject_override : subject);
	v[1].ulPropTag = PR_MESSAGE_DELIVERY_TIME;
	v[1].Value.ft = mapix_filetime_from_u64(UINT64_C(130000000000000000) + (uint64_t)((i * 37) % N_MSGS) * 600000000);
	v[2].ulPropTag = PR_MESSAGE_CLASS_A;
	v[2].Value.lpszA = (LPSTR)classes[i % 3];
	v[3].ulPropTag = PR_MESSAGE_FLAGS;
	v[3].Value.l = (i % 4 == 0) ? 0 : MSGFLAG_READ;
	v[4].ulPropTag = PR_TEST_KEYWORDS;
	v[4].Value.MVszA.cValues = 2;
	v[4].Value.MVszA.lppszA = kws;
	v[5].ulPropTag = PR_TEST_RANK;
	v[5].Value.l = (i * 7) % 10;
	v[6].ulPropTag = PR_SENDER_NAME_A;
	v[6].Value.lpszA = (i % 5 == 0) ? "Zed" : "alice";
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, 7, v, NULL));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	ULONG type;
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-table");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->root));
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_GENERIC, (LPTSTR) "Tables", NULL, NULL, 0, &fx->folder));
	for (int i = 0; i < N_MSGS; i++)
		make_message(fx->folder, i, NULL);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	if (fx->folder)
		IMAPIFolder_Release(fx->folder);
	if (fx->root)
		IMAPIFolder_Release(fx->root);
	if (fx->mdb)
		IMsgStore_Release(fx->mdb);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static LPMAPITABLE contents(fixture *fx, ULONG flags)
{
	LPMAPITABLE t;
	static const SizedSPropTagArray(5, cols) = {
		5, {PR_INSTANCE_KEY, PR_SUBJECT_A, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_CLASS_A, PR_MESSAGE_FLAGS}};
	assert_ok(IMAPIFolder_GetContentsTable(fx->folder, flags, &t));
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, TBL_BATCH));
	return t;
}

/* Row i of a set (the array is declared with one element). */
static LPSRow row_at(LPSRowSet set, ULONG i)
{
	return set->aRow + i;
}

static LPSPropValue col(LPSRow row, ULONG tag)
{
	for (ULONG i = 0; i < row->cValues; i++)
		if (row->lpProps[i].ulPropTag == tag)
			return &row->lpProps[i];
	return NULL;
}

static uint64_t delivery(LPSRow row)
{
	LPSPropValue v = col(row, PR_MESSAGE_DELIVERY_TIME);
	assert_non_null(v);
	return mapix_filetime_to_u64(v->Value.ft);
}

static const char *subject(LPSRow row)
{
	LPSPropValue v = col(row, PR_SUBJECT_A);
	assert_non_null(v);
	return v->Value.lpszA;
}

/* Reads the whole table in pages of `page`, returning every row. */
static LPSRowSet read_all(LPMAPITABLE t, LONG page)
{
	LPSRowSet all;
	ULONG cap = 256;
	assert_ok(MAPIAllocateBuffer((ULONG)CbNewSRowSet(cap), (LPVOID *)&all));
	all->cRows = 0;
	for (;;) {
		LPSRowSet rows;
		assert_ok(IMAPITable_QueryRows(t, page, 0, &rows));
		if (rows->cRows == 0) {
			FreeProws(rows);
			break;
		}
		for (ULONG i = 0; i < rows->cRows; i++) {
			assert_true(all->cRows < cap);
			all->aRow[all->cRows++] = rows->aRow[i];
		}
		MAPIFreeBuffer(rows); /* the rows' props now belong to `all` */
	}
	return all;
}

static void test_paging_and_counts(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t = contents(fx, 0);
	ULONG count, row, num, den;
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS);
	LPSRowSet all = read_all(t, 7);
	assert_int_equal(all->cRows, N_MSGS);
	/* Default order: creation order; instance keys are distinct. */
	for (ULONG i = 1; i < all->cRows; i++) {
		LPSPropValue a = col(row_at(all, i - 1), PR_INSTANCE_KEY), b = col(row_at(all, i), PR_INSTANCE_KEY);
		assert_non_null(a);
		assert_non_null(b);
		assert_false(a->Value.bin.cb == b->Value.bin.cb && !memcmp(a->Value.bin.lpb, b->Value.bin.lpb, a->Value.bin.cb));
	}
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, N_MSGS);
	assert_int_equal(den, N_MSGS);

	/* Backward: the last 5 rows, in table order, cursor on the first of them. */
	LPSRowSet back;
	assert_ok(IMAPITable_QueryRows(t, -5, 0, &back));
	assert_int_equal(back->cRows, 5);
	assert_string_equal(subject(row_at(back, 0)), subject(row_at(all, N_MSGS - 5)));
	assert_string_equal(subject(row_at(back, 4)), subject(row_at(all, N_MSGS - 1)));
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, N_MSGS - 5);
	FreeProws(back);

	/* SeekRow from each origin. */
	LONG sought;
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, 10, &sought));
	assert_int_equal(sought, 10);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_CURRENT, -3, &sought));
	assert_int_equal(sought, -3);
	LPSRowSet one;
	assert_ok(IMAPITable_QueryRows(t, 1, TBL_NOADVANCE, &one));
	assert_string_equal(subject(row_at(one, 0)), subject(row_at(all, 7)));
	FreeProws(one);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_END, -2, &sought));
	assert_int_equal(sought, -2);
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, N_MSGS - 2);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, N_MSGS + 10, &sought));
	assert_int_equal(sought, N_MSGS);
	assert_ok(IMAPITable_SeekRowApprox(t, 1, 2));
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, N_MSGS / 2);

	/* Bookmarks follow their row. */
	BOOKMARK bk;
	assert_ok(IMAPITable_CreateBookmark(t, &bk));
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, 0, NULL));
	assert_ok(IMAPITable_SeekRow(t, bk, 1, &sought));
	assert_ok(IMAPITable_QueryRows(t, 1, 0, &one));
	assert_string_equal(subject(row_at(one, 0)), subject(row_at(all, N_MSGS / 2 + 1)));
	FreeProws(one);
	assert_ok(IMAPITable_FreeBookmark(t, bk));
	assert_hr(IMAPITable_SeekRow(t, bk, 0, NULL), MAPI_E_INVALID_BOOKMARK);

	ULONG status, type;
	assert_ok(IMAPITable_GetStatus(t, &status, &type));
	assert_int_equal(status, TBLSTAT_COMPLETE);
	assert_ok(IMAPITable_Abort(t));
	FreeProws(all);
	IMAPITable_Release(t);
}

static void test_sorting(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t = contents(fx, 0);

	/* Delivery time, newest first (an indexed key). */
	SizedSSortOrderSet(2, by_time) = {1, 0, 0, {{PR_MESSAGE_DELIVERY_TIME, TABLE_SORT_DESCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&by_time, 0));
	LPSRowSet all = read_all(t, 9);
	assert_int_equal(all->cRows, N_MSGS);
	for (ULONG i = 1; i < all->cRows; i++)
		assert_true(delivery(row_at(all, i - 1)) >= delivery(row_at(all, i)));
	FreeProws(all);

	/* Backward paging from the end gives the same rows in reverse pages. */
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_END, 0, NULL));
	LPSRowSet back;
	assert_ok(IMAPITable_QueryRows(t, -4, 0, &back));
	assert_int_equal(back->cRows, 4);
	for (ULONG i = 1; i < back->cRows; i++)
		assert_true(delivery(row_at(back, i - 1)) >= delivery(row_at(back, i)));
	FreeProws(back);

	/* Two keys in both directions: class ascending, then subject descending;
	 * subjects sort without regard to case. */
	SizedSSortOrderSet(2, two) = {2, 0, 0, {{PR_MESSAGE_CLASS_A, TABLE_SORT_ASCEND}, {PR_SUBJECT_A, TABLE_SORT_DESCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&two, 0));
	all = read_all(t, 11);
	assert_int_equal(all->cRows, N_MSGS);
	for (ULONG i = 1; i < all->cRows; i++) {
		const char *c0 = col(row_at(all, i - 1), PR_MESSAGE_CLASS_A)->Value.lpszA;
		const char *c1 = col(row_at(all, i), PR_MESSAGE_CLASS_A)->Value.lpszA;
		int c = strcmp(c0, c1);
		assert_true(c <= 0);
		if (c == 0)
			assert_true(strcasecmp(subject(row_at(all, i - 1)), subject(row_at(all, i))) > 0);
	}
	FreeProws(all);

	/* A key without a column of its own (the general path). */
	SizedSSortOrderSet(1, by_rank) = {1, 0, 0, {{PR_TEST_RANK, TABLE_SORT_ASCEND}}};
	SizedSPropTagArray(2, rank_cols) = {2, {PR_TEST_RANK, PR_SUBJECT_A}};
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&rank_cols, 0));
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&by_rank, 0));
	all = read_all(t, 13);
	assert_int_equal(all->cRows, N_MSGS);
	for (ULONG i = 1; i < all->cRows; i++)
		assert_true(col(row_at(all, i - 1), PR_TEST_RANK)->Value.l <= col(row_at(all, i), PR_TEST_RANK)->Value.l);
	FreeProws(all);

	LPSSortOrderSet q;
	assert_ok(IMAPITable_QuerySortOrder(t, &q));
	assert_int_equal(q->cSorts, 1);
	assert_int_equal(q->aSort[0].ulPropTag, PR_TEST_RANK);
	MAPIFreeBuffer(q);
	IMAPITable_Release(t);
}

/* String keys sort case-insensitively over all of Unicode, and follow
 * changes made by saving again and by copying. */
static void test_sort_strings(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER f;
	static const char *const subjects[] = {"\xC3\x89mile 2", "zed", "Zebra", "apple", "\xC3\xA9mile 1", "Apple pie"};
	static const char *const expected[] = {"apple", "Apple pie", "Zebra", "zed", "\xC3\xA9mile 1", "\xC3\x89mile 2"};
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_GENERIC, (LPTSTR) "Strings", NULL, NULL, 0, &f));
	for (int i = 0; i < 6; i++)
		make_message(f, i, subjects[i]);
	LPMAPITABLE t;
	SizedSPropTagArray(2, cols) = {2, {PR_SUBJECT_A, PR_ENTRYID}};
	SizedSSortOrderSet(1, by_subject) = {1, 0, 0, {{PR_SUBJECT_W, TABLE_SORT_ASCEND}}};
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&by_subject, 0));
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 10, 0, &rows));
	assert_int_equal(rows->cRows, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(row_at(rows, (ULONG)i)->lpProps[0].Value.lpszA, expected[i]);

	/* Rename the first ("apple") to "zzz": it moves to the Z's. */
	ULONG type;
	LPMESSAGE m;
	SBinary *eid = &rows->aRow[0].lpProps[1].Value.bin;
	assert_ok(IMAPIFolder_OpenEntry(f, eid->cb, (LPENTRYID)eid->lpb, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&m));
	assert_ok(HrSetOneProp((LPMAPIPROP)m, &(SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "ZZZ"}));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	/* And copy "zed" into the same folder. */
	ENTRYLIST one = {1, &row_at(rows, 3)->lpProps[1].Value.bin};
	assert_ok(IMAPIFolder_CopyMessages(f, &one, NULL, f, 0, NULL, 0));
	FreeProws(rows);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, 0, NULL));
	assert_ok(IMAPITable_QueryRows(t, 10, 0, &rows));
	static const char *const after[] = {"Apple pie", "Zebra", "zed", "zed", "ZZZ", "\xC3\xA9mile 1", "\xC3\x89mile 2"};
	assert_int_equal(rows->cRows, 7);
	for (int i = 0; i < 7; i++)
		assert_string_equal(row_at(rows, (ULONG)i)->lpProps[0].Value.lpszA, after[i]);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMAPIFolder_Release(f);
}

static void test_restrict_and_find(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t = contents(fx, 0);
	ULONG count;

	/* Unread messages (a bitmask on a computed property). */
	SRestriction unread = {.rt = RES_BITMASK};
	unread.res.resBitMask.relBMR = BMR_EQZ;
	unread.res.resBitMask.ulPropTag = PR_MESSAGE_FLAGS;
	unread.res.resBitMask.ulMask = MSGFLAG_READ;
	assert_ok(IMAPITable_Restrict(t, &unread, 0));
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS / 4);

	/* Substring, ignoring case, AND a class. */
	SPropValue needle = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "JECT 01"};
	SPropValue cls = {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Note"};
	SRestriction parts[2];
	memset(parts, 0, sizeof parts);
	parts[0].rt = RES_CONTENT;
	parts[0].res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
	parts[0].res.resContent.ulPropTag = PR_SUBJECT_A;
	parts[0].res.resContent.lpProp = &needle;
	parts[1].rt = RES_PROPERTY;
	parts[1].res.resProperty.relop = RELOP_EQ;
	parts[1].res.resProperty.ulPropTag = PR_MESSAGE_CLASS_A;
	parts[1].res.resProperty.lpProp = &cls;
	SRestriction and = {.rt = RES_AND};
	and.res.resAnd.cRes = 2;
	and.res.resAnd.lpRes = parts;
	assert_ok(IMAPITable_Restrict(t, &and, 0));
	LPSRowSet all = read_all(t, 2);
	/* subjects 010..019 with i % 3 == 0: 12, 15, 18 */
	assert_int_equal(all->cRows, 3);
	for (ULONG i = 0; i < all->cRows; i++)
		assert_string_equal(col(row_at(all, i), PR_MESSAGE_CLASS_A)->Value.lpszA, "IPM.Note");
	FreeProws(all);

	/* Lift the restriction; FindRow forward and backward. */
	assert_ok(IMAPITable_Restrict(t, NULL, 0));
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS);
	SPropValue s42 = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "SUBJECT 042"};
	SRestriction find = {.rt = RES_PROPERTY};
	find.res.resProperty.relop = RELOP_EQ;
	find.res.resProperty.ulPropTag = PR_SUBJECT_A;
	find.res.resProperty.lpProp = &s42;
	assert_ok(IMAPITable_FindRow(t, &find, BOOKMARK_BEGINNING, 0));
	ULONG row, num, den;
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, 42);
	assert_hr(IMAPITable_FindRow(t, &find, BOOKMARK_CURRENT, DIR_BACKWARD), MAPI_E_NOT_FOUND);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_END, 0, NULL));
	assert_ok(IMAPITable_FindRow(t, &find, BOOKMARK_CURRENT, DIR_BACKWARD));
	assert_ok(IMAPITable_QueryPosition(t, &row, &num, &den));
	assert_int_equal(row, 42);
	IMAPITable_Release(t);
}

static void test_truncation(void **state)
{
	fixture *fx = *state;
	char longsub[400];
	memset(longsub, 'x', sizeof longsub - 1);
	longsub[sizeof longsub - 1] = 0;
	make_message(fx->folder, 1000, longsub);
	LPMAPITABLE t = contents(fx, 0);
	SPropValue v = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "xxxx"};
	SRestriction r = {.rt = RES_CONTENT};
	r.res.resContent.ulFuzzyLevel = FL_PREFIX;
	r.res.resContent.ulPropTag = PR_SUBJECT_A;
	r.res.resContent.lpProp = &v;
	assert_ok(IMAPITable_Restrict(t, &r, 0));
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 10, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	assert_int_equal(strlen(subject(row_at(rows, 0))), 255);
	FreeProws(rows);

	/* A value large enough to live in chunks: the row shows its start,
	 * restrictions see all of it, in SQL and in C alike. */
	char *huge = malloc(40001);
	assert_non_null(huge);
	memset(huge, 'y', 40000);
	memcpy(huge + 39990, "tailneedle", 10);
	huge[40000] = 0;
	make_message(fx->folder, 1001, huge);
	free(huge);
	v.Value.lpszA = "TAILNEEDLE";
	r.res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
	for (int pass = 0; pass < 2; pass++) {
		LPMAPITABLE t2;
		if (pass)
			setenv("MAPIX_STORE_RESTRICT", "c", 1);
		t2 = contents(fx, 0);
		unsetenv("MAPIX_STORE_RESTRICT");
		assert_ok(IMAPITable_Restrict(t2, &r, 0));
		assert_ok(IMAPITable_QueryRows(t2, 10, 0, &rows));
		assert_int_equal(rows->cRows, 1);
		assert_int_equal(strlen(subject(row_at(rows, 0))), 255);
		assert_int_equal(subject(row_at(rows, 0))[0], 'y');
		FreeProws(rows);
		IMAPITable_Release(t2);
	}
	IMAPITable_Release(t);
}

static void test_categories(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t;
	SizedSPropTagArray(6, cols) = {
		6, {PR_INSTANCE_KEY, PR_ROW_TYPE, PR_DEPTH, PR_CONTENT_COUNT, PR_MESSAGE_CLASS_A, PR_SUBJECT_A}};
	assert_ok(IMAPIFolder_GetContentsTable(fx->folder, 0, &t));
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	/* Categories by class, expanded, leaves by subject. */
	SizedSSortOrderSet(2, cat) = {2, 1, 1, {{PR_MESSAGE_CLASS_A, TABLE_SORT_ASCEND}, {PR_SUBJECT_A, TABLE_SORT_ASCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&cat, 0));
	ULONG count;
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS + 3);
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 2, 0, &rows));
	assert_int_equal(rows->cRows, 2);
	assert_int_equal(col(row_at(rows, 0), PR_ROW_TYPE)->Value.l, TBL_EXPANDED_CATEGORY);
	assert_int_equal(col(row_at(rows, 0), PR_DEPTH)->Value.l, 0);
	assert_int_equal(col(row_at(rows, 0), PR_CONTENT_COUNT)->Value.l, N_MSGS / 3);
	assert_string_equal(col(row_at(rows, 0), PR_MESSAGE_CLASS_A)->Value.lpszA, "IPM.Appointment");
	assert_int_equal(col(row_at(rows, 1), PR_ROW_TYPE)->Value.l, TBL_LEAF_ROW);
	assert_int_equal(col(row_at(rows, 1), PR_DEPTH)->Value.l, 1);
	SBinary key = col(row_at(rows, 0), PR_INSTANCE_KEY)->Value.bin;
	BYTE keybuf[64];
	memcpy(keybuf, key.lpb, key.cb);
	ULONG cbkey = key.cb;
	FreeProws(rows);

	/* Collapse the first category: its leaves disappear. */
	ULONG removed;
	assert_ok(IMAPITable_CollapseRow(t, cbkey, keybuf, 0, &removed));
	assert_int_equal(removed, N_MSGS / 3);
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS + 3 - N_MSGS / 3);
	assert_ok(IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, 0, NULL));
	assert_ok(IMAPITable_QueryRows(t, 2, 0, &rows));
	assert_int_equal(col(row_at(rows, 0), PR_ROW_TYPE)->Value.l, TBL_COLLAPSED_CATEGORY);
	assert_int_equal(col(row_at(rows, 1), PR_ROW_TYPE)->Value.l, TBL_EXPANDED_CATEGORY);
	FreeProws(rows);

	/* Save the collapse state, expand, restore. */
	ULONG cbstate;
	LPBYTE st;
	assert_ok(IMAPITable_GetCollapseState(t, 0, cbkey, keybuf, &cbstate, &st));
	ULONG more;
	LPSRowSet shown;
	assert_ok(IMAPITable_ExpandRow(t, cbkey, keybuf, 5, 0, &shown, &more));
	assert_int_equal(shown->cRows, 5);
	assert_int_equal(more, N_MSGS / 3 - 5);
	assert_int_equal(col(row_at(shown, 0), PR_ROW_TYPE)->Value.l, TBL_LEAF_ROW);
	FreeProws(shown);
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS + 3);
	BOOKMARK bk;
	assert_ok(IMAPITable_SetCollapseState(t, 0, cbstate, st, &bk));
	MAPIFreeBuffer(st);
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS + 3 - N_MSGS / 3);
	assert_ok(IMAPITable_FreeBookmark(t, bk));

	/* Two levels, the second collapsed: 3 classes, each with its senders. */
	SizedSSortOrderSet(3, cat2) = {3, 2, 1,
	                               {{PR_MESSAGE_CLASS_A, TABLE_SORT_ASCEND},
	                                {PR_SENDER_NAME_A, TABLE_SORT_DESCEND},
	                                {PR_MESSAGE_DELIVERY_TIME, TABLE_SORT_ASCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&cat2, 0));
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, 3 + 6); /* every class has both senders */
	IMAPITable_Release(t);
}

static void test_mv_instance(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t;
	ULONG mvi = PR_TEST_KEYWORDS | MV_INSTANCE;
	SizedSPropTagArray(3, cols) = {3, {PR_INSTANCE_KEY, mvi, PR_SUBJECT_A}};
	assert_ok(IMAPIFolder_GetContentsTable(fx->folder, 0, &t));
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	ULONG count;
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, 2 * N_MSGS);
	SizedSSortOrderSet(1, by_kw) = {1, 0, 0, {{mvi, TABLE_SORT_ASCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&by_kw, 0));
	LPSRowSet all = read_all(t, 17);
	assert_int_equal(all->cRows, 2 * N_MSGS);
	/* k0 x20, k1 x20, k2 x20, then "shared" x60 */
	assert_string_equal(col(row_at(all, 0), mvi)->Value.lpszA, "k0");
	assert_string_equal(col(row_at(all, N_MSGS / 3), mvi)->Value.lpszA, "k1");
	assert_string_equal(col(row_at(all, N_MSGS), mvi)->Value.lpszA, "shared");
	assert_string_equal(col(row_at(all, 2 * N_MSGS - 1), mvi)->Value.lpszA, "shared");
	FreeProws(all);
	IMAPITable_Release(t);
}

typedef struct seen {
	int added, deleted, modified, reload;
} seen;

static LONG on_table(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	seen *s = ctx;
	for (ULONG i = 0; i < n; i++) {
		if (notifs[i].ulEventType != fnevTableModified)
			continue;
		switch (notifs[i].info.tab.ulTableEvent) {
		case TABLE_ROW_ADDED: s->added++; break;
		case TABLE_ROW_DELETED: s->deleted++; break;
		case TABLE_ROW_MODIFIED: s->modified++; break;
		case TABLE_RELOAD: s->reload++; break;
		}
	}
	return 0;
}

static void test_notifications(void **state)
{
	fixture *fx = *state;
	LPMAPITABLE t = contents(fx, 0);
	seen s = {0};
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	assert_ok(HrAllocAdviseSink(on_table, &s, &sink));
	assert_ok(IMAPITable_Advise(t, fnevTableModified, sink, &conn));
	make_message(fx->folder, 500, "notified");
	assert_int_equal(s.added, 1);

	/* Find it and delete it. */
	SPropValue v = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "notified"};
	SRestriction r = {.rt = RES_PROPERTY};
	r.res.resProperty.relop = RELOP_EQ;
	r.res.resProperty.ulPropTag = PR_SUBJECT_A;
	r.res.resProperty.lpProp = &v;
	assert_ok(IMAPITable_FindRow(t, &r, BOOKMARK_BEGINNING, 0));
	SizedSPropTagArray(1, eidcol) = {1, {PR_ENTRYID}};
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&eidcol, 0));
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 1, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	ENTRYLIST list = {1, &rows->aRow[0].lpProps[0].Value.bin};
	assert_ok(IMAPIFolder_DeleteMessages(fx->folder, &list, 0, NULL, 0));
	FreeProws(rows);
	assert_int_equal(s.deleted, 1);

	/* A categorized view reloads. */
	SizedSSortOrderSet(1, cat) = {1, 1, 1, {{PR_MESSAGE_CLASS_A, TABLE_SORT_ASCEND}}};
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&cat, 0));
	make_message(fx->folder, 501, "again");
	assert_true(s.reload >= 1);
	ULONG count;
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, N_MSGS + 1 + 3);
	assert_ok(IMAPITable_Unadvise(t, conn));
	IMAPITable_Release(t);
	IMAPIAdviseSink_Release(sink);
}

static void test_hierarchy(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER a, b;
	assert_ok(IMAPIFolder_CreateFolder(fx->folder, FOLDER_GENERIC, (LPTSTR) "A", NULL, NULL, 0, &a));
	assert_ok(IMAPIFolder_CreateFolder(a, FOLDER_GENERIC, (LPTSTR) "B", NULL, NULL, 0, &b));
	LPMAPITABLE t;
	ULONG count;
	assert_ok(IMAPIFolder_GetHierarchyTable(fx->folder, 0, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, 1);
	IMAPITable_Release(t);
	assert_ok(IMAPIFolder_GetHierarchyTable(fx->folder, CONVENIENT_DEPTH, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, 2);
	SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_A, PR_DEPTH}};
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 10, 0, &rows));
	assert_int_equal(rows->cRows, 2);
	assert_string_equal(rows->aRow[0].lpProps[0].Value.lpszA, "A");
	assert_int_equal(rows->aRow[0].lpProps[1].Value.l, 0);
	assert_string_equal(row_at(rows, 1)->lpProps[0].Value.lpszA, "B");
	assert_int_equal(row_at(rows, 1)->lpProps[1].Value.l, 1);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMAPIFolder_Release(b);
	IMAPIFolder_Release(a);
}

static void test_associated(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m;
	assert_ok(IMAPIFolder_CreateMessage(fx->folder, NULL, MAPI_ASSOCIATED, &m));
	assert_ok(HrSetOneProp((LPMAPIPROP)m, &(SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "fai"}));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	LPMAPITABLE t = contents(fx, MAPI_ASSOCIATED);
	ULONG count;
	assert_ok(IMAPITable_GetRowCount(t, 0, &count));
	assert_int_equal(count, 1);
	LPSRowSet rows;
	assert_ok(IMAPITable_QueryRows(t, 5, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	assert_string_equal(subject(row_at(rows, 0)), "fai");
	assert_true(col(row_at(rows, 0), PR_MESSAGE_FLAGS)->Value.l & MSGFLAG_ASSOCIATED);
	FreeProws(rows);
	IMAPITable_Release(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paging_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sorting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restrict_and_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_categories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mv_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hierarchy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_associated, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
