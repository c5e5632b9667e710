/*
 * memory.c — the MAPI allocator: MAPIAllocateBuffer, MAPIAllocateMore and
 * MAPIFreeBuffer, with every live block in a registry so that misuse is
 * refused instead of corrupting the heap, and with each root block charged
 * to the subsystem instance that made it (memory.h).
 *
 * Layout. Each block is one malloc: a 64-byte header followed by the
 * caller's bytes (16-byte aligned, like malloc). A root keeps a list of its
 * children (blocks made with MAPIAllocateMore); a child points at its root.
 * A child of a child is attached to the root, so the tree is never deeper
 * than one level and freeing a root frees everything below it.
 *
 * The registry. Blocks are found by the address the caller holds, in a hash
 * table split into 64 shards by 1 MiB address region, each with its own
 * mutex (chains go through the headers, so registering costs no extra
 * allocation). A pointer that is
 * not in the registry — never allocated, from malloc or the stack, interior,
 * already freed — is rejected without reading a byte in front of it. The
 * one case no registry can catch is a double free after the same address
 * was handed out again by a later allocation.
 *
 * Invariants, which make the lock-free reads of headers safe:
 *  - a header is read only while its block's shard lock is held and the
 *    block is registered (blocks are unregistered under that lock before
 *    their memory goes back to malloc);
 *  - a root's memory is freed only after all its children were
 *    unregistered, so while a child is registered its root pointer is valid;
 *  - a root's child list and "dying" flag change only under the root's
 *    shard lock.
 * Operations that need several shards lock them in index order.
 *
 * Cost (also in docs/memory.md): per block one hash insert and one delete,
 * each under one shard mutex (MAPIAllocateMore takes up to three shards),
 * 64 bytes of header, and for roots made under an instance one atomic
 * add and one atomic subtract on that instance's account.
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

#include <mapix/mapix.h>

#include "core/error.h"
#include "core/memory.h"

typedef struct block block;
struct block {
	block *hash_next;             /* chain in the shard's bucket */
	block *root;                  /* NULL for a root */
	block *children;              /* root: first child */
	block *sibling;               /* child: next child of the same root */
	mapix_memory_account *account; /* root: instance account, or NULL */
	size_t size;                  /* caller's bytes */
	int dying;                    /* root: MAPIFreeBuffer in progress */
	alignas(16) unsigned char data[];
};

#define HEADER_SIZE offsetof(block, data)
_Static_assert(HEADER_SIZE % alignof(max_align_t) == 0, "block data must be malloc-aligned");
_Static_assert(HEADER_SIZE == 64, "documented header size");

#define SHARD_BITS 6
#define SHARD_COUNT (1u << SHARD_BITS)
#define INITIAL_BUCKETS 64
#define SHARD_REGION_BITS 20

typedef struct shard {
	pthread_mutex_t lock;
	block **buckets;
	size_t nbuckets; /* power of two, 0 until first insert */
	size_t count;
} shard;

/* One shard per cache line pair, so threads working on different shards
 * do not bounce each other's lines. */
static struct {
	alignas(128) shard s;
} shards[SHARD_COUNT];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static void shards_init(void)
{
	for (unsigned i = 0; i < SHARD_COUNT; i++)
		pthread_mutex_init(&shards[i].s.lock, NULL);
}

/* splitmix64 finalizer: malloc addresses differ mostly in middle bits, and
 * both the shard (top bits) and the bucket (low bits) need good spread. */
static uint64_t hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * The shard comes from the 1 MiB region an address lies in, not from the
 * address itself: glibc gives threads separate arenas, so a thread's blocks
 * cluster in its own regions and its registry work stays on its own few
 * shards instead of pulling every shard's cache line across cores (measured:
 * hashing whole addresses made two threads on two cores 2.4x slower per
 * operation than one; by region they run at single-thread speed). Within a
 * shard the bucket still comes from the whole address.
 */
