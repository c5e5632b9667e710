/*
 * mapitags.h — property tags (PR_*). Placeholder with a few; the full list follows.
 */
#ifndef MAPIX_MAPITAGS_H
#define MAPIX_MAPITAGS_H

#include <mapix/mapidefs.h>

#define PR_SUBJECT_A PROP_TAG(PT_STRING8, 0x0037)
#define PR_SUBJECT_W PROP_TAG(PT_UNICODE, 0x0037)
#ifdef UNICODE
#define PR_SUBJECT PR_SUBJECT_W
#else
#define PR_SUBJECT PR_SUBJECT_A
#endif
#define PR_MESSAGE_FLAGS PROP_TAG(PT_LONG, 0x0E07)
#define PR_ENTRYID PROP_TAG(PT_BINARY, 0x0FFF)

#endif /* MAPIX_MAPITAGS_H */
