/*
 * archive_stream.c — `mapix archive --runas`: mailbox files that belong to
 * their Unix users are read by per-user workers started through mapix-runas
 * (one process per mailbox, or a request to the runas pool), never by the
 * archiver's own identity. The worker (`mapix archive --stdout-stream
 * --mailbox PATH`, running as the file's owner) runs the ordinary pass but
 * writes frames to its stdout instead of files; the parent, which owns the
 * archive, writes them and keeps the state. The stream (docs/cli.md):
 *
 *   MAPIX-ARCHIVE-STREAM 1\n                       once, first
 *   M <kind> <path> <name> <length>\n<bytes>       a message file for the folder
 *   S <length>\n<bytes>                            a state: everything before it is in it
 *   E\n                                            the pass ended well
 *
 * <kind> and <path> are the folder's kind and archive path as the state file
 * writes them; <name> the derived Maildir name. The parent starts the worker
 * with its last state on stdin. On S it makes the messages since the last S
 * durable (one syncfs), links them into cur/ (an existing name is skipped),
 * fsyncs cur/ and only then replaces its state file: the same order as a
 * local pass, so a worker or parent killed anywhere loses and duplicates
 * nothing. Everything the worker sends is checked: it runs as another user.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mapix/mapixstore.h>

#include "archive.h"

#define STREAM_MAGIC "MAPIX-ARCHIVE-STREAM 1\n"
#define MAX_MESSAGE ((uint64_t)1 << 31) /* 2 GiB: larger frames are refused */
#define MAX_STATE ((uint64_t)64 << 20)

#ifndef MAPIX_RUNAS_PATH
#define MAPIX_RUNAS_PATH "/usr/local/sbin/mapix-runas"
#endif

/* ---- the worker --------------------------------------------------------------------------- */

static int put_path(FILE *out, const archive_folder *f)
{
	if (f->depth == 0)
		return fputs("%", out) < 0 ? -1 : 0;
	for (int i = 0; i < f->depth; i++) {
		char *e = archive_path_escape(f->names[i]);
		int rc = e ? fprintf(out, "%s%s", i ? "/" : "", e) : -1;
		free(e);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int archive_stream_message(FILE *out, const archive_folder *f, const char *name, int fd, uint64_t len)
{
	if (fprintf(out, "M %d ", f->kind) < 0 || put_path(out, f) != 0 ||
	    fprintf(out, " %s %llu\n", name, (unsigned long long)len) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	char buf[65536];
	uint64_t left = len;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < sizeof buf ? (size_t)left : sizeof buf);
		if (n <= 0)
			return -1;
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return -1;
		left -= (uint64_t)n;
	}
	return 0;
}

int archive_stream_state(FILE *out, const archive_state *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	int rc = m && archive_state_write(m, st) == 0 ? 0 : -1;
	if (m)
		fclose(m);
	if (rc == 0 && (fprintf(out, "S %zu\n", len) < 0 || fwrite(text, 1, len, out) != len || fflush(out) != 0))
		rc = -1;
	free(text);
	return rc;
}

int archive_stream_worker(const char *path, archive_options *opts)
{
	/* The parent's state, whole (it is small: one line per folder). */
	char *state = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&state, &len);
	char buf[65536];
	size_t n;
	while (m && (n = fread(buf, 1, sizeof buf, stdin)) > 0 && len < MAX_STATE)
		fwrite(buf, 1, n, m);
	if (!m || fclose(m) != 0)
		return cli_error("archive: out of memory");
	opts->stream = stdout;
	opts->stream_state = state;
	LPMDB mdb = NULL;
	HRESULT hr = MAPIXOpenLocalStore(path, 0, &mdb);
	if (FAILED(hr)) {
		free(state);
		return cli_fail(path, hr);
	}
	if (fputs(STREAM_MAGIC, stdout) < 0) {
		IMsgStore_Release(mdb);
		free(state);
		return cli_error("archive: stdout: %s", strerror(errno));
	}
	archive_counts counts = {0};
	char why[256];
	hr = archive_pass(mdb, "worker", opts, &counts, NULL, NULL, why);
	IMsgStore_Release(mdb);
	free(state);
	if (FAILED(hr)) {
		fprintf(stderr, "mapix: archive: %s: %s (%s)\n", path, why, MAPIXErrorName(hr));
		return CLI_EXIT_FAILURE;
	}
	if (fputs("E\n", stdout) < 0 || fflush(stdout) != 0)
		return cli_error("archive: stdout: %s", strerror(errno));
	return CLI_EXIT_OK;
}

