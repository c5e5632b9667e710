/*
 * memory.h — private interface of the MAPI allocator (memory.c).
 *
 * MAPIAllocateBuffer/MAPIAllocateMore/MAPIFreeBuffer are public (mapix.h).
 * This header gives the rest of the library what it needs beyond them:
 *
 *  - instance accounting, so the subsystem can keep a per-security-context
 *    instance alive until the last root block it made is freed, from any
 *    thread, and can ask which instance made a given block;
 *  - a count of live blocks for leak tests;
 *  - allocation-failure injection for tests of out-of-memory paths.
 *
 * Cost of the tracking (see docs/memory.md): every block carries a 64-byte
 * header and one entry in a sharded registry (one hash insert and one
 * delete under a per-shard mutex); roots made by a thread that has an
 * instance also do one atomic add and one atomic subtract on that
 * instance's account.
 */
#ifndef MAPIX_CORE_MEMORY_H
#define MAPIX_CORE_MEMORY_H

#include <stdatomic.h>
#include <stddef.h>

#include <mapix/mapidefs.h>

/* A subsystem instance (per security context). Opaque here: the subsystem
 * defines it. */
typedef struct mapix_instance mapix_instance;

/*
 * The reference count that keeps an instance alive for its memory. The
 * subsystem embeds one in its instance and initializes it with
 * mapix_memory_account_init (which counts the owner as one reference).
 * Every live root block made while the instance is current holds one more
 * reference. When the count reaches zero — the owner has released its
 * reference and the last root block is freed, in whichever order and on
 * whichever thread — the on_released hook is called exactly once with the
 * instance. Children made with MAPIAllocateMore belong to their root and are
 * not counted.
 *
 * The account lives in the subsystem's structure (not in a table here) so
 * that allocating and freeing never look an instance up: the hot path is a
 * single atomic add/subtract on memory the caller already has.
 */
typedef struct mapix_memory_account {
	atomic_size_t refs;       /* owner references + live root blocks */
	mapix_instance *instance; /* what on_released and block_instance report */
} mapix_memory_account;

/* refs = 1 (the owner's reference). */
void mapix_memory_account_init(mapix_memory_account *acct, mapix_instance *inst);
/* Another owner reference (e.g. a second MAPIInitialize). */
void mapix_memory_account_hold(mapix_memory_account *acct);
/* Drops one reference; at zero calls the on_released hook. */
void mapix_memory_account_release(mapix_memory_account *acct);
/* Current count (owner references + live root blocks); for diagnostics. */
size_t mapix_memory_account_refs(const mapix_memory_account *acct);

/*
 * Installs the two hooks (either may be NULL; NULL current means "no
 * instance", which is the state before the subsystem exists):
 *   current()        the calling thread's instance account, or NULL;
 *                    called once per MAPIAllocateBuffer, so it must be
 *                    cheap (a thread-local read);
 *   on_released(i)   i's account reached zero; may run on any thread, from
 *                    inside MAPIFreeBuffer or mapix_memory_account_release,
 *                    with no allocator lock held.
 * Call once at start-up, before other threads allocate; blocks made before
 * the hooks were installed simply have no instance.
 */
void mapix_memory_set_instance_hooks(mapix_memory_account *(*current)(void),
                                     void (*on_released)(mapix_instance *inst));

/* The instance that made live block p (a root, or for a child its root's
 * instance); NULL when p is not a live block or was made with no instance. */
mapix_instance *mapix_memory_block_instance(const void *p);

/* Live blocks in the whole process, roots and children (leak tests). */
size_t mapix_memory_live_blocks(void);

/* TRUE when p is the start of a live block (root or child). */
BOOL mapix_memory_is_live(const void *p);

/* Test hook: the n-th allocation from now on the calling thread fails with
 * MAPI_E_NOT_ENOUGH_MEMORY (n = 1: the next one); 0 turns it off. */
void mapix_memory_fail_after(unsigned n);

/* Largest cbSize MAPIAllocateBuffer/MAPIAllocateMore accept; larger sizes
 * fail with MAPI_E_NOT_ENOUGH_MEMORY before anything is allocated. */
#define MAPIX_MEMORY_MAX_BLOCK ((ULONG)0x7FFFFFFF)

#endif /* MAPIX_CORE_MEMORY_H */
