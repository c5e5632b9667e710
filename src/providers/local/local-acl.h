/*
 * local-acl.h — folder permissions of the local store (local-acl.c): the
 * acl table of a mailbox, IExchangeModifyTable on PR_ACL_TABLE, and the
 * look-ups mapixd makes to decide what an identity may do in a folder.
 * Private to src/providers/local/ and src/server/.
 */
#ifndef MAPIX_LOCAL_ACL_H
#define MAPIX_LOCAL_ACL_H

#include "local.h"

/* OpenProperty(PR_ACL_TABLE, &IID_IExchangeModifyTable, ...) on a folder. */
HRESULT local_acl_open(local_object *folder, LPCIID lpiid, ULONG ulFlags, LPUNKNOWN *lppUnk);

/* The rights the identities (strings of the member identity forms,
 * "user:NAME" / "account:NAME") have on folder fid: the OR of the rows
 * naming any of them, or — when none does — the default member's rights
 * (the anonymous member's when anonymous is TRUE). 0 for a folder without
 * rows. Takes the database lock. */
HRESULT local_acl_rights(local_db *db, uint64_t fid, const char *const *ids, size_t n_ids, BOOL anonymous,
                         ULONG *rights);
/* Whether any existing folder of the mailbox grants the identities some
 * right (what lets them log on to the mailbox at all). Takes the lock. */
HRESULT local_acl_grants_any(local_db *db, const char *const *ids, size_t n_ids, BOOL anonymous, BOOL *any);
/* Deletes the rows of a folder being deleted (inside the write transaction). */
HRESULT local_acl_delete_folder(local_db *db, uint64_t fid);

#endif
