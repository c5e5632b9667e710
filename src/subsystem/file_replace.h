/*
 * file_replace.h — the one locking helper of mapix: how every profile file,
 * the default-profile record and the per-user service catalog are read and
 * rewritten, so that writers in other threads and other processes never
 * lose each other's updates and readers never see half a file.
 *
 * Locks are open-file-description locks (F_OFD_SETLKW) on a lock file
 * beside the target ("<target>.lock"): OFD locks belong to the open file,
 * not to the process, so they exclude threads of one process as well as
 * other processes. Writers take the lock exclusive, readers shared.
 *
 * A new content is written to a temporary file in the same directory,
 * fsynced, renamed over the target, and the directory fsynced: a reader
 * sees the old file or the new one, and a crash leaves one of them.
 * Every file made here is 0600.
 *
 * Test-only switch: with MAPIX_TEST_NO_LOCK=1 in the environment no lock is
 * taken, and MAPIX_TEST_LOCK_DELAY_MS=n sleeps n ms between the read and the
 * write of a read-modify-write (mapix_file_update), so a test can show the
 * lost updates that the lock prevents. Both are read at every call; set them
 * before starting threads.
 */
#ifndef MAPIX_SUBSYSTEM_FILE_REPLACE_H
#define MAPIX_SUBSYSTEM_FILE_REPLACE_H

#include <stddef.h>

#include <mapix/mapidefs.h>

/* A held lock on a target path (fd -1 when locking is switched off). */
typedef struct mapix_file_lock {
	int fd;
	char *lock_path;
} mapix_file_lock;

/* Takes the lock of `target` (exclusive or shared), waiting for it. */
HRESULT mapix_file_lock_acquire(const char *target, BOOL exclusive, mapix_file_lock *lock);
/* Releases it. */
void mapix_file_lock_release(mapix_file_lock *lock);
/* Releases it and removes the lock file (for a target that is gone); a
 * waiter that then gets the removed file notices and retries. */
void mapix_file_lock_release_remove(mapix_file_lock *lock);

/* Reads the whole file: malloc'd, NUL-terminated (*lpcb excludes the NUL).
 * MAPI_E_NOT_FOUND when it does not exist. No locking. */
HRESULT mapix_file_read(const char *path, char **lppData, size_t *lpcb);
/* Writes data to a temporary file beside target, fsyncs it, renames it over
 * target and fsyncs the directory. The caller holds the exclusive lock. */
HRESULT mapix_file_write_atomic(const char *target, const void *data, size_t cb);
/* Atomically removes target and fsyncs the directory (MAPI_E_NOT_FOUND when
 * missing). The caller holds the exclusive lock. */
HRESULT mapix_file_remove(const char *target);
/* fsyncs the directory that holds path. */
HRESULT mapix_file_sync_dir(const char *path);

/* Reads target under a shared lock. */
HRESULT mapix_file_read_locked(const char *target, char **lppData, size_t *lpcb);

/*
 * Read-modify-write under the exclusive lock. edit() gets the current
 * content (NULL with exists FALSE when there is no file) and returns the
 * new content in *lppNew (malloc'd; edit may return S_FALSE to leave the
 * file as it is). Errors from edit are returned unchanged and nothing is
 * written.
 */
typedef HRESULT (*mapix_file_edit_fn)(void *arg, const char *old, size_t cbOld, BOOL exists, char **lppNew,
                                      size_t *lpcbNew);
HRESULT mapix_file_update(const char *target, mapix_file_edit_fn edit, void *arg);

/* Creates dir and its missing parents (each 0700). */
HRESULT mapix_file_mkdirs(const char *dir);

/* The test switches (see above). */
BOOL mapix_file_test_no_lock(void);
unsigned mapix_file_test_delay_ms(void);

#endif
