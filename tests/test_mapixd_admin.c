/*
 * test_mapixd_admin.c — administering mapixd, end to end, each test with
 * its own server (tests/mapixd_fixture.h):
 *
 *   - every `mapix admin` command and `mapix store ls/check --mailbox NAME
 *     --server ADDR`, through the built `mapix` program;
 *   - a non-administrator refused with MAPI_E_NO_ACCESS and one audit line
 *     per request (API and command line);
 *   - quotas: a save that would pass the limit fails with
 *     MAPI_E_STORE_FULL and writes nothing, CreateMessage at the limit too,
 *     the warning state on the store object and logged once, deliveries
 *     held to the receive limit, defaults from mapixd.conf;
 *   - a backup taken while another client writes: the copy passes
 *     integrity_check and holds every message acknowledged before the
 *     backup began;
 *   - IMAPISession::OpenMsgStore on a CreateStoreEntryID result in a
 *     profile whose store is hosted by mapixd, and MAPIXMailboxLogon with
 *     the session's store.
 *
 * Tests with other identities (nobody, daemon) need root and skip
 * otherwise.
 */
#include "mapixd_fixture.h"

#include <errno.h>
#include <grp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define NOBODY_UID 65534
#define DAEMON_UID 1

static char *g_tmp;

static int setup(void **state)
{
	(void)state;
	g_tmp = mapix_test_tmpdir("mapixd-admin-profiles");
	char *sysconf = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", sysconf, 1);
	free(sysconf);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/profiles", g_tmp);
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, dir};
	return MAPIInitialize(&init) == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	MAPIUninitialize();
	mapix_test_rmtree(g_tmp);
	free(g_tmp);
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

/* Runs `mapix ARGS` through sh (as uid when uid != 0 and we are root);
 * stdout and stderr together into out; returns the exit status. */
static int run_cli(char *out, size_t cap, uid_t uid, const char *fmt, ...)
{
	char args[4096], cmd[8400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", mapixd_build_path("mapix"), args);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDOUT_FILENO);
		close(p[1]);
		if (uid && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0))
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], out + n, cap - 1 - n)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define assert_contains(text, want)                                                          \
	do {                                                                                     \
		if (!strstr((text), (want)))                                                         \
			fail_msg("%s:%d: expected \"%s\" in:\n%s", __FILE__, __LINE__, (want), (text));  \
	} while (0)

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER f = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_BEST_ACCESS, &type, (LPUNKNOWN *)&f));
	MAPIFreeBuffer(eid);
	return f;
}

static char g_last_error[1024]; /* the text of save_message's last failure */

/* Creates, fills and saves a message with a body of body_bytes; returns
 * SaveChanges's (or CreateMessage's) result. */
