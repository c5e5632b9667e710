/*
 * test_instance.c — security contexts and per-context instances:
 * MAPIInitialize/MAPIUninitialize counting, instances that outlive their
 * last MAPIUninitialize while memory is alive, explicit profile
 * directories, and (as root) per-thread impersonation: two threads as two
 * users get two instances, a block made as one user is freed safely by
 * another, and calls across contexts are refused.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mapix/mapix.h>

#include "core/memory.h"
#include "subsystem/instance.h"
#include "testutil.h"

static void test_init_counts(void **state)
{
	(void)state;
	assert_null(mapix_instance_current(FALSE));
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	MAPIINIT_0 init = {MAPI_INIT_VERSION, MAPI_MULTITHREAD_NOTIFICATIONS | MAPI_NT_SERVICE};
	assert_int_equal(MAPIInitialize(&init), S_OK);
	mapix_instance *inst = mapix_instance_current(FALSE);
	assert_non_null(inst);
	assert_int_equal(atomic_load(&inst->init_count), 2);
	MAPIUninitialize();
	assert_non_null(mapix_instance_current(FALSE));
	MAPIUninitialize();
	assert_null(mapix_instance_current(FALSE));
	/* An extra MAPIUninitialize is harmless, as on Windows. */
	MAPIUninitialize();
	assert_null(mapix_instance_current(FALSE));
}

static void test_bad_init(void **state)
{
	(void)state;
	MAPIINIT_0 bad_version = {7, 0};
	assert_int_equal(MAPIInitialize(&bad_version), MAPI_E_VERSION);
	MAPIINIT_0 bad_flags = {MAPI_INIT_VERSION, 0x40000000};
	assert_int_equal(MAPIInitialize(&bad_flags), MAPI_E_UNKNOWN_FLAGS);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "unknown flags"));
	assert_null(mapix_instance_current(FALSE));
}

static void test_instance_outlives_uninit(void **state)
{
	(void)state;
	LPVOID block = NULL;
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	mapix_instance *inst = mapix_instance_current(FALSE);
	assert_int_equal(MAPIAllocateBuffer(32, &block), S_OK);
	assert_ptr_equal(mapix_memory_block_instance(block), inst);
	size_t refs = mapix_memory_account_refs(&inst->account);
	MAPIUninitialize();
	/* The block keeps the instance's data alive... */
	assert_int_equal(mapix_memory_account_refs(&inst->account), refs - 1);
	assert_non_null(inst->profile_dir);
	/* ...until it is freed. */
	assert_int_equal(MAPIFreeBuffer(block), S_OK);
	assert_int_equal(mapix_memory_account_refs(&inst->account), 0);
	assert_null(inst->profile_dir);
	/* Re-initializing reuses the same slot (no growth over cycles). */
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	assert_ptr_equal(mapix_instance_current(FALSE), inst);
	MAPIUninitialize();
}

static void test_explicit_profile_dir(void **state)
{
	(void)state;
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, "/tmp/mapix-explicit-profiles"};
	assert_int_equal(MAPIInitialize(&init), S_OK);
	assert_string_equal(MAPIXGetProfileDirectory(), "/tmp/mapix-explicit-profiles");
	/* A second initialization may not change the directory under the first. */
	MAPIXINIT other = {MAPIX_INIT_VERSION, 0, "/tmp/elsewhere"};
	assert_int_equal(MAPIInitialize(&other), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	assert_string_equal(MAPIXGetProfileDirectory(), "/tmp/mapix-explicit-profiles");
	MAPIUninitialize();
	MAPIUninitialize();
	assert_null(MAPIXGetProfileDirectory());
	/* The default directory comes from the user database. */
	assert_int_equal(MAPIInitialize(NULL), S_OK);
	assert_non_null(strstr(MAPIXGetProfileDirectory(), "profiles"));
	MAPIUninitialize();
}

/* ---- real identities (root only) ---------------------------------------------------- */

