/*
 * test_memory.c — the MAPI allocator (memory.c): parent/child lifetime,
 * refusal of child, foreign, interior and double frees, size limits,
 * instance accounting, many threads at once; also the default IMalloc
 * (malloc_iface.c) and the MAPIERROR / code names of error.c, which are
 * built on the allocator.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>

#include "core/error.h"
#include "core/memory.h"
#include "testutil.h"

/* ---- basics ---------------------------------------------------------------- */

static void test_alloc_free_alignment(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	static const ULONG sizes[] = {0, 1, 7, 15, 16, 17, 100, 4096, 100000};
	LPVOID p[sizeof sizes / sizeof sizes[0]];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(MAPIAllocateBuffer(sizes[i], &p[i]), S_OK);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], 0xA5, sizes[i]); /* the whole size is usable */
		assert_true(mapix_memory_is_live(p[i]));
	}
	assert_int_equal(mapix_memory_live_blocks(), base + sizeof sizes / sizeof sizes[0]);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		assert_int_equal(MAPIFreeBuffer(p[i]), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
	assert_int_equal(MAPIFreeBuffer(NULL), 0);
}

static void test_zero_size_blocks_are_distinct(void **state)
{
	(void)state;
	LPVOID a, b, c;
	assert_int_equal(MAPIAllocateBuffer(0, &a), S_OK);
	assert_int_equal(MAPIAllocateBuffer(0, &b), S_OK);
	assert_ptr_not_equal(a, b);
	assert_int_equal(MAPIAllocateMore(0, a, &c), S_OK);
	assert_ptr_not_equal(c, a);
	assert_int_equal(MAPIFreeBuffer(a), 0);
	assert_int_equal(MAPIFreeBuffer(b), 0);
}

static void test_null_out_pointer(void **state)
{
	(void)state;
	LPVOID root;
	assert_int_equal(MAPIAllocateBuffer(8, NULL), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIAllocateBuffer(8, &root), S_OK);
	assert_int_equal(MAPIAllocateMore(8, root, NULL), MAPI_E_INVALID_PARAMETER);
	LPVOID q = (LPVOID)1;
	assert_int_equal(MAPIAllocateMore(8, NULL, &q), MAPI_E_INVALID_PARAMETER);
	assert_null(q);
	assert_int_equal(MAPIFreeBuffer(root), 0);
}

static void test_huge_sizes_fail_cleanly(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	static const ULONG sizes[] = {0xFFFFFFFFu, 0xFFFFFFFFu - 16, 0xFFFFFFFFu - 64, 0x80000000u};
	LPVOID root;
	assert_int_equal(MAPIAllocateBuffer(16, &root), S_OK);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		LPVOID p = (LPVOID)1;
		mapix_error_clear();
		assert_int_equal(MAPIAllocateBuffer(sizes[i], &p), MAPI_E_NOT_ENOUGH_MEMORY);
		assert_null(p);
		assert_int_equal(MAPIXGetLastErrorCode(), MAPI_E_NOT_ENOUGH_MEMORY);
		assert_non_null(strstr(MAPIXGetLastErrorText(), "MAPIAllocateBuffer"));
		p = (LPVOID)1;
		assert_int_equal(MAPIAllocateMore(sizes[i], root, &p), MAPI_E_NOT_ENOUGH_MEMORY);
		assert_null(p);
	}
	assert_int_equal(MAPIFreeBuffer(root), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* ---- parents and children ------------------------------------------------------ */

static void test_children_freed_with_root(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	LPVOID root, kids[50];
	assert_int_equal(MAPIAllocateBuffer(32, &root), S_OK);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(MAPIAllocateMore((ULONG)(i * 3), root, &kids[i]), S_OK);
		assert_int_equal((uintptr_t)kids[i] % 16, 0);
		memset(kids[i], i, (size_t)i * 3);
	}
	/* a child of a child hangs on the root */
	LPVOID grandchild, great;
	assert_int_equal(MAPIAllocateMore(64, kids[10], &grandchild), S_OK);
	assert_int_equal(MAPIAllocateMore(64, grandchild, &great), S_OK);
	assert_int_equal(mapix_memory_live_blocks(), base + 53);
	for (int i = 0; i < 50; i++)
		for (int k = 0; k < i * 3; k++)
			assert_int_equal(((unsigned char *)kids[i])[k], (unsigned char)i);
	assert_int_equal(MAPIFreeBuffer(root), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
	assert_false(mapix_memory_is_live(kids[0]));
	assert_false(mapix_memory_is_live(great));
}

static void test_free_child_refused(void **state)
{
	(void)state;
	LPVOID root, child, grandchild;
	assert_int_equal(MAPIAllocateBuffer(16, &root), S_OK);
	assert_int_equal(MAPIAllocateMore(16, root, &child), S_OK);
	assert_int_equal(MAPIAllocateMore(16, child, &grandchild), S_OK);
	strcpy(child, "still here");
	mapix_error_clear();
	assert_int_equal(MAPIFreeBuffer(child), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIXGetLastErrorCode(), MAPI_E_INVALID_PARAMETER);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "MAPIAllocateMore"));
	assert_int_equal(MAPIFreeBuffer(grandchild), (ULONG)MAPI_E_INVALID_PARAMETER);
	/* nothing was harmed */
	assert_string_equal(child, "still here");
	assert_true(mapix_memory_is_live(child));
	assert_int_equal(MAPIFreeBuffer(root), 0);
}

