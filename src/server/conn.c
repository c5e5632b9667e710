/*
 * conn.c — one client connection of mapixd: the thread that reads its
 * frames and answers them, its handle table, and its end.
 *
 * Hostile or broken clients cost only their own connection: every frame is
 * bounded by [limits] max_frame before anything is allocated, a frame that
 * has started must arrive within [limits] io_timeout, a malformed request
 * ends the connection, and a peer that does not read its replies or events
 * in time, or lets more than SRV_OUTQ_LIMIT bytes of events pile up, is
 * dropped without anyone waiting for it (outq.c). Handles are bounded by
 * [limits] max_handles.
 *
 * An idle connection costs its socket, this small structure and a thread
 * parked in poll() on a small stack.
 *
 * A TCP connection first runs its TLS handshake (tls.c), then must send
 * HELLO and a password logon (logon.c); until that logon succeeds every
 * wait, the first byte of a frame included, ends at the logon deadline
 * ([tcp] handshake_timeout after accept), and any other request ends the
 * connection. The frame limits are the same as on the UNIX socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "server.h"

void srv_conn_ref(srv_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

void srv_conn_unref(srv_conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	srv_server *s = c->srv;
	pthread_mutex_lock(&s->lock);
	if (c->prev)
		c->prev->next = c->next;
	else if (s->conns == c)
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	if (!s->n_conns)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	if (c->pending)
		atomic_fetch_sub(&s->tcp_pending, 1);
	srv_tls_close(c);
	close(c->fd);
	srv_outq_free(c);
	free(c->handles);
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void srv_logon_unref(srv_logon *l)
{
	if (!l || atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	srv_mailbox_release(l->mb);
	free(l);
}

/* ---- handles ------------------------------------------------------------------------ */

HRESULT srv_conn_add_handle(srv_conn *c, LPUNKNOWN obj, BYTE kind, ULONG access, srv_logon *logon, uint32_t *id)
{
	uint32_t max = c->srv->cfg.max_handles;
	pthread_mutex_lock(&c->lock);
	if (c->n_live >= max) {
		pthread_mutex_unlock(&c->lock);
		obj->lpVtbl->Release(obj);
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "mapixd: more than %u open objects on one connection",
		                   (unsigned)max);
	}
	uint32_t slot = 0;
	for (uint32_t i = c->next_free ? c->next_free : 1; i < c->n_slots; i++)
		if (!c->handles[i].obj) {
			slot = i;
			break;
		}
	if (!slot) {
		uint32_t n = c->n_slots ? c->n_slots * 2 : 16;
		if (n > max + 1)
			n = max + 1;
		if (n <= c->n_slots) {
			/* The hint skipped a free slot below it: scan from the start. */
			for (uint32_t i = 1; i < c->n_slots && !slot; i++)
				if (!c->handles[i].obj)
					slot = i;
		} else {
			srv_handle *h = realloc(c->handles, n * sizeof *h);
			if (!h) {
				pthread_mutex_unlock(&c->lock);
				obj->lpVtbl->Release(obj);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
			}
			memset(h + c->n_slots, 0, (n - c->n_slots) * sizeof *h);
			slot = c->n_slots ? c->n_slots : 1;
			c->handles = h;
			c->n_slots = n;
		}
	}
	if (!slot) {
		pthread_mutex_unlock(&c->lock);
		obj->lpVtbl->Release(obj);
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "mapixd: no free handle");
	}
	srv_handle *h = &c->handles[slot];
	h->obj = obj;
	h->kind = kind;
	h->access = access;
	h->logon = logon;
	if (logon)
		atomic_fetch_add(&logon->refs, 1);
	c->n_live++;
	c->next_free = slot + 1;
	pthread_mutex_unlock(&c->lock);
	*id = slot;
	return S_OK;
}

void srv_conn_set_handle_acl(srv_conn *c, uint32_t id, const srv_acl_state *acl)
{
	pthread_mutex_lock(&c->lock);
	if (id && id < c->n_slots && c->handles[id].obj)
		c->handles[id].acl = *acl;
	pthread_mutex_unlock(&c->lock);
}

