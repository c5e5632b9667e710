/*
 * propcompare.c — LPropCompareProp, FPropCompareProp and FPropContainsProp:
 * comparing property values the way restrictions (RES_PROPERTY,
 * RES_COMPAREPROPS, RES_CONTENT) and sorts need. Strings use the one
 * collation of mapix (collation.c), so these answers are the ones the
 * store's SQL gives.
 *
 * Microsoft documents only the outline (values of the same type; <0, 0, >0;
 * a consistent nonzero value for types without an intrinsic order). The
 * order for each type, chosen to match the SQL side and Windows' observable
 * behaviour:
 *   PT_I2, PT_LONG, PT_I8, PT_CURRENCY   signed integers.
 *   PT_R4, PT_DOUBLE, PT_APPTIME         numeric; -0 == +0; a NaN equals
 *                                        another NaN and sorts after every
 *                                        number, so the order stays total.
 *   PT_BOOLEAN                           FALSE < TRUE (any nonzero is TRUE).
 *   PT_SYSTIME                           unsigned 64-bit FILETIME.
 *   PT_ERROR                             the SCODE as a signed number.
 *   PT_STRING8, PT_UNICODE               exact code-point order (PT_STRING8
 *                                        is UTF-8 in mapix); a NULL string
 *                                        reads as "".
 *   PT_BINARY, PT_SVREID                 bytes compared as unsigned, then the
 *                                        shorter first (memcmp order, as
 *                                        SQLite orders BLOBs and Wine does).
 *   PT_CLSID                             the 16 bytes of the GUID's wire form
 *                                        (MS-OXCDATA, little-endian fields).
 *   PT_NULL, PT_UNSPECIFIED              always equal.
 *   multi-valued                         element by element, then the value
 *                                        with fewer elements first.
 * A tag with MV_INSTANCE set carries one value of the base type (a row of
 * a table expanded on a multi-valued column) and compares as that type.
 * LPropCompareProp on different types orders by property type, so it is
 * still a total order; FPropCompareProp answers FALSE for different types,
 * and for types it cannot compare (PT_OBJECT, PT_SRESTRICT, PT_ACTIONS).
 *
 * RELOP_RE (a mapix choice; Windows leaves it to the provider): the second
 * value is a POSIX extended regular expression, searched for anywhere in the
 * first (anchor with ^ and $), both in UTF-8 with ill-formed sequences
 * replaced by U+FFFD, matched in the C.UTF-8 locale so that '.' and bracket
 * expressions work on characters whatever locale the program uses. Only
 * string types take RELOP_RE; an invalid pattern matches nothing.
 */
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>

#include <mapix/mapiutil.h>

#include "core/collation.h"
#include "core/error.h"

