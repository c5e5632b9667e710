/*
 * notify.h — the notification engine of an instance (notify.c).
 *
 * Providers post notifications under a key (NOTIFKEY: usually an entry ID)
 * and sinks subscribe to keys with an event mask. Posting copies the
 * notifications and queues them; delivery happens
 *  - on the instance's support thread (the default, and with
 *    MAPI_MULTITHREAD_NOTIFICATIONS). The thread is started on the first
 *    subscription and sets the instance's credentials itself when it starts,
 *    whatever thread caused it to start;
 *  - or, with MAPIX_INIT_NO_SUPPORT_THREADS, on the caller's thread: the
 *    queue is signalled through an eventfd (MAPIXGetNotificationFd) and
 *    MAPIXDispatchNotifications delivers what is pending.
 * A sink is called with no engine lock held, so it may call MAPI, including
 * Unadvise of itself.
 */
#ifndef MAPIX_SUBSYSTEM_NOTIFY_H
#define MAPIX_SUBSYSTEM_NOTIFY_H

#include <mapix/mapispi.h>

#include "subsystem/instance.h"

typedef struct mapix_notify_engine mapix_notify_engine;

HRESULT mapix_notify_subscribe(mapix_instance *inst, const NOTIFKEY *key, ULONG ulEventMask,
                               LPMAPIADVISESINK lpSink, ULONG_PTR *lpulConnection);
HRESULT mapix_notify_unsubscribe(mapix_instance *inst, ULONG_PTR ulConnection);
/* Queues copies of the notifications for every subscription on key whose
 * mask matches. */
HRESULT mapix_notify_post(mapix_instance *inst, const NOTIFKEY *key, ULONG cNotification,
                          const NOTIFICATION *lpNotifications);
/* Watches a descriptor for a provider: cb(arg) runs on the support
 * thread (with the instance's credentials) when fd is readable, or inside
 * MAPIXDispatchNotifications in threadless mode (where the descriptor
 * MAPIXGetNotificationFd returns covers it too). cb must consume what made
 * fd readable. remove_source waits for a running callback. */
#define MAPIX_NOTIFY_MAX_SOURCES 64
HRESULT mapix_notify_add_source(mapix_instance *inst, int fd, void (*cb)(void *arg), void *arg, ULONG_PTR *lpId);
void mapix_notify_remove_source(mapix_instance *inst, ULONG_PTR id);

/* Stops the support thread and drops every subscription (instance end). */
void mapix_notify_shutdown(mapix_instance *inst);

/* Delivers what HrThisThreadAdviseSink sinks made on the calling thread
 * have queued (advise_sink.c); returns how many batches. */
ULONG mapix_thread_sinks_dispatch(void);

/* A deep copy of a notification array in one MAPIAllocateBuffer root. */
HRESULT mapix_notification_dup(ULONG cNotification, const NOTIFICATION *lpNotifications, LPNOTIFICATION *lppCopy);

#endif
