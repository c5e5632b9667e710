/*
 * test_archive_server.c — `mapix archive --server`: mailboxes hosted by a
 * mapixd of the test's own (tests/mapixd_fixture.h).
 *
 *   - a service identity (the Unix user nobody, root only) with a mailbox of
 *     its own, a full-access grant on alice and an admin grant on bob: the
 *     mailboxes GetMailboxTable lists are archived, in parallel, each into
 *     its own directory; naming carol too (no grant) reports her mailbox as
 *     refused (MAPI_E_NO_ACCESS), archives the others and exits 1;
 *   - --watch: a message saved into a watched mailbox is archived within a
 *     few seconds (pushed notification, no polling of the journal); after
 *     mapixd is killed and started again, the next message is archived too
 *     (the store is opened and advised again, the journal caught up);
 *     SIGTERM stops it with status 0.
 */
#include <pwd.h>
#include <signal.h>
#include <time.h>

/* The fixture has helpers this test does not use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "mapixd_fixture.h"
#pragma GCC diagnostic pop

#undef CHECK
#include "archive_testutil.h"

#include <mapix/edkmdb.h>

/* A message saved into the Inbox of a hosted mailbox (as its owner, or as
 * an administrator with admin privilege). */
static void deliver(const char *sock, const char *mailbox, BOOL admin, const char *subject, char key[128])
{
	LPMDB mdb = NULL;
	if (admin)
		CHECK(MAPIXMailboxLogon(sock, NULL, mailbox, OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb));
	else
		CHECK(MAPIXOpenRemoteStore(sock, mailbox, MDB_WRITE, &mdb));
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	CHECK(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	CHECK(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox));
	archive_new_message(inbox, subject, key);
	MAPIFreeBuffer(eid);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

static int count_log(const char *log, const char *w1, const char *w2)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	int n = 0;
	while (f && fgets(line, sizeof line, f))
		n += strstr(line, w1) && (!w2 || strstr(line, w2));
	if (f)
		fclose(f);
	return n;
}

static void test_service_identity(void **state)
{
	(void)state;
	archive_need_cli();
	mapixd_need_root();
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		MAPIX_SKIP("no user 'nobody' to be the service identity");
	mapixd s;
	mapixd_start(&s, NULL);
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "svc", NULL, NULL, "nobody", NULL));
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "alice", NULL, NULL, NULL, NULL));
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "bob", NULL, NULL, NULL, NULL));
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "carol", NULL, NULL, NULL, NULL));
	assert_ok(MAPIXRemoteGrant(s.sock, "alice", "nobody", MAPIX_GRANT_FULL_ACCESS));
	assert_ok(MAPIXRemoteGrant(s.sock, "bob", "nobody", MAPIX_GRANT_ADMIN));
	char ka[3][128], kb[2][128], kc[128];
	for (int i = 0; i < 3; i++)
		deliver(s.sock, "alice", TRUE, "for alice", ka[i]);
	for (int i = 0; i < 2; i++)
		deliver(s.sock, "bob", TRUE, "for bob", kb[i]);
	deliver(s.sock, "carol", TRUE, "for carol", kc);

	char dest[700], log[700], root[800];
	snprintf(dest, sizeof dest, "%s/dest", s.dir);
	snprintf(log, sizeof log, "%s/archive.log", s.dir);
	assert_int_equal(mkdir(dest, 0755), 0);
	assert_int_equal(chown(dest, pw->pw_uid, pw->pw_gid), 0);
	const char *all[] = {"archive", "--server", s.sock, "--dest", dest, "--jobs", "2", NULL};
	int rc = archive_wait(archive_spawn(all, log, (int)pw->pw_uid));
	if (rc)
		archive_show_log(log);
	assert_int_equal(rc, 0);
	snprintf(root, sizeof root, "%s/alice", dest);
	for (int i = 0; i < 3; i++)
		assert_int_equal(archive_count_maildir(root, ka[i], 0), 1);
	snprintf(root, sizeof root, "%s/bob", dest);
	for (int i = 0; i < 2; i++)
		assert_int_equal(archive_count_maildir(root, kb[i], 0), 1);
	snprintf(root, sizeof root, "%s/carol", dest);
	assert_int_equal(access(root, F_OK), -1);
	assert_int_equal(count_log(log, "svc: 0 archived", NULL), 1);

	/* carol named as well: refused, reported, skipped; the others go on. */
	deliver(s.sock, "alice", TRUE, "for alice later", ka[0]);
	const char *named[] = {"archive", "--server", s.sock, "--mailboxes", "alice,bob,carol", "--dest", dest, NULL};
	rc = archive_wait(archive_spawn(named, log, (int)pw->pw_uid));
	assert_int_equal(rc, 1);
	assert_int_equal(count_log(log, "carol", "MAPI_E_NO_ACCESS"), 1);
	assert_int_equal(count_log(log, "alice: 1 archived", NULL), 1);
	assert_int_equal(count_log(log, "bob: 0 archived", NULL), 1);
	snprintf(root, sizeof root, "%s/alice", dest);
	assert_int_equal(archive_count_maildir(root, ka[0], 0), 1);
	assert_int_equal(archive_total_maildir(root), 4);
	mapixd_stop(&s);
}

