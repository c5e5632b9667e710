/*
 * test_mime.c — RFC 5322/MIME <-> MAPI conversion (src/mime): the
 * properties each header becomes, and, for every message of
 * tests/data/mime/, an export compared with the original by an independent
 * parser (tests/mime_compare.py, Python's email package), then an import
 * of that export and a second export compared again.
 *
 * The target messages come from mime_target_open() (tests/mime_target.h):
 * new messages in a mailbox made for the run, saved and opened again before
 * they are checked; MAPIX_MIME_TARGET=memory uses in-memory messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>

#include "mime/mime.h"
#include "core/error.h"
#include "mime_target.h"

static char *tmpdir;

static BYTE *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	BYTE *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *data_path(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof rel, "tests/data/mime/%s", name);
	return mapix_test_source_path(rel);
}

static void write_file(const char *path, const BYTE *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int python_compare(const char *a, const char *b, const char *extra)
{
	char *script = mapix_test_source_path("tests/mime_compare.py");
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s' %s", script, a, b, extra ? extra : "");
	free(script);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static LPMESSAGE import_file(const char *name, ULONG flags, char **warnings)
{
	size_t len = 0;
	char *path = data_path(name);
	BYTE *data = read_file(path, &len);
	LPMESSAGE msg = mime_target_open();
	HRESULT hr = mapix_mime_to_message(data, len, msg, flags, warnings);
	if (hr != S_OK)
		fail_msg("import of %s: %s (%s)", name, mapix_error_name(hr), MAPIXGetLastErrorText());
	mime_target_commit(&msg); /* read back what the store kept */
	free(data);
	free(path);
	return msg;
}

static char *get_str(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	if (HrGetOneProp(obj, tag, &v) != S_OK)
		return NULL;
	char *s = mapix_mime_utf16_dup(v->Value.lpszW);
	MAPIFreeBuffer(v);
	return s;
}

static LONG get_long(LPMAPIPROP obj, ULONG tag, LONG dflt)
{
	LPSPropValue v = NULL;
	if (HrGetOneProp(obj, tag, &v) != S_OK)
		return dflt;
	LONG l = v->Value.l;
	MAPIFreeBuffer(v);
	return l;
}

static int64_t get_time(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	if (HrGetOneProp(obj, tag, &v) != S_OK)
		return -1;
	int64_t t = mapix_filetime_to_unix(v->Value.ft, NULL);
	MAPIFreeBuffer(v);
	return t;
}

static void assert_str_prop(LPMAPIPROP obj, ULONG tag, const char *want)
{
	char *s = get_str(obj, tag);
	if (!s)
		fail_msg("property 0x%08X missing, want \"%s\"", (unsigned)tag, want);
	assert_string_equal(s, want);
	g_free(s);
}

static LPSRowSet all_rows(LPMAPITABLE t)
{
	LPSRowSet rows = NULL;
	assert_int_equal(HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows), S_OK);
	IMAPITable_Release(t);
	return rows;
}

static LPSRowSet recipients(LPMESSAGE msg)
{
	LPMAPITABLE t = NULL;
	assert_int_equal(IMessage_GetRecipientTable(msg, MAPI_UNICODE, &t), S_OK);
	return all_rows(t);
}

static LPSRowSet attachments(LPMESSAGE msg)
{
	LPMAPITABLE t = NULL;
	assert_int_equal(IMessage_GetAttachmentTable(msg, MAPI_UNICODE, &t), S_OK);
	return all_rows(t);
}

static char *row_str(const SRow *row, ULONG tag)
{
	LPSPropValue v = PpropFindProp(row->lpProps, row->cValues, tag);
	return v ? mapix_mime_utf16_dup(v->Value.lpszW) : NULL;
}

/* ---- properties of one message -------------------------------------------- */

