/*
 * directory.c — mapixd's account directory and mailbox grants, kept in
 * <data_dir>/directory.db (SQLite, owned by mapixd, 0600).
 *
 * An account is a mailbox name (also the cn= of its DN), a display name,
 * an SMTP address, the Unix user it maps to (the owner of the mailbox when
 * connecting over the UNIX socket) and an argon2id password hash (libsodium)
 * for logons with a name and password. Names and addresses compare without
 * case. Grants are (mailbox, grantee, right) rows: the grantee is an
 * identity name (a Unix user name for UNIX-socket peers, "account:NAME"
 * for an account logged on with its password over TCP), the right one of
 * "full", "admin" or "deliver" (docs/mapixd.md says what each allows).
 *
 * One connection, guarded by a mutex: directory operations are short and
 * rare next to mailbox traffic.
 */
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/entryid.h"
#include "core/error.h"
#include "server.h"

struct srv_directory {
	sqlite3 *db;
	pthread_mutex_t lock;
	char *data_dir;
	char *server_name;
};

static const char SCHEMA[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS accounts("
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  display_name TEXT NOT NULL,"
	"  smtp TEXT UNIQUE COLLATE NOCASE,"
	"  unix_user TEXT,"
	"  password_hash TEXT,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS grants("
	"  mailbox TEXT NOT NULL COLLATE NOCASE,"
	"  grantee TEXT NOT NULL,"
	"  right TEXT NOT NULL,"
	"  PRIMARY KEY(mailbox, grantee, right));"
	/* Per-mailbox quotas in bytes; NULL takes mapixd.conf's [quota]
	 * default, 0 means no limit. */
	"CREATE TABLE IF NOT EXISTS quotas("
	"  mailbox TEXT PRIMARY KEY COLLATE NOCASE,"
	"  warning INTEGER,"
	"  send_limit INTEGER,"
	"  receive_limit INTEGER);";

static HRESULT db_error(srv_directory *d, int rc, const char *what)
{
	HRESULT hr = rc == SQLITE_CONSTRAINT ? MAPI_E_COLLISION
	           : rc == SQLITE_FULL       ? MAPI_E_NOT_ENOUGH_DISK
	           : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? MAPI_E_CORRUPT_STORE
	                                     : MAPI_E_CALL_FAILED;
	return mapix_error(hr, "account directory: %s: %s", what, sqlite3_errmsg(d->db));
}

HRESULT srv_dir_open(const char *data_dir, const char *server_name, srv_directory **out)
{
	char path[4096];
	*out = NULL;
	if (snprintf(path, sizeof path, "%s/directory.db", data_dir) >= (int)sizeof path)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "account directory: data directory path too long");
	if (sodium_init() < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "account directory: libsodium failed to initialize");
	srv_directory *d = calloc(1, sizeof *d);
	if (!d)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "account directory: out of memory");
	pthread_mutex_init(&d->lock, NULL);
	d->data_dir = strdup(data_dir);
	d->server_name = strdup(server_name);
	int rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(d->db, 10000);
		rc = sqlite3_exec(d->db, SCHEMA, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK || !d->data_dir || !d->server_name) {
		HRESULT hr = mapix_error(MAPI_E_CALL_FAILED, "account directory %s: %s", path,
		                         d->db ? sqlite3_errmsg(d->db) : "out of memory");
		srv_dir_close(d);
		return hr;
	}
	*out = d;
	return S_OK;
}

void srv_dir_close(srv_directory *d)
{
	if (!d)
		return;
	sqlite3_close(d->db);
	pthread_mutex_destroy(&d->lock);
	free(d->data_dir);
	free(d->server_name);
	free(d);
}

BOOL srv_dir_valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return FALSE;
	return TRUE;
}

void srv_dir_dn(srv_directory *d, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "/o=mapix/ou=%s/cn=Recipients/cn=%s", d->server_name, name);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", v ? v : "");
}

static void fill(srv_directory *d, sqlite3_stmt *st, srv_account *a)
{
	memset(a, 0, sizeof *a);
	copy_col(a->name, sizeof a->name, st, 0);
	copy_col(a->display_name, sizeof a->display_name, st, 1);
	copy_col(a->smtp, sizeof a->smtp, st, 2);
	copy_col(a->unix_user, sizeof a->unix_user, st, 3);
	snprintf(a->file, sizeof a->file, "%s/mailboxes/%s.db", d->data_dir, a->name);
}

