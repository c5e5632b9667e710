/*
 * local-provider.h — what the provider side of the local store
 * (local-logon.c, local-store.c, local-journal.c, local-open.c) shares
 * beyond the module API of local.h: the provider entry point, the
 * profile-section property that asks for a new mailbox, the logon's
 * advise helpers and the change-journal object. Private to
 * src/providers/local/.
 */
#ifndef MAPIX_LOCAL_PROVIDER_H
#define MAPIX_LOCAL_PROVIDER_H

#include <mapix/mapixstore.h>

#include "local.h"

/* Profile-section property of the local store provider: TRUE asks Logon to
 * create the mailbox file when it does not exist (as MAPIX_STORE_CREATE in
 * the logon flags does). Belongs in mapixstore.h next to
 * PR_MAPIX_STORE_PATH; defined here until it is there. */

/* The provider entry point, MSProviderInit-shaped (mapispi.h). */
HRESULT local_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
                             LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer, ULONG ulFlags,
                             ULONG ulMAPIVer, ULONG *lpulProviderVer, LPMSPROVIDER *lppMSProvider);

/* Advise/Unadvise for the IMSLogon and the IMsgStore: subscriptions go to
 * the support object under a NOTIFKEY made from the entry ID's identity
 * (NULL entry ID = the whole store). */
HRESULT local_logon_advise(local_logon *logon, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask,
                           LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection);
HRESULT local_logon_unadvise(local_logon *logon, ULONG_PTR ulConnection);

/* The logon of a local store object, or NULL when lpMDB is not one. */
local_logon *local_store_logon(LPMDB lpMDB);
/* CompareEntryIDs by parsed identity (shared by IMsgStore and IMSLogon). */
HRESULT local_store_compare_entryids(local_logon *logon, ULONG cb1, LPENTRYID eid1, ULONG cb2, LPENTRYID eid2,
                                     ULONG ulFlags, ULONG *lpulResult);

/* A new IMAPIXChangeJournal on the logon's mailbox (holds a logon reference). */
HRESULT local_journal_open(local_logon *logon, LPVOID *ppv);

#endif
