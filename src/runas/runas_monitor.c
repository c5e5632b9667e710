/*
 * runas_monitor.c — the privileged monitor of one user session
 * (`mapix-runas --monitor FD PPID`, executed by libmapix-runas right after
 * fork). It receives the resolved identity from the broker, opens the PAM
 * session, then runs commands one at a time, each in a fresh PID namespace
 * whose PID 1 (runas_init_run) exits when the command does, taking every
 * leftover process with it. Where namespaces are unavailable the monitor is
 * a child subreaper and kills the leftover process tree itself.
 *
 * It ends when the broker closes the control socket or dies (SIGTERM as
 * parent-death signal): the running command is killed, then the PAM session
 * is closed, so no worker and no PAM session outlive the broker.
 */
#include "runas.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIMITS 32
#define MAX_KEEP 64

struct monitor {
	int ctl, sigfd, own_pidns;
	struct runas_frame *frame;
	char *user, *home, *shell, *pam_service, *pam_confdir;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	MAPIX_RUNAS_LIMIT limits[MAX_LIMITS];
	size_t n_limits;
	char *keep[MAX_KEEP + 1];
	unsigned flags;
	struct runas_pam *pam;
	char **pam_env;

	/* the running command */
	pid_t child; /* init of its namespace, or the worker itself */
	bool in_ns;
	int status_rd, err_rd, alive_wr;
	char *argv0;
};

static char *fmt_env(const char *name, const char *value)
{
	size_t l = strlen(name) + strlen(value) + 2;
	char *s = malloc(l);
	if (s)
		snprintf(s, l, "%s=%s", name, value);
	return s;
}

static bool env_has(char **env, size_t n, const char *entry)
{
	size_t nl = strcspn(entry, "=");
	for (size_t i = 0; i < n; i++)
		if (!strncmp(env[i], entry, nl) && env[i][nl] == '=')
			return true;
	return false;
}

static void free_strv(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

static int send_result(struct monitor *m, int wstatus, const char *msg, int err)
{
	runas_frame_reset(m->frame, RUNAS_MSG_RESULT);
	if (WIFSIGNALED(wstatus))
		runas_frame_put_u32(m->frame, RUNAS_TAG_SIGNAL, (uint32_t)WTERMSIG(wstatus));
	else
		runas_frame_put_u32(m->frame, RUNAS_TAG_EXIT, (uint32_t)WEXITSTATUS(wstatus));
	if (msg) {
		runas_frame_put_str(m->frame, RUNAS_TAG_ERROR, msg);
		runas_frame_put_u32(m->frame, RUNAS_TAG_ERRNO, (uint32_t)err);
	}
	return runas_frame_send(m->ctl, m->frame, NULL, 0);
}

static int read_setup(struct monitor *m)
{
	int fds[1], nfds;
	if (runas_frame_recv(m->ctl, m->frame, fds, 0, &nfds) <= 0 ||
	    runas_frame_type(m->frame) != RUNAS_MSG_SETUP)
		return -1;
	size_t off = 0, nkeep = 0;
	struct runas_field fl;
	uint32_t v;
	int ng = 0;
	while (runas_frame_next(m->frame, &off, &fl) > 0)
		ng += fl.tag == RUNAS_TAG_GROUP;
	m->groups = calloc((size_t)ng + 1, sizeof(gid_t));
	if (!m->groups)
		return -1;
	off = 0;
	while (runas_frame_next(m->frame, &off, &fl) > 0) {
		switch (fl.tag) {
		case RUNAS_TAG_USER: free(m->user); m->user = runas_field_str(&fl); break;
		case RUNAS_TAG_HOME: free(m->home); m->home = runas_field_str(&fl); break;
		case RUNAS_TAG_SHELL: free(m->shell); m->shell = runas_field_str(&fl); break;
		case RUNAS_TAG_PAM_SERVICE:
			free(m->pam_service);
			m->pam_service = runas_field_str(&fl);
			break;
		case RUNAS_TAG_PAM_CONFDIR:
			free(m->pam_confdir);
			m->pam_confdir = runas_field_str(&fl);
			break;
		case RUNAS_TAG_UID:
			if (runas_field_u32(&fl, &v) < 0)
				return -1;
			m->uid = v;
			break;
		case RUNAS_TAG_GID:
			if (runas_field_u32(&fl, &v) < 0)
				return -1;
			m->gid = v;
			break;
		case RUNAS_TAG_GROUP:
			if (runas_field_u32(&fl, &v) < 0)
				return -1;
			m->groups[m->ngroups++] = v;
			break;
		case RUNAS_TAG_FLAGS:
			if (runas_field_u32(&fl, &v) < 0)
				return -1;
			m->flags = v;
			break;
		case RUNAS_TAG_RLIMIT:
			if (fl.len != 12 || m->n_limits >= MAX_LIMITS)
				return -1;
			m->limits[m->n_limits].resource =
				(int)(fl.data[0] | fl.data[1] << 8 | fl.data[2] << 16 | (uint32_t)fl.data[3] << 24);
			m->limits[m->n_limits].value = 0;
			for (int k = 0; k < 8; k++)
				m->limits[m->n_limits].value |= (unsigned long long)fl.data[4 + k] << (8 * k);
			m->n_limits++;
			break;
		case RUNAS_TAG_KEEP_ENV:
			if (nkeep < MAX_KEEP && (m->keep[nkeep] = runas_field_str(&fl)))
				nkeep++;
			break;
		default: break;
		}
	}
	return m->user && m->home && m->shell ? 0 : -1;
}

/* Every descendant of pid, by walking /proc/PID/task/TID/children. */
static size_t collect_tree(pid_t pid, pid_t *out, size_t n, size_t max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return n;
	size_t first = n;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char cpath[320];
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		FILE *f = fopen(cpath, "re");
		if (!f)
			continue;
		int c;
		while (n < max && fscanf(f, "%d", &c) == 1)
			out[n++] = c;
		fclose(f);
	}
	closedir(d);
	for (size_t i = first, end = n; i < end && n < max; i++)
		n = collect_tree(out[i], out, n, max);
	return n;
}

