/*
 * test_wire.c — the wire encoding (mapixwire.h): exact bytes of the
 * documented layouts, round trips of every property type and structure,
 * 32-bit lengths beyond 64 KiB, and the decoder's defences (truncation at
 * every offset, hostile counts, deep nesting, malformed values, allocation
 * failure) with no leak on any failure path.
 */
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixwire.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/memory.h"
#include "testutil.h"

#define TAG(type, id) PROP_TAG((type), (id))

/* ---- comparison helpers -------------------------------------------------- */

static int wlen(const WCHAR *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n;
}

static BOOL res_equal(const SRestriction *a, const SRestriction *b);

/* memcmp that accepts NULL for empty arrays */
static BOOL memeq(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static BOOL bin_equal(const SBinary *a, const SBinary *b)
{
	return a->cb == b->cb && (a->cb == 0 || memcmp(a->lpb, b->lpb, a->cb) == 0);
}

static BOOL prop_equal(const SPropValue *a, const SPropValue *b)
{
	if (a->ulPropTag != b->ulPropTag)
		return FALSE;
	ULONG t = PROP_TYPE(a->ulPropTag);
	if ((t & MVI_FLAG) == MVI_FLAG)
		t &= ~(ULONG)MVI_FLAG; /* one instance: a single value */
	const union _PV *x = &a->Value, *y = &b->Value;
	switch (t) {
	case PT_NULL: case PT_OBJECT: return TRUE;
	case PT_I2: return x->i == y->i;
	case PT_LONG: return x->l == y->l;
	case PT_R4: return memcmp(&x->flt, &y->flt, sizeof x->flt) == 0;
	case PT_DOUBLE: return memcmp(&x->dbl, &y->dbl, sizeof x->dbl) == 0;
	case PT_APPTIME: return memcmp(&x->at, &y->at, sizeof x->at) == 0;
	case PT_CURRENCY: return x->cur.int64 == y->cur.int64;
	case PT_ERROR: return x->err == y->err;
	case PT_BOOLEAN: return (x->b != 0) == (y->b != 0);
	case PT_I8: return x->li.QuadPart == y->li.QuadPart;
	case PT_SYSTIME: return x->ft.dwLowDateTime == y->ft.dwLowDateTime && x->ft.dwHighDateTime == y->ft.dwHighDateTime;
	case PT_CLSID: return memcmp(x->lpguid, y->lpguid, sizeof(GUID)) == 0;
	case PT_STRING8: return strcmp(x->lpszA, y->lpszA) == 0;
	case PT_UNICODE:
		return wlen(x->lpszW) == wlen(y->lpszW) && memcmp(x->lpszW, y->lpszW, 2 * (size_t)wlen(x->lpszW)) == 0;
	case PT_BINARY: case PT_SVREID: return bin_equal(&x->bin, &y->bin);
	case PT_SRESTRICT: {
		const SRestriction *r1 = (const void *)x->lpszA, *r2 = (const void *)y->lpszA;
		return (!r1 && !r2) || (r1 && r2 && res_equal(r1, r2));
	}
	case PT_MV_I2: return x->MVi.cValues == y->MVi.cValues && memeq(x->MVi.lpi, y->MVi.lpi, 2 * (size_t)x->MVi.cValues);
	case PT_MV_LONG: return x->MVl.cValues == y->MVl.cValues && memeq(x->MVl.lpl, y->MVl.lpl, 4 * (size_t)x->MVl.cValues);
	case PT_MV_R4: return x->MVflt.cValues == y->MVflt.cValues && memeq(x->MVflt.lpflt, y->MVflt.lpflt, 4 * (size_t)x->MVflt.cValues);
	case PT_MV_DOUBLE: return x->MVdbl.cValues == y->MVdbl.cValues && memeq(x->MVdbl.lpdbl, y->MVdbl.lpdbl, 8 * (size_t)x->MVdbl.cValues);
	case PT_MV_APPTIME: return x->MVat.cValues == y->MVat.cValues && memeq(x->MVat.lpat, y->MVat.lpat, 8 * (size_t)x->MVat.cValues);
	case PT_MV_CURRENCY: return x->MVcur.cValues == y->MVcur.cValues && memeq(x->MVcur.lpcur, y->MVcur.lpcur, 8 * (size_t)x->MVcur.cValues);
	case PT_MV_SYSTIME: return x->MVft.cValues == y->MVft.cValues && memeq(x->MVft.lpft, y->MVft.lpft, 8 * (size_t)x->MVft.cValues);
	case PT_MV_I8: return x->MVli.cValues == y->MVli.cValues && memeq(x->MVli.lpli, y->MVli.lpli, 8 * (size_t)x->MVli.cValues);
	case PT_MV_CLSID: return x->MVguid.cValues == y->MVguid.cValues && memeq(x->MVguid.lpguid, y->MVguid.lpguid, 16 * (size_t)x->MVguid.cValues);
	case PT_MV_STRING8:
		if (x->MVszA.cValues != y->MVszA.cValues)
			return FALSE;
		for (ULONG i = 0; i < x->MVszA.cValues; i++)
			if (strcmp(x->MVszA.lppszA[i], y->MVszA.lppszA[i]))
				return FALSE;
		return TRUE;
	case PT_MV_UNICODE:
		if (x->MVszW.cValues != y->MVszW.cValues)
			return FALSE;
		for (ULONG i = 0; i < x->MVszW.cValues; i++) {
			const WCHAR *p = x->MVszW.lppszW[i], *q = y->MVszW.lppszW[i];
			if (wlen(p) != wlen(q) || memcmp(p, q, 2 * (size_t)wlen(p)))
				return FALSE;
		}
		return TRUE;
	case PT_MV_BINARY:
		if (x->MVbin.cValues != y->MVbin.cValues)
			return FALSE;
		for (ULONG i = 0; i < x->MVbin.cValues; i++)
			if (!bin_equal(&x->MVbin.lpbin[i], &y->MVbin.lpbin[i]))
				return FALSE;
		return TRUE;
	default:
		return FALSE;
	}
}

static BOOL props_equal(ULONG n, const SPropValue *a, const SPropValue *b)
{
	for (ULONG i = 0; i < n; i++)
		if (!prop_equal(&a[i], &b[i]))
			return FALSE;
	return TRUE;
}

static BOOL res_equal(const SRestriction *a, const SRestriction *b)
{
	if (!a || !b)
		return a == b;
	if (a->rt != b->rt)
		return FALSE;
	switch (a->rt) {
	case RES_AND: case RES_OR:
		if (a->res.resAnd.cRes != b->res.resAnd.cRes)
			return FALSE;
		for (ULONG i = 0; i < a->res.resAnd.cRes; i++)
			if (!res_equal(&a->res.resAnd.lpRes[i], &b->res.resAnd.lpRes[i]))
				return FALSE;
		return TRUE;
	case RES_NOT: return res_equal(a->res.resNot.lpRes, b->res.resNot.lpRes);
	case RES_CONTENT:
		return a->res.resContent.ulFuzzyLevel == b->res.resContent.ulFuzzyLevel &&
		       a->res.resContent.ulPropTag == b->res.resContent.ulPropTag &&
		       prop_equal(a->res.resContent.lpProp, b->res.resContent.lpProp);
	case RES_PROPERTY:
		return a->res.resProperty.relop == b->res.resProperty.relop &&
		       a->res.resProperty.ulPropTag == b->res.resProperty.ulPropTag &&
		       prop_equal(a->res.resProperty.lpProp, b->res.resProperty.lpProp);
	case RES_COMPAREPROPS:
		return !memcmp(&a->res.resCompareProps, &b->res.resCompareProps, sizeof a->res.resCompareProps);
	case RES_BITMASK: return !memcmp(&a->res.resBitMask, &b->res.resBitMask, sizeof a->res.resBitMask);
	case RES_SIZE: return !memcmp(&a->res.resSize, &b->res.resSize, sizeof a->res.resSize);
	case RES_EXIST: return a->res.resExist.ulPropTag == b->res.resExist.ulPropTag;
	case RES_SUBRESTRICTION:
		return a->res.resSub.ulSubObject == b->res.resSub.ulSubObject &&
		       res_equal(a->res.resSub.lpRes, b->res.resSub.lpRes);
	case RES_COUNT:
		return a->res.resCount.ulCount == b->res.resCount.ulCount &&
		       res_equal(a->res.resCount.lpRes, b->res.resCount.lpRes);
	case RES_COMMENT: case RES_ANNOTATION:
		return a->res.resComment.cValues == b->res.resComment.cValues &&
		       props_equal(a->res.resComment.cValues, a->res.resComment.lpProp, b->res.resComment.lpProp) &&
		       res_equal(a->res.resComment.lpRes, b->res.resComment.lpRes);
	default:
		return FALSE;
	}
}

/* ---- fixtures --------------------------------------------------------------- */

static const GUID guid_a = {0x01020304, 0x0506, 0x0708, {9, 10, 11, 12, 13, 14, 15, 16}};
static GUID guid_b = {0xA1B2C3D4, 0xE5F6, 0x0718, {0x29, 0x3A, 0x4B, 0x5C, 0x6D, 0x7E, 0x8F, 0x90}};
static BYTE bin_bytes[] = {0x00, 0xFF, 0x10, 0x00, 0x7F};
static char str_a[] = "Hello, wire";
static WCHAR wstr_a[] = u"Gr\u00FC\u00DFe \U0001F600";

/* Every single-valued type, with values that expose byte-order mistakes. */
static ULONG make_singles(SPropValue *p)
{
	ULONG n = 0;
	memset(p, 0, 24 * sizeof *p);
	p[n].ulPropTag = TAG(PT_NULL, 0x6601); n++;
	p[n].ulPropTag = TAG(PT_I2, 0x6602); p[n].Value.i = -12345; n++;
	p[n].ulPropTag = TAG(PT_LONG, 0x6603); p[n].Value.l = -0x12345678; n++;
	p[n].ulPropTag = TAG(PT_R4, 0x6604); p[n].Value.flt = -1.5e-3f; n++;
	p[n].ulPropTag = TAG(PT_DOUBLE, 0x6605); p[n].Value.dbl = 3.141592653589793; n++;
	p[n].ulPropTag = TAG(PT_CURRENCY, 0x6606); p[n].Value.cur.int64 = -123456789012345LL; n++;
	p[n].ulPropTag = TAG(PT_APPTIME, 0x6607); p[n].Value.at = 45000.25; n++;
	p[n].ulPropTag = TAG(PT_ERROR, 0x6608); p[n].Value.err = MAPI_E_NOT_FOUND; n++;
	p[n].ulPropTag = TAG(PT_BOOLEAN, 0x6609); p[n].Value.b = 1; n++;
	p[n].ulPropTag = TAG(PT_BOOLEAN, 0x660A); p[n].Value.b = 0; n++;
	p[n].ulPropTag = TAG(PT_OBJECT, 0x660B); n++;
	p[n].ulPropTag = TAG(PT_I8, 0x660C); p[n].Value.li.QuadPart = 0x0123456789ABCDEFLL; n++;
	p[n].ulPropTag = TAG(PT_STRING8, 0x660D); p[n].Value.lpszA = str_a; n++;
	p[n].ulPropTag = TAG(PT_UNICODE, 0x660E); p[n].Value.lpszW = wstr_a; n++;
	p[n].ulPropTag = TAG(PT_SYSTIME, 0x660F); p[n].Value.ft = (FILETIME){0x89ABCDEF, 0x01D9F00D}; n++;
	p[n].ulPropTag = TAG(PT_CLSID, 0x6610); p[n].Value.lpguid = &guid_b; n++;
	p[n].ulPropTag = TAG(PT_BINARY, 0x6611); p[n].Value.bin = (SBinary){sizeof bin_bytes, bin_bytes}; n++;
	p[n].ulPropTag = TAG(PT_SVREID, 0x6612); p[n].Value.bin = (SBinary){3, bin_bytes}; n++;
	p[n].ulPropTag = TAG(PT_STRING8, 0x6613); p[n].Value.lpszA = ""; n++;
	p[n].ulPropTag = TAG(PT_UNICODE, 0x6614); p[n].Value.lpszW = u""; n++;
	p[n].ulPropTag = TAG(PT_BINARY, 0x6615); p[n].Value.bin = (SBinary){0, NULL}; n++;
	return n;
}

static short mv_i2[] = {1, -2, 32767};
static LONG mv_l[] = {7, -8, 0x7FFFFFFF};
static float mv_flt[] = {1.25f, -0.0f, 1e30f};
static double mv_dbl[] = {-2.5, 1e-300};
static CURRENCY mv_cur[2] = {{.int64 = 1}, {.int64 = -99999999}};
static double mv_at[] = {1.0, 2.5, 3.75};
static FILETIME mv_ft[] = {{1, 2}, {0xFFFFFFFF, 0x7FFFFFFF}};
static char mv_s0[] = "one", mv_s1[] = "", mv_s2[] = "three";
static LPSTR mv_sz[] = {mv_s0, mv_s1, mv_s2};
static WCHAR mv_w0[] = u"\u00E9t\u00E9", mv_w1[] = u"", mv_w2[] = u"\U00010348";
static LPWSTR mv_wsz[] = {mv_w0, mv_w1, mv_w2};
static SBinary mv_bin[3] = {{5, bin_bytes}, {0, NULL}, {1, bin_bytes + 1}};
static GUID mv_guid[2] = {{1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}}, {0xFFFFFFFF, 0xFFFF, 0, {0}}};
static LARGE_INTEGER mv_li[2] = {{.QuadPart = -1}, {.QuadPart = 0x1122334455667788LL}};

