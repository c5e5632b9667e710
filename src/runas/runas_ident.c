/*
 * runas_ident.c — resolving users, groups and configuration values in the
 * broker, before any fork: after fork only async-signal-safe code runs, so
 * nothing that may take locks (NSS lookups, malloc) can happen there.
 */
#include "runas.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static char *dup_or_fail(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		runas_fail(ENOMEM, "runas: out of memory");
	return d;
}

int runas_ident_resolve(const char *user, struct runas_ident *id)
{
	memset(id, 0, sizeof(*id));
	if (!user || !*user)
		return runas_fail(EINVAL, "runas: no user name given");
	struct passwd pw, *res = NULL;
	size_t bufsz = 1024;
	char *buf = NULL;
	int rc;
	for (;;) {
		char *nb = realloc(buf, bufsz);
		if (!nb) {
			free(buf);
			return runas_fail(ENOMEM, "runas: out of memory");
		}
		buf = nb;
		rc = getpwnam_r(user, &pw, buf, bufsz, &res);
		if (rc != ERANGE || bufsz > (1u << 20))
			break;
		bufsz *= 2;
	}
	if (!res) {
		free(buf);
		if (rc && rc != ENOENT && rc != ESRCH)
			return runas_fail(rc, "runas: cannot look up user %s: %s", user, strerror(rc));
		return runas_fail(ENOENT, "runas: unknown user %s", user);
	}
	id->uid = pw.pw_uid;
	id->gid = pw.pw_gid;
	id->name = dup_or_fail(pw.pw_name);
	id->home = dup_or_fail(pw.pw_dir);
	id->shell = dup_or_fail(pw.pw_shell && *pw.pw_shell ? pw.pw_shell : "/bin/sh");
	free(buf);
	if (!id->name || !id->home || !id->shell) {
		runas_ident_free(id);
		return -1;
	}
	int n = 32;
	for (;;) {
		gid_t *g = realloc(id->groups, sizeof(gid_t) * (size_t)n);
		if (!g) {
			runas_ident_free(id);
			return runas_fail(ENOMEM, "runas: out of memory");
		}
		id->groups = g;
		int want = n;
		if (getgrouplist(id->name, id->gid, id->groups, &want) >= 0) {
			id->ngroups = want;
			break;
		}
		if (want <= n || want > RUNAS_MAX_GROUPS) {
			runas_ident_free(id);
			return runas_fail(E2BIG, "runas: cannot list the groups of %s", user);
		}
		n = want;
	}
	return 0;
}

void runas_ident_free(struct runas_ident *id)
{
	free(id->name);
	free(id->home);
	free(id->shell);
	free(id->groups);
	memset(id, 0, sizeof(*id));
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
	{"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"memlock", RLIMIT_MEMLOCK},
	{"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},     {"nofile", RLIMIT_NOFILE},
	{"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
	{"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
};

int runas_rlimit_parse(const char *spec, MAPIX_RUNAS_LIMIT *out)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return runas_fail(EINVAL, "runas: bad --rlimit %s: expected NAME=VALUE", spec);
	size_t nl = (size_t)(eq - spec);
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++) {
		if (strlen(rlimit_names[i].name) != nl || strncmp(spec, rlimit_names[i].name, nl))
			continue;
		out->resource = rlimit_names[i].resource;
		if (!strcmp(eq + 1, "unlimited")) {
			out->value = RLIM_INFINITY;
			return 0;
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || eq[1] == '-')
			return runas_fail(EINVAL, "runas: bad --rlimit value in %s", spec);
		out->value = v;
		return 0;
	}
	return runas_fail(EINVAL, "runas: unknown resource limit in %s", spec);
}

int runas_uid_parse(const char *spec, uid_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(spec, &end, 10);
	if (*spec && !*end && !errno && v < UINT_MAX && spec[0] != '-') {
		*out = (uid_t)v;
		return 0;
	}
	struct runas_ident id;
	if (runas_ident_resolve(spec, &id) < 0)
		return -1;
	*out = id.uid;
	runas_ident_free(&id);
	return 0;
}

static bool name_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(entry, name, n) && entry[n] == '=';
}

bool runas_env_allowed(const char *entry, const char *const *keep)
{
	if (!strchr(entry, '='))
		return false;
	if (name_is(entry, "LANG") || name_is(entry, "TZ") || name_is(entry, "MAPIX_DEBUG"))
		return true;
	if (strncmp(entry, "MAPIX_", 6))
		return false;
	for (; keep && *keep; keep++)
		if (!strncmp(*keep, "MAPIX_", 6) && name_is(entry, *keep))
			return true;
	return false;
}
