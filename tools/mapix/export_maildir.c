/*
 * export_maildir.c — Maildir++ as Dovecot reads it. DEST/{cur,new,tmp} is
 * the Inbox; every other folder is DEST/.A.B/ (components joined by '.',
 * export_maildir_name() spells each), with its own cur/new/tmp and an
 * empty "maildirfolder" file. The store's Sent Items, Drafts, Deleted Items
 * and Junk E-mail are .Sent, .Drafts, .Trash and .Junk (what Dovecot's
 * special-use configuration and `mapix import` map back); the Inbox's
 * subfolders are .INBOX.X, as Dovecot stores them.
 *
 * A message is written to tmp/<unique> and renamed to
 * cur/<unique>:2,<flags> (the Maildir rule: a file in cur/ is always
 * whole). Flags in ASCII order: D draft, F flagged, R answered, S seen,
 * T deleted, then one lower-case letter per keyword (category), numbered
 * in the folder's dovecot-keywords file ("0 name" is 'a' ... 25 is 'z';
 * a 27th distinct keyword in a folder has no letter and is left out).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "export.h"
#include "import_split.h"

#define MAX_KEYWORDS 26

typedef struct maildir_state {
	char *dir; /* the folder's maildir */
	char *keywords[MAX_KEYWORDS];
	int nkeywords;
	BOOL keywords_changed;
	char host[256];
	unsigned long seq;
} maildir_state;

static void free_state(maildir_state *s)
{
	for (int i = 0; i < s->nkeywords; i++)
		free(s->keywords[i]);
	free(s->dir);
	free(s);
}

/* The top-level name of a special folder, NULL for the others. */
static const char *special_name(export_special kind)
{
	switch (kind) {
	case EXPORT_INBOX: return "INBOX";
	case EXPORT_SENT: return "Sent";
	case EXPORT_DRAFTS: return "Drafts";
	case EXPORT_TRASH: return "Trash";
	case EXPORT_JUNK: return "Junk";
	default: return NULL;
	}
}

/* ".A.B" for the folder (malloc'd), NULL for the Inbox itself ("" then). */
static char *folder_dir_name(const export_folder *f, int *oom)
{
	*oom = 0;
	if (f->is_inbox)
		return NULL;
	size_t cap = 1, len = 0;
	char *out = malloc(cap);
	for (int i = 0; out && i < f->depth; i++) {
		const char *special = i == 0 ? special_name(f->top_kind) : NULL;
		char *part = special ? strdup(special) : export_maildir_name(f->names[i]);
		if (!part) {
			free(out);
			out = NULL;
			break;
		}
		size_t n = strlen(part);
		char *grown = realloc(out, cap = len + n + 2);
		if (!grown) {
			free(part);
			free(out);
			out = NULL;
			break;
		}
		out = grown;
		out[len++] = '.';
		memcpy(out + len, part, n);
		len += n;
		free(part);
	}
	if (!out)
		*oom = 1;
	else
		out[len] = 0;
	return out;
}

