/*
 * mime-import-stream.c — the two places where import writes bytes of
 * unbounded size into a property, piece by piece through
 * OpenProperty(IID_IStream, MAPI_CREATE|MAPI_MODIFY), so that the memory an
 * import needs does not grow with the message:
 *
 *   the original message (MAPIX_MIME_KEEP_SOURCE): the input stream, read
 *   again from its start, copied into PR_INTERNET_CONTENT (with one
 *   SetProps when it is smaller than MAPIX_MIME_STREAM_THRESHOLD);
 *
 *   a large attachment: its content decoded (base64, quoted-printable) by
 *   GMime straight into PR_ATTACH_DATA_BIN, instead of into a buffer that
 *   held the whole decoded attachment first.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

#define PIECE 65536

/* What the decoding writer hands to the store stream. */
typedef struct prop_sink {
	LPSTREAM stream;
	HRESULT hr;
} prop_sink;

static HRESULT write_piece(LPSTREAM stream, const BYTE *data, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ULONG w = 0;
		HRESULT hr = IStream_Write(stream, data + done, (ULONG)(len - done), &w);
		if (hr != S_OK)
			return hr;
		if (w == 0)
			return mapix_error(MAPI_E_DISK_ERROR, "mapix_mime: stream write made no progress");
		done += w;
	}
	return S_OK;
}

static int sink_write(void *ctx, const void *data, size_t len)
{
	prop_sink *sink = ctx;
	if (sink->hr == S_OK)
		sink->hr = write_piece(sink->stream, data, len);
	return sink->hr == S_OK ? 0 : -1;
}

HRESULT mapix_mime_keep_source(GMimeStream *source, LPMESSAGE msg)
{
	LPSTREAM out = NULL;
	HRESULT hr;
	char *buf;

	if (g_mime_stream_reset(source) < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapix_mime: the input cannot be read again to keep it");
	gint64 len = g_mime_stream_length(source);
	if (len >= 0 && len < (gint64)MAPIX_MIME_STREAM_THRESHOLD) {
		/* Most mail is small: one SetProps costs the store far less than
		 * a stream (which stages its value in a temporary file). */
		char *small = g_try_malloc((gsize)len + 1);
		size_t got = 0;
		ssize_t n;
		if (!small)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
		while (got < (size_t)len && (n = g_mime_stream_read(source, small + got, (size_t)len - got)) > 0)
			got += (size_t)n;
		hr = got == (size_t)len
		         ? mapix_mime_set_binary((LPMAPIPROP)msg, PR_INTERNET_CONTENT, small, got)
		         : mapix_error(MAPI_E_DISK_ERROR, "mapix_mime: reading the input again to keep it failed");
		g_free(small);
		return hr;
	}
	if ((hr = mapix_mime_open_write_stream((LPMAPIPROP)msg, PR_INTERNET_CONTENT, &out)) != S_OK)
		return hr;
	if (!(buf = g_try_malloc(PIECE))) {
		IStream_Release(out);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
	}
	for (;;) {
		ssize_t n = g_mime_stream_read(source, buf, PIECE);
		if (n < 0) {
			hr = mapix_error(MAPI_E_DISK_ERROR, "mapix_mime: reading the input again to keep it failed");
			break;
		}
		if (n == 0)
			break;
		if ((hr = write_piece(out, (const BYTE *)buf, (size_t)n)) != S_OK)
			break;
	}
	if (hr == S_OK)
		hr = IStream_Commit(out, STGC_DEFAULT);
	g_free(buf);
	IStream_Release(out);
	return hr;
}

HRESULT mapix_mime_decode_to_prop(LPMAPIPROP obj, ULONG tag, GMimeDataWrapper *dw, mapix_mime_warnings *w)
{
	prop_sink sink = {NULL, S_OK};
	HRESULT hr = mapix_mime_open_write_stream(obj, tag, &sink.stream);
	if (hr != S_OK)
		return hr;
	GMimeStream *writer = mapix_mime_write_stream_new(sink_write, &sink);
	gint64 n = g_mime_data_wrapper_write_to_stream(dw, writer);
	if (n >= 0 && g_mime_stream_flush(writer) < 0)
		n = -1;
	g_object_unref(writer);
	if (sink.hr != S_OK)
		hr = sink.hr;
	else if (n < 0)
		/* The input could not be read: as with a part decoded into
		 * memory, what was decoded is kept and the problem reported. */
		mapix_mime_warn(w, "could not decode the content of a part");
	if (hr == S_OK)
		hr = IStream_Commit(sink.stream, STGC_DEFAULT);
	IStream_Release(sink.stream);
	return hr;
}