/* ---- the parent --------------------------------------------------------------------------- */

typedef struct staged_file {
	char *tmp, *final, *cur;
	uint64_t bytes;
} staged_file;

typedef struct reader {
	FILE *in;
	const char *dest, *label;
	char *mbdir;
	archive_counts *c;
	archive_step_fn step;
	void *step_ctx;
	char *why;
	staged_file *staged;
	size_t nstaged, cap;
} reader;

static void drop(reader *r)
{
	for (size_t i = 0; i < r->nstaged; i++) {
		unlink(r->staged[i].tmp);
		free(r->staged[i].tmp);
		free(r->staged[i].final);
		free(r->staged[i].cur);
	}
	r->nstaged = 0;
}

/* The derived names only: <32 hex>-<hex>[.<digits>]:2, */
static BOOL valid_name(const char *s)
{
	size_t i = 0;
	for (; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return FALSE;
	if (s[i++] != '-')
		return FALSE;
	size_t k = i;
	while ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F'))
		i++;
	if (i == k || i - k > 512)
		return FALSE;
	if (s[i] == '.') {
		k = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == k || i - k > 20)
			return FALSE;
	}
	return strcmp(s + i, ":2,") == 0;
}

static int copy_to(reader *r, int fd, uint64_t len)
{
	char buf[65536];
	while (len > 0) {
		size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
		size_t got = fread(buf, 1, want, r->in);
		if (got != want) {
			snprintf(r->why, 256, "the worker's stream ended inside a message");
			return -1;
		}
		if (fd >= 0 && write(fd, buf, got) != (ssize_t)got) {
			snprintf(r->why, 256, "writing the archive: %s", strerror(errno ? errno : ENOSPC));
			return -1;
		}
		len -= got;
	}
	return 0;
}

