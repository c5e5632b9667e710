/*
 * test_mapixd_load.c — mapixd under load, and killed under load (issue 7,
 * "Load and faults").
 *
 * 64 client processes over 32 mailboxes (two per mailbox, each the owner
 * through its account's Unix user), plus a few clients without rights,
 * run mixed reads and writes for about 10 seconds (times MAPIX_STRESS)
 * over the UNIX socket. Processes, not threads: the remote provider shares
 * one connection per security context inside a process, and the point is
 * many connections. Each client writes what the server acknowledged
 * (subjects of saved messages) and its counts to a file; the parent then
 * checks that nothing failed but the expected denials and that every
 * acknowledged message is there, complete (subject and the body derived
 * from it), read back through the server.
 *
 * The kill test runs the same load and SIGKILLs mapixd in the middle, then
 * starts it again: clients see MAPI_E_NETWORK_ERROR, log on anew and go
 * on; afterwards every acknowledged SaveChanges is there and complete and
 * every mailbox file passes PRAGMA integrity_check.
 *
 * Run once, in the gcc build only (tests/CMakeLists.txt disables it in the
 * sanitizer build) and serially: it wants the machine to itself.
 */
#include "mapixd_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define MAILBOXES 32
#define WORKERS 64          /* two per mailbox */
#define DENIERS 4           /* clients without any right */
#define CLIENTS (WORKERS + DENIERS)
#define BODY_MAX 4096

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The body of a message is derived from its subject, so a reader can tell
 * a complete message from a torn one. */
static size_t make_body(const char *subject, char *out, size_t cap)
{
	size_t len = 200 + (size_t)(strlen(subject) * 131) % (BODY_MAX - 300);
	if (len >= cap)
		len = cap - 1;
	size_t sl = strlen(subject);
	for (size_t i = 0; i < len; i++)
		out[i] = (i % 64 == 63) ? '\n' : subject[i % sl];
	out[len] = '\0';
	return len;
}

/* ---- a client process ----------------------------------------------------------------------- */

typedef struct client_stats {
	unsigned long reads, writes, denied, neterr, other, after_err;
	char first_other[300];
} client_stats;

static void note_other(client_stats *st, const char *what, HRESULT hr)
{
	if (!st->other++)
		snprintf(st->first_other, sizeof st->first_other, "%s: 0x%08X %s", what, (unsigned)hr,
		         MAPIXGetLastErrorText());
}

static HRESULT open_inbox(LPMDB mdb, ULONG flags, LPMAPIFOLDER *out)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	*out = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr))
		hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, flags, &type, (LPUNKNOWN *)out);
	MAPIFreeBuffer(eid);
	return hr;
}

static HRESULT do_write(LPMAPIFOLDER inbox, const char *subject)
{
	static char body[BODY_MAX];
	LPMESSAGE m = NULL;
	HRESULT hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m);
	if (FAILED(hr))
		return hr;
	make_body(subject, body, sizeof body);
	SPropValue v[3];
	v[0].ulPropTag = PR_SUBJECT_A;
	v[0].Value.lpszA = (LPSTR)subject;
	v[1].ulPropTag = PR_BODY_A;
	v[1].Value.lpszA = body;
	v[2].ulPropTag = PR_MESSAGE_CLASS_A;
	v[2].Value.lpszA = (LPSTR) "IPM.Note";
	hr = IMessage_SetProps(m, 3, v, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(m, 0);
	IMessage_Release(m);
	return hr;
}

/* Reads a few rows of the Inbox from a random place, opens one of the
 * messages and checks that its body matches its subject. */
