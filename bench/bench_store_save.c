/*
 * bench_store_save.c — how fast the local store saves small messages,
 * against raw SQLite inserts of the same rows measured in the same run.
 *
 * Store: N messages (10 properties, one recipient with 4 properties), each
 * CreateMessage + SetProps + ModifyRecipients + SaveChanges, in the Inbox
 * of a new mailbox. Baseline: the same rows (a messages row, 10 props
 * rows, a recipients row and its 4 props rows) inserted with plain SQLite
 * into a database with the same layout and the same settings
 * (journal_mode=WAL, synchronous=FULL), one transaction per message. The
 * target (issue 4) is store/raw >= 1/3.
 *
 * Importers save many messages per transaction: the batch part saves the
 * same messages between MAPIXBeginStoreBatch and MAPIXCommitStoreBatch,
 * MAPIX_BENCH_BATCH messages per batch (default 1000), against raw SQLite
 * batched the same way. The target there is >= 1/2.
 *
 * Usage: bench_store_save [N]   (or MAPIX_BENCH_N; default 100000).
 * MAPIX_BENCH_DIR picks the directory (default $TMPDIR or /tmp): use the
 * disk you care about, since synchronous=FULL makes every commit an fsync.
 * MAPIX_BENCH_ONLY=single or =batch runs one of the two parts (the
 * single-message part takes minutes at N=100,000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#define N_PROPS 10
#define N_RPROPS 4
/* Store saves and raw inserts alternate in slices of this many messages. */
#define SLICE 500

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die_hr(const char *what, HRESULT hr)
{
	fprintf(stderr, "bench_store_save: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
	exit(2);
}

static void die_sql(sqlite3 *db, const char *what)
{
	fprintf(stderr, "bench_store_save: %s: %s\n", what, sqlite3_errmsg(db));
	exit(2);
}

static unsigned long arg_n(int argc, char **argv, const char *env, unsigned long dflt)
{
	const char *s = argc > 1 ? argv[1] : getenv(env);
	unsigned long n = s ? strtoul(s, NULL, 10) : dflt;
	return n ? n : dflt;
}

static char *make_dir(void)
{
	const char *base = getenv("MAPIX_BENCH_DIR");
	if (!base)
		base = getenv("TMPDIR");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/mapix-bench-save-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		exit(2);
	}
	return path;
}

static void remove_db(const char *path)
{
	char side[4200];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* ---- the message ------------------------------------------------------------------------ */

typedef struct msg {
	char subject[64], body[256], sender[64], sender_email[64], msgid[64];
	char rname[64], remail[64];
	SPropValue pv[N_PROPS];
	SPropValue rv[N_RPROPS];
} msg;

static void make_msg(unsigned long i, msg *m)
{
	snprintf(m->subject, sizeof m->subject, "Bench message %lu", i);
	snprintf(m->body, sizeof m->body,
	         "Hello,\r\n\r\nthis is message %lu of the save benchmark. It has a short plain text body, "
	         "as most mail has, and nothing else.\r\n\r\nRegards\r\n",
	         i);
	snprintf(m->sender, sizeof m->sender, "Sender %lu", i % 1000);
	snprintf(m->sender_email, sizeof m->sender_email, "sender%lu@example.com", i % 1000);
	snprintf(m->msgid, sizeof m->msgid, "<%lu.bench@example.com>", i);
	snprintf(m->rname, sizeof m->rname, "Recipient %lu", i % 100);
	snprintf(m->remail, sizeof m->remail, "rcpt%lu@example.com", i % 100);
	FILETIME ft = {.dwLowDateTime = (DWORD)(i * 10000000u), .dwHighDateTime = 0x01DA0000u};
	SPropValue *p = m->pv;
	p[0] = (SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = m->subject};
	p[1] = (SPropValue){.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"};
	p[2] = (SPropValue){.ulPropTag = PR_BODY_A, .Value.lpszA = m->body};
	p[3] = (SPropValue){.ulPropTag = PR_IMPORTANCE, .Value.l = 1};
	p[4] = (SPropValue){.ulPropTag = PR_SENDER_NAME_A, .Value.lpszA = m->sender};
	p[5] = (SPropValue){.ulPropTag = PR_SENDER_EMAIL_ADDRESS_A, .Value.lpszA = m->sender_email};
	p[6] = (SPropValue){.ulPropTag = PR_CLIENT_SUBMIT_TIME, .Value.ft = ft};
	p[7] = (SPropValue){.ulPropTag = PR_MESSAGE_DELIVERY_TIME, .Value.ft = ft};
	p[8] = (SPropValue){.ulPropTag = PR_INTERNET_MESSAGE_ID_A, .Value.lpszA = m->msgid};
	p[9] = (SPropValue){.ulPropTag = PR_SENSITIVITY, .Value.l = 0};
	SPropValue *r = m->rv;
	r[0] = (SPropValue){.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = m->rname};
	r[1] = (SPropValue){.ulPropTag = PR_EMAIL_ADDRESS_A, .Value.lpszA = m->remail};
	r[2] = (SPropValue){.ulPropTag = PR_ADDRTYPE_A, .Value.lpszA = (LPSTR) "SMTP"};
	r[3] = (SPropValue){.ulPropTag = PR_RECIPIENT_TYPE, .Value.l = MAPI_TO};
}

/* ---- the store ------------------------------------------------------------------------------ */

static void store_save_one(LPMAPIFOLDER inbox, unsigned long i)
{
	msg m;
	LPMESSAGE lpMsg = NULL;
	LPADRLIST al = NULL;
	HRESULT hr;
	make_msg(i, &m);
	if (FAILED(hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &lpMsg)))
		die_hr("CreateMessage", hr);
	if (FAILED(hr = IMessage_SetProps(lpMsg, N_PROPS, m.pv, NULL)))
		die_hr("SetProps", hr);
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewADRLIST(1), (LPVOID *)&al)))
		die_hr("MAPIAllocateBuffer", hr);
	al->cEntries = 1;
	al->aEntries[0].ulReserved1 = 0;
	al->aEntries[0].cValues = N_RPROPS;
	if (FAILED(hr = MAPIAllocateBuffer(sizeof m.rv, (LPVOID *)&al->aEntries[0].rgPropVals)))
		die_hr("MAPIAllocateBuffer", hr);
	memcpy(al->aEntries[0].rgPropVals, m.rv, sizeof m.rv);
	if (FAILED(hr = IMessage_ModifyRecipients(lpMsg, MODRECIP_ADD, al)))
		die_hr("ModifyRecipients", hr);
	FreePadrlist(al);
	if (FAILED(hr = IMessage_SaveChanges(lpMsg, 0)))
		die_hr("SaveChanges", hr);
	IMessage_Release(lpMsg);
}