/* Every multi-valued type (and one empty array). */
static ULONG make_multis(SPropValue *p)
{
	ULONG n = 0;
	memset(p, 0, 16 * sizeof *p);
	p[n].ulPropTag = TAG(PT_MV_I2, 0x6701); p[n].Value.MVi = (SShortArray){3, mv_i2}; n++;
	p[n].ulPropTag = TAG(PT_MV_LONG, 0x6702); p[n].Value.MVl = (SLongArray){3, mv_l}; n++;
	p[n].ulPropTag = TAG(PT_MV_R4, 0x6703); p[n].Value.MVflt = (SRealArray){3, mv_flt}; n++;
	p[n].ulPropTag = TAG(PT_MV_DOUBLE, 0x6704); p[n].Value.MVdbl = (SDoubleArray){2, mv_dbl}; n++;
	p[n].ulPropTag = TAG(PT_MV_CURRENCY, 0x6705); p[n].Value.MVcur = (SCurrencyArray){2, mv_cur}; n++;
	p[n].ulPropTag = TAG(PT_MV_APPTIME, 0x6706); p[n].Value.MVat = (SAppTimeArray){3, mv_at}; n++;
	p[n].ulPropTag = TAG(PT_MV_SYSTIME, 0x6707); p[n].Value.MVft = (SDateTimeArray){2, mv_ft}; n++;
	p[n].ulPropTag = TAG(PT_MV_STRING8, 0x6708); p[n].Value.MVszA = (SLPSTRArray){3, mv_sz}; n++;
	p[n].ulPropTag = TAG(PT_MV_BINARY, 0x6709); p[n].Value.MVbin = (SBinaryArray){3, mv_bin}; n++;
	p[n].ulPropTag = TAG(PT_MV_UNICODE, 0x670A); p[n].Value.MVszW = (SWStringArray){3, mv_wsz}; n++;
	p[n].ulPropTag = TAG(PT_MV_CLSID, 0x670B); p[n].Value.MVguid = (SGuidArray){2, mv_guid}; n++;
	p[n].ulPropTag = TAG(PT_MV_I8, 0x670C); p[n].Value.MVli = (SLargeIntegerArray){2, mv_li}; n++;
	p[n].ulPropTag = TAG(PT_MV_LONG, 0x670D); p[n].Value.MVl = (SLongArray){0, NULL}; n++;
	p[n].ulPropTag = TAG(PT_MV_UNICODE, 0x670E); p[n].Value.MVszW = (SWStringArray){0, NULL}; n++;
	/* A table row's instance of a multi-valued column: one value. */
	p[n].ulPropTag = MVI_PROP(TAG(PT_MV_UNICODE, 0x670F)); p[n].Value.lpszW = mv_w0; n++;
	p[n].ulPropTag = MVI_PROP(TAG(PT_MV_LONG, 0x6710)); p[n].Value.l = 42; n++;
	return n;
}

/* A tree that uses every restriction type, several levels deep. */
static SPropValue r_vals[6];
static SRestriction r_leaf[16];
static SRestriction r_inner[4];
static SRestriction r_top;

