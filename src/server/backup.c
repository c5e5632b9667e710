/*
 * backup.c — copies of hosted mailboxes while the server runs.
 *
 * The copy is made with SQLite's backup API from a connection of its own
 * that holds one read transaction for the whole copy: in WAL mode that
 * snapshot does not block the mailbox's writers, and because the source
 * connection never starts a new transaction the backup never restarts, so
 * it finishes under any write load and yields the mailbox exactly as it
 * was when the copy began (every save acknowledged before then, nothing
 * half-written after). The pages are copied in steps of BACKUP_STEP_PAGES
 * so that a server asked to stop is not held up by a large mailbox.
 *
 * The copy goes to a private temporary file under <data_dir>/backups
 * (0600, owned by mapixd), which the connection then streams to the
 * administrator who asked (dispatch_admin.c) and removes afterwards; so
 * mapixd never writes anywhere outside its data directory, and the
 * destination file belongs to whoever runs `mapix admin backup`.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

#define BACKUP_STEP_PAGES 256

void srv_backup_free(srv_backup *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	unlink(b->path);
	free(b);
}

static HRESULT sql_fail(sqlite3 *db, int rc, const char *what, const char *name)
{
	HRESULT hr = rc == SQLITE_FULL ? MAPI_E_NOT_ENOUGH_DISK
	           : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? MAPI_E_CORRUPT_STORE
	           : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? MAPI_E_TIMEOUT
	                                                     : MAPI_E_CALL_FAILED;
	return mapix_error(hr, "backup of %s: %s: %s", name, what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Copies src (inside its read transaction) into the file at path. */
static HRESULT copy_pages(srv_server *s, sqlite3 *src, const char *path, const char *name)
{
	sqlite3 *dst = NULL;
	HRESULT hr = S_OK;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		hr = sql_fail(dst, rc, "opening the copy", name);
		sqlite3_close(dst);
		return hr;
	}
	sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
	if (!bk) {
		hr = sql_fail(dst, sqlite3_errcode(dst), "starting", name);
		sqlite3_close(dst);
		return hr;
	}
	do {
		rc = sqlite3_backup_step(bk, BACKUP_STEP_PAGES);
		if (atomic_load(&s->stopping)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	int fin = sqlite3_backup_finish(bk);
	if (rc == SQLITE_INTERRUPT)
		hr = mapix_error(MAPI_E_USER_CANCEL, "backup of %s: the server is stopping", name);
	else if (rc != SQLITE_DONE)
		hr = sql_fail(dst, rc, "copying", name);
	else if (fin != SQLITE_OK)
		hr = sql_fail(dst, fin, "finishing", name);
	/* The copy carries the source's WAL flag; closing checkpoints it, so
	 * the one file is the whole database. */
	if (SUCCEEDED(hr) && (rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL)) != SQLITE_OK)
		hr = sql_fail(dst, rc, "closing the copy", name);
	if (sqlite3_close(dst) != SQLITE_OK && SUCCEEDED(hr))
		hr = mapix_error(MAPI_E_CALL_FAILED, "backup of %s: closing the copy failed", name);
	return hr;
}

HRESULT srv_backup_make(srv_server *s, const srv_account *a, srv_backup **out)
{
	char dir[4096];
	HRESULT hr;
	*out = NULL;
	snprintf(dir, sizeof dir, "%s/backups", s->cfg.data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return mapix_error(MAPI_E_NO_ACCESS, "backup: %s: %s", dir, strerror(errno));
	srv_backup *b = calloc(1, sizeof *b);
	if (!b)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "backup: out of memory");
	snprintf(b->mailbox, sizeof b->mailbox, "%s", a->name);
	snprintf(b->path, sizeof b->path, "%s/%s.XXXXXX", dir, a->name);
	b->fd = mkstemp(b->path);
	if (b->fd < 0) {
		hr = mapix_error(MAPI_E_NO_ACCESS, "backup: %s: %s", b->path, strerror(errno));
		free(b);
		return hr;
	}
	/* The source: its own read-only connection and one snapshot. */
	sqlite3 *src = NULL;
	int rc = sqlite3_open_v2(a->file, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(src, 10000);
		rc = sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		hr = sql_fail(src, rc, "reading the mailbox", a->name);
	} else {
		hr = copy_pages(s, src, b->path, a->name);
		sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	}
	sqlite3_close(src);
	struct stat st;
	if (SUCCEEDED(hr) && fstat(b->fd, &st) != 0)
		hr = mapix_error(MAPI_E_CALL_FAILED, "backup: %s: %s", b->path, strerror(errno));
	if (FAILED(hr)) {
		srv_backup_free(b);
		return hr;
	}
	b->size = (uint64_t)st.st_size;
	*out = b;
	return S_OK;
}
