/*
 * restriction.c — the one restriction evaluator of mapix, plus validation,
 * deep copy and tag collection of SRestriction trees (see mapixrestrict.h
 * for the semantics every caller relies on). Value comparisons are
 * delegated to FPropCompareProp / FPropContainsProp so that the evaluator,
 * sorting and the store's SQL collation all agree.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixrestrict.h>

#include "core/error.h"

/* ---- small helpers ---------------------------------------------------------- */

static ULONG base_type(ULONG ulPropTag)
{
	return PROP_TYPE(ulPropTag) & ~(ULONG)MVI_FLAG;
}

static BOOL is_string_type(ULONG t)
{
	return t == PT_STRING8 || t == PT_UNICODE;
}

static BOOL types_compatible(ULONG t1, ULONG t2)
{
	return t1 == t2 || (is_string_type(t1) && is_string_type(t2));
}

/* A value that stands for a whole array (MV without the instance bit). */
static BOOL is_array_value(ULONG ulPropTag)
{
	return (PROP_TYPE(ulPropTag) & MVI_FLAG) == MV_FLAG;
}

static BOOL is_comparable_type(ULONG t)
{
	switch (t) {
	case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME:
	case PT_BOOLEAN: case PT_I8: case PT_STRING8: case PT_UNICODE: case PT_SYSTIME: case PT_CLSID:
	case PT_BINARY: case PT_SVREID:
		return TRUE;
	default:
		return FALSE;
	}
}

/* The row's value for a property ID; PT_ERROR values count as missing. */
static LPSPropValue find_by_id(ULONG ulPropTag, ULONG cValues, LPSPropValue lpProps)
{
	ULONG id = PROP_ID(ulPropTag);
	if (!lpProps)
		return NULL;
	for (ULONG i = 0; i < cValues; i++)
		if (PROP_ID(lpProps[i].ulPropTag) == id && PROP_TYPE(lpProps[i].ulPropTag) != PT_ERROR)
			return &lpProps[i];
	return NULL;
}

/* Number of elements of an array value (all MV members start with cValues). */
static ULONG array_count(const SPropValue *v)
{
	return v->Value.MVi.cValues;
}

/* Element i of an array value as a single value (shares the array's memory). */
static BOOL array_element(const SPropValue *v, ULONG i, SPropValue *out)
{
	ULONG t = base_type(v->ulPropTag);
	memset(out, 0, sizeof *out);
	out->ulPropTag = PROP_TAG(t, PROP_ID(v->ulPropTag));
	switch (t) {
	case PT_I2: out->Value.i = v->Value.MVi.lpi[i]; break;
	case PT_LONG: out->Value.l = v->Value.MVl.lpl[i]; break;
	case PT_R4: out->Value.flt = v->Value.MVflt.lpflt[i]; break;
	case PT_DOUBLE: out->Value.dbl = v->Value.MVdbl.lpdbl[i]; break;
	case PT_CURRENCY: out->Value.cur = v->Value.MVcur.lpcur[i]; break;
	case PT_APPTIME: out->Value.at = v->Value.MVat.lpat[i]; break;
	case PT_SYSTIME: out->Value.ft = v->Value.MVft.lpft[i]; break;
	case PT_STRING8: out->Value.lpszA = v->Value.MVszA.lppszA[i]; break;
	case PT_UNICODE: out->Value.lpszW = v->Value.MVszW.lppszW[i]; break;
	case PT_BINARY: out->Value.bin = v->Value.MVbin.lpbin[i]; break;
	case PT_CLSID: out->Value.lpguid = &v->Value.MVguid.lpguid[i]; break;
	case PT_I8: out->Value.li = v->Value.MVli.lpli[i]; break;
	default: return FALSE;
	}
	return TRUE;
}

/* A single value as seen through its base type (drops MV_INSTANCE). */
static void as_single(const SPropValue *v, SPropValue *out)
{
	*out = *v;
	out->ulPropTag = PROP_TAG(base_type(v->ulPropTag), PROP_ID(v->ulPropTag));
}

/*
 * Makes *out a copy of the single value *in in string width want_type (when
 * both are strings of different widths; otherwise a plain copy). *lppFree
 * receives memory to free() afterwards, or NULL.
 */
