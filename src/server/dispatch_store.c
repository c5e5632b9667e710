/*
 * dispatch_store.c — IMsgStore operations on a hosted mailbox, OpenEntry
 * (stores and folders), the change journal, and the server side of
 * IExchangeManageStore (CreateStoreEntryID, GetMailboxTable).
 *
 * A deliver-only logon may open folders (not messages), look up receive
 * folders and announce new mail; the handles it gets keep that limit.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "core/entryid.h"
#include "core/error.h"
#include "core/folder_rights.h"
#include "server.h"

#define STORE(r) ((LPMDB)(r)->h.obj)
#define KNOWN_OPENSTORE (OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP | OPENSTORE_HOME_LOGON | \
                         OPENSTORE_OVERRIDE_HOME_MDB)

static HRESULT op_advise(srv_req *r)
{
	ULONG cb, mask, id;
	BYTE *eid;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &mask));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &id));
	SRV_ARGS_END(r);
	return srv_advise_add(r->conn, r->h.obj, FALSE, cb, (LPENTRYID)eid, mask, id);
}

static HRESULT op_unadvise(srv_req *r)
{
	ULONG id;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &id));
	SRV_ARGS_END(r);
	return srv_advise_remove(r->conn, id);
}

static HRESULT op_compare(srv_req *r)
{
	ULONG cb1, cb2, flags, result = 0;
	BYTE *e1, *e2;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb1, &e1));
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb2, &e2));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = IMsgStore_CompareEntryIDs(STORE(r), cb1, (LPENTRYID)e1, cb2, (LPENTRYID)e2, flags, &result);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, result));
	return hr;
}

/* A folder-permission logon opens a folder it may see, and a message of a
 * folder whose items it may read (or a message it created). The new
 * handle carries that folder's rights. */
static HRESULT acl_open_entry(srv_req *r, ULONG cb, const BYTE *eid, BYTE kind, LPUNKNOWN unk)
{
	enum mapix_entryid_kind ek = MAPIX_EID_UNKNOWN;
	GUID guid;
	uint64_t fid = 0, mid = 0;
	ULONG rights = 0;
	srv_acl_state st;
	memset(&st, 0, sizeof st);
	if (cb == 0 || !eid) {
		/* The root folder (OpenEntry with no entry ID). */
		LPSPropValue v = NULL;
		HRESULT hr = HrGetOneProp((LPMAPIPROP)unk, PR_ENTRYID, &v);
		if (FAILED(hr))
			return hr;
		hr = mapix_entryid_parse(v->Value.bin.cb, (const ENTRYID *)v->Value.bin.lpb, &ek, &guid, &fid, &mid);
		MAPIFreeBuffer(v);
		if (FAILED(hr))
			return hr;
	} else if (FAILED(mapix_entryid_parse(cb, (const ENTRYID *)eid, &ek, &guid, &fid, &mid))) {
		return srv_acl_deny(r->conn, &r->h, "OpenEntry", "not an entry ID of this mailbox");
	}
	HRESULT hr = srv_acl_folder_rights(r->h.logon, fid, &rights);
	if (FAILED(hr))
		return hr;
	st.frights = rights;
	if (kind == MPX_OBJ_FOLDER) {
		if (!mapix_frights_allows(rights, MAPIX_FOP_SEE, FALSE))
			return srv_acl_deny(r->conn, &r->h, "OpenEntry(folder)", "the folder is not visible to it");
	} else if (kind == MPX_OBJ_MESSAGE) {
		st.owned = (BYTE)srv_acl_owns(r->h.logon, (LPMESSAGE)unk);
		if (!st.owned && !mapix_frights_allows(rights, MAPIX_FOP_READ_ITEMS, FALSE))
			return srv_acl_deny(r->conn, &r->h, "OpenEntry(message)", "it may not read the folder's items");
		/* Changes are checked when they are made (SetProps, SaveChanges ...). */
	} else {
		return srv_acl_deny(r->conn, &r->h, "OpenEntry", "only folders and messages");
	}
	r->child = st;
	r->child_set = TRUE;
	return S_OK;
}

