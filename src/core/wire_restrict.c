/*
 * wire_restrict.c — restrictions and sort order sets on the wire
 * (mapixwire.h, docs/formats.md "Value encoding"). Layouts are MS-OXCDATA
 * 2.12 and 2.13 with 32-bit counts; the table and search code of the store
 * and mapixd receive their restrictions through here.
 *
 * Restrictions are recursive, so both directions carry the nesting level and
 * stop at MAPIX_WIRE_MAX_DEPTH: a hostile input can neither exhaust the
 * stack nor make a later evaluator recurse without bound.
 */
#include <string.h>

#include "core/error.h"
#include "core/wire.h"

/* ---- encoder ---------------------------------------------------------- */

static HRESULT enc_u8_field(const mapix_wire_enc *e, ULONG v, const char *what)
{
	if (v > 0xFF)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "%s 0x%X does not fit the one-byte field", what,
		                      (unsigned)v);
	return mapix_wire_put_u8(e->buf, (BYTE)v);
}

static HRESULT enc_children(const mapix_wire_enc *e, ULONG n, const SRestriction *arr, unsigned level)
{
	if (n && !arr)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "%u sub-restrictions and a NULL array", (unsigned)n);
	HRESULT hr = mapix_wire_put_u32(e->buf, n);
	for (ULONG i = 0; hr == S_OK && i < n; i++)
		hr = mapix_wire_enc_restriction(e, &arr[i], level, FALSE);
	return hr;
}

static HRESULT enc_tagged(const mapix_wire_enc *e, ULONG tag, const SPropValue *prop, unsigned level)
{
	if (!prop)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "restriction on tag 0x%08X has a NULL lpProp",
		                      (unsigned)tag);
	HRESULT hr = mapix_wire_put_u32(e->buf, tag);
	return hr == S_OK ? mapix_wire_enc_propval(e, prop, level) : hr;
}

HRESULT mapix_wire_enc_restriction(const mapix_wire_enc *e, const SRestriction *res, unsigned level, BOOL allow_none)
{
	MAPIXWIREBUF *b = e->buf;
	HRESULT hr;
	if (!res) {
		if (allow_none)
			return mapix_wire_put_u8(b, MAPIX_WIRE_RES_NONE);
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "NULL restriction inside a restriction");
	}
	unsigned lvl = level + 1;
	if (lvl > MAPIX_WIRE_MAX_DEPTH)
		return mapix_wire_bad(e, MAPI_E_TOO_COMPLEX, "restrictions nested deeper than %d", MAPIX_WIRE_MAX_DEPTH);
	switch (res->rt) {
	case RES_AND: case RES_OR:
	case RES_NOT: case RES_CONTENT: case RES_PROPERTY: case RES_COMPAREPROPS: case RES_BITMASK:
	case RES_SIZE: case RES_EXIST: case RES_SUBRESTRICTION: case RES_COMMENT: case RES_COUNT:
	case RES_ANNOTATION:
		break;
	default:
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "unknown restriction type 0x%X", (unsigned)res->rt);
	}
	hr = mapix_wire_put_u8(b, (BYTE)res->rt);
	if (hr != S_OK)
		return hr;
	switch (res->rt) {
	case RES_AND:
		return enc_children(e, res->res.resAnd.cRes, res->res.resAnd.lpRes, lvl);
	case RES_OR:
		return enc_children(e, res->res.resOr.cRes, res->res.resOr.lpRes, lvl);
	case RES_NOT:
		return mapix_wire_enc_restriction(e, res->res.resNot.lpRes, lvl, FALSE);
	case RES_CONTENT:
		hr = mapix_wire_put_u32(b, res->res.resContent.ulFuzzyLevel);
		return hr == S_OK ? enc_tagged(e, res->res.resContent.ulPropTag, res->res.resContent.lpProp, lvl) : hr;
	case RES_PROPERTY:
		hr = enc_u8_field(e, res->res.resProperty.relop, "relop");
		return hr == S_OK ? enc_tagged(e, res->res.resProperty.ulPropTag, res->res.resProperty.lpProp, lvl) : hr;
	case RES_COMPAREPROPS:
		hr = enc_u8_field(e, res->res.resCompareProps.relop, "relop");
		if (hr == S_OK)
			hr = mapix_wire_put_u32(b, res->res.resCompareProps.ulPropTag1);
		return hr == S_OK ? mapix_wire_put_u32(b, res->res.resCompareProps.ulPropTag2) : hr;
	case RES_BITMASK:
		hr = enc_u8_field(e, res->res.resBitMask.relBMR, "relBMR");
		if (hr == S_OK)
			hr = mapix_wire_put_u32(b, res->res.resBitMask.ulPropTag);
		return hr == S_OK ? mapix_wire_put_u32(b, res->res.resBitMask.ulMask) : hr;
	case RES_SIZE:
		hr = enc_u8_field(e, res->res.resSize.relop, "relop");
		if (hr == S_OK)
			hr = mapix_wire_put_u32(b, res->res.resSize.ulPropTag);
		return hr == S_OK ? mapix_wire_put_u32(b, res->res.resSize.cb) : hr;
	case RES_EXIST:
		return mapix_wire_put_u32(b, res->res.resExist.ulPropTag);
	case RES_SUBRESTRICTION:
		hr = mapix_wire_put_u32(b, res->res.resSub.ulSubObject);
		return hr == S_OK ? mapix_wire_enc_restriction(e, res->res.resSub.lpRes, lvl, FALSE) : hr;
	case RES_COUNT:
		hr = mapix_wire_put_u32(b, res->res.resCount.ulCount);
		return hr == S_OK ? mapix_wire_enc_restriction(e, res->res.resCount.lpRes, lvl, FALSE) : hr;
	default: {
		/* RES_COMMENT and RES_ANNOTATION share one layout. */
		const SCommentRestriction *c = &res->res.resComment;
		hr = mapix_wire_enc_props(e, c->cValues, c->lpProp, lvl);
		if (hr == S_OK)
			hr = mapix_wire_put_u8(b, c->lpRes ? 1 : 0);
		if (hr == S_OK && c->lpRes)
			hr = mapix_wire_enc_restriction(e, c->lpRes, lvl, FALSE);
		return hr;
	}
	}
}

