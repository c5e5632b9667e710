/*
 * remote-conn.c — connections of the remote store provider to mapixd.
 *
 * Identity. The server takes the client's identity from SO_PEERCRED when
 * the connection is made, i.e. from the security context of the thread
 * that connected. So connections are pooled per (server address, security
 * context): a thread only ever uses a connection made in its own context,
 * and a call from another context on an existing object is refused with
 * MAPI_E_NO_ACCESS, as for every mapix object.
 *
 * Threads. A call reads its own reply off the socket when no other thread
 * is reading, handing on what else it meets; each connection's reader
 * thread watches the socket only while no call is in flight (see "reading
 * frames" below). A reply goes to the call waiting for it, an event is
 * queued for the dispatcher thread (started by the first Advise), which hands it to
 * the support object (IMAPISupport::Notify), as the local store does. A
 * call returns only after the events that arrived before its reply were
 * dispatched, so a client sees the notifications of its own change before
 * the call that made it returns — unless the call is made from a sink,
 * on the dispatcher thread itself, which must not wait for itself.
 *
 * TCP. A "tcp:HOST:PORT" address connects over TLS (remote-tls.c) and,
 * after HELLO, logs on with the account name and password: the server's
 * identity for the connection is that account, so connections are pooled
 * per account and password (and verification settings) as well. The
 * frames, limits and timeouts are the same as on the UNIX socket.
 *
 * A connection is also pooled per process: a child forked with a pooled
 * connection would share its socket (and TLS state) with the parent, so it
 * connects anew.
 *
 * Failure. A lost connection, a reply that does not come within the
 * timeout, or a malformed frame marks the connection dead: every waiting
 * and later call fails with MAPI_E_NETWORK_ERROR, and the next call through
 * the logon reconnects (remote_logon_revive) with the same address,
 * account, password and certificate checks, or the next logon makes a new
 * connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "remote.h"

typedef struct pending {
	struct pending *next;
	uint32_t id;
	BOOL done;
	BYTE *reply;
	size_t cb;
	uint64_t ev_mark;     /* events queued before the reply */
} pending;

typedef struct event {
	struct event *next;
	BYTE *payload;
	size_t cb;
} event;

typedef struct advise_reg {
	struct advise_reg *next;
	ULONG id;
	const void *owner;    /* the logon that advised */
	LPMAPISUP support;    /* referenced */
	struct {
		ULONG cb;
		BYTE ab[16];
	} key;
} advise_reg;

struct remote_conn {
	remote_conn *next;          /* pool */
	atomic_uint users;          /* logons and helpers using it */
	int fd;
	mapix_proto_io io;          /* fd, and the TLS session over TCP */
	remote_tls tls;
	char *address;
	char *user, *password, *ca_file, *pin; /* TCP logon (NULL: none) */
	mapix_context ctx;
	int timeout_ms;
	pid_t pid;                  /* the process that connected (a forked child connects anew) */
	pthread_mutex_t lock;       /* everything below */
	pthread_cond_t cond;
	pthread_mutex_t wlock;      /* one frame at a time; and `released` */
	MAPIXWIREBUF released;      /* RELEASE frames not sent yet (see remote_conn_release_handle) */
	unsigned n_released;
	BOOL dead, closing;
	uint32_t next_id;
	pending *pending;
	event *ev_head, *ev_tail;
	uint64_t ev_queued, ev_done;
	advise_reg *advises;
	ULONG next_advise;
	/* reading (see "reading frames") */
	int role;                   /* READ_NONE, READ_WATCHER, READ_CALLER */
	unsigned n_waiting;         /* calls waiting for their reply */
	BOOL kicked, reader_parked;
	int64_t idle_since;         /* when a call last gave the role back (CLOCK_MONOTONIC ms) */
	pthread_cond_t rcond;       /* the reader thread's (CLOCK_MONOTONIC) */
	int wake_fd;                /* eventfd: a call asks the reader thread to stop watching */
	size_t rpos, rlen;          /* rbuf: the role holder's only */
	BYTE rbuf[4096];
	pthread_t reader, dispatcher;
	BOOL has_dispatcher, dispatcher_frees;
	/* from HELLO */
	char server_name[65];
	uint32_t max_frame, max_rows;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static remote_conn *pool;

static void conn_free(remote_conn *c);
static HRESULT send_after_releases(remote_conn *c, uint16_t kind, uint32_t id, const void *pb, size_t cb);

/* ---- state ------------------------------------------------------------------------------ */

/* Marks the connection dead (lock held): every waiter wakes up. */
static void mark_dead_locked(remote_conn *c)
{
	if (!c->dead) {
		c->dead = TRUE;
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_cond_signal(&c->rcond);
}

static void mark_dead(remote_conn *c)
{
	pthread_mutex_lock(&c->lock);
	mark_dead_locked(c);
	pthread_mutex_unlock(&c->lock);
}

const char *remote_conn_server_name(remote_conn *c)
{
	return c->server_name;
}

uint32_t remote_conn_max_rows(remote_conn *c)
{
	return c->max_rows;
}

const char *remote_conn_address(remote_conn *c)
{
	return c->address;
}

/* ---- reading frames -------------------------------------------------------------------------- */

/* Who reads the stream. Only one thread at a time may (GnuTLS allows one
 * reader beside one writer, and a frame must be read whole by one thread):
 * the role is taken and given back under c->lock, and the read-ahead
 * buffer belongs to whoever holds it. A call waiting for its reply reads
 * itself when nobody else does, so a round trip costs no hand-off from a
 * reader thread to the caller (one wake-up less each way). The reader
 * thread watches the stream only when the connection has been idle for
 * REMOTE_IDLE_WATCH_MS, for events pushed while no call is in flight, and
 * to notice a lost connection; a call that finds it watching asks it to
 * stop through wake_fd. An event that arrives in that short gap, with
 * nobody reading, waits at most that long, or for the next call, which
 * takes it first (remote_conn_alive). */
enum { READ_NONE, READ_WATCHER, READ_CALLER };

#define REMOTE_IDLE_WATCH_MS 2

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether bytes wait in user space (role held): no poll() may come first. */
static BOOL input_buffered(remote_conn *c)
{
	return c->rpos < c->rlen || (c->io.tls && gnutls_record_check_pending(c->io.tls) > 0);
}

/* One read of what the stream has now (role held): > 0 bytes, 0 nothing
 * yet, -1 the stream ended or failed. */
static ssize_t stream_recv(remote_conn *c, void *dst, size_t cb)
{
	for (;;) {
		if (!c->io.tls) {
			ssize_t n = recv(c->fd, dst, cb, MSG_DONTWAIT);
			if (n > 0)
				return n;
			if (n < 0 && errno == EINTR)
				continue;
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
		}
		ssize_t n = gnutls_record_recv(c->io.tls, dst, cb);
		if (n > 0)
			return n;
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		return n == GNUTLS_E_AGAIN ? 0 : -1;
	}
}

/* poll() until the stream is readable or the deadline (< 0: none) passes;
 * also for a kick on wake_fd when kick is given: 1 readable, 2 kicked, 0
 * timed out, -1 failure. */
static int wait_input(remote_conn *c, int64_t deadline, BOOL kick)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			int64_t d = deadline - mono_ms();
			if (d <= 0)
				return 0;
			left = d > 0x7FFFFFFF ? 0x7FFFFFFF : (int)d;
		}
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN}, {.fd = c->wake_fd, .events = POLLIN}};
		int r = poll(p, kick ? 2 : 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		return kick && (p[1].revents & POLLIN) ? 2 : 1;
	}
}

