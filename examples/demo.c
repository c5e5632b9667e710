/*
 * demo.c — what `make demo` runs: the whole path of a MAPI program on
 * mapix, written only against the public headers.
 *
 *   1. MAPIInitialize with a profile directory under ./var
 *   2. a profile with the local mailbox service (IProfAdmin,
 *      IMsgServiceAdmin), configured to a mailbox file under ./var
 *   3. MAPILogonEx, the message stores table, OpenMsgStore
 *   4. Advise on the Inbox, create and save a message there
 *   5. read it back through its entry ID and the Inbox contents table
 *   6. receive the notification, Logoff
 *
 * Usage: demo DIR   (make demo passes ./var)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mapix.h>
#include <mapiutil.h>
#include <mapixstore.h>

static int fail(const char *what, HRESULT hr)
{
	fprintf(stderr, "demo: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	return 1;
}

#define TRY(what, call)                \
	do {                               \
		HRESULT hr_ = (call);          \
		if (FAILED(hr_))               \
			return fail(what, hr_);    \
	} while (0)

static volatile int notified;

static LONG on_notify(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	for (ULONG i = 0; i < n; i++)
		if (notifs[i].ulEventType == fnevObjectCreated || notifs[i].ulEventType == fnevNewMail)
			notified++;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "var";
	char profiles[4096], mailbox[4096];
	snprintf(profiles, sizeof profiles, "%s/profiles", dir);
	snprintf(mailbox, sizeof mailbox, "%s/demo-mailbox.mapix", dir);

	MAPIXINIT init = {MAPIX_INIT_VERSION, MAPI_MULTITHREAD_NOTIFICATIONS, profiles};
	TRY("MAPIInitialize", MAPIInitialize(&init));
	printf("1. MAPIInitialize: profiles live in %s\n", MAPIXGetProfileDirectory());

	/* A fresh profile each run. */
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	TRY("MAPIAdminProfiles", MAPIAdminProfiles(0, &admin));
	admin->lpVtbl->DeleteProfile(admin, (LPTSTR) "demo", 0);
	TRY("CreateProfile", admin->lpVtbl->CreateProfile(admin, (LPTSTR) "demo", NULL, 0, 0));
	TRY("AdminServices", admin->lpVtbl->AdminServices(admin, (LPTSTR) "demo", NULL, 0, 0, &svc));
	TRY("CreateMsgService", svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", (LPTSTR) "Demo mailbox", 0, 0));
	LPMAPITABLE services;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(2, svc_cols) = {2, {PR_SERVICE_UID, PR_DISPLAY_NAME_A}};
	TRY("GetMsgServiceTable", svc->lpVtbl->GetMsgServiceTable(svc, 0, &services));
	TRY("HrQueryAllRows", HrQueryAllRows(services, (LPSPropTagArray)&svc_cols, NULL, NULL, 0, &rows));
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = mailbox},
	                     {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
	TRY("ConfigureMsgService",
	    svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg));
	printf("2. profile \"demo\": service \"%s\" on %s\n", rows->aRow[0].lpProps[1].Value.lpszA, mailbox);
	FreeProws(rows);
	services->lpVtbl->Release(services);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);

	LPMAPISESSION session;
	LPMDB mdb;
	TRY("MAPILogonEx", MAPILogonEx(0, (LPTSTR) "demo", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
	                               &session));
	LPMAPITABLE stores;
	static const SizedSPropTagArray(2, store_cols) = {2, {PR_ENTRYID, PR_DISPLAY_NAME_A}};
	TRY("GetMsgStoresTable", session->lpVtbl->GetMsgStoresTable(session, 0, &stores));
	TRY("HrQueryAllRows", HrQueryAllRows(stores, (LPSPropTagArray)&store_cols, NULL, NULL, 0, &rows));
	TRY("OpenMsgStore", session->lpVtbl->OpenMsgStore(session, 0, rows->aRow[0].lpProps[0].Value.bin.cb,
	                                                  (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, NULL,
	                                                  MDB_WRITE | MDB_NO_DIALOG, &mdb));
	printf("3. MAPILogonEx + OpenMsgStore: \"%s\" (%u-byte store entry ID)\n", rows->aRow[0].lpProps[1].Value.lpszA,
	       (unsigned)rows->aRow[0].lpProps[0].Value.bin.cb);
	FreeProws(rows);
	stores->lpVtbl->Release(stores);

	/* The Inbox, and a sink on it. */
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox;
	TRY("GetReceiveFolder", mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	TRY("OpenEntry(Inbox)", mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox));
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	TRY("HrAllocAdviseSink", HrAllocAdviseSink(on_notify, NULL, &sink));
	TRY("Advise", mdb->lpVtbl->Advise(mdb, cb, eid, fnevObjectCreated | fnevNewMail, sink, &conn));
	MAPIFreeBuffer(eid);

	LPMESSAGE msg;
	char subject[128];
	time_t now = time(NULL);
	snprintf(subject, sizeof subject, "Hello from mapix (%s", ctime(&now));
	subject[strlen(subject) - 1] = ')';
	SPropValue props[4] = {
		{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject},
		{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Note"},
		{.ulPropTag = PR_BODY_W, .Value.lpszW = u"Grüße aus dem Linux-MAPI."},
		{.ulPropTag = PR_IMPORTANCE, .Value.l = IMPORTANCE_HIGH},
	};
	TRY("CreateMessage", inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &msg));
	TRY("SetProps", msg->lpVtbl->SetProps(msg, 4, props, NULL));
	TRY("SaveChanges", msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READONLY));
	LPSPropValue v;
	TRY("HrGetOneProp(PR_ENTRYID)", HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &v));
	msg->lpVtbl->Release(msg);
	printf("4. saved a message in the Inbox\n");

	LPMESSAGE again;
	TRY("OpenEntry(message)", session->lpVtbl->OpenEntry(session, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, 0,
	                                                     &type, (LPUNKNOWN *)&again));
	MAPIFreeBuffer(v);
	static const SizedSPropTagArray(3, msg_cols) = {3, {PR_SUBJECT_A, PR_BODY_A, PR_MESSAGE_SIZE}};
	ULONG n;
	TRY("GetProps", again->lpVtbl->GetProps(again, (LPSPropTagArray)&msg_cols, 0, &n, &v));
	printf("5. read it back: subject \"%s\", body \"%s\", %ld bytes\n", v[0].Value.lpszA, v[1].Value.lpszA,
	       (long)v[2].Value.l);
	MAPIFreeBuffer(v);
	again->lpVtbl->Release(again);
	LPMAPITABLE contents;
	ULONG count = 0;
	TRY("GetContentsTable", inbox->lpVtbl->GetContentsTable(inbox, 0, &contents));
	TRY("GetRowCount", contents->lpVtbl->GetRowCount(contents, 0, &count));
	contents->lpVtbl->Release(contents);
	printf("   the Inbox now holds %u message(s)\n", (unsigned)count);

	/* The support thread delivers the notification. */
	for (int i = 0; i < 200 && !notified; i++)
		usleep(10000);
	printf("6. notification received: %s\n", notified ? "yes (fnevObjectCreated)" : "NO");
	mdb->lpVtbl->Unadvise(mdb, conn);
	sink->lpVtbl->Release(sink);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);
	session->lpVtbl->Logoff(session, 0, 0, 0);
	session->lpVtbl->Release(session);
	MAPIUninitialize();
	printf("done: Logoff, MAPIUninitialize\n");
	return notified ? 0 : 1;
}
