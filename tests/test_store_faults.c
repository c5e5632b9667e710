/*
 * test_store_faults.c — a local mailbox file in a bad state: damaged pages,
 * truncated, empty, not SQLite at all, someone else's SQLite database, a
 * newer schema, unreadable for the caller, and full. Every case must fail
 * cleanly with the documented HRESULT (MAPI_E_CORRUPT_STORE,
 * MAPI_E_NO_ACCESS, MAPI_E_NOT_ENOUGH_DISK, MAPI_E_VERSION) and a message
 * naming the file, at open or at the first read; a full disk must leave
 * nothing half-written.
 *
 * These are tests of the local mailbox file: they skip under another store
 * provider (store_hook_skip_unless_local). The disk-full case needs the
 * store to honour MAPIX_TEST_MAX_PAGE_COUNT (PRAGMA max_page_count on its
 * connection) and skips with a message when it does not.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "store_hook.h"

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

typedef struct fixture {
	char *dir;
	char path[4096];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-faults");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	chmod(fx->dir, 0700);
	chmod(fx->path, 0600);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- making a mailbox ------------------------------------------------------------------ */

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPUNKNOWN unk = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, &unk));
	MAPIFreeBuffer(eid);
	assert_int_equal(type, MAPI_FOLDER);
	return (LPMAPIFOLDER)unk;
}

/* A message with a subject and a body of body_len bytes of text. */
static HRESULT save_message(LPMAPIFOLDER folder, const char *subject, size_t body_len)
{
	LPMESSAGE m = NULL;
	char *body = malloc(body_len + 1);
	HRESULT hr;
	assert_non_null(body);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (char)('a' + (i * 7 + strlen(subject)) % 26);
	body[body_len] = '\0';
	SPropValue pv[3] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)subject},
	                    {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"},
	                    {.ulPropTag = PR_BODY_A, .Value.lpszA = body}};
	hr = IMAPIFolder_CreateMessage(folder, NULL, 0, &m);
	if (SUCCEEDED(hr))
		hr = IMessage_SetProps(m, 3, pv, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(m, 0);
	if (m)
		IMessage_Release(m);
	free(body);
	return hr;
}

/* Folds the WAL into the main file and removes it, so that what is on disk
 * is exactly the main file (the store checkpoints on close too; this makes
 * the tests independent of that). */
