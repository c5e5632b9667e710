/*
 * import.c — the engine behind every `mapix import` source (import.h):
 * folders by relative path, the source identities already imported, saves
 * grouped into store batches, the progress line, the counts and the summary.
 *
 * Why an identity and not a Message-ID or a hash: real mail repeats both
 * (the same message in two folders, list copies, broken clients), so only
 * where an item came from says whether it was imported. The identity is a
 * property of the message itself, written by the same SaveChanges, so a
 * message is never in the store without it; re-running an import reads
 * the identities of each target folder once into a hash set.
 *
 * Batches: MAPIXBeginStoreBatch makes thousands of SaveChanges one commit,
 * which is what makes a large import fast; nothing of a batch is durable
 * before MAPIXCommitStoreBatch, so the counts only take a batch's messages
 * as imported once it committed. If a commit fails (disk full) the batch
 * is gone, which the next run repairs because the identities went with it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>
#include <mapix/mapixstore.h>

#include "cli_progress.h"
#include "import.h"

/* ---- a set of strings ------------------------------------------------------- */

typedef struct str_set {
	char **slots;
	size_t cap, n;
} str_set;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static BOOL set_has(const str_set *set, const char *s)
{
	if (!set->cap)
		return FALSE;
	for (size_t i = hash_str(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (!set->slots[i])
			return FALSE;
		if (strcmp(set->slots[i], s) == 0)
			return TRUE;
	}
}

/* Adds a copy of s; FALSE when out of memory. */
static BOOL set_add(str_set *set, const char *s)
{
	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		char **slots = calloc(cap, sizeof *slots);
		if (!slots)
			return FALSE;
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->slots[i])
				continue;
			size_t j = hash_str(set->slots[i]) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = set->slots[i];
		}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	size_t i = hash_str(s) & (set->cap - 1);
	while (set->slots[i]) {
		if (strcmp(set->slots[i], s) == 0)
			return TRUE;
		i = (i + 1) & (set->cap - 1);
	}
	if (!(set->slots[i] = strdup(s)))
		return FALSE;
	set->n++;
	return TRUE;
}

static void set_free(str_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof *set);
}

/* ---- the engine --------------------------------------------------------------- */

typedef struct engine_folder {
	char *key; /* "<kind>:<relpath>" */
	LPMAPIFOLDER folder;
	SBinary eid; /* malloc'd copy of PR_ENTRYID, to notice two paths to one folder */
	str_set seen;
	BOOL loaded, used;
} engine_folder;

typedef struct path_alias {
	char *key;
	size_t index; /* into folders */
} path_alias;

struct import_engine {
	LPMDB mdb;
	const char *label;
	LPMAPIFOLDER base;
	BOOL base_is_ipm;
	engine_folder *folders;
	size_t n_folders, cap_folders;
	path_alias *aliases;
	size_t n_aliases, cap_aliases;

	ULONG batch_size;
	BOOL batching, batch_open;
	uint64_t pending, pending_bytes; /* saved in the open batch, not yet committed */

	uint64_t imported, imported_bytes, existing, skipped, warnings;
	BOOL fatal;
	cli_progress progress;
	uint64_t saved, signal_after; /* MAPIX_TEST_IMPORT_SIGNAL_AFTER */
	ULONG mime_flags; /* added to every conversion (MAPIX_MIME_KEEP_SOURCE) */
	size_t last; /* folders index of the last import_seen (SIZE_MAX: none), and its identity */
	char *last_id;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

LPMDB import_store(import_engine *eng)
{
	return eng->mdb;
}

ULONG import_mime_flags(import_engine *eng)
{
	return eng->mime_flags;
}

void import_set_mime_flags(import_engine *eng, ULONG flags)
{
	eng->mime_flags = flags;
}

BOOL import_stopped(import_engine *eng)
{
	return interrupted || eng->fatal;
}

/* Messages interrupt the progress line: clear it first; it is redrawn by
 * the next step. */
static void report(import_engine *eng, const char *location, const char *kind, const char *fmt, va_list ap)
{
	char text[1024];
	cli_progress_finish(&eng->progress);
	vsnprintf(text, sizeof text, fmt, ap);
	/* Warnings quote the input (a bad header name...): keep control
	 * characters off the terminal and the line one line. */
	for (char *c = text; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "mapix: %s: %s%s\n", location, kind, text);
}

void import_skip(import_engine *eng, const char *location, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(eng, location, "", fmt, ap);
	va_end(ap);
	eng->skipped++;
}

void import_warn(import_engine *eng, const char *location, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(eng, location, "warning: ", fmt, ap);
	va_end(ap);
	eng->warnings++;
}

void import_warn_lines(import_engine *eng, const char *location, char *warnings)
{
	if (!warnings)
		return;
	for (char *line = warnings; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n)
			import_warn(eng, location, "%.*s", (int)n, line);
		line += n + (nl ? 1 : 0);
	}
	MAPIFreeBuffer(warnings);
}

