/*
 * local-message.c — IMessage of the local store: opening and creating
 * messages, their computed properties, SaveChanges (the one place that
 * writes a message with its recipients, attachments and embedded messages,
 * in one transaction), SetReadFlag, and the database-level deep copy,
 * move and delete the folder code uses. Recipients are in
 * local-recipients.c, attachments in local-attach.c; the staged state they
 * share is described in local-message.h.
 *
 * A top-level message's SaveChanges leaves the object usable: with or
 * without KEEP_OPEN_* it can still be read (mapix's choice; KEEP_OPEN_READONLY
 * drops write access, as MAPI asks). An embedded message's SaveChanges
 * commits into its attachment only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-message.h"
#include "local-mime-content.h"
#include "local-schema.h"
#include "local-table.h"

#define MSG(This) ((local_object *)(This))

static const IMessageVtbl message_vtbl;
static const local_object_ops message_ops;

/* Bits of PR_MESSAGE_FLAGS a caller may set before the first save; the
 * rest are computed (HASATTACH, ASSOCIATED) or belong to the store. */
#define SETTABLE_FLAGS                                                                                          \
	(MSGFLAG_READ | MSGFLAG_UNMODIFIED | MSGFLAG_SUBMIT | MSGFLAG_UNSENT | MSGFLAG_FROMME | MSGFLAG_RESEND |      \
	 MSGFLAG_RN_PENDING | MSGFLAG_NRN_PENDING | MSGFLAG_ORIGIN_X400 | MSGFLAG_ORIGIN_INTERNET |                  \
	 MSGFLAG_ORIGIN_MISC_EXT)
/* A new message is read and unsent, as on Exchange, unless the caller sets
 * PR_MESSAGE_FLAGS before the first save (importers, delivery). */
#define NEW_MESSAGE_FLAGS (MSGFLAG_READ | MSGFLAG_UNSENT)

/* ---- small shared helpers ------------------------------------------------------------ */

HRESULT local_binary_value(LPSPropValue out, ULONG tag, const void *data, ULONG cb, LPVOID root)
{
	BYTE *p;
	HRESULT hr = MAPIAllocateMore(cb ? cb : 1, root, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	if (cb)
		memcpy(p, data, cb);
	out->ulPropTag = tag;
	out->dwAlignPad = 0;
	out->Value.bin.cb = cb;
	out->Value.bin.lpb = p;
	return S_OK;
}

HRESULT local_step_done(local_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, what);
}

HRESULT local_collect_ids(local_db *db, sqlite3_stmt *st, int ncols, uint64_t **vals, size_t *nrows,
                          const char *what)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *bigger = realloc(v, ncap * (size_t)ncols * sizeof *v);
			if (!bigger) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = bigger;
			cap = ncap;
		}
		for (int c = 0; c < ncols; c++)
			v[n * (size_t)ncols + (size_t)c] = (uint64_t)sqlite3_column_int64(st, c);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return local_db_error(db, rc, what);
	}
	*vals = v;
	*nrows = n;
	return S_OK;
}

/* ---- staged changes: copies and sizes ----------------------------------------------------- */

void local_changes_free(local_change *c, ULONG n)
{
	for (ULONG i = 0; c && i < n; i++) {
		if (c[i].value)
			MAPIFreeBuffer(c[i].value);
		if (c[i].stream_fd >= 0)
			close(c[i].stream_fd);
	}
	free(c);
}

HRESULT local_changes_copy(const local_change *src, ULONG n, local_change **dst, ULONG *dn)
{
	*dst = NULL;
	*dn = 0;
	if (!n)
		return S_OK;
	local_change *c = calloc(n, sizeof *c);
	if (!c)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "local store: out of memory copying changes");
	for (ULONG i = 0; i < n; i++)
		c[i].stream_fd = -1;
	for (ULONG i = 0; i < n; i++) {
		c[i].tag = src[i].tag;
		c[i].stream_size = src[i].stream_size;
		if (src[i].stream_fd >= 0) {
			/* Staged files are never written again, so sharing is safe. */
			c[i].stream_fd = fcntl(src[i].stream_fd, F_DUPFD_CLOEXEC, 0);
			if (c[i].stream_fd < 0) {
				local_changes_free(c, n);
				return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "local store: dup: %s", strerror(errno));
			}
		}
		if (src[i].value) {
			HRESULT hr = MAPIAllocateBuffer(sizeof(SPropValue), (LPVOID *)&c[i].value);
			if (SUCCEEDED(hr) && FAILED(hr = PropCopyMore(c[i].value, src[i].value, MAPIAllocateMore, c[i].value))) {
				MAPIFreeBuffer(c[i].value);
				c[i].value = NULL;
			}
			if (FAILED(hr)) {
				local_changes_free(c, n);
				return hr;
			}
		}
	}
	*dst = c;
	*dn = n;
	return S_OK;
}

HRESULT local_changes_flush(local_db *db, uint64_t obj, const local_change *c, ULONG n, BOOL fresh)
{
	HRESULT hr = S_OK;
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
		if (c[i].stream_fd >= 0)
			hr = local_props_write_stream(db, obj, c[i].tag, c[i].stream_fd, c[i].stream_size);
		else if (c[i].value)
			hr = fresh ? local_props_insert(db, obj, c[i].value) : local_props_write(db, obj, c[i].value);
		else if (!fresh)
			hr = local_props_delete(db, obj, c[i].tag);
	}
	return hr;
}

HRESULT local_changes_insert(local_db *db, uint64_t obj, const local_change *c, ULONG n, uint64_t *stored)
{
	const SPropValue *vals[16];
	ULONG nv = 0;
	HRESULT hr = S_OK;
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
		if (c[i].stream_fd >= 0) {
			hr = local_props_write_stream(db, obj, c[i].tag, c[i].stream_fd, c[i].stream_size);
			*stored += c[i].stream_size;
		} else if (c[i].value) {
			vals[nv++] = c[i].value;
		}
		if (nv == sizeof vals / sizeof vals[0] || (i == n - 1 && nv)) {
			if (SUCCEEDED(hr))
				hr = local_props_insert_values(db, obj, vals, nv, stored);
			nv = 0;
		}
	}
	return hr;
}

HRESULT local_changes_props_size(local_db *db, uint64_t obj, BOOL is_new, const local_change *c, ULONG n,
                                 uint64_t *size)
{
	static const char one[] = "SELECT coalesce(sum(size), 0) FROM props WHERE obj = ?1 AND tag BETWEEN ?2 AND ?3";
	uint64_t total = 0;
	HRESULT hr;
	if (!is_new && FAILED(hr = local_props_total_size(db, obj, &total)))
		return hr;
	for (ULONG i = 0; i < n; i++) {
		if (!is_new) {
			sqlite3_stmt *st;
			if (FAILED(hr = local_db_prepare(db, one, &st)))
				return hr;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
			sqlite3_bind_int64(st, 2, PROP_TAG(0, PROP_ID(c[i].tag)));
			sqlite3_bind_int64(st, 3, PROP_TAG(0xFFFF, PROP_ID(c[i].tag)));
			int rc = sqlite3_step(st);
			uint64_t old = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
			sqlite3_reset(st);
			if (rc != SQLITE_ROW)
				return local_db_error(db, rc, "sizing a property");
			total = total >= old ? total - old : 0;
		}
		if (c[i].stream_fd >= 0)
			total += c[i].stream_size;
		else if (c[i].value)
			total += local_props_value_size(c[i].value);
	}
	*size = total;
	return S_OK;
}

/* ---- message state ------------------------------------------------------------------------ */

void local_msgstate_free(local_msgstate *s)
{
	if (!s)
		return;
	local_recipset_free(&s->recips);
	local_attset_free(&s->atts);
	local_changes_free(s->changes, s->n_changes);
	free(s);
}