static HRESULT save_message(LPMAPIFOLDER f, const char *subject, size_t body_bytes)
{
	LPMESSAGE m = NULL;
	HRESULT hr = IMAPIFolder_CreateMessage(f, NULL, 0, &m);
	if (FAILED(hr))
		return hr;
	char *body = malloc(body_bytes + 1);
	assert_non_null(body);
	memset(body, 'x', body_bytes);
	body[body_bytes] = 0;
	SPropValue v[2];
	v[0].ulPropTag = PR_SUBJECT_A;
	v[0].Value.lpszA = (LPSTR)subject;
	v[1].ulPropTag = PR_BODY_A;
	v[1].Value.lpszA = body;
	hr = IMessage_SetProps(m, 2, v, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(m, 0);
	snprintf(g_last_error, sizeof g_last_error, "%s", FAILED(hr) ? MAPIXGetLastErrorText() : "");
	IMessage_Release(m);
	free(body);
	return hr;
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

static const char *me(void)
{
	struct passwd *pw = getpwuid(geteuid());
	assert_non_null(pw);
	return pw->pw_name;
}

/* ---- mapix admin and --server, through the command line ------------------------------------ */

static void test_admin_commands(void **state)
{
	(void)state;
	mapixd s;
	char out[16384];
	mapixd_start(&s, NULL);
	const char *srv = s.sock;

	assert_int_equal(run_cli(out, sizeof out, 0,
	                         "admin --server %s account create alice --display-name 'Alice Example' "
	                         "--smtp alice@example.org --unix-user %s",
	                         srv, me()),
	                 0);
	assert_contains(out, "created account alice");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin account create bob --server %s --password-stdin <<EOF\nsecret\nEOF",
	                         srv),
	                 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s account create alice", srv), 1);
	assert_contains(out, "MAPI_E_COLLISION");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s account list", srv), 0);
	assert_contains(out, "alice");
	assert_contains(out, "Alice Example");
	assert_contains(out, "alice@example.org");
	assert_contains(out, "bob");

	/* The API gives the same listing. */
	ULONG n = 0;
	LPMAPIXACCOUNT accounts = NULL;
	assert_ok(MAPIXRemoteListAccounts(srv, &n, &accounts));
	assert_int_equal(n, 2);
	assert_string_equal(accounts[0].lpszName, "alice");
	assert_string_equal(accounts[0].lpszSmtpAddress, "alice@example.org");
	assert_string_equal(accounts[0].lpszUnixUser, me());
	assert_string_equal(accounts[1].lpszName, "bob");
	assert_string_equal(accounts[1].lpszUnixUser, "");
	MAPIFreeBuffer(accounts);

	/* Grants. */
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grant alice svc-one full-access", srv), 0);
	assert_contains(out, "granted full-access on alice to svc-one");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grant alice mta deliver", srv), 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grant bob svc-two admin", srv), 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grant bob svc-two everything", srv), 2);
	assert_contains(out, "unknown right 'everything'");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grants alice", srv), 0);
	assert_contains(out, "svc-one");
	assert_contains(out, "full-access");
	assert_contains(out, "deliver");
	assert_null(strstr(out, "svc-two"));
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s grants", srv), 0);
	assert_contains(out, "svc-two");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s revoke alice mta deliver", srv), 0);
	assert_contains(out, "revoked deliver on alice from mta");
	LPMAPIXGRANT grants = NULL;
	assert_ok(MAPIXRemoteListGrants(srv, "alice", &n, &grants));
	assert_int_equal(n, 1);
	assert_string_equal(grants[0].lpszGrantee, "svc-one");
	assert_string_equal(grants[0].lpszRight, MAPIX_GRANT_FULL_ACCESS);
	MAPIFreeBuffer(grants);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s revoke alice mta deliver", srv), 1);
	assert_contains(out, "MAPI_E_NOT_FOUND");

	/* Quotas: set, show, back to the default. */
	assert_int_equal(run_cli(out, sizeof out, 0,
	                         "admin --server %s quota alice --warn 1M --limit 2G --receive-limit 500K", srv),
	                 0);
	assert_contains(out, "warning at:      1.0M\n");
	assert_contains(out, "saves refused:   2.0G\n");
	assert_contains(out, "mail refused:    500K\n");
	assert_contains(out, "state:           ok\n");
	MAPIXQUOTA q;
	assert_ok(MAPIXRemoteGetQuota(srv, "alice", &q));
	assert_int_equal(q.cbWarning, 1024 * 1024);
	assert_int_equal(q.cbSendLimit, 2ULL * 1024 * 1024 * 1024);
	assert_int_equal(q.cbReceiveLimit, 500 * 1024);
	assert_int_equal(q.ulDefaults, 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s quota alice --limit none --warn default", srv), 0);
	assert_contains(out, "saves refused:   none\n");
	assert_contains(out, "warning at:      none (server default)\n");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s quota alice --limit 12Q", srv), 2);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s quota nosuch", srv), 1);
	assert_contains(out, "MAPI_E_NOT_FOUND");

	/* The hosted mailbox through every store subcommand's addressing. */
	assert_int_equal(run_cli(out, sizeof out, 0, "store ls --mailbox alice --server %s", srv), 0);
	assert_contains(out, "Inbox");
	assert_contains(out, "Top of Information Store");
	assert_int_equal(run_cli(out, sizeof out, 0, "store ls --server %s --mailbox alice --folder Inbox", srv), 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "store show --mailbox alice@example.org --server %s", srv), 0);
	assert_contains(out, "PR_MAPIX_QUOTA_STATE");
	assert_int_equal(run_cli(out, sizeof out, 0, "store check --mailbox alice --server %s", srv), 0);
	assert_contains(out, "integrity_check: not run (hosted by mapixd");
	assert_contains(out, "no problems found");

	/* Backup into a file of the invoking user's, then checked locally. */
	char dest[4200];
	snprintf(dest, sizeof dest, "%s/alice-copy.mapix", s.dir);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s backup alice %s", srv, dest), 0);
	assert_contains(out, "backed up alice to");
	struct stat st;
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(run_cli(out, sizeof out, 0, "store check --mailbox %s", dest), 0);
	assert_contains(out, "integrity_check: ok");
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s backup alice %s", srv, dest), 1);
	assert_contains(out, "already exists");
	/* store backup with --server is the same request. */
	snprintf(dest, sizeof dest, "%s/alice-copy2.mapix", s.dir);
	assert_int_equal(run_cli(out, sizeof out, 0, "store backup --mailbox alice --server %s %s", srv, dest), 0);
	assert_int_equal(stat(dest, &st), 0);

	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s status", srv), 0);
	assert_contains(out, "server:          admintest\n");
	assert_contains(out, "accounts:        2\n");

	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s account delete bob", srv), 0);
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s account list", srv), 0);
	assert_null(strstr(out, "bob"));
	assert_int_equal(run_cli(out, sizeof out, 0, "admin --server %s frob", srv), 2);

	/* Every change was audited. */
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"CreateAccount\"", "S_OK"), 2);
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"SetQuota(", "S_OK"), 2);
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"Backup\"", "S_OK"), 2);
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"DeleteAccount\"", "S_OK"), 1);
	mapixd_stop(&s);
}

