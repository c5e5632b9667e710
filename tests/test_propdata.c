/*
 * test_propdata.c — IPropData (CreateIProp, src/core/propdata*.c): every
 * IMAPIProp and IPropData method with the edge cases the MAPI reference
 * names — NULL and zero counts, multi-valued values, PT_ERROR and
 * PT_OBJECT, both string widths and MAPI_UNICODE, read-only objects and
 * properties, problem arrays, CopyTo/CopyProps with exclusions,
 * MAPI_NOREPLACE and MAPI_MOVE, named properties, reference counting, and
 * allocation failures. Each test checks that the MAPI allocator has no
 * block left when the object is released.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/memory.h"
#include "testutil.h"

#define PR_TEST_LONG PROP_TAG(PT_LONG, 0x6701)
#define PR_TEST_MV_LONG PROP_TAG(PT_MV_LONG, 0x6702)
#define PR_TEST_MV_W PROP_TAG(PT_MV_UNICODE, 0x6703)
#define PR_TEST_MV_A PROP_TAG(PT_MV_STRING8, 0x6703)
#define PR_TEST_BOOL PROP_TAG(PT_BOOLEAN, 0x6704)
#define PR_TEST_OBJ PROP_TAG(PT_OBJECT, 0x6705)
#define PR_TEST_MISSING PROP_TAG(PT_LONG, 0x6799)
#define PR_DISPLAY_A PROP_TAG(PT_STRING8, 0x3001)
#define PR_DISPLAY_W PROP_TAG(PT_UNICODE, 0x3001)

static size_t baseline_blocks;

static int setup(void **state)
{
	(void)state;
	baseline_blocks = mapix_memory_live_blocks();
	return 0;
}

/* Every test releases all it made: the allocator is back where it was. */
static int teardown(void **state)
{
	(void)state;
	assert_int_equal(mapix_memory_live_blocks(), baseline_blocks);
	return 0;
}

static LPPROPDATA new_obj(void)
{
	LPPROPDATA p = NULL;
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &p),
	                 S_OK);
	assert_non_null(p);
	return p;
}

static SPropValue pv_long(ULONG tag, LONG l)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = tag;
	v.Value.l = l;
	return v;
}

static SPropValue pv_a(ULONG tag, const char *s)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = tag;
	v.Value.lpszA = (LPSTR)s;
	return v;
}

static SPropValue pv_w(ULONG tag, const WCHAR *s)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = tag;
	v.Value.lpszW = (LPWSTR)s;
	return v;
}

static SPropValue pv_bin(ULONG tag, const void *p, ULONG cb)
{
	SPropValue v;
	memset(&v, 0, sizeof v);
	v.ulPropTag = tag;
	v.Value.bin.cb = cb;
	v.Value.bin.lpb = (LPBYTE)p;
	return v;
}

static void set_ok(LPPROPDATA p, ULONG n, SPropValue *vals)
{
	LPSPropProblemArray probs = (LPSPropProblemArray)1;
	assert_int_equal(IPropData_SetProps(p, n, vals, &probs), S_OK);
	assert_null(probs);
}

/* GetProps of one tag; the value is freed by the caller. */
static LPSPropValue get_one(LPPROPDATA p, ULONG tag, ULONG flags, HRESULT expect)
{
	SizedSPropTagArray(1, t) = {1, {tag}};
	ULONG c = 0;
	LPSPropValue v = NULL;
	assert_int_equal(IPropData_GetProps(p, (LPSPropTagArray)&t, flags, &c, &v), expect);
	assert_int_equal(c, 1);
	assert_non_null(v);
	return v;
}

static void expect_missing(LPPROPDATA p, ULONG tag)
{
	LPSPropValue v = get_one(p, tag, 0, MAPI_W_ERRORS_RETURNED);
	assert_int_equal(v->ulPropTag, CHANGE_PROP_TYPE(tag, PT_ERROR));
	assert_int_equal(v->Value.err, MAPI_E_NOT_FOUND);
	MAPIFreeBuffer(v);
}

static void expect_long(LPPROPDATA p, ULONG tag, LONG want)
{
	LPSPropValue v = get_one(p, tag, 0, S_OK);
	assert_int_equal(v->ulPropTag, tag);
	assert_int_equal(v->Value.l, want);
	MAPIFreeBuffer(v);
}

static int wcs_eq(const WCHAR *a, const WCHAR *b)
{
	size_t n = mapix_wcslen(b);
	return mapix_wcslen(a) == n && memcmp(a, b, n * sizeof(WCHAR)) == 0;
}

/* ---- Creation, interfaces, reference counting -------------------------- */

static void test_create_and_refcount(void **state)
{
	(void)state;
	LPPROPDATA p = NULL;
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, NULL),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(CreateIProp(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &p),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, NULL, MAPIAllocateMore, MAPIFreeBuffer, NULL, &p),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, &p, &p),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(CreateIProp(&IID_IStream, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &p),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_null(p);

	p = new_obj();
	LPVOID q = NULL;
	assert_int_equal(IPropData_QueryInterface(p, &IID_IUnknown, &q), S_OK);
	assert_ptr_equal(q, p);
	assert_int_equal(IPropData_QueryInterface(p, &IID_IMAPIProp, &q), S_OK);
	assert_ptr_equal(q, p);
	assert_int_equal(IPropData_QueryInterface(p, &IID_IMAPIPropData, &q), S_OK);
	assert_ptr_equal(q, p);
	q = (LPVOID)1;
	assert_int_equal(IPropData_QueryInterface(p, &IID_IStream, &q), MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_null(q);
	assert_int_equal(IPropData_QueryInterface(p, &IID_IUnknown, NULL), MAPI_E_INVALID_PARAMETER);
	/* three successful QueryInterface calls hold three references */
	assert_int_equal(IPropData_Release(p), 3);
	assert_int_equal(IPropData_Release(p), 2);
	assert_int_equal(IPropData_AddRef(p), 3);
	assert_int_equal(IPropData_Release(p), 2);
	assert_int_equal(IPropData_Release(p), 1);

	/* Values, names and object properties all go with the last Release. */
	SPropValue v[2] = {pv_w(PR_SUBJECT_W, u"held"), pv_long(PR_TEST_LONG, 5)};
	set_ok(p, 2, v);
	SizedSPropTagArray(1, objs) = {1, {PR_TEST_OBJ}};
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&objs, NULL), S_OK);
	GUID g = PS_PUBLIC_STRINGS;
	MAPINAMEID nm = {&g, MNID_STRING, {.lpwstrName = u"kept"}};
	LPMAPINAMEID names[1] = {&nm};
	LPSPropTagArray ids = NULL;
	assert_int_equal(IPropData_GetIDsFromNames(p, 1, names, MAPI_CREATE, &ids), S_OK);
	MAPIFreeBuffer(ids);
	assert_true(mapix_memory_live_blocks() > baseline_blocks);
	assert_int_equal(IPropData_Release(p), 0);
}

