/*
 * dispatch_prop.c — IMAPIProp on any property object of a hosted mailbox
 * (store, folder, message, attachment): each operation decodes its
 * arguments, calls the same method on the server's object and encodes
 * what it returned. Copies (CopyTo, CopyProps) name their destination by
 * handle: both objects must be open on the same connection, and the
 * destination must allow writing.
 */
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "core/error.h"
#include "server.h"

#define PROP(r) ((LPMAPIPROP)(r)->h.obj)

static HRESULT put_problems_free(srv_req *r, LPSPropProblemArray p)
{
	HRESULT hr = mapix_proto_put_problems(&r->out, p);
	if (p)
		MAPIFreeBuffer(p);
	return hr;
}

static HRESULT op_getprops(srv_req *r)
{
	LPSPropTagArray tags;
	ULONG flags, n = 0;
	LPSPropValue vals = NULL;
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &tags));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	LPSPropValue old = NULL;
	HRESULT hr = IMAPIProp_GetProps(PROP(r), tags, flags, &n, &vals);
	/* A hosted mailbox's store answers its quota from the server (quota.c). */
	if (SUCCEEDED(hr) && r->h.kind == MPX_OBJ_STORE) {
		HRESULT e = srv_quota_store_props(r, tags, &n, &vals, &old);
		if (FAILED(e))
			hr = e;
	}
	if (SUCCEEDED(hr))
		srv_acl_fix_props(&r->h, n, vals);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_wire_put_props(&r->out, vals ? n : 0, vals);
		if (FAILED(e))
			hr = e;
	}
	if (vals)
		MAPIFreeBuffer(vals);
	if (old)
		MAPIFreeBuffer(old);
	return hr;
}

static HRESULT op_getproplist(srv_req *r)
{
	ULONG flags;
	LPSPropTagArray tags = NULL, old = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMAPIProp_GetPropList(PROP(r), flags, &tags);
	if (SUCCEEDED(hr) && r->h.kind == MPX_OBJ_STORE) {
		HRESULT e = srv_quota_store_proplist(r, &tags, &old);
		if (FAILED(e))
			hr = e;
	}
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_tags(&r->out, tags);
		if (FAILED(e))
			hr = e;
	}
	if (tags)
		MAPIFreeBuffer(tags);
	if (old)
		MAPIFreeBuffer(old);
	return hr;
}

static HRESULT op_setprops(srv_req *r)
{
	ULONG n;
	LPSPropValue vals;
	BYTE want_problems;
	LPSPropProblemArray problems = NULL;
	SRV_ARG(r, mapix_proto_get_props(&r->in, &r->arena, &n, &vals));
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &want_problems));
	SRV_ARGS_END(r);
	if ((r->h.access & SRV_ACC_ACL) && srv_acl_touches_creator(n, vals, NULL))
		return srv_acl_deny(r->conn, &r->h, "SetProps(creator)", "the creator identity is the server's to set");
	HRESULT hr = IMAPIProp_SetProps(PROP(r), n, vals, want_problems ? &problems : NULL);
	if (SUCCEEDED(hr))
		return put_problems_free(r, problems);
	return hr;
}

static HRESULT op_deleteprops(srv_req *r)
{
	LPSPropTagArray tags;
	BYTE want_problems;
	LPSPropProblemArray problems = NULL;
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &tags));
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &want_problems));
	SRV_ARGS_END(r);
	if ((r->h.access & SRV_ACC_ACL) && srv_acl_touches_creator(0, NULL, tags))
		return srv_acl_deny(r->conn, &r->h, "DeleteProps(creator)", "the creator identity is the server's to set");
	HRESULT hr = IMAPIProp_DeleteProps(PROP(r), tags, want_problems ? &problems : NULL);
	if (SUCCEEDED(hr))
		return put_problems_free(r, problems);
	return hr;
}

static HRESULT op_savechanges(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	/* Quotas are checked before the store is called: a refused save
	 * writes nothing. */
	HRESULT hr;
	if (r->h.kind == MPX_OBJ_MESSAGE && FAILED(hr = srv_quota_check(r, TRUE, "SaveChanges")))
		return hr;
	return IMAPIProp_SaveChanges(PROP(r), flags);
}

