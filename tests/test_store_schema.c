/*
 * test_store_schema.c — the mailbox schema across versions: a mailbox made
 * by an earlier mapix (tests/fixtures/mailbox-v3.sql, schema 3) opens,
 * migrates and keeps its messages and sort orders; sort indexes other
 * than the delivery time's are built on demand (schema 4): not for small
 * folders, not by read-only logons, not while another writer holds the
 * lock, and a sorted table reads the same rows in the same order with and
 * without its index.
 *
 * These tests look at the mailbox file with SQLite: they skip through the
 * remote provider.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>

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

/* "MAPX", the application_id of a mapix mailbox. */
#define MAILBOX_APP_ID 0x4D415058
/* LOCAL_SORT_INDEX_MIN_ROWS (src/providers/local/local-table.h). */
#define INDEX_MIN_ROWS 1000

typedef struct fixture {
	char *dir;
	char path[4096];
} fixture;

/* ---- the file, through SQLite ---------------------------------------------------------- */

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static BOOL has_index(const char *path, const char *name)
{
	char sql[256];
	sqlite3 *db = db_open(path);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'", name);
	BOOL has = db_int(db, sql) > 0;
	sqlite3_close(db);
	return has;
}

/* The names of the messages table's indexes, sorted and comma-separated. */
static void message_indexes(const char *path, char *out, size_t cb)
{
	sqlite3 *db = db_open(path);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"
	                                    " AND name NOT LIKE 'sqlite_%' ORDER BY name",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	out[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (out[0])
			strncat(out, ",", cb - strlen(out) - 1);
		strncat(out, (const char *)sqlite3_column_text(st, 0), cb - strlen(out) - 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Makes `path` a schema-3 mailbox from the fixture. */
static void load_v3(const char *path)
{
	char *sql_path = mapix_test_source_path("tests/fixtures/mailbox-v3.sql");
	FILE *f = fopen(sql_path, "rb");
	if (!f)
		fail_msg("cannot read %s", sql_path);
	free(sql_path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *sql = malloc((size_t)n + 1);
	assert_non_null(sql);
	assert_int_equal(fread(sql, 1, (size_t)n, f), (size_t)n);
	sql[n] = 0;
	fclose(f);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("loading the fixture: %s", err);
	free(sql);
	char header[128];
	snprintf(header, sizeof header, "PRAGMA user_version = 3; PRAGMA application_id = %d; PRAGMA journal_mode = WAL",
	         MAILBOX_APP_ID);
	assert_int_equal(sqlite3_exec(db, header, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* ---- the store ---------------------------------------------------------------------------- */

static LPMAPIFOLDER open_inbox(LPMDB mdb, ULONG flags)
{
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox = NULL;
	assert_ok(mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, flags, &type, (LPUNKNOWN *)&inbox));
	MAPIFreeBuffer(eid);
	return inbox;
}

static void save(LPMAPIFOLDER f, const char *subject, const char *sender, LONG importance)
{
	LPMESSAGE m;
	SPropValue p[3] = {
	    {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)subject},
	    {.ulPropTag = PR_SENDER_NAME_A, .Value.lpszA = (LPSTR)sender},
	    {.ulPropTag = PR_IMPORTANCE, .Value.l = importance},
	};
	assert_ok(f->lpVtbl->CreateMessage(f, NULL, 0, &m));
	assert_ok(m->lpVtbl->SetProps(m, 3, p, NULL));
	assert_ok(m->lpVtbl->SaveChanges(m, 0));
	m->lpVtbl->Release(m);
}

/* Message i of the large folder: senders and subjects in an order of
 * their own, unrelated to the order of saving. */
static void save_numbered(LPMAPIFOLDER f, int from, int to)
{
	for (int i = from; i < to; i++) {
		char subject[32], sender[32];
		snprintf(subject, sizeof subject, "%s %05d", i % 2 ? "Subject" : "subject", (i * 7919) % 10007);
		snprintf(sender, sizeof sender, "%s %03d", i % 3 ? "Sender" : "sender", (i * 31) % 97);
		save(f, subject, sender, i % 3);
	}
}

/* Opens f's contents table sorted by one key and reads up to n rows' subjects
 * (joined by '|' into out). */
static void sorted_subjects(LPMAPIFOLDER f, ULONG tag, ULONG order, ULONG n, char *out, size_t cb)
{
	LPMAPITABLE t;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_SUBJECT_A}};
	SizedSSortOrderSet(1, sort) = {1, 0, 0, {{tag, order}}};
	assert_ok(f->lpVtbl->GetContentsTable(f, 0, &t));
	assert_ok(t->lpVtbl->SetColumns(t, (LPSPropTagArray)&cols, 0));
	assert_ok(t->lpVtbl->SortTable(t, (LPSSortOrderSet)&sort, 0));
	out[0] = 0;
	ULONG got = 0;
	while (got < n) {
		assert_ok(t->lpVtbl->QueryRows(t, (LONG)(n - got < 100 ? n - got : 100), 0, &rows));
		if (rows->cRows == 0) {
			FreeProws(rows);
			break;
		}
		for (ULONG i = 0; i < rows->cRows; i++) {
			assert_int_equal(rows->aRow[i].lpProps[0].ulPropTag, PR_SUBJECT_A);
			if (out[0])
				strncat(out, "|", cb - strlen(out) - 1);
			strncat(out, rows->aRow[i].lpProps[0].Value.lpszA, cb - strlen(out) - 1);
		}
		got += rows->cRows;
		FreeProws(rows);
	}
	t->lpVtbl->Release(t);
}

static ULONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v;
	assert_ok(HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v));
	ULONG n = (ULONG)v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_v3_mailbox_migrates(void **state)
{
	fixture *fx = *state;
	char buf[512];
	store_hook_skip_unless_local();
	load_v3(fx->path);
	message_indexes(fx->path, buf, sizeof buf);
	assert_non_null(strstr(buf, "messages_by_sender")); /* schema 3 had them all */

	/* Read-only, a migration cannot run. */
	LPMDB mdb = NULL;
	assert_hr(MAPIXOpenLocalStore(fx->path, 0, &mdb), MAPI_E_VERSION);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "schema upgrade"));

	assert_ok(MAPIXOpenLocalStore(fx->path, MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb, MAPI_MODIFY);
	assert_int_equal(content_count(inbox), 3);
	/* The old messages keep their sort keys: by sender (case-insensitive),
	 * by importance, by subject. */
	sorted_subjects(inbox, PR_SENDER_NAME_A, TABLE_SORT_ASCEND, 10, buf, sizeof buf);
	assert_string_equal(buf, "apple pie|Mango|Zebra crossing");
	sorted_subjects(inbox, PR_IMPORTANCE, TABLE_SORT_DESCEND, 10, buf, sizeof buf);
	assert_string_equal(buf, "Zebra crossing|apple pie|Mango");
	sorted_subjects(inbox, PR_SUBJECT_A, TABLE_SORT_DESCEND, 10, buf, sizeof buf);
	assert_string_equal(buf, "Zebra crossing|Mango|apple pie");
	sorted_subjects(inbox, PR_MESSAGE_DELIVERY_TIME, TABLE_SORT_DESCEND, 10, buf, sizeof buf);
	assert_string_equal(buf, "Mango|apple pie|Zebra crossing");
	/* And new ones join them. */
	save(inbox, "banana split", "Dave", 1);
	assert_int_equal(content_count(inbox), 4);
	sorted_subjects(inbox, PR_SENDER_NAME_A, TABLE_SORT_ASCEND, 10, buf, sizeof buf);
	assert_string_equal(buf, "apple pie|Mango|Zebra crossing|banana split");
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);

	/* Schema 4 or later: of the sort indexes only the delivery time's is
	 * left (the folder is far too small to build any). */
	sqlite3 *db = db_open(fx->path);
	assert_true(db_int(db, "PRAGMA user_version") >= 4);
	assert_int_equal(db_int(db, "PRAGMA application_id"), MAILBOX_APP_ID);
	sqlite3_close(db);
	message_indexes(fx->path, buf, sizeof buf);
	assert_string_equal(buf, "messages_by_delivery,messages_by_folder,messages_by_parent");

	/* Opened again, nothing more to migrate; read-only works now. */
	assert_ok(MAPIXOpenLocalStore(fx->path, 0, &mdb));
	inbox = open_inbox(mdb, 0);
	assert_int_equal(content_count(inbox), 4);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);
}