static void test_plain_properties(void **state)
{
	char *warnings = NULL;
	LPMESSAGE msg = import_file("plain.eml", 0, &warnings);
	LPMAPIPROP p = (LPMAPIPROP)msg;

	assert_str_prop(p, PR_MESSAGE_CLASS_W, "IPM.Note");
	assert_str_prop(p, PR_SUBJECT_W, "RE: Quarterly numbers");
	assert_str_prop(p, PR_SUBJECT_PREFIX_W, "RE: ");
	assert_str_prop(p, PR_NORMALIZED_SUBJECT_W, "Quarterly numbers");
	assert_str_prop(p, PR_SENT_REPRESENTING_NAME_W, "Alice Example");
	assert_str_prop(p, PR_SENT_REPRESENTING_SMTP_ADDRESS_W, "alice@example.org");
	assert_str_prop(p, PR_SENDER_EMAIL_ADDRESS_W, "alice@example.org");
	assert_str_prop(p, PR_SENDER_ADDRTYPE_W, "SMTP");
	assert_str_prop(p, PR_INTERNET_MESSAGE_ID_W, "<20240312091527.12345@client.example.org>");
	assert_str_prop(p, PR_IN_REPLY_TO_ID_W, "<abc123@mail.example.com>");
	assert_str_prop(p, PR_INTERNET_REFERENCES_W, "<root1@example.org> <abc123@mail.example.com>");
	assert_int_equal(get_time(p, PR_CLIENT_SUBMIT_TIME), 1710234927);
	assert_int_equal(get_time(p, PR_MESSAGE_DELIVERY_TIME), 1710234932);
	assert_int_equal(get_long(p, PR_IMPORTANCE, -1), IMPORTANCE_HIGH);
	assert_int_equal(get_long(p, PR_SENSITIVITY, -1), SENSITIVITY_COMPANY_CONFIDENTIAL);
	assert_int_equal(get_long(p, PR_READ_RECEIPT_REQUESTED, 0) & 0xFFFF, 1);
	assert_int_equal(get_long(p, PR_MESSAGE_FLAGS, -1) & MSGFLAG_READ, 0);

	char *hdrs = get_str(p, PR_TRANSPORT_MESSAGE_HEADERS_W);
	assert_non_null(hdrs);
	assert_true(strncmp(hdrs, "Return-Path: <alice@example.org>\n", 33) == 0);
	assert_non_null(strstr(hdrs, "\tby mail.example.com (Postfix) with ESMTPS id 4A1B2C3D\n"));
	assert_non_null(strstr(hdrs, "Content-Transfer-Encoding: 7bit"));
	g_free(hdrs);

	char *body = get_str(p, PR_BODY_W);
	assert_non_null(body);
	assert_non_null(strstr(body, "the numbers are attached"));
	g_free(body);

	LPSRowSet rows = recipients(msg);
	assert_int_equal(rows->cRows, 3);
	const struct {
		LONG type;
		const char *name, *addr;
	} want[] = {{MAPI_TO, "Bob Builder", "bob@example.com"},
	            {MAPI_TO, "carol@example.com", "carol@example.com"},
	            {MAPI_CC, "Dave, the Second", "dave@example.net"}};
	for (ULONG i = 0; i < 3; i++) {
		LPSPropValue t = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_RECIPIENT_TYPE);
		assert_non_null(t);
		assert_int_equal(t->Value.l, want[i].type);
		char *n = row_str(&rows->aRow[i], PR_DISPLAY_NAME_W), *a = row_str(&rows->aRow[i], PR_SMTP_ADDRESS_W);
		assert_string_equal(n, want[i].name);
		assert_string_equal(a, want[i].addr);
		LPSPropValue eid = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ENTRYID);
		assert_non_null(eid);
		assert_true(eid->Value.bin.cb > 24); /* a One-Off EntryID */
		g_free(n);
		g_free(a);
	}
	FreeProws(rows);
	MAPIFreeBuffer(warnings);
	IMessage_Release(msg);
}

