/*
 * import_maildir_name.c — what Maildir names say (import_split.h): the
 * info part of a message file name ("<unique>:2,<flags>", flags in ASCII
 * order: D draft, F flagged, P passed, R replied, S seen, T trashed, a..z
 * Dovecot keywords), the dovecot-keywords file that names those letters,
 * and Maildir++ folder directory names (".A.B", each name in IMAP's
 * modified UTF-7 with Dovecot's "\2e" escapes, as Dovecot and `mapix
 * export` write them), and the %XX escapes of EML and mbox tree names.
 */
#include <string.h>

#include "import_split.h"

void maildir_parse_name(const char *name, maildir_name *out)
{
	memset(out, 0, sizeof *out);
	const char *info = strstr(name, ":2,");
	/* Some Maildirs written on file systems without ':' use '!' (Dovecot's
	 * maildir_info_separator, often set on Windows shares). */
	if (!info)
		info = strstr(name, "!2,");
	out->base_len = info ? (size_t)(info - name) : strlen(name);
	if (!info)
		return;
	for (const char *f = info + 3; *f; f++) {
		switch (*f) {
		case 'S': out->flags |= MAILDIR_SEEN; break;
		case 'R': out->flags |= MAILDIR_REPLIED; break;
		case 'F': out->flags |= MAILDIR_FLAGGED; break;
		case 'D': out->flags |= MAILDIR_DRAFT; break;
		case 'T': out->flags |= MAILDIR_TRASHED; break;
		case 'P': out->flags |= MAILDIR_PASSED; break;
		default:
			if (*f >= 'a' && *f <= 'z')
				out->keywords |= (uint32_t)1 << (*f - 'a');
			break;
		}
	}
}

int maildir_keyword(const char *text, size_t len, unsigned idx, char *out, size_t n)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		/* "<decimal index> <name>" */
		unsigned long v = 0;
		const char *q = p;
		while (q < line_end && *q >= '0' && *q <= '9' && v < 1000)
			v = v * 10 + (unsigned long)(*q++ - '0');
		if (q > p && q < line_end && *q == ' ' && v == idx && n > 0) {
			q++;
			const char *name_end = line_end;
			if (name_end > q && name_end[-1] == '\r')
				name_end--;
			size_t k = (size_t)(name_end - q);
			if (k == 0)
				return 0;
			if (k >= n)
				k = n - 1;
			memcpy(out, q, k);
			out[k] = 0;
			return 1;
		}
		p = eol ? eol + 1 : end;
	}
	return 0;
}

/* Appends code point cp as UTF-8; FALSE when it does not fit. */
static int put_utf8(char *out, size_t n, size_t *o, uint32_t cp)
{
	char b[4];
	size_t k;
	if (cp < 0x80)
		b[0] = (char)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
	else if (cp < 0x10000)
		b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)),
		k = 3;
	else
		b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3F)),
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
	if (*o + k >= n)
		return 0;
	memcpy(out + *o, b, k);
	*o += k;
	return 1;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == ',' ? 63 : -1;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes one "&...-" run of IMAP modified UTF-7 (RFC 3501 5.1.3) at *pp
 * (just past the '&') into UTF-8; FALSE when it is not valid (the caller
 * then keeps the text as it is). */
static int mutf7_run(const char **pp, char *out, size_t n, size_t *o)
{
	const char *p = *pp;
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	size_t units = 0;
	for (; *p && *p != '-'; p++) {
		int v = b64_value(*p);
		if (v < 0)
			return 0;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			uint32_t u = bits >> nbits & 0xFFFF;
			units++;
			if (high) {
				if (u < 0xDC00 || u > 0xDFFF)
					return 0;
				if (!put_utf8(out, n, o, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00)))
					return 0;
				high = 0;
			} else if (u >= 0xD800 && u <= 0xDBFF) {
				high = u;
			} else if (u >= 0xDC00 && u <= 0xDFFF) {
				return 0;
			} else if (!put_utf8(out, n, o, u)) {
				return 0;
			}
		}
	}
	/* Left-over bits must be zero padding, the run must end in '-' and
	 * hold something ("&-" is the ampersand, handled by the caller). */
	if (*p != '-' || high || units == 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)))
		return 0;
	*pp = p + 1;
	return 1;
}

/* Appends one byte of a decoded name, escaped for a relpath ('/' and '\'
 * get a '\' in front). */
static int put_name_byte(char *out, size_t n, size_t *o, char c)
{
	int escape = c == '/' || c == '\\';
	if (*o + 1 + (size_t)escape >= n)
		return 0;
	if (escape)
		out[(*o)++] = '\\';
	out[(*o)++] = c;
	return 1;
}

int maildir_folder_path(const char *name, char *out, size_t n)
{
	if (name[0] != '.' || name[1] == 0 || strcmp(name, "..") == 0 || n == 0)
		return 0;
	size_t o = 0;
	int at_component_start = 1;
	for (const char *p = name + 1; *p;) {
		if (*p == '.') {
			if (at_component_start || o + 1 >= n)
				return 0; /* ".A..B" or ".A." */
			out[o++] = '/';
			at_component_start = 1;
			p++;
			continue;
		}
		at_component_start = 0;
		if (*p == '\\' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
			/* Dovecot's escape form: "\2e" is a '.' inside a name. */
			char c = (char)(hex_value(p[1]) << 4 | hex_value(p[2]));
			if (c == 0 || !put_name_byte(out, n, &o, c))
				return 0;
			p += 3;
		} else if (*p == '&' && p[1] == '-') {
			if (!put_name_byte(out, n, &o, '&'))
				return 0;
			p += 2;
		} else if (*p == '&') {
			const char *q = p + 1;
			size_t keep = o;
			char dec[256];
			size_t d = 0;
			if (mutf7_run(&q, dec, sizeof dec, &d)) {
				for (size_t i = 0; i < d; i++)
					if (!put_name_byte(out, n, &o, dec[i]))
						return 0;
				p = q;
			} else {
				o = keep;
				if (!put_name_byte(out, n, &o, *p++))
					return 0;
			}
		} else if (!put_name_byte(out, n, &o, *p++)) {
			return 0;
		}
	}
	if (at_component_start)
		return 0;
	out[o] = 0;
	return 1;
}

int fs_name_decode(const char *name, char *out, size_t n)
{
	size_t o = 0;
	if (n == 0)
		return 0;
	for (const char *p = name; *p;) {
		char c = *p;
		if (c == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
			c = (char)(hex_value(p[1]) << 4 | hex_value(p[2]));
			p += 3;
			if (c == 0)
				return 0;
		} else {
			p++;
		}
		if (o + 1 >= n)
			return 0;
		out[o++] = c;
	}
	out[o] = 0;
	return 1;
}
