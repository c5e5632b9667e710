/*
 * mime-export-stream.c — the two GMime streams that keep an export's
 * memory bounded whatever the size of the message:
 *
 *   a property stream: a GMimeStream that reads one large property (an
 *   attachment's bytes, PR_BODY, PR_HTML) through IMAPIProp::OpenProperty
 *   in pieces, so GMime's encoders (base64, quoted-printable) pull it from
 *   the store while they write, instead of the value being read whole
 *   into memory first. PT_UNICODE values are turned from UTF-16LE into
 *   UTF-8 on the way.
 *
 *   a write stream: a GMimeStream that hands what GMime writes to the
 *   caller's MAPIX_MIME_WRITE function in buffered pieces, so the message
 *   is never assembled in memory either.
 *
 * GMime reads a part's content twice (once to choose its transfer
 * encoding, once to write it) and resets the stream in between; the
 * property stream closes its IStream at the end of each pass and opens a
 * new one on the next read, so a message with many large attachments
 * keeps at most one store stream open at a time.
 */
#include <errno.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

/* ---- property stream ---------------------------------------------------------- */

#define PROP_PIECE 65536

typedef struct MapixPropStream {
	GMimeStream parent;
	LPMAPIPROP obj; /* AddRef'd */
	ULONG tag;
	LPSTREAM source; /* open during a pass, NULL between passes */
	BOOL utf16;      /* PT_UNICODE: convert to UTF-8 */
	BOOL at_end;
	HRESULT error;
	/* UTF-16 -> UTF-8: bytes read but not yet converted (an odd byte or a
	 * high surrogate waiting for its pair), and converted bytes not yet
	 * handed out. */
	BYTE *in; /* the pending bytes, then the piece read after them */
	size_t npending;
	char *out;
	size_t out_pos, out_len;
} MapixPropStream;

typedef struct MapixPropStreamClass {
	GMimeStreamClass parent_class;
} MapixPropStreamClass;

GType mapix_prop_stream_get_type(void);
G_DEFINE_TYPE(MapixPropStream, mapix_prop_stream, GMIME_TYPE_STREAM)

static void prop_close_source(MapixPropStream *s)
{
	if (s->source) {
		IStream_Release(s->source);
		s->source = NULL;
	}
}

static BOOL prop_open_source(MapixPropStream *s)
{
	if (s->source)
		return TRUE;
	HRESULT hr = IMAPIProp_OpenProperty(s->obj, s->tag, &IID_IStream, STGM_READ, 0, (LPUNKNOWN *)&s->source);
	if (hr != S_OK) {
		s->error = hr;
		s->source = NULL;
		return FALSE;
	}
	return TRUE;
}

/* Appends the UTF-8 form of code point c to s->out (which has room). */
static void put_utf8(MapixPropStream *s, uint32_t c)
{
	char *o = s->out + s->out_len;
	if (c < 0x80) {
		o[0] = (char)c;
		s->out_len += 1;
	} else if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		s->out_len += 2;
	} else if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		s->out_len += 3;
	} else {
		o[0] = (char)(0xF0 | c >> 18);
		o[1] = (char)(0x80 | (c >> 12 & 0x3F));
		o[2] = (char)(0x80 | (c >> 6 & 0x3F));
		o[3] = (char)(0x80 | (c & 0x3F));
		s->out_len += 4;
	}
}

/* Converts one piece of UTF-16LE into s->out. A high surrogate at the end
 * of the piece waits for the next one; a lone surrogate becomes U+FFFD, as
 * mapix_utf16_to_utf8 does. At the end of the value (last) nothing waits. */
