/*
 * test_mapival.c — the FBad* structure checks (src/core/mapival.c): every
 * property type is accepted or refused as MAPI defines, values are checked
 * for the pointers and counts their type needs, sort order sets obey
 * cExpanded <= cCategories <= cSorts, and FBadRestriction walks every
 * restriction type while cyclic or too deep trees are refused without
 * overflowing the stack.
 */
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapival.h>

#include "testutil.h"

#define TAG(type) PROP_TAG((type), 0x6700)

static void test_prop_tag_types(void **state)
{
	(void)state;
	static const ULONG good[] = {PT_UNSPECIFIED, PT_NULL,   PT_I2,      PT_LONG,     PT_R4,      PT_DOUBLE,
	                             PT_CURRENCY,    PT_APPTIME, PT_ERROR,  PT_BOOLEAN,  PT_OBJECT,  PT_I8,
	                             PT_STRING8,     PT_UNICODE, PT_SYSTIME, PT_CLSID,   PT_SVREID,  PT_SRESTRICT,
	                             PT_ACTIONS,     PT_BINARY,  PT_MV_I2,  PT_MV_LONG,  PT_MV_R4,   PT_MV_DOUBLE,
	                             PT_MV_CURRENCY, PT_MV_APPTIME, PT_MV_SYSTIME, PT_MV_STRING8, PT_MV_BINARY,
	                             PT_MV_UNICODE,  PT_MV_CLSID, PT_MV_I8};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_false(FBadPropTag(TAG(good[i])));
	assert_false(FBadPropTag(PR_SUBJECT_A));
	assert_false(FBadPropTag(PR_SUBJECT_W));
	assert_false(FBadPropTag(PR_NULL));

	/* Unknown types, MV of types that have no MV form. */
	static const ULONG bad[] = {8, 9, 12, 14, 0x15, 0x1F + 1, 0x41, 0x47, 0x103, 0xFFFF, MV_FLAG | PT_BOOLEAN,
	                            MV_FLAG | PT_ERROR, MV_FLAG | PT_OBJECT, MV_FLAG | PT_NULL,
	                            MV_FLAG | PT_UNSPECIFIED, MV_FLAG | PT_SVREID};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_true(FBadPropTag(TAG(bad[i])));

	/* MV_INSTANCE only together with MV_FLAG. */
	assert_false(FBadPropTag(MVI_PROP(TAG(PT_LONG))));
	assert_false(FBadPropTag(MVI_PROP(TAG(PT_UNICODE))));
	assert_true(FBadPropTag(TAG(MV_INSTANCE | PT_LONG)));
	assert_true(FBadPropTag(MVI_PROP(TAG(PT_BOOLEAN))));
}