static void test_misc_methods(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	LPUNKNOWN unk = (LPUNKNOWN)1;
	assert_int_equal(IPropData_OpenProperty(p, PR_BODY_W, &IID_IStream, 0, 0, &unk), MAPI_E_NO_SUPPORT);
	assert_null(unk);
	assert_int_equal(IPropData_SaveChanges(p, 0), S_OK);
	assert_int_equal(IPropData_SaveChanges(p, KEEP_OPEN_READWRITE), S_OK);
	assert_int_equal(IPropData_SaveChanges(p, 0x1000), MAPI_E_UNKNOWN_FLAGS);

	LPMAPIERROR err = NULL;
	assert_int_equal(IPropData_GetLastError(p, MAPI_E_UNKNOWN_FLAGS, 0, &err), S_OK);
	if (err)
		MAPIFreeBuffer(err);
	err = NULL;
	assert_int_equal(IPropData_GetLastError(p, MAPI_E_NO_SUPPORT, MAPI_UNICODE, &err), S_OK);
	if (err)
		MAPIFreeBuffer(err);
	assert_int_equal(IPropData_GetLastError(p, S_OK, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetLastError(p, S_OK, 4, &err), MAPI_E_UNKNOWN_FLAGS);
	IPropData_Release(p);
}

/* ---- GetProps, GetPropList and string widths ---------------------------- */

static void test_get_props(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	LONG longs[3] = {1, -2, 3};
	const WCHAR *ws[2] = {u"alpha", u"\u00dfeta"};
	BYTE eid[6] = {0, 0, 0, 0, 9, 8};
	SPropValue v[5] = {pv_w(PR_SUBJECT_W, u"Gr\u00fc\u00dfe \u20ac"), pv_long(PR_TEST_LONG, 42),
	                   pv_bin(PR_ENTRYID, eid, sizeof eid), pv_long(PR_TEST_MV_LONG, 0), pv_long(PR_TEST_MV_W, 0)};
	v[3].Value.MVl.cValues = 3;
	v[3].Value.MVl.lpl = longs;
	v[4].Value.MVszW.cValues = 2;
	v[4].Value.MVszW.lppszW = (LPWSTR *)ws;
	set_ok(p, 5, v);

	/* NULL tag array: everything, strings in the width MAPI_UNICODE picks. */
	ULONG c = 0;
	LPSPropValue all = NULL;
	assert_int_equal(IPropData_GetProps(p, NULL, MAPI_UNICODE, &c, &all), S_OK);
	assert_int_equal(c, 5);
	assert_int_equal(all[0].ulPropTag, PR_SUBJECT_W);
	assert_true(wcs_eq(all[0].Value.lpszW, u"Gr\u00fc\u00dfe \u20ac"));
	assert_int_equal(all[1].Value.l, 42);
	assert_int_equal(all[2].Value.bin.cb, 6);
	assert_memory_equal(all[2].Value.bin.lpb, eid, 6);
	assert_int_equal(all[3].Value.MVl.cValues, 3);
	assert_int_equal(all[3].Value.MVl.lpl[1], -2);
	assert_int_equal(all[4].ulPropTag, PR_TEST_MV_W);
	assert_true(wcs_eq(all[4].Value.MVszW.lppszW[1], u"\u00dfeta"));
	MAPIFreeBuffer(all);

	assert_int_equal(IPropData_GetProps(p, NULL, 0, &c, &all), S_OK);
	assert_int_equal(all[0].ulPropTag, PR_SUBJECT_A);
	assert_string_equal(all[0].Value.lpszA, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	assert_int_equal(all[4].ulPropTag, PR_TEST_MV_A);
	assert_string_equal(all[4].Value.MVszA.lppszA[0], "alpha");
	assert_string_equal(all[4].Value.MVszA.lppszA[1], "\xc3\x9f" "eta");
	MAPIFreeBuffer(all);

	/* Chosen tags, PT_UNSPECIFIED, a missing one and a type mismatch. */
	SizedSPropTagArray(5, t) = {5, {PROP_TAG(PT_UNSPECIFIED, 0x0037), PR_TEST_MISSING, PR_TEST_LONG,
	                                PROP_TAG(PT_STRING8, PROP_ID(PR_TEST_LONG)), PR_ENTRYID}};
	assert_int_equal(IPropData_GetProps(p, (LPSPropTagArray)&t, MAPI_UNICODE, &c, &all), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(c, 5);
	assert_int_equal(all[0].ulPropTag, PR_SUBJECT_W);
	assert_int_equal(all[1].ulPropTag, PROP_TAG(PT_ERROR, 0x6799));
	assert_int_equal(all[1].Value.err, MAPI_E_NOT_FOUND);
	assert_int_equal(all[2].Value.l, 42);
	assert_int_equal(all[3].ulPropTag, PROP_TAG(PT_ERROR, PROP_ID(PR_TEST_LONG)));
	assert_int_equal(all[3].Value.err, MAPI_E_NOT_FOUND);
	assert_int_equal(all[4].ulPropTag, PR_ENTRYID);
	MAPIFreeBuffer(all);

	/* Asking for the other width converts, whatever MAPI_UNICODE says. */
	LPSPropValue one = get_one(p, PR_SUBJECT_A, MAPI_UNICODE, S_OK);
	assert_int_equal(one->ulPropTag, PR_SUBJECT_A);
	assert_string_equal(one->Value.lpszA, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac");
	MAPIFreeBuffer(one);

	/* Bad arguments. */
	SPropTagArray empty = {0, {0}};
	assert_int_equal(IPropData_GetProps(p, &empty, 0, &c, &all), MAPI_E_INVALID_PARAMETER);
	SizedSPropTagArray(1, bad) = {1, {PROP_TAG(0x44, 1)}};
	assert_int_equal(IPropData_GetProps(p, (LPSPropTagArray)&bad, 0, &c, &all), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetProps(p, NULL, 0, NULL, &all), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetProps(p, NULL, 0, &c, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetProps(p, NULL, 1, &c, &all), MAPI_E_UNKNOWN_FLAGS);
	IPropData_Release(p);
}

static void test_string8_stored(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	const char *as[3] = {"", "b", "caf\xc3\xa9"};
	SPropValue v[2] = {pv_a(PR_DISPLAY_A, "Jos\xc3\xa9"), pv_long(PR_TEST_MV_A, 0)};
	v[1].Value.MVszA.cValues = 3;
	v[1].Value.MVszA.lppszA = (LPSTR *)as;
	set_ok(p, 2, v);

	LPSPropValue w = get_one(p, PR_DISPLAY_W, 0, S_OK);
	assert_int_equal(w->ulPropTag, PR_DISPLAY_W);
	assert_true(wcs_eq(w->Value.lpszW, u"Jos\u00e9"));
	MAPIFreeBuffer(w);
	w = get_one(p, PROP_TAG(PT_UNSPECIFIED, 0x3001), MAPI_UNICODE, S_OK);
	assert_int_equal(w->ulPropTag, PR_DISPLAY_W);
	MAPIFreeBuffer(w);
	w = get_one(p, PROP_TAG(PT_UNSPECIFIED, 0x3001), 0, S_OK);
	assert_int_equal(w->ulPropTag, PR_DISPLAY_A);
	assert_string_equal(w->Value.lpszA, "Jos\xc3\xa9");
	MAPIFreeBuffer(w);

	w = get_one(p, PR_TEST_MV_W, 0, S_OK);
	assert_int_equal(w->Value.MVszW.cValues, 3);
	assert_true(wcs_eq(w->Value.MVszW.lppszW[0], u""));
	assert_true(wcs_eq(w->Value.MVszW.lppszW[2], u"caf\u00e9"));
	MAPIFreeBuffer(w);
	/* Single-valued and MV forms of a string do not convert into each other. */
	w = get_one(p, PROP_TAG(PT_UNICODE, 0x6703), 0, MAPI_W_ERRORS_RETURNED);
	assert_int_equal(PROP_TYPE(w->ulPropTag), PT_ERROR);
	MAPIFreeBuffer(w);

	/* An empty MV string converts to an empty MV string. */
	SPropValue e = pv_long(PR_TEST_MV_A, 0);
	set_ok(p, 1, &e);
	w = get_one(p, PR_TEST_MV_W, 0, S_OK);
	assert_int_equal(w->ulPropTag, PR_TEST_MV_W);
	assert_int_equal(w->Value.MVszW.cValues, 0);
	MAPIFreeBuffer(w);

	/* Setting the other width of the same property replaces it. */
	SPropValue r = pv_w(PR_DISPLAY_W, u"Neu");
	set_ok(p, 1, &r);
	LPSPropTagArray list = NULL;
	assert_int_equal(IPropData_GetPropList(p, MAPI_UNICODE, &list), S_OK);
	assert_int_equal(list->cValues, 2);
	assert_int_equal(list->aulPropTag[0], PR_DISPLAY_W);
	MAPIFreeBuffer(list);
	w = get_one(p, PR_DISPLAY_A, 0, S_OK);
	assert_string_equal(w->Value.lpszA, "Neu");
	MAPIFreeBuffer(w);
	IPropData_Release(p);
}

static void test_get_prop_list(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	LPSPropTagArray list = NULL;
	assert_int_equal(IPropData_GetPropList(p, 0, &list), S_OK);
	assert_int_equal(list->cValues, 0);
	MAPIFreeBuffer(list);
	ULONG c = 7;
	LPSPropValue all = NULL;
	assert_int_equal(IPropData_GetProps(p, NULL, 0, &c, &all), S_OK);
	assert_int_equal(c, 0);
	MAPIFreeBuffer(all);

	SPropValue v[3] = {pv_a(PR_SUBJECT_A, "x"), pv_long(PR_TEST_LONG, 1), pv_long(PR_TEST_MV_W, 0)};
	set_ok(p, 3, v);
	assert_int_equal(IPropData_GetPropList(p, 0, &list), S_OK);
	assert_int_equal(list->cValues, 3);
	assert_int_equal(list->aulPropTag[0], PR_SUBJECT_A);
	assert_int_equal(list->aulPropTag[1], PR_TEST_LONG);
	assert_int_equal(list->aulPropTag[2], PR_TEST_MV_A);
	MAPIFreeBuffer(list);
	assert_int_equal(IPropData_GetPropList(p, MAPI_UNICODE, &list), S_OK);
	assert_int_equal(list->aulPropTag[0], PR_SUBJECT_W);
	assert_int_equal(list->aulPropTag[2], PR_TEST_MV_W);
	MAPIFreeBuffer(list);
	assert_int_equal(IPropData_GetPropList(p, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetPropList(p, 2, &list), MAPI_E_UNKNOWN_FLAGS);
	IPropData_Release(p);
}

/* ---- SetProps and DeleteProps ------------------------------------------ */

static void test_set_props_problems(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	SPropValue v[6] = {pv_long(PR_TEST_LONG, 1), pv_long(PROP_TAG(PT_ERROR, 0x6710), MAPI_E_NOT_FOUND),
	                   pv_long(PR_TEST_OBJ, 0), pv_long(PROP_TAG(PT_NULL, 0x6711), 0),
	                   pv_long(MVI_PROP(PROP_TAG(PT_LONG, 0x6712)), 3), pv_long(PR_TEST_BOOL, TRUE)};
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_SetProps(p, 6, v, &probs), S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 4);
	for (ULONG i = 0; i < 4; i++) {
		assert_int_equal(probs->aProblem[i].ulIndex, i + 1);
		assert_int_equal(probs->aProblem[i].ulPropTag, v[i + 1].ulPropTag);
		assert_int_equal(probs->aProblem[i].scode, MAPI_E_INVALID_TYPE);
	}
	MAPIFreeBuffer(probs);
	expect_long(p, PR_TEST_LONG, 1);
	LPSPropValue b = get_one(p, PR_TEST_BOOL, 0, S_OK);
	assert_int_equal(b->Value.b, TRUE);
	MAPIFreeBuffer(b);
	expect_missing(p, PROP_TAG(PT_LONG, 0x6710));

	/* Without a problem pointer the same call still sets what it can. */
	v[0].Value.l = 2;
	assert_int_equal(IPropData_SetProps(p, 6, v, NULL), S_OK);
	expect_long(p, PR_TEST_LONG, 2);

	/* A malformed value refuses the whole call before anything changes. */
	SPropValue bad[2] = {pv_long(PR_TEST_LONG, 3), pv_a(PR_SUBJECT_A, NULL)};
	probs = (LPSPropProblemArray)1;
	assert_int_equal(IPropData_SetProps(p, 2, bad, &probs), MAPI_E_INVALID_PARAMETER);
	assert_null(probs);
	expect_long(p, PR_TEST_LONG, 2);
	SPropValue badbin = pv_bin(PR_ENTRYID, NULL, 4);
	assert_int_equal(IPropData_SetProps(p, 1, &badbin, NULL), MAPI_E_INVALID_PARAMETER);
	SPropValue badmv = pv_long(PR_TEST_MV_LONG, 0);
	badmv.Value.MVl.cValues = 2;
	assert_int_equal(IPropData_SetProps(p, 1, &badmv, NULL), MAPI_E_INVALID_PARAMETER);

	/* NULL array and zero counts. */
	assert_int_equal(IPropData_SetProps(p, 0, NULL, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_SetProps(p, 0, v, &probs), S_OK);
	assert_null(probs);

	/* An empty binary and an empty MV value are real values. */
	SPropValue empties[2] = {pv_bin(PR_ENTRYID, NULL, 0), pv_long(PR_TEST_MV_LONG, 0)};
	set_ok(p, 2, empties);
	LPSPropValue e = get_one(p, PR_ENTRYID, 0, S_OK);
	assert_int_equal(e->Value.bin.cb, 0);
	MAPIFreeBuffer(e);
	e = get_one(p, PR_TEST_MV_LONG, 0, S_OK);
	assert_int_equal(e->Value.MVl.cValues, 0);
	MAPIFreeBuffer(e);

	/* A type change for the same ID replaces the value. */
	SPropValue retype = pv_a(PROP_TAG(PT_STRING8, PROP_ID(PR_TEST_LONG)), "now text");
	set_ok(p, 1, &retype);
	expect_missing(p, PR_TEST_LONG);
	IPropData_Release(p);
}

static void test_delete_props(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	SPropValue v[3] = {pv_w(PR_SUBJECT_W, u"s"), pv_long(PR_TEST_LONG, 1), pv_long(PR_MESSAGE_FLAGS, 2)};
	set_ok(p, 3, v);

	/* Types are ignored; missing properties are not problems. */
	SizedSPropTagArray(3, del) = {3, {PR_SUBJECT_A, PR_TEST_MISSING, PROP_TAG(PT_UNSPECIFIED, 0x6701)}};
	LPSPropProblemArray probs = (LPSPropProblemArray)1;
	assert_int_equal(IPropData_DeleteProps(p, (LPSPropTagArray)&del, &probs), S_OK);
	assert_null(probs);
	expect_missing(p, PR_SUBJECT_W);
	expect_missing(p, PR_TEST_LONG);
	expect_long(p, PR_MESSAGE_FLAGS, 2);

	SPropTagArray empty = {0, {0}};
	assert_int_equal(IPropData_DeleteProps(p, &empty, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_DeleteProps(p, NULL, NULL), MAPI_E_INVALID_PARAMETER);
	IPropData_Release(p);
}

/* ---- Access control ---------------------------------------------------- */

static void test_object_access(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	SPropValue v = pv_long(PR_TEST_LONG, 1);
	set_ok(p, 1, &v);

	assert_int_equal(IPropData_HrSetObjAccess(p, IPROP_READONLY), S_OK);
	v.Value.l = 2;
	assert_int_equal(IPropData_SetProps(p, 1, &v, NULL), MAPI_E_NO_ACCESS);
	SizedSPropTagArray(1, t) = {1, {PR_TEST_LONG}};
	assert_int_equal(IPropData_DeleteProps(p, (LPSPropTagArray)&t, NULL), MAPI_E_NO_ACCESS);
	SizedSPropTagArray(1, o) = {1, {PR_TEST_OBJ}};
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&o, NULL), MAPI_E_NO_ACCESS);
	ULONG acc = IPROP_READWRITE;
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&t, &acc), MAPI_E_NO_ACCESS);
	expect_long(p, PR_TEST_LONG, 1); /* reading still works */

	assert_int_equal(IPropData_HrSetObjAccess(p, IPROP_READONLY | IPROP_READWRITE), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_HrSetObjAccess(p, 0), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_HrSetObjAccess(p, IPROP_DIRTY), MAPI_E_UNKNOWN_FLAGS);

	assert_int_equal(IPropData_HrSetObjAccess(p, IPROP_READWRITE), S_OK);
	set_ok(p, 1, &v);
	expect_long(p, PR_TEST_LONG, 2);
	IPropData_Release(p);
}

static void test_property_access(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	SPropValue v[3] = {pv_w(PR_SUBJECT_W, u"fixed"), pv_long(PR_TEST_LONG, 1), pv_long(PR_MESSAGE_FLAGS, 7)};
	set_ok(p, 3, v);

	/* Setting marks dirty; everything starts read/write. */
	LPSPropTagArray tags = NULL;
	ULONG *acc = NULL;
	assert_int_equal(IPropData_HrGetPropAccess(p, &tags, &acc), S_OK);
	assert_int_equal(tags->cValues, 3);
	assert_int_equal(tags->aulPropTag[0], PR_SUBJECT_W);
	for (ULONG i = 0; i < 3; i++)
		assert_int_equal(acc[i], IPROP_READWRITE | IPROP_DIRTY);
	MAPIFreeBuffer(tags);
	MAPIFreeBuffer(acc);

	/* Subject read-only, flags clean; a property that is not there is skipped. */
	SizedSPropTagArray(3, t) = {3, {PR_SUBJECT_A, PR_MESSAGE_FLAGS, PR_TEST_MISSING}};
	ULONG set[3] = {IPROP_READONLY, IPROP_CLEAN, IPROP_READONLY | IPROP_CLEAN};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&t, set), S_OK);
	tags = (LPSPropTagArray)&t;
	assert_int_equal(IPropData_HrGetPropAccess(p, &tags, &acc), S_OK);
	assert_ptr_equal(tags, &t);
	assert_int_equal(acc[0], IPROP_READONLY | IPROP_DIRTY);
	assert_int_equal(acc[1], IPROP_READWRITE | IPROP_CLEAN);
	assert_int_equal(acc[2], 0);
	MAPIFreeBuffer(acc);

	/* A read-only property is a problem; the rest of the call goes through,
	 * and setting makes a clean property dirty. */
	SPropValue nv[2] = {pv_w(PR_SUBJECT_W, u"changed"), pv_long(PR_MESSAGE_FLAGS, 8)};
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_SetProps(p, 2, nv, &probs), S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 0);
	assert_int_equal(probs->aProblem[0].ulPropTag, PR_SUBJECT_W);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(probs);
	LPSPropValue s = get_one(p, PR_SUBJECT_W, 0, S_OK);
	assert_true(wcs_eq(s->Value.lpszW, u"fixed"));
	MAPIFreeBuffer(s);
	expect_long(p, PR_MESSAGE_FLAGS, 8);
	tags = NULL;
	assert_int_equal(IPropData_HrGetPropAccess(p, &tags, &acc), S_OK);
	assert_int_equal(acc[2], IPROP_READWRITE | IPROP_DIRTY);
	MAPIFreeBuffer(tags);
	MAPIFreeBuffer(acc);

	/* Deleting it is a problem too. */
	SizedSPropTagArray(2, d) = {2, {PR_TEST_LONG, PR_SUBJECT_W}};
	assert_int_equal(IPropData_DeleteProps(p, (LPSPropTagArray)&d, &probs), S_OK);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 1);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(probs);
	expect_missing(p, PR_TEST_LONG);

	/* Opposite or unknown flags are refused and change nothing. */
	ULONG both[3] = {IPROP_READWRITE, IPROP_CLEAN | IPROP_DIRTY, 0};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&t, both), MAPI_E_INVALID_PARAMETER);
	ULONG ro_rw[3] = {IPROP_READONLY | IPROP_READWRITE, 0, 0};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&t, ro_rw), MAPI_E_INVALID_PARAMETER);
	ULONG unknown[3] = {0x100, 0, 0};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&t, unknown), MAPI_E_UNKNOWN_FLAGS);
	assert_int_equal(IPropData_HrSetPropAccess(p, NULL, set), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_HrGetPropAccess(p, NULL, &acc), MAPI_E_INVALID_PARAMETER);

	/* Back to read/write: now it can change. */
	ULONG rw[1] = {IPROP_READWRITE};
	SizedSPropTagArray(1, subj) = {1, {PR_SUBJECT_W}};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&subj, rw), S_OK);
	set_ok(p, 1, nv);
	IPropData_Release(p);
}