/* Reads exactly cb bytes (role held), through the read-ahead buffer;
 * large ones straight into dst. wait_first: poll() before the first
 * recv, when the bytes are surely not there yet (a reply just asked for).
 * 1 done, 0 timed out before any byte, -1 failure. */
static int read_bytes(remote_conn *c, BYTE *dst, size_t cb, int64_t deadline, BOOL wait_first)
{
	size_t got = 0;
	while (got < cb) {
		if (c->rpos < c->rlen) {
			size_t n = c->rlen - c->rpos;
			if (n > cb - got)
				n = cb - got;
			memcpy(dst + got, c->rbuf + c->rpos, n);
			c->rpos += n;
			got += n;
			continue;
		}
		if (wait_first && !input_buffered(c)) {
			int r = wait_input(c, deadline, FALSE);
			if (r <= 0)
				return r < 0 || got ? -1 : 0;
		}
		wait_first = FALSE;
		BOOL direct = cb - got >= sizeof c->rbuf;
		ssize_t n = stream_recv(c, direct ? dst + got : c->rbuf, direct ? cb - got : sizeof c->rbuf);
		if (n < 0)
			return -1;
		if (n > 0) {
			if (direct) {
				got += (size_t)n;
			} else {
				c->rpos = 0;
				c->rlen = (size_t)n;
			}
			continue;
		}
		if (input_buffered(c))
			continue;
		int r = wait_input(c, deadline, FALSE);
		if (r <= 0)
			return r < 0 || got ? -1 : 0;
	}
	return 1;
}

/* Reads one frame (role held). Its first byte by first_deadline (< 0:
 * none; now: only if it is there), the rest within the timeout. 1 frame
 * (payload in *out), 0 no frame by first_deadline, -1 the connection is
 * broken (ended, timed out within a frame, or malformed). */
static int read_frame(remote_conn *c, int64_t first_deadline, BOOL wait_first, mapix_proto_header *h, BYTE **out)
{
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	*out = NULL;
	int r = read_bytes(c, hdr, 1, first_deadline, wait_first);
	if (r <= 0)
		return r;
	int64_t deadline = mono_ms() + c->timeout_ms;
	if (read_bytes(c, hdr + 1, sizeof hdr - 1, deadline, FALSE) <= 0 ||
	    FAILED(mapix_proto_header_decode(hdr, c->max_frame, h)) ||
	    (h->kind != MAPIX_PROTO_REPLY && h->kind != MAPIX_PROTO_EVENT))
		return -1;
	BYTE *payload = malloc(h->length ? h->length : 1);
	if (!payload || (h->length && read_bytes(c, payload, h->length, deadline, FALSE) <= 0)) {
		free(payload);
		return -1;
	}
	*out = payload;
	return 1;
}

