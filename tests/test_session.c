/*
 * test_session.c — MAPILogonEx and IMAPISession over a real profile: the
 * whole path a MAPI program takes (profile, message service, logon, stores
 * table, OpenMsgStore through the provider interface, a message round
 * trip, Logoff), and the errors a broken profile gives: an unconfigured
 * provider fails OpenMsgStore with MAPI_E_FAILONEPROVIDER and a damaged
 * store passes its own MAPI_E_CORRUPT_STORE through, both with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = mapix_test_tmpdir("session");
	char *sysconf = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", sysconf, 1);
	free(sysconf);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/profiles", tmp);
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, dir};
	return MAPIInitialize(&init) == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	MAPIUninitialize();
	mapix_test_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Creates profile `name` with a MAPIX_LOCAL service on mailbox `path`
 * (NULL: left unconfigured). */
static void make_profile(const char *name, const char *path)
{
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE table;
	LPSRowSet rows = NULL;
	assert_int_equal(MAPIAdminProfiles(0, &admin), S_OK);
	assert_int_equal(admin->lpVtbl->CreateProfile(admin, (LPTSTR)name, NULL, 0, 0), S_OK);
	assert_int_equal(admin->lpVtbl->AdminServices(admin, (LPTSTR)name, NULL, 0, 0, &svc), S_OK);
	assert_int_equal(svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", (LPTSTR) "Mailbox", 0, 0), S_OK);
	if (path) {
		static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
		assert_int_equal(svc->lpVtbl->GetMsgServiceTable(svc, 0, &table), S_OK);
		assert_int_equal(HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), S_OK);
		assert_int_equal(rows->cRows, 1);
		SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = (LPSTR)path},
		                     {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
		assert_int_equal(svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0,
		                                                   2, cfg),
		                 S_OK);
		FreeProws(rows);
		table->lpVtbl->Release(table);
	}
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);
}

static void test_logon_and_message_round_trip(void **state)
{
	(void)state;
	char path[4096];
	LPMAPISESSION session;
	LPMAPITABLE stores;
	LPSRowSet rows = NULL;
	LPMDB mdb;
	snprintf(path, sizeof path, "%s/alice.mapix", tmp);
	make_profile("alice", path);

	assert_int_equal(MAPILogonEx(0, (LPTSTR) "alice", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
	                             &session),
	                 S_OK);
	/* The stores table lists the mailbox as the default store. */
	static const SizedSPropTagArray(3, cols) = {3, {PR_ENTRYID, PR_DISPLAY_NAME_A, PR_DEFAULT_STORE}};
	assert_int_equal(session->lpVtbl->GetMsgStoresTable(session, 0, &stores), S_OK);
	assert_int_equal(HrQueryAllRows(stores, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 1);
	assert_int_equal(PROP_TYPE(rows->aRow[0].lpProps[0].ulPropTag), PT_BINARY);
	assert_true(rows->aRow[0].lpProps[2].Value.b);
	assert_int_equal(session->lpVtbl->OpenMsgStore(session, 0, rows->aRow[0].lpProps[0].Value.bin.cb,
	                                               (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, NULL,
	                                               MDB_WRITE | MDB_NO_DIALOG, &mdb),
	                 S_OK);
	FreeProws(rows);
	stores->lpVtbl->Release(stores);

	/* A message into the Inbox, found again through the session. */
	ULONG cb;
	LPENTRYID eid;
	LPMAPIFOLDER inbox;
	ULONG type;
	LPMESSAGE msg;
	assert_int_equal(mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	assert_int_equal(session->lpVtbl->OpenEntry(session, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox), S_OK);
	assert_int_equal(type, MAPI_FOLDER);
	MAPIFreeBuffer(eid);
	assert_int_equal(inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &msg), S_OK);
	SPropValue subject = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "hello through a profile"};
	assert_int_equal(HrSetOneProp((LPMAPIPROP)msg, &subject), S_OK);
	assert_int_equal(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE), S_OK);
	LPSPropValue v;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &v), S_OK);
	msg->lpVtbl->Release(msg);
	LPMESSAGE again;
	assert_int_equal(session->lpVtbl->OpenEntry(session, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, 0, &type,
	                                            (LPUNKNOWN *)&again),
	                 S_OK);
	assert_int_equal(type, MAPI_MESSAGE);
	MAPIFreeBuffer(v);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)again, PR_SUBJECT_A, &v), S_OK);
	assert_string_equal(v->Value.lpszA, "hello through a profile");
	MAPIFreeBuffer(v);
	again->lpVtbl->Release(again);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);

	/* No service provides an identity: a one-off entry for the user. */
	ULONG cbid;
	LPENTRYID id;
	static const BYTE one_off[16] = MAPI_ONE_OFF_UID;
	assert_int_equal(session->lpVtbl->QueryIdentity(session, &cbid, &id), MAPI_W_NO_SERVICE);
	assert_true(cbid > 24);
	assert_memory_equal((BYTE *)id + 4, one_off, 16);
	MAPIFreeBuffer(id);

	/* After Logoff the session refuses work. */
	assert_int_equal(session->lpVtbl->Logoff(session, 0, 0, 0), S_OK);
	assert_int_equal(session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, 0, &mdb), MAPI_E_END_OF_SESSION);
	session->lpVtbl->Release(session);
}

