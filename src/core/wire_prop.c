/*
 * wire_prop.c — property values on the wire (mapixwire.h, docs/formats.md
 * "Value encoding"): TaggedPropertyValue for every type, single and
 * multi-valued, property arrays, tag arrays, rows and row sets.
 *
 * The encoder and the decoder share one classification of property types
 * (split_type), so whatever one accepts the other produces: decoding and
 * re-encoding any accepted input gives back the same bytes, which the fuzz
 * target checks. Strings are length-prefixed without terminator, so the
 * decoder refuses embedded NULs (a MAPI string could not carry them back).
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/wire.h"

/* ---- type classification ------------------------------------------------ */

static BOOL mv_base_ok(ULONG base)
{
	switch (base) {
	case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME:
	case PT_SYSTIME: case PT_STRING8: case PT_BINARY: case PT_UNICODE: case PT_CLSID: case PT_I8:
		return TRUE;
	default:
		return FALSE;
	}
}

static BOOL single_base_ok(ULONG base)
{
	switch (base) {
	case PT_NULL: case PT_ERROR: case PT_BOOLEAN: case PT_OBJECT: case PT_SVREID: case PT_SRESTRICT:
		return TRUE;
	default:
		return mv_base_ok(base);
	}
}

/*
 * The base type of a tag and whether its value is an array. A tag with
 * MV_INSTANCE (always together with MV_FLAG) is a table row's instance of a
 * multi-valued column: it carries one value of the base type.
 */
static HRESULT split_type(ULONG tag, ULONG *base, BOOL *mv)
{
	ULONG t = PROP_TYPE(tag);
	if (t & MV_FLAG) {
		*base = t & ~(ULONG)MVI_FLAG;
		*mv = !(t & MV_INSTANCE);
		return mv_base_ok(*base) ? S_OK : MAPI_E_INVALID_TYPE;
	}
	*base = t;
	*mv = FALSE;
	if (t == PT_ACTIONS)
		return MAPI_E_NO_SUPPORT;
	return single_base_ok(t) ? S_OK : MAPI_E_INVALID_TYPE;
}

/* Encoded size of a fixed-size value; 0 for the variable-size types. */
static size_t wire_fixed_size(ULONG base)
{
	switch (base) {
	case PT_BOOLEAN: return 1;
	case PT_I2: return 2;
	case PT_LONG: case PT_R4: case PT_ERROR: return 4;
	case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_I8: case PT_SYSTIME: return 8;
	case PT_CLSID: return 16;
	default: return 0;
	}
}

/* Size of one element of a multi-valued array in memory. */
static size_t mem_elem_size(ULONG base)
{
	switch (base) {
	case PT_I2: return sizeof(short int);
	case PT_LONG: return sizeof(LONG);
	case PT_R4: return sizeof(float);
	case PT_DOUBLE: case PT_APPTIME: return sizeof(double);
	case PT_CURRENCY: return sizeof(CURRENCY);
	case PT_I8: return sizeof(LARGE_INTEGER);
	case PT_SYSTIME: return sizeof(FILETIME);
	case PT_CLSID: return sizeof(GUID);
	case PT_STRING8: return sizeof(LPSTR);
	case PT_UNICODE: return sizeof(LPWSTR);
	case PT_BINARY: return sizeof(SBinary);
	default: return 0;
	}
}

static const char *type_name(ULONG base)
{
	switch (base) {
	case PT_I2: return "PT_I2";
	case PT_LONG: return "PT_LONG";
	case PT_R4: return "PT_R4";
	case PT_DOUBLE: return "PT_DOUBLE";
	case PT_CURRENCY: return "PT_CURRENCY";
	case PT_APPTIME: return "PT_APPTIME";
	case PT_ERROR: return "PT_ERROR";
	case PT_BOOLEAN: return "PT_BOOLEAN";
	case PT_I8: return "PT_I8";
	case PT_SYSTIME: return "PT_SYSTIME";
	case PT_CLSID: return "PT_CLSID";
	case PT_STRING8: return "PT_STRING8";
	case PT_UNICODE: return "PT_UNICODE";
	case PT_BINARY: return "PT_BINARY";
	case PT_SVREID: return "PT_SVREID";
	case PT_SRESTRICT: return "PT_SRESTRICT";
	default: return "value";
	}
}

