/*
 * test_notify.c — the notification engine: delivery on the instance's
 * support thread, event-mask filtering, Unadvise, the threadless engine
 * (pollable descriptor + dispatch on the caller's thread),
 * HrThisThreadAdviseSink, and (as root) that the support thread runs with
 * its instance's credentials even when another identity started it.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "subsystem/instance.h"
#include "subsystem/notify.h"
#include "testutil.h"

typedef struct received {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int count;
	pid_t tid;
	ULONG event;
	BYTE eid[8];
	ULONG cb;
	char uid_line[300];
} received;

static void read_uid_line(char *out, size_t cap)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	FILE *f = fopen(path, "r");
	out[0] = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Uid:", 4) == 0)
			snprintf(out, cap, "%s", line);
	if (f)
		fclose(f);
}

static LONG on_notify(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	received *r = ctx;
	pthread_mutex_lock(&r->lock);
	r->count += (int)n;
	r->tid = (pid_t)syscall(SYS_gettid);
	r->event = notifs[0].ulEventType;
	r->cb = notifs[0].info.obj.cbEntryID;
	if (r->cb <= sizeof r->eid)
		memcpy(r->eid, notifs[0].info.obj.lpEntryID, r->cb);
	read_uid_line(r->uid_line, sizeof r->uid_line);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void received_init(received *r)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
}

/* Waits up to 5 s for `want` notifications. */
static int wait_for(received *r, int want)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&r->lock);
	while (r->count < want && pthread_cond_timedwait(&r->cond, &r->lock, &until) == 0)
		;
	int n = r->count;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void post_object(mapix_instance *inst, const NOTIFKEY *key, ULONG event, BYTE tagbyte)
{
	BYTE eid[8] = {0, 0, 0, 0, tagbyte, 2, 3, 4};
	NOTIFICATION n = {0};
	n.ulEventType = event;
	n.info.obj.cbEntryID = sizeof eid;
	n.info.obj.lpEntryID = (LPENTRYID)eid;
	n.info.obj.ulObjType = MAPI_MESSAGE;
	assert_int_equal(mapix_notify_post(inst, key, 1, &n), S_OK);
	/* The engine copied it: scribble over ours. */
	memset(eid, 0xEE, sizeof eid);
}

static SizedNOTIFKEY(4, test_key) = {4, {'k', 'e', 'y', '1'}};

static void test_support_thread_delivery(void **state)
{
	(void)state;
	received r;
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	received_init(&r);
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	mapix_instance *inst = mapix_instance_current(FALSE);
	assert_int_equal(HrAllocAdviseSink(on_notify, &r, &sink), S_OK);
	assert_int_equal(mapix_notify_subscribe(inst, (NOTIFKEY *)&test_key, fnevObjectCreated, sink, &conn), S_OK);
	/* Not asked for: filtered out. */
	post_object(inst, (NOTIFKEY *)&test_key, fnevNewMail, 9);
	post_object(inst, (NOTIFKEY *)&test_key, fnevObjectCreated, 7);
	assert_int_equal(wait_for(&r, 1), 1);
	assert_int_equal(r.event, fnevObjectCreated);
	assert_int_equal(r.cb, 8);
	assert_int_equal(r.eid[4], 7);
	assert_int_not_equal(r.tid, (pid_t)syscall(SYS_gettid));
	/* After Unadvise nothing more arrives. */
	assert_int_equal(mapix_notify_unsubscribe(inst, conn), S_OK);
	assert_int_equal(mapix_notify_unsubscribe(inst, conn), MAPI_E_NOT_FOUND);
	post_object(inst, (NOTIFKEY *)&test_key, fnevObjectCreated, 8);
	usleep(100000);
	assert_int_equal(r.count, 1);
	sink->lpVtbl->Release(sink);
	MAPIUninitialize();
}

static void test_threadless_engine(void **state)
{
	(void)state;
	received r;
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	ULONG delivered;
	int fd;
	received_init(&r);
	MAPIXINIT init = {MAPIX_INIT_VERSION, MAPIX_INIT_NO_SUPPORT_THREADS, NULL};
	assert_int_equal(MAPIInitialize(&init), S_OK);
	mapix_instance *inst = mapix_instance_current(FALSE);
	assert_int_equal(MAPIXGetNotificationFd(&fd), S_OK);
	assert_int_equal(HrAllocAdviseSink(on_notify, &r, &sink), S_OK);
	assert_int_equal(mapix_notify_subscribe(inst, (NOTIFKEY *)&test_key, fnevObjectModified, sink, &conn), S_OK);
	struct pollfd p = {fd, POLLIN, 0};
	assert_int_equal(poll(&p, 1, 0), 0);
	post_object(inst, (NOTIFKEY *)&test_key, fnevObjectModified, 5);
	assert_int_equal(poll(&p, 1, 1000), 1);
	/* Nothing is delivered until this thread dispatches... */
	usleep(50000);
	assert_int_equal(r.count, 0);
	assert_int_equal(MAPIXDispatchNotifications(&delivered), S_OK);
	assert_int_equal(delivered, 1);
	/* ...and then on this very thread. */
	assert_int_equal(r.count, 1);
	assert_int_equal(r.tid, (pid_t)syscall(SYS_gettid));
	assert_int_equal(r.eid[4], 5);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(mapix_notify_unsubscribe(inst, conn), S_OK);
	sink->lpVtbl->Release(sink);
	MAPIUninitialize();
}

