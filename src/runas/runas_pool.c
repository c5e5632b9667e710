/*
 * runas_pool.c — pool mode of mapix-runas: a long-lived broker on a UNIX
 * socket (docs/protocol.md, "mapix-runas pool protocol"). Only peers whose
 * SO_PEERCRED uid is configured with --allow may talk to it. A request runs
 * one command as one user with the caller's stdin, stdout and stderr; the
 * reply is the wait status.
 *
 * Sessions (a monitor holding a user's PAM session open) are kept for reuse:
 * at most one idle session per user, retired after the idle time; at most
 * max_sessions in all. A request for a user whose session is busy gets a
 * one-off session that closes after its command. When the bound is reached
 * the least recently used idle session is retired; if all are busy the
 * request is refused (EBUSY) and the connection stays usable.
 *
 * Commands are never run as root (uid 0) through the pool.
 *
 * One thread, one poll loop. A malformed request (bad length or version,
 * wrong descriptor count, missing fields) or an unknown user closes that
 * connection only.
 */
#include "runas.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX_CONNS 128

struct pool_session {
	MAPIX_RUNAS_SESSION *s; /* NULL: free slot */
	char *user;
	bool oneshot;
	int conn;      /* connection waiting for the result, -1 when idle */
	long long idle_since;
};

struct pool_conn {
	int fd;        /* -1: free slot */
	int sess;      /* session running this connection's command, or -1 */
	bool gone;     /* the client hung up while its command ran */
};

struct pool {
	const struct runas_pool_config *cfg;
	struct pool_session *sess;
	struct pool_conn conns[POOL_MAX_CONNS];
	struct runas_frame *frame;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct pool *p, int c)
{
	if (p->conns[c].fd >= 0)
		close(p->conns[c].fd);
	p->conns[c].fd = -1;
	p->conns[c].sess = -1;
	p->conns[c].gone = false;
}

static void sess_close(struct pool *p, int i)
{
	mapix_runas_close(p->sess[i].s);
	free(p->sess[i].user);
	memset(&p->sess[i], 0, sizeof(p->sess[i]));
	p->sess[i].conn = -1;
}

static void reply(struct pool *p, int c, int wstatus, const char *msg, int err)
{
	runas_frame_reset(p->frame, RUNAS_MSG_RESULT);
	if (WIFSIGNALED(wstatus))
		runas_frame_put_u32(p->frame, RUNAS_TAG_SIGNAL, (uint32_t)WTERMSIG(wstatus));
	else
		runas_frame_put_u32(p->frame, RUNAS_TAG_EXIT, (uint32_t)WEXITSTATUS(wstatus));
	if (msg) {
		runas_frame_put_str(p->frame, RUNAS_TAG_ERROR, msg);
		runas_frame_put_u32(p->frame, RUNAS_TAG_ERRNO, (uint32_t)err);
	}
	if (runas_frame_send(p->conns[c].fd, p->frame, NULL, 0) < 0)
		conn_close(p, c);
}

/* A slot for a new session, retiring the least recently used idle one when
 * the bound is reached; -1 when every session is busy. */
static int sess_slot(struct pool *p)
{
	int lru = -1;
	for (unsigned i = 0; i < p->cfg->max_sessions; i++) {
		if (!p->sess[i].s)
			return (int)i;
		if (p->sess[i].conn < 0 && (lru < 0 || p->sess[i].idle_since < p->sess[lru].idle_since))
			lru = (int)i;
	}
	if (lru >= 0)
		sess_close(p, lru);
	return lru;
}

static void free_strv(char **v)
{
	for (char **e = v; e && *e; e++)
		free(*e);
	free(v);
}

