/*
 * local-journal.c — the change journal of a local mailbox: every create,
 * modify, move and delete of a folder or message is one row of the
 * changes table, numbered by a change number taken from the global
 * counter inside the write transaction that makes the change, so commit
 * order is change-number order (docs/store.md, "Change journal").
 *
 * Writers call local_journal_add; readers (notifications across
 * processes, mapixd's pushed notifications, incremental archiving) use
 * IMAPIXChangeJournal, which the store object hands out through
 * QueryInterface(IID_IMAPIXChangeJournal). Each read is one short read
 * transaction; nothing is held open between calls.
 */
#include <stdlib.h>
#include <string.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-provider.h"
#include "local-schema.h"

HRESULT local_journal_add(local_db *db, int kind, ULONG obj_type, uint64_t id, uint64_t fid, uint64_t old_fid,
                          uint64_t *cn)
{
	static const char sql[] = "INSERT INTO changes(cn, kind, obj_type, id, fid, old_fid, time)"
	                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st;
	uint64_t number;
	HRESULT hr;

	if (kind < LOCAL_CHANGE_CREATE || kind > LOCAL_CHANGE_DELETE)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: journal: unknown change kind %d", db->path, kind);
	if (FAILED(hr = local_db_next_ids(db, 1, &number)))
		return hr;
	if (FAILED(hr = local_db_prepare(db, sql, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)number);
	sqlite3_bind_int(st, 2, kind);
	sqlite3_bind_int64(st, 3, obj_type);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)id);
	/* 0 is no folder (the root's parent; no old parent unless moved). */
	if (fid)
		sqlite3_bind_int64(st, 5, (sqlite3_int64)fid);
	else
		sqlite3_bind_null(st, 5);
	if (old_fid)
		sqlite3_bind_int64(st, 6, (sqlite3_int64)old_fid);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return local_db_error(db, rc, "journaling a change");
	if (cn)
		*cn = number;
	return S_OK;
}

/* ---- IMAPIXChangeJournal ------------------------------------------------------------ */

typedef struct local_journal {
	IMAPIXChangeJournal itf; /* must stay first */
	atomic_ulong refs;
	local_logon *logon; /* counted */
} local_journal;

#define JOURNAL(This) ((local_journal *)(This))

/* Columns of every GetChangesSince row, in this order. */
enum {
	COL_CN,
	COL_KIND,
	COL_OBJ_TYPE,
	COL_ENTRYID,
	COL_SOURCE_KEY,
	COL_PARENT_ENTRYID,
	COL_PARENT_SOURCE_KEY,
	COL_OLD_PARENT_ENTRYID,
	COL_OLD_PARENT_SOURCE_KEY,
	COL_TIME,
	N_COLS
};

static HRESULT journal_QueryInterface(IMAPIXChangeJournal *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPIXChangeJournal::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPIXChangeJournal))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&JOURNAL(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG journal_AddRef(IMAPIXChangeJournal *This)
{
	return (ULONG)atomic_fetch_add(&JOURNAL(This)->refs, 1) + 1;
}

static ULONG journal_Release(IMAPIXChangeJournal *This)
{
	local_journal *j = JOURNAL(This);
	ULONG left = (ULONG)atomic_fetch_sub(&j->refs, 1) - 1;
	if (left)
		return left;
	local_logon_release(j->logon);
	free(j);
	return 0;
}

static HRESULT journal_GetLastChangeNumber(IMAPIXChangeJournal *This, ULONGLONG *lpcnLast)
{
	static const char sql[] = "SELECT coalesce(max(cn), 0) FROM changes";
	local_db *db = JOURNAL(This)->logon->db;
	sqlite3_stmt *st;
	HRESULT hr;

	if (!lpcnLast)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastChangeNumber: NULL result");
	*lpcnLast = 0;
	local_db_lock(db);
	hr = local_db_prepare(db, sql, &st);
	if (SUCCEEDED(hr)) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*lpcnLast = (ULONGLONG)sqlite3_column_int64(st, 0);
		else
			hr = local_db_error(db, rc, "reading the last change number");
		sqlite3_reset(st);
	}
	local_db_unlock(db);
	return hr;
}

