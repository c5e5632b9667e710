/*
 * server.h — mapixd, the store server: what its files share. Private to
 * src/server/.
 *
 *   mapixd.c     command line, start-up, daemonizing, signals, shutdown
 *   config.c     the INI configuration (mapixd.conf) and its limits
 *   directory.c  the account directory and mailbox grants (directory.db)
 *   mailbox.c    hosted mailboxes: creation, and the shared open logons
 *   listener.c   the UNIX socket, peer identity (SO_PEERCRED) at connect,
 *                and the TCP socket
 *   tls.c        TLS on TCP connections (GnuTLS): credentials, handshake
 *   logon.c      password logons over TCP (argon2id, bounded concurrency)
 *   throttle.c   rate limiting of failed logons per address and account
 *   conn.c       one client connection: its thread, frames, handle table
 *   rights.c     who may open which mailbox, and what each handle allows
 *   acl.c        folder permissions: logons through folder ACLs, their checks
 *   acl_rules.c  what each operation needs on a folder-permission handle
 *   audit.c      JSON audit lines for denials, with rotation by size
 *   dispatch*.c  the operations: decode arguments, check, call the store
 *   advise.c     pushed notifications: server-side advise sinks
 *   lmtp*.c      LMTP delivery into receive folders (lmtp.h)
 *
 * Model. mapixd hosts each mailbox with the local store provider and
 * keeps at most two logons per mailbox open (read-write and read-only),
 * shared by every connection that opened it; they share one support
 * object, so a change made through any connection notifies the advise
 * sinks of every connection. A connection holds handles: small integers
 * naming the store objects it opened, each with the rights it carries.
 * Every check happens here, before the store is called.
 */
#ifndef MAPIX_SERVER_H
#define MAPIX_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <semaphore.h>

#include <mapix/mapix.h>
#include <mapix/mapixwire.h>

#include "core/proto.h"
#include "lmtp.h"

/* ---- config.c ----------------------------------------------------------------------- */

typedef struct srv_config {
	char *server_name;     /* [server] name: the ou= of DNs, the store entry ID's server */
	char *socket_path;     /* [server] socket */
	char *data_dir;        /* [server] data_dir: directory.db and mailboxes/ */
	char *pid_file;        /* [server] pid_file (daemon mode) */
	char *audit_path;      /* [audit] file ("" = standard error) */
	uint64_t audit_max_bytes; /* [audit] max_size: rotate beyond this */
	unsigned audit_keep;   /* [audit] keep: rotated files kept */
	char **admins;         /* [rights] administrators */
	size_t n_admins;
	/* [limits] */
	uint32_t max_frame;
	uint32_t max_connections;
	uint32_t max_handles;  /* per connection */
	uint32_t max_advises;  /* per connection */
	uint32_t max_rows;     /* rows per QueryRows */
	uint32_t io_timeout_ms;
	uint32_t max_accounts;
	/* [quota]: defaults for mailboxes without their own (bytes, 0 = none) */
	uint64_t quota_warning;
	uint64_t quota_send;     /* refusal of saves by the mailbox's users */
	uint64_t quota_receive;  /* refusal of deliveries (deliver logons) */
	/* [tcp]: the TLS listener (none when listen is unset) */
	char *tcp_listen;      /* host:port ([v6]:port); port 0 picks one */
	char *tcp_address_file;/* written with the bound host:port at start */
	char *tls_cert;        /* PEM: the server's certificate chain */
	char *tls_key;         /* PEM: its private key */
	char *tls_priority;    /* GnuTLS priority string (TLS 1.2 and 1.3 only) */
	uint32_t handshake_timeout_ms; /* TLS handshake and password logon */
	uint32_t max_hashing;  /* password checks running at once */
	uint32_t max_pending;  /* TCP connections not logged on yet, at once */
	/* [logon]: failed password logons */
	uint32_t account_failures; /* failures of one account before lockouts */
	uint32_t address_failures; /* failures from one address before lockouts */
	uint32_t lockout_ms;       /* first lockout; doubles with each failure */
	uint32_t max_lockout_ms;
	uint32_t forget_ms;        /* failures older than this are forgotten */
	uint32_t max_tracked;      /* addresses and names remembered at most */
	srv_lmtp_config lmtp;      /* [lmtp]: LMTP delivery (lmtp.h) */
} srv_config;

