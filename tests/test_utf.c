/*
 * test_utf.c — UTF-8 <-> UTF-16 conversion (src/core/utf.c): every scalar
 * value round-trips, ill-formed input becomes U+FFFD per maximal subpart,
 * lone surrogates become U+FFFD, the _buf variants report the full length
 * and never cut a character, and the allocating variants hang their result
 * on the parent or make a new root.
 */
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/memory.h"
#include "testutil.h"

#define FFFD 0xFFFD

static void test_wcslen(void **state)
{
	(void)state;
	assert_int_equal(mapix_wcslen(NULL), 0);
	assert_int_equal(mapix_wcslen(u""), 0);
	assert_int_equal(mapix_wcslen(u"abc"), 3);
	assert_int_equal(mapix_wcslen(u"\U0001D11E"), 2);
}

/* Converts UTF-8 bytes and checks the exact UTF-16 units. */
static void expect_utf16(const char *src, size_t srclen, const WCHAR *want, size_t wantlen)
{
	WCHAR buf[64];
	size_t n = mapix_utf8_to_utf16_buf(src, srclen, buf, 64);
	assert_int_equal(n, wantlen);
	assert_memory_equal(buf, want, wantlen * sizeof(WCHAR));
	assert_int_equal(buf[n], 0);
	/* The length-only call agrees. */
	assert_int_equal(mapix_utf8_to_utf16_buf(src, srclen, NULL, 0), wantlen);
}

#define EXPECT16(src, ...)                                                      \
	do {                                                                        \
		static const WCHAR want_[] = {__VA_ARGS__};                             \
		expect_utf16(src, sizeof(src) - 1, want_, sizeof want_ / sizeof *want_); \
	} while (0)

static void test_utf8_valid(void **state)
{
	(void)state;
	EXPECT16("abc", 'a', 'b', 'c');
	EXPECT16("h\xC3\xA9", 'h', 0xE9);
	EXPECT16("\x7F\xC2\x80\xDF\xBF", 0x7F, 0x80, 0x7FF);
	EXPECT16("\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF", 0x800, 0xD7FF, 0xE000, 0xFFFF);
	EXPECT16("\xF0\x90\x80\x80", 0xD800, 0xDC00);
	EXPECT16("\xF4\x8F\xBF\xBF", 0xDBFF, 0xDFFF);
	EXPECT16("\xE2\x82\xAC\xF0\x9D\x84\x9E", 0x20AC, 0xD834, 0xDD1E);
	/* An embedded NUL is a character like any other. */
	EXPECT16("a\0b", 'a', 0, 'b');
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	/* Overlong encodings: C0/C1 are never valid leads. */
	EXPECT16("\xC0\xAF", FFFD, FFFD);
	EXPECT16("\xC1\xBF", FFFD, FFFD);
	EXPECT16("\xE0\x80\xAF", FFFD, FFFD, FFFD);
	EXPECT16("\xF0\x80\x80\xAF", FFFD, FFFD, FFFD, FFFD);
	/* Surrogates encoded in UTF-8 (CESU style). */
	EXPECT16("\xED\xA0\x80", FFFD, FFFD, FFFD);
	EXPECT16("\xED\xA0\xBD\xED\xB8\x80", FFFD, FFFD, FFFD, FFFD, FFFD, FFFD);
	/* Above U+10FFFF, and leads that can only start such values. */
	EXPECT16("\xF4\x90\x80\x80", FFFD, FFFD, FFFD, FFFD);
	EXPECT16("\xF5\x80\x80\x80", FFFD, FFFD, FFFD, FFFD);
	EXPECT16("\xFF\xFE", FFFD, FFFD);
	/* Truncated sequences: one U+FFFD for the maximal valid prefix. */
	EXPECT16("\xE2\x82", FFFD);
	EXPECT16("\xE2\x82" "A", FFFD, 'A');
	EXPECT16("\xF0\x9F\x98", FFFD);
	EXPECT16("\xF0\x9F\x98" "\xC3\xA9", FFFD, 0xE9);
	EXPECT16("\xC3", FFFD);
	/* Stray continuation bytes. */
	EXPECT16("a\x80" "b", 'a', FFFD, 'b');
	EXPECT16("\xBF\xBF", FFFD, FFFD);
	/* The example of Unicode's "U+FFFD substitution of maximal subparts". */
	EXPECT16("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 'a', FFFD, FFFD, FFFD, 'b', FFFD, 'c', FFFD,
	         FFFD, 'd');
}

