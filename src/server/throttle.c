/*
 * throttle.c — rate limiting of failed password logons, per source address
 * and per account name.
 *
 * Each key (an address, or an account name folded to lower case) counts
 * its failures. The first [logon] account_failures (address_failures for
 * an address) cost nothing; each failure beyond locks the key for
 * [logon] lockout, doubled with every further failure up to max_lockout.
 * While a key is locked, a logon naming it is refused at once — without
 * hashing the password, so a flood of bad passwords costs the server
 * almost nothing and never holds a thread. Failures are forgotten after
 * forget_after seconds without a new one; a successful logon forgets the
 * account's failures (not the address's, or one valid account would let a
 * guesser reset its address's count).
 *
 * Addresses are counted per host for IPv4 and per /64 for IPv6 (a host
 * usually owns a whole /64). The address threshold is higher than the
 * account one: many users behind one NAT or proxy share an address, and a
 * guesser working through one account must not lock its neighbours out.
 *
 * The table is bounded by max_tracked keys: when it is full, keys whose
 * failures have been forgotten are dropped; if none is, the oldest goes.
 * Nothing here blocks: one mutex around a small hash table.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "server.h"

#define NBUCKETS 4096

typedef struct entry {
	struct entry *next;
	uint32_t failures;
	int64_t last_ms;      /* last failure */
	int64_t until_ms;     /* locked until */
	char key[80];
} entry;

struct srv_throttle {
	pthread_mutex_t lock;
	entry *buckets[NBUCKETS];
	size_t n;
	const srv_config *cfg;
};

int64_t srv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

HRESULT srv_throttle_new(const srv_config *cfg, srv_throttle **out)
{
	srv_throttle *t = calloc(1, sizeof *t);
	if (!t)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
	pthread_mutex_init(&t->lock, NULL);
	t->cfg = cfg;
	*out = t;
	return S_OK;
}

void srv_throttle_free(srv_throttle *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < NBUCKETS; i++)
		while (t->buckets[i]) {
			entry *e = t->buckets[i];
			t->buckets[i] = e->next;
			free(e);
		}
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

/* "a:" and the host (IPv4) or its /64 (IPv6), from "host:port" or
 * "[v6]:port"; "n:" and the folded account name. */
static void address_key(const char *address, char out[80])
{
	char host[64];
	snprintf(host, sizeof host, "%s", address ? address : "");
	if (host[0] == '[') {
		char *end = strchr(host, ']');
		if (end)
			*end = 0;
		/* The first four groups of the written form: enough for a /64 key
		 * whatever the compression (a "::" inside them keeps its own key,
		 * which only splits counts, never merges them). */
		char *p = host + 1;
		int groups = 0;
		char *q = p;
		for (; *q && groups < 4; q++)
			if (*q == ':')
				groups++;
		if (groups == 4)
			q[-1] = 0;
		snprintf(out, 80, "a:%s", p);
		return;
	}
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = 0;
	snprintf(out, 80, "a:%s", host);
}

static void account_key(const char *account, char out[80])
{
	size_t i = 0;
	out[i++] = 'n';
	out[i++] = ':';
	for (const char *p = account ? account : ""; *p && i < 79; p++)
		out[i++] = (char)tolower((unsigned char)*p);
	out[i] = 0;
}

static entry *find(srv_throttle *t, const char *key)
{
	for (entry *e = t->buckets[hash(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Forgets failures that are old enough (lock held). */
static void expire(srv_throttle *t, entry *e, int64_t now)
{
	if (e->failures && now >= e->until_ms && now - e->last_ms >= (int64_t)t->cfg->forget_ms)
		e->failures = 0;
}

static void remove_entry(srv_throttle *t, entry *victim)
{
	for (entry **pp = &t->buckets[hash(victim->key)]; *pp; pp = &(*pp)->next)
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			t->n--;
			return;
		}
}

/* Makes room for one more key (lock held). */
static void make_room(srv_throttle *t, int64_t now)
{
	if (t->n < t->cfg->max_tracked)
		return;
	entry *oldest = NULL;
	for (size_t i = 0; i < NBUCKETS; i++)
		for (entry **pp = &t->buckets[i]; *pp;) {
			entry *e = *pp;
			expire(t, e, now);
			if (!e->failures) {
				*pp = e->next;
				free(e);
				t->n--;
				continue;
			}
			if (!oldest || e->last_ms < oldest->last_ms)
				oldest = e;
			pp = &e->next;
		}
	if (t->n >= t->cfg->max_tracked && oldest)
		remove_entry(t, oldest);
}

static uint32_t wait_of(srv_throttle *t, const char *key, int64_t now)
{
	entry *e = find(t, key);
	if (!e)
		return 0;
	expire(t, e, now);
	return e->until_ms > now ? (uint32_t)(e->until_ms - now) : 0;
}

uint32_t srv_throttle_wait(srv_throttle *t, const char *address, const char *account)
{
	char ka[80], kn[80];
	address_key(address, ka);
	account_key(account, kn);
	int64_t now = srv_now_ms();
	pthread_mutex_lock(&t->lock);
	uint32_t a = wait_of(t, ka, now), n = account ? wait_of(t, kn, now) : 0;
	pthread_mutex_unlock(&t->lock);
	return a > n ? a : n;
}

/* Counts one failure of key; returns the lockout it starts (lock held). */
static uint32_t fail_one(srv_throttle *t, const char *key, uint32_t free_failures, int64_t now)
{
	entry *e = find(t, key);
	if (!e) {
		make_room(t, now);
		if (!(e = calloc(1, sizeof *e)))
			return 0; /* no memory: not counted (the address key may be) */
		snprintf(e->key, sizeof e->key, "%s", key);
		uint32_t b = hash(key);
		e->next = t->buckets[b];
		t->buckets[b] = e;
		t->n++;
	}
	expire(t, e, now);
	if (e->failures < 0xFFFFFFFFu)
		e->failures++;
	e->last_ms = now;
	if (e->failures < free_failures)
		return 0;
	/* lockout * 2^(failures beyond the free ones), capped. */
	uint32_t extra = e->failures - free_failures;
	uint64_t ms = t->cfg->lockout_ms;
	for (uint32_t i = 0; i < extra && ms < t->cfg->max_lockout_ms; i++)
		ms *= 2;
	if (ms > t->cfg->max_lockout_ms)
		ms = t->cfg->max_lockout_ms;
	e->until_ms = now + (int64_t)ms;
	return (uint32_t)ms;
}

uint32_t srv_throttle_failure(srv_throttle *t, const char *address, const char *account)
{
	char ka[80], kn[80];
	address_key(address, ka);
	account_key(account, kn);
	int64_t now = srv_now_ms();
	pthread_mutex_lock(&t->lock);
	uint32_t a = fail_one(t, ka, t->cfg->address_failures, now);
	uint32_t n = account ? fail_one(t, kn, t->cfg->account_failures, now) : 0;
	pthread_mutex_unlock(&t->lock);
	return a > n ? a : n;
}

void srv_throttle_success(srv_throttle *t, const char *account)
{
	char kn[80];
	account_key(account, kn);
	pthread_mutex_lock(&t->lock);
	entry *e = find(t, kn);
	if (e)
		remove_entry(t, e);
	pthread_mutex_unlock(&t->lock);
}
