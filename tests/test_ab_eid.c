/*
 * test_ab_eid.c — the recipient entry IDs (mapixab.h) byte for byte
 * against MS-OXCDATA 2.2.5 and MS-OXOCNTC 2.2.2.2.4.1.1, the distribution
 * list checksum against known answers, and the distribution list stream
 * (MS-OXOCNTC 2.2.2.2.4) round trip and its rejection of damaged input.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "testutil.h"

static const BYTE ONEOFF_UID[16] = {0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19,
                                    0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02};
static const BYTE WRAPPED_UID[16] = {0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
                                     0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4};

static void test_oneoff_unicode_layout(void **state)
{
	(void)state;
	SBinary b;
	assert_int_equal(mapix_oneoff_build("Zoë", "SMTP", "z@x.org", MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO,
	                                    NULL, &b),
	                 S_OK);
	/* flags, provider UID, version 0, flags word 0x8001 little-endian,
	 * then three UTF-16LE strings with terminators. */
	static const BYTE want[] = {
		0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02,
		0x00, 0x00, 0x01, 0x80, 'Z', 0, 'o', 0, 0xEB, 0, 0, 0, 'S', 0, 'M', 0, 'T', 0, 'P', 0, 0, 0,
		'z', 0, '@', 0, 'x', 0, '.', 0, 'o', 0, 'r', 0, 'g', 0, 0, 0};
	assert_int_equal(b.cb, sizeof want);
	assert_memory_equal(b.lpb, want, sizeof want);
	assert_true(mapix_is_oneoff(b.cb, b.lpb));
	MAPIX_ONEOFF o;
	assert_int_equal(mapix_oneoff_parse(b.cb, b.lpb, NULL, &o), S_OK);
	assert_int_equal(o.wFlags, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO);
	assert_string_equal(o.lpszName, "Zoë");
	assert_string_equal(o.lpszAdrType, "SMTP");
	assert_string_equal(o.lpszAddress, "z@x.org");
	MAPIFreeBuffer(o.lpszName);
	MAPIFreeBuffer(b.lpb);
}

static void test_oneoff_ansi_and_format_bits(void **state)
{
	(void)state;
	SBinary b;
	WORD flags = MAPIX_ONE_OFF_FORMAT_TEXT_AND_HTML | MAPIX_ONE_OFF_MAE_APPLEDOUBLE | MAPI_ONE_OFF_MYSTERY_FLAG;
	assert_int_equal(mapix_oneoff_build("Bob", "SMTP", "b@y", flags, NULL, &b), S_OK);
	static const BYTE head[24] = {0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19,
	                              0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02, 0, 0, 0x76, 0x10};
	assert_memory_equal(b.lpb, head, 24);
	assert_memory_equal(b.lpb + 4, ONEOFF_UID, 16);
	assert_int_equal(b.cb, 24 + 4 + 5 + 4);
	assert_memory_equal(b.lpb + 24, "Bob\0SMTP\0b@y\0", 13);
	MAPIX_ONEOFF o;
	assert_int_equal(mapix_oneoff_parse(b.cb, b.lpb, NULL, &o), S_OK);
	assert_int_equal(o.wFlags & MAPIX_ONE_OFF_FORMAT_MASK, MAPIX_ONE_OFF_FORMAT_TEXT_AND_HTML);
	assert_int_equal(o.wFlags & MAPIX_ONE_OFF_MAE_MASK, MAPIX_ONE_OFF_MAE_APPLEDOUBLE);
	assert_false(o.wFlags & MAPI_ONE_OFF_UNICODE);
	assert_string_equal(o.lpszAddress, "b@y");
	MAPIFreeBuffer(o.lpszName);
	/* An unterminated last string, a wrong version, a short buffer. */
	assert_int_equal(mapix_oneoff_parse(b.cb - 1, b.lpb, NULL, &o), MAPI_E_INVALID_ENTRYID);
	b.lpb[20] = 1;
	assert_int_equal(mapix_oneoff_parse(b.cb, b.lpb, NULL, &o), MAPI_E_INVALID_ENTRYID);
	assert_int_equal(mapix_oneoff_parse(20, b.lpb, NULL, &o), MAPI_E_INVALID_ENTRYID);
	MAPIFreeBuffer(b.lpb);
	/* An 8-bit name that is not UTF-8 comes back well-formed. */
	BYTE latin[] = {0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F,
	                0x54, 0x02, 0, 0, 0, 0, 'Z', 'o', 0xEB, 0, 'S', 'M', 'T', 'P', 0, 'a', 0};
	assert_int_equal(mapix_oneoff_parse(sizeof latin, latin, NULL, &o), S_OK);
	assert_string_equal(o.lpszName, "Zo\xEF\xBF\xBD");
	MAPIFreeBuffer(o.lpszName);
}

