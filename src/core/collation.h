/*
 * collation.h — private header of the string module: the UTF-8 and UTF-16
 * decoders shared by utf.c, collation.c and propcompare.c, the generated
 * folding tables (casefold_table.c, made by scripts/gen-casefold.py) and the
 * internal entry points of the one collation of mapix.
 *
 * Every string is read as a sequence of code points: invalid UTF-8 (per the
 * Unicode "maximal subpart" rule) and lone UTF-16 surrogates read as U+FFFD.
 * So a UTF-8 and a UTF-16 form of the same text always compare and match
 * alike.
 */
#ifndef MAPIX_CORE_COLLATION_H
#define MAPIX_CORE_COLLATION_H

#include <stddef.h>
#include <stdint.h>

#include <mapix/mapiutil.h>

#define MAPIX_REPLACEMENT_CHAR ((uint32_t)0xFFFD)

/* What mapix_fold_codepoint returns for a code point that the fold drops
 * (a nonspacing mark under FL_IGNORENONSPACE or FL_LOOSE). */
#define MAPIX_FOLD_DROPPED ((uint32_t)0xFFFFFFFF)
/* The longest sequence one code point folds to (Indic two-part vowels and
 * musical symbols decompose into up to three non-Mn code points). */
#define MAPIX_FOLD_MAX_EXPANSION 3

/* ---- Generated tables (casefold_table.c) ------------------------------- */

enum mapix_fold_kind {
	MAPIX_FOLD_DELTA = 0,  /* cp -> cp + delta */
	MAPIX_FOLD_DROP = 1,   /* cp -> nothing */
	MAPIX_FOLD_EXPAND = 2, /* cp -> mapix_fold_pool[delta .. delta + stride) */
};

/* Maps every code point lo, lo + stride, ... up to hi. Ranges in a table are
 * sorted and do not overlap. */
struct mapix_fold_range {
	uint32_t lo;
	uint32_t hi;
	int32_t delta;
	uint16_t stride;
	uint16_t kind;
};

struct mapix_fold_table {
	const struct mapix_fold_range *ranges;
	size_t count;
};

extern const char mapix_fold_unicode_version[];
extern const uint32_t mapix_fold_pool[];
extern const struct mapix_fold_table mapix_fold_simple;   /* FL_IGNORECASE */
extern const struct mapix_fold_table mapix_fold_nonspace; /* FL_IGNORENONSPACE */
extern const struct mapix_fold_table mapix_fold_loose;    /* FL_LOOSE */

/* ---- Decoders ------------------------------------------------------------ */

/* Decodes the code point at s[*pos] (*pos < len) and advances *pos. An
 * ill-formed sequence yields one U+FFFD for its maximal valid prefix (at
 * least one byte), as Unicode recommends: overlongs, encoded surrogates,
 * values above U+10FFFF and truncated sequences all become U+FFFD. */
static inline uint32_t mapix_utf8_next(const unsigned char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	unsigned c = s[i++];
	unsigned need, lo = 0x80, hi = 0xBF;
	uint32_t cp;

	if (c < 0x80) {
		*pos = i;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong below U+0800 */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates U+D800..U+DFFF */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong below U+10000 */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		*pos = i;
		return MAPIX_REPLACEMENT_CHAR;
	}
	while (need--) {
		unsigned b;
		if (i >= len) {
			*pos = i;
			return MAPIX_REPLACEMENT_CHAR;
		}
		b = s[i];
		if (b < lo || b > hi) {
			*pos = i;
			return MAPIX_REPLACEMENT_CHAR;
		}
		lo = 0x80;
		hi = 0xBF;
		cp = (cp << 6) | (b & 0x3F);
		i++;
	}
	*pos = i;
	return cp;
}

/* Decodes the code point at s[*pos] (*pos < len); a surrogate that is not
 * part of a high-low pair yields U+FFFD and consumes one unit. */
static inline uint32_t mapix_utf16_next(const WCHAR *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	uint32_t u = s[i++];

	if (u >= 0xD800 && u <= 0xDFFF) {
		if (u <= 0xDBFF && i < len && s[i] >= 0xDC00 && s[i] <= 0xDFFF) {
			u = 0x10000 + ((u - 0xD800) << 10) + (s[i] - 0xDC00);
			i++;
		} else {
			u = MAPIX_REPLACEMENT_CHAR;
		}
	}
	*pos = i;
	return u;
}

/* Encodes cp (a scalar value) as UTF-8 into out[4]; returns the byte count. */
static inline size_t mapix_utf8_encode(uint32_t cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A copy of a UTF-8 string (len bytes) in which every ill-formed sequence is
 * replaced by U+FFFD, NUL-terminated, from malloc (NULL when out of memory).
 * Used where a byte-level engine (regex) must see the same text as the
 * code-point functions. */
char *mapix_utf8_sanitize(const char *s, size_t len);

/* ---- The collation ------------------------------------------------------- */

/* A string in either encoding: len is in bytes (UTF-8) or WCHARs (UTF-16). */
struct mapix_text {
	const void *p;
	size_t len;
	int wide;
};

static inline struct mapix_text mapix_text_utf8(const char *s, size_t len)
{
	struct mapix_text t = {s, s ? len : 0, 0};
	return t;
}

static inline struct mapix_text mapix_text_utf16(const WCHAR *s, size_t len)
{
	struct mapix_text t = {s, s ? len : 0, 1};
	return t;
}

/* The table for a fuzzy level, or NULL for the exact (code-point) order. */
const struct mapix_fold_table *mapix_collation_table(ULONG ulFuzzyLevel);
/* Folds cp with table; writes 0..MAPIX_FOLD_MAX_EXPANSION code points. */
size_t mapix_collation_fold(const struct mapix_fold_table *table, uint32_t cp, uint32_t *out);
/* The first max_chars characters of t (SIZE_MAX: all), folded for
 * ulFuzzyLevel and written as UTF-8 (malloc'd; NULL when out of memory):
 * keys whose plain byte order is the collation's order, for indexes and
 * unique constraints that must not depend on a registered collation. */
char *mapix_collation_fold_key(struct mapix_text t, ULONG ulFuzzyLevel, size_t max_chars);
/* <0, 0, >0: the folded code-point sequences in lexicographic order. */
int mapix_collation_compare(struct mapix_text a, struct mapix_text b, ULONG ulFuzzyLevel);
/* FL_FULLSTRING / FL_SUBSTRING / FL_PREFIX match of the folded sequences.
 * Other values of the low 16 bits never match. */
BOOL mapix_collation_match(struct mapix_text haystack, struct mapix_text needle, ULONG ulFuzzyLevel);

#endif
