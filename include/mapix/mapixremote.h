/*
 * mapixremote.h — mapix extensions for mailboxes hosted by mapixd, the
 * store server: opening one without a profile (MAPIXOpenRemoteStore, the
 * counterpart of MAPIXOpenLocalStore), opening another user's mailbox by
 * the entry ID IExchangeManageStore::CreateStoreEntryID made, the
 * HrMailboxLogon-style shortcut that does both, and the administrative
 * requests (accounts, grants) an administrator of mapixd.conf may send.
 *
 * A server address is the path of mapixd's UNIX socket ("unix:" prefix
 * optional); NULL means MAPIX_DEFAULT_SERVER_SOCKET. The connection's
 * identity is the calling thread's security context when it connects
 * (SO_PEERCRED): the provider keeps one connection per context and server,
 * never sharing one across contexts. When the server cannot be reached, or
 * the connection is lost, calls fail with MAPI_E_NETWORK_ERROR (never a
 * hang); the next logon connects anew.
 *
 * Over TCP ("tcp:HOST:PORT", or "HOST:PORT", "[IPv6]:PORT") the connection
 * is TLS (1.2 or 1.3) and its identity is an account of mapixd, logged on
 * with its name and password (MAPIXOpenRemoteStoreTLS, or the
 * PR_MAPIX_REMOTE_USER/PASSWORD properties of a profile section). The
 * client verifies the server: against a CA file (chain and host name), a
 * pinned key, both, or by default the system's trust store and the host
 * name. A server that fails verification, a wrong password, or too many
 * recent failures give MAPI_E_LOGON_FAILED, with the reason (never the
 * password) in the last error text; an unreachable server, a broken
 * handshake or a server that does not speak TLS give MAPI_E_NETWORK_ERROR.
 */
#ifndef MAPIX_MAPIXREMOTE_H
#define MAPIX_MAPIXREMOTE_H

#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

#define MAPIX_DEFAULT_SERVER_SOCKET "/run/mapix/mapixd.sock"

/* Profile-section properties of the remote store provider. */
/* The server's address. */
#define PR_MAPIX_REMOTE_SERVER PROP_TAG(PT_TSTRING, 0x6010)
#define PR_MAPIX_REMOTE_SERVER_A PROP_TAG(PT_STRING8, 0x6010)
#define PR_MAPIX_REMOTE_SERVER_W PROP_TAG(PT_UNICODE, 0x6010)
/* The mailbox: account name, SMTP address or DN. */
#define PR_MAPIX_REMOTE_MAILBOX PROP_TAG(PT_TSTRING, 0x6011)
#define PR_MAPIX_REMOTE_MAILBOX_A PROP_TAG(PT_STRING8, 0x6011)
#define PR_MAPIX_REMOTE_MAILBOX_W PROP_TAG(PT_UNICODE, 0x6011)

/* TCP logons: the account name and its password. */
#define PR_MAPIX_REMOTE_USER PROP_TAG(PT_TSTRING, 0x6012)
#define PR_MAPIX_REMOTE_USER_A PROP_TAG(PT_STRING8, 0x6012)
#define PR_MAPIX_REMOTE_USER_W PROP_TAG(PT_UNICODE, 0x6012)
#define PR_MAPIX_REMOTE_PASSWORD PROP_TAG(PT_TSTRING, 0x6013)
#define PR_MAPIX_REMOTE_PASSWORD_A PROP_TAG(PT_STRING8, 0x6013)
#define PR_MAPIX_REMOTE_PASSWORD_W PROP_TAG(PT_UNICODE, 0x6013)
/* TCP: a PEM file of the CA certificates that may sign the server's
 * certificate (chain and host name are checked). */
#define PR_MAPIX_REMOTE_CA_FILE PROP_TAG(PT_TSTRING, 0x6014)
#define PR_MAPIX_REMOTE_CA_FILE_A PROP_TAG(PT_STRING8, 0x6014)
#define PR_MAPIX_REMOTE_CA_FILE_W PROP_TAG(PT_UNICODE, 0x6014)
/* TCP: the server's pinned key, the SHA-256 digest of its certificate's
 * SubjectPublicKeyInfo (DER), as 64 hex digits or base64 (a "sha256//"
 * prefix is accepted). Alone it replaces the CA check: the key, not a
 * name, identifies the server. */
#define PR_MAPIX_REMOTE_PINNED_KEY PROP_TAG(PT_TSTRING, 0x6015)
#define PR_MAPIX_REMOTE_PINNED_KEY_A PROP_TAG(PT_STRING8, 0x6015)
#define PR_MAPIX_REMOTE_PINNED_KEY_W PROP_TAG(PT_UNICODE, 0x6015)

/* Identity names of mapixd accounts logged on with their password, for
 * MAPIXRemoteGrant and [rights] administrators: "account:NAME". */
#define MAPIX_ACCOUNT_IDENTITY_PREFIX "account:"

