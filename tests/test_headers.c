/*
 * test_headers.c — pins the sizes, offsets and numeric values of the public
 * headers to what Windows (64-bit) uses, so that layouts never drift.
 */
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "testutil.h"

_Static_assert(sizeof(BYTE) == 1, "BYTE");
_Static_assert(sizeof(WORD) == 2, "WORD");
_Static_assert(sizeof(ULONG) == 4, "ULONG");
_Static_assert(sizeof(LONG) == 4, "LONG");
_Static_assert(sizeof(BOOL) == 4, "BOOL");
_Static_assert(sizeof(HRESULT) == 4, "HRESULT");
_Static_assert(sizeof(SCODE) == 4, "SCODE");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is UTF-16");
_Static_assert(sizeof(FILETIME) == 8, "FILETIME");
_Static_assert(sizeof(GUID) == 16, "GUID");
_Static_assert(sizeof(MAPIUID) == 16, "MAPIUID");
_Static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER");
_Static_assert(sizeof(CURRENCY) == 8, "CURRENCY");
_Static_assert(sizeof(SBinary) == 16, "SBinary");
_Static_assert(sizeof(union _PV) == 16, "_PV");
_Static_assert(sizeof(SPropValue) == 24, "SPropValue");
_Static_assert(offsetof(SPropValue, Value) == 8, "SPropValue.Value");
_Static_assert(sizeof(SPropTagArray) == 8, "SPropTagArray");
_Static_assert(offsetof(SPropTagArray, aulPropTag) == 4, "aulPropTag");
_Static_assert(sizeof(SPropProblem) == 12, "SPropProblem");
_Static_assert(sizeof(SRow) == 16, "SRow");
_Static_assert(offsetof(SRow, lpProps) == 8, "SRow.lpProps");
_Static_assert(offsetof(SRowSet, aRow) == 8, "SRowSet.aRow");
_Static_assert(sizeof(ADRENTRY) == 16, "ADRENTRY");
_Static_assert(offsetof(ADRLIST, aEntries) == 8, "ADRLIST.aEntries");
_Static_assert(sizeof(SSortOrder) == 8, "SSortOrder");
_Static_assert(offsetof(SSortOrderSet, aSort) == 12, "SSortOrderSet.aSort");
_Static_assert(sizeof(SRestriction) == 32, "SRestriction");
_Static_assert(offsetof(SRestriction, res) == 8, "SRestriction.res");
_Static_assert(sizeof(SContentRestriction) == 16, "SContentRestriction");
_Static_assert(sizeof(SCommentRestriction) == 24, "SCommentRestriction");
_Static_assert(sizeof(ENTRYID) == 5, "ENTRYID");
_Static_assert(offsetof(ENTRYID, ab) == 4, "ENTRYID.ab");
_Static_assert(sizeof(MAPINAMEID) == 24, "MAPINAMEID");
_Static_assert(offsetof(MAPINAMEID, Kind) == 16, "MAPINAMEID.Kind");
_Static_assert(sizeof(MAPIERROR) == 32, "MAPIERROR");
_Static_assert(sizeof(NOTIFICATION) == 88, "NOTIFICATION");
_Static_assert(offsetof(NOTIFICATION, info) == 8, "NOTIFICATION.info");
_Static_assert(sizeof(TABLE_NOTIFICATION) == 80, "TABLE_NOTIFICATION");
_Static_assert(sizeof(OBJECT_NOTIFICATION) == 72, "OBJECT_NOTIFICATION");
_Static_assert(sizeof(SBinaryArray) == 16, "SBinaryArray");
_Static_assert(CbNewSPropTagArray(3) == 16, "CbNewSPropTagArray");
_Static_assert(CbNewSRowSet(2) == 40, "CbNewSRowSet");
_Static_assert(CbNewADRLIST(2) == 40, "CbNewADRLIST");
_Static_assert(CbNewSSortOrderSet(2) == 28, "CbNewSSortOrderSet");
_Static_assert(CbNewENTRYID(16) == 20, "CbNewENTRYID");

static void test_prop_tag_macros(void **state)
{
	(void)state;
	assert_int_equal(PROP_TAG(PT_UNICODE, 0x0037), 0x0037001F);
	assert_int_equal(PROP_TYPE(0x0037001F), PT_UNICODE);
	assert_int_equal(PROP_ID(0x0037001F), 0x0037);
	assert_int_equal(CHANGE_PROP_TYPE(0x0037001F, PT_STRING8), 0x0037001E);
	assert_int_equal(PT_MV_UNICODE, 0x101F);
	assert_int_equal(PT_MV_BINARY, 0x1102);
	assert_int_equal(MV_INSTANCE, 0x2000);
	assert_int_equal(PR_NULL, 0x00000001);
}

static void test_error_codes(void **state)
{
	(void)state;
	assert_int_equal((uint32_t)MAPI_E_FAILONEPROVIDER, 0x8004011D);
	assert_int_equal((uint32_t)MAPI_E_NETWORK_ERROR, 0x80040115);
	assert_int_equal((uint32_t)MAPI_E_NOT_FOUND, 0x8004010F);
	assert_int_equal((uint32_t)MAPI_E_NO_ACCESS, 0x80070005);
	assert_int_equal((uint32_t)MAPI_E_CALL_FAILED, 0x80004005);
	assert_int_equal((uint32_t)MAPI_E_NOT_ENOUGH_MEMORY, 0x8007000E);
	assert_int_equal((uint32_t)MAPI_E_INVALID_PARAMETER, 0x80070057);
	assert_int_equal((uint32_t)MAPI_E_NO_SUPPORT, 0x80040102);
	assert_int_equal((uint32_t)MAPI_E_CORRUPT_DATA, 0x8004011B);
	assert_int_equal((uint32_t)MAPI_E_CORRUPT_STORE, 0x80040600);
	assert_int_equal((uint32_t)MAPI_E_OBJECT_CHANGED, 0x80040109);
	assert_int_equal((uint32_t)MAPI_E_NOT_ENOUGH_DISK, 0x8004010D);
	assert_int_equal((uint32_t)MAPI_E_TIMEOUT, 0x80040401);
	assert_int_equal((uint32_t)MAPI_E_BAD_CHARWIDTH, 0x80040103);
	assert_int_equal((uint32_t)MAPI_W_ERRORS_RETURNED, 0x00040380);
	assert_int_equal((uint32_t)MAPI_E_UNKNOWN_ENTRYID, 0x80040201);
	assert_int_equal((uint32_t)MAPI_E_INVALID_BOOKMARK, 0x80040405);
	assert_true(FAILED(MAPI_E_NOT_FOUND));
	assert_true(SUCCEEDED(MAPI_W_ERRORS_RETURNED));
}

static void test_wide_literals(void **state)
{
	(void)state;
	const WCHAR *w = u"Inbox";
	assert_int_equal(w[0], 'I');
	assert_int_equal(sizeof(u"ab"), 3 * sizeof(WCHAR));
	const WCHAR *m = MAPIX_W("x");
	assert_int_equal(m[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prop_tag_macros),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_wide_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
