/*
 * local-table-notify.c — table notifications of contents tables.
 *
 * The store already turns every committed change into object
 * notifications (local-watch.c reads the change journal after each commit
 * of this process and when another process writes the mailbox). A table
 * with an advise sink subscribes to those for its folder (a search-folder
 * table: for the whole store) and translates each into what it means for
 * the view: TABLE_ROW_ADDED / TABLE_ROW_MODIFIED with the row in the
 * table's columns and the instance key of the row before it (propPrior,
 * PR_NULL at the top), TABLE_ROW_DELETED with the row's instance key, and
 * TABLE_RELOAD for materialized views (categories, MV_INSTANCE, RES_COUNT),
 * which are rebuilt on their next use. Object notifications arrive with
 * the mailbox lock released, so the table can read the row it reports;
 * the table's sinks are called after the lock is released again.
 */
#include <stdlib.h>
#include <string.h>

#include "core/entryid.h"
#include "core/error.h"
#include "local-provider.h"
#include "local-table.h"

/* The sink the table subscribes with: it outlives the table until the
 * support object drops it, so it points back through a guarded pointer. */
typedef struct table_sink {
	IMAPIAdviseSink itf;
	atomic_ulong refs;
	pthread_mutex_t lock;
	local_table *table; /* NULL once the table is gone */
} table_sink;

#define SINK(This) ((table_sink *)(This))

static HRESULT sink_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPIAdviseSink))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&SINK(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG sink_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&SINK(This)->refs, 1) + 1;
}

static ULONG sink_Release(IMAPIAdviseSink *This)
{
	table_sink *s = SINK(This);
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (!left) {
		pthread_mutex_destroy(&s->lock);
		free(s);
	}
	return left;
}

/* One table notification waiting to be delivered. */
typedef struct pending {
	ULONG event;
	LPSPropValue row;       /* MAPIAllocateBuffer'd row, or NULL */
	ULONG n_row;
	BYTE key[12], prior[12];
	ULONG cb_key, cb_prior;
	BOOL has_prior;
} pending;

/* What one object notification means for the view; appends to out[]. */
static HRESULT translate(local_table *t, const NOTIFICATION *n, pending *out, ULONG *count, BOOL *reload)
{
	const OBJECT_NOTIFICATION *o = &n->info.obj;
	enum mapix_entryid_kind kind;
	GUID g;
	uint64_t fid = 0, mid = 0, parent = 0, old_parent = 0, pmid;
	HRESULT hr;

	if (o->ulObjType != MAPI_MESSAGE || !o->lpEntryID)
		return S_OK;
	if (FAILED(mapix_entryid_parse(o->cbEntryID, o->lpEntryID, &kind, &g, &fid, &mid)) || kind != MAPIX_EID_MESSAGE) {
		mapix_error_clear();
		return S_OK;
	}
	if (o->lpParentID && FAILED(mapix_entryid_parse(o->cbParentID, o->lpParentID, &kind, &g, &parent, &pmid)))
		mapix_error_clear();
	if (o->lpOldParentID && FAILED(mapix_entryid_parse(o->cbOldParentID, o->lpOldParentID, &kind, &g, &old_parent,
	                                                    &pmid)))
		mapix_error_clear();
	BOOL ours_now = FALSE, ours_before = FALSE;
	for (ULONG i = 0; i < (t->scope ? t->n_scope : 1); i++) {
		uint64_t f = t->scope ? t->scope[i] : t->fid;
		if (parent == f)
			ours_now = TRUE;
		if (old_parent == f)
			ours_before = TRUE;
	}
	if (n->ulEventType != fnevObjectMoved)
		ours_before = ours_now;
	if (!ours_now && !ours_before)
		return S_OK;
	if (t->materialized) {
		*reload = TRUE;
		return S_OK;
	}
	pending *p = &out[*count];
	memset(p, 0, sizeof *p);
	local_rows_instance_key(mid, -1, p->key, &p->cb_key);
	BOOL gone = n->ulEventType == fnevObjectDeleted || (n->ulEventType == fnevObjectMoved && !ours_now);
	local_anchor key;
	memset(&key, 0, sizeof key);
	BOOL found = FALSE;
	if (!gone && FAILED(hr = local_cursor_key_of(t, mid, -1, &key, &found)))
		return hr;
	if (gone || !found) {
		/* Gone, or no longer in the restricted view. */
		if (n->ulEventType == fnevObjectCreated || (n->ulEventType == fnevObjectMoved && !ours_before)) {
			local_anchor_clear(&key);
			return S_OK;
		}
		p->event = TABLE_ROW_DELETED;
		(*count)++;
		local_anchor_clear(&key);
		return S_OK;
	}
	p->event = (n->ulEventType == fnevObjectModified || (n->ulEventType == fnevObjectMoved && ours_before))
	               ? TABLE_ROW_MODIFIED
	               : TABLE_ROW_ADDED;
	local_found *prev = NULL;
	ULONG got = 0;
	hr = local_cursor_fetch(t, &key, LOCAL_MODE_LT, TRUE, 1, &prev, &got);
	if (SUCCEEDED(hr) && got) {
		local_rows_instance_key(prev[0].mid, prev[0].inst, p->prior, &p->cb_prior);
		p->has_prior = TRUE;
	}
	local_found_free(prev, got);
	local_anchor_clear(&key);
	if (SUCCEEDED(hr))
		hr = local_rows_make(t, mid, -1, &p->row);
	if (FAILED(hr))
		return hr;
	p->n_row = t->cols->cValues;
	(*count)++;
	return S_OK;
}