HRESULT local_msgstate_copy(const local_msgstate *src, local_msgstate **dst)
{
	local_msgstate *s = malloc(sizeof *s);
	HRESULT hr;
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "local store: out of memory copying a message");
	*s = *src;
	memset(&s->recips, 0, sizeof s->recips);
	memset(&s->atts, 0, sizeof s->atts);
	s->changes = NULL;
	s->n_changes = 0;
	if (FAILED(hr = local_recipset_copy(&src->recips, &s->recips)) ||
	    FAILED(hr = local_attset_copy(&src->atts, &s->atts)) ||
	    FAILED(hr = local_changes_copy(src->changes, src->n_changes, &s->changes, &s->n_changes))) {
		local_msgstate_free(s);
		return hr;
	}
	*dst = s;
	return S_OK;
}

static HRESULT new_state(BOOL associated, BOOL embedded, local_msgstate **out)
{
	local_msgstate *s = calloc(1, sizeof *s);
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateMessage: out of memory");
	s->is_new = TRUE;
	s->embedded = embedded;
	s->associated = associated;
	s->flags = NEW_MESSAGE_FLAGS;
	s->created = s->modified = mapix_filetime_to_u64(mapix_filetime_now());
	s->recips.loaded = TRUE;
	s->atts.loaded = TRUE;
	s->cb_search_key = 16;
	if (getrandom(s->search_key, 16, 0) != 16) {
		free(s);
		return mapix_error(MAPI_E_CALL_FAILED, "CreateMessage: no random bytes for PR_SEARCH_KEY");
	}
	*out = s;
	return S_OK;
}

local_msgstate *local_message_state(local_object *o)
{
	return o->kind_data;
}

BOOL local_is_message(const local_object *o)
{
	return o && o->lpVtbl == (const void *)&message_vtbl;
}

/* ---- message rows ------------------------------------------------------------------------- */

typedef struct msg_row {
	uint64_t fid, parent_aid;
	BOOL associated;
	ULONG flags;
	uint64_t size, change_number, created, modified;
	BYTE search_key[LOCAL_SEARCH_KEY_MAX];
	ULONG cb_search_key;
	ULONG n_attach; /* stored attachments (read_row_counted only) */
} msg_row;

static HRESULT read_row_sql(local_db *db, const char *sel, uint64_t mid, msg_row *r);

static HRESULT read_row(local_db *db, uint64_t mid, msg_row *r)
{
	static const char sel[] =
	    "SELECT coalesce(fid, 0), coalesce(parent_aid, 0), associated, flags, size, change_number, created,"
	    " modified, search_key FROM messages WHERE mid = ?1";
	return read_row_sql(db, sel, mid, r);
}

/* The row and the number of stored attachments, in one statement
 * (computed properties want both). */
static HRESULT read_row_counted(local_db *db, uint64_t mid, msg_row *r)
{
	static const char sel[] =
	    "SELECT coalesce(fid, 0), coalesce(parent_aid, 0), associated, flags, size, change_number, created,"
	    " modified, search_key, (SELECT count(*) FROM attachments WHERE mid = ?1) FROM messages WHERE mid = ?1";
	return read_row_sql(db, sel, mid, r);
}

static HRESULT read_row_sql(local_db *db, const char *sel, uint64_t mid, msg_row *r)
{
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->fid = (uint64_t)sqlite3_column_int64(st, 0);
		r->parent_aid = (uint64_t)sqlite3_column_int64(st, 1);
		r->associated = sqlite3_column_int(st, 2) != 0;
		r->flags = (ULONG)sqlite3_column_int64(st, 3);
		r->size = (uint64_t)sqlite3_column_int64(st, 4);
		r->change_number = (uint64_t)sqlite3_column_int64(st, 5);
		r->created = (uint64_t)sqlite3_column_int64(st, 6);
		r->modified = (uint64_t)sqlite3_column_int64(st, 7);
		int cb = sqlite3_column_bytes(st, 8);
		r->cb_search_key = cb > LOCAL_SEARCH_KEY_MAX ? LOCAL_SEARCH_KEY_MAX : (ULONG)cb;
		if (cb)
			memcpy(r->search_key, sqlite3_column_blob(st, 8), r->cb_search_key);
		r->n_attach = sqlite3_column_count(st) > 9 ? (ULONG)sqlite3_column_int64(st, 9) : 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return MAPI_E_NOT_FOUND;
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "reading a message");
}

static void state_from_row(local_msgstate *s, uint64_t mid, const msg_row *r)
{
	s->mid = mid;
	s->is_new = FALSE;
	s->embedded = r->fid == 0;
	s->associated = r->associated;
	s->flags = r->flags;
	s->flags_set = FALSE;
	s->created = r->created;
	s->modified = r->modified;
	s->size = r->size;
	s->cb_search_key = r->cb_search_key;
	memcpy(s->search_key, r->search_key, r->cb_search_key);
}

/* The size of what is stored for mid (its properties, recipients,
 * attachments and embedded messages). */
static HRESULT stored_size(local_db *db, uint64_t mid, uint64_t *size)
{
	static const char sum[] =
	    "SELECT (SELECT coalesce(sum(size), 0) FROM props WHERE obj = ?1)"
	    " + (SELECT coalesce(sum(p.size), 0) FROM recipients r JOIN props p ON p.obj = r.rid WHERE r.mid = ?1)"
	    " + (SELECT coalesce(sum(p.size), 0) FROM attachments a JOIN props p ON p.obj = a.aid WHERE a.mid = ?1)"
	    " + (SELECT coalesce(sum(m.size), 0) FROM attachments a JOIN messages m ON m.parent_aid = a.aid"
	    "    WHERE a.mid = ?1)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sum, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	int rc = sqlite3_step(st);
	*size = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "sizing a message");
}

HRESULT local_message_store_size(local_db *db, uint64_t mid, uint64_t *size)
{
	static const char upd[] = "UPDATE messages SET size = ?2 WHERE mid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = stored_size(db, mid, size);
	if (FAILED(hr) || FAILED(hr = local_db_prepare(db, upd, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)*size);
	return local_step_done(db, st, "sizing a message");
}

/* Stored size of an attachment's embedded message(s). */
static HRESULT embedded_stored_size(local_db *db, uint64_t aid, uint64_t *size)
{
	static const char sel[] = "SELECT coalesce(sum(size), 0) FROM messages WHERE parent_aid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)aid);
	int rc = sqlite3_step(st);
	*size = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "sizing an attachment");
}

/* One integer from a query bound to mid. */
static HRESULT sum_query(local_db *db, const char *sql, uint64_t mid, uint64_t *out)
{
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "sizing a message");
}

HRESULT local_msgstate_size(local_db *db, const local_msgstate *s, const local_change *c, ULONG n, int depth,
                            uint64_t *size)
{
	static const char rsum[] =
	    "SELECT coalesce(sum(p.size), 0) FROM recipients r JOIN props p ON p.obj = r.rid WHERE r.mid = ?1";
	static const char asum[] =
	    "SELECT (SELECT coalesce(sum(p.size), 0) FROM attachments a JOIN props p ON p.obj = a.aid WHERE a.mid = ?1)"
	    " + (SELECT coalesce(sum(m.size), 0) FROM attachments a JOIN messages m ON m.parent_aid = a.aid"
	    "    WHERE a.mid = ?1)";
	uint64_t total, part = 0;
	HRESULT hr;
	if (depth > LOCAL_MAX_EMBED_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "local store: embedded messages nested too deep");
	if (FAILED(hr = local_changes_props_size(db, s->mid, s->is_new, c, n, &total)))
		return hr;
	if (s->recips.loaded)
		part = local_recipset_size(&s->recips);
	else if (!s->is_new && FAILED(hr = sum_query(db, rsum, s->mid, &part)))
		return hr;
	total += part;
	part = 0;
	if (s->atts.loaded)
		hr = local_atts_size(db, &s->atts, depth, &part);
	else if (!s->is_new)
		hr = sum_query(db, asum, s->mid, &part);
	if (FAILED(hr))
		return hr;
	*size = total + part;
	return S_OK;
}

