/*
 * test_store_restrict.c — one semantics for contents-table restrictions:
 * on generated messages (random values of many types, missing values,
 * accents and case, multi-valued values, recipients and attachments),
 * every restriction type, alone and in random AND/OR/NOT trees, gives the
 * same rows in the same order whether the table pushes it into SQL or
 * evaluates it in C (MAPIX_STORE_RESTRICT=c, the store's test switch), and
 * hand-checked cases give the rows they must.
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

#define PR_T_NUM PROP_TAG(PT_LONG, 0x6710)
#define PR_T_NUM2 PROP_TAG(PT_LONG, 0x6711)
#define PR_T_DBL PROP_TAG(PT_DOUBLE, 0x6712)
#define PR_T_TIME PROP_TAG(PT_SYSTIME, 0x6713)
#define PR_T_BIN PROP_TAG(PT_BINARY, 0x6714)
#define PR_T_BOOL PROP_TAG(PT_BOOLEAN, 0x6715)
#define PR_T_I8 PROP_TAG(PT_I8, 0x6716)
#define PR_T_KW PROP_TAG(PT_MV_STRING8, 0x6717)
#define PR_T_SHORT PROP_TAG(PT_I2, 0x6718)

static unsigned rng_state;
static unsigned rnd(unsigned n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % (n ? n : 1);
}

static const char *const words[] = {"Café", "CAFE", "cafe", "résumé", "Resume", "report", "REPORT", "Ünïcode",
                                    "meeting", "Meeting", "x", "", "straße", "STRASSE", "naïve", "zebra"};
#define N_WORDS (sizeof words / sizeof words[0])

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER root, folder;
	int n;
} fixture;

static void make_message(LPMAPIFOLDER f)
{
	LPMESSAGE m;
	SPropValue v[14];
	ULONG n = 0;
	char subject[96], sender[32];
	BYTE bin[8];
	LPSTR kws[3];
	snprintf(subject, sizeof subject, "%s %s %s", words[rnd(N_WORDS)], words[rnd(N_WORDS)], words[rnd(N_WORDS)]);
	snprintf(sender, sizeof sender, "%s", words[rnd(N_WORDS)]);
	memset(v, 0, sizeof v);
	if (rnd(10)) {
		v[n].ulPropTag = rnd(2) ? PR_SUBJECT_A : PR_SUBJECT_W;
		if (PROP_TYPE(v[n].ulPropTag) == PT_STRING8)
			v[n].Value.lpszA = subject;
		else
			assert_ok(mapix_utf8_to_utf16(subject, NULL, &v[n].Value.lpszW));
		n++;
	}
	if (rnd(4)) {
		v[n].ulPropTag = PR_SENDER_NAME_A;
		v[n++].Value.lpszA = sender;
	}
	if (rnd(5)) {
		v[n].ulPropTag = PR_T_NUM;
		v[n++].Value.l = (LONG)rnd(21) - 10;
	}
	if (rnd(3)) {
		v[n].ulPropTag = PR_T_NUM2;
		v[n++].Value.l = (LONG)rnd(21) - 10;
	}
	if (rnd(4)) {
		v[n].ulPropTag = PR_T_DBL;
		v[n++].Value.dbl = ((double)rnd(2001) - 1000) / 8.0;
	}
	if (rnd(4)) {
		v[n].ulPropTag = PR_T_TIME;
		/* Some FILETIMEs above 2^63: the unsigned order matters. */
		v[n++].Value.ft = mapix_filetime_from_u64(rnd(8) == 0 ? UINT64_C(0x8000000000000000) + rnd(1000)
		                                                      : UINT64_C(130000000000000000) + rnd(1000));
	}
	if (rnd(3)) {
		ULONG cb = rnd(7);
		for (ULONG i = 0; i < cb; i++)
			bin[i] = (BYTE)(rnd(3) ? rnd(4) : 0xF0 + rnd(16));
		v[n].ulPropTag = PR_T_BIN;
		v[n].Value.bin.cb = cb;
		v[n++].Value.bin.lpb = bin;
	}
	if (rnd(3)) {
		v[n].ulPropTag = PR_T_BOOL;
		v[n++].Value.b = (unsigned short)rnd(2);
	}
	if (rnd(3)) {
		v[n].ulPropTag = PR_T_I8;
		v[n++].Value.li.QuadPart = (LONGLONG)rnd(2000) * 1000000007LL - 900000000000LL;
	}
	if (rnd(3)) {
		v[n].ulPropTag = PR_T_SHORT;
		v[n++].Value.i = (short)((int)rnd(65536) - 32768);
	}
	if (rnd(3)) {
		ULONG c = rnd(4);
		for (ULONG i = 0; i < c && i < 3; i++)
			kws[i] = (LPSTR)words[rnd(N_WORDS)];
		v[n].ulPropTag = PR_T_KW;
		v[n].Value.MVszA.cValues = c < 3 ? c : 3;
		v[n++].Value.MVszA.lppszA = kws;
	}
	v[n].ulPropTag = PR_MESSAGE_FLAGS;
	v[n++].Value.l = rnd(2) ? MSGFLAG_READ : 0;
	if (rnd(2)) {
		v[n].ulPropTag = PR_IMPORTANCE;
		v[n++].Value.l = (LONG)rnd(3);
	}
	assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
	assert_ok(IMessage_SetProps(m, n, v, NULL));
	/* Recipients and attachments for sub-restrictions. */
	ULONG nr = rnd(4);
	if (nr) {
		LPADRLIST al;
		assert_ok(MAPIAllocateBuffer((ULONG)CbNewADRLIST(nr), (LPVOID *)&al));
		al->cEntries = nr;
		for (ULONG i = 0; i < nr; i++) {
			LPSPropValue p;
			assert_ok(MAPIAllocateBuffer(3 * sizeof(SPropValue), (LPVOID *)&p));
			memset(p, 0, 3 * sizeof(SPropValue));
			p[0].ulPropTag = PR_DISPLAY_NAME_A;
			p[0].Value.lpszA = (LPSTR)words[rnd(N_WORDS)];
			p[1].ulPropTag = PR_RECIPIENT_TYPE;
			p[1].Value.l = (LONG)(MAPI_TO + rnd(3));
			p[2].ulPropTag = PR_EMAIL_ADDRESS_A;
			p[2].Value.lpszA = rnd(2) ? "a@example.org" : "B@EXAMPLE.ORG";
			al->aEntries[i].ulReserved1 = 0;
			al->aEntries[i].cValues = 3;
			al->aEntries[i].rgPropVals = p;
		}
		assert_ok(IMessage_ModifyRecipients(m, MODRECIP_ADD, al));
		FreePadrlist(al);
	}
	ULONG na = rnd(3);
	for (ULONG i = 0; i < na; i++) {
		LPATTACH a;
		ULONG num;
		SPropValue ap[2];
		memset(ap, 0, sizeof ap);
		ap[0].ulPropTag = PR_ATTACH_FILENAME_A;
		ap[0].Value.lpszA = (LPSTR)(rnd(2) ? "report.pdf" : "Photo.JPG");
		ap[1].ulPropTag = PR_ATTACH_METHOD;
		ap[1].Value.l = ATTACH_BY_VALUE;
		assert_ok(IMessage_CreateAttach(m, NULL, 0, &num, &a));
		assert_ok(IAttach_SetProps(a, 2, ap, NULL));
		assert_ok(IAttach_SaveChanges(a, 0));
		IAttach_Release(a);
	}
	assert_ok(IMessage_SaveChanges(m, 0));
	IMessage_Release(m);
	if (PROP_TYPE(v[0].ulPropTag) == PT_UNICODE && v[0].Value.lpszW)
		MAPIFreeBuffer(v[0].Value.lpszW);
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	ULONG type;
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-restrict");
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, 0, NULL, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&fx->root));
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_GENERIC, (LPTSTR) "R", NULL, NULL, 0, &fx->folder));
	rng_state = 20261125;
	fx->n = 250 * (int)mapix_test_stress();
	for (int i = 0; i < fx->n; i++)
		make_message(fx->folder);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	IMAPIFolder_Release(fx->folder);
	IMAPIFolder_Release(fx->root);
	IMsgStore_Release(fx->mdb);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* The instance keys of every row, in order, as one malloc'd array of u64. */
