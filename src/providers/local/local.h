/*
 * local.h — the local message store provider: one SQLite mailbox per file
 * behind the provider interface of mapispi.h (IMSProvider -> IMSLogon +
 * IMsgStore). This header is private to src/providers/local/.
 *
 * Objects. Every MAPI object of the store (IMsgStore, IMAPIFolder,
 * IMessage, IAttach) is a local_object: the vtable pointer first, then a
 * reference count, the logon it belongs to, its object id in the props
 * table and a table of per-kind operations (local_object_ops). One
 * IMAPIProp implementation (local-object.c) serves all kinds; the kinds
 * add computed properties, their own methods and what SaveChanges means.
 *
 * Transactions. Stores and folders write through: SetProps commits at once
 * and SaveChanges does nothing, as on Exchange. Messages and attachments
 * are transacted: their property changes, recipients, attachments and
 * embedded messages are staged in memory (large values in temporary
 * files) and the top-level message's SaveChanges commits all of it in one
 * write transaction. An object released unsaved leaves nothing behind.
 *
 * Locking. A logon owns one SQLite connection guarded by db->lock; every
 * method takes it for its whole duration, so objects of one logon can be
 * used from several threads.
 */
#ifndef MAPIX_LOCAL_H
#define MAPIX_LOCAL_H

#include <stdatomic.h>
#include <stdint.h>

#include <mapix/mapispi.h>
#include <mapix/mapiutil.h>
#include <mapix/edkmdb.h>

#include "local-db.h"

/* Values at least this large (bytes) are stored in chunks, streamed by
 * OpenProperty, and reported by GetProps as PT_ERROR
 * MAPI_E_NOT_ENOUGH_MEMORY, as Exchange does for large values. */
#define LOCAL_LARGE_VALUE 32768
#define LOCAL_CHUNK_SIZE 65536
/* Tables truncate long strings and binaries to this many bytes/characters
 * (MS-OXCDATA). */
#define LOCAL_TABLE_TRUNCATE 255

enum local_kind {
	LOCAL_KIND_STORE,
	LOCAL_KIND_FOLDER,
	LOCAL_KIND_MESSAGE,
	LOCAL_KIND_ATTACH,
};

typedef struct local_logon local_logon;
typedef struct local_object local_object;
typedef struct local_staged local_staged;

/* One open mailbox: the provider's logon object and what every object of
 * the mailbox shares. */
struct local_logon {
	IMSLogon ms_logon;       /* must stay first: the IMSLogon handed to MAPI */
	atomic_ulong refs;       /* the IMSLogon, the store object and each open object hold one */
	local_db *db;
	LPMAPISUP support;       /* MAPI support object (notifications, allocators) */
	ULONG flags;             /* logon flags (MDB_WRITE ...) */
	char *server;            /* server short name for the store entry ID */
	char *account;           /* account name for the store entry ID */
	local_object *store;     /* the IMsgStore (not counted) */
	/* Notifications from the change journal (local-watch.c). */
	struct mapix_instance *inst; /* the MAPI instance that logged on, or NULL */
	pthread_mutex_t watch_lock;
	BOOL watching;           /* started by the first Advise */
	uint64_t notified_cn;    /* changes up to here have been announced */
	int inotify_fd;          /* other processes' writes (-1 when none) */
	ULONG_PTR source_id;     /* the inotify descriptor's engine source */
	BOOL batch;              /* MAPIXBeginStoreBatch's transaction is open */
};

