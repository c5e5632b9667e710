/*
 * test_archive.c — `mapix archive` on local mailbox files
 * (tools/mapix/cmd_archive.c, archive_pass.c, archive_state.c), run as the
 * built program against mailboxes changed through the public API:
 *
 *   - a first run archives every message (Maildir and mbox), a second run
 *     nothing; several --mailbox at once with --jobs;
 *   - new, moved and copied messages: new and copied ones archived, a moved
 *     one not again; flag changes archive nothing unless --versions (then
 *     one version per change); deletions leave the archive alone;
 *   - a renamed folder keeps its archive directory, new messages go there,
 *     the state records the new name;
 *   - SIGKILL at random points (bounded rounds, seeds printed, scaled by
 *     MAPIX_STRESS), then a full run: every message exactly once, in Maildir
 *     (files per source key) and mbox (X-Mapix-Source-Key headers).
 */
#include <signal.h>
#include <time.h>

#include "archive_testutil.h"

typedef struct box {
	char dir[4096], path[4200], log[4200];
	LPMDB mdb;
	LPMAPIFOLDER subtree, inbox;
} box;

static void box_open_file(box *b, const char *tag, const char *file)
{
	memset(b, 0, sizeof *b);
	char *d = mapix_test_tmpdir(tag);
	assert_non_null(d);
	snprintf(b->dir, sizeof b->dir, "%s", d);
	free(d);
	snprintf(b->path, sizeof b->path, "%s/%s", b->dir, file);
	snprintf(b->log, sizeof b->log, "%s/archive.log", b->dir);
	CHECK(MAPIXOpenLocalStore(b->path, MDB_WRITE | MAPIX_STORE_CREATE, &b->mdb));
	LPSPropValue v = NULL;
	ULONG type = 0;
	CHECK(HrGetOneProp((LPMAPIPROP)b->mdb, PR_IPM_SUBTREE_ENTRYID, &v));
	CHECK(IMsgStore_OpenEntry(b->mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                          (LPUNKNOWN *)&b->subtree));
	MAPIFreeBuffer(v);
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	CHECK(IMsgStore_GetReceiveFolder(b->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	CHECK(IMsgStore_OpenEntry(b->mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&b->inbox));
	MAPIFreeBuffer(eid);
}

static void box_open(box *b, const char *tag)
{
	box_open_file(b, tag, "mbx.db");
}

static void box_close(box *b)
{
	if (b->inbox)
		IMAPIFolder_Release(b->inbox);
	if (b->subtree)
		IMAPIFolder_Release(b->subtree);
	if (b->mdb)
		IMsgStore_Release(b->mdb);
	mapix_test_rmtree(b->dir);
}

static LPMAPIFOLDER new_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	CHECK(IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, OPEN_IF_EXISTS, &f));
	return f;
}

static int archive(box *b, const char *dest, const char *format, const char *extra)
{
	char d[4300];
	snprintf(d, sizeof d, "%s/%s", b->dir, dest);
	const char *args[] = {"archive", "--quiet", "--mailbox", b->path, "--dest", d, "--format", format, extra, NULL};
	int rc = archive_run(args, b->log);
	if (rc != 0)
		archive_show_log(b->log);
	return rc;
}

static int count(box *b, const char *dest, const char *format, const char *key, int versions)
{
	char d[4300];
	snprintf(d, sizeof d, "%s/%s/mbx", b->dir, dest);
	return strcmp(format, "mbox") == 0 ? archive_count_mbox(d, key, versions) : archive_count_maildir(d, key, versions);
}

static LPENTRYLIST one_entry(LPMAPIPROP m)
{
	static SBinary bin;
	static ENTRYLIST list;
	static LPSPropValue v;
	MAPIFreeBuffer(v);
	v = NULL;
	CHECK(HrGetOneProp(m, PR_ENTRYID, &v));
	bin = v->Value.bin;
	list.cValues = 1;
	list.lpbin = &bin;
	return &list;
}

