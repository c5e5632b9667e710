/*
 * guids.c — the library's one definition of every GUID the public headers
 * declare: mapiguid.h (MAPI IIDs, property sets), edkguid.h (Exchange IIDs)
 * and whatever else a mapix header declares with DEFINE_GUID.
 *
 * INITGUID makes DEFINE_GUID define instead of declare, and
 * MAPIX_INITGUID_ALL makes mapiguid.h define every GUID rather than only
 * those a USES_xxx macro asks for. The definitions are weak, so a program's
 * own INITGUID copies coexist with these.
 *
 * The library is compiled with -fvisibility=hidden; the GUIDs are data that
 * programs link against, so they are given default visibility here, the one
 * place they are defined.
 */
#define INITGUID
#define MAPIX_INITGUID_ALL

#include <mapix/mapiwin.h>

#pragma GCC visibility push(default)
#include <mapix/mapiguid.h>
#include <mapix/edkguid.h>
#include <mapix/mapix.h>
#include <mapix/edkmdb.h>
#include <mapix/mapixstore.h>
#pragma GCC visibility pop