HRESULT local_atts_size(local_db *db, const local_attset *as, int depth, uint64_t *size)
{
	uint64_t total = 0, part;
	HRESULT hr;
	for (ULONG i = 0; i < as->n; i++) {
		const local_attentry *e = &as->rows[i];
		if (e->deleted)
			continue;
		BOOL fresh = e->is_new || e->aid == 0;
		if (FAILED(hr = local_changes_props_size(db, e->aid, fresh, e->changes, e->n_changes, &part)))
			return hr;
		total += part;
		if (e->embedded) {
			if (FAILED(hr = local_msgstate_size(db, e->embedded, e->embedded->changes, e->embedded->n_changes,
			                                    depth + 1, &part)))
				return hr;
			total += part;
		} else if (!fresh) {
			if (FAILED(hr = embedded_stored_size(db, e->aid, &part)))
				return hr;
			total += part;
		}
	}
	*size = total;
	return S_OK;
}

/* ---- writing ------------------------------------------------------------------------------- */

/* Writes the content of a message (properties, recipients, attachments)
 * to mid. fresh: mid is new in this transaction, so nothing is replaced;
 * *stored then receives the size of the properties and recipients
 * written (what the size query would sum for them). */
static HRESULT write_content(local_db *db, uint64_t mid, const local_msgstate *s, const local_change *c, ULONG n,
                             uint64_t cn, int depth, BOOL fresh, uint64_t *stored)
{
	uint64_t recips = 0;
	HRESULT hr;
	*stored = 0;
	hr = fresh ? local_changes_insert(db, mid, c, n, stored) : local_changes_flush(db, mid, c, n, FALSE);
	if (SUCCEEDED(hr) && s->recips.loaded && (s->recips.modified || s->is_new)) {
		hr = local_recips_write(db, mid, &s->recips, fresh, &recips);
		*stored += recips;
	}
	if (SUCCEEDED(hr) && s->atts.loaded && (s->atts.modified || s->is_new))
		hr = local_atts_write(db, mid, &s->atts, cn, depth);
	return hr;
}

/* Binds sort column col of k (the missing key when it has no value). */
static void bind_sort_key(sqlite3_stmt *st, int param, const local_sort_keys *k, int col)
{
	if (!k->present[col])
		sqlite3_bind_int64(st, param, INT64_MIN);
	else if (col < LOCAL_SORT_N_INT)
		sqlite3_bind_int64(st, param, k->num[col]);
	else
		sqlite3_bind_text(st, param, k->text[col], -1, SQLITE_STATIC);
}

/* Inserts a complete messages row: every column, sort keys included, in
 * one statement (each later UPDATE of an indexed column would move the
 * row's entries in the sort indexes again). */
static HRESULT insert_row(local_db *db, uint64_t mid, uint64_t fid, uint64_t parent_aid, const local_msgstate *s,
                          uint64_t cn, uint64_t size, ULONG n_attach, const local_sort_keys *k)
{
	static const char ins[] =
	    "INSERT INTO messages(mid, fid, parent_aid, associated, flags, size, change_number, created, modified,"
	    " search_key, n_attach, s_delivery, s_submit, s_importance, s_subject, s_nsubject, s_class, s_sender)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, ins, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	if (fid)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)fid);
	else
		sqlite3_bind_null(st, 2);
	if (parent_aid)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)parent_aid);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, s->associated ? 1 : 0);
	sqlite3_bind_int64(st, 5, s->flags);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)s->created);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	sqlite3_bind_blob(st, 10, s->search_key, (int)s->cb_search_key, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, n_attach);
	for (int col = 0; col < LOCAL_SORT_NCOLS; col++)
		bind_sort_key(st, 12 + col, k, col);
	return local_step_done(db, st, "inserting a message");
}

/* Rewrites the row of a saved message after its content was written:
 * flags (when set), change number, time, size and the sort columns the
 * changes touched, in one statement. */
static HRESULT update_row(local_db *db, uint64_t mid, const local_msgstate *s, BOOL set_flags, uint64_t cn,
                          uint64_t size, const local_sort_keys *k)
{
	static const char upd[] =
	    "UPDATE messages SET flags = CASE WHEN ?2 THEN ?3 ELSE flags END, change_number = ?4, modified = ?5,"
	    " size = ?6 WHERE mid = ?1";
	static const char upd_sort[] =
	    "UPDATE messages SET flags = CASE WHEN ?2 THEN ?3 ELSE flags END, change_number = ?4, modified = ?5,"
	    " size = ?6, s_delivery = CASE WHEN ?7 THEN ?8 ELSE s_delivery END,"
	    " s_submit = CASE WHEN ?9 THEN ?10 ELSE s_submit END,"
	    " s_importance = CASE WHEN ?11 THEN ?12 ELSE s_importance END,"
	    " s_subject = CASE WHEN ?13 THEN ?14 ELSE s_subject END,"
	    " s_nsubject = CASE WHEN ?15 THEN ?16 ELSE s_nsubject END,"
	    " s_class = CASE WHEN ?17 THEN ?18 ELSE s_class END,"
	    " s_sender = CASE WHEN ?19 THEN ?20 ELSE s_sender END WHERE mid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, k->any ? upd_sort : upd, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int(st, 2, set_flags ? 1 : 0);
	sqlite3_bind_int64(st, 3, s->flags);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)size);
	for (int col = 0; k->any && col < LOCAL_SORT_NCOLS; col++) {
		sqlite3_bind_int(st, 7 + 2 * col, k->touched[col] ? 1 : 0);
		bind_sort_key(st, 8 + 2 * col, k, col);
	}
	return local_step_done(db, st, "updating a message");
}

HRESULT local_msgstate_write_embedded(local_db *db, const local_msgstate *s, uint64_t aid, uint64_t cn, int depth)
{
	static const char old_sql[] = "SELECT mid FROM messages WHERE parent_aid = ?1";
	HRESULT hr;
	uint64_t mid = s->mid, size, stored;
	msg_row r;
	local_sort_keys k;

	if (depth > LOCAL_MAX_EMBED_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "SaveChanges: embedded messages nested too deep");
	if (FAILED(hr = local_table_sort_keys(s->changes, s->n_changes, &k)))
		return hr;
	if (s->is_new || !mid) {
		/* A complete new message replaces whatever the attachment held.
		 * Its row goes in first, so that undoing a failed save of the
		 * top-level message finds everything through the attachment. */
		sqlite3_stmt *st;
		uint64_t *old = NULL;
		size_t n = 0;
		if (FAILED(hr = local_db_prepare(db, old_sql, &st)))
			goto out;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)aid);
		if (FAILED(hr = local_collect_ids(db, st, 1, &old, &n, "listing embedded messages")))
			goto out;
		for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
			hr = local_message_delete_db(db, old[i], depth + 1);
		free(old);
		if (FAILED(hr) || FAILED(hr = local_db_next_ids(db, 1, &mid)) ||
		    FAILED(hr = insert_row(db, mid, 0, aid, s, cn, 0, 0, &k)) ||
		    FAILED(hr = write_content(db, mid, s, s->changes, s->n_changes, cn, depth + 1, TRUE, &stored)))
			goto out;
		hr = local_message_store_size(db, mid, &size);
	} else {
		if (FAILED(hr = read_row(db, mid, &r))) {
			if (hr == MAPI_E_NOT_FOUND)
				hr = mapix_error(MAPI_E_OBJECT_DELETED, "SaveChanges: the embedded message was deleted");
			goto out;
		}
		if (FAILED(hr = write_content(db, mid, s, s->changes, s->n_changes, cn, depth + 1, FALSE, &stored)) ||
		    FAILED(hr = stored_size(db, mid, &size)) ||
		    FAILED(hr = update_row(db, mid, s, s->flags_set, cn, size, &k)))
			goto out;
	}
	if (SUCCEEDED(hr) && k.reread)
		hr = local_table_sort_refresh(db, mid);
