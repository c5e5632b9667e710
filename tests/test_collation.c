/*
 * test_collation.c — the one collation of mapix (src/core/collation.c):
 * the generated table against CaseFolding.txt, simple (not full) folding,
 * Greek, Turkish and German cases, combining marks under the mark-dropping
 * levels, code-point order across the surrogate range, agreement of the
 * UTF-8 and UTF-16 forms, matching, and SQLite (collations and mapix_match)
 * agreeing with the C functions on a few hundred generated strings.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/collation.h"
#include "testutil.h"

#define EXACT 0u
#define NOCASE FL_IGNORECASE
#define NONSPACE FL_IGNORENONSPACE
#define LOOSE FL_LOOSE

static const ULONG all_levels[] = {EXACT, NOCASE, NONSPACE, LOOSE, NOCASE | NONSPACE};

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

static int coll8(const char *a, const char *b, ULONG level)
{
	return sign(mapix_collate_utf8(a, strlen(a), b, strlen(b), level));
}

/* Compares in UTF-8 and in UTF-16 and checks that both agree. */
static int coll(const char *a, const char *b, ULONG level)
{
	WCHAR wa[256], wb[256];
	size_t na = mapix_utf8_to_utf16_buf(a, strlen(a), wa, 256);
	size_t nb = mapix_utf8_to_utf16_buf(b, strlen(b), wb, 256);
	int r8 = coll8(a, b, level);
	int r16 = sign(mapix_collate_utf16(wa, na, wb, nb, level));
	assert_int_equal(r8, r16);
	return r8;
}

static BOOL match8(const char *h, const char *n, ULONG level)
{
	BOOL r = mapix_match_utf8(h, strlen(h), n, strlen(n), level);
	static WCHAR wh[2048], wn[2048];
	size_t nh = mapix_utf8_to_utf16_buf(h, strlen(h), wh, 2048);
	size_t nn = mapix_utf8_to_utf16_buf(n, strlen(n), wn, 2048);
	assert_true(nh < 2048 && nn < 2048);
	assert_int_equal(r, mapix_collation_match(mapix_text_utf16(wh, nh), mapix_text_utf16(wn, nn), level));
	return r;
}

/* Every code point folds under FL_IGNORECASE exactly as the C and S lines
 * of CaseFolding.txt say, and every other code point stays itself. */
static void test_table_matches_casefolding(void **state)
{
	static uint32_t expect[0x110000];
	char line[512];
	unsigned entries = 0;
	FILE *f = fopen("/usr/share/unicode/CaseFolding.txt", "r");
	(void)state;

	if (!f)
		MAPIX_SKIP("/usr/share/unicode/CaseFolding.txt not present (Debian package unicode-data)");
	for (uint32_t cp = 0; cp < 0x110000; cp++)
		expect[cp] = cp;
	while (fgets(line, sizeof line, f)) {
		unsigned from, to;
		char status;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%x; %c; %x;", &from, &status, &to) != 3)
			continue;
		if (status == 'C' || status == 'S') {
			expect[from] = to;
			entries++;
		}
	}
	fclose(f);
	assert_true(entries > 1000);
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		if (mapix_fold_codepoint(cp, NOCASE) != expect[cp])
			fail_msg("U+%04X folds to U+%04X, CaseFolding.txt says U+%04X", (unsigned)cp,
			         (unsigned)mapix_fold_codepoint(cp, NOCASE), (unsigned)expect[cp]);
		assert_int_equal(mapix_fold_codepoint(cp, EXACT), cp);
	}
	/* Not code points: unchanged. */
	assert_int_equal(mapix_fold_codepoint(0x110000, NOCASE), 0x110000);
}

/* The mark-dropping levels are idempotent: folding a folded code point
 * again changes nothing, so the collation is a consistent order. */
static void test_fold_idempotent(void **state)
{
	(void)state;
	for (size_t l = 0; l < sizeof all_levels / sizeof *all_levels; l++) {
		const struct mapix_fold_table *t = mapix_collation_table(all_levels[l]);
		for (uint32_t cp = 0; cp < 0x110000; cp++) {
			uint32_t out[MAPIX_FOLD_MAX_EXPANSION], again[MAPIX_FOLD_MAX_EXPANSION];
			size_t n = mapix_collation_fold(t, cp, out);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(mapix_collation_fold(t, out[i], again), 1);
				assert_int_equal(again[0], out[i]);
			}
		}
	}
}

