/*
 * local-batch.c — MAPIXBeginStoreBatch / MAPIXCommitStoreBatch /
 * MAPIXAbortStoreBatch (mapixstore.h): many SaveChanges in one write
 * transaction, for importers. The batch is the logon's open outer
 * transaction; every SaveChanges inside it is a savepoint, so one failed
 * message is undone alone; notifications wait for the real commit, so
 * change-number order is still commit order. While a batch is open, WAL
 * checkpoints wait for a larger WAL (local_db_set_batch).
 */
#include "core/error.h"
#include "local-provider.h"

static local_logon *batch_logon(LPMDB lpMDB, const char *what)
{
	local_logon *logon = lpMDB ? local_store_logon(lpMDB) : NULL;
	if (!logon)
		mapix_error(lpMDB ? MAPI_E_NO_SUPPORT : MAPI_E_INVALID_PARAMETER, "%s: %s", what,
		            lpMDB ? "not a local mapix store" : "NULL store");
	return logon;
}

STDAPI MAPIXBeginStoreBatch(LPMDB lpMDB)
{
	local_logon *logon = batch_logon(lpMDB, "MAPIXBeginStoreBatch");
	if (!logon)
		return MAPIXGetLastErrorCode();
	if (!(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "MAPIXBeginStoreBatch: the store was opened read-only");
	local_db_lock(logon->db);
	HRESULT hr = logon->batch ? mapix_error(MAPI_E_BUSY, "MAPIXBeginStoreBatch: a batch is already open")
	                          : local_db_begin_write(logon->db);
	if (SUCCEEDED(hr)) {
		logon->batch = TRUE;
		local_db_set_batch(logon->db, 1);
	}
	local_db_unlock(logon->db);
	return hr;
}

static HRESULT end_batch(LPMDB lpMDB, BOOL commit, const char *what)
{
	local_logon *logon = batch_logon(lpMDB, what);
	if (!logon)
		return MAPIXGetLastErrorCode();
	local_db_lock(logon->db);
	HRESULT hr = S_OK;
	if (!logon->batch)
		hr = mapix_error(MAPI_E_NOT_FOUND, "%s: no batch is open", what);
	else if (commit)
		hr = local_db_commit(logon->db);
	else
		local_db_rollback(logon->db);
	/* Back to the normal checkpoint size: the next commit outside a batch
	 * checkpoints what the batches left in the WAL (the next batch sets
	 * the larger size again). */
	if (logon->batch)
		local_db_set_batch(logon->db, 0);
	logon->batch = FALSE;
	local_db_unlock(logon->db); /* raises the batch's notifications */
	return hr;
}

STDAPI MAPIXCommitStoreBatch(LPMDB lpMDB)
{
	return end_batch(lpMDB, TRUE, "MAPIXCommitStoreBatch");
}

STDAPI MAPIXAbortStoreBatch(LPMDB lpMDB)
{
	return end_batch(lpMDB, FALSE, "MAPIXAbortStoreBatch");
}
