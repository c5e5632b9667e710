/*
 * test_mime_malformed.c — broken mail must come in with best effort and a
 * warning, never a crash, a hang or lost content: the hand-made samples of
 * tests/data/mime/malformed/ and generated extremes (deep nesting, huge and
 * endless headers, many parts). Every import is exported and imported
 * again, which must succeed too.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>

#include "core/error.h"
#include "mime_target.h"

static char *tmpdir;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Imports data, exports it and imports the export; returns the first
 * message (caller releases) and its warnings. */
static LPMESSAGE convert(const BYTE *data, size_t len, char **warnings)
{
	LPMESSAGE msg = mime_target_open(), again = NULL;
	BYTE *out = NULL;
	size_t outlen = 0;
	HRESULT hr = mapix_mime_to_message(data, len, msg, 0, warnings);
	if (hr != S_OK)
		fail_msg("import: %s (%s)", mapix_error_name(hr), MAPIXGetLastErrorText());
	hr = mapix_message_to_mime_buffer(msg, 0, &out, &outlen);
	if (hr != S_OK)
		fail_msg("export: %s (%s)", mapix_error_name(hr), MAPIXGetLastErrorText());
	again = mime_target_open();
	hr = mapix_mime_to_message(out, outlen, again, 0, NULL);
	if (hr != S_OK)
		fail_msg("import of the export: %s (%s)", mapix_error_name(hr), MAPIXGetLastErrorText());
	IMessage_Release(again);
	MAPIFreeBuffer(out);
	return msg;
}

static char *body_of(LPMESSAGE msg)
{
	GByteArray *b = NULL;
	if (mapix_mime_read_utf8((LPMAPIPROP)msg, PR_BODY_W, &b) != S_OK)
		return g_strdup("");
	char *s = g_strndup((const char *)b->data, b->len);
	g_byte_array_unref(b);
	return s;
}

static LPMESSAGE convert_file(const char *name, char **warnings)
{
	char rel[256];
	snprintf(rel, sizeof rel, "tests/data/mime/malformed/%s", name);
	char *path = mapix_test_source_path(rel);
	gchar *data = NULL;
	gsize len = 0;
	assert_true(g_file_get_contents(path, &data, &len, NULL));
	LPMESSAGE msg = convert((const BYTE *)data, len, warnings);
	g_free(data);
	free(path);
	return msg;
}

static void expect(const char *file, const char *warning_part, const char *body_part)
{
	char *w = NULL;
	LPMESSAGE msg = convert_file(file, &w);
	if (warning_part && (!w || !strstr(w, warning_part)))
		fail_msg("%s: no warning containing \"%s\" (got: %s)", file, warning_part, w ? w : "none");
	if (body_part) {
		char *body = body_of(msg);
		if (!strstr(body, body_part))
			fail_msg("%s: body lacks \"%s\": %s", file, body_part, body);
		g_free(body);
	}
	MAPIFreeBuffer(w);
	IMessage_Release(msg);
}

static void test_samples(void **state)
{
	expect("broken-boundary.eml", "truncated", "the real part");
	expect("bad-base64.eml", "invalid characters in base64", "Hello");
	expect("bad-base64.eml", "invalid characters in quoted-printable", NULL);
	expect("wrong-charset.eml", "x-no-such-charset", "café naïve –");
	expect("mislabelled-ascii.eml", "us-ascii", "Grüße aus München");
	expect("8bit-headers.eml", "8-bit", "body");
	expect("8bit-headers.eml", "Date header", NULL);
	expect("no-headers.eml", "no message headers", "just some text");
	expect("empty.eml", "no message headers", NULL);
	expect("truncated.eml", "truncated", NULL);
	expect("bad-addresses.eml", "invalid address list", NULL); /* its text is an attachment */
	expect("nul-bytes.eml", NULL, NULL);

	/* 8-bit headers still give readable Unicode. */
	LPMESSAGE msg = convert_file("8bit-headers.eml", NULL);
	LPSPropValue v = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_SUBJECT_W, &v), S_OK);
	char *s = mapix_mime_utf16_dup(v->Value.lpszW);
	assert_string_equal(s, "Grüße ohne Kodierung");
	g_free(s);
	MAPIFreeBuffer(v);
	IMessage_Release(msg);
}