static void test_this_thread_sink(void **state)
{
	(void)state;
	received r;
	LPMAPIADVISESINK sink, wrapped;
	ULONG_PTR conn;
	ULONG delivered = 0;
	received_init(&r);
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	mapix_instance *inst = mapix_instance_current(FALSE);
	assert_int_equal(HrAllocAdviseSink(on_notify, &r, &sink), S_OK);
	assert_int_equal(HrThisThreadAdviseSink(sink, &wrapped), S_OK);
	assert_int_equal(mapix_notify_subscribe(inst, (NOTIFKEY *)&test_key, fnevObjectDeleted, wrapped, &conn), S_OK);
	post_object(inst, (NOTIFKEY *)&test_key, fnevObjectDeleted, 3);
	/* The support thread hands it to this thread's queue. */
	for (int i = 0; i < 100 && delivered == 0; i++) {
		usleep(10000);
		assert_int_equal(MAPIXDispatchNotifications(&delivered), S_OK);
	}
	assert_int_equal(delivered, 1);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.tid, (pid_t)syscall(SYS_gettid));
	assert_int_equal(mapix_notify_unsubscribe(inst, conn), S_OK);
	wrapped->lpVtbl->Release(wrapped);
	sink->lpVtbl->Release(sink);
	assert_int_equal(MAPIXDispatchNotifications(&delivered), S_OK);
	MAPIUninitialize();
}

struct user_init {
	mapix_instance *inst;
	HRESULT hr;
};

static void *init_as_nobody(void *arg)
{
	struct user_init *u = arg;
	u->hr = MAPIXImpersonateUser(65534);
	if (SUCCEEDED(u->hr))
		u->hr = MAPIInitialize(NULL);
	u->inst = mapix_instance_current(FALSE);
	MAPIXRevertToSelf();
	return NULL;
}

static void *uninit_as_nobody(void *arg)
{
	(void)arg;
	MAPIXImpersonateUser(65534);
	MAPIUninitialize();
	MAPIXRevertToSelf();
	return NULL;
}

static void test_support_thread_credentials(void **state)
{
	(void)state;
	if (geteuid() != 0)
		MAPIX_SKIP("checking a support thread's credentials needs root (two identities)");
	struct user_init u = {0};
	pthread_t t;
	pthread_create(&t, NULL, init_as_nobody, &u);
	pthread_join(t, NULL);
	assert_int_equal(u.hr, S_OK);
	assert_non_null(u.inst);
	received r;
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	received_init(&r);
	assert_int_equal(HrAllocAdviseSink(on_notify, &r, &sink), S_OK);
	/* This (root) thread causes nobody's support thread to start. */
	assert_int_equal(mapix_notify_subscribe(u.inst, (NOTIFKEY *)&test_key, fnevObjectCreated, sink, &conn), S_OK);
	post_object(u.inst, (NOTIFKEY *)&test_key, fnevObjectCreated, 1);
	assert_int_equal(wait_for(&r, 1), 1);
	/* Real uid 0 stays; effective, saved-set and fs uids: the effective
	 * and filesystem ids are nobody's. */
	unsigned ru, eu, su, fu;
	assert_int_equal(sscanf(r.uid_line, "Uid:\t%u\t%u\t%u\t%u", &ru, &eu, &su, &fu), 4);
	assert_int_equal(eu, 65534);
	assert_int_equal(fu, 65534);
	assert_int_equal(geteuid(), 0);
	assert_int_equal(mapix_notify_unsubscribe(u.inst, conn), S_OK);
	sink->lpVtbl->Release(sink);
	pthread_create(&t, NULL, uninit_as_nobody, NULL);
	pthread_join(t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_support_thread_delivery),
		cmocka_unit_test(test_threadless_engine),
		cmocka_unit_test(test_this_thread_sink),
		cmocka_unit_test(test_support_thread_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
