/*
 * mapix.h — the MAPI subsystem entry points: initialization, logon,
 * profile administration and the MAPI allocator, as Windows declares them,
 * plus the mapix extensions (MAPIX* names) that make per-thread identity
 * and explicit profile directories first-class.
 */
#ifndef MAPIX_MAPIX_H
#define MAPIX_MAPIX_H

#include <mapix/mapidefs.h>
#include <mapix/mapicode.h>
#include <mapix/mapiguid.h>
#include <mapix/mapitags.h>

MAPIX_BEGIN_DECLS

#include <mapix/mapixinterfaces.h>

/* MAPILogonEx flags */
#define MAPI_LOGON_UI ((ULONG)0x00000001)
#define MAPI_NEW_SESSION ((ULONG)0x00000002)
#define MAPI_ALLOW_OTHERS ((ULONG)0x00000008)
#define MAPI_EXPLICIT_PROFILE ((ULONG)0x00000010)
#define MAPI_EXTENDED ((ULONG)0x00000020)
#define MAPI_FORCE_DOWNLOAD ((ULONG)0x00001000)
#define MAPI_SERVICE_UI_ALWAYS ((ULONG)0x00002000)
#define MAPI_NO_MAIL ((ULONG)0x00008000)
#define MAPI_NT_SERVICE ((ULONG)0x00010000)
#define MAPI_PASSWORD_UI ((ULONG)0x00020000)
#define MAPI_USE_DEFAULT ((ULONG)0x00000040)
#define MAPI_TIMEOUT_SHORT ((ULONG)0x00100000)
#define MAPI_BG_SESSION ((ULONG)0x00200000)

/* IMAPISession::Logoff */
#define MAPI_LOGOFF_SHARED ((ULONG)0x00000001)
#define MAPI_LOGOFF_UI ((ULONG)0x00000002)

/* IMAPISession::OpenMsgStore extra flags */
#define MDB_NO_DIALOG ((ULONG)0x00000001)
#define MDB_WRITE ((ULONG)0x00000004)
#define MDB_TEMPORARY ((ULONG)0x00000020)
#define MDB_NO_MAIL ((ULONG)0x00000080)
#define MDB_ONLINE ((ULONG)0x00000100)

/* Profile administration */
#define MAPI_DEFAULT_SERVICES ((ULONG)0x00000001)
#define SERVICE_UI_ALWAYS ((ULONG)0x00000002)
#define SERVICE_UI_ALLOWED ((ULONG)0x00000010)
#define UI_CURRENT_PROVIDER_FIRST ((ULONG)0x00000004)
#define SERVICE_DEFAULT_STORE ((ULONG)0x00000001)
#define SERVICE_SINGLE_COPY ((ULONG)0x00000002)
#define SERVICE_CREATE_WITH_STORE ((ULONG)0x00000004)
#define SERVICE_PRIMARY_IDENTITY ((ULONG)0x00000008)
#define SERVICE_NO_PRIMARY_IDENTITY ((ULONG)0x00000020)

/* MAPIInitialize */
typedef struct {
	ULONG ulVersion;
	ULONG ulFlags;
} MAPIINIT_0, *LPMAPIINIT_0;
typedef MAPIINIT_0 MAPIINIT;
typedef MAPIINIT *LPMAPIINIT;
#define MAPI_INIT_VERSION 0
#define MAPI_MULTITHREAD_NOTIFICATIONS ((ULONG)0x00000001)
#define MAPI_NO_COINIT ((ULONG)0x00000008)
/* MAPI_NT_SERVICE (0x00010000) is accepted by MAPIInitialize too. */

STDAPI MAPIInitialize(LPVOID lpMapiInit);
STDAPI_(void) MAPIUninitialize(void);

STDAPI MAPILogonEx(ULONG_PTR ulUIParam, LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG ulFlags,
                   LPMAPISESSION *lppSession);
STDAPI MAPIAdminProfiles(ULONG ulFlags, LPPROFADMIN *lppProfAdmin);

/* The MAPI allocator: children made with MAPIAllocateMore are freed with
 * their parent. Blocks are tracked, so freeing a child, a foreign pointer or
 * a block twice is refused with MAPI_E_INVALID_PARAMETER instead of
 * corrupting memory. */
STDAPI_(SCODE) MAPIAllocateBuffer(ULONG cbSize, LPVOID *lppBuffer);
STDAPI_(SCODE) MAPIAllocateMore(ULONG cbSize, LPVOID lpObject, LPVOID *lppBuffer);
STDAPI_(ULONG) MAPIFreeBuffer(LPVOID lpBuffer);

/* ---- mapix extensions ------------------------------------------------------ */

/* The message that goes with the last failure on the calling thread (never
 * NULL; "" when none). Every failing mapix call sets it. */
STDAPI_(const char *) MAPIXGetLastErrorText(void);
/* The HRESULT of that failure (S_OK when none). */
STDAPI_(HRESULT) MAPIXGetLastErrorCode(void);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIX_H */
