/*
 * runas_worker.c — the code that runs between fork and execve of a worker,
 * and the tiny init process that is PID 1 of each command's namespace.
 *
 * Everything here is async-signal-safe: raw system calls, no allocation, no
 * locks, no stdio. Every value was prepared by the monitor before fork (the
 * plan). A failure writes {stage, errno} to the error pipe, which closes on a
 * successful execve, and exits 125 (126/127 for execve itself, as shells do).
 *
 * Identity is changed with the raw setgroups/setresgid/setresuid system
 * calls: glibc's wrappers would try to signal other threads, and the worker
 * has none. Order: drop the bounding set while still privileged, then
 * groups, gid, uid, then clear every capability set and verify the result
 * from the kernel's point of view before running anything.
 */
#include "runas.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static void __attribute__((noreturn)) worker_fail(int errfd, int stage, int err, int code)
{
	struct runas_worker_error e = {.stage = stage, .err = err};
	if (errfd >= 0) {
		ssize_t w = write(errfd, &e, sizeof(e));
		(void)w;
	}
	_exit(code);
}

static void reset_signals(void)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void close_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0u, 0u) == 0)
		return;
	struct rlimit rl;
	long top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (long)rl.rlim_cur : 65536;
	for (long fd = first; fd < top; fd++)
		close((int)fd);
}

/* The command's descriptors become 0, 1, 2 (and 3); the error pipe sits
 * just above them until execve closes it; everything else is closed. */
static int arrange_fds(const struct runas_worker_plan *p)
{
	int k = p->nfds;
	int tmp[RUNAS_MAX_FDS];
	int etmp = fcntl(p->errpipe, F_DUPFD_CLOEXEC, k + 1);
	if (etmp < 0)
		_exit(125);
	for (int i = 0; i < k; i++) {
		tmp[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, k + 1);
		if (tmp[i] < 0)
			worker_fail(etmp, RUNAS_STAGE_FDS, errno, 125);
	}
	for (int i = 0; i < k; i++)
		if (dup2(tmp[i], i) < 0)
			worker_fail(etmp, RUNAS_STAGE_FDS, errno, 125);
	if (dup3(etmp, k, O_CLOEXEC) < 0)
		_exit(125);
	close_from(k + 1);
	return k;
}

static bool same_group_set(const gid_t *a, int na, const gid_t *b, int nb)
{
	for (int i = 0; i < na; i++) {
		bool found = false;
		for (int j = 0; j < nb && !found; j++)
			found = a[i] == b[j];
		if (!found)
			return false;
	}
	for (int j = 0; j < nb; j++) {
		bool found = false;
		for (int i = 0; i < na && !found; i++)
			found = a[i] == b[j];
		if (!found)
			return false;
	}
	return true;
}

/* A private copy in each forked child: no sharing, no locking. */
static gid_t worker_groups[RUNAS_MAX_GROUPS];

static void change_identity(const struct runas_worker_plan *p, int errfd)
{
	for (unsigned long cap = 0;; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break;
		/* Without CAP_SETPCAP the bounding set stays; the worker still
		 * holds no capability, and no_new_privs keeps it that way. */
		if (r == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM)
			worker_fail(errfd, RUNAS_STAGE_BOUNDING, errno, 125);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_setgroups, (size_t)p->ngroups, p->groups) < 0)
		worker_fail(errfd, RUNAS_STAGE_GROUPS, errno, 125);
	if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
		worker_fail(errfd, RUNAS_STAGE_GID, errno, 125);
	if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		worker_fail(errfd, RUNAS_STAGE_UID, errno, 125);

	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		worker_fail(errfd, RUNAS_STAGE_CAPS, errno, 125);

	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (syscall(SYS_getresuid, &ru, &eu, &su) < 0 || ru != p->uid || eu != p->uid ||
	    su != p->uid || syscall(SYS_getresgid, &rg, &eg, &sg) < 0 || rg != p->gid ||
	    eg != p->gid || sg != p->gid)
		worker_fail(errfd, RUNAS_STAGE_VERIFY, EPERM, 125);
	long n = syscall(SYS_getgroups, RUNAS_MAX_GROUPS, worker_groups);
	if (n < 0 || !same_group_set(worker_groups, (int)n, p->groups, p->ngroups))
		worker_fail(errfd, RUNAS_STAGE_VERIFY, EPERM, 125);
	memset(data, 0xff, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) < 0 || data[0].effective || data[0].permitted ||
	    data[0].inheritable || data[1].effective || data[1].permitted || data[1].inheritable)
		worker_fail(errfd, RUNAS_STAGE_CAPS, EPERM, 125);
	for (unsigned long cap = 0; cap < 64; cap++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			worker_fail(errfd, RUNAS_STAGE_CAPS, EPERM, 125);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		worker_fail(errfd, RUNAS_STAGE_NNP, errno, 125);
}

