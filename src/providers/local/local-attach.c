/*
 * local-attach.c — attachments of a local-store message: the IAttach
 * object, CreateAttach/OpenAttach/DeleteAttach/GetAttachmentTable on the
 * message's staged attachment set, embedded messages through
 * OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage), and the database side
 * (attachment rows; an embedded message is a messages row with fid NULL
 * and parent_aid set).
 *
 * An IAttach is transacted: its SaveChanges copies its state (property
 * changes and a committed embedded message) into its message's
 * attachment entry; the message's SaveChanges writes it. Attachment
 * numbers count up from 0 and are not reused while the message is open.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-message.h"
#include "local-propset.h"
#include "local-table.h"

#define MSG(This) ((local_object *)(This))

static const IAttachVtbl attach_vtbl;
static const local_object_ops attach_ops;

BOOL local_is_attach(const local_object *o)
{
	return o && o->lpVtbl == (const void *)&attach_vtbl;
}

/* ---- the staged set ---------------------------------------------------------------------- */

static void entry_free(local_attentry *e)
{
	local_changes_free(e->changes, e->n_changes);
	local_msgstate_free(e->embedded);
	e->changes = NULL;
	e->n_changes = 0;
	e->embedded = NULL;
}

void local_attset_free(local_attset *as)
{
	for (ULONG i = 0; i < as->n; i++)
		entry_free(&as->rows[i]);
	free(as->rows);
	memset(as, 0, sizeof *as);
}

static local_attentry *append_entry(local_attset *as)
{
	if (as->n == as->cap) {
		ULONG cap = as->cap ? as->cap * 2 : 8;
		local_attentry *bigger = realloc(as->rows, cap * sizeof *bigger);
		if (!bigger)
			return NULL;
		as->rows = bigger;
		as->cap = cap;
	}
	local_attentry *e = &as->rows[as->n++];
	memset(e, 0, sizeof *e);
	return e;
}

HRESULT local_attset_copy(const local_attset *src, local_attset *dst)
{
	HRESULT hr = S_OK;
	memset(dst, 0, sizeof *dst);
	dst->loaded = src->loaded;
	dst->modified = src->modified;
	dst->next_num = src->next_num;
	for (ULONG i = 0; i < src->n; i++) {
		const local_attentry *se = &src->rows[i];
		local_attentry *e = append_entry(dst);
		if (!e) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "attachments: out of memory");
			break;
		}
		*e = *se;
		e->changes = NULL;
		e->n_changes = 0;
		e->embedded = NULL;
		if (FAILED(hr = local_changes_copy(se->changes, se->n_changes, &e->changes, &e->n_changes)))
			break;
		if (se->embedded && FAILED(hr = local_msgstate_copy(se->embedded, &e->embedded)))
			break;
	}
	if (FAILED(hr))
		local_attset_free(dst);
	return hr;
}

static local_attentry *find_entry(local_attset *as, ULONG num)
{
	for (ULONG i = 0; i < as->n; i++)
		if (as->rows[i].num == num)
			return &as->rows[i];
	return NULL;
}

HRESULT local_atts_load(local_db *db, const local_msgstate *s, local_attset *as)
{
	static const char sel[] = "SELECT aid, num FROM attachments WHERE mid = ?1 ORDER BY num";
	uint64_t *ids = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr;
	if (as->loaded)
		return S_OK;
	if (s->is_new || !s->mid) {
		as->loaded = TRUE;
		return S_OK;
	}
	if (FAILED(hr = local_db_prepare(db, sel, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->mid);
	if (FAILED(hr = local_collect_ids(db, st, 2, &ids, &n, "listing attachments")))
		return hr;
	for (size_t i = 0; i < n; i++) {
		local_attentry *e = append_entry(as);
		if (!e) {
			free(ids);
			local_attset_free(as);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "attachments: out of memory");
		}
		e->aid = ids[2 * i];
		e->num = (ULONG)ids[2 * i + 1];
		if (e->num >= as->next_num)
			as->next_num = e->num + 1;
	}
	free(ids);
	as->loaded = TRUE;
	return S_OK;
}

HRESULT local_atts_count(local_db *db, const local_msgstate *s, ULONG *count)
{
	static const char sel[] = "SELECT count(*) FROM attachments WHERE mid = ?1";
	*count = 0;
	if (s->atts.loaded) {
		for (ULONG i = 0; i < s->atts.n; i++)
			if (!s->atts.rows[i].deleted)
				(*count)++;
		return S_OK;
	}
	if (s->is_new || !s->mid)
		return S_OK;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->mid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (ULONG)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "counting attachments");
}

