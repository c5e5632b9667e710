/*
 * runas_main.c — the mapix-runas program (docs/runas.md):
 *
 *   mapix-runas --user NAME [options] -- COMMAND ARGS...      run one command
 *   mapix-runas --pool SOCKET --allow UID_OR_USER... [options] pool broker
 *   mapix-runas --connect SOCKET --user NAME -- COMMAND ARGS... pool client
 *
 * `--monitor FD PPID` is internal: libmapix-runas executes the program that
 * way as each session's monitor. Errors are one line on stderr; the exit
 * status is the command's (128+N when killed by signal N), 125 when
 * mapix-runas itself failed, 126/127 when the command could not be run.
 */
#include "runas.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_OPT_LIST 64

static void usage(FILE *to)
{
	fputs("usage: mapix-runas --user NAME [--pam-service S] [--pam-confdir DIR]\n"
	      "                   [--rlimit NAME=VALUE]... [--keep-env MAPIX_NAME]... [--no-pidns]\n"
	      "                   -- COMMAND [ARGS...]\n"
	      "       mapix-runas --pool SOCKET --allow UID_OR_USER... [--max-sessions N]\n"
	      "                   [--idle SECONDS] [session options as above]\n"
	      "       mapix-runas --connect SOCKET --user NAME -- COMMAND [ARGS...]\n",
	      to);
}

static int die(const char *msg)
{
	fprintf(stderr, "mapix-runas: %s\n", msg);
	return 125;
}

static const char *strip(const char *msg)
{
	return strncmp(msg, "runas: ", 7) ? msg : msg + 7;
}

