/*
 * dispatch.c — serving one request: find the operation, resolve the handle,
 * check the rights the operation needs, run it, and build the reply
 * (HRESULT, the error text of the server's last error, then the outputs).
 * Also the connection-level operations: HELLO, logons, account and grant
 * administration, releasing handles.
 *
 * A request that cannot be decoded (bad handle field, truncated arguments,
 * trailing bytes) ends the connection: a well-behaved client never sends
 * one. An unknown operation is answered with MAPI_E_NO_SUPPORT, so newer
 * clients can probe older servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/edkmdb.h>
#include <mapix/mapixstore.h>

#include "core/entryid.h"
#include "core/error.h"
#include "server.h"

/* MAPIX_STORE_CREATE on a LOGON asks an administrator's logon to create the
 * account (owned by the caller's Unix user) when it does not exist. */
#define LOGON_FLAGS (MDB_WRITE | MAPI_BEST_ACCESS | MDB_NO_MAIL | MDB_NO_DIALOG | MDB_TEMPORARY | MDB_ONLINE | \
                     MAPI_DEFERRED_ERRORS | MAPIX_STORE_CREATE)
#define KNOWN_OPENSTORE (OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP | OPENSTORE_HOME_LOGON | \
                         OPENSTORE_OVERRIDE_HOME_MDB)

HRESULT srv_req_bad(srv_req *r)
{
	r->bad = TRUE;
	return MAPI_E_CORRUPT_DATA;
}

BYTE srv_kind_of(LPUNKNOWN obj)
{
	static const struct {
		const IID *iid;
		BYTE kind;
	} kinds[] = {
		{&IID_IMsgStore, MPX_OBJ_STORE},  {&IID_IMAPIFolder, MPX_OBJ_FOLDER}, {&IID_IMessage, MPX_OBJ_MESSAGE},
		{&IID_IAttachment, MPX_OBJ_ATTACH}, {&IID_IMAPITable, MPX_OBJ_TABLE},  {&IID_IStream, MPX_OBJ_STREAM},
		{&IID_IMAPIXChangeJournal, MPX_OBJ_JOURNAL},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		LPUNKNOWN q = NULL;
		if (obj->lpVtbl->QueryInterface(obj, kinds[i].iid, (LPVOID *)&q) == S_OK && q) {
			q->lpVtbl->Release(q);
			return kinds[i].kind;
		}
	}
	mapix_error_clear();
	return 0;
}

HRESULT srv_reply_object(srv_req *r, LPUNKNOWN obj, BYTE kind, ULONG access)
{
	uint32_t id;
	if (!kind) {
		obj->lpVtbl->Release(obj);
		return mapix_error(MAPI_E_NO_SUPPORT, "mapixd: the store returned an object the protocol cannot carry");
	}
	HRESULT hr = srv_conn_add_handle(r->conn, obj, kind, access, r->h.logon, &id);
	if (FAILED(hr))
		return hr;
	/* Folder-permission handles: what the new object may do follows from
	 * the object it came from, unless the handler worked it out. */
	if (access & SRV_ACC_ACL) {
		srv_acl_state acl = r->child_set ? r->child : r->h.acl;
		acl.hier = r->child_set ? r->child.hier : 0;
		srv_conn_set_handle_acl(r->conn, id, &acl);
	}
	if (FAILED(hr = mapix_wire_put_u8(&r->out, kind)) || FAILED(hr = mapix_wire_put_u32(&r->out, id)))
		srv_conn_release_handle(r->conn, id);
	return hr;
}

/* ---- connection operations ---------------------------------------------------------------- */

static HRESULT op_hello(srv_req *r)
{
	WORD lo, hi;
	SRV_ARG(r, mapix_wire_get_u16(&r->in, &lo));
	SRV_ARG(r, mapix_wire_get_u16(&r->in, &hi));
	SRV_ARGS_END(r);
	if (lo > MAPIX_PROTO_VERSION || hi < MAPIX_PROTO_VERSION)
		return mapix_error(MAPI_E_VERSION, "mapixd speaks protocol version %u, the client %u to %u",
		                   (unsigned)MAPIX_PROTO_VERSION, (unsigned)lo, (unsigned)hi);
	const srv_config *cfg = &r->conn->srv->cfg;
	r->conn->greeted = TRUE;
	SRV_OUT(mapix_wire_put_u16(&r->out, MAPIX_PROTO_VERSION));
	SRV_OUT(mapix_proto_put_str(&r->out, cfg->server_name));
	SRV_OUT(mapix_wire_put_u32(&r->out, cfg->max_frame));
	SRV_OUT(mapix_wire_put_u32(&r->out, cfg->max_rows));
	SRV_OUT(mapix_proto_put_str(&r->out, r->conn->id.name));
	SRV_OUT(mapix_wire_put_u8(&r->out, (BYTE)r->conn->id.admin));
	return S_OK;
}