static HRESULT op_openentry(srv_req *r)
{
	ULONG cb, flags, type = 0;
	BYTE *eid;
	GUID *iid;
	LPUNKNOWN unk = NULL;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_proto_get_guid(&r->in, &r->arena, &iid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = r->h.kind == MPX_OBJ_STORE
	                 ? IMsgStore_OpenEntry(STORE(r), cb, (LPENTRYID)eid, iid, flags, &type, &unk)
	                 : IMAPIFolder_OpenEntry((LPMAPIFOLDER)r->h.obj, cb, (LPENTRYID)eid, iid, flags, &type, &unk);
	if (FAILED(hr))
		return hr;
	BYTE kind = srv_kind_of(unk);
	if ((r->h.access & SRV_ACC_ACL) && FAILED(hr = acl_open_entry(r, cb, eid, kind, unk))) {
		unk->lpVtbl->Release(unk);
		return hr;
	}
	if (!(r->h.access & (SRV_ACC_READ | SRV_ACC_ACL)) && kind != MPX_OBJ_FOLDER) {
		unk->lpVtbl->Release(unk);
		srv_audit_log(r->conn->srv->audit, &r->conn->id, r->h.logon ? r->h.logon->mailbox : "",
		              "OpenEntry(message)", MAPI_E_NO_ACCESS);
		return mapix_error(MAPI_E_NO_ACCESS, "mapixd: a deliver logon opens folders only");
	}
	SRV_OUT(mapix_wire_put_u32(&r->out, type));
	HRESULT rhr = srv_reply_object(r, unk, kind, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_setreceivefolder(srv_req *r)
{
	void *cls;
	BOOL uni;
	ULONG flags, cb;
	BYTE *eid;
	SRV_ARG(r, mapix_proto_get_tstr(&r->in, &r->arena, &cls, &uni));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARGS_END(r);
	if (cls && uni != ((flags & MAPI_UNICODE) != 0))
		return srv_req_bad(r);
	return IMsgStore_SetReceiveFolder(STORE(r), cls, flags, cb, (LPENTRYID)eid);
}

static HRESULT op_getreceivefolder(srv_req *r)
{
	void *cls;
	BOOL uni;
	ULONG flags, cb = 0;
	LPENTRYID eid = NULL;
	LPTSTR explicit_class = NULL;
	SRV_ARG(r, mapix_proto_get_tstr(&r->in, &r->arena, &cls, &uni));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (cls && uni != ((flags & MAPI_UNICODE) != 0))
		return srv_req_bad(r);
	HRESULT hr = IMsgStore_GetReceiveFolder(STORE(r), cls, flags, &cb, &eid, &explicit_class);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_bin(&r->out, cb, eid);
		if (SUCCEEDED(e))
			e = mapix_proto_put_tstr(&r->out, explicit_class, (flags & MAPI_UNICODE) != 0);
		if (FAILED(e))
			hr = e;
	}
	if (eid)
		MAPIFreeBuffer(eid);
	if (explicit_class)
		MAPIFreeBuffer(explicit_class);
	return hr;
}

/* Operations that return a table (or another object) from a flags argument. */
static HRESULT op_receivefoldertable(srv_req *r)
{
	ULONG flags;
	LPMAPITABLE t = NULL;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	HRESULT hr = r->op == MPX_OP_STORE_GETOUTGOINGQUEUE ? IMsgStore_GetOutgoingQueue(STORE(r), flags, &t)
	                                                    : IMsgStore_GetReceiveFolderTable(STORE(r), flags, &t);
	if (FAILED(hr))
		return hr;
	HRESULT rhr = srv_reply_object(r, (LPUNKNOWN)t, MPX_OBJ_TABLE, r->h.access);
	return FAILED(rhr) ? rhr : hr;
}

static HRESULT op_logoff(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	/* The store is shared with other connections: logging off is the
	 * client releasing its handles, which it does; report what the store
	 * would. */
	HRESULT hr = IMsgStore_StoreLogoff(STORE(r), &flags);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u32(&r->out, flags));
	return hr;
}

static HRESULT op_eid_flags(srv_req *r)
{
	ULONG cb, flags;
	BYTE *eid;
	if (r->op == MPX_OP_STORE_FINISHEDMSG)
		SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	if (r->op == MPX_OP_STORE_ABORTSUBMIT)
		SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	return r->op == MPX_OP_STORE_ABORTSUBMIT ? IMsgStore_AbortSubmit(STORE(r), cb, (LPENTRYID)eid, flags)
	                                         : IMsgStore_FinishedMsg(STORE(r), flags, cb, (LPENTRYID)eid);
}

static HRESULT op_setlockstate(srv_req *r)
{
	ULONG msg_id, state;
	srv_handle msg;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &msg_id));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &state));
	SRV_ARGS_END(r);
	HRESULT hr = srv_conn_get_handle(r->conn, msg_id, SRV_K(MPX_OBJ_MESSAGE), &msg);
	if (FAILED(hr))
		return hr;
	hr = IMsgStore_SetLockState(STORE(r), (LPMESSAGE)msg.obj, state);
	srv_handle_put(&msg);
	return hr;
}

