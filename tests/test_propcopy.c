/*
 * test_propcopy.c — PropCopyMore, UlPropSize, ScCountProps, ScCopyProps,
 * ScRelocProps and ScDupPropset over every property type (single and
 * multi-valued, both string widths, PT_ERROR, empty values), including
 * relocation of a ScCopyProps block moved to a new address and converted
 * to offsets and back in place.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"
#include "core/memory.h"
#include "testutil.h"

/* ---- a property array with every type ---------------------------------------- */

static GUID guid_a = {0x01020304, 0x0506, 0x0708, {9, 10, 11, 12, 13, 14, 15, 16}};
static GUID guids[3] = {{1, 2, 3, {4}}, {5, 6, 7, {8}}, {9, 10, 11, {12, 13}}};
static BYTE bytes[] = {0, 1, 2, 3, 0xFE, 0xFF, 7};
static BYTE svreid[] = {0xAA, 0xBB, 0xCC};
static short int shorts[] = {-1, 0, 32767};
static LONG longs[] = {-5, 6, 0x7FFFFFFF};
static float floats[] = {1.5f, -2.25f, 0.0f};
static double doubles[] = {3.25, -4.5, 1e300};
static CURRENCY curs[] = {{.int64 = 123456}, {.int64 = -1}};
static double apptimes[] = {45000.5};
static FILETIME fts[] = {{1, 2}, {3, 4}, {0xFFFFFFFF, 0x7FFFFFFF}};
static LARGE_INTEGER lis[] = {{.QuadPart = -9}, {.QuadPart = 1LL << 40}};
static LPSTR strsA[] = {"one", "", "three three"};
static WCHAR w0[] = u"\u00fcber", w1[] = u"", w2[] = u"\U0001F600 smile";
static LPWSTR strsW[] = {w0, w1, w2};
static WCHAR wsubject[] = u"Gr\u00fc\u00dfe";
static BYTE b0[] = {1}, b2[] = {2, 3, 4, 5, 6, 7, 8, 9, 10};
static SBinary bins[] = {{1, b0}, {0, NULL}, {9, b2}};

enum { NPROPS = 31 };

