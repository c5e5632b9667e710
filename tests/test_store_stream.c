/*
 * test_store_stream.c — large property values through IStream
 * (OpenProperty with IID_IStream) on a message store: a 5 MiB binary and
 * a 1 MiB Unicode string written in odd-sized pieces (UTF-16 units and
 * surrogate pairs split across Write calls), read back in pieces, with
 * GetProps answering MAPI_E_NOT_ENOUGH_MEMORY for them; the stream
 * semantics (Seek past the end, SetSize, Commit without changes, Revert,
 * Release without Commit, read-only streams); streams on attachments and
 * on folders (written through).
 *
 * The "open a store" step goes through store_hook_open (tests/store_hook.h).
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

#define BIG_BINARY (5u * 1024 * 1024)
#define BIG_UNICODE_UNITS (512u * 1024) /* 1 MiB of UTF-16 */
#define PR_TEST_BLOB PROP_TAG(PT_BINARY, 0x6710)

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-stream");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	assert_ok(IMsgStore_GetReceiveFolder(fx->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->inbox));
	MAPIFreeBuffer(eid);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	if (fx->inbox)
		IMAPIFolder_Release(fx->inbox);
	if (fx->mdb)
		IMsgStore_Release(fx->mdb);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static BYTE pattern(size_t i)
{
	return (BYTE)((i * 2654435761u) >> 13);
}

/* The test string: ASCII, BMP and non-BMP characters (surrogate pairs). */
static WCHAR *make_unicode(size_t units)
{
	WCHAR *w = malloc((units + 1) * sizeof *w);
	assert_non_null(w);
	size_t i = 0;
	while (i < units) {
		switch (i % 7) {
		case 0:
		case 1:
		case 2:
			w[i] = (WCHAR)('a' + (i % 26));
			i++;
			break;
		case 3:
			w[i++] = 0x00E9; /* é */
			break;
		case 4:
			w[i++] = 0x20AC; /* € */
			break;
		default:
			if (i + 2 <= units) {
				w[i++] = 0xD83D; /* U+1F600 */
				w[i++] = 0xDE00;
			} else {
				w[i++] = 'z';
			}
			break;
		}
	}
	w[units] = 0;
	return w;
}

static LPSTREAM open_stream(LPVOID obj, ULONG tag, ULONG flags)
{
	LPSTREAM s = NULL;
	HRESULT hr = IMAPIProp_OpenProperty((LPMAPIPROP)obj, tag, &IID_IStream, STGM_READWRITE, flags, (LPUNKNOWN *)&s);
	if (hr != S_OK)
		fail_msg("OpenProperty(0x%08X, IID_IStream, 0x%X) failed: 0x%08X (%s)", (unsigned)tag, (unsigned)flags,
		         (unsigned)hr, MAPIXGetLastErrorText());
	return s;
}

/* Writes n bytes in pieces of odd sizes. */
static void write_pieces(LPSTREAM s, const BYTE *data, size_t n)
{
	static const ULONG sizes[] = {1, 4093, 3, 65537, 777, 131071, 5};
	size_t off = 0;
	for (unsigned k = 0; off < n; k++) {
		ULONG piece = sizes[k % 7];
		if (piece > n - off)
			piece = (ULONG)(n - off);
		ULONG written = 0;
		assert_ok(IStream_Write(s, data + off, piece, &written));
		assert_int_equal(written, piece);
		off += piece;
	}
}

/* Reads the stream to its end in pieces of an odd size and compares. */
static void read_compare(LPSTREAM s, const BYTE *want, size_t n)
{
	BYTE *buf = malloc(9973);
	size_t off = 0;
	ULONG got;
	assert_non_null(buf);
	do {
		assert_ok(IStream_Read(s, buf, 9973, &got));
		if (off + got > n)
			fail_msg("stream longer than expected (%zu > %zu)", off + got, n);
		if (memcmp(buf, want + off, got) != 0)
			fail_msg("stream differs in the piece at %zu", off);
		off += got;
	} while (got > 0);
	assert_int_equal(off, n);
	free(buf);
}

