/*
 * test_restriction.c — the one restriction evaluator (src/core/restriction.c,
 * mapixrestrict.h): every restriction type and relop on generated rows,
 * missing properties, multi-valued columns and instances, both string
 * widths, sub-object rows through a callback, RES_COUNT state, the depth
 * limit, validation, deep copy and tag collection.
 */
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixrestrict.h>

#include "testutil.h"

#define PR_T_LONG PROP_TAG(PT_LONG, 0x6601)
#define PR_T_STR_A PROP_TAG(PT_STRING8, 0x6602)
#define PR_T_STR_W PROP_TAG(PT_UNICODE, 0x6602)
#define PR_T_MVLONG PROP_TAG(PT_MV_LONG, 0x6603)
#define PR_T_MVSTR_W PROP_TAG(PT_MV_UNICODE, 0x6604)
#define PR_T_BIN PROP_TAG(PT_BINARY, 0x6605)
#define PR_T_LONG2 PROP_TAG(PT_LONG, 0x6606)
#define PR_T_FLAGS PROP_TAG(PT_LONG, 0x6607)
#define PR_T_BOOL PROP_TAG(PT_BOOLEAN, 0x6608)
#define PR_T_I8 PROP_TAG(PT_I8, 0x6609)
#define PR_T_WIDE PROP_TAG(PT_UNICODE, 0x660A)

static SPropValue lval(ULONG tag, LONG l)
{
	SPropValue v = {0};
	v.ulPropTag = tag;
	v.Value.l = l;
	return v;
}

static SPropValue sval(ULONG tag, const char *s)
{
	SPropValue v = {0};
	v.ulPropTag = tag;
	v.Value.lpszA = (LPSTR)s;
	return v;
}

static SPropValue wval(ULONG tag, const WCHAR *s)
{
	SPropValue v = {0};
	v.ulPropTag = tag;
	v.Value.lpszW = (LPWSTR)s;
	return v;
}

static SRestriction prop_res(ULONG relop, ULONG tag, SPropValue *val)
{
	SRestriction r = {0};
	r.rt = RES_PROPERTY;
	r.res.resProperty.relop = relop;
	r.res.resProperty.ulPropTag = tag;
	r.res.resProperty.lpProp = val;
	return r;
}

static SRestriction exist_res(ULONG tag)
{
	SRestriction r = {0};
	r.rt = RES_EXIST;
	r.res.resExist.ulPropTag = tag;
	return r;
}

static BOOL eval(SRestriction *r, ULONG c, SPropValue *props)
{
	BOOL f = 2;
	assert_int_equal(mapix_restriction_eval(r, c, props, NULL, &f), S_OK);
	assert_true(f == TRUE || f == FALSE);
	return f;
}

/* Ten rows with PR_T_LONG = 0..9 and an eleventh that lacks it. */
#define NROWS 11
static SPropValue rows[NROWS][2];

static void make_rows(void)
{
	for (int i = 0; i < NROWS; i++) {
		rows[i][0] = lval(PR_T_LONG2, 100 + i);
		rows[i][1] = i < 10 ? lval(PR_T_LONG, i) : lval(PROP_TAG(PT_ERROR, 0x6601), (LONG)MAPI_E_NOT_FOUND);
	}
}

static int count_matches(SRestriction *r)
{
	int n = 0;
	for (int i = 0; i < NROWS; i++)
		n += eval(r, 2, rows[i]);
	return n;
}

static void test_property_relops(void **state)
{
	SPropValue five = lval(PR_T_LONG, 5);
	static const struct {
		ULONG relop;
		int expect;
	} cases[] = {{RELOP_LT, 5}, {RELOP_LE, 6}, {RELOP_GT, 4}, {RELOP_GE, 5}, {RELOP_EQ, 1}, {RELOP_NE, 9}};
	make_rows();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		SRestriction r = prop_res(cases[i].relop, PR_T_LONG, &five);
		/* The row without the property (PT_ERROR there) never matches, not even RELOP_NE. */
		assert_int_equal(count_matches(&r), cases[i].expect);
		assert_false(eval(&r, 2, rows[10]));
		assert_false(eval(&r, 0, NULL));
	}
	/* NOT(EQ) is how "not equal or missing" is written. */
	SRestriction eq = prop_res(RELOP_EQ, PR_T_LONG, &five), not = {0};
	not.rt = RES_NOT;
	not.res.resNot.lpRes = &eq;
	assert_int_equal(count_matches(&not), 10);
	assert_true(eval(&not, 2, rows[10]));
}

