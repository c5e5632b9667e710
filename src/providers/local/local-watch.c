/*
 * local-watch.c — notifications of the local store, made from the change
 * journal. Every change is journaled in the transaction that makes it, so
 * the journal is the one source for notifications whoever made the change:
 * after each commit of this logon (local_db's after_commit hook, which runs
 * with the mailbox lock released) and whenever another process writes the
 * mailbox (inotify on its directory, watched by the MAPI instance's
 * notification engine — no polling), the logon reads the changes it has not
 * announced yet and raises fnevObjectCreated/Modified/Moved/Deleted, and
 * fnevNewMail for a message that arrives in a receive folder.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-provider.h"
#include "local-schema.h"
#include "subsystem/notify.h"

#define PUMP_BATCH 256

typedef struct change_row {
	uint64_t cn, id, fid, old_fid;
	int kind;
	ULONG obj_type;
	BOOL new_mail;
	char *message_class;
} change_row;

static HRESULT max_cn(local_db *db, uint64_t *cn)
{
	static const char sel[] = "SELECT coalesce(max(cn), 0) FROM changes";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	int rc = sqlite3_step(st);
	*cn = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "reading the change journal");
}

/* Whether a created message is new mail: not associated, in a folder some
 * message class is delivered to. Also fetches its class. */
static void classify_new_message(local_db *db, change_row *r)
{
	static const char sel[] =
	    "SELECT m.associated = 0 AND EXISTS (SELECT 1 FROM receive WHERE fid = m.fid) FROM messages m WHERE m.mid = ?1";
	sqlite3_stmt *st;
	if (FAILED(local_db_prepare(db, sel, &st)))
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		r->new_mail = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	if (!r->new_mail)
		return;
	LPVOID root;
	SPropValue v;
	if (SUCCEEDED(MAPIAllocateBuffer(1, &root))) {
		if (SUCCEEDED(local_props_read(db, r->id, PR_MESSAGE_CLASS_A, root, &v, FALSE)) &&
		    PROP_TYPE(v.ulPropTag) == PT_STRING8)
			r->message_class = strdup(v.Value.lpszA);
		MAPIFreeBuffer(root);
	}
	mapix_error_clear();
}

/* Reads up to PUMP_BATCH unannounced changes. */
static HRESULT read_changes(local_logon *logon, change_row *rows, int *n)
{
	static const char sel[] = "SELECT cn, kind, obj_type, id, coalesce(fid, 0), coalesce(old_fid, 0) FROM changes"
	                          " WHERE cn > ?1 ORDER BY cn LIMIT ?2";
	local_db *db = logon->db;
	sqlite3_stmt *st;
	*n = 0;
	local_db_lock(db);
	HRESULT hr = local_db_begin_read(db);
	if (SUCCEEDED(hr) && SUCCEEDED(hr = local_db_prepare(db, sel, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)logon->notified_cn);
		sqlite3_bind_int(st, 2, PUMP_BATCH);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			change_row *r = &rows[(*n)++];
			memset(r, 0, sizeof *r);
			r->cn = (uint64_t)sqlite3_column_int64(st, 0);
			r->kind = sqlite3_column_int(st, 1);
			r->obj_type = (ULONG)sqlite3_column_int(st, 2);
			r->id = (uint64_t)sqlite3_column_int64(st, 3);
			r->fid = (uint64_t)sqlite3_column_int64(st, 4);
			r->old_fid = (uint64_t)sqlite3_column_int64(st, 5);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			hr = local_db_error(db, rc, "reading the change journal");
		for (int i = 0; SUCCEEDED(hr) && i < *n; i++)
			if (rows[i].kind == LOCAL_CHANGE_CREATE && rows[i].obj_type == MAPI_MESSAGE)
				classify_new_message(db, &rows[i]);
	}
	local_db_end_read(db);
	local_db_unlock(db);
	return hr;
}