/* Parses a size: digits with an optional K, M, G or T suffix (powers of
 * 1024, optional trailing "B"/"iB"). FALSE for anything else. */
BOOL srv_parse_size(const char *v, uint64_t *out);


/* TLS 1.2 and 1.3 only; GnuTLS's NORMAL choice of ciphers within them. */
#define SRV_DEFAULT_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Reads the INI file at path (NULL: defaults only). Unknown keys are errors,
 * so typos do not pass silently; why receives the file, line and reason. */
HRESULT srv_config_load(const char *path, srv_config *cfg, char *why, size_t cap);
void srv_config_free(srv_config *cfg);

/* ---- directory.c ----------------------------------------------------------------------- */

typedef struct srv_account {
	char name[65];
	char display_name[257];
	char smtp[257];
	char unix_user[65];
	char file[4096];   /* mailbox path */
} srv_account;

typedef struct srv_directory srv_directory;

HRESULT srv_dir_open(const char *data_dir, const char *server_name, srv_directory **out);
void srv_dir_close(srv_directory *d);
/* An account name: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
BOOL srv_dir_valid_name(const char *name);
/* Finds an account by name, SMTP address or mailbox DN of this server. */
HRESULT srv_dir_find(srv_directory *d, const char *key, srv_account *out);
HRESULT srv_dir_find_by_unix_user(srv_directory *d, const char *user, srv_account *out);
/* Adds an account (MAPI_E_COLLISION if the name or address is taken);
 * password may be NULL (no TCP logon). */
HRESULT srv_dir_add(srv_directory *d, const srv_account *a, const char *password, uint32_t max_accounts);
HRESULT srv_dir_remove(srv_directory *d, const char *name);
/* Grants are (mailbox, grantee, right) with right one of MAPIX_GRANT_*. */
HRESULT srv_dir_grant(srv_directory *d, const char *mailbox, const char *grantee, const char *right);
HRESULT srv_dir_revoke(srv_directory *d, const char *mailbox, const char *grantee, const char *right);
BOOL srv_dir_has_grant(srv_directory *d, const char *mailbox, const char *grantee, const char *right);
BOOL srv_dir_has_any_grant(srv_directory *d, const char *mailbox, const char *grantee);
/* The account called name and its password hash ("" when it has none),
 * read under the directory lock so the slow check runs outside it. */
#define SRV_HASH_MAX 128
HRESULT srv_dir_password_hash(srv_directory *d, const char *name, srv_account *out, char hash[SRV_HASH_MAX]);
/* Identity names of accounts logged on with their password. */
#define SRV_ACCOUNT_PREFIX "account:"
/* Calls fn for every account, in name order. */
HRESULT srv_dir_each(srv_directory *d, void (*fn)(const srv_account *a, void *ctx), void *ctx);
/* The grants on one mailbox (NULL: on every mailbox), in mailbox order;
 * free *out. */
typedef struct srv_grant {
	char mailbox[65];
	char grantee[65];
	char right[16];
} srv_grant;
HRESULT srv_dir_grants(srv_directory *d, const char *mailbox, srv_grant **out, size_t *count);
/* A mailbox's own quotas in bytes (warning, send limit, receive limit):
 * -1 where it has none (the [quota] default applies), 0 for "no limit". */
HRESULT srv_dir_get_quota(srv_directory *d, const char *mailbox, int64_t values[3]);
/* Sets the values whose bit (1 << index) is in which; -1 returns a value
 * to the default. MAPI_E_NOT_FOUND for an unknown mailbox. */
HRESULT srv_dir_set_quota(srv_directory *d, const char *mailbox, unsigned which, const int64_t values[3]);
/* The DN of an account: /o=mapix/ou=<server>/cn=Recipients/cn=<name>. */
void srv_dir_dn(srv_directory *d, const char *name, char *out, size_t cap);

/* ---- identity (listener.c) ------------------------------------------------------------------- */

typedef struct srv_identity {
	uid_t uid;         /* (uid_t)-1 over TCP */
	gid_t gid;
	pid_t pid;         /* 0 over TCP */
	char name[80];     /* the Unix user name, "uid:N", or "account:NAME" over
	                    * TCP once the password logon succeeded ("" before) */
	char account[65];  /* TCP: the account logged on (owner of its mailbox) */
	char address[64];  /* TCP: the peer's address and port ("" for UNIX) */
	BOOL admin;        /* listed in [rights] administrators */
} srv_identity;