static void test_rfc2047_and_charsets(void **state)
{
	LPMESSAGE msg = import_file("rfc2047.eml", 0, NULL);
	LPMAPIPROP p = (LPMAPIPROP)msg;
	assert_str_prop(p, PR_SUBJECT_W, "Grüße aus Köln – 日本語");
	assert_str_prop(p, PR_SENT_REPRESENTING_NAME_W, "Jürgen Müller");
	char *body = get_str(p, PR_BODY_W);
	assert_non_null(strstr(body, "Schöne Grüße"));
	assert_non_null(strstr(body, "naïve café"));
	g_free(body);
	LPSRowSet rows = recipients(msg);
	assert_int_equal(rows->cRows, 2);
	char *n0 = row_str(&rows->aRow[0], PR_DISPLAY_NAME_W), *n1 = row_str(&rows->aRow[1], PR_DISPLAY_NAME_W);
	assert_string_equal(n0, "山田太郎");
	assert_string_equal(n1, "Renée Łukasz");
	g_free(n0);
	g_free(n1);
	FreeProws(rows);
	IMessage_Release(msg);

	msg = import_file("charsets.eml", 0, NULL);
	p = (LPMAPIPROP)msg;
	assert_str_prop(p, PR_SUBJECT_W, "件名テスト");
	assert_str_prop(p, PR_SENT_REPRESENTING_NAME_W, "山田");
	body = get_str(p, PR_BODY_W);
	assert_non_null(strstr(body, "日本語のメールです。"));
	g_free(body);
	rows = recipients(msg);
	n0 = row_str(&rows->aRow[0], PR_DISPLAY_NAME_W);
	assert_string_equal(n0, "Иван");
	g_free(n0);
	FreeProws(rows);
	IMessage_Release(msg);
}

static void test_alternative_bodies(void **state)
{
	LPMESSAGE msg = import_file("alternative.eml", 0, NULL);
	char *body = get_str((LPMAPIPROP)msg, PR_BODY_W);
	assert_non_null(body);
	assert_non_null(strstr(body, "Price: 10 € - café"));
	g_free(body);
	GByteArray *html = NULL;
	assert_int_equal(mapix_mime_read_binary((LPMAPIPROP)msg, PR_HTML, &html), S_OK);
	g_byte_array_append(html, (const guint8 *)"", 1);
	assert_non_null(strstr((const char *)html->data, "10 € &mdash; <b>café</b>"));
	g_byte_array_unref(html);
	LPSRowSet rows = attachments(msg);
	assert_int_equal(rows->cRows, 0);
	FreeProws(rows);
	IMessage_Release(msg);
}