HRESULT srv_conn_get_handle(srv_conn *c, uint32_t id, unsigned kinds, srv_handle *out)
{
	HRESULT hr = S_OK;
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->lock);
	if (id == 0 || id >= c->n_slots || !c->handles[id].obj)
		hr = mapix_error(MAPI_E_INVALID_OBJECT, "mapixd: no object with handle %u", (unsigned)id);
	else if (!(kinds & (1u << c->handles[id].kind)))
		hr = mapix_error(MAPI_E_NO_SUPPORT, "mapixd: the object of handle %u does not have that method",
		                 (unsigned)id);
	else {
		*out = c->handles[id];
		out->obj->lpVtbl->AddRef(out->obj);
		if (out->logon)
			atomic_fetch_add(&out->logon->refs, 1);
	}
	pthread_mutex_unlock(&c->lock);
	return hr;
}

void srv_handle_put(srv_handle *h)
{
	if (h->obj)
		h->obj->lpVtbl->Release(h->obj);
	srv_logon_unref(h->logon);
	memset(h, 0, sizeof *h);
}

void srv_conn_release_handle(srv_conn *c, uint32_t id)
{
	srv_handle h;
	memset(&h, 0, sizeof h);
	pthread_mutex_lock(&c->lock);
	if (id && id < c->n_slots && c->handles[id].obj) {
		h = c->handles[id];
		memset(&c->handles[id], 0, sizeof h);
		c->n_live--;
		if (id < c->next_free)
			c->next_free = id;
	}
	pthread_mutex_unlock(&c->lock);
	srv_handle_put(&h);
}

static void release_all_handles(srv_conn *c)
{
	for (uint32_t i = 1; i < c->n_slots; i++)
		srv_conn_release_handle(c, i);
}

/* ---- frames ----------------------------------------------------------------------------- */

/* Events never block the thread that sends them (the one that made the
 * change): a peer that does not read is dropped by the output queue. */
void srv_conn_send_event(srv_conn *c, const void *payload, size_t cb)
{
	if (FAILED(srv_outq_send(c, MAPIX_PROTO_EVENT, 0, payload, cb)))
		mapix_error_clear();
}

/* A reply is queued like an event; this connection's thread then waits for
 * its own peer to take it, up to io_timeout. */
static HRESULT send_reply(srv_conn *c, uint32_t id, const MAPIXWIREBUF *reply)
{
	HRESULT hr = srv_outq_send(c, MAPIX_PROTO_REPLY, id, reply->pb, reply->cb);
	return FAILED(hr) ? hr : srv_outq_drain(c, (int)c->srv->cfg.io_timeout_ms);
}

/* One non-blocking read from the connection's stream, through its TLS
 * session if it has one: > 0 bytes, 0 at the peer's end, -1 with errno
 * EAGAIN when nothing is there yet, -1 with another errno on failure. */