static LPMAPIFOLDER open_folder(LPMDB mdb, ULONG cb, LPENTRYID eid)
{
	ULONG type;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, &unk);
	if (FAILED(hr))
		die_hr("OpenEntry", hr);
	return (LPMAPIFOLDER)unk;
}

typedef struct store_ctx {
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} store_ctx;

static void store_open(store_ctx *c, const char *path)
{
	ULONG cb = 0;
	LPENTRYID eid = NULL;
	HRESULT hr = MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &c->mdb);
	if (FAILED(hr))
		die_hr("MAPIXOpenLocalStore", hr);
	if (FAILED(hr = IMsgStore_GetReceiveFolder(c->mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL)))
		die_hr("GetReceiveFolder", hr);
	c->inbox = open_folder(c->mdb, cb, eid);
	MAPIFreeBuffer(eid);
}

static void store_close(store_ctx *c)
{
	IMAPIFolder_Release(c->inbox);
	IMsgStore_Release(c->mdb);
}

/* ---- raw SQLite -------------------------------------------------------------------------- */

/* The store's layout (src/providers/local/local-schema.c), reduced to what
 * a message with recipients touches. */
static const char RAW_SCHEMA[] =
    "CREATE TABLE messages(mid INTEGER PRIMARY KEY, fid INTEGER, parent_aid INTEGER,"
    " associated INTEGER NOT NULL DEFAULT 0, flags INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
    " change_number INTEGER NOT NULL, created INTEGER NOT NULL, modified INTEGER NOT NULL, search_key BLOB);"
    "CREATE INDEX messages_by_folder ON messages(fid, associated, mid);"
    "CREATE TABLE recipients(rid INTEGER PRIMARY KEY, mid INTEGER NOT NULL, row_num INTEGER NOT NULL);"
    "CREATE INDEX recipients_by_message ON recipients(mid, row_num);"
    "CREATE TABLE props(obj INTEGER NOT NULL, tag INTEGER NOT NULL, value, size INTEGER NOT NULL,"
    " PRIMARY KEY(obj, tag)) WITHOUT ROWID;";

typedef struct raw {
	sqlite3 *db;
	sqlite3_stmt *msg, *rcpt, *prop;
	unsigned long next_id;
} raw;