static void test_foreign_and_double_free_refused(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	char on_stack[64];
	void *from_malloc = malloc(64);
	LPVOID root;
	assert_int_equal(MAPIAllocateBuffer(64, &root), S_OK);

	assert_int_equal(MAPIFreeBuffer(on_stack), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIFreeBuffer(from_malloc), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIFreeBuffer((char *)root + 8), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIFreeBuffer((char *)root - 16), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIFreeBuffer((LPVOID)(uintptr_t)0x10), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "not a live block"));

	LPVOID p = (LPVOID)1;
	assert_int_equal(MAPIAllocateMore(8, on_stack, &p), MAPI_E_INVALID_PARAMETER);
	assert_null(p);
	assert_int_equal(MAPIAllocateMore(8, from_malloc, &p), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIAllocateMore(8, (char *)root + 16, &p), MAPI_E_INVALID_PARAMETER);

	assert_int_equal(MAPIFreeBuffer(root), 0);
	assert_int_equal(MAPIFreeBuffer(root), (ULONG)MAPI_E_INVALID_PARAMETER);
	assert_int_equal(MAPIAllocateMore(8, root, &p), MAPI_E_INVALID_PARAMETER);
	assert_null(p);
	free(from_malloc);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

static void test_injected_failure(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	LPVOID a, b, c;
	mapix_memory_fail_after(2);
	assert_int_equal(MAPIAllocateBuffer(8, &a), S_OK);
	assert_int_equal(MAPIAllocateMore(8, a, &b), MAPI_E_NOT_ENOUGH_MEMORY);
	assert_null(b);
	assert_int_equal(MAPIAllocateMore(8, a, &c), S_OK);
	mapix_memory_fail_after(0);
	assert_int_equal(MAPIFreeBuffer(a), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* ---- instances -------------------------------------------------------------------- */

/* Stand-ins for the subsystem's instance: the hooks only need an account
 * and something to report. */
struct mapix_instance {
	mapix_memory_account acct;
	atomic_int released;
};

static _Thread_local mapix_instance *thread_instance;

static mapix_memory_account *current_account(void)
{
	return thread_instance ? &thread_instance->acct : NULL;
}

static void instance_released(mapix_instance *inst)
{
	atomic_fetch_add(&inst->released, 1);
}

static void *free_on_other_thread(void *p)
{
	return (void *)(uintptr_t)MAPIFreeBuffer(p);
}

static void test_instance_accounting(void **state)
{
	(void)state;
	mapix_instance a = {.released = 0}, b = {.released = 0};
	mapix_memory_account_init(&a.acct, &a);
	mapix_memory_account_init(&b.acct, &b);
	mapix_memory_set_instance_hooks(current_account, instance_released);

	LPVOID none, pa1, pa2, child, pb;
	assert_int_equal(MAPIAllocateBuffer(8, &none), S_OK);
	thread_instance = &a;
	assert_int_equal(MAPIAllocateBuffer(8, &pa1), S_OK);
	assert_int_equal(MAPIAllocateBuffer(8, &pa2), S_OK);
	thread_instance = &b;
	assert_int_equal(MAPIAllocateBuffer(8, &pb), S_OK);
	/* the child is made under b but belongs to a's root */
	assert_int_equal(MAPIAllocateMore(8, pa1, &child), S_OK);
	thread_instance = NULL;

	assert_null(mapix_memory_block_instance(none));
	assert_ptr_equal(mapix_memory_block_instance(pa1), &a);
	assert_ptr_equal(mapix_memory_block_instance(child), &a);
	assert_ptr_equal(mapix_memory_block_instance(pb), &b);
	assert_null(mapix_memory_block_instance((char *)pa1 + 1));
	assert_int_equal(mapix_memory_account_refs(&a.acct), 3); /* owner + two roots */
	assert_int_equal(mapix_memory_account_refs(&b.acct), 2);

	/* The owner lets go first: a lives on while its blocks do, and the last
	 * free — here from another thread — releases it exactly once. */
	mapix_memory_account_release(&a.acct);
	assert_int_equal(atomic_load(&a.released), 0);
	assert_int_equal(MAPIFreeBuffer(pa1), 0);
	assert_int_equal(atomic_load(&a.released), 0);
	pthread_t t;
	void *rc;
	assert_int_equal(pthread_create(&t, NULL, free_on_other_thread, pa2), 0);
	pthread_join(t, &rc);
	assert_int_equal((uintptr_t)rc, 0);
	assert_int_equal(atomic_load(&a.released), 1);

	/* Blocks go first, then the owner. */
	assert_int_equal(MAPIFreeBuffer(pb), 0);
	assert_int_equal(atomic_load(&b.released), 0);
	mapix_memory_account_hold(&b.acct);
	mapix_memory_account_release(&b.acct);
	assert_int_equal(atomic_load(&b.released), 0);
	mapix_memory_account_release(&b.acct);
	assert_int_equal(atomic_load(&b.released), 1);

	assert_int_equal(MAPIFreeBuffer(none), 0);
	mapix_memory_set_instance_hooks(NULL, NULL);
}

/* ---- threads ------------------------------------------------------------------------ */

#define THREADS 8

static unsigned iterations(void)
{
	return 2000 * mapix_test_stress();
}

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	LPVOID keep[16] = {0};
	for (unsigned i = 0; i < iterations(); i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned slot = (seed >> 16) % 16;
		if (keep[slot]) {
			if (MAPIFreeBuffer(keep[slot]) != 0)
				return (void *)1;
			keep[slot] = NULL;
			continue;
		}
		LPVOID root, kid = NULL;
		if (MAPIAllocateBuffer((seed >> 8) % 200, &root) != S_OK)
			return (void *)2;
		memset(root, (int)slot, (seed >> 8) % 200);
		for (unsigned k = 0; k < (seed >> 20) % 4; k++) {
			if (MAPIAllocateMore(24, k ? kid : root, &kid) != S_OK)
				return (void *)3;
			memset(kid, 1, 24);
		}
		keep[slot] = root;
	}
	for (int s = 0; s < 16; s++)
		if (keep[s] && MAPIFreeBuffer(keep[s]) != 0)
			return (void *)4;
	return NULL;
}

static void test_many_threads_allocate_and_free(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	pthread_t t[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)(i + 1)), 0);
	for (int i = 0; i < THREADS; i++) {
		void *rc;
		pthread_join(t[i], &rc);
		assert_null(rc);
	}
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* Several threads hang children on one shared root, then race to free it
 * twice each: exactly one free may win. */
