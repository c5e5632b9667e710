/*
 * test_store_journal.c — the change journal of a message store
 * (IMAPIXChangeJournal, mapixstore.h) through the public API only: every
 * create, modify, move and delete of folders and messages appears in
 * GetChangesSince, in change-number order, with the right kind, entry ID,
 * source key and parents; deletes leave tombstones; cMax pages; change
 * numbers strictly increase and equal the counters of the objects'
 * PR_CHANGE_KEY.
 *
 * Each step of the scenario reads the changes since the previous step and
 * matches them against what the step should have journaled. A step may in
 * addition journal MODIFY rows of folders (a store may count a parent's
 * bookkeeping as a change); anything else unexpected fails the test.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "store_hook.h"

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

static HRESULT open_store(const char *path, BOOL create, LPMDB *lppMDB)
{
	return store_hook_open(path, MDB_WRITE | (create ? MAPIX_STORE_CREATE : 0), lppMDB);
}

/* ---- small helpers ------------------------------------------------------------------- */

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

static bin get_bin(LPVOID obj, ULONG tag)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)obj, tag, &v);
	if (hr != S_OK)
		fail_msg("GetProps(0x%08X): 0x%08X (%s)", (unsigned)tag, (unsigned)hr, MAPIXGetLastErrorText());
	bin b = bin_dup(&v->Value.bin);
	MAPIFreeBuffer(v);
	return b;
}

/* The 48-bit counter of an XID (GUID + 6 bytes big-endian). */
static ULONGLONG xid_counter(const BYTE *xid, ULONG cb)
{
	assert_int_equal(cb, 22);
	ULONGLONG c = 0;
	for (int i = 16; i < 22; i++)
		c = c << 8 | xid[i];
	return c;
}

static ULONGLONG change_key_counter(LPVOID obj)
{
	bin ck = get_bin(obj, PR_CHANGE_KEY);
	ULONGLONG c = xid_counter(ck.lpb, ck.cb);
	bin_free(&ck);
	return c;
}

static LPUNKNOWN open_entry(LPMDB mdb, const bin *eid, ULONG flags, ULONG want_type)
{
	ULONG type = 0;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, &unk);
	if (hr != S_OK)
		fail_msg("OpenEntry: 0x%08X (%s)", (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, want_type);
	return unk;
}

static LPMAPIFOLDER create_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	assert_ok(IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, 0, &f));
	return f;
}

/* Saves a new message; returns it opened (read-only), saved. */
static LPMESSAGE save_message(LPMAPIFOLDER folder, const char *subject)
{
	LPMESSAGE m = NULL;
	SPropValue pv[2] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)subject},
	                    {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"}};
	assert_ok(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, 2, pv, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	return m;
}

/* The entry ID of the message with this subject in folder (contents table). */
static bin find_message(LPMAPIFOLDER folder, const char *subject)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	bin r = {0, NULL};
	assert_ok(IMAPIFolder_GetContentsTable(folder, 0, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue s = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_SUBJECT_A);
		LPSPropValue e = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ENTRYID);
		if (s && e && strcmp(s->Value.lpszA, subject) == 0)
			r = bin_dup(&e->Value.bin);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
	if (!r.lpb)
		fail_msg("no message \"%s\" in the folder", subject);
	return r;
}

/* ---- an object the scenario follows ----------------------------------------------------- */

typedef struct tracked {
	const char *name;
	ULONG type;
	bin eid, sk;
} tracked;

static void track(tracked *t, const char *name, LPVOID obj, ULONG type)
{
	t->name = name;
	t->type = type;
	t->eid = get_bin(obj, PR_ENTRYID);
	t->sk = get_bin(obj, PR_SOURCE_KEY);
}

static void untrack(tracked *t)
{
	bin_free(&t->eid);
	bin_free(&t->sk);
}

/* ---- matching journal rows ---------------------------------------------------------------- */

