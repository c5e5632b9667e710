/*
 * lmtp_listen.c — mapixd's LMTP sockets and connections: a UNIX socket
 * (the default; the peer's identity from SO_PEERCRED) and optionally a TCP
 * socket on loopback (every client acts as [lmtp] tcp_identity), an accept
 * thread of their own, and one thread per connection.
 *
 * A connection thread reads what the client sends, hands it to the state
 * machine (lmtp_proto.c), and writes the replies back. Pipelined commands
 * are answered together once the input read so far is consumed. Every wait
 * is bounded by [lmtp] timeout: waiting for a command, for the next piece
 * of DATA, or for the client to take our replies (a client that stops
 * reading loses its connection, nobody else's). Line length, message size
 * and recipient count are the state machine's limits; the number of
 * connections is bounded here, and a client past it is told 421.
 *
 * A client that goes away in the middle of DATA leaves nothing behind:
 * deliveries only start when the final "." has arrived, and the session's
 * end drops the spool file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
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
#include "lmtp_proto.h"
#include "server.h"
#include "sockets.h"

/* Conversion (GMime) runs on these threads: more stack than a mapix
 * protocol connection needs. */
#define LMTP_STACK_SIZE (1024 * 1024)
#define LMTP_READ_CHUNK 16384

typedef struct lmtp_conn {
	struct lmtp_conn *next, *prev;
	struct srv_lmtp *l;
	int fd;
	srv_identity id;
	char desc[160];
} lmtp_conn;

typedef struct srv_lmtp {
	srv_server *s;
	int unix_fd, tcp_fd;
	int wake[2];
	pthread_t thread;
	BOOL started;
	atomic_bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned n_conns;
	lmtp_conn *conns;
} srv_lmtp;

/* ---- sockets ----------------------------------------------------------------------------- */

static HRESULT listen_unix(srv_lmtp *l, const srv_lmtp_config *c)
{
	struct sockaddr_un addr;
	memset(&addr, 0, sizeof addr);
	addr.sun_family = AF_UNIX;
	if (strlen(c->socket) >= sizeof addr.sun_path)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [lmtp] socket %s is too long", c->socket);
	strcpy(addr.sun_path, c->socket);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	if (c->socket_user) {
		struct passwd *pw = getpwnam(c->socket_user);
		if (!pw)
			return mapix_error(MAPI_E_NOT_FOUND, "mapixd: [lmtp] socket_user %s: no such user", c->socket_user);
		uid = pw->pw_uid;
	}
	if (c->socket_group) {
		struct group *gr = getgrnam(c->socket_group);
		if (!gr)
			return mapix_error(MAPI_E_NOT_FOUND, "mapixd: [lmtp] socket_group %s: no such group", c->socket_group);
		gid = gr->gr_gid;
	}
	/* As for the main socket: a dead server's socket is replaced, a live
	 * one's is not. */
	HRESULT hr = srv_unix_clear_stale(&addr);
	if (FAILED(hr))
		return hr;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(addr.sun_path, uid, gid) != 0) ||
	    chmod(addr.sun_path, c->socket_mode) != 0 || listen(fd, 128) != 0) {
		hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot listen for LMTP on %s: %s", addr.sun_path,
		                         strerror(errno));
		close(fd);
		return hr;
	}
	l->unix_fd = fd;
	return S_OK;
}

static BOOL is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return FALSE;
}

static HRESULT listen_tcp(srv_lmtp *l, const srv_lmtp_config *c)
{
	char host[256], port[16];
	const char *colon = strrchr(c->listen, ':');
	size_t n = (size_t)(colon - c->listen);
	const char *h = c->listen;
	if (n && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof host || strlen(colon + 1) >= sizeof port)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [lmtp] listen = %s: expected host:port", c->listen);
	memcpy(host, h, n);
	host[n] = 0;
	snprintf(port, sizeof port, "%s", colon + 1);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [lmtp] listen = %s: %s", c->listen, gai_strerror(rc));
	int err;
	int fd = srv_tcp_bind_first(res, is_loopback, &err);
	freeaddrinfo(res);
	if (fd < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot listen for LMTP on %s: %s", c->listen,
		                   err ? strerror(err) : "not a loopback address");
	l->tcp_fd = fd;
	if (c->address_file)
		return srv_write_address_file(fd, c->address_file);
	return S_OK;
}

