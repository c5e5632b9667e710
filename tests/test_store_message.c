/*
 * test_store_message.c — messages of a message store through the public
 * API (IMessage, IAttach, IMAPIFolder): every property type survives a
 * save and a reopen; recipients (add, modify, remove, replace);
 * attachments with data, embedded messages with their own recipients and
 * attachments, nested; transactions (an unsaved message leaves nothing,
 * MAPI_E_OBJECT_CHANGED and FORCE_SAVE, objects deleted underneath);
 * computed properties (size, PR_HASATTACH, flags); SetReadFlag and the
 * unread count; copy, move and delete between folders with the kept
 * counts; the contents table; two processes writing one mailbox at once.
 *
 * The "open a store" step goes through store_hook_open (tests/store_hook.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define TAG(type, id) PROP_TAG(type, 0x6700 + (id))

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} fixture;

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

static void assert_string(LPVOID obj, ULONG tag, const char *want)
{
	LPSPropValue v = get_prop(obj, tag);
	if (strcmp(v->Value.lpszA, want) != 0)
		fail_msg("property 0x%08X is \"%s\", expected \"%s\"", (unsigned)tag, v->Value.lpszA, want);
	MAPIFreeBuffer(v);
}

static bin get_bin(LPVOID obj, ULONG tag)
{
	LPSPropValue v = get_prop(obj, tag);
	bin b = bin_dup(&v->Value.bin);
	MAPIFreeBuffer(v);
	return b;
}

static void set_string(LPVOID obj, ULONG tag, const char *s)
{
	SPropValue v = {.ulPropTag = tag, .Value.lpszA = (LPSTR)s};
	assert_ok(IMAPIProp_SetProps((LPMAPIPROP)obj, 1, &v, NULL));
}

static void set_long(LPVOID obj, ULONG tag, LONG l)
{
	SPropValue v = {.ulPropTag = tag, .Value.l = l};
	assert_ok(IMAPIProp_SetProps((LPMAPIPROP)obj, 1, &v, NULL));
}

static LPMAPIFOLDER open_folder(LPMDB mdb, ULONG cb, LPENTRYID eid)
{
	ULONG type = 0;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, &unk);
	if (hr != S_OK)
		fail_msg("OpenEntry(folder) failed: 0x%08X (%s)", (unsigned)hr, MAPIXGetLastErrorText());
	assert_int_equal(type, MAPI_FOLDER);
	return (LPMAPIFOLDER)unk;
}

static HRESULT try_open_message(LPMDB mdb, const bin *eid, ULONG flags, LPMESSAGE *m)
{
	ULONG type = 0;
	return IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, (LPUNKNOWN *)m);
}

static LPMESSAGE open_message(LPMDB mdb, const bin *eid, ULONG flags)
{
	LPMESSAGE m = NULL;
	assert_ok(try_open_message(mdb, eid, flags, &m));
	return m;
}

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	LPMAPIFOLDER f = open_folder(mdb, cb, eid);
	MAPIFreeBuffer(eid);
	return f;
}

static LPMAPIFOLDER create_folder(LPMAPIFOLDER parent, const char *name)
{
	LPMAPIFOLDER f = NULL;
	assert_ok(IMAPIFolder_CreateFolder(parent, FOLDER_GENERIC, (LPTSTR)name, NULL, NULL, 0, &f));
	return f;
}

/* Saves a new message with a subject; returns its entry ID. */
static bin save_message(LPMAPIFOLDER folder, const char *subject)
{
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
	set_string(m, PR_SUBJECT_A, subject);
	set_string(m, PR_MESSAGE_CLASS_A, "IPM.Note");
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	bin eid = get_bin(m, PR_ENTRYID);
	IMessage_Release(m);
	return eid;
}

static LPSRowSet table_rows(LPMAPITABLE t, const SPropTagArray *cols)
{
	LPSRowSet rows = NULL;
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)cols, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	return rows;
}

static ULONG contents_count(LPMAPIFOLDER f)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	LPMAPITABLE t = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(f, 0, &t));
	LPSRowSet rows = table_rows(t, (const SPropTagArray *)&cols);
	ULONG n = rows->cRows;
	FreeProws(rows);
	return n;
}

static void assert_counts(LPMAPIFOLDER f, LONG content, LONG unread)
{
	assert_int_equal(get_long(f, PR_CONTENT_COUNT), content);
	assert_int_equal(get_long(f, PR_CONTENT_UNREAD), unread);
	assert_int_equal(contents_count(f), (ULONG)content);
}

static void entrylist_one(const bin *eid, SBinary *sb, ENTRYLIST *el)
{
	sb->cb = eid->cb;
	sb->lpb = eid->lpb;
	el->cValues = 1;
	el->lpbin = sb;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-message");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
	*state = fx;
	return 0;
}

static void close_store(fixture *fx)
{
	if (fx->inbox)
		IMAPIFolder_Release(fx->inbox);
	if (fx->mdb)
		IMsgStore_Release(fx->mdb);
	fx->inbox = NULL;
	fx->mdb = NULL;
}

