/*
 * test_propcompare.c — LPropCompareProp, FPropCompareProp (every relop,
 * including RELOP_RE) and FPropContainsProp (every fuzzy level) on every
 * property type, single- and multi-valued, with both string widths giving
 * the same answers (src/core/propcompare.c).
 */
#include <math.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "testutil.h"

#define TAG(type) PROP_TAG((type), 0x6700)

static const ULONG relops[] = {RELOP_LT, RELOP_LE, RELOP_GT, RELOP_GE, RELOP_EQ, RELOP_NE};

/* What each relop must answer for a comparison result of sign s. */
static BOOL relop_expect(ULONG op, int s)
{
	switch (op) {
	case RELOP_LT: return s < 0;
	case RELOP_LE: return s <= 0;
	case RELOP_GT: return s > 0;
	case RELOP_GE: return s >= 0;
	case RELOP_EQ: return s == 0;
	case RELOP_NE: return s != 0;
	}
	return FALSE;
}

static int sgn(LONG x)
{
	return (x > 0) - (x < 0);
}

/* Checks that a < b under every relop, in both directions, and that each
 * equals itself. */
static void check_less(SPropValue *a, SPropValue *b)
{
	assert_int_equal(sgn(LPropCompareProp(a, b)), -1);
	assert_int_equal(sgn(LPropCompareProp(b, a)), 1);
	assert_int_equal(LPropCompareProp(a, a), 0);
	assert_int_equal(LPropCompareProp(b, b), 0);
	for (size_t i = 0; i < sizeof relops / sizeof *relops; i++) {
		assert_int_equal(FPropCompareProp(a, relops[i], b), relop_expect(relops[i], -1));
		assert_int_equal(FPropCompareProp(b, relops[i], a), relop_expect(relops[i], 1));
		assert_int_equal(FPropCompareProp(a, relops[i], a), relop_expect(relops[i], 0));
	}
}

static void check_equal(SPropValue *a, SPropValue *b)
{
	assert_int_equal(LPropCompareProp(a, b), 0);
	for (size_t i = 0; i < sizeof relops / sizeof *relops; i++)
		assert_int_equal(FPropCompareProp(a, relops[i], b), relop_expect(relops[i], 0));
}

static SPropValue pv(ULONG type)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = TAG(type);
	return v;
}

static void test_integers(void **state)
{
	SPropValue a = pv(PT_I2), b = pv(PT_I2);
	(void)state;
	a.Value.i = -5;
	b.Value.i = 3;
	check_less(&a, &b);
	a.Value.i = -32768;
	b.Value.i = 32767;
	check_less(&a, &b);

	a = pv(PT_LONG), b = pv(PT_LONG);
	a.Value.l = INT32_MIN;
	b.Value.l = 1;
	check_less(&a, &b); /* no overflow from subtracting */
	a.Value.l = -1;
	b.Value.l = INT32_MAX;
	check_less(&a, &b);

	a = pv(PT_I8), b = pv(PT_I8);
	a.Value.li.QuadPart = INT64_MIN;
	b.Value.li.QuadPart = INT64_MAX;
	check_less(&a, &b);
	a.Value.li.QuadPart = 0x100000000LL;
	b.Value.li.QuadPart = 0x100000001LL;
	check_less(&a, &b);

	a = pv(PT_CURRENCY), b = pv(PT_CURRENCY);
	a.Value.cur.int64 = -10000; /* -1.0000 */
	b.Value.cur.int64 = 5;
	check_less(&a, &b);

	a = pv(PT_ERROR), b = pv(PT_ERROR);
	a.Value.err = MAPI_E_NOT_FOUND; /* negative as SCODE */
	b.Value.err = S_OK;
	check_less(&a, &b);
	b.Value.err = MAPI_E_NOT_FOUND;
	check_equal(&a, &b);
}

