/*
 * test_store_batch.c — MAPIXBeginStoreBatch / MAPIXCommitStoreBatch /
 * MAPIXAbortStoreBatch: saves inside a batch are invisible to other
 * connections until the commit, all there after it, gone after an abort;
 * notifications wait for the commit; batches need a writable store; while
 * batches run, WAL checkpoints wait for a larger WAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static char *dir, path[4096];

static LPMAPIFOLDER open_inbox(LPMDB mdb, ULONG flags)
{
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox = NULL;
	assert_int_equal(mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, flags, &type, (LPUNKNOWN *)&inbox), S_OK);
	MAPIFreeBuffer(eid);
	return inbox;
}

static void save_messages(LPMAPIFOLDER inbox, int n)
{
	for (int i = 0; i < n; i++) {
		LPMESSAGE m;
		char subject[64];
		snprintf(subject, sizeof subject, "batched %d", i);
		SPropValue p = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject};
		assert_int_equal(inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &m), S_OK);
		assert_int_equal(m->lpVtbl->SetProps(m, 1, &p, NULL), S_OK);
		assert_int_equal(m->lpVtbl->SaveChanges(m, 0), S_OK);
		m->lpVtbl->Release(m);
	}
}

static LONG count_created(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	for (ULONG i = 0; i < n; i++)
		if (notifs[i].ulEventType == fnevObjectCreated)
			(*(int *)ctx)++;
	return 0;
}

static ULONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v), S_OK);
	ULONG n = (ULONG)v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

static void test_commit_and_abort(void **state)
{
	(void)state;
	LPMDB writer, reader;
	assert_int_equal(MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &writer), S_OK);
	assert_int_equal(MAPIXOpenLocalStore(path, 0, &reader), S_OK);
	LPMAPIFOLDER inbox = open_inbox(writer, MAPI_MODIFY);
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	int created = 0;
	assert_int_equal(HrAllocAdviseSink(count_created, &created, &sink), S_OK);
	assert_int_equal(writer->lpVtbl->Advise(writer, 0, NULL, fnevObjectCreated, sink, &conn), S_OK);

	assert_int_equal(MAPIXBeginStoreBatch(writer), S_OK);
	assert_int_equal(MAPIXBeginStoreBatch(writer), MAPI_E_BUSY);
	save_messages(inbox, 50);
	/* The writer's own connection sees its batch; nobody else does yet,
	 * and nothing has been announced. */
	assert_int_equal(content_count(inbox), 50);
	LPMAPIFOLDER seen = open_inbox(reader, 0);
	assert_int_equal(content_count(seen), 0);
	assert_int_equal(created, 0);
	assert_int_equal(MAPIXCommitStoreBatch(writer), S_OK);
	assert_int_equal(content_count(seen), 50);
	assert_int_equal(created, 50);

	/* An aborted batch leaves nothing. */
	assert_int_equal(MAPIXBeginStoreBatch(writer), S_OK);
	save_messages(inbox, 20);
	assert_int_equal(MAPIXAbortStoreBatch(writer), S_OK);
	assert_int_equal(content_count(inbox), 50);
	assert_int_equal(content_count(seen), 50);
	assert_int_equal(created, 50);
	assert_int_equal(MAPIXCommitStoreBatch(writer), MAPI_E_NOT_FOUND);

	seen->lpVtbl->Release(seen);
	assert_int_equal(writer->lpVtbl->Unadvise(writer, conn), S_OK);
	sink->lpVtbl->Release(sink);
	inbox->lpVtbl->Release(inbox);
	/* A read-only store cannot batch. */
	assert_int_equal(MAPIXBeginStoreBatch(reader), MAPI_E_NO_ACCESS);
	reader->lpVtbl->Release(reader);
	writer->lpVtbl->Release(writer);
}

static long long file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void save_big_messages(LPMAPIFOLDER inbox, int n)
{
	static char body[2048];
	memset(body, 'x', sizeof body - 1);
	for (int i = 0; i < n; i++) {
		LPMESSAGE m;
		SPropValue p = {.ulPropTag = PR_BODY_A, .Value.lpszA = body};
		assert_int_equal(inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &m), S_OK);
		assert_int_equal(m->lpVtbl->SetProps(m, 1, &p, NULL), S_OK);
		assert_int_equal(m->lpVtbl->SaveChanges(m, 0), S_OK);
		m->lpVtbl->Release(m);
	}
}

/* A batch writes more WAL pages than a normal checkpoint lets accumulate
 * (1000, LOCAL_WAL_CHECKPOINT_PAGES), yet its commit leaves the database
 * file alone: the checkpoint waits (LOCAL_BATCH_CHECKPOINT_PAGES). The
 * next commit outside a batch checkpoints. What was committed is there
 * either way, for any reader. */
static void test_checkpoint_waits(void **state)
{
	(void)state;
	char box[4200], wal[4300];
	LPMDB writer, reader;
	snprintf(box, sizeof box, "%s/checkpoint.mapix", dir);
	snprintf(wal, sizeof wal, "%s-wal", box);
	assert_int_equal(MAPIXOpenLocalStore(box, MDB_WRITE | MAPIX_STORE_CREATE, &writer), S_OK);
	LPMAPIFOLDER inbox = open_inbox(writer, MAPI_MODIFY);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(box, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long page = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);

	long long before = file_size(box);
	assert_int_equal(MAPIXBeginStoreBatch(writer), S_OK);
	save_big_messages(inbox, 2000);
	assert_int_equal(MAPIXCommitStoreBatch(writer), S_OK);
	assert_true(file_size(wal) > 1000 * page);
	assert_int_equal(file_size(box), before);
	assert_int_equal(MAPIXOpenLocalStore(box, 0, &reader), S_OK);
	LPMAPIFOLDER seen = open_inbox(reader, 0);
	assert_int_equal(content_count(seen), 2000);

	save_messages(inbox, 1);
	assert_true(file_size(box) > before + 1000 * page);
	assert_int_equal(content_count(seen), 2001);
	seen->lpVtbl->Release(seen);
	reader->lpVtbl->Release(reader);
	inbox->lpVtbl->Release(inbox);
	writer->lpVtbl->Release(writer);
}

static int setup(void **state)
{
	(void)state;
	dir = mapix_test_tmpdir("batch");
	snprintf(path, sizeof path, "%s/box.mapix", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mapix_test_rmtree(dir);
	free(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_and_abort),
		cmocka_unit_test(test_checkpoint_waits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
