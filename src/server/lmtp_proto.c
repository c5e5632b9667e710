/*
 * lmtp_proto.c — the LMTP state machine (lmtp_proto.h): line framing,
 * command parsing, the order of commands, and the message body with its
 * dot-unstuffing. It knows nothing of mailboxes; lmtp_deliver.c answers
 * its callbacks in mapixd, the fuzz target answers them with fakes.
 *
 * Lines end in LF; a CR before it is dropped (RFC 2033 asks for CRLF, and
 * tolerating a bare LF is what Postfix and Dovecot do). A command line
 * longer than the limit is read to its end without being kept and answered
 * 500 5.5.2. The body is a byte stream with a small state for "at the start
 * of a line" so that "." CRLF ends it and a leading dot is removed; its
 * lines are not limited (they go to the spool file, not to memory).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp_proto.h"

enum state { ST_START, ST_READY, ST_MAIL, ST_DATA };

/* Where the body parser is within a line. */
enum dstate { D_BOL, D_DOT, D_DOT_CR, D_MID };

struct lmtp_session {
	lmtp_limits lim;
	const lmtp_backend *be;
	void *ctx;
	char host[256];
	char client[256];
	enum state st;
	unsigned accepted;     /* recipients accepted in this transaction */
	unsigned errors;       /* consecutive bad commands */
	int closing;
	/* the command line being assembled */
	char *line;
	size_t len;
	int overlong;
	/* the body */
	enum dstate ds;
	uint64_t size;
	int too_big, failed;
	char chunk[8192];
	size_t clen;
	/* queued output */
	char *out;
	size_t olen, ocap;
	int nomem;
};

static void emit(lmtp_session *s, const char *text, size_t n)
{
	if (s->nomem)
		return;
	if (s->olen + n > s->ocap) {
		size_t cap = s->ocap ? s->ocap : 1024;
		while (cap < s->olen + n)
			cap *= 2;
		char *p = realloc(s->out, cap);
		if (!p) {
			s->nomem = 1;
			return;
		}
		s->out = p;
		s->ocap = cap;
	}
	memcpy(s->out + s->olen, text, n);
	s->olen += n;
}

void lmtp_say(lmtp_session *s, const char *line)
{
	emit(s, line, strlen(line));
	emit(s, "\r\n", 2);
}

/* A reply that counts as a client error: syntax and unknown commands.
 * Order errors (503) do not count: a pipelining client whose MAIL was
 * refused sends its RCPTs and DATA anyway, and must get every reply. */
static void bad(lmtp_session *s, const char *line)
{
	lmtp_say(s, line);
	s->errors++;
}

static void good(lmtp_session *s, const char *line)
{
	lmtp_say(s, line);
	s->errors = 0;
}

lmtp_session *lmtp_session_new(const lmtp_limits *lim, const lmtp_backend *be, void *ctx, const char *greeting_host)
{
	lmtp_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->lim = *lim;
	if (s->lim.max_line < 512)
		s->lim.max_line = 512;
	if (!s->lim.max_errors)
		s->lim.max_errors = 10;
	s->be = be;
	s->ctx = ctx;
	snprintf(s->host, sizeof s->host, "%s", greeting_host ? greeting_host : "localhost");
	s->line = malloc(s->lim.max_line + 2); /* the line, a CR, a NUL */
	if (!s->line) {
		free(s);
		return NULL;
	}
	return s;
}

static void end_transaction(lmtp_session *s)
{
	if (s->st == ST_MAIL || s->st == ST_DATA)
		s->be->reset(s->ctx);
	s->accepted = 0;
	s->st = s->st == ST_START ? ST_START : ST_READY;
}

void lmtp_session_free(lmtp_session *s)
{
	if (!s)
		return;
	end_transaction(s);
	free(s->line);
	free(s->out);
	free(s);
}

void lmtp_greet(lmtp_session *s)
{
	char line[400];
	snprintf(line, sizeof line, "220 %s LMTP mapixd ready", s->host);
	lmtp_say(s, line);
}

const char *lmtp_output(const lmtp_session *s, size_t *n)
{
	*n = s->olen;
	return s->out;
}

void lmtp_consumed(lmtp_session *s, size_t n)
{
	if (n >= s->olen) {
		s->olen = 0;
		return;
	}
	memmove(s->out, s->out + n, s->olen - n);
	s->olen -= n;
}

int lmtp_in_data(const lmtp_session *s)
{
	return s->st == ST_DATA;
}

