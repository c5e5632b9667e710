/*
 * mime-stream.c — an IStream over a memory buffer. The converter needs
 * streams where no store is behind them: the in-memory message's large
 * properties and WrapCompressedRTFStream's uncompressed view. A commit
 * hook lets the owner take the contents on Commit (and a release hook
 * frees the owner's context when the stream goes away).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

typedef struct memstream {
	IStream iface;
	atomic_uint refs;
	BYTE *data;
	size_t len, cap, pos;
	mapix_mime_commit_fn *commit;
	mapix_mime_release_fn *release;
	void *ctx;
} memstream;

#define MS(This) ((memstream *)(void *)(This))

static HRESULT ms_QueryInterface(IStream *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IStream) ||
	    IsEqualGUID(riid, &IID_ISequentialStream)) {
		atomic_fetch_add(&MS(This)->refs, 1);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG ms_AddRef(IStream *This)
{
	return atomic_fetch_add(&MS(This)->refs, 1) + 1;
}

static ULONG ms_Release(IStream *This)
{
	memstream *s = MS(This);
	ULONG left = atomic_fetch_sub(&s->refs, 1) - 1;
	if (left == 0) {
		if (s->release)
			s->release(s->ctx);
		free(s->data);
		free(s);
	}
	return left;
}

static HRESULT ms_Read(IStream *This, void *pv, ULONG cb, ULONG *pcbRead)
{
	memstream *s = MS(This);
	size_t n = 0;

	if (!pv && cb)
		return MAPI_E_INVALID_PARAMETER;
	if (s->pos < s->len)
		n = s->len - s->pos < cb ? s->len - s->pos : cb;
	if (n)
		memcpy(pv, s->data + s->pos, n);
	s->pos += n;
	if (pcbRead)
		*pcbRead = (ULONG)n;
	return S_OK;
}

static HRESULT ms_reserve(memstream *s, size_t need)
{
	if (need <= s->cap)
		return S_OK;
	size_t cap = s->cap ? s->cap : 4096;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IStream::Write: stream too large");
		cap *= 2;
	}
	BYTE *p = realloc(s->data, cap);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IStream::Write: out of memory");
	s->data = p;
	s->cap = cap;
	return S_OK;
}

static HRESULT ms_Write(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten)
{
	memstream *s = MS(This);
	HRESULT hr;

	if (!pv && cb)
		return MAPI_E_INVALID_PARAMETER;
	if ((hr = ms_reserve(s, s->pos + cb)) != S_OK)
		return hr;
	if (s->pos > s->len)
		memset(s->data + s->len, 0, s->pos - s->len);
	if (cb)
		memcpy(s->data + s->pos, pv, cb);
	s->pos += cb;
	if (s->pos > s->len)
		s->len = s->pos;
	if (pcbWritten)
		*pcbWritten = cb;
	return S_OK;
}

static HRESULT ms_Seek(IStream *This, LARGE_INTEGER dlibMove, DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition)
{
	memstream *s = MS(This);
	int64_t base;

	switch (dwOrigin) {
	case STREAM_SEEK_SET: base = 0; break;
	case STREAM_SEEK_CUR: base = (int64_t)s->pos; break;
	case STREAM_SEEK_END: base = (int64_t)s->len; break;
	default: return mapix_error(MAPI_E_INVALID_PARAMETER, "IStream::Seek: bad origin %u", (unsigned)dwOrigin);
	}
	if ((dlibMove.QuadPart < 0 && base + dlibMove.QuadPart < 0) ||
	    (dlibMove.QuadPart > 0 && dlibMove.QuadPart > INT64_MAX - base))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IStream::Seek: position out of range");
	s->pos = (size_t)(base + dlibMove.QuadPart);
	if (plibNewPosition)
		plibNewPosition->QuadPart = s->pos;
	return S_OK;
}

static HRESULT ms_SetSize(IStream *This, ULARGE_INTEGER libNewSize)
{
	memstream *s = MS(This);
	HRESULT hr;

	if (libNewSize.QuadPart > SIZE_MAX / 2)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IStream::SetSize: too large");
	size_t n = (size_t)libNewSize.QuadPart;
	if ((hr = ms_reserve(s, n)) != S_OK)
		return hr;
	if (n > s->len)
		memset(s->data + s->len, 0, n - s->len);
	s->len = n;
	return S_OK;
}

static HRESULT ms_CopyTo(IStream *This, IStream *pstm, ULARGE_INTEGER cb, ULARGE_INTEGER *pcbRead,
                         ULARGE_INTEGER *pcbWritten)
{
	memstream *s = MS(This);
	uint64_t avail = s->pos < s->len ? s->len - s->pos : 0, done = 0;
	uint64_t want = cb.QuadPart < avail ? cb.QuadPart : avail;
	HRESULT hr = S_OK;

	while (done < want) {
		ULONG chunk = want - done > 0x10000000 ? 0x10000000 : (ULONG)(want - done), w = 0;
		if ((hr = IStream_Write(pstm, s->data + s->pos, chunk, &w)) != S_OK)
			break;
		s->pos += w;
		done += w;
		if (w < chunk)
			break;
	}
	if (pcbRead)
		pcbRead->QuadPart = done;
	if (pcbWritten)
		pcbWritten->QuadPart = done;
	return hr;
}

static HRESULT ms_Commit(IStream *This, DWORD grfCommitFlags)
{
	memstream *s = MS(This);
	if (!s->commit)
		return S_OK;
	return s->commit(s->ctx, s->data ? s->data : (const BYTE *)"", s->len);
}

static HRESULT ms_Revert(IStream *This)
{
	return S_OK;
}

static HRESULT ms_LockRegion(IStream *This, ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IStream::LockRegion: memory streams have no region locks");
}

static HRESULT ms_Stat(IStream *This, STATSTG *pstatstg, DWORD grfStatFlag)
{
	if (!pstatstg)
		return MAPI_E_INVALID_PARAMETER;
	memset(pstatstg, 0, sizeof *pstatstg);
	pstatstg->type = STGTY_STREAM;
	pstatstg->cbSize.QuadPart = MS(This)->len;
	pstatstg->grfMode = STGM_READWRITE;
	return S_OK;
}

static HRESULT ms_Clone(IStream *This, IStream **ppstm)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "IStream::Clone: not supported on memory streams");
}

static const IStreamVtbl memstream_vtbl = {
	ms_QueryInterface, ms_AddRef, ms_Release,  ms_Read,         ms_Write,         ms_Seek,   ms_SetSize,
	ms_CopyTo,         ms_Commit, ms_Revert,   ms_LockRegion,   ms_LockRegion,    ms_Stat,   ms_Clone,
};

HRESULT mapix_mime_memstream_new(const void *data, size_t len, mapix_mime_commit_fn *commit,
                                 mapix_mime_release_fn *release, void *ctx, LPSTREAM *lppStream)
{
	memstream *s = calloc(1, sizeof *s);
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime_memstream_new: out of memory");
	s->iface.lpVtbl = &memstream_vtbl;
	atomic_init(&s->refs, 1);
	if (len && ms_reserve(s, len) != S_OK) {
		free(s);
		return MAPI_E_NOT_ENOUGH_MEMORY;
	}
	if (len)
		memcpy(s->data, data, len);
	s->len = len;
	s->commit = commit;
	s->release = release;
	s->ctx = ctx;
	*lppStream = &s->iface;
	return S_OK;
}

HRESULT mapix_mime_stream_read_all(LPSTREAM stream, GByteArray **out)
{
	GByteArray *buf = g_byte_array_new();
	BYTE chunk[65536];
	HRESULT hr;

	for (;;) {
		ULONG got = 0;
		if ((hr = IStream_Read(stream, chunk, sizeof chunk, &got)) != S_OK) {
			g_byte_array_unref(buf);
			return hr;
		}
		if (got == 0)
			break;
		g_byte_array_append(buf, chunk, got);
	}
	*out = buf;
	return S_OK;
}
