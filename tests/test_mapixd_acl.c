/*
 * test_mapixd_acl.c — folder permissions enforced by mapixd, end to end:
 * a mailbox owner sets folder ACLs (PR_ACL_TABLE through the remote
 * provider) and other identities, connecting as themselves (threads
 * impersonating system users, SO_PEERCRED), get exactly what the ACLs
 * grant:
 *
 *   - a Reviewer reads but cannot write;
 *   - an Author creates and edits (and deletes) its own items, not others';
 *   - folders without rights are left out of hierarchy tables and refused
 *     on open with MAPI_E_NO_ACCESS and one audit line; an identity no
 *     folder grants anything cannot open the mailbox;
 *   - an Owner-role member changes the folder's ACL;
 *   - a service identity with a "full access" grant still sees everything.
 *
 * Each test starts its own mapixd (as tests/test_mapixd.c does). The
 * identities are the system users nobody (the mailbox owner), daemon, bin
 * and sys: impersonating them needs root, so the tests skip otherwise.
 */
#include "mapixd_fixture.h"

#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#define OWNER_UID 65534 /* nobody: owns alice's mailbox */
#define REVIEWER_UID 1  /* daemon */
#define AUTHOR_UID 2    /* bin */
#define SERVICE_UID 3   /* sys: no folder rights; later a full access grant */

/* ---- a server per test (as in test_mapixd.c) ------------------------------------------------ */

static const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		MAPIX_SKIP("no user with uid %u on this system", (unsigned)uid);
	return pw->pw_name;
}

/* The fixture's server (as tests/test_mapixd.c runs it) with root as its
 * administrator and alice's mailbox, owned by nobody; the tests need root
 * and the four identities. */
static void server_start(mapixd *s)
{
	mapixd_need_root();
	/* All four identities must exist. */
	user_name(OWNER_UID), user_name(REVIEWER_UID), user_name(AUTHOR_UID), user_name(SERVICE_UID);
	const mapixd_opts o = {"mapixd-acl", "testsrv", "root", 2};
	mapixd_start_opts(s, &o, NULL);
	assert_ok(MAPIXRemoteCreateAccount(s->sock, "alice", "Alice Example", "alice@example.org", user_name(OWNER_UID),
	                                   NULL));
}

/* Audit lines with every given word. */
static int audit_lines(const mapixd *s, const char *w1, const char *w2, const char *w3)
{
	FILE *f = fopen(s->audit, "r");
	char line[4096];
	int n = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, w1) && (!w2 || strstr(line, w2)) && (!w3 || strstr(line, w3)))
			n++;
	fclose(f);
	return n;
}

/* ---- work done as another identity ------------------------------------------------------------ */

typedef struct bin {
	ULONG cb;
	BYTE lpb[256];
} bin;

/* What the owner made, for the others to reach by entry ID. */
typedef struct world {
	mapixd *s;
	bin ipm, shared, private_, team, owner_msg;
} world;

/* Work runs in a mapixd_job whose arg is the world. */
static void run_as(world *w, uid_t uid, void (*fn)(mapixd_job *))
{
	mapixd_run_as(w->s, uid, fn, w);
}

#define EXPECT(j, cond)                                                                                   \
	do {                                                                                                  \
		if (!(cond) && !(j)->failures) {                                                                  \
			(j)->failures++;                                                                              \
			snprintf((j)->why, sizeof(j)->why, "line %d: %s is false", __LINE__, #cond);                   \
		}                                                                                                 \
	} while (0)

static void keep_eid(LPVOID obj, bin *out)
{
	LPSPropValue v = NULL;
	if (HrGetOneProp((LPMAPIPROP)obj, PR_ENTRYID, &v) == S_OK && v->Value.bin.cb <= sizeof out->lpb) {
		out->cb = v->Value.bin.cb;
		memcpy(out->lpb, v->Value.bin.lpb, v->Value.bin.cb);
	}
	MAPIFreeBuffer(v);
}

static HRESULT open_eid(LPMDB mdb, const bin *eid, ULONG flags, LPUNKNOWN *out)
{
	ULONG type = 0;
	*out = NULL;
	return IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, out);
}

