/*
 * proto.h — the mapixd protocol, shared by the server (src/server) and the
 * remote store provider (src/providers/remote): length-prefixed, versioned
 * frames whose payloads carry the foundation's wire encoding (mapixwire.h)
 * plus the few structures it does not cover (strings with their width,
 * entry lists, named-property ids, problem arrays, notifications).
 *
 * A connection is a sequence of frames. Each starts with a 16-byte header:
 * magic "MPXD", version, kind (request, one-way request, reply, event), a
 * request id that the reply echoes, and the payload length, which never
 * exceeds the negotiated maximum. A request names an object handle and an
 * operation; a reply starts with the HRESULT and the server's error text.
 * docs/protocol.md ("mapixd protocol") documents the bytes; every decoder
 * here is hardened like the wire decoder: truncation, impossible counts or
 * unknown values fail with MAPI_E_CORRUPT_DATA and never over-allocate.
 *
 * Internal to libmapix and mapixd (mapix_proto_ prefix, no exports).
 */
#ifndef MAPIX_CORE_PROTO_H
#define MAPIX_CORE_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <mapix/mapidefs.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixwire.h>

#define MAPIX_PROTO_MAGIC 0x4458504DU /* "MPXD" in the byte order of the wire */
#define MAPIX_PROTO_VERSION 1
#define MAPIX_PROTO_HEADER_SIZE 16
/* Upper bound of any frame, whatever the configuration says. */
#define MAPIX_PROTO_MAX_FRAME_LIMIT (256u * 1024 * 1024)
#define MAPIX_PROTO_DEFAULT_MAX_FRAME (16u * 1024 * 1024)
/* Bytes one stream Read/Write request carries at most. */
#define MAPIX_PROTO_STREAM_CHUNK (256u * 1024)

enum mapix_proto_kind {
	MAPIX_PROTO_REQUEST = 1, /* a reply follows */
	MAPIX_PROTO_ONEWAY = 2,  /* no reply (handle releases) */
	MAPIX_PROTO_REPLY = 3,
	MAPIX_PROTO_EVENT = 4,   /* pushed notifications */
};

typedef struct mapix_proto_header {
	uint16_t version;
	uint16_t kind;
	uint32_t id;
	uint32_t length;
} mapix_proto_header;

/* Handle 0 is the connection itself; the others name server objects. */
#define MAPIX_PROTO_CONN_HANDLE 0

