/*
 * mime-export-source.c — export of a message that keeps its original
 * Internet form (PR_INTERNET_CONTENT, stored by MAPIX_MIME_KEEP_SOURCE):
 * the stored bytes are the export, read through OpenProperty(IID_IStream)
 * and written in 64 KiB pieces, with nothing rebuilt from properties. This
 * is what makes export as cheap as copying a file, and what keeps
 * signatures, unusual structure and headers exactly as they came.
 *
 * The one change allowed is the line ending, which mapixmime.h defines:
 * the form of the first line end decides what the value uses. With
 * MAPIX_MIME_CRLF a value in LF form gets every bare LF written as CRLF;
 * without it a value in CRLF form gets every CRLF written as LF. A lone CR
 * (or, going to CRLF, an LF that already has its CR) is copied as it is.
 * Both conversions are undone by the other, so a message keeps its bytes
 * whichever way it travels, as long as it was consistent to begin with.
 *
 * mapix_message_to_mime reaches it through mapix_mime_export_source; the
 * same writer is public as mapix_mime_write_source (a buffer) and
 * mapix_mime_write_source_stream (any IStream) for callers that read the
 * value themselves, and mapix_mime_source_allowed is the one rule for when
 * the kept bytes may be written at all.
 */
#include <errno.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

#define PIECE 65536

enum newline_mode { NL_COPY, NL_TO_CRLF, NL_TO_LF };

typedef struct source_writer {
	GMimeStream *out;
	enum newline_mode mode;
	BOOL decided;  /* the first line end was seen */
	BOOL want_crlf;
	BOOL cr_held;  /* a CR at the end of the last piece, not yet written */
	BOOL prev_cr;  /* TO_CRLF: the byte before this piece was CR */
	char *conv;    /* converted piece (twice PIECE at most), allocated when needed */
	BOOL conv_failed;
} source_writer;

MAPIX_API BOOL mapix_mime_source_allowed(ULONG ulFlags)
{
	return !(ulFlags & (MAPIX_MIME_REGENERATE | MAPIX_MIME_NO_BCC | MAPIX_MIME_NO_PASSTHROUGH |
	                    MAPIX_MIME_NEW_MESSAGE_ID));
}

static int put(source_writer *w, const char *p, size_t n)
{
	return n == 0 || g_mime_stream_write(w->out, p, n) == (ssize_t)n ? 0 : -1;
}

/* Decides the mode from the first line end in p[0..n) (prev: the byte
 * before p, or 0). */
static void decide(source_writer *w, const char *p, size_t n, char prev)
{
	const char *nl = memchr(p, '\n', n);
	if (!nl)
		return;
	BOOL crlf = nl > p ? nl[-1] == '\r' : prev == '\r';
	w->decided = TRUE;
	if (w->want_crlf && !crlf)
		w->mode = NL_TO_CRLF;
	else if (!w->want_crlf && crlf)
		w->mode = NL_TO_LF;
	else
		w->mode = NL_COPY;
}

static int write_piece(source_writer *w, const char *p, size_t n)
{
	if (!w->decided) {
		decide(w, p, n, w->cr_held ? '\r' : 0);
		if (!w->decided) {
			/* No line end yet: as it is, except that a CR ending the
			 * piece waits, since an LF may follow in the next. */
			if (w->cr_held && put(w, "\r", 1) != 0)
				return -1;
			size_t k = n && p[n - 1] == '\r' ? n - 1 : n;
			w->cr_held = k < n;
			return put(w, p, k);
		}
		if (w->mode != NL_TO_LF && w->cr_held) {
			w->cr_held = FALSE;
			w->prev_cr = TRUE;
			if (put(w, "\r", 1) != 0)
				return -1;
		}
	}
	if (w->mode == NL_COPY)
		return put(w, p, n);
	if (!w->conv && !(w->conv = g_try_malloc(2 * PIECE))) {
		w->conv_failed = TRUE;
		return -1;
	}
	size_t o = 0;
	if (w->mode == NL_TO_CRLF) {
		for (size_t i = 0; i < n; i++) {
			char before = i ? p[i - 1] : (w->prev_cr ? '\r' : 0);
			if (p[i] == '\n' && before != '\r')
				w->conv[o++] = '\r';
			w->conv[o++] = p[i];
		}
		w->prev_cr = n && p[n - 1] == '\r';
		return put(w, w->conv, o);
	}
	/* NL_TO_LF: CR LF becomes LF; a CR ending the piece waits for the next. */
	for (size_t i = 0; i < n; i++) {
		if (w->cr_held) {
			w->cr_held = FALSE;
			if (p[i] != '\n')
				w->conv[o++] = '\r';
		}
		if (p[i] == '\r') {
			if (i + 1 < n) {
				if (p[i + 1] != '\n')
					w->conv[o++] = '\r';
			} else {
				w->cr_held = TRUE;
			}
			continue;
		}
		w->conv[o++] = p[i];
	}
	return put(w, w->conv, o);
}

/* Writes data[0..len) in pieces of at most PIECE (the conversion buffer
 * holds twice that). */
static int write_all(source_writer *w, const BYTE *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		size_t k = len - done < PIECE ? len - done : PIECE;
		if (write_piece(w, (const char *)data + done, k) != 0)
			return -1;
		done += k;
	}
	return 0;
}