out:
	local_table_sort_keys_free(&k);
	return hr;
}

/* Undoes what a failed save of a new message wrote inside an enclosing
 * transaction (a store batch) without a savepoint of its own: the ids are
 * new, so deleting everything under them removes exactly what the save
 * wrote. A savepoint would copy every page the save touches into the
 * statement journal, which costs about as much as the save itself. When
 * the undo is impossible (SQLite already rolled the transaction back
 * after a disk or I/O failure) or fails too, the whole transaction is
 * rolled back, so the batch's commit fails instead of keeping half a
 * message; the result says so. */
static HRESULT undo_new(local_db *db, uint64_t mid, uint64_t cn, HRESULT failure)
{
	static const char del_change[] = "DELETE FROM changes WHERE cn = ?1";
	sqlite3_stmt *st;
	HRESULT hr = S_OK;
	char why[512];
	snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
	if (sqlite3_get_autocommit(db->db))
		return mapix_error(failure, "%s (the store batch was rolled back)", why);
	if (mid)
		hr = local_message_delete_db(db, mid, 0);
	if (SUCCEEDED(hr) && cn && SUCCEEDED(hr = local_db_prepare(db, del_change, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cn);
		hr = local_step_done(db, st, "undoing a failed save");
	}
	if (SUCCEEDED(hr))
		return mapix_error(failure, "%s", why);
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return mapix_error(failure, "%s (undoing it failed too: the store batch was rolled back)", why);
}

/* SaveChanges of a new top-level message. Content first, then the row
 * with every column computed here (size, attachment count, sort keys), so
 * that the row and its index entries are written once. */
static HRESULT save_new(local_object *o, uint64_t *out_mid, uint64_t *out_cn, uint64_t *out_size)
{
	static const char atts_sql[] =
	    "SELECT (SELECT coalesce(sum(p.size), 0) FROM attachments a JOIN props p ON p.obj = a.aid WHERE a.mid = ?1)"
	    " + (SELECT coalesce(sum(m.size), 0) FROM attachments a JOIN messages m ON m.parent_aid = a.aid"
	    "    WHERE a.mid = ?1), (SELECT count(*) FROM attachments WHERE mid = ?1)";
	local_db *db = o->logon->db;
	local_msgstate *s = o->kind_data;
	uint64_t mid = 0, cn = 0, size = 0;
	ULONG n_attach = 0;
	local_sort_keys k;
	/* Inside a batch the enclosing transaction is kept; a failure is undone
	 * by undo_new instead of a savepoint. */
	BOOL enclosed = db->in_write > 0;
	HRESULT hr;

	if (enclosed && sqlite3_get_autocommit(db->db))
		return mapix_error(MAPI_E_CALL_FAILED,
		                   "SaveChanges: the store batch was rolled back after an earlier failure");
	if (FAILED(hr = local_table_sort_keys(o->changes, o->n_changes, &k)))
		return hr;
	if (!enclosed && FAILED(hr = local_db_begin_write(db)))
		goto out;
	if (FAILED(hr = local_db_next_ids(db, 1, &mid)) ||
	    FAILED(hr = local_journal_add(db, LOCAL_CHANGE_CREATE, MAPI_MESSAGE, mid, o->fid, 0, &cn)) ||
	    FAILED(hr = write_content(db, mid, s, o->changes, o->n_changes, cn, 0, TRUE, &size)))
		goto fail;
	if (s->atts.n) {
		sqlite3_stmt *st;
		if (FAILED(hr = local_db_prepare(db, atts_sql, &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			size += (uint64_t)sqlite3_column_int64(st, 0);
			n_attach = (ULONG)sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW) {
			hr = local_db_error(db, rc, "sizing a message");
			goto fail;
		}
	}
	if (FAILED(hr = insert_row(db, mid, o->fid, 0, s, cn, size, n_attach, &k)) ||
	    (k.reread && FAILED(hr = local_table_sort_refresh(db, mid))))
		goto fail;
	BOOL unread = !s->associated && !(s->flags & MSGFLAG_READ);
	if (FAILED(hr = local_folder_adjust_counts(db, o->fid, s->associated ? 0 : 1, unread ? 1 : 0,
	                                           s->associated ? 1 : 0, (int64_t)size)) ||
	    (!enclosed && FAILED(hr = local_db_commit(db))))
		goto fail;
	*out_mid = mid;
	*out_cn = cn;
	*out_size = size;
	goto out;
fail:
	if (enclosed)
		hr = undo_new(db, mid, cn, hr);
	else
		local_db_rollback(db);
out:
	local_table_sort_keys_free(&k);
	return hr;
}

/* SaveChanges of a saved top-level message. */
static HRESULT save_existing(local_object *o, ULONG ulFlags, uint64_t *out_cn, uint64_t *out_size)
{
	local_db *db = o->logon->db;
	local_msgstate *s = o->kind_data;
	uint64_t mid = o->id, cn, size, stored;
	msg_row r = {0};
	local_sort_keys k;
	HRESULT hr;

	if (FAILED(hr = local_table_sort_keys(o->changes, o->n_changes, &k)))
		return hr;
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	hr = read_row(db, mid, &r);
	if (hr == MAPI_E_NOT_FOUND) {
		o->deleted = TRUE;
		hr = mapix_error(MAPI_E_OBJECT_DELETED, "SaveChanges: the message was deleted");
	}
	if (FAILED(hr))
		goto fail;
	if (r.change_number != o->change_number && !(ulFlags & FORCE_SAVE)) {
		hr = mapix_error(MAPI_E_OBJECT_CHANGED,
		                 "SaveChanges: the message was changed since it was opened (FORCE_SAVE overwrites)");
		goto fail;
	}
	if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_MODIFY, MAPI_MESSAGE, mid, r.fid, 0, &cn)) ||
	    FAILED(hr = local_mime_content_on_save(db, mid, o->changes, o->n_changes, s)) ||
	    FAILED(hr = write_content(db, mid, s, o->changes, o->n_changes, cn, 0, FALSE, &stored)) ||
	    FAILED(hr = stored_size(db, mid, &size)) ||
	    FAILED(hr = update_row(db, mid, s, s->flags_set, cn, size, &k)) ||
	    (k.reread && FAILED(hr = local_table_sort_refresh(db, mid))))
		goto fail;
	int64_t d_unread = 0;
	if (s->flags_set && !r.associated)
		d_unread = (int64_t)!(s->flags & MSGFLAG_READ) - (int64_t)!(r.flags & MSGFLAG_READ);
	if (FAILED(hr = local_folder_adjust_counts(db, r.fid, 0, d_unread, 0, (int64_t)size - (int64_t)r.size)) ||
	    FAILED(hr = local_db_commit(db)))
		goto fail;
	*out_cn = cn;
	*out_size = size;
	goto out;
fail:
	local_db_rollback(db);
out:
	local_table_sort_keys_free(&k);
	return hr;
}

/* SaveChanges of a top-level message: everything in one transaction. */
static HRESULT save_toplevel(local_object *o, ULONG ulFlags)
{
	local_msgstate *s = o->kind_data;
	uint64_t mid = o->id, cn = 0, size = 0;
	HRESULT hr;

	if (o->deleted)
		return mapix_error(MAPI_E_OBJECT_DELETED, "SaveChanges: the message was deleted");
	hr = o->is_new ? save_new(o, &mid, &cn, &size) : save_existing(o, ulFlags, &cn, &size);
	if (FAILED(hr))
		return hr;

	/* Saved: the database now holds everything that was staged. */
	local_object_clear_changes(o);
	o->id = mid;
	o->is_new = FALSE;
	o->change_number = cn;
	s->mid = mid;
	s->is_new = FALSE;
	s->flags_set = FALSE;
	s->size = size;
	ULONG next_num = s->atts.next_num;
	local_recipset_free(&s->recips);
	local_attset_free(&s->atts);
	s->atts.next_num = next_num;
	return S_OK;
}