/* Opens account a for the connection and replies with the store handle. */
static HRESULT open_mailbox(srv_req *r, const srv_account *a, ULONG flags, ULONG open_flags)
{
	srv_server *s = r->conn->srv;
	ULONG access;
	const char *how;
	HRESULT hr = srv_rights_logon(s, &r->conn->id, a, open_flags, &access, &how);
	if (FAILED(hr))
		return hr;
	srv_logon *l = calloc(1, sizeof *l);
	if (!l)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
	atomic_init(&l->refs, 1);
	snprintf(l->mailbox, sizeof l->mailbox, "%s", a->name);
	l->access = access;
	l->how = how;
	srv_acl_fill_ids(s, &r->conn->id, l);
	if (FAILED(hr = srv_mailbox_acquire(s, a, &l->mb))) {
		free(l);
		return hr;
	}
	/* MAPI_BEST_ACCESS takes writing when the rights allow it; a deliver
	 * logon writes new messages, so it needs the read-write logon too. */
	BOOL writable = (flags & MDB_WRITE) || ((flags & MAPI_BEST_ACCESS) && (access & SRV_ACC_WRITE)) ||
	                (access & (SRV_ACC_DELIVER | SRV_ACC_ACL));
	if (!(access & (SRV_ACC_WRITE | SRV_ACC_DELIVER | SRV_ACC_ACL)) && (flags & MDB_WRITE)) {
		srv_logon_unref(l);
		return mapix_error(MAPI_E_NO_ACCESS, "mapixd: mailbox %s cannot be opened for writing", a->name);
	}
	LPMDB mdb = NULL;
	if (FAILED(hr = srv_mailbox_store(l->mb, writable, &mdb))) {
		srv_logon_unref(l);
		return hr;
	}
	r->h.logon = l; /* srv_reply_object hands the logon to the new handle */
	hr = srv_reply_object(r, (LPUNKNOWN)mdb, MPX_OBJ_STORE, access);
	r->h.logon = NULL;
	srv_logon_unref(l);
	if (SUCCEEDED(hr)) {
		SRV_OUT(mapix_proto_put_str(&r->out, a->name));
		SRV_OUT(mapix_proto_put_str(&r->out, how));
		SRV_OUT(mapix_wire_put_u32(&r->out, access));
	}
	return hr;
}

