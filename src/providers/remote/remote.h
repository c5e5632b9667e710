/*
 * remote.h — the remote store provider: mailboxes hosted by mapixd,
 * reached over its protocol (src/core/proto.h), behind the same provider
 * interface as the local store (mapispi.h). Private to
 * src/providers/remote/.
 *
 *   remote-conn.c     connections: one per server and security context,
 *                     calls that read their own replies, an idle-time
 *                     reader thread, timeouts, pushed events
 *   remote-tls.c      TCP addresses, TLS and the server's verification
 *   remote-logon.c    IMSProvider, IMSLogon, MAPIXOpenRemoteStore & co.
 *   remote-object.c   the proxy object and its IMAPIProp (every kind)
 *   remote-store.c    IMsgStore, IExchangeManageStore, the change journal
 *   remote-folder.c   IMAPIFolder
 *   remote-message.c  IMessage and IAttach
 *   remote-table.c    IMAPITable
 *   remote-stream.c   IStream
 *   remote-acl.c      IExchangeModifyTable on a folder's PR_ACL_TABLE
 *
 * Every proxy names a server object by handle; a method encodes its
 * arguments, waits for the reply and decodes the outputs. The server keeps
 * all state (transactions included) and checks every right, so the client
 * is thin: it checks arguments the way the local store does, so that both
 * providers fail the same calls the same way.
 */
#ifndef MAPIX_REMOTE_H
#define MAPIX_REMOTE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include <mapix/edkmdb.h>
#include <mapix/mapispi.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "core/proto.h"
#include "subsystem/instance.h"

/* How long a call waits for its reply before the connection is declared
 * lost (MAPIX_REMOTE_TIMEOUT in the environment, seconds, overrides). */
#define REMOTE_DEFAULT_TIMEOUT_MS 60000

typedef struct remote_conn remote_conn;
typedef struct remote_logon remote_logon;
typedef struct remote_obj remote_obj;

/* ---- remote-tls.c ------------------------------------------------------------------- */

/* A server address: a UNIX socket path, or a TCP host and port. */
typedef struct remote_address {
	BOOL tcp;
	char path[108];
	char host[256];
	char port[8];
} remote_address;

/* "unix:PATH", a plain path, "tcp:HOST:PORT", "HOST:PORT", "[V6]:PORT".
 * FALSE when it is none of these. */
BOOL remote_address_parse(const char *address, remote_address *out);

/* Where to connect and, for TCP, as whom and how the server is verified. */
typedef struct remote_target {
	const char *address;  /* NULL: MAPIX_DEFAULT_SERVER_SOCKET */
	const char *user, *password, *ca_file, *pin;
} remote_target;

typedef struct remote_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t creds;
} remote_tls;

/* Connects to a TCP address and runs the TLS handshake with the server's
 * verification (see the file's comment for the errors). */
HRESULT remote_tls_connect(const char *address, const remote_address *ra, const remote_target *tg, int timeout_ms,
                           int *fd_out, remote_tls *out);
void remote_tls_close(remote_tls *t);

/* ---- remote-conn.c ------------------------------------------------------------------ */

/* A connection to mapixd for the calling thread's security context: an
 * existing live one is shared, otherwise a new one is made (HELLO done).
 * MAPI_E_NETWORK_ERROR when the server cannot be reached. */
HRESULT remote_conn_get(const char *address, remote_conn **out);
/* The same with a TCP logon (HELLO, then the password logon). Pooled per
 * (address, context, account, password, verification). */
HRESULT remote_conn_get_target(const remote_target *t, remote_conn **out);
/* The target c was made for (its strings live as long as c). */
void remote_conn_target(remote_conn *c, remote_target *out);
void remote_conn_ref(remote_conn *c);
void remote_conn_unref(remote_conn *c);
BOOL remote_conn_alive(remote_conn *c);
const char *remote_conn_server_name(remote_conn *c);
uint32_t remote_conn_max_rows(remote_conn *c);
const char *remote_conn_address(remote_conn *c);

/* One call: build the request with the rc_* helpers, run it, read the
 * outputs from c->out, end it. */
typedef struct rcall {
	remote_conn *conn;
	MAPIXWIREBUF req;
	HRESULT enc;          /* first encoding failure */
	BYTE *reply;
	MAPIXWIRECURSOR out;
} rcall;

void rc_begin(rcall *c, remote_conn *conn, uint32_t handle, uint32_t op);
/* Records the first failing encoder; rc_run returns it. */
#define RC_PUT(c, expr)                  \
	do {                                 \
		if (SUCCEEDED((c)->enc))         \
			(c)->enc = (expr);           \
	} while (0)