void import_count_existing(import_engine *eng, uint64_t bytes)
{
	eng->existing++;
	cli_progress_step(&eng->progress, bytes);
	eng->progress.items--; /* the count on the line is of messages imported */
}

void import_add_total(import_engine *eng, uint64_t bytes)
{
	eng->progress.total_bytes += bytes;
}

import_folder_kind import_kind_for_name(const char *name)
{
	static const struct {
		const char *name;
		import_folder_kind kind;
	} names[] = {
	    {"Inbox", IMPORT_FOLDER_INBOX},          {"Sent", IMPORT_FOLDER_SENT},
	    {"Sent Items", IMPORT_FOLDER_SENT},      {"Sent Messages", IMPORT_FOLDER_SENT},
	    {"Drafts", IMPORT_FOLDER_DRAFTS},        {"Trash", IMPORT_FOLDER_DELETED},
	    {"Deleted Items", IMPORT_FOLDER_DELETED}, {"Deleted Messages", IMPORT_FOLDER_DELETED},
	    {"Junk", IMPORT_FOLDER_JUNK},            {"Spam", IMPORT_FOLDER_JUNK},
	    {"Junk E-mail", IMPORT_FOLDER_JUNK},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].kind;
	return IMPORT_FOLDER_PLAIN;
}

/* The library's text for a failure hr, without a leading "<label>: " the
 * line says already. */
static const char *error_text(import_engine *eng, HRESULT hr)
{
	const char *text = MAPIXGetLastErrorCode() == hr ? MAPIXGetLastErrorText() : NULL;
	size_t n = strlen(eng->label);
	if (!text || !*text)
		return "failed";
	if (strncmp(text, eng->label, n) == 0 && strncmp(text + n, ": ", 2) == 0)
		text += n + 2;
	return text;
}

/* ---- folders ------------------------------------------------------------------- */

static HRESULT open_eid(import_engine *eng, const SBinary *eid, LPMAPIFOLDER *out)
{
	ULONG type = 0;
	return IMsgStore_OpenEntry(eng->mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)out);
}

/* The store's own folder for kind (MS-OXOSFLD: the Inbox is the receive
 * folder, Sent Items and Deleted Items are on the store, Drafts on the
 * Inbox, Junk E-mail is entry 4 of the Inbox's PR_ADDITIONAL_REN_ENTRYIDS). */
