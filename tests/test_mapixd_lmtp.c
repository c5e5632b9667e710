/*
 * test_mapixd_lmtp.c — LMTP delivery as MAPI clients see it: a message
 * delivered through mapixd's LMTP socket raises fnevNewMail and
 * fnevObjectCreated on stores advised through mapixd (the remote
 * provider), on every connection that advised, and the entry ID the
 * notification carries opens the delivered message with its subject,
 * sender and body. Also: one LMTP transaction to two mailboxes notifies
 * each mailbox's watchers once; the receive limit set with
 * MAPIXRemoteSetQuota answers 552 5.2.2; and (as root) the peer identity
 * from SO_PEERCRED decides, the "deliver" grant opening the door.
 *
 * The LMTP side is a minimal client written here; tests/lmtp/test_lmtp.py
 * covers the protocol with Python's smtplib.LMTP.
 */
#include "mapixd_fixture.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiutil.h>

/* ---- a small LMTP client ------------------------------------------------------------------------ */

typedef struct lmtp_client {
	int fd;
	char buf[8192];
	size_t n;
} lmtp_client;

static int lmtp_connect(lmtp_client *c, const char *path)
{
	struct sockaddr_un a;
	memset(c, 0, sizeof *c);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
		return -1;
	return 0;
}

static void lmtp_send(lmtp_client *c, const char *text)
{
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		assert_true(w > 0);
		off += (size_t)w;
	}
}

/* The next reply's code (multi-line replies read whole); its last line
 * goes to line. */
static int lmtp_reply(lmtp_client *c, char *line, size_t cap)
{
	for (;;) {
		char *lf = memchr(c->buf, '\n', c->n);
		if (lf) {
			size_t len = (size_t)(lf - c->buf);
			char l[1024];
			snprintf(l, sizeof l, "%.*s", (int)(len && c->buf[len - 1] == '\r' ? len - 1 : len), c->buf);
			memmove(c->buf, lf + 1, c->n - len - 1);
			c->n -= len + 1;
			if (strlen(l) >= 4 && l[3] == '-')
				continue;
			if (line)
				snprintf(line, cap, "%s", l);
			return atoi(l);
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, 20000) <= 0)
			return -1;
		ssize_t r = recv(c->fd, c->buf + c->n, sizeof c->buf - c->n - 1, 0);
		if (r <= 0)
			return -1;
		c->n += (size_t)r;
	}
}