static void test_prop_values(void **state)
{
	(void)state;
	SPropValue v;
	char *strs[2] = {"a", "b"};
	WCHAR *wstrs[2] = {u"a", u"b"};
	BYTE bytes[2] = {1, 2};
	SBinary bins[2] = {{2, bytes}, {0, NULL}};
	GUID guid = {0};

	assert_true(FBadProp(NULL));

	memset(&v, 0, sizeof v);
	v.ulPropTag = TAG(0x99);
	assert_true(FBadProp(&v));

	v.ulPropTag = TAG(PT_LONG);
	assert_false(FBadProp(&v));
	v.ulPropTag = TAG(PT_ERROR);
	v.Value.err = MAPI_E_NOT_FOUND;
	assert_false(FBadProp(&v));
	v.ulPropTag = TAG(PT_OBJECT);
	assert_false(FBadProp(&v));

	v.ulPropTag = TAG(PT_BOOLEAN);
	v.Value.b = TRUE;
	assert_false(FBadProp(&v));
	v.Value.b = 2;
	assert_true(FBadProp(&v));

	v.ulPropTag = PR_SUBJECT_A;
	v.Value.lpszA = NULL;
	assert_true(FBadProp(&v));
	v.Value.lpszA = "";
	assert_false(FBadProp(&v));
	v.ulPropTag = PR_SUBJECT_W;
	v.Value.lpszW = NULL;
	assert_true(FBadProp(&v));
	v.Value.lpszW = u"x";
	assert_false(FBadProp(&v));

	v.ulPropTag = TAG(PT_BINARY);
	v.Value.bin.cb = 3;
	v.Value.bin.lpb = NULL;
	assert_true(FBadProp(&v));
	v.Value.bin.cb = 0;
	assert_false(FBadProp(&v)); /* an empty binary needs no pointer */
	v.ulPropTag = TAG(PT_SVREID);
	v.Value.bin.cb = 4;
	assert_true(FBadProp(&v));

	v.ulPropTag = TAG(PT_CLSID);
	v.Value.lpguid = NULL;
	assert_true(FBadProp(&v));
	v.Value.lpguid = &guid;
	assert_false(FBadProp(&v));

	/* MV: a NULL array is fine only with no values. */
	v.ulPropTag = TAG(PT_MV_LONG);
	v.Value.MVl.cValues = 0;
	v.Value.MVl.lpl = NULL;
	assert_false(FBadProp(&v));
	v.Value.MVl.cValues = 2;
	assert_true(FBadProp(&v));

	v.ulPropTag = TAG(PT_MV_STRING8);
	v.Value.MVszA.cValues = 2;
	v.Value.MVszA.lppszA = strs;
	assert_false(FBadProp(&v));
	strs[1] = NULL;
	assert_true(FBadProp(&v));

	v.ulPropTag = TAG(PT_MV_UNICODE);
	v.Value.MVszW.cValues = 2;
	v.Value.MVszW.lppszW = wstrs;
	assert_false(FBadProp(&v));
	v.Value.MVszW.lppszW = NULL;
	assert_true(FBadProp(&v));

	v.ulPropTag = TAG(PT_MV_BINARY);
	v.Value.MVbin.cValues = 2;
	v.Value.MVbin.lpbin = bins;
	assert_false(FBadProp(&v));
	bins[1].cb = 5;
	assert_true(FBadProp(&v));

	/* A table row's MV instance holds one value of the base type. */
	v.ulPropTag = MVI_PROP(TAG(PT_STRING8));
	v.Value.lpszA = "one";
	assert_false(FBadProp(&v));
	v.Value.lpszA = NULL;
	assert_true(FBadProp(&v));

	/* PT_SRESTRICT carries a restriction, which must itself be valid. */
	SRestriction exist = {.rt = RES_EXIST};
	exist.res.resExist.ulPropTag = PR_SUBJECT_A;
	v.ulPropTag = TAG(PT_SRESTRICT);
	v.Value.lpszA = (LPSTR)(void *)&exist;
	assert_false(FBadProp(&v));
	exist.rt = 99;
	assert_true(FBadProp(&v));
	v.Value.lpszA = NULL;
	assert_true(FBadProp(&v));
}

static void test_string_and_name_arrays(void **state)
{
	(void)state;
	LPSTR a[2] = {"x", "y"};
	LPWSTR w[2] = {u"x", u"y"};
	assert_false(FBadRglpszA(NULL, 0));
	assert_true(FBadRglpszA(NULL, 1));
	assert_false(FBadRglpszA(a, 2));
	a[0] = NULL;
	assert_true(FBadRglpszA(a, 2));
	assert_false(FBadRglpszW(w, 2));
	assert_true(FBadRglpszW(NULL, 3));
	w[1] = NULL;
	assert_true(FBadRglpszW(w, 2));
	assert_false(FBadRglpszW(w, 1));

	GUID g = PS_PUBLIC_STRINGS;
	MAPINAMEID byid = {&g, MNID_ID, {.lID = 0x8501}};
	MAPINAMEID byname = {&g, MNID_STRING, {.lpwstrName = u"Keywords"}};
	LPMAPINAMEID names[2] = {&byid, &byname};
	assert_false(FBadRglpNameID(NULL, 0));
	assert_true(FBadRglpNameID(NULL, 2));
	assert_false(FBadRglpNameID(names, 2));
	byname.Kind.lpwstrName = NULL;
	assert_true(FBadRglpNameID(names, 2));
	byname.Kind.lpwstrName = u"Keywords";
	byid.ulKind = 7;
	assert_true(FBadRglpNameID(names, 2));
	byid.ulKind = MNID_ID;
	byid.lpguid = NULL;
	assert_true(FBadRglpNameID(names, 2));
	names[0] = NULL;
	assert_true(FBadRglpNameID(names, 2));
}

