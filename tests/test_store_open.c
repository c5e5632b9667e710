/*
 * test_store_open.c — opening local mailboxes: creation (0600 file, the
 * standard folders and the properties that point to them), reopening,
 * entry IDs, receive folders, named properties, bad and unreadable files,
 * read-only opens, the change journal, online backup, the provider
 * interface itself and the logon's lifetime and notifications.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mapix/mapixstore.h>
#include <mapix/mapiutil.h>

#include "providers/local/local-provider.h"
#include "providers/standalone-support.h"
#include "store_hook.h"

/* ---- helpers --------------------------------------------------------------------------- */

typedef struct {
	char *dir;
	char path[4096];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->dir = mapix_test_tmpdir("store-open");
	if (!f->dir)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/mailbox.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	mapix_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static LPMDB create_store(fixture *f)
{
	LPMDB mdb = NULL;
	HRESULT hr = store_hook_open(f->path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb);
	if (hr == MAPI_E_NO_SUPPORT && !store_hook_is_local())
		MAPIX_SKIP("provider %s not available", store_hook_provider());
	assert_int_equal(hr, S_OK);
	assert_non_null(mdb);
	return mdb;
}

static LPSPropValue get_prop(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp(obj, tag, &v);
	if (FAILED(hr)) {
		fail_msg("HrGetOneProp(0x%08X): 0x%08X %s", (unsigned)tag, (unsigned)hr, MAPIXGetLastErrorText());
	}
	return v;
}

static LONG get_long(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = get_prop(obj, tag);
	LONG l = v->Value.l;
	MAPIFreeBuffer(v);
	return l;
}

/* Opens what eid names and checks its PR_DISPLAY_NAME. */
static void expect_folder_named(LPMDB mdb, const SBinary *eid, const char *name)
{
	ULONG type = 0;
	LPMAPIFOLDER folder = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&folder);
	if (FAILED(hr))
		fail_msg("OpenEntry(%s): 0x%08X %s", name, (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, MAPI_FOLDER);
	LPSPropValue dn = get_prop((LPMAPIPROP)folder, PR_DISPLAY_NAME_A);
	assert_string_equal(dn->Value.lpszA, name);
	MAPIFreeBuffer(dn);
	IMAPIFolder_Release(folder);
}

static void expect_store_folder(LPMDB mdb, ULONG tag, const char *name)
{
	LPSPropValue v = get_prop((LPMAPIPROP)mdb, tag);
	assert_int_equal(v->ulPropTag, tag);
	expect_folder_named(mdb, &v->Value.bin, name);
	MAPIFreeBuffer(v);
}

static LPMAPIFOLDER open_folder(LPMDB mdb, const SBinary *eid, ULONG flags)
{
	ULONG type = 0;
	LPMAPIFOLDER folder = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid ? eid->cb : 0, eid ? (LPENTRYID)eid->lpb : NULL, NULL, flags, &type,
	                                 (LPUNKNOWN *)&folder);
	if (FAILED(hr))
		fail_msg("OpenEntry: 0x%08X %s", (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, MAPI_FOLDER);
	return folder;
}

/* The receive folder of a class as an SBinary the caller frees (lpb). */
static SBinary receive_folder(LPMDB mdb, const char *cls, char *explicit_out, size_t cap)
{
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	LPSTR explicit_class = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR)cls, 0, &cb, &eid, (LPTSTR *)&explicit_class);
	if (FAILED(hr))
		fail_msg("GetReceiveFolder(%s): 0x%08X %s", cls ? cls : "NULL", (unsigned)hr, MAPIXGetLastErrorText());
	assert_non_null(explicit_class);
	if (explicit_out)
		snprintf(explicit_out, cap, "%s", explicit_class);
	MAPIFreeBuffer(explicit_class);
	SBinary b = {cb, (LPBYTE)eid};
	return b;
}

static BOOL same_entry(LPMDB mdb, const SBinary *a, const SBinary *b)
{
	ULONG result = 2;
	HRESULT hr = IMsgStore_CompareEntryIDs(mdb, a->cb, (LPENTRYID)a->lpb, b->cb, (LPENTRYID)b->lpb, 0, &result);
	assert_int_equal(hr, S_OK);
	return result != 0;
}

/* ---- creation and reopening ----------------------------------------------------------------- */

static void test_create_and_reopen(void **state)
{
	fixture *f = *state;
	struct stat st;
	store_hook_skip_unless_local();
	LPMDB mdb = create_store(f);

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	LPSPropValue dn = get_prop((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A);
	assert_string_equal(dn->Value.lpszA, "Mailbox");
	MAPIFreeBuffer(dn);
	assert_int_equal(get_long((LPMAPIPROP)mdb, PR_OBJECT_TYPE), MAPI_STORE);
	LONG mask = get_long((LPMAPIPROP)mdb, PR_STORE_SUPPORT_MASK);
	assert_true(mask & STORE_MODIFY_OK);
	assert_true(mask & STORE_UNICODE_OK);
	assert_true(mask & STORE_ENTRYID_UNIQUE);
	assert_false(mask & STORE_READONLY);
	assert_int_equal(get_long((LPMAPIPROP)mdb, PR_VALID_FOLDER_MASK),
	                 FOLDER_IPM_SUBTREE_VALID | FOLDER_IPM_INBOX_VALID | FOLDER_IPM_OUTBOX_VALID |
	                     FOLDER_IPM_WASTEBASKET_VALID | FOLDER_IPM_SENTMAIL_VALID | FOLDER_VIEWS_VALID |
	                     FOLDER_COMMON_VIEWS_VALID | FOLDER_FINDER_VALID);
	assert_int_equal(get_long((LPMAPIPROP)mdb, PR_ACCESS_LEVEL), MAPI_MODIFY);
	LPSPropValue prov = get_prop((LPMAPIPROP)mdb, PR_MDB_PROVIDER);
	assert_int_equal(prov->Value.bin.cb, 16);
	MAPIFreeBuffer(prov);
	LPSPropValue path = get_prop((LPMAPIPROP)mdb, PR_MAPIX_STORE_PATH_A);
	assert_string_equal(path->Value.lpszA, f->path);
	MAPIFreeBuffer(path);

	/* The store entry ID and record key identify the mailbox. */
	LPSPropValue rk = get_prop((LPMAPIPROP)mdb, PR_RECORD_KEY);
	assert_int_equal(rk->Value.bin.cb, 16);
	LPSPropValue srk = get_prop((LPMAPIPROP)mdb, PR_STORE_RECORD_KEY);
	assert_memory_equal(rk->Value.bin.lpb, srk->Value.bin.lpb, 16);
	MAPIFreeBuffer(srk);
	LPSPropValue eid = get_prop((LPMAPIPROP)mdb, PR_ENTRYID);
	LPSPropValue seid = get_prop((LPMAPIPROP)mdb, PR_STORE_ENTRYID);
	assert_true(same_entry(mdb, &eid->Value.bin, &seid->Value.bin));
	MAPIFreeBuffer(seid);

	/* The display name is stored and settable. */
	SPropValue v = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = "Renamed"};
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &v, NULL), S_OK);
	/* Computed properties are not. */
	LPSPropProblemArray probs = NULL;
	SPropValue rkset = {.ulPropTag = PR_RECORD_KEY, .Value.bin = {1, (LPBYTE) "x"}};
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &rkset, &probs), S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_COMPUTED);
	MAPIFreeBuffer(probs);
	IMsgStore_Release(mdb);

	/* Reopen: same mailbox, same identity, what was set is there. */
	mdb = NULL;
	assert_int_equal(store_hook_open(f->path, MDB_WRITE, &mdb), S_OK);
	LPSPropValue rk2 = get_prop((LPMAPIPROP)mdb, PR_RECORD_KEY);
	assert_memory_equal(rk->Value.bin.lpb, rk2->Value.bin.lpb, 16);
	MAPIFreeBuffer(rk2);
	LPSPropValue eid2 = get_prop((LPMAPIPROP)mdb, PR_ENTRYID);
	assert_int_equal(eid->Value.bin.cb, eid2->Value.bin.cb);
	assert_memory_equal(eid->Value.bin.lpb, eid2->Value.bin.lpb, eid->Value.bin.cb);
	MAPIFreeBuffer(eid2);
	dn = get_prop((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A);
	assert_string_equal(dn->Value.lpszA, "Renamed");
	MAPIFreeBuffer(dn);
	IMsgStore_Release(mdb);

	/* MAPIX_STORE_CREATE on an existing mailbox opens it as it is. */
	assert_int_equal(store_hook_open(f->path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb), S_OK);
	rk2 = get_prop((LPMAPIPROP)mdb, PR_RECORD_KEY);
	assert_memory_equal(rk->Value.bin.lpb, rk2->Value.bin.lpb, 16);
	MAPIFreeBuffer(rk2);
	IMsgStore_Release(mdb);
	MAPIFreeBuffer(rk);
	MAPIFreeBuffer(eid);
}

