/*
 * outq.c — what mapixd writes to a connection: replies and pushed events
 * go through a bounded per-connection output queue, so that no thread ever
 * blocks on a peer that does not read.
 *
 * Why. Events are sent by the thread that made the change (advise.c), i.e.
 * by another client's connection thread, often while the store's locks
 * are held. A blocking write to a peer that stopped reading would stall
 * that client, and through the store's locks everyone on the mailbox,
 * for up to io_timeout. So every write is non-blocking: what the socket
 * does not take at once waits in the connection's queue, which a single
 * flusher thread drains as the peer reads. A peer whose queue grows past
 * SRV_OUTQ_LIMIT bytes of events, or that takes nothing for io_timeout,
 * is dropped; nobody else waits for it.
 *
 * A reply is queued the same way, and the connection's own thread then
 * waits (up to io_timeout) until its queue is empty before it reads the
 * next request: a client that sends requests without reading replies
 * stalls only itself, and the queue never holds more than one reply.
 *
 * TLS. Over TCP the same queue feeds gnutls_record_send on the
 * non-blocking socket. A frame is queued whole and flushed from the queue
 * (TLS has no gather-write, and a header alone would cost a record), in
 * records of up to 16 KiB. When GnuTLS answers GNUTLS_E_AGAIN it holds
 * that record, encrypted, until it is sent: the plaintext stays at the
 * head of the queue, and the next flush finishes that record first (with
 * NULL and 0, as GnuTLS asks) before it takes anything new.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

/* TLS records carry at most this much plaintext. */
#define TLS_RECORD_MAX 16384

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the flusher: one thread for every connection with queued output ---- */

static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t flusher_lock = PTHREAD_MUTEX_INITIALIZER;
static srv_conn *flusher_list;   /* linked through outq_next, each referenced */
static int wake_pipe[2] = {-1, -1};
static BOOL flusher_ok;

static void *flusher_main(void *arg);

static void flusher_start(void)
{
	if (pipe(wake_pipe) != 0)
		return;
	/* Non-blocking both ends: a full pipe already means "wake up". */
	for (int i = 0; i < 2; i++)
		fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	flusher_ok = pthread_create(&t, &attr, flusher_main, NULL) == 0;
	pthread_attr_destroy(&attr);
}

/* Drops a connection whose peer does not read (wlock held). */
static void drop_locked(srv_conn *c)
{
	atomic_store(&c->dead, TRUE);
	shutdown(c->fd, SHUT_RDWR);
	free(c->outq);
	c->outq = NULL;
	c->outq_len = c->outq_off = c->outq_cap = 0;
	c->outq_tls_again = FALSE;
}

/* One non-blocking write of the head of the queue, through the TLS
 * session if there is one (wlock held): bytes taken, or -1 with errno
 * EAGAIN (nothing now) or another errno (the peer is gone). */
static ssize_t send_head(srv_conn *c)
{
	size_t cb = c->outq_len - c->outq_off;
	if (!c->io.tls)
		return send(c->fd, c->outq + c->outq_off, cb, MSG_DONTWAIT | MSG_NOSIGNAL);
	ssize_t n;
	if (c->outq_tls_again) {
		/* The record GnuTLS holds: its count comes back when it is out. */
		n = gnutls_record_send(c->io.tls, NULL, 0);
	} else {
		n = gnutls_record_send(c->io.tls, c->outq + c->outq_off, cb < TLS_RECORD_MAX ? cb : TLS_RECORD_MAX);
	}
	c->outq_tls_again = n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED;
	if (n >= 0)
		return n;
	errno = n == GNUTLS_E_INTERRUPTED ? EINTR : n == GNUTLS_E_AGAIN ? EAGAIN : EPIPE;
	return -1;
}

/* Writes what the socket takes now (wlock held). FALSE when the peer is
 * gone. */
