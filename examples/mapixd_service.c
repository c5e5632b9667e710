/*
 * mapixd_service.c — a service identity reading the Inboxes of hosted
 * mailboxes it was granted, through mapixd (used by `make demo`).
 *
 *   mapixd_service deliver SOCKET MAILBOX FROM SUBJECT...
 *       as an administrator: opens MAILBOX with admin privilege
 *       (MAPIXMailboxLogon: CreateStoreEntryID + OpenMsgStore) and saves
 *       one message per SUBJECT in its Inbox, sent by FROM.
 *   mapixd_service read [--as USER] SOCKET MAILBOX...
 *       the service: for each MAILBOX, a store entry ID made by the server
 *       (CreateStoreEntryID, no admin privilege asked) is opened with the
 *       caller's own rights and the Inbox is listed; a mailbox it has no
 *       right on is refused (MAPI_E_NO_ACCESS) and the server writes an
 *       audit line. With --as USER (root only) the work runs on a thread
 *       impersonating USER, so the server sees USER (SO_PEERCRED).
 *
 * It uses only the public API, linked against the shared library as any
 * outside program would be.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>

static HRESULT open_inbox(LPMDB mdb, ULONG flags, LPMAPIFOLDER *out)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr))
		hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, flags, &type, (LPUNKNOWN *)out);
	MAPIFreeBuffer(eid);
	return hr;
}

static int deliver(const char *sock, const char *mailbox, const char *from, int n, char **subjects)
{
	LPMDB mdb = NULL;
	LPMAPIFOLDER inbox = NULL;
	HRESULT hr = MAPIXMailboxLogon(sock, NULL, mailbox, OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb);
	if (SUCCEEDED(hr))
		hr = open_inbox(mdb, MAPI_MODIFY, &inbox);
	for (int i = 0; SUCCEEDED(hr) && i < n; i++) {
		LPMESSAGE m = NULL;
		SPropValue v[4];
		memset(v, 0, sizeof v);
		v[0].ulPropTag = PR_SUBJECT_A;
		v[0].Value.lpszA = subjects[i];
		v[1].ulPropTag = PR_MESSAGE_CLASS_A;
		v[1].Value.lpszA = (LPSTR) "IPM.Note";
		v[2].ulPropTag = PR_SENDER_NAME_A;
		v[2].Value.lpszA = (LPSTR)from;
		v[3].ulPropTag = PR_BODY_A;
		v[3].Value.lpszA = (LPSTR) "Sent by make demo.";
		if (SUCCEEDED(hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m)) && SUCCEEDED(hr = IMessage_SetProps(m, 4, v, NULL)))
			hr = IMessage_SaveChanges(m, 0);
		if (m)
			IMessage_Release(m);
	}
	if (inbox)
		IMAPIFolder_Release(inbox);
	if (mdb)
		IMsgStore_Release(mdb);
	if (FAILED(hr)) {
		fprintf(stderr, "mapixd_service: deliver to %s: %s (%s)\n", mailbox, MAPIXGetLastErrorText(),
		        MAPIXErrorName(hr));
		return 1;
	}
	printf("  delivered %d message%s to %s\n", n, n == 1 ? "" : "s", mailbox);
	return 0;
}

/* Lists one mailbox's Inbox; 1 when it was refused or failed. */
static int read_one(const char *sock, const char *mailbox)
{
	LPMDB mdb = NULL;
	LPMAPIFOLDER inbox = NULL;
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(2, cols) = {2, {PR_SENDER_NAME_A, PR_SUBJECT_A}};
	/* The entry ID route of issue 7: CreateStoreEntryID on the server, then
	 * OpenMsgStore with the caller's own rights (no admin privilege). */
	HRESULT hr = MAPIXMailboxLogon(sock, NULL, mailbox, 0, 0, &mdb);
	if (SUCCEEDED(hr))
		hr = open_inbox(mdb, 0, &inbox);
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_GetContentsTable(inbox, 0, &t);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (FAILED(hr)) {
		printf("  %-8s refused: %s (%s)\n", mailbox, MAPIXGetLastErrorText(), MAPIXErrorName(hr));
	} else {
		printf("  %-8s %u message%s in the Inbox\n", mailbox, (unsigned)rows->cRows, rows->cRows == 1 ? "" : "s");
		for (ULONG i = 0; i < rows->cRows; i++) {
			LPSPropValue p = rows->aRow[i].lpProps;
			printf("           from %-14s %s\n", p[0].ulPropTag == PR_SENDER_NAME_A ? p[0].Value.lpszA : "?",
			       p[1].ulPropTag == PR_SUBJECT_A ? p[1].Value.lpszA : "");
		}
		FreeProws(rows);
	}
	if (t)
		IMAPITable_Release(t);
	if (inbox)
		IMAPIFolder_Release(inbox);
	if (mdb)
		IMsgStore_Release(mdb);
	return FAILED(hr);
}

typedef struct job {
	const char *user, *sock;
	int n;
	char **mailboxes;
	int refused, failed;
} job;

static void *read_all(void *arg)
{
	job *j = arg;
	if (j->user) {
		HRESULT hr = MAPIXImpersonateUserName(j->user);
		if (FAILED(hr)) {
			fprintf(stderr, "mapixd_service: cannot act as %s: %s\n", j->user, MAPIXGetLastErrorText());
			j->failed = 1;
			return NULL;
		}
	}
	for (int i = 0; i < j->n; i++)
		j->refused += read_one(j->sock, j->mailboxes[i]);
	if (j->user)
		MAPIXRevertToSelf();
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: mapixd_service deliver SOCKET MAILBOX FROM SUBJECT...\n"
	                "       mapixd_service read [--as USER] SOCKET MAILBOX...\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "deliver") == 0)
		return deliver(argv[2], argv[3], argv[4], argc - 5, argv + 5);
	if (argc < 4 || strcmp(argv[1], "read") != 0)
		return usage();
	job j = {NULL, NULL, 0, NULL, 0, 0};
	int i = 2;
	if (strcmp(argv[i], "--as") == 0) {
		if (argc < 6)
			return usage();
		j.user = argv[i + 1];
		i += 2;
	}
	j.sock = argv[i];
	j.n = argc - i - 1;
	j.mailboxes = argv + i + 1;
	/* Identities are per thread: the work runs on a thread of its own. */
	pthread_t t;
	if (pthread_create(&t, NULL, read_all, &j) != 0)
		return 1;
	pthread_join(t, NULL);
	return j.failed;
}