/* ---- one connection ------------------------------------------------------------------------ */

/* Writes all queued output within the timeout; FALSE when the client does
 * not take it (or the connection failed). */
static BOOL flush_output(lmtp_conn *c, lmtp_session *sess, uint32_t timeout_ms)
{
	size_t n;
	const char *p = lmtp_output(sess, &n);
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			lmtp_consumed(sess, (size_t)w);
			p = lmtp_output(sess, &n);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
			if (poll(&pfd, 1, (int)timeout_ms) > 0)
				continue;
		}
		return FALSE;
	}
	return TRUE;
}

static void serve(lmtp_conn *c)
{
	srv_server *s = c->l->s;
	const srv_lmtp_config *cfg = &s->cfg.lmtp;
	lmtp_limits lim = {.max_line = cfg->max_line,
	                   .max_size = cfg->max_size,
	                   .max_rcpts = cfg->max_rcpts,
	                   .max_errors = 10};
	srv_lmtp_tx *tx = NULL;
	lmtp_session *sess = NULL;
	char *buf = malloc(LMTP_READ_CHUNK);
	if (!buf || FAILED(srv_lmtp_tx_new(s, &c->id, c->desc, &tx)) ||
	    !(sess = lmtp_session_new(&lim, &srv_lmtp_backend, tx, s->cfg.server_name))) {
		mapix_error_clear();
		free(buf);
		srv_lmtp_tx_free(tx);
		return;
	}
	srv_lmtp_tx_set_session(tx, sess);
	lmtp_greet(sess);
	BOOL ok = flush_output(c, sess, cfg->timeout_ms);
	while (ok && !atomic_load(&c->l->stopping)) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int rc = poll(&pfd, 1, (int)cfg->timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0) {
			char line[400];
			snprintf(line, sizeof line, "421 4.4.2 %s Timeout, closing connection", s->cfg.server_name);
			lmtp_say(sess, line);
			flush_output(c, sess, 1000);
			break;
		}
		ssize_t n = rc > 0 ? recv(c->fd, buf, LMTP_READ_CHUNK, 0) : -1;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* gone: a transaction in progress is dropped below */
		int st = lmtp_feed(sess, buf, (size_t)n);
		ok = flush_output(c, sess, cfg->timeout_ms);
		if (st != LMTP_GO_ON)
			break;
	}
	lmtp_session_free(sess); /* resets the transaction: nothing half-delivered */
	srv_lmtp_tx_free(tx);
	free(buf);
}

static void *conn_thread(void *arg)
{
	lmtp_conn *c = arg;
	srv_lmtp *l = c->l;
	serve(c);
	pthread_mutex_lock(&l->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	if (--l->n_conns == 0)
		pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
	free(c);
	return NULL;
}

/* The identity of a TCP client: the configured one (LMTP has no logon). */
static void tcp_identity(srv_server *s, const char *address, srv_identity *id)
{
	const char *who = s->cfg.lmtp.tcp_identity;
	memset(id, 0, sizeof *id);
	id->uid = (uid_t)-1;
	id->gid = (gid_t)-1;
	snprintf(id->name, sizeof id->name, "%s", who);
	if (strncmp(who, SRV_ACCOUNT_PREFIX, strlen(SRV_ACCOUNT_PREFIX)) == 0)
		snprintf(id->account, sizeof id->account, "%s", who + strlen(SRV_ACCOUNT_PREFIX));
	snprintf(id->address, sizeof id->address, "%s", address);
	id->admin = srv_identity_is_admin(&s->cfg, id);
}

static void refuse(int fd, const char *line)
{
	/* Best effort on a non-blocking socket: never waits. */
	if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client is gone already */
	}
	close(fd);
}

