/*
 * test_store_read.c — the read path of a message store: values read in
 * one GetProps agree with the same values read one by one, in every
 * width and type a caller may ask for (the local store reads an object's
 * stored values with one query and picks from them); GetProps(NULL) and
 * GetPropList agree; an open message is a snapshot of its stored values
 * (another object's save is seen after a reopen, the object's own save at
 * once) while its computed properties and folders stay current; recipient
 * and attachment tables read in one query give the rows the objects give
 * (recipients and attachments without properties, large values, embedded
 * messages, staged changes).
 *
 * The "open a store" step goes through store_hook_open (tests/store_hook.h),
 * so this suite also runs through mapixd (remote_store_read).
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

#define TAG(type, id) PROP_TAG(type, 0x6700 + (id))

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} fixture;

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPUNKNOWN unk = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, &unk));
	MAPIFreeBuffer(eid);
	return (LPMAPIFOLDER)unk;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-read");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	IMAPIFolder_Release(fx->inbox);
	IMsgStore_Release(fx->mdb);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static void set_string(LPVOID obj, ULONG tag, const char *s)
{
	SPropValue v = {.ulPropTag = tag, .Value.lpszA = (LPSTR)s};
	assert_ok(IMAPIProp_SetProps((LPMAPIPROP)obj, 1, &v, NULL));
}

static char *get_string(LPVOID obj, ULONG tag)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)obj, tag, &v);
	if (hr != S_OK)
		fail_msg("GetProps(0x%08X): 0x%08X (%s)", (unsigned)tag, (unsigned)hr, MAPIXGetLastErrorText());
	char *s = strdup(v->Value.lpszA);
	MAPIFreeBuffer(v);
	return s;
}

static void assert_string(LPVOID obj, ULONG tag, const char *want)
{
	char *s = get_string(obj, tag);
	if (strcmp(s, want) != 0)
		fail_msg("property 0x%08X is \"%s\", expected \"%s\"", (unsigned)tag, s, want);
	free(s);
}

static SBinary entryid_of(LPMESSAGE m)
{
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &v));
	SBinary b = {v->Value.bin.cb, malloc(v->Value.bin.cb)};
	memcpy(b.lpb, v->Value.bin.lpb, b.cb);
	MAPIFreeBuffer(v);
	return b;
}

static LPMESSAGE open_message(fixture *fx, const SBinary *eid, ULONG flags)
{
	ULONG type = 0;
	LPUNKNOWN unk = NULL;
	assert_ok(IMsgStore_OpenEntry(fx->mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, &unk));
	assert_int_equal(type, MAPI_MESSAGE);
	return (LPMESSAGE)unk;
}

/* Two values are the same property with the same value. */
static void assert_same(const SPropValue *a, const SPropValue *b)
{
	if (a->ulPropTag != b->ulPropTag)
		fail_msg("tag 0x%08X, expected 0x%08X", (unsigned)a->ulPropTag, (unsigned)b->ulPropTag);
	if (PROP_TYPE(a->ulPropTag) == PT_ERROR) {
		assert_int_equal(a->Value.err, b->Value.err);
		return;
	}
	if (LPropCompareProp((LPSPropValue)a, (LPSPropValue)b) != 0)
		fail_msg("property 0x%08X: values differ", (unsigned)a->ulPropTag);
	if (PROP_TYPE(a->ulPropTag) == PT_STRING8)
		assert_string_equal(a->Value.lpszA, b->Value.lpszA);
	if (PROP_TYPE(a->ulPropTag) == PT_UNICODE)
		assert_int_equal(memcmp(a->Value.lpszW, b->Value.lpszW, (mapix_wcslen(b->Value.lpszW) + 1) * 2), 0);
}

/* aRow is declared with one element; rows past it are reached through a pointer. */
static LPSRow row_at(LPSRowSet rows, ULONG i)
{
	LPSRow first = rows->aRow;
	return first + i;
}

/* ---- values --------------------------------------------------------------------------------- */

static char big[40000];

/* A message with a value of every stored type, a large one and a text with
 * characters outside the BMP, saved; returns its entry ID. */
