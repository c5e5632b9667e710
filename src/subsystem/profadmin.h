/*
 * profadmin.h — private constructors of the profile administration objects
 * (IProfAdmin in profadmin.c, IMsgServiceAdmin/IMsgServiceAdmin2 and
 * IProviderAdmin in svcadmin.c, IProfSect in profsect.c) and the helpers
 * they share. Session code (MAPILogonEx, IMAPISession::AdminServices and
 * OpenProfileSection) creates the same objects through these.
 *
 * Every object keeps its instance held (NULL is allowed for callers with no
 * instance, such as tests of these layers and tools working on an explicit
 * directory) and checks mapix_instance_check_caller in every method except
 * IUnknown's. Objects keep their own copy of the profile directory.
 */
#ifndef MAPIX_SUBSYSTEM_PROFADMIN_H
#define MAPIX_SUBSYSTEM_PROFADMIN_H

#include <mapix/mapix.h>

#include "subsystem/instance.h"


/* A string parameter in the width ulFlags' MAPI_UNICODE selects, as
 * malloc'd UTF-8 (NULL for NULL). */
HRESULT mapix_admin_tstr(const void *s, ULONG ulFlags, char **lppOut);

/* A table of rows (each cols->cValues values, in column order) as an
 * IMAPITable view of a fresh ITableData indexed by PR_INSTANCE_KEY. The
 * rows are copied; the caller keeps them. */
HRESULT mapix_admin_make_table(const SPropTagArray *cols, ULONG cRows, LPSPropValue *rows, LPMAPITABLE *lppTable);
/* Fills one row (MAPIAllocateBuffer block, cols->cValues values) from a
 * profile section: each column's property by id, strings converted to the
 * column's width, PT_ERROR/MAPI_E_NOT_FOUND when absent. */
struct mapix_profsect_data;
HRESULT mapix_admin_section_row(const SPropTagArray *cols, const struct mapix_profsect_data *s, LPSPropValue *lppRow);
/* Classifies profile sections (see profile_file.h). */
BOOL mapix_admin_is_service(const struct mapix_profsect_data *s);
BOOL mapix_admin_is_provider(const struct mapix_profsect_data *s);
/* The service a provider section belongs to (FALSE when none). */
BOOL mapix_admin_service_of(const struct mapix_profsect_data *s, MAPIUID *lpService);

/* Adds a message service from the service catalog to a profile, as
 * IMsgServiceAdmin2::CreateMsgServiceEx does (display may be NULL; uid may
 * be NULL). MAPI_E_NOT_FOUND when the catalog has no such service. */
HRESULT mapix_svcadmin_add_service(const char *profile_dir, const char *profile_name, const char *service,
                                   const char *display, MAPIUID *lpUID);

/* The provider table of a profile (all providers, or only those of
 * service when it is not NULL). */
HRESULT mapix_svcadmin_provider_table(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                                      const MAPIUID *service, ULONG ulFlags, const char *what, LPMAPITABLE *lppTable);
/* IProviderAdmin over one service of a profile (provadmin.c). */
HRESULT mapix_provadmin_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                               const MAPIUID *service, LPPROVIDERADMIN *lppProviderAdmin);

/* IProfAdmin over profile_dir. */
HRESULT mapix_profadmin_create(mapix_instance *inst, const char *profile_dir, LPPROFADMIN *lppProfAdmin);
/* IMsgServiceAdmin (also IMsgServiceAdmin2) over one existing profile. */
HRESULT mapix_svcadmin_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                              LPSERVICEADMIN *lppServiceAdmin);
/* IProfSect over one section of a profile; writable when ulFlags has
 * MAPI_MODIFY. The section need not exist: the first SetProps creates it. */
HRESULT mapix_profsect_create(mapix_instance *inst, const char *profile_dir, const char *profile_name,
                              const MAPIUID *uid, ULONG ulFlags, LPPROFSECT *lppProfSect);

#endif