/* TRUE when the identity is listed in [rights] administrators. */
BOOL srv_identity_is_admin(const struct srv_config *cfg, const srv_identity *id);

/* ---- mailbox.c ---------------------------------------------------------------------------------- */

typedef struct srv_mailbox srv_mailbox;
typedef struct srv_server srv_server;

/* Creates the mailbox file of a new account (0600, owned by mapixd) with
 * the server and account names its store entry ID carries. */
HRESULT srv_mailbox_create(srv_server *s, const srv_account *a);
/* The open mailbox of an account (opened on first use); release with
 * srv_mailbox_release. */
HRESULT srv_mailbox_acquire(srv_server *s, const srv_account *a, srv_mailbox **out);
void srv_mailbox_release(srv_mailbox *mb);
/* The store object of the read-write or read-only logon (AddRef'd). */
HRESULT srv_mailbox_store(srv_mailbox *mb, BOOL writable, LPMDB *out);
const char *srv_mailbox_name(const srv_mailbox *mb);
/* Mailboxes open now (server status). */
unsigned srv_mailbox_count(srv_server *s);
/* Closes every open mailbox (shutdown). */
void srv_mailbox_close_all(srv_server *s);
/* The bytes of messages the mailbox holds (the sum of its folders'
 * PR_MESSAGE_SIZE_EXTENDED): what quotas measure. */
HRESULT srv_mailbox_usage(srv_mailbox *mb, uint64_t *bytes);
/* The same for an account whose mailbox may not be open. */
HRESULT srv_account_usage(const srv_account *a, uint64_t *bytes);
/* Records whether the mailbox is past its warning threshold; TRUE when it
 * just crossed it (so the warning is logged once per crossing). */
BOOL srv_mailbox_warn_once(srv_mailbox *mb, BOOL over);
/* Size in bytes and message count of a mailbox file (for the mailbox table). */
void srv_mailbox_stats(const srv_account *a, uint64_t *size, uint32_t *items);

/* ---- audit.c --------------------------------------------------------------------------------------- */

typedef struct srv_audit srv_audit;
HRESULT srv_audit_open(const srv_config *cfg, srv_audit **out);
void srv_audit_close(srv_audit *a);
/* One JSON line: time, identity, (TCP) address, mailbox, operation, result. */
void srv_audit_log(srv_audit *a, const srv_identity *who, const char *mailbox, const char *operation, HRESULT result);

/* ---- the server ------------------------------------------------------------------------------------ */

struct srv_server {
	srv_config cfg;
	srv_directory *dir;
	srv_audit *audit;
	int listen_fd;
	int tcp_fd;                /* -1: no TCP listener */
	gnutls_certificate_credentials_t tls_creds;
	gnutls_priority_t tls_prio;
	struct srv_throttle *throttle;
	sem_t hashing;             /* bounds password checks running at once */
	atomic_uint tcp_pending;   /* TCP connections not logged on yet */
	char dummy_hash[SRV_HASH_MAX]; /* checked for unknown accounts (same cost) */
	int wake_pipe[2];          /* written by signal handlers / stop requests */
	pthread_mutex_t lock;      /* mailboxes, connection count */
	pthread_cond_t idle;       /* signalled when the last connection ends */
	srv_mailbox *mailboxes;
	unsigned n_conns;
	atomic_bool stopping;
	struct srv_conn *conns;    /* live connections (for shutdown) */
	BOOL abandoned;            /* shutdown gave up waiting for a connection */
	struct srv_lmtp *lmtp;     /* the LMTP listeners (lmtp_listen.c); NULL: none */
};

/* ---- listener.c ------------------------------------------------------------------------------------- */

HRESULT srv_listen(srv_server *s);
/* The TCP socket of [tcp] listen (and its address_file). */
HRESULT srv_listen_tcp(srv_server *s);
/* Accepts connections until srv_stop; then closes every connection and
 * waits for their threads. */
void srv_run(srv_server *s);
void srv_stop(srv_server *s);
/* Fills the identity of a connected peer (SO_PEERCRED). */
HRESULT srv_peer_identity(srv_server *s, int fd, srv_identity *id);

/* ---- conn.c: connections and handles ---------------------------------------------------------------- */

/* Rights a handle carries. */
#define SRV_ACC_READ 0x1
#define SRV_ACC_WRITE 0x2
#define SRV_ACC_DELIVER 0x4 /* deliver-only logon: create messages in folders */
#define SRV_ACC_ACL 0x8     /* folder-permission logon: each handle checks its folder's ACL (acl.c) */

