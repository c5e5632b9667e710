/*
 * proto_frame.c — frame headers of the mapixd protocol (proto.h) and the
 * blocking read/write of whole frames on a socket, with timeouts, so that
 * neither side can be made to wait forever by its peer: a peer that stops
 * sending or stops reading costs the connection, never a hung thread.
 *
 * The same loops run over TLS (GnuTLS on a non-blocking socket): a record
 * call that would block returns GNUTLS_E_AGAIN, and the wait is the same
 * poll() with the same deadline, so every limit and timeout of a plain
 * connection holds unchanged under TLS.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "core/error.h"
#include "core/proto.h"

static void put16(BYTE *p, uint16_t v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
}

static void put32(BYTE *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (BYTE)(v >> (8 * i));
}

static uint16_t get16(const BYTE *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const BYTE *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void mapix_proto_header_encode(BYTE out[MAPIX_PROTO_HEADER_SIZE], uint16_t kind, uint32_t id, uint32_t length)
{
	put32(out, MAPIX_PROTO_MAGIC);
	put16(out + 4, MAPIX_PROTO_VERSION);
	put16(out + 6, kind);
	put32(out + 8, id);
	put32(out + 12, length);
}

HRESULT mapix_proto_header_decode(const BYTE in[MAPIX_PROTO_HEADER_SIZE], uint32_t max_payload,
                                  mapix_proto_header *hdr)
{
	if (get32(in) != MAPIX_PROTO_MAGIC)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapixd protocol: bad frame magic 0x%08X", (unsigned)get32(in));
	hdr->version = get16(in + 4);
	hdr->kind = get16(in + 6);
	hdr->id = get32(in + 8);
	hdr->length = get32(in + 12);
	if (hdr->version != MAPIX_PROTO_VERSION)
		return mapix_error(MAPI_E_VERSION, "mapixd protocol: frame version %u, this side speaks %u",
		                   (unsigned)hdr->version, (unsigned)MAPIX_PROTO_VERSION);
	if (hdr->kind < MAPIX_PROTO_REQUEST || hdr->kind > MAPIX_PROTO_EVENT)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapixd protocol: unknown frame kind %u", (unsigned)hdr->kind);
	if (max_payload > MAPIX_PROTO_MAX_FRAME_LIMIT)
		max_payload = MAPIX_PROTO_MAX_FRAME_LIMIT;
	if (hdr->length > max_payload)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapixd protocol: frame of %u bytes exceeds the limit of %u",
		                   (unsigned)hdr->length, (unsigned)max_payload);
	return S_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to become ready for `events` until the deadline (-1: none). */
static int wait_ready(int fd, short events, int64_t deadline)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			int64_t d = deadline - now_ms();
			if (d <= 0)
				return 0;
			left = d > 0x7FFFFFFF ? 0x7FFFFFFF : (int)d;
		}
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
		return 1;
	}
}

/* Writes the pieces in order, in as few sendmsg calls as the socket
 * allows (one, usually: a request is one system call, not two). */
static HRESULT write_iov(int fd, struct iovec *iov, int n, int64_t deadline)
{
	while (n > 0) {
		if (!iov->iov_len) {
			iov++;
			n--;
			continue;
		}
		struct msghdr m;
		memset(&m, 0, sizeof m);
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			size_t done = (size_t)w;
			while (n > 0 && done >= iov->iov_len) {
				done -= iov->iov_len;
				iov++;
				n--;
			}
			if (n > 0) {
				iov->iov_base = (BYTE *)iov->iov_base + done;
				iov->iov_len -= done;
			}
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_ready(fd, POLLOUT, deadline);
			if (r > 0)
				continue;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: the peer does not read (%s)",
			                   r == 0 ? "timed out" : strerror(errno));
		}
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: send failed: %s",
		                   w == 0 ? "connection closed" : strerror(errno));
	}
	return S_OK;
}

HRESULT mapix_proto_write_frames(int fd, const void *before, size_t cb_before, uint16_t kind, uint32_t id,
                                 const void *payload, size_t cb, int timeout_ms)
{
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	if (cb > MAPIX_PROTO_MAX_FRAME_LIMIT)
		return mapix_error(MAPI_E_TOO_BIG, "mapixd protocol: frame of %zu bytes is too large", cb);
	mapix_proto_header_encode(hdr, kind, id, (uint32_t)cb);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct iovec iov[3] = {{(void *)before, before ? cb_before : 0}, {hdr, sizeof hdr}, {(void *)payload, cb}};
	return write_iov(fd, iov, 3, deadline);
}

HRESULT mapix_proto_write_frame(int fd, uint16_t kind, uint32_t id, const void *payload, size_t cb,
                                int timeout_ms)
{
	return mapix_proto_write_frames(fd, NULL, 0, kind, id, payload, cb, timeout_ms);
}

HRESULT mapix_proto_read_full(int fd, void *buf, size_t cb, int timeout_ms, BOOL *eof)
{
	BYTE *p = buf;
	size_t got = 0;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	if (eof)
		*eof = FALSE;
	while (got < cb) {
		ssize_t n = recv(fd, p + got, cb - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			if (eof)
				*eof = got == 0;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: connection closed by the peer");
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int r = wait_ready(fd, POLLIN, deadline);
			if (r > 0)
				continue;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: %s",
			                   r == 0 ? "timed out waiting for the peer" : strerror(errno));
		}
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: receive failed: %s", strerror(errno));
	}
	return S_OK;
}