static void fill_props(SPropValue *p)
{
	int i = 0;
	memset(p, 0, NPROPS * sizeof *p);
#define TAG(type, id) p[i].ulPropTag = PROP_TAG(type, id)
	TAG(PT_NULL, 0x6001), p[i++].Value.x = 0;
	TAG(PT_I2, 0x6002), p[i++].Value.i = -12;
	TAG(PT_LONG, 0x6003), p[i++].Value.l = 0x12345678;
	TAG(PT_R4, 0x6004), p[i++].Value.flt = 3.5f;
	TAG(PT_DOUBLE, 0x6005), p[i++].Value.dbl = -7.125;
	TAG(PT_CURRENCY, 0x6006), p[i++].Value.cur.int64 = 99999;
	TAG(PT_APPTIME, 0x6007), p[i++].Value.at = 40000.25;
	TAG(PT_ERROR, 0x6008), p[i++].Value.err = MAPI_E_NOT_FOUND;
	TAG(PT_BOOLEAN, 0x6009), p[i++].Value.b = 1;
	TAG(PT_OBJECT, 0x600A), p[i++].Value.x = 0;
	TAG(PT_I8, 0x600B), p[i++].Value.li.QuadPart = -1234567890123LL;
	TAG(PT_STRING8, 0x600C), p[i++].Value.lpszA = "subject line";
	TAG(PT_UNICODE, 0x600D), p[i++].Value.lpszW = wsubject;
	TAG(PT_SYSTIME, 0x600E), p[i].Value.ft.dwLowDateTime = 5, p[i++].Value.ft.dwHighDateTime = 6;
	TAG(PT_CLSID, 0x600F), p[i++].Value.lpguid = &guid_a;
	TAG(PT_BINARY, 0x6010), p[i].Value.bin.cb = sizeof bytes, p[i++].Value.bin.lpb = bytes;
	TAG(PT_BINARY, 0x6011), p[i].Value.bin.cb = 0, p[i++].Value.bin.lpb = NULL;
	TAG(PT_SVREID, 0x6012), p[i].Value.bin.cb = sizeof svreid, p[i++].Value.bin.lpb = svreid;
	TAG(PT_MV_I2, 0x6013), p[i].Value.MVi.cValues = 3, p[i++].Value.MVi.lpi = shorts;
	TAG(PT_MV_LONG, 0x6014), p[i].Value.MVl.cValues = 3, p[i++].Value.MVl.lpl = longs;
	TAG(PT_MV_R4, 0x6015), p[i].Value.MVflt.cValues = 3, p[i++].Value.MVflt.lpflt = floats;
	TAG(PT_MV_DOUBLE, 0x6016), p[i].Value.MVdbl.cValues = 3, p[i++].Value.MVdbl.lpdbl = doubles;
	TAG(PT_MV_CURRENCY, 0x6017), p[i].Value.MVcur.cValues = 2, p[i++].Value.MVcur.lpcur = curs;
	TAG(PT_MV_APPTIME, 0x6018), p[i].Value.MVat.cValues = 1, p[i++].Value.MVat.lpat = apptimes;
	TAG(PT_MV_SYSTIME, 0x6019), p[i].Value.MVft.cValues = 3, p[i++].Value.MVft.lpft = fts;
	TAG(PT_MV_STRING8, 0x601A), p[i].Value.MVszA.cValues = 3, p[i++].Value.MVszA.lppszA = strsA;
	TAG(PT_MV_BINARY, 0x601B), p[i].Value.MVbin.cValues = 3, p[i++].Value.MVbin.lpbin = bins;
	TAG(PT_MV_UNICODE, 0x601C), p[i].Value.MVszW.cValues = 3, p[i++].Value.MVszW.lppszW = strsW;
	TAG(PT_MV_CLSID, 0x601D), p[i].Value.MVguid.cValues = 3, p[i++].Value.MVguid.lpguid = guids;
	TAG(PT_MV_I8, 0x601E), p[i].Value.MVli.cValues = 2, p[i++].Value.MVli.lpli = lis;
	/* a table row's instance of an MV string column holds one string */
	TAG(MVI_PROP(PT_MV_STRING8), 0x601F), p[i++].Value.lpszA = "instance";
#undef TAG
	assert_int_equal(i, NPROPS);
}

