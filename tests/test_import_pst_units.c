/*
 * test_import_pst_units.c — the byte-level pieces of the PST import
 * (tools/mapix/import_pst_value.c, import_pst_entryid.c), without a PST
 * file or a store: raw property bytes to SPropValues for every type the
 * import copies, code-page text in pieces, and the rewriting of
 * distribution-list member entry IDs that point into the PST (bare,
 * wrapped as MS-OXOCNTC says, and Contact Address / Personal Distribution
 * List EntryIDs as MS-OXCDATA says), with the list checksum.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapix.h>

#include "import_pst.h"
#include "testutil.h"

static int setup(void **state)
{
	(void)state;
	return FAILED(MAPIInitialize(NULL)) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	MAPIUninitialize();
	return 0;
}

/* Converts and hands back a value whose memory hangs off *parent. */
static SPropValue *conv(ULONG tag, const void *data, size_t size, int cp, HRESULT want)
{
	SPropValue *v = NULL;
	assert_int_equal(MAPIAllocateBuffer(sizeof *v, (LPVOID *)&v), S_OK);
	assert_int_equal(pst_value_from_raw(tag, data, size, cp, v, v), want);
	return v;
}

static void test_scalars(void **state)
{
	(void)state;
	static const BYTE i2[] = {0xFE, 0xFF, 0, 0};
	static const BYTE l[] = {0x11, 0x22, 0x33, 0x44};
	static const BYTE b[] = {0x01};
	static const BYTE i8[] = {1, 2, 3, 4, 5, 6, 7, 0x80};
	static const BYTE ft[] = {0x90, 0xb4, 0xed, 0x94, 0xad, 0x8a, 0xc7, 0x01};
	static const BYTE dbl[] = {0, 0, 0, 0, 0, 0, 0xF8, 0x3F}; /* 1.5 */
	static const BYTE guid[] = {0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
	                            0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
	SPropValue *v;

	v = conv(PROP_TAG(PT_I2, 0x8001), i2, sizeof i2, 1252, S_OK);
	assert_int_equal(v->Value.i, -2);
	MAPIFreeBuffer(v);
	v = conv(PR_MESSAGE_FLAGS, l, sizeof l, 1252, S_OK);
	assert_int_equal(v->ulPropTag, PR_MESSAGE_FLAGS);
	assert_int_equal((uint32_t)v->Value.l, 0x44332211u);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_BOOLEAN, 0x0E1F), b, sizeof b, 1252, S_OK);
	assert_int_equal(v->Value.b, 1);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_I8, 0x0E08), i8, sizeof i8, 1252, S_OK);
	assert_true((uint64_t)v->Value.li.QuadPart == 0x8007060504030201ull);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_CURRENCY, 0x8002), i8, sizeof i8, 1252, S_OK);
	assert_true((uint64_t)v->Value.cur.int64 == 0x8007060504030201ull);
	MAPIFreeBuffer(v);
	v = conv(PR_CLIENT_SUBMIT_TIME, ft, sizeof ft, 1252, S_OK);
	assert_int_equal(v->Value.ft.dwLowDateTime, 0x94EDB490u);
	assert_int_equal(v->Value.ft.dwHighDateTime, 0x01C78AADu);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_DOUBLE, 0x8003), dbl, sizeof dbl, 1252, S_OK);
	assert_true(v->Value.dbl == 1.5);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_CLSID, 0x8004), guid, sizeof guid, 1252, S_OK);
	assert_int_equal(v->Value.lpguid->Data1, 0x00062008u);
	assert_int_equal(v->Value.lpguid->Data4[0], 0xC0);
	assert_int_equal(v->Value.lpguid->Data4[7], 0x46);
	MAPIFreeBuffer(v);

	/* Too short for the type, or a type that is not copied. */
	MAPIFreeBuffer(conv(PR_MESSAGE_FLAGS, l, 3, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PROP_TAG(PT_SYSTIME, 0x0039), ft, 7, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PROP_TAG(PT_CLSID, 0x8004), guid, 15, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PR_ATTACH_DATA_OBJ, l, sizeof l, 1252, MAPI_E_NO_SUPPORT));
	MAPIFreeBuffer(conv(PROP_TAG(PT_ERROR, 0x0037), l, sizeof l, 1252, MAPI_E_NO_SUPPORT));
}

