/*
 * test_mapixd_threads.c — several threads on one connection of the remote
 * provider (src/providers/remote/remote-conn.c): a call reads its own
 * reply off the socket when no other thread reads, and hands on what it
 * meets for others (their replies, pushed events), while the connection's
 * reader thread watches the socket only when no call is in flight.
 *
 *   - eight threads share one connection, each opening and reading its
 *     own message many times while a ninth saves messages into the
 *     advised Inbox: every reply reaches its own caller, and the sink
 *     sees the new mail;
 *   - with no call in flight, mail saved by another process (its own
 *     connection) is still announced to the sink, after a burst of calls
 *     too;
 *   - the server stopped (SIGSTOP) under threads in calls: each call fails
 *     with MAPI_E_NETWORK_ERROR within the timeout (MAPIX_REMOTE_TIMEOUT);
 *     killed: each fails at once, and a new logon works after a restart.
 */
#include "mapixd_fixture.h"

#include <stdatomic.h>
#include <time.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define READERS 8
#define ROUNDS 150
#define WRITES 20

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER f = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f));
	MAPIFreeBuffer(eid);
	return f;
}

/* Saves a message with this subject; its entry ID in *eid (caller frees) when asked. */
static HRESULT save_message(LPMAPIFOLDER inbox, const char *subject, LPSPropValue *eid)
{
	LPMESSAGE m = NULL;
	SPropValue v;
	v.ulPropTag = PR_SUBJECT_A;
	v.Value.lpszA = (LPSTR)subject;
	HRESULT hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m);
	if (SUCCEEDED(hr))
		hr = IMessage_SetProps(m, 1, &v, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(m, KEEP_OPEN_READONLY);
	if (SUCCEEDED(hr) && eid)
		hr = HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, eid);
	if (m)
		IMessage_Release(m);
	return hr;
}

/* ---- a sink counting new mail -------------------------------------------------------------------- */

typedef struct mail_sink {
	IMAPIAdviseSink itf;
	atomic_int refs;
	atomic_int newmail;
} mail_sink;

static HRESULT ms_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	(void)riid;
	*ppv = This;
	atomic_fetch_add(&((mail_sink *)This)->refs, 1);
	return S_OK;
}
static ULONG ms_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((mail_sink *)This)->refs, 1) + 1;
}
static ULONG ms_Release(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_sub(&((mail_sink *)This)->refs, 1) - 1;
}
static ULONG ms_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION n)
{
	for (ULONG i = 0; i < cNotif; i++)
		if (n[i].ulEventType == fnevNewMail)
			atomic_fetch_add(&((mail_sink *)This)->newmail, 1);
	return 0;
}
static const IMAPIAdviseSinkVtbl ms_vtbl = {ms_QueryInterface, ms_AddRef, ms_Release, ms_OnNotify};

static void wait_newmail(mail_sink *s, int want, double seconds)
{
	double end = now_s() + seconds;
	while (atomic_load(&s->newmail) < want && now_s() < end)
		usleep(2000);
}

/* ---- eight readers and a writer on one connection -------------------------------------------------- */

typedef struct reader_job {
	LPMAPIFOLDER inbox;
	LPSPropValue eid;
	char subject[64];
	int failures;
	char why[256];
} reader_job;

static void *reader_main(void *arg)
{
	reader_job *j = arg;
	for (int i = 0; i < ROUNDS && !j->failures; i++) {
		LPMESSAGE m = NULL;
		ULONG type = 0;
		LPSPropValue v = NULL;
		HRESULT hr = IMAPIFolder_OpenEntry(j->inbox, j->eid->Value.bin.cb, (LPENTRYID)j->eid->Value.bin.lpb, NULL, 0,
		                                   &type, (LPUNKNOWN *)&m);
		if (SUCCEEDED(hr))
			hr = HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v);
		if (FAILED(hr)) {
			j->failures++;
			snprintf(j->why, sizeof j->why, "round %d: 0x%08X %s", i, (unsigned)hr, MAPIXGetLastErrorText());
		} else if (strcmp(v->Value.lpszA, j->subject) != 0) {
			j->failures++;
			snprintf(j->why, sizeof j->why, "round %d: got \"%s\", expected \"%s\"", i, v->Value.lpszA, j->subject);
		}
		MAPIFreeBuffer(v);
		if (m)
			IMessage_Release(m);
	}
	return NULL;
}

typedef struct writer_job {
	LPMAPIFOLDER inbox;
	HRESULT hr;
} writer_job;

static void *writer_main(void *arg)
{
	writer_job *w = arg;
	for (int i = 0; i < WRITES && SUCCEEDED(w->hr); i++) {
		char subject[64];
		snprintf(subject, sizeof subject, "written %d", i);
		w->hr = save_message(w->inbox, subject, NULL);
	}
	return NULL;
}

static void test_threads_share_connection(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	reader_job jobs[READERS];
	memset(jobs, 0, sizeof jobs);
	for (int i = 0; i < READERS; i++) {
		jobs[i].inbox = inbox;
		snprintf(jobs[i].subject, sizeof jobs[i].subject, "message of reader %d", i);
		assert_ok(save_message(inbox, jobs[i].subject, &jobs[i].eid));
	}
	mail_sink sink = {{&ms_vtbl}, 1, 0};
	ULONG_PTR conn = 0;
	assert_ok(IMsgStore_Advise(mdb, 0, NULL, fnevNewMail, &sink.itf, &conn));
	int before = atomic_load(&sink.newmail);

	pthread_t t[READERS + 1];
	writer_job w = {inbox, S_OK};
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &jobs[i]), 0);
	assert_int_equal(pthread_create(&t[READERS], NULL, writer_main, &w), 0);
	for (int i = 0; i <= READERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < READERS; i++)
		if (jobs[i].failures)
			fail_msg("reader %d: %s", i, jobs[i].why);
	assert_ok(w.hr);
	/* Every saved message in the advised Inbox is new mail. */
	wait_newmail(&sink, before + WRITES, 10);
	assert_int_equal(atomic_load(&sink.newmail), before + WRITES);

	assert_ok(IMsgStore_Unadvise(mdb, conn));
	for (int i = 0; i < READERS; i++)
		MAPIFreeBuffer(jobs[i].eid);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	assert_int_equal(atomic_load(&sink.refs), 1);
	mapixd_stop(&s);
}

