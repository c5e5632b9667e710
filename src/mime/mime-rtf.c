/*
 * mime-rtf.c — compressed RTF (MS-OXRTFCP), the form of PR_RTF_COMPRESSED:
 * a 16-byte header (compressed size, raw size, "LZFu" or "MELA", CRC)
 * followed by LZ77 runs over a 4096-byte dictionary that starts with a
 * fixed RTF prefix. Decompression checks every bound and the CRC;
 * compression finds the longest match (up to 17 bytes) in the dictionary.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"
#include "mime/mime-rtf.h"

#define RTF_COMP_LZFU 0x75465A4Cu
#define RTF_COMP_MELA 0x414C454Du
#define DICT_SIZE 4096
#define MAX_MATCH 17

/* MS-OXRTFCP 2.1.2.1: the dictionary's initial contents. */
static const char rtf_prebuf[] = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
                                 "\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
                                 "{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";
#define PREBUF_LEN (sizeof rtf_prebuf - 1)

static uint32_t le32(const BYTE *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(BYTE *p, uint32_t v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
	p[2] = (BYTE)(v >> 16);
	p[3] = (BYTE)(v >> 24);
}

/* CRC-32 of MS-OXRTFCP 2.1.3.2: the usual table, starting from 0 and
 * without the final inversion. */
static uint32_t rtf_crc(const BYTE *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1; /* idempotent: racing threads write the same values */
	}
	uint32_t crc = 0;
	for (size_t i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return crc;
}

HRESULT mapix_rtf_decompress_bytes(const BYTE *in, size_t len, GByteArray **out)
{
	*out = NULL;
	if (len < 16)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_rtf_decompress: %zu bytes are no compressed RTF", len);
	uint32_t compsize = le32(in), rawsize = le32(in + 4), type = le32(in + 8), crc = le32(in + 12);
	if (compsize < 12 || (size_t)compsize - 12 > len - 16)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_rtf_decompress: compressed size %u beyond the data",
		                   (unsigned)compsize);
	const BYTE *p = in + 16;
	size_t n = compsize - 12;
	if (type == RTF_COMP_MELA) {
		GByteArray *raw = g_byte_array_new();
		g_byte_array_append(raw, p, (guint)(rawsize < n ? rawsize : n));
		*out = raw;
		return S_OK;
	}
	if (type != RTF_COMP_LZFU)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_rtf_decompress: unknown compression type 0x%08X",
		                   (unsigned)type);
	if (rtf_crc(p, n) != crc)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_rtf_decompress: CRC mismatch");

	BYTE dict[DICT_SIZE];
	memset(dict, 0, sizeof dict);
	memcpy(dict, rtf_prebuf, PREBUF_LEN);
	size_t wpos = PREBUF_LEN, pos = 0;
	/* rawsize is a hint from the data: cap the reservation, not the output. */
	GByteArray *raw = g_byte_array_sized_new(rawsize < 16 * 1024 * 1024 ? rawsize : 16 * 1024 * 1024);
	BOOL done = FALSE;
	while (pos < n && !done) {
		BYTE control = p[pos++];
		for (int bit = 0; bit < 8 && !done; bit++) {
			if (!(control & (1 << bit))) {
				if (pos >= n) {
					done = TRUE;
					break;
				}
				BYTE c = p[pos++];
				g_byte_array_append(raw, &c, 1);
				dict[wpos] = c;
				wpos = (wpos + 1) % DICT_SIZE;
				continue;
			}
			if (n - pos < 2) {
				done = TRUE;
				break;
			}
			unsigned ref = (unsigned)p[pos] << 8 | p[pos + 1];
			pos += 2;
			size_t off = ref >> 4, count = (ref & 0xF) + 2;
			if (off == wpos) {
				done = TRUE; /* the end marker */
				break;
			}
			for (size_t k = 0; k < count; k++) {
				BYTE c = dict[(off + k) % DICT_SIZE];
				g_byte_array_append(raw, &c, 1);
				dict[wpos] = c;
				wpos = (wpos + 1) % DICT_SIZE;
			}
		}
	}
	*out = raw;
	return S_OK;
}

