/*
 * mime-props.c — reading and writing properties for the converter through
 * the public IMAPIProp methods only, so it works on any provider's
 * messages. Large values go through OpenProperty(IID_IStream) both ways:
 * stores may refuse or truncate big values in SetProps/GetProps
 * (MAPI_E_NOT_ENOUGH_MEMORY in the value), but every store streams them.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

HRESULT mapix_mime_set_props(LPMAPIPROP obj, ULONG n, LPSPropValue vals)
{
	LPSPropProblemArray probs = NULL;
	HRESULT hr = IMAPIProp_SetProps(obj, n, vals, &probs);

	if (SUCCEEDED(hr) && probs && probs->cProblem > 0)
		hr = mapix_error(probs->aProblem[0].scode, "mapix_mime: SetProps refused property 0x%08X",
		                 (unsigned)probs->aProblem[0].ulPropTag);
	if (probs)
		MAPIFreeBuffer(probs);
	return hr;
}

HRESULT mapix_mime_open_write_stream(LPMAPIPROP obj, ULONG tag, LPSTREAM *out)
{
	return IMAPIProp_OpenProperty(obj, tag, &IID_IStream, STGM_READWRITE, MAPI_CREATE | MAPI_MODIFY,
	                              (LPUNKNOWN *)out);
}

static HRESULT write_stream(LPMAPIPROP obj, ULONG tag, const void *data, size_t len)
{
	LPSTREAM s = NULL;
	HRESULT hr = mapix_mime_open_write_stream(obj, tag, &s);
	size_t done = 0;

	if (hr != S_OK)
		return hr;
	while (hr == S_OK && done < len) {
		ULONG chunk = len - done > 1048576 ? 1048576 : (ULONG)(len - done), w = 0;
		hr = IStream_Write(s, (const BYTE *)data + done, chunk, &w);
		if (hr == S_OK && w == 0)
			hr = mapix_error(MAPI_E_DISK_ERROR, "mapix_mime: stream write made no progress");
		done += w;
	}
	if (hr == S_OK)
		hr = IStream_Commit(s, STGC_DEFAULT);
	IStream_Release(s);
	return hr;
}

HRESULT mapix_mime_set_binary(LPMAPIPROP obj, ULONG tag, const void *data, size_t len)
{
	if (len > MAPIX_MIME_STREAM_THRESHOLD) {
		HRESULT hr = write_stream(obj, tag, data, len);
		if (hr != MAPI_E_NO_SUPPORT && hr != MAPI_E_INTERFACE_NOT_SUPPORTED)
			return hr;
	}
	if (len > 0x7FFFFFFF)
		return mapix_error(MAPI_E_TOO_BIG, "mapix_mime: value of %zu bytes too large", len);
	SPropValue v = {.ulPropTag = tag};
	v.Value.bin.cb = (ULONG)len;
	v.Value.bin.lpb = (LPBYTE)(len ? data : (const void *)"");
	return mapix_mime_set_props(obj, 1, &v);
}

HRESULT mapix_mime_set_utf8(LPMAPIPROP obj, ULONG tag, const char *utf8, size_t len)
{
	size_t need = mapix_utf8_to_utf16_buf(utf8, len, NULL, 0);
	WCHAR *w;
	HRESULT hr;

	if (need > 0x3FFFFFF0)
		return mapix_error(MAPI_E_TOO_BIG, "mapix_mime: string of %zu bytes too large", len);
	w = g_try_malloc((need + 1) * sizeof(WCHAR));
	if (!w)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
	mapix_utf8_to_utf16_buf(utf8, len, w, need + 1);
	if (need * sizeof(WCHAR) > MAPIX_MIME_STREAM_THRESHOLD) {
		hr = write_stream(obj, tag, w, need * sizeof(WCHAR));
		if (hr != MAPI_E_NO_SUPPORT && hr != MAPI_E_INTERFACE_NOT_SUPPORTED) {
			g_free(w);
			return hr;
		}
	}
	SPropValue v = {.ulPropTag = tag};
	v.Value.lpszW = w;
	hr = mapix_mime_set_props(obj, 1, &v);
	g_free(w);
	return hr;
}

HRESULT mapix_mime_set_long(LPMAPIPROP obj, ULONG tag, LONG value)
{
	SPropValue v = {.ulPropTag = tag};
	v.Value.l = value;
	return mapix_mime_set_props(obj, 1, &v);
}

HRESULT mapix_mime_set_bool(LPMAPIPROP obj, ULONG tag, BOOL value)
{
	SPropValue v = {.ulPropTag = tag};
	v.Value.b = (unsigned short)(value ? 1 : 0);
	return mapix_mime_set_props(obj, 1, &v);
}

HRESULT mapix_mime_set_time(LPMAPIPROP obj, ULONG tag, int64_t unix_seconds)
{
	SPropValue v = {.ulPropTag = tag};
	v.Value.ft = mapix_filetime_from_unix(unix_seconds, 0);
	return mapix_mime_set_props(obj, 1, &v);
}

HRESULT mapix_mime_get_props(LPMAPIPROP obj, const ULONG *tags, ULONG n, LPSPropValue *vals)
{
	LPSPropTagArray arr = NULL;
	ULONG got = 0;
	HRESULT hr;

	*vals = NULL;
	if (MAPIAllocateBuffer(CbNewSPropTagArray(n), (LPVOID *)&arr) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
	arr->cValues = n;
	memcpy(arr->aulPropTag, tags, n * sizeof(ULONG));
	hr = IMAPIProp_GetProps(obj, arr, MAPI_UNICODE, &got, vals);
	MAPIFreeBuffer(arr);
	if (FAILED(hr))
		return hr;
	if (got != n || !*vals) {
		if (*vals)
			MAPIFreeBuffer(*vals);
		*vals = NULL;
		return mapix_error(MAPI_E_CALL_FAILED, "mapix_mime: GetProps returned %u values for %u tags",
		                   (unsigned)got, (unsigned)n);
	}
	return S_OK;
}

LPSPropValue mapix_mime_find(LPSPropValue vals, ULONG n, ULONG tag)
{
	for (ULONG i = 0; vals && i < n; i++)
		if (vals[i].ulPropTag == tag)
			return &vals[i];
	return NULL;
}

char *mapix_mime_utf16_dup(const WCHAR *s)
{
	if (!s)
		return NULL;
	size_t wl = mapix_wcslen(s);
	size_t need = mapix_utf16_to_utf8_buf(s, wl, NULL, 0);
	char *out = g_malloc(need + 1);
	mapix_utf16_to_utf8_buf(s, wl, out, need + 1);
	return out;
}

/* Reads tag whole: GetProps first, a stream when the value is too big for it. */
static HRESULT read_raw(LPMAPIPROP obj, ULONG tag, GByteArray **out)
{
	LPSPropValue v = NULL;
	HRESULT hr = mapix_mime_get_props(obj, &tag, 1, &v);

	*out = NULL;
	if (hr != S_OK && hr != MAPI_W_ERRORS_RETURNED)
		return hr;
	if (v->ulPropTag == tag) {
		GByteArray *b = g_byte_array_new();
		if (PROP_TYPE(tag) == PT_UNICODE)
			g_byte_array_append(b, (const guint8 *)v->Value.lpszW, (guint)(mapix_wcslen(v->Value.lpszW) * 2));
		else if (PROP_TYPE(tag) == PT_STRING8)
			g_byte_array_append(b, (const guint8 *)v->Value.lpszA, (guint)strlen(v->Value.lpszA));
		else
			g_byte_array_append(b, v->Value.bin.lpb, v->Value.bin.cb);
		MAPIFreeBuffer(v);
		*out = b;
		return S_OK;
	}
	SCODE err = PROP_TYPE(v->ulPropTag) == PT_ERROR ? v->Value.err : MAPI_E_NOT_FOUND;
	MAPIFreeBuffer(v);
	if (err != MAPI_E_NOT_ENOUGH_MEMORY)
		return MAPI_E_NOT_FOUND;
	LPSTREAM s = NULL;
	hr = IMAPIProp_OpenProperty(obj, tag, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&s);
	if (hr != S_OK)
		return hr;
	hr = mapix_mime_stream_read_all(s, out);
	IStream_Release(s);
	return hr;
}

HRESULT mapix_mime_read_binary(LPMAPIPROP obj, ULONG tag, GByteArray **out)
{
	return read_raw(obj, tag, out);
}

HRESULT mapix_mime_read_utf8(LPMAPIPROP obj, ULONG tag, GByteArray **out)
{
	GByteArray *raw = NULL;
	HRESULT hr = read_raw(obj, tag, &raw);

	if (hr != S_OK)
		return hr;
	size_t wl = raw->len / 2;
	size_t need = mapix_utf16_to_utf8_buf((const WCHAR *)(void *)raw->data, wl, NULL, 0);
	GByteArray *u = g_byte_array_sized_new((guint)need + 1);
	g_byte_array_set_size(u, (guint)need + 1);
	mapix_utf16_to_utf8_buf((const WCHAR *)(void *)raw->data, wl, (char *)u->data, need + 1);
	g_byte_array_set_size(u, (guint)need);
	u->data[need] = 0; /* set_size keeps the allocation, so the NUL stays addressable */
	g_byte_array_unref(raw);
	*out = u;
	return S_OK;
}