static HRESULT op_openproperty(srv_req *r)
{
	ULONG tag, opts, flags;
	GUID *iid;
	LPUNKNOWN unk = NULL;
	HRESULT hr;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &tag));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &opts));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if ((flags & (MAPI_MODIFY | MAPI_CREATE)) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "OpenProperty(write)")))
		return hr;
	if (FAILED(hr = IMAPIProp_OpenProperty(PROP(r), tag, iid, opts, flags, &unk)))
		return hr;
	HRESULT rhr = srv_reply_object(r, unk, srv_kind_of(unk), r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

/* The destination object of a copy, by handle, which must allow writing.
 * A folder-permission logon copies messages and attachments only: a
 * folder's or store's copy reaches everything below it. */
static HRESULT copy_dest(srv_req *r, uint32_t id, srv_handle *dest, const char *op)
{
	if ((r->h.access & SRV_ACC_ACL) && r->h.kind != MPX_OBJ_MESSAGE && r->h.kind != MPX_OBJ_ATTACH)
		return srv_acl_deny(r->conn, &r->h, op, "copies of folders reach what their ACLs may not grant");
	HRESULT hr = srv_conn_get_handle(r->conn, id, SRV_K_PROP, dest);
	if (hr == MAPI_E_INVALID_OBJECT)
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "%s: the destination is not an object of this connection", op);
	if (SUCCEEDED(hr) && FAILED(hr = srv_rights_check(r->conn, dest, SRV_ACC_WRITE, op)))
		srv_handle_put(dest);
	return hr;
}

/* A folder-permission logon's CopyTo never carries the creator identity:
 * copying its own onto another message would make that message its own. */
static HRESULT exclude_creator(srv_req *r, LPSPropTagArray *exclude)
{
	ULONG n = *exclude ? (*exclude)->cValues : 0;
	LPSPropTagArray t;
	HRESULT hr = mapix_proto_arena_alloc(&r->arena, CbNewSPropTagArray(n + 1), (void **)&t);
	if (FAILED(hr))
		return hr;
	t->cValues = n + 1;
	for (ULONG i = 0; i < n; i++)
		t->aulPropTag[i] = (*exclude)->aulPropTag[i];
	t->aulPropTag[n] = PR_MAPIX_CREATOR_IDENTITY_W;
	*exclude = t;
	return S_OK;
}

static HRESULT op_copyto(srv_req *r)
{
	ULONG n_iids, flags, dest_id;
	LPSPropTagArray exclude;
	GUID *iid, *iids = NULL;
	const BYTE *raw;
	BYTE want_problems;
	srv_handle dest;
	LPSPropProblemArray problems = NULL;
	HRESULT hr;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &n_iids));
	if ((uint64_t)n_iids * sizeof(GUID) > mapix_wire_cursor_left(&r->in))
		return srv_req_bad(r);
	SRV_ARG(r, mapix_wire_get_bytes(&r->in, n_iids * sizeof(GUID), &raw));
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &exclude));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &dest_id));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &want_problems));
	SRV_ARGS_END(r);
	if (n_iids) {
		if (FAILED(hr = mapix_proto_arena_alloc(&r->arena, n_iids * sizeof(GUID), (void **)&iids)))
			return hr;
		memcpy(iids, raw, n_iids * sizeof(GUID));
	}
	if ((flags & MAPI_MOVE) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "CopyTo(move)")))
		return hr;
	if ((r->h.access & SRV_ACC_ACL) && FAILED(hr = exclude_creator(r, &exclude)))
		return hr;
	if (FAILED(hr = copy_dest(r, dest_id, &dest, "CopyTo")))
		return hr;
	hr = IMAPIProp_CopyTo(PROP(r), n_iids, iids, exclude, 0, NULL, iid, dest.obj, flags,
	                      want_problems ? &problems : NULL);
	srv_handle_put(&dest);
	if (SUCCEEDED(hr)) {
		HRESULT e = put_problems_free(r, problems);
		return FAILED(e) ? e : hr;
	}
	return hr;
}