static void test_floats(void **state)
{
	SPropValue a = pv(PT_R4), b = pv(PT_R4);
	(void)state;
	a.Value.flt = -1.5f;
	b.Value.flt = 0.25f;
	check_less(&a, &b);
	a.Value.flt = -0.0f;
	b.Value.flt = 0.0f;
	check_equal(&a, &b);

	a = pv(PT_DOUBLE), b = pv(PT_DOUBLE);
	a.Value.dbl = 1e300;
	b.Value.dbl = INFINITY;
	check_less(&a, &b);
	/* NaN: equal to NaN, after every number. */
	a.Value.dbl = INFINITY;
	b.Value.dbl = NAN;
	check_less(&a, &b);
	a.Value.dbl = NAN;
	check_equal(&a, &b);

	a = pv(PT_APPTIME), b = pv(PT_APPTIME);
	a.Value.at = 36526.0;  /* 2000-01-01 */
	b.Value.at = 36526.5;
	check_less(&a, &b);
}

static void test_boolean_systime(void **state)
{
	SPropValue a = pv(PT_BOOLEAN), b = pv(PT_BOOLEAN);
	(void)state;
	a.Value.b = FALSE;
	b.Value.b = TRUE;
	check_less(&a, &b);
	a.Value.b = 1;
	b.Value.b = 0xFFFF; /* any nonzero is TRUE */
	check_equal(&a, &b);

	a = pv(PT_SYSTIME), b = pv(PT_SYSTIME);
	a.Value.ft.dwHighDateTime = 0x7FFFFFFF;
	a.Value.ft.dwLowDateTime = 0xFFFFFFFF;
	b.Value.ft.dwHighDateTime = 0x80000000; /* unsigned: later */
	check_less(&a, &b);
	a.Value.ft.dwHighDateTime = 1;
	a.Value.ft.dwLowDateTime = 0;
	b.Value.ft.dwHighDateTime = 1;
	b.Value.ft.dwLowDateTime = 1;
	check_less(&a, &b);
}

static void test_binary_clsid(void **state)
{
	BYTE x12[] = {1, 2}, x120[] = {1, 2, 0}, x2[] = {2}, x199[] = {1, 9, 9}, xff[] = {0xFF};
	SPropValue a = pv(PT_BINARY), b = pv(PT_BINARY);
	GUID g1 = {0x00000100, 0, 0, {0}}, g2 = {0x00000001, 0, 0, {0}}, g3 = {0x00000001, 0, 0, {0, 0, 0, 0, 0, 0, 0, 1}};
	(void)state;

	/* Bytes first (unsigned), then the shorter first. */
	a.Value.bin.cb = 2, a.Value.bin.lpb = x12;
	b.Value.bin.cb = 3, b.Value.bin.lpb = x120;
	check_less(&a, &b);
	a.Value.bin.cb = 3, a.Value.bin.lpb = x199;
	b.Value.bin.cb = 1, b.Value.bin.lpb = x2;
	check_less(&a, &b);
	a.Value.bin.cb = 1, a.Value.bin.lpb = x2;
	b.Value.bin.cb = 1, b.Value.bin.lpb = xff;
	check_less(&a, &b);
	a.Value.bin.cb = 0, a.Value.bin.lpb = NULL;
	b.Value.bin.cb = 0, b.Value.bin.lpb = x12;
	check_equal(&a, &b);
	b.Value.bin.cb = 1;
	check_less(&a, &b);

	a = pv(PT_SVREID), b = pv(PT_SVREID);
	a.Value.bin.cb = 1, a.Value.bin.lpb = x2;
	b.Value.bin.cb = 1, b.Value.bin.lpb = xff;
	check_less(&a, &b);

	/* GUIDs in wire order: Data1 is little-endian, so 0x100 (00 01 00 00)
	 * sorts before 0x1 (01 00 00 00). */
	a = pv(PT_CLSID), b = pv(PT_CLSID);
	a.Value.lpguid = &g1;
	b.Value.lpguid = &g2;
	check_less(&a, &b);
	a.Value.lpguid = &g2;
	b.Value.lpguid = &g3;
	check_less(&a, &b);
	b.Value.lpguid = &g2;
	check_equal(&a, &b);
}

/* A string value in either width, from UTF-8. */
struct strprop {
	SPropValue v;
	WCHAR w[128];
};

