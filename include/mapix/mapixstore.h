/*
 * mapixstore.h — mapix extensions for message stores: opening a local
 * mailbox file without a profile, backing it up online, and reading the
 * change journal of any mapix store (local or through mapixd).
 *
 * mapix-private property tags use ids 0x6000-0x60FF (the range MAPI leaves
 * to providers for non-transmittable properties).
 */
#ifndef MAPIX_MAPIXSTORE_H
#define MAPIX_MAPIXSTORE_H

#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

/* MAPIXOpenLocalStore flags (besides MDB_WRITE, MAPI_BEST_ACCESS and
 * MDB_NO_MAIL, which keep their IMAPISession::OpenMsgStore meaning). */
#define MAPIX_STORE_CREATE ((ULONG)0x00010000) /* create the mailbox file when missing */

/*
 * Opens the mailbox file lpszPath through the local store provider, as
 * IMAPISession::OpenMsgStore would with a profile naming it: a thin wrapper
 * over the provider interface (mapispi.h) for programs and tests that have
 * no profile. Read-only unless ulFlags has MDB_WRITE or MAPI_BEST_ACCESS.
 * Errors: MAPI_E_NOT_FOUND (no such file), MAPI_E_NO_ACCESS,
 * MAPI_E_CORRUPT_STORE (not a mapix mailbox, or damaged), MAPI_E_VERSION.
 */
STDAPI MAPIXOpenLocalStore(LPCSTR lpszPath, ULONG ulFlags, LPMDB *lppMDB);

/* Copies an open local mailbox into a new file, online (SQLite backup API):
 * writers may go on meanwhile. Fails with MAPI_E_COLLISION if the
 * destination exists. */
STDAPI MAPIXBackupStore(LPMDB lpMDB, LPCSTR lpszDestPath);

/*
 * Batches, for importers: between MAPIXBeginStoreBatch and
 * MAPIXCommitStoreBatch every SaveChanges on the store's objects joins one
 * write transaction (each message still all-or-nothing: a failed
 * SaveChanges is undone alone). Nothing is durable, and no notification is
 * sent, before MAPIXCommitStoreBatch returns S_OK; MAPIXAbortStoreBatch
 * drops the whole batch. The batch belongs to the store (its logon), not
 * to a thread, and holds the mailbox's write lock: keep batches to a few
 * thousand messages so other writers and checkpoints are not held up.
 * Local stores only (MAPI_E_NO_SUPPORT elsewhere).
 */
STDAPI MAPIXBeginStoreBatch(LPMDB lpMDB);
STDAPI MAPIXCommitStoreBatch(LPMDB lpMDB);
STDAPI MAPIXAbortStoreBatch(LPMDB lpMDB);

/* The change journal: every create, modify, move and delete of a folder or
 * message, numbered by change numbers in commit order. QueryInterface a
 * mapix IMsgStore for IID_IMAPIXChangeJournal. */
DEFINE_GUID(IID_IMAPIXChangeJournal, 0x6d617078, 0x6a6f, 0x7572, 0x8e, 0x61, 0x6c, 0x00, 0x00, 0x00, 0x00, 0x01);

#define MAPIX_CHANGE_CREATE 1
#define MAPIX_CHANGE_MODIFY 2
#define MAPIX_CHANGE_MOVE 3
#define MAPIX_CHANGE_DELETE 4

/* Columns of IMAPIXChangeJournal::GetChangesSince rows. Also present:
 * PR_OBJECT_TYPE, PR_ENTRYID, PR_SOURCE_KEY, PR_PARENT_ENTRYID,
 * PR_PARENT_SOURCE_KEY, PR_LAST_MODIFICATION_TIME. */
#define PR_MAPIX_CHANGE_NUMBER PROP_TAG(PT_I8, 0x6000)
#define PR_MAPIX_CHANGE_KIND PROP_TAG(PT_LONG, 0x6001)
#define PR_MAPIX_OLD_PARENT_ENTRYID PROP_TAG(PT_BINARY, 0x6002)
#define PR_MAPIX_OLD_PARENT_SOURCE_KEY PROP_TAG(PT_BINARY, 0x6003)
/* The local mailbox file of a store (on the store object, read-only). */
#define PR_MAPIX_STORE_PATH_A PROP_TAG(PT_STRING8, 0x6004)
#define PR_MAPIX_STORE_PATH_W PROP_TAG(PT_UNICODE, 0x6004)
#define PR_MAPIX_STORE_PATH PROP_TAG(PT_TSTRING, 0x6004)
/* In a local store's profile section: create the mailbox file when missing. */
#define PR_MAPIX_STORE_CREATE PROP_TAG(PT_BOOLEAN, 0x6005)
/* On a message `mapix import` made: where it came from ("mbox:<file>:<offset>",
 * "maildir:<base name>", "eml:<file>", "pst:<file>:<node id>"), so that the
 * same import run again skips it (tools/mapix/import.h). */
#define PR_MAPIX_IMPORT_SOURCE_A PROP_TAG(PT_STRING8, 0x6006)
#define PR_MAPIX_IMPORT_SOURCE_W PROP_TAG(PT_UNICODE, 0x6006)
#define PR_MAPIX_IMPORT_SOURCE PROP_TAG(PT_TSTRING, 0x6006)
/* A row of a folder's ACL table (PR_ACL_TABLE): the member's identity,
 * "user:NAME" (a Unix user, or uid:N, as mapixd names identities) or
 * "account:NAME" (a mapixd account: whoever its Unix user is). ROW_ADD
 * takes it instead of PR_MEMBER_ENTRYID (docs/store.md "Folder
 * permissions"). */
#define PR_MAPIX_MEMBER_IDENTITY_A PROP_TAG(PT_STRING8, 0x6022)
#define PR_MAPIX_MEMBER_IDENTITY_W PROP_TAG(PT_UNICODE, 0x6022)
#define PR_MAPIX_MEMBER_IDENTITY PROP_TAG(PT_TSTRING, 0x6022)
/* On a message created through mapixd: the identity that created it, in
 * the same form; what frightsEditOwned and frightsDeleteOwned test. Set by
 * the server, never by a client with folder permissions only. */
#define PR_MAPIX_CREATOR_IDENTITY_A PROP_TAG(PT_STRING8, 0x6023)
#define PR_MAPIX_CREATOR_IDENTITY_W PROP_TAG(PT_UNICODE, 0x6023)
#define PR_MAPIX_CREATOR_IDENTITY PROP_TAG(PT_TSTRING, 0x6023)

#include <mapix/mapixstoreinterfaces.h>

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXSTORE_H */
