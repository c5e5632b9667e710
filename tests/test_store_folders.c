/*
 * test_store_folders.c — folders of a message store through the public API
 * only (IMsgStore, IMAPIFolder, IMessage): the standard folders of a new
 * mailbox and the properties that point to them, creating, renaming,
 * copying, moving and deleting folders, hierarchy tables, the kept counts
 * and the identity properties (entry IDs, source and change keys).
 *
 * The "open a store" step goes through store_hook_open (tests/store_hook.h),
 * so the same suite can later run against the remote provider.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "store_hook.h"

/* ---- helpers ------------------------------------------------------------------- */

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER root, ipm;
} fixture;

static HRESULT open_store(const char *path, BOOL create, LPMDB *lppMDB)
{
	return store_hook_open(path, MDB_WRITE | (create ? MAPIX_STORE_CREATE : 0), lppMDB);
}

/* An owned copy of a binary value (entry IDs, keys). */
typedef struct bin {
	ULONG cb;
	BYTE *lpb;
} bin;

static bin bin_dup(const SBinary *b)
{
	bin r = {b->cb, malloc(b->cb ? b->cb : 1)};
	assert_non_null(r.lpb);
	memcpy(r.lpb, b->lpb, b->cb);
	return r;
}

static void bin_free(bin *b)
{
	free(b->lpb);
	b->lpb = NULL;
	b->cb = 0;
}

static BOOL bin_eq(const bin *a, const SBinary *b)
{
	return a->cb == b->cb && memcmp(a->lpb, b->lpb, a->cb) == 0;
}

static LPSPropValue get_prop(LPVOID obj, ULONG tag)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)obj, tag, &v);
	if (hr != S_OK)
		fail_msg("GetProps(0x%08X) failed: 0x%08X (%s)", (unsigned)tag, (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(v->ulPropTag, tag);
	return v;
}

static LONG get_long(LPVOID obj, ULONG tag)
{
	LPSPropValue v = get_prop(obj, tag);
	LONG l = PROP_TYPE(tag) == PT_BOOLEAN ? (LONG)v->Value.b : v->Value.l;
	MAPIFreeBuffer(v);
	return l;
}

static bin get_bin(LPVOID obj, ULONG tag)
{
	LPSPropValue v = get_prop(obj, tag);
	bin b = bin_dup(&v->Value.bin);
	MAPIFreeBuffer(v);
	return b;
}

static void assert_name(LPVOID obj, const char *want)
{
	LPSPropValue v = get_prop(obj, PR_DISPLAY_NAME_A);
	if (strcmp(v->Value.lpszA, want) != 0)
		fail_msg("display name \"%s\", expected \"%s\"", v->Value.lpszA, want);
	MAPIFreeBuffer(v);
}

static LPMAPIFOLDER open_folder(LPMDB mdb, const bin *eid, ULONG flags)
{
	ULONG type = 0;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, &unk);
	if (hr != S_OK)
		fail_msg("OpenEntry(folder) failed: 0x%08X (%s)", (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, MAPI_FOLDER);
	return (LPMAPIFOLDER)unk;
}

static LPMESSAGE open_message(LPMDB mdb, const bin *eid, ULONG flags)
{
	ULONG type = 0;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, &unk);
	if (hr != S_OK)
		fail_msg("OpenEntry(message) failed: 0x%08X (%s)", (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, MAPI_MESSAGE);
	return (LPMESSAGE)unk;
}

static LPMAPIFOLDER open_by_prop(LPMDB mdb, LPVOID holder, ULONG tag)
{
	bin eid = get_bin(holder, tag);
	LPMAPIFOLDER f = open_folder(mdb, &eid, MAPI_MODIFY);
	bin_free(&eid);
	return f;
}

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_true(cb > 0);
	bin b = {cb, (BYTE *)eid};
	LPMAPIFOLDER f = open_folder(mdb, &b, MAPI_MODIFY);
	MAPIFreeBuffer(eid);
	return f;
}

static LPMAPIFOLDER create_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	HRESULT hr = IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, 0, &f);
	if (hr != S_OK)
		fail_msg("CreateFolder(\"%s\") failed: 0x%08X (%s)", name, (unsigned)hr, MAPIXGetLastErrorText());
	return f;
}

/* Saves a new message with a subject in folder; returns its entry ID. */
static bin save_message(LPMAPIFOLDER folder, const char *subject, ULONG create_flags)
{
	LPMESSAGE m = NULL;
	SPropValue pv[2];
	assert_ok(IMAPIFolder_CreateMessage(folder, NULL, create_flags, &m));
	pv[0].ulPropTag = PR_SUBJECT_A;
	pv[0].Value.lpszA = (LPSTR)subject;
	pv[1].ulPropTag = PR_MESSAGE_CLASS_A;
	pv[1].Value.lpszA = (LPSTR) "IPM.Note";
	assert_ok(IMessage_SetProps(m, 2, pv, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	bin eid = get_bin(m, PR_ENTRYID);
	IMessage_Release(m);
	return eid;
}

static void entrylist_one(const bin *eid, SBinary *sb, ENTRYLIST *el)
{
	sb->cb = eid->cb;
	sb->lpb = eid->lpb;
	el->cValues = 1;
	el->lpbin = sb;
}

/* The row of a hierarchy table whose PR_DISPLAY_NAME_A is name, or -1. */
static int find_row(LPSRowSet rows, const char *name)
{
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue v = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_DISPLAY_NAME_A);
		if (v && strcmp(v->Value.lpszA, name) == 0)
			return (int)i;
	}
	return -1;
}

