/*
 * runas_testutil.h — helpers shared by the mapix-runas tests
 * (tests/test_runas*.c): where the program and its probe are, whether the
 * tests can run here (root, test users from the serialized fixture
 * tests/fixtures/test-users), running a command with captured output and a
 * time bound, and a private PAM configuration directory (pam_start_confdir,
 * nothing under /etc/pam.d is touched).
 *
 * Header-only so that each test stays one program with the generic test
 * rule; every helper is static and marked unused.
 */
#ifndef MAPIX_RUNAS_TESTUTIL_H
#define MAPIX_RUNAS_TESTUTIL_H

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RT_UNUSED __attribute__((unused))

struct rt_paths {
	char bin[4096];   /* the mapix-runas program in the build tree */
	char lib[4096];   /* libmapix-runas.so in the build tree */
	char dir[4096];   /* a 0755 temp dir the test users can read */
	char probe[4200]; /* a copy of runas_probe in dir */
	uid_t uid1, uid2;
	gid_t gid1, gidtg;
};

static struct rt_paths rt;

RT_UNUSED static long long rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

RT_UNUSED static void rt_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

RT_UNUSED static int rt_copy(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	char buf[65536];
	ssize_t n;
	int rc = in >= 0 && out >= 0 ? 0 : -1;
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc == 0 ? chmod(to, mode) : -1;
}

/* NULL when the runas tests can run, else why not (for MAPIX_SKIP). */
RT_UNUSED static const char *rt_unavailable(void)
{
	if (geteuid() != 0)
		return "needs root";
	if (!rt.bin[0]) {
		const char *b = getenv("MAPIX_BUILD_DIR");
		snprintf(rt.bin, sizeof(rt.bin), "%s/runas/mapix-runas", b ? b : ".");
		snprintf(rt.lib, sizeof(rt.lib), "%s/runas/libmapix-runas.so", b ? b : ".");
	}
	if (access(rt.bin, X_OK) < 0)
		return "mapix-runas is not built (src/runas not in the build)";
	struct passwd *p1 = getpwnam("mapixt1");
	if (p1) {
		rt.uid1 = p1->pw_uid;
		rt.gid1 = p1->pw_gid;
	}
	struct passwd *p2 = getpwnam("mapixt2");
	if (p2)
		rt.uid2 = p2->pw_uid;
	struct group *g = getgrnam("mapixtg");
	if (g)
		rt.gidtg = g->gr_gid;
	if (!p1 || !p2 || !g)
		return "test users missing (CTest fixture mapix_test_users: "
		       "tests/fixtures/test-users setup)";
	if (!rt.dir[0]) {
		char *d = mapix_test_tmpdir("runas");
		if (!d)
			return "cannot create a temp dir";
		snprintf(rt.dir, sizeof(rt.dir), "%s", d);
		free(d);
		chmod(rt.dir, 0755);
		char rp[4300];
		snprintf(rp, sizeof(rp), "%.4080s/runas/runas_probe",
		         getenv("MAPIX_BUILD_DIR") ? getenv("MAPIX_BUILD_DIR") : ".");
		snprintf(rt.probe, sizeof(rt.probe), "%s/runas_probe", rt.dir);
		if (rt_copy(rp, rt.probe, 0755) < 0)
			return "runas_probe is not built";
	}
	return NULL;
}

#define RT_REQUIRE()                            \
	do {                                        \
		const char *why_ = rt_unavailable();    \
		if (why_)                               \
			MAPIX_SKIP("%s", why_);             \
	} while (0)

RT_UNUSED static void rt_cleanup(void)
{
	if (rt.dir[0])
		mapix_test_rmtree(rt.dir);
	rt.dir[0] = 0;
}

struct rt_result {
	int status; /* wait status; -1 if it had to be killed at the time bound */
	char out[65536];
	char err[8192];
};

/* Runs argv with stdin from /dev/null, capturing stdout and stderr, for at
 * most timeout_ms. */
RT_UNUSED static void rt_run(const char *const argv[], int timeout_ms, struct rt_result *r)
{
	int po[2], pe[2];
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(99);
	}
	close(po[1]);
	close(pe[1]);
	size_t no = 0, ne = 0;
	bool oo = true, eo = true;
	long long end = rt_now_ms() + timeout_ms;
	while ((oo || eo) && rt_now_ms() < end) {
		struct pollfd pf[2] = {{.fd = oo ? po[0] : -1, .events = POLLIN},
		                       {.fd = eo ? pe[0] : -1, .events = POLLIN}};
		if (poll(pf, 2, 100) <= 0)
			continue;
		if (pf[0].revents) {
			ssize_t n = read(po[0], r->out + no, sizeof(r->out) - 1 - no);
			if (n <= 0)
				oo = false;
			else
				no += (size_t)n;
		}
		if (pf[1].revents) {
			ssize_t n = read(pe[0], r->err + ne, sizeof(r->err) - 1 - ne);
			if (n <= 0)
				eo = false;
			else
				ne += (size_t)n;
		}
	}
	r->out[no] = 0;
	r->err[ne] = 0;
	close(po[0]);
	close(pe[0]);
	int st = 0;
	while (rt_now_ms() < end && waitpid(pid, &st, WNOHANG) == 0)
		rt_sleep_ms(10);
	if (waitpid(pid, &st, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		st = -1;
	}
	r->status = st;
}

