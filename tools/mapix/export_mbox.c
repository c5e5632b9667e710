/*
 * export_mbox.c — one mboxrd file per folder, in Thunderbird's layout:
 * DEST/<Name> is the folder's file and DEST/<Name>.sbd/ holds its
 * subfolders' files.
 *
 * Each message starts with "From <sender address> <asctime, UTC>" (the
 * address MAILER-DAEMON when the sender is unknown, the time the delivery
 * time, else the submit time), every line of the message matching
 * ^>*From  (with the space) gets one more '>' in front (mboxrd, so a
 * reader removes exactly one and gets the line back), and a blank line ends
 * it. A message that fails half-way is cut off again (ftruncate to where
 * it began), so the file never holds part of a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mapix/mapixmime.h>

#include "export.h"

#define OUT_BUFFER 65536

typedef struct mbox_state {
	char *path;
	char *dir; /* the directory holding the file */
	int fd;
	off_t size; /* what the file holds of whole messages */
	char *buf;
	size_t len;
	int err;
	/* mboxrd quoting: at the start of a line, the '>' and "From " bytes
	 * seen so far (held back until it is known whether to quote). */
	BOOL line_start;
	size_t held_gts, held_from;
	char last; /* the last byte of the message, for the closing newline */
	uint64_t message_bytes;
} mbox_state;

static int flush_out(mbox_state *s)
{
	size_t done = 0;
	while (done < s->len && !s->err) {
		ssize_t n = write(s->fd, s->buf + done, s->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			s->err = n < 0 ? errno : ENOSPC;
		else
			done += (size_t)n;
	}
	s->len = 0;
	return s->err ? -1 : 0;
}

static int put(mbox_state *s, const char *p, size_t n)
{
	while (n > 0) {
		if (s->len == OUT_BUFFER && flush_out(s) != 0)
			return -1;
		size_t k = OUT_BUFFER - s->len < n ? OUT_BUFFER - s->len : n;
		memcpy(s->buf + s->len, p, k);
		s->len += k;
		p += k;
		n -= k;
		s->message_bytes += k;
	}
	return 0;
}

static const char from_[] = "From ";

/* Writes out what a line start held back: its '>' run and the part of
 * "From " that followed. */
static int put_held(mbox_state *s)
{
	static const char gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
	while (s->held_gts > 0) {
		size_t n = s->held_gts < sizeof gts - 1 ? s->held_gts : sizeof gts - 1;
		if (put(s, gts, n) != 0)
			return -1;
		s->held_gts -= n;
	}
	int rc = put(s, from_, s->held_from);
	s->held_from = 0;
	return rc;
}

/* The MIME writer's callback: copies the message, quoting From_ lines. */
static int quote_write(void *ctx, const void *data, size_t len)
{
	mbox_state *s = ctx;
	const char *p = data, *end = p + len;

	if (len)
		s->last = p[len - 1];
	while (p < end) {
		if (!s->line_start) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *stop = nl ? nl + 1 : end;
			if (put(s, p, (size_t)(stop - p)) != 0)
				return -1;
			p = stop;
			s->line_start = nl != NULL;
			continue;
		}
		/* At a line start: count '>' and match "From " before deciding. */
		char c = *p++;
		if (c == '>' && s->held_from == 0) {
			s->held_gts++;
			continue;
		}
		if (c == from_[s->held_from]) {
			if (++s->held_from == sizeof from_ - 1) {
				if (put(s, ">", 1) != 0 || put_held(s) != 0)
					return -1;
				s->line_start = FALSE;
			}
			continue;
		}
		if (put_held(s) != 0 || put(s, &c, 1) != 0)
			return -1;
		s->line_start = c == '\n';
	}
	return 0;
}

