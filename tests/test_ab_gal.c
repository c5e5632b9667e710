/*
 * test_ab_gal.c — the global address list from mapixd's account directory:
 * a mapixd of its own with three accounts, a profile whose store is one of
 * them (MAPIX_REMOTE), and the address book over it: the "Global Address
 * List" container in the root's hierarchy with one row per account,
 * ResolveName finding an account by display name and by SMTP address
 * (Address Book EntryIDs with the account's DN), OpenEntry giving the
 * IMailUser (PR_ADDRTYPE "EX", PR_EMAIL_ADDRESS the DN, PR_SMTP_ADDRESS),
 * the directory operation itself (operation 180) refusing what it does
 * not know, and a service identity (an administrator of mapixd) writing
 * and expanding a personal distribution list in another mailbox's Contacts
 * folder, opened with admin privilege (both the property and the stream
 * form travel through the protocol). Skips visibly when mapixd is not
 * built.
 */
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
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static char *tmp;
static char sock[700];
static pid_t server_pid;
static BOOL carol_other; /* carol's mailbox is not the test user's */

static const char *mapixd_path(void)
{
	static char path[4096];
	const char *b = getenv("MAPIX_BUILD_DIR");
	snprintf(path, sizeof path, "%s/src/server/mapixd", b ? b : ".");
	return access(path, X_OK) == 0 ? path : NULL;
}

static BOOL can_connect(void)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof a.sun_path, "%.100s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	BOOL ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *me(void)
{
	struct passwd *pw = getpwuid(geteuid());
	return pw ? pw->pw_name : "root";
}

/* mapixd with the test's user as administrator, accounts alice (the
 * profile's store) and bob owned by the test's user, carol by nobody. */
static BOOL start_server(void)
{
	char conf[800], data[800];
	snprintf(sock, sizeof sock, "%s/mapixd.sock", tmp);
	snprintf(conf, sizeof conf, "%s/mapixd.conf", tmp);
	snprintf(data, sizeof data, "%s/data", tmp);
	FILE *f = fopen(conf, "w");
	if (!f)
		return FALSE;
	fprintf(f, "[server]\nname = galsrv\nsocket = %s\ndata_dir = %s\n[rights]\nadministrators = %s\n[audit]\nfile = %s/audit.log\n",
	        sock, data, me(), tmp);
	fclose(f);
	server_pid = fork();
	if (server_pid == 0) {
		char log[800];
		snprintf(log, sizeof log, "%s/mapixd.log", tmp);
		if (freopen(log, "a", stdout) && freopen(log, "a", stderr))
			execl(mapixd_path(), "mapixd", "--config", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !can_connect(); i++)
		usleep(10000);
	return can_connect() &&
	       MAPIXRemoteCreateAccount(sock, "alice", "Alice Example", "alice@example.org", me(), NULL) == S_OK &&
	       MAPIXRemoteCreateAccount(sock, "bob", "Bob Builder", "bob@example.org", me(), NULL) == S_OK &&
	       /* carol belongs to someone else: the test's user reaches her
	        * mailbox only as an administrator, with admin privilege. */
	       MAPIXRemoteCreateAccount(sock, "carol", "Carol Singer", "carol@example.org",
	                                (carol_other = getpwnam("nobody") && geteuid() != 65534) ? "nobody" : me(),
	                                NULL) == S_OK;
}

typedef struct fixture {
	LPMAPISESSION session;
	LPADRBOOK ab;
} fixture;

static int setup(void **state)
{
	static fixture fx;
	*state = &fx;
	tmp = mapix_test_tmpdir("abgal");
	chmod(tmp, 0755);
	if (!mapixd_path())
		return 0; /* each test skips */
	char *sysconf = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", sysconf, 1);
	free(sysconf);
	char dir[800];
	snprintf(dir, sizeof dir, "%s/profiles", tmp);
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, dir};
	if (MAPIInitialize(&init) != S_OK || !start_server())
		return -1;
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE table;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	if (MAPIAdminProfiles(0, &admin) != S_OK || admin->lpVtbl->CreateProfile(admin, (LPTSTR) "work", NULL, 0, 0) ||
	    admin->lpVtbl->AdminServices(admin, (LPTSTR) "work", NULL, 0, 0, &svc) ||
	    svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_REMOTE", (LPTSTR) "Mailbox", 0, 0) ||
	    svc->lpVtbl->GetMsgServiceTable(svc, 0, &table) ||
	    HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows))
		return -1;
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_REMOTE_SERVER_A, .Value.lpszA = sock},
	                     {.ulPropTag = PR_MAPIX_REMOTE_MAILBOX_A, .Value.lpszA = "alice"}};
	HRESULT hr = svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg);
	FreeProws(rows);
	table->lpVtbl->Release(table);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);
	if (hr != S_OK ||
	    MAPILogonEx(0, (LPTSTR) "work", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &fx.session))
		return -1;
	return fx.session->lpVtbl->OpenAddressBook(fx.session, 0, NULL, 0, &fx.ab) == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	if (fx->ab)
		fx->ab->lpVtbl->Release(fx->ab);
	if (fx->session) {
		fx->session->lpVtbl->Logoff(fx->session, 0, 0, 0);
		fx->session->lpVtbl->Release(fx->session);
	}
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		int status;
		waitpid(server_pid, &status, 0);
		MAPIUninitialize();
	}
	mapix_test_rmtree(tmp);
	free(tmp);
	return 0;
}

