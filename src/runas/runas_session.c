/*
 * runas_session.c — the broker side of a session (libmapix-runas): resolves
 * the user, forks and executes the monitor (the mapix-runas program in
 * --monitor mode), and talks to it over a socket pair.
 *
 * Between fork and execve the child only makes async-signal-safe calls and
 * raw system calls, so a multi-threaded service may embed this: everything
 * that allocates or looks anything up (the user database, the environment,
 * the frames) is prepared before fork. PAM and the identity change then run
 * in the freshly executed, single-threaded monitor.
 */
#include "runas.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAPIX_RUNAS_HELPER
#define MAPIX_RUNAS_HELPER "/usr/local/sbin/mapix-runas"
#endif

extern char **environ;

struct MAPIX_RUNAS_SESSION {
	int ctl;
	pid_t monitor;
	bool busy;
	struct runas_frame *frame;
};

MAPIX_RUNAS_API void mapix_runas_options_init(MAPIX_RUNAS_OPTIONS *opt)
{
	memset(opt, 0, sizeof(*opt));
}

static void put_setup(struct runas_frame *f, const struct runas_ident *id,
                      const MAPIX_RUNAS_OPTIONS *opt)
{
	runas_frame_put_str(f, RUNAS_TAG_USER, id->name);
	runas_frame_put_u32(f, RUNAS_TAG_UID, id->uid);
	runas_frame_put_u32(f, RUNAS_TAG_GID, id->gid);
	for (int i = 0; i < id->ngroups; i++)
		runas_frame_put_u32(f, RUNAS_TAG_GROUP, id->groups[i]);
	runas_frame_put_str(f, RUNAS_TAG_HOME, id->home);
	runas_frame_put_str(f, RUNAS_TAG_SHELL, id->shell);
	if (opt->pam_service)
		runas_frame_put_str(f, RUNAS_TAG_PAM_SERVICE, opt->pam_service);
	if (opt->pam_confdir)
		runas_frame_put_str(f, RUNAS_TAG_PAM_CONFDIR, opt->pam_confdir);
	for (size_t i = 0; i < opt->n_limits; i++) {
		unsigned char b[12];
		uint32_t r = (uint32_t)opt->limits[i].resource;
		uint64_t v = opt->limits[i].value;
		for (int k = 0; k < 4; k++)
			b[k] = (unsigned char)(r >> (8 * k));
		for (int k = 0; k < 8; k++)
			b[4 + k] = (unsigned char)(v >> (8 * k));
		runas_frame_put(f, RUNAS_TAG_RLIMIT, b, sizeof(b));
	}
	runas_frame_put_u32(f, RUNAS_TAG_FLAGS, opt->flags);
	for (const char *const *k = opt->keep_env; k && *k; k++)
		runas_frame_put_str(f, RUNAS_TAG_KEEP_ENV, *k);
}

/* The monitor's environment: a fixed PATH, the locale, and the sanitizer
 * settings so that instrumented builds behave the same in every process. */
static char **monitor_env(void)
{
	static const char *const pass[] = {"LANG", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS",
	                                   "LSAN_OPTIONS"};
	size_t n = sizeof(pass) / sizeof(pass[0]);
	char **env = calloc(n + 2, sizeof(char *));
	if (!env)
		return NULL;
	size_t k = 0;
	env[k++] = strdup("PATH=" RUNAS_PATH);
	for (size_t i = 0; i < n; i++) {
		const char *v = getenv(pass[i]);
		if (!v)
			continue;
		size_t l = strlen(pass[i]) + strlen(v) + 2;
		env[k] = malloc(l);
		if (env[k])
			snprintf(env[k++], l, "%s=%s", pass[i], v);
	}
	return env;
}

static void free_env(char **env)
{
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}

