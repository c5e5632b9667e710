/*
 * proto_fields.c — the payload fields of the mapixd protocol that the wire
 * encoding (mapixwire.h) does not define by itself: strings that carry
 * their width (LPTSTR arguments), optional binaries, GUIDs, tag arrays,
 * sort orders and entry lists, named-property ids and problem arrays, and
 * the decode arena that holds what a request's decoding allocated.
 * Notifications are in proto_notify.c.
 *
 * Every "optional" field starts with a presence byte (0 or 1; anything else
 * is corrupt). Readers check counts against the bytes left before they
 * allocate, like the wire decoder.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "core/proto.h"

HRESULT mapix_proto_corrupt(const MAPIXWIRECURSOR *c, const char *what)
{
	return mapix_error(MAPI_E_CORRUPT_DATA, "mapixd protocol: bad %s at offset %zu", what, c->off);
}

/* ---- arena ---------------------------------------------------------------------- */

void mapix_proto_arena_free(mapix_proto_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		MAPIFreeBuffer(a->roots[i]);
	free(a->roots);
	memset(a, 0, sizeof *a);
}

HRESULT mapix_proto_arena_adopt(mapix_proto_arena *a, void *root)
{
	if (!root)
		return S_OK;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		void **r = realloc(a->roots, cap * sizeof *r);
		if (!r) {
			MAPIFreeBuffer(root);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
		}
		a->roots = r;
		a->cap = cap;
	}
	a->roots[a->n++] = root;
	return S_OK;
}

HRESULT mapix_proto_arena_alloc(mapix_proto_arena *a, size_t cb, void **out)
{
	void *p = NULL;
	*out = NULL;
	if (MAPIAllocateBuffer((ULONG)(cb ? cb : 1), &p) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
	memset(p, 0, cb ? cb : 1);
	HRESULT hr = mapix_proto_arena_adopt(a, p);
	if (SUCCEEDED(hr))
		*out = p;
	return hr;
}

/* ---- helpers ---------------------------------------------------------------------- */

static HRESULT get_present(MAPIXWIRECURSOR *c, BOOL *present, const char *what)
{
	BYTE b;
	size_t off = c->off;
	HRESULT hr = mapix_wire_get_u8(c, &b);
	if (FAILED(hr))
		return hr;
	if (b > 1) {
		c->off = off;
		return mapix_proto_corrupt(c, what);
	}
	*present = b;
	return S_OK;
}

/* A count of items of at least `min` bytes each that the input can hold. */
static HRESULT get_count(MAPIXWIRECURSOR *c, size_t min, ULONG *n, const char *what)
{
	HRESULT hr = mapix_wire_get_u32(c, n);
	if (FAILED(hr))
		return hr;
	if (min && (uint64_t)*n * min > mapix_wire_cursor_left(c))
		return mapix_proto_corrupt(c, what);
	return S_OK;
}

/* ---- strings ---------------------------------------------------------------------- */

HRESULT mapix_proto_put_tstr(MAPIXWIREBUF *b, const void *s, BOOL unicode)
{
	HRESULT hr;
	if (!s)
		return mapix_wire_put_u8(b, MPX_STR_NULL);
	if (unicode) {
		size_t n = mapix_wcslen(s);
		if (FAILED(hr = mapix_wire_put_u8(b, MPX_STR_UNICODE)) || FAILED(hr = mapix_wire_put_u32(b, (ULONG)n)))
			return hr;
		const WCHAR *w = s;
		for (size_t i = 0; i < n; i++)
			if (FAILED(hr = mapix_wire_put_u16(b, w[i])))
				return hr;
		return S_OK;
	}
	size_t n = strlen(s);
	if (FAILED(hr = mapix_wire_put_u8(b, MPX_STR_8BIT)) || FAILED(hr = mapix_wire_put_u32(b, (ULONG)n)))
		return hr;
	return mapix_wire_put_bytes(b, s, n);
}

HRESULT mapix_proto_get_tstr(MAPIXWIRECURSOR *c, mapix_proto_arena *a, void **out, BOOL *unicode)
{
	BYTE kind;
	ULONG n;
	const BYTE *pb;
	HRESULT hr;
	*out = NULL;
	if (unicode)
		*unicode = FALSE;
	if (FAILED(hr = mapix_wire_get_u8(c, &kind)))
		return hr;
	if (kind == MPX_STR_NULL)
		return S_OK;
	if (kind != MPX_STR_8BIT && kind != MPX_STR_UNICODE)
		return mapix_proto_corrupt(c, "string kind");
	size_t unit = kind == MPX_STR_UNICODE ? 2 : 1;
	if (FAILED(hr = get_count(c, unit, &n, "string length")) || FAILED(hr = mapix_wire_get_bytes(c, n * unit, &pb)))
		return hr;
	void *s;
	if (FAILED(hr = mapix_proto_arena_alloc(a, (n + 1) * unit, &s)))
		return hr;
	if (unit == 2) {
		WCHAR *w = s;
		for (ULONG i = 0; i < n; i++) {
			w[i] = (WCHAR)(pb[2 * i] | (pb[2 * i + 1] << 8));
			if (!w[i])
				return mapix_proto_corrupt(c, "string (embedded NUL)");
		}
	} else {
		if (memchr(pb, 0, n))
			return mapix_proto_corrupt(c, "string (embedded NUL)");
		memcpy(s, pb, n);
	}
	*out = s;
	if (unicode)
		*unicode = unit == 2;
	return S_OK;
}

HRESULT mapix_proto_put_str(MAPIXWIREBUF *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	HRESULT hr = mapix_wire_put_u32(b, (ULONG)n);
	return FAILED(hr) ? hr : mapix_wire_put_bytes(b, s, n);
}

HRESULT mapix_proto_get_str(MAPIXWIRECURSOR *c, mapix_proto_arena *a, char **out)
{
	ULONG n;
	const BYTE *pb;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_count(c, 1, &n, "text length")) || FAILED(hr = mapix_wire_get_bytes(c, n, &pb)))
		return hr;
	if (memchr(pb, 0, n))
		return mapix_proto_corrupt(c, "text (embedded NUL)");
	char *s;
	if (FAILED(hr = mapix_proto_arena_alloc(a, n + 1, (void **)&s)))
		return hr;
	memcpy(s, pb, n);
	*out = s;
	return S_OK;
}