static void reopen_store(fixture *fx)
{
	close_store(fx);
	assert_ok(store_hook_open(fx->path, MDB_WRITE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
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

/* ---- every property type --------------------------------------------------------------- */

static void test_all_types(void **state)
{
	fixture *fx = *state;
	static short i2s[] = {1, -2, 32767};
	static LONG longs[] = {7, -8, 0x7FFFFFFF};
	static float r4s[] = {1.5f, -2.25f};
	static double dbls[] = {3.141592653589793, -1e300};
	static CURRENCY curs[] = {{.int64 = 123456789}, {.int64 = -5}};
	static double apps[] = {45000.5, 1.25};
	static LARGE_INTEGER i8s[] = {{.QuadPart = 1}, {.QuadPart = -9000000000000LL}};
	static LPSTR s8s[] = {"alpha", "b\xc3\xa9ta", ""};
	static LPWSTR ws[] = {u"\u03b1\u03b2\u03b3", u"\U0001F600 smile"};
	static FILETIME fts[] = {{0x12345678, 0x01D00000}, {1, 2}};
	static GUID guids[] = {{0x11223344, 0x5566, 0x7788, {1, 2, 3, 4, 5, 6, 7, 8}},
	                       {0xAABBCCDD, 0xEEFF, 0x0011, {8, 7, 6, 5, 4, 3, 2, 1}}};
	static BYTE b1[] = {0, 1, 2, 0xFF}, b2[] = {9};
	static SBinary bins[] = {{sizeof b1, b1}, {sizeof b2, b2}, {0, NULL}};
	SPropValue v[] = {
		{.ulPropTag = TAG(PT_I2, 0), .Value.i = -1234},
		{.ulPropTag = TAG(PT_LONG, 1), .Value.l = -123456},
		{.ulPropTag = TAG(PT_R4, 2), .Value.flt = 0.5f},
		{.ulPropTag = TAG(PT_DOUBLE, 3), .Value.dbl = 2.718281828459045},
		{.ulPropTag = TAG(PT_CURRENCY, 4), .Value.cur.int64 = 99990000},
		{.ulPropTag = TAG(PT_APPTIME, 5), .Value.at = 44000.75},
		{.ulPropTag = TAG(PT_BOOLEAN, 7), .Value.b = 1},
		{.ulPropTag = TAG(PT_I8, 8), .Value.li.QuadPart = 0x123456789ABCLL},
		{.ulPropTag = TAG(PT_STRING8, 9), .Value.lpszA = "8-bit \xe2\x82\xac string"},
		{.ulPropTag = TAG(PT_UNICODE, 10), .Value.lpszW = u"wide \u20ac \U00010348"},
		{.ulPropTag = TAG(PT_SYSTIME, 11), .Value.ft = {0x89ABCDEF, 0x01D9FFFF}},
		{.ulPropTag = TAG(PT_CLSID, 12), .Value.lpguid = &guids[0]},
		{.ulPropTag = TAG(PT_BINARY, 13), .Value.bin = {sizeof b1, b1}},
		{.ulPropTag = TAG(PT_MV_I2, 14), .Value.MVi = {3, i2s}},
		{.ulPropTag = TAG(PT_MV_LONG, 15), .Value.MVl = {3, longs}},
		{.ulPropTag = TAG(PT_MV_R4, 16), .Value.MVflt = {2, r4s}},
		{.ulPropTag = TAG(PT_MV_DOUBLE, 17), .Value.MVdbl = {2, dbls}},
		{.ulPropTag = TAG(PT_MV_CURRENCY, 18), .Value.MVcur = {2, curs}},
		{.ulPropTag = TAG(PT_MV_APPTIME, 19), .Value.MVat = {2, apps}},
		{.ulPropTag = TAG(PT_MV_I8, 20), .Value.MVli = {2, i8s}},
		{.ulPropTag = TAG(PT_MV_STRING8, 21), .Value.MVszA = {3, s8s}},
		{.ulPropTag = TAG(PT_MV_UNICODE, 22), .Value.MVszW = {2, ws}},
		{.ulPropTag = TAG(PT_MV_SYSTIME, 23), .Value.MVft = {2, fts}},
		{.ulPropTag = TAG(PT_MV_CLSID, 24), .Value.MVguid = {2, guids}},
		{.ulPropTag = TAG(PT_MV_BINARY, 25), .Value.MVbin = {3, bins}},
		{.ulPropTag = PR_SUBJECT_W, .Value.lpszW = u"all types"},
	};
	ULONG n = sizeof v / sizeof v[0];
	LPMESSAGE m = NULL;
	LPSPropProblemArray probs = NULL;

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, n, v, &probs));
	assert_null(probs);
	/* PT_ERROR values cannot be stored (SetProps reports a problem). */
	SPropValue err = {.ulPropTag = TAG(PT_ERROR, 6), .Value.err = MAPI_E_NOT_FOUND};
	assert_ok(IMessage_SetProps(m, 1, &err, &probs));
	assert_non_null(probs);
	assert_int_equal(probs->aProblem[0].ulIndex, 0);
	MAPIFreeBuffer(probs);
	assert_ok(IMessage_SaveChanges(m, 0));
	bin eid = get_bin(m, PR_ENTRYID);
	IMessage_Release(m);
	reopen_store(fx);

	m = open_message(fx->mdb, &eid, 0);
	SPropTagArray *tags = malloc(CbNewSPropTagArray(n));
	tags->cValues = n;
	for (ULONG i = 0; i < n; i++)
		tags->aulPropTag[i] = v[i].ulPropTag;
	ULONG c = 0;
	LPSPropValue got = NULL;
	assert_ok(IMessage_GetProps(m, tags, 0, &c, &got));
	assert_int_equal(c, n);
	for (ULONG i = 0; i < n; i++) {
		if (got[i].ulPropTag != v[i].ulPropTag)
			fail_msg("value %u: tag 0x%08X, expected 0x%08X", (unsigned)i, (unsigned)got[i].ulPropTag,
			         (unsigned)v[i].ulPropTag);
		if (LPropCompareProp(&got[i], &v[i]) != 0)
			fail_msg("value %u (0x%08X) differs after reopening", (unsigned)i, (unsigned)v[i].ulPropTag);
	}
	MAPIFreeBuffer(got);
	/* Strings come back in either width. */
	assert_string(m, CHANGE_PROP_TYPE(TAG(PT_UNICODE, 10), PT_STRING8), "wide \xe2\x82\xac \xf0\x90\x8d\x88");
	/* GetPropList lists them all, plus computed ones. */
	LPSPropTagArray list = NULL;
	assert_ok(IMessage_GetPropList(m, MAPI_UNICODE, &list));
	for (ULONG i = 0; i < n; i++) {
		ULONG want = v[i].ulPropTag, j;
		if (PROP_TYPE(want) == PT_STRING8)
			want = CHANGE_PROP_TYPE(want, PT_UNICODE);
		if (PROP_TYPE(want) == PT_MV_STRING8)
			want = CHANGE_PROP_TYPE(want, PT_MV_UNICODE);
		for (j = 0; j < list->cValues && list->aulPropTag[j] != want; j++)
			;
		if (j == list->cValues)
			fail_msg("GetPropList misses 0x%08X", (unsigned)want);
	}
	MAPIFreeBuffer(list);
	assert_int_equal(get_long(m, PR_OBJECT_TYPE), MAPI_MESSAGE);
	free(tags);
	IMessage_Release(m);
	bin_free(&eid);
}

/* ---- recipients ---------------------------------------------------------------------------- */

static LPADRLIST make_adrlist(ULONG n, const char *const *names, LONG type)
{
	LPADRLIST l = NULL;
	assert_ok(MAPIAllocateBuffer((ULONG)CbNewADRLIST(n), (LPVOID *)&l));
	l->cEntries = n;
	for (ULONG i = 0; i < n; i++) {
		LPSPropValue p = NULL;
		assert_ok(MAPIAllocateBuffer(3 * sizeof(SPropValue), (LPVOID *)&p));
		p[0].ulPropTag = PR_DISPLAY_NAME_A;
		p[0].Value.lpszA = (LPSTR)names[i];
		p[1].ulPropTag = PR_RECIPIENT_TYPE;
		p[1].Value.l = type;
		p[2].ulPropTag = PR_EMAIL_ADDRESS_W;
		p[2].Value.lpszW = u"someone@example.org";
		l->aEntries[i].ulReserved1 = 0;
		l->aEntries[i].cValues = 3;
		l->aEntries[i].rgPropVals = p;
	}
	return l;
}

static LPSRowSet recipient_rows(LPMESSAGE m)
{
	static const SizedSPropTagArray(4, cols) = {4, {PR_ROWID, PR_DISPLAY_NAME_A, PR_RECIPIENT_TYPE,
	                                                 PR_EMAIL_ADDRESS_A}};
	LPMAPITABLE t = NULL;
	assert_ok(IMessage_GetRecipientTable(m, 0, &t));
	return table_rows(t, (const SPropTagArray *)&cols);
}

/* Checks the recipient table: names in row order, or NULL to end. */
static void assert_recipients(LPMESSAGE m, const char *const *names, ULONG n)
{
	LPSRowSet rows = recipient_rows(m);
	if (rows->cRows != n)
		fail_msg("%u recipients, expected %u", (unsigned)rows->cRows, (unsigned)n);
	for (ULONG i = 0; i < n; i++) {
		LPSPropValue v = &rows->aRow[i].lpProps[1];
		assert_int_equal(v->ulPropTag, PR_DISPLAY_NAME_A);
		if (strcmp(v->Value.lpszA, names[i]) != 0)
			fail_msg("recipient %u is \"%s\", expected \"%s\"", (unsigned)i, v->Value.lpszA, names[i]);
		assert_int_equal(rows->aRow[i].lpProps[3].ulPropTag, PR_EMAIL_ADDRESS_A);
		assert_string_equal(rows->aRow[i].lpProps[3].Value.lpszA, "someone@example.org");
	}
	FreeProws(rows);
}

static void test_recipients(void **state)
{
	fixture *fx = *state;
	static const char *const three[] = {"Ann", "Bob", "Cy"};
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	LPADRLIST l = make_adrlist(3, three, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(m, MODRECIP_ADD, l));
	FreePadrlist(l);
	assert_recipients(m, three, 3);

	/* PR_ROWIDs are 0, 1, 2; modify Bob, remove Ann. */
	LPSRowSet rows = recipient_rows(m);
	for (ULONG i = 0; i < 3; i++)
		assert_int_equal(rows->aRow[i].lpProps[0].Value.l, (LONG)i);
	FreeProws(rows);
	static const char *const bobby[] = {"Bobby"};
	l = make_adrlist(1, bobby, MAPI_CC);
	SPropValue *p = l->aEntries[0].rgPropVals;
	p[1].ulPropTag = PR_ROWID; /* replaces PR_RECIPIENT_TYPE: the row is replaced whole */
	p[1].Value.l = 1;
	assert_ok(IMessage_ModifyRecipients(m, MODRECIP_MODIFY, l));
	FreePadrlist(l);
	SizedADRLIST(1, rem);
	SPropValue rowid = {.ulPropTag = PR_ROWID, .Value.l = 0};
	rem.cEntries = 1;
	rem.aEntries[0].ulReserved1 = 0;
	rem.aEntries[0].cValues = 1;
	rem.aEntries[0].rgPropVals = &rowid;
	assert_ok(IMessage_ModifyRecipients(m, MODRECIP_REMOVE, (LPADRLIST)&rem));
	rowid.Value.l = 42;
	assert_hr(IMessage_ModifyRecipients(m, MODRECIP_REMOVE, (LPADRLIST)&rem), MAPI_E_NOT_FOUND);
	assert_hr(IMessage_ModifyRecipients(m, MODRECIP_ADD | MODRECIP_REMOVE, (LPADRLIST)&rem),
	          MAPI_E_INVALID_PARAMETER);
	static const char *const after[] = {"Bobby", "Cy"};
	assert_recipients(m, after, 2);
	assert_ok(IMessage_SaveChanges(m, 0));
	bin eid = get_bin(m, PR_ENTRYID);
	IMessage_Release(m);

	reopen_store(fx);
	m = open_message(fx->mdb, &eid, MAPI_MODIFY);
	assert_recipients(m, after, 2);
	rows = recipient_rows(m);
	assert_int_equal(rows->aRow[0].lpProps[0].Value.l, 1); /* PR_ROWIDs survive */
	assert_int_equal(rows->aRow[1].lpProps[0].Value.l, 2);
	assert_int_equal(rows->aRow[1].lpProps[2].Value.l, MAPI_TO);
	FreeProws(rows);
	/* Flags 0 replaces the whole set. */
	static const char *const one[] = {"Dee"};
	l = make_adrlist(1, one, MAPI_BCC);
	assert_ok(IMessage_ModifyRecipients(m, 0, l));
	FreePadrlist(l);
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	m = open_message(fx->mdb, &eid, 0);
	assert_recipients(m, one, 1);
	/* A read-only message refuses changes. */
	l = make_adrlist(1, one, MAPI_TO);
	assert_hr(IMessage_ModifyRecipients(m, MODRECIP_ADD, l), MAPI_E_NO_ACCESS);
	FreePadrlist(l);
	IMessage_Release(m);
	bin_free(&eid);
}

/* ---- attachments and embedded messages ---------------------------------------------------------- */

static const BYTE attach_data[] = "attachment bytes \x00\x01\x02 end";

static LPATTACH add_binary_attach(LPMESSAGE m, const char *name, ULONG *num)
{
	LPATTACH a = NULL;
	assert_ok(IMessage_CreateAttach(m, NULL, 0, num, &a));
	SPropValue v[3] = {
		{.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
		{.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = (LPSTR)name},
		{.ulPropTag = PR_ATTACH_DATA_BIN, .Value.bin = {sizeof attach_data, (LPBYTE)attach_data}},
	};
	assert_ok(IAttach_SetProps(a, 3, v, NULL));
	return a;
}

static LPMESSAGE embed(LPATTACH a)
{
	LPMESSAGE e = NULL;
	set_long(a, PR_ATTACH_METHOD, ATTACH_EMBEDDED_MSG);
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
	                               (LPUNKNOWN *)&e));
	return e;
}