static void test_related_and_attachments(void **state)
{
	LPMESSAGE msg = import_file("related.eml", 0, NULL);
	LPSRowSet rows = attachments(msg);
	assert_int_equal(rows->cRows, 2);
	BOOL saw_logo = FALSE, saw_pdf = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		char *name = row_str(&rows->aRow[i], PR_ATTACH_LONG_FILENAME_W);
		char *mime = row_str(&rows->aRow[i], PR_ATTACH_MIME_TAG_W);
		char *cid = row_str(&rows->aRow[i], PR_ATTACH_CONTENT_ID_W);
		LPSPropValue flags = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ATTACH_FLAGS);
		LPSPropValue hidden = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ATTACHMENT_HIDDEN);
		assert_non_null(name);
		if (!strcmp(name, "logo.png")) {
			saw_logo = TRUE;
			assert_string_equal(mime, "image/png");
			assert_string_equal(cid, "logo123@example.com");
			assert_true(flags && (flags->Value.l & ATT_MHTML_REF));
			assert_true(hidden && hidden->Value.b);
		} else {
			saw_pdf = TRUE;
			assert_string_equal(name, "Übersicht – Entwurf.pdf"); /* RFC 2231 continuation */
			assert_string_equal(mime, "application/pdf");
			assert_null(cid);
			assert_true(!hidden || !hidden->Value.b);
		}
		g_free(name);
		g_free(mime);
		g_free(cid);
	}
	assert_true(saw_logo && saw_pdf);
	FreeProws(rows);
	IMessage_Release(msg);

	msg = import_file("attachments.eml", 0, NULL);
	rows = attachments(msg);
	assert_int_equal(rows->cRows, 3);
	char *n0 = row_str(&rows->aRow[0], PR_ATTACH_LONG_FILENAME_W);
	assert_string_equal(n0, "résumé.bin"); /* RFC 2047 in a parameter, as mailers write it */
	g_free(n0);
	LPATTACH att = NULL;
	LPSPropValue num = PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues, PR_ATTACH_NUM);
	assert_int_equal(IMessage_OpenAttach(msg, (ULONG)num->Value.l, NULL, 0, &att), S_OK);
	GByteArray *data = NULL;
	assert_int_equal(mapix_mime_read_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, &data), S_OK);
	assert_int_equal(data->len, 256);
	for (int i = 0; i < 256; i++)
		assert_int_equal(data->data[i], i);
	g_byte_array_unref(data);
	IAttach_Release(att);
	FreeProws(rows);
	rows = recipients(msg);
	assert_int_equal(rows->cRows, 2);
	const SRow *second = rows->aRow + 1;
	LPSPropValue t = PpropFindProp(second->lpProps, second->cValues, PR_RECIPIENT_TYPE);
	assert_int_equal(t->Value.l, MAPI_BCC);
	FreeProws(rows);
	assert_str_prop((LPMAPIPROP)msg, PR_REPLY_RECIPIENT_NAMES_W, "Bob's Desk;helpdesk@example.com");
	IMessage_Release(msg);
}

static void test_embedded_message(void **state)
{
	LPMESSAGE msg = import_file("rfc822.eml", 0, NULL);
	LPSRowSet rows = attachments(msg);
	assert_int_equal(rows->cRows, 1);
	LPSPropValue method = PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues, PR_ATTACH_METHOD);
	assert_int_equal(method->Value.l, ATTACH_EMBEDDED_MSG);
	LPSPropValue num = PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues, PR_ATTACH_NUM);
	LPATTACH att = NULL;
	LPMESSAGE inner = NULL;
	assert_int_equal(IMessage_OpenAttach(msg, (ULONG)num->Value.l, NULL, 0, &att), S_OK);
	assert_int_equal(IAttach_OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&inner), S_OK);
	assert_str_prop((LPMAPIPROP)inner, PR_SUBJECT_W, "Original report");
	assert_str_prop((LPMAPIPROP)inner, PR_SENT_REPRESENTING_NAME_W, "Carol");
	char *hdrs = get_str((LPMAPIPROP)inner, PR_TRANSPORT_MESSAGE_HEADERS_W);
	assert_non_null(strstr(hdrs, "Message-ID: <inner-1@example.com>"));
	g_free(hdrs);
	LPSRowSet inner_atts = attachments(inner);
	assert_int_equal(inner_atts->cRows, 1);
	FreeProws(inner_atts);
	IMessage_Release(inner);
	IAttach_Release(att);
	FreeProws(rows);
	IMessage_Release(msg);
}