static LPSRowSet hierarchy_rows(LPMAPIFOLDER f, ULONG flags)
{
	static const SizedSPropTagArray(6, cols) = {
		6, {PR_DISPLAY_NAME_A, PR_ENTRYID, PR_DEPTH, PR_CONTENT_COUNT, PR_CONTENT_UNREAD, PR_SUBFOLDERS}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMAPIFolder_GetHierarchyTable(f, flags, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	return rows;
}

static LONG row_long(LPSRowSet rows, int i, ULONG tag)
{
	assert_true(i >= 0);
	LPSPropValue v = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, tag);
	if (!v)
		fail_msg("row %d has no property 0x%08X", i, (unsigned)tag);
	return PROP_TYPE(tag) == PT_BOOLEAN ? (LONG)v->Value.b : v->Value.l;
}

/* Subjects of a folder's contents, counted (rows of the contents table). */
static ULONG contents_count(LPMAPIFOLDER f, ULONG flags)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(f, flags, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	ULONG n = rows->cRows;
	FreeProws(rows);
	IMAPITable_Release(t);
	return n;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	ULONG type;
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-folders");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(open_store(fx->path, TRUE, &fx->mdb));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->root));
	assert_int_equal(type, MAPI_FOLDER);
	fx->ipm = open_by_prop(fx->mdb, fx->mdb, PR_IPM_SUBTREE_ENTRYID);
	*state = fx;
	return 0;
}

static void close_store(fixture *fx)
{
	if (fx->ipm)
		IMAPIFolder_Release(fx->ipm);
	if (fx->root)
		IMAPIFolder_Release(fx->root);
	if (fx->mdb)
		IMsgStore_Release(fx->mdb);
	fx->ipm = fx->root = NULL;
	fx->mdb = NULL;
}

static void reopen_store(fixture *fx)
{
	ULONG type;
	close_store(fx);
	assert_ok(open_store(fx->path, FALSE, &fx->mdb));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->root));
	fx->ipm = open_by_prop(fx->mdb, fx->mdb, PR_IPM_SUBTREE_ENTRYID);
}

static int teardown(void **state)
{
	fixture *fx = *state;
	close_store(fx);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- standard folders -------------------------------------------------------------- */

static void check_pointer(LPMDB mdb, LPVOID holder, ULONG tag, const char *name, const bin *parent_eid)
{
	LPMAPIFOLDER f = open_by_prop(mdb, holder, tag);
	assert_name(f, name);
	if (parent_eid) {
		LPSPropValue p = get_prop(f, PR_PARENT_ENTRYID);
		if (!bin_eq(parent_eid, &p->Value.bin))
			fail_msg("folder \"%s\" (tag 0x%08X) is not where it belongs", name, (unsigned)tag);
		MAPIFreeBuffer(p);
	}
	IMAPIFolder_Release(f);
}

static void test_standard_folders(void **state)
{
	fixture *fx = *state;
	bin root_eid = get_bin(fx->root, PR_ENTRYID);
	bin ipm_eid = get_bin(fx->ipm, PR_ENTRYID);

	/* The root is its own parent; the IPM subtree hangs under it. */
	LPSPropValue p = get_prop(fx->ipm, PR_PARENT_ENTRYID);
	assert_true(bin_eq(&root_eid, &p->Value.bin));
	MAPIFreeBuffer(p);
	assert_name(fx->ipm, "Top of Information Store");

	/* Pointers on the store object. */
	check_pointer(fx->mdb, fx->mdb, PR_IPM_OUTBOX_ENTRYID, "Outbox", &ipm_eid);
	check_pointer(fx->mdb, fx->mdb, PR_IPM_SENTMAIL_ENTRYID, "Sent Items", &ipm_eid);
	check_pointer(fx->mdb, fx->mdb, PR_IPM_WASTEBASKET_ENTRYID, "Deleted Items", &ipm_eid);

	/* The Inbox is the default receive folder. */
	LPMAPIFOLDER inbox = open_inbox(fx->mdb);
	assert_name(inbox, "Inbox");
	p = get_prop(inbox, PR_PARENT_ENTRYID);
	assert_true(bin_eq(&ipm_eid, &p->Value.bin));
	MAPIFreeBuffer(p);

	/* Special folder pointers on the Inbox and the root (MS-OXOSFLD 2.2.2/2.2.3),
	 * equal on both. */
	static const struct {
		ULONG tag;
		const char *name;
	} special[] = {
		{PR_IPM_CONTACT_ENTRYID, "Contacts"}, {PR_IPM_APPOINTMENT_ENTRYID, "Calendar"},
		{PR_IPM_DRAFTS_ENTRYID, "Drafts"},    {PR_IPM_JOURNAL_ENTRYID, "Journal"},
		{PR_IPM_NOTE_ENTRYID, "Notes"},       {PR_IPM_TASK_ENTRYID, "Tasks"},
	};
	for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
		bin a = get_bin(inbox, special[i].tag), b = get_bin(fx->root, special[i].tag);
		SBinary sb = {b.cb, b.lpb};
		if (!bin_eq(&a, &sb))
			fail_msg("%s: the Inbox and the root disagree", special[i].name);
		check_pointer(fx->mdb, inbox, special[i].tag, special[i].name, &ipm_eid);
		bin_free(&a);
		bin_free(&b);
	}

	/* PR_ADDITIONAL_REN_ENTRYIDS: Junk E-mail at index 4 (MS-OXOSFLD 2.2.4). */
	p = get_prop(inbox, PR_ADDITIONAL_REN_ENTRYIDS);
	assert_true(p->Value.MVbin.cValues >= 5);
	bin junk = bin_dup(&p->Value.MVbin.lpbin[4]);
	MAPIFreeBuffer(p);
	LPMAPIFOLDER jf = open_folder(fx->mdb, &junk, 0);
	assert_name(jf, "Junk E-mail");
	IMAPIFolder_Release(jf);
	LPSPropValue rp = NULL;
	if (HrGetOneProp((LPMAPIPROP)fx->root, PR_ADDITIONAL_REN_ENTRYIDS, &rp) == S_OK) {
		assert_true(rp->Value.MVbin.cValues >= 5);
		assert_true(bin_eq(&junk, &rp->Value.MVbin.lpbin[4]));
		MAPIFreeBuffer(rp);
	}
	bin_free(&junk);

	/* PR_VALID_FOLDER_MASK names the folders that exist, and those do. */
	ULONG mask = (ULONG)get_long(fx->mdb, PR_VALID_FOLDER_MASK);
	const ULONG required = FOLDER_IPM_SUBTREE_VALID | FOLDER_IPM_INBOX_VALID | FOLDER_IPM_OUTBOX_VALID |
	                       FOLDER_IPM_WASTEBASKET_VALID | FOLDER_IPM_SENTMAIL_VALID | FOLDER_FINDER_VALID;
	if ((mask & required) != required)
		fail_msg("PR_VALID_FOLDER_MASK 0x%08X lacks 0x%08X", (unsigned)mask, (unsigned)(required & ~mask));
	static const struct {
		ULONG bit, tag;
	} by_bit[] = {
		{FOLDER_IPM_SUBTREE_VALID, PR_IPM_SUBTREE_ENTRYID}, {FOLDER_IPM_OUTBOX_VALID, PR_IPM_OUTBOX_ENTRYID},
		{FOLDER_IPM_WASTEBASKET_VALID, PR_IPM_WASTEBASKET_ENTRYID},
		{FOLDER_IPM_SENTMAIL_VALID, PR_IPM_SENTMAIL_ENTRYID}, {FOLDER_VIEWS_VALID, PR_VIEWS_ENTRYID},
		{FOLDER_COMMON_VIEWS_VALID, PR_COMMON_VIEWS_ENTRYID}, {FOLDER_FINDER_VALID, PR_FINDER_ENTRYID},
	};
	for (size_t i = 0; i < sizeof by_bit / sizeof by_bit[0]; i++) {
		if (!(mask & by_bit[i].bit))
			continue;
		LPMAPIFOLDER f = open_by_prop(fx->mdb, fx->mdb, by_bit[i].tag);
		IMAPIFolder_Release(f);
	}

	/* The IPM subtree lists the standard IPM folders. */
	LPSRowSet rows = hierarchy_rows(fx->ipm, 0);
	static const char *const names[] = {"Inbox", "Outbox", "Sent Items", "Deleted Items", "Drafts", "Contacts",
	                                    "Calendar", "Journal", "Notes", "Tasks", "Junk E-mail"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (find_row(rows, names[i]) < 0)
			fail_msg("the IPM subtree has no \"%s\"", names[i]);
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), (LONG)rows->cRows);
	assert_true(get_long(fx->ipm, PR_SUBFOLDERS));
	FreeProws(rows);
	rows = hierarchy_rows(fx->root, 0);
	assert_true(find_row(rows, "Top of Information Store") >= 0);
	FreeProws(rows);

	IMAPIFolder_Release(inbox);
	bin_free(&root_eid);
	bin_free(&ipm_eid);
}