HRESULT mapix_rtf_compress_bytes(const BYTE *in, size_t len, BOOL uncompressed, GByteArray **out)
{
	GByteArray *o = g_byte_array_new();
	BYTE header[16] = {0};

	if (len > 0x7FFFFFF0)
		return mapix_error(MAPI_E_TOO_BIG, "mapix_rtf_compress: %zu bytes of RTF", len);
	g_byte_array_append(o, header, 16);
	if (uncompressed) {
		g_byte_array_append(o, in, (guint)len);
		put32(o->data, (uint32_t)(o->len - 4));
		put32(o->data + 4, (uint32_t)len);
		put32(o->data + 8, RTF_COMP_MELA);
		*out = o;
		return S_OK;
	}
	/* Candidates for a match: for every byte pair, the last few dictionary
	 * positions where it started. Entries go stale as the dictionary wraps;
	 * every candidate is checked against the dictionary itself. */
	enum { WAYS = 8 };
	BYTE dict[DICT_SIZE];
	uint16_t(*cand)[WAYS] = g_malloc(sizeof(uint16_t[WAYS]) * 65536);
	BYTE *next_way = g_malloc0(65536);
	memset(cand, 0xFF, sizeof(uint16_t[WAYS]) * 65536);
	memset(dict, 0, sizeof dict);
	memcpy(dict, rtf_prebuf, PREBUF_LEN);
#define PAIR(a, b) ((unsigned)(a) << 8 | (b))
#define REMEMBER(at)                                                                          \
	do {                                                                                  \
		size_t at_ = (at);                                                            \
		unsigned h_ = PAIR(dict[at_], dict[(at_ + 1) % DICT_SIZE]);                   \
		cand[h_][next_way[h_]] = (uint16_t)at_;                                       \
		next_way[h_] = (BYTE)((next_way[h_] + 1) % WAYS);                             \
	} while (0)
	for (size_t i = 0; i + 1 < PREBUF_LEN; i++)
		REMEMBER(i);
	size_t wpos = PREBUF_LEN, pos = 0;
	BOOL end_written = FALSE;
	while (!end_written) {
		size_t control_at = o->len;
		BYTE control = 0;
		g_byte_array_append(o, &control, 1);
		for (int bit = 0; bit < 8; bit++) {
			if (pos >= len) {
				/* End marker: a reference to the write position. */
				BYTE ref[2] = {(BYTE)(wpos >> 4), (BYTE)((wpos & 0xF) << 4)};
				control |= (BYTE)(1 << bit);
				g_byte_array_append(o, ref, 2);
				end_written = TRUE;
				break;
			}
			/* A match may run into the bytes it writes itself, as the
			 * decoder copies byte by byte. */
			size_t best_len = 0, best_off = 0;
			size_t maxlen = len - pos < MAX_MATCH ? len - pos : MAX_MATCH;
			if (maxlen >= 2) {
				unsigned h = PAIR(in[pos], in[pos + 1]);
				for (int way = 0; way < WAYS; way++) {
					size_t off = cand[h][way];
					if (off >= DICT_SIZE || off == wpos)
						continue;
					size_t k = 0;
					while (k < maxlen) {
						size_t src = (off + k) % DICT_SIZE;
						size_t ahead = (src + DICT_SIZE - wpos) % DICT_SIZE;
						BYTE c = ahead < k ? in[pos + ahead] : dict[src];
						if (c != in[pos + k])
							break;
						k++;
					}
					if (k > best_len) {
						best_len = k;
						best_off = off;
					}
				}
			}
			if (best_len >= 2) {
				unsigned ref = (unsigned)(best_off << 4 | (best_len - 2));
				BYTE r[2] = {(BYTE)(ref >> 8), (BYTE)ref};
				control |= (BYTE)(1 << bit);
				g_byte_array_append(o, r, 2);
			} else {
				best_len = 1;
				g_byte_array_append(o, &in[pos], 1);
			}
			for (size_t k = 0; k < best_len; k++) {
				dict[wpos] = in[pos++];
				REMEMBER((wpos + DICT_SIZE - 1) % DICT_SIZE);
				wpos = (wpos + 1) % DICT_SIZE;
			}
		}
		o->data[control_at] = control;
	}
#undef REMEMBER
#undef PAIR
	g_free(cand);
	g_free(next_way);
	put32(o->data, (uint32_t)(o->len - 4));
	put32(o->data + 4, (uint32_t)len);
	put32(o->data + 8, RTF_COMP_LZFU);
	put32(o->data + 12, rtf_crc(o->data + 16, o->len - 16));
	*out = o;
	return S_OK;
}

