/*
 * file_replace.c — locked, atomic replacement of small configuration files
 * (profiles, the default-profile record, the per-user service catalog).
 * See file_replace.h for the contract; this file is the only place in
 * mapix that locks or replaces such files.
 */
#include "subsystem/file_replace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapicode.h>

#include "core/error.h"

BOOL mapix_file_test_no_lock(void)
{
	const char *s = getenv("MAPIX_TEST_NO_LOCK");
	return s && strcmp(s, "1") == 0;
}

unsigned mapix_file_test_delay_ms(void)
{
	const char *s = getenv("MAPIX_TEST_LOCK_DELAY_MS");
	if (!s || !*s)
		return 0;
	long v = strtol(s, NULL, 10);
	return v > 0 && v < 60000 ? (unsigned)v : 0;
}

static HRESULT errno_hr(int e)
{
	switch (e) {
	case ENOENT:
		return MAPI_E_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return MAPI_E_NO_ACCESS;
	case ENOSPC:
	case EDQUOT:
		return MAPI_E_NOT_ENOUGH_DISK;
	case ENOMEM:
		return MAPI_E_NOT_ENOUGH_MEMORY;
	default:
		return MAPI_E_DISK_ERROR;
	}
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);
	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static int lock_fd(int fd, short type)
{
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	int rc;
	do
		rc = fcntl(fd, F_OFD_SETLKW, &fl);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/*
 * Lock files may be removed (mapix_file_lock_release_remove) while another
 * thread waits on them; whoever gets a lock checks that its descriptor is
 * still the file at lock_path, and starts again when it is not. Readers do
 * not create lock files: a reader that finds none (a system catalog in a
 * read-only directory, a target never written by mapix) reads without one,
 * which is still safe because files are only ever replaced by rename.
 */
HRESULT mapix_file_lock_acquire(const char *target, BOOL exclusive, mapix_file_lock *lock)
{
	lock->fd = -1;
	lock->lock_path = NULL;
	if (mapix_file_test_no_lock())
		return S_OK;
	char *lp = concat(target, ".lock");
	if (!lp)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_lock_acquire: out of memory");
	for (;;) {
		int fd = exclusive ? open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : open(lp, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (!exclusive && (e == ENOENT || e == EACCES || e == EPERM)) {
				free(lp);
				return S_OK; /* unlocked read, see above */
			}
			free(lp);
			return mapix_error(errno_hr(e), "mapix_file_lock_acquire: cannot open lock file for %s: %s",
			                   target, strerror(e));
		}
		if (lock_fd(fd, exclusive ? F_WRLCK : F_RDLCK) < 0) {
			int e = errno;
			close(fd);
			free(lp);
			return mapix_error(MAPI_E_DISK_ERROR, "mapix_file_lock_acquire: cannot lock %s: %s", target,
			                   strerror(e));
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(lp, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			lock->fd = fd;
			lock->lock_path = lp;
			return S_OK;
		}
		close(fd); /* the lock file was removed or replaced meanwhile */
	}
}

void mapix_file_lock_release(mapix_file_lock *lock)
{
	if (lock->fd >= 0)
		close(lock->fd); /* closing the last descriptor drops the OFD lock */
	lock->fd = -1;
	free(lock->lock_path);
	lock->lock_path = NULL;
}

void mapix_file_lock_release_remove(mapix_file_lock *lock)
{
	if (lock->fd >= 0 && lock->lock_path)
		unlink(lock->lock_path);
	mapix_file_lock_release(lock);
}

HRESULT mapix_file_read(const char *path, char **lppData, size_t *lpcb)
{
	*lppData = NULL;
	*lpcb = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return MAPI_E_NOT_FOUND; /* callers decide whether that is an error worth a message */
		return mapix_error(errno_hr(e), "mapix_file_read: cannot open %s: %s", path, strerror(e));
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_read: out of memory");
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > ((size_t)64 << 20)) {
				free(buf);
				close(fd);
				return mapix_error(MAPI_E_TOO_BIG, "mapix_file_read: %s is larger than 64 MiB", path);
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_read: out of memory");
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return mapix_error(errno_hr(e), "mapix_file_read: cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lppData = buf;
	*lpcb = len;
	return S_OK;
}

HRESULT mapix_file_sync_dir(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_sync_dir: out of memory");
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		HRESULT hr = mapix_error(errno_hr(e), "mapix_file_sync_dir: cannot open %s: %s", dir, strerror(e));
		free(dir);
		return hr;
	}
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc < 0 && e != EINVAL) { /* some file systems cannot sync a directory */
		HRESULT hr = mapix_error(errno_hr(e), "mapix_file_sync_dir: fsync of %s failed: %s", dir, strerror(e));
		free(dir);
		return hr;
	}
	free(dir);
	return S_OK;
}

HRESULT mapix_file_write_atomic(const char *target, const void *data, size_t cb)
{
	char *tmp = concat(target, ".tmp.XXXXXX");
	if (!tmp)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_write_atomic: out of memory");
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return mapix_error(errno_hr(e), "mapix_file_write_atomic: cannot create a temporary file beside %s: %s",
		                   target, strerror(e));
	}
	HRESULT hr = S_OK;
	const char *p = data;
	size_t left = cb;
	if (fchmod(fd, 0600) < 0) {
		int e = errno;
		hr = mapix_error(errno_hr(e), "mapix_file_write_atomic: chmod of %s failed: %s", tmp, strerror(e));
	}
	while (hr == S_OK && left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			hr = mapix_error(errno_hr(e), "mapix_file_write_atomic: cannot write %s: %s", tmp, strerror(e));
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (hr == S_OK && fsync(fd) < 0) {
		int e = errno;
		hr = mapix_error(errno_hr(e), "mapix_file_write_atomic: fsync of %s failed: %s", tmp, strerror(e));
	}
	if (close(fd) < 0 && hr == S_OK) {
		int e = errno;
		hr = mapix_error(errno_hr(e), "mapix_file_write_atomic: close of %s failed: %s", tmp, strerror(e));
	}
	if (hr == S_OK && rename(tmp, target) < 0) {
		int e = errno;
		hr = mapix_error(errno_hr(e), "mapix_file_write_atomic: cannot rename %s to %s: %s", tmp, target,
		                 strerror(e));
	}
	if (hr != S_OK) {
		unlink(tmp);
		free(tmp);
		return hr;
	}
	free(tmp);
	return mapix_file_sync_dir(target);
}

HRESULT mapix_file_remove(const char *target)
{
	if (unlink(target) < 0) {
		int e = errno;
		if (e == ENOENT)
			return MAPI_E_NOT_FOUND;
		return mapix_error(errno_hr(e), "mapix_file_remove: cannot remove %s: %s", target, strerror(e));
	}
	return mapix_file_sync_dir(target);
}

HRESULT mapix_file_read_locked(const char *target, char **lppData, size_t *lpcb)
{
	mapix_file_lock lk;
	HRESULT hr = mapix_file_lock_acquire(target, FALSE, &lk);
	if (FAILED(hr))
		return hr;
	hr = mapix_file_read(target, lppData, lpcb);
	mapix_file_lock_release(&lk);
	return hr;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

HRESULT mapix_file_update(const char *target, mapix_file_edit_fn edit, void *arg)
{
	mapix_file_lock lk;
	HRESULT hr = mapix_file_lock_acquire(target, TRUE, &lk);
	if (FAILED(hr))
		return hr;
	char *old = NULL;
	size_t cbOld = 0;
	hr = mapix_file_read(target, &old, &cbOld);
	BOOL exists = hr == S_OK;
	if (hr == MAPI_E_NOT_FOUND)
		hr = S_OK;
	if (hr == S_OK) {
		unsigned delay = mapix_file_test_delay_ms();
		if (delay)
			sleep_ms(delay); /* test only: makes the unlocked race certain */
		char *data = NULL;
		size_t cb = 0;
		hr = edit(arg, old, cbOld, exists, &data, &cb);
		if (hr == S_OK) {
			hr = mapix_file_write_atomic(target, data, cb);
			exists = exists || SUCCEEDED(hr);
		} else if (hr == S_FALSE) {
			hr = S_OK;
		}
		free(data);
	}
	free(old);
	if (exists)
		mapix_file_lock_release(&lk);
	else
		mapix_file_lock_release_remove(&lk); /* no target: leave no lock file behind */
	return hr;
}

HRESULT mapix_file_mkdirs(const char *dir)
{
	if (!dir || !*dir)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_file_mkdirs: no directory given");
	char *p = strdup(dir);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_file_mkdirs: out of memory");
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				int e = errno;
				HRESULT hr = mapix_error(errno_hr(e), "mapix_file_mkdirs: cannot create %s: %s", p, strerror(e));
				free(p);
				return hr;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return S_OK;
}
