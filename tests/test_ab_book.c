/*
 * test_ab_book.c — IAddrBook from IMAPISession::OpenAddressBook over a
 * profile with a local mailbox: CreateOneOff (Unicode and 8-bit) and
 * OpenEntry on it, the root's hierarchy (the Contacts folder), a
 * container's contents, ResolveName (unique, by prefix, ambiguous, not
 * found, an address that becomes a one-off, entries already resolved left
 * alone), PrepareRecips, OpenEntry on a contact (IMailUser) and on a personal
 * distribution list (IDistList, its members as contents rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static char *tmp;
static LPMAPISESSION session;
static LPADRBOOK ab;
static SBinary list_eid; /* the "Team" list's message entry ID */

static ULONG named(LPMAPIPROP obj, ULONG lid, ULONG type)
{
	MAPINAMEID n = {(LPGUID)&PSETID_Address, MNID_ID, {.lID = (LONG)lid}}, *pn = &n;
	LPSPropTagArray ta;
	assert_int_equal(obj->lpVtbl->GetIDsFromNames(obj, 1, &pn, MAPI_CREATE, &ta), S_OK);
	ULONG tag = PROP_TAG(type, PROP_ID(ta->aulPropTag[0]));
	MAPIFreeBuffer(ta);
	return tag;
}

static void make_contact(LPMAPIFOLDER f, const char *name, const char *addr, SBinary *eid)
{
	LPMESSAGE m;
	assert_int_equal(f->lpVtbl->CreateMessage(f, NULL, 0, &m), S_OK);
	SPropValue v[5] = {
		{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Contact"},
		{.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR)name},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_DISPLAY_NAME, PT_STRING8), .Value.lpszA = (LPSTR)name},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_ADDRTYPE, PT_STRING8), .Value.lpszA = "SMTP"},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_ADDRESS, PT_STRING8), .Value.lpszA = (LPSTR)addr},
	};
	assert_int_equal(m->lpVtbl->SetProps(m, 5, v, NULL), S_OK);
	assert_int_equal(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE), S_OK);
	if (eid) {
		LPSPropValue p;
		assert_int_equal(HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &p), S_OK);
		eid->cb = p->Value.bin.cb;
		eid->lpb = malloc(eid->cb);
		memcpy(eid->lpb, p->Value.bin.lpb, eid->cb);
		MAPIFreeBuffer(p);
	}
	m->lpVtbl->Release(m);
}

static void fill_store(const char *path)
{
	LPMDB mdb;
	LPMAPIFOLDER root, contacts;
	ULONG type;
	LPSPropValue v;
	assert_int_equal(MAPIXOpenLocalStore(path, MDB_WRITE, &mdb), S_OK);
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root), S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v), S_OK);
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                                        (LPUNKNOWN *)&contacts),
	                 S_OK);
	MAPIFreeBuffer(v);
	SBinary ann;
	make_contact(contacts, "Ann Archer", "ann@example.com", &ann);
	make_contact(contacts, "Bob Baker", "bob@example.com", NULL);
	make_contact(contacts, "Chris Cole", "chris@example.com", NULL);
	make_contact(contacts, "Chris Cooper", "cc@example.com", NULL);
	/* "Team": Ann (contact) and a one-off. */
	MAPIX_DL_MEMBER m[2];
	assert_int_equal(mapix_dl_member_contact(ann.cb, ann.lpb, 1, "Ann Archer", "SMTP", "ann@example.com", NULL, &m[0]),
	                 S_OK);
	assert_int_equal(mapix_dl_member_oneoff("Dan Dee", "SMTP", "dan@example.com", NULL, &m[1]), S_OK);
	LPMESSAGE msg;
	assert_int_equal(contacts->lpVtbl->CreateMessage(contacts, NULL, 0, &msg), S_OK);
	assert_int_equal(mapix_dl_write((LPMAPIPROP)msg, "Team", 2, m, 0), S_OK);
	assert_int_equal(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READONLY), S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &v), S_OK);
	list_eid.cb = v->Value.bin.cb;
	list_eid.lpb = malloc(list_eid.cb);
	memcpy(list_eid.lpb, v->Value.bin.lpb, list_eid.cb);
	MAPIFreeBuffer(v);
	msg->lpVtbl->Release(msg);
	MAPIFreeBuffer(m[0].member.lpb);
	MAPIFreeBuffer(m[1].member.lpb);
	free(ann.lpb);
	contacts->lpVtbl->Release(contacts);
	root->lpVtbl->Release(root);
	mdb->lpVtbl->Release(mdb);
}

