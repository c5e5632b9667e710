/*
 * local-db.c — opening a mailbox database, transactions, the global
 * counter and SQLite-to-MAPI error mapping (see local-db.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"
#include "local-db.h"
#include "local-schema.h"

/* Prepared statements are cached per connection, keyed by the SQL text's
 * address: every caller passes a string literal. */
#define STMT_CACHE_SIZE 128
struct stmt_cache_entry {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct local_db_private {
	local_db pub;
	struct stmt_cache_entry cache[STMT_CACHE_SIZE];
	/* The global counter, read once per write transaction and written
	 * back by the outermost commit: no other writer can move it while we
	 * hold the write lock, and an UPDATE ... RETURNING per id costs more
	 * than the inserts the id is for (three per saved message). Ids handed
	 * out inside a savepoint that rolls back stay used, which is harmless:
	 * ids are never reused, gaps are fine. */
	uint64_t next_id;
	int ids_cached;          /* next_id holds the counter of this transaction */
	int ids_dirty;           /* next_id moved: write it back before COMMIT */
};

HRESULT local_db_error(local_db *d, int rc, const char *what)
{
	const char *path = d && d->path ? d->path : "(mailbox)";
	int sys = d && d->db ? sqlite3_system_errno(d->db) : errno;
	/* The connection's message only describes rc when it is the
	 * connection's own last error (callers also pass codes they chose). */
	const char *msg = d && d->db && (sqlite3_errcode(d->db) & 0xFF) == (rc & 0xFF) ? sqlite3_errmsg(d->db)
	                                                                              : sqlite3_errstr(rc);
	HRESULT hr;

	switch (rc & 0xFF) {
	case SQLITE_FULL:
		hr = MAPI_E_NOT_ENOUGH_DISK;
		msg = "the disk or the mailbox is full";
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		hr = MAPI_E_CORRUPT_STORE;
		break;
	case SQLITE_CANTOPEN:
		hr = sys == ENOENT ? MAPI_E_NOT_FOUND : sys == EACCES || sys == EPERM ? MAPI_E_NO_ACCESS : MAPI_E_DISK_ERROR;
		if (sys)
			msg = strerror(sys);
		break;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		hr = MAPI_E_NO_ACCESS;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hr = MAPI_E_TIMEOUT;
		msg = "the mailbox stayed locked by another writer";
		break;
	case SQLITE_NOMEM:
		hr = MAPI_E_NOT_ENOUGH_MEMORY;
		break;
	case SQLITE_IOERR:
		hr = sys == ENOSPC || sys == EDQUOT ? MAPI_E_NOT_ENOUGH_DISK : MAPI_E_DISK_ERROR;
		if (sys)
			msg = strerror(sys);
		break;
	case SQLITE_MISMATCH:
		hr = MAPI_E_VERSION;
		msg = "unsupported schema version";
		break;
	case SQLITE_CONSTRAINT:
		hr = MAPI_E_COLLISION;
		break;
	default:
		hr = MAPI_E_CALL_FAILED;
		break;
	}
	return mapix_error(hr, "%s: %s: %s", path, what, msg);
}

void local_db_lock(local_db *d)
{
	pthread_mutex_lock(&d->lock);
}

void local_db_unlock(local_db *d)
{
	int pending = d->commit_pending && d->after_commit;
	d->commit_pending = 0;
	pthread_mutex_unlock(&d->lock);
	if (pending)
		d->after_commit(d->after_commit_arg);
}

HRESULT local_db_prepare(local_db *d, const char *sql, sqlite3_stmt **stmt)
{
	struct local_db_private *p = (struct local_db_private *)d;
	size_t h = ((uintptr_t)sql >> 4) % STMT_CACHE_SIZE;

	for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
		struct stmt_cache_entry *e = &p->cache[(h + i) % STMT_CACHE_SIZE];
		if (e->sql == sql) {
			sqlite3_reset(e->stmt);
			sqlite3_clear_bindings(e->stmt);
			*stmt = e->stmt;
			return S_OK;
		}
		if (!e->sql) {
			int rc = sqlite3_prepare_v3(d->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->stmt, NULL);
			if (rc != SQLITE_OK)
				return local_db_error(d, rc, "preparing a statement");
			e->sql = sql;
			*stmt = e->stmt;
			return S_OK;
		}
	}
	/* Cache full: a statement the caller must not cache would leak, so
	 * this is a programming error (more than STMT_CACHE_SIZE distinct SQL
	 * texts). */
	return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "%s: statement cache full", d->path);
}

