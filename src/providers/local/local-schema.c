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
 *   acl           folder permissions: ACL members and their rights
 */
#include <stdio.h>
#include <string.h>

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
	/* 1 -> 2: table support (local-table*.c, docs/store.md "Tables"). Sort
	 * columns mirror the common sort properties so that sorted contents
	 * tables page through an index. A missing value is the smallest integer,
	 * which sorts before every value and keeps keyset comparisons free of
	 * NULLs. Integer columns are kept by triggers on props, whoever writes
	 * the value; string columns hold the first 255 characters case-folded
	 * (so plain BINARY order is MAPIX_NOCASE order and the file needs no
	 * custom collation), written by the message save path
	 * (local_table_sort_refresh); lower() here folds ASCII for messages saved
	 * before this version. n_attach mirrors the attachment count for
	 * PR_MESSAGE_FLAGS and PR_HASATTACH. */
	"ALTER TABLE messages ADD COLUMN n_attach INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN s_delivery INTEGER NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_submit INTEGER NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_importance INTEGER NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_subject NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_nsubject NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_class NOT NULL DEFAULT -9223372036854775808;"
	"ALTER TABLE messages ADD COLUMN s_sender NOT NULL DEFAULT -9223372036854775808;"
	"UPDATE messages SET n_attach = (SELECT count(*) FROM attachments a WHERE a.mid = messages.mid);"
	"UPDATE messages SET s_delivery = coalesce((SELECT p.value FROM props p WHERE p.obj = messages.mid AND p.tag = 0x0E060040),"
	" -9223372036854775808);"
	"UPDATE messages SET s_submit = coalesce((SELECT p.value FROM props p WHERE p.obj = messages.mid AND p.tag = 0x00390040),"
	" -9223372036854775808);"
	"UPDATE messages SET s_importance = coalesce((SELECT p.value FROM props p WHERE p.obj = messages.mid AND p.tag = 0x00170003),"
	" -9223372036854775808);"
	"UPDATE messages SET s_subject = coalesce((SELECT lower(substr(p.value, 1, 255)) FROM props p WHERE p.obj = messages.mid AND p.tag = 0x0037001F),"
	" -9223372036854775808);"
	"UPDATE messages SET s_nsubject = coalesce((SELECT lower(substr(p.value, 1, 255)) FROM props p WHERE p.obj = messages.mid AND p.tag = 0x0E1D001F),"
	" -9223372036854775808);"
	"UPDATE messages SET s_class = coalesce((SELECT lower(substr(p.value, 1, 255)) FROM props p WHERE p.obj = messages.mid AND p.tag = 0x001A001F),"
	" -9223372036854775808);"
	"UPDATE messages SET s_sender = coalesce((SELECT lower(substr(p.value, 1, 255)) FROM props p WHERE p.obj = messages.mid AND p.tag = 0x0C1A001F),"
	" -9223372036854775808);"
	"CREATE TRIGGER props_s_delivery_ins AFTER INSERT ON props WHEN NEW.tag = 0x0E060040 BEGIN"
	" UPDATE messages SET s_delivery = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_delivery_upd AFTER UPDATE OF value ON props WHEN NEW.tag = 0x0E060040 BEGIN"
	" UPDATE messages SET s_delivery = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_delivery_del AFTER DELETE ON props WHEN OLD.tag = 0x0E060040 BEGIN"
	" UPDATE messages SET s_delivery = -9223372036854775808 WHERE mid = OLD.obj; END;"
	"CREATE TRIGGER props_s_submit_ins AFTER INSERT ON props WHEN NEW.tag = 0x00390040 BEGIN"
	" UPDATE messages SET s_submit = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_submit_upd AFTER UPDATE OF value ON props WHEN NEW.tag = 0x00390040 BEGIN"
	" UPDATE messages SET s_submit = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_submit_del AFTER DELETE ON props WHEN OLD.tag = 0x00390040 BEGIN"
	" UPDATE messages SET s_submit = -9223372036854775808 WHERE mid = OLD.obj; END;"
	"CREATE TRIGGER props_s_importance_ins AFTER INSERT ON props WHEN NEW.tag = 0x00170003 BEGIN"
	" UPDATE messages SET s_importance = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_importance_upd AFTER UPDATE OF value ON props WHEN NEW.tag = 0x00170003 BEGIN"
	" UPDATE messages SET s_importance = coalesce(NEW.value, -9223372036854775808) WHERE mid = NEW.obj; END;"
	"CREATE TRIGGER props_s_importance_del AFTER DELETE ON props WHEN OLD.tag = 0x00170003 BEGIN"
	" UPDATE messages SET s_importance = -9223372036854775808 WHERE mid = OLD.obj; END;"
	"CREATE TRIGGER attachments_count_ins AFTER INSERT ON attachments BEGIN"
	" UPDATE messages SET n_attach = n_attach + 1 WHERE mid = NEW.mid; END;"
	"CREATE TRIGGER attachments_count_del AFTER DELETE ON attachments BEGIN"
	" UPDATE messages SET n_attach = n_attach - 1 WHERE mid = OLD.mid; END;"
	"CREATE INDEX messages_by_delivery ON messages(fid, associated, s_delivery, mid);"
	"CREATE INDEX messages_by_submit ON messages(fid, associated, s_submit, mid);"
	"CREATE INDEX messages_by_importance ON messages(fid, associated, s_importance, mid);"
	"CREATE INDEX messages_by_subject ON messages(fid, associated, s_subject, mid);"
	"CREATE INDEX messages_by_nsubject ON messages(fid, associated, s_nsubject, mid);"
	"CREATE INDEX messages_by_class ON messages(fid, associated, s_class, mid);"
	"CREATE INDEX messages_by_sender ON messages(fid, associated, s_sender, mid);"
	"CREATE INDEX messages_by_size ON messages(fid, associated, size, mid);"
	"CREATE INDEX messages_by_modified ON messages(fid, associated, modified, mid);"
	"CREATE INDEX messages_by_flags ON messages(fid, associated, (flags | (n_attach > 0) * 16), mid);",
	/* 2 -> 3: the integer sort columns (s_delivery, s_submit, s_importance)
	 * are written by the message save and copy paths of local-message.c,
	 * like the string ones, from the values being saved. A trigger on
	 * props made SQLite keep a statement journal for every property INSERT
	 * and DELETE of every object, and updated a new message's row once per
	 * sort property; that cost more than the inserts themselves. Nothing
	 * else writes a message's properties (attachments and recipients have
	 * ids of their own), so the columns stay what the triggers kept. */
	"DROP TRIGGER props_s_delivery_ins;"
	"DROP TRIGGER props_s_delivery_upd;"
	"DROP TRIGGER props_s_delivery_del;"
	"DROP TRIGGER props_s_submit_ins;"
	"DROP TRIGGER props_s_submit_upd;"
	"DROP TRIGGER props_s_submit_del;"
	"DROP TRIGGER props_s_importance_ins;"
	"DROP TRIGGER props_s_importance_upd;"
	"DROP TRIGGER props_s_importance_del;",
	/* 3 -> 4: of the sort indexes, only the delivery time's (the order
	 * every client opens a folder in) stays; the others are built on
	 * demand, the first time a contents table sorts a large folder by
	 * their column (SORT_INDEXES below, local-table-index.c). Each index
	 * costs every message saved an entry, and an importer paid for nine
	 * indexes that mailboxes mostly never read: in a batch of 1000 saves
	 * they took more time than the rest of the save. The columns stay and
	 * are kept as before, so an index can be built at any time. */
	"DROP INDEX messages_by_submit;"
	"DROP INDEX messages_by_importance;"
	"DROP INDEX messages_by_subject;"
	"DROP INDEX messages_by_nsubject;"
	"DROP INDEX messages_by_class;"
	"DROP INDEX messages_by_sender;"
	"DROP INDEX messages_by_size;"
	"DROP INDEX messages_by_modified;"
	"DROP INDEX messages_by_flags;",
	/* 4 -> 5: folder permissions (local-acl.c, docs/store.md "Folder
	 * permissions"): one row per folder and ACL member. member_id is
	 * PR_MEMBER_ID: 0 the default member, -1 the anonymous member (no
	 * identity), others one id per identity across the mailbox. identity
	 * is "user:NAME" or "account:NAME"; rights are PR_MEMBER_RIGHTS bits.
	 * Existing mailboxes get no rows: every folder grants nothing to
	 * anyone but the owner, as before. (IF NOT EXISTS: for a while this
	 * was migration 4 on the development branch, so a mailbox made then
	 * already has the table.) */
	"CREATE TABLE IF NOT EXISTS acl("
	"  fid INTEGER NOT NULL,"
	"  member_id INTEGER NOT NULL,"
	"  identity TEXT,"
	"  name TEXT NOT NULL,"
	"  rights INTEGER NOT NULL,"
	"  PRIMARY KEY(fid, member_id)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX IF NOT EXISTS acl_by_identity ON acl(identity, fid) WHERE identity IS NOT NULL;",
};