/* Runs a one-row account query with one text parameter. */
static HRESULT find_one(srv_directory *d, const char *sql, const char *key, srv_account *out, const char *what)
{
	sqlite3_stmt *st = NULL;
	HRESULT hr;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		fill(d, st, out);
		hr = S_OK;
	} else if (rc == SQLITE_DONE) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "no account %s \"%s\"", what, key);
	} else {
		hr = db_error(d, rc, "lookup");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	return hr;
}

#define ACCOUNT_COLS "SELECT name, display_name, smtp, unix_user FROM accounts "
#define ACCOUNT_COLS_HASH "SELECT name, display_name, smtp, unix_user, password_hash FROM accounts "

HRESULT srv_dir_find(srv_directory *d, const char *key, srv_account *out)
{
	if (!key || !*key)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "account directory: empty mailbox name");
	if (key[0] == '/') {
		/* A DN must name this server's organization unit. */
		char want[128];
		snprintf(want, sizeof want, "/o=mapix/ou=%s/", d->server_name);
		const char *acct = mapix_mailbox_dn_account(key);
		if (strncasecmp(key, want, strlen(want)) != 0 || !acct)
			return mapix_error(MAPI_E_NOT_FOUND, "mailbox DN %s is not of server %s", key, d->server_name);
		return find_one(d, ACCOUNT_COLS "WHERE name = ?1", acct, out, "with DN");
	}
	if (strchr(key, '@'))
		return find_one(d, ACCOUNT_COLS "WHERE smtp = ?1", key, out, "with address");
	return find_one(d, ACCOUNT_COLS "WHERE name = ?1", key, out, "named");
}

HRESULT srv_dir_find_by_unix_user(srv_directory *d, const char *user, srv_account *out)
{
	return find_one(d, ACCOUNT_COLS "WHERE unix_user = ?1 ORDER BY created, name LIMIT 1", user, out,
	                "for Unix user");
}

HRESULT srv_dir_add(srv_directory *d, const srv_account *a, const char *password, uint32_t max_accounts)
{
	char hash[crypto_pwhash_STRBYTES];
	if (!srv_dir_valid_name(a->name))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "account name \"%s\": 1-64 letters, digits, '.', '_' or '-'",
		                   a->name);
	if (password && crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                                  crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "account %s: cannot hash the password", a->name);
	static const char count_sql[] = "SELECT COUNT(*) FROM accounts";
	static const char sql[] = "INSERT INTO accounts(name, display_name, smtp, unix_user, password_hash, created) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, strftime('%s','now'))";
	sqlite3_stmt *st = NULL;
	HRESULT hr = S_OK;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, count_sql, -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= max_accounts)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "account directory: the limit of %u accounts is reached",
		                 (unsigned)max_accounts);
	sqlite3_finalize(st);
	st = NULL;
	if (SUCCEEDED(hr)) {
		rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, a->display_name[0] ? a->display_name : a->name, -1, SQLITE_STATIC);
			if (a->smtp[0])
				sqlite3_bind_text(st, 3, a->smtp, -1, SQLITE_STATIC);
			if (a->unix_user[0])
				sqlite3_bind_text(st, 4, a->unix_user, -1, SQLITE_STATIC);
			if (password)
				sqlite3_bind_text(st, 5, hash, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		}
		if (rc != SQLITE_DONE) {
			hr = db_error(d, rc == SQLITE_OK ? SQLITE_ERROR : rc, "adding an account");
			if (hr == MAPI_E_COLLISION)
				mapix_error(hr, "account %s: the name or SMTP address is already taken", a->name);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	sodium_memzero(hash, sizeof hash);
	return hr;
}

HRESULT srv_dir_password_hash(srv_directory *d, const char *name, srv_account *out, char hash[SRV_HASH_MAX])
{
	sqlite3_stmt *st = NULL;
	HRESULT hr;
	hash[0] = 0;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, ACCOUNT_COLS_HASH "WHERE name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		fill(d, st, out);
		copy_col(hash, SRV_HASH_MAX, st, 4);
		hr = S_OK;
	} else if (rc == SQLITE_DONE) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "no account named \"%s\"", name);
	} else {
		hr = db_error(d, rc, "lookup");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	return hr;
}

/* A grantee is a Unix identity (a user name or uid:N, at most 64 bytes) or
 * an account ("account:NAME", spelt as the directory spells the name, so
 * that grants match the identity a password logon gets). */