static void test_object_props(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	SizedSPropTagArray(2, notobj) = {2, {PR_TEST_OBJ, PR_TEST_LONG}};
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&notobj, NULL), MAPI_E_INVALID_TYPE);
	assert_int_equal(IPropData_HrAddObjProps(p, NULL, NULL), MAPI_E_INVALID_PARAMETER);

	SizedSPropTagArray(2, objs) = {2, {PR_MESSAGE_RECIPIENTS, PR_MESSAGE_ATTACHMENTS}};
	LPSPropProblemArray probs = (LPSPropProblemArray)1;
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&objs, &probs), S_OK);
	assert_null(probs);

	LPSPropTagArray list = NULL;
	assert_int_equal(IPropData_GetPropList(p, 0, &list), S_OK);
	assert_int_equal(list->cValues, 2);
	assert_int_equal(list->aulPropTag[0], PR_MESSAGE_RECIPIENTS);
	assert_int_equal(list->aulPropTag[1], PR_MESSAGE_ATTACHMENTS);
	MAPIFreeBuffer(list);

	LPSPropValue v = get_one(p, PR_MESSAGE_RECIPIENTS, 0, MAPI_W_ERRORS_RETURNED);
	assert_int_equal(v->ulPropTag, PROP_TAG(PT_ERROR, 0x0E12));
	assert_int_equal(v->Value.err, MAPI_E_NO_SUPPORT);
	MAPIFreeBuffer(v);
	ULONG c;
	assert_int_equal(IPropData_GetProps(p, NULL, 0, &c, &v), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(c, 2);
	MAPIFreeBuffer(v);

	/* A read-only object property makes a second add partial. */
	ULONG ro = IPROP_READONLY;
	SizedSPropTagArray(1, first) = {1, {PR_MESSAGE_RECIPIENTS}};
	assert_int_equal(IPropData_HrSetPropAccess(p, (LPSPropTagArray)&first, &ro), S_OK);
	SizedSPropTagArray(2, again) = {2, {PR_TEST_OBJ, PR_MESSAGE_RECIPIENTS}};
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&again, &probs), MAPI_W_PARTIAL_COMPLETION);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 1);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(probs);

	/* Deleting an object property removes it from the list. */
	SizedSPropTagArray(1, del) = {1, {PR_MESSAGE_ATTACHMENTS}};
	assert_int_equal(IPropData_DeleteProps(p, (LPSPropTagArray)&del, NULL), S_OK);
	assert_int_equal(IPropData_GetPropList(p, 0, &list), S_OK);
	assert_int_equal(list->cValues, 2);
	assert_int_equal(list->aulPropTag[1], PR_TEST_OBJ);
	MAPIFreeBuffer(list);
	IPropData_Release(p);
}