static HRESULT coerce_width(const SPropValue *in, ULONG want_type, SPropValue *out, void **lppFree)
{
	ULONG have = PROP_TYPE(in->ulPropTag);
	*out = *in;
	*lppFree = NULL;
	if (have == want_type || !is_string_type(have) || !is_string_type(want_type))
		return S_OK;
	out->ulPropTag = PROP_TAG(want_type, PROP_ID(in->ulPropTag));
	if (have == PT_STRING8) {
		const char *s = in->Value.lpszA ? in->Value.lpszA : "";
		size_t len = strlen(s);
		size_t need = mapix_utf8_to_utf16_buf(s, len, NULL, 0);
		WCHAR *w = malloc((need + 1) * sizeof(WCHAR));
		if (!w)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_restriction_eval: out of memory converting a string");
		mapix_utf8_to_utf16_buf(s, len, w, need + 1);
		out->Value.lpszW = w;
		*lppFree = w;
	} else {
		static const WCHAR empty[1] = {0};
		const WCHAR *s = in->Value.lpszW ? in->Value.lpszW : empty;
		size_t len = mapix_wcslen(s);
		size_t need = mapix_utf16_to_utf8_buf(s, len, NULL, 0);
		char *a = malloc(need + 1);
		if (!a)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_restriction_eval: out of memory converting a string");
		mapix_utf16_to_utf8_buf(s, len, a, need + 1);
		out->Value.lpszA = a;
		*lppFree = a;
	}
	return S_OK;
}

enum pair_op { PAIR_RELOP, PAIR_CONTAINS };

/* lhs (single) against rhs (single, or a whole array when both are arrays). */
static HRESULT compare_single(const SPropValue *lhs, const SPropValue *rhs, enum pair_op op, ULONG arg, BOOL *lpf)
{
	SPropValue l;
	void *tofree = NULL;
	HRESULT hr;
	if (!types_compatible(base_type(lhs->ulPropTag), base_type(rhs->ulPropTag))) {
		*lpf = FALSE; /* the row holds another type under this ID: no match */
		return S_OK;
	}
	hr = coerce_width(lhs, PROP_TYPE(rhs->ulPropTag), &l, &tofree);
	if (FAILED(hr))
		return hr;
	if (op == PAIR_RELOP)
		*lpf = FPropCompareProp(&l, arg, (LPSPropValue)rhs) ? TRUE : FALSE;
	else
		*lpf = FPropContainsProp(&l, (LPSPropValue)rhs, arg) ? TRUE : FALSE;
	free(tofree);
	return S_OK;
}

/*
 * Compares a row value with a restriction value (or a second row value),
 * applying the multi-valued rules: an array against a single value matches
 * when any element does; two arrays of one type compare whole.
 */
static HRESULT match_pair(const SPropValue *lhs, const SPropValue *rhs, enum pair_op op, ULONG arg, BOOL *lpf)
{
	SPropValue l, r, e;
	HRESULT hr;
	BOOL lArr = is_array_value(lhs->ulPropTag), rArr = is_array_value(rhs->ulPropTag);

	*lpf = FALSE;
	if (lArr && rArr) {
		if (op != PAIR_RELOP || PROP_TYPE(lhs->ulPropTag) != PROP_TYPE(rhs->ulPropTag))
			return S_OK;
		*lpf = FPropCompareProp((LPSPropValue)lhs, arg, (LPSPropValue)rhs) ? TRUE : FALSE;
		return S_OK;
	}
	if (lArr) {
		as_single(rhs, &r);
		for (ULONG i = 0; i < array_count(lhs); i++) {
			if (!array_element(lhs, i, &e))
				return S_OK;
			hr = compare_single(&e, &r, op, arg, lpf);
			if (FAILED(hr) || *lpf)
				return hr;
		}
		return S_OK;
	}
	as_single(lhs, &l);
	if (rArr) {
		for (ULONG i = 0; i < array_count(rhs); i++) {
			if (!array_element(rhs, i, &e))
				return S_OK;
			hr = compare_single(&l, &e, op, arg, lpf);
			if (FAILED(hr) || *lpf)
				return hr;
		}
		return S_OK;
	}
	as_single(rhs, &r);
	return compare_single(&l, &r, op, arg, lpf);
}