static LPMESSAGE open_embedded(LPATTACH a)
{
	LPMESSAGE e = NULL;
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&e));
	return e;
}

static ULONG attachment_count(LPMESSAGE m)
{
	static const SizedSPropTagArray(3, cols) = {3, {PR_ATTACH_NUM, PR_ATTACH_METHOD, PR_ATTACH_SIZE}};
	LPMAPITABLE t = NULL;
	assert_ok(IMessage_GetAttachmentTable(m, 0, &t));
	LPSRowSet rows = table_rows(t, (const SPropTagArray *)&cols);
	ULONG n = rows->cRows;
	for (ULONG i = 0; i < n; i++) {
		assert_int_equal(rows->aRow[i].lpProps[0].ulPropTag, PR_ATTACH_NUM);
		assert_int_equal(rows->aRow[i].lpProps[2].ulPropTag, PR_ATTACH_SIZE);
		assert_true(rows->aRow[i].lpProps[2].Value.l > 0);
	}
	FreeProws(rows);
	return n;
}

static void check_binary_attach(LPMESSAGE m, ULONG num, const char *name)
{
	LPATTACH a = NULL;
	assert_ok(IMessage_OpenAttach(m, num, NULL, 0, &a));
	assert_int_equal(get_long(a, PR_ATTACH_NUM), (LONG)num);
	assert_int_equal(get_long(a, PR_ATTACH_METHOD), ATTACH_BY_VALUE);
	assert_int_equal(get_long(a, PR_OBJECT_TYPE), MAPI_ATTACH);
	assert_string(a, PR_ATTACH_LONG_FILENAME_A, name);
	LPSPropValue d = get_prop(a, PR_ATTACH_DATA_BIN);
	assert_int_equal(d->Value.bin.cb, sizeof attach_data);
	assert_memory_equal(d->Value.bin.lpb, attach_data, sizeof attach_data);
	MAPIFreeBuffer(d);
	assert_true(get_long(a, PR_ATTACH_SIZE) >= (LONG)sizeof attach_data);
	IAttach_Release(a);
}

