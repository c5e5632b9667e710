/*
 * archive_pass.c — one "changes since N" pass of `mapix archive` over one
 * open store (local or through mapixd).
 *
 * The journal is read in batches. Within a batch the rows of each message
 * (by source key) are taken together: a message created in the batch and
 * not deleted again is archived once, from where it is at the end of the
 * batch (the latest entry ID the journal gives it); with --versions every
 * modify and move row also writes a version named by its change number.
 * Moves and modifies of a message created before the batch archive nothing
 * else: the message was archived when it appeared.
 *
 * Order of durability, which is what makes a killed run harmless:
 *   1. folders first seen in the batch are added to the state and the state
 *      is saved (still with the old change number) before anything is
 *      written into them, so a rerun finds the same directories;
 *   2. Maildir: the batch's messages are written to tmp/, made durable
 *      together (one syncfs instead of an fsync per file), and only then
 *      linked to their derived names in cur/ (an existing name is left
 *      alone: an earlier, interrupted pass published it); mbox: appended
 *      after the recorded length;
 *   3. checkpoint: cur/ directories fsynced, mbox files fsynced and their
 *      lengths taken, then the state with the batch's last change number.
 * At the start of each pass every mbox is cut back to its recorded length,
 * so what an interrupted pass appended is written again exactly once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>
#include <mapix/mapitags.h>

#include "archive.h"

#define BATCH_ROWS 1000

typedef struct pass {
	LPMDB mdb;
	const archive_options *o;
	archive_state st;
	char *mbdir; /* DEST/<label> */
	archive_counts *c;
	archive_step_fn step;
	void *step_ctx;
	char *why;
	LPSPropValue ipm, inbox_key; /* the IPM subtree's entry ID; the Inbox's source key */
	BOOL state_dirty;            /* folders added or renamed since the last save */
	/* Maildir: messages written to tmp/, waiting for one file-system
	 * flush before their names appear in cur/ (publish). */
	struct staged {
		char *tmp, *final;
		int folder;
		uint64_t bytes;
		BOOL version;
	} *staged;
	size_t nstaged, capstaged;
} pass;

/* One thing to write: a message (version_cn 0) or a version of it. */
typedef struct job {
	uint64_t order;     /* change number it is written in order of */
	uint64_t version_cn;
	const SBinary *key; /* the message's source key */
	const SBinary *eid; /* where to open it */
	const SBinary *folder_key, *folder_eid;
	archive_folder *folder;
	BOOL miss;          /* the entry ID was stale: look further in the journal */
} job;

static HRESULT fail(pass *p, HRESULT hr, const char *fmt, const char *arg)
{
	snprintf(p->why, 256, fmt, arg, MAPIXGetLastErrorText());
	return hr;
}

static void hex(const SBinary *b, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	for (ULONG i = 0; i < b->cb; i++) {
		out[2 * i] = digits[b->lpb[i] >> 4];
		out[2 * i + 1] = digits[b->lpb[i] & 15];
	}
	out[2 * b->cb] = 0;
}

HRESULT archive_store_guid(LPMDB mdb, char out[33])
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)mdb, PR_RECORD_KEY, &v);
	if (SUCCEEDED(hr) && v->Value.bin.cb != 16)
		hr = MAPI_E_CORRUPT_DATA;
	if (SUCCEEDED(hr))
		hex(&v->Value.bin, out);
	MAPIFreeBuffer(v);
	return hr;
}

static const SPropValue *col(const SRow *r, ULONG tag)
{
	return PpropFindProp(r->lpProps, r->cValues, tag);
}

static const SBinary *bin(const SRow *r, ULONG tag)
{
	const SPropValue *v = col(r, tag);
	return v && v->Value.bin.cb ? &v->Value.bin : NULL;
}

static int bincmp(const SBinary *a, const SBinary *b)
{
	if (a->cb != b->cb)
		return a->cb < b->cb ? -1 : 1;
	return memcmp(a->lpb, b->lpb, a->cb);
}

/* ---- folders ------------------------------------------------------------------------------ */

char *archive_maildir_dir(const char *mbdir, const archive_folder *f)
{
	if (f->kind == ARCHIVE_FOLDER_INBOX)
		return strdup(mbdir);
	cli_buf b = {0};
	cli_buf_add(&b, mbdir, strlen(mbdir));
	cli_buf_add(&b, "/", 1);
	for (int i = 0; i < f->depth; i++) {
		char *n = export_maildir_name(f->names[i]);
		if (!n) {
			cli_buf_free(&b);
			return NULL;
		}
		cli_buf_addf(&b, ".%s", n);
		free(n);
	}
	return b.oom ? (cli_buf_free(&b), NULL) : b.text;
}

static char *maildir_dir(pass *p, const archive_folder *f)
{
	return archive_maildir_dir(p->mbdir, f);
}

/* The mbox file of a folder, as export_mbox.c lays it out. */
static char *mbox_file(pass *p, const archive_folder *f)
{
	cli_buf b = {0};
	cli_buf_add(&b, p->mbdir, strlen(p->mbdir));
	for (int i = 0; i < f->depth; i++) {
		char *n = export_fs_name(f->names[i], TRUE);
		if (!n) {
			cli_buf_free(&b);
			return NULL;
		}
		cli_buf_addf(&b, "/%s%s", n, i < f->depth - 1 ? ".sbd" : "");
		free(n);
	}
	return b.oom ? (cli_buf_free(&b), NULL) : b.text;
}

