/*
 * test_identity.c — MAPI with real identities in one process (root only;
 * users from the shared test-user fixture, tests/fixtures/test-users):
 * two threads impersonating two users at the same time each get their own
 * profile directory (the home of one, /var/lib/mapix/<uid> for the other,
 * who has no home), their own profile, store and notifications; an object
 * made by one user and used from another identity is refused with
 * MAPI_E_NO_ACCESS; released from another identity it neither crashes nor
 * leaks (the sanitizer build checks that).
 */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

typedef struct user_run {
	const char *user;
	uid_t uid;
	char profile_dir[512];
	LPMDB mdb;          /* handed to the main thread */
	LPVOID block;       /* likewise */
	int notified;
	HRESULT hr;
	char where[128];
	pthread_barrier_t *barrier;
} user_run;

static LONG on_notify(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	user_run *u = ctx;
	for (ULONG i = 0; i < n; i++)
		if (notifs[i].ulEventType == fnevObjectCreated)
			__atomic_add_fetch(&u->notified, 1, __ATOMIC_SEQ_CST);
	return 0;
}

#define STEP(what, call)                                       \
	do {                                                       \
		if (FAILED(u->hr = (call))) {                          \
			snprintf(u->where, sizeof u->where, "%s", what);   \
			goto out;                                          \
		}                                                      \
	} while (0)