static void test_bad_arguments(void **state)
{
	fixture *f = *state;
	LPMDB mdb = (LPMDB)(void *)1;
	store_hook_skip_unless_local();
	assert_int_equal(MAPIXOpenLocalStore(NULL, 0, &mdb), MAPI_E_INVALID_PARAMETER);
	assert_null(mdb);
	assert_int_equal(MAPIXOpenLocalStore(f->path, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIXOpenLocalStore(f->path, 0x40000000, &mdb), MAPI_E_UNKNOWN_FLAGS);
	/* None of that created a file. */
	assert_int_equal(access(f->path, F_OK), -1);
}

/* ---- standard folders ------------------------------------------------------------------------ */

static void test_standard_folders(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);

	expect_store_folder(mdb, PR_IPM_SUBTREE_ENTRYID, "Top of Information Store");
	expect_store_folder(mdb, PR_IPM_OUTBOX_ENTRYID, "Outbox");
	expect_store_folder(mdb, PR_IPM_SENTMAIL_ENTRYID, "Sent Items");
	expect_store_folder(mdb, PR_IPM_WASTEBASKET_ENTRYID, "Deleted Items");
	expect_store_folder(mdb, PR_VIEWS_ENTRYID, "Views");
	expect_store_folder(mdb, PR_COMMON_VIEWS_ENTRYID, "Common Views");
	expect_store_folder(mdb, PR_FINDER_ENTRYID, "Finder");

	/* The Inbox is the default receive folder. */
	SBinary inbox = receive_folder(mdb, NULL, NULL, 0);
	expect_folder_named(mdb, &inbox, "Inbox");

	/* The Inbox and the root both point to the other special folders. */
	LPMAPIFOLDER root = open_folder(mdb, NULL, 0);
	LPMAPIFOLDER in = open_folder(mdb, &inbox, 0);
	LPMAPIPROP holders[2] = {(LPMAPIPROP)root, (LPMAPIPROP)in};
	static const struct {
		ULONG tag;
		const char *name, *cls;
	} special[] = {
		{PR_IPM_APPOINTMENT_ENTRYID, "Calendar", "IPF.Appointment"},
		{PR_IPM_CONTACT_ENTRYID, "Contacts", "IPF.Contact"},
		{PR_IPM_DRAFTS_ENTRYID, "Drafts", "IPF.Note"},
		{PR_IPM_JOURNAL_ENTRYID, "Journal", "IPF.Journal"},
		{PR_IPM_NOTE_ENTRYID, "Notes", "IPF.StickyNote"},
		{PR_IPM_TASK_ENTRYID, "Tasks", "IPF.Task"},
	};
	for (int h = 0; h < 2; h++) {
		for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
			LPSPropValue v = get_prop(holders[h], special[i].tag);
			LPMAPIFOLDER sf = open_folder(mdb, &v->Value.bin, 0);
			LPSPropValue dn = get_prop((LPMAPIPROP)sf, PR_DISPLAY_NAME_A);
			assert_string_equal(dn->Value.lpszA, special[i].name);
			LPSPropValue cls = get_prop((LPMAPIPROP)sf, PR_CONTAINER_CLASS_A);
			assert_string_equal(cls->Value.lpszA, special[i].cls);
			MAPIFreeBuffer(cls);
			MAPIFreeBuffer(dn);
			IMAPIFolder_Release(sf);
			MAPIFreeBuffer(v);
		}
		/* Junk E-mail at index 4 (MS-OXOSFLD); folders mapix does not
		 * make are empty entries. */
		LPSPropValue ren = get_prop(holders[h], PR_ADDITIONAL_REN_ENTRYIDS);
		assert_int_equal(ren->Value.MVbin.cValues, 5);
		for (int i = 0; i < 4; i++)
			assert_int_equal(ren->Value.MVbin.lpbin[i].cb, 0);
		expect_folder_named(mdb, &ren->Value.MVbin.lpbin[4], "Junk E-mail");
		MAPIFreeBuffer(ren);
	}
	LPSPropValue cls = get_prop((LPMAPIPROP)in, PR_CONTAINER_CLASS_A);
	assert_string_equal(cls->Value.lpszA, "IPF.Note");
	MAPIFreeBuffer(cls);

	/* The Inbox lives under Top of Information Store. */
	LPSPropValue parent = get_prop((LPMAPIPROP)in, PR_PARENT_ENTRYID);
	LPSPropValue subtree = get_prop((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID);
	assert_true(same_entry(mdb, &parent->Value.bin, &subtree->Value.bin));
	MAPIFreeBuffer(parent);
	MAPIFreeBuffer(subtree);
	assert_int_equal(get_long((LPMAPIPROP)root, PR_OBJECT_TYPE), MAPI_FOLDER);

	IMAPIFolder_Release(in);
	IMAPIFolder_Release(root);
	MAPIFreeBuffer(inbox.lpb);
	IMsgStore_Release(mdb);
}

