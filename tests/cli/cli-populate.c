/*
 * cli-populate.c — test helper of the CLI tests (run-cli-tests): fills a
 * mailbox made by `mapix store create` with known content through the
 * public MAPI C API, or damages one on purpose so that `mapix store check`
 * has something to find.
 *
 *   cli-populate fill MAILBOX [BULK]   folders Inbox/Projects/Archive, seven
 *                                      messages with recipients, attachments,
 *                                      an embedded message, named properties
 *                                      of every type and a body too large for
 *                                      GetProps; BULK more messages in
 *                                      Inbox/Projects/Archive
 *   cli-populate contacts MAILBOX      contacts in the Contacts folder: Ann Archer,
 *                                      Bob Baker (two addresses), Chris Cole twice
 *   cli-populate delete-contact MAILBOX NAME   deletes the contacts called NAME
 *   cli-populate break-counts MAILBOX  Inbox's kept PR_CONTENT_COUNT off by one
 *   cli-populate break-index MAILBOX   an index that no longer matches its table
 *
 * Everything is fixed (subjects, senders, times, sizes) so that the expected
 * outputs in tests/cli/cases/ can be compared byte for byte; what cannot be
 * fixed (entry IDs, creation times) the cases filter out. The break-* modes
 * write the SQLite file directly, as only a test may (docs/store.md documents
 * the schema).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapix.h>
#include <mapix/mapixstore.h>
#include <mapix/mapitags.h>

static const char *mailbox;

static void die(const char *what, HRESULT hr)
{
	fprintf(stderr, "cli-populate: %s: %s: %s (0x%08X)\n", mailbox, what, MAPIXGetLastErrorText(), (unsigned)hr);
	exit(1);
}

#define CHECK(what, call)                                                                                          \
	do {                                                                                                        \
		HRESULT hr_ = (call);                                                                               \
		if (FAILED(hr_))                                                                                    \
			die(what, hr_);                                                                             \
	} while (0)

static FILETIME utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return mapix_filetime_from_unix((int64_t)timegm(&tm), 0);
}

static LPMAPIFOLDER open_folder(LPMDB mdb, ULONG cb, LPENTRYID eid)
{
	LPMAPIFOLDER f = NULL;
	ULONG type = 0;
	CHECK("OpenEntry", IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f));
	return f;
}

static LPMAPIFOLDER make_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	CHECK("CreateFolder", IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, OPEN_IF_EXISTS,
	                                                &f));
	return f;
}

typedef struct msg_spec {
	const char *subject, *from, *from_addr, *body;
	FILETIME date;
	BOOL read;
	LONG importance;
} msg_spec;

static void set_common(LPMESSAGE m, const msg_spec *s)
{
	SPropValue v[8];
	ULONG n = 0;
	v[n].ulPropTag = PR_MESSAGE_CLASS_A, v[n++].Value.lpszA = (LPSTR) "IPM.Note";
	v[n].ulPropTag = PR_SUBJECT_A, v[n++].Value.lpszA = (LPSTR)s->subject;
	v[n].ulPropTag = PR_SENDER_NAME_A, v[n++].Value.lpszA = (LPSTR)s->from;
	v[n].ulPropTag = PR_SENDER_EMAIL_ADDRESS_A, v[n++].Value.lpszA = (LPSTR)s->from_addr;
	v[n].ulPropTag = PR_MESSAGE_DELIVERY_TIME, v[n++].Value.ft = s->date;
	v[n].ulPropTag = PR_IMPORTANCE, v[n++].Value.l = s->importance;
	v[n].ulPropTag = PR_MESSAGE_FLAGS, v[n++].Value.l = s->read ? MSGFLAG_READ : 0;
	if (s->body)
		v[n].ulPropTag = PR_BODY_A, v[n++].Value.lpszA = (LPSTR)s->body;
	CHECK("SetProps", IMessage_SetProps(m, n, v, NULL));
}

static void add_recipients(LPMESSAGE m)
{
	static const struct {
		const char *name, *addr;
		LONG type;
	} who[] = {{"Bob Builder", "bob@example.com", MAPI_TO}, {"Carol Singer", "carol@example.com", MAPI_CC}};
	LPADRLIST al = NULL;
	CHECK("MAPIAllocateBuffer", MAPIAllocateBuffer((ULONG)CbNewADRLIST(2), (LPVOID *)&al));
	al->cEntries = 2;
	for (ULONG i = 0; i < 2; i++) {
		LPSPropValue p = NULL;
		CHECK("MAPIAllocateBuffer", MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&p));
		p[0].ulPropTag = PR_DISPLAY_NAME_A, p[0].Value.lpszA = (LPSTR)who[i].name;
		p[1].ulPropTag = PR_EMAIL_ADDRESS_A, p[1].Value.lpszA = (LPSTR)who[i].addr;
		p[2].ulPropTag = PR_ADDRTYPE_A, p[2].Value.lpszA = (LPSTR) "SMTP";
		p[3].ulPropTag = PR_RECIPIENT_TYPE, p[3].Value.l = who[i].type;
		al->aEntries[i].ulReserved1 = 0;
		al->aEntries[i].cValues = 4;
		al->aEntries[i].rgPropVals = p;
	}
	CHECK("ModifyRecipients", IMessage_ModifyRecipients(m, MODRECIP_ADD, al));
	FreePadrlist(al);
}

static void add_file(LPMESSAGE m, const char *name, const char *data)
{
	LPATTACH a = NULL;
	ULONG num = 0;
	CHECK("CreateAttach", IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue v[3];
	v[0].ulPropTag = PR_ATTACH_METHOD, v[0].Value.l = ATTACH_BY_VALUE;
	v[1].ulPropTag = PR_ATTACH_LONG_FILENAME_A, v[1].Value.lpszA = (LPSTR)name;
	v[2].ulPropTag = PR_ATTACH_DATA_BIN, v[2].Value.bin.cb = (ULONG)strlen(data);
	v[2].Value.bin.lpb = (LPBYTE)data;
	CHECK("SetProps (attachment)", IAttach_SetProps(a, 3, v, NULL));
	CHECK("SaveChanges (attachment)", IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
}

static void add_embedded(LPMESSAGE m)
{
	LPATTACH a = NULL;
	LPMESSAGE sub = NULL;
	ULONG num = 0;
	CHECK("CreateAttach", IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue v = {.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_EMBEDDED_MSG};
	CHECK("SetProps (attachment)", IAttach_SetProps(a, 1, &v, NULL));
	CHECK("OpenProperty (embedded)", IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0,
	                                                      MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&sub));
	msg_spec s = {"Lunch?", "Bob Builder", "bob@example.com", "Noon at the usual place?", utc(2024, 3, 2, 12, 0),
	              TRUE, 1};
	set_common(sub, &s);
	CHECK("SaveChanges (embedded)", IMessage_SaveChanges(sub, 0));
	IMessage_Release(sub);
	CHECK("SaveChanges (attachment)", IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
}

/* Named properties of every type the value printer handles. */
static void add_named(LPMESSAGE m)
{
	static GUID ps_public, ps_common, ps_custom = {0x12345678, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};
	ps_public = PS_PUBLIC_STRINGS;
	ps_common = PSETID_Common;
	static WCHAR kw[] = u"Keywords", xd[] = u"x-double", xi[] = u"x-i8", xb[] = u"x-flag", xt[] = u"x-when",
	             xg[] = u"x-guid", xs[] = u"x-short", xf[] = u"x-float", xc[] = u"x-money", xl[] = u"x-numbers";
	MAPINAMEID ids[] = {
		{&ps_public, MNID_STRING, {.lpwstrName = kw}}, {&ps_common, MNID_ID, {.lID = 0x8580}},
		{&ps_custom, MNID_STRING, {.lpwstrName = xd}}, {&ps_custom, MNID_STRING, {.lpwstrName = xi}},
		{&ps_custom, MNID_STRING, {.lpwstrName = xb}}, {&ps_custom, MNID_STRING, {.lpwstrName = xt}},
		{&ps_custom, MNID_STRING, {.lpwstrName = xg}}, {&ps_custom, MNID_STRING, {.lpwstrName = xs}},
		{&ps_custom, MNID_STRING, {.lpwstrName = xf}}, {&ps_custom, MNID_STRING, {.lpwstrName = xc}},
		{&ps_custom, MNID_STRING, {.lpwstrName = xl}},
	};
	enum { N = sizeof ids / sizeof ids[0] };
	LPMAPINAMEID pids[N];
	for (int i = 0; i < N; i++)
		pids[i] = &ids[i];
	LPSPropTagArray tags = NULL;
	CHECK("GetIDsFromNames", IMessage_GetIDsFromNames(m, N, pids, MAPI_CREATE, &tags));
	static const ULONG types[N] = {PT_MV_STRING8, PT_STRING8, PT_DOUBLE, PT_I8,       PT_BOOLEAN,  PT_SYSTIME,
	                               PT_CLSID,      PT_SHORT,   PT_FLOAT,  PT_CURRENCY, PT_MV_LONG};
	SPropValue v[N];
	memset(v, 0, sizeof v);
	for (int i = 0; i < N; i++)
		v[i].ulPropTag = CHANGE_PROP_TYPE(tags->aulPropTag[i], types[i]);
	static LPSTR words[] = {(LPSTR) "alpha", (LPSTR) "beta \"quoted\""};
	static LONG numbers[] = {1, -2, 30000};
	v[0].Value.MVszA.cValues = 2, v[0].Value.MVszA.lppszA = words;
	v[1].Value.lpszA = (LPSTR) "Follow up\ttomorrow";
	v[2].Value.dbl = 2.5;
	v[3].Value.li.QuadPart = -1234567890123LL;
	v[4].Value.b = TRUE;
	v[5].Value.ft = utc(2024, 12, 31, 23, 59);
	v[6].Value.lpguid = &ps_custom;
	v[7].Value.i = -7;
	v[8].Value.flt = 0.25f;
	v[9].Value.cur.int64 = 123456; /* 12.3456 */
	v[10].Value.MVl.cValues = 3, v[10].Value.MVl.lpl = numbers;
	CHECK("SetProps (named)", IMessage_SetProps(m, N, v, NULL));
	MAPIFreeBuffer(tags);
}