/* ---- a non-administrator ------------------------------------------------------------------------- */

static void refused_work(mapixd_job *j)
{
	const char *srv = j->s->sock;
	const char *dest = j->arg;
	ULONG n;
	LPMAPIXACCOUNT accounts = NULL;
	LPMAPIXGRANT grants = NULL;
	LPMAPIXSERVERSTATUS st = NULL;
	MAPIXQUOTA q;
	JOB_CHECK(j, MAPIXRemoteListAccounts(srv, &n, &accounts), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteListGrants(srv, NULL, &n, &grants), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteSetQuota(srv, "alice", MAPIX_QUOTA_SEND, 0, 1, 0), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteGetQuota(srv, "alice", &q), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteGetStatus(srv, &st), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteBackupMailbox(srv, "alice", dest), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteCreateAccount(srv, "mallory", NULL, NULL, NULL, NULL), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteGrant(srv, "alice", "nobody", MAPIX_GRANT_FULL_ACCESS), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteDeleteAccount(srv, "alice"), MAPI_E_NO_ACCESS);
	if (accounts || grants || st)
		j->failures++, snprintf(j->why, sizeof j->why, "a refused call returned data");
	/* A refused backup leaves no file behind. */
	if (access(dest, F_OK) == 0)
		j->failures++, snprintf(j->why, sizeof j->why, "a refused backup left %s", dest);
}

static void test_non_admin_refused(void **state)
{
	(void)state;
	mapixd s;
	char out[8192], dest[4200];
	mapixd_need_root();
	mapixd_start(&s, NULL);
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "alice", NULL, NULL, "nobody", NULL));
	/* A directory nobody may write into, so only the server can refuse. */
	snprintf(dest, sizeof dest, "%s/drop", s.dir);
	assert_int_equal(mkdir(dest, 01777), 0);
	chmod(dest, 01777);
	strncat(dest, "/alice.mapix", sizeof dest - strlen(dest) - 1);
	mapixd_run_as(&s, NOBODY_UID, refused_work, dest);
	static const char *const ops[] = {"ListAccounts", "ListGrants", "SetQuota", "GetQuota", "Status",
	                                  "Backup",       "CreateAccount", "Grant",   "DeleteAccount"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		char want[96];
		snprintf(want, sizeof want, "\"operation\":\"%s\"", ops[i]);
		if (mapixd_audit_lines(&s, "\"identity\":\"nobody\"", want) == 0)
			fail_msg("no audit line for a refused %s", ops[i]);
	}
	assert_int_equal(mapixd_audit_lines(&s, "\"identity\":\"nobody\"", "MAPI_E_NO_ACCESS"), 9);
	/* The command line says the same, in one line, exit status 1. */
	assert_int_equal(run_cli(out, sizeof out, NOBODY_UID, "admin --server %s account list", s.sock), 1);
	assert_contains(out, "mapix: account list: mapixd: nobody is not an administrator (MAPI_E_NO_ACCESS)\n");
	assert_int_equal(mapixd_audit_lines(&s, "\"identity\":\"nobody\"", "MAPI_E_NO_ACCESS"), 10);
	/* Its own mailbox works for nobody, of course. */
	assert_int_equal(run_cli(out, sizeof out, NOBODY_UID, "store ls --mailbox alice --server %s", s.sock), 0);
	assert_contains(out, "Inbox");
	mapixd_stop(&s);
}