/* Without a namespace: stop the whole tree first so nothing can fork away
 * between the reading and the killing, then kill it. As a child subreaper
 * the monitor inherits every orphan, so repeating until it has no children
 * left catches processes that double-forked. */
static void kill_leftovers(struct monitor *m)
{
	static pid_t tree[4096];
	for (int round = 0; round < 200; round++) {
		size_t n = collect_tree(getpid(), tree, 0, sizeof(tree) / sizeof(tree[0]));
		for (size_t i = 0; i < n; i++)
			kill(tree[i], SIGSTOP);
		n = collect_tree(getpid(), tree, 0, sizeof(tree) / sizeof(tree[0]));
		for (size_t i = 0; i < n; i++)
			kill(tree[i], SIGKILL);
		for (;;) {
			int st;
			pid_t w = waitpid(-1, &st, WNOHANG);
			if (w == m->child) {
				m->child = 0;
			} else if (w <= 0) {
				if (w < 0 && errno == ECHILD)
					return;
				break;
			}
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static char **build_env(struct monitor *m, char **extra, size_t n_extra, bool control)
{
	size_t npam = 0;
	for (char **e = m->pam_env; e && *e; e++)
		npam++;
	char **env = calloc(8 + npam + n_extra, sizeof(char *));
	if (!env)
		return NULL;
	size_t n = 0;
	env[n++] = fmt_env("HOME", m->home);
	env[n++] = fmt_env("USER", m->user);
	env[n++] = fmt_env("LOGNAME", m->user);
	env[n++] = fmt_env("SHELL", m->shell);
	env[n++] = fmt_env("PATH", RUNAS_PATH);
	if (control)
		env[n++] = fmt_env("MAPIX_RUNAS_CONTROL_FD", "3");
	/* Identity variables are fixed; PAM's come next (XDG_RUNTIME_DIR,
	 * KRB5CCNAME...), then the caller's allow-listed ones. */
	for (char **e = m->pam_env; e && *e; e++)
		if (strchr(*e, '=') && !env_has(env, n, *e))
			env[n++] = strdup(*e);
	for (size_t i = 0; i < n_extra; i++)
		if (runas_env_allowed(extra[i], (const char *const *)m->keep) &&
		    !env_has(env, n, extra[i]))
			env[n++] = strdup(extra[i]);
	for (size_t i = 0; i < n; i++)
		if (!env[i]) {
			for (size_t k = 0; k < n; k++)
				free(env[k]);
			free(env);
			return NULL;
		}
	return env;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void start_command(struct monitor *m, const int *fds, int nfds)
{
	size_t nargs = 0, nenv = 0, off = 0;
	struct runas_field fl;
	while (runas_frame_next(m->frame, &off, &fl) > 0) {
		nargs += fl.tag == RUNAS_TAG_ARG;
		nenv += fl.tag == RUNAS_TAG_ENV;
	}
	if (m->child > 0) {
		send_result(m, 125 << 8, "runas: the session is already running a command", EBUSY);
		return;
	}
	if (nfds < 3 || nargs == 0 || nargs > RUNAS_MAX_ARGS || nenv > RUNAS_MAX_ENV) {
		send_result(m, 125 << 8, "runas: bad run request", EINVAL);
		return;
	}
	char **argv = calloc(nargs + 1, sizeof(char *));
	char **extra = calloc(nenv + 1, sizeof(char *));
	char **envp = NULL;
	size_t ia = 0, ie = 0;
	bool ok = argv && extra;
	off = 0;
	while (ok && runas_frame_next(m->frame, &off, &fl) > 0) {
		if (fl.tag == RUNAS_TAG_ARG)
			ok = (argv[ia++] = runas_field_str(&fl)) != NULL;
		else if (fl.tag == RUNAS_TAG_ENV)
			ok = (extra[ie++] = runas_field_str(&fl)) != NULL;
	}
	if (ok)
		envp = build_env(m, extra, ie, nfds == 4);
	free_strv(extra);
	int errp[2] = {-1, -1}, stp[2] = {-1, -1}, alp[2] = {-1, -1};
	if (!ok || !envp || !argv[0][0] || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(stp, O_CLOEXEC) < 0 || pipe2(alp, O_CLOEXEC) < 0) {
		send_result(m, 125 << 8, "runas: cannot prepare the command", errno ? errno : ENOMEM);
		goto out;
	}
	struct runas_worker_plan plan = {
		.uid = m->uid, .gid = m->gid, .groups = m->groups, .ngroups = m->ngroups,
		.home = m->home, .argv = argv, .envp = envp,
		.path_dirs = {"/usr/local/bin", "/usr/bin", "/bin", NULL},
		.limits = m->limits, .n_limits = m->n_limits, .nfds = nfds, .errpipe = errp[1],
	};
	memcpy(plan.fds, fds, sizeof(int) * (size_t)nfds);
	m->in_ns = !(m->flags & MAPIX_RUNAS_NO_PIDNS) && m->own_pidns >= 0 &&
	           unshare(CLONE_NEWPID) == 0;
	pid_t self = getpid();
	/* Everything stays blocked across fork: PID 1 of a namespace drops
	 * signals it has no handler for, unless they are blocked, so a signal
	 * forwarded right after the start waits until init can pass it on. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		close(m->ctl);
		close(m->sigfd);
		close(errp[0]);
		close(stp[0]);
		close(alp[1]);
		if (m->in_ns)
			runas_init_run(&plan, stp[1], alp[0]);
		runas_worker_exec(&plan, self);
	}
	int fork_err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* Back to the monitor's own namespace for later children: the PAM
	 * modules at session close may fork, and the command's namespace is
	 * gone by then. */
	if (m->in_ns && setns(m->own_pidns, CLONE_NEWPID) < 0)
		m->own_pidns = -1;
	if (pid < 0) {
		send_result(m, 125 << 8, "runas: fork failed", fork_err);
		goto out;
	}
	m->child = pid;
	m->err_rd = errp[0];
	m->status_rd = stp[0];
	m->alive_wr = alp[1];
	errp[0] = stp[0] = alp[1] = -1;
	m->argv0 = strdup(argv[0]);
out:
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0)
			close(errp[i]);
		if (stp[i] >= 0)
			close(stp[i]);
		if (alp[i] >= 0)
			close(alp[i]);
	}
	free_strv(argv);
	free_strv(envp);
}

static void finish_command(struct monitor *m, int st)
{
	int wst = st;
	if (m->in_ns) {
		int ws;
		if (read(m->status_rd, &ws, sizeof(ws)) == (ssize_t)sizeof(ws))
			wst = ws;
	} else {
		kill_leftovers(m);
	}
	m->child = 0;
	struct runas_worker_error we;
	char msg[512];
	const char *text = NULL;
	if (read(m->err_rd, &we, sizeof(we)) == (ssize_t)sizeof(we)) {
		if (we.stage == RUNAS_STAGE_EXEC)
			snprintf(msg, sizeof(msg), "runas: cannot execute %s as %s: %s",
			         m->argv0 ? m->argv0 : "?", m->user, strerror(we.err));
		else
			snprintf(msg, sizeof(msg), "runas: worker for %s: %s: %s", m->user,
			         runas_worker_stage_name(we.stage), strerror(we.err));
		text = msg;
	}
	send_result(m, wst, text, text ? we.err : 0);
	close(m->err_rd);
	close(m->status_rd);
	close(m->alive_wr);
	m->err_rd = m->status_rd = m->alive_wr = -1;
	free(m->argv0);
	m->argv0 = NULL;
}

static void reap(struct monitor *m)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w <= 0)
			return;
		if (w == m->child)
			finish_command(m, st);
	}
}