/* Creates and saves a message; returns it open (read-write). */
static LPMESSAGE new_message(mapixd_job *j, LPMAPIFOLDER f, const char *subject)
{
	LPMESSAGE m = NULL;
	JOB_CHECK(j, IMAPIFolder_CreateMessage(f, NULL, 0, &m), S_OK);
	if (!m)
		return NULL;
	SPropValue v;
	v.ulPropTag = PR_SUBJECT_A;
	v.Value.lpszA = (LPSTR)subject;
	JOB_CHECK(j, IMessage_SetProps(m, 1, &v, NULL), S_OK);
	JOB_CHECK(j, IMessage_SaveChanges(m, KEEP_OPEN_READWRITE), S_OK);
	return m;
}

static HRESULT set_subject(LPMESSAGE m, const char *subject)
{
	SPropValue v;
	v.ulPropTag = PR_SUBJECT_A;
	v.Value.lpszA = (LPSTR)subject;
	HRESULT hr = IMessage_SetProps(m, 1, &v, NULL);
	return FAILED(hr) ? hr : IMessage_SaveChanges(m, KEEP_OPEN_READWRITE);
}

/* Adds (or changes) a member by identity string. */
static HRESULT grant(LPMAPIFOLDER f, const char *identity, LONG rights)
{
	LPEXCHANGEMODIFYTABLE m = NULL;
	HRESULT hr = IMAPIFolder_OpenProperty(f, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, 0, (LPUNKNOWN *)&m);
	if (FAILED(hr))
		return hr;
	SPropValue v[2];
	memset(v, 0, sizeof v);
	v[0].ulPropTag = PR_MAPIX_MEMBER_IDENTITY_A;
	v[0].Value.lpszA = (LPSTR)identity;
	v[1].ulPropTag = PR_MEMBER_RIGHTS;
	v[1].Value.l = rights;
	ROWLIST list = {1, {{ROW_ADD, 2, v}}};
	hr = IExchangeModifyTable_ModifyTable(m, 0, &list);
	IExchangeModifyTable_Release(m);
	return hr;
}

static LONG folder_rights(mapixd_job *j, LPVOID f)
{
	LPSPropValue v = NULL;
	LONG r = -1;
	JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)f, PR_RIGHTS, &v), S_OK);
	if (v)
		r = v->Value.l;
	MAPIFreeBuffer(v);
	return r;
}

/* The display names in a folder's hierarchy table, joined with commas. */
static void hierarchy_names(mapixd_job *j, LPMAPIFOLDER f, char *out, size_t cap)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_DISPLAY_NAME_A}};
	out[0] = 0;
	JOB_CHECK(j, IMAPIFolder_GetHierarchyTable(f, 0, &t), S_OK);
	if (!t)
		return;
	JOB_CHECK(j, HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), S_OK);
	for (ULONG i = 0; rows && i < rows->cRows; i++) {
		LPSPropValue v = &rows->aRow[i].lpProps[0];
		if (PROP_TYPE(v->ulPropTag) == PT_STRING8) {
			if (out[0])
				strncat(out, ",", cap - strlen(out) - 1);
			strncat(out, v->Value.lpszA, cap - strlen(out) - 1);
		}
	}
	if (rows)
		FreeProws(rows);
	IMAPITable_Release(t);
}

static ULONG content_count(mapixd_job *j, LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	ULONG n = 0;
	JOB_CHECK(j, IMAPIFolder_GetContentsTable(f, 0, &t), S_OK);
	if (t) {
		JOB_CHECK(j, IMAPITable_GetRowCount(t, 0, &n), S_OK);
		IMAPITable_Release(t);
	}
	return n;
}

/* ---- the owner sets up ---------------------------------------------------------------------- */