/* ---- entry IDs ---------------------------------------------------------------------------------- */

static void test_entryids(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	LPSPropValue subtree = get_prop((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID);
	LPSPropValue outbox = get_prop((LPMAPIPROP)mdb, PR_IPM_OUTBOX_ENTRYID);
	LPSPropValue store_eid = get_prop((LPMAPIPROP)mdb, PR_ENTRYID);
	ULONG result = 2, type = 0;
	LPUNKNOWN unk = NULL;

	/* Identity, not bytes: the flag bytes do not matter. */
	BYTE copy[64];
	ULONG cb = subtree->Value.bin.cb;
	assert_true(cb <= sizeof copy);
	memcpy(copy, subtree->Value.bin.lpb, cb);
	copy[0] = 0x80; /* a short-term flag */
	SBinary flagged = {cb, copy};
	assert_true(same_entry(mdb, &subtree->Value.bin, &flagged));
	assert_false(same_entry(mdb, &subtree->Value.bin, &outbox->Value.bin));
	assert_false(same_entry(mdb, &subtree->Value.bin, &store_eid->Value.bin));
	assert_true(same_entry(mdb, &store_eid->Value.bin, &store_eid->Value.bin));
	expect_folder_named(mdb, &flagged, "Top of Information Store");

	/* Not an entry ID of a mapix store. */
	BYTE junk[30] = {0};
	assert_int_equal(IMsgStore_CompareEntryIDs(mdb, sizeof junk, (LPENTRYID)junk, cb, (LPENTRYID)copy, 0, &result),
	                 MAPI_E_UNKNOWN_ENTRYID);
	assert_int_equal(IMsgStore_OpenEntry(mdb, sizeof junk, (LPENTRYID)junk, NULL, 0, &type, &unk),
	                 MAPI_E_INVALID_ENTRYID);
	assert_null(unk);

	/* Another mailbox's folder: bytes 4..19 are the mailbox GUID. */
	copy[0] = 0;
	copy[10] ^= 0xFF;
	assert_int_equal(IMsgStore_OpenEntry(mdb, cb, (LPENTRYID)copy, NULL, 0, &type, &unk), MAPI_E_INVALID_ENTRYID);
	copy[10] ^= 0xFF;
	/* A folder that does not exist: bytes 38..43 are its counter. */
	copy[38] = 0x7F;
	assert_int_equal(IMsgStore_OpenEntry(mdb, cb, (LPENTRYID)copy, NULL, 0, &type, &unk), MAPI_E_NOT_FOUND);

	/* The store's own entry ID opens the store. */
	assert_int_equal(IMsgStore_OpenEntry(mdb, store_eid->Value.bin.cb, (LPENTRYID)store_eid->Value.bin.lpb, NULL, 0,
	                                     &type, &unk),
	                 S_OK);
	assert_int_equal(type, MAPI_STORE);
	assert_ptr_equal(unk, mdb);
	unk->lpVtbl->Release(unk);

	/* An interface the object lacks. */
	unk = NULL;
	assert_int_equal(IMsgStore_OpenEntry(mdb, subtree->Value.bin.cb, (LPENTRYID)subtree->Value.bin.lpb,
	                                     &IID_IMessage, 0, &type, &unk),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_null(unk);
	assert_int_equal(IMsgStore_OpenEntry(mdb, subtree->Value.bin.cb, (LPENTRYID)subtree->Value.bin.lpb,
	                                     &IID_IMAPIFolder, 0, &type, &unk),
	                 S_OK);
	unk->lpVtbl->Release(unk);

	MAPIFreeBuffer(subtree);
	MAPIFreeBuffer(outbox);
	MAPIFreeBuffer(store_eid);
	IMsgStore_Release(mdb);
}

/* Messages: OpenEntry through the store, identity, and the journal row of
 * their creation. */
static void test_message_entries(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	LPMAPIXCHANGEJOURNAL journal = NULL;
	ULONGLONG last = 0;
	SBinary inbox = receive_folder(mdb, NULL, NULL, 0);

	assert_int_equal(IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&journal), S_OK);
	assert_int_equal(IMAPIXChangeJournal_GetLastChangeNumber(journal, &last), S_OK);

	LPMAPIFOLDER in = open_folder(mdb, &inbox, MAPI_MODIFY);
	LPMESSAGE msg = NULL;
	assert_int_equal(IMAPIFolder_CreateMessage(in, NULL, 0, &msg), S_OK);
	SPropValue subj = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "hello"};
	assert_int_equal(IMessage_SetProps(msg, 1, &subj, NULL), S_OK);
	assert_int_equal(IMessage_SaveChanges(msg, KEEP_OPEN_READONLY), S_OK);
	LPSPropValue eid = get_prop((LPMAPIPROP)msg, PR_ENTRYID);
	IMessage_Release(msg);
	IMAPIFolder_Release(in);

	ULONG type = 0;
	LPMESSAGE opened = NULL;
	assert_int_equal(IMsgStore_OpenEntry(mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL,
	                                     MAPI_BEST_ACCESS, &type, (LPUNKNOWN *)&opened),
	                 S_OK);
	assert_int_equal(type, MAPI_MESSAGE);
	LPSPropValue got = get_prop((LPMAPIPROP)opened, PR_SUBJECT_A);
	assert_string_equal(got->Value.lpszA, "hello");
	MAPIFreeBuffer(got);
	IMessage_Release(opened);

	/* Identity ignores the flag bytes; a message is not its folder. */
	BYTE copy[128];
	assert_true(eid->Value.bin.cb <= sizeof copy);
	memcpy(copy, eid->Value.bin.lpb, eid->Value.bin.cb);
	copy[0] = 0x80;
	SBinary flagged = {eid->Value.bin.cb, copy};
	assert_true(same_entry(mdb, &eid->Value.bin, &flagged));
	assert_false(same_entry(mdb, &eid->Value.bin, &inbox));

	/* The creation is journaled with the message's entry ID. */
	LPSRowSet rows = NULL;
	assert_int_equal(IMAPIXChangeJournal_GetChangesSince(journal, last, 0, &rows), S_OK);
	BOOL seen = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		ULONG c = rows->aRow[i].cValues;
		LPSPropValue e = PpropFindProp(p, c, PR_ENTRYID);
		if (PpropFindProp(p, c, PR_OBJECT_TYPE)->Value.l == MAPI_MESSAGE &&
		    PpropFindProp(p, c, PR_MAPIX_CHANGE_KIND)->Value.l == MAPIX_CHANGE_CREATE &&
		    same_entry(mdb, &e->Value.bin, &eid->Value.bin)) {
			seen = TRUE;
			assert_true(same_entry(mdb, &PpropFindProp(p, c, PR_PARENT_ENTRYID)->Value.bin, &inbox));
		}
	}
	assert_true(seen);
	FreeProws(rows);

	IMAPIXChangeJournal_Release(journal);
	MAPIFreeBuffer(eid);
	MAPIFreeBuffer(inbox.lpb);
	IMsgStore_Release(mdb);
}