typedef struct expect {
	int kind;
	const tracked *obj;
	const tracked *parent;
	const tracked *old_parent; /* MOVE only */
	ULONGLONG cn;              /* filled in: the matching row's change number */
} expect;

typedef struct scenario {
	LPMDB mdb;
	LPMAPIXCHANGEJOURNAL journal;
	ULONGLONG last;
} scenario;

static LPSPropValue col(LPSRow row, ULONG tag)
{
	return PpropFindProp(row->lpProps, row->cValues, tag);
}

static ULONGLONG row_cn(LPSRow row)
{
	LPSPropValue v = col(row, PR_MAPIX_CHANGE_NUMBER);
	if (!v)
		fail_msg("a journal row without PR_MAPIX_CHANGE_NUMBER");
	return (ULONGLONG)v->Value.li.QuadPart;
}

static BOOL row_matches(LPSRow row, const expect *e)
{
	LPSPropValue kind = col(row, PR_MAPIX_CHANGE_KIND), type = col(row, PR_OBJECT_TYPE);
	LPSPropValue sk = col(row, PR_SOURCE_KEY);
	return kind && type && sk && kind->Value.l == e->kind && (ULONG)type->Value.l == e->obj->type &&
	       bin_eq(&e->obj->sk, &sk->Value.bin);
}

/* Checks every column of a row that matched e. */
static void check_row(LPSRow row, const expect *e, const char *step)
{
	LPSPropValue v = col(row, PR_ENTRYID);
	if (!v || !bin_eq(&e->obj->eid, &v->Value.bin))
		fail_msg("%s: %s: PR_ENTRYID of the journal row is not the object's", step, e->obj->name);
	v = col(row, PR_PARENT_SOURCE_KEY);
	if (!v || !bin_eq(&e->parent->sk, &v->Value.bin))
		fail_msg("%s: %s: PR_PARENT_SOURCE_KEY is not %s's", step, e->obj->name, e->parent->name);
	v = col(row, PR_PARENT_ENTRYID);
	if (!v || !bin_eq(&e->parent->eid, &v->Value.bin))
		fail_msg("%s: %s: PR_PARENT_ENTRYID is not %s's", step, e->obj->name, e->parent->name);
	if (e->kind == MAPIX_CHANGE_MOVE) {
		v = col(row, PR_MAPIX_OLD_PARENT_SOURCE_KEY);
		if (!v || !bin_eq(&e->old_parent->sk, &v->Value.bin))
			fail_msg("%s: %s: PR_MAPIX_OLD_PARENT_SOURCE_KEY is not %s's", step, e->obj->name, e->old_parent->name);
		v = col(row, PR_MAPIX_OLD_PARENT_ENTRYID);
		if (!v || !bin_eq(&e->old_parent->eid, &v->Value.bin))
			fail_msg("%s: %s: PR_MAPIX_OLD_PARENT_ENTRYID is not %s's", step, e->obj->name, e->old_parent->name);
	}
	v = col(row, PR_LAST_MODIFICATION_TIME);
	if (!v || (v->Value.ft.dwHighDateTime == 0 && v->Value.ft.dwLowDateTime == 0))
		fail_msg("%s: %s: no PR_LAST_MODIFICATION_TIME", step, e->obj->name);
}

/* Reads the changes since the previous step and matches them against exp
 * (in order unless `unordered`). */