static BOOL relop_ulong(ULONG a, ULONG relop, ULONG b)
{
	switch (relop) {
	case RELOP_LT: return a < b;
	case RELOP_LE: return a <= b;
	case RELOP_GT: return a > b;
	case RELOP_GE: return a >= b;
	case RELOP_EQ: return a == b;
	case RELOP_NE: return a != b;
	default: return FALSE;
	}
}

static BOOL bitmask_value(const SPropValue *v, ULONG i, ULONG *out)
{
	ULONG t = PROP_TYPE(v->ulPropTag);
	if (is_array_value(v->ulPropTag)) {
		if (i >= array_count(v))
			return FALSE;
		*out = base_type(t) == PT_I2 ? (ULONG)(unsigned short)v->Value.MVi.lpi[i] : (ULONG)v->Value.MVl.lpl[i];
		return TRUE;
	}
	if (i > 0)
		return FALSE;
	*out = base_type(t) == PT_I2 ? (ULONG)(unsigned short)v->Value.i : v->Value.ul;
	return TRUE;
}

/* ---- validation ----------------------------------------------------------------- */

static const char *rt_name(ULONG rt)
{
	static const char *const names[] = {"RES_AND", "RES_OR", "RES_NOT", "RES_CONTENT", "RES_PROPERTY",
	                                    "RES_COMPAREPROPS", "RES_BITMASK", "RES_SIZE", "RES_EXIST",
	                                    "RES_SUBRESTRICTION", "RES_COMMENT", "RES_COUNT", "RES_ANNOTATION"};
	return rt < sizeof names / sizeof names[0] ? names[rt] : "unknown";
}

/* Checks one node (not its children). fn names the public entry point. */
static HRESULT check_node(const SRestriction *r, const char *fn)
{
	switch (r->rt) {
	case RES_AND:
	case RES_OR:
		if (r->res.resAnd.cRes && !r->res.resAnd.lpRes)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: %s with %u children but no array", fn,
			                   rt_name(r->rt), (unsigned)r->res.resAnd.cRes);
		return S_OK;
	case RES_NOT:
		if (!r->res.resNot.lpRes)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: RES_NOT without a restriction", fn);
		return S_OK;
	case RES_CONTENT: {
		const SContentRestriction *c = &r->res.resContent;
		ULONG vt;
		if (!c->lpProp)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: RES_CONTENT without a value", fn);
		if ((c->ulFuzzyLevel & 0xFFFF) > FL_PREFIX ||
		    (c->ulFuzzyLevel & 0xFFFF0000) & ~(FL_IGNORECASE | FL_IGNORENONSPACE | FL_LOOSE))
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_CONTENT fuzzy level 0x%08X not supported", fn,
			                   (unsigned)c->ulFuzzyLevel);
		vt = PROP_TYPE(c->lpProp->ulPropTag);
		if ((vt & MV_FLAG) || !(is_string_type(vt) || vt == PT_BINARY) ||
		    !types_compatible(base_type(c->ulPropTag), vt))
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_CONTENT on 0x%08X with a value of type 0x%04X", fn,
			                   (unsigned)c->ulPropTag, (unsigned)vt);
		return S_OK;
	}
	case RES_PROPERTY: {
		const SPropertyRestriction *p = &r->res.resProperty;
		if (!p->lpProp)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: RES_PROPERTY without a value", fn);
		if (p->relop > RELOP_RE)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_PROPERTY relop %u not supported", fn,
			                   (unsigned)p->relop);
		if (!is_comparable_type(base_type(p->lpProp->ulPropTag)) ||
		    !types_compatible(base_type(p->ulPropTag), base_type(p->lpProp->ulPropTag)) ||
		    (is_array_value(p->lpProp->ulPropTag) && !(PROP_TYPE(p->ulPropTag) & MV_FLAG)))
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_PROPERTY types differ (0x%08X vs value 0x%08X)", fn,
			                   (unsigned)p->ulPropTag, (unsigned)p->lpProp->ulPropTag);
		return S_OK;
	}
	case RES_COMPAREPROPS: {
		const SComparePropsRestriction *c = &r->res.resCompareProps;
		if (c->relop > RELOP_RE)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_COMPAREPROPS relop %u not supported", fn,
			                   (unsigned)c->relop);
		if (!is_comparable_type(base_type(c->ulPropTag1)) ||
		    !types_compatible(base_type(c->ulPropTag1), base_type(c->ulPropTag2)))
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_COMPAREPROPS types differ (0x%08X vs 0x%08X)", fn,
			                   (unsigned)c->ulPropTag1, (unsigned)c->ulPropTag2);
		return S_OK;
	}
	case RES_BITMASK: {
		ULONG t = base_type(r->res.resBitMask.ulPropTag);
		if (r->res.resBitMask.relBMR > BMR_NEZ)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_BITMASK relBMR %u not supported", fn,
			                   (unsigned)r->res.resBitMask.relBMR);
		if (t != PT_LONG && t != PT_I2)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_BITMASK on 0x%08X, which is not an integer", fn,
			                   (unsigned)r->res.resBitMask.ulPropTag);
		return S_OK;
	}
	case RES_SIZE:
		if (r->res.resSize.relop > RELOP_NE)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_SIZE relop %u not supported", fn,
			                   (unsigned)r->res.resSize.relop);
		return S_OK;
	case RES_EXIST:
		return S_OK;
	case RES_SUBRESTRICTION:
		if (!r->res.resSub.lpRes)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: RES_SUBRESTRICTION without a restriction", fn);
		if (r->res.resSub.ulSubObject != PR_MESSAGE_RECIPIENTS && r->res.resSub.ulSubObject != PR_MESSAGE_ATTACHMENTS)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: RES_SUBRESTRICTION on 0x%08X, not recipients or attachments",
			                   fn, (unsigned)r->res.resSub.ulSubObject);
		return S_OK;
	case RES_COMMENT:
	case RES_ANNOTATION:
		if (r->res.resComment.cValues && !r->res.resComment.lpProp)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: %s with %u values but no array", fn, rt_name(r->rt),
			                   (unsigned)r->res.resComment.cValues);
		return S_OK;
	case RES_COUNT:
		if (!r->res.resCount.lpRes)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: RES_COUNT without a restriction", fn);
		return S_OK;
	default:
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: unknown restriction type %u", fn, (unsigned)r->rt);
	}
}