/* ---- creating and naming ---------------------------------------------------------------- */

static void test_create_folder_collision(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER a = create_folder(fx->ipm, "Projects"), b = NULL;
	bin a_eid = get_bin(a, PR_ENTRYID);

	/* Same name: MAPI_E_COLLISION, also when only the case differs. */
	assert_hr(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR) "Projects", NULL, NULL, 0, &b),
	          MAPI_E_COLLISION);
	assert_null(b);
	assert_hr(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR) "pROJECTS", NULL, NULL, 0, &b),
	          MAPI_E_COLLISION);
	/* OPEN_IF_EXISTS opens the existing folder. */
	assert_ok(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR) "PROJECTS", NULL, NULL, OPEN_IF_EXISTS, &b));
	LPSPropValue p = get_prop(b, PR_ENTRYID);
	assert_true(bin_eq(&a_eid, &p->Value.bin));
	MAPIFreeBuffer(p);
	assert_name(b, "Projects"); /* the original name stays */
	IMAPIFolder_Release(b);
	b = NULL;

	/* The same name under another parent is fine. */
	LPMAPIFOLDER sub = create_folder(a, "Projects");
	IMAPIFolder_Release(sub);

	/* MAPI_UNICODE names, compared with Unicode simple case folding. */
	static const char16_t wname[] = u"\u00dcbersicht \u0391\u03b8\u03ae\u03bd\u03b1";
	static const char16_t wupper[] = u"\u00fcBERSICHT \u0391\u0398\u0389\u039d\u0391";
	LPMAPIFOLDER u = NULL;
	assert_ok(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR)wname, (LPTSTR)u"a comment", NULL,
	                                   MAPI_UNICODE, &u));
	p = get_prop(u, PR_DISPLAY_NAME_W);
	assert_memory_equal(p->Value.lpszW, wname, sizeof wname);
	MAPIFreeBuffer(p);
	assert_name(u, "\xc3\x9c" "bersicht \xce\x91\xce\xb8\xce\xae\xce\xbd\xce\xb1"); /* UTF-8 as PT_STRING8 */
	p = get_prop(u, PR_COMMENT_A);
	assert_string_equal(p->Value.lpszA, "a comment");
	MAPIFreeBuffer(p);
	IMAPIFolder_Release(u);
	u = NULL;
	assert_hr(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR)wupper, NULL, NULL, MAPI_UNICODE, &u),
	          MAPI_E_COLLISION);

	/* An empty name is refused. */
	assert_true(FAILED(IMAPIFolder_CreateFolder(fx->ipm, FOLDER_GENERIC, (LPTSTR) "", NULL, NULL, 0, &u)));

	/* Creating a folder counts as a child of the parent. */
	LONG kids = get_long(fx->ipm, PR_FOLDER_CHILD_COUNT);
	LPSRowSet rows = hierarchy_rows(fx->ipm, 0);
	assert_int_equal(kids, (LONG)rows->cRows);
	assert_true(find_row(rows, "Projects") >= 0);
	FreeProws(rows);

	IMAPIFolder_Release(a);
	bin_free(&a_eid);
}

static void test_rename_folder(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER a = create_folder(fx->ipm, "Alpha"), b = create_folder(fx->ipm, "Beta");
	SPropValue pv = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR) "Gamma"};
	LPSPropProblemArray probs = NULL;

	assert_ok(IMAPIFolder_SetProps(a, 1, &pv, &probs));
	assert_true(probs == NULL || probs->cProblem == 0);
	MAPIFreeBuffer(probs);
	probs = NULL;
	assert_name(a, "Gamma");
	LPSRowSet rows = hierarchy_rows(fx->ipm, 0);
	assert_true(find_row(rows, "Gamma") >= 0);
	assert_int_equal(find_row(rows, "Alpha"), -1);
	FreeProws(rows);

	/* Renaming onto a sibling's name (any case) is a collision and changes nothing. */
	pv.Value.lpszA = (LPSTR) "BETA";
	HRESULT hr = IMAPIFolder_SetProps(a, 1, &pv, &probs);
	BOOL refused = hr == MAPI_E_COLLISION ||
	               (hr == S_OK && probs && probs->cProblem == 1 && probs->aProblem[0].scode == MAPI_E_COLLISION);
	if (!refused)
		fail_msg("renaming onto a sibling: 0x%08X, %u problems", (unsigned)hr, probs ? (unsigned)probs->cProblem : 0);
	MAPIFreeBuffer(probs);
	probs = NULL;
	assert_name(a, "Gamma");

	/* The old name is free again; MAPI_UNICODE rename works too. */
	LPMAPIFOLDER again = create_folder(fx->ipm, "Alpha");
	IMAPIFolder_Release(again);
	SPropValue wv = {.ulPropTag = PR_DISPLAY_NAME_W, .Value.lpszW = (LPWSTR)u"Delta \u00e9"};
	assert_ok(IMAPIFolder_SetProps(a, 1, &wv, NULL));
	assert_name(a, "Delta \xc3\xa9");

	/* Survives a reopen. */
	bin eid = get_bin(a, PR_ENTRYID);
	IMAPIFolder_Release(a);
	IMAPIFolder_Release(b);
	reopen_store(fx);
	a = open_folder(fx->mdb, &eid, 0);
	assert_name(a, "Delta \xc3\xa9");
	IMAPIFolder_Release(a);
	bin_free(&eid);
}