static void mkstr(struct strprop *p, BOOL wide, const char *utf8)
{
	memset(p, 0, sizeof *p);
	if (wide) {
		p->v.ulPropTag = TAG(PT_UNICODE);
		if (utf8) {
			mapix_utf8_to_utf16_buf(utf8, strlen(utf8), p->w, 128);
			p->v.Value.lpszW = p->w;
		}
	} else {
		p->v.ulPropTag = TAG(PT_STRING8);
		p->v.Value.lpszA = (LPSTR)utf8;
	}
}

static void test_strings_both_widths(void **state)
{
	static const char *const ordered[] = {
		"", "A", "B", "Z", "a", "ab", "b", "\xC3\x89" /* É */, "\xC3\xA9" /* é */, "\xEF\xBF\xBD",
		"\xF0\x90\x80\x80", "\xF0\x9F\x98\x80",
	};
	struct strprop a, b;
	(void)state;
	for (int wide = 0; wide < 2; wide++) {
		for (size_t i = 0; i + 1 < sizeof ordered / sizeof *ordered; i++) {
			mkstr(&a, wide, ordered[i]);
			mkstr(&b, wide, ordered[i + 1]);
			check_less(&a.v, &b.v);
		}
		/* NULL reads as "". */
		mkstr(&a, wide, NULL);
		mkstr(&b, wide, "");
		check_equal(&a.v, &b.v);
		mkstr(&b, wide, "x");
		check_less(&a.v, &b.v);
		/* Exact: case and marks count. */
		mkstr(&a, wide, "e\xCC\x81");
		mkstr(&b, wide, "\xC3\xA9");
		check_less(&a.v, &b.v);
	}
	/* Lone surrogate and invalid UTF-8 both read as U+FFFD. */
	{
		WCHAR lone[] = {'a', 0xD800, 0};
		SPropValue w = pv(PT_UNICODE), w2 = pv(PT_UNICODE), s = pv(PT_STRING8), s2 = pv(PT_STRING8);
		w.Value.lpszW = lone;
		w2.Value.lpszW = (LPWSTR)u"a\uFFFD";
		check_equal(&w, &w2);
		s.Value.lpszA = (LPSTR) "a\xED\xA0\x80";
		s2.Value.lpszA = (LPSTR) "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
		check_equal(&s, &s2);
	}
}

static void test_mismatched_and_odd_types(void **state)
{
	SPropValue l = pv(PT_LONG), i2 = pv(PT_I2), n1 = pv(PT_NULL), n2 = pv(PT_NULL), o1 = pv(PT_OBJECT),
	           o2 = pv(PT_OBJECT), s8 = pv(PT_STRING8), su = pv(PT_UNICODE), mvi = pv(PT_LONG), mv = pv(PT_MV_LONG);
	LONG one = 7;
	(void)state;
	l.Value.l = 1;
	i2.Value.i = 1;
	for (size_t i = 0; i < sizeof relops / sizeof *relops; i++) {
		assert_false(FPropCompareProp(&l, relops[i], &i2));
		assert_false(FPropCompareProp(&i2, relops[i], &l));
		assert_false(FPropCompareProp(&o1, relops[i], &o2));
	}
	/* LPropCompareProp still orders different types, by type. */
	assert_int_equal(sgn(LPropCompareProp(&i2, &l)), -1);
	assert_int_equal(sgn(LPropCompareProp(&l, &i2)), 1);
	/* Text of the same content in the two widths is still two types. */
	s8.Value.lpszA = (LPSTR) "x";
	su.Value.lpszW = (LPWSTR)u"x";
	assert_false(FPropCompareProp(&s8, RELOP_EQ, &su));
	assert_false(FPropContainsProp(&s8, &su, FL_FULLSTRING));
	/* PT_NULL values are all equal. */
	check_equal(&n1, &n2);
	/* NULL pointers. */
	assert_false(FPropCompareProp(NULL, RELOP_EQ, &l));
	assert_false(FPropCompareProp(&l, RELOP_EQ, NULL));
	assert_int_equal(LPropCompareProp(NULL, NULL), 0);
	assert_int_equal(sgn(LPropCompareProp(NULL, &l)), -1);
	/* Unknown relops. */
	assert_false(FPropCompareProp(&l, 7, &l));
	assert_false(FPropCompareProp(&l, 0xFFFFFFFF, &l));
	/* An MV_INSTANCE tag carries a single value of the base type. */
	mvi.ulPropTag = MVI_PROP(PROP_TAG(PT_MV_LONG, 0x6701));
	mvi.Value.l = 7;
	l.Value.l = 7;
	l.ulPropTag = PROP_TAG(PT_LONG, 0x6702);
	check_equal(&mvi, &l);
	/* ...but a true multi-valued value is another type. */
	mv.Value.MVl.cValues = 1;
	mv.Value.MVl.lpl = &one;
	assert_false(FPropCompareProp(&mv, RELOP_EQ, &l));
}