/* ---- receive folders ------------------------------------------------------------------------------- */

static void expect_receive(LPMDB mdb, const char *cls, const SBinary *want, const char *want_explicit)
{
	char explicit_class[256];
	SBinary got = receive_folder(mdb, cls, explicit_class, sizeof explicit_class);
	if (!same_entry(mdb, &got, want))
		fail_msg("receive folder of \"%s\" is not the expected folder", cls ? cls : "NULL");
	assert_string_equal(explicit_class, want_explicit);
	MAPIFreeBuffer(got.lpb);
}

static void test_receive_folders(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	LPSPropValue sent = get_prop((LPMAPIPROP)mdb, PR_IPM_SENTMAIL_ENTRYID);
	LPSPropValue outbox = get_prop((LPMAPIPROP)mdb, PR_IPM_OUTBOX_ENTRYID);
	SBinary inbox = receive_folder(mdb, "", NULL, 0);
	expect_folder_named(mdb, &inbox, "Inbox");

	/* Defaults: the Inbox for "", IPM and reports; the root for IPC. */
	expect_receive(mdb, NULL, &inbox, "");
	expect_receive(mdb, "IPM.Note", &inbox, "IPM");
	expect_receive(mdb, "Report.IPM.Note.NDR", &inbox, "Report.IPM");
	expect_receive(mdb, "Some.Other", &inbox, "");
	char explicit_class[64];
	SBinary ipc = receive_folder(mdb, "IPC.Paper.Order", explicit_class, sizeof explicit_class);
	assert_string_equal(explicit_class, "IPC");
	LPMAPIFOLDER f_ipc = open_folder(mdb, &ipc, 0);
	assert_int_equal(get_long((LPMAPIPROP)f_ipc, PR_FOLDER_TYPE), FOLDER_ROOT);
	IMAPIFolder_Release(f_ipc);
	MAPIFreeBuffer(ipc.lpb);

	/* Longest prefix by whole components, case-insensitively. */
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "IPM.Note.Custom", 0, sent->Value.bin.cb,
	                                            (LPENTRYID)sent->Value.bin.lpb),
	                 S_OK);
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "ipm.note", 0, outbox->Value.bin.cb,
	                                            (LPENTRYID)outbox->Value.bin.lpb),
	                 S_OK);
	expect_receive(mdb, "IPM.NOTE.CUSTOM.Sub", &sent->Value.bin, "IPM.Note.Custom");
	expect_receive(mdb, "ipm.note.custom", &sent->Value.bin, "IPM.Note.Custom");
	expect_receive(mdb, "IPM.Note.Other", &outbox->Value.bin, "ipm.note");
	expect_receive(mdb, "IPM.NoteX", &inbox, "IPM");
	expect_receive(mdb, "IPM.Note.CustomX", &outbox->Value.bin, "ipm.note");

	/* Unicode in and out. */
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	LPWSTR wexplicit = NULL;
	assert_int_equal(IMsgStore_GetReceiveFolder(mdb, (LPTSTR)(void *)u"IPM.Note.Custom.X", MAPI_UNICODE, &cb, &eid,
	                                            (LPTSTR *)(void *)&wexplicit),
	                 S_OK);
	assert_int_equal(mapix_wcslen(wexplicit), strlen("IPM.Note.Custom"));
	assert_memory_equal(wexplicit, u"IPM.Note.Custom", sizeof(u"IPM.Note.Custom"));
	SBinary got = {cb, (LPBYTE)eid};
	assert_true(same_entry(mdb, &got, &sent->Value.bin));
	MAPIFreeBuffer(eid);
	MAPIFreeBuffer(wexplicit);

	/* Removing a class falls back to its base class. */
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "IPM.NOTE.CUSTOM", 0, 0, NULL), S_OK);
	expect_receive(mdb, "IPM.Note.Custom", &outbox->Value.bin, "ipm.note");

	/* Bad classes and folders. */
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "IPM..Note", 0, sent->Value.bin.cb,
	                                            (LPENTRYID)sent->Value.bin.lpb),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) ".IPM", 0, 0, NULL), MAPI_E_INVALID_PARAMETER);
	LPSPropValue store_eid = get_prop((LPMAPIPROP)mdb, PR_ENTRYID);
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "IPM.X", 0, store_eid->Value.bin.cb,
	                                            (LPENTRYID)store_eid->Value.bin.lpb),
	                 MAPI_E_INVALID_ENTRYID);
	MAPIFreeBuffer(store_eid);

	/* The table: one row per class, with the documented columns. */
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	assert_int_equal(IMsgStore_GetReceiveFolderTable(mdb, 0, &table), S_OK);
	assert_int_equal(HrQueryAllRows(table, NULL, NULL, NULL, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 5); /* "", IPM, Report.IPM, IPC, ipm.note */
	BOOL seen_note = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue c = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_MESSAGE_CLASS_A);
		LPSPropValue e = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ENTRYID);
		assert_non_null(c);
		assert_non_null(e);
		assert_non_null(PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_INSTANCE_KEY));
		assert_non_null(PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_RECORD_KEY));
		if (strcmp(c->Value.lpszA, "ipm.note") == 0) {
			seen_note = TRUE;
			assert_true(same_entry(mdb, &e->Value.bin, &outbox->Value.bin));
		}
	}
	assert_true(seen_note);
	FreeProws(rows);
	IMAPITable_Release(table);
	IMsgStore_Release(mdb);

	/* Receive folders persist; a read-only store refuses changes. */
	mdb = NULL;
	assert_int_equal(store_hook_open(f->path, 0, &mdb), S_OK);
	expect_receive(mdb, "IPM.Note.Any", &outbox->Value.bin, "ipm.note");
	assert_int_equal(IMsgStore_SetReceiveFolder(mdb, (LPTSTR) "IPM.Y", 0, sent->Value.bin.cb,
	                                            (LPENTRYID)sent->Value.bin.lpb),
	                 MAPI_E_NO_ACCESS);
	IMsgStore_Release(mdb);

	MAPIFreeBuffer(inbox.lpb);
	MAPIFreeBuffer(sent);
	MAPIFreeBuffer(outbox);
}

/* ---- named properties ------------------------------------------------------------------------------- */