static void owner_setup(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPSPropValue ipm_eid = NULL;
	LPMAPIFOLDER ipm = NULL, shared = NULL, priv = NULL, team = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, NULL, MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &ipm_eid), S_OK);
	if (ipm_eid) {
		ULONG type = 0;
		JOB_CHECK(j, IMsgStore_OpenEntry(mdb, ipm_eid->Value.bin.cb, (LPENTRYID)ipm_eid->Value.bin.lpb, NULL, MAPI_MODIFY,
		                             &type, (LPUNKNOWN *)&ipm),
		      S_OK);
	}
	MAPIFreeBuffer(ipm_eid);
	if (!ipm) {
		IMsgStore_Release(mdb);
		return;
	}
	keep_eid(ipm, &w->ipm);
	JOB_CHECK(j, IMAPIFolder_CreateFolder(ipm, FOLDER_GENERIC, (LPTSTR) "Shared", NULL, NULL, 0, &shared), S_OK);
	JOB_CHECK(j, IMAPIFolder_CreateFolder(ipm, FOLDER_GENERIC, (LPTSTR) "Private", NULL, NULL, 0, &priv), S_OK);
	JOB_CHECK(j, IMAPIFolder_CreateFolder(ipm, FOLDER_GENERIC, (LPTSTR) "Team", NULL, NULL, 0, &team), S_OK);
	if (shared && priv && team) {
		keep_eid(shared, &w->shared);
		keep_eid(priv, &w->private_);
		keep_eid(team, &w->team);
		LPMESSAGE m = new_message(j, shared, "from the owner");
		if (m) {
			keep_eid(m, &w->owner_msg);
			IMessage_Release(m);
		}
		LPMESSAGE p = new_message(j, priv, "secret");
		if (p)
			IMessage_Release(p);
		char who[80];
		/* The IPM subtree: visible to the two members, so they can browse. */
		snprintf(who, sizeof who, "user:%s", user_name(REVIEWER_UID));
		JOB_CHECK(j, grant(ipm, who, ROLE_NONE), S_OK);
		JOB_CHECK(j, grant(shared, who, ROLE_REVIEWER), S_OK);
		JOB_CHECK(j, grant(team, who, ROLE_OWNER), S_OK);
		snprintf(who, sizeof who, "user:%s", user_name(AUTHOR_UID));
		JOB_CHECK(j, grant(ipm, who, ROLE_NONE), S_OK);
		JOB_CHECK(j, grant(shared, who, ROLE_AUTHOR), S_OK);
		/* The owner has every right. */
		EXPECT(j, folder_rights(j, shared) == ROLE_OWNER);
	}
	if (shared)
		IMAPIFolder_Release(shared);
	if (priv)
		IMAPIFolder_Release(priv);
	if (team)
		IMAPIFolder_Release(team);
	IMAPIFolder_Release(ipm);
	IMsgStore_Release(mdb);
}

/* ---- a Reviewer --------------------------------------------------------------------------------- */

