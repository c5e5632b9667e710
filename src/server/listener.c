/*
 * listener.c — mapixd's sockets: the UNIX socket and the TCP socket
 * (TLS, tls.c), binding them, accepting connections, the identity of each
 * peer and the thread that serves it, and stopping.
 *
 * The identity is taken once, from SO_PEERCRED, when the connection is
 * accepted: the kernel records the credentials of the thread that called
 * connect(), so a client that later changes identity keeps the one it
 * connected with (the remote provider opens one connection per security
 * context for that reason). The socket itself is open to every local user
 * (0666): who may do what is decided per identity, on every request.
 *
 * A TCP peer has no credential: its connection starts without identity,
 * and gets one from the password logon (logon.c) that must follow the TLS
 * handshake and HELLO within [tcp] handshake_timeout. This loop only
 * accepts and starts threads, so nothing a client does (or fails to do)
 * can hold it up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"
#include "sockets.h"

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
	id->admin = srv_identity_is_admin(&s->cfg, id);
	return S_OK;
}

BOOL srv_identity_is_admin(const srv_config *cfg, const srv_identity *id)
{
	char uidname[32] = "";
	if (!id->address[0])
		snprintf(uidname, sizeof uidname, "uid:%lu", (unsigned long)id->uid);
	if (!id->name[0])
		return FALSE;
	for (size_t i = 0; i < cfg->n_admins; i++) {
		const char *a = cfg->admins[i];
		/* Account names compare without case, as everywhere else. */
		if (id->account[0] ? strcasecmp(a, id->name) == 0 : (strcmp(a, id->name) == 0 || strcmp(a, uidname) == 0))
			return TRUE;
	}
	return FALSE;
}

/* Splits "host:port" or "[v6]:port" ("*" or empty host: any address). */
static BOOL split_host_port(const char *spec, char *host, size_t cap, char *port, size_t pcap)
{
	const char *colon = strrchr(spec, ':');
	if (!colon || !colon[1] || strlen(colon + 1) >= pcap)
		return FALSE;
	size_t n = (size_t)(colon - spec);
	if (n && spec[0] == '[' && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (n >= cap)
		return FALSE;
	memcpy(host, spec, n);
	host[n] = 0;
	if (strcmp(host, "*") == 0)
		host[0] = 0;
	snprintf(port, pcap, "%s", colon + 1);
	return TRUE;
}

HRESULT srv_listen_tcp(srv_server *s)
{
	char host[256], port[16];
	if (!split_host_port(s->cfg.tcp_listen, host, sizeof host, port, sizeof port))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [tcp] listen = %s: expected host:port",
		                   s->cfg.tcp_listen);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [tcp] listen = %s: %s", s->cfg.tcp_listen,
		                   gai_strerror(rc));
	int err;
	int fd = srv_tcp_bind_first(res, NULL, &err);
	freeaddrinfo(res);
	if (fd < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot listen on %s: %s", s->cfg.tcp_listen, strerror(err));
	s->tcp_fd = fd;
	if (s->cfg.tcp_address_file)
		return srv_write_address_file(fd, s->cfg.tcp_address_file);
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
	HRESULT hr = srv_unix_clear_stale(&addr);
	if (FAILED(hr))
		return hr;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(addr.sun_path, 0666) != 0 ||
	    listen(fd, 128) != 0) {
		hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot listen on %s: %s", addr.sun_path, strerror(errno));
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

static void accept_one(srv_server *s, BOOL tcp)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	/* TCP sockets stay non-blocking: GnuTLS runs on them that way. */
	int fd = tcp ? accept4(s->tcp_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK)
	             : accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	BOOL tcp_counted = FALSE;
	pthread_mutex_lock(&s->lock);
	BOOL full = s->n_conns >= s->cfg.max_connections;
	pthread_mutex_unlock(&s->lock);
	/* Connections that have not logged on are bounded apart, so a flood
	 * of silent TCP peers cannot take the slots of everyone else. */
	if (tcp && !full && atomic_fetch_add(&s->tcp_pending, 1) >= s->cfg.max_pending) {
		atomic_fetch_sub(&s->tcp_pending, 1);
		full = TRUE;
	} else if (tcp && !full) {
		tcp_counted = TRUE;
	}
	srv_conn *c = full ? NULL : calloc(1, sizeof *c);
	if (!c) {
		if (tcp_counted)
			atomic_fetch_sub(&s->tcp_pending, 1);
		close(fd);
		return;
	}
	c->pending = tcp_counted;
	c->srv = s;
	c->fd = fd;
	c->io.fd = fd;
	atomic_init(&c->refs, 1);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	if (tcp) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->tcp = TRUE;
		c->id.uid = (uid_t)-1;
		c->id.gid = (gid_t)-1;
		srv_format_address((struct sockaddr *)&peer, c->id.address, sizeof c->id.address);
		c->logon_deadline = srv_now_ms() + s->cfg.handshake_timeout_ms;
	} else if (FAILED(srv_peer_identity(s, fd, &c->id))) {
		mapix_error_clear();
		close(fd);
		pthread_mutex_destroy(&c->wlock);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return;
	} else {
		c->authenticated = TRUE;
	}
	pthread_mutex_lock(&s->lock);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	pthread_mutex_unlock(&s->lock);

	if (srv_start_detached(conn_thread, c, CONN_STACK_SIZE) != 0)
		srv_conn_unref(c); /* closes the socket and leaves the list */
}

void srv_run(srv_server *s)
{
	while (!atomic_load(&s->stopping)) {
		struct pollfd p[3] = {{.fd = s->listen_fd, .events = POLLIN},
		                      {.fd = s->wake_pipe[0], .events = POLLIN},
		                      {.fd = s->tcp_fd, .events = POLLIN}};
		int rc = poll(p, s->tcp_fd >= 0 ? 3 : 2, -1);
		if (rc < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_one(s, FALSE);
		if (s->tcp_fd >= 0 && (p[2].revents & POLLIN))
			accept_one(s, TRUE);
	}
	atomic_store(&s->stopping, TRUE);
	close(s->listen_fd);
	s->listen_fd = -1;
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	s->tcp_fd = -1;
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