static void test_attachments(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL, e1 = NULL, e2 = NULL;
	LPATTACH a = NULL, ea = NULL;
	ULONG num, n1, n2, n3;

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	set_string(m, PR_SUBJECT_A, "outer");
	assert_int_equal(get_long(m, PR_HASATTACH), 0);
	LONG size0 = get_long(m, PR_MESSAGE_SIZE);

	/* 0: binary data */
	a = add_binary_attach(m, "data.bin", &n1);
	assert_int_equal(n1, 0);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_int_equal(get_long(m, PR_HASATTACH), 1);
	assert_true(get_long(m, PR_MESSAGE_FLAGS) & MSGFLAG_HASATTACH);
	assert_true(get_long(m, PR_MESSAGE_SIZE) > size0 + (LONG)sizeof attach_data - 1);

	/* 1: an embedded message with its own recipient, attachment and a
	 * nested embedded message */
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &n2, &a));
	assert_int_equal(n2, 1);
	e1 = embed(a);
	set_string(e1, PR_SUBJECT_A, "embedded");
	static const char *const rcpt[] = {"Inner Recipient"};
	LPADRLIST l = make_adrlist(1, rcpt, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(e1, MODRECIP_ADD, l));
	FreePadrlist(l);
	ea = add_binary_attach(e1, "inner.bin", &num);
	assert_ok(IAttach_SaveChanges(ea, 0));
	IAttach_Release(ea);
	assert_ok(IMessage_CreateAttach(e1, NULL, 0, &num, &ea));
	e2 = embed(ea);
	set_string(e2, PR_SUBJECT_A, "nested");
	assert_ok(IMessage_SaveChanges(e2, 0));
	IMessage_Release(e2);
	assert_ok(IAttach_SaveChanges(ea, 0));
	IAttach_Release(ea);
	assert_ok(IMessage_SaveChanges(e1, 0));
	IMessage_Release(e1);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);

	/* 2: created and released unsaved: not there */
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &n3, &a));
	assert_int_equal(n3, 2);
	IAttach_Release(a);
	assert_int_equal(attachment_count(m), 2);
	assert_hr(IMessage_OpenAttach(m, 2, NULL, 0, &a), MAPI_E_NOT_FOUND);

	assert_ok(IMessage_SaveChanges(m, 0));
	bin eid = get_bin(m, PR_ENTRYID);
	LONG saved_size = get_long(m, PR_MESSAGE_SIZE);
	IMessage_Release(m);
	reopen_store(fx);

	m = open_message(fx->mdb, &eid, MAPI_MODIFY);
	assert_int_equal(get_long(m, PR_MESSAGE_SIZE), saved_size);
	LPSPropValue ext = get_prop(m, PR_MESSAGE_SIZE_EXTENDED);
	assert_int_equal(ext->Value.li.QuadPart, saved_size);
	MAPIFreeBuffer(ext);
	assert_int_equal(get_long(m, PR_HASATTACH), 1);
	assert_int_equal(attachment_count(m), 2);
	check_binary_attach(m, 0, "data.bin");
	assert_ok(IMessage_OpenAttach(m, 1, NULL, 0, &a));
	assert_int_equal(get_long(a, PR_ATTACH_METHOD), ATTACH_EMBEDDED_MSG);
	e1 = open_embedded(a);
	assert_string(e1, PR_SUBJECT_A, "embedded");
	assert_int_equal(get_long(e1, PR_OBJECT_TYPE), MAPI_MESSAGE);
	assert_recipients(e1, rcpt, 1);
	assert_int_equal(attachment_count(e1), 2);
	IMessage_Release(e1);
	IAttach_Release(a);
	IMessage_Release(m);
	bin_free(&eid);
}

