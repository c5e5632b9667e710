/*
 * local-message.h — what the message side of the local store shares
 * (local-message.c, local-recipients.c, local-attach.c, local-stream.c):
 * the staged state of a message (recipients, attachments, embedded
 * messages) and the helpers that copy it, write it and size it. Private to
 * src/providers/local/; the module API the rest of the store uses is in
 * local.h.
 *
 * Staging. A message's property changes live in its local_object (see
 * local-object.c). Its recipients and attachments live in a local_msgstate
 * (the object's kind_data): loaded from the database on first use, then
 * modified in memory. An IAttach commits into its message's attachment
 * entry (local_attentry) on SaveChanges; an embedded message commits into
 * its IAttach the same way. The entries are deep copies (staged large
 * values are temporary files shared by dup(), never written again once
 * staged), so every object can be released in any order. Only the
 * top-level message's SaveChanges writes, in one transaction.
 *
 * A state or entry marked is_new is complete: writing it first removes
 * whatever the database holds at that place (the same attachment number,
 * the attachment's embedded message) and then inserts it whole.
 */
#ifndef MAPIX_LOCAL_MESSAGE_H
#define MAPIX_LOCAL_MESSAGE_H

#include "local.h"

#define LOCAL_SEARCH_KEY_MAX 255
/* Embedded messages nest at most this deep (bounds every recursion). */
#define LOCAL_MAX_EMBED_DEPTH 32

typedef struct local_msgstate local_msgstate;

/* One recipient row: its properties (strings as PT_UNICODE) in one
 * MAPIAllocateBuffer block, without PR_ROWID (kept in rowid). */
typedef struct local_recip {
	ULONG rowid;
	ULONG cValues;
	LPSPropValue props;
} local_recip;

typedef struct local_recipset {
	BOOL loaded;    /* rows hold the current set */
	BOOL modified;  /* the set replaces the stored rows at save */
	local_recip *rows;
	ULONG n, cap;
	ULONG next_rowid;
} local_recipset;

typedef struct local_attentry {
	ULONG num;
	uint64_t aid;              /* 0: not in the database */
	BOOL is_new;               /* complete: replaces a stored attachment of that number */
	BOOL deleted;              /* removed at save */
	BOOL staged;               /* changes/embedded apply at save */
	local_change *changes;     /* property changes of the attachment */
	ULONG n_changes;
	local_msgstate *embedded;  /* staged embedded message, NULL = as stored */
} local_attentry;

typedef struct local_attset {
	BOOL loaded;
	BOOL modified;
	local_attentry *rows;
	ULONG n, cap;
	ULONG next_num;            /* attachment numbers are not reused while the message is open */
} local_attset;

struct local_msgstate {
	uint64_t mid;              /* database id; 0 when new */
	BOOL is_new;
	BOOL embedded;             /* lives in an attachment (no folder, no entry ID) */
	BOOL associated;
	BOOL flags_set;            /* flags changed since the last save */
	ULONG flags;               /* stored PR_MESSAGE_FLAGS bits (not HASATTACH/ASSOCIATED) */
	BYTE search_key[LOCAL_SEARCH_KEY_MAX];
	ULONG cb_search_key;
	uint64_t created, modified, size;
	local_recipset recips;
	local_attset atts;
	/* Property changes: only in snapshots held by an attachment. */
	local_change *changes;
	ULONG n_changes;
};

/* Attachment object state (kind_data of an IAttach). */
typedef struct local_attdata {
	ULONG num;
	local_msgstate *embedded;  /* committed embedded message, NULL = as stored */
	BOOL emb_size_known;       /* emb_size was read with the attachment table's rows */
	uint64_t emb_size;         /* size of the stored embedded message(s) */
} local_attdata;