static BOOL same_path(const archive_folder *f, char **names, int depth)
{
	if (f->depth != depth || f->kind == ARCHIVE_FOLDER_EXCLUDED)
		return FALSE;
	for (int i = 0; i < depth; i++)
		if (strcmp(f->names[i], names[i]) != 0)
			return FALSE;
	return TRUE;
}

static HRESULT resolve_eid(pass *p, const SBinary *eid, int level, archive_folder **out);

/* The folder with this source key (when known) or entry ID, added to the
 * state at first sight with its archive path. */
static HRESULT resolve(pass *p, const SBinary *key, const SBinary *eid, archive_folder **out)
{
	char k[2 * 256 + 1];
	if (key && key->cb <= 256) {
		hex(key, k);
		if ((*out = archive_state_find(&p->st, k)))
			return S_OK;
	}
	if (!eid)
		return fail(p, MAPI_E_NOT_FOUND, "%sa folder has no entry ID in the journal%s", "");
	return resolve_eid(p, eid, 0, out);
}

enum { F_NAME, F_KEY, F_PARENT, F_EID, F_COUNT };

static HRESULT resolve_eid(pass *p, const SBinary *eid, int level, archive_folder **out)
{
	static const SizedSPropTagArray(F_COUNT, tags) = {
	    F_COUNT, {PR_DISPLAY_NAME_W, PR_SOURCE_KEY, PR_PARENT_ENTRYID, PR_ENTRYID}};
	ULONG type = 0, n = 0;
	LPMAPIFOLDER fo = NULL;
	LPSPropValue v = NULL;
	char **names = NULL, *current = NULL, *name = NULL;
	int depth = 0, kind = ARCHIVE_FOLDER_PLAIN;
	archive_folder *parent = NULL;
	HRESULT hr;

	if (level > 64)
		return fail(p, MAPI_E_CALL_FAILED, "%sfolders nested too deeply%s", "");
	hr = IMsgStore_OpenEntry(p->mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&fo);
	if (SUCCEEDED(hr) && type != MAPI_FOLDER)
		hr = MAPI_E_INVALID_ENTRYID;
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_GetProps(fo, (LPSPropTagArray)&tags, MAPI_UNICODE, &n, &v);
	if (FAILED(hr))
		goto out;
	if (PROP_TYPE(v[F_KEY].ulPropTag) != PT_BINARY || v[F_KEY].Value.bin.cb > 256) {
		hr = fail(p, MAPI_E_CORRUPT_DATA, "%sa folder has no source key%s", "");
		goto out;
	}
	char k[2 * 256 + 1];
	hex(&v[F_KEY].Value.bin, k);
	if ((*out = archive_state_find(&p->st, k)))
		goto out;
	if (PROP_TYPE(v[F_NAME].ulPropTag) != PT_UNICODE ||
	    mapix_utf16_to_utf8(v[F_NAME].Value.lpszW, NULL, &name) != S_OK)
		name = NULL;
	const char *display = name && *name ? name : "(no name)";
	ULONG same = 0;
	BOOL is_ipm = p->ipm && SUCCEEDED(IMsgStore_CompareEntryIDs(p->mdb, eid->cb, (LPENTRYID)eid->lpb,
	                                                            p->ipm->Value.bin.cb,
	                                                            (LPENTRYID)p->ipm->Value.bin.lpb, 0, &same)) &&
	              same;
	BOOL is_inbox = p->inbox_key && bincmp(&v[F_KEY].Value.bin, &p->inbox_key->Value.bin) == 0;
	BOOL has_parent = PROP_TYPE(v[F_PARENT].ulPropTag) == PT_BINARY && v[F_PARENT].Value.bin.cb &&
	                  bincmp(&v[F_PARENT].Value.bin, &v[F_EID].Value.bin) != 0;
	BOOL parent_is_ipm = FALSE;
	if (has_parent && p->ipm) {
		same = 0;
		parent_is_ipm = SUCCEEDED(IMsgStore_CompareEntryIDs(p->mdb, v[F_PARENT].Value.bin.cb,
		                                                    (LPENTRYID)v[F_PARENT].Value.bin.lpb,
		                                                    p->ipm->Value.bin.cb, (LPENTRYID)p->ipm->Value.bin.lpb,
		                                                    0, &same)) &&
		                same;
	}
	char *cur_esc = archive_path_escape(display);
	cli_buf cur = {0};
	if (is_ipm || !has_parent) {
		kind = ARCHIVE_FOLDER_EXCLUDED;
		if (cur_esc)
			cli_buf_add(&cur, cur_esc, strlen(cur_esc));
	} else {
		if (!parent_is_ipm) {
			if (FAILED(hr = resolve_eid(p, &v[F_PARENT].Value.bin, level + 1, &parent)))
				goto out_cur;
			if (parent->kind == ARCHIVE_FOLDER_EXCLUDED)
				kind = ARCHIVE_FOLDER_EXCLUDED;
			cli_buf_addf(&cur, "%s/", parent->current);
		}
		if (cur_esc)
			cli_buf_add(&cur, cur_esc, strlen(cur_esc));
		if (kind != ARCHIVE_FOLDER_EXCLUDED) {
			depth = parent ? parent->depth + 1 : 1;
			names = calloc((size_t)depth, sizeof *names);
			for (int i = 0; names && i < depth - 1; i++)
				names[i] = strdup(parent->names[i]);
			if (names)
				names[depth - 1] = strdup(is_inbox ? "Inbox" : display);
			if (is_inbox && !parent)
				kind = ARCHIVE_FOLDER_INBOX;
			/* A folder renamed away leaves its archive directory behind: a
			 * new folder of the old name gets its own. */
			for (int tries = 2; names && names[depth - 1]; tries++) {
				BOOL taken = FALSE;
				for (int i = 0; i < p->st.nfolders && !taken; i++)
					taken = same_path(&p->st.folders[i], names, depth);
				if (!taken)
					break;
				char *base = names[depth - 1];
				size_t len = strlen(base) + 16;
				char *alt = malloc(len);
				if (alt) {
					char *tilde = strrchr(base, '~');
					size_t keep = tilde && tries > 2 ? (size_t)(tilde - base) : strlen(base);
					snprintf(alt, len, "%.*s~%d", (int)keep, base, tries);
				}
				free(base);
				names[depth - 1] = alt;
			}
		}
	}
	current = cur.oom ? NULL : strdup(cli_buf_str(&cur));
	if (!current || (depth && (!names || !names[depth - 1]))) {
		hr = fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
	} else {
		for (int i = 0; i < depth; i++)
			if (!names[i])
				hr = MAPI_E_NOT_ENOUGH_MEMORY;
		if (SUCCEEDED(hr) && (*out = archive_state_add(&p->st, k, names, depth, current, kind))) {
			names = NULL;
			current = NULL;
			p->state_dirty = TRUE;
		} else {
			hr = fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		}
	}
out_cur:
	cli_buf_free(&cur);
	free(cur_esc);
out:
	if (FAILED(hr) && !*p->why)
		fail(p, hr, "%scannot open a folder: %s", "");
	if (names) {
		for (int i = 0; i < depth; i++)
			free(names[i]);
		free(names);
	}
	free(current);
	MAPIFreeBuffer(name);
	MAPIFreeBuffer(v);
	if (fo)
		IMAPIFolder_Release(fo);
	return hr;
}

