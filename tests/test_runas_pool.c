/*
 * test_runas_pool.c — mapix-runas in pool mode (docs/protocol.md, "mapix-runas
 * pool protocol"): sessions are reused for the same user (one PAM session
 * for several commands), retired after the idle time, bounded in number
 * (one-off sessions while a user's session is busy, least recently used idle
 * session retired, refusal when all are busy); only allowed peer uids are
 * served; hostile requests close their own connection and nothing else.
 * Requests are made with `mapix-runas --connect` (the library's client) and,
 * for the hostile ones, with frames built here from the documented layout.
 * Needs root and the test users.
 */
#include "runas_testutil.h"

#include <sys/socket.h>
#include <sys/un.h>

/* The running pool, killed by the teardown if a test failed halfway. */
static pid_t pool_pid;

struct pool {
	pid_t pid;
	char sock[4300];
	char confdir[4200];
	const char *log;
};

static void set_path(struct sockaddr_un *sa, const char *path)
{
	assert_true(strlen(path) < sizeof(sa->sun_path));
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static void pool_start(struct pool *p, const char *idle, const char *max)
{
	snprintf(p->sock, sizeof(p->sock), "%s/pool.sock", rt.dir);
	p->log = rt_pam_dir(p->confdir, sizeof(p->confdir));
	const char *argv[] = {rt.bin, "--pool", p->sock, "--allow", "root", "--idle", idle,
	                      "--max-sessions", max, "--pam-service", "mapixtest",
	                      "--pam-confdir", p->confdir, NULL};
	int out;
	p->pid = rt_spawn(argv, &out);
	pool_pid = p->pid;
	close(out);
	long long end = rt_now_ms() + 5000;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	set_path(&sa, p->sock);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0)
			break;
		assert_true(rt_now_ms() < end);
		rt_sleep_ms(20);
	}
}

static void pool_stop(struct pool *p)
{
	kill(p->pid, SIGTERM);
	int st = rt_wait(p->pid, 5000);
	pool_pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(access(p->sock, F_OK), -1);
}

static void pool_run(struct pool *p, const char *user, const char *const cmd[],
                     struct rt_result *r)
{
	const char *argv[16] = {rt.bin, "--connect", p->sock, "--user", user, "--"};
	size_t k = 6;
	for (size_t i = 0; cmd[i] && k < 15; i++)
		argv[k++] = cmd[i];
	argv[k] = NULL;
	rt_run(argv, 10000, r);
}

static pid_t pool_spawn(struct pool *p, const char *user, const char *const cmd[], int *out)
{
	const char *argv[16] = {rt.bin, "--connect", p->sock, "--user", user, "--"};
	size_t k = 6;
	for (size_t i = 0; cmd[i] && k < 15; i++)
		argv[k++] = cmd[i];
	argv[k] = NULL;
	return rt_spawn(argv, out);
}

/* Waits (bounded) until the log holds want, then compares. */
static void expect_log(struct pool *p, const char *want)
{
	char got[4096];
	long long end = rt_now_ms() + 3000;
	do {
		rt_read_log(p->log, got, sizeof(got));
		if (!strcmp(got, want))
			return;
		rt_sleep_ms(20);
	} while (rt_now_ms() < end);
	assert_string_equal(got, want);
}