static size_t wlen(const WCHAR *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Deep equality, and that the copy shares no data pointer with the source. */
static void assert_value_copied(const SPropValue *src, const SPropValue *cp)
{
	assert_int_equal(cp->ulPropTag, src->ulPropTag);
	ULONG t = PROP_TYPE(src->ulPropTag);
	if ((t & MVI_FLAG) == MVI_FLAG)
		t &= ~(ULONG)MVI_FLAG;
	const union _PV *a = &src->Value, *b = &cp->Value;
	switch (t) {
	case PT_STRING8:
		assert_ptr_not_equal(a->lpszA, b->lpszA);
		assert_string_equal(a->lpszA, b->lpszA);
		break;
	case PT_UNICODE:
		assert_ptr_not_equal(a->lpszW, b->lpszW);
		assert_int_equal(wlen(a->lpszW), wlen(b->lpszW));
		assert_memory_equal(a->lpszW, b->lpszW, (wlen(a->lpszW) + 1) * 2);
		break;
	case PT_CLSID:
		assert_ptr_not_equal(a->lpguid, b->lpguid);
		assert_memory_equal(a->lpguid, b->lpguid, sizeof(GUID));
		break;
	case PT_BINARY:
	case PT_SVREID:
		assert_int_equal(a->bin.cb, b->bin.cb);
		if (a->bin.cb) {
			assert_ptr_not_equal(a->bin.lpb, b->bin.lpb);
			assert_memory_equal(a->bin.lpb, b->bin.lpb, a->bin.cb);
		} else {
			assert_null(b->bin.lpb);
		}
		break;
	case PT_MV_STRING8:
		assert_int_equal(a->MVszA.cValues, b->MVszA.cValues);
		assert_ptr_not_equal(a->MVszA.lppszA, b->MVszA.lppszA);
		for (ULONG k = 0; k < a->MVszA.cValues; k++) {
			assert_ptr_not_equal(a->MVszA.lppszA[k], b->MVszA.lppszA[k]);
			assert_string_equal(a->MVszA.lppszA[k], b->MVszA.lppszA[k]);
		}
		break;
	case PT_MV_UNICODE:
		assert_int_equal(a->MVszW.cValues, b->MVszW.cValues);
		for (ULONG k = 0; k < a->MVszW.cValues; k++) {
			assert_ptr_not_equal(a->MVszW.lppszW[k], b->MVszW.lppszW[k]);
			assert_memory_equal(a->MVszW.lppszW[k], b->MVszW.lppszW[k], (wlen(a->MVszW.lppszW[k]) + 1) * 2);
		}
		break;
	case PT_MV_BINARY:
		assert_int_equal(a->MVbin.cValues, b->MVbin.cValues);
		for (ULONG k = 0; k < a->MVbin.cValues; k++) {
			assert_int_equal(a->MVbin.lpbin[k].cb, b->MVbin.lpbin[k].cb);
			if (a->MVbin.lpbin[k].cb)
				assert_memory_equal(a->MVbin.lpbin[k].lpb, b->MVbin.lpbin[k].lpb, a->MVbin.lpbin[k].cb);
			else
				assert_null(b->MVbin.lpbin[k].lpb);
		}
		break;
	default:
		if (t & MV_FLAG) {
			ULONG size = UlPropSize((LPSPropValue)src);
			assert_int_equal(a->MVl.cValues, b->MVl.cValues);
			assert_int_equal(UlPropSize((LPSPropValue)cp), size);
			if (size) {
				assert_ptr_not_equal(a->MVl.lpl, b->MVl.lpl);
				assert_memory_equal(a->MVl.lpl, b->MVl.lpl, size);
			}
		} else {
			assert_memory_equal(a, b, sizeof *a); /* plain value */
		}
	}
}

static void assert_in(const void *p, const void *base, size_t len)
{
	assert_true((const char *)p >= (const char *)base && (const char *)p < (const char *)base + len);
	assert_int_equal((uintptr_t)p % 8, 0);
}

/* Every data pointer of v lies inside [base, base + len), 8-aligned. */
static void assert_value_inside(const SPropValue *v, const void *base, size_t len)
{
	ULONG t = PROP_TYPE(v->ulPropTag);
	if ((t & MVI_FLAG) == MVI_FLAG)
		t &= ~(ULONG)MVI_FLAG;
	switch (t) {
	case PT_STRING8: assert_in(v->Value.lpszA, base, len); break;
	case PT_UNICODE: assert_in(v->Value.lpszW, base, len); break;
	case PT_CLSID: assert_in(v->Value.lpguid, base, len); break;
	case PT_BINARY:
	case PT_SVREID:
		if (v->Value.bin.cb)
			assert_in(v->Value.bin.lpb, base, len);
		break;
	case PT_MV_STRING8:
		assert_in(v->Value.MVszA.lppszA, base, len);
		for (ULONG k = 0; k < v->Value.MVszA.cValues; k++)
			assert_in(v->Value.MVszA.lppszA[k], base, len);
		break;
	case PT_MV_UNICODE:
		assert_in(v->Value.MVszW.lppszW, base, len);
		for (ULONG k = 0; k < v->Value.MVszW.cValues; k++)
			assert_in(v->Value.MVszW.lppszW[k], base, len);
		break;
	case PT_MV_BINARY:
		assert_in(v->Value.MVbin.lpbin, base, len);
		for (ULONG k = 0; k < v->Value.MVbin.cValues; k++)
			if (v->Value.MVbin.lpbin[k].cb)
				assert_in(v->Value.MVbin.lpbin[k].lpb, base, len);
		break;
	default:
		if ((t & MV_FLAG) && v->Value.MVl.cValues)
			assert_in(v->Value.MVl.lpl, base, len);
	}
}

static void assert_array_copied(const SPropValue *src, const SPropValue *cp, int n, const void *base, size_t len)
{
	for (int i = 0; i < n; i++) {
		assert_value_copied(&src[i], &cp[i]);
		if (base)
			assert_value_inside(&cp[i], base, len);
	}
}

/* ---- UlPropSize --------------------------------------------------------------------- */

static void test_ulpropsize(void **state)
{
	(void)state;
	SPropValue p[NPROPS];
	fill_props(p);
	static const ULONG want[NPROPS] = {
		0,                          /* PT_NULL */
		2, 4, 4, 8, 8, 8,           /* I2 LONG R4 DOUBLE CURRENCY APPTIME */
		4, 2, 0, 8,                 /* ERROR BOOLEAN OBJECT I8 */
		13, 12,                     /* "subject line", u"Grüße" (5 + NUL) * 2 */
		8, 16, 7, 0, 3,             /* SYSTIME CLSID BINARY, empty BINARY, SVREID */
		6, 12, 12, 24, 16, 8, 24,   /* MV I2 LONG R4 DOUBLE CURRENCY APPTIME SYSTIME */
		4 + 1 + 12,                 /* MV_STRING8: strings and NULs, not the pointers */
		1 + 0 + 9,                  /* MV_BINARY: bytes only */
		(5 + 1 + 9) * 2,            /* MV_UNICODE: u"über", u"", u"😀 smile" (2 + 6 units), each + NUL */
		48, 16,                     /* MV_CLSID MV_I8 */
		9,                          /* MVI instance of MV_STRING8: "instance" */
	};
	for (int i = 0; i < NPROPS; i++) {
		if (UlPropSize(&p[i]) != want[i])
			fail_msg("UlPropSize of 0x%08X: %u, want %u", (unsigned)p[i].ulPropTag, (unsigned)UlPropSize(&p[i]),
			         (unsigned)want[i]);
	}
	assert_int_equal(UlPropSize(NULL), 0);
	SPropValue odd = {.ulPropTag = PROP_TAG(0x0ABC, 1)};
	assert_int_equal(UlPropSize(&odd), 0);
	SPropValue nostr = {.ulPropTag = PROP_TAG(PT_STRING8, 1)};
	assert_int_equal(UlPropSize(&nostr), 0); /* NULL string: 0, no crash */
}

/* ---- count / copy / relocate --------------------------------------------------------- */

static void test_count_and_copy_every_type(void **state)
{
	(void)state;
	SPropValue src[NPROPS], before[NPROPS];
	fill_props(src);
	memcpy(before, src, sizeof src);
	ULONG cb = 0;
	assert_int_equal(ScCountProps(NPROPS, src, &cb), S_OK);
	assert_true(cb > NPROPS * sizeof(SPropValue));
	assert_int_equal(ScCountProps(NPROPS, src, NULL), S_OK);

	unsigned char *buf = malloc(cb + 64);
	memset(buf, 0xCD, cb + 64);
	ULONG written = 0;
	assert_int_equal(ScCopyProps(NPROPS, src, buf, &written), S_OK);
	assert_int_equal(written, cb);
	for (int k = 0; k < 64; k++)
		assert_int_equal(buf[cb + k], 0xCD); /* nothing beyond the count */
	assert_array_copied(src, (SPropValue *)buf, NPROPS, buf, cb);
	assert_memory_equal(src, before, sizeof src); /* source untouched */
	assert_int_equal(ScCopyProps(NPROPS, src, buf, NULL), S_OK);
	free(buf);
}

static void test_count_edge_cases(void **state)
{
	(void)state;
	ULONG cb = 77;
	assert_int_equal(ScCountProps(0, NULL, &cb), S_OK);
	assert_int_equal(cb, 0);
	assert_int_equal(ScCopyProps(0, NULL, &cb, &cb), S_OK);
	assert_int_equal(cb, 0);
	assert_int_equal(ScCountProps(-1, NULL, &cb), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ScCountProps(1, NULL, &cb), MAPI_E_INVALID_PARAMETER);

	SPropValue v = {.ulPropTag = PROP_TAG(0x0077, 0x6000)};
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "ScCountProps"));
	v.ulPropTag = PROP_TAG(PT_UNSPECIFIED, 0x6000);
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	v.ulPropTag = PROP_TAG(MV_INSTANCE | PT_LONG, 0x6000); /* MV_INSTANCE without MV_FLAG */
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	v.ulPropTag = PROP_TAG(PT_SRESTRICT, 0x6000);
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_NO_SUPPORT);
	v.ulPropTag = PROP_TAG(PT_ACTIONS, 0x6000);
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_NO_SUPPORT);
	/* missing data */
	v.ulPropTag = PROP_TAG(PT_STRING8, 0x6000), v.Value.lpszA = NULL;
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	v.ulPropTag = PROP_TAG(PT_BINARY, 0x6000), v.Value.bin.cb = 4, v.Value.bin.lpb = NULL;
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	v.ulPropTag = PROP_TAG(PT_MV_LONG, 0x6000), v.Value.MVl.cValues = 2, v.Value.MVl.lpl = NULL;
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	LPSTR withnull[] = {"a", NULL};
	v.ulPropTag = PROP_TAG(PT_MV_STRING8, 0x6000), v.Value.MVszA.cValues = 2, v.Value.MVszA.lppszA = withnull;
	assert_int_equal(ScCountProps(1, &v, &cb), MAPI_E_INVALID_PARAMETER);
	/* empty MV arrays are fine and take no room */
	v.ulPropTag = PROP_TAG(PT_MV_UNICODE, 0x6000), v.Value.MVszW.cValues = 0, v.Value.MVszW.lppszW = NULL;
	assert_int_equal(ScCountProps(1, &v, &cb), S_OK);
	assert_int_equal(cb, sizeof(SPropValue));

	/* a bad value anywhere: ScCopyProps writes nothing */
	SPropValue two[2] = {{.ulPropTag = PROP_TAG(PT_STRING8, 1), .Value.lpszA = "x"},
	                     {.ulPropTag = PROP_TAG(0x0999, 2)}};
	unsigned char dst[256];
	memset(dst, 0xEE, sizeof dst);
	assert_int_equal(ScCopyProps(2, two, dst, &cb), MAPI_E_INVALID_PARAMETER);
	for (size_t k = 0; k < sizeof dst; k++)
		assert_int_equal(dst[k], 0xEE);
	assert_int_equal(ScCopyProps(1, two, NULL, &cb), MAPI_E_INVALID_PARAMETER);
}

