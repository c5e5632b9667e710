/*
 * remote-tls.c — the remote provider's TCP transport: server addresses,
 * connecting with a timeout, the TLS handshake (GnuTLS, TLS 1.2 and 1.3)
 * and the verification of the server.
 *
 * Verification, by what the caller gave:
 *   - a CA file: the chain must lead to one of its certificates and the
 *     certificate must name the host of the address (GnuTLS checks both
 *     during the handshake);
 *   - a pinned key: the SHA-256 digest of the server certificate's
 *     SubjectPublicKeyInfo must equal the pin (then no CA is needed: the
 *     key identifies the server; with a CA file as well, both must pass);
 *   - neither: the system's trust store and the host name.
 * A server that fails is MAPI_E_LOGON_FAILED — the logon must not go on,
 * and retrying will not help — with GnuTLS's reason in the error text. A
 * server that cannot be reached, or a handshake that breaks (a plaintext
 * server, a timeout) is MAPI_E_NETWORK_ERROR.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "core/error.h"
#include "remote.h"

#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

BOOL remote_address_parse(const char *address, remote_address *out)
{
	memset(out, 0, sizeof *out);
	if (strncmp(address, "unix:", 5) == 0) {
		snprintf(out->path, sizeof out->path, "%s", address + 5);
		return strlen(address + 5) < sizeof out->path;
	}
	const char *spec = address;
	BOOL tcp = strncmp(address, "tcp:", 4) == 0;
	if (tcp)
		spec += 4;
	const char *colon = strrchr(spec, ':');
	BOOL port_ok = colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1) &&
	               strlen(colon + 1) <= 5 && atoi(colon + 1) > 0 && atoi(colon + 1) < 65536;
	/* A plain path stays a path: a slash, or no ":PORT" at its end. */
	if (!tcp && (strchr(spec, '/') || !port_ok)) {
		snprintf(out->path, sizeof out->path, "%s", address);
		return strlen(address) < sizeof out->path;
	}
	if (!port_ok)
		return FALSE;
	size_t n = (size_t)(colon - spec);
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof out->host)
		return FALSE;
	memcpy(out->host, spec, n);
	out->host[n] = 0;
	snprintf(out->port, sizeof out->port, "%s", colon + 1);
	out->tcp = TRUE;
	return TRUE;
}

/* Connects to one address with a deadline (the socket is non-blocking). */
static int connect_one(const struct addrinfo *ai, int timeout_ms, int *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			close(fd);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int rc;
		do
			rc = poll(&p, 1, timeout_ms);
		while (rc < 0 && errno == EINTR);
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (rc == 0) {
			*err = ETIMEDOUT;
			close(fd);
			return -1;
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr) {
			*err = rc < 0 ? errno : soerr ? soerr : EIO;
			close(fd);
			return -1;
		}
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Decodes a pin: 64 hex digits or base64 of 32 bytes. */
static BOOL parse_pin(const char *pin, BYTE out[32])
{
	if (strncasecmp(pin, "sha256//", 8) == 0)
		pin += 8;
	size_t n = strlen(pin);
	if (n == 64) {
		for (size_t i = 0; i < 32; i++) {
			unsigned v;
			char two[3] = {pin[2 * i], pin[2 * i + 1], 0};
			if (strspn(two, "0123456789abcdefABCDEF") != 2 || sscanf(two, "%2x", &v) != 1)
				return FALSE;
			out[i] = (BYTE)v;
		}
		return TRUE;
	}
	gnutls_datum_t in = {(unsigned char *)pin, (unsigned)n}, dec = {NULL, 0};
	if (gnutls_base64_decode2(&in, &dec) < 0)
		return FALSE;
	BOOL ok = dec.size == 32;
	if (ok)
		memcpy(out, dec.data, 32);
	gnutls_free(dec.data);
	return ok;
}

/* The SHA-256 of the peer certificate's SubjectPublicKeyInfo. */
static BOOL peer_pin(gnutls_session_t s, BYTE out[32])
{
	unsigned n = 0;
	const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t spki = {NULL, 0};
	BOOL ok = FALSE;
	if (certs && n && gnutls_x509_crt_init(&crt) == 0 &&
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 && gnutls_pubkey_init(&key) == 0 &&
	    gnutls_pubkey_import_x509(key, crt, 0) == 0 && gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &spki) == 0)
		ok = gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, out) == 0;
	gnutls_free(spki.data);
	if (key)
		gnutls_pubkey_deinit(key);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return ok;
}

