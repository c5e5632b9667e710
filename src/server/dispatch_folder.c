/*
 * dispatch_folder.c — IMAPIFolder operations on a hosted mailbox. Copies
 * and moves name the destination folder by handle (same connection), and
 * need write access there; a move also needs it on the source.
 */
#include <string.h>

#include "core/error.h"
#include "server.h"

#define FOLDER(r) ((LPMAPIFOLDER)(r)->h.obj)

static HRESULT op_table(srv_req *r)
{
	ULONG flags;
	LPMAPITABLE t = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = r->op == MPX_OP_FOLDER_CONTENTSTABLE ? IMAPIFolder_GetContentsTable(FOLDER(r), flags, &t)
	                                                  : IMAPIFolder_GetHierarchyTable(FOLDER(r), flags, &t);
	if (FAILED(hr))
		return hr;
	HRESULT rhr = srv_reply_object(r, (LPUNKNOWN)t, MPX_OBJ_TABLE, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_setsearch(srv_req *r)
{
	LPSRestriction res;
	LPENTRYLIST list;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_restriction(&r->in, &r->arena, &res));
	SRV_ARG(r, mapix_proto_get_entrylist(&r->in, &r->arena, &list));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPIFolder_SetSearchCriteria(FOLDER(r), res, list, flags);
}

static HRESULT op_getsearch(srv_req *r)
{
	ULONG flags, state = 0;
	LPSRestriction res = NULL;
	LPENTRYLIST list = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPIFolder_GetSearchCriteria(FOLDER(r), flags, &res, &list, &state);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_wire_put_restriction(&r->out, res);
		if (SUCCEEDED(e))
			e = mapix_proto_put_entrylist(&r->out, list);
		if (SUCCEEDED(e))
			e = mapix_wire_put_u32(&r->out, state);
		if (FAILED(e))
			hr = e;
	}
	if (res)
		MAPIFreeBuffer(res);
	if (list)
		MAPIFreeBuffer(list);
	return hr;
}

static HRESULT op_createmessage(srv_req *r)
{
	GUID *iid;
	ULONG flags;
	LPMESSAGE msg = NULL;
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = srv_quota_check(r, FALSE, "CreateMessage");
	if (SUCCEEDED(hr))
		hr = IMAPIFolder_CreateMessage(FOLDER(r), iid, flags, &msg);
	if (FAILED(hr))
		return hr;
	/* A deliver logon composes the new message it makes: full rights on
	 * that one object (and what it opens), nothing else. */
	return srv_reply_object(r, (LPUNKNOWN)msg, MPX_OBJ_MESSAGE,
	                        (r->h.access & SRV_ACC_DELIVER) ? SRV_ACC_READ | SRV_ACC_WRITE : r->h.access);
}

/* The destination folder of a copy or move, by handle, with write access. */
static HRESULT dest_folder(srv_req *r, uint32_t id, srv_handle *dest, const char *op)
{
	HRESULT hr = srv_conn_get_handle(r->conn, id, SRV_K(MPX_OBJ_FOLDER), dest);
	if (hr == MAPI_E_INVALID_OBJECT)
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "%s: the destination is not a folder of this connection", op);
	if (SUCCEEDED(hr) && FAILED(hr = srv_rights_check(r->conn, dest, SRV_ACC_WRITE, op)))
		srv_handle_put(dest);
	return hr;
}

static HRESULT op_copymessages(srv_req *r)
{
	LPENTRYLIST list;
	GUID *iid;
	ULONG dest_id, flags;
	srv_handle dest;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_entrylist(&r->in, &r->arena, &list));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &dest_id));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if ((flags & MESSAGE_MOVE) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "CopyMessages(move)")))
		return hr;
	if (FAILED(hr = dest_folder(r, dest_id, &dest, "CopyMessages")))
		return hr;
	hr = IMAPIFolder_CopyMessages(FOLDER(r), list, iid, dest.obj, 0, NULL, flags);
	srv_handle_put(&dest);
	return hr;
}

static HRESULT op_list_flags(srv_req *r)
{
	LPENTRYLIST list;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_entrylist(&r->in, &r->arena, &list));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return r->op == MPX_OP_FOLDER_DELETEMESSAGES ? IMAPIFolder_DeleteMessages(FOLDER(r), list, 0, NULL, flags)
	                                             : IMAPIFolder_SetReadFlags(FOLDER(r), list, 0, NULL, flags);
}

