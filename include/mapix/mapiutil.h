/*
 * mapiutil.h — MAPI utility functions with the Windows semantics: property
 * value copying and relocation, searching and comparing values, row and
 * address list clean-up, one-property helpers, IPropData (CreateIProp), and
 * the mapix_ helpers for UTF-16/UTF-8, FILETIME and the one string
 * collation of the whole system.
 */
#ifndef MAPIX_MAPIUTIL_H
#define MAPIX_MAPIUTIL_H

#include <time.h>
#include <mapix/mapix.h>
#include <mapix/mapival.h>

MAPIX_BEGIN_DECLS

/* IPropData access flags */
#define IPROP_READONLY ((ULONG)0x00000001)
#define IPROP_READWRITE ((ULONG)0x00000002)
#define IPROP_CLEAN ((ULONG)0x00010000)
#define IPROP_DIRTY ((ULONG)0x00020000)

/* ITableData and CreateTable (in-memory tables behind IMAPITable views). */
#include <mapix/mapiutil_tabledata.h>

STDAPI_(SCODE) CreateIProp(LPCIID lpInterface, ALLOCATEBUFFER *lpAllocateBuffer, ALLOCATEMORE *lpAllocateMore,
                           FREEBUFFER *lpFreeBuffer, LPVOID lpvReserved, LPPROPDATA *lppPropData);

STDAPI_(SCODE) ScInitMapiUtil(ULONG ulFlags);
STDAPI_(void) DeinitMapiUtil(void);
STDAPI_(LPMALLOC) MAPIGetDefaultMalloc(void);

/* Property values */
STDAPI_(SCODE) PropCopyMore(LPSPropValue lpSPropValueDest, LPSPropValue lpSPropValueSrc,
                            ALLOCATEMORE *lpfAllocMore, LPVOID lpvObject);
STDAPI_(ULONG) UlPropSize(LPSPropValue lpSPropValue);
STDAPI_(SCODE) ScCountProps(int cValues, LPSPropValue lpPropArray, ULONG *lpcb);
STDAPI_(SCODE) ScCopyProps(int cValues, LPSPropValue lpPropArray, LPVOID lpvDst, ULONG *lpcb);
STDAPI_(SCODE) ScRelocProps(int cValues, LPSPropValue lpPropArray, LPVOID lpvBaseOld, LPVOID lpvBaseNew,
                            ULONG *lpcb);
STDAPI_(SCODE) ScDupPropset(int cValues, LPSPropValue lpPropArray, LPALLOCATEBUFFER lpAllocateBuffer,
                            LPSPropValue *lppPropArray);
STDAPI_(LPSPropValue) LpValFindProp(ULONG ulPropTag, ULONG cValues, LPSPropValue lpPropArray);
STDAPI_(LPSPropValue) PpropFindProp(LPSPropValue lpPropArray, ULONG cValues, ULONG ulPropTag);
STDAPI_(LONG) LPropCompareProp(LPSPropValue lpSPropValueA, LPSPropValue lpSPropValueB);
STDAPI_(BOOL) FPropCompareProp(LPSPropValue lpSPropValue1, ULONG ulRelOp, LPSPropValue lpSPropValue2);
STDAPI_(BOOL) FPropContainsProp(LPSPropValue lpSPropValueDst, LPSPropValue lpSPropValueSrc, ULONG ulFuzzyLevel);
STDAPI_(BOOL) FPropExists(LPMAPIPROP lpMapiProp, ULONG ulPropTag);
STDAPI_(BOOL) FEqualNames(LPMAPINAMEID lpName1, LPMAPINAMEID lpName2);

/* Rows and address lists */
STDAPI_(void) FreeProws(LPSRowSet lpRows);
STDAPI_(void) FreePadrlist(LPADRLIST lpAdrlist);
STDAPI HrQueryAllRows(LPMAPITABLE lpTable, LPSPropTagArray lpPropTags, LPSRestriction lpRestriction,
                      LPSSortOrderSet lpSortOrderSet, LONG crowsMax, LPSRowSet *lppRows);

/* One property at a time */
STDAPI HrGetOneProp(LPMAPIPROP lpMapiProp, ULONG ulPropTag, LPSPropValue *lppProp);
STDAPI HrSetOneProp(LPMAPIPROP lpMapiProp, LPSPropValue lpProp);

/* Advise sinks: one that calls a function, and one that delivers on the
 * thread that made it (that thread calls MAPIXDispatchNotifications, since
 * Linux programs have no window message loop). */
STDAPI HrAllocAdviseSink(LPNOTIFCALLBACK lpfnCallback, LPVOID lpvContext, LPMAPIADVISESINK *lppAdviseSink);
STDAPI HrThisThreadAdviseSink(LPMAPIADVISESINK lpAdviseSink, LPMAPIADVISESINK *lppAdviseSink);

/* Compressed RTF (PR_RTF_COMPRESSED, MS-OXRTFCP): a stream that reads
 * (and, with MAPI_MODIFY, writes) the uncompressed RTF of a compressed
 * stream. STORE_UNCOMPRESSED_RTF in ulFlags writes uncompressed ("MELA"). */