HRESULT local_db_exec(local_db *d, const char *sql)
{
	int rc = sqlite3_exec(d->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? S_OK : local_db_error(d, rc, "executing SQL");
}

HRESULT local_db_begin_write(local_db *d)
{
	if (d->in_write > 0) {
		/* SQLite rolls a whole transaction back by itself after some
		 * failures (disk full, I/O errors): the outer work is gone, and
		 * going on would run the next statements in autocommit mode. */
		if (sqlite3_get_autocommit(d->db))
			return mapix_error(MAPI_E_CALL_FAILED,
			                   "%s: the enclosing transaction was rolled back after an earlier failure", d->path);
		/* Nested: a savepoint, so that a failure inside (one message of a
		 * batch) can be undone without losing the outer work. */
		int rc = sqlite3_exec(d->db, "SAVEPOINT nested", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return local_db_error(d, rc, "starting a nested transaction");
		d->in_write++;
		return S_OK;
	}
	d->in_write++;
	int rc = sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		d->in_write = 0;
		return local_db_error(d, rc, "starting a write transaction");
	}
	return S_OK;
}

static int busy_wait(void *arg, int count);

HRESULT local_db_try_begin_write(local_db *d)
{
	if (d->in_read > 0 && !d->in_write)
		return mapix_error(MAPI_E_CALL_FAILED, "%s: a write inside a read transaction", d->path);
	sqlite3_busy_handler(d->db, NULL, NULL);
	HRESULT hr = local_db_begin_write(d);
	sqlite3_busy_handler(d->db, busy_wait, NULL);
	return hr;
}

void local_db_set_batch(local_db *d, int batch)
{
	sqlite3_wal_autocheckpoint(d->db, batch ? LOCAL_BATCH_CHECKPOINT_PAGES : LOCAL_WAL_CHECKPOINT_PAGES);
}

HRESULT local_db_commit(local_db *d)
{
	if (d->in_write == 0)
		return mapix_error(MAPI_E_CALL_FAILED, "%s: commit without a transaction", d->path);
	if (--d->in_write > 0) {
		int rc = sqlite3_exec(d->db, "RELEASE nested", NULL, NULL, NULL);
		return rc == SQLITE_OK ? S_OK : local_db_error(d, rc, "ending a nested transaction");
	}
	struct local_db_private *p = (struct local_db_private *)d;
	if (sqlite3_get_autocommit(d->db)) {
		p->ids_cached = p->ids_dirty = 0;
		return mapix_error(MAPI_E_CALL_FAILED, "%s: committing: the transaction was rolled back after an earlier failure",
		                   d->path);
	}
	if (p->ids_dirty) {
		static const char put[] = "UPDATE meta SET value = ?1 WHERE key = 'globcnt'";
		sqlite3_stmt *st;
		HRESULT hr = local_db_prepare(d, put, &st);
		int rc = SQLITE_OK;
		if (SUCCEEDED(hr)) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)p->next_id);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				hr = local_db_error(d, rc, "saving the id counter");
		}
		if (FAILED(hr)) {
			p->ids_cached = p->ids_dirty = 0;
			if (!sqlite3_get_autocommit(d->db))
				sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
			return hr;
		}
	}
	p->ids_cached = p->ids_dirty = 0;
	int rc = sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		HRESULT hr = local_db_error(d, rc, "committing");
		/* A failed COMMIT (disk full, I/O error) leaves the transaction
		 * open in some cases; roll it back so nothing half-written stays. */
		if (!sqlite3_get_autocommit(d->db))
			sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		return hr;
	}
	d->commit_pending = 1;
	return S_OK;
}

void local_db_rollback(local_db *d)
{
	if (d->in_write == 0)
		return;
	if (d->in_write > 1) {
		/* Undo the innermost level only; the caller's outer levels go on. */
		sqlite3_exec(d->db, "ROLLBACK TO nested", NULL, NULL, NULL);
		sqlite3_exec(d->db, "RELEASE nested", NULL, NULL, NULL);
		d->in_write--;
		return;
	}
	d->in_write = 0;
	((struct local_db_private *)d)->ids_cached = ((struct local_db_private *)d)->ids_dirty = 0;
	if (!sqlite3_get_autocommit(d->db))
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

HRESULT local_db_begin_read(local_db *d)
{
	if (d->in_write || d->in_read++ > 0)
		return S_OK;
	int rc = sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		d->in_read = 0;
		return local_db_error(d, rc, "starting a read transaction");
	}
	return S_OK;
}

void local_db_end_read(local_db *d)
{
	if (d->in_write || d->in_read == 0 || --d->in_read > 0)
		return;
	sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
}