static void checkpoint(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(mapix_collation_register_sqlite(db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	char side[4200];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

static void make_mailbox(const char *path, int messages)
{
	LPMDB mdb = NULL;
	assert_ok(store_hook_open(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	for (int i = 0; i < messages; i++) {
		char subject[64];
		snprintf(subject, sizeof subject, "message %d", i);
		assert_ok(save_message(inbox, subject, 3000));
	}
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	checkpoint(path);
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* ---- reading everything ------------------------------------------------------------------ */

/* The first failure while reading the whole mailbox, with its message. */
typedef struct walk_result {
	HRESULT hr;
	char text[1024];
	const char *where;
} walk_result;

static BOOL walk_failed(walk_result *w, HRESULT hr, const char *where)
{
	if (SUCCEEDED(hr))
		return FALSE;
	w->hr = hr;
	w->where = where;
	snprintf(w->text, sizeof w->text, "%s", MAPIXGetLastErrorText());
	return TRUE;
}

static void walk_folder(LPMDB mdb, LPMAPIFOLDER f, walk_result *w, int depth)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	ULONG n = 0, type;
	LPSPropValue props = NULL;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;

	if (depth > 32 || walk_failed(w, IMAPIFolder_GetProps(f, NULL, 0, &n, &props), "folder GetProps"))
		return;
	MAPIFreeBuffer(props);
	/* Messages. */
	if (walk_failed(w, IMAPIFolder_GetContentsTable(f, 0, &t), "GetContentsTable"))
		return;
	HRESULT hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	IMAPITable_Release(t);
	if (walk_failed(w, hr, "contents QueryRows"))
		return;
	for (ULONG i = 0; i < rows->cRows && SUCCEEDED(w->hr); i++) {
		LPSPropValue e = &rows->aRow[i].lpProps[0];
		LPUNKNOWN unk = NULL;
		if (PROP_TYPE(e->ulPropTag) != PT_BINARY) {
			walk_failed(w, e->Value.err ? e->Value.err : MAPI_E_CALL_FAILED, "contents row entry ID");
			break;
		}
		if (walk_failed(w, IMsgStore_OpenEntry(mdb, e->Value.bin.cb, (LPENTRYID)e->Value.bin.lpb, NULL, 0, &type, &unk),
		                "OpenEntry(message)"))
			break;
		hr = IMessage_GetProps((LPMESSAGE)unk, NULL, 0, &n, &props);
		IUnknown_Release(unk);
		if (walk_failed(w, hr, "message GetProps"))
			break;
		MAPIFreeBuffer(props);
	}
	FreeProws(rows);
	rows = NULL;
	if (FAILED(w->hr))
		return;
	/* Subfolders. */
	if (walk_failed(w, IMAPIFolder_GetHierarchyTable(f, 0, &t), "GetHierarchyTable"))
		return;
	hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	IMAPITable_Release(t);
	if (walk_failed(w, hr, "hierarchy QueryRows"))
		return;
	for (ULONG i = 0; i < rows->cRows && SUCCEEDED(w->hr); i++) {
		LPSPropValue e = &rows->aRow[i].lpProps[0];
		LPUNKNOWN unk = NULL;
		if (PROP_TYPE(e->ulPropTag) != PT_BINARY) {
			walk_failed(w, e->Value.err ? e->Value.err : MAPI_E_CALL_FAILED, "hierarchy row entry ID");
			break;
		}
		if (walk_failed(w, IMsgStore_OpenEntry(mdb, e->Value.bin.cb, (LPENTRYID)e->Value.bin.lpb, NULL, 0, &type, &unk),
		                "OpenEntry(folder)"))
			break;
		walk_folder(mdb, (LPMAPIFOLDER)unk, w, depth + 1);
		IUnknown_Release(unk);
	}
	FreeProws(rows);
}

/* Opens the mailbox and reads all of it; returns the first failure. */
static walk_result open_and_walk(const char *path, ULONG flags)
{
	walk_result w = {S_OK, "", NULL};
	LPMDB mdb = NULL;
	ULONG type, n;
	LPUNKNOWN root = NULL;
	LPSPropValue props = NULL;
	if (walk_failed(&w, store_hook_open(path, flags, &mdb), "MAPIXOpenLocalStore"))
		return w;
	if (!walk_failed(&w, IMsgStore_GetProps(mdb, NULL, 0, &n, &props), "store GetProps")) {
		MAPIFreeBuffer(props);
		if (!walk_failed(&w, IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, &root), "OpenEntry(root)")) {
			walk_folder(mdb, (LPMAPIFOLDER)root, &w, 0);
			IUnknown_Release(root);
		}
	}
	IMsgStore_Release(mdb);
	return w;
}

static void assert_fails_naming_file(walk_result w, HRESULT want, const char *path, const char *what)
{
	if (w.hr == S_OK)
		fail_msg("%s: the whole mailbox was read without an error", what);
	if (w.hr != want)
		fail_msg("%s: %s failed with 0x%08X, expected 0x%08X (%s)", what, w.where, (unsigned)w.hr, (unsigned)want,
		         w.text);
	if (!strstr(w.text, path))
		fail_msg("%s: the message does not name the file: \"%s\"", what, w.text);
	print_message("%s: %s: %s\n", what, w.where, w.text);
}

/* ---- damaged files ---------------------------------------------------------------------- */

static void test_garbage_pages(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 40);
	off_t size = file_size(fx->path);
	assert_true(size > 4 * 4096);

	/* Page 1 (header and schema root) stays; everything after is noise. */
	int fd = open(fx->path, O_WRONLY);
	assert_true(fd >= 0);
	unsigned x = 0x9E3779B9u;
	char buf[4096];
	for (off_t off = 4096; off < size; off += (off_t)sizeof buf) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			buf[i] = (char)x;
		}
		assert_int_equal(pwrite(fd, buf, sizeof buf, off), (ssize_t)sizeof buf);
	}
	close(fd);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path, "garbage pages");
	assert_fails_naming_file(open_and_walk(fx->path, 0), MAPI_E_CORRUPT_STORE, fx->path, "garbage pages, read-only");
}

static void test_garbage_header(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 5);
	int fd = open(fx->path, O_WRONLY);
	assert_true(fd >= 0);
	static const char noise[100] = "this is not the SQLite header";
	assert_int_equal(pwrite(fd, noise, sizeof noise, 0), (ssize_t)sizeof noise);
	close(fd);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path, "garbage header");
}