/* The type a value is compared as: MV_INSTANCE means one value of the base. */
static ULONG propcompare_type(ULONG ulPropTag)
{
	ULONG type = PROP_TYPE(ulPropTag);
	if (type & MV_INSTANCE)
		type &= ~(ULONG)(MV_FLAG | MV_INSTANCE);
	return type;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int cmp_double(double a, double b)
{
	int na = a != a, nb = b != b; /* NaN */
	if (na || nb)
		return na - nb;
	return (a > b) - (a < b);
}

static int cmp_bytes(const BYTE *a, ULONG alen, const BYTE *b, ULONG blen)
{
	ULONG n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;
	if (r)
		return r < 0 ? -1 : 1;
	return cmp_u64(alen, blen);
}

static void guid_wire(const GUID *g, BYTE out[16])
{
	int i;
	for (i = 0; i < 4; i++)
		out[i] = (BYTE)(g->Data1 >> (8 * i));
	out[4] = (BYTE)g->Data2;
	out[5] = (BYTE)(g->Data2 >> 8);
	out[6] = (BYTE)g->Data3;
	out[7] = (BYTE)(g->Data3 >> 8);
	memcpy(out + 8, g->Data4, 8);
}

static int cmp_guid(const GUID *a, const GUID *b)
{
	BYTE wa[16], wb[16];
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	guid_wire(a, wa);
	guid_wire(b, wb);
	return cmp_bytes(wa, 16, wb, 16);
}

static int cmp_str8(const char *a, const char *b)
{
	return mapix_collation_compare(mapix_text_utf8(a, a ? strlen(a) : 0), mapix_text_utf8(b, b ? strlen(b) : 0), 0);
}

static int cmp_str16(const WCHAR *a, const WCHAR *b)
{
	return mapix_collation_compare(mapix_text_utf16(a, mapix_wcslen(a)), mapix_text_utf16(b, mapix_wcslen(b)), 0);
}

/* Compares two single values of `type`; *ok = FALSE for a type without an
 * order mapix knows. */
static int compare_single(ULONG type, const union _PV *a, const union _PV *b, BOOL *ok)
{
	*ok = TRUE;
	switch (type) {
	case PT_UNSPECIFIED:
	case PT_NULL:
		return 0;
	case PT_I2:
		return cmp_i64(a->i, b->i);
	case PT_LONG:
		return cmp_i64(a->l, b->l);
	case PT_I8:
		return cmp_i64(a->li.QuadPart, b->li.QuadPart);
	case PT_CURRENCY:
		return cmp_i64(a->cur.int64, b->cur.int64);
	case PT_R4:
		return cmp_double(a->flt, b->flt);
	case PT_DOUBLE:
		return cmp_double(a->dbl, b->dbl);
	case PT_APPTIME:
		return cmp_double(a->at, b->at);
	case PT_BOOLEAN:
		return (a->b != 0) - (b->b != 0);
	case PT_SYSTIME:
		return cmp_u64(mapix_filetime_to_u64(a->ft), mapix_filetime_to_u64(b->ft));
	case PT_ERROR:
		return cmp_i64(a->err, b->err);
	case PT_STRING8:
		return cmp_str8(a->lpszA, b->lpszA);
	case PT_UNICODE:
		return cmp_str16(a->lpszW, b->lpszW);
	case PT_BINARY:
	case PT_SVREID:
		return cmp_bytes(a->bin.lpb, a->bin.lpb ? a->bin.cb : 0, b->bin.lpb, b->bin.lpb ? b->bin.cb : 0);
	case PT_CLSID:
		return cmp_guid(a->lpguid, b->lpguid);
	default:
		*ok = FALSE;
		return 0;
	}
}

/* Element i of a multi-valued value, as a single value of the base type.
 * Returns the element count (0 when the array pointer is missing). */
static ULONG mv_element(ULONG type, const union _PV *mv, ULONG i, union _PV *out)
{
	/* Every SxxxArray starts with cValues followed by one pointer. */
	ULONG n = mv->MVi.cValues;
	if (!mv->MVi.lpi)
		return 0;
	if (i >= n)
		return n;
	switch (type) {
	case PT_I2: out->i = mv->MVi.lpi[i]; break;
	case PT_LONG: out->l = mv->MVl.lpl[i]; break;
	case PT_R4: out->flt = mv->MVflt.lpflt[i]; break;
	case PT_DOUBLE: out->dbl = mv->MVdbl.lpdbl[i]; break;
	case PT_CURRENCY: out->cur = mv->MVcur.lpcur[i]; break;
	case PT_APPTIME: out->at = mv->MVat.lpat[i]; break;
	case PT_SYSTIME: out->ft = mv->MVft.lpft[i]; break;
	case PT_STRING8: out->lpszA = mv->MVszA.lppszA[i]; break;
	case PT_UNICODE: out->lpszW = mv->MVszW.lppszW[i]; break;
	case PT_BINARY: out->bin = mv->MVbin.lpbin[i]; break;
	case PT_CLSID: out->lpguid = &mv->MVguid.lpguid[i]; break;
	case PT_I8: out->li = mv->MVli.lpli[i]; break;
	default: return 0;
	}
	return n;
}

static BOOL mv_base_ok(ULONG base)
{
	switch (base) {
	case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME:
	case PT_SYSTIME: case PT_STRING8: case PT_UNICODE: case PT_BINARY: case PT_CLSID: case PT_I8:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Compares two values of the same (normalized) type. */
static int compare_values(ULONG type, const union _PV *a, const union _PV *b, BOOL *ok)
{
	ULONG base, na, nb, i;
	union _PV ea, eb;

	if (!(type & MV_FLAG))
		return compare_single(type, a, b, ok);
	base = type & ~(ULONG)MV_FLAG;
	if (!mv_base_ok(base)) {
		*ok = FALSE;
		return 0;
	}
	*ok = TRUE;
	na = mv_element(base, a, 0, &ea);
	nb = mv_element(base, b, 0, &eb);
	for (i = 0; i < na && i < nb; i++) {
		int r;
		mv_element(base, a, i, &ea);
		mv_element(base, b, i, &eb);
		r = compare_single(base, &ea, &eb, ok);
		if (r)
			return r;
	}
	return cmp_u64(na, nb);
}

STDAPI_(LONG) LPropCompareProp(LPSPropValue lpSPropValueA, LPSPropValue lpSPropValueB)
{
	ULONG ta, tb;
	BOOL ok;

	if (!lpSPropValueA || !lpSPropValueB)
		return (lpSPropValueA != NULL) - (lpSPropValueB != NULL);
	ta = propcompare_type(lpSPropValueA->ulPropTag);
	tb = propcompare_type(lpSPropValueB->ulPropTag);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return compare_values(ta, &lpSPropValueA->Value, &lpSPropValueB->Value, &ok);
}

/* ---- RELOP_RE ------------------------------------------------------------------ */

static pthread_once_t propcompare_locale_once = PTHREAD_ONCE_INIT;
static locale_t propcompare_utf8_locale;

static void propcompare_locale_init(void)
{
	propcompare_utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The UTF-8 form of a string value (malloc), ill-formed input as U+FFFD. */
static char *propcompare_utf8(ULONG type, const union _PV *v)
{
	if (type == PT_STRING8) {
		const char *s = v->lpszA ? v->lpszA : "";
		return mapix_utf8_sanitize(s, strlen(s));
	} else {
		const WCHAR *s = v->lpszW;
		size_t len = mapix_wcslen(s);
		size_t need = mapix_utf16_to_utf8_buf(s, len, NULL, 0);
		char *r = malloc(need + 1);
		if (r)
			mapix_utf16_to_utf8_buf(s, len, r, need + 1);
		return r;
	}
}

static BOOL propcompare_regex(ULONG type, const union _PV *subject, const union _PV *pattern)
{
	char *subj = propcompare_utf8(type, subject);
	char *pat = propcompare_utf8(type, pattern);
	locale_t saved = (locale_t)0;
	BOOL match = FALSE;
	regex_t re;
	int rc;

	if (!subj || !pat) {
		mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "FPropCompareProp: no memory for RELOP_RE");
		goto out;
	}
	pthread_once(&propcompare_locale_once, propcompare_locale_init);
	if (propcompare_utf8_locale)
		saved = uselocale(propcompare_utf8_locale);
	rc = regcomp(&re, pat, REG_EXTENDED | REG_NOSUB);
	if (rc == 0) {
		match = regexec(&re, subj, 0, NULL, 0) == 0;
		regfree(&re);
	} else {
		char why[128];
		regerror(rc, NULL, why, sizeof why);
		mapix_error(MAPI_E_INVALID_PARAMETER, "FPropCompareProp: RELOP_RE pattern is invalid: %s", why);
	}
	if (propcompare_utf8_locale)
		uselocale(saved);
out:
	free(subj);
	free(pat);
	return match;
}

STDAPI_(BOOL) FPropCompareProp(LPSPropValue lpSPropValue1, ULONG ulRelOp, LPSPropValue lpSPropValue2)
{
	ULONG type;
	BOOL ok;
	int r;

	if (!lpSPropValue1 || !lpSPropValue2)
		return FALSE;
	type = propcompare_type(lpSPropValue1->ulPropTag);
	if (type != propcompare_type(lpSPropValue2->ulPropTag))
		return FALSE;
	if (ulRelOp == RELOP_RE) {
		if (type != PT_STRING8 && type != PT_UNICODE)
			return FALSE;
		return propcompare_regex(type, &lpSPropValue1->Value, &lpSPropValue2->Value);
	}
	r = compare_values(type, &lpSPropValue1->Value, &lpSPropValue2->Value, &ok);
	if (!ok)
		return FALSE;
	switch (ulRelOp) {
	case RELOP_LT: return r < 0;
	case RELOP_LE: return r <= 0;
	case RELOP_GT: return r > 0;
	case RELOP_GE: return r >= 0;
	case RELOP_EQ: return r == 0;
	case RELOP_NE: return r != 0;
	default: return FALSE;
	}
}

/* ---- FPropContainsProp -------------------------------------------------------- */

static BOOL contains_binary(const SBinary *hay, const SBinary *needle, ULONG ulFuzzyLevel)
{
	ULONG hl = hay->lpb ? hay->cb : 0, nl = needle->lpb ? needle->cb : 0;

	switch (ulFuzzyLevel & 0xFFFFu) {
	case FL_FULLSTRING:
		return hl == nl && (nl == 0 || memcmp(hay->lpb, needle->lpb, nl) == 0);
	case FL_PREFIX:
		return nl <= hl && (nl == 0 || memcmp(hay->lpb, needle->lpb, nl) == 0);
	case FL_SUBSTRING:
		return nl == 0 || (nl <= hl && memmem(hay->lpb, hl, needle->lpb, nl) != NULL);
	default:
		return FALSE;
	}
}

STDAPI_(BOOL) FPropContainsProp(LPSPropValue lpSPropValueDst, LPSPropValue lpSPropValueSrc, ULONG ulFuzzyLevel)
{
	ULONG type;

	if (!lpSPropValueDst || !lpSPropValueSrc)
		return FALSE;
	type = propcompare_type(lpSPropValueDst->ulPropTag);
	if (type != propcompare_type(lpSPropValueSrc->ulPropTag))
		return FALSE;
	switch (type) {
	case PT_STRING8: {
		const char *h = lpSPropValueDst->Value.lpszA, *n = lpSPropValueSrc->Value.lpszA;
		return mapix_collation_match(mapix_text_utf8(h, h ? strlen(h) : 0), mapix_text_utf8(n, n ? strlen(n) : 0),
		                             ulFuzzyLevel);
	}
	case PT_UNICODE: {
		const WCHAR *h = lpSPropValueDst->Value.lpszW, *n = lpSPropValueSrc->Value.lpszW;
		return mapix_collation_match(mapix_text_utf16(h, mapix_wcslen(h)), mapix_text_utf16(n, mapix_wcslen(n)),
		                             ulFuzzyLevel);
	}
	case PT_BINARY:
		return contains_binary(&lpSPropValueDst->Value.bin, &lpSPropValueSrc->Value.bin, ulFuzzyLevel);
	default:
		return FALSE;
	}
}
