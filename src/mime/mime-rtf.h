/*
 * mime-rtf.h — private interface of the RTF files of src/mime: compressed
 * RTF (mime-rtf.c) and reading RTF (mime-rtf-text.c).
 */
#ifndef MAPIX_MIME_RTF_H
#define MAPIX_MIME_RTF_H

#include "mime/mime.h"

/* MS-OXRTFCP decompression; MAPI_E_CORRUPT_DATA on damaged input. */
HRESULT mapix_rtf_decompress_bytes(const BYTE *in, size_t len, GByteArray **out);
/* MS-OXRTFCP compression ("LZFu"), or the uncompressed "MELA" form. */
HRESULT mapix_rtf_compress_bytes(const BYTE *in, size_t len, BOOL uncompressed, GByteArray **out);
/* The body an RTF document carries (MAPIX_RTF_TEXT or MAPIX_RTF_HTML) as
 * UTF-8 (g_free). */
char *mapix_rtf_extract(const BYTE *rtf, size_t len, ULONG *kind, size_t *outlen);

#endif