/* Every file of the folder converts (so new samples are covered too). */
static void test_every_sample(void **state)
{
	char *dir = mapix_test_source_path("tests/data/mime/malformed");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		LPMESSAGE msg = convert_file(e->d_name, NULL);
		IMessage_Release(msg);
		n++;
	}
	closedir(d);
	free(dir);
	assert_true(n >= 10);
}

static void run_generated(GString *mail, double max_seconds, const char *what)
{
	char *w = NULL;
	double t0 = now();
	LPMESSAGE msg = convert((const BYTE *)mail->str, mail->len, &w);
	double dt = now() - t0;
	if (dt > max_seconds)
		fail_msg("%s took %.1f s", what, dt);
	MAPIFreeBuffer(w);
	IMessage_Release(msg);
}

static void test_deep_multipart_nesting(void **state)
{
	GString *m = g_string_new("From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n");
	const int depth = 2000;
	for (int i = 0; i < depth; i++)
		g_string_append_printf(m, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
	g_string_append(m, "Content-Type: text/plain\n\ninnermost\n");
	for (int i = depth - 1; i >= 0; i--)
		g_string_append_printf(m, "--b%d--\n", i);
	run_generated(m, 30, "2000 nested multiparts");
	g_string_free(m, TRUE);
}

static void test_deep_message_nesting(void **state)
{
	GString *m = g_string_new(NULL);
	const int depth = 300;
	for (int i = 0; i < depth; i++)
		g_string_append_printf(m, "From: n%d@example.com\nSubject: level %d\nMIME-Version: 1.0\n"
		                          "Content-Type: message/rfc822\n\n", i, i);
	g_string_append(m, "Subject: bottom\n\nbottom text\n");
	run_generated(m, 30, "300 nested messages");
	g_string_free(m, TRUE);
}

/* GMime grows a folded header in small steps; under AddressSanitizer every
 * realloc copies, which makes the endless header quadratic there (not in
 * normal builds, where it takes a fraction of a second). */
#if defined(__SANITIZE_ADDRESS__)
#define MIME_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIME_TEST_ASAN 1
#endif
#endif
#ifdef MIME_TEST_ASAN
static const int endless_lines = 20000;
static const int subject_bytes = 256 * 1024;
#else
static const int endless_lines = 200000;
static const int subject_bytes = 4 * 1024 * 1024;
#endif

static void test_huge_headers(void **state)
{
	GString *m = g_string_new("From: a@example.com\nSubject: ");
	for (int i = 0; i < subject_bytes / 8; i++)
		g_string_append(m, "verylong");
	g_string_append(m, "\nX-Endless: start\n");
	for (int i = 0; i < endless_lines; i++)
		g_string_append(m, " continued\n");
	/* 5000 recipients: more would time the in-memory test message's
	 * recipient table (a linear ITableData), not the converter. */
	g_string_append(m, "To: ");
	for (int i = 0; i < 5000; i++)
		g_string_append_printf(m, "user%d@example.com, ", i);
	g_string_append(m, "last@example.com\n\nbody\n");
	run_generated(m, 60, "huge headers");
	g_string_free(m, TRUE);
}

static void test_many_parts(void **state)
{
	GString *m = g_string_new("From: a@example.com\nSubject: many\nMIME-Version: 1.0\n"
	                          "Content-Type: multipart/mixed; boundary=x\n\n");
	const int parts = 3000 * (int)mapix_test_stress();
	for (int i = 0; i < parts; i++)
		g_string_append_printf(m, "--x\nContent-Type: application/octet-stream; name=p%d.bin\n"
		                          "Content-Transfer-Encoding: base64\n\nAAECAwQ=\n", i);
	g_string_append(m, "--x--\n");
	run_generated(m, 60, "many parts");
	g_string_free(m, TRUE);
}

static int setup(void **state)
{
	tmpdir = mapix_test_tmpdir("mime-malformed");
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
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_every_sample),
		cmocka_unit_test(test_deep_multipart_nesting),
		cmocka_unit_test(test_deep_message_nesting),
		cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_many_parts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