/* A mailbox as one connection opened it. */
typedef struct srv_logon {
	atomic_uint refs;
	srv_mailbox *mb;
	char mailbox[65];
	ULONG access;        /* SRV_ACC_* of the store handle */
	const char *how;     /* "owner", "full access", "admin privilege", "deliver", "folder permissions" */
	/* The identity as ACL members name it: "user:NAME", and
	 * "account:NAME" when the identity's Unix user owns an account. */
	char ids[2][88]; /* "user:" + an identity name (srv_identity.name) */
	unsigned n_ids;
} srv_logon;

/* What a handle of a folder-permission logon may do (acl.c): the rights
 * of the folder it belongs to, and for messages (and their attachments,
 * tables and streams) whether the caller created the message. */
typedef struct srv_acl_state {
	ULONG frights;       /* PR_MEMBER_RIGHTS bits on the handle's folder */
	BYTE owned;          /* message created by this identity (PR_MAPIX_CREATOR_IDENTITY) */
	BYTE is_new;         /* message created through this handle, not saved by anyone else */
	BYTE hier;           /* hierarchy table: invisible folders are filtered out */
} srv_acl_state;

typedef struct srv_handle {
	LPUNKNOWN obj;       /* NULL: free slot */
	BYTE kind;           /* MPX_OBJ_* */
	ULONG access;        /* SRV_ACC_* */
	srv_logon *logon;
	srv_acl_state acl;   /* SRV_ACC_ACL handles */
} srv_handle;

typedef struct srv_conn {
	struct srv_conn *next, *prev; /* in srv_server.conns */
	atomic_uint refs;        /* the connection thread and each advise sink */
	srv_server *srv;
	int fd;
	mapix_proto_io io;       /* fd, with the TLS session over TCP */
	BOOL tcp;                /* TCP: TLS, then a password logon first */
	BOOL authenticated;      /* UNIX: always; TCP: after LOGON_PASSWORD */
	BOOL close_after_reply;  /* a failed password logon ends the connection */
	BOOL pending;            /* counted in srv_server.tcp_pending */
	int64_t logon_deadline;  /* TCP: monotonic ms by which the logon must be done */
	srv_identity id;
	pthread_mutex_t wlock;   /* one frame at a time on the socket */
	pthread_mutex_t lock;    /* handles and advises */
	srv_handle *handles;     /* index = handle number; 0 unused */
	uint32_t n_slots, n_live;
	struct srv_advise *advises;
	uint32_t n_advises;
	atomic_bool dead;        /* a write failed: the thread stops at the next frame */
	BOOL greeted;            /* HELLO done (the first request must be HELLO) */
	uint32_t next_free;      /* hint for the next free handle slot */
	struct srv_backup *backup; /* a mailbox copy being streamed (backup.c) */
	/* Output not yet taken by the peer (outq.c), under wlock. */
	BYTE *outq;
	size_t outq_len, outq_off, outq_cap;
	int64_t outq_since;      /* when it stopped being empty (ms, monotonic) */
	BOOL outq_listed;        /* handed to the flusher thread */
	BOOL outq_tls_again;     /* GnuTLS holds a record of the queue's head (outq.c) */
	struct srv_conn *outq_next;
	/* Bytes read ahead of the frame being decoded (conn.c): small frames
	 * cost one recv for several, not three each. */
	uint32_t rpos, rlen;
	BYTE rbuf[4096];
} srv_conn;

/* ---- outq.c: the bounded output queue of a connection ---------------------------------------------- */

/* Events queued for a peer beyond this many bytes drop its connection. */
#define SRV_OUTQ_LIMIT (1024 * 1024)
/* Sends a frame without ever blocking: what the socket does not take now
 * is queued and drained by the flusher thread. MAPI_E_NETWORK_ERROR when
 * the connection is (now) dropped. */
HRESULT srv_outq_send(srv_conn *c, uint16_t kind, uint32_t id, const void *payload, size_t cb);
/* Waits until the peer has taken everything queued (the connection's own
 * thread, after a reply); drops it after timeout_ms. */
HRESULT srv_outq_drain(srv_conn *c, int timeout_ms);
void srv_outq_free(srv_conn *c);