static void test_named_properties(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	MAPINAMEID by_name = {.lpguid = (LPGUID)&PS_PUBLIC_STRINGS, .ulKind = MNID_STRING};
	MAPINAMEID by_id = {.lpguid = (LPGUID)&PSETID_Common, .ulKind = MNID_ID, .Kind.lID = 0x8501};
	MAPINAMEID mapi = {.lpguid = (LPGUID)&PS_MAPI, .ulKind = MNID_ID, .Kind.lID = 0x0037};
	MAPINAMEID unknown = {.lpguid = (LPGUID)&PSETID_Common, .ulKind = MNID_ID, .Kind.lID = 0x8999};
	by_name.Kind.lpwstrName = (LPWSTR)u"Keywords";
	LPMAPINAMEID names[4] = {&by_name, &by_id, &mapi, &unknown};
	LPSPropTagArray tags = NULL, again = NULL;

	/* Without MAPI_CREATE nothing exists yet. */
	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 2, names, 0, &tags), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(tags->aulPropTag[0], PROP_TAG(PT_ERROR, 0));
	MAPIFreeBuffer(tags);

	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 3, names, MAPI_CREATE, &tags), S_OK);
	assert_int_equal(tags->cValues, 3);
	assert_true(PROP_ID(tags->aulPropTag[0]) >= 0x8000);
	assert_true(PROP_ID(tags->aulPropTag[1]) >= 0x8000);
	assert_int_not_equal(PROP_ID(tags->aulPropTag[0]), PROP_ID(tags->aulPropTag[1]));
	/* PS_MAPI names are the ordinary property ids. */
	assert_int_equal(tags->aulPropTag[2], PROP_TAG(PT_UNSPECIFIED, 0x0037));

	/* The same names give the same ids; an unknown one gives PT_ERROR. */
	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 4, names, 0, &again), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(again->aulPropTag[0], tags->aulPropTag[0]);
	assert_int_equal(again->aulPropTag[1], tags->aulPropTag[1]);
	assert_int_equal(again->aulPropTag[3], PROP_TAG(PT_ERROR, 0));
	MAPIFreeBuffer(again);

	/* And back. */
	ULONG n = 0;
	LPMAPINAMEID *back = NULL;
	LPSPropTagArray ask = tags;
	assert_int_equal(IMsgStore_GetNamesFromIDs(mdb, &ask, NULL, 0, &n, &back), S_OK);
	assert_int_equal(n, 3);
	assert_true(FEqualNames(back[0], &by_name));
	assert_true(FEqualNames(back[1], &by_id));
	assert_true(FEqualNames(back[2], &mapi));
	MAPIFreeBuffer(back);

	/* All names, and the property-set and kind filters. */
	LPSPropTagArray all = NULL;
	assert_int_equal(IMsgStore_GetNamesFromIDs(mdb, &all, NULL, 0, &n, &back), S_OK);
	assert_non_null(all);
	assert_int_equal(n, 2);
	assert_int_equal(all->cValues, 2);
	MAPIFreeBuffer(back);
	MAPIFreeBuffer(all);
	all = NULL;
	assert_int_equal(IMsgStore_GetNamesFromIDs(mdb, &all, (LPGUID)&PS_PUBLIC_STRINGS, 0, &n, &back), S_OK);
	assert_int_equal(n, 1);
	assert_true(FEqualNames(back[0], &by_name));
	MAPIFreeBuffer(back);
	MAPIFreeBuffer(all);
	all = NULL;
	assert_int_equal(IMsgStore_GetNamesFromIDs(mdb, &all, NULL, MAPI_NO_STRINGS, &n, &back), S_OK);
	assert_int_equal(n, 1);
	assert_true(FEqualNames(back[0], &by_id));
	MAPIFreeBuffer(back);
	MAPIFreeBuffer(all);
	/* A filter that excludes a listed id leaves a NULL entry. */
	assert_int_equal(IMsgStore_GetNamesFromIDs(mdb, &ask, (LPGUID)&PSETID_Common, 0, &n, &back),
	                 MAPI_W_ERRORS_RETURNED);
	assert_null(back[0]);
	assert_non_null(back[1]);
	assert_null(back[2]);
	MAPIFreeBuffer(back);

	/* A value under a named id round-trips through the store object. */
	SPropValue v = {.ulPropTag = CHANGE_PROP_TYPE(tags->aulPropTag[1], PT_LONG), .Value.l = 4242};
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &v, NULL), S_OK);
	assert_int_equal(get_long((LPMAPIPROP)mdb, v.ulPropTag), 4242);
	IMsgStore_Release(mdb);

	/* The mapping persists; a read-only store cannot create names. */
	mdb = NULL;
	assert_int_equal(store_hook_open(f->path, 0, &mdb), S_OK);
	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 2, names, 0, &again), S_OK);
	assert_int_equal(again->aulPropTag[0], tags->aulPropTag[0]);
	assert_int_equal(again->aulPropTag[1], tags->aulPropTag[1]);
	MAPIFreeBuffer(again);
	assert_int_equal(get_long((LPMAPIPROP)mdb, v.ulPropTag), 4242);
	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 1, &names[3], MAPI_CREATE, &again), MAPI_E_NO_ACCESS);
	IMsgStore_Release(mdb);
	MAPIFreeBuffer(tags);
}

/* ---- bad files ------------------------------------------------------------------------------------------ */

static void expect_open_error(const char *path, ULONG flags, HRESULT want, BOOL names_file)
{
	LPMDB mdb = NULL;
	HRESULT hr = MAPIXOpenLocalStore(path, flags, &mdb);
	if (hr != want)
		fail_msg("opening %s: got 0x%08X (%s), want 0x%08X", path, (unsigned)hr, MAPIXGetLastErrorText(),
		         (unsigned)want);
	assert_null(mdb);
	if (names_file && !strstr(MAPIXGetLastErrorText(), path))
		fail_msg("the message does not name the file: %s", MAPIXGetLastErrorText());
}

