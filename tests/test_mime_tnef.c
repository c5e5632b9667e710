/*
 * test_mime_tnef.c — winmail.dat (TNEF) import through libytnef, and the
 * RTF pieces: MS-OXRTFCP compression both ways (with the specification's
 * example), WrapCompressedRTFStream, and reading HTML or text out of RTF
 * (MS-OXRTFEX de-encapsulation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>

#include "core/error.h"
#include "mime/mime-rtf.h"
#include "mime_target.h"

static char *tmpdir;

static gchar *load(const char *rel, gsize *len)
{
	char *path = mapix_test_source_path(rel);
	gchar *data = NULL;
	assert_true(g_file_get_contents(path, &data, len, NULL));
	free(path);
	return data;
}

static char *str_prop(LPMAPIPROP obj, ULONG tag)
{
	GByteArray *b = NULL;
	if (mapix_mime_read_utf8(obj, tag, &b) != S_OK)
		return NULL;
	char *s = g_strndup((const char *)b->data, b->len);
	g_byte_array_unref(b);
	return s;
}

static void test_tnef_import(void **state)
{
	gsize len = 0;
	gchar *mail = load("tests/data/mime/tnef.eml", &len);
	LPMESSAGE msg = mime_target_open();
	char *warnings = NULL;
	assert_int_equal(mapix_mime_to_message((const BYTE *)mail, len, msg, 0, &warnings), S_OK);
	g_free(mail);

	char *body = str_prop((LPMAPIPROP)msg, PR_BODY_W);
	assert_string_equal(body, "Body from TNEF: café");
	g_free(body);
	LPSPropValue v = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_IMPORTANCE, &v), S_OK);
	assert_int_equal(v->Value.l, IMPORTANCE_HIGH);
	MAPIFreeBuffer(v);

	/* The RTF body encapsulates HTML: PR_HTML comes from it. */
	GByteArray *html = NULL;
	assert_int_equal(mapix_mime_read_binary((LPMAPIPROP)msg, PR_HTML, &html), S_OK);
	char *h = g_strndup((const char *)html->data, html->len);
	assert_string_equal(h, "<html><body>Hello <b>bold</b> café</body></html>");
	g_free(h);
	g_byte_array_unref(html);

	/* Named properties arrive under the target's own ids. */
	GUID common = {0x00062008, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
	GUID pubstr = {0x00020329, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
	MAPINAMEID byid = {.lpguid = &common, .ulKind = MNID_ID, .Kind.lID = 0x8503};
	MAPINAMEID byname = {.lpguid = &pubstr, .ulKind = MNID_STRING, .Kind.lpwstrName = (LPWSTR)u"X-Mapix-Test"};
	LPMAPINAMEID names[2] = {&byid, &byname};
	LPSPropTagArray tags = NULL;
	assert_int_equal(IMessage_GetIDsFromNames(msg, 2, names, 0, &tags), S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PROP_TAG(PT_BOOLEAN, PROP_ID(tags->aulPropTag[0])), &v), S_OK);
	assert_true(v->Value.b);
	MAPIFreeBuffer(v);
	char *named = str_prop((LPMAPIPROP)msg, PROP_TAG(PT_UNICODE, PROP_ID(tags->aulPropTag[1])));
	assert_string_equal(named, "Wert ü");
	g_free(named);
	MAPIFreeBuffer(tags);

	/* winmail.dat itself is gone; its attachment is there. */
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_int_equal(IMessage_GetAttachmentTable(msg, 0, &t), S_OK);
	assert_int_equal(HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows), S_OK);
	IMAPITable_Release(t);
	assert_int_equal(rows->cRows, 1);
	LPSPropValue num = PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues, PR_ATTACH_NUM);
	LPATTACH att = NULL;
	assert_int_equal(IMessage_OpenAttach(msg, (ULONG)num->Value.l, NULL, 0, &att), S_OK);
	char *name = str_prop((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W);
	assert_string_equal(name, "Bericht für Q1.txt");
	g_free(name);
	GByteArray *data = NULL;
	assert_int_equal(mapix_mime_read_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, &data), S_OK);
	assert_int_equal(data->len, 26);
	assert_memory_equal(data->data, "Quarterly report\r\nline 2\r\n", 26);
	g_byte_array_unref(data);
	IAttach_Release(att);
	FreeProws(rows);

	/* The export is ordinary MIME with both bodies and the attachment. */
	BYTE *out = NULL;
	size_t outlen = 0;
	assert_int_equal(mapix_message_to_mime_buffer(msg, 0, &out, &outlen), S_OK);
	assert_non_null(strstr((const char *)out, "multipart/alternative"));
	assert_non_null(strstr((const char *)out, "text/html"));
	assert_non_null(strstr((const char *)out, "Bericht"));
	assert_null(strstr((const char *)out, "ms-tnef"));
	MAPIFreeBuffer(out);
	MAPIFreeBuffer(warnings);
	IMessage_Release(msg);
}

