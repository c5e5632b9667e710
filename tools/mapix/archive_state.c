/*
 * archive_state.c — what one mailbox's archive has reached, in
 * DEST/.mapix-archive/state/<mailbox GUID>: a small text file, one record a
 * line, replaced as a whole (write temp, fsync, rename, fsync directory),
 * so that after a crash it is the old state or the new one, never half:
 *
 *   mapix-archive-state 1
 *   guid <32 hex digits>
 *   label <archive directory name, %XX-escaped>
 *   cn <change number>
 *   folder <source key hex> <kind 0 plain|1 excluded|2 Inbox> <mbox length> <archive path> <current path>
 *
 * Paths are components %XX-escaped and joined by '/'; "%" alone is the
 * empty path. The state is read and
 * written only by the thread archiving that mailbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"

#define STATE_MAGIC "mapix-archive-state 1"

char *archive_path_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '/' || *p == '%' || *p == 0x7f)
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	}
	*o = 0;
	return out;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes one escaped component in place; -1 for a malformed escape. */
static int unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int a = hexval(p[1]), b = a >= 0 ? hexval(p[2]) : -1;
			if (b < 0 || (a == 0 && b == 0))
				return -1; /* a NUL would cut the name short */
			*o++ = (char)(a * 16 + b);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return 0;
}

archive_folder *archive_state_find(archive_state *st, const char *key)
{
	for (int i = 0; i < st->nfolders; i++)
		if (strcmp(st->folders[i].key, key) == 0)
			return &st->folders[i];
	return NULL;
}

archive_folder *archive_state_add(archive_state *st, const char *key, char **names, int depth, char *current,
                                  int kind)
{
	if (st->nfolders == st->cap) {
		int cap = st->cap ? st->cap * 2 : 16;
		archive_folder *f = realloc(st->folders, (size_t)cap * sizeof *f);
		if (!f)
			return NULL;
		st->folders = f;
		st->cap = cap;
	}
	archive_folder *f = &st->folders[st->nfolders];
	memset(f, 0, sizeof *f);
	if (!(f->key = strdup(key)))
		return NULL;
	f->names = names;
	f->depth = depth;
	f->current = current;
	f->kind = kind;
	st->nfolders++;
	return f;
}

static void folder_free(archive_folder *f)
{
	for (int i = 0; i < f->depth; i++)
		free(f->names[i]);
	free(f->names);
	free(f->key);
	free(f->current);
}

void archive_state_free(archive_state *st)
{
	for (int i = 0; i < st->nfolders; i++)
		folder_free(&st->folders[i]);
	free(st->folders);
	free(st->label);
	memset(st, 0, sizeof *st);
}

static char *state_path(const char *dest, const char *guid, const char *suffix)
{
	size_t n = strlen(dest) + strlen(guid) + strlen(suffix) + 40;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/.mapix-archive/state/%s%s", dest, guid, suffix);
	return p;
}

/* Splits an archive path ("%" = empty) into decoded components. */
int archive_path_split(char *text, char ***names, int *depth)
{
	*names = NULL;
	*depth = 0;
	if (strcmp(text, "%") == 0)
		return 0;
	int n = 1;
	for (char *p = text; *p; p++)
		n += *p == '/';
	char **v = calloc((size_t)n, sizeof *v);
	if (!v)
		return -1;
	int i = 0;
	for (char *save = NULL, *tok = strtok_r(text, "/", &save); tok && i < n; tok = strtok_r(NULL, "/", &save)) {
		if (unescape(tok) != 0 || !*tok || !(v[i] = strdup(tok))) {
			while (i > 0)
				free(v[--i]);
			free(v);
			return -1;
		}
		i++;
	}
	*names = v;
	*depth = i;
	return 0;
}

static BOOL is_guid(const char *g)
{
	if (strlen(g) != 32)
		return FALSE;
	for (int i = 0; i < 32; i++)
		if (!((g[i] >= '0' && g[i] <= '9') || (g[i] >= 'A' && g[i] <= 'F')))
			return FALSE;
	return TRUE;
}

