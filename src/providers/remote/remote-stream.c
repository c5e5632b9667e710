/*
 * remote-stream.c — IStream on a property of a mailbox hosted by mapixd
 * (OpenProperty). Large values travel in chunks of at most
 * MAPIX_PROTO_STREAM_CHUNK bytes: Read and Write loop until the caller's
 * buffer is done (a short read means the end of the stream, as callers
 * expect of a local stream).
 */
#include <string.h>

#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))

static HRESULT stream_QueryInterface(IStream *This, REFIID riid, LPVOID *ppv)
{
	return remote_prop_QueryInterface(This, riid, ppv);
}

static ULONG stream_AddRef(IStream *This)
{
	return remote_prop_AddRef(This);
}

static ULONG stream_Release(IStream *This)
{
	return remote_prop_Release(This);
}

static HRESULT stream_Read(IStream *This, void *pv, ULONG cb, ULONG *pcbRead)
{
	ULONG done = 0;
	HRESULT hr = S_OK;
	if (pcbRead)
		*pcbRead = 0;
	if (!pv && cb)
		return STG_E_INVALIDPOINTER;
	while (done < cb) {
		ULONG want = cb - done > MAPIX_PROTO_STREAM_CHUNK ? MAPIX_PROTO_STREAM_CHUNK : cb - done;
		rcall c;
		RC_OBJ(&c, This, MPX_OP_STREAM_READ);
		RC_PUT(&c, mapix_wire_put_u32(&c.req, want));
		hr = rc_run(&c, "IStream::Read");
		ULONG got = 0;
		const BYTE *pb;
		if (SUCCEEDED(hr)) {
			if (FAILED(mapix_wire_get_u32(&c.out, &got)) || got > want || FAILED(mapix_wire_get_bytes(&c.out, got, &pb)))
				hr = rc_bad_reply(&c, "IStream::Read");
			else
				memcpy((BYTE *)pv + done, pb, got);
		}
		rc_end(&c);
		if (FAILED(hr))
			break;
		done += got;
		if (got < want)
			break;
	}
	if (pcbRead)
		*pcbRead = done;
	return hr;
}

static HRESULT stream_Write(IStream *This, const void *pv, ULONG cb, ULONG *pcbWritten)
{
	ULONG done = 0;
	HRESULT hr = S_OK;
	if (pcbWritten)
		*pcbWritten = 0;
	if (!pv && cb)
		return STG_E_INVALIDPOINTER;
	do {
		ULONG n = cb - done > MAPIX_PROTO_STREAM_CHUNK ? MAPIX_PROTO_STREAM_CHUNK : cb - done;
		rcall c;
		RC_OBJ(&c, This, MPX_OP_STREAM_WRITE);
		RC_PUT(&c, mapix_proto_put_bin(&c.req, n, (const BYTE *)pv + done));
		hr = rc_run(&c, "IStream::Write");
		ULONG wrote = 0;
		if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u32(&c.out, &wrote)) || wrote > n))
			hr = rc_bad_reply(&c, "IStream::Write");
		rc_end(&c);
		if (FAILED(hr))
			break;
		done += wrote;
		if (wrote < n)
			break;
	} while (done < cb);
	if (pcbWritten)
		*pcbWritten = done;
	return hr;
}

static HRESULT stream_Seek(IStream *This, LARGE_INTEGER dlibMove, DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_SEEK);
	RC_PUT(&c, mapix_wire_put_u64(&c.req, (ULONGLONG)dlibMove.QuadPart));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dwOrigin));
	HRESULT hr = rc_run(&c, "IStream::Seek");
	ULONGLONG pos = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u64(&c.out, &pos)))
		hr = rc_bad_reply(&c, "IStream::Seek");
	if (SUCCEEDED(hr) && plibNewPosition)
		plibNewPosition->QuadPart = pos;
	rc_end(&c);
	return hr;
}

static HRESULT stream_SetSize(IStream *This, ULARGE_INTEGER libNewSize)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_SETSIZE);
	RC_PUT(&c, mapix_wire_put_u64(&c.req, libNewSize.QuadPart));
	HRESULT hr = rc_run(&c, "IStream::SetSize");
	rc_end(&c);
	return hr;
}

