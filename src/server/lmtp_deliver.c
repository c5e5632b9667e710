/*
 * lmtp_deliver.c — what LMTP transactions do in mapixd: the answers to
 * the state machine's callbacks (lmtp_proto.h).
 *
 * RCPT: the address is looked up in the account directory (SMTP address,
 * or account name); the peer must be an administrator or hold the
 * "deliver" grant on that mailbox (a refusal is one audit line); a mailbox
 * already at its receive limit is refused there and then, so the client
 * does not send the message for nothing.
 *
 * DATA: the message is spooled once, unstuffed, to an unnamed temporary
 * file under <data_dir>/spool (O_TMPFILE: a crash leaves nothing behind).
 * The body starts at an offset that leaves room in front of it for the
 * trace headers, which differ per recipient (Delivered-To, Received "for");
 * for each recipient they are written just before the body and the
 * converter reads from there (mapix_mime_fd_to_message reads a seekable
 * file part by part, so memory stays bounded whatever the message size).
 * Each copy is created in the recipient's receive folder for IPM.Note (the
 * Inbox), converted, and committed with SaveChanges; only then does the
 * recipient get its 250. The commit is what raises fnevObjectCreated and
 * fnevNewMail: the local store announces them from its change journal to
 * every advise sink of the shared mailbox, so every client advised through
 * mapixd sees the new mail.
 *
 * Status codes follow Dovecot's LMTP server (and RFC 3463): unknown user
 * 550 5.1.1, no right 550 5.7.1, over quota 552 5.2.2 (452 4.2.2 with
 * quota_tempfail, as Dovecot's quota_full_tempfail), message too big
 * 552 5.3.4, transient failures 451 4.3.0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapixmime.h>
#include <mapix/mapixremote.h>

#include "core/error.h"
#include "lmtp_proto.h"
#include "server.h"

/* Room for one recipient's trace headers: two addresses, the LHLO name,
 * the peer, and fixed text. */
#define TRACE_MAX (2 * LMTP_ADDR_MAX + 256 + 512 + 256)

typedef struct lmtp_rcpt {
	char addr[LMTP_ADDR_MAX];
	char name[65];        /* the account */
	srv_mailbox *mb;      /* acquired while the transaction lasts */
} lmtp_rcpt;

struct srv_lmtp_tx {
	srv_server *s;
	srv_identity peer;
	char peer_desc[160];
	lmtp_session *session;
	char sender[LMTP_ADDR_MAX];
	lmtp_rcpt *rcpts;
	unsigned n, cap;
	int fd;               /* the spool file (-1: none) */
	off_t body_at;        /* where the body starts in it */
	uint64_t body_size;
	time_t arrived;
	unsigned long long serial;
	char id[40];
};

static atomic_ullong g_serial;

HRESULT srv_lmtp_tx_new(srv_server *s, const srv_identity *peer, const char *peer_desc, srv_lmtp_tx **out)
{
	srv_lmtp_tx *t = calloc(1, sizeof *t);
	if (!t)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "LMTP: out of memory");
	t->s = s;
	t->peer = *peer;
	snprintf(t->peer_desc, sizeof t->peer_desc, "%s", peer_desc);
	t->fd = -1;
	*out = t;
	return S_OK;
}

void srv_lmtp_tx_set_session(srv_lmtp_tx *t, lmtp_session *session)
{
	t->session = session;
}

static void tx_reset(void *ctx)
{
	srv_lmtp_tx *t = ctx;
	for (unsigned i = 0; i < t->n; i++)
		srv_mailbox_release(t->rcpts[i].mb);
	t->n = 0;
	if (t->fd >= 0)
		close(t->fd); /* unnamed: the data goes with the descriptor */
	t->fd = -1;
	t->body_size = 0;
}

void srv_lmtp_tx_free(srv_lmtp_tx *t)
{
	if (!t)
		return;
	tx_reset(t);
	free(t->rcpts);
	free(t);
}

static int tx_mail(void *ctx, const char *sender, int body8, char *reply)
{
	srv_lmtp_tx *t = ctx;
	(void)body8; /* 8-bit bodies are kept as they came; GMime reads them */
	(void)reply;
	snprintf(t->sender, sizeof t->sender, "%s", sender);
	t->serial = atomic_fetch_add(&g_serial, 1) + 1;
	snprintf(t->id, sizeof t->id, "%lx.%llu", (unsigned long)getpid(), t->serial);
	return 0;
}

/* The over-quota answer, permanent or temporary as configured. */
static void quota_reply(srv_lmtp_tx *t, const char *addr, char *reply)
{
	snprintf(reply, LMTP_REPLY_MAX, "%s <%s> Quota exceeded (mailbox for user is full)",
	         t->s->cfg.lmtp.quota_tempfail ? "452 4.2.2" : "552 5.2.2", addr);
}