static HRESULT do_read(LPMAPIFOLDER inbox, unsigned *seed, client_stats *st)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	HRESULT hr = IMAPIFolder_GetContentsTable(inbox, 0, &t);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0);
	ULONG count = 0;
	if (SUCCEEDED(hr))
		hr = IMAPITable_GetRowCount(t, 0, &count);
	if (SUCCEEDED(hr) && count > 10)
		hr = IMAPITable_SeekRow(t, BOOKMARK_BEGINNING, (LONG)(rand_r(seed) % (count - 10)), NULL);
	if (SUCCEEDED(hr))
		hr = IMAPITable_QueryRows(t, 10, 0, &rows);
	if (SUCCEEDED(hr) && rows->cRows > 0) {
		LPSRow r = &rows->aRow[rand_r(seed) % rows->cRows];
		LPMESSAGE m = NULL;
		ULONG type = 0;
		if (r->lpProps[0].ulPropTag == PR_ENTRYID)
			hr = IMAPIFolder_OpenEntry(inbox, r->lpProps[0].Value.bin.cb, (LPENTRYID)r->lpProps[0].Value.bin.lpb, NULL,
			                           0, &type, (LPUNKNOWN *)&m);
		if (SUCCEEDED(hr) && m) {
			SizedSPropTagArray(2, want) = {2, {PR_SUBJECT_A, PR_BODY_A}};
			ULONG n = 0;
			LPSPropValue v = NULL;
			hr = IMessage_GetProps(m, (LPSPropTagArray)&want, 0, &n, &v);
			if (hr == S_OK) {
				static char body[BODY_MAX];
				make_body(v[0].Value.lpszA, body, sizeof body);
				if (strcmp(body, v[1].Value.lpszA) != 0)
					hr = MAPI_E_CORRUPT_DATA; /* torn or mixed up: reported as unexpected */
			} else if (hr == MAPI_W_ERRORS_RETURNED) {
				hr = MAPI_E_CORRUPT_DATA;
			}
			MAPIFreeBuffer(v);
			IMessage_Release(m);
		}
	}
	if (rows)
		FreeProws(rows);
	if (t)
		IMAPITable_Release(t);
	(void)st;
	return hr;
}

static void run_worker(const char *sock, int client, double until, FILE *out)
{
	client_stats st;
	memset(&st, 0, sizeof st);
	char mailbox[16];
	snprintf(mailbox, sizeof mailbox, "box%02d", client % MAILBOXES);
	unsigned seed = (unsigned)client * 7919u + 1;
	LPMDB mdb = NULL;
	LPMAPIFOLDER inbox = NULL;
	unsigned long n = 0;
	BOOL lost = FALSE;
	while (now_s() < until) {
		HRESULT hr = S_OK;
		const char *what = "OpenMsgStore";
		if (!mdb) {
			hr = MAPIXOpenRemoteStore(sock, mailbox, MDB_WRITE, &mdb);
			if (SUCCEEDED(hr) && FAILED(hr = open_inbox(mdb, MAPI_MODIFY, &inbox)))
				what = "open the Inbox";
		}
		if (SUCCEEDED(hr)) {
			if (rand_r(&seed) % 10 < 4) {
				char subject[64];
				snprintf(subject, sizeof subject, "c%02d-%lu-%s", client, n++, mailbox);
				what = "SaveChanges";
				if (SUCCEEDED(hr = do_write(inbox, subject))) {
					fprintf(out, "A %s %s\n", mailbox, subject);
					fflush(out);
					st.writes++;
				}
			} else {
				what = "read";
				if (SUCCEEDED(hr = do_read(inbox, &seed, &st)))
					st.reads++;
			}
		}
		if (SUCCEEDED(hr)) {
			if (lost)
				st.after_err++;
			continue;
		}
		if (hr == MAPI_E_NETWORK_ERROR) {
			/* The server went away: everything of that logon is gone; log
			 * on anew (after a short pause while the server is down). */
			st.neterr++;
			lost = TRUE;
			if (inbox)
				IMAPIFolder_Release(inbox);
			if (mdb)
				IMsgStore_Release(mdb);
			inbox = NULL;
			mdb = NULL;
			usleep(50000);
			continue;
		}
		note_other(&st, what, hr);
		if (!mdb || !inbox) {
			if (mdb)
				IMsgStore_Release(mdb);
			mdb = NULL;
			usleep(50000);
		}
	}
	if (inbox)
		IMAPIFolder_Release(inbox);
	if (mdb)
		IMsgStore_Release(mdb);
	fprintf(out, "S %lu %lu %lu %lu %lu %lu %s\n", st.reads, st.writes, st.denied, st.neterr, st.other, st.after_err,
	        st.first_other);
}