/* ---- deleting ------------------------------------------------------------------------ */

static void test_delete_folder(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER a = create_folder(fx->ipm, "A");
	LPMAPIFOLDER b = create_folder(a, "B");
	LPMAPIFOLDER c = create_folder(fx->ipm, "C");
	bin a_eid = get_bin(a, PR_ENTRYID), b_eid = get_bin(b, PR_ENTRYID), c_eid = get_bin(c, PR_ENTRYID);
	bin msg = save_message(c, "in C", 0);
	bin deep = save_message(b, "in B", 0);
	LONG kids = get_long(fx->ipm, PR_FOLDER_CHILD_COUNT);

	/* A has a subfolder (with a message): both flags are needed. */
	assert_hr(IMAPIFolder_DeleteFolder(fx->ipm, a_eid.cb, (LPENTRYID)a_eid.lpb, 0, NULL, 0), MAPI_E_HAS_FOLDERS);
	assert_hr(IMAPIFolder_DeleteFolder(fx->ipm, a_eid.cb, (LPENTRYID)a_eid.lpb, 0, NULL, DEL_MESSAGES),
	          MAPI_E_HAS_FOLDERS);
	/* C has a message. */
	assert_hr(IMAPIFolder_DeleteFolder(fx->ipm, c_eid.cb, (LPENTRYID)c_eid.lpb, 0, NULL, 0), MAPI_E_HAS_MESSAGES);
	assert_hr(IMAPIFolder_DeleteFolder(fx->ipm, c_eid.cb, (LPENTRYID)c_eid.lpb, 0, NULL, DEL_FOLDERS),
	          MAPI_E_HAS_MESSAGES);
	/* Nothing went away on failure. */
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), kids);
	assert_int_equal(get_long(c, PR_CONTENT_COUNT), 1);
	assert_int_equal(get_long(b, PR_CONTENT_COUNT), 1);
	IMAPIFolder_Release(b);
	IMAPIFolder_Release(c);

	/* A folder that is not a child of this one is not found here. */
	assert_true(FAILED(IMAPIFolder_DeleteFolder(fx->root, c_eid.cb, (LPENTRYID)c_eid.lpb, 0, NULL, DEL_MESSAGES)));

	assert_ok(IMAPIFolder_DeleteFolder(fx->ipm, c_eid.cb, (LPENTRYID)c_eid.lpb, 0, NULL, DEL_MESSAGES));
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), kids - 1);
	assert_ok(IMAPIFolder_DeleteFolder(fx->ipm, a_eid.cb, (LPENTRYID)a_eid.lpb, 0, NULL, DEL_FOLDERS | DEL_MESSAGES));
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), kids - 2);

	/* Gone: the folders, the subfolder and the messages in them. */
	const bin *gone[] = {&a_eid, &b_eid, &c_eid, &msg, &deep};
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		ULONG type;
		LPUNKNOWN unk = NULL;
		HRESULT hr = IMsgStore_OpenEntry(fx->mdb, gone[i]->cb, (LPENTRYID)gone[i]->lpb, NULL, 0, &type, &unk);
		if (hr != MAPI_E_NOT_FOUND && hr != MAPI_E_OBJECT_DELETED)
			fail_msg("deleted object %zu: OpenEntry returned 0x%08X", i, (unsigned)hr);
	}
	LPSRowSet rows = hierarchy_rows(fx->ipm, CONVENIENT_DEPTH);
	assert_int_equal(find_row(rows, "A"), -1);
	assert_int_equal(find_row(rows, "B"), -1);
	assert_int_equal(find_row(rows, "C"), -1);
	FreeProws(rows);

	/* Standard folders cannot be deleted. */
	LPMAPIFOLDER inbox = open_inbox(fx->mdb);
	bin in_eid = get_bin(inbox, PR_ENTRYID);
	IMAPIFolder_Release(inbox);
	assert_true(FAILED(IMAPIFolder_DeleteFolder(fx->ipm, in_eid.cb, (LPENTRYID)in_eid.lpb, 0, NULL,
	                                            DEL_FOLDERS | DEL_MESSAGES)));
	inbox = open_folder(fx->mdb, &in_eid, 0);
	IMAPIFolder_Release(inbox);

	IMAPIFolder_Release(a);
	bin_free(&in_eid);
	bin_free(&a_eid);
	bin_free(&b_eid);
	bin_free(&c_eid);
	bin_free(&msg);
	bin_free(&deep);
}

/* ---- copying and moving -------------------------------------------------------------- */