static void test_new_mailbox_indexes(void **state)
{
	fixture *fx = *state;
	char buf[512];
	store_hook_skip_unless_local();
	LPMDB mdb;
	assert_ok(MAPIXOpenLocalStore(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	mdb->lpVtbl->Release(mdb);
	message_indexes(fx->path, buf, sizeof buf);
	assert_string_equal(buf, "messages_by_delivery,messages_by_folder,messages_by_parent");
}

static void test_sort_index_on_demand(void **state)
{
	fixture *fx = *state;
	static char before[1 << 16], after[1 << 16];
	store_hook_skip_unless_local();
	LPMDB mdb, ro;
	assert_ok(MAPIXOpenLocalStore(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb, MAPI_MODIFY);

	/* A small folder sorts without building anything. */
	save_numbered(inbox, 0, 20);
	sorted_subjects(inbox, PR_SENDER_NAME_A, TABLE_SORT_ASCEND, 5, before, sizeof before);
	assert_false(has_index(fx->path, "messages_by_sender"));

	/* A large one: a read-only logon sorts it without the index... */
	assert_ok(MAPIXBeginStoreBatch(mdb));
	save_numbered(inbox, 20, INDEX_MIN_ROWS + 20);
	assert_ok(MAPIXCommitStoreBatch(mdb));
	assert_ok(MAPIXOpenLocalStore(fx->path, 0, &ro));
	LPMAPIFOLDER ro_inbox = open_inbox(ro, 0);
	static const struct {
		ULONG tag, order;
		const char *index;
	} keys[] = {
	    {PR_SENDER_NAME_A, TABLE_SORT_ASCEND, "messages_by_sender"},
	    {PR_SUBJECT_A, TABLE_SORT_DESCEND, "messages_by_subject"},
	    {PR_IMPORTANCE, TABLE_SORT_ASCEND, "messages_by_importance"},
	    {PR_MESSAGE_FLAGS, TABLE_SORT_DESCEND, "messages_by_flags"},
	    {PR_MESSAGE_SIZE, TABLE_SORT_ASCEND, "messages_by_size"},
	};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		sorted_subjects(ro_inbox, keys[k].tag, keys[k].order, INDEX_MIN_ROWS + 20, before, sizeof before);
		assert_false(has_index(fx->path, keys[k].index));
		/* ...a writable one builds it, and reads the same rows in the
		 * same order through it. */
		sorted_subjects(inbox, keys[k].tag, keys[k].order, INDEX_MIN_ROWS + 20, after, sizeof after);
		assert_true(has_index(fx->path, keys[k].index));
		assert_string_equal(before, after);
		/* The read-only logon now pages through the index too. */
		sorted_subjects(ro_inbox, keys[k].tag, keys[k].order, INDEX_MIN_ROWS + 20, after, sizeof after);
		assert_string_equal(before, after);
	}
	/* A key no index serves builds nothing. */
	char list[512];
	message_indexes(fx->path, list, sizeof list);
	sorted_subjects(inbox, PR_CREATION_TIME, TABLE_SORT_ASCEND, 5, after, sizeof after);
	char list2[512];
	message_indexes(fx->path, list2, sizeof list2);
	assert_string_equal(list, list2);

	/* The built index is kept by later saves. */
	save(inbox, "zzz late", "aaa first sender", 0);
	sorted_subjects(inbox, PR_SENDER_NAME_A, TABLE_SORT_ASCEND, 1, after, sizeof after);
	assert_string_equal(after, "zzz late");
	sqlite3 *db = db_open(fx->path);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);

	ro_inbox->lpVtbl->Release(ro_inbox);
	ro->lpVtbl->Release(ro);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);
}

