/*
 * instance.c — per-security-context instance data and MAPIInitialize /
 * MAPIUninitialize (see instance.h).
 *
 * Instances are kept in a registry, one per context that ever initialized
 * MAPI, and their structures are never freed: a thread's cached pointer and
 * a block's recorded instance therefore always point at valid memory, and a
 * context that initializes again reuses its slot, so init/uninit cycles do
 * not grow memory. What an instance owns (its profile directory, later its
 * sessions and notification engine) is released when its account reaches
 * zero: no MAPIInitialize outstanding, no object and no memory block left.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "subsystem/instance.h"
#include "subsystem/notify.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static mapix_instance *registry;

/* The thread's last known context and its instance; refreshed by every
 * mapix_instance_current call and by identity switches. The allocator's
 * hook reads only this (it must be cheap). */
static _Thread_local mapix_instance *tls_instance;

static BOOL instance_alive(mapix_instance *inst)
{
	return atomic_load(&inst->init_count) > 0 || mapix_memory_account_refs(&inst->account) > 0;
}

static mapix_memory_account *current_account(void)
{
	mapix_instance *inst = tls_instance;
	return inst && atomic_load(&inst->init_count) > 0 ? &inst->account : NULL;
}

static void on_released(mapix_instance *inst)
{
	pthread_mutex_lock(&inst->lock);
	/* Revived meanwhile by a MAPIInitialize: nothing to release. */
	if (mapix_memory_account_refs(&inst->account) == 0 && atomic_load(&inst->init_count) == 0) {
		mapix_notify_shutdown(inst);
		free(inst->profile_dir);
		inst->profile_dir = NULL;
	}
	pthread_mutex_unlock(&inst->lock);
}

__attribute__((constructor)) static void install_hooks(void)
{
	mapix_memory_set_instance_hooks(current_account, on_released);
}

static mapix_instance *registry_find(const mapix_context *ctx)
{
	for (mapix_instance *i = registry; i; i = i->next)
		if (mapix_context_equal(&i->ctx, ctx))
			return i;
	return NULL;
}

mapix_instance *mapix_instance_current(BOOL hold)
{
	mapix_context ctx;
	if (FAILED(mapix_context_current(&ctx)))
		return NULL;
	pthread_mutex_lock(&registry_lock);
	mapix_instance *inst = registry_find(&ctx);
	if (inst && hold) {
		if (atomic_load(&inst->init_count) > 0)
			mapix_memory_account_hold(&inst->account);
		else
			inst = NULL;
	}
	pthread_mutex_unlock(&registry_lock);
	tls_instance = inst;
	if (inst && !hold && atomic_load(&inst->init_count) == 0)
		return NULL;
	return inst;
}

void mapix_instance_hold(mapix_instance *inst)
{
	if (inst)
		mapix_memory_account_hold(&inst->account);
}

void mapix_instance_release(mapix_instance *inst)
{
	if (inst)
		mapix_memory_account_release(&inst->account);
}

HRESULT mapix_instance_check_caller(const mapix_instance *inst, const char *what)
{
	mapix_context ctx;
	HRESULT hr = mapix_context_current(&ctx);
	if (FAILED(hr))
		return hr;
	if (!inst || mapix_context_equal(&ctx, &inst->ctx))
		return S_OK;
	return mapix_error(MAPI_E_NO_ACCESS,
	                   "%s: the object belongs to uid %u/gid %u and was called from uid %u/gid %u "
	                   "(objects are not shared across security contexts)",
	                   what, (unsigned)inst->ctx.euid, (unsigned)inst->ctx.egid, (unsigned)ctx.euid,
	                   (unsigned)ctx.egid);
}

HRESULT mapix_instance_run_as(const mapix_instance *inst, HRESULT (*fn)(void *), void *arg)
{
	mapix_context before;
	HRESULT hr = mapix_context_current(&before);
	if (FAILED(hr))
		return hr;
	if (mapix_context_equal(&before, &inst->ctx))
		return fn(arg);
	if (FAILED(hr = mapix_thread_set_identity(inst->ctx.euid, inst->ctx.egid, inst->ctx.ngroups, inst->ctx.groups)))
		return hr;
	hr = fn(arg);
	HRESULT back = mapix_thread_set_identity(before.euid, before.egid, before.ngroups, before.groups);
	return FAILED(back) ? back : hr;
}

/* /var/lib/mapix/<uid> belongs to root's tree, so a user cannot make it:
 * when the process may (a service started as root, even while this thread
 * impersonates the user), create it for the user, 0700. Failures are left
 * for the profile code to report when it needs the directory. */
static HRESULT make_var_dir(void *arg)
{
	const uid_t *ids = arg;
	char dir[64];
	mkdir("/var/lib/mapix", 0755);
	snprintf(dir, sizeof dir, "/var/lib/mapix/%u", (unsigned)ids[0]);
	if (mkdir(dir, 0700) == 0 && chown(dir, ids[0], (gid_t)ids[1]) != 0)
		rmdir(dir);
	return S_OK;
}

