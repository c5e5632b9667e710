/*
 * context.c — the calling thread's security context, and switching it.
 *
 * Linux keeps credentials per thread; only glibc's set*id wrappers make them
 * process-wide (by signalling every thread). mapix reads them with the plain
 * getters (per thread) and changes them with the raw syscalls, so a switch
 * affects the calling thread alone. Order matters: supplementary groups and
 * the gid can only be changed while the thread is still privileged, so a
 * switch away from root goes groups, gid, uid, and a switch back goes uid
 * first. The saved uid stays 0, which is what makes switching back possible
 * — and why this is correctness, not a security boundary (design.md).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.h"
#include "subsystem/instance.h"

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates: groups compare as a set. */
static int normalize_groups(gid_t *g, int n)
{
	qsort(g, (size_t)n, sizeof *g, cmp_gid);
	int m = 0;
	for (int i = 0; i < n; i++)
		if (m == 0 || g[m - 1] != g[i])
			g[m++] = g[i];
	return m;
}

HRESULT mapix_context_current(mapix_context *ctx)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	/* getresuid/getresgid/getgroups are plain syscalls: they report the
	 * calling thread's credentials. */
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return mapix_error(MAPI_E_CALL_FAILED, "reading the thread's credentials: %s", strerror(errno));
	int n = getgroups(MAPIX_MAX_GROUPS, ctx->groups);
	if (n < 0)
		return mapix_error(MAPI_E_CALL_FAILED, "reading the thread's groups: %s", strerror(errno));
	ctx->euid = eu;
	ctx->egid = eg;
	ctx->ngroups = normalize_groups(ctx->groups, n);
	return S_OK;
}

BOOL mapix_context_equal(const mapix_context *a, const mapix_context *b)
{
	return a->euid == b->euid && a->egid == b->egid && a->ngroups == b->ngroups &&
	       memcmp(a->groups, b->groups, (size_t)a->ngroups * sizeof a->groups[0]) == 0;
}

HRESULT mapix_thread_set_identity(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	uid_t ru, eu, su;
	mapix_context now, want = {.euid = uid, .egid = gid};
	if (ngroups < 0 || ngroups > MAPIX_MAX_GROUPS)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "switching identity: %d groups", ngroups);
	memcpy(want.groups, groups, (size_t)ngroups * sizeof *groups);
	want.ngroups = normalize_groups(want.groups, ngroups);
	/* Already there: nothing to do (and no privilege needed). */
	if (SUCCEEDED(mapix_context_current(&now)) && mapix_context_equal(&now, &want))
		return S_OK;
	if (getresuid(&ru, &eu, &su) != 0)
		return mapix_error(MAPI_E_CALL_FAILED, "reading the thread's credentials: %s", strerror(errno));
	if (su != 0 && eu != 0)
		return mapix_error(MAPI_E_NO_ACCESS, "switching identity needs a saved uid of 0 (the process runs as uid %u)",
		                   (unsigned)ru);
	/* Regain privilege first when the thread is impersonating someone. */
	if (eu != 0 && syscall(SYS_setresuid, -1, 0, -1) != 0)
		return mapix_error(MAPI_E_NO_ACCESS, "switching back to uid 0: %s", strerror(errno));
	if (syscall(SYS_setgroups, (size_t)ngroups, groups) != 0 || syscall(SYS_setresgid, -1, gid, -1) != 0) {
		int e = errno;
		return mapix_error(e == EPERM ? MAPI_E_NO_ACCESS : MAPI_E_CALL_FAILED, "switching groups: %s", strerror(e));
	}
	if (uid != 0 && syscall(SYS_setresuid, -1, uid, -1) != 0) {
		int e = errno;
		return mapix_error(e == EPERM ? MAPI_E_NO_ACCESS : MAPI_E_CALL_FAILED, "switching to uid %u: %s",
		                   (unsigned)uid, strerror(e));
	}
	return S_OK;
}

/* The identity MAPIXRevertToSelf returns to: the process's real ids and its
 * groups, captured when the library is loaded (before any switch). */
static uid_t self_uid;
static gid_t self_gid;
static gid_t self_groups[MAPIX_MAX_GROUPS];
static int self_ngroups;
static int self_dumpable = 1;

__attribute__((constructor)) static void capture_self(void)
{
	self_uid = getuid();
	self_gid = getgid();
	int n = getgroups(MAPIX_MAX_GROUPS, self_groups);
	self_ngroups = n > 0 ? n : 0;
	int d = prctl(PR_GET_DUMPABLE);
	if (d >= 0)
		self_dumpable = d;
}

STDAPI MAPIXImpersonateUser(ULONG ulUid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[MAPIX_MAX_GROUPS];
	int n = MAPIX_MAX_GROUPS;

	getpwuid_r((uid_t)ulUid, &pw, buf, sizeof buf, &res);
	if (!res)
		return mapix_error(MAPI_E_NOT_FOUND, "MAPIXImpersonateUser: no user with uid %u", (unsigned)ulUid);
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "MAPIXImpersonateUser: %s is in too many groups", pw.pw_name);
	HRESULT hr = mapix_thread_set_identity(pw.pw_uid, pw.pw_gid, n, groups);
	mapix_instance_current(FALSE); /* refresh the thread's instance */
	return hr;
}

STDAPI MAPIXImpersonateUserName(LPCSTR lpszUser)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (!lpszUser)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "MAPIXImpersonateUserName: NULL user name");
	getpwnam_r(lpszUser, &pw, buf, sizeof buf, &res);
	if (!res)
		return mapix_error(MAPI_E_NOT_FOUND, "MAPIXImpersonateUserName: no user named %s", lpszUser);
	return MAPIXImpersonateUser(pw.pw_uid);
}

STDAPI MAPIXRevertToSelf(void)
{
	HRESULT hr = mapix_thread_set_identity(self_uid, self_gid, self_ngroups, self_groups);
	/* Changing the euid clears the process's dumpable flag; put it back so
	 * core dumps and ptrace-based tools (leak checkers) keep working. */
	if (SUCCEEDED(hr))
		prctl(PR_SET_DUMPABLE, self_dumpable);
	mapix_instance_current(FALSE);
	return hr;
}