static void test_truncated(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 40);
	off_t size = file_size(fx->path);
	/* Half the file (on a page boundary), then less than one page. */
	assert_int_equal(truncate(fx->path, (size / 2) & ~(off_t)4095), 0);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path, "truncated to half");
	assert_int_equal(truncate(fx->path, 1000), 0);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path,
	                         "truncated to 1000 bytes");
	/* An empty file is not a mailbox (unless asked to create one). */
	assert_int_equal(truncate(fx->path, 0), 0);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path, "empty file");
}

static void test_not_sqlite(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	for (int i = 0; i < 500; i++)
		fprintf(f, "From: someone@example.com\nSubject: not a database %d\n\n", i);
	fclose(f);
	off_t size = file_size(fx->path);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE | MAPIX_STORE_CREATE), MAPI_E_CORRUPT_STORE, fx->path,
	                         "a text file");
	/* Left alone. */
	assert_int_equal(file_size(fx->path), size);
}

static void test_foreign_sqlite(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = NULL;
	store_hook_skip_unless_local();
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
	                              "CREATE TABLE contacts(name TEXT, email TEXT);"
	                              "INSERT INTO contacts VALUES ('Ann', 'ann@example.com');",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	off_t size = file_size(fx->path);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE | MAPIX_STORE_CREATE), MAPI_E_CORRUPT_STORE, fx->path,
	                         "foreign SQLite database");
	/* Not touched: same size, no WAL left, still rollback-journal mode. */
	assert_int_equal(file_size(fx->path), size);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", fx->path);
	assert_int_not_equal(access(wal, F_OK), 0);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "delete");
	sqlite3_finalize(st);

	/* With a user_version of its own, still foreign. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_CORRUPT_STORE, fx->path,
	                         "foreign SQLite database with a user_version");
}

static void test_newer_schema(void **state)
{
	fixture *fx = *state;
	sqlite3 *db = NULL;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 1);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_fails_naming_file(open_and_walk(fx->path, MDB_WRITE), MAPI_E_VERSION, fx->path, "newer schema");
}

static void test_missing(void **state)
{
	fixture *fx = *state;
	LPMDB mdb = (LPMDB)(uintptr_t)1;
	store_hook_skip_unless_local();
	assert_hr(store_hook_open(fx->path, MDB_WRITE, &mdb), MAPI_E_NOT_FOUND);
	assert_null(mdb);
	assert_non_null(strstr(MAPIXGetLastErrorText(), fx->path));
	assert_int_not_equal(access(fx->path, F_OK), 0); /* not created without MAPIX_STORE_CREATE */
}

/* ---- permissions ---------------------------------------------------------------------------- */

/* Result of an open attempted by a helper process with other credentials. */
typedef struct child_report {
	int dropped;   /* 1 when the helper runs as uid/gid 65534 */
	HRESULT open_hr;
	HRESULT write_hr; /* CreateFolder after a successful open (MDB_WRITE) */
	char text[1024];
} child_report;

#define NOBODY 65534

/* Forks a helper that drops to uid/gid 65534 and tries to open path. */
static child_report open_as_nobody(const char *path, ULONG flags)
{
	child_report r;
	int fds[2];
	memset(&r, 0, sizeof r);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		memset(&r, 0, sizeof r);
		if (setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
		    setresuid(NOBODY, NOBODY, NOBODY) == 0 && geteuid() == NOBODY) {
			LPMDB mdb = NULL;
			r.dropped = 1;
			r.open_hr = store_hook_open(path, flags, &mdb);
			snprintf(r.text, sizeof r.text, "%s", MAPIXGetLastErrorText());
			if (SUCCEEDED(r.open_hr)) {
				LPMAPIFOLDER root = NULL, sub = NULL;
				ULONG type;
				r.write_hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&root);
				if (SUCCEEDED(r.write_hr))
					r.write_hr = IMAPIFolder_CreateFolder(root, FOLDER_GENERIC, (LPTSTR) "x", NULL, NULL, 0, &sub);
				snprintf(r.text, sizeof r.text, "%s", MAPIXGetLastErrorText());
				if (sub)
					IMAPIFolder_Release(sub);
				if (root)
					IMAPIFolder_Release(root);
				IMsgStore_Release(mdb);
			}
		}
		ssize_t n = write(fds[1], &r, sizeof r);
		_exit(n == (ssize_t)sizeof r ? 0 : 1);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], &r, sizeof r);
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (got != (ssize_t)sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the helper process died (status 0x%x)", (unsigned)status);
	return r;
}

