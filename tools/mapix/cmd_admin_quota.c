/*
 * cmd_admin_quota.c — `mapix admin quota` (show or set a hosted mailbox's
 * warning, send and receive thresholds) and `mapix admin backup` (a copy
 * of a hosted mailbox taken while mapixd runs, streamed into a file the
 * invoking user owns), plus the size syntax they share ("100M", "2G").
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixremote.h>

#include "cli.h"
#include "cmd_admin.h"

int cli_parse_size(const char *text, unsigned long long *out)
{
	char *end;
	if (!text || !isdigit((unsigned char)*text))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: break;
	}
	if (shift)
		end++;
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && n > (~0ULL >> shift)))
		return -1;
	*out = n << shift;
	return 0;
}

const char *cli_format_size(unsigned long long bytes, char *buf, size_t cap)
{
	static const char units[] = "KMGT";
	if (bytes < 1024) {
		snprintf(buf, cap, "%llu", bytes);
		return buf;
	}
	double v = (double)bytes;
	int u = -1;
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

const char *admin_quota_state(ULONG state)
{
	if (state & MAPIX_QUOTA_STATE_SEND_PROHIBITED)
		return (state & MAPIX_QUOTA_STATE_RECEIVE_PROHIBITED) ? "full (send and receive refused)"
		                                                     : "full (saves refused)";
	if (state & MAPIX_QUOTA_STATE_RECEIVE_PROHIBITED)
		return "full (deliveries refused)";
	if (state & MAPIX_QUOTA_STATE_WARNING)
		return "warning";
	return "ok";
}

/* "none" (0), "default" (MAPIX_QUOTA_DEFAULT) or a size. */
static int threshold(const char *opt, const char *text, ULONGLONG *out)
{
	unsigned long long v;
	if (strcmp(text, "none") == 0 || strcmp(text, "unlimited") == 0) {
		*out = 0;
		return 0;
	}
	if (strcmp(text, "default") == 0) {
		*out = MAPIX_QUOTA_DEFAULT;
		return 0;
	}
	if (cli_parse_size(text, &v) != 0 || v == MAPIX_QUOTA_DEFAULT)
		return cli_usage_error("admin quota: --%s %s: expected a size like 500K, 100M, 2G, 'none' or 'default'", opt,
		                       text);
	*out = v;
	return 0;
}

static void print_limit(const char *label, ULONGLONG v, int is_default)
{
	char buf[32];
	printf("%-16s %s%s\n", label, v ? cli_format_size(v, buf, sizeof buf) : "none",
	       is_default ? " (server default)" : "");
}

int admin_quota(int argc, char **argv, const char *server)
{
	const char *warn = NULL, *limit = NULL, *recv = NULL, **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {"warn", 1, &warn}, {"limit", 1, &limit},
	                     {"receive-limit", 1, &recv}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 1, 1, "quota", &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	HRESULT hr;
	if (warn || limit || recv) {
		ULONG which = 0;
		ULONGLONG v[3] = {0, 0, 0};
		if ((warn && (rc = threshold("warn", warn, &v[0]))) || (limit && (rc = threshold("limit", limit, &v[1]))) ||
		    (recv && (rc = threshold("receive-limit", recv, &v[2]))))
			return rc;
		which = (warn ? MAPIX_QUOTA_WARNING : 0) | (limit ? MAPIX_QUOTA_SEND : 0) | (recv ? MAPIX_QUOTA_RECEIVE : 0);
		if (FAILED(hr = MAPIXRemoteSetQuota(server, name, which, v[0], v[1], v[2])))
			return cli_fail(name, hr);
	}
	MAPIXQUOTA q;
	if (FAILED(hr = MAPIXRemoteGetQuota(server, name, &q)))
		return cli_fail(name, hr);
	char used[32];
	printf("%-16s %s\n", "mailbox:", name);
	printf("%-16s %s (%llu bytes)\n", "used:", cli_format_size(q.cbUsed, used, sizeof used),
	       (unsigned long long)q.cbUsed);
	print_limit("warning at:", q.cbWarning, (q.ulDefaults & MAPIX_QUOTA_WARNING) != 0);
	print_limit("saves refused:", q.cbSendLimit, (q.ulDefaults & MAPIX_QUOTA_SEND) != 0);
	print_limit("mail refused:", q.cbReceiveLimit, (q.ulDefaults & MAPIX_QUOTA_RECEIVE) != 0);
	printf("%-16s %s\n", "state:", admin_quota_state(q.ulState));
	return CLI_EXIT_OK;
}

int admin_backup(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 2, 2, "backup", &pos, &npos)))
		return rc;
	const char *name = pos[0], *dest = pos[1];
	free(pos);
	HRESULT hr = MAPIXRemoteBackupMailbox(server, name, dest);
	if (FAILED(hr))
		return cli_fail(dest, hr);
	printf("backed up %s to %s\n", name, dest);
	return CLI_EXIT_OK;
}