/* ---- CopyTo and CopyProps ---------------------------------------------- */

/* The source of the copy tests: subject (W), display name (A), a long, an
 * entry ID and an object property. */
static LPPROPDATA make_source(void)
{
	LPPROPDATA p = new_obj();
	BYTE eid[4] = {1, 2, 3, 4};
	SPropValue v[4] = {pv_w(PR_SUBJECT_W, u"copy me"), pv_a(PR_DISPLAY_A, "Ann"), pv_long(PR_TEST_LONG, 11),
	                   pv_bin(PR_ENTRYID, eid, 4)};
	set_ok(p, 4, v);
	SizedSPropTagArray(1, o) = {1, {PR_TEST_OBJ}};
	assert_int_equal(IPropData_HrAddObjProps(p, (LPSPropTagArray)&o, NULL), S_OK);
	return p;
}

static ULONG count_props(LPPROPDATA p)
{
	LPSPropTagArray list = NULL;
	assert_int_equal(IPropData_GetPropList(p, 0, &list), S_OK);
	ULONG n = list->cValues;
	MAPIFreeBuffer(list);
	return n;
}

static BOOL has_prop(LPPROPDATA p, ULONG tag)
{
	LPSPropTagArray list = NULL;
	BOOL found = FALSE;
	assert_int_equal(IPropData_GetPropList(p, MAPI_UNICODE, &list), S_OK);
	for (ULONG i = 0; i < list->cValues; i++)
		if (PROP_ID(list->aulPropTag[i]) == PROP_ID(tag))
			found = TRUE;
	MAPIFreeBuffer(list);
	return found;
}

