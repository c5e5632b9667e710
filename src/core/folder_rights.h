/*
 * folder_rights.h — the folder permission bits of ACL tables
 * (PR_MEMBER_RIGHTS, PR_RIGHTS; MS-OXCPERM 2.2.7) as one evaluator: which
 * bits a stored rights value may carry, the bits the published ones imply,
 * and whether a rights value allows an operation on a folder or on one of
 * its messages. The local store uses it to check ModifyTable rows; mapixd
 * uses it for every folder-level check of a folder-permission logon.
 *
 * Internal to libmapix and mapixd (mapix_frights_ prefix, no exports).
 */
#ifndef MAPIX_CORE_FOLDER_RIGHTS_H
#define MAPIX_CORE_FOLDER_RIGHTS_H

#include <mapix/edkmdb.h>

/* Every bit MS-OXCPERM lets a client set, free/busy included. */
#define MAPIX_FRIGHTS_VALID                                                                                     \
	((ULONG)(frightsReadAny | frightsCreate | frightsEditOwned | frightsDeleteOwned | frightsEditAny |        \
	         frightsDeleteAny | frightsCreateSubfolder | frightsOwner | frightsContact | frightsVisible |        \
	         frightsFreeBusySimple | frightsFreeBusyDetailed))
#define MAPIX_FRIGHTS_FREEBUSY ((ULONG)(frightsFreeBusySimple | frightsFreeBusyDetailed))

/* What one asks a folder for. */
enum mapix_folder_op {
	MAPIX_FOP_SEE,              /* find it in a hierarchy table, open it, read its properties */
	MAPIX_FOP_READ_ITEMS,       /* contents table, open and read messages */
	MAPIX_FOP_CREATE_ITEM,      /* create (and save) a new message */
	MAPIX_FOP_EDIT_ITEM,        /* change a saved message */
	MAPIX_FOP_DELETE_ITEM,      /* delete a message */
	MAPIX_FOP_CREATE_SUBFOLDER, /* create a folder below it */
	MAPIX_FOP_ADMINISTER,       /* change its properties, its ACL, delete or move it */
};

/* TRUE when `rights` carries only bits MS-OXCPERM defines. */
BOOL mapix_frights_valid(ULONG rights);
/* The stored form of a client's value: EditAny implies EditOwned and
 * DeleteAny implies DeleteOwned (MS-OXCPERM requires clients to set both;
 * the server completes what a client forgot). */
ULONG mapix_frights_normalize(ULONG rights);
/* Does `rights` allow `op`? For EDIT_ITEM and DELETE_ITEM, `owned` says
 * whether the message was created by the identity asking. */
BOOL mapix_frights_allows(ULONG rights, enum mapix_folder_op op, BOOL owned);
/* The Outlook role a rights value is exactly ("Owner", "Reviewer", ...;
 * free/busy bits ignored), or "Custom". */
const char *mapix_frights_role_name(ULONG rights);
/* A short name of an operation, for audit lines. */
const char *mapix_frights_op_name(enum mapix_folder_op op);

#endif