static void test_rows(void **state)
{
	(void)state;
	SPropValue props[2];
	memset(props, 0, sizeof props);
	props[0].ulPropTag = PR_SUBJECT_A;
	props[0].Value.lpszA = "s";
	props[1].ulPropTag = PROP_TAG(PT_ERROR, 0x0E07);
	props[1].Value.err = MAPI_E_NOT_FOUND;

	SRow row = {0, 2, props};
	assert_true(FBadRow(NULL));
	assert_false(FBadRow(&row));
	SRow empty = {0, 0, NULL};
	assert_false(FBadRow(&empty));
	SRow missing = {0, 1, NULL};
	assert_true(FBadRow(&missing));

	SizedSRowSet(2, rows) = {2, {{0, 2, props}, {0, 0, NULL}}};
	assert_true(FBadRowSet(NULL));
	assert_false(FBadRowSet((LPSRowSet)&rows));
	SRowSet none = {0};
	assert_false(FBadRowSet(&none));
	props[0].Value.lpszA = NULL;
	assert_true(FBadRowSet((LPSRowSet)&rows));
}

static void test_tag_arrays_and_columns(void **state)
{
	(void)state;
	SizedSPropTagArray(3, tags) = {3, {PR_SUBJECT_W, PR_NULL, PR_ENTRYID}};
	assert_true(FBadPropTagArray(NULL));
	assert_false(FBadPropTagArray((LPSPropTagArray)&tags));
	assert_true(FBadColumnSet(NULL));
	assert_false(FBadColumnSet((LPSPropTagArray)&tags)); /* PT_NULL columns are valid */

	tags.aulPropTag[1] = PROP_TAG(PT_ERROR, 0x0037);
	assert_false(FBadPropTagArray((LPSPropTagArray)&tags));
	assert_true(FBadColumnSet((LPSPropTagArray)&tags)); /* PT_ERROR columns are not */

	tags.aulPropTag[1] = TAG(0x77);
	assert_true(FBadPropTagArray((LPSPropTagArray)&tags));
	assert_true(FBadColumnSet((LPSPropTagArray)&tags));

	SPropTagArray zero = {0, {0}};
	assert_false(FBadPropTagArray(&zero));
	assert_false(FBadColumnSet(&zero));
}

static void test_sort_order_sets(void **state)
{
	(void)state;
	SizedSSortOrderSet(3, s) = {3, 2, 1, {{PR_SUBJECT_W, TABLE_SORT_ASCEND}, {PR_MESSAGE_FLAGS, TABLE_SORT_DESCEND},
	                                      {PR_ENTRYID, TABLE_SORT_ASCEND}}};
	LPSSortOrderSet p = (LPSSortOrderSet)&s;
	assert_true(FBadSortOrderSet(NULL));
	assert_false(FBadSortOrderSet(p));

	s.cCategories = 4; /* more categories than sorts */
	assert_true(FBadSortOrderSet(p));
	s.cCategories = 2;
	s.cExpanded = 3; /* more expanded than categories */
	assert_true(FBadSortOrderSet(p));
	s.cExpanded = 2;
	assert_false(FBadSortOrderSet(p));

	s.aSort[2].ulOrder = 7; /* unknown order */
	assert_true(FBadSortOrderSet(p));

	/* CATEG_MAX/MIN: on the first non-category key, one of them. */
	s.aSort[2].ulOrder = TABLE_SORT_CATEG_MAX | TABLE_SORT_DESCEND;
	assert_false(FBadSortOrderSet(p));
	s.aSort[2].ulOrder = TABLE_SORT_CATEG_MAX | TABLE_SORT_CATEG_MIN;
	assert_true(FBadSortOrderSet(p));
	s.aSort[2].ulOrder = TABLE_SORT_ASCEND;
	s.aSort[0].ulOrder = TABLE_SORT_CATEG_MIN; /* on a category column */
	assert_true(FBadSortOrderSet(p));

	/* COMBINE joins a category to the one before it. */
	s.aSort[0].ulOrder = TABLE_SORT_ASCEND;
	s.aSort[1].ulOrder = TABLE_SORT_COMBINE;
	assert_false(FBadSortOrderSet(p));
	s.aSort[0].ulOrder = TABLE_SORT_COMBINE;
	assert_true(FBadSortOrderSet(p));
	s.aSort[0].ulOrder = TABLE_SORT_ASCEND;
	s.aSort[1].ulOrder = TABLE_SORT_ASCEND;

	s.aSort[1].ulPropTag = PROP_TAG(PT_ERROR, 1); /* PT_ERROR key */
	assert_true(FBadSortOrderSet(p));
	s.aSort[1].ulPropTag = MVI_PROP(PROP_TAG(PT_MV_UNICODE, 0x8001));
	assert_false(FBadSortOrderSet(p)); /* categorize on an MV instance */

	SSortOrderSet none = {0, 0, 0, {{0, 0}}};
	assert_false(FBadSortOrderSet(&none));
}