static void test_fold_codepoint(void **state)
{
	(void)state;
	assert_int_equal(mapix_fold_codepoint('A', NOCASE), 'a');
	assert_int_equal(mapix_fold_codepoint('A', NONSPACE), 'A');
	assert_int_equal(mapix_fold_codepoint('A', LOOSE), 'a');
	assert_int_equal(mapix_fold_codepoint(0xC9, NOCASE), 0xE9);    /* É -> é */
	assert_int_equal(mapix_fold_codepoint(0xC9, NONSPACE), 'E');   /* É -> E */
	assert_int_equal(mapix_fold_codepoint(0xC9, LOOSE), 'e');      /* É -> e */
	assert_int_equal(mapix_fold_codepoint(0xC9, NOCASE | NONSPACE), 'e');
	assert_int_equal(mapix_fold_codepoint(0x301, EXACT), 0x301);
	assert_int_equal(mapix_fold_codepoint(0x301, NOCASE), 0x301);
	assert_int_equal(mapix_fold_codepoint(0x301, NONSPACE), MAPIX_FOLD_DROPPED);
	assert_int_equal(mapix_fold_codepoint(0x301, LOOSE), MAPIX_FOLD_DROPPED);
	/* U+0345 simple-folds to iota, but as a mark it is dropped first. */
	assert_int_equal(mapix_fold_codepoint(0x345, NOCASE), 0x3B9);
	assert_int_equal(mapix_fold_codepoint(0x345, LOOSE), MAPIX_FOLD_DROPPED);
	assert_int_equal(mapix_fold_codepoint(0x1FB3, LOOSE), 0x3B1);
	assert_int_equal(mapix_fold_codepoint(0x1FBC, LOOSE), 0x3B1);
	/* Singletons: Kelvin and Angstrom signs, Ohm. */
	assert_int_equal(mapix_fold_codepoint(0x212A, NOCASE), 'k');
	assert_int_equal(mapix_fold_codepoint(0x212B, NOCASE), 0xE5);
	assert_int_equal(mapix_fold_codepoint(0x212B, LOOSE), 'a');
	assert_int_equal(mapix_fold_codepoint(0x2126, LOOSE), 0x3C9);
	/* Beyond the BMP: Deseret. */
	assert_int_equal(mapix_fold_codepoint(0x10400, NOCASE), 0x10428);
	/* Mc and Me are kept; compatibility mappings are not used. */
	assert_int_equal(mapix_fold_codepoint(0x93E, LOOSE), 0x93E);  /* Devanagari AA sign, Mc */
	assert_int_equal(mapix_fold_codepoint(0x20DD, LOOSE), 0x20DD); /* enclosing circle, Me */
	assert_int_equal(mapix_fold_codepoint(0xFB00, LOOSE), 0xFB00); /* ff ligature */
	/* An expansion answers its first code point. */
	assert_int_equal(mapix_fold_codepoint(0x9CB, LOOSE), 0x9C7);
}

static void test_german(void **state)
{
	(void)state;
	/* ß has only an F (full) folding to "ss": simple folding keeps it. */
	assert_int_equal(mapix_fold_codepoint(0xDF, NOCASE), 0xDF);
	assert_int_equal(mapix_fold_codepoint(0x1E9E, NOCASE), 0xDF);
	assert_int_not_equal(coll("STRASSE", "stra\xC3\x9F" "e", NOCASE), 0);
	assert_int_not_equal(coll("STRASSE", "stra\xC3\x9F" "e", LOOSE), 0);
	assert_int_equal(coll("STRA\xE1\xBA\x9E" "E", "stra\xC3\x9F" "e", NOCASE), 0);
	assert_int_equal(coll("STRASSE", "strasse", NOCASE), 0);
	assert_int_equal(coll("\xC3\x9C" "BER", "\xC3\xBC" "ber", NOCASE), 0);
	assert_int_equal(coll("\xC3\x9C" "BER", "uber", LOOSE), 0);
	assert_int_not_equal(coll("\xC3\x9C" "BER", "uber", NOCASE), 0);
	assert_int_equal(coll("M\xC3\xBC" "ller", "Mu\xCC\x88" "ller", NONSPACE), 0);
	assert_int_not_equal(coll("M\xC3\xBC" "ller", "mu\xCC\x88" "ller", NONSPACE), 0);
}