/* The array inside a multi-valued union _PV; every S*Array has the shape
 * {ULONG cValues; T *lp;}, but each is read through its own member. */
static void mv_get(const union _PV *v, ULONG base, ULONG *n, const void **p)
{
	switch (base) {
	case PT_I2: *n = v->MVi.cValues; *p = v->MVi.lpi; break;
	case PT_LONG: *n = v->MVl.cValues; *p = v->MVl.lpl; break;
	case PT_R4: *n = v->MVflt.cValues; *p = v->MVflt.lpflt; break;
	case PT_DOUBLE: *n = v->MVdbl.cValues; *p = v->MVdbl.lpdbl; break;
	case PT_CURRENCY: *n = v->MVcur.cValues; *p = v->MVcur.lpcur; break;
	case PT_APPTIME: *n = v->MVat.cValues; *p = v->MVat.lpat; break;
	case PT_SYSTIME: *n = v->MVft.cValues; *p = v->MVft.lpft; break;
	case PT_STRING8: *n = v->MVszA.cValues; *p = v->MVszA.lppszA; break;
	case PT_BINARY: *n = v->MVbin.cValues; *p = v->MVbin.lpbin; break;
	case PT_UNICODE: *n = v->MVszW.cValues; *p = v->MVszW.lppszW; break;
	case PT_CLSID: *n = v->MVguid.cValues; *p = v->MVguid.lpguid; break;
	case PT_I8: *n = v->MVli.cValues; *p = v->MVli.lpli; break;
	default: *n = 0; *p = NULL; break;
	}
}

static void mv_set(union _PV *v, ULONG base, ULONG n, void *p)
{
	switch (base) {
	case PT_I2: v->MVi.cValues = n; v->MVi.lpi = p; break;
	case PT_LONG: v->MVl.cValues = n; v->MVl.lpl = p; break;
	case PT_R4: v->MVflt.cValues = n; v->MVflt.lpflt = p; break;
	case PT_DOUBLE: v->MVdbl.cValues = n; v->MVdbl.lpdbl = p; break;
	case PT_CURRENCY: v->MVcur.cValues = n; v->MVcur.lpcur = p; break;
	case PT_APPTIME: v->MVat.cValues = n; v->MVat.lpat = p; break;
	case PT_SYSTIME: v->MVft.cValues = n; v->MVft.lpft = p; break;
	case PT_STRING8: v->MVszA.cValues = n; v->MVszA.lppszA = p; break;
	case PT_BINARY: v->MVbin.cValues = n; v->MVbin.lpbin = p; break;
	case PT_UNICODE: v->MVszW.cValues = n; v->MVszW.lppszW = p; break;
	case PT_CLSID: v->MVguid.cValues = n; v->MVguid.lpguid = p; break;
	case PT_I8: v->MVli.cValues = n; v->MVli.lpli = p; break;
	default: break;
	}
}

/* Where a single fixed-size value lives in union _PV (PT_CLSID is a
 * pointer and handled by its callers). */
static void *single_slot(union _PV *v, ULONG base)
{
	switch (base) {
	case PT_I2: return &v->i;
	case PT_LONG: return &v->l;
	case PT_R4: return &v->flt;
	case PT_DOUBLE: return &v->dbl;
	case PT_APPTIME: return &v->at;
	case PT_CURRENCY: return &v->cur;
	case PT_ERROR: return &v->err;
	case PT_BOOLEAN: return &v->b;
	case PT_I8: return &v->li;
	case PT_SYSTIME: return &v->ft;
	default: return NULL;
	}
}

/* ---- encoder ---------------------------------------------------------- */