static void lmtp_close(lmtp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* ---- server with an LMTP socket ------------------------------------------------------------------- */

typedef struct lmtp_server {
	mapixd s;
	char *lmtp_dir;
	char lmtp[700];
} lmtp_server;

/* Static: the teardown stops it after a failed assertion left the test. */
static lmtp_server ls;

static void lmtp_server_start(lmtp_server *l)
{
	char extra[1024];
	l->lmtp_dir = mapix_test_tmpdir("mapixd-lmtp");
	assert_non_null(l->lmtp_dir);
	chmod(l->lmtp_dir, 0755);
	snprintf(l->lmtp, sizeof l->lmtp, "%s/lmtp.sock", l->lmtp_dir);
	snprintf(extra, sizeof extra, "[lmtp]\nsocket = %s\ntimeout = 10\n", l->lmtp);
	mapixd_start(&l->s, extra);
	mapixd_running = &l->s;
	for (int i = 0; i < 500 && access(l->lmtp, F_OK) != 0; i++)
		usleep(10000);
	assert_int_equal(access(l->lmtp, F_OK), 0);
}

static void lmtp_server_stop(lmtp_server *l)
{
	mapixd_stop(&l->s);
	if (l->lmtp_dir) {
		mapix_test_rmtree(l->lmtp_dir);
		free(l->lmtp_dir);
	}
	l->lmtp_dir = NULL;
}

static int lmtp_teardown(void **state)
{
	mapixd_teardown(state); /* the server, when a failed assertion left it running */
	lmtp_server_stop(&ls);
	return 0;
}

static const char *me(void)
{
	struct passwd *pw = getpwuid(geteuid());
	assert_non_null(pw);
	return pw->pw_name;
}

/* One transaction: MAIL, RCPTs and DATA pipelined in one write; the
 * codes of the RCPT replies and of the DATA replies land in rcpt[] and
 * done[] (done[i] is 0 for a refused recipient). */
static void deliver(const char *sock, const char *subject, const char *const *rcpts, int n, int *rcpt, int *done)
{
	lmtp_client c;
	char cmd[4096], line[1024];
	assert_int_equal(lmtp_connect(&c, sock), 0);
	assert_int_equal(lmtp_reply(&c, line, sizeof line), 220);
	size_t off = (size_t)snprintf(cmd, sizeof cmd, "LHLO test.example\r\nMAIL FROM:<sender@example.net>\r\n");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(cmd + off, sizeof cmd - off, "RCPT TO:<%s>\r\n", rcpts[i]);
	snprintf(cmd + off, sizeof cmd - off, "DATA\r\n");
	lmtp_send(&c, cmd);
	assert_int_equal(lmtp_reply(&c, line, sizeof line), 250); /* LHLO */
	assert_int_equal(lmtp_reply(&c, line, sizeof line), 250); /* MAIL */
	int accepted = 0;
	for (int i = 0; i < n; i++) {
		rcpt[i] = lmtp_reply(&c, line, sizeof line);
		accepted += rcpt[i] == 250;
		done[i] = 0;
	}
	int data = lmtp_reply(&c, line, sizeof line);
	if (accepted) {
		assert_int_equal(data, 354);
		snprintf(cmd, sizeof cmd,
		         "From: Sender Name <sender@example.net>\r\nTo: someone@example.org\r\nSubject: %s\r\n\r\n"
		         "Body of %s.\r\n..and a stuffed line.\r\n.\r\nQUIT\r\n",
		         subject, subject);
		lmtp_send(&c, cmd);
		for (int i = 0; i < n; i++)
			if (rcpt[i] == 250)
				done[i] = lmtp_reply(&c, line, sizeof line);
		assert_int_equal(lmtp_reply(&c, line, sizeof line), 221);
	} else {
		assert_int_equal(data, 503);
	}
	lmtp_close(&c);
}

/* ---- notifications ----------------------------------------------------------------------------------- */

typedef struct sink {
	IMAPIAdviseSink itf;
	atomic_int refs, newmail, created;
	pthread_mutex_t lock;
	BYTE eid[256];
	ULONG cb;
	char cls[64];
} sink;

static HRESULT s_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	(void)riid;
	*ppv = This;
	atomic_fetch_add(&((sink *)This)->refs, 1);
	return S_OK;
}
static ULONG s_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((sink *)This)->refs, 1) + 1;
}
static ULONG s_Release(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_sub(&((sink *)This)->refs, 1) - 1;
}
static ULONG s_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION n)
{
	sink *s = (sink *)This;
	for (ULONG i = 0; i < cNotif; i++) {
		if (n[i].ulEventType == fnevNewMail) {
			pthread_mutex_lock(&s->lock);
			if (n[i].info.newmail.cbEntryID <= sizeof s->eid) {
				s->cb = n[i].info.newmail.cbEntryID;
				memcpy(s->eid, n[i].info.newmail.lpEntryID, s->cb);
			}
			snprintf(s->cls, sizeof s->cls, "%s",
			         n[i].info.newmail.lpszMessageClass ? (const char *)n[i].info.newmail.lpszMessageClass : "");
			pthread_mutex_unlock(&s->lock);
			atomic_fetch_add(&s->newmail, 1);
		}
		if (n[i].ulEventType == fnevObjectCreated)
			atomic_fetch_add(&s->created, 1);
	}
	return 0;
}
static const IMAPIAdviseSinkVtbl s_vtbl = {s_QueryInterface, s_AddRef, s_Release, s_OnNotify};

static void sink_init(sink *s)
{
	memset(s, 0, sizeof *s);
	s->itf.lpVtbl = &s_vtbl;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
}