static void sessions_are_reused_then_retired(void **state)
{
	(void)state;
	RT_REQUIRE();
	struct pool p;
	pool_start(&p, "0.6", "4");
	char cmd[4600];
	snprintf(cmd, sizeof(cmd), "echo worker >> %s", p.log);
	const char *c1[] = {"/bin/sh", "-c", cmd, NULL};
	const char *c2[] = {rt.probe, "exit", "3", NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	pool_run(&p, "mapixt1", c1, r);
	assert_int_equal(r->status, 0);
	pool_run(&p, "mapixt1", c1, r);
	assert_int_equal(r->status, 0);
	pool_run(&p, "mapixt1", c2, r);
	assert_int_equal(WEXITSTATUS(r->status), 3);
	/* Three commands, one PAM session still open. */
	char got[4096];
	rt_read_log(p.log, got, sizeof(got));
	assert_string_equal(got, "open_session mapixt1\nworker\nworker\n");
	/* The identity is the user's, in a reused session too. */
	const char *c3[] = {rt.probe, NULL};
	pool_run(&p, "mapixt1", c3, r);
	assert_int_equal(r->status, 0);
	char want[128];
	snprintf(want, sizeof(want), "\t%u\t%u\t%u\t%u", rt.uid1, rt.uid1, rt.uid1, rt.uid1);
	assert_string_equal(rt_line(r->out, "Uid:"), want);
	assert_string_equal(rt_line(r->out, "NoNewPrivs:"), "\t1");
	assert_string_equal(rt_line(r->out, "CapEff:"), "\t0000000000000000");
	/* Idle for longer than 0.6 s: retired. */
	expect_log(&p, "open_session mapixt1\nworker\nworker\nclose_session mapixt1\n");
	pool_run(&p, "mapixt1", c2, r);
	assert_int_equal(WEXITSTATUS(r->status), 3);
	expect_log(&p, "open_session mapixt1\nworker\nworker\nclose_session mapixt1\n"
	               "open_session mapixt1\n");
	pool_stop(&p);
	expect_log(&p, "open_session mapixt1\nworker\nworker\nclose_session mapixt1\n"
	               "open_session mapixt1\nclose_session mapixt1\n");
	free(r);
}

static void sessions_are_bounded(void **state)
{
	(void)state;
	RT_REQUIRE();
	struct pool p;
	pool_start(&p, "30", "2");
	struct rt_result *r = calloc(1, sizeof(*r));
	const char *sleeper[] = {rt.probe, "sleep", "20", NULL};
	const char *exit4[] = {rt.probe, "exit", "4", NULL};
	char line[128];

	int out1;
	pid_t cl1 = pool_spawn(&p, "mapixt1", sleeper, &out1);
	assert_true(rt_read_line(out1, line, sizeof(line), 5000));
	pid_t w1 = atoi(line + 4);
	/* mapixt1's session is busy: a one-off session, closed after use. */
	pool_run(&p, "mapixt1", exit4, r);
	assert_int_equal(WEXITSTATUS(r->status), 4);
	expect_log(&p, "open_session mapixt1\nopen_session mapixt1\nclose_session mapixt1\n");

	int out2;
	pid_t cl2 = pool_spawn(&p, "mapixt2", sleeper, &out2);
	assert_true(rt_read_line(out2, line, sizeof(line), 5000));
	pid_t w2 = atoi(line + 4);
	/* Two sessions, both busy: refused, and the pool carries on. */
	pool_run(&p, "nobody", exit4, r);
	assert_int_equal(WEXITSTATUS(r->status), 125);
	assert_non_null(strstr(r->err, "session limit reached"));

	/* The commands end; both sessions idle. A third user retires the least
	 * recently used one (mapixt1's, which ended first). */
	kill(w1, SIGTERM);
	assert_int_equal(WEXITSTATUS(rt_wait(cl1, 5000)), 128 + SIGTERM);
	rt_sleep_ms(50);
	kill(w2, SIGTERM);
	assert_int_equal(WEXITSTATUS(rt_wait(cl2, 5000)), 128 + SIGTERM);
	pool_run(&p, "nobody", exit4, r);
	assert_int_equal(WEXITSTATUS(r->status), 4);
	expect_log(&p, "open_session mapixt1\nopen_session mapixt1\nclose_session mapixt1\n"
	               "open_session mapixt2\nclose_session mapixt1\nopen_session nobody\n");
	pool_stop(&p);
	char got[4096];
	rt_read_log(p.log, got, sizeof(got));
	assert_int_equal(rt_count(got, "open_session"), 4);
	assert_int_equal(rt_count(got, "close_session"), 4);
	close(out1);
	close(out2);
	free(r);
}

/* ---- frames built by hand from docs/protocol.md --------------------------- */

struct frame {
	unsigned char b[80000];
	size_t n;
};

static void fr_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void fr_start(struct frame *f, unsigned version, unsigned type)
{
	f->n = 8;
	fr_le(f->b + 4, version, 2);
	fr_le(f->b + 6, type, 2);
	fr_le(f->b, 8, 4);
}

static void fr_field(struct frame *f, unsigned tag, const void *data, size_t len)
{
	fr_le(f->b + f->n, tag, 2);
	fr_le(f->b + f->n + 2, (uint32_t)len, 2);
	memcpy(f->b + f->n + 4, data, len);
	f->n += 4 + len;
	fr_le(f->b, (uint32_t)f->n, 4);
}

static void fr_str(struct frame *f, unsigned tag, const char *s)
{
	fr_field(f, tag, s, strlen(s));
}

static void fr_run(struct frame *f, const char *user)
{
	fr_start(f, 1, 1);
	fr_str(f, 1, user);
	fr_str(f, 2, "/bin/true");
}

static int pool_connect(struct pool *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	set_path(&sa, p->sock);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int send_frame(int fd, const struct frame *f, int nfds)
{
	int fds[8];
	for (int i = 0; i < nfds; i++)
		fds[i] = i % 3;
	struct iovec iov = {.iov_base = (void *)f->b, .iov_len = f->n};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Reads replies until the broker closes the connection (true) or 3 s pass. */
static bool closed_by_broker(int fd, char *reply, size_t size)
{
	reply[0] = 0;
	long long end = rt_now_ms() + 3000;
	while (rt_now_ms() < end) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		unsigned char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return true;
		/* Keep the text of an ERROR field (tag 6) for the caller. */
		for (size_t off = 8; off + 4 <= (size_t)n;) {
			size_t tag = buf[off] | buf[off + 1] << 8, len = buf[off + 2] | buf[off + 3] << 8;
			if (off + 4 + len > (size_t)n)
				break;
			if (tag == 6 && len < size) {
				memcpy(reply, buf + off + 4, len);
				reply[len] = 0;
			}
			off += 4 + len;
		}
	}
	return false;
}

static void hostile_requests_close_only_their_connection(void **state)
{
	(void)state;
	RT_REQUIRE();
	struct pool p;
	pool_start(&p, "30", "2");
	struct frame *f = calloc(1, sizeof(*f));
	char reply[512];
	/* A well-behaved connection stays open across all of this. */
	int good = pool_connect(&p);

	struct {
		const char *what;
		int nfds;
	} cases[] = {{"length prefix too large", 3}, {"length prefix too small", 3},
	             {"unknown version", 3},          {"too many descriptors", 5},
	             {"no descriptors", 0},           {"field overruns the frame", 3},
	             {"oversized frame", 3},          {"no user", 3},
	             {"NUL in the user name", 3},     {"not a run request", 3},
	             {"unknown user", 3},             {"root as the user", 3}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fr_run(f, "mapixt1");
		switch (i) {
		case 0: fr_le(f->b, (uint32_t)f->n + 10, 4); break;
		case 1: fr_le(f->b, (uint32_t)f->n - 1, 4); break;
		case 2: fr_le(f->b + 4, 2, 2); break;
		case 5: fr_le(f->b + 10, 200, 2); break; /* the USER field's length */
		case 6:
			while (f->n < 70000)
				fr_str(f, 3, "MAPIX_PAD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
			break;
		case 7:
			fr_start(f, 1, 1);
			fr_str(f, 2, "/bin/true");
			break;
		case 8:
			fr_start(f, 1, 1);
			fr_field(f, 1, "mapixt1\0x", 9);
			fr_str(f, 2, "/bin/true");
			break;
		case 9: fr_le(f->b + 6, 3, 2); break; /* a SETUP frame from a client */
		case 10: fr_run(f, "no-such-user-xyz"); break;
		case 11: fr_run(f, "root"); break;
		default: break;
		}
		int fd = pool_connect(&p);
		assert_int_equal(send_frame(fd, f, cases[i].nfds), 0);
		if (!closed_by_broker(fd, reply, sizeof(reply)))
			fail_msg("connection not closed after: %s", cases[i].what);
		if (i == 10)
			assert_string_equal(reply, "runas: unknown user no-such-user-xyz");
		if (i == 11)
			assert_string_equal(reply, "runas: the pool does not run commands as root");
		close(fd);
	}

	/* A peer uid that is not allowed is closed without a reply. */
	pid_t pid = fork();
	if (pid == 0) {
		gid_t g = rt.gid1;
		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
		    setresuid(rt.uid2, rt.uid2, rt.uid2) < 0)
			_exit(2);
		int fd = pool_connect(&p);
		fr_run(f, "mapixt2");
		/* The broker may have closed it before the request is sent. */
		if (send_frame(fd, f, 3) < 0)
			_exit(errno == EPIPE || errno == ECONNRESET ? 0 : 3);
		_exit(closed_by_broker(fd, reply, sizeof(reply)) && !reply[0] ? 0 : 4);
	}
	assert_int_equal(rt_wait(pid, 5000), 0);

	/* The good connection and the broker still work. */
	fr_run(f, "mapixt1");
	assert_int_equal(send_frame(good, f, 3), 0);
	unsigned char buf[256];
	struct pollfd pf = {.fd = good, .events = POLLIN};
	assert_int_equal(poll(&pf, 1, 5000), 1);
	ssize_t n = recv(good, buf, sizeof(buf), 0);
	/* RESULT (type 2) with EXIT (tag 4) = 0. */
	assert_int_equal(n, 16);
	assert_int_equal(buf[6], 2);
	assert_int_equal(buf[8], 4);
	assert_int_equal(buf[12] | buf[13] | buf[14] | buf[15], 0);
	close(good);
	const char *c[] = {rt.probe, "exit", "5", NULL};
	struct rt_result *r = calloc(1, sizeof(*r));
	pool_run(&p, "mapixt1", c, r);
	assert_int_equal(WEXITSTATUS(r->status), 5);
	pool_stop(&p);
	free(r);
	free(f);
}

static int teardown(void **state)
{
	(void)state;
	if (pool_pid > 0) {
		kill(pool_pid, SIGTERM);
		if (rt_wait(pool_pid, 3000) == -1) {
			kill(pool_pid, SIGKILL);
			rt_wait(pool_pid, 3000);
		}
	}
	rt_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sessions_are_reused_then_retired),
		cmocka_unit_test(sessions_are_bounded),
		cmocka_unit_test(hostile_requests_close_only_their_connection),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