/* A folder was renamed or moved: its current path is recorded again (its
 * archive path stays). */
static void refresh_folder(pass *p, archive_folder *f, const SBinary *eid)
{
	archive_folder *again = NULL;
	/* Re-resolve under a temporary key: drop the entry, resolve, and keep
	 * the old archive path with the new current path. */
	char *old_key = f->key;
	f->key = (char *)"";
	int at = (int)(f - p->st.folders);
	HRESULT hr = resolve_eid(p, eid, 0, &again);
	f = &p->st.folders[at]; /* the array may have moved */
	f->key = old_key;
	if (FAILED(hr) || !again) {
		*p->why = 0;
		return;
	}
	if (strcmp(again->current, f->current) != 0) {
		free(f->current);
		f->current = again->current;
		again->current = NULL;
		p->state_dirty = TRUE;
	}
	/* Drop the temporary entry (the last one added). */
	archive_folder *last = &p->st.folders[p->st.nfolders - 1];
	for (int i = 0; i < last->depth; i++)
		free(last->names[i]);
	free(last->names);
	free(last->key);
	free(last->current);
	p->st.nfolders--;
}

/* ---- writing -------------------------------------------------------------------------------- */

enum { M_FLAGS, M_CLASS, M_DELIVERY, M_SUBMIT, M_CREATION, M_SENDER, M_COUNT };

static BOOL is_ipm_class(const SPropValue *v)
{
	if (PROP_TYPE(v->ulPropTag) != PT_UNICODE || !v->Value.lpszW)
		return TRUE;
	const WCHAR *c = v->Value.lpszW;
	static const char ipm[] = "IPM";
	for (int i = 0; i < 3; i++)
		if ((c[i] | 0x20) != (ipm[i] | 0x20))
			return FALSE;
	return c[3] == 0 || c[3] == '.';
}

/* TRUE when the derived name exists in the cur/ of some folder (a crashed
 * pass wrote it; the message may have moved since). */
static BOOL maildir_has(pass *p, const archive_folder *target, const char *name, BOOL only_target)
{
	for (int i = -1; i < p->st.nfolders; i++) {
		const archive_folder *f = i < 0 ? target : &p->st.folders[i];
		if ((i >= 0 && (only_target || f == target)) || f->kind == ARCHIVE_FOLDER_EXCLUDED)
			continue;
		char *dir = maildir_dir(p, f);
		if (!dir)
			continue;
		size_t n = strlen(dir) + strlen(name) + 8;
		char *path = malloc(n);
		struct stat sb;
		BOOL found = path && (snprintf(path, n, "%s/cur/%s", dir, name), lstat(path, &sb) == 0);
		free(path);
		free(dir);
		if (found)
			return TRUE;
	}
	return FALSE;
}

/* Writes m into the folder's tmp/ (not yet durable: publish makes the
 * batch durable with one flush and then gives the files their derived names
 * in cur/). *present when the name is in the archive already. S_OK, a
 * message's own failure (skipped), or MAPI_E_DISK_ERROR with *why. */
