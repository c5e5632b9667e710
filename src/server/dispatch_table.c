/*
 * dispatch_table.c — IMAPITable and IStream on the server's objects.
 *
 * QueryRows answers at most [limits] max_rows rows per call (MAPI lets a
 * table return fewer rows than asked; HrQueryAllRows and the remote
 * provider ask again). Stream reads and writes move at most
 * MAPIX_PROTO_STREAM_CHUNK bytes per request, so large values travel in
 * pieces and never as one frame.
 */
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "server.h"

#define TABLE(r) ((LPMAPITABLE)(r)->h.obj)
#define STREAM(r) ((LPSTREAM)(r)->h.obj)

static HRESULT put_rows_free(srv_req *r, LPSRowSet rows)
{
	HRESULT hr = mapix_proto_put_rows(&r->out, rows);
	if (rows)
		FreeProws(rows);
	return hr;
}

static HRESULT op_getstatus(srv_req *r)
{
	ULONG status = 0, type = 0;
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_GetStatus(TABLE(r), &status, &type);
	if (SUCCEEDED(hr)) {
		SRV_OUT(mapix_wire_put_u32(&r->out, status));
		SRV_OUT(mapix_wire_put_u32(&r->out, type));
	}
	return hr;
}

static HRESULT op_setcolumns(srv_req *r)
{
	LPSPropTagArray tags;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &tags));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPITable_SetColumns(TABLE(r), tags, flags);
}

static HRESULT op_querycolumns(srv_req *r)
{
	ULONG flags;
	LPSPropTagArray tags = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_QueryColumns(TABLE(r), flags, &tags);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_tags(&r->out, tags);
		if (FAILED(e))
			hr = e;
	}
	if (tags)
		MAPIFreeBuffer(tags);
	return hr;
}

static HRESULT op_getrowcount(srv_req *r)
{
	ULONG flags, count = 0;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_GetRowCount(TABLE(r), flags, &count);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, count));
	return hr;
}

static HRESULT op_seekrow(srv_req *r)
{
	ULONGLONG bk;
	ULONG count;
	LONG sought = 0;
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &bk));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &count));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_SeekRow(TABLE(r), (BOOKMARK)bk, (LONG)count, &sought);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, (ULONG)sought));
	return hr;
}

static HRESULT op_seekrowapprox(srv_req *r)
{
	ULONG num, den;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &num));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &den));
	SRV_ARGS_END(r);
	return IMAPITable_SeekRowApprox(TABLE(r), num, den);
}

static HRESULT op_queryposition(srv_req *r)
{
	ULONG row = 0, num = 0, den = 0;
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_QueryPosition(TABLE(r), &row, &num, &den);
	if (SUCCEEDED(hr)) {
		SRV_OUT(mapix_wire_put_u32(&r->out, row));
		SRV_OUT(mapix_wire_put_u32(&r->out, num));
		SRV_OUT(mapix_wire_put_u32(&r->out, den));
	}
	return hr;
}

static HRESULT op_findrow(srv_req *r)
{
	LPSRestriction res;
	ULONGLONG bk;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_restriction(&r->in, &r->arena, &res));
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &bk));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPITable_FindRow(TABLE(r), res, (BOOKMARK)bk, flags);
}

static HRESULT op_restrict(srv_req *r)
{
	LPSRestriction res;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_restriction(&r->in, &r->arena, &res));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (!r->h.acl.hier)
		return IMAPITable_Restrict(TABLE(r), res, flags);
	/* A folder-permission logon's hierarchy table keeps hiding the folders
	 * it may not see, whatever the client restricts it to (acl.c). */
	LPSRestriction hide = NULL;
	HRESULT hr = srv_acl_hidden_folders(r->h.logon, &hide);
	if (FAILED(hr))
		return hr;
	if (!hide)
		return IMAPITable_Restrict(TABLE(r), res, flags);
	SRestriction both[2], and_res;
	and_res.rt = RES_AND;
	and_res.res.resAnd.cRes = 2;
	and_res.res.resAnd.lpRes = both;
	both[0] = *hide;
	if (res)
		both[1] = *res;
	hr = IMAPITable_Restrict(TABLE(r), res ? &and_res : hide, flags);
	MAPIFreeBuffer(hide);
	return hr;
}