typedef struct local_object_ops {
	enum local_kind kind;
	ULONG obj_type;              /* PR_OBJECT_TYPE */
	const IID *const *iids;      /* NULL-terminated list QueryInterface accepts */
	BOOL transacted;
	/* A computed property: fills *out (data allocated on lpParent) and
	 * returns S_OK, or MAPI_E_NOT_FOUND when the tag is not computed here
	 * (then the stored value is used). */
	HRESULT (*computed)(local_object *o, ULONG tag, LPVOID lpParent, LPSPropValue out);
	const ULONG *computed_tags;  /* listed by GetPropList */
	ULONG n_computed_tags;
	/* TRUE for properties SetProps/DeleteProps must refuse (computed). */
	BOOL (*readonly)(ULONG tag);
	/* Kind-specific SaveChanges (transacted kinds only). */
	HRESULT (*save)(local_object *o, ULONG ulFlags);
	/* Kind-specific clean-up before the object is freed. */
	void (*destroy)(local_object *o);
	/* Write-through kinds: called inside the write transaction after
	 * SetProps/DeleteProps changed stored values (bump the change number,
	 * journal the change, mirror columns such as a folder's name). `v` is
	 * the value set, or NULL with `deleted_tag` for a deletion. May set
	 * *handled to TRUE when it stored the value itself. */
	HRESULT (*write_hook)(local_object *o, const SPropValue *v, ULONG deleted_tag, BOOL *handled);
	/* OpenProperty for tags the kind handles itself (PR_ATTACH_DATA_OBJ,
	 * table properties...); MAPI_E_NO_SUPPORT falls back to streams. */
	HRESULT (*open_property)(local_object *o, ULONG tag, LPCIID lpiid, ULONG opts, ULONG flags, LPUNKNOWN *lppUnk);
	/* CopyTo/CopyProps: copies what is not a plain property (recipients,
	 * attachments, subfolders, contents) unless excluded. */
	HRESULT (*copy_subobjects)(local_object *o, LPSPropTagArray exclude, LPVOID dest, ULONG flags,
	                           LPSPropProblemArray *problems);
} local_object_ops;

/* A staged property change of a transacted object. */
typedef struct local_change {
	ULONG tag;               /* normalized tag (strings as PT_UNICODE) */
	LPSPropValue value;      /* own MAPIAllocateBuffer root; NULL = deleted */
	int stream_fd;           /* >= 0: value is in this temporary file instead */
	uint64_t stream_size;
} local_change;

struct local_object {
	const void *lpVtbl;      /* IMsgStoreVtbl / IMAPIFolderVtbl / IMessageVtbl / IAttachVtbl */
	atomic_ulong refs;
	const local_object_ops *ops;
	local_logon *logon;
	uint64_t id;             /* object id in props (0 = store; 0 also for an unsaved new message) */
	uint64_t fid;            /* folder: own id; message: parent folder */
	ULONG access;            /* MAPI_MODIFY when writable */
	BOOL is_new;             /* created and not saved yet */
	BOOL deleted;            /* the object was deleted underneath */
	uint64_t change_number;  /* as read when opened, for MAPI_E_OBJECT_CHANGED */
	/* staged changes of a transacted object */
	local_change *changes;
	ULONG n_changes, cap_changes;
	void *kind_data;         /* kind-specific state (recipients, attachments ...) */
	local_object *parent;    /* attachment: its message; embedded message: its attachment */
	/* Read path (local-object.c). Stored values read with one query
	 * (local-propset.h): a transacted object keeps them until it is saved
	 * or released (an open message is a snapshot), others for one call. */
	struct local_propset *props_cache;
	/* Bumped (under the lock) when a read call starts and ends, so a kind
	 * can reuse its database row within one call (local_object_call_row). */
	ULONG read_seq;
	ULONG row_seq;           /* read_seq when row_cache was filled */
	BOOL read_txn;           /* the current read call began a read transaction */
	void *row_cache;         /* the kind's row, malloc'd, freed with the object */
};

/* Every method except IUnknown's refuses a caller from another security
 * context than the one that opened the store (MAPI_E_NO_ACCESS): objects
 * are never shared across identities by accident (design.md). */
HRESULT local_check_caller(const local_object *o, const char *method);
#define LOCAL_CHECK_CALLER(This, method)                                              \
	do {                                                                              \
		HRESULT hr_caller_ = local_check_caller((const local_object *)(This), method); \
		if (FAILED(hr_caller_))                                                       \
			return hr_caller_;                                                        \
	} while (0)

/* ---- local-object.c: the one IMAPIProp implementation ---------------------- */
HRESULT local_object_new(local_logon *logon, const local_object_ops *ops, const void *vtbl, size_t size,
                         local_object **out);
/* The IMAPIProp methods, shared by every kind's vtable. */
HRESULT local_prop_QueryInterface(void *This, REFIID riid, LPVOID *ppvObj);
ULONG local_prop_AddRef(void *This);
ULONG local_prop_Release(void *This);
HRESULT local_prop_GetLastError(void *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError);
HRESULT local_prop_SaveChanges(void *This, ULONG ulFlags);
HRESULT local_prop_GetProps(void *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                            LPSPropValue *lppPropArray);
HRESULT local_prop_GetPropList(void *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray);
HRESULT local_prop_OpenProperty(void *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, ULONG ulFlags,
                                LPUNKNOWN *lppUnk);