static unsigned shard_of(const void *p)
{
	return (unsigned)(hash_ptr((const void *)((uintptr_t)p >> SHARD_REGION_BITS)) >> (64 - SHARD_BITS));
}

static void shard_lock(unsigned i)
{
	pthread_mutex_lock(&shards[i].s.lock);
}

static void shard_unlock(unsigned i)
{
	pthread_mutex_unlock(&shards[i].s.lock);
}

/* Caller holds the shard lock. */
static block *shard_find(shard *s, const void *p)
{
	if (!s->nbuckets)
		return NULL;
	block *b = s->buckets[hash_ptr(p) & (s->nbuckets - 1)];
	while (b && (const void *)b->data != p)
		b = b->hash_next;
	return b;
}

/* Caller holds the shard lock. A failed resize keeps the old table:
 * chains get longer, nothing breaks. */
static int shard_insert(shard *s, block *b)
{
	if (s->count >= s->nbuckets * 2) {
		size_t n = s->nbuckets ? s->nbuckets * 2 : INITIAL_BUCKETS;
		block **nb = calloc(n, sizeof *nb);
		if (nb) {
			for (size_t i = 0; i < s->nbuckets; i++) {
				block *c = s->buckets[i];
				while (c) {
					block *next = c->hash_next;
					size_t h = hash_ptr(c->data) & (n - 1);
					c->hash_next = nb[h];
					nb[h] = c;
					c = next;
				}
			}
			free(s->buckets);
			s->buckets = nb;
			s->nbuckets = n;
		} else if (!s->nbuckets) {
			return -1;
		}
	}
	size_t h = hash_ptr(b->data) & (s->nbuckets - 1);
	b->hash_next = s->buckets[h];
	s->buckets[h] = b;
	s->count++;
	return 0;
}

/* Caller holds the shard lock and knows b is registered. */
static void shard_remove(shard *s, block *b)
{
	block **pp = &s->buckets[hash_ptr(b->data) & (s->nbuckets - 1)];
	while (*pp != b)
		pp = &(*pp)->hash_next;
	*pp = b->hash_next;
	s->count--;
}

/* ---- instance hooks -------------------------------------------------------- */

typedef mapix_memory_account *(*current_fn)(void);
typedef void (*released_fn)(mapix_instance *);
static _Atomic(current_fn) hook_current;
static _Atomic(released_fn) hook_released;

void mapix_memory_set_instance_hooks(mapix_memory_account *(*current)(void),
                                     void (*on_released)(mapix_instance *inst))
{
	atomic_store(&hook_released, on_released);
	atomic_store(&hook_current, current);
}

void mapix_memory_account_init(mapix_memory_account *acct, mapix_instance *inst)
{
	atomic_init(&acct->refs, 1);
	acct->instance = inst;
}

void mapix_memory_account_hold(mapix_memory_account *acct)
{
	atomic_fetch_add_explicit(&acct->refs, 1, memory_order_relaxed);
}

void mapix_memory_account_release(mapix_memory_account *acct)
{
	/* acq_rel: whatever the last holder wrote must be visible to the
	 * thread that tears the instance down. */
	if (atomic_fetch_sub_explicit(&acct->refs, 1, memory_order_acq_rel) == 1) {
		released_fn fn = atomic_load(&hook_released);
		if (fn)
			fn(acct->instance);
	}
}

size_t mapix_memory_account_refs(const mapix_memory_account *acct)
{
	return atomic_load(&((mapix_memory_account *)acct)->refs);
}

/* ---- fault injection --------------------------------------------------------- */

static _Thread_local unsigned fail_countdown;

void mapix_memory_fail_after(unsigned n)
{
	fail_countdown = n;
}

