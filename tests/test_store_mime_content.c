/*
 * test_store_mime_content.c — a message's original Internet form kept in
 * PR_INTERNET_CONTENT (mapixmime.h MAPIX_MIME_KEEP_SOURCE) and written back
 * verbatim by export, and the store rule that keeps it from going stale
 * (src/providers/local/local-mime-content.c). Runs against the local store
 * and, as remote_store_mime_content, through mapixd (tests/store_hook.h).
 *
 *   - every message of tests/data/mime survives import + export byte for
 *     byte, from a buffer and from a descriptor at an offset; a large one
 *     (streamed in pieces, attachment decoded straight into the store) too;
 *   - line endings: CRLF asked for LF-stored text and the reverse, with
 *     CR LF pairs split across the 64 KiB pieces;
 *   - changing the subject, a recipient or an attachment deletes the kept
 *     form and export rebuilds the message; read flag, message status,
 *     follow-up flag, categories and the last verb keep it; an unknown named
 *     property does not; setting it in the same save keeps the new value;
 *   - copies and moves keep it;
 *   - MAPIX_MIME_REGENERATE and the flags that change a message rebuild it;
 *     without MAPIX_MIME_KEEP_SOURCE nothing is kept.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiguid.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>
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

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} fixture;

typedef struct bytes {
	BYTE *p;
	size_t n;
} bytes;

static const char *const corpus[] = {"plain.eml",   "alternative.eml", "attachments.eml", "charsets.eml",
                                     "related.eml", "rfc2047.eml",     "rfc822.eml",      "smime-signed.eml",
                                     "tnef.eml"};

static bytes read_data(const char *name)
{
	char rel[256];
	snprintf(rel, sizeof rel, "tests/data/mime/%s", name);
	char *path = mapix_test_source_path(rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	free(path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	bytes b = {malloc((size_t)n + 1), (size_t)n};
	assert_non_null(b.p);
	assert_int_equal(fread(b.p, 1, b.n, f), b.n);
	fclose(f);
	return b;
}

static void assert_same_bytes(const bytes *got, const BYTE *want, size_t n, const char *what)
{
	if (got->n != n || memcmp(got->p, want, n) != 0) {
		size_t i = 0;
		while (i < n && i < got->n && got->p[i] == want[i])
			i++;
		fail_msg("%s: %zu bytes exported, %zu expected, first difference at %zu", what, got->n, n, i);
	}
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-mime-content");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(fx->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->inbox));
	MAPIFreeBuffer(eid);
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

/* Opens a saved message again by entry ID, read-write. */
static LPMESSAGE reopen(fixture *fx, LPMESSAGE msg)
{
	LPSPropValue eid = NULL;
	ULONG type = 0;
	LPMESSAGE again = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &eid));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, MAPI_MODIFY,
	                              &type, (LPUNKNOWN *)&again));
	MAPIFreeBuffer(eid);
	IMessage_Release(msg);
	return again;
}

