/*
 * export_names.c — folder names and categories as the exported files
 * spell them. A MAPI folder name may hold any character, a file name
 * neither '/' nor NUL, and a Maildir++ folder name no '.' either (it is
 * the hierarchy separator there); the encodings here keep names readable
 * and, where the target allows it, decodable back to the original.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

/* ---- EML tree and mbox: percent-encoding --------------------------------------------- */

static BOOL ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

char *export_fs_name(const char *name, BOOL mbox)
{
	size_t len = strlen(name);
	char *out = malloc(3 * len + 4), *o = out;
	if (!out)
		return NULL;
	/* The '.' of an mbox name ending in ".sbd" or ".msf" (Thunderbird's
	 * subfolder directories and index files) is escaped. */
	size_t suffix_dot = mbox && (ends_with(name, len, ".sbd") || ends_with(name, len, ".msf")) ? len - 4 : SIZE_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7F || c == '/' || c == '%' || (c == '.' && (i == 0 || i == suffix_dot))) {
			static const char hex[] = "0123456789ABCDEF";
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	if (o == out) /* an empty name */
		*o++ = '_';
	*o = 0;
	return out;
}

/* ---- Maildir++: modified UTF-7 with Dovecot's escapes ------------------------------- */

/* Decodes one UTF-8 code point at *p (invalid bytes become U+FFFD). */
static uint32_t next_code_point(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int extra = c < 0x80 ? 0 : c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : -1;
	if (extra < 0) {
		*p = s + 1;
		return 0xFFFD;
	}
	if (extra == 0) {
		*p = s + 1;
		return c;
	}
	c &= 0x3F >> extra;
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*p = s + i;
			return 0xFFFD;
		}
		c = c << 6 | (s[i] & 0x3F);
	}
	*p = s + extra + 1;
	return c > 0x10FFFF || (c >= 0xD800 && c < 0xE000) ? 0xFFFD : c;
}

typedef struct b64_run {
	char *o;
	uint32_t bits;
	int nbits;
} b64_run;

static void b64_put16(b64_run *r, uint32_t unit)
{
	/* RFC 3501's modified base64: ',' instead of '/'. */
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	r->bits = r->bits << 16 | unit;
	r->nbits += 16;
	while (r->nbits >= 6) {
		r->nbits -= 6;
		*r->o++ = alphabet[(r->bits >> r->nbits) & 0x3F];
	}
	r->bits &= (1u << r->nbits) - 1;
}

static void b64_end(b64_run *r)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
	if (r->nbits > 0)
		*r->o++ = alphabet[(r->bits << (6 - r->nbits)) & 0x3F];
	r->bits = 0;
	r->nbits = 0;
	*r->o++ = '-';
}

char *export_maildir_name(const char *name)
{
	size_t len = strlen(name);
	/* Worst case: every byte a code point of two UTF-16 units in base64. */
	char *out = malloc(4 * len + 8);
	if (!out)
		return NULL;
	b64_run r = {out, 0, 0};
	BOOL shifted = FALSE;
	const unsigned char *p = (const unsigned char *)name;
	while (*p) {
		uint32_t c = next_code_point(&p);
		if (c >= 0x20 && c < 0x7F) {
			if (shifted) {
				b64_end(&r);
				shifted = FALSE;
			}
			if (c == '&') {
				*r.o++ = '&';
				*r.o++ = '-';
			} else if (c == '.' || c == '/' || c == '\\') {
				*r.o++ = '\\';
				*r.o++ = c == '.' ? '2' : c == '/' ? '2' : '5';
				*r.o++ = c == '.' ? 'e' : c == '/' ? 'f' : 'c';
			} else {
				*r.o++ = (char)c;
			}
			continue;
		}
		if (!shifted) {
			*r.o++ = '&';
			shifted = TRUE;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			b64_put16(&r, 0xD800 | c >> 10);
			b64_put16(&r, 0xDC00 | (c & 0x3FF));
		} else {
			b64_put16(&r, c);
		}
	}
	if (shifted)
		b64_end(&r);
	if (r.o == out)
		*r.o++ = '_';
	*r.o = 0;
	return out;
}

char *export_keyword(const char *category)
{
	char *k = strdup(category);
	if (!k)
		return NULL;
	for (char *p = k; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7F || strchr("(){%*\"\\]", c))
			*p = '_';
	}
	if (!*k) {
		free(k);
		k = strdup("_");
	}
	return k;
}