/* Common part of both allocation calls: size check, injection, malloc. */
static SCODE block_new(const char *fn, ULONG cbSize, block **out)
{
	*out = NULL;
	if (cbSize > MAPIX_MEMORY_MAX_BLOCK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: %lu bytes is more than one block may hold (%lu)", fn,
		                   (unsigned long)cbSize, (unsigned long)MAPIX_MEMORY_MAX_BLOCK);
	if (fail_countdown && --fail_countdown == 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: injected allocation failure", fn);
	block *b = malloc(HEADER_SIZE + (size_t)cbSize);
	if (!b)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory allocating %lu bytes", fn,
		                   (unsigned long)cbSize);
	b->hash_next = NULL;
	b->root = NULL;
	b->children = NULL;
	b->sibling = NULL;
	b->account = NULL;
	b->size = cbSize;
	b->dying = 0;
	*out = b;
	return S_OK;
}

/* ---- the MAPI allocator ----------------------------------------------------- */

STDAPI_(SCODE) MAPIAllocateBuffer(ULONG cbSize, LPVOID *lppBuffer)
{
	if (!lppBuffer)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIAllocateBuffer: lppBuffer is NULL");
	*lppBuffer = NULL;
	pthread_once(&shards_once, shards_init);

	block *b;
	SCODE sc = block_new("MAPIAllocateBuffer", cbSize, &b);
	if (FAILED(sc))
		return sc;

	current_fn cur = atomic_load_explicit(&hook_current, memory_order_acquire);
	mapix_memory_account *acct = cur ? cur() : NULL;
	if (acct)
		mapix_memory_account_hold(acct);
	b->account = acct;

	unsigned si = shard_of(b->data);
	shard_lock(si);
	int rc = shard_insert(&shards[si].s, b);
	shard_unlock(si);
	if (rc) {
		if (acct)
			mapix_memory_account_release(acct);
		free(b);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPIAllocateBuffer: out of memory registering a block");
	}
	*lppBuffer = b->data;
	return S_OK;
}

/* Locks the distinct shard indexes of idx[0..n) in ascending order. */
static unsigned lock_set(unsigned *idx, unsigned n)
{
	/* tiny insertion sort with de-duplication */
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned v = idx[i], j = m;
		int dup = 0;
		for (unsigned k = 0; k < m; k++)
			dup |= idx[k] == v;
		if (dup)
			continue;
		while (j > 0 && idx[j - 1] > v) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
		m++;
	}
	for (unsigned i = 0; i < m; i++)
		shard_lock(idx[i]);
	return m;
}

static void unlock_set(const unsigned *idx, unsigned m)
{
	for (unsigned i = m; i > 0; i--)
		shard_unlock(idx[i - 1]);
}

STDAPI_(SCODE) MAPIAllocateMore(ULONG cbSize, LPVOID lpObject, LPVOID *lppBuffer)
{
	if (!lppBuffer)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIAllocateMore: lppBuffer is NULL");
	*lppBuffer = NULL;
	if (!lpObject)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIAllocateMore: lpObject is NULL");
	pthread_once(&shards_once, shards_init);

	block *c;
	SCODE sc = block_new("MAPIAllocateMore", cbSize, &c);
	if (FAILED(sc))
		return sc;

	unsigned so = shard_of(lpObject), sc_idx = shard_of(c->data);
	for (;;) {
		/* Find the root through lpObject, then take every shard the link
		 * needs (lpObject's, the root's, the new child's) in order and check
		 * that nothing moved in between. */
		shard_lock(so);
		block *o = shard_find(&shards[so].s, lpObject);
		block *r = o ? (o->root ? o->root : o) : NULL;
		shard_unlock(so);
		if (!r)
			break;

		unsigned idx[3] = {so, shard_of(r->data), sc_idx};
		unsigned m = lock_set(idx, 3);
		o = shard_find(&shards[so].s, lpObject);
		if (!o) {
			unlock_set(idx, m);
			break;
		}
		if ((o->root ? o->root : o) != r) {
			/* lpObject was freed and its address reused meanwhile */
			unlock_set(idx, m);
			continue;
		}
		if (r->dying) {
			unlock_set(idx, m);
			break;
		}
		if (shard_insert(&shards[sc_idx].s, c)) {
			unlock_set(idx, m);
			free(c);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPIAllocateMore: out of memory registering a block");
		}
		c->root = r;
		c->sibling = r->children;
		r->children = c;
		unlock_set(idx, m);
		*lppBuffer = c->data;
		return S_OK;
	}
	free(c);
	return mapix_error(MAPI_E_INVALID_PARAMETER,
	                   "MAPIAllocateMore: lpObject %p is not a live block from MAPIAllocateBuffer or MAPIAllocateMore",
	                   lpObject);
}