static void test_bad_files(void **state)
{
	fixture *f = *state;
	char path[4200];
	store_hook_skip_unless_local();

	/* Someone else's SQLite database. */
	snprintf(path, sizeof path, "%s/foreign.db", f->dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	expect_open_error(path, 0, MAPI_E_CORRUPT_STORE, TRUE);
	expect_open_error(path, MDB_WRITE, MAPI_E_CORRUPT_STORE, TRUE);
	expect_open_error(path, MDB_WRITE | MAPIX_STORE_CREATE, MAPI_E_CORRUPT_STORE, TRUE);

	/* Not a database at all. */
	snprintf(path, sizeof path, "%s/garbage.db", f->dir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	for (int i = 0; i < 8192; i++)
		fputc((i * 7919 + 13) & 0xFF, fp);
	fclose(fp);
	expect_open_error(path, 0, MAPI_E_CORRUPT_STORE, TRUE);
	expect_open_error(path, MDB_WRITE, MAPI_E_CORRUPT_STORE, TRUE);

	/* An empty file is not a mailbox unless asked to create one. */
	snprintf(path, sizeof path, "%s/empty.db", f->dir);
	fp = fopen(path, "wb");
	fclose(fp);
	expect_open_error(path, MDB_WRITE, MAPI_E_CORRUPT_STORE, TRUE);

	/* Missing. */
	snprintf(path, sizeof path, "%s/missing.db", f->dir);
	expect_open_error(path, 0, MAPI_E_NOT_FOUND, TRUE);
	expect_open_error(path, MDB_WRITE, MAPI_E_NOT_FOUND, TRUE);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/no/such/dir.db", f->dir);
	expect_open_error(path, MDB_WRITE | MAPIX_STORE_CREATE, MAPI_E_NOT_FOUND, TRUE);
}

/* ---- access ----------------------------------------------------------------------------------------------- */

static void test_read_only(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	LPSPropValue inbox_eid = get_prop((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID);
	IMsgStore_Release(mdb);

	mdb = NULL;
	assert_int_equal(store_hook_open(f->path, 0, &mdb), S_OK);
	SPropValue v = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = "nope"};
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &v, NULL), MAPI_E_NO_ACCESS);
	assert_int_equal(get_long((LPMAPIPROP)mdb, PR_ACCESS_LEVEL), 0);
	assert_true(get_long((LPMAPIPROP)mdb, PR_STORE_SUPPORT_MASK) & STORE_READONLY);
	assert_false(get_long((LPMAPIPROP)mdb, PR_STORE_SUPPORT_MASK) & STORE_MODIFY_OK);

	ULONG type;
	LPUNKNOWN unk = NULL;
	assert_int_equal(IMsgStore_OpenEntry(mdb, inbox_eid->Value.bin.cb, (LPENTRYID)inbox_eid->Value.bin.lpb, NULL,
	                                     MAPI_MODIFY, &type, &unk),
	                 MAPI_E_NO_ACCESS);
	/* MAPI_BEST_ACCESS takes what there is: a read-only folder. */
	LPMAPIFOLDER folder = open_folder(mdb, &inbox_eid->Value.bin, MAPI_BEST_ACCESS);
	assert_int_equal(IMAPIFolder_SetProps(folder, 1, &v, NULL), MAPI_E_NO_ACCESS);
	IMAPIFolder_Release(folder);
	IMsgStore_Release(mdb);

	/* MAPI_BEST_ACCESS on a writable file writes. */
	mdb = NULL;
	assert_int_equal(store_hook_open(f->path, MAPI_BEST_ACCESS, &mdb), S_OK);
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &v, NULL), S_OK);
	folder = open_folder(mdb, &inbox_eid->Value.bin, MAPI_BEST_ACCESS);
	SPropValue cmt = {.ulPropTag = PR_COMMENT_A, .Value.lpszA = "writable"};
	assert_int_equal(IMAPIFolder_SetProps(folder, 1, &cmt, NULL), S_OK);
	IMAPIFolder_Release(folder);
	IMsgStore_Release(mdb);
	MAPIFreeBuffer(inbox_eid);
}

/* Opens path as `nobody` in a child process: 0 when refused with
 * MAPI_E_NO_ACCESS and a message naming the file. */
static int open_as_nobody(const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(10);
		LPMDB mdb = NULL;
		HRESULT hr = MAPIXOpenLocalStore(path, 0, &mdb);
		if (hr != MAPI_E_NO_ACCESS) {
			fprintf(stderr, "as nobody: 0x%08X %s\n", (unsigned)hr, MAPIXGetLastErrorText());
			_exit(11);
		}
		if (!strstr(MAPIXGetLastErrorText(), path))
			_exit(12);
		hr = MAPIXOpenLocalStore(path, MDB_WRITE, &mdb);
		_exit(hr == MAPI_E_NO_ACCESS ? 0 : 13);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_unreadable(void **state)
{
	fixture *f = *state;
	store_hook_skip_unless_local();
	LPMDB mdb = create_store(f);
	IMsgStore_Release(mdb);

	if (geteuid() == 0) {
		/* Root reads everything: drop to nobody in a child. The
		 * directory is traversable, the 0600 file is root's. */
		assert_int_equal(chmod(f->dir, 0711), 0);
		assert_int_equal(open_as_nobody(f->path), 0);
	} else {
		assert_int_equal(chmod(f->path, 0), 0);
		expect_open_error(f->path, 0, MAPI_E_NO_ACCESS, TRUE);
		expect_open_error(f->path, MDB_WRITE, MAPI_E_NO_ACCESS, TRUE);
		assert_int_equal(chmod(f->path, 0600), 0);
	}
}

/* ---- the change journal ------------------------------------------------------------------------------------ */

static void test_change_journal(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	LPMAPIXCHANGEJOURNAL journal = NULL;
	LPSRowSet rows = NULL;
	ULONGLONG last = 0;

	assert_int_equal(IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&journal), S_OK);
	assert_int_equal(IMAPIXChangeJournal_GetLastChangeNumber(journal, &last), S_OK);
	assert_true(last > 0);

	/* The standard folders' creation, in change-number order. */
	assert_int_equal(IMAPIXChangeJournal_GetChangesSince(journal, 0, 0, &rows), S_OK);
	assert_true(rows->cRows >= 16);
	SBinary inbox = receive_folder(mdb, NULL, NULL, 0);
	LPSPropValue subtree = get_prop((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID);
	BOOL seen_inbox = FALSE, seen_root = FALSE;
	LONGLONG prev = 0;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		ULONG c = rows->aRow[i].cValues;
		LPSPropValue cn = PpropFindProp(p, c, PR_MAPIX_CHANGE_NUMBER);
		assert_non_null(cn);
		assert_true(cn->Value.li.QuadPart > prev);
		prev = cn->Value.li.QuadPart;
		assert_int_equal(PpropFindProp(p, c, PR_MAPIX_CHANGE_KIND)->Value.l, MAPIX_CHANGE_CREATE);
		assert_int_equal(PpropFindProp(p, c, PR_OBJECT_TYPE)->Value.l, MAPI_FOLDER);
		assert_non_null(PpropFindProp(p, c, PR_SOURCE_KEY));
		assert_non_null(PpropFindProp(p, c, PR_LAST_MODIFICATION_TIME));
		/* No old parent on a create. */
		assert_null(PpropFindProp(p, c, PR_MAPIX_OLD_PARENT_ENTRYID));
		LPSPropValue eid = PpropFindProp(p, c, PR_ENTRYID);
		assert_non_null(eid);
		LPSPropValue parent = PpropFindProp(p, c, PR_PARENT_ENTRYID);
		if (same_entry(mdb, &eid->Value.bin, &inbox)) {
			seen_inbox = TRUE;
			assert_non_null(parent);
			assert_true(same_entry(mdb, &parent->Value.bin, &subtree->Value.bin));
			assert_non_null(PpropFindProp(p, c, PR_PARENT_SOURCE_KEY));
		}
		if (!parent) {
			seen_root = TRUE; /* only the root has no parent */
			assert_int_equal(PROP_TYPE(p[5].ulPropTag), PT_ERROR);
		}
	}
	assert_true(seen_inbox);
	assert_true(seen_root);
	assert_int_equal((ULONGLONG)prev, last);
	FreeProws(rows);

	/* Paging. */
	assert_int_equal(IMAPIXChangeJournal_GetChangesSince(journal, 0, 3, &rows), S_OK);
	assert_int_equal(rows->cRows, 3);
	FreeProws(rows);
	assert_int_equal(IMAPIXChangeJournal_GetChangesSince(journal, last, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 0);
	FreeProws(rows);

	/* A new folder is journaled after everything before it. */
	LPMAPIFOLDER in = open_folder(mdb, &inbox, MAPI_MODIFY);
	LPMAPIFOLDER sub = NULL;
	assert_int_equal(IMAPIFolder_CreateFolder(in, FOLDER_GENERIC, (LPTSTR) "Sub", NULL, NULL, 0, &sub), S_OK);
	IMAPIFolder_Release(sub);
	IMAPIFolder_Release(in);
	assert_int_equal(IMAPIXChangeJournal_GetChangesSince(journal, last, 0, &rows), S_OK);
	assert_true(rows->cRows >= 1);
	BOOL created = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		ULONG c = rows->aRow[i].cValues;
		LPSPropValue parent = PpropFindProp(p, c, PR_PARENT_ENTRYID);
		if (PpropFindProp(p, c, PR_MAPIX_CHANGE_KIND)->Value.l == MAPIX_CHANGE_CREATE && parent &&
		    same_entry(mdb, &parent->Value.bin, &inbox))
			created = TRUE;
	}
	assert_true(created);
	FreeProws(rows);

	/* The journal keeps the mailbox open after the store is gone. */
	IMsgStore_Release(mdb);
	ULONGLONG after = 0;
	assert_int_equal(IMAPIXChangeJournal_GetLastChangeNumber(journal, &after), S_OK);
	assert_true(after > last);
	IMAPIXChangeJournal_Release(journal);
	MAPIFreeBuffer(subtree);
	MAPIFreeBuffer(inbox.lpb);
}