/* SaveChanges of an embedded message: commits into its attachment. */
static HRESULT save_embedded(local_object *o)
{
	local_object *att = o->parent;
	local_attdata *ad = att->kind_data;
	local_msgstate *copy;
	HRESULT hr = local_msgstate_copy(o->kind_data, &copy);
	if (FAILED(hr))
		return hr;
	local_changes_free(copy->changes, copy->n_changes);
	copy->changes = NULL;
	copy->n_changes = 0;
	if (FAILED(hr = local_changes_copy(o->changes, o->n_changes, &copy->changes, &copy->n_changes))) {
		local_msgstate_free(copy);
		return hr;
	}
	local_msgstate_free(ad->embedded);
	ad->embedded = copy;
	return S_OK;
}

static HRESULT message_save(local_object *o, ULONG ulFlags)
{
	if (o->parent)
		return save_embedded(o);
	return save_toplevel(o, ulFlags);
}

/* ---- deep copy and delete at the database level ----------------------------------------- */

HRESULT local_message_copy_db(local_db *db, uint64_t mid, uint64_t dest_fid, uint64_t parent_aid, uint64_t cn,
                              int depth, uint64_t *new_mid)
{
	static const char ins[] =
	    "INSERT INTO messages(mid, fid, parent_aid, associated, flags, size, change_number, created, modified,"
	    " search_key, s_delivery, s_submit, s_importance, s_subject, s_nsubject, s_class, s_sender)"
	    " SELECT ?2, ?3, ?4, associated, flags, size, ?5, ?6, ?6, search_key, s_delivery, s_submit, s_importance,"
	    " s_subject, s_nsubject, s_class, s_sender FROM messages WHERE mid = ?1";
	sqlite3_stmt *st;
	HRESULT hr;
	uint64_t nm = *new_mid;

	if (depth > LOCAL_MAX_EMBED_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "copying a message: embedded messages nested too deep");
	if (!nm && FAILED(hr = local_db_next_ids(db, 1, &nm)))
		return hr;
	if (FAILED(hr = local_db_prepare(db, ins, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)nm);
	if (dest_fid)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)dest_fid);
	else
		sqlite3_bind_null(st, 3);
	if (parent_aid)
		sqlite3_bind_int64(st, 4, (sqlite3_int64)parent_aid);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)cn);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
	if (FAILED(hr = local_step_done(db, st, "copying a message")))
		return hr;
	if (FAILED(hr = local_props_copy_all(db, mid, nm)) || FAILED(hr = local_recips_copy_db(db, mid, nm)) ||
	    FAILED(hr = local_atts_copy_db(db, mid, nm, cn, depth)))
		return hr;
	*new_mid = nm;
	return S_OK;
}

HRESULT local_message_delete_db(local_db *db, uint64_t mid, int depth)
{
	static const char del[] = "DELETE FROM messages WHERE mid = ?1";
	sqlite3_stmt *st;
	HRESULT hr;
	if (depth > LOCAL_MAX_EMBED_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "deleting a message: embedded messages nested too deep");
	if (FAILED(hr = local_recips_delete_db(db, mid)) || FAILED(hr = local_atts_delete_db(db, mid, depth)) ||
	    FAILED(hr = local_props_delete_all(db, mid)) || FAILED(hr = local_db_prepare(db, del, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	return local_step_done(db, st, "deleting a message");
}

HRESULT local_message_copy(local_db *db, uint64_t mid, uint64_t dest_fid, BOOL move, uint64_t *new_mid)
{
	static const char mv[] = "UPDATE messages SET fid = ?2, change_number = ?3, modified = ?4 WHERE mid = ?1";
	msg_row r;
	uint64_t cn, nm = 0;
	HRESULT hr = read_row(db, mid, &r);
	if (hr == MAPI_E_NOT_FOUND || (SUCCEEDED(hr) && !r.fid))
		return mapix_error(MAPI_E_NOT_FOUND, "%s: message %llu does not exist", db->path, (unsigned long long)mid);
	if (FAILED(hr))
		return hr;
	int64_t content = r.associated ? 0 : 1, assoc = r.associated ? 1 : 0;
	int64_t unread = (!r.associated && !(r.flags & MSGFLAG_READ)) ? 1 : 0;
	if (move) {
		sqlite3_stmt *st;
		if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_MOVE, MAPI_MESSAGE, mid, dest_fid, r.fid, &cn)) ||
		    FAILED(hr = local_db_prepare(db, mv, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)dest_fid);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)cn);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
		if (FAILED(hr = local_step_done(db, st, "moving a message")) ||
		    FAILED(hr = local_folder_adjust_counts(db, r.fid, -content, -unread, -assoc, -(int64_t)r.size)))
			return hr;
		nm = mid;
	} else {
		if (FAILED(hr = local_db_next_ids(db, 1, &nm)) ||
		    FAILED(hr = local_journal_add(db, LOCAL_CHANGE_CREATE, MAPI_MESSAGE, nm, dest_fid, 0, &cn)) ||
		    FAILED(hr = local_message_copy_db(db, mid, dest_fid, 0, cn, 0, &nm)))
			return hr;
	}
	if (FAILED(hr = local_folder_adjust_counts(db, dest_fid, content, unread, assoc, (int64_t)r.size)))
		return hr;
	if (new_mid)
		*new_mid = nm;
	return S_OK;
}

HRESULT local_message_delete(local_db *db, uint64_t mid)
{
	msg_row r;
	uint64_t cn;
	HRESULT hr = read_row(db, mid, &r);
	if (hr == MAPI_E_NOT_FOUND || (SUCCEEDED(hr) && !r.fid))
		return mapix_error(MAPI_E_NOT_FOUND, "%s: message %llu does not exist", db->path, (unsigned long long)mid);
	if (FAILED(hr) || FAILED(hr = local_message_delete_db(db, mid, 0)))
		return hr;
	int64_t unread = (!r.associated && !(r.flags & MSGFLAG_READ)) ? 1 : 0;
	if (FAILED(hr = local_folder_adjust_counts(db, r.fid, r.associated ? 0 : -1, -unread, r.associated ? -1 : 0,
	                                           -(int64_t)r.size)))
		return hr;
	return local_journal_add(db, LOCAL_CHANGE_DELETE, MAPI_MESSAGE, mid, r.fid, 0, &cn);
}

/* ---- opening and creating ------------------------------------------------------------------ */

static HRESULT new_message_object(local_logon *logon, local_msgstate *s, local_object **out)
{
	local_object *o;
	HRESULT hr = local_object_new(logon, &message_ops, &message_vtbl, sizeof *o, &o);
	if (FAILED(hr)) {
		local_msgstate_free(s);
		return hr;
	}
	o->kind_data = s;
	*out = o;
	return S_OK;
}