static void test_strings(void **state)
{
	(void)state;
	static const BYTE utf16[] = {'I', 0, 'P', 0, 'M', 0, 0x36, 0x65, 0, 0}; /* "IPM收" + NUL */
	static const BYTE cp1252[] = {'C', 'a', 'f', 0xE9, 0};                 /* "Café" */
	static const BYTE cp1251[] = {0xCF, 0xF0, 0xE8};                       /* "При" */
	static const BYTE cp936[] = {0xCA, 0xD5, 0xBC, 0xFE};                  /* "收件" */
	SPropValue *v;

	v = conv(PR_SUBJECT_W, utf16, sizeof utf16, 1252, S_OK);
	assert_int_equal(mapix_wcslen(v->Value.lpszW), 4);
	assert_int_equal(v->Value.lpszW[3], 0x6536);
	MAPIFreeBuffer(v);
	/* An odd trailing byte is dropped, not read past. */
	v = conv(PR_SUBJECT_W, utf16, 5, 1252, S_OK);
	assert_int_equal(mapix_wcslen(v->Value.lpszW), 2);
	MAPIFreeBuffer(v);

	v = conv(PR_SUBJECT_A, cp1252, sizeof cp1252, 1252, S_OK);
	assert_string_equal(v->Value.lpszA, "Caf\xC3\xA9");
	MAPIFreeBuffer(v);
	v = conv(PR_SUBJECT_A, cp1251, sizeof cp1251, 1251, S_OK);
	assert_string_equal(v->Value.lpszA, "\xD0\x9F\xD1\x80\xD0\xB8");
	MAPIFreeBuffer(v);
	v = conv(PR_SUBJECT_A, cp936, sizeof cp936, 936, S_OK);
	assert_string_equal(v->Value.lpszA, "\xE6\x94\xB6\xE4\xBB\xB6");
	MAPIFreeBuffer(v);
	/* An unknown code page reads as Windows-1252; UTF-8 passes as it is. */
	v = conv(PR_SUBJECT_A, cp1252, sizeof cp1252, 12345, S_OK);
	assert_string_equal(v->Value.lpszA, "Caf\xC3\xA9");
	MAPIFreeBuffer(v);
	v = conv(PR_SUBJECT_A, "\xC3\xA9t\xC3\xA9", 6, 65001, S_OK);
	assert_string_equal(v->Value.lpszA, "\xC3\xA9t\xC3\xA9");
	MAPIFreeBuffer(v);
	/* Bytes that are no text in the code page become U+FFFD. */
	v = conv(PR_SUBJECT_A, "a\xFFz", 3, 936, S_OK);
	assert_string_equal(v->Value.lpszA, "a\xEF\xBF\xBDz");
	MAPIFreeBuffer(v);
	v = conv(PR_BODY_A, NULL, 0, 1252, S_OK);
	assert_string_equal(v->Value.lpszA, "");
	MAPIFreeBuffer(v);
}