static void handle_request(struct pool *p, int c)
{
	int fds[RUNAS_MAX_FDS], nfds = 0;
	int r = runas_frame_recv(p->conns[c].fd, p->frame, fds, 3, &nfds);
	if (r <= 0) {
		conn_close(p, c);
		return;
	}
	char *user = NULL;
	char **argv = NULL, **env = NULL;
	size_t na = 0, ne = 0, off = 0;
	struct runas_field fl;
	bool ok = runas_frame_type(p->frame) == RUNAS_MSG_RUN && nfds == 3;
	while (ok && runas_frame_next(p->frame, &off, &fl) > 0) {
		na += fl.tag == RUNAS_TAG_ARG;
		ne += fl.tag == RUNAS_TAG_ENV;
	}
	ok = ok && na > 0 && na <= RUNAS_MAX_ARGS && ne <= RUNAS_MAX_ENV;
	if (ok) {
		argv = calloc(na + 1, sizeof(char *));
		env = calloc(ne + 1, sizeof(char *));
		ok = argv && env;
	}
	size_t ia = 0, ie = 0;
	off = 0;
	while (ok && runas_frame_next(p->frame, &off, &fl) > 0) {
		if (fl.tag == RUNAS_TAG_USER && !user)
			ok = (user = runas_field_str(&fl)) != NULL;
		else if (fl.tag == RUNAS_TAG_ARG)
			ok = (argv[ia++] = runas_field_str(&fl)) != NULL;
		else if (fl.tag == RUNAS_TAG_ENV)
			ok = (env[ie++] = runas_field_str(&fl)) != NULL;
	}
	if (!ok || !user || !argv[0][0]) {
		conn_close(p, c);
		goto out;
	}

	/* A service identity chooses users, but never root: the pool exists
	 * to drop privileges, not to hand them out. */
	struct runas_ident id;
	if (runas_ident_resolve(user, &id) < 0) {
		reply(p, c, 125 << 8, mapix_runas_last_error(), errno);
		conn_close(p, c);
		goto out;
	}
	bool is_root = id.uid == 0;
	runas_ident_free(&id);
	if (is_root) {
		reply(p, c, 125 << 8, "runas: the pool does not run commands as root", EPERM);
		conn_close(p, c);
		goto out;
	}

	int slot = -1;
	bool busy_for_user = false;
	for (unsigned i = 0; i < p->cfg->max_sessions; i++) {
		if (!p->sess[i].s || strcmp(p->sess[i].user, user))
			continue;
		if (p->sess[i].conn < 0 && !p->sess[i].oneshot) {
			slot = (int)i;
			break;
		}
		busy_for_user = true;
	}
	if (slot < 0) {
		slot = sess_slot(p);
		if (slot < 0) {
			reply(p, c, 125 << 8, "runas: session limit reached, every session is busy", EBUSY);
			goto out;
		}
		MAPIX_RUNAS_SESSION *s;
		if (mapix_runas_open(user, &p->cfg->opts, &s) < 0) {
			/* Unknown users and PAM refusals end the connection. */
			reply(p, c, 125 << 8, mapix_runas_last_error(), errno);
			conn_close(p, c);
			goto out;
		}
		p->sess[slot].s = s;
		p->sess[slot].user = user;
		p->sess[slot].oneshot = busy_for_user;
		p->sess[slot].conn = -1;
		user = NULL;
	}
	if (mapix_runas_start(p->sess[slot].s, (const char *const *)argv, (const char *const *)env,
	                      fds[0], fds[1], fds[2], -1) < 0) {
		reply(p, c, 125 << 8, mapix_runas_last_error(), errno);
		sess_close(p, slot);
		goto out;
	}
	p->sess[slot].conn = c;
	p->conns[c].sess = slot;
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	free(user);
	free_strv(argv);
	free_strv(env);
}

