/*
 * test_store_kill.c — durability of SaveChanges under SIGKILL. A writer
 * process saves messages (a subject with its sequence number, a dozen
 * properties, one recipient, an attachment on every third) and reports
 * each sequence number on a pipe right after SaveChanges returned S_OK.
 * The parent kills it at a random moment, then checks the mailbox file:
 * SQLite's integrity_check passes, every acknowledged message is there and
 * complete, and anything else that made it in (the save in flight when the
 * writer died) is complete too — never half a message.
 *
 * About 50 rounds by default (times MAPIX_STRESS); the seed is printed and
 * MAPIX_TEST_SEED repeats a run's delays.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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

#define SUBJECT_FMT "kill test message %u"
#define ROUND_SEQ 100000u      /* sequence numbers of round r start at r * ROUND_SEQ */
#define MAX_DELAY_US 80000     /* the writer is killed within this time */
#define TIME_GUARD_S 60        /* stop early (with a message) past this, times MAPIX_STRESS */
#define WRITER_FAILED 0xFFFFFFFFu

/* ---- what a message with sequence number seq contains ------------------------------------- */

#define N_PROPS 12
#define PR_KILL_I8 PROP_TAG(PT_I8, 0x6810)
#define PR_KILL_BIN PROP_TAG(PT_BINARY, 0x6811)

typedef struct expected {
	char subject[64], body[600], sender[64], sender_email[64], msgid[64];
	BYTE bin[16];
	SPropValue pv[N_PROPS];
	char rcpt_name[64], rcpt_email[64];
	BYTE *attach; /* NULL: no attachment */
	ULONG attach_size;
	char attach_name[64];
} expected;

static void make_expected(uint32_t seq, expected *e)
{
	memset(e, 0, sizeof *e);
	snprintf(e->subject, sizeof e->subject, SUBJECT_FMT, seq);
	size_t body_len = 100 + seq % 400;
	for (size_t i = 0; i < body_len; i++)
		e->body[i] = (char)('A' + (seq + i) % 26);
	snprintf(e->sender, sizeof e->sender, "Sender %u", seq);
	snprintf(e->sender_email, sizeof e->sender_email, "sender%u@example.com", seq);
	snprintf(e->msgid, sizeof e->msgid, "<%u@kill.test>", seq);
	for (int i = 0; i < 16; i++)
		e->bin[i] = (BYTE)(seq >> (i % 4 * 8)) ^ (BYTE)i;
	FILETIME ft = {.dwLowDateTime = seq * 10000u, .dwHighDateTime = 0x01D00000u};
	SPropValue *p = e->pv;
	p[0] = (SPropValue){.ulPropTag = PR_SUBJECT_A, .Value.lpszA = e->subject};
	p[1] = (SPropValue){.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = (LPSTR) "IPM.Note"};
	p[2] = (SPropValue){.ulPropTag = PR_BODY_A, .Value.lpszA = e->body};
	p[3] = (SPropValue){.ulPropTag = PR_IMPORTANCE, .Value.l = (LONG)(seq % 3)};
	p[4] = (SPropValue){.ulPropTag = PR_SENDER_NAME_A, .Value.lpszA = e->sender};
	p[5] = (SPropValue){.ulPropTag = PR_SENDER_EMAIL_ADDRESS_A, .Value.lpszA = e->sender_email};
	p[6] = (SPropValue){.ulPropTag = PR_CLIENT_SUBMIT_TIME, .Value.ft = ft};
	p[7] = (SPropValue){.ulPropTag = PR_MESSAGE_DELIVERY_TIME, .Value.ft = ft};
	p[8] = (SPropValue){.ulPropTag = PR_INTERNET_MESSAGE_ID_A, .Value.lpszA = e->msgid};
	p[9] = (SPropValue){.ulPropTag = PR_SENSITIVITY, .Value.l = (LONG)(seq % 4)};
	p[10] = (SPropValue){.ulPropTag = PR_KILL_I8, .Value.li.QuadPart = (LONGLONG)seq * 1000003};
	p[11] = (SPropValue){.ulPropTag = PR_KILL_BIN, .Value.bin = {16, e->bin}};
	snprintf(e->rcpt_name, sizeof e->rcpt_name, "Recipient %u", seq);
	snprintf(e->rcpt_email, sizeof e->rcpt_email, "rcpt%u@example.com", seq);
	if (seq % 3 == 0) {
		e->attach_size = 500 + (seq * 37) % 4000;
		e->attach = malloc(e->attach_size);
		for (ULONG i = 0; i < e->attach_size; i++)
			e->attach[i] = (BYTE)(seq * 31 + i * 7);
		snprintf(e->attach_name, sizeof e->attach_name, "file%u.bin", seq);
	}
}