static LPVOID shared_root;
static atomic_int frees_won;
static pthread_barrier_t barrier;

static void *hang_children_then_free(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 200 * mapix_test_stress(); i++) {
		LPVOID kid;
		if (MAPIAllocateMore(16, shared_root, &kid) != S_OK)
			return (void *)1;
		memset(kid, 7, 16);
	}
	pthread_barrier_wait(&barrier);
	for (int k = 0; k < 2; k++)
		if (MAPIFreeBuffer(shared_root) == 0)
			atomic_fetch_add(&frees_won, 1);
	return NULL;
}

static void test_shared_root_and_racing_frees(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	assert_int_equal(MAPIAllocateBuffer(8, &shared_root), S_OK);
	atomic_store(&frees_won, 0);
	pthread_barrier_init(&barrier, NULL, THREADS);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hang_children_then_free, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *rc;
		pthread_join(t[i], &rc);
		assert_null(rc);
	}
	pthread_barrier_destroy(&barrier);
	assert_int_equal(atomic_load(&frees_won), 1);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

/* ---- the default IMalloc ----------------------------------------------------------------- */

static void test_default_malloc(void **state)
{
	(void)state;
	LPMALLOC m = MAPIGetDefaultMalloc();
	assert_non_null(m);
	assert_ptr_equal(m, MAPIGetDefaultMalloc());
	assert_int_equal(IMalloc_AddRef(m), 1);
	assert_int_equal(IMalloc_Release(m), 1);

	LPVOID q = NULL;
	assert_int_equal(IMalloc_QueryInterface(m, &IID_IMalloc, &q), S_OK);
	assert_ptr_equal(q, m);
	assert_int_equal(IMalloc_QueryInterface(m, &IID_IUnknown, &q), S_OK);
	assert_int_equal(IMalloc_QueryInterface(m, &IID_IStream, &q), MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_null(q);

	char *p = IMalloc_Alloc(m, 10);
	assert_non_null(p);
	memcpy(p, "abcdefghi", 10);
	assert_true(IMalloc_GetSize(m, p) >= 10);
	assert_int_equal(IMalloc_DidAlloc(m, p), -1);
	p = IMalloc_Realloc(m, p, 1000);
	assert_non_null(p);
	assert_string_equal(p, "abcdefghi");
	assert_true(IMalloc_GetSize(m, p) >= 1000);
	assert_null(IMalloc_Realloc(m, p, 0)); /* frees */
	p = IMalloc_Realloc(m, NULL, 5);      /* allocates */
	assert_non_null(p);
	IMalloc_Free(m, p);
	IMalloc_Free(m, NULL);
	assert_int_equal(IMalloc_GetSize(m, NULL), (size_t)-1);
	IMalloc_HeapMinimize(m);
	/* not MAPI memory: the MAPI allocator refuses it */
	p = IMalloc_Alloc(m, 4);
	assert_int_equal(MAPIFreeBuffer(p), (ULONG)MAPI_E_INVALID_PARAMETER);
	IMalloc_Free(m, p);
}

/* ---- MAPIERROR and code names --------------------------------------------------------------- */

static void test_mapierror_ansi_uses_last_error(void **state)
{
	(void)state;
	size_t base = mapix_memory_live_blocks();
	mapix_error(MAPI_E_NOT_FOUND, "OpenEntry: no such message");
	LPMAPIERROR err = NULL;
	assert_int_equal(mapix_error_to_mapierror(MAPI_E_NOT_FOUND, 0, "mapix-local", &err), S_OK);
	assert_non_null(err);
	assert_int_equal(err->ulVersion, MAPI_ERROR_VERSION);
	assert_string_equal((char *)err->lpszError, "OpenEntry: no such message");
	assert_string_equal((char *)err->lpszComponent, "mapix-local");
	assert_int_equal(MAPIFreeBuffer(err), 0);
	assert_int_equal(mapix_memory_live_blocks(), base);

	/* a different code gets the generic text */
	assert_int_equal(mapix_error_to_mapierror(MAPI_E_TABLE_TOO_BIG, 0, NULL, &err), S_OK);
	assert_non_null(strstr((char *)err->lpszError, "MAPI_E_TABLE_TOO_BIG"));
	assert_string_equal((char *)err->lpszComponent, "mapix");
	assert_int_equal(MAPIFreeBuffer(err), 0);

	assert_int_equal(mapix_error_to_mapierror((HRESULT)0x80041234, 0, NULL, &err), S_OK);
	assert_non_null(strstr((char *)err->lpszError, "0x80041234"));
	assert_int_equal(MAPIFreeBuffer(err), 0);
}

static void test_mapierror_unicode(void **state)
{
	(void)state;
	/* UTF-8 in: 2-, 3- and 4-byte sequences and one invalid byte */
	mapix_error(MAPI_E_COLLISION, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xFF!");
	LPMAPIERROR err = NULL;
	assert_int_equal(mapix_error_to_mapierror(MAPI_E_COLLISION, MAPI_UNICODE, "st\xC3\xB6re", &err), S_OK);
	static const WCHAR want[] = u"caf\u00e9 \u20ac \U0001F600 \uFFFD!";
	assert_memory_equal(err->lpszError, want, sizeof want);
	static const WCHAR comp[] = u"st\u00f6re";
	assert_memory_equal(err->lpszComponent, comp, sizeof comp);
	assert_int_equal(MAPIFreeBuffer(err), 0);
}

static void test_mapierror_bad_arguments(void **state)
{
	(void)state;
	LPMAPIERROR err = (LPMAPIERROR)1;
	assert_int_equal(mapix_error_to_mapierror(E_FAIL, 0x1, NULL, &err), MAPI_E_UNKNOWN_FLAGS);
	assert_null(err);
	assert_int_equal(mapix_error_to_mapierror(E_FAIL, 0, NULL, NULL), MAPI_E_INVALID_PARAMETER);
	/* an allocation failure is reported, nothing leaks */
	size_t base = mapix_memory_live_blocks();
	mapix_memory_fail_after(2);
	assert_int_equal(mapix_error_to_mapierror(E_FAIL, 0, NULL, &err), MAPI_E_NOT_ENOUGH_MEMORY);
	mapix_memory_fail_after(0);
	assert_null(err);
	assert_int_equal(mapix_memory_live_blocks(), base);
}

#define NAMED(sym) {(HRESULT)(sym), #sym}
static const struct {
	HRESULT code;
	const char *name;
} named_codes[] = {
	NAMED(S_OK), NAMED(S_FALSE), NAMED(E_UNEXPECTED), NAMED(E_NOTIMPL), NAMED(E_POINTER), NAMED(E_ABORT),
	NAMED(E_HANDLE), NAMED(STG_E_INVALIDFUNCTION), NAMED(STG_E_FILENOTFOUND), NAMED(STG_E_ACCESSDENIED),
	NAMED(STG_E_INSUFFICIENTMEMORY), NAMED(STG_E_INVALIDPOINTER), NAMED(STG_E_SEEKERROR),
	NAMED(STG_E_WRITEFAULT), NAMED(STG_E_READFAULT), NAMED(STG_E_INVALIDPARAMETER), NAMED(STG_E_MEDIUMFULL),
	NAMED(STG_E_INVALIDFLAG), NAMED(STG_E_REVERTED), NAMED(STG_E_CANTSAVE), NAMED(MAPI_E_CALL_FAILED),
	NAMED(MAPI_E_NOT_ENOUGH_MEMORY), NAMED(MAPI_E_INVALID_PARAMETER), NAMED(MAPI_E_INTERFACE_NOT_SUPPORTED),
	NAMED(MAPI_E_NO_ACCESS), NAMED(MAPI_E_NO_SUPPORT), NAMED(MAPI_E_BAD_CHARWIDTH), NAMED(MAPI_E_STRING_TOO_LONG),
	NAMED(MAPI_E_UNKNOWN_FLAGS), NAMED(MAPI_E_INVALID_ENTRYID), NAMED(MAPI_E_INVALID_OBJECT),
	NAMED(MAPI_E_OBJECT_CHANGED), NAMED(MAPI_E_OBJECT_DELETED), NAMED(MAPI_E_BUSY), NAMED(MAPI_E_NOT_ENOUGH_DISK),
	NAMED(MAPI_E_NOT_ENOUGH_RESOURCES), NAMED(MAPI_E_NOT_FOUND), NAMED(MAPI_E_VERSION), NAMED(MAPI_E_LOGON_FAILED),
	NAMED(MAPI_E_SESSION_LIMIT), NAMED(MAPI_E_USER_CANCEL), NAMED(MAPI_E_UNABLE_TO_ABORT),
	NAMED(MAPI_E_NETWORK_ERROR), NAMED(MAPI_E_DISK_ERROR), NAMED(MAPI_E_TOO_COMPLEX), NAMED(MAPI_E_BAD_COLUMN),
	NAMED(MAPI_E_EXTENDED_ERROR), NAMED(MAPI_E_COMPUTED), NAMED(MAPI_E_CORRUPT_DATA), NAMED(MAPI_E_UNCONFIGURED),
	NAMED(MAPI_E_FAILONEPROVIDER), NAMED(MAPI_E_UNKNOWN_CPID), NAMED(MAPI_E_UNKNOWN_LCID),
	NAMED(MAPI_E_PASSWORD_CHANGE_REQUIRED), NAMED(MAPI_E_PASSWORD_EXPIRED),
	NAMED(MAPI_E_INVALID_WORKSTATION_ACCOUNT), NAMED(MAPI_E_INVALID_ACCESS_TIME), NAMED(MAPI_E_ACCOUNT_DISABLED),
	NAMED(MAPI_E_RECONNECTED), NAMED(MAPI_E_OFFLINE), NAMED(MAPI_E_END_OF_SESSION), NAMED(MAPI_E_UNKNOWN_ENTRYID),
	NAMED(MAPI_E_MISSING_REQUIRED_COLUMN), NAMED(MAPI_W_NO_SERVICE), NAMED(MAPI_E_PROFILE_DELETED),
	NAMED(MAPI_E_BAD_VALUE), NAMED(MAPI_E_INVALID_TYPE), NAMED(MAPI_E_TYPE_NO_SUPPORT),
	NAMED(MAPI_E_UNEXPECTED_TYPE), NAMED(MAPI_E_TOO_BIG), NAMED(MAPI_E_DECLINE_COPY), NAMED(MAPI_E_UNEXPECTED_ID),
	NAMED(MAPI_W_ERRORS_RETURNED), NAMED(MAPI_E_UNABLE_TO_COMPLETE), NAMED(MAPI_E_TIMEOUT),
	NAMED(MAPI_E_TABLE_EMPTY), NAMED(MAPI_E_TABLE_TOO_BIG), NAMED(MAPI_E_INVALID_BOOKMARK),
	NAMED(MAPI_W_POSITION_CHANGED), NAMED(MAPI_W_APPROX_COUNT), NAMED(MAPI_E_WAIT), NAMED(MAPI_E_CANCEL),
	NAMED(MAPI_E_NOT_ME), NAMED(MAPI_W_CANCEL_MESSAGE), NAMED(MAPI_E_CORRUPT_STORE), NAMED(MAPI_E_NOT_IN_QUEUE),
	NAMED(MAPI_E_NO_SUPPRESS), NAMED(MAPI_E_COLLISION), NAMED(MAPI_E_NOT_INITIALIZED), NAMED(MAPI_E_NON_STANDARD),
	NAMED(MAPI_E_NO_RECIPIENTS), NAMED(MAPI_E_SUBMITTED), NAMED(MAPI_E_HAS_FOLDERS), NAMED(MAPI_E_HAS_MESSAGES),
	NAMED(MAPI_E_FOLDER_CYCLE), NAMED(MAPI_E_STORE_FULL), NAMED(MAPI_E_LOCKID_LIMIT),
	NAMED(MAPI_W_PARTIAL_COMPLETION), NAMED(MAPI_E_AMBIGUOUS_RECIP), NAMED(MAPI_E_NAMED_PROP_QUOTA_EXCEEDED),
};
/* COM names whose value has a MAPI name: the MAPI name is reported. */
static const struct {
	const char *com, *mapi;
} aliases[] = {
	{"E_FAIL", "MAPI_E_CALL_FAILED"},         {"E_OUTOFMEMORY", "MAPI_E_NOT_ENOUGH_MEMORY"},
	{"E_INVALIDARG", "MAPI_E_INVALID_PARAMETER"}, {"E_NOINTERFACE", "MAPI_E_INTERFACE_NOT_SUPPORTED"},
	{"E_ACCESSDENIED", "MAPI_E_NO_ACCESS"},
};

static void test_error_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof named_codes / sizeof named_codes[0]; i++)
		assert_string_equal(mapix_error_name(named_codes[i].code), named_codes[i].name);
	assert_string_equal(mapix_error_name(E_FAIL), "MAPI_E_CALL_FAILED");
	assert_string_equal(mapix_error_name(E_OUTOFMEMORY), "MAPI_E_NOT_ENOUGH_MEMORY");
	assert_string_equal(mapix_error_name((HRESULT)0x80040FFF), "0x80040FFF");
	assert_string_equal(mapix_error_name((HRESULT)0x00000002), "0x00000002");
}