/* Hands a frame on (lock held): a reply to the call waiting for it, an
 * event to the dispatcher's queue. FALSE (payload freed) when nobody asked
 * for the reply, i.e. the server is confused, or memory ran out. */
static BOOL take_frame_locked(remote_conn *c, const mapix_proto_header *h, BYTE *payload)
{
	if (h->kind == MAPIX_PROTO_REPLY) {
		pending *p = c->pending;
		while (p && p->id != h->id)
			p = p->next;
		if (!p || p->done) {
			free(payload);
			return FALSE;
		}
		p->reply = payload;
		p->cb = h->length;
		p->ev_mark = c->ev_queued;
		p->done = TRUE;
	} else {
		event *e = malloc(sizeof *e);
		if (!e) {
			free(payload);
			return FALSE;
		}
		e->next = NULL;
		e->payload = payload;
		e->cb = h->length;
		if (c->ev_tail)
			c->ev_tail->next = e;
		else
			c->ev_head = e;
		c->ev_tail = e;
		c->ev_queued++;
	}
	pthread_cond_broadcast(&c->cond);
	return TRUE;
}

/* Gives the read role back (lock held): a waiting call takes it, or the
 * reader thread, parked while others read, starts counting idle time. */
static void release_role_locked(remote_conn *c)
{
	c->role = READ_NONE;
	if (c->n_waiting)
		pthread_cond_broadcast(&c->cond);
	else if (c->reader_parked)
		pthread_cond_signal(&c->rcond);
}

/* Takes the frames that are there now, without waiting (lock held, role
 * free): what arrived while nobody read, a lost connection included. */
static void pump_locked(remote_conn *c)
{
	c->role = READ_CALLER;
	for (;;) {
		pthread_mutex_unlock(&c->lock);
		mapix_proto_header h;
		BYTE *payload;
		int r = read_frame(c, 0, FALSE, &h, &payload);
		pthread_mutex_lock(&c->lock);
		if (r < 0 || (r > 0 && !take_frame_locked(c, &h, payload)))
			mark_dead_locked(c);
		if (r <= 0 || c->dead)
			break;
	}
	release_role_locked(c);
}

BOOL remote_conn_alive(remote_conn *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->dead && c->role == READ_NONE) {
		int64_t saved = c->idle_since;
		pump_locked(c);
		c->idle_since = saved;
	}
	BOOL alive = !c->dead;
	pthread_mutex_unlock(&c->lock);
	return alive;
}

/* ---- the reader and the dispatcher -------------------------------------------------------- */

static void *reader_main(void *arg)
{
	remote_conn *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->dead) {
		if (c->role != READ_NONE || c->n_waiting) {
			/* Calls read for themselves; the last one to give the role
			 * back wakes this thread. */
			c->reader_parked = TRUE;
			pthread_cond_wait(&c->rcond, &c->lock);
			c->reader_parked = FALSE;
			continue;
		}
		int64_t until = c->idle_since + REMOTE_IDLE_WATCH_MS;
		if (mono_ms() < until) {
			struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (long)(until % 1000) * 1000000L};
			pthread_cond_timedwait(&c->rcond, &c->lock, &ts);
			continue;
		}
		c->role = READ_WATCHER;
		c->kicked = FALSE;
		pthread_mutex_unlock(&c->lock);
		/* Watch until a frame comes or a call wants the stream. */
		int w = input_buffered(c) ? 1 : wait_input(c, -1, TRUE);
		int r = 0;
		mapix_proto_header h;
		BYTE *payload = NULL;
		if (w == 1)
			r = read_frame(c, 0, FALSE, &h, &payload);
		pthread_mutex_lock(&c->lock);
		if (w < 0 || r < 0 || (r > 0 && !take_frame_locked(c, &h, payload)))
			mark_dead_locked(c);
		if (c->kicked) {
			uint64_t v;
			(void)!read(c->wake_fd, &v, sizeof v);
		}
		release_role_locked(c);
	}
	pthread_mutex_unlock(&c->lock);
	mapix_error_clear();
	return NULL;
}

/* Hands one event to the support object of its advise. */
static void deliver(remote_conn *c, const event *e)
{
	MAPIXWIRECURSOR cur;
	ULONG id, n = 0;
	LPNOTIFICATION notifs = NULL;
	mapix_wire_cursor_init(&cur, e->payload, e->cb);
	if (FAILED(mapix_wire_get_u32(&cur, &id)) || FAILED(mapix_proto_get_notifs(&cur, &n, &notifs)) ||
	    FAILED(mapix_wire_get_end(&cur))) {
		if (notifs)
			MAPIFreeBuffer(notifs);
		mapix_error_clear();
		mark_dead(c); /* a malformed event: the server is broken */
		return;
	}
	LPMAPISUP sup = NULL;
	BYTE key[sizeof(ULONG) + 16];
	pthread_mutex_lock(&c->lock);
	for (advise_reg *a = c->advises; a; a = a->next)
		if (a->id == id) {
			sup = a->support;
			IMAPISupport_AddRef(sup);
			memcpy(key, &a->key, sizeof key);
			break;
		}
	pthread_mutex_unlock(&c->lock);
	if (sup) {
		ULONG flags = 0;
		IMAPISupport_Notify(sup, (LPNOTIFKEY)key, n, notifs, &flags);
		IMAPISupport_Release(sup);
	}
	MAPIFreeBuffer(notifs);
	mapix_error_clear();
}