static void *user_main(void *arg)
{
	user_run *u = arg;
	LPPROFADMIN admin = NULL;
	LPSERVICEADMIN svc = NULL;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	LPMAPISESSION session = NULL;
	LPMAPIFOLDER inbox = NULL;
	LPMESSAGE msg = NULL;
	LPMAPIADVISESINK sink = NULL;
	ULONG_PTR conn = 0;
	char mailbox[600];

	STEP("MAPIXImpersonateUserName", MAPIXImpersonateUserName(u->user));
	STEP("MAPIInitialize", MAPIInitialize(NULL));
	snprintf(u->profile_dir, sizeof u->profile_dir, "%s", MAPIXGetProfileDirectory());
	/* The mailbox lives beside the profiles, in the user's own directory. */
	snprintf(mailbox, sizeof mailbox, "%s/../mailbox.mapix", u->profile_dir);
	STEP("MAPIAdminProfiles", MAPIAdminProfiles(0, &admin));
	admin->lpVtbl->DeleteProfile(admin, (LPTSTR) "mine", 0);
	STEP("CreateProfile", admin->lpVtbl->CreateProfile(admin, (LPTSTR) "mine", NULL, 0, 0));
	STEP("AdminServices", admin->lpVtbl->AdminServices(admin, (LPTSTR) "mine", NULL, 0, 0, &svc));
	STEP("CreateMsgService", svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", NULL, 0, 0));
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	STEP("GetMsgServiceTable", svc->lpVtbl->GetMsgServiceTable(svc, 0, &t));
	STEP("HrQueryAllRows", HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = mailbox},
	                     {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
	STEP("ConfigureMsgService",
	     svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg));
	STEP("MAPILogonEx", MAPILogonEx(0, (LPTSTR) "mine", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION, &session));
	STEP("OpenMsgStore", session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MDB_WRITE, &u->mdb));
	ULONG cb, type;
	LPENTRYID eid;
	STEP("GetReceiveFolder", u->mdb->lpVtbl->GetReceiveFolder(u->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	u->hr = u->mdb->lpVtbl->OpenEntry(u->mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox);
	MAPIFreeBuffer(eid);
	STEP("OpenEntry", u->hr);
	STEP("HrAllocAdviseSink", HrAllocAdviseSink(on_notify, u, &sink));
	STEP("Advise", u->mdb->lpVtbl->Advise(u->mdb, 0, NULL, fnevObjectCreated, sink, &conn));
	/* Both users work at the same time from here on. */
	pthread_barrier_wait(u->barrier);
	STEP("CreateMessage", inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &msg));
	SPropValue subj = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)u->user};
	STEP("SetProps", msg->lpVtbl->SetProps(msg, 1, &subj, NULL));
	STEP("SaveChanges", msg->lpVtbl->SaveChanges(msg, 0));
	for (int i = 0; i < 500 && !__atomic_load_n(&u->notified, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	STEP("MAPIAllocateBuffer", MAPIAllocateBuffer(100, &u->block));
	u->mdb->lpVtbl->Unadvise(u->mdb, conn);
out:
	if (u->hr != S_OK)
		pthread_barrier_wait(u->barrier); /* do not leave the other thread waiting */
	if (msg)
		msg->lpVtbl->Release(msg);
	if (sink)
		sink->lpVtbl->Release(sink);
	if (inbox)
		inbox->lpVtbl->Release(inbox);
	if (session) {
		session->lpVtbl->Logoff(session, 0, 0, 0);
		session->lpVtbl->Release(session);
	}
	if (rows)
		FreeProws(rows);
	if (t)
		t->lpVtbl->Release(t);
	if (svc)
		svc->lpVtbl->Release(svc);
	if (admin)
		admin->lpVtbl->Release(admin);
	/* The store and the block stay alive for the main thread; the
	 * instance lives on for them after this. */
	MAPIUninitialize();
	MAPIXRevertToSelf();
	return NULL;
}

static void test_two_users_at_once(void **state)
{
	(void)state;
	if (geteuid() != 0)
		MAPIX_SKIP("real identities need root");
	/* getpwnam returns one static record: copy the ids at once. */
	struct passwd *p1 = getpwnam("mapixt1");
	uid_t uid1 = p1 ? p1->pw_uid : 0;
	struct passwd *p2 = getpwnam("mapixt2");
	uid_t uid2 = p2 ? p2->pw_uid : 0;
	if (!p1 || !p2)
		MAPIX_SKIP("test users mapixt1/mapixt2 missing (the test-user fixture creates them)");
	char *sysconf = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", sysconf, 1);
	free(sysconf);

	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, 2);
	user_run a = {.user = "mapixt1", .uid = uid1, .barrier = &barrier};
	user_run b = {.user = "mapixt2", .uid = uid2, .barrier = &barrier};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, user_main, &a);
	pthread_create(&tb, NULL, user_main, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&barrier);
	if (a.hr != S_OK)
		print_message("mapixt1 failed at %s: 0x%08X\n", a.where, (unsigned)a.hr);
	if (b.hr != S_OK)
		print_message("mapixt2 failed at %s: 0x%08X\n", b.where, (unsigned)b.hr);
	assert_int_equal(a.hr, S_OK);
	assert_int_equal(b.hr, S_OK);

	/* Own profile directories: the home of one, /var/lib/mapix for the other. */
	char want[512];
	snprintf(want, sizeof want, "/home/mapixt1/.config/mapix/profiles");
	assert_string_equal(a.profile_dir, want);
	snprintf(want, sizeof want, "/var/lib/mapix/%u/profiles", (unsigned)uid2);
	assert_string_equal(b.profile_dir, want);
	struct stat st;
	assert_int_equal(stat(a.profile_dir, &st), 0);
	assert_int_equal(st.st_uid, uid1);
	assert_int_equal(stat(b.profile_dir, &st), 0);
	assert_int_equal(st.st_uid, uid2);
	/* Each got the notification of its own message. */
	assert_true(a.notified >= 1);
	assert_true(b.notified >= 1);

	/* Root calling into mapixt1's store: refused. */
	ULONG n;
	LPSPropValue vals;
	static const SizedSPropTagArray(1, tags) = {1, {PR_DISPLAY_NAME_A}};
	assert_int_equal(a.mdb->lpVtbl->GetProps(a.mdb, (LPSPropTagArray)&tags, 0, &n, &vals), MAPI_E_NO_ACCESS);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "not shared across security contexts"));
	/* ...but releasing from here is fine: it reaches the owner's instance. */
	a.mdb->lpVtbl->Release(a.mdb);
	b.mdb->lpVtbl->Release(b.mdb);
	assert_int_equal(MAPIFreeBuffer(a.block), S_OK);
	assert_int_equal(MAPIFreeBuffer(b.block), S_OK);

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf /var/lib/mapix/%u", (unsigned)uid2);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_users_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