static void test_entry_lists(void **state)
{
	(void)state;
	BYTE eid1[24] = {0}, eid2[4] = {0};
	SBinary ids[2] = {{sizeof eid1, eid1}, {sizeof eid2, eid2}};
	ENTRYLIST list = {2, ids};
	assert_true(FBadEntryList(NULL));
	assert_false(FBadEntryList(&list));
	ENTRYLIST empty = {0, NULL};
	assert_false(FBadEntryList(&empty));
	ENTRYLIST missing = {1, NULL};
	assert_true(FBadEntryList(&missing));
	ids[1].cb = 3; /* shorter than abFlags */
	assert_true(FBadEntryList(&list));
	ids[1].cb = 4;
	ids[1].lpb = NULL;
	assert_true(FBadEntryList(&list));
}

/* A valid leaf of every kind, combined below. */
static void fill_leaves(SRestriction *r, SPropValue *str, SPropValue *num)
{
	memset(str, 0, sizeof *str);
	str->ulPropTag = PR_SUBJECT_W;
	str->Value.lpszW = u"hello";
	memset(num, 0, sizeof *num);
	num->ulPropTag = PR_MESSAGE_FLAGS;
	num->Value.l = 1;
	memset(r, 0, 7 * sizeof *r);

	r[0].rt = RES_CONTENT;
	r[0].res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
	r[0].res.resContent.ulPropTag = PR_SUBJECT_A;
	r[0].res.resContent.lpProp = str;
	r[1].rt = RES_PROPERTY;
	r[1].res.resProperty.relop = RELOP_GE;
	r[1].res.resProperty.ulPropTag = PR_MESSAGE_FLAGS;
	r[1].res.resProperty.lpProp = num;
	r[2].rt = RES_COMPAREPROPS;
	r[2].res.resCompareProps.relop = RELOP_EQ;
	r[2].res.resCompareProps.ulPropTag1 = PR_SUBJECT_W;
	r[2].res.resCompareProps.ulPropTag2 = PR_SUBJECT_A;
	r[3].rt = RES_BITMASK;
	r[3].res.resBitMask.relBMR = BMR_NEZ;
	r[3].res.resBitMask.ulPropTag = PR_MESSAGE_FLAGS;
	r[3].res.resBitMask.ulMask = 4;
	r[4].rt = RES_SIZE;
	r[4].res.resSize.relop = RELOP_LT;
	r[4].res.resSize.ulPropTag = PR_ENTRYID;
	r[4].res.resSize.cb = 10;
	r[5].rt = RES_EXIST;
	r[5].res.resExist.ulPropTag = PR_ENTRYID;
	r[6].rt = RES_COMMENT;
	r[6].res.resComment.cValues = 1;
	r[6].res.resComment.lpProp = num;
	r[6].res.resComment.lpRes = NULL;
}