STDAPI_(ULONG) MAPIFreeBuffer(LPVOID lpBuffer)
{
	if (!lpBuffer)
		return 0;
	pthread_once(&shards_once, shards_init);

	unsigned si = shard_of(lpBuffer);
	shard *s = &shards[si].s;
	shard_lock(si);
	block *b = shard_find(s, lpBuffer);
	if (!b || b->dying) {
		shard_unlock(si);
		return (ULONG)mapix_error(MAPI_E_INVALID_PARAMETER,
		                          "MAPIFreeBuffer: %p is not a live block (never allocated by MAPIAllocateBuffer, "
		                          "an interior pointer, or already freed)",
		                          lpBuffer);
	}
	if (b->root) {
		shard_unlock(si);
		return (ULONG)mapix_error(MAPI_E_INVALID_PARAMETER,
		                          "MAPIFreeBuffer: %p was allocated with MAPIAllocateMore; it is freed with its "
		                          "root block %p",
		                          lpBuffer, (void *)b->root->data);
	}
	block *kids = b->children;
	if (!kids) {
		shard_remove(s, b);
		shard_unlock(si);
	} else {
		/* Keep the root registered but dying while its children leave the
		 * registry: a concurrent MAPIAllocateMore or MAPIFreeBuffer on it is
		 * refused, and its address cannot be reused until every child entry
		 * (which points at it) is gone. */
		b->dying = 1;
		b->children = NULL;
		shard_unlock(si);
		while (kids) {
			block *next = kids->sibling;
			unsigned ci = shard_of(kids->data);
			shard_lock(ci);
			shard_remove(&shards[ci].s, kids);
			shard_unlock(ci);
			free(kids);
			kids = next;
		}
		shard_lock(si);
		shard_remove(s, b);
		shard_unlock(si);
	}
	mapix_memory_account *acct = b->account;
	free(b);
	if (acct)
		mapix_memory_account_release(acct);
	return 0;
}

/* ---- queries ------------------------------------------------------------------ */

mapix_instance *mapix_memory_block_instance(const void *p)
{
	if (!p)
		return NULL;
	pthread_once(&shards_once, shards_init);
	unsigned si = shard_of(p);
	shard_lock(si);
	block *b = shard_find(&shards[si].s, p);
	mapix_instance *inst = NULL;
	if (b) {
		/* a registered child's root is still allocated (invariant above) */
		block *r = b->root ? b->root : b;
		inst = r->account ? r->account->instance : NULL;
	}
	shard_unlock(si);
	return inst;
}

BOOL mapix_memory_is_live(const void *p)
{
	if (!p)
		return FALSE;
	pthread_once(&shards_once, shards_init);
	unsigned si = shard_of(p);
	shard_lock(si);
	BOOL live = shard_find(&shards[si].s, p) != NULL;
	shard_unlock(si);
	return live;
}

size_t mapix_memory_live_blocks(void)
{
	pthread_once(&shards_once, shards_init);
	size_t n = 0;
	for (unsigned i = 0; i < SHARD_COUNT; i++) {
		shard_lock(i);
		n += shards[i].s.count;
		shard_unlock(i);
	}
	return n;
}