static void set_missing(LPSPropValue v, ULONG tag)
{
	v->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
	v->Value.err = MAPI_E_NOT_FOUND;
}

static HRESULT set_bin(LPSPropValue v, ULONG tag, const BYTE *data, ULONG cb, LPVOID root)
{
	SCODE sc = MAPIAllocateMore(cb, root, (LPVOID *)&v->Value.bin.lpb);
	if (FAILED(sc))
		return sc;
	memcpy(v->Value.bin.lpb, data, cb);
	v->Value.bin.cb = cb;
	v->ulPropTag = tag;
	return S_OK;
}

/* The folder entry ID and source key of fid into two columns (or
 * PT_ERROR values when there is no such folder). */
static HRESULT set_folder_cols(const GUID *guid, uint64_t fid, BOOL present, LPSPropValue eid_col, ULONG eid_tag,
                               LPSPropValue sk_col, ULONG sk_tag, LPVOID root)
{
	if (!present) {
		set_missing(eid_col, eid_tag);
		set_missing(sk_col, sk_tag);
		return S_OK;
	}
	BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE], sk[MAPIX_XID_SIZE];
	mapix_entryid_make_folder(guid, fid, eid);
	mapix_xid_make(guid, fid, sk);
	HRESULT hr = set_bin(eid_col, eid_tag, eid, sizeof eid, root);
	return SUCCEEDED(hr) ? set_bin(sk_col, sk_tag, sk, sizeof sk, root) : hr;
}

/* Builds one row from the current result row of st (columns cn, kind,
 * obj_type, id, fid, old_fid, time). */
static HRESULT build_row(const GUID *guid, sqlite3_stmt *st, LPSRow row)
{
	LPSPropValue v = NULL;
	HRESULT hr = MAPIAllocateBuffer(N_COLS * sizeof(SPropValue), (LPVOID *)&v);
	if (FAILED(hr))
		return hr;
	memset(v, 0, N_COLS * sizeof(SPropValue));

	uint64_t cn = (uint64_t)sqlite3_column_int64(st, 0);
	int kind = sqlite3_column_int(st, 1);
	ULONG obj_type = (ULONG)sqlite3_column_int64(st, 2);
	uint64_t id = (uint64_t)sqlite3_column_int64(st, 3);
	BOOL has_fid = sqlite3_column_type(st, 4) != SQLITE_NULL;
	uint64_t fid = (uint64_t)sqlite3_column_int64(st, 4);
	BOOL has_old = sqlite3_column_type(st, 5) != SQLITE_NULL;
	uint64_t old_fid = (uint64_t)sqlite3_column_int64(st, 5);
	uint64_t time = (uint64_t)sqlite3_column_int64(st, 6);

	v[COL_CN].ulPropTag = PR_MAPIX_CHANGE_NUMBER;
	v[COL_CN].Value.li.QuadPart = (LONGLONG)cn;
	v[COL_KIND].ulPropTag = PR_MAPIX_CHANGE_KIND;
	v[COL_KIND].Value.l = kind;
	v[COL_OBJ_TYPE].ulPropTag = PR_OBJECT_TYPE;
	v[COL_OBJ_TYPE].Value.l = (LONG)obj_type;

	BYTE sk[MAPIX_XID_SIZE];
	mapix_xid_make(guid, id, sk);
	if (obj_type == MAPI_MESSAGE) {
		BYTE eid[MAPIX_MESSAGE_ENTRYID_SIZE];
		mapix_entryid_make_message(guid, fid, id, eid);
		hr = set_bin(&v[COL_ENTRYID], PR_ENTRYID, eid, sizeof eid, v);
	} else {
		BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE];
		mapix_entryid_make_folder(guid, id, eid);
		hr = set_bin(&v[COL_ENTRYID], PR_ENTRYID, eid, sizeof eid, v);
	}
	if (SUCCEEDED(hr))
		hr = set_bin(&v[COL_SOURCE_KEY], PR_SOURCE_KEY, sk, sizeof sk, v);
	if (SUCCEEDED(hr))
		hr = set_folder_cols(guid, fid, has_fid, &v[COL_PARENT_ENTRYID], PR_PARENT_ENTRYID,
		                     &v[COL_PARENT_SOURCE_KEY], PR_PARENT_SOURCE_KEY, v);
	if (SUCCEEDED(hr))
		hr = set_folder_cols(guid, old_fid, has_old && kind == LOCAL_CHANGE_MOVE, &v[COL_OLD_PARENT_ENTRYID],
		                     PR_MAPIX_OLD_PARENT_ENTRYID, &v[COL_OLD_PARENT_SOURCE_KEY],
		                     PR_MAPIX_OLD_PARENT_SOURCE_KEY, v);
	v[COL_TIME].ulPropTag = PR_LAST_MODIFICATION_TIME;
	v[COL_TIME].Value.ft = mapix_filetime_from_u64(time);
	if (FAILED(hr)) {
		MAPIFreeBuffer(v);
		return hr;
	}
	row->ulAdrEntryPad = 0;
	row->cValues = N_COLS;
	row->lpProps = v;
	return S_OK;
}