/* ---- backup -------------------------------------------------------------------------------------------------- */

static void test_backup(void **state)
{
	fixture *f = *state;
	char dest[4200];
	struct stat st;
	store_hook_skip_unless_local();
	LPMDB mdb = create_store(f);
	snprintf(dest, sizeof dest, "%s/backup.db", f->dir);

	SPropValue v = {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = "Backed up"};
	assert_int_equal(IMsgStore_SetProps(mdb, 1, &v, NULL), S_OK);
	SBinary inbox = receive_folder(mdb, NULL, NULL, 0);
	LPMAPIFOLDER in = open_folder(mdb, &inbox, MAPI_MODIFY);
	LPMAPIFOLDER sub = NULL;
	assert_int_equal(IMAPIFolder_CreateFolder(in, FOLDER_GENERIC, (LPTSTR) "Kept", NULL, NULL, 0, &sub), S_OK);
	LPSPropValue sub_eid = get_prop((LPMAPIPROP)sub, PR_ENTRYID);
	IMAPIFolder_Release(sub);
	IMAPIFolder_Release(in);
	LPSPropValue rk = get_prop((LPMAPIPROP)mdb, PR_RECORD_KEY);

	assert_int_equal(MAPIXBackupStore(mdb, dest), S_OK);
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(MAPIXBackupStore(mdb, dest), MAPI_E_COLLISION);
	assert_int_equal(MAPIXBackupStore(NULL, dest), MAPI_E_INVALID_PARAMETER);
	IMsgStore_Release(mdb);

	/* The copy is the same mailbox, with the same folders. */
	mdb = NULL;
	assert_int_equal(MAPIXOpenLocalStore(dest, MDB_WRITE, &mdb), S_OK);
	LPSPropValue rk2 = get_prop((LPMAPIPROP)mdb, PR_RECORD_KEY);
	assert_memory_equal(rk->Value.bin.lpb, rk2->Value.bin.lpb, 16);
	LPSPropValue dn = get_prop((LPMAPIPROP)mdb, PR_DISPLAY_NAME_A);
	assert_string_equal(dn->Value.lpszA, "Backed up");
	expect_store_folder(mdb, PR_IPM_SUBTREE_ENTRYID, "Top of Information Store");
	expect_store_folder(mdb, PR_IPM_WASTEBASKET_ENTRYID, "Deleted Items");
	expect_folder_named(mdb, &inbox, "Inbox");
	expect_folder_named(mdb, &sub_eid->Value.bin, "Kept");
	IMsgStore_Release(mdb);

	MAPIFreeBuffer(dn);
	MAPIFreeBuffer(rk2);
	MAPIFreeBuffer(rk);
	MAPIFreeBuffer(sub_eid);
	MAPIFreeBuffer(inbox.lpb);
}

/* ---- the provider interface -------------------------------------------------------------------------------------- */

