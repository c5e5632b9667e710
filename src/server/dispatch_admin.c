/*
 * dispatch_admin.c — the administrative operations beyond creating and
 * deleting accounts and grants (dispatch.c): listing accounts and grants,
 * quotas, the server's status and streamed mailbox backups. All are
 * operations of the connection and are for administrators of mapixd.conf
 * only: anyone else gets MAPI_E_NO_ACCESS and an audit line. Changes
 * (quotas) and backups are audited with their result too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapixremote.h>

#include "core/error.h"
#include "server.h"

static time_t started;

__attribute__((constructor)) static void note_start(void)
{
	started = time(NULL);
}

static HRESULT admin_only(srv_req *r, const char *mailbox, const char *operation)
{
	if (r->conn->id.admin)
		return S_OK;
	srv_audit_log(r->conn->srv->audit, &r->conn->id, mailbox ? mailbox : "", operation, MAPI_E_NO_ACCESS);
	return mapix_error(MAPI_E_NO_ACCESS, "mapixd: %s is not an administrator", r->conn->id.name);
}

static HRESULT put_quota(MAPIXWIREBUF *b, const srv_quota *q)
{
	HRESULT hr;
	if (FAILED(hr = mapix_wire_put_u64(b, q->used)) || FAILED(hr = mapix_wire_put_u64(b, q->warning)) ||
	    FAILED(hr = mapix_wire_put_u64(b, q->send)) || FAILED(hr = mapix_wire_put_u64(b, q->receive)) ||
	    FAILED(hr = mapix_wire_put_u32(b, q->state)))
		return hr;
	return mapix_wire_put_u32(b, q->defaults);
}

/* ---- accounts and grants ------------------------------------------------------------------------ */

typedef struct account_list {
	srv_account *a;
	size_t n, cap;
	BOOL oom;
} account_list;

static void collect(const srv_account *a, void *ctx)
{
	account_list *l = ctx;
	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		srv_account *p = realloc(l->a, cap * sizeof *p);
		if (!p) {
			l->oom = TRUE;
			return;
		}
		l->a = p;
		l->cap = cap;
	}
	l->a[l->n++] = *a;
}

static HRESULT all_accounts(srv_server *s, account_list *l)
{
	memset(l, 0, sizeof *l);
	HRESULT hr = srv_dir_each(s->dir, collect, l);
	if (SUCCEEDED(hr) && l->oom)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
	if (FAILED(hr))
		free(l->a);
	return hr;
}

/* The quota of an account; one whose mailbox file is gone has no usage. */
static HRESULT account_quota(srv_server *s, const srv_account *a, srv_quota *q)
{
	HRESULT hr = srv_quota_get(s, a, NULL, q);
	if (hr == MAPI_E_NOT_FOUND) {
		mapix_error_clear();
		memset(q, 0, sizeof *q);
		return S_OK;
	}
	return hr;
}

static HRESULT op_list_accounts(srv_req *r)
{
	srv_server *s = r->conn->srv;
	account_list l;
	HRESULT hr;
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, NULL, "ListAccounts")) || FAILED(hr = all_accounts(s, &l)))
		return hr;
	hr = mapix_wire_put_u32(&r->out, (ULONG)l.n);
	for (size_t i = 0; SUCCEEDED(hr) && i < l.n; i++) {
		srv_quota q;
		const srv_account *a = &l.a[i];
		if (FAILED(hr = account_quota(s, a, &q)))
			break;
		if (SUCCEEDED(hr = mapix_proto_put_str(&r->out, a->name)) &&
		    SUCCEEDED(hr = mapix_proto_put_str(&r->out, a->display_name)) &&
		    SUCCEEDED(hr = mapix_proto_put_str(&r->out, a->smtp)) &&
		    SUCCEEDED(hr = mapix_proto_put_str(&r->out, a->unix_user)))
			hr = put_quota(&r->out, &q);
	}
	free(l.a);
	return hr;
}