static void *dispatcher_main(void *arg)
{
	remote_conn *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->ev_head && !c->closing)
			pthread_cond_wait(&c->cond, &c->lock);
		if (!c->ev_head && c->closing)
			break;
		event *e = c->ev_head;
		c->ev_head = e->next;
		if (!c->ev_head)
			c->ev_tail = NULL;
		pthread_mutex_unlock(&c->lock);
		deliver(c, e);
		free(e->payload);
		free(e);
		pthread_mutex_lock(&c->lock);
		c->ev_done++;
		pthread_cond_broadcast(&c->cond);
	}
	BOOL frees = c->dispatcher_frees;
	pthread_mutex_unlock(&c->lock);
	if (frees)
		conn_free(c);
	return NULL;
}

/* ---- calls ------------------------------------------------------------------------------------- */

void rc_begin(rcall *c, remote_conn *conn, uint32_t handle, uint32_t op)
{
	memset(c, 0, sizeof *c);
	c->conn = conn;
	mapix_wire_buf_init(&c->req);
	RC_PUT(c, mapix_wire_put_u32(&c->req, handle));
	RC_PUT(c, mapix_wire_put_u32(&c->req, op));
}

void rc_end(rcall *c)
{
	mapix_wire_buf_free(&c->req);
	free(c->reply);
	c->reply = NULL;
}

static HRESULT net_error(remote_conn *c, const char *fn, const char *why)
{
	return mapix_error(MAPI_E_NETWORK_ERROR, "%s: mapixd at %s: %s", fn, c->address, why);
}

/* Sends a request and waits for its reply (payload in *reply). The call
 * reads the stream itself while nobody else does, handing on whatever
 * else it meets (other calls' replies, events); otherwise it waits for
 * the thread that reads to hand it its reply. */
static HRESULT roundtrip(remote_conn *c, const MAPIXWIREBUF *req, const char *fn, BYTE **reply, size_t *cb)
{
	pending p;
	memset(&p, 0, sizeof p);
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return net_error(c, fn, "the connection was lost (log on again)");
	}
	p.id = ++c->next_id;
	p.next = c->pending;
	c->pending = &p;
	c->n_waiting++;
	pthread_mutex_unlock(&c->lock);

	pthread_mutex_lock(&c->wlock);
	HRESULT hr = send_after_releases(c, MAPIX_PROTO_REQUEST, p.id, req->pb, req->cb);
	pthread_mutex_unlock(&c->wlock);

	int64_t deadline_ms = mono_ms() + c->timeout_ms;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += c->timeout_ms / 1000;
	deadline.tv_nsec += (long)(c->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->lock);
	if (FAILED(hr))
		mark_dead_locked(c);
	BOOL first = TRUE;
	while (!p.done && !c->dead) {
		if (c->role == READ_NONE) {
			c->role = READ_CALLER;
			pthread_mutex_unlock(&c->lock);
			mapix_proto_header h;
			BYTE *payload;
			/* The first time the reply cannot be there yet: poll() first. */
			int r = read_frame(c, deadline_ms, first, &h, &payload);
			first = FALSE;
			pthread_mutex_lock(&c->lock);
			if (r <= 0 || !take_frame_locked(c, &h, payload))
				mark_dead_locked(c); /* broken, or no reply within the timeout */
			c->role = READ_NONE;
			continue;
		}
		if (c->role == READ_WATCHER && !c->kicked) {
			uint64_t one = 1;
			c->kicked = TRUE;
			(void)!write(c->wake_fd, &one, sizeof one);
		}
		if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == ETIMEDOUT && !p.done) {
			mark_dead_locked(c);
			break;
		}
	}
	c->n_waiting--;
	if (c->role == READ_NONE) {
		c->idle_since = mono_ms();
		release_role_locked(c);
	}
	/* Events that came before the reply are dispatched first (not when this
	 * call comes from the dispatcher itself). */
	BOOL on_dispatcher = c->has_dispatcher && pthread_equal(pthread_self(), c->dispatcher);
	while (p.done && !on_dispatcher && c->has_dispatcher && !c->dead && c->ev_done < p.ev_mark)
		pthread_cond_wait(&c->cond, &c->lock);
	for (pending **pp = &c->pending; *pp; pp = &(*pp)->next)
		if (*pp == &p) {
			*pp = p.next;
			break;
		}
	BOOL done = p.done;
	pthread_mutex_unlock(&c->lock);
	if (!done) {
		free(p.reply);
		return net_error(c, fn, FAILED(hr) ? "the request could not be sent" : "no reply (connection lost or timed out)");
	}
	*reply = p.reply;
	*cb = p.cb;
	return S_OK;
}