/* IMsgStore::OpenProperty(PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPITable, 0, 0,
 * ...) on a store hosted by mapixd: the server's account directory as a
 * global address list (one row per account: PR_DISPLAY_NAME, PR_ACCOUNT,
 * PR_SMTP_ADDRESS, PR_EMAIL_ADDRESS (the DN), PR_ADDRTYPE "EX", PR_ENTRYID,
 * PR_OBJECT_TYPE, PR_DISPLAY_TYPE). Any connected identity may read it;
 * the address book shows it as its "Global Address List" container. Local
 * stores answer MAPI_E_NO_SUPPORT. */
#define PR_MAPIX_DIRECTORY_TABLE PROP_TAG(PT_OBJECT, 0x6016)

/* Mailbox grants (MAPIXRemoteGrant): what each allows is in docs/mapixd.md. */
#define MAPIX_GRANT_FULL_ACCESS "full"  /* act as the mailbox's owner */
#define MAPIX_GRANT_ADMIN "admin"       /* open with OPENSTORE_USE_ADMIN_PRIVILEGE */
#define MAPIX_GRANT_DELIVER "deliver"   /* create and save new messages (an MTA) */

/*
 * Opens the mailbox lpszMailbox (an account name, SMTP address or mailbox
 * DN; NULL or "" for the caller's own) on the server lpszServer, through
 * the remote store provider, as IMAPISession::OpenMsgStore would with a
 * profile naming it. ulFlags as for MAPIXOpenLocalStore: MDB_WRITE,
 * MAPI_BEST_ACCESS, MDB_NO_MAIL ..., and MAPIX_STORE_CREATE, which lets an
 * administrator create the account (owned by the caller's Unix user) when
 * it does not exist. Errors: MAPI_E_NETWORK_ERROR (no server),
 * MAPI_E_NOT_FOUND (no such mailbox), MAPI_E_NO_ACCESS (no right to it).
 */
STDAPI MAPIXOpenRemoteStore(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG ulFlags, LPMDB *lppMDB);

/* Logon and verification for a TCP server (MAPIXOpenRemoteStoreTLS).
 * Strings are UTF-8; NULL means "not given". */
#define MAPIX_REMOTE_TLS_VERSION 1
typedef struct _MAPIXREMOTETLS {
	ULONG ulVersion;        /* MAPIX_REMOTE_TLS_VERSION */
	LPCSTR lpszUser;        /* the mapixd account */
	LPCSTR lpszPassword;    /* its password */
	LPCSTR lpszCAFile;      /* PR_MAPIX_REMOTE_CA_FILE */
	LPCSTR lpszPinnedKey;   /* PR_MAPIX_REMOTE_PINNED_KEY */
} MAPIXREMOTETLS, *LPMAPIXREMOTETLS;

/* MAPIXOpenRemoteStore on a TCP server with an account's name and
 * password (lpTLS; NULL behaves as MAPIXOpenRemoteStore). lpszMailbox NULL
 * or "": the account's own mailbox. Errors as above: MAPI_E_LOGON_FAILED
 * (wrong password, locked out, server not verified), MAPI_E_NETWORK_ERROR
 * (server not reached, TLS failed). */
STDAPI MAPIXOpenRemoteStoreTLS(LPCSTR lpszServer, const MAPIXREMOTETLS *lpTLS, LPCSTR lpszMailbox, ULONG ulFlags,
                               LPMDB *lppMDB);

/* Opens the mailbox a store entry ID names (CreateStoreEntryID, or
 * PR_STORE_ENTRYID), with the OPENSTORE_* flags it carries and the caller's
 * rights. */
STDAPI MAPIXOpenRemoteStoreEntryID(LPCSTR lpszServer, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                                   LPMDB *lppMDB);

/*
 * HrMailboxLogon in one call: CreateStoreEntryID(NULL, lpszMailbox,
 * ulOpenStoreFlags) on lpMDB's IExchangeManageStore, then opens that entry
 * ID on lpMDB's server with ulFlags (MDB_WRITE ...). lpMDB may be NULL: the
 * helper then asks the server lpszServer directly, for a service identity
 * that has no mailbox of its own.
 */
STDAPI MAPIXMailboxLogon(LPCSTR lpszServer, LPMDB lpMDB, LPCSTR lpszMailbox, ULONG ulOpenStoreFlags, ULONG ulFlags,
                         LPMDB *lppMailbox);

/* Administration (the caller must be listed in [rights] administrators). */
STDAPI MAPIXRemoteCreateAccount(LPCSTR lpszServer, LPCSTR lpszName, LPCSTR lpszDisplayName, LPCSTR lpszSmtp,
                                LPCSTR lpszUnixUser, LPCSTR lpszPassword);
STDAPI MAPIXRemoteDeleteAccount(LPCSTR lpszServer, LPCSTR lpszName);
STDAPI MAPIXRemoteGrant(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszGrantee, LPCSTR lpszRight);
STDAPI MAPIXRemoteRevoke(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszGrantee, LPCSTR lpszRight);