static void raw_open(raw *r, const char *path)
{
	memset(r, 0, sizeof *r);
	if (sqlite3_open(path, &r->db) != SQLITE_OK)
		die_sql(r->db, "open");
	if (sqlite3_exec(r->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, RAW_SCHEMA, NULL, NULL, NULL) != SQLITE_OK)
		die_sql(r->db, "schema");
	if (sqlite3_prepare_v2(r->db,
	                       "INSERT INTO messages(mid, fid, flags, size, change_number, created, modified, search_key)"
	                       " VALUES (?1, 3, 0, ?2, ?3, ?4, ?4, ?5)",
	                       -1, &r->msg, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "INSERT INTO recipients(rid, mid, row_num) VALUES (?1, ?2, 0)", -1, &r->rcpt, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "INSERT INTO props(obj, tag, value, size) VALUES (?1, ?2, ?3, ?4)", -1, &r->prop,
	                       NULL) != SQLITE_OK)
		die_sql(r->db, "prepare");
	r->next_id = 100;
}

static void raw_step(raw *r, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die_sql(r->db, "insert");
	sqlite3_reset(st);
}

static void raw_prop(raw *r, unsigned long obj, const SPropValue *v)
{
	ULONG tag = v->ulPropTag;
	sqlite3_bind_int64(r->prop, 1, (sqlite3_int64)obj);
	switch (PROP_TYPE(tag)) {
	case PT_STRING8: /* stored as UTF-8 text under the PT_UNICODE tag, like the store */
		sqlite3_bind_int64(r->prop, 2, CHANGE_PROP_TYPE(tag, PT_UNICODE));
		sqlite3_bind_text(r->prop, 3, v->Value.lpszA, -1, SQLITE_STATIC);
		sqlite3_bind_int64(r->prop, 4, (sqlite3_int64)strlen(v->Value.lpszA));
		break;
	case PT_SYSTIME:
		sqlite3_bind_int64(r->prop, 2, tag);
		sqlite3_bind_int64(r->prop, 3,
		                   (sqlite3_int64)((uint64_t)v->Value.ft.dwHighDateTime << 32 | v->Value.ft.dwLowDateTime));
		sqlite3_bind_int64(r->prop, 4, 8);
		break;
	default:
		sqlite3_bind_int64(r->prop, 2, tag);
		sqlite3_bind_int64(r->prop, 3, v->Value.l);
		sqlite3_bind_int64(r->prop, 4, 4);
		break;
	}
	raw_step(r, r->prop);
}