static ULONGLONG stream_size(LPSTREAM s)
{
	STATSTG st;
	assert_ok(IStream_Stat(s, &st, STATFLAG_NONAME));
	assert_int_equal(st.type, STGTY_STREAM);
	return st.cbSize.QuadPart;
}

static void assert_too_big(LPVOID obj, ULONG tag)
{
	SPropTagArray one = {1, {tag}};
	ULONG c = 0;
	LPSPropValue v = NULL;
	assert_hr(IMAPIProp_GetProps((LPMAPIPROP)obj, &one, 0, &c, &v), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(v[0].ulPropTag, CHANGE_PROP_TYPE(tag, PT_ERROR));
	assert_int_equal(v[0].Value.err, MAPI_E_NOT_ENOUGH_MEMORY);
	MAPIFreeBuffer(v);
}

static SBinary get_eid(LPMESSAGE m)
{
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &v));
	SBinary b = {v->Value.bin.cb, malloc(v->Value.bin.cb)};
	memcpy(b.lpb, v->Value.bin.lpb, b.cb);
	MAPIFreeBuffer(v);
	return b;
}

static LPMESSAGE reopen(fixture *fx, const SBinary *eid, ULONG flags)
{
	ULONG type;
	LPMESSAGE m = NULL;
	assert_ok(IMsgStore_OpenEntry(fx->mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, flags, &type, (LPUNKNOWN *)&m));
	return m;
}

/* ---- large values ---------------------------------------------------------------------------- */

static void test_big_binary(void **state)
{
	fixture *fx = *state;
	BYTE *data = malloc(BIG_BINARY);
	assert_non_null(data);
	for (size_t i = 0; i < BIG_BINARY; i++)
		data[i] = pattern(i);
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	LPSTREAM s = open_stream(m, PR_TEST_BLOB, MAPI_CREATE | MAPI_MODIFY);
	write_pieces(s, data, BIG_BINARY);
	assert_int_equal(stream_size(s), BIG_BINARY);
	assert_ok(IStream_Commit(s, STGC_DEFAULT));
	IStream_Release(s);
	/* Staged: already too big for GetProps, readable as a stream. */
	assert_too_big(m, PR_TEST_BLOB);
	s = open_stream(m, PR_TEST_BLOB, 0);
	read_compare(s, data, BIG_BINARY);
	IStream_Release(s);
	LONG size = 0;
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_MESSAGE_SIZE, &v));
	size = v->Value.l;
	MAPIFreeBuffer(v);
	assert_true(size >= (LONG)BIG_BINARY);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = get_eid(m);
	IMessage_Release(m);

	m = reopen(fx, &eid, 0);
	assert_too_big(m, PR_TEST_BLOB);
	s = open_stream(m, PR_TEST_BLOB, 0);
	assert_int_equal(stream_size(s), BIG_BINARY);
	read_compare(s, data, BIG_BINARY);
	/* Seek into the middle of a chunk and read across the next boundary. */
	LARGE_INTEGER to = {.QuadPart = 65536 * 3 - 17};
	ULARGE_INTEGER now;
	BYTE piece[100];
	ULONG got;
	assert_ok(IStream_Seek(s, to, STREAM_SEEK_SET, &now));
	assert_int_equal(now.QuadPart, to.QuadPart);
	assert_ok(IStream_Read(s, piece, sizeof piece, &got));
	assert_int_equal(got, sizeof piece);
	assert_memory_equal(piece, data + to.QuadPart, sizeof piece);
	to.QuadPart = -10;
	assert_ok(IStream_Seek(s, to, STREAM_SEEK_END, &now));
	assert_ok(IStream_Read(s, piece, sizeof piece, &got));
	assert_int_equal(got, 10);
	assert_memory_equal(piece, data + BIG_BINARY - 10, 10);
	/* A read-only stream refuses writes. */
	assert_hr(IStream_Write(s, piece, 1, &got), STG_E_ACCESSDENIED);
	LPSTREAM clone = NULL;
	assert_hr(IStream_Clone(s, &clone), STG_E_INVALIDFUNCTION);
	IStream_Release(s);
	/* A read-only message gives no writable stream. */
	LPSTREAM w = NULL;
	assert_hr(IMessage_OpenProperty(m, PR_TEST_BLOB, &IID_IStream, 0, MAPI_MODIFY, (LPUNKNOWN *)&w),
	          MAPI_E_NO_ACCESS);
	IMessage_Release(m);
	free(eid.lpb);
	free(data);
}

