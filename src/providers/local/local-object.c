/*
 * local-object.c — the one IMAPIProp implementation of the local store,
 * shared by the store, folders, messages and attachments (see local.h for
 * the object model). Kind-specific behaviour comes in through
 * local_object_ops: computed properties, read-only tags, what SaveChanges
 * does, write hooks, OpenProperty and sub-object copies.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "local-propset.h"
#include "subsystem/instance.h"

#define OBJ(This) ((local_object *)(This))

HRESULT local_object_new(local_logon *logon, const local_object_ops *ops, const void *vtbl, size_t size,
                         local_object **out)
{
	local_object *o = calloc(1, size < sizeof *o ? sizeof *o : size);
	if (!o)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "local store: out of memory");
	o->lpVtbl = vtbl;
	atomic_init(&o->refs, 1);
	o->ops = ops;
	o->logon = logon;
	atomic_fetch_add(&logon->refs, 1);
	*out = o;
	return S_OK;
}

void local_logon_release(local_logon *logon);

HRESULT local_check_caller(const local_object *o, const char *method)
{
	/* Stores opened without MAPIInitialize (MAPIXOpenLocalStore in a plain
	 * program) have no instance and no identity to protect. */
	return o && o->logon->inst ? mapix_instance_check_caller(o->logon->inst, method) : S_OK;
}

HRESULT local_prop_QueryInterface(void *This, REFIID riid, LPVOID *ppvObj)
{
	local_object *o = OBJ(This);
	if (!ppvObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryInterface: ppvObj is NULL");
	*ppvObj = NULL;
	if (!riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryInterface: riid is NULL");
	BOOL ok = IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IMAPIProp);
	for (const IID *const *p = o->ops->iids; !ok && p && *p; p++)
		ok = IsEqualIID(riid, *p);
	if (!ok)
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&o->refs, 1);
	*ppvObj = o;
	return S_OK;
}

ULONG local_prop_AddRef(void *This)
{
	return (ULONG)atomic_fetch_add(&OBJ(This)->refs, 1) + 1;
}

ULONG local_prop_Release(void *This)
{
	local_object *o = OBJ(This);
	ULONG left = (ULONG)atomic_fetch_sub(&o->refs, 1) - 1;
	if (left)
		return left;
	local_logon *logon = o->logon;
	if (o->ops->destroy)
		o->ops->destroy(o);
	local_object_clear_changes(o);
	free(o->changes);
	local_propset_free(o->props_cache);
	free(o->props_cache);
	free(o->row_cache);
	free(o);
	local_logon_release(logon);
	return 0;
}

HRESULT local_prop_GetLastError(void *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	LOCAL_CHECK_CALLER(This, "local_prop_GetLastError");
	(void)This;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return MAPI_E_UNKNOWN_FLAGS;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix local store", lppMAPIError);
}

/* ---- staged changes ------------------------------------------------------------ */

local_change *local_object_find_change(local_object *o, ULONG tag)
{
	for (ULONG i = 0; i < o->n_changes; i++)
		if (PROP_ID(o->changes[i].tag) == PROP_ID(tag))
			return &o->changes[i];
	return NULL;
}

static void change_reset(local_change *c)
{
	if (c->value)
		MAPIFreeBuffer(c->value);
	if (c->stream_fd >= 0)
		close(c->stream_fd);
	c->value = NULL;
	c->stream_fd = -1;
	c->stream_size = 0;
}

static local_change *change_slot(local_object *o, ULONG tag)
{
	local_change *c = local_object_find_change(o, tag);
	if (c) {
		change_reset(c);
		c->tag = local_props_normalize_tag(tag);
		return c;
	}
	if (o->n_changes == o->cap_changes) {
		ULONG cap = o->cap_changes ? o->cap_changes * 2 : 16;
		local_change *bigger = realloc(o->changes, cap * sizeof *bigger);
		if (!bigger)
			return NULL;
		o->changes = bigger;
		o->cap_changes = cap;
	}
	c = &o->changes[o->n_changes++];
	memset(c, 0, sizeof *c);
	c->stream_fd = -1;
	c->tag = local_props_normalize_tag(tag);
	return c;
}