static const SRestriction *make_restriction(void)
{
	memset(r_vals, 0, sizeof r_vals);
	memset(r_leaf, 0, sizeof r_leaf);
	memset(r_inner, 0, sizeof r_inner);
	r_vals[0].ulPropTag = TAG(PT_UNICODE, 0x0037); r_vals[0].Value.lpszW = u"report";
	r_vals[1].ulPropTag = TAG(PT_LONG, 0x0E08); r_vals[1].Value.l = 1024;
	r_vals[2].ulPropTag = TAG(PT_STRING8, 0x8001); r_vals[2].Value.lpszA = "named:Keywords";
	r_vals[3].ulPropTag = TAG(PT_CLSID, 0x8002); r_vals[3].Value.lpguid = &guid_b;
	/* PT_SRESTRICT value holding RES_EXIST */
	r_leaf[10].rt = RES_EXIST; r_leaf[10].res.resExist.ulPropTag = TAG(PT_BINARY, 0x0FFF);
	r_vals[4].ulPropTag = TAG(PT_SRESTRICT, 0x0E99); r_vals[4].Value.lpszA = (LPSTR)(void *)&r_leaf[10];
	r_vals[5].ulPropTag = TAG(PT_MV_UNICODE, 0x8003); r_vals[5].Value.MVszW = (SWStringArray){3, mv_wsz};

	r_leaf[0].rt = RES_CONTENT;
	r_leaf[0].res.resContent = (SContentRestriction){FL_SUBSTRING | FL_IGNORECASE, TAG(PT_UNICODE, 0x0037), &r_vals[0]};
	r_leaf[1].rt = RES_PROPERTY;
	r_leaf[1].res.resProperty = (SPropertyRestriction){RELOP_GE, TAG(PT_LONG, 0x0E08), &r_vals[1]};
	r_leaf[2].rt = RES_COMPAREPROPS;
	r_leaf[2].res.resCompareProps = (SComparePropsRestriction){RELOP_NE, TAG(PT_LONG, 1), TAG(PT_LONG, 2)};
	r_leaf[3].rt = RES_BITMASK;
	r_leaf[3].res.resBitMask = (SBitMaskRestriction){BMR_NEZ, TAG(PT_LONG, 0x0E07), 0x80000001};
	r_leaf[4].rt = RES_SIZE;
	r_leaf[4].res.resSize = (SSizeRestriction){RELOP_LT, TAG(PT_BINARY, 0x1000), 0x00ABCDEF};
	r_leaf[5].rt = RES_EXIST;
	r_leaf[5].res.resExist.ulPropTag = TAG(PT_UNICODE, 0x1000);
	r_leaf[6].rt = RES_EXIST;
	r_leaf[6].res.resExist.ulPropTag = TAG(PT_STRING8, 0x3001);
	r_leaf[7].rt = RES_PROPERTY; /* a restriction-valued property */
	r_leaf[7].res.resProperty = (SPropertyRestriction){RELOP_EQ, TAG(PT_SRESTRICT, 0x0E99), &r_vals[4]};
	r_leaf[8].rt = RES_CONTENT; /* multi-valued content match */
	r_leaf[8].res.resContent = (SContentRestriction){FL_PREFIX, TAG(PT_MV_UNICODE, 0x8003), &r_vals[5]};

	r_inner[0].rt = RES_OR;
	r_inner[0].res.resOr = (SOrRestriction){2, &r_leaf[0]};
	r_inner[1].rt = RES_NOT;
	r_inner[1].res.resNot.lpRes = &r_leaf[2];
	r_inner[2].rt = RES_SUBRESTRICTION;
	r_inner[2].res.resSub = (SSubRestriction){TAG(PT_OBJECT, 0x0E12), &r_leaf[5]};
	r_inner[3].rt = RES_COUNT;
	r_inner[3].res.resCount = (SCountRestriction){3, &r_leaf[6]};

	/* AND children, contiguous as SAndRestriction requires */
	static SRestriction and_kids[9];
	memset(and_kids, 0, sizeof and_kids);
	and_kids[0] = r_inner[0];
	and_kids[1] = r_inner[1];
	and_kids[2] = r_leaf[3];
	and_kids[3] = r_leaf[4];
	and_kids[4] = r_inner[2];
	and_kids[5] = r_inner[3];
	and_kids[6].rt = RES_COMMENT;
	and_kids[6].res.resComment = (SCommentRestriction){2, &r_leaf[7], &r_vals[2]};
	and_kids[7].rt = RES_COMMENT; /* a comment with no restriction */
	and_kids[7].res.resComment = (SCommentRestriction){0, NULL, NULL};
	and_kids[8].rt = RES_ANNOTATION;
	and_kids[8].res.resAnnotation = (SAnnotationRestriction){1, &r_leaf[8], &r_vals[3]};
	r_top.rt = RES_AND;
	r_top.res.resAnd = (SAndRestriction){9, and_kids};
	return &r_top;
}

static SizedSSortOrderSet(3, sorts) = {3, 1, 1, {{TAG(PT_UNICODE, 0x0037), TABLE_SORT_ASCEND},
                                                 {TAG(PT_SYSTIME, 0x0E06), TABLE_SORT_DESCEND},
                                                 {TAG(PT_LONG, 0x0E08), TABLE_SORT_CATEG_MAX}}};

/* ---- small helpers ------------------------------------------------------ */

static void dump_failure(HRESULT hr)
{
	if (hr != S_OK)
		print_message("hr=0x%08X: %s\n", (unsigned)hr, MAPIXGetLastErrorText());
}

#define assert_ok(expr)                    \
	do {                                   \
		HRESULT hr_ = (expr);              \
		dump_failure(hr_);                 \
		assert_int_equal(hr_, S_OK);       \
	} while (0)

/* Encodes props, decodes them as one array, re-encodes: same bytes. */
static void roundtrip_props(ULONG n, const SPropValue *props)
{
	size_t live = mapix_memory_live_blocks();
	MAPIXWIREBUF b1, b2;
	mapix_wire_buf_init(&b1);
	mapix_wire_buf_init(&b2);
	assert_ok(mapix_wire_put_props(&b1, n, props));
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b1.pb, b1.cb);
	ULONG m = 0;
	LPSPropValue out = NULL;
	assert_ok(mapix_wire_get_props(&c, &m, &out));
	assert_ok(mapix_wire_get_end(&c));
	assert_int_equal(m, n);
	for (ULONG i = 0; i < n; i++) {
		if (!prop_equal(&props[i], &out[i]))
			fail_msg("value %u (tag 0x%08X) differs after the round trip", (unsigned)i, (unsigned)props[i].ulPropTag);
	}
	assert_ok(mapix_wire_put_props(&b2, m, out));
	assert_int_equal(b1.cb, b2.cb);
	assert_memory_equal(b1.pb, b2.pb, b1.cb);
	MAPIFreeBuffer(out);
	mapix_wire_buf_free(&b1);
	mapix_wire_buf_free(&b2);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_primitives(void **state)
{
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_u8(&b, 0xAB));
	assert_ok(mapix_wire_put_u16(&b, 0x1234));
	assert_ok(mapix_wire_put_u32(&b, 0xDEADBEEF));
	assert_ok(mapix_wire_put_u64(&b, 0x0102030405060708ULL));
	assert_ok(mapix_wire_put_bytes(&b, "xyz", 3));
	static const BYTE expect[] = {0xAB, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE, 8, 7, 6, 5, 4, 3, 2, 1, 'x', 'y', 'z'};
	assert_int_equal(b.cb, sizeof expect);
	assert_memory_equal(b.pb, expect, sizeof expect);

	MAPIXWIRECURSOR c;
	BYTE u8;
	WORD u16;
	ULONG u32;
	ULONGLONG u64;
	const BYTE *pb;
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	assert_ok(mapix_wire_get_u8(&c, &u8));
	assert_ok(mapix_wire_get_u16(&c, &u16));
	assert_ok(mapix_wire_get_u32(&c, &u32));
	assert_ok(mapix_wire_get_u64(&c, &u64));
	assert_int_equal(mapix_wire_get_end(&c), MAPI_E_CORRUPT_DATA);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "offset 15"));
	assert_ok(mapix_wire_get_bytes(&c, 3, &pb));
	assert_ok(mapix_wire_get_end(&c));
	assert_int_equal(u8, 0xAB);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(u32, 0xDEADBEEF);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_memory_equal(pb, "xyz", 3);
	assert_int_equal(mapix_wire_get_u8(&c, &u8), MAPI_E_CORRUPT_DATA);
	assert_int_equal(mapix_wire_get_bytes(&c, 1, &pb), MAPI_E_CORRUPT_DATA);
	assert_int_equal(mapix_wire_cursor_left(&c), 0);

	/* A short read fails and does not move the cursor. */
	mapix_wire_cursor_init(&c, b.pb, 3);
	assert_int_equal(mapix_wire_get_u32(&c, &u32), MAPI_E_CORRUPT_DATA);
	assert_int_equal(c.off, 0);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "offset 0"));

	mapix_wire_buf_reset(&b);
	assert_int_equal(b.cb, 0);
	mapix_wire_buf_free(&b);
	assert_null(b.pb);
}