/* Embedded messages reopened and changed through every level. */
static void test_embedded_tree(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL, e1, e2;
	LPATTACH a, ea;
	ULONG num;
	static const char *const rcpt[] = {"Inner Recipient"};

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	e1 = embed(a);
	set_string(e1, PR_SUBJECT_A, "level 1");
	LPADRLIST l = make_adrlist(1, rcpt, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(e1, 0, l));
	FreePadrlist(l);
	ea = add_binary_attach(e1, "inner.bin", &num);
	assert_ok(IAttach_SaveChanges(ea, 0));
	IAttach_Release(ea);
	assert_ok(IMessage_CreateAttach(e1, NULL, 0, &num, &ea));
	e2 = embed(ea);
	set_string(e2, PR_SUBJECT_A, "level 2");
	assert_ok(IMessage_SaveChanges(e2, 0));
	IMessage_Release(e2);
	assert_ok(IAttach_SaveChanges(ea, 0));
	IAttach_Release(ea);
	assert_ok(IMessage_SaveChanges(e1, 0));
	/* Not saved into the attachment yet: the message does not see it. */
	IMessage_Release(e1);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(m, 0));
	bin eid = get_bin(m, PR_ENTRYID);
	IMessage_Release(m);
	reopen_store(fx);

	m = open_message(fx->mdb, &eid, MAPI_MODIFY);
	assert_ok(IMessage_OpenAttach(m, 0, NULL, MAPI_MODIFY, &a));
	e1 = open_embedded(a);
	assert_string(e1, PR_SUBJECT_A, "level 1");
	assert_recipients(e1, rcpt, 1);
	assert_int_equal(attachment_count(e1), 2);
	assert_int_equal(get_long(e1, PR_HASATTACH), 1);
	check_binary_attach(e1, 0, "inner.bin");
	assert_ok(IMessage_OpenAttach(e1, 1, NULL, 0, &ea));
	e2 = open_embedded(ea);
	assert_string(e2, PR_SUBJECT_A, "level 2");
	IMessage_Release(e2);
	IAttach_Release(ea);
	IMessage_Release(e1);

	/* Change the embedded message: visible only once every level saved. */
	e1 = NULL;
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_MODIFY, (LPUNKNOWN *)&e1));
	set_string(e1, PR_SUBJECT_A, "level 1, changed");
	assert_ok(IMessage_SaveChanges(e1, 0));
	IMessage_Release(e1);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	IMessage_Release(m); /* released unsaved: the change is gone */
	m = open_message(fx->mdb, &eid, MAPI_MODIFY);
	assert_ok(IMessage_OpenAttach(m, 0, NULL, MAPI_MODIFY, &a));
	e1 = open_embedded(a);
	assert_string(e1, PR_SUBJECT_A, "level 1");
	IMessage_Release(e1);
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_MODIFY, (LPUNKNOWN *)&e1));
	set_string(e1, PR_SUBJECT_A, "level 1, changed");
	assert_ok(IMessage_SaveChanges(e1, 0));
	IMessage_Release(e1);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	/* DeleteAttach is staged too. */
	ULONG n0;
	a = add_binary_attach(m, "second.bin", &n0);
	assert_int_equal(n0, 1);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	assert_int_equal(attachment_count(m), 2);
	assert_ok(IMessage_DeleteAttach(m, 1, 0, NULL, 0));
	assert_hr(IMessage_DeleteAttach(m, 1, 0, NULL, 0), MAPI_E_NOT_FOUND);
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	m = open_message(fx->mdb, &eid, 0);
	assert_int_equal(attachment_count(m), 1);
	assert_ok(IMessage_OpenAttach(m, 0, NULL, 0, &a));
	e1 = open_embedded(a);
	assert_string(e1, PR_SUBJECT_A, "level 1, changed");
	assert_int_equal(attachment_count(e1), 2);
	IMessage_Release(e1);
	IAttach_Release(a);
	IMessage_Release(m);
	bin_free(&eid);
}

/* ---- transactions ------------------------------------------------------------------------------- */

static void test_unsaved_leaves_nothing(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL;
	LPATTACH a;
	ULONG num;
	static const char *const r[] = {"Nobody"};
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	set_string(m, PR_SUBJECT_A, "never saved");
	LPADRLIST l = make_adrlist(1, r, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(m, 0, l));
	FreePadrlist(l);
	a = add_binary_attach(m, "x", &num);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	/* Before the first save there is no entry ID. */
	LPSPropValue v = NULL;
	assert_hr(HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &v), MAPI_E_NOT_FOUND);
	IMessage_Release(m);
	assert_counts(fx->inbox, 0, 0);
	reopen_store(fx);
	assert_counts(fx->inbox, 0, 0);
	assert_int_equal(contents_count(fx->inbox), 0);
}

