/*
 * bench_store_read.c — how fast the local store reads messages the way an
 * exporter does, against raw SQLite reading the same rows of the same file
 * in the same run.
 *
 * Setup: N messages (default 10000; argv[1] or MAPIX_BENCH_N) in the Inbox
 * of a new mailbox, saved in store batches: 22 properties each (a 2 KB
 * plain body and 1 KB of transport headers among them), two recipients of
 * six properties, and one message in four with a 4 KB attachment.
 * MAPIX_BENCH_MAILBOX=PATH keeps the mailbox at PATH and reuses it when it
 * already holds N messages.
 *
 * Measured, per message:
 *   store  OpenEntry, GetProps of 15 tags (13 stored, PR_MESSAGE_FLAGS and
 *          PR_HASATTACH computed) with MAPI_UNICODE, GetRecipientTable +
 *          SetColumns + QueryRows, GetAttachmentTable + SetColumns +
 *          QueryRows, Release; after MAPIInitialize, as the mapix command
 *          runs (so every call checks its caller's security context)
 *   raw    the same rows with plain prepared statements on a second,
 *          read-only connection: the messages row, the props rows of the
 *          message (the wanted values copied out), the attachment count,
 *          the recipients joined with their props, the attachments joined
 *          with theirs (values cut to 255 bytes, as tables do)
 * Both run in alternating slices of 500 messages so they share the
 * machine's conditions. The ratio is store time / raw time (lower is
 * better).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define SLICE 500
#define N_GET 15

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_hr(const char *what, HRESULT hr)
{
	fprintf(stderr, "bench_store_read: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	exit(2);
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_store_read: %s: %s\n", what, sqlite3_errmsg(db));
	exit(2);
}

static unsigned long arg_n(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("MAPIX_BENCH_N");
	unsigned long n = s ? strtoul(s, NULL, 10) : 0;
	return n ? n : 10000;
}

/* ---- the mailbox ------------------------------------------------------------------------- */

#define N_PROPS 22
#define N_RPROPS 6

static void fill_text(char *buf, size_t len, unsigned long seed)
{
	static const char words[] = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";
	for (size_t i = 0; i + 1 < len; i++)
		buf[i] = (i % 78 == 77) ? '\n' : words[(i + seed) % (sizeof words - 1)];
	buf[len - 1] = 0;
}

