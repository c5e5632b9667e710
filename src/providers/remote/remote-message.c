/*
 * remote-message.c — IMessage and IAttach of a mailbox hosted by mapixd.
 * The message is transacted on the server, exactly as in the local store:
 * recipients, attachments and property changes wait there for the
 * top-level SaveChanges. An attachment has no methods beyond IMAPIProp
 * (its embedded message and data stream come from OpenProperty).
 */
#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))

static HRESULT table_op(IMessage *This, ULONG op, ULONG ulFlags, LPMAPITABLE *lppTable, const char *fn)
{
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL output pointer", fn);
	*lppTable = NULL;
	rcall c;
	RC_OBJ(&c, This, op);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, fn);
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, &IID_IMAPITable, (LPUNKNOWN *)lppTable)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT msg_GetAttachmentTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_MSG_ATTACHMENTTABLE, ulFlags, lppTable, "GetAttachmentTable");
}

static HRESULT msg_GetRecipientTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_MSG_RECIPIENTTABLE, ulFlags, lppTable, "GetRecipientTable");
}

static HRESULT msg_OpenAttach(IMessage *This, ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags,
                              LPATTACH *lppAttach)
{
	if (!lppAttach)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenAttach: NULL output pointer");
	*lppAttach = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_MSG_OPENATTACH);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulAttachmentNum));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "OpenAttach");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, NULL, (LPUNKNOWN *)lppAttach)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT msg_CreateAttach(IMessage *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum,
                                LPATTACH *lppAttach)
{
	if (!lppAttach || !lpulAttachmentNum)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateAttach: NULL output pointer");
	*lppAttach = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_MSG_CREATEATTACH);
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CreateAttach");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (FAILED(mapix_wire_get_u32(&c.out, lpulAttachmentNum)))
			hr = rc_bad_reply(&c, "CreateAttach");
		else if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, NULL, (LPUNKNOWN *)lppAttach)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT msg_DeleteAttach(IMessage *This, ULONG ulAttachmentNum, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
                                ULONG ulFlags)
{
	(void)ulUIParam, (void)lpProgress;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_MSG_DELETEATTACH);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulAttachmentNum));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "DeleteAttach");
	rc_end(&c);
	return hr;
}

static HRESULT msg_ModifyRecipients(IMessage *This, ULONG ulFlags, LPADRLIST lpMods)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_MSG_MODIFYRECIPIENTS);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	/* ADRLIST has the layout of SRowSet (ADRENTRY is SRow). */
	RC_PUT(&c, mapix_proto_put_rows(&c.req, (const SRowSet *)lpMods));
	HRESULT hr = rc_run(&c, "ModifyRecipients");
	rc_end(&c);
	return hr;
}

static HRESULT flags_op(IMessage *This, ULONG op, ULONG ulFlags, const char *fn)
{
	rcall c;
	RC_OBJ(&c, This, op);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, fn);
	rc_end(&c);
	return hr;
}

static HRESULT msg_SubmitMessage(IMessage *This, ULONG ulFlags)
{
	return flags_op(This, MPX_OP_MSG_SUBMITMESSAGE, ulFlags, "SubmitMessage");
}

static HRESULT msg_SetReadFlag(IMessage *This, ULONG ulFlags)
{
	return flags_op(This, MPX_OP_MSG_SETREADFLAG, ulFlags, "SetReadFlag");
}

const IMessageVtbl remote_message_vtbl = {
	REMOTE_IMAPIPROP_METHODS,
	.GetAttachmentTable = msg_GetAttachmentTable,
	.OpenAttach = msg_OpenAttach,
	.CreateAttach = msg_CreateAttach,
	.DeleteAttach = msg_DeleteAttach,
	.GetRecipientTable = msg_GetRecipientTable,
	.ModifyRecipients = msg_ModifyRecipients,
	.SubmitMessage = msg_SubmitMessage,
	.SetReadFlag = msg_SetReadFlag,
};

const IAttachVtbl remote_attach_vtbl = {
	REMOTE_IMAPIPROP_METHODS,
};