static void test_property_types(void **state)
{
	SPropValue b = {0}, row_b = {0}, i8 = {0}, row_i8 = {0};
	b.ulPropTag = PR_T_BOOL;
	b.Value.b = 1;
	row_b = b;
	SRestriction r = prop_res(RELOP_EQ, PR_T_BOOL, &b);
	assert_true(eval(&r, 1, &row_b));
	row_b.Value.b = 0;
	assert_false(eval(&r, 1, &row_b));
	r.res.resProperty.relop = RELOP_NE;
	assert_true(eval(&r, 1, &row_b));

	i8.ulPropTag = PR_T_I8;
	i8.Value.li.QuadPart = 1LL << 40;
	row_i8 = i8;
	row_i8.Value.li.QuadPart = (1LL << 40) + 1;
	r = prop_res(RELOP_GT, PR_T_I8, &i8);
	assert_true(eval(&r, 1, &row_i8));
	r.res.resProperty.relop = RELOP_LE;
	assert_false(eval(&r, 1, &row_i8));

	/* A row holding another type under the ID does not match. */
	SPropValue five = lval(PR_T_LONG, 5), str = sval(PROP_TAG(PT_STRING8, 0x6601), "5");
	r = prop_res(RELOP_EQ, PR_T_LONG, &five);
	assert_false(eval(&r, 1, &str));
}

static void test_property_strings_both_widths(void **state)
{
	const char *names[] = {"alpha", "Beta", "gamma", "delta"};
	SPropValue beta_a = sval(PR_T_STR_A, "Beta"), beta_w = wval(PR_T_STR_W, u"Beta");
	SPropValue lower_w = wval(PR_T_STR_W, u"beta");
	for (int i = 0; i < 4; i++) {
		SPropValue row_a = sval(PR_T_STR_A, names[i]);
		WCHAR wbuf[16];
		mapix_utf8_to_utf16_buf(names[i], strlen(names[i]), wbuf, 16);
		SPropValue row_w = wval(PR_T_STR_W, wbuf);
		BOOL is_beta = i == 1;
		/* Every combination of row width and restriction width agrees. */
		SRestriction r1 = prop_res(RELOP_EQ, PR_T_STR_A, &beta_a), r2 = prop_res(RELOP_EQ, PR_T_STR_W, &beta_w);
		assert_int_equal(eval(&r1, 1, &row_a), is_beta);
		assert_int_equal(eval(&r1, 1, &row_w), is_beta);
		assert_int_equal(eval(&r2, 1, &row_a), is_beta);
		assert_int_equal(eval(&r2, 1, &row_w), is_beta);
		/* RELOP_EQ is exact in the collation: case matters. */
		SRestriction r3 = prop_res(RELOP_EQ, PR_T_STR_W, &lower_w);
		assert_false(eval(&r3, 1, &row_a));
		/* Code-point order: "Beta" < "alpha" < "delta" < "gamma". */
		SRestriction r4 = prop_res(RELOP_GT, PR_T_STR_W, &beta_w);
		assert_int_equal(eval(&r4, 1, &row_a), !is_beta);
	}
	/* RELOP_RE goes to FPropCompareProp's regular expressions. */
	SPropValue re = sval(PR_T_STR_A, "^al.*a$"), alpha = wval(PR_T_STR_W, u"alpha"), gamma = sval(PR_T_STR_A, "gamma");
	SRestriction rr = prop_res(RELOP_RE, PR_T_STR_A, &re);
	assert_true(eval(&rr, 1, &alpha));
	assert_false(eval(&rr, 1, &gamma));
}

static SRestriction content_res(ULONG fuzzy, ULONG tag, SPropValue *val)
{
	SRestriction r = {0};
	r.rt = RES_CONTENT;
	r.res.resContent.ulFuzzyLevel = fuzzy;
	r.res.resContent.ulPropTag = tag;
	r.res.resContent.lpProp = val;
	return r;
}