HRESULT local_object_stage(local_object *o, LPSPropValue v)
{
	LPSPropValue copy;
	HRESULT hr = MAPIAllocateBuffer(sizeof(SPropValue), (LPVOID *)&copy);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = PropCopyMore(copy, v, MAPIAllocateMore, copy))) {
		MAPIFreeBuffer(copy);
		return hr;
	}
	copy->ulPropTag &= ~(ULONG)MV_INSTANCE;
	local_change *c = change_slot(o, v->ulPropTag);
	if (!c) {
		MAPIFreeBuffer(copy);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SetProps: out of memory");
	}
	c->value = copy;
	return S_OK;
}

HRESULT local_object_stage_delete(local_object *o, ULONG tag)
{
	local_change *c = change_slot(o, tag);
	if (!c)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "DeleteProps: out of memory");
	return S_OK;
}

void local_object_clear_changes(local_object *o)
{
	for (ULONG i = 0; i < o->n_changes; i++)
		change_reset(&o->changes[i]);
	o->n_changes = 0;
}

HRESULT local_object_flush_changes(local_object *o, uint64_t obj_id)
{
	local_db *db = o->logon->db;
	HRESULT hr;
	for (ULONG i = 0; i < o->n_changes; i++) {
		local_change *c = &o->changes[i];
		if (c->stream_fd >= 0)
			hr = local_props_write_stream(db, obj_id, c->tag, c->stream_fd, c->stream_size);
		else if (c->value)
			hr = local_props_write(db, obj_id, c->value);
		else
			hr = local_props_delete(db, obj_id, c->tag);
		if (FAILED(hr))
			return hr;
	}
	return S_OK;
}

/* ---- reading ------------------------------------------------------------------- */

/* A read call (GetProps, GetPropList, the copy paths) runs between
 * read_begin and read_end, under the lock. Stored values come from one
 * propset, loaded when the first stored value is wanted; a transacted
 * object keeps it afterwards (an open message or attachment is a snapshot
 * of what was stored when it was first read; SaveChanges drops it), other
 * kinds drop it when the call ends, so folders and the store always read
 * what is stored now. */
static void read_begin(local_object *o)
{
	/* Odd while a call runs. Defensive: were a call ever nested, it would
	 * not reuse the outer call's row. */
	o->read_seq++;
	if (!(o->read_seq & 1))
		o->read_seq++;
	o->read_txn = FALSE;
}

/* The call is about to read the database: its statements share one read
 * transaction, begun by the first of them. A call answered from what the
 * object keeps (a message's stored values, staged changes, constants)
 * never starts one. Read calls on one object do not nest (they hold the
 * mailbox lock and call no other read method of the object). */
static HRESULT read_db(local_object *o)
{
	if (o->read_txn)
		return S_OK;
	HRESULT hr = local_db_begin_read(o->logon->db);
	if (SUCCEEDED(hr))
		o->read_txn = TRUE;
	return hr;
}

static void read_end(local_object *o)
{
	o->read_seq++;
	if (o->read_txn)
		local_db_end_read(o->logon->db);
	o->read_txn = FALSE;
	if (!o->ops->transacted && o->props_cache) {
		local_propset_free(o->props_cache);
		free(o->props_cache);
		o->props_cache = NULL;
	}
}

/* Drops the stored values a transacted object keeps (after it saved). */
static void forget_stored(local_object *o)
{
	local_propset_free(o->props_cache);
	free(o->props_cache);
	o->props_cache = NULL;
}

BOOL local_object_call_row(local_object *o, size_t size, void **row)
{
	*row = NULL;
	if (!(o->read_seq & 1))
		return FALSE; /* not inside a read call: nothing to reuse */
	if (o->row_cache && o->row_seq == o->read_seq) {
		*row = o->row_cache;
		return TRUE;
	}
	if (!o->row_cache)
		o->row_cache = malloc(size);
	*row = o->row_cache;
	o->row_seq = 0;
	return FALSE;
}

void local_object_call_row_filled(local_object *o)
{
	o->row_seq = o->read_seq;
}

/* The object's stored values (loading them with one query). */
static HRESULT stored_set(local_object *o, const local_propset **ps)
{
	if (!o->props_cache) {
		HRESULT hr = read_db(o);
		if (SUCCEEDED(hr))
			hr = local_propset_load(o->logon->db, o->id, &o->props_cache);
		if (FAILED(hr))
			return hr;
	}
	*ps = o->props_cache;
	return S_OK;
}

static BOOL is_computed(local_object *o, ULONG tag)
{
	for (ULONG i = 0; i < o->ops->n_computed_tags; i++)
		if (PROP_ID(o->ops->computed_tags[i]) == PROP_ID(tag))
			return TRUE;
	return FALSE;
}