static HRESULT op_createbookmark(srv_req *r)
{
	BOOKMARK bk = 0;
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_CreateBookmark(TABLE(r), &bk);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u64(&r->out, (ULONGLONG)bk));
	return hr;
}

static HRESULT op_freebookmark(srv_req *r)
{
	ULONGLONG bk;
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &bk));
	SRV_ARGS_END(r);
	return IMAPITable_FreeBookmark(TABLE(r), (BOOKMARK)bk);
}

static HRESULT op_sorttable(srv_req *r)
{
	LPSSortOrderSet sort;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_sort(&r->in, &r->arena, &sort));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPITable_SortTable(TABLE(r), sort, flags);
}

static HRESULT op_querysortorder(srv_req *r)
{
	LPSSortOrderSet sort = NULL;
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_QuerySortOrder(TABLE(r), &sort);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_sort(&r->out, sort);
		if (FAILED(e))
			hr = e;
	}
	if (sort)
		MAPIFreeBuffer(sort);
	return hr;
}

static HRESULT op_queryrows(srv_req *r)
{
	ULONG count, flags;
	LPSRowSet rows = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &count));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	LONG n = (LONG)count, max = (LONG)r->conn->srv->cfg.max_rows;
	if (n > max)
		n = max;
	else if (n < -max)
		n = -max;
	HRESULT hr = IMAPITable_QueryRows(TABLE(r), n, flags, &rows);
	if (SUCCEEDED(hr))
		return put_rows_free(r, rows);
	if (rows)
		FreeProws(rows);
	return hr;
}

static HRESULT op_abort(srv_req *r)
{
	SRV_ARGS_END(r);
	return IMAPITable_Abort(TABLE(r));
}

static HRESULT op_expandrow(srv_req *r)
{
	ULONG cb, count, flags, more = 0;
	BYTE *key;
	LPSRowSet rows = NULL;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &key));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &count));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (count > r->conn->srv->cfg.max_rows)
		count = r->conn->srv->cfg.max_rows;
	HRESULT hr = IMAPITable_ExpandRow(TABLE(r), cb, key, count, flags, &rows, &more);
	if (SUCCEEDED(hr)) {
		SRV_OUT(mapix_wire_put_u32(&r->out, more));
		return put_rows_free(r, rows);
	}
	if (rows)
		FreeProws(rows);
	return hr;
}

static HRESULT op_collapserow(srv_req *r)
{
	ULONG cb, flags, count = 0;
	BYTE *key;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &key));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_CollapseRow(TABLE(r), cb, key, flags, &count);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, count));
	return hr;
}

static HRESULT op_waitforcompletion(srv_req *r)
{
	ULONG flags, timeout, status = 0;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &timeout));
	SRV_ARGS_END(r);
	/* Never let one request hold the connection for long. */
	if (timeout > r->conn->srv->cfg.io_timeout_ms)
		timeout = r->conn->srv->cfg.io_timeout_ms;
	HRESULT hr = IMAPITable_WaitForCompletion(TABLE(r), flags, timeout, &status);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, status));
	return hr;
}

static HRESULT op_table_advise(srv_req *r)
{
	ULONG mask, id;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &mask));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &id));
	SRV_ARGS_END(r);
	return srv_advise_add(r->conn, r->h.obj, TRUE, 0, NULL, mask, id);
}

static HRESULT op_table_unadvise(srv_req *r)
{
	ULONG id;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &id));
	SRV_ARGS_END(r);
	return srv_advise_remove(r->conn, id);
}

static HRESULT op_getcollapsestate(srv_req *r)
{
	ULONG flags, cb, cb_state = 0;
	BYTE *key;
	LPBYTE state = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &key));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_GetCollapseState(TABLE(r), flags, cb, key, &cb_state, &state);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_bin(&r->out, cb_state, state);
		if (FAILED(e))
			hr = e;
	}
	if (state)
		MAPIFreeBuffer(state);
	return hr;
}

static HRESULT op_setcollapsestate(srv_req *r)
{
	ULONG flags, cb;
	BYTE *state;
	BOOKMARK bk = 0;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &state));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPITable_SetCollapseState(TABLE(r), flags, cb, state, &bk);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u64(&r->out, (ULONGLONG)bk));
	return hr;
}

#define R SRV_ACC_READ
#define KT SRV_K(MPX_OBJ_TABLE)