/* A double-byte character cut between two pieces comes out whole. */
static void test_text_pieces(void **state)
{
	(void)state;
	static const BYTE text[] = {'x', 0xCA, 0xD5, 0xBC, 0xFE, 'y'};
	for (size_t cut = 0; cut <= sizeof text; cut++) {
		pst_text_conv c;
		char *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		assert_int_equal(pst_text_conv_open(&c, 936), S_OK);
		assert_int_equal(pst_text_conv_run(&c, text, cut, FALSE, &a, &na), S_OK);
		assert_int_equal(pst_text_conv_run(&c, text + cut, sizeof text - cut, TRUE, &b, &nb), S_OK);
		pst_text_conv_close(&c);
		char joined[64];
		assert_true(na + nb < sizeof joined);
		memcpy(joined, a, na);
		memcpy(joined + na, b, nb);
		joined[na + nb] = 0;
		assert_string_equal(joined, "x\xE6\x94\xB6\xE4\xBB\xB6y");
		free(a);
		free(b);
	}
	assert_non_null(pst_codepage_name(1252));
	assert_string_equal(pst_codepage_name(65001), "UTF-8");
	assert_null(pst_codepage_name(4242));
}

static void test_multivalues(void **state)
{
	(void)state;
	/* PT_MV_BINARY: count 3, offsets 16, 18, 18 (an empty item), 24 bytes. */
	static const BYTE mvbin[] = {3, 0, 0, 0, 16, 0, 0, 0, 18, 0, 0, 0, 18, 0, 0, 0, 0xAA, 0xBB, 1, 2, 3, 4, 5, 6};
	static const BYTE mvw[] = {2, 0, 0, 0, 12, 0, 0, 0, 16, 0, 0, 0, 'a', 0, 'b', 0, 'c', 0};
	static const BYTE mvl[] = {1, 0, 0, 0, 2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
	static const BYTE bad_off[] = {2, 0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 'a', 0};
	static const BYTE bad_count[] = {0xFF, 0xFF, 0xFF, 0x0F, 8, 0, 0, 0};
	SPropValue *v;

	v = conv(PROP_TAG(PT_MV_BINARY, 0x8055), mvbin, sizeof mvbin, 1252, S_OK);
	assert_int_equal(v->Value.MVbin.cValues, 3);
	assert_int_equal(v->Value.MVbin.lpbin[0].cb, 2);
	assert_int_equal(v->Value.MVbin.lpbin[0].lpb[1], 0xBB);
	assert_int_equal(v->Value.MVbin.lpbin[1].cb, 0);
	assert_int_equal(v->Value.MVbin.lpbin[2].cb, 6);
	assert_int_equal(v->Value.MVbin.lpbin[2].lpb[5], 6);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_MV_UNICODE, 0x8056), mvw, sizeof mvw, 1252, S_OK);
	assert_int_equal(v->Value.MVszW.cValues, 2);
	assert_int_equal(mapix_wcslen(v->Value.MVszW.lppszW[0]), 2);
	assert_int_equal(v->Value.MVszW.lppszW[1][0], 'c');
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_MV_STRING8, 0x8057), (const BYTE[]){1, 0, 0, 0, 8, 0, 0, 0, 'C', 'a', 'f', 0xE9}, 12, 1252,
	         S_OK);
	assert_string_equal(v->Value.MVszA.lppszA[0], "Caf\xC3\xA9");
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_MV_LONG, 0x8058), mvl, sizeof mvl, 1252, S_OK);
	assert_int_equal(v->Value.MVl.cValues, 3);
	assert_int_equal(v->Value.MVl.lpl[1], 2);
	assert_int_equal(v->Value.MVl.lpl[2], -1);
	MAPIFreeBuffer(v);
	v = conv(PROP_TAG(PT_MV_SYSTIME, 0x8059), mvl, 8, 1252, S_OK);
	assert_int_equal(v->Value.MVft.cValues, 1);
	assert_int_equal(v->Value.MVft.lpft[0].dwHighDateTime, 2);
	MAPIFreeBuffer(v);

	MAPIFreeBuffer(conv(PROP_TAG(PT_MV_UNICODE, 0x8056), bad_off, sizeof bad_off, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PROP_TAG(PT_MV_BINARY, 0x8055), bad_count, sizeof bad_count, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PROP_TAG(PT_MV_LONG, 0x8058), mvl, 7, 1252, MAPI_E_CORRUPT_DATA));
	MAPIFreeBuffer(conv(PROP_TAG(PT_MV_BINARY, 0x8055), mvbin, 3, 1252, MAPI_E_CORRUPT_DATA));
}

