/*
 * local-stream.c — IStream on one property of a local-store object
 * (IMAPIProp::OpenProperty with IID_IStream), for values too large for
 * GetProps (LOCAL_LARGE_VALUE and up) and for anyone who prefers streams.
 *
 * Bytes. PT_BINARY streams carry the value's bytes, PT_STRING8 streams
 * UTF-8, PT_UNICODE streams UTF-16LE as on Windows. Strings are stored as
 * UTF-8, so a PT_UNICODE stream converts in pieces (a code point split
 * across pieces is carried over) and never holds the value whole.
 *
 * Reading pages through the chunks table (or the inline value, which is
 * small). A PT_UNICODE stream of a chunked value is first converted into
 * an unlinked temporary file, since UTF-16 offsets cannot be mapped onto
 * UTF-8 chunks without a scan.
 *
 * Writing goes to an unlinked temporary file (mkstemp in $TMPDIR or /tmp).
 * Commit hands the value to the object: a transacted object (message,
 * attachment) stages it (small values in memory, large ones as the file,
 * which from then on is never written again — the stream copies it before
 * its next write); a write-through object (folder, store) writes it at
 * once in a write transaction. Release without Commit discards the writes,
 * Revert goes back to the last committed value. Trailing NUL characters
 * of a string stream are not stored (clients often write the terminator).
 * OpenProperty's STGM interface options are not passed down to this layer:
 * MAPI_MODIFY or MAPI_CREATE make the stream writable, MAPI_CREATE starts
 * it empty, STREAM_APPEND starts at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "local-message.h"

#define PIECE 65536

enum src_kind { SRC_NONE, SRC_MEM, SRC_FILE, SRC_CHUNKS };

typedef struct local_stream {
	const IStreamVtbl *lpVtbl;
	atomic_ulong refs;
	local_object *obj;
	ULONG tag;             /* as opened: PT_BINARY, PT_STRING8 or PT_UNICODE */
	BOOL writable;
	BOOL created;          /* MAPI_CREATE: starts empty */
	BOOL committed;        /* Commit ran at least once */
	BOOL dirty;            /* written since the last Commit */
	uint64_t pos, size;
	enum src_kind kind;
	BYTE *mem;             /* SRC_MEM */
	int fd;                /* SRC_FILE */
	BOOL fd_shared;        /* the file is staged in the object: copy before writing */
	uint64_t obj_id;       /* SRC_CHUNKS */
	ULONG stored_tag;
	BYTE *chunk;
	uint64_t chunk_seq;
	size_t chunk_len;
	BOOL chunk_valid;
} local_stream;

static const IStreamVtbl stream_vtbl;

#define STM(This) ((local_stream *)(This))

/* ---- temporary files ---------------------------------------------------------------------- */

static HRESULT temp_file(int *fd)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof path, "%s/mapix-stream-XXXXXX", dir);
	*fd = mkostemp(path, O_CLOEXEC);
	if (*fd < 0)
		return mapix_error(errno == ENOSPC ? MAPI_E_NOT_ENOUGH_DISK : MAPI_E_DISK_ERROR,
		                   "IStream: cannot create a temporary file in %s: %s", dir, strerror(errno));
	unlink(path);
	return S_OK;
}

static HRESULT pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const BYTE *p = buf;
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return mapix_error(errno == ENOSPC || errno == EDQUOT ? STG_E_MEDIUMFULL : STG_E_WRITEFAULT,
			                   "IStream: writing the temporary file: %s", w < 0 ? strerror(errno) : "short write");
		p += w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	return S_OK;
}

static HRESULT pread_all(int fd, void *buf, size_t n, uint64_t off, size_t *got)
{
	BYTE *p = buf;
	*got = 0;
	while (n) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mapix_error(STG_E_READFAULT, "IStream: reading a temporary file: %s", strerror(errno));
		if (r == 0)
			break;
		p += r;
		off += (uint64_t)r;
		n -= (size_t)r;
		*got += (size_t)r;
	}
	return S_OK;
}

/* ---- reading the source ------------------------------------------------------------------------ */