static void need_server(void)
{
	if (!mapixd_path())
		MAPIX_SKIP("mapixd is not built (src/server is not part of this build)");
}

static void test_gal_container(void **state)
{
	need_server();
	fixture *fx = *state;
	ULONG type;
	LPABCONT root, gal;
	LPMAPITABLE t;
	LPSRowSet rows;
	assert_int_equal(fx->ab->lpVtbl->OpenEntry(fx->ab, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root), S_OK);
	assert_int_equal(root->lpVtbl->GetHierarchyTable(root, 0, &t), S_OK);
	static const SizedSPropTagArray(3, hcols) = {3, {PR_ENTRYID, PR_DISPLAY_NAME_A, PR_DISPLAY_TYPE}};
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&hcols, NULL, NULL, 0, &rows), S_OK);
	/* The directory first (it comes with the store), then its Contacts. */
	assert_int_equal(rows->cRows, 2);
	assert_string_equal(rows->aRow[0].lpProps[1].Value.lpszA, "Global Address List");
	assert_int_equal(rows->aRow[0].lpProps[2].Value.l, (LONG)DT_GLOBAL);
	assert_string_equal(rows->aRow[1].lpProps[1].Value.lpszA, "Contacts");
	assert_int_equal(fx->ab->lpVtbl->OpenEntry(fx->ab, rows->aRow[0].lpProps[0].Value.bin.cb,
	                                           (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, &IID_IABContainer, 0,
	                                           &type, (LPUNKNOWN *)&gal),
	                 S_OK);
	FreeProws(rows);
	t->lpVtbl->Release(t);
	root->lpVtbl->Release(root);
	assert_int_equal(gal->lpVtbl->GetContentsTable(gal, 0, &t), S_OK);
	static const SizedSPropTagArray(3, ccols) = {3, {PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A, PR_ADDRTYPE_A}};
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&ccols, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 3);
	int seen = 0;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		assert_string_equal(p[2].Value.lpszA, "EX");
		if (strcmp(p[0].Value.lpszA, "Bob Builder") == 0) {
			assert_string_equal(p[1].Value.lpszA, "/o=mapix/ou=galsrv/cn=Recipients/cn=bob");
			seen++;
		}
	}
	assert_int_equal(seen, 1);
	FreeProws(rows);
	t->lpVtbl->Release(t);
	gal->lpVtbl->Release(gal);
}