/* mapixd started again on the same configuration and data. */
static void restart(mapixd *s)
{
	int st;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &st, 0);
	unlink(s->sock);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char log[700];
		snprintf(log, sizeof log, "%s/mapixd.log", s->dir);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(mapixd_build_path("src/server/mapixd"), "mapixd", "--config", s->conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !mapixd_can_connect(s->sock); i++)
		usleep(10000);
	assert_true(mapixd_can_connect(s->sock));
}

/* Waits up to `seconds` for the message to be in the archive. */
static BOOL archived_within(const char *root, const char *key, double seconds)
{
	for (int i = 0; i < (int)(seconds * 20); i++) {
		if (archive_count_maildir(root, key, 0) == 1)
			return TRUE;
		usleep(50000);
	}
	return FALSE;
}

static void test_watch_restart(void **state)
{
	(void)state;
	archive_need_cli();
	mapixd s;
	mapixd_start(&s, NULL);
	struct passwd *pw = getpwuid(geteuid());
	assert_non_null(pw);
	assert_ok(MAPIXRemoteCreateAccount(s.sock, "alice", NULL, NULL, pw->pw_name, NULL));
	char k0[128], k1[128], k2[128];
	deliver(s.sock, "alice", FALSE, "before", k0);

	char dest[700], log[700], root[800];
	snprintf(dest, sizeof dest, "%s/dest", s.dir);
	snprintf(log, sizeof log, "%s/archive.log", s.dir);
	snprintf(root, sizeof root, "%s/alice", dest);
	const char *args[] = {"archive", "--watch", "--quiet", "--server", s.sock, "--mailboxes", "alice", "--dest", dest, NULL};
	pid_t pid = archive_spawn(args, log, -1);
	BOOL ok = archived_within(root, k0, 10);
	if (ok) {
		deliver(s.sock, "alice", FALSE, "while watching", k1);
		ok = archived_within(root, k1, 5);
		if (!ok)
			print_message("the new message was not archived within 5 s\n");
	}
	if (ok) {
		restart(&s);
		deliver(s.sock, "alice", FALSE, "after the restart", k2);
		ok = archived_within(root, k2, 8);
		if (!ok)
			print_message("the message after the restart was not archived within 8 s\n");
	}
	kill(pid, SIGTERM);
	int rc = archive_wait(pid);
	if (!ok || rc != 0)
		archive_show_log(log);
	assert_true(ok);
	assert_int_equal(rc, 0);
	assert_int_equal(archive_total_maildir(root), 3);
	mapixd_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_service_identity, mapixd_teardown),
	    cmocka_unit_test_teardown(test_watch_restart, mapixd_teardown),
	};
	CHECK(MAPIInitialize(NULL));
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	MAPIUninitialize();
	return rc;
}