/* One fixed-size element, from its in-memory representation. */
static HRESULT enc_fixed(const mapix_wire_enc *e, ULONG base, const void *p)
{
	MAPIXWIREBUF *b = e->buf;
	switch (base) {
	case PT_I2: {
		WORD w;
		memcpy(&w, p, sizeof w);
		return mapix_wire_put_u16(b, w);
	}
	case PT_LONG: case PT_R4: case PT_ERROR: {
		ULONG u;
		memcpy(&u, p, sizeof u);
		return mapix_wire_put_u32(b, u);
	}
	case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8: {
		ULONGLONG u;
		memcpy(&u, p, sizeof u);
		return mapix_wire_put_u64(b, u);
	}
	case PT_SYSTIME: {
		const FILETIME *ft = p;
		HRESULT hr = mapix_wire_put_u32(b, ft->dwLowDateTime);
		return hr == S_OK ? mapix_wire_put_u32(b, ft->dwHighDateTime) : hr;
	}
	case PT_CLSID: {
		const GUID *g = p;
		HRESULT hr = mapix_wire_put_u32(b, g->Data1);
		if (hr == S_OK)
			hr = mapix_wire_put_u16(b, g->Data2);
		if (hr == S_OK)
			hr = mapix_wire_put_u16(b, g->Data3);
		if (hr == S_OK)
			hr = mapix_wire_put_bytes(b, g->Data4, sizeof g->Data4);
		return hr;
	}
	case PT_BOOLEAN: {
		unsigned short int v;
		memcpy(&v, p, sizeof v);
		return mapix_wire_put_u8(b, v ? 1 : 0);
	}
	default:
		return mapix_wire_bad(e, MAPI_E_INVALID_TYPE, "no fixed encoding for type 0x%04X", (unsigned)base);
	}
}

static HRESULT enc_string8(const mapix_wire_enc *e, const char *s)
{
	if (!s)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "NULL PT_STRING8 value");
	size_t len = strlen(s);
	if (len > 0xFFFFFFFFu)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "PT_STRING8 value of %zu bytes is too long", len);
	HRESULT hr = mapix_wire_put_u32(e->buf, (ULONG)len);
	return hr == S_OK ? mapix_wire_put_bytes(e->buf, s, len) : hr;
}

static HRESULT enc_unicode(const mapix_wire_enc *e, const WCHAR *s)
{
	if (!s)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "NULL PT_UNICODE value");
	size_t len = 0;
	while (s[len])
		len++;
	if (len > 0xFFFFFFFFu)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "PT_UNICODE value of %zu units is too long", len);
	HRESULT hr = mapix_wire_put_u32(e->buf, (ULONG)len);
	for (size_t i = 0; hr == S_OK && i < len; i++)
		hr = mapix_wire_put_u16(e->buf, s[i]);
	return hr;
}

static HRESULT enc_binary(const mapix_wire_enc *e, const SBinary *bin, ULONG base)
{
	if (bin->cb && !bin->lpb)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "%s of %u bytes with NULL lpb", type_name(base),
		                      (unsigned)bin->cb);
	HRESULT hr = mapix_wire_put_u32(e->buf, bin->cb);
	return hr == S_OK ? mapix_wire_put_bytes(e->buf, bin->lpb, bin->cb) : hr;
}

static HRESULT enc_single(const mapix_wire_enc *e, ULONG base, const union _PV *v, unsigned level)
{
	switch (base) {
	case PT_NULL: case PT_OBJECT:
		return S_OK;
	case PT_CLSID:
		if (!v->lpguid)
			return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "NULL PT_CLSID value");
		return enc_fixed(e, base, v->lpguid);
	case PT_STRING8:
		return enc_string8(e, v->lpszA);
	case PT_UNICODE:
		return enc_unicode(e, v->lpszW);
	case PT_BINARY: case PT_SVREID:
		return enc_binary(e, &v->bin, base);
	case PT_SRESTRICT:
		/* As Exchange's MAPI does, the restriction pointer rides in lpszA. */
		return mapix_wire_enc_restriction(e, (const SRestriction *)(const void *)v->lpszA, level, TRUE);
	default:
		return enc_fixed(e, base, single_slot((union _PV *)v, base));
	}
}