HRESULT local_db_next_ids(local_db *d, uint64_t n, uint64_t *first)
{
	static const char get[] = "SELECT value FROM meta WHERE key = 'globcnt'";
	struct local_db_private *p = (struct local_db_private *)d;
	sqlite3_stmt *st;
	HRESULT hr;

	if (!d->in_write)
		return mapix_error(MAPI_E_CALL_FAILED, "%s: ids allocated outside a write transaction", d->path);
	if (!p->ids_cached) {
		if (FAILED(hr = local_db_prepare(d, get, &st)))
			return hr;
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			p->next_id = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return local_db_error(d, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "allocating ids");
		p->ids_cached = 1;
	}
	/* Entry IDs carry 48-bit global counters (MS-OXCDATA GLOBCNT). */
	if (p->next_id + n >= (UINT64_C(1) << 48))
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "%s: the mailbox has used up its ids", d->path);
	*first = p->next_id;
	p->next_id += n;
	p->ids_dirty = 1;
	return S_OK;
}

static HRESULT init_new_mailbox(local_db *d)
{
	sqlite3_stmt *st;
	HRESULT hr;
	BYTE guid[16];

	if (getrandom(guid, sizeof guid, 0) != (ssize_t)sizeof guid)
		return mapix_error(MAPI_E_CALL_FAILED, "%s: no random bytes for the mailbox GUID", d->path);
	/* Version 4 GUID layout. */
	guid[6] = (guid[6] & 0x0F) | 0x40;
	guid[8] = (guid[8] & 0x3F) | 0x80;
	if (FAILED(hr = local_schema_migrate(d, 0)))
		return hr;
	int rc = sqlite3_prepare_v2(d->db,
	                            "INSERT INTO meta(key, value) VALUES ('mailbox_guid', ?1), ('globcnt', ?2),"
	                            " ('created', ?3)",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(d, rc, "initializing the mailbox");
	sqlite3_bind_blob(st, 1, guid, sizeof guid, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, LOCAL_FID_FIRST_FREE);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return local_db_error(d, rc, "initializing the mailbox");
	return S_OK;
}

static HRESULT read_mailbox_guid(local_db *d)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(d->db, "SELECT value FROM meta WHERE key = 'mailbox_guid'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(d, rc, "reading the mailbox GUID");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW || sqlite3_column_bytes(st, 0) != (int)sizeof(GUID)) {
		sqlite3_finalize(st);
		return local_db_error(d, rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_CORRUPT : rc,
		                      "reading the mailbox GUID");
	}
	memcpy(&d->mailbox_guid, sqlite3_column_blob(st, 0), sizeof(GUID));
	sqlite3_finalize(st);
	return S_OK;
}

static int busy_wait(void *arg, int count)
{
	(void)arg;
	/* Back off from 1 ms up to 20 ms; give up after about the timeout. */
	int ms = count < 20 ? count + 1 : 20;
	if ((long)count * 20 > LOCAL_BUSY_TIMEOUT_MS)
		return 0;
	usleep((useconds_t)ms * 1000);
	return 1;
}