static uint64_t *rows_of(fixture *fx, LPSRestriction r, BOOL force_c, ULONG *count, HRESULT *restrict_hr)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_INSTANCE_KEY}};
	static const SizedSSortOrderSet(2, sort) = {2, 0, 0, {{PR_T_NUM, TABLE_SORT_DESCEND}, {PR_SUBJECT_A, TABLE_SORT_ASCEND}}};
	LPMAPITABLE t;
	if (force_c)
		setenv("MAPIX_STORE_RESTRICT", "c", 1);
	assert_ok(IMAPIFolder_GetContentsTable(fx->folder, 0, &t));
	unsetenv("MAPIX_STORE_RESTRICT");
	assert_ok(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0));
	assert_ok(IMAPITable_SortTable(t, (LPSSortOrderSet)&sort, 0));
	*restrict_hr = IMAPITable_Restrict(t, r, 0);
	uint64_t *keys = malloc(((size_t)fx->n + 1) * sizeof *keys);
	*count = 0;
	if (*restrict_hr == S_OK) {
		for (;;) {
			LPSRowSet rows;
			HRESULT hr = IMAPITable_QueryRows(t, 37, 0, &rows);
			if (FAILED(hr)) {
				*restrict_hr = hr;
				break;
			}
			for (ULONG i = 0; i < rows->cRows; i++) {
				uint64_t k = 0;
				memcpy(&k, rows->aRow[i].lpProps[0].Value.bin.lpb, 8);
				keys[(*count)++] = k;
			}
			ULONG got = rows->cRows;
			FreeProws(rows);
			if (!got)
				break;
		}
		ULONG n2;
		if (*restrict_hr == S_OK) {
			assert_ok(IMAPITable_GetRowCount(t, 0, &n2));
			assert_int_equal(n2, *count);
		}
	}
	IMAPITable_Release(t);
	return keys;
}

