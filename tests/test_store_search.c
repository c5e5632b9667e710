/*
 * test_store_search.c — search folders: SetSearchCriteria and
 * GetSearchCriteria round trip, recursive and shallow searches, results
 * that follow later changes (new, changed and deleted messages), and the
 * errors for folders that are not search folders or have no criteria.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER root, a, b, search;
} fixture;

static void add(LPMAPIFOLDER f, const char *subject)
{
	LPMESSAGE m;
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	assert_ok(HrSetOneProp((LPMAPIPROP)m, &(SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)subject}));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
}

static SBinary *entryid(LPMAPIFOLDER f, LPSPropValue *keep)
{
	assert_ok(HrGetOneProp((LPMAPIPROP)f, PR_ENTRYID, keep));
	return &(*keep)->Value.bin;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	ULONG type;
	fx->dir = mapix_test_tmpdir("store-search");
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->root));
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_GENERIC, (LPTSTR) "A", NULL, NULL, 0, &fx->a));
	assert_ok(IMAPIFolder_CreateFolder(fx->a, FOLDER_GENERIC, (LPTSTR) "B", NULL, NULL, 0, &fx->b));
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_SEARCH, (LPTSTR) "Found", NULL, NULL, 0, &fx->search));
	add(fx->a, "match one");
	add(fx->a, "other");
	add(fx->b, "MATCH two");
	add(fx->b, "nothing");
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	IMAPIFolder_Release(fx->search);
	IMAPIFolder_Release(fx->b);
	IMAPIFolder_Release(fx->a);
	IMAPIFolder_Release(fx->root);
	IMsgStore_Release(fx->mdb);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static ULONG result_count(fixture *fx)
{
	LPMAPITABLE t;
	ULONG n, rows = 0;
	assert_ok(IMAPIFolder_GetContentsTable(fx->search, 0, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	LPSRowSet set;
	assert_ok(IMAPITable_QueryRows(t, 100, 0, &set));
	rows = set->cRows;
	FreeProws(set);
	IMAPITable_Release(t);
	assert_int_equal(n, rows);
	return n;
}

static void test_search(void **state)
{
	fixture *fx = *state;
	LPSRestriction got;
	LPENTRYLIST list;
	ULONG st;

	assert_hr(IMAPIFolder_GetSearchCriteria(fx->search, 0, &got, &list, &st), MAPI_E_NOT_INITIALIZED);
	assert_hr(IMAPIFolder_GetSearchCriteria(fx->a, 0, &got, &list, &st), MAPI_E_NO_SUPPORT);
	assert_int_equal(result_count(fx), 0);

	SPropValue needle = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "match"};
	SRestriction r = {.rt = RES_CONTENT};
	r.res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
	r.res.resContent.ulPropTag = PR_SUBJECT_A;
	r.res.resContent.lpProp = &needle;
	LPSPropValue eid;
	ENTRYLIST containers = {1, entryid(fx->a, &eid)};
	assert_hr(IMAPIFolder_SetSearchCriteria(fx->a, &r, &containers, 0), MAPI_E_NO_SUPPORT);
	assert_ok(IMAPIFolder_SetSearchCriteria(fx->search, &r, &containers, RECURSIVE_SEARCH));
	assert_int_equal(result_count(fx), 2);

	assert_ok(IMAPIFolder_GetSearchCriteria(fx->search, 0, &got, &list, &st));
	assert_int_equal(got->rt, RES_CONTENT);
	assert_int_equal(got->res.resContent.ulFuzzyLevel, FL_SUBSTRING | FL_IGNORECASE);
	assert_string_equal(got->res.resContent.lpProp->Value.lpszA, "match");
	assert_int_equal(list->cValues, 1);
	assert_int_equal(list->lpbin[0].cb, eid->Value.bin.cb);
	assert_memory_equal(list->lpbin[0].lpb, eid->Value.bin.lpb, eid->Value.bin.cb);
	assert_int_equal(st, SEARCH_RUNNING | SEARCH_RECURSIVE);
	MAPIFreeBuffer(got);
	MAPIFreeBuffer(list);

	/* Results follow changes in the searched folders. */
	add(fx->b, "a late match");
	add(fx->root, "match outside"); /* not searched */
	assert_int_equal(result_count(fx), 3);

	/* Shallow: only A itself; NULL criteria keep the restriction. */
	assert_ok(IMAPIFolder_SetSearchCriteria(fx->search, NULL, NULL, SHALLOW_SEARCH));
	assert_int_equal(result_count(fx), 1);
	assert_ok(IMAPIFolder_GetSearchCriteria(fx->search, 0, NULL, NULL, &st));
	assert_int_equal(st, SEARCH_RUNNING);
	assert_ok(IMAPIFolder_SetSearchCriteria(fx->search, NULL, NULL, STOP_SEARCH));
	assert_ok(IMAPIFolder_GetSearchCriteria(fx->search, 0, NULL, NULL, &st));
	assert_int_equal(st, 0);

	/* A restriction on the search table narrows the results further. */
	assert_ok(IMAPIFolder_SetSearchCriteria(fx->search, NULL, NULL, RECURSIVE_SEARCH | RESTART_SEARCH));
	LPMAPITABLE t;
	ULONG n;
	SPropValue two = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "two"};
	SRestriction r2 = r;
	r2.res.resContent.lpProp = &two;
	assert_ok(IMAPIFolder_GetContentsTable(fx->search, 0, &t));
	assert_ok(IMAPITable_Restrict(t, &r2, 0));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	assert_int_equal(n, 1);
	assert_ok(IMAPITable_Restrict(t, NULL, 0));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	assert_int_equal(n, 3);
	IMAPITable_Release(t);
	MAPIFreeBuffer(eid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_search, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