/* The layouts docs/formats.md promises, byte for byte. */
static void test_golden_bytes(void **state)
{
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	SPropValue v = {.ulPropTag = TAG(PT_LONG, 0x0E07)};
	v.Value.l = 0x11223344;
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e1[] = {0x03, 0x00, 0x07, 0x0E, 0x44, 0x33, 0x22, 0x11};
	assert_int_equal(b.cb, sizeof e1);
	assert_memory_equal(b.pb, e1, sizeof e1);

	mapix_wire_buf_reset(&b);
	v.ulPropTag = TAG(PT_UNICODE, 0x0037);
	v.Value.lpszW = u"Hi\u00E9";
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e2[] = {0x1F, 0x00, 0x37, 0x00, 3, 0, 0, 0, 'H', 0, 'i', 0, 0xE9, 0};
	assert_int_equal(b.cb, sizeof e2);
	assert_memory_equal(b.pb, e2, sizeof e2);

	mapix_wire_buf_reset(&b);
	v.ulPropTag = TAG(PT_STRING8, 0x001A);
	v.Value.lpszA = "IPM";
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e3[] = {0x1E, 0x00, 0x1A, 0x00, 3, 0, 0, 0, 'I', 'P', 'M'};
	assert_int_equal(b.cb, sizeof e3);
	assert_memory_equal(b.pb, e3, sizeof e3);

	mapix_wire_buf_reset(&b);
	v.ulPropTag = TAG(PT_BOOLEAN, 0x0E1B);
	v.Value.b = 7; /* any non-zero is TRUE, written as 1 */
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e4[] = {0x0B, 0x00, 0x1B, 0x0E, 0x01};
	assert_int_equal(b.cb, sizeof e4);
	assert_memory_equal(b.pb, e4, sizeof e4);

	mapix_wire_buf_reset(&b);
	v.ulPropTag = TAG(PT_CLSID, 0x6610);
	v.Value.lpguid = (LPGUID)&guid_a;
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e5[] = {0x48, 0x00, 0x10, 0x66, 4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16};
	assert_int_equal(b.cb, sizeof e5);
	assert_memory_equal(b.pb, e5, sizeof e5);

	mapix_wire_buf_reset(&b);
	v.ulPropTag = TAG(PT_MV_I2, 0x6701);
	v.Value.MVi = (SShortArray){3, mv_i2};
	assert_ok(mapix_wire_put_propval(&b, &v));
	static const BYTE e6[] = {0x02, 0x10, 0x01, 0x67, 3, 0, 0, 0, 1, 0, 0xFE, 0xFF, 0xFF, 0x7F};
	assert_int_equal(b.cb, sizeof e6);
	assert_memory_equal(b.pb, e6, sizeof e6);

	/* NOT(EXIST tag) and "no restriction" */
	mapix_wire_buf_reset(&b);
	SRestriction ex = {.rt = RES_EXIST}, no = {.rt = RES_NOT};
	ex.res.resExist.ulPropTag = 0x0037001F;
	no.res.resNot.lpRes = &ex;
	assert_ok(mapix_wire_put_restriction(&b, &no));
	assert_ok(mapix_wire_put_restriction(&b, NULL));
	static const BYTE e7[] = {0x02, 0x08, 0x1F, 0x00, 0x37, 0x00, 0xFF};
	assert_int_equal(b.cb, sizeof e7);
	assert_memory_equal(b.pb, e7, sizeof e7);

	/* sort order set */
	mapix_wire_buf_reset(&b);
	SizedSSortOrderSet(1, one) = {1, 0, 0, {{0x0E060040, TABLE_SORT_DESCEND}}};
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&one));
	static const BYTE e8[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00, 0x06, 0x0E, 0x01};
	assert_int_equal(b.cb, sizeof e8);
	assert_memory_equal(b.pb, e8, sizeof e8);
	mapix_wire_buf_free(&b);
}

static void test_every_single_type(void **state)
{
	SPropValue p[24];
	ULONG n = make_singles(p);
	roundtrip_props(n, p);

	/* and one at a time through mapix_wire_get_propval with a parent */
	for (ULONG i = 0; i < n; i++) {
		MAPIXWIREBUF b;
		mapix_wire_buf_init(&b);
		assert_ok(mapix_wire_put_propval(&b, &p[i]));
		LPSPropValue out;
		assert_int_equal(MAPIAllocateBuffer(sizeof *out, (void **)&out), S_OK);
		MAPIXWIRECURSOR c;
		mapix_wire_cursor_init(&c, b.pb, b.cb);
		assert_ok(mapix_wire_get_propval(&c, out, out));
		assert_ok(mapix_wire_get_end(&c));
		assert_true(prop_equal(&p[i], out));
		MAPIFreeBuffer(out);
		mapix_wire_buf_free(&b);
	}
}

static void test_every_multi_type(void **state)
{
	SPropValue p[16];
	ULONG n = make_multis(p);
	roundtrip_props(n, p);
}

static void test_empty_values(void **state)
{
	SPropValue p[3] = {{.ulPropTag = TAG(PT_STRING8, 1)}, {.ulPropTag = TAG(PT_UNICODE, 2)}, {.ulPropTag = TAG(PT_BINARY, 3)}};
	p[0].Value.lpszA = "";
	p[1].Value.lpszW = u"";
	p[2].Value.bin = (SBinary){0, bin_bytes}; /* cb 0: lpb is not read */
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_props(&b, 3, p));
	assert_int_equal(b.cb, 4 + 3 * 8); /* count, then tag + zero length each */
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	ULONG n;
	LPSPropValue out;
	assert_ok(mapix_wire_get_props(&c, &n, &out));
	assert_string_equal(out[0].Value.lpszA, "");
	assert_int_equal(out[1].Value.lpszW[0], 0);
	assert_int_equal(out[2].Value.bin.cb, 0);
	MAPIFreeBuffer(out);

	/* an empty property array decodes to no array at all */
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_props(&b, 0, NULL));
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	assert_ok(mapix_wire_get_props(&c, &n, &out));
	assert_int_equal(n, 0);
	assert_null(out);
	mapix_wire_buf_free(&b);
}

/* Lengths beyond the 16-bit COUNTs of ROP buffers. */
static void test_large_values(void **state)
{
	const size_t big = 1024 * 1024;
	const size_t nchars = 100000;
	BYTE *blob = malloc(big);
	WCHAR *ws = malloc((nchars + 1) * sizeof *ws);
	char *s8 = malloc(nchars + 1);
	assert_non_null(blob);
	assert_non_null(ws);
	assert_non_null(s8);
	for (size_t i = 0; i < big; i++)
		blob[i] = (BYTE)(i * 7 + (i >> 9));
	for (size_t i = 0; i < nchars; i++) {
		ws[i] = (WCHAR)(0x20 + (i % 0xD000));
		s8[i] = (char)('a' + i % 26);
	}
	ws[nchars] = 0;
	s8[nchars] = 0;
	SPropValue p[3] = {{.ulPropTag = TAG(PT_BINARY, 0x1000)}, {.ulPropTag = TAG(PT_UNICODE, 0x1001)},
	                   {.ulPropTag = TAG(PT_STRING8, 0x1002)}};
	p[0].Value.bin = (SBinary){(ULONG)big, blob};
	p[1].Value.lpszW = ws;
	p[2].Value.lpszA = s8;

	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_propval(&b, &p[0]));
	static const BYTE len_1mib[] = {0x00, 0x00, 0x10, 0x00};
	assert_memory_equal(b.pb + 4, len_1mib, 4);
	assert_int_equal(b.cb, 8 + big);
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_propval(&b, &p[1]));
	static const BYTE len_100k[] = {0xA0, 0x86, 0x01, 0x00};
	assert_memory_equal(b.pb + 4, len_100k, 4);
	assert_int_equal(b.cb, 8 + 2 * nchars);
	mapix_wire_buf_free(&b);

	roundtrip_props(3, p);
	free(blob);
	free(ws);
	free(s8);
}