/* Imports data into a new message of folder, saves it and opens it again. */
static LPMESSAGE import_into(fixture *fx, LPMAPIFOLDER folder, const BYTE *data, size_t len, ULONG flags)
{
	LPMESSAGE msg = NULL;
	assert_ok(IMAPIFolder_CreateMessage(folder, NULL, 0, &msg));
	assert_ok(mapix_mime_to_message(data, len, msg, flags, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	return reopen(fx, msg);
}

static LPMESSAGE import_keep(fixture *fx, const bytes *b)
{
	return import_into(fx, fx->inbox, b->p, b->n, MAPIX_MIME_KEEP_SOURCE);
}

static bytes export_msg(LPMESSAGE msg, ULONG flags)
{
	bytes b = {NULL, 0};
	assert_ok(mapix_message_to_mime_buffer(msg, flags, &b.p, &b.n));
	return b;
}

static void bytes_free(bytes *b)
{
	MAPIFreeBuffer(b->p);
	b->p = NULL;
}

static BOOL has_content(LPMESSAGE msg)
{
	LPSPropValue v = NULL;
	SizedSPropTagArray(1, tags) = {1, {PR_INTERNET_CONTENT}};
	ULONG n = 0;
	assert_true(SUCCEEDED(IMessage_GetProps(msg, (LPSPropTagArray)&tags, 0, &n, &v)));
	/* Large values come back as PT_ERROR MAPI_E_NOT_ENOUGH_MEMORY: present. */
	BOOL present = v[0].ulPropTag == PR_INTERNET_CONTENT ||
	               (PROP_TYPE(v[0].ulPropTag) == PT_ERROR && v[0].Value.err == MAPI_E_NOT_ENOUGH_MEMORY);
	MAPIFreeBuffer(v);
	return present;
}

static BOOL contains(const bytes *b, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= b->n; i++)
		if (memcmp(b->p + i, needle, k) == 0)
			return TRUE;
	return FALSE;
}

/* The text with every bare LF written as CRLF. */
static bytes to_crlf(const bytes *in)
{
	bytes out = {malloc(2 * in->n + 1), 0};
	assert_non_null(out.p);
	for (size_t i = 0; i < in->n; i++) {
		if (in->p[i] == '\n' && (i == 0 || in->p[i - 1] != '\r'))
			out.p[out.n++] = '\r';
		out.p[out.n++] = in->p[i];
	}
	return out;
}

/* The text with every CRLF written as LF. */
static bytes to_lf(const bytes *in)
{
	bytes out = {malloc(in->n + 1), 0};
	assert_non_null(out.p);
	for (size_t i = 0; i < in->n; i++)
		if (!(in->p[i] == '\r' && i + 1 < in->n && in->p[i + 1] == '\n'))
			out.p[out.n++] = in->p[i];
	return out;
}

/* ---- byte-exact round trips ------------------------------------------------------------ */

static void test_corpus_round_trip(void **state)
{
	fixture *fx = *state;
	for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
		bytes in = read_data(corpus[i]);
		LPMESSAGE msg = import_keep(fx, &in);
		assert_true(has_content(msg));
		/* The corpus is in the LF form (its first line ends in LF), so
		 * the file form is the input itself and the wire form has every
		 * bare LF made CRLF. */
		bytes out = export_msg(msg, 0);
		assert_same_bytes(&out, in.p, in.n, corpus[i]);
		bytes_free(&out);
		out = export_msg(msg, MAPIX_MIME_CRLF);
		bytes crlf = to_crlf(&in);
		assert_same_bytes(&out, crlf.p, crlf.n, corpus[i]);
		bytes_free(&out);
		free(crlf.p);
		IMessage_Release(msg);
		free(in.p);
	}
}

static void test_fd_at_offset(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("attachments.eml");
	char path[4200];
	snprintf(path, sizeof path, "%s/in.eml", fx->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	static const char junk[] = "not part of the message\n";
	assert_int_equal(write(fd, junk, sizeof junk - 1), (ssize_t)(sizeof junk - 1));
	assert_int_equal(write(fd, in.p, in.n), (ssize_t)in.n);
	assert_int_equal(lseek(fd, (off_t)(sizeof junk - 1), SEEK_SET), (off_t)(sizeof junk - 1));
	LPMESSAGE msg = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &msg));
	assert_ok(mapix_mime_fd_to_message(fd, msg, MAPIX_MIME_KEEP_SOURCE, NULL));
	close(fd);
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	msg = reopen(fx, msg);
	bytes out = export_msg(msg, 0);
	assert_same_bytes(&out, in.p, in.n, "descriptor at an offset");
	bytes_free(&out);
	IMessage_Release(msg);
	free(in.p);
}

/* A message of several 64 KiB pieces with a base64 attachment: kept through
 * a stream, and the attachment decoded straight into its property. */