static void reviewer_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER ipm = NULL, shared = NULL, priv = NULL;
	LPMESSAGE m = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	/* The subtree shows only the folders it may see. */
	JOB_CHECK(j, open_eid(mdb, &w->ipm, 0, (LPUNKNOWN *)&ipm), S_OK);
	if (ipm) {
		char names[512];
		hierarchy_names(j, ipm, names, sizeof names);
		if (strcmp(names, "Shared,Team") != 0 && strcmp(names, "Team,Shared") != 0 && !j->failures) {
			j->failures++;
			snprintf(j->why, sizeof j->why, "hierarchy shows \"%.400s\", expected Shared and Team", names);
		}
		/* Restricting the table does not bring hidden folders back. */
		LPMAPITABLE t = NULL;
		ULONG n = 0;
		JOB_CHECK(j, IMAPIFolder_GetHierarchyTable(ipm, 0, &t), S_OK);
		if (t) {
			JOB_CHECK(j, IMAPITable_Restrict(t, NULL, 0), S_OK);
			JOB_CHECK(j, IMAPITable_GetRowCount(t, 0, &n), S_OK);
			EXPECT(j, n == 2);
			IMAPITable_Release(t);
		}
		/* Visible only: no items, no writes. */
		LPMAPITABLE c = NULL;
		JOB_CHECK(j, IMAPIFolder_GetContentsTable(ipm, 0, &c), MAPI_E_NO_ACCESS);
		EXPECT(j, folder_rights(j, ipm) == ROLE_NONE);
		IMAPIFolder_Release(ipm);
	}
	/* No rights: refused on open. */
	JOB_CHECK(j, open_eid(mdb, &w->private_, 0, (LPUNKNOWN *)&priv), MAPI_E_NO_ACCESS);
	/* Reviewer: reads the folder and its items ... */
	JOB_CHECK(j, open_eid(mdb, &w->shared, MAPI_BEST_ACCESS, (LPUNKNOWN *)&shared), S_OK);
	if (shared) {
		EXPECT(j, content_count(j, shared) == 1);
		EXPECT(j, folder_rights(j, shared) == ROLE_REVIEWER);
		JOB_CHECK(j, open_eid(mdb, &w->owner_msg, MAPI_BEST_ACCESS, (LPUNKNOWN *)&m), S_OK);
		if (m) {
			LPSPropValue v = NULL;
			JOB_CHECK(j, HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v), S_OK);
			EXPECT(j, v && strcmp(v->Value.lpszA, "from the owner") == 0);
			MAPIFreeBuffer(v);
			/* ... but writes nothing. */
			JOB_CHECK(j, set_subject(m, "changed by a reviewer"), MAPI_E_NO_ACCESS);
			IMessage_Release(m);
		}
		LPMESSAGE n = NULL;
		JOB_CHECK(j, IMAPIFolder_CreateMessage(shared, NULL, 0, &n), MAPI_E_NO_ACCESS);
		SBinary one = {w->owner_msg.cb, w->owner_msg.lpb};
		ENTRYLIST list = {1, &one};
		JOB_CHECK(j, IMAPIFolder_DeleteMessages(shared, &list, 0, NULL, 0), MAPI_E_NO_ACCESS);
		LPMAPIFOLDER sub = NULL;
		JOB_CHECK(j, IMAPIFolder_CreateFolder(shared, FOLDER_GENERIC, (LPTSTR) "Mine", NULL, NULL, 0, &sub),
		      MAPI_E_NO_ACCESS);
		SPropValue name = {PR_DISPLAY_NAME_A, 0, {.lpszA = (LPSTR) "Renamed"}};
		JOB_CHECK(j, IMAPIFolder_SetProps(shared, 1, &name, NULL), MAPI_E_NO_ACCESS);
		/* It sees the ACL, and cannot change it. */
		LPEXCHANGEMODIFYTABLE acl = NULL;
		LPMAPITABLE t = NULL;
		JOB_CHECK(j, IMAPIFolder_OpenProperty(shared, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, 0, (LPUNKNOWN *)&acl),
		      S_OK);
		if (acl) {
			JOB_CHECK(j, IExchangeModifyTable_GetTable(acl, 0, &t), S_OK);
			if (t)
				IMAPITable_Release(t);
			IExchangeModifyTable_Release(acl);
		}
		JOB_CHECK(j, grant(shared, "user:root", ROLE_OWNER), MAPI_E_NO_ACCESS);
		IMAPIFolder_Release(shared);
	}
	/* What reaches beyond the granted folders is refused. */
	LPUNKNOWN journal = NULL;
	JOB_CHECK(j, IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&journal), MAPI_E_NO_ACCESS);
	SPropValue sp = {PR_DISPLAY_NAME_A, 0, {.lpszA = (LPSTR) "x"}};
	JOB_CHECK(j, IMsgStore_SetProps(mdb, 1, &sp, NULL), MAPI_E_NO_ACCESS);
	IMsgStore_Release(mdb);
}

