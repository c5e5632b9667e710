/*
 * notify.c — the per-instance notification engine (see notify.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/notify.h"

typedef struct subscription {
	ULONG_PTR conn;
	BYTE *key;
	ULONG cbkey;
	ULONG mask;
	LPMAPIADVISESINK sink;
	struct subscription *next;
} subscription;

typedef struct queued {
	ULONG_PTR conn;
	LPMAPIADVISESINK sink; /* AddRef'd while queued */
	ULONG count;
	LPNOTIFICATION notifs; /* own MAPIAllocateBuffer root */
	struct queued *next;
} queued;

/* A descriptor a provider wants watched (e.g. inotify on a mailbox file,
 * for changes made by other processes); its callback runs on the support
 * thread, or inside MAPIXDispatchNotifications in threadless mode. */
typedef struct source {
	ULONG_PTR id;
	int fd;
	void (*cb)(void *arg);
	void *arg;
	struct source *next;
} source;

struct mapix_notify_engine {
	pthread_mutex_t lock;
	pthread_cond_t wake;      /* work queued, or stop */
	pthread_cond_t stopped;   /* the support thread has ended */
	pthread_cond_t idle;      /* no source callback is running */
	subscription *subs;
	ULONG_PTR next_conn;
	queued *head, *tail;
	source *sources;
	int running_cb;           /* source callbacks running now */
	int epfd;                 /* threadless mode: the descriptor handed out (eventfd + sources) */
	int efd;                  /* readable while work is queued; wakes the support thread */
	BOOL threadless;
	BOOL thread_running;
	BOOL stopping;
	pthread_t thread;
	mapix_instance *inst;
};

/* Engines live as long as their instance's slot (never freed, like the
 * instance itself), so a delivery thread can always reach its engine. */
static pthread_mutex_t engines_lock = PTHREAD_MUTEX_INITIALIZER;

static mapix_notify_engine *engine_of(mapix_instance *inst, BOOL create)
{
	pthread_mutex_lock(&engines_lock);
	mapix_notify_engine *e = inst->notify;
	if (!e && create) {
		e = calloc(1, sizeof *e);
		if (e) {
			pthread_mutex_init(&e->lock, NULL);
			pthread_cond_init(&e->wake, NULL);
			pthread_cond_init(&e->stopped, NULL);
			pthread_cond_init(&e->idle, NULL);
			e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			e->epfd = -1;
			e->inst = inst;
			e->next_conn = 1;
			inst->notify = e;
		}
	}
	if (e && create) {
		/* The mode follows the instance's current initialization. */
		e->threadless = (inst->init_flags & MAPIX_INIT_NO_SUPPORT_THREADS) != 0;
	}
	pthread_mutex_unlock(&engines_lock);
	return e;
}

static HRESULT start_thread_locked(mapix_notify_engine *e);

/* Takes every queued item off the queue (engine lock held). */
static queued *take_all(mapix_notify_engine *e)
{
	queued *q = e->head;
	e->head = e->tail = NULL;
	uint64_t v;
	while (read(e->efd, &v, sizeof v) > 0)
		;
	return q;
}

static BOOL still_subscribed(mapix_notify_engine *e, ULONG_PTR conn)
{
	for (subscription *s = e->subs; s; s = s->next)
		if (s->conn == conn)
			return TRUE;
	return FALSE;
}

/* Calls the sinks of a list of items, with no lock held during the calls. */
static ULONG deliver(mapix_notify_engine *e, queued *q)
{
	ULONG delivered = 0;
	while (q) {
		queued *next = q->next;
		pthread_mutex_lock(&e->lock);
		BOOL live = still_subscribed(e, q->conn);
		pthread_mutex_unlock(&e->lock);
		if (live) {
			q->sink->lpVtbl->OnNotify(q->sink, q->count, q->notifs);
			delivered++;
		}
		q->sink->lpVtbl->Release(q->sink);
		MAPIFreeBuffer(q->notifs);
		free(q);
		q = next;
	}
	return delivered;
}

/* Runs the callbacks of the sources whose descriptors polled readable
 * (engine lock held on entry and exit, released around each callback). */