static void test_restrictions(void **state)
{
	size_t live = mapix_memory_live_blocks();
	const SRestriction *res = make_restriction();
	MAPIXWIREBUF b1, b2;
	mapix_wire_buf_init(&b1);
	mapix_wire_buf_init(&b2);
	assert_ok(mapix_wire_put_restriction(&b1, res));
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b1.pb, b1.cb);
	LPSRestriction out = NULL;
	assert_ok(mapix_wire_get_restriction(&c, &out));
	assert_ok(mapix_wire_get_end(&c));
	assert_non_null(out);
	assert_true(res_equal(res, out));
	assert_ok(mapix_wire_put_restriction(&b2, out));
	assert_int_equal(b1.cb, b2.cb);
	assert_memory_equal(b1.pb, b2.pb, b1.cb);
	MAPIFreeBuffer(out);

	/* each restriction type alone as the whole restriction */
	for (int i = 0; i < 9; i++) {
		mapix_wire_buf_reset(&b1);
		assert_ok(mapix_wire_put_restriction(&b1, &r_top.res.resAnd.lpRes[i]));
		mapix_wire_cursor_init(&c, b1.pb, b1.cb);
		assert_ok(mapix_wire_get_restriction(&c, &out));
		assert_true(res_equal(&r_top.res.resAnd.lpRes[i], out));
		MAPIFreeBuffer(out);
	}

	/* no restriction at all */
	mapix_wire_buf_reset(&b1);
	assert_ok(mapix_wire_put_restriction(&b1, NULL));
	assert_int_equal(b1.cb, 1);
	mapix_wire_cursor_init(&c, b1.pb, b1.cb);
	out = (LPSRestriction)&c;
	assert_ok(mapix_wire_get_restriction(&c, &out));
	assert_null(out);
	assert_ok(mapix_wire_get_end(&c));

	/* a PT_SRESTRICT value may be empty too */
	SPropValue v = {.ulPropTag = TAG(PT_SRESTRICT, 0x0E99)};
	v.Value.lpszA = NULL;
	roundtrip_props(1, &v);

	mapix_wire_buf_free(&b1);
	mapix_wire_buf_free(&b2);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void test_sortorderset(void **state)
{
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&sorts));
	assert_int_equal(b.cb, 12 + 3 * 5);
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	LPSSortOrderSet out;
	assert_ok(mapix_wire_get_sortorderset(&c, &out));
	assert_ok(mapix_wire_get_end(&c));
	assert_int_equal(out->cSorts, 3);
	assert_int_equal(out->cCategories, 1);
	assert_int_equal(out->cExpanded, 1);
	assert_memory_equal(out->aSort, sorts.aSort, sizeof sorts.aSort);
	MAPIFreeBuffer(out);

	/* empty set */
	SizedSSortOrderSet(1, none) = {0, 0, 0, {{0, 0}}};
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&none));
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	assert_ok(mapix_wire_get_sortorderset(&c, &out));
	assert_int_equal(out->cSorts, 0);
	MAPIFreeBuffer(out);

	/* more categories than sorts: refused both ways */
	SizedSSortOrderSet(1, bad) = {1, 2, 0, {{TAG(PT_LONG, 1), 0}}};
	mapix_wire_buf_reset(&b);
	assert_int_equal(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&bad), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(b.cb, 0);
	static const BYTE badwire[] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0};
	mapix_wire_cursor_init(&c, badwire, sizeof badwire);
	assert_int_equal(mapix_wire_get_sortorderset(&c, &out), MAPI_E_CORRUPT_DATA);
	assert_null(out);
	/* an order that does not fit its byte */
	SizedSSortOrderSet(1, wide) = {1, 0, 0, {{TAG(PT_LONG, 1), 0x100}}};
	assert_int_equal(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&wide), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(b.cb, 0);
	mapix_wire_buf_free(&b);
}

static void test_proptags(void **state)
{
	SizedSPropTagArray(4, tags) = {4, {TAG(PT_UNICODE, 0x37), TAG(PT_LONG, 0x0E08), MVI_PROP(TAG(PT_MV_UNICODE, 0x8000)), 0}};
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_proptags(&b, (LPSPropTagArray)&tags));
	assert_int_equal(b.cb, 4 + 16);
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	LPSPropTagArray out;
	assert_ok(mapix_wire_get_proptags(&c, &out));
	assert_int_equal(out->cValues, 4);
	assert_memory_equal(out->aulPropTag, tags.aulPropTag, sizeof tags.aulPropTag);
	MAPIFreeBuffer(out);
	mapix_wire_buf_free(&b);
}

static void test_rows_and_rowsets(void **state)
{
	size_t live = mapix_memory_live_blocks();
	SPropValue singles[24], multis[16];
	ULONG ns = make_singles(singles), nm = make_multis(multis);
	SizedSRowSet(3, rs) = {3, {{0, ns, singles}, {0, 0, NULL}, {0, nm, multis}}};

	MAPIXWIREBUF b, b2;
	mapix_wire_buf_init(&b);
	mapix_wire_buf_init(&b2);
	assert_ok(mapix_wire_put_row(&b, &rs.aRow[0]));
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	SRow row;
	assert_ok(mapix_wire_get_row(&c, &row));
	assert_int_equal(row.cValues, ns);
	assert_true(props_equal(ns, singles, row.lpProps));
	MAPIFreeBuffer(row.lpProps);

	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_rowset(&b, (LPSRowSet)&rs));
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	LPSRowSet out;
	assert_ok(mapix_wire_get_rowset(&c, &out));
	assert_ok(mapix_wire_get_end(&c));
	assert_int_equal(out->cRows, 3);
	const SRow *orow = out->aRow; /* aRow is declared with MAPI_DIM (1) entries */
	assert_int_equal(orow[1].cValues, 0);
	assert_true(props_equal(ns, singles, orow[0].lpProps));
	assert_true(props_equal(nm, multis, orow[2].lpProps));
	assert_ok(mapix_wire_put_rowset(&b2, out));
	assert_int_equal(b.cb, b2.cb);
	assert_memory_equal(b.pb, b2.pb, b.cb);
	FreeProws(out); /* each row is its own root, as FreeProws expects */

	/* an empty row set */
	SizedSRowSet(1, empty) = {0, {{0, 0, NULL}}};
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_rowset(&b, (LPSRowSet)&empty));
	mapix_wire_cursor_init(&c, b.pb, b.cb);
	assert_ok(mapix_wire_get_rowset(&c, &out));
	assert_int_equal(out->cRows, 0);
	FreeProws(out);

	mapix_wire_buf_free(&b);
	mapix_wire_buf_free(&b2);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

/* ---- decoder defences --------------------------------------------------- */

enum kind { K_PROPS, K_PROPVAL, K_TAGS, K_ROW, K_ROWSET, K_RES, K_SORT };

/* Decodes one structure of the given kind; frees it on success. */
static HRESULT decode_kind(enum kind k, const BYTE *pb, size_t cb, BOOL whole)
{
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, pb, cb);
	HRESULT hr;
	switch (k) {
	case K_PROPS: {
		ULONG n;
		LPSPropValue p = NULL;
		hr = mapix_wire_get_props(&c, &n, &p);
		if (hr == S_OK)
			MAPIFreeBuffer(p);
		break;
	}
	case K_PROPVAL: {
		LPSPropValue p;
		assert_int_equal(MAPIAllocateBuffer(sizeof *p, (void **)&p), S_OK);
		hr = mapix_wire_get_propval(&c, p, p);
		MAPIFreeBuffer(p);
		break;
	}
	case K_TAGS: {
		LPSPropTagArray t = NULL;
		hr = mapix_wire_get_proptags(&c, &t);
		if (hr == S_OK)
			MAPIFreeBuffer(t);
		break;
	}
	case K_ROW: {
		SRow r;
		hr = mapix_wire_get_row(&c, &r);
		if (hr == S_OK)
			MAPIFreeBuffer(r.lpProps);
		break;
	}
	case K_ROWSET: {
		LPSRowSet r = NULL;
		hr = mapix_wire_get_rowset(&c, &r);
		if (hr == S_OK)
			FreeProws(r);
		break;
	}
	case K_RES: {
		LPSRestriction r = NULL;
		hr = mapix_wire_get_restriction(&c, &r);
		if (hr == S_OK)
			MAPIFreeBuffer(r);
		break;
	}
	default: {
		LPSSortOrderSet s = NULL;
		hr = mapix_wire_get_sortorderset(&c, &s);
		if (hr == S_OK)
			MAPIFreeBuffer(s);
		break;
	}
	}
	if (hr != S_OK)
		assert_int_equal(c.off, 0); /* a failed read does not move the cursor */
	if (hr == S_OK && whole)
		hr = mapix_wire_get_end(&c);
	return hr;
}