static int make_maildir(const char *dir)
{
	static const char *const subs[] = {"cur", "new", "tmp"};
	for (int i = 0; i < 3; i++) {
		char *p = export_join(dir, subs[i]);
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		int rc = export_mkdirs(p);
		free(p);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Reads an existing dovecot-keywords file (--append), keeping its numbers;
 * the lines are parsed by the import's reader of the same file
 * (import_maildir_name.c), so both sides agree on what it says. */
static void load_keywords(maildir_state *s)
{
	char *path = export_join(s->dir, "dovecot-keywords");
	FILE *f = path ? fopen(path, "rb") : NULL;
	free(path);
	if (!f)
		return;
	/* The file names at most 26 keywords; more than this is not one. */
	char *text = malloc(65536);
	size_t len = text ? fread(text, 1, 65536, f) : 0;
	fclose(f);
	for (unsigned i = 0; text && i < MAX_KEYWORDS; i++) {
		char name[1024];
		if (!maildir_keyword(text, len, i, name, sizeof name))
			continue;
		while (s->nkeywords <= (int)i)
			s->keywords[s->nkeywords++] = NULL;
		s->keywords[i] = strdup(name);
	}
	free(text);
}

static int maildir_open(export_run *run, const export_folder *f)
{
	maildir_state *s = calloc(1, sizeof *s);
	int oom = 0;
	char *name = folder_dir_name(f, &oom);
	if (!s || oom) {
		free(s);
		free(name);
		return cli_error("export: out of memory");
	}
	s->dir = name ? export_join(run->dest, name) : strdup(run->dest);
	free(name);
	if (!s->dir) {
		free(s);
		return cli_error("export: out of memory");
	}
	/* The top is always a maildir (the Inbox), even when it stays empty. */
	if (make_maildir(run->dest) != 0 || make_maildir(s->dir) != 0) {
		int rc = cli_error("export: %s: %s", s->dir, strerror(errno));
		free_state(s);
		return rc;
	}
	if (!f->is_inbox) {
		char *marker = export_join(s->dir, "maildirfolder");
		int fd = marker ? open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0666) : -1;
		free(marker);
		if (fd < 0) {
			int rc = cli_error("export: %s/maildirfolder: %s", s->dir, strerror(errno));
			free_state(s);
			return rc;
		}
		close(fd);
	}
	if (gethostname(s->host, sizeof s->host - 1) != 0 || !s->host[0])
		strcpy(s->host, "localhost");
	load_keywords(s);
	run->state = s;
	return 0;
}

/* The letter of a keyword, adding it to the folder's list; 0 when the
 * list is full. */
static char keyword_letter(maildir_state *s, const char *category)
{
	char *k = export_keyword(category);
	if (!k)
		return 0;
	int free_slot = -1;
	for (int i = 0; i < s->nkeywords; i++) {
		if (!s->keywords[i]) {
			if (free_slot < 0)
				free_slot = i;
		} else if (strcmp(s->keywords[i], k) == 0) {
			free(k);
			return (char)('a' + i);
		}
	}
	int i = free_slot >= 0 ? free_slot : s->nkeywords < MAX_KEYWORDS ? s->nkeywords++ : -1;
	if (i < 0) {
		free(k);
		return 0;
	}
	s->keywords[i] = k;
	s->keywords_changed = TRUE;
	return (char)('a' + i);
}

/* ":2," and the flags, in ASCII order. */
static void flags_suffix(maildir_state *s, const export_message *m, char *out)
{
	char *o = out;
	memcpy(o, ":2,", 3);
	o += 3;
	if ((m->msg_status & MSGSTATUS_DRAFT) || (m->message_flags & MSGFLAG_UNSENT))
		*o++ = 'D';
	if (m->flag_status == EXPORT_FLAG_STATUS_FLAGGED)
		*o++ = 'F';
	if ((m->msg_status & MSGSTATUS_ANSWERED) || m->last_verb == EXCHIVERB_REPLYTOSENDER ||
	    m->last_verb == EXCHIVERB_REPLYTOALL)
		*o++ = 'R';
	if (m->message_flags & MSGFLAG_READ)
		*o++ = 'S';
	if (m->msg_status & MSGSTATUS_DELMARKED)
		*o++ = 'T';
	BOOL letters[MAX_KEYWORDS] = {0};
	for (ULONG i = 0; i < m->nkeywords; i++) {
		char c = keyword_letter(s, m->keywords[i]);
		if (c)
			letters[c - 'a'] = TRUE;
	}
	for (int i = 0; i < MAX_KEYWORDS; i++)
		if (letters[i])
			*o++ = (char)('a' + i);
	*o = 0;
}

/* A unique base name as the Maildir convention builds it:
 * <seconds>.M<microseconds>P<pid>Q<sequence>.<host>, with '/' and ':' in
 * the host name written as \057 and \072. */
static void unique_name(maildir_state *s, char *out, size_t cap)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	int n = snprintf(out, cap, "%lld.M%ldP%ldQ%lu.", (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	                 ++s->seq);
	for (const char *h = s->host; *h && (size_t)n + 5 < cap; h++) {
		if (*h == '/')
			n += snprintf(out + n, cap - (size_t)n, "\\057");
		else if (*h == ':')
			n += snprintf(out + n, cap - (size_t)n, "\\072");
		else
			out[n++] = *h;
	}
	out[n] = 0;
}

static HRESULT maildir_write(export_run *run, const export_message *m, int *fatal)
{
	maildir_state *s = run->state;
	char base[400], final_name[512], rel_tmp[420], rel_cur[560];
	HRESULT hr;
	int err = 0;

	unique_name(s, base, sizeof base);
	flags_suffix(s, m, final_name);
	snprintf(rel_tmp, sizeof rel_tmp, "tmp/%s", base);
	snprintf(rel_cur, sizeof rel_cur, "cur/%s%s", base, final_name);
	char *tmp = export_join(s->dir, rel_tmp), *cur = export_join(s->dir, rel_cur);
	if (!tmp || !cur) {
		free(tmp);
		free(cur);
		*fatal = 1;
		cli_error("export: out of memory");
		return MAPI_E_NOT_ENOUGH_MEMORY;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		*fatal = 1;
		cli_error("export: %s: %s", tmp, strerror(errno));
		free(tmp);
		free(cur);
		return MAPI_E_DISK_ERROR;
	}
	hr = export_write_mime_fd(run, m, fd, &err);
	if (close(fd) != 0 && hr == S_OK) {
		err = errno;
		hr = MAPI_E_DISK_ERROR;
	}
	if (hr == S_OK && rename(tmp, cur) != 0) {
		err = errno;
		hr = MAPI_E_DISK_ERROR;
	}
	if (hr != S_OK) {
		unlink(tmp);
		if (err) {
			*fatal = 1;
			cli_error("export: %s: %s", cur, strerror(err));
		}
	}
	free(tmp);
	free(cur);
	return hr;
}

/* dovecot-keywords, written whole to tmp/ and renamed over the old one. */
static int write_keywords(maildir_state *s)
{
	char *tmp = export_join(s->dir, "tmp/dovecot-keywords"), *path = export_join(s->dir, "dovecot-keywords");
	FILE *f = tmp ? fopen(tmp, "w") : NULL;
	int rc = 0;
	if (!f) {
		rc = cli_error("export: %s: %s", tmp ? tmp : s->dir, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	for (int i = 0; i < s->nkeywords; i++)
		if (s->keywords[i])
			fprintf(f, "%d %s\n", i, s->keywords[i]);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = cli_error("export: %s: %s", tmp, strerror(errno));
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		rc = cli_error("export: %s: %s", path, strerror(errno));
out:
	free(tmp);
	free(path);
	return rc;
}

static int maildir_close(export_run *run)
{
	maildir_state *s = run->state;
	int rc = s->keywords_changed ? write_keywords(s) : 0;
	char *cur = export_join(s->dir, "cur");
	if (rc == 0 && (!cur || export_sync_dir(cur) != 0 || export_sync_dir(s->dir) != 0))
		rc = cli_error("export: %s: %s", s->dir, strerror(errno));
	free(cur);
	free_state(s);
	run->state = NULL;
	return rc;
}

const export_format export_format_maildir = {"maildir", EXPORT_NEEDS_FLAGS, maildir_open, maildir_write, maildir_close};
