/*
 * inbox_summary.c — prints the Inbox of the calling user's default MAPI
 * profile: the program a per-user worker runs (examples/runas_inboxes.c
 * starts it as each user through mapix-runas, so each copy finds that
 * user's own profiles with no set-up: the profile directory follows the
 * process's identity).
 *
 *   inbox_summary                 print "<user>: N message(s)" and the subjects
 *   inbox_summary --setup PATH    first make a default profile "default" on
 *                                 mailbox PATH with a welcome message
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mapix.h>
#include <mapiutil.h>
#include <mapixstore.h>

#define TRY(what, call)                                                                              \
	do {                                                                                             \
		HRESULT hr_ = (call);                                                                        \
		if (FAILED(hr_)) {                                                                           \
			fprintf(stderr, "inbox_summary: %s: 0x%08X %s\n", what, (unsigned)hr_, MAPIXGetLastErrorText()); \
			return 1;                                                                                \
		}                                                                                            \
	} while (0)

static int setup(const char *mailbox, const char *user)
{
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE t;
	LPSRowSet rows;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	TRY("MAPIAdminProfiles", MAPIAdminProfiles(0, &admin));
	admin->lpVtbl->DeleteProfile(admin, (LPTSTR) "default", 0);
	TRY("CreateProfile", admin->lpVtbl->CreateProfile(admin, (LPTSTR) "default", NULL, 0, 0));
	TRY("SetDefaultProfile", admin->lpVtbl->SetDefaultProfile(admin, (LPTSTR) "default", 0));
	TRY("AdminServices", admin->lpVtbl->AdminServices(admin, (LPTSTR) "default", NULL, 0, 0, &svc));
	TRY("CreateMsgService", svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", NULL, 0, 0));
	TRY("GetMsgServiceTable", svc->lpVtbl->GetMsgServiceTable(svc, 0, &t));
	TRY("HrQueryAllRows", HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = (LPSTR)mailbox},
	                     {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
	TRY("ConfigureMsgService",
	    svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg));
	FreeProws(rows);
	t->lpVtbl->Release(t);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);

	LPMAPISESSION session;
	LPMDB mdb;
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox;
	LPMESSAGE msg;
	char subject[128];
	snprintf(subject, sizeof subject, "Welcome, %s", user);
	SPropValue p = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject};
	TRY("MAPILogonEx", MAPILogonEx(0, NULL, NULL, MAPI_EXTENDED | MAPI_USE_DEFAULT, &session));
	TRY("OpenMsgStore", session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MDB_WRITE, &mdb));
	TRY("GetReceiveFolder", mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	TRY("OpenEntry", mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox));
	MAPIFreeBuffer(eid);
	TRY("CreateMessage", inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &msg));
	TRY("SetProps", msg->lpVtbl->SetProps(msg, 1, &p, NULL));
	TRY("SaveChanges", msg->lpVtbl->SaveChanges(msg, 0));
	msg->lpVtbl->Release(msg);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);
	session->lpVtbl->Logoff(session, 0, 0, 0);
	session->lpVtbl->Release(session);
	return 0;
}

static int summary(const char *user)
{
	LPMAPISESSION session;
	LPMDB mdb;
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox;
	LPMAPITABLE contents;
	LPSRowSet rows;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SUBJECT_A}};
	TRY("MAPILogonEx", MAPILogonEx(0, NULL, NULL, MAPI_EXTENDED | MAPI_USE_DEFAULT, &session));
	TRY("OpenMsgStore", session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb));
	TRY("GetReceiveFolder", mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	TRY("OpenEntry", mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, 0, &type, (LPUNKNOWN *)&inbox));
	MAPIFreeBuffer(eid);
	TRY("GetContentsTable", inbox->lpVtbl->GetContentsTable(inbox, 0, &contents));
	TRY("HrQueryAllRows", HrQueryAllRows(contents, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	printf("%s (uid %u, profiles in %s): %u message(s) in the Inbox\n", user, (unsigned)geteuid(),
	       MAPIXGetProfileDirectory(), (unsigned)rows->cRows);
	for (ULONG i = 0; i < rows->cRows; i++)
		if (PROP_TYPE(rows->aRow[i].lpProps[0].ulPropTag) == PT_STRING8)
			printf("  - %s\n", rows->aRow[i].lpProps[0].Value.lpszA);
	FreeProws(rows);
	contents->lpVtbl->Release(contents);
	inbox->lpVtbl->Release(inbox);
	mdb->lpVtbl->Release(mdb);
	session->lpVtbl->Logoff(session, 0, 0, 0);
	session->lpVtbl->Release(session);
	return 0;
}

int main(int argc, char **argv)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw ? pw->pw_name : "?";
	int rc;
	TRY("MAPIInitialize", MAPIInitialize(NULL));
	if (argc == 3 && strcmp(argv[1], "--setup") == 0)
		rc = setup(argv[2], user);
	else if (argc == 1)
		rc = summary(user);
	else {
		fprintf(stderr, "usage: inbox_summary [--setup MAILBOX]\n");
		rc = 2;
	}
	MAPIUninitialize();
	return rc;
}