static void test_smime_signed(void **state)
{
	LPMESSAGE msg = import_file("smime-signed.eml", 0, NULL);
	assert_str_prop((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W, "IPM.Note.SMIME.MultipartSigned");
	char *body = get_str((LPMAPIPROP)msg, PR_BODY_W);
	assert_non_null(body);
	assert_non_null(strstr(body, "This message is signed."));
	g_free(body);
	LPSRowSet rows = attachments(msg);
	assert_int_equal(rows->cRows, 1); /* only the entity: MS-OXOSMIME */
	char *mime = row_str(&rows->aRow[0], PR_ATTACH_MIME_TAG_W);
	assert_string_equal(mime, "multipart/signed");
	g_free(mime);
	FreeProws(rows);

	/* The export must still verify. */
	BYTE *out = NULL;
	size_t len = 0;
	assert_int_equal(mapix_message_to_mime_buffer(msg, 0, &out, &len), S_OK);
	char path[1024];
	snprintf(path, sizeof path, "%s/signed-export.eml", tmpdir);
	write_file(path, out, len);
	MAPIFreeBuffer(out);
	if (system("openssl version >/dev/null 2>&1") == 0) {
		char cmd[2048];
		snprintf(cmd, sizeof cmd, "openssl smime -verify -noverify -in '%s' -out /dev/null 2>/dev/null", path);
		assert_int_equal(system(cmd), 0);
	} else {
		print_message("openssl not installed: signature not verified\n");
	}
	IMessage_Release(msg);
}

/* ---- export and round trips ------------------------------------------------- */

static const char *const corpus[] = {
	"plain.eml", "rfc2047.eml", "alternative.eml", "related.eml", "attachments.eml",
	"rfc822.eml", "charsets.eml", "smime-signed.eml",
};

static void export_to(LPMESSAGE msg, const char *path)
{
	BYTE *out = NULL;
	size_t len = 0;
	HRESULT hr = mapix_message_to_mime_buffer(msg, 0, &out, &len);
	if (hr != S_OK)
		fail_msg("export to %s: %s (%s)", path, mapix_error_name(hr), MAPIXGetLastErrorText());
	assert_int_equal(strlen((const char *)out), len);
	write_file(path, out, len);
	MAPIFreeBuffer(out);
}

static void test_roundtrip_corpus(void **state)
{
	if (system("python3 -c 'import email' >/dev/null 2>&1") != 0)
		MAPIX_SKIP("python3 not installed: exports not compared");
	for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
		char *orig = data_path(corpus[i]);
		char out1[1024], out2[1024];
		snprintf(out1, sizeof out1, "%s/%s.1", tmpdir, corpus[i]);
		snprintf(out2, sizeof out2, "%s/%s.2", tmpdir, corpus[i]);

		LPMESSAGE msg = import_file(corpus[i], 0, NULL);
		export_to(msg, out1);
		IMessage_Release(msg);
		if (python_compare(orig, out1, NULL) != 0)
			fail_msg("%s: export differs from the original", corpus[i]);

		size_t len = 0;
		BYTE *data = read_file(out1, &len);
		msg = mime_target_open();
		assert_int_equal(mapix_mime_to_message(data, len, msg, 0, NULL), S_OK);
		mime_target_commit(&msg);
		free(data);
		export_to(msg, out2);
		IMessage_Release(msg);
		if (python_compare(out1, out2, NULL) != 0)
			fail_msg("%s: second export differs from the first", corpus[i]);
		if (python_compare(orig, out2, NULL) != 0)
			fail_msg("%s: second export differs from the original", corpus[i]);
		free(orig);
	}
}