static int exit_code(int st)
{
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static bool may_change_identity(void)
{
	if (geteuid() == 0)
		return true;
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	unsigned want = 1u << CAP_SETUID | 1u << CAP_SETGID;
	return (d[0].effective & want) == want;
}

static int sigpipe_fds[2] = {-1, -1};

/* Signals sent by someone (kill, a service manager) are forwarded; those
 * the terminal generated already reached the command in the same process
 * group, and forwarding them would deliver them twice. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si && si->si_code == SI_KERNEL)
		return;
	unsigned char b = (unsigned char)sig;
	int e = errno;
	ssize_t w = write(sigpipe_fds[1], &b, 1);
	(void)w;
	errno = e;
}

static int run_one(const char *user, char **cmd, const MAPIX_RUNAS_OPTIONS *opt)
{
	if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return die("cannot create a pipe");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaction(fwd[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	MAPIX_RUNAS_SESSION *s;
	if (mapix_spawn_as(user, (const char *const *)cmd, opt, &s) < 0)
		return die(strip(mapix_runas_last_error()));
	int st = 0, rc = 0;
	for (;;) {
		struct pollfd pf[2] = {{.fd = mapix_runas_fd(s), .events = POLLIN},
		                       {.fd = sigpipe_fds[0], .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & POLLIN) {
			unsigned char b;
			while (read(sigpipe_fds[0], &b, 1) == 1)
				mapix_runas_kill(s, b);
		}
		if (pf[0].revents) {
			rc = mapix_runas_wait(s, &st);
			break;
		}
	}
	if (rc < 0)
		fprintf(stderr, "mapix-runas: %s\n", strip(mapix_runas_last_error()));
	mapix_runas_close(s);
	return exit_code(st);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--monitor")) {
		unsigned long fd, pp;
		if (parse_uint(argv[2], INT_MAX, &fd) < 0 || parse_uint(argv[3], INT_MAX, &pp) < 0)
			return die("bad --monitor arguments");
		return runas_monitor_main((int)fd, (pid_t)pp);
	}

	const char *user = NULL, *pool = NULL, *connect_to = NULL;
	MAPIX_RUNAS_OPTIONS opt;
	mapix_runas_options_init(&opt);
	MAPIX_RUNAS_LIMIT limits[MAX_OPT_LIST];
	const char *keep[MAX_OPT_LIST + 1] = {0};
	uid_t allowed[MAX_OPT_LIST];
	size_t nkeep = 0, nallowed = 0;
	unsigned long max_sessions = 16;
	double idle = 60;
	char errbuf[600];
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--no-pidns")) {
			opt.flags |= MAPIX_RUNAS_NO_PIDNS;
			continue;
		}
		if (a[0] != '-')
			break;
		if (i + 1 >= argc) {
			snprintf(errbuf, sizeof(errbuf), "%s needs a value (see --help)", a);
			return die(errbuf);
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--user")) {
			user = v;
		} else if (!strcmp(a, "--pam-service")) {
			opt.pam_service = v;
		} else if (!strcmp(a, "--pam-confdir")) {
			opt.pam_confdir = v;
		} else if (!strcmp(a, "--rlimit")) {
			if (opt.n_limits == MAX_OPT_LIST)
				return die("too many --rlimit options");
			if (runas_rlimit_parse(v, &limits[opt.n_limits]) < 0)
				return die(strip(mapix_runas_last_error()));
			opt.n_limits++;
		} else if (!strcmp(a, "--keep-env")) {
			if (strncmp(v, "MAPIX_", 6) || strchr(v, '='))
				return die("--keep-env takes a MAPIX_* variable name");
			if (nkeep == MAX_OPT_LIST)
				return die("too many --keep-env options");
			keep[nkeep++] = v;
		} else if (!strcmp(a, "--pool")) {
			pool = v;
		} else if (!strcmp(a, "--connect")) {
			connect_to = v;
		} else if (!strcmp(a, "--allow")) {
			if (nallowed == MAX_OPT_LIST)
				return die("too many --allow options");
			if (runas_uid_parse(v, &allowed[nallowed]) < 0)
				return die(strip(mapix_runas_last_error()));
			nallowed++;
		} else if (!strcmp(a, "--max-sessions")) {
			if (parse_uint(v, 4096, &max_sessions) < 0 || max_sessions == 0)
				return die("--max-sessions takes a number from 1 to 4096");
		} else if (!strcmp(a, "--idle")) {
			char *end;
			idle = strtod(v, &end);
			if (*end || !(idle >= 0 && idle < 86400 * 365))
				return die("--idle takes a number of seconds");
		} else {
			snprintf(errbuf, sizeof(errbuf), "unknown option %s (see --help)", a);
			return die(errbuf);
		}
	}
	opt.limits = limits;
	opt.keep_env = keep;
	char **cmd = argv + i;

	if (connect_to) {
		if (!user || !*cmd)
			return die("--connect needs --user and a command");
		int st;
		if (mapix_runas_pool_run(connect_to, user, (const char *const *)cmd,
		                         (const char *const *)environ, 0, 1, 2, &st) < 0)
			fprintf(stderr, "mapix-runas: %s\n", strip(mapix_runas_last_error()));
		return exit_code(st);
	}
	if (!may_change_identity())
		return die("must run as root or with CAP_SETUID and CAP_SETGID");
	/* The monitor is this same program. */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return die("cannot find its own program in /proc/self/exe");
	self[n] = 0;
	opt.helper_path = self;

	if (pool) {
		if (*cmd || user)
			return die("--pool takes no --user and no command");
		if (!nallowed)
			return die("--pool needs at least one --allow UID_OR_USER");
		struct runas_pool_config cfg = {.socket_path = pool, .allowed = allowed,
		                                .n_allowed = nallowed,
		                                .max_sessions = (unsigned)max_sessions,
		                                .idle_ms = (unsigned)(idle * 1000), .opts = opt};
		if (runas_pool_serve(&cfg) < 0)
			return die(strip(mapix_runas_last_error()));
		return 0;
	}
	if (!user)
		return die("--user NAME is required (see --help)");
	if (!*cmd)
		return die("no command given after --");
	return run_one(user, cmd, &opt);
}
