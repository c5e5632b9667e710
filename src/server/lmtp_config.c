/*
 * lmtp_config.c — the [lmtp] section of mapixd.conf (docs/mapixd.md,
 * "LMTP delivery"). No key set: no LMTP listener at all. Like the rest of
 * the file, an unknown key or a bad value is an error naming the line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lmtp.h"
#include "server.h"

void srv_lmtp_config_defaults(srv_lmtp_config *c)
{
	memset(c, 0, sizeof *c);
	c->socket_mode = 0666; /* who may deliver is decided per peer identity */
	c->max_size = 50u * 1024 * 1024;
	c->max_rcpts = 1000;
	c->max_line = 2048;
	c->timeout_ms = 300000; /* RFC 5321 4.5.3.2: five minutes for commands */
	c->max_connections = 64;
	c->received = TRUE;
}

void srv_lmtp_config_free(srv_lmtp_config *c)
{
	free(c->socket);
	free(c->socket_user);
	free(c->socket_group);
	free(c->listen);
	free(c->address_file);
	free(c->tcp_identity);
	memset(c, 0, sizeof *c);
}

static BOOL set(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
	return *slot != NULL;
}

static BOOL number(const char *v, unsigned long lo, unsigned long hi, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi || !isdigit((unsigned char)*v))
		return FALSE;
	*out = (uint32_t)n;
	return TRUE;
}

static BOOL boolean(const char *v, BOOL *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = TRUE;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = FALSE;
	else
		return FALSE;
	return TRUE;
}

BOOL srv_lmtp_config_apply(srv_lmtp_config *c, const char *key, const char *v, char *why, size_t cap)
{
	uint32_t n;
	BOOL ok;
	if (!strcmp(key, "socket"))
		ok = *v && set(&c->socket, v);
	else if (!strcmp(key, "socket_mode")) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		ok = *v && !*end && m <= 0777;
		c->socket_mode = (uint32_t)m;
	} else if (!strcmp(key, "socket_user"))
		ok = *v && set(&c->socket_user, v);
	else if (!strcmp(key, "socket_group"))
		ok = *v && set(&c->socket_group, v);
	else if (!strcmp(key, "listen"))
		ok = *v && strrchr(v, ':') && set(&c->listen, v);
	else if (!strcmp(key, "address_file"))
		ok = *v && set(&c->address_file, v);
	else if (!strcmp(key, "tcp_identity"))
		ok = *v && strlen(v) < 80 && set(&c->tcp_identity, v);
	else if (!strcmp(key, "max_message_size"))
		ok = srv_parse_size(v, &c->max_size) && c->max_size > 0;
	else if (!strcmp(key, "max_recipients"))
		ok = number(v, 1, 100000, &c->max_rcpts);
	else if (!strcmp(key, "max_line"))
		ok = number(v, 512, 1048576, &c->max_line);
	else if (!strcmp(key, "timeout")) {
		ok = number(v, 1, 86400, &n);
		c->timeout_ms = n * 1000;
	} else if (!strcmp(key, "max_connections"))
		ok = number(v, 1, 100000, &c->max_connections);
	else if (!strcmp(key, "quota_tempfail"))
		ok = boolean(v, &c->quota_tempfail);
	else if (!strcmp(key, "received_header"))
		ok = boolean(v, &c->received);
	else {
		snprintf(why, cap, "unknown key \"%s\" in [lmtp]", key);
		return FALSE;
	}
	if (!ok)
		snprintf(why, cap, "[lmtp] %s: bad value \"%s\"", key, v);
	return ok;
}

/* Whether host is a loopback address (127.0.0.0/8, ::1) or "localhost". */
static BOOL loopback(const char *spec)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	size_t n = (size_t)(colon - spec);
	if (n && spec[0] == '[' && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (!n || n >= sizeof host)
		return FALSE;
	memcpy(host, spec, n);
	host[n] = 0;
	if (!strcasecmp(host, "localhost"))
		return TRUE;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

BOOL srv_lmtp_config_check(const srv_lmtp_config *c, char *why, size_t cap)
{
	if (!c->listen)
		return TRUE;
	/* LMTP has no authentication Postfix would use: a TCP client is
	 * trusted as tcp_identity, which is only sound if nobody but local
	 * processes can connect. */
	if (!loopback(c->listen)) {
		snprintf(why, cap, "[lmtp] listen = %s: LMTP over TCP listens on loopback only (127.0.0.1, ::1)", c->listen);
		return FALSE;
	}
	if (!c->tcp_identity) {
		snprintf(why, cap, "[lmtp] listen needs tcp_identity (the identity TCP clients deliver as)");
		return FALSE;
	}
	return TRUE;
}