/* ---- database ---------------------------------------------------------------------------------- */

/* Deletes one stored attachment with its embedded messages. */
static HRESULT delete_attachment_db(local_db *db, uint64_t aid, int depth)
{
	static const char emb[] = "SELECT mid FROM messages WHERE parent_aid = ?1";
	static const char del[] = "DELETE FROM attachments WHERE aid = ?1";
	uint64_t *ids = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, emb, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)aid);
	if (FAILED(hr = local_collect_ids(db, st, 1, &ids, &n, "listing embedded messages")))
		return hr;
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = local_message_delete_db(db, ids[i], depth + 1);
	free(ids);
	if (FAILED(hr) || FAILED(hr = local_props_delete_all(db, aid)) || FAILED(hr = local_db_prepare(db, del, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)aid);
	return local_step_done(db, st, "deleting an attachment");
}

HRESULT local_atts_delete_db(local_db *db, uint64_t mid, int depth)
{
	static const char sel[] = "SELECT aid FROM attachments WHERE mid = ?1";
	uint64_t *ids = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	if (FAILED(hr = local_collect_ids(db, st, 1, &ids, &n, "listing attachments")))
		return hr;
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = delete_attachment_db(db, ids[i], depth);
	free(ids);
	return hr;
}

static HRESULT insert_attachment(local_db *db, uint64_t aid, uint64_t mid, ULONG num)
{
	static const char ins[] = "INSERT INTO attachments(aid, mid, num) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, ins, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)aid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 3, num);
	return local_step_done(db, st, "writing an attachment");
}

HRESULT local_atts_write(local_db *db, uint64_t mid, const local_attset *as, uint64_t cn, int depth)
{
	static const char same_num[] = "SELECT aid FROM attachments WHERE mid = ?1 AND num = ?2";
	HRESULT hr = S_OK;
	for (ULONG i = 0; SUCCEEDED(hr) && i < as->n; i++) {
		const local_attentry *e = &as->rows[i];
		uint64_t aid = e->aid;
		if (e->deleted) {
			if (aid)
				hr = delete_attachment_db(db, aid, depth);
			continue;
		}
		BOOL fresh = e->is_new || !aid;
		if (fresh) {
			/* A complete attachment replaces one stored under its number. */
			sqlite3_stmt *st;
			uint64_t *old = NULL;
			size_t n = 0;
			if (FAILED(hr = local_db_prepare(db, same_num, &st)))
				break;
			sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
			sqlite3_bind_int64(st, 2, e->num);
			if (FAILED(hr = local_collect_ids(db, st, 1, &old, &n, "listing attachments")))
				break;
			for (size_t k = 0; SUCCEEDED(hr) && k < n; k++)
				hr = delete_attachment_db(db, old[k], depth);
			free(old);
			if (FAILED(hr) || FAILED(hr = local_db_next_ids(db, 1, &aid)) ||
			    FAILED(hr = insert_attachment(db, aid, mid, e->num)))
				break;
		} else if (!e->staged) {
			continue;
		}
		hr = local_changes_flush(db, aid, e->changes, e->n_changes, fresh);
		if (SUCCEEDED(hr) && e->embedded)
			hr = local_msgstate_write_embedded(db, e->embedded, aid, cn, depth + 1);
	}
	return hr;
}