static void test_gal_resolve_and_open(void **state)
{
	need_server();
	fixture *fx = *state;
	LPADRLIST l;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewADRLIST(2), (LPVOID *)&l), S_OK);
	l->cEntries = 2;
	const char *names[2] = {"Bob", "carol@example.org"};
	for (int i = 0; i < 2; i++) {
		LPSPropValue p;
		assert_int_equal(MAPIAllocateBuffer(sizeof *p + 64, (LPVOID *)&p), S_OK);
		p->ulPropTag = PR_DISPLAY_NAME_A;
		p->Value.lpszA = (LPSTR)(p + 1);
		snprintf(p->Value.lpszA, 64, "%s", names[i]);
		l->aEntries[i].ulReserved1 = 0;
		l->aEntries[i].cValues = 1;
		l->aEntries[i].rgPropVals = p;
	}
	assert_int_equal(fx->ab->lpVtbl->ResolveName(fx->ab, 0, 0, NULL, l), S_OK);
	const ADRENTRY *ents = l->aEntries;
	const char *want[2][3] = {{"Bob Builder", "/o=mapix/ou=galsrv/cn=Recipients/cn=bob", "bob@example.org"},
	                          {"Carol Singer", "/o=mapix/ou=galsrv/cn=Recipients/cn=carol", "carol@example.org"}};
	for (int i = 0; i < 2; i++) {
		const SPropValue *eid = NULL, *name = NULL, *addr = NULL, *smtp = NULL, *type = NULL;
		for (ULONG k = 0; k < ents[i].cValues; k++) {
			const SPropValue *v = &ents[i].rgPropVals[k];
			eid = v->ulPropTag == PR_ENTRYID ? v : eid;
			name = v->ulPropTag == PR_DISPLAY_NAME_A ? v : name;
			addr = v->ulPropTag == PR_EMAIL_ADDRESS_A ? v : addr;
			smtp = v->ulPropTag == PR_SMTP_ADDRESS_A ? v : smtp;
			type = v->ulPropTag == PR_ADDRTYPE_A ? v : type;
		}
		assert_non_null(eid);
		assert_string_equal(name->Value.lpszA, want[i][0]);
		assert_string_equal(addr->Value.lpszA, want[i][1]);
		assert_string_equal(smtp->Value.lpszA, want[i][2]);
		assert_string_equal(type->Value.lpszA, "EX");
		/* An Address Book EntryID with the DN, which opens as IMailUser. */
		ULONG t = 9;
		LPSTR dn;
		assert_int_equal(mapix_ab_eid_parse(eid->Value.bin.cb, eid->Value.bin.lpb, &t, NULL, &dn), S_OK);
		assert_int_equal(t, MAPIX_AB_DT_MAILUSER);
		assert_string_equal(dn, want[i][1]);
		MAPIFreeBuffer(dn);
		ULONG objtype;
		LPMAILUSER mu;
		assert_int_equal(fx->ab->lpVtbl->OpenEntry(fx->ab, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb,
		                                           &IID_IMailUser, 0, &objtype, (LPUNKNOWN *)&mu),
		                 S_OK);
		assert_int_equal(objtype, MAPI_MAILUSER);
		LPSPropValue v;
		assert_int_equal(HrGetOneProp((LPMAPIPROP)mu, PR_SMTP_ADDRESS_A, &v), S_OK);
		assert_string_equal(v->Value.lpszA, want[i][2]);
		MAPIFreeBuffer(v);
		assert_int_equal(HrGetOneProp((LPMAPIPROP)mu, PR_DISPLAY_TYPE, &v), S_OK);
		assert_int_equal(v->Value.l, DT_MAILUSER);
		MAPIFreeBuffer(v);
		mu->lpVtbl->Release(mu);
	}
	FreePadrlist(l);
	/* An account the directory does not have. */
	SBinary none;
	ULONG objtype;
	LPMAILUSER mu;
	assert_int_equal(mapix_ab_eid_build(0, "/o=mapix/ou=galsrv/cn=Recipients/cn=nobody", NULL, &none), S_OK);
	assert_int_equal(fx->ab->lpVtbl->OpenEntry(fx->ab, none.cb, (LPENTRYID)none.lpb, NULL, 0, &objtype,
	                                           (LPUNKNOWN *)&mu),
	                 MAPI_E_NOT_FOUND);
	MAPIFreeBuffer(none.lpb);
}