static void lower_limits(const struct runas_worker_plan *p, int errfd)
{
	for (size_t i = 0; i < p->n_limits; i++) {
		struct rlimit rl;
		if (getrlimit(p->limits[i].resource, &rl) < 0)
			worker_fail(errfd, RUNAS_STAGE_RLIMIT, errno, 125);
		rlim_t v = (rlim_t)p->limits[i].value;
		bool change = false;
		if (v < rl.rlim_cur || rl.rlim_cur == RLIM_INFINITY) {
			if (v != RLIM_INFINITY) {
				rl.rlim_cur = v;
				change = true;
			}
		}
		if (v != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || v < rl.rlim_max)) {
			rl.rlim_max = v;
			change = true;
		}
		if (change && setrlimit(p->limits[i].resource, &rl) < 0)
			worker_fail(errfd, RUNAS_STAGE_RLIMIT, errno, 125);
	}
}

static void __attribute__((noreturn)) exec_command(const struct runas_worker_plan *p, int errfd)
{
	const char *cmd = p->argv[0];
	if (strchr(cmd, '/')) {
		execve(cmd, p->argv, p->envp);
		worker_fail(errfd, RUNAS_STAGE_EXEC, errno, errno == ENOENT ? 127 : 126);
	}
	int saved = ENOENT;
	char path[4096];
	size_t cl = strlen(cmd);
	for (int i = 0; p->path_dirs[i]; i++) {
		size_t dl = strlen(p->path_dirs[i]);
		if (dl + 1 + cl + 1 > sizeof(path))
			continue;
		memcpy(path, p->path_dirs[i], dl);
		path[dl] = '/';
		memcpy(path + dl + 1, cmd, cl + 1);
		execve(path, p->argv, p->envp);
		if (errno != ENOENT && errno != ENOTDIR)
			saved = errno;
	}
	worker_fail(errfd, RUNAS_STAGE_EXEC, saved, saved == ENOENT ? 127 : 126);
}

void runas_worker_exec(const struct runas_worker_plan *p, pid_t expected_parent)
{
	reset_signals();
	int errfd = arrange_fds(p);
	change_identity(p, errfd);
	/* Set only now: a change of credentials clears the parent-death signal.
	 * If the parent already died, nobody would deliver it: check. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		worker_fail(errfd, RUNAS_STAGE_PDEATHSIG, errno, 125);
	if (getppid() != expected_parent)
		_exit(125);
	lower_limits(p, errfd);
	umask(077);
	/* Documented fallback: a missing or inaccessible home runs in "/". */
	if (chdir(p->home) < 0 && chdir("/") < 0)
		worker_fail(errfd, RUNAS_STAGE_EXEC, errno, 125);
	exec_command(p, errfd);
}

static volatile sig_atomic_t init_child;

static void init_forward(int sig)
{
	pid_t pid = init_child;
	if (pid > 0)
		kill(pid, sig);
}

void runas_init_run(const struct runas_worker_plan *p, int status_fd, int alive_fd)
{
	/* PID 1 ignores signals it has no handler for, so forwarding needs
	 * handlers; the kernel kills the whole namespace when PID 1 exits. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	struct pollfd pf = {.fd = alive_fd, .events = POLLIN};
	if (poll(&pf, 1, 0) != 0)
		_exit(125);
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
	                          SIGCONT};
	sigset_t block, none;
	sigemptyset(&block);
	sigemptyset(&none);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = init_forward;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++) {
		sigaction(fwd[i], &sa, NULL);
		sigaddset(&block, fwd[i]);
	}
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_SETMASK, &block, NULL);
	pid_t self = getpid();
	pid_t pid = fork();
	if (pid == 0)
		runas_worker_exec(p, self);
	if (pid < 0)
		worker_fail(p->errpipe, RUNAS_STAGE_FDS, errno, 125);
	init_child = pid;
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w == pid) {
			ssize_t n = write(status_fd, &st, sizeof(st));
			(void)n;
			_exit(0);
		}
		if (w < 0 && errno != EINTR)
			_exit(125);
	}
}

const char *runas_worker_stage_name(int stage)
{
	switch (stage) {
	case RUNAS_STAGE_FDS: return "cannot set up descriptors";
	case RUNAS_STAGE_BOUNDING: return "cannot drop the capability bounding set";
	case RUNAS_STAGE_GROUPS: return "setgroups failed";
	case RUNAS_STAGE_GID: return "setresgid failed";
	case RUNAS_STAGE_UID: return "setresuid failed";
	case RUNAS_STAGE_VERIFY: return "identity not as expected after the change";
	case RUNAS_STAGE_CAPS: return "capabilities could not be cleared";
	case RUNAS_STAGE_NNP: return "cannot set no_new_privs";
	case RUNAS_STAGE_PDEATHSIG: return "cannot set the parent-death signal";
	case RUNAS_STAGE_RLIMIT: return "cannot lower a resource limit";
	case RUNAS_STAGE_EXEC: return "cannot execute";
	default: return "worker set-up failed";
	}
}