/* Gives a string value the width the caller asked for (want_type PT_STRING8
 * or PT_UNICODE, single or MV); other values are copied as they are. */
static HRESULT copy_as(const SPropValue *src, ULONG want_tag, LPVOID root, LPSPropValue out)
{
	ULONG have = PROP_TYPE(src->ulPropTag), want = PROP_TYPE(want_tag) & ~(ULONG)MV_INSTANCE;
	HRESULT hr;

	if (want == PT_UNSPECIFIED || want == have || have == PT_ERROR)
		return PropCopyMore(out, (LPSPropValue)src, MAPIAllocateMore, root);
	out->ulPropTag = CHANGE_PROP_TYPE(src->ulPropTag, want);
	out->dwAlignPad = 0;
	if (have == PT_UNICODE && want == PT_STRING8)
		return mapix_utf16_to_utf8(src->Value.lpszW, root, &out->Value.lpszA);
	if (have == PT_STRING8 && want == PT_UNICODE)
		return mapix_utf8_to_utf16(src->Value.lpszA, root, &out->Value.lpszW);
	if ((have == PT_MV_UNICODE && want == PT_MV_STRING8) || (have == PT_MV_STRING8 && want == PT_MV_UNICODE)) {
		ULONG n = src->Value.MVszA.cValues;
		void **arr = NULL;
		if (n && FAILED(hr = MAPIAllocateMore(n * (ULONG)sizeof(void *), root, (LPVOID *)&arr)))
			return hr;
		for (ULONG i = 0; i < n; i++) {
			hr = have == PT_MV_UNICODE ? mapix_utf16_to_utf8(src->Value.MVszW.lppszW[i], root, (LPSTR *)&arr[i])
			                           : mapix_utf8_to_utf16(src->Value.MVszA.lppszA[i], root, (LPWSTR *)&arr[i]);
			if (FAILED(hr))
				return hr;
		}
		out->Value.MVszA.cValues = n;
		out->Value.MVszA.lppszA = (LPSTR *)arr;
		return S_OK;
	}
	out->ulPropTag = CHANGE_PROP_TYPE(src->ulPropTag, PT_ERROR);
	out->Value.err = MAPI_E_NOT_FOUND;
	return S_OK;
}

/* The wanted tag for a PT_UNSPECIFIED request: strings in the width the
 * flags ask for. */
static ULONG width_for_flags(ULONG tag, ULONG ulFlags)
{
	ULONG t = PROP_TYPE(tag);
	if (t == PT_UNICODE || t == PT_STRING8)
		return CHANGE_PROP_TYPE(tag, (ulFlags & MAPI_UNICODE) ? PT_UNICODE : PT_STRING8);
	if (t == PT_MV_UNICODE || t == PT_MV_STRING8)
		return CHANGE_PROP_TYPE(tag, (ulFlags & MAPI_UNICODE) ? PT_MV_UNICODE : PT_MV_STRING8);
	return tag;
}

/* Reads one property of o as GetProps reports it. */
static HRESULT read_one(local_object *o, ULONG tag, ULONG ulFlags, LPVOID root, LPSPropValue out, BOOL allow_large)
{
	HRESULT hr;
	if (is_computed(o, tag) && o->ops->computed) {
		if (FAILED(hr = read_db(o)))
			return hr;
		hr = o->ops->computed(o, tag, root, out);
		if (hr != MAPI_E_NOT_FOUND) {
			if (SUCCEEDED(hr) && PROP_TYPE(tag) == PT_UNSPECIFIED)
				tag = width_for_flags(out->ulPropTag, ulFlags);
			if (SUCCEEDED(hr) && PROP_TYPE(out->ulPropTag) != PROP_TYPE(tag) &&
			    PROP_TYPE(out->ulPropTag) != PT_ERROR) {
				SPropValue tmp = *out;
				return copy_as(&tmp, tag, root, out);
			}
			return hr;
		}
	}
	local_change *c = o->ops->transacted ? local_object_find_change(o, tag) : NULL;
	if (c) {
		if (!c->value && c->stream_fd < 0)
			return MAPI_E_NOT_FOUND;
		if (c->stream_fd >= 0) {
			out->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
			out->Value.err = MAPI_E_NOT_ENOUGH_MEMORY;
			return S_OK;
		}
		ULONG want = PROP_TYPE(tag) == PT_UNSPECIFIED ? width_for_flags(c->value->ulPropTag, ulFlags) : tag;
		if (PROP_TYPE(want) != PT_UNSPECIFIED && PROP_TYPE(local_props_normalize_tag(want)) != PROP_TYPE(c->tag))
			return MAPI_E_NOT_FOUND;
		return copy_as(c->value, want, root, out);
	}
	if (o->is_new)
		return MAPI_E_NOT_FOUND;
	const local_propset *ps;
	if (FAILED(hr = stored_set(o, &ps)))
		return hr;
	const local_stored *row = local_propset_find(ps, tag);
	if (!row)
		return MAPI_E_NOT_FOUND;
	if (row->type == SQLITE_NULL && allow_large && FAILED(hr = read_db(o))) /* chunks */
		return hr;
	hr = local_props_decode(o->logon->db, o->id, row, tag, root, out, allow_large);
	if (SUCCEEDED(hr) && PROP_TYPE(tag) == PT_UNSPECIFIED) {
		ULONG want = width_for_flags(out->ulPropTag, ulFlags);
		if (want != out->ulPropTag) {
			SPropValue tmp = *out;
			return copy_as(&tmp, want, root, out);
		}
	}
	return hr;
}

