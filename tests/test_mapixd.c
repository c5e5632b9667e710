/*
 * test_mapixd.c — mapixd and the remote store provider end to end: each
 * test starts its own server on a UNIX socket in a temporary directory
 * (src/server's mapixd, found under $MAPIX_BUILD_DIR) and stops it at the
 * end.
 *
 * Covered: accounts and their mailboxes (0600, DNs in the store entry ID),
 * identities from SO_PEERCRED (threads impersonating other users connect
 * as those users), rights (owner, full access, admin privilege, deliver,
 * denials answered MAPI_E_NO_ACCESS with one JSON audit line), admin
 * access by entry ID (CreateStoreEntryID, GetMailboxTable, the owner's
 * default folders and entry IDs resolving for a service), pushed
 * notifications across connections, MAPI_E_NETWORK_ERROR for an
 * unreachable or killed server, reconnecting with the advises re-sent,
 * limits, and hostile clients losing only their own connection (garbage,
 * oversized or stalled frames, a client killed mid-request, a client that
 * stops reading while events pile up for it).
 *
 * Identity tests need root (to impersonate "nobody" and "daemon"); they
 * skip otherwise.
 */
#include "mapixd_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#define OWNER_UID 65534   /* nobody: owns alice's mailbox */
#define SERVICE_UID 1     /* daemon: the service identity */

/* ---- a server per test ------------------------------------------------------------------ */

/* The fixture's server, named testsrv (mailbox DNs say so), with a 2 s I/O
 * timeout; `limits` adds lines to [limits]. */
static void server_start(mapixd *s, const char *limits)
{
	const mapixd_opts o = {"mapixd", "testsrv", NULL, 2};
	mapixd_start_opts(s, &o, limits);
}

static const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	assert_non_null(pw);
	return pw->pw_name;
}

/* alice (owned by nobody, alice@example.org), bob and carol. */
static void make_accounts(mapixd *s)
{
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "alice", "Alice Example", "alice@example.org", user_name(OWNER_UID),
	                                   NULL));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "bob", "Bob", "bob@example.org", NULL, NULL));
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "carol", "Carol", NULL, NULL, "secret"));
}

static LPSPropValue get_prop(LPVOID obj, ULONG tag)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)obj, tag, &v);
	if (hr != S_OK)
		fail_msg("GetProps(0x%08X): 0x%08X (%s)", (unsigned)tag, (unsigned)hr, MAPIXGetLastErrorText());
	return v;
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

