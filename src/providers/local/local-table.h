/*
 * local-table.h — the tables of the local store (private to
 * src/providers/local/).
 *
 * Recipient and attachment tables are small snapshots over ITableData
 * (local_table_new / _add_object / _view, local-table.c). Contents tables
 * and search-folder tables are IMAPITable objects of their own that read
 * the database in pages (docs/store.md, "Tables"):
 *
 *   local-table.c             the IMAPITable object, its methods, truncation
 *   local-table-sql.c         generated SQL text with its bound values, sort
 *                             keys mapped to indexed columns, restrictions
 *                             compiled to SQL (what cannot be is left to C)
 *   local-table-eval.c        the C side of restrictions: rows read for the
 *                             evaluator, recipients and attachments as
 *                             sub-object rows
 *   local-table-rows.c        building the rows QueryRows returns
 *   local-table-cursor.c      keyset paging: a cursor is the sort key of a
 *                             row, never an offset, and no transaction stays
 *                             open between calls
 *   local-table-categories.c  materialized views (categories, MV_INSTANCE,
 *                             RES_COUNT) and header rows
 *   local-table-notify.c      table notifications from the store's object
 *                             notifications
 *   local-table-hier.c        hierarchy tables
 *   local-table-index.c       sort indexes built on demand (schema 4)
 *   local-search.c            search folders
 *
 * Every method takes local_db_lock for its whole duration and reads inside
 * one short read transaction that ends before it returns.
 */
#ifndef MAPIX_LOCAL_TABLE_H
#define MAPIX_LOCAL_TABLE_H

#include <mapix/mapixrestrict.h>

#include "local.h"
#include "local-message.h"

/* ---- snapshot tables (recipients, attachments) ------------------------------------ */

/* A snapshot table indexed by PR_INSTANCE_KEY with the given default columns. */
HRESULT local_table_new(const SPropTagArray *columns, LPTABLEDATA *out);
/* Adds a row made of obj's properties (GetProps(NULL) with MAPI_UNICODE if
 * asked), then the extra values (which replace the object's), and a
 * PR_INSTANCE_KEY made from `instance`; long values are truncated. */
HRESULT local_table_add_object(LPTABLEDATA td, LPMAPIPROP obj, ULONG ulFlags, const SPropValue *extra,
                               ULONG n_extra, uint64_t instance);
/* Hands out a view and drops the caller's reference on td. */
HRESULT local_table_view(LPTABLEDATA td, LPMAPITABLE *lppTable);
/* Truncates a string or binary table value to LOCAL_TABLE_TRUNCATE (the
 * copy is allocated on root). */
HRESULT local_table_truncate(LPSPropValue v, LPVOID root);

/* ---- generated SQL ------------------------------------------------------------------- */

/* A value bound to one '?' of generated SQL. */
typedef struct local_bind {
	int type;               /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB */
	sqlite3_int64 i;
	double d;
	void *p;                /* malloc'd text or blob */
	int n;
} local_bind;

/* SQL text being generated, with the values its '?' take, in order. */
typedef struct local_sql {
	char *s;
	size_t len, cap;
	local_bind *b;
	int nb, capb;
	BOOL oom;
} local_sql;

