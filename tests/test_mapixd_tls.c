/*
 * test_mapixd_tls.c — mapixd over TCP with TLS and password logons, end to
 * end: one server for the group, started here on 127.0.0.1 with a port the
 * kernel picks ([tcp] address_file tells it) and a throwaway CA and server
 * certificate made at test time (src/server/test-certs.sh, certtool).
 *
 * Covered: logons with the right password (CA file, pinned key in hex and
 * base64, "tcp:" and bare host:port addresses, a host name checked against
 * the certificate) and store work over TLS; a wrong password answered
 * MAPI_E_LOGON_FAILED with an audit line and no password in any text;
 * lockout after repeated failures while another account logs on without
 * delay, even under a flood of bad passwords; a wrong CA or pin refused;
 * an unreachable port; a plaintext client on the TLS port; a client that
 * never speaks closed after the handshake timeout while others carry on;
 * rights of account identities (owner of their mailbox, grants naming
 * "account:NAME", Unix users and accounts kept apart); reconnecting over
 * TLS after the server was killed and restarted on the same port.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

/* The failure limits the server runs with (docs/mapixd.md, [logon]). */
#define ACCOUNT_FAILURES 3
#define LOCKOUT_S 2

typedef struct tls_server {
	char *dir;
	char sock[600], conf[600], audit[600], certs[600];
	char tcp[128];        /* "tcp:127.0.0.1:PORT" */
	char bare[128];       /* "127.0.0.1:PORT" */
	char byname[128];     /* "tcp:localhost:PORT" */
	char ca[4096], other_ca[4096];
	char pin[128], pin_hex[128];
	int port;
	pid_t pid;
	char logon[512];      /* the [logon] section it runs with */
} tls_server;

static tls_server g_srv;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static BOOL read_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return FALSE;
	BOOL ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = 0;
	return ok && *out;
}

static BOOL can_connect_unix(const char *sock)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%.100s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	BOOL ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static void server_launch(tls_server *s, int port);

/* Starts a server in a fresh directory with [logon] settings `logon`;
 * FALSE when the tools it needs are missing (the tests skip visibly). */
static BOOL server_start(tls_server *s, const char *logon)
{
	memset(s, 0, sizeof *s);
	const char *b = getenv("MAPIX_BUILD_DIR"), *src = getenv("MAPIX_SOURCE_DIR");
	char mapixd[4096], certs_sh[4096], cmd[8192];
	snprintf(mapixd, sizeof mapixd, "%s/src/server/mapixd", b ? b : ".");
	snprintf(certs_sh, sizeof certs_sh, "%s/src/server/test-certs.sh", src ? src : ".");
	if (access(mapixd, X_OK) != 0 || access(certs_sh, R_OK) != 0)
		return FALSE;
	if (system("command -v certtool >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1") != 0)
		return FALSE;
	s->dir = mapix_test_tmpdir("mapixd-tls");
	assert_non_null(s->dir);
	snprintf(s->sock, sizeof s->sock, "%.400s/mapixd.sock", s->dir);
	snprintf(s->conf, sizeof s->conf, "%.400s/mapixd.conf", s->dir);
	snprintf(s->audit, sizeof s->audit, "%.400s/audit.log", s->dir);
	snprintf(s->certs, sizeof s->certs, "%.400s/certs", s->dir);
	snprintf(s->ca, sizeof s->ca, "%.400s/ca.pem", s->certs);
	snprintf(s->other_ca, sizeof s->other_ca, "%.400s/other-ca.pem", s->certs);
	snprintf(cmd, sizeof cmd, "sh '%.1000s' '%.400s'", certs_sh, s->certs);
	assert_int_equal(system(cmd), 0);
	char path[4096];
	snprintf(path, sizeof path, "%.400s/server.pin", s->certs);
	assert_true(read_line(path, s->pin, sizeof s->pin));
	snprintf(path, sizeof path, "%.400s/server.pin.hex", s->certs);
	assert_true(read_line(path, s->pin_hex, sizeof s->pin_hex));
	snprintf(s->logon, sizeof s->logon, "%s", logon);
	server_launch(s, 0);
	/* Accounts with passwords, made by the administrator over the UNIX socket. */
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "alice", "Alice", "alice@example.org", NULL, "alice-secret-1"));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "bob", "Bob", "bob@example.org", NULL, "bob-secret-2"));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "carol", "Carol", NULL, NULL, "carol-secret-3"));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "dave", "Dave", NULL, NULL, "dave-secret-4"));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "nopass", "No password", NULL, NULL, NULL));
	return TRUE;
}

/* Writes the configuration (TCP port `port`, 0: the kernel picks) and
 * starts mapixd on it; again after a kill, on the same data. */