static HRESULT canonical_grantee(srv_directory *d, const char *grantee, char *out, size_t cap)
{
	if (!grantee || !*grantee)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "grant: bad grantee name");
	if (strncmp(grantee, SRV_ACCOUNT_PREFIX, strlen(SRV_ACCOUNT_PREFIX)) == 0) {
		srv_account a;
		const char *name = grantee + strlen(SRV_ACCOUNT_PREFIX);
		if (!srv_dir_valid_name(name))
			return mapix_error(MAPI_E_INVALID_PARAMETER, "grant: \"%s\" names no valid account", grantee);
		HRESULT hr = srv_dir_find(d, name, &a);
		if (FAILED(hr))
			return hr;
		snprintf(out, cap, "%s%s", SRV_ACCOUNT_PREFIX, a.name);
		return S_OK;
	}
	if (strlen(grantee) > 64 || (strchr(grantee, ':') && strncmp(grantee, "uid:", 4) != 0))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "grant: bad grantee name \"%s\" (a Unix user, uid:N or "
		                                             "account:NAME)", grantee);
	snprintf(out, cap, "%s", grantee);
	return S_OK;
}

/* Runs a statement with text parameters; *changes receives the rows changed. */
static HRESULT exec_text(srv_directory *d, const char *sql, int n, const char *const *args, int *changes)
{
	sqlite3_stmt *st = NULL;
	HRESULT hr = S_OK;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		for (int i = 0; i < n; i++)
			sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		hr = db_error(d, rc == SQLITE_OK ? SQLITE_ERROR : rc, "update");
	/* A query reports whether it found a row; a change how many rows it
	 * changed (sqlite3_changes would report an earlier statement's count
	 * for a query). */
	if (changes)
		*changes = rc == SQLITE_ROW ? 1 : (st && !sqlite3_stmt_readonly(st) && rc == SQLITE_DONE) ? sqlite3_changes(d->db) : 0;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	return hr;
}

HRESULT srv_dir_remove(srv_directory *d, const char *name)
{
	int changes = 0;
	const char *args[] = {name};
	HRESULT hr = exec_text(d, "DELETE FROM accounts WHERE name = ?1", 1, args, &changes);
	if (SUCCEEDED(hr) && !changes)
		return mapix_error(MAPI_E_NOT_FOUND, "no account named \"%s\"", name);
	if (SUCCEEDED(hr))
		hr = exec_text(d, "DELETE FROM grants WHERE mailbox = ?1", 1, args, NULL);
	if (SUCCEEDED(hr))
		hr = exec_text(d, "DELETE FROM quotas WHERE mailbox = ?1", 1, args, NULL);
	return hr;
}

static BOOL valid_right(const char *right)
{
	return right && (strcmp(right, MAPIX_GRANT_FULL_ACCESS) == 0 || strcmp(right, MAPIX_GRANT_ADMIN) == 0 ||
	                 strcmp(right, MAPIX_GRANT_DELIVER) == 0);
}

HRESULT srv_dir_grant(srv_directory *d, const char *mailbox, const char *grantee, const char *right)
{
	srv_account a;
	HRESULT hr;
	if (!valid_right(right))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "grant: unknown right \"%s\" (full, admin, deliver)",
		                   right ? right : "");
	char who[128];
	if (FAILED(hr = canonical_grantee(d, grantee, who, sizeof who)))
		return hr;
	if (FAILED(hr = srv_dir_find(d, mailbox, &a)))
		return hr;
	const char *args[] = {a.name, who, right};
	return exec_text(d, "INSERT OR IGNORE INTO grants(mailbox, grantee, right) VALUES (?1, ?2, ?3)", 3, args, NULL);
}

HRESULT srv_dir_revoke(srv_directory *d, const char *mailbox, const char *grantee, const char *right)
{
	int changes = 0;
	if (!valid_right(right))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "revoke: unknown right \"%s\"", right ? right : "");
	const char *args[] = {mailbox, grantee, right};
	/* Account grantees compare without case, as account names do. */
	BOOL account = grantee && strncmp(grantee, SRV_ACCOUNT_PREFIX, strlen(SRV_ACCOUNT_PREFIX)) == 0;
	HRESULT hr = exec_text(d,
	                       account ? "DELETE FROM grants WHERE mailbox = ?1 AND lower(grantee) = lower(?2) AND right = ?3"
	                               : "DELETE FROM grants WHERE mailbox = ?1 AND grantee = ?2 AND right = ?3",
	                       3, args, &changes);
	if (SUCCEEDED(hr) && !changes)
		return mapix_error(MAPI_E_NOT_FOUND, "revoke: %s has no %s right on %s", grantee, right, mailbox);
	return hr;
}

BOOL srv_dir_has_grant(srv_directory *d, const char *mailbox, const char *grantee, const char *right)
{
	int found = 0;
	const char *args[] = {mailbox, grantee, right};
	if (FAILED(exec_text(d, "SELECT 1 FROM grants WHERE mailbox = ?1 AND grantee = ?2 AND right = ?3", 3, args,
	                     &found))) {
		mapix_error_clear();
		return FALSE;
	}
	return found == 1;
}