/* ---- an Author -------------------------------------------------------------------------------------- */

static void author_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER shared = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &w->shared, MAPI_BEST_ACCESS, (LPUNKNOWN *)&shared), S_OK);
	if (!shared) {
		IMsgStore_Release(mdb);
		return;
	}
	EXPECT(j, folder_rights(j, shared) == ROLE_AUTHOR);
	/* Creates, and edits its own message, also after opening it anew. */
	LPMESSAGE mine = new_message(j, shared, "by the author");
	bin mine_eid = {0};
	if (mine) {
		keep_eid(mine, &mine_eid);
		JOB_CHECK(j, set_subject(mine, "by the author, edited"), S_OK);
		/* Who created it is the server's to say. */
		SPropValue forge = {PR_MAPIX_CREATOR_IDENTITY_A, 0, {.lpszA = (LPSTR) "user:nobody"}};
		JOB_CHECK(j, IMessage_SetProps(mine, 1, &forge, NULL), MAPI_E_NO_ACCESS);
		IMessage_Release(mine);
	}
	LPMESSAGE again = NULL;
	JOB_CHECK(j, open_eid(mdb, &mine_eid, MAPI_MODIFY, (LPUNKNOWN *)&again), S_OK);
	if (again) {
		JOB_CHECK(j, set_subject(again, "by the author, edited twice"), S_OK);
		/* Nor can a copy carry a creator identity onto another message. */
		LPMESSAGE other = new_message(j, shared, "copy target");
		if (other) {
			static const SizedSPropTagArray(1, creator) = {1, {PR_MAPIX_CREATOR_IDENTITY_W}};
			JOB_CHECK(j, IMessage_CopyProps(again, (LPSPropTagArray)&creator, 0, NULL, &IID_IMessage, other, 0, NULL),
			      MAPI_E_NO_ACCESS);
			SBinary b;
			bin e;
			keep_eid(other, &e);
			b.cb = e.cb;
			b.lpb = e.lpb;
			ENTRYLIST l = {1, &b};
			IMessage_Release(other);
			JOB_CHECK(j, IMAPIFolder_DeleteMessages(shared, &l, 0, NULL, 0), S_OK);
		}
		IMessage_Release(again);
	}
	/* The owner's message: read, not edited, not deleted. */
	LPMESSAGE theirs = NULL;
	JOB_CHECK(j, open_eid(mdb, &w->owner_msg, MAPI_MODIFY, (LPUNKNOWN *)&theirs), S_OK);
	if (theirs) {
		JOB_CHECK(j, set_subject(theirs, "changed by an author"), MAPI_E_NO_ACCESS);
		LPATTACH att = NULL;
		ULONG num = 0;
		JOB_CHECK(j, IMessage_CreateAttach(theirs, NULL, 0, &num, &att), MAPI_E_NO_ACCESS);
		IMessage_Release(theirs);
	}
	SBinary one = {w->owner_msg.cb, w->owner_msg.lpb};
	ENTRYLIST list = {1, &one};
	JOB_CHECK(j, IMAPIFolder_DeleteMessages(shared, &list, 0, NULL, 0), MAPI_E_NO_ACCESS);
	/* Its own it deletes. */
	LPMESSAGE gone = new_message(j, shared, "to be deleted");
	if (gone) {
		bin e;
		keep_eid(gone, &e);
		IMessage_Release(gone);
		SBinary b = {e.cb, e.lpb};
		ENTRYLIST l2 = {1, &b};
		JOB_CHECK(j, IMAPIFolder_DeleteMessages(shared, &l2, 0, NULL, 0), S_OK);
	}
	EXPECT(j, content_count(j, shared) == 2);
	IMAPIFolder_Release(shared);
	IMsgStore_Release(mdb);
}

/* ---- no folder grants it anything ------------------------------------------------------------------------ */

static void stranger_work(mapixd_job *j)
{
	LPMDB mdb = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, "alice", 0, &mdb), MAPI_E_NO_ACCESS);
	if (mdb)
		IMsgStore_Release(mdb);
}