/* ---- quotas, listings, status and backup (administrators) --------------------- */

/* The quota state of a hosted mailbox, also a property of its store object
 * (next to PR_STORAGE_QUOTA_LIMIT, PR_PROHIBIT_SEND_QUOTA,
 * PR_PROHIBIT_RECEIVE_QUOTA in kilobytes and PR_MESSAGE_SIZE_EXTENDED, the
 * bytes its messages use). */
#define PR_MAPIX_QUOTA_STATE PROP_TAG(PT_LONG, 0x6020)
#define MAPIX_QUOTA_STATE_WARNING 0x1            /* past the warning threshold */
#define MAPIX_QUOTA_STATE_SEND_PROHIBITED 0x2    /* saves are refused (MAPI_E_STORE_FULL) */
#define MAPIX_QUOTA_STATE_RECEIVE_PROHIBITED 0x4 /* deliveries are refused */

/* Which thresholds MAPIXRemoteSetQuota sets (and, in MAPIXQUOTA.ulDefaults,
 * which come from mapixd.conf's [quota] defaults). */
#define MAPIX_QUOTA_WARNING 0x1
#define MAPIX_QUOTA_SEND 0x2
#define MAPIX_QUOTA_RECEIVE 0x4
/* A threshold value that returns the mailbox to the server's default. */
#define MAPIX_QUOTA_DEFAULT ((ULONGLONG)-1)

typedef struct _MAPIXQUOTA {
	ULONGLONG cbUsed;         /* bytes of messages in the mailbox */
	ULONGLONG cbWarning;      /* thresholds in bytes; 0 = none */
	ULONGLONG cbSendLimit;
	ULONGLONG cbReceiveLimit;
	ULONG ulState;            /* MAPIX_QUOTA_STATE_* */
	ULONG ulDefaults;         /* MAPIX_QUOTA_* bits of values taken from the defaults */
} MAPIXQUOTA, *LPMAPIXQUOTA;

typedef struct _MAPIXACCOUNT {
	LPSTR lpszName;
	LPSTR lpszDisplayName;
	LPSTR lpszSmtpAddress;    /* "" when none */
	LPSTR lpszUnixUser;       /* "" when none */
	MAPIXQUOTA quota;
} MAPIXACCOUNT, *LPMAPIXACCOUNT;

typedef struct _MAPIXGRANT {
	LPSTR lpszMailbox;
	LPSTR lpszGrantee;
	LPSTR lpszRight;          /* MAPIX_GRANT_* */
} MAPIXGRANT, *LPMAPIXGRANT;

typedef struct _MAPIXSERVERSTATUS {
	LPSTR lpszServerName;
	LPSTR lpszIdentity;       /* the caller, as the server names it */
	ULONG ulConnections;
	ULONG ulOpenMailboxes;
	ULONG ulAccounts;
	ULONG ulOverWarning;      /* accounts past their warning threshold */
	ULONG ulOverLimit;        /* accounts at a refusal threshold */
	ULONGLONG ullUptime;      /* seconds */
} MAPIXSERVERSTATUS, *LPMAPIXSERVERSTATUS;

/* Every account in name order, with its quota and usage: one
 * MAPIAllocateBuffer block (free *lppAccounts with MAPIFreeBuffer). */
STDAPI MAPIXRemoteListAccounts(LPCSTR lpszServer, ULONG *lpcAccounts, LPMAPIXACCOUNT *lppAccounts);
/* The grants on lpszMailbox (NULL: on every mailbox); one block as above. */
STDAPI MAPIXRemoteListGrants(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG *lpcGrants, LPMAPIXGRANT *lppGrants);
/* Sets the thresholds named in ulWhich (bytes; 0 = no limit;
 * MAPIX_QUOTA_DEFAULT = the server's default). */
STDAPI MAPIXRemoteSetQuota(LPCSTR lpszServer, LPCSTR lpszMailbox, ULONG ulWhich, ULONGLONG cbWarning,
                           ULONGLONG cbSendLimit, ULONGLONG cbReceiveLimit);
STDAPI MAPIXRemoteGetQuota(LPCSTR lpszServer, LPCSTR lpszMailbox, LPMAPIXQUOTA lpQuota);
/* The server's state; *lppStatus is one MAPIAllocateBuffer block. */
STDAPI MAPIXRemoteGetStatus(LPCSTR lpszServer, LPMAPIXSERVERSTATUS *lppStatus);
/* A consistent copy of a hosted mailbox, taken while the server runs and
 * streamed to the caller, written to lpszDestPath (which must not exist;
 * created 0600 by the calling process). The copy is the mailbox as it was
 * when the backup began. */
STDAPI MAPIXRemoteBackupMailbox(LPCSTR lpszServer, LPCSTR lpszMailbox, LPCSTR lpszDestPath);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXREMOTE_H */