static void test_turkish(void **state)
{
	(void)state;
	/* Simple folding ignores the T (Turkic) lines: I -> i, İ and ı stay. */
	assert_int_equal(mapix_fold_codepoint('I', NOCASE), 'i');
	assert_int_equal(mapix_fold_codepoint(0x130, NOCASE), 0x130);
	assert_int_equal(mapix_fold_codepoint(0x131, NOCASE), 0x131);
	assert_int_equal(mapix_fold_codepoint(0x131, LOOSE), 0x131);
	/* İ is I + U+0307 canonically, so loose reads it as i. */
	assert_int_equal(mapix_fold_codepoint(0x130, LOOSE), 'i');
	assert_int_not_equal(coll("\xC4\xB0stanbul", "istanbul", NOCASE), 0);
	assert_int_equal(coll("\xC4\xB0stanbul", "istanbul", LOOSE), 0);
	assert_int_equal(coll("\xC4\xB0STANBUL", "I\xCC\x87stanbul", LOOSE), 0);
	assert_int_not_equal(coll("\xC4\xB1sparta", "isparta", LOOSE), 0);
	assert_int_equal(coll("ISPARTA", "isparta", NOCASE), 0);
}

static void test_greek(void **state)
{
	(void)state;
	/* Σ, σ and final ς all fold to σ. */
	assert_int_equal(mapix_fold_codepoint(0x3A3, NOCASE), 0x3C3);
	assert_int_equal(mapix_fold_codepoint(0x3C2, NOCASE), 0x3C3);
	/* "ΣΊΣΥΦΟΣ" vs "σίσυφος" */
	assert_int_equal(coll("\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3",
	                      "\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82", NOCASE),
	                 0);
	/* "ΣΙΣΥΦΟΣ" (no tonos) differs with case only, equals loosely. */
	assert_int_not_equal(coll("\xCE\xA3\xCE\x99\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3",
	                          "\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82", NOCASE),
	                     0);
	assert_int_equal(coll("\xCE\xA3\xCE\x99\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3",
	                      "\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82", LOOSE),
	                 0);
	/* ᾳ (U+1FB3) vs α + U+0345: equal loosely. */
	assert_int_equal(coll("\xE1\xBE\xB3", "\xCE\xB1\xCD\x85", LOOSE), 0);
	assert_int_equal(coll("\xE1\xBE\xBC", "\xCE\xB1\xCD\x85", LOOSE), 0);
	assert_int_not_equal(coll("\xE1\xBE\xB3", "\xCE\xB1\xCD\x85", NOCASE), 0);
}

static void test_combining_marks(void **state)
{
	const char *decomposed = "e\xCC\x81"; /* e + U+0301 */
	const char *composed = "\xC3\xA9";    /* é */
	(void)state;
	assert_int_equal(coll(decomposed, composed, EXACT), -1);
	assert_int_equal(coll(decomposed, composed, NOCASE), -1);
	assert_int_equal(coll(decomposed, composed, NONSPACE), 0);
	assert_int_equal(coll(decomposed, composed, LOOSE), 0);
	assert_int_equal(coll(decomposed, "e", LOOSE), 0);
	assert_int_equal(coll("\xC3\x89", decomposed, NONSPACE), -1); /* É vs é: case kept */
	assert_int_equal(coll("\xC3\x89", decomposed, LOOSE), 0);
	assert_int_equal(coll("\xC3\x89", "E", NONSPACE), 0);
	/* Several marks, in either order, and a string of marks only. */
	assert_int_equal(coll("\xE1\xBB\x87", "e\xCC\xA3\xCC\x82", LOOSE), 0); /* ệ */
	assert_int_equal(coll("\xE1\xBB\x87", "e\xCC\x82\xCC\xA3", LOOSE), 0);
	assert_int_equal(coll("\xCC\x81\xCC\x88", "", LOOSE), 0);
	assert_int_equal(coll("\xCC\x81\xCC\x88", "", NOCASE), 1);
	/* Two-part Indic vowel: composed and decomposed agree loosely. */
	assert_int_equal(coll("\xE0\xA7\x8B", "\xE0\xA7\x87\xE0\xA6\xBE", LOOSE), 0);
	assert_int_equal(coll("\xE0\xA7\x8B", "\xE0\xA7\x87\xE0\xA6\xBE", EXACT), 1);
	/* Ordering of base letters stays code-point order after folding. */
	assert_int_equal(coll("\xC3\xA9", "f", LOOSE), -1);
	assert_int_equal(coll("\xC3\xA9", "f", EXACT), 1);
}