static void expect_utf8(const WCHAR *src, size_t srclen, const char *want)
{
	char buf[64];
	size_t n = mapix_utf16_to_utf8_buf(src, srclen, buf, sizeof buf);
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(mapix_utf16_to_utf8_buf(src, srclen, NULL, 0), strlen(want));
}

#define EXPECT8(want, ...)                                               \
	do {                                                                 \
		static const WCHAR src_[] = {__VA_ARGS__};                       \
		expect_utf8(src_, sizeof src_ / sizeof *src_, want);             \
	} while (0)

static void test_utf16_surrogates(void **state)
{
	(void)state;
	EXPECT8("a\xC3\xA9\xE2\x82\xAC", 'a', 0xE9, 0x20AC);
	EXPECT8("\xF0\x9D\x84\x9E", 0xD834, 0xDD1E);
	EXPECT8("\xF4\x8F\xBF\xBF", 0xDBFF, 0xDFFF);
	EXPECT8("\xEF\xBF\xBD" "a", 0xD800, 'a');
	EXPECT8("a\xEF\xBF\xBD", 'a', 0xDC00);
	EXPECT8("\xEF\xBF\xBD\xEF\xBF\xBD", 0xDC00, 0xD800);
	EXPECT8("\xEF\xBF\xBD", 0xD800);
	EXPECT8("\xEF\xBF\xBD\xF0\x90\x80\x80", 0xD800, 0xD800, 0xDC00);
	EXPECT8("\xEF\xBF\xBD\xEF\xBF\xBD", 0xDBFF, 0xDBFF);
}

static void test_buf_truncation(void **state)
{
	WCHAR w[8];
	char c[8];
	(void)state;

	/* "a€": room for 'a' only (one unit is kept for the NUL). */
	memset(w, 0x55, sizeof w);
	assert_int_equal(mapix_utf8_to_utf16_buf("a\xE2\x82\xAC", 4, w, 2), 2);
	assert_int_equal(w[0], 'a');
	assert_int_equal(w[1], 0);
	/* A surrogate pair is never split. */
	memset(w, 0x55, sizeof w);
	assert_int_equal(mapix_utf8_to_utf16_buf("a\xF0\x9D\x84\x9E", 5, w, 3), 3);
	assert_int_equal(w[0], 'a');
	assert_int_equal(w[1], 0);
	assert_int_equal(w[2], 0x5555);
	assert_int_equal(mapix_utf8_to_utf16_buf("a\xF0\x9D\x84\x9E", 5, w, 4), 3);
	assert_int_equal(w[1], 0xD834);
	assert_int_equal(w[2], 0xDD1E);
	assert_int_equal(w[3], 0);
	/* Nothing after a character that did not fit, even if later ones would. */
	assert_int_equal(mapix_utf8_to_utf16_buf("\xF0\x9D\x84\x9E" "b", 5, w, 2), 3);
	assert_int_equal(w[0], 0);
	/* cap 1: only the NUL. */
	w[0] = 0x55;
	assert_int_equal(mapix_utf8_to_utf16_buf("abc", 3, w, 1), 3);
	assert_int_equal(w[0], 0);
	/* cap 0 writes nothing at all. */
	w[0] = 0x55;
	assert_int_equal(mapix_utf8_to_utf16_buf("abc", 3, w, 0), 3);
	assert_int_equal(w[0], 0x55);

	/* The UTF-8 direction never cuts a multi-byte sequence. */
	memset(c, 'x', sizeof c);
	assert_int_equal(mapix_utf16_to_utf8_buf(u"a\u00E9", 2, c, 3), 3);
	assert_string_equal(c, "a");
	assert_int_equal(mapix_utf16_to_utf8_buf(u"a\u00E9", 2, c, 4), 3);
	assert_string_equal(c, "a\xC3\xA9");
	assert_int_equal(mapix_utf16_to_utf8_buf(u"\U0001D11E", 2, c, 4), 4);
	assert_string_equal(c, "");
	c[0] = 'x';
	assert_int_equal(mapix_utf16_to_utf8_buf(u"abc", 3, c, 0), 3);
	assert_int_equal(c[0], 'x');
	/* NULL source with any length reads as empty. */
	assert_int_equal(mapix_utf16_to_utf8_buf(NULL, 5, c, sizeof c), 0);
	assert_string_equal(c, "");
	assert_int_equal(mapix_utf8_to_utf16_buf(NULL, 5, w, 8), 0);
	assert_int_equal(w[0], 0);
}