static void test_content(void **state)
{
	SPropValue row_a = sval(PR_T_STR_A, "Quarterly Report"), row_w = wval(PR_T_STR_W, u"Quarterly Report");
	SPropValue sub_w = wval(PR_T_STR_W, u"REPORT"), sub_a = sval(PR_T_STR_A, "REPORT");
	SPropValue pre = sval(PR_T_STR_A, "Quart"), full = wval(PR_T_STR_W, u"quarterly report");
	SRestriction r;

	r = content_res(FL_SUBSTRING | FL_IGNORECASE, PR_T_STR_W, &sub_w);
	assert_true(eval(&r, 1, &row_a));
	assert_true(eval(&r, 1, &row_w));
	r = content_res(FL_SUBSTRING, PR_T_STR_A, &sub_a);
	assert_false(eval(&r, 1, &row_a)); /* case matters without FL_IGNORECASE */
	assert_false(eval(&r, 1, &row_w));
	r = content_res(FL_PREFIX, PR_T_STR_A, &pre);
	assert_true(eval(&r, 1, &row_w));
	r = content_res(FL_PREFIX, PR_T_STR_A, &sub_a);
	assert_false(eval(&r, 1, &row_a));
	r = content_res(FL_FULLSTRING | FL_IGNORECASE, PR_T_STR_W, &full);
	assert_true(eval(&r, 1, &row_a));
	r = content_res(FL_FULLSTRING, PR_T_STR_W, &full);
	assert_false(eval(&r, 1, &row_a));
	/* Missing property: FALSE. */
	r = content_res(FL_SUBSTRING, PR_T_STR_W, &sub_w);
	SPropValue other = lval(PR_T_LONG, 1);
	assert_false(eval(&r, 1, &other));

	/* Binary content. */
	BYTE hay[] = {1, 2, 3, 4, 5}, needle[] = {3, 4}, head[] = {1, 2};
	SPropValue bin = {0}, nb = {0};
	bin.ulPropTag = PR_T_BIN;
	bin.Value.bin.cb = sizeof hay;
	bin.Value.bin.lpb = hay;
	nb.ulPropTag = PR_T_BIN;
	nb.Value.bin.cb = sizeof needle;
	nb.Value.bin.lpb = needle;
	r = content_res(FL_SUBSTRING, PR_T_BIN, &nb);
	assert_true(eval(&r, 1, &bin));
	r = content_res(FL_PREFIX, PR_T_BIN, &nb);
	assert_false(eval(&r, 1, &bin));
	nb.Value.bin.lpb = head;
	assert_true(eval(&r, 1, &bin));

	/* A content restriction on a non-string value is too complex. */
	SPropValue l = lval(PR_T_LONG, 1);
	BOOL f;
	r = content_res(FL_SUBSTRING, PR_T_LONG, &l);
	assert_int_equal(mapix_restriction_eval(&r, 1, &l, NULL, &f), MAPI_E_TOO_COMPLEX);
}

static void test_multivalued(void **state)
{
	LONG vals[] = {1, 5, 9};
	SPropValue mv = {0};
	mv.ulPropTag = PR_T_MVLONG;
	mv.Value.MVl.cValues = 3;
	mv.Value.MVl.lpl = vals;
	SPropValue five = lval(PR_T_LONG, 5), eight = lval(PR_T_LONG, 8), one = lval(PR_T_LONG, 1);
	SRestriction r;

	/* Any value matches (the restriction's tag is the MV tag, its value single). */
	r = prop_res(RELOP_EQ, PR_T_MVLONG, &five);
	five.ulPropTag = PROP_TAG(PT_LONG, 0x6603);
	assert_true(eval(&r, 1, &mv));
	eight.ulPropTag = PROP_TAG(PT_LONG, 0x6603);
	r = prop_res(RELOP_GT, PR_T_MVLONG, &eight);
	assert_true(eval(&r, 1, &mv));
	one.ulPropTag = PROP_TAG(PT_LONG, 0x6603);
	r = prop_res(RELOP_LT, PR_T_MVLONG, &one);
	assert_false(eval(&r, 1, &mv));
	r = prop_res(RELOP_NE, PR_T_MVLONG, &one);
	assert_true(eval(&r, 1, &mv));

	/* An MV value against an MV value compares the whole arrays. */
	LONG same[] = {1, 5, 9}, other[] = {1, 5};
	SPropValue mv2 = mv;
	mv2.Value.MVl.lpl = same;
	r = prop_res(RELOP_EQ, PR_T_MVLONG, &mv2);
	assert_true(eval(&r, 1, &mv));
	mv2.Value.MVl.cValues = 2;
	mv2.Value.MVl.lpl = other;
	assert_false(eval(&r, 1, &mv));

	/* MV_INSTANCE: the row holds one value of the column. */
	SPropValue inst = lval(MVI_PROP(PR_T_MVLONG), 9);
	SPropValue nine = lval(PROP_TAG(PT_LONG, 0x6603), 9);
	r = prop_res(RELOP_EQ, MVI_PROP(PR_T_MVLONG), &nine);
	assert_true(eval(&r, 1, &inst));
	nine.Value.l = 5;
	assert_false(eval(&r, 1, &inst));
	/* ...and an MVI restriction on an unexpanded row still looks at every value. */
	assert_true(eval(&r, 1, &mv));

	/* Content on a multi-valued string column: any value. */
	LPWSTR colours[] = {(LPWSTR)u"red", (LPWSTR)u"green"};
	SPropValue mvs = {0};
	mvs.ulPropTag = PR_T_MVSTR_W;
	mvs.Value.MVszW.cValues = 2;
	mvs.Value.MVszW.lppszW = colours;
	SPropValue ree = sval(PROP_TAG(PT_STRING8, 0x6604), "REE"), blu = wval(PROP_TAG(PT_UNICODE, 0x6604), u"blu");
	r = content_res(FL_SUBSTRING | FL_IGNORECASE, PR_T_MVSTR_W, &ree);
	assert_true(eval(&r, 1, &mvs));
	r = content_res(FL_SUBSTRING | FL_IGNORECASE, PR_T_MVSTR_W, &blu);
	assert_false(eval(&r, 1, &mvs));
	SPropValue green = wval(PROP_TAG(PT_UNICODE, 0x6604), u"green");
	r = prop_res(RELOP_EQ, PR_T_MVSTR_W, &green);
	assert_true(eval(&r, 1, &mvs));

	/* A single-valued tag with an MV value is a type mismatch. */
	BOOL f;
	r = prop_res(RELOP_EQ, PR_T_LONG, &mv);
	assert_int_equal(mapix_restriction_eval(&r, 1, &mv, NULL, &f), MAPI_E_TOO_COMPLEX);
}