HRESULT local_message_create(local_logon *logon, uint64_t fid, BOOL associated, local_object **out)
{
	local_msgstate *s;
	local_object *o;
	HRESULT hr;
	if (!(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "CreateMessage: the store was opened read-only");
	if (FAILED(hr = new_state(associated, FALSE, &s)) || FAILED(hr = new_message_object(logon, s, &o)))
		return hr;
	o->fid = fid;
	o->is_new = TRUE;
	o->access = MAPI_MODIFY;
	*out = o;
	return S_OK;
}

HRESULT local_message_open(local_logon *logon, uint64_t fid, uint64_t mid, ULONG ulFlags, local_object **out)
{
	msg_row r;
	local_msgstate *s;
	local_object *o;
	HRESULT hr = read_row(logon->db, mid, &r);
	if (hr == MAPI_E_NOT_FOUND || (SUCCEEDED(hr) && (!r.fid || (fid && r.fid != fid))))
		return mapix_error(MAPI_E_NOT_FOUND, "%s: message %llu does not exist", logon->db->path,
		                   (unsigned long long)mid);
	if (FAILED(hr))
		return hr;
	if ((ulFlags & MAPI_MODIFY) && !(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "%s: the store was opened read-only", logon->db->path);
	if (!(s = calloc(1, sizeof *s)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenEntry: out of memory");
	state_from_row(s, mid, &r);
	if (FAILED(hr = new_message_object(logon, s, &o)))
		return hr;
	o->id = mid;
	o->fid = r.fid;
	o->change_number = r.change_number;
	if ((ulFlags & MAPI_MODIFY) || ((ulFlags & MAPI_BEST_ACCESS) && (logon->flags & MDB_WRITE)))
		o->access = MAPI_MODIFY;
	*out = o;
	return S_OK;
}

HRESULT local_message_open_embedded(local_object *att, ULONG ulFlags, local_object **out)
{
	static const char sel[] = "SELECT mid FROM messages WHERE parent_aid = ?1 ORDER BY mid DESC LIMIT 1";
	local_db *db = att->logon->db;
	local_attdata *ad = att->kind_data;
	local_msgstate *s = NULL;
	local_object *o;
	HRESULT hr;
	BOOL modify = (ulFlags & (MAPI_MODIFY | MAPI_CREATE)) ||
	              ((ulFlags & MAPI_BEST_ACCESS) && (att->access & MAPI_MODIFY));

	if (modify && !(att->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "OpenProperty: the attachment was opened read-only");
	if (ulFlags & MAPI_CREATE) {
		if (FAILED(hr = new_state(FALSE, TRUE, &s)))
			return hr;
	} else if (ad->embedded) {
		if (FAILED(hr = local_msgstate_copy(ad->embedded, &s)))
			return hr;
	} else {
		uint64_t mid = 0;
		msg_row r;
		sqlite3_stmt *st;
		if (!att->is_new && att->id) {
			if (FAILED(hr = local_db_prepare(db, sel, &st)))
				return hr;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)att->id);
			int rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				mid = (uint64_t)sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return local_db_error(db, rc, "finding an embedded message");
		}
		if (!mid)
			return mapix_error(MAPI_E_NOT_FOUND, "OpenProperty: the attachment has no embedded message");
		if (FAILED(hr = read_row(db, mid, &r)))
			return hr == MAPI_E_NOT_FOUND ? mapix_error(MAPI_E_NOT_FOUND, "OpenProperty: no embedded message") : hr;
		if (!(s = calloc(1, sizeof *s)))
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProperty: out of memory");
		state_from_row(s, mid, &r);
		s->embedded = TRUE;
	}
	if (FAILED(hr = new_message_object(att->logon, s, &o)))
		return hr;
	/* A snapshot's property changes become the object's own. */
	o->changes = s->changes;
	o->n_changes = o->cap_changes = s->n_changes;
	s->changes = NULL;
	s->n_changes = 0;
	o->id = s->is_new ? 0 : s->mid;
	o->is_new = s->is_new;
	o->access = modify ? MAPI_MODIFY : 0;
	o->parent = att;
	local_prop_AddRef(att);
	*out = o;
	return S_OK;
}

/* ---- computed properties --------------------------------------------------------------------- */

static const ULONG message_computed[] = {
	PR_ENTRYID, PR_PARENT_ENTRYID, PR_RECORD_KEY, PR_SOURCE_KEY, PR_PARENT_SOURCE_KEY, PR_CHANGE_KEY,
	PR_PREDECESSOR_CHANGE_LIST, PR_SEARCH_KEY, PR_OBJECT_TYPE, PR_MESSAGE_SIZE, PR_MESSAGE_SIZE_EXTENDED,
	PR_HASATTACH, PR_MESSAGE_FLAGS, PR_ACCESS, PR_ACCESS_LEVEL, PR_CREATION_TIME, PR_LAST_MODIFICATION_TIME,
	PR_STORE_ENTRYID, PR_STORE_RECORD_KEY, PR_MAPPING_SIGNATURE,
};

/* The messages row, read once per GetProps call however many computed
 * properties it asks for. */
static HRESULT call_row(local_object *o, msg_row *r)
{
	msg_row *kept;
	if (local_object_call_row(o, sizeof *kept, (void **)&kept)) {
		*r = *kept;
		return S_OK;
	}
	HRESULT hr = read_row_counted(o->logon->db, o->id, r);
	if (SUCCEEDED(hr) && kept) {
		*kept = *r;
		local_object_call_row_filled(o);
	}
	return hr;
}

static BOOL has_staged(const local_object *o, const local_msgstate *s)
{
	return o->n_changes || s->flags_set || (s->recips.loaded && s->recips.modified) ||
	       (s->atts.loaded && s->atts.modified);
}

static HRESULT message_computed_prop(local_object *o, ULONG tag, LPVOID root, LPSPropValue out)
{
	local_db *db = o->logon->db;
	local_msgstate *s = o->kind_data;
	const GUID *g = &db->mailbox_guid;
	BYTE buf[MAPIX_MESSAGE_ENTRYID_SIZE];
	msg_row r = {0};
	BOOL saved = !o->is_new && o->id;
	BOOL top = o->parent == NULL;
	HRESULT hr;

	if (saved) {
		hr = call_row(o, &r);
		if (hr == MAPI_E_NOT_FOUND) {
			o->deleted = TRUE;
			return mapix_error(MAPI_E_OBJECT_DELETED, "%s: the message was deleted", db->path);
		}
		if (FAILED(hr))
			return hr;
	}
	uint64_t fid = saved ? r.fid : o->fid;
	out->dwAlignPad = 0;
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_ENTRYID):
		if (!saved || !top)
			return MAPI_E_NOT_FOUND;
		mapix_entryid_make_message(g, fid, o->id, buf);
		return local_binary_value(out, PR_ENTRYID, buf, MAPIX_MESSAGE_ENTRYID_SIZE, root);
	case PROP_ID(PR_PARENT_ENTRYID):
		if (!top)
			return MAPI_E_NOT_FOUND;
		mapix_entryid_make_folder(g, fid, buf);
		return local_binary_value(out, PR_PARENT_ENTRYID, buf, MAPIX_FOLDER_ENTRYID_SIZE, root);
	case PROP_ID(PR_RECORD_KEY):
	case PROP_ID(PR_SOURCE_KEY):
		if (!saved)
			return MAPI_E_NOT_FOUND;
		mapix_xid_make(g, o->id, buf);
		return local_binary_value(out, PROP_TAG(PT_BINARY, PROP_ID(tag)), buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_PARENT_SOURCE_KEY):
		if (!top)
			return MAPI_E_NOT_FOUND;
		mapix_xid_make(g, fid, buf);
		return local_binary_value(out, PR_PARENT_SOURCE_KEY, buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_CHANGE_KEY):
		if (!saved)
			return MAPI_E_NOT_FOUND;
		mapix_xid_make(g, r.change_number, buf);
		return local_binary_value(out, PR_CHANGE_KEY, buf, MAPIX_XID_SIZE, root);
	case PROP_ID(PR_PREDECESSOR_CHANGE_LIST):
		if (!saved)
			return MAPI_E_NOT_FOUND;
		buf[0] = MAPIX_XID_SIZE;
		mapix_xid_make(g, r.change_number, buf + 1);
		return local_binary_value(out, PR_PREDECESSOR_CHANGE_LIST, buf, MAPIX_XID_SIZE + 1, root);
	case PROP_ID(PR_SEARCH_KEY):
		return local_binary_value(out, PR_SEARCH_KEY, s->search_key, s->cb_search_key, root);
	case PROP_ID(PR_OBJECT_TYPE):
		out->ulPropTag = PR_OBJECT_TYPE;
		out->Value.l = MAPI_MESSAGE;
		return S_OK;
	case PROP_ID(PR_MESSAGE_SIZE): /* and PR_MESSAGE_SIZE_EXTENDED, the same id as PT_I8 */ {
		uint64_t size = r.size;
		if (!saved || has_staged(o, s)) {
			if (FAILED(hr = local_msgstate_size(db, s, o->changes, o->n_changes, 0, &size)))
				return hr;
		}
		if (PROP_TYPE(tag) == PT_I8) {
			out->ulPropTag = PR_MESSAGE_SIZE_EXTENDED;
			out->Value.li.QuadPart = (LONGLONG)size;
		} else {
			out->ulPropTag = PR_MESSAGE_SIZE;
			out->Value.l = size > 0x7FFFFFFF ? 0x7FFFFFFF : (LONG)size;
		}
		return S_OK;
	}
	case PROP_ID(PR_HASATTACH):
	case PROP_ID(PR_MESSAGE_FLAGS): {
		ULONG count = r.n_attach;
		/* A loaded set may have staged changes; the row counts what is stored. */
		if ((!saved || s->atts.loaded) && FAILED(hr = local_atts_count(db, s, &count)))
			return hr;
		if (PROP_ID(tag) == PROP_ID(PR_HASATTACH)) {
			out->ulPropTag = PR_HASATTACH;
			out->Value.b = count > 0;
			return S_OK;
		}
		ULONG flags = (saved && !s->flags_set) ? r.flags : s->flags;
		flags &= ~(ULONG)(MSGFLAG_HASATTACH | MSGFLAG_ASSOCIATED);
		if (count)
			flags |= MSGFLAG_HASATTACH;
		if (s->associated)
			flags |= MSGFLAG_ASSOCIATED;
		out->ulPropTag = PR_MESSAGE_FLAGS;
		out->Value.l = (LONG)flags;
		return S_OK;
	}
	case PROP_ID(PR_ACCESS):
		out->ulPropTag = PR_ACCESS;
		out->Value.l = (LONG)(MAPI_ACCESS_READ |
		                      ((o->access & MAPI_MODIFY) ? (MAPI_ACCESS_MODIFY | MAPI_ACCESS_DELETE) : 0));
		return S_OK;
	case PROP_ID(PR_ACCESS_LEVEL):
		out->ulPropTag = PR_ACCESS_LEVEL;
		out->Value.l = (o->access & MAPI_MODIFY) ? MAPI_MODIFY : 0;
		return S_OK;
	case PROP_ID(PR_CREATION_TIME):
		out->ulPropTag = PR_CREATION_TIME;
		out->Value.ft = mapix_filetime_from_u64(saved ? r.created : s->created);
		return S_OK;
	case PROP_ID(PR_LAST_MODIFICATION_TIME):
		out->ulPropTag = PR_LAST_MODIFICATION_TIME;
		out->Value.ft = mapix_filetime_from_u64(saved ? r.modified : s->modified);
		return S_OK;
	case PROP_ID(PR_STORE_RECORD_KEY):
	case PROP_ID(PR_MAPPING_SIGNATURE):
		return local_binary_value(out, PROP_TAG(PT_BINARY, PROP_ID(tag)), g, sizeof *g, root);
	case PROP_ID(PR_STORE_ENTRYID): {
		ULONG cb;
		LPENTRYID eid;
		if (FAILED(hr = mapix_entryid_make_store(o->logon->server, o->logon->account, root, &cb, &eid)))
			return hr;
		out->ulPropTag = PR_STORE_ENTRYID;
		out->Value.bin.cb = cb;
		out->Value.bin.lpb = (LPBYTE)eid;
		return S_OK;
	}
	}
	return MAPI_E_NOT_FOUND;
}

/* ---- IMAPIProp overrides ------------------------------------------------------------------------ */

/* SetProps: PR_MESSAGE_FLAGS and PR_SEARCH_KEY are computed, but a caller
 * may set them before the first save (MS-OXCMSG); everything else goes to
 * the shared implementation. */
static HRESULT message_SetProps(IMessage *This, ULONG cValues, LPSPropValue lpPropArray,
                                LPSPropProblemArray *lppProblems)
{
	LOCAL_CHECK_CALLER(This, "message_SetProps");
	local_object *o = MSG(This);
	local_msgstate *s = o->kind_data;
	LPSPropValue rest = NULL;
	ULONG *map = NULL, n = 0;
	LPSPropProblemArray mine = NULL, theirs = NULL;
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropArray || cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetProps: no values");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SetProps: the message was opened read-only");
	if (FAILED(hr = MAPIAllocateBuffer(cValues * (ULONG)sizeof(SPropValue), (LPVOID *)&rest)) ||
	    FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSPropProblemArray(cValues), (LPVOID *)&mine)))
		goto out;
	mine->cProblem = 0;
	if (!(map = malloc(cValues * sizeof *map))) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SetProps: out of memory");
		goto out;
	}
	local_db_lock(o->logon->db);
	for (ULONG i = 0; i < cValues; i++) {
		ULONG tag = lpPropArray[i].ulPropTag;
		SCODE sc = S_OK;
		if (PROP_ID(tag) == PROP_ID(PR_MESSAGE_FLAGS)) {
			if (!o->is_new)
				sc = MAPI_E_COMPUTED;
			else if (PROP_TYPE(tag) != PT_LONG)
				sc = MAPI_E_INVALID_TYPE;
			else {
				s->flags = (ULONG)lpPropArray[i].Value.l & SETTABLE_FLAGS;
				s->flags_set = TRUE;
			}
		} else if (PROP_ID(tag) == PROP_ID(PR_SEARCH_KEY)) {
			if (!o->is_new)
				sc = MAPI_E_COMPUTED;
			else if (PROP_TYPE(tag) != PT_BINARY)
				sc = MAPI_E_INVALID_TYPE;
			else if (lpPropArray[i].Value.bin.cb > LOCAL_SEARCH_KEY_MAX ||
			         (lpPropArray[i].Value.bin.cb && !lpPropArray[i].Value.bin.lpb))
				sc = MAPI_E_INVALID_PARAMETER;
			else {
				s->cb_search_key = lpPropArray[i].Value.bin.cb;
				if (s->cb_search_key)
					memcpy(s->search_key, lpPropArray[i].Value.bin.lpb, s->cb_search_key);
			}
		} else {
			map[n] = i;
			rest[n++] = lpPropArray[i];
			continue;
		}
		if (sc != S_OK) {
			SPropProblem *p = &mine->aProblem[mine->cProblem++];
			p->ulIndex = i;
			p->ulPropTag = tag;
			p->scode = sc;
		}
	}
	local_db_unlock(o->logon->db);
	if (n && FAILED(hr = local_prop_SetProps(o, n, rest, &theirs)))
		goto out;
	for (ULONG i = 0; theirs && i < theirs->cProblem; i++) {
		SPropProblem *p = &mine->aProblem[mine->cProblem++];
		*p = theirs->aProblem[i];
		p->ulIndex = map[theirs->aProblem[i].ulIndex];
	}
	if (lppProblems && mine->cProblem) {
		*lppProblems = mine;
		mine = NULL;
	}