HRESULT local_atts_copy_db(local_db *db, uint64_t src_mid, uint64_t dst_mid, uint64_t cn, int depth)
{
	static const char sel[] = "SELECT aid, num FROM attachments WHERE mid = ?1";
	static const char emb[] = "SELECT mid FROM messages WHERE parent_aid = ?1";
	uint64_t *ids = NULL, first = 0;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)src_mid);
	if (FAILED(hr = local_collect_ids(db, st, 2, &ids, &n, "listing attachments")))
		return hr;
	if (n)
		hr = local_db_next_ids(db, n, &first);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) {
		uint64_t aid = first + i, *mids = NULL;
		size_t nm = 0;
		if (FAILED(hr = insert_attachment(db, aid, dst_mid, (ULONG)ids[2 * i + 1])) ||
		    FAILED(hr = local_props_copy_all(db, ids[2 * i], aid)) || FAILED(hr = local_db_prepare(db, emb, &st)))
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ids[2 * i]);
		if (FAILED(hr = local_collect_ids(db, st, 1, &mids, &nm, "listing embedded messages")))
			break;
		for (size_t k = 0; SUCCEEDED(hr) && k < nm; k++) {
			uint64_t copy = 0;
			hr = local_message_copy_db(db, mids[k], 0, aid, cn, depth + 1, &copy);
		}
		free(mids);
	}
	free(ids);
	return hr;
}

/* ---- the IAttach object -------------------------------------------------------------------------- */

/* A new IAttach on attachment `num` of msg, seeded from its entry (NULL
 * for a new attachment). */
static HRESULT new_attach_object(local_object *msg, ULONG num, const local_attentry *e, BOOL modify,
                                 local_object **out)
{
	local_object *o;
	local_attdata *ad = calloc(1, sizeof *ad);
	HRESULT hr;
	if (!ad)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "attachments: out of memory");
	ad->num = num;
	if (FAILED(hr = local_object_new(msg->logon, &attach_ops, &attach_vtbl, sizeof *o, &o))) {
		free(ad);
		return hr;
	}
	o->kind_data = ad;
	o->parent = msg;
	local_prop_AddRef(msg);
	o->fid = msg->fid;
	o->access = modify ? MAPI_MODIFY : 0;
	o->id = e ? e->aid : 0;
	o->is_new = !e || e->is_new || !e->aid;
	if (e) {
		local_change *c;
		ULONG n;
		if (FAILED(hr = local_changes_copy(e->changes, e->n_changes, &c, &n)) ||
		    (e->embedded && FAILED(hr = local_msgstate_copy(e->embedded, &ad->embedded)))) {
			local_prop_Release(o);
			return hr;
		}
		o->changes = c;
		o->n_changes = o->cap_changes = n;
	}
	*out = o;
	return S_OK;
}

static const ULONG attach_computed[] = {
	PR_ATTACH_NUM, PR_OBJECT_TYPE, PR_ATTACH_SIZE, PR_RECORD_KEY, PR_ACCESS, PR_ACCESS_LEVEL,
};

static HRESULT attach_computed_prop(local_object *o, ULONG tag, LPVOID root, LPSPropValue out)
{
	static const char emb[] = "SELECT coalesce(sum(size), 0) FROM messages WHERE parent_aid = ?1";
	local_attdata *ad = o->kind_data;
	local_db *db = o->logon->db;
	HRESULT hr;
	out->dwAlignPad = 0;
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_ATTACH_NUM):
		out->ulPropTag = PR_ATTACH_NUM;
		out->Value.l = (LONG)ad->num;
		return S_OK;
	case PROP_ID(PR_OBJECT_TYPE):
		out->ulPropTag = PR_OBJECT_TYPE;
		out->Value.l = MAPI_ATTACH;
		return S_OK;
	case PROP_ID(PR_RECORD_KEY): {
		BYTE key[4] = {(BYTE)ad->num, (BYTE)(ad->num >> 8), (BYTE)(ad->num >> 16), (BYTE)(ad->num >> 24)};
		return local_binary_value(out, PR_RECORD_KEY, key, sizeof key, root);
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
	case PROP_ID(PR_ATTACH_SIZE): {
		uint64_t size, part = 0;
		/* The stored values the object keeps, when it has no changes. */
		if (o->props_cache && !o->is_new && !o->n_changes)
			size = local_propset_total_size(o->props_cache);
		else if (FAILED(hr = local_changes_props_size(db, o->id, o->is_new, o->changes, o->n_changes, &size)))
			return hr;
		if (ad->embedded) {
			hr = local_msgstate_size(db, ad->embedded, ad->embedded->changes, ad->embedded->n_changes, 1, &part);
		} else if (ad->emb_size_known && !o->is_new) {
			part = ad->emb_size;
		} else if (!o->is_new) {
			sqlite3_stmt *st;
			if (SUCCEEDED(hr = local_db_prepare(db, emb, &st))) {
				sqlite3_bind_int64(st, 1, (sqlite3_int64)o->id);
				int rc = sqlite3_step(st);
				part = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
				sqlite3_reset(st);
				if (rc != SQLITE_ROW)
					hr = local_db_error(db, rc, "sizing an attachment");
			}
		}
		if (FAILED(hr))
			return hr;
		size += part;
		out->ulPropTag = PR_ATTACH_SIZE;
		out->Value.l = size > 0x7FFFFFFF ? 0x7FFFFFFF : (LONG)size;
		return S_OK;
	}
	}
	return MAPI_E_NOT_FOUND;
}

