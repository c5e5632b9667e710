/*
 * mailbox.c — the mailboxes mapixd hosts: creating the file of a new
 * account, and the open mailboxes shared by all connections.
 *
 * A mailbox is a local-store file under <data_dir>/mailboxes/, created by
 * mapixd with umask 077 (so 0600, owned by mapixd's user) and carrying the
 * server and account names in its meta table, so that its store entry ID
 * names /o=mapix/ou=<server>/cn=Recipients/cn=<account> whoever opens it.
 *
 * An open mailbox has one support object and up to two logons through the
 * local provider's interface (read-write and read-only), opened on first
 * use and closed when the last connection that opened the mailbox lets it
 * go. Sharing the support object is what makes a change made through one
 * connection reach the advise sinks of every other.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "providers/local/local-provider.h"
#include "providers/standalone-support.h"
#include "server.h"

struct srv_mailbox {
	srv_mailbox *next;
	srv_server *srv;
	unsigned refs;            /* guarded by srv->lock */
	char name[65];
	char path[4096];
	pthread_mutex_t lock;     /* opening the logons */
	LPMAPISUP support;
	LPMDB rw, ro;
	BOOL warned;              /* the quota warning was logged (audit) */
};

const char *srv_mailbox_name(const srv_mailbox *mb)
{
	return mb->name;
}

static HRESULT write_names(const char *path, const char *server, const char *account)
{
	static const char sql[] = "INSERT OR REPLACE INTO meta(key, value) VALUES ('server', ?1), ('account', ?2)";
	local_db *db = NULL;
	int created = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_open(path, LOCAL_DB_CREATE, &db, &created);
	if (FAILED(hr))
		return hr;
	local_db_lock(db);
	if (SUCCEEDED(hr = local_db_begin_write(db))) {
		if (SUCCEEDED(hr = local_db_prepare(db, sql, &st))) {
			sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
			int rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				hr = local_db_error(db, rc, "writing the mailbox names");
		}
		if (SUCCEEDED(hr))
			hr = local_db_commit(db);
		else
			local_db_rollback(db);
	}
	local_db_unlock(db);
	local_db_close(db);
	return hr;
}

HRESULT srv_mailbox_create(srv_server *s, const srv_account *a)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/mailboxes", s->cfg.data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return mapix_error(MAPI_E_NO_ACCESS, "%s: %s", dir, strerror(errno));
	HRESULT hr = write_names(a->file, s->cfg.server_name, a->name);
	if (FAILED(hr))
		return hr;
	chmod(a->file, 0600);
	/* The first read-write logon makes the standard folders, so a created
	 * mailbox is complete before anyone opens it. */
	srv_mailbox *mb;
	LPMDB mdb;
	if (FAILED(hr = srv_mailbox_acquire(s, a, &mb)))
		return hr;
	hr = srv_mailbox_store(mb, TRUE, &mdb);
	if (SUCCEEDED(hr))
		IMsgStore_Release(mdb);
	srv_mailbox_release(mb);
	return hr;
}

HRESULT srv_mailbox_acquire(srv_server *s, const srv_account *a, srv_mailbox **out)
{
	*out = NULL;
	pthread_mutex_lock(&s->lock);
	srv_mailbox *mb;
	for (mb = s->mailboxes; mb; mb = mb->next)
		if (strcmp(mb->name, a->name) == 0)
			break;
	if (!mb) {
		mb = calloc(1, sizeof *mb);
		if (!mb) {
			pthread_mutex_unlock(&s->lock);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
		}
		mb->srv = s;
		snprintf(mb->name, sizeof mb->name, "%s", a->name);
		snprintf(mb->path, sizeof mb->path, "%s", a->file);
		pthread_mutex_init(&mb->lock, NULL);
		mb->next = s->mailboxes;
		s->mailboxes = mb;
	}
	mb->refs++;
	pthread_mutex_unlock(&s->lock);
	*out = mb;
	return S_OK;
}

static void close_mailbox(srv_mailbox *mb)
{
	if (mb->rw)
		IMsgStore_Release(mb->rw);
	if (mb->ro)
		IMsgStore_Release(mb->ro);
	if (mb->support)
		IMAPISupport_Release(mb->support);
	pthread_mutex_destroy(&mb->lock);
	free(mb);
}