static void test_provider_interface(void **state)
{
	fixture *f = *state;
	LPMSPROVIDER prov = NULL;
	LPMAPISUP sup = NULL;
	LPMSLOGON logon = NULL;
	LPMDB mdb = NULL;
	ULONG ver = 0, type = 0, result = 2;
	store_hook_skip_unless_local();

	assert_int_equal(local_MSProviderInit(NULL, NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, 0,
	                                      CURRENT_SPI_VERSION, &ver, &prov),
	                 S_OK);
	assert_int_equal(ver, CURRENT_SPI_VERSION);

	/* A profile section without a mailbox path. */
	assert_int_equal(mapix_support_standalone_new(0, NULL, &sup), S_OK);
	assert_int_equal(IMSProvider_Logon(prov, sup, 0, NULL, 0, NULL, MDB_WRITE, NULL, NULL, NULL, NULL, &logon, &mdb),
	                 MAPI_E_UNCONFIGURED);
	assert_null(logon);
	assert_null(mdb);
	IMAPISupport_Release(sup);

	/* The path in Unicode, with the create flag in the section. */
	LPWSTR wpath = NULL;
	assert_int_equal(mapix_utf8_to_utf16(f->path, NULL, &wpath), S_OK);
	SPropValue section[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_W, .Value.lpszW = wpath},
	                         {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
	assert_int_equal(mapix_support_standalone_new(2, section, &sup), S_OK);
	MAPIFreeBuffer(wpath);
	assert_int_equal(IMSProvider_Logon(prov, sup, 0, NULL, 0, NULL, MDB_WRITE, NULL, NULL, NULL, NULL, &logon, &mdb),
	                 S_OK);
	IMAPISupport_Release(sup);
	assert_int_equal(access(f->path, F_OK), 0);

	/* The logon opens entries like the store does: NULL is the root. */
	LPMAPIFOLDER root = NULL;
	assert_int_equal(IMSLogon_OpenEntry(logon, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root), S_OK);
	assert_int_equal(type, MAPI_FOLDER);
	assert_int_equal(get_long((LPMAPIPROP)root, PR_FOLDER_TYPE), FOLDER_ROOT);
	LPSPropValue root_eid = get_prop((LPMAPIPROP)root, PR_ENTRYID);
	LPSPropValue ipm = get_prop((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID);
	assert_int_equal(IMSLogon_CompareEntryIDs(logon, root_eid->Value.bin.cb, (LPENTRYID)root_eid->Value.bin.lpb,
	                                          ipm->Value.bin.cb, (LPENTRYID)ipm->Value.bin.lpb, 0, &result),
	                 S_OK);
	assert_int_equal(result, FALSE);
	IMAPIFolder_Release(root);
	MAPIFreeBuffer(root_eid);
	MAPIFreeBuffer(ipm);

	LPVOID status = NULL;
	assert_int_equal(IMSLogon_OpenStatusEntry(logon, NULL, 0, &type, &status), MAPI_E_NO_SUPPORT);

	/* CompareStoreIDs: the store entry ID names this mailbox. */
	LPSPropValue seid = get_prop((LPMAPIPROP)mdb, PR_STORE_ENTRYID);
	assert_int_equal(IMSProvider_CompareStoreIDs(prov, seid->Value.bin.cb, (LPENTRYID)seid->Value.bin.lpb,
	                                             seid->Value.bin.cb, (LPENTRYID)seid->Value.bin.lpb, 0, &result),
	                 S_OK);
	assert_int_equal(result, TRUE);
	MAPIFreeBuffer(seid);

	ULONG flags = 0;
	assert_int_equal(IMsgStore_StoreLogoff(mdb, &flags), S_OK);
	assert_int_equal(IMSLogon_Logoff(logon, &flags), S_OK);
	/* Released in the "wrong" order: the logon first. */
	IMSLogon_Release(logon);
	assert_int_equal(get_long((LPMAPIPROP)mdb, PR_OBJECT_TYPE), MAPI_STORE);
	IMsgStore_Release(mdb);
	assert_int_equal(IMSProvider_Shutdown(prov, &flags), S_OK);
	IMSProvider_Release(prov);
}

/* ---- lifetime and notifications ---------------------------------------------------------------------------------- */

typedef struct {
	IMAPIAdviseSink itf;
	int refs;
	int calls;
	ULONG last_event;
} test_sink;

static HRESULT sink_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	(void)riid;
	*ppv = This;
	((test_sink *)This)->refs++;
	return S_OK;
}
static ULONG sink_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)++((test_sink *)This)->refs;
}
static ULONG sink_Release(IMAPIAdviseSink *This)
{
	return (ULONG)--((test_sink *)This)->refs;
}
static ULONG sink_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpNotifications)
{
	test_sink *s = (test_sink *)This;
	s->calls += (int)cNotif;
	s->last_event = lpNotifications[cNotif - 1].ulEventType;
	return 0;
}
static const IMAPIAdviseSinkVtbl sink_vtbl = {sink_QueryInterface, sink_AddRef, sink_Release, sink_OnNotify};

static void test_lifetime_and_notifications(void **state)
{
	fixture *f = *state;
	LPMDB mdb = create_store(f);
	test_sink store_sink = {{&sink_vtbl}, 1, 0, 0}, inbox_sink = {{&sink_vtbl}, 1, 0, 0};
	ULONG_PTR c_store = 0, c_inbox = 0;

	SBinary inbox = receive_folder(mdb, NULL, NULL, 0);
	assert_int_equal(IMsgStore_Advise(mdb, 0, NULL, fnevNewMail, &store_sink.itf, &c_store), S_OK);
	/* Advised under a spelling of the Inbox entry ID with flag bytes. */
	BYTE flagged[64];
	memcpy(flagged, inbox.lpb, inbox.cb);
	flagged[0] = 0x80;
	assert_int_equal(IMsgStore_Advise(mdb, inbox.cb, (LPENTRYID)flagged, fnevNewMail | fnevObjectModified,
	                                  &inbox_sink.itf, &c_inbox),
	                 S_OK);
	assert_int_equal(store_sink.refs, 2);

	NOTIFICATION n;
	memset(&n, 0, sizeof n);
	n.ulEventType = fnevNewMail;
	n.info.newmail.cbParentID = inbox.cb;
	n.info.newmail.lpParentID = (LPENTRYID)inbox.lpb;
	n.info.newmail.lpszMessageClass = (LPTSTR) "IPM.Note";
	assert_int_equal(IMsgStore_NotifyNewMail(mdb, &n), S_OK);
	assert_int_equal(store_sink.calls, 1);
	assert_int_equal(store_sink.last_event, fnevNewMail);
	assert_int_equal(inbox_sink.calls, 1);

	n.ulEventType = fnevObjectModified;
	assert_int_equal(IMsgStore_NotifyNewMail(mdb, &n), MAPI_E_INVALID_PARAMETER);

	assert_int_equal(IMsgStore_Unadvise(mdb, c_store), S_OK);
	assert_int_equal(store_sink.refs, 1);
	assert_int_not_equal(IMsgStore_Unadvise(mdb, c_store), S_OK);
	n.ulEventType = fnevNewMail;
	assert_int_equal(IMsgStore_NotifyNewMail(mdb, &n), S_OK);
	assert_int_equal(store_sink.calls, 1);
	assert_int_equal(inbox_sink.calls, 2);

	/* Objects outlive the store object; the last one closes the mailbox
	 * (and releases the sinks still subscribed). */
	LPMAPIFOLDER in = open_folder(mdb, &inbox, 0);
	IMsgStore_Release(mdb);
	LPSPropValue dn = get_prop((LPMAPIPROP)in, PR_DISPLAY_NAME_A);
	assert_string_equal(dn->Value.lpszA, "Inbox");
	MAPIFreeBuffer(dn);
	IMAPIFolder_Release(in);
	assert_int_equal(inbox_sink.refs, 1);
	MAPIFreeBuffer(inbox.lpb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_standard_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entryids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_properties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_interface, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_and_notifications, setup, teardown),
	};
	return cmocka_run_group_tests_name("store_open", tests, NULL, NULL);
}