const srv_op srv_ops_table[] = {
	{MPX_OP_TABLE_GETSTATUS, op_getstatus, KT, R, "GetStatus"},
	{MPX_OP_TABLE_SETCOLUMNS, op_setcolumns, KT, R, "SetColumns"},
	{MPX_OP_TABLE_QUERYCOLUMNS, op_querycolumns, KT, R, "QueryColumns"},
	{MPX_OP_TABLE_GETROWCOUNT, op_getrowcount, KT, R, "GetRowCount"},
	{MPX_OP_TABLE_SEEKROW, op_seekrow, KT, R, "SeekRow"},
	{MPX_OP_TABLE_SEEKROWAPPROX, op_seekrowapprox, KT, R, "SeekRowApprox"},
	{MPX_OP_TABLE_QUERYPOSITION, op_queryposition, KT, R, "QueryPosition"},
	{MPX_OP_TABLE_FINDROW, op_findrow, KT, R, "FindRow"},
	{MPX_OP_TABLE_RESTRICT, op_restrict, KT, R, "Restrict"},
	{MPX_OP_TABLE_CREATEBOOKMARK, op_createbookmark, KT, R, "CreateBookmark"},
	{MPX_OP_TABLE_FREEBOOKMARK, op_freebookmark, KT, R, "FreeBookmark"},
	{MPX_OP_TABLE_SORTTABLE, op_sorttable, KT, R, "SortTable"},
	{MPX_OP_TABLE_QUERYSORTORDER, op_querysortorder, KT, R, "QuerySortOrder"},
	{MPX_OP_TABLE_QUERYROWS, op_queryrows, KT, R, "QueryRows"},
	{MPX_OP_TABLE_ABORT, op_abort, KT, R, "Abort"},
	{MPX_OP_TABLE_EXPANDROW, op_expandrow, KT, R, "ExpandRow"},
	{MPX_OP_TABLE_COLLAPSEROW, op_collapserow, KT, R, "CollapseRow"},
	{MPX_OP_TABLE_WAITFORCOMPLETION, op_waitforcompletion, KT, R, "WaitForCompletion"},
	{MPX_OP_TABLE_ADVISE, op_table_advise, KT, R, "Advise(table)"},
	{MPX_OP_TABLE_UNADVISE, op_table_unadvise, KT, 0, "Unadvise(table)"},
	{MPX_OP_TABLE_GETCOLLAPSESTATE, op_getcollapsestate, KT, R, "GetCollapseState"},
	{MPX_OP_TABLE_SETCOLLAPSESTATE, op_setcollapsestate, KT, R, "SetCollapseState"},
	{0, NULL, 0, 0, NULL},
};

/* ---- IStream ------------------------------------------------------------------------------ */

static HRESULT op_read(srv_req *r)
{
	ULONG cb, got = 0;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &cb));
	SRV_ARGS_END(r);
	if (cb > MAPIX_PROTO_STREAM_CHUNK)
		cb = MAPIX_PROTO_STREAM_CHUNK;
	BYTE *buf;
	HRESULT hr = mapix_proto_arena_alloc(&r->arena, cb, (void **)&buf);
	if (FAILED(hr))
		return hr;
	hr = IStream_Read(STREAM(r), buf, cb, &got);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_proto_put_bin(&r->out, got > cb ? cb : got, buf));
	return hr;
}

static HRESULT op_write(srv_req *r)
{
	ULONG cb, written = 0;
	BYTE *pb;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &pb));
	SRV_ARGS_END(r);
	HRESULT hr = IStream_Write(STREAM(r), pb ? pb : (BYTE *)"", cb, &written);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, written));
	return hr;
}

static HRESULT op_seek(srv_req *r)
{
	ULONGLONG move;
	ULONG origin;
	ULARGE_INTEGER pos = {.QuadPart = 0};
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &move));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &origin));
	SRV_ARGS_END(r);
	LARGE_INTEGER li = {.QuadPart = (LONGLONG)move};
	HRESULT hr = IStream_Seek(STREAM(r), li, origin, &pos);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u64(&r->out, pos.QuadPart));
	return hr;
}

static HRESULT op_setsize(srv_req *r)
{
	ULONGLONG size;
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &size));
	SRV_ARGS_END(r);
	ULARGE_INTEGER li = {.QuadPart = size};
	return IStream_SetSize(STREAM(r), li);
}