static void test_restriction_every_type(void **state)
{
	(void)state;
	SRestriction leaves[7], top[6];
	SPropValue str, num;
	fill_leaves(leaves, &str, &num);
	for (int i = 0; i < 7; i++)
		assert_false(FBadRestriction(&leaves[i]));

	memset(top, 0, sizeof top);
	top[0].rt = RES_AND;
	top[0].res.resAnd.cRes = 7;
	top[0].res.resAnd.lpRes = leaves;
	top[1].rt = RES_NOT;
	top[1].res.resNot.lpRes = &top[0];
	top[2].rt = RES_SUBRESTRICTION;
	top[2].res.resSub.ulSubObject = PROP_TAG(PT_OBJECT, 0x0E12); /* PR_MESSAGE_RECIPIENTS */
	top[2].res.resSub.lpRes = &top[1];
	top[3].rt = RES_COUNT;
	top[3].res.resCount.ulCount = 2;
	top[3].res.resCount.lpRes = &top[2];
	top[4].rt = RES_ANNOTATION;
	top[4].res.resAnnotation.cValues = 1;
	top[4].res.resAnnotation.lpProp = &num;
	top[4].res.resAnnotation.lpRes = &top[3];
	top[5].rt = RES_OR;
	top[5].res.resOr.cRes = 1;
	top[5].res.resOr.lpRes = &top[4];
	assert_false(FBadRestriction(&top[5]));
	assert_true(FBadRestriction(NULL));

	/* Empty AND/OR are valid; a count without an array is not. */
	SRestriction e = {.rt = RES_OR};
	assert_false(FBadRestriction(&e));
	e.res.resOr.cRes = 2;
	assert_true(FBadRestriction(&e));

	/* Each bad leaf is found wherever it sits in the tree. */
	leaves[0].res.resContent.ulFuzzyLevel = 3; /* not FULLSTRING/SUBSTRING/PREFIX */
	assert_true(FBadRestriction(&top[5]));
	leaves[0].res.resContent.ulFuzzyLevel = FL_PREFIX | 0x00100000; /* unknown modifier */
	assert_true(FBadRestriction(&top[5]));
	leaves[0].res.resContent.ulFuzzyLevel = FL_PREFIX | FL_LOOSE;
	assert_false(FBadRestriction(&top[5]));
	leaves[0].res.resContent.ulPropTag = PR_MESSAGE_FLAGS; /* content on a number */
	assert_true(FBadRestriction(&top[5]));
	leaves[0].res.resContent.ulPropTag = PR_ENTRYID; /* binary tag, string value */
	assert_true(FBadRestriction(&top[5]));
	leaves[0].res.resContent.ulPropTag = PROP_TAG(PT_MV_UNICODE, 0x8010); /* MV strings are fine */
	assert_false(FBadRestriction(&top[5]));
	leaves[0].res.resContent.lpProp = NULL;
	assert_true(FBadRestriction(&top[5]));
	leaves[0].res.resContent.lpProp = &str;

	leaves[1].res.resProperty.relop = 7;
	assert_true(FBadRestriction(&top[5]));
	leaves[1].res.resProperty.relop = RELOP_RE;
	assert_false(FBadRestriction(&top[5]));
	str.Value.lpszW = NULL; /* bad value used by two leaves */
	assert_true(FBadRestriction(&leaves[0]));
	str.Value.lpszW = u"hello";

	leaves[2].res.resCompareProps.ulPropTag2 = TAG(0x66);
	assert_true(FBadRestriction(&top[5]));
	leaves[2].res.resCompareProps.ulPropTag2 = PR_SUBJECT_A;

	leaves[3].res.resBitMask.relBMR = 2;
	assert_true(FBadRestriction(&top[5]));
	leaves[3].res.resBitMask.relBMR = BMR_EQZ;
	leaves[3].res.resBitMask.ulPropTag = PR_SUBJECT_A; /* bitmask needs PT_LONG */
	assert_true(FBadRestriction(&top[5]));
	leaves[3].res.resBitMask.ulPropTag = PR_MESSAGE_FLAGS;

	leaves[4].res.resSize.relop = 9;
	assert_true(FBadRestriction(&top[5]));
	leaves[4].res.resSize.relop = RELOP_NE;

	leaves[5].res.resExist.ulPropTag = TAG(0x55);
	assert_true(FBadRestriction(&top[5]));
	leaves[5].res.resExist.ulPropTag = PR_ENTRYID;

	leaves[6].res.resComment.lpProp = NULL; /* cValues 1 without values */
	assert_true(FBadRestriction(&top[5]));
	leaves[6].res.resComment.lpProp = &num;

	top[2].res.resSub.ulSubObject = PR_SUBJECT_A; /* not a PT_OBJECT subobject */
	assert_true(FBadRestriction(&top[5]));
	top[2].res.resSub.ulSubObject = PROP_TAG(PT_OBJECT, 0x0E13);

	top[1].res.resNot.lpRes = NULL;
	assert_true(FBadRestriction(&top[5]));
	top[1].res.resNot.lpRes = &top[0];
	top[3].res.resCount.lpRes = NULL;
	assert_true(FBadRestriction(&top[5]));
	top[3].res.resCount.lpRes = &top[2];

	SRestriction unknown = {.rt = 0x0D};
	assert_true(FBadRestriction(&unknown));
	assert_false(FBadRestriction(&top[5]));
}