MAPIX_API HRESULT mapix_wire_put_restriction(MAPIXWIREBUF *lpBuf, const SRestriction *lpRes)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_restriction"};
	if (!lpBuf)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL buffer");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_enc_restriction(&e, lpRes, 0, TRUE);
	if (hr != S_OK)
		lpBuf->cb = start;
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_sortorderset(MAPIXWIREBUF *lpBuf, const SSortOrderSet *lpSorts)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_sortorderset"};
	if (!lpBuf || !lpSorts)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL argument");
	if (lpSorts->cCategories > lpSorts->cSorts || lpSorts->cExpanded > lpSorts->cCategories)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "%u sorts, %u categories, %u expanded is inconsistent",
		                      (unsigned)lpSorts->cSorts, (unsigned)lpSorts->cCategories,
		                      (unsigned)lpSorts->cExpanded);
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_put_u32(lpBuf, lpSorts->cSorts);
	if (hr == S_OK)
		hr = mapix_wire_put_u32(lpBuf, lpSorts->cCategories);
	if (hr == S_OK)
		hr = mapix_wire_put_u32(lpBuf, lpSorts->cExpanded);
	for (ULONG i = 0; hr == S_OK && i < lpSorts->cSorts; i++) {
		hr = mapix_wire_put_u32(lpBuf, lpSorts->aSort[i].ulPropTag);
		if (hr == S_OK)
			hr = enc_u8_field(&e, lpSorts->aSort[i].ulOrder, "sort order");
	}
	if (hr != S_OK)
		lpBuf->cb = start;
	return hr;
}

/* ---- decoder ---------------------------------------------------------- */

static HRESULT dec_res(mapix_wire_dec *d, LPSRestriction out, unsigned level);

/* A restriction that must be present, in a new block. */
static HRESULT dec_child(mapix_wire_dec *d, LPSRestriction *out, unsigned level)
{
	void *p;
	HRESULT hr = mapix_wire_need(d, MAPIX_WIRE_MIN_RES, "restriction");
	if (hr == S_OK)
		hr = mapix_wire_alloc(d, sizeof(SRestriction), &p);
	if (hr != S_OK)
		return hr;
	*out = p;
	return dec_res(d, p, level);
}

