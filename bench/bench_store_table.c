/*
 * bench_store_table.c — contents tables of large folders (issue 5,
 * "Performance"). Usage: bench_store_table [N] (default 1000000).
 *
 * A bulk loader writes three folders of N/100, N/10 and N messages
 * straight into the mailbox schema with SQL (filling the sort columns as
 * the save path does), then through the public
 * API only:
 *  1. opening a contents table sorted by delivery time, descending,
 *     restricted to one message class, and reading its first 50 rows, and
 *     reading the next pages: time per page at each size, and the ratio to
 *     the smallest folder (the issue asks for at most 2);
 *  2. a RES_CONTENT substring restriction (ignoring case) on the subject
 *     over the N/10 folder, counted, against a plain SQL LIKE scan of the
 *     same rows (time and ratio);
 *  3. reading all rows of the N folder in pages of 100, in a fresh process
 *     (so the loader's memory does not count): its peak RSS (VmHWM), which
 *     must stay under 64 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define TAG_SUBJECT 0x0037001Fu
#define TAG_CLASS 0x001A001Fu
#define TAG_DELIVERY 0x0E060040u

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, HRESULT hr)
{
	fprintf(stderr, "bench_store_table: %s: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	exit(1);
}

#define CHECK(expr)                         \
	do {                                    \
		HRESULT hr_ = (expr);               \
		if (FAILED(hr_))                    \
			die(#expr, hr_);                \
	} while (0)

static void sql_die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_store_table: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static const char *const words[] = {"budget", "meeting", "Report", "lunch", "Travel", "invoice", "news", "update"};

/* Writes n messages into folder fid straight into the schema. */
static void bulk_load(const char *path, uint64_t fid, long n)
{
	sqlite3 *db;
	sqlite3_stmt *msg, *prop, *st;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		sql_die(db, "open");
	sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'globcnt'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		sql_die(db, "reading the counter");
	sqlite3_int64 first = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO messages(mid, fid, associated, flags, size, change_number, created, modified,"
	                       " search_key, s_subject, s_class, s_delivery) VALUES (?1, ?2, 0, ?3, 300, ?1, ?4, ?4,"
	                       " randomblob(16), lower(?5), lower(?6), ?4)",
	                       -1, &msg, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO props(obj, tag, value, size) VALUES (?1, ?2, ?3, ?4)", -1, &prop, NULL) !=
	        SQLITE_OK)
		sql_die(db, "preparing the loader");
	long unread = 0;
	uint64_t base = UINT64_C(133000000000000000);
	for (long i = 0; i < n; i++) {
		sqlite3_int64 mid = first + i;
		char subject[96];
		snprintf(subject, sizeof subject, "Message %ld about %s%s", i, words[i % 8], (i % 100 == 42) ? " NeedLe" : "");
		/* Delivery times shuffled against insertion order. */
		uint64_t t = base + (uint64_t)((i * 7919) % n) * 10000000;
		int flags = (i % 5 == 0) ? 0 : 1;
		unread += !flags;
		sqlite3_reset(msg);
		sqlite3_bind_int64(msg, 1, mid);
		sqlite3_bind_int64(msg, 2, (sqlite3_int64)fid);
		sqlite3_bind_int(msg, 3, flags);
		sqlite3_bind_int64(msg, 4, (sqlite3_int64)t);
		/* The sort columns hold what the save path writes: case-folded
		 * text (lower() folds these ASCII values the same way) and the
		 * delivery time as the integer PT_SYSTIME is stored as. */
		sqlite3_bind_text(msg, 5, subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(msg, 6, (i % 3 == 2) ? "IPM.Appointment" : "IPM.Note", -1, SQLITE_STATIC);
		if (sqlite3_step(msg) != SQLITE_DONE)
			sql_die(db, "inserting a message");
		struct {
			unsigned tag;
			const char *text;
			sqlite3_int64 num;
		} p[3] = {{TAG_SUBJECT, subject, 0},
		          {TAG_CLASS, (i % 3 == 2) ? "IPM.Appointment" : "IPM.Note", 0},
		          {TAG_DELIVERY, NULL, (sqlite3_int64)t}};
		for (int k = 0; k < 3; k++) {
			sqlite3_reset(prop);
			sqlite3_bind_int64(prop, 1, mid);
			sqlite3_bind_int64(prop, 2, p[k].tag);
			if (p[k].text) {
				sqlite3_bind_text(prop, 3, p[k].text, -1, SQLITE_STATIC);
				sqlite3_bind_int64(prop, 4, (sqlite3_int64)strlen(p[k].text) * 2);
			} else {
				sqlite3_bind_int64(prop, 3, p[k].num);
				sqlite3_bind_int64(prop, 4, 8);
			}
			if (sqlite3_step(prop) != SQLITE_DONE)
				sql_die(db, "inserting a property");
		}
	}
	sqlite3_finalize(msg);
	sqlite3_finalize(prop);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "UPDATE meta SET value = %lld WHERE key = 'globcnt';"
	         "UPDATE folders SET content_count = content_count + %ld, unread_count = unread_count + %ld,"
	         " content_size = content_size + %ld WHERE fid = %llu; COMMIT",
	         (long long)(first + n), n, unread, n * 300, (unsigned long long)fid);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		sql_die(db, "finishing the load");
	sqlite3_close(db);
}