/* Damaged TNEF: the part stays an attachment and a warning says why. */
static void test_tnef_damaged(void **state)
{
	gsize len = 0;
	gchar *tnef = load("tests/data/mime/winmail.dat", &len);
	for (gsize cut = 7; cut < len; cut += 37) {
		GString *mail = g_string_new("From: a@example.com\nSubject: cut\nMIME-Version: 1.0\n"
		                             "Content-Type: application/ms-tnef\nContent-Transfer-Encoding: base64\n\n");
		gchar *b64 = g_base64_encode((const guchar *)tnef, cut);
		g_string_append(mail, b64);
		g_string_append(mail, "\n");
		g_free(b64);
		LPMESSAGE msg = mime_target_open();
		char *w = NULL;
		assert_int_equal(mapix_mime_to_message((const BYTE *)mail->str, mail->len, msg, 0, &w), S_OK);
		assert_non_null(w);
		assert_non_null(strstr(w, "TNEF"));
		MAPIFreeBuffer(w);
		IMessage_Release(msg);
		g_string_free(mail, TRUE);
	}
	/* Flipped length fields everywhere must not reach libytnef. */
	for (gsize at = 6; at < len; at++) {
		gchar *bad = g_memdup2(tnef, len);
		bad[at] = (gchar)0xFF;
		LPMESSAGE msg = mime_target_open();
		mapix_mime_warnings w = {0};
		mapix_mime_import ctx = {.warnings = &w, .hdr_end = -1};
		HRESULT hr = mapix_mime_import_tnef(&ctx, (const BYTE *)bad, len, msg);
		assert_true(hr == S_OK || hr == MAPI_E_CORRUPT_DATA);
		mapix_mime_warnings_finish(&w, NULL);
		IMessage_Release(msg);
		g_free(bad);
	}
	/* A repeated attribute (libytnef would overwrite and leak the first). */
	gsize rlen = 0;
	gchar *repeated = load("tests/fuzz/crashes/tnef/repeated-class", &rlen);
	LPMESSAGE msg = mime_target_open();
	mapix_mime_warnings w = {0};
	mapix_mime_import ctx = {.warnings = &w, .hdr_end = -1};
	assert_int_equal(mapix_mime_import_tnef(&ctx, (const BYTE *)repeated, rlen, msg), MAPI_E_CORRUPT_DATA);
	mapix_mime_warnings_finish(&w, NULL);
	IMessage_Release(msg);
	g_free(repeated);
	g_free(tnef);
}

/* MS-OXRTFCP 3.1.1: the specification's compressed example. */
static const BYTE spec_compressed[] = {
	0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7,
	0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20,
	0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f,
	0xa0};
static const char spec_rtf[] = "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n";