static void test_object_changed(void **state)
{
	fixture *fx = *state;
	bin eid = save_message(fx->inbox, "original");
	LPMESSAGE a = open_message(fx->mdb, &eid, MAPI_MODIFY);
	LPMESSAGE b = open_message(fx->mdb, &eid, MAPI_MODIFY);
	set_string(a, PR_SUBJECT_A, "from a");
	set_string(b, PR_SUBJECT_A, "from b");
	assert_ok(IMessage_SaveChanges(a, KEEP_OPEN_READWRITE));
	assert_hr(IMessage_SaveChanges(b, KEEP_OPEN_READWRITE), MAPI_E_OBJECT_CHANGED);
	/* The failed save kept b's changes: FORCE_SAVE writes them. */
	assert_string(b, PR_SUBJECT_A, "from b");
	assert_ok(IMessage_SaveChanges(b, KEEP_OPEN_READWRITE | FORCE_SAVE));
	/* Now a is the stale one. */
	set_string(a, PR_BODY_A, "late");
	assert_hr(IMessage_SaveChanges(a, KEEP_OPEN_READWRITE), MAPI_E_OBJECT_CHANGED);
	/* b saves again without conflict (its own save is no conflict). */
	set_string(b, PR_BODY_A, "b body");
	assert_ok(IMessage_SaveChanges(b, KEEP_OPEN_READONLY));
	SPropValue v = {.ulPropTag = PR_BODY_A, .Value.lpszA = "x"};
	assert_hr(IMessage_SetProps(b, 1, &v, NULL), MAPI_E_NO_ACCESS);
	IMessage_Release(a);
	IMessage_Release(b);
	LPMESSAGE c = open_message(fx->mdb, &eid, 0);
	assert_string(c, PR_SUBJECT_A, "from b");
	assert_string(c, PR_BODY_A, "b body");
	IMessage_Release(c);
	bin_free(&eid);
}

static void test_deleted_underneath(void **state)
{
	fixture *fx = *state;
	bin eid = save_message(fx->inbox, "doomed");
	LPMESSAGE m = open_message(fx->mdb, &eid, MAPI_MODIFY);
	SBinary sb;
	ENTRYLIST el;
	entrylist_one(&eid, &sb, &el);
	assert_ok(IMAPIFolder_DeleteMessages(fx->inbox, &el, 0, NULL, 0));
	LPSPropValue v = NULL;
	assert_hr(HrGetOneProp((LPMAPIPROP)m, PR_MESSAGE_SIZE, &v), MAPI_E_OBJECT_DELETED);
	set_string(m, PR_SUBJECT_A, "too late");
	assert_hr(IMessage_SaveChanges(m, 0), MAPI_E_OBJECT_DELETED);
	IMessage_Release(m);
	LPMESSAGE gone = NULL;
	assert_hr(try_open_message(fx->mdb, &eid, 0, &gone), MAPI_E_NOT_FOUND);
	assert_counts(fx->inbox, 0, 0);
	bin_free(&eid);
}

/* ---- computed properties and flags ----------------------------------------------------------------- */

static void test_computed(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL;
	LPSPropProblemArray probs = NULL;

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_int_equal(get_long(m, PR_MESSAGE_FLAGS), MSGFLAG_READ | MSGFLAG_UNSENT);
	assert_int_equal(get_long(m, PR_ACCESS_LEVEL), MAPI_MODIFY);
	bin sk_set = {4, (BYTE *)"\x01\x02\x03\x04"};
	SPropValue v[2] = {{.ulPropTag = PR_MESSAGE_FLAGS, .Value.l = 0},
	                   {.ulPropTag = PR_SEARCH_KEY, .Value.bin = {sk_set.cb, sk_set.lpb}}};
	assert_ok(IMessage_SetProps(m, 2, v, &probs));
	assert_null(probs);
	set_string(m, PR_SUBJECT_A, "unread");
	assert_int_equal(get_long(m, PR_MESSAGE_FLAGS), 0);
	LONG size_before = get_long(m, PR_MESSAGE_SIZE);
	assert_true(size_before >= (LONG)strlen("unread"));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	assert_counts(fx->inbox, 1, 1);
	assert_int_equal(get_long(m, PR_MESSAGE_SIZE), size_before);
	LPSPropValue fsize = get_prop(fx->inbox, PR_MESSAGE_SIZE_EXTENDED);
	assert_int_equal(fsize->Value.li.QuadPart, size_before);
	MAPIFreeBuffer(fsize);
	bin sk = get_bin(m, PR_SEARCH_KEY);
	assert_int_equal(sk.cb, 4);
	assert_memory_equal(sk.lpb, sk_set.lpb, 4);
	bin_free(&sk);
	/* After the first save, PR_MESSAGE_FLAGS and the keys are read-only. */
	v[0].Value.l = MSGFLAG_READ;
	assert_ok(IMessage_SetProps(m, 1, v, &probs));
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_COMPUTED);
	MAPIFreeBuffer(probs);
	SPropValue ck = {.ulPropTag = PR_CHANGE_KEY, .Value.bin = {1, (LPBYTE) "x"}};
	assert_ok(IMessage_SetProps(m, 1, &ck, &probs));
	assert_non_null(probs);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_COMPUTED);
	MAPIFreeBuffer(probs);
	/* Identity properties of a saved message. */
	bin eid = get_bin(m, PR_ENTRYID), rk = get_bin(m, PR_RECORD_KEY), srk = get_bin(m, PR_SOURCE_KEY);
	assert_int_equal(eid.cb, 70);
	assert_int_equal(srk.cb, 22);
	assert_int_equal(rk.cb, srk.cb);
	assert_memory_equal(rk.lpb, srk.lpb, rk.cb);
	bin pe = get_bin(m, PR_PARENT_ENTRYID), fe = get_bin(fx->inbox, PR_ENTRYID);
	assert_int_equal(pe.cb, fe.cb);
	assert_memory_equal(pe.lpb, fe.lpb, fe.cb);
	bin_free(&pe);
	bin_free(&fe);
	bin_free(&rk);
	bin_free(&srk);
	IMessage_Release(m);

	/* Associated messages: MSGFLAG_ASSOCIATED, counted apart. */
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, MAPI_ASSOCIATED, &m));
	set_string(m, PR_MESSAGE_CLASS_A, "IPM.Configuration.Test");
	assert_ok(IMessage_SaveChanges(m, 0));
	assert_true(get_long(m, PR_MESSAGE_FLAGS) & MSGFLAG_ASSOCIATED);
	IMessage_Release(m);
	assert_counts(fx->inbox, 1, 1);
	assert_int_equal(get_long(fx->inbox, PR_ASSOC_CONTENT_COUNT), 1);
	bin_free(&eid);
}