static HRESULT enc_multi(const mapix_wire_enc *e, ULONG base, const union _PV *v)
{
	ULONG n;
	const void *arr;
	mv_get(v, base, &n, &arr);
	if (n && !arr)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "multi-valued %s with %u values and a NULL array",
		                      type_name(base), (unsigned)n);
	HRESULT hr = mapix_wire_put_u32(e->buf, n);
	size_t sz = mem_elem_size(base);
	for (ULONG i = 0; hr == S_OK && i < n; i++) {
		const void *elem = (const BYTE *)arr + (size_t)i * sz;
		switch (base) {
		case PT_STRING8: hr = enc_string8(e, ((const LPSTR *)arr)[i]); break;
		case PT_UNICODE: hr = enc_unicode(e, ((const LPWSTR *)arr)[i]); break;
		case PT_BINARY: hr = enc_binary(e, elem, base); break;
		default: hr = enc_fixed(e, base, elem); break;
		}
	}
	return hr;
}

HRESULT mapix_wire_enc_propval(const mapix_wire_enc *e, const SPropValue *prop, unsigned level)
{
	ULONG base;
	BOOL mv;
	if (!prop)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "NULL property value");
	HRESULT hr = split_type(prop->ulPropTag, &base, &mv);
	if (hr == MAPI_E_NO_SUPPORT)
		return mapix_wire_bad(e, hr, "PT_ACTIONS values have no wire encoding (tag 0x%08X)",
		                      (unsigned)prop->ulPropTag);
	if (hr != S_OK)
		return mapix_wire_bad(e, hr, "property type 0x%04X has no wire encoding (tag 0x%08X)",
		                      (unsigned)PROP_TYPE(prop->ulPropTag), (unsigned)prop->ulPropTag);
	hr = mapix_wire_put_u32(e->buf, prop->ulPropTag);
	if (hr != S_OK)
		return hr;
	return mv ? enc_multi(e, base, &prop->Value) : enc_single(e, base, &prop->Value, level);
}

HRESULT mapix_wire_enc_props(const mapix_wire_enc *e, ULONG count, const SPropValue *props, unsigned level)
{
	if (count && !props)
		return mapix_wire_bad(e, MAPI_E_INVALID_PARAMETER, "%u values and a NULL array", (unsigned)count);
	HRESULT hr = mapix_wire_put_u32(e->buf, count);
	for (ULONG i = 0; hr == S_OK && i < count; i++)
		hr = mapix_wire_enc_propval(e, &props[i], level);
	return hr;
}

/* Every public writer leaves the buffer as it found it when it fails. */
static HRESULT enc_finish(MAPIXWIREBUF *buf, size_t start, HRESULT hr)
{
	if (hr != S_OK && buf && buf->cb > start)
		buf->cb = start;
	return hr;
}

MAPIX_API HRESULT mapix_wire_put_propval(MAPIXWIREBUF *lpBuf, const SPropValue *lpProp)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_propval"};
	if (!lpBuf)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL buffer");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_enc_propval(&e, lpProp, 0);
	return enc_finish(lpBuf, start, hr);
}

MAPIX_API HRESULT mapix_wire_put_props(MAPIXWIREBUF *lpBuf, ULONG cValues, const SPropValue *lpProps)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_props"};
	if (!lpBuf)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL buffer");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_enc_props(&e, cValues, lpProps, 0);
	return enc_finish(lpBuf, start, hr);
}

MAPIX_API HRESULT mapix_wire_put_proptags(MAPIXWIREBUF *lpBuf, const SPropTagArray *lpTags)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_proptags"};
	if (!lpBuf || !lpTags)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL argument");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_put_u32(lpBuf, lpTags->cValues);
	for (ULONG i = 0; hr == S_OK && i < lpTags->cValues; i++)
		hr = mapix_wire_put_u32(lpBuf, lpTags->aulPropTag[i]);
	return enc_finish(lpBuf, start, hr);
}

MAPIX_API HRESULT mapix_wire_put_row(MAPIXWIREBUF *lpBuf, const SRow *lpRow)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_row"};
	if (!lpBuf || !lpRow)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL argument");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_enc_props(&e, lpRow->cValues, lpRow->lpProps, 0);
	return enc_finish(lpBuf, start, hr);
}

