/*
 * export_fs.c — the file-system chores every export format shares:
 * directories made on the way, the "DEST must be empty" check, durability
 * at the end of a folder, and writing one message's MIME form to a file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* syncfs */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiguid.h>
#include <mapix/mapixmime.h>

#include "export.h"

char *export_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

int export_mkdirs(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -1;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				int e = errno;
				free(p);
				errno = e;
				return -1;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

BOOL export_dir_is_empty(const char *path, int *err)
{
	*err = 0;
	DIR *d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return TRUE;
		*err = errno;
		return FALSE;
	}
	BOOL empty = TRUE;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = FALSE;
			break;
		}
	closedir(d);
	return empty;
}

int export_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = syncfs(fd) == 0 && fsync(fd) == 0 ? 0 : -1;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int export_fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

typedef struct fd_sink {
	int fd;
	uint64_t bytes;
	int err;
} fd_sink;

static int write_all(void *ctx, const void *data, size_t len)
{
	fd_sink *s = ctx;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? errno : ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		s->bytes += (uint64_t)n;
	}
	return 0;
}

HRESULT export_write_mime(export_run *run, const export_message *m, MAPIX_MIME_WRITE *fn, void *ctx)
{
	if (mapix_mime_source_allowed(run->mime_flags)) {
		LPSTREAM src = NULL;
		if (IMessage_OpenProperty(m->msg, PR_INTERNET_CONTENT, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&src) ==
		    S_OK) {
			HRESULT hr = mapix_mime_write_source_stream(src, run->mime_flags, fn, ctx);
			IStream_Release(src);
			return hr;
		}
		/* No kept original (the usual answer is MAPI_E_NOT_FOUND), or a
		 * provider that cannot stream it: mapix_message_to_mime decides. */
	}
	return mapix_message_to_mime(m->msg, run->mime_flags, fn, ctx);
}

HRESULT export_write_mime_fd(export_run *run, const export_message *m, int fd, int *write_err)
{
	fd_sink s = {fd, 0, 0};
	HRESULT hr = export_write_mime(run, m, write_all, &s);
	run->bytes += s.bytes;
	*write_err = s.err;
	if (hr == MAPI_E_USER_CANCEL && s.err)
		hr = MAPI_E_DISK_ERROR;
	return hr;
}