static HRESULT check_context(remote_conn *c, const char *fn)
{
	mapix_context now;
	if (FAILED(mapix_context_current(&now)))
		return MAPI_E_CALL_FAILED;
	if (!mapix_context_equal(&now, &c->ctx))
		return mapix_error(MAPI_E_NO_ACCESS, "%s: the object belongs to another security context (uid %u), the "
		                                     "caller runs as uid %u",
		                   fn, (unsigned)c->ctx.euid, (unsigned)now.euid);
	return S_OK;
}

HRESULT rc_run(rcall *c, const char *fn)
{
	HRESULT hr;
	if (FAILED(c->enc))
		return c->enc == MAPI_E_NOT_ENOUGH_MEMORY ? c->enc
		                                          : mapix_error(c->enc, "%s: %s", fn, MAPIXGetLastErrorText());
	if (c->req.cb > c->conn->max_frame)
		return mapix_error(MAPI_E_TOO_BIG, "%s: the request (%zu bytes) exceeds the server's frame limit (%u)", fn,
		                   c->req.cb, (unsigned)c->conn->max_frame);
	if (FAILED(hr = check_context(c->conn, fn)))
		return hr;
	size_t cb = 0;
	if (FAILED(hr = roundtrip(c->conn, &c->req, fn, &c->reply, &cb)))
		return hr;
	mapix_wire_cursor_init(&c->out, c->reply, cb);
	ULONG result;
	mapix_proto_arena arena = {0};
	char *text = NULL;
	if (FAILED(mapix_wire_get_u32(&c->out, &result)) || FAILED(mapix_proto_get_str(&c->out, &arena, &text))) {
		mapix_proto_arena_free(&arena);
		return rc_bad_reply(c, fn);
	}
	hr = (HRESULT)result;
	if (hr != S_OK && text && *text)
		mapix_error(hr, "%s", text);
	else if (hr != S_OK)
		mapix_error(hr, "%s: mapixd answered %s", fn, mapix_error_name(hr));
	else
		mapix_error_clear();
	mapix_proto_arena_free(&arena);
	return hr;
}

HRESULT rc_bad_reply(rcall *c, const char *fn)
{
	mark_dead(c->conn);
	return mapix_error(MAPI_E_NETWORK_ERROR, "%s: mapixd sent a malformed reply; the connection was dropped", fn);
}

/* Releases are deferred: the frames wait (at most REMOTE_RELEASE_BATCH of
 * them) and go out in the same system call as the connection's next
 * request, ahead of it, so the server still sees them first, but neither
 * side pays a system call and a wake-up per released object. Reading a
 * thousand messages was a third slower with a frame per Release. An idle
 * connection keeps at most that many objects open on the server a while
 * longer; closing the connection releases everything anyway. */
#define REMOTE_RELEASE_BATCH 64

void remote_conn_release_handle(remote_conn *c, uint32_t handle)
{
	pthread_mutex_lock(&c->lock);
	BOOL dead = c->dead;
	pthread_mutex_unlock(&c->lock);
	if (dead)
		return;
	MAPIXWIREBUF b;
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	mapix_wire_buf_init(&b);
	if (FAILED(mapix_wire_put_u32(&b, handle)) || FAILED(mapix_wire_put_u32(&b, MPX_OP_RELEASE))) {
		mapix_wire_buf_free(&b);
		mapix_error_clear();
		return;
	}
	pthread_mutex_lock(&c->wlock);
	if (c->n_released + 1 >= REMOTE_RELEASE_BATCH) {
		/* This one goes now, with those waiting. */
		if (FAILED(send_after_releases(c, MAPIX_PROTO_ONEWAY, 0, b.pb, b.cb)))
			mark_dead(c);
	} else {
		mapix_proto_header_encode(hdr, MAPIX_PROTO_ONEWAY, 0, (uint32_t)b.cb);
		if (SUCCEEDED(mapix_wire_put_bytes(&c->released, hdr, sizeof hdr)) &&
		    SUCCEEDED(mapix_wire_put_bytes(&c->released, b.pb, b.cb)))
			c->n_released++;
		else
			mark_dead(c); /* out of memory: a lost release would leak on the server */
	}
	pthread_mutex_unlock(&c->wlock);
	mapix_wire_buf_free(&b);
	mapix_error_clear();
}

/* Sends a frame after the deferred releases (wlock held): one sendmsg on
 * a UNIX socket, one TLS record over TCP as far as they fit. */
static HRESULT send_after_releases(remote_conn *c, uint16_t kind, uint32_t id, const void *pb, size_t cb)
{
	HRESULT hr = mapix_proto_io_write_frames(&c->io, c->released.pb, c->released.cb, kind, id, pb, cb, c->timeout_ms);
	mapix_wire_buf_reset(&c->released);
	c->n_released = 0;
	return hr;
}

/* ---- advises ------------------------------------------------------------------------------------ */

