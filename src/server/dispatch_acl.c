/*
 * dispatch_acl.c — folder permissions over the protocol: the server side of
 * IExchangeModifyTable on a folder's PR_ACL_TABLE (GetTable, ModifyTable).
 * Reading the ACL needs the folder to be visible to the caller; changing it
 * needs frightsOwner on it (or a logon that acts as the mailbox owner).
 * Every change is audited, like the other rights changes.
 */
#include <stdio.h>
#include <string.h>

#include <mapix/edkmdb.h>

#include "core/error.h"
#include "server.h"

#define FOLDER(r) ((LPMAPIFOLDER)(r)->h.obj)

static HRESULT open_acl(srv_req *r, LPEXCHANGEMODIFYTABLE *acl)
{
	return IMAPIFolder_OpenProperty(FOLDER(r), PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, MAPI_DEFERRED_ERRORS,
	                                (LPUNKNOWN *)acl);
}

static HRESULT op_acl_gettable(srv_req *r)
{
	ULONG flags;
	LPEXCHANGEMODIFYTABLE acl = NULL;
	LPMAPITABLE t = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = open_acl(r, &acl);
	if (FAILED(hr))
		return hr;
	hr = IExchangeModifyTable_GetTable(acl, flags, &t);
	IExchangeModifyTable_Release(acl);
	if (FAILED(hr))
		return hr;
	return srv_reply_object(r, (LPUNKNOWN)t, MPX_OBJ_TABLE, r->h.access);
}

static HRESULT op_acl_modify(srv_req *r)
{
	ULONG flags, count;
	ROWLIST *list;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &count));
	/* Each row takes at least 8 bytes: a count no request can hold is malformed. */
	if ((uint64_t)count * 8 > mapix_wire_cursor_left(&r->in))
		return srv_req_bad(r);
	HRESULT hr = mapix_proto_arena_alloc(&r->arena, CbNewROWLIST(count ? count : 1), (void **)&list);
	if (FAILED(hr))
		return hr;
	list->cEntries = count;
	for (ULONG i = 0; i < count; i++) {
		ROWENTRY *e = &list->aEntries[i];
		SRV_ARG(r, mapix_wire_get_u32(&r->in, &e->ulRowFlags));
		SRV_ARG(r, mapix_proto_get_props(&r->in, &r->arena, &e->cValues, &e->rgPropVals));
	}
	SRV_ARGS_END(r);
	LPEXCHANGEMODIFYTABLE acl = NULL;
	if (FAILED(hr = open_acl(r, &acl)))
		return hr;
	hr = IExchangeModifyTable_ModifyTable(acl, flags, list);
	IExchangeModifyTable_Release(acl);
	if (SUCCEEDED(hr)) {
		char op[96];
		snprintf(op, sizeof op, "ModifyTable(ACL, %u rows%s)", (unsigned)count,
		         (flags & ROWLIST_REPLACE) ? ", replace" : "");
		srv_audit_log(r->conn->srv->audit, &r->conn->id, r->h.logon ? r->h.logon->mailbox : "", op, S_OK);
	}
	return hr;
}

#define KF SRV_K(MPX_OBJ_FOLDER)

const srv_op srv_ops_acl[] = {
	{MPX_OP_ACL_GETTABLE, op_acl_gettable, KF, SRV_ACC_READ, "GetTable(ACL)"},
	{MPX_OP_ACL_MODIFY, op_acl_modify, KF, SRV_ACC_WRITE, "ModifyTable(ACL)"},
	{0, NULL, 0, 0, NULL},
};