static void save_one(LPMAPIFOLDER inbox, unsigned long i)
{
	char subject[80], sender[64], email[64], smtp[64], msgid[64], inreply[64], body[2048], headers[1024];
	char rname[2][64], remail[2][64];
	BYTE reid[2][48];
	LPMESSAGE m = NULL;
	HRESULT hr;

	snprintf(subject, sizeof subject, "Re: quarterly figures, part %lu", i);
	snprintf(sender, sizeof sender, "Sender %lu", i % 1000);
	snprintf(email, sizeof email, "sender%lu@example.com", i % 1000);
	snprintf(smtp, sizeof smtp, "sender%lu@example.com", i % 1000);
	snprintf(msgid, sizeof msgid, "<%lu.read-bench@example.com>", i);
	snprintf(inreply, sizeof inreply, "<%lu.read-bench@example.com>", i ? i - 1 : 0);
	fill_text(body, sizeof body, i);
	fill_text(headers, sizeof headers, i * 7);
	memcpy(headers, "Received: ", 10);
	FILETIME ft = {.dwLowDateTime = (DWORD)(i * 10000000u), .dwHighDateTime = 0x01DA0000u};
	SPropValue p[N_PROPS];
	ULONG n = 0;
	p[n++] = (SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = subject};
	p[n++] = (SPropValue){.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"};
	p[n++] = (SPropValue){.ulPropTag = PR_BODY_A, .Value.lpszA = body};
	p[n++] = (SPropValue){.ulPropTag = PR_TRANSPORT_MESSAGE_HEADERS_A, .Value.lpszA = headers};
	p[n++] = (SPropValue){.ulPropTag = PR_IMPORTANCE, .Value.l = 1};
	p[n++] = (SPropValue){.ulPropTag = PR_SENSITIVITY, .Value.l = 0};
	p[n++] = (SPropValue){.ulPropTag = PR_SENDER_NAME_A, .Value.lpszA = sender};
	p[n++] = (SPropValue){.ulPropTag = PR_SENDER_ADDRTYPE_A, .Value.lpszA = (LPSTR) "SMTP"};
	p[n++] = (SPropValue){.ulPropTag = PR_SENDER_EMAIL_ADDRESS_A, .Value.lpszA = email};
	p[n++] = (SPropValue){.ulPropTag = PR_SENDER_SMTP_ADDRESS_A, .Value.lpszA = smtp};
	p[n++] = (SPropValue){.ulPropTag = PR_SENT_REPRESENTING_NAME_A, .Value.lpszA = sender};
	p[n++] = (SPropValue){.ulPropTag = PR_SENT_REPRESENTING_ADDRTYPE_A, .Value.lpszA = (LPSTR) "SMTP"};
	p[n++] = (SPropValue){.ulPropTag = PR_SENT_REPRESENTING_EMAIL_ADDRESS_A, .Value.lpszA = email};
	p[n++] = (SPropValue){.ulPropTag = PR_SENT_REPRESENTING_SMTP_ADDRESS_A, .Value.lpszA = smtp};
	p[n++] = (SPropValue){.ulPropTag = PR_CLIENT_SUBMIT_TIME, .Value.ft = ft};
	p[n++] = (SPropValue){.ulPropTag = PR_MESSAGE_DELIVERY_TIME, .Value.ft = ft};
	p[n++] = (SPropValue){.ulPropTag = PR_INTERNET_MESSAGE_ID_A, .Value.lpszA = msgid};
	p[n++] = (SPropValue){.ulPropTag = PR_READ_RECEIPT_REQUESTED, .Value.b = (i % 10) == 0};
	p[n++] = (SPropValue){.ulPropTag = PR_INTERNET_CPID, .Value.l = 65001};
	p[n++] = (SPropValue){.ulPropTag = PR_MESSAGE_LOCALE_ID, .Value.l = 1033};
	p[n++] = (SPropValue){.ulPropTag = PR_NORMALIZED_SUBJECT_A, .Value.lpszA = subject + 4};
	if (i % 2)
		p[n++] = (SPropValue){.ulPropTag = PR_IN_REPLY_TO_ID_A, .Value.lpszA = inreply};
	if (FAILED(hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m)) || FAILED(hr = IMessage_SetProps(m, n, p, NULL)))
		die_hr("CreateMessage/SetProps", hr);

	LPADRLIST al = NULL;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewADRLIST(2), (LPVOID *)&al)))
		die_hr("MAPIAllocateBuffer", hr);
	al->cEntries = 2;
	for (int r = 0; r < 2; r++) {
		snprintf(rname[r], sizeof rname[r], "Recipient %lu", (i + (unsigned long)r) % 100);
		snprintf(remail[r], sizeof remail[r], "rcpt%lu@example.com", (i + (unsigned long)r) % 100);
		memset(reid[r], (int)(i + (unsigned long)r), sizeof reid[r]);
		SPropValue *rv;
		if (FAILED(hr = MAPIAllocateBuffer(N_RPROPS * sizeof(SPropValue), (LPVOID *)&rv)))
			die_hr("MAPIAllocateBuffer", hr);
		rv[0] = (SPropValue){.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = rname[r]};
		rv[1] = (SPropValue){.ulPropTag = PR_EMAIL_ADDRESS_A, .Value.lpszA = remail[r]};
		rv[2] = (SPropValue){.ulPropTag = PR_ADDRTYPE_A, .Value.lpszA = (LPSTR) "SMTP"};
		rv[3] = (SPropValue){.ulPropTag = PR_RECIPIENT_TYPE, .Value.l = r ? MAPI_CC : MAPI_TO};
		rv[4] = (SPropValue){.ulPropTag = PR_SMTP_ADDRESS_A, .Value.lpszA = remail[r]};
		rv[5] = (SPropValue){.ulPropTag = PR_ENTRYID, .Value.bin = {sizeof reid[r], reid[r]}};
		al->aEntries[r] = (ADRENTRY){0, N_RPROPS, rv};
	}
	if (FAILED(hr = IMessage_ModifyRecipients(m, MODRECIP_ADD, al)))
		die_hr("ModifyRecipients", hr);
	FreePadrlist(al);

	if (i % 4 == 0) {
		static BYTE data[4096];
		char name[32];
		ULONG num;
		LPATTACH a = NULL;
		snprintf(name, sizeof name, "report-%lu.pdf", i);
		memset(data, (int)i, sizeof data);
		SPropValue av[] = {
		    {.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
		    {.ulPropTag = PR_ATTACH_LONG_FILENAME_A, .Value.lpszA = name},
		    {.ulPropTag = PR_ATTACH_FILENAME_A, .Value.lpszA = name},
		    {.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = name},
		    {.ulPropTag = PR_ATTACH_MIME_TAG_A, .Value.lpszA = (LPSTR) "application/pdf"},
		    {.ulPropTag = PR_RENDERING_POSITION, .Value.l = -1},
		    {.ulPropTag = PR_ATTACH_DATA_BIN, .Value.bin = {sizeof data, data}},
		};
		if (FAILED(hr = IMessage_CreateAttach(m, NULL, 0, &num, &a)) ||
		    FAILED(hr = IAttach_SetProps(a, sizeof av / sizeof av[0], av, NULL)) ||
		    FAILED(hr = IAttach_SaveChanges(a, 0)))
			die_hr("CreateAttach", hr);
		IAttach_Release(a);
	}
	if (FAILED(hr = IMessage_SaveChanges(m, 0)))
		die_hr("SaveChanges", hr);
	IMessage_Release(m);
}