static void handle_result(struct pool *p, int i)
{
	struct pool_session *ps = &p->sess[i];
	if (ps->conn < 0 || !runas_session_busy(ps->s)) {
		/* An idle session's monitor went away. */
		sess_close(p, i);
		return;
	}
	int st = 0;
	int rc = mapix_runas_wait(ps->s, &st);
	int c = ps->conn;
	ps->conn = -1;
	ps->idle_since = now_ms();
	if (p->conns[c].gone)
		conn_close(p, c);
	else {
		p->conns[c].sess = -1;
		reply(p, c, st, rc < 0 ? mapix_runas_last_error() : NULL, rc < 0 ? errno : 0);
	}
	if (ps->oneshot || rc < 0)
		sess_close(p, i);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return runas_fail(ENAMETOOLONG, "runas: socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return runas_fail(errno, "runas: socket: %s", strerror(errno));
	/* Anyone may connect; SO_PEERCRED decides who is served. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return runas_fail(e, "runas: cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

static void accept_conn(struct pool *p, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	bool allowed = false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		for (size_t i = 0; i < p->cfg->n_allowed; i++)
			allowed = allowed || p->cfg->allowed[i] == cred.uid;
	for (int c = 0; allowed && c < POOL_MAX_CONNS; c++) {
		if (p->conns[c].fd < 0) {
			p->conns[c].fd = fd;
			p->conns[c].sess = -1;
			return;
		}
	}
	close(fd);
}

int runas_pool_serve(const struct runas_pool_config *cfg)
{
	struct pool p = {.cfg = cfg};
	if (cfg->max_sessions == 0)
		return runas_fail(EINVAL, "runas: --max-sessions must be at least 1");
	p.sess = calloc(cfg->max_sessions, sizeof(*p.sess));
	p.frame = runas_frame_new(RUNAS_MSG_RESULT);
	if (!p.sess || !p.frame) {
		free(p.sess);
		free(p.frame);
		return runas_fail(ENOMEM, "runas: out of memory");
	}
	for (unsigned i = 0; i < cfg->max_sessions; i++)
		p.sess[i].conn = -1;
	for (int c = 0; c < POOL_MAX_CONNS; c++)
		p.conns[c] = (struct pool_conn){.fd = -1, .sess = -1};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	int lfd = listen_on(cfg->socket_path);
	if (sigfd < 0 || lfd < 0) {
		int e = errno;
		if (sigfd >= 0)
			close(sigfd);
		free(p.sess);
		free(p.frame);
		return lfd < 0 ? -1 : runas_fail(e, "runas: signalfd: %s", strerror(e));
	}

	size_t nmax = 2 + POOL_MAX_CONNS + cfg->max_sessions;
	struct pollfd *pf = calloc(nmax, sizeof(*pf));
	int *who = calloc(nmax, sizeof(int)); /* >=0: connection, <0: -(session+1) */
	bool running = pf && who;
	while (running) {
		long long now = now_ms();
		int timeout = -1;
		for (unsigned i = 0; i < cfg->max_sessions; i++) {
			if (!p.sess[i].s || p.sess[i].conn >= 0)
				continue;
			long long left = p.sess[i].idle_since + cfg->idle_ms - now;
			if (left <= 0) {
				sess_close(&p, (int)i);
				continue;
			}
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		size_t n = 0;
		pf[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int c = 0; c < POOL_MAX_CONNS; c++) {
			if (p.conns[c].fd < 0 || p.conns[c].gone)
				continue;
			who[n] = c;
			/* While its command runs a connection is only watched for
			 * hang-up: one request at a time per connection. */
			pf[n++] = (struct pollfd){.fd = p.conns[c].fd,
			                          .events = p.conns[c].sess < 0 ? POLLIN : 0};
		}
		for (unsigned i = 0; i < cfg->max_sessions; i++) {
			if (!p.sess[i].s)
				continue;
			who[n] = -(int)i - 1;
			pf[n++] = (struct pollfd){.fd = mapix_runas_fd(p.sess[i].s), .events = POLLIN};
		}
		if (poll(pf, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) > 0)
				running = false;
			continue;
		}
		for (size_t k = 2; k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (who[k] < 0) {
				int i = -who[k] - 1;
				if (p.sess[i].s && mapix_runas_fd(p.sess[i].s) == pf[k].fd)
					handle_result(&p, i);
				continue;
			}
			int c = who[k];
			if (p.conns[c].fd != pf[k].fd)
				continue;
			if (p.conns[c].sess >= 0) {
				/* The caller went away: its command gets a hang-up. */
				p.conns[c].gone = true;
				mapix_runas_kill(p.sess[p.conns[c].sess].s, SIGHUP);
			} else {
				handle_request(&p, c);
			}
		}
		if (pf[1].revents & POLLIN)
			accept_conn(&p, lfd);
	}
	for (unsigned i = 0; i < cfg->max_sessions; i++)
		if (p.sess[i].s)
			sess_close(&p, (int)i);
	for (int c = 0; c < POOL_MAX_CONNS; c++)
		if (p.conns[c].fd >= 0)
			conn_close(&p, c);
	close(lfd);
	close(sigfd);
	unlink(cfg->socket_path);
	free(pf);
	free(who);
	free(p.sess);
	free(p.frame);
	return 0;
}
