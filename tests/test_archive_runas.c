/*
 * test_archive_runas.c — `mapix archive --runas` (tools/mapix/archive_stream.c):
 * a mailbox file that belongs to the Unix user nobody, in a directory only
 * nobody may enter, archived by root through per-user workers that
 * mapix-runas starts as nobody (one process per mailbox, or the runas pool),
 * the worker streaming the messages back on stdout (root only):
 *
 *   - every message archived once; a second run after new mail archives
 *     only the new messages;
 *   - the same through `mapix-runas --pool`;
 *   - the archiver killed at random points (seeds printed, MAPIX_STRESS
 *     rounds), then a full run: every message exactly once.
 */
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <time.h>

#include "archive_testutil.h"

typedef struct as_nobody {
	uid_t uid;
	const char *path;
	int count;
	char (*keys)[128];
	int failed;
	char why[300];
} as_nobody;

/* Adds count messages to the mailbox (creating it) as nobody: the files
 * stay nobody's. */
static void *add_main(void *arg)
{
	as_nobody *a = arg;
	LPMDB mdb = NULL;
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	if (FAILED(MAPIXImpersonateUser(a->uid)) ||
	    FAILED(MAPIXOpenLocalStore(a->path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb)) ||
	    FAILED(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL)) ||
	    FAILED(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox))) {
		a->failed = 1;
		snprintf(a->why, sizeof a->why, "%s", MAPIXGetLastErrorText());
	}
	for (int i = 0; !a->failed && i < a->count; i++) {
		LPMESSAGE m = NULL;
		SPropValue p[2] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR) "runas"},
		                   {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"}};
		LPSPropValue k = NULL;
		if (FAILED(IMAPIFolder_CreateMessage(inbox, NULL, 0, &m)) || FAILED(IMessage_SetProps(m, 2, p, NULL)) ||
		    FAILED(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE)) ||
		    FAILED(HrGetOneProp((LPMAPIPROP)m, PR_SOURCE_KEY, &k))) {
			a->failed = 1;
			snprintf(a->why, sizeof a->why, "%s", MAPIXGetLastErrorText());
		} else {
			for (ULONG b = 0; b < k->Value.bin.cb && b < 60; b++)
				sprintf(a->keys[i] + 2 * b, "%02X", k->Value.bin.lpb[b]);
		}
		MAPIFreeBuffer(k);
		if (m)
			IMessage_Release(m);
	}
	MAPIFreeBuffer(eid);
	if (inbox)
		IMAPIFolder_Release(inbox);
	if (mdb)
		IMsgStore_Release(mdb);
	MAPIXRevertToSelf();
	return NULL;
}

static void add_as(uid_t uid, const char *path, int count, char (*keys)[128])
{
	as_nobody a = {uid, path, count, keys, 0, ""};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, add_main, &a), 0);
	pthread_join(t, NULL);
	if (a.failed)
		fail_msg("adding messages as uid %u: %s", (unsigned)uid, a.why);
}

typedef struct fixture {
	char *dir;
	char mbdir[600], path[700], dest[700], log[700], runas[4200];
	struct passwd pw;
} fixture;

static void setup_fixture(fixture *f)
{
	archive_need_cli();
	if (geteuid() != 0)
		MAPIX_SKIP("mapix-runas needs root");
	struct passwd *pw = getpwnam("nobody");
	if (!pw)
		MAPIX_SKIP("no user 'nobody' to own the mailbox");
	const char *b = getenv("MAPIX_BUILD_DIR");
	snprintf(f->runas, sizeof f->runas, "%s/runas/mapix-runas", b ? b : ".");
	if (access(f->runas, X_OK) != 0)
		MAPIX_SKIP("%s not built", f->runas);
	f->pw = *pw;
	f->dir = mapix_test_tmpdir("archive-runas");
	assert_non_null(f->dir);
	chmod(f->dir, 0755);
	snprintf(f->mbdir, sizeof f->mbdir, "%s/home", f->dir);
	snprintf(f->path, sizeof f->path, "%s/mbx.db", f->mbdir);
	snprintf(f->dest, sizeof f->dest, "%s/dest", f->dir);
	snprintf(f->log, sizeof f->log, "%s/archive.log", f->dir);
	assert_int_equal(mkdir(f->mbdir, 0700), 0);
	assert_int_equal(chown(f->mbdir, pw->pw_uid, pw->pw_gid), 0);
	setenv("MAPIX_RUNAS", f->runas, 1);
}