static HRESULT open_special(import_engine *eng, import_folder_kind kind, LPMAPIFOLDER *out)
{
	HRESULT hr;
	ULONG cb = 0;
	LPENTRYID inbox_eid = NULL;
	LPSPropValue v = NULL;
	LPMAPIFOLDER inbox = NULL;

	if (kind == IMPORT_FOLDER_SENT || kind == IMPORT_FOLDER_DELETED) {
		hr = HrGetOneProp((LPMAPIPROP)eng->mdb,
		                  kind == IMPORT_FOLDER_SENT ? PR_IPM_SENTMAIL_ENTRYID : PR_IPM_WASTEBASKET_ENTRYID, &v);
		if (SUCCEEDED(hr))
			hr = open_eid(eng, &v->Value.bin, out);
		MAPIFreeBuffer(v);
		return hr;
	}
	if (FAILED(hr = IMsgStore_GetReceiveFolder(eng->mdb, (LPTSTR) "IPM", 0, &cb, &inbox_eid, NULL)))
		return hr;
	SBinary b = {cb, (LPBYTE)inbox_eid};
	hr = open_eid(eng, &b, &inbox);
	MAPIFreeBuffer(inbox_eid);
	if (FAILED(hr) || kind == IMPORT_FOLDER_INBOX) {
		*out = inbox;
		return hr;
	}
	if (kind == IMPORT_FOLDER_DRAFTS) {
		if (SUCCEEDED(hr = HrGetOneProp((LPMAPIPROP)inbox, PR_IPM_DRAFTS_ENTRYID, &v)))
			hr = open_eid(eng, &v->Value.bin, out);
	} else if (SUCCEEDED(hr = HrGetOneProp((LPMAPIPROP)inbox, PR_ADDITIONAL_REN_ENTRYIDS, &v))) {
		if (v->Value.MVbin.cValues > 4 && v->Value.MVbin.lpbin[4].cb)
			hr = open_eid(eng, &v->Value.MVbin.lpbin[4], out);
		else
			hr = MAPI_E_NOT_FOUND; /* a store without a Junk E-mail folder */
	}
	MAPIFreeBuffer(v);
	IMAPIFolder_Release(inbox);
	return hr;
}

/* Opens (creating when missing) the child called name (UTF-8). */
static HRESULT open_child(LPMAPIFOLDER parent, const char *name, LPMAPIFOLDER *out)
{
	LPWSTR wname = NULL;
	if (mapix_utf8_to_utf16(name, NULL, &wname) != S_OK)
		return MAPI_E_INVALID_PARAMETER;
	HRESULT hr = IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)wname, NULL, NULL,
	                                      MAPI_UNICODE | OPEN_IF_EXISTS, out);
	MAPIFreeBuffer(wname);
	return hr;
}

/* Gives a folder the engine made (or found without one) its class, so
 * that clients show it as a mail folder. */
static void ensure_class(LPMAPIFOLDER f, const char *container_class)
{
	LPSPropValue v = NULL;
	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)f, PR_CONTAINER_CLASS_A, &v))) {
		MAPIFreeBuffer(v);
		return;
	}
	SPropValue c = {.ulPropTag = PR_CONTAINER_CLASS_A, .Value.lpszA = (LPSTR)container_class};
	if (SUCCEEDED(IMAPIFolder_SetProps(f, 1, &c, NULL)))
		IMAPIFolder_SaveChanges(f, KEEP_OPEN_READWRITE);
}

/* The next component of *pp (unescaped into out: "\/" is a slash inside a
 * name, "\\" a backslash); FALSE at the end. */
static BOOL next_component(const char **pp, char *out, size_t n)
{
	const char *s = *pp;
	while (*s == '/')
		s++;
	if (!*s)
		return FALSE;
	size_t o = 0;
	while (*s && *s != '/') {
		if (*s == '\\' && (s[1] == '/' || s[1] == '\\'))
			s++;
		if (o + 1 < n)
			out[o++] = *s;
		s++;
	}
	out[o] = 0;
	*pp = s;
	return TRUE;
}

/* Walks relpath below start (not released), creating what is missing. */
static HRESULT walk(LPMAPIFOLDER start, const char *relpath, const char *container_class, LPMAPIFOLDER *out)
{
	LPMAPIFOLDER cur = start;
	HRESULT hr = S_OK;
	char name[1024];
	IMAPIFolder_AddRef(start);
	while (next_component(&relpath, name, sizeof name)) {
		LPMAPIFOLDER child = NULL;
		hr = open_child(cur, name, &child);
		IMAPIFolder_Release(cur);
		if (FAILED(hr))
			return hr;
		ensure_class(child, container_class);
		cur = child;
	}
	*out = cur;
	return hr;
}

/* Finds the folder already open under another path, by entry ID. */
static engine_folder *find_by_eid(import_engine *eng, const SBinary *eid)
{
	for (size_t i = 0; i < eng->n_folders; i++)
		if (eng->folders[i].eid.cb == eid->cb && memcmp(eng->folders[i].eid.lpb, eid->lpb, eid->cb) == 0)
			return &eng->folders[i];
	return NULL;
}