void local_sql_init(local_sql *q);
void local_sql_free(local_sql *q);
void local_sql_add(local_sql *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends another fragment with its binds. */
void local_sql_append(local_sql *q, const local_sql *other);
void local_sql_bind_int(local_sql *q, sqlite3_int64 v);
void local_sql_bind_double(local_sql *q, double v);
void local_sql_bind_text(local_sql *q, const char *s, int n);
void local_sql_bind_blob(local_sql *q, const void *p, int n);
/* Binds an sqlite3_value (a key read back from a row). */
void local_sql_bind_value(local_sql *q, sqlite3_value *v);
/* Binds q's values to st from parameter `first` (1-based); returns the next. */
int local_sql_bind_all(sqlite3_stmt *st, const local_sql *q, int first);
/* Prepares q (not cached: generated SQL must not fill the shared cache). */
HRESULT local_sql_prepare(local_db *db, const local_sql *q, sqlite3_stmt **st);

/* The largest number of sort keys a table takes. */
#define LOCAL_TABLE_MAX_KEYS 8
/* Sort key value of a missing property (and the smallest of all). */
#define LOCAL_SORT_MISSING "-9223372036854775808"

/* Rewrites the string sort columns of message mid (s_subject, s_nsubject,
 * s_class, s_sender: the first 255 characters, case-folded) from its
 * stored properties. Only needed for string sort properties staged as
 * streams: other saves and copies compute or copy the keys themselves. */
HRESULT local_table_sort_refresh(local_db *db, uint64_t mid);
/* The SQL expression a contents table sorts by for tag (on alias m); for
 * strings it carries COLLATE MAPIX_NOCASE. malloc'd. */
HRESULT local_sort_expr(ULONG tag, const char *alias, char **expr);
/* The index of the messages table that serves a sort on tag (when the
 * mailbox has it: most are built on demand), or NULL. */
const char *local_sort_index(ULONG tag);

/* A restriction split between SQL and C. */
typedef struct local_compiled {
	local_sql where;        /* pushed part on alias m (empty: TRUE) */
	LPSRestriction c_res;   /* the rest, evaluated in C; NULL: nothing */
	LPVOID c_root;          /* MAPIAllocateBuffer root of c_res's own nodes */
	BOOL has_count;         /* RES_COUNT: one stateful pass from the start */
	/* Tags the C side reads from the message row and from sub-object rows
	 * (index 0 recipients, 1 attachments), one per property ID. */
	ULONG *tags;
	ULONG n_tags;
	ULONG *sub_tags[2];
	ULONG n_sub_tags[2];
} local_compiled;

/* Splits res (validated by the caller; NULL = none). force_c keeps
 * everything in C (MAPIX_STORE_RESTRICT=c, the test switch). */
HRESULT local_restrict_compile(const SRestriction *res, BOOL force_c, local_compiled *out);
void local_compiled_free(local_compiled *c);
/* Whether the restriction must be evaluated by a full pass (RES_COUNT). */
BOOL local_restrict_has(const SRestriction *res, ULONG rt, unsigned depth);
/* Registers the SQL functions generated SQL uses on a connection. */
HRESULT local_sql_register(local_db *db);

/* ---- the C side of restrictions (local-table-eval.c) ---------------------------------- */

/* A value standing in for an MV_INSTANCE column of a row, or NULL. */
typedef struct local_instval {
	ULONG tag;              /* the column tag with MV_INSTANCE */
	const SPropValue *value;/* the instance, as a single value; NULL when the row has none */
} local_instval;

/* Reads one property of saved message mid as tables see it: computed
 * values through the message object (*msg, opened on first use; the caller
 * releases it), stored ones from props (whole, or PT_ERROR
 * MAPI_E_NOT_ENOUGH_MEMORY for large values unless `whole`).
 * MAPI_E_NOT_FOUND when absent. */
HRESULT local_table_read_prop(local_logon *logon, uint64_t mid, local_object **msg, ULONG tag, LPVOID root,
                              LPSPropValue out, BOOL whole);
/* Evaluates c->c_res on message mid (state may be NULL). */
HRESULT local_restrict_eval(local_logon *logon, const local_compiled *c, uint64_t mid, const local_instval *inst,
                            MAPIXRESTRICTIONSTATE *state, BOOL *match);

/* ---- contents tables ------------------------------------------------------------------ */

typedef struct local_table local_table;

/* Where a cursor, bookmark or page boundary stands: before a row given by
 * its sort key (the row may have gone: keyset semantics), or at an end. */
enum local_at { LOCAL_AT_BEGIN, LOCAL_AT_END, LOCAL_AT_ROW };
typedef struct local_anchor {
	enum local_at at;
	int nk;
	sqlite3_value *k[LOCAL_TABLE_MAX_KEYS + 2];  /* the sort keys, then the tie breaker */
	uint64_t mid;
	LONG inst;                                     /* MV_INSTANCE index, -1: none */
} local_anchor;

void local_anchor_clear(local_anchor *a);
HRESULT local_anchor_copy(local_anchor *dst, const local_anchor *src);

/* A row found by the cursor: what identifies it and its key. */
typedef struct local_found {
	uint64_t mid;
	LONG inst;
	local_anchor key;
} local_found;

void local_found_free(local_found *f, ULONG n);

/* A sort key of the table. */
typedef struct local_key {
	ULONG tag;
	BOOL desc;
	char *expr;
} local_key;

/* A bookmark: an anchor (and the position it had, for categorized views). */
typedef struct local_bookmark {
	BOOKMARK bk;
	local_anchor where;
	ULONG pos;
} local_bookmark;

typedef struct local_table_advise {
	ULONG_PTR conn;
	LPMAPIADVISESINK sink;
	ULONG mask;
} local_table_advise;

typedef struct local_cat local_cat;

struct local_table {
	IMAPITable itf;             /* must stay first */
	atomic_ulong refs;
	local_logon *logon;         /* counted */
	uint64_t fid;
	BOOL associated;
	ULONG flags;                /* GetContentsTable flags (MAPI_UNICODE) */
	BOOL force_c;               /* MAPIX_STORE_RESTRICT=c */
	/* Search folders: the folders searched, and the criteria. */
	uint64_t *scope;
	ULONG n_scope;
	LPSRestriction scope_res;   /* MAPIAllocateBuffer'd, or NULL */

	LPSPropTagArray cols;       /* MAPIAllocateBuffer'd */
	LPSSortOrderSet sort;       /* MAPIAllocateBuffer'd, never NULL */
	LPSRestriction res;         /* user restriction copy, or NULL */
	LPSRestriction eff_res;     /* res AND scope_res (may point to either), or NULL */
	LPVOID eff_root;
	local_compiled comp;
	local_key keys[LOCAL_TABLE_MAX_KEYS];
	ULONG n_keys;
	ULONG mvi_tag;              /* the MV_INSTANCE column or key, or 0 */

	/* Materialized views (categories, MV_INSTANCE, RES_COUNT): the rows in
	 * order in a temporary table temp.<mat_name>(seq, mid, inst, c0..). */
	BOOL materialized;
	BOOL mat_valid;
	char mat_name[32];
	ULONG mat_rows;
	local_cat *cat;             /* categorized views, NULL otherwise */
	ULONG cat_cursor;           /* categorized views: the cursor's visible position */
	BOOL finding;               /* FindRow: comp is the search, applied to any view */

	/* Prepared page queries: [backward][anchor mode]. */
	sqlite3_stmt *stmts[2][4];

	local_anchor cursor;
	local_bookmark *bookmarks;
	ULONG n_bookmarks, cap_bookmarks;
	BOOKMARK next_bk;

	/* Notifications. */
	local_table_advise *advise;
	ULONG n_advise, cap_advise;
	ULONG_PTR next_conn;
	ULONG_PTR store_conn;        /* the store subscription that drives them, 0: none */
	LPMAPIADVISESINK store_sink;
	pthread_mutex_t advise_lock;
};

/* Folders with at least this many messages get the sort index of a
 * table's first key built when the table is sorted (local-table-index.c);
 * smaller ones sort well enough without. */
#define LOCAL_SORT_INDEX_MIN_ROWS 1000
/* Builds the index that serves the table's first sort key if the mailbox
 * lacks it and the folder is large. Best effort, never fails: a table
 * sorts correctly without its index, only slower. Takes the mailbox lock;
 * call it outside the method's read transaction. */
void local_table_sort_index(local_table *t, const SSortOrderSet *sort);

/* Opens a contents table on folder fid; scope != NULL makes it the table of
 * a search folder over those folders with criteria scope_res (both copied). */
HRESULT local_table_open_contents(local_logon *logon, uint64_t fid, ULONG ulFlags, const uint64_t *scope,
                                  ULONG n_scope, const SRestriction *scope_res, LPMAPITABLE *lppTable);

/* local-table-cursor.c. Anchor modes of a page query. */
enum local_mode { LOCAL_MODE_ALL, LOCAL_MODE_GE, LOCAL_MODE_GT, LOCAL_MODE_LT };
/* Forgets the prepared page queries (sort, restriction or view changed). */
void local_cursor_reset(local_table *t);
/* Reads up to n rows from `from`: forward (rows >= or > from) or backward
 * (rows < from, nearest first). The C part of the restriction is applied;
 * a RES_COUNT table is materialized, so never reaches here with one. */
HRESULT local_cursor_fetch(local_table *t, const local_anchor *from, enum local_mode mode, BOOL backward, ULONG n,
                           local_found **out, ULONG *got);
/* The number of rows before `upto` (NULL: all rows). */
HRESULT local_cursor_count(local_table *t, const local_anchor *upto, ULONG *count);
/* The row at the anchor, if it is still in the table. */
HRESULT local_cursor_exists(local_table *t, const local_anchor *a, BOOL *exists);
/* The key of message mid (inst) as the table sorts it. */
HRESULT local_cursor_key_of(local_table *t, uint64_t mid, LONG inst, local_anchor *out, BOOL *found);

/* local-table-rows.c: one row in the table's columns. */
HRESULT local_rows_make(local_table *t, uint64_t mid, LONG inst, LPSPropValue *lppProps);
/* The instance key of a leaf row. */
void local_rows_instance_key(uint64_t mid, LONG inst, BYTE out[12], ULONG *cb);
/* Reads message mid's MV_INSTANCE value number inst of tag into *out (on root). */
HRESULT local_rows_instance_value(local_db *db, uint64_t mid, ULONG tag, LONG inst, LPVOID root, LPSPropValue out,
                                  BOOL *found);

/* local-table-categories.c */
HRESULT local_mat_build(local_table *t);
void local_mat_drop(local_table *t);
void local_cat_free(local_cat *c);
/* Categorized views: rows by visible position. */
ULONG local_cat_visible(local_table *t);
HRESULT local_cat_rows(local_table *t, ULONG first, ULONG count, LPSRowSet set);
HRESULT local_cat_expand(local_table *t, ULONG cb, const BYTE *key, BOOL expand, ULONG *changed, ULONG *at);
HRESULT local_cat_get_state(local_table *t, ULONG cb_key, const BYTE *key, ULONG *cb, LPBYTE *state);
HRESULT local_cat_set_state(local_table *t, ULONG cb, const BYTE *state, ULONG *pos);
/* Visible position of the row with this instance key (headers and leaves). */
HRESULT local_cat_find_key(local_table *t, ULONG cb, const BYTE *key, ULONG *pos);
/* The instance key of the row at a visible position (for bookmarks). */
HRESULT local_cat_key_at(local_table *t, ULONG pos, BYTE key[16], ULONG *cb);

/* local-table-notify.c */
HRESULT local_table_advise_add(local_table *t, ULONG mask, LPMAPIADVISESINK sink, ULONG_PTR *conn);
HRESULT local_table_advise_remove(local_table *t, ULONG_PTR conn);
void local_table_advise_free(local_table *t);

/* local-table-hier.c */
HRESULT local_table_open_hierarchy(local_logon *logon, uint64_t fid, ULONG ulFlags, LPMAPITABLE *lppTable);

/* ---- search folders (local-search.c) ------------------------------------------------------ */
HRESULT local_search_set(local_object *folder, LPSRestriction res, LPENTRYLIST containers, ULONG flags);
HRESULT local_search_get(local_object *folder, ULONG flags, LPSRestriction *res, LPENTRYLIST *containers,
                         ULONG *state);
/* The contents table of a search folder. */
HRESULT local_search_contents(local_object *folder, ULONG flags, LPMAPITABLE *lppTable);
/* Whether fid is a search folder. */
HRESULT local_search_is_search_folder(local_db *db, uint64_t fid, BOOL *is_search);

#endif