static void run_ready_sources(mapix_notify_engine *e, struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		source *src;
		for (src = e->sources; src && src->fd != fds[i].fd; src = src->next)
			;
		if (!src)
			continue; /* removed meanwhile */
		void (*cb)(void *) = src->cb;
		void *arg = src->arg;
		e->running_cb++;
		pthread_mutex_unlock(&e->lock);
		cb(arg);
		pthread_mutex_lock(&e->lock);
		if (--e->running_cb == 0)
			pthread_cond_broadcast(&e->idle);
	}
}

static void *support_thread(void *arg)
{
	mapix_notify_engine *e = arg;
	mapix_instance *inst = e->inst;
	/* Take the instance's identity, whatever thread started us: sinks run
	 * as the user whose objects they watch. */
	mapix_thread_set_identity(inst->ctx.euid, inst->ctx.egid, inst->ctx.ngroups, inst->ctx.groups);
	mapix_instance_current(FALSE);
	pthread_mutex_lock(&e->lock);
	for (;;) {
		if (e->stopping && !e->head)
			break;
		if (!e->head) {
			/* Sleep until work is queued (eventfd) or a source fires. */
			struct pollfd fds[MAPIX_NOTIFY_MAX_SOURCES + 1];
			int n = 0;
			fds[n++] = (struct pollfd){e->efd, POLLIN, 0};
			for (source *src = e->sources; src && n <= MAPIX_NOTIFY_MAX_SOURCES; src = src->next)
				fds[n++] = (struct pollfd){src->fd, POLLIN, 0};
			pthread_mutex_unlock(&e->lock);
			poll(fds, (nfds_t)n, -1);
			pthread_mutex_lock(&e->lock);
			if (fds[0].revents & POLLIN) {
				/* A wake-up: work is checked under the lock at the top. */
				uint64_t v;
				while (read(e->efd, &v, sizeof v) > 0)
					;
			}
			run_ready_sources(e, fds + 1, n - 1);
			continue;
		}
		queued *q = take_all(e);
		pthread_mutex_unlock(&e->lock);
		deliver(e, q);
		pthread_mutex_lock(&e->lock);
	}
	e->thread_running = FALSE;
	pthread_cond_broadcast(&e->stopped);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

HRESULT mapix_notify_subscribe(mapix_instance *inst, const NOTIFKEY *key, ULONG ulEventMask,
                               LPMAPIADVISESINK lpSink, ULONG_PTR *lpulConnection)
{
	if (!inst || !key || !lpSink || !lpulConnection || !ulEventMask)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "Advise: missing key, sink or event mask");
	mapix_notify_engine *e = engine_of(inst, TRUE);
	subscription *s = calloc(1, sizeof *s);
	BYTE *k = malloc(key->cb ? key->cb : 1);
	if (!e || !s || !k) {
		free(s);
		free(k);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Advise: out of memory");
	}
	memcpy(k, key->ab, key->cb);
	s->key = k;
	s->cbkey = key->cb;
	s->mask = ulEventMask;
	s->sink = lpSink;
	lpSink->lpVtbl->AddRef(lpSink);
	pthread_mutex_lock(&e->lock);
	s->conn = e->next_conn++;
	s->next = e->subs;
	e->subs = s;
	HRESULT hr = start_thread_locked(e);
	if (FAILED(hr)) {
		e->subs = s->next;
		pthread_mutex_unlock(&e->lock);
		lpSink->lpVtbl->Release(lpSink);
		free(s->key);
		free(s);
		return hr;
	}
	*lpulConnection = s->conn;
	pthread_mutex_unlock(&e->lock);
	return S_OK;
}

HRESULT mapix_notify_unsubscribe(mapix_instance *inst, ULONG_PTR ulConnection)
{
	mapix_notify_engine *e = inst ? engine_of(inst, FALSE) : NULL;
	subscription *found = NULL;
	if (e) {
		pthread_mutex_lock(&e->lock);
		for (subscription **p = &e->subs; *p; p = &(*p)->next)
			if ((*p)->conn == ulConnection) {
				found = *p;
				*p = found->next;
				break;
			}
		pthread_mutex_unlock(&e->lock);
	}
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "Unadvise: no connection %lu", (unsigned long)ulConnection);
	found->sink->lpVtbl->Release(found->sink);
	free(found->key);
	free(found);
	return S_OK;
}