static void expect_no_access(HRESULT hr, const char *text, const char *path, const char *what)
{
	if (hr != MAPI_E_NO_ACCESS)
		fail_msg("%s: 0x%08X, expected MAPI_E_NO_ACCESS (%s)", what, (unsigned)hr, text);
	if (!strstr(text, path))
		fail_msg("%s: the message does not name the file: \"%s\"", what, text);
	print_message("%s: %s\n", what, text);
}

static void test_unreadable_file(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 2);
	if (geteuid() != 0) {
		/* As an ordinary user: take the permissions away. */
		assert_int_equal(chmod(fx->path, 0), 0);
		int fd = open(fx->path, O_RDONLY);
		if (fd >= 0) {
			close(fd);
			chmod(fx->path, 0600);
			MAPIX_SKIP("this user reads files with mode 000 (capabilities?)");
		}
		LPMDB mdb = NULL;
		expect_no_access(store_hook_open(fx->path, MDB_WRITE, &mdb), MAPIXGetLastErrorText(), fx->path,
		                 "mode 000, MDB_WRITE");
		assert_null(mdb);
		expect_no_access(store_hook_open(fx->path, 0, &mdb), MAPIXGetLastErrorText(), fx->path, "mode 000, read-only");
		assert_int_equal(chmod(fx->path, 0600), 0);
		return;
	}
	/* Root reads everything: try from a helper with dropped privileges.
	 * The directory is searchable, the file is root's and 0600. */
	assert_int_equal(chmod(fx->dir, 0755), 0);
	child_report r = open_as_nobody(fx->path, MDB_WRITE);
	if (!r.dropped)
		MAPIX_SKIP("cannot drop privileges to uid/gid %d here", NOBODY);
	expect_no_access(r.open_hr, r.text, fx->path, "root's 0600 file as nobody, MDB_WRITE");
	r = open_as_nobody(fx->path, 0);
	expect_no_access(r.open_hr, r.text, fx->path, "root's 0600 file as nobody, read-only");
}

static void test_unreachable_directory(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	if (geteuid() != 0)
		MAPIX_SKIP("needs root to test from a helper with dropped privileges");
	make_mailbox(fx->path, 1);
	/* The mailbox's directory is root's and 0700: the file exists but
	 * cannot be reached. That is "no access", not "not found". */
	assert_int_equal(chmod(fx->dir, 0700), 0);
	child_report r = open_as_nobody(fx->path, MDB_WRITE);
	if (!r.dropped)
		MAPIX_SKIP("cannot drop privileges to uid/gid %d here", NOBODY);
	expect_no_access(r.open_hr, r.text, fx->path, "file in a 0700 directory as nobody");
}

static void test_read_only_file(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	if (geteuid() != 0)
		MAPIX_SKIP("needs root to test from a helper with dropped privileges");
	make_mailbox(fx->path, 1);
	/* Readable by everyone, writable only by root; the directory too. */
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(chmod(fx->path, 0644), 0);
	child_report r = open_as_nobody(fx->path, MDB_WRITE);
	if (!r.dropped)
		MAPIX_SKIP("cannot drop privileges to uid/gid %d here", NOBODY);
	/* Writing must be refused, at open or at the first write. */
	HRESULT hr = FAILED(r.open_hr) ? r.open_hr : r.write_hr;
	expect_no_access(hr, r.text, fx->path, FAILED(r.open_hr) ? "read-only file, MDB_WRITE open" : "read-only file, first write");
}

/* ---- full disk -------------------------------------------------------------------------- */

static ULONG count_rows(LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	ULONG n = 0;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	IMAPITable_Release(t);
	return n;
}

static LONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v));
	LONG n = v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

static void check_subjects(LPMAPIFOLDER f, int n)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_SUBJECT_A}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, (ULONG)n);
	for (int i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof want, "message %d", i);
		BOOL found = FALSE;
		for (ULONG r = 0; r < rows->cRows; r++)
			if (PROP_TYPE(rows->aRow[r].lpProps[0].ulPropTag) == PT_STRING8 &&
			    strcmp(rows->aRow[r].lpProps[0].Value.lpszA, want) == 0)
				found = TRUE;
		if (!found)
			fail_msg("\"%s\" is missing", want);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
}