static HRESULT op_logon(srv_req *r)
{
	char *mailbox;
	ULONG flags, open_flags;
	srv_server *s = r->conn->srv;
	srv_account a;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &open_flags));
	SRV_ARGS_END(r);
	if (flags & ~(ULONG)LOGON_FLAGS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenMsgStore: unknown flags 0x%08X", (unsigned)(flags & ~LOGON_FLAGS));
	if (open_flags & ~(ULONG)KNOWN_OPENSTORE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenMsgStore: unknown OPENSTORE flags 0x%08X",
		                   (unsigned)(open_flags & ~KNOWN_OPENSTORE));
	/* No name: the caller's own mailbox (an account logged on with its
	 * password: that account's). */
	if (!*mailbox)
		hr = r->conn->id.account[0] ? srv_dir_find(s->dir, r->conn->id.account, &a)
		                            : srv_dir_find_by_unix_user(s->dir, r->conn->id.name, &a);
	else
		hr = srv_dir_find(s->dir, mailbox, &a);
	if (hr == MAPI_E_NOT_FOUND && (flags & MAPIX_STORE_CREATE) && *mailbox && !strchr(mailbox, '/') &&
	    !strchr(mailbox, '@')) {
		if (!r->conn->id.admin) {
			srv_audit_log(s->audit, &r->conn->id, mailbox, "CreateAccount", MAPI_E_NO_ACCESS);
			return mapix_error(MAPI_E_NO_ACCESS, "mapixd: only administrators create mailboxes");
		}
		memset(&a, 0, sizeof a);
		snprintf(a.name, sizeof a.name, "%s", mailbox);
		/* Owned by the caller's Unix user; an account identity (TCP) has
		 * none and gets a full access grant instead. */
		if (!r->conn->id.account[0])
			snprintf(a.unix_user, sizeof a.unix_user, "%.64s", r->conn->id.name);
		hr = srv_dir_add(s->dir, &a, NULL, s->cfg.max_accounts);
		if (SUCCEEDED(hr) && r->conn->id.account[0])
			hr = srv_dir_grant(s->dir, a.name, r->conn->id.name, MAPIX_GRANT_FULL_ACCESS);
		if (SUCCEEDED(hr) || hr == MAPI_E_COLLISION)
			hr = srv_dir_find(s->dir, mailbox, &a);
		if (SUCCEEDED(hr))
			hr = srv_mailbox_create(s, &a);
	}
	if (FAILED(hr))
		return hr;
	return open_mailbox(r, &a, flags & ~(ULONG)MAPIX_STORE_CREATE, open_flags);
}

static HRESULT op_logon_entryid(srv_req *r)
{
	ULONG cb, flags;
	BYTE *eid;
	char server[256], dn[512];
	srv_server *s = r->conn->srv;
	srv_account a;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_bin(&r->in, &r->arena, &cb, &eid));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (flags & ~(ULONG)(LOGON_FLAGS & ~MAPIX_STORE_CREATE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenMsgStore: unknown flags 0x%08X", (unsigned)flags);
	if (FAILED(hr = mapix_entryid_parse_store(cb, (LPENTRYID)eid, server, sizeof server, dn, sizeof dn)))
		return hr;
	/* WrappedType holds the OPENSTORE_* flags CreateStoreEntryID was given. */
	ULONG open_flags = (ULONG)eid[56] | ((ULONG)eid[57] << 8) | ((ULONG)eid[58] << 16) | ((ULONG)eid[59] << 24);
	if (open_flags & ~(ULONG)KNOWN_OPENSTORE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenMsgStore: the store entry ID carries unknown flags 0x%08X",
		                   (unsigned)(open_flags & ~KNOWN_OPENSTORE));
	if (strcasecmp(server, s->cfg.server_name) != 0 && !(open_flags & OPENSTORE_OVERRIDE_HOME_MDB))
		return mapix_error(MAPI_E_NOT_FOUND, "OpenMsgStore: the mailbox's home server is %s, this is %s "
		                                     "(OPENSTORE_OVERRIDE_HOME_MDB opens it here)",
		                   server, s->cfg.server_name);
	if (FAILED(hr = srv_dir_find(s->dir, dn, &a)))
		return hr;
	return open_mailbox(r, &a, flags, open_flags);
}

/* Administration: the caller must be an administrator of mapixd.conf. */
static HRESULT need_admin(srv_req *r, const char *mailbox, const char *operation)
{
	if (r->conn->id.admin)
		return S_OK;
	srv_audit_log(r->conn->srv->audit, &r->conn->id, mailbox, operation, MAPI_E_NO_ACCESS);
	return mapix_error(MAPI_E_NO_ACCESS, "mapixd: %s is not an administrator", r->conn->id.name);
}

static HRESULT op_admin_create(srv_req *r)
{
	char *name, *display, *smtp, *unix_user, *password;
	BYTE has_password;
	srv_server *s = r->conn->srv;
	srv_account a;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &name));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &display));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &smtp));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &unix_user));
	SRV_ARG(r, mapix_wire_get_u8(&r->in, &has_password));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &password));
	SRV_ARGS_END(r);
	if (FAILED(hr = need_admin(r, name, "CreateAccount")))
		return hr;
	memset(&a, 0, sizeof a);
	if (strlen(name) >= sizeof a.name || strlen(display) >= sizeof a.display_name || strlen(smtp) >= sizeof a.smtp ||
	    strlen(unix_user) >= sizeof a.unix_user)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateAccount: a field is too long");
	snprintf(a.name, sizeof a.name, "%s", name);
	snprintf(a.display_name, sizeof a.display_name, "%s", display);
	snprintf(a.smtp, sizeof a.smtp, "%s", smtp);
	snprintf(a.unix_user, sizeof a.unix_user, "%s", unix_user);
	if (FAILED(hr = srv_dir_add(s->dir, &a, has_password ? password : NULL, s->cfg.max_accounts)))
		return hr;
	if (FAILED(hr = srv_dir_find(s->dir, name, &a)) || FAILED(hr = srv_mailbox_create(s, &a))) {
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		srv_dir_remove(s->dir, name);
		return mapix_error(hr, "%s", why);
	}
	srv_audit_log(s->audit, &r->conn->id, name, "CreateAccount", S_OK);
	return S_OK;
}