/* Every proper prefix of a valid encoding is refused, without a leak. */
static void check_every_prefix(enum kind k, const MAPIXWIREBUF *b)
{
	size_t live = mapix_memory_live_blocks();
	assert_ok(decode_kind(k, b->pb, b->cb, TRUE));
	for (size_t len = 0; len < b->cb; len++) {
		/* a copy of exactly len bytes, so ASan sees any over-read */
		BYTE *copy = malloc(len ? len : 1);
		memcpy(copy, b->pb, len);
		HRESULT hr = decode_kind(k, copy, len, FALSE);
		if (hr != MAPI_E_CORRUPT_DATA)
			fail_msg("kind %d: prefix of %zu/%zu bytes gave 0x%08X", (int)k, len, b->cb, (unsigned)hr);
		assert_non_null(strstr(MAPIXGetLastErrorText(), "offset"));
		free(copy);
	}
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void test_truncation_every_offset(void **state)
{
	SPropValue singles[24], multis[16];
	ULONG ns = make_singles(singles), nm = make_multis(multis);
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);

	assert_ok(mapix_wire_put_props(&b, ns, singles));
	check_every_prefix(K_PROPS, &b);
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_props(&b, nm, multis));
	check_every_prefix(K_PROPS, &b);
	check_every_prefix(K_ROW, &b);
	for (ULONG i = 0; i < nm; i++) {
		mapix_wire_buf_reset(&b);
		assert_ok(mapix_wire_put_propval(&b, &multis[i]));
		check_every_prefix(K_PROPVAL, &b);
	}
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_restriction(&b, make_restriction()));
	check_every_prefix(K_RES, &b);
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&sorts));
	check_every_prefix(K_SORT, &b);
	mapix_wire_buf_reset(&b);
	SizedSPropTagArray(2, tags) = {2, {TAG(PT_LONG, 1), TAG(PT_BINARY, 2)}};
	assert_ok(mapix_wire_put_proptags(&b, (LPSPropTagArray)&tags));
	check_every_prefix(K_TAGS, &b);
	mapix_wire_buf_reset(&b);
	SizedSRowSet(2, rs) = {2, {{0, ns, singles}, {0, nm, multis}}};
	assert_ok(mapix_wire_put_rowset(&b, (LPSRowSet)&rs));
	check_every_prefix(K_ROWSET, &b);
	mapix_wire_buf_free(&b);
}

/* A count the input cannot hold fails before anything is allocated: with
 * the very next allocation set to fail, the answer is still CORRUPT_DATA. */