static int run(fixture *f, const char *pool)
{
	const char *direct[] = {"archive", "--quiet", "--runas", "--mailbox", f->path, "--dest", f->dest, NULL};
	const char *pooled[] = {"archive", "--quiet", "--runas-pool", pool, "--mailbox", f->path, "--dest", f->dest, NULL};
	int rc = archive_run(pool ? pooled : direct, f->log);
	if (rc)
		archive_show_log(f->log);
	return rc;
}

static void test_runas_direct_and_pool(void **state)
{
	(void)state;
	fixture f;
	setup_fixture(&f);
	char keys[12][128];
	add_as(f.pw.pw_uid, f.path, 5, keys);
	struct stat sb;
	assert_int_equal(stat(f.path, &sb), 0);
	assert_int_equal(sb.st_uid, f.pw.pw_uid);

	assert_int_equal(run(&f, NULL), 0);
	char root[800];
	snprintf(root, sizeof root, "%s/mbx", f.dest);
	for (int i = 0; i < 5; i++)
		assert_int_equal(archive_count_maildir(root, keys[i], 0), 1);
	assert_int_equal(run(&f, NULL), 0);
	assert_int_equal(archive_total_maildir(root), 5);

	/* new mail, archived through the pool */
	add_as(f.pw.pw_uid, f.path, 4, keys + 5);
	char sock[700];
	snprintf(sock, sizeof sock, "%s/pool.sock", f.dir);
	pid_t pool = fork();
	assert_true(pool >= 0);
	if (pool == 0) {
		execl(f.runas, "mapix-runas", "--pool", sock, "--allow", "root", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && access(sock, F_OK) != 0; i++)
		usleep(10000);
	int rc = run(&f, sock);
	kill(pool, SIGTERM);
	waitpid(pool, NULL, 0);
	assert_int_equal(rc, 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(archive_count_maildir(root, keys[i], 0), 1);
	assert_int_equal(archive_total_maildir(root), 9);
	mapix_test_rmtree(f.dir);
	free(f.dir);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_runas_kill(void **state)
{
	(void)state;
	fixture f;
	setup_fixture(&f);
	unsigned rounds = 4 * mapix_test_stress();
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	const char *env = getenv("MAPIX_ARCHIVE_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	print_message("archive --runas kill test: seed 0x%llx (MAPIX_ARCHIVE_SEED), %u rounds\n",
	              (unsigned long long)seed, rounds);
	uint64_t s = seed | 1;
	enum { MAXKEYS = 2048 };
	char (*keys)[128] = calloc(MAXKEYS, sizeof *keys);
	int nkeys = 0;
	for (unsigned r = 0; r < rounds; r++) {
		int add = 30 + (int)(rnd(&s) % 60);
		if (nkeys + add > MAXKEYS)
			break;
		add_as(f.pw.pw_uid, f.path, add, keys + nkeys);
		nkeys += add;
		const char *args[] = {"archive", "--quiet", "--runas", "--mailbox", f.path, "--dest", f.dest, NULL};
		pid_t pid = archive_spawn(args, f.log, -1);
		usleep((useconds_t)(rnd(&s) % 150000));
		kill(pid, SIGKILL);
		archive_wait(pid);
	}
	assert_int_equal(run(&f, NULL), 0);
	char root[800];
	snprintf(root, sizeof root, "%s/mbx", f.dest);
	int bad = 0;
	for (int i = 0; i < nkeys; i++) {
		int n = archive_count_maildir(root, keys[i], 0);
		if (n != 1 && bad++ < 5)
			print_message("message %d: %d times (seed 0x%llx)\n", i, n, (unsigned long long)seed);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(archive_total_maildir(root), nkeys);
	free(keys);
	mapix_test_rmtree(f.dir);
	free(f.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runas_direct_and_pool),
	    cmocka_unit_test(test_runas_kill),
	};
	CHECK(MAPIInitialize(NULL));
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	MAPIUninitialize();
	return rc;
}
