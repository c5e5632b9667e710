/*
 * test_store_notify.c — store notifications come from the change journal:
 * a message saved by this process, and one saved by ANOTHER process on the
 * same mailbox file, both reach an advise sink (fnevObjectCreated and
 * fnevNewMail for the Inbox), without polling: the other process's commit
 * is noticed through inotify by the instance's notification engine.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static const char *self_path;

typedef struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int created, new_mail;
	char last_class[64];
} seen;

static LONG on_notify(LPVOID ctx, ULONG n, LPNOTIFICATION notifs)
{
	seen *s = ctx;
	pthread_mutex_lock(&s->lock);
	for (ULONG i = 0; i < n; i++) {
		if (notifs[i].ulEventType == fnevObjectCreated && notifs[i].info.obj.ulObjType == MAPI_MESSAGE)
			s->created++;
		if (notifs[i].ulEventType == fnevNewMail) {
			s->new_mail++;
			snprintf(s->last_class, sizeof s->last_class, "%s", (const char *)notifs[i].info.newmail.lpszMessageClass);
		}
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Waits (at most 10 s) until `want` messages were created and, when
 * want_mail is set, as many new-mail events came: the two kinds of event
 * may arrive in separate callbacks. */
static int wait_events(seen *s, int want, int want_mail)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&s->lock);
	while ((s->created < want || (want_mail && s->new_mail < want)) &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
		;
	int got = s->created;
	pthread_mutex_unlock(&s->lock);
	return got;
}

static int wait_created(seen *s, int want)
{
	return wait_events(s, want, 0);
}

/* Saves one message in the Inbox of the store at path (a fresh logon). */
static HRESULT save_in_inbox(const char *path, const char *subject)
{
	LPMDB mdb;
	ULONG cb, type;
	LPENTRYID eid;
	LPMAPIFOLDER inbox;
	LPMESSAGE msg;
	HRESULT hr = MAPIXOpenLocalStore(path, MDB_WRITE, &mdb);
	if (FAILED(hr))
		return hr;
	hr = mdb->lpVtbl->GetReceiveFolder(mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL);
	if (SUCCEEDED(hr)) {
		hr = mdb->lpVtbl->OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&inbox);
		MAPIFreeBuffer(eid);
	}
	if (SUCCEEDED(hr)) {
		hr = inbox->lpVtbl->CreateMessage(inbox, NULL, 0, &msg);
		if (SUCCEEDED(hr)) {
			SPropValue p[2] = {{.ulPropTag = PR_SUBJECT_A, .Value.lpszA = (LPSTR)subject},
			                   {.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Note.Test"}};
			hr = msg->lpVtbl->SetProps(msg, 2, p, NULL);
			if (SUCCEEDED(hr))
				hr = msg->lpVtbl->SaveChanges(msg, 0);
			msg->lpVtbl->Release(msg);
		}
		inbox->lpVtbl->Release(inbox);
	}
	mdb->lpVtbl->Release(mdb);
	return hr;
}

static void test_in_process_and_cross_process(void **state)
{
	(void)state;
	char *dir = mapix_test_tmpdir("notify");
	char path[4096];
	snprintf(path, sizeof path, "%s/box.mapix", dir);
	assert_int_equal(MAPIInitialize(NULL), S_OK);

	LPMDB mdb;
	assert_int_equal(MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb), S_OK);
	seen s = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	LPMAPIADVISESINK sink;
	ULONG_PTR conn;
	assert_int_equal(HrAllocAdviseSink(on_notify, &s, &sink), S_OK);
	assert_int_equal(mdb->lpVtbl->Advise(mdb, 0, NULL, fnevObjectCreated | fnevNewMail, sink, &conn), S_OK);

	/* This process. */
	assert_int_equal(save_in_inbox(path, "from this process"), S_OK);
	assert_int_equal(wait_created(&s, 1), 1);

	/* Another process: this program again (fork + exec: after fork, a
	 * child of a process with MAPI threads must exec, as with any threaded
	 * library), opening the file on its own. */
	pid_t pid = fork();
	if (pid == 0) {
		execl(self_path, self_path, "--save-in-inbox", path, (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(wait_events(&s, 2, 1), 2);
	pthread_mutex_lock(&s.lock);
	assert_int_equal(s.new_mail, 2);
	assert_string_equal(s.last_class, "IPM.Note.Test");
	pthread_mutex_unlock(&s.lock);

	assert_int_equal(mdb->lpVtbl->Unadvise(mdb, conn), S_OK);
	sink->lpVtbl->Release(sink);
	mdb->lpVtbl->Release(mdb);
	MAPIUninitialize();
	mapix_test_rmtree(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--save-in-inbox") == 0) {
		MAPIInitialize(NULL);
		HRESULT hr = save_in_inbox(argv[2], "from another process");
		MAPIUninitialize();
		return hr == S_OK ? 0 : 1;
	}
	self_path = argv[0];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_process_and_cross_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