static void expect_hostile(enum kind k, const BYTE *pb, size_t cb)
{
	size_t live = mapix_memory_live_blocks();
	/* A propval needs its parent allocated first; a restriction's root
	 * block (32 bytes) is made before its type byte says what follows. */
	if (k == K_RES)
		mapix_memory_fail_after(2);
	else if (k != K_PROPVAL)
		mapix_memory_fail_after(1);
	clock_t t0 = clock();
	HRESULT hr = decode_kind(k, pb, cb, FALSE);
	clock_t t1 = clock();
	mapix_memory_fail_after(0);
	if (hr != MAPI_E_CORRUPT_DATA)
		fail_msg("kind %d: hostile input gave 0x%08X (%s)", (int)k, (unsigned)hr, MAPIXGetLastErrorText());
	assert_true((double)(t1 - t0) / CLOCKS_PER_SEC < 0.5);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void test_hostile_counts(void **state)
{
	static const BYTE props[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0x00, 0x01, 0x00, 0x01, 0x00};
	expect_hostile(K_PROPS, props, sizeof props);
	expect_hostile(K_ROW, props, sizeof props);
	expect_hostile(K_TAGS, props, sizeof props);
	expect_hostile(K_ROWSET, props, sizeof props);
	/* multi-valued counts and lengths */
	static const BYTE mvlong[10] = {0x03, 0x10, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0};
	expect_hostile(K_PROPVAL, mvlong, sizeof mvlong);
	static const BYTE mvbin[10] = {0x02, 0x11, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0};
	expect_hostile(K_PROPVAL, mvbin, sizeof mvbin);
	static const BYTE mvclsid[10] = {0x48, 0x10, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0, 0};
	expect_hostile(K_PROPVAL, mvclsid, sizeof mvclsid);
	static const BYTE str[10] = {0x1F, 0x00, 0x37, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 0};
	expect_hostile(K_PROPVAL, str, sizeof str);
	static const BYTE bin[10] = {0x02, 0x01, 0x00, 0x10, 0x03, 0x00, 0x00, 0x00, 'a', 'b'};
	expect_hostile(K_PROPVAL, bin, sizeof bin);
	/* restriction and sort counts */
	static const BYTE andres[10] = {RES_AND, 0xFF, 0xFF, 0xFF, 0xFF, RES_EXIST, 1, 2, 3, 4};
	expect_hostile(K_RES, andres, sizeof andres);
	static const BYTE comment[10] = {RES_COMMENT, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0, 0, 0, 0};
	expect_hostile(K_RES, comment, sizeof comment);
	static const BYTE sort[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0};
	expect_hostile(K_SORT, sort, sizeof sort);
}

/* n nested NOTs around an EXIST, written by hand (the encoder refuses to
 * go past the limit). */
static BYTE *nested_nots(size_t n, size_t *cb)
{
	BYTE *p = malloc(n + 5);
	memset(p, RES_NOT, n);
	p[n] = RES_EXIST;
	memcpy(p + n + 1, "\x03\x00\x01\x00", 4);
	*cb = n + 5;
	return p;
}

static void test_deep_nesting(void **state)
{
	size_t live = mapix_memory_live_blocks();
	/* MAPIX_WIRE_MAX_DEPTH levels: 63 NOTs around one EXIST */
	SRestriction chain[MAPIX_WIRE_MAX_DEPTH + 1];
	memset(chain, 0, sizeof chain);
	for (int i = 0; i < MAPIX_WIRE_MAX_DEPTH; i++) {
		chain[i].rt = RES_NOT;
		chain[i].res.resNot.lpRes = &chain[i + 1];
	}
	chain[MAPIX_WIRE_MAX_DEPTH].rt = RES_EXIST;
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_restriction(&b, &chain[1]));
	assert_int_equal(decode_kind(K_RES, b.pb, b.cb, TRUE), S_OK);
	/* one level more is refused, and the buffer is left as it was */
	size_t before = b.cb;
	assert_int_equal(mapix_wire_put_restriction(&b, &chain[0]), MAPI_E_TOO_COMPLEX);
	assert_int_equal(b.cb, before);

	size_t cb;
	BYTE *p = nested_nots(MAPIX_WIRE_MAX_DEPTH - 1, &cb);
	assert_int_equal(decode_kind(K_RES, p, cb, TRUE), S_OK);
	free(p);
	p = nested_nots(MAPIX_WIRE_MAX_DEPTH, &cb);
	assert_int_equal(decode_kind(K_RES, p, cb, TRUE), MAPI_E_CORRUPT_DATA);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "nested deeper"));
	free(p);
	/* far deeper: fails at the limit, not by exhausting the stack */
	p = nested_nots(1000000, &cb);
	assert_int_equal(decode_kind(K_RES, p, cb, TRUE), MAPI_E_CORRUPT_DATA);
	free(p);

	/* nesting through PT_SRESTRICT values counts too: a chain of
	 * PROPERTY restrictions whose value is the next restriction */
	SRestriction pr[MAPIX_WIRE_MAX_DEPTH + 1];
	SPropValue pv[MAPIX_WIRE_MAX_DEPTH + 1];
	memset(pr, 0, sizeof pr);
	memset(pv, 0, sizeof pv);
	for (int i = 0; i <= MAPIX_WIRE_MAX_DEPTH; i++) {
		pr[i].rt = RES_PROPERTY;
		pr[i].res.resProperty.relop = RELOP_EQ;
		pr[i].res.resProperty.ulPropTag = TAG(PT_SRESTRICT, 0x0E99);
		pr[i].res.resProperty.lpProp = &pv[i];
		pv[i].ulPropTag = TAG(PT_SRESTRICT, 0x0E99);
		pv[i].Value.lpszA = i < MAPIX_WIRE_MAX_DEPTH ? (LPSTR)(void *)&pr[i + 1] : NULL;
	}
	mapix_wire_buf_reset(&b);
	assert_ok(mapix_wire_put_restriction(&b, &pr[1]));
	assert_int_equal(decode_kind(K_RES, b.pb, b.cb, TRUE), S_OK);
	assert_int_equal(mapix_wire_put_restriction(&b, &pr[0]), MAPI_E_TOO_COMPLEX);
	/* the same depth written by hand: one more level in front */
	/* type, relop, restriction tag, value tag (PT_SRESTRICT 0x00FD, id 0x0E99) */
	static const BYTE head[10] = {RES_PROPERTY, RELOP_EQ, 0xFD, 0x00, 0x99, 0x0E, 0xFD, 0x00, 0x99, 0x0E};
	BYTE *deeper = malloc(b.cb + 10);
	memcpy(deeper, head, sizeof head);
	memcpy(deeper + 10, b.pb, b.cb);
	assert_int_equal(decode_kind(K_RES, deeper, b.cb + 10, TRUE), MAPI_E_CORRUPT_DATA);
	free(deeper);
	mapix_wire_buf_free(&b);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void expect_corrupt(enum kind k, const BYTE *pb, size_t cb, const char *needle)
{
	size_t live = mapix_memory_live_blocks();
	HRESULT hr = decode_kind(k, pb, cb, TRUE);
	if (hr != MAPI_E_CORRUPT_DATA)
		fail_msg("expected MAPI_E_CORRUPT_DATA, got 0x%08X", (unsigned)hr);
	if (needle && !strstr(MAPIXGetLastErrorText(), needle))
		fail_msg("message \"%s\" lacks \"%s\"", MAPIXGetLastErrorText(), needle);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void test_malformed_input(void **state)
{
	static const BYTE badtype[] = {0x09, 0x00, 0x01, 0x00};
	expect_corrupt(K_PROPVAL, badtype, sizeof badtype, "unknown type");
	static const BYTE mvbool[] = {0x0B, 0x10, 0x01, 0x00, 0, 0, 0, 0};
	expect_corrupt(K_PROPVAL, mvbool, sizeof mvbool, "unknown type");
	static const BYTE instance_only[] = {0x03, 0x20, 0x01, 0x00, 0, 0, 0, 0};
	expect_corrupt(K_PROPVAL, instance_only, sizeof instance_only, "unknown type");
	static const BYTE unspecified[] = {0x00, 0x00, 0x01, 0x00};
	expect_corrupt(K_PROPVAL, unspecified, sizeof unspecified, "unknown type");
	static const BYTE bool2[] = {0x0B, 0x00, 0x01, 0x00, 0x02};
	expect_corrupt(K_PROPVAL, bool2, sizeof bool2, "PT_BOOLEAN");
	static const BYTE nul8[] = {0x1E, 0x00, 0x01, 0x00, 3, 0, 0, 0, 'a', 0, 'b'};
	expect_corrupt(K_PROPVAL, nul8, sizeof nul8, "NUL");
	static const BYTE nul16[] = {0x1F, 0x00, 0x01, 0x00, 2, 0, 0, 0, 'a', 0, 0, 0};
	expect_corrupt(K_PROPVAL, nul16, sizeof nul16, "NUL");
	static const BYTE mvnul[] = {0x1F, 0x10, 0x01, 0x00, 2, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 1, 0, 0, 0, 0, 0};
	expect_corrupt(K_PROPVAL, mvnul, sizeof mvnul, "NUL");
	static const BYTE odd16[] = {0x1F, 0x00, 0x01, 0x00, 2, 0, 0, 0, 'a', 0, 'b'};
	expect_corrupt(K_PROPVAL, odd16, sizeof odd16, "PT_UNICODE");
	static const BYTE badres[] = {0x0D, 0, 0, 0, 0};
	expect_corrupt(K_RES, badres, sizeof badres, "unknown restriction type 0x0D");
	static const BYTE nonenested[] = {RES_NOT, MAPIX_WIRE_RES_NONE, 0, 0, 0, 0};
	expect_corrupt(K_RES, nonenested, sizeof nonenested, "unknown restriction type 0xFF at offset 1");
	static const BYTE present2[] = {RES_COMMENT, 0, 0, 0, 0, 2};
	expect_corrupt(K_RES, present2, sizeof present2, "restriction-present");
	static const BYTE trailing[] = {RES_EXIST, 1, 2, 3, 4, 0};
	expect_corrupt(K_RES, trailing, sizeof trailing, "trailing garbage at offset 5");
	static const BYTE empty[1] = {0};
	expect_corrupt(K_PROPS, empty, 0, "offset 0");

	/* PT_ACTIONS is a known type without an encoding: MAPI_E_NO_SUPPORT */
	static const BYTE actions[] = {0xFE, 0x00, 0x01, 0x00, 0, 0, 0, 0};
	assert_int_equal(decode_kind(K_PROPVAL, actions, sizeof actions, TRUE), MAPI_E_NO_SUPPORT);
}

static void test_encoder_rejects(void **state)
{
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_u32(&b, 0x12345678));
	SPropValue v[2];
	memset(v, 0, sizeof v);
	v[0].ulPropTag = TAG(PT_LONG, 1);

	/* each failure leaves the buffer exactly as it was */
	v[1].ulPropTag = TAG(PT_STRING8, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_PARAMETER);
	v[1].ulPropTag = TAG(PT_UNICODE, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_PARAMETER);
	v[1].ulPropTag = TAG(PT_CLSID, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_PARAMETER);
	v[1].ulPropTag = TAG(PT_BINARY, 2);
	v[1].Value.bin.cb = 5;
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_PARAMETER);
	v[1].ulPropTag = TAG(PT_MV_LONG, 2);
	v[1].Value.MVl.cValues = 2;
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_PARAMETER);
	v[1].ulPropTag = TAG(MV_FLAG | PT_BOOLEAN, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_TYPE);
	v[1].ulPropTag = TAG(PT_UNSPECIFIED, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_INVALID_TYPE);
	v[1].ulPropTag = TAG(PT_ACTIONS, 2);
	assert_int_equal(mapix_wire_put_props(&b, 2, v), MAPI_E_NO_SUPPORT);
	assert_int_equal(mapix_wire_put_props(&b, 2, NULL), MAPI_E_INVALID_PARAMETER);

	SRestriction r = {.rt = RES_PROPERTY};
	r.res.resProperty = (SPropertyRestriction){0x100, TAG(PT_LONG, 1), &v[0]};
	assert_int_equal(mapix_wire_put_restriction(&b, &r), MAPI_E_INVALID_PARAMETER);
	r.res.resProperty = (SPropertyRestriction){RELOP_EQ, TAG(PT_LONG, 1), NULL};
	assert_int_equal(mapix_wire_put_restriction(&b, &r), MAPI_E_INVALID_PARAMETER);
	r.rt = 0x42;
	assert_int_equal(mapix_wire_put_restriction(&b, &r), MAPI_E_INVALID_PARAMETER);
	r.rt = RES_NOT;
	r.res.resNot.lpRes = NULL;
	assert_int_equal(mapix_wire_put_restriction(&b, &r), MAPI_E_INVALID_PARAMETER);
	r.rt = RES_OR;
	r.res.resOr = (SOrRestriction){3, NULL};
	assert_int_equal(mapix_wire_put_restriction(&b, &r), MAPI_E_INVALID_PARAMETER);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "mapix_wire_put_restriction"));

	assert_int_equal(b.cb, 4);
	mapix_wire_buf_free(&b);
}

