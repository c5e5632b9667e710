/*
 * runas_wire.c — the framing shared by the pool protocol and the
 * broker-monitor channel (docs/protocol.md, "mapix-runas pool protocol").
 *
 * A frame is one SOCK_SEQPACKET message: u32 total length, u16 version,
 * u16 type, then fields (u16 tag, u16 length, bytes), all little-endian.
 * The length prefix is redundant with the packet boundary on purpose: a frame
 * whose prefix disagrees with what arrived is refused, so a confused or
 * hostile peer is caught at the first frame. Receiving checks everything
 * (length, version, field layout, truncation, descriptor count) and closes
 * the descriptors of a refused frame, so callers only see well-formed frames.
 */
#include "runas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct runas_frame *runas_frame_new(unsigned type)
{
	struct runas_frame *f = malloc(sizeof(*f));
	if (!f) {
		runas_fail(ENOMEM, "runas: out of memory for a frame");
		return NULL;
	}
	runas_frame_reset(f, type);
	return f;
}

void runas_frame_reset(struct runas_frame *f, unsigned type)
{
	f->overflow = false;
	f->len = RUNAS_HEADER_SIZE;
	put32(f->buf, RUNAS_HEADER_SIZE);
	put16(f->buf + 4, RUNAS_PROTO_VERSION);
	put16(f->buf + 6, type);
}

unsigned runas_frame_type(const struct runas_frame *f)
{
	return get16(f->buf + 6);
}

void runas_frame_put(struct runas_frame *f, unsigned tag, const void *data, size_t len)
{
	if (f->overflow || len > 0xffff || f->len + 4 + len > RUNAS_FRAME_MAX) {
		f->overflow = true;
		return;
	}
	put16(f->buf + f->len, tag);
	put16(f->buf + f->len + 2, (unsigned)len);
	if (len)
		memcpy(f->buf + f->len + 4, data, len);
	f->len += 4 + len;
	put32(f->buf, (uint32_t)f->len);
}

void runas_frame_put_str(struct runas_frame *f, unsigned tag, const char *s)
{
	runas_frame_put(f, tag, s, strlen(s));
}

void runas_frame_put_u32(struct runas_frame *f, unsigned tag, uint32_t v)
{
	unsigned char b[4];
	put32(b, v);
	runas_frame_put(f, tag, b, 4);
}

int runas_frame_send(int sock, struct runas_frame *f, const int *fds, int nfds)
{
	if (f->overflow)
		return runas_fail(EMSGSIZE, "runas: request larger than %d bytes", RUNAS_FRAME_MAX);
	if (nfds < 0 || nfds > RUNAS_MAX_FDS)
		return runas_fail(EINVAL, "runas: %d descriptors in one frame", nfds);
	struct iovec iov = {.iov_base = f->buf, .iov_len = f->len};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * RUNAS_MAX_FDS)];
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t n;
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return runas_fail(errno, "runas: cannot send: %s", strerror(errno));
	return 0;
}

int runas_frame_next(const struct runas_frame *f, size_t *off, struct runas_field *out)
{
	size_t pos = *off < RUNAS_HEADER_SIZE ? RUNAS_HEADER_SIZE : *off;
	if (pos == f->len)
		return 0;
	if (f->len - pos < 4)
		return -1;
	size_t flen = get16(f->buf + pos + 2);
	if (f->len - pos - 4 < flen)
		return -1;
	out->tag = get16(f->buf + pos);
	out->data = f->buf + pos + 4;
	out->len = flen;
	*off = pos + 4 + flen;
	return 1;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int runas_frame_recv(int sock, struct runas_frame *f, int *fds, int max_fds, int *nfds)
{
	/* Room for more descriptors than allowed, so that "too many" is seen
	 * and closed here instead of silently truncated. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = {.iov_base = f->buf, .iov_len = sizeof(f->buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	int got[16];
	int ngot = 0;
	ssize_t n;
	*nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return runas_fail(errno, "runas: cannot receive: %s", strerror(errno));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && ngot < 16; i++)
			memcpy(&got[ngot++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (n == 0 && ngot == 0)
		return 0;
	const char *why = NULL;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		why = "frame or descriptors truncated";
	else if (ngot > max_fds)
		why = "too many descriptors";
	else if ((size_t)n < RUNAS_HEADER_SIZE)
		why = "short frame";
	else if (get32(f->buf) != (uint32_t)n)
		why = "length prefix does not match the frame";
	else if (get16(f->buf + 4) != RUNAS_PROTO_VERSION)
		why = "unsupported protocol version";
	if (!why) {
		f->len = (size_t)n;
		f->overflow = false;
		size_t off = 0;
		struct runas_field fl;
		int r;
		while ((r = runas_frame_next(f, &off, &fl)) > 0)
			;
		if (r < 0)
			why = "malformed field";
	}
	if (why) {
		close_all(got, ngot);
		return runas_fail(EPROTO, "runas: bad frame: %s", why);
	}
	memcpy(fds, got, sizeof(int) * (size_t)ngot);
	*nfds = ngot;
	return 1;
}

char *runas_field_str(const struct runas_field *fl)
{
	if (memchr(fl->data, 0, fl->len)) {
		runas_fail(EPROTO, "runas: bad frame: NUL inside a string field");
		return NULL;
	}
	char *s = malloc(fl->len + 1);
	if (!s) {
		runas_fail(ENOMEM, "runas: out of memory");
		return NULL;
	}
	memcpy(s, fl->data, fl->len);
	s[fl->len] = 0;
	return s;
}

int runas_field_u32(const struct runas_field *fl, uint32_t *v)
{
	if (fl->len != 4)
		return runas_fail(EPROTO, "runas: bad frame: field %u is not 4 bytes", fl->tag);
	*v = get32(fl->data);
	return 0;
}