static void test_large_message(void **state)
{
	fixture *fx = *state;
	const size_t att_len = 300000;
	GString *s = g_string_new("From: Big <big@example.com>\nTo: r@example.com\nSubject: big\n"
	                          "Message-ID: <big@example.com>\nMIME-Version: 1.0\n"
	                          "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
	                          "Content-Type: text/plain\n\nSee attached.\n--b\n"
	                          "Content-Type: application/octet-stream; name=\"a.bin\"\n"
	                          "Content-Transfer-Encoding: base64\n\n");
	BYTE *att = malloc(att_len);
	assert_non_null(att);
	for (size_t i = 0; i < att_len; i++)
		att[i] = (BYTE)(i * 7 + i / 251);
	gchar *b64 = g_base64_encode(att, att_len);
	for (size_t i = 0, n = strlen(b64); i < n; i += 76) {
		g_string_append_len(s, b64 + i, (gssize)(n - i < 76 ? n - i : 76));
		g_string_append_c(s, '\n');
	}
	g_string_append(s, "--b--\n");
	g_free(b64);

	LPMESSAGE msg = import_into(fx, fx->inbox, (const BYTE *)s->str, s->len, MAPIX_MIME_KEEP_SOURCE);
	bytes out = export_msg(msg, 0);
	assert_same_bytes(&out, (const BYTE *)s->str, s->len, "large message");
	bytes_free(&out);

	/* The attachment's bytes, read back through a stream. */
	LPATTACH a = NULL;
	LPSTREAM st = NULL;
	assert_ok(IMessage_OpenAttach(msg, 0, NULL, 0, &a));
	assert_ok(IAttach_OpenProperty(a, PR_ATTACH_DATA_BIN, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&st));
	BYTE *back = malloc(att_len + 16);
	size_t got = 0;
	for (;;) {
		ULONG n = 0;
		assert_ok(IStream_Read(st, back + got, (ULONG)(att_len + 16 - got), &n));
		if (n == 0)
			break;
		got += n;
	}
	assert_int_equal(got, att_len);
	assert_memory_equal(back, att, att_len);
	IStream_Release(st);
	IAttach_Release(a);
	IMessage_Release(msg);
	free(back);
	free(att);
	g_string_free(s, TRUE);
}

/* ---- line endings ----------------------------------------------------------------------- */

/* Sets PR_INTERNET_CONTENT of a new message to data (through a stream) and saves it. */
static LPMESSAGE message_with_content(fixture *fx, const BYTE *data, size_t len)
{
	LPMESSAGE msg = NULL;
	LPSTREAM st = NULL;
	assert_ok(IMAPIFolder_CreateMessage(fx->inbox, NULL, 0, &msg));
	assert_ok(IMessage_OpenProperty(msg, PR_INTERNET_CONTENT, &IID_IStream, STGM_READWRITE,
	                                MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&st));
	for (size_t done = 0; done < len;) {
		ULONG w = 0;
		assert_ok(IStream_Write(st, data + done, (ULONG)(len - done), &w));
		done += w;
	}
	assert_ok(IStream_Commit(st, STGC_DEFAULT));
	IStream_Release(st);
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	return reopen(fx, msg);
}

static void check_newlines(fixture *fx, const bytes *in, const char *what)
{
	LPMESSAGE msg = message_with_content(fx, in->p, in->n);
	/* The first line end decides the form; the other is made from it. */
	const BYTE *nl = memchr(in->p, '\n', in->n);
	BOOL crlf = nl && nl > in->p && nl[-1] == '\r';
	bytes lf_want = crlf ? to_lf(in) : (bytes){NULL, 0};
	bytes crlf_want = crlf ? (bytes){NULL, 0} : to_crlf(in);
	bytes out = export_msg(msg, 0);
	if (crlf)
		assert_same_bytes(&out, lf_want.p, lf_want.n, what);
	else
		assert_same_bytes(&out, in->p, in->n, what);
	bytes_free(&out);
	out = export_msg(msg, MAPIX_MIME_CRLF);
	if (crlf)
		assert_same_bytes(&out, in->p, in->n, what);
	else
		assert_same_bytes(&out, crlf_want.p, crlf_want.n, what);
	bytes_free(&out);
	free(lf_want.p);
	free(crlf_want.p);
	IMessage_Release(msg);
}