static HRESULT op_notifynewmail(srv_req *r)
{
	ULONG n;
	LPNOTIFICATION notifs = NULL;
	SRV_ARG(r, mapix_proto_get_notifs(&r->in, &n, &notifs));
	HRESULT hr = mapix_proto_arena_adopt(&r->arena, notifs);
	if (FAILED(hr))
		return hr;
	SRV_ARGS_END(r);
	if (n != 1)
		return srv_req_bad(r);
	return IMsgStore_NotifyNewMail(STORE(r), notifs);
}

static HRESULT op_journal(srv_req *r)
{
	LPUNKNOWN j = NULL;
	SRV_ARGS_END(r);
	HRESULT hr = IMsgStore_QueryInterface(STORE(r), &IID_IMAPIXChangeJournal, (LPVOID *)&j);
	if (FAILED(hr))
		return hr;
	return srv_reply_object(r, j, MPX_OBJ_JOURNAL, r->h.access);
}

static HRESULT op_journal_last(srv_req *r)
{
	ULONGLONG cn = 0;
	SRV_ARGS_END(r);
	HRESULT hr = IMAPIXChangeJournal_GetLastChangeNumber((LPMAPIXCHANGEJOURNAL)r->h.obj, &cn);
	if (SUCCEEDED(hr))
		SRV_OUT(mapix_wire_put_u64(&r->out, cn));
	return hr;
}

static HRESULT op_journal_since(srv_req *r)
{
	ULONGLONG since;
	ULONG max;
	LPSRowSet rows = NULL;
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &since));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &max));
	SRV_ARGS_END(r);
	/* Bounded like QueryRows; the client asks again from the last number. */
	if (max == 0 || max > r->conn->srv->cfg.max_rows)
		max = r->conn->srv->cfg.max_rows;
	HRESULT hr = IMAPIXChangeJournal_GetChangesSince((LPMAPIXCHANGEJOURNAL)r->h.obj, since, max, &rows);
	if (SUCCEEDED(hr)) {
		HRESULT e = mapix_proto_put_rows(&r->out, rows);
		if (FAILED(e))
			hr = e;
	}
	if (rows)
		FreeProws(rows);
	return hr;
}

/* ---- IExchangeManageStore ------------------------------------------------------------------ */

