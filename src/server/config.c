/*
 * config.c — mapixd.conf, an INI file: [server], [rights], [audit],
 * [limits], [tcp], [logon] and [lmtp] (lmtp_config.c) sections of key = value lines, '#' or ';' comments. Every key
 * is known here with its default; an unknown section or key is an error
 * that names the line, so that a misspelt limit never silently falls back
 * to its default. docs/mapixd.md lists the keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static BOOL parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *trim(end) || n < lo || n > hi)
		return FALSE;
	*out = (uint32_t)n;
	return TRUE;
}

BOOL srv_parse_size(const char *v, uint64_t *out)
{
	char *end;
	if (!v || !isdigit((unsigned char)*v))
		return FALSE;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno)
		return FALSE;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		return FALSE;
	*out = (uint64_t)n << shift;
	return TRUE;
}

static void defaults(srv_config *c)
{
	char host[256] = "localhost";
	memset(c, 0, sizeof *c);
	if (gethostname(host, sizeof host - 1) == 0) {
		host[sizeof host - 1] = 0;
		char *dot = strchr(host, '.');
		if (dot)
			*dot = 0;
	}
	c->server_name = strdup(host[0] ? host : "localhost");
	c->socket_path = strdup("/run/mapix/mapixd.sock");
	c->data_dir = strdup("/var/lib/mapix/mapixd");
	c->pid_file = NULL;
	c->audit_path = strdup("/var/log/mapix/audit.log");
	c->audit_max_bytes = 10u * 1024 * 1024;
	c->audit_keep = 5;
	c->max_frame = MAPIX_PROTO_DEFAULT_MAX_FRAME;
	c->max_connections = 1024;
	c->max_handles = 4096;
	c->max_advises = 256;
	c->max_rows = 1000;
	c->io_timeout_ms = 30000;
	c->max_accounts = 100000;
	c->tls_priority = strdup(SRV_DEFAULT_TLS_PRIORITY);
	c->handshake_timeout_ms = 10000;
	c->max_hashing = 2;
	c->max_pending = 64;
	c->account_failures = 5;
	c->address_failures = 20;
	c->lockout_ms = 1000;
	c->max_lockout_ms = 900000;
	c->forget_ms = 900000;
	c->max_tracked = 65536;
	srv_lmtp_config_defaults(&c->lmtp);
}

void srv_config_free(srv_config *c)
{
	free(c->server_name);
	free(c->socket_path);
	free(c->data_dir);
	free(c->pid_file);
	free(c->audit_path);
	free(c->tcp_listen);
	free(c->tcp_address_file);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_priority);
	for (size_t i = 0; i < c->n_admins; i++)
		free(c->admins[i]);
	free(c->admins);
	srv_lmtp_config_free(&c->lmtp);
	memset(c, 0, sizeof *c);
}

static BOOL set_admins(srv_config *c, const char *v)
{
	for (size_t i = 0; i < c->n_admins; i++)
		free(c->admins[i]);
	free(c->admins);
	c->admins = NULL;
	c->n_admins = 0;
	char *copy = strdup(v);
	if (!copy)
		return FALSE;
	for (char *save = NULL, *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char **a = realloc(c->admins, (c->n_admins + 1) * sizeof *a);
		if (!a) {
			free(copy);
			return FALSE;
		}
		c->admins = a;
		c->admins[c->n_admins++] = strdup(tok);
	}
	free(copy);
	return TRUE;
}

/* Applies one key; FALSE with *why set when the key or value is wrong. */
static BOOL apply(srv_config *c, const char *section, const char *key, const char *v, char *why, size_t cap)
{
	uint32_t n;
	if (strcmp(section, "server") == 0) {
		if (strcmp(key, "name") == 0) {
			for (const char *p = v; *p; p++)
				if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_') {
					snprintf(why, cap, "server name \"%s\": only letters, digits, '-', '.', '_'", v);
					return FALSE;
				}
			if (!*v || strlen(v) > 64) {
				snprintf(why, cap, "server name must have 1 to 64 characters");
				return FALSE;
			}
			set_str(&c->server_name, v);
		} else if (strcmp(key, "socket") == 0) {
			set_str(&c->socket_path, v);
		} else if (strcmp(key, "data_dir") == 0) {
			set_str(&c->data_dir, v);
		} else if (strcmp(key, "pid_file") == 0) {
			set_str(&c->pid_file, v);
		} else {
			goto unknown;
		}
		return TRUE;
	}
	if (strcmp(section, "rights") == 0) {
		if (strcmp(key, "administrators") != 0)
			goto unknown;
		return set_admins(c, v);
	}
	if (strcmp(section, "audit") == 0) {
		if (strcmp(key, "file") == 0) {
			set_str(&c->audit_path, v);
		} else if (strcmp(key, "max_size") == 0) {
			if (!parse_u32(v, 4096, 0xFFFFFFFFu, &n))
				goto bad_value;
			c->audit_max_bytes = n;
		} else if (strcmp(key, "keep") == 0) {
			if (!parse_u32(v, 1, 100, &n))
				goto bad_value;
			c->audit_keep = n;
		} else {
			goto unknown;
		}
		return TRUE;
	}
	if (strcmp(section, "tcp") == 0) {
		if (strcmp(key, "listen") == 0) {
			if (!*v || !strrchr(v, ':')) {
				snprintf(why, cap, "[tcp] listen = %s: expected host:port", v);
				return FALSE;
			}
			set_str(&c->tcp_listen, v);
		} else if (strcmp(key, "address_file") == 0) {
			set_str(&c->tcp_address_file, v);
		} else if (strcmp(key, "certificate") == 0) {
			set_str(&c->tls_cert, v);
		} else if (strcmp(key, "key") == 0) {
			set_str(&c->tls_key, v);
		} else if (strcmp(key, "priority") == 0) {
			set_str(&c->tls_priority, v);
		} else if (strcmp(key, "handshake_timeout") == 0) {
			if (!parse_u32(v, 1, 3600, &n))
				goto bad_value;
			c->handshake_timeout_ms = n * 1000;
		} else if (strcmp(key, "max_pending") == 0) {
			if (!parse_u32(v, 1, 1000000, &n))
				goto bad_value;
			c->max_pending = n;
		} else if (strcmp(key, "max_hashing") == 0) {
			if (!parse_u32(v, 1, 256, &n))
				goto bad_value;
			c->max_hashing = n;
		} else {
			goto unknown;
		}
		return TRUE;
	}
	if (strcmp(section, "logon") == 0) {
		static const struct {
			const char *key;
			size_t off;
			uint32_t lo, hi, scale;
		} keys[] = {
			{"account_failures", offsetof(srv_config, account_failures), 1, 1000000, 1},
			{"address_failures", offsetof(srv_config, address_failures), 1, 1000000, 1},
			{"lockout", offsetof(srv_config, lockout_ms), 1, 86400, 1000},
			{"max_lockout", offsetof(srv_config, max_lockout_ms), 1, 86400, 1000},
			{"forget_after", offsetof(srv_config, forget_ms), 1, 86400 * 7, 1000},
			{"max_tracked", offsetof(srv_config, max_tracked), 16, 10000000, 1},
		};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(key, keys[i].key) == 0) {
				if (!parse_u32(v, keys[i].lo, keys[i].hi, &n)) {
					snprintf(why, cap, "[logon] %s = %s: expected a number from %u to %u", key, v,
					         (unsigned)keys[i].lo, (unsigned)keys[i].hi);
					return FALSE;
				}
				/* Times are given in seconds and kept in milliseconds. */
				uint64_t ms = (uint64_t)n * keys[i].scale;
				*(uint32_t *)((char *)c + keys[i].off) = (uint32_t)ms;
				return TRUE;
			}
		goto unknown;
	}
	if (strcmp(section, "limits") == 0) {
		static const struct {
			const char *key;
			size_t off;
			uint32_t lo, hi;
		} limits[] = {
			{"max_frame", offsetof(srv_config, max_frame), 65536, MAPIX_PROTO_MAX_FRAME_LIMIT},
			{"max_connections", offsetof(srv_config, max_connections), 1, 1000000},
			{"max_handles", offsetof(srv_config, max_handles), 16, 1000000},
			{"max_advises", offsetof(srv_config, max_advises), 1, 100000},
			{"max_rows", offsetof(srv_config, max_rows), 1, 1000000},
			{"io_timeout", offsetof(srv_config, io_timeout_ms), 1, 3600},
			{"max_accounts", offsetof(srv_config, max_accounts), 1, 100000000},
		};
		for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
			if (strcmp(key, limits[i].key) == 0) {
				if (!parse_u32(v, limits[i].lo, limits[i].hi, &n)) {
					snprintf(why, cap, "[limits] %s = %s: expected a number from %u to %u", key, v,
					         (unsigned)limits[i].lo, (unsigned)limits[i].hi);
					return FALSE;
				}
				if (strcmp(key, "io_timeout") == 0)
					n *= 1000;
				*(uint32_t *)((char *)c + limits[i].off) = n;
				return TRUE;
			}
		goto unknown;
	}
	if (strcmp(section, "quota") == 0) {
		uint64_t *slot = strcmp(key, "warning") == 0         ? &c->quota_warning
		               : strcmp(key, "limit") == 0           ? &c->quota_send
		               : strcmp(key, "receive_limit") == 0   ? &c->quota_receive
		                                                     : NULL;
		if (!slot)
			goto unknown;
		if (!srv_parse_size(v, slot))
			goto bad_value;
		return TRUE;
	}
	if (strcmp(section, "lmtp") == 0)
		return srv_lmtp_config_apply(&c->lmtp, key, v, why, cap);
	snprintf(why, cap, "unknown section [%s]", section);
	return FALSE;