static void test_code_point_order(void **state)
{
	(void)state;
	assert_int_equal(coll("", "", EXACT), 0);
	assert_int_equal(coll("", "a", EXACT), -1);
	assert_int_equal(coll("a", "", EXACT), 1);
	assert_int_equal(coll("abc", "abd", EXACT), -1);
	assert_int_equal(coll("ab", "abc", EXACT), -1);
	assert_int_equal(coll("B", "a", EXACT), -1);
	assert_int_equal(coll("B", "a", NOCASE), 1);
	/* U+FFFD, U+E000 and U+FF21 sort before U+10000 in UTF-16 too. */
	assert_int_equal(coll("\xEF\xBF\xBD", "\xF0\x90\x80\x80", EXACT), -1);
	assert_int_equal(coll("\xEE\x80\x80", "\xF0\x90\x80\x80", EXACT), -1);
	assert_int_equal(coll("\xEF\xBC\xA1", "\xF0\x9F\x98\x80", NOCASE), -1);
	assert_int_equal(sign(mapix_collate_utf16(u"\uFFFD", 1, u"\U00010000", 2, EXACT)), -1);
	/* Invalid UTF-8 reads as U+FFFD, as its UTF-16 conversion does. */
	assert_int_equal(coll8("\xFF", "\xEF\xBF\xBD", EXACT), 0);
	assert_int_equal(coll8("a\xC0", "a\xEF\xBF\xBD\xEF\xBF\xBD", EXACT), -1);
	assert_int_equal(coll8("a\xC0\xAF", "a\xEF\xBF\xBD\xEF\xBF\xBD", EXACT), 0);
	assert_int_equal(coll8("\xF0\x90\x80", "\xF0\x90\x80\x80", EXACT), -1);
	assert_int_equal(sign(mapix_collate_utf16(u"\xD800", 1, u"\uFFFD", 1, EXACT)), 0);
	/* Explicit lengths: embedded NUL, NULL with length 0. */
	assert_int_equal(sign(mapix_collate_utf8("a\0b", 3, "a", 1, EXACT)), 1);
	assert_int_equal(sign(mapix_collate_utf8(NULL, 0, "", 0, NOCASE)), 0);
	assert_int_equal(sign(mapix_collate_utf16(NULL, 0, u"a", 1, LOOSE)), -1);
	/* Exact order equals byte order for valid UTF-8. */
	assert_int_equal(coll("\xC3\xBF", "\xC4\x80", EXACT), -1);
}

/* Deterministic generator of short strings from an alphabet chosen to hit
 * case pairs, marks, expansions, non-BMP letters and invalid bytes. */
static const char *const alphabet[] = {
	"a", "A", "b", "B", "e", "E", "i", "I", "s", "S", "z", " ", "0",
	"\xC3\xA9",             /* é */
	"\xC3\x89",             /* É */
	"\xCC\x81",             /* U+0301 */
	"\xC3\x9F",             /* ß */
	"\xE1\xBA\x9E",         /* ẞ */
	"\xC4\xB0",             /* İ */
	"\xC4\xB1",             /* ı */
	"\xCF\x83",             /* σ */
	"\xCF\x82",             /* ς */
	"\xCE\xA3",             /* Σ */
	"\xCD\x85",             /* U+0345 */
	"\xE0\xA7\x8B",         /* U+09CB */
	"\xF0\x90\x90\x80",     /* U+10400 Deseret capital */
	"\xF0\x90\x90\xA8",     /* U+10428 Deseret small */
	"\xEF\xBF\xBD",         /* U+FFFD */
	"\xFF",                 /* invalid */
	"\xE2\x82",             /* truncated */
};
#define NALPHA (sizeof alphabet / sizeof *alphabet)