static HRESULT journal_GetChangesSince(IMAPIXChangeJournal *This, ULONGLONG cnSince, ULONG cMax, LPSRowSet *lppRows)
{
	static const char count_sql[] = "SELECT count(*) FROM (SELECT 1 FROM changes WHERE cn > ?1 LIMIT ?2)";
	static const char sql[] = "SELECT cn, kind, obj_type, id, fid, old_fid, time FROM changes"
	                          " WHERE cn > ?1 ORDER BY cn LIMIT ?2";
	local_db *db = JOURNAL(This)->logon->db;
	LPSRowSet rows = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 limit = cMax ? (sqlite3_int64)cMax : -1;
	HRESULT hr;
	ULONG n = 0;

	if (!lppRows)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetChangesSince: NULL result");
	*lppRows = NULL;
	if (cnSince > (ULONGLONG)INT64_MAX)
		cnSince = (ULONGLONG)INT64_MAX;

	local_db_lock(db);
	/* One snapshot for the count and the rows. */
	if (FAILED(hr = local_db_begin_read(db)))
		goto out;
	if (SUCCEEDED(hr = local_db_prepare(db, count_sql, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cnSince);
		sqlite3_bind_int64(st, 2, limit);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			n = (ULONG)sqlite3_column_int64(st, 0);
		else
			hr = local_db_error(db, rc, "counting changes");
		sqlite3_reset(st);
	}
	if (SUCCEEDED(hr))
		hr = MAPIAllocateBuffer((ULONG)CbNewSRowSet(n ? n : 1), (LPVOID *)&rows);
	if (SUCCEEDED(hr)) {
		rows->cRows = 0;
		hr = local_db_prepare(db, sql, &st);
	}
	if (SUCCEEDED(hr)) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cnSince);
		sqlite3_bind_int64(st, 2, limit);
		while (rows->cRows < n) {
			int rc = sqlite3_step(st);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW) {
				hr = local_db_error(db, rc, "reading changes");
				break;
			}
			if (FAILED(hr = build_row(&db->mailbox_guid, st, &rows->aRow[rows->cRows])))
				break;
			rows->cRows++;
		}
		sqlite3_reset(st);
	}
	local_db_end_read(db);
out:
	local_db_unlock(db);
	if (FAILED(hr)) {
		if (rows)
			FreeProws(rows);
		return hr;
	}
	*lppRows = rows;
	return S_OK;
}

static const IMAPIXChangeJournalVtbl local_journal_vtbl = {
	.QueryInterface = journal_QueryInterface,
	.AddRef = journal_AddRef,
	.Release = journal_Release,
	.GetLastChangeNumber = journal_GetLastChangeNumber,
	.GetChangesSince = journal_GetChangesSince,
};

HRESULT local_journal_open(local_logon *logon, LPVOID *ppv)
{
	local_journal *j = calloc(1, sizeof *j);
	if (!j)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPIXChangeJournal: out of memory");
	j->itf.lpVtbl = &local_journal_vtbl;
	atomic_init(&j->refs, 1);
	j->logon = logon;
	atomic_fetch_add(&logon->refs, 1);
	*ppv = j;
	return S_OK;
}