static void test_big_unicode(void **state)
{
	fixture *fx = *state;
	WCHAR *w = make_unicode(BIG_UNICODE_UNITS);
	size_t nbytes = BIG_UNICODE_UNITS * 2;
	BYTE *le = malloc(nbytes);
	assert_non_null(le);
	for (size_t i = 0; i < BIG_UNICODE_UNITS; i++) {
		le[2 * i] = (BYTE)w[i];
		le[2 * i + 1] = (BYTE)(w[i] >> 8);
	}
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	LPSTREAM s = open_stream(m, PR_BODY_W, MAPI_CREATE | MAPI_MODIFY);
	write_pieces(s, le, nbytes); /* odd pieces split units and surrogate pairs */
	BYTE nul[2] = {0, 0};
	assert_ok(IStream_Write(s, nul, 2, NULL)); /* the terminator is not stored */
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = get_eid(m);
	IMessage_Release(m);

	m = reopen(fx, &eid, 0);
	assert_too_big(m, PR_BODY_W);
	assert_too_big(m, PR_BODY_A);
	s = open_stream(m, PR_BODY_W, 0);
	assert_int_equal(stream_size(s), nbytes);
	read_compare(s, le, nbytes);
	IStream_Release(s);
	/* The same value as an 8-bit stream is its UTF-8 form. */
	char *utf8 = NULL;
	assert_ok(mapix_utf16_to_utf8(w, NULL, &utf8));
	s = open_stream(m, PR_BODY_A, 0);
	assert_int_equal(stream_size(s), strlen(utf8));
	read_compare(s, (const BYTE *)utf8, strlen(utf8));
	IStream_Release(s);
	MAPIFreeBuffer(utf8);
	/* A binary stream of a string property does not exist. */
	LPSTREAM b = NULL;
	assert_hr(IMessage_OpenProperty(m, CHANGE_PROP_TYPE(PR_BODY_W, PT_BINARY), &IID_IStream, 0, 0, (LPUNKNOWN *)&b),
	          MAPI_E_NOT_FOUND);
	IMessage_Release(m);
	free(eid.lpb);
	free(le);
	free(w);
}

/* ---- stream semantics --------------------------------------------------------------------------- */

static void read_all(LPSTREAM s, char *buf, size_t cap, ULONG *n)
{
	LARGE_INTEGER zero = {.QuadPart = 0};
	assert_ok(IStream_Seek(s, zero, STREAM_SEEK_SET, NULL));
	assert_ok(IStream_Read(s, buf, (ULONG)cap, n));
}