void srv_mailbox_release(srv_mailbox *mb)
{
	if (!mb)
		return;
	srv_server *s = mb->srv;
	pthread_mutex_lock(&s->lock);
	if (--mb->refs) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	for (srv_mailbox **pp = &s->mailboxes; *pp; pp = &(*pp)->next)
		if (*pp == mb) {
			*pp = mb->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	close_mailbox(mb);
}

unsigned srv_mailbox_count(srv_server *s)
{
	unsigned n = 0;
	pthread_mutex_lock(&s->lock);
	for (srv_mailbox *mb = s->mailboxes; mb; mb = mb->next)
		n++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void srv_mailbox_close_all(srv_server *s)
{
	pthread_mutex_lock(&s->lock);
	srv_mailbox *mb = s->mailboxes;
	s->mailboxes = NULL;
	pthread_mutex_unlock(&s->lock);
	while (mb) {
		srv_mailbox *next = mb->next;
		close_mailbox(mb);
		mb = next;
	}
}

static HRESULT logon(srv_mailbox *mb, ULONG flags, LPMDB *out)
{
	LPMSPROVIDER prov = NULL;
	LPMSLOGON mslogon = NULL;
	ULONG ver = 0;
	HRESULT hr;
	if (!mb->support) {
		SPropValue path;
		path.ulPropTag = PR_MAPIX_STORE_PATH_A;
		path.Value.lpszA = mb->path;
		if (FAILED(hr = mapix_support_standalone_new(1, &path, &mb->support)))
			return hr;
	}
	hr = local_MSProviderInit(NULL, NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, 0,
	                          CURRENT_SPI_VERSION, &ver, &prov);
	if (SUCCEEDED(hr))
		hr = IMSProvider_Logon(prov, mb->support, 0, NULL, 0, NULL, flags, NULL, NULL, NULL, NULL, &mslogon, out);
	if (mslogon)
		IMSLogon_Release(mslogon);
	if (prov)
		IMSProvider_Release(prov);
	return hr;
}

HRESULT srv_mailbox_store(srv_mailbox *mb, BOOL writable, LPMDB *out)
{
	HRESULT hr = S_OK;
	pthread_mutex_lock(&mb->lock);
	LPMDB *slot = writable ? &mb->rw : &mb->ro;
	if (!*slot) {
		hr = logon(mb, writable ? MDB_WRITE : 0, slot);
		/* Every change of a hosted mailbox is committed through this
		 * logon: announce each commit from the change journal (object
		 * events, fnevNewMail for mail arriving in a receive folder) to
		 * the sinks of the shared support object, whichever logon they
		 * advised on. Otherwise only sinks advised on this very logon
		 * would hear of them (a client watching through the read-only
		 * logon, or LMTP delivery, would stay silent). */
		if (SUCCEEDED(hr) && writable)
			hr = local_watch_start(local_store_logon(*slot));
	}
	if (SUCCEEDED(hr)) {
		IMsgStore_AddRef(*slot);
		*out = *slot;
	}
	pthread_mutex_unlock(&mb->lock);
	return hr;
}

void srv_mailbox_stats(const srv_account *a, uint64_t *size, uint32_t *items)
{
	struct stat st;
	char wal[4200];
	*size = 0;
	*items = 0;
	if (stat(a->file, &st) == 0)
		*size = (uint64_t)st.st_size;
	snprintf(wal, sizeof wal, "%s-wal", a->file);
	if (stat(wal, &st) == 0)
		*size += (uint64_t)st.st_size;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(a->file, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *q = NULL;
		sqlite3_busy_timeout(db, 2000);
		if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM messages WHERE fid IS NOT NULL", -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			*items = (uint32_t)sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

/* The bytes of messages a mailbox holds: the folders' kept size counters
 * (what PR_MESSAGE_SIZE_EXTENDED of each folder says), summed. */
static HRESULT usage_query(sqlite3 *db, const char *path, uint64_t *bytes)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT coalesce(sum(content_size), 0) FROM folders", -1, &q, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		*bytes = (uint64_t)sqlite3_column_int64(q, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_OK)
		return mapix_error(MAPI_E_CALL_FAILED, "%s: reading the mailbox size: %s", path, sqlite3_errmsg(db));
	return S_OK;
}

static HRESULT open_readonly(const char *path, sqlite3 **out)
{
	int rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		HRESULT hr = mapix_error(MAPI_E_NOT_FOUND, "%s: %s", path, *out ? sqlite3_errmsg(*out) : "cannot open");
		sqlite3_close(*out);
		*out = NULL;
		return hr;
	}
	sqlite3_busy_timeout(*out, LOCAL_BUSY_TIMEOUT_MS);
	return S_OK;
}

/* A connection of its own per measure, closed at once: a read-only
 * connection kept open between measures stopped the WAL from ever being
 * restarted after checkpoints (it grew by every commit, and each commit
 * got slower: 12 deliveries/s after 1500 with a receive limit in force,
 * 215/s with this). */
HRESULT srv_mailbox_usage(srv_mailbox *mb, uint64_t *bytes)
{
	sqlite3 *db = NULL;
	*bytes = 0;
	HRESULT hr = open_readonly(mb->path, &db);
	if (SUCCEEDED(hr))
		hr = usage_query(db, mb->path, bytes);
	sqlite3_close(db);
	return hr;
}

BOOL srv_mailbox_warn_once(srv_mailbox *mb, BOOL over)
{
	pthread_mutex_lock(&mb->lock);
	BOOL first = over && !mb->warned;
	mb->warned = over;
	pthread_mutex_unlock(&mb->lock);
	return first;
}

HRESULT srv_account_usage(const srv_account *a, uint64_t *bytes)
{
	sqlite3 *db = NULL;
	*bytes = 0;
	HRESULT hr = open_readonly(a->file, &db);
	if (SUCCEEDED(hr))
		hr = usage_query(db, a->file, bytes);
	sqlite3_close(db);
	return hr;
}