HRESULT mapix_notify_post(mapix_instance *inst, const NOTIFKEY *key, ULONG cNotification,
                          const NOTIFICATION *lpNotifications)
{
	mapix_notify_engine *e = inst ? engine_of(inst, FALSE) : NULL;
	HRESULT hr = S_OK;
	if (!e || !key || !cNotification)
		return S_OK; /* nobody listens */
	pthread_mutex_lock(&e->lock);
	for (subscription *s = e->subs; s && SUCCEEDED(hr); s = s->next) {
		if (s->cbkey != key->cb || memcmp(s->key, key->ab, key->cb) != 0)
			continue;
		/* Only the notifications the subscription asked for. */
		ULONG n = 0;
		for (ULONG i = 0; i < cNotification; i++)
			if (lpNotifications[i].ulEventType & s->mask)
				n++;
		if (!n)
			continue;
		NOTIFICATION *pick = malloc(n * sizeof *pick);
		queued *q = calloc(1, sizeof *q);
		if (!pick || !q) {
			free(pick);
			free(q);
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Notify: out of memory");
			break;
		}
		n = 0;
		for (ULONG i = 0; i < cNotification; i++)
			if (lpNotifications[i].ulEventType & s->mask)
				pick[n++] = lpNotifications[i];
		hr = mapix_notification_dup(n, pick, &q->notifs);
		free(pick);
		if (FAILED(hr)) {
			free(q);
			break;
		}
		q->count = n;
		q->conn = s->conn;
		q->sink = s->sink;
		q->sink->lpVtbl->AddRef(q->sink);
		if (e->tail)
			e->tail->next = q;
		else
			e->head = q;
		e->tail = q;
	}
	if (e->head) {
		uint64_t one = 1;
		(void)!write(e->efd, &one, sizeof one);
	}
	pthread_mutex_unlock(&e->lock);
	return hr;
}

void mapix_notify_shutdown(mapix_instance *inst)
{
	mapix_notify_engine *e = engine_of(inst, FALSE);
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	subscription *subs = e->subs;
	e->subs = NULL;
	queued *q = take_all(e);
	e->stopping = TRUE;
	uint64_t one = 1;
	(void)!write(e->efd, &one, sizeof one);
	/* Wait for the support thread, unless this IS the support thread. */
	if (e->thread_running && !pthread_equal(e->thread, pthread_self()))
		while (e->thread_running)
			pthread_cond_wait(&e->stopped, &e->lock);
	pthread_mutex_unlock(&e->lock);
	while (q) {
		queued *next = q->next;
		q->sink->lpVtbl->Release(q->sink);
		MAPIFreeBuffer(q->notifs);
		free(q);
		q = next;
	}
	while (subs) {
		subscription *next = subs->next;
		subs->sink->lpVtbl->Release(subs->sink);
		free(subs->key);
		free(subs);
		subs = next;
	}
}

/* Starts the support thread if the mode wants one (engine lock held). */
static HRESULT start_thread_locked(mapix_notify_engine *e)
{
	if (e->threadless || e->thread_running)
		return S_OK;
	e->stopping = FALSE;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&e->thread, &attr, support_thread, e);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "cannot start the notification thread: %s", strerror(rc));
	e->thread_running = TRUE;
	return S_OK;
}

HRESULT mapix_notify_add_source(mapix_instance *inst, int fd, void (*cb)(void *arg), void *arg, ULONG_PTR *lpId)
{
	mapix_notify_engine *e = inst ? engine_of(inst, TRUE) : NULL;
	if (!e || fd < 0 || !cb || !lpId)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "notification source: bad arguments");
	source *src = calloc(1, sizeof *src);
	if (!src)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "notification source: out of memory");
	src->fd = fd;
	src->cb = cb;
	src->arg = arg;
	pthread_mutex_lock(&e->lock);
	int count = 0;
	for (source *x = e->sources; x; x = x->next)
		count++;
	if (count >= MAPIX_NOTIFY_MAX_SOURCES) {
		pthread_mutex_unlock(&e->lock);
		free(src);
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "notification source: more than %d open stores are watched",
		                   MAPIX_NOTIFY_MAX_SOURCES);
	}
	src->id = e->next_conn++;
	src->next = e->sources;
	e->sources = src;
	if (e->epfd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	HRESULT hr = start_thread_locked(e);
	uint64_t one = 1;
	(void)!write(e->efd, &one, sizeof one); /* let the thread see the new source */
	*lpId = src->id;
	pthread_mutex_unlock(&e->lock);
	return hr;
}