static uint32_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void gen_string(char *out, size_t cap)
{
	size_t len = rng() % 7, pos = 0;
	for (size_t i = 0; i < len; i++) {
		const char *piece = alphabet[rng() % NALPHA];
		size_t n = strlen(piece);
		if (pos + n + 1 > cap)
			break;
		memcpy(out + pos, piece, n);
		pos += n;
	}
	out[pos] = 0;
}

#define NSTRINGS 400
static char strings[NSTRINGS][64];

static void gen_strings(void)
{
	rng_state = 2024;
	for (int i = 0; i < NSTRINGS; i++)
		gen_string(strings[i], sizeof strings[i]);
}

/* Sign symmetry and transitivity on the generated strings, and UTF-8 vs
 * UTF-16 agreement (coll() checks that). */
static void test_consistent_order(void **state)
{
	(void)state;
	gen_strings();
	for (size_t l = 0; l < sizeof all_levels / sizeof *all_levels; l++) {
		ULONG level = all_levels[l];
		for (int i = 0; i < 60; i++) {
			for (int j = 0; j < 60; j++) {
				int ij = coll(strings[i], strings[j], level);
				assert_int_equal(ij, -coll(strings[j], strings[i], level));
				for (int k = 0; k < 60; k += 7) {
					int jk = coll8(strings[j], strings[k], level);
					if (ij <= 0 && jk <= 0)
						assert_true(coll8(strings[i], strings[k], level) <= 0);
				}
			}
		}
	}
}

static void test_match(void **state)
{
	char longneedle[600], longhay[1300];
	(void)state;
	/* Empty needles. */
	assert_true(match8("abc", "", FL_SUBSTRING));
	assert_true(match8("abc", "", FL_PREFIX));
	assert_false(match8("abc", "", FL_FULLSTRING));
	assert_true(match8("", "", FL_FULLSTRING));
	assert_true(match8("", "", FL_SUBSTRING));
	assert_false(match8("", "a", FL_SUBSTRING));
	assert_false(match8("", "a", FL_PREFIX));
	/* Needle longer than haystack. */
	assert_false(match8("ab", "abc", FL_SUBSTRING));
	assert_false(match8("ab", "abc", FL_PREFIX));
	/* KMP corner cases. */
	assert_true(match8("aaab", "aab", FL_SUBSTRING));
	assert_true(match8("abababc", "ababc", FL_SUBSTRING));
	assert_false(match8("abababd", "ababc", FL_SUBSTRING));
	assert_true(match8("xyzxyz", "zx", FL_SUBSTRING));
	/* Case and marks. */
	assert_false(match8("Hello World", "WORLD", FL_SUBSTRING));
	assert_true(match8("Hello World", "WORLD", FL_SUBSTRING | NOCASE));
	assert_true(match8("Hello World", "hello", FL_PREFIX | NOCASE));
	assert_false(match8("Hello World", "world", FL_PREFIX | NOCASE));
	assert_true(match8("Hello World", "hello world", FL_FULLSTRING | NOCASE));
	assert_false(match8("Hello World", "hello worl", FL_FULLSTRING | NOCASE));
	/* "Le Café" written decomposed; the needle composed or bare. */
	assert_true(match8("Le Cafe\xCC\x81 noir", "CAFE", FL_SUBSTRING | LOOSE));
	assert_true(match8("Le Cafe\xCC\x81 noir", "caf\xC3\xA9 n", FL_SUBSTRING | LOOSE));
	assert_false(match8("Le Cafe\xCC\x81 noir", "caf\xC3\xA9", FL_SUBSTRING | NOCASE));
	assert_true(match8("Le Cafe\xCC\x81 noir", "Caf\xC3\xA9", FL_SUBSTRING | NONSPACE));
	assert_false(match8("Le Cafe\xCC\x81 noir", "caf\xC3\xA9", FL_SUBSTRING | NONSPACE));
	assert_true(match8("e\xCC\x81tude", "\xC3\xA9t", FL_PREFIX | LOOSE));
	assert_false(match8("e\xCC\x81tude", "\xC3\xA9t", FL_PREFIX));
	assert_true(match8("e\xCC\x81tude", "e\xCC\x81t", FL_PREFIX));
	assert_true(match8("\xC3\xA9tude", "ETUDE", FL_FULLSTRING | LOOSE));
	/* A needle of marks only is empty after folding. */
	assert_true(match8("abc", "\xCC\x81", FL_SUBSTRING | LOOSE));
	assert_false(match8("abc", "\xCC\x81", FL_SUBSTRING));
	/* Greek final sigma anywhere. */
	assert_true(match8("\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82", "\xCE\xA6\xCE\x9F\xCE\xA3",
	                   FL_SUBSTRING | NOCASE));
	/* Unknown match kinds never match. */
	assert_false(match8("abc", "abc", 3));
	assert_false(match8("abc", "abc", 0x7FFF | NOCASE));
	/* Needles longer than the stack buffer. */
	for (int i = 0; i < 599; i++)
		longneedle[i] = (char)('a' + (i % 3 == 2));
	longneedle[599] = 0;
	memset(longhay, 'a', sizeof longhay);
	memcpy(longhay + 600, longneedle, 599);
	longhay[sizeof longhay - 1] = 0;
	assert_true(match8(longhay, longneedle, FL_SUBSTRING));
	longneedle[598] = 'c';
	assert_false(match8(longhay, longneedle, FL_SUBSTRING));
	for (int i = 0; i < 599; i++)
		longneedle[i] = (char)(longneedle[i] == 'a' ? 'A' : 'B');
	longneedle[598] = 'A';
	assert_true(match8(longhay, longneedle, FL_SUBSTRING | NOCASE));
}

