/*
 * entryid.c — building and parsing entry IDs, source keys and change keys
 * in the MS-OXCDATA layouts (see entryid.h and docs/formats.md).
 */
#include <stdio.h>
#include <string.h>

#include <mapix/mapix.h>

#include "core/entryid.h"
#include "core/error.h"

/* MS-OXCDATA 2.2.4.3: provider UID of every Store Object EntryID and the
 * wrapped provider UID of a private mailbox store. */
static const BYTE STORE_PROVIDER_UID[16] = {0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A,
                                            0xA1, 0xBB, 0x08, 0x00, 0x2B, 0x2A, 0x56, 0xC2};
static const BYTE WRAPPED_PRIVATE_UID[16] = {0x1B, 0x55, 0xFA, 0x20, 0xAA, 0x66, 0x11, 0xCD,
                                             0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A};
static const char STORE_DLL_NAME[14] = "emsmdb.dll";
#define WRAPPED_TYPE_PRIVATE 0x0000000C
#define STORE_EID_FIXED 60 /* bytes before the two strings */

static void put_globcnt(BYTE *p, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		p[i] = (BYTE)(v & 0xFF);
		v >>= 8;
	}
}

static uint64_t get_globcnt(const BYTE *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_u16le(BYTE *p, uint16_t v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
}

static uint16_t get_u16le(const BYTE *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

void mapix_xid_make(const GUID *guid, uint64_t counter, BYTE out[MAPIX_XID_SIZE])
{
	memcpy(out, guid, 16);
	put_globcnt(out + 16, counter);
}

HRESULT mapix_xid_parse(ULONG cb, const BYTE *xid, GUID *guid, uint64_t *counter)
{
	if (cb != MAPIX_XID_SIZE || !xid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "XID: expected %d bytes, got %u", MAPIX_XID_SIZE, (unsigned)cb);
	memcpy(guid, xid, 16);
	*counter = get_globcnt(xid + 16);
	return S_OK;
}

void mapix_entryid_make_folder(const GUID *guid, uint64_t fid, BYTE out[MAPIX_FOLDER_ENTRYID_SIZE])
{
	memset(out, 0, MAPIX_FOLDER_ENTRYID_SIZE);
	memcpy(out + 4, guid, 16);                 /* provider UID: the mailbox GUID */
	put_u16le(out + 20, MAPIX_EIT_PRIVATE_FOLDER);
	mapix_xid_make(guid, fid, out + 22);      /* database GUID + GLOBCNT; 2 pad bytes follow */
}

void mapix_entryid_make_message(const GUID *guid, uint64_t fid, uint64_t mid, BYTE out[MAPIX_MESSAGE_ENTRYID_SIZE])
{
	memset(out, 0, MAPIX_MESSAGE_ENTRYID_SIZE);
	memcpy(out + 4, guid, 16);
	put_u16le(out + 20, MAPIX_EIT_PRIVATE_MESSAGE);
	mapix_xid_make(guid, fid, out + 22);
	mapix_xid_make(guid, mid, out + 46);
}

HRESULT mapix_entryid_parse(ULONG cb, const ENTRYID *eid, enum mapix_entryid_kind *kind, GUID *guid,
                            uint64_t *fid, uint64_t *mid)
{
	const BYTE *p = (const BYTE *)eid;

	*kind = MAPIX_EID_UNKNOWN;
	if (!eid || cb < 22)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "entry ID too short (%u bytes)", (unsigned)cb);
	if (cb >= STORE_EID_FIXED && memcmp(p + 4, STORE_PROVIDER_UID, 16) == 0) {
		*kind = MAPIX_EID_STORE;
		return S_OK;
	}
	uint16_t type = get_u16le(p + 20);
	if (type == MAPIX_EIT_PRIVATE_FOLDER && cb == MAPIX_FOLDER_ENTRYID_SIZE) {
		memcpy(guid, p + 4, 16);
		*fid = get_globcnt(p + 38);
		*mid = 0;
		*kind = MAPIX_EID_FOLDER;
		return S_OK;
	}
	if (type == MAPIX_EIT_PRIVATE_MESSAGE && cb == MAPIX_MESSAGE_ENTRYID_SIZE) {
		memcpy(guid, p + 4, 16);
		*fid = get_globcnt(p + 38);
		*mid = get_globcnt(p + 62);
		*kind = MAPIX_EID_MESSAGE;
		return S_OK;
	}
	return mapix_error(MAPI_E_INVALID_ENTRYID, "not a mapix folder or message entry ID (type 0x%04X, %u bytes)",
	                   (unsigned)type, (unsigned)cb);
}

HRESULT mapix_entryid_make_store(const char *server, const char *account, LPVOID lpParent, ULONG *lpcb,
                                 LPENTRYID *lppEntryID)
{
	char dn[512];
	int n = snprintf(dn, sizeof dn, "/o=mapix/ou=%s/cn=Recipients/cn=%s", server, account);
	if (n < 0 || (size_t)n >= sizeof dn)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "store entry ID: server or account name too long");
	size_t slen = strlen(server) + 1, dlen = (size_t)n + 1;
	ULONG cb = (ULONG)(STORE_EID_FIXED + slen + dlen);
	BYTE *p;
	SCODE sc = lpParent ? MAPIAllocateMore(cb, lpParent, (LPVOID *)&p) : MAPIAllocateBuffer(cb, (LPVOID *)&p);
	if (FAILED(sc))
		return sc;
	memset(p, 0, STORE_EID_FIXED);
	memcpy(p + 4, STORE_PROVIDER_UID, 16);
	/* p[20] version 0, p[21] flag 0 */
	memcpy(p + 22, STORE_DLL_NAME, sizeof STORE_DLL_NAME);
	/* p[36..39] wrapped flags 0 */
	memcpy(p + 40, WRAPPED_PRIVATE_UID, 16);
	p[56] = WRAPPED_TYPE_PRIVATE;
	memcpy(p + STORE_EID_FIXED, server, slen);
	memcpy(p + STORE_EID_FIXED + slen, dn, dlen);
	*lpcb = cb;
	*lppEntryID = (LPENTRYID)p;
	return S_OK;
}

HRESULT mapix_entryid_parse_store(ULONG cb, const ENTRYID *eid, char *server, size_t server_cap, char *dn,
                                  size_t dn_cap)
{
	const BYTE *p = (const BYTE *)eid;
	if (!eid || cb < STORE_EID_FIXED + 2 || memcmp(p + 4, STORE_PROVIDER_UID, 16) != 0 ||
	    memcmp(p + 40, WRAPPED_PRIVATE_UID, 16) != 0)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "not a private mailbox store entry ID");
	const char *s = (const char *)p + STORE_EID_FIXED;
	const char *end = (const char *)p + cb;
	const char *s_nul = memchr(s, '\0', (size_t)(end - s));
	if (!s_nul)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "store entry ID: server name not terminated");
	const char *d = s_nul + 1;
	const char *d_nul = d < end ? memchr(d, '\0', (size_t)(end - d)) : NULL;
	if (!d_nul)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "store entry ID: mailbox DN not terminated");
	if ((size_t)(s_nul - s) >= server_cap || (size_t)(d_nul - d) >= dn_cap)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "store entry ID: names too long");
	memcpy(server, s, (size_t)(s_nul - s) + 1);
	memcpy(dn, d, (size_t)(d_nul - d) + 1);
	return S_OK;
}

const char *mapix_mailbox_dn_account(const char *dn)
{
	const char *last = NULL;
	for (const char *p = dn; (p = strstr(p, "/cn=")) != NULL; p += 4)
		last = p + 4;
	return last && *last ? last : NULL;
}
