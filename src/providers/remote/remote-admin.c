/*
 * remote-admin.c — the administrative requests of mapixremote.h beyond
 * accounts and grants (remote-logon.c): listing accounts and grants,
 * quotas, the server's status, and mailbox backups streamed from the
 * server into a file of the caller's. Each is one request on the
 * connection of the calling thread's security context; the server decides
 * whether the caller is an administrator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "remote.h"

/* Starts a request on the connection; *conn must be released. */
static HRESULT begin(LPCSTR lpszServer, uint32_t op, rcall *c, remote_conn **conn)
{
	HRESULT hr = remote_conn_get(lpszServer, conn);
	if (FAILED(hr))
		return hr;
	rc_begin(c, *conn, MAPIX_PROTO_CONN_HANDLE, op);
	return S_OK;
}

static void finish(rcall *c, remote_conn *conn)
{
	rc_end(c);
	remote_conn_unref(conn);
}

/* A copy of s chained to the block root. */
static HRESULT more_str(const char *s, LPVOID root, LPSTR *out)
{
	size_t n = strlen(s ? s : "") + 1;
	HRESULT hr = MAPIAllocateMore((ULONG)n, root, (LPVOID *)out);
	if (FAILED(hr))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	memcpy(*out, s ? s : "", n);
	return S_OK;
}

static HRESULT get_quota(MAPIXWIRECURSOR *in, MAPIXQUOTA *q)
{
	HRESULT hr;
	if (FAILED(hr = mapix_wire_get_u64(in, &q->cbUsed)) || FAILED(hr = mapix_wire_get_u64(in, &q->cbWarning)) ||
	    FAILED(hr = mapix_wire_get_u64(in, &q->cbSendLimit)) ||
	    FAILED(hr = mapix_wire_get_u64(in, &q->cbReceiveLimit)) || FAILED(hr = mapix_wire_get_u32(in, &q->ulState)))
		return hr;
	return mapix_wire_get_u32(in, &q->ulDefaults);
}

/* Each entry of a list reply is at least this many bytes: a bound for the
 * count before anything is allocated. */
static BOOL count_fits(MAPIXWIRECURSOR *in, ULONG n, size_t min_entry)
{
	return (uint64_t)n * min_entry <= mapix_wire_cursor_left(in);
}

/* Reads entry i of a list reply into the array at root (strings chained
 * to root); *bad when the reply is malformed. */
typedef HRESULT (*read_entry_fn)(MAPIXWIRECURSOR *in, mapix_proto_arena *a, LPVOID root, ULONG i, BOOL *bad);

/* The rest of a list reply: the count, then the entries (each at least
 * min_entry bytes on the wire) read by read_entry into one zeroed block of
 * elem_size entries. Finishes the call; on failure nothing is returned. */
static HRESULT read_list(rcall *c, remote_conn *conn, const char *fn, size_t min_entry, size_t elem_size,
                         read_entry_fn read_entry, ULONG *n_out, LPVOID *list_out)
{
	HRESULT hr = S_OK;
	ULONG n = 0;
	LPVOID list = NULL;
	mapix_proto_arena a = {0};
	if (FAILED(mapix_wire_get_u32(&c->out, &n)) || !count_fits(&c->out, n, min_entry)) {
		hr = rc_bad_reply(c, fn);
	} else if (FAILED(MAPIAllocateBuffer((ULONG)((n ? n : 1) * elem_size), &list))) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", fn);
	} else {
		memset(list, 0, (n ? n : 1) * elem_size);
		for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
			BOOL bad = FALSE;
			hr = read_entry(&c->out, &a, list, i, &bad);
			if (bad)
				hr = rc_bad_reply(c, fn);
		}
		if (SUCCEEDED(hr) && FAILED(mapix_wire_get_end(&c->out)))
			hr = rc_bad_reply(c, fn);
	}
	mapix_proto_arena_free(&a);
	finish(c, conn);
	if (FAILED(hr)) {
		MAPIFreeBuffer(list);
		return hr;
	}
	*n_out = n;
	*list_out = list;
	return S_OK;
}