/* ScCopyProps, memcpy to a new block, free the old one, relocate. */
static void test_reloc_after_memcpy(void **state)
{
	(void)state;
	SPropValue src[NPROPS];
	fill_props(src);
	ULONG cb;
	assert_int_equal(ScCountProps(NPROPS, src, &cb), S_OK);
	unsigned char *a = malloc(cb), *b = malloc(cb);
	assert_int_equal(ScCopyProps(NPROPS, src, a, NULL), S_OK);
	memcpy(b, a, cb);
	memset(a, 0x5A, cb); /* stale pointers would now read garbage */
	/* only the address is kept; volatile so the compiler does not see a
	 * freed pointer being passed on */
	volatile uintptr_t old_base = (uintptr_t)a;
	free(a);
	ULONG cb2 = 0;
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)b, (void *)old_base, b, &cb2), S_OK);
	assert_int_equal(cb2, cb);
	assert_array_copied(src, (SPropValue *)b, NPROPS, b, cb);
	free(b);
}

/* Offsets for the disk and back, in place and across blocks, as
 * Microsoft's remarks on ScRelocProps describe. */
static void test_reloc_to_offsets_and_back(void **state)
{
	(void)state;
	SPropValue src[NPROPS];
	fill_props(src);
	ULONG cb;
	assert_int_equal(ScCountProps(NPROPS, src, &cb), S_OK);
	unsigned char *a = malloc(cb);
	assert_int_equal(ScCopyProps(NPROPS, src, a, NULL), S_OK);

	/* in place to base 0: pointers become offsets into the block */
	ULONG cb2 = 0;
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)a, a, NULL, &cb2), S_OK);
	assert_int_equal(cb2, cb);
	SPropValue *v = (SPropValue *)a;
	assert_true((uintptr_t)v[11].Value.lpszA >= NPROPS * sizeof(SPropValue));
	assert_true((uintptr_t)v[11].Value.lpszA < cb);
	assert_null(v[16].Value.bin.lpb); /* the empty binary stays NULL */

	/* "write to disk, read back" into another block, then relocate from 0 */
	unsigned char *b = malloc(cb);
	memcpy(b, a, cb);
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)b, NULL, b, &cb2), S_OK);
	assert_int_equal(cb2, cb);
	assert_array_copied(src, (SPropValue *)b, NPROPS, b, cb);

	/* and in place back to where it was */
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)a, NULL, a, &cb2), S_OK);
	assert_array_copied(src, (SPropValue *)a, NPROPS, a, cb);

	/* in place to another (unmapped) base and back */
	void *elsewhere = (void *)(uintptr_t)0x1000;
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)a, a, elsewhere, &cb2), S_OK);
	assert_int_equal(cb2, cb);
	assert_true((uintptr_t)v[11].Value.lpszA >= 0x1000 && (uintptr_t)v[11].Value.lpszA < 0x1000 + cb);
	assert_int_equal(ScRelocProps(NPROPS, (LPSPropValue)a, elsewhere, a, NULL), S_OK);
	assert_array_copied(src, (SPropValue *)a, NPROPS, a, cb);
	free(a);
	free(b);
}