static void test_multivalued(void **state)
{
	LONG l1[] = {1, 2}, l2[] = {1, 3}, l3[] = {1, 2, 0};
	short i1[] = {-1}, i2[] = {1};
	float f1[] = {1.0f, 2.0f}, f2[] = {1.0f, 2.5f};
	double d1[] = {-1.0}, d2[] = {-0.5};
	CURRENCY c1[] = {{.int64 = -1}}, c2[] = {{.int64 = 1}};
	FILETIME t1[] = {{5, 1}}, t2[] = {{4, 2}};
	LARGE_INTEGER q1[] = {{.QuadPart = -2}}, q2[] = {{.QuadPart = -1}};
	LPSTR s1[] = {(LPSTR) "abc", (LPSTR) "def"}, s2[] = {(LPSTR) "abc", (LPSTR) "deg"};
	LPWSTR w1[] = {(LPWSTR)u"abc", (LPWSTR)u"\uFFFD"}, w2[] = {(LPWSTR)u"abc", (LPWSTR)u"\U00010000"};
	BYTE b0[] = {0}, b1[] = {1};
	SBinary bin1[] = {{1, b0}, {1, b0}}, bin2[] = {{1, b0}, {1, b1}};
	GUID g1[] = {{1, 2, 3, {4}}}, g2[] = {{1, 2, 4, {0}}};
	SPropValue a, b;
	(void)state;

#define MV(type, member, ptr, arr1, n1, arr2, n2)   \
	a = pv(type), b = pv(type);                      \
	a.Value.member.cValues = n1;                     \
	a.Value.member.ptr = arr1;                       \
	b.Value.member.cValues = n2;                     \
	b.Value.member.ptr = arr2

	MV(PT_MV_LONG, MVl, lpl, l1, 2, l2, 2);
	check_less(&a, &b);
	MV(PT_MV_LONG, MVl, lpl, l1, 2, l3, 3); /* a prefix sorts first */
	check_less(&a, &b);
	MV(PT_MV_LONG, MVl, lpl, l1, 0, l1, 1); /* empty first */
	check_less(&a, &b);
	MV(PT_MV_LONG, MVl, lpl, l1, 2, l3, 2);
	check_equal(&a, &b);
	MV(PT_MV_LONG, MVl, lpl, NULL, 0, NULL, 0);
	check_equal(&a, &b);
	MV(PT_MV_I2, MVi, lpi, i1, 1, i2, 1);
	check_less(&a, &b);
	MV(PT_MV_R4, MVflt, lpflt, f1, 2, f2, 2);
	check_less(&a, &b);
	MV(PT_MV_DOUBLE, MVdbl, lpdbl, d1, 1, d2, 1);
	check_less(&a, &b);
	MV(PT_MV_APPTIME, MVat, lpat, d1, 1, d2, 1);
	check_less(&a, &b);
	MV(PT_MV_CURRENCY, MVcur, lpcur, c1, 1, c2, 1);
	check_less(&a, &b);
	MV(PT_MV_SYSTIME, MVft, lpft, t1, 1, t2, 1);
	check_less(&a, &b);
	MV(PT_MV_I8, MVli, lpli, q1, 1, q2, 1);
	check_less(&a, &b);
	MV(PT_MV_STRING8, MVszA, lppszA, s1, 2, s2, 2);
	check_less(&a, &b);
	MV(PT_MV_UNICODE, MVszW, lppszW, w1, 2, w2, 2); /* U+FFFD < U+10000 */
	check_less(&a, &b);
	MV(PT_MV_BINARY, MVbin, lpbin, bin1, 2, bin2, 2);
	check_less(&a, &b);
	MV(PT_MV_CLSID, MVguid, lpguid, g1, 1, g2, 1);
	check_less(&a, &b);
#undef MV
	/* RELOP_RE is for single strings only. */
	a = pv(PT_MV_STRING8);
	a.Value.MVszA.cValues = 2;
	a.Value.MVszA.lppszA = s1;
	assert_false(FPropCompareProp(&a, RELOP_RE, &a));
}

