/*
 * import_pst_entryid.c — entry IDs that point into the PST being imported,
 * and their rewriting to the entry IDs the imported items got.
 *
 * Items in a PST refer to each other by the PST's own entry IDs (MS-PST
 * 2.4.3.2: flags, the store's provider UID, the node id). Copied as they
 * are, those would point nowhere in the target store, so the second pass
 * of the import (import_pst_fixup.c) hands them to pst_eid_rewrite. A
 * personal distribution list names its members in three shapes:
 *   - a WrappedEntryId (MS-OXOCNTC 2.2.2.2.4.1.1): flags, the wrapping
 *     provider UID, one type byte, then the contact's or list's entry ID;
 *   - a Contact Address or Personal Distribution List EntryID (MS-OXCDATA
 *     2.2.5.3 and 2.2.5.4): flags, the contact provider UID, version,
 *     type, index, a byte count and the entry ID;
 *   - rarely, the bare entry ID.
 * One-off entry IDs (addresses typed in) and address-book entry IDs do not
 * point into the file and stay as they are.
 */
#include <string.h>

#include <mapix/mapiutil.h>

#include "import_pst.h"

/* MS-OXOCNTC 2.2.2.2.4.1.1 */
static const BYTE wrapped_uid[16] = {0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
                                     0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4};
/* MS-OXCDATA 2.2.5.3 / 2.2.5.4 */
static const BYTE contact_uid[16] = {0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
                                     0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00};

/* WrappedEntryId types whose embedded entry ID is a message's (a contact,
 * 3, or a personal distribution list, 4); 0x80 says it is not a one-off. */
#define WRAPPED_HEADER 21
#define WRAPPED_KIND_MASK 0x0F
#define WRAPPED_KIND_CONTACT 3
#define WRAPPED_KIND_DL 4
#define WRAPPED_NOT_ONEOFF 0x80
/* Contact Address / Personal Distribution List EntryID: everything before
 * the embedded bytes. */
#define CONTACT_HEADER 36

static uint32_t rd32(const BYTE *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr32(BYTE *p, uint32_t v)
{
	p[0] = (BYTE)v;
	p[1] = (BYTE)(v >> 8);
	p[2] = (BYTE)(v >> 16);
	p[3] = (BYTE)(v >> 24);
}

BOOL pst_eid_parse(const BYTE *eid, size_t cb, const BYTE uid[16], uint32_t *nid)
{
	static const BYTE zero[4];
	if (!eid || cb != PST_ENTRYID_SIZE || memcmp(eid, zero, 4) != 0 || memcmp(eid + 4, uid, 16) != 0)
		return FALSE;
	*nid = rd32(eid + 20);
	return TRUE;
}

/* header[0..nheader) then the new entry ID, into one buffer on parent. */
static int splice(const BYTE *header, size_t nheader, ULONG cbnew, const BYTE *newid, LPVOID parent, SBinary *out)
{
	BYTE *p = NULL;
	if (FAILED(MAPIAllocateMore((ULONG)nheader + cbnew, parent, (LPVOID *)&p)))
		return -1;
	if (nheader)
		memcpy(p, header, nheader);
	memcpy(p + nheader, newid, cbnew);
	out->cb = (ULONG)nheader + cbnew;
	out->lpb = p;
	return 1;
}

int pst_eid_rewrite(const BYTE *in, ULONG cb, const BYTE uid[16], pst_eid_lookup *lookup, void *ctx,
                    LPVOID parent, SBinary *out)
{
	uint32_t nid;
	ULONG cbnew;
	const BYTE *newid;
	if (!in)
		return 0;
	if (pst_eid_parse(in, cb, uid, &nid)) {
		if (!lookup(ctx, nid, &cbnew, &newid))
			return -1;
		return splice(NULL, 0, cbnew, newid, parent, out);
	}
	if (cb >= WRAPPED_HEADER && memcmp(in + 4, wrapped_uid, 16) == 0) {
		BYTE type = in[20];
		BYTE kind = type & WRAPPED_KIND_MASK;
		if (!(type & WRAPPED_NOT_ONEOFF) || (kind != WRAPPED_KIND_CONTACT && kind != WRAPPED_KIND_DL))
			return 0;
		if (!pst_eid_parse(in + WRAPPED_HEADER, cb - WRAPPED_HEADER, uid, &nid))
			return 0;
		if (!lookup(ctx, nid, &cbnew, &newid))
			return -1;
		return splice(in, WRAPPED_HEADER, cbnew, newid, parent, out);
	}
	if (cb >= CONTACT_HEADER && memcmp(in + 4, contact_uid, 16) == 0) {
		uint32_t count = rd32(in + 32);
		if (count != cb - CONTACT_HEADER || !pst_eid_parse(in + CONTACT_HEADER, count, uid, &nid))
			return 0;
		if (!lookup(ctx, nid, &cbnew, &newid))
			return -1;
		int r = splice(in, CONTACT_HEADER, cbnew, newid, parent, out);
		if (r == 1)
			wr32(out->lpb + 32, cbnew);
		return r;
	}
	return 0;
}

/* ---- PidLidDistributionListChecksum ---------------------------------------------- */

static uint32_t crc32_update(uint32_t crc, const BYTE *p, size_t n)
{
	/* Bitwise, reflected polynomial 0xEDB88320: member lists are small. */
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc;
}

uint32_t pst_dl_checksum(const SBinaryArray *members)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (ULONG i = 0; members && i < members->cValues; i++)
		if (members->lpbin[i].lpb)
			crc = crc32_update(crc, members->lpbin[i].lpb, members->lpbin[i].cb);
	return crc ^ 0xFFFFFFFFu;
}