static HRESULT op_list_grants(srv_req *r)
{
	char *mailbox;
	srv_grant *g = NULL;
	size_t n = 0;
	srv_account a;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, mailbox, "ListGrants")))
		return hr;
	if (*mailbox && FAILED(hr = srv_dir_find(r->conn->srv->dir, mailbox, &a)))
		return hr;
	if (FAILED(hr = srv_dir_grants(r->conn->srv->dir, *mailbox ? a.name : NULL, &g, &n)))
		return hr;
	hr = mapix_wire_put_u32(&r->out, (ULONG)n);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		if (SUCCEEDED(hr = mapix_proto_put_str(&r->out, g[i].mailbox)) &&
		    SUCCEEDED(hr = mapix_proto_put_str(&r->out, g[i].grantee)))
			hr = mapix_proto_put_str(&r->out, g[i].right);
	free(g);
	return hr;
}

/* ---- quotas -------------------------------------------------------------------------------------------- */

static HRESULT op_set_quota(srv_req *r)
{
	char *mailbox;
	ULONG which;
	uint64_t v[3];
	int64_t values[3];
	srv_account a;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &which));
	for (int i = 0; i < 3; i++)
		SRV_ARG(r, mapix_wire_get_u64(&r->in, &v[i]));
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, mailbox, "SetQuota")))
		return hr;
	if (!which || (which & ~(ULONG)(MAPIX_QUOTA_WARNING | MAPIX_QUOTA_SEND | MAPIX_QUOTA_RECEIVE)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetQuota: no or unknown thresholds 0x%X", (unsigned)which);
	for (int i = 0; i < 3; i++) {
		if (v[i] != UINT64_MAX && v[i] > (uint64_t)INT64_MAX)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "SetQuota: threshold too large");
		values[i] = v[i] == UINT64_MAX ? -1 : (int64_t)v[i];
	}
	if (FAILED(hr = srv_dir_find(r->conn->srv->dir, mailbox, &a)) ||
	    FAILED(hr = srv_dir_set_quota(r->conn->srv->dir, a.name, which, values)))
		return hr;
	/* The audit line says what changed: "SetQuota(send=102400, warning=default)". */
	static const char *const names[3] = {"warning", "send", "receive"};
	char op[200] = "SetQuota(";
	for (int i = 0; i < 3; i++) {
		if (!(which & (1u << i)))
			continue;
		size_t len = strlen(op);
		if (values[i] < 0)
			snprintf(op + len, sizeof op - len, "%s%s=default", op[len - 1] == '(' ? "" : ", ", names[i]);
		else
			snprintf(op + len, sizeof op - len, "%s%s=%lld", op[len - 1] == '(' ? "" : ", ", names[i],
			         (long long)values[i]);
	}
	strncat(op, ")", sizeof op - strlen(op) - 1);
	srv_audit_log(r->conn->srv->audit, &r->conn->id, a.name, op, S_OK);
	return S_OK;
}

static HRESULT op_get_quota(srv_req *r)
{
	char *mailbox;
	srv_account a;
	srv_quota q;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, mailbox, "GetQuota")) || FAILED(hr = srv_dir_find(r->conn->srv->dir, mailbox, &a)) ||
	    FAILED(hr = account_quota(r->conn->srv, &a, &q)))
		return hr;
	SRV_OUT(mapix_proto_put_str(&r->out, a.name));
	return put_quota(&r->out, &q);
}

/* ---- status ----------------------------------------------------------------------------------------------- */

static HRESULT op_admin_status(srv_req *r)
{
	srv_server *s = r->conn->srv;
	account_list l;
	HRESULT hr;
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, NULL, "Status")) || FAILED(hr = all_accounts(s, &l)))
		return hr;
	ULONG warn = 0, over = 0;
	for (size_t i = 0; i < l.n; i++) {
		srv_quota q;
		if (FAILED(account_quota(s, &l.a[i], &q))) {
			mapix_error_clear();
			continue;
		}
		warn += (q.state & MAPIX_QUOTA_STATE_WARNING) != 0;
		over += (q.state & (MAPIX_QUOTA_STATE_SEND_PROHIBITED | MAPIX_QUOTA_STATE_RECEIVE_PROHIBITED)) != 0;
	}
	free(l.a);
	pthread_mutex_lock(&s->lock);
	unsigned conns = s->n_conns;
	pthread_mutex_unlock(&s->lock);
	SRV_OUT(mapix_proto_put_str(&r->out, s->cfg.server_name));
	SRV_OUT(mapix_proto_put_str(&r->out, r->conn->id.name));
	SRV_OUT(mapix_wire_put_u32(&r->out, conns));
	SRV_OUT(mapix_wire_put_u32(&r->out, srv_mailbox_count(s)));
	SRV_OUT(mapix_wire_put_u32(&r->out, (ULONG)l.n));
	SRV_OUT(mapix_wire_put_u32(&r->out, warn));
	SRV_OUT(mapix_wire_put_u32(&r->out, over));
	return mapix_wire_put_u64(&r->out, (uint64_t)(time(NULL) - started));
}

