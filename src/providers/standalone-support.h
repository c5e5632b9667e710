/*
 * standalone-support.h — a minimal IMAPISupport for running a store
 * provider without the MAPI subsystem (standalone-support.c):
 * MAPIXOpenLocalStore and the store tests log on to a provider through
 * it, exactly as the subsystem will with its own support object.
 */
#ifndef MAPIX_PROVIDERS_STANDALONE_SUPPORT_H
#define MAPIX_PROVIDERS_STANDALONE_SUPPORT_H

#include <mapix/mapispi.h>

/* Makes a support object whose provider profile section (what
 * OpenProfileSection(NULL) returns) holds a copy of the cProps values
 * lpProps. Released with IMAPISupport_Release. */
HRESULT mapix_support_standalone_new(ULONG cProps, const SPropValue *lpProps, LPMAPISUP *lppSup);

#endif