static void test_restriction_cycles_and_depth(void **state)
{
	(void)state;
	/* NOT pointing at itself: refused at the depth limit. */
	SRestriction self = {.rt = RES_NOT};
	self.res.resNot.lpRes = &self;
	assert_true(FBadRestriction(&self));

	/* AND whose two children are the AND itself: the node budget stops
	 * what would otherwise be an exponential walk. */
	SRestriction pair[2];
	pair[0].rt = RES_AND;
	pair[0].res.resAnd.cRes = 2;
	pair[0].res.resAnd.lpRes = pair;
	pair[1] = pair[0];
	assert_true(FBadRestriction(&pair[0]));

	/* A comment whose property is a PT_SRESTRICT pointing back at it. */
	SRestriction c = {.rt = RES_COMMENT};
	SPropValue back;
	memset(&back, 0, sizeof back);
	back.ulPropTag = PROP_TAG(PT_SRESTRICT, 0x6700);
	back.Value.lpszA = (LPSTR)(void *)&c;
	c.res.resComment.cValues = 1;
	c.res.resComment.lpProp = &back;
	assert_true(FBadRestriction(&c));

	/* A long NOT chain: fine below the limit (256), refused beyond it. */
	enum { N = 300 };
	SRestriction *chain = calloc(N, sizeof *chain);
	assert_non_null(chain);
	for (int i = 0; i < N; i++) {
		chain[i].rt = RES_NOT;
		chain[i].res.resNot.lpRes = i + 1 < N ? &chain[i + 1] : NULL;
	}
	chain[N - 1].rt = RES_EXIST;
	chain[N - 1].res.resExist.ulPropTag = PR_ENTRYID;
	assert_false(FBadRestriction(&chain[N - 200]));
	assert_true(FBadRestriction(&chain[0]));
	free(chain);

	/* Wide but shallow is fine. */
	enum { W = 10000 };
	SRestriction *wide = calloc(W, sizeof *wide);
	assert_non_null(wide);
	for (int i = 0; i < W; i++) {
		wide[i].rt = RES_EXIST;
		wide[i].res.resExist.ulPropTag = PR_SUBJECT_W;
	}
	SRestriction orr = {.rt = RES_OR};
	orr.res.resOr.cRes = W;
	orr.res.resOr.lpRes = wide;
	assert_false(FBadRestriction(&orr));
	free(wide);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prop_tag_types),
		cmocka_unit_test(test_prop_values),
		cmocka_unit_test(test_string_and_name_arrays),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_tag_arrays_and_columns),
		cmocka_unit_test(test_sort_order_sets),
		cmocka_unit_test(test_entry_lists),
		cmocka_unit_test(test_restriction_every_type),
		cmocka_unit_test(test_restriction_cycles_and_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