static void prepare_var_dir(uid_t uid, gid_t gid)
{
	char dir[64];
	struct stat st;
	uid_t r, e, saved;
	snprintf(dir, sizeof dir, "/var/lib/mapix/%u", (unsigned)uid);
	if (stat(dir, &st) == 0 || getresuid(&r, &e, &saved) != 0 || (e != 0 && saved != 0))
		return;
	uid_t ids[2] = {uid, (uid_t)gid};
	mapix_instance root = {.ctx = {.euid = 0, .egid = 0, .ngroups = 0}};
	mapix_instance_run_as(&root, make_var_dir, ids);
}

/* The profile directory of a context (design.md): the user's home from the
 * user database (not $HOME, which is per process) when it is a directory the
 * user owns, else /var/lib/mapix/<uid>/profiles (so the per-user catalog
 * beside it, <dir>/../mapisvc.inf, is not shared between users). */
static char *default_profile_dir(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], path[4096];
	struct stat st;
	getpwuid_r(uid, &pw, buf, sizeof buf, &res);
	if (res && res->pw_dir && res->pw_dir[0] == '/' && stat(res->pw_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid)
		snprintf(path, sizeof path, "%s/.config/mapix/profiles", res->pw_dir);
	else {
		snprintf(path, sizeof path, "/var/lib/mapix/%u/profiles", (unsigned)uid);
		prepare_var_dir(uid, res ? res->pw_gid : (gid_t)-1);
	}
	return strdup(path);
}

STDAPI MAPIInitialize(LPVOID lpMapiInit)
{
	ULONG flags = 0;
	const char *dir = NULL;
	mapix_context ctx;
	HRESULT hr;

	if (lpMapiInit) {
		const MAPIINIT_0 *init = lpMapiInit;
		const ULONG known = MAPI_MULTITHREAD_NOTIFICATIONS | MAPI_NT_SERVICE | MAPI_NO_COINIT |
		                    MAPIX_INIT_NO_SUPPORT_THREADS;
		if (init->ulVersion == MAPIX_INIT_VERSION) {
			dir = ((const MAPIXINIT *)lpMapiInit)->lpszProfileDir;
		} else if (init->ulVersion != MAPI_INIT_VERSION) {
			return mapix_error(MAPI_E_VERSION, "MAPIInitialize: unknown MAPIINIT version %u",
			                   (unsigned)init->ulVersion);
		}
		if (init->ulFlags & ~known)
			return mapix_error(MAPI_E_UNKNOWN_FLAGS, "MAPIInitialize: unknown flags 0x%08X",
			                   (unsigned)(init->ulFlags & ~known));
		flags = init->ulFlags;
	}
	if (FAILED(hr = mapix_context_current(&ctx)))
		return hr;

	pthread_mutex_lock(&registry_lock);
	mapix_instance *inst = registry_find(&ctx);
	if (!inst) {
		inst = calloc(1, sizeof *inst);
		if (!inst) {
			pthread_mutex_unlock(&registry_lock);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPIInitialize: out of memory");
		}
		inst->ctx = ctx;
		pthread_mutex_init(&inst->lock, NULL);
		inst->next = registry;
		registry = inst;
	}
	pthread_mutex_lock(&inst->lock);
	if (!instance_alive(inst)) {
		/* First initialization of this context (or first after a full
		 * shutdown): set the instance up. */
		char *pd = dir ? strdup(dir) : default_profile_dir(ctx.euid);
		if (!pd) {
			pthread_mutex_unlock(&inst->lock);
			pthread_mutex_unlock(&registry_lock);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "MAPIInitialize: out of memory");
		}
		free(inst->profile_dir);
		inst->profile_dir = pd;
		inst->init_flags = flags;
		mapix_memory_account_init(&inst->account, inst);
	} else if (dir && (!inst->profile_dir || strcmp(dir, inst->profile_dir) != 0) &&
	           atomic_load(&inst->init_count) > 0) {
		pthread_mutex_unlock(&inst->lock);
		pthread_mutex_unlock(&registry_lock);
		return mapix_error(MAPI_E_INVALID_PARAMETER,
		                   "MAPIInitialize: this security context is already initialized with profile directory %s",
		                   inst->profile_dir ? inst->profile_dir : "(none)");
	} else {
		mapix_memory_account_hold(&inst->account);
		if (dir && !inst->profile_dir)
			inst->profile_dir = strdup(dir);
	}
	atomic_fetch_add(&inst->init_count, 1);
	pthread_mutex_unlock(&inst->lock);
	pthread_mutex_unlock(&registry_lock);
	tls_instance = inst;
	return S_OK;
}

STDAPI_(void) MAPIUninitialize(void)
{
	mapix_context ctx;
	if (FAILED(mapix_context_current(&ctx)))
		return;
	pthread_mutex_lock(&registry_lock);
	mapix_instance *inst = registry_find(&ctx);
	pthread_mutex_unlock(&registry_lock);
	if (!inst)
		return;
	int n = atomic_load(&inst->init_count);
	while (n > 0 && !atomic_compare_exchange_weak(&inst->init_count, &n, n - 1))
		;
	if (n > 0)
		mapix_memory_account_release(&inst->account);
}

STDAPI_(const char *) MAPIXGetProfileDirectory(void)
{
	mapix_instance *inst = mapix_instance_current(FALSE);
	return inst ? inst->profile_dir : NULL;
}