static void test_copy_move_folder(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER src = create_folder(fx->ipm, "Src");
	LPMAPIFOLDER kid = create_folder(src, "Kid");
	LPMAPIFOLDER dst = create_folder(fx->ipm, "Dst");
	bin m1 = save_message(src, "one", 0), m2 = save_message(kid, "two", 0);
	bin src_eid = get_bin(src, PR_ENTRYID), kid_eid = get_bin(kid, PR_ENTRYID), dst_eid = get_bin(dst, PR_ENTRYID);
	LONG ipm_kids = get_long(fx->ipm, PR_FOLDER_CHILD_COUNT);
	LPSRowSet rows;

	/* Copy with subfolders under a new name. */
	assert_ok(IMAPIFolder_CopyFolder(fx->ipm, src_eid.cb, (LPENTRYID)src_eid.lpb, NULL, dst, (LPTSTR) "Copy", 0,
	                                 NULL, COPY_SUBFOLDERS));
	rows = hierarchy_rows(dst, CONVENIENT_DEPTH);
	int ci = find_row(rows, "Copy"), ki = find_row(rows, "Kid");
	assert_true(ci >= 0 && ki >= 0);
	assert_int_equal(row_long(rows, ci, PR_CONTENT_COUNT), 1);
	assert_int_equal(row_long(rows, ki, PR_CONTENT_COUNT), 1);
	assert_int_equal(row_long(rows, ki, PR_DEPTH), 1);
	LPSPropValue ce = PpropFindProp(rows->aRow[ci].lpProps, rows->aRow[ci].cValues, PR_ENTRYID);
	assert_non_null(ce);
	assert_false(bin_eq(&src_eid, &ce->Value.bin)); /* a copy is a new folder */
	FreeProws(rows);
	/* The source is untouched. */
	assert_int_equal(get_long(src, PR_CONTENT_COUNT), 1);
	assert_int_equal(get_long(src, PR_FOLDER_CHILD_COUNT), 1);
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), ipm_kids);
	assert_int_equal(get_long(dst, PR_FOLDER_CHILD_COUNT), 1);

	/* Copy without COPY_SUBFOLDERS: messages only. */
	assert_ok(IMAPIFolder_CopyFolder(fx->ipm, src_eid.cb, (LPENTRYID)src_eid.lpb, NULL, dst, (LPTSTR) "Flat", 0,
	                                 NULL, 0));
	LPMAPIFOLDER flat = NULL;
	assert_ok(IMAPIFolder_CreateFolder(dst, FOLDER_GENERIC, (LPTSTR) "Flat", NULL, NULL, OPEN_IF_EXISTS, &flat));
	assert_int_equal(get_long(flat, PR_CONTENT_COUNT), 1);
	assert_int_equal(get_long(flat, PR_FOLDER_CHILD_COUNT), 0);
	assert_int_equal(contents_count(flat, 0), 1);
	IMAPIFolder_Release(flat);

	/* A copy onto an existing name collides. */
	assert_hr(IMAPIFolder_CopyFolder(fx->ipm, src_eid.cb, (LPENTRYID)src_eid.lpb, NULL, dst, (LPTSTR) "COPY", 0,
	                                 NULL, COPY_SUBFOLDERS),
	          MAPI_E_COLLISION);

	/* Move (keeps the folder's identity and everything in it). */
	assert_ok(IMAPIFolder_CopyFolder(fx->ipm, src_eid.cb, (LPENTRYID)src_eid.lpb, NULL, dst, NULL, 0, NULL,
	                                 FOLDER_MOVE | COPY_SUBFOLDERS));
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), ipm_kids - 1);
	assert_int_equal(get_long(dst, PR_FOLDER_CHILD_COUNT), 3);
	LPMAPIFOLDER moved = open_folder(fx->mdb, &src_eid, MAPI_MODIFY);
	LPSPropValue p = get_prop(moved, PR_PARENT_ENTRYID);
	assert_true(bin_eq(&dst_eid, &p->Value.bin));
	MAPIFreeBuffer(p);
	assert_name(moved, "Src");
	assert_int_equal(get_long(moved, PR_CONTENT_COUNT), 1);
	assert_int_equal(get_long(moved, PR_FOLDER_CHILD_COUNT), 1);
	LPMAPIFOLDER k2 = open_folder(fx->mdb, &kid_eid, 0);
	assert_int_equal(get_long(k2, PR_CONTENT_COUNT), 1);
	IMAPIFolder_Release(k2);
	LPMESSAGE msg = open_message(fx->mdb, &m2, 0);
	IMessage_Release(msg);
	rows = hierarchy_rows(fx->ipm, 0);
	assert_int_equal(find_row(rows, "Src"), -1);
	FreeProws(rows);

	/* Cycles: Dst into its own child Src, and a folder into itself. */
	assert_hr(IMAPIFolder_CopyFolder(fx->ipm, dst_eid.cb, (LPENTRYID)dst_eid.lpb, NULL, moved, NULL, 0, NULL,
	                                 FOLDER_MOVE),
	          MAPI_E_FOLDER_CYCLE);
	assert_hr(IMAPIFolder_CopyFolder(fx->ipm, dst_eid.cb, (LPENTRYID)dst_eid.lpb, NULL, dst, (LPTSTR) "Self", 0,
	                                 NULL, FOLDER_MOVE),
	          MAPI_E_FOLDER_CYCLE);
	LPMAPIFOLDER kid3 = open_folder(fx->mdb, &kid_eid, MAPI_MODIFY);
	assert_hr(IMAPIFolder_CopyFolder(moved, kid_eid.cb, (LPENTRYID)kid_eid.lpb, NULL, kid3, (LPTSTR) "Loop", 0, NULL,
	                                 FOLDER_MOVE | COPY_SUBFOLDERS),
	          MAPI_E_FOLDER_CYCLE);
	IMAPIFolder_Release(kid3);
	/* Nothing moved. */
	p = get_prop(dst, PR_PARENT_ENTRYID);
	bin ipm_eid = get_bin(fx->ipm, PR_ENTRYID);
	assert_true(bin_eq(&ipm_eid, &p->Value.bin));
	MAPIFreeBuffer(p);
	bin_free(&ipm_eid);

	/* Move back under a new name. */
	assert_ok(IMAPIFolder_CopyFolder(dst, src_eid.cb, (LPENTRYID)src_eid.lpb, NULL, fx->ipm, (LPTSTR) "Back", 0, NULL,
	                                 FOLDER_MOVE));
	assert_name(moved, "Back");
	assert_int_equal(get_long(dst, PR_FOLDER_CHILD_COUNT), 2);
	assert_int_equal(get_long(fx->ipm, PR_FOLDER_CHILD_COUNT), ipm_kids);

	IMAPIFolder_Release(moved);
	IMAPIFolder_Release(src);
	IMAPIFolder_Release(kid);
	IMAPIFolder_Release(dst);
	bin_free(&m1);
	bin_free(&m2);
	bin_free(&src_eid);
	bin_free(&kid_eid);
	bin_free(&dst_eid);
}

/* ---- hierarchy tables --------------------------------------------------------------- */

