/*
 * wire.h — internals shared by the wire encoder and decoder files:
 * wire_buf.c (buffer, cursor, primitives, allocation), wire_prop.c
 * (property values, tag arrays, rows) and wire_restrict.c (restrictions and
 * sort orders). Values and restrictions nest inside each other (a content
 * restriction holds a value, a PT_SRESTRICT value holds a restriction), so
 * each file calls into the other through the level-carrying functions here.
 */
#ifndef MAPIX_CORE_WIRE_H
#define MAPIX_CORE_WIRE_H

#include <mapix/mapix.h>
#include <mapix/mapixwire.h>

/* Minimum encoded sizes, used to refuse counts the remaining input cannot
 * hold before anything is allocated. */
#define MAPIX_WIRE_MIN_PROPVAL 4 /* tag of a PT_NULL/PT_OBJECT value */
#define MAPIX_WIRE_MIN_RES 5     /* RES_EXIST, or an empty RES_AND/RES_OR */
#define MAPIX_WIRE_MIN_SORT 5    /* tag + order byte */

/* One decode call: the cursor, the public function that errors name, and the
 * MAPIAllocateBuffer root that new memory hangs from. */
typedef struct mapix_wire_dec {
	MAPIXWIRECURSOR *cur;
	const char *fn;
	void *root;
} mapix_wire_dec;

/* Records MAPI_E_CORRUPT_DATA with "fn: <reason> at offset N". */
HRESULT mapix_wire_corrupt(const mapix_wire_dec *d, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Checks that n bytes remain (what names the item for the message). */
HRESULT mapix_wire_need(const mapix_wire_dec *d, size_t n, const char *what);
/* Checks count * minsize <= bytes left, so a hostile count fails before any
 * allocation. */
HRESULT mapix_wire_need_count(const mapix_wire_dec *d, ULONG count, size_t minsize, const char *what);
HRESULT mapix_wire_dec_u8(mapix_wire_dec *d, BYTE *v, const char *what);
HRESULT mapix_wire_dec_u32(mapix_wire_dec *d, ULONG *v, const char *what);
HRESULT mapix_wire_dec_u64(mapix_wire_dec *d, ULONGLONG *v, const char *what);
/* Zeroed memory: MAPIAllocateMore on d->root, or a new root stored in
 * d->root when there is none yet. */
HRESULT mapix_wire_alloc(mapix_wire_dec *d, size_t cb, void **lppv);

/* One encode call: the buffer and the public function that errors name. */
typedef struct mapix_wire_enc {
	MAPIXWIREBUF *buf;
	const char *fn;
} mapix_wire_enc;

/* Records MAPI_E_INVALID_PARAMETER (or hr) with "fn: <reason>". */
HRESULT mapix_wire_bad(const mapix_wire_enc *e, HRESULT hr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Level-carrying halves of the public writers and readers. `level` is the
 * restriction level that encloses the item (0 outside any restriction). */
HRESULT mapix_wire_enc_propval(const mapix_wire_enc *e, const SPropValue *prop, unsigned level);
HRESULT mapix_wire_enc_props(const mapix_wire_enc *e, ULONG count, const SPropValue *props, unsigned level);
/* allow_none: NULL is written as MAPIX_WIRE_RES_NONE (top level and
 * PT_SRESTRICT values only). */
HRESULT mapix_wire_enc_restriction(const mapix_wire_enc *e, const SRestriction *res, unsigned level, BOOL allow_none);

HRESULT mapix_wire_dec_propval(mapix_wire_dec *d, LPSPropValue out, unsigned level);
HRESULT mapix_wire_dec_props(mapix_wire_dec *d, ULONG *count, LPSPropValue *props, unsigned level);
/* Reads a restriction that may be MAPIX_WIRE_RES_NONE into a new block
 * (*out is NULL for "none"). */
HRESULT mapix_wire_dec_restriction_ptr(mapix_wire_dec *d, LPSRestriction *out, unsigned level);

#endif