static HRESULT dec_children(mapix_wire_dec *d, ULONG *count, LPSRestriction *arr, unsigned level)
{
	ULONG n;
	void *p;
	HRESULT hr = mapix_wire_dec_u32(d, &n, "restriction count");
	if (hr == S_OK)
		hr = mapix_wire_need_count(d, n, MAPIX_WIRE_MIN_RES, "restriction");
	if (hr != S_OK || n == 0)
		return hr;
	hr = mapix_wire_alloc(d, (size_t)n * sizeof(SRestriction), &p);
	if (hr != S_OK)
		return hr;
	*arr = p;
	*count = n;
	for (ULONG i = 0; hr == S_OK && i < n; i++)
		hr = dec_res(d, &(*arr)[i], level);
	return hr;
}

static HRESULT dec_tagged(mapix_wire_dec *d, ULONG *tag, LPSPropValue *prop, unsigned level)
{
	void *p;
	HRESULT hr = mapix_wire_dec_u32(d, tag, "restriction tag");
	if (hr == S_OK)
		hr = mapix_wire_need(d, MAPIX_WIRE_MIN_PROPVAL, "restriction value");
	if (hr == S_OK)
		hr = mapix_wire_alloc(d, sizeof(SPropValue), &p);
	if (hr != S_OK)
		return hr;
	*prop = p;
	return mapix_wire_dec_propval(d, p, level);
}

/* Decodes one restriction at nesting `level` (the outermost is 1) into out,
 * which the caller allocated zeroed. */
static HRESULT dec_res(mapix_wire_dec *d, LPSRestriction out, unsigned level)
{
	size_t at = d->cur->off;
	BYTE rt, b;
	HRESULT hr;
	if (level > MAPIX_WIRE_MAX_DEPTH)
		return mapix_wire_corrupt(d, at, "restrictions nested deeper than %d", MAPIX_WIRE_MAX_DEPTH);
	hr = mapix_wire_dec_u8(d, &rt, "restriction type");
	if (hr != S_OK)
		return hr;
	out->rt = rt;
	switch (rt) {
	case RES_AND:
		return dec_children(d, &out->res.resAnd.cRes, &out->res.resAnd.lpRes, level + 1);
	case RES_OR:
		return dec_children(d, &out->res.resOr.cRes, &out->res.resOr.lpRes, level + 1);
	case RES_NOT:
		return dec_child(d, &out->res.resNot.lpRes, level + 1);
	case RES_CONTENT:
		hr = mapix_wire_dec_u32(d, &out->res.resContent.ulFuzzyLevel, "fuzzy level");
		return hr == S_OK ? dec_tagged(d, &out->res.resContent.ulPropTag, &out->res.resContent.lpProp, level)
		                  : hr;
	case RES_PROPERTY:
		hr = mapix_wire_dec_u8(d, &b, "relop");
		out->res.resProperty.relop = b;
		return hr == S_OK ? dec_tagged(d, &out->res.resProperty.ulPropTag, &out->res.resProperty.lpProp, level)
		                  : hr;
	case RES_COMPAREPROPS:
		hr = mapix_wire_dec_u8(d, &b, "relop");
		out->res.resCompareProps.relop = b;
		if (hr == S_OK)
			hr = mapix_wire_dec_u32(d, &out->res.resCompareProps.ulPropTag1, "tag");
		return hr == S_OK ? mapix_wire_dec_u32(d, &out->res.resCompareProps.ulPropTag2, "tag") : hr;
	case RES_BITMASK:
		hr = mapix_wire_dec_u8(d, &b, "relBMR");
		out->res.resBitMask.relBMR = b;
		if (hr == S_OK)
			hr = mapix_wire_dec_u32(d, &out->res.resBitMask.ulPropTag, "tag");
		return hr == S_OK ? mapix_wire_dec_u32(d, &out->res.resBitMask.ulMask, "mask") : hr;
	case RES_SIZE:
		hr = mapix_wire_dec_u8(d, &b, "relop");
		out->res.resSize.relop = b;
		if (hr == S_OK)
			hr = mapix_wire_dec_u32(d, &out->res.resSize.ulPropTag, "tag");
		return hr == S_OK ? mapix_wire_dec_u32(d, &out->res.resSize.cb, "size") : hr;
	case RES_EXIST:
		return mapix_wire_dec_u32(d, &out->res.resExist.ulPropTag, "tag");
	case RES_SUBRESTRICTION:
		hr = mapix_wire_dec_u32(d, &out->res.resSub.ulSubObject, "subobject tag");
		return hr == S_OK ? dec_child(d, &out->res.resSub.lpRes, level + 1) : hr;
	case RES_COUNT:
		hr = mapix_wire_dec_u32(d, &out->res.resCount.ulCount, "count");
		return hr == S_OK ? dec_child(d, &out->res.resCount.lpRes, level + 1) : hr;
	case RES_COMMENT: case RES_ANNOTATION: {
		SCommentRestriction *c = &out->res.resComment;
		hr = mapix_wire_dec_props(d, &c->cValues, &c->lpProp, level);
		if (hr != S_OK)
			return hr;
		size_t pat = d->cur->off;
		hr = mapix_wire_dec_u8(d, &b, "restriction-present flag");
		if (hr != S_OK)
			return hr;
		if (b > 1)
			return mapix_wire_corrupt(d, pat, "restriction-present flag 0x%02X is neither 0 nor 1", b);
		return b ? dec_child(d, &c->lpRes, level + 1) : S_OK;
	}
	default:
		return mapix_wire_corrupt(d, at, "unknown restriction type 0x%02X", rt);
	}
}

