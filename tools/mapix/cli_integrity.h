/*
 * cli_integrity.h — SQLite's own check of a local mailbox file, for `mapix
 * store check` (cli_integrity.c explains why the CLI opens the file itself).
 */
#ifndef MAPIX_CLI_INTEGRITY_H
#define MAPIX_CLI_INTEGRITY_H

#include <stddef.h>

/* Runs PRAGMA integrity_check on the file at path, opened read-only. Calls
 * report once per problem line SQLite gives (and once more when SQLite
 * stops part way); returns how many there were, or -1 with the reason in
 * err when the check could not run at all. */
int cli_integrity_check(const char *path, void (*report)(void *ctx, const char *problem), void *ctx, char *err,
                        size_t errlen);

#endif