/* ---- TLS ------------------------------------------------------------------------------- */

static HRESULT tls_write_all(const mapix_proto_io *io, const BYTE *p, size_t cb, int64_t deadline)
{
	gnutls_session_t s = io->tls;
	while (cb) {
		ssize_t n = gnutls_record_send(s, p, cb);
		if (n > 0) {
			p += n;
			cb -= (size_t)n;
			continue;
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			/* GnuTLS keeps the unsent record: the retry passes the same
			 * bytes, as its documentation asks. */
			int r = wait_ready(io->fd, POLLOUT, deadline);
			if (r > 0)
				continue;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: the peer does not read (%s)",
			                   r == 0 ? "timed out" : strerror(errno));
		}
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: TLS send failed: %s",
		                   n == 0 ? "connection closed" : gnutls_strerror((int)n));
	}
	return S_OK;
}

HRESULT mapix_proto_io_write_frames(const mapix_proto_io *io, const void *before, size_t cb_before, uint16_t kind,
                                    uint32_t id, const void *payload, size_t cb, int timeout_ms)
{
	if (!io->tls)
		return mapix_proto_write_frames(io->fd, before, cb_before, kind, id, payload, cb, timeout_ms);
	BYTE hdr[MAPIX_PROTO_HEADER_SIZE];
	if (cb > MAPIX_PROTO_MAX_FRAME_LIMIT)
		return mapix_error(MAPI_E_TOO_BIG, "mapixd protocol: frame of %zu bytes is too large", cb);
	mapix_proto_header_encode(hdr, kind, id, (uint32_t)cb);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	if (!before)
		cb_before = 0;
	/* TLS has no gather-write: the pieces are copied into one buffer of at
	 * most one record, so that a small request and the releases deferred
	 * ahead of it cost one record (and one system call), not one each.
	 * Whatever does not fit follows in full records. */
	BYTE one[16384];
	size_t n;
	HRESULT hr = S_OK;
	if (cb_before > sizeof one - sizeof hdr) {
		hr = tls_write_all(io, before, cb_before, deadline);
		cb_before = 0;
	}
	if (FAILED(hr))
		return hr;
	if (cb_before)
		memcpy(one, before, cb_before);
	n = cb_before;
	memcpy(one + n, hdr, sizeof hdr);
	n += sizeof hdr;
	size_t head = cb < sizeof one - n ? cb : sizeof one - n;
	if (head)
		memcpy(one + n, payload, head);
	n += head;
	hr = tls_write_all(io, one, n, deadline);
	if (SUCCEEDED(hr) && cb > head)
		hr = tls_write_all(io, (const BYTE *)payload + head, cb - head, deadline);
	return hr;
}

HRESULT mapix_proto_io_write_frame(const mapix_proto_io *io, uint16_t kind, uint32_t id, const void *payload,
                                   size_t cb, int timeout_ms)
{
	return mapix_proto_io_write_frames(io, NULL, 0, kind, id, payload, cb, timeout_ms);
}

HRESULT mapix_proto_io_read_full(const mapix_proto_io *io, void *buf, size_t cb, int timeout_ms, BOOL *eof)
{
	if (!io->tls)
		return mapix_proto_read_full(io->fd, buf, cb, timeout_ms, eof);
	gnutls_session_t s = io->tls;
	BYTE *p = buf;
	size_t got = 0;
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	if (eof)
		*eof = FALSE;
	while (got < cb) {
		/* Records already decrypted are read before any poll(): the socket
		 * may have nothing more to say while GnuTLS holds the rest. */
		ssize_t n = gnutls_record_recv(s, p + got, cb - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			if (eof)
				*eof = got == 0;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: connection closed by the peer");
		}
		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_AGAIN) {
			int r = wait_ready(io->fd, POLLIN, deadline);
			if (r > 0)
				continue;
			return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: %s",
			                   r == 0 ? "timed out waiting for the peer" : strerror(errno));
		}
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd protocol: TLS receive failed: %s", gnutls_strerror((int)n));
	}
	return S_OK;
}

HRESULT mapix_proto_tls_handshake(const mapix_proto_io *io, int timeout_ms, int *gnutls_rc)
{
	gnutls_session_t s = io->tls;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	for (;;) {
		int rc = gnutls_handshake(s);
		if (gnutls_rc)
			*gnutls_rc = rc;
		if (rc == GNUTLS_E_SUCCESS)
			return S_OK;
		if (rc == GNUTLS_E_INTERRUPTED)
			continue;
		if (rc == GNUTLS_E_AGAIN) {
			/* The handshake says whether it waits to read or to write. */
			short ev = gnutls_record_get_direction(s) ? POLLOUT : POLLIN;
			int r = wait_ready(io->fd, ev, deadline);
			if (r > 0)
				continue;
			return mapix_error(MAPI_E_NETWORK_ERROR, "TLS handshake: %s",
			                   r == 0 ? "timed out" : strerror(errno));
		}
		if (gnutls_error_is_fatal(rc) == 0)
			continue; /* warning alerts: carry on */
		return mapix_error(MAPI_E_NETWORK_ERROR, "TLS handshake failed: %s", gnutls_strerror(rc));
	}
}
