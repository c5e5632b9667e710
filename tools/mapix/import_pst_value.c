/*
 * import_pst_value.c — a PST property's raw bytes to an SPropValue.
 *
 * libpff hands out each property as its type and the bytes the file
 * stores (MS-PST 2.3.3: little-endian numbers, UTF-16LE for PT_UNICODE,
 * code-page text for PT_STRING8; variable-size multi-values as a count,
 * that many 32-bit offsets, then the items). Decoding them here, instead of
 * through libpff's typed getters, keeps one bounds-checked decoder for
 * every type, reachable from the unit tests and the fuzz target without a
 * file. mapix keeps PT_STRING8 in UTF-8, so 8-bit text is converted from
 * the message's code page here.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "import_pst.h"

static uint16_t rd16(const BYTE *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const BYTE *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const BYTE *p)
{
	return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

/* ---- code pages ------------------------------------------------------------------- */

/* The Windows code pages mail and PST files use, by iconv name. Anything
 * else in the 1250-1258 and 874 range is "CP<n>"; the rest is unknown. */
static const struct {
	int cp;
	const char *name;
} codepages[] = {
    {65001, "UTF-8"},       {20127, "ASCII"},       {28591, "ISO-8859-1"}, {28592, "ISO-8859-2"},
    {28593, "ISO-8859-3"},  {28594, "ISO-8859-4"},  {28595, "ISO-8859-5"}, {28596, "ISO-8859-6"},
    {28597, "ISO-8859-7"},  {28598, "ISO-8859-8"},  {28599, "ISO-8859-9"}, {28603, "ISO-8859-13"},
    {28605, "ISO-8859-15"}, {20866, "KOI8-R"},      {21866, "KOI8-U"},     {932, "CP932"},
    {936, "CP936"},         {949, "CP949"},         {950, "CP950"},        {54936, "GB18030"},
    {50220, "ISO-2022-JP"}, {50221, "ISO-2022-JP"}, {50222, "ISO-2022-JP"}, {51932, "EUC-JP"},
    {51949, "EUC-KR"},      {52936, "HZ"},          {20936, "GB2312"},     {437, "CP437"},
    {850, "CP850"},         {866, "CP866"},         {10000, "MACINTOSH"},
};

const char *pst_codepage_name(int codepage)
{
	static const char *const win[] = {"CP1250", "CP1251", "CP1252", "CP1253", "CP1254",
	                                  "CP1255", "CP1256", "CP1257", "CP1258"};
	if (codepage >= 1250 && codepage <= 1258)
		return win[codepage - 1250];
	if (codepage == 874)
		return "CP874";
	for (size_t i = 0; i < sizeof codepages / sizeof codepages[0]; i++)
		if (codepages[i].cp == codepage)
			return codepages[i].name;
	return NULL;
}

HRESULT pst_text_conv_open(pst_text_conv *c, int codepage)
{
	memset(c, 0, sizeof *c);
	const char *name = pst_codepage_name(codepage);
	if (!name)
		name = pst_codepage_name(PST_DEFAULT_CODEPAGE);
	if (strcmp(name, "UTF-8") == 0)
		return S_OK;
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-8", "CP1252");
	if (cd == (iconv_t)-1)
		return MAPI_E_NO_SUPPORT;
	c->cd = cd;
	return S_OK;
}

void pst_text_conv_close(pst_text_conv *c)
{
	if (c->cd)
		iconv_close((iconv_t)c->cd);
	c->cd = NULL;
}

/* Appends n bytes to a malloc'd buffer, growing it. */
static BOOL grow_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 256);
		while (ncap < *len + n + 1)
			ncap *= 2;
		char *nb = realloc(*buf, ncap);
		if (!nb)
			return FALSE;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return TRUE;
}