static void test_sort_index_waits_for_no_writer(void **state)
{
	fixture *fx = *state;
	static char before[1 << 16], after[1 << 16];
	store_hook_skip_unless_local();
	LPMDB writer, other;
	assert_ok(MAPIXOpenLocalStore(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &writer));
	LPMAPIFOLDER inbox = open_inbox(writer, MAPI_MODIFY);
	assert_ok(MAPIXBeginStoreBatch(writer));
	save_numbered(inbox, 0, INDEX_MIN_ROWS + 5);
	assert_ok(MAPIXCommitStoreBatch(writer));

	/* Another connection holds the write lock (an open batch): sorting
	 * does not wait the busy timeout for it, and builds nothing. */
	assert_ok(MAPIXOpenLocalStore(fx->path, MDB_WRITE, &other));
	LPMAPIFOLDER other_inbox = open_inbox(other, MAPI_MODIFY);
	assert_ok(MAPIXBeginStoreBatch(writer));
	save(inbox, "in the batch", "nobody", 0);
	time_t t0 = time(NULL);
	sorted_subjects(other_inbox, PR_SUBJECT_A, TABLE_SORT_ASCEND, INDEX_MIN_ROWS + 10, before, sizeof before);
	assert_true(time(NULL) - t0 < 5); /* the busy timeout is 10 s */
	assert_false(has_index(fx->path, "messages_by_subject"));
	assert_null(strstr(before, "in the batch"));
	/* The writer itself builds it inside its batch; an abort undoes both. */
	sorted_subjects(inbox, PR_SUBJECT_A, TABLE_SORT_ASCEND, INDEX_MIN_ROWS + 10, after, sizeof after);
	assert_non_null(strstr(after, "in the batch"));
	assert_ok(MAPIXAbortStoreBatch(writer));
	assert_false(has_index(fx->path, "messages_by_subject"));
	/* Once the lock is free, the next sort builds it. */
	sorted_subjects(other_inbox, PR_SUBJECT_A, TABLE_SORT_ASCEND, INDEX_MIN_ROWS + 10, after, sizeof after);
	assert_true(has_index(fx->path, "messages_by_subject"));
	assert_string_equal(before, after);

	other_inbox->lpVtbl->Release(other_inbox);
	other->lpVtbl->Release(other);
	inbox->lpVtbl->Release(inbox);
	writer->lpVtbl->Release(writer);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	assert_ok(MAPIInitialize(NULL));
	fx->dir = mapix_test_tmpdir("schema");
	snprintf(fx->path, sizeof fx->path, "%s/box.mapix", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	MAPIUninitialize();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_v3_mailbox_migrates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_mailbox_indexes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sort_index_on_demand, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sort_index_waits_for_no_writer, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
