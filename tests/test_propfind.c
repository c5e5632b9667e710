/*
 * test_propfind.c — LpValFindProp, PpropFindProp, FreeProws, FreePadrlist,
 * FEqualNames, UlAddRef/UlRelease and HexFromBin/FBinFromHex (propfind.c).
 */
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/memory.h"
#include "testutil.h"

static void test_find_by_id_and_by_tag(void **state)
{
	(void)state;
	SPropValue p[4] = {
		{.ulPropTag = PROP_TAG(PT_LONG, 0x0E07), .Value.l = 1},
		{.ulPropTag = PROP_TAG(PT_STRING8, 0x0037), .Value.lpszA = "ansi"},
		{.ulPropTag = PROP_TAG(PT_UNICODE, 0x0037), .Value.lpszW = u"wide"},
		{.ulPropTag = PROP_TAG(PT_ERROR, 0x1000), .Value.err = MAPI_E_NOT_FOUND},
	};
	/* LpValFindProp: the id alone, first match wins */
	assert_ptr_equal(LpValFindProp(PROP_TAG(PT_UNICODE, 0x0037), 4, p), &p[1]);
	assert_ptr_equal(LpValFindProp(PROP_TAG(PT_BINARY, 0x1000), 4, p), &p[3]);
	assert_null(LpValFindProp(PROP_TAG(PT_LONG, 0x0E08), 4, p));
	assert_null(LpValFindProp(PROP_TAG(PT_LONG, 0x0E07), 0, p));
	assert_null(LpValFindProp(PROP_TAG(PT_LONG, 0x0E07), 4, NULL));

	/* PpropFindProp: the whole tag */
	assert_ptr_equal(PpropFindProp(p, 4, PROP_TAG(PT_UNICODE, 0x0037)), &p[2]);
	assert_ptr_equal(PpropFindProp(p, 4, PROP_TAG(PT_STRING8, 0x0037)), &p[1]);
	assert_null(PpropFindProp(p, 4, PROP_TAG(PT_BINARY, 0x0037)));
	assert_null(PpropFindProp(p, 4, PROP_TAG(PT_LONG, 0x1000))); /* the error value has another type */
	/* ... or the id when the searched type is PT_UNSPECIFIED */
	assert_ptr_equal(PpropFindProp(p, 4, PROP_TAG(PT_UNSPECIFIED, 0x0037)), &p[1]);
	assert_ptr_equal(PpropFindProp(p, 4, PROP_TAG(PT_UNSPECIFIED, 0x1000)), &p[3]);
	assert_null(PpropFindProp(p, 4, PROP_TAG(PT_UNSPECIFIED, 0x4444)));
	assert_null(PpropFindProp(NULL, 4, PROP_TAG(PT_LONG, 0x0E07)));
	assert_null(PpropFindProp(p, 0, PROP_TAG(PT_LONG, 0x0E07)));
}

static LPSPropValue row_values(ULONG n)
{
	LPSPropValue v;
	assert_int_equal(MAPIAllocateBuffer(n * sizeof *v, (LPVOID *)&v), S_OK);
	for (ULONG i = 0; i < n; i++) {
		v[i].ulPropTag = PROP_TAG(PT_STRING8, 0x3001 + i);
		assert_int_equal(MAPIAllocateMore(8, v, (LPVOID *)&v[i].Value.lpszA), S_OK);
		strcpy(v[i].Value.lpszA, "name");
	}
	return v;
}