static void test_copy_to_basic(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	LPPROPDATA dst = new_obj();
	SizedSPropTagArray(1, excl) = {1, {PROP_TAG(PT_UNSPECIFIED, PROP_ID(PR_ENTRYID))}};
	LPSPropProblemArray probs = (LPSPropProblemArray)1;
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, (LPSPropTagArray)&excl, 0, NULL, &IID_IMAPIPropData, dst, 0,
	                                  &probs),
	                 S_OK);
	assert_null(probs);
	assert_int_equal(count_props(dst), 4); /* subject, display, long, object */
	assert_false(has_prop(dst, PR_ENTRYID));
	assert_true(has_prop(dst, PR_TEST_OBJ));
	expect_long(dst, PR_TEST_LONG, 11);
	/* Types travel as stored. */
	ULONG c;
	LPSPropValue all = NULL;
	SizedSPropTagArray(2, t) = {2, {PR_SUBJECT_W, PR_DISPLAY_A}};
	assert_int_equal(IPropData_GetProps(dst, (LPSPropTagArray)&t, 0, &c, &all), S_OK);
	assert_true(wcs_eq(all[0].Value.lpszW, u"copy me"));
	assert_string_equal(all[1].Value.lpszA, "Ann");
	MAPIFreeBuffer(all);
	assert_int_equal(count_props(src), 5); /* a copy leaves the source alone */

	/* The destination may be named as IMAPIProp too. */
	LPPROPDATA dst2 = new_obj();
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, dst2, 0, NULL), S_OK);
	assert_int_equal(count_props(dst2), 5);
	IPropData_Release(dst2);

	/* Bad arguments. */
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, NULL, dst, 0, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, NULL, 0, NULL),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_CopyTo(src, 1, NULL, NULL, 0, NULL, &IID_IMAPIProp, dst, 0, NULL),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IStream, dst, 0, NULL),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, dst, 0x100, NULL),
	                 MAPI_E_UNKNOWN_FLAGS);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, src, 0, NULL), MAPI_E_NO_ACCESS);

	IPropData_Release(src);
	IPropData_Release(dst);
}

static void test_copy_to_interfaces_excluded(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	LPPROPDATA dst = new_obj();
	IID no_propdata[2] = {IID_IStream, IID_IMAPIPropData};
	assert_int_equal(IPropData_CopyTo(src, 2, no_propdata, NULL, 0, NULL, &IID_IMAPIProp, dst, 0, NULL), S_OK);
	assert_int_equal(count_props(dst), 4);
	assert_false(has_prop(dst, PR_TEST_OBJ));
	IPropData_Release(dst);

	dst = new_obj();
	IID no_prop[1] = {IID_IMAPIProp};
	assert_int_equal(IPropData_CopyTo(src, 1, no_prop, NULL, 0, NULL, &IID_IMAPIProp, dst, 0, NULL), S_OK);
	assert_int_equal(count_props(dst), 0);
	IPropData_Release(dst);
	IPropData_Release(src);
}

