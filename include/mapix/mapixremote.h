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

/* IMsgStore::OpenProperty(PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPITable, 0, 0,
 * ...) on a store hosted by mapixd: the server's account directory as a
 * global address list (one row per account: PR_DISPLAY_NAME, PR_ACCOUNT,
 * PR_SMTP_ADDRESS, PR_EMAIL_ADDRESS (the DN), PR_ADDRTYPE "EX", PR_ENTRYID,
 * PR_OBJECT_TYPE, PR_DISPLAY_TYPE). Any connected identity may read it;
 * the address book shows it as its "Global Address List" container. Local
 * stores answer MAPI_E_NO_SUPPORT. */
#define PR_MAPIX_DIRECTORY_TABLE PROP_TAG(PT_OBJECT, 0x6012)

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

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXREMOTE_H */