/* A message built with MAPI calls only (no import) exports as expected. */
static void test_export_built_message(void **state)
{
	LPMESSAGE msg = mime_target_open();
	LPMAPIPROP p = (LPMAPIPROP)msg;
	static const char big_seed[] = "0123456789abcdef";
	GString *big = g_string_new(NULL);
	while (big->len < 100000)
		g_string_append(big, big_seed);

	assert_int_equal(mapix_mime_set_utf8(p, PR_SUBJECT_W, "Ünïcödé subject", strlen("Ünïcödé subject")), S_OK);
	assert_int_equal(mapix_mime_set_utf8(p, PR_BODY_W, big->str, big->len), S_OK); /* through a stream */
	assert_int_equal(mapix_mime_set_utf8(p, PR_SENT_REPRESENTING_NAME_W, "Zoë", 4), S_OK);
	assert_int_equal(mapix_mime_set_utf8(p, PR_SENT_REPRESENTING_SMTP_ADDRESS_W, "zoe@example.com", 15), S_OK);
	assert_int_equal(mapix_mime_set_time(p, PR_CLIENT_SUBMIT_TIME, 1700000000), S_OK);
	assert_int_equal(mapix_mime_set_long(p, PR_IMPORTANCE, IMPORTANCE_LOW), S_OK);

	BYTE *out = NULL;
	size_t len = 0;
	assert_int_equal(mapix_message_to_mime_buffer(msg, MAPIX_MIME_NEW_MESSAGE_ID | MAPIX_MIME_CRLF, &out, &len), S_OK);
	const char *s = (const char *)out;
	assert_non_null(strstr(s, "From: =?"));
	assert_non_null(strstr(s, "<zoe@example.com>\r\n"));
	assert_non_null(strstr(s, "Subject: =?"));
	assert_non_null(strstr(s, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(s, "Importance: low\r\n"));
	assert_non_null(strstr(s, "Message-Id: <") ? strstr(s, "Message-Id: <") : strstr(s, "Message-ID: <"));

	/* And it comes back the same. */
	LPMESSAGE back = mime_target_open();
	assert_int_equal(mapix_mime_to_message(out, len, back, 0, NULL), S_OK);
	mime_target_commit(&back);
	assert_str_prop((LPMAPIPROP)back, PR_SUBJECT_W, "Ünïcödé subject");
	assert_str_prop((LPMAPIPROP)back, PR_SENT_REPRESENTING_NAME_W, "Zoë");
	GByteArray *body = NULL;
	assert_int_equal(mapix_mime_read_utf8((LPMAPIPROP)back, PR_BODY_W, &body), S_OK);
	/* The MIME writer ends the text with a line break; nothing else changes. */
	assert_true(body->len == big->len + 2 || body->len == big->len);
	assert_memory_equal(body->data, big->str, big->len);
	g_byte_array_unref(body);
	IMessage_Release(back);
	MAPIFreeBuffer(out);
	g_string_free(big, TRUE);
	IMessage_Release(msg);
}

static void test_fd_interfaces(void **state)
{
	char *path = data_path("related.eml");
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	LPMESSAGE msg = mime_target_open();
	assert_int_equal(mapix_mime_fd_to_message(fd, msg, MAPIX_MIME_MARK_READ, NULL), S_OK);
	close(fd);
	assert_int_equal(get_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS, 0) & MSGFLAG_READ, MSGFLAG_READ);
	LPSRowSet rows = attachments(msg);
	assert_int_equal(rows->cRows, 2);
	FreeProws(rows);

	char out[1024];
	snprintf(out, sizeof out, "%s/fd-export.eml", tmpdir);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(mapix_message_to_mime_fd(msg, 0, fd), S_OK);
	close(fd);
	IMessage_Release(msg);
	if (system("python3 -c 'import email' >/dev/null 2>&1") == 0)
		assert_int_equal(python_compare(path, out, NULL), 0);
	free(path);

	/* A pipe is not seekable: read whole, then parsed. */
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	const char mail[] = "Subject: piped\n\nhello\n";
	assert_int_equal(write(pfd[1], mail, sizeof mail - 1), (ssize_t)(sizeof mail - 1));
	close(pfd[1]);
	msg = mime_target_open();
	assert_int_equal(mapix_mime_fd_to_message(pfd[0], msg, 0, NULL), S_OK);
	close(pfd[0]);
	assert_str_prop((LPMAPIPROP)msg, PR_SUBJECT_W, "piped");
	IMessage_Release(msg);
}

static int setup(void **state)
{
	tmpdir = mapix_test_tmpdir("mime");
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
		cmocka_unit_test(test_plain_properties),     cmocka_unit_test(test_rfc2047_and_charsets),
		cmocka_unit_test(test_alternative_bodies),   cmocka_unit_test(test_related_and_attachments),
		cmocka_unit_test(test_embedded_message),     cmocka_unit_test(test_smime_signed),
		cmocka_unit_test(test_roundtrip_corpus),     cmocka_unit_test(test_export_built_message),
		cmocka_unit_test(test_fd_interfaces),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