/* Collects the tags GetPropList reports (normalized; strings as PT_UNICODE). */
static HRESULT collect_tags(local_object *o, ULONG **tags, ULONG *count)
{
	const local_propset *ps = NULL;
	ULONG n_stored = 0;
	HRESULT hr;

	if (!o->is_new) {
		if (FAILED(hr = stored_set(o, &ps)))
			return hr;
		n_stored = ps->n;
	}
	ULONG cap = n_stored + o->n_changes + o->ops->n_computed_tags;
	ULONG *all = malloc((cap ? cap : 1) * sizeof *all), n = 0;
	if (!all)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetPropList: out of memory");
	for (ULONG i = 0; i < o->ops->n_computed_tags; i++)
		all[n++] = o->ops->computed_tags[i];
	for (ULONG i = 0; i < n_stored; i++) {
		ULONG tag = ps->rows[i].tag;
		if (is_computed(o, tag))
			continue;
		if (o->ops->transacted && local_object_find_change(o, tag))
			continue;
		all[n++] = tag;
	}
	for (ULONG i = 0; i < o->n_changes; i++)
		if (o->changes[i].value || o->changes[i].stream_fd >= 0)
			all[n++] = o->changes[i].tag;
	*tags = all;
	*count = n;
	return S_OK;
}

/* GetProps inside the caller's lock and read transaction. */
static HRESULT get_props_locked(local_object *o, const SPropTagArray *lpPropTagArray, ULONG ulFlags,
                                ULONG *lpcValues, LPSPropValue *lppPropArray)
{
	ULONG *tags = NULL, n;
	LPSPropValue vals = NULL;
	HRESULT hr;
	BOOL warn = FALSE;

	read_begin(o);
	if (lpPropTagArray) {
		n = lpPropTagArray->cValues;
	} else {
		if (FAILED(hr = collect_tags(o, &tags, &n)))
			goto out;
		for (ULONG i = 0; i < n; i++)
			tags[i] = width_for_flags(tags[i], ulFlags);
	}
	if (FAILED(hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&vals)))
		goto out;
	memset(vals, 0, (n ? n : 1) * sizeof(SPropValue));
	for (ULONG i = 0; i < n; i++) {
		ULONG tag = lpPropTagArray ? lpPropTagArray->aulPropTag[i] : tags[i];
		hr = read_one(o, tag, ulFlags, vals, &vals[i], FALSE);
		if (hr == MAPI_E_NOT_FOUND) {
			vals[i].ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
			vals[i].Value.err = MAPI_E_NOT_FOUND;
			hr = S_OK;
		}
		if (FAILED(hr))
			goto out;
		if (PROP_TYPE(vals[i].ulPropTag) == PT_ERROR && PROP_TYPE(tag) != PT_ERROR)
			warn = TRUE;
	}
	*lpcValues = n;
	*lppPropArray = vals;
	vals = NULL;
	hr = warn ? MAPI_W_ERRORS_RETURNED : S_OK;
out:
	read_end(o);
	if (vals)
		MAPIFreeBuffer(vals);
	free(tags);
	return hr;
}