static void test_newlines(void **state)
{
	fixture *fx = *state;
	static const char lf[] = "Subject: lf\n\nline\rwith a lone CR\n";
	static const char crlf[] = "Subject: crlf\r\n\r\nline\rwith a lone CR\r\nend\r\n";
	static const char none[] = "no line end at all";
	bytes b = {(BYTE *)lf, sizeof lf - 1};
	check_newlines(fx, &b, "LF text");
	b = (bytes){(BYTE *)crlf, sizeof crlf - 1};
	check_newlines(fx, &b, "CRLF text");
	b = (bytes){(BYTE *)none, sizeof none - 1};
	check_newlines(fx, &b, "text without line ends");

	/* CR LF pairs split by the 64 KiB pieces the value is read in: at
	 * the end of the first line (still deciding the form), and later. */
	const size_t piece = 65536, len = 3 * piece + 100;
	bytes big = {malloc(len), len};
	assert_non_null(big.p);
	for (size_t i = 0; i < len; i++)
		big.p[i] = (BYTE)('a' + i % 26);
	big.p[piece - 1] = '\r';
	big.p[piece] = '\n';
	big.p[2 * piece - 1] = '\r';
	big.p[2 * piece] = '\n';
	big.p[2 * piece + 10] = '\r'; /* a lone CR */
	big.p[len - 2] = '\r';
	big.p[len - 1] = '\n';
	check_newlines(fx, &big, "CRLF across pieces");
	for (size_t i = 0; i < len; i++)
		if (big.p[i] == '\r' && i + 1 < len && big.p[i + 1] == '\n')
			big.p[i] = 'x';
	check_newlines(fx, &big, "LF across pieces");
	free(big.p);
}

/* ---- keeping it true ------------------------------------------------------------------- */

static void assert_regenerated(fixture *fx, LPMESSAGE *msg, const bytes *orig, const char *must_contain)
{
	*msg = reopen(fx, *msg);
	assert_false(has_content(*msg));
	bytes out = export_msg(*msg, 0);
	assert_false(out.n == orig->n && memcmp(out.p, orig->p, out.n) == 0);
	if (must_contain && !contains(&out, must_contain))
		fail_msg("the rebuilt message lacks \"%s\"", must_contain);
	bytes_free(&out);
}

static void assert_verbatim(fixture *fx, LPMESSAGE *msg, const bytes *orig, const char *what)
{
	*msg = reopen(fx, *msg);
	assert_true(has_content(*msg));
	bytes out = export_msg(*msg, 0);
	assert_same_bytes(&out, orig->p, orig->n, what);
	bytes_free(&out);
}

static void test_subject_change_regenerates(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("alternative.eml");
	LPMESSAGE msg = import_keep(fx, &in);
	SPropValue v = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "A new subject"};
	assert_ok(IMessage_SetProps(msg, 1, &v, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_regenerated(fx, &msg, &in, "Subject: A new subject");
	IMessage_Release(msg);
	free(in.p);
}

static void test_recipient_change_regenerates(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("plain.eml");
	LPMESSAGE msg = import_keep(fx, &in);
	LPADRLIST al = NULL;
	assert_ok(MAPIAllocateBuffer(CbNewADRLIST(1), (LPVOID *)&al));
	al->cEntries = 1;
	assert_ok(MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&al->aEntries[0].rgPropVals));
	al->aEntries[0].cValues = 4;
	LPSPropValue p = al->aEntries[0].rgPropVals;
	p[0].ulPropTag = PR_DISPLAY_NAME_A;
	p[0].Value.lpszA = "Added Person";
	p[1].ulPropTag = PR_EMAIL_ADDRESS_A;
	p[1].Value.lpszA = "added@example.org";
	p[2].ulPropTag = PR_RECIPIENT_TYPE;
	p[2].Value.l = MAPI_CC;
	p[3].ulPropTag = PR_ADDRTYPE_A;
	p[3].Value.lpszA = "SMTP";
	assert_ok(IMessage_ModifyRecipients(msg, MODRECIP_ADD, al));
	FreePadrlist(al);
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_regenerated(fx, &msg, &in, "added@example.org");
	IMessage_Release(msg);
	free(in.p);
}