static void test_compareprops(void **state)
{
	SRestriction r = {0};
	r.rt = RES_COMPAREPROPS;
	r.res.resCompareProps.ulPropTag1 = PR_T_LONG;
	r.res.resCompareProps.ulPropTag2 = PR_T_LONG2;
	SPropValue row[2] = {lval(PR_T_LONG, 3), lval(PR_T_LONG2, 7)};
	static const struct {
		ULONG relop;
		BOOL expect;
	} cases[] = {{RELOP_LT, TRUE}, {RELOP_LE, TRUE}, {RELOP_GT, FALSE},
	             {RELOP_GE, FALSE}, {RELOP_EQ, FALSE}, {RELOP_NE, TRUE}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		r.res.resCompareProps.relop = cases[i].relop;
		assert_int_equal(eval(&r, 2, row), cases[i].expect);
		assert_false(eval(&r, 1, row)); /* second property missing */
		assert_false(eval(&r, 1, &row[1]));
	}
	row[1].Value.l = 3;
	r.res.resCompareProps.relop = RELOP_EQ;
	assert_true(eval(&r, 2, row));
	/* Strings of both widths compare with each other. */
	SPropValue srow[2] = {sval(PR_T_STR_A, "same"), wval(PR_T_WIDE, u"same")};
	r.res.resCompareProps.ulPropTag1 = PR_T_STR_A;
	r.res.resCompareProps.ulPropTag2 = PR_T_WIDE;
	assert_true(eval(&r, 2, srow));
	/* Different types: too complex. */
	BOOL f;
	r.res.resCompareProps.ulPropTag2 = PR_T_BIN;
	assert_int_equal(mapix_restriction_eval(&r, 2, srow, NULL, &f), MAPI_E_TOO_COMPLEX);
}

static void test_bitmask(void **state)
{
	SRestriction r = {0};
	r.rt = RES_BITMASK;
	r.res.resBitMask.ulPropTag = PR_T_FLAGS;
	r.res.resBitMask.ulMask = 0x4;
	SPropValue set = lval(PR_T_FLAGS, 0x5), clear = lval(PR_T_FLAGS, 0x3), other = lval(PR_T_LONG, 4);
	r.res.resBitMask.relBMR = BMR_NEZ;
	assert_true(eval(&r, 1, &set));
	assert_false(eval(&r, 1, &clear));
	assert_false(eval(&r, 1, &other));
	r.res.resBitMask.relBMR = BMR_EQZ;
	assert_false(eval(&r, 1, &set));
	assert_true(eval(&r, 1, &clear));
	assert_false(eval(&r, 1, &other)); /* missing never matches, even BMR_EQZ */
	BOOL f;
	r.res.resBitMask.ulPropTag = PR_T_STR_A;
	assert_int_equal(mapix_restriction_eval(&r, 1, &set, NULL, &f), MAPI_E_TOO_COMPLEX);
}

static void test_size(void **state)
{
	SPropValue s = sval(PR_T_STR_A, "alpha");
	ULONG size = UlPropSize(&s);
	assert_true(size >= 5);
	SRestriction r = {0};
	r.rt = RES_SIZE;
	r.res.resSize.ulPropTag = PR_T_STR_A;
	r.res.resSize.cb = size;
	r.res.resSize.relop = RELOP_EQ;
	assert_true(eval(&r, 1, &s));
	r.res.resSize.relop = RELOP_LT;
	assert_false(eval(&r, 1, &s));
	r.res.resSize.relop = RELOP_LE;
	assert_true(eval(&r, 1, &s));
	r.res.resSize.cb = size - 1;
	r.res.resSize.relop = RELOP_GT;
	assert_true(eval(&r, 1, &s));
	r.res.resSize.relop = RELOP_NE;
	assert_true(eval(&r, 1, &s));
	SPropValue other = lval(PR_T_LONG, 1);
	assert_false(eval(&r, 1, &other));
}