/* Saves a message with a subject in folder f; returns its entry ID (caller frees). */
static LPSPropValue put_message(LPMAPIFOLDER f, const char *subject, const char *cls)
{
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	SPropValue v[2];
	v[0].ulPropTag = PR_SUBJECT_A;
	v[0].Value.lpszA = (LPSTR)subject;
	v[1].ulPropTag = PR_MESSAGE_CLASS_A;
	v[1].Value.lpszA = (LPSTR)cls;
	assert_ok(IMessage_SetProps(m, 2, v, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	LPSPropValue eid = get_prop(m, PR_ENTRYID);
	IMessage_Release(m);
	return eid;
}

static ULONG row_count(LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	ULONG n = 0;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(IMAPITable_GetRowCount(t, 0, &n));
	IMAPITable_Release(t);
	return n;
}

/* ---- tests -------------------------------------------------------------------------------------- */

static void test_unreachable(void **state)
{
	(void)state;
	LPMDB mdb = (LPMDB)1;
	char *dir = mapix_test_tmpdir("mapixd-none");
	char sock[600];
	snprintf(sock, sizeof sock, "%s/nobody-listens.sock", dir);
	time_t t0 = time(NULL);
	assert_hr(MAPIXOpenRemoteStore(sock, "alice", 0, &mdb), MAPI_E_NETWORK_ERROR);
	assert_null(mdb);
	assert_true(time(NULL) - t0 < 5);
	assert_non_null(strstr(MAPIXGetLastErrorText(), sock));
	assert_hr(MAPIXRemoteGrant(sock, "alice", "bob", "full"), MAPI_E_NETWORK_ERROR);
	mapix_test_rmtree(dir);
	free(dir);
}

static void test_accounts(void **state)
{
	(void)state;
	mapixd s;
	server_start(&s, NULL);
	make_accounts(&s);
	/* Names and addresses are unique, without case. */
	assert_hr(MAPIXRemoteCreateAccount(s.sock, "ALICE", NULL, NULL, NULL, NULL), MAPI_E_COLLISION);
	assert_hr(MAPIXRemoteCreateAccount(s.sock, "alice2", NULL, "Alice@Example.org", NULL, NULL), MAPI_E_COLLISION);
	assert_hr(MAPIXRemoteCreateAccount(s.sock, "../etc", NULL, NULL, NULL, NULL), MAPI_E_INVALID_PARAMETER);

	/* Mailboxes belong to the server's user, 0600. */
	char path[700];
	struct stat st;
	snprintf(path, sizeof path, "%s/mailboxes/alice.db", s.data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());

	/* The administrator opens a mailbox it is not granted only with
	 * admin privilege (through an entry ID). */
	LPMDB mdb = NULL;
	assert_hr(MAPIXOpenRemoteStore(s.sock, "bob", MDB_WRITE, &mdb), MAPI_E_NO_ACCESS);
	assert_int_equal(mapixd_audit_lines(&s, "\"mailbox\":\"bob\"", "MAPI_E_NO_ACCESS"), 1);
	assert_ok(MAPIXMailboxLogon(s.sock, NULL, "bob@example.org", OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb));

	/* The store entry ID carries mapix's DN for the account. */
	LPSPropValue eid = get_prop(mdb, PR_STORE_ENTRYID);
	const char *dn = "/o=mapix/ou=testsrv/cn=Recipients/cn=bob";
	BOOL found = FALSE;
	for (ULONG i = 0; i + strlen(dn) <= eid->Value.bin.cb; i++)
		found |= memcmp(eid->Value.bin.lpb + i, dn, strlen(dn)) == 0;
	assert_true(found);
	MAPIFreeBuffer(eid);
	LPMAPIFOLDER inbox = open_inbox(mdb);
	LPSPropValue m = put_message(inbox, "hello bob", "IPM.Note");
	MAPIFreeBuffer(m);
	assert_int_equal(row_count(inbox), 1);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);

	/* Deleting an account keeps its file but ends access. */
	assert_ok(MAPIXRemoteDeleteAccount(s.sock, "carol"));
	assert_hr(MAPIXRemoteDeleteAccount(s.sock, "carol"), MAPI_E_NOT_FOUND);
	assert_hr(MAPIXMailboxLogon(s.sock, NULL, "carol", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &mdb), MAPI_E_NOT_FOUND);
	mapixd_stop(&s);
}

/* ---- identities: work done by a thread impersonating a user ----------------------------------- */

/* PR_IPM_CONTACT_ENTRYID, as the Inbox holds it (caller frees). */
static LPSPropValue contacts_eid(mapixd_job *j, LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	LPSPropValue v = NULL;
	JOB_CHECK(j, IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	if (eid)
		JOB_CHECK(j, IMsgStore_OpenEntry(mdb, cb, eid, NULL, 0, &type, (LPUNKNOWN *)&inbox), S_OK);
	if (inbox) {
		JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)inbox, PR_IPM_CONTACT_ENTRYID, &v), S_OK);
		IMAPIFolder_Release(inbox);
	}
	MAPIFreeBuffer(eid);
	return v;
}

/* The owner (nobody) opens its own mailbox by default and writes a contact. */
static void owner_work(mapixd_job *j)
{
	LPMDB mdb = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, NULL, MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	LPSPropValue eid = contacts_eid(j, mdb);
	ULONG type;
	LPMAPIFOLDER contacts = NULL;
	if (eid)
		JOB_CHECK(j, IMsgStore_OpenEntry(mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, MAPI_MODIFY,
		                                 &type, (LPUNKNOWN *)&contacts),
		          S_OK);
	if (contacts) {
		LPMESSAGE m = NULL;
		JOB_CHECK(j, IMAPIFolder_CreateMessage(contacts, NULL, 0, &m), S_OK);
		if (m) {
			SPropValue v[2];
			v[0].ulPropTag = PR_DISPLAY_NAME_A;
			v[0].Value.lpszA = (LPSTR) "Dora Contact";
			v[1].ulPropTag = PR_MESSAGE_CLASS_A;
			v[1].Value.lpszA = (LPSTR) "IPM.Contact";
			JOB_CHECK(j, IMessage_SetProps(m, 2, v, NULL), S_OK);
			JOB_CHECK(j, IMessage_SaveChanges(m, KEEP_OPEN_READONLY), S_OK);
			LPSPropValue me = NULL;
			JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &me), S_OK);
			*(LPSPropValue *)j->arg = me; /* the entry ID the owner wrote */
			IMessage_Release(m);
		}
		IMAPIFolder_Release(contacts);
	}
	MAPIFreeBuffer(eid);
	IMsgStore_Release(mdb);
}