static SBinary saved_typed_message(fixture *fx)
{
	static LONG longs[] = {1, -2, 3};
	static LPWSTR ws[] = {u"\u00e9t\u00e9", u"\U0001F600"};
	static GUID g = {0x01020304, 0x0506, 0x0708, {9, 10, 11, 12, 13, 14, 15, 16}};
	static BYTE blob[] = {0, 1, 2, 254, 255};
	memset(big, 'x', sizeof big - 1);
	FILETIME ft = {0x89ABCDEF, 0x01D9FFFF};
	SPropValue v[] = {
	    {.ulPropTag = TAG(PT_I2, 0), .Value.i = -7},
	    {.ulPropTag = TAG(PT_LONG, 1), .Value.l = 0x7FFFFFFF},
	    {.ulPropTag = TAG(PT_R4, 2), .Value.flt = 2.5f},
	    {.ulPropTag = TAG(PT_DOUBLE, 3), .Value.dbl = -1.0 / 3},
	    {.ulPropTag = TAG(PT_CURRENCY, 4), .Value.cur = {.int64 = -123456789012LL}},
	    {.ulPropTag = TAG(PT_APPTIME, 5), .Value.at = 45123.75},
	    {.ulPropTag = TAG(PT_BOOLEAN, 6), .Value.b = TRUE},
	    {.ulPropTag = TAG(PT_I8, 7), .Value.li = {.QuadPart = -5000000000LL}},
	    {.ulPropTag = TAG(PT_SYSTIME, 8), .Value.ft = ft},
	    {.ulPropTag = TAG(PT_CLSID, 9), .Value.lpguid = &g},
	    {.ulPropTag = TAG(PT_BINARY, 10), .Value.bin = {sizeof blob, blob}},
	    {.ulPropTag = TAG(PT_MV_LONG, 11), .Value.MVl = {3, longs}},
	    {.ulPropTag = TAG(PT_MV_UNICODE, 12), .Value.MVszW = {2, ws}},
	    {.ulPropTag = PR_SUBJECT_W, .Value.lpszW = u"caf\u00e9 \U0001D11E clef"},
	    {.ulPropTag = PR_BODY_A, .Value.lpszA = big},
	    {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Note"},
	};
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, sizeof v / sizeof v[0], v, NULL));
	assert_ok(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	SBinary eid = entryid_of(m);
	IMessage_Release(m);
	return eid;
}

/* Every tag asked for in one GetProps reads as it does alone, in a fresh
 * object that read nothing before. */