static int on_message(reader *r, char *line)
{
	/* <kind> <path> <name> <length> */
	char *fld[5] = {0}, *save = NULL;
	int nf = 0;
	for (char *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (nf < 5)
			fld[nf++] = tok;
	char *end = NULL;
	unsigned long long len = nf == 4 ? strtoull(fld[3], &end, 10) : 0;
	archive_folder f = {0};
	if (nf != 4 || *end || len > MAX_MESSAGE || !valid_name(fld[2]) ||
	    (strcmp(fld[0], "0") != 0 && strcmp(fld[0], "2") != 0) ||
	    archive_path_split(fld[1], &f.names, &f.depth) != 0 || f.depth == 0) {
		snprintf(r->why, 256, "the worker sent a malformed message frame");
		return -1;
	}
	f.kind = fld[0][0] - '0';
	char *dir = archive_maildir_dir(r->mbdir, &f);
	for (int i = 0; i < f.depth; i++)
		free(f.names[i]);
	free(f.names);
	if (!dir || r->nstaged == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		staged_file *v = dir ? realloc(r->staged, cap * sizeof *v) : NULL;
		if (!v) {
			free(dir);
			snprintf(r->why, 256, "out of memory");
			return -1;
		}
		r->staged = v;
		r->cap = cap;
	}
	size_t n = strlen(dir) + strlen(fld[2]) + 64;
	char *tmp = malloc(n), *final = malloc(n), *cur = malloc(n);
	int rc = 0, fd = -1;
	if (!tmp || !final || !cur) {
		snprintf(r->why, 256, "out of memory");
		rc = -1;
		goto out;
	}
	static const char *const subs[] = {"tmp", "new", "cur"};
	for (int i = 0; i < 3 && rc == 0; i++) {
		snprintf(cur, n, "%s/%s", dir, subs[i]);
		if (export_mkdirs(cur) != 0) {
			snprintf(r->why, 256, "%s: %s", cur, strerror(errno));
			rc = -1;
		}
	}
	snprintf(tmp, n, "%s/tmp/%s.%ld", dir, fld[2], (long)getpid());
	snprintf(final, n, "%s/cur/%s", dir, fld[2]);
	if (rc == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		snprintf(r->why, 256, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0)
		rc = copy_to(r, fd, len);
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		snprintf(r->why, 256, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		r->staged[r->nstaged++] = (staged_file){tmp, final, cur, len};
		tmp = final = cur = NULL;
	}
out:
	if (tmp && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(final);
	free(cur);
	free(dir);
	return rc;
}

/* A state from the worker: the messages before it made durable and named,
 * then the state kept (parsed and written again by the parent: it is
 * another user's output). */
static int on_state(reader *r, const char *line)
{
	char *end = NULL;
	unsigned long long len = strtoull(line, &end, 10);
	if (*end || len > MAX_STATE) {
		snprintf(r->why, 256, "the worker sent a malformed state frame");
		return -1;
	}
	char *text = malloc(len + 1);
	if (!text || fread(text, 1, len, r->in) != len) {
		free(text);
		snprintf(r->why, 256, "the worker's stream ended inside a state");
		return -1;
	}
	text[len] = 0;
	archive_state st;
	FILE *m = fmemopen(text, len ? len : 1, "r");
	int rc = m ? archive_state_read(m, NULL, &st, "the worker's state") : -1;
	if (m)
		fclose(m);
	free(text);
	if (rc != 0) {
		snprintf(r->why, 256, "the worker sent a state that does not parse");
		return -1;
	}
	free(st.label);
	st.label = strdup(r->label);
	if (r->nstaged) {
		int fd = open(r->mbdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) != 0) {
			snprintf(r->why, 256, "%s: %s", r->mbdir, strerror(errno));
			rc = -1;
		}
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < r->nstaged && rc == 0; i++) {
		staged_file *s = &r->staged[i];
		if (link(s->tmp, s->final) != 0) {
			if (errno != EEXIST) {
				snprintf(r->why, 256, "%s: %s", s->final, strerror(errno));
				rc = -1;
			} else {
				r->c->present++;
			}
			continue;
		}
		r->c->archived++;
		r->c->bytes += s->bytes;
		if (r->step)
			r->step(r->step_ctx, s->bytes);
		/* fsync each cur/ once (the list is in folder runs) */
		BOOL seen = FALSE;
		for (size_t k = i + 1; k < r->nstaged && !seen; k++)
			seen = strcmp(r->staged[k].cur, s->cur) == 0;
		if (!seen && export_fsync_path(s->cur) != 0) {
			snprintf(r->why, 256, "%s: %s", s->cur, strerror(errno));
			rc = -1;
		}
	}
	drop(r);
	if (rc == 0 && (!st.label || archive_state_save(r->dest, &st) != 0)) {
		snprintf(r->why, 256, "the state could not be saved");
		rc = -1;
	}
	archive_state_free(&st);
	return rc;
}

/* The state text of the mailbox archived as label ("" for none). */
static char *find_state(const char *dest, const char *label)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/.mapix-archive/state", dest);
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	while (d && !found && (e = readdir(d))) {
		if (strlen(e->d_name) != 32)
			continue;
		char p[4200];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		FILE *f = fopen(p, "r");
		archive_state st;
		if (f && archive_state_read(f, e->d_name, &st, p) == 0) {
			if (st.label && strcmp(st.label, label) == 0) {
				size_t len = 0;
				FILE *m = open_memstream(&found, &len);
				if (m) {
					archive_state_write(m, &st);
					fclose(m);
				}
			}
			archive_state_free(&st);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found ? found : strdup("");
}

HRESULT archive_runas_mailbox(const char *path, const char *label, const char *pool_socket,
                              const archive_options *opts, archive_counts *counts, archive_step_fn step,
                              void *step_ctx, char *why)
{
	/* The worker starts in its user's home: it gets the absolute path. */
	char abspath[4096];
	struct stat sb;
	if (!realpath(path, abspath) || stat(abspath, &sb) != 0) {
		snprintf(why, 256, "%s: %s", path, strerror(errno));
		return MAPI_E_NOT_FOUND;
	}
	path = abspath;
	struct passwd pwbuf, *pw = NULL;
	char pwtext[4096];
	if (getpwuid_r(sb.st_uid, &pwbuf, pwtext, sizeof pwtext, &pw) != 0 || !pw) {
		snprintf(why, 256, "%.200s: its owner (uid %u) has no user name", path, (unsigned)sb.st_uid);
		return MAPI_E_NOT_FOUND;
	}
	if (sb.st_uid == 0) {
		snprintf(why, 256, "%.150s belongs to root: --runas runs workers as the mailbox's owner, never root", path);
		return MAPI_E_NO_ACCESS;
	}
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0) {
		snprintf(why, 256, "cannot find the mapix program: %s", strerror(errno));
		return MAPI_E_CALL_FAILED;
	}
	self[sl] = 0;
	const char *runas = getenv("MAPIX_RUNAS");
	if (!runas || !*runas)
		runas = MAPIX_RUNAS_PATH;
	const char *argv[20];
	int n = 0;
	argv[n++] = runas;
	if (pool_socket) {
		argv[n++] = "--connect";
		argv[n++] = pool_socket;
	}
	argv[n++] = "--user";
	argv[n++] = pw->pw_name;
	argv[n++] = "--";
	argv[n++] = self;
	argv[n++] = "archive";
	argv[n++] = "--stdout-stream";
	argv[n++] = "--mailbox";
	argv[n++] = path;
	if (opts->versions)
		argv[n++] = "--versions";
	argv[n] = NULL;

	char *state = find_state(opts->dest, label);
	int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
	if (!state || pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
		snprintf(why, 256, "cannot start the worker: %s", strerror(errno));
		free(state);
		return MAPI_E_CALL_FAILED;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		execv(runas, (char *const *)argv);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	HRESULT hr = S_OK;
	if (pid < 0) {
		snprintf(why, 256, "fork: %s", strerror(errno));
		close(to_child[1]);
		close(from_child[0]);
		free(state);
		return MAPI_E_CALL_FAILED;
	}
	/* The state is small; a worker that does not read it gives EPIPE
	 * (cmd_archive ignores SIGPIPE in --runas mode). */
	size_t sl2 = strlen(state);
	if (sl2 && write(to_child[1], state, sl2) != (ssize_t)sl2)
		hr = MAPI_E_CALL_FAILED;
	close(to_child[1]);
	free(state);

	reader r = {.in = fdopen(from_child[0], "r"),
	            .dest = opts->dest,
	            .label = label,
	            .mbdir = export_join(opts->dest, label),
	            .c = counts,
	            .step = step,
	            .step_ctx = step_ctx,
	            .why = why};
	char *line = NULL;
	size_t cap = 0;
	BOOL ended = FALSE;
	int rc = r.in && r.mbdir ? 0 : -1;
	if (rc != 0)
		snprintf(why, 256, "out of memory");
	if (rc == 0 && export_mkdirs(r.mbdir) != 0) {
		snprintf(why, 256, "%s: %s", r.mbdir, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && (getline(&line, &cap, r.in) <= 0 || strcmp(line, STREAM_MAGIC) != 0)) {
		snprintf(why, 256, "the worker did not start (see its message above)");
		rc = -1;
	}
	while (rc == 0 && !ended && getline(&line, &cap, r.in) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == 'M' && line[1] == ' ')
			rc = on_message(&r, line + 2);
		else if (line[0] == 'S' && line[1] == ' ')
			rc = on_state(&r, line + 2);
		else if (strcmp(line, "E") == 0)
			ended = TRUE;
		else {
			snprintf(why, 256, "the worker sent an unknown frame");
			rc = -1;
		}
	}
	if (rc == 0 && !ended)
		snprintf(why, 256, "the worker stopped before the end of its pass");
	drop(&r);
	free(r.staged);
	free(line);
	free(r.mbdir);
	if (r.in)
		fclose(r.in);
	else
		close(from_child[0]);
	if (rc != 0 || !ended)
		kill(pid, SIGTERM);
	int status = 0;
	waitpid(pid, &status, 0);
	if (rc == 0 && ended && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return hr == S_OK ? S_OK : (snprintf(why, 256, "the worker did not take its state"), hr);
	if (rc == 0 && ended)
		snprintf(why, 256, "the worker ended with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return MAPI_E_CALL_FAILED;
}