/* ---- quotas ------------------------------------------------------------------------------------------ */

static LONG long_prop(LPVOID obj, ULONG tag)
{
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)obj, tag, &v));
	LONG l = v->Value.l;
	MAPIFreeBuffer(v);
	return l;
}

static ULONGLONG used_bytes(mapixd *s, const char *mailbox)
{
	MAPIXQUOTA q;
	assert_ok(MAPIXRemoteGetQuota(s->sock, mailbox, &q));
	return q.cbUsed;
}

static void deliver_refused(mapixd_job *j)
{
	LPMDB mdb = NULL;
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	JOB_CHECK(j, IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox), S_OK);
	MAPIFreeBuffer(eid);
	if (inbox) {
		/* arg: the result the delivery must have. */
		JOB_CHECK(j, save_message(inbox, "delivered", 2048), *(HRESULT *)j->arg);
		IMAPIFolder_Release(inbox);
	}
	IMsgStore_Release(mdb);
}

static void test_quota(void **state)
{
	(void)state;
	mapixd s;
	char subject[64];
	mapixd_start(&s, "[quota]\nwarning = 1M\n");
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "alice", NULL, NULL, me(), NULL));
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "bob", NULL, NULL, NULL, NULL));
	/* bob has the server's default. */
	MAPIXQUOTA q;
	assert_ok(MAPIXRemoteGetQuota(s.sock, "bob", &q));
	assert_int_equal(q.cbWarning, 1024 * 1024);
	assert_int_equal(q.ulDefaults, MAPIX_QUOTA_WARNING | MAPIX_QUOTA_SEND | MAPIX_QUOTA_RECEIVE);
	assert_int_equal(q.cbSendLimit, 0);

	assert_ok(MAPIXRemoteSetQuota(s.sock, "alice", MAPIX_QUOTA_WARNING | MAPIX_QUOTA_SEND, 4096, 16384, 0));
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "alice", MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	assert_int_equal(long_prop(mdb, PR_STORAGE_QUOTA_LIMIT), 4);
	assert_int_equal(long_prop(mdb, PR_PROHIBIT_SEND_QUOTA), 16);
	assert_int_equal(long_prop(mdb, PR_PROHIBIT_RECEIVE_QUOTA), -1);
	assert_int_equal(long_prop(mdb, PR_MAPIX_QUOTA_STATE), 0);

	/* Below the warning threshold, then past it: saves still succeed,
	 * the state shows it, and the crossing is logged once. */
	int saved = 0;
	while (used_bytes(&s, "alice") < 4096) {
		snprintf(subject, sizeof subject, "m%d", saved);
		assert_ok(save_message(inbox, subject, 1000));
		assert_true(++saved < 20);
	}
	assert_ok(save_message(inbox, "one more", 500));
	saved++;
	assert_int_equal(long_prop(mdb, PR_MAPIX_QUOTA_STATE), MAPIX_QUOTA_STATE_WARNING);
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"QuotaWarning\"", "\"mailbox\":\"alice\""), 1);

	/* A message that would take the mailbox past the limit: refused,
	 * nothing of it saved. */
	ULONGLONG before = used_bytes(&s, "alice");
	assert_hr(save_message(inbox, "too big", 32768), MAPI_E_STORE_FULL);
	assert_contains(g_last_error, "mapixd: mailbox alice is full");
	assert_int_equal(row_count(inbox), (ULONG)saved);
	assert_int_equal(used_bytes(&s, "alice"), before);
	assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"SaveChanges(send quota)\"", "MAPI_E_STORE_FULL"), 1);

	/* Filling up to the limit: every save below it succeeds, then one is
	 * refused, and the mailbox never holds more than the limit. */
	HRESULT hr = S_OK;
	for (int i = 0; i < 40 && SUCCEEDED(hr); i++) {
		snprintf(subject, sizeof subject, "fill%d", i);
		if (SUCCEEDED(hr = save_message(inbox, subject, 1000)))
			saved++;
	}
	assert_hr(hr, MAPI_E_STORE_FULL);
	assert_true(used_bytes(&s, "alice") <= 16384);
	assert_int_equal(row_count(inbox), (ULONG)saved);

	/* At the limit even CreateMessage is refused. */
	assert_ok(MAPIXRemoteSetQuota(s.sock, "alice", MAPIX_QUOTA_SEND, 0, used_bytes(&s, "alice"), 0));
	LPMESSAGE m = NULL;
	assert_hr(IMAPIFolder_CreateMessage(inbox, NULL, 0, &m), MAPI_E_STORE_FULL);
	assert_null(m);
	assert_int_equal(long_prop(mdb, PR_MAPIX_QUOTA_STATE), MAPIX_QUOTA_STATE_WARNING | MAPIX_QUOTA_STATE_SEND_PROHIBITED);
	/* GetProps of everything includes the quota too. */
	ULONG n = 0;
	LPSPropValue all = NULL;
	assert_ok(IMsgStore_GetProps(mdb, NULL, 0, &n, &all));
	LPSPropValue found = PpropFindProp(all, n, PR_MAPIX_QUOTA_STATE);
	assert_non_null(found);
	assert_int_equal(found->Value.l, MAPIX_QUOTA_STATE_WARNING | MAPIX_QUOTA_STATE_SEND_PROHIBITED);
	found = PpropFindProp(all, n, PR_MESSAGE_SIZE_EXTENDED);
	assert_non_null(found);
	assert_int_equal((ULONGLONG)found->Value.li.QuadPart, used_bytes(&s, "alice"));
	assert_non_null(PpropFindProp(all, n, PR_DISPLAY_NAME_A) ? PpropFindProp(all, n, PR_DISPLAY_NAME_A)
	                                                          : PpropFindProp(all, n, PR_DISPLAY_NAME_W));
	MAPIFreeBuffer(all);
	/* Status counts the mailbox. */
	LPMAPIXSERVERSTATUS st = NULL;
	assert_ok(MAPIXRemoteGetStatus(s.sock, &st));
	assert_int_equal(st->ulAccounts, 2);
	assert_int_equal(st->ulOverWarning, 1);
	assert_int_equal(st->ulOverLimit, 1);
	MAPIFreeBuffer(st);

	/* No limit: saving works again. */
	assert_ok(MAPIXRemoteSetQuota(s.sock, "alice", MAPIX_QUOTA_SEND, 0, 0, 0));
	assert_ok(save_message(inbox, "after", 1000));

	/* Deliveries are held to the receive limit, not the send limit. */
	if (geteuid() == 0) {
		assert_ok(MAPIXRemoteGrant(s.sock, "alice", "daemon", MAPIX_GRANT_DELIVER));
		/* Room for a new message, not for its 2 KB body. */
		assert_ok(MAPIXRemoteSetQuota(s.sock, "alice", MAPIX_QUOTA_RECEIVE, 0, 0, used_bytes(&s, "alice") + 1000));
		HRESULT want = MAPI_E_STORE_FULL;
		ULONG rows = row_count(inbox);
		mapixd_run_as(&s, DAEMON_UID, deliver_refused, &want);
		assert_int_equal(row_count(inbox), rows);
		assert_int_equal(mapixd_audit_lines(&s, "\"operation\":\"SaveChanges(receive quota)\"", "\"identity\":\"daemon\""),
		                 1);
		assert_ok(save_message(inbox, "the owner still saves", 100)); /* send limit: none */
		assert_ok(MAPIXRemoteSetQuota(s.sock, "alice", MAPIX_QUOTA_RECEIVE, 0, 0, MAPIX_QUOTA_DEFAULT));
		want = S_OK;
		mapixd_run_as(&s, DAEMON_UID, deliver_refused, &want);
		assert_int_equal(row_count(inbox), rows + 2);
	}
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* ---- backup under write load ------------------------------------------------------------------------ */

