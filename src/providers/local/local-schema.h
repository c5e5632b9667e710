/*
 * local-schema.h — schema version check and migrations (local-schema.c).
 */
#ifndef MAPIX_LOCAL_SCHEMA_H
#define MAPIX_LOCAL_SCHEMA_H

#include "local-db.h"

/* Change journal kinds (changes.kind). */
#define LOCAL_CHANGE_CREATE 1
#define LOCAL_CHANGE_MODIFY 2
#define LOCAL_CHANGE_MOVE 3
#define LOCAL_CHANGE_DELETE 4

int local_schema_latest(void);
/* Sets *version to the file's schema version (0 for a new, empty file);
 * refuses foreign files and newer schemas. */
HRESULT local_schema_check(local_db *d, int *version);
/* Runs migrations from `from` to the latest, inside the caller's write
 * transaction. */
HRESULT local_schema_migrate(local_db *d, int from);

/* Sort indexes built on demand (schema 4, docs/store.md "Sort keys"): the
 * CREATE INDEX IF NOT EXISTS statement of the one named `name`, or NULL
 * when `name` is not such an index (a permanent one, or none). */
const char *local_schema_sort_index_sql(const char *name);
/* Whether the mailbox has an index of that name. */
HRESULT local_schema_has_index(local_db *d, const char *name, BOOL *has);

#endif