static HRESULT read_account(MAPIXWIRECURSOR *in, mapix_proto_arena *a, LPVOID root, ULONG i, BOOL *bad)
{
	LPMAPIXACCOUNT e = (LPMAPIXACCOUNT)root + i;
	char *name, *display, *smtp, *user;
	HRESULT hr;
	if (FAILED(mapix_proto_get_str(in, a, &name)) || FAILED(mapix_proto_get_str(in, a, &display)) ||
	    FAILED(mapix_proto_get_str(in, a, &smtp)) || FAILED(mapix_proto_get_str(in, a, &user)) ||
	    FAILED(get_quota(in, &e->quota))) {
		*bad = TRUE;
		return S_OK;
	}
	if (FAILED(hr = more_str(name, root, &e->lpszName)) || FAILED(hr = more_str(display, root, &e->lpszDisplayName)) ||
	    FAILED(hr = more_str(smtp, root, &e->lpszSmtpAddress)))
		return hr;
	return more_str(user, root, &e->lpszUnixUser);
}

static HRESULT read_grant(MAPIXWIRECURSOR *in, mapix_proto_arena *a, LPVOID root, ULONG i, BOOL *bad)
{
	LPMAPIXGRANT e = (LPMAPIXGRANT)root + i;
	char *mailbox, *grantee, *right;
	HRESULT hr;
	if (FAILED(mapix_proto_get_str(in, a, &mailbox)) || FAILED(mapix_proto_get_str(in, a, &grantee)) ||
	    FAILED(mapix_proto_get_str(in, a, &right))) {
		*bad = TRUE;
		return S_OK;
	}
	if (FAILED(hr = more_str(mailbox, root, &e->lpszMailbox)) || FAILED(hr = more_str(grantee, root, &e->lpszGrantee)))
		return hr;
	return more_str(right, root, &e->lpszRight);
}

STDAPI MAPIXRemoteListAccounts(LPCSTR lpszServer, ULONG *lpcAccounts, LPMAPIXACCOUNT *lppAccounts)
{
	static const char fn[] = "MAPIXRemoteListAccounts";
	rcall c;
	remote_conn *conn;
	if (!lpcAccounts || !lppAccounts)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL result pointer", fn);
	*lpcAccounts = 0;
	*lppAccounts = NULL;
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_LIST_ACCOUNTS, &c, &conn);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = rc_run(&c, fn))) {
		finish(&c, conn);
		return hr;
	}
	return read_list(&c, conn, fn, 4 * 4 + 4 * 8 + 8, sizeof(MAPIXACCOUNT), read_account, lpcAccounts,
	                 (LPVOID *)lppAccounts);
}

STDAPI MAPIXRemoteListGrants(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG *lpcGrants, LPMAPIXGRANT *lppGrants)
{
	static const char fn[] = "MAPIXRemoteListGrants";
	rcall c;
	remote_conn *conn;
	if (!lpcGrants || !lppGrants)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL result pointer", fn);
	*lpcGrants = 0;
	*lppGrants = NULL;
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_LIST_GRANTS, &c, &conn);
	if (FAILED(hr))
		return hr;
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMailbox ? lpszMailbox : ""));
	if (FAILED(hr = rc_run(&c, fn))) {
		finish(&c, conn);
		return hr;
	}
	return read_list(&c, conn, fn, 12, sizeof(MAPIXGRANT), read_grant, lpcGrants, (LPVOID *)lppGrants);
}