static void test_one_call_equals_single_reads(void **state)
{
	fixture *fx = *state;
	static const ULONG tags[] = {
	    TAG(PT_I2, 0), TAG(PT_LONG, 1), TAG(PT_R4, 2), TAG(PT_DOUBLE, 3), TAG(PT_CURRENCY, 4), TAG(PT_APPTIME, 5),
	    TAG(PT_BOOLEAN, 6), TAG(PT_I8, 7), TAG(PT_SYSTIME, 8), TAG(PT_CLSID, 9), TAG(PT_BINARY, 10),
	    TAG(PT_MV_LONG, 11), TAG(PT_MV_UNICODE, 12), TAG(PT_MV_STRING8, 12), TAG(PT_ERROR, 13),
	    PR_SUBJECT_W, PR_SUBJECT_A, PR_BODY_A, PR_BODY_W, PR_MESSAGE_CLASS_A,
	    TAG(PT_LONG, 0),          /* the wrong type of a stored id: not found */
	    TAG(PT_LONG, 40),         /* nothing stored */
	    PROP_TAG(PT_UNSPECIFIED, PROP_ID(PR_SUBJECT_W)), PROP_TAG(PT_UNSPECIFIED, 0x6700 + 12),
	    PROP_TAG(PT_UNSPECIFIED, 0x6700 + 1),
	    PR_ENTRYID, PR_MESSAGE_FLAGS, PR_HASATTACH, PR_MESSAGE_SIZE, PR_OBJECT_TYPE,
	};
	const ULONG n = sizeof tags / sizeof tags[0];
	LPSPropTagArray arr = NULL;
	assert_ok(MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(n), (LPVOID *)&arr));
	arr->cValues = n;
	memcpy(arr->aulPropTag, tags, sizeof tags);
	SBinary eid = saved_typed_message(fx);
	for (int unicode = 0; unicode < 2; unicode++) {
		ULONG flags = unicode ? MAPI_UNICODE : 0, cv = 0;
		LPMESSAGE all = open_message(fx, &eid, 0);
		LPSPropValue v = NULL;
		assert_hr(IMessage_GetProps(all, arr, flags, &cv, &v), MAPI_W_ERRORS_RETURNED);
		assert_int_equal(cv, n);
		for (ULONG i = 0; i < n; i++) {
			LPMESSAGE one = open_message(fx, &eid, 0);
			SizedSPropTagArray(1, t1) = {1, {tags[i]}};
			LPSPropValue w = NULL;
			ULONG c1 = 0;
			HRESULT hr = IMessage_GetProps(one, (LPSPropTagArray)&t1, flags, &c1, &w);
			assert_true(hr == S_OK || hr == MAPI_W_ERRORS_RETURNED);
			assert_same(&v[i], &w[0]);
			MAPIFreeBuffer(w);
			IMessage_Release(one);
		}
		/* Spot checks of what both agree on. */
		assert_int_equal(v[0].Value.i, -7);
		assert_int_equal(v[11].Value.MVl.cValues, 3);
		assert_int_equal(v[13].ulPropTag, TAG(PT_MV_STRING8, 12));
		assert_string_equal(v[13].Value.MVszA.lppszA[1], "\xf0\x9f\x98\x80");
		assert_int_equal(v[15].Value.lpszW[5], 0xD834); /* U+1D11E as a surrogate pair */
		assert_int_equal(v[15].Value.lpszW[6], 0xDD1E);
		assert_string_equal(v[16].Value.lpszA, "caf\xc3\xa9 \xf0\x9d\x84\x9e clef");
		assert_int_equal(v[17].ulPropTag, CHANGE_PROP_TYPE(PR_BODY_A, PT_ERROR)); /* large: streamed */
		assert_int_equal(v[17].Value.err, MAPI_E_NOT_ENOUGH_MEMORY);
		assert_int_equal(v[20].ulPropTag, PROP_TAG(PT_ERROR, 0x6700));
		assert_int_equal(v[22].ulPropTag, unicode ? PR_SUBJECT_W : PR_SUBJECT_A);
		assert_int_equal(v[23].ulPropTag, TAG(unicode ? PT_MV_UNICODE : PT_MV_STRING8, 12));
		assert_int_equal(v[24].ulPropTag, TAG(PT_LONG, 1));
		MAPIFreeBuffer(v);
		IMessage_Release(all);
	}
	MAPIFreeBuffer(arr);
	free(eid.lpb);
}

/* GetProps(NULL) reads what GetPropList lists, and every value reads the
 * same through a tag list. */