static void test_rtf_spec_example(void **state)
{
	BYTE *rtf = NULL;
	ULONG n = 0;
	assert_int_equal(mapix_rtf_decompress(spec_compressed, sizeof spec_compressed, &rtf, &n), S_OK);
	assert_int_equal(n, strlen(spec_rtf));
	assert_memory_equal(rtf, spec_rtf, n);
	MAPIFreeBuffer(rtf);

	/* Our compressor gives output the decompressor (and its CRC) accepts. */
	BYTE *comp = NULL;
	assert_int_equal(mapix_rtf_compress((const BYTE *)spec_rtf, (ULONG)strlen(spec_rtf), &comp, &n), S_OK);
	assert_true(n < 16 + strlen(spec_rtf)); /* it does compress */
	BYTE *back = NULL;
	ULONG bn = 0;
	assert_int_equal(mapix_rtf_decompress(comp, n, &back, &bn), S_OK);
	assert_int_equal(bn, strlen(spec_rtf));
	assert_memory_equal(back, spec_rtf, bn);
	/* A damaged byte is caught by the CRC. */
	comp[20] ^= 0x55;
	assert_int_equal(mapix_rtf_decompress(comp, n, &back, &bn) == S_OK ? 0 : 1, 1);
	MAPIFreeBuffer(comp);
	MAPIFreeBuffer(back);
}

static void roundtrip(const BYTE *data, size_t len)
{
	BYTE *comp = NULL, *back = NULL;
	ULONG cn = 0, bn = 0;
	assert_int_equal(mapix_rtf_compress(data, (ULONG)len, &comp, &cn), S_OK);
	assert_int_equal(mapix_rtf_decompress(comp, cn, &back, &bn), S_OK);
	assert_int_equal(bn, len);
	if (len)
		assert_memory_equal(back, data, len);
	MAPIFreeBuffer(comp);
	MAPIFreeBuffer(back);
}

static void test_rtf_roundtrips(void **state)
{
	roundtrip((const BYTE *)"", 0);
	roundtrip((const BYTE *)"a", 1);
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 3000; i++)
		g_string_append_printf(s, "{\\pard line %d \\par}\r\n", i % 17);
	roundtrip((const BYTE *)s->str, s->len); /* long runs, dictionary wrap-around */
	g_string_free(s, TRUE);
	BYTE *rnd = g_malloc(20000);
	guint32 x = 12345;
	for (int i = 0; i < 20000; i++) {
		x = x * 1103515245 + 12345;
		rnd[i] = (BYTE)(x >> 16);
	}
	roundtrip(rnd, 20000);
	memset(rnd, 'A', 20000); /* self-overlapping matches */
	roundtrip(rnd, 20000);
	g_free(rnd);
}

static void test_wrap_stream(void **state)
{
	LPSTREAM inner = NULL, wrap = NULL;
	const char *rtf = "{\\rtf1\\ansi\\fromtext Hi\\par there}";
	ULONG w = 0, r = 0;
	char buf[256];

	for (int uncompressed = 0; uncompressed < 2; uncompressed++) {
		assert_int_equal(mapix_mime_memstream_new(NULL, 0, NULL, NULL, NULL, &inner), S_OK);
		assert_int_equal(WrapCompressedRTFStream(inner, MAPI_MODIFY | (uncompressed ? STORE_UNCOMPRESSED_RTF : 0),
		                                         &wrap), S_OK);
		assert_int_equal(IStream_Write(wrap, rtf, (ULONG)strlen(rtf), &w), S_OK);
		assert_int_equal(IStream_Commit(wrap, 0), S_OK);
		IStream_Release(wrap);
		/* The stored value names its form. */
		LARGE_INTEGER zero = {.QuadPart = 0};
		assert_int_equal(IStream_Seek(inner, zero, STREAM_SEEK_SET, NULL), S_OK);
		BYTE hdr[16];
		assert_int_equal(IStream_Read(inner, hdr, 16, &r), S_OK);
		assert_memory_equal(hdr + 8, uncompressed ? "MELA" : "LZFu", 4);
		assert_int_equal(IStream_Seek(inner, zero, STREAM_SEEK_SET, NULL), S_OK);
		assert_int_equal(WrapCompressedRTFStream(inner, 0, &wrap), S_OK);
		assert_int_equal(IStream_Read(wrap, buf, sizeof buf, &r), S_OK);
		assert_int_equal(r, strlen(rtf));
		assert_memory_equal(buf, rtf, r);
		IStream_Release(wrap);
		IStream_Release(inner);
	}
	assert_int_equal(WrapCompressedRTFStream(NULL, 0, &wrap), MAPI_E_INVALID_PARAMETER);
}