/* ---- binaries, GUIDs ------------------------------------------------------------------ */

HRESULT mapix_proto_put_bin(MAPIXWIREBUF *b, ULONG cb, const void *pb)
{
	if (!pb)
		cb = 0;
	HRESULT hr = mapix_wire_put_u32(b, cb);
	return FAILED(hr) ? hr : mapix_wire_put_bytes(b, pb, cb);
}

HRESULT mapix_proto_get_bin(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *cb, BYTE **pb)
{
	ULONG n;
	const BYTE *src;
	HRESULT hr;
	*cb = 0;
	*pb = NULL;
	if (FAILED(hr = get_count(c, 1, &n, "binary length")) || FAILED(hr = mapix_wire_get_bytes(c, n, &src)))
		return hr;
	if (n == 0)
		return S_OK;
	if (FAILED(hr = mapix_proto_arena_alloc(a, n, (void **)pb)))
		return hr;
	memcpy(*pb, src, n);
	*cb = n;
	return S_OK;
}

HRESULT mapix_proto_put_guid(MAPIXWIREBUF *b, const GUID *g)
{
	HRESULT hr = mapix_wire_put_u8(b, g != NULL);
	return FAILED(hr) || !g ? hr : mapix_wire_put_bytes(b, g, sizeof *g);
}

HRESULT mapix_proto_get_guid(MAPIXWIRECURSOR *c, mapix_proto_arena *a, GUID **out)
{
	BOOL present = FALSE;
	const BYTE *pb;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "GUID presence")) || !present)
		return hr;
	if (FAILED(hr = mapix_wire_get_bytes(c, sizeof(GUID), &pb)) ||
	    FAILED(hr = mapix_proto_arena_alloc(a, sizeof(GUID), (void **)out)))
		return hr;
	memcpy(*out, pb, sizeof(GUID));
	return S_OK;
}

/* ---- tag arrays, sort orders, entry lists, properties, restrictions ------------------ */

HRESULT mapix_proto_put_tags(MAPIXWIREBUF *b, const SPropTagArray *t)
{
	HRESULT hr = mapix_wire_put_u8(b, t != NULL);
	return FAILED(hr) || !t ? hr : mapix_wire_put_proptags(b, t);
}

HRESULT mapix_proto_get_tags(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSPropTagArray *out)
{
	BOOL present = FALSE;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "tag array presence")) || !present)
		return hr;
	if (FAILED(hr = mapix_wire_get_proptags(c, out)))
		return hr;
	hr = mapix_proto_arena_adopt(a, *out);
	if (FAILED(hr))
		*out = NULL;
	return hr;
}

HRESULT mapix_proto_put_sort(MAPIXWIREBUF *b, const SSortOrderSet *s)
{
	HRESULT hr = mapix_wire_put_u8(b, s != NULL);
	return FAILED(hr) || !s ? hr : mapix_wire_put_sortorderset(b, s);
}