HRESULT pst_text_conv_run(pst_text_conv *c, const BYTE *in, size_t n, BOOL final, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	*out = NULL;
	*outlen = 0;
	if (!c->cd) {
		/* UTF-8 already: the store checks it (invalid bytes become U+FFFD
		 * when it converts to UTF-16), so it passes unchanged. */
		if (!grow_add(&buf, &len, &cap, (const char *)in, n))
			return MAPI_E_NOT_ENOUGH_MEMORY;
		*out = buf;
		*outlen = len;
		return S_OK;
	}
	/* The carried-over bytes and the new ones, as one input. */
	BYTE *src = malloc(c->ncarry + n + 1);
	if (!src)
		return MAPI_E_NOT_ENOUGH_MEMORY;
	memcpy(src, c->carry, c->ncarry);
	if (n)
		memcpy(src + c->ncarry, in, n);
	char *ip = (char *)src;
	size_t left = c->ncarry + n;
	c->ncarry = 0;
	char tmp[4096];
	while (left > 0) {
		char *op = tmp;
		size_t room = sizeof tmp;
		size_t r = iconv((iconv_t)c->cd, &ip, &left, &op, &room);
		if (!grow_add(&buf, &len, &cap, tmp, sizeof tmp - room))
			goto oom;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EINVAL && !final && left < sizeof c->carry) {
			/* A sequence cut by the piece boundary: wait for the rest. */
			memcpy(c->carry, ip, left);
			c->ncarry = left;
			break;
		}
		/* Not text in this code page: one replacement character, skip a byte. */
		if (!grow_add(&buf, &len, &cap, "\xEF\xBF\xBD", 3))
			goto oom;
		ip++;
		left--;
	}
	if (final) {
		char *op = tmp;
		size_t room = sizeof tmp;
		iconv((iconv_t)c->cd, NULL, NULL, &op, &room); /* shift state (ISO-2022-JP) */
		if (!grow_add(&buf, &len, &cap, tmp, sizeof tmp - room))
			goto oom;
	}
	free(src);
	if (!buf && !grow_add(&buf, &len, &cap, "", 0))
		return MAPI_E_NOT_ENOUGH_MEMORY;
	*out = buf;
	*outlen = len;
	return S_OK;
oom:
	free(src);
	free(buf);
	return MAPI_E_NOT_ENOUGH_MEMORY;
}

/* ---- strings ------------------------------------------------------------------------ */

/* Code-page bytes to a NUL-terminated UTF-8 string on parent; trailing NULs
 * (PST writers often store the terminator) are dropped. */
static HRESULT string8(const BYTE *data, size_t size, int codepage, LPVOID parent, LPSTR *lpsz)
{
	while (size > 0 && data[size - 1] == 0)
		size--;
	pst_text_conv c;
	char *u8 = NULL;
	size_t n = 0;
	HRESULT hr = pst_text_conv_open(&c, codepage);
	if (FAILED(hr))
		return hr;
	hr = pst_text_conv_run(&c, data, size, TRUE, &u8, &n);
	pst_text_conv_close(&c);
	if (FAILED(hr))
		return hr;
	/* A NUL inside the text would cut it short later anyway; keep what comes before. */
	n = strnlen(u8, n);
	hr = MAPIAllocateMore((ULONG)n + 1, parent, (LPVOID *)lpsz);
	if (SUCCEEDED(hr)) {
		memcpy(*lpsz, u8, n);
		(*lpsz)[n] = '\0';
	}
	free(u8);
	return hr;
}

/* UTF-16LE bytes to a NUL-terminated WCHAR string on parent. An odd last
 * byte and trailing NULs are dropped. */
static HRESULT unicode(const BYTE *data, size_t size, LPVOID parent, LPWSTR *lpsz)
{
	size_t n = size / 2;
	while (n > 0 && rd16(data + 2 * (n - 1)) == 0)
		n--;
	HRESULT hr = MAPIAllocateMore((ULONG)((n + 1) * sizeof(WCHAR)), parent, (LPVOID *)lpsz);
	if (FAILED(hr))
		return hr;
	for (size_t i = 0; i < n; i++)
		(*lpsz)[i] = rd16(data + 2 * i);
	(*lpsz)[n] = 0;
	return S_OK;
}

static HRESULT binary(const BYTE *data, size_t size, LPVOID parent, SBinary *bin)
{
	bin->cb = (ULONG)size;
	bin->lpb = NULL;
	if (size == 0)
		return S_OK;
	HRESULT hr = MAPIAllocateMore((ULONG)size, parent, (LPVOID *)&bin->lpb);
	if (SUCCEEDED(hr))
		memcpy(bin->lpb, data, size);
	return hr;
}

static void guid_from(const BYTE *p, GUID *g)
{
	g->Data1 = rd32(p);
	g->Data2 = rd16(p + 4);
	g->Data3 = rd16(p + 6);
	memcpy(g->Data4, p + 8, 8);
}