/* Every code that mapicode.h #defines is in the list above (or is an
 * alias), so a code added to the header without a name fails here. */
static void test_error_names_cover_mapicode_h(void **state)
{
	(void)state;
	char *path = mapix_test_source_path("include/mapix/mapicode.h");
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		MAPIX_SKIP("mapicode.h not found (MAPIX_SOURCE_DIR unset)");
	char line[512];
	int checked = 0;
	while (fgets(line, sizeof line, f)) {
		char name[128];
		if (sscanf(line, "#define %127[A-Z0-9_]", name) != 1)
			continue;
		if (strncmp(name, "MAPI_E_", 7) && strncmp(name, "MAPI_W_", 7) && strncmp(name, "E_", 2) &&
		    strncmp(name, "STG_E_", 6))
			continue;
		int found = 0;
		for (size_t i = 0; !found && i < sizeof named_codes / sizeof named_codes[0]; i++)
			found = strcmp(named_codes[i].name, name) == 0;
		for (size_t i = 0; !found && i < sizeof aliases / sizeof aliases[0]; i++)
			found = strcmp(aliases[i].com, name) == 0;
		if (!found)
			fail_msg("%s from mapicode.h has no name in mapix_error_name", name);
		checked++;
	}
	fclose(f);
	assert_true(checked > 90);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_free_alignment),
		cmocka_unit_test(test_zero_size_blocks_are_distinct),
		cmocka_unit_test(test_null_out_pointer),
		cmocka_unit_test(test_huge_sizes_fail_cleanly),
		cmocka_unit_test(test_children_freed_with_root),
		cmocka_unit_test(test_free_child_refused),
		cmocka_unit_test(test_foreign_and_double_free_refused),
		cmocka_unit_test(test_injected_failure),
		cmocka_unit_test(test_instance_accounting),
		cmocka_unit_test(test_many_threads_allocate_and_free),
		cmocka_unit_test(test_shared_root_and_racing_frees),
		cmocka_unit_test(test_default_malloc),
		cmocka_unit_test(test_mapierror_ansi_uses_last_error),
		cmocka_unit_test(test_mapierror_unicode),
		cmocka_unit_test(test_mapierror_bad_arguments),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_error_names_cover_mapicode_h),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