static HRESULT maildir_put(pass *p, archive_folder *f, const char *name, const char *headers, LPMESSAGE msg,
                           BOOL only_target, BOOL *present, uint64_t *bytes)
{
	*present = maildir_has(p, f, name, only_target);
	if (*present)
		return S_OK;
	if (p->nstaged == p->capstaged) {
		size_t cap = p->capstaged ? p->capstaged * 2 : 256;
		struct staged *v = realloc(p->staged, cap * sizeof *v);
		if (!v)
			return fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		p->staged = v;
		p->capstaged = cap;
	}
	char *dir = maildir_dir(p, f);
	if (!dir)
		return fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
	size_t n = strlen(dir) + strlen(name) + 64;
	char *tmp = malloc(n), *final = malloc(n), *sub = malloc(n);
	HRESULT hr = S_OK;
	int fd = -1;
	if (!tmp || !final || !sub) {
		hr = fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		goto out;
	}
	static const char *const subs[] = {"tmp", "new", "cur"};
	for (int i = 0; i < 3; i++) {
		snprintf(sub, n, "%s/%s", dir, subs[i]);
		if (export_mkdirs(sub) != 0) {
			snprintf(p->why, 256, "%s: %s", sub, strerror(errno));
			hr = MAPI_E_DISK_ERROR;
			goto out;
		}
	}
	snprintf(tmp, n, "%s/tmp/%s.%ld", dir, name, (long)getpid());
	snprintf(final, n, "%s/cur/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err = fd < 0 ? errno : 0;
	size_t hl = strlen(headers);
	if (!err && write(fd, headers, hl) != (ssize_t)hl)
		err = errno ? errno : ENOSPC;
	if (!err) {
		export_run run = {.mime_flags = 0};
		export_message m = {.msg = msg};
		hr = export_write_mime_fd(&run, &m, fd, &err);
		*bytes = run.bytes + hl;
		if (FAILED(hr) && !err) {
			snprintf(p->why, 256, "%s", MAPIXGetLastErrorText());
			goto out; /* the message's own failure: skipped */
		}
	}
	if (fd >= 0 && close(fd) != 0 && !err)
		err = errno;
	fd = -1;
	if (err) {
		snprintf(p->why, 256, "%s: %s", tmp, strerror(err));
		hr = MAPI_E_DISK_ERROR;
		goto out;
	}
	p->staged[p->nstaged++] = (struct staged){tmp, final, (int)(f - p->st.folders), *bytes, only_target};
	tmp = final = NULL;
	hr = S_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(final);
	free(sub);
	free(dir);
	return hr;
}

static void drop_staged(pass *p)
{
	for (size_t i = 0; i < p->nstaged; i++) {
		unlink(p->staged[i].tmp);
		free(p->staged[i].tmp);
		free(p->staged[i].final);
	}
	p->nstaged = 0;
}

/* One flush of the file system for the whole batch (instead of one fsync
 * per message), then the derived names: a name in cur/ always has its data
 * on disk. An existing name was published by an interrupted pass. */
static int publish(pass *p)
{
	if (!p->nstaged)
		return 0;
	int fd = open(p->mbdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) != 0) {
		snprintf(p->why, 256, "%s: %s", p->mbdir, strerror(errno));
		if (fd >= 0)
			close(fd);
		drop_staged(p);
		return 1;
	}
	close(fd);
	int rc = 0;
	for (size_t i = 0; i < p->nstaged; i++) {
		struct staged *s = &p->staged[i];
		if (rc == 0 && link(s->tmp, s->final) != 0) {
			if (errno == EEXIST) {
				p->c->present++;
			} else {
				snprintf(p->why, 256, "%s: %s", s->final, strerror(errno));
				rc = 1;
			}
		} else if (rc == 0) {
			p->st.folders[s->folder].dirty = TRUE;
			p->c->archived++;
			p->c->versions += s->version;
			p->c->bytes += s->bytes;
			if (p->step)
				p->step(p->step_ctx, s->bytes);
		}
	}
	drop_staged(p);
	return rc;
}

static HRESULT mbox_put(pass *p, archive_folder *f, const char *headers, LPMESSAGE msg, const SPropValue *v,
                        uint64_t *bytes)
{
	if (!f->run) {
		export_run *run = calloc(1, sizeof *run);
		if (!run)
			return fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		run->dest = p->mbdir;
		run->append = TRUE;
		run->format = &export_format_mbox;
		export_folder ef = {(const char *const *)f->names, f->depth, EXPORT_PLAIN, f->kind == ARCHIVE_FOLDER_INBOX};
		if (export_mkdirs(p->mbdir) != 0 || run->format->open_folder(run, &ef) != 0) {
			free(run);
			snprintf(p->why, 256, "cannot open the mbox of %s", f->current);
			return MAPI_E_DISK_ERROR;
		}
		f->run = run;
	}
	export_message m = {.msg = msg, .folder_label = f->current, .extra_headers = headers};
	char *sender = NULL;
	for (int i = M_DELIVERY; i <= M_CREATION; i++)
		if (PROP_TYPE(v[i].ulPropTag) == PT_SYSTIME) {
			m.when = (time_t)mapix_filetime_to_unix(v[i].Value.ft, NULL);
			break;
		}
	if (PROP_TYPE(v[M_SENDER].ulPropTag) == PT_UNICODE &&
	    mapix_utf16_to_utf8(v[M_SENDER].Value.lpszW, NULL, &sender) == S_OK)
		m.sender = sender;
	int fatal = 0;
	uint64_t before = f->run->bytes;
	HRESULT hr = f->run->format->write_message(f->run, &m, &fatal);
	MAPIFreeBuffer(sender);
	*bytes = f->run->bytes - before;
	if (FAILED(hr))
		snprintf(p->why, 256, "%s", fatal ? "the mbox could not be written" : MAPIXGetLastErrorText());
	return fatal ? MAPI_E_DISK_ERROR : hr;
}