static void test_exist_and_logic(void **state)
{
	SPropValue row[2] = {lval(PR_T_LONG, 1), lval(PROP_TAG(PT_ERROR, 0x6606), (LONG)MAPI_E_NOT_FOUND)};
	SRestriction e1 = exist_res(PR_T_LONG), e2 = exist_res(PR_T_LONG2);
	assert_true(eval(&e1, 2, row));
	assert_false(eval(&e2, 2, row)); /* a PT_ERROR value is not there */
	/* Matched by ID: the restriction's type does not matter. */
	SRestriction e3 = exist_res(PROP_TAG(PT_UNSPECIFIED, 0x6601));
	assert_true(eval(&e3, 2, row));

	SRestriction kids[2] = {e1, e2};
	SRestriction r = {0};
	r.rt = RES_AND;
	r.res.resAnd.cRes = 2;
	r.res.resAnd.lpRes = kids;
	assert_false(eval(&r, 2, row));
	r.rt = RES_OR;
	assert_true(eval(&r, 2, row));
	r.res.resOr.cRes = 0;
	assert_false(eval(&r, 2, row)); /* empty OR */
	r.rt = RES_AND;
	assert_true(eval(&r, 2, row)); /* empty AND */

	/* Short-circuit: an OR stops at its first TRUE, so a later malformed
	 * child is not reached; the validator still finds it. */
	SRestriction bad = {0};
	bad.rt = 99;
	SRestriction kids2[2] = {e1, bad};
	r.rt = RES_OR;
	r.res.resOr.cRes = 2;
	r.res.resOr.lpRes = kids2;
	assert_true(eval(&r, 2, row));
	assert_int_equal(mapix_restriction_validate(&r), MAPI_E_TOO_COMPLEX);
	r.rt = RES_AND;
	BOOL f;
	assert_int_equal(mapix_restriction_eval(&r, 2, row, NULL, &f), MAPI_E_TOO_COMPLEX);
	assert_false(f);
	assert_true(strlen(MAPIXGetLastErrorText()) > 0);
}

static void test_comment_annotation(void **state)
{
	SPropValue row = lval(PR_T_LONG, 1), note = sval(PR_T_STR_A, "why");
	SRestriction e = exist_res(PR_T_LONG2), r = {0};
	r.rt = RES_COMMENT;
	r.res.resComment.cValues = 1;
	r.res.resComment.lpProp = &note;
	assert_true(eval(&r, 1, &row)); /* no lpRes: TRUE */
	r.res.resComment.lpRes = &e;
	assert_false(eval(&r, 1, &row));
	r.rt = RES_ANNOTATION;
	assert_false(eval(&r, 1, &row));
	r.res.resAnnotation.lpRes = NULL;
	assert_true(eval(&r, 1, &row));
	r.res.resComment.lpProp = NULL;
	BOOL f;
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_INVALID_PARAMETER);
}

/* Sub-object rows: the recipients of "message" n are n rows with PR_T_LONG = 0..n-1. */
struct subctx {
	int calls;
	HRESULT fail;
};

static HRESULT get_sub_rows(LPVOID ctx, ULONG ulSubObject, ULONG cValues, LPSPropValue lpProps, LPSRowSet *lppRows)
{
	struct subctx *c = ctx;
	LPSPropValue id = PpropFindProp(lpProps, cValues, PR_T_LONG2);
	LPSRowSet rs = NULL;
	c->calls++;
	if (c->fail)
		return c->fail;
	if (ulSubObject != PR_MESSAGE_RECIPIENTS || !id) {
		*lppRows = NULL;
		return S_OK;
	}
	ULONG n = (ULONG)id->Value.l;
	assert_int_equal(MAPIAllocateBuffer((ULONG)CbNewSRowSet(n), (LPVOID *)&rs), S_OK);
	rs->cRows = n;
	for (ULONG i = 0; i < n; i++) {
		rs->aRow[i].cValues = 1;
		assert_int_equal(MAPIAllocateBuffer(sizeof(SPropValue), (LPVOID *)&rs->aRow[i].lpProps), S_OK);
		rs->aRow[i].lpProps[0] = lval(PR_T_LONG, (LONG)i);
	}
	*lppRows = rs;
	return S_OK;
}

