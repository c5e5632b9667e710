/*
 * import_pst.h — the pieces of the PST/OST import source (import_pst*.c),
 * shared between its files only.
 *
 *   import_pst.c          the source: opening the file through libpff, the
 *                         store's special folders, the walk, the second pass
 *   import_pst_folder.c   walking the folder tree below the IPM subtree
 *   import_pst_props.c    one libpff item's properties onto a MAPI object
 *                         (small values by SetProps, large ones by streams,
 *                         named properties through the file's name map)
 *   import_pst_content.c  recipients and attachments (embedded messages too)
 *   import_pst_fixup.c    the second pass: entry IDs that point into the PST
 *   import_pst_value.c    raw PST property bytes -> SPropValue (no libpff)
 *   import_pst_entryid.c  PST, wrapped and contact entry IDs (no libpff)
 *
 * The last two are pure functions over bytes, so the unit tests and the
 * fuzz target reach them without a PST file or a store.
 */
#ifndef MAPIX_CLI_IMPORT_PST_H
#define MAPIX_CLI_IMPORT_PST_H

#include <stddef.h>
#include <stdint.h>

#include <mapix/mapix.h>

/* ---- raw values (import_pst_value.c) ------------------------------------------- */

/* Values at least this large go through OpenProperty(IID_IStream) in
 * pieces instead of SetProps. */
#define PST_STREAM_MIN (32u * 1024u)
/* The piece size of those streams. */
#define PST_STREAM_PIECE (64u * 1024u)

/* The code page non-Unicode strings are read in when neither the message
 * nor the file says (Windows-1252, as libpff assumes too). */
#define PST_DEFAULT_CODEPAGE 1252

/* Converts a property's raw bytes as a PST stores them (little-endian
 * numbers, UTF-16LE for PT_UNICODE, code-page text for PT_STRING8, the
 * count + offsets layout of variable-size multi-values) into *out, tagged
 * tag; memory comes from MAPIAllocateMore on parent. PT_STRING8 becomes
 * UTF-8 (mapix's PT_STRING8), read in codepage. Returns S_OK,
 * MAPI_E_NO_SUPPORT for a type that is not copied (PT_OBJECT, PT_ERROR,
 * PT_NULL, server entry IDs...), MAPI_E_CORRUPT_DATA when the bytes do not
 * fit the type. */
HRESULT pst_value_from_raw(ULONG tag, const BYTE *data, size_t size, int codepage, LPVOID parent, SPropValue *out);

/* iconv's name for a Windows code page ("CP1252", "UTF-8", "GB18030"...),
 * or NULL when it has none. */
const char *pst_codepage_name(int codepage);

/* Code-page text to UTF-8 in pieces (for streamed PT_STRING8 values): a
 * sequence split between two pieces is carried over to the next call. */
typedef struct pst_text_conv {
	void *cd; /* iconv_t, or NULL: bytes pass unchanged (UTF-8 already) */
	BYTE carry[8];
	size_t ncarry;
} pst_text_conv;
HRESULT pst_text_conv_open(pst_text_conv *c, int codepage);
/* Converts in[0..n) (plus what was carried over); the UTF-8 goes to
 * *out (malloc'd, *outlen bytes; free it). Bytes that are not text in the
 * code page become U+FFFD. final flushes what is left. */
HRESULT pst_text_conv_run(pst_text_conv *c, const BYTE *in, size_t n, BOOL final, char **out, size_t *outlen);
void pst_text_conv_close(pst_text_conv *c);

/* ---- entry IDs (import_pst_entryid.c) ---------------------------------------------- */

/* A PST's own entry IDs (MS-PST 2.4.3.2): 4 zero flag bytes, the store's
 * provider UID (its PR_RECORD_KEY), the 32-bit node id. */
#define PST_ENTRYID_SIZE 24

/* TRUE when eid[0..cb) is an entry ID of the PST whose provider UID is uid;
 * *nid gets the node id. */
BOOL pst_eid_parse(const BYTE *eid, size_t cb, const BYTE uid[16], uint32_t *nid);

/* Answers the new entry ID of the item that had node id nid in the PST
 * (FALSE when it was not imported). The bytes stay the callee's. */
typedef BOOL pst_eid_lookup(void *ctx, uint32_t nid, ULONG *lpcb, const BYTE **lppb);

/* Rewrites one distribution-list member entry ID that points into the PST
 * (uid): a bare PST entry ID, a WrappedEntryId (MS-OXOCNTC 2.2.2.2.4.1.1)
 * of a contact or distribution list whose embedded entry ID is the PST's,
 * or a Contact Address / Personal Distribution List EntryID (MS-OXCDATA
 * 2.2.5.3, 2.2.5.4) around one. Returns 1 with *out set (memory from
 * MAPIAllocateMore on parent), 0 when the entry ID is not the PST's (one-off
 * addresses, the address book, other stores: left as they are), -1 when it
 * is the PST's but lookup does not know the item. */
int pst_eid_rewrite(const BYTE *in, ULONG cb, const BYTE uid[16], pst_eid_lookup *lookup, void *ctx,
                    LPVOID parent, SBinary *out);

/* CRC-32 (ISO/IEC 8802-3) over the members' bytes one after the other, as
 * PidLidDistributionListChecksum holds it. */
uint32_t pst_dl_checksum(const SBinaryArray *members);

#endif