int archive_state_load(const char *dest, const char *guid, archive_state *st)
{
	memset(st, 0, sizeof *st);
	snprintf(st->guid, sizeof st->guid, "%s", guid);
	char *path = state_path(dest, guid, "");
	if (!path)
		return cli_error("archive: out of memory");
	FILE *f = fopen(path, "r");
	if (!f) {
		int rc = errno == ENOENT ? 0 : cli_error("archive: %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	int rc = archive_state_read(f, guid, st, path);
	fclose(f);
	free(path);
	return rc;
}

int archive_state_read(FILE *f, const char *guid, archive_state *st, const char *what)
{
	memset(st, 0, sizeof *st);
	if (guid)
		snprintf(st->guid, sizeof st->guid, "%s", guid);
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, bad = 0;
	while (!bad && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		lineno++;
		if (lineno == 1) {
			bad = strcmp(line, STATE_MAGIC) != 0;
		} else if (strncmp(line, "guid ", 5) == 0) {
			bad = guid ? strcmp(line + 5, guid) != 0 : !is_guid(line + 5);
			if (!bad)
				snprintf(st->guid, sizeof st->guid, "%s", line + 5);
		} else if (strncmp(line, "label ", 6) == 0) {
			free(st->label);
			st->label = strdup(line + 6);
			bad = !st->label || unescape(st->label) != 0;
		} else if (strncmp(line, "cn ", 3) == 0) {
			char *end;
			errno = 0;
			st->cn = strtoull(line + 3, &end, 10);
			bad = errno || *end;
		} else if (strncmp(line, "folder ", 7) == 0) {
			/* exactly five fields: key kind length path current */
			char *fld[6] = {0}, *save = NULL;
			int nf = 0;
			for (char *tok = strtok_r(line + 7, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
				if (nf < 6)
					fld[nf++] = tok;
			char *end1 = NULL, *end2 = NULL;
			long kind = nf == 5 ? strtol(fld[1], &end1, 10) : 0;
			unsigned long long len = nf == 5 ? strtoull(fld[2], &end2, 10) : 0;
			char **names = NULL;
			int depth = 0;
			if (nf != 5 || *end1 || *end2 || kind < 0 || kind > 2 || fld[2][0] == '-' ||
			    strlen(fld[0]) > 512 || archive_path_split(fld[3], &names, &depth) != 0) {
				bad = 1;
				break;
			}
			char *current = strdup(fld[4]);
			archive_folder *fo = current ? archive_state_add(st, fld[0], names, depth, current, (int)kind) : NULL;
			if (!fo) {
				for (int i = 0; i < depth; i++)
					free(names[i]);
				free(names);
				free(current);
				bad = 1;
			} else {
				fo->mbox_len = len;
			}
		} else {
			bad = 1;
		}
	}
	free(line);
	if (bad || lineno == 0 || !is_guid(st->guid)) {
		archive_state_free(st);
		return cli_error("archive: %s: not a mapix archive state (line %d)", what, lineno);
	}
	return 0;
}

static int put_path(FILE *f, char *const *names, int depth)
{
	if (depth == 0)
		return fputs("%", f) < 0 ? -1 : 0;
	for (int i = 0; i < depth; i++) {
		char *e = archive_path_escape(names[i]);
		if (!e)
			return -1;
		int rc = fprintf(f, "%s%s", i ? "/" : "", e);
		free(e);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int archive_state_write(FILE *f, const archive_state *st)
{
	char *label = archive_path_escape(st->label ? st->label : "");
	int bad = !label || fprintf(f, "%s\nguid %s\nlabel %s\ncn %llu\n", STATE_MAGIC, st->guid, label,
	                            (unsigned long long)st->cn) < 0;
	free(label);
	for (int i = 0; i < st->nfolders && !bad; i++) {
		const archive_folder *fo = &st->folders[i];
		bad = fprintf(f, "folder %s %d %llu ", fo->key, fo->kind, (unsigned long long)fo->mbox_len) < 0 ||
		      put_path(f, fo->names, fo->depth) != 0 || fprintf(f, " %s\n", *fo->current ? fo->current : "%") < 0;
	}
	return bad || fflush(f) != 0 ? -1 : 0;
}

int archive_state_save(const char *dest, const archive_state *st)
{
	char *path = state_path(dest, st->guid, "");
	char *tmp = state_path(dest, st->guid, ".tmp");
	char *dir = state_path(dest, "", "");
	int rc = 0;
	if (!path || !tmp || !dir) {
		rc = cli_error("archive: out of memory");
		goto out;
	}
	if (export_mkdirs(dir) != 0) {
		rc = cli_error("archive: %s: %s", dir, strerror(errno));
		goto out;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		rc = cli_error("archive: %s: %s", tmp, strerror(errno));
		goto out;
	}
	int bad = archive_state_write(f, st) != 0;
	if (bad || fsync(fileno(f)) != 0) {
		rc = cli_error("archive: %s: %s", tmp, strerror(errno ? errno : EIO));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = cli_error("archive: %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		rc = cli_error("archive: %s: %s", dir, strerror(errno));
	if (dfd >= 0)
		close(dfd);
out:
	free(path);
	free(tmp);
	free(dir);
	return rc;
}