static void server_launch(tls_server *s, int port)
{
	const char *b = getenv("MAPIX_BUILD_DIR");
	char mapixd[4096], path[4096];
	snprintf(mapixd, sizeof mapixd, "%s/src/server/mapixd", b ? b : ".");
	snprintf(path, sizeof path, "%.400s/tcp.address", s->dir);
	unlink(path);
	struct passwd *pw = getpwuid(geteuid());
	FILE *f = fopen(s->conf, "w");
	assert_non_null(f);
	fprintf(f,
	        "[server]\nname = tlssrv\nsocket = %s\ndata_dir = %s/data\n"
	        "[rights]\nadministrators = %s, account:root-admin\n"
	        "[audit]\nfile = %s\n"
	        "[limits]\nio_timeout = 2\n"
	        "[tcp]\nlisten = 127.0.0.1:%d\naddress_file = %s/tcp.address\ncertificate = %s/server.pem\n"
	        "key = %s/server.key\nhandshake_timeout = 2\n"
	        "[logon]\n%s",
	        s->sock, s->dir, pw ? pw->pw_name : "root", s->audit, port, s->dir, s->certs, s->certs, s->logon);
	fclose(f);
	s->pid = fork();
	if (s->pid == 0) {
		snprintf(path, sizeof path, "%.400s/mapixd.log", s->dir);
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(mapixd, "mapixd", "--config", s->conf, (char *)NULL);
		_exit(127);
	}
	char address[128] = "";
	snprintf(path, sizeof path, "%.400s/tcp.address", s->dir);
	for (int i = 0; i < 500 && !(can_connect_unix(s->sock) && read_line(path, address, sizeof address)); i++)
		usleep(10000);
	const char *colon = strrchr(address, ':');
	assert_non_null(colon);
	s->port = atoi(colon + 1);
	snprintf(s->tcp, sizeof s->tcp, "tcp:127.0.0.1:%d", s->port);
	snprintf(s->bare, sizeof s->bare, "127.0.0.1:%d", s->port);
	snprintf(s->byname, sizeof s->byname, "tcp:localhost:%d", s->port);
}

static void server_stop(tls_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		int status;
		for (int i = 0; i < 500 && waitpid(s->pid, &status, WNOHANG) != s->pid; i++)
			usleep(10000);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, WNOHANG);
	}
	if (s->dir) {
		mapix_test_rmtree(s->dir);
		free(s->dir);
	}
	memset(s, 0, sizeof *s);
}

static int group_setup(void **state)
{
	(void)state;
	char logon[256];
	snprintf(logon, sizeof logon, "account_failures = %d\naddress_failures = 1000\nlockout = %d\nmax_lockout = 8\n",
	         ACCOUNT_FAILURES, LOCKOUT_S);
	server_start(&g_srv, logon);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	server_stop(&g_srv);
	return 0;
}

static void need_server(void)
{
	if (!g_srv.port)
		MAPIX_SKIP("mapixd, certtool or openssl is missing: no TLS server to test against");
}

static MAPIXREMOTETLS creds(const char *user, const char *password, const char *ca, const char *pin)
{
	MAPIXREMOTETLS t = {MAPIX_REMOTE_TLS_VERSION, user, password, ca, pin};
	return t;
}

static int audit_lines(const char *w1, const char *w2, const char *w3)
{
	FILE *f = fopen(g_srv.audit, "r");
	char line[4096];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (line[0] == '{' && strstr(line, w1) && (!w2 || strstr(line, w2)) && (!w3 || strstr(line, w3)))
			n++;
	fclose(f);
	return n;
}

static BOOL audit_mentions(const char *word)
{
	return audit_lines(word, NULL, NULL) > 0;
}

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER f = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f));
	MAPIFreeBuffer(eid);
	return f;
}

static void put_message(LPMAPIFOLDER f, const char *subject)
{
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	SPropValue v[2];
	v[0].ulPropTag = PR_SUBJECT_A;
	v[0].Value.lpszA = (LPSTR)subject;
	v[1].ulPropTag = PR_MESSAGE_CLASS_A;
	v[1].Value.lpszA = (LPSTR) "IPM.Note";
	assert_ok(IMessage_SetProps(m, 2, v, NULL));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
}

static ULONG row_count(LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	ULONG n = 0;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	IMAPITable_Release(t);
	return n;
}

