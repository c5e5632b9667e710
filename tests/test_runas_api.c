/*
 * test_runas_api.c — libmapix-runas, the C API for services that embed the
 * broker (include/mapix/mapixrunas.h): a session runs several commands as
 * its user, a control descriptor reaches the worker as descriptor 3, signals
 * reach the command, closing a session kills what still runs, errors come
 * back with errno and a message, and sessions can be opened from several
 * threads at once (only async-signal-safe code runs between fork and exec).
 *
 * The library is loaded from the build tree with dlopen, the way it is
 * found at run time by a service, so this test needs no extra link rule.
 * Needs root and the test users.
 */
#include "runas_testutil.h"

#include <dlfcn.h>
#include <mapix/mapixrunas.h>
#include <pthread.h>

static struct {
	void *h;
	__typeof__(mapix_runas_options_init) *options_init;
	__typeof__(mapix_runas_open) *open;
	__typeof__(mapix_runas_start) *start;
	__typeof__(mapix_runas_wait) *wait;
	__typeof__(mapix_runas_kill) *kill;
	__typeof__(mapix_runas_close) *close;
	__typeof__(mapix_spawn_as) *spawn_as;
	__typeof__(mapix_runas_last_error) *last_error;
} api;

static const char *load_api(void)
{
	if (api.h)
		return NULL;
	api.h = dlopen(rt.lib, RTLD_NOW | RTLD_LOCAL);
	if (!api.h)
		return "libmapix-runas.so is not built";
	api.options_init = (__typeof__(api.options_init))dlsym(api.h, "mapix_runas_options_init");
	api.open = (__typeof__(api.open))dlsym(api.h, "mapix_runas_open");
	api.start = (__typeof__(api.start))dlsym(api.h, "mapix_runas_start");
	api.wait = (__typeof__(api.wait))dlsym(api.h, "mapix_runas_wait");
	api.kill = (__typeof__(api.kill))dlsym(api.h, "mapix_runas_kill");
	api.close = (__typeof__(api.close))dlsym(api.h, "mapix_runas_close");
	api.spawn_as = (__typeof__(api.spawn_as))dlsym(api.h, "mapix_spawn_as");
	api.last_error = (__typeof__(api.last_error))dlsym(api.h, "mapix_runas_last_error");
	return NULL;
}

#define API_REQUIRE()                                 \
	do {                                              \
		RT_REQUIRE();                                 \
		const char *w_ = load_api();                  \
		if (w_)                                       \
			MAPIX_SKIP("%s", w_);                     \
	} while (0)

static void options(MAPIX_RUNAS_OPTIONS *o)
{
	api.options_init(o);
	o->helper_path = rt.bin;
}

static void exported_symbols(void **state)
{
	(void)state;
	API_REQUIRE();
	assert_non_null(api.options_init);
	assert_non_null(api.open);
	assert_non_null(api.start);
	assert_non_null(api.wait);
	assert_non_null(api.kill);
	assert_non_null(api.close);
	assert_non_null(api.spawn_as);
	assert_non_null(api.last_error);
	assert_non_null(dlsym(api.h, "mapix_runas_pool_run"));
	assert_non_null(dlsym(api.h, "mapix_runas_fd"));
	assert_non_null(dlsym(api.h, "mapix_runas_monitor_pid"));
	/* Internals stay hidden. */
	assert_null(dlsym(api.h, "runas_frame_recv"));
	assert_null(dlsym(api.h, "runas_ident_resolve"));
}

