/*
 * ab_eid.c — the recipient entry IDs of MS-OXCDATA 2.2.5 and the wrapped
 * entry IDs of personal distribution lists (MS-OXOCNTC 2.2.2.2.4.1.1):
 * building and parsing them, byte by byte (docs/formats.md). Parsers read
 * outside input (PST imports, messages from other clients): every length is
 * checked before it is used, and tests/fuzz/fuzz_abeid.c runs them.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "core/collation.h"
#include "core/error.h"
#include "subsystem/ab.h"

const BYTE MAPIX_ONEOFF_UID[16] = MAPI_ONE_OFF_UID;
/* MS-OXOCNTC 2.2.2.2.4.1.1 */
const BYTE MAPIX_WRAPPED_UID[16] = {0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
                                    0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4};
/* MS-OXCDATA 2.2.5.2 (the Exchange directory's provider UID) */
const BYTE MAPIX_AB_UID[16] = {0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A,
                               0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1, 0x82};
/* MS-OXCDATA 2.2.5.3/2.2.5.4 (Outlook's Contact Address Book) */
const BYTE MAPIX_CONTAB_UID[16] = {0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
                                   0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00};

HRESULT mapix_ab_alloc(size_t cb, LPVOID parent, LPVOID *out)
{
	if (cb > 0x7FFFFFFF)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: %zu bytes is too large", cb);
	HRESULT hr = parent ? MAPIAllocateMore((ULONG)cb, parent, out) : MAPIAllocateBuffer((ULONG)cb, out);
	if (FAILED(hr))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	return S_OK;
}