static void describe(const SRestriction *r, char *buf, size_t cb)
{
	snprintf(buf, cb, "rt=%u", (unsigned)r->rt);
}

/* Both paths agree; returns the row count. */
static ULONG same_rows(fixture *fx, LPSRestriction r)
{
	ULONG n1, n2;
	HRESULT h1, h2;
	uint64_t *a = rows_of(fx, r, FALSE, &n1, &h1);
	uint64_t *b = rows_of(fx, r, TRUE, &n2, &h2);
	char what[32];
	describe(r, what, sizeof what);
	if (h1 != h2)
		fail_msg("%s: SQL path 0x%08X, C path 0x%08X", what, (unsigned)h1, (unsigned)h2);
	if (n1 != n2)
		fail_msg("%s: SQL path %u rows, C path %u rows", what, (unsigned)n1, (unsigned)n2);
	for (ULONG i = 0; i < n1; i++)
		if (a[i] != b[i])
			fail_msg("%s: row %u differs", what, (unsigned)i);
	free(a);
	free(b);
	return n1;
}

/* ---- generated restrictions ------------------------------------------------------------------ */

typedef struct pool {
	LPVOID root;
} pool;

static void *more(pool *p, size_t cb)
{
	void *x;
	assert_ok(MAPIAllocateMore((ULONG)cb, p->root, &x));
	memset(x, 0, cb);
	return x;
}

