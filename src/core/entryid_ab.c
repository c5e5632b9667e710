/*
 * entryid_ab.c — Address Book EntryIDs of mail users (entryid_ab.h).
 * Layout (MS-OXCDATA 2.2.5.2): Flags 0, the EMSAB provider UID, Version 1,
 * Type 0 (local mail user), then the X500 DN as a NUL-terminated string.
 */
#include <string.h>

#include <mapix/edkmdb.h>

#include "core/entryid_ab.h"
#include "core/error.h"

HRESULT mapix_entryid_make_ab(const char *dn, LPVOID lpParent, ULONG *lpcb, LPENTRYID *lppEntryID)
{
	size_t n = strlen(dn);
	if (n == 0 || n > 1024)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "address book entry ID: bad DN length %zu", n);
	ULONG cb = (ULONG)(MAPIX_AB_ENTRYID_HEADER + n + 1);
	BYTE *p;
	HRESULT hr = lpParent ? MAPIAllocateMore(cb, lpParent, (LPVOID *)&p) : MAPIAllocateBuffer(cb, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memset(p, 0, MAPIX_AB_ENTRYID_HEADER);
	memcpy(p + 4, MAPIX_MUID_EMSAB, 16);
	p[20] = 1; /* Version, little-endian */
	memcpy(p + MAPIX_AB_ENTRYID_HEADER, dn, n + 1);
	*lpcb = cb;
	*lppEntryID = (LPENTRYID)p;
	return S_OK;
}

HRESULT mapix_entryid_parse_ab(ULONG cb, const ENTRYID *eid, char *dn, size_t cap)
{
	const BYTE *p = (const BYTE *)eid;
	if (!eid || cb <= MAPIX_AB_ENTRYID_HEADER + 1 || memcmp(p + 4, MAPIX_MUID_EMSAB, 16) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not an address book entry ID");
	const char *s = (const char *)p + MAPIX_AB_ENTRYID_HEADER;
	size_t n = cb - MAPIX_AB_ENTRYID_HEADER;
	const char *nul = memchr(s, 0, n);
	if (!nul || nul == s || (size_t)(nul - s) + 1 > cap)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "address book entry ID: bad DN");
	memcpy(dn, s, (size_t)(nul - s) + 1);
	return S_OK;
}