/* SaveChanges: commits into the message's attachment entry. */
static HRESULT attach_save(local_object *o, ULONG ulFlags)
{
	(void)ulFlags;
	local_object *msg = o->parent;
	local_msgstate *s = local_message_state(msg);
	local_attdata *ad = o->kind_data;
	local_db *db = o->logon->db;
	local_change *c;
	ULONG n;
	local_msgstate *emb = NULL;
	HRESULT hr = local_atts_load(db, s, &s->atts);
	if (FAILED(hr))
		return hr;
	local_attentry *e = find_entry(&s->atts, ad->num);
	if (e && e->deleted)
		return mapix_error(MAPI_E_OBJECT_DELETED, "SaveChanges: attachment %u was deleted", (unsigned)ad->num);
	if (FAILED(hr = local_changes_copy(o->changes, o->n_changes, &c, &n)))
		return hr;
	if (ad->embedded && FAILED(hr = local_msgstate_copy(ad->embedded, &emb))) {
		local_changes_free(c, n);
		return hr;
	}
	if (!e) {
		if (!(e = append_entry(&s->atts))) {
			local_changes_free(c, n);
			local_msgstate_free(emb);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SaveChanges: out of memory");
		}
		e->num = ad->num;
		e->is_new = TRUE;
	}
	local_changes_free(e->changes, e->n_changes);
	e->changes = c;
	e->n_changes = n;
	if (emb) {
		local_msgstate_free(e->embedded);
		e->embedded = emb;
	}
	e->staged = TRUE;
	s->atts.modified = TRUE;
	return S_OK;
}

static void attach_destroy(local_object *o)
{
	local_attdata *ad = o->kind_data;
	if (ad) {
		local_msgstate_free(ad->embedded);
		free(ad);
	}
	o->kind_data = NULL;
	if (o->parent)
		local_prop_Release(o->parent);
	o->parent = NULL;
}

static HRESULT attach_open_property(local_object *o, ULONG tag, LPCIID lpiid, ULONG opts, ULONG flags,
                                    LPUNKNOWN *lppUnk)
{
	(void)opts;
	HRESULT hr;
	if (PROP_ID(tag) != PROP_ID(PR_ATTACH_DATA_OBJ))
		return MAPI_E_NO_SUPPORT;
	if (IsEqualIID(lpiid, &IID_IMessage)) {
		local_object *m;
		local_db_lock(o->logon->db);
		hr = local_message_open_embedded(o, flags, &m);
		local_db_unlock(o->logon->db);
		if (SUCCEEDED(hr))
			*lppUnk = (LPUNKNOWN)m;
		return hr;
	}
	if (IsEqualIID(lpiid, &IID_IStream) && PROP_TYPE(tag) == PT_OBJECT) {
		/* The binary data as a stream, as some clients ask for it. */
		LPSTREAM st;
		hr = local_stream_open(o, PR_ATTACH_DATA_BIN, flags, &st);
		if (SUCCEEDED(hr))
			*lppUnk = (LPUNKNOWN)st;
		return hr;
	}
	return MAPI_E_NO_SUPPORT;
}