HRESULT local_prop_SetProps(void *This, ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems);
HRESULT local_prop_DeleteProps(void *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems);
HRESULT local_prop_CopyTo(void *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,
                          ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                          ULONG ulFlags, LPSPropProblemArray *lppProblems);
HRESULT local_prop_CopyProps(void *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                             LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                             LPSPropProblemArray *lppProblems);
HRESULT local_prop_GetNamesFromIDs(void *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags,
                                   ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames);
HRESULT local_prop_GetIDsFromNames(void *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                   LPSPropTagArray *lppPropTags);

/* Initializer for the IMAPIProp part of any kind's vtable. */
#define LOCAL_IMAPIPROP_METHODS(I)                                                                       \
	.QueryInterface = (void *)local_prop_QueryInterface, .AddRef = (void *)local_prop_AddRef,            \
	.Release = (void *)local_prop_Release, .GetLastError = (void *)local_prop_GetLastError,              \
	.SaveChanges = (void *)local_prop_SaveChanges, .GetProps = (void *)local_prop_GetProps,              \
	.GetPropList = (void *)local_prop_GetPropList, .OpenProperty = (void *)local_prop_OpenProperty,      \
	.SetProps = (void *)local_prop_SetProps, .DeleteProps = (void *)local_prop_DeleteProps,              \
	.CopyTo = (void *)local_prop_CopyTo, .CopyProps = (void *)local_prop_CopyProps,                      \
	.GetNamesFromIDs = (void *)local_prop_GetNamesFromIDs, .GetIDsFromNames = (void *)local_prop_GetIDsFromNames

/* The kind's database row for the current read call: returns the copy
 * made earlier in this call (TRUE), or FALSE after pointing *row at a
 * buffer of `size` bytes the caller fills and then marks with
 * local_object_call_row_filled. NULL *row: out of memory (read it
 * without caching). */
BOOL local_object_call_row(local_object *o, size_t size, void **row);
void local_object_call_row_filled(local_object *o);

/* Staged changes (transacted objects). */
HRESULT local_object_stage(local_object *o, LPSPropValue v);
HRESULT local_object_stage_delete(local_object *o, ULONG tag);
local_change *local_object_find_change(local_object *o, ULONG tag);
void local_object_clear_changes(local_object *o);
/* Writes the staged changes of o to obj_id in the props table (inside the
 * caller's write transaction) and clears them. */
HRESULT local_object_flush_changes(local_object *o, uint64_t obj_id);

/* ---- local-stream.c: IStream on a property (OpenProperty) ------------------ */
HRESULT local_stream_open(local_object *o, ULONG tag, ULONG flags, LPSTREAM *lppStream);

/* ---- local-props.c: property values in the props table ----------------------- */
/* Normalized tag: 8-bit and Unicode strings share one stored form (UTF-8
 * text, PT_UNICODE tag); PT_STRING8 requests are converted on the way out. */
ULONG local_props_normalize_tag(ULONG tag);
/* Reads one stored value (tag normalized) into *out, converting strings to
 * the requested type; large values give PT_ERROR MAPI_E_NOT_ENOUGH_MEMORY
 * unless allow_large. MAPI_E_NOT_FOUND when absent. */
HRESULT local_props_read(local_db *db, uint64_t obj, ULONG want_tag, LPVOID lpParent, LPSPropValue out,
                         BOOL allow_large);
/* Lists the stored tags of obj (normalized). Caller frees with free(). */
HRESULT local_props_list(local_db *db, uint64_t obj, ULONG **tags, ULONG *count);
/* Writes (replaces) one value; MAPI_E_INVALID_TYPE etc. for unstorable types. */
HRESULT local_props_write(local_db *db, uint64_t obj, const SPropValue *v);
/* The same for an object created in this transaction (nothing to replace). */
HRESULT local_props_insert(local_db *db, uint64_t obj, const SPropValue *v);
/* Writes a large value from a file descriptor, in chunks. */
HRESULT local_props_write_stream(local_db *db, uint64_t obj, ULONG tag, int fd, uint64_t size);
HRESULT local_props_delete(local_db *db, uint64_t obj, ULONG tag);
/* Deletes every property of obj. */
HRESULT local_props_delete_all(local_db *db, uint64_t obj);
/* Copies every property of src to dst (inside a write transaction). */
HRESULT local_props_copy_all(local_db *db, uint64_t src, uint64_t dst);
/* Bytes a value occupies (for PR_MESSAGE_SIZE and RES_SIZE). */
uint64_t local_props_value_size(const SPropValue *v);
/* Total stored size of obj's properties. */
HRESULT local_props_total_size(local_db *db, uint64_t obj, uint64_t *size);