/* Sends and waits. Returns the server's HRESULT (its error text becomes the
 * caller's last error), or MAPI_E_NETWORK_ERROR. */
HRESULT rc_run(rcall *c, const char *fn);
/* A reply whose outputs cannot be decoded: the server is broken, the
 * connection is dropped. */
HRESULT rc_bad_reply(rcall *c, const char *fn);
void rc_end(rcall *c);
/* Fire-and-forget release of a server handle. */
void remote_conn_release_handle(remote_conn *c, uint32_t handle);

/* Pushed notifications: a client advise id that maps events to the support
 * object's subscription key; owner is the logon that advised. */
HRESULT remote_conn_advise_register(remote_conn *c, LPMAPISUP support, const void *owner, ULONG *id,
                                    LPNOTIFKEY *key);
void remote_conn_advise_unregister(remote_conn *c, ULONG id);
/* Forgets every advise of a closing logon, here and on the server. */
void remote_conn_drop_advises(remote_conn *c, const void *owner);

/* Reconnecting (remote-logon.c revives a logon whose connection was lost):
 * TRUE when the calling thread runs in the connection's security context;
 * moving a client advise (support object and key kept) to a new
 * connection, under a new id there. */
BOOL remote_conn_same_context(remote_conn *c);
HRESULT remote_conn_advise_move(remote_conn *from, remote_conn *to, ULONG id, ULONG *new_id);

/* ---- remote-logon.c ------------------------------------------------------------------ */

struct remote_logon {
	IMSLogon ms_logon;        /* must stay first */
	atomic_ulong refs;        /* IMSLogon, the store object and every open object */
	remote_conn *conn;
	LPMAPISUP support;
	ULONG flags;              /* logon flags (MDB_WRITE ...) */
	char mailbox[65];
	remote_obj *store;        /* the IMsgStore (not counted) */
	/* Reconnecting: how the mailbox was opened (by entry ID when eid is
	 * set, by name otherwise), the connections lost so far (kept until the
	 * logon goes: objects of those connections still point at them), and
	 * the tables with advises to re-establish. */
	pthread_mutex_t revive_lock;
	BYTE *eid;
	ULONG cb_eid;
	struct retired_conn *retired;
	remote_obj *advised_tables; /* linked through remote_obj.next_advised */
};

void remote_logon_ref(remote_logon *l);
void remote_logon_unref(remote_logon *l);
/* When the logon's connection was lost: connects anew, opens the mailbox
 * again on the store object and re-sends the advises of the store and of
 * advised tables. S_OK when the connection is alive (again). */
HRESULT remote_logon_revive(remote_logon *l, const char *fn);
/* Tables with advises register here so that a revive re-opens them. */
void remote_logon_track_table(remote_logon *l, remote_obj *table, BOOL on);
HRESULT remote_MSProviderInit(HINSTANCE hInstance, LPMALLOC lpMalloc, LPALLOCATEBUFFER lpAllocateBuffer,
                              LPALLOCATEMORE lpAllocateMore, LPFREEBUFFER lpFreeBuffer, ULONG ulFlags,
                              ULONG ulMAPIVer, ULONG *lpulProviderVer, LPMSPROVIDER *lppMSProvider);

/* ---- remote-object.c ------------------------------------------------------------------ */

struct remote_obj {
	const void *lpVtbl;
	atomic_ulong refs;
	remote_logon *logon;      /* referenced */
	remote_conn *conn;        /* the connection the handle lives on (referenced) */
	uint32_t handle;
	BYTE kind;                /* MPX_OBJ_* */
	ULONG obj_type;           /* MAPI_STORE, MAPI_FOLDER ... */
	void *kind_data;          /* table: its advises */
	/* table: how it was opened (for a revive: the folder, referenced until
	 * the first Advise reads its entry ID, and the table operation with its
	 * flags) */
	remote_obj *origin_folder;
	BYTE *origin_eid;
	ULONG cb_origin_eid, origin_op, origin_flags;
	remote_obj *next_advised;
};
/* Records a table proxy's origin (remote-table.c). */
void remote_table_set_origin(remote_obj *table, remote_obj *folder, ULONG op, ULONG flags);
/* Re-opens an advised table on the logon's new connection and re-sends
 * its advises (remote-table.c). */
HRESULT remote_table_revive(remote_obj *table);

/* A proxy of the given kind for a server handle (takes a logon reference). */
HRESULT remote_obj_new(remote_logon *logon, BYTE kind, uint32_t handle, remote_obj **out);
/* Reads "kind, handle" from a reply and makes the proxy; with lpiid, the
 * interface asked for (MAPI_E_INTERFACE_NOT_SUPPORTED otherwise). */
