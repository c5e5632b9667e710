/*
 * fuzz_proto.c — libFuzzer target for the mapixd frame decoder
 * (src/core/proto.h): what a hostile client (or server) can make the other
 * side parse. The input is a frame: the 16-byte header is decoded with a
 * 64 KiB limit, then the payload is read as a request (handle, operation)
 * followed by fields, each chosen by a selector byte (strings, binaries,
 * GUIDs, tag arrays, sort orders, entry lists, properties, restrictions,
 * row sets, named-property ids, problem arrays, notifications). Decoded
 * notifications must re-encode to exactly the bytes consumed (the
 * encoding is canonical). A request whose operation is LOGON_PASSWORD
 * is decoded instead with the password-logon parser (proto_logon.c), the
 * one request mapixd parses from TCP peers that have no identity yet; what
 * it accepts must obey its own rules. Any outcome other than success or a
 * documented error aborts. Seeds are in corpus/proto/, past crash inputs in
 * crashes/proto/ (both replayed by replay_proto in every build).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixwire.h>

#include "core/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_TSTR, F_STR, F_BIN, F_GUID, F_TAGS, F_SORT, F_LIST, F_PROPS, F_RES, F_ROWS, F_NAMES, F_PROBS, F_NOTIFS, F_COUNT };

static void check(HRESULT hr)
{
	if (hr != S_OK && hr != MAPI_E_CORRUPT_DATA && hr != MAPI_E_VERSION && hr != MAPI_E_NOT_ENOUGH_MEMORY &&
	    hr != MAPI_E_NO_SUPPORT /* PT_ACTIONS values */) {
		fprintf(stderr, "unexpected result 0x%08X: %s\n", (unsigned)hr, MAPIXGetLastErrorText());
		abort();
	}
}

/* Decodes one field; FALSE when the input ends or is refused. */
static BOOL field(MAPIXWIRECURSOR *c, mapix_proto_arena *a, int kind)
{
	HRESULT hr;
	size_t start = c->off;
	switch (kind) {
	case F_TSTR: {
		void *s;
		BOOL uni;
		hr = mapix_proto_get_tstr(c, a, &s, &uni);
		break;
	}
	case F_STR: {
		char *s;
		hr = mapix_proto_get_str(c, a, &s);
		break;
	}
	case F_BIN: {
		ULONG cb;
		BYTE *pb;
		hr = mapix_proto_get_bin(c, a, &cb, &pb);
		break;
	}
	case F_GUID: {
		GUID *g;
		hr = mapix_proto_get_guid(c, a, &g);
		break;
	}
	case F_TAGS: {
		LPSPropTagArray t;
		hr = mapix_proto_get_tags(c, a, &t);
		break;
	}
	case F_SORT: {
		LPSSortOrderSet s;
		hr = mapix_proto_get_sort(c, a, &s);
		break;
	}
	case F_LIST: {
		LPENTRYLIST l;
		hr = mapix_proto_get_entrylist(c, a, &l);
		break;
	}
	case F_PROPS: {
		ULONG n;
		LPSPropValue p;
		hr = mapix_proto_get_props(c, a, &n, &p);
		break;
	}
	case F_RES: {
		LPSRestriction r;
		hr = mapix_proto_get_restriction(c, a, &r);
		break;
	}
	case F_ROWS: {
		LPSRowSet rows = NULL;
		hr = mapix_proto_get_rows(c, &rows);
		if (rows)
			FreeProws(rows);
		break;
	}
	case F_NAMES: {
		ULONG n;
		LPMAPINAMEID *names;
		hr = mapix_proto_get_names(c, a, &n, &names);
		break;
	}
	case F_PROBS: {
		LPSPropProblemArray p = NULL;
		hr = mapix_proto_get_problems(c, &p);
		if (p)
			MAPIFreeBuffer(p);
		break;
	}
	default: {
		ULONG n = 0;
		LPNOTIFICATION notifs = NULL;
		hr = mapix_proto_get_notifs(c, &n, &notifs);
		if (hr == S_OK) {
			MAPIXWIREBUF b;
			mapix_wire_buf_init(&b);
			if (mapix_proto_put_notifs(&b, n, notifs) != S_OK || b.cb != c->off - start ||
			    memcmp(b.pb, c->pb + start, b.cb) != 0) {
				fprintf(stderr, "notifications do not re-encode to the bytes read\n");
				abort();
			}
			mapix_wire_buf_free(&b);
			MAPIFreeBuffer(notifs);
		}
		break;
	}
	}
	check(hr);
	return hr == S_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mapix_proto_header h;
	if (size < MAPIX_PROTO_HEADER_SIZE)
		return 0;
	HRESULT hr = mapix_proto_header_decode(data, 65536, &h);
	check(hr);
	/* The decoder's verdict on the length, then the payload as given. */
	if (hr == S_OK && h.length > 65536)
		abort();
	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, data + MAPIX_PROTO_HEADER_SIZE, size - MAPIX_PROTO_HEADER_SIZE);
	ULONG handle, op;
	if (mapix_wire_get_u32(&c, &handle) != S_OK || mapix_wire_get_u32(&c, &op) != S_OK)
		return 0;
	mapix_proto_arena a = {0};
	if (op == MPX_OP_LOGON_PASSWORD) {
		char *account = NULL, *password = NULL;
		hr = mapix_proto_get_logon(&c, &a, &account, &password);
		check(hr);
		if (hr == S_OK) {
			static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
			size_t n = strlen(account), pw = strlen(password);
			if (n < 1 || n > 64 || strspn(account, name_chars) != n ||
			    account[0] == '.' || account[0] == '-' || pw < 1 || pw > MAPIX_PROTO_MAX_PASSWORD ||
			    mapix_wire_cursor_left(&c) != 0) {
				fprintf(stderr, "the logon decoder accepted what it must refuse\n");
				abort();
			}
		}
		mapix_proto_arena_free(&a);
		return 0;
	}
	while (mapix_wire_cursor_left(&c) > 0) {
		BYTE sel;
		if (mapix_wire_get_u8(&c, &sel) != S_OK || !field(&c, &a, sel % F_COUNT))
			break;
	}
	mapix_proto_arena_free(&a);
	return 0;
}