static engine_folder *find_by_folder(import_engine *eng, LPMAPIFOLDER f)
{
	for (size_t i = 0; i < eng->n_folders; i++)
		if (eng->folders[i].folder == f)
			return &eng->folders[i];
	return NULL;
}

static HRESULT remember(import_engine *eng, const char *key, LPMAPIFOLDER f, LPMAPIFOLDER *lppFolder)
{
	LPSPropValue eid = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)f, PR_ENTRYID, &eid);
	if (FAILED(hr)) {
		IMAPIFolder_Release(f);
		return hr;
	}
	engine_folder *ef = find_by_eid(eng, &eid->Value.bin);
	if (ef) {
		IMAPIFolder_Release(f);
	} else {
		if (eng->n_folders == eng->cap_folders) {
			size_t cap = eng->cap_folders ? eng->cap_folders * 2 : 16;
			engine_folder *grown = realloc(eng->folders, cap * sizeof *grown);
			if (!grown)
				goto oom;
			eng->folders = grown;
			eng->cap_folders = cap;
		}
		ef = &eng->folders[eng->n_folders];
		memset(ef, 0, sizeof *ef);
		if (!(ef->eid.lpb = malloc(eid->Value.bin.cb ? eid->Value.bin.cb : 1)) || !(ef->key = strdup(key))) {
			free(ef->eid.lpb);
			goto oom;
		}
		memcpy(ef->eid.lpb, eid->Value.bin.lpb, eid->Value.bin.cb);
		ef->eid.cb = eid->Value.bin.cb;
		ef->folder = f;
		eng->n_folders++;
	}
	MAPIFreeBuffer(eid);
	if (eng->n_aliases == eng->cap_aliases) {
		size_t cap = eng->cap_aliases ? eng->cap_aliases * 2 : 16;
		path_alias *grown = realloc(eng->aliases, cap * sizeof *grown);
		if (!grown)
			return MAPI_E_NOT_ENOUGH_MEMORY;
		eng->aliases = grown;
		eng->cap_aliases = cap;
	}
	if (!(eng->aliases[eng->n_aliases].key = strdup(key)))
		return MAPI_E_NOT_ENOUGH_MEMORY;
	eng->aliases[eng->n_aliases++].index = (size_t)(ef - eng->folders);
	*lppFolder = ef->folder;
	return S_OK;
oom:
	MAPIFreeBuffer(eid);
	IMAPIFolder_Release(f);
	return MAPI_E_NOT_ENOUGH_MEMORY;
}

HRESULT import_open_target(LPMDB mdb, const char *path, LPMAPIFOLDER *lppFolder)
{
	LPMAPIFOLDER start = NULL;
	ULONG type = 0;
	HRESULT hr;
	*lppFolder = NULL;
	if (*path == '/') {
		hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&start);
	} else {
		LPSPropValue subtree = NULL;
		hr = HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &subtree);
		if (SUCCEEDED(hr))
			hr = IMsgStore_OpenEntry(mdb, subtree->Value.bin.cb, (LPENTRYID)subtree->Value.bin.lpb, NULL,
			                         MAPI_MODIFY, &type, (LPUNKNOWN *)&start);
		MAPIFreeBuffer(subtree);
	}
	if (FAILED(hr))
		return hr;
	hr = walk(start, path, "IPF.Note", lppFolder);
	IMAPIFolder_Release(start);
	return hr;
}