static void test_copy_to_noreplace_and_move(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	LPPROPDATA dst = new_obj();
	SPropValue mine = pv_long(PR_TEST_LONG, 99);
	set_ok(dst, 1, &mine);

	/* MAPI_NOREPLACE keeps what the destination has. */
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, MAPI_NOREPLACE, NULL),
	                 S_OK);
	expect_long(dst, PR_TEST_LONG, 99);
	assert_int_equal(count_props(dst), 5);
	/* Without it, the source wins. */
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, 0, NULL), S_OK);
	expect_long(dst, PR_TEST_LONG, 11);
	IPropData_Release(dst);

	/* MAPI_MOVE with NOREPLACE: what was not copied stays in the source;
	 * a read-only source property is copied but stays, as a problem. */
	dst = new_obj();
	mine.Value.l = 98;
	set_ok(dst, 1, &mine);
	ULONG ro = IPROP_READONLY;
	SizedSPropTagArray(1, subj) = {1, {PR_SUBJECT_W}};
	assert_int_equal(IPropData_HrSetPropAccess(src, (LPSPropTagArray)&subj, &ro), S_OK);
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst,
	                                  MAPI_MOVE | MAPI_NOREPLACE, &probs),
	                 S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 0); /* subject is first in the source's list */
	assert_int_equal(probs->aProblem[0].ulPropTag, PR_SUBJECT_W);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(probs);
	assert_int_equal(count_props(src), 2); /* read-only subject, and the long NOREPLACE kept */
	assert_true(has_prop(src, PR_SUBJECT_W));
	expect_long(src, PR_TEST_LONG, 11);
	expect_long(dst, PR_TEST_LONG, 98);
	assert_int_equal(count_props(dst), 5);

	/* A read-only source refuses MAPI_MOVE outright. */
	assert_int_equal(IPropData_HrSetObjAccess(src, IPROP_READONLY), S_OK);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, MAPI_MOVE, NULL),
	                 MAPI_E_NO_ACCESS);
	assert_true(has_prop(src, PR_TEST_LONG));
	/* ... but copying from it is fine. */
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, 0, NULL), S_OK);
	expect_long(dst, PR_TEST_LONG, 11);
	IPropData_Release(dst);
	IPropData_Release(src);
}

static void test_copy_to_destination_refuses(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	LPPROPDATA dst = new_obj();
	SPropValue mine = pv_long(PR_TEST_LONG, 7);
	set_ok(dst, 1, &mine);
	ULONG ro = IPROP_READONLY;
	SizedSPropTagArray(1, t) = {1, {PR_TEST_LONG}};
	assert_int_equal(IPropData_HrSetPropAccess(dst, (LPSPropTagArray)&t, &ro), S_OK);

	/* The destination's problem comes back under the source's index, and
	 * MAPI_MOVE keeps what did not arrive. */
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, MAPI_MOVE, &probs), S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 2);
	assert_int_equal(probs->aProblem[0].ulPropTag, PR_TEST_LONG);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_ACCESS);
	MAPIFreeBuffer(probs);
	expect_long(dst, PR_TEST_LONG, 7);
	assert_int_equal(count_props(src), 1);
	expect_long(src, PR_TEST_LONG, 11);

	/* A read-only destination object fails the whole copy. */
	assert_int_equal(IPropData_HrSetObjAccess(dst, IPROP_READONLY), S_OK);
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, MAPI_MOVE, NULL),
	                 MAPI_E_NO_ACCESS);
	assert_int_equal(count_props(src), 1);
	IPropData_Release(dst);
	IPropData_Release(src);
}

/* A plain IMAPIProp destination (no IPropData): forwards GetProps and
 * SetProps to an inner IPropData, refuses every other interface. */
typedef struct plain_prop {
	IMAPIProp iface;
	LPPROPDATA inner;
	ULONG refs;
} plain_prop;

static HRESULT plain_qi(IMAPIProp *This, REFIID riid, LPVOID *ppv)
{
	if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPIProp)) {
		((plain_prop *)(void *)This)->refs++;
		*ppv = This;
		return S_OK;
	}
	*ppv = NULL;
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}
static ULONG plain_addref(IMAPIProp *This)
{
	return ++((plain_prop *)(void *)This)->refs;
}
static ULONG plain_release(IMAPIProp *This)
{
	return --((plain_prop *)(void *)This)->refs;
}
static HRESULT plain_getprops(IMAPIProp *This, LPSPropTagArray t, ULONG f, ULONG *c, LPSPropValue *v)
{
	return IPropData_GetProps(((plain_prop *)(void *)This)->inner, t, f, c, v);
}
static HRESULT plain_setprops(IMAPIProp *This, ULONG c, LPSPropValue v, LPSPropProblemArray *pr)
{
	return IPropData_SetProps(((plain_prop *)(void *)This)->inner, c, v, pr);
}
static const IMAPIPropVtbl plain_vtbl = {
	.QueryInterface = plain_qi,
	.AddRef = plain_addref,
	.Release = plain_release,
	.GetProps = plain_getprops,
	.SetProps = plain_setprops,
};

static void test_copy_to_plain_imapiprop(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	plain_prop dst = {{&plain_vtbl}, new_obj(), 1};
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, &dst, MAPI_NOREPLACE, &probs),
	                 S_OK);
	/* The object property cannot travel without IPropData. */
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulPropTag, PR_TEST_OBJ);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NO_SUPPORT);
	MAPIFreeBuffer(probs);
	assert_int_equal(count_props(dst.inner), 4);
	assert_int_equal(dst.refs, 1); /* every reference taken was given back */
	assert_int_equal(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, &dst, 0, NULL),
	                 MAPI_E_INTERFACE_NOT_SUPPORTED);
	IPropData_Release(dst.inner);
	IPropData_Release(src);
}

static void test_copy_props(void **state)
{
	(void)state;
	LPPROPDATA src = make_source();
	LPPROPDATA dst = new_obj();
	SizedSPropTagArray(4, inc) = {4, {PR_SUBJECT_A, PR_TEST_MISSING, PROP_TAG(PT_UNSPECIFIED, 0x3001), PR_TEST_OBJ}};
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IPropData_CopyProps(src, (LPSPropTagArray)&inc, 0, NULL, &IID_IMAPIPropData, dst, MAPI_MOVE,
	                                     &probs),
	                 S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 1);
	assert_int_equal(probs->aProblem[0].ulPropTag, PR_TEST_MISSING);
	assert_int_equal(probs->aProblem[0].scode, MAPI_E_NOT_FOUND);
	MAPIFreeBuffer(probs);

	/* The subject arrives as PT_STRING8, as asked; the display name as stored. */
	LPSPropTagArray list = NULL;
	assert_int_equal(IPropData_GetPropList(dst, 0, &list), S_OK);
	assert_int_equal(list->cValues, 3);
	MAPIFreeBuffer(list);
	ULONG c;
	LPSPropValue all = NULL;
	SizedSPropTagArray(2, t) = {2, {PROP_TAG(PT_UNSPECIFIED, 0x0037), PROP_TAG(PT_UNSPECIFIED, 0x3001)}};
	assert_int_equal(IPropData_GetProps(dst, (LPSPropTagArray)&t, MAPI_UNICODE, &c, &all), S_OK);
	assert_int_equal(all[0].ulPropTag, PR_SUBJECT_W); /* MAPI_UNICODE widens on the way out */
	assert_true(wcs_eq(all[0].Value.lpszW, u"copy me"));
	MAPIFreeBuffer(all);
	SizedSPropTagArray(1, w) = {1, {PR_SUBJECT_A}};
	LPSPropTagArray access_tags = (LPSPropTagArray)&w;
	ULONG *acc = NULL;
	assert_int_equal(IPropData_HrGetPropAccess(dst, &access_tags, &acc), S_OK);
	assert_int_equal(acc[0], IPROP_READWRITE | IPROP_DIRTY);
	MAPIFreeBuffer(acc);

	/* MAPI_MOVE took them from the source. */
	assert_int_equal(count_props(src), 2);
	assert_true(has_prop(src, PR_TEST_LONG));
	assert_true(has_prop(src, PR_ENTRYID));

	SPropTagArray empty = {0, {0}};
	assert_int_equal(IPropData_CopyProps(src, &empty, 0, NULL, &IID_IMAPIProp, dst, 0, NULL),
	                 MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_CopyProps(src, NULL, 0, NULL, &IID_IMAPIProp, dst, 0, NULL), MAPI_E_INVALID_PARAMETER);
	IPropData_Release(dst);
	IPropData_Release(src);
}

