/*
 * svc_catalog.h — the service catalog, in the MAPISVC.INF format Windows
 * uses: a [Services] section naming each message service
 * ("<service section> = <display name>"), one section per service with
 * property entries (PR_DISPLAY_NAME, PR_SERVICE_DLL_NAME,
 * PR_SERVICE_ENTRY_NAME, PR_RESOURCE_FLAGS, ...) and the list entries
 * Providers= and Sections=, and one section per provider (PR_PROVIDER_DLL_NAME,
 * PR_RESOURCE_TYPE, PR_RESOURCE_FLAGS, PR_PROVIDER_DISPLAY, ...).
 *
 * Two files make the catalog a program sees:
 *   - the system catalog, installed with mapix: $MAPIX_SYSCONFDIR/mapisvc.inf
 *     when that variable is set (tests, `make demo`), else
 *     MAPIX_DEFAULT_SYSCONFDIR/mapisvc.inf (/etc/mapix unless the build says
 *     otherwise); the repository ships it as data/mapisvc.inf;
 *   - optional per-user additions, <profile dir>/../mapisvc.inf, whose
 *     entries add to or override the system file's, section by section.
 * Edits (per-user file only) go through file_replace.h: locked and atomic.
 *
 * The parsed form keeps every line (comments and blank lines too), so a
 * parse/serialize round trip only normalizes spacing around '='.
 */
#ifndef MAPIX_SUBSYSTEM_SVC_CATALOG_H
#define MAPIX_SUBSYSTEM_SVC_CATALOG_H

#include <stddef.h>

#include <mapix/mapix.h>

#ifndef MAPIX_DEFAULT_SYSCONFDIR
#define MAPIX_DEFAULT_SYSCONFDIR "/etc/mapix"
#endif

typedef struct mapix_ini_entry {
	char *key;   /* NULL for a comment or blank line */
	char *value; /* the value, or the whole comment line */
} mapix_ini_entry;

typedef struct mapix_ini_section {
	char *name; /* NULL for lines before the first section */
	ULONG cEntries, capEntries;
	mapix_ini_entry *entries;
} mapix_ini_section;

typedef struct mapix_svccat {
	ULONG cSections, capSections;
	mapix_ini_section *sections;
} mapix_svccat;

HRESULT mapix_svccat_new(mapix_svccat **lppCat);
void mapix_svccat_free(mapix_svccat *cat);
/* Parses MAPISVC.INF text; MAPI_E_CORRUPT_DATA (with the line) on a line
 * that is neither "[section]", "key = value", a comment (';' or '#') nor
 * blank. */
HRESULT mapix_svccat_parse(const char *text, size_t cb, mapix_svccat **lppCat);
HRESULT mapix_svccat_serialize(const mapix_svccat *cat, char **lppText, size_t *lpcb);

/* Section and key names compare without regard to ASCII case, as Windows'
 * profile-string functions do. */
mapix_ini_section *mapix_svccat_section(const mapix_svccat *cat, const char *name);
const char *mapix_svccat_get(const mapix_svccat *cat, const char *section, const char *key);
/* Sets key in section (replacing its value, or appending it), creating the
 * section at the end when missing. */
HRESULT mapix_svccat_set(mapix_svccat *cat, const char *section, const char *key, const char *value);
BOOL mapix_svccat_remove_key(mapix_svccat *cat, const char *section, const char *key);
BOOL mapix_svccat_remove_section(mapix_svccat *cat, const char *section);
/* Adds over's sections and entries to cat, overriding equal keys. */
HRESULT mapix_svccat_merge(mapix_svccat *cat, const mapix_svccat *over);

/* Splits a list value ("a, b, c") into its trimmed items: a malloc'd array
 * of pointers into one malloc'd block (free(*lpppItems) frees all). */
HRESULT mapix_svccat_split_list(const char *value, char ***lpppItems, ULONG *lpcItems);

/*
 * The property entries of a section as SPropValues (one MAPIAllocateBuffer
 * block): keys that are PR_ names mapix knows or 8-hex-digit tags;
 * Providers=, Sections= and unknown names are skipped. Values: strings as
 * written; PT_LONG as decimal, 0x hex, or symbolic flags and constants
 * (SERVICE_*, STATUS_*, MAPI_*_PROVIDER ...) joined by '|'; PT_BOOLEAN as
 * TRUE/FALSE/1/0; PT_BINARY as hex; multi-valued strings comma-separated.
 * MAPI_E_NOT_FOUND when there is no such section; MAPI_E_CORRUPT_DATA on a
 * bad value (naming section and key).
 */
HRESULT mapix_svccat_section_props(const mapix_svccat *cat, const char *section, ULONG *lpcValues,
                                   LPSPropValue *lppProps);

/* Paths (malloc'd). */
HRESULT mapix_svccat_system_path(char **lppPath);
HRESULT mapix_svccat_user_path(const char *profile_dir, char **lppPath);
/* Reads one file under its shared lock; a missing file is an empty catalog. */
HRESULT mapix_svccat_load_file(const char *path, mapix_svccat **lppCat);
/* The catalog a program sees: the system file merged with the user's. */
HRESULT mapix_svccat_load(const char *profile_dir, mapix_svccat **lppCat);
/* Read-modify-write of the user's additions under their exclusive lock:
 * edit() changes the parsed file and returns S_OK (write), S_FALSE (leave
 * it) or an error (returned, nothing written). */
typedef HRESULT (*mapix_svccat_edit_fn)(void *arg, mapix_svccat *cat);
HRESULT mapix_svccat_edit_user(const char *profile_dir, mapix_svccat_edit_fn edit, void *arg);

#endif