static void convert_piece(MapixPropStream *s, size_t n, BOOL last)
{
	const BYTE *buf = s->in;
	size_t len = s->npending + n;
	s->npending = 0;
	s->out_pos = s->out_len = 0;
	size_t i = 0;
	while (i + 1 < len) {
		uint32_t u = (uint32_t)(buf[i] | buf[i + 1] << 8);
		if (u >= 0xD800 && u < 0xDC00) {
			if (i + 3 >= len && !last)
				break; /* the pair may continue in the next piece */
			uint32_t l = i + 3 < len ? (uint32_t)(buf[i + 2] | buf[i + 3] << 8) : 0;
			if (l >= 0xDC00 && l < 0xE000) {
				put_utf8(s, 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
				i += 4;
				continue;
			}
			u = 0xFFFD;
		} else if (u >= 0xDC00 && u < 0xE000) {
			u = 0xFFFD;
		}
		put_utf8(s, u);
		i += 2;
	}
	if (!last) {
		s->npending = len - i;
		memmove(s->in, buf + i, s->npending);
	}
}

static ssize_t prop_read(GMimeStream *stream, char *buf, size_t len)
{
	MapixPropStream *s = (MapixPropStream *)stream;

	if (s->error != S_OK)
		return -1;
	if (len == 0 || (s->at_end && s->out_pos == s->out_len))
		return 0;
	if (!s->utf16) {
		if (!prop_open_source(s))
			return -1;
		ULONG got = 0, want = len > PROP_PIECE ? PROP_PIECE : (ULONG)len;
		HRESULT hr = IStream_Read(s->source, buf, want, &got);
		if (hr != S_OK) {
			s->error = hr;
			return -1;
		}
		if (got == 0) {
			s->at_end = TRUE;
			prop_close_source(s);
		}
		stream->position += got;
		return (ssize_t)got;
	}
	while (s->out_pos == s->out_len && !s->at_end) {
		ULONG got = 0;
		if (!prop_open_source(s))
			return -1;
		HRESULT hr = IStream_Read(s->source, s->in + s->npending, PROP_PIECE, &got);
		if (hr != S_OK) {
			s->error = hr;
			return -1;
		}
		if (got == 0) {
			s->at_end = TRUE;
			prop_close_source(s);
		}
		convert_piece(s, got, got == 0);
	}
	size_t n = s->out_len - s->out_pos < len ? s->out_len - s->out_pos : len;
	memcpy(buf, s->out + s->out_pos, n);
	s->out_pos += n;
	stream->position += (gint64)n;
	return (ssize_t)n;
}

static ssize_t prop_write(GMimeStream *stream, const char *buf, size_t len)
{
	(void)stream;
	(void)buf;
	(void)len;
	errno = EBADF;
	return -1;
}

static int prop_flush(GMimeStream *stream)
{
	(void)stream;
	return 0;
}

static int prop_close(GMimeStream *stream)
{
	prop_close_source((MapixPropStream *)stream);
	return 0;
}

static gboolean prop_eos(GMimeStream *stream)
{
	MapixPropStream *s = (MapixPropStream *)stream;
	return s->error != S_OK || (s->at_end && s->out_pos == s->out_len);
}

static int prop_reset(GMimeStream *stream)
{
	MapixPropStream *s = (MapixPropStream *)stream;
	prop_close_source(s);
	s->at_end = FALSE;
	s->npending = 0;
	s->out_pos = s->out_len = 0;
	return s->error == S_OK ? 0 : -1;
}

static gint64 prop_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	/* Only back to the start (what GMime needs between its passes). */
	if (whence == GMIME_STREAM_SEEK_SET && offset == 0 && prop_reset(stream) == 0) {
		stream->position = 0;
		return 0;
	}
	errno = ESPIPE;
	return -1;
}

static gint64 prop_tell(GMimeStream *stream)
{
	return stream->position;
}

static gint64 prop_length(GMimeStream *stream)
{
	(void)stream;
	return -1;
}

static GMimeStream *prop_substream(GMimeStream *stream, gint64 start, gint64 end)
{
	(void)stream;
	(void)start;
	(void)end;
	return NULL;
}

static void prop_finalize(GObject *object)
{
	MapixPropStream *s = (MapixPropStream *)object;
	prop_close_source(s);
	if (s->obj)
		IMAPIProp_Release(s->obj);
	g_free(s->out);
	g_free(s->in);
	G_OBJECT_CLASS(mapix_prop_stream_parent_class)->finalize(object);
}

static void mapix_prop_stream_class_init(MapixPropStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = prop_finalize;
	sc->read = prop_read;
	sc->write = prop_write;
	sc->flush = prop_flush;
	sc->close = prop_close;
	sc->eos = prop_eos;
	sc->reset = prop_reset;
	sc->seek = prop_seek;
	sc->tell = prop_tell;
	sc->length = prop_length;
	sc->substream = prop_substream;
}

static void mapix_prop_stream_init(MapixPropStream *s)
{
	s->error = S_OK;
}

GMimeStream *mapix_mime_prop_stream_new(LPMAPIPROP obj, ULONG tag)
{
	MapixPropStream *s = g_object_new(mapix_prop_stream_get_type(), NULL);
	g_mime_stream_construct(GMIME_STREAM(s), 0, -1);
	IMAPIProp_AddRef(obj);
	s->obj = obj;
	s->tag = tag;
	s->utf16 = PROP_TYPE(tag) == PT_UNICODE;
	if (s->utf16) {
		s->in = g_malloc(PROP_PIECE + 4);
		s->out = g_malloc((PROP_PIECE + 4) / 2 * 3 + 8); /* UTF-16 unit -> at most 3 UTF-8 bytes */
	}
	return GMIME_STREAM(s);
}

HRESULT mapix_mime_prop_stream_error(GMimeStream *stream)
{
	if (!stream || !G_TYPE_CHECK_INSTANCE_TYPE(stream, mapix_prop_stream_get_type()))
		return S_OK;
	return ((MapixPropStream *)stream)->error;
}