/* The service (daemon) with no mailbox of its own. */
static void service_denied(mapixd_job *j)
{
	LPMDB mdb = NULL;
	/* Not an administrator: no accounts, no grants. */
	JOB_CHECK(j, MAPIXRemoteCreateAccount(j->s->sock, "mallory", NULL, NULL, NULL, NULL), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXRemoteGrant(j->s->sock, "alice", "daemon", "full"), MAPI_E_NO_ACCESS);
	/* Nothing granted yet. */
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", 0, &mdb), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXMailboxLogon(j->s->sock, NULL, "alice", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &mdb), MAPI_E_NO_ACCESS);
	/* No mailbox of its own. */
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, NULL, 0, &mdb), MAPI_E_NOT_FOUND);
}

static void service_admin(mapixd_job *j)
{
	LPMDB mdb = NULL;
	LPSPropValue contact_eid = j->arg;
	/* An "admin" grant needs OPENSTORE_USE_ADMIN_PRIVILEGE. */
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", 0, &mdb), MAPI_E_NO_ACCESS);
	JOB_CHECK(j, MAPIXMailboxLogon(j->s->sock, NULL, "alice", OPENSTORE_PUBLIC, 0, &mdb), MAPI_E_UNKNOWN_FLAGS);
	JOB_CHECK(j,
	          MAPIXMailboxLogon(j->s->sock, NULL, "/o=mapix/ou=testsrv/cn=Recipients/cn=alice",
	                            OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP, MDB_WRITE, &mdb),
	          S_OK);
	if (!mdb)
		return;
	/* The default folders resolve as for the owner: Contacts has the
	 * owner's contact, and the owner's entry ID opens it. */
	ULONG type = 0;
	LPMAPIFOLDER contacts = NULL;
	LPSPropValue eid = contacts_eid(j, mdb);
	if (eid)
		JOB_CHECK(j, IMsgStore_OpenEntry(mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, 0, &type,
		                                 (LPUNKNOWN *)&contacts),
		          S_OK);
	if (contacts) {
		LPMAPITABLE t = NULL;
		ULONG n = 0;
		JOB_CHECK(j, IMAPIFolder_GetContentsTable(contacts, 0, &t), S_OK);
		if (t) {
			JOB_CHECK(j, IMAPITable_GetRowCount(t, 0, &n), S_OK);
			JOB_CHECK(j, n == 1 ? S_OK : MAPI_E_NOT_FOUND, S_OK);
			IMAPITable_Release(t);
		}
		IMAPIFolder_Release(contacts);
	}
	MAPIFreeBuffer(eid);
	LPMESSAGE m = NULL;
	if (contact_eid)
		JOB_CHECK(j, IMsgStore_OpenEntry(mdb, contact_eid->Value.bin.cb, (LPENTRYID)contact_eid->Value.bin.lpb, NULL,
		                                 0, &type, (LPUNKNOWN *)&m),
		          S_OK);
	if (m) {
		LPSPropValue dn = NULL;
		JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)m, PR_DISPLAY_NAME_A, &dn), S_OK);
		JOB_CHECK(j, dn && strcmp(dn->Value.lpszA, "Dora Contact") == 0 ? S_OK : MAPI_E_CALL_FAILED, S_OK);
		MAPIFreeBuffer(dn);
		IMessage_Release(m);
	}

	/* IExchangeManageStore on the logged-on store: the mailbox table lists
	 * the granted mailboxes only. */
	LPEXCHANGEMANAGESTORE ems = NULL;
	JOB_CHECK(j, IMsgStore_QueryInterface(mdb, &IID_IExchangeManageStore, (LPVOID *)&ems), S_OK);
	if (ems) {
		LPMAPITABLE t = NULL;
		LPSRowSet rows = NULL;
		JOB_CHECK(j, IExchangeManageStore_GetMailboxTable(ems, NULL, &t, 0), S_OK);
		if (t)
			JOB_CHECK(j, HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows), S_OK);
		if (rows) {
			int alice = 0, bob = 0, carol = 0;
			for (ULONG i = 0; i < rows->cRows; i++) {
				LPSPropValue acc = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ACCOUNT_A);
				LPSPropValue dn = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_EMAIL_ADDRESS_A);
				if (!acc || !dn)
					continue;
				alice += strcmp(acc->Value.lpszA, "alice") == 0 &&
				         strcmp(dn->Value.lpszA, "/o=mapix/ou=testsrv/cn=Recipients/cn=alice") == 0;
				bob += strcmp(acc->Value.lpszA, "bob") == 0;
				carol += strcmp(acc->Value.lpszA, "carol") == 0;
			}
			JOB_CHECK(j, alice == 1 && bob == 1 && carol == 0 ? S_OK : MAPI_E_CALL_FAILED, S_OK);
			FreeProws(rows);
		}
		if (t)
			IMAPITable_Release(t);
		ULONG cb = 0;
		LPENTRYID seid = NULL;
		JOB_CHECK(j, IExchangeManageStore_CreateStoreEntryID(ems, NULL, (LPSTR) "bob", 0x00000100, &cb, &seid),
		          MAPI_E_UNKNOWN_FLAGS);
		JOB_CHECK(j,
		          IExchangeManageStore_CreateStoreEntryID(ems, NULL, (LPSTR) "carol",
		                                                  OPENSTORE_USE_ADMIN_PRIVILEGE, &cb, &seid),
		          S_OK);
		LPMDB carol = NULL;
		if (seid) /* not granted: refused, with an audit line */
			JOB_CHECK(j, MAPIXOpenRemoteStoreEntryID(j->s->sock, cb, seid, 0, &carol), MAPI_E_NO_ACCESS);
		MAPIFreeBuffer(seid);
		IExchangeManageStore_Release(ems);
	}
	/* The same helper from the logged-on store. */
	LPMDB bob = NULL;
	JOB_CHECK(j, MAPIXMailboxLogon(NULL, mdb, "bob@example.org", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &bob), S_OK);
	if (bob)
		IMsgStore_Release(bob);
	IMsgStore_Release(mdb);
}