/* Calls fn on every direct child of r. */
typedef HRESULT (*child_fn)(const SRestriction *child, unsigned depth, void *ctx);

static HRESULT for_each_child(const SRestriction *r, unsigned depth, child_fn fn, void *ctx)
{
	HRESULT hr = S_OK;
	switch (r->rt) {
	case RES_AND:
	case RES_OR:
		for (ULONG i = 0; i < r->res.resAnd.cRes && SUCCEEDED(hr); i++)
			hr = fn(&r->res.resAnd.lpRes[i], depth + 1, ctx);
		return hr;
	case RES_NOT:
		return fn(r->res.resNot.lpRes, depth + 1, ctx);
	case RES_SUBRESTRICTION:
		return fn(r->res.resSub.lpRes, depth + 1, ctx);
	case RES_COUNT:
		return fn(r->res.resCount.lpRes, depth + 1, ctx);
	case RES_COMMENT:
	case RES_ANNOTATION:
		return r->res.resComment.lpRes ? fn(r->res.resComment.lpRes, depth + 1, ctx) : S_OK;
	default:
		return S_OK;
	}
}

static HRESULT validate_tree(const SRestriction *r, unsigned depth, void *ctx)
{
	const char *fn = ctx;
	HRESULT hr;
	if (!r)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL restriction", fn);
	if (depth >= MAPIX_RESTRICTION_MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: restriction nested deeper than %d levels", fn,
		                   MAPIX_RESTRICTION_MAX_DEPTH);
	hr = check_node(r, fn);
	if (FAILED(hr))
		return hr;
	return for_each_child(r, depth, validate_tree, ctx);
}

STDAPI_(HRESULT) mapix_restriction_validate(LPSRestriction lpRes)
{
	return validate_tree(lpRes, 0, (void *)"mapix_restriction_validate");
}

/* ---- evaluation ------------------------------------------------------------------- */