typedef struct writer {
	atomic_int acked;   /* messages w0 .. w(acked-1) are saved */
	atomic_bool stop;
} writer;

static void writer_work(mapixd_job *j)
{
	writer *w = j->arg;
	LPMDB mdb = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	JOB_CHECK(j, IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	JOB_CHECK(j, IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox), S_OK);
	MAPIFreeBuffer(eid);
	for (int i = 0; inbox && !atomic_load(&w->stop) && !j->failures && i < 100000; i++) {
		char subject[32];
		snprintf(subject, sizeof subject, "w%d", i);
		JOB_CHECK(j, save_message(inbox, subject, 300), S_OK);
		if (!j->failures)
			atomic_store(&w->acked, i + 1);
	}
	if (inbox)
		IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

static void *writer_thread(void *p)
{
	mapixd_job *j = p;
	if (FAILED(MAPIXImpersonateUser(j->uid))) {
		j->failures++;
		snprintf(j->why, sizeof j->why, "impersonate: %s", MAPIXGetLastErrorText());
		return NULL;
	}
	j->fn(j);
	MAPIXRevertToSelf();
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_backup_under_load(void **state)
{
	(void)state;
	mapixd s;
	mapixd_need_root();
	mapixd_start(&s, NULL);
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "alice", NULL, NULL, me(), NULL));
	/* Some bulk first, so the copy takes more than one step. */
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "alice", MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	LPMAPIFOLDER bulk = NULL;
	assert_ok(IMAPIFolder_CreateFolder(inbox, FOLDER_GENERIC, (LPTSTR) "Bulk", NULL, NULL, 0, &bulk));
	unsigned nbulk = 150 * mapix_test_stress();
	for (unsigned i = 0; i < nbulk; i++)
		assert_ok(save_message(bulk, "bulk", 4000));
	IMAPIFolder_Release(bulk);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);

	/* Another identity (so another connection) writes all the time. */
	assert_ok(MAPIXRemoteGrant(s.sock, "alice", "nobody", MAPIX_GRANT_FULL_ACCESS));
	writer w;
	atomic_init(&w.acked, 0);
	atomic_init(&w.stop, FALSE);
	mapixd_job j = {&s, NOBODY_UID, writer_work, 0, "", &w};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &j), 0);
	for (int i = 0; i < 1000 && atomic_load(&w.acked) < 20 && !j.failures; i++)
		usleep(10000);
	char dest[4200];
	snprintf(dest, sizeof dest, "%s/alice-under-load.mapix", s.dir);
	int before = atomic_load(&w.acked);
	double t0 = now_s();
	HRESULT hr = MAPIXRemoteBackupMailbox(s.sock, "alice", dest);
	double took = now_s() - t0;
	int during = atomic_load(&w.acked) - before;
	usleep(100000);
	atomic_store(&w.stop, TRUE);
	pthread_join(t, NULL);
	if (j.failures)
		fail_msg("writer: %s", j.why);
	assert_ok(hr);
	print_message("backup of %u bulk messages took %.3f s; the writer saved %d messages meanwhile (%d in all)\n", nbulk,
	              took, during, atomic_load(&w.acked));
	assert_true(before >= 20);

	/* The copy: a sound database ... */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(dest, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);
	/* ... holding every message acknowledged before the backup began. */
	LPMDB copy = NULL;
	assert_ok(MAPIXOpenLocalStore(dest, 0, &copy));
	LPMAPIFOLDER cin = open_inbox(copy);
	LPMAPITABLE tbl = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SUBJECT_A}};
	assert_ok(IMAPIFolder_GetContentsTable(cin, 0, &tbl));
	assert_ok(HrQueryAllRows(tbl, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	char *seen = calloc((size_t)atomic_load(&w.acked) + 1, 1);
	assert_non_null(seen);
	for (ULONG i = 0; i < rows->cRows; i++) {
		int k = atoi(rows->aRow[i].lpProps[0].Value.lpszA + 1);
		assert_true(k >= 0 && k <= atomic_load(&w.acked));
		seen[k] = 1;
	}
	for (int k = 0; k < before; k++)
		if (!seen[k])
			fail_msg("message w%d, acknowledged before the backup began, is missing from the copy", k);
	assert_true(rows->cRows >= (ULONG)before);
	free(seen);
	FreeProws(rows);
	IMAPITable_Release(tbl);
	IMAPIFolder_Release(cin);
	IMsgStore_Release(copy);
	/* The server removed its temporary copy. */
	char backups[4200];
	snprintf(backups, sizeof backups, "%s/backups", s.data);
	char out[4096];
	assert_int_equal(run_cli(out, sizeof out, 0, "store ls --mailbox alice --server %s >/dev/null; ls -A %s", s.sock,
	                         backups),
	                 0);
	assert_string_equal(out, "");
	mapixd_stop(&s);
}

/* ---- OpenMsgStore through a profile on CreateStoreEntryID ---------------------------------------- */

static void make_remote_profile(const char *name, const char *server, const char *mailbox)
{
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE table;
	LPSRowSet rows = NULL;
	assert_ok(MAPIAdminProfiles(0, &admin));
	assert_ok(admin->lpVtbl->CreateProfile(admin, (LPTSTR)name, NULL, 0, 0));
	assert_ok(admin->lpVtbl->AdminServices(admin, (LPTSTR)name, NULL, 0, 0, &svc));
	assert_ok(svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_REMOTE", (LPTSTR) "Server mailbox", 0, 0));
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	assert_ok(svc->lpVtbl->GetMsgServiceTable(svc, 0, &table));
	assert_ok(HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_REMOTE_SERVER_A, .Value.lpszA = (LPSTR)server},
	                     {.ulPropTag = PR_MAPIX_REMOTE_MAILBOX_A, .Value.lpszA = (LPSTR)mailbox}};
	assert_ok(svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg));
	FreeProws(rows);
	table->lpVtbl->Release(table);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);
}