void mapix_notify_remove_source(mapix_instance *inst, ULONG_PTR id)
{
	mapix_notify_engine *e = inst ? engine_of(inst, FALSE) : NULL;
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	source *found = NULL;
	for (source **p = &e->sources; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			found = *p;
			*p = found->next;
			break;
		}
	if (found && e->epfd >= 0)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, found->fd, NULL);
	/* Its callback may be running on the support thread: wait, unless
	 * this is that callback removing its own source. */
	if (!(e->thread_running && pthread_equal(e->thread, pthread_self())))
		while (e->running_cb > 0)
			pthread_cond_wait(&e->idle, &e->lock);
	pthread_mutex_unlock(&e->lock);
	free(found);
}

/* ---- the threadless engine's public face ------------------------------------------ */

STDAPI MAPIXGetNotificationFd(int *lpFd)
{
	mapix_instance *inst = mapix_instance_current(FALSE);
	if (!lpFd)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXGetNotificationFd: NULL output");
	if (!inst)
		return mapix_error(MAPI_E_NOT_INITIALIZED, "MAPIXGetNotificationFd: MAPIInitialize was not called");
	if (!(inst->init_flags & MAPIX_INIT_NO_SUPPORT_THREADS))
		return mapix_error(MAPI_E_NO_SUPPORT,
		                   "MAPIXGetNotificationFd: only with MAPIX_INIT_NO_SUPPORT_THREADS (else a support thread delivers)");
	mapix_notify_engine *e = engine_of(inst, TRUE);
	if (!e || e->efd < 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "MAPIXGetNotificationFd: no eventfd");
	pthread_mutex_lock(&e->lock);
	if (e->epfd < 0) {
		/* One descriptor for everything: queued work and every source. */
		e->epfd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = e->efd};
		if (e->epfd >= 0)
			epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->efd, &ev);
		for (source *src = e->sources; e->epfd >= 0 && src; src = src->next) {
			struct epoll_event sev = {.events = EPOLLIN, .data.fd = src->fd};
			epoll_ctl(e->epfd, EPOLL_CTL_ADD, src->fd, &sev);
		}
	}
	int fd = e->epfd;
	pthread_mutex_unlock(&e->lock);
	if (fd < 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "MAPIXGetNotificationFd: no epoll descriptor");
	*lpFd = fd;
	return S_OK;
}

STDAPI MAPIXDispatchNotifications(ULONG *lpcDelivered)
{
	mapix_instance *inst = mapix_instance_current(FALSE);
	if (!inst)
		return mapix_error(MAPI_E_NOT_INITIALIZED, "MAPIXDispatchNotifications: MAPIInitialize was not called");
	mapix_notify_engine *e = engine_of(inst, FALSE);
	ULONG n = mapix_thread_sinks_dispatch();
	if (e) {
		pthread_mutex_lock(&e->lock);
		if (e->threadless) {
			/* Sources first: their callbacks queue notifications. */
			struct pollfd fds[MAPIX_NOTIFY_MAX_SOURCES];
			int k = 0;
			for (source *src = e->sources; src && k < MAPIX_NOTIFY_MAX_SOURCES; src = src->next)
				fds[k++] = (struct pollfd){src->fd, POLLIN, 0};
			pthread_mutex_unlock(&e->lock);
			if (k)
				poll(fds, (nfds_t)k, 0);
			pthread_mutex_lock(&e->lock);
			run_ready_sources(e, fds, k);
		}
		queued *q = take_all(e);
		pthread_mutex_unlock(&e->lock);
		n += deliver(e, q);
	}
	if (lpcDelivered)
		*lpcDelivered = n;
	return S_OK;
}