static void test_semantics(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m = NULL;
	char buf[64];
	ULONG n;
	LPSTREAM s = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));

	/* No value yet: reading or modifying without MAPI_CREATE fails. */
	assert_hr(IMessage_OpenProperty(m, PR_SUBJECT_A, &IID_IStream, 0, 0, (LPUNKNOWN *)&s), MAPI_E_NOT_FOUND);
	assert_hr(IMessage_OpenProperty(m, PR_SUBJECT_A, &IID_IStream, 0, MAPI_MODIFY, (LPUNKNOWN *)&s),
	          MAPI_E_NOT_FOUND);
	assert_hr(IMessage_OpenProperty(m, PR_MESSAGE_FLAGS, &IID_IStream, 0, 0, (LPUNKNOWN *)&s), MAPI_E_INVALID_TYPE);

	/* Small values come back through GetProps as soon as they are committed. */
	s = open_stream(m, PR_SUBJECT_A, MAPI_CREATE | MAPI_MODIFY);
	assert_ok(IStream_Write(s, "hello", 5, NULL));
	assert_ok(IStream_Commit(s, 0));
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
	assert_string_equal(v->Value.lpszA, "hello");
	MAPIFreeBuffer(v);
	assert_ok(IStream_Commit(s, 0)); /* nothing changed: nothing to do */

	/* Write after a Seek past the end fills with zeros. */
	LARGE_INTEGER to = {.QuadPart = 8};
	assert_ok(IStream_Seek(s, to, STREAM_SEEK_SET, NULL));
	assert_ok(IStream_Write(s, "X", 1, NULL));
	read_all(s, buf, sizeof buf, &n);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "hello\0\0\0X", 9);
	/* Revert goes back to what was committed. */
	assert_ok(IStream_Revert(s));
	read_all(s, buf, sizeof buf, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	/* SetSize truncates. */
	ULARGE_INTEGER three = {.QuadPart = 3};
	assert_ok(IStream_SetSize(s, three));
	assert_int_equal(stream_size(s), 3);
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
	assert_string_equal(v->Value.lpszA, "hel");
	MAPIFreeBuffer(v);

	/* Released without Commit: the writes are discarded. */
	s = open_stream(m, PR_SUBJECT_A, MAPI_MODIFY);
	assert_int_equal(stream_size(s), 3);
	LARGE_INTEGER end = {.QuadPart = 0};
	assert_ok(IStream_Seek(s, end, STREAM_SEEK_END, NULL));
	assert_ok(IStream_Write(s, "p me", 4, NULL));
	IStream_Release(s);
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
	assert_string_equal(v->Value.lpszA, "hel");
	MAPIFreeBuffer(v);
	/* STREAM_APPEND starts at the end; the value survives the save. */
	s = open_stream(m, PR_SUBJECT_A, MAPI_MODIFY | STREAM_APPEND);
	assert_ok(IStream_Write(s, "lo", 2, NULL));
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = get_eid(m);
	IMessage_Release(m);
	m = reopen(fx, &eid, MAPI_MODIFY);
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_W, &v));
	assert_true(v->Value.lpszW[0] == u'h' && v->Value.lpszW[4] == u'o' && v->Value.lpszW[5] == 0);
	MAPIFreeBuffer(v);
	/* A Unicode stream of a small value: UTF-16LE bytes. */
	s = open_stream(m, PR_SUBJECT_W, 0);
	read_all(s, buf, sizeof buf, &n);
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "h\0e\0l\0l\0o\0", 10);
	IStream_Release(s);
	/* MAPI_CREATE on an existing value starts empty. */
	s = open_stream(m, PR_SUBJECT_W, MAPI_CREATE | MAPI_MODIFY);
	assert_int_equal(stream_size(s), 0);
	assert_ok(IStream_Write(s, "o\0k\0", 4, NULL));
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
	assert_string_equal(v->Value.lpszA, "ok");
	MAPIFreeBuffer(v);
	IMessage_Release(m); /* unsaved: the stored value stays "hello" */
	m = reopen(fx, &eid, 0);
	assert_ok(HrGetOneProp((LPMAPIPROP)m, PR_SUBJECT_A, &v));
	assert_string_equal(v->Value.lpszA, "hello");
	MAPIFreeBuffer(v);
	IMessage_Release(m);
	free(eid.lpb);
}

/* Commit twice with writes in between: the first staged file is not
 * changed by later writes. */