static void test_free_rows_and_adrlist(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	LPSRowSet rows;
	assert_int_equal(MAPIAllocateBuffer(CbNewSRowSet(3), (LPVOID *)&rows), S_OK);
	rows->cRows = 3;
	SRow *row = rows->aRow; /* through a pointer: aRow is declared [1] */
	for (ULONG i = 0; i < 3; i++) {
		row[i].cValues = i + 1;
		row[i].lpProps = row_values(i + 1);
	}
	MAPIFreeBuffer(row[1].lpProps);
	row[1].lpProps = NULL; /* a row without values */
	FreeProws(rows);
	assert_int_equal(mapix_memory_live_blocks(), base);
	FreeProws(NULL);

	LPSRowSet empty;
	assert_int_equal(MAPIAllocateBuffer(CbNewSRowSet(0), (LPVOID *)&empty), S_OK);
	empty->cRows = 0;
	FreeProws(empty);

	LPADRLIST al;
	assert_int_equal(MAPIAllocateBuffer(CbNewADRLIST(2), (LPVOID *)&al), S_OK);
	al->cEntries = 2;
	ADRENTRY *entry = al->aEntries;
	entry[0].cValues = 2;
	entry[0].rgPropVals = row_values(2);
	entry[1].cValues = 0;
	entry[1].rgPropVals = NULL;
	FreePadrlist(al);
	FreePadrlist(NULL);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_fequalnames(void **state)
{
	(void)state;
	GUID g1 = {0x00020329, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}}, g1b = g1, g2 = g1;
	g2.Data1++;
	WCHAR name_a[] = u"Keywords", name_b[] = u"Keywords", name_c[] = u"keywords";
	MAPINAMEID id1 = {&g1, MNID_ID, {.lID = 0x8501}}, id2 = {&g1b, MNID_ID, {.lID = 0x8501}};
	MAPINAMEID id3 = {&g2, MNID_ID, {.lID = 0x8501}}, id4 = {&g1, MNID_ID, {.lID = 0x8502}};
	MAPINAMEID s1 = {&g1, MNID_STRING, {.lpwstrName = name_a}}, s2 = {&g1b, MNID_STRING, {.lpwstrName = name_b}};
	MAPINAMEID s3 = {&g1, MNID_STRING, {.lpwstrName = name_c}};
	MAPINAMEID noguid1 = {NULL, MNID_ID, {.lID = 1}}, noguid2 = {NULL, MNID_ID, {.lID = 1}};

	assert_true(FEqualNames(&id1, &id2)); /* equal GUIDs at different addresses */
	assert_true(FEqualNames(&id1, &id1));
	assert_false(FEqualNames(&id1, &id3));
	assert_false(FEqualNames(&id1, &id4));
	assert_true(FEqualNames(&s1, &s2));
	assert_false(FEqualNames(&s1, &s3)); /* case-sensitive */
	assert_false(FEqualNames(&id1, &s1)); /* kinds differ */
	assert_true(FEqualNames(&noguid1, &noguid2));
	assert_false(FEqualNames(&noguid1, &id1));
	assert_false(FEqualNames(NULL, &id1));
	assert_false(FEqualNames(&id1, NULL));
}

typedef struct counted {
	IUnknown iface;
	ULONG refs;
} counted;

static HRESULT counted_qi(IUnknown *This, REFIID riid, LPVOID *ppv)
{
	return E_NOINTERFACE;
}

static ULONG counted_add_ref(IUnknown *This)
{
	return ++((counted *)This)->refs;
}

static ULONG counted_release(IUnknown *This)
{
	return --((counted *)This)->refs;
}

static const IUnknownVtbl counted_vtbl = {counted_qi, counted_add_ref, counted_release};

static void test_ul_addref_release(void **state)
{
	(void)state;
	counted c = {{&counted_vtbl}, 1};
	assert_int_equal(UlAddRef(&c), 2);
	assert_int_equal(UlAddRef(&c), 3);
	assert_int_equal(UlRelease(&c), 2);
	assert_int_equal(c.refs, 2);
	assert_int_equal(UlAddRef(NULL), 0);
	assert_int_equal(UlRelease(NULL), 0);
}

static void test_hex(void **state)
{
	(void)state;
	BYTE all[256], back[256];
	for (int i = 0; i < 256; i++)
		all[i] = (BYTE)i;
	char hex[513];
	HexFromBin(all, 256, hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102", 6);
	assert_string_equal(hex + 500, "FAFBFCFDFEFF"); /* upper case */
	assert_true(FBinFromHex(hex, back));
	assert_memory_equal(all, back, 256);

	BYTE two[2] = {0, 0};
	assert_true(FBinFromHex("aBcD", two)); /* either case */
	assert_int_equal(two[0], 0xAB);
	assert_int_equal(two[1], 0xCD);

	memset(two, 0x11, 2);
	assert_false(FBinFromHex("ABC", two));  /* odd length */
	assert_false(FBinFromHex("ABCG", two)); /* not hex */
	assert_false(FBinFromHex("AB C", two));
	assert_int_equal(two[0], 0x11);         /* untouched */
	assert_false(FBinFromHex(NULL, two));
	assert_true(FBinFromHex("", two));

	char small[4] = "xyz";
	HexFromBin(all, 0, small);
	assert_string_equal(small, "");
	HexFromBin(NULL, 5, small);
	assert_string_equal(small, "");
	HexFromBin(all + 0xAB, 1, small);
	assert_string_equal(small, "AB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_id_and_by_tag),
		cmocka_unit_test(test_free_rows_and_adrlist),
		cmocka_unit_test(test_fequalnames),
		cmocka_unit_test(test_ul_addref_release),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