static HRESULT attach_copy_subobjects(local_object *o, LPSPropTagArray exclude, LPVOID dest, ULONG flags,
                                      LPSPropProblemArray *problems)
{
	(void)flags, (void)problems;
	LPATTACH datt = NULL;
	LPMESSAGE src = NULL, dst = NULL;
	HRESULT hr;
	for (ULONG i = 0; exclude && i < exclude->cValues; i++)
		if (PROP_ID(exclude->aulPropTag[i]) == PROP_ID(PR_ATTACH_DATA_OBJ))
			return S_OK;
	local_object *m;
	local_db_lock(o->logon->db);
	hr = local_message_open_embedded(o, 0, &m);
	local_db_unlock(o->logon->db);
	if (hr == MAPI_E_NOT_FOUND)
		return S_OK; /* nothing embedded */
	if (FAILED(hr))
		return hr;
	src = (LPMESSAGE)m;
	if (FAILED(IUnknown_QueryInterface((LPUNKNOWN)dest, &IID_IAttachment, (LPVOID *)&datt))) {
		IMessage_Release(src);
		return S_OK;
	}
	hr = IAttach_OpenProperty(datt, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
	                          (LPUNKNOWN *)&dst);
	if (SUCCEEDED(hr))
		hr = IMessage_CopyTo(src, 0, NULL, NULL, 0, NULL, &IID_IMessage, dst, 0, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(dst, KEEP_OPEN_READWRITE);
	if (dst)
		IMessage_Release(dst);
	IAttach_Release(datt);
	IMessage_Release(src);
	return hr;
}

/* ---- IMessage methods for attachments ------------------------------------------------------------- */

HRESULT local_message_CreateAttach(IMessage *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum,
                                   LPATTACH *lppAttach)
{
	LOCAL_CHECK_CALLER(This, "local_message_CreateAttach");
	local_object *msg = MSG(This), *o;
	local_msgstate *s = local_message_state(msg);
	local_db *db = msg->logon->db;
	HRESULT hr;
	(void)lpInterface;
	if (!lpulAttachmentNum || !lppAttach)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateAttach: NULL output pointer");
	if (ulFlags & ~MAPI_DEFERRED_ERRORS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CreateAttach: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(msg->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "CreateAttach: the message was opened read-only");
	local_db_lock(db);
	hr = local_atts_load(db, s, &s->atts);
	if (SUCCEEDED(hr) && SUCCEEDED(hr = new_attach_object(msg, s->atts.next_num, NULL, TRUE, &o))) {
		*lpulAttachmentNum = s->atts.next_num++;
		*lppAttach = (LPATTACH)o;
	}
	local_db_unlock(db);
	return hr;
}

HRESULT local_message_OpenAttach(IMessage *This, ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags,
                                 LPATTACH *lppAttach)
{
	LOCAL_CHECK_CALLER(This, "local_message_OpenAttach");
	local_object *msg = MSG(This), *o;
	local_msgstate *s = local_message_state(msg);
	local_db *db = msg->logon->db;
	HRESULT hr;
	(void)lpInterface;
	if (!lppAttach)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenAttach: lppAttach is NULL");
	if (ulFlags & ~(MAPI_MODIFY | MAPI_BEST_ACCESS | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "OpenAttach: unknown flags 0x%08X", (unsigned)ulFlags);
	if ((ulFlags & MAPI_MODIFY) && !(msg->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "OpenAttach: the message was opened read-only");
	BOOL modify = (ulFlags & MAPI_MODIFY) || ((ulFlags & MAPI_BEST_ACCESS) && (msg->access & MAPI_MODIFY));
	local_db_lock(db);
	hr = local_atts_load(db, s, &s->atts);
	if (SUCCEEDED(hr)) {
		local_attentry *e = find_entry(&s->atts, ulAttachmentNum);
		if (!e || e->deleted)
			hr = mapix_error(MAPI_E_NOT_FOUND, "OpenAttach: no attachment %u", (unsigned)ulAttachmentNum);
		else if (SUCCEEDED(hr = new_attach_object(msg, ulAttachmentNum, e, modify, &o)))
			*lppAttach = (LPATTACH)o;
	}
	local_db_unlock(db);
	return hr;
}

HRESULT local_message_DeleteAttach(IMessage *This, ULONG ulAttachmentNum, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "local_message_DeleteAttach");
	local_object *msg = MSG(This);
	local_msgstate *s = local_message_state(msg);
	local_db *db = msg->logon->db;
	HRESULT hr;
	(void)ulUIParam, (void)lpProgress;
	if (ulFlags & ~ATTACH_DIALOG)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "DeleteAttach: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!(msg->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "DeleteAttach: the message was opened read-only");
	local_db_lock(db);
	hr = local_atts_load(db, s, &s->atts);
	if (SUCCEEDED(hr)) {
		local_attentry *e = find_entry(&s->atts, ulAttachmentNum);
		if (!e || e->deleted) {
			hr = mapix_error(MAPI_E_NOT_FOUND, "DeleteAttach: no attachment %u", (unsigned)ulAttachmentNum);
		} else if (!e->aid) {
			/* Never stored: forget it. */
			entry_free(e);
			memmove(e, e + 1, (size_t)(&s->atts.rows[s->atts.n] - (e + 1)) * sizeof *e);
			s->atts.n--;
		} else {
			entry_free(e);
			e->deleted = TRUE;
			e->staged = FALSE;
		}
		if (SUCCEEDED(hr))
			s->atts.modified = TRUE;
	}
	local_db_unlock(db);
	return hr;
}

/* Whether an attachment entry is exactly what is stored (no staged
 * change), so its table row can come from the stored rows. */
static BOOL entry_as_stored(const local_attentry *e)
{
	return e->aid && !e->is_new && !e->deleted && !e->staged && !e->n_changes && !e->embedded;
}

/* Hands an attachment object for a table row the stored values read for
 * every attachment at once. */
static HRESULT seed_attach_object(local_object *o, local_propgroup *groups, size_t n)
{
	local_attdata *ad = o->kind_data;
	for (size_t i = 0; i < n; i++) {
		if (groups[i].obj != o->id)
			continue;
		local_propset *ps = malloc(sizeof *ps);
		if (!ps)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetAttachmentTable: out of memory");
		*ps = groups[i].set;
		memset(&groups[i].set, 0, sizeof groups[i].set);
		o->props_cache = ps;
		ad->emb_size_known = TRUE;
		ad->emb_size = (uint64_t)groups[i].extra;
		return S_OK;
	}
	return S_OK; /* gone meanwhile: the object reads for itself */
}

HRESULT local_message_GetAttachmentTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	LOCAL_CHECK_CALLER(This, "local_message_GetAttachmentTable");
	static const SizedSPropTagArray(8, cols_w) = {
		8, {PR_ATTACH_NUM, PR_INSTANCE_KEY, PR_RECORD_KEY, PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME_W,
		    PR_DISPLAY_NAME_W, PR_ATTACH_SIZE, PR_RENDERING_POSITION}};
	static const SizedSPropTagArray(8, cols_a) = {
		8, {PR_ATTACH_NUM, PR_INSTANCE_KEY, PR_RECORD_KEY, PR_ATTACH_METHOD, PR_ATTACH_LONG_FILENAME_A,
		    PR_DISPLAY_NAME_A, PR_ATTACH_SIZE, PR_RENDERING_POSITION}};
	/* Every attachment with its properties and the size of its embedded
	 * message; an attachment without properties comes as one NULL tag. */
	static const char rows_sql[] =
	    "SELECT a.aid, p.tag, p.value, p.size,"
	    " (SELECT coalesce(sum(m.size), 0) FROM messages m WHERE m.parent_aid = a.aid)"
	    " FROM attachments a LEFT JOIN props p ON p.obj = a.aid WHERE a.mid = ?1 ORDER BY a.num, a.aid, p.tag";
	local_object *msg = MSG(This);
	local_msgstate *s = local_message_state(msg);
	local_db *db = msg->logon->db;
	local_object **atts = NULL;
	local_propgroup *groups = NULL;
	size_t n_groups = 0;
	ULONG n = 0;
	LPTABLEDATA td = NULL;
	HRESULT hr;

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetAttachmentTable: lppTable is NULL");
	if (ulFlags & ~(MAPI_UNICODE | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetAttachmentTable: unknown flags 0x%08X", (unsigned)ulFlags);
	/* Open every attachment under the lock, read them without it (GetProps
	 * takes it). The stored ones get their properties from one query for
	 * all of them, so reading a row costs no further look-up. */
	local_db_lock(db);
	hr = local_db_begin_read(db);
	if (FAILED(hr)) {
		local_db_unlock(db);
		return hr;
	}
	hr = local_atts_load(db, s, &s->atts);
	BOOL any_stored = FALSE;
	for (ULONG i = 0; SUCCEEDED(hr) && i < s->atts.n; i++)
		any_stored |= entry_as_stored(&s->atts.rows[i]);
	if (SUCCEEDED(hr) && any_stored)
		hr = local_propgroups_load(db, rows_sql, s->mid, &groups, &n_groups);
	if (SUCCEEDED(hr) && s->atts.n && !(atts = calloc(s->atts.n, sizeof *atts)))
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetAttachmentTable: out of memory");
	for (ULONG i = 0; SUCCEEDED(hr) && i < s->atts.n; i++) {
		local_attentry *e = &s->atts.rows[i];
		if (e->deleted || FAILED(hr = new_attach_object(msg, e->num, e, FALSE, &atts[n])))
			continue;
		if (entry_as_stored(e))
			hr = seed_attach_object(atts[n], groups, n_groups);
		n++;
	}
	local_db_end_read(db);
	local_db_unlock(db);
	local_propgroups_free(groups, n_groups);
	if (SUCCEEDED(hr))
		hr = local_table_new((ulFlags & MAPI_UNICODE) ? (const SPropTagArray *)&cols_w
		                                              : (const SPropTagArray *)&cols_a,
		                     &td);
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = local_table_add_object(td, (LPMAPIPROP)atts[i], ulFlags, NULL, 0,
		                            ((local_attdata *)atts[i]->kind_data)->num);
	for (ULONG i = 0; i < n; i++)
		local_prop_Release(atts[i]);
	free(atts);
	if (FAILED(hr)) {
		if (td)
			ITableData_Release(td);
		return hr;
	}
	return local_table_view(td, lppTable);
}

HRESULT local_atts_copy_to(local_object *src, LPMESSAGE dest, ULONG ulFlags)
{
	local_msgstate *s = local_message_state(src);
	local_db *db = src->logon->db;
	ULONG *nums = NULL, n = 0;
	HRESULT hr;
	(void)ulFlags;
	local_db_lock(db);
	hr = local_atts_load(db, s, &s->atts);
	if (SUCCEEDED(hr) && s->atts.n && !(nums = malloc(s->atts.n * sizeof *nums)))
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CopyTo: out of memory");
	for (ULONG i = 0; SUCCEEDED(hr) && i < s->atts.n; i++)
		if (!s->atts.rows[i].deleted)
			nums[n++] = s->atts.rows[i].num;
	local_db_unlock(db);
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
		LPATTACH sa = NULL, da = NULL;
		ULONG dn;
		hr = local_message_OpenAttach((IMessage *)src, nums[i], NULL, 0, &sa);
		if (SUCCEEDED(hr))
			hr = IMessage_CreateAttach(dest, NULL, 0, &dn, &da);
		if (SUCCEEDED(hr))
			hr = IAttach_CopyTo(sa, 0, NULL, NULL, 0, NULL, &IID_IAttachment, da, 0, NULL);
		if (SUCCEEDED(hr))
			hr = IAttach_SaveChanges(da, KEEP_OPEN_READWRITE);
		if (da)
			IAttach_Release(da);
		if (sa)
			IAttach_Release(sa);
	}
	free(nums);
	return hr;
}

/* ---- the attachment object ------------------------------------------------------------------------- */

static const IID *const attach_iids[] = {&IID_IAttachment, NULL};

static const local_object_ops attach_ops = {
	.kind = LOCAL_KIND_ATTACH,
	.obj_type = MAPI_ATTACH,
	.iids = attach_iids,
	.transacted = TRUE,
	.computed = attach_computed_prop,
	.computed_tags = attach_computed,
	.n_computed_tags = sizeof attach_computed / sizeof attach_computed[0],
	.save = attach_save,
	.destroy = attach_destroy,
	.open_property = attach_open_property,
	.copy_subobjects = attach_copy_subobjects,
};

static const IAttachVtbl attach_vtbl = {
	LOCAL_IMAPIPROP_METHODS(IAttach),
};