/* ---- entry IDs ---------------------------------------------------------------------------------- */

static const BYTE store_uid[16] = {0x4e, 0x88, 0x78, 0x73, 0xe2, 0x9e, 0xc9, 0x44,
                                   0x8e, 0xc2, 0x34, 0x6d, 0xfa, 0x6d, 0xf8, 0x58};
static const BYTE new_contact[] = {0xC0, 0xFF, 0xEE, 0x01, 0x02, 0x03};
static const BYTE new_list[] = {0xD1, 0x57, 0x11, 0x57};

static void pst_eid(BYTE out[24], const BYTE uid[16], uint32_t nid)
{
	memset(out, 0, 4);
	memcpy(out + 4, uid, 16);
	out[20] = (BYTE)nid;
	out[21] = (BYTE)(nid >> 8);
	out[22] = (BYTE)(nid >> 16);
	out[23] = (BYTE)(nid >> 24);
}

static BOOL lookup(void *ctx, uint32_t nid, ULONG *lpcb, const BYTE **lppb)
{
	int *calls = ctx;
	(*calls)++;
	if (nid == 0x200024) {
		*lpcb = sizeof new_contact;
		*lppb = new_contact;
		return TRUE;
	}
	if (nid == 0x200044) {
		*lpcb = sizeof new_list;
		*lppb = new_list;
		return TRUE;
	}
	return FALSE;
}

static void test_entryid_parse(void **state)
{
	(void)state;
	BYTE eid[24];
	uint32_t nid = 0;
	pst_eid(eid, store_uid, 0x8022);
	assert_true(pst_eid_parse(eid, sizeof eid, store_uid, &nid));
	assert_int_equal(nid, 0x8022);
	assert_false(pst_eid_parse(eid, 23, store_uid, &nid));
	eid[0] = 1; /* short-term flags: not a stored entry ID */
	assert_false(pst_eid_parse(eid, sizeof eid, store_uid, &nid));
	BYTE other[16];
	memcpy(other, store_uid, 16);
	other[15] ^= 1;
	pst_eid(eid, other, 0x8022); /* another store's (a stale copy) */
	assert_false(pst_eid_parse(eid, sizeof eid, store_uid, &nid));
}