static BOOL re(BOOL wide, const char *subject, const char *pattern)
{
	struct strprop s, p;
	mkstr(&s, wide, subject);
	mkstr(&p, wide, pattern);
	return FPropCompareProp(&s.v, RELOP_RE, &p.v);
}

static void test_relop_re(void **state)
{
	SPropValue l = pv(PT_LONG);
	(void)state;
	for (int wide = 0; wide < 2; wide++) {
		assert_true(re(wide, "Hello World", "^Hel+o"));
		assert_true(re(wide, "Hello World", "World$"));
		assert_true(re(wide, "Hello World", "o W"));
		assert_false(re(wide, "Hello World", "world"));
		assert_true(re(wide, "Hello World", "(Hi|Hello) (World|Earth)"));
		assert_true(re(wide, "", "^$"));
		assert_true(re(wide, "abc", ""));
		/* Characters, not bytes: é is one '.'. */
		assert_true(re(wide, "h\xC3\xA9llo", "^h.llo$"));
		assert_true(re(wide, "\xF0\x9F\x98\x80!", "^.!$"));
		assert_true(re(wide, "gr\xC3\xBC\xC3\x9F", "^gr[\xC3\xBC\xC3\xB6][\xC3\x9F]$"));
		/* An invalid pattern matches nothing. */
		assert_false(re(wide, "(", "("));
		assert_false(re(wide, "abc", "a{2,1}"));
		assert_true(strlen(MAPIXGetLastErrorText()) > 0);
	}
	/* Lone surrogate and invalid byte both become U+FFFD. */
	{
		WCHAR lone[] = {'x', 0xDC00, 'y', 0};
		SPropValue w = pv(PT_UNICODE), pat = pv(PT_UNICODE);
		w.Value.lpszW = lone;
		pat.Value.lpszW = (LPWSTR)u"^x\uFFFDy$";
		assert_true(FPropCompareProp(&w, RELOP_RE, &pat));
		assert_true(re(FALSE, "x\xC0y", "^x\xEF\xBF\xBDy$"));
		assert_true(re(FALSE, "x\xC0y", "^x.y$"));
	}
	/* Not for other types. */
	l.Value.l = 1;
	assert_false(FPropCompareProp(&l, RELOP_RE, &l));
}

/* FPropContainsProp must answer the same in both widths. */
static BOOL contains(const char *hay, const char *needle, ULONG level)
{
	struct strprop h, n;
	BOOL narrow, wide;
	mkstr(&h, FALSE, hay);
	mkstr(&n, FALSE, needle);
	narrow = FPropContainsProp(&h.v, &n.v, level);
	mkstr(&h, TRUE, hay);
	mkstr(&n, TRUE, needle);
	wide = FPropContainsProp(&h.v, &n.v, level);
	assert_int_equal(narrow, wide);
	return narrow;
}