HRESULT mapix_proto_get_sort(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSSortOrderSet *out)
{
	BOOL present = FALSE;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "sort order presence")) || !present)
		return hr;
	if (FAILED(hr = mapix_wire_get_sortorderset(c, out)))
		return hr;
	hr = mapix_proto_arena_adopt(a, *out);
	if (FAILED(hr))
		*out = NULL;
	return hr;
}

HRESULT mapix_proto_put_entrylist(MAPIXWIREBUF *b, const SBinaryArray *l)
{
	HRESULT hr = mapix_wire_put_u8(b, l != NULL);
	if (FAILED(hr) || !l)
		return hr;
	if (l->cValues && !l->lpbin)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd protocol: entry list without entries");
	if (FAILED(hr = mapix_wire_put_u32(b, l->cValues)))
		return hr;
	for (ULONG i = 0; i < l->cValues; i++)
		if (FAILED(hr = mapix_proto_put_bin(b, l->lpbin[i].cb, l->lpbin[i].lpb)))
			return hr;
	return S_OK;
}

HRESULT mapix_proto_get_entrylist(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPENTRYLIST *out)
{
	BOOL present = FALSE;
	ULONG n;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "entry list presence")) || !present)
		return hr;
	if (FAILED(hr = get_count(c, 4, &n, "entry count")))
		return hr;
	LPENTRYLIST l;
	if (FAILED(hr = mapix_proto_arena_alloc(a, sizeof *l, (void **)&l)))
		return hr;
	if (n && FAILED(hr = mapix_proto_arena_alloc(a, n * sizeof(SBinary), (void **)&l->lpbin)))
		return hr;
	l->cValues = n;
	for (ULONG i = 0; i < n; i++)
		if (FAILED(hr = mapix_proto_get_bin(c, a, &l->lpbin[i].cb, &l->lpbin[i].lpb)))
			return hr;
	*out = l;
	return S_OK;
}

HRESULT mapix_proto_get_props(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *count, LPSPropValue *out)
{
	HRESULT hr = mapix_wire_get_props(c, count, out);
	if (FAILED(hr))
		return hr;
	hr = mapix_proto_arena_adopt(a, *out);
	if (FAILED(hr)) {
		*out = NULL;
		*count = 0;
	}
	return hr;
}

HRESULT mapix_proto_get_restriction(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSRestriction *out)
{
	HRESULT hr = mapix_wire_get_restriction(c, out);
	if (FAILED(hr))
		return hr;
	hr = mapix_proto_arena_adopt(a, *out);
	if (FAILED(hr))
		*out = NULL;
	return hr;
}

/* ---- row sets -------------------------------------------------------------------------- */

HRESULT mapix_proto_put_rows(MAPIXWIREBUF *b, const SRowSet *r)
{
	HRESULT hr = mapix_wire_put_u8(b, r != NULL);
	return FAILED(hr) || !r ? hr : mapix_wire_put_rowset(b, r);
}

HRESULT mapix_proto_get_rows(MAPIXWIRECURSOR *c, LPSRowSet *out)
{
	BOOL present = FALSE;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "row set presence")) || !present)
		return hr;
	return mapix_wire_get_rowset(c, out);
}

/* ---- named property ids ------------------------------------------------------------------ */

