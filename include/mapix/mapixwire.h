/*
 * mapixwire.h — the one byte encoding of MAPI data in mapix (a mapix
 * extension, not a Windows header). The local store persists property values
 * with it and mapixd's protocol carries values, tag arrays, rows,
 * restrictions and sort orders with it, so both sides share one encoder and
 * one hardened decoder.
 *
 * The layouts follow MS-OXCDATA (TaggedPropertyValue, PropertyTagArray,
 * restrictions, SortOrderSet), little-endian, with 32-bit counts everywhere
 * (binary and string lengths, multi-value, restriction, row and sort counts)
 * and length-prefixed strings. docs/formats.md, "Value encoding", gives the
 * byte layout of every type and structure.
 *
 * Writers append to a growable MAPIXWIREBUF; on failure they leave the buffer
 * as it was before the call. Readers take bytes from a MAPIXWIRECURSOR; any
 * truncation, unknown type, impossible count, non-canonical value or nesting
 * deeper than MAPIX_WIRE_MAX_DEPTH fails with MAPI_E_CORRUPT_DATA and a
 * message (MAPIXGetLastErrorText) that names the byte offset. A failed read
 * leaves the cursor where it was and allocates nothing that the caller must
 * free. Readers never read past the end and never allocate more than a small
 * constant multiple of the bytes the input actually holds.
 *
 * Decoded structures are MAPI memory: one MAPIAllocateBuffer root with
 * MAPIAllocateMore children, freed with one MAPIFreeBuffer (a row set is the
 * exception that FreeProws expects: each row's lpProps is its own root).
 */
#ifndef MAPIX_MAPIXWIRE_H
#define MAPIX_MAPIXWIRE_H

#include <mapix/mapidefs.h>

MAPIX_BEGIN_DECLS

/* Deepest restriction nesting a reader accepts and a writer produces; the
 * outermost restriction is level 1 (a restriction held in a PT_SRESTRICT
 * value counts one level deeper than the restriction that holds it). */
#define MAPIX_WIRE_MAX_DEPTH 64

/* The one-byte restriction type that stands for "no restriction" where a
 * whole restriction (or a PT_SRESTRICT value) may be NULL. */
#define MAPIX_WIRE_RES_NONE 0xFF

/* A growable output buffer: pb holds cb encoded bytes (pb may be NULL while
 * cb is 0). Callers read pb/cb; only the functions below change them. */
typedef struct _MAPIXWIREBUF {
	BYTE *pb;
	size_t cb;
	size_t cbAlloc;
} MAPIXWIREBUF, *LPMAPIXWIREBUF;

/* A read position in caller-owned bytes, which must outlive the cursor. */
typedef struct _MAPIXWIRECURSOR {
	const BYTE *pb;
	size_t cb;
	size_t off;
} MAPIXWIRECURSOR, *LPMAPIXWIRECURSOR;

/* ---- buffers and cursors ----------------------------------------------- */

MAPIX_EXTERN_C MAPIX_API void mapix_wire_buf_init(MAPIXWIREBUF *lpBuf);
/* Releases the memory; the buffer is empty and reusable afterwards. */
MAPIX_EXTERN_C MAPIX_API void mapix_wire_buf_free(MAPIXWIREBUF *lpBuf);
/* Forgets the contents but keeps the memory for the next message. */
MAPIX_EXTERN_C MAPIX_API void mapix_wire_buf_reset(MAPIXWIREBUF *lpBuf);

MAPIX_EXTERN_C MAPIX_API void mapix_wire_cursor_init(MAPIXWIRECURSOR *lpCur, const void *pb, size_t cb);
/* Bytes not yet read. */
MAPIX_EXTERN_C MAPIX_API size_t mapix_wire_cursor_left(const MAPIXWIRECURSOR *lpCur);
/* MAPI_E_CORRUPT_DATA unless every byte has been read: call it after the last
 * reader when the bytes must hold exactly one structure. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_end(const MAPIXWIRECURSOR *lpCur);

/* ---- primitives (little-endian), shared with the server protocol -------- */

MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_u8(MAPIXWIREBUF *lpBuf, BYTE v);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_u16(MAPIXWIREBUF *lpBuf, WORD v);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_u32(MAPIXWIREBUF *lpBuf, ULONG v);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_u64(MAPIXWIREBUF *lpBuf, ULONGLONG v);
/* Raw bytes, no length prefix. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_bytes(MAPIXWIREBUF *lpBuf, const void *pv, size_t cb);

MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_u8(MAPIXWIRECURSOR *lpCur, BYTE *lpv);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_u16(MAPIXWIRECURSOR *lpCur, WORD *lpv);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_u32(MAPIXWIRECURSOR *lpCur, ULONG *lpv);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_u64(MAPIXWIRECURSOR *lpCur, ULONGLONG *lpv);
/* cb raw bytes; *lppb points into the cursor's input (no copy). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_bytes(MAPIXWIRECURSOR *lpCur, size_t cb, const BYTE **lppb);

/* ---- writers --------------------------------------------------------------
 * MAPI_E_INVALID_PARAMETER for a malformed structure (NULL where data is
 * needed, a one-byte field above 0xFF, an unknown restriction type),
 * MAPI_E_INVALID_TYPE for a property type with no encoding, MAPI_E_NO_SUPPORT
 * for PT_ACTIONS, MAPI_E_TOO_COMPLEX beyond MAPIX_WIRE_MAX_DEPTH,
 * MAPI_E_NOT_ENOUGH_MEMORY when the buffer cannot grow. */

/* TaggedPropertyValue: the tag, then the value its type calls for. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_propval(MAPIXWIREBUF *lpBuf, const SPropValue *lpProp);
/* Count, then that many TaggedPropertyValues. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_props(MAPIXWIREBUF *lpBuf, ULONG cValues, const SPropValue *lpProps);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_proptags(MAPIXWIREBUF *lpBuf, const SPropTagArray *lpTags);
/* An SRow is its property array (ulAdrEntryPad is not carried). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_row(MAPIXWIREBUF *lpBuf, const SRow *lpRow);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_rowset(MAPIXWIREBUF *lpBuf, const SRowSet *lpRows);
/* lpRes may be NULL ("no restriction"). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_restriction(MAPIXWIREBUF *lpBuf, const SRestriction *lpRes);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_put_sortorderset(MAPIXWIREBUF *lpBuf, const SSortOrderSet *lpSorts);

/* ---- readers ------------------------------------------------------------- */

/* Reads one TaggedPropertyValue into *lpProp; strings, binaries, arrays and
 * restrictions are allocated with MAPIAllocateMore on lpParent, which must be
 * a MAPIAllocateBuffer root (typically the block that holds lpProp). After a
 * failure, memory already attached to lpParent stays there (freed with it). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_propval(MAPIXWIRECURSOR *lpCur, LPVOID lpParent, LPSPropValue lpProp);
/* A property array as one root; *lppProps is NULL when *lpcValues is 0. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_props(MAPIXWIRECURSOR *lpCur, ULONG *lpcValues, LPSPropValue *lppProps);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_proptags(MAPIXWIRECURSOR *lpCur, LPSPropTagArray *lppTags);
/* Fills *lpRow; lpRow->lpProps is its own root (NULL for an empty row). */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_row(MAPIXWIRECURSOR *lpCur, LPSRow lpRow);
/* The row set is one root and every row's lpProps another, so FreeProws
 * releases it. */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_rowset(MAPIXWIRECURSOR *lpCur, LPSRowSet *lppRows);
/* *lppRes is NULL when the encoding says "no restriction". */
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_restriction(MAPIXWIRECURSOR *lpCur, LPSRestriction *lppRes);
MAPIX_EXTERN_C MAPIX_API HRESULT mapix_wire_get_sortorderset(MAPIXWIRECURSOR *lpCur, LPSSortOrderSet *lppSorts);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXWIRE_H */