static LPMESSAGE open_by_key(LPMAPIFOLDER f, const char *subject)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	CHECK(IMAPIFolder_GetContentsTable(f, 0, &t));
	CHECK(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	LPMESSAGE m = NULL;
	for (ULONG i = 0; i < rows->cRows && !m; i++)
		if (PROP_TYPE(rows->aRow[i].lpProps[1].ulPropTag) == PT_STRING8 &&
		    strcmp(rows->aRow[i].lpProps[1].Value.lpszA, subject) == 0) {
			ULONG type = 0;
			CHECK(IMAPIFolder_OpenEntry(f, rows->aRow[i].lpProps[0].Value.bin.cb,
			                            (LPENTRYID)rows->aRow[i].lpProps[0].Value.bin.lpb, NULL, MAPI_MODIFY, &type,
			                            (LPUNKNOWN *)&m));
		}
	FreeProws(rows);
	IMAPITable_Release(t);
	assert_non_null(m);
	return m;
}

/* The whole life of a mailbox's archive, in one format. */
static void lifecycle(const char *format)
{
	box b;
	box_open(&b, "archive-life");
	char k1[128], k2[128], k3[128], k4[128], k5[128], k6[128];
	LPMAPIFOLDER proj = new_folder(b.inbox, "Projects");
	archive_new_message(b.inbox, "one", k1);
	archive_new_message(b.inbox, "two", k2);
	archive_new_message(proj, "three", k3);

	/* First run: all three; second run: nothing new. */
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(archive(&b, "v", format, "--versions"), 0);
	assert_int_equal(count(&b, "a", format, k1, 0), 1);
	assert_int_equal(count(&b, "a", format, k2, 0), 1);
	assert_int_equal(count(&b, "a", format, k3, 0), 1);
	assert_int_equal(count(&b, "a", format, "", 0), 3);
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(count(&b, "a", format, "", 0), 3);

	/* New, moved and copied. */
	archive_new_message(proj, "four", k4);
	LPMESSAGE two = open_by_key(b.inbox, "two");
	CHECK(IMAPIFolder_CopyMessages(b.inbox, one_entry((LPMAPIPROP)two), NULL, proj, 0, NULL, MESSAGE_MOVE));
	IMessage_Release(two);
	LPMESSAGE one = open_by_key(b.inbox, "one");
	CHECK(IMAPIFolder_CopyMessages(b.inbox, one_entry((LPMAPIPROP)one), NULL, proj, 0, NULL, 0));
	IMessage_Release(one);
	LPMESSAGE copy = open_by_key(proj, "one");
	archive_key((LPMAPIPROP)copy, k5);
	IMessage_Release(copy);
	assert_string_not_equal(k1, k5);
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(count(&b, "a", format, k4, 0), 1);
	assert_int_equal(count(&b, "a", format, k5, 0), 1);
	assert_int_equal(count(&b, "a", format, k2, 0), 1); /* moved: not again */
	assert_int_equal(count(&b, "a", format, "", 0), 5);

	/* A flag change: nothing, unless --versions. */
	LPMESSAGE three = open_by_key(proj, "three");
	CHECK(IMessage_SetReadFlag(three, CLEAR_READ_FLAG));
	IMessage_Release(three);
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(count(&b, "a", format, "", 0), 5);
	assert_int_equal(count(&b, "a", format, "", 1), 0);
	assert_int_equal(archive(&b, "v", format, "--versions"), 0);
	assert_true(count(&b, "v", format, k3, 1) >= 1);  /* the flag change */
	assert_true(count(&b, "v", format, k2, 1) >= 1);  /* the move */
	assert_int_equal(count(&b, "v", format, k3, 0), 1);
	int versions = count(&b, "v", format, "", 1);
	assert_int_equal(archive(&b, "v", format, "--versions"), 0);
	assert_int_equal(count(&b, "v", format, "", 1), versions);

	/* Deletions keep the archive. */
	LPMESSAGE four = open_by_key(proj, "four");
	CHECK(IMAPIFolder_DeleteMessages(proj, one_entry((LPMAPIPROP)four), 0, NULL, 0));
	IMessage_Release(four);
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(count(&b, "a", format, k4, 0), 1);
	assert_int_equal(count(&b, "a", format, "", 0), 5);

	/* A renamed folder keeps its archive directory and its identity. */
	SPropValue name = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR) "Renamed"};
	CHECK(IMAPIFolder_SetProps(proj, 1, &name, NULL));
	CHECK(IMAPIFolder_SaveChanges(proj, KEEP_OPEN_READWRITE));
	archive_new_message(proj, "six", k6);
	assert_int_equal(archive(&b, "a", format, NULL), 0);
	assert_int_equal(count(&b, "a", format, k6, 0), 1);
	char where[4400];
	if (strcmp(format, "maildir") == 0)
		snprintf(where, sizeof where, "%s/a/mbx/.Inbox.Projects", b.dir);
	else
		snprintf(where, sizeof where, "%s/a/mbx/Inbox.sbd/Projects", b.dir);
	int in_old = strcmp(format, "maildir") == 0 ? archive_count_maildir(where, k6, 0) : archive_count_mbox(where, k6, 0);
	assert_int_equal(in_old, 1);
	/* the state names the folder's new path */
	char state[4400], line[1024];
	snprintf(state, sizeof state, "%s/a/.mapix-archive/state", b.dir);
	DIR *d = opendir(state);
	struct dirent *e;
	int renamed = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[4700];
		snprintf(p, sizeof p, "%s/%s", state, e->d_name);
		FILE *f = fopen(p, "r");
		while (f && fgets(line, sizeof line, f))
			renamed += strstr(line, " Inbox/Projects Inbox/Renamed\n") != NULL;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	assert_int_equal(renamed, 1);

	IMAPIFolder_Release(proj);
	box_close(&b);
}