static HRESULT alloc_in(mapix_proto_arena *a, void **root, size_t cb, void **out)
{
	if (a)
		return mapix_proto_arena_alloc(a, cb, out);
	SCODE sc = *root ? MAPIAllocateMore((ULONG)cb, *root, out) : MAPIAllocateBuffer((ULONG)cb, out);
	if (sc != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
	memset(*out, 0, cb);
	if (!*root)
		*root = *out;
	return S_OK;
}

HRESULT mapix_proto_put_names(MAPIXWIREBUF *b, ULONG n, LPMAPINAMEID *names)
{
	HRESULT hr = mapix_wire_put_u32(b, names ? n : 0);
	for (ULONG i = 0; SUCCEEDED(hr) && names && i < n; i++) {
		const MAPINAMEID *nm = names[i];
		if (FAILED(hr = mapix_wire_put_u8(b, nm != NULL)) || !nm)
			continue;
		static const GUID zero;
		if (FAILED(hr = mapix_wire_put_bytes(b, nm->lpguid ? nm->lpguid : &zero, sizeof(GUID))) ||
		    FAILED(hr = mapix_wire_put_u8(b, nm->lpguid != NULL)) || FAILED(hr = mapix_wire_put_u32(b, nm->ulKind)))
			break;
		if (nm->ulKind == MNID_STRING)
			hr = mapix_proto_put_tstr(b, nm->Kind.lpwstrName, TRUE);
		else
			hr = mapix_wire_put_u32(b, (ULONG)nm->Kind.lID);
	}
	return hr;
}

HRESULT mapix_proto_get_names(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *pn, LPMAPINAMEID **out)
{
	ULONG n;
	void *root = NULL;
	LPMAPINAMEID *arr = NULL;
	HRESULT hr;
	*pn = 0;
	*out = NULL;
	if (FAILED(hr = get_count(c, 1, &n, "name count")))
		return hr;
	if (n == 0)
		return S_OK;
	if (FAILED(hr = alloc_in(a, &root, n * sizeof *arr, (void **)&arr)))
		return hr;
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++) {
		BOOL present = FALSE, has_guid = FALSE;
		const BYTE *g;
		ULONG kind;
		if (FAILED(hr = get_present(c, &present, "name presence")) || !present)
			continue;
		LPMAPINAMEID nm;
		if (FAILED(hr = alloc_in(a, &root, sizeof *nm + sizeof(GUID), (void **)&nm)) ||
		    FAILED(hr = mapix_wire_get_bytes(c, sizeof(GUID), &g)) ||
		    FAILED(hr = get_present(c, &has_guid, "name GUID presence")) || FAILED(hr = mapix_wire_get_u32(c, &kind)))
			break;
		if (has_guid) {
			nm->lpguid = (LPGUID)(nm + 1);
			memcpy(nm->lpguid, g, sizeof(GUID));
		}
		nm->ulKind = kind;
		if (kind == MNID_STRING) {
			BYTE sk;
			ULONG len;
			const BYTE *pb;
			if (FAILED(hr = mapix_wire_get_u8(c, &sk)))
				break;
			if (sk == MPX_STR_NULL)
				goto stored;
			if (sk != MPX_STR_UNICODE) {
				hr = mapix_proto_corrupt(c, "name string kind");
				break;
			}
			if (FAILED(hr = get_count(c, 2, &len, "name length")) || FAILED(hr = mapix_wire_get_bytes(c, len * 2, &pb)))
				break;
			WCHAR *w;
			if (FAILED(hr = alloc_in(a, &root, (len + 1) * sizeof(WCHAR), (void **)&w)))
				break;
			for (ULONG k = 0; k < len; k++)
				w[k] = (WCHAR)(pb[2 * k] | (pb[2 * k + 1] << 8));
			nm->Kind.lpwstrName = w;
		} else if (kind == MNID_ID) {
			ULONG id;
			if (FAILED(hr = mapix_wire_get_u32(c, &id)))
				break;
			nm->Kind.lID = (LONG)id;
		} else {
			hr = mapix_proto_corrupt(c, "name kind");
			break;
		}
	stored:
		arr[i] = nm;
	}
	if (FAILED(hr)) {
		if (!a && root)
			MAPIFreeBuffer(root);
		return hr;
	}
	*pn = n;
	*out = arr;
	return S_OK;
}

/* ---- problem arrays ---------------------------------------------------------------------- */

HRESULT mapix_proto_put_problems(MAPIXWIREBUF *b, const SPropProblemArray *p)
{
	HRESULT hr = mapix_wire_put_u8(b, p != NULL);
	if (FAILED(hr) || !p)
		return hr;
	if (FAILED(hr = mapix_wire_put_u32(b, p->cProblem)))
		return hr;
	for (ULONG i = 0; i < p->cProblem && SUCCEEDED(hr); i++)
		if (SUCCEEDED(hr = mapix_wire_put_u32(b, p->aProblem[i].ulIndex)) &&
		    SUCCEEDED(hr = mapix_wire_put_u32(b, p->aProblem[i].ulPropTag)))
			hr = mapix_wire_put_u32(b, (ULONG)p->aProblem[i].scode);
	return hr;
}

HRESULT mapix_proto_get_problems(MAPIXWIRECURSOR *c, LPSPropProblemArray *out)
{
	BOOL present = FALSE;
	ULONG n;
	HRESULT hr;
	*out = NULL;
	if (FAILED(hr = get_present(c, &present, "problem array presence")) || !present)
		return hr;
	if (FAILED(hr = get_count(c, 12, &n, "problem count")))
		return hr;
	LPSPropProblemArray p;
	if (MAPIAllocateBuffer((ULONG)CbNewSPropProblemArray(n), (void **)&p) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
	p->cProblem = n;
	for (ULONG i = 0; i < n; i++) {
		ULONG sc;
		mapix_wire_get_u32(c, &p->aProblem[i].ulIndex);
		mapix_wire_get_u32(c, &p->aProblem[i].ulPropTag);
		mapix_wire_get_u32(c, &sc);
		p->aProblem[i].scode = (SCODE)sc;
	}
	*out = p;
	return S_OK;
}