static int mbox_open(export_run *run, const export_folder *f)
{
	mbox_state *s = calloc(1, sizeof *s);
	char *dir = strdup(run->dest), *file = NULL;
	for (int i = 0; dir && i < f->depth; i++) {
		char *part = export_fs_name(f->names[i], TRUE);
		if (!part) {
			free(dir);
			dir = NULL;
			break;
		}
		if (i == f->depth - 1) {
			file = export_join(dir, part);
		} else {
			size_t n = strlen(part);
			char *sbd = malloc(n + 5);
			if (sbd) {
				memcpy(sbd, part, n);
				memcpy(sbd + n, ".sbd", 5);
			}
			char *next = sbd ? export_join(dir, sbd) : NULL;
			free(sbd);
			free(dir);
			dir = next;
		}
		free(part);
	}
	if (!s || !dir || !file || !(s->buf = malloc(OUT_BUFFER))) {
		if (s)
			free(s->buf);
		free(s);
		free(dir);
		free(file);
		return cli_error("export: out of memory");
	}
	s->path = file;
	s->dir = dir;
	if (export_mkdirs(dir) != 0) {
		int rc = cli_error("export: %s: %s", dir, strerror(errno));
		free(file);
		free(dir);
		free(s->buf);
		free(s);
		return rc;
	}
	s->fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | (run->append ? 0 : O_TRUNC), 0666);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st) != 0 || lseek(s->fd, 0, SEEK_END) < 0) {
		int rc = cli_error("export: %s: %s", file, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(file);
		free(dir);
		free(s->buf);
		free(s);
		return rc;
	}
	s->size = st.st_size;
	/* Appending to a file whose last message does not end in a blank
	 * line: add what is missing, or the next From_ line would not start
	 * a message. */
	if (s->size > 0) {
		char tail[2] = {0, 0};
		off_t at = s->size >= 2 ? s->size - 2 : 0;
		ssize_t got = pread(s->fd, tail, (size_t)(s->size - at), at);
		const char *pad = got == 2 && tail[0] == '\n' && tail[1] == '\n' ? ""
		                  : got >= 1 && tail[got - 1] == '\n'            ? "\n"
		                                                                  : "\n\n";
		if (*pad && (put(s, pad, strlen(pad)) != 0 || flush_out(s) != 0)) {
			int rc = cli_error("export: %s: %s", file, strerror(s->err));
			close(s->fd);
			free(file);
			free(dir);
			free(s->buf);
			free(s);
			return rc;
		}
		s->size += (off_t)strlen(pad);
	}
	run->state = s;
	return 0;
}

/* "From addr Www Mmm dd hh:mm:ss yyyy\n" with the C locale's names. */
static void from_line(char *out, size_t cap, const export_message *m)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	const char *addr = m->sender;
	if (!addr || !*addr || strpbrk(addr, " \t\r\n"))
		addr = "MAILER-DAEMON";
	struct tm tm;
	time_t t = m->when;
	gmtime_r(&t, &tm);
	snprintf(out, cap, "From %s %s %s %2d %02d:%02d:%02d %d\n", addr, days[tm.tm_wday], months[tm.tm_mon],
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

static HRESULT mbox_write(export_run *run, const export_message *m, int *fatal)
{
	mbox_state *s = run->state;
	char line[512];
	from_line(line, sizeof line, m);
	s->line_start = TRUE;
	s->held_gts = s->held_from = 0;
	s->last = '\n';
	s->message_bytes = 0;
	HRESULT hr = put(s, line, strlen(line)) == 0 ? S_OK : MAPI_E_DISK_ERROR;
	if (hr == S_OK && m->extra_headers && put(s, m->extra_headers, strlen(m->extra_headers)) != 0)
		hr = MAPI_E_DISK_ERROR;
	if (hr == S_OK)
		hr = export_write_mime(run, m, quote_write, s);
	if (hr == S_OK) {
		/* What is still held is a line start that never became "From ". */
		const char *end = s->last == '\n' ? "\n" : "\n\n";
		if (put_held(s) != 0 || put(s, end, strlen(end)) != 0 || flush_out(s) != 0)
			hr = MAPI_E_DISK_ERROR;
	}
	if (hr == S_OK) {
		s->size += (off_t)s->message_bytes;
		run->bytes += s->message_bytes;
		return S_OK;
	}
	/* Take back what was written of this message. */
	int err = s->err;
	s->len = 0;
	s->err = 0;
	if (ftruncate(s->fd, s->size) != 0 || lseek(s->fd, s->size, SEEK_SET) < 0)
		err = err ? err : errno;
	if (err) {
		*fatal = 1;
		cli_error("export: %s: %s", s->path, strerror(err));
		return MAPI_E_DISK_ERROR;
	}
	return hr;
}

static int mbox_close(export_run *run)
{
	mbox_state *s = run->state;
	int rc = 0;
	if (fsync(s->fd) != 0)
		rc = cli_error("export: %s: %s", s->path, strerror(errno));
	if (close(s->fd) != 0 && rc == 0)
		rc = cli_error("export: %s: %s", s->path, strerror(errno));
	int dfd = rc == 0 ? open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			rc = cli_error("export: %s: %s", s->dir, strerror(errno));
		close(dfd);
	}
	free(s->path);
	free(s->dir);
	free(s->buf);
	free(s);
	run->state = NULL;
	return rc;
}

const export_format export_format_mbox = {"mbox", EXPORT_NEEDS_ENVELOPE, mbox_open, mbox_write, mbox_close};
