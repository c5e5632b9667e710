/*
 * cli_integrity.c — the one place where the CLI looks beneath MAPI: `store
 * check` runs SQLite's PRAGMA integrity_check on a local mailbox file. The
 * file format is documented (docs/store.md: one SQLite database per
 * mailbox), libmapix has no call for it, and a page-level check is not
 * something MAPI can express; so this pass opens the file itself, strictly
 * read-only (SQLITE_OPEN_READONLY: nothing here can change a byte), reads
 * no table, and closes it again. The collation the indexes use is
 * registered through mapix_collation_register_sqlite (mapiutil.h), the same
 * one the store registers. Everything else `check` does goes through
 * the public MAPI API.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include <mapix/mapiutil.h>

#include "cli_integrity.h"

int cli_integrity_check(const char *path, void (*report)(void *ctx, const char *problem), void *ctx, char *err,
                        size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int problems = 0;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 10000);
		/* The schema's indexes use mapix's collation; without it SQLite
		 * cannot check them. */
		rc = mapix_collation_register_sqlite(db);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *text = (const char *)sqlite3_column_text(st, 0);
			if (!text || strcmp(text, "ok") == 0)
				continue;
			/* One row may hold several lines, the first naming the
			 * database ("*** in database main ***"): one problem per
			 * line that says something. */
			while (*text) {
				const char *nl = strchr(text, '\n');
				size_t n = nl ? (size_t)(nl - text) : strlen(text);
				char line[512];
				snprintf(line, sizeof line, "%.*s", (int)n, text);
				if (n && strncmp(line, "*** in database", 15) != 0) {
					problems++;
					report(ctx, line);
				}
				text += n + (nl != NULL);
			}
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK && problems > 0) {
		/* SQLite gave up part way through a damaged file. */
		char line[512];
		snprintf(line, sizeof line, "stopped early: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		report(ctx, line);
		problems++;
	} else if (rc != SQLITE_OK) {
		/* A file too damaged to check at all is itself one problem, reported
		 * by the caller with this reason. */
		snprintf(err, errlen, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		problems = -1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return problems;
}