/* ---- an Owner-role member ------------------------------------------------------------------------------ */

static void team_owner_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER team = NULL, sub = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &w->team, MAPI_BEST_ACCESS, (LPUNKNOWN *)&team), S_OK);
	if (team) {
		EXPECT(j, folder_rights(j, team) == ROLE_OWNER);
		char who[80];
		snprintf(who, sizeof who, "user:%s", user_name(AUTHOR_UID));
		JOB_CHECK(j, grant(team, who, ROLE_REVIEWER), S_OK);
		/* A subfolder it makes is its own. */
		JOB_CHECK(j, IMAPIFolder_CreateFolder(team, FOLDER_GENERIC, (LPTSTR) "Sub", NULL, NULL, 0, &sub), S_OK);
		if (sub) {
			EXPECT(j, folder_rights(j, sub) == ROLE_OWNER);
			IMAPIFolder_Release(sub);
		}
		SPropValue name = {PR_COMMENT_A, 0, {.lpszA = (LPSTR) "the team's folder"}};
		JOB_CHECK(j, IMAPIFolder_SetProps(team, 1, &name, NULL), S_OK);
		IMAPIFolder_Release(team);
	}
	IMsgStore_Release(mdb);
}

/* The member the team owner added reads the team folder now. */
static void team_reader_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER team = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", 0, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &w->team, 0, (LPUNKNOWN *)&team), S_OK);
	if (team) {
		EXPECT(j, folder_rights(j, team) == ROLE_REVIEWER);
		EXPECT(j, content_count(j, team) == 0);
		IMAPIFolder_Release(team);
	}
	IMsgStore_Release(mdb);
}

/* ---- a service with full access ----------------------------------------------------------------------- */

static void service_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER ipm = NULL, priv = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &w->ipm, 0, (LPUNKNOWN *)&ipm), S_OK);
	if (ipm) {
		char names[512];
		hierarchy_names(j, ipm, names, sizeof names);
		EXPECT(j, strstr(names, "Private") && strstr(names, "Shared") && strstr(names, "Team") &&
		              strstr(names, "Inbox"));
		IMAPIFolder_Release(ipm);
	}
	JOB_CHECK(j, open_eid(mdb, &w->private_, MAPI_MODIFY, (LPUNKNOWN *)&priv), S_OK);
	if (priv) {
		EXPECT(j, content_count(j, priv) == 1);
		EXPECT(j, folder_rights(j, priv) == ROLE_OWNER);
		IMAPIFolder_Release(priv);
	}
	IMsgStore_Release(mdb);
}

/* ---- the test ---------------------------------------------------------------------------------------------- */

static void test_folder_permissions(void **state)
{
	(void)state;
	mapixd s;
	world w;
	server_start(&s);
	memset(&w, 0, sizeof w);
	w.s = &s;
	run_as(&w, OWNER_UID, owner_setup);
	assert_true(w.shared.cb > 0 && w.owner_msg.cb > 0);

	run_as(&w, REVIEWER_UID, reviewer_work);
	const char *rev = user_name(REVIEWER_UID);
	char idw[100];
	snprintf(idw, sizeof idw, "\"identity\":\"%s\"", rev);
	/* One audit line per denial: the ten of reviewer_work. */
	assert_int_equal(audit_lines(&s, idw, "OpenEntry(folder)", "MAPI_E_NO_ACCESS"), 1);
	assert_int_equal(audit_lines(&s, idw, "GetContentsTable", "MAPI_E_NO_ACCESS"), 1);
	assert_int_equal(audit_lines(&s, idw, "\"mailbox\":\"alice\"", "MAPI_E_NO_ACCESS"), 10);

	run_as(&w, AUTHOR_UID, author_work);
	snprintf(idw, sizeof idw, "\"identity\":\"%s\"", user_name(AUTHOR_UID));
	assert_int_equal(audit_lines(&s, idw, "DeleteMessages", "MAPI_E_NO_ACCESS"), 1);

	/* An identity no folder grants anything cannot open the mailbox. */
	run_as(&w, SERVICE_UID, stranger_work);
	snprintf(idw, sizeof idw, "\"identity\":\"%s\"", user_name(SERVICE_UID));
	assert_int_equal(audit_lines(&s, idw, "OpenMsgStore", "MAPI_E_NO_ACCESS"), 1);

	run_as(&w, REVIEWER_UID, team_owner_work);
	run_as(&w, AUTHOR_UID, team_reader_work);
	/* The owner's five grants and the team owner's one. */
	assert_int_equal(audit_lines(&s, "ModifyTable(ACL", "\"result\":\"S_OK\"", NULL), 6);

	/* A full access grant: the ACLs do not apply. */
	assert_ok(MAPIXRemoteGrant(s.sock, "alice", user_name(SERVICE_UID), MAPIX_GRANT_FULL_ACCESS));
	run_as(&w, SERVICE_UID, service_work);
	mapixd_stop(&s);
}