struct eval_ctx {
	ULONG cValues;
	LPSPropValue lpProps;
	const MAPIXSUBOBJECTS *lpSub;
	MAPIXRESTRICTIONSTATE *lpState;
};

static HRESULT eval_node(const SRestriction *r, unsigned depth, const struct eval_ctx *ctx, BOOL *lpf);

static HRESULT eval_count(const SRestriction *r, unsigned depth, const struct eval_ctx *ctx, BOOL *lpf)
{
	MAPIXRESTRICTIONSTATE *st = ctx->lpState;
	ULONG slot;
	HRESULT hr;

	if (!st) {
		/* One row is a pass of its own: nothing was accepted before it. */
		if (r->res.resCount.ulCount == 0) {
			*lpf = FALSE;
			return S_OK;
		}
		return eval_node(r->res.resCount.lpRes, depth + 1, ctx, lpf);
	}
	for (slot = 0; slot < st->cCounters; slot++)
		if (st->aCounters[slot].lpRes == r)
			break;
	if (slot == st->cCounters) {
		if (st->cCounters >= MAPIX_RESTRICTION_MAX_COUNTS)
			return mapix_error(MAPI_E_TOO_COMPLEX, "mapix_restriction_eval: more than %d RES_COUNT nodes",
			                   MAPIX_RESTRICTION_MAX_COUNTS);
		st->aCounters[slot].lpRes = r;
		st->aCounters[slot].cAccepted = 0;
		st->cCounters++;
	}
	if (st->aCounters[slot].cAccepted >= r->res.resCount.ulCount) {
		*lpf = FALSE;
		return S_OK;
	}
	hr = eval_node(r->res.resCount.lpRes, depth + 1, ctx, lpf);
	if (SUCCEEDED(hr) && *lpf)
		st->aCounters[slot].cAccepted++;
	return hr;
}

static HRESULT eval_sub(const SRestriction *r, unsigned depth, const struct eval_ctx *ctx, BOOL *lpf)
{
	const MAPIXSUBOBJECTS *sub = ctx->lpSub;
	LPSRowSet rows = NULL;
	HRESULT hr;

	if (!sub || !sub->GetSubObjectRows)
		return mapix_error(MAPI_E_TOO_COMPLEX,
		                   "mapix_restriction_eval: RES_SUBRESTRICTION needs the rows of sub-object 0x%08X, "
		                   "and this caller provides no sub-objects",
		                   (unsigned)r->res.resSub.ulSubObject);
	hr = sub->GetSubObjectRows(sub->lpContext, r->res.resSub.ulSubObject, ctx->cValues, ctx->lpProps, &rows);
	if (FAILED(hr))
		return hr;
	*lpf = FALSE;
	if (rows) {
		/* The sub-object's rows are one pass of their own for RES_COUNT. */
		MAPIXRESTRICTIONSTATE st = MAPIX_RESTRICTION_STATE_INIT;
		for (ULONG i = 0; i < rows->cRows && !*lpf && SUCCEEDED(hr); i++) {
			struct eval_ctx c = {rows->aRow[i].cValues, rows->aRow[i].lpProps, ctx->lpSub, &st};
			hr = eval_node(r->res.resSub.lpRes, depth + 1, &c, lpf);
		}
		FreeProws(rows);
	}
	return hr;
}