static void test_attachment_change_regenerates(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("plain.eml");
	LPMESSAGE msg = import_keep(fx, &in);
	LPATTACH a = NULL;
	ULONG num = 0;
	assert_ok(IMessage_CreateAttach(msg, NULL, 0, &num, &a));
	SPropValue v[3] = {{.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
	                   {.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = "added.txt"},
	                   {.ulPropTag = PR_ATTACH_DATA_BIN, .Value.bin = {5, (LPBYTE) "added"}}};
	assert_ok(IAttach_SetProps(a, 3, v, NULL));
	assert_ok(IAttach_SaveChanges(a, 0));
	IAttach_Release(a);
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_regenerated(fx, &msg, &in, "added.txt");
	IMessage_Release(msg);
	free(in.p);

	/* Deleting one counts as much. */
	in = read_data("attachments.eml");
	msg = import_keep(fx, &in);
	assert_ok(IMessage_DeleteAttach(msg, 0, 0, NULL, 0));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_regenerated(fx, &msg, &in, NULL);
	IMessage_Release(msg);
	free(in.p);
}

static ULONG named_tag(LPMESSAGE msg, const GUID *set, ULONG kind, LONG lid, const WCHAR *name, ULONG type)
{
	MAPINAMEID nid = {(LPGUID)set, kind, {.lID = lid}};
	if (kind == MNID_STRING)
		nid.Kind.lpwstrName = (LPWSTR)name;
	LPMAPINAMEID pnid = &nid;
	LPSPropTagArray tags = NULL;
	assert_ok(IMessage_GetIDsFromNames(msg, 1, &pnid, MAPI_CREATE, &tags));
	ULONG tag = PROP_TAG(type, PROP_ID(tags->aulPropTag[0]));
	MAPIFreeBuffer(tags);
	return tag;
}

static void test_state_changes_keep(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("smime-signed.eml");
	LPMESSAGE msg = import_keep(fx, &in);

	/* Read flag and message status: written outside SaveChanges. */
	assert_ok(IMessage_SetReadFlag(msg, 0));
	assert_verbatim(fx, &msg, &in, "after SetReadFlag");
	LPSPropValue eid = NULL;
	ULONG old = 0;
	assert_ok(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &eid));
	assert_ok(IMAPIFolder_SetMessageStatus(fx->inbox, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, 0x1000,
	                                       0x1000, &old));
	MAPIFreeBuffer(eid);
	assert_verbatim(fx, &msg, &in, "after SetMessageStatus");

	/* Follow-up flag, categories, last verb, a to-do title: state. */
	static const WCHAR keywords[] = u"Keywords";
	ULONG kw = named_tag(msg, &PS_PUBLIC_STRINGS, MNID_STRING, 0, keywords, PT_MV_UNICODE);
	ULONG todo = named_tag(msg, &PSETID_Common, MNID_ID, 0x85A4, NULL, PT_UNICODE);
	LPWSTR cats[] = {(LPWSTR)u"Red", (LPWSTR)u"Project X"};
	SPropValue v[5];
	v[0].ulPropTag = PR_FLAG_STATUS;
	v[0].Value.l = 2;
	v[1].ulPropTag = PR_FOLLOWUP_ICON;
	v[1].Value.l = 6;
	v[2].ulPropTag = kw;
	v[2].Value.MVszW.cValues = 2;
	v[2].Value.MVszW.lppszW = cats;
	v[3].ulPropTag = PR_LAST_VERB_EXECUTED;
	v[3].Value.l = 102;
	v[4].ulPropTag = todo;
	v[4].Value.lpszW = (LPWSTR)u"call back";
	assert_ok(IMessage_SetProps(msg, 5, v, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_verbatim(fx, &msg, &in, "after flag and categories");

	/* Taking them away again is state too. */
	SizedSPropTagArray(2, del) = {2, {PR_FLAG_STATUS, kw}};
	assert_ok(IMessage_DeleteProps(msg, (LPSPropTagArray)&del, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_verbatim(fx, &msg, &in, "after clearing the flag");

	/* A named property nobody says is state: rebuilt. */
	ULONG other = named_tag(msg, &PS_PUBLIC_STRINGS, MNID_STRING, 0, u"SomethingElse", PT_LONG);
	SPropValue o = {.ulPropTag = other, .Value.l = 1};
	assert_ok(IMessage_SetProps(msg, 1, &o, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	assert_regenerated(fx, &msg, &in, NULL);
	IMessage_Release(msg);
	free(in.p);
}

static void test_explicit_content_wins(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("plain.eml");
	LPMESSAGE msg = import_keep(fx, &in);
	static const char replaced[] = "Subject: replaced\n\nnew text\n";
	SPropValue v[2] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "replaced"},
	                   {.ulPropTag = PR_INTERNET_CONTENT,
	                    .Value.bin = {sizeof replaced - 1, (LPBYTE)replaced}}};
	assert_ok(IMessage_SetProps(msg, 2, v, NULL));
	assert_ok(IMessage_SaveChanges(msg, KEEP_OPEN_READWRITE));
	bytes want = {(BYTE *)replaced, sizeof replaced - 1};
	assert_verbatim(fx, &msg, &want, "explicit value");
	IMessage_Release(msg);
	free(in.p);
}

static LPMESSAGE only_message(LPMAPIFOLDER folder)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	assert_ok(IMAPIFolder_GetContentsTable(folder, 0, &t));
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows));
	assert_int_equal(rows->cRows, 1);
	ULONG type = 0;
	LPMESSAGE m = NULL;
	SBinary *eid = &rows->aRow[0].lpProps[0].Value.bin;
	assert_ok(IMAPIFolder_OpenEntry(folder, eid->cb, (LPENTRYID)eid->lpb, NULL, MAPI_MODIFY, &type,
	                                (LPUNKNOWN *)&m));
	FreeProws(rows);
	IMAPITable_Release(t);
	return m;
}

static void test_copy_and_move_keep(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("rfc822.eml");
	LPMESSAGE msg = import_keep(fx, &in);
	LPMAPIFOLDER a = NULL, b = NULL;
	assert_ok(IMAPIFolder_CreateFolder(fx->inbox, FOLDER_GENERIC, (LPTSTR) "copies", NULL, NULL, 0, &a));
	assert_ok(IMAPIFolder_CreateFolder(fx->inbox, FOLDER_GENERIC, (LPTSTR) "moved", NULL, NULL, 0, &b));
	LPSPropValue eid = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)msg, PR_ENTRYID, &eid));
	ENTRYLIST el = {1, &eid->Value.bin};
	assert_ok(IMAPIFolder_CopyMessages(fx->inbox, &el, NULL, a, 0, NULL, 0));
	IMessage_Release(msg);
	LPMESSAGE copy = only_message(a);
	assert_verbatim(fx, &copy, &in, "copy");
	IMessage_Release(copy);
	assert_ok(IMAPIFolder_CopyMessages(fx->inbox, &el, NULL, b, 0, NULL, MESSAGE_MOVE));
	MAPIFreeBuffer(eid);
	LPMESSAGE moved = only_message(b);
	assert_verbatim(fx, &moved, &in, "move");
	IMessage_Release(moved);
	IMAPIFolder_Release(a);
	IMAPIFolder_Release(b);
	free(in.p);
}