HRESULT remote_conn_advise_register(remote_conn *c, LPMAPISUP support, const void *owner, ULONG *id,
                                    LPNOTIFKEY *key)
{
	advise_reg *a = calloc(1, sizeof *a);
	if (!a)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Advise: out of memory");
	pthread_mutex_lock(&c->lock);
	if (!c->has_dispatcher) {
		if (pthread_create(&c->dispatcher, NULL, dispatcher_main, c) != 0) {
			pthread_mutex_unlock(&c->lock);
			free(a);
			return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "Advise: cannot start the notification thread");
		}
		c->has_dispatcher = TRUE;
	}
	a->id = ++c->next_advise;
	a->owner = owner;
	a->support = support;
	IMAPISupport_AddRef(support);
	/* The key is private to this connection's advise: 'R', then the
	 * connection's address in memory and the id, so two connections sharing
	 * one support object never collide. */
	a->key.cb = 16;
	memset(a->key.ab, 0, sizeof a->key.ab);
	a->key.ab[0] = 'R';
	uintptr_t self = (uintptr_t)c;
	memcpy(a->key.ab + 1, &self, sizeof self);
	memcpy(a->key.ab + 12, &a->id, sizeof a->id);
	a->next = c->advises;
	c->advises = a;
	*id = a->id;
	*key = (LPNOTIFKEY)&a->key;
	pthread_mutex_unlock(&c->lock);
	return S_OK;
}

