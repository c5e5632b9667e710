/*
 * fuzz_abeid.c — libFuzzer target for the address book's parsers
 * (mapixab.h): one-off, wrapped, address book and contact address book
 * entry IDs, and PidLidDistributionListStream. The first byte picks the
 * parser; the rest is its input. What parses must re-encode to the same
 * bytes where the encoding is canonical (wrapped entry IDs, address book
 * entry IDs, the stream's member list) and a one-off must survive a
 * rebuild-and-parse round trip with the same strings. Any other outcome
 * than success or a documented error aborts. Seeds live in corpus/abeid/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapixab.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_abeid: %s\n", what);
		abort();
	}
}

static void documented(HRESULT hr)
{
	check(hr == MAPI_E_INVALID_ENTRYID || hr == MAPI_E_CORRUPT_DATA || hr == MAPI_E_NOT_ENOUGH_MEMORY,
	      "undocumented error");
}

static void one_off(const BYTE *p, ULONG cb)
{
	MAPIX_ONEOFF o, again;
	HRESULT hr = mapix_oneoff_parse(cb, p, NULL, &o);
	if (FAILED(hr)) {
		documented(hr);
		return;
	}
	SBinary b;
	WORD flags = o.wFlags | MAPI_ONE_OFF_UNICODE;
	check(mapix_oneoff_build(o.lpszName, o.lpszAdrType, o.lpszAddress, flags, NULL, &b) == S_OK, "rebuild");
	check(mapix_oneoff_parse(b.cb, b.lpb, NULL, &again) == S_OK, "reparse");
	check(again.wFlags == flags && strcmp(again.lpszName, o.lpszName) == 0 &&
	          strcmp(again.lpszAdrType, o.lpszAdrType) == 0 && strcmp(again.lpszAddress, o.lpszAddress) == 0,
	      "one-off round trip");
	MAPIFreeBuffer(again.lpszName);
	MAPIFreeBuffer(b.lpb);
	MAPIFreeBuffer(o.lpszName);
}

static void wrapped(const BYTE *p, ULONG cb)
{
	BYTE type;
	ULONG cbi;
	const BYTE *inner;
	HRESULT hr = mapix_wrapped_eid_parse(cb, p, &type, &cbi, &inner);
	if (FAILED(hr)) {
		documented(hr);
		return;
	}
	check(inner >= p && inner + cbi == p + cb, "wrapped bounds");
	SBinary b;
	if (mapix_wrapped_eid_build(type, cbi, inner, NULL, &b) == S_OK) {
		/* The flags field is not kept: compare from the provider UID on. */
		check(b.cb == cb && memcmp(b.lpb + 4, p + 4, cb - 4) == 0, "wrapped round trip");
		MAPIFreeBuffer(b.lpb);
	}
}

static void ab(const BYTE *p, ULONG cb)
{
	ULONG type;
	LPSTR dn;
	HRESULT hr = mapix_ab_eid_parse(cb, p, &type, NULL, &dn);
	if (FAILED(hr)) {
		documented(hr);
		return;
	}
	check(strlen(dn) + 29 <= cb, "ab bounds");
	MAPIFreeBuffer(dn);
	ULONG index, cbi;
	const BYTE *inner;
	hr = mapix_contab_eid_parse(cb, p, &type, &index, &cbi, &inner);
	check(hr == MAPI_E_INVALID_ENTRYID, "an address book entry ID is not a contab one");
}

static void contab(const BYTE *p, ULONG cb)
{
	ULONG type, index, cbi;
	const BYTE *inner;
	HRESULT hr = mapix_contab_eid_parse(cb, p, &type, &index, &cbi, &inner);
	if (FAILED(hr)) {
		documented(hr);
		return;
	}
	check(inner + cbi <= p + cb, "contab bounds");
	SBinary b;
	check(mapix_contab_eid_build(type, index, cbi, inner, NULL, &b) == S_OK, "contab rebuild");
	check(b.cb == 36 + cbi && memcmp(b.lpb + 4, p + 4, b.cb - 4) == 0, "contab round trip");
	MAPIFreeBuffer(b.lpb);
}

static void stream(const BYTE *p, ULONG cb)
{
	MAPIX_DL dl;
	HRESULT hr = mapix_dl_stream_parse(cb, p, NULL, &dl);
	if (FAILED(hr)) {
		documented(hr);
		return;
	}
	for (ULONG i = 0; i < dl.cMembers; i++) {
		check(dl.aMembers[i].member.lpb >= p && dl.aMembers[i].member.lpb + dl.aMembers[i].member.cb <= p + cb,
		      "stream member bounds");
		one_off(dl.aMembers[i].oneoff.lpb, dl.aMembers[i].oneoff.cb);
		wrapped(dl.aMembers[i].member.lpb, dl.aMembers[i].member.cb);
	}
	SBinary b;
	check(mapix_dl_stream_build(dl.cMembers, dl.aMembers, dl.ulStreamFlags, NULL, &b) == S_OK, "stream rebuild");
	MAPIX_DL again;
	check(mapix_dl_stream_parse(b.cb, b.lpb, NULL, &again) == S_OK && again.cMembers == dl.cMembers,
	      "stream round trip");
	for (ULONG i = 0; i < dl.cMembers; i++)
		check(again.aMembers[i].member.cb == dl.aMembers[i].member.cb &&
		          memcmp(again.aMembers[i].member.lpb, dl.aMembers[i].member.lpb, dl.aMembers[i].member.cb) == 0,
		      "stream member round trip");
	MAPIFreeBuffer(again.aMembers);
	MAPIFreeBuffer(b.lpb);
	MAPIFreeBuffer(dl.aMembers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 20)
		return 0;
	const BYTE *p = data + 1;
	ULONG cb = (ULONG)(size - 1);
	switch (data[0] % 5) {
	case 0:
		one_off(p, cb);
		break;
	case 1:
		wrapped(p, cb);
		break;
	case 2:
		ab(p, cb);
		break;
	case 3:
		contab(p, cb);
		break;
	default:
		stream(p, cb);
		break;
	}
	return 0;
}