static void fill(int bulk)
{
	LPMDB mdb = NULL;
	CHECK("MAPIXOpenLocalStore", MAPIXOpenLocalStore(mailbox, MDB_WRITE, &mdb));
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	CHECK("GetReceiveFolder", IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	LPMAPIFOLDER inbox = open_folder(mdb, cb, eid);
	MAPIFreeBuffer(eid);
	LPMAPIFOLDER projects = make_folder(inbox, "Projects");
	LPMAPIFOLDER archive = make_folder(projects, "Archive");

	static const char big_body[] = "Line one\nLine two\r\nA tab\there and a backslash \\ too.";
	const msg_spec inbox_msgs[] = {
		{"Quarterly report", "Alice Example", "alice@example.com", "Numbers attached.", utc(2024, 3, 1, 9, 30), TRUE,
		 2},
		{"Lunch?", "Bob Builder", "bob@example.com", "Noon at the usual place?", utc(2024, 3, 2, 12, 0), FALSE, 1},
		{"Weekly report draft", "Carol Singer", "carol@example.com", big_body, utc(2024, 3, 3, 8, 15), FALSE, 1},
		{"Re: Lunch?", "Alice Example", "alice@example.com", "Yes, see the forwarded invitation.",
		 utc(2024, 3, 2, 12, 30), TRUE, 1},
		{"Caf\xC3\xA9 menu \xE2\x98\x95", "Dan D\xC3\xBCrr", "dan@example.com", NULL, utc(2024, 3, 4, 0, 0), FALSE,
		 0},
	};
	for (size_t i = 0; i < sizeof inbox_msgs / sizeof inbox_msgs[0]; i++) {
		LPMESSAGE m = NULL;
		CHECK("CreateMessage", IMAPIFolder_CreateMessage(inbox, NULL, 0, &m));
		set_common(m, &inbox_msgs[i]);
		if (i == 0) {
			add_recipients(m);
			add_file(m, "report.csv", "quarter,revenue\nQ1,100\n");
		}
		if (i == 2)
			add_named(m);
		if (i == 3)
			add_embedded(m);
		CHECK("SaveChanges", IMessage_SaveChanges(m, 0));
		IMessage_Release(m);
	}
	/* One folder-associated message (a hidden configuration item). */
	LPMESSAGE fai = NULL;
	CHECK("CreateMessage (associated)", IMAPIFolder_CreateMessage(inbox, NULL, MAPI_ASSOCIATED, &fai));
	SPropValue cls = {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Configuration.Test"};
	CHECK("SetProps", IMessage_SetProps(fai, 1, &cls, NULL));
	CHECK("SaveChanges", IMessage_SaveChanges(fai, 0));
	IMessage_Release(fai);

	const msg_spec project_msgs[] = {
		{"Plan", "Alice Example", "alice@example.com", "The plan.", utc(2024, 2, 1, 10, 0), TRUE, 1},
		{"Budget", "Bob Builder", "bob@example.com", "The budget.", utc(2024, 2, 2, 10, 0), FALSE, 1},
	};
	for (size_t i = 0; i < 2; i++) {
		LPMESSAGE m = NULL;
		CHECK("CreateMessage", IMAPIFolder_CreateMessage(projects, NULL, 0, &m));
		set_common(m, &project_msgs[i]);
		if (i == 1) {
			/* A body too large for GetProps: PT_ERROR MAPI_E_NOT_ENOUGH_MEMORY
			 * in listings (docs/store.md, LOCAL_LARGE_VALUE). */
			static char big[40001];
			memset(big, 'x', sizeof big - 1);
			SPropValue v = {.ulPropTag = PR_BODY_A, .Value.lpszA = big};
			CHECK("SetProps (large body)", IMessage_SetProps(m, 1, &v, NULL));
		}
		CHECK("SaveChanges", IMessage_SaveChanges(m, 0));
		IMessage_Release(m);
	}
	for (int i = 0; i < bulk; i++) {
		char subject[64];
		snprintf(subject, sizeof subject, "Bulk message %04d", i + 1);
		msg_spec s = {subject, i % 2 ? "Even Sender" : "Odd Sender", "bulk@example.com", "bulk",
		              utc(2024, 1, 1 + i / 24 % 28, i % 24, 0), i % 3 == 0, 1};
		LPMESSAGE m = NULL;
		CHECK("CreateMessage", IMAPIFolder_CreateMessage(archive, NULL, 0, &m));
		set_common(m, &s);
		CHECK("SaveChanges", IMessage_SaveChanges(m, 0));
		IMessage_Release(m);
	}
	IMAPIFolder_Release(archive);
	IMAPIFolder_Release(projects);
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

/* The Contacts folder (PR_IPM_CONTACT_ENTRYID of the root). */
static LPMAPIFOLDER open_contacts(LPMDB mdb)
{
	LPMAPIFOLDER root = open_folder(mdb, 0, NULL);
	LPSPropValue v = NULL;
	CHECK("PR_IPM_CONTACT_ENTRYID", HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v));
	LPMAPIFOLDER f = open_folder(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb);
	MAPIFreeBuffer(v);
	IMAPIFolder_Release(root);
	return f;
}

/* A contact with Email1 (and Email2 when addr2 is given), PSETID_Address
 * LIDs 0x8080/0x8082/0x8083 and 0x8090/0x8092/0x8093 (MS-OXPROPS). */
static void add_contact(LPMAPIFOLDER f, const char *name, const char *addr1, const char *addr2)
{
	LPMESSAGE m = NULL;
	CHECK("CreateMessage", IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	static GUID ps_address;
	ps_address = PSETID_Address;
	static const LONG lids[6] = {0x8080, 0x8082, 0x8083, 0x8090, 0x8092, 0x8093};
	MAPINAMEID ids[6];
	LPMAPINAMEID pids[6];
	for (int i = 0; i < 6; i++) {
		ids[i].lpguid = &ps_address, ids[i].ulKind = MNID_ID, ids[i].Kind.lID = lids[i];
		pids[i] = &ids[i];
	}
	LPSPropTagArray tags = NULL;
	CHECK("GetIDsFromNames", IMessage_GetIDsFromNames(m, 6, pids, MAPI_CREATE, &tags));
	SPropValue v[8];
	const char *vals[6] = {name, "SMTP", addr1, name, "SMTP", addr2};
	int n = 0;
	v[n].ulPropTag = PR_MESSAGE_CLASS_A, v[n++].Value.lpszA = (LPSTR) "IPM.Contact";
	v[n].ulPropTag = PR_DISPLAY_NAME_A, v[n++].Value.lpszA = (LPSTR)name;
	for (int i = 0; i < (addr2 ? 6 : 3); i++)
		v[n].ulPropTag = CHANGE_PROP_TYPE(tags->aulPropTag[i], PT_STRING8), v[n++].Value.lpszA = (LPSTR)vals[i];
	CHECK("SetProps (contact)", IMessage_SetProps(m, (ULONG)n, v, NULL));
	CHECK("SaveChanges (contact)", IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	MAPIFreeBuffer(tags);
}

static void contacts(const char *delete_name)
{
	LPMDB mdb = NULL;
	CHECK("MAPIXOpenLocalStore", MAPIXOpenLocalStore(mailbox, MDB_WRITE, &mdb));
	LPMAPIFOLDER f = open_contacts(mdb);
	if (!delete_name) {
		add_contact(f, "Ann Archer", "ann@example.com", NULL);
		add_contact(f, "Bob Baker", "bob@example.com", "bob.baker@work.example");
		add_contact(f, "Chris Cole", "chris@example.com", NULL);
		add_contact(f, "Chris Cole", "chris.cole@other.example", NULL);
	} else {
		LPMAPITABLE t = NULL;
		LPSRowSet rows = NULL;
		static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_DISPLAY_NAME_A}};
		CHECK("GetContentsTable", IMAPIFolder_GetContentsTable(f, 0, &t));
		CHECK("HrQueryAllRows", HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
		for (ULONG i = 0; i < rows->cRows; i++) {
			LPSPropValue p = rows->aRow[i].lpProps;
			if (PROP_TYPE(p[1].ulPropTag) != PT_STRING8 || strcmp(p[1].Value.lpszA, delete_name) != 0)
				continue;
			ENTRYLIST el = {1, &p[0].Value.bin};
			CHECK("DeleteMessages", IMAPIFolder_DeleteMessages(f, &el, 0, NULL, 0));
		}
		FreeProws(rows);
		IMAPITable_Release(t);
	}
	IMAPIFolder_Release(f);
	IMsgStore_Release(mdb);
}

static void sql(const char *statements)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	if (sqlite3_open_v2(mailbox, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, statements, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "cli-populate: %s: %s\n", mailbox, err ? err : sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: cli-populate fill|break-counts|break-index MAILBOX [BULK]\n");
		return 2;
	}
	mailbox = argv[2];
	if (strcmp(argv[1], "fill") == 0) {
		CHECK("MAPIInitialize", MAPIInitialize(NULL));
		fill(argc > 3 ? atoi(argv[3]) : 0);
		MAPIUninitialize();
	} else if (strcmp(argv[1], "contacts") == 0 || strcmp(argv[1], "delete-contact") == 0) {
		CHECK("MAPIInitialize", MAPIInitialize(NULL));
		contacts(argv[1][0] == 'd' ? (argc > 3 ? argv[3] : "") : NULL);
		MAPIUninitialize();
	} else if (strcmp(argv[1], "break-counts") == 0) {
		/* fid 3 is the Inbox (docs/store.md, "A new mailbox"). */
		sql("UPDATE folders SET content_count = content_count + 1 WHERE fid = 3");
	} else if (strcmp(argv[1], "break-index") == 0) {
		/* The index keeps its entries but claims another column: every
		 * entry is then "missing" for integrity_check, while nothing that
		 * opens the mailbox reads that index. */
		sql("PRAGMA writable_schema = ON;"
		    "UPDATE sqlite_master SET sql = 'CREATE INDEX changes_by_object ON changes(time)'"
		    " WHERE name = 'changes_by_object';"
		    "PRAGMA writable_schema = OFF;");
	} else {
		fprintf(stderr, "cli-populate: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}