static void test_entryid_rewrite(void **state)
{
	(void)state;
	LPVOID parent = NULL;
	SBinary out;
	int calls = 0;
	assert_int_equal(MAPIAllocateBuffer(1, &parent), S_OK);

	/* WrappedEntryId of a contact (type 0x83: contact, Email1, not a one-off). */
	BYTE wrapped[21 + 24] = {0, 0, 0, 0, 0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
	                         0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4, 0x83};
	pst_eid(wrapped + 21, store_uid, 0x200024);
	assert_int_equal(pst_eid_rewrite(wrapped, sizeof wrapped, store_uid, lookup, &calls, parent, &out), 1);
	assert_int_equal(out.cb, 21 + sizeof new_contact);
	assert_memory_equal(out.lpb, wrapped, 21);
	assert_memory_equal(out.lpb + 21, new_contact, sizeof new_contact);

	/* Wrapped personal distribution list (0xB4). */
	BYTE wrapped_dl[sizeof wrapped];
	memcpy(wrapped_dl, wrapped, sizeof wrapped);
	wrapped_dl[20] = 0xB4;
	pst_eid(wrapped_dl + 21, store_uid, 0x200044);
	assert_int_equal(pst_eid_rewrite(wrapped_dl, sizeof wrapped_dl, store_uid, lookup, &calls, parent, &out), 1);
	assert_int_equal(out.lpb[20], 0xB4);
	assert_memory_equal(out.lpb + 21, new_list, sizeof new_list);

	/* A wrapped one-off (no 0x80) and a wrapped GAL user (kind 5) stay. */
	BYTE oneoff[sizeof wrapped];
	memcpy(oneoff, wrapped, sizeof wrapped);
	oneoff[20] = 0x00;
	assert_int_equal(pst_eid_rewrite(oneoff, sizeof oneoff, store_uid, lookup, &calls, parent, &out), 0);
	oneoff[20] = 0x85;
	assert_int_equal(pst_eid_rewrite(oneoff, sizeof oneoff, store_uid, lookup, &calls, parent, &out), 0);

	/* Contact Address EntryID (MS-OXCDATA 2.2.5.3): version 3, type 4, index 1. */
	BYTE contact[36 + 24] = {0,    0,    0,    0,    0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
	                         0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00, 3,    0,    0,    0,
	                         4,    0,    0,    0,    1,    0,    0,    0,    24,   0,    0,    0};
	pst_eid(contact + 36, store_uid, 0x200024);
	assert_int_equal(pst_eid_rewrite(contact, sizeof contact, store_uid, lookup, &calls, parent, &out), 1);
	assert_int_equal(out.cb, 36 + sizeof new_contact);
	assert_int_equal(out.lpb[28], 1);                  /* the index is kept */
	assert_int_equal(out.lpb[32], sizeof new_contact); /* the count follows the new entry ID */
	assert_memory_equal(out.lpb + 36, new_contact, sizeof new_contact);
	/* A count that does not match the length: left alone. */
	contact[32] = 23;
	assert_int_equal(pst_eid_rewrite(contact, sizeof contact, store_uid, lookup, &calls, parent, &out), 0);

	/* A bare PST entry ID. */
	BYTE bare[24];
	pst_eid(bare, store_uid, 0x200044);
	assert_int_equal(pst_eid_rewrite(bare, sizeof bare, store_uid, lookup, &calls, parent, &out), 1);
	assert_int_equal(out.cb, sizeof new_list);

	/* The PST's, but the item was not imported. */
	pst_eid(wrapped + 21, store_uid, 0x200064);
	assert_int_equal(pst_eid_rewrite(wrapped, sizeof wrapped, store_uid, lookup, &calls, parent, &out), -1);

	/* One-off entry IDs, other stores, short and empty input never ask. */
	int before = calls;
	static const BYTE one_off[] = {0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E,
	                               0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02, 0, 0, 0x01, 0x80, 'a', 0};
	assert_int_equal(pst_eid_rewrite(one_off, sizeof one_off, store_uid, lookup, &calls, parent, &out), 0);
	assert_int_equal(pst_eid_rewrite(wrapped, 20, store_uid, lookup, &calls, parent, &out), 0);
	assert_int_equal(pst_eid_rewrite(NULL, 0, store_uid, lookup, &calls, parent, &out), 0);
	BYTE foreign[sizeof wrapped];
	memcpy(foreign, wrapped, sizeof wrapped);
	foreign[25] ^= 0xFF; /* the embedded entry ID's UID */
	assert_int_equal(pst_eid_rewrite(foreign, sizeof foreign, store_uid, lookup, &calls, parent, &out), 0);
	assert_int_equal(calls, before);
	MAPIFreeBuffer(parent);
}

static void test_checksum(void **state)
{
	(void)state;
	/* CRC-32 of "123456789" is 0xCBF43926 however the bytes are split. */
	SBinary parts[3] = {{4, (LPBYTE) "1234"}, {0, NULL}, {5, (LPBYTE) "56789"}};
	SBinaryArray members = {3, parts};
	assert_int_equal(pst_dl_checksum(&members), 0xCBF43926u);
	SBinaryArray none = {0, NULL};
	assert_int_equal(pst_dl_checksum(&none), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalars),      cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_text_pieces),  cmocka_unit_test(test_multivalues),
	    cmocka_unit_test(test_entryid_parse), cmocka_unit_test(test_entryid_rewrite),
	    cmocka_unit_test(test_checksum),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
