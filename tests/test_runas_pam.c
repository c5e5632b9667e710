/*
 * test_runas_pam.c — mapix-runas with a PAM service, through a private PAM
 * configuration directory (pam_start_confdir; /etc/pam.d is not touched):
 * the session is opened before the worker runs and closed after it, also
 * when the worker is killed by a signal or the broker by SIGKILL; the PAM
 * environment reaches the worker; an expired password is a clear refusal.
 * Needs root and the test users.
 */
#include "runas_testutil.h"

static void session_opened_and_closed_around_worker(void **state)
{
	(void)state;
	RT_REQUIRE();
	char confdir[4200], cmd[8800], got[4096];
	const char *log = rt_pam_dir(confdir, sizeof(confdir));
	snprintf(cmd, sizeof(cmd), "echo worker >> %s; echo \"pamvar=$MAPIX_PAMVAR\"", log);
	const char *argv[] = {rt.bin, "--user", "mapixt1", "--pam-service", "mapixtest",
	                      "--pam-confdir", confdir, "--", "/bin/sh", "-c", cmd, NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	rt_run(argv, 10000, r);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->out, "pamvar=frompam\n");
	rt_read_log(log, got, sizeof(got));
	assert_string_equal(got, "open_session mapixt1\nworker\nclose_session mapixt1\n");

	/* A worker that crashes (SIGABRT: sanitizer builds catch SIGSEGV): the
	 * session is still closed. */
	FILE *f = fopen(log, "w");
	fclose(f);
	const char *crash[] = {rt.bin, "--user", "mapixt1", "--pam-service", "mapixtest",
	                       "--pam-confdir", confdir, "--", rt.probe, "raise", "6", NULL};
	rt_run(crash, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 128 + SIGABRT);
	rt_read_log(log, got, sizeof(got));
	assert_string_equal(got, "open_session mapixt1\nclose_session mapixt1\n");
	free(r);
}

static void expired_password_is_refused(void **state)
{
	(void)state;
	RT_REQUIRE();
	char confdir[4200];
	rt_pam_dir(confdir, sizeof(confdir));
	const char *argv[] = {rt.bin, "--user", "mapixt2", "--pam-service", "mapixexp",
	                      "--pam-confdir", confdir, "--", rt.probe, NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	rt_run(argv, 10000, r);
	assert_int_equal(WEXITSTATUS(r->status), 125);
	assert_string_equal(r->out, "");
	assert_non_null(strstr(r->err, "password of mapixt2 has expired"));
	assert_int_equal(rt_count(r->err, "mapix-runas: "), 1);
	free(r);
}

static void broker_killed_closes_session(void **state)
{
	(void)state;
	RT_REQUIRE();
	char confdir[4200], got[4096];
	const char *log = rt_pam_dir(confdir, sizeof(confdir));
	const char *argv[] = {rt.bin, "--user", "mapixt1", "--pam-service", "mapixtest",
	                      "--pam-confdir", confdir, "--", rt.probe, "sleep", "30", NULL};
	int out;
	pid_t broker = rt_spawn(argv, &out);
	char line[128];
	assert_true(rt_read_line(out, line, sizeof(line), 5000));
	pid_t worker = atoi(line + 4);
	rt_read_log(log, got, sizeof(got));
	assert_string_equal(got, "open_session mapixt1\n");
	assert_int_equal(kill(broker, SIGKILL), 0);
	assert_true(rt_wait(broker, 5000) != -1);
	assert_true(rt_gone(worker, 3000));
	long long end = rt_now_ms() + 3000;
	do {
		rt_read_log(log, got, sizeof(got));
		if (strstr(got, "close_session"))
			break;
		rt_sleep_ms(20);
	} while (rt_now_ms() < end);
	assert_string_equal(got, "open_session mapixt1\nclose_session mapixt1\n");
	close(out);
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
		cmocka_unit_test(session_opened_and_closed_around_worker),
		cmocka_unit_test(expired_password_is_refused),
		cmocka_unit_test(broker_killed_closes_session),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
