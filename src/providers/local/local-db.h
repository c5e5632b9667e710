/*
 * local-db.h — the mailbox database of the local store: one SQLite file per
 * mailbox (WAL, synchronous=FULL), its schema and migrations, the global
 * counter that hands out folder/message ids and change numbers, write
 * transactions (BEGIN IMMEDIATE with a bounded busy wait) and the mapping
 * of SQLite failures to MAPI errors.
 *
 * Every id the store hands out (folder ids, message ids, attachment and
 * recipient object ids, change numbers) comes from ONE counter kept in the
 * database and allocated inside the write transaction that uses it: ids are
 * never reused, and commit order equals change-number order.
 */
#ifndef MAPIX_LOCAL_DB_H
#define MAPIX_LOCAL_DB_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include <mapix/mapidefs.h>

/* Busy wait bound for a writer blocked by another process (ms), then MAPI_E_TIMEOUT. */
#define LOCAL_BUSY_TIMEOUT_MS 10000
/* The store object's own properties live under this object id. */
#define LOCAL_STORE_OBJ 0

typedef struct local_db {
	sqlite3 *db;
	char *path;
	GUID mailbox_guid;       /* provider UID of this mailbox's entry IDs */
	pthread_mutex_t lock;    /* one connection, used by one thread at a time */
	int in_write;            /* nesting depth of local_db_begin_write */
	int in_read;             /* nesting depth of local_db_begin_read */
	/* Called after the lock is released when a write transaction was
	 * committed while it was held (the logon raises notifications from the
	 * change journal there, outside the lock). */
	void (*after_commit)(void *arg);
	void *after_commit_arg;
	int commit_pending;
} local_db;

/* Standard folder ids: allocated first from the counter when a mailbox is
 * created, so they are the same in every mailbox. */
enum local_std_folder {
	LOCAL_FID_ROOT = 1,
	LOCAL_FID_IPM_SUBTREE,
	LOCAL_FID_INBOX,
	LOCAL_FID_OUTBOX,
	LOCAL_FID_SENT,
	LOCAL_FID_DELETED,
	LOCAL_FID_DRAFTS,
	LOCAL_FID_CONTACTS,
	LOCAL_FID_CALENDAR,
	LOCAL_FID_JOURNAL,
	LOCAL_FID_NOTES,
	LOCAL_FID_TASKS,
	LOCAL_FID_JUNK,
	LOCAL_FID_SEARCH_ROOT,
	LOCAL_FID_VIEWS,
	LOCAL_FID_COMMON_VIEWS,
	LOCAL_FID_FIRST_FREE /* first id the counter hands out afterwards */
};

/* Flags for local_db_open. */
#define LOCAL_DB_CREATE 0x1   /* create the mailbox when the file does not exist */
#define LOCAL_DB_READONLY 0x2

/* Opens (and with LOCAL_DB_CREATE creates and initializes) a mailbox file.
 * Errors: MAPI_E_NOT_FOUND (no file), MAPI_E_NO_ACCESS (permissions),
 * MAPI_E_CORRUPT_STORE (not a mapix mailbox / damaged), MAPI_E_VERSION
 * (newer schema), MAPI_E_NOT_ENOUGH_DISK. */
HRESULT local_db_open(const char *path, ULONG flags, local_db **out, int *created);
void local_db_close(local_db *d);

/* Maps an SQLite result code to an HRESULT and records a message naming
 * the file and the operation. */
HRESULT local_db_error(local_db *d, int rc, const char *what);

/* Transactions. A write transaction is BEGIN IMMEDIATE; the busy handler
 * waits up to LOCAL_BUSY_TIMEOUT_MS. Reads take a short deferred
 * transaction so several statements see one snapshot, and never stay open
 * between API calls. The caller holds d->lock around these. */
HRESULT local_db_begin_write(local_db *d);
/* The same without the busy wait: MAPI_E_TIMEOUT at once when another
 * connection writes, MAPI_E_CALL_FAILED inside a read transaction. For
 * work that can wait for a later call (building a sort index). */
HRESULT local_db_try_begin_write(local_db *d);
HRESULT local_db_commit(local_db *d);
void local_db_rollback(local_db *d);
HRESULT local_db_begin_read(local_db *d);
void local_db_end_read(local_db *d);

/* WAL checkpoints. SQLite copies the WAL into the database file (and
 * syncs it) at the first commit after the WAL has grown past a number of
 * pages: LOCAL_WAL_CHECKPOINT_PAGES normally, LOCAL_BATCH_CHECKPOINT_PAGES
 * while a store batch is open (MAPIXBeginStoreBatch), so that the pages a
 * run of batches rewrites again and again (index pages, the folder row)
 * are copied once per checkpoint instead of once per batch. Commits still
 * sync the WAL (synchronous=FULL): this only moves work, never
 * durability. */
#define LOCAL_WAL_CHECKPOINT_PAGES 1000
#define LOCAL_BATCH_CHECKPOINT_PAGES 4096
void local_db_set_batch(local_db *d, int batch);

/* Allocates n consecutive values from the global counter (inside a write
 * transaction); returns the first. */
HRESULT local_db_next_ids(local_db *d, uint64_t n, uint64_t *first);

/* Prepares (cached per connection) and runs helpers. */
HRESULT local_db_prepare(local_db *d, const char *sql, sqlite3_stmt **stmt);
HRESULT local_db_exec(local_db *d, const char *sql);

void local_db_lock(local_db *d);
void local_db_unlock(local_db *d);

/* Online backup of the whole mailbox into dest_path (SQLite backup API). */
HRESULT local_db_backup(local_db *d, const char *dest_path);

#endif