static void test_rights_and_admin_access(void **state)
{
	(void)state;
	mapixd s;
	mapixd_need_root();
	server_start(&s, NULL);
	make_accounts(&s);
	LPSPropValue contact = NULL;
	mapixd_run_as(&s, OWNER_UID, owner_work, &contact);
	assert_non_null(contact);
	mapixd_run_as(&s, SERVICE_UID, service_denied, NULL);
	assert_true(mapixd_audit_lines(&s, "\"identity\":\"daemon\"", "MAPI_E_NO_ACCESS") >= 4);

	assert_ok(MAPIXRemoteGrant(s.sock, "alice", "daemon", MAPIX_GRANT_ADMIN));
	assert_ok(MAPIXRemoteGrant(s.sock, "bob@example.org", "daemon", MAPIX_GRANT_ADMIN));
	assert_hr(MAPIXRemoteGrant(s.sock, "alice", "daemon", "everything"), MAPI_E_INVALID_PARAMETER);
	assert_hr(MAPIXRemoteGrant(s.sock, "nosuch", "daemon", "full"), MAPI_E_NOT_FOUND);
	int before = mapixd_audit_lines(&s, "\"mailbox\":\"carol\"", "MAPI_E_NO_ACCESS");
	mapixd_run_as(&s, SERVICE_UID, service_admin, contact);
	assert_int_equal(mapixd_audit_lines(&s, "\"mailbox\":\"carol\"", "MAPI_E_NO_ACCESS"), before + 1);
	MAPIFreeBuffer(contact);

	/* Revoked: refused again. */
	assert_ok(MAPIXRemoteRevoke(s.sock, "alice", "daemon", MAPIX_GRANT_ADMIN));
	assert_hr(MAPIXRemoteRevoke(s.sock, "alice", "daemon", MAPIX_GRANT_ADMIN), MAPI_E_NOT_FOUND);
	mapixd_run_as(&s, SERVICE_UID, service_denied, NULL);
	mapixd_stop(&s);
}

/* ---- the deliver right ---------------------------------------------------------------------- */

static void deliver_work(mapixd_job *j)
{
	LPMDB mdb = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	JOB_CHECK(j, IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	JOB_CHECK(j, IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox), S_OK);
	MAPIFreeBuffer(eid);
	if (inbox) {
		LPMESSAGE m = NULL;
		LPMAPITABLE t = NULL;
		LPSPropValue v = NULL;
		JOB_CHECK(j, IMAPIFolder_CreateMessage(inbox, NULL, 0, &m), S_OK);
		if (m) {
			SPropValue p;
			p.ulPropTag = PR_SUBJECT_A;
			p.Value.lpszA = (LPSTR) "delivered";
			JOB_CHECK(j, IMessage_SetProps(m, 1, &p, NULL), S_OK);
			JOB_CHECK(j, IMessage_SaveChanges(m, 0), S_OK);
			IMessage_Release(m);
		}
		/* Delivering is not reading. */
		JOB_CHECK(j, IMAPIFolder_GetContentsTable(inbox, 0, &t), MAPI_E_NO_ACCESS);
		JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)inbox, PR_DISPLAY_NAME_A, &v), MAPI_E_NO_ACCESS);
		JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &v), MAPI_E_NO_ACCESS);
		IMAPIFolder_Release(inbox);
	}
	IMsgStore_Release(mdb);
}

