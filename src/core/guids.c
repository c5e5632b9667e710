/*
 * guids.c — the library's one definition of every GUID declared in
 * mapiguid.h, edkguid.h and the mapix headers (INITGUID emits them here).
 */
#define INITGUID
#include <mapix/mapix.h>
#include <mapix/mapiguid.h>