/* --stdout-stream: the message (headers and MIME) into an anonymous file,
 * then one frame; the parent publishes it. */
static HRESULT stream_put(pass *p, archive_folder *f, const char *name, const char *headers, LPMESSAGE msg,
                          uint64_t *bytes)
{
	int fd = memfd_create("mapix-archive", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(p->why, 256, "memfd_create: %s", strerror(errno));
		return MAPI_E_DISK_ERROR;
	}
	int err = 0;
	size_t hl = strlen(headers);
	if (write(fd, headers, hl) != (ssize_t)hl)
		err = errno ? errno : ENOSPC;
	HRESULT hr = S_OK;
	if (!err) {
		export_run run = {.mime_flags = 0};
		export_message m = {.msg = msg};
		hr = export_write_mime_fd(&run, &m, fd, &err);
		*bytes = run.bytes + hl;
		if (FAILED(hr) && !err) {
			snprintf(p->why, 256, "%s", MAPIXGetLastErrorText());
			close(fd);
			return hr; /* the message's own failure: skipped */
		}
	}
	if (!err && archive_stream_message(p->o->stream, f, name, fd, *bytes) != 0)
		err = errno ? errno : EPIPE;
	close(fd);
	if (err) {
		snprintf(p->why, 256, "the output stream: %s", strerror(err));
		return MAPI_E_DISK_ERROR;
	}
	return S_OK;
}

/* Archives one job. Returns S_OK (written, present, or not mail), a
 * message's own failure (reported, skipped; S_OK returned), or a failure
 * that stops the pass. */
static HRESULT do_job(pass *p, job *j)
{
	static const SizedSPropTagArray(M_COUNT, tags) = {
	    M_COUNT,
	    {PR_MESSAGE_FLAGS, PR_MESSAGE_CLASS_W, PR_MESSAGE_DELIVERY_TIME, PR_CLIENT_SUBMIT_TIME, PR_CREATION_TIME,
	     PR_SENDER_SMTP_ADDRESS_W}};
	ULONG type = 0, n = 0;
	LPMESSAGE msg = NULL;
	LPSPropValue v = NULL;
	char key[2 * 256 + 1], name[600], headers[700];
	HRESULT hr = IMsgStore_OpenEntry(p->mdb, j->eid->cb, (LPENTRYID)j->eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&msg);
	if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_ENTRYID || hr == MAPI_E_OBJECT_DELETED) {
		j->miss = TRUE;
		return S_OK;
	}
	if (hr == MAPI_E_NETWORK_ERROR)
		return fail(p, hr, "%s%s", "");
	if (SUCCEEDED(hr) && type != MAPI_MESSAGE)
		hr = MAPI_E_INVALID_ENTRYID;
	if (SUCCEEDED(hr))
		hr = IMessage_GetProps(msg, (LPSPropTagArray)&tags, MAPI_UNICODE, &n, &v);
	if (hr == MAPI_E_NETWORK_ERROR) {
		fail(p, hr, "%s%s", "");
		goto out;
	}
	if (FAILED(hr))
		goto skip;
	hr = S_OK;
	if ((PROP_TYPE(v[M_FLAGS].ulPropTag) == PT_LONG && (v[M_FLAGS].Value.l & MSGFLAG_ASSOCIATED)) ||
	    !is_ipm_class(&v[M_CLASS]) || j->folder->kind == ARCHIVE_FOLDER_EXCLUDED)
		goto out; /* not mail */

	hex(j->key, key);
	if (j->version_cn) {
		snprintf(name, sizeof name, "%s-%s.%llu:2,", p->st.guid, key, (unsigned long long)j->version_cn);
		snprintf(headers, sizeof headers, "X-Mapix-Source-Key: %s\nX-Mapix-Change-Number: %llu\n", key,
		         (unsigned long long)j->version_cn);
	} else {
		snprintf(name, sizeof name, "%s-%s:2,", p->st.guid, key);
		snprintf(headers, sizeof headers, "X-Mapix-Source-Key: %s\n", key);
	}
	BOOL present = FALSE;
	uint64_t bytes = 0;
	if (p->o->stream)
		hr = stream_put(p, j->folder, name, headers, msg, &bytes);
	else if (p->o->format == ARCHIVE_MAILDIR)
		hr = maildir_put(p, j->folder, name, headers, msg, j->version_cn != 0, &present, &bytes);
	else
		hr = mbox_put(p, j->folder, headers, msg, v, &bytes);
	if (hr == MAPI_E_DISK_ERROR || hr == MAPI_E_NETWORK_ERROR)
		goto out;
	if (FAILED(hr))
		goto skip;
	if (present) {
		p->c->present++;
	} else if (p->o->format == ARCHIVE_MBOX || p->o->stream) {
		p->c->archived++;
		p->c->versions += j->version_cn != 0;
		p->c->bytes += bytes;
		if (p->step)
			p->step(p->step_ctx, bytes);
	}
	goto out;