/* Reads chunk `seq` of the stored value into the cache (caller holds the lock). */
static HRESULT load_chunk(local_stream *s, uint64_t seq)
{
	static const char sel[] = "SELECT data FROM chunks WHERE obj = ?1 AND tag = ?2 AND seq = ?3";
	local_db *db = s->obj->logon->db;
	sqlite3_stmt *st;
	if (s->chunk_valid && s->chunk_seq == seq)
		return S_OK;
	if (!s->chunk && !(s->chunk = malloc(LOCAL_CHUNK_SIZE)))
		return mapix_error(STG_E_INSUFFICIENTMEMORY, "IStream: out of memory");
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->obj_id);
	sqlite3_bind_int64(st, 2, s->stored_tag);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		s->chunk_len = n > LOCAL_CHUNK_SIZE ? LOCAL_CHUNK_SIZE : (size_t)n;
		memcpy(s->chunk, sqlite3_column_blob(st, 0), s->chunk_len);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return mapix_error(MAPI_E_OBJECT_DELETED, "IStream: the value changed or was deleted underneath");
	if (rc != SQLITE_ROW)
		return local_db_error(db, rc, "reading a large value");
	s->chunk_seq = seq;
	s->chunk_valid = TRUE;
	return S_OK;
}

/* Reads up to n bytes at off from the current source (bounded by size). */
static HRESULT src_read(local_stream *s, uint64_t off, BYTE *buf, size_t n, size_t *got)
{
	HRESULT hr = S_OK;
	*got = 0;
	if (off >= s->size)
		return S_OK;
	if ((uint64_t)n > s->size - off)
		n = (size_t)(s->size - off);
	switch (s->kind) {
	case SRC_NONE:
		break;
	case SRC_MEM:
		memcpy(buf, s->mem + off, n);
		*got = n;
		break;
	case SRC_FILE: {
		hr = pread_all(s->fd, buf, n, off, got);
		/* Bytes past the file's end (after SetSize) read as zeros. */
		if (SUCCEEDED(hr) && *got < n) {
			memset(buf + *got, 0, n - *got);
			*got = n;
		}
		break;
	}
	case SRC_CHUNKS: {
		local_db *db = s->obj->logon->db;
		local_db_lock(db);
		while (n && SUCCEEDED(hr)) {
			uint64_t seq = off / LOCAL_CHUNK_SIZE;
			size_t in = (size_t)(off % LOCAL_CHUNK_SIZE);
			if (FAILED(hr = load_chunk(s, seq)))
				break;
			if (in >= s->chunk_len) {
				hr = mapix_error(MAPI_E_CORRUPT_STORE, "IStream: a chunk of the value is short");
				break;
			}
			size_t take = s->chunk_len - in < n ? s->chunk_len - in : n;
			memcpy(buf, s->chunk + in, take);
			buf += take;
			off += take;
			n -= take;
			*got += take;
		}
		local_db_unlock(db);
		break;
	}
	}
	return hr;
}

static void src_drop(local_stream *s)
{
	free(s->mem);
	s->mem = NULL;
	free(s->chunk);
	s->chunk = NULL;
	s->chunk_valid = FALSE;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->fd_shared = FALSE;
	s->kind = SRC_NONE;
	s->size = 0;
}

/* ---- UTF-8 <-> UTF-16LE in pieces ---------------------------------------------------------------- */

typedef struct utf8_dec {
	uint32_t cp, min;
	int need;
} utf8_dec;

static size_t put_unit(BYTE *out, uint16_t u)
{
	out[0] = (BYTE)u;
	out[1] = (BYTE)(u >> 8);
	return 2;
}

static size_t put_cp16(BYTE *out, uint32_t cp)
{
	if (cp >= 0x10000) {
		cp -= 0x10000;
		put_unit(out, (uint16_t)(0xD800 | (cp >> 10)));
		put_unit(out + 2, (uint16_t)(0xDC00 | (cp & 0x3FF)));
		return 4;
	}
	return put_unit(out, (uint16_t)cp);
}

/* Decodes n bytes of UTF-8 into UTF-16LE (out holds at least 4*n+4
 * bytes); sequences split across calls continue in d. Invalid sequences
 * become U+FFFD. */