static int setup(void **state)
{
	(void)state;
	tmp = mapix_test_tmpdir("abbook");
	char *sysconf = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", sysconf, 1);
	free(sysconf);
	char dir[4096], path[4096];
	snprintf(dir, sizeof dir, "%s/profiles", tmp);
	snprintf(path, sizeof path, "%s/alice.mapix", tmp);
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, dir};
	if (MAPIInitialize(&init) != S_OK)
		return -1;
	LPMDB mdb;
	if (MAPIXOpenLocalStore(path, MAPIX_STORE_CREATE | MDB_WRITE, &mdb) != S_OK)
		return -1;
	mdb->lpVtbl->Release(mdb);
	fill_store(path);
	/* A profile with that mailbox. */
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE table;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	if (MAPIAdminProfiles(0, &admin) != S_OK || admin->lpVtbl->CreateProfile(admin, (LPTSTR) "alice", NULL, 0, 0) ||
	    admin->lpVtbl->AdminServices(admin, (LPTSTR) "alice", NULL, 0, 0, &svc) ||
	    svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", (LPTSTR) "Mailbox", 0, 0) ||
	    svc->lpVtbl->GetMsgServiceTable(svc, 0, &table) ||
	    HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows))
		return -1;
	SPropValue cfg[1] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = path}};
	HRESULT hr = svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 1, cfg);
	FreeProws(rows);
	table->lpVtbl->Release(table);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);
	if (hr != S_OK ||
	    MAPILogonEx(0, (LPTSTR) "alice", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE, &session))
		return -1;
	return session->lpVtbl->OpenAddressBook(session, 0, NULL, 0, &ab) == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ab->lpVtbl->Release(ab);
	session->lpVtbl->Logoff(session, 0, 0, 0);
	session->lpVtbl->Release(session);
	MAPIUninitialize();
	free(list_eid.lpb);
	mapix_test_rmtree(tmp);
	free(tmp);
	return 0;
}

/* The value of tag in an object (PT_UNICODE as UTF-8 into buf). */
static const char *str_prop(LPMAPIPROP obj, ULONG tag, char *buf, size_t cap)
{
	LPSPropValue v;
	assert_int_equal(HrGetOneProp(obj, tag, &v), S_OK);
	mapix_utf16_to_utf8_buf(v->Value.lpszW, mapix_wcslen(v->Value.lpszW), buf, cap);
	MAPIFreeBuffer(v);
	return buf;
}

static LONG long_prop(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v;
	assert_int_equal(HrGetOneProp(obj, tag, &v), S_OK);
	LONG l = v->Value.l;
	MAPIFreeBuffer(v);
	return l;
}

static void test_one_off(void **state)
{
	(void)state;
	ULONG cb, type;
	LPENTRYID eid;
	char buf[256];
	/* Unicode, no rich info: MS-OXCDATA's flags word 0x8001. */
	assert_int_equal(ab->lpVtbl->CreateOneOff(ab, (LPTSTR)u"Zoë Z", (LPTSTR)u"SMTP", (LPTSTR)u"zoe@example.com",
	                                          MAPI_UNICODE | MAPI_SEND_NO_RICH_INFO, &cb, &eid),
	                 S_OK);
	const BYTE *p = (const BYTE *)eid;
	assert_int_equal(p[22], 0x01);
	assert_int_equal(p[23], 0x80);
	LPMAILUSER mu;
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, cb, eid, NULL, 0, &type, (LPUNKNOWN *)&mu), S_OK);
	assert_int_equal(type, MAPI_MAILUSER);
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_DISPLAY_NAME_W, buf, sizeof buf), "Zoë Z");
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_EMAIL_ADDRESS_W, buf, sizeof buf), "zoe@example.com");
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_SMTP_ADDRESS_W, buf, sizeof buf), "zoe@example.com");
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_ADDRTYPE_W, buf, sizeof buf), "SMTP");
	assert_int_equal(long_prop((LPMAPIPROP)mu, PR_OBJECT_TYPE), MAPI_MAILUSER);
	assert_int_equal(long_prop((LPMAPIPROP)mu, PR_DISPLAY_TYPE), DT_MAILUSER);
	LPSPropValue v;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)mu, PR_SEND_RICH_INFO, &v), S_OK);
	assert_false(v->Value.b);
	MAPIFreeBuffer(v);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)mu, PR_ENTRYID, &v), S_OK);
	assert_int_equal(v->Value.bin.cb, cb);
	assert_memory_equal(v->Value.bin.lpb, eid, cb);
	MAPIFreeBuffer(v);
	/* Read-only, and an IMailUser. */
	SPropValue set = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = "x"};
	assert_int_equal(HrSetOneProp((LPMAPIPROP)mu, &set), MAPI_E_NO_ACCESS);
	LPUNKNOWN again;
	assert_int_equal(mu->lpVtbl->QueryInterface(mu, &IID_IMailUser, (LPVOID *)&again), S_OK);
	again->lpVtbl->Release(again);
	assert_int_equal(mu->lpVtbl->QueryInterface(mu, &IID_IDistList, (LPVOID *)&again), E_NOINTERFACE);
	mu->lpVtbl->Release(mu);

	/* 8-bit: no Unicode bit, strings as bytes; the same recipient. */
	ULONG cb2, same = 0;
	LPENTRYID eid2;
	assert_int_equal(ab->lpVtbl->CreateOneOff(ab, (LPTSTR) "Zoe", (LPTSTR) "SMTP", (LPTSTR) "ZOE@example.com", 0, &cb2,
	                                          &eid2),
	                 S_OK);
	assert_int_equal(((BYTE *)eid2)[23], 0);
	assert_int_equal(cb2, 24 + 4 + 5 + 16);
	assert_int_equal(ab->lpVtbl->CompareEntryIDs(ab, cb, eid, cb2, eid2, 0, &same), S_OK);
	assert_true(same);
	assert_int_equal(ab->lpVtbl->CreateOneOff(ab, NULL, (LPTSTR) "SMTP", (LPTSTR) "a@b", 0x4, &cb2, &eid2),
	                 MAPI_E_UNKNOWN_FLAGS);
	MAPIFreeBuffer(eid2);
	MAPIFreeBuffer(eid);
	/* Entry IDs nobody owns. */
	BYTE junk[24] = {0};
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, sizeof junk, (LPENTRYID)junk, NULL, 0, &type, (LPUNKNOWN *)&mu),
	                 MAPI_E_UNKNOWN_ENTRYID);
}