BOOL srv_dir_has_any_grant(srv_directory *d, const char *mailbox, const char *grantee)
{
	int found = 0;
	const char *args[] = {mailbox, grantee};
	if (FAILED(exec_text(d, "SELECT 1 FROM grants WHERE mailbox = ?1 AND grantee = ?2 LIMIT 1", 2, args, &found))) {
		mapix_error_clear();
		return FALSE;
	}
	return found == 1;
}

HRESULT srv_dir_each(srv_directory *d, void (*fn)(const srv_account *a, void *ctx), void *ctx)
{
	sqlite3_stmt *st = NULL;
	srv_account *list = NULL;
	size_t n = 0, cap = 0;
	HRESULT hr = S_OK;
	/* Copy first, call afterwards: fn may use the directory. */
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, ACCOUNT_COLS "ORDER BY name", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			srv_account *l = realloc(list, cap * sizeof *l);
			if (!l) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "account directory: out of memory");
				break;
			}
			list = l;
		}
		fill(d, st, &list[n++]);
		rc = SQLITE_OK;
	}
	if (SUCCEEDED(hr) && rc != SQLITE_DONE)
		hr = db_error(d, rc, "listing accounts");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		fn(&list[i], ctx);
	free(list);
	return hr;
}

HRESULT srv_dir_grants(srv_directory *d, const char *mailbox, srv_grant **out, size_t *count)
{
	sqlite3_stmt *st = NULL;
	srv_grant *list = NULL;
	size_t n = 0, cap = 0;
	HRESULT hr = S_OK;
	*out = NULL;
	*count = 0;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db,
	                            "SELECT mailbox, grantee, right FROM grants WHERE ?1 IS NULL OR mailbox = ?1 "
	                            "ORDER BY mailbox, grantee, right",
	                            -1, &st, NULL);
	if (rc == SQLITE_OK && mailbox)
		sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_TRANSIENT);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			srv_grant *l = realloc(list, cap * sizeof *l);
			if (!l) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "account directory: out of memory");
				break;
			}
			list = l;
		}
		copy_col(list[n].mailbox, sizeof list[n].mailbox, st, 0);
		copy_col(list[n].grantee, sizeof list[n].grantee, st, 1);
		copy_col(list[n].right, sizeof list[n].right, st, 2);
		n++;
		rc = SQLITE_OK;
	}
	if (SUCCEEDED(hr) && rc != SQLITE_DONE)
		hr = db_error(d, rc, "listing grants");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	if (FAILED(hr)) {
		free(list);
		return hr;
	}
	*out = list;
	*count = n;
	return S_OK;
}

HRESULT srv_dir_get_quota(srv_directory *d, const char *mailbox, int64_t values[3])
{
	sqlite3_stmt *st = NULL;
	HRESULT hr = S_OK;
	values[0] = values[1] = values[2] = -1;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_prepare_v2(d->db, "SELECT warning, send_limit, receive_limit FROM quotas WHERE mailbox = ?1", -1,
	                            &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, mailbox, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < 3; i++)
			if (sqlite3_column_type(st, i) != SQLITE_NULL)
				values[i] = sqlite3_column_int64(st, i);
	} else if (rc != SQLITE_DONE) {
		hr = db_error(d, rc, "reading a quota");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&d->lock);
	return hr;
}

HRESULT srv_dir_set_quota(srv_directory *d, const char *mailbox, unsigned which, const int64_t values[3])
{
	static const char *const cols[3] = {"warning", "send_limit", "receive_limit"};
	srv_account a;
	HRESULT hr = srv_dir_find(d, mailbox, &a);
	if (FAILED(hr))
		return hr;
	pthread_mutex_lock(&d->lock);
	int rc = sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK && (rc = sqlite3_prepare_v2(d->db, "INSERT OR IGNORE INTO quotas(mailbox) VALUES (?1)", -1,
	                                                 &st, NULL)) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, a.name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < 3 && rc == SQLITE_OK; i++) {
		if (!(which & (1u << i)))
			continue;
		char sql[128];
		snprintf(sql, sizeof sql, "UPDATE quotas SET %s = ?2 WHERE mailbox = ?1", cols[i]);
		st = NULL;
		if ((rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL)) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, a.name, -1, SQLITE_STATIC);
			if (values[i] >= 0)
				sqlite3_bind_int64(st, 2, values[i]);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		}
		sqlite3_finalize(st);
	}
	HRESULT hr2 = S_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		hr2 = db_error(d, rc, "setting a quota");
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	}
	pthread_mutex_unlock(&d->lock);
	return hr2;
}