static void test_all_props_agree(void **state)
{
	fixture *fx = *state;
	SBinary eid = saved_typed_message(fx);
	LPMESSAGE m = open_message(fx, &eid, 0);
	LPSPropTagArray list = NULL;
	LPSPropValue all = NULL, some = NULL;
	ULONG n = 0, n2 = 0;
	assert_ok(IMessage_GetPropList(m, MAPI_UNICODE, &list));
	assert_hr(IMessage_GetProps(m, NULL, MAPI_UNICODE, &n, &all), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(n, list->cValues);
	for (ULONG i = 0; i < n; i++)
		assert_int_equal(PROP_ID(all[i].ulPropTag), PROP_ID(list->aulPropTag[i]));
	assert_hr(IMessage_GetProps(m, list, MAPI_UNICODE, &n2, &some), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(n2, n);
	for (ULONG i = 0; i < n; i++)
		assert_same(&all[i], &some[i]);
	/* The large body is listed, and reads whole through a stream. */
	BOOL body = FALSE;
	for (ULONG i = 0; i < n; i++)
		body |= PROP_ID(list->aulPropTag[i]) == PROP_ID(PR_BODY_W);
	assert_true(body);
	LPSTREAM s = NULL;
	assert_ok(IMessage_OpenProperty(m, PR_BODY_A, &IID_IStream, 0, 0, (LPUNKNOWN *)&s));
	STATSTG st;
	assert_ok(IStream_Stat(s, &st, STATFLAG_NONAME));
	assert_int_equal(st.cbSize.QuadPart, sizeof big - 1);
	IStream_Release(s);
	MAPIFreeBuffer(list);
	MAPIFreeBuffer(all);
	MAPIFreeBuffer(some);
	IMessage_Release(m);
	free(eid.lpb);
}

/* ---- what an open object sees ----------------------------------------------------------------- */

static void test_open_message_is_a_snapshot(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	set_string(m, PR_SUBJECT_A, "first");
	set_string(m, PR_BODY_A, "body one");
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = entryid_of(m);
	IMessage_Release(m);

	LPMESSAGE reader = open_message(fx, &eid, 0);
	LPMESSAGE writer = open_message(fx, &eid, MAPI_MODIFY);
	assert_string(reader, PR_SUBJECT_A, "first");
	set_string(writer, PR_SUBJECT_A, "second");
	assert_ok(IMessage_SaveChanges(writer, KEEP_OPEN_READWRITE));
	/* The writer sees its own save at once... */
	assert_string(writer, PR_SUBJECT_A, "second");
	assert_string(writer, PR_BODY_A, "body one");
	/* ...the reader keeps what it read until it is opened again. */
	assert_string(reader, PR_SUBJECT_A, "first");
	LPMESSAGE again = open_message(fx, &eid, 0);
	assert_string(again, PR_SUBJECT_A, "second");
	IMessage_Release(again);

	/* Computed properties are current: the read flag changed through the folder. */
	LPSPropValue v = NULL;
	ENTRYLIST el = {1, &eid};
	assert_ok(IMAPIFolder_SetReadFlags(fx->inbox, &el, 0, NULL, CLEAR_READ_FLAG));
	assert_ok(HrGetOneProp((LPMAPIPROP)reader, PR_MESSAGE_FLAGS, &v));
	assert_int_equal(v->Value.l & MSGFLAG_READ, 0);
	MAPIFreeBuffer(v);
	assert_ok(IMAPIFolder_SetReadFlags(fx->inbox, &el, 0, NULL, 0));
	assert_ok(HrGetOneProp((LPMAPIPROP)reader, PR_MESSAGE_FLAGS, &v));
	assert_int_equal(v->Value.l & MSGFLAG_READ, MSGFLAG_READ);
	MAPIFreeBuffer(v);

	/* A writer's staged change shows over what it keeps; deleting one
	 * shows as missing; saving twice stays right. */
	set_string(writer, PR_SUBJECT_A, "third");
	assert_string(writer, PR_SUBJECT_A, "third");
	SizedSPropTagArray(1, del) = {1, {PR_BODY_A}};
	assert_ok(IMessage_DeleteProps(writer, (LPSPropTagArray)&del, NULL));
	assert_hr(HrGetOneProp((LPMAPIPROP)writer, PR_BODY_A, &v), MAPI_E_NOT_FOUND);
	/* (the read flags changed the message since the writer saved) */
	assert_ok(IMessage_SaveChanges(writer, KEEP_OPEN_READWRITE | FORCE_SAVE));
	assert_hr(HrGetOneProp((LPMAPIPROP)writer, PR_BODY_A, &v), MAPI_E_NOT_FOUND);
	assert_string(writer, PR_SUBJECT_A, "third");
	IMessage_Release(writer);
	IMessage_Release(reader);
	free(eid.lpb);
}

/* Folders (and the store) write through and read what is stored now,
 * through any object. */
static void test_folders_read_current_values(void **state)
{
	fixture *fx = *state;
	LPMAPIFOLDER other = open_inbox(fx->mdb);
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)other, PR_CONTENT_COUNT, &v));
	LONG before = v->Value.l;
	MAPIFreeBuffer(v);
	set_string(other, PR_COMMENT_A, "one");
	assert_string(fx->inbox, PR_COMMENT_A, "one");
	set_string(fx->inbox, PR_COMMENT_A, "two");
	assert_string(other, PR_COMMENT_A, "two");
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	assert_ok(HrGetOneProp((LPMAPIPROP)other, PR_CONTENT_COUNT, &v));
	assert_int_equal(v->Value.l, before + 1);
	MAPIFreeBuffer(v);
	/* GetProps(NULL) of a folder: every computed value once, consistent. */
	ULONG n = 0;
	assert_hr(IMAPIFolder_GetProps(other, NULL, MAPI_UNICODE, &n, &v), S_OK);
	BOOL seen = FALSE;
	for (ULONG i = 0; i < n; i++)
		if (v[i].ulPropTag == PR_CONTENT_COUNT) {
			assert_int_equal(v[i].Value.l, before + 1);
			seen = TRUE;
		}
	assert_true(seen);
	MAPIFreeBuffer(v);
	IMAPIFolder_Release(other);
}