static void test_default_profile_and_logon_errors(void **state)
{
	(void)state;
	LPMAPISESSION session;
	assert_int_equal(MAPILogonEx(0, (LPTSTR) "nobody-has-this", NULL, MAPI_EXTENDED, &session), MAPI_E_LOGON_FAILED);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "nobody-has-this"));
	assert_int_equal(MAPILogonEx(0, NULL, NULL, MAPI_EXTENDED | MAPI_USE_DEFAULT | MAPI_LOGON_UI, &session),
	                 MAPI_E_LOGON_FAILED);
	LPPROFADMIN admin;
	assert_int_equal(MAPIAdminProfiles(0, &admin), S_OK);
	char path[4096];
	snprintf(path, sizeof path, "%s/bob.mapix", tmp);
	make_profile("bob", path);
	assert_int_equal(admin->lpVtbl->SetDefaultProfile(admin, (LPTSTR) "bob", 0), S_OK);
	admin->lpVtbl->Release(admin);
	assert_int_equal(MAPILogonEx(0, NULL, NULL, MAPI_EXTENDED | MAPI_USE_DEFAULT, &session), S_OK);
	LPMDB mdb;
	assert_int_equal(session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb), S_OK);
	mdb->lpVtbl->Release(mdb);
	session->lpVtbl->Logoff(session, 0, 0, 0);
	session->lpVtbl->Release(session);
}

static void test_unconfigured_provider_fails_one_provider(void **state)
{
	(void)state;
	LPMAPISESSION session;
	LPMDB mdb;
	make_profile("carol", NULL);
	assert_int_equal(MAPILogonEx(0, (LPTSTR) "carol", NULL, MAPI_EXTENDED, &session), S_OK);
	HRESULT hr = session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MDB_WRITE, &mdb);
	assert_int_equal(hr, MAPI_E_FAILONEPROVIDER);
	LPMAPIERROR err = NULL;
	assert_int_equal(session->lpVtbl->GetLastError(session, hr, 0, &err), S_OK);
	assert_non_null(err->lpszError);
	assert_non_null(strstr((const char *)err->lpszError, "provider"));
	MAPIFreeBuffer(err);
	session->lpVtbl->Release(session);
}

static void test_damaged_store_passes_its_error(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/damaged.mapix", tmp);
	FILE *f = fopen(path, "w");
	fputs("this is not a mailbox, it is a text file that is long enough to look like something", f);
	fclose(f);
	make_profile("dave", path);
	LPMAPISESSION session;
	LPMDB mdb;
	assert_int_equal(MAPILogonEx(0, (LPTSTR) "dave", NULL, MAPI_EXTENDED, &session), S_OK);
	assert_int_equal(session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MDB_WRITE, &mdb), MAPI_E_CORRUPT_STORE);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "damaged.mapix"));
	session->lpVtbl->Release(session);
}

/* A third-party provider is a shared object the profile names: one that
 * cannot be loaded fails the store with MAPI_E_FAILONEPROVIDER and a
 * message naming the provider and the reason. */
static void test_unloadable_provider_fails_one_provider(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/erin.mapix", tmp);
	make_profile("erin", path);
	LPMAPISESSION session;
	LPMAPITABLE t;
	LPSRowSet rows = NULL;
	LPPROFSECT sect;
	LPMDB mdb;
	assert_int_equal(MAPILogonEx(0, (LPTSTR) "erin", NULL, MAPI_EXTENDED, &session), S_OK);
	/* Point the store provider's section at a library that is not there. */
	LPSERVICEADMIN svc;
	static const SizedSPropTagArray(1, cols) = {1, {PR_PROVIDER_UID}};
	assert_int_equal(session->lpVtbl->AdminServices(session, 0, &svc), S_OK);
	assert_int_equal(svc->lpVtbl->GetProviderTable(svc, 0, &t), S_OK);
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), S_OK);
	assert_true(rows->cRows >= 1);
	assert_int_equal(session->lpVtbl->OpenProfileSection(session, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb,
	                                                     NULL, MAPI_MODIFY, &sect),
	                 S_OK);
	SPropValue dll = {.ulPropTag = PR_PROVIDER_DLL_NAME_A, .Value.lpszA = "libmapix-no-such-provider.so"};
	assert_int_equal(HrSetOneProp((LPMAPIPROP)sect, &dll), S_OK);
	sect->lpVtbl->Release(sect);
	FreeProws(rows);
	t->lpVtbl->Release(t);
	svc->lpVtbl->Release(svc);
	HRESULT hr = session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb);
	assert_int_equal(hr, MAPI_E_FAILONEPROVIDER);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "libmapix-no-such-provider.so"));
	session->lpVtbl->Release(session);
}

static void test_logon_needs_initialize(void **state)
{
	(void)state;
	/* Balanced: uninitialize this context for a moment. */
	MAPIUninitialize();
	LPMAPISESSION session;
	assert_int_equal(MAPILogonEx(0, (LPTSTR) "alice", NULL, MAPI_EXTENDED, &session), MAPI_E_NOT_INITIALIZED);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/profiles", tmp);
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, dir};
	assert_int_equal(MAPIInitialize(&init), S_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logon_and_message_round_trip),
		cmocka_unit_test(test_default_profile_and_logon_errors),
		cmocka_unit_test(test_unconfigured_provider_fails_one_provider),
		cmocka_unit_test(test_damaged_store_passes_its_error),
		cmocka_unit_test(test_unloadable_provider_fails_one_provider),
		cmocka_unit_test(test_logon_needs_initialize),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