static void raw_insert_one(raw *r, unsigned long i)
{
	msg m;
	unsigned char search_key[16];
	make_msg(i, &m);
	for (int k = 0; k < 16; k++)
		search_key[k] = (unsigned char)(i * 131 + (unsigned long)k * 17);
	unsigned long mid = r->next_id++, rid = r->next_id++, cn = r->next_id++;
	sqlite3_bind_int64(r->msg, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(r->msg, 2, 400);
	sqlite3_bind_int64(r->msg, 3, (sqlite3_int64)cn);
	sqlite3_bind_int64(r->msg, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_blob(r->msg, 5, search_key, sizeof search_key, SQLITE_STATIC);
	raw_step(r, r->msg);
	for (int k = 0; k < N_PROPS; k++)
		raw_prop(r, mid, &m.pv[k]);
	sqlite3_bind_int64(r->rcpt, 1, (sqlite3_int64)rid);
	sqlite3_bind_int64(r->rcpt, 2, (sqlite3_int64)mid);
	raw_step(r, r->rcpt);
	for (int k = 0; k < N_RPROPS; k++)
		raw_prop(r, rid, &m.rv[k]);
}

static void raw_exec(raw *r, const char *sql)
{
	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die_sql(r->db, sql);
}

static void raw_close(raw *r)
{
	sqlite3_finalize(r->msg);
	sqlite3_finalize(r->rcpt);
	sqlite3_finalize(r->prop);
	sqlite3_close(r->db);
}

/* Inserts messages [from, to) in transactions of `batch` messages. */
static double raw_run(raw *r, unsigned long from, unsigned long to, unsigned long batch)
{
	double t0 = now();
	for (unsigned long i = from; i < to; i++) {
		if ((i - from) % batch == 0)
			raw_exec(r, "BEGIN IMMEDIATE");
		raw_insert_one(r, i);
		if ((i - from) % batch == batch - 1 || i == to - 1)
			raw_exec(r, "COMMIT");
	}
	return now() - t0;
}

/* Saves messages [from, to) in store batches of `batch` messages. */
static double store_batch_run(store_ctx *c, unsigned long from, unsigned long to, unsigned long batch)
{
	double t0 = now();
	HRESULT hr;
	for (unsigned long i = from; i < to; i++) {
		if ((i - from) % batch == 0 && FAILED(hr = MAPIXBeginStoreBatch(c->mdb)))
			die_hr("MAPIXBeginStoreBatch", hr);
		store_save_one(c->inbox, i);
		if (((i - from) % batch == batch - 1 || i == to - 1) && FAILED(hr = MAPIXCommitStoreBatch(c->mdb)))
			die_hr("MAPIXCommitStoreBatch", hr);
	}
	return now() - t0;
}

static double store_run(store_ctx *c, unsigned long from, unsigned long to)
{
	double t0 = now();
	for (unsigned long i = from; i < to; i++)
		store_save_one(c->inbox, i);
	return now() - t0;
}

int main(int argc, char **argv)
{
	unsigned long n = arg_n(argc, argv, "MAPIX_BENCH_N", 100000);
	const char *b = getenv("MAPIX_BENCH_BATCH");
	unsigned long batch = b && strtoul(b, NULL, 10) ? strtoul(b, NULL, 10) : 1000;
	char *dir = make_dir();
	char store_path[4200], raw_path[4200], batch_path[4200], store_batch_path[4200];
	snprintf(store_path, sizeof store_path, "%s/store.db", dir);
	snprintf(raw_path, sizeof raw_path, "%s/raw.db", dir);
	snprintf(batch_path, sizeof batch_path, "%s/raw-batch.db", dir);
	snprintf(store_batch_path, sizeof store_batch_path, "%s/store-batch.db", dir);

	printf("bench_store_save: N=%lu messages (10 properties, 1 recipient), SQLite %s, in %s\n", n, sqlite3_libversion(),
	       dir);
	fflush(stdout);
	const char *only = getenv("MAPIX_BENCH_ONLY");
	BOOL do_single = !only || !strcmp(only, "single"), do_batch = !only || !strcmp(only, "batch");
	if (!do_single && !do_batch) {
		fprintf(stderr, "bench_store_save: MAPIX_BENCH_ONLY is 'single' or 'batch'\n");
		return 2;
	}
	if (do_single) {
		/* Store and raw inserts alternate in slices, so both see the same
		 * disk (its speed drifts over a long run). */
		store_ctx sc;
		raw r;
		double store_s = 0, raw_s = 0;
		store_open(&sc, store_path);
		raw_open(&r, raw_path);
		for (unsigned long from = 0; from < n; from += SLICE) {
			unsigned long to = from + SLICE < n ? from + SLICE : n;
			store_s += store_run(&sc, from, to);
			raw_s += raw_run(&r, from, to, 1);
		}
		store_close(&sc);
		raw_close(&r);
		double store_rate = n / store_s, raw_rate = n / raw_s, ratio = store_rate / raw_rate;
		printf("  store SaveChanges, 1 message/transaction : %10.0f msg/s  (%.2f s)\n", store_rate, store_s);
		printf("  raw SQLite,        1 message/transaction : %10.0f msg/s  (%.2f s)\n", raw_rate, raw_s);
		printf("  ratio store/raw                           : %10.3f       (target >= 0.333: %s)\n", ratio,
		       ratio >= 1.0 / 3 ? "met" : "NOT met");
		fflush(stdout);
	}
	if (do_batch) {
		store_ctx sb;
		raw rb;
		double store_batch_s = 0, raw_batch_s = 0;
		store_open(&sb, store_batch_path);
		raw_open(&rb, batch_path);
		for (unsigned long from = 0; from < n; from += batch * 10) {
			unsigned long to = from + batch * 10 < n ? from + batch * 10 : n;
			store_batch_s += store_batch_run(&sb, from, to, batch);
			raw_batch_s += raw_run(&rb, from, to, batch);
		}
		store_close(&sb);
		raw_close(&rb);
		double batch_rate = n / raw_batch_s, store_batch_rate = n / store_batch_s;
		double batch_ratio = store_batch_rate / batch_rate;
		printf("  raw SQLite, %5lu messages/transaction    : %10.0f msg/s  (%.2f s)\n", batch, batch_rate,
		       raw_batch_s);
		printf("  store batch, %5lu messages/transaction   : %10.0f msg/s  (%.2f s)\n", batch, store_batch_rate,
		       store_batch_s);
		printf("  ratio store batch/raw batched             : %10.3f       (target >= 0.5: %s)\n", batch_ratio,
		       batch_ratio >= 0.5 ? "met" : "NOT met");
	}
	remove_db(store_path);
	remove_db(raw_path);
	remove_db(batch_path);
	remove_db(store_batch_path);
	rmdir(dir);
	free(dir);
	return 0;
}
