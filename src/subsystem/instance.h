/*
 * instance.h — security contexts and per-context instance data.
 *
 * A security context is the calling thread's effective uid, effective gid
 * and supplementary group set (compared as a set). On Linux these are per
 * thread: the raw setresuid/setresgid/setgroups syscalls change only the
 * calling thread (glibc's wrappers change every thread of the process).
 *
 * Each context that called MAPIInitialize has one instance: its allocator
 * account, its sessions, its notification engine and its profile
 * directory. MAPIInitialize/MAPIUninitialize count references per instance;
 * an instance lives until its last MAPIUninitialize AND its last object and
 * memory block are gone, so releasing an object from any thread, under any
 * identity, reaches the instance that made it.
 */
#ifndef MAPIX_SUBSYSTEM_INSTANCE_H
#define MAPIX_SUBSYSTEM_INSTANCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <mapix/mapix.h>

#include "core/memory.h"

#define MAPIX_MAX_GROUPS 256

typedef struct mapix_context {
	uid_t euid;
	gid_t egid;
	int ngroups;
	gid_t groups[MAPIX_MAX_GROUPS]; /* sorted, duplicates removed */
} mapix_context;

struct mapix_instance {
	mapix_memory_account account;   /* owner refs (inits + objects) + live root blocks */
	mapix_context ctx;
	atomic_int init_count;          /* MAPIInitialize calls not yet undone */
	ULONG init_flags;               /* MAPIINIT_0 flags of the first MAPIInitialize */
	char *profile_dir;              /* where this context's profiles live */
	struct mapix_notify_engine *notify; /* created on first Advise (notify.c) */
	pthread_mutex_t lock;
	struct mapix_instance *next;    /* registry list */
};

/* Reads the calling thread's security context. */
HRESULT mapix_context_current(mapix_context *ctx);
BOOL mapix_context_equal(const mapix_context *a, const mapix_context *b);

/* The calling thread's instance (refreshing the thread's cached context),
 * or NULL when this context has not called MAPIInitialize; with a
 * reference held when `hold` is TRUE. */
mapix_instance *mapix_instance_current(BOOL hold);
/* Holds/releases an owner reference (objects hold one each). */
void mapix_instance_hold(mapix_instance *inst);
void mapix_instance_release(mapix_instance *inst);

/* MAPI_E_NO_ACCESS (with a message) unless the calling thread runs in
 * inst's security context; every object method except IUnknown's checks
 * this. */
HRESULT mapix_instance_check_caller(const mapix_instance *inst, const char *what);

/* Runs fn(arg) with the calling thread switched to inst's credentials and
 * back (for clean-up that touches files on behalf of an instance). Only
 * possible when the process may switch (saved uid 0); otherwise fn runs
 * as is when the thread already has inst's identity, else fails. */
HRESULT mapix_instance_run_as(const mapix_instance *inst, HRESULT (*fn)(void *), void *arg);

/* Switches the calling thread only (raw syscalls: groups, gid, uid; and
 * the reverse order to go back). */
HRESULT mapix_thread_set_identity(uid_t uid, gid_t gid, int ngroups, const gid_t *groups);

#endif