static void test_deliver_right(void **state)
{
	(void)state;
	mapixd s;
	mapixd_need_root();
	server_start(&s, NULL);
	make_accounts(&s);
	assert_ok(MAPIXRemoteGrant(s.sock, "alice", "daemon", MAPIX_GRANT_DELIVER));
	mapixd_run_as(&s, SERVICE_UID, deliver_work, NULL);
	assert_true(mapixd_audit_lines(&s, "\"identity\":\"daemon\"", "GetContentsTable") == 1);
	/* The message is there for the owner (seen here with admin privilege). */
	LPMDB mdb = NULL;
	assert_ok(MAPIXMailboxLogon(s.sock, NULL, "alice", OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	assert_int_equal(row_count(inbox), 1);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* ---- pushed notifications ----------------------------------------------------------------------------- */

typedef struct notify_sink {
	IMAPIAdviseSink itf;
	atomic_int refs;
	atomic_int newmail, created;
} notify_sink;

static HRESULT ns_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	(void)riid;
	*ppv = This;
	atomic_fetch_add(&((notify_sink *)This)->refs, 1);
	return S_OK;
}
static ULONG ns_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((notify_sink *)This)->refs, 1) + 1;
}
static ULONG ns_Release(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_sub(&((notify_sink *)This)->refs, 1) - 1;
}
static ULONG ns_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION n)
{
	notify_sink *s = (notify_sink *)This;
	for (ULONG i = 0; i < cNotif; i++) {
		if (n[i].ulEventType == fnevNewMail)
			atomic_fetch_add(&s->newmail, 1);
		if (n[i].ulEventType == fnevObjectCreated || n[i].ulEventType == fnevTableModified)
			atomic_fetch_add(&s->created, 1);
	}
	return 0;
}
static const IMAPIAdviseSinkVtbl ns_vtbl = {ns_QueryInterface, ns_AddRef, ns_Release, ns_OnNotify};

/* Another identity (the owner) delivers mail into alice's Inbox. */
static void other_writer(mapixd_job *j)
{
	LPMDB mdb = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, NULL, MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	JOB_CHECK(j, IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL), S_OK);
	JOB_CHECK(j, IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox), S_OK);
	if (inbox) {
		LPMESSAGE m = NULL;
		JOB_CHECK(j, IMAPIFolder_CreateMessage(inbox, NULL, 0, &m), S_OK);
		if (m) {
			JOB_CHECK(j, IMessage_SaveChanges(m, 0), S_OK);
			IMessage_Release(m);
		}
		NOTIFICATION n;
		memset(&n, 0, sizeof n);
		n.ulEventType = fnevNewMail;
		n.info.newmail.cbParentID = cb;
		n.info.newmail.lpParentID = eid;
		n.info.newmail.lpszMessageClass = (LPTSTR) "IPM.Note";
		JOB_CHECK(j, IMsgStore_NotifyNewMail(mdb, &n), S_OK);
		IMAPIFolder_Release(inbox);
	}
	MAPIFreeBuffer(eid);
	IMsgStore_Release(mdb);
}

static void test_pushed_notifications(void **state)
{
	(void)state;
	mapixd s;
	mapixd_need_root();
	server_start(&s, NULL);
	make_accounts(&s);
	/* The administrator watches alice's mailbox on its own connection. */
	LPMDB mdb = NULL;
	assert_ok(MAPIXMailboxLogon(s.sock, NULL, "alice", OPENSTORE_USE_ADMIN_PRIVILEGE, 0, &mdb));
	notify_sink sink = {{&ns_vtbl}, 1, 0, 0};
	ULONG_PTR conn = 0;
	assert_ok(IMsgStore_Advise(mdb, 0, NULL, fnevNewMail | fnevObjectCreated, &sink.itf, &conn));
	mapixd_run_as(&s, OWNER_UID, other_writer, NULL);
	/* Delivered by the connection's own thread, without any call here:
	 * the commit of a message in the Inbox announces fnevNewMail (and
	 * fnevObjectCreated) from the change journal, as the local store
	 * does, and the writer's NotifyNewMail adds one more. */
	for (int i = 0; i < 500 && atomic_load(&sink.newmail) < 2; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&sink.newmail), 2);
	assert_true(atomic_load(&sink.created) >= 1);
	assert_ok(IMsgStore_Unadvise(mdb, conn));
	IMsgStore_Release(mdb);
	assert_int_equal(atomic_load(&sink.refs), 1);
	mapixd_stop(&s);
}