static ssize_t conn_recv(srv_conn *c, void *dst, size_t cb)
{
	if (!c->io.tls) {
		ssize_t n;
		do
			n = recv(c->fd, dst, cb, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		return n;
	}
	for (;;) {
		/* The socket is non-blocking under TLS (tls.c). */
		ssize_t n = gnutls_record_recv(c->io.tls, dst, cb);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		errno = n == GNUTLS_E_AGAIN ? EAGAIN : EIO;
		return -1;
	}
}

/* Reads exactly cb bytes through the connection's read-ahead buffer;
 * timeout_ms < 0 waits forever. *eof: the peer closed before any byte.
 * wait_first: poll() before the first recv when the buffer is empty, as
 * after a reply, when the client's next request is rarely there yet (one
 * system call less than a recv that finds nothing). */
static HRESULT conn_read(srv_conn *c, BYTE *dst, size_t cb, int timeout_ms, BOOL *eof, BOOL wait_first)
{
	int64_t deadline = timeout_ms < 0 ? -1 : srv_now_ms() + timeout_ms;
	size_t got = 0;
	if (eof)
		*eof = FALSE;
	while (got < cb) {
		if (c->rpos < c->rlen) {
			size_t n = c->rlen - c->rpos;
			if (n > cb - got)
				n = cb - got;
			memcpy(dst + got, c->rbuf + c->rpos, n);
			c->rpos += (uint32_t)n;
			got += n;
			continue;
		}
		/* After a reply the next request is rarely there yet: wait first. */
		BOOL wait_now = wait_first && !(c->io.tls && gnutls_record_check_pending(c->io.tls) > 0);
		wait_first = FALSE;
		if (!wait_now) {
			/* Large payloads go straight to their buffer. */
			BOOL direct = cb - got >= sizeof c->rbuf;
			ssize_t n = conn_recv(c, direct ? dst + got : c->rbuf, direct ? cb - got : sizeof c->rbuf);
			if (n > 0) {
				if (direct) {
					got += (size_t)n;
				} else {
					c->rpos = 0;
					c->rlen = (uint32_t)n;
				}
				continue;
			}
			if (n == 0) {
				if (eof)
					*eof = got == 0;
				return MAPI_E_NETWORK_ERROR;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return MAPI_E_NETWORK_ERROR;
			/* Records GnuTLS already decrypted are taken before any poll():
			 * the socket may have nothing more while the session holds them. */
			if (c->io.tls && gnutls_record_check_pending(c->io.tls) > 0)
				continue;
		}
		int left = -1;
		if (deadline >= 0) {
			int64_t d = deadline - srv_now_ms();
			if (d <= 0)
				return MAPI_E_NETWORK_ERROR;
			left = d > 0x7FFFFFFF ? 0x7FFFFFFF : (int)d;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, left);
		if (r < 0 && errno != EINTR)
			return MAPI_E_NETWORK_ERROR;
		if (r == 0)
			return MAPI_E_NETWORK_ERROR;
	}
	return S_OK;
}

void srv_conn_serve(srv_conn *c)
{
	const srv_config *cfg = &c->srv->cfg;
	BYTE *payload = NULL;
	size_t cap = 0;
	MAPIXWIREBUF reply;
	mapix_wire_buf_init(&reply);
	BOOL replied = FALSE;
	if (c->tcp && FAILED(srv_tls_accept(c)))
		atomic_store(&c->dead, TRUE);
	while (!atomic_load(&c->dead) && !atomic_load(&c->srv->stopping)) {
		BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
		mapix_proto_header h;
		BOOL eof;
		/* Idle connections may wait forever for the next frame; once a
		 * frame has started, the rest must come within io_timeout. A TCP
		 * connection that has not logged on yet waits until its logon
		 * deadline at most, for anything. */
		int first = -1, rest = (int)cfg->io_timeout_ms;
		if (!c->authenticated) {
			int64_t left = c->logon_deadline - srv_now_ms();
			if (left <= 0)
				break;
			first = (int)left;
			if (rest > first)
				rest = first;
		}
		if (FAILED(conn_read(c, hdr, 1, first, &eof, replied)) ||
		    FAILED(conn_read(c, hdr + 1, sizeof hdr - 1, rest, NULL, FALSE)) ||
		    FAILED(mapix_proto_header_decode(hdr, cfg->max_frame, &h)))
			break;
		if (h.kind != MAPIX_PROTO_REQUEST && h.kind != MAPIX_PROTO_ONEWAY)
			break;
		if (h.length > cap) {
			BYTE *p = realloc(payload, h.length);
			if (!p)
				break;
			payload = p;
			cap = h.length;
		}
		if (h.length && FAILED(conn_read(c, payload, h.length, rest, NULL, FALSE)))
			break;
		mapix_wire_buf_reset(&reply);
		BOOL oneway = h.kind == MAPIX_PROTO_ONEWAY;
		BOOL before_logon = !c->authenticated;
		BOOL keep = srv_dispatch(c, oneway, payload, h.length, &reply);
		if (before_logon && h.length)
			explicit_bzero(payload, h.length); /* it may hold a password */
		if (!keep)
			break;
		if (!oneway && FAILED(send_reply(c, h.id, &reply)))
			break;
		replied = !oneway;
		if (c->close_after_reply)
			break;
		/* Large requests should not pin their buffer for the connection's life. */
		if (cap > 65536) {
			free(payload);
			payload = NULL;
			cap = 0;
		}
		if (reply.cbAlloc > 65536)
			mapix_wire_buf_free(&reply);
	}
	mapix_error_clear();
	atomic_store(&c->dead, TRUE);
	shutdown(c->fd, SHUT_RDWR);
	free(payload);
	mapix_wire_buf_free(&reply);
	srv_advise_remove_all(c);
	release_all_handles(c);
	srv_backup_free(c->backup); /* a backup the client did not end */
	c->backup = NULL;
}