HRESULT local_db_open(const char *path, ULONG flags, local_db **out, int *created)
{
	struct local_db_private *p;
	local_db *d;
	HRESULT hr;
	int version = 0, rc;

	*out = NULL;
	if (created)
		*created = 0;
	p = calloc(1, sizeof *p);
	if (!p || !(p->pub.path = strdup(path))) {
		free(p);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", path);
	}
	d = &p->pub;
	pthread_mutex_init(&d->lock, NULL);

	/* Create the file ourselves so that it is 0600 from the first byte;
	 * SQLite gives its -wal and -shm files the same mode. */
	if ((flags & LOCAL_DB_CREATE) && !(flags & LOCAL_DB_READONLY)) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST) {
			hr = mapix_error(errno == EACCES ? MAPI_E_NO_ACCESS : errno == ENOSPC ? MAPI_E_NOT_ENOUGH_DISK : MAPI_E_NOT_FOUND,
			                 "%s: cannot create the mailbox: %s", path, strerror(errno));
			goto fail;
		}
	} else if (access(path, F_OK) != 0) {
		int e = errno;
		hr = mapix_error(e == ENOENT || e == ENOTDIR ? MAPI_E_NOT_FOUND
		                 : e == EACCES || e == EPERM ? MAPI_E_NO_ACCESS
		                                             : MAPI_E_DISK_ERROR,
		                 "%s: %s: %s", path, e == ENOENT ? "no such mailbox" : "cannot reach the mailbox",
		                 strerror(e));
		goto fail;
	}

	rc = sqlite3_open_v2(path, &d->db,
	                     ((flags & LOCAL_DB_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		hr = local_db_error(d, rc, "opening");
		goto fail;
	}
	sqlite3_extended_result_codes(d->db, 1);
	sqlite3_busy_handler(d->db, busy_wait, NULL);

	if (FAILED(hr = local_schema_check(d, &version)))
		goto fail;
	if (!(flags & LOCAL_DB_READONLY)) {
		if (FAILED(hr = local_db_exec(d, "PRAGMA journal_mode = WAL")))
			goto fail;
	}
	if (FAILED(hr = local_db_exec(d, "PRAGMA synchronous = FULL")))
		goto fail;
	/* 16 MiB of page cache per connection: a batch of messages touches the
	 * messages table's sort indexes; with SQLite's default 2 MiB the pages
	 * spill to the WAL before the commit and are written twice. */
	if (FAILED(hr = local_db_exec(d, "PRAGMA cache_size = -16384")))
		goto fail;
	local_db_set_batch(d, 0);
	/* Test hook: a mailbox that cannot grow past N pages behaves exactly
	 * like a full disk (SQLITE_FULL), so tests can prove that a failed
	 * SaveChanges leaves nothing half-written without filling a disk. */
	const char *max_pages = getenv("MAPIX_TEST_MAX_PAGE_COUNT");
	if (max_pages && *max_pages) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lu", strtoul(max_pages, NULL, 10));
		if (FAILED(hr = local_db_exec(d, sql)))
			goto fail;
	}
	if (mapix_collation_register_sqlite(d->db) != SQLITE_OK) {
		hr = local_db_error(d, SQLITE_ERROR, "registering the collation");
		goto fail;
	}

	if (version < local_schema_latest()) {
		if (flags & LOCAL_DB_READONLY) {
			hr = mapix_error(version == 0 ? MAPI_E_CORRUPT_STORE : MAPI_E_VERSION,
			                 "%s: needs %s but was opened read-only", path,
			                 version == 0 ? "initializing" : "a schema upgrade");
			goto fail;
		}
		if (FAILED(hr = local_db_begin_write(d)))
			goto fail;
		/* Check again under the write lock: another process may have
		 * initialized the file meanwhile. */
		if (FAILED(hr = local_schema_check(d, &version))) {
			local_db_rollback(d);
			goto fail;
		}
		if (version == 0) {
			if (!(flags & LOCAL_DB_CREATE)) {
				local_db_rollback(d);
				hr = mapix_error(MAPI_E_CORRUPT_STORE, "%s: empty file, not a mailbox", path);
				goto fail;
			}
			hr = init_new_mailbox(d);
			if (SUCCEEDED(hr) && created)
				*created = 1;
		} else if (version < local_schema_latest()) {
			hr = local_schema_migrate(d, version);
		}
		if (SUCCEEDED(hr))
			hr = local_db_commit(d);
		else
			local_db_rollback(d);
		if (FAILED(hr))
			goto fail;
	}
	if (FAILED(hr = read_mailbox_guid(d)))
		goto fail;
	*out = d;
	return S_OK;

fail:
	local_db_close(d);
	return hr;
}

void local_db_close(local_db *d)
{
	struct local_db_private *p = (struct local_db_private *)d;
	if (!d)
		return;
	for (size_t i = 0; i < STMT_CACHE_SIZE; i++)
		if (p->cache[i].stmt)
			sqlite3_finalize(p->cache[i].stmt);
	if (d->db)
		sqlite3_close_v2(d->db);
	pthread_mutex_destroy(&d->lock);
	free(d->path);
	free(p);
}

HRESULT local_db_backup(local_db *d, const char *dest_path)
{
	sqlite3 *dest = NULL;
	HRESULT hr = S_OK;
	int fd = open(dest_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return mapix_error(errno == EEXIST ? MAPI_E_COLLISION : errno == EACCES ? MAPI_E_NO_ACCESS : MAPI_E_DISK_ERROR,
		                   "%s: cannot create the backup: %s", dest_path, strerror(errno));
	close(fd);
	int rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(dest, "main", d->db, "main");
		if (!b) {
			rc = sqlite3_errcode(dest);
		} else {
			/* Copy in steps so writers are not blocked for the whole copy. */
			do {
				rc = sqlite3_backup_step(b, 256);
				if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
					usleep(10000);
			} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
			sqlite3_backup_finish(b);
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		hr = mapix_error(rc == SQLITE_FULL ? MAPI_E_NOT_ENOUGH_DISK : MAPI_E_DISK_ERROR,
		                 "%s: backup failed: %s", dest_path, dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
	}
	if (dest)
		sqlite3_close(dest);
	if (FAILED(hr))
		unlink(dest_path);
	return hr;
}