/* ---- local-names.c: named properties ------------------------------------------ */
HRESULT local_names_get_ids(local_db *db, ULONG cNames, LPMAPINAMEID *names, ULONG ulFlags,
                            LPSPropTagArray *lppTags);
HRESULT local_names_get_names(local_db *db, LPSPropTagArray *lppTags, LPGUID lpGuid, ULONG ulFlags,
                              ULONG *lpcNames, LPMAPINAMEID **lpppNames);

/* ---- local-logon.c: provider, logon, lifetime ---------------------------------- */
/* Opens the mailbox at path for a logon (flags: MDB_WRITE, MAPIX_OPEN_CREATE...). */
HRESULT local_logon_open(const char *path, ULONG flags, LPMAPISUP support, local_logon **out);
void local_logon_release(local_logon *logon);
/* Sends a notification for the mailbox through the support object
 * (no-op without one). */
void local_logon_notify(local_logon *logon, ULONG ulEventType, const NOTIFICATION *n);

/* ---- local-watch.c: notifications from the change journal ---------------------- */
/* Starts announcing changes (first Advise): after every commit of this
 * logon, and — when the logon has a MAPI instance — for changes other
 * processes commit (inotify on the mailbox, watched by the instance's
 * notification engine). */
HRESULT local_watch_start(local_logon *logon);
void local_watch_stop(local_logon *logon);

/* ---- local-store.c: IMsgStore ----------------------------------------------------- */
HRESULT local_store_new(local_logon *logon, local_object **out);
/* Creates the standard folders and the store properties of a new mailbox
 * (inside the caller's write transaction). */
HRESULT local_store_init_mailbox(local_db *db);
/* Opens what an entry ID names (folder or message) in this mailbox. */
HRESULT local_store_open_entry(local_logon *logon, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                               ULONG *lpulObjType, LPUNKNOWN *lppUnk);

/* ---- local-folder.c: IMAPIFolder ---------------------------------------------------- */
HRESULT local_folder_open(local_logon *logon, uint64_t fid, ULONG ulFlags, local_object **out);
/* Inserts a folder row (inside a write transaction); fid 0 allocates one. */
HRESULT local_folder_insert(local_db *db, uint64_t parent, const char *name, ULONG type, uint64_t fid,
                            uint64_t *out_fid);
/* Adjusts a folder's kept counters (inside a write transaction). */
HRESULT local_folder_adjust_counts(local_db *db, uint64_t fid, int64_t d_content, int64_t d_unread,
                                   int64_t d_assoc, int64_t d_size);

/* ---- local-message.c, local-recipients.c, local-attach.c: IMessage, IAttach ----------- */
HRESULT local_message_open(local_logon *logon, uint64_t fid, uint64_t mid, ULONG ulFlags, local_object **out);
HRESULT local_message_create(local_logon *logon, uint64_t fid, BOOL associated, local_object **out);
/* Copies (or moves) a saved message with everything in it to dest_fid
 * (inside a write transaction); *new_mid receives the copy's id. */
HRESULT local_message_copy(local_db *db, uint64_t mid, uint64_t dest_fid, BOOL move, uint64_t *new_mid);
/* Deletes a saved message with its recipients, attachments and embedded
 * messages, adjusts counters and journals a tombstone. */
HRESULT local_message_delete(local_db *db, uint64_t mid);

/* ---- local-journal.c: the change journal ---------------------------------------------- */
/* Records a change with a new change number (inside the write transaction
 * that makes the change); *cn receives it. */
HRESULT local_journal_add(local_db *db, int kind, ULONG obj_type, uint64_t id, uint64_t fid, uint64_t old_fid,
                          uint64_t *cn);

#endif