STDAPI MAPIXRemoteSetQuota(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG ulWhich, ULONGLONG cbWarning,
                           ULONGLONG cbSendLimit, ULONGLONG cbReceiveLimit)
{
	static const char fn[] = "MAPIXRemoteSetQuota";
	rcall c;
	remote_conn *conn;
	if (!lpszMailbox || !*lpszMailbox)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no mailbox", fn);
	if (!ulWhich || (ulWhich & ~(ULONG)(MAPIX_QUOTA_WARNING | MAPIX_QUOTA_SEND | MAPIX_QUOTA_RECEIVE)))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "%s: no or unknown thresholds 0x%X", fn, (unsigned)ulWhich);
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_SET_QUOTA, &c, &conn);
	if (FAILED(hr))
		return hr;
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMailbox));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulWhich));
	RC_PUT(&c, mapix_wire_put_u64(&c.req, cbWarning));
	RC_PUT(&c, mapix_wire_put_u64(&c.req, cbSendLimit));
	RC_PUT(&c, mapix_wire_put_u64(&c.req, cbReceiveLimit));
	hr = rc_run(&c, fn);
	finish(&c, conn);
	return hr;
}

STDAPI MAPIXRemoteGetQuota(LPCSTR lpszServer, LPCSTR lpszMailbox, LPMAPIXQUOTA lpQuota)
{
	static const char fn[] = "MAPIXRemoteGetQuota";
	rcall c;
	remote_conn *conn;
	if (!lpszMailbox || !*lpszMailbox || !lpQuota)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no mailbox or NULL result", fn);
	memset(lpQuota, 0, sizeof *lpQuota);
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_GET_QUOTA, &c, &conn);
	if (FAILED(hr))
		return hr;
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMailbox));
	if (SUCCEEDED(hr = rc_run(&c, fn))) {
		mapix_proto_arena a = {0};
		char *name;
		if (FAILED(mapix_proto_get_str(&c.out, &a, &name)) || FAILED(get_quota(&c.out, lpQuota)) ||
		    FAILED(mapix_wire_get_end(&c.out)))
			hr = rc_bad_reply(&c, fn);
		mapix_proto_arena_free(&a);
	}
	finish(&c, conn);
	return hr;
}

STDAPI MAPIXRemoteGetStatus(LPCSTR lpszServer, LPMAPIXSERVERSTATUS *lppStatus)
{
	static const char fn[] = "MAPIXRemoteGetStatus";
	rcall c;
	remote_conn *conn;
	if (!lppStatus)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL result pointer", fn);
	*lppStatus = NULL;
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_STATUS, &c, &conn);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = rc_run(&c, fn))) {
		finish(&c, conn);
		return hr;
	}
	mapix_proto_arena a = {0};
	char *server, *identity;
	LPMAPIXSERVERSTATUS st = NULL;
	if (FAILED(MAPIAllocateBuffer(sizeof *st, (LPVOID *)&st))) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory", fn);
	} else {
		memset(st, 0, sizeof *st);
		if (FAILED(mapix_proto_get_str(&c.out, &a, &server)) || FAILED(mapix_proto_get_str(&c.out, &a, &identity)) ||
		    FAILED(mapix_wire_get_u32(&c.out, &st->ulConnections)) ||
		    FAILED(mapix_wire_get_u32(&c.out, &st->ulOpenMailboxes)) ||
		    FAILED(mapix_wire_get_u32(&c.out, &st->ulAccounts)) || FAILED(mapix_wire_get_u32(&c.out, &st->ulOverWarning)) ||
		    FAILED(mapix_wire_get_u32(&c.out, &st->ulOverLimit)) || FAILED(mapix_wire_get_u64(&c.out, &st->ullUptime)) ||
		    FAILED(mapix_wire_get_end(&c.out)))
			hr = rc_bad_reply(&c, fn);
		else if (SUCCEEDED(hr = more_str(server, st, &st->lpszServerName)))
			hr = more_str(identity, st, &st->lpszIdentity);
	}
	mapix_proto_arena_free(&a);
	finish(&c, conn);
	if (FAILED(hr)) {
		MAPIFreeBuffer(st);
		return hr;
	}
	*lppStatus = st;
	return S_OK;
}

