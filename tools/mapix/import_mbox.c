/*
 * import_mbox.c — the mbox source of `mapix import`. The file is read in
 * fixed pieces through the splitter (import_mbox_split.c); each message's
 * unquoted bytes collect in a memory buffer while it is small and move to
 * an unnamed temporary file (O_TMPFILE in $TMPDIR) once it is not, so
 * memory stays bounded whatever the size of the file or of one message.
 * A message's identity is "mbox:<realpath>:<offset of its From_ line>";
 * offsets only change if the file is rewritten before the message, which
 * mbox writers do not do (they append).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "import_split.h"

/* Messages up to this size are converted from memory. */
#define MBOX_MEM_MAX (4u << 20)
#define MBOX_READ_SIZE (256u << 10)

typedef struct mbox_reader {
	import_engine *eng;
	LPMAPIFOLDER folder;
	const char *path, *real;
	uint64_t begin;     /* offset of the current message's From_ line */
	BOOL skip;          /* the current message was imported before */
	BOOL failed;        /* writing the spill file failed; the message is skipped */
	char *buf;          /* the message while it is small */
	size_t len;
	int spill;          /* the temporary file, once a message outgrew buf */
	BOOL spilled;       /* the current message is in it */
	uint64_t junk;      /* bytes before the first From_ line */
	int spill_errno;
} mbox_reader;

static int open_spill(void)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* A file system without O_TMPFILE: a named file, unlinked at once. */
		char *tmpl = NULL;
		if (asprintf(&tmpl, "%s/mapix-import-XXXXXX", dir) < 0)
			return -1;
		fd = mkstemp(tmpl);
		if (fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	return fd;
}

static BOOL write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return FALSE;
		p += k;
		n -= (size_t)k;
	}
	return TRUE;
}

static void on_begin(void *ctx, uint64_t offset)
{
	mbox_reader *r = ctx;
	char *id = NULL;
	r->begin = offset;
	r->len = 0;
	r->spilled = FALSE;
	r->failed = FALSE;
	r->skip = FALSE;
	if (asprintf(&id, "mbox:%s:%llu", r->real, (unsigned long long)offset) >= 0) {
		r->skip = import_seen(r->eng, r->folder, id);
		free(id);
	}
}

static void on_data(void *ctx, int in_message, const char *p, size_t n)
{
	mbox_reader *r = ctx;
	if (!in_message) {
		r->junk += n;
		return;
	}
	if (r->skip || r->failed)
		return;
	if (!r->spilled && r->len + n <= MBOX_MEM_MAX) {
		memcpy(r->buf + r->len, p, n);
		r->len += n;
		return;
	}
	if (!r->spilled) {
		if (r->spill < 0)
			r->spill = open_spill();
		if (r->spill < 0 || ftruncate(r->spill, 0) != 0 || lseek(r->spill, 0, SEEK_SET) != 0 ||
		    !write_all(r->spill, r->buf, r->len)) {
			r->spill_errno = errno;
			r->failed = TRUE;
			return;
		}
		r->spilled = TRUE;
	}
	if (!write_all(r->spill, p, n)) {
		r->spill_errno = errno;
		r->failed = TRUE;
	}
}

static void on_end(void *ctx, uint64_t end)
{
	mbox_reader *r = ctx;
	uint64_t bytes = end - r->begin;
	char loc[4200], *id = NULL;
	snprintf(loc, sizeof loc, "%s:%llu", r->path, (unsigned long long)r->begin);
	if (r->skip) {
		import_count_existing(r->eng, bytes);
	} else if (import_stopped(r->eng)) {
		/* left for the next run */
	} else if (r->failed) {
		import_skip(r->eng, loc, "writing a temporary file in %s failed: %s",
		            getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(r->spill_errno));
	} else if (asprintf(&id, "mbox:%s:%llu", r->real, (unsigned long long)r->begin) < 0) {
		import_skip(r->eng, loc, "out of memory");
	} else if (r->spilled) {
		if (lseek(r->spill, 0, SEEK_SET) != 0)
			import_skip(r->eng, loc, "rewinding the temporary file failed: %s", strerror(errno));
		else
			import_mime(r->eng, r->folder, id, loc, r->spill, NULL, 0, 0, NULL, 0, bytes);
	} else {
		import_mime(r->eng, r->folder, id, loc, -1, r->buf, r->len, 0, NULL, 0, bytes);
	}
	free(id);
	r->len = 0;
	r->spilled = FALSE;
}

static const mbox_split_ops reader_ops = {on_begin, on_data, on_end};

int import_mbox_into(import_engine *eng, const char *path, import_mbox_format format, const char *relpath,
                     import_folder_kind kind)
{
	mbox_reader r = {.eng = eng, .path = path, .spill = -1};
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	struct stat st;
	char *chunk = NULL, *real = NULL;
	if (fd < 0 || fstat(fd, &st) != 0)
		rc = cli_error("%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = cli_error("%s: not a regular file", path);
	else if (!(real = realpath(path, NULL)))
		rc = cli_error("%s: %s", path, strerror(errno));
	else if (!(chunk = malloc(MBOX_READ_SIZE)) || !(r.buf = malloc(MBOX_MEM_MAX)))
		rc = cli_error("out of memory");
	else if (FAILED(import_folder(eng, relpath, kind, NULL, &r.folder)))
		rc = CLI_EXIT_FAILURE;
	if (rc)
		goto out;
	r.real = real;
	import_add_total(eng, (uint64_t)st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	mbox_split s;
	mbox_split_init(&s, &reader_ops, &r, format == IMPORT_MBOXO);
	for (;;) {
		ssize_t n = read(fd, chunk, MBOX_READ_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* The messages before are imported; the rest cannot be
			 * reached. */
			char loc[4200];
			snprintf(loc, sizeof loc, "%s:%llu", path, (unsigned long long)s.offset);
			import_skip(eng, loc, "reading failed: %s; the rest of the file is not imported", strerror(errno));
			rc = CLI_EXIT_FAILURE;
			break;
		}
		if (n == 0)
			break;
		mbox_split_feed(&s, chunk, (size_t)n);
		if (import_stopped(eng))
			break;
	}
	if (!import_stopped(eng) && rc == 0)
		mbox_split_finish(&s);
	if (r.junk)
		import_warn(eng, path, "%llu bytes before the first From_ line are not a message and were left out",
		            (unsigned long long)r.junk);
out:
	if (fd >= 0)
		close(fd);
	if (r.spill >= 0)
		close(r.spill);
	free(r.buf);
	free(chunk);
	free(real);
	return rc;
}

int import_mbox(import_engine *eng, const char *path, import_mbox_format format)
{
	return import_mbox_into(eng, path, format, "", IMPORT_FOLDER_INBOX);
}