static void test_directory_operation(void **state)
{
	need_server();
	(void)state;
	/* Straight on a store of the server, as the address book asks. */
	LPMDB mdb;
	LPMAPITABLE t;
	ULONG n = 0;
	assert_int_equal(MAPIXOpenRemoteStore(sock, "bob", 0, &mdb), S_OK);
	assert_int_equal(mdb->lpVtbl->OpenProperty(mdb, PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPITable, 0, 0, (LPUNKNOWN *)&t),
	                 S_OK);
	assert_int_equal(t->lpVtbl->GetRowCount(t, 0, &n), S_OK);
	assert_int_equal(n, 3);
	/* Nothing private travels: no Unix owner, no file, no size. */
	LPSPropTagArray cols = NULL;
	assert_int_equal(t->lpVtbl->QueryColumns(t, TBL_ALL_COLUMNS, &cols), S_OK);
	for (ULONG i = 0; i < cols->cValues; i++) {
		assert_int_not_equal(PROP_ID(cols->aulPropTag[i]), PROP_ID(PR_MESSAGE_SIZE_EXTENDED));
		assert_int_not_equal(PROP_ID(cols->aulPropTag[i]), PROP_ID(PR_MAPIX_STORE_PATH));
	}
	MAPIFreeBuffer(cols);
	t->lpVtbl->Release(t);
	assert_int_equal(mdb->lpVtbl->OpenProperty(mdb, PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPIProp, 0, 0, (LPUNKNOWN *)&t),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	mdb->lpVtbl->Release(mdb);
}

static void collect(void *ctx, enum mapix_dl_event ev, LPCSTR name, LPCSTR type, LPCSTR addr, LPCSTR list)
{
	(void)name, (void)type, (void)list;
	int *counts = ctx;
	counts[ev]++;
	if (ev == MAPIX_DL_RECIPIENT)
		assert_non_null(strstr(addr, "@example.org"));
}

static void test_dl_in_another_mailbox(void **state)
{
	need_server();
	(void)state;
	/* The service identity opens carol's mailbox by CreateStoreEntryID
	 * with admin privilege, as HrMailboxLogon does, and finds her
	 * Contacts folder through PR_IPM_CONTACT_ENTRYID. */
	LPMDB mdb;
	if (carol_other) /* not as her owner */
		assert_int_equal(MAPIXOpenRemoteStore(sock, "carol", 0, &mdb), MAPI_E_NO_ACCESS);
	assert_int_equal(MAPIXMailboxLogon(sock, NULL, "carol", OPENSTORE_USE_ADMIN_PRIVILEGE, MDB_WRITE, &mdb), S_OK);
	LPMAPIFOLDER root, contacts;
	ULONG type;
	LPSPropValue v;
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root), S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v), S_OK);
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY,
	                                        &type, (LPUNKNOWN *)&contacts),
	                 S_OK);
	MAPIFreeBuffer(v);
	root->lpVtbl->Release(root);
	/* 200 one-offs (past 15,000 bytes: the stream) in "Everyone", and a
	 * small "Team" holding two of them and "Everyone". */
	enum { N = 200 };
	MAPIX_DL_MEMBER *m = calloc(N + 1, sizeof *m);
	for (int i = 0; i < N; i++) {
		char name[64], addr[64];
		snprintf(name, sizeof name, "Member number %03d", i);
		snprintf(addr, sizeof addr, "member%03d@example.org", i);
		assert_int_equal(mapix_dl_member_oneoff(name, "SMTP", addr, NULL, &m[i]), S_OK);
	}
	LPMESSAGE msg;
	SBinary everyone, team;
	LPMESSAGE lists[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(contacts->lpVtbl->CreateMessage(contacts, NULL, 0, &msg), S_OK);
		if (k == 0) {
			assert_int_equal(mapix_dl_write((LPMAPIPROP)msg, "Everyone", N, m, 0), S_OK);
		} else {
			MAPIX_DL_MEMBER t[3] = {m[0], m[1]};
			assert_int_equal(mapix_dl_member_list(everyone.cb, everyone.lpb, "Everyone", NULL, &t[2]), S_OK);
			assert_int_equal(mapix_dl_write((LPMAPIPROP)msg, "Team", 3, t, 0), S_OK);
			MAPIFreeBuffer(t[2].member.lpb);
		}
		assert_int_equal(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READONLY), S_OK);
		assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &v), S_OK);
		SBinary *dst = k == 0 ? &everyone : &team;
		dst->cb = v->Value.bin.cb;
		dst->lpb = malloc(dst->cb);
		memcpy(dst->lpb, v->Value.bin.lpb, dst->cb);
		MAPIFreeBuffer(v);
		lists[k] = msg;
	}
	MAPIX_DL *dl;
	assert_int_equal(mapix_dl_read((LPMAPIPROP)lists[0], &dl), S_OK);
	assert_true(dl->fFromStream);
	assert_int_equal(dl->cMembers, N);
	MAPIFreeBuffer(dl);
	assert_int_equal(mapix_dl_read((LPMAPIPROP)lists[1], &dl), S_OK);
	assert_false(dl->fFromStream);
	assert_true(dl->fChecksumOK);
	MAPIFreeBuffer(dl);
	lists[0]->lpVtbl->Release(lists[0]);
	lists[1]->lpVtbl->Release(lists[1]);
	int counts[5] = {0};
	assert_int_equal(mapix_dl_expand(mdb, team.cb, (LPENTRYID)team.lpb, collect, counts), S_OK);
	assert_int_equal(counts[MAPIX_DL_RECIPIENT], N);
	assert_int_equal(counts[MAPIX_DL_DUPLICATE], 2); /* members 0 and 1 again in Everyone */
	assert_int_equal(counts[MAPIX_DL_CYCLE], 0);
	for (int i = 0; i < N; i++)
		MAPIFreeBuffer(m[i].member.lpb);
	free(m);
	free(everyone.lpb);
	free(team.lpb);
	contacts->lpVtbl->Release(contacts);
	mdb->lpVtbl->Release(mdb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gal_container),
		cmocka_unit_test(test_gal_resolve_and_open),
		cmocka_unit_test(test_directory_operation),
		cmocka_unit_test(test_dl_in_another_mailbox),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