/* The default member's rights apply to every identity not listed. */
static void default_work(mapixd_job *j)
{
	world *w = j->arg;
	LPMDB mdb = NULL;
	LPMAPIFOLDER shared = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(w->s->sock, "alice", 0, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &w->shared, 0, (LPUNKNOWN *)&shared), S_OK);
	if (shared) {
		EXPECT(j, folder_rights(j, shared) == ROLE_REVIEWER);
		IMAPIFolder_Release(shared);
	}
	LPMAPIFOLDER priv = NULL;
	JOB_CHECK(j, open_eid(mdb, &w->private_, 0, (LPUNKNOWN *)&priv), MAPI_E_NO_ACCESS);
	IMsgStore_Release(mdb);
}

static void owner_sets_default(mapixd_job *j)
{
	LPMDB mdb = NULL;
	LPMAPIFOLDER shared = NULL;
	JOB_CHECK(j, MAPIXOpenRemoteStore(j->s->sock, NULL, MDB_WRITE, &mdb), S_OK);
	if (!mdb)
		return;
	JOB_CHECK(j, open_eid(mdb, &((world *)j->arg)->shared, MAPI_MODIFY, (LPUNKNOWN *)&shared), S_OK);
	if (shared) {
		LPEXCHANGEMODIFYTABLE m = NULL;
		JOB_CHECK(j, IMAPIFolder_OpenProperty(shared, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, 0, (LPUNKNOWN *)&m),
		      S_OK);
		if (m) {
			SPropValue v[2];
			memset(v, 0, sizeof v);
			v[0].ulPropTag = PR_MEMBER_ID;
			v[0].Value.li.QuadPart = 0;
			v[1].ulPropTag = PR_MEMBER_RIGHTS;
			v[1].Value.l = ROLE_REVIEWER;
			ROWLIST list = {1, {{ROW_MODIFY, 2, v}}};
			JOB_CHECK(j, IExchangeModifyTable_ModifyTable(m, 0, &list), S_OK);
			IExchangeModifyTable_Release(m);
		}
		IMAPIFolder_Release(shared);
	}
	IMsgStore_Release(mdb);
}

static void test_default_member(void **state)
{
	(void)state;
	mapixd s;
	world w;
	server_start(&s);
	memset(&w, 0, sizeof w);
	w.s = &s;
	run_as(&w, OWNER_UID, owner_setup);
	run_as(&w, SERVICE_UID, stranger_work);
	run_as(&w, OWNER_UID, owner_sets_default);
	run_as(&w, SERVICE_UID, default_work);
	mapixd_stop(&s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	(void)mapixd_start, (void)mapixd_audit_lines; /* fixture helpers this file does not need */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_folder_permissions, mapixd_teardown),
		cmocka_unit_test_teardown(test_default_member, mapixd_teardown),
	};
	return cmocka_run_group_tests_name("mapixd folder permissions", tests, NULL, NULL);
}