static HRESULT eval_node(const SRestriction *r, unsigned depth, const struct eval_ctx *ctx, BOOL *lpf)
{
	static const char fn[] = "mapix_restriction_eval";
	LPSPropValue v, v2;
	HRESULT hr;

	*lpf = FALSE;
	if (!r)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL restriction", fn);
	if (depth >= MAPIX_RESTRICTION_MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: restriction nested deeper than %d levels", fn,
		                   MAPIX_RESTRICTION_MAX_DEPTH);
	hr = check_node(r, fn);
	if (FAILED(hr))
		return hr;

	switch (r->rt) {
	case RES_AND:
		*lpf = TRUE;
		for (ULONG i = 0; i < r->res.resAnd.cRes && *lpf; i++) {
			hr = eval_node(&r->res.resAnd.lpRes[i], depth + 1, ctx, lpf);
			if (FAILED(hr))
				return hr;
		}
		return S_OK;
	case RES_OR:
		for (ULONG i = 0; i < r->res.resOr.cRes && !*lpf; i++) {
			hr = eval_node(&r->res.resOr.lpRes[i], depth + 1, ctx, lpf);
			if (FAILED(hr))
				return hr;
		}
		return S_OK;
	case RES_NOT:
		hr = eval_node(r->res.resNot.lpRes, depth + 1, ctx, lpf);
		*lpf = !*lpf;
		return hr;
	case RES_CONTENT:
		v = find_by_id(r->res.resContent.ulPropTag, ctx->cValues, ctx->lpProps);
		if (!v)
			return S_OK;
		return match_pair(v, r->res.resContent.lpProp, PAIR_CONTAINS, r->res.resContent.ulFuzzyLevel, lpf);
	case RES_PROPERTY:
		v = find_by_id(r->res.resProperty.ulPropTag, ctx->cValues, ctx->lpProps);
		if (!v)
			return S_OK;
		return match_pair(v, r->res.resProperty.lpProp, PAIR_RELOP, r->res.resProperty.relop, lpf);
	case RES_COMPAREPROPS:
		v = find_by_id(r->res.resCompareProps.ulPropTag1, ctx->cValues, ctx->lpProps);
		v2 = find_by_id(r->res.resCompareProps.ulPropTag2, ctx->cValues, ctx->lpProps);
		if (!v || !v2)
			return S_OK;
		return match_pair(v, v2, PAIR_RELOP, r->res.resCompareProps.relop, lpf);
	case RES_BITMASK: {
		ULONG t, val;
		v = find_by_id(r->res.resBitMask.ulPropTag, ctx->cValues, ctx->lpProps);
		if (!v)
			return S_OK;
		t = base_type(v->ulPropTag);
		if (t != PT_LONG && t != PT_I2)
			return S_OK;
		for (ULONG i = 0; bitmask_value(v, i, &val) && !*lpf; i++) {
			BOOL zero = (val & r->res.resBitMask.ulMask) == 0;
			*lpf = r->res.resBitMask.relBMR == BMR_EQZ ? zero : !zero;
		}
		return S_OK;
	}
	case RES_SIZE:
		v = find_by_id(r->res.resSize.ulPropTag, ctx->cValues, ctx->lpProps);
		if (v)
			*lpf = relop_ulong(UlPropSize(v), r->res.resSize.relop, r->res.resSize.cb);
		return S_OK;
	case RES_EXIST:
		*lpf = find_by_id(r->res.resExist.ulPropTag, ctx->cValues, ctx->lpProps) != NULL;
		return S_OK;
	case RES_SUBRESTRICTION:
		return eval_sub(r, depth, ctx, lpf);
	case RES_COMMENT:
	case RES_ANNOTATION:
		if (!r->res.resComment.lpRes) {
			*lpf = TRUE;
			return S_OK;
		}
		return eval_node(r->res.resComment.lpRes, depth + 1, ctx, lpf);
	case RES_COUNT:
		return eval_count(r, depth, ctx, lpf);
	default:
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: unknown restriction type %u", fn, (unsigned)r->rt);
	}
}

STDAPI_(HRESULT) mapix_restriction_eval_state(LPSRestriction lpRes, ULONG cValues, LPSPropValue lpProps,
                                              const MAPIXSUBOBJECTS *lpSub, MAPIXRESTRICTIONSTATE *lpState,
                                              BOOL *lpfMatch)
{
	struct eval_ctx ctx = {cValues, lpProps, lpSub, lpState};
	BOOL f = FALSE;
	HRESULT hr;

	if (!lpRes || !lpfMatch || (cValues && !lpProps))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_restriction_eval: NULL restriction, row or result");
	hr = eval_node(lpRes, 0, &ctx, &f);
	*lpfMatch = SUCCEEDED(hr) ? f : FALSE;
	return FAILED(hr) ? hr : S_OK;
}

STDAPI_(HRESULT) mapix_restriction_eval(LPSRestriction lpRes, ULONG cValues, LPSPropValue lpProps,
                                        const MAPIXSUBOBJECTS *lpSub, BOOL *lpfMatch)
{
	return mapix_restriction_eval_state(lpRes, cValues, lpProps, lpSub, NULL, lpfMatch);
}