static HRESULT op_admin_delete(srv_req *r)
{
	char *name;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &name));
	SRV_ARGS_END(r);
	if (FAILED(hr = need_admin(r, name, "DeleteAccount")))
		return hr;
	/* The mailbox file stays (an administrator removes or archives it):
	 * deleting an account must never destroy mail by accident. */
	hr = srv_dir_remove(r->conn->srv->dir, name);
	if (SUCCEEDED(hr))
		srv_audit_log(r->conn->srv->audit, &r->conn->id, name, "DeleteAccount", S_OK);
	return hr;
}

static HRESULT op_admin_grant(srv_req *r)
{
	char *mailbox, *grantee, *right;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &grantee));
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &right));
	SRV_ARGS_END(r);
	BOOL grant = r->op == MPX_OP_ADMIN_GRANT;
	if (FAILED(hr = need_admin(r, mapix_mailbox_dn_account(mailbox) ? mapix_mailbox_dn_account(mailbox) : mailbox,
	                           grant ? "Grant" : "Revoke")))
		return hr;
	hr = grant ? srv_dir_grant(r->conn->srv->dir, mailbox, grantee, right)
	           : srv_dir_revoke(r->conn->srv->dir, mailbox, grantee, right);
	if (SUCCEEDED(hr)) {
		char op[128];
		snprintf(op, sizeof op, "%s(%s, %s)", grant ? "Grant" : "Revoke", grantee, right);
		srv_audit_log(r->conn->srv->audit, &r->conn->id, mailbox, op, S_OK);
	}
	return hr;
}

static HRESULT op_release(srv_req *r)
{
	SRV_ARGS_END(r);
	srv_conn_release_handle(r->conn, r->handle_id);
	return S_OK;
}

static HRESULT op_status(srv_req *r)
{
	srv_server *s = r->conn->srv;
	SRV_ARGS_END(r);
	pthread_mutex_lock(&s->lock);
	unsigned conns = s->n_conns;
	pthread_mutex_unlock(&s->lock);
	unsigned boxes = srv_mailbox_count(s);
	pthread_mutex_lock(&r->conn->lock);
	uint32_t handles = r->conn->n_live;
	pthread_mutex_unlock(&r->conn->lock);
	SRV_OUT(mapix_wire_put_u32(&r->out, conns));
	SRV_OUT(mapix_wire_put_u32(&r->out, boxes));
	SRV_OUT(mapix_wire_put_u32(&r->out, handles));
	return S_OK;
}

const srv_op srv_ops_conn[] = {
	{MPX_OP_HELLO, op_hello, 0, 0, "Hello"},
	{MPX_OP_LOGON, op_logon, 0, 0, "OpenMsgStore"},
	{MPX_OP_LOGON_ENTRYID, op_logon_entryid, 0, 0, "OpenMsgStore"},
	{MPX_OP_ADMIN_CREATE, op_admin_create, 0, 0, "CreateAccount"},
	{MPX_OP_ADMIN_DELETE, op_admin_delete, 0, 0, "DeleteAccount"},
	{MPX_OP_ADMIN_GRANT, op_admin_grant, 0, 0, "Grant"},
	{MPX_OP_ADMIN_REVOKE, op_admin_grant, 0, 0, "Revoke"},
	{MPX_OP_STATUS, op_status, 0, 0, "Status"},
	{MPX_OP_LOGON_PASSWORD, srv_op_logon_password, 0, 0, "Logon(password)"},
	{0, NULL, 0, 0, NULL},
};