/* A raw TCP connection to the TLS port. */
static int raw_tcp(int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* Seconds until the server closes fd (reading and dropping whatever it
 * sends), or -1 when it is still open after ms. */
static double closed_after(int fd, int ms)
{
	char buf[512];
	double t0 = now_s();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return now_s() - t0;
	}
	return -1;
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_logon_and_store(void **state)
{
	(void)state;
	need_server();
	LPMDB mdb = NULL;
	MAPIXREMOTETLS t = creds("alice", "alice-secret-1", g_srv.ca, NULL);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	ULONG before = row_count(inbox);
	put_message(inbox, "over TLS");
	assert_int_equal(row_count(inbox), before + 1);
	/* Large values are framed and bounded the same under TLS: a 1 MiB body. */
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(inbox, NULL, 0, &m));
	size_t big = 1024 * 1024;
	char *body = malloc(big + 1);
	assert_non_null(body);
	memset(body, 'x', big);
	body[big] = 0;
	SPropValue pv = {.ulPropTag = PR_BODY_A};
	pv.Value.lpszA = body;
	assert_ok(IMessage_SetProps(m, 1, &pv, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	LPSTREAM st = NULL;
	assert_ok(IMessage_OpenProperty(m, PR_BODY_A, &IID_IStream, 0, 0, (LPUNKNOWN *)&st));
	STATSTG stat;
	assert_ok(IStream_Stat(st, &stat, STATFLAG_NONAME));
	assert_true(stat.cbSize.QuadPart == big);
	/* And back: large replies leave the server through its output queue
	 * in TLS records, partly after the socket was full. */
	char *back = malloc(big);
	assert_non_null(back);
	ULONG got = 0, n = 0;
	do {
		assert_ok(IStream_Read(st, back + got, (ULONG)(big - got), &n));
		got += n;
	} while (n && got < big);
	assert_int_equal(got, big);
	assert_memory_equal(back, body, big);
	free(back);
	IStream_Release(st);
	IMessage_Release(m);
	free(body);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);

	/* The same account through the other address forms and verifications. */
	MAPIXREMOTETLS pin_b64 = creds("alice", "alice-secret-1", NULL, g_srv.pin);
	MAPIXREMOTETLS pin_hex = creds("alice", "alice-secret-1", NULL, g_srv.pin_hex);
	MAPIXREMOTETLS both = creds("alice", "alice-secret-1", g_srv.ca, g_srv.pin);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.bare, &pin_b64, "alice", 0, &mdb));
	IMsgStore_Release(mdb);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &pin_hex, "", 0, &mdb));
	IMsgStore_Release(mdb);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.byname, &both, NULL, MDB_WRITE, &mdb));
	inbox = open_inbox(mdb);
	assert_int_equal(row_count(inbox), before + 2);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

static void test_profile_section(void **state)
{
	(void)state;
	need_server();
	/* The provider reads the TCP logon from its profile section, as a MAPI
	 * profile would give it: MAPIXOpenRemoteStore has no credentials and
	 * must say so, the profile path with the new properties works. */
	LPMDB mdb = (LPMDB)1;
	assert_hr(MAPIXOpenRemoteStore(g_srv.tcp, "alice", 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_null(mdb);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "PR_MAPIX_REMOTE_USER"));
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, NULL, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	MAPIXREMOTETLS bad = creds("alice", "x", NULL, NULL);
	bad.ulVersion = 99;
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &bad, NULL, 0, &mdb), MAPI_E_VERSION);
	/* What the server could not parse is refused before connecting. */
	MAPIXREMOTETLS badname = creds("not a name", "pw", g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &badname, NULL, 0, &mdb), MAPI_E_INVALID_PARAMETER);
	char longpw[1100];
	memset(longpw, 'p', sizeof longpw - 1);
	longpw[sizeof longpw - 1] = 0;
	MAPIXREMOTETLS toolong = creds("alice", longpw, g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &toolong, NULL, 0, &mdb), MAPI_E_INVALID_PARAMETER);
	assert_null(strstr(MAPIXGetLastErrorText(), "pppp"));
}

static void test_wrong_password(void **state)
{
	(void)state;
	need_server();
	LPMDB mdb = (LPMDB)1;
	int before = audit_lines("Logon(password", "\"mailbox\":\"dave\"", "MAPI_E_LOGON_FAILED");
	MAPIXREMOTETLS t = creds("dave", "not-daves-Secret", g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_null(mdb);
	const char *text = MAPIXGetLastErrorText();
	assert_non_null(strstr(text, "logon failed"));
	assert_null(strstr(text, "not-daves-Secret"));
	/* One audit line, with the peer's address and no password. */
	assert_int_equal(audit_lines("Logon(password", "\"mailbox\":\"dave\"", "MAPI_E_LOGON_FAILED"), before + 1);
	assert_true(audit_lines("\"address\":\"127.0.0.1:", "\"mailbox\":\"dave\"", NULL) >= 1);
	assert_false(audit_mentions("not-daves-Secret"));
	/* An unknown account and an account without a password fail the same way. */
	MAPIXREMOTETLS ghost = creds("ghost", "whatever", g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &ghost, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "unknown account or wrong password"));
	MAPIXREMOTETLS nopass = creds("nopass", "anything", g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &nopass, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "unknown account or wrong password"));
	/* The right password still works (two failures are below the limit). */
	t.lpszPassword = "dave-secret-4";
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, 0, &mdb));
	IMsgStore_Release(mdb);
}

