/*
 * ab_dlstream.c — PidLidDistributionListStream (MS-OXOCNTC 2.2.2.2.4), the
 * form personal distribution lists take when their members outgrow the
 * 15,000-byte limit of the members properties. All integers little-endian:
 *
 *   StreamVersion u16 (1), Reserved u16, BuildVersion u32,
 *   DistListStreamFlags u32, CountOfEntries u32, TotalEntryIDSize u32,
 *   TotalOneOffSize u32, TotalExtraSize u32 (0),
 *   CountOfEntries x { EntryIdSize u32, EntryIdData, OneOffSize u32,
 *                      OneOffData, ExtraMemberInfoSize u32 (0) },
 *   Terminator1 u32 (0), Terminator2 u32 (0).
 *
 * The parser reads outside input: counts are checked against the bytes
 * left before anything is allocated.
 */
#include <string.h>

#include <mapix/mapixab.h>

#include "core/error.h"
#include "subsystem/ab.h"

#define HEADER_SIZE 28
/* BuildVersion is MajorVersion * 10000 + MinorVersion of the business card
 * definition (MS-OXOCNTC 2.2.1.7.1); mapix writes no business card, so it
 * names the version Outlook 2007 wrote, 12.0. */
#define BUILD_VERSION 120000u

static void put_u32(BYTE *p, ULONG v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
	p[2] = (BYTE)(v >> 16);
	p[3] = (BYTE)(v >> 24);
}

MAPIX_API HRESULT mapix_dl_stream_parse(ULONG cb, const BYTE *p, LPVOID parent, MAPIX_DL *out)
{
	if (!out || (cb && !p))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_stream_parse: NULL argument");
	memset(out, 0, sizeof *out);
	if (cb < HEADER_SIZE + 8)
		return mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: %u bytes is too short", (unsigned)cb);
	if ((p[0] | p[1] << 8) != 1)
		return mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: version %u", (unsigned)(p[0] | p[1] << 8));
	ULONG flags = mapix_ab_get_u32(p + 8), count = mapix_ab_get_u32(p + 12);
	/* Each entry takes at least its three 4-byte sizes. */
	if (count > (cb - HEADER_SIZE - 8) / 12)
		return mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: %u entries cannot fit in %u bytes",
		                   (unsigned)count, (unsigned)cb);
	MAPIX_DL_MEMBER *m = NULL;
	HRESULT hr;
	if (count && FAILED(hr = mapix_ab_alloc((size_t)count * sizeof *m, parent, (LPVOID *)&m)))
		return hr;
	size_t pos = HEADER_SIZE, total_eid = 0, total_oneoff = 0;
	for (ULONG i = 0; i < count; i++) {
		SBinary *parts[2] = {&m[i].member, &m[i].oneoff};
		for (int k = 0; k < 2; k++) {
			if (cb - pos < 4)
				goto short_data;
			ULONG n = mapix_ab_get_u32(p + pos);
			pos += 4;
			if (n > cb - pos)
				goto short_data;
			/* Members point into the caller's buffer: the stream is
			 * read whole and kept while the list is used. */
			parts[k]->cb = n;
			parts[k]->lpb = n ? (LPBYTE)(p + pos) : NULL;
			pos += n;
			if (k)
				total_oneoff += n;
			else
				total_eid += n;
		}
		if (cb - pos < 4)
			goto short_data;
		ULONG extra = mapix_ab_get_u32(p + pos);
		pos += 4;
		/* ExtraMemberInfo MUST be 0 and absent; skip it if a writer put
		 * some there anyway. */
		if (extra > cb - pos)
			goto short_data;
		pos += extra;
		if (m[i].member.cb == 0) {
			hr = mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: member %u has no entry ID", (unsigned)i);
			goto fail;
		}
	}
	if (cb - pos < 8)
		goto short_data;
	(void)total_eid;
	(void)total_oneoff;
	out->cMembers = count;
	out->aMembers = m;
	out->fFromStream = TRUE;
	out->ulStreamFlags = flags;
	return S_OK;
short_data:
	hr = mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: truncated at byte %zu", pos);
fail:
	if (m && !parent)
		MAPIFreeBuffer(m);
	return hr;
}

MAPIX_API HRESULT mapix_dl_stream_build(ULONG count, const MAPIX_DL_MEMBER *m, ULONG flags, LPVOID parent,
                                        SBinary *out)
{
	if (!out || (count && !m))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_stream_build: NULL argument");
	size_t cb = HEADER_SIZE + 8, total_eid = 0, total_oneoff = 0;
	for (ULONG i = 0; i < count; i++) {
		cb += 12 + (size_t)m[i].member.cb + m[i].oneoff.cb;
		total_eid += m[i].member.cb;
		total_oneoff += m[i].oneoff.cb;
	}
	if (cb > 0x7FFFFFFF)
		return mapix_error(MAPI_E_TOO_BIG, "distribution list stream: too many members");
	BYTE *p;
	HRESULT hr = mapix_ab_alloc(cb, parent, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memset(p, 0, cb);
	p[0] = 1; /* StreamVersion */
	put_u32(p + 4, BUILD_VERSION);
	put_u32(p + 8, flags);
	put_u32(p + 12, count);
	put_u32(p + 16, (ULONG)total_eid);
	put_u32(p + 20, (ULONG)total_oneoff);
	size_t pos = HEADER_SIZE;
	for (ULONG i = 0; i < count; i++) {
		const SBinary *parts[2] = {&m[i].member, &m[i].oneoff};
		for (int k = 0; k < 2; k++) {
			put_u32(p + pos, parts[k]->cb);
			pos += 4;
			if (parts[k]->cb)
				memcpy(p + pos, parts[k]->lpb, parts[k]->cb);
			pos += parts[k]->cb;
		}
		pos += 4; /* ExtraMemberInfoSize 0 */
	}
	out->cb = (ULONG)cb;
	out->lpb = p;
	return S_OK;
}