/* The Contacts folder of a store, found through PR_IPM_CONTACT_ENTRYID
 * on its Inbox. */
static LPMAPIFOLDER open_contacts(LPMDB mdb, LPSPropValue *eid_out)
{
	LPMAPIFOLDER inbox = open_inbox(mdb), contacts = NULL;
	LPSPropValue eid = NULL;
	ULONG type = 0;
	assert_ok(HrGetOneProp((LPMAPIPROP)inbox, PR_IPM_CONTACT_ENTRYID, &eid));
	IMAPIFolder_Release(inbox);
	assert_ok(IMsgStore_OpenEntry(mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, MAPI_BEST_ACCESS, &type,
	                              (LPUNKNOWN *)&contacts));
	assert_int_equal(type, MAPI_FOLDER);
	if (eid_out)
		*eid_out = eid;
	else
		MAPIFreeBuffer(eid);
	return contacts;
}

static char *first_subject(LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SUBJECT_A}};
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	char *s = strdup(rows->aRow[0].lpProps[0].Value.lpszA);
	FreeProws(rows);
	IMAPITable_Release(t);
	return s;
}

static void test_session_open_by_store_entryid(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	/* svc: the service's own mailbox (the profile's); bob: someone else's,
	 * with a contact in it. The service is an administrator. */
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "svc", NULL, NULL, me(), NULL));
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "bob", "Bob", "bob@example.org", NULL, NULL));
	LPMDB mdb = NULL;
	assert_ok(MAPIXMailboxLogon(s.sock, NULL, "bob", OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb));
	LPMAPIFOLDER contacts = open_contacts(mdb, NULL);
	assert_ok(save_message(contacts, "Carol Contact", 10));
	IMAPIFolder_Release(contacts);
	IMsgStore_Release(mdb);

	make_remote_profile("service", s.sock, "svc");
	LPMAPISESSION session = NULL;
	assert_ok(MAPILogonEx(0, (LPTSTR) "service", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
	                      &session));
	LPMDB own = NULL;
	assert_ok(IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL, MDB_WRITE | MDB_NO_DIALOG, &own));
	LPSPropValue own_eid = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)own, PR_ENTRYID, &own_eid));

	/* HrMailboxLogon's way: CreateStoreEntryID on the service's store,
	 * then OpenMsgStore on the session. */
	LPEXCHANGEMANAGESTORE ems = NULL;
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_QueryInterface(own, &IID_IExchangeManageStore, (LPVOID *)&ems));
	assert_ok(IExchangeManageStore_CreateStoreEntryID(ems, NULL, (LPSTR) "bob", OPENSTORE_USE_ADMIN_PRIVILEGE, &cb,
	                                                  &eid));
	IExchangeManageStore_Release(ems);
	LPMDB bob = NULL;
	assert_ok(IMAPISession_OpenMsgStore(session, 0, cb, eid, NULL, MDB_NO_DIALOG | MAPI_BEST_ACCESS, &bob));
	MAPIFreeBuffer(eid);
	LPSPropValue cfolder = NULL;
	contacts = open_contacts(bob, &cfolder);
	char *subject = first_subject(contacts);
	assert_string_equal(subject, "Carol Contact");
	free(subject);
	IMAPIFolder_Release(contacts);
	/* The session routes bob's entry IDs to bob's store. */
	ULONG type = 0;
	assert_ok(IMAPISession_OpenEntry(session, cfolder->Value.bin.cb, (LPENTRYID)cfolder->Value.bin.lpb, NULL, 0, &type,
	                                 (LPUNKNOWN *)&contacts));
	assert_int_equal(type, MAPI_FOLDER);
	subject = first_subject(contacts);
	assert_string_equal(subject, "Carol Contact");
	free(subject);
	IMAPIFolder_Release(contacts);
	MAPIFreeBuffer(cfolder);
	IMsgStore_Release(bob);

	/* MAPIXMailboxLogon with the session's store does the same. */
	assert_ok(MAPIXMailboxLogon(NULL, own, "bob@example.org", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &bob));
	contacts = open_contacts(bob, NULL);
	assert_int_equal(row_count(contacts), 1);
	IMAPIFolder_Release(contacts);
	IMsgStore_Release(bob);

	/* Without a grant the server says no, through the session too. */
	assert_ok(IMsgStore_QueryInterface(own, &IID_IExchangeManageStore, (LPVOID *)&ems));
	assert_ok(IExchangeManageStore_CreateStoreEntryID(ems, NULL, (LPSTR) "bob", 0, &cb, &eid));
	IExchangeManageStore_Release(ems);
	assert_hr(IMAPISession_OpenMsgStore(session, 0, cb, eid, NULL, MDB_NO_DIALOG, &bob), MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(eid);
	IMsgStore_Release(own);
	IMAPISession_Logoff(session, 0, 0, 0);
	IMAPISession_Release(session);

	/* The profile still knows its own store as the service's mailbox. */
	assert_ok(MAPILogonEx(0, (LPTSTR) "service", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
	                      &session));
	assert_ok(IMAPISession_OpenMsgStore(session, 0, 0, NULL, NULL, MDB_NO_DIALOG, &own));
	LPSPropValue again = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)own, PR_ENTRYID, &again));
	assert_int_equal(again->Value.bin.cb, own_eid->Value.bin.cb);
	assert_memory_equal(again->Value.bin.lpb, own_eid->Value.bin.lpb, own_eid->Value.bin.cb);
	MAPIFreeBuffer(again);
	MAPIFreeBuffer(own_eid);
	IMsgStore_Release(own);
	IMAPISession_Logoff(session, 0, 0, 0);
	IMAPISession_Release(session);
	mapixd_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_admin_commands, mapixd_teardown),
		cmocka_unit_test_teardown(test_non_admin_refused, mapixd_teardown),
		cmocka_unit_test_teardown(test_quota, mapixd_teardown),
		cmocka_unit_test_teardown(test_backup_under_load, mapixd_teardown),
		cmocka_unit_test_teardown(test_session_open_by_store_entryid, mapixd_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