MAPIX_API HRESULT mapix_wire_put_rowset(MAPIXWIREBUF *lpBuf, const SRowSet *lpRows)
{
	mapix_wire_enc e = {lpBuf, "mapix_wire_put_rowset"};
	if (!lpBuf || !lpRows)
		return mapix_wire_bad(&e, MAPI_E_INVALID_PARAMETER, "NULL argument");
	size_t start = lpBuf->cb;
	HRESULT hr = mapix_wire_put_u32(lpBuf, lpRows->cRows);
	for (ULONG i = 0; hr == S_OK && i < lpRows->cRows; i++)
		hr = mapix_wire_enc_props(&e, lpRows->aRow[i].cValues, lpRows->aRow[i].lpProps, 0);
	return enc_finish(lpBuf, start, hr);
}

/* ---- decoder ---------------------------------------------------------- */

static HRESULT dec_fixed(mapix_wire_dec *d, ULONG base, void *p)
{
	size_t at = d->cur->off;
	HRESULT hr = mapix_wire_need(d, wire_fixed_size(base), type_name(base));
	if (hr != S_OK)
		return hr;
	const BYTE *s = d->cur->pb + at;
	ULONGLONG v = 0;
	for (size_t i = wire_fixed_size(base); i-- > 0;)
		v = (v << 8) | s[i];
	switch (base) {
	case PT_I2: {
		WORD w = (WORD)v;
		memcpy(p, &w, sizeof w);
		break;
	}
	case PT_LONG: case PT_R4: case PT_ERROR: {
		ULONG u = (ULONG)v;
		memcpy(p, &u, sizeof u);
		break;
	}
	case PT_DOUBLE: case PT_APPTIME: case PT_CURRENCY: case PT_I8:
		memcpy(p, &v, sizeof v);
		break;
	case PT_SYSTIME: {
		FILETIME *ft = p;
		ft->dwLowDateTime = (DWORD)v;
		ft->dwHighDateTime = (DWORD)(v >> 32);
		break;
	}
	case PT_CLSID: {
		GUID *g = p;
		g->Data1 = (DWORD)s[0] | (DWORD)s[1] << 8 | (DWORD)s[2] << 16 | (DWORD)s[3] << 24;
		g->Data2 = (WORD)(s[4] | s[5] << 8);
		g->Data3 = (WORD)(s[6] | s[7] << 8);
		memcpy(g->Data4, s + 8, sizeof g->Data4);
		break;
	}
	case PT_BOOLEAN: {
		/* MS-OXCDATA restricts the byte to 0 or 1; anything else would not
		 * survive a round trip. */
		if (v > 1)
			return mapix_wire_corrupt(d, at, "PT_BOOLEAN byte 0x%02X is neither 0 nor 1", (unsigned)v);
		unsigned short int b = (unsigned short int)v;
		memcpy(p, &b, sizeof b);
		break;
	}
	default:
		return mapix_wire_corrupt(d, at, "no fixed encoding for type 0x%04X", (unsigned)base);
	}
	d->cur->off += wire_fixed_size(base);
	return S_OK;
}

/*
 * A length-prefixed run: the count, then count units of `unit` bytes. Leaves
 * *pp pointing into the input. Strings must not contain a NUL unit.
 */
static HRESULT dec_span(mapix_wire_dec *d, ULONG base, const BYTE **pp, ULONG *count)
{
	size_t unit = base == PT_UNICODE ? 2 : 1;
	size_t at = d->cur->off;
	ULONG n;
	HRESULT hr = mapix_wire_dec_u32(d, &n, type_name(base));
	if (hr != S_OK)
		return hr;
	size_t bytes = (size_t)n * unit;
	size_t left = mapix_wire_cursor_left(d->cur);
	if (bytes > left) {
		d->cur->off = at;
		return mapix_wire_corrupt(d, at, "%s length %u needs %zu bytes, %zu left", type_name(base), (unsigned)n,
		                          bytes, left);
	}
	const BYTE *p = d->cur->pb + d->cur->off;
	if (base == PT_STRING8 && memchr(p, 0, bytes)) {
		d->cur->off = at;
		return mapix_wire_corrupt(d, at, "PT_STRING8 value contains a NUL byte");
	}
	if (base == PT_UNICODE) {
		for (size_t i = 0; i < bytes; i += 2)
			if (!p[i] && !p[i + 1]) {
				d->cur->off = at;
				return mapix_wire_corrupt(d, at, "PT_UNICODE value contains a NUL character");
			}
	}
	d->cur->off += bytes;
	*pp = p;
	*count = n;
	return S_OK;
}