HRESULT import_folder(import_engine *eng, const char *relpath, import_folder_kind kind, const char *container_class,
                      LPMAPIFOLDER *lppFolder)
{
	char *key;
	HRESULT hr;
	*lppFolder = NULL;
	if (!container_class)
		container_class = "IPF.Note";
	/* Kinds only mean something below the IPM subtree: a folder the user
	 * named with --folder receives the tree as it is. */
	if (!eng->base_is_ipm)
		kind = IMPORT_FOLDER_PLAIN;
	if (asprintf(&key, "%d:%s", (int)kind, relpath) < 0)
		return MAPI_E_NOT_ENOUGH_MEMORY;
	for (size_t i = 0; i < eng->n_aliases; i++) {
		if (strcmp(eng->aliases[i].key, key) == 0) {
			free(key);
			*lppFolder = eng->folders[eng->aliases[i].index].folder;
			return S_OK;
		}
	}

	LPMAPIFOLDER f = NULL;
	if (kind == IMPORT_FOLDER_PLAIN) {
		hr = walk(eng->base, relpath, container_class, &f);
	} else {
		/* The first component names the special folder; the rest is
		 * below it. */
		LPMAPIFOLDER special = NULL;
		const char *rest = relpath;
		char first[1024];
		next_component(&rest, first, sizeof first);
		hr = open_special(eng, kind, &special);
		if (SUCCEEDED(hr)) {
			hr = walk(special, rest, container_class, &f);
			IMAPIFolder_Release(special);
		}
	}
	if (FAILED(hr)) {
		cli_error("%s: opening folder '%s': %s (%s)", eng->label, *relpath ? relpath : "(top)", error_text(eng, hr),
		          MAPIXErrorName(hr));
		free(key);
		return hr;
	}
	hr = remember(eng, key, f, lppFolder);
	free(key);
	return hr;
}

/* Reads the identities already in the folder: one pass over the contents
 * table, only the rows that have one, a page at a time. */
static HRESULT load_seen(import_engine *eng, engine_folder *ef)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_MAPIX_IMPORT_SOURCE_A}};
	LPMAPITABLE table = NULL;
	HRESULT hr;
	SRestriction res = {.rt = RES_EXIST};
	res.res.resExist.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A;
	if (FAILED(hr = IMAPIFolder_GetContentsTable(ef->folder, 0, &table)))
		return hr;
	if (SUCCEEDED(hr = IMAPITable_SetColumns(table, (LPSPropTagArray)&cols, 0)) &&
	    SUCCEEDED(hr = IMAPITable_Restrict(table, &res, 0))) {
		for (;;) {
			LPSRowSet rows = NULL;
			if (FAILED(hr = IMAPITable_QueryRows(table, 1000, 0, &rows)))
				break;
			ULONG n = rows->cRows;
			for (ULONG i = 0; i < n && SUCCEEDED(hr); i++) {
				const SPropValue *v = &rows->aRow[i].lpProps[0];
				if (PROP_TYPE(v->ulPropTag) == PT_STRING8 && !set_add(&ef->seen, v->Value.lpszA))
					hr = MAPI_E_NOT_ENOUGH_MEMORY;
			}
			FreeProws(rows);
			if (n == 0 || FAILED(hr))
				break;
		}
	}
	IMAPITable_Release(table);
	return hr;
}

BOOL import_seen(import_engine *eng, LPMAPIFOLDER folder, const char *source_id)
{
	engine_folder *ef = find_by_folder(eng, folder);
	eng->last = ef ? (size_t)(ef - eng->folders) : SIZE_MAX;
	free(eng->last_id);
	eng->last_id = strdup(source_id);
	if (!ef)
		return FALSE;
	if (!ef->loaded) {
		HRESULT hr = load_seen(eng, ef);
		ef->loaded = TRUE;
		if (FAILED(hr)) {
			/* Without the identities an import could duplicate
			 * everything: stop instead. */
			cli_fail(eng->label, hr);
			eng->fatal = TRUE;
			return TRUE;
		}
	}
	return set_has(&ef->seen, source_id);
}

/* ---- saving --------------------------------------------------------------------- */

/* Commits the open batch; on failure its messages are lost (and were never
 * counted), the import stops. cause, when not NULL, is what went wrong
 * first (a failed save that made the store roll the batch back). */
static HRESULT commit_batch(import_engine *eng, const char *cause)
{
	if (!eng->batch_open)
		return S_OK;
	eng->batch_open = FALSE;
	HRESULT hr = MAPIXCommitStoreBatch(eng->mdb);
	if (FAILED(hr)) {
		cli_progress_finish(&eng->progress);
		if (cause)
			fprintf(stderr, "mapix: %s; the %llu messages saved before it in the same batch were lost\n", cause,
			        (unsigned long long)eng->pending);
		else
			fprintf(stderr, "mapix: %s: committing the last %llu messages failed: %s (%s); they were lost\n",
			        eng->label, (unsigned long long)eng->pending, error_text(eng, hr), MAPIXErrorName(hr));
		fprintf(stderr, "mapix: %s: stopping; run the same import again to complete it\n", eng->label);
		eng->fatal = TRUE;
	} else {
		eng->imported += eng->pending;
		eng->imported_bytes += eng->pending_bytes;
	}
	eng->pending = eng->pending_bytes = 0;
	return hr;
}