static size_t utf8_to_16_piece(utf8_dec *d, const BYTE *in, size_t n, BYTE *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		BYTE b = in[i];
		if (d->need) {
			if ((b & 0xC0) == 0x80) {
				d->cp = (d->cp << 6) | (b & 0x3F);
				if (--d->need == 0) {
					uint32_t cp = d->cp;
					if (cp < d->min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
						cp = 0xFFFD;
					o += put_cp16(out + o, cp);
				}
				continue;
			}
			d->need = 0;
			o += put_cp16(out + o, 0xFFFD);
		}
		if (b < 0x80) {
			o += put_cp16(out + o, b);
		} else if ((b & 0xE0) == 0xC0) {
			d->cp = b & 0x1F, d->need = 1, d->min = 0x80;
		} else if ((b & 0xF0) == 0xE0) {
			d->cp = b & 0x0F, d->need = 2, d->min = 0x800;
		} else if ((b & 0xF8) == 0xF0) {
			d->cp = b & 0x07, d->need = 3, d->min = 0x10000;
		} else {
			o += put_cp16(out + o, 0xFFFD);
		}
	}
	return o;
}

static size_t put_cp8(BYTE *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (BYTE)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (BYTE)(0xC0 | (cp >> 6));
		out[1] = (BYTE)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (BYTE)(0xE0 | (cp >> 12));
		out[1] = (BYTE)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (BYTE)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (BYTE)(0xF0 | (cp >> 18));
	out[1] = (BYTE)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (BYTE)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (BYTE)(0x80 | (cp & 0x3F));
	return 4;
}

/* Encodes n UTF-16 units as UTF-8 (out holds 3*n+4 bytes); a high
 * surrogate at the end of a piece waits in *high for the next one. Lone
 * surrogates become U+FFFD. */
static size_t utf16_to_8_piece(uint16_t *high, const BYTE *in, size_t units, BYTE *out)
{
	size_t o = 0;
	for (size_t i = 0; i < units; i++) {
		uint16_t u = (uint16_t)(in[2 * i] | (in[2 * i + 1] << 8));
		if (*high) {
			if (u >= 0xDC00 && u <= 0xDFFF) {
				o += put_cp8(out + o, 0x10000 + (((uint32_t)*high - 0xD800) << 10) + (u - 0xDC00));
				*high = 0;
				continue;
			}
			o += put_cp8(out + o, 0xFFFD);
			*high = 0;
		}
		if (u >= 0xD800 && u <= 0xDBFF)
			*high = u;
		else if (u >= 0xDC00 && u <= 0xDFFF)
			o += put_cp8(out + o, 0xFFFD);
		else
			o += put_cp8(out + o, u);
	}
	return o;
}

/* Replaces the (UTF-8) source with a temporary file of its UTF-16LE form. */
static HRESULT source_to_utf16(local_stream *s)
{
	BYTE *in = malloc(PIECE), *out = malloc(PIECE * 4 + 8);
	utf8_dec d = {0};
	uint64_t off = 0, wrote = 0;
	int fd = -1;
	HRESULT hr = in && out ? temp_file(&fd) : mapix_error(STG_E_INSUFFICIENTMEMORY, "IStream: out of memory");
	while (SUCCEEDED(hr) && off < s->size) {
		size_t got;
		if (FAILED(hr = src_read(s, off, in, PIECE, &got)) || !got)
			break;
		off += got;
		size_t o = utf8_to_16_piece(&d, in, got, out);
		if (SUCCEEDED(hr = pwrite_all(fd, out, o, wrote)))
			wrote += o;
	}
	if (SUCCEEDED(hr) && d.need) {
		size_t o = put_cp16(out, 0xFFFD);
		if (SUCCEEDED(hr = pwrite_all(fd, out, o, wrote)))
			wrote += o;
	}
	free(in);
	free(out);
	if (FAILED(hr)) {
		if (fd >= 0)
			close(fd);
		return hr;
	}
	src_drop(s);
	s->kind = SRC_FILE;
	s->fd = fd;
	s->size = wrote;
	return S_OK;
}

/* ---- opening: the current value as the source ------------------------------------------------------ */