struct user_thread {
	uid_t uid;
	mapix_instance *inst;
	char profile_dir[512];
	LPVOID block;
	char status_uid[300];
	HRESULT hr;
	pthread_barrier_t *barrier;
};

static void read_status_uid(char *out, size_t cap)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	FILE *f = fopen(path, "r");
	out[0] = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Uid:", 4) == 0) {
			snprintf(out, cap, "%s", line);
			break;
		}
	if (f)
		fclose(f);
}

static void *user_thread_main(void *arg)
{
	struct user_thread *t = arg;
	t->hr = MAPIXImpersonateUser(t->uid);
	if (SUCCEEDED(t->hr))
		t->hr = MAPIInitialize(NULL);
	if (SUCCEEDED(t->hr)) {
		t->inst = mapix_instance_current(FALSE);
		snprintf(t->profile_dir, sizeof t->profile_dir, "%s", MAPIXGetProfileDirectory());
		t->hr = MAPIAllocateBuffer(64, &t->block);
		read_status_uid(t->status_uid, sizeof t->status_uid);
	}
	/* Both threads are impersonating at the same time here. */
	pthread_barrier_wait(t->barrier);
	MAPIUninitialize();
	HRESULT back = MAPIXRevertToSelf();
	if (SUCCEEDED(t->hr))
		t->hr = back;
	return NULL;
}

static void test_two_users_two_threads(void **state)
{
	(void)state;
	if (geteuid() != 0)
		MAPIX_SKIP("per-thread impersonation needs root");
	pthread_barrier_t barrier;
	pthread_barrier_init(&barrier, NULL, 2);
	struct user_thread a = {.uid = 1 /* daemon */, .barrier = &barrier};
	struct user_thread b = {.uid = 65534 /* nobody */, .barrier = &barrier};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, user_thread_main, &a);
	pthread_create(&tb, NULL, user_thread_main, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&barrier);
	assert_int_equal(a.hr, S_OK);
	assert_int_equal(b.hr, S_OK);
	assert_ptr_not_equal(a.inst, b.inst);
	assert_int_equal(a.inst->ctx.euid, 1);
	assert_int_equal(b.inst->ctx.euid, 65534);
	assert_string_not_equal(a.profile_dir, b.profile_dir);
	/* Each thread's kernel credentials were its own (real uid stays 0). */
	assert_non_null(strstr(a.status_uid, "\t1\t"));
	assert_non_null(strstr(b.status_uid, "\t65534\t"));
	/* This thread never changed. */
	assert_int_equal(geteuid(), 0);
	/* Blocks made as daemon and nobody are freed here, as root: each goes
	 * back to its own instance, which then releases its data. */
	assert_ptr_equal(mapix_memory_block_instance(a.block), a.inst);
	assert_ptr_equal(mapix_memory_block_instance(b.block), b.inst);
	assert_int_equal(MAPIFreeBuffer(a.block), S_OK);
	assert_int_equal(MAPIFreeBuffer(b.block), S_OK);
	assert_int_equal(mapix_memory_account_refs(&a.inst->account), 0);
	assert_int_equal(mapix_memory_account_refs(&b.inst->account), 0);
	/* A call from root on daemon's instance is refused. */
	assert_int_equal(mapix_instance_check_caller(a.inst, "test"), MAPI_E_NO_ACCESS);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "not shared across security contexts"));
}

static void test_impersonation_needs_root(void **state)
{
	(void)state;
	if (geteuid() == 0)
		MAPIX_SKIP("checks the refusal of an unprivileged process");
	assert_int_equal(MAPIXImpersonateUser(65534), MAPI_E_NO_ACCESS);
	/* Reverting to oneself needs no privilege. */
	assert_int_equal(MAPIXRevertToSelf(), S_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_counts),
		cmocka_unit_test(test_bad_init),
		cmocka_unit_test(test_instance_outlives_uninit),
		cmocka_unit_test(test_explicit_profile_dir),
		cmocka_unit_test(test_two_users_two_threads),
		cmocka_unit_test(test_impersonation_needs_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