static void stop_command(struct monitor *m)
{
	if (m->child <= 0)
		return;
	if (m->in_ns) {
		kill(m->child, SIGKILL);
		while (waitpid(m->child, NULL, 0) < 0 && errno == EINTR)
			;
		m->child = 0;
	} else {
		kill_leftovers(m);
	}
}

static void monitor_free(struct monitor *m)
{
	free(m->user);
	free(m->home);
	free(m->shell);
	free(m->pam_service);
	free(m->pam_confdir);
	free(m->groups);
	free(m->argv0);
	for (size_t i = 0; i < MAX_KEEP && m->keep[i]; i++)
		free(m->keep[i]);
	free_strv(m->pam_env);
	free(m->frame);
	if (m->sigfd >= 0)
		close(m->sigfd);
	if (m->own_pidns >= 0)
		close(m->own_pidns);
}

int runas_monitor_main(int ctl, pid_t broker)
{
	struct monitor m = {.ctl = ctl, .status_rd = -1, .err_rd = -1, .alive_wr = -1};
	if (getppid() != broker)
		return 1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	m.frame = runas_frame_new(0);
	m.own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (m.sigfd < 0 || !m.frame || read_setup(&m) < 0) {
		monitor_free(&m);
		return 1;
	}

	if (m.pam_service) {
		char msg[512];
		int err = EACCES;
		if (runas_pam_open(m.pam_service, m.pam_confdir, m.user, &m.pam, msg, sizeof(msg),
		                   &err) < 0) {
			send_result(&m, 125 << 8, msg, err);
			monitor_free(&m);
			return 0;
		}
		m.pam_env = runas_pam_env(m.pam);
	}
	runas_frame_reset(m.frame, RUNAS_MSG_READY);
	bool running = runas_frame_send(m.ctl, m.frame, NULL, 0) == 0;

	while (running) {
		struct pollfd pf[2] = {{.fd = m.ctl, .events = POLLIN}, {.fd = m.sigfd, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(m.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(&m);
				else if (si.ssi_signo == SIGTERM)
					running = false;
				/* SIGINT, SIGHUP, SIGQUIT from a terminal reach the
				 * command directly; the broker forwards the rest. */
			}
		}
		if (running && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			int fds[RUNAS_MAX_FDS], nfds;
			int r = runas_frame_recv(m.ctl, m.frame, fds, RUNAS_MAX_FDS, &nfds);
			if (r <= 0) {
				running = false;
			} else if (runas_frame_type(m.frame) == RUNAS_MSG_RUN) {
				start_command(&m, fds, nfds);
				close_fds(fds, nfds);
			} else if (runas_frame_type(m.frame) == RUNAS_MSG_SIGNAL) {
				size_t off = 0;
				struct runas_field fl;
				uint32_t sig = 0;
				while (runas_frame_next(m.frame, &off, &fl) > 0)
					if (fl.tag == RUNAS_TAG_SIGNAL)
						runas_field_u32(&fl, &sig);
				if (m.child > 0 && sig > 0 && sig < 65)
					kill(m.child, (int)sig);
				close_fds(fds, nfds);
			} else {
				close_fds(fds, nfds);
			}
		}
	}
	stop_command(&m);
	runas_pam_close(m.pam);
	monitor_free(&m);
	return 0;
}