MAPIX_API HRESULT mapix_rtf_decompress(const BYTE *lpData, ULONG cbData, BYTE **lppRtf, ULONG *lpcbRtf)
{
	GByteArray *raw = NULL;
	HRESULT hr;

	if ((!lpData && cbData) || !lppRtf || !lpcbRtf)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_rtf_decompress: NULL argument");
	if ((hr = mapix_rtf_decompress_bytes(lpData, cbData, &raw)) != S_OK)
		return hr;
	if (MAPIAllocateBuffer(raw->len + 1, (LPVOID *)lppRtf) != S_OK) {
		g_byte_array_unref(raw);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_rtf_decompress: out of memory");
	}
	if (raw->len)
		memcpy(*lppRtf, raw->data, raw->len);
	(*lppRtf)[raw->len] = 0;
	*lpcbRtf = raw->len;
	g_byte_array_unref(raw);
	return S_OK;
}

MAPIX_API HRESULT mapix_rtf_compress(const BYTE *lpRtf, ULONG cbRtf, BYTE **lppData, ULONG *lpcbData)
{
	GByteArray *c = NULL;
	HRESULT hr;

	if ((!lpRtf && cbRtf) || !lppData || !lpcbData)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_rtf_compress: NULL argument");
	if ((hr = mapix_rtf_compress_bytes(lpRtf ? lpRtf : (const BYTE *)"", cbRtf, FALSE, &c)) != S_OK)
		return hr;
	if (MAPIAllocateBuffer(c->len, (LPVOID *)lppData) != S_OK) {
		g_byte_array_unref(c);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_rtf_compress: out of memory");
	}
	memcpy(*lppData, c->data, c->len);
	*lpcbData = c->len;
	g_byte_array_unref(c);
	return S_OK;
}

/* ---- WrapCompressedRTFStream ------------------------------------------------ */

typedef struct wrap_ctx {
	LPSTREAM inner;
	ULONG flags;
	BOOL dirty_commit; /* commit on the last Release if never committed */
} wrap_ctx;

static HRESULT wrap_commit(void *ctx, const BYTE *data, size_t len)
{
	wrap_ctx *w = ctx;
	GByteArray *c = NULL;
	HRESULT hr = mapix_rtf_compress_bytes(data, len, (w->flags & STORE_UNCOMPRESSED_RTF) != 0, &c);
	ULARGE_INTEGER zero = {.QuadPart = 0};
	LARGE_INTEGER start = {.QuadPart = 0};

	if (hr != S_OK)
		return hr;
	hr = IStream_Seek(w->inner, start, STREAM_SEEK_SET, NULL);
	if (hr == S_OK)
		hr = IStream_SetSize(w->inner, zero);
	for (guint done = 0; hr == S_OK && done < c->len;) {
		ULONG wrote = 0;
		hr = IStream_Write(w->inner, c->data + done, c->len - done, &wrote);
		if (hr == S_OK && wrote == 0)
			hr = mapix_error(MAPI_E_DISK_ERROR, "WrapCompressedRTFStream: the stream took no data");
		done += wrote;
	}
	if (hr == S_OK)
		hr = IStream_Commit(w->inner, STGC_DEFAULT);
	g_byte_array_unref(c);
	w->dirty_commit = FALSE;
	return hr;
}

static void wrap_release(void *ctx)
{
	wrap_ctx *w = ctx;
	IStream_Release(w->inner);
	g_free(w);
}

STDAPI WrapCompressedRTFStream(LPSTREAM lpCompressedRTFStream, ULONG ulFlags, LPSTREAM *lpUncompressedRTFStream)
{
	GByteArray *raw = NULL;
	HRESULT hr;

	if (!lpCompressedRTFStream || !lpUncompressedRTFStream)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "WrapCompressedRTFStream: NULL stream");
	*lpUncompressedRTFStream = NULL;
	if (ulFlags & ~(MAPI_MODIFY | STORE_UNCOMPRESSED_RTF))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "WrapCompressedRTFStream: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(ulFlags & MAPI_MODIFY)) {
		GByteArray *comp = NULL;
		if ((hr = mapix_mime_stream_read_all(lpCompressedRTFStream, &comp)) != S_OK)
			return hr;
		hr = comp->len == 0 ? S_OK : mapix_rtf_decompress_bytes(comp->data, comp->len, &raw);
		g_byte_array_unref(comp);
		if (hr != S_OK)
			return hr;
	}
	wrap_ctx *w = g_new0(wrap_ctx, 1);
	w->inner = lpCompressedRTFStream;
	w->flags = ulFlags;
	IStream_AddRef(lpCompressedRTFStream);
	hr = mapix_mime_memstream_new(raw ? raw->data : NULL, raw ? raw->len : 0,
	                              (ulFlags & MAPI_MODIFY) ? wrap_commit : NULL, wrap_release, w,
	                              lpUncompressedRTFStream);
	if (raw)
		g_byte_array_unref(raw);
	if (hr != S_OK)
		wrap_release(w);
	return hr;
}