skip:
	hex(j->key, key);
	fprintf(stderr, "mapix: archive: %s: message %s skipped: %s (%s)\n", p->st.label, key,
	        *p->why ? p->why : MAPIXGetLastErrorText(), MAPIXErrorName(hr));
	*p->why = 0;
	p->c->skipped++;
	hr = S_OK;
out:
	MAPIFreeBuffer(v);
	if (msg)
		IMessage_Release(msg);
	return hr;
}

/* ---- checkpoints -------------------------------------------------------------------------- */

static int checkpoint(pass *p, uint64_t cn)
{
	if (p->o->stream) {
		/* the parent makes the files durable before it keeps the state */
		p->st.cn = cn;
		p->state_dirty = FALSE;
		if (archive_stream_state(p->o->stream, &p->st) != 0) {
			snprintf(p->why, 256, "the output stream: %s", strerror(errno ? errno : EPIPE));
			return 1;
		}
		return 0;
	}
	for (int i = 0; i < p->st.nfolders; i++) {
		archive_folder *f = &p->st.folders[i];
		if (f->run) {
			int rc = f->run->format->close_folder(f->run);
			free(f->run);
			f->run = NULL;
			char *file = mbox_file(p, f);
			struct stat sb;
			if (rc != 0 || !file || stat(file, &sb) != 0) {
				free(file);
				snprintf(p->why, 256, "%s: cannot make the mbox durable", f->current);
				return 1;
			}
			free(file);
			f->mbox_len = (uint64_t)sb.st_size;
		}
		if (f->dirty) {
			char *dir = maildir_dir(p, f);
			char *cur = dir ? export_join(dir, "cur") : NULL;
			int rc = cur ? export_fsync_path(cur) : -1;
			if (rc != 0)
				snprintf(p->why, 256, "%s: %s", cur ? cur : "cur", strerror(errno));
			free(cur);
			free(dir);
			if (rc != 0)
				return 1;
			f->dirty = FALSE;
		}
	}
	p->st.cn = cn;
	p->state_dirty = FALSE;
	if (archive_state_save(p->o->dest, &p->st) != 0) {
		snprintf(p->why, 256, "the state could not be saved");
		return 1;
	}
	return 0;
}

/* Saves new folders (and renames) without moving the change number: the
 * mbox lengths saved are those of the last checkpoint. */
static int save_folders(pass *p)
{
	if (!p->state_dirty)
		return 0;
	p->state_dirty = FALSE;
	if (p->o->stream ? archive_stream_state(p->o->stream, &p->st) != 0 : archive_state_save(p->o->dest, &p->st) != 0) {
		snprintf(p->why, 256, "the state could not be saved");
		return 1;
	}
	return 0;
}

/* Cuts every mbox back to its recorded length, and removes what an
 * interrupted pass left in the Maildirs' tmp/. */
static int restore(pass *p)
{
	if (p->o->stream)
		return 0; /* the parent's files */
	for (int i = 0; i < p->st.nfolders; i++) {
		archive_folder *f = &p->st.folders[i];
		if (f->kind == ARCHIVE_FOLDER_EXCLUDED)
			continue;
		if (p->o->format == ARCHIVE_MBOX) {
			char *file = mbox_file(p, f);
			struct stat sb;
			if (!file)
				return 1;
			if (stat(file, &sb) == 0 && (uint64_t)sb.st_size != f->mbox_len) {
				if ((uint64_t)sb.st_size < f->mbox_len || truncate(file, (off_t)f->mbox_len) != 0 ||
				    export_fsync_path(file) != 0) {
					snprintf(p->why, 256, "%s: shorter than recorded, or cannot be cut back", file);
					free(file);
					return 1;
				}
			}
			free(file);
		} else {
			char *dir = maildir_dir(p, f);
			char *tmp = dir ? export_join(dir, "tmp") : NULL;
			DIR *d = tmp ? opendir(tmp) : NULL;
			struct dirent *e;
			size_t gl = strlen(p->st.guid);
			while (d && (e = readdir(d)))
				if (strncmp(e->d_name, p->st.guid, gl) == 0 && e->d_name[gl] == '-')
					unlinkat(dirfd(d), e->d_name, 0);
			if (d)
				closedir(d);
			free(tmp);
			free(dir);
		}
	}
	return 0;
}

/* ---- the pass ------------------------------------------------------------------------------- */

typedef struct rowref {
	const SRow *row;
	const SBinary *key;
	uint64_t cn;
	LONG kind;
} rowref;

static int by_key_cn(const void *a, const void *b)
{
	const rowref *x = a, *y = b;
	int c = bincmp(x->key, y->key);
	return c ? c : x->cn < y->cn ? -1 : x->cn > y->cn;
}