/* ---- events while no call is in flight ---------------------------------------------------------------- */

/* Another process (so another connection) saves a message in the Inbox. */
static void save_from_child(const char *sock)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		LPMDB mdb = NULL;
		int rc = 1;
		if (SUCCEEDED(MAPIXOpenRemoteStore(sock, "mine", MDB_WRITE, &mdb))) {
			ULONG cb = 0, type = 0;
			LPENTRYID eid = NULL;
			LPMAPIFOLDER f = NULL;
			if (SUCCEEDED(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL)) &&
			    SUCCEEDED(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f)) &&
			    SUCCEEDED(save_message(f, "from another process", NULL)))
				rc = 0;
			if (f)
				IMAPIFolder_Release(f);
			MAPIFreeBuffer(eid);
			IMsgStore_Release(mdb);
		}
		_exit(rc);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_events_without_calls(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	mail_sink sink = {{&ms_vtbl}, 1, 0};
	ULONG_PTR conn = 0;
	assert_ok(IMsgStore_Advise(mdb, 0, NULL, fnevNewMail, &sink.itf, &conn));
	/* Idle for a while: the reader thread watches. */
	usleep(50000);
	save_from_child(s.sock);
	wait_newmail(&sink, 1, 10);
	assert_int_equal(atomic_load(&sink.newmail), 1);
	/* Right after a burst of calls, then no call at all. */
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 50; i++) {
			LPSPropValue v = NULL;
			assert_ok(HrGetOneProp((LPMAPIPROP)inbox, PR_DISPLAY_NAME_A, &v));
			MAPIFreeBuffer(v);
		}
		save_from_child(s.sock);
		wait_newmail(&sink, 2 + round, 10);
		assert_int_equal(atomic_load(&sink.newmail), 2 + round);
	}
	assert_ok(IMsgStore_Unadvise(mdb, conn));
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* ---- the server stops answering, or goes -------------------------------------------------------------- */

typedef struct caller_job {
	LPMAPIFOLDER inbox;
	atomic_int *go;
	HRESULT last;
	double failed_at;
} caller_job;

/* Calls until one fails; when, and with what. */
static void *caller_main(void *arg)
{
	caller_job *j = arg;
	for (;;) {
		LPSPropValue v = NULL;
		HRESULT hr = HrGetOneProp((LPMAPIPROP)j->inbox, PR_DISPLAY_NAME_A, &v);
		MAPIFreeBuffer(v);
		if (FAILED(hr)) {
			j->last = hr;
			j->failed_at = now_s();
			return NULL;
		}
		if (!atomic_load(j->go))
			usleep(1000);
	}
}

static void run_callers_until_failure(mapixd *s, LPMAPIFOLDER inbox, int sig, double limit)
{
	enum { CALLERS = 4 };
	atomic_int go = 1;
	caller_job jobs[CALLERS];
	pthread_t t[CALLERS];
	for (int i = 0; i < CALLERS; i++) {
		jobs[i] = (caller_job){inbox, &go, S_OK, 0};
		assert_int_equal(pthread_create(&t[i], NULL, caller_main, &jobs[i]), 0);
	}
	usleep(100000);
	double t0 = now_s();
	kill(s->pid, sig);
	for (int i = 0; i < CALLERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < CALLERS; i++) {
		assert_hr(jobs[i].last, MAPI_E_NETWORK_ERROR);
		if (jobs[i].failed_at - t0 > limit)
			fail_msg("caller %d failed after %.1f s (limit %.1f s)", i, jobs[i].failed_at - t0, limit);
	}
}

static void test_stopped_and_killed_server(void **state)
{
	(void)state;
	mapixd s;
	mapixd_start(&s, NULL);
	/* Read when a connection is made: the reconnects below use it too. */
	setenv("MAPIX_REMOTE_TIMEOUT", "2", 1);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	/* Stopped: no reply comes; every call in flight gives up at the
	 * timeout (2 s), not later (the revive attempt of the next call finds
	 * the server stopped too: it connects but gets no HELLO reply). */
	run_callers_until_failure(&s, inbox, SIGSTOP, 2 + 2 + 3);
	kill(s.pid, SIGCONT);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);

	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &mdb));
	inbox = open_inbox(mdb);
	/* Killed: every call fails at once. */
	run_callers_until_failure(&s, inbox, SIGKILL, 3);
	int status;
	waitpid(s.pid, &status, 0);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_relaunch(&s);
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &mdb));
	inbox = open_inbox(mdb);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	unsetenv("MAPIX_REMOTE_TIMEOUT");
	mapixd_stop(&s);
}

int main(void)
{
	(void)mapixd_run_as, (void)mapixd_need_root, (void)mapixd_audit_lines; /* fixture helpers this file does not need */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_threads_share_connection, mapixd_teardown),
		cmocka_unit_test_teardown(test_events_without_calls, mapixd_teardown),
		cmocka_unit_test_teardown(test_stopped_and_killed_server, mapixd_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