static LPMAPIFOLDER open_inbox(LPMDB mdb, ULONG flags)
{
	ULONG cb = 0, type;
	LPENTRYID eid = NULL;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (FAILED(hr) || FAILED(hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, flags, &type, &unk)))
		die_hr("opening the Inbox", hr);
	MAPIFreeBuffer(eid);
	return (LPMAPIFOLDER)unk;
}

static LONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v = NULL;
	HRESULT hr = HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v);
	if (FAILED(hr))
		die_hr("PR_CONTENT_COUNT", hr);
	LONG n = v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

static void make_mailbox(const char *path, unsigned long n)
{
	LPMDB mdb = NULL;
	HRESULT hr = MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb);
	if (FAILED(hr))
		die_hr("MAPIXOpenLocalStore", hr);
	LPMAPIFOLDER inbox = open_inbox(mdb, MAPI_MODIFY);
	unsigned long have = (unsigned long)content_count(inbox);
	if (have != 0 && have != n) {
		fprintf(stderr, "bench_store_read: %s holds %lu messages, not %lu\n", path, have, n);
		exit(2);
	}
	for (unsigned long i = have; i < n; i++) {
		if (i % 1000 == 0 && FAILED(hr = MAPIXBeginStoreBatch(mdb)))
			die_hr("MAPIXBeginStoreBatch", hr);
		save_one(inbox, i);
		if ((i % 1000 == 999 || i == n - 1) && FAILED(hr = MAPIXCommitStoreBatch(mdb)))
			die_hr("MAPIXCommitStoreBatch", hr);
	}
	IMAPIFolder_Release(inbox);
	IMsgStore_Release(mdb);
}

/* ---- the store ----------------------------------------------------------------------------- */

static const SizedSPropTagArray(N_GET, get_tags) = {
    N_GET,
    {PR_SUBJECT_W, PR_MESSAGE_CLASS_W, PR_SENDER_NAME_W, PR_SENDER_EMAIL_ADDRESS_W, PR_SENDER_ADDRTYPE_W,
     PR_SENT_REPRESENTING_NAME_W, PR_SENT_REPRESENTING_EMAIL_ADDRESS_W, PR_CLIENT_SUBMIT_TIME,
     PR_MESSAGE_DELIVERY_TIME, PR_INTERNET_MESSAGE_ID_W, PR_IN_REPLY_TO_ID_W, PR_IMPORTANCE, PR_BODY_W,
     PR_MESSAGE_FLAGS, PR_HASATTACH}};