static int by_order(const void *a, const void *b)
{
	const job *x = a, *y = b;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* For jobs whose entry ID went stale (the message moved after the batch),
 * the rest of the journal says where it went, or that it is gone. */
static HRESULT follow_misses(pass *p, LPMAPIXCHANGEJOURNAL jn, uint64_t after, job *jobs, size_t njobs,
                             LPSRowSet *keep)
{
	LPSRowSet rows = NULL;
	HRESULT hr = IMAPIXChangeJournal_GetChangesSince(jn, after, 0, &rows);
	if (FAILED(hr))
		return fail(p, hr, "%sreading the change journal: %s", "");
	for (size_t i = 0; i < njobs; i++) {
		job *j = &jobs[i];
		if (!j->miss)
			continue;
		const SRow *last = NULL;
		for (ULONG r = 0; r < rows->cRows; r++) {
			const SBinary *k = bin(&rows->aRow[r], PR_SOURCE_KEY);
			if (k && bincmp(k, j->key) == 0)
				last = &rows->aRow[r];
		}
		const SPropValue *kind = last ? col(last, PR_MAPIX_CHANGE_KIND) : NULL;
		if (!last || !kind || kind->Value.l == MAPIX_CHANGE_DELETE || !bin(last, PR_ENTRYID)) {
			p->c->gone++;
			j->miss = FALSE;
			continue;
		}
		j->eid = bin(last, PR_ENTRYID);
		if (!j->version_cn) {
			j->folder_key = bin(last, PR_PARENT_SOURCE_KEY);
			j->folder_eid = bin(last, PR_PARENT_ENTRYID);
			if (FAILED(hr = resolve(p, j->folder_key, j->folder_eid, &j->folder)))
				break;
		}
	}
	*keep = rows;
	return hr;
}

static HRESULT run_batch(pass *p, LPMAPIXCHANGEJOURNAL jn, LPSRowSet rows, uint64_t *last_cn)
{
	rowref *refs = calloc(rows->cRows ? rows->cRows : 1, sizeof *refs);
	job *jobs = calloc(rows->cRows ? rows->cRows : 1, sizeof *jobs);
	size_t nrefs = 0, njobs = 0;
	LPSRowSet more = NULL;
	HRESULT hr = S_OK;
	if (!refs || !jobs) {
		hr = fail(p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		goto out;
	}
	for (ULONG r = 0; r < rows->cRows; r++) {
		const SRow *row = &rows->aRow[r];
		const SPropValue *cn = col(row, PR_MAPIX_CHANGE_NUMBER), *kind = col(row, PR_MAPIX_CHANGE_KIND),
		                 *type = col(row, PR_OBJECT_TYPE);
		const SBinary *key = bin(row, PR_SOURCE_KEY);
		if (!cn || !kind || !type) {
			hr = fail(p, MAPI_E_CORRUPT_DATA, "%sa journal row without its change number%s", "");
			goto out;
		}
		*last_cn = (uint64_t)cn->Value.li.QuadPart;
		if (!key)
			continue;
		if (type->Value.l == MAPI_FOLDER) {
			/* Renames and moves of known folders: their current path. */
			if ((kind->Value.l == MAPIX_CHANGE_MODIFY || kind->Value.l == MAPIX_CHANGE_MOVE) && key->cb <= 256 &&
			    bin(row, PR_ENTRYID)) {
				char k[513];
				hex(key, k);
				archive_folder *f = archive_state_find(&p->st, k);
				if (f)
					refresh_folder(p, f, bin(row, PR_ENTRYID));
			}
			continue;
		}
		if (type->Value.l != MAPI_MESSAGE || key->cb > 256)
			continue;
		refs[nrefs++] = (rowref){row, key, (uint64_t)cn->Value.li.QuadPart, kind->Value.l};
	}
	qsort(refs, nrefs, sizeof *refs, by_key_cn);
	for (size_t i = 0; i < nrefs;) {
		size_t e = i;
		while (e < nrefs && bincmp(refs[e].key, refs[i].key) == 0)
			e++;
		const rowref *last = &refs[e - 1], *loc = NULL, *created = NULL;
		for (size_t k = i; k < e; k++) {
			if (refs[k].kind != MAPIX_CHANGE_DELETE)
				loc = &refs[k];
			if (refs[k].kind == MAPIX_CHANGE_CREATE && !created)
				created = &refs[k];
		}
		BOOL deleted = last->kind == MAPIX_CHANGE_DELETE;
		if (created && deleted)
			p->c->gone++;
		if (!deleted && loc && bin(loc->row, PR_ENTRYID)) {
			if (created)
				jobs[njobs++] = (job){created->cn, 0, refs[i].key, bin(loc->row, PR_ENTRYID),
				                      bin(loc->row, PR_PARENT_SOURCE_KEY), bin(loc->row, PR_PARENT_ENTRYID), NULL,
				                      FALSE};
			for (size_t k = i; k < e && p->o->versions; k++)
				if (refs[k].kind == MAPIX_CHANGE_MODIFY || refs[k].kind == MAPIX_CHANGE_MOVE)
					jobs[njobs++] = (job){refs[k].cn, refs[k].cn, refs[k].key, bin(loc->row, PR_ENTRYID),
					                      bin(refs[k].row, PR_PARENT_SOURCE_KEY),
					                      bin(refs[k].row, PR_PARENT_ENTRYID), NULL, FALSE};
		}
		i = e;
	}
	qsort(jobs, njobs, sizeof *jobs, by_order);
	/* 1. folders, saved before anything is written into them */
	for (size_t i = 0; i < njobs; i++) {
		hr = resolve(p, jobs[i].folder_key, jobs[i].folder_eid, &jobs[i].folder);
		if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_INVALID_ENTRYID) {
			/* the folder is gone: so is the message, unless it moved on */
			jobs[i].miss = TRUE;
			*p->why = 0;
			hr = S_OK;
		}
		if (FAILED(hr))
			goto out;
	}
	if (save_folders(p) != 0) {
		hr = MAPI_E_DISK_ERROR;
		goto out;
	}
	/* 2. the messages */
	size_t misses = 0;
	for (size_t i = 0; i < njobs; i++) {
		if (jobs[i].miss || !jobs[i].folder) {
			jobs[i].miss = TRUE;
			misses++;
			continue;
		}
		if (FAILED(hr = do_job(p, &jobs[i])))
			goto out;
		misses += jobs[i].miss;
	}
	if (misses) {
		if (FAILED(hr = follow_misses(p, jn, *last_cn, jobs, njobs, &more)))
			goto out;
		if (save_folders(p) != 0) {
			hr = MAPI_E_DISK_ERROR;
			goto out;
		}
		for (size_t i = 0; i < njobs; i++) {
			if (!jobs[i].miss)
				continue;
			jobs[i].miss = FALSE;
			if (FAILED(hr = do_job(p, &jobs[i])))
				goto out;
			if (jobs[i].miss)
				p->c->gone++; /* deleted meanwhile */
		}
	}
	/* 3. durable, then the state */
	if (publish(p) != 0 || checkpoint(p, *last_cn) != 0)
		hr = MAPI_E_DISK_ERROR;
out:
	if (more)
		FreeProws(more);
	free(refs);
	free(jobs);
	return hr;
}

HRESULT archive_pass(LPMDB mdb, const char *label, const archive_options *opts, archive_counts *counts,
                     archive_step_fn step, void *step_ctx, char *why)
{
	pass p = {.mdb = mdb, .o = opts, .c = counts, .step = step, .step_ctx = step_ctx, .why = why};
	LPMAPIXCHANGEJOURNAL jn = NULL;
	char guid[33];
	HRESULT hr;
	*why = 0;
	if (FAILED(hr = archive_store_guid(mdb, guid)))
		return fail(&p, hr, "%sthe mailbox GUID: %s", "");
	if (opts->stream && opts->stream_state && *opts->stream_state) {
		FILE *f = fmemopen((void *)opts->stream_state, strlen(opts->stream_state), "r");
		int rc = f ? archive_state_read(f, guid, &p.st, "the state sent by the parent") : 1;
		if (f)
			fclose(f);
		if (rc != 0)
			return fail(&p, MAPI_E_CORRUPT_DATA, "%sthe archive state cannot be read%s", "");
	} else if (opts->stream) {
		memset(&p.st, 0, sizeof p.st);
		snprintf(p.st.guid, sizeof p.st.guid, "%s", guid);
	} else if (archive_state_load(opts->dest, guid, &p.st) != 0) {
		return fail(&p, MAPI_E_CORRUPT_DATA, "%sthe archive state cannot be read%s", "");
	}
	if (!p.st.label || strcmp(p.st.label, label) != 0) {
		free(p.st.label);
		p.st.label = strdup(label);
		p.state_dirty = TRUE;
	}
	p.mbdir = export_join(opts->dest ? opts->dest : ".", label);
	if (!p.st.label || !p.mbdir) {
		hr = fail(&p, MAPI_E_NOT_ENOUGH_MEMORY, "%sout of memory%s", "");
		goto out;
	}
	if (FAILED(hr = IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&jn))) {
		fail(&p, hr, "%sno change journal: %s", "");
		goto out;
	}
	if (FAILED(HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &p.ipm)))
		p.ipm = NULL;
	ULONG cb = 0;
	LPENTRYID inbox = NULL;
	if (SUCCEEDED(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM", 0, &cb, &inbox, NULL)) && inbox) {
		ULONG type = 0;
		LPMAPIFOLDER fo = NULL;
		if (SUCCEEDED(IMsgStore_OpenEntry(mdb, cb, inbox, NULL, 0, &type, (LPUNKNOWN *)&fo))) {
			if (FAILED(HrGetOneProp((LPMAPIPROP)fo, PR_SOURCE_KEY, &p.inbox_key)))
				p.inbox_key = NULL;
			IMAPIFolder_Release(fo);
		}
		MAPIFreeBuffer(inbox);
	}
	if (restore(&p) != 0 || save_folders(&p) != 0) {
		hr = MAPI_E_DISK_ERROR;
		goto out;
	}
	for (;;) {
		LPSRowSet rows = NULL;
		hr = IMAPIXChangeJournal_GetChangesSince(jn, p.st.cn, BATCH_ROWS, &rows);
		if (FAILED(hr)) {
			fail(&p, hr, "%sreading the change journal: %s", "");
			break;
		}
		if (rows->cRows == 0) {
			FreeProws(rows);
			break;
		}
		uint64_t last = p.st.cn;
		hr = run_batch(&p, jn, rows, &last);
		FreeProws(rows);
		if (FAILED(hr) || (opts->stop && *opts->stop))
			break; /* a batch boundary: the state is complete */
	}
out:
	/* Files left open by a failed batch: closed, not recorded (the next
	 * pass cuts them back). */
	for (int i = 0; i < p.st.nfolders; i++)
		if (p.st.folders[i].run) {
			p.st.folders[i].run->format->close_folder(p.st.folders[i].run);
			free(p.st.folders[i].run);
		}
	drop_staged(&p);
	free(p.staged);
	if (jn)
		IMAPIXChangeJournal_Release(jn);
	MAPIFreeBuffer(p.ipm);
	MAPIFreeBuffer(p.inbox_key);
	archive_state_free(&p.st);
	free(p.mbdir);
	return hr;
}