void srv_conn_ref(srv_conn *c);
void srv_conn_unref(srv_conn *c);
/* Runs a connection to its end (the connection thread's body). */
void srv_conn_serve(srv_conn *c);
/* Sends an event frame; a peer that cannot take it loses the connection. */
void srv_conn_send_event(srv_conn *c, const void *payload, size_t cb);
/* Adds a handle for obj (the handle takes the reference). Fails with
 * MAPI_E_NOT_ENOUGH_RESOURCES beyond max_handles, releasing obj. */
HRESULT srv_conn_add_handle(srv_conn *c, LPUNKNOWN obj, BYTE kind, ULONG access, srv_logon *logon, uint32_t *id);
/* Sets the ACL state of a live handle. */
void srv_conn_set_handle_acl(srv_conn *c, uint32_t id, const srv_acl_state *acl);
/* A referenced copy of handle id of the given kinds (bit (1 << kind)). */
HRESULT srv_conn_get_handle(srv_conn *c, uint32_t id, unsigned kinds, srv_handle *out);
void srv_handle_put(srv_handle *h);
void srv_conn_release_handle(srv_conn *c, uint32_t id);
void srv_logon_unref(srv_logon *l);

/* ---- advise.c ------------------------------------------------------------------------------------------ */

typedef struct srv_advise {
	struct srv_advise *next;
	ULONG client_id;         /* the id the client's events carry */
	ULONG_PTR connection;    /* the store's or table's connection number */
	LPUNKNOWN source;        /* the IMsgStore or IMAPITable advised (referenced) */
	BOOL table;
} srv_advise;

/* Advises obj (a store: entry ID and mask; a table: mask) for the client id. */
HRESULT srv_advise_add(srv_conn *c, LPUNKNOWN source, BOOL table, ULONG cbEntryID, LPENTRYID lpEntryID,
                       ULONG mask, ULONG client_id);
HRESULT srv_advise_remove(srv_conn *c, ULONG client_id);
void srv_advise_remove_all(srv_conn *c);

/* ---- tls.c ------------------------------------------------------------------------------------------------ */

/* Loads the certificate chain and key, checks the priority string. */
HRESULT srv_tls_init(srv_server *s);
void srv_tls_free(srv_server *s);
/* Runs the server side of the handshake on c (non-blocking, bounded by
 * handshake_timeout); on success c->io carries the session. */
HRESULT srv_tls_accept(srv_conn *c);
/* Ends the session (best-effort close_notify) and frees it. */
void srv_tls_close(srv_conn *c);

/* ---- throttle.c ------------------------------------------------------------------------------------------ */

typedef struct srv_throttle srv_throttle;
HRESULT srv_throttle_new(const srv_config *cfg, srv_throttle **out);
void srv_throttle_free(srv_throttle *t);
/* Milliseconds until the address or the account may try again (0: now). */
uint32_t srv_throttle_wait(srv_throttle *t, const char *address, const char *account);
/* Counts a failure for both; returns the lockout it started (ms, 0: none). */
uint32_t srv_throttle_failure(srv_throttle *t, const char *address, const char *account);
/* A successful logon forgets the account's failures (not the address's). */
void srv_throttle_success(srv_throttle *t, const char *account);
/* Monotonic milliseconds (shared by the TCP deadlines). */
int64_t srv_now_ms(void);

/* ---- logon.c --------------------------------------------------------------------------------------------- */

/* Prepares password checking (the hashing semaphore, the dummy hash). */
HRESULT srv_logon_init(srv_server *s);
void srv_logon_free(srv_server *s);

/* ---- rights.c ------------------------------------------------------------------------------------------ */

/* TRUE when who owns a: its Unix user, or the account itself over TCP. */
BOOL srv_rights_is_owner(const srv_identity *who, const srv_account *a);
/* Decides how `who` may open `a` with the OPENSTORE_* flags: fills the
 * logon's access and description, or returns MAPI_E_NO_ACCESS (audited). */
HRESULT srv_rights_logon(srv_server *s, const srv_identity *who, const srv_account *a, ULONG open_flags,
                         ULONG *access, const char **how);
/* MAPI_E_NO_ACCESS (audited) unless the handle carries one of `need`. On
 * a folder-permission handle, SRV_ACC_READ and SRV_ACC_WRITE are checked
 * against its folder's rights (srv_acl_check with SRV_ACL_READ/WRITE). */
HRESULT srv_rights_check(srv_conn *c, const srv_handle *h, ULONG need, const char *operation);