void remote_conn_advise_unregister(remote_conn *c, ULONG id)
{
	advise_reg *found = NULL;
	pthread_mutex_lock(&c->lock);
	for (advise_reg **pp = &c->advises; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			found = *pp;
			*pp = found->next;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	if (found) {
		IMAPISupport_Release(found->support);
		free(found);
	}
}

void remote_conn_drop_advises(remote_conn *c, const void *owner)
{
	for (;;) {
		advise_reg *found = NULL;
		pthread_mutex_lock(&c->lock);
		for (advise_reg **pp = &c->advises; *pp; pp = &(*pp)->next)
			if ((*pp)->owner == owner) {
				found = *pp;
				*pp = found->next;
				break;
			}
		BOOL dead = c->dead;
		pthread_mutex_unlock(&c->lock);
		if (!found)
			return;
		if (!dead) {
			/* One-way: the server forgets the advise; nothing waits. */
			MAPIXWIREBUF b;
			mapix_wire_buf_init(&b);
			if (SUCCEEDED(mapix_wire_put_u32(&b, MAPIX_PROTO_CONN_HANDLE)) &&
			    SUCCEEDED(mapix_wire_put_u32(&b, MPX_OP_STORE_UNADVISE)) && SUCCEEDED(mapix_wire_put_u32(&b, found->id))) {
				pthread_mutex_lock(&c->wlock);
				if (FAILED(send_after_releases(c, MAPIX_PROTO_ONEWAY, 0, b.pb, b.cb)))
					mark_dead(c);
				pthread_mutex_unlock(&c->wlock);
			}
			mapix_wire_buf_free(&b);
			mapix_error_clear();
		}
		IMAPISupport_Release(found->support);
		free(found);
	}
}

/* ---- connecting, the pool, closing -------------------------------------------------------------- */

static int timeout_ms(void)
{
	const char *t = getenv("MAPIX_REMOTE_TIMEOUT");
	long s = t ? strtol(t, NULL, 10) : 0;
	return s > 0 && s < 86400 ? (int)(s * 1000) : REMOTE_DEFAULT_TIMEOUT_MS;
}

static HRESULT hello(remote_conn *c)
{
	rcall call;
	rc_begin(&call, c, MAPIX_PROTO_CONN_HANDLE, MPX_OP_HELLO);
	RC_PUT(&call, mapix_wire_put_u16(&call.req, MAPIX_PROTO_VERSION));
	RC_PUT(&call, mapix_wire_put_u16(&call.req, MAPIX_PROTO_VERSION));
	HRESULT hr = rc_run(&call, "mapixd HELLO");
	if (SUCCEEDED(hr)) {
		WORD version;
		mapix_proto_arena a = {0};
		char *name, *ident;
		BYTE admin;
		if (FAILED(mapix_wire_get_u16(&call.out, &version)) || FAILED(mapix_proto_get_str(&call.out, &a, &name)) ||
		    FAILED(mapix_wire_get_u32(&call.out, &c->max_frame)) || FAILED(mapix_wire_get_u32(&call.out, &c->max_rows)) ||
		    FAILED(mapix_proto_get_str(&call.out, &a, &ident)) || FAILED(mapix_wire_get_u8(&call.out, &admin)) ||
		    version != MAPIX_PROTO_VERSION || c->max_frame < 65536 || c->max_rows == 0)
			hr = rc_bad_reply(&call, "mapixd HELLO");
		else
			snprintf(c->server_name, sizeof c->server_name, "%s", name);
		mapix_proto_arena_free(&a);
	}
	rc_end(&call);
	return hr;
}

/* The password logon of a TCP connection (after HELLO). */
static HRESULT logon_password(remote_conn *c)
{
	rcall call;
	rc_begin(&call, c, MAPIX_PROTO_CONN_HANDLE, MPX_OP_LOGON_PASSWORD);
	RC_PUT(&call, mapix_proto_put_logon(&call.req, c->user, c->password));
	HRESULT hr = rc_run(&call, "mapixd logon");
	if (SUCCEEDED(hr)) {
		mapix_proto_arena a = {0};
		char *ident;
		BYTE admin;
		if (FAILED(mapix_proto_get_str(&call.out, &a, &ident)) || FAILED(mapix_wire_get_u8(&call.out, &admin)))
			hr = rc_bad_reply(&call, "mapixd logon");
		mapix_proto_arena_free(&a);
	}
	/* The request held the password: wipe it before the buffer goes. */
	if (call.req.pb)
		explicit_bzero(call.req.pb, call.req.cb);
	rc_end(&call);
	return hr;
}

static char *dup_opt(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static BOOL same_opt(const char *a, const char *b)
{
	if (a && !*a)
		a = NULL;
	if (b && !*b)
		b = NULL;
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static HRESULT conn_open(const remote_target *t, const char *address, const mapix_context *ctx, remote_conn **out)
{
	remote_address ra;
	int fd = -1;
	remote_tls tls = {NULL, NULL};
	*out = NULL;
	if (!remote_address_parse(address, &ra))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd address %s is not a socket path, tcp:HOST:PORT or "
		                                             "HOST:PORT",
		                   address);
	if (ra.tcp) {
		/* No password, no logon: say so before connecting. */
		if (!t->user || !*t->user || !t->password || !*t->password)
			return mapix_error(MAPI_E_LOGON_FAILED, "mapixd at %s: a TCP server needs an account name and password "
			                                        "(PR_MAPIX_REMOTE_USER, PR_MAPIX_REMOTE_PASSWORD)",
			                   address);
		/* What the server would refuse as malformed (ending the
		 * connection) is refused here with a clear reason. */
		if (strlen(t->password) > MAPIX_PROTO_MAX_PASSWORD)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd at %s: the password is longer than %u bytes", address,
			                   (unsigned)MAPIX_PROTO_MAX_PASSWORD);
		size_t n = strlen(t->user);
		if (n > 64 || t->user[0] == '.' || t->user[0] == '-' ||
		    strspn(t->user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd at %s: \"%s\" is not an account name", address,
			                   t->user);
		HRESULT hr = remote_tls_connect(address, &ra, t, timeout_ms(), &fd, &tls);
		if (FAILED(hr))
			return hr;
	} else {
		struct sockaddr_un addr;
		memset(&addr, 0, sizeof addr);
		addr.sun_family = AF_UNIX;
		if (strlen(ra.path) >= sizeof addr.sun_path)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd address %s is too long", address);
		strcpy(addr.sun_path, ra.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd at %s: socket: %s", address, strerror(errno));
		if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
			int e = errno;
			close(fd);
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd at %s cannot be reached: %s", address, strerror(e));
		}
	}
	remote_conn *c = calloc(1, sizeof *c);
	if (!c || !(c->address = strdup(address))) {
		free(c);
		remote_tls_close(&tls);
		close(fd);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
	}
	c->fd = fd;
	c->pid = getpid();
	c->io.fd = fd;
	c->io.tls = tls.session;
	c->tls = tls;
	if (ra.tcp) {
		c->user = dup_opt(t->user);
		c->password = dup_opt(t->password);
		c->ca_file = dup_opt(t->ca_file);
		c->pin = dup_opt(t->pin);
	}
	c->ctx = *ctx;
	c->timeout_ms = timeout_ms();
	c->max_frame = MAPIX_PROTO_DEFAULT_MAX_FRAME; /* until HELLO tells */
	atomic_init(&c->users, 1);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->rcond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&c->wlock, NULL);
	mapix_wire_buf_init(&c->released);
	c->idle_since = mono_ms(); /* HELLO reads its own reply */
	c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	BOOL no_memory = ra.tcp && (!c->user || !c->password);
	if (no_memory || c->wake_fd < 0 || pthread_create(&c->reader, NULL, reader_main, c) != 0) {
		HRESULT hr = no_memory ? mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory")
		                       : mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "mapixd: cannot start the connection's "
		                                                                  "reader thread");
		conn_free(c);
		return hr;
	}
	HRESULT hr = hello(c);
	if (FAILED(hr)) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		remote_conn_unref(c);
		return mapix_error(hr == MAPI_E_VERSION ? hr : MAPI_E_NETWORK_ERROR, "%s", why);
	}
	if (ra.tcp && FAILED(hr = logon_password(c))) {
		/* MAPI_E_LOGON_FAILED (wrong password, locked out) stays what it
		 * is; a broken connection is a network error. */
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		remote_conn_unref(c);
		return mapix_error(hr, "%s", why);
	}
	*out = c;
	return S_OK;
}

HRESULT remote_conn_get(const char *address, remote_conn **out)
{
	remote_target t;
	memset(&t, 0, sizeof t);
	t.address = address;
	return remote_conn_get_target(&t, out);
}