/* Operations. Numbers are part of the protocol: append only. */
enum mapix_proto_op {
	/* connection (handle 0) */
	MPX_OP_HELLO = 1,
	MPX_OP_LOGON = 2,          /* a mailbox by name, DN or SMTP address */
	MPX_OP_LOGON_ENTRYID = 3,  /* a mailbox by store entry ID (CreateStoreEntryID) */
	MPX_OP_ADMIN_CREATE = 4,   /* create an account and its mailbox */
	MPX_OP_ADMIN_DELETE = 5,
	MPX_OP_ADMIN_GRANT = 6,
	MPX_OP_ADMIN_REVOKE = 7,
	MPX_OP_RELEASE = 8,        /* one-way: the handle in the request goes */
	MPX_OP_STATUS = 9,
	MPX_OP_LOGON_PASSWORD = 10, /* TCP: account name and password, before anything else */
	/* administration, continued (docs/mapixd.md "Administration") */
	MPX_OP_ADMIN_LIST_ACCOUNTS = 15,
	MPX_OP_ADMIN_LIST_GRANTS = 16,
	MPX_OP_ADMIN_SET_QUOTA = 17,
	MPX_OP_ADMIN_GET_QUOTA = 18,
	MPX_OP_ADMIN_STATUS = 19,
	/* IMAPIProp, on any property object */
	MPX_OP_GETPROPS = 20,
	MPX_OP_GETPROPLIST,
	MPX_OP_SETPROPS,
	MPX_OP_DELETEPROPS,
	MPX_OP_SAVECHANGES,
	MPX_OP_OPENPROPERTY,
	MPX_OP_COPYTO,
	MPX_OP_COPYPROPS,
	MPX_OP_GETNAMESFROMIDS,
	MPX_OP_GETIDSFROMNAMES,
	/* IMsgStore */
	MPX_OP_STORE_ADVISE = 40,
	MPX_OP_STORE_UNADVISE,
	MPX_OP_STORE_COMPAREENTRYIDS,
	MPX_OP_OPENENTRY,          /* store and folders */
	MPX_OP_STORE_SETRECEIVEFOLDER,
	MPX_OP_STORE_GETRECEIVEFOLDER,
	MPX_OP_STORE_GETRECEIVEFOLDERTABLE,
	MPX_OP_STORE_LOGOFF,
	MPX_OP_STORE_ABORTSUBMIT,
	MPX_OP_STORE_GETOUTGOINGQUEUE,
	MPX_OP_STORE_SETLOCKSTATE,
	MPX_OP_STORE_FINISHEDMSG,
	MPX_OP_STORE_NOTIFYNEWMAIL,
	MPX_OP_STORE_JOURNAL,      /* QueryInterface(IID_IMAPIXChangeJournal) */
	MPX_OP_JOURNAL_LAST,
	MPX_OP_JOURNAL_SINCE,
	MPX_OP_MANAGE_CREATESTOREENTRYID,
	MPX_OP_MANAGE_GETMAILBOXTABLE,
	/* IMAPIFolder */
	MPX_OP_FOLDER_CONTENTSTABLE = 70,
	MPX_OP_FOLDER_HIERARCHYTABLE,
	MPX_OP_FOLDER_SETSEARCHCRITERIA,
	MPX_OP_FOLDER_GETSEARCHCRITERIA,
	MPX_OP_FOLDER_CREATEMESSAGE,
	MPX_OP_FOLDER_COPYMESSAGES,
	MPX_OP_FOLDER_DELETEMESSAGES,
	MPX_OP_FOLDER_CREATEFOLDER,
	MPX_OP_FOLDER_COPYFOLDER,
	MPX_OP_FOLDER_DELETEFOLDER,
	MPX_OP_FOLDER_SETREADFLAGS,
	MPX_OP_FOLDER_GETMESSAGESTATUS,
	MPX_OP_FOLDER_SETMESSAGESTATUS,
	MPX_OP_FOLDER_SAVECONTENTSSORT,
	MPX_OP_FOLDER_EMPTYFOLDER,
	/* IMessage */
	MPX_OP_MSG_ATTACHMENTTABLE = 100,
	MPX_OP_MSG_OPENATTACH,
	MPX_OP_MSG_CREATEATTACH,
	MPX_OP_MSG_DELETEATTACH,
	MPX_OP_MSG_RECIPIENTTABLE,
	MPX_OP_MSG_MODIFYRECIPIENTS,
	MPX_OP_MSG_SUBMITMESSAGE,
	MPX_OP_MSG_SETREADFLAG,
	/* IMAPITable */
	MPX_OP_TABLE_GETSTATUS = 120,
	MPX_OP_TABLE_SETCOLUMNS,
	MPX_OP_TABLE_QUERYCOLUMNS,
	MPX_OP_TABLE_GETROWCOUNT,
	MPX_OP_TABLE_SEEKROW,
	MPX_OP_TABLE_SEEKROWAPPROX,
	MPX_OP_TABLE_QUERYPOSITION,
	MPX_OP_TABLE_FINDROW,
	MPX_OP_TABLE_RESTRICT,
	MPX_OP_TABLE_CREATEBOOKMARK,
	MPX_OP_TABLE_FREEBOOKMARK,
	MPX_OP_TABLE_SORTTABLE,
	MPX_OP_TABLE_QUERYSORTORDER,
	MPX_OP_TABLE_QUERYROWS,
	MPX_OP_TABLE_ABORT,
	MPX_OP_TABLE_EXPANDROW,
	MPX_OP_TABLE_COLLAPSEROW,
	MPX_OP_TABLE_WAITFORCOMPLETION,
	MPX_OP_TABLE_ADVISE,
	MPX_OP_TABLE_UNADVISE,
	MPX_OP_TABLE_GETCOLLAPSESTATE,
	MPX_OP_TABLE_SETCOLLAPSESTATE,
	/* IStream */
	MPX_OP_STREAM_READ = 150,
	MPX_OP_STREAM_WRITE,
	MPX_OP_STREAM_SEEK,
	MPX_OP_STREAM_SETSIZE,
	MPX_OP_STREAM_COPYTO,
	MPX_OP_STREAM_COMMIT,
	MPX_OP_STREAM_REVERT,
	MPX_OP_STREAM_STAT,
	MPX_OP_STREAM_CLONE,
	/* hosted mailbox backup, streamed to an administrator */
	MPX_OP_ADMIN_BACKUP_BEGIN = 170,
	MPX_OP_ADMIN_BACKUP_READ = 171,
	MPX_OP_ADMIN_BACKUP_END = 172,
	/* Folder permissions: IExchangeModifyTable on a folder's PR_ACL_TABLE */
	MPX_OP_ACL_GETTABLE = 160, /* folder: GetTable(flags) -> table */
	MPX_OP_ACL_MODIFY,         /* folder: ModifyTable(flags, ROWLIST) */
	/* the address book (connection, handle 0): 180-189 */
	MPX_OP_DIRECTORY_TABLE = 180, /* the account directory as a GAL table */
};