static void test_hierarchy_depth(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER t = create_folder(fx->ipm, "T");
	LPMAPIFOLDER x = create_folder(t, "X");
	LPMAPIFOLDER y = create_folder(x, "Y");
	LPMAPIFOLDER z = create_folder(t, "Z");
	LPMAPIFOLDER w = create_folder(y, "W");

	LPSRowSet rows = hierarchy_rows(t, 0);
	assert_int_equal(rows->cRows, 2);
	assert_true(find_row(rows, "X") >= 0 && find_row(rows, "Z") >= 0);
	assert_int_equal(row_long(rows, find_row(rows, "X"), PR_DEPTH), 0);
	assert_true(row_long(rows, find_row(rows, "X"), PR_SUBFOLDERS));
	assert_false(row_long(rows, find_row(rows, "Z"), PR_SUBFOLDERS));
	FreeProws(rows);

	rows = hierarchy_rows(t, CONVENIENT_DEPTH);
	assert_int_equal(rows->cRows, 4);
	int xi = find_row(rows, "X"), yi = find_row(rows, "Y"), zi = find_row(rows, "Z"), wi = find_row(rows, "W");
	assert_true(xi >= 0 && yi >= 0 && zi >= 0 && wi >= 0);
	assert_int_equal(row_long(rows, xi, PR_DEPTH), 0);
	assert_int_equal(row_long(rows, yi, PR_DEPTH), 1);
	assert_int_equal(row_long(rows, wi, PR_DEPTH), 2);
	assert_int_equal(row_long(rows, zi, PR_DEPTH), 0);
	/* Depth-first: each folder directly followed by its subtree. */
	assert_int_equal(yi, xi + 1);
	assert_int_equal(wi, yi + 1);
	FreeProws(rows);

	/* The store's own hierarchy reaches T's subtree from the IPM subtree. */
	rows = hierarchy_rows(fx->ipm, CONVENIENT_DEPTH);
	assert_int_equal(row_long(rows, find_row(rows, "W"), PR_DEPTH), 3);
	FreeProws(rows);

	/* Unknown flags are refused. */
	LPMAPITABLE tbl = NULL;
	assert_hr(IMAPIFolder_GetHierarchyTable(t, 0x40000000, &tbl), MAPI_E_UNKNOWN_FLAGS);

	IMAPIFolder_Release(w);
	IMAPIFolder_Release(z);
	IMAPIFolder_Release(y);
	IMAPIFolder_Release(x);
	IMAPIFolder_Release(t);
}

/* ---- kept counts ----------------------------------------------------------------------- */

static void assert_counts(LPMAPIFOLDER f, LONG content, LONG unread)
{
	LONG c = get_long(f, PR_CONTENT_COUNT), u = get_long(f, PR_CONTENT_UNREAD);
	if (c != content || u != unread)
		fail_msg("counts %d/%d, expected %d/%d (content/unread)", (int)c, (int)u, (int)content, (int)unread);
}

static BOOL is_read(LPMDB mdb, const bin *eid)
{
	LPMESSAGE m = open_message(mdb, eid, 0);
	LONG flags = get_long(m, PR_MESSAGE_FLAGS);
	IMessage_Release(m);
	return (flags & MSGFLAG_READ) != 0;
}

static void test_counts(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER f = create_folder(fx->ipm, "Counted"), g = create_folder(fx->ipm, "Other");
	bin m[3];
	SBinary sb;
	ENTRYLIST el;

	assert_counts(f, 0, 0);
	assert_false(get_long(f, PR_SUBFOLDERS));
	assert_int_equal(get_long(f, PR_FOLDER_CHILD_COUNT), 0);
	for (int i = 0; i < 3; i++) {
		char subject[32];
		snprintf(subject, sizeof subject, "message %d", i);
		m[i] = save_message(f, subject, 0);
	}
	LONG unread = 0;
	for (int i = 0; i < 3; i++)
		unread += !is_read(fx->mdb, &m[i]);
	assert_counts(f, 3, unread);

	/* All unread, then read one through IMessage::SetReadFlag. */
	assert_ok(IMAPIFolder_SetReadFlags(f, NULL, 0, NULL, CLEAR_READ_FLAG));
	assert_counts(f, 3, 3);
	LPMESSAGE msg = open_message(fx->mdb, &m[0], MAPI_MODIFY);
	assert_ok(IMessage_SetReadFlag(msg, SUPPRESS_RECEIPT));
	assert_true(get_long(msg, PR_MESSAGE_FLAGS) & MSGFLAG_READ);
	IMessage_Release(msg);
	assert_counts(f, 3, 2);
	/* Setting an already-set flag changes nothing. */
	entrylist_one(&m[0], &sb, &el);
	assert_ok(IMAPIFolder_SetReadFlags(f, &el, 0, NULL, SUPPRESS_RECEIPT));
	assert_counts(f, 3, 2);

	/* Hierarchy table rows agree. */
	LPSRowSet rows = hierarchy_rows(fx->ipm, 0);
	int fi = find_row(rows, "Counted");
	assert_int_equal(row_long(rows, fi, PR_CONTENT_COUNT), 3);
	assert_int_equal(row_long(rows, fi, PR_CONTENT_UNREAD), 2);
	FreeProws(rows);

	/* Move an unread message: counts move with it. */
	entrylist_one(&m[1], &sb, &el);
	assert_ok(IMAPIFolder_CopyMessages(f, &el, NULL, g, 0, NULL, MESSAGE_MOVE));
	assert_counts(f, 2, 1);
	assert_counts(g, 1, 1);
	/* Copy the read message: the source keeps it. */
	entrylist_one(&m[0], &sb, &el);
	assert_ok(IMAPIFolder_CopyMessages(f, &el, NULL, g, 0, NULL, 0));
	assert_counts(f, 2, 1);
	assert_counts(g, 2, 1);
	assert_int_equal(contents_count(g, 0), 2);
	/* Delete the unread one left in f. */
	entrylist_one(&m[2], &sb, &el);
	assert_ok(IMAPIFolder_DeleteMessages(f, &el, 0, NULL, 0));
	assert_counts(f, 1, 0);
	assert_int_equal(contents_count(f, 0), 1);
	/* Deleting it again is a partial completion, counts unchanged. */
	assert_hr(IMAPIFolder_DeleteMessages(f, &el, 0, NULL, 0), MAPI_W_PARTIAL_COMPLETION);
	assert_counts(f, 1, 0);

	/* Associated messages are counted apart. */
	bin fai = save_message(f, "settings", MAPI_ASSOCIATED);
	assert_counts(f, 1, 0);
	assert_int_equal(get_long(f, PR_ASSOC_CONTENT_COUNT), 1);
	assert_int_equal(contents_count(f, MAPI_ASSOCIATED), 1);

	/* Subfolder counts. */
	LPMAPIFOLDER s1 = create_folder(f, "S1"), s2 = create_folder(f, "S2");
	bin s1_eid = get_bin(s1, PR_ENTRYID);
	bin inner = save_message(s1, "inner", 0);
	assert_true(get_long(f, PR_SUBFOLDERS));
	assert_int_equal(get_long(f, PR_FOLDER_CHILD_COUNT), 2);
	IMAPIFolder_Release(s1);
	IMAPIFolder_Release(s2);
	assert_ok(IMAPIFolder_DeleteFolder(f, s1_eid.cb, (LPENTRYID)s1_eid.lpb, 0, NULL, DEL_MESSAGES));
	assert_int_equal(get_long(f, PR_FOLDER_CHILD_COUNT), 1);
	assert_counts(f, 1, 0); /* messages of a deleted subfolder are not f's */

	/* Counts are kept across a reopen. */
	bin f_eid = get_bin(f, PR_ENTRYID), g_eid = get_bin(g, PR_ENTRYID);
	IMAPIFolder_Release(f);
	IMAPIFolder_Release(g);
	reopen_store(fx);
	f = open_folder(fx->mdb, &f_eid, MAPI_MODIFY);
	g = open_folder(fx->mdb, &g_eid, MAPI_MODIFY);
	assert_counts(f, 1, 0);
	assert_counts(g, 2, 1);
	assert_int_equal(get_long(f, PR_ASSOC_CONTENT_COUNT), 1);
	assert_int_equal(get_long(f, PR_FOLDER_CHILD_COUNT), 1);

	/* EmptyFolder: normal messages and subfolders go, associated ones stay
	 * unless DEL_ASSOCIATED. */
	LPMAPIFOLDER s3 = create_folder(f, "S3");
	bin in3 = save_message(s3, "in S3", 0);
	IMAPIFolder_Release(s3);
	assert_ok(IMAPIFolder_EmptyFolder(f, 0, NULL, 0));
	assert_counts(f, 0, 0);
	assert_int_equal(get_long(f, PR_FOLDER_CHILD_COUNT), 0);
	assert_false(get_long(f, PR_SUBFOLDERS));
	assert_int_equal(get_long(f, PR_ASSOC_CONTENT_COUNT), 1);
	assert_int_equal(contents_count(f, 0), 0);
	assert_ok(IMAPIFolder_EmptyFolder(f, 0, NULL, DEL_ASSOCIATED));
	assert_int_equal(get_long(f, PR_ASSOC_CONTENT_COUNT), 0);
	assert_int_equal(contents_count(f, MAPI_ASSOCIATED), 0);
	/* Other folders untouched. */
	assert_counts(g, 2, 1);

	IMAPIFolder_Release(f);
	IMAPIFolder_Release(g);
	for (int i = 0; i < 3; i++)
		bin_free(&m[i]);
	bin_free(&fai);
	bin_free(&s1_eid);
	bin_free(&inner);
	bin_free(&in3);
	bin_free(&f_eid);
	bin_free(&g_eid);
}