static BOOL flush_locked(srv_conn *c)
{
	while (c->outq_off < c->outq_len) {
		ssize_t n = send_head(c);
		if (n > 0) {
			c->outq_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TRUE;
		drop_locked(c);
		return FALSE;
	}
	c->outq_len = c->outq_off = 0;
	c->outq_since = 0;
	/* A burst should not pin its buffer for the connection's life. */
	if (c->outq_cap > 65536) {
		free(c->outq);
		c->outq = NULL;
		c->outq_cap = 0;
	}
	return TRUE;
}

static void *flusher_main(void *arg)
{
	(void)arg;
	size_t cap = 0;
	struct pollfd *fds = NULL;
	srv_conn **conns = NULL;
	for (;;) {
		pthread_mutex_lock(&flusher_lock);
		size_t n = 0;
		for (srv_conn *c = flusher_list; c; c = c->outq_next)
			n++;
		if (n + 1 > cap) {
			size_t want = (n + 1) * 2;
			struct pollfd *f = realloc(fds, want * sizeof *f);
			srv_conn **cs = f ? realloc(conns, want * sizeof *cs) : NULL;
			if (f)
				fds = f;
			if (cs)
				conns = cs;
			if (!f || !cs) {
				pthread_mutex_unlock(&flusher_lock);
				sleep(1);
				continue;
			}
			cap = want;
		}
		n = 0;
		for (srv_conn *c = flusher_list; c; c = c->outq_next) {
			conns[n] = c;
			fds[n].fd = c->fd;
			fds[n].events = POLLOUT;
			fds[n].revents = 0;
			n++;
		}
		pthread_mutex_unlock(&flusher_lock);
		fds[n].fd = wake_pipe[0];
		fds[n].events = POLLIN;
		fds[n].revents = 0;
		/* The timeout is what notices peers that take nothing at all. */
		(void)poll(fds, n + 1, 250);
		if (fds[n].revents & POLLIN) {
			char buf[64];
			while (read(wake_pipe[0], buf, sizeof buf) > 0)
				;
		}
		int64_t now = now_ms();
		for (size_t i = 0; i < n; i++) {
			srv_conn *c = conns[i];
			pthread_mutex_lock(&c->wlock);
			if (fds[i].revents)
				(void)flush_locked(c);
			if (c->outq_len && c->outq_since && now - c->outq_since > (int64_t)c->srv->cfg.io_timeout_ms)
				drop_locked(c);
			BOOL done = !c->outq_len || atomic_load(&c->dead);
			if (done)
				c->outq_listed = FALSE;
			pthread_mutex_unlock(&c->wlock);
			if (!done)
				continue;
			pthread_mutex_lock(&flusher_lock);
			for (srv_conn **pp = &flusher_list; *pp; pp = &(*pp)->outq_next)
				if (*pp == c) {
					*pp = c->outq_next;
					break;
				}
			pthread_mutex_unlock(&flusher_lock);
			srv_conn_unref(c);
		}
	}
	return NULL;
}

/* Hands a connection with queued output to the flusher (wlock held). */
static void hand_to_flusher_locked(srv_conn *c)
{
	if (c->outq_listed)
		return;
	pthread_once(&flusher_once, flusher_start);
	if (!flusher_ok) {
		drop_locked(c); /* nobody could ever drain it */
		return;
	}
	c->outq_listed = TRUE;
	srv_conn_ref(c);
	pthread_mutex_lock(&flusher_lock);
	c->outq_next = flusher_list;
	flusher_list = c;
	pthread_mutex_unlock(&flusher_lock);
	(void)!write(wake_pipe[1], "", 1);
}

/* Appends bytes to the queue (wlock held). */
static BOOL queue_locked(srv_conn *c, const void *pb, size_t cb)
{
	if (c->outq_off && c->outq_off == c->outq_len)
		c->outq_off = c->outq_len = 0;
	if (c->outq_len + cb > c->outq_cap) {
		/* Compact before growing. */
		if (c->outq_off) {
			memmove(c->outq, c->outq + c->outq_off, c->outq_len - c->outq_off);
			c->outq_len -= c->outq_off;
			c->outq_off = 0;
		}
		if (c->outq_len + cb > c->outq_cap) {
			size_t want = c->outq_cap ? c->outq_cap : 4096;
			while (want < c->outq_len + cb)
				want *= 2;
			BYTE *p = realloc(c->outq, want);
			if (!p)
				return FALSE;
			c->outq = p;
			c->outq_cap = want;
		}
	}
	memcpy(c->outq + c->outq_len, pb, cb);
	c->outq_len += cb;
	return TRUE;
}

HRESULT srv_outq_send(srv_conn *c, uint16_t kind, uint32_t id, const void *payload, size_t cb)
{
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	mapix_proto_header_encode(hdr, kind, id, (uint32_t)cb);
	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&c->dead)) {
		pthread_mutex_unlock(&c->wlock);
		return MAPI_E_NETWORK_ERROR;
	}
	size_t sent = 0, total = sizeof hdr + cb;
	if (c->outq_off == c->outq_len && !c->io.tls) {
		/* Nothing queued: straight to the socket, as far as it goes. */
		for (;;) {
			struct iovec iov[2];
			int n = 0;
			if (sent < sizeof hdr) {
				iov[n].iov_base = hdr + sent;
				iov[n++].iov_len = sizeof hdr - sent;
			}
			size_t pay_off = sent > sizeof hdr ? sent - sizeof hdr : 0;
			if (cb > pay_off) {
				iov[n].iov_base = (BYTE *)payload + pay_off;
				iov[n++].iov_len = cb - pay_off;
			}
			if (!n)
				break;
			struct msghdr m;
			memset(&m, 0, sizeof m);
			m.msg_iov = iov;
			m.msg_iovlen = (size_t)n;
			ssize_t w = sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0) {
				sent += (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			drop_locked(c);
			pthread_mutex_unlock(&c->wlock);
			return MAPI_E_NETWORK_ERROR;
		}
		if (sent == total) {
			pthread_mutex_unlock(&c->wlock);
			return S_OK;
		}
	}
	/* The rest waits for the peer. */
	BOOL ok = TRUE;
	if (sent < sizeof hdr)
		ok = queue_locked(c, hdr + sent, sizeof hdr - sent);
	size_t pay_off = sent > sizeof hdr ? sent - sizeof hdr : 0;
	if (ok && cb > pay_off)
		ok = queue_locked(c, (const BYTE *)payload + pay_off, cb - pay_off);
	if (!c->outq_since)
		c->outq_since = now_ms();
	if (!ok) {
		drop_locked(c);
		pthread_mutex_unlock(&c->wlock);
		return MAPI_E_NETWORK_ERROR;
	}
	if (!flush_locked(c)) {
		pthread_mutex_unlock(&c->wlock);
		return MAPI_E_NETWORK_ERROR;
	}
	/* Measured after the flush: under TLS the whole frame was queued. */
	if (kind == MAPIX_PROTO_EVENT && c->outq_len - c->outq_off > SRV_OUTQ_LIMIT) {
		drop_locked(c);
		pthread_mutex_unlock(&c->wlock);
		return MAPI_E_NETWORK_ERROR;
	}
	if (c->outq_len)
		hand_to_flusher_locked(c);
	pthread_mutex_unlock(&c->wlock);
	return S_OK;
}

HRESULT srv_outq_drain(srv_conn *c, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		pthread_mutex_lock(&c->wlock);
		BOOL alive = !atomic_load(&c->dead) && flush_locked(c);
		BOOL empty = c->outq_len == 0;
		if (alive && !empty && now_ms() >= deadline) {
			drop_locked(c);
			alive = FALSE;
		}
		pthread_mutex_unlock(&c->wlock);
		if (!alive)
			return MAPI_E_NETWORK_ERROR;
		if (empty)
			return S_OK;
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		int64_t left = deadline - now_ms();
		(void)poll(&p, 1, left > 0 ? (int)(left < 1000 ? left : 1000) : 0);
	}
}

void srv_outq_free(srv_conn *c)
{
	free(c->outq);
	c->outq = NULL;
}