static uint64_t folder_fid(const char *path, const char *name)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t fid = 0;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		sql_die(db, "open");
	if (sqlite3_prepare_v2(db, "SELECT fid FROM folders WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		sql_die(db, "finding a folder");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		fid = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return fid;
}

static LPMAPIFOLDER open_folder(LPMDB mdb, const char *name)
{
	LPMAPIFOLDER root, f = NULL;
	ULONG type;
	LPMAPITABLE h;
	CHECK(IMsgStore_OpenEntry(mdb, 0, NULL, NULL, MAPI_BEST_ACCESS, &type, (LPUNKNOWN *)&root));
	CHECK(IMAPIFolder_GetHierarchyTable(root, 0, &h));
	SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_A, PR_ENTRYID}};
	CHECK(IMAPITable_SetColumns(h, (LPSPropTagArray)&cols, 0));
	LPSRowSet rows;
	CHECK(IMAPITable_QueryRows(h, 100, 0, &rows));
	for (ULONG i = 0; i < rows->cRows; i++)
		if (!strcmp(rows->aRow[i].lpProps[0].Value.lpszA, name))
			CHECK(IMsgStore_OpenEntry(mdb, rows->aRow[i].lpProps[1].Value.bin.cb,
			                          (LPENTRYID)rows->aRow[i].lpProps[1].Value.bin.lpb, NULL, MAPI_BEST_ACCESS,
			                          &type, (LPUNKNOWN *)&f));
	FreeProws(rows);
	IMAPITable_Release(h);
	IMAPIFolder_Release(root);
	if (!f)
		die("finding the folder", MAPI_E_NOT_FOUND);
	return f;
}

static LPMAPITABLE sorted_restricted(LPMAPIFOLDER f)
{
	LPMAPITABLE t;
	static const SizedSPropTagArray(4, cols) = {
		4, {PR_INSTANCE_KEY, PR_SUBJECT_W, PR_MESSAGE_DELIVERY_TIME, PR_MESSAGE_CLASS_W}};
	static const SizedSSortOrderSet(1, sort) = {1, 0, 0, {{PR_MESSAGE_DELIVERY_TIME, TABLE_SORT_DESCEND}}};
	static SPropValue cls = {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Note"};
	SRestriction r = {.rt = RES_PROPERTY};
	r.res.resProperty.relop = RELOP_EQ;
	r.res.resProperty.ulPropTag = PR_MESSAGE_CLASS_A;
	r.res.resProperty.lpProp = &cls;
	CHECK(IMAPIFolder_GetContentsTable(f, MAPI_UNICODE, &t));
	CHECK(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, TBL_BATCH));
	CHECK(IMAPITable_SortTable(t, (LPSSortOrderSet)&sort, TBL_BATCH));
	CHECK(IMAPITable_Restrict(t, &r, TBL_BATCH));
	return t;
}