/* The receive quota of the recipient: TRUE when adding `adding` bytes
 * would pass it (audited once per refusal). The mailbox is measured only
 * when a receive limit applies, as srv_quota_check does (measuring opens
 * a read-only connection to the mailbox file). */
static BOOL over_quota(srv_lmtp_tx *t, const srv_account *a, srv_mailbox *mb, uint64_t adding, BOOL *error)
{
	int64_t own[3];
	uint64_t used = 0;
	*error = FALSE;
	if (FAILED(srv_dir_get_quota(t->s->dir, a->name, own))) {
		*error = TRUE;
		return FALSE;
	}
	uint64_t limit = own[2] < 0 ? t->s->cfg.quota_receive : (uint64_t)own[2];
	if (!limit)
		return FALSE;
	if (FAILED(srv_mailbox_usage(mb, &used))) {
		*error = TRUE;
		return FALSE;
	}
	if (used < limit && used + adding <= limit)
		return FALSE;
	srv_audit_log(t->s->audit, &t->peer, a->name, "LMTP delivery (receive quota)", MAPI_E_STORE_FULL);
	return TRUE;
}

static int tx_rcpt(void *ctx, const char *addr, char *reply)
{
	srv_lmtp_tx *t = ctx;
	srv_account a;
	/* Addresses and account names only (the directory also takes DNs). */
	HRESULT hr = addr[0] == '/' ? MAPI_E_NOT_FOUND : srv_dir_find(t->s->dir, addr, &a);
	mapix_error_clear();
	if (hr == MAPI_E_NOT_FOUND) {
		snprintf(reply, LMTP_REPLY_MAX, "550 5.1.1 <%s> User doesn't exist", addr);
		return 0;
	}
	if (FAILED(hr)) {
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Temporary directory failure", addr);
		return 0;
	}
	if (!t->peer.admin && !srv_dir_has_grant(t->s->dir, a.name, t->peer.name, MAPIX_GRANT_DELIVER)) {
		srv_audit_log(t->s->audit, &t->peer, a.name, "LMTP delivery", MAPI_E_NO_ACCESS);
		snprintf(reply, LMTP_REPLY_MAX, "550 5.7.1 <%s> Not authorized to deliver to this mailbox", addr);
		return 0;
	}
	if (t->n == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 8;
		lmtp_rcpt *r = realloc(t->rcpts, cap * sizeof *r);
		if (!r) {
			snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Out of memory", addr);
			return 0;
		}
		t->rcpts = r;
		t->cap = cap;
	}
	srv_mailbox *mb = NULL;
	if (FAILED(srv_mailbox_acquire(t->s, &a, &mb))) {
		mapix_error_clear();
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Mailbox temporarily unavailable", addr);
		return 0;
	}
	BOOL error;
	if (over_quota(t, &a, mb, 0, &error) || error) {
		srv_mailbox_release(mb);
		mapix_error_clear();
		if (error)
			snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Temporary failure reading the quota", addr);
		else
			quota_reply(t, addr, reply);
		return 0;
	}
	lmtp_rcpt *r = &t->rcpts[t->n++];
	snprintf(r->addr, sizeof r->addr, "%s", addr);
	snprintf(r->name, sizeof r->name, "%s", a.name);
	r->mb = mb;
	snprintf(reply, LMTP_REPLY_MAX, "250 2.1.5 <%s> OK", addr);
	return 1;
}

/* The trace headers of one copy, in the order Dovecot writes them:
 * Return-Path (the envelope sender), Delivered-To (the recipient as
 * given), Received. Every piece is printable ASCII without CR or LF (the
 * parser and the LHLO sanitizing made sure), so nothing can inject a
 * header line. */
