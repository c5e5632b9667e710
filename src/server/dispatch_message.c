/*
 * dispatch_message.c — IMessage operations on a hosted mailbox: the
 * attachment and recipient tables, attachments, recipients, submission
 * and the read flag. The message stays transacted on the server: nothing
 * reaches the mailbox before the client's SaveChanges.
 */
#include <mapix/mapiutil.h>

#include "core/error.h"
#include "server.h"

#define MSG(r) ((LPMESSAGE)(r)->h.obj)

static HRESULT op_table(srv_req *r)
{
	ULONG flags;
	LPMAPITABLE t = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = r->op == MPX_OP_MSG_ATTACHMENTTABLE ? IMessage_GetAttachmentTable(MSG(r), flags, &t)
	                                                 : IMessage_GetRecipientTable(MSG(r), flags, &t);
	if (FAILED(hr))
		return hr;
	HRESULT rhr = srv_reply_object(r, (LPUNKNOWN)t, MPX_OBJ_TABLE, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_openattach(srv_req *r)
{
	ULONG num, flags;
	GUID *iid;
	LPATTACH att = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &num));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMessage_OpenAttach(MSG(r), num, iid, flags, &att);
	if (FAILED(hr))
		return hr;
	HRESULT rhr = srv_reply_object(r, (LPUNKNOWN)att, MPX_OBJ_ATTACH, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_createattach(srv_req *r)
{
	ULONG num = 0, flags;
	GUID *iid;
	LPATTACH att = NULL;
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMessage_CreateAttach(MSG(r), iid, flags, &num, &att);
	if (FAILED(hr))
		return hr;
	SRV_OUT(mapix_wire_put_u32(&r->out, num));
	return srv_reply_object(r, (LPUNKNOWN)att, MPX_OBJ_ATTACH, r->h.access);
}

static HRESULT op_deleteattach(srv_req *r)
{
	ULONG num, flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &num));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return IMessage_DeleteAttach(MSG(r), num, 0, NULL, flags);
}

static HRESULT op_modifyrecipients(srv_req *r)
{
	ULONG flags;
	LPSRowSet rows = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_proto_get_rows(&r->in, &rows));
	HRESULT hr = mapix_wire_get_end(&r->in);
	if (FAILED(hr)) {
		if (rows)
			FreeProws(rows);
		return srv_req_bad(r);
	}
	/* ADRLIST and SRowSet share their layout (ADRENTRY is SRow). */
	hr = IMessage_ModifyRecipients(MSG(r), flags, (LPADRLIST)rows);
	if (rows)
		FreeProws(rows);
	return hr;
}

static HRESULT op_flags(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return r->op == MPX_OP_MSG_SUBMITMESSAGE ? IMessage_SubmitMessage(MSG(r), flags)
	                                         : IMessage_SetReadFlag(MSG(r), flags);
}

#define R SRV_ACC_READ
#define W SRV_ACC_WRITE
#define KM SRV_K(MPX_OBJ_MESSAGE)

const srv_op srv_ops_message[] = {
	{MPX_OP_MSG_ATTACHMENTTABLE, op_table, KM, R, "GetAttachmentTable"},
	{MPX_OP_MSG_OPENATTACH, op_openattach, KM, R, "OpenAttach"},
	{MPX_OP_MSG_CREATEATTACH, op_createattach, KM, W, "CreateAttach"},
	{MPX_OP_MSG_DELETEATTACH, op_deleteattach, KM, W, "DeleteAttach"},
	{MPX_OP_MSG_RECIPIENTTABLE, op_table, KM, R, "GetRecipientTable"},
	{MPX_OP_MSG_MODIFYRECIPIENTS, op_modifyrecipients, KM, W, "ModifyRecipients"},
	{MPX_OP_MSG_SUBMITMESSAGE, op_flags, KM, W, "SubmitMessage"},
	{MPX_OP_MSG_SETREADFLAG, op_flags, KM, R, "SetReadFlag"},
	{0, NULL, 0, 0, NULL},
};