/* Whether pooled connection c serves target t in context ctx. */
static BOOL conn_matches(remote_conn *c, const remote_target *t, const char *address, const mapix_context *ctx)
{
	if (strcmp(c->address, address) != 0 || !mapix_context_equal(&c->ctx, ctx) || c->pid != getpid())
		return FALSE;
	if (!c->io.tls)
		return TRUE;
	return same_opt(c->user, t->user) && same_opt(c->password, t->password) && same_opt(c->ca_file, t->ca_file) &&
	       same_opt(c->pin, t->pin);
}

HRESULT remote_conn_get_target(const remote_target *t, remote_conn **out)
{
	mapix_context ctx;
	HRESULT hr;
	*out = NULL;
	const char *address = t->address;
	if (!address || !*address)
		address = MAPIX_DEFAULT_SERVER_SOCKET;
	if (strncmp(address, "unix:", 5) == 0)
		address += 5;
	if (FAILED(hr = mapix_context_current(&ctx)))
		return hr;
	pthread_mutex_lock(&pool_lock);
	for (remote_conn *c = pool; c; c = c->next)
		if (conn_matches(c, t, address, &ctx) && remote_conn_alive(c)) {
			atomic_fetch_add(&c->users, 1);
			pthread_mutex_unlock(&pool_lock);
			*out = c;
			return S_OK;
		}
	pthread_mutex_unlock(&pool_lock);
	remote_conn *c;
	if (FAILED(hr = conn_open(t, address, &ctx, &c)))
		return hr;
	pthread_mutex_lock(&pool_lock);
	c->next = pool;
	pool = c;
	pthread_mutex_unlock(&pool_lock);
	*out = c;
	return S_OK;
}

void remote_conn_target(remote_conn *c, remote_target *out)
{
	out->address = c->address;
	out->user = c->user;
	out->password = c->password;
	out->ca_file = c->ca_file;
	out->pin = c->pin;
}

void remote_conn_ref(remote_conn *c)
{
	atomic_fetch_add(&c->users, 1);
}

static void conn_free(remote_conn *c)
{
	while (c->ev_head) {
		event *e = c->ev_head;
		c->ev_head = e->next;
		free(e->payload);
		free(e);
	}
	while (c->advises) {
		advise_reg *a = c->advises;
		c->advises = a->next;
		IMAPISupport_Release(a->support);
		free(a);
	}
	remote_tls_close(&c->tls);
	close(c->fd);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->rcond);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	pthread_mutex_destroy(&c->wlock);
	mapix_wire_buf_free(&c->released);
	free(c->address);
	free(c->user);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->ca_file);
	free(c->pin);
	free(c);
}

void remote_conn_unref(remote_conn *c)
{
	if (!c)
		return;
	/* The pool lock orders the last release against remote_conn_get
	 * handing the connection out again. */
	pthread_mutex_lock(&pool_lock);
	if (atomic_fetch_sub(&c->users, 1) != 1) {
		pthread_mutex_unlock(&pool_lock);
		return;
	}
	for (remote_conn **pp = &pool; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	pthread_mutex_unlock(&pool_lock);

	pthread_mutex_lock(&c->lock);
	c->closing = TRUE;
	mark_dead_locked(c);
	BOOL has_dispatcher = c->has_dispatcher;
	BOOL on_dispatcher = has_dispatcher && pthread_equal(pthread_self(), c->dispatcher);
	if (on_dispatcher)
		c->dispatcher_frees = TRUE;
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->reader, NULL);
	if (on_dispatcher) {
		/* Released from inside a sink: the dispatcher finishes its event
		 * and frees the connection on its way out. */
		pthread_detach(c->dispatcher);
		return;
	}
	if (has_dispatcher)
		pthread_join(c->dispatcher, NULL);
	conn_free(c);
}

/* ---- reconnecting ------------------------------------------------------------------------------ */

BOOL remote_conn_same_context(remote_conn *c)
{
	mapix_context now;
	return SUCCEEDED(mapix_context_current(&now)) && mapix_context_equal(&now, &c->ctx);
}

/* The support object and the key stay what the sink subscribed with; only
 * the id the server pushes under is new. */
HRESULT remote_conn_advise_move(remote_conn *from, remote_conn *to, ULONG id, ULONG *new_id)
{
	advise_reg *found = NULL;
	pthread_mutex_lock(&from->lock);
	for (advise_reg **pp = &from->advises; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			found = *pp;
			*pp = found->next;
			break;
		}
	pthread_mutex_unlock(&from->lock);
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "Advise: advise %lu is not on the lost connection", (unsigned long)id);
	pthread_mutex_lock(&to->lock);
	if (!to->has_dispatcher) {
		if (pthread_create(&to->dispatcher, NULL, dispatcher_main, to) != 0) {
			pthread_mutex_unlock(&to->lock);
			IMAPISupport_Release(found->support);
			free(found);
			return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "Advise: cannot start the notification thread");
		}
		to->has_dispatcher = TRUE;
	}
	found->id = ++to->next_advise;
	found->next = to->advises;
	to->advises = found;
	*new_id = found->id;
	pthread_mutex_unlock(&to->lock);
	return S_OK;
}
