/*
 * dispatch_folder.c — IMAPIFolder operations on a hosted mailbox. Copies
 * and moves name the destination folder by handle (same connection), and
 * need write access there; a move also needs it on the source.
 *
 * Folder-permission logons (acl.c): hierarchy tables leave out the folders
 * the caller may not see; new messages record their creator; a new
 * subfolder makes its creator a member with the Owner role, as Exchange
 * does; deleting messages with frightsDeleteOwned alone checks each
 * message's creator.
 */
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "core/entryid.h"
#include "core/error.h"
#include "core/folder_rights.h"
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
	if ((r->h.access & SRV_ACC_ACL) && r->op == MPX_OP_FOLDER_HIERARCHYTABLE) {
		LPSRestriction hide = NULL;
		HRESULT e = srv_acl_hidden_folders(r->h.logon, &hide);
		if (SUCCEEDED(e) && hide)
			e = IMAPITable_Restrict(t, hide, 0);
		if (hide)
			MAPIFreeBuffer(hide);
		if (FAILED(e)) {
			IMAPITable_Release(t);
			return e;
		}
		r->child = r->h.acl;
		r->child.hier = 1;
		r->child_set = TRUE;
	}
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
	/* Who created it: what "owned" means for frightsEditOwned/DeleteOwned. */
	if (r->h.logon && FAILED(hr = srv_acl_set_creator(r->h.logon, msg))) {
		IMessage_Release(msg);
		return hr;
	}
	r->child = r->h.acl;
	r->child.owned = r->child.is_new = 1;
	r->child_set = TRUE;
	/* A deliver logon composes the new message it makes: full rights on
	 * that one object (and what it opens), nothing else. */
	return srv_reply_object(r, (LPUNKNOWN)msg, MPX_OBJ_MESSAGE,
	                        (r->h.access & SRV_ACC_DELIVER) ? SRV_ACC_READ | SRV_ACC_WRITE : r->h.access);
}

/* The destination folder of a copy or move, by handle, with write access
 * (on a folder-permission handle: the right to create items there). */
static HRESULT dest_folder(srv_req *r, uint32_t id, srv_handle *dest, const char *op)
{
	HRESULT hr = srv_conn_get_handle(r->conn, id, SRV_K(MPX_OBJ_FOLDER), dest);
	if (hr == MAPI_E_INVALID_OBJECT)
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "%s: the destination is not a folder of this connection", op);
	if (SUCCEEDED(hr) && FAILED(hr = (dest->access & SRV_ACC_ACL) ? srv_acl_check(r->conn, dest, SRV_ACL_CREATE, op)
	                                                               : srv_rights_check(r->conn, dest, SRV_ACC_WRITE, op)))
		srv_handle_put(dest);
	return hr;
}

/* A folder-permission logon deletes (or moves away) the messages of list:
 * every one with frightsDeleteAny, its own with frightsDeleteOwned. */
static HRESULT acl_may_delete(srv_req *r, LPENTRYLIST list, const char *op)
{
	if (!(r->h.access & SRV_ACC_ACL) || mapix_frights_allows(r->h.acl.frights, MAPIX_FOP_DELETE_ITEM, FALSE))
		return S_OK;
	if (!mapix_frights_allows(r->h.acl.frights, MAPIX_FOP_DELETE_ITEM, TRUE))
		return srv_acl_deny(r->conn, &r->h, op, "the folder's ACL does not let it delete items");
	for (ULONG i = 0; list && i < list->cValues; i++) {
		ULONG type = 0;
		LPUNKNOWN unk = NULL;
		HRESULT hr = IMAPIFolder_OpenEntry(FOLDER(r), list->lpbin[i].cb, (LPENTRYID)list->lpbin[i].lpb, NULL, 0,
		                                   &type, &unk);
		if (FAILED(hr))
			continue; /* the store reports what it cannot find */
		BOOL owned = type == MAPI_MESSAGE && srv_acl_owns(r->h.logon, (LPMESSAGE)unk);
		unk->lpVtbl->Release(unk);
		if (!owned)
			return srv_acl_deny(r->conn, &r->h, op, "frightsDeleteOwned: a message it did not create");
	}
	mapix_error_clear();
	return S_OK;
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
	if ((flags & MESSAGE_MOVE) && !(r->h.access & SRV_ACC_ACL) &&
	    FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "CopyMessages(move)")))
		return hr;
	if ((flags & MESSAGE_MOVE) && FAILED(hr = acl_may_delete(r, list, "CopyMessages(move)")))
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
	HRESULT hr;
	if (r->op == MPX_OP_FOLDER_DELETEMESSAGES && FAILED(hr = acl_may_delete(r, list, "DeleteMessages")))
		return hr;
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
	BOOL acl = (r->h.access & SRV_ACC_ACL) != 0;
	/* A folder-permission logon makes new folders only: opening an
	 * existing one goes through its ACL (OpenEntry). */
	HRESULT hr = IMAPIFolder_CreateFolder(FOLDER(r), type, name, comment, iid,
	                                      acl ? flags & ~(ULONG)OPEN_IF_EXISTS : flags, &f);
	if (FAILED(hr))
		return hr;
	if (acl) {
		/* Its creator owns the new folder (its own ACL row, Owner role). */
		LPEXCHANGEMODIFYTABLE m = NULL;
		SPropValue v[2];
		memset(v, 0, sizeof v);
		v[0].ulPropTag = PR_MAPIX_MEMBER_IDENTITY_A;
		v[0].Value.lpszA = r->h.logon->ids[0];
		v[1].ulPropTag = PR_MEMBER_RIGHTS;
		v[1].Value.l = ROLE_OWNER;
		ROWLIST list = {1, {{ROW_ADD, 2, v}}};
		HRESULT e = IMAPIFolder_OpenProperty(f, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, 0, (LPUNKNOWN *)&m);
		if (SUCCEEDED(e)) {
			e = IExchangeModifyTable_ModifyTable(m, 0, &list);
			IExchangeModifyTable_Release(m);
		}
		if (FAILED(e)) {
			IMAPIFolder_Release(f);
			return e;
		}
		r->child.frights = ROLE_OWNER;
		r->child_set = TRUE;
	}
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
	if (r->h.access & SRV_ACC_ACL) {
		/* Deleting a folder is administering it: frightsOwner on it. */
		enum mapix_entryid_kind kind;
		GUID guid;
		uint64_t fid = 0, mid = 0;
		ULONG rights = 0;
		HRESULT hr;
		if (FAILED(mapix_entryid_parse(cb, (const ENTRYID *)eid, &kind, &guid, &fid, &mid)) ||
		    kind != MAPIX_EID_FOLDER)
			return srv_acl_deny(r->conn, &r->h, "DeleteFolder", "not a folder entry ID of this mailbox");
		if (FAILED(hr = srv_acl_folder_rights(r->h.logon, fid, &rights)))
			return hr;
		if (!mapix_frights_allows(rights, MAPIX_FOP_ADMINISTER, FALSE))
			return srv_acl_deny(r->conn, &r->h, "DeleteFolder", "it does not own that folder");
	}
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