/* The child process of part 3: read everything in pages of 100. */
static int read_all(const char *path)
{
	LPMDB mdb;
	CHECK(MAPIXOpenLocalStore(path, 0, &mdb));
	LPMAPIFOLDER f = open_folder(mdb, "large");
	LPMAPITABLE t;
	static const SizedSPropTagArray(3, cols) = {3, {PR_INSTANCE_KEY, PR_SUBJECT_W, PR_MESSAGE_DELIVERY_TIME}};
	static const SizedSSortOrderSet(1, sort) = {1, 0, 0, {{PR_MESSAGE_DELIVERY_TIME, TABLE_SORT_DESCEND}}};
	CHECK(IMAPIFolder_GetContentsTable(f, MAPI_UNICODE, &t));
	CHECK(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	CHECK(IMAPITable_SortTable(t, (LPSSortOrderSet)&sort, 0));
	double t0 = now();
	long total = 0;
	uint64_t last = UINT64_MAX;
	for (;;) {
		LPSRowSet rows;
		CHECK(IMAPITable_QueryRows(t, 100, 0, &rows));
		ULONG n = rows->cRows;
		for (ULONG i = 0; i < n; i++) {
			uint64_t d = mapix_filetime_to_u64(rows->aRow[i].lpProps[2].Value.ft);
			if (d > last) {
				fprintf(stderr, "bench_store_table: rows out of order\n");
				return 1;
			}
			last = d;
		}
		total += n;
		FreeProws(rows);
		if (!n)
			break;
	}
	double secs = now() - t0;
	long hwm = vm_hwm_kib();
	printf("read_all: %ld rows in pages of 100 in %.1f s (%.1f us/row), peak RSS %.1f MiB (limit 64 MiB): %s\n", total,
	       secs, secs * 1e6 / (double)(total ? total : 1), (double)hwm / 1024.0,
	       hwm >= 0 && hwm < 64 * 1024 ? "ok" : "OVER");
	IMAPITable_Release(t);
	IMAPIFolder_Release(f);
	IMsgStore_Release(mdb);
	return hwm >= 0 && hwm < 64 * 1024 ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--read-all"))
		return read_all(argv[2]);
	long big = argc > 1 ? atol(argv[1]) : 1000000;
	if (big < 100)
		big = 100;
	long sizes[3] = {big / 100, big / 10, big};
	const char *names[3] = {"small", "medium", "large"};
	char dir[] = "/tmp/bench-store-table-XXXXXX", path[512];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/mailbox.db", dir);

	/* The mailbox and its folders through the API, the messages in bulk. */
	LPMDB mdb;
	LPMAPIFOLDER root, f;
	ULONG type;
	CHECK(MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	CHECK(IMsgStore_OpenEntry(mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&root));
	for (int i = 0; i < 3; i++) {
		CHECK(IMAPIFolder_CreateFolder(root, FOLDER_GENERIC, (LPTSTR)names[i], NULL, NULL, 0, &f));
		IMAPIFolder_Release(f);
	}
	IMAPIFolder_Release(root);
	IMsgStore_Release(mdb);
	for (int i = 0; i < 3; i++) {
		double t0 = now();
		bulk_load(path, folder_fid(path, names[i]), sizes[i]);
		printf("loaded %ld messages in %.1f s\n", sizes[i], now() - t0);
	}

	CHECK(MAPIXOpenLocalStore(path, 0, &mdb));
	/* 1. First page and later pages of a sorted, restricted table. */
	double first_page[3], next_page[3];
	for (int i = 0; i < 3; i++) {
		LPMAPIFOLDER fo = open_folder(mdb, names[i]);
		const int reps = 30, pages = 20;
		double t0 = now();
		for (int r = 0; r < reps; r++) {
			LPMAPITABLE t = sorted_restricted(fo);
			LPSRowSet rows;
			CHECK(IMAPITable_QueryRows(t, 50, 0, &rows));
			if (rows->cRows != (ULONG)(sizes[i] < 75 ? rows->cRows : 50))
				die("first page is short", MAPI_E_CALL_FAILED);
			FreeProws(rows);
			IMAPITable_Release(t);
		}
		first_page[i] = (now() - t0) / reps;
		LPMAPITABLE t = sorted_restricted(fo);
		t0 = now();
		int done = 0;
		for (int p = 0; p < pages; p++) {
			LPSRowSet rows;
			CHECK(IMAPITable_QueryRows(t, 50, 0, &rows));
			done += rows->cRows ? 1 : 0;
			FreeProws(rows);
		}
		next_page[i] = (now() - t0) / (done ? done : 1);
		IMAPITable_Release(t);
		IMAPIFolder_Release(fo);
		printf("sorted+restricted, %7ld messages: open + first 50 rows %.3f ms, next pages %.3f ms/page\n", sizes[i],
		       first_page[i] * 1e3, next_page[i] * 1e3);
	}
	printf("ratio first page %ld/%ld messages: %.2f, %ld/%ld: %.2f (issue: at most 2)\n", sizes[2], sizes[0],
	       first_page[2] / first_page[0], sizes[1], sizes[0], first_page[1] / first_page[0]);
	printf("ratio next pages %ld/%ld messages: %.2f\n", sizes[2], sizes[0], next_page[2] / next_page[0]);

	/* 2. RES_CONTENT substring on the subject over the medium folder. */
	{
		LPMAPIFOLDER fo = open_folder(mdb, names[1]);
		LPMAPITABLE t;
		SPropValue needle = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "needle"};
		SRestriction r = {.rt = RES_CONTENT};
		r.res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
		r.res.resContent.ulPropTag = PR_SUBJECT_A;
		r.res.resContent.lpProp = &needle;
		ULONG count = 0;
		double t0 = now();
		CHECK(IMAPIFolder_GetContentsTable(fo, 0, &t));
		CHECK(IMAPITable_Restrict(t, &r, 0));
		CHECK(IMAPITable_GetRowCount(t, 0, &count));
		double mapi = now() - t0;
		IMAPITable_Release(t);
		IMAPIFolder_Release(fo);

		sqlite3 *db;
		sqlite3_stmt *st;
		sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
		uint64_t fid = folder_fid(path, names[1]);
		t0 = now();
		if (sqlite3_prepare_v2(db,
		                       "SELECT count(*) FROM messages m JOIN props p ON p.obj = m.mid AND p.tag = ?2"
		                       " WHERE m.fid = ?1 AND m.associated = 0 AND p.value LIKE '%needle%'",
		                       -1, &st, NULL) != SQLITE_OK)
			sql_die(db, "LIKE");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		sqlite3_bind_int64(st, 2, TAG_SUBJECT);
		long like = sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
		double plain = now() - t0;
		sqlite3_finalize(st);
		sqlite3_close(db);
		printf("RES_CONTENT substring|ignorecase on the subject, %ld messages: %u rows in %.1f ms;"
		       " plain SQL LIKE: %ld rows in %.1f ms; ratio %.2f\n",
		       sizes[1], (unsigned)count, mapi * 1e3, like, plain * 1e3, mapi / plain);
		if ((long)count != like)
			die("RES_CONTENT and LIKE disagree", MAPI_E_CALL_FAILED);
	}
	IMsgStore_Release(mdb);

	/* 3. All rows of the large folder, in a process of its own. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--read-all", path, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_store_table: could not remove %s\n", dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