/* A client with no right on the mailbox it asks for: every logon is
 * refused with MAPI_E_NO_ACCESS. */
static void run_denier(const char *sock, double until, FILE *out)
{
	client_stats st;
	memset(&st, 0, sizeof st);
	BOOL lost = FALSE;
	while (now_s() < until) {
		LPMDB mdb = NULL;
		HRESULT hr = MAPIXOpenRemoteStore(sock, "locked", 0, &mdb);
		if (hr == MAPI_E_NO_ACCESS) {
			st.denied++;
			if (lost)
				st.after_err++;
		} else if (hr == MAPI_E_NETWORK_ERROR) {
			st.neterr++;
			lost = TRUE;
		} else {
			note_other(&st, "OpenMsgStore(locked)", hr);
			if (mdb)
				IMsgStore_Release(mdb);
		}
		usleep(20000);
	}
	fprintf(out, "S %lu %lu %lu %lu %lu %lu %s\n", st.reads, st.writes, st.denied, st.neterr, st.other, st.after_err,
	        st.first_other);
}

/* ---- the parent --------------------------------------------------------------------------------- */

typedef struct acked {
	char mailbox[16], subject[64];
	BOOL found;
} acked;

typedef struct load_result {
	acked *acks;
	size_t n_acks;
	client_stats total;
	unsigned long workers_after_err;  /* workers that worked again after a network error */
	unsigned long workers_with_err;
} load_result;

static void make_mailboxes(mapixd *s)
{
	struct passwd *pw = getpwuid(geteuid());
	assert_non_null(pw);
	for (int i = 0; i < MAILBOXES; i++) {
		char name[16];
		snprintf(name, sizeof name, "box%02d", i);
		assert_ok(MAPIXRemoteCreateAccount(s->sock, name, name, NULL, pw->pw_name, NULL));
	}
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "locked", "Nobody's business", NULL, NULL, NULL));
}

static void read_results(const char *dir, load_result *r)
{
	memset(r, 0, sizeof *r);
	size_t cap = 0;
	for (int i = 0; i < CLIENTS; i++) {
		char path[700], line[512];
		snprintf(path, sizeof path, "%s/client%02d.out", dir, i);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		BOOL summary = FALSE;
		while (fgets(line, sizeof line, f)) {
			if (line[0] == 'A') {
				if (r->n_acks == cap) {
					cap = cap ? cap * 2 : 4096;
					r->acks = realloc(r->acks, cap * sizeof *r->acks);
					assert_non_null(r->acks);
				}
				acked *a = &r->acks[r->n_acks];
				memset(a, 0, sizeof *a);
				assert_int_equal(sscanf(line, "A %15s %63s", a->mailbox, a->subject), 2);
				r->n_acks++;
			} else if (line[0] == 'S') {
				client_stats st;
				memset(&st, 0, sizeof st);
				int off = 0;
				assert_int_equal(sscanf(line, "S %lu %lu %lu %lu %lu %lu %n", &st.reads, &st.writes, &st.denied,
				                        &st.neterr, &st.other, &st.after_err, &off),
				                 6);
				summary = TRUE;
				r->total.reads += st.reads;
				r->total.writes += st.writes;
				r->total.denied += st.denied;
				r->total.neterr += st.neterr;
				r->total.other += st.other;
				if (st.other && !r->total.first_other[0])
					snprintf(r->total.first_other, sizeof r->total.first_other, "client %d: %s", i, line + off);
				if (i < WORKERS && st.neterr) {
					r->workers_with_err++;
					if (st.after_err)
						r->workers_after_err++;
				}
			}
		}
		fclose(f);
		if (!summary)
			fail_msg("client %d ended without a summary", i);
	}
}

