/*
 * propnames.h — internal access to the property-name table of propnames.c,
 * so tests can walk every row (the public lookups are in mapixprops.h).
 */
#ifndef MAPIX_CORE_PROPNAMES_H
#define MAPIX_CORE_PROPNAMES_H

#include <stddef.h>

#include <mapix/mapidefs.h>

/* Number of rows: one per distinct tag that mapitags.h defines. */
size_t mapix_propnames_count(void);
/* Row i (0 <= i < count, in tag order): its tag, PR_ name and MS-OXPROPS
 * canonical name (NULL when it has none). FALSE when i is out of range. */
BOOL mapix_propnames_row(size_t i, ULONG *lpulTag, const char **lppszName, const char **lppszCanonical);

#endif