static void test_hierarchy_and_contents(void **state)
{
	(void)state;
	ULONG type;
	LPABCONT root, cont;
	LPMAPITABLE t;
	LPSRowSet rows;
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root), S_OK);
	assert_int_equal(type, MAPI_ABCONT);
	assert_int_equal(root->lpVtbl->GetHierarchyTable(root, 0, &t), S_OK);
	static const SizedSPropTagArray(3, hcols) = {3, {PR_ENTRYID, PR_DISPLAY_NAME_A, PR_OBJECT_TYPE}};
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&hcols, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 1);
	assert_string_equal(rows->aRow[0].lpProps[1].Value.lpszA, "Contacts");
	assert_int_equal(rows->aRow[0].lpProps[2].Value.l, MAPI_ABCONT);
	assert_int_equal(root->lpVtbl->OpenEntry(root, rows->aRow[0].lpProps[0].Value.bin.cb,
	                                         (LPENTRYID)rows->aRow[0].lpProps[0].Value.bin.lpb, NULL, 0, &type,
	                                         (LPUNKNOWN *)&cont),
	                 S_OK);
	FreeProws(rows);
	t->lpVtbl->Release(t);
	root->lpVtbl->Release(root);
	assert_int_equal(cont->lpVtbl->GetContentsTable(cont, 0, &t), S_OK);
	static const SizedSPropTagArray(4, ccols) = {4, {PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A, PR_DISPLAY_TYPE, PR_ENTRYID}};
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&ccols, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 5); /* four contacts and the list */
	int lists = 0;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		/* Outlook's Contact Address Book provider UID. */
		assert_int_equal(p[3].Value.bin.lpb[4], 0xFE);
		assert_int_equal(p[3].Value.bin.lpb[5], 0x42);
		if (p[2].Value.l == (LONG)DT_PRIVATE_DISTLIST) {
			lists++;
			assert_string_equal(p[0].Value.lpszA, "Team");
		}
	}
	assert_int_equal(lists, 1);
	FreeProws(rows);
	t->lpVtbl->Release(t);
	assert_int_equal(cont->lpVtbl->GetHierarchyTable(cont, 0, &t), MAPI_E_NO_SUPPORT);
	cont->lpVtbl->Release(cont);
}

/* An ADRLIST of display names (8-bit), with PR_RECIPIENT_TYPE. */
static LPADRLIST names(int n, const char **v)
{
	LPADRLIST l;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewADRLIST(n), (LPVOID *)&l), S_OK);
	l->cEntries = (ULONG)n;
	for (int i = 0; i < n; i++) {
		LPSPropValue p;
		assert_int_equal(MAPIAllocateBuffer(2 * sizeof *p + 64, (LPVOID *)&p), S_OK);
		p[0].ulPropTag = PR_DISPLAY_NAME_A;
		p[0].Value.lpszA = (LPSTR)(p + 2);
		snprintf(p[0].Value.lpszA, 64, "%s", v[i]);
		p[1].ulPropTag = PR_RECIPIENT_TYPE;
		p[1].Value.l = MAPI_TO;
		l->aEntries[i].ulReserved1 = 0;
		l->aEntries[i].cValues = 2;
		l->aEntries[i].rgPropVals = p;
	}
	return l;
}