static void test_subrestriction(void **state)
{
	struct subctx ctx = {0, S_OK};
	MAPIXSUBOBJECTS sub = {&ctx, get_sub_rows};
	SPropValue three = lval(PR_T_LONG, 3);
	SRestriction inner = prop_res(RELOP_EQ, PR_T_LONG, &three), r = {0};
	r.rt = RES_SUBRESTRICTION;
	r.res.resSub.ulSubObject = PR_MESSAGE_RECIPIENTS;
	r.res.resSub.lpRes = &inner;
	BOOL f = FALSE;

	SPropValue msg5 = lval(PR_T_LONG2, 5), msg2 = lval(PR_T_LONG2, 2);
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg5, &sub, &f), S_OK);
	assert_true(f); /* recipient 3 of 0..4 */
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg2, &sub, &f), S_OK);
	assert_false(f);
	assert_int_equal(ctx.calls, 2);
	/* Attachments: the callback says there are none. */
	r.res.resSub.ulSubObject = PR_MESSAGE_ATTACHMENTS;
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg5, &sub, &f), S_OK);
	assert_false(f);
	/* No sub-objects: too complex. An unknown sub-object: too complex. */
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg5, NULL, &f), MAPI_E_TOO_COMPLEX);
	r.res.resSub.ulSubObject = PR_T_LONG;
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg5, &sub, &f), MAPI_E_TOO_COMPLEX);
	/* The callback's failure reaches the caller. */
	r.res.resSub.ulSubObject = PR_MESSAGE_RECIPIENTS;
	ctx.fail = MAPI_E_NO_ACCESS;
	assert_int_equal(mapix_restriction_eval(&r, 1, &msg5, &sub, &f), MAPI_E_NO_ACCESS);
	/* NOT(sub): no recipient 3. */
	ctx.fail = S_OK;
	SRestriction not = {0};
	not.rt = RES_NOT;
	not.res.resNot.lpRes = &r;
	assert_int_equal(mapix_restriction_eval(&not, 1, &msg2, &sub, &f), S_OK);
	assert_true(f);
}

static void test_count(void **state)
{
	SPropValue two = lval(PR_T_LONG, 2);
	SRestriction ge = prop_res(RELOP_GE, PR_T_LONG, &two), r = {0};
	r.rt = RES_COUNT;
	r.res.resCount.ulCount = 3;
	r.res.resCount.lpRes = &ge;
	MAPIXRESTRICTIONSTATE st = MAPIX_RESTRICTION_STATE_INIT;
	int accepted[NROWS], n = 0;
	make_rows();
	for (int i = 0; i < NROWS; i++) {
		BOOL f;
		assert_int_equal(mapix_restriction_eval_state(&r, 2, rows[i], NULL, &st, &f), S_OK);
		accepted[i] = f;
		n += f;
	}
	/* The first three matches (rows 2, 3, 4) and nothing after. */
	assert_int_equal(n, 3);
	assert_true(accepted[2] && accepted[3] && accepted[4]);
	assert_false(accepted[5] || accepted[0]);
	/* Without a state every row is a pass of its own. */
	assert_true(eval(&r, 2, rows[9]));
	assert_false(eval(&r, 2, rows[1]));
	r.res.resCount.ulCount = 0;
	assert_false(eval(&r, 2, rows[9]));
	/* NOT(COUNT): the rows the count rejected. */
	SRestriction not = {0};
	not.rt = RES_NOT;
	not.res.resNot.lpRes = &r;
	r.res.resCount.ulCount = 1;
	MAPIXRESTRICTIONSTATE st2 = MAPIX_RESTRICTION_STATE_INIT;
	n = 0;
	for (int i = 0; i < NROWS; i++) {
		BOOL f;
		assert_int_equal(mapix_restriction_eval_state(&not, 2, rows[i], NULL, &st2, &f), S_OK);
		n += f;
	}
	assert_int_equal(n, NROWS - 1);
}