/* Brute-force reference for substring matching on folded sequences. */
static size_t fold_all(const char *s, ULONG level, uint32_t *out, size_t cap)
{
	size_t pos = 0, n = 0, len = strlen(s);
	const struct mapix_fold_table *t = mapix_collation_table(level);
	while (pos < len) {
		uint32_t tmp[MAPIX_FOLD_MAX_EXPANSION];
		size_t k = mapix_collation_fold(t, mapix_utf8_next((const unsigned char *)s, len, &pos), tmp);
		for (size_t i = 0; i < k && n < cap; i++)
			out[n++] = tmp[i];
	}
	return n;
}

static BOOL reference_match(const char *h, const char *nd, ULONG level)
{
	uint32_t fh[256], fn[256];
	size_t nh = fold_all(h, level, fh, 256), nn = fold_all(nd, level, fn, 256);
	switch (level & 0xFFFF) {
	case FL_FULLSTRING:
		return nh == nn && memcmp(fh, fn, nn * sizeof *fh) == 0;
	case FL_PREFIX:
		return nn <= nh && memcmp(fh, fn, nn * sizeof *fh) == 0;
	case FL_SUBSTRING:
		for (size_t i = 0; i + nn <= nh; i++)
			if (memcmp(fh + i, fn, nn * sizeof *fh) == 0)
				return TRUE;
		return FALSE;
	}
	return FALSE;
}

static void test_match_against_reference(void **state)
{
	static const ULONG kinds[] = {FL_FULLSTRING, FL_SUBSTRING, FL_PREFIX};
	(void)state;
	gen_strings();
	for (size_t l = 0; l < sizeof all_levels / sizeof *all_levels; l++)
		for (size_t k = 0; k < 3; k++)
			for (int i = 0; i < 120; i++)
				for (int j = 0; j < 120; j += 3) {
					ULONG level = all_levels[l] | kinds[k];
					assert_int_equal(match8(strings[i], strings[j], level),
					                 reference_match(strings[i], strings[j], level));
				}
}

/* ---- SQLite ---------------------------------------------------------------- */

static ULONG sort_level;
static int by_collation_then_id(const void *a, const void *b)
{
	int ia = *(const int *)a, ib = *(const int *)b;
	int r = coll8(strings[ia], strings[ib], sort_level);
	return r ? r : (ia > ib) - (ia < ib);
}