static const SPropValue *find(const ADRENTRY *e, ULONG tag)
{
	for (ULONG i = 0; i < e->cValues; i++)
		if (e->rgPropVals[i].ulPropTag == tag)
			return &e->rgPropVals[i];
	return NULL;
}

static void test_resolve_name(void **state)
{
	(void)state;
	/* Unique by full name, by address, by a prefix of a word, and an
	 * address that is nobody's: a one-off. */
	const char *ok[] = {"Ann Archer", "bob@example.com", "Coo", "someone@else.example"};
	LPADRLIST l = names(4, ok);
	assert_int_equal(ab->lpVtbl->ResolveName(ab, 0, 0, NULL, l), S_OK);
	const char *want[][2] = {{"Ann Archer", "ann@example.com"},
	                         {"Bob Baker", "bob@example.com"},
	                         {"Chris Cooper", "cc@example.com"},
	                         {"someone@else.example", "someone@else.example"}};
	for (int i = 0; i < 4; i++) {
		const ADRENTRY *e = &l->aEntries[i];
		assert_string_equal(find(e, PR_DISPLAY_NAME_A)->Value.lpszA, want[i][0]);
		assert_string_equal(find(e, PR_EMAIL_ADDRESS_A)->Value.lpszA, want[i][1]);
		assert_string_equal(find(e, PR_ADDRTYPE_A)->Value.lpszA, "SMTP");
		assert_non_null(find(e, PR_ENTRYID));
		assert_int_equal(find(e, PR_RECIPIENT_TYPE)->Value.l, MAPI_TO); /* kept */
		assert_int_equal(find(e, PR_OBJECT_TYPE)->Value.l, MAPI_MAILUSER);
	}
	/* The resolved contact opens as IMailUser with its current address. */
	const SPropValue *eid = find(&l->aEntries[0], PR_ENTRYID);
	ULONG type;
	LPMAILUSER mu;
	char buf[256];
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, &IID_IMailUser, 0,
	                                       &type, (LPUNKNOWN *)&mu),
	                 S_OK);
	assert_int_equal(type, MAPI_MAILUSER);
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_SMTP_ADDRESS_W, buf, sizeof buf), "ann@example.com");
	assert_string_equal(str_prop((LPMAPIPROP)mu, PR_DISPLAY_NAME_W, buf, sizeof buf), "Ann Archer");
	assert_int_equal(long_prop((LPMAPIPROP)mu, PR_DISPLAY_TYPE), DT_MAILUSER);
	mu->lpVtbl->Release(mu);
	/* PrepareRecips: the asked-for properties first, in order, read from
	 * the entry; the recipient's own (PR_RECIPIENT_TYPE) after them. */
	SizedSPropTagArray(3, want_cols) = {3, {PR_SMTP_ADDRESS_A, PR_DISPLAY_TYPE, PR_ENTRYID}};
	assert_int_equal(ab->lpVtbl->PrepareRecips(ab, 0, (LPSPropTagArray)&want_cols, l), S_OK);
	for (int i = 0; i < 4; i++) {
		const ADRENTRY *e = &l->aEntries[i];
		assert_int_equal(e->rgPropVals[0].ulPropTag, PR_SMTP_ADDRESS_A);
		assert_string_equal(e->rgPropVals[0].Value.lpszA, want[i][1]);
		assert_int_equal(e->rgPropVals[1].ulPropTag, PR_DISPLAY_TYPE);
		assert_int_equal(e->rgPropVals[2].ulPropTag, PR_ENTRYID);
		assert_int_equal(find(e, PR_RECIPIENT_TYPE)->Value.l, MAPI_TO);
	}
	/* Already resolved: a second call changes nothing and succeeds. */
	assert_int_equal(ab->lpVtbl->ResolveName(ab, 0, MAPI_UNICODE, NULL, l), S_OK);
	assert_non_null(find(&l->aEntries[0], PR_DISPLAY_NAME_A));
	FreePadrlist(l);

	/* Ambiguous wins over not found; the unique one still resolves. */
	const char *bad[] = {"Chris", "Ann", "Zed Nobody"};
	l = names(3, bad);
	assert_int_equal(ab->lpVtbl->ResolveName(ab, 0, MAPI_UNICODE, NULL, l), MAPI_E_AMBIGUOUS_RECIP);
	const ADRENTRY *ents = l->aEntries; /* MAPI_DIM: index through a pointer */
	assert_null(find(&ents[0], PR_ENTRYID));
	assert_non_null(find(&ents[1], PR_ENTRYID));
	assert_non_null(find(&ents[1], PR_DISPLAY_NAME_W)); /* MAPI_UNICODE: wide strings */
	assert_null(find(&ents[2], PR_ENTRYID));
	FreePadrlist(l);
	const char *none[] = {"Zed Nobody"};
	l = names(1, none);
	assert_int_equal(ab->lpVtbl->ResolveName(ab, 0, 0, NULL, l), MAPI_E_NOT_FOUND);
	assert_string_equal(find(&l->aEntries[0], PR_DISPLAY_NAME_A)->Value.lpszA, "Zed Nobody");
	FreePadrlist(l);
	/* The list resolves too, as a private distribution list. */
	const char *team[] = {"Team"};
	l = names(1, team);
	assert_int_equal(ab->lpVtbl->ResolveName(ab, 0, 0, NULL, l), S_OK);
	assert_int_equal(find(&l->aEntries[0], PR_DISPLAY_TYPE)->Value.l, DT_PRIVATE_DISTLIST);
	assert_int_equal(find(&l->aEntries[0], PR_OBJECT_TYPE)->Value.l, MAPI_DISTLIST);
	FreePadrlist(l);
}

