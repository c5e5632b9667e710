/*
 * lmtp_proto.h — the LMTP protocol (RFC 2033) as a state machine that owns
 * no socket, no file and no mailbox: bytes go in (lmtp_feed), reply text
 * comes out (lmtp_output), and the decisions that need the server — may
 * this recipient be delivered to, keep the message, deliver it — are
 * callbacks. That keeps the parser small enough to read in one go and lets
 * the fuzz target (tests/fuzz/fuzz_lmtp.c) drive it with fake callbacks.
 *
 * What the machine enforces by itself: command order (LHLO, MAIL, RCPT,
 * DATA), the line length limit, the recipient count, the declared and the
 * real message size, the MAIL and RCPT parameters it advertised (SIZE,
 * BODY=7BIT/8BITMIME), dot-unstuffing of the message, and a bound on
 * consecutive bad commands. The message body is streamed to the data
 * callback as it arrives: it is never held in memory.
 */
#ifndef MAPIX_SERVER_LMTP_PROTO_H
#define MAPIX_SERVER_LMTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Longest address kept (RFC 5321: 64 local part + @ + 255 domain). */
#define LMTP_ADDR_MAX 320
/* Longest reply line a callback may produce. */
#define LMTP_REPLY_MAX 512

typedef struct lmtp_limits {
	size_t max_line;      /* command line, without CRLF (>= 512 per RFC 5321) */
	uint64_t max_size;    /* message bytes after unstuffing, 0 = none */
	unsigned max_rcpts;   /* recipients per transaction */
	unsigned max_errors;  /* consecutive bad commands before the connection ends */
} lmtp_limits;

/* The callbacks. Replies are written into a buffer of LMTP_REPLY_MAX bytes
 * as one line without CRLF, code first ("250 2.1.5 OK"). */
typedef struct lmtp_backend {
	/* A new transaction (MAIL accepted) from sender ("" = null sender);
	 * body8 is TRUE for BODY=8BITMIME. Returns 0, or writes a refusal. */
	int (*mail)(void *ctx, const char *sender, int body8, char *reply);
	/* RCPT TO:<addr>: writes the reply; returns 1 when the recipient is
	 * accepted (it then gets a reply after DATA), 0 when refused. */
	int (*rcpt)(void *ctx, const char *addr, char *reply);
	/* DATA accepted: prepare to receive the message. Returns 0, or writes
	 * a refusal (then no 354 is sent). */
	int (*data_begin)(void *ctx, char *reply);
	/* Message bytes, unstuffed, lines as they came. Returns 0 or -1 (the
	 * spool failed: the rest is read and dropped, every recipient gets
	 * a temporary failure). */
	int (*data_write)(void *ctx, const void *p, size_t n);
	/* The message is complete: deliver it to accepted recipient i (in
	 * RCPT order) and write its reply. too_big: the message went past
	 * max_size (the backend answers 552 5.3.4 without delivering);
	 * failed: data_write failed. */
	void (*deliver)(void *ctx, unsigned i, int too_big, int failed, char *reply);
	/* The transaction ends (delivered, RSET, a new LHLO, or the session
	 * ends): drop recipients and the spooled message. */
	void (*reset)(void *ctx);
} lmtp_backend;

typedef struct lmtp_session lmtp_session;

/* greeting_host names the server in the greeting and the LHLO reply. */
lmtp_session *lmtp_session_new(const lmtp_limits *lim, const lmtp_backend *be, void *ctx,
                               const char *greeting_host);
/* Ends the session; a transaction in progress is reset (nothing delivered). */
void lmtp_session_free(lmtp_session *s);

/* Queues the 220 greeting. */
void lmtp_greet(lmtp_session *s);
/* Queues a reply line of the caller's (e.g. "421 4.4.2 Timeout"). */
void lmtp_say(lmtp_session *s, const char *line);

/* Results of lmtp_feed. */
#define LMTP_GO_ON 0   /* read more */
#define LMTP_CLOSE 1   /* flush the output, then close (QUIT, too many errors) */
#define LMTP_NOMEM (-1)

/* Consumes n input bytes. Complete lines are handled at once (pipelined
 * commands included); a partial line is kept for the next call. */
int lmtp_feed(lmtp_session *s, const char *p, size_t n);

/* The queued output; lmtp_consumed drops the first n bytes of it. */
const char *lmtp_output(const lmtp_session *s, size_t *n);
void lmtp_consumed(lmtp_session *s, size_t n);

/* TRUE while the message itself is being received (after 354). */
int lmtp_in_data(const lmtp_session *s);
/* The LHLO name given (sanitized), "" before LHLO. */
const char *lmtp_client_name(const lmtp_session *s);

#endif