static void test_depth_limit(void **state)
{
	SRestriction chain[MAPIX_RESTRICTION_MAX_DEPTH + 1];
	SPropValue row = lval(PR_T_LONG, 1);
	BOOL f;
	/* chain[0] is the root; chain[k] is chain[k-1]'s child. */
	for (int n = MAPIX_RESTRICTION_MAX_DEPTH; n <= MAPIX_RESTRICTION_MAX_DEPTH + 1; n++) {
		for (int i = 0; i < n - 1; i++) {
			chain[i].rt = RES_NOT;
			chain[i].res.resNot.ulReserved = 0;
			chain[i].res.resNot.lpRes = &chain[i + 1];
		}
		chain[n - 1] = exist_res(PR_T_LONG);
		HRESULT expect = n <= MAPIX_RESTRICTION_MAX_DEPTH ? S_OK : MAPI_E_TOO_COMPLEX;
		assert_int_equal(mapix_restriction_eval(&chain[0], 1, &row, NULL, &f), expect);
		if (expect == S_OK)
			assert_int_equal(f, (n - 1) % 2 == 0); /* an even number of NOTs keeps EXIST's TRUE */
		assert_int_equal(mapix_restriction_validate(&chain[0]), expect);
		LPSRestriction copy = NULL;
		assert_int_equal(mapix_restriction_dup(&chain[0], &copy), expect);
		if (copy)
			MAPIFreeBuffer(copy);
		LPSPropTagArray tags = NULL;
		assert_int_equal(mapix_restriction_tags(&chain[0], 0, &tags), expect);
		if (tags)
			MAPIFreeBuffer(tags);
	}
}

static void test_malformed(void **state)
{
	SPropValue row = lval(PR_T_LONG, 1), s = sval(PR_T_STR_A, "x");
	BOOL f = TRUE;
	SRestriction r = prop_res(RELOP_EQ, PR_T_LONG, &s);
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_TOO_COMPLEX);
	assert_false(f);
	r = prop_res(0x64 /* RELOP_MEMBER_OF_DL */, PR_T_LONG, &row);
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_TOO_COMPLEX);
	r = prop_res(RELOP_EQ, PR_T_LONG, NULL);
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_INVALID_PARAMETER);
	r.rt = 0x20;
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_TOO_COMPLEX);
	r.rt = RES_NOT;
	r.res.resNot.lpRes = NULL;
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_INVALID_PARAMETER);
	r.rt = RES_AND;
	r.res.resAnd.cRes = 2;
	r.res.resAnd.lpRes = NULL;
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_restriction_eval(NULL, 1, &row, NULL, &f), MAPI_E_INVALID_PARAMETER);
	r = exist_res(PR_T_LONG);
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_restriction_eval(&r, 1, NULL, NULL, &f), MAPI_E_INVALID_PARAMETER);
	r.rt = RES_SIZE;
	r.res.resSize.relop = RELOP_RE;
	assert_int_equal(mapix_restriction_eval(&r, 1, &row, NULL, &f), MAPI_E_TOO_COMPLEX);
}

