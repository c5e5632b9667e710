/*
 * local-schema.c — the mailbox schema and its migrations.
 *
 * MIGRATIONS[i] takes a mailbox from schema version i to i+1; a new mailbox
 * runs them all. The version lives in PRAGMA user_version, so a file that
 * is not a mapix mailbox is recognised (application_id differs) before
 * anything is written to it. Layout (docs/store.md explains each table):
 *
 *   meta          key/value: mailbox GUID, the global counter
 *   folders       one row per folder; kept counters (contents, unread, ...)
 *   messages      one row per message (also embedded ones: fid NULL)
 *   recipients    recipient rows of a message (object ids from the counter)
 *   attachments   attachment rows of a message
 *   props         every stored property: (object id, tag) -> value
 *   chunks        large property values in 64 KiB pieces
 *   names         named property ids (0x8000 and up)
 *   receive       receive folder by message class
 *   changes       the change journal (creates, modifies, moves, deletes)
 */
#include <stdio.h>

#include "local-db.h"
#include "local-schema.h"

/* "MAPX" — marks a file as a mapix mailbox. */
#define LOCAL_APPLICATION_ID 0x4D415058

static const char *const MIGRATIONS[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
	"CREATE TABLE folders("
	"  fid INTEGER PRIMARY KEY,"
	"  parent_fid INTEGER,"
	"  folder_type INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  name_key TEXT NOT NULL," /* case-folded name: sibling names are unique */
	"  change_number INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  modified INTEGER NOT NULL,"
	"  content_count INTEGER NOT NULL DEFAULT 0,"
	"  unread_count INTEGER NOT NULL DEFAULT 0,"
	"  assoc_count INTEGER NOT NULL DEFAULT 0,"
	"  child_count INTEGER NOT NULL DEFAULT 0,"
	"  content_size INTEGER NOT NULL DEFAULT 0,"
	"  search_criteria BLOB,"
	"  search_flags INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX folders_by_name ON folders(parent_fid, name_key);"
	"CREATE TABLE messages("
	"  mid INTEGER PRIMARY KEY,"
	"  fid INTEGER,"          /* NULL for a message embedded in an attachment */
	"  parent_aid INTEGER,"   /* the attachment that holds an embedded message */
	"  associated INTEGER NOT NULL DEFAULT 0,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  change_number INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  modified INTEGER NOT NULL,"
	"  search_key BLOB);"
	"CREATE INDEX messages_by_folder ON messages(fid, associated, mid);"
	"CREATE INDEX messages_by_parent ON messages(parent_aid) WHERE parent_aid IS NOT NULL;"
	"CREATE TABLE recipients("
	"  rid INTEGER PRIMARY KEY,"
	"  mid INTEGER NOT NULL,"
	"  row_num INTEGER NOT NULL);"
	"CREATE INDEX recipients_by_message ON recipients(mid, row_num);"
	"CREATE TABLE attachments("
	"  aid INTEGER PRIMARY KEY,"
	"  mid INTEGER NOT NULL,"
	"  num INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX attachments_by_message ON attachments(mid, num);"
	"CREATE TABLE props("
	"  obj INTEGER NOT NULL,"
	"  tag INTEGER NOT NULL,"
	"  value,"                /* NULL when the value lives in chunks */
	"  size INTEGER NOT NULL,"
	"  PRIMARY KEY(obj, tag)) WITHOUT ROWID;"
	"CREATE TABLE chunks("
	"  obj INTEGER NOT NULL,"
	"  tag INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY(obj, tag, seq)) WITHOUT ROWID;"
	"CREATE TABLE names("
	"  id INTEGER PRIMARY KEY,"
	"  guid BLOB NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  lid INTEGER,"
	"  name TEXT);"
	"CREATE UNIQUE INDEX names_by_lid ON names(guid, lid) WHERE kind = 0;"
	"CREATE UNIQUE INDEX names_by_name ON names(guid, name) WHERE kind = 1;"
	"CREATE TABLE receive("
	"  class_key TEXT PRIMARY KEY," /* upper-cased message class prefix; '' is the default */
	"  class TEXT NOT NULL,"
	"  fid INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE changes("
	"  cn INTEGER PRIMARY KEY,"      /* change number: commit order */
	"  kind INTEGER NOT NULL,"       /* LOCAL_CHANGE_* */
	"  obj_type INTEGER NOT NULL,"   /* MAPI_FOLDER or MAPI_MESSAGE */
	"  id INTEGER NOT NULL,"         /* fid or mid */
	"  fid INTEGER,"                 /* folder holding it after the change */
	"  old_fid INTEGER,"             /* before a move */
	"  time INTEGER NOT NULL);"
	"CREATE INDEX changes_by_object ON changes(id);",
};

int local_schema_latest(void)
{
	return (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
}

HRESULT local_schema_check(local_db *d, int *version)
{
	sqlite3_stmt *st;
	int app = 0, ver = 0, rc;

	/* Reading the header is the first thing that fails on a foreign file. */
	rc = sqlite3_prepare_v2(d->db, "PRAGMA application_id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(d, rc, "reading the file header");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		app = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return local_db_error(d, rc, "reading the file header");

	rc = sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(d, rc, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		ver = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	if (app == 0 && ver == 0) {
		/* Empty file (new), or an SQLite file of someone else's: tell
		 * them apart by whether it has any tables. */
		rc = sqlite3_prepare_v2(d->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
		if (rc != SQLITE_OK)
			return local_db_error(d, rc, "reading the schema");
		int tables = 0;
		if (sqlite3_step(st) == SQLITE_ROW)
			tables = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (tables > 0)
			return local_db_error(d, SQLITE_NOTADB, "checking the file: an SQLite database that is not a mapix mailbox");
		*version = 0;
		return S_OK;
	}
	if (app != LOCAL_APPLICATION_ID)
		return local_db_error(d, SQLITE_NOTADB, "checking the file: not a mapix mailbox");
	if (ver > local_schema_latest())
		return local_db_error(d, SQLITE_MISMATCH, "checking the schema: made by a newer mapix");
	*version = ver;
	return S_OK;
}

HRESULT local_schema_migrate(local_db *d, int from)
{
	char sql[96];
	HRESULT hr;

	for (int v = from; v < local_schema_latest(); v++) {
		int rc = sqlite3_exec(d->db, MIGRATIONS[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return local_db_error(d, rc, "migrating the schema");
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if (FAILED(hr = local_db_exec(d, sql)))
			return hr;
	}
	snprintf(sql, sizeof sql, "PRAGMA application_id = %d", LOCAL_APPLICATION_ID);
	return local_db_exec(d, sql);
}
