/*
 * fuzz_lmtp.c — libFuzzer target for mapixd's LMTP state machine
 * (src/server/lmtp_proto.c): the input is what a client sends, commands
 * and message data mixed as they come. The backend is a fake that accepts
 * recipients by their first letter and counts what it is given.
 *
 * The input is fed twice: whole, and cut into pieces whose sizes come
 * from the input itself. Both runs must produce the same replies and the
 * same message bytes (framing must not depend on how reads split the
 * stream). Also checked: every reply line is "ddd" + ' ' or '-' and ends
 * in CRLF; the data handed over never exceeds the size limit; exactly one
 * delivery per accepted recipient after DATA; no transaction state
 * survives a reset. Seeds are in corpus/lmtp/, crash inputs in
 * crashes/lmtp/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/lmtp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SIZE 4096

typedef struct fake {
	unsigned accepted;      /* recipients accepted in the transaction */
	unsigned delivered;     /* deliveries asked in the current DATA */
	uint64_t data_bytes;    /* bytes of the current message */
	int in_tx, in_data;
	uint64_t digest;        /* of everything the backend was given */
	unsigned transactions;
} fake;

static void mix(fake *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		f->digest = (f->digest ^ b[i]) * 1099511628211ull;
}

static int f_mail(void *ctx, const char *sender, int body8, char *reply)
{
	fake *f = ctx;
	if (f->in_tx)
		abort(); /* MAIL inside a transaction must not reach the backend */
	mix(f, sender, strlen(sender) + 1);
	mix(f, &body8, sizeof body8);
	if (sender[0] == 'Z') {
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 fake refusal");
		return -1;
	}
	f->in_tx = 1;
	f->accepted = 0;
	return 0;
}

static int f_rcpt(void *ctx, const char *addr, char *reply)
{
	fake *f = ctx;
	if (!f->in_tx || strlen(addr) >= LMTP_ADDR_MAX)
		abort();
	mix(f, addr, strlen(addr) + 1);
	if (addr[0] >= 'n' && addr[0] <= 'z') {
		snprintf(reply, LMTP_REPLY_MAX, "550 5.1.1 <%s> unknown", addr);
		return 0;
	}
	f->accepted++;
	snprintf(reply, LMTP_REPLY_MAX, "250 2.1.5 <%s> OK", addr);
	return 1;
}

static int f_data_begin(void *ctx, char *reply)
{
	fake *f = ctx;
	if (!f->in_tx || !f->accepted || f->in_data)
		abort();
	(void)reply;
	f->in_data = 1;
	f->data_bytes = 0;
	f->delivered = 0;
	return 0;
}

static int f_data_write(void *ctx, const void *p, size_t n)
{
	fake *f = ctx;
	if (!f->in_data)
		abort();
	f->data_bytes += n;
	if (f->data_bytes > MAX_SIZE)
		abort(); /* the machine must stop at the limit */
	mix(f, p, n);
	return 0;
}

static void f_deliver(void *ctx, unsigned i, int too_big, int failed, char *reply)
{
	fake *f = ctx;
	if (!f->in_data || i != f->delivered || i >= f->accepted)
		abort();
	f->delivered++;
	mix(f, &too_big, sizeof too_big);
	mix(f, &failed, sizeof failed);
	snprintf(reply, LMTP_REPLY_MAX, too_big ? "552 5.3.4 too big" : "250 2.0.0 saved %u", i);
}

static void f_reset(void *ctx)
{
	fake *f = ctx;
	if (f->in_data && f->delivered && f->delivered != f->accepted)
		abort(); /* a DATA answered for some recipients only */
	f->in_tx = f->in_data = 0;
	f->accepted = f->delivered = 0;
	f->transactions++;
}

static const lmtp_backend fake_backend = {f_mail, f_rcpt, f_data_begin, f_data_write, f_deliver, f_reset};

typedef struct run {
	char *out;
	size_t n;
	uint64_t digest;
} run;

/* Moves the session's output into r, checking each line. */
static void drain(lmtp_session *s, run *r)
{
	size_t n;
	const char *p = lmtp_output(s, &n);
	if (!n)
		return;
	char *grown = realloc(r->out, r->n + n);
	if (!grown)
		abort();
	r->out = grown;
	memcpy(r->out + r->n, p, n);
	r->n += n;
	lmtp_consumed(s, n);
}

static void check_lines(const run *r)
{
	size_t i = 0;
	while (i < r->n) {
		const char *lf = memchr(r->out + i, '\n', r->n - i);
		if (!lf)
			abort(); /* every reply ends in CRLF */
		size_t len = (size_t)(lf - (r->out + i));
		const char *l = r->out + i;
		if (len < 5 || l[len - 1] != '\r' || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' ||
		    l[2] > '9' || (l[3] != ' ' && l[3] != '-'))
			abort();
		i += len + 1;
	}
}

static void feed_all(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, run *r)
{
	lmtp_limits lim = {.max_line = 512, .max_size = MAX_SIZE, .max_rcpts = 5, .max_errors = 10};
	fake f;
	memset(&f, 0, sizeof f);
	lmtp_session *s = lmtp_session_new(&lim, &fake_backend, &f, "fuzz.example");
	if (!s)
		abort();
	lmtp_greet(s);
	drain(s, r);
	size_t at = 0, c = 0;
	while (at < size) {
		size_t piece = ncuts ? (size_t)cuts[c++ % ncuts] + 1 : size - at;
		if (piece > size - at)
			piece = size - at;
		int st = lmtp_feed(s, (const char *)data + at, piece);
		drain(s, r);
		at += piece;
		if (st != LMTP_GO_ON)
			break;
	}
	lmtp_session_free(s);
	if (f.in_tx || f.in_data)
		abort(); /* the end of the session resets the transaction */
	r->digest = f.digest;
	check_lines(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first bytes (up to 8) give the piece sizes of the second run. */
	size_t ncuts = size ? (size_t)(data[0] % 8) + 1 : 0;
	if (ncuts > size)
		ncuts = size;
	run whole = {0}, pieces = {0};
	feed_all(data, size, NULL, 0, &whole);
	feed_all(data, size, data, ncuts, &pieces);
	if (whole.n != pieces.n || (whole.n && memcmp(whole.out, pieces.out, whole.n) != 0) ||
	    whole.digest != pieces.digest)
		abort(); /* the replies depend on how the input was split */
	free(whole.out);
	free(pieces.out);
	return 0;
}
