/*
 * listener.c — mapixd's UNIX socket: binding it, accepting connections,
 * the identity of each peer and the thread that serves it, and stopping.
 *
 * The identity is taken once, from SO_PEERCRED, when the connection is
 * accepted: the kernel records the credentials of the thread that called
 * connect(), so a client that later changes identity keeps the one it
 * connected with (the remote provider opens one connection per security
 * context for that reason). The socket itself is open to every local user
 * (0666): who may do what is decided per identity, on every request.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

/* Connection threads need little stack: requests are decoded into heap
 * memory, and the store keeps its state on the heap too. */
#define CONN_STACK_SIZE (256 * 1024)

HRESULT srv_peer_identity(srv_server *s, int fd, srv_identity *id)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	memset(id, 0, sizeof *id);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return mapix_error(MAPI_E_NO_ACCESS, "mapixd: no peer credentials: %s", strerror(errno));
	id->uid = cred.uid;
	id->gid = cred.gid;
	id->pid = cred.pid;
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(cred.uid, &pw, buf, sizeof buf, &res) == 0 && res && strlen(res->pw_name) < sizeof id->name)
		snprintf(id->name, sizeof id->name, "%s", res->pw_name);
	else
		snprintf(id->name, sizeof id->name, "uid:%lu", (unsigned long)cred.uid);
	char uidname[32];
	snprintf(uidname, sizeof uidname, "uid:%lu", (unsigned long)cred.uid);
	for (size_t i = 0; i < s->cfg.n_admins; i++)
		if (strcmp(s->cfg.admins[i], id->name) == 0 || strcmp(s->cfg.admins[i], uidname) == 0)
			id->admin = TRUE;
	return S_OK;
}

HRESULT srv_listen(srv_server *s)
{
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(s->cfg.socket_path) >= sizeof addr.sun_path)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: socket path %s is too long", s->cfg.socket_path);
	strcpy(addr.sun_path, s->cfg.socket_path);

	/* A socket left by a server that died is replaced; a live server's is
	 * not (connect succeeds). */
	struct stat st;
	if (lstat(addr.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return mapix_error(MAPI_E_COLLISION, "mapixd: %s exists and is not a socket", addr.sun_path);
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0) {
			close(probe);
			return mapix_error(MAPI_E_COLLISION, "mapixd: another server listens on %s", addr.sun_path);
		}
		if (probe >= 0)
			close(probe);
		unlink(addr.sun_path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(addr.sun_path, 0666) != 0 ||
	    listen(fd, 128) != 0) {
		HRESULT hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot listen on %s: %s", addr.sun_path, strerror(errno));
		close(fd);
		return hr;
	}
	s->listen_fd = fd;
	return S_OK;
}

static void *conn_thread(void *arg)
{
	srv_conn *c = arg;
	srv_conn_serve(c);
	srv_conn_unref(c);
	return NULL;
}

static void accept_one(srv_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	BOOL full = s->n_conns >= s->cfg.max_connections;
	pthread_mutex_unlock(&s->lock);
	srv_conn *c = full ? NULL : calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	if (FAILED(srv_peer_identity(s, fd, &c->id))) {
		mapix_error_clear();
		close(fd);
		pthread_mutex_destroy(&c->wlock);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return;
	}
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	pthread_mutex_unlock(&s->lock);

	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CONN_STACK_SIZE);
	if (pthread_create(&t, &attr, conn_thread, c) != 0)
		srv_conn_unref(c); /* closes the socket and leaves the list */
	pthread_attr_destroy(&attr);
}

void srv_run(srv_server *s)
{
	while (!atomic_load(&s->stopping)) {
		struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN}, {.fd = s->wake_pipe[0], .events = POLLIN}};
		int rc = poll(p, 2, -1);
		if (rc < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_one(s);
	}
	atomic_store(&s->stopping, TRUE);
	close(s->listen_fd);
	s->listen_fd = -1;
	unlink(s->cfg.socket_path);
	/* Ending every connection ends its thread, which drops its reference. */
	pthread_mutex_lock(&s->lock);
	for (srv_conn *c = s->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	/* A connection busy in a long store call gets a bounded time to end;
	 * then the process exits anyway (SQLite keeps committed data safe). */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	while (s->n_conns)
		if (pthread_cond_timedwait(&s->idle, &s->lock, &deadline) == ETIMEDOUT)
			break;
	s->abandoned = s->n_conns != 0;
	pthread_mutex_unlock(&s->lock);
}

void srv_stop(srv_server *s)
{
	/* Async-signal-safe: only a write. */
	atomic_store(&s->stopping, TRUE);
	if (write(s->wake_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
}