/* ---- Named properties -------------------------------------------------- */

static void test_named_props(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	GUID pub = PS_PUBLIC_STRINGS, mapi = PS_MAPI;
	MAPINAMEID kw = {&pub, MNID_STRING, {.lpwstrName = u"Keywords"}};
	MAPINAMEID num = {&pub, MNID_ID, {.lID = 0x8501}};
	MAPINAMEID subj = {&mapi, MNID_ID, {.lID = 0x0037}};
	LPMAPINAMEID names[3] = {&kw, &num, &subj};
	LPSPropTagArray tags = NULL;

	/* Unknown names without MAPI_CREATE. */
	assert_int_equal(IPropData_GetIDsFromNames(p, 2, names, 0, &tags), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(tags->cValues, 2);
	assert_int_equal(tags->aulPropTag[0], 0x0000000A);
	assert_int_equal(tags->aulPropTag[1], PROP_TAG(PT_ERROR, 0));
	MAPIFreeBuffer(tags);

	/* MAPI_CREATE assigns 0x8000 upwards; PS_MAPI IDs are the IDs themselves. */
	assert_int_equal(IPropData_GetIDsFromNames(p, 3, names, MAPI_CREATE, &tags), S_OK);
	assert_int_equal(tags->aulPropTag[0], PROP_TAG(PT_UNSPECIFIED, 0x8000));
	assert_int_equal(tags->aulPropTag[1], PROP_TAG(PT_UNSPECIFIED, 0x8001));
	assert_int_equal(tags->aulPropTag[2], PROP_TAG(PT_UNSPECIFIED, 0x0037));
	MAPIFreeBuffer(tags);
	/* Asking again finds the same IDs; a new name gets the next one. */
	MAPINAMEID other = {&pub, MNID_STRING, {.lpwstrName = u"keywords"}}; /* names are case-sensitive */
	LPMAPINAMEID again[2] = {&other, &kw};
	assert_int_equal(IPropData_GetIDsFromNames(p, 2, again, MAPI_CREATE, &tags), S_OK);
	assert_int_equal(tags->aulPropTag[0], PROP_TAG(PT_UNSPECIFIED, 0x8002));
	assert_int_equal(tags->aulPropTag[1], PROP_TAG(PT_UNSPECIFIED, 0x8000));
	MAPIFreeBuffer(tags);

	/* NULL names: every mapped ID. */
	assert_int_equal(IPropData_GetIDsFromNames(p, 0, NULL, 0, &tags), S_OK);
	assert_int_equal(tags->cValues, 3);
	assert_int_equal(tags->aulPropTag[2], PROP_TAG(PT_UNSPECIFIED, 0x8002));
	MAPIFreeBuffer(tags);
	assert_int_equal(IPropData_GetIDsFromNames(p, 0, NULL, MAPI_CREATE, &tags), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetIDsFromNames(p, 2, NULL, 0, &tags), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetIDsFromNames(p, 0, names, 0, &tags), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetIDsFromNames(p, 1, names, 0x10, &tags), MAPI_E_UNKNOWN_FLAGS);
	MAPINAMEID noguid = {NULL, MNID_ID, {.lID = 1}};
	LPMAPINAMEID bad[1] = {&noguid};
	assert_int_equal(IPropData_GetIDsFromNames(p, 1, bad, MAPI_CREATE, &tags), MAPI_E_INVALID_PARAMETER);

	/* A named property holds a value like any other. */
	SPropValue kv = pv_w(PROP_TAG(PT_UNICODE, 0x8000), u"red, blue");
	set_ok(p, 1, &kv);
	LPSPropValue got = get_one(p, PROP_TAG(PT_STRING8, 0x8000), 0, S_OK);
	assert_string_equal(got->Value.lpszA, "red, blue");
	MAPIFreeBuffer(got);

	/* IDs back to names, with an unknown one. */
	SizedSPropTagArray(4, ids) = {4, {PROP_TAG(PT_UNICODE, 0x8000), PROP_TAG(PT_LONG, 0x8001), PROP_TAG(PT_LONG, 0x9000),
	                                  PR_SUBJECT_W}};
	LPSPropTagArray in = (LPSPropTagArray)&ids;
	ULONG c = 0;
	LPMAPINAMEID *out = NULL;
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, 0, &c, &out), MAPI_W_ERRORS_RETURNED);
	assert_ptr_equal(in, &ids);
	assert_int_equal(c, 4);
	assert_true(FEqualNames(out[0], &kw));
	assert_true(wcs_eq(out[0]->Kind.lpwstrName, u"Keywords"));
	assert_true(FEqualNames(out[1], &num));
	assert_null(out[2]);
	assert_true(FEqualNames(out[3], &subj));
	MAPIFreeBuffer(out);

	/* Filters: a property set, and names of one kind. */
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, &mapi, 0, &c, &out), MAPI_W_ERRORS_RETURNED);
	assert_null(out[0]);
	assert_non_null(out[3]);
	MAPIFreeBuffer(out);
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, MAPI_NO_STRINGS, &c, &out), MAPI_W_ERRORS_RETURNED);
	assert_null(out[0]);
	assert_non_null(out[1]);
	MAPIFreeBuffer(out);

	/* NULL tags: every mapped name, and the tag list with them. */
	in = NULL;
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, 0, &c, &out), S_OK);
	assert_int_equal(c, 3);
	assert_int_equal(in->cValues, 3);
	assert_int_equal(in->aulPropTag[1], PROP_TAG(PT_UNSPECIFIED, 0x8001));
	assert_true(FEqualNames(out[2], &other));
	MAPIFreeBuffer(out);
	MAPIFreeBuffer(in);
	in = NULL;
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, MAPI_NO_IDS, &c, &out), S_OK);
	assert_int_equal(c, 2);
	assert_int_equal(in->aulPropTag[0], PROP_TAG(PT_UNSPECIFIED, 0x8000));
	assert_int_equal(in->aulPropTag[1], PROP_TAG(PT_UNSPECIFIED, 0x8002));
	MAPIFreeBuffer(out);
	MAPIFreeBuffer(in);

	SPropTagArray empty = {0, {0}};
	in = &empty;
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, 0, &c, &out), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IPropData_GetNamesFromIDs(p, NULL, NULL, 0, &c, &out), MAPI_E_INVALID_PARAMETER);
	in = NULL;
	assert_int_equal(IPropData_GetNamesFromIDs(p, &in, NULL, 4, &c, &out), MAPI_E_UNKNOWN_FLAGS);

	/* Maps are per object. */
	LPPROPDATA q = new_obj();
	assert_int_equal(IPropData_GetIDsFromNames(q, 1, names, 0, &tags), MAPI_W_ERRORS_RETURNED);
	MAPIFreeBuffer(tags);
	IPropData_Release(q);
	IPropData_Release(p);
}

