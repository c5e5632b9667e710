/*
 * test_mime_write_source.c — the public writer of kept originals
 * (mapixmime.h: mapix_mime_source_allowed, mapix_mime_write_source,
 * mapix_mime_write_source_stream), which `mapix export` uses without
 * going through mapix_message_to_mime:
 *
 *   - for each input (LF, CRLF, mixed, a CR LF pair split across the
 *     64 KiB pieces, a CR at the very end, no line end at all, empty) and
 *     with and without MAPIX_MIME_CRLF, the buffer form, the stream form
 *     and mapix_message_to_mime of a message holding the bytes in
 *     PR_INTERNET_CONTENT give the same bytes, and those are the expected
 *     conversion computed here independently;
 *   - the predicate: exactly REGENERATE, NO_BCC, NO_PASSTHROUGH and
 *     NEW_MESSAGE_ID forbid the verbatim form, and mapix_message_to_mime
 *     rebuilds under them;
 *   - a write function that stops gives MAPI_E_USER_CANCEL; NULL arguments
 *     MAPI_E_INVALID_PARAMETER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include <mapix/edkmdb.h>
#include <mapix/mapiguid.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>

#include "mime/mime.h"

typedef struct sink {
	BYTE *p;
	size_t n, cap;
	size_t stop_after; /* 0: never stop */
	unsigned calls;
} sink;

static int collect(void *ctx, const void *data, size_t len)
{
	sink *s = ctx;
	s->calls++;
	if (s->stop_after && s->n + len > s->stop_after)
		return 1;
	if (s->n + len > s->cap) {
		s->cap = (s->n + len) * 2 + 16;
		s->p = realloc(s->p, s->cap);
		assert_non_null(s->p);
	}
	if (len)
		memcpy(s->p + s->n, data, len);
	s->n += len;
	return 0;
}

/* The conversion as mapixmime.h describes it, written plainly: the first
 * line end decides; to CRLF every LF without a CR before it gains one, to
 * LF every CR LF loses the CR. */
static BYTE *expected(const BYTE *in, size_t n, BOOL want_crlf, size_t *out_n)
{
	BYTE *out = malloc(2 * n + 1);
	assert_non_null(out);
	const BYTE *nl = memchr(in, '\n', n);
	BOOL crlf = nl && nl > in && nl[-1] == '\r';
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (nl && want_crlf && !crlf && in[i] == '\n' && !(i > 0 && in[i - 1] == '\r'))
			out[o++] = '\r';
		if (nl && !want_crlf && crlf && in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			continue;
		out[o++] = in[i];
	}
	*out_n = o;
	return out;
}

static LPMESSAGE message_with(const BYTE *data, size_t n)
{
	LPMESSAGE msg = NULL;
	LPSTREAM st = NULL;
	assert_int_equal(mapix_mime_memmsg_new(&msg), S_OK);
	assert_int_equal(IMessage_OpenProperty(msg, PR_INTERNET_CONTENT, &IID_IStream, STGM_READWRITE,
	                                       MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&st),
	                 S_OK);
	ULONG w = 0;
	assert_int_equal(IStream_Write(st, data, (ULONG)n, &w), S_OK);
	assert_int_equal(w, n);
	assert_int_equal(IStream_Commit(st, STGC_DEFAULT), S_OK);
	IStream_Release(st);
	return msg;
}

static void assert_bytes(const sink *s, const BYTE *want, size_t n, const char *what)
{
	if (s->n != n)
		fail_msg("%s: %zu bytes, want %zu", what, s->n, n);
	for (size_t i = 0; i < n; i++)
		if (s->p[i] != want[i])
			fail_msg("%s: byte %zu is 0x%02X, want 0x%02X", what, i, s->p[i], want[i]);
}

/* One input through the three writers, with and without CRLF. */
static void check(const BYTE *in, size_t n, const char *what)
{
	LPMESSAGE msg = message_with(in, n);
	for (int crlf = 0; crlf < 2; crlf++) {
		ULONG flags = crlf ? MAPIX_MIME_CRLF : 0;
		size_t want_n;
		BYTE *want = expected(in, n, crlf, &want_n);
		char label[200];

		sink a = {0};
		assert_int_equal(mapix_mime_write_source(in, n, flags, collect, &a), S_OK);
		snprintf(label, sizeof label, "%s, buffer, crlf=%d", what, crlf);
		assert_bytes(&a, want, want_n, label);

		LPSTREAM st = NULL;
		assert_int_equal(mapix_mime_memstream_new(in, n, NULL, NULL, NULL, &st), S_OK);
		sink b = {0};
		assert_int_equal(mapix_mime_write_source_stream(st, flags, collect, &b), S_OK);
		IStream_Release(st);
		snprintf(label, sizeof label, "%s, stream, crlf=%d", what, crlf);
		assert_bytes(&b, want, want_n, label);

		sink c = {0};
		assert_int_equal(mapix_message_to_mime(msg, flags, collect, &c), S_OK);
		snprintf(label, sizeof label, "%s, mapix_message_to_mime, crlf=%d", what, crlf);
		assert_bytes(&c, want, want_n, label);

		free(a.p);
		free(b.p);
		free(c.p);
		free(want);
	}
	IMessage_Release(msg);
}