static void test_wrapped(void **state)
{
	(void)state;
	BYTE inner[70];
	for (int i = 0; i < 70; i++)
		inner[i] = (BYTE)i;
	SBinary w;
	assert_int_equal(MAPIX_WRAPPED_TYPE_CONTACT_EMAIL(1), 0xC3);
	assert_int_equal(MAPIX_WRAPPED_TYPE_CONTACT_EMAIL(3), 0xE3);
	assert_int_equal(mapix_wrapped_eid_build(MAPIX_WRAPPED_TYPE_CONTACT_EMAIL(2), 70, inner, NULL, &w), S_OK);
	assert_int_equal(w.cb, 91);
	static const BYTE zero[4] = {0};
	assert_memory_equal(w.lpb, zero, 4);
	assert_memory_equal(w.lpb + 4, WRAPPED_UID, 16);
	assert_int_equal(w.lpb[20], 0xD3);
	assert_memory_equal(w.lpb + 21, inner, 70);
	BYTE type;
	ULONG cbi;
	const BYTE *pi;
	assert_int_equal(mapix_wrapped_eid_parse(w.cb, w.lpb, &type, &cbi, &pi), S_OK);
	assert_int_equal(type, 0xD3);
	assert_int_equal(cbi, 70);
	assert_ptr_equal(pi, w.lpb + 21);
	w.lpb[20] = 0x87; /* type 7 is not defined */
	assert_int_equal(mapix_wrapped_eid_parse(w.cb, w.lpb, &type, &cbi, &pi), MAPI_E_INVALID_ENTRYID);
	MAPIFreeBuffer(w.lpb);
	/* The 0x80 bit must match the kind; a one-off is type 0. */
	assert_int_equal(mapix_wrapped_eid_build(0x04, 70, inner, NULL, &w), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_wrapped_eid_build(0x80, 70, inner, NULL, &w), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_wrapped_eid_build(MAPIX_WRAPPED_TYPE_DISTLIST, 70, inner, NULL, &w), S_OK);
	assert_int_equal(w.lpb[20], 0xB4);
	MAPIFreeBuffer(w.lpb);
}

static void test_ab_and_contab(void **state)
{
	(void)state;
	SBinary b;
	const char *dn = "/o=mapix/ou=mail/cn=Recipients/cn=alice";
	assert_int_equal(mapix_ab_eid_build(MAPIX_AB_DT_MAILUSER, dn, NULL, &b), S_OK);
	static const BYTE head[28] = {0, 0, 0, 0, 0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9,
	                              0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82, 1, 0, 0, 0, 0, 0, 0, 0};
	assert_memory_equal(b.lpb, head, 28);
	assert_int_equal(b.cb, 28 + strlen(dn) + 1);
	ULONG type = 9;
	LPSTR got;
	assert_int_equal(mapix_ab_eid_parse(b.cb, b.lpb, &type, NULL, &got), S_OK);
	assert_int_equal(type, 0);
	assert_string_equal(got, dn);
	MAPIFreeBuffer(got);
	assert_int_equal(mapix_ab_eid_parse(b.cb - 1, b.lpb, &type, NULL, &got), MAPI_E_INVALID_ENTRYID);
	MAPIFreeBuffer(b.lpb);

	BYTE inner[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	assert_int_equal(mapix_contab_eid_build(MAPIX_CONTAB_USER, 1, 10, inner, NULL, &b), S_OK);
	static const BYTE chead[36] = {0,    0,    0,    0,    0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
	                               0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00, 3,    0,    0,    0,
	                               4,    0,    0,    0,    1,    0,    0,    0,    10,   0,    0,    0};
	assert_memory_equal(b.lpb, chead, 36);
	ULONG idx, cbi;
	const BYTE *pi;
	assert_int_equal(mapix_contab_eid_parse(b.cb, b.lpb, &type, &idx, &cbi, &pi), S_OK);
	assert_int_equal(type, MAPIX_CONTAB_USER);
	assert_int_equal(idx, 1);
	assert_int_equal(cbi, 10);
	assert_memory_equal(pi, inner, 10);
	/* A count past the end is refused. */
	b.lpb[32] = 11;
	assert_int_equal(mapix_contab_eid_parse(b.cb, b.lpb, &type, &idx, &cbi, &pi), MAPI_E_INVALID_ENTRYID);
	MAPIFreeBuffer(b.lpb);
	assert_int_equal(mapix_contab_eid_build(MAPIX_CONTAB_DISTLIST, 0xFF, 10, inner, NULL, &b), S_OK);
	assert_int_equal(b.lpb[24], 5);
	assert_int_equal(b.lpb[28], 0xFF);
	MAPIFreeBuffer(b.lpb);
	assert_int_equal(mapix_contab_eid_build(MAPIX_CONTAB_USER, 6, 10, inner, NULL, &b), MAPI_E_INVALID_PARAMETER);
}

/* A bit-at-a-time CRC written from the MS-OXOCNTC 3.1.5.11 description, to
 * check the library's table-driven one on random data. */
static ULONG slow_crc(ULONG crc, const BYTE *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0xEDB88320u : 0);
	}
	return crc;
}