/* ---- backup ------------------------------------------------------------------------------------------------- */

static HRESULT op_backup_begin(srv_req *r)
{
	char *mailbox;
	srv_account a;
	srv_backup *b = NULL;
	HRESULT hr;
	SRV_ARG(r, mapix_proto_get_str(&r->in, &r->arena, &mailbox));
	SRV_ARGS_END(r);
	if (FAILED(hr = admin_only(r, mailbox, "Backup")))
		return hr;
	if (r->conn->backup)
		return mapix_error(MAPI_E_BUSY, "Backup: this connection is already streaming a backup of %s",
		                   r->conn->backup->mailbox);
	if (FAILED(hr = srv_dir_find(r->conn->srv->dir, mailbox, &a)))
		return hr;
	hr = srv_backup_make(r->conn->srv, &a, &b);
	srv_audit_log(r->conn->srv->audit, &r->conn->id, a.name, "Backup", hr);
	if (FAILED(hr))
		return hr;
	r->conn->backup = b;
	return mapix_wire_put_u64(&r->out, b->size);
}

static HRESULT op_backup_read(srv_req *r)
{
	uint64_t offset;
	ULONG max;
	SRV_ARG(r, mapix_wire_get_u64(&r->in, &offset));
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &max));
	SRV_ARGS_END(r);
	srv_backup *b = r->conn->backup;
	if (!b)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "BackupRead: no backup is being streamed");
	if (max > MAPIX_PROTO_STREAM_CHUNK)
		max = MAPIX_PROTO_STREAM_CHUNK;
	if (offset >= b->size)
		return mapix_proto_put_bin(&r->out, 0, NULL);
	if (max > b->size - offset)
		max = (ULONG)(b->size - offset);
	BYTE *buf = malloc(max ? max : 1);
	if (!buf)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "BackupRead: out of memory");
	ssize_t got = pread(b->fd, buf, max, (off_t)offset);
	HRESULT hr = got < 0 ? mapix_error(MAPI_E_DISK_ERROR, "BackupRead: reading the copy failed")
	                     : mapix_proto_put_bin(&r->out, (ULONG)got, buf);
	free(buf);
	return hr;
}

static HRESULT op_backup_end(srv_req *r)
{
	SRV_ARGS_END(r);
	srv_backup_free(r->conn->backup);
	r->conn->backup = NULL;
	return S_OK;
}

/* Everyone may ask (admin_only decides, with an audit line), so no
 * handle kinds and no rights bits here. */
const srv_op srv_ops_admin[] = {
	{MPX_OP_ADMIN_LIST_ACCOUNTS, op_list_accounts, 0, 0, "ListAccounts"},
	{MPX_OP_ADMIN_LIST_GRANTS, op_list_grants, 0, 0, "ListGrants"},
	{MPX_OP_ADMIN_SET_QUOTA, op_set_quota, 0, 0, "SetQuota"},
	{MPX_OP_ADMIN_GET_QUOTA, op_get_quota, 0, 0, "GetQuota"},
	{MPX_OP_ADMIN_STATUS, op_admin_status, 0, 0, "Status"},
	{MPX_OP_ADMIN_BACKUP_BEGIN, op_backup_begin, 0, 0, "Backup"},
	{MPX_OP_ADMIN_BACKUP_READ, op_backup_read, 0, 0, "BackupRead"},
	{MPX_OP_ADMIN_BACKUP_END, op_backup_end, 0, 0, "BackupEnd"},
	{0, NULL, 0, 0, NULL},
};