static void wait_for(atomic_int *v, int want)
{
	for (int i = 0; i < 1000 && atomic_load(v) < want; i++)
		usleep(10000);
	usleep(50000); /* and no more than that */
	assert_int_equal(atomic_load(v), want);
}

static char *prop_string(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp(obj, tag, &v));
	char *s = strdup(v->Value.lpszA);
	MAPIFreeBuffer(v);
	return s;
}

static void test_newmail_reaches_advised_clients(void **state)
{
	(void)state;
	lmtp_server_start(&ls);
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "alice", "Alice", "alice@example.org", me(), NULL));
	/* Two clients watch alice's mailbox on their own connections: the
	 * owner, and an administrator by admin privilege. */
	LPMDB own = NULL, adm = NULL;
	assert_ok(MAPIXOpenRemoteStore(ls.s.sock, "alice", 0, &own));
	assert_ok(MAPIXMailboxLogon(ls.s.sock, NULL, "alice", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &adm));
	sink a, b;
	sink_init(&a);
	sink_init(&b);
	ULONG_PTR ca = 0, cb = 0;
	assert_ok(IMsgStore_Advise(own, 0, NULL, fnevNewMail | fnevObjectCreated, &a.itf, &ca));
	assert_ok(IMsgStore_Advise(adm, 0, NULL, fnevNewMail, &b.itf, &cb));

	const char *rcpts[] = {"alice@example.org"};
	int rcpt[1], done[1];
	deliver(ls.lmtp, "Notified", rcpts, 1, rcpt, done);
	assert_int_equal(rcpt[0], 250);
	assert_int_equal(done[0], 250);
	wait_for(&a.newmail, 1);
	wait_for(&b.newmail, 1);
	assert_true(atomic_load(&a.created) >= 1);
	assert_string_equal(a.cls, "IPM.Note");

	/* The notification's entry ID opens the delivered message. */
	ULONG type = 0;
	LPMESSAGE msg = NULL;
	assert_ok(IMsgStore_OpenEntry(own, a.cb, (LPENTRYID)a.eid, NULL, 0, &type, (LPUNKNOWN *)&msg));
	assert_int_equal(type, MAPI_MESSAGE);
	char *subject = prop_string((LPMAPIPROP)msg, PR_SUBJECT_A);
	char *sender = prop_string((LPMAPIPROP)msg, PR_SENDER_EMAIL_ADDRESS_A);
	char *body = prop_string((LPMAPIPROP)msg, PR_BODY_A);
	char *headers = prop_string((LPMAPIPROP)msg, PR_TRANSPORT_MESSAGE_HEADERS_A);
	assert_string_equal(subject, "Notified");
	assert_string_equal(sender, "sender@example.net");
	assert_non_null(strstr(body, "Body of Notified.\r\n.and a stuffed line."));
	assert_true(strncmp(headers, "Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n", 68) == 0);
	free(subject);
	free(sender);
	free(body);
	free(headers);
	IMessage_Release(msg);

	assert_ok(IMsgStore_Unadvise(own, ca));
	assert_ok(IMsgStore_Unadvise(adm, cb));
	IMsgStore_Release(own);
	IMsgStore_Release(adm);
	assert_int_equal(atomic_load(&a.refs), 1);
	assert_int_equal(atomic_load(&b.refs), 1);
	lmtp_server_stop(&ls);
}

/* One transaction to two mailboxes: each mailbox's watcher sees its own
 * copy once; a refused recipient in the middle changes nothing. */