/* ---- recipient and attachment tables ----------------------------------------------------------- */

static void test_recipient_table_rows(void **state)
{
	fixture *fx = *state;
	static char longname[40000];
	memset(longname, 'n', sizeof longname - 1);
	LPMESSAGE m = NULL;
	LPADRLIST al = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(MAPIAllocateBuffer((ULONG)CbNewADRLIST(3), (LPVOID *)&al));
	al->cEntries = 3;
	for (ULONG i = 0; i < 3; i++) {
		LPSPropValue p = NULL;
		assert_ok(MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&p));
		p[0] = (SPropValue){.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = i == 1 ? longname : "R\xc3\xa9mi"};
		p[1] = (SPropValue){.ulPropTag = PR_RECIPIENT_TYPE, .Value.l = (LONG)(MAPI_TO + i)};
		p[2] = (SPropValue){.ulPropTag = PR_EMAIL_ADDRESS_W, .Value.lpszW = u"x@example.org"};
		p[3] = (SPropValue){.ulPropTag = PR_ROWID, .Value.l = 99}; /* ignored: the store numbers rows */
		/* The third recipient keeps nothing but its row. */
		al->aEntries[i] = (ADRENTRY){0, i == 2 ? 0 : 4, p};
	}
	assert_ok(IMessage_ModifyRecipients(m, MODRECIP_ADD, al));
	FreePadrlist(al);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = entryid_of(m);
	IMessage_Release(m);

	m = open_message(fx, &eid, 0);
	static const SizedSPropTagArray(4, cols) = {4, {PR_ROWID, PR_DISPLAY_NAME_W, PR_RECIPIENT_TYPE,
	                                                 PR_EMAIL_ADDRESS_A}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMessage_GetRecipientTable(m, MAPI_UNICODE, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	assert_int_equal(rows->cRows, 3);
	for (ULONG i = 0; i < 3; i++) {
		LPSPropValue r = row_at(rows, i)->lpProps;
		assert_int_equal(r[0].ulPropTag, PR_ROWID);
		assert_int_equal(r[0].Value.l, (LONG)i);
		if (i == 2) {
			assert_int_equal(PROP_TYPE(r[1].ulPropTag), PT_ERROR);
			assert_int_equal(PROP_TYPE(r[2].ulPropTag), PT_ERROR);
			continue;
		}
		assert_int_equal(r[1].ulPropTag, PR_DISPLAY_NAME_W);
		if (i == 0)
			assert_int_equal(r[1].Value.lpszW[1], 0xE9);
		else /* a value kept in chunks reads whole (recipient tables do not cut values) */
			assert_int_equal(mapix_wcslen(r[1].Value.lpszW), sizeof longname - 1);
		assert_int_equal(r[2].Value.l, (LONG)(MAPI_TO + i));
		assert_string_equal(r[3].Value.lpszA, "x@example.org");
	}
	FreeProws(rows);
	/* A copy of the message carries the long value whole. */
	LPMESSAGE copy = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &copy));
	assert_ok(IMessage_CopyTo(m, 0, NULL, NULL, 0, NULL, &IID_IMessage, copy, 0, NULL));
	assert_ok(IMessage_GetRecipientTable(copy, 0, &t));
	static const SizedSPropTagArray(1, name) = {1, {PR_DISPLAY_NAME_A}};
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&name, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	assert_int_equal(rows->cRows, 3);
	assert_string_equal(row_at(rows, 1)->lpProps[0].Value.lpszA, longname);
	FreeProws(rows);
	IMessage_Release(copy);
	IMessage_Release(m);
	free(eid.lpb);
}

static const SizedSPropTagArray(5, att_cols) = {
    5, {PR_ATTACH_NUM, PR_ATTACH_SIZE, PR_ATTACH_LONG_FILENAME_W, PR_ATTACH_METHOD, PR_RECORD_KEY}};