/* A restriction that uses every type, for dup and tags. */
static void test_dup_and_tags(void **state)
{
	SPropValue five = lval(PR_T_LONG, 5), word = wval(PR_T_STR_W, u"word"), note = sval(PR_T_STR_A, "note");
	SRestriction leaves[8], inner_sub, sub, comment, count, not, top;
	leaves[0] = prop_res(RELOP_GE, PR_T_LONG, &five);
	leaves[1] = content_res(FL_SUBSTRING, PR_T_STR_W, &word);
	leaves[2] = exist_res(PR_T_BIN);
	memset(&leaves[3], 0, sizeof leaves[3]);
	leaves[3].rt = RES_COMPAREPROPS;
	leaves[3].res.resCompareProps.relop = RELOP_EQ;
	leaves[3].res.resCompareProps.ulPropTag1 = PR_T_LONG;
	leaves[3].res.resCompareProps.ulPropTag2 = PR_T_LONG2;
	memset(&leaves[4], 0, sizeof leaves[4]);
	leaves[4].rt = RES_BITMASK;
	leaves[4].res.resBitMask.ulPropTag = PR_T_FLAGS;
	leaves[4].res.resBitMask.ulMask = 1;
	memset(&leaves[5], 0, sizeof leaves[5]);
	leaves[5].rt = RES_SIZE;
	leaves[5].res.resSize.ulPropTag = PR_T_STR_A;
	leaves[5].res.resSize.relop = RELOP_GT;
	leaves[5].res.resSize.cb = 2;
	inner_sub = exist_res(PR_T_I8);
	memset(&sub, 0, sizeof sub);
	sub.rt = RES_SUBRESTRICTION;
	sub.res.resSub.ulSubObject = PR_MESSAGE_ATTACHMENTS;
	sub.res.resSub.lpRes = &inner_sub;
	leaves[6] = sub;
	memset(&comment, 0, sizeof comment);
	comment.rt = RES_COMMENT;
	comment.res.resComment.cValues = 1;
	comment.res.resComment.lpProp = &note;
	comment.res.resComment.lpRes = &leaves[0]; /* PR_T_LONG again: listed once */
	leaves[7] = comment;
	memset(&count, 0, sizeof count);
	count.rt = RES_COUNT;
	count.res.resCount.ulCount = 2;
	SRestriction andr = {0};
	andr.rt = RES_AND;
	andr.res.resAnd.cRes = 8;
	andr.res.resAnd.lpRes = leaves;
	count.res.resCount.lpRes = &andr;
	memset(&not, 0, sizeof not);
	not.rt = RES_NOT;
	not.res.resNot.lpRes = &count;
	memset(&top, 0, sizeof top);
	top.rt = RES_OR;
	top.res.resOr.cRes = 1;
	top.res.resOr.lpRes = &not;

	LPSRestriction copy = NULL;
	assert_int_equal(mapix_restriction_dup(&top, &copy), S_OK);
	assert_non_null(copy);
	/* Structure and values are copied, not shared. */
	LPSRestriction c_and = copy->res.resOr.lpRes[0].res.resNot.lpRes->res.resCount.lpRes;
	assert_ptr_not_equal(c_and, &andr);
	assert_int_equal(c_and->res.resAnd.cRes, 8);
	assert_ptr_not_equal(c_and->res.resAnd.lpRes[0].res.resProperty.lpProp, &five);
	assert_int_equal(c_and->res.resAnd.lpRes[0].res.resProperty.lpProp->Value.l, 5);
	assert_ptr_not_equal(c_and->res.resAnd.lpRes[1].res.resContent.lpProp->Value.lpszW, word.Value.lpszW);
	assert_memory_equal(c_and->res.resAnd.lpRes[1].res.resContent.lpProp->Value.lpszW, u"word", 5 * sizeof(WCHAR));
	assert_string_equal(c_and->res.resAnd.lpRes[7].res.resComment.lpProp->Value.lpszA, "note");
	assert_int_equal(c_and->res.resAnd.lpRes[6].res.resSub.lpRes->res.resExist.ulPropTag, PR_T_I8);
	/* Same answers from the copy and the original. */
	SPropValue row[5] = {lval(PR_T_LONG, 6), wval(PR_T_STR_W, u"a word here"), lval(PR_T_LONG2, 6),
	                     lval(PR_T_FLAGS, 1), sval(PR_T_STR_A, "abc")};
	BOOL f1, f2;
	/* The sub-restriction needs sub-objects; give the evaluator none of them
	 * by removing the binary so AND stops before reaching it. */
	assert_int_equal(mapix_restriction_eval(&top, 5, row, NULL, &f1), S_OK);
	assert_int_equal(mapix_restriction_eval(copy, 5, row, NULL, &f2), S_OK);
	assert_int_equal(f1, f2);
	assert_true(f1); /* NOT(COUNT(AND(... EXIST(PR_T_BIN) false))) */
	MAPIFreeBuffer(copy);

	LPSPropTagArray tags = NULL;
	assert_int_equal(mapix_restriction_tags(&top, 0, &tags), S_OK);
	static const ULONG expect[] = {PR_T_LONG, PR_T_STR_W, PR_T_BIN, PR_T_LONG2, PR_T_FLAGS, PR_T_STR_A,
	                               PR_MESSAGE_ATTACHMENTS};
	assert_int_equal(tags->cValues, sizeof expect / sizeof *expect);
	for (ULONG i = 0; i < tags->cValues; i++)
		assert_int_equal(tags->aulPropTag[i], expect[i]);
	MAPIFreeBuffer(tags);
	assert_int_equal(mapix_restriction_tags(&top, MAPIX_RESTAGS_SUBOBJECTS, &tags), S_OK);
	assert_int_equal(tags->cValues, sizeof expect / sizeof *expect + 1);
	assert_int_equal(tags->aulPropTag[tags->cValues - 1], PR_T_I8);
	MAPIFreeBuffer(tags);
	assert_int_equal(mapix_restriction_tags(&top, 0x80, &tags), MAPI_E_UNKNOWN_FLAGS);

	/* dup_more hangs everything on a caller's parent. */
	LPVOID parent = NULL;
	SRestriction into;
	assert_int_equal(MAPIAllocateBuffer(16, &parent), S_OK);
	assert_int_equal(mapix_restriction_dup_more(&top, parent, &into), S_OK);
	assert_int_equal(into.rt, RES_OR);
	assert_int_equal(mapix_restriction_eval(&into, 5, row, NULL, &f2), S_OK);
	assert_int_equal(f2, f1);
	MAPIFreeBuffer(parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property_relops),
		cmocka_unit_test(test_property_types),
		cmocka_unit_test(test_property_strings_both_widths),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_multivalued),
		cmocka_unit_test(test_compareprops),
		cmocka_unit_test(test_bitmask),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_exist_and_logic),
		cmocka_unit_test(test_comment_annotation),
		cmocka_unit_test(test_subrestriction),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_dup_and_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