static HRESULT verify_failed(const char *address, gnutls_session_t s)
{
	unsigned status = gnutls_session_get_verify_cert_status(s);
	gnutls_datum_t text = {NULL, 0};
	HRESULT hr;
	if (status && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0)
		hr = mapix_error(MAPI_E_LOGON_FAILED, "mapixd at %s: the server's certificate is not trusted: %s", address,
		                 (const char *)text.data);
	else
		hr = mapix_error(MAPI_E_LOGON_FAILED, "mapixd at %s: the server's certificate is not trusted", address);
	gnutls_free(text.data);
	return hr;
}

void remote_tls_close(remote_tls *t)
{
	if (t->session) {
		gnutls_bye(t->session, GNUTLS_SHUT_WR);
		gnutls_deinit(t->session);
	}
	if (t->creds)
		gnutls_certificate_free_credentials(t->creds);
	t->session = NULL;
	t->creds = NULL;
}

HRESULT remote_tls_connect(const char *address, const remote_address *ra, const remote_target *tg, int timeout_ms,
                           int *fd_out, remote_tls *out)
{
	BYTE pin[32];
	int rc, fd = -1, err = ECONNREFUSED;
	*fd_out = -1;
	memset(out, 0, sizeof *out);
	if (tg->pin && *tg->pin && !parse_pin(tg->pin, pin))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd at %s: the pinned key is neither 64 hex digits nor "
		                                             "base64 of a SHA-256 digest",
		                   address);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(ra->host, ra->port, &hints, &res)) != 0)
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd at %s cannot be reached: %s", address, gai_strerror(rc));
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, timeout_ms, &err);
	freeaddrinfo(res);
	if (fd < 0)
		return mapix_error(MAPI_E_NETWORK_ERROR, "mapixd at %s cannot be reached: %s", address, strerror(err));

	HRESULT hr = S_OK;
	if ((rc = gnutls_certificate_allocate_credentials(&out->creds)) < 0) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd at %s: TLS: %s", address, gnutls_strerror(rc));
		goto fail;
	}
	BOOL check_chain = (tg->ca_file && *tg->ca_file) || !(tg->pin && *tg->pin);
	if (tg->ca_file && *tg->ca_file) {
		rc = gnutls_certificate_set_x509_trust_file(out->creds, tg->ca_file, GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			hr = mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd at %s: no CA certificate could be read from %s%s%s",
			                 address, tg->ca_file, rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
			goto fail;
		}
	} else if (check_chain && (rc = gnutls_certificate_set_x509_system_trust(out->creds)) < 0) {
		hr = mapix_error(MAPI_E_LOGON_FAILED, "mapixd at %s: no CA file or pinned key is given and the system's "
		                                      "trust store cannot be read: %s",
		                 address, gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_init(&out->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) < 0 ||
	    (rc = gnutls_priority_set_direct(out->session, TLS_PRIORITY, NULL)) < 0 ||
	    (rc = gnutls_credentials_set(out->session, GNUTLS_CRD_CERTIFICATE, out->creds)) < 0) {
		hr = mapix_error(MAPI_E_CALL_FAILED, "mapixd at %s: TLS: %s", address, gnutls_strerror(rc));
		goto fail;
	}
	/* SNI takes host names only, never address literals. */
	struct in6_addr probe;
	if (!inet_pton(AF_INET, ra->host, &probe) && !inet_pton(AF_INET6, ra->host, &probe))
		gnutls_server_name_set(out->session, GNUTLS_NAME_DNS, ra->host, strlen(ra->host));
	if (check_chain)
		gnutls_session_set_verify_cert(out->session, ra->host, 0);
	gnutls_transport_set_int(out->session, fd);
	mapix_proto_io io = {fd, out->session};
	int grc = 0;
	if (FAILED(mapix_proto_tls_handshake(&io, timeout_ms, &grc))) {
		if (grc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR || grc == GNUTLS_E_CERTIFICATE_ERROR)
			hr = verify_failed(address, out->session);
		else {
			char why[512];
			snprintf(why, sizeof why, "%s", MAPIXGetLastErrorText());
			hr = mapix_error(MAPI_E_NETWORK_ERROR, "mapixd at %s: %s (is it a mapixd TLS port?)", address, why);
		}
		goto fail;
	}
	if (tg->pin && *tg->pin) {
		BYTE got[32];
		if (!peer_pin(out->session, got) || memcmp(got, pin, sizeof got) != 0) {
			gnutls_datum_t raw = {got, sizeof got}, b64 = {NULL, 0};
			gnutls_base64_encode2(&raw, &b64);
			hr = mapix_error(MAPI_E_LOGON_FAILED, "mapixd at %s: the server's key does not match the pinned key "
			                                      "(the server's is sha256//%s)",
			                 address, b64.data ? (const char *)b64.data : "?");
			gnutls_free(b64.data);
			goto fail;
		}
	}
	*fd_out = fd;
	return S_OK;
fail:
	remote_tls_close(out);
	close(fd);
	return hr;
}