/* Calls every advise sink of the table with one notification. */
static void deliver(local_table *t, NOTIFICATION *n)
{
	LPMAPIADVISESINK *sinks;
	ULONG count = 0;
	pthread_mutex_lock(&t->advise_lock);
	sinks = malloc((t->n_advise ? t->n_advise : 1) * sizeof *sinks);
	for (ULONG i = 0; sinks && i < t->n_advise; i++) {
		if (t->advise[i].mask & fnevTableModified) {
			sinks[count] = t->advise[i].sink;
			IMAPIAdviseSink_AddRef(sinks[count]);
			count++;
		}
	}
	pthread_mutex_unlock(&t->advise_lock);
	for (ULONG i = 0; i < count; i++) {
		IMAPIAdviseSink_OnNotify(sinks[i], 1, n);
		IMAPIAdviseSink_Release(sinks[i]);
	}
	free(sinks);
}

static ULONG sink_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpNotifications)
{
	table_sink *s = SINK(This);
	local_table *t;
	pthread_mutex_lock(&s->lock);
	t = s->table;
	if (t) {
		/* Only a live table: one whose last reference is being dropped
		 * right now is left alone (its Release unsubscribes next). */
		unsigned long r = atomic_load(&t->refs);
		while (r && !atomic_compare_exchange_weak(&t->refs, &r, r + 1))
			;
		if (!r)
			t = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (!t)
		return 0;
	pending *p = calloc(cNotif ? cNotif : 1, sizeof *p);
	ULONG count = 0;
	BOOL reload = FALSE;
	HRESULT hr = S_OK;
	if (p) {
		local_db_lock(t->logon->db);
		if (SUCCEEDED(hr = local_db_begin_read(t->logon->db))) {
			for (ULONG i = 0; SUCCEEDED(hr) && i < cNotif; i++)
				hr = translate(t, &lpNotifications[i], p, &count, &reload);
			if (reload)
				t->mat_valid = FALSE; /* rebuilt on the next call */
			local_db_end_read(t->logon->db);
		}
		local_db_unlock(t->logon->db);
	}
	NOTIFICATION n;
	if (!p || FAILED(hr)) {
		memset(&n, 0, sizeof n);
		n.ulEventType = fnevTableModified;
		n.info.tab.ulTableEvent = TABLE_ERROR;
		n.info.tab.hResult = p ? hr : MAPI_E_NOT_ENOUGH_MEMORY;
		n.info.tab.propIndex.ulPropTag = PR_NULL;
		n.info.tab.propPrior.ulPropTag = PR_NULL;
		deliver(t, &n);
	} else if (reload) {
		memset(&n, 0, sizeof n);
		n.ulEventType = fnevTableModified;
		n.info.tab.ulTableEvent = TABLE_RELOAD;
		n.info.tab.propIndex.ulPropTag = PR_NULL;
		n.info.tab.propPrior.ulPropTag = PR_NULL;
		deliver(t, &n);
	}
	for (ULONG i = 0; p && SUCCEEDED(hr) && i < count; i++) {
		memset(&n, 0, sizeof n);
		n.ulEventType = fnevTableModified;
		n.info.tab.ulTableEvent = p[i].event;
		n.info.tab.propIndex.ulPropTag = PR_INSTANCE_KEY;
		n.info.tab.propIndex.Value.bin.cb = p[i].cb_key;
		n.info.tab.propIndex.Value.bin.lpb = p[i].key;
		if (p[i].has_prior) {
			n.info.tab.propPrior.ulPropTag = PR_INSTANCE_KEY;
			n.info.tab.propPrior.Value.bin.cb = p[i].cb_prior;
			n.info.tab.propPrior.Value.bin.lpb = p[i].prior;
		} else {
			n.info.tab.propPrior.ulPropTag = PR_NULL;
		}
		n.info.tab.row.cValues = p[i].row ? p[i].n_row : 0;
		n.info.tab.row.lpProps = p[i].row;
		deliver(t, &n);
	}
	for (ULONG i = 0; p && i < count; i++)
		if (p[i].row)
			MAPIFreeBuffer(p[i].row);
	free(p);
	IMAPITable_Release(&t->itf);
	return 0;
}

static const IMAPIAdviseSinkVtbl sink_vtbl = {sink_QueryInterface, sink_AddRef, sink_Release, sink_OnNotify};

HRESULT local_table_advise_add(local_table *t, ULONG mask, LPMAPIADVISESINK sink, ULONG_PTR *conn)
{
	HRESULT hr = S_OK;
	pthread_mutex_lock(&t->advise_lock);
	if (t->n_advise == t->cap_advise) {
		ULONG cap = t->cap_advise ? t->cap_advise * 2 : 4;
		local_table_advise *a = realloc(t->advise, cap * sizeof *a);
		if (!a) {
			pthread_mutex_unlock(&t->advise_lock);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable::Advise: out of memory");
		}
		t->advise = a;
		t->cap_advise = cap;
	}
	BOOL first = t->store_sink == NULL;
	if (first) {
		table_sink *s = calloc(1, sizeof *s);
		if (!s) {
			pthread_mutex_unlock(&t->advise_lock);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable::Advise: out of memory");
		}
		s->itf.lpVtbl = &sink_vtbl;
		atomic_init(&s->refs, 1);
		pthread_mutex_init(&s->lock, NULL);
		s->table = t;
		t->store_sink = &s->itf;
	}
	pthread_mutex_unlock(&t->advise_lock);
	if (first) {
		/* A folder's table hears about its folder; a search folder's about
		 * the whole store (its messages live in other folders). */
		BYTE eid[MAPIX_FOLDER_ENTRYID_SIZE];
		mapix_entryid_make_folder(&t->logon->db->mailbox_guid, t->fid, eid);
		hr = local_logon_advise(t->logon, t->scope ? 0 : sizeof eid, t->scope ? NULL : (LPENTRYID)eid,
		                        fnevObjectCreated | fnevObjectDeleted | fnevObjectModified | fnevObjectMoved,
		                        t->store_sink, &t->store_conn);
		if (FAILED(hr)) {
			pthread_mutex_lock(&t->advise_lock);
			table_sink *s = SINK(t->store_sink);
			s->table = NULL;
			t->store_sink = NULL;
			pthread_mutex_unlock(&t->advise_lock);
			IMAPIAdviseSink_Release(&s->itf);
			return hr;
		}
	}
	pthread_mutex_lock(&t->advise_lock);
	local_table_advise *a = &t->advise[t->n_advise++];
	a->conn = ++t->next_conn;
	a->sink = sink;
	a->mask = mask;
	IMAPIAdviseSink_AddRef(sink);
	*conn = a->conn;
	pthread_mutex_unlock(&t->advise_lock);
	return S_OK;
}

HRESULT local_table_advise_remove(local_table *t, ULONG_PTR conn)
{
	LPMAPIADVISESINK sink = NULL;
	pthread_mutex_lock(&t->advise_lock);
	for (ULONG i = 0; i < t->n_advise; i++) {
		if (t->advise[i].conn == conn) {
			sink = t->advise[i].sink;
			t->advise[i] = t->advise[--t->n_advise];
			break;
		}
	}
	pthread_mutex_unlock(&t->advise_lock);
	if (!sink)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::Unadvise: unknown connection");
	IMAPIAdviseSink_Release(sink);
	return S_OK;
}

void local_table_advise_free(local_table *t)
{
	if (t->store_sink) {
		table_sink *s = SINK(t->store_sink);
		local_logon_unadvise(t->logon, t->store_conn);
		mapix_error_clear();
		pthread_mutex_lock(&s->lock);
		s->table = NULL;
		pthread_mutex_unlock(&s->lock);
		IMAPIAdviseSink_Release(&s->itf);
		t->store_sink = NULL;
	}
	for (ULONG i = 0; i < t->n_advise; i++)
		IMAPIAdviseSink_Release(t->advise[i].sink);
	free(t->advise);
	t->advise = NULL;
	t->n_advise = 0;
}