HRESULT remote_obj_from_reply(rcall *c, remote_logon *logon, LPCIID lpiid, LPUNKNOWN *out);
/* The handle of a proxy of this connection, or 0 when obj is not one. */
uint32_t remote_obj_handle_of(remote_conn *conn, const void *obj);
/* TRUE when obj is any remote proxy (whatever its connection). */
BOOL remote_obj_is_proxy(const void *obj);

HRESULT remote_prop_QueryInterface(void *This, REFIID riid, LPVOID *ppvObj);
ULONG remote_prop_AddRef(void *This);
ULONG remote_prop_Release(void *This);
HRESULT remote_prop_GetLastError(void *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError);
HRESULT remote_prop_SaveChanges(void *This, ULONG ulFlags);
HRESULT remote_prop_GetProps(void *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                             LPSPropValue *lppPropArray);
HRESULT remote_prop_GetPropList(void *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray);
HRESULT remote_prop_OpenProperty(void *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions,
                                 ULONG ulFlags, LPUNKNOWN *lppUnk);
HRESULT remote_prop_SetProps(void *This, ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems);
HRESULT remote_prop_DeleteProps(void *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems);
HRESULT remote_prop_CopyTo(void *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,
                           ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                           ULONG ulFlags, LPSPropProblemArray *lppProblems);
HRESULT remote_prop_CopyProps(void *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                              LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                              LPSPropProblemArray *lppProblems);
HRESULT remote_prop_GetNamesFromIDs(void *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags,
                                    ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames);
HRESULT remote_prop_GetIDsFromNames(void *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                    LPSPropTagArray *lppPropTags);

#define REMOTE_IMAPIPROP_METHODS                                                                          \
	.QueryInterface = (void *)remote_prop_QueryInterface, .AddRef = (void *)remote_prop_AddRef,           \
	.Release = (void *)remote_prop_Release, .GetLastError = (void *)remote_prop_GetLastError,             \
	.SaveChanges = (void *)remote_prop_SaveChanges, .GetProps = (void *)remote_prop_GetProps,             \
	.GetPropList = (void *)remote_prop_GetPropList, .OpenProperty = (void *)remote_prop_OpenProperty,     \
	.SetProps = (void *)remote_prop_SetProps, .DeleteProps = (void *)remote_prop_DeleteProps,             \
	.CopyTo = (void *)remote_prop_CopyTo, .CopyProps = (void *)remote_prop_CopyProps,                     \
	.GetNamesFromIDs = (void *)remote_prop_GetNamesFromIDs, .GetIDsFromNames = (void *)remote_prop_GetIDsFromNames

/* A call on a proxy: begins the request for obj's handle, on the
 * connection the handle lives on. A store object whose connection was lost
 * is revived first (remote-object.c). */
void remote_obj_begin(rcall *c, remote_obj *o, uint32_t op);
#define RC_OBJ(c, obj, op) remote_obj_begin((c), (remote_obj *)(obj), (op))

/* ---- the vtables of each kind (remote-*.c) --------------------------------------------------- */

extern const IMsgStoreVtbl remote_store_vtbl;
extern const IMAPIFolderVtbl remote_folder_vtbl;
extern const IMessageVtbl remote_message_vtbl;
extern const IAttachVtbl remote_attach_vtbl;
extern const IMAPITableVtbl remote_table_vtbl;
extern const IStreamVtbl remote_stream_vtbl;
extern const IMAPIXChangeJournalVtbl remote_journal_vtbl;

/* IExchangeManageStore on a remote store (remote-store.c). */
HRESULT remote_manage_new(remote_obj *store, LPVOID *ppv);
/* CreateStoreEntryID on a store handle, or on the connection (handle 0)
 * for an identity with no store open. */
HRESULT remote_create_store_entryid(remote_conn *conn, uint32_t handle, LPCSTR lpszMsgStoreDN, LPCSTR lpszMailboxDN,
                                    ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID);
/* OpenEntry shared by stores and folders. */
HRESULT remote_open_entry(remote_obj *o, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags,
                          ULONG *lpulObjType, LPUNKNOWN *lppUnk);
/* OpenProperty(PR_ACL_TABLE) on a folder proxy (remote-acl.c). */
HRESULT remote_acl_open(remote_obj *folder, LPCIID lpiid, ULONG ulFlags, LPUNKNOWN *lppUnk);
/* Table proxies release their advises when they go (remote-table.c). */
void remote_table_destroy(remote_obj *o);
/* Store proxies forget their advise records (remote-store.c). */
void remote_store_destroy(remote_obj *o);
/* After a revive: moves the store's advises from the lost connection and
 * sends them again on the store's new handle. */
void remote_store_revive_advises(remote_obj *store, remote_conn *from);

#endif