static void free_expected(expected *e)
{
	free(e->attach);
	e->attach = NULL;
}

/* ---- the writer (child process) ------------------------------------------------------------- */

static HRESULT write_one(LPMAPIFOLDER inbox, uint32_t seq)
{
	expected e;
	LPMESSAGE m = NULL;
	LPATTACH att = NULL;
	LPADRLIST al = NULL;
	HRESULT hr;

	make_expected(seq, &e);
	if (FAILED(hr = IMAPIFolder_CreateMessage(inbox, NULL, 0, &m)))
		goto out;
	if (FAILED(hr = IMessage_SetProps(m, N_PROPS, e.pv, NULL)))
		goto out;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewADRLIST(1), (LPVOID *)&al)))
		goto out;
	al->cEntries = 1;
	al->aEntries[0].ulReserved1 = 0;
	al->aEntries[0].cValues = 4;
	if (FAILED(hr = MAPIAllocateBuffer(4 * sizeof(SPropValue), (LPVOID *)&al->aEntries[0].rgPropVals))) {
		al->aEntries[0].cValues = 0;
		goto out;
	}
	SPropValue *r = al->aEntries[0].rgPropVals;
	r[0] = (SPropValue){.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = e.rcpt_name};
	r[1] = (SPropValue){.ulPropTag = PR_EMAIL_ADDRESS_A, .Value.lpszA = e.rcpt_email};
	r[2] = (SPropValue){.ulPropTag = PR_ADDRTYPE_A, .Value.lpszA = (LPSTR) "SMTP"};
	r[3] = (SPropValue){.ulPropTag = PR_RECIPIENT_TYPE, .Value.l = MAPI_TO};
	if (FAILED(hr = IMessage_ModifyRecipients(m, MODRECIP_ADD, al)))
		goto out;
	if (e.attach) {
		ULONG num = 0;
		SPropValue ap[3] = {{.ulPropTag = PR_ATTACH_METHOD, .Value.l = ATTACH_BY_VALUE},
		                    {.ulPropTag = PR_ATTACH_FILENAME_A, .Value.lpszA = e.attach_name},
		                    {.ulPropTag = PR_ATTACH_DATA_BIN, .Value.bin = {e.attach_size, e.attach}}};
		if (FAILED(hr = IMessage_CreateAttach(m, NULL, 0, &num, &att)) ||
		    FAILED(hr = IAttach_SetProps(att, 3, ap, NULL)) || FAILED(hr = IAttach_SaveChanges(att, 0)))
			goto out;
	}
	hr = IMessage_SaveChanges(m, 0);
out:
	if (al)
		FreePadrlist(al);
	if (att)
		IAttach_Release(att);
	if (m)
		IMessage_Release(m);
	free_expected(&e);
	return hr;
}

static void report(int fd, uint32_t a, uint32_t b)
{
	uint32_t rec[2] = {a, b};
	while (write(fd, rec, sizeof rec) < 0 && errno == EINTR)
		;
}

static LPMAPIFOLDER open_inbox(LPMDB mdb, ULONG flags, HRESULT *phr)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPUNKNOWN unk = NULL;
	HRESULT hr = IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr))
		hr = IMsgStore_OpenEntry(mdb, cb, eid, NULL, flags, &type, &unk);
	if (eid)
		MAPIFreeBuffer(eid);
	*phr = hr;
	return SUCCEEDED(hr) ? (LPMAPIFOLDER)unk : NULL;
}