/* RELEASE names the handle it releases, of any kind. */
static const srv_op release_op = {MPX_OP_RELEASE, op_release, ~0u, 0, "Release"};

/* ---- the dispatcher ------------------------------------------------------------------------- */

static const srv_op *find_op(uint32_t op)
{
	static const srv_op *const tables[] = {srv_ops_conn,    srv_ops_prop,  srv_ops_store, srv_ops_folder,
	                                       srv_ops_message, srv_ops_table, srv_ops_stream, srv_ops_admin,
	                                       srv_ops_acl,     srv_ops_directory};
	if (op == MPX_OP_RELEASE)
		return &release_op;
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		for (const srv_op *o = tables[t]; o->fn; o++)
			if (o->op == op)
				return o;
	return NULL;
}

BOOL srv_dispatch(srv_conn *c, BOOL oneway, const BYTE *payload, size_t cb, MAPIXWIREBUF *reply)
{
	srv_req r;
	memset(&r, 0, sizeof r);
	r.conn = c;
	mapix_wire_cursor_init(&r.in, payload, cb);
	mapix_wire_buf_init(&r.out);
	if (FAILED(mapix_wire_get_u32(&r.in, &r.handle_id)) || FAILED(mapix_wire_get_u32(&r.in, &r.op))) {
		mapix_error_clear();
		return FALSE;
	}
	const srv_op *o = find_op(r.op);
	HRESULT hr;
	mapix_error_clear();
	if (!c->greeted && r.op != MPX_OP_HELLO)
		return FALSE;
	/* TCP: nothing but the password logon until it succeeded. */
	if (!c->authenticated && r.op != MPX_OP_HELLO && r.op != MPX_OP_LOGON_PASSWORD)
		return FALSE;
	if (!o) {
		hr = mapix_error(MAPI_E_NO_SUPPORT, "mapixd: unknown operation %u", (unsigned)r.op);
	} else if (r.handle_id == MAPIX_PROTO_CONN_HANDLE && (o->kinds & SRV_K_CONN)) {
		/* Operations a service identity may use before any logon. */
		hr = o->fn(&r);
	} else if (o->kinds == 0) {
		hr = r.handle_id == MAPIX_PROTO_CONN_HANDLE
		         ? o->fn(&r)
		         : mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: %s is an operation of the connection", o->name);
	} else if (o == &release_op) {
		hr = o->fn(&r);
	} else if (SUCCEEDED(hr = srv_conn_get_handle(c, r.handle_id, o->kinds, &r.h)) &&
	           SUCCEEDED(hr = (r.h.access & SRV_ACC_ACL) ? srv_acl_check(c, &r.h, srv_acl_rule_of(o->op), o->name)
	                                                      : srv_rights_check(c, &r.h, o->need, o->name))) {
		hr = o->fn(&r);
	}
	BOOL keep = !r.bad;
	/* The reply must fit the frames the client accepts (max_frame, which
	 * HELLO announced). */
	if (SUCCEEDED(hr) && r.out.cb + 1024 > c->srv->cfg.max_frame)
		hr = mapix_error(MAPI_E_TOO_BIG, "mapixd: the reply (%zu bytes) exceeds max_frame (%u)", r.out.cb,
		                 (unsigned)c->srv->cfg.max_frame);
	if (keep && !oneway) {
		const char *text = hr != S_OK ? MAPIXGetLastErrorText() : "";
		if (FAILED(mapix_wire_put_u32(reply, (ULONG)hr)) || FAILED(mapix_proto_put_str(reply, text ? text : "")) ||
		    (SUCCEEDED(hr) && FAILED(mapix_wire_put_bytes(reply, r.out.pb, r.out.cb)))) {
			/* No memory for the reply: report that instead of the outputs. */
			mapix_wire_buf_reset(reply);
			mapix_wire_put_u32(reply, (ULONG)MAPI_E_NOT_ENOUGH_MEMORY);
			mapix_proto_put_str(reply, "mapixd: out of memory for the reply");
		}
	}
	srv_handle_put(&r.h);
	mapix_proto_arena_free(&r.arena);
	mapix_wire_buf_free(&r.out);
	mapix_error_clear();
	return keep;
}
