/*
 * audit.c — the audit log of mapixd: one JSON object per line for every
 * denial (and every administrative change), with time, identity, mailbox,
 * operation and result, so that a refusal can be explained afterwards.
 *
 * The file is appended with O_APPEND and each line written with a single
 * write(), so lines never interleave. When it grows past [audit] max_size
 * it is rotated: file -> file.1 -> file.2 ... up to [audit] keep files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

struct srv_audit {
	pthread_mutex_t lock;
	int fd;             /* -1: standard error */
	char *path;
	uint64_t max_bytes;
	unsigned keep;
};

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

HRESULT srv_audit_open(const srv_config *cfg, srv_audit **out)
{
	srv_audit *a = calloc(1, sizeof *a);
	*out = NULL;
	if (!a)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "audit log: out of memory");
	pthread_mutex_init(&a->lock, NULL);
	a->fd = -1;
	a->max_bytes = cfg->audit_max_bytes;
	a->keep = cfg->audit_keep;
	if (cfg->audit_path && *cfg->audit_path) {
		a->path = strdup(cfg->audit_path);
		a->fd = a->path ? open_log(a->path) : -1;
		if (a->fd < 0) {
			HRESULT hr = mapix_error(MAPI_E_NO_ACCESS, "audit log %s: %s", cfg->audit_path, strerror(errno));
			free(a->path);
			free(a);
			return hr;
		}
	}
	*out = a;
	return S_OK;
}

void srv_audit_close(srv_audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

static void rotate(srv_audit *a)
{
	char from[4200], to[4200];
	for (unsigned i = a->keep; i > 1; i--) {
		snprintf(from, sizeof from, "%s.%u", a->path, i - 1);
		snprintf(to, sizeof to, "%s.%u", a->path, i);
		rename(from, to);
	}
	snprintf(to, sizeof to, "%s.1", a->path);
	rename(a->path, to);
	int fd = open_log(a->path);
	if (fd >= 0) {
		close(a->fd);
		a->fd = fd;
	}
}

/* Appends s as a JSON string body (quotes and controls escaped). */
static size_t json_str(char *out, size_t cap, size_t pos, const char *s)
{
	for (; s && *s && pos + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[pos++] = '\\';
			out[pos++] = (char)ch;
		} else if (ch < 0x20) {
			pos += (size_t)snprintf(out + pos, cap - pos, "\\u%04x", ch);
		} else {
			out[pos++] = (char)ch;
		}
	}
	return pos;
}

void srv_audit_log(srv_audit *a, const srv_identity *who, const char *mailbox, const char *operation, HRESULT result)
{
	char line[2048], stamp[64];
	struct timespec ts;
	struct tm tm;
	size_t pos = 0;
	if (!a)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	pos += (size_t)snprintf(line + pos, sizeof line - pos, "{\"time\":\"%s.%03ldZ\",\"identity\":\"", stamp,
	                        ts.tv_nsec / 1000000);
	pos = json_str(line, sizeof line, pos, who ? who->name : "");
	/* TCP peers have no uid or pid: -1, and their address instead. */
	BOOL tcp = who && who->address[0];
	pos += (size_t)snprintf(line + pos, sizeof line - pos, "\",\"uid\":%ld,\"pid\":%ld,",
	                        who && !tcp ? (long)who->uid : -1L, who && !tcp ? (long)who->pid : -1L);
	if (tcp) {
		pos += (size_t)snprintf(line + pos, sizeof line - pos, "\"address\":\"");
		pos = json_str(line, sizeof line, pos, who->address);
		pos += (size_t)snprintf(line + pos, sizeof line - pos, "\",");
	}
	pos += (size_t)snprintf(line + pos, sizeof line - pos, "\"mailbox\":\"");
	pos = json_str(line, sizeof line, pos, mailbox ? mailbox : "");
	pos += (size_t)snprintf(line + pos, sizeof line - pos, "\",\"operation\":\"");
	pos = json_str(line, sizeof line, pos, operation ? operation : "");
	pos += (size_t)snprintf(line + pos, sizeof line - pos, "\",\"result\":\"%s\"}\n", mapix_error_name(result));
	if (pos >= sizeof line)
		pos = sizeof line - 1, line[pos - 1] = '\n';
	pthread_mutex_lock(&a->lock);
	int fd = a->fd >= 0 ? a->fd : STDERR_FILENO;
	if (write(fd, line, pos) < 0) {
		/* Nowhere else to report it: the denial itself still stands. */
	}
	struct stat st;
	if (a->fd >= 0 && a->path && fstat(a->fd, &st) == 0 && (uint64_t)st.st_size > a->max_bytes)
		rotate(a);
	pthread_mutex_unlock(&a->lock);
}