/* Kinds of server objects, as the reply that creates a handle states them
 * (the client builds the matching proxy). */
enum mapix_proto_objkind {
	MPX_OBJ_STORE = 1,
	MPX_OBJ_FOLDER = 2,
	MPX_OBJ_MESSAGE = 3,
	MPX_OBJ_ATTACH = 4,
	MPX_OBJ_TABLE = 5,
	MPX_OBJ_STREAM = 6,
	MPX_OBJ_JOURNAL = 7,
};

/* Mailbox grants (MPX_OP_ADMIN_GRANT and the directory): MAPIX_GRANT_* of
 * mapixremote.h. */

/* String kinds of a LPTSTR argument. */
enum { MPX_STR_NULL = 0, MPX_STR_8BIT = 1, MPX_STR_UNICODE = 2 };

/* ---- proto_frame.c: frame headers and whole frames on a descriptor ----------- */

/* A connection's byte stream: a socket, with a TLS session on it for TCP
 * (a gnutls_session_t made by the caller, non-blocking on a non-blocking
 * socket). Every wait is a poll() with a deadline, TLS or not, so the
 * timeouts below hold for both. One thread may read while another writes
 * (GnuTLS allows one sender and one receiver per session). */
typedef struct mapix_proto_io {
	int fd;
	void *tls; /* gnutls_session_t, or NULL: plain socket */
} mapix_proto_io;

void mapix_proto_header_encode(BYTE out[MAPIX_PROTO_HEADER_SIZE], uint16_t kind, uint32_t id, uint32_t length);
/* Checks magic, version, kind and length (<= max_payload): MAPI_E_CORRUPT_DATA
 * or MAPI_E_VERSION with a message otherwise. */
HRESULT mapix_proto_header_decode(const BYTE in[MAPIX_PROTO_HEADER_SIZE], uint32_t max_payload,
                                  mapix_proto_header *hdr);
/* Writes header + payload completely; waits at most timeout_ms for the peer
 * to drain (0: do not wait at all). MAPI_E_NETWORK_ERROR on failure. */
HRESULT mapix_proto_write_frame(int fd, uint16_t kind, uint32_t id, const void *payload, size_t cb,
                                int timeout_ms);
/* The same, after `before` (whole frames already encoded, e.g. releases a
 * client deferred), in one system call when the socket takes it all. */
HRESULT mapix_proto_write_frames(int fd, const void *before, size_t cb_before, uint16_t kind, uint32_t id,
                                 const void *payload, size_t cb, int timeout_ms);
/* Reads exactly cb bytes; timeout_ms < 0 waits forever. MAPI_E_NETWORK_ERROR
 * on EOF, error or timeout (*eof tells a clean EOF at a frame boundary). */
HRESULT mapix_proto_read_full(int fd, void *buf, size_t cb, int timeout_ms, BOOL *eof);
/* The same on a stream that may carry TLS (the fd versions are plain). */
HRESULT mapix_proto_io_write_frame(const mapix_proto_io *io, uint16_t kind, uint32_t id, const void *payload,
                                   size_t cb, int timeout_ms);
/* mapix_proto_write_frames on such a stream: over TLS the pieces are copied
 * into one record as far as they fit. */
HRESULT mapix_proto_io_write_frames(const mapix_proto_io *io, const void *before, size_t cb_before, uint16_t kind,
                                    uint32_t id, const void *payload, size_t cb, int timeout_ms);
HRESULT mapix_proto_io_read_full(const mapix_proto_io *io, void *buf, size_t cb, int timeout_ms, BOOL *eof);
/* Runs the TLS handshake of io->tls on its non-blocking socket until done
 * or timeout_ms has passed. MAPI_E_NETWORK_ERROR with GnuTLS's reason
 * otherwise (what is the caller's to interpret: a failed certificate check
 * on the client is reported by the client). Returns the GnuTLS code in
 * *gnutls_rc when not NULL. */
HRESULT mapix_proto_tls_handshake(const mapix_proto_io *io, int timeout_ms, int *gnutls_rc);

/* ---- proto_fields.c: payload fields beyond mapixwire.h ------------------------ */

/* A decode arena: the MAPI memory roots a request's decoding allocated,
 * freed together when the request is done. Zero-initialize it. */
typedef struct mapix_proto_arena {
	void **roots;
	size_t n, cap;
} mapix_proto_arena;

void mapix_proto_arena_free(mapix_proto_arena *a);
/* Zeroed memory that lives until the arena is freed. */
HRESULT mapix_proto_arena_alloc(mapix_proto_arena *a, size_t cb, void **out);
/* Hands a MAPIAllocateBuffer root to the arena (freed with it; on failure
 * the root is freed at once). */