/* Copies a run that dec_span validated into memory at dst (the string's
 * terminator is already zero: allocations are zeroed). */
static void copy_span(ULONG base, const BYTE *src, ULONG n, void *dst)
{
	if (base == PT_UNICODE) {
		WCHAR *w = dst;
		for (ULONG i = 0; i < n; i++)
			w[i] = (WCHAR)(src[2 * i] | src[2 * i + 1] << 8);
	} else if (n) {
		memcpy(dst, src, n);
	}
}

/* Bytes a decoded run occupies in memory (strings get a terminator). */
static size_t span_mem_size(ULONG base, ULONG n)
{
	switch (base) {
	case PT_UNICODE: return ((size_t)n + 1) * sizeof(WCHAR);
	case PT_STRING8: return (size_t)n + 1;
	default: return n;
	}
}

static HRESULT dec_span_value(mapix_wire_dec *d, ULONG base, void **dst, ULONG *count)
{
	const BYTE *src;
	ULONG n;
	HRESULT hr = dec_span(d, base, &src, &n);
	if (hr != S_OK)
		return hr;
	*dst = NULL;
	*count = n;
	size_t sz = span_mem_size(base, n);
	if (sz == 0)
		return S_OK; /* an empty binary has lpb NULL */
	hr = mapix_wire_alloc(d, sz, dst);
	if (hr == S_OK)
		copy_span(base, src, n, *dst);
	return hr;
}

static HRESULT dec_single(mapix_wire_dec *d, ULONG base, union _PV *v, unsigned level)
{
	HRESULT hr;
	void *p;
	ULONG n;
	switch (base) {
	case PT_NULL: case PT_OBJECT:
		v->x = 0;
		return S_OK;
	case PT_CLSID:
		hr = mapix_wire_need(d, 16, "PT_CLSID");
		if (hr == S_OK)
			hr = mapix_wire_alloc(d, sizeof(GUID), &p);
		if (hr == S_OK) {
			v->lpguid = p;
			hr = dec_fixed(d, base, p);
		}
		return hr;
	case PT_STRING8:
		hr = dec_span_value(d, base, &p, &n);
		v->lpszA = p;
		return hr;
	case PT_UNICODE:
		hr = dec_span_value(d, base, &p, &n);
		v->lpszW = p;
		return hr;
	case PT_BINARY: case PT_SVREID:
		hr = dec_span_value(d, base, &p, &n);
		v->bin.cb = n;
		v->bin.lpb = p;
		return hr;
	case PT_SRESTRICT: {
		LPSRestriction res = NULL;
		hr = mapix_wire_dec_restriction_ptr(d, &res, level);
		v->lpszA = (LPSTR)(void *)res;
		return hr;
	}
	default:
		return dec_fixed(d, base, single_slot(v, base));
	}
}