static void announce(local_logon *logon, const change_row *r)
{
	const GUID *g = &logon->db->mailbox_guid;
	BYTE eid[MAPIX_MESSAGE_ENTRYID_SIZE], parent[MAPIX_FOLDER_ENTRYID_SIZE], old_parent[MAPIX_FOLDER_ENTRYID_SIZE];
	ULONG cb;
	NOTIFICATION n;
	static const ULONG events[] = {0, fnevObjectCreated, fnevObjectModified, fnevObjectMoved, fnevObjectDeleted};

	if (r->kind < LOCAL_CHANGE_CREATE || r->kind > LOCAL_CHANGE_DELETE)
		return;
	if (r->obj_type == MAPI_MESSAGE && !r->fid)
		return; /* embedded messages are part of their message */
	if (r->obj_type == MAPI_FOLDER) {
		mapix_entryid_make_folder(g, r->id, eid);
		cb = MAPIX_FOLDER_ENTRYID_SIZE;
	} else {
		mapix_entryid_make_message(g, r->fid, r->id, eid);
		cb = MAPIX_MESSAGE_ENTRYID_SIZE;
	}
	mapix_entryid_make_folder(g, r->fid ? r->fid : r->id, parent);
	memset(&n, 0, sizeof n);
	n.info.obj.cbEntryID = cb;
	n.info.obj.lpEntryID = (LPENTRYID)eid;
	n.info.obj.ulObjType = r->obj_type;
	n.info.obj.cbParentID = MAPIX_FOLDER_ENTRYID_SIZE;
	n.info.obj.lpParentID = (LPENTRYID)parent;
	if (r->kind == LOCAL_CHANGE_MOVE && r->old_fid) {
		mapix_entryid_make_folder(g, r->old_fid, old_parent);
		n.info.obj.cbOldParentID = MAPIX_FOLDER_ENTRYID_SIZE;
		n.info.obj.lpOldParentID = (LPENTRYID)old_parent;
		/* Entry IDs carry the folder: the old one names the old place. */
		if (r->obj_type == MAPI_MESSAGE) {
			BYTE old_eid[MAPIX_MESSAGE_ENTRYID_SIZE];
			mapix_entryid_make_message(g, r->old_fid, r->id, old_eid);
			n.info.obj.cbOldID = MAPIX_MESSAGE_ENTRYID_SIZE;
			n.info.obj.lpOldID = (LPENTRYID)old_eid;
			local_logon_notify(logon, events[r->kind], &n);
			return;
		}
	}
	local_logon_notify(logon, events[r->kind], &n);
	if (r->new_mail) {
		NOTIFICATION m;
		memset(&m, 0, sizeof m);
		m.info.newmail.cbEntryID = cb;
		m.info.newmail.lpEntryID = (LPENTRYID)eid;
		m.info.newmail.cbParentID = MAPIX_FOLDER_ENTRYID_SIZE;
		m.info.newmail.lpParentID = (LPENTRYID)parent;
		m.info.newmail.lpszMessageClass = (LPTSTR)(r->message_class ? r->message_class : "IPM.Note");
		m.info.newmail.ulMessageFlags = 0;
		local_logon_notify(logon, fnevNewMail, &m);
	}
}

/* Announces every change not announced yet (serialized per logon). */
static void pump(void *arg)
{
	local_logon *logon = arg;
	change_row *rows = malloc(PUMP_BATCH * sizeof *rows);
	if (!rows)
		return;
	pthread_mutex_lock(&logon->watch_lock);
	int n;
	do {
		if (FAILED(read_changes(logon, rows, &n)))
			break;
		for (int i = 0; i < n; i++) {
			announce(logon, &rows[i]);
			logon->notified_cn = rows[i].cn;
			free(rows[i].message_class);
		}
	} while (n == PUMP_BATCH);
	pthread_mutex_unlock(&logon->watch_lock);
	free(rows);
}

/* The inotify descriptor became readable: drain it, then pump. */
static void on_inotify(void *arg)
{
	local_logon *logon = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(logon->inotify_fd, buf, sizeof buf) > 0)
		;
	pump(logon);
}

HRESULT local_watch_start(local_logon *logon)
{
	HRESULT hr = S_OK;
	pthread_mutex_lock(&logon->watch_lock);
	if (logon->watching) {
		pthread_mutex_unlock(&logon->watch_lock);
		return S_OK;
	}
	local_db_lock(logon->db);
	hr = max_cn(logon->db, &logon->notified_cn);
	if (SUCCEEDED(hr)) {
		logon->db->after_commit = pump;
		logon->db->after_commit_arg = logon;
	}
	local_db_unlock(logon->db);
	if (SUCCEEDED(hr) && logon->inst) {
		/* Another process's commit writes the -wal file (or, in
		 * rollback mode, the file itself): watch the directory for both. */
		char *copy = strdup(logon->db->path);
		int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (copy && fd >= 0 && inotify_add_watch(fd, dirname(copy), IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) >= 0 &&
		    SUCCEEDED(mapix_notify_add_source(logon->inst, fd, on_inotify, logon, &logon->source_id))) {
			logon->inotify_fd = fd;
		} else if (fd >= 0) {
			close(fd); /* in-process changes are still announced */
		}
		free(copy);
	}
	logon->watching = SUCCEEDED(hr);
	pthread_mutex_unlock(&logon->watch_lock);
	return hr;
}

void local_watch_stop(local_logon *logon)
{
	if (logon->inotify_fd >= 0) {
		mapix_notify_remove_source(logon->inst, logon->source_id);
		close(logon->inotify_fd);
		logon->inotify_fd = -1;
	}
	logon->db->after_commit = NULL;
	logon->watching = FALSE;
}