static void expect_body(const char *rtf, ULONG want_kind, const char *want)
{
	ULONG kind = 0;
	char *body = NULL;
	size_t n = 0;
	assert_int_equal(mapix_rtf_to_body((const BYTE *)rtf, (ULONG)strlen(rtf), &kind, &body, &n), S_OK);
	assert_int_equal(kind, want_kind);
	assert_string_equal(body, want);
	assert_int_equal(n, strlen(want));
	MAPIFreeBuffer(body);
}

static void test_rtf_bodies(void **state)
{
	expect_body("{\\rtf1\\ansi\\ansicpg1252\\fromtext \\deff0{\\fonttbl{\\f0 Arial;}}Line one\\par Line two}",
	            MAPIX_RTF_TEXT, "Line one\r\nLine two");
	expect_body("{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}{\\colortbl;\\red0\\green0\\blue0;}"
	            "{\\*\\generator Writer;}Caf\\'e9 \\u8364? and {\\b bold}\\tab end}",
	            MAPIX_RTF_TEXT, "Café € and bold\tend");
	expect_body("{\\rtf1\\ansi\\ansicpg1251 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2}", MAPIX_RTF_TEXT, "Привет");
	expect_body("{\\rtf1\\ansi\\fromhtml1 {\\*\\htmltag19 <p>}\\htmlrtf {\\pard\\htmlrtf0 x\\{y\\}"
	            "{\\*\\htmltag27 </p>}\\htmlrtf \\par}\\htmlrtf0 }",
	            MAPIX_RTF_HTML, "<p>x{y}</p>");
	/* Broken RTF gives what it can, never more than it has. */
	const char *broken[] = {"{\\rtf1 unclosed {{{{ text", "}}}}}", "\\", "{\\'", "{\\'4", "{\\u-", "{\\uc99999999 x}",
	                        "{\\*", "{\\*\\htmltag"};
	for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
		ULONG kind = 0;
		char *body = NULL;
		size_t n = 0;
		assert_int_equal(mapix_rtf_to_body((const BYTE *)broken[i], (ULONG)strlen(broken[i]), &kind, &body, &n), S_OK);
		MAPIFreeBuffer(body);
	}
	GString *deep = g_string_new("{\\rtf1 ");
	for (int i = 0; i < 100000; i++)
		g_string_append_c(deep, '{');
	g_string_append(deep, "deep");
	ULONG kind = 0;
	char *body = NULL;
	size_t n = 0;
	assert_int_equal(mapix_rtf_to_body((const BYTE *)deep->str, (ULONG)deep->len, &kind, &body, &n), S_OK);
	assert_string_equal(body, "deep");
	MAPIFreeBuffer(body);
	g_string_free(deep, TRUE);
}

static int setup(void **state)
{
	tmpdir = mapix_test_tmpdir("mime-tnef");
	return mime_target_setup(tmpdir);
}

static int teardown(void **state)
{
	mime_target_teardown();
	mapix_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tnef_import),     cmocka_unit_test(test_tnef_damaged),
		cmocka_unit_test(test_rtf_spec_example), cmocka_unit_test(test_rtf_roundtrips),
		cmocka_unit_test(test_wrap_stream),     cmocka_unit_test(test_rtf_bodies),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