static HRESULT dec_multi(mapix_wire_dec *d, ULONG base, union _PV *v)
{
	ULONG n;
	void *arr = NULL;
	BOOL runs = base == PT_STRING8 || base == PT_UNICODE || base == PT_BINARY;
	mv_set(v, base, 0, NULL);
	HRESULT hr = mapix_wire_dec_u32(d, &n, "multi-value count");
	if (hr == S_OK)
		hr = mapix_wire_need_count(d, n, runs ? 4 : wire_fixed_size(base), type_name(base));
	if (hr != S_OK || n == 0)
		return hr;
	size_t esz = mem_elem_size(base);
	hr = mapix_wire_alloc(d, (size_t)n * esz, &arr);
	if (hr != S_OK)
		return hr;
	if (!runs) {
		for (ULONG i = 0; hr == S_OK && i < n; i++)
			hr = dec_fixed(d, base, (BYTE *)arr + (size_t)i * esz);
		if (hr == S_OK)
			mv_set(v, base, n, arr);
		return hr;
	}
	/* Strings and binaries: one pass validates and sizes every run, so all
	 * their bytes land in one allocation instead of one per element. */
	size_t start = d->cur->off, total = 0;
	const BYTE *src;
	ULONG len;
	for (ULONG i = 0; i < n; i++) {
		hr = dec_span(d, base, &src, &len);
		if (hr != S_OK)
			return hr;
		total += span_mem_size(base, len);
	}
	BYTE *data = NULL;
	if (total) {
		hr = mapix_wire_alloc(d, total, (void **)&data);
		if (hr != S_OK)
			return hr;
	}
	d->cur->off = start;
	for (ULONG i = 0; i < n; i++) {
		dec_span(d, base, &src, &len); /* validated above */
		size_t sz = span_mem_size(base, len);
		void *dst = NULL;
		if (sz) {
			dst = data;
			data += sz;
		}
		copy_span(base, src, len, dst);
		if (base == PT_STRING8)
			((LPSTR *)arr)[i] = dst;
		else if (base == PT_UNICODE)
			((LPWSTR *)arr)[i] = dst;
		else
			((SBinary *)arr)[i] = (SBinary){len, dst};
	}
	mv_set(v, base, n, arr);
	return S_OK;
}

HRESULT mapix_wire_dec_propval(mapix_wire_dec *d, LPSPropValue out, unsigned level)
{
	ULONG tag, base;
	BOOL mv;
	size_t at = d->cur->off;
	memset(out, 0, sizeof *out);
	HRESULT hr = mapix_wire_dec_u32(d, &tag, "property tag");
	if (hr != S_OK)
		return hr;
	hr = split_type(tag, &base, &mv);
	if (hr == MAPI_E_NO_SUPPORT)
		return mapix_error(hr, "%s: PT_ACTIONS values are not supported (tag 0x%08X at offset %zu)", d->fn,
		                   (unsigned)tag, at);
	if (hr != S_OK)
		return mapix_wire_corrupt(d, at, "property tag 0x%08X has an unknown type", (unsigned)tag);
	out->ulPropTag = tag;
	return mv ? dec_multi(d, base, &out->Value) : dec_single(d, base, &out->Value, level);
}

HRESULT mapix_wire_dec_props(mapix_wire_dec *d, ULONG *count, LPSPropValue *props, unsigned level)
{
	ULONG n;
	void *arr = NULL;
	*count = 0;
	*props = NULL;
	HRESULT hr = mapix_wire_dec_u32(d, &n, "property count");
	if (hr == S_OK)
		hr = mapix_wire_need_count(d, n, MAPIX_WIRE_MIN_PROPVAL, "property");
	if (hr != S_OK || n == 0)
		return hr;
	hr = mapix_wire_alloc(d, (size_t)n * sizeof(SPropValue), &arr);
	if (hr != S_OK)
		return hr;
	*props = arr;
	for (ULONG i = 0; i < n; i++) {
		hr = mapix_wire_dec_propval(d, &(*props)[i], level);
		if (hr != S_OK)
			return hr;
		*count = i + 1;
	}
	return S_OK;
}

/* Runs one public reader: on failure the cursor goes back and the root made
 * during the call (if any) is freed. */
static HRESULT dec_finish(mapix_wire_dec *d, size_t start, void *own_root, HRESULT hr)
{
	if (hr != S_OK) {
		d->cur->off = start;
		if (d->root && d->root != own_root)
			MAPIFreeBuffer(d->root);
		d->root = NULL;
	}
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_propval(MAPIXWIRECURSOR *lpCur, LPVOID lpParent, LPSPropValue lpProp)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_propval", lpParent};
	if (!lpCur || !lpParent || !lpProp)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_propval: NULL argument");
	size_t start = lpCur->off;
	return dec_finish(&d, start, lpParent, mapix_wire_dec_propval(&d, lpProp, 0));
}