/* Starts argv in the background with stdout on a pipe (returned in *out). */
RT_UNUSED static pid_t rt_spawn(const char *const argv[], int *out)
{
	int po[2];
	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(po[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(99);
	}
	close(po[1]);
	*out = po[0];
	return pid;
}

/* One line from fd within timeout_ms (without the newline); false on
 * timeout or end of file. */
RT_UNUSED static bool rt_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t n = 0;
	long long end = rt_now_ms() + timeout_ms;
	while (n + 1 < size) {
		long long left = end - rt_now_ms();
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return false;
		char c;
		if (read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return true;
}

/* The wait status of a child within timeout_ms, -1 if it did not end. */
RT_UNUSED static int rt_wait(pid_t pid, int timeout_ms)
{
	long long end = rt_now_ms() + timeout_ms;
	int st;
	do {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		rt_sleep_ms(10);
	} while (rt_now_ms() < end);
	return -1;
}

/* True once pid no longer exists (or is only a zombie) within timeout_ms. */
RT_UNUSED static bool rt_gone(pid_t pid, int timeout_ms)
{
	long long end = rt_now_ms() + timeout_ms;
	for (;;) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = 0;
			char *rp = strrchr(buf, ')');
			if (rp && rp[1] == ' ' && rp[2] == 'Z')
				return true;
		}
		if (rt_now_ms() >= end)
			return false;
		rt_sleep_ms(20);
	}
}

/* The rest of the first line of text that starts with prefix, or NULL. */
RT_UNUSED static const char *rt_line(const char *text, const char *prefix)
{
	static char line[4096];
	size_t pl = strlen(prefix);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= pl && !strncmp(p, prefix, pl)) {
			size_t vl = len - pl < sizeof(line) - 1 ? len - pl : sizeof(line) - 1;
			memcpy(line, p + pl, vl);
			line[vl] = 0;
			return line;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* How many lines of text start with prefix. */
RT_UNUSED static int rt_count(const char *text, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, prefix, pl))
			n++;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* A private PAM configuration in rt.dir/pam: service "mapixtest" logs
 * session open and close with pam_exec into rt.dir/pam/pam.log (which test
 * workers may append to) and sets MAPIX_PAMVAR with pam_env; service
 * "mapixexp" checks the account with pam_unix (mapixt2's password is
 * expired). Returns the log's path. */
RT_UNUSED static const char *rt_pam_dir(char *confdir, size_t size)
{
	static char log[4400];
	snprintf(confdir, size, "%s/pam", rt.dir);
	mkdir(confdir, 0755);
	chmod(confdir, 0755);
	char p[4400];
	snprintf(log, sizeof(log), "%s/pam.log", confdir);
	FILE *f = fopen(log, "w");
	assert_non_null(f);
	fclose(f);
	chmod(log, 0666);
	snprintf(p, sizeof(p), "%s/hook.sh", confdir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho \"$PAM_TYPE $PAM_USER\"\n", f);
	fclose(f);
	chmod(p, 0755);
	snprintf(p, sizeof(p), "%s/env.conf", confdir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("MAPIX_PAMVAR DEFAULT=frompam\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/mapixtest", confdir);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "auth required pam_permit.so\naccount required pam_permit.so\n"
	           "session required pam_exec.so log=%s %s/hook.sh\n"
	           "session required pam_env.so conffile=%s/env.conf readenv=0\n",
	        log, confdir, confdir);
	fclose(f);
	snprintf(p, sizeof(p), "%s/mapixexp", confdir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("auth required pam_permit.so\naccount required pam_unix.so\n"
	      "session required pam_permit.so\n", f);
	fclose(f);
	return log;
}

/* The PAM log without pam_exec's "*** date" lines. */
RT_UNUSED static void rt_read_log(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	char line[1024];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "***", 3) && n + strlen(line) < size) {
			memcpy(buf + n, line, strlen(line));
			n += strlen(line);
		}
	if (f)
		fclose(f);
	buf[n] = 0;
}

#endif