static const SizedSPropTagArray(5, recip_cols) = {
    5, {PR_RECIPIENT_TYPE, PR_DISPLAY_NAME_W, PR_ADDRTYPE_W, PR_EMAIL_ADDRESS_W, PR_SMTP_ADDRESS_W}};
static const SizedSPropTagArray(5, att_cols) = {
    5, {PR_ATTACH_NUM, PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME_W, PR_ATTACH_MIME_TAG_W, PR_ATTACH_SIZE}};

typedef struct store_times {
	double open, props, recips, atts, release;
	unsigned long values, rows;
} store_times;

static void read_table(LPMAPITABLE t, const SPropTagArray *cols, unsigned long *rows)
{
	LPSRowSet rs = NULL;
	HRESULT hr = IMAPITable_SetColumns(t, (LPSPropTagArray)cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_QueryRows(t, 50, 0, &rs);
	if (FAILED(hr))
		die_hr("QueryRows", hr);
	*rows += rs->cRows;
	FreeProws(rs);
	IMAPITable_Release(t);
}

static void store_read_one(LPMDB mdb, const SBinary *eid, store_times *t)
{
	ULONG type, n = 0;
	LPUNKNOWN unk = NULL;
	LPSPropValue v = NULL;
	LPMAPITABLE table = NULL;
	double t0 = now(), t1, t2, t3, t4;
	HRESULT hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, &unk);
	if (FAILED(hr))
		die_hr("OpenEntry", hr);
	LPMESSAGE m = (LPMESSAGE)unk;
	t1 = now();
	if (FAILED(hr = IMessage_GetProps(m, (LPSPropTagArray)&get_tags, MAPI_UNICODE, &n, &v)))
		die_hr("GetProps", hr);
	for (ULONG i = 0; i < n; i++)
		t->values += PROP_TYPE(v[i].ulPropTag) != PT_ERROR;
	MAPIFreeBuffer(v);
	t2 = now();
	if (FAILED(hr = IMessage_GetRecipientTable(m, MAPI_UNICODE, &table)))
		die_hr("GetRecipientTable", hr);
	read_table(table, (const SPropTagArray *)&recip_cols, &t->rows);
	t3 = now();
	if (FAILED(hr = IMessage_GetAttachmentTable(m, MAPI_UNICODE, &table)))
		die_hr("GetAttachmentTable", hr);
	read_table(table, (const SPropTagArray *)&att_cols, &t->rows);
	t4 = now();
	IMessage_Release(m);
	t->open += t1 - t0;
	t->props += t2 - t1;
	t->recips += t3 - t2;
	t->atts += t4 - t3;
	t->release += now() - t4;
}

/* The entry IDs of the Inbox's messages, in table order. */
static SBinary *list_entryids(LPMAPIFOLDER inbox, unsigned long n)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SBinary *out = calloc(n, sizeof *out);
	unsigned long got = 0;
	HRESULT hr = IMAPIFolder_GetContentsTable(inbox, 0, &t);
	if (FAILED(hr) || FAILED(hr = IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0)))
		die_hr("GetContentsTable", hr);
	for (;;) {
		if (FAILED(hr = IMAPITable_QueryRows(t, 1000, 0, &rows)))
			die_hr("QueryRows", hr);
		if (rows->cRows == 0)
			break;
		for (ULONG i = 0; i < rows->cRows && got < n; i++, got++) {
			const SBinary *b = &rows->aRow[i].lpProps[0].Value.bin;
			out[got].cb = b->cb;
			out[got].lpb = malloc(b->cb);
			memcpy(out[got].lpb, b->lpb, b->cb);
		}
		FreeProws(rows);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
	if (got != n) {
		fprintf(stderr, "bench_store_read: the Inbox lists %lu messages, not %lu\n", got, n);
		exit(2);
	}
	return out;
}

