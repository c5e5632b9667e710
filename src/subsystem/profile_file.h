/*
 * profile_file.h — MAPI profiles as files: the in-memory form of one
 * profile (its profile sections, each a MAPIUID with properties), the text
 * format they are stored in (docs/formats.md, "Profile files"), and the
 * operations on the profile directory (create, delete, copy, rename, list,
 * the default profile). Every change goes through file_replace.h, so it is
 * locked and atomic.
 *
 * Layout of a profile directory:
 *   <escaped name>.prof       one file per profile (0600)
 *   default-profile           the default profile's name, one line
 *   *.lock, *.tmp.XXXXXX      lock files and in-flight temporaries
 * Profile names are 1-64 characters of UTF-8 without control characters;
 * '/', '%' and a leading '.' are written as %XX in file names. Names are
 * compared exactly (case matters).
 *
 * How IProfAdmin/IMsgServiceAdmin use the sections: a message service is a
 * section whose PR_SERVICE_UID equals its own UID and which has
 * PR_SERVICE_NAME; a provider is a section whose PR_PROVIDER_UID equals its
 * own UID, with PR_SERVICE_UID naming its service. Section order in the
 * file is creation order.
 */
#ifndef MAPIX_SUBSYSTEM_PROFILE_FILE_H
#define MAPIX_SUBSYSTEM_PROFILE_FILE_H

#include <stddef.h>

#include <mapix/mapix.h>

#define MAPIX_PROFILE_NAME_MAX 64 /* characters, as Windows' cchProfileNameMax */

typedef struct mapix_profsect_data {
	MAPIUID uid;
	ULONG cValues;
	LPSPropValue lpProps; /* one MAPIAllocateBuffer block (children by MAPIAllocateMore) */
} mapix_profsect_data;

typedef struct mapix_profile {
	ULONG cSections, capSections;
	mapix_profsect_data *sections;
} mapix_profile;

/* ---- the in-memory profile ---- */
HRESULT mapix_profile_new(mapix_profile **lppProfile);
void mapix_profile_free(mapix_profile *p);
/* Parses the text format; MAPI_E_CORRUPT_DATA (with the line) when bad. */
HRESULT mapix_profile_parse(const char *text, size_t cb, mapix_profile **lppProfile);
/* The text form (malloc'd, NUL-terminated). */
HRESULT mapix_profile_serialize(const mapix_profile *p, char **lppText, size_t *lpcb);
/* The section with that UID, or NULL. */
mapix_profsect_data *mapix_profile_find(const mapix_profile *p, const MAPIUID *uid);
/* Sets properties on a section, creating it at the end when missing;
 * a property replaces any with the same property id. PT_OBJECT, PT_NULL,
 * PT_UNSPECIFIED and PT_ERROR values are refused (MAPI_E_INVALID_TYPE). */
HRESULT mapix_profile_set_props(mapix_profile *p, const MAPIUID *uid, ULONG cValues, const SPropValue *lpProps);
/* Removes properties (by id) from a section; missing ones are ignored. */
HRESULT mapix_profile_delete_props(mapix_profile *p, const MAPIUID *uid, const SPropTagArray *lpTags);
/* Removes a section; FALSE when there was none. */
BOOL mapix_profile_remove_section(mapix_profile *p, const MAPIUID *uid);
/* The value of a property (by id, any type) in a section, or NULL. */
LPSPropValue mapix_profsect_find_prop(const mapix_profsect_data *s, ULONG ulPropTag);
/* Fills uid with random bytes (getrandom). */
HRESULT mapix_profile_new_uid(MAPIUID *uid);

/* ---- the profile directory ---- */
/* Checks a profile name (MAPI_E_INVALID_PARAMETER with a message). */
HRESULT mapix_profile_check_name(const char *name);
/* "<dir>/<escaped name>.prof" (malloc'd). */
HRESULT mapix_profile_path(const char *profile_dir, const char *name, char **lppPath);
/* Creates an empty profile; MAPI_E_NO_ACCESS when one of that name exists
 * (as Windows' CreateProfile). Creates the directory (0700) when missing. */
HRESULT mapix_profile_create(const char *profile_dir, const char *name);
/* Reads a profile under its shared lock; MAPI_E_NOT_FOUND when missing. */
HRESULT mapix_profile_load(const char *profile_dir, const char *name, mapix_profile **lppProfile);
/* Read-modify-write of an existing profile under its exclusive lock:
 * edit() changes the parsed profile and returns S_OK (written), S_FALSE
 * (nothing to write) or an error (nothing written, returned as is). */
typedef HRESULT (*mapix_profile_edit_fn)(void *arg, mapix_profile *p);
HRESULT mapix_profile_update(const char *profile_dir, const char *name, mapix_profile_edit_fn edit, void *arg);
HRESULT mapix_profile_delete(const char *profile_dir, const char *name);
/* Copies / renames; MAPI_E_NOT_FOUND (no source), MAPI_E_NO_ACCESS (the
 * new name exists). Rename keeps the default-profile mark with the profile. */
HRESULT mapix_profile_copy(const char *profile_dir, const char *from, const char *to);
HRESULT mapix_profile_rename(const char *profile_dir, const char *from, const char *to);
BOOL mapix_profile_exists(const char *profile_dir, const char *name);
/* Names of all profiles, sorted (malloc'd array of malloc'd strings; free
 * with mapix_profile_names_free). A missing directory has none. */
HRESULT mapix_profile_list(const char *profile_dir, char ***lpppNames, ULONG *lpcNames);
void mapix_profile_names_free(char **names, ULONG cNames);
/* The default profile's name (malloc'd), or MAPI_E_NOT_FOUND when none is
 * set or the one recorded no longer exists. */
HRESULT mapix_profile_get_default(const char *profile_dir, char **lppName);
/* Records name as the default (it must exist); NULL clears the record. */
HRESULT mapix_profile_set_default(const char *profile_dir, const char *name);

#endif