HRESULT mapix_ab_strdup(const char *s, size_t len, LPVOID parent, LPSTR *out)
{
	LPSTR p;
	HRESULT hr = mapix_ab_alloc(len + 1, parent, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memcpy(p, s, len);
	p[len] = 0;
	*out = p;
	return S_OK;
}

static void put_u32(BYTE *p, ULONG v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
	p[2] = (BYTE)(v >> 16);
	p[3] = (BYTE)(v >> 24);
}

ULONG mapix_ab_get_u32(const BYTE *p)
{
	return (ULONG)p[0] | (ULONG)p[1] << 8 | (ULONG)p[2] << 16 | (ULONG)p[3] << 24;
}

/* ---- one-off -------------------------------------------------------------------------- */

/* Appends one string in the one-off's encoding (with its terminator);
 * out NULL only measures. */
static size_t put_string(BYTE *out, const char *s, BOOL unicode)
{
	size_t len = strlen(s);
	if (!unicode) {
		if (out)
			memcpy(out, s, len + 1);
		return len + 1;
	}
	size_t n = mapix_utf8_to_utf16_buf(s, len, NULL, 0);
	if (out) {
		WCHAR w[256], *buf = n < 256 ? w : NULL;
		if (!buf && MAPIAllocateBuffer((ULONG)((n + 1) * sizeof(WCHAR)), (LPVOID *)&buf) != S_OK)
			return 0;
		mapix_utf8_to_utf16_buf(s, len, buf, n + 1);
		for (size_t i = 0; i <= n; i++) {
			out[2 * i] = (BYTE)(buf[i] & 0xFF);
			out[2 * i + 1] = (BYTE)(buf[i] >> 8);
		}
		if (buf != w)
			MAPIFreeBuffer(buf);
	}
	return 2 * (n + 1);
}

MAPIX_API HRESULT mapix_oneoff_build(LPCSTR name, LPCSTR adrtype, LPCSTR address, WORD flags, LPVOID parent,
                                     SBinary *out)
{
	if (!adrtype || !address || !out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_oneoff_build: NULL address type, address or output");
	if (!name)
		name = address;
	BOOL u = (flags & MAPI_ONE_OFF_UNICODE) != 0;
	size_t cb = 24 + put_string(NULL, name, u) + put_string(NULL, adrtype, u) + put_string(NULL, address, u);
	BYTE *p;
	HRESULT hr = mapix_ab_alloc(cb, parent, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memset(p, 0, 4);
	memcpy(p + 4, MAPIX_ONEOFF_UID, 16);
	p[20] = p[21] = 0; /* version */
	p[22] = (BYTE)(flags & 0xFF);
	p[23] = (BYTE)(flags >> 8);
	size_t pos = 24;
	pos += put_string(p + pos, name, u);
	pos += put_string(p + pos, adrtype, u);
	pos += put_string(p + pos, address, u);
	out->cb = (ULONG)pos;
	out->lpb = p;
	return S_OK;
}

BOOL mapix_is_oneoff(ULONG cb, const BYTE *lpb)
{
	return lpb && cb >= 24 && memcmp(lpb + 4, MAPIX_ONEOFF_UID, 16) == 0;
}

/* Reads one terminated string at *pos; UTF-8 out (ill-formed 8-bit text
 * and lone surrogates become U+FFFD). */
static HRESULT get_string(const BYTE *p, ULONG cb, ULONG *pos, BOOL unicode, LPVOID parent, LPSTR *out)
{
	ULONG start = *pos;
	if (!unicode) {
		const BYTE *nul = memchr(p + start, 0, cb - start);
		if (!nul)
			return mapix_error(MAPI_E_INVALID_ENTRYID, "one-off entry ID: unterminated string");
		size_t len = (size_t)(nul - (p + start));
		*pos = start + (ULONG)len + 1;
		char *clean = mapix_utf8_sanitize((const char *)p + start, len);
		if (!clean)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "one-off entry ID: out of memory");
		HRESULT hr = mapix_ab_strdup(clean, strlen(clean), parent, out);
		free(clean);
		return hr;
	}
	ULONG i = start;
	while (i + 1 < cb && (p[i] || p[i + 1]))
		i += 2;
	if (i + 1 >= cb)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "one-off entry ID: unterminated string");
	size_t n = (i - start) / 2;
	WCHAR *w;
	HRESULT hr = mapix_ab_alloc((n + 1) * sizeof(WCHAR), NULL, (LPVOID *)&w);
	if (FAILED(hr))
		return hr;
	for (size_t k = 0; k < n; k++)
		w[k] = (WCHAR)(p[start + 2 * k] | p[start + 2 * k + 1] << 8);
	w[n] = 0;
	size_t need = mapix_utf16_to_utf8_buf(w, n, NULL, 0);
	LPSTR s;
	if (SUCCEEDED(hr = mapix_ab_alloc(need + 1, parent, (LPVOID *)&s))) {
		mapix_utf16_to_utf8_buf(w, n, s, need + 1);
		*out = s;
	}
	MAPIFreeBuffer(w);
	*pos = i + 2;
	return hr;
}

MAPIX_API HRESULT mapix_oneoff_parse(ULONG cb, const BYTE *lpb, LPVOID parent, MAPIX_ONEOFF *out)
{
	if (!out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_oneoff_parse: NULL output");
	memset(out, 0, sizeof *out);
	if (!mapix_is_oneoff(cb, lpb))
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a one-off entry ID");
	if (lpb[20] || lpb[21])
		return mapix_error(MAPI_E_INVALID_ENTRYID, "one-off entry ID: version %u", (unsigned)(lpb[20] | lpb[21] << 8));
	WORD flags = (WORD)(lpb[22] | lpb[23] << 8);
	BOOL u = (flags & MAPI_ONE_OFF_UNICODE) != 0;
	ULONG pos = 24;
	LPVOID base = parent;
	HRESULT hr = S_OK;
	LPSTR s[3] = {NULL, NULL, NULL};
	for (int i = 0; i < 3 && SUCCEEDED(hr); i++) {
		hr = get_string(lpb, cb, &pos, u, base, &s[i]);
		/* Without a parent, the first string is the block the others
		 * hang on, so the caller frees one thing. */
		if (SUCCEEDED(hr) && !base)
			base = s[0];
	}
	if (FAILED(hr)) {
		if (!parent && s[0])
			MAPIFreeBuffer(s[0]);
		return hr;
	}
	out->wFlags = flags;
	out->lpszName = s[0];
	out->lpszAdrType = s[1];
	out->lpszAddress = s[2];
	return S_OK;
}

/* ---- wrapped -------------------------------------------------------------------------- */

static HRESULT build_prefixed(const BYTE uid[16], const BYTE *mid, size_t cbmid, ULONG cbInner, const BYTE *inner,
                              LPVOID parent, SBinary *out)
{
	size_t cb = 20 + cbmid + cbInner;
	BYTE *p;
	HRESULT hr = mapix_ab_alloc(cb, parent, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memset(p, 0, 4);
	memcpy(p + 4, uid, 16);
	if (cbmid)
		memcpy(p + 20, mid, cbmid);
	if (cbInner)
		memcpy(p + 20 + cbmid, inner, cbInner);
	out->cb = (ULONG)cb;
	out->lpb = p;
	return S_OK;
}

MAPIX_API HRESULT mapix_wrapped_eid_build(BYTE type, ULONG cbInner, const BYTE *inner, LPVOID parent, SBinary *out)
{
	if (!out || (cbInner && !inner))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wrapped_eid_build: NULL argument");
	/* The 0x80 bit is set exactly when the embedded ID is not a one-off. */
	BOOL oneoff = (type & 0x0F) == MAPIX_WRAPPED_ONEOFF;
	if (oneoff != !(type & 0x80) || (type & 0x70) == 0x70)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_wrapped_eid_build: bad type 0x%02X", type);
	return build_prefixed(MAPIX_WRAPPED_UID, &type, 1, cbInner, inner, parent, out);
}

MAPIX_API HRESULT mapix_wrapped_eid_parse(ULONG cb, const BYTE *lpb, BYTE *type, ULONG *cbInner,
                                          const BYTE **inner)
{
	if (!lpb || cb < 21 || memcmp(lpb + 4, MAPIX_WRAPPED_UID, 16) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a wrapped entry ID");
	BYTE t = lpb[20];
	BYTE kind = t & 0x0F;
	if (kind != MAPIX_WRAPPED_ONEOFF && (kind < MAPIX_WRAPPED_CONTACT || kind > MAPIX_WRAPPED_GAL_DISTLIST))
		return mapix_error(MAPI_E_INVALID_ENTRYID, "wrapped entry ID: unknown type 0x%02X", t);
	if (type)
		*type = t;
	if (cbInner)
		*cbInner = cb - 21;
	if (inner)
		*inner = lpb + 21;
	return S_OK;
}

/* ---- address book and contact address book ------------------------------------------- */

MAPIX_API HRESULT mapix_ab_eid_build(ULONG type, LPCSTR dn, LPVOID parent, SBinary *out)
{
	if (!dn || !out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_ab_eid_build: NULL argument");
	BYTE mid[8];
	put_u32(mid, 1); /* version */
	put_u32(mid + 4, type);
	return build_prefixed(MAPIX_AB_UID, mid, 8, (ULONG)strlen(dn) + 1, (const BYTE *)dn, parent, out);
}

MAPIX_API HRESULT mapix_ab_eid_parse(ULONG cb, const BYTE *lpb, ULONG *type, LPVOID parent, LPSTR *dn)
{
	if (!lpb || cb < 29 || memcmp(lpb + 4, MAPIX_AB_UID, 16) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not an address book entry ID");
	if (mapix_ab_get_u32(lpb + 20) != 1)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "address book entry ID: version %u",
		                   (unsigned)mapix_ab_get_u32(lpb + 20));
	const BYTE *nul = memchr(lpb + 28, 0, cb - 28);
	if (!nul)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "address book entry ID: unterminated DN");
	if (type)
		*type = mapix_ab_get_u32(lpb + 24);
	return dn ? mapix_ab_strdup((const char *)lpb + 28, (size_t)(nul - (lpb + 28)), parent, dn) : S_OK;
}

MAPIX_API HRESULT mapix_contab_eid_build(ULONG type, ULONG index, ULONG cbInner, const BYTE *inner, LPVOID parent,
                                         SBinary *out)
{
	if (!out || !inner || !cbInner)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_contab_eid_build: NULL argument");
	if ((type == MAPIX_CONTAB_USER && index > 5) || (type == MAPIX_CONTAB_DISTLIST && index != 0xFF) ||
	    (type != MAPIX_CONTAB_USER && type != MAPIX_CONTAB_DISTLIST))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_contab_eid_build: type %u index %u", (unsigned)type,
		                   (unsigned)index);
	BYTE mid[16];
	put_u32(mid, 3); /* version */
	put_u32(mid + 4, type);
	put_u32(mid + 8, index);
	put_u32(mid + 12, cbInner);
	return build_prefixed(MAPIX_CONTAB_UID, mid, 16, cbInner, inner, parent, out);
}

MAPIX_API HRESULT mapix_contab_eid_parse(ULONG cb, const BYTE *lpb, ULONG *type, ULONG *index, ULONG *cbInner,
                                         const BYTE **inner)
{
	if (!lpb || cb < 36 || memcmp(lpb + 4, MAPIX_CONTAB_UID, 16) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a contact address book entry ID");
	ULONG t = mapix_ab_get_u32(lpb + 24), i = mapix_ab_get_u32(lpb + 28), n = mapix_ab_get_u32(lpb + 32);
	if (mapix_ab_get_u32(lpb + 20) != 3 || (t != MAPIX_CONTAB_USER && t != MAPIX_CONTAB_DISTLIST) ||
	    (t == MAPIX_CONTAB_USER && i > 5) || (t == MAPIX_CONTAB_DISTLIST && i != 0xFF) || n == 0 || n > cb - 36)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "contact address book entry ID: bad header");
	if (type)
		*type = t;
	if (index)
		*index = i;
	if (cbInner)
		*cbInner = n;
	if (inner)
		*inner = lpb + 36;
	return S_OK;
}

/* ---- checksum ------------------------------------------------------------------------- */

/* The reflected IEEE 802.3 table, made once (idempotent: racing threads
 * write the same values). */
static ULONG crc_table[256];
static int crc_ready;

static void crc_init(void)
{
	if (__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		return;
	for (ULONG n = 0; n < 256; n++) {
		ULONG c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

MAPIX_API ULONG mapix_dl_checksum(ULONG cValues, const SBinary *bin)
{
	crc_init();
	ULONG crc = 0; /* MS-OXOCNTC 3.1.5.11: seed 0, no final inversion */
	for (ULONG i = 0; bin && i < cValues; i++)
		for (ULONG k = 0; k < bin[i].cb; k++)
			crc = crc_table[(crc ^ bin[i].lpb[k]) & 0xFF] ^ (crc >> 8);
	return crc;
}