typedef struct flood {
	int attempts, refused;
	double seconds;
} flood;

static void *flood_main(void *p)
{
	flood *f = p;
	double t0 = now_s();
	for (int i = 0; i < f->attempts; i++) {
		LPMDB mdb = NULL;
		char pw[32];
		snprintf(pw, sizeof pw, "guess-%d", i);
		MAPIXREMOTETLS t = creds("carol", pw, g_srv.ca, NULL);
		if (MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, 0, &mdb) == MAPI_E_LOGON_FAILED)
			f->refused++;
		if (mdb)
			IMsgStore_Release(mdb);
	}
	f->seconds = now_s() - t0;
	return NULL;
}

static void test_lockout(void **state)
{
	(void)state;
	need_server();
	LPMDB mdb = NULL;
	MAPIXREMOTETLS bad = creds("carol", "wrong", g_srv.ca, NULL);
	MAPIXREMOTETLS good = creds("carol", "carol-secret-3", g_srv.ca, NULL);
	for (int i = 0; i < ACCOUNT_FAILURES; i++)
		assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &bad, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	/* Locked: even the right password is refused, at once, with a retry time. */
	double t0 = now_s();
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &good, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "too many failed logons"));
	assert_null(strstr(MAPIXGetLastErrorText(), "carol-secret-3"));
	assert_true(audit_lines("locked out", "\"mailbox\":\"carol\"", NULL) >= 1);

	/* A flood of bad passwords for carol in another thread: refused without
	 * hashing; bob logs on and works meanwhile without waiting. */
	flood f = {40, 0, 0};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, flood_main, &f), 0);
	MAPIXREMOTETLS b = creds("bob", "bob-secret-2", g_srv.ca, NULL);
	double best = 1e9;
	for (int i = 0; i < 3; i++) {
		double tb = now_s();
		assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &b, NULL, MDB_WRITE, &mdb));
		LPMAPIFOLDER inbox = open_inbox(mdb);
		put_message(inbox, "during a flood");
		IMAPIFolder_Release(inbox);
		IMsgStore_Release(mdb);
		double took = now_s() - tb;
		if (took < best)
			best = took;
	}
	pthread_join(th, NULL);
	print_message("lockout: flood of %d bad logons in %.2f s (%d refused); bob's logon+write %.3f s\n", f.attempts,
	              f.seconds, f.refused, best);
	assert_int_equal(f.refused, f.attempts);
	/* bob's logon costs one argon2id check and a handshake, never a lockout. */
	assert_true(best < LOCKOUT_S);
	/* Refused while locked, the flood added no failure: the lockout ends
	 * after its first period and the right password works again. */
	(void)t0;
	usleep((LOCKOUT_S * 1000 + 300) * 1000);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &good, NULL, 0, &mdb));
	IMsgStore_Release(mdb);
}