static FILETIME filetime_from(const BYTE *p)
{
	FILETIME ft = {.dwLowDateTime = rd32(p), .dwHighDateTime = rd32(p + 4)};
	return ft;
}

static double double_from(const BYTE *p)
{
	uint64_t u = rd64(p);
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* ---- multi-values ---------------------------------------------------------------- */

/* The items of a variable-size multi-value (MS-PST 2.3.3.4.2): a 32-bit
 * count, count 32-bit offsets from the start, then the items, each
 * running to the next offset (the last to the end). Offsets must not go
 * backwards or past the end. */
static HRESULT mv_items(const BYTE *data, size_t size, ULONG *count)
{
	if (size < 4)
		return size == 0 ? (*count = 0, S_OK) : MAPI_E_CORRUPT_DATA;
	uint32_t n = rd32(data);
	if (n > (size - 4) / 4)
		return MAPI_E_CORRUPT_DATA;
	size_t prev = 4 + (size_t)n * 4;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t off = rd32(data + 4 + 4 * (size_t)i);
		if (off < prev || off > size)
			return MAPI_E_CORRUPT_DATA;
		prev = off;
	}
	*count = n;
	return S_OK;
}

static void mv_item(const BYTE *data, size_t size, ULONG i, ULONG count, const BYTE **p, size_t *n)
{
	uint32_t off = rd32(data + 4 + 4 * (size_t)i);
	uint32_t end = (i + 1 < count) ? rd32(data + 4 + 4 * (size_t)(i + 1)) : (uint32_t)size;
	*p = data + off;
	*n = end - off;
}

static HRESULT mv_variable(ULONG type, const BYTE *data, size_t size, int codepage, LPVOID parent, SPropValue *out)
{
	ULONG count = 0;
	HRESULT hr = mv_items(data, size, &count);
	if (FAILED(hr))
		return hr;
	if (count == 0)
		return MAPI_E_CORRUPT_DATA; /* MAPI has no empty multi-value */
	switch (type) {
	case PT_MV_BINARY:
		out->Value.MVbin.cValues = count;
		if (FAILED(hr = MAPIAllocateMore(count * (ULONG)sizeof(SBinary), parent, (LPVOID *)&out->Value.MVbin.lpbin)))
			return hr;
		break;
	case PT_MV_STRING8:
		out->Value.MVszA.cValues = count;
		if (FAILED(hr = MAPIAllocateMore(count * (ULONG)sizeof(LPSTR), parent, (LPVOID *)&out->Value.MVszA.lppszA)))
			return hr;
		break;
	default:
		out->Value.MVszW.cValues = count;
		if (FAILED(hr = MAPIAllocateMore(count * (ULONG)sizeof(LPWSTR), parent, (LPVOID *)&out->Value.MVszW.lppszW)))
			return hr;
		break;
	}
	for (ULONG i = 0; i < count && SUCCEEDED(hr); i++) {
		const BYTE *p;
		size_t n;
		mv_item(data, size, i, count, &p, &n);
		if (type == PT_MV_BINARY)
			hr = binary(p, n, parent, &out->Value.MVbin.lpbin[i]);
		else if (type == PT_MV_STRING8)
			hr = string8(p, n, codepage, parent, &out->Value.MVszA.lppszA[i]);
		else
			hr = unicode(p, n, parent, &out->Value.MVszW.lppszW[i]);
	}
	return hr;
}

/* Fixed-size multi-values: the values packed one after the other. */
static HRESULT mv_fixed(ULONG type, const BYTE *data, size_t size, LPVOID parent, SPropValue *out)
{
	size_t width;
	switch (type) {
	case PT_MV_I2: width = 2; break;
	case PT_MV_LONG:
	case PT_MV_R4: width = 4; break;
	case PT_MV_CLSID: width = 16; break;
	default: width = 8; break;
	}
	if (size == 0 || size % width)
		return MAPI_E_CORRUPT_DATA;
	ULONG n = (ULONG)(size / width);
	void *arr = NULL;
	HRESULT hr = MAPIAllocateMore((ULONG)(n * (type == PT_MV_CLSID ? sizeof(GUID) : width)), parent, &arr);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < n; i++) {
		const BYTE *p = data + i * width;
		switch (type) {
		case PT_MV_I2: ((short *)arr)[i] = (short)rd16(p); break;
		case PT_MV_LONG: ((LONG *)arr)[i] = (LONG)rd32(p); break;
		case PT_MV_R4: {
			uint32_t u = rd32(p);
			memcpy(&((float *)arr)[i], &u, 4);
			break;
		}
		case PT_MV_DOUBLE:
		case PT_MV_APPTIME: ((double *)arr)[i] = double_from(p); break;
		case PT_MV_CURRENCY: ((CURRENCY *)arr)[i].int64 = (LONGLONG)rd64(p); break;
		case PT_MV_I8: ((LARGE_INTEGER *)arr)[i].QuadPart = (LONGLONG)rd64(p); break;
		case PT_MV_SYSTIME: ((FILETIME *)arr)[i] = filetime_from(p); break;
		case PT_MV_CLSID: guid_from(p, &((GUID *)arr)[i]); break;
		}
	}
	/* Every MV array is { ULONG cValues; T *values; }, so one slot serves all. */
	out->Value.MVl.cValues = n;
	out->Value.MVl.lpl = arr;
	return S_OK;
}

