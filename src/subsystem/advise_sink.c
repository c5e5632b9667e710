/*
 * advise_sink.c — HrAllocAdviseSink (a sink that calls a function) and
 * HrThisThreadAdviseSink (a sink that hands notifications to the thread
 * that made it). Windows delivers the latter through the thread's message
 * loop; Linux programs have none, so the owning thread collects them with
 * MAPIXDispatchNotifications (which also runs the threadless engine).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/notify.h"

/* ---- HrAllocAdviseSink ----------------------------------------------------------- */

typedef struct callback_sink {
	IMAPIAdviseSink iface;
	atomic_ulong refs;
	LPNOTIFCALLBACK fn;
	LPVOID ctx;
} callback_sink;

static HRESULT sink_QueryInterface(IMAPIAdviseSink *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPIAdviseSink)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	This->lpVtbl->AddRef(This);
	*ppv = This;
	return S_OK;
}

static ULONG cb_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((callback_sink *)This)->refs, 1) + 1;
}

static ULONG cb_Release(IMAPIAdviseSink *This)
{
	callback_sink *s = (callback_sink *)This;
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (!left)
		free(s);
	return left;
}

static ULONG cb_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpNotifications)
{
	callback_sink *s = (callback_sink *)This;
	return (ULONG)s->fn(s->ctx, cNotif, lpNotifications);
}

static const IMAPIAdviseSinkVtbl callback_vtbl = {sink_QueryInterface, cb_AddRef, cb_Release, cb_OnNotify};

STDAPI HrAllocAdviseSink(LPNOTIFCALLBACK lpfnCallback, LPVOID lpvContext, LPMAPIADVISESINK *lppAdviseSink)
{
	if (!lpfnCallback || !lppAdviseSink)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrAllocAdviseSink: NULL callback or output");
	callback_sink *s = calloc(1, sizeof *s);
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "HrAllocAdviseSink: out of memory");
	s->iface.lpVtbl = &callback_vtbl;
	atomic_init(&s->refs, 1);
	s->fn = lpfnCallback;
	s->ctx = lpvContext;
	*lppAdviseSink = &s->iface;
	return S_OK;
}

/* ---- HrThisThreadAdviseSink ------------------------------------------------------- */

typedef struct pending {
	ULONG count;
	LPNOTIFICATION notifs;
	struct pending *next;
} pending;

typedef struct thread_sink {
	IMAPIAdviseSink iface;
	atomic_ulong refs;
	LPMAPIADVISESINK inner;
	pthread_t owner;
	pthread_mutex_t lock;
	pending *head, *tail;
	struct thread_sink *next_of_thread; /* the owner thread's list */
} thread_sink;

/* Sinks made on this thread, drained by MAPIXDispatchNotifications. */
static _Thread_local thread_sink *my_sinks;
static pthread_mutex_t sinks_lock = PTHREAD_MUTEX_INITIALIZER;

static ULONG ts_AddRef(IMAPIAdviseSink *This)
{
	return (ULONG)atomic_fetch_add(&((thread_sink *)This)->refs, 1) + 1;
}

static void drop_pending(pending *p)
{
	while (p) {
		pending *next = p->next;
		MAPIFreeBuffer(p->notifs);
		free(p);
		p = next;
	}
}

static ULONG ts_Release(IMAPIAdviseSink *This)
{
	thread_sink *s = (thread_sink *)This;
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (left)
		return left;
	/* Unlinking from the owner's list is done by the owner's next
	 * dispatch; until then the list keeps one reference (see below). */
	drop_pending(s->head);
	s->inner->lpVtbl->Release(s->inner);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return 0;
}

static ULONG ts_OnNotify(IMAPIAdviseSink *This, ULONG cNotif, LPNOTIFICATION lpNotifications)
{
	thread_sink *s = (thread_sink *)This;
	if (pthread_equal(pthread_self(), s->owner))
		return s->inner->lpVtbl->OnNotify(s->inner, cNotif, lpNotifications);
	pending *p = calloc(1, sizeof *p);
	if (!p || FAILED(mapix_notification_dup(cNotif, lpNotifications, &p->notifs))) {
		free(p);
		return 0;
	}
	p->count = cNotif;
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static const IMAPIAdviseSinkVtbl thread_vtbl = {sink_QueryInterface, ts_AddRef, ts_Release, ts_OnNotify};

STDAPI HrThisThreadAdviseSink(LPMAPIADVISESINK lpAdviseSink, LPMAPIADVISESINK *lppAdviseSink)
{
	if (!lpAdviseSink || !lppAdviseSink)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "HrThisThreadAdviseSink: NULL sink or output");
	thread_sink *s = calloc(1, sizeof *s);
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "HrThisThreadAdviseSink: out of memory");
	s->iface.lpVtbl = &thread_vtbl;
	atomic_init(&s->refs, 2); /* the caller's, and the owner thread's list */
	s->inner = lpAdviseSink;
	lpAdviseSink->lpVtbl->AddRef(lpAdviseSink);
	s->owner = pthread_self();
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_lock(&sinks_lock);
	s->next_of_thread = my_sinks;
	my_sinks = s;
	pthread_mutex_unlock(&sinks_lock);
	*lppAdviseSink = &s->iface;
	return S_OK;
}

/* Delivers what this thread's sinks have queued; drops sinks that only the
 * list still holds. Called by MAPIXDispatchNotifications. */
ULONG mapix_thread_sinks_dispatch(void)
{
	ULONG n = 0;
	thread_sink **link = &my_sinks;
	while (*link) {
		thread_sink *s = *link;
		pthread_mutex_lock(&s->lock);
		pending *p = s->head;
		s->head = s->tail = NULL;
		pthread_mutex_unlock(&s->lock);
		for (pending *q = p; q; q = q->next, n++)
			s->inner->lpVtbl->OnNotify(s->inner, q->count, q->notifs);
		drop_pending(p);
		if (atomic_load(&s->refs) == 1) {
			*link = s->next_of_thread;
			ts_Release(&s->iface);
		} else {
			link = &s->next_of_thread;
		}
	}
	return n;
}
