/*
 * bench_store_scan.c — a substring search over a large folder: a
 * RES_CONTENT (FL_SUBSTRING | FL_IGNORECASE) restriction on PR_SUBJECT
 * through a contents table of the local store, against a plain SQL LIKE
 * scan of the same subjects in the same run.
 *
 * Setup: N messages (default 100000; argv[1] or MAPIX_BENCH_N) in the Inbox
 * of a new mailbox, one in 100 with "Needle" in its subject. Saving them
 * takes as long as bench_store_save's store phase; MAPIX_BENCH_MAILBOX=PATH
 * keeps the mailbox at PATH and reuses it when it already holds N messages.
 *
 * Measured:
 *   store   GetContentsTable + Restrict + HrQueryAllRows (the whole query)
 *   raw     SELECT ... WHERE subject LIKE '%needle%' over a plain table
 *           messages(mid, fid, subject) holding the same subjects
 *   layout  the same LIKE over the store's own file (messages JOIN props),
 *           i.e. what a restriction pushed down into SQL would cost on the
 *           store's layout (reads the schema directly; "n/a" if it changed)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_hr(const char *what, HRESULT hr)
{
	fprintf(stderr, "bench_store_scan: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	exit(2);
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_store_scan: %s: %s\n", what, sqlite3_errmsg(db));
	exit(2);
}

static void subject_of(unsigned long i, char *buf, size_t cap)
{
	static const char *const topics[] = {"budget", "travel", "meeting", "invoice", "report", "holiday", "review"};
	if (i % 100 == 42)
		snprintf(buf, cap, "Re: %s %lu (Needle in the haystack)", topics[i % 7], i);
	else
		snprintf(buf, cap, "Re: %s %lu, quarterly figures", topics[i % 7], i);
}

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type;
	LPENTRYID eid = NULL;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (FAILED(hr) || FAILED(hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, &unk)))
		die_hr("opening the Inbox", hr);
	MAPIFreeBuffer(eid);
	return (LPMAPIFOLDER)unk;
}

static LONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v);
	if (FAILED(hr))
		die_hr("PR_CONTENT_COUNT", hr);
	LONG n = v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

static void fill_store(LPMAPIFOLDER inbox, unsigned long from, unsigned long n)
{
	double t0 = now();
	for (unsigned long i = from; i < n; i++) {
		char subject[128];
		LPMESSAGE m = NULL;
		subject_of(i, subject, sizeof subject);
		SPropValue pv[3] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject},
		                    {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"},
		                    {.ulPropTag = PR_IMPORTANCE, .Value.l = 1}};
		HRESULT hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m);
		if (FAILED(hr) || FAILED(hr = IMessage_SetProps(m, 3, pv, NULL)) || FAILED(hr = IMessage_SaveChanges(m, 0)))
			die_hr("saving a message", hr);
		IMessage_Release(m);
	}
	if (n > from)
		printf("  setup: saved %lu messages in %.1f s\n", n - from, now() - t0);
}

static double scan_store(LPMAPIFOLDER inbox, ULONG *found, double *open_s)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	SRestriction res = {.rt = RES_CONTENT};
	SPropValue needle = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR) "needle"};
	res.res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
	res.res.resContent.ulPropTag = PR_SUBJECT_A;
	res.res.resContent.lpProp = &needle;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	double t0 = now();
	HRESULT hr = IMAPIFolder_GetContentsTable(inbox, 0, &t);
	if (FAILED(hr))
		die_hr("GetContentsTable", hr);
	*open_s = now() - t0;
	if (FAILED(hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, &res, NULL, 0, &rows)))
		die_hr("HrQueryAllRows with RES_CONTENT", hr);
	double s = now() - t0;
	*found = rows->cRows;
	FreeProws(rows);
	IMAPITable_Release(t);
	return s;
}

static double scan_sql(sqlite3 *db, const char *sql, ULONG *found)
{
	sqlite3_stmt *st = NULL;
	double t0 = now();
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	ULONG n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* Fetch the columns as a table row would. */
		(void)sqlite3_column_int64(st, 0);
		(void)sqlite3_column_text(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE)
		die_sql(db, "scan");
	sqlite3_finalize(st);
	*found = n;
	return now() - t0;
}