static HRESULT op_create_store_entryid(srv_req *r)
{
	char *store_dn, *mailbox;
	ULONG flags, cb = 0;
	LPENTRYID eid = NULL;
	srv_account a;
	srv_server *s = r->conn->srv;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &store_dn));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (flags & ~(ULONG)KNOWN_OPENSTORE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CreateStoreEntryID: unknown flags 0x%08X",
		                   (unsigned)(flags & ~KNOWN_OPENSTORE));
	if (!*mailbox)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateStoreEntryID: no mailbox DN");
	if (FAILED(hr = srv_dir_find(s->dir, mailbox, &a)))
		return hr;
	/* The entry ID names this server (the home of every hosted mailbox)
	 * and carries the flags in WrappedType, so the logon applies them. */
	if (FAILED(hr = mapix_entryid_make_store(s->cfg.server_name, a.name, NULL, &cb, &eid)))
		return hr;
	ULONG wrapped = MAPIX_STORE_WRAPPED_TYPE_PRIVATE | flags;
	BYTE *p = (BYTE *)eid;
	for (int i = 0; i < 4; i++)
		p[56 + i] = (BYTE)(wrapped >> (8 * i));
	hr = mapix_proto_put_bin(&r->out, cb, eid);
	MAPIFreeBuffer(eid);
	return hr;
}

HRESULT srv_reply_account_table(srv_req *r, const SPropTagArray *cols,
                                void (*add_row)(const srv_account *a, void *fill))
{
	srv_account_fill f = {r, NULL, 0, S_OK};
	HRESULT hr = CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
	                         TBLTYPE_SNAPSHOT, PR_INSTANCE_KEY, (LPSPropTagArray)cols, &f.td);
	if (FAILED(hr))
		return hr;
	hr = srv_dir_each(r->conn->srv->dir, add_row, &f);
	if (SUCCEEDED(hr))
		hr = f.hr;
	LPMAPITABLE view = NULL;
	if (SUCCEEDED(hr))
		hr = ITableData_HrGetView(f.td, NULL, NULL, 0, &view);
	ITableData_Release(f.td);
	if (FAILED(hr))
		return hr;
	return srv_reply_object(r, (LPUNKNOWN)view, MPX_OBJ_TABLE, SRV_ACC_READ);
}

static void add_mailbox_row(const srv_account *a, void *ctx)
{
	srv_account_fill *f = ctx;
	srv_server *s = f->r->conn->srv;
	const srv_identity *who = &f->r->conn->id;
	if (FAILED(f->hr))
		return;
	/* The mailboxes the caller may open: owned, granted, or all for an
	 * administrator (who opens them with admin privilege). */
	if (!who->admin && !srv_rights_is_owner(who, a) && !srv_dir_has_any_grant(s->dir, a->name, who->name))
		return;
	char dn[512];
	uint64_t size;
	uint32_t items;
	ULONG cb_eid = 0;
	LPENTRYID eid = NULL;
	srv_dir_dn(s->dir, a->name, dn, sizeof dn);
	srv_mailbox_stats(a, &size, &items);
	if (FAILED(f->hr = mapix_entryid_make_store(s->cfg.server_name, a->name, NULL, &cb_eid, &eid)))
		return;
	SPropValue v[8];
	memset(v, 0, sizeof v);
	ULONG key = ++f->n;
	v[0].ulPropTag = PR_INSTANCE_KEY;
	v[0].Value.bin.cb = sizeof key;
	v[0].Value.bin.lpb = (LPBYTE)&key;
	v[1].ulPropTag = PR_DISPLAY_NAME_A;
	v[1].Value.lpszA = (LPSTR)a->display_name;
	v[2].ulPropTag = PR_EMAIL_ADDRESS_A;
	v[2].Value.lpszA = dn;
	v[3].ulPropTag = PR_SMTP_ADDRESS_A;
	v[3].Value.lpszA = (LPSTR)a->smtp;
	v[4].ulPropTag = PR_ACCOUNT_A;
	v[4].Value.lpszA = (LPSTR)a->name;
	v[5].ulPropTag = PR_MESSAGE_SIZE_EXTENDED;
	v[5].Value.li.QuadPart = (LONGLONG)size;
	v[6].ulPropTag = PR_CONTENT_COUNT;
	v[6].Value.l = (LONG)items;
	v[7].ulPropTag = PR_STORE_ENTRYID;
	v[7].Value.bin.cb = cb_eid;
	v[7].Value.bin.lpb = (LPBYTE)eid;
	SRow row = {0, 8, v};
	if (!a->smtp[0])
		v[3].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(PR_SMTP_ADDRESS_A)), v[3].Value.err = MAPI_E_NOT_FOUND;
	f->hr = ITableData_HrModifyRow(f->td, &row);
	MAPIFreeBuffer(eid);
}