static HRESULT stream_CopyTo(IStream *This, IStream *pstm, ULARGE_INTEGER cb, ULARGE_INTEGER *pcbRead,
                             ULARGE_INTEGER *pcbWritten)
{
	if (!pstm)
		return STG_E_INVALIDPOINTER;
	uint32_t dest = remote_obj_handle_of(OBJ(This)->conn, pstm);
	if (!dest) {
		/* Another kind of stream: copy through this process. */
		BYTE buf[65536];
		ULONGLONG left = cb.QuadPart, rd = 0, wr = 0;
		HRESULT hr = S_OK;
		while (left) {
			ULONG n = left > sizeof buf ? (ULONG)sizeof buf : (ULONG)left, got = 0, put = 0;
			if (FAILED(hr = stream_Read(This, buf, n, &got)) || got == 0)
				break;
			rd += got;
			if (FAILED(hr = IStream_Write(pstm, buf, got, &put)))
				break;
			wr += put;
			left -= got;
			if (got < n)
				break;
		}
		if (pcbRead)
			pcbRead->QuadPart = rd;
		if (pcbWritten)
			pcbWritten->QuadPart = wr;
		return hr;
	}
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_COPYTO);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dest));
	RC_PUT(&c, mapix_wire_put_u64(&c.req, cb.QuadPart));
	HRESULT hr = rc_run(&c, "IStream::CopyTo");
	ULONGLONG rd = 0, wr = 0;
	if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u64(&c.out, &rd)) || FAILED(mapix_wire_get_u64(&c.out, &wr))))
		hr = rc_bad_reply(&c, "IStream::CopyTo");
	if (SUCCEEDED(hr)) {
		if (pcbRead)
			pcbRead->QuadPart = rd;
		if (pcbWritten)
			pcbWritten->QuadPart = wr;
	}
	rc_end(&c);
	return hr;
}

static HRESULT stream_Commit(IStream *This, DWORD grfCommitFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_COMMIT);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, grfCommitFlags));
	HRESULT hr = rc_run(&c, "IStream::Commit");
	rc_end(&c);
	return hr;
}

static HRESULT stream_Revert(IStream *This)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_REVERT);
	HRESULT hr = rc_run(&c, "IStream::Revert");
	rc_end(&c);
	return hr;
}

static HRESULT stream_LockRegion(IStream *This, ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType)
{
	(void)This, (void)libOffset, (void)cb, (void)dwLockType;
	return STG_E_INVALIDFUNCTION;
}

static HRESULT stream_UnlockRegion(IStream *This, ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType)
{
	(void)This, (void)libOffset, (void)cb, (void)dwLockType;
	return STG_E_INVALIDFUNCTION;
}

static HRESULT stream_Stat(IStream *This, STATSTG *pstatstg, DWORD grfStatFlag)
{
	if (!pstatstg)
		return STG_E_INVALIDPOINTER;
	memset(pstatstg, 0, sizeof *pstatstg);
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_STAT);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, grfStatFlag));
	HRESULT hr = rc_run(&c, "IStream::Stat");
	if (SUCCEEDED(hr)) {
		ULONG type, mode, locks, bits, t[6];
		ULONGLONG size;
		const BYTE *clsid;
		BOOL ok = SUCCEEDED(mapix_wire_get_u32(&c.out, &type)) && SUCCEEDED(mapix_wire_get_u64(&c.out, &size));
		for (int i = 0; ok && i < 6; i++)
			ok = SUCCEEDED(mapix_wire_get_u32(&c.out, &t[i]));
		ok = ok && SUCCEEDED(mapix_wire_get_u32(&c.out, &mode)) && SUCCEEDED(mapix_wire_get_u32(&c.out, &locks)) &&
		     SUCCEEDED(mapix_wire_get_bytes(&c.out, sizeof(CLSID), &clsid)) &&
		     SUCCEEDED(mapix_wire_get_u32(&c.out, &bits));
		if (!ok) {
			hr = rc_bad_reply(&c, "IStream::Stat");
		} else {
			pstatstg->type = type;
			pstatstg->cbSize.QuadPart = size;
			FILETIME *times[] = {&pstatstg->mtime, &pstatstg->ctime, &pstatstg->atime};
			for (int i = 0; i < 3; i++) {
				times[i]->dwLowDateTime = t[2 * i];
				times[i]->dwHighDateTime = t[2 * i + 1];
			}
			pstatstg->grfMode = mode;
			pstatstg->grfLocksSupported = locks;
			memcpy(&pstatstg->clsid, clsid, sizeof(CLSID));
			pstatstg->grfStateBits = bits;
		}
	}
	rc_end(&c);
	return hr;
}

static HRESULT stream_Clone(IStream *This, IStream **ppstm)
{
	if (!ppstm)
		return STG_E_INVALIDPOINTER;
	*ppstm = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_STREAM_CLONE);
	HRESULT hr = rc_run(&c, "IStream::Clone");
	if (SUCCEEDED(hr))
		hr = remote_obj_from_reply(&c, OBJ(This)->logon, &IID_IStream, (LPUNKNOWN *)ppstm);
	rc_end(&c);
	return hr;
}

const IStreamVtbl remote_stream_vtbl = {
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
	.UnlockRegion = stream_UnlockRegion,
	.Stat = stream_Stat,
	.Clone = stream_Clone,
};
