/*
 * entryid.h — entry ID, source key and change key layouts shared by every
 * store provider (MS-OXCDATA 2.2.4): the same mailbox object has the same
 * entry ID whether opened from a local file or through mapixd, by its owner
 * or by a service identity. docs/formats.md documents the bytes.
 */
#ifndef MAPIX_CORE_ENTRYID_H
#define MAPIX_CORE_ENTRYID_H

#include <stdint.h>

#include <mapix/mapidefs.h>

#define MAPIX_FOLDER_ENTRYID_SIZE 46
#define MAPIX_MESSAGE_ENTRYID_SIZE 70
#define MAPIX_XID_SIZE 22 /* database GUID + 6-byte global counter */

/* MS-OXCDATA 2.2.4.1 entry ID types */
#define MAPIX_EIT_PRIVATE_FOLDER 0x0001
#define MAPIX_EIT_PRIVATE_MESSAGE 0x0007

enum mapix_entryid_kind {
	MAPIX_EID_UNKNOWN = 0,
	MAPIX_EID_FOLDER,
	MAPIX_EID_MESSAGE,
	MAPIX_EID_STORE,
};

/* Writes a Folder EntryID / Message EntryID for the mailbox `guid`. */
void mapix_entryid_make_folder(const GUID *guid, uint64_t fid, BYTE out[MAPIX_FOLDER_ENTRYID_SIZE]);
void mapix_entryid_make_message(const GUID *guid, uint64_t fid, uint64_t mid, BYTE out[MAPIX_MESSAGE_ENTRYID_SIZE]);

/* Parses a folder or message entry ID; fails with MAPI_E_INVALID_ENTRYID
 * for anything else. *mid is 0 for folders. */
HRESULT mapix_entryid_parse(ULONG cb, const ENTRYID *eid, enum mapix_entryid_kind *kind, GUID *guid,
                            uint64_t *fid, uint64_t *mid);

/* Store Object EntryID (MS-OXCDATA 2.2.4.3) for a private mailbox, with
 * mapix's DNs: server short name and /o=mapix/ou=<server>/cn=Recipients/cn=<account>.
 * Allocated with MAPIAllocateMore on lpParent (MAPIAllocateBuffer if NULL). */
HRESULT mapix_entryid_make_store(const char *server, const char *account, LPVOID lpParent, ULONG *lpcb,
                                 LPENTRYID *lppEntryID);
/* Parses a store entry ID into its server short name and mailbox DN
 * (pointers into the caller's buffers of the given sizes). */
HRESULT mapix_entryid_parse_store(ULONG cb, const ENTRYID *eid, char *server, size_t server_cap, char *dn,
                                  size_t dn_cap);
/* The account part (cn=...) of a mapix mailbox DN, or NULL. */
const char *mapix_mailbox_dn_account(const char *dn);

/* XIDs: source keys and change keys are GUID + 48-bit counter, big-endian. */
void mapix_xid_make(const GUID *guid, uint64_t counter, BYTE out[MAPIX_XID_SIZE]);
HRESULT mapix_xid_parse(ULONG cb, const BYTE *xid, GUID *guid, uint64_t *counter);

#endif