static void step(scenario *sc, const char *name, expect *exp, size_t n, BOOL unordered)
{
	LPSRowSet rows = NULL;
	ULONGLONG last = 0;
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc->journal, sc->last, 0, &rows));
	assert_non_null(rows);
	ULONGLONG prev = sc->last;
	BOOL *used = calloc(rows->cRows + 1, sizeof *used);
	assert_non_null(used);
	for (ULONG i = 0; i < rows->cRows; i++) {
		ULONGLONG cn = row_cn(&rows->aRow[i]);
		if (cn <= prev)
			fail_msg("%s: change number %llu after %llu", name, (unsigned long long)cn, (unsigned long long)prev);
		prev = cn;
	}
	size_t next = 0;
	for (size_t k = 0; k < n; k++) {
		BOOL found = FALSE;
		for (ULONG i = unordered ? 0 : (ULONG)next; i < rows->cRows && !found; i++) {
			if (used[i] || !row_matches(&rows->aRow[i], &exp[k]))
				continue;
			check_row(&rows->aRow[i], &exp[k], name);
			exp[k].cn = row_cn(&rows->aRow[i]);
			used[i] = TRUE;
			next = i + 1;
			found = TRUE;
		}
		if (!found)
			fail_msg("%s: no %s (kind %d) of %s in the %u rows journaled%s", name,
			         exp[k].kind == MAPIX_CHANGE_CREATE   ? "create"
			         : exp[k].kind == MAPIX_CHANGE_MODIFY ? "modify"
			         : exp[k].kind == MAPIX_CHANGE_MOVE   ? "move"
			                                              : "delete",
			         exp[k].kind, exp[k].obj->name, (unsigned)rows->cRows, unordered ? "" : " (in order)");
	}
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue kind = col(&rows->aRow[i], PR_MAPIX_CHANGE_KIND), type = col(&rows->aRow[i], PR_OBJECT_TYPE);
		if (used[i])
			continue;
		if (!kind || !type || kind->Value.l != MAPIX_CHANGE_MODIFY || type->Value.l != MAPI_FOLDER)
			fail_msg("%s: unexpected journal row %u (kind %d, object type %d)", name, (unsigned)i,
			         kind ? (int)kind->Value.l : -1, type ? (int)type->Value.l : -1);
	}
	if (rows->cRows)
		sc->last = row_cn(&rows->aRow[rows->cRows - 1]);
	assert_ok(IMAPIXChangeJournal_GetLastChangeNumber(sc->journal, &last));
	if (last != sc->last)
		fail_msg("%s: GetLastChangeNumber %llu, last row %llu", name, (unsigned long long)last,
		         (unsigned long long)sc->last);
	free(used);
	FreeProws(rows);
}

/* The object's PR_CHANGE_KEY counter is its last journaled change number. */
static void assert_change_key(LPVOID obj, ULONGLONG cn, const char *what)
{
	ULONGLONG ck = change_key_counter(obj);
	if (ck != cn)
		fail_msg("%s: PR_CHANGE_KEY counter %llu, journal change number %llu", what, (unsigned long long)ck,
		         (unsigned long long)cn);
}

/* ---- the scenario ----------------------------------------------------------------------- */