static void test_reloc_edge_cases(void **state)
{
	(void)state;
	ULONG cb = 5;
	char x;
	assert_int_equal(ScRelocProps(0, NULL, &x, &x, &cb), S_OK);
	assert_int_equal(cb, 0);
	assert_int_equal(ScRelocProps(-1, NULL, &x, &x, &cb), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ScRelocProps(2, NULL, &x, &x, &cb), MAPI_E_INVALID_PARAMETER);

	/* an unknown type anywhere leaves the whole array untouched */
	SPropValue two[2] = {{.ulPropTag = PROP_TAG(PT_STRING8, 1), .Value.lpszA = "x"},
	                     {.ulPropTag = PROP_TAG(0x0999, 2)}};
	LPSTR s = two[0].Value.lpszA;
	uintptr_t at = (uintptr_t)two;
	assert_int_equal(ScRelocProps(2, two, two, (void *)(at - 8), &cb), MAPI_E_INVALID_PARAMETER);
	assert_ptr_equal(two[0].Value.lpszA, s);
	/* both bases above the array: no block can hold it */
	assert_int_equal(ScRelocProps(1, two, (void *)(at + 4096), (void *)(at + 8192), &cb), MAPI_E_INVALID_PARAMETER);
}

static void test_dup_propset(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	SPropValue src[NPROPS];
	fill_props(src);
	LPSPropValue dup = NULL;
	assert_int_equal(ScDupPropset(NPROPS, src, MAPIAllocateBuffer, &dup), S_OK);
	assert_int_equal(mapix_memory_live_blocks(), base + 1); /* one block */
	ULONG cb;
	assert_int_equal(ScCountProps(NPROPS, src, &cb), S_OK);
	assert_array_copied(src, dup, NPROPS, dup, cb);
	assert_int_equal(MAPIFreeBuffer(dup), 0);

	assert_int_equal(ScDupPropset(0, NULL, MAPIAllocateBuffer, &dup), S_OK);
	assert_non_null(dup);
	assert_int_equal(MAPIFreeBuffer(dup), 0);

	mapix_memory_fail_after(1);
	dup = (LPSPropValue)1;
	assert_int_equal(ScDupPropset(NPROPS, src, MAPIAllocateBuffer, &dup), MAPI_E_NOT_ENOUGH_MEMORY);
	mapix_memory_fail_after(0);
	assert_null(dup);
	SPropValue bad = {.ulPropTag = PROP_TAG(0x0999, 2)};
	assert_int_equal(ScDupPropset(1, &bad, MAPIAllocateBuffer, &dup), MAPI_E_INVALID_PARAMETER);
	assert_null(dup);
	assert_int_equal(ScDupPropset(1, src, NULL, &dup), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(ScDupPropset(1, src, MAPIAllocateBuffer, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* ---- PropCopyMore ---------------------------------------------------------------------- */

static void test_propcopymore_every_type(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	SPropValue src[NPROPS];
	fill_props(src);
	LPSPropValue dst;
	assert_int_equal(MAPIAllocateBuffer(NPROPS * sizeof(SPropValue), (LPVOID *)&dst), S_OK);
	for (int i = 0; i < NPROPS; i++) {
		assert_int_equal(PropCopyMore(&dst[i], &src[i], MAPIAllocateMore, dst), S_OK);
		assert_value_copied(&src[i], &dst[i]);
	}
	/* Every value with data costs exactly one child block: the two strings,
	 * the GUID, the non-empty binary, PT_SVREID, the 12 MV values and the
	 * MVI string. The empty binary and the plain values cost none. */
	size_t with_data = 18;
	assert_int_equal(mapix_memory_live_blocks(), base + 1 + with_data);
	assert_int_equal(MAPIFreeBuffer(dst), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_propcopymore_in_place_and_errors(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	LPVOID parent;
	assert_int_equal(MAPIAllocateBuffer(8, &parent), S_OK);

	char text[] = "temporary";
	SPropValue v = {.ulPropTag = PROP_TAG(PT_STRING8, 0x0037), .Value.lpszA = text};
	assert_int_equal(PropCopyMore(&v, &v, MAPIAllocateMore, parent), S_OK); /* Dest == Src */
	assert_ptr_not_equal(v.Value.lpszA, text);
	text[0] = 'X';
	assert_string_equal(v.Value.lpszA, "temporary");

	SPropValue out;
	SPropValue r = {.ulPropTag = PROP_TAG(PT_SRESTRICT, 0x0E99)};
	assert_int_equal(PropCopyMore(&out, &r, MAPIAllocateMore, parent), MAPI_E_NO_SUPPORT);
	SPropValue bad = {.ulPropTag = PROP_TAG(0x0999, 1)};
	assert_int_equal(PropCopyMore(&out, &bad, MAPIAllocateMore, parent), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(PropCopyMore(NULL, &v, MAPIAllocateMore, parent), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(PropCopyMore(&out, NULL, MAPIAllocateMore, parent), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(PropCopyMore(&out, &v, NULL, parent), MAPI_E_INVALID_PARAMETER);
	/* a parent that is not a MAPI block: the allocator refuses, no copy */
	char not_mapi[16];
	memset(&out, 0, sizeof out);
	assert_int_equal(PropCopyMore(&out, &v, MAPIAllocateMore, not_mapi), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(out.ulPropTag, 0);
	/* out of memory */
	mapix_memory_fail_after(1);
	assert_int_equal(PropCopyMore(&out, &v, MAPIAllocateMore, parent), MAPI_E_NOT_ENOUGH_MEMORY);
	mapix_memory_fail_after(0);
	/* plain values need no allocation at all, even with no parent */
	SPropValue err = {.ulPropTag = PROP_TAG(PT_ERROR, 0x0037), .Value.err = MAPI_E_NOT_FOUND};
	assert_int_equal(PropCopyMore(&out, &err, MAPIAllocateMore, NULL), S_OK);
	assert_int_equal(out.ulPropTag, err.ulPropTag);
	assert_int_equal(out.Value.err, MAPI_E_NOT_FOUND);

	assert_int_equal(MAPIFreeBuffer(parent), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ulpropsize),
		cmocka_unit_test(test_count_and_copy_every_type),
		cmocka_unit_test(test_count_edge_cases),
		cmocka_unit_test(test_reloc_after_memcpy),
		cmocka_unit_test(test_reloc_to_offsets_and_back),
		cmocka_unit_test(test_reloc_edge_cases),
		cmocka_unit_test(test_dup_propset),
		cmocka_unit_test(test_propcopymore_every_type),
		cmocka_unit_test(test_propcopymore_in_place_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