/* Sets the source from a value in memory, in the stream's byte form. */
static HRESULT source_from_value(local_stream *s, const SPropValue *v)
{
	ULONG want = PROP_TYPE(s->tag), have = PROP_TYPE(v->ulPropTag);
	LPSTR a = NULL;
	LPWSTR w = NULL;
	const BYTE *bytes = NULL;
	size_t n = 0;
	HRESULT hr = S_OK;

	if (want == PT_BINARY) {
		if (have != PT_BINARY)
			return MAPI_E_NOT_FOUND;
		bytes = v->Value.bin.lpb;
		n = v->Value.bin.cb;
	} else if (want == PT_STRING8) {
		if (have == PT_STRING8)
			bytes = (const BYTE *)(v->Value.lpszA ? v->Value.lpszA : "");
		else if (have == PT_UNICODE && SUCCEEDED(hr = mapix_utf16_to_utf8(v->Value.lpszW ? v->Value.lpszW : u"",
		                                                                  NULL, &a)))
			bytes = (const BYTE *)a;
		else if (have != PT_UNICODE)
			return MAPI_E_NOT_FOUND;
		if (bytes)
			n = strlen((const char *)bytes);
	} else {
		if (have == PT_UNICODE)
			w = v->Value.lpszW;
		else if (have == PT_STRING8)
			hr = mapix_utf8_to_utf16(v->Value.lpszA ? v->Value.lpszA : "", NULL, &w);
		else
			return MAPI_E_NOT_FOUND;
		if (SUCCEEDED(hr))
			n = w ? mapix_wcslen(w) * 2 : 0;
	}
	if (SUCCEEDED(hr) && !(s->mem = malloc(n ? n : 1)))
		hr = mapix_error(STG_E_INSUFFICIENTMEMORY, "IStream: out of memory");
	if (SUCCEEDED(hr)) {
		if (want == PT_UNICODE) {
			for (size_t i = 0; i < n / 2; i++)
				put_unit(s->mem + 2 * i, w[i]);
		} else if (n) {
			memcpy(s->mem, bytes, n);
		}
		s->kind = SRC_MEM;
		s->size = n;
	}
	if (a)
		MAPIFreeBuffer(a);
	if (w && have == PT_STRING8)
		MAPIFreeBuffer(w);
	return hr;
}

/* Finds the property's current value (staged or stored) and makes it the
 * source. MAPI_E_NOT_FOUND when the property has no value. Caller holds
 * the lock. */