static void test_journal_scenario(void **state)
{
	(void)state;
	char *dir = mapix_test_tmpdir("store-journal");
	char path[4096];
	scenario sc = {0};
	ULONG type;
	LPMAPIFOLDER ipm = NULL;
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/mailbox.db", dir);
	assert_ok(open_store(path, TRUE, &sc.mdb));
	assert_ok(IMsgStore_QueryInterface(sc.mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&sc.journal));

	tracked t_ipm, t_f, t_g, t_h, t_m1, t_m2, t_m2c, t_m3;
	bin ipm_eid = get_bin(sc.mdb, PR_IPM_SUBTREE_ENTRYID);
	ipm = (LPMAPIFOLDER)open_entry(sc.mdb, &ipm_eid, MAPI_MODIFY, MAPI_FOLDER);
	bin_free(&ipm_eid);
	track(&t_ipm, "IPM subtree", ipm, MAPI_FOLDER);

	/* A new mailbox's journal starts with the creation of its standard folders. */
	LPSRowSet rows = NULL;
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, 0, 0, &rows));
	BOOL ipm_created = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue k = col(&rows->aRow[i], PR_MAPIX_CHANGE_KIND), s = col(&rows->aRow[i], PR_SOURCE_KEY);
		if (k && s && k->Value.l == MAPIX_CHANGE_CREATE && bin_eq(&t_ipm.sk, &s->Value.bin))
			ipm_created = TRUE;
	}
	assert_true(ipm_created);
	FreeProws(rows);
	assert_ok(IMAPIXChangeJournal_GetLastChangeNumber(sc.journal, &sc.last));
	const ULONGLONG base = sc.last;
	assert_true(base > 0);

	/* Folders: create, modify, rename. */
	LPMAPIFOLDER f = create_folder(ipm, "F");
	track(&t_f, "folder F", f, MAPI_FOLDER);
	expect e1[] = {{MAPIX_CHANGE_CREATE, &t_f, &t_ipm, NULL, 0}};
	step(&sc, "CreateFolder F", e1, 1, FALSE);
	assert_change_key(f, e1[0].cn, "F after creation");

	LPMAPIFOLDER g = create_folder(ipm, "G");
	track(&t_g, "folder G", g, MAPI_FOLDER);
	expect e2[] = {{MAPIX_CHANGE_CREATE, &t_g, &t_ipm, NULL, 0}};
	step(&sc, "CreateFolder G", e2, 1, FALSE);

	SPropValue pv = {.ulPropTag = PR_COMMENT_A, .Value.lpszA = (LPSTR) "a comment"};
	assert_ok(IMAPIFolder_SetProps(f, 1, &pv, NULL));
	expect e3[] = {{MAPIX_CHANGE_MODIFY, &t_f, &t_ipm, NULL, 0}};
	step(&sc, "SetProps on F", e3, 1, FALSE);
	assert_change_key(f, e3[0].cn, "F after SetProps");

	pv.ulPropTag = PR_DISPLAY_NAME_A;
	pv.Value.lpszA = (LPSTR) "F renamed";
	assert_ok(IMAPIFolder_SetProps(f, 1, &pv, NULL));
	expect e4[] = {{MAPIX_CHANGE_MODIFY, &t_f, &t_ipm, NULL, 0}};
	step(&sc, "rename F", e4, 1, FALSE);
	assert_change_key(f, e4[0].cn, "F after rename");

	/* Messages: create, modify, read flags. */
	LPMESSAGE m1 = save_message(f, "m1");
	track(&t_m1, "message m1", m1, MAPI_MESSAGE);
	expect e5[] = {{MAPIX_CHANGE_CREATE, &t_m1, &t_f, NULL, 0}};
	step(&sc, "save m1", e5, 1, FALSE);
	assert_change_key(m1, e5[0].cn, "m1 after creation");
	IMessage_Release(m1);

	LPMESSAGE m2 = save_message(f, "m2");
	track(&t_m2, "message m2", m2, MAPI_MESSAGE);
	expect e6[] = {{MAPIX_CHANGE_CREATE, &t_m2, &t_f, NULL, 0}};
	step(&sc, "save m2", e6, 1, FALSE);
	IMessage_Release(m2);

	m1 = (LPMESSAGE)open_entry(sc.mdb, &t_m1.eid, MAPI_MODIFY, MAPI_MESSAGE);
	pv.ulPropTag = PR_SUBJECT_A;
	pv.Value.lpszA = (LPSTR) "m1 v2";
	assert_ok(IMessage_SetProps(m1, 1, &pv, NULL));
	assert_ok(IMessage_SaveChanges(m1, KEEP_OPEN_READWRITE));
	expect e7[] = {{MAPIX_CHANGE_MODIFY, &t_m1, &t_f, NULL, 0}};
	step(&sc, "modify m1", e7, 1, FALSE);
	assert_change_key(m1, e7[0].cn, "m1 after SaveChanges");
	IMessage_Release(m1);
	/* An object released unsaved journals nothing. */
	m1 = (LPMESSAGE)open_entry(sc.mdb, &t_m1.eid, MAPI_MODIFY, MAPI_MESSAGE);
	pv.Value.lpszA = (LPSTR) "never saved";
	assert_ok(IMessage_SetProps(m1, 1, &pv, NULL));
	IMessage_Release(m1);
	LPMESSAGE unsaved = NULL;
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &unsaved));
	IMessage_Release(unsaved);
	step(&sc, "unsaved changes", NULL, 0, FALSE);

	SBinary sb = {t_m2.eid.cb, t_m2.eid.lpb};
	ENTRYLIST el = {1, &sb};
	assert_ok(IMAPIFolder_SetReadFlags(f, &el, 0, NULL, CLEAR_READ_FLAG));
	ULONGLONG ignored = sc.last;
	assert_ok(IMAPIXChangeJournal_GetLastChangeNumber(sc.journal, &ignored));
	sc.last = ignored; /* CLEAR may or may not change m2, depending on its initial state */
	assert_ok(IMAPIFolder_SetReadFlags(f, &el, 0, NULL, SUPPRESS_RECEIPT));
	expect e8[] = {{MAPIX_CHANGE_MODIFY, &t_m2, &t_f, NULL, 0}};
	step(&sc, "SetReadFlags m2", e8, 1, FALSE);
	m2 = (LPMESSAGE)open_entry(sc.mdb, &t_m2.eid, 0, MAPI_MESSAGE);
	assert_change_key(m2, e8[0].cn, "m2 after SetReadFlags");
	IMessage_Release(m2);

	/* Moving a message: the row names the new place and the old one. */
	sb = (SBinary){t_m1.eid.cb, t_m1.eid.lpb};
	assert_ok(IMAPIFolder_CopyMessages(f, &el, NULL, g, 0, NULL, MESSAGE_MOVE));
	bin moved_eid = find_message(g, "m1 v2");
	m1 = (LPMESSAGE)open_entry(sc.mdb, &moved_eid, 0, MAPI_MESSAGE);
	tracked t_m1_moved;
	track(&t_m1_moved, "message m1 (moved)", m1, MAPI_MESSAGE);
	expect e9[] = {{MAPIX_CHANGE_MOVE, &t_m1_moved, &t_g, &t_f, 0}};
	step(&sc, "move m1 to G", e9, 1, FALSE);
	assert_change_key(m1, e9[0].cn, "m1 after the move");
	IMessage_Release(m1);
	bin_free(&moved_eid);

	/* Copying a message creates a new one. */
	sb = (SBinary){t_m2.eid.cb, t_m2.eid.lpb};
	assert_ok(IMAPIFolder_CopyMessages(f, &el, NULL, g, 0, NULL, 0));
	bin copy_eid = find_message(g, "m2");
	LPMESSAGE m2c = (LPMESSAGE)open_entry(sc.mdb, &copy_eid, 0, MAPI_MESSAGE);
	track(&t_m2c, "copy of m2", m2c, MAPI_MESSAGE);
	assert_false(bin_eq(&t_m2.sk, &(SBinary){t_m2c.sk.cb, t_m2c.sk.lpb}));
	expect e10[] = {{MAPIX_CHANGE_CREATE, &t_m2c, &t_g, NULL, 0}};
	step(&sc, "copy m2 to G", e10, 1, FALSE);
	assert_change_key(m2c, e10[0].cn, "the copy of m2");
	IMessage_Release(m2c);
	bin_free(&copy_eid);

	/* Deleting a message leaves a tombstone with its identity. */
	assert_ok(IMAPIFolder_DeleteMessages(f, &el, 0, NULL, 0));
	expect e11[] = {{MAPIX_CHANGE_DELETE, &t_m2, &t_f, NULL, 0}};
	step(&sc, "delete m2", e11, 1, FALSE);
	const ULONGLONG m2_tombstone = e11[0].cn;

	/* Moving a folder. */
	assert_ok(IMAPIFolder_CopyFolder(ipm, t_f.eid.cb, (LPENTRYID)t_f.eid.lpb, NULL, g, NULL, 0, NULL, FOLDER_MOVE));
	expect e12[] = {{MAPIX_CHANGE_MOVE, &t_f, &t_g, &t_ipm, 0}};
	step(&sc, "move F under G", e12, 1, FALSE);
	assert_change_key(f, e12[0].cn, "F after the move");

	/* Deleting a tree: every folder and message in it gets a tombstone. */
	LPMAPIFOLDER h = create_folder(f, "H");
	track(&t_h, "folder H", h, MAPI_FOLDER);
	LPMESSAGE m3 = save_message(h, "m3");
	track(&t_m3, "message m3", m3, MAPI_MESSAGE);
	IMessage_Release(m3);
	expect e13[] = {{MAPIX_CHANGE_CREATE, &t_h, &t_f, NULL, 0}, {MAPIX_CHANGE_CREATE, &t_m3, &t_h, NULL, 0}};
	step(&sc, "create H and m3", e13, 2, FALSE);
	IMAPIFolder_Release(h);
	IMAPIFolder_Release(f);
	f = NULL;
	assert_ok(IMAPIFolder_DeleteFolder(g, t_f.eid.cb, (LPENTRYID)t_f.eid.lpb, 0, NULL, DEL_FOLDERS | DEL_MESSAGES));
	expect e14[] = {{MAPIX_CHANGE_DELETE, &t_m3, &t_h, NULL, 0},
	                {MAPIX_CHANGE_DELETE, &t_h, &t_f, NULL, 0},
	                {MAPIX_CHANGE_DELETE, &t_f, &t_g, NULL, 0}};
	step(&sc, "DeleteFolder F", e14, 3, TRUE);

	/* EmptyFolder deletes each message. */
	assert_ok(IMAPIFolder_EmptyFolder(g, 0, NULL, 0));
	expect e15[] = {{MAPIX_CHANGE_DELETE, &t_m1_moved, &t_g, NULL, 0}, {MAPIX_CHANGE_DELETE, &t_m2c, &t_g, NULL, 0}};
	step(&sc, "EmptyFolder G", e15, 2, TRUE);

	/* Tombstones stay in the journal; the objects are gone. */
	const tracked *gone[] = {&t_m2, &t_f, &t_h, &t_m3, &t_m1_moved, &t_m2c};
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		LPUNKNOWN unk = NULL;
		HRESULT hr = IMsgStore_OpenEntry(sc.mdb, gone[i]->eid.cb, (LPENTRYID)gone[i]->eid.lpb, NULL, 0, &type, &unk);
		if (hr != MAPI_E_NOT_FOUND && hr != MAPI_E_OBJECT_DELETED)
			fail_msg("%s was deleted, OpenEntry returned 0x%08X", gone[i]->name, (unsigned)hr);
	}
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, m2_tombstone - 1, 1, &rows));
	assert_int_equal(rows->cRows, 1);
	assert_int_equal(row_cn(&rows->aRow[0]), m2_tombstone);
	assert_int_equal(col(&rows->aRow[0], PR_MAPIX_CHANGE_KIND)->Value.l, MAPIX_CHANGE_DELETE);
	FreeProws(rows);

	/* Paging with cMax gives the same rows as one read. */
	LPSRowSet all = NULL;
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, base, 0, &all));
	assert_true(all->cRows >= 18);
	ULONG seen = 0;
	for (ULONGLONG since = base;;) {
		assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, since, 3, &rows));
		assert_true(rows->cRows <= 3);
		if (rows->cRows == 0) {
			FreeProws(rows);
			break;
		}
		for (ULONG i = 0; i < rows->cRows; i++, seen++) {
			assert_true(seen < all->cRows);
			assert_int_equal(row_cn(&rows->aRow[i]), row_cn(&all->aRow[seen]));
		}
		since = row_cn(&rows->aRow[rows->cRows - 1]);
		FreeProws(rows);
	}
	assert_int_equal(seen, all->cRows);
	/* Nothing after the last change. */
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, sc.last, 0, &rows));
	assert_int_equal(rows->cRows, 0);
	FreeProws(rows);

	/* The whole journal: strictly increasing change numbers. */
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, 0, 0, &rows));
	for (ULONG i = 1; i < rows->cRows; i++)
		assert_true(row_cn(&rows->aRow[i]) > row_cn(&rows->aRow[i - 1]));
	FreeProws(rows);

	/* It survives a reopen, and numbering goes on from there. */
	IMAPIFolder_Release(g);
	IMAPIFolder_Release(ipm);
	IMAPIXChangeJournal_Release(sc.journal);
	IMsgStore_Release(sc.mdb);
	assert_ok(open_store(path, FALSE, &sc.mdb));
	assert_ok(IMsgStore_QueryInterface(sc.mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&sc.journal));
	assert_ok(IMAPIXChangeJournal_GetChangesSince(sc.journal, base, 0, &rows));
	assert_int_equal(rows->cRows, all->cRows);
	for (ULONG i = 0; i < rows->cRows; i++)
		assert_int_equal(row_cn(&rows->aRow[i]), row_cn(&all->aRow[i]));
	FreeProws(rows);
	FreeProws(all);
	ULONGLONG before = 0;
	assert_ok(IMAPIXChangeJournal_GetLastChangeNumber(sc.journal, &before));
	assert_int_equal(before, sc.last);
	g = (LPMAPIFOLDER)open_entry(sc.mdb, &t_g.eid, MAPI_MODIFY, MAPI_FOLDER);
	LPMESSAGE m4 = save_message(g, "after reopen");
	assert_true(change_key_counter(m4) > before);
	tracked t_m4;
	track(&t_m4, "message m4", m4, MAPI_MESSAGE);
	expect e16[] = {{MAPIX_CHANGE_CREATE, &t_m4, &t_g, NULL, 0}};
	step(&sc, "save after reopen", e16, 1, FALSE);
	assert_change_key(m4, e16[0].cn, "m4");
	IMessage_Release(m4);
	IMAPIFolder_Release(g);

	/* The journal object outlives the store object it came from. */
	IMsgStore_Release(sc.mdb);
	assert_ok(IMAPIXChangeJournal_GetLastChangeNumber(sc.journal, &before));
	assert_int_equal(before, sc.last);
	IMAPIXChangeJournal_Release(sc.journal);

	tracked *all_tracked[] = {&t_ipm, &t_f, &t_g, &t_h, &t_m1, &t_m2, &t_m2c, &t_m3, &t_m1_moved, &t_m4};
	for (size_t i = 0; i < sizeof all_tracked / sizeof all_tracked[0]; i++)
		untrack(all_tracked[i]);
	mapix_test_rmtree(dir);
	free(dir);
}

