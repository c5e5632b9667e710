/*
 * import_maildir.c — the Maildir and Maildir++ source of `mapix import`.
 * The directory given is the Inbox; its ".A.B" subdirectories are the
 * Maildir++ folders A/B (Dovecot's default '.' separator), with the
 * special-use names (Sent, Drafts, Trash, Junk...) mapped to the mailbox's
 * own folders. new/ holds unread mail; in cur/ the name's ":2," part
 * carries the flags (import_maildir_name.c):
 *
 *   S  read                MSGFLAG_READ (MAPIX_MIME_MARK_READ)
 *   R  replied             PR_MSG_STATUS |= MSGSTATUS_ANSWERED,
 *                          PR_LAST_VERB_EXECUTED = EXCHIVERB_REPLYTOSENDER
 *   P  passed (forwarded)  PR_LAST_VERB_EXECUTED = EXCHIVERB_FORWARD
 *   F  flagged             PR_FLAG_STATUS = followupFlagged (MS-OXOFLAG)
 *   D  draft               MSGFLAG_UNSENT (MAPIX_MIME_AS_DRAFT), MSGSTATUS_DRAFT
 *   T  trashed             PR_MSG_STATUS |= MSGSTATUS_DELMARKED
 *   a..z                   Dovecot keywords, named in the folder's
 *                          dovecot-keywords file: categories (PidNameKeywords)
 *
 * A message's identity is "maildir:<the name before ':'>", which stays the
 * same when a client moves it from new/ to cur/ or changes its flags.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mapix/exchform.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>

#include "import.h"
#include "import_split.h"

/* PidTagFlagStatus values (MS-OXOFLAG 2.2.1.1). */
#define FLAG_STATUS_FLAGGED 2

#define KEYWORDS_FILE_MAX (64u << 10)

typedef struct maildir_source {
	import_engine *eng;
	ULONG keywords_tag; /* PidNameKeywords in this store, 0 until needed */
} maildir_source;

/* The folder's dovecot-keywords text (NUL-terminated), or NULL. */
static char *read_keywords(const char *dir, size_t *len)
{
	char *path = NULL, *text = NULL;
	*len = 0;
	if (asprintf(&path, "%s/dovecot-keywords", dir) < 0)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	if ((text = malloc(KEYWORDS_FILE_MAX + 1))) {
		ssize_t n = read(fd, text, KEYWORDS_FILE_MAX);
		*len = n > 0 ? (size_t)n : 0;
		text[*len] = 0;
	}
	close(fd);
	return text;
}

static ULONG keywords_tag(maildir_source *src)
{
	if (!src->keywords_tag) {
		MAPINAMEID name = {.lpguid = (LPGUID)&PS_PUBLIC_STRINGS, .ulKind = MNID_STRING};
		WCHAR wname[] = u"Keywords";
		name.Kind.lpwstrName = wname;
		LPMAPINAMEID names[1] = {&name};
		LPSPropTagArray tags = NULL;
		if (SUCCEEDED(IMsgStore_GetIDsFromNames(import_store(src->eng), 1, names, MAPI_CREATE, &tags)) &&
		    tags->cValues == 1 && PROP_TYPE(tags->aulPropTag[0]) != PT_ERROR)
			src->keywords_tag = CHANGE_PROP_TYPE(tags->aulPropTag[0], PT_MV_UNICODE);
		MAPIFreeBuffer(tags);
	}
	return src->keywords_tag;
}