out:
	free(map);
	if (rest)
		MAPIFreeBuffer(rest);
	if (mine)
		MAPIFreeBuffer(mine);
	if (theirs)
		MAPIFreeBuffer(theirs);
	return hr;
}

static HRESULT message_open_property(local_object *o, ULONG tag, LPCIID lpiid, ULONG opts, ULONG flags,
                                     LPUNKNOWN *lppUnk)
{
	(void)opts, (void)flags;
	if (PROP_ID(tag) == PROP_ID(PR_MESSAGE_RECIPIENTS) || PROP_ID(tag) == PROP_ID(PR_MESSAGE_ATTACHMENTS)) {
		if (!IsEqualIID(lpiid, &IID_IMAPITable))
			return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenProperty: that property opens as IMAPITable");
		LPMAPITABLE t;
		HRESULT hr = PROP_ID(tag) == PROP_ID(PR_MESSAGE_RECIPIENTS)
		                 ? local_message_GetRecipientTable((IMessage *)o, MAPI_UNICODE, &t)
		                 : local_message_GetAttachmentTable((IMessage *)o, MAPI_UNICODE, &t);
		if (SUCCEEDED(hr))
			*lppUnk = (LPUNKNOWN)t;
		return hr;
	}
	return MAPI_E_NO_SUPPORT;
}