static BOOL disk_trouble(HRESULT hr)
{
	return hr == MAPI_E_NOT_ENOUGH_DISK || hr == MAPI_E_DISK_ERROR || hr == MAPI_E_CORRUPT_STORE;
}

static HRESULT commit_at(import_engine *eng, LPMESSAGE msg, const char *source_id, uint64_t bytes,
                         const char *location)
{
	HRESULT hr;
	if (import_stopped(eng)) {
		IMessage_Release(msg);
		return MAPI_E_USER_CANCEL;
	}
	if (eng->batching && !eng->batch_open) {
		hr = MAPIXBeginStoreBatch(eng->mdb);
		if (hr == MAPI_E_NO_SUPPORT)
			eng->batching = FALSE; /* not a local store: one commit per message */
		else if (FAILED(hr)) {
			IMessage_Release(msg);
			eng->fatal = TRUE;
			cli_fail(eng->label, hr);
			return hr;
		} else
			eng->batch_open = TRUE;
	}
	SPropValue id = {.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A, .Value.lpszA = (LPSTR)source_id};
	hr = IMessage_SetProps(msg, 1, &id, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(msg, 0);
	char *why = NULL;
	if (FAILED(hr) && asprintf(&why, "%s: saving failed: %s (%s)", location, error_text(eng, hr),
	                           MAPIXErrorName(hr)) < 0)
		why = NULL;
	IMessage_Release(msg);
	if (SUCCEEDED(hr)) {
		/* Sources ask import_seen just before they make the message, so
		 * that folder is the message's: keep the identity, so that a
		 * source named twice in one run is seen too. */
		if (eng->last != SIZE_MAX && eng->last_id && strcmp(eng->last_id, source_id) == 0) {
			set_add(&eng->folders[eng->last].seen, source_id);
			eng->folders[eng->last].used = TRUE;
		}
		eng->pending++;
		eng->pending_bytes += bytes;
		cli_progress_step(&eng->progress, bytes);
		/* Test hook: an interruption at an exact point, through the
		 * real signal path. */
		if (eng->signal_after && ++eng->saved == eng->signal_after)
			raise(SIGINT);
		if (eng->batching && eng->pending >= eng->batch_size)
			hr = commit_batch(eng, NULL);
		else if (!eng->batching) {
			eng->imported += eng->pending;
			eng->imported_bytes += eng->pending_bytes;
			eng->pending = eng->pending_bytes = 0;
		}
		return hr;
	}
	/* A failed save inside a batch: commit what came before it at once, so
	 * that whatever state the failure left, the earlier messages are safe
	 * or reported lost. A full or failing disk stops the import: every
	 * message after would fail the same way. */
	HRESULT chr = commit_batch(eng, why ? why : "saving failed");
	if (FAILED(chr)) {
		/* reported by commit_batch */
	} else if (disk_trouble(hr)) {
		cli_progress_finish(&eng->progress);
		fprintf(stderr, "mapix: %s\nmapix: %s: stopping; run the same import again to complete it\n",
		        why ? why : "saving failed", eng->label);
		eng->fatal = TRUE;
	} else {
		import_skip(eng, location, "saving failed: %s (%s)", error_text(eng, hr), MAPIXErrorName(hr));
	}
	free(why);
	return hr;
}

HRESULT import_commit_message(import_engine *eng, LPMESSAGE msg, const char *source_id, uint64_t bytes)
{
	return commit_at(eng, msg, source_id, bytes, source_id);
}

HRESULT import_mime(import_engine *eng, LPMAPIFOLDER folder, const char *source_id, const char *location, int fd,
                    const void *data, size_t len, ULONG mime_flags, const SPropValue *extra, ULONG n_extra,
                    uint64_t bytes)
{
	LPMESSAGE msg = NULL;
	char *warnings = NULL;
	HRESULT hr;
	if (import_stopped(eng))
		return MAPI_E_USER_CANCEL;
	if (FAILED(hr = IMAPIFolder_CreateMessage(folder, NULL, 0, &msg))) {
		import_skip(eng, location, "creating the message failed: %s (%s)", error_text(eng, hr),
		            MAPIXErrorName(hr));
		return hr;
	}
	mime_flags |= import_mime_flags(eng);
	hr = fd >= 0 ? mapix_mime_fd_to_message(fd, msg, mime_flags, &warnings)
	             : mapix_mime_to_message(data, len, msg, mime_flags, &warnings);
	if (SUCCEEDED(hr) && n_extra) {
		LPSPropProblemArray problems = NULL;
		hr = IMessage_SetProps(msg, n_extra, (LPSPropValue)extra, &problems);
		if (SUCCEEDED(hr) && problems && problems->cProblem) {
			char tag[16];
			import_warn(eng, location, "property %s could not be set (%s)",
			            cli_tag_label(problems->aProblem[0].ulPropTag, tag),
			            MAPIXErrorName((HRESULT)problems->aProblem[0].scode));
		}
		MAPIFreeBuffer(problems);
	}
	if (FAILED(hr)) {
		import_skip(eng, location, "%s (%s)", error_text(eng, hr), MAPIXErrorName(hr));
		MAPIFreeBuffer(warnings);
		IMessage_Release(msg);
		return hr;
	}
	import_warn_lines(eng, location, warnings);
	return commit_at(eng, msg, source_id, bytes, location);
}

/* ---- the command's side ----------------------------------------------------------- */

import_engine *import_engine_new(LPMDB mdb, const char *label, LPMAPIFOLDER base, BOOL base_is_ipm, ULONG batch,
                                 BOOL quiet)
{
	import_engine *eng = calloc(1, sizeof *eng);
	if (!eng)
		return NULL;
	eng->mdb = mdb;
	eng->label = label;
	eng->base = base;
	eng->base_is_ipm = base_is_ipm;
	eng->batch_size = batch ? batch : 1000;
	eng->batching = TRUE;
	eng->last = SIZE_MAX;
	const char *hook = getenv("MAPIX_TEST_IMPORT_SIGNAL_AFTER");
	if (hook && *hook)
		eng->signal_after = strtoull(hook, NULL, 10);
	cli_progress_start(&eng->progress, "importing", 0);
	if (quiet)
		eng->progress.tty = 0;
	/* SA_RESTART: a signal must not turn a read or a SQLite write into
	 * an error; the flag is looked at between items. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return eng;
}

int import_engine_finish(import_engine *eng, int source_rc)
{
	commit_batch(eng, NULL);
	double t = cli_progress_elapsed(&eng->progress);
	cli_progress_finish(&eng->progress);
	uint64_t folders = 0;
	for (size_t i = 0; i < eng->n_folders; i++)
		folders += eng->folders[i].used ? 1 : 0;
	printf("imported %llu messages into %llu folders (%.1f MiB in %.1f s, %.0f msg/s); %llu already present; "
	       "%llu skipped; %llu warnings\n",
	       (unsigned long long)eng->imported, (unsigned long long)folders, (double)eng->imported_bytes / 1048576.0, t,
	       t > 0 ? (double)eng->imported / t : 0.0, (unsigned long long)eng->existing,
	       (unsigned long long)eng->skipped, (unsigned long long)eng->warnings);
	fflush(stdout);
	int rc = source_rc;
	if (eng->fatal)
		rc = CLI_EXIT_FAILURE;
	else if (interrupted)
		rc = cli_error("interrupted; run the same import again to complete it");
	for (size_t i = 0; i < eng->n_folders; i++) {
		IMAPIFolder_Release(eng->folders[i].folder);
		set_free(&eng->folders[i].seen);
		free(eng->folders[i].key);
		free(eng->folders[i].eid.lpb);
	}
	for (size_t i = 0; i < eng->n_aliases; i++)
		free(eng->aliases[i].key);
	free(eng->aliases);
	free(eng->folders);
	free(eng->last_id);
	if (eng->base)
		IMAPIFolder_Release(eng->base);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	free(eng);
	return rc;
}