static void check_order(sqlite3 *db, const char *collation, ULONG level)
{
	int expect[NSTRINGS], got = 0;
	char sql[128];
	sqlite3_stmt *st;

	for (int i = 0; i < NSTRINGS; i++)
		expect[i] = i;
	sort_level = level;
	qsort(expect, NSTRINGS, sizeof *expect, by_collation_then_id);
	snprintf(sql, sizeof sql, "SELECT id FROM t ORDER BY s COLLATE %s, id", collation);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_true(got < NSTRINGS);
		if (sqlite3_column_int(st, 0) != expect[got])
			fail_msg("%s: row %d is id %d, C order says %d", collation, got, sqlite3_column_int(st, 0),
			         expect[got]);
		got++;
	}
	assert_int_equal(got, NSTRINGS);
	sqlite3_finalize(st);
}

static void check_match(sqlite3 *db, const char *needle, ULONG level)
{
	sqlite3_stmt *st;
	int next = 0;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM t WHERE mapix_match(s, ?1, ?2) ORDER BY id", -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, needle, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, level);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int id = sqlite3_column_int(st, 0);
		for (; next < id; next++)
			assert_false(mapix_match_utf8(strings[next], strlen(strings[next]), needle, strlen(needle), level));
		assert_true(mapix_match_utf8(strings[id], strlen(strings[id]), needle, strlen(needle), level));
		next = id + 1;
	}
	for (; next < NSTRINGS; next++)
		assert_false(mapix_match_utf8(strings[next], strlen(strings[next]), needle, strlen(needle), level));
	sqlite3_finalize(st);
}

static void test_sqlite(void **state)
{
	static const ULONG kinds[] = {FL_FULLSTRING, FL_SUBSTRING, FL_PREFIX};
	sqlite3 *db;
	sqlite3_stmt *st;
	(void)state;

	gen_strings();
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(mapix_collation_register_sqlite(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1, ?2)", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < NSTRINGS; i++) {
		sqlite3_bind_int(st, 1, i);
		sqlite3_bind_text(st, 2, strings[i], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);

	check_order(db, "MAPIX", EXACT);
	check_order(db, "MAPIX_NOCASE", NOCASE);
	check_order(db, "MAPIX_LOOSE", LOOSE);

	/* Needles: some generated strings (which contain the tricky letters)
	 * and a few written out. */
	for (size_t l = 0; l < sizeof all_levels / sizeof *all_levels; l++)
		for (size_t k = 0; k < 3; k++) {
			ULONG level = all_levels[l] | kinds[k];
			for (int i = 0; i < NSTRINGS; i += 37)
				check_match(db, strings[i], level);
			check_match(db, "e", level);
			check_match(db, "\xC3\x89", level);
			check_match(db, "ss", level);
			check_match(db, "\xCF\x83", level);
			check_match(db, "", level);
		}

	/* An index built with the collation answers lookups the same way. */
	assert_int_equal(sqlite3_exec(db, "CREATE INDEX t_nocase ON t(s COLLATE MAPIX_NOCASE)", NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                     "SELECT 'STRASSE' = 'strasse' COLLATE MAPIX_NOCASE,"
	                                     " 'STRASSE' = 'stra\xC3\x9F" "e' COLLATE MAPIX_NOCASE,"
	                                     " 'E\xCC\x81' = '\xC3\xA9' COLLATE MAPIX_LOOSE,"
	                                     " 'a' < 'B' COLLATE MAPIX, 'a' < 'B' COLLATE MAPIX_NOCASE,"
	                                     " mapix_match(NULL, 'a', 1), mapix_match('abc', 'B', 65537)",
	                                     -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	assert_int_equal(sqlite3_column_int(st, 2), 1);
	assert_int_equal(sqlite3_column_int(st, 3), 0);
	assert_int_equal(sqlite3_column_int(st, 4), 1);
	assert_int_equal(sqlite3_column_int(st, 5), 0);
	assert_int_equal(sqlite3_column_int(st, 6), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);

	assert_int_equal(mapix_collation_register_sqlite(NULL), SQLITE_MISUSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_matches_casefolding),
		cmocka_unit_test(test_fold_idempotent),
		cmocka_unit_test(test_fold_codepoint),
		cmocka_unit_test(test_german),
		cmocka_unit_test(test_turkish),
		cmocka_unit_test(test_greek),
		cmocka_unit_test(test_combining_marks),
		cmocka_unit_test(test_code_point_order),
		cmocka_unit_test(test_consistent_order),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_against_reference),
		cmocka_unit_test(test_sqlite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