/* PRAGMA integrity_check on every mailbox file (the server is not running). */
static void check_integrity(const mapixd *s)
{
	char dir[700];
	snprintf(dir, sizeof dir, "%s/mailboxes", s->data);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int checked = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 4 || strcmp(e->d_name + len - 3, ".db") != 0)
			continue;
		char path[1000];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
			fail_msg("%s: integrity_check: %s", path, sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
		checked++;
	}
	closedir(d);
	assert_true(checked >= MAILBOXES);
}

/* Runs the clients for `seconds`; with kill_at > 0, SIGKILLs the server
 * that many seconds in and starts it again after a pause. */
static void run_load(mapixd *s, double seconds, double kill_at, load_result *r)
{
	pid_t pids[CLIENTS];
	double start = now_s(), until = start + seconds;
	for (int i = 0; i < CLIENTS; i++) {
		char path[700];
		snprintf(path, sizeof path, "%s/client%02d.out", s->dir, i);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			FILE *out = fopen(path, "w");
			if (!out)
				_exit(2);
			if (i < WORKERS)
				run_worker(s->sock, i, until, out);
			else
				run_denier(s->sock, until, out);
			fclose(out);
			_exit(0);
		}
	}
	if (kill_at > 0) {
		while (now_s() < start + kill_at)
			usleep(10000);
		int status;
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
		/* The files as the kill left them (opening one replays its WAL,
		 * as the server's next open would). */
		check_integrity(s);
		mapixd_relaunch(s);
	}
	for (int i = 0; i < CLIENTS; i++) {
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("client %d ended with status 0x%x", i, (unsigned)status);
	}
	read_results(s->dir, r);
}

static int by_subject(const void *a, const void *b)
{
	return strcmp(((const acked *)a)->subject, ((const acked *)b)->subject);
}

/* Every acknowledged message is in its mailbox's Inbox, complete. */
static void verify_acks(mapixd *s, load_result *r)
{
	qsort(r->acks, r->n_acks, sizeof *r->acks, by_subject);
	static char body[BODY_MAX];
	size_t complete = 0;
	for (int b = 0; b < MAILBOXES; b++) {
		char name[16];
		snprintf(name, sizeof name, "box%02d", b);
		LPMDB mdb = NULL;
		LPMAPIFOLDER inbox = NULL;
		LPMAPITABLE t = NULL;
		LPSRowSet rows = NULL;
		assert_ok(MAPIXOpenRemoteStore(s->sock, name, 0, &mdb));
		assert_ok(open_inbox(mdb, 0, &inbox));
		assert_ok(IMAPIFolder_GetContentsTable(inbox, 0, &t));
		SizedSPropTagArray(2, cols) = {2, {PR_SUBJECT_A, PR_ENTRYID}};
		assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
		for (;;) {
			assert_ok(IMAPITable_QueryRows(t, 500, 0, &rows));
			if (!rows->cRows) {
				FreeProws(rows);
				break;
			}
			for (ULONG i = 0; i < rows->cRows; i++) {
				LPSPropValue p = rows->aRow[i].lpProps;
				if (p[0].ulPropTag != PR_SUBJECT_A)
					continue;
				acked key;
				snprintf(key.subject, sizeof key.subject, "%s", p[0].Value.lpszA);
				acked *a = bsearch(&key, r->acks, r->n_acks, sizeof *r->acks, by_subject);
				if (!a)
					continue; /* saved but not acknowledged (in flight at the kill) */
				assert_string_equal(a->mailbox, name);
				LPMESSAGE m = NULL;
				ULONG type = 0, n = 0;
				LPSPropValue v = NULL;
				SizedSPropTagArray(2, want) = {2, {PR_SUBJECT_A, PR_BODY_A}};
				assert_ok(IMAPIFolder_OpenEntry(inbox, p[1].Value.bin.cb, (LPENTRYID)p[1].Value.bin.lpb, NULL, 0, &type,
				                                (LPUNKNOWN *)&m));
				assert_ok(IMessage_GetProps(m, (LPSPropTagArray)&want, 0, &n, &v));
				make_body(a->subject, body, sizeof body);
				assert_string_equal(v[1].Value.lpszA, body);
				MAPIFreeBuffer(v);
				IMessage_Release(m);
				if (!a->found)
					complete++;
				a->found = TRUE;
			}
			FreeProws(rows);
		}
		IMAPITable_Release(t);
		IMAPIFolder_Release(inbox);
		IMsgStore_Release(mdb);
	}
	for (size_t i = 0; i < r->n_acks; i++)
		if (!r->acks[i].found)
			fail_msg("acknowledged message %s (mailbox %s) is missing", r->acks[i].subject, r->acks[i].mailbox);
	assert_int_equal(complete, r->n_acks);
}