/* Imports one message file of dir/sub ("new" or "cur"). */
static void import_one(maildir_source *src, LPMAPIFOLDER folder, const char *dir, const char *sub, const char *name,
                       const char *keywords, size_t keywords_len)
{
	import_engine *eng = src->eng;
	maildir_name mn;
	char *path = NULL, *id = NULL;
	maildir_parse_name(name, &mn);
	if (asprintf(&path, "%s/%s/%s", dir, sub, name) < 0 ||
	    asprintf(&id, "maildir:%.*s", (int)mn.base_len, name) < 0) {
		free(path);
		import_skip(eng, name, "out of memory");
		return;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		import_skip(eng, path, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		import_skip(eng, path, "not a regular file");
		goto out;
	}
	if (import_seen(eng, folder, id)) {
		import_count_existing(eng, (uint64_t)st.st_size);
		goto out;
	}

	BOOL in_new = strcmp(sub, "new") == 0;
	ULONG mime_flags = 0, status = 0;
	SPropValue extra[4];
	ULONG n = 0;
	if (!in_new && (mn.flags & MAILDIR_SEEN))
		mime_flags |= MAPIX_MIME_MARK_READ;
	if (mn.flags & MAILDIR_DRAFT) {
		mime_flags |= MAPIX_MIME_AS_DRAFT;
		status |= MSGSTATUS_DRAFT;
	}
	if (mn.flags & MAILDIR_REPLIED)
		status |= MSGSTATUS_ANSWERED;
	if (mn.flags & MAILDIR_TRASHED)
		status |= MSGSTATUS_DELMARKED;
	if (status) {
		extra[n].ulPropTag = PR_MSG_STATUS;
		extra[n++].Value.l = (LONG)status;
	}
	if (mn.flags & (MAILDIR_REPLIED | MAILDIR_PASSED)) {
		extra[n].ulPropTag = PR_LAST_VERB_EXECUTED;
		extra[n++].Value.l = (mn.flags & MAILDIR_REPLIED) ? EXCHIVERB_REPLYTOSENDER : EXCHIVERB_FORWARD;
	}
	if (mn.flags & MAILDIR_FLAGGED) {
		extra[n].ulPropTag = PR_FLAG_STATUS;
		extra[n++].Value.l = FLAG_STATUS_FLAGGED;
	}
	/* Keyword letters become categories, by the names the folder's
	 * dovecot-keywords file gives them; a letter it does not name is
	 * reported (its meaning is lost). */
	WCHAR *cats[26];
	ULONG ncats = 0;
	for (unsigned k = 0; k < 26 && mn.keywords; k++) {
		if (!(mn.keywords & (1u << k)))
			continue;
		char kw[256];
		WCHAR *w = NULL;
		if (!keywords || !maildir_keyword(keywords, keywords_len, k, kw, sizeof kw))
			import_warn(eng, path, "keyword letter '%c' is not named in dovecot-keywords", 'a' + k);
		else if (mapix_utf8_to_utf16(kw, NULL, &w) == S_OK)
			cats[ncats++] = w;
	}
	if (ncats && keywords_tag(src)) {
		extra[n].ulPropTag = src->keywords_tag;
		extra[n].Value.MVszW.cValues = ncats;
		extra[n++].Value.MVszW.lppszW = cats;
	}
	import_mime(eng, folder, id, path, fd, NULL, 0, mime_flags, extra, n, (uint64_t)st.st_size);
	for (ULONG k = 0; k < ncats; k++)
		MAPIFreeBuffer(cats[k]);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(id);
}

/* Sizes the messages of one Maildir folder, for the time left. */
static uint64_t folder_size(const char *dir)
{
	uint64_t total = 0;
	static const char *subs[] = {"new", "cur"};
	for (int s = 0; s < 2; s++) {
		char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, subs[s]) < 0)
			continue;
		DIR *d = opendir(sub);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			struct stat st;
			if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
				total += (uint64_t)st.st_size;
		}
		if (d)
			closedir(d);
		free(sub);
	}
	return total;
}

static void import_folder_dir(maildir_source *src, const char *dir, const char *relpath, import_folder_kind kind)
{
	import_engine *eng = src->eng;
	LPMAPIFOLDER folder = NULL;
	if (FAILED(import_folder(eng, relpath, kind, NULL, &folder)))
		return;
	size_t klen = 0;
	char *keywords = read_keywords(dir, &klen);
	static const char *subs[] = {"new", "cur"};
	for (int s = 0; s < 2 && !import_stopped(eng); s++) {
		char *sub = NULL;
		size_t n = 0;
		if (asprintf(&sub, "%s/%s", dir, subs[s]) < 0)
			break;
		char **names = import_list_dir(sub, FALSE, &n);
		/* A Maildir++ folder made by hand sometimes lacks new/ (or
		 * cur/): nothing to import there, not an error. */
		if (!names && errno != ENOENT)
			import_skip(eng, sub, "%s", strerror(errno));
		for (size_t i = 0; names && i < n && !import_stopped(eng); i++)
			import_one(src, folder, dir, subs[s], names[i], keywords, klen);
		import_free_list(names, n);
		free(sub);
	}
	free(keywords);
}

static BOOL has_cur(const char *dir)
{
	char *p = NULL;
	struct stat st;
	BOOL yes = asprintf(&p, "%s/cur", dir) >= 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return yes;
}

int import_maildir(import_engine *eng, const char *path)
{
	maildir_source src = {.eng = eng};
	size_t n = 0;
	char **names = import_list_dir(path, TRUE, &n);
	if (!names)
		return cli_error("%s: %s", path, strerror(errno));

	/* The Maildir++ folders: hidden directories with a cur/ inside. */
	char **dirs = calloc(n + 1, sizeof *dirs), **rels = calloc(n + 1, sizeof *rels);
	size_t nf = 0;
	uint64_t total = folder_size(path);
	for (size_t i = 0; dirs && rels && i < n; i++) {
		char rel[4096], *dir = NULL;
		if (!maildir_folder_path(names[i], rel, sizeof rel) || asprintf(&dir, "%s/%s", path, names[i]) < 0)
			continue;
		if (!has_cur(dir) || !(rels[nf] = strdup(rel))) {
			free(dir);
			continue;
		}
		dirs[nf++] = dir;
		total += folder_size(dir);
	}
	import_add_total(eng, total);

	import_folder_dir(&src, path, "", IMPORT_FOLDER_INBOX);
	for (size_t i = 0; i < nf && !import_stopped(eng); i++) {
		/* The top-level name decides whether this is one of the
		 * mailbox's special folders ("Sent/2024" is below Sent Items). */
		char top[4096];
		size_t k = strcspn(rels[i], "/");
		snprintf(top, sizeof top, "%.*s", (int)k, rels[i]);
		import_folder_dir(&src, dirs[i], rels[i], import_kind_for_name(top));
	}
	for (size_t i = 0; i < nf; i++) {
		free(dirs[i]);
		free(rels[i]);
	}
	free(dirs);
	free(rels);
	import_free_list(names, n);
	return 0;
}