static void integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* The schema's indexes use mapix's collations; integrity_check needs them. */
	assert_int_equal(mapix_collation_register_sqlite(db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *res = (const char *)sqlite3_column_text(st, 0);
	if (strcmp(res, "ok") != 0)
		fail_msg("integrity_check: %s", res);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A message of about 2 MiB in 30,000-byte properties (below the size the
 * store streams in chunks, so only SetProps and SaveChanges are involved). */
#define BIG_PROPS 70
#define BIG_PROP_SIZE 30000

static HRESULT save_big_message(LPMAPIFOLDER f)
{
	LPMESSAGE m = NULL;
	SPropValue *pv = calloc(BIG_PROPS + 1, sizeof *pv);
	BYTE *data = malloc(BIG_PROP_SIZE);
	assert_non_null(pv);
	assert_non_null(data);
	unsigned x = 12345;
	for (size_t i = 0; i < BIG_PROP_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (BYTE)(x >> 16);
	}
	pv[0].ulPropTag = PR_SUBJECT_A;
	pv[0].Value.lpszA = (LPSTR) "too big";
	for (ULONG i = 0; i < BIG_PROPS; i++) {
		pv[i + 1].ulPropTag = PROP_TAG(PT_BINARY, 0x6800 + i);
		pv[i + 1].Value.bin.cb = BIG_PROP_SIZE;
		pv[i + 1].Value.bin.lpb = data;
	}
	HRESULT hr = IMAPIFolder_CreateMessage(f, NULL, 0, &m);
	if (SUCCEEDED(hr))
		hr = IMessage_SetProps(m, BIG_PROPS + 1, pv, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(m, 0);
	if (m)
		IMessage_Release(m);
	free(data);
	free(pv);
	return hr;
}

static void test_disk_full(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	make_mailbox(fx->path, 3);
	/* Room for a few small messages, not for 2 MiB. */
	long pages = (long)(file_size(fx->path) / 4096) + 96;
	char value[32];
	snprintf(value, sizeof value, "%ld", pages);
	setenv("MAPIX_TEST_MAX_PAGE_COUNT", value, 1);
	LPMDB mdb = NULL;
	HRESULT hr = store_hook_open(fx->path, MDB_WRITE, &mdb);
	unsetenv("MAPIX_TEST_MAX_PAGE_COUNT");
	assert_ok(hr);
	LPMAPIFOLDER inbox = open_inbox(mdb);
	assert_ok(save_message(inbox, "message 3", 3000));

	hr = save_big_message(inbox);
	if (hr == S_OK) {
		IMAPIFolder_Release(inbox);
		IMsgStore_Release(mdb);
		MAPIX_SKIP("the store does not honour MAPIX_TEST_MAX_PAGE_COUNT (PRAGMA max_page_count in local_db_open)");
	}
	if (hr != MAPI_E_NOT_ENOUGH_DISK)
		fail_msg("SaveChanges on a full mailbox: 0x%08X, expected MAPI_E_NOT_ENOUGH_DISK (%s)", (unsigned)hr,
		         MAPIXGetLastErrorText());
	if (!strstr(MAPIXGetLastErrorText(), fx->path))
		fail_msg("the message does not name the file: \"%s\"", MAPIXGetLastErrorText());
	print_message("disk full: %s\n", MAPIXGetLastErrorText());

	/* Nothing of it stays; what was there is intact; the store goes on. */
	assert_int_equal(content_count(inbox), 4);
	assert_int_equal(count_rows(inbox), 4);
	check_subjects(inbox, 4);
	assert_ok(save_message(inbox, "message 4", 100));
	check_subjects(inbox, 5);
	assert_int_equal(content_count(inbox), 5);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	integrity_ok(fx->path);

	/* Reopened without the limit: the same five messages, and the big one fits. */
	assert_ok(store_hook_open(fx->path, MDB_WRITE, &mdb));
	inbox = open_inbox(mdb);
	check_subjects(inbox, 5);
	assert_ok(save_big_message(inbox));
	assert_int_equal(content_count(inbox), 6);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	integrity_ok(fx->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_garbage_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sqlite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