/* ---- backup.c ------------------------------------------------------------------------------------------ */

/* A consistent copy of a hosted mailbox in a private temporary file under
 * <data_dir>/backups, made with the SQLite backup API from one read
 * snapshot, in steps, so writers carry on meanwhile. */
typedef struct srv_backup {
	int fd;
	char path[4200];
	uint64_t size;
	char mailbox[65];
} srv_backup;

HRESULT srv_backup_make(srv_server *s, const srv_account *a, srv_backup **out);
/* Removes the temporary copy (NULL is fine). */
void srv_backup_free(srv_backup *b);

/* ---- quota.c ------------------------------------------------------------------------------------------ */

typedef struct srv_quota {
	uint64_t used;       /* bytes of messages now */
	uint64_t warning, send, receive; /* thresholds in bytes, 0 = none */
	unsigned defaults;   /* bit i: value i (warning, send, receive) is mapixd.conf's default */
	ULONG state;         /* MAPIX_QUOTA_STATE_* */
} srv_quota;

struct srv_req;
/* The quota of account a (mb: its open mailbox, or NULL). */
HRESULT srv_quota_get(srv_server *s, const srv_account *a, srv_mailbox *mb, srv_quota *q);
/* MAPI_E_STORE_FULL (audited) when the request's mailbox is at its limit,
 * or (saving) when the message being saved would take it past; logs the
 * crossing of the warning threshold once. */
HRESULT srv_quota_check(struct srv_req *r, BOOL saving, const char *operation);
/* Adds the quota properties to a store's GetProps result: fills PT_ERROR
 * slots of a tag list, or (tags NULL) replaces *vals by a longer array;
 * *old then receives the previous array, which the caller frees after the
 * new one. */
HRESULT srv_quota_store_props(struct srv_req *r, const SPropTagArray *tags, ULONG *n, LPSPropValue *vals,
                              LPSPropValue *old);
/* The same for a store's GetPropList: *tags becomes a list with the quota
 * tags, *old the previous one (caller frees both). */
HRESULT srv_quota_store_proplist(struct srv_req *r, LPSPropTagArray *tags, LPSPropTagArray *old);

/* ---- acl.c: folder permissions ---------------------------------------------------------------------- */

/* What an operation needs on a handle of a folder-permission logon; the
 * meaning depends on the handle's kind (acl.c explains each). The zero
 * value refuses: an operation nobody classified is not open to such
 * logons. */
enum srv_acl_rule {
	SRV_ACL_DENY = 0,
	SRV_ACL_ANY,        /* no folder right needed (the handle was checked when made) */
	SRV_ACL_READ,       /* store: yes; folder: see it; message: read it */
	SRV_ACL_WRITE,      /* store: no; folder: administer it; message: edit it */
	SRV_ACL_ITEMS,      /* folder: read its items */
	SRV_ACL_CREATE,     /* folder: create items */
	SRV_ACL_EDIT_ANY,   /* folder: edit any item */
	SRV_ACL_SUBFOLDER,  /* folder: create subfolders */
	SRV_ACL_ADMIN,      /* folder: administer (properties, ACL, delete) */
	SRV_ACL_SELF,       /* the handler checks */
};

/* Fills the ACL member identities of a logon for `who`. */
void srv_acl_fill_ids(srv_server *s, const srv_identity *who, srv_logon *l);
/* Whether some folder of the account's mailbox grants `who` a right. */
HRESULT srv_acl_grants_any(srv_server *s, const srv_identity *who, const srv_account *a, BOOL *any);
/* The rights of the logon's identity on folder fid. */
HRESULT srv_acl_folder_rights(srv_logon *l, uint64_t fid, ULONG *rights);
/* What operation op needs on a folder-permission handle (SRV_ACL_DENY for
 * every operation not listed: new operations stay closed to such logons
 * until someone decides). */
enum srv_acl_rule srv_acl_rule_of(uint32_t op);
/* MAPI_E_NO_ACCESS (audited) unless the rule allows the operation on h. */
HRESULT srv_acl_check(srv_conn *c, const srv_handle *h, enum srv_acl_rule rule, const char *operation);
/* Denies with MAPI_E_NO_ACCESS and one audit line. */
HRESULT srv_acl_deny(srv_conn *c, const srv_handle *h, const char *operation, const char *why);
/* Whether a message object was created by the logon's identity. */
BOOL srv_acl_owns(srv_logon *l, LPMESSAGE msg);
/* Records the creator identity on a new message. */
HRESULT srv_acl_set_creator(srv_logon *l, LPMESSAGE msg);
/* A restriction hiding the folders the logon may not see, for its
 * hierarchy tables (NULL when it sees every folder); MAPIFreeBuffer it. */