static HRESULT op_copyprops(srv_req *r)
{
	ULONG flags, dest_id;
	LPSPropTagArray include;
	GUID *iid;
	BYTE want_problems;
	srv_handle dest;
	LPSPropProblemArray problems = NULL;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &include));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &dest_id));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &want_problems));
	SRV_ARGS_END(r);
	if ((flags & MAPI_MOVE) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE, "CopyProps(move)")))
		return hr;
	if ((r->h.access & SRV_ACC_ACL) && srv_acl_touches_creator(0, NULL, include))
		return srv_acl_deny(r->conn, &r->h, "CopyProps(creator)", "the creator identity is the server's to set");
	if (FAILED(hr = copy_dest(r, dest_id, &dest, "CopyProps")))
		return hr;
	hr = IMAPIProp_CopyProps(PROP(r), include, 0, NULL, iid, dest.obj, flags, want_problems ? &problems : NULL);
	srv_handle_put(&dest);
	if (SUCCEEDED(hr)) {
		HRESULT e = put_problems_free(r, problems);
		return FAILED(e) ? e : hr;
	}
	return hr;
}

static HRESULT op_getnamesfromids(srv_req *r)
{
	LPSPropTagArray tags;
	GUID *guid;
	ULONG flags, n = 0;
	LPMAPINAMEID *names = NULL;
	SRV_ARG(r, mapix_proto_get_tags(&r->in, &r->arena, &tags));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &guid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	LPSPropTagArray in_tags = tags;
	HRESULT hr = IMAPIProp_GetNamesFromIDs(PROP(r), &tags, guid, flags, &n, &names);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_tags(&r->out, tags);
		if (SUCCEEDED(e))
			e = mapix_proto_put_names(&r->out, n, names);
		if (FAILED(e))
			hr = e;
	}
	/* The method allocates the tag array when it was asked for all names. */
	if (tags && tags != in_tags)
		MAPIFreeBuffer(tags);
	if (names)
		MAPIFreeBuffer(names);
	return hr;
}

static HRESULT op_getidsfromnames(srv_req *r)
{
	BYTE present;
	ULONG n = 0, flags;
	LPMAPINAMEID *names = NULL;
	LPSPropTagArray tags = NULL;
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &present));
	if (present > 1)
		return srv_req_bad(r);
	SRV_ARG(r, mapix_proto_get_names(&r->in, &r->arena, &n, &names));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr;
	if ((flags & MAPI_CREATE) && FAILED(hr = srv_rights_check(r->conn, &r->h, SRV_ACC_WRITE | SRV_ACC_DELIVER,
	                                                         "GetIDsFromNames(create)")))
		return hr;
	hr = IMAPIProp_GetIDsFromNames(PROP(r), n, present ? names : NULL, flags, &tags);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_tags(&r->out, tags);
		if (FAILED(e))
			hr = e;
	}
	if (tags)
		MAPIFreeBuffer(tags);
	return hr;
}

#define R SRV_ACC_READ
#define W SRV_ACC_WRITE

const srv_op srv_ops_prop[] = {
	{MPX_OP_GETPROPS, op_getprops, SRV_K_PROP, R, "GetProps"},
	{MPX_OP_GETPROPLIST, op_getproplist, SRV_K_PROP, R, "GetPropList"},
	{MPX_OP_SETPROPS, op_setprops, SRV_K_PROP, W, "SetProps"},
	{MPX_OP_DELETEPROPS, op_deleteprops, SRV_K_PROP, W, "DeleteProps"},
	{MPX_OP_SAVECHANGES, op_savechanges, SRV_K_PROP, W, "SaveChanges"},
	{MPX_OP_OPENPROPERTY, op_openproperty, SRV_K_PROP, R, "OpenProperty"},
	{MPX_OP_COPYTO, op_copyto, SRV_K_PROP, R, "CopyTo"},
	{MPX_OP_COPYPROPS, op_copyprops, SRV_K_PROP, R, "CopyProps"},
	{MPX_OP_GETNAMESFROMIDS, op_getnamesfromids, SRV_K_PROP, R, "GetNamesFromIDs"},
	{MPX_OP_GETIDSFROMNAMES, op_getidsfromnames, SRV_K_PROP, R | SRV_ACC_DELIVER, "GetIDsFromNames"},
	{0, NULL, 0, 0, NULL},
};