static size_t trace_headers(const srv_lmtp_tx *t, const char *rcpt, char *out, size_t cap)
{
	char date[64];
	struct tm tm;
	localtime_r(&t->arrived, &tm);
	/* Fixed width (%d is zero-padded): the reserve computed at DATA holds. */
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	const char *client = t->session ? lmtp_client_name(t->session) : "";
	int n = snprintf(out, cap, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", t->sender, rcpt);
	if (n >= 0 && (size_t)n < cap && t->s->cfg.lmtp.received)
		n += snprintf(out + n, cap - (size_t)n,
		              "Received: from %s (%s)\r\n\tby %s (mapixd) with LMTP id %s\r\n\tfor <%s>; %s\r\n",
		              client[0] ? client : "unknown", t->peer_desc, t->s->cfg.server_name, t->id, rcpt, date);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int open_spool(srv_server *s)
{
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/spool", s->cfg.data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	/* A file system without O_TMPFILE: a named file, unlinked at once. */
	char path[4300];
	snprintf(path, sizeof path, "%s/lmtp.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int tx_data_begin(void *ctx, char *reply)
{
	srv_lmtp_tx *t = ctx;
	char trace[TRACE_MAX];
	t->arrived = time(NULL);
	t->fd = open_spool(t->s);
	if (t->fd < 0) {
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 Cannot spool the message: %s", strerror(errno));
		return -1;
	}
	size_t most = 0;
	for (unsigned i = 0; i < t->n; i++) {
		size_t len = trace_headers(t, t->rcpts[i].addr, trace, sizeof trace);
		if (len > most)
			most = len;
	}
	t->body_at = (off_t)most;
	t->body_size = 0;
	if (lseek(t->fd, t->body_at, SEEK_SET) < 0) {
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 Cannot spool the message: %s", strerror(errno));
		close(t->fd);
		t->fd = -1;
		return -1;
	}
	return 0;
}

static int tx_data_write(void *ctx, const void *p, size_t n)
{
	srv_lmtp_tx *t = ctx;
	const char *q = p;
	while (n) {
		ssize_t w = write(t->fd, q, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		n -= (size_t)w;
		t->body_size += (uint64_t)w;
	}
	return 0;
}

/* Files one copy into the recipient's Inbox and commits it. */
static HRESULT deliver_one(srv_lmtp_tx *t, lmtp_rcpt *r)
{
	LPMDB store = NULL;
	LPMAPIFOLDER folder = NULL;
	LPMESSAGE msg = NULL;
	LPENTRYID eid = NULL;
	ULONG cb = 0, type = 0;
	char trace[TRACE_MAX];
	HRESULT hr = srv_mailbox_store(r->mb, TRUE, &store);
	if (SUCCEEDED(hr))
		hr = IMsgStore_GetReceiveFolder(store, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr))
		hr = IMsgStore_OpenEntry(store, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&folder);
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_CreateMessage(folder, NULL, 0, &msg);
	if (SUCCEEDED(hr)) {
		size_t len = trace_headers(t, r->addr, trace, sizeof trace);
		off_t at = t->body_at - (off_t)len;
		if (at < 0 || pwrite(t->fd, trace, len, at) != (ssize_t)len || lseek(t->fd, at, SEEK_SET) != at)
			hr = mapix_error(MAPI_E_DISK_ERROR, "LMTP: spool file: %s", strerror(errno));
	}
	/* The copy keeps the message as delivered (trace headers included) in
	 * PR_INTERNET_CONTENT, as mapix import does: export gives it back byte
	 * for byte, and S/MIME signatures stay verifiable. */
	if (SUCCEEDED(hr))
		hr = mapix_mime_fd_to_message(t->fd, msg, MAPIX_MIME_KEEP_SOURCE, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(msg, 0);
	if (msg)
		IMessage_Release(msg);
	if (folder)
		IMAPIFolder_Release(folder);
	MAPIFreeBuffer(eid);
	if (store)
		IMsgStore_Release(store);
	return hr;
}

static void tx_deliver(void *ctx, unsigned i, int too_big, int failed, char *reply)
{
	srv_lmtp_tx *t = ctx;
	lmtp_rcpt *r = &t->rcpts[i];
	if (too_big) {
		snprintf(reply, LMTP_REPLY_MAX, "552 5.3.4 <%s> Message size exceeds fixed maximum message size", r->addr);
		return;
	}
	if (failed || t->fd < 0) {
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Temporary failure spooling the message", r->addr);
		return;
	}
	srv_account a;
	BOOL error = FALSE;
	HRESULT hr = srv_dir_find(t->s->dir, r->name, &a);
	if (SUCCEEDED(hr) && over_quota(t, &a, r->mb, t->body_size, &error)) {
		quota_reply(t, r->addr, reply);
		return;
	}
	if (SUCCEEDED(hr) && !error)
		hr = deliver_one(t, r);
	else if (SUCCEEDED(hr))
		hr = MAPI_E_CALL_FAILED;
	if (SUCCEEDED(hr)) {
		snprintf(reply, LMTP_REPLY_MAX, "250 2.0.0 <%s> %s Saved", r->addr, t->id);
	} else if (hr == MAPI_E_STORE_FULL) {
		quota_reply(t, r->addr, reply);
	} else if (hr == MAPI_E_NOT_FOUND && FAILED(srv_dir_find(t->s->dir, r->name, &a))) {
		/* The account went away during the transaction. */
		snprintf(reply, LMTP_REPLY_MAX, "550 5.1.1 <%s> User doesn't exist", r->addr);
	} else {
		srv_audit_log(t->s->audit, &t->peer, r->name, "LMTP delivery", hr);
		snprintf(reply, LMTP_REPLY_MAX, "451 4.3.0 <%s> Temporary delivery failure (%s)", r->addr,
		         mapix_error_name(hr));
	}
	mapix_error_clear();
}

const lmtp_backend srv_lmtp_backend = {
	.mail = tx_mail,
	.rcpt = tx_rcpt,
	.data_begin = tx_data_begin,
	.data_write = tx_data_write,
	.deliver = tx_deliver,
	.reset = tx_reset,
};