HRESULT mapix_mime_open_value(LPMAPIPROP obj, ULONG tag, GByteArray **small, GMimeStream **large)
{
	LPSPropValue v = NULL;
	HRESULT hr = mapix_mime_get_props(obj, &tag, 1, &v);

	*small = NULL;
	*large = NULL;
	if (hr != S_OK && hr != MAPI_W_ERRORS_RETURNED)
		return hr;
	SCODE err = PROP_TYPE(v->ulPropTag) == PT_ERROR ? v->Value.err : S_OK;
	MAPIFreeBuffer(v);
	if (err == MAPI_E_NOT_ENOUGH_MEMORY) {
		*large = mapix_mime_prop_stream_new(obj, tag);
		return S_OK;
	}
	if (err != S_OK)
		return MAPI_E_NOT_FOUND;
	/* Small enough for GetProps: read it as the rest of the converter does. */
	return PROP_TYPE(tag) == PT_UNICODE ? mapix_mime_read_utf8(obj, tag, small) : mapix_mime_read_binary(obj, tag, small);
}

/* ---- write stream ------------------------------------------------------------- */

#define WRITE_BUFFER 65536

typedef struct MapixWriteStream {
	GMimeStream parent;
	MAPIX_MIME_WRITE *fn;
	void *ctx;
	char *buf;
	size_t len;
	BOOL failed; /* the write function said stop */
} MapixWriteStream;

typedef struct MapixWriteStreamClass {
	GMimeStreamClass parent_class;
} MapixWriteStreamClass;

GType mapix_write_stream_get_type(void);
G_DEFINE_TYPE(MapixWriteStream, mapix_write_stream, GMIME_TYPE_STREAM)

static int ws_drain(MapixWriteStream *s)
{
	if (s->failed)
		return -1;
	if (s->len && s->fn(s->ctx, s->buf, s->len) != 0) {
		s->failed = TRUE;
		return -1;
	}
	s->len = 0;
	return 0;
}

static ssize_t ws_read(GMimeStream *stream, char *buf, size_t len)
{
	(void)stream;
	(void)buf;
	(void)len;
	errno = EBADF;
	return -1;
}

static ssize_t ws_write(GMimeStream *stream, const char *buf, size_t len)
{
	MapixWriteStream *s = (MapixWriteStream *)stream;
	if (s->failed)
		return -1;
	if (s->len + len > WRITE_BUFFER && ws_drain(s) != 0)
		return -1;
	if (len >= WRITE_BUFFER) {
		/* Large writes go straight through. */
		if (s->fn(s->ctx, buf, len) != 0) {
			s->failed = TRUE;
			return -1;
		}
	} else {
		memcpy(s->buf + s->len, buf, len);
		s->len += len;
	}
	stream->position += (gint64)len;
	return (ssize_t)len;
}

static int ws_flush(GMimeStream *stream)
{
	return ws_drain((MapixWriteStream *)stream);
}

static int ws_close(GMimeStream *stream)
{
	return ws_drain((MapixWriteStream *)stream);
}

static gboolean ws_eos(GMimeStream *stream)
{
	(void)stream;
	return FALSE;
}

static int ws_reset(GMimeStream *stream)
{
	(void)stream;
	errno = ESPIPE;
	return -1;
}

static gint64 ws_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
	(void)stream;
	(void)offset;
	(void)whence;
	errno = ESPIPE;
	return -1;
}

static void ws_finalize(GObject *object)
{
	MapixWriteStream *s = (MapixWriteStream *)object;
	g_free(s->buf);
	G_OBJECT_CLASS(mapix_write_stream_parent_class)->finalize(object);
}

static void mapix_write_stream_class_init(MapixWriteStreamClass *klass)
{
	GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = ws_finalize;
	sc->read = ws_read;
	sc->write = ws_write;
	sc->flush = ws_flush;
	sc->close = ws_close;
	sc->eos = ws_eos;
	sc->reset = ws_reset;
	sc->seek = ws_seek;
	sc->tell = prop_tell;
	sc->length = prop_length;
	sc->substream = prop_substream;
}

static void mapix_write_stream_init(MapixWriteStream *s)
{
	s->buf = g_malloc(WRITE_BUFFER);
}

GMimeStream *mapix_mime_write_stream_new(MAPIX_MIME_WRITE *fn, void *ctx)
{
	MapixWriteStream *s = g_object_new(mapix_write_stream_get_type(), NULL);
	g_mime_stream_construct(GMIME_STREAM(s), 0, -1);
	s->fn = fn;
	s->ctx = ctx;
	return GMIME_STREAM(s);
}

BOOL mapix_mime_write_stream_stopped(GMimeStream *stream)
{
	if (!G_TYPE_CHECK_INSTANCE_TYPE(stream, mapix_write_stream_get_type()))
		return FALSE;
	return ((MapixWriteStream *)stream)->failed;
}
