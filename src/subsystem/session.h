/*
 * session.h — MAPI sessions (session.c), the support object handed to
 * providers (support.c) and provider loading (provider_load.c).
 */
#ifndef MAPIX_SUBSYSTEM_SESSION_H
#define MAPIX_SUBSYSTEM_SESSION_H

#include <mapix/mapispi.h>

#include "subsystem/instance.h"

/* The MSProviderInit of the provider a profile section names. */
HRESULT mapix_provider_load(const char *dll, const char *display, LPMSPROVIDERINIT *lppInit, void **lppHandle);

/* An IMAPISupport for one provider logon: its profile section is uid in
 * profile `profile` of `profile_dir`; notifications go to inst's engine. */
HRESULT mapix_support_create(mapix_instance *inst, const char *profile_dir, const char *profile,
                             const MAPIUID *provider_uid, LPMAPISUP *lppSup);

#endif
