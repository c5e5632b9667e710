/*
 * advise.c — pushed notifications. A client's Advise becomes an advise
 * sink here, subscribed on the shared store (or on a table) with the
 * entry ID and event mask the client gave; the store's support object
 * calls it for a change made through any connection, and the sink sends
 * the notifications to its connection in an event frame carrying the
 * client's advise id.
 *
 * The sink is called synchronously by the thread that made the change. For
 * the connection that made it, that puts the event on the socket before
 * the reply, so a client sees its own changes notified before the call
 * returns, as with the local store. A connection that cannot take an event
 * in time is dropped (srv_conn_send_event) rather than slowing the others.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "server.h"

typedef struct srv_sink {
	IMAPIAdviseSink itf;
	atomic_ulong refs;
	srv_conn *conn;   /* referenced */
	ULONG client_id;
} srv_sink;

static HRESULT sink_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPIAdviseSink)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&((srv_sink *)This)->refs, 1);
	*ppv = This;
	return S_OK;
}

static ULONG sink_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((srv_sink *)This)->refs, 1) + 1;
}

static ULONG sink_Release(IMAPIAdviseSink *This)
{
	srv_sink *s = (srv_sink *)This;
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (!left) {
		srv_conn_unref(s->conn);
		free(s);
	}
	return left;
}

static ULONG sink_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpNotifications)
{
	srv_sink *s = (srv_sink *)This;
	MAPIXWIREBUF b;
	mapix_wire_buf_init(&b);
	if (SUCCEEDED(mapix_wire_put_u32(&b, s->client_id)) &&
	    SUCCEEDED(mapix_proto_put_notifs(&b, cNotif, lpNotifications)))
		srv_conn_send_event(s->conn, b.pb, b.cb);
	mapix_error_clear();
	mapix_wire_buf_free(&b);
	return 0;
}

static const IMAPIAdviseSinkVtbl sink_vtbl = {
	.QueryInterface = sink_QueryInterface,
	.AddRef = sink_AddRef,
	.Release = sink_Release,
	.OnNotify = sink_OnNotify,
};

HRESULT srv_advise_add(srv_conn *c, LPUNKNOWN source, BOOL table, ULONG cbEntryID, LPENTRYID lpEntryID,
                       ULONG mask, ULONG client_id)
{
	pthread_mutex_lock(&c->lock);
	BOOL full = c->n_advises >= c->srv->cfg.max_advises;
	BOOL taken = FALSE;
	for (srv_advise *a = c->advises; a; a = a->next)
		taken |= a->client_id == client_id;
	pthread_mutex_unlock(&c->lock);
	if (full)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "Advise: more than %u advises on one connection",
		                   (unsigned)c->srv->cfg.max_advises);
	if (taken)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: advise id %u is in use", (unsigned)client_id);

	srv_sink *s = calloc(1, sizeof *s);
	srv_advise *a = calloc(1, sizeof *a);
	if (!s || !a) {
		free(s);
		free(a);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Advise: out of memory");
	}
	s->itf.lpVtbl = &sink_vtbl;
	atomic_init(&s->refs, 1);
	srv_conn_ref(c);
	s->conn = c;
	s->client_id = client_id;
	ULONG_PTR conn_no = 0;
	HRESULT hr = table ? IMAPITable_Advise((LPMAPITABLE)source, mask, &s->itf, &conn_no)
	                   : IMsgStore_Advise((LPMDB)source, cbEntryID, lpEntryID, mask, &s->itf, &conn_no);
	/* The store or table holds the sink now (or failed). */
	sink_Release(&s->itf);
	if (FAILED(hr)) {
		free(a);
		return hr;
	}
	source->lpVtbl->AddRef(source);
	a->client_id = client_id;
	a->connection = conn_no;
	a->source = source;
	a->table = table;
	pthread_mutex_lock(&c->lock);
	a->next = c->advises;
	c->advises = a;
	c->n_advises++;
	pthread_mutex_unlock(&c->lock);
	return S_OK;
}

static void undo(srv_advise *a)
{
	if (a->table)
		IMAPITable_Unadvise((LPMAPITABLE)a->source, a->connection);
	else
		IMsgStore_Unadvise((LPMDB)a->source, a->connection);
	mapix_error_clear();
	a->source->lpVtbl->Release(a->source);
	free(a);
}

HRESULT srv_advise_remove(srv_conn *c, ULONG client_id)
{
	srv_advise *found = NULL;
	pthread_mutex_lock(&c->lock);
	for (srv_advise **pp = &c->advises; *pp; pp = &(*pp)->next)
		if ((*pp)->client_id == client_id) {
			found = *pp;
			*pp = found->next;
			c->n_advises--;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "Unadvise: no advise with id %u", (unsigned)client_id);
	undo(found);
	return S_OK;
}

void srv_advise_remove_all(srv_conn *c)
{
	pthread_mutex_lock(&c->lock);
	srv_advise *a = c->advises;
	c->advises = NULL;
	c->n_advises = 0;
	pthread_mutex_unlock(&c->lock);
	while (a) {
		srv_advise *next = a->next;
		undo(a);
		a = next;
	}
}