/* Reads the streamed copy into fd; the server's copy is size bytes. */
static HRESULT pull_backup(remote_conn *conn, int fd, uint64_t size, const char *dest)
{
	static const char fn[] = "MAPIXRemoteBackupMailbox";
	uint64_t off = 0;
	HRESULT hr = S_OK;
	while (off < size && SUCCEEDED(hr)) {
		rcall c;
		rc_begin(&c, conn, MAPIX_PROTO_CONN_HANDLE, MPX_OP_ADMIN_BACKUP_READ);
		RC_PUT(&c, mapix_wire_put_u64(&c.req, off));
		RC_PUT(&c, mapix_wire_put_u32(&c.req, MAPIX_PROTO_STREAM_CHUNK));
		if (SUCCEEDED(hr = rc_run(&c, fn))) {
			mapix_proto_arena a = {0};
			ULONG cb = 0;
			BYTE *pb = NULL;
			if (FAILED(mapix_proto_get_bin(&c.out, &a, &cb, &pb)) || FAILED(mapix_wire_get_end(&c.out)) || !cb ||
			    cb > size - off) {
				hr = rc_bad_reply(&c, fn);
			} else {
				for (ULONG done = 0; done < cb && SUCCEEDED(hr);) {
					ssize_t w = pwrite(fd, pb + done, cb - done, (off_t)(off + done));
					if (w < 0 && errno == EINTR)
						continue;
					if (w <= 0)
						hr = mapix_error(errno == ENOSPC ? MAPI_E_NOT_ENOUGH_DISK : MAPI_E_DISK_ERROR, "%s: %s", dest,
						                 strerror(errno));
					else
						done += (ULONG)w;
				}
				off += cb;
			}
			mapix_proto_arena_free(&a);
		}
		rc_end(&c);
	}
	if (SUCCEEDED(hr) && fsync(fd) != 0)
		hr = mapix_error(MAPI_E_DISK_ERROR, "%s: %s", dest, strerror(errno));
	return hr;
}

STDAPI MAPIXRemoteBackupMailbox(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszDestPath)
{
	static const char fn[] = "MAPIXRemoteBackupMailbox";
	rcall c;
	remote_conn *conn;
	if (!lpszMailbox || !*lpszMailbox || !lpszDestPath || !*lpszDestPath)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no mailbox or destination", fn);
	/* The destination is created before anything is asked of the server:
	 * an existing file is never overwritten. */
	int fd = open(lpszDestPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return mapix_error(errno == EEXIST ? MAPI_E_COLLISION : MAPI_E_NO_ACCESS, "%s: %s", lpszDestPath,
		                   errno == EEXIST ? "already exists" : strerror(errno));
	HRESULT hr = begin(lpszServer, MPX_OP_ADMIN_BACKUP_BEGIN, &c, &conn);
	if (FAILED(hr)) {
		close(fd);
		unlink(lpszDestPath);
		return hr;
	}
	RC_PUT(&c, mapix_proto_put_str(&c.req, lpszMailbox));
	uint64_t size = 0;
	BOOL begun = FALSE;
	if (SUCCEEDED(hr = rc_run(&c, fn))) {
		begun = TRUE;
		if (FAILED(mapix_wire_get_u64(&c.out, &size)) || FAILED(mapix_wire_get_end(&c.out)))
			hr = rc_bad_reply(&c, fn);
	}
	rc_end(&c);
	if (SUCCEEDED(hr))
		hr = pull_backup(conn, fd, size, lpszDestPath);
	if (begun && remote_conn_alive(conn)) {
		/* The server removes its copy now (or when the connection ends). */
		char why[512];
		snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
		rc_begin(&c, conn, MAPIX_PROTO_CONN_HANDLE, MPX_OP_ADMIN_BACKUP_END);
		HRESULT end = rc_run(&c, fn);
		rc_end(&c);
		if (SUCCEEDED(hr))
			hr = end;
		else
			mapix_error(hr, "%s", why);
	}
	remote_conn_unref(conn);
	if (close(fd) != 0 && SUCCEEDED(hr))
		hr = mapix_error(MAPI_E_DISK_ERROR, "%s: %s", lpszDestPath, strerror(errno));
	if (FAILED(hr))
		unlink(lpszDestPath);
	return hr;
}