static void test_address_lockout(void **state)
{
	(void)state;
	need_server();
	/* A server of its own whose address limit is low: a guesser going
	 * through account names from one address is stopped even though no
	 * single account reaches its limit. */
	tls_server s2;
	assert_true(server_start(&s2, "account_failures = 100\naddress_failures = 3\nlockout = 2\n"
	                              "[tcp]\nmax_pending = 2\n"));
	const char *names[] = {"alice", "bob", "carol"};
	LPMDB mdb = NULL;
	for (int i = 0; i < 3; i++) {
		MAPIXREMOTETLS t = creds(names[i], "guess", s2.ca, NULL);
		assert_hr(MAPIXOpenRemoteStoreTLS(s2.tcp, &t, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	}
	MAPIXREMOTETLS good = creds("dave", "dave-secret-4", s2.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(s2.tcp, &good, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "from 127.0.0.1"));
	/* The UNIX socket is not affected: identities there are not guessed. */
	assert_ok(MAPIXRemoteGrant(s2.sock, "dave", "account:alice", MAPIX_GRANT_DELIVER));
	usleep(2300 * 1000);
	assert_ok(MAPIXOpenRemoteStoreTLS(s2.tcp, &good, NULL, 0, &mdb));
	IMsgStore_Release(mdb);
	/* Two silent peers fill max_pending: a third TCP connection is closed
	 * on accept, and a logon succeeds again once they are gone. */
	int quiet[2] = {raw_tcp(s2.port), raw_tcp(s2.port)};
	usleep(200 * 1000);
	int third = raw_tcp(s2.port);
	double t = closed_after(third, 1500);
	close(third);
	assert_true(t >= 0 && t < 1);
	close(quiet[0]);
	close(quiet[1]);
	usleep(300 * 1000);
	assert_ok(MAPIXOpenRemoteStoreTLS(s2.tcp, &good, NULL, 0, &mdb));
	IMsgStore_Release(mdb);
	server_stop(&s2);
}

static void test_verification(void **state)
{
	(void)state;
	need_server();
	LPMDB mdb = (LPMDB)1;
	/* A CA that did not sign the server's certificate. */
	MAPIXREMOTETLS wrong_ca = creds("alice", "alice-secret-1", g_srv.other_ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &wrong_ca, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_null(mdb);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "not trusted"));
	assert_null(strstr(MAPIXGetLastErrorText(), "alice-secret-1"));
	/* A pin of another key (the right one with its first byte changed). */
	char wrong_pin[128];
	snprintf(wrong_pin, sizeof wrong_pin, "%s", g_srv.pin_hex);
	wrong_pin[0] = wrong_pin[0] == '0' ? '1' : '0';
	MAPIXREMOTETLS bad_pin = creds("alice", "alice-secret-1", NULL, wrong_pin);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &bad_pin, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "pinned key"));
	/* The right CA but a pin that does not match: both must pass. */
	MAPIXREMOTETLS ca_bad_pin = creds("alice", "alice-secret-1", g_srv.ca, wrong_pin);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &ca_bad_pin, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	/* A pin that is not one. */
	MAPIXREMOTETLS junk = creds("alice", "alice-secret-1", NULL, "not-a-digest");
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &junk, NULL, 0, &mdb), MAPI_E_INVALID_PARAMETER);
	/* No CA, no pin: the system's trust store, which does not know the test CA. */
	MAPIXREMOTETLS system = creds("alice", "alice-secret-1", NULL, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &system, NULL, 0, &mdb), MAPI_E_LOGON_FAILED);
	/* None of these reached the password check. */
	assert_false(audit_mentions("\"mailbox\":\"alice\",\"operation\":\"Logon(password)\""));
}

static void test_unreachable(void **state)
{
	(void)state;
	need_server();
	/* A port nobody listens on: take one from the kernel and close it. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	char address[64];
	snprintf(address, sizeof address, "tcp:127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	LPMDB mdb = (LPMDB)1;
	MAPIXREMOTETLS t = creds("alice", "alice-secret-1", g_srv.ca, NULL);
	double t0 = now_s();
	assert_hr(MAPIXOpenRemoteStoreTLS(address, &t, NULL, 0, &mdb), MAPI_E_NETWORK_ERROR);
	assert_null(mdb);
	assert_true(now_s() - t0 < 5);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "cannot be reached"));
	/* The TLS client against the UNIX socket's plain protocol is no TCP
	 * address; a malformed address is a parameter error. */
	assert_hr(MAPIXOpenRemoteStoreTLS("tcp:127.0.0.1:notaport", &t, NULL, 0, &mdb), MAPI_E_INVALID_PARAMETER);
}

static void test_plaintext_client(void **state)
{
	(void)state;
	need_server();
	/* HELLO in the clear on the TLS port: the handshake fails, the
	 * connection is closed at once (long before the handshake timeout). */
	BYTE hello[28] = {'M', 'P', 'X', 'D', 1, 0, 1, 0, 1, 0, 0, 0, 12, 0, 0, 0,
	                  0,   0,   0,   0,   1, 0, 0, 0, 1, 0, 1, 0};
	int fd = raw_tcp(g_srv.port);
	assert_int_equal(write(fd, hello, sizeof hello), (ssize_t)sizeof hello);
	double t = closed_after(fd, 5000);
	close(fd);
	assert_true(t >= 0 && t < 1.5);
	/* And the reverse: the TLS client against a server that is not TLS
	 * (a plain listener that answers garbage) is a network error. */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	pid_t child = fork();
	if (child == 0) {
		int c = accept(lfd, NULL, NULL);
		if (c >= 0 && write(c, "HTTP/1.0 400 Bad Request\r\n\r\n", 28) > 0)
			usleep(200000);
		_exit(0);
	}
	close(lfd);
	char address[64];
	snprintf(address, sizeof address, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	LPMDB mdb = (LPMDB)1;
	MAPIXREMOTETLS cr = creds("alice", "alice-secret-1", g_srv.ca, NULL);
	assert_hr(MAPIXOpenRemoteStoreTLS(address, &cr, NULL, 0, &mdb), MAPI_E_NETWORK_ERROR);
	assert_null(mdb);
	int status;
	waitpid(child, &status, 0);
}

static void test_silent_client(void **state)
{
	(void)state;
	need_server();
	/* A logged-on client first. */
	LPMDB mdb = NULL;
	MAPIXREMOTETLS t = creds("alice", "alice-secret-1", g_srv.ca, NULL);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	ULONG n = row_count(inbox);
	/* Three clients that connect and never speak, one that starts a TLS
	 * record and stalls: each is closed after handshake_timeout (2 s). */
	int silent[3];
	for (int i = 0; i < 3; i++)
		silent[i] = raw_tcp(g_srv.port);
	int partial = raw_tcp(g_srv.port);
	assert_int_equal(write(partial, "\x16\x03\x01\x02\x00\x01", 6), 6);
	/* Meanwhile the logged-on client works, and a new logon succeeds. */
	put_message(inbox, "while others are silent");
	assert_int_equal(row_count(inbox), n + 1);
	LPMDB other = NULL;
	MAPIXREMOTETLS b = creds("bob", "bob-secret-2", g_srv.ca, NULL);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &b, NULL, 0, &other));
	IMsgStore_Release(other);
	for (int i = 0; i < 3; i++) {
		double tc = closed_after(silent[i], 6000);
		assert_true(tc >= 0);
		close(silent[i]);
	}
	assert_true(closed_after(partial, 6000) >= 0);
	close(partial);
	/* The logged-on client is still served (it is past its logon). */
	put_message(inbox, "after the silent ones");
	assert_int_equal(row_count(inbox), n + 2);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