/* ---- the converter --------------------------------------------------------------- */

HRESULT pst_value_from_raw(ULONG tag, const BYTE *data, size_t size, int codepage, LPVOID parent, SPropValue *out)
{
	ULONG type = PROP_TYPE(tag);
	static const BYTE none[1];
	if (!data)
		data = none, size = 0;
	memset(out, 0, sizeof *out);
	out->ulPropTag = tag;
	switch (type) {
	case PT_I2:
		if (size < 2)
			return MAPI_E_CORRUPT_DATA;
		out->Value.i = (short)rd16(data);
		return S_OK;
	case PT_LONG:
		if (size < 4)
			return MAPI_E_CORRUPT_DATA;
		out->Value.l = (LONG)rd32(data);
		return S_OK;
	case PT_R4:
		if (size < 4)
			return MAPI_E_CORRUPT_DATA;
		{
			uint32_t u = rd32(data);
			memcpy(&out->Value.flt, &u, 4);
		}
		return S_OK;
	case PT_BOOLEAN:
		/* One byte in a property context, more in some tables: any non-zero byte is TRUE. */
		if (size < 1)
			return MAPI_E_CORRUPT_DATA;
		out->Value.b = data[0] ? 1 : 0;
		return S_OK;
	case PT_DOUBLE:
	case PT_APPTIME:
		if (size < 8)
			return MAPI_E_CORRUPT_DATA;
		out->Value.dbl = double_from(data);
		return S_OK;
	case PT_CURRENCY:
		if (size < 8)
			return MAPI_E_CORRUPT_DATA;
		out->Value.cur.int64 = (LONGLONG)rd64(data);
		return S_OK;
	case PT_I8:
		if (size < 8)
			return MAPI_E_CORRUPT_DATA;
		out->Value.li.QuadPart = (LONGLONG)rd64(data);
		return S_OK;
	case PT_SYSTIME:
		if (size < 8)
			return MAPI_E_CORRUPT_DATA;
		out->Value.ft = filetime_from(data);
		return S_OK;
	case PT_CLSID: {
		if (size < 16)
			return MAPI_E_CORRUPT_DATA;
		HRESULT hr = MAPIAllocateMore(sizeof(GUID), parent, (LPVOID *)&out->Value.lpguid);
		if (SUCCEEDED(hr))
			guid_from(data, out->Value.lpguid);
		return hr;
	}
	case PT_STRING8: return string8(data, size, codepage, parent, &out->Value.lpszA);
	case PT_UNICODE: return unicode(data, size, parent, &out->Value.lpszW);
	case PT_BINARY: return binary(data, size, parent, &out->Value.bin);
	case PT_MV_BINARY:
	case PT_MV_STRING8:
	case PT_MV_UNICODE: return mv_variable(type, data, size, codepage, parent, out);
	case PT_MV_I2:
	case PT_MV_LONG:
	case PT_MV_R4:
	case PT_MV_DOUBLE:
	case PT_MV_APPTIME:
	case PT_MV_CURRENCY:
	case PT_MV_I8:
	case PT_MV_SYSTIME:
	case PT_MV_CLSID: return mv_fixed(type, data, size, parent, out);
	default:
		/* PT_OBJECT (attachments and embedded messages go their own way),
		 * PT_ERROR, PT_NULL, PT_UNSPECIFIED, server entry IDs and
		 * restrictions/rule actions: nothing a new message can take. */
		return MAPI_E_NO_SUPPORT;
	}
}