unknown:
	snprintf(why, cap, "unknown key \"%s\" in [%s]", key, section);
	return FALSE;
bad_value:
	snprintf(why, cap, "[%s] %s: bad value \"%s\"", section, key, v);
	return FALSE;
}

HRESULT srv_config_load(const char *path, srv_config *c, char *why, size_t cap)
{
	defaults(c);
	if (!c->server_name || !c->socket_path || !c->data_dir || !c->audit_path || !c->tls_priority) {
		snprintf(why, cap, "out of memory");
		return MAPI_E_NOT_ENOUGH_MEMORY;
	}
	if (!path)
		return S_OK;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? MAPI_E_NOT_FOUND : MAPI_E_NO_ACCESS;
	}
	char line[4096], section[64] = "", msg_lmtp[512];
	unsigned lineno = 0;
	HRESULT hr = S_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		char msg[512] = "";
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (!end || end[1] || end - s - 1 >= (long)sizeof section) {
				snprintf(msg, sizeof msg, "malformed section header");
			} else {
				*end = 0;
				snprintf(section, sizeof section, "%s", trim(s + 1));
				continue;
			}
		} else {
			char *eq = strchr(s, '=');
			if (!eq)
				snprintf(msg, sizeof msg, "expected key = value");
			else if (!*section)
				snprintf(msg, sizeof msg, "key outside any section");
			else {
				*eq = 0;
				if (apply(c, section, trim(s), trim(eq + 1), msg, sizeof msg))
					continue;
			}
		}
		snprintf(why, cap, "%s:%u: %s", path, lineno, msg);
		hr = MAPI_E_INVALID_PARAMETER;
		break;
	}
	fclose(f);
	if (SUCCEEDED(hr) && c->tcp_listen && (!c->tls_cert || !c->tls_key)) {
		snprintf(why, cap, "%s: [tcp] listen needs certificate and key (TCP is TLS only)", path);
		hr = MAPI_E_INVALID_PARAMETER;
	}
	if (SUCCEEDED(hr) && !srv_lmtp_config_check(&c->lmtp, msg_lmtp, sizeof msg_lmtp)) {
		snprintf(why, cap, "%s: %s", path, msg_lmtp);
		hr = MAPI_E_INVALID_PARAMETER;
	}
	if (SUCCEEDED(hr) && c->max_lockout_ms < c->lockout_ms)
		c->max_lockout_ms = c->lockout_ms;
	return hr;
}
