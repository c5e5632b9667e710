/*
 * test_runas_cli.c — the mapix-runas program, one command at a time: the
 * worker's identity, capabilities, no_new_privs, environment, working
 * directory, umask, descriptors and limits as the worker itself sees them
 * (tests/runas_probe.c), a setuid-root helper gaining nothing, exit statuses
 * and signal forwarding, and that killing the broker with SIGKILL leaves no
 * process behind, with and without PID namespaces, even one that
 * double-forked into its own session. Needs root and the test users.
 */
#include "runas_testutil.h"

#include <sys/statvfs.h>

static void check_identity(const char *out)
{
	char want[128];
	snprintf(want, sizeof(want), "\t%u\t%u\t%u\t%u", rt.uid1, rt.uid1, rt.uid1, rt.uid1);
	assert_non_null(rt_line(out, "Uid:"));
	assert_string_equal(rt_line(out, "Uid:"), want);
	snprintf(want, sizeof(want), "\t%u\t%u\t%u\t%u", rt.gid1, rt.gid1, rt.gid1, rt.gid1);
	assert_string_equal(rt_line(out, "Gid:"), want);
	/* Exactly the user's groups: primary and mapixtg, nothing of root's. */
	const char *g = rt_line(out, "Groups:");
	assert_non_null(g);
	unsigned seen = 0, n = 0;
	char *end;
	for (const char *p = g; *p;) {
		unsigned long v = strtoul(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		n++;
		if (v == rt.gid1)
			seen |= 1;
		else if (v == rt.gidtg)
			seen |= 2;
		else
			fail_msg("unexpected supplementary group %lu", v);
		p = end;
	}
	assert_int_equal(seen, 3);
	assert_int_equal(n, 2);
	assert_string_equal(rt_line(out, "CapInh:"), "\t0000000000000000");
	assert_string_equal(rt_line(out, "CapPrm:"), "\t0000000000000000");
	assert_string_equal(rt_line(out, "CapEff:"), "\t0000000000000000");
	assert_string_equal(rt_line(out, "CapAmb:"), "\t0000000000000000");
	/* Root may drop the bounding set, so it is empty too. */
	assert_string_equal(rt_line(out, "CapBnd:"), "\t0000000000000000");
	assert_string_equal(rt_line(out, "NoNewPrivs:"), "\t1");
}

static void worker_identity_and_privileges(void **state)
{
	(void)state;
	RT_REQUIRE();
	for (int ns = 0; ns < 2; ns++) {
		const char *argv[8];
		int k = 0;
		argv[k++] = rt.bin;
		if (ns)
			argv[k++] = "--no-pidns";
		argv[k++] = "--user";
		argv[k++] = "mapixt1";
		argv[k++] = "--";
		argv[k++] = rt.probe;
		argv[k] = NULL;
		struct rt_result *r = calloc(1, sizeof(*r));
		rt_run(argv, 10000, r);
		assert_int_equal(r->status, 0);
		check_identity(r->out);
		free(r);
	}
}

static void worker_environment_cwd_umask_fds(void **state)
{
	(void)state;
	RT_REQUIRE();
	setenv("FOO", "must-not-pass", 1);
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	setenv("MAPIX_DEBUG", "1", 1);
	setenv("MAPIX_SECRET", "must-not-pass", 1);
	setenv("MAPIX_KEEPME", "kept", 1);
	setenv("LANG", "C.UTF-8", 1);
	setenv("TZ", "UTC", 1);
	/* A descriptor without close-on-exec that the broker inherits. */
	int leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	const char *argv[] = {rt.bin, "--user", "mapixt1", "--keep-env", "MAPIX_KEEPME", "--",
	                      rt.probe, NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	rt_run(argv, 10000, r);
	close(leak);
	unsetenv("FOO");
	unsetenv("LD_PRELOAD");
	unsetenv("MAPIX_SECRET");
	unsetenv("MAPIX_KEEPME");
	assert_int_equal(r->status, 0);
	static const char *const want[] = {
		"HOME=/home/mapixt1", "USER=mapixt1", "LOGNAME=mapixt1", "SHELL=/bin/sh",
		"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC", "MAPIX_DEBUG=1",
		"MAPIX_KEEPME=kept"};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char line[256];
		snprintf(line, sizeof(line), "env %s\n", want[i]);
		if (!strstr(r->out, line))
			fail_msg("worker environment lacks %s:\n%s", want[i], r->out);
	}
	assert_int_equal(rt_count(r->out, "env "), (int)(sizeof(want) / sizeof(want[0])));
	assert_string_equal(rt_line(r->out, "cwd "), "/home/mapixt1");
	assert_string_equal(rt_line(r->out, "umask "), "077");
	/* Only 0, 1 and 2 are open in the worker. */
	assert_int_equal(rt_count(r->out, "fd "), 3);
	assert_non_null(rt_line(r->out, "fd 0"));
	assert_non_null(rt_line(r->out, "fd 1"));
	assert_non_null(rt_line(r->out, "fd 2"));
	free(r);
}

static void missing_home_and_rlimit(void **state)
{
	(void)state;
	RT_REQUIRE();
	/* mapixt2's home does not exist: documented fallback to "/". */
	const char *argv[] = {rt.bin, "--user", "mapixt2", "--rlimit", "nofile=64", "--rlimit",
	                      "core=unlimited", "--", rt.probe, NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	rt_run(argv, 10000, r);
	assert_int_equal(r->status, 0);
	assert_string_equal(rt_line(r->out, "cwd "), "/");
	assert_string_equal(rt_line(r->out, "env HOME="), "/nonexistent/mapixt2");
	assert_string_equal(rt_line(r->out, "nofile "), "64 64");
	free(r);
}

static void setuid_helper_gains_nothing(void **state)
{
	(void)state;
	RT_REQUIRE();
	struct statvfs sv;
	assert_int_equal(statvfs(rt.dir, &sv), 0);
	if (sv.f_flag & ST_NOSUID)
		MAPIX_SKIP("%s is mounted nosuid: setuid test not possible", rt.dir);
	char suid[4300];
	snprintf(suid, sizeof(suid), "%s/suid_probe", rt.dir);
	assert_int_equal(rt_copy(rt.probe, suid, 0755), 0);
	assert_int_equal(chown(suid, 0, 0), 0);
	assert_int_equal(chmod(suid, 04755), 0);

	/* Control: run by mapixt1 without no_new_privs, the helper does become
	 * root, so the check below can see privilege when there is some. */
	int po[2];
	assert_int_equal(pipe(po), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		gid_t g = rt.gid1;
		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
		    setresuid(rt.uid1, rt.uid1, rt.uid1) < 0)
			_exit(98);
		execl(suid, suid, (char *)NULL);
		_exit(99);
	}
	close(po[1]);
	struct rt_result *r = calloc(1, sizeof(*r));
	ssize_t n, total = 0;
	while ((n = read(po[0], r->out + total, sizeof(r->out) - 1 - (size_t)total)) > 0)
		total += n;
	r->out[total] = 0;
	close(po[0]);
	assert_int_equal(rt_wait(pid, 5000), 0);
	if (!rt_line(r->out, "euid 0"))
		MAPIX_SKIP("setuid binaries are not effective here (euid line: %s)",
		           rt_line(r->out, "euid ") ? rt_line(r->out, "euid ") : "?");

	const char *argv[] = {rt.bin, "--user", "mapixt1", "--", suid, NULL};
	memset(r, 0, sizeof(*r));
	rt_run(argv, 10000, r);
	assert_int_equal(r->status, 0);
	char want[32];
	snprintf(want, sizeof(want), "%u", rt.uid1);
	assert_string_equal(rt_line(r->out, "euid "), want);
	check_identity(r->out);
	free(r);
}

static void exit_statuses_and_errors(void **state)
{
	(void)state;
	RT_REQUIRE();
	struct rt_result *r = calloc(1, sizeof(*r));
	const char *a1[] = {rt.bin, "--user", "mapixt1", "--", rt.probe, "exit", "7", NULL};
	rt_run(a1, 10000, r);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), 7);

	const char *a2[] = {rt.bin, "--user", "mapixt1", "--", rt.probe, "raise", "15", NULL};
	rt_run(a2, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 128 + SIGTERM);

	const char *a3[] = {rt.bin, "--user", "mapixt1", "--", "no-such-command-xyz", NULL};
	rt_run(a3, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 127);
	assert_non_null(strstr(r->err, "cannot execute no-such-command-xyz"));
	assert_int_equal(rt_count(r->err, "mapix-runas: "), 1);

	const char *a4[] = {rt.bin, "--user", "no-such-user-xyz", "--", "true", NULL};
	rt_run(a4, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 125);
	assert_string_equal(r->err, "mapix-runas: unknown user no-such-user-xyz\n");

	const char *a5[] = {rt.bin, "--", "true", NULL};
	rt_run(a5, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 125);
	assert_non_null(strstr(r->err, "--user"));

	const char *a6[] = {rt.bin, "--user", "mapixt1", "--rlimit", "bogus=1", "--", "true", NULL};
	rt_run(a6, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 125);
	assert_int_equal(rt_count(r->err, "mapix-runas: "), 1);
	free(r);
}