/* The sort indexes built on demand (schema 4), with the names and the
 * layout schema 2 gave them: (folder, associated, column, mid), so that a
 * contents table sorted by the column pages through one range. */
static const struct {
	const char *name;
	const char *sql;
} SORT_INDEXES[] = {
	{"messages_by_submit", "CREATE INDEX IF NOT EXISTS messages_by_submit ON messages(fid, associated, s_submit, mid)"},
	{"messages_by_importance",
	 "CREATE INDEX IF NOT EXISTS messages_by_importance ON messages(fid, associated, s_importance, mid)"},
	{"messages_by_subject", "CREATE INDEX IF NOT EXISTS messages_by_subject ON messages(fid, associated, s_subject, mid)"},
	{"messages_by_nsubject",
	 "CREATE INDEX IF NOT EXISTS messages_by_nsubject ON messages(fid, associated, s_nsubject, mid)"},
	{"messages_by_class", "CREATE INDEX IF NOT EXISTS messages_by_class ON messages(fid, associated, s_class, mid)"},
	{"messages_by_sender", "CREATE INDEX IF NOT EXISTS messages_by_sender ON messages(fid, associated, s_sender, mid)"},
	{"messages_by_size", "CREATE INDEX IF NOT EXISTS messages_by_size ON messages(fid, associated, size, mid)"},
	{"messages_by_modified",
	 "CREATE INDEX IF NOT EXISTS messages_by_modified ON messages(fid, associated, modified, mid)"},
	/* The expression must stay exactly the one local-table-sql.c sorts by. */
	{"messages_by_flags",
	 "CREATE INDEX IF NOT EXISTS messages_by_flags ON messages(fid, associated, (flags | (n_attach > 0) * 16), mid)"},
};

const char *local_schema_sort_index_sql(const char *name)
{
	for (size_t i = 0; name && i < sizeof SORT_INDEXES / sizeof SORT_INDEXES[0]; i++)
		if (strcmp(SORT_INDEXES[i].name, name) == 0)
			return SORT_INDEXES[i].sql;
	return NULL;
}

HRESULT local_schema_has_index(local_db *d, const char *name, BOOL *has)
{
	static const char sel[] = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(d, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return local_db_error(d, rc, "looking up an index");
	*has = rc == SQLITE_ROW;
	return S_OK;
}

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