static HRESULT op_mailbox_table(srv_req *r)
{
	char *server;
	ULONG flags;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &server));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (flags & ~(ULONG)MAPI_DEFERRED_ERRORS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetMailboxTable: unknown flags 0x%08X", (unsigned)flags);
	static const SizedSPropTagArray(8, cols) = {8,
	                                            {PR_INSTANCE_KEY, PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A,
	                                             PR_SMTP_ADDRESS_A, PR_ACCOUNT_A, PR_MESSAGE_SIZE_EXTENDED,
	                                             PR_CONTENT_COUNT, PR_STORE_ENTRYID}};
	return srv_reply_account_table(r, (const SPropTagArray *)&cols, add_mailbox_row);
}

#define R SRV_ACC_READ
#define W SRV_ACC_WRITE
#define D SRV_ACC_DELIVER
#define KS SRV_K(MPX_OBJ_STORE)
#define KJ SRV_K(MPX_OBJ_JOURNAL)

const srv_op srv_ops_store[] = {
	{MPX_OP_STORE_ADVISE, op_advise, KS, R, "Advise"},
	{MPX_OP_STORE_UNADVISE, op_unadvise, KS | SRV_K_CONN, 0, "Unadvise"},
	{MPX_OP_STORE_COMPAREENTRYIDS, op_compare, KS, R | D, "CompareEntryIDs"},
	{MPX_OP_OPENENTRY, op_openentry, KS | SRV_K(MPX_OBJ_FOLDER), R | D, "OpenEntry"},
	{MPX_OP_STORE_SETRECEIVEFOLDER, op_setreceivefolder, KS, W, "SetReceiveFolder"},
	{MPX_OP_STORE_GETRECEIVEFOLDER, op_getreceivefolder, KS, R | D, "GetReceiveFolder"},
	{MPX_OP_STORE_GETRECEIVEFOLDERTABLE, op_receivefoldertable, KS, R, "GetReceiveFolderTable"},
	{MPX_OP_STORE_LOGOFF, op_logoff, KS, 0, "StoreLogoff"},
	{MPX_OP_STORE_ABORTSUBMIT, op_eid_flags, KS, W, "AbortSubmit"},
	{MPX_OP_STORE_GETOUTGOINGQUEUE, op_receivefoldertable, KS, R, "GetOutgoingQueue"},
	{MPX_OP_STORE_SETLOCKSTATE, op_setlockstate, KS, W, "SetLockState"},
	{MPX_OP_STORE_FINISHEDMSG, op_eid_flags, KS, W, "FinishedMsg"},
	{MPX_OP_STORE_NOTIFYNEWMAIL, op_notifynewmail, KS, W | D, "NotifyNewMail"},
	{MPX_OP_STORE_JOURNAL, op_journal, KS, R, "QueryInterface(IMAPIXChangeJournal)"},
	{MPX_OP_JOURNAL_LAST, op_journal_last, KJ, R, "GetLastChangeNumber"},
	{MPX_OP_JOURNAL_SINCE, op_journal_since, KJ, R, "GetChangesSince"},
	{MPX_OP_MANAGE_CREATESTOREENTRYID, op_create_store_entryid, KS | SRV_K_CONN, R | D, "CreateStoreEntryID"},
	{MPX_OP_MANAGE_GETMAILBOXTABLE, op_mailbox_table, KS | SRV_K_CONN, R | D, "GetMailboxTable"},
	{0, NULL, 0, 0, NULL},
};