static HRESULT op_stream_copyto(srv_req *r)
{
	ULONG dest_id;
	ULONGLONG cb;
	srv_handle dest;
	ULARGE_INTEGER rd = {.QuadPart = 0}, wr = {.QuadPart = 0};
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &dest_id));
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &cb));
	SRV_ARGS_END(r);
	HRESULT hr = srv_conn_get_handle(r->conn, dest_id, SRV_K(MPX_OBJ_STREAM), &dest);
	if (FAILED(hr))
		return hr;
	if (SUCCEEDED(hr = srv_rights_check(r->conn, &dest, SRV_ACC_WRITE, "IStream::CopyTo"))) {
		ULARGE_INTEGER n = {.QuadPart = cb};
		hr = IStream_CopyTo(STREAM(r), (LPSTREAM)dest.obj, n, &rd, &wr);
	}
	srv_handle_put(&dest);
	if (SUCCEEDED(hr)) {
		SRV_OUT(mapix_wire_put_u64(&r->out, rd.QuadPart));
		SRV_OUT(mapix_wire_put_u64(&r->out, wr.QuadPart));
	}
	return hr;
}

static HRESULT op_commit(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IStream_Commit(STREAM(r), flags);
}

static HRESULT op_revert(srv_req *r)
{
	SRV_ARGS_END(r);
	return IStream_Revert(STREAM(r));
}

static HRESULT op_stat(srv_req *r)
{
	ULONG flags;
	STATSTG st;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	memset(&st, 0, sizeof st);
	/* Names are not carried: ask without one. */
	HRESULT hr = IStream_Stat(STREAM(r), &st, flags | STATFLAG_NONAME);
	if (st.pwcsName)
		MAPIFreeBuffer(st.pwcsName);
	if (FAILED(hr))
		return hr;
	SRV_OUT(mapix_wire_put_u32(&r->out, st.type));
	SRV_OUT(mapix_wire_put_u64(&r->out, st.cbSize.QuadPart));
	const FILETIME *times[] = {&st.mtime, &st.ctime, &st.atime};
	for (int i = 0; i < 3; i++) {
		SRV_OUT(mapix_wire_put_u32(&r->out, times[i]->dwLowDateTime));
		SRV_OUT(mapix_wire_put_u32(&r->out, times[i]->dwHighDateTime));
	}
	SRV_OUT(mapix_wire_put_u32(&r->out, st.grfMode));
	SRV_OUT(mapix_wire_put_u32(&r->out, st.grfLocksSupported));
	SRV_OUT(mapix_wire_put_bytes(&r->out, &st.clsid, sizeof st.clsid));
	SRV_OUT(mapix_wire_put_u32(&r->out, st.grfStateBits));
	return hr;
}

static HRESULT op_clone(srv_req *r)
{
	LPSTREAM clone = NULL;
	SRV_ARGS_END(r);
	HRESULT hr = IStream_Clone(STREAM(r), &clone);
	if (FAILED(hr))
		return hr;
	return srv_reply_object(r, (LPUNKNOWN)clone, MPX_OBJ_STREAM, r->h.access);
}

#define W SRV_ACC_WRITE
#define KST SRV_K(MPX_OBJ_STREAM)

const srv_op srv_ops_stream[] = {
	{MPX_OP_STREAM_READ, op_read, KST, R, "IStream::Read"},
	{MPX_OP_STREAM_WRITE, op_write, KST, W, "IStream::Write"},
	{MPX_OP_STREAM_SEEK, op_seek, KST, R | W, "IStream::Seek"},
	{MPX_OP_STREAM_SETSIZE, op_setsize, KST, W, "IStream::SetSize"},
	{MPX_OP_STREAM_COPYTO, op_stream_copyto, KST, R, "IStream::CopyTo"},
	{MPX_OP_STREAM_COMMIT, op_commit, KST, W, "IStream::Commit"},
	{MPX_OP_STREAM_REVERT, op_revert, KST, W, "IStream::Revert"},
	{MPX_OP_STREAM_STAT, op_stat, KST, R | W, "IStream::Stat"},
	{MPX_OP_STREAM_CLONE, op_clone, KST, R, "IStream::Clone"},
	{0, NULL, 0, 0, NULL},
};