/* Runs in the child until killed: saves message after message. */
static void writer(const char *path, uint32_t first_seq, int fd)
{
	LPMDB mdb = NULL;
	HRESULT hr = store_hook_open(path, MDB_WRITE, &mdb);
	LPMAPIFOLDER inbox = SUCCEEDED(hr) ? open_inbox(mdb, MAPI_MODIFY, &hr) : NULL;
	for (uint32_t seq = first_seq; SUCCEEDED(hr); seq++) {
		if (SUCCEEDED(hr = write_one(inbox, seq)))
			report(fd, seq, 0);
	}
	report(fd, WRITER_FAILED, (uint32_t)hr);
	_exit(3);
}

/* ---- checking ------------------------------------------------------------------------------ */

static void integrity_ok(const char *path, unsigned round)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("round %u: sqlite3 cannot open the mailbox: %s", round, sqlite3_errmsg(db));
	/* The schema's indexes use mapix's collations; integrity_check needs them. */
	assert_int_equal(mapix_collation_register_sqlite(db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		fail_msg("round %u: integrity_check: %s", round, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("round %u: integrity_check: %s", round, sqlite3_errmsg(db));
	const char *res = (const char *)sqlite3_column_text(st, 0);
	if (strcmp(res, "ok") != 0)
		fail_msg("round %u: integrity_check: %s", round, res);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static BOOL prop_equal(const SPropValue *want, const SPropValue *got)
{
	if (got->ulPropTag != want->ulPropTag)
		return FALSE;
	switch (PROP_TYPE(want->ulPropTag)) {
	case PT_STRING8:
		return strcmp(want->Value.lpszA, got->Value.lpszA) == 0;
	case PT_LONG:
		return want->Value.l == got->Value.l;
	case PT_I8:
		return want->Value.li.QuadPart == got->Value.li.QuadPart;
	case PT_SYSTIME:
		return want->Value.ft.dwLowDateTime == got->Value.ft.dwLowDateTime &&
		       want->Value.ft.dwHighDateTime == got->Value.ft.dwHighDateTime;
	case PT_BINARY:
		return want->Value.bin.cb == got->Value.bin.cb &&
		       memcmp(want->Value.bin.lpb, got->Value.bin.lpb, want->Value.bin.cb) == 0;
	}
	return FALSE;
}

static LPSRowSet all_rows(LPMAPITABLE t, const SPropTagArray *cols)
{
	LPSRowSet rows = NULL;
	assert_ok(HrQueryAllRows(t, (LPSPropTagArray)cols, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	return rows;
}

/* Checks that the saved message seq is complete. */
static void check_message(LPMDB mdb, const SBinary *eid, uint32_t seq, unsigned round)
{
	expected e;
	ULONG type = 0, n = 0;
	LPMESSAGE m = NULL;
	LPSPropValue got = NULL;
	LPMAPITABLE t = NULL;

	make_expected(seq, &e);
	assert_ok(IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&m));
	SizedSPropTagArray(N_PROPS, tags);
	tags.cValues = N_PROPS;
	for (int i = 0; i < N_PROPS; i++)
		tags.aulPropTag[i] = e.pv[i].ulPropTag;
	HRESULT hr = IMessage_GetProps(m, (LPSPropTagArray)&tags, 0, &n, &got);
	if (FAILED(hr))
		fail_msg("round %u: message %u: GetProps 0x%08X (%s)", round, seq, (unsigned)hr, MAPIXGetLastErrorText());
	for (int i = 0; i < N_PROPS; i++)
		if (!prop_equal(&e.pv[i], &got[i]))
			fail_msg("round %u: message %u: property 0x%08X is missing or wrong (got tag 0x%08X)", round, seq,
			         (unsigned)e.pv[i].ulPropTag, (unsigned)got[i].ulPropTag);
	MAPIFreeBuffer(got);

	/* The recipient. */
	static const SizedSPropTagArray(4, rcols) = {
		4, {PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A, PR_ADDRTYPE_A, PR_RECIPIENT_TYPE}};
	assert_ok(IMessage_GetRecipientTable(m, 0, &t));
	LPSRowSet rows = all_rows(t, (const SPropTagArray *)&rcols);
	if (rows->cRows != 1)
		fail_msg("round %u: message %u has %u recipients", round, seq, (unsigned)rows->cRows);
	LPSPropValue r = rows->aRow[0].lpProps;
	if (PROP_TYPE(r[0].ulPropTag) != PT_STRING8 || strcmp(r[0].Value.lpszA, e.rcpt_name) != 0 ||
	    PROP_TYPE(r[1].ulPropTag) != PT_STRING8 || strcmp(r[1].Value.lpszA, e.rcpt_email) != 0 ||
	    PROP_TYPE(r[2].ulPropTag) != PT_STRING8 || strcmp(r[2].Value.lpszA, "SMTP") != 0 ||
	    r[3].ulPropTag != PR_RECIPIENT_TYPE || r[3].Value.l != MAPI_TO)
		fail_msg("round %u: message %u: the recipient is incomplete", round, seq);
	FreeProws(rows);

	/* The attachment. */
	static const SizedSPropTagArray(1, acols) = {1, {PR_ATTACH_NUM}};
	assert_ok(IMessage_GetAttachmentTable(m, 0, &t));
	rows = all_rows(t, (const SPropTagArray *)&acols);
	if (rows->cRows != (e.attach ? 1u : 0u))
		fail_msg("round %u: message %u has %u attachments, expected %u", round, seq, (unsigned)rows->cRows,
		         e.attach ? 1u : 0u);
	if (e.attach) {
		LPATTACH a = NULL;
		LPSPropValue v = NULL;
		assert_int_equal(rows->aRow[0].lpProps[0].ulPropTag, PR_ATTACH_NUM);
		assert_ok(IMessage_OpenAttach(m, (ULONG)rows->aRow[0].lpProps[0].Value.l, NULL, 0, &a));
		assert_ok(HrGetOneProp((LPMAPIPROP)a, PR_ATTACH_DATA_BIN, &v));
		if (v->Value.bin.cb != e.attach_size || memcmp(v->Value.bin.lpb, e.attach, e.attach_size) != 0)
			fail_msg("round %u: message %u: the attachment data differ", round, seq);
		MAPIFreeBuffer(v);
		assert_ok(HrGetOneProp((LPMAPIPROP)a, PR_ATTACH_FILENAME_A, &v));
		assert_string_equal(v->Value.lpszA, e.attach_name);
		MAPIFreeBuffer(v);
		IAttach_Release(a);
	}
	FreeProws(rows);
	IMessage_Release(m);
	free_expected(&e);
}

/* A growable set of sequence numbers (sorted on demand). */
typedef struct seqset {
	uint32_t *v;
	size_t n, cap;
} seqset;

static void seqset_add(seqset *s, uint32_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		assert_non_null(s->v);
	}
	s->v[s->n++] = x;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void seqset_sort(seqset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_u32);
}

static BOOL seqset_has(const seqset *s, uint32_t x)
{
	return s->n && bsearch(&x, s->v, s->n, sizeof x, cmp_u32) != NULL;
}

/* xorshift32: reproducible delays from the printed seed. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_kill_writer(void **state)
{
	(void)state;
	store_hook_skip_unless_local();
	char *dir = mapix_test_tmpdir("store-kill");
	char path[4096];
	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/mailbox.db", dir);

	const char *seed_env = getenv("MAPIX_TEST_SEED");
	uint32_t seed = seed_env ? (uint32_t)strtoul(seed_env, NULL, 0) : (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8;
	if (!seed)
		seed = 1;
	uint32_t rs = seed;
	unsigned rounds = 50 * mapix_test_stress();
	print_message("test_store_kill: seed %u (MAPIX_TEST_SEED=%u repeats it), %u rounds\n", seed, seed, rounds);

	/* The mailbox exists before the first writer starts. */
	LPMDB mdb = NULL;
	HRESULT hr;
	assert_ok(store_hook_open(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb));
	IMsgStore_Release(mdb);

	seqset acked = {0}, seen = {0};
	unsigned done = 0, unacked_total = 0;
	double start = now_s();
	for (unsigned round = 1; round <= rounds; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			writer(path, round * ROUND_SEQ + 1, fds[1]);
		}
		close(fds[1]);
		/* Mostly mid-stream kills; now and then one during start-up. */
		useconds_t delay = rnd(&rs) % 8 == 0 ? rnd(&rs) % 3000 : rnd(&rs) % MAX_DELAY_US;
		usleep(delay);
		kill(pid, SIGKILL);
		int status = 0;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		uint32_t rec[2];
		ssize_t got;
		while ((got = read(fds[0], rec, sizeof rec)) == (ssize_t)sizeof rec) {
			if (rec[0] == WRITER_FAILED)
				fail_msg("round %u: the writer failed: 0x%08X", round, (unsigned)rec[1]);
			seqset_add(&acked, rec[0]);
		}
		close(fds[0]);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("round %u: the writer ended by itself (status 0x%x)", round, (unsigned)status);

		/* The file as the killed writer left it. */
		integrity_ok(path, round);

		/* Every acknowledged message is there; new ones are complete. */
		seqset_sort(&acked);
		seqset_sort(&seen);
		assert_ok(store_hook_open(path, 0, &mdb));
		LPMAPIFOLDER inbox = open_inbox(mdb, 0, &hr);
		assert_ok(hr);
		LPMAPITABLE t = NULL;
		static const SizedSPropTagArray(2, cols) = {2, {PR_SUBJECT_A, PR_ENTRYID}};
		assert_ok(IMAPIFolder_GetContentsTable(inbox, 0, &t));
		LPSRowSet rows = all_rows(t, (const SPropTagArray *)&cols);
		seqset present = {0};
		for (ULONG i = 0; i < rows->cRows; i++) {
			LPSPropValue p = rows->aRow[i].lpProps;
			unsigned seq = 0;
			if (PROP_TYPE(p[0].ulPropTag) != PT_STRING8 || sscanf(p[0].Value.lpszA, SUBJECT_FMT, &seq) != 1)
				fail_msg("round %u: a message without a proper subject", round);
			seqset_add(&present, seq);
			if (!seqset_has(&seen, seq)) {
				if (!seqset_has(&acked, seq))
					unacked_total++; /* committed, killed before the acknowledgement */
				check_message(mdb, &p[1].Value.bin, seq, round);
			}
		}
		FreeProws(rows);
		seqset_sort(&present);
		for (size_t i = 0; i < acked.n; i++)
			if (!seqset_has(&present, acked.v[i]))
				fail_msg("round %u (seed %u): message %u was acknowledged but is gone", round, seed, acked.v[i]);
		/* At most one save per round can commit without its acknowledgement. */
		if (unacked_total > round)
			fail_msg("round %u: %u messages nobody acknowledged", round, unacked_total);
		/* Kept counts agree with the contents. */
		LPSPropValue cc = NULL;
		assert_ok(HrGetOneProp((LPMAPIPROP)inbox, PR_CONTENT_COUNT, &cc));
		if ((size_t)cc->Value.l != present.n)
			fail_msg("round %u: PR_CONTENT_COUNT %d, %zu messages in the table", round, (int)cc->Value.l, present.n);
		MAPIFreeBuffer(cc);
		IMAPIFolder_Release(inbox);
		IMsgStore_Release(mdb);
		free(seen.v);
		seen = present;
		done = round;
		if (now_s() - start > (double)TIME_GUARD_S * mapix_test_stress()) {
			print_message("test_store_kill: stopping after %u rounds (time guard)\n", round);
			break;
		}
	}
	print_message("test_store_kill: %u rounds in %.1f s, %zu messages acknowledged, %u committed unacknowledged\n",
	              done, now_s() - start, acked.n, unacked_total);
	assert_true(acked.n > 0);
	free(acked.v);
	free(seen.v);
	mapix_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
