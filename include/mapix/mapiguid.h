/*
 * mapiguid.h — interface identifiers and property set GUIDs.
 * (Placeholder with the first few; the full list follows.)
 * Define INITGUID (and optionally USES_IID_*) before including it in one
 * translation unit to emit definitions, as on Windows.
 */
#ifndef MAPIX_MAPIGUID_H
#define MAPIX_MAPIGUID_H

#include <mapix/mapiwin.h>

DEFINE_OLEGUID(IID_IUnknown, 0x00000000, 0, 0);
DEFINE_OLEGUID(IID_IMalloc, 0x00000002, 0, 0);
DEFINE_OLEGUID(IID_IStream, 0x0000000C, 0, 0);
DEFINE_OLEGUID(IID_IMAPIProp, 0x00020303, 0, 0);
DEFINE_OLEGUID(IID_IMAPIPropData, 0x0002031A, 0, 0);
DEFINE_OLEGUID(PS_MAPI, 0x00020328, 0, 0);
DEFINE_OLEGUID(PS_PUBLIC_STRINGS, 0x00020329, 0, 0);

#endif /* MAPIX_MAPIGUID_H */
