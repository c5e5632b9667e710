/*
 * local-open.c — MAPIXOpenLocalStore and MAPIXBackupStore (mapixstore.h):
 * using a local mailbox file with no profile and no session.
 *
 * MAPIXOpenLocalStore is deliberately a thin wrapper over the provider
 * interface, doing what IMAPISession::OpenMsgStore will do with a profile:
 * MSProviderInit, then IMSProvider::Logon with a support object whose
 * provider profile section names the file. So the store behaves the same
 * whichever way it is opened, and the store tests exercise the provider
 * path the subsystem will use.
 */
#include <string.h>

#include "core/error.h"
#include "local-provider.h"
#include "providers/standalone-support.h"

#define OPEN_FLAGS (MDB_WRITE | MAPI_BEST_ACCESS | MDB_NO_MAIL | MDB_NO_DIALOG | MDB_TEMPORARY | MDB_ONLINE | \
                    MAPI_DEFERRED_ERRORS | MAPIX_STORE_CREATE)

STDAPI MAPIXOpenLocalStore(LPCSTR lpszPath, ULONG ulFlags, LPMDB *lppMDB)
{
	LPMAPISUP sup = NULL;
	LPMSPROVIDER prov = NULL;
	LPMSLOGON mslogon = NULL;
	ULONG spi = 0;
	HRESULT hr;

	if (!lppMDB)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenLocalStore: NULL result pointer");
	*lppMDB = NULL;
	if (!lpszPath || !*lpszPath)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXOpenLocalStore: no mailbox path");
	if (ulFlags & ~(ULONG)OPEN_FLAGS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIXOpenLocalStore: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~(ULONG)OPEN_FLAGS));

	/* The profile section a profile would have for this store: the path
	 * as 8-bit bytes (file names need not be valid UTF-8). */
	SPropValue section[2];
	ULONG n = 0;
	memset(section, 0, sizeof section);
	section[n].ulPropTag = PR_MAPIX_STORE_PATH_A;
	section[n++].Value.lpszA = (LPSTR)lpszPath;
	if (ulFlags & MAPIX_STORE_CREATE) {
		section[n].ulPropTag = PR_MAPIX_STORE_CREATE;
		section[n++].Value.b = TRUE;
	}
	if (FAILED(hr = mapix_support_standalone_new(n, section, &sup)))
		return hr;
	hr = local_MSProviderInit(NULL, NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, 0,
	                          CURRENT_SPI_VERSION, &spi, &prov);
	if (SUCCEEDED(hr))
		hr = IMSProvider_Logon(prov, sup, 0, NULL, 0, NULL, ulFlags & ~(ULONG)MAPIX_STORE_CREATE, NULL, NULL, NULL,
		                       NULL, &mslogon, lppMDB);
	/* The store keeps the logon (and through it the support object)
	 * alive; our references go. */
	if (mslogon)
		IMSLogon_Release(mslogon);
	if (prov)
		IMSProvider_Release(prov);
	IMAPISupport_Release(sup);
	return hr;
}

STDAPI MAPIXBackupStore(LPMDB lpMDB, LPCSTR lpszDestPath)
{
	if (!lpMDB || !lpszDestPath || !*lpszDestPath)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXBackupStore: NULL store or destination");
	local_logon *logon = local_store_logon(lpMDB);
	if (!logon)
		return mapix_error(MAPI_E_NO_SUPPORT, "MAPIXBackupStore: not a local mapix store (back up a remote "
		                                      "mailbox on its server)");
	local_db_lock(logon->db);
	HRESULT hr = local_db_backup(logon->db, lpszDestPath);
	local_db_unlock(logon->db);
	return hr;
}
