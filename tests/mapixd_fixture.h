/*
 * mapixd_fixture.h — a mapixd per test for the tests that need their own
 * server configuration (tests/test_mapixd_admin.c): the server is started
 * from $MAPIX_BUILD_DIR on a socket in a temporary directory, with the
 * test's user as its only administrator (mapixd_start_opts for another
 * name, administrator or timeout), and stopped by mapixd_stop (or the
 * teardown when a test fails). Also work done by a thread
 * impersonating another user (root only) and audit-log counting.
 */
#ifndef MAPIX_TEST_MAPIXD_FIXTURE_H
#define MAPIX_TEST_MAPIXD_FIXTURE_H

#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapixremote.h>

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

typedef struct mapixd {
	char *dir;
	char sock[600], conf[600], audit[600], data[600];
	pid_t pid;
} mapixd;

static mapixd *mapixd_running; /* stopped by the teardown when a test fails */

static const char *mapixd_build_path(const char *rel)
{
	static char path[4096];
	const char *b = getenv("MAPIX_BUILD_DIR");
	snprintf(path, sizeof path, "%s/%s", b ? b : ".", rel);
	return path;
}

static BOOL mapixd_can_connect(const char *sock)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	BOOL ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void mapixd_relaunch(mapixd *s);

/* What mapixd_start fixes, for the tests that want other values. */
typedef struct mapixd_opts {
	const char *tmp_tag; /* prefix of the temporary directory */
	const char *name;    /* [server] name (it shows in mailbox DNs) */
	const char *admin;   /* [rights] administrators; NULL: the test's user */
	int io_timeout;      /* [limits] io_timeout, seconds */
} mapixd_opts;

/* Starts mapixd with the settings in `o`; `extra` is appended to the
 * configuration (lines of [limits], or further sections). */
static void mapixd_start_opts(mapixd *s, const mapixd_opts *o, const char *extra)
{
	memset(s, 0, sizeof *s);
	if (access(mapixd_build_path("src/server/mapixd"), X_OK) != 0)
		MAPIX_SKIP("mapixd is not built (src/server is not part of this build)");
	s->dir = mapix_test_tmpdir(o->tmp_tag);
	assert_non_null(s->dir);
	chmod(s->dir, 0755); /* other identities reach the socket inside */
	snprintf(s->sock, sizeof s->sock, "%s/mapixd.sock", s->dir);
	snprintf(s->conf, sizeof s->conf, "%s/mapixd.conf", s->dir);
	snprintf(s->audit, sizeof s->audit, "%s/audit.log", s->dir);
	snprintf(s->data, sizeof s->data, "%s/data", s->dir);
	FILE *f = fopen(s->conf, "w");
	assert_non_null(f);
	const char *admin = o->admin;
	if (!admin) {
		struct passwd *pw = getpwuid(geteuid());
		admin = pw ? pw->pw_name : "root";
	}
	fprintf(f,
	        "[server]\nname = %s\nsocket = %s\ndata_dir = %s\n"
	        "[rights]\nadministrators = %s\n"
	        "[audit]\nfile = %s\n"
	        "[limits]\nio_timeout = %d\n%s",
	        o->name, s->sock, s->data, admin, s->audit, o->io_timeout, extra ? extra : "");
	fclose(f);
	mapixd_running = s;
	mapixd_relaunch(s);
}

/* Starts mapixd; `extra` is appended to the configuration (sections). */
static void mapixd_start(mapixd *s, const char *extra)
{
	const mapixd_opts o = {"mapixd-admin", "admintest", NULL, 5};
	mapixd_start_opts(s, &o, extra);
}

/* Starts the server of `s` again (after a kill) on the same configuration
 * and data, and waits for its socket. */
static void mapixd_relaunch(mapixd *s)
{
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char log[700];
		snprintf(log, sizeof log, "%s/mapixd.log", s->dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(mapixd_build_path("src/server/mapixd"), "mapixd", "--config", s->conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !mapixd_can_connect(s->sock); i++)
		usleep(10000);
	assert_true(mapixd_can_connect(s->sock));
}

/* Sends `sig` to the server and reaps it (SIGKILL after 5 s); the
 * directory stays, for mapixd_relaunch. */
static void mapixd_kill(mapixd *s, int sig)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	int status;
	for (int i = 0; i < 500; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return;
		}
		usleep(10000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
}

static void mapixd_stop(mapixd *s)
{
	mapixd_running = NULL;
	mapixd_kill(s, SIGTERM);
	if (s->dir) {
		mapix_test_rmtree(s->dir);
		free(s->dir);
	}
	memset(s, 0, sizeof *s);
}

static int mapixd_teardown(void **state)
{
	(void)state;
	if (mapixd_running)
		mapixd_stop(mapixd_running);
	return 0;
}

static void mapixd_need_root(void)
{
	if (geteuid() != 0)
		MAPIX_SKIP("impersonating other users needs root");
}

/* Lines of the audit log that are JSON audit records containing w1 and w2. */
static int mapixd_audit_lines(const mapixd *s, const char *w1, const char *w2)
{
	FILE *f = fopen(s->audit, "r");
	char line[4096];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (line[0] == '{' && strstr(line, "\"operation\":\"") && strstr(line, "\"result\":\"") && strstr(line, w1) &&
		    (!w2 || strstr(line, w2)))
			n++;
	fclose(f);
	return n;
}

/* ---- a thread impersonating another user ---------------------------------------------------- */

typedef struct mapixd_job {
	mapixd *s;
	uid_t uid;
	void (*fn)(struct mapixd_job *);
	int failures;
	char why[512];
	void *arg;
} mapixd_job;

static void *mapixd_job_main(void *p)
{
	mapixd_job *j = p;
	if (FAILED(MAPIXImpersonateUser(j->uid))) {
		j->failures++;
		snprintf(j->why, sizeof j->why, "impersonate: %s", MAPIXGetLastErrorText());
		return NULL;
	}
	j->fn(j);
	MAPIXRevertToSelf();
	return NULL;
}

static void mapixd_run_as(mapixd *s, uid_t uid, void (*fn)(mapixd_job *), void *arg)
{
	mapixd_job j = {s, uid, fn, 0, "", arg};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, mapixd_job_main, &j), 0);
	pthread_join(t, NULL);
	if (j.failures)
		fail_msg("as uid %u: %s", (unsigned)uid, j.why);
}

#define JOB_CHECK(j, expr, want)                                                                          \
	do {                                                                                                  \
		HRESULT hr_ = (expr);                                                                             \
		if (hr_ != (HRESULT)(want) && !(j)->failures) {                                                   \
			(j)->failures++;                                                                              \
			snprintf((j)->why, sizeof (j)->why, "line %d: %s: 0x%08X, expected 0x%08X (%s)", __LINE__,     \
			         #expr, (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                    \
		}                                                                                                 \
	} while (0)

#endif