/* ---- identity ----------------------------------------------------------------------------- */

static void test_entryids_stable(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER f = create_folder(fx->ipm, "Stable"), other = create_folder(fx->ipm, "Other");
	bin m = save_message(f, "kept", 0);
	bin f_eid = get_bin(f, PR_ENTRYID), o_eid = get_bin(other, PR_ENTRYID);
	bin f_sk = get_bin(f, PR_SOURCE_KEY), f_rk = get_bin(f, PR_RECORD_KEY);
	bin store_rk = get_bin(f, PR_STORE_RECORD_KEY);
	LPMESSAGE msg = open_message(fx->mdb, &m, 0);
	bin m_sk = get_bin(msg, PR_SOURCE_KEY), m_rk = get_bin(msg, PR_RECORD_KEY);
	bin m_parent = get_bin(msg, PR_PARENT_ENTRYID);
	IMessage_Release(msg);
	IMAPIFolder_Release(f);
	IMAPIFolder_Release(other);

	/* MS-OXCDATA 2.2.4.1/2.2.4.2 layouts: flags 0, provider UID = the
	 * mailbox, eitLTPrivateFolder / eitLTPrivateMessage, then XIDs. */
	assert_int_equal(f_eid.cb, 46);
	assert_int_equal(m.cb, 70);
	static const BYTE zero4[4];
	assert_memory_equal(f_eid.lpb, zero4, 4);
	assert_memory_equal(m.lpb, zero4, 4);
	assert_int_equal(store_rk.cb, 16);
	assert_memory_equal(f_eid.lpb + 4, store_rk.lpb, 16);
	assert_memory_equal(m.lpb + 4, store_rk.lpb, 16);
	assert_int_equal(f_eid.lpb[20] | f_eid.lpb[21] << 8, 0x0001);
	assert_int_equal(m.lpb[20] | m.lpb[21] << 8, 0x0007);
	assert_int_equal(f_sk.cb, 22);
	assert_int_equal(m_sk.cb, 22);
	assert_memory_equal(f_eid.lpb + 22, f_sk.lpb, 22);   /* folder XID */
	assert_memory_equal(m.lpb + 22, f_eid.lpb + 22, 22); /* message: its folder's XID ... */
	assert_memory_equal(m.lpb + 46, m_sk.lpb, 22);       /* ... then its own */
	assert_true(bin_eq(&f_eid, &(SBinary){f_rk.cb, f_rk.lpb}));
	assert_true(bin_eq(&m_sk, &(SBinary){m_rk.cb, m_rk.lpb}));
	assert_true(bin_eq(&f_eid, &(SBinary){m_parent.cb, m_parent.lpb}));

	reopen_store(fx);

	/* The same bytes open the same objects after a reopen. */
	f = open_folder(fx->mdb, &f_eid, 0);
	LPSPropValue p = get_prop(f, PR_ENTRYID);
	assert_true(bin_eq(&f_eid, &p->Value.bin));
	MAPIFreeBuffer(p);
	p = get_prop(f, PR_SOURCE_KEY);
	assert_true(bin_eq(&f_sk, &p->Value.bin));
	MAPIFreeBuffer(p);
	assert_name(f, "Stable");
	msg = open_message(fx->mdb, &m, 0);
	p = get_prop(msg, PR_ENTRYID);
	assert_true(bin_eq(&m, &p->Value.bin));
	MAPIFreeBuffer(p);
	p = get_prop(msg, PR_SUBJECT_A);
	assert_string_equal(p->Value.lpszA, "kept");
	MAPIFreeBuffer(p);
	IMessage_Release(msg);

	/* The contents table gives the same entry ID. */
	static const SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	SBinary *te = &rows->aRow[0].lpProps[0].Value.bin;

	/* CompareEntryIDs. */
	ULONG same = 99;
	assert_ok(IMsgStore_CompareEntryIDs(fx->mdb, m.cb, (LPENTRYID)m.lpb, te->cb, (LPENTRYID)te->lpb, 0, &same));
	assert_true(same);
	assert_ok(IMsgStore_CompareEntryIDs(fx->mdb, f_eid.cb, (LPENTRYID)f_eid.lpb, f_eid.cb, (LPENTRYID)f_eid.lpb, 0,
	                                    &same));
	assert_true(same);
	assert_ok(IMsgStore_CompareEntryIDs(fx->mdb, f_eid.cb, (LPENTRYID)f_eid.lpb, o_eid.cb, (LPENTRYID)o_eid.lpb, 0,
	                                    &same));
	assert_false(same);
	assert_ok(IMsgStore_CompareEntryIDs(fx->mdb, f_eid.cb, (LPENTRYID)f_eid.lpb, m.cb, (LPENTRYID)m.lpb, 0, &same));
	assert_false(same);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMAPIFolder_Release(f);

	/* A foreign entry ID (another mailbox's GUID) opens nothing here. */
	bin foreign = bin_dup(&(SBinary){f_eid.cb, f_eid.lpb});
	foreign.lpb[4] ^= 0xFF;
	ULONG type;
	LPUNKNOWN unk = NULL;
	assert_true(FAILED(IMsgStore_OpenEntry(fx->mdb, foreign.cb, (LPENTRYID)foreign.lpb, NULL, 0, &type, &unk)));
	assert_null(unk);
	/* Neither does garbage. */
	BYTE junk[7] = {1, 2, 3, 4, 5, 6, 7};
	assert_true(FAILED(IMsgStore_OpenEntry(fx->mdb, sizeof junk, (LPENTRYID)junk, NULL, 0, &type, &unk)));

	bin_free(&foreign);
	bin_free(&m);
	bin_free(&f_eid);
	bin_free(&o_eid);
	bin_free(&f_sk);
	bin_free(&f_rk);
	bin_free(&store_rk);
	bin_free(&m_sk);
	bin_free(&m_rk);
	bin_free(&m_parent);
}