/* ---- local-message.c ------------------------------------------------------------- */
HRESULT local_changes_copy(const local_change *src, ULONG n, local_change **dst, ULONG *dn);
void local_changes_free(local_change *c, ULONG n);
/* Writes staged changes to obj (inside a write transaction). */
HRESULT local_changes_flush(local_db *db, uint64_t obj, const local_change *c, ULONG n, BOOL fresh);
/* The same for a fresh obj, adding the sizes recorded in props.size to *stored. */
HRESULT local_changes_insert(local_db *db, uint64_t obj, const local_change *c, ULONG n, uint64_t *stored);
/* local-props.c: writes one value (fresh: no older value to replace);
 * *stored (may be NULL) receives the size recorded in props.size. */
HRESULT local_props_put(local_db *db, uint64_t obj, const SPropValue *v, BOOL fresh, uint64_t *stored);
/* local-props.c: inserts n values of a fresh obj, several rows per
 * statement; adds the sizes recorded in props.size to *stored (may be NULL). */
HRESULT local_props_insert_values(local_db *db, uint64_t obj, const SPropValue *const *v, ULONG n, uint64_t *stored);
/* Size of an object's properties with the staged changes applied. */
HRESULT local_changes_props_size(local_db *db, uint64_t obj, BOOL is_new, const local_change *c, ULONG n,
                                 uint64_t *size);
HRESULT local_msgstate_copy(const local_msgstate *src, local_msgstate **dst);
void local_msgstate_free(local_msgstate *s);
/* Total size of a message as it would be saved (props with the changes,
 * recipients, attachments, embedded messages). */
HRESULT local_msgstate_size(local_db *db, const local_msgstate *s, const local_change *c, ULONG n, int depth,
                            uint64_t *size);
/* Writes a staged embedded message of attachment aid (inside the write
 * transaction), then its stored size. */
HRESULT local_msgstate_write_embedded(local_db *db, const local_msgstate *s, uint64_t aid, uint64_t cn, int depth);
/* Deep copy / delete of a stored message (no journal, no counters). */
HRESULT local_message_copy_db(local_db *db, uint64_t mid, uint64_t dest_fid, uint64_t parent_aid, uint64_t cn,
                              int depth, uint64_t *new_mid);
HRESULT local_message_delete_db(local_db *db, uint64_t mid, int depth);
/* Recomputes and stores messages.size of mid from what is stored. */
HRESULT local_message_store_size(local_db *db, uint64_t mid, uint64_t *size);
/* Opens (or with MAPI_CREATE creates) the embedded message of an attachment. */
HRESULT local_message_open_embedded(local_object *att, ULONG ulFlags, local_object **out);
/* The message state of a message object. */
local_msgstate *local_message_state(local_object *o);
/* Whether the object is one of this module's messages / attachments. */
BOOL local_is_message(const local_object *o);
BOOL local_is_attach(const local_object *o);

/* ---- local-recipients.c ----------------------------------------------------------- */
HRESULT local_recips_load(local_db *db, const local_msgstate *s, local_recipset *rs);
HRESULT local_recipset_copy(const local_recipset *src, local_recipset *dst);
void local_recipset_free(local_recipset *rs);
uint64_t local_recipset_size(const local_recipset *rs);
/* Replaces the stored recipients of mid with rs (inside a write transaction);
 * fresh: mid was created in this transaction (no rows to replace).
 * *stored (may be NULL) receives the size of the properties written. */
HRESULT local_recips_write(local_db *db, uint64_t mid, const local_recipset *rs, BOOL fresh, uint64_t *stored);
HRESULT local_recips_copy_db(local_db *db, uint64_t src_mid, uint64_t dst_mid);
HRESULT local_recips_delete_db(local_db *db, uint64_t mid);
HRESULT local_message_GetRecipientTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable);
HRESULT local_message_ModifyRecipients(IMessage *This, ULONG ulFlags, LPADRLIST lpMods);
/* Copies the recipients of src (a local message) to dest (any IMessage). */
HRESULT local_recips_copy_to(local_object *src, LPMESSAGE dest, ULONG ulFlags);