static void test_flags_that_rebuild(void **state)
{
	fixture *fx = *state;
	bytes in = read_data("plain.eml");
	LPMESSAGE kept = import_keep(fx, &in);
	LPMESSAGE plain = import_into(fx, fx->inbox, in.p, in.n, 0);
	assert_false(has_content(plain));
	/* Rebuilt from the same properties, the two give the same bytes. */
	static const ULONG rebuild[] = {MAPIX_MIME_REGENERATE, MAPIX_MIME_NO_BCC, MAPIX_MIME_NO_PASSTHROUGH,
	                                MAPIX_MIME_NEW_MESSAGE_ID};
	for (size_t i = 0; i < sizeof rebuild / sizeof rebuild[0]; i++) {
		bytes a = export_msg(kept, rebuild[i]);
		bytes b = export_msg(plain, rebuild[i] & ~MAPIX_MIME_REGENERATE);
		assert_same_bytes(&a, b.p, b.n, "rebuilt");
		assert_false(a.n == in.n && memcmp(a.p, in.p, in.n) == 0);
		bytes_free(&a);
		bytes_free(&b);
	}
	IMessage_Release(kept);
	IMessage_Release(plain);
	free(in.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_corpus_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_at_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newlines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subject_change_regenerates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipient_change_regenerates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attachment_change_regenerates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_changes_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_content_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_move_keep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_that_rebuild, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