/* The child between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn))
exec_monitor(const char *helper, char *const argv[], char *const envp[], int sock, pid_t parent)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	/* The monitor learns about the broker's death twice: this signal, and
	 * the end of its control socket. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(125);
	if (sock == 3) {
		if (fcntl(3, F_SETFD, 0) < 0)
			_exit(125);
	} else if (dup2(sock, 3) < 0) {
		_exit(125);
	}
	if (syscall(SYS_close_range, 4u, ~0u, 0u) < 0)
		for (int fd = 4; fd < 4096; fd++)
			close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(helper, argv, envp);
	_exit(127);
}

static int wait_monitor(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static int read_reply(MAPIX_RUNAS_SESSION *s, const char *user)
{
	int fds[1], nfds;
	int r = runas_frame_recv(s->ctl, s->frame, fds, 0, &nfds);
	if (r < 0)
		return -1;
	if (r == 0) {
		int st = wait_monitor(s->monitor);
		s->monitor = -1;
		return runas_fail(ECHILD, "runas: the monitor for %s ended (status %d) before the "
		                  "session was open", user, st);
	}
	if (runas_frame_type(s->frame) == RUNAS_MSG_READY)
		return 0;
	char *msg = NULL;
	uint32_t err = EACCES;
	size_t off = 0;
	struct runas_field fl;
	while (runas_frame_next(s->frame, &off, &fl) > 0) {
		if (fl.tag == RUNAS_TAG_ERROR && !msg)
			msg = runas_field_str(&fl);
		else if (fl.tag == RUNAS_TAG_ERRNO)
			runas_field_u32(&fl, &err);
	}
	runas_fail((int)err, "%s", msg ? msg : "runas: the monitor refused the session");
	free(msg);
	return -1;
}

MAPIX_RUNAS_API int mapix_runas_open(const char *user, const MAPIX_RUNAS_OPTIONS *opt,
                                     MAPIX_RUNAS_SESSION **out)
{
	MAPIX_RUNAS_OPTIONS none;
	if (!opt) {
		mapix_runas_options_init(&none);
		opt = &none;
	}
	*out = NULL;
	runas_clear_error();
	const char *helper = opt->helper_path ? opt->helper_path : MAPIX_RUNAS_HELPER;
	if (access(helper, X_OK) < 0)
		return runas_fail(errno, "runas: cannot run the helper %s: %s", helper, strerror(errno));
	struct runas_ident id;
	if (runas_ident_resolve(user, &id) < 0)
		return -1;
	MAPIX_RUNAS_SESSION *s = calloc(1, sizeof(*s));
	char **envp = monitor_env();
	if (s)
		s->frame = runas_frame_new(RUNAS_MSG_SETUP);
	if (!s || !s->frame || !envp) {
		runas_ident_free(&id);
		free_env(envp);
		if (s)
			free(s->frame);
		free(s);
		return runas_fail(ENOMEM, "runas: out of memory");
	}
	put_setup(s->frame, &id, opt);
	runas_ident_free(&id);
	if (s->frame->overflow) {
		free_env(envp);
		free(s->frame);
		free(s);
		return runas_fail(E2BIG, "runas: session set-up for %s too large", user);
	}

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = errno;
		free_env(envp);
		free(s->frame);
		free(s);
		return runas_fail(e, "runas: socketpair: %s", strerror(e));
	}
	pid_t parent = getpid();
	char ppid[24], fdnum[] = "3";
	snprintf(ppid, sizeof(ppid), "%d", (int)parent);
	char *argv[] = {(char *)"mapix-runas", (char *)"--monitor", fdnum, ppid, NULL};

	/* Signals stay blocked across fork so that none of the embedding
	 * program's handlers can run in the child before execve. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		exec_monitor(helper, argv, envp, sv[1], parent);
	int fork_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	free_env(envp);
	if (pid < 0) {
		close(sv[0]);
		free(s->frame);
		free(s);
		return runas_fail(fork_errno, "runas: fork: %s", strerror(fork_errno));
	}
	s->ctl = sv[0];
	s->monitor = pid;
	if (runas_frame_send(s->ctl, s->frame, NULL, 0) < 0 || read_reply(s, user) < 0) {
		int e = errno;
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", mapix_runas_last_error());
		mapix_runas_close(s);
		return runas_fail(e, "%s", msg);
	}
	*out = s;
	return 0;
}

MAPIX_RUNAS_API int mapix_runas_start(MAPIX_RUNAS_SESSION *s, const char *const argv[],
                                      const char *const env[], int in, int out, int err,
                                      int control_fd)
{
	runas_clear_error();
	if (!s || !argv || !argv[0] || !argv[0][0])
		return runas_fail(EINVAL, "runas: no command given");
	if (s->busy)
		return runas_fail(EBUSY, "runas: the session is already running a command");
	if (s->ctl < 0)
		return runas_fail(EPIPE, "runas: the session has ended");
	runas_frame_reset(s->frame, RUNAS_MSG_RUN);
	for (size_t i = 0; argv[i]; i++)
		runas_frame_put_str(s->frame, RUNAS_TAG_ARG, argv[i]);
	/* The monitor applies the exact allow-list; this only keeps the
	 * caller's whole environment from being copied into the frame. */
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "LANG=", 5) || !strncmp(env[i], "TZ=", 3) ||
		    !strncmp(env[i], "MAPIX_", 6))
			runas_frame_put_str(s->frame, RUNAS_TAG_ENV, env[i]);
	int fds[RUNAS_MAX_FDS] = {in < 0 ? 0 : in, out < 0 ? 1 : out, err < 0 ? 2 : err,
	                          control_fd};
	if (runas_frame_send(s->ctl, s->frame, fds, control_fd < 0 ? 3 : 4) < 0)
		return -1;
	s->busy = true;
	return 0;
}