static void test_contains_strings(void **state)
{
	static const struct {
		const char *hay, *needle;
		ULONG level;
		BOOL want;
	} cases[] = {
		{"Hello World", "Hello World", FL_FULLSTRING, TRUE},
		{"Hello World", "hello world", FL_FULLSTRING, FALSE},
		{"Hello World", "hello world", FL_FULLSTRING | FL_IGNORECASE, TRUE},
		{"Hello World", "Hello", FL_FULLSTRING, FALSE},
		{"Hello World", "Hello", FL_PREFIX, TRUE},
		{"Hello World", "hello", FL_PREFIX, FALSE},
		{"Hello World", "hello", FL_PREFIX | FL_IGNORECASE, TRUE},
		{"Hello World", "World", FL_PREFIX, FALSE},
		{"Hello World", "o W", FL_SUBSTRING, TRUE},
		{"Hello World", "O w", FL_SUBSTRING, FALSE},
		{"Hello World", "O w", FL_SUBSTRING | FL_IGNORECASE, TRUE},
		{"Hello World", "", FL_SUBSTRING, TRUE},
		{"Hello World", "", FL_PREFIX, TRUE},
		{"Hello World", "", FL_FULLSTRING, FALSE},
		{"", "", FL_FULLSTRING, TRUE},
		{"", "a", FL_SUBSTRING, FALSE},
		{NULL, "", FL_FULLSTRING, TRUE},
		{NULL, "a", FL_SUBSTRING | FL_LOOSE, FALSE},
		/* Marks: composed vs decomposed. */
		{"R\xC3\xA9sum\xC3\xA9", "resume", FL_FULLSTRING | FL_LOOSE, TRUE},
		{"R\xC3\xA9sum\xC3\xA9", "resume", FL_FULLSTRING | FL_IGNORECASE, FALSE},
		{"R\xC3\xA9sum\xC3\xA9", "Resume", FL_FULLSTRING | FL_IGNORENONSPACE, TRUE},
		{"R\xC3\xA9sum\xC3\xA9", "resume", FL_FULLSTRING | FL_IGNORENONSPACE, FALSE},
		{"R\xC3\xA9sum\xC3\xA9", "resume", FL_FULLSTRING | FL_IGNORENONSPACE | FL_IGNORECASE, TRUE},
		{"Re\xCC\x81sume\xCC\x81", "R\xC3\xA9sum\xC3\xA9", FL_FULLSTRING, FALSE},
		{"Re\xCC\x81sume\xCC\x81", "R\xC3\xA9sum\xC3\xA9", FL_FULLSTRING | FL_IGNORENONSPACE, TRUE},
		{"Re\xCC\x81sume\xCC\x81", "\xC3\xA9su", FL_SUBSTRING | FL_LOOSE, TRUE},
		{"Re\xCC\x81sume\xCC\x81", "\xC3\xA9su", FL_SUBSTRING, FALSE},
		{"Re\xCC\x81sume\xCC\x81", "re", FL_PREFIX | FL_LOOSE, TRUE},
		/* German, Turkish, Greek. */
		{"Stra\xC3\x9F" "e", "STRASSE", FL_FULLSTRING | FL_LOOSE, FALSE},
		{"Stra\xC3\x9F" "e", "STRA\xE1\xBA\x9E" "E", FL_FULLSTRING | FL_IGNORECASE, TRUE},
		{"\xC4\xB0zmir", "izmir", FL_FULLSTRING | FL_IGNORECASE, FALSE},
		{"\xC4\xB0zmir", "izmir", FL_FULLSTRING | FL_LOOSE, TRUE},
		{"\xC4\xB1zmir", "izmir", FL_FULLSTRING | FL_LOOSE, FALSE},
		{"\xCE\x9F\xCE\x94\xCE\x8C\xCE\xA3", "\xE1\xBD\x81\xCE\xB4\xCF\x8C\xCF\x82", FL_FULLSTRING | FL_LOOSE, TRUE},
		{"\xCE\x9F\xCE\x94\xCE\x8C\xCE\xA3", "\xCE\xBF\xCE\xB4\xCF\x8C\xCF\x82", FL_FULLSTRING | FL_IGNORECASE, TRUE},
		{"\xCE\x9F\xCE\x94\xCE\x8C\xCE\xA3", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82", FL_FULLSTRING | FL_IGNORECASE, FALSE},
		/* Non-BMP letters fold too. */
		{"\xF0\x90\x90\x80\xF0\x90\x90\x81", "\xF0\x90\x90\xA9", FL_SUBSTRING | FL_IGNORECASE, TRUE},
		{"\xF0\x90\x90\x80\xF0\x90\x90\x81", "\xF0\x90\x90\xA9", FL_SUBSTRING, FALSE},
		/* Unknown match kind. */
		{"abc", "abc", FL_SUBSTRING | FL_PREFIX, FALSE},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (contains(cases[i].hay, cases[i].needle, cases[i].level) != cases[i].want)
			fail_msg("case %zu: \"%s\" contains \"%s\" at 0x%08X should be %d", i,
			         cases[i].hay ? cases[i].hay : "(null)", cases[i].needle, (unsigned)cases[i].level,
			         cases[i].want);
	}
}

static void test_contains_binary_and_types(void **state)
{
	BYTE hay[] = {'A', 'B', 'C', 'D', 0, 'E'}, abc[] = {'a', 'b', 'c'}, ABC[] = {'A', 'B', 'C'}, d0e[] = {'D', 0, 'E'};
	SPropValue h = pv(PT_BINARY), n = pv(PT_BINARY), l = pv(PT_LONG), l2 = pv(PT_LONG);
	(void)state;
	h.Value.bin.cb = sizeof hay, h.Value.bin.lpb = hay;
	n.Value.bin.cb = 3, n.Value.bin.lpb = ABC;
	assert_true(FPropContainsProp(&h, &n, FL_PREFIX));
	assert_true(FPropContainsProp(&h, &n, FL_SUBSTRING));
	assert_false(FPropContainsProp(&h, &n, FL_FULLSTRING));
	n.Value.bin.lpb = d0e; /* embedded zero byte */
	assert_true(FPropContainsProp(&h, &n, FL_SUBSTRING));
	assert_false(FPropContainsProp(&h, &n, FL_PREFIX));
	/* Case bits are ignored for binaries: no folding of bytes. */
	n.Value.bin.lpb = abc;
	assert_false(FPropContainsProp(&h, &n, FL_PREFIX | FL_IGNORECASE));
	assert_false(FPropContainsProp(&h, &n, FL_SUBSTRING | FL_LOOSE));
	n.Value.bin.lpb = ABC;
	assert_true(FPropContainsProp(&h, &n, FL_PREFIX | FL_IGNORECASE | FL_LOOSE));
	/* Full match and the empty needle. */
	n.Value.bin = h.Value.bin;
	assert_true(FPropContainsProp(&h, &n, FL_FULLSTRING));
	n.Value.bin.cb = 0, n.Value.bin.lpb = NULL;
	assert_true(FPropContainsProp(&h, &n, FL_SUBSTRING));
	assert_true(FPropContainsProp(&h, &n, FL_PREFIX));
	assert_false(FPropContainsProp(&h, &n, FL_FULLSTRING));
	/* Needle longer than haystack. */
	n.Value.bin.cb = 3, n.Value.bin.lpb = ABC;
	h.Value.bin.cb = 2;
	assert_false(FPropContainsProp(&h, &n, FL_SUBSTRING));
	assert_false(FPropContainsProp(&h, &n, FL_PREFIX));
	/* Other types and mismatches never match. */
	l.Value.l = l2.Value.l = 5;
	assert_false(FPropContainsProp(&l, &l2, FL_FULLSTRING));
	assert_false(FPropContainsProp(&h, &l, FL_FULLSTRING));
	assert_false(FPropContainsProp(NULL, &l, FL_FULLSTRING));
	assert_false(FPropContainsProp(&h, NULL, FL_FULLSTRING));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_boolean_systime),
		cmocka_unit_test(test_binary_clsid),
		cmocka_unit_test(test_strings_both_widths),
		cmocka_unit_test(test_mismatched_and_odd_types),
		cmocka_unit_test(test_multivalued),
		cmocka_unit_test(test_relop_re),
		cmocka_unit_test(test_contains_strings),
		cmocka_unit_test(test_contains_binary_and_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
