/*
 * import_maildir_name.c — what Maildir names say (import_split.h): the
 * info part of a message file name ("<unique>:2,<flags>", flags in ASCII
 * order: D draft, F flagged, P passed, R replied, S seen, T trashed, a..z
 * Dovecot keywords), the dovecot-keywords file that names those letters,
 * and Maildir++ folder directory names (".A.B").
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

int maildir_folder_path(const char *name, char *out, size_t n)
{
	if (name[0] != '.' || name[1] == 0 || strcmp(name, "..") == 0 || n == 0)
		return 0;
	size_t o = 0;
	int at_component_start = 1;
	for (const char *p = name + 1; *p; p++) {
		const char *add;
		size_t k;
		if (*p == '.') {
			if (at_component_start)
				return 0; /* ".A..B" or ".A." */
			add = "/", k = 1;
			at_component_start = 1;
		} else {
			add = *p == '/' ? "\\/" : *p == '\\' ? "\\\\" : p;
			k = *p == '/' || *p == '\\' ? 2 : 1;
			at_component_start = 0;
		}
		if (o + k >= n)
			return 0;
		memcpy(out + o, add, k);
		o += k;
	}
	if (at_component_start)
		return 0;
	out[o] = 0;
	return 1;
}