MAPIX_RUNAS_API int mapix_runas_wait(MAPIX_RUNAS_SESSION *s, int *status)
{
	runas_clear_error();
	if (!s || !s->busy)
		return runas_fail(ECHILD, "runas: no command is running in this session");
	int fds[1], nfds;
	int r = runas_frame_recv(s->ctl, s->frame, fds, 0, &nfds);
	s->busy = false;
	if (r <= 0 || runas_frame_type(s->frame) != RUNAS_MSG_RESULT) {
		*status = SIGKILL;
		if (r < 0)
			return -1;
		return runas_fail(EPIPE, "runas: the monitor ended while the command was running");
	}
	uint32_t code = 0, sig = 0, err = 0;
	char *msg = NULL;
	size_t off = 0;
	struct runas_field fl;
	while (runas_frame_next(s->frame, &off, &fl) > 0) {
		if (fl.tag == RUNAS_TAG_EXIT)
			runas_field_u32(&fl, &code);
		else if (fl.tag == RUNAS_TAG_SIGNAL)
			runas_field_u32(&fl, &sig);
		else if (fl.tag == RUNAS_TAG_ERRNO)
			runas_field_u32(&fl, &err);
		else if (fl.tag == RUNAS_TAG_ERROR && !msg)
			msg = runas_field_str(&fl);
	}
	*status = sig ? (int)(sig & 0x7f) : (int)((code & 0xff) << 8);
	if (msg) {
		runas_fail(err ? (int)err : EIO, "%s", msg);
		free(msg);
		return -1;
	}
	return 0;
}

MAPIX_RUNAS_API int mapix_runas_fd(const MAPIX_RUNAS_SESSION *s)
{
	return s ? s->ctl : -1;
}

bool runas_session_busy(const MAPIX_RUNAS_SESSION *s)
{
	return s->busy;
}

MAPIX_RUNAS_API int mapix_runas_kill(MAPIX_RUNAS_SESSION *s, int sig)
{
	runas_clear_error();
	if (!s || !s->busy)
		return runas_fail(ESRCH, "runas: no command is running in this session");
	if (sig <= 0 || sig >= 65)
		return runas_fail(EINVAL, "runas: bad signal %d", sig);
	runas_frame_reset(s->frame, RUNAS_MSG_SIGNAL);
	runas_frame_put_u32(s->frame, RUNAS_TAG_SIGNAL, (uint32_t)sig);
	return runas_frame_send(s->ctl, s->frame, NULL, 0);
}

MAPIX_RUNAS_API pid_t mapix_runas_monitor_pid(const MAPIX_RUNAS_SESSION *s)
{
	return s ? s->monitor : -1;
}

MAPIX_RUNAS_API int mapix_runas_close(MAPIX_RUNAS_SESSION *s)
{
	if (!s)
		return 0;
	/* The end of the control socket tells the monitor to kill what still
	 * runs, close the PAM session and exit. */
	if (s->ctl >= 0)
		close(s->ctl);
	if (s->monitor > 0)
		wait_monitor(s->monitor);
	free(s->frame);
	free(s);
	return 0;
}

MAPIX_RUNAS_API int mapix_spawn_as(const char *user, const char *const argv[],
                                   const MAPIX_RUNAS_OPTIONS *opt, MAPIX_RUNAS_SESSION **out)
{
	*out = NULL;
	if (!argv || !argv[0] || !argv[0][0])
		return runas_fail(EINVAL, "runas: no command given");
	MAPIX_RUNAS_SESSION *s;
	if (mapix_runas_open(user, opt, &s) < 0)
		return -1;
	if (mapix_runas_start(s, argv, (const char *const *)environ, -1, -1, -1, -1) < 0) {
		int e = errno;
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", mapix_runas_last_error());
		mapix_runas_close(s);
		return runas_fail(e, "%s", msg);
	}
	*out = s;
	return 0;
}