static BOOL excluded(LPSPropTagArray exclude, ULONG tag)
{
	for (ULONG i = 0; exclude && i < exclude->cValues; i++)
		if (PROP_ID(exclude->aulPropTag[i]) == PROP_ID(tag))
			return TRUE;
	return FALSE;
}

static HRESULT message_copy_subobjects(local_object *o, LPSPropTagArray exclude, LPVOID dest, ULONG flags,
                                       LPSPropProblemArray *problems)
{
	(void)problems;
	LPMESSAGE dm = NULL;
	HRESULT hr = IUnknown_QueryInterface((LPUNKNOWN)dest, &IID_IMessage, (LPVOID *)&dm);
	if (FAILED(hr))
		return S_OK; /* not a message: only properties are copied */
	if (!excluded(exclude, PR_MESSAGE_RECIPIENTS))
		hr = local_recips_copy_to(o, dm, flags);
	if (SUCCEEDED(hr) && !excluded(exclude, PR_MESSAGE_ATTACHMENTS))
		hr = local_atts_copy_to(o, dm, flags);
	IMessage_Release(dm);
	return hr;
}

static void message_destroy(local_object *o)
{
	local_msgstate_free(o->kind_data);
	o->kind_data = NULL;
	if (o->parent)
		local_prop_Release(o->parent);
	o->parent = NULL;
}

/* ---- IMessage methods ------------------------------------------------------------------------------ */

static HRESULT message_SubmitMessage(IMessage *This, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "message_SubmitMessage");
	(void)This, (void)ulFlags;
	return mapix_error(MAPI_E_NO_SUPPORT, "SubmitMessage: the local store has no transport");
}

static ULONG read_flag_apply(ULONG flags, ULONG ulFlags)
{
	if (ulFlags & CLEAR_READ_FLAG) {
		flags &= ~MSGFLAG_READ;
	} else {
		flags |= MSGFLAG_READ;
		if (ulFlags & SUPPRESS_RECEIPT)
			flags &= ~MSGFLAG_RN_PENDING;
	}
	if (ulFlags & CLEAR_RN_PENDING)
		flags &= ~MSGFLAG_RN_PENDING;
	if (ulFlags & CLEAR_NRN_PENDING)
		flags &= ~MSGFLAG_NRN_PENDING;
	return flags;
}

static HRESULT message_SetReadFlag(IMessage *This, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "message_SetReadFlag");
	static const char upd[] = "UPDATE messages SET flags = ?2, change_number = ?3, modified = ?4 WHERE mid = ?1";
	local_object *o = MSG(This);
	local_msgstate *s = o->kind_data;
	local_db *db = o->logon->db;
	const ULONG known = SUPPRESS_RECEIPT | CLEAR_READ_FLAG | MAPI_DEFERRED_ERRORS | GENERATE_RECEIPT_ONLY |
	                    CLEAR_RN_PENDING | CLEAR_NRN_PENDING;
	HRESULT hr;

	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "SetReadFlag: unknown flags 0x%08X", (unsigned)ulFlags);
	if ((ulFlags & CLEAR_READ_FLAG) && (ulFlags & (SUPPRESS_RECEIPT | GENERATE_RECEIPT_ONLY)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetReadFlag: CLEAR_READ_FLAG with receipt flags");
	if (!(o->logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "SetReadFlag: the store was opened read-only");
	if (ulFlags & GENERATE_RECEIPT_ONLY)
		return S_OK; /* receipts need a transport; nothing changes in the store */

	local_db_lock(db);
	if (o->parent || o->is_new || !o->id) {
		/* Not in a folder yet (or embedded): staged like any change. */
		s->flags = read_flag_apply(s->flags, ulFlags);
		s->flags_set = TRUE;
		local_db_unlock(db);
		return S_OK;
	}
	msg_row r;
	uint64_t cn;
	if (FAILED(hr = local_db_begin_write(db)))
		goto out;
	hr = read_row(db, o->id, &r);
	if (hr == MAPI_E_NOT_FOUND) {
		o->deleted = TRUE;
		hr = mapix_error(MAPI_E_OBJECT_DELETED, "SetReadFlag: the message was deleted");
	}
	if (FAILED(hr))
		goto fail;
	ULONG nf = read_flag_apply(r.flags, ulFlags);
	if (nf != r.flags) {
		sqlite3_stmt *st;
		if (FAILED(hr = local_journal_add(db, LOCAL_CHANGE_MODIFY, MAPI_MESSAGE, o->id, r.fid, 0, &cn)) ||
		    FAILED(hr = local_db_prepare(db, upd, &st)))
			goto fail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
		sqlite3_bind_int64(st, 2, nf);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)cn);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)mapix_filetime_to_u64(mapix_filetime_now()));
		if (FAILED(hr = local_step_done(db, st, "setting the read flag")))
			goto fail;
		BOOL was = (r.flags & MSGFLAG_READ) != 0, now = (nf & MSGFLAG_READ) != 0;
		if (was != now && !r.associated &&
		    FAILED(hr = local_folder_adjust_counts(db, r.fid, 0, now ? -1 : 1, 0, 0)))
			goto fail;
	}
	if (FAILED(hr = local_db_commit(db)))
		goto fail;
	if (nf != r.flags && o->change_number == r.change_number)
		o->change_number = cn; /* our own change is no conflict for our SaveChanges */
	if (!s->flags_set)
		s->flags = nf;
	goto out;
fail:
	local_db_rollback(db);
out:
	local_db_unlock(db);
	return hr;
}

/* ---- the message object --------------------------------------------------------------------------- */

static const IID *const message_iids[] = {&IID_IMessage, NULL};

static const local_object_ops message_ops = {
	.kind = LOCAL_KIND_MESSAGE,
	.obj_type = MAPI_MESSAGE,
	.iids = message_iids,
	.transacted = TRUE,
	.computed = message_computed_prop,
	.computed_tags = message_computed,
	.n_computed_tags = sizeof message_computed / sizeof message_computed[0],
	.save = message_save,
	.destroy = message_destroy,
	.open_property = message_open_property,
	.copy_subobjects = message_copy_subobjects,
};

static const IMessageVtbl message_vtbl = {
	.QueryInterface = (void *)local_prop_QueryInterface,
	.AddRef = (void *)local_prop_AddRef,
	.Release = (void *)local_prop_Release,
	.GetLastError = (void *)local_prop_GetLastError,
	.SaveChanges = (void *)local_prop_SaveChanges,
	.GetProps = (void *)local_prop_GetProps,
	.GetPropList = (void *)local_prop_GetPropList,
	.OpenProperty = (void *)local_prop_OpenProperty,
	.SetProps = message_SetProps,
	.DeleteProps = (void *)local_prop_DeleteProps,
	.CopyTo = (void *)local_prop_CopyTo,
	.CopyProps = (void *)local_prop_CopyProps,
	.GetNamesFromIDs = (void *)local_prop_GetNamesFromIDs,
	.GetIDsFromNames = (void *)local_prop_GetIDsFromNames,
	.GetAttachmentTable = local_message_GetAttachmentTable,
	.OpenAttach = local_message_OpenAttach,
	.CreateAttach = local_message_CreateAttach,
	.DeleteAttach = local_message_DeleteAttach,
	.GetRecipientTable = local_message_GetRecipientTable,
	.ModifyRecipients = local_message_ModifyRecipients,
	.SubmitMessage = message_SubmitMessage,
	.SetReadFlag = message_SetReadFlag,
};
