/*
 * windows.h — a small stand-in so MAPI programs written for Windows, which
 * include <windows.h> first, compile unchanged: it brings the base types
 * and COM declarations MAPI needs (mapiwin.h, objidl.h), nothing of Win32.
 * Only visible through `pkg-config --cflags mapix` (-I.../include/mapix).
 */
#ifndef MAPIX_WINDOWS_H
#define MAPIX_WINDOWS_H

#include <mapix/mapiwin.h>
#include <mapix/mapicode.h>
#include <mapix/objidl.h>

#endif