/* Copies src from its current position to its end through w. */
static HRESULT copy_stream(LPSTREAM src, source_writer *w, const char *who)
{
	BYTE *buf = g_try_malloc(PIECE);
	if (!buf)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", who);
	HRESULT hr;
	for (;;) {
		ULONG got = 0;
		hr = IStream_Read(src, buf, PIECE, &got);
		if (hr != S_OK) {
			hr = mapix_error(hr, "%s: reading PR_INTERNET_CONTENT failed: %s", who, MAPIXGetLastErrorText());
			break;
		}
		if (got && write_all(w, buf, got) != 0) {
			hr = MAPI_E_DISK_ERROR; /* the caller tells why */
			break;
		}
		/* Fewer bytes than asked for: the end (ISequentialStream::Read),
		 * which spares asking once more for nothing, a round trip over
		 * mapixd. */
		if (got < PIECE)
			break;
	}
	g_free(buf);
	return hr;
}

/* Ends a copy: a CR still held is written, the stream flushed, and the
 * writer's buffer freed. hr is the copy's result. */
static HRESULT finish(source_writer *w, HRESULT hr, const char *who)
{
	if (w->conv_failed)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", who);
	if (hr == S_OK && w->cr_held && put(w, "\r", 1) != 0)
		hr = MAPI_E_DISK_ERROR;
	if (hr == S_OK && g_mime_stream_flush(w->out) < 0)
		hr = MAPI_E_DISK_ERROR;
	g_free(w->conv);
	w->conv = NULL;
	return hr;
}

HRESULT mapix_mime_export_source(LPMESSAGE msg, ULONG flags, GMimeStream *stream)
{
	static const char who[] = "mapix_message_to_mime";
	/* GetProps first: most mail is small enough to come back whole, in one
	 * look-up, where a stream would cost the store more. */
	SizedSPropTagArray(1, tags) = {1, {PR_INTERNET_CONTENT}};
	LPSPropValue v = NULL;
	ULONG n = 0;
	HRESULT hr = IMessage_GetProps(msg, (LPSPropTagArray)&tags, 0, &n, &v);
	if (FAILED(hr) || n != 1)
		return MAPI_E_NOT_FOUND;
	BOOL whole = v[0].ulPropTag == PR_INTERNET_CONTENT;
	BOOL large = PROP_TYPE(v[0].ulPropTag) == PT_ERROR && v[0].Value.err == MAPI_E_NOT_ENOUGH_MEMORY;
	if (!whole) {
		MAPIFreeBuffer(v);
		if (!large)
			return MAPI_E_NOT_FOUND;
	}
	source_writer w = {.out = stream, .want_crlf = (flags & MAPIX_MIME_CRLF) != 0};
	if (whole) {
		hr = write_all(&w, v[0].Value.bin.lpb, v[0].Value.bin.cb) == 0 ? S_OK : MAPI_E_DISK_ERROR;
		MAPIFreeBuffer(v);
	} else {
		/* Too large for GetProps: through OpenProperty(IID_IStream). */
		LPSTREAM src = NULL;
		if (IMessage_OpenProperty(msg, PR_INTERNET_CONTENT, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&src) != S_OK)
			return MAPI_E_NOT_FOUND; /* a provider that cannot stream it: rebuild */
		hr = copy_stream(src, &w, who);
		IStream_Release(src);
	}
	return finish(&w, hr, who);
}

/* Runs a copy into a write stream on fn and gives the result the meaning
 * mapix_message_to_mime gives it. */
static HRESULT write_source(const BYTE *data, size_t len, LPSTREAM src, ULONG flags, MAPIX_MIME_WRITE *fn,
                            void *ctx, const char *who)
{
	mapix_mime_init();
	GMimeStream *out = mapix_mime_write_stream_new(fn, ctx);
	source_writer w = {.out = out, .want_crlf = (flags & MAPIX_MIME_CRLF) != 0};
	HRESULT hr = src ? copy_stream(src, &w, who) : write_all(&w, data, len) == 0 ? S_OK : MAPI_E_DISK_ERROR;
	hr = finish(&w, hr, who);
	if (hr == MAPI_E_DISK_ERROR)
		hr = mapix_mime_write_stream_stopped(out)
		         ? mapix_error(MAPI_E_USER_CANCEL, "%s: the write function stopped the export", who)
		         : mapix_error(MAPI_E_DISK_ERROR, "%s: writing failed: %s", who, strerror(errno));
	g_object_unref(out);
	return hr;
}

MAPIX_API HRESULT mapix_mime_write_source(const BYTE *lpData, size_t cbData, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                          void *lpvContext)
{
	if ((!lpData && cbData) || !lpfnWrite)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_mime_write_source: NULL argument");
	return write_source(lpData, cbData, NULL, ulFlags, lpfnWrite, lpvContext, "mapix_mime_write_source");
}

MAPIX_API HRESULT mapix_mime_write_source_stream(LPSTREAM lpStream, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                                 void *lpvContext)
{
	if (!lpStream || !lpfnWrite)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_mime_write_source_stream: NULL argument");
	return write_source(NULL, 0, lpStream, ulFlags, lpfnWrite, lpvContext, "mapix_mime_write_source_stream");
}