MAPIX_API HRESULT mapix_wire_get_props(MAPIXWIRECURSOR *lpCur, ULONG *lpcValues, LPSPropValue *lppProps)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_props", NULL};
	if (!lpCur || !lpcValues || !lppProps)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_props: NULL argument");
	size_t start = lpCur->off;
	ULONG n;
	LPSPropValue props;
	HRESULT hr = dec_finish(&d, start, NULL, mapix_wire_dec_props(&d, &n, &props, 0));
	*lpcValues = hr == S_OK ? n : 0;
	*lppProps = hr == S_OK ? props : NULL;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_proptags(MAPIXWIRECURSOR *lpCur, LPSPropTagArray *lppTags)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_proptags", NULL};
	if (!lpCur || !lppTags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_proptags: NULL argument");
	*lppTags = NULL;
	size_t start = lpCur->off;
	ULONG n;
	void *p = NULL;
	HRESULT hr = mapix_wire_dec_u32(&d, &n, "tag count");
	if (hr == S_OK)
		hr = mapix_wire_need_count(&d, n, 4, "tag");
	if (hr == S_OK)
		hr = mapix_wire_alloc(&d, CbNewSPropTagArray((size_t)n), &p);
	if (hr == S_OK) {
		LPSPropTagArray tags = p;
		tags->cValues = n;
		for (ULONG i = 0; hr == S_OK && i < n; i++)
			hr = mapix_wire_dec_u32(&d, &tags->aulPropTag[i], "tag");
	}
	hr = dec_finish(&d, start, NULL, hr);
	if (hr == S_OK)
		*lppTags = p;
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_row(MAPIXWIRECURSOR *lpCur, LPSRow lpRow)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_row", NULL};
	if (!lpCur || !lpRow)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_row: NULL argument");
	memset(lpRow, 0, sizeof *lpRow);
	size_t start = lpCur->off;
	ULONG n;
	LPSPropValue props;
	HRESULT hr = dec_finish(&d, start, NULL, mapix_wire_dec_props(&d, &n, &props, 0));
	if (hr == S_OK) {
		lpRow->cValues = n;
		lpRow->lpProps = props;
	}
	return hr;
}

MAPIX_API HRESULT mapix_wire_get_rowset(MAPIXWIRECURSOR *lpCur, LPSRowSet *lppRows)
{
	mapix_wire_dec d = {lpCur, "mapix_wire_get_rowset", NULL};
	if (!lpCur || !lppRows)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wire_get_rowset: NULL argument");
	*lppRows = NULL;
	size_t start = lpCur->off;
	ULONG n, done = 0;
	void *p = NULL;
	HRESULT hr = mapix_wire_dec_u32(&d, &n, "row count");
	if (hr == S_OK)
		hr = mapix_wire_need_count(&d, n, 4, "row");
	if (hr == S_OK)
		hr = mapix_wire_alloc(&d, CbNewSRowSet((size_t)n), &p);
	LPSRowSet rows = p;
	/* Each row is its own root (FreeProws frees lpProps row by row). */
	while (hr == S_OK && done < n) {
		mapix_wire_dec rd = {lpCur, d.fn, NULL};
		ULONG cv;
		LPSPropValue props;
		hr = mapix_wire_dec_props(&rd, &cv, &props, 0);
		if (hr != S_OK) {
			if (rd.root)
				MAPIFreeBuffer(rd.root);
			break;
		}
		rows->aRow[done].cValues = cv;
		rows->aRow[done].lpProps = props;
		done++;
	}
	if (hr != S_OK) {
		for (ULONG i = 0; i < done; i++)
			if (rows->aRow[i].lpProps)
				MAPIFreeBuffer(rows->aRow[i].lpProps);
		return dec_finish(&d, start, NULL, hr);
	}
	rows->cRows = n;
	*lppRows = rows;
	return S_OK;
}