/* ---- raw SQLite ------------------------------------------------------------------------------- */

typedef struct raw {
	sqlite3 *db;
	sqlite3_stmt *msg, *props, *count, *recips, *atts;
	unsigned long values, rows;
	char scratch[65536];
	size_t used;
} raw;

static void raw_prepare(raw *r, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		die_sql(r->db, sql);
}

static void raw_open(raw *r, const char *path)
{
	memset(r, 0, sizeof *r);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die_sql(r->db, "open");
	/* The store's page cache size (local-db.c), so both read the same way. */
	if (sqlite3_exec(r->db, "PRAGMA cache_size = -16384", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(r->db, "cache_size");
	raw_prepare(r,
	            "SELECT fid, flags, size, change_number, created, modified, search_key FROM messages WHERE mid = ?1",
	            &r->msg);
	raw_prepare(r, "SELECT tag, value FROM props WHERE obj = ?1", &r->props);
	raw_prepare(r, "SELECT count(*) FROM attachments WHERE mid = ?1", &r->count);
	raw_prepare(r,
	            "SELECT r.row_num, p.tag, p.value FROM recipients r JOIN props p ON p.obj = r.rid"
	            " WHERE r.mid = ?1 ORDER BY r.row_num",
	            &r->recips);
	raw_prepare(r,
	            "SELECT a.num, p.tag, p.value FROM attachments a JOIN props p ON p.obj = a.aid"
	            " WHERE a.mid = ?1 ORDER BY a.num",
	            &r->atts);
}

static void raw_close(raw *r)
{
	sqlite3_finalize(r->msg);
	sqlite3_finalize(r->props);
	sqlite3_finalize(r->count);
	sqlite3_finalize(r->recips);
	sqlite3_finalize(r->atts);
	sqlite3_close(r->db);
}

/* Copies a value out, as a reader must before the statement moves on. */
static void raw_take(raw *r, sqlite3_stmt *st, int col, int max)
{
	int n = sqlite3_column_bytes(st, col);
	const void *p = sqlite3_column_blob(st, col);
	if (max && n > max)
		n = max;
	if (r->used + (size_t)n > sizeof r->scratch)
		r->used = 0;
	if (n)
		memcpy(r->scratch + r->used, p, (size_t)n);
	r->used += (size_t)n;
	r->values++;
}

static int wanted(ULONG tag)
{
	for (ULONG i = 0; i < N_GET; i++)
		if (PROP_ID(get_tags.aulPropTag[i]) == PROP_ID(tag))
			return 1;
	return 0;
}

static void raw_step_all(raw *r, sqlite3_stmt *st, sqlite3_int64 mid, int tag_col, int value_col, int max, int rows)
{
	int rc;
	sqlite3_int64 last = -1;
	sqlite3_bind_int64(st, 1, mid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (tag_col >= 0 && !wanted((ULONG)sqlite3_column_int64(st, tag_col)))
			continue;
		if (rows && sqlite3_column_int64(st, 0) != last) {
			last = sqlite3_column_int64(st, 0);
			r->rows++;
		}
		raw_take(r, st, value_col, max);
	}
	if (rc != SQLITE_DONE)
		die_sql(r->db, "step");
	sqlite3_reset(st);
}

static void raw_read_one(raw *r, sqlite3_int64 mid)
{
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(r->db, "BEGIN");
	raw_step_all(r, r->msg, mid, -1, 6, 0, 0);
	raw_step_all(r, r->props, mid, 0, 1, 0, 0);
	raw_step_all(r, r->count, mid, -1, 0, 0, 0);
	raw_step_all(r, r->recips, mid, -1, 2, 255, 1);
	raw_step_all(r, r->atts, mid, -1, 2, 255, 1);
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die_sql(r->db, "COMMIT");
}

static sqlite3_int64 *raw_list(raw *r, unsigned long n)
{
	sqlite3_stmt *st;
	sqlite3_int64 *mids = calloc(n, sizeof *mids);
	unsigned long got = 0;
	raw_prepare(r, "SELECT mid FROM messages WHERE fid = 3 AND associated = 0 ORDER BY mid", &st);
	while (sqlite3_step(st) == SQLITE_ROW && got < n)
		mids[got++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (got != n) {
		fprintf(stderr, "bench_store_read: raw listing found %lu messages, not %lu\n", got, n);
		exit(2);
	}
	return mids;
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	unsigned long n = arg_n(argc, argv);
	const char *keep = getenv("MAPIX_BENCH_MAILBOX");
	char path[4200], dir[4096] = "";
	HRESULT hr;

	if (keep) {
		snprintf(path, sizeof path, "%s", keep);
	} else {
		const char *base = getenv("MAPIX_BENCH_DIR") ? getenv("MAPIX_BENCH_DIR") : getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/mapix-bench-read-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 2;
		}
		snprintf(path, sizeof path, "%s/store.db", dir);
	}
	if (FAILED(hr = MAPIInitialize(NULL)))
		die_hr("MAPIInitialize", hr);
	printf("bench_store_read: N=%lu messages (22 properties, 2 recipients, 1 in 4 with an attachment), SQLite %s\n", n,
	       sqlite3_libversion());
	fflush(stdout);
	double t0 = now();
	make_mailbox(path, n);
	printf("  mailbox ready in %.2f s: %s\n", now() - t0, path);
	fflush(stdout);

	LPMDB mdb = NULL;
	if (FAILED(hr = MAPIXOpenLocalStore(path, 0, &mdb)))
		die_hr("MAPIXOpenLocalStore", hr);
	LPMAPIFOLDER inbox = open_inbox(mdb, 0);
	SBinary *eids = list_entryids(inbox, n);
	IMAPIFolder_Release(inbox);
	raw r;
	raw_open(&r, path);
	sqlite3_int64 *mids = raw_list(&r, n);

	/* Warm both connections' page caches on the first slice. */
	store_times st = {0};
	unsigned long warm = n < SLICE ? n : SLICE;
	for (unsigned long i = 0; i < warm; i++) {
		store_read_one(mdb, &eids[i], &st);
		raw_read_one(&r, mids[i]);
	}
	memset(&st, 0, sizeof st);
	r.values = r.rows = 0;

	double store_s = 0, raw_s = 0;
	for (unsigned long from = 0; from < n; from += SLICE) {
		unsigned long to = from + SLICE < n ? from + SLICE : n;
		double a = now();
		for (unsigned long i = from; i < to; i++)
			store_read_one(mdb, &eids[i], &st);
		double b = now();
		for (unsigned long i = from; i < to; i++)
			raw_read_one(&r, mids[i]);
		double c = now();
		store_s += b - a;
		raw_s += c - b;
	}
	if (st.rows != r.rows) {
		fprintf(stderr, "bench_store_read: the store read %lu table rows, raw SQLite %lu\n", st.rows, r.rows);
		return 2;
	}

	printf("  store: %10.0f msg/s  (%.3f s, %.1f us/msg)\n", n / store_s, store_s, store_s * 1e6 / n);
	printf("    OpenEntry %.1f us, GetProps(%d tags) %.1f us, recipient table %.1f us, attachment table %.1f us,"
	       " Release %.1f us\n",
	       st.open * 1e6 / n, N_GET, st.props * 1e6 / n, st.recips * 1e6 / n, st.atts * 1e6 / n,
	       st.release * 1e6 / n);
	printf("  raw:   %10.0f msg/s  (%.3f s, %.1f us/msg)\n", n / raw_s, raw_s, raw_s * 1e6 / n);
	printf("  ratio store/raw time: %.2f\n", store_s / raw_s);

	raw_close(&r);
	free(mids);
	for (unsigned long i = 0; i < n; i++)
		free(eids[i].lpb);
	free(eids);
	IMsgStore_Release(mdb);
	MAPIUninitialize();
	if (!keep) {
		char side[4300];
		unlink(path);
		snprintf(side, sizeof side, "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof side, "%s-shm", path);
		unlink(side);
		rmdir(dir);
	}
	return 0;
}