static void test_lifecycle_maildir(void **state)
{
	(void)state;
	archive_need_cli();
	lifecycle("maildir");
}

static void test_lifecycle_mbox(void **state)
{
	(void)state;
	archive_need_cli();
	lifecycle("mbox");
}

/* Several --mailbox with two workers: each into its own directory. */
static void test_several_mailboxes(void **state)
{
	(void)state;
	archive_need_cli();
	box a, b;
	box_open(&a, "archive-multi-a");
	box_open_file(&b, "archive-multi-b", "other.db");
	char ka[128], kb[128], dest[4300];
	const char *pb = b.path;
	archive_new_message(a.inbox, "in a", ka);
	archive_new_message(b.inbox, "in b", kb);
	snprintf(dest, sizeof dest, "%s/dest", a.dir);
	const char *args[] = {"archive", "--jobs", "2", "--mailbox", a.path, "--mailbox", pb, "--dest", dest, NULL};
	int rc = archive_run(args, a.log);
	if (rc)
		archive_show_log(a.log);
	assert_int_equal(rc, 0);
	char da[4400], db[4400];
	snprintf(da, sizeof da, "%s/mbx", dest);
	snprintf(db, sizeof db, "%s/other", dest);
	assert_int_equal(archive_count_maildir(da, ka, 0), 1);
	assert_int_equal(archive_count_maildir(db, kb, 0), 1);
	assert_int_equal(archive_count_maildir(da, kb, 0), 0);
	/* the summary names both */
	FILE *f = fopen(a.log, "r");
	char line[512];
	int named = 0;
	while (f && fgets(line, sizeof line, f))
		named += strncmp(line, "mbx: 1 archived", 15) == 0 || strncmp(line, "other: 1 archived", 17) == 0;
	if (f)
		fclose(f);
	assert_int_equal(named, 2);
	/* a missing file is reported, the others archived, exit 1 */
	const char *args2[] = {"archive", "--mailbox", a.path, "--mailbox", "/nonexistent/x.db", "--dest", dest, NULL};
	assert_int_equal(archive_run(args2, a.log), 1);
	box_close(&b);
	box_close(&a);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Kills `mapix archive` at random points while messages keep arriving;
 * after a final complete run every message is in the archive once. */
static void kill_test(const char *format)
{
	box b;
	box_open(&b, "archive-kill");
	unsigned rounds = 6 * mapix_test_stress();
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	const char *env = getenv("MAPIX_ARCHIVE_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	print_message("archive kill test (%s): seed 0x%llx (MAPIX_ARCHIVE_SEED), %u rounds\n", format,
	              (unsigned long long)seed, rounds);
	uint64_t s = seed | 1;
	LPMAPIFOLDER folders[3] = {b.inbox, new_folder(b.inbox, "Sub"), new_folder(b.subtree, "Other")};
	enum { MAXKEYS = 4096 };
	char (*keys)[128] = calloc(MAXKEYS, sizeof *keys);
	int nkeys = 0;
	char dest[4300];
	snprintf(dest, sizeof dest, "%s/dest", b.dir);
	for (unsigned r = 0; r < rounds; r++) {
		int add = 40 + (int)(rnd(&s) % 80);
		for (int i = 0; i < add && nkeys < MAXKEYS; i++, nkeys++) {
			char subj[64];
			snprintf(subj, sizeof subj, "msg %d", nkeys);
			/* a new folder now and then: the folder map is saved too */
			if (rnd(&s) % 97 == 0) {
				char name[32];
				snprintf(name, sizeof name, "F%d", nkeys);
				IMAPIFolder_Release(folders[2]);
				folders[2] = new_folder(b.subtree, name);
			}
			archive_new_message(folders[rnd(&s) % 3], subj, keys[nkeys]);
		}
		const char *args[] = {"archive", "--quiet", "--mailbox", b.path, "--dest", dest, "--format", format, NULL};
		pid_t pid = archive_spawn(args, b.log, -1);
		usleep((useconds_t)(rnd(&s) % 60000));
		kill(pid, SIGKILL);
		archive_wait(pid);
	}
	const char *args[] = {"archive", "--quiet", "--mailbox", b.path, "--dest", dest, "--format", format, NULL};
	int rc = archive_run(args, b.log);
	if (rc)
		archive_show_log(b.log);
	assert_int_equal(rc, 0);
	char root[4400];
	snprintf(root, sizeof root, "%s/mbx", dest);
	int bad = 0;
	for (int i = 0; i < nkeys; i++) {
		int n = strcmp(format, "mbox") == 0 ? archive_count_mbox(root, keys[i], 0)
		                                    : archive_count_maildir(root, keys[i], 0);
		if (n != 1 && bad++ < 5)
			print_message("message %d (%s): %d times in the archive (seed 0x%llx)\n", i, keys[i], n,
			              (unsigned long long)seed);
	}
	int total = strcmp(format, "mbox") == 0 ? archive_count_mbox(root, "", 0) : archive_total_maildir(root);
	assert_int_equal(bad, 0);
	assert_int_equal(total, nkeys);
	for (int i = 1; i < 3; i++)
		IMAPIFolder_Release(folders[i]);
	free(keys);
	box_close(&b);
}

static void test_kill_maildir(void **state)
{
	(void)state;
	archive_need_cli();
	kill_test("maildir");
}

static void test_kill_mbox(void **state)
{
	(void)state;
	archive_need_cli();
	kill_test("mbox");
}

static void test_usage(void **state)
{
	(void)state;
	archive_need_cli();
	char *d = mapix_test_tmpdir("archive-usage");
	char log[4200];
	snprintf(log, sizeof log, "%s/log", d);
	const char *no_dest[] = {"archive", "--mailbox", "x.db", NULL};
	assert_int_equal(archive_run(no_dest, log), 2);
	const char *both[] = {"archive", "--mailbox", "x.db", "--server", "/x", "--dest", d, NULL};
	assert_int_equal(archive_run(both, log), 2);
	const char *fmt[] = {"archive", "--mailbox", "x.db", "--dest", d, "--format", "eml", NULL};
	assert_int_equal(archive_run(fmt, log), 2);
	mapix_test_rmtree(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_lifecycle_maildir),
	    cmocka_unit_test(test_lifecycle_mbox),
	    cmocka_unit_test(test_several_mailboxes),
	    cmocka_unit_test(test_kill_maildir),
	    cmocka_unit_test(test_kill_mbox),
	};
	CHECK(MAPIInitialize(NULL));
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	MAPIUninitialize();
	return rc;
}