HRESULT mapix_wire_dec_restriction_ptr(mapix_wire_dec *d, LPSRestriction *out, unsigned level)
{
	*out = NULL;
	HRESULT hr = mapix_wire_need(d, 1, "restriction");
	if (hr != S_OK)
		return hr;
	if (d->cur->pb[d->cur->off] == MAPIX_WIRE_RES_NONE) {
		d->cur->off++;
		return S_OK;
	}
	return dec_child(d, out, level + 1);
}

MAPIX_API HRESULT mapix_wire_get_restriction(MAPIXWIRECURSOR *lpCur, LPSRestriction *lppRes)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_restriction", NULL};
	if (!lpCur || !lppRes)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_restriction: NULL argument");
	size_t start = lpCur->off;
	LPSRestriction res;
	HRESULT hr = mapix_wire_dec_restriction_ptr(&d, &res, 0);
	if (hr != S_OK) {
		lpCur->off = start;
		if (d.root)
			MAPIFreeBuffer(d.root);
		res = NULL;
	}
	*lppRes = res;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_sortorderset(MAPIXWIRECURSOR *lpCur, LPSSortOrderSet *lppSorts)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_sortorderset", NULL};
	if (!lpCur || !lppSorts)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_sortorderset: NULL argument");
	*lppSorts = NULL;
	size_t start = lpCur->off;
	ULONG n = 0, cat = 0, expanded = 0;
	void *p = NULL;
	HRESULT hr = mapix_wire_dec_u32(&d, &n, "sort count");
	if (hr == S_OK)
		hr = mapix_wire_dec_u32(&d, &cat, "category count");
	if (hr == S_OK)
		hr = mapix_wire_dec_u32(&d, &expanded, "expanded count");
	if (hr == S_OK && (cat > n || expanded > cat))
		hr = mapix_wire_corrupt(&d, start, "%u sorts, %u categories, %u expanded is inconsistent", (unsigned)n,
		                        (unsigned)cat, (unsigned)expanded);
	if (hr == S_OK)
		hr = mapix_wire_need_count(&d, n, MAPIX_WIRE_MIN_SORT, "sort");
	if (hr == S_OK)
		hr = mapix_wire_alloc(&d, CbNewSSortOrderSet((size_t)n), &p);
	if (hr == S_OK) {
		LPSSortOrderSet s = p;
		s->cSorts = n;
		s->cCategories = cat;
		s->cExpanded = expanded;
		for (ULONG i = 0; hr == S_OK && i < n; i++) {
			BYTE order = 0;
			hr = mapix_wire_dec_u32(&d, &s->aSort[i].ulPropTag, "sort tag");
			if (hr == S_OK)
				hr = mapix_wire_dec_u8(&d, &order, "sort order");
			s->aSort[i].ulOrder = order;
		}
	}
	if (hr != S_OK) {
		lpCur->off = start;
		if (d.root)
			MAPIFreeBuffer(d.root);
		return hr;
	}
	*lppSorts = p;
	return S_OK;
}
