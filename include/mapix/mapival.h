/*
 * mapival.h — the FBad* parameter checks of the MAPI validation header.
 * Each returns TRUE when its argument is malformed (NULL where a value is
 * required, a count that does not fit, a property type that does not exist,
 * a string or array that cannot be reached). Linux cannot probe whether a
 * pointer is readable, so IsBadReadPtr-style checks test for NULL only.
 */
#ifndef MAPIX_MAPIVAL_H
#define MAPIX_MAPIVAL_H

#include <mapix/mapidefs.h>

MAPIX_BEGIN_DECLS

#define IsBadReadPtr(lp, cb) ((lp) == NULL && (cb) != 0)
#define IsBadWritePtr(lp, cb) ((lp) == NULL && (cb) != 0)
#define IsBadStringPtrA(lpsz, cchMax) ((lpsz) == NULL)
#define IsBadStringPtrW(lpsz, cchMax) ((lpsz) == NULL)

STDAPI_(ULONG) FBadRglpszA(LPSTR *lppszA, ULONG cStrings);
STDAPI_(ULONG) FBadRglpszW(LPWSTR *lppszW, ULONG cStrings);
STDAPI_(ULONG) FBadRowSet(LPSRowSet lpRowSet);
STDAPI_(BOOL) FBadRglpNameID(LPMAPINAMEID *lppNameId, ULONG cNames);
STDAPI_(ULONG) FBadPropTag(ULONG ulPropTag);
STDAPI_(ULONG) FBadRow(LPSRow lprow);
STDAPI_(ULONG) FBadProp(LPSPropValue lpprop);
STDAPI_(ULONG) FBadColumnSet(LPSPropTagArray lpptaCols);
STDAPI_(ULONG) FBadSortOrderSet(LPSSortOrderSet lpsos);
STDAPI_(ULONG) FBadRestriction(LPSRestriction lpres);
STDAPI_(BOOL) FBadEntryList(LPENTRYLIST lpEntryList);
STDAPI_(ULONG) FBadPropTagArray(LPSPropTagArray lpPropTagArray);

#ifdef UNICODE
#define FBadRglpsz FBadRglpszW
#else
#define FBadRglpsz FBadRglpszA
#endif

MAPIX_END_DECLS

#endif /* MAPIX_MAPIVAL_H */