static LPSPropValue value_for(pool *p, ULONG tag)
{
	LPSPropValue v = more(p, sizeof *v);
	v->ulPropTag = tag;
	switch (PROP_TYPE(tag)) {
	case PT_LONG: v->Value.l = (LONG)rnd(21) - 10; break;
	case PT_I2: v->Value.i = (short)((int)rnd(65536) - 32768); break;
	case PT_DOUBLE: v->Value.dbl = ((double)rnd(2001) - 1000) / 8.0; break;
	case PT_SYSTIME:
		v->Value.ft = mapix_filetime_from_u64(rnd(4) == 0 ? UINT64_C(0x8000000000000000) + rnd(1000)
		                                                  : UINT64_C(130000000000000000) + rnd(1000));
		break;
	case PT_BOOLEAN: v->Value.b = (unsigned short)rnd(2); break;
	case PT_I8: v->Value.li.QuadPart = (LONGLONG)rnd(2000) * 1000000007LL - 900000000000LL; break;
	case PT_BINARY: {
		ULONG cb = rnd(4);
		v->Value.bin.cb = cb;
		v->Value.bin.lpb = more(p, cb + 1);
		for (ULONG i = 0; i < cb; i++)
			v->Value.bin.lpb[i] = (BYTE)(rnd(3) ? rnd(4) : 0xF0 + rnd(16));
		break;
	}
	case PT_STRING8: {
		const char *w = words[rnd(N_WORDS)];
		char *s = more(p, strlen(w) + 1);
		strcpy(s, w);
		if (rnd(3) == 0 && *s)
			s[rnd((unsigned)strlen(s))] = 0; /* a prefix */
		v->Value.lpszA = s;
		break;
	}
	case PT_UNICODE: {
		const char *w = words[rnd(N_WORDS)];
		assert_ok(mapix_utf8_to_utf16(w, p->root, &v->Value.lpszW));
		break;
	}
	}
	return v;
}

static const ULONG scalar_tags[] = {PR_T_NUM, PR_T_DBL, PR_T_TIME, PR_T_BIN, PR_T_BOOL, PR_T_I8, PR_T_SHORT,
                                    PR_SUBJECT_A, PR_SUBJECT_W, PR_SENDER_NAME_A, PR_IMPORTANCE, PR_MESSAGE_FLAGS};
#define N_SCALAR (sizeof scalar_tags / sizeof scalar_tags[0])