const char *lmtp_client_name(const lmtp_session *s)
{
	return s->client;
}

/* ---- argument parsing ------------------------------------------------------------- */

/* The keyword before the arguments: "MAIL FROM:" and "RCPT TO:" are
 * matched whole; p points past it (and past spaces) on success. */
static int keyword(const char *line, const char *kw, const char **rest)
{
	size_t n = strlen(kw);
	if (strncasecmp(line, kw, n) != 0)
		return 0;
	const char *p = line + n;
	/* A command word must end here (NOOPX is not NOOP); a keyword that
	 * ends in ':' needs no separator. */
	if (kw[n - 1] != ':' && *p && *p != ' ')
		return 0;
	while (*p == ' ')
		p++;
	*rest = p;
	return 1;
}

/* A reverse or forward path: "<addr>" (an RFC 5321 source route before
 * ':' is dropped). Copies the address into addr; *rest points past '>'.
 * 0 for bad syntax, control or 8-bit characters (SMTPUTF8 is not offered),
 * or an address longer than LMTP_ADDR_MAX - 1. */
static int parse_path(const char *p, char *addr, const char **rest)
{
	if (*p != '<')
		return 0;
	p++;
	if (*p == '@') {
		const char *colon = strchr(p, ':');
		if (!colon)
			return 0;
		p = colon + 1;
	}
	size_t n = 0;
	int quoted = 0;
	for (;; p++) {
		unsigned char c = (unsigned char)*p;
		if (!c || c < 0x20 || c >= 0x7F)
			return 0;
		if (c == '\\' && quoted) {
			if (n + 2 >= LMTP_ADDR_MAX || !p[1] || (unsigned char)p[1] < 0x20 || (unsigned char)p[1] >= 0x7F)
				return 0;
			addr[n++] = (char)c;
			addr[n++] = *++p;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		else if (c == '>' && !quoted)
			break;
		else if ((c == '<' || c == ' ') && !quoted)
			return 0;
		if (n + 1 >= LMTP_ADDR_MAX)
			return 0;
		addr[n++] = (char)c;
	}
	addr[n] = 0;
	*rest = p + 1;
	return 1;
}

/* The next " KEY[=VALUE]" parameter; 0 at the end of the line. */
static int next_param(const char **p, char *key, size_t kcap, char *val, size_t vcap)
{
	const char *q = *p;
	while (*q == ' ')
		q++;
	if (!*q)
		return 0;
	size_t k = 0, v = 0;
	while (*q && *q != ' ' && *q != '=') {
		if (k + 1 < kcap)
			key[k++] = *q;
		q++;
	}
	key[k] = 0;
	if (*q == '=') {
		q++;
		while (*q && *q != ' ') {
			if (v + 1 < vcap)
				val[v++] = *q;
			q++;
		}
	}
	val[v] = 0;
	*p = q;
	return 1;
}

/* ---- commands ---------------------------------------------------------------------- */

static void cmd_lhlo(lmtp_session *s, const char *arg)
{
	if (!*arg) {
		bad(s, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	/* LHLO starts over, as EHLO does in SMTP (RFC 5321 4.1.4). */
	end_transaction(s);
	size_t n = 0;
	for (const char *p = arg; *p && *p != ' ' && n + 1 < sizeof s->client; p++)
		s->client[n++] = (*p > 0x20 && *p < 0x7F && *p != '(' && *p != ')') ? *p : '_';
	s->client[n] = 0;
	s->st = ST_READY;
	char line[400];
	snprintf(line, sizeof line, "250-%s", s->host);
	lmtp_say(s, line);
	lmtp_say(s, "250-PIPELINING");
	lmtp_say(s, "250-ENHANCEDSTATUSCODES");
	lmtp_say(s, "250-8BITMIME");
	if (s->lim.max_size)
		snprintf(line, sizeof line, "250 SIZE %llu", (unsigned long long)s->lim.max_size);
	else
		snprintf(line, sizeof line, "250 SIZE");
	good(s, line);
}

static void cmd_mail(lmtp_session *s, const char *arg)
{
	char addr[LMTP_ADDR_MAX], key[32], val[64], reply[LMTP_REPLY_MAX];
	const char *rest;
	int body8 = 0;
	if (s->st == ST_START) {
		lmtp_say(s, "503 5.5.1 Send LHLO first");
		return;
	}
	if (s->st != ST_READY) {
		lmtp_say(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	if (!parse_path(arg, addr, &rest)) {
		bad(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (*rest && *rest != ' ') {
		bad(s, "501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME]");
		return;
	}
	while (next_param(&rest, key, sizeof key, val, sizeof val)) {
		if (strcasecmp(key, "SIZE") == 0) {
			char *end;
			if (!val[0] || !isdigit((unsigned char)val[0])) {
				bad(s, "501 5.5.4 Bad SIZE parameter");
				return;
			}
			unsigned long long n = strtoull(val, &end, 10);
			if (*end) {
				bad(s, "501 5.5.4 Bad SIZE parameter");
				return;
			}
			if (s->lim.max_size && n > s->lim.max_size) {
				lmtp_say(s, "552 5.3.4 Message size exceeds fixed maximum message size");
				return;
			}
		} else if (strcasecmp(key, "BODY") == 0) {
			if (strcasecmp(val, "8BITMIME") == 0)
				body8 = 1;
			else if (strcasecmp(val, "7BIT") != 0) {
				bad(s, "501 5.5.4 Unsupported BODY type");
				return;
			}
		} else {
			bad(s, "555 5.5.4 Unsupported MAIL parameter");
			return;
		}
	}
	reply[0] = 0;
	if (s->be->mail(s->ctx, addr, body8, reply) != 0) {
		lmtp_say(s, reply[0] ? reply : "451 4.3.0 Temporary failure");
		return;
	}
	s->st = ST_MAIL;
	s->accepted = 0;
	s->too_big = s->failed = 0;
	s->size = 0;
	good(s, "250 2.1.0 OK");
}

static void cmd_rcpt(lmtp_session *s, const char *arg)
{
	char addr[LMTP_ADDR_MAX], reply[LMTP_REPLY_MAX];
	const char *rest;
	if (s->st != ST_MAIL) {
		lmtp_say(s, s->st == ST_START ? "503 5.5.1 Send LHLO first" : "503 5.5.1 Send MAIL first");
		return;
	}
	if (!parse_path(arg, addr, &rest) || !addr[0]) {
		bad(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest) {
		bad(s, "555 5.5.4 Unsupported RCPT parameter");
		return;
	}
	if (s->accepted >= s->lim.max_rcpts) {
		/* RFC 5321 4.5.3.1.10: a temporary failure, the client sends the
		 * rest in another transaction. */
		lmtp_say(s, "452 4.5.3 Too many recipients");
		return;
	}
	reply[0] = 0;
	if (s->be->rcpt(s->ctx, addr, reply)) {
		s->accepted++;
		good(s, reply[0] ? reply : "250 2.1.5 OK");
	} else {
		lmtp_say(s, reply[0] ? reply : "550 5.1.1 User unknown");
	}
}

static void cmd_data(lmtp_session *s, const char *arg)
{
	char reply[LMTP_REPLY_MAX];
	if (s->st != ST_MAIL) {
		lmtp_say(s, s->st == ST_START ? "503 5.5.1 Send LHLO first" : "503 5.5.1 Send MAIL first");
		return;
	}
	if (*arg) {
		bad(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!s->accepted) {
		lmtp_say(s, "503 5.5.1 No valid recipients");
		return;
	}
	reply[0] = 0;
	if (s->be->data_begin(s->ctx, reply) != 0) {
		lmtp_say(s, reply[0] ? reply : "451 4.3.0 Temporary failure");
		return;
	}
	s->st = ST_DATA;
	s->ds = D_BOL;
	s->size = 0;
	s->clen = 0;
	good(s, "354 Start mail input; end with <CRLF>.<CRLF>");
}

static void command(lmtp_session *s, char *line)
{
	const char *arg;
	/* NUL bytes would cut the line short without notice: refuse them. */
	if (strlen(line) != s->len) {
		bad(s, "500 5.5.2 Invalid characters in command");
		return;
	}
	if (keyword(line, "LHLO", &arg))
		cmd_lhlo(s, arg);
	else if (keyword(line, "MAIL FROM:", &arg))
		cmd_mail(s, arg);
	else if (keyword(line, "RCPT TO:", &arg))
		cmd_rcpt(s, arg);
	else if (keyword(line, "DATA", &arg))
		cmd_data(s, arg);
	else if (keyword(line, "RSET", &arg)) {
		if (*arg) {
			bad(s, "501 5.5.4 Syntax: RSET");
			return;
		}
		end_transaction(s);
		good(s, "250 2.0.0 OK");
	} else if (keyword(line, "NOOP", &arg))
		good(s, "250 2.0.0 OK");
	else if (keyword(line, "QUIT", &arg)) {
		char msg[400];
		snprintf(msg, sizeof msg, "221 2.0.0 %s closing connection", s->host);
		lmtp_say(s, msg);
		s->closing = 1;
	} else if (keyword(line, "VRFY", &arg))
		good(s, "252 2.3.3 Try RCPT instead");
	else if (keyword(line, "HELO", &arg) || keyword(line, "EHLO", &arg))
		bad(s, "500 5.5.1 This is an LMTP server: use LHLO");
	else
		bad(s, "500 5.5.1 Unknown command");
}

/* ---- the body ------------------------------------------------------------------------- */

static void body_flush(lmtp_session *s)
{
	if (!s->clen)
		return;
	if (!s->too_big && !s->failed) {
		size_t n = s->clen;
		/* Past the limit the rest is read and dropped; what is kept is
		 * exactly the first max_size bytes, however reads split them. */
		if (s->lim.max_size && s->size + n > s->lim.max_size) {
			n = (size_t)(s->lim.max_size - s->size);
			s->too_big = 1;
		}
		if (n && s->be->data_write(s->ctx, s->chunk, n) != 0)
			s->failed = 1;
	}
	s->size += s->clen;
	s->clen = 0;
}

static void body_put(lmtp_session *s, char c)
{
	if (s->clen == sizeof s->chunk)
		body_flush(s);
	s->chunk[s->clen++] = c;
}

static void body_end(lmtp_session *s)
{
	body_flush(s);
	for (unsigned i = 0; i < s->accepted; i++) {
		char reply[LMTP_REPLY_MAX];
		reply[0] = 0;
		s->be->deliver(s->ctx, i, s->too_big, s->failed, reply);
		lmtp_say(s, reply[0] ? reply : "451 4.3.0 Temporary failure");
	}
	s->errors = 0;
	end_transaction(s);
}

/* Consumes body bytes; returns how many (less than n when the body ended). */
static size_t body_feed(lmtp_session *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		switch (s->ds) {
		case D_BOL:
			if (c == '.') {
				s->ds = D_DOT;
				break;
			}
			body_put(s, c);
			s->ds = c == '\n' ? D_BOL : D_MID;
			break;
		case D_DOT:
			if (c == '\n') {
				body_end(s);
				return i + 1;
			}
			if (c == '\r') {
				s->ds = D_DOT_CR;
				break;
			}
			/* The leading dot was stuffing: it goes, the rest stays. */
			body_put(s, c);
			s->ds = D_MID;
			break;
		case D_DOT_CR:
			if (c == '\n') {
				body_end(s);
				return i + 1;
			}
			/* "." CR then something else: not the end; keep the CR. */
			body_put(s, '\r');
			body_put(s, c);
			s->ds = D_MID;
			break;
		case D_MID:
			body_put(s, c);
			if (c == '\n')
				s->ds = D_BOL;
			break;
		}
	}
	body_flush(s);
	return n;
}

/* ---- input ------------------------------------------------------------------------------- */

int lmtp_feed(lmtp_session *s, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && !s->closing && !s->nomem) {
		if (s->st == ST_DATA) {
			i += body_feed(s, p + i, n - i);
			continue;
		}
		const char *lf = memchr(p + i, '\n', n - i);
		size_t take = lf ? (size_t)(lf - (p + i)) : n - i;
		if (!s->overlong) {
			if (s->len + take > s->lim.max_line + 1) {
				s->overlong = 1;
			} else {
				memcpy(s->line + s->len, p + i, take);
				s->len += take;
			}
		}
		i += take;
		if (!lf)
			break;
		i++; /* the LF */
		if (!s->overlong && s->len && s->line[s->len - 1] == '\r')
			s->len--;
		if (s->overlong || s->len > s->lim.max_line) {
			bad(s, "500 5.5.2 Line too long");
		} else {
			s->line[s->len] = 0;
			command(s, s->line);
		}
		s->len = 0;
		s->overlong = 0;
		if (s->errors >= s->lim.max_errors && !s->closing) {
			char msg[400];
			snprintf(msg, sizeof msg, "421 4.7.0 %s Too many errors, closing connection", s->host);
			lmtp_say(s, msg);
			s->closing = 1;
		}
	}
	if (s->nomem)
		return LMTP_NOMEM;
	return s->closing ? LMTP_CLOSE : LMTP_GO_ON;
}