/* ---- deep copy ---------------------------------------------------------------------- */

static HRESULT dup_props(ULONG c, const SPropValue *src, LPVOID root, LPSPropValue *out)
{
	LPSPropValue dst = NULL;
	SCODE sc;
	*out = NULL;
	if (!c || !src)
		return S_OK;
	sc = MAPIAllocateMore(c * (ULONG)sizeof(SPropValue), root, (LPVOID *)&dst);
	if (FAILED(sc))
		return mapix_error(sc, "mapix_restriction_dup: out of memory");
	for (ULONG i = 0; i < c; i++) {
		sc = PropCopyMore(&dst[i], (LPSPropValue)&src[i], MAPIAllocateMore, root);
		if (FAILED(sc))
			return sc;
	}
	*out = dst;
	return S_OK;
}

static HRESULT dup_node(const SRestriction *src, SRestriction *dst, LPVOID root, unsigned depth);

static HRESULT dup_child(const SRestriction *src, LPVOID root, unsigned depth, LPSRestriction *out)
{
	SCODE sc;
	*out = NULL;
	if (!src)
		return S_OK;
	sc = MAPIAllocateMore(sizeof(SRestriction), root, (LPVOID *)out);
	if (FAILED(sc))
		return mapix_error(sc, "mapix_restriction_dup: out of memory");
	return dup_node(src, *out, root, depth + 1);
}

static HRESULT dup_node(const SRestriction *src, SRestriction *dst, LPVOID root, unsigned depth)
{
	static const char fn[] = "mapix_restriction_dup";
	HRESULT hr;
	SCODE sc;

	if (depth >= MAPIX_RESTRICTION_MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: restriction nested deeper than %d levels", fn,
		                   MAPIX_RESTRICTION_MAX_DEPTH);
	hr = check_node(src, fn);
	if (FAILED(hr))
		return hr;
	*dst = *src;
	switch (src->rt) {
	case RES_AND:
	case RES_OR:
		dst->res.resAnd.lpRes = NULL;
		if (src->res.resAnd.cRes) {
			sc = MAPIAllocateMore(src->res.resAnd.cRes * (ULONG)sizeof(SRestriction), root,
			                      (LPVOID *)&dst->res.resAnd.lpRes);
			if (FAILED(sc))
				return mapix_error(sc, "%s: out of memory", fn);
			for (ULONG i = 0; i < src->res.resAnd.cRes; i++) {
				hr = dup_node(&src->res.resAnd.lpRes[i], &dst->res.resAnd.lpRes[i], root, depth + 1);
				if (FAILED(hr))
					return hr;
			}
		}
		return S_OK;
	case RES_NOT:
		return dup_child(src->res.resNot.lpRes, root, depth, &dst->res.resNot.lpRes);
	case RES_SUBRESTRICTION:
		return dup_child(src->res.resSub.lpRes, root, depth, &dst->res.resSub.lpRes);
	case RES_COUNT:
		return dup_child(src->res.resCount.lpRes, root, depth, &dst->res.resCount.lpRes);
	case RES_COMMENT:
	case RES_ANNOTATION:
		hr = dup_props(src->res.resComment.cValues, src->res.resComment.lpProp, root, &dst->res.resComment.lpProp);
		if (FAILED(hr))
			return hr;
		return dup_child(src->res.resComment.lpRes, root, depth, &dst->res.resComment.lpRes);
	case RES_CONTENT:
		return dup_props(1, src->res.resContent.lpProp, root, &dst->res.resContent.lpProp);
	case RES_PROPERTY:
		return dup_props(1, src->res.resProperty.lpProp, root, &dst->res.resProperty.lpProp);
	default:
		return S_OK; /* the rest hold no pointers */
	}
}