HRESULT mapix_proto_arena_adopt(mapix_proto_arena *a, void *root);

/* LPTSTR: kind byte, count, then bytes (8-bit) or UTF-16LE units. */
HRESULT mapix_proto_put_tstr(MAPIXWIREBUF *b, const void *s, BOOL unicode);
/* *out is char* or WCHAR* (NUL-terminated), NULL for MPX_STR_NULL; *unicode tells which. */
HRESULT mapix_proto_get_tstr(MAPIXWIRECURSOR *c, mapix_proto_arena *a, void **out, BOOL *unicode);
/* UTF-8 text (server names, error texts). */
HRESULT mapix_proto_put_str(MAPIXWIREBUF *b, const char *s);
HRESULT mapix_proto_get_str(MAPIXWIRECURSOR *c, mapix_proto_arena *a, char **out);
/* Binary with a 32-bit count; cb 0 decodes to a NULL pointer. */
HRESULT mapix_proto_put_bin(MAPIXWIREBUF *b, ULONG cb, const void *pb);
HRESULT mapix_proto_get_bin(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *cb, BYTE **pb);
/* Optional GUID / IID. */
HRESULT mapix_proto_put_guid(MAPIXWIREBUF *b, const GUID *g);
HRESULT mapix_proto_get_guid(MAPIXWIRECURSOR *c, mapix_proto_arena *a, GUID **out);
/* Optional tag array, sort order set and entry list. */
HRESULT mapix_proto_put_tags(MAPIXWIREBUF *b, const SPropTagArray *t);
HRESULT mapix_proto_get_tags(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSPropTagArray *out);
HRESULT mapix_proto_put_sort(MAPIXWIREBUF *b, const SSortOrderSet *s);
HRESULT mapix_proto_get_sort(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSSortOrderSet *out);
HRESULT mapix_proto_put_entrylist(MAPIXWIREBUF *b, const SBinaryArray *l);
HRESULT mapix_proto_get_entrylist(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPENTRYLIST *out);
/* Property arrays and restrictions into the arena. */
HRESULT mapix_proto_get_props(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *count, LPSPropValue *out);
HRESULT mapix_proto_get_restriction(MAPIXWIRECURSOR *c, mapix_proto_arena *a, LPSRestriction *out);
/* Optional row set (also ADRLIST, which has the same layout): *out is a
 * FreeProws-shaped row set the caller frees (NULL when absent). */
HRESULT mapix_proto_put_rows(MAPIXWIREBUF *b, const SRowSet *r);
HRESULT mapix_proto_get_rows(MAPIXWIRECURSOR *c, LPSRowSet *out);
/* Named property ids (entries may be NULL). With a NULL arena the array is
 * one MAPIAllocateBuffer root (what GetNamesFromIDs returns). */
HRESULT mapix_proto_put_names(MAPIXWIREBUF *b, ULONG n, LPMAPINAMEID *names);
HRESULT mapix_proto_get_names(MAPIXWIRECURSOR *c, mapix_proto_arena *a, ULONG *n, LPMAPINAMEID **out);
/* Optional problem array; decoded as one MAPIAllocateBuffer root. */
HRESULT mapix_proto_put_problems(MAPIXWIREBUF *b, const SPropProblemArray *p);
HRESULT mapix_proto_get_problems(MAPIXWIRECURSOR *c, LPSPropProblemArray *out);
/* Notifications: count, then each. Decoded as one MAPIAllocateBuffer root. */
HRESULT mapix_proto_put_notifs(MAPIXWIREBUF *b, ULONG n, const NOTIFICATION *notifs);
HRESULT mapix_proto_get_notifs(MAPIXWIRECURSOR *c, ULONG *n, LPNOTIFICATION *out);

/* Records MAPI_E_CORRUPT_DATA naming what and the offset. */
HRESULT mapix_proto_corrupt(const MAPIXWIRECURSOR *c, const char *what);

/* ---- proto_logon.c: the password logon request (MPX_OP_LOGON_PASSWORD) ------- */

/* Longest password accepted on the wire (bytes of UTF-8). */
#define MAPIX_PROTO_MAX_PASSWORD 1024
/* Arguments: string account name, string password. */
HRESULT mapix_proto_put_logon(MAPIXWIREBUF *b, const char *account, const char *password);
/* Decodes and checks them (a name of 1-64 of [A-Za-z0-9._-], a password of
 * 1-MAPIX_PROTO_MAX_PASSWORD bytes without NUL, nothing after): both point
 * into the arena. MAPI_E_CORRUPT_DATA otherwise. */
HRESULT mapix_proto_get_logon(MAPIXWIRECURSOR *c, mapix_proto_arena *a, char **account, char **password);

#endif