/* A TLS session speaking raw frames (blocking), trusting the test CA. */
typedef struct raw_tls {
	int fd;
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
} raw_tls;

static void raw_tls_open(raw_tls *r)
{
	r->fd = raw_tcp(g_srv.port);
	assert_int_equal(gnutls_certificate_allocate_credentials(&r->cred), 0);
	assert_true(gnutls_certificate_set_x509_trust_file(r->cred, g_srv.ca, GNUTLS_X509_FMT_PEM) > 0);
	assert_int_equal(gnutls_init(&r->s, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_set_default_priority(r->s), 0);
	assert_int_equal(gnutls_credentials_set(r->s, GNUTLS_CRD_CERTIFICATE, r->cred), 0);
	gnutls_transport_set_int(r->s, r->fd);
	int rc;
	do
		rc = gnutls_handshake(r->s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	assert_int_equal(rc, 0);
}

static void raw_tls_close(raw_tls *r)
{
	gnutls_deinit(r->s);
	gnutls_certificate_free_credentials(r->cred);
	close(r->fd);
}

/* Sends one request frame: handle 0, op, then args. */
static void raw_tls_request(raw_tls *r, uint32_t id, uint32_t op, const BYTE *args, uint32_t cb)
{
	BYTE f[256];
	uint32_t len = 8 + cb;
	memcpy(f, "MPXD\x01\x00\x01\x00", 8);
	memcpy(f + 8, &id, 4);
	memcpy(f + 12, &len, 4);
	memset(f + 16, 0, 4);
	memcpy(f + 20, &op, 4);
	memcpy(f + 24, args, cb);
	assert_int_equal(gnutls_record_send(r->s, f, 24 + cb), (ssize_t)(24 + cb));
}

/* Seconds until the server ends the session, reading what it sends
 * (-1: still open after ms). */
static double raw_tls_closed_after(raw_tls *r, int ms)
{
	double t0 = now_s();
	BYTE buf[4096];
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	for (;;) {
		if (!gnutls_record_check_pending(r->s) && poll(&p, 1, ms) <= 0)
			return -1;
		ssize_t n = gnutls_record_recv(r->s, buf, sizeof buf);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return now_s() - t0;
	}
}

static void test_tls_before_logon(void **state)
{
	(void)state;
	need_server();
	static const BYTE hello[4] = {1, 0, 1, 0};
	static const BYTE none[1] = {0};
	/* HELLO, then a request other than the logon: the connection ends. */
	raw_tls r;
	raw_tls_open(&r);
	raw_tls_request(&r, 1, 1 /* HELLO */, hello, sizeof hello);
	raw_tls_request(&r, 2, 9 /* STATUS */, none, 0);
	double t = raw_tls_closed_after(&r, 5000);
	assert_true(t >= 0 && t < 1.5);
	raw_tls_close(&r);
	/* A malformed logon (a name that cannot be an account) ends it too. */
	raw_tls_open(&r);
	raw_tls_request(&r, 1, 1, hello, sizeof hello);
	BYTE bad[] = {2, 0, 0, 0, ' ', '!', 2, 0, 0, 0, 'p', 'w'};
	raw_tls_request(&r, 2, 10 /* LOGON_PASSWORD */, bad, sizeof bad);
	t = raw_tls_closed_after(&r, 5000);
	assert_true(t >= 0 && t < 1.5);
	raw_tls_close(&r);
	/* A handshake, HELLO, and then silence: closed at the logon deadline
	 * (handshake_timeout, 2 s after connecting). */
	raw_tls_open(&r);
	raw_tls_request(&r, 1, 1, hello, sizeof hello);
	t = raw_tls_closed_after(&r, 6000);
	assert_true(t >= 0 && t < 4);
	raw_tls_close(&r);
	/* The password logon on the UNIX socket is refused: identities there
	 * come from the peer's credentials. */
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%.100s", g_srv.sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	BYTE frames[2][64];
	BYTE logon[] = {5, 0, 0, 0, 'a', 'l', 'i', 'c', 'e', 2, 0, 0, 0, 'p', 'w'};
	uint32_t lens[2] = {8 + sizeof hello, 8 + sizeof logon}, ops[2] = {1, 10};
	const BYTE *args[2] = {hello, logon};
	for (int i = 0; i < 2; i++) {
		uint32_t id = (uint32_t)i + 1;
		memcpy(frames[i], "MPXD\x01\x00\x01\x00", 8);
		memcpy(frames[i] + 8, &id, 4);
		memcpy(frames[i] + 12, &lens[i], 4);
		memset(frames[i] + 16, 0, 4);
		memcpy(frames[i] + 20, &ops[i], 4);
		memcpy(frames[i] + 24, args[i], lens[i] - 8);
		assert_int_equal(write(fd, frames[i], 16 + lens[i]), (ssize_t)(16 + lens[i]));
	}
	/* Two replies; the second carries MAPI_E_NO_SUPPORT and the connection stays. */
	BYTE reply[4096];
	size_t got = 0;
	uint32_t hr2 = 0;
	for (int k = 0; k < 2; k++) {
		BYTE hdr[16];
		for (got = 0; got < 16;) {
			ssize_t n = read(fd, hdr + got, 16 - got);
			assert_true(n > 0);
			got += (size_t)n;
		}
		uint32_t len;
		memcpy(&len, hdr + 12, 4);
		assert_true(len <= sizeof reply);
		for (got = 0; got < len;) {
			ssize_t n = read(fd, reply + got, len - got);
			assert_true(n > 0);
			got += (size_t)n;
		}
		memcpy(&hr2, reply, 4);
	}
	assert_int_equal(hr2, (uint32_t)MAPI_E_NO_SUPPORT);
	close(fd);
}

/* ---- reconnecting over TLS ----------------------------------------------------------------------- */

typedef struct count_sink {
	IMAPIAdviseSink itf;
	atomic_int refs;
	atomic_int created;
} count_sink;

static HRESULT cs_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	(void)riid;
	*ppv = This;
	atomic_fetch_add(&((count_sink *)This)->refs, 1);
	return S_OK;
}
static ULONG cs_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((count_sink *)This)->refs, 1) + 1;
}
static ULONG cs_Release(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_sub(&((count_sink *)This)->refs, 1) - 1;
}
static ULONG cs_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION n)
{
	for (ULONG i = 0; i < cNotif; i++)
		if (n[i].ulEventType == fnevObjectCreated)
			atomic_fetch_add(&((count_sink *)This)->created, 1);
	return 0;
}
static const IMAPIAdviseSinkVtbl cs_vtbl = {cs_QueryInterface, cs_AddRef, cs_Release, cs_OnNotify};