STDAPI_(HRESULT) mapix_restriction_dup_more(LPSRestriction lpSrc, LPVOID lpParent, LPSRestriction lpDst)
{
	if (!lpSrc || !lpParent || !lpDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_restriction_dup: NULL restriction or parent");
	return dup_node(lpSrc, lpDst, lpParent, 0);
}

STDAPI_(HRESULT) mapix_restriction_dup(LPSRestriction lpSrc, LPSRestriction *lppDst)
{
	LPSRestriction root = NULL;
	HRESULT hr;
	SCODE sc;

	if (!lpSrc || !lppDst)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_restriction_dup: NULL restriction");
	*lppDst = NULL;
	sc = MAPIAllocateBuffer(sizeof(SRestriction), (LPVOID *)&root);
	if (FAILED(sc))
		return mapix_error(sc, "mapix_restriction_dup: out of memory");
	hr = dup_node(lpSrc, root, root, 0);
	if (FAILED(hr)) {
		MAPIFreeBuffer(root);
		return hr;
	}
	*lppDst = root;
	return S_OK;
}

/* ---- tags read -------------------------------------------------------------------------- */

struct tag_list {
	ULONG c, cap;
	ULONG *tags;
	ULONG ulFlags;
};

static HRESULT tag_add(struct tag_list *l, ULONG tag)
{
	for (ULONG i = 0; i < l->c; i++)
		if (l->tags[i] == tag)
			return S_OK;
	if (l->c == l->cap) {
		ULONG ncap = l->cap ? l->cap * 2 : 8;
		ULONG *n = realloc(l->tags, ncap * sizeof(ULONG));
		if (!n)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_restriction_tags: out of memory");
		l->tags = n;
		l->cap = ncap;
	}
	l->tags[l->c++] = tag;
	return S_OK;
}

static HRESULT collect_tags(const SRestriction *r, unsigned depth, void *vctx)
{
	struct tag_list *l = vctx;
	HRESULT hr;

	if (!r)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_restriction_tags: NULL restriction");
	if (depth >= MAPIX_RESTRICTION_MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "mapix_restriction_tags: restriction nested deeper than %d levels",
		                   MAPIX_RESTRICTION_MAX_DEPTH);
	hr = check_node(r, "mapix_restriction_tags");
	if (FAILED(hr))
		return hr;
	switch (r->rt) {
	case RES_CONTENT: return tag_add(l, r->res.resContent.ulPropTag);
	case RES_PROPERTY: return tag_add(l, r->res.resProperty.ulPropTag);
	case RES_COMPAREPROPS:
		hr = tag_add(l, r->res.resCompareProps.ulPropTag1);
		return FAILED(hr) ? hr : tag_add(l, r->res.resCompareProps.ulPropTag2);
	case RES_BITMASK: return tag_add(l, r->res.resBitMask.ulPropTag);
	case RES_SIZE: return tag_add(l, r->res.resSize.ulPropTag);
	case RES_EXIST: return tag_add(l, r->res.resExist.ulPropTag);
	case RES_SUBRESTRICTION:
		hr = tag_add(l, r->res.resSub.ulSubObject);
		if (FAILED(hr) || !(l->ulFlags & MAPIX_RESTAGS_SUBOBJECTS))
			return hr;
		return collect_tags(r->res.resSub.lpRes, depth + 1, vctx);
	default:
		return for_each_child(r, depth, collect_tags, vctx);
	}
}

STDAPI_(HRESULT) mapix_restriction_tags(LPSRestriction lpRes, ULONG ulFlags, LPSPropTagArray *lppTags)
{
	struct tag_list l = {0, 0, NULL, ulFlags};
	LPSPropTagArray out = NULL;
	HRESULT hr;
	SCODE sc;

	if (!lpRes || !lppTags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_restriction_tags: NULL restriction or result");
	if (ulFlags & ~MAPIX_RESTAGS_SUBOBJECTS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "mapix_restriction_tags: unknown flags 0x%08X", (unsigned)ulFlags);
	*lppTags = NULL;
	hr = collect_tags(lpRes, 0, &l);
	if (SUCCEEDED(hr)) {
		sc = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(l.c), (LPVOID *)&out);
		if (FAILED(sc)) {
			hr = mapix_error(sc, "mapix_restriction_tags: out of memory");
		} else {
			out->cValues = l.c;
			if (l.c)
				memcpy(out->aulPropTag, l.tags, l.c * sizeof(ULONG));
			*lppTags = out;
		}
	}
	free(l.tags);
	return hr;
}