static void accept_one(srv_lmtp *l, BOOL tcp)
{
	srv_server *s = l->s;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	int fd = accept4(tcp ? l->tcp_fd : l->unix_fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	pthread_mutex_lock(&l->lock);
	BOOL full = l->n_conns >= s->cfg.lmtp.max_connections;
	pthread_mutex_unlock(&l->lock);
	if (full) {
		refuse(fd, "421 4.3.2 Too many connections, try again later\r\n");
		return;
	}
	if (tcp && !is_loopback((struct sockaddr *)&peer)) {
		refuse(fd, "421 4.7.0 LMTP is for local clients only\r\n");
		return;
	}
	lmtp_conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->l = l;
	c->fd = fd;
	if (tcp) {
		char address[64];
		srv_format_address((struct sockaddr *)&peer, address, sizeof address);
		tcp_identity(s, address, &c->id);
		snprintf(c->desc, sizeof c->desc, "%s as %s", address, c->id.name);
	} else if (FAILED(srv_peer_identity(s, fd, &c->id))) {
		mapix_error_clear();
		close(fd);
		free(c);
		return;
	} else {
		snprintf(c->desc, sizeof c->desc, "uid %lu, user %s", (unsigned long)c->id.uid, c->id.name);
	}
	pthread_mutex_lock(&l->lock);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	pthread_mutex_unlock(&l->lock);

	if (srv_start_detached(conn_thread, c, LMTP_STACK_SIZE) != 0) {
		pthread_mutex_lock(&l->lock);
		if (c->prev)
			c->prev->next = c->next;
		else
			l->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		l->n_conns--;
		pthread_mutex_unlock(&l->lock);
		refuse(fd, "421 4.3.0 Cannot serve now, try again later\r\n");
		free(c);
	}
}

static void *accept_thread(void *arg)
{
	srv_lmtp *l = arg;
	while (!atomic_load(&l->stopping)) {
		struct pollfd p[3] = {{.fd = l->wake[0], .events = POLLIN},
		                      {.fd = l->unix_fd, .events = POLLIN},
		                      {.fd = l->tcp_fd, .events = POLLIN}};
		int rc = poll(p, 3, -1); /* poll ignores the -1 descriptors */
		if (rc < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (l->unix_fd >= 0 && (p[1].revents & POLLIN))
			accept_one(l, FALSE);
		if (l->tcp_fd >= 0 && (p[2].revents & POLLIN))
			accept_one(l, TRUE);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void lmtp_free(srv_lmtp *l)
{
	if (l->unix_fd >= 0) {
		close(l->unix_fd);
		unlink(l->s->cfg.lmtp.socket);
	}
	if (l->tcp_fd >= 0)
		close(l->tcp_fd);
	if (l->wake[0] >= 0)
		close(l->wake[0]);
	if (l->wake[1] >= 0)
		close(l->wake[1]);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->idle);
	free(l);
}

HRESULT srv_lmtp_start(srv_server *s)
{
	const srv_lmtp_config *c = &s->cfg.lmtp;
	if (!c->socket && !c->listen)
		return S_OK;
	srv_lmtp *l = calloc(1, sizeof *l);
	if (!l)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: LMTP: out of memory");
	l->s = s;
	l->unix_fd = l->tcp_fd = -1;
	l->wake[0] = l->wake[1] = -1;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	HRESULT hr = S_OK;
	if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd: pipe: %s", strerror(errno));
	if (SUCCEEDED(hr) && c->socket)
		hr = listen_unix(l, c);
	if (SUCCEEDED(hr) && c->listen)
		hr = listen_tcp(l, c);
	if (SUCCEEDED(hr) && pthread_create(&l->thread, NULL, accept_thread, l) != 0)
		hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot start the LMTP thread");
	if (FAILED(hr)) {
		lmtp_free(l);
		return hr;
	}
	l->started = TRUE;
	s->lmtp = l;
	return S_OK;
}

BOOL srv_lmtp_stop(srv_server *s)
{
	srv_lmtp *l = s->lmtp;
	if (!l)
		return TRUE;
	atomic_store(&l->stopping, TRUE);
	if (write(l->wake[1], "x", 1) < 0) {
		/* full pipe: a stop is pending already */
	}
	pthread_join(l->thread, NULL);
	/* Ending the sockets ends their threads; a delivery in progress
	 * finishes first (it runs between two reads). */
	pthread_mutex_lock(&l->lock);
	for (lmtp_conn *c = l->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	while (l->n_conns)
		if (pthread_cond_timedwait(&l->idle, &l->lock, &deadline) == ETIMEDOUT)
			break;
	BOOL done = l->n_conns == 0;
	pthread_mutex_unlock(&l->lock);
	if (!done)
		return FALSE; /* a thread still uses l: leave it be, the process exits */
	s->lmtp = NULL;
	lmtp_free(l);
	return TRUE;
}