/* ---- local-attach.c ------------------------------------------------------------------ */
HRESULT local_atts_load(local_db *db, const local_msgstate *s, local_attset *as);
HRESULT local_attset_copy(const local_attset *src, local_attset *dst);
void local_attset_free(local_attset *as);
/* Number of attachments the message has with its staged state. */
HRESULT local_atts_count(local_db *db, const local_msgstate *s, ULONG *count);
HRESULT local_atts_size(local_db *db, const local_attset *as, int depth, uint64_t *size);
/* Applies the staged attachments of mid (inside a write transaction). */
HRESULT local_atts_write(local_db *db, uint64_t mid, const local_attset *as, uint64_t cn, int depth);
HRESULT local_atts_copy_db(local_db *db, uint64_t src_mid, uint64_t dst_mid, uint64_t cn, int depth);
HRESULT local_atts_delete_db(local_db *db, uint64_t mid, int depth);
HRESULT local_message_GetAttachmentTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable);
HRESULT local_message_OpenAttach(IMessage *This, ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags,
                                 LPATTACH *lppAttach);
HRESULT local_message_CreateAttach(IMessage *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum,
                                   LPATTACH *lppAttach);
HRESULT local_message_DeleteAttach(IMessage *This, ULONG ulAttachmentNum, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags);
/* Copies the attachments of src (a local message) to dest (any IMessage). */
HRESULT local_atts_copy_to(local_object *src, LPMESSAGE dest, ULONG ulFlags);

/* ---- sort columns of the messages row (local-table-sql.c) ------------------------------------ */
/* The save path writes a message's sort columns itself, from the values
 * it saves, in the same INSERT or UPDATE as the rest of the row (schema
 * version 3 dropped the triggers that kept the integer ones). */
enum local_sort_col {
	LOCAL_SORT_DELIVERY,  /* s_delivery: PR_MESSAGE_DELIVERY_TIME */
	LOCAL_SORT_SUBMIT,    /* s_submit: PR_CLIENT_SUBMIT_TIME */
	LOCAL_SORT_IMPORTANCE, /* s_importance: PR_IMPORTANCE */
	LOCAL_SORT_N_INT,
	LOCAL_SORT_SUBJECT = LOCAL_SORT_N_INT, /* s_subject ... folded strings */
	LOCAL_SORT_NSUBJECT,
	LOCAL_SORT_CLASS,
	LOCAL_SORT_SENDER,
	LOCAL_SORT_NCOLS
};

typedef struct local_sort_keys {
	BOOL any;                          /* some column is touched */
	BOOL touched[LOCAL_SORT_NCOLS];    /* the changes set or remove the column's property */
	BOOL present[LOCAL_SORT_NCOLS];    /* ...and leave a value (else the missing key) */
	int64_t num[LOCAL_SORT_N_INT];     /* integer columns as stored */
	char *text[LOCAL_SORT_NCOLS];      /* string columns, folded (malloc'd; integer slots unused) */
	BOOL reread;                       /* a string is staged as a stream: run
	                                    * local_table_sort_refresh once it is written */
} local_sort_keys;

/* The sort columns the staged changes c[0..n) set. */
HRESULT local_table_sort_keys(const local_change *c, ULONG n, local_sort_keys *k);
void local_table_sort_keys_free(local_sort_keys *k);

/* ---- shared small helpers (local-message.c) ---------------------------------------------- */
HRESULT local_binary_value(LPSPropValue out, ULONG tag, const void *data, ULONG cb, LPVOID root);
/* Steps a bound statement to the end, collecting ncols integer columns of
 * each row into *vals (malloc'd, row-major) so the caller can recurse
 * while the cached statement is reused. */
HRESULT local_collect_ids(local_db *db, sqlite3_stmt *st, int ncols, uint64_t **vals, size_t *nrows,
                          const char *what);
/* Steps a statement that returns no rows and resets it. */
HRESULT local_step_done(local_db *db, sqlite3_stmt *st, const char *what);

#endif