/* Opens and releases every message of f (more than the client defers
 * RELEASE frames for, so they go out over TLS in batches). */
static void open_all(LPMDB mdb, LPMAPIFOLDER f, ULONG want)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	assert_ok(IMAPITable_QueryRows(t, 1000, 0, &rows));
	assert_int_equal(rows->cRows, want);
	for (ULONG i = 0; i < rows->cRows; i++) {
		ULONG type = 0;
		LPMESSAGE m = NULL;
		const SBinary *eid = &rows->aRow[i].lpProps[0].Value.bin;
		assert_ok(IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&m));
		LPSPropValue v = NULL;
		assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
		assert_non_null(strstr(v->Value.lpszA, "reconnect"));
		MAPIFreeBuffer(v);
		IMessage_Release(m);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
}

/* A client logged on over TCP whose server is killed and restarted on the
 * same port: calls fail fast while it is down, then the next call through
 * the store connects again with the same account, password and CA check
 * (a TCP connection cannot be made without them), and the store's advise
 * delivers again. */
static void test_reconnect_tls(void **state)
{
	(void)state;
	need_server();
	tls_server s2;
	assert_true(server_start(&s2, "account_failures = 100\naddress_failures = 1000\n"));
	MAPIXREMOTETLS t = creds("carol", "carol-secret-3", s2.ca, NULL);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStoreTLS(s2.tcp, &t, NULL, MDB_WRITE, &mdb));
	count_sink sink = {{&cs_vtbl}, 1, 0};
	ULONG_PTR conn = 0;
	assert_ok(IMsgStore_Advise(mdb, 0, NULL, fnevObjectCreated, &sink.itf, &conn));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	for (int i = 0; i < 40; i++)
		put_message(inbox, "before the reconnect");
	for (int i = 0; i < 500 && atomic_load(&sink.created) < 40; i++)
		usleep(10000);
	assert_true(atomic_load(&sink.created) >= 40);
	IMAPIFolder_Release(inbox);

	int status;
	kill(s2.pid, SIGKILL);
	waitpid(s2.pid, &status, 0);
	double t0 = now_s();
	LPSPropValue v = NULL;
	assert_hr(HrGetOneProp((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_hr(HrGetOneProp((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_true(now_s() - t0 < 5);

	int port = s2.port;
	server_launch(&s2, port);
	assert_int_equal(s2.port, port);
	/* The first call reconnects (TLS handshake, password logon, the
	 * mailbox and the advise again) and is answered. */
	assert_ok(HrGetOneProp((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A, &v));
	MAPIFreeBuffer(v);
	int before = atomic_load(&sink.created);
	inbox = open_inbox(mdb);
	for (int i = 0; i < 40; i++)
		put_message(inbox, "after the reconnect");
	for (int i = 0; i < 500 && atomic_load(&sink.created) < before + 40; i++)
		usleep(10000);
	assert_true(atomic_load(&sink.created) >= before + 40);
	open_all(mdb, inbox, 80);
	IMAPIFolder_Release(inbox);
	assert_ok(IMsgStore_Unadvise(mdb, conn));
	IMsgStore_Release(mdb);
	assert_int_equal(atomic_load(&sink.refs), 1);
	server_stop(&s2);
}

static void test_account_rights(void **state)
{
	(void)state;
	need_server();
	LPMDB mdb = NULL, other = (LPMDB)1;
	MAPIXREMOTETLS t = creds("alice", "alice-secret-1", g_srv.ca, NULL);
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, NULL, 0, &mdb));
	/* alice owns her mailbox, not bob's. */
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, "bob", 0, &other), MAPI_E_NO_ACCESS);
	assert_true(audit_lines("\"identity\":\"account:alice\"", "\"mailbox\":\"bob\"", "MAPI_E_NO_ACCESS") >= 1);
	/* A grant to the Unix user "alice" is another identity: still refused. */
	assert_ok(MAPIXRemoteGrant(g_srv.sock, "bob", "alice", MAPIX_GRANT_FULL_ACCESS));
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, "bob", 0, &other), MAPI_E_NO_ACCESS);
	/* A grant naming the account (any case) opens it. */
	assert_ok(MAPIXRemoteGrant(g_srv.sock, "bob", MAPIX_ACCOUNT_IDENTITY_PREFIX "Alice", MAPIX_GRANT_FULL_ACCESS));
	assert_ok(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, "bob", 0, &other));
	IMsgStore_Release(other);
	/* The entry-ID path on the same TCP connection (HrMailboxLogon style). */
	other = NULL;
	assert_ok(MAPIXMailboxLogon(NULL, mdb, "bob", 0, 0, &other));
	IMsgStore_Release(other);
	/* Grants of unknown accounts are refused. */
	assert_hr(MAPIXRemoteGrant(g_srv.sock, "bob", MAPIX_ACCOUNT_IDENTITY_PREFIX "ghost", MAPIX_GRANT_FULL_ACCESS),
	          MAPI_E_NOT_FOUND);
	assert_ok(MAPIXRemoteRevoke(g_srv.sock, "bob", MAPIX_ACCOUNT_IDENTITY_PREFIX "ALICE", MAPIX_GRANT_FULL_ACCESS));
	/* The pooled connection of alice keeps its identity; a new logon
	 * checks the grant again. */
	other = (LPMDB)1;
	assert_hr(MAPIXOpenRemoteStoreTLS(g_srv.tcp, &t, "bob", 0, &other), MAPI_E_NO_ACCESS);
	IMsgStore_Release(mdb);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logon_and_store),   cmocka_unit_test(test_profile_section),
		cmocka_unit_test(test_wrong_password),    cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_address_lockout),   cmocka_unit_test(test_verification),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_plaintext_client),  cmocka_unit_test(test_silent_client),
		cmocka_unit_test(test_tls_before_logon),  cmocka_unit_test(test_account_rights),
		cmocka_unit_test(test_reconnect_tls),
	};
	return cmocka_run_group_tests_name("mapixd_tls", tests, group_setup, group_teardown);
}