HRESULT srv_acl_hidden_folders(srv_logon *l, LPSRestriction *out);
/* GetProps replies of folder-permission handles: PR_RIGHTS is the caller's. */
void srv_acl_fix_props(const srv_handle *h, ULONG n, LPSPropValue vals);
/* TRUE when a client of a folder-permission logon tries to set the
 * creator identity (the server's alone). */
BOOL srv_acl_touches_creator(ULONG n, const SPropValue *vals, const SPropTagArray *tags);

/* ---- dispatch.c -------------------------------------------------------------------------------------------- */

/* One request being served. */
typedef struct srv_req {
	srv_conn *conn;
	uint32_t handle_id;
	uint32_t op;
	srv_handle h;            /* the object the request names (empty for handle 0) */
	MAPIXWIRECURSOR in;
	mapix_proto_arena arena;
	MAPIXWIREBUF out;        /* the reply's outputs */
	BOOL bad;                /* malformed request: the connection ends */
	/* The ACL state srv_reply_object gives a new handle: the request
	 * handle's, unless the handler sets child (child_set). */
	srv_acl_state child;
	BOOL child_set;
} srv_req;

/* Serves one request payload; *reply receives the reply payload (or is
 * left empty for one-way requests). FALSE when the connection must end. */
BOOL srv_dispatch(srv_conn *c, BOOL oneway, const BYTE *payload, size_t cb, MAPIXWIREBUF *reply);

/* Marks the request malformed (used by the argument readers). */
HRESULT srv_req_bad(srv_req *r);
/* Arguments: each fails the request as malformed. */
#define SRV_ARG(r, expr)                  \
	do {                                  \
		if (FAILED(expr))                 \
			return srv_req_bad(r);        \
	} while (0)
#define SRV_ARGS_END(r) SRV_ARG(r, mapix_wire_get_end(&(r)->in))
/* Outputs: failures are real errors (memory). */
#define SRV_OUT(expr)                     \
	do {                                  \
		HRESULT hr_out_ = (expr);         \
		if (FAILED(hr_out_))              \
			return hr_out_;               \
	} while (0)

/* Hands out a handle for a new object in the reply: kind, then id. */
HRESULT srv_reply_object(srv_req *r, LPUNKNOWN obj, BYTE kind, ULONG access);
/* The kind of an object a store call returned (by interface). */
BYTE srv_kind_of(LPUNKNOWN obj);

/* A snapshot table with a row per account of the directory (those
 * add_row adds; it skips others), handed out read-only in the reply.
 * add_row gets the srv_account_fill: the request, the table, a running
 * instance key and the first failure. */
typedef struct srv_account_fill {
	srv_req *r;
	struct ITableData *td;
	ULONG n;
	HRESULT hr;
} srv_account_fill;
HRESULT srv_reply_account_table(srv_req *r, const SPropTagArray *cols,
                                void (*add_row)(const srv_account *a, void *fill));

/* Operation tables of the dispatch_*.c files: handler by op. */
typedef HRESULT (*srv_handler)(srv_req *r);
typedef struct srv_op {
	uint32_t op;
	srv_handler fn;
	unsigned kinds;  /* handle kinds accepted, bit (1 << MPX_OBJ_*); 0 = the connection */
	ULONG need;      /* SRV_ACC_* (any of them); 0 = none */
	const char *name;
} srv_op;

/* MPX_OP_LOGON_PASSWORD (logon.c). */
HRESULT srv_op_logon_password(srv_req *r);

extern const srv_op srv_ops_conn[], srv_ops_prop[], srv_ops_store[], srv_ops_folder[], srv_ops_message[],
	srv_ops_table[], srv_ops_stream[], srv_ops_admin[], srv_ops_acl[], srv_ops_directory[];

#define SRV_K(k) (1u << (k))
#define SRV_K_CONN 1u /* also on the connection (handle 0) */
#define SRV_K_PROP (SRV_K(MPX_OBJ_STORE) | SRV_K(MPX_OBJ_FOLDER) | SRV_K(MPX_OBJ_MESSAGE) | SRV_K(MPX_OBJ_ATTACH))

#endif