static HRESULT op_createfolder(srv_req *r)
{
	ULONG type, flags;
	void *name, *comment;
	BOOL uni1, uni2;
	GUID *iid;
	LPMAPIFOLDER f = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &type));
	SRV_ARG(r, mapix_proto_get_tstr(&r->in, &r->arena, &name, &uni1));
	SRV_ARG(r, mapix_proto_get_tstr(&r->in, &r->arena, &comment, &uni2));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	BOOL uni = (flags & MAPI_UNICODE) != 0;
	if ((name && uni1 != uni) || (comment && uni2 != uni))
		return srv_req_bad(r);
	HRESULT hr = IMAPIFolder_CreateFolder(FOLDER(r), type, name, comment, iid, flags, &f);
	if (FAILED(hr))
		return hr;
	HRESULT rhr = srv_reply_object(r, (LPUNKNOWN)f, MPX_OBJ_FOLDER, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_copyfolder(srv_req *r)
{
	ULONG cb, dest_id, flags;
	BYTE *eid;
	GUID *iid;
	void *name;
	BOOL uni;
	srv_handle dest;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &dest_id));
	SRV_ARG(r, mapix_proto_get_tstr(&r->in, &r->arena, &name, &uni));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (name && uni != ((flags & MAPI_UNICODE) != 0))
		return srv_req_bad(r);
	if ((flags & FOLDER_MOVE) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "CopyFolder(move)")))
		return hr;
	if (FAILED(hr = dest_folder(r, dest_id, &dest, "CopyFolder")))
		return hr;
	hr = IMAPIFolder_CopyFolder(FOLDER(r), cb, (LPENTRYID)eid, iid, dest.obj, name, 0, NULL, flags);
	srv_handle_put(&dest);
	return hr;
}

static HRESULT op_deletefolder(srv_req *r)
{
	ULONG cb, flags;
	BYTE *eid;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPIFolder_DeleteFolder(FOLDER(r), cb, (LPENTRYID)eid, 0, NULL, flags);
}

static HRESULT op_getmessagestatus(srv_req *r)
{
	ULONG cb, flags, status = 0;
	BYTE *eid;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPIFolder_GetMessageStatus(FOLDER(r), cb, (LPENTRYID)eid, flags, &status);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, status));
	return hr;
}

static HRESULT op_setmessagestatus(srv_req *r)
{
	ULONG cb, status, mask, old = 0;
	BYTE *eid;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &status));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &mask));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPIFolder_SetMessageStatus(FOLDER(r), cb, (LPENTRYID)eid, status, mask, &old);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, old));
	return hr;
}

static HRESULT op_savecontentssort(srv_req *r)
{
	LPSSortOrderSet sort;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_sort(&r->in, &r->arena, &sort));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPIFolder_SaveContentsSort(FOLDER(r), sort, flags);
}

static HRESULT op_emptyfolder(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMAPIFolder_EmptyFolder(FOLDER(r), 0, NULL, flags);
}

#define R SRV_ACC_READ
#define W SRV_ACC_WRITE
#define KF SRV_K(MPX_OBJ_FOLDER)

const srv_op srv_ops_folder[] = {
	{MPX_OP_FOLDER_CONTENTSTABLE, op_table, KF, R, "GetContentsTable"},
	{MPX_OP_FOLDER_HIERARCHYTABLE, op_table, KF, R, "GetHierarchyTable"},
	{MPX_OP_FOLDER_SETSEARCHCRITERIA, op_setsearch, KF, W, "SetSearchCriteria"},
	{MPX_OP_FOLDER_GETSEARCHCRITERIA, op_getsearch, KF, R, "GetSearchCriteria"},
	{MPX_OP_FOLDER_CREATEMESSAGE, op_createmessage, KF, W | SRV_ACC_DELIVER, "CreateMessage"},
	{MPX_OP_FOLDER_COPYMESSAGES, op_copymessages, KF, R, "CopyMessages"},
	{MPX_OP_FOLDER_DELETEMESSAGES, op_list_flags, KF, W, "DeleteMessages"},
	{MPX_OP_FOLDER_CREATEFOLDER, op_createfolder, KF, W, "CreateFolder"},
	{MPX_OP_FOLDER_COPYFOLDER, op_copyfolder, KF, R, "CopyFolder"},
	{MPX_OP_FOLDER_DELETEFOLDER, op_deletefolder, KF, W, "DeleteFolder"},
	{MPX_OP_FOLDER_SETREADFLAGS, op_list_flags, KF, R, "SetReadFlags"},
	{MPX_OP_FOLDER_GETMESSAGESTATUS, op_getmessagestatus, KF, R, "GetMessageStatus"},
	{MPX_OP_FOLDER_SETMESSAGESTATUS, op_setmessagestatus, KF, W, "SetMessageStatus"},
	{MPX_OP_FOLDER_SAVECONTENTSSORT, op_savecontentssort, KF, W, "SaveContentsSort"},
	{MPX_OP_FOLDER_EMPTYFOLDER, op_emptyfolder, KF, W, "EmptyFolder"},
	{0, NULL, 0, 0, NULL},
};