/* Bad arguments are refused without crashing. */
static void test_journal_arguments(void **state)
{
	(void)state;
	char *dir = mapix_test_tmpdir("store-journal-args");
	char path[4096];
	LPMDB mdb = NULL;
	LPMAPIXCHANGEJOURNAL j = NULL;
	LPSRowSet rows = NULL;
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/mailbox.db", dir);
	assert_ok(open_store(path, TRUE, &mdb));
	assert_ok(IMsgStore_QueryInterface(mdb, &IID_IMAPIXChangeJournal, (LPVOID *)&j));
	assert_hr(IMAPIXChangeJournal_GetChangesSince(j, 0, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_hr(IMAPIXChangeJournal_GetLastChangeNumber(j, NULL), MAPI_E_INVALID_PARAMETER);
	/* A number far in the future: no rows. */
	assert_ok(IMAPIXChangeJournal_GetChangesSince(j, ~(ULONGLONG)0, 0, &rows));
	assert_int_equal(rows->cRows, 0);
	FreeProws(rows);
	/* QueryInterface round trip. */
	LPUNKNOWN unk = NULL;
	assert_ok(IMAPIXChangeJournal_QueryInterface(j, &IID_IUnknown, (LPVOID *)&unk));
	assert_ptr_equal(unk, j);
	IMAPIXChangeJournal_Release(j);
	IMAPIXChangeJournal_Release(j);
	IMsgStore_Release(mdb);
	mapix_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_scenario),
		cmocka_unit_test(test_journal_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