static void gen(pool *p, SRestriction *r, int depth)
{
	unsigned k = depth >= 3 ? 3 + rnd(9) : rnd(12);
	memset(r, 0, sizeof *r);
	switch (k) {
	case 0:
	case 1: {
		r->rt = k == 0 ? RES_AND : RES_OR;
		ULONG n = rnd(4);
		r->res.resAnd.cRes = n;
		r->res.resAnd.lpRes = more(p, (n ? n : 1) * sizeof(SRestriction));
		for (ULONG i = 0; i < n; i++)
			gen(p, &r->res.resAnd.lpRes[i], depth + 1);
		break;
	}
	case 2:
		r->rt = RES_NOT;
		r->res.resNot.lpRes = more(p, sizeof(SRestriction));
		gen(p, r->res.resNot.lpRes, depth + 1);
		break;
	case 3:
	case 4: {
		static const ULONG levels[] = {FL_FULLSTRING, FL_SUBSTRING, FL_PREFIX};
		static const ULONG fuzz[] = {0, FL_IGNORECASE, FL_LOOSE, FL_IGNORENONSPACE};
		ULONG tag = rnd(3) == 0 ? PR_SENDER_NAME_A : rnd(2) ? PR_SUBJECT_A : PR_SUBJECT_W;
		r->rt = RES_CONTENT;
		r->res.resContent.ulFuzzyLevel = levels[rnd(3)] | fuzz[rnd(4)];
		r->res.resContent.ulPropTag = tag;
		r->res.resContent.lpProp = value_for(p, rnd(2) ? PR_SUBJECT_A : PR_SUBJECT_W);
		if (rnd(6) == 0) { /* binary content: the C side */
			r->res.resContent.ulPropTag = PR_T_BIN;
			r->res.resContent.lpProp = value_for(p, PR_T_BIN);
		}
		break;
	}
	case 5:
	case 6: {
		ULONG tag = scalar_tags[rnd(N_SCALAR)];
		r->rt = RES_PROPERTY;
		r->res.resProperty.relop = rnd(6);
		r->res.resProperty.ulPropTag = tag;
		r->res.resProperty.lpProp = value_for(p, tag);
		if (tag == PR_MESSAGE_FLAGS)
			r->res.resProperty.lpProp->Value.l = rnd(2) ? MSGFLAG_READ : 0;
		if (rnd(8) == 0) { /* a multi-valued column against one value */
			r->res.resProperty.ulPropTag = PR_T_KW;
			r->res.resProperty.lpProp = value_for(p, PR_SUBJECT_A);
			r->res.resProperty.relop = RELOP_EQ;
		}
		break;
	}
	case 7:
		r->rt = RES_COMPAREPROPS;
		r->res.resCompareProps.relop = rnd(6);
		if (rnd(2)) {
			r->res.resCompareProps.ulPropTag1 = PR_T_NUM;
			r->res.resCompareProps.ulPropTag2 = PR_T_NUM2;
		} else {
			r->res.resCompareProps.ulPropTag1 = PR_SUBJECT_A;
			r->res.resCompareProps.ulPropTag2 = PR_SENDER_NAME_W;
		}
		break;
	case 8:
		r->rt = RES_BITMASK;
		r->res.resBitMask.relBMR = rnd(2);
		r->res.resBitMask.ulPropTag = rnd(3) == 0 ? PR_MESSAGE_FLAGS : rnd(2) ? PR_T_NUM : PR_T_SHORT;
		r->res.resBitMask.ulMask = rnd(2) ? (ULONG)rnd(16) : 0xFFFF8000u;
		break;
	case 9:
		if (rnd(2)) {
			r->rt = RES_EXIST;
			r->res.resExist.ulPropTag = scalar_tags[rnd(N_SCALAR)];
		} else {
			r->rt = RES_SIZE;
			r->res.resSize.relop = rnd(6);
			r->res.resSize.ulPropTag = rnd(2) ? PR_SUBJECT_W : PR_T_BIN;
			r->res.resSize.cb = rnd(40);
		}
		break;
	case 10: {
		r->rt = RES_SUBRESTRICTION;
		LPSRestriction s = more(p, sizeof *s);
		r->res.resSub.lpRes = s;
		if (rnd(2)) {
			r->res.resSub.ulSubObject = PR_MESSAGE_RECIPIENTS;
			if (rnd(2)) {
				s->rt = RES_CONTENT;
				s->res.resContent.ulFuzzyLevel = FL_SUBSTRING | FL_IGNORECASE;
				s->res.resContent.ulPropTag = rnd(2) ? PR_DISPLAY_NAME_A : PR_EMAIL_ADDRESS_W;
				s->res.resContent.lpProp = value_for(p, PR_SUBJECT_A);
				if (rnd(2))
					s->res.resContent.lpProp->Value.lpszA = "example";
			} else {
				s->rt = RES_PROPERTY;
				s->res.resProperty.relop = rnd(6);
				s->res.resProperty.ulPropTag = rnd(4) ? PR_RECIPIENT_TYPE : PR_ROWID;
				s->res.resProperty.lpProp = value_for(p, PR_T_NUM);
				s->res.resProperty.lpProp->ulPropTag = s->res.resProperty.ulPropTag;
				s->res.resProperty.lpProp->Value.l = (LONG)rnd(4);
			}
		} else {
			r->res.resSub.ulSubObject = PR_MESSAGE_ATTACHMENTS;
			s->rt = RES_CONTENT;
			s->res.resContent.ulFuzzyLevel = (rnd(2) ? FL_PREFIX : FL_SUBSTRING) | (rnd(2) ? FL_IGNORECASE : 0);
			s->res.resContent.ulPropTag = PR_ATTACH_FILENAME_A;
			s->res.resContent.lpProp = value_for(p, PR_SUBJECT_A);
			s->res.resContent.lpProp->Value.lpszA = rnd(2) ? "photo" : "report";
		}
		break;
	}
	default:
		r->rt = RES_COMMENT;
		if (rnd(3)) {
			r->res.resComment.lpRes = more(p, sizeof(SRestriction));
			gen(p, r->res.resComment.lpRes, depth + 1);
		}
		break;
	}
}