static void test_checksum(void **state)
{
	(void)state;
	/* Known answers: seed 0 and no final inversion make "123456789" give
	 * 0x2DFD2D88 (the usual CRC-32, with both, gives 0xCBF43926), a single
	 * 0x01 byte the table's entry 1, and zero bytes stay 0. */
	SBinary one = {9, (LPBYTE) "123456789"};
	assert_int_equal(mapix_dl_checksum(1, &one), 0x2DFD2D88u);
	BYTE b1 = 1, z[4] = {0};
	SBinary s1 = {1, &b1}, sz = {4, z};
	assert_int_equal(mapix_dl_checksum(1, &s1), 0x77073096u);
	assert_int_equal(mapix_dl_checksum(1, &sz), 0);
	assert_int_equal(mapix_dl_checksum(0, NULL), 0);
	/* Over several values it runs on as if they were concatenated. */
	BYTE a[40];
	for (int i = 0; i < 40; i++)
		a[i] = (BYTE)i;
	SBinary two[2] = {{40, a}, {5, (LPBYTE) "hello"}};
	assert_int_equal(mapix_dl_checksum(2, two), 0xBCF7E337u);
	/* Random members against the slow reference. */
	srand(7);
	for (int round = 0; round < 50; round++) {
		BYTE buf[3][97];
		SBinary v[3];
		ULONG want = 0;
		for (int k = 0; k < 3; k++) {
			v[k].cb = (ULONG)(rand() % 97);
			v[k].lpb = buf[k];
			for (ULONG j = 0; j < v[k].cb; j++)
				buf[k][j] = (BYTE)rand();
			want = slow_crc(want, buf[k], v[k].cb);
		}
		assert_int_equal(mapix_dl_checksum(3, v), want);
	}
}

static void test_stream_round_trip(void **state)
{
	(void)state;
	MAPIX_DL_MEMBER m[3];
	BYTE inner[70] = {0};
	assert_int_equal(mapix_dl_member_oneoff("Ann", "SMTP", "ann@x", NULL, &m[0]), S_OK);
	assert_int_equal(mapix_dl_member_contact(70, inner, 1, "Bo", "SMTP", "bo@x", NULL, &m[1]), S_OK);
	assert_int_equal(mapix_wrapped_eid_build(MAPIX_WRAPPED_TYPE_DISTLIST, 70, inner, NULL, &m[2].member), S_OK);
	m[2].oneoff.cb = 0;
	m[2].oneoff.lpb = NULL;
	SBinary s;
	assert_int_equal(mapix_dl_stream_build(3, m, MAPIX_DL_STREAM_ALWAYS, NULL, &s), S_OK);
	/* Header: version 1, reserved 0, build, flags, count, totals, 0. */
	assert_int_equal(s.lpb[0], 1);
	assert_int_equal(s.lpb[1], 0);
	assert_int_equal(s.lpb[8], 1);
	assert_int_equal(s.lpb[12], 3);
	ULONG total_eid = m[0].member.cb + m[1].member.cb + m[2].member.cb;
	ULONG total_one = m[0].oneoff.cb + m[1].oneoff.cb;
	assert_int_equal(s.lpb[16] | s.lpb[17] << 8, total_eid);
	assert_int_equal(s.lpb[20] | s.lpb[21] << 8, total_one);
	assert_int_equal(s.cb, 28 + 3 * 12 + total_eid + total_one + 8);
	MAPIX_DL dl;
	assert_int_equal(mapix_dl_stream_parse(s.cb, s.lpb, NULL, &dl), S_OK);
	assert_int_equal(dl.cMembers, 3);
	assert_int_equal(dl.ulStreamFlags, MAPIX_DL_STREAM_ALWAYS);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dl.aMembers[i].member.cb, m[i].member.cb);
		assert_memory_equal(dl.aMembers[i].member.lpb, m[i].member.lpb, m[i].member.cb);
		assert_int_equal(dl.aMembers[i].oneoff.cb, m[i].oneoff.cb);
	}
	MAPIFreeBuffer(dl.aMembers);
	/* Every truncation is refused, never read past. */
	for (ULONG cut = 0; cut < s.cb; cut++) {
		BYTE *copy = malloc(cut ? cut : 1);
		memcpy(copy, s.lpb, cut);
		assert_int_equal(mapix_dl_stream_parse(cut, copy, NULL, &dl), MAPI_E_CORRUPT_DATA);
		free(copy);
	}
	/* A count that cannot fit. */
	s.lpb[15] = 0x7F;
	assert_int_equal(mapix_dl_stream_parse(s.cb, s.lpb, NULL, &dl), MAPI_E_CORRUPT_DATA);
	MAPIFreeBuffer(s.lpb);
	for (int i = 0; i < 3; i++)
		MAPIFreeBuffer(m[i].member.lpb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneoff_unicode_layout),
		cmocka_unit_test(test_oneoff_ansi_and_format_bits),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_ab_and_contab),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_stream_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