static size_t encode8(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Every scalar value survives UTF-8 -> UTF-16 -> UTF-8. */
static void test_every_scalar_roundtrips(void **state)
{
	uint32_t cp;
	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		char in[4], out[8];
		WCHAR w[3];
		size_t n, nw, n8;
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = encode8(cp, in);
		nw = mapix_utf8_to_utf16_buf(in, n, w, 3);
		assert_int_equal(nw, cp >= 0x10000 ? 2 : 1);
		if (nw == 1)
			assert_int_equal(w[0], cp);
		else
			assert_int_equal(0x10000 + ((uint32_t)(w[0] - 0xD800) << 10) + (w[1] - 0xDC00), cp);
		n8 = mapix_utf16_to_utf8_buf(w, nw, out, sizeof out);
		assert_int_equal(n8, n);
		assert_memory_equal(in, out, n);
	}
}

/* Random bytes: the output is well-formed, so converting it again changes
 * nothing, and the two directions agree on lengths. */
static void test_random_bytes(void **state)
{
	uint32_t seed = 12345;
	unsigned rounds = 2000 * mapix_test_stress(), r;
	(void)state;
	for (r = 0; r < rounds; r++) {
		unsigned char in[32];
		WCHAR w[80], w2[80];
		char out[160];
		size_t len = r % 32, i, nw, n8, nw2;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Bias towards the interesting bytes. */
			in[i] = (unsigned char)((seed >> 16) & 1 ? 0x80 | (seed >> 8) : seed >> 24);
		}
		nw = mapix_utf8_to_utf16_buf((const char *)in, len, w, 80);
		assert_true(nw <= len);
		n8 = mapix_utf16_to_utf8_buf(w, nw, out, sizeof out);
		nw2 = mapix_utf8_to_utf16_buf(out, n8, w2, 80);
		assert_int_equal(nw2, nw);
		assert_memory_equal(w, w2, nw * sizeof(WCHAR));
		for (i = 0; i < nw; i++) {
			/* No lone surrogate survives. */
			if (w[i] >= 0xD800 && w[i] <= 0xDBFF) {
				assert_true(i + 1 < nw && w[i + 1] >= 0xDC00 && w[i + 1] <= 0xDFFF);
				i++;
			} else {
				assert_false(w[i] >= 0xDC00 && w[i] <= 0xDFFF);
			}
		}
	}
}

static void test_allocating(void **state)
{
	LPWSTR w = NULL;
	LPSTR s = NULL;
	LPVOID parent = NULL;
	size_t live;
	(void)state;

	live = mapix_memory_live_blocks();
	assert_int_equal(mapix_utf8_to_utf16("gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80", NULL, &w), S_OK);
	assert_int_equal(mapix_wcslen(w), 7);
	assert_memory_equal(w, u"gr\u00FC\u00DF \U0001F600", 8 * sizeof(WCHAR));
	assert_int_equal(mapix_utf16_to_utf8(w, NULL, &s), S_OK);
	assert_string_equal(s, "gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80");
	MAPIFreeBuffer(w);
	MAPIFreeBuffer(s);
	assert_int_equal(mapix_memory_live_blocks(), live);

	/* Children of a parent go away with it. */
	assert_int_equal(MAPIAllocateBuffer(16, &parent), S_OK);
	assert_int_equal(mapix_utf8_to_utf16("", parent, &w), S_OK);
	assert_int_equal(w[0], 0);
	assert_int_equal(mapix_utf16_to_utf8(u"\xD800x", parent, &s), S_OK);
	assert_string_equal(s, "\xEF\xBF\xBDx");
	assert_int_equal(mapix_memory_live_blocks(), live + 3);
	MAPIFreeBuffer(parent);
	assert_int_equal(mapix_memory_live_blocks(), live);

	/* Bad arguments are refused with a message. */
	w = (LPWSTR)u"dangling";
	assert_int_equal(mapix_utf8_to_utf16(NULL, NULL, &w), MAPI_E_INVALID_PARAMETER);
	assert_null(w);
	assert_true(strlen(MAPIXGetLastErrorText()) > 0);
	assert_int_equal(mapix_utf16_to_utf8(NULL, NULL, &s), MAPI_E_INVALID_PARAMETER);
	assert_null(s);
	assert_int_equal(mapix_utf8_to_utf16("x", NULL, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_utf16_to_utf8(u"x", NULL, NULL), MAPI_E_INVALID_PARAMETER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wcslen),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf16_surrogates),
		cmocka_unit_test(test_buf_truncation),
		cmocka_unit_test(test_every_scalar_roundtrips),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_allocating),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