/* Every allocation of a complex decode can fail; each failure is clean. */
static void test_allocation_failure(void **state)
{
	size_t live = mapix_memory_live_blocks();
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	assert_ok(mapix_wire_put_restriction(&b, make_restriction()));
	SPropValue multis[16];
	ULONG nm = make_multis(multis);
	MAPIXWIREBUF b2;
	mapix_wire_buf_init(&b2);
	SizedSRowSet(2, rs) = {2, {{0, nm, multis}, {0, nm, multis}}};
	assert_ok(mapix_wire_put_rowset(&b2, (LPSRowSet)&rs));

	unsigned n;
	for (n = 1; n < 1000; n++) {
		mapix_memory_fail_after(n);
		HRESULT hr = decode_kind(K_RES, b.pb, b.cb, TRUE);
		mapix_memory_fail_after(0);
		if (hr == S_OK)
			break;
		assert_int_equal(hr, MAPI_E_NOT_ENOUGH_MEMORY);
		assert_int_equal(mapix_memory_live_blocks(), live);
	}
	assert_true(n > 5 && n < 1000);
	for (n = 1; n < 1000; n++) {
		mapix_memory_fail_after(n);
		HRESULT hr = decode_kind(K_ROWSET, b2.pb, b2.cb, TRUE);
		mapix_memory_fail_after(0);
		if (hr == S_OK)
			break;
		assert_int_equal(hr, MAPI_E_NOT_ENOUGH_MEMORY);
		assert_int_equal(mapix_memory_live_blocks(), live);
	}
	assert_true(n > 5 && n < 1000);
	mapix_wire_buf_free(&b);
	mapix_wire_buf_free(&b2);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

/* ---- seed corpus for tests/fuzz/fuzz_wire.c --------------------------------
 * Each seed is one byte naming the structure (the fuzz target's order:
 * K_PROPS .. K_SORT) followed by a valid encoding. This test checks that
 * every seed re-encodes to itself; with MAPIX_WIRE_CORPUS_DIR set it also
 * writes them there, named by a hash of their content:
 *   MAPIX_WIRE_CORPUS_DIR=tests/fuzz/corpus/wire ./test_wire
 */

static uint64_t fnv1a(const BYTE *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* Decodes a seed as the fuzz target does and checks that re-encoding gives
 * the same bytes back. */
static void check_seed(const MAPIXWIREBUF *seed)
{
	size_t live = mapix_memory_live_blocks();
	enum kind k = (enum kind)seed->pb[0];
	MAPIXWIRECURSOR c;
	MAPIXWIREBUF out;
	mapix_wire_buf_init(&out);
	mapix_wire_cursor_init(&c, seed->pb + 1, seed->cb - 1);
	switch (k) {
	case K_PROPS: {
		ULONG n;
		LPSPropValue p;
		assert_ok(mapix_wire_get_props(&c, &n, &p));
		assert_ok(mapix_wire_put_props(&out, n, p));
		MAPIFreeBuffer(p);
		break;
	}
	case K_PROPVAL: {
		LPSPropValue p;
		assert_int_equal(MAPIAllocateBuffer(sizeof *p, (void **)&p), S_OK);
		assert_ok(mapix_wire_get_propval(&c, p, p));
		assert_ok(mapix_wire_put_propval(&out, p));
		MAPIFreeBuffer(p);
		break;
	}
	case K_TAGS: {
		LPSPropTagArray t;
		assert_ok(mapix_wire_get_proptags(&c, &t));
		assert_ok(mapix_wire_put_proptags(&out, t));
		MAPIFreeBuffer(t);
		break;
	}
	case K_ROW: {
		SRow r;
		assert_ok(mapix_wire_get_row(&c, &r));
		assert_ok(mapix_wire_put_row(&out, &r));
		MAPIFreeBuffer(r.lpProps);
		break;
	}
	case K_ROWSET: {
		LPSRowSet r;
		assert_ok(mapix_wire_get_rowset(&c, &r));
		assert_ok(mapix_wire_put_rowset(&out, r));
		FreeProws(r);
		break;
	}
	case K_RES: {
		LPSRestriction r;
		assert_ok(mapix_wire_get_restriction(&c, &r));
		assert_ok(mapix_wire_put_restriction(&out, r));
		MAPIFreeBuffer(r);
		break;
	}
	default: {
		LPSSortOrderSet s;
		assert_ok(mapix_wire_get_sortorderset(&c, &s));
		assert_ok(mapix_wire_put_sortorderset(&out, s));
		MAPIFreeBuffer(s);
		break;
	}
	}
	assert_ok(mapix_wire_get_end(&c));
	assert_int_equal(out.cb, seed->cb - 1);
	assert_memory_equal(out.pb, seed->pb + 1, out.cb);
	mapix_wire_buf_free(&out);
	assert_int_equal(mapix_memory_live_blocks(), live);
}

static void emit_seed(MAPIXWIREBUF *seed, const char *dir, unsigned *count)
{
	check_seed(seed);
	(*count)++;
	if (dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%016llx", dir, (unsigned long long)fnv1a(seed->pb, seed->cb));
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(seed->pb, 1, seed->cb, f), seed->cb);
		fclose(f);
	}
	mapix_wire_buf_reset(seed);
}

static void test_seed_corpus(void **state)
{
	const char *dir = getenv("MAPIX_WIRE_CORPUS_DIR");
	unsigned count = 0;
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	SPropValue singles[24], multis[16];
	ULONG ns = make_singles(singles), nm = make_multis(multis);

	/* whole property arrays */
	mapix_wire_put_u8(&b, K_PROPS);
	assert_ok(mapix_wire_put_props(&b, ns, singles));
	emit_seed(&b, dir, &count);
	mapix_wire_put_u8(&b, K_PROPS);
	assert_ok(mapix_wire_put_props(&b, 0, NULL));
	emit_seed(&b, dir, &count);
	/* every multi-valued type, and the single types with structure */
	for (ULONG i = 0; i < nm; i++) {
		mapix_wire_put_u8(&b, K_PROPVAL);
		assert_ok(mapix_wire_put_propval(&b, &multis[i]));
		emit_seed(&b, dir, &count);
	}
	static const ULONG pick[] = {8, 11, 12, 13, 14, 15, 16, 17};
	for (size_t i = 0; i < sizeof pick / sizeof pick[0]; i++) {
		mapix_wire_put_u8(&b, K_PROPVAL);
		assert_ok(mapix_wire_put_propval(&b, &singles[pick[i]]));
		emit_seed(&b, dir, &count);
	}
	make_restriction();
	mapix_wire_put_u8(&b, K_PROPVAL);
	assert_ok(mapix_wire_put_propval(&b, &r_vals[4])); /* PT_SRESTRICT */
	emit_seed(&b, dir, &count);

	SizedSPropTagArray(3, tags) = {3, {TAG(PT_UNICODE, 0x37), MVI_PROP(TAG(PT_MV_LONG, 0x8000)), TAG(PT_SYSTIME, 0x0E06)}};
	mapix_wire_put_u8(&b, K_TAGS);
	assert_ok(mapix_wire_put_proptags(&b, (LPSPropTagArray)&tags));
	emit_seed(&b, dir, &count);
	SRow row = {0, 4, singles + 12};
	mapix_wire_put_u8(&b, K_ROW);
	assert_ok(mapix_wire_put_row(&b, &row));
	emit_seed(&b, dir, &count);
	SizedSRowSet(3, rs) = {3, {{0, 3, singles}, {0, 0, NULL}, {0, 2, multis + 7}}};
	mapix_wire_put_u8(&b, K_ROWSET);
	assert_ok(mapix_wire_put_rowset(&b, (LPSRowSet)&rs));
	emit_seed(&b, dir, &count);

	/* restrictions: the full tree, no restriction, a few alone, a deep chain */
	mapix_wire_put_u8(&b, K_RES);
	assert_ok(mapix_wire_put_restriction(&b, make_restriction()));
	emit_seed(&b, dir, &count);
	mapix_wire_put_u8(&b, K_RES);
	assert_ok(mapix_wire_put_restriction(&b, NULL));
	emit_seed(&b, dir, &count);
	static const int alone[] = {0, 1, 4, 5, 6, 7, 8};
	for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++) {
		mapix_wire_put_u8(&b, K_RES);
		assert_ok(mapix_wire_put_restriction(&b, &r_top.res.resAnd.lpRes[alone[i]]));
		emit_seed(&b, dir, &count);
	}
	size_t cb;
	BYTE *deep = nested_nots(MAPIX_WIRE_MAX_DEPTH - 1, &cb);
	mapix_wire_put_u8(&b, K_RES);
	mapix_wire_put_bytes(&b, deep, cb);
	free(deep);
	emit_seed(&b, dir, &count);

	mapix_wire_put_u8(&b, K_SORT);
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&sorts));
	emit_seed(&b, dir, &count);
	SizedSSortOrderSet(1, none) = {0, 0, 0, {{0, 0}}};
	mapix_wire_put_u8(&b, K_SORT);
	assert_ok(mapix_wire_put_sortorderset(&b, (LPSSortOrderSet)&none));
	emit_seed(&b, dir, &count);

	assert_true(count >= 20 && count <= 50);
	mapix_wire_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_every_single_type),
		cmocka_unit_test(test_every_multi_type),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_large_values),
		cmocka_unit_test(test_restrictions),
		cmocka_unit_test(test_sortorderset),
		cmocka_unit_test(test_proptags),
		cmocka_unit_test(test_rows_and_rowsets),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_hostile_counts),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_malformed_input),
		cmocka_unit_test(test_encoder_rejects),
		cmocka_unit_test(test_allocation_failure),
		cmocka_unit_test(test_seed_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
