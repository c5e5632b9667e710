/*
 * mapixprops.h — mapix extension: names of property tags and property types,
 * for diagnostics, the mapix command line and tests. The names come from the
 * same list as mapitags.h (the table is generated from it), so every PR_ tag
 * the header defines has a name here and nothing else does.
 */
#ifndef MAPIX_MAPIXPROPS_H
#define MAPIX_MAPIXPROPS_H

#include <mapix/mapidefs.h>

MAPIX_BEGIN_DECLS

/*
 * The PR_ name of ulPropTag, e.g. "PR_SUBJECT" for PR_SUBJECT_W and for
 * PR_SUBJECT_A (string properties are named without their _A/_W suffix), or
 * NULL when mapitags.h defines no such tag. A tag whose type is PT_ERROR or
 * PT_UNSPECIFIED (a property GetProps could not return, a column of unknown
 * type) is named after the property with that id; the MV_INSTANCE bit of a
 * table column is ignored. The string is static.
 */
MAPIX_EXTERN_C MAPIX_API const char *mapix_prop_tag_name(ULONG ulPropTag);

/*
 * The tag called name: a PR_ name of mapitags.h ("PR_SUBJECT", "PR_SUBJECT_A",
 * "PR_SUBJECT_W", Windows aliases such as "PR_BUSINESS_ADDRESS_CITY") or an
 * MS-OXPROPS canonical name ("PidTagSubject"), compared without regard to
 * case. A plain or canonical name of a string property gives its PT_UNICODE
 * form. Returns PR_NULL when the name is unknown (or NULL).
 */
MAPIX_EXTERN_C MAPIX_API ULONG mapix_prop_tag_from_name(const char *name);

/*
 * The PT_ name of a property type, e.g. "PT_UNICODE", "PT_MV_LONG"; only the
 * type bits are looked at, so a whole tag may be passed. The Windows names
 * are used where two spell the same value (PT_LONG, not PT_I4). NULL for a
 * type MAPI does not define.
 */
MAPIX_EXTERN_C MAPIX_API const char *mapix_prop_type_name(ULONG ulPropType);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXPROPS_H */