static void test_distlist(void **state)
{
	(void)state;
	SBinary eid;
	assert_int_equal(mapix_contab_eid_build(MAPIX_CONTAB_DISTLIST, 0xFF, list_eid.cb, list_eid.lpb, NULL, &eid), S_OK);
	ULONG type;
	LPDISTLIST dl;
	char buf[256];
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, eid.cb, (LPENTRYID)eid.lpb, NULL, 0, &type, (LPUNKNOWN *)&dl), S_OK);
	assert_int_equal(type, MAPI_DISTLIST);
	assert_string_equal(str_prop((LPMAPIPROP)dl, PR_DISPLAY_NAME_W, buf, sizeof buf), "Team");
	assert_int_equal(long_prop((LPMAPIPROP)dl, PR_DISPLAY_TYPE), DT_PRIVATE_DISTLIST);
	assert_int_equal(long_prop((LPMAPIPROP)dl, PR_OBJECT_TYPE), MAPI_DISTLIST);
	LPMAPITABLE t;
	LPSRowSet rows;
	assert_int_equal(dl->lpVtbl->GetContentsTable(dl, 0, &t), S_OK);
	static const SizedSPropTagArray(4, cols) = {4, {PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A, PR_ENTRYID, PR_OBJECT_TYPE}};
	assert_int_equal(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 2);
	assert_string_equal(rows->aRow[0].lpProps[0].Value.lpszA, "Ann Archer");
	assert_string_equal(rows->aRow[0].lpProps[1].Value.lpszA, "ann@example.com");
	assert_string_equal(rows->aRow[1].lpProps[0].Value.lpszA, "Dan Dee");
	assert_string_equal(rows->aRow[1].lpProps[1].Value.lpszA, "dan@example.com");
	/* Each member's entry ID opens through the address book. */
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPMAILUSER mu;
		SBinary *b = &rows->aRow[i].lpProps[2].Value.bin;
		assert_int_equal(dl->lpVtbl->OpenEntry(dl, b->cb, (LPENTRYID)b->lpb, NULL, 0, &type, (LPUNKNOWN *)&mu), S_OK);
		assert_int_equal(type, MAPI_MAILUSER);
		assert_string_equal(str_prop((LPMAPIPROP)mu, PR_EMAIL_ADDRESS_W, buf, sizeof buf),
		                    rows->aRow[i].lpProps[1].Value.lpszA);
		mu->lpVtbl->Release(mu);
	}
	FreeProws(rows);
	t->lpVtbl->Release(t);
	assert_int_equal(dl->lpVtbl->GetHierarchyTable(dl, 0, &t), MAPI_E_NO_SUPPORT);
	dl->lpVtbl->Release(dl);
	MAPIFreeBuffer(eid.lpb);
	/* Write access is refused. */
	assert_int_equal(ab->lpVtbl->OpenEntry(ab, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&dl), MAPI_E_NO_ACCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_off),
		cmocka_unit_test(test_hierarchy_and_contents),
		cmocka_unit_test(test_resolve_name),
		cmocka_unit_test(test_distlist),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
