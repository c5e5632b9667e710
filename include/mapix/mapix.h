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

/*
 * MAPIInitialize also accepts a MAPIXINIT (ulVersion MAPIX_INIT_VERSION),
 * which adds an explicit profile directory (the "temporary profiles" case:
 * profiles live there instead of in the security context's own directory).
 */
#define MAPIX_INIT_VERSION ((ULONG)0x4D580001)
/* No support threads: notifications are delivered on the caller's thread
 * through a pollable descriptor (the alternative notification engine). */
#define MAPIX_INIT_NO_SUPPORT_THREADS ((ULONG)0x00100000)
typedef struct {
	ULONG ulVersion;        /* MAPIX_INIT_VERSION */
	ULONG ulFlags;          /* MAPIINIT_0 flags, MAPIX_INIT_NO_SUPPORT_THREADS */
	LPCSTR lpszProfileDir;  /* NULL: the context's default profile directory */
} MAPIXINIT, *LPMAPIXINIT;

/* The profile directory of the calling thread's security context (valid
 * while that context is initialized), or NULL when it is not. */
STDAPI_(const char *) MAPIXGetProfileDirectory(void);

/*
 * The alternative notification engine (MAPIX_INIT_NO_SUPPORT_THREADS): no
 * thread is started; MAPIXGetNotificationFd gives a descriptor that becomes
 * readable (poll/epoll) when notifications are pending, and
 * MAPIXDispatchNotifications delivers them on the calling thread. It also
 * delivers what sinks made by HrThisThreadAdviseSink on this thread have
 * queued, in either mode.
 */
STDAPI MAPIXGetNotificationFd(int *lpFd);
STDAPI MAPIXDispatchNotifications(ULONG *lpcDelivered);

/*
 * Per-thread identity. MAPIXImpersonateUser switches ONLY the calling
 * thread to the user's uid, primary gid and groups (from the group
 * database), with the raw setgroups/setresgid/setresuid syscalls in that
 * order; MAPIXRevertToSelf goes back (uid first) to the process's own
 * identity. MAPI keeps each identity's data apart (instances, profiles,
 * objects). The saved uid stays 0 so that the thread can switch back: this
 * is for correctness when one process serves many users, NOT a security
 * boundary — code in the process can always switch back. Use mapixd
 * (granted access) or mapix-runas (one process per user) for isolation.
 * Needs a process started as root (saved uid 0).
 */
STDAPI MAPIXImpersonateUser(ULONG ulUid);
STDAPI MAPIXImpersonateUserName(LPCSTR lpszUser);
STDAPI MAPIXRevertToSelf(void);

/* The message that goes with the last failure on the calling thread (never
 * NULL; "" when none). Every failing mapix call sets it. */
STDAPI_(const char *) MAPIXGetLastErrorText(void);
/* The HRESULT of that failure (S_OK when none). */
STDAPI_(HRESULT) MAPIXGetLastErrorCode(void);
/* The symbolic name of a status code ("MAPI_E_NOT_FOUND"), or its hex form
 * ("0x8004ABCD") for codes mapix does not name. */
STDAPI_(const char *) MAPIXErrorName(HRESULT hr);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIX_H */