static LPSRowSet attachment_rows(LPMESSAGE m)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IMessage_GetAttachmentTable(m, MAPI_UNICODE, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&att_cols, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	return rows;
}

/* Each row of the attachment table equals the opened attachment's values. */
static void assert_rows_match_objects(LPMESSAGE m, ULONG want_rows)
{
	LPSRowSet rows = attachment_rows(m);
	assert_int_equal(rows->cRows, want_rows);
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue r = row_at(rows, i)->lpProps;
		LPATTACH a = NULL;
		LPSPropValue v = NULL;
		ULONG n = 0;
		assert_ok(IMessage_OpenAttach(m, (ULONG)r[0].Value.l, NULL, 0, &a));
		HRESULT hr = IAttach_GetProps(a, (LPSPropTagArray)&att_cols, MAPI_UNICODE, &n, &v);
		assert_true(hr == S_OK || hr == MAPI_W_ERRORS_RETURNED);
		for (ULONG k = 0; k < n; k++)
			assert_same(&r[k], &v[k]);
		MAPIFreeBuffer(v);
		IAttach_Release(a);
	}
	FreeProws(rows);
}

static void test_attachment_table_rows(void **state)
{
	fixture *fx = *state;
	static BYTE data[5000];
	LPMESSAGE m = NULL, e = NULL;
	LPATTACH a = NULL;
	ULONG num;
	memset(data, 7, sizeof data);
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	/* 0: data; 1: no properties at all; 2: an embedded message. */
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue av[] = {{.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
	                   {.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = "data.bin"},
	                   {.ulPropTag = PR_ATTACH_DATA_BIN, .Value.bin = {sizeof data, data}}};
	assert_ok(IAttach_SetProps(a, 3, av, NULL));
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue method = {.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_EMBEDDED_MSG};
	assert_ok(IAttach_SetProps(a, 1, &method, NULL));
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
	                               (LPUNKNOWN *)&e));
	set_string(e, PR_SUBJECT_A, "inside");
	set_string(e, PR_BODY_A, "an embedded message with a body");
	assert_ok(IMessage_SaveChanges(e, 0));
	IMessage_Release(e);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_rows_match_objects(m, 3); /* all staged */
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = entryid_of(m);
	IMessage_Release(m);

	m = open_message(fx, &eid, MAPI_MODIFY);
	assert_rows_match_objects(m, 3); /* all as stored */
	LPSRowSet rows = attachment_rows(m);
	assert_int_equal(row_at(rows, 1)->lpProps[0].Value.l, 1);
	assert_int_equal(PROP_TYPE(row_at(rows, 1)->lpProps[2].ulPropTag), PT_ERROR); /* no file name */
	LONG emb_size = row_at(rows, 2)->lpProps[1].Value.l;
	assert_true(emb_size > (LONG)strlen("an embedded message with a body"));
	assert_true(row_at(rows, 0)->lpProps[1].Value.l >= (LONG)sizeof data);
	FreeProws(rows);
	/* Staged changes next to stored rows: one modified, one deleted, one new. */
	assert_ok(IMessage_OpenAttach(m, 0, NULL, MAPI_MODIFY, &a));
	SPropValue rename = {.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = "renamed.bin"};
	assert_ok(IAttach_SetProps(a, 1, &rename, NULL));
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_DeleteAttach(m, 1, 0, NULL, 0));
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	assert_ok(IAttach_SetProps(a, 2, av, NULL));
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_rows_match_objects(m, 3);
	rows = attachment_rows(m);
	assert_int_equal(row_at(rows, 0)->lpProps[2].Value.lpszW[0], u'r');
	assert_int_equal(row_at(rows, 1)->lpProps[0].Value.l, 2);
	assert_int_equal(row_at(rows, 1)->lpProps[1].Value.l, emb_size);
	FreeProws(rows);
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	m = open_message(fx, &eid, 0);
	assert_rows_match_objects(m, 3);
	IMessage_Release(m);
	free(eid.lpb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_call_equals_single_reads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_all_props_agree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_message_is_a_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_folders_read_current_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recipient_table_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_attachment_table_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