static void signals_are_forwarded(void **state)
{
	(void)state;
	RT_REQUIRE();
	const char *argv[] = {rt.bin, "--user", "mapixt1", "--", rt.probe, "sleep", "20", NULL};
	int out;
	pid_t broker = rt_spawn(argv, &out);
	char line[128];
	assert_true(rt_read_line(out, line, sizeof(line), 5000));
	assert_int_equal(strncmp(line, "pid ", 4), 0);
	pid_t worker = atoi(line + 4);
	assert_int_equal(kill(broker, SIGTERM), 0);
	int st = rt_wait(broker, 5000);
	assert_true(st != -1);
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
	assert_true(rt_gone(worker, 2000));
	close(out);
}

static void broker_sigkill_leaves_nothing(void **state)
{
	(void)state;
	RT_REQUIRE();
	for (int ns = 0; ns < 2; ns++) {
		const char *argv[9];
		int k = 0;
		argv[k++] = rt.bin;
		if (ns)
			argv[k++] = "--no-pidns";
		argv[k++] = "--user";
		argv[k++] = "mapixt1";
		argv[k++] = "--";
		argv[k++] = rt.probe;
		argv[k++] = "escape";
		argv[k] = NULL;
		int out;
		pid_t broker = rt_spawn(argv, &out);
		char l1[128], l2[128];
		assert_true(rt_read_line(out, l1, sizeof(l1), 5000));
		assert_true(rt_read_line(out, l2, sizeof(l2), 5000));
		pid_t worker = atoi(strchr(l1, ' ') + 1);
		pid_t orphan = atoi(strchr(l2, ' ') + 1);
		assert_true(worker > 0 && orphan > 0);
		assert_int_equal(kill(orphan, 0), 0);
		assert_int_equal(kill(broker, SIGKILL), 0);
		assert_true(rt_wait(broker, 5000) != -1);
		if (!rt_gone(worker, 3000))
			fail_msg("worker %d survived the broker (%s)", worker, ns ? "no pidns" : "pidns");
		if (!rt_gone(orphan, 3000))
			fail_msg("double-forked %d survived the broker (%s)", orphan,
			         ns ? "no pidns" : "pidns");
		close(out);
	}
}

static int teardown(void **state)
{
	(void)state;
	rt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(worker_identity_and_privileges),
		cmocka_unit_test(worker_environment_cwd_umask_fds),
		cmocka_unit_test(missing_home_and_rlimit),
		cmocka_unit_test(setuid_helper_gains_nothing),
		cmocka_unit_test(exit_statuses_and_errors),
		cmocka_unit_test(signals_are_forwarded),
		cmocka_unit_test(broker_sigkill_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