enum { THREADS = 4, ROUNDS = 300, ROUNDS_COPY = 200 };

/* ---- The allocators given to CreateIProp -------------------------------- */

static unsigned counted_roots, counted_more, counted_frees;

static SCODE counted_alloc(ULONG cb, LPVOID *pp)
{
	counted_roots++;
	return MAPIAllocateBuffer(cb, pp);
}
static SCODE counted_alloc_more(ULONG cb, LPVOID parent, LPVOID *pp)
{
	counted_more++;
	return MAPIAllocateMore(cb, parent, pp);
}
static ULONG counted_free(LPVOID p)
{
	counted_frees++;
	return MAPIFreeBuffer(p);
}

/* Returned data and the object's own values come from the allocators the
 * object was made with, and every root it made is freed through them. */
static void test_given_allocators(void **state)
{
	(void)state;
	LPPROPDATA p = NULL;
	counted_roots = counted_more = counted_frees = 0;
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, counted_alloc, counted_alloc_more, counted_free, NULL, &p), S_OK);
	SPropValue v[2] = {pv_w(PR_SUBJECT_W, u"counted"), pv_long(PR_TEST_LONG, 1)};
	set_ok(p, 2, v);
	unsigned after_set = counted_roots;
	assert_true(after_set >= 2);  /* one block per stored value */
	assert_true(counted_more >= 1); /* the string hangs on its value's block */

	ULONG c;
	LPSPropValue all = NULL;
	assert_int_equal(IPropData_GetProps(p, NULL, 0, &c, &all), S_OK); /* converts to PT_STRING8 */
	assert_int_equal(counted_roots, after_set + 1);
	unsigned more_before = counted_more;
	MAPIFreeBuffer(all);
	assert_int_equal(IPropData_GetProps(p, NULL, MAPI_UNICODE, &c, &all), S_OK);
	assert_true(counted_more > more_before);
	MAPIFreeBuffer(all);

	LPSPropTagArray tags = NULL;
	ULONG *acc = NULL;
	assert_int_equal(IPropData_HrGetPropAccess(p, &tags, &acc), S_OK);
	assert_int_equal(counted_roots, after_set + 4);
	MAPIFreeBuffer(tags);
	MAPIFreeBuffer(acc);

	unsigned frees_before = counted_frees;
	assert_int_equal(IPropData_Release(p), 0);
	assert_int_equal(counted_frees, frees_before + 2); /* the two stored values */
}

/* ---- Threads and allocation failures ----------------------------------- */

typedef struct copy_pair {
	LPPROPDATA from, to;
} copy_pair;

static void *copy_back_and_forth(void *arg)
{
	copy_pair *cp = arg;
	for (int i = 0; i < ROUNDS_COPY; i++) {
		LPSPropProblemArray probs = NULL;
		if (FAILED(IPropData_CopyTo(cp->from, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, cp->to, 0, &probs)))
			return (void *)1;
		if (probs)
			MAPIFreeBuffer(probs);
	}
	return NULL;
}

/* Two objects copying into each other at once do not deadlock. */
static void test_cross_copy_threads(void **state)
{
	(void)state;
	LPPROPDATA a = make_source(), b = make_source();
	copy_pair ab = {a, b}, ba = {b, a};
	pthread_t t1, t2;
	assert_int_equal(pthread_create(&t1, NULL, copy_back_and_forth, &ab), 0);
	assert_int_equal(pthread_create(&t2, NULL, copy_back_and_forth, &ba), 0);
	void *r1 = (void *)1, *r2 = (void *)1;
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	assert_null(r1);
	assert_null(r2);
	assert_int_equal(count_props(a), 5);
	assert_int_equal(count_props(b), 5);
	IPropData_Release(a);
	IPropData_Release(b);
}

static void *hammer(void *arg)
{
	LPPROPDATA p = arg;
	for (int i = 0; i < ROUNDS; i++) {
		SPropValue v[2] = {pv_long(PR_TEST_LONG, i), pv_w(PR_SUBJECT_W, u"thread")};
		if (IPropData_SetProps(p, 2, v, NULL) != S_OK)
			return (void *)1;
		ULONG c;
		LPSPropValue all = NULL;
		if (FAILED(IPropData_GetProps(p, NULL, 0, &c, &all)) || c < 2)
			return (void *)1;
		MAPIFreeBuffer(all);
		IPropData_AddRef(p);
		IPropData_Release(p);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	LPPROPDATA p = new_obj();
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, p), 0);
	for (int i = 0; i < THREADS; i++) {
		void *rc = (void *)1;
		pthread_join(t[i], &rc);
		assert_null(rc);
	}
	assert_int_equal(count_props(p), 2);
	assert_int_equal(IPropData_Release(p), 0);
}

/* Every allocation of a workload fails in turn: calls report the failure,
 * nothing leaks, and the object stays usable. */
static void test_allocation_failures(void **state)
{
	(void)state;
	for (unsigned n = 1; n < 60; n++) {
		LPPROPDATA src = make_source();
		LPPROPDATA dst = new_obj();
		mapix_memory_fail_after(n);
		SPropValue v = pv_a(PR_DISPLAY_A, "abc");
		LPSPropProblemArray probs = NULL;
		(void)IPropData_SetProps(src, 1, &v, &probs);
		if (probs)
			MAPIFreeBuffer(probs);
		ULONG c;
		LPSPropValue all = NULL;
		if (SUCCEEDED(IPropData_GetProps(src, NULL, MAPI_UNICODE, &c, &all)))
			MAPIFreeBuffer(all);
		probs = NULL;
		if (SUCCEEDED(IPropData_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMAPIPropData, dst, 0, &probs)) && probs)
			MAPIFreeBuffer(probs);
		LPSPropTagArray tags = NULL;
		ULONG *acc = NULL;
		if (SUCCEEDED(IPropData_HrGetPropAccess(src, &tags, &acc))) {
			MAPIFreeBuffer(tags);
			MAPIFreeBuffer(acc);
		}
		mapix_memory_fail_after(0);
		/* still usable */
		expect_long(src, PR_TEST_LONG, 11);
		assert_int_equal(IPropData_Release(dst), 0);
		assert_int_equal(IPropData_Release(src), 0);
		assert_int_equal(mapix_memory_live_blocks(), baseline_blocks);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_refcount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc_methods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string8_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_prop_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_props_problems, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_property_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_object_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_to_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_to_interfaces_excluded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_to_noreplace_and_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_to_destination_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_to_plain_imapiprop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_props, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_allocators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_copy_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