static void test_recommit_large(void **state)
{
	fixture *fx = *state;
	size_t n = 200000;
	BYTE *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = pattern(i);
	LPMESSAGE m = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	LPSTREAM s = open_stream(m, PR_TEST_BLOB, MAPI_CREATE | MAPI_MODIFY);
	write_pieces(s, data, n);
	assert_ok(IStream_Commit(s, 0));
	LPSTREAM r = open_stream(m, PR_TEST_BLOB, 0);
	/* Overwrite the start through the writer; the reader still sees the
	 * committed value. */
	LARGE_INTEGER zero = {.QuadPart = 0};
	assert_ok(IStream_Seek(s, zero, STREAM_SEEK_SET, NULL));
	assert_ok(IStream_Write(s, "CHANGED", 7, NULL));
	read_compare(r, data, n);
	IStream_Release(r);
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	memcpy(data, "CHANGED", 7);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = get_eid(m);
	IMessage_Release(m);
	m = reopen(fx, &eid, 0);
	r = open_stream(m, PR_TEST_BLOB, 0);
	read_compare(r, data, n);
	IStream_Release(r);
	IMessage_Release(m);
	free(eid.lpb);
	free(data);
}

/* ---- attachments and folders ---------------------------------------------------------------------- */

static void test_attachment_stream(void **state)
{
	fixture *fx = *state;
	size_t n = 300001;
	BYTE *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = pattern(i + 7);
	LPMESSAGE m = NULL;
	LPATTACH a = NULL;
	ULONG num;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &m));
	assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
	SPropValue method = {.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE};
	assert_ok(IAttach_SetProps(a, 1, &method, NULL));
	LPSTREAM s = open_stream(a, PR_ATTACH_DATA_BIN, MAPI_CREATE | MAPI_MODIFY);
	write_pieces(s, data, n);
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(m, 0));
	SBinary eid = get_eid(m);
	IMessage_Release(m);

	m = reopen(fx, &eid, 0);
	assert_ok(IMessage_OpenAttach(m, num, NULL, 0, &a));
	assert_too_big(a, PR_ATTACH_DATA_BIN);
	LPSPropValue sz = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)a, PR_ATTACH_SIZE, &sz));
	assert_true(sz->Value.l >= (LONG)n);
	MAPIFreeBuffer(sz);
	s = open_stream(a, PR_ATTACH_DATA_BIN, 0);
	read_compare(s, data, n);
	IStream_Release(s);
	/* PR_ATTACH_DATA_OBJ as a stream reads the same bytes. */
	s = NULL;
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_OBJ, &IID_IStream, 0, 0, (LPUNKNOWN *)&s));
	read_compare(s, data, n);
	IStream_Release(s);
	IAttach_Release(a);
	IMessage_Release(m);
	free(eid.lpb);
	free(data);
}

static void test_folder_stream(void **state)
{
	fixture *fx = *state;
	size_t n = 100003;
	BYTE *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = pattern(i + 3);
	LPSTREAM s = open_stream(fx->inbox, PR_TEST_BLOB, MAPI_CREATE | MAPI_MODIFY);
	write_pieces(s, data, n);
	assert_ok(IStream_Commit(s, 0));
	IStream_Release(s);
	/* Written through: visible at once, also after reopening the store. */
	IMAPIFolder_Release(fx->inbox);
	IMsgStore_Release(fx->mdb);
	fx->inbox = NULL;
	assert_ok(store_hook_open(fx->path, MDB_WRITE, &fx->mdb));
	ULONG cb = 0, type;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(fx->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->inbox));
	MAPIFreeBuffer(eid);
	assert_too_big(fx->inbox, PR_TEST_BLOB);
	s = open_stream(fx->inbox, PR_TEST_BLOB, 0);
	read_compare(s, data, n);
	IStream_Release(s);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_big_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_unicode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recommit_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachment_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_stream, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