static void test_read_flag(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL;
	SPropValue flags = {.ulPropTag = PR_MESSAGE_FLAGS, .Value.l = 0};

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, 1, &flags, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	bin eid = get_bin(m, PR_ENTRYID);
	assert_counts(fx->inbox, 1, 1);
	/* Immediate on a saved message. */
	assert_ok(IMessage_SetReadFlag(m, 0));
	assert_counts(fx->inbox, 1, 0);
	assert_true(get_long(m, PR_MESSAGE_FLAGS) & MSGFLAG_READ);
	assert_ok(IMessage_SetReadFlag(m, SUPPRESS_RECEIPT)); /* already read: no change */
	assert_counts(fx->inbox, 1, 0);
	assert_ok(IMessage_SetReadFlag(m, CLEAR_READ_FLAG));
	assert_counts(fx->inbox, 1, 1);
	assert_false(get_long(m, PR_MESSAGE_FLAGS) & MSGFLAG_READ);
	assert_hr(IMessage_SetReadFlag(m, CLEAR_READ_FLAG | SUPPRESS_RECEIPT), MAPI_E_INVALID_PARAMETER);
	assert_hr(IMessage_SetReadFlag(m, 0x80000000), MAPI_E_UNKNOWN_FLAGS);
	/* Our own SetReadFlag is no conflict for our SaveChanges. */
	set_string(m, PR_SUBJECT_A, "still mine");
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	/* Through a read-only open as well (the store is writable). */
	m = open_message(fx->mdb, &eid, 0);
	assert_ok(IMessage_SetReadFlag(m, 0));
	IMessage_Release(m);
	assert_counts(fx->inbox, 1, 0);
	reopen_store(fx);
	assert_counts(fx->inbox, 1, 0);

	/* Staged on an unsaved message. */
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, 1, &flags, NULL));
	assert_ok(IMessage_SetReadFlag(m, 0));
	assert_ok(IMessage_SetReadFlag(m, CLEAR_READ_FLAG));
	assert_counts(fx->inbox, 1, 0);
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	assert_counts(fx->inbox, 2, 1);
	bin_free(&eid);
}

/* ---- copy, move, delete --------------------------------------------------------------------------- */

static void test_copy_move_delete(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER ipm = NULL;
	LPSPropValue sub = get_prop(fx->mdb, PR_IPM_SUBTREE_ENTRYID);
	ipm = open_folder(fx->mdb, sub->Value.bin.cb, (LPENTRYID)sub->Value.bin.lpb);
	MAPIFreeBuffer(sub);
	LPMAPIFOLDER fa = create_folder(ipm, "A"), fb = create_folder(ipm, "B");

	/* An unread message with a recipient and an embedded attachment. */
	LPMESSAGE m = NULL, e;
	LPATTACH a;
	ULONG num;
	static const char *const r[] = {"Copied Recipient"};
	SPropValue flags = {.ulPropTag = PR_MESSAGE_FLAGS, .Value.l = 0};
	assert_ok(IMAPIFolder_CreateMessage(fa, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, 1, &flags, NULL));
	set_string(m, PR_SUBJECT_A, "travels");
	LPADRLIST l = make_adrlist(1, r, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(m, 0, l));
	FreePadrlist(l);
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	e = embed(a);
	set_string(e, PR_SUBJECT_A, "inside");
	assert_ok(IMessage_SaveChanges(e, 0));
	IMessage_Release(e);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	bin eid = get_bin(m, PR_ENTRYID);
	LONG size = get_long(m, PR_MESSAGE_SIZE);
	bin sk = get_bin(m, PR_SEARCH_KEY);
	IMessage_Release(m);
	bin other = save_message(fa, "stays");
	assert_counts(fa, 2, 1);

	/* Copy to B */
	SBinary sb;
	ENTRYLIST el;
	entrylist_one(&eid, &sb, &el);
	assert_ok(IMAPIFolder_CopyMessages(fa, &el, NULL, fb, 0, NULL, 0));
	assert_counts(fa, 2, 1);
	assert_counts(fb, 1, 1);
	LPSPropValue bsize = get_prop(fb, PR_MESSAGE_SIZE_EXTENDED);
	assert_int_equal(bsize->Value.li.QuadPart, size);
	MAPIFreeBuffer(bsize);
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_SUBJECT_A}};
	LPMAPITABLE t = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(fb, 0, &t));
	LPSRowSet rows = table_rows(t, (const SPropTagArray *)&cols);
	assert_int_equal(rows->cRows, 1);
	assert_string_equal(rows->aRow[0].lpProps[1].Value.lpszA, "travels");
	bin copy_eid = bin_dup(&rows->aRow[0].lpProps[0].Value.bin);
	FreeProws(rows);
	assert_true(copy_eid.cb != eid.cb || memcmp(copy_eid.lpb, eid.lpb, eid.cb) != 0);
	m = open_message(fx->mdb, &copy_eid, 0);
	assert_int_equal(get_long(m, PR_MESSAGE_SIZE), size);
	bin csk = get_bin(m, PR_SEARCH_KEY); /* copies keep the search key */
	assert_int_equal(csk.cb, sk.cb);
	assert_memory_equal(csk.lpb, sk.lpb, sk.cb);
	bin_free(&csk);
	assert_recipients(m, r, 1);
	assert_ok(IMessage_OpenAttach(m, 0, NULL, 0, &a));
	e = open_embedded(a);
	assert_string(e, PR_SUBJECT_A, "inside");
	IMessage_Release(e);
	IAttach_Release(a);
	IMessage_Release(m);

	/* Deleting the original leaves the copy whole. */
	assert_ok(IMAPIFolder_DeleteMessages(fa, &el, 0, NULL, 0));
	assert_counts(fa, 1, 0);
	m = open_message(fx->mdb, &copy_eid, 0);
	assert_ok(IMessage_OpenAttach(m, 0, NULL, 0, &a));
	e = open_embedded(a);
	assert_string(e, PR_SUBJECT_A, "inside");
	IMessage_Release(e);
	IAttach_Release(a);
	IMessage_Release(m);

	/* Move "stays" from A to B. */
	entrylist_one(&other, &sb, &el);
	assert_ok(IMAPIFolder_CopyMessages(fa, &el, NULL, fb, 0, NULL, MESSAGE_MOVE));
	assert_counts(fa, 0, 0);
	assert_counts(fb, 2, 1);
	LPSPropValue asize = get_prop(fa, PR_MESSAGE_SIZE_EXTENDED);
	assert_int_equal(asize->Value.li.QuadPart, 0);
	MAPIFreeBuffer(asize);

	/* Delete everything in B. */
	entrylist_one(&copy_eid, &sb, &el);
	assert_ok(IMAPIFolder_DeleteMessages(fb, &el, 0, NULL, 0));
	assert_counts(fb, 1, 0);
	assert_hr(IMAPIFolder_DeleteMessages(fb, &el, 0, NULL, 0), MAPI_W_PARTIAL_COMPLETION);
	LPMESSAGE gone = NULL;
	assert_hr(try_open_message(fx->mdb, &copy_eid, 0, &gone), MAPI_E_NOT_FOUND);

	bin_free(&eid);
	bin_free(&other);
	bin_free(&copy_eid);
	bin_free(&sk);
	IMAPIFolder_Release(fa);
	IMAPIFolder_Release(fb);
	IMAPIFolder_Release(ipm);
}

