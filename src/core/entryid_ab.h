/*
 * entryid_ab.h — Address Book EntryIDs (MS-OXCDATA 2.2.5.2) for mapix's
 * accounts: the X500 DN /o=mapix/ou=<server>/cn=Recipients/cn=<account>
 * behind the Exchange address book provider's UID. ACL tables use them as
 * PR_MEMBER_ENTRYID, as Exchange does.
 */
#ifndef MAPIX_CORE_ENTRYID_AB_H
#define MAPIX_CORE_ENTRYID_AB_H

#include <mapix/mapidefs.h>

/* Flags(4) ProviderUID(16) Version(4) Type(4), then the DN and its NUL. */
#define MAPIX_AB_ENTRYID_HEADER 28

/* An entry ID for a local mail user with this DN, allocated with
 * MAPIAllocateMore on lpParent (MAPIAllocateBuffer if NULL). */
HRESULT mapix_entryid_make_ab(const char *dn, LPVOID lpParent, ULONG *lpcb, LPENTRYID *lppEntryID);
/* The DN of an Address Book EntryID (copied into dn, at most cap bytes);
 * MAPI_E_INVALID_ENTRYID for anything else. */
HRESULT mapix_entryid_parse_ab(ULONG cb, const ENTRYID *eid, char *dn, size_t cap);

#endif