/* ---- failures: a lost server, limits, hostile clients --------------------------------------------- */

static void test_lost_connection(void **state)
{
	(void)state;
	mapixd s;
	server_start(&s, NULL);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	mapixd_kill(&s, SIGKILL);
	time_t t0 = time(NULL);
	LPSPropValue v = NULL;
	assert_hr(HrGetOneProp((LPMAPIPROP)inbox, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_hr(HrGetOneProp((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_true(time(NULL) - t0 < 5);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	/* Restarted: the next logon connects anew; the saved data is there. */
	mapixd_relaunch(&s);
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &mdb));
	inbox = open_inbox(mdb);
	assert_int_equal(row_count(inbox), 0);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* A client whose server is killed and restarted under it: the call in
 * flight fails with MAPI_E_NETWORK_ERROR, the next call through the store
 * reconnects, and the advises it had (on the store and on a contents
 * table) deliver again when another client writes. */
static void wait_count(atomic_int *v, int want)
{
	for (int i = 0; i < 500 && atomic_load(v) < want; i++)
		usleep(10000);
}

static void test_reconnect_advises(void **state)
{
	(void)state;
	mapixd s;
	mapixd_need_root();
	server_start(&s, NULL);
	make_accounts(&s);
	LPMDB mdb = NULL;
	assert_ok(MAPIXMailboxLogon(s.sock, NULL, "alice", OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb));
	notify_sink store_sink = {{&ns_vtbl}, 1, 0, 0}, table_sink = {{&ns_vtbl}, 1, 0, 0};
	ULONG_PTR sconn = 0, tconn = 0;
	assert_ok(IMsgStore_Advise(mdb, 0, NULL, fnevNewMail | fnevObjectCreated, &store_sink.itf, &sconn));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	LPMAPITABLE contents = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(inbox, 0, &contents));
	assert_ok(IMAPITable_Advise(contents, fnevTableModified, &table_sink.itf, &tconn));
	mapixd_run_as(&s, OWNER_UID, other_writer, NULL);
	wait_count(&store_sink.newmail, 1);
	wait_count(&table_sink.created, 1);
	int mail_before = atomic_load(&store_sink.newmail);
	assert_true(mail_before >= 1);
	assert_true(atomic_load(&table_sink.created) >= 1);

	mapixd_kill(&s, SIGKILL);
	time_t t0 = time(NULL);
	LPSPropValue v = NULL;
	/* Down: every call fails at once, reconnect attempts included. */
	assert_hr(HrGetOneProp((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_hr(HrGetOneProp((LPMAPIPROP)inbox, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	assert_true(time(NULL) - t0 < 5);

	mapixd_relaunch(&s);
	/* The next call through the store reconnects; the inbox proxy belongs to
	 * the lost connection and keeps failing. */
	v = get_prop(mdb, PR_DISPLAY_NAME_A);
	MAPIFreeBuffer(v);
	assert_hr(HrGetOneProp((LPMAPIPROP)inbox, PR_DISPLAY_NAME_A, &v), MAPI_E_NETWORK_ERROR);
	int table_before = atomic_load(&table_sink.created);
	mapixd_run_as(&s, OWNER_UID, other_writer, NULL);
	wait_count(&store_sink.newmail, mail_before + 1);
	wait_count(&table_sink.created, table_before + 1);
	assert_true(atomic_load(&store_sink.newmail) > mail_before);
	assert_true(atomic_load(&table_sink.created) > table_before);
	/* The revived table answers with the new row too. */
	ULONG rows = 0;
	assert_ok(IMAPITable_GetRowCount(contents, 0, &rows));
	assert_int_equal(rows, 2);

	assert_ok(IMAPITable_Unadvise(contents, tconn));
	IMAPITable_Release(contents);
	IMAPIFolder_Release(inbox);
	assert_ok(IMsgStore_Unadvise(mdb, sconn));
	IMsgStore_Release(mdb);
	assert_int_equal(atomic_load(&store_sink.refs), 1);
	assert_int_equal(atomic_load(&table_sink.refs), 1);
	mapixd_stop(&s);
}

static void test_limits(void **state)
{
	(void)state;
	mapixd s;
	server_start(&s, "max_handles = 16\nmax_rows = 2\n");
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	for (int i = 0; i < 5; i++) {
		char subj[32];
		snprintf(subj, sizeof subj, "m%d", i);
		LPSPropValue e = put_message(inbox, subj, "IPM.Note");
		MAPIFreeBuffer(e);
	}
	/* QueryRows gets everything although the server gives 2 rows per call. */
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(inbox, 0, &t));
	assert_ok(IMAPITable_QueryRows(t, 100, 0, &rows));
	assert_int_equal(rows->cRows, 5);
	FreeProws(rows);
	IMAPITable_Release(t);
	/* Handles are bounded per connection. */
	LPMAPIFOLDER open[32];
	int n = 0;
	HRESULT hr = S_OK;
	while (n < 32) {
		ULONG type;
		hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&open[n]);
		if (FAILED(hr))
			break;
		n++;
	}
	assert_int_equal(hr, MAPI_E_NOT_ENOUGH_RESOURCES);
	assert_true(n < 16);
	while (n > 0) {
		n--;
		IMAPIFolder_Release(open[n]);
	}
	/* Released handles are free again. */
	ULONG type;
	LPMAPIFOLDER root = NULL;
	assert_ok(IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root));
	IMAPIFolder_Release(root);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

static int raw_connect(const char *sock)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* TRUE when the server closes fd within `ms`. */
static BOOL closed_by_server(int fd, int ms)
{
	char buf[256];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return TRUE;
	}
	return FALSE;
}

static void test_hostile_clients(void **state)
{
	(void)state;
	mapixd s;
	server_start(&s, "max_frame = 65536\n");
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);

	/* Garbage. */
	int g = raw_connect(s.sock);
	assert_int_equal(write(g, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	assert_true(closed_by_server(g, 3000));
	close(g);
	/* A frame larger than max_frame, announced in a valid header. */
	BYTE hdr[16] = {'M', 'P', 'X', 'D', 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0x10};
	g = raw_connect(s.sock);
	assert_int_equal(write(g, hdr, sizeof hdr), (ssize_t)sizeof hdr);
	assert_true(closed_by_server(g, 3000));
	close(g);
	/* Half a frame, then silence: dropped after io_timeout (2 s). */
	g = raw_connect(s.sock);
	assert_int_equal(write(g, hdr, 7), 7);
	assert_true(closed_by_server(g, 5000));
	close(g);
	/* A request before HELLO. */
	BYTE early[24] = {'M', 'P', 'X', 'D', 1, 0, 1, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0};
	g = raw_connect(s.sock);
	assert_int_equal(write(g, early, sizeof early), (ssize_t)sizeof early);
	assert_true(closed_by_server(g, 3000));
	close(g);

	/* The well-behaved client never noticed. */
	LPSPropValue e = put_message(inbox, "still here", "IPM.Note");
	MAPIFreeBuffer(e);
	assert_int_equal(row_count(inbox), 1);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* A client that stops reading (a stopped process advised on the mailbox
 * another client writes to): the writer's saves never wait for it, and
 * once its events pile up past the output queue's bound the server drops
 * it. */
static double now_sec(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_client_stops_reading(void **state)
{
	(void)state;
	mapixd s;
	/* A long io_timeout: a writer blocked on the stalled peer would show. */
	server_start(&s, "io_timeout = 30\n");
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	IMsgStore_Release(mdb);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Advise on the store and on the Inbox's contents, then never read.
		 * (A read-write logon: mapixd does not yet pass changes made
		 * through the read-write logon of a mailbox to advises made on its
		 * read-only one.) */
		static notify_sink sink = {{&ns_vtbl}, 1, 0, 0};
		LPMDB m = NULL;
		ULONG_PTR c1 = 0, c2 = 0;
		LPMAPITABLE t = NULL;
		if (FAILED(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &m)) ||
		    FAILED(IMsgStore_Advise(m, 0, NULL, fnevNewMail | fnevObjectCreated | fnevObjectModified, &sink.itf, &c1)))
			_exit(1);
		ULONG cb = 0, type = 0;
		LPENTRYID eid = NULL;
		LPMAPIFOLDER f = NULL;
		if (FAILED(IMsgStore_GetReceiveFolder(m, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL)) ||
		    FAILED(IMsgStore_OpenEntry(m, cb, eid, NULL, 0, &type, (LPUNKNOWN *)&f)) ||
		    FAILED(IMAPIFolder_GetContentsTable(f, 0, &t)) ||
		    FAILED(IMAPITable_Advise(t, fnevTableModified, &sink.itf, &c2)))
			_exit(1);
		assert_int_equal(write(ready[1], "r", 1), 1);
		for (;;)
			pause();
	}
	char b = 0;
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	close(ready[1]);
	kill(child, SIGSTOP);

	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	LPMAPIXSERVERSTATUS st = NULL;
	double worst = 0, t0 = now_sec();
	int saves = 0;
	ULONG conns = 2;
	while (conns > 1 && saves < 20000 && now_sec() - t0 < 25) {
		for (int i = 0; i < 100; i++) {
			char subj[128];
			snprintf(subj, sizeof subj, "flood %d with a subject long enough to make events of some size", saves++);
			double a = now_sec();
			LPSPropValue e = put_message(inbox, subj, "IPM.Note");
			double took = now_sec() - a;
			if (took > worst)
				worst = took;
			MAPIFreeBuffer(e);
		}
		assert_ok(MAPIXRemoteGetStatus(s.sock, &st));
		conns = st->ulConnections;
		MAPIFreeBuffer(st);
	}
	print_message("stalled peer dropped after %d saves, %.1f s; slowest save %.0f ms\n", saves, now_sec() - t0,
	              worst * 1000);
	/* Dropped, and nobody waited for it. */
	assert_int_equal(conns, 1);
	assert_true(worst < 1.0);
	kill(child, SIGKILL);
	int status;
	waitpid(child, &status, 0);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

/* A client process killed in the middle of its requests (large saves in a
 * loop): the server forgets its connection, and another client goes on. */
static void test_client_killed_mid_request(void **state)
{
	(void)state;
	mapixd s;
	server_start(&s, NULL);
	LPMDB mdb = NULL;
	assert_ok(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	LPMAPIFOLDER inbox = open_inbox(mdb);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		LPMDB m = NULL;
		LPMAPIFOLDER f = NULL;
		ULONG cb = 0, type = 0;
		LPENTRYID eid = NULL;
		static char body[1 << 20];
		memset(body, 'x', sizeof body - 1);
		if (FAILED(MAPIXOpenRemoteStore(s.sock, "mine", MDB_WRITE, &m)) ||
		    FAILED(IMsgStore_GetReceiveFolder(m, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL)) ||
		    FAILED(IMsgStore_OpenEntry(m, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f)))
			_exit(1);
		for (;;) {
			LPMESSAGE msg = NULL;
			SPropValue v = {.ulPropTag = PR_BODY_A, .Value.lpszA = body};
			if (SUCCEEDED(IMAPIFolder_CreateMessage(f, NULL, 0, &msg))) {
				IMessage_SetProps(msg, 1, &v, NULL);
				IMessage_SaveChanges(msg, 0);
				IMessage_Release(msg);
			}
		}
	}
	usleep(400000);
	kill(child, SIGKILL);
	int status;
	waitpid(child, &status, 0);
	/* Its connection goes; this one never noticed. */
	LPMAPIXSERVERSTATUS st = NULL;
	ULONG conns = 2;
	for (int i = 0; i < 200 && conns > 1; i++) {
		assert_ok(MAPIXRemoteGetStatus(s.sock, &st));
		conns = st->ulConnections;
		MAPIFreeBuffer(st);
		if (conns > 1)
			usleep(10000);
	}
	assert_int_equal(conns, 1);
	ULONG before = row_count(inbox);
	LPSPropValue e = put_message(inbox, "after the kill", "IPM.Note");
	MAPIFreeBuffer(e);
	assert_int_equal(row_count(inbox), before + 1);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
	mapixd_stop(&s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	(void)mapixd_start; /* a fixture helper this file does not need (server_start is its own) */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unreachable, mapixd_teardown),
		cmocka_unit_test_teardown(test_accounts, mapixd_teardown),
		cmocka_unit_test_teardown(test_rights_and_admin_access, mapixd_teardown),
		cmocka_unit_test_teardown(test_deliver_right, mapixd_teardown),
		cmocka_unit_test_teardown(test_pushed_notifications, mapixd_teardown),
		cmocka_unit_test_teardown(test_lost_connection, mapixd_teardown),
		cmocka_unit_test_teardown(test_reconnect_advises, mapixd_teardown),
		cmocka_unit_test_teardown(test_limits, mapixd_teardown),
		cmocka_unit_test_teardown(test_hostile_clients, mapixd_teardown),
		cmocka_unit_test_teardown(test_client_stops_reading, mapixd_teardown),
		cmocka_unit_test_teardown(test_client_killed_mid_request, mapixd_teardown),
	};
	return cmocka_run_group_tests_name("mapixd", tests, NULL, NULL);
}