static void test_generated(void **state)
{
	fixture *fx = *state;
	ULONG nonempty = 0, partial = 0;
	int runs = 160 * (int)mapix_test_stress();
	rng_state = 7;
	for (int i = 0; i < runs; i++) {
		pool p;
		SRestriction r;
		assert_ok(MAPIAllocateBuffer(1, &p.root));
		gen(&p, &r, 0);
		ULONG n = same_rows(fx, &r);
		if (n)
			nonempty++;
		if (n && n < (ULONG)fx->n)
			partial++;
		MAPIFreeBuffer(p.root);
	}
	/* The generator must not only produce trivial restrictions. */
	assert_true(partial > (ULONG)runs / 4);
	(void)nonempty;
}

/* Hand-checked cases: what each must select. */
static void test_known(void **state)
{
	fixture *fx = *state;
	LPMESSAGE m;
	LPMAPIFOLDER f;
	assert_ok(IMAPIFolder_CreateFolder(fx->root, FOLDER_GENERIC, (LPTSTR) "K", NULL, NULL, 0, &f));
	const char *subjects[] = {"Café au lait", "CAFE", "cafe", "résumé", NULL};
	for (int i = 0; i < 5; i++) {
		assert_ok(IMAPIFolder_CreateMessage(f, NULL, 0, &m));
		if (subjects[i])
			assert_ok(HrSetOneProp((LPMAPIPROP)m, &(SPropValue){.ulPropTag = PR_SUBJECT_A,
			                                                     .Value.lpszA = (LPSTR)subjects[i]}));
		assert_ok(HrSetOneProp((LPMAPIPROP)m, &(SPropValue){.ulPropTag = PR_T_NUM, .Value.l = i}));
		assert_ok(IMessage_SaveChanges(m, 0));
		IMessage_Release(m);
	}
	LPMAPIFOLDER keep = fx->folder;
	int keep_n = fx->n;
	fx->folder = f;
	fx->n = 5;
	SPropValue cafe = {.ulPropTag = PR_SUBJECT_A, .Value.lpszA = "cafe"};
	SRestriction c = {.rt = RES_CONTENT};
	c.res.resContent.ulPropTag = PR_SUBJECT_A;
	c.res.resContent.lpProp = &cafe;
	c.res.resContent.ulFuzzyLevel = FL_FULLSTRING;
	assert_int_equal(same_rows(fx, &c), 1);
	c.res.resContent.ulFuzzyLevel = FL_FULLSTRING | FL_IGNORECASE;
	assert_int_equal(same_rows(fx, &c), 2);
	c.res.resContent.ulFuzzyLevel = FL_PREFIX | FL_LOOSE;
	assert_int_equal(same_rows(fx, &c), 3);
	/* NOT of a comparison on a missing property selects the message without it. */
	SRestriction p = {.rt = RES_PROPERTY}, n = {.rt = RES_NOT};
	p.res.resProperty.relop = RELOP_NE;
	p.res.resProperty.ulPropTag = PR_SUBJECT_A;
	p.res.resProperty.lpProp = &cafe;
	assert_int_equal(same_rows(fx, &p), 3);
	n.res.resNot.lpRes = &p;
	assert_int_equal(same_rows(fx, &n), 2);
	/* RES_COUNT: at most 2 of the rows that match. */
	SRestriction cnt = {.rt = RES_COUNT};
	cnt.res.resCount.ulCount = 2;
	cnt.res.resCount.lpRes = &p;
	assert_int_equal(same_rows(fx, &cnt), 2);
	/* RES_EXIST and RES_SIZE. */
	SRestriction e = {.rt = RES_EXIST};
	e.res.resExist.ulPropTag = PR_SUBJECT_W;
	assert_int_equal(same_rows(fx, &e), 4);
	SRestriction sz = {.rt = RES_SIZE};
	sz.res.resSize.relop = RELOP_GT;
	sz.res.resSize.ulPropTag = PR_SUBJECT_W;
	sz.res.resSize.cb = 12; /* (5 chars + NUL) * 2 = 12: only longer ones */
	assert_int_equal(same_rows(fx, &sz), 2);
	fx->folder = keep;
	fx->n = keep_n;
	IMAPIFolder_Release(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_known),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