int main(int argc, char **argv)
{
	const char *ns = argc > 1 ? argv[1] : getenv("MAPIX_BENCH_N");
	unsigned long n = ns && strtoul(ns, NULL, 10) ? strtoul(ns, NULL, 10) : 100000;
	const char *keep = getenv("MAPIX_BENCH_MAILBOX");
	char dir[4096] = "", store_path[4200], raw_path[4200];
	const char *base = getenv("MAPIX_BENCH_DIR") ? getenv("MAPIX_BENCH_DIR") : getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/mapix-bench-scan-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(store_path, sizeof store_path, "%s", keep ? keep : "");
	if (!keep)
		snprintf(store_path, sizeof store_path, "%s/store.db", dir);
	snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
	printf("bench_store_scan: N=%lu messages, RES_CONTENT substring on PR_SUBJECT, SQLite %s\n", n,
	       sqlite3_libversion());

	/* The mailbox. */
	LPMDB mdb = NULL;
	HRESULT hr = MAPIXOpenLocalStore(store_path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb);
	if (FAILED(hr))
		die_hr("MAPIXOpenLocalStore", hr);
	LPMAPIFOLDER inbox = open_inbox(mdb);
	LONG have = content_count(inbox);
	if (have > (LONG)n) {
		fprintf(stderr, "bench_store_scan: %s holds %ld messages, more than N\n", store_path, (long)have);
		return 2;
	}
	fill_store(inbox, (unsigned long)have, n);

	/* The plain table with the same subjects. */
	sqlite3 *raw = NULL;
	if (sqlite3_open(raw_path, &raw) != SQLITE_OK ||
	    sqlite3_exec(raw,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	                 "CREATE TABLE messages(mid INTEGER PRIMARY KEY, fid INTEGER NOT NULL, subject TEXT);"
	                 "CREATE INDEX messages_by_folder ON messages(fid, mid); BEGIN",
	                 NULL, NULL, NULL) != SQLITE_OK)
		die_sql(raw, "creating the plain table");
	sqlite3_stmt *ins = NULL;
	if (sqlite3_prepare_v2(raw, "INSERT INTO messages(mid, fid, subject) VALUES (?1, 3, ?2)", -1, &ins, NULL) !=
	    SQLITE_OK)
		die_sql(raw, "prepare");
	for (unsigned long i = 0; i < n; i++) {
		char subject[128];
		subject_of(i, subject, sizeof subject);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 100);
		sqlite3_bind_text(ins, 2, subject, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die_sql(raw, "insert");
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	if (sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(raw, "commit");

	/* Warm both up once (page cache), then measure. */
	ULONG store_found = 0, raw_found = 0, layout_found = 0;
	double open_s = 0;
	scan_store(inbox, &store_found, &open_s);
	static const char raw_sql[] = "SELECT mid, subject FROM messages WHERE fid = 3 AND subject LIKE '%needle%'";
	scan_sql(raw, raw_sql, &raw_found);
	double store_s = scan_store(inbox, &store_found, &open_s);
	double raw_s = scan_sql(raw, raw_sql, &raw_found);
	sqlite3_close(raw);

	/* The store's own layout, read directly (tag 0x0037001F = PR_SUBJECT_W,
	 * how the store keeps strings; folder 3 = the Inbox). */
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	sqlite3 *sdb = NULL;
	double layout_s = -1;
	if (sqlite3_open_v2(store_path, &sdb, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    mapix_collation_register_sqlite(sdb) == SQLITE_OK) {
		static const char layout_sql[] =
		    "SELECT m.mid, p.value FROM messages m JOIN props p ON p.obj = m.mid AND p.tag = 0x0037001F"
		    " WHERE m.fid = 3 AND m.associated = 0 AND p.value LIKE '%needle%'";
		scan_sql(sdb, layout_sql, &layout_found);
		layout_s = scan_sql(sdb, layout_sql, &layout_found);
	}
	sqlite3_close(sdb);

	printf("  store contents table + RES_CONTENT : %8.3f s  (%lu rows; GetContentsTable alone %.3f s)\n", store_s,
	       (unsigned long)store_found, open_s);
	printf("  raw SQL LIKE over a plain table    : %8.3f s  (%lu rows)\n", raw_s, (unsigned long)raw_found);
	printf("  ratio store/raw (time)             : %8.1f\n", raw_s > 0 ? store_s / raw_s : 0.0);
	if (layout_s >= 0)
		printf("  SQL LIKE on the store's own tables : %8.3f s  (%lu rows)\n", layout_s, (unsigned long)layout_found);
	else
		printf("  SQL LIKE on the store's own tables : n/a (schema changed?)\n");
	if (store_found != raw_found)
		printf("  WARNING: the store found %lu rows, SQL %lu\n", (unsigned long)store_found, (unsigned long)raw_found);

	unlink(raw_path);
	char side[4300];
	snprintf(side, sizeof side, "%s-wal", raw_path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", raw_path);
	unlink(side);
	if (!keep) {
		unlink(store_path);
		snprintf(side, sizeof side, "%s-wal", store_path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", store_path);
		unlink(side);
	}
	rmdir(dir);
	return store_found == raw_found ? 0 : 1;
}