static void test_copyto_message(void **state)
{
	fixture *fx = *state;
	LPMESSAGE src = NULL, dst = NULL;
	LPATTACH a;
	ULONG num;
	static const char *const r[] = {"R1", "R2"};
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &src));
	set_string(src, PR_SUBJECT_A, "source");
	LPADRLIST l = make_adrlist(2, r, MAPI_TO);
	assert_ok(IMessage_ModifyRecipients(src, 0, l));
	FreePadrlist(l);
	a = add_binary_attach(src, "copied.bin", &num);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(src, KEEP_OPEN_READWRITE));

	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &dst));
	assert_ok(IMessage_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMessage, dst, 0, NULL));
	assert_ok(IMessage_SaveChanges(dst, KEEP_OPEN_READWRITE));
	assert_string(dst, PR_SUBJECT_A, "source");
	assert_recipients(dst, r, 2);
	assert_int_equal(attachment_count(dst), 1);
	check_binary_attach(dst, 0, "copied.bin");
	IMessage_Release(dst);
	IMessage_Release(src);
	assert_counts(fx->inbox, 2, 0);
}

/* ---- the contents table ------------------------------------------------------------------------------ */

static void test_contents_table(void **state)
{
	fixture *fx = *state;
	static const char *const subjects[] = {"one", "two", "three"};
	bin eids[3];
	for (int i = 0; i < 3; i++)
		eids[i] = save_message(fx->inbox, subjects[i]);
	static const SizedSPropTagArray(4, cols) = {4, {PR_ENTRYID, PR_SUBJECT_A, PR_MESSAGE_SIZE, PR_MESSAGE_FLAGS}};
	LPMAPITABLE t = NULL;
	assert_ok(IMAPIFolder_GetContentsTable(fx->inbox, 0, &t));
	LPSRowSet rows = table_rows(t, (const SPropTagArray *)&cols);
	assert_int_equal(rows->cRows, 3);
	for (ULONG i = 0; i < 3; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		int k;
		for (k = 0; k < 3; k++)
			if (p[0].Value.bin.cb == eids[k].cb && memcmp(p[0].Value.bin.lpb, eids[k].lpb, eids[k].cb) == 0)
				break;
		assert_true(k < 3);
		assert_string_equal(p[1].Value.lpszA, subjects[k]);
		assert_int_equal(p[2].ulPropTag, PR_MESSAGE_SIZE);
		assert_true(p[2].Value.l > 0);
		assert_int_equal(p[3].Value.l, MSGFLAG_READ | MSGFLAG_UNSENT);
	}
	FreeProws(rows);
	for (int i = 0; i < 3; i++)
		bin_free(&eids[i]);
}

/* ---- two processes ---------------------------------------------------------------------------------- */

static void test_two_processes(void **state)
{
	fixture *fx = *state;
	const int per_child = 200;
	pid_t pids[2];
	close_store(fx); /* children open their own connections */
	for (int c = 0; c < 2; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0) {
			LPMDB mdb = NULL;
			int status = 0;
			if (store_hook_open(fx->path, MDB_WRITE, &mdb) != S_OK)
				_exit(2);
			LPMAPIFOLDER inbox = NULL;
			ULONG cb = 0, type;
			LPENTRYID eid = NULL;
			if (IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL) != S_OK ||
			    IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox) != S_OK)
				_exit(3);
			MAPIFreeBuffer(eid);
			for (int i = 0; i < per_child && !status; i++) {
				LPMESSAGE m = NULL;
				char subject[64];
				snprintf(subject, sizeof subject, "child %d message %d", c, i);
				SPropValue v = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject};
				if (IMAPIFolder_CreateMessage(inbox, NULL, 0, &m) != S_OK || IMessage_SetProps(m, 1, &v, NULL) != S_OK ||
				    IMessage_SaveChanges(m, 0) != S_OK) {
					fprintf(stderr, "child %d: message %d: %s\n", c, i, MAPIXGetLastErrorText());
					status = 4;
				}
				if (m)
					IMessage_Release(m);
			}
			IMAPIFolder_Release(inbox);
			IMsgStore_Release(mdb);
			_exit(status);
		}
	}
	for (int c = 0; c < 2; c++) {
		int st = 0;
		assert_int_equal(waitpid(pids[c], &st, 0), pids[c]);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st) != 0)
			fail_msg("child %d exited with %d", c, WEXITSTATUS(st));
	}
	reopen_store(fx);
	assert_counts(fx->inbox, 2 * per_child, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_embedded_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsaved_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_underneath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_computed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_move_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copyto_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contents_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
