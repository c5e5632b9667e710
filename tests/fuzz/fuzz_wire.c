/*
 * fuzz_wire.c — libFuzzer target for the wire decoder (mapixwire.h). The
 * first byte picks the structure (property array, one value, tag array, row,
 * row set, restriction, sort order set); the rest is decoded as that. What
 * decodes must re-encode to exactly the bytes that were consumed (the
 * encoding is canonical), and decoding that again must give the same bytes.
 * Any other outcome than success or a documented error aborts. Seeds live in
 * corpus/wire/, past crash inputs in crashes/wire/ (both replayed in every
 * build by replay_wire).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixwire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_PROPS, K_PROPVAL, K_TAGS, K_ROW, K_ROWSET, K_RES, K_SORT, K_COUNT };

/* A decoded structure of any kind, and how to free it. */
typedef struct {
	int kind;
	ULONG n;
	void *p;     /* the root (or the rowset) */
	SRow row;    /* K_ROW */
} decoded;

static void release(decoded *d)
{
	if (d->kind == K_ROWSET)
		FreeProws(d->p);
	else if (d->kind == K_ROW)
		MAPIFreeBuffer(d->row.lpProps);
	else if (d->p)
		MAPIFreeBuffer(d->p);
	memset(d, 0, sizeof *d);
}

static HRESULT decode(int kind, MAPIXWIRECURSOR *c, decoded *d)
{
	memset(d, 0, sizeof *d);
	d->kind = kind;
	switch (kind) {
	case K_PROPS:
		return mapix_wire_get_props(c, &d->n, (LPSPropValue *)&d->p);
	case K_PROPVAL: {
		HRESULT hr;
		if (MAPIAllocateBuffer(sizeof(SPropValue), &d->p) != S_OK)
			abort();
		hr = mapix_wire_get_propval(c, d->p, d->p);
		if (hr != S_OK)
			release(d);
		return hr;
	}
	case K_TAGS:
		return mapix_wire_get_proptags(c, (LPSPropTagArray *)&d->p);
	case K_ROW:
		return mapix_wire_get_row(c, &d->row);
	case K_ROWSET:
		return mapix_wire_get_rowset(c, (LPSRowSet *)&d->p);
	case K_RES:
		return mapix_wire_get_restriction(c, (LPSRestriction *)&d->p);
	default:
		return mapix_wire_get_sortorderset(c, (LPSSortOrderSet *)&d->p);
	}
}

static HRESULT encode(const decoded *d, MAPIXWIREBUF *b)
{
	switch (d->kind) {
	case K_PROPS: return mapix_wire_put_props(b, d->n, d->p);
	case K_PROPVAL: return mapix_wire_put_propval(b, d->p);
	case K_TAGS: return mapix_wire_put_proptags(b, d->p);
	case K_ROW: return mapix_wire_put_row(b, &d->row);
	case K_ROWSET: return mapix_wire_put_rowset(b, d->p);
	case K_RES: return mapix_wire_put_restriction(b, d->p);
	default: return mapix_wire_put_sortorderset(b, d->p);
	}
}

static void die(const char *what, int kind, HRESULT hr)
{
	fprintf(stderr, "fuzz_wire: %s (kind %d, hr 0x%08X: %s)\n", what, kind, (unsigned)hr, MAPIXGetLastErrorText());
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int kind = data[0] % K_COUNT;
	MAPIXWIRECURSOR c;
	decoded d1, d2;
	mapix_wire_cursor_init(&c, data + 1, size - 1);
	HRESULT hr = decode(kind, &c, &d1);
	if (hr != S_OK) {
		if (hr != MAPI_E_CORRUPT_DATA && hr != MAPI_E_NO_SUPPORT)
			die("unexpected decode error", kind, hr);
		if (c.off != 0)
			die("failed decode moved the cursor", kind, hr);
		return 0;
	}
	size_t consumed = c.off;

	MAPIXWIREBUF e1, e2;
	mapix_wire_buf_init(&e1);
	mapix_wire_buf_init(&e2);
	hr = encode(&d1, &e1);
	if (hr != S_OK)
		die("decoded structure does not re-encode", kind, hr);
	if (e1.cb != consumed || memcmp(e1.pb, data + 1, consumed) != 0)
		die("re-encoding differs from the input (encoding not canonical)", kind, hr);

	mapix_wire_cursor_init(&c, e1.pb, e1.cb);
	hr = decode(kind, &c, &d2);
	if (hr != S_OK)
		die("re-encoding does not decode", kind, hr);
	if (mapix_wire_get_end(&c) != S_OK)
		die("re-encoding has trailing bytes", kind, hr);
	hr = encode(&d2, &e2);
	if (hr != S_OK)
		die("second decode does not re-encode", kind, hr);
	if (e1.cb != e2.cb || memcmp(e1.pb, e2.pb, e1.cb) != 0)
		die("the two encodings differ", kind, hr);

	release(&d1);
	release(&d2);
	mapix_wire_buf_free(&e1);
	mapix_wire_buf_free(&e2);
	return 0;
}