static void test_two_mailboxes_one_transaction(void **state)
{
	(void)state;
	lmtp_server_start(&ls);
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "alice", NULL, "alice@example.org", me(), NULL));
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "bob", NULL, "bob@example.org", me(), NULL));
	LPMDB ma = NULL, mb = NULL;
	assert_ok(MAPIXOpenRemoteStore(ls.s.sock, "alice", 0, &ma));
	assert_ok(MAPIXOpenRemoteStore(ls.s.sock, "bob", 0, &mb));
	sink a, b;
	sink_init(&a);
	sink_init(&b);
	ULONG_PTR ca = 0, cb = 0;
	assert_ok(IMsgStore_Advise(ma, 0, NULL, fnevNewMail, &a.itf, &ca));
	assert_ok(IMsgStore_Advise(mb, 0, NULL, fnevNewMail, &b.itf, &cb));
	const char *rcpts[] = {"alice@example.org", "nobody-here@example.org", "bob"};
	int rcpt[3], done[3];
	deliver(ls.lmtp, "Twice", rcpts, 3, rcpt, done);
	assert_int_equal(rcpt[0], 250);
	assert_int_equal(rcpt[1], 550);
	assert_int_equal(rcpt[2], 250);
	assert_int_equal(done[0], 250);
	assert_int_equal(done[2], 250);
	wait_for(&a.newmail, 1);
	wait_for(&b.newmail, 1);
	assert_ok(IMsgStore_Unadvise(ma, ca));
	assert_ok(IMsgStore_Unadvise(mb, cb));
	IMsgStore_Release(ma);
	IMsgStore_Release(mb);
	lmtp_server_stop(&ls);
}

/* The receive limit of one mailbox, set through the admin API. */
static void test_receive_quota(void **state)
{
	(void)state;
	lmtp_server_start(&ls);
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "alice", NULL, "alice@example.org", me(), NULL));
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "bob", NULL, "bob@example.org", me(), NULL));
	const char *rcpts[] = {"alice@example.org", "bob@example.org"};
	int rcpt[2], done[2];
	deliver(ls.lmtp, "Before the limit", rcpts, 1, rcpt, done);
	assert_int_equal(done[0], 250);
	/* alice: 100 bytes, which she holds already; bob: no limit. */
	assert_ok(MAPIXRemoteSetQuota(ls.s.sock, "alice", MAPIX_QUOTA_RECEIVE, 0, 0, 100));
	deliver(ls.lmtp, "After the limit", rcpts, 2, rcpt, done);
	assert_int_equal(rcpt[0], 552);
	assert_int_equal(rcpt[1], 250);
	assert_int_equal(done[1], 250);
	assert_int_equal(mapixd_audit_lines(&ls.s, "LMTP delivery (receive quota)", "MAPI_E_STORE_FULL"), 1);
	lmtp_server_stop(&ls);
}

/* The peer's identity (SO_PEERCRED): nobody may not deliver until it holds
 * the "deliver" grant; the refusal is one audit line. Needs root. */
static void deliver_as_nobody(mapixd_job *j)
{
	const char *rcpts[] = {"alice@example.org"};
	int *codes = j->arg;
	const lmtp_server *server = (const lmtp_server *)j->s;
	deliver(server->lmtp, "From nobody", rcpts, 1, &codes[0], &codes[1]);
}

static void test_peer_identity(void **state)
{
	(void)state;
	mapixd_need_root();
	lmtp_server_start(&ls);
	assert_ok(MAPIXRemoteCreateAccount(ls.s.sock, "alice", NULL, "alice@example.org", me(), NULL));
	int codes[2] = {0, 0};
	mapixd_run_as(&ls.s, 65534, deliver_as_nobody, codes);
	assert_int_equal(codes[0], 550);
	assert_int_equal(mapixd_audit_lines(&ls.s, "\"operation\":\"LMTP delivery\"", "MAPI_E_NO_ACCESS"), 1);
	struct passwd *pw = getpwuid(65534);
	assert_non_null(pw);
	assert_ok(MAPIXRemoteGrant(ls.s.sock, "alice", pw->pw_name, MAPIX_GRANT_DELIVER));
	mapixd_run_as(&ls.s, 65534, deliver_as_nobody, codes);
	assert_int_equal(codes[0], 250);
	assert_int_equal(codes[1], 250);
	lmtp_server_stop(&ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_newmail_reaches_advised_clients, lmtp_teardown),
		cmocka_unit_test_teardown(test_two_mailboxes_one_transaction, lmtp_teardown),
		cmocka_unit_test_teardown(test_receive_quota, lmtp_teardown),
		cmocka_unit_test_teardown(test_peer_identity, lmtp_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