/* A message of n bytes: headers, then text lines of the given ending. */
static BYTE *make_mail(size_t n, const char *eol)
{
	BYTE *p = malloc(n);
	assert_non_null(p);
	size_t o = 0;
	char line[100];
	for (unsigned i = 0; o < n; i++) {
		int k = i == 0 ? snprintf(line, sizeof line, "Subject: test%s", eol)
		    : i == 1   ? snprintf(line, sizeof line, "%s", eol)
		               : snprintf(line, sizeof line, "line %u of the body, some text to fill it%s", i, eol);
		for (int j = 0; j < k && o < n; j++)
			p[o++] = (BYTE)line[j];
	}
	return p;
}

static void test_line_endings(void **state)
{
	(void)state;
	static const char *const small[] = {
	    "Subject: a\n\nbody\n",
	    "Subject: a\r\n\r\nbody\r\n",
	    "Subject: a\r\n\nmixed: first CRLF decides\n\r\nlone\rCR\r\n",
	    "Subject: a\n\nmixed: first LF decides\r\n\nlone\rCR\n",
	    "no line end at all",
	    "ends in a CR\r",
	    "\r",
	    "\n",
	    "",
	};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		check((const BYTE *)small[i], strlen(small[i]), small[i]);

	/* Larger than a table's limit and than one 64 KiB piece. */
	static const size_t sizes[] = {40 * 1024, 65536, 65537, 200 * 1024 + 3};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		BYTE *lf = make_mail(sizes[i], "\n"), *crlf = make_mail(sizes[i], "\r\n");
		char what[64];
		snprintf(what, sizeof what, "%zu bytes LF", sizes[i]);
		check(lf, sizes[i], what);
		snprintf(what, sizeof what, "%zu bytes CRLF", sizes[i]);
		check(crlf, sizes[i], what);
		free(lf);
		free(crlf);
	}

	/* A CR LF pair split at the piece boundary, and a CR ending a piece
	 * that is not followed by an LF. */
	for (int lone = 0; lone < 2; lone++) {
		size_t n = 65536 * 2 + 10;
		BYTE *p = make_mail(n, "\r\n");
		p[65535] = '\r';
		p[65536] = lone ? 'x' : '\n';
		check(p, n, lone ? "lone CR at the piece end" : "CR LF across pieces");
		BYTE *q = make_mail(n, "\n");
		q[65535] = '\r';
		q[65536] = lone ? 'x' : '\n';
		check(q, n, lone ? "LF form, lone CR at the piece end" : "LF form, CR LF across pieces");
		free(p);
		free(q);
	}
}

static void test_allowed(void **state)
{
	(void)state;
	assert_true(mapix_mime_source_allowed(0));
	assert_true(mapix_mime_source_allowed(MAPIX_MIME_CRLF));
	static const ULONG rebuild[] = {MAPIX_MIME_REGENERATE, MAPIX_MIME_NO_BCC, MAPIX_MIME_NO_PASSTHROUGH,
	                                MAPIX_MIME_NEW_MESSAGE_ID};
	const char *mail = "Subject: kept\n\nthe kept bytes\n";
	LPMESSAGE msg = message_with((const BYTE *)mail, strlen(mail));
	for (size_t i = 0; i < sizeof rebuild / sizeof rebuild[0]; i++) {
		assert_false(mapix_mime_source_allowed(rebuild[i]));
		assert_false(mapix_mime_source_allowed(rebuild[i] | MAPIX_MIME_CRLF));
		/* mapix_message_to_mime decides by the same predicate: rebuilt,
		 * so not the kept bytes. */
		sink s = {0};
		assert_int_equal(mapix_message_to_mime(msg, rebuild[i], collect, &s), S_OK);
		assert_false(s.n == strlen(mail) && memcmp(s.p, mail, s.n) == 0);
		free(s.p);
	}
	IMessage_Release(msg);
}

static void test_errors(void **state)
{
	(void)state;
	sink s = {0};
	assert_int_equal(mapix_mime_write_source(NULL, 5, 0, collect, &s), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_mime_write_source((const BYTE *)"x", 1, 0, NULL, &s), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_mime_write_source_stream(NULL, 0, collect, &s), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_mime_write_source(NULL, 0, 0, collect, &s), S_OK);
	assert_int_equal(s.n, 0);

	/* The write function stops: the call says so, with an error text. */
	size_t n = 300 * 1024;
	BYTE *p = make_mail(n, "\n");
	sink stop = {.stop_after = 100 * 1024};
	assert_int_equal(mapix_mime_write_source(p, n, 0, collect, &stop), MAPI_E_USER_CANCEL);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "stopped"));
	assert_true(stop.n <= 100 * 1024);
	LPSTREAM st = NULL;
	assert_int_equal(mapix_mime_memstream_new(p, n, NULL, NULL, NULL, &st), S_OK);
	sink stop2 = {.stop_after = 100 * 1024};
	assert_int_equal(mapix_mime_write_source_stream(st, MAPIX_MIME_CRLF, collect, &stop2), MAPI_E_USER_CANCEL);
	IStream_Release(st);
	free(stop.p);
	free(stop2.p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_endings),
	    cmocka_unit_test(test_allowed),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