HRESULT local_prop_GetProps(void *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                            LPSPropValue *lppPropArray)
{
	LOCAL_CHECK_CALLER(This, "local_prop_GetProps");
	local_object *o = OBJ(This);
	local_db *db = o->logon->db;
	HRESULT hr;

	if (!lpcValues || !lppPropArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetProps: NULL output pointer");
	if (ulFlags & ~(MAPI_UNICODE | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetProps: unknown flags 0x%08X", (unsigned)ulFlags);
	if (lpPropTagArray && lpPropTagArray->cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetProps: empty property tag array");
	*lpcValues = 0;
	*lppPropArray = NULL;

	local_db_lock(db);
	hr = get_props_locked(o, lpPropTagArray, ulFlags, lpcValues, lppPropArray);
	local_db_unlock(db);
	return hr;
}

HRESULT local_prop_GetPropList(void *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray)
{
	LOCAL_CHECK_CALLER(This, "local_prop_GetPropList");
	local_object *o = OBJ(This);
	local_db *db = o->logon->db;
	ULONG *tags = NULL, n = 0;
	HRESULT hr;
	LPSPropTagArray arr;

	if (!lppPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetPropList: NULL output pointer");
	if (ulFlags & ~MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetPropList: unknown flags 0x%08X", (unsigned)ulFlags);
	local_db_lock(db);
	read_begin(o);
	hr = collect_tags(o, &tags, &n);
	read_end(o);
	local_db_unlock(db);
	if (FAILED(hr))
		return hr;
	hr = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(n), (LPVOID *)&arr);
	if (SUCCEEDED(hr)) {
		arr->cValues = n;
		for (ULONG i = 0; i < n; i++)
			arr->aulPropTag[i] = width_for_flags(tags[i], ulFlags);
		*lppPropTagArray = arr;
	}
	free(tags);
	return hr;
}

HRESULT local_prop_OpenProperty(void *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, ULONG ulFlags,
                                LPUNKNOWN *lppUnk)
{
	LOCAL_CHECK_CALLER(This, "local_prop_OpenProperty");
	local_object *o = OBJ(This);
	HRESULT hr = MAPI_E_NO_SUPPORT;

	if (!lpiid || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenProperty: NULL interface or output pointer");
	*lppUnk = NULL;
	if ((ulFlags & (MAPI_CREATE | MAPI_MODIFY)) && !(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "OpenProperty: the object was opened read-only");
	if (o->ops->open_property)
		hr = o->ops->open_property(o, ulPropTag, lpiid, ulInterfaceOptions, ulFlags, lppUnk);
	if (hr != MAPI_E_NO_SUPPORT)
		return hr;
	if (!IsEqualIID(lpiid, &IID_IStream))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenProperty: property 0x%08X has no such interface",
		                   (unsigned)ulPropTag);
	ULONG t = PROP_TYPE(ulPropTag);
	if (t != PT_BINARY && t != PT_STRING8 && t != PT_UNICODE)
		return mapix_error(MAPI_E_INVALID_TYPE, "OpenProperty: streams exist for strings and binaries only");
	if (is_computed(o, ulPropTag))
		return mapix_error(MAPI_E_NO_ACCESS, "OpenProperty: property 0x%08X is computed", (unsigned)ulPropTag);
	LPSTREAM stream;
	hr = local_stream_open(o, ulPropTag, ulFlags, &stream);
	if (SUCCEEDED(hr))
		*lppUnk = (LPUNKNOWN)stream;
	return hr;
}

/* Adds one problem to a growing SPropProblemArray (allocated on demand). */
static HRESULT add_problem(LPSPropProblemArray *probs, ULONG cap, ULONG index, ULONG tag, SCODE sc)
{
	if (!*probs) {
		HRESULT hr = MAPIAllocateBuffer((ULONG)CbNewSPropProblemArray(cap), (LPVOID *)probs);
		if (FAILED(hr))
			return hr;
		(*probs)->cProblem = 0;
	}
	SPropProblem *p = &(*probs)->aProblem[(*probs)->cProblem++];
	p->ulIndex = index;
	p->ulPropTag = tag;
	p->scode = sc;
	return S_OK;
}

static SCODE check_settable(local_object *o, ULONG tag)
{
	ULONG t = PROP_TYPE(tag) & ~(ULONG)MV_INSTANCE;
	if (PROP_ID(tag) == PROP_ID_NULL || PROP_ID(tag) == PROP_ID_INVALID)
		return MAPI_E_INVALID_PARAMETER;
	if (t == PT_ERROR || t == PT_NULL || t == PT_OBJECT || t == PT_UNSPECIFIED || t == PT_ACTIONS)
		return MAPI_E_INVALID_TYPE;
	if (is_computed(o, tag) || (o->ops->readonly && o->ops->readonly(tag)))
		return MAPI_E_COMPUTED;
	return S_OK;
}

HRESULT local_prop_SetProps(void *This, ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems)
{
	LOCAL_CHECK_CALLER(This, "local_prop_SetProps");
	local_object *o = OBJ(This);
	local_db *db = o->logon->db;
	LPSPropProblemArray probs = NULL;
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropArray || cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetProps: no values");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SetProps: the object was opened read-only");

	local_db_lock(db);
	if (!o->ops->transacted && FAILED(hr = local_db_begin_write(db)))
		goto out;
	for (ULONG i = 0; i < cValues; i++) {
		LPSPropValue v = &lpPropArray[i];
		SCODE sc = check_settable(o, v->ulPropTag);
		if (sc == S_OK && o->ops->transacted) {
			sc = local_object_stage(o, v);
		} else if (sc == S_OK) {
			BOOL handled = FALSE;
			if (o->ops->write_hook)
				sc = o->ops->write_hook(o, v, 0, &handled);
			if (sc == S_OK && !handled)
				sc = local_props_write(db, o->id, v);
			/* Disk or database failures end the whole call. */
			if (sc == MAPI_E_NOT_ENOUGH_DISK || sc == MAPI_E_DISK_ERROR || sc == MAPI_E_CORRUPT_STORE ||
			    sc == MAPI_E_TIMEOUT || sc == MAPI_E_NOT_ENOUGH_MEMORY) {
				hr = sc;
				local_db_rollback(db);
				goto out;
			}
		}
		if (sc != S_OK && FAILED(hr = add_problem(&probs, cValues, i, v->ulPropTag, sc))) {
			if (!o->ops->transacted)
				local_db_rollback(db);
			goto out;
		}
	}
	if (!o->ops->transacted)
		hr = local_db_commit(db);
out:
	local_db_unlock(db);
	if (SUCCEEDED(hr) && lppProblems)
		*lppProblems = probs;
	else if (probs)
		MAPIFreeBuffer(probs);
	return hr;
}

HRESULT local_prop_DeleteProps(void *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems)
{
	LOCAL_CHECK_CALLER(This, "local_prop_DeleteProps");
	local_object *o = OBJ(This);
	local_db *db = o->logon->db;
	LPSPropProblemArray probs = NULL;
	HRESULT hr = S_OK;

	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "DeleteProps: NULL tag array");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "DeleteProps: the object was opened read-only");
	local_db_lock(db);
	if (!o->ops->transacted && FAILED(hr = local_db_begin_write(db)))
		goto out;
	for (ULONG i = 0; i < lpPropTagArray->cValues; i++) {
		ULONG tag = lpPropTagArray->aulPropTag[i];
		SCODE sc = (is_computed(o, tag) || (o->ops->readonly && o->ops->readonly(tag))) ? MAPI_E_COMPUTED : S_OK;
		if (sc == S_OK && o->ops->transacted) {
			sc = local_object_stage_delete(o, tag);
		} else if (sc == S_OK) {
			BOOL handled = FALSE;
			if (o->ops->write_hook)
				sc = o->ops->write_hook(o, NULL, tag, &handled);
			if (sc == S_OK && !handled)
				sc = local_props_delete(db, o->id, tag);
		}
		if (sc != S_OK && FAILED(hr = add_problem(&probs, lpPropTagArray->cValues, i, tag, sc))) {
			if (!o->ops->transacted)
				local_db_rollback(db);
			goto out;
		}
	}
	if (!o->ops->transacted)
		hr = local_db_commit(db);
out:
	local_db_unlock(db);
	if (SUCCEEDED(hr) && lppProblems)
		*lppProblems = probs;
	else if (probs)
		MAPIFreeBuffer(probs);
	return hr;
}

HRESULT local_prop_SaveChanges(void *This, ULONG ulFlags)
{
	LOCAL_CHECK_CALLER(This, "local_prop_SaveChanges");
	local_object *o = OBJ(This);
	HRESULT hr;
	if (ulFlags & ~(KEEP_OPEN_READONLY | KEEP_OPEN_READWRITE | FORCE_SAVE | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "SaveChanges: unknown flags 0x%08X", (unsigned)ulFlags);
	if (!o->ops->transacted || !o->ops->save)
		return S_OK;
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "SaveChanges: the object was opened read-only");
	local_db_lock(o->logon->db);
	hr = o->ops->save(o, ulFlags);
	/* What was kept is the stored state from before this save (a failed
	 * save may have written and undone; reading again is always right). */
	forget_stored(o);
	local_db_unlock(o->logon->db);
	if (SUCCEEDED(hr) && (ulFlags & KEEP_OPEN_READONLY))
		o->access &= ~MAPI_MODIFY;
	return hr;
}

/* ---- copying ------------------------------------------------------------------------ */

static BOOL tag_in(LPSPropTagArray arr, ULONG tag)
{
	for (ULONG i = 0; arr && i < arr->cValues; i++)
		if (PROP_ID(arr->aulPropTag[i]) == PROP_ID(tag))
			return TRUE;
	return FALSE;
}

/* Copies the listed properties (or all but the excluded) from o to dest,
 * through dest's own IMAPIProp so any destination works. */
static HRESULT copy_props(local_object *o, LPSPropTagArray include, LPSPropTagArray exclude, LPMAPIPROP dest,
                          ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	local_db *db = o->logon->db;
	ULONG *tags = NULL, n = 0;
	LPSPropValue vals = NULL;
	HRESULT hr = S_OK;

	local_db_lock(db);
	read_begin(o);
	if (include) {
		n = include->cValues;
		tags = malloc((n ? n : 1) * sizeof *tags);
		if (tags)
			memcpy(tags, include->aulPropTag, n * sizeof *tags);
		else
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CopyProps: out of memory");
	} else {
		hr = collect_tags(o, &tags, &n);
	}
	if (SUCCEEDED(hr))
		hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&vals);
	ULONG m = 0;
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++) {
		ULONG tag = tags[i];
		/* Identity and computed properties stay with the source. */
		if (tag_in(exclude, tag) || is_computed(o, tag) || (o->ops->readonly && o->ops->readonly(tag)))
			continue;
		hr = read_one(o, tag, MAPI_UNICODE, vals, &vals[m], TRUE);
		if (hr == MAPI_E_NOT_FOUND) {
			hr = S_OK;
			continue;
		}
		if (SUCCEEDED(hr) && PROP_TYPE(vals[m].ulPropTag) != PT_ERROR)
			m++;
	}
	read_end(o);
	local_db_unlock(db);

	if (SUCCEEDED(hr) && (ulFlags & MAPI_NOREPLACE) && m) {
		/* Keep what the destination already has. */
		LPSPropTagArray have = NULL;
		if (SUCCEEDED(IMAPIProp_GetPropList(dest, MAPI_UNICODE, &have))) {
			ULONG k = 0;
			for (ULONG i = 0; i < m; i++)
				if (!tag_in(have, vals[i].ulPropTag))
					vals[k++] = vals[i];
			m = k;
			MAPIFreeBuffer(have);
		}
	}
	if (SUCCEEDED(hr) && m)
		hr = IMAPIProp_SetProps(dest, m, vals, lppProblems);
	if (vals)
		MAPIFreeBuffer(vals);
	free(tags);
	return hr;
}

static HRESULT copy_common(local_object *o, LPSPropTagArray include, LPSPropTagArray exclude, LPVOID lpDestObj,
                           ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	HRESULT hr;
	if (lppProblems)
		*lppProblems = NULL;
	if (!lpDestObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CopyTo: no destination");
	if (lpDestObj == (LPVOID)o)
		return mapix_error(MAPI_E_NO_ACCESS, "CopyTo: source and destination are the same object");
	if ((ulFlags & MAPI_MOVE) && !(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "CopyTo: MAPI_MOVE needs a writable source");
	hr = copy_props(o, include, exclude, (LPMAPIPROP)lpDestObj, ulFlags, lppProblems);
	if (SUCCEEDED(hr) && o->ops->copy_subobjects) {
		/* Sub-objects are copied unless their property is excluded
		 * (CopyTo), or not included (CopyProps). */
		static const ULONG subobject_tags[] = {PR_MESSAGE_RECIPIENTS, PR_MESSAGE_ATTACHMENTS, PR_ATTACH_DATA_OBJ,
		                                       PR_CONTAINER_HIERARCHY, PR_CONTAINER_CONTENTS,
		                                       PR_FOLDER_ASSOCIATED_CONTENTS};
		SizedSPropTagArray(6, not_included) = {0, {0}};
		LPSPropTagArray sub_exclude = exclude;
		if (include) {
			for (size_t i = 0; i < 6; i++)
				if (!tag_in(include, subobject_tags[i]))
					not_included.aulPropTag[not_included.cValues++] = subobject_tags[i];
			sub_exclude = (LPSPropTagArray)&not_included;
		}
		if (!include || not_included.cValues < 6)
			hr = o->ops->copy_subobjects(o, sub_exclude, lpDestObj, ulFlags, NULL);
	}
	if (SUCCEEDED(hr) && (ulFlags & MAPI_MOVE)) {
		/* MAPI_MOVE: what was copied is removed from the source. */
		LPSPropTagArray list = include;
		LPSPropTagArray owned = NULL;
		if (!list && SUCCEEDED(local_prop_GetPropList(o, MAPI_UNICODE, &owned)))
			list = owned;
		if (list) {
			LPSPropTagArray del;
			if (SUCCEEDED(MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(list->cValues), (LPVOID *)&del))) {
				del->cValues = 0;
				for (ULONG i = 0; i < list->cValues; i++)
					if (!tag_in(exclude, list->aulPropTag[i]) && !is_computed(o, list->aulPropTag[i]) &&
					    !(o->ops->readonly && o->ops->readonly(list->aulPropTag[i])))
						del->aulPropTag[del->cValues++] = list->aulPropTag[i];
				if (del->cValues)
					local_prop_DeleteProps(o, del, NULL);
				MAPIFreeBuffer(del);
			}
		}
		if (owned)
			MAPIFreeBuffer(owned);
	}
	return hr;
}

HRESULT local_prop_CopyTo(void *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,
                          ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                          ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	LOCAL_CHECK_CALLER(This, "local_prop_CopyTo");
	(void)ciidExclude, (void)rgiidExclude, (void)ulUIParam, (void)lpProgress, (void)lpInterface;
	if (ulFlags & ~(MAPI_MOVE | MAPI_NOREPLACE | MAPI_DIALOG | MAPI_DECLINE_OK | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CopyTo: unknown flags 0x%08X", (unsigned)ulFlags);
	return copy_common(OBJ(This), NULL, lpExcludeProps, lpDestObj, ulFlags, lppProblems);
}

HRESULT local_prop_CopyProps(void *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                             LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                             LPSPropProblemArray *lppProblems)
{
	LOCAL_CHECK_CALLER(This, "local_prop_CopyProps");
	(void)ulUIParam, (void)lpProgress, (void)lpInterface;
	if (!lpIncludeProps)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CopyProps: no property list");
	if (ulFlags & ~(MAPI_MOVE | MAPI_NOREPLACE | MAPI_DIALOG | MAPI_DECLINE_OK | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "CopyProps: unknown flags 0x%08X", (unsigned)ulFlags);
	return copy_common(OBJ(This), lpIncludeProps, NULL, lpDestObj, ulFlags, lppProblems);
}

HRESULT local_prop_GetNamesFromIDs(void *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags,
                                   ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)
{
	LOCAL_CHECK_CALLER(This, "local_prop_GetNamesFromIDs");
	local_object *o = OBJ(This);
	local_db_lock(o->logon->db);
	HRESULT hr = local_names_get_names(o->logon->db, lppPropTags, lpPropSetGuid, ulFlags, lpcPropNames,
	                                   lpppPropNames);
	local_db_unlock(o->logon->db);
	return hr;
}

HRESULT local_prop_GetIDsFromNames(void *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                   LPSPropTagArray *lppPropTags)
{
	LOCAL_CHECK_CALLER(This, "local_prop_GetIDsFromNames");
	local_object *o = OBJ(This);
	if ((ulFlags & MAPI_CREATE) && !(o->logon->flags & MDB_WRITE) && !(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "GetIDsFromNames: MAPI_CREATE on a read-only store");
	local_db_lock(o->logon->db);
	HRESULT hr = local_names_get_ids(o->logon->db, cPropNames, lppPropNames, ulFlags, lppPropTags);
	local_db_unlock(o->logon->db);
	return hr;
}