STDAPI WrapCompressedRTFStream(LPSTREAM lpCompressedRTFStream, ULONG ulFlags, LPSTREAM *lpUncompressedRTFStream);
#define MAPIX_HAVE_WRAPCOMPRESSEDRTFSTREAM 1

/* Reference counting helpers and hex */
STDAPI_(ULONG) UlAddRef(LPVOID lpunk);
STDAPI_(ULONG) UlRelease(LPVOID lpunk);
STDAPI_(void) HexFromBin(LPBYTE pb, int cb, LPTSTR sz);
STDAPI_(BOOL) FBinFromHex(LPTSTR sz, LPBYTE pb);

/* FILETIME arithmetic */
STDAPI_(FILETIME) FtAddFt(FILETIME ftAddend1, FILETIME ftAddend2);
STDAPI_(FILETIME) FtSubFt(FILETIME ftMinuend, FILETIME ftSubtrahend);
STDAPI_(FILETIME) FtMulDwDw(DWORD ftMultiplicand, DWORD ftMultiplier);
STDAPI_(FILETIME) FtNegFt(FILETIME ft);

/* ---- mapix extensions: strings, time and the collation ------------------- */

/* Length of a NUL-terminated UTF-16 string, in WCHARs. */
MAPIX_EXTERN_C MAPIX_API size_t mapix_wcslen(const WCHAR *s);
/* UTF-8 -> UTF-16 and back, allocated with MAPIAllocateMore on lpParent
 * (or MAPIAllocateBuffer when lpParent is NULL). Invalid sequences become
 * U+FFFD; lone surrogates likewise. */
MAPIX_EXTERN_C MAPIX_API SCODE mapix_utf8_to_utf16(const char *src, LPVOID lpParent, LPWSTR *lppDst);
MAPIX_EXTERN_C MAPIX_API SCODE mapix_utf16_to_utf8(const WCHAR *src, LPVOID lpParent, LPSTR *lppDst);
/* Same into a caller's buffer; returns the length the full result needs
 * (without the NUL), and always NUL-terminates when cap > 0. */
MAPIX_EXTERN_C MAPIX_API size_t mapix_utf8_to_utf16_buf(const char *src, size_t srclen, WCHAR *dst, size_t cap);
MAPIX_EXTERN_C MAPIX_API size_t mapix_utf16_to_utf8_buf(const WCHAR *src, size_t srclen, char *dst, size_t cap);

/* FILETIME <-> Unix time. */
MAPIX_EXTERN_C MAPIX_API FILETIME mapix_filetime_from_unix(int64_t seconds, uint32_t nanoseconds);
MAPIX_EXTERN_C MAPIX_API int64_t mapix_filetime_to_unix(FILETIME ft, uint32_t *nanoseconds);
MAPIX_EXTERN_C MAPIX_API FILETIME mapix_filetime_now(void);
MAPIX_EXTERN_C MAPIX_API uint64_t mapix_filetime_to_u64(FILETIME ft);
MAPIX_EXTERN_C MAPIX_API FILETIME mapix_filetime_from_u64(uint64_t v);

/*
 * The one collation of mapix (design.md): code-point order; with
 * FL_IGNORECASE, Unicode simple case folding; with FL_LOOSE (or
 * FL_IGNORENONSPACE), diacritics are ignored too. Operates on UTF-8 (the
 * store's form) and UTF-16 (PT_UNICODE). Returns <0, 0, >0.
 */
MAPIX_EXTERN_C MAPIX_API int mapix_collate_utf8(const char *a, size_t alen, const char *b, size_t blen, ULONG ulFuzzyLevel);
MAPIX_EXTERN_C MAPIX_API int mapix_collate_utf16(const WCHAR *a, size_t alen, const WCHAR *b, size_t blen, ULONG ulFuzzyLevel);
/* Substring/prefix/full match under the same collation (RES_CONTENT). */
MAPIX_EXTERN_C MAPIX_API BOOL mapix_match_utf8(const char *haystack, size_t hlen, const char *needle, size_t nlen, ULONG ulFuzzyLevel);
/* Folds one code point as the collation does for ulFuzzyLevel: returns
 * MAPIX_FOLD_DROPPED for a code point the level drops (a nonspacing mark
 * under FL_LOOSE/FL_IGNORENONSPACE), the first code point for the few that
 * fold to several, and values above U+10FFFF unchanged. FL_IGNORENONSPACE
 * alone drops diacritics but keeps case; FL_LOOSE does both. */
#ifndef MAPIX_FOLD_DROPPED
#define MAPIX_FOLD_DROPPED ((uint32_t)0xFFFFFFFF)
#endif
MAPIX_EXTERN_C MAPIX_API uint32_t mapix_fold_codepoint(uint32_t cp, ULONG ulFuzzyLevel);
/* Registers the collations "MAPIX", "MAPIX_NOCASE" and "MAPIX_LOOSE" and
 * the SQL function mapix_match(haystack, needle, fuzzylevel) on a SQLite
 * connection (a sqlite3 *, passed as void * so this header does not need
 * sqlite3.h). Returns SQLITE_OK or an SQLite error code. */
MAPIX_EXTERN_C MAPIX_API int mapix_collation_register_sqlite(void *db);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIUTIL_H */
