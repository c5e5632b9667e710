/*
 * proto_logon.c — the arguments of the password logon (MPX_OP_LOGON_PASSWORD),
 * the one request a TCP client sends before it has an identity. The server
 * parses it from anyone who completed a TLS handshake, so the checks are
 * strict and cheap, and happen before any password hashing: a name that
 * could not be an account, an empty or oversized password, or trailing
 * bytes make the request malformed (the connection ends). The fuzz target
 * tests/fuzz/fuzz_proto.c runs this decoder on its LOGON_PASSWORD frames.
 */
#include <string.h>

#include "core/error.h"
#include "core/proto.h"

HRESULT mapix_proto_put_logon(MAPIXWIREBUF *b, const char *account, const char *password)
{
	HRESULT hr = mapix_proto_put_str(b, account ? account : "");
	return FAILED(hr) ? hr : mapix_proto_put_str(b, password ? password : "");
}

/* The account-name rule of the directory (src/server/directory.c), which
 * the decoder applies so that no lookup is ever made for a name that
 * cannot exist. */
static BOOL valid_account(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64 || s[0] == '.' || s[0] == '-')
		return FALSE;
	for (; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-'))
			return FALSE;
	}
	return TRUE;
}

HRESULT mapix_proto_get_logon(MAPIXWIRECURSOR *c, mapix_proto_arena *a, char **account, char **password)
{
	HRESULT hr;
	*account = *password = NULL;
	/* The length prefixes are checked before the strings are copied, so an
	 * oversized password costs no allocation. */
	if (FAILED(hr = mapix_proto_get_str(c, a, account)))
		return hr;
	if (!valid_account(*account))
		return mapix_proto_corrupt(c, "logon account name");
	ULONG n;
	size_t at = c->off;
	if (FAILED(hr = mapix_wire_get_u32(c, &n)))
		return hr;
	if (n == 0 || n > MAPIX_PROTO_MAX_PASSWORD)
		return mapix_proto_corrupt(c, "logon password length");
	c->off = at;
	if (FAILED(hr = mapix_proto_get_str(c, a, password)))
		return hr;
	if (FAILED(hr = mapix_wire_get_end(c)))
		return hr;
	return S_OK;
}