/* Change keys are XIDs with a new counter after every change; source keys
 * never change. PR_PREDECESSOR_CHANGE_LIST holds the change key as one sized XID. */
static void check_keys_changed(LPVOID obj, const bin *sk, bin *ck)
{
	LPSPropValue p = get_prop(obj, PR_SOURCE_KEY);
	assert_true(bin_eq(sk, &p->Value.bin));
	MAPIFreeBuffer(p);
	p = get_prop(obj, PR_CHANGE_KEY);
	assert_int_equal(p->Value.bin.cb, 22);
	assert_false(bin_eq(ck, &p->Value.bin));
	assert_memory_equal(p->Value.bin.lpb, ck->lpb, 16); /* same database GUID */
	/* The counter grows. */
	assert_true(memcmp(p->Value.bin.lpb + 16, ck->lpb + 16, 6) > 0);
	bin_free(ck);
	*ck = bin_dup(&p->Value.bin);
	MAPIFreeBuffer(p);
	p = get_prop(obj, PR_PREDECESSOR_CHANGE_LIST);
	assert_int_equal(p->Value.bin.cb, 23);
	assert_int_equal(p->Value.bin.lpb[0], 22);
	assert_memory_equal(p->Value.bin.lpb + 1, ck->lpb, 22);
	MAPIFreeBuffer(p);
}

static void test_keys_change_on_modify(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER f = create_folder(fx->ipm, "Keys");
	bin sk = get_bin(f, PR_SOURCE_KEY), ck = get_bin(f, PR_CHANGE_KEY), eid = get_bin(f, PR_ENTRYID);

	SPropValue pv = {.ulPropTag = PR_COMMENT_A, .Value.lpszA = (LPSTR) "changed"};
	assert_ok(IMAPIFolder_SetProps(f, 1, &pv, NULL));
	check_keys_changed(f, &sk, &ck);
	pv.ulPropTag = PR_DISPLAY_NAME_A;
	pv.Value.lpszA = (LPSTR) "Keys renamed";
	assert_ok(IMAPIFolder_SetProps(f, 1, &pv, NULL));
	check_keys_changed(f, &sk, &ck);
	LPSPropValue p = get_prop(f, PR_ENTRYID);
	assert_true(bin_eq(&eid, &p->Value.bin));
	MAPIFreeBuffer(p);

	/* A message: its keys move on each SaveChanges. */
	bin m = save_message(f, "v1", 0);
	LPMESSAGE msg = open_message(fx->mdb, &m, MAPI_MODIFY);
	bin msk = get_bin(msg, PR_SOURCE_KEY), mck = get_bin(msg, PR_CHANGE_KEY);
	bin srk = get_bin(msg, PR_SEARCH_KEY);
	LPSPropValue t0 = get_prop(msg, PR_LAST_MODIFICATION_TIME);
	pv.ulPropTag = PR_SUBJECT_A;
	pv.Value.lpszA = (LPSTR) "v2";
	assert_ok(IMessage_SetProps(msg, 1, &pv, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	check_keys_changed(msg, &msk, &mck);
	pv.Value.lpszA = (LPSTR) "v3";
	assert_ok(IMessage_SetProps(msg, 1, &pv, NULL));
	assert_ok(IMessage_SaveChanges(msg, 0));
	IMessage_Release(msg);
	msg = open_message(fx->mdb, &m, 0);
	check_keys_changed(msg, &msk, &mck);
	p = get_prop(msg, PR_ENTRYID);
	assert_true(bin_eq(&m, &p->Value.bin));
	MAPIFreeBuffer(p);
	p = get_prop(msg, PR_SEARCH_KEY);
	assert_true(bin_eq(&srk, &p->Value.bin)); /* the search key is for life */
	MAPIFreeBuffer(p);
	p = get_prop(msg, PR_LAST_MODIFICATION_TIME);
	uint64_t before = (uint64_t)t0->Value.ft.dwHighDateTime << 32 | t0->Value.ft.dwLowDateTime;
	uint64_t after = (uint64_t)p->Value.ft.dwHighDateTime << 32 | p->Value.ft.dwLowDateTime;
	assert_true(after >= before);
	MAPIFreeBuffer(p);
	MAPIFreeBuffer(t0);
	IMessage_Release(msg);

	IMAPIFolder_Release(f);
	bin_free(&sk);
	bin_free(&ck);
	bin_free(&eid);
	bin_free(&m);
	bin_free(&msk);
	bin_free(&mck);
	bin_free(&srk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_standard_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_folder_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_move_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hierarchy_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entryids_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_change_on_modify, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