static void report(const char *what, double seconds, const load_result *r)
{
	print_message("%s: %d clients (%d without rights) over %d mailboxes, %.0f s: %lu reads, %lu writes "
	              "acknowledged (%.0f ops/s), %lu denials, %lu network errors, %lu unexpected\n",
	              what, CLIENTS, DENIERS, MAILBOXES, seconds, r->total.reads, r->total.writes,
	              (double)(r->total.reads + r->total.writes) / seconds, r->total.denied, r->total.neterr,
	              r->total.other);
}

static double load_seconds(void)
{
	return 10.0 * mapix_test_stress();
}

static void test_load(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	make_mailboxes(&s);
	double secs = load_seconds();
	load_result r;
	run_load(&s, secs, 0, &r);
	report("load", secs, &r);
	if (r.total.other)
		fail_msg("%lu unexpected errors; first: %s", r.total.other, r.total.first_other);
	assert_int_equal(r.total.neterr, 0);
	assert_true(r.total.denied > 0);
	assert_true(r.total.writes > 0 && r.total.reads > 0);
	assert_int_equal(r.n_acks, r.total.writes);
	/* Every denial was audited. */
	assert_true(mapixd_audit_lines(&s, "\"mailbox\":\"locked\"", "MAPI_E_NO_ACCESS") >= (int)r.total.denied);
	verify_acks(&s, &r);
	free(r.acks);
	mapixd_stop(&s);
}

static void test_kill_under_load(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	make_mailboxes(&s);
	double secs = load_seconds();
	load_result r;
	run_load(&s, secs, secs / 2, &r);
	report("kill", secs, &r);
	if (r.total.other)
		fail_msg("%lu unexpected errors; first: %s", r.total.other, r.total.first_other);
	/* Clients saw the server go, and every one of them that did worked
	 * again after logging on anew. */
	assert_true(r.total.neterr > 0);
	assert_true(r.workers_with_err > 0);
	assert_int_equal(r.workers_after_err, r.workers_with_err);
	print_message("kill: %lu of %d workers saw MAPI_E_NETWORK_ERROR and all of them worked again\n",
	              r.workers_with_err, WORKERS);
	verify_acks(&s, &r);
	free(r.acks);
	/* And once more after a clean stop. */
	int status;
	kill(s.pid, SIGTERM);
	waitpid(s.pid, &status, 0);
	s.pid = 0;
	check_integrity(&s);
	mapixd_stop(&s);
}

int main(void)
{
	(void)mapixd_run_as, (void)mapixd_need_root; /* fixture helpers this file does not need */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_load, mapixd_teardown),
		cmocka_unit_test_teardown(test_kill_under_load, mapixd_teardown),
	};
	return cmocka_run_group_tests_name("mapixd_load", tests, NULL, NULL);
}