static HRESULT open_source(local_stream *s)
{
	static const char sel[] =
	    "SELECT tag, size, value IS NULL FROM props WHERE obj = ?1 AND tag BETWEEN ?2 AND ?3";
	local_object *o = s->obj;
	local_db *db = o->logon->db;
	ULONG norm = local_props_normalize_tag(s->tag);
	HRESULT hr;

	src_drop(s);
	local_change *c = o->ops->transacted ? local_object_find_change(o, s->tag) : NULL;
	if (c) {
		if (PROP_TYPE(c->tag) != PROP_TYPE(norm) || (!c->value && c->stream_fd < 0))
			return MAPI_E_NOT_FOUND;
		if (c->value)
			return source_from_value(s, c->value);
		s->fd = fcntl(c->stream_fd, F_DUPFD_CLOEXEC, 0);
		if (s->fd < 0)
			return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "IStream: dup: %s", strerror(errno));
		s->fd_shared = TRUE;
		s->kind = SRC_FILE;
		s->size = c->stream_size;
		return PROP_TYPE(s->tag) == PT_UNICODE ? source_to_utf16(s) : S_OK;
	}
	if (o->is_new)
		return MAPI_E_NOT_FOUND;

	sqlite3_stmt *st;
	if (FAILED(hr = local_db_prepare(db, sel, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
	sqlite3_bind_int64(st, 2, PROP_TAG(0, PROP_ID(s->tag)));
	sqlite3_bind_int64(st, 3, PROP_TAG(0xFFFF, PROP_ID(s->tag)));
	int rc = sqlite3_step(st);
	ULONG stored = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	uint64_t size = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 1) : 0;
	BOOL chunked = rc == SQLITE_ROW && sqlite3_column_int(st, 2);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return MAPI_E_NOT_FOUND;
	if (rc != SQLITE_ROW)
		return local_db_error(db, rc, "reading a property");
	if (PROP_TYPE(stored) != PROP_TYPE(norm))
		return MAPI_E_NOT_FOUND;
	if (chunked) {
		s->kind = SRC_CHUNKS;
		s->obj_id = o->id;
		s->stored_tag = stored;
		s->size = size;
		if (PROP_TYPE(s->tag) != PT_UNICODE)
			return S_OK;
		/* src_read takes the lock itself: release ours meanwhile. */
		local_db_unlock(db);
		hr = source_to_utf16(s);
		local_db_lock(db);
		return hr;
	}
	LPVOID root;
	SPropValue v;
	if (FAILED(hr = MAPIAllocateBuffer(1, &root)))
		return hr;
	hr = local_props_read(db, o->id, s->tag, root, &v, TRUE);
	if (SUCCEEDED(hr))
		hr = source_from_value(s, &v);
	MAPIFreeBuffer(root);
	return hr;
}

/* Turns the source into a private temporary file the stream may write. */
static HRESULT make_private_file(local_stream *s)
{
	int fd;
	BYTE *buf;
	HRESULT hr;
	if (s->kind == SRC_FILE && !s->fd_shared)
		return S_OK;
	if (FAILED(hr = temp_file(&fd)))
		return hr;
	if (!(buf = malloc(PIECE))) {
		close(fd);
		return mapix_error(STG_E_INSUFFICIENTMEMORY, "IStream: out of memory");
	}
	for (uint64_t off = 0; SUCCEEDED(hr) && off < s->size;) {
		size_t got;
		if (FAILED(hr = src_read(s, off, buf, PIECE, &got)) || !got)
			break;
		if (SUCCEEDED(hr = pwrite_all(fd, buf, got, off)))
			off += got;
	}
	free(buf);
	if (FAILED(hr)) {
		close(fd);
		return hr;
	}
	uint64_t size = s->size;
	src_drop(s);
	s->kind = SRC_FILE;
	s->fd = fd;
	s->size = size;
	return S_OK;
}

/* Loads what a writable stream starts from (caller holds the lock). */
static HRESULT load_for_write(local_stream *s, BOOL empty)
{
	HRESULT hr = S_OK;
	src_drop(s);
	if (!empty) {
		hr = open_source(s);
		if (hr == MAPI_E_NOT_FOUND)
			return hr;
	}
	if (SUCCEEDED(hr)) {
		local_db *db = s->obj->logon->db;
		/* make_private_file may read chunks, which takes the lock. */
		local_db_unlock(db);
		hr = make_private_file(s);
		local_db_lock(db);
	}
	return hr;
}

HRESULT local_stream_open(local_object *o, ULONG tag, ULONG flags, LPSTREAM *lppStream)
{
	local_db *db = o->logon->db;
	local_stream *s;
	HRESULT hr;
	ULONG t = PROP_TYPE(tag);

	*lppStream = NULL;
	if (flags & ~(MAPI_CREATE | MAPI_MODIFY | MAPI_DEFERRED_ERRORS | STREAM_APPEND | MAPI_BEST_ACCESS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenProperty: unknown flags 0x%08X", (unsigned)flags);
	if (t != PT_BINARY && t != PT_STRING8 && t != PT_UNICODE)
		return mapix_error(MAPI_E_INVALID_TYPE, "OpenProperty: streams exist for strings and binaries only");
	if (!(s = calloc(1, sizeof *s)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProperty: out of memory");
	s->lpVtbl = &stream_vtbl;
	atomic_init(&s->refs, 1);
	s->obj = o;
	s->tag = tag & ~(ULONG)MV_INSTANCE;
	s->fd = -1;
	s->writable = (flags & (MAPI_CREATE | MAPI_MODIFY)) != 0;
	s->created = (flags & MAPI_CREATE) != 0;
	local_prop_AddRef(o);

	local_db_lock(db);
	if (s->writable)
		hr = load_for_write(s, s->created);
	else
		hr = open_source(s);
	local_db_unlock(db);
	if (FAILED(hr)) {
		if (hr == MAPI_E_NOT_FOUND)
			hr = mapix_error(MAPI_E_NOT_FOUND, "OpenProperty: property 0x%08X has no value (MAPI_CREATE makes one)",
			                 (unsigned)tag);
		IStream_Release((IStream *)s);
		return hr;
	}
	if (flags & STREAM_APPEND)
		s->pos = s->size;
	*lppStream = (LPSTREAM)s;
	return S_OK;
}

/* ---- committing ---------------------------------------------------------------------------------- */

/* The stored form of the written bytes: for strings UTF-8 without trailing
 * NULs. *fd is a file the caller owns (a dup of the stream's own file for
 * binaries and 8-bit strings). */
static HRESULT stored_form(local_stream *s, int *fd, uint64_t *size)
{
	ULONG t = PROP_TYPE(s->tag);
	uint64_t n = s->size;
	BYTE tail[2];
	size_t got;
	HRESULT hr;

	if (t == PT_BINARY || t == PT_STRING8) {
		if (t == PT_STRING8) {
			while (n > 0 && SUCCEEDED(src_read(s, n - 1, tail, 1, &got)) && got == 1 && tail[0] == 0)
				n--;
		}
		*fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
		if (*fd < 0)
			return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "IStream: dup: %s", strerror(errno));
		*size = n;
		return S_OK;
	}
	n &= ~(uint64_t)1;
	while (n >= 2 && SUCCEEDED(src_read(s, n - 2, tail, 2, &got)) && got == 2 && !tail[0] && !tail[1])
		n -= 2;
	BYTE *in = malloc(PIECE), *out = malloc(PIECE / 2 * 3 + 8);
	uint16_t high = 0;
	uint64_t wrote = 0;
	int out_fd = -1;
	hr = in && out ? temp_file(&out_fd) : mapix_error(STG_E_INSUFFICIENTMEMORY, "IStream: out of memory");
	for (uint64_t off = 0; SUCCEEDED(hr) && off < n;) {
		size_t want = n - off < PIECE ? (size_t)(n - off) : PIECE;
		if (FAILED(hr = src_read(s, off, in, want, &got)) || got < 2)
			break;
		got &= ~(size_t)1;
		off += got;
		size_t o = utf16_to_8_piece(&high, in, got / 2, out);
		if (SUCCEEDED(hr = pwrite_all(out_fd, out, o, wrote)))
			wrote += o;
	}
	if (SUCCEEDED(hr) && high) {
		size_t o = put_cp8(out, 0xFFFD);
		if (SUCCEEDED(hr = pwrite_all(out_fd, out, o, wrote)))
			wrote += o;
	}
	free(in);
	free(out);
	if (FAILED(hr)) {
		if (out_fd >= 0)
			close(out_fd);
		return hr;
	}
	*fd = out_fd;
	*size = wrote;
	return S_OK;
}

/* A small stored form as a property value (allocated with MAPIAllocateBuffer). */
static HRESULT small_value(local_stream *s, int fd, uint64_t size, LPSPropValue *out)
{
	LPSPropValue v;
	BYTE *data;
	size_t got;
	HRESULT hr = MAPIAllocateBuffer(sizeof *v, (LPVOID *)&v);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = MAPIAllocateMore((ULONG)size + 1, v, (LPVOID *)&data)) ||
	    FAILED(hr = pread_all(fd, data, (size_t)size, 0, &got)))
		goto fail;
	data[got] = 0;
	v->ulPropTag = s->tag;
	v->dwAlignPad = 0;
	switch (PROP_TYPE(s->tag)) {
	case PT_BINARY:
		v->Value.bin.cb = (ULONG)got;
		v->Value.bin.lpb = data;
		break;
	case PT_STRING8:
		v->Value.lpszA = (LPSTR)data;
		break;
	default:
		if (FAILED(hr = mapix_utf8_to_utf16((const char *)data, v, &v->Value.lpszW)))
			goto fail;
		break;
	}
	*out = v;
	return S_OK;
fail:
	MAPIFreeBuffer(v);
	return hr;
}

static HRESULT commit_locked(local_stream *s)
{
	local_object *o = s->obj;
	local_db *db = o->logon->db;
	LPSPropValue v = NULL;
	int fd = -1;
	uint64_t size = 0;
	HRESULT hr;

	if (FAILED(hr = stored_form(s, &fd, &size)))
		return hr;
	if (size < LOCAL_LARGE_VALUE && FAILED(hr = small_value(s, fd, size, &v)))
		goto out;
	if (o->ops->transacted) {
		if (v) {
			hr = local_object_stage(o, v);
		} else if (SUCCEEDED(hr = local_object_stage_delete(o, s->tag))) {
			local_change *c = local_object_find_change(o, s->tag);
			c->stream_fd = fd;
			c->stream_size = size;
			fd = -1;
			/* The staged file is shared with this stream from now on. */
			if (PROP_TYPE(s->tag) != PT_UNICODE)
				s->fd_shared = TRUE;
		}
	} else {
		if (FAILED(hr = local_db_begin_write(db)))
			goto out;
		if (v) {
			BOOL handled = FALSE;
			if (o->ops->write_hook)
				hr = o->ops->write_hook(o, v, 0, &handled);
			if (SUCCEEDED(hr) && !handled)
				hr = local_props_write(db, o->id, v);
		} else {
			hr = local_props_write_stream(db, o->id, s->tag, fd, size);
		}
		if (SUCCEEDED(hr))
			hr = local_db_commit(db);
		else
			local_db_rollback(db);
	}
out:
	if (v)
		MAPIFreeBuffer(v);
	if (fd >= 0)
		close(fd);
	return hr;
}

/* ---- IStream --------------------------------------------------------------------------------------- */

static HRESULT stream_QueryInterface(IStream *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return E_INVALIDARG;
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IStream) &&
	    !IsEqualIID(riid, &IID_ISequentialStream))
		return E_NOINTERFACE;
	atomic_fetch_add(&STM(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG stream_AddRef(IStream *This)
{
	return (ULONG)atomic_fetch_add(&STM(This)->refs, 1) + 1;
}

static ULONG stream_Release(IStream *This)
{
	local_stream *s = STM(This);
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (left)
		return left;
	src_drop(s);
	local_prop_Release(s->obj);
	free(s);
	return 0;
}

static HRESULT stream_Read(IStream *This, void *pv, ULONG cb, ULONG *pcbRead)
{
	local_stream *s = STM(This);
	size_t got = 0;
	if (pcbRead)
		*pcbRead = 0;
	if (!pv && cb)
		return STG_E_INVALIDPOINTER;
	HRESULT hr = src_read(s, s->pos, pv, cb, &got);
	if (FAILED(hr))
		return hr;
	s->pos += got;
	if (pcbRead)
		*pcbRead = (ULONG)got;
	return S_OK;
}

static HRESULT stream_Write(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten)
{
	local_stream *s = STM(This);
	HRESULT hr;
	if (pcbWritten)
		*pcbWritten = 0;
	if (!s->writable)
		return mapix_error(STG_E_ACCESSDENIED, "IStream::Write: the stream was opened read-only");
	if (!pv && cb)
		return STG_E_INVALIDPOINTER;
	if (!cb)
		return S_OK;
	if (s->fd_shared && FAILED(hr = make_private_file(s)))
		return hr;
	if (FAILED(hr = pwrite_all(s->fd, pv, cb, s->pos)))
		return hr;
	s->pos += cb;
	if (s->pos > s->size)
		s->size = s->pos;
	s->dirty = TRUE;
	if (pcbWritten)
		*pcbWritten = cb;
	return S_OK;
}

static HRESULT stream_Seek(IStream *This, LARGE_INTEGER dlibMove, DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition)
{
	local_stream *s = STM(This);
	int64_t base;
	switch (dwOrigin) {
	case STREAM_SEEK_SET:
		base = 0;
		break;
	case STREAM_SEEK_CUR:
		base = (int64_t)s->pos;
		break;
	case STREAM_SEEK_END:
		base = (int64_t)s->size;
		break;
	default:
		return STG_E_INVALIDFUNCTION;
	}
	if ((dlibMove.QuadPart < 0 && base + dlibMove.QuadPart < 0) ||
	    (dlibMove.QuadPart > 0 && dlibMove.QuadPart > INT64_MAX - base))
		return STG_E_INVALIDFUNCTION;
	s->pos = (uint64_t)(base + dlibMove.QuadPart);
	if (plibNewPosition)
		plibNewPosition->QuadPart = s->pos;
	return S_OK;
}

static HRESULT stream_SetSize(IStream *This, ULARGE_INTEGER libNewSize)
{
	local_stream *s = STM(This);
	HRESULT hr;
	if (!s->writable)
		return mapix_error(STG_E_ACCESSDENIED, "IStream::SetSize: the stream was opened read-only");
	if (s->fd_shared && FAILED(hr = make_private_file(s)))
		return hr;
	if (ftruncate(s->fd, (off_t)libNewSize.QuadPart) != 0)
		return mapix_error(errno == ENOSPC || errno == EFBIG ? STG_E_MEDIUMFULL : STG_E_WRITEFAULT,
		                   "IStream::SetSize: %s", strerror(errno));
	s->size = libNewSize.QuadPart;
	s->dirty = TRUE;
	return S_OK;
}

static HRESULT stream_CopyTo(IStream *This, IStream *pstm, ULARGE_INTEGER cb, ULARGE_INTEGER *pcbRead,
                             ULARGE_INTEGER *pcbWritten)
{
	local_stream *s = STM(This);
	BYTE *buf;
	uint64_t done_r = 0, done_w = 0;
	HRESULT hr = S_OK;
	if (!pstm)
		return STG_E_INVALIDPOINTER;
	if (!(buf = malloc(PIECE)))
		return STG_E_INSUFFICIENTMEMORY;
	while (done_r < cb.QuadPart) {
		size_t want = cb.QuadPart - done_r < PIECE ? (size_t)(cb.QuadPart - done_r) : PIECE, got;
		ULONG w = 0;
		if (FAILED(hr = src_read(s, s->pos, buf, want, &got)) || !got)
			break;
		s->pos += got;
		done_r += got;
		hr = IStream_Write(pstm, buf, (ULONG)got, &w);
		done_w += w;
		if (FAILED(hr))
			break;
	}
	free(buf);
	if (pcbRead)
		pcbRead->QuadPart = done_r;
	if (pcbWritten)
		pcbWritten->QuadPart = done_w;
	return hr;
}

static HRESULT stream_Commit(IStream *This, DWORD grfCommitFlags)
{
	local_stream *s = STM(This);
	local_db *db = s->obj->logon->db;
	(void)grfCommitFlags;
	if (!s->writable || (!s->dirty && (s->committed || !s->created)))
		return S_OK; /* nothing to commit */
	local_db_lock(db);
	HRESULT hr = commit_locked(s);
	local_db_unlock(db);
	if (SUCCEEDED(hr)) {
		s->dirty = FALSE;
		s->committed = TRUE;
	}
	return hr;
}

static HRESULT stream_Revert(IStream *This)
{
	local_stream *s = STM(This);
	local_db *db = s->obj->logon->db;
	if (!s->writable || !s->dirty)
		return S_OK;
	local_db_lock(db);
	/* What was committed last is the object's value now. */
	HRESULT hr = load_for_write(s, s->created && !s->committed);
	if (hr == MAPI_E_NOT_FOUND)
		hr = load_for_write(s, TRUE);
	local_db_unlock(db);
	if (SUCCEEDED(hr))
		s->dirty = FALSE;
	return hr;
}

static HRESULT stream_LockRegion(IStream *This, ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType)
{
	(void)This, (void)libOffset, (void)cb, (void)dwLockType;
	return STG_E_INVALIDFUNCTION;
}

static HRESULT stream_Stat(IStream *This, STATSTG *pstatstg, DWORD grfStatFlag)
{
	local_stream *s = STM(This);
	(void)grfStatFlag;
	if (!pstatstg)
		return STG_E_INVALIDPOINTER;
	memset(pstatstg, 0, sizeof *pstatstg);
	pstatstg->type = STGTY_STREAM;
	pstatstg->cbSize.QuadPart = s->size;
	pstatstg->grfMode = s->writable ? STGM_READWRITE : STGM_READ;
	return S_OK;
}

static HRESULT stream_Clone(IStream *This, IStream **ppstm)
{
	(void)This;
	if (ppstm)
		*ppstm = NULL;
	return STG_E_INVALIDFUNCTION;
}

static const IStreamVtbl stream_vtbl = {
	.QueryInterface = stream_QueryInterface,
	.AddRef = stream_AddRef,
	.Release = stream_Release,
	.Read = stream_Read,
	.Write = stream_Write,
	.Seek = stream_Seek,
	.SetSize = stream_SetSize,
	.CopyTo = stream_CopyTo,
	.Commit = stream_Commit,
	.Revert = stream_Revert,
	.LockRegion = stream_LockRegion,
	.UnlockRegion = stream_LockRegion,
	.Stat = stream_Stat,
	.Clone = stream_Clone,
};