static void session_runs_commands_with_control_fd(void **state)
{
	(void)state;
	API_REQUIRE();
	MAPIX_RUNAS_OPTIONS o;
	options(&o);
	MAPIX_RUNAS_SESSION *s;
	assert_int_equal(api.open("mapixt1", &o, &s), 0);

	int ctl[2], outp[2];
	assert_int_equal(pipe2(ctl, O_CLOEXEC), 0);
	assert_int_equal(pipe2(outp, O_CLOEXEC), 0);
	const char *a1[] = {rt.probe, "write3", "hello", NULL};
	assert_int_equal(api.start(s, a1, NULL, -1, outp[1], -1, ctl[1]), 0);
	int st = -1;
	assert_int_equal(api.wait(s, &st), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(ctl[1]);
	char buf[64] = {0};
	assert_int_equal(read(ctl[0], buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "hello");
	close(ctl[0]);

	/* The same session again: the worker has 0-3 and the variable. */
	assert_int_equal(pipe2(ctl, O_CLOEXEC), 0);
	const char *a2[] = {rt.probe, NULL};
	const char *env[] = {"MAPIX_DEBUG=2", "PATH=/evil", "LD_PRELOAD=/x.so", NULL};
	assert_int_equal(api.start(s, a2, env, -1, outp[1], -1, ctl[1]), 0);
	assert_int_equal(api.wait(s, &st), 0);
	assert_int_equal(st, 0);
	close(outp[1]);
	close(ctl[1]);
	close(ctl[0]);
	static char out[65536];
	ssize_t n, total = 0;
	while ((n = read(outp[0], out + total, sizeof(out) - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = 0;
	close(outp[0]);
	assert_int_equal(rt_count(out, "fd "), 4);
	assert_non_null(rt_line(out, "fd 3"));
	assert_string_equal(rt_line(out, "env MAPIX_RUNAS_CONTROL_FD="), "3");
	assert_string_equal(rt_line(out, "env MAPIX_DEBUG="), "2");
	assert_string_equal(rt_line(out, "env PATH="), "/usr/local/bin:/usr/bin:/bin");
	assert_null(rt_line(out, "env LD_PRELOAD="));
	char want[64];
	snprintf(want, sizeof(want), "\t%u\t%u\t%u\t%u", rt.uid1, rt.uid1, rt.uid1, rt.uid1);
	assert_string_equal(rt_line(out, "Uid:"), want);

	/* One command at a time. */
	const char *a3[] = {rt.probe, "sleep", "20", NULL};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(api.start(s, a3, NULL, -1, devnull, -1, -1), 0);
	assert_int_equal(api.start(s, a3, NULL, -1, devnull, -1, -1), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(api.kill(s, SIGUSR1), 0);
	assert_int_equal(api.wait(s, &st), 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGUSR1);
	close(devnull);
	assert_int_equal(api.close(s), 0);
}

static void close_kills_running_command(void **state)
{
	(void)state;
	API_REQUIRE();
	MAPIX_RUNAS_OPTIONS o;
	options(&o);
	MAPIX_RUNAS_SESSION *s;
	int outp[2];
	assert_int_equal(pipe2(outp, O_CLOEXEC), 0);
	assert_int_equal(api.open("mapixt1", &o, &s), 0);
	const char *a[] = {rt.probe, "escape", NULL};
	assert_int_equal(api.start(s, a, NULL, -1, outp[1], -1, -1), 0);
	close(outp[1]);
	char l1[64], l2[64];
	assert_true(rt_read_line(outp[0], l1, sizeof(l1), 5000));
	assert_true(rt_read_line(outp[0], l2, sizeof(l2), 5000));
	pid_t worker = atoi(strchr(l1, ' ') + 1), orphan = atoi(strchr(l2, ' ') + 1);
	assert_int_equal(kill(orphan, 0), 0);
	assert_int_equal(api.close(s), 0);
	assert_true(rt_gone(worker, 3000));
	assert_true(rt_gone(orphan, 3000));
	close(outp[0]);
}

static void errors_have_errno_and_message(void **state)
{
	(void)state;
	API_REQUIRE();
	MAPIX_RUNAS_OPTIONS o;
	options(&o);
	MAPIX_RUNAS_SESSION *s = (MAPIX_RUNAS_SESSION *)&o;
	assert_int_equal(api.open("no-such-user-xyz", &o, &s), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(s);
	assert_string_equal(api.last_error(), "runas: unknown user no-such-user-xyz");

	o.helper_path = "/nonexistent/mapix-runas";
	assert_int_equal(api.open("mapixt1", &o, &s), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(api.last_error(), "/nonexistent/mapix-runas"));

	options(&o);
	const char *missing[] = {"/nonexistent/cmd", NULL};
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(api.open("mapixt1", &o, &s), 0);
	assert_int_equal(api.start(s, missing, NULL, -1, devnull, devnull, -1), 0);
	int st;
	assert_int_equal(api.wait(s, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_non_null(strstr(api.last_error(), "cannot execute /nonexistent/cmd as mapixt1"));
	assert_int_equal(api.wait(s, &st), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(api.kill(s, SIGTERM), -1);
	assert_int_equal(errno, ESRCH);
	api.close(s);
	close(devnull);

	const char *none[] = {NULL};
	assert_int_equal(api.spawn_as("mapixt1", none, &o, &s), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(api.close(NULL), 0);
}

struct job {
	int n;
	int status;
	int rc;
};

static void *thread_job(void *arg)
{
	struct job *j = arg;
	MAPIX_RUNAS_OPTIONS o;
	options(&o);
	char code[16];
	snprintf(code, sizeof(code), "%d", j->n);
	const char *a[] = {rt.probe, "exit", code, NULL};
	MAPIX_RUNAS_SESSION *s;
	j->rc = api.spawn_as(j->n % 2 ? "mapixt1" : "mapixt2", a, &o, &s);
	if (j->rc == 0) {
		j->rc = api.wait(s, &j->status);
		api.close(s);
	}
	return NULL;
}

static void sessions_from_many_threads(void **state)
{
	(void)state;
	API_REQUIRE();
	enum { N = 6 };
	pthread_t t[N];
	struct job jobs[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (struct job){.n = 10 + i, .rc = -2};
		assert_int_equal(pthread_create(&t[i], NULL, thread_job, &jobs[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(jobs[i].rc, 0);
		assert_true(WIFEXITED(jobs[i].status));
		assert_int_equal(WEXITSTATUS(jobs[i].status), 10 + i);
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
		cmocka_unit_test(exported_symbols),
		cmocka_unit_test(session_runs_commands_with_control_fd),
		cmocka_unit_test(close_kills_running_command),
		cmocka_unit_test(errors_have_errno_and_message),
		cmocka_unit_test(sessions_from_many_threads),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
