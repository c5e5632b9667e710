/*
 * tls.c — TLS on mapixd's TCP connections (GnuTLS).
 *
 * The certificate chain and key come from the PEM files of [tcp]
 * certificate and key, loaded once at start; the priority string
 * ([tcp] priority) allows TLS 1.2 and 1.3 only, and a configured one that
 * would allow anything older is refused at start.
 *
 * Where the handshake runs. The accept loop (listener.c) only accepts and
 * starts the connection's thread: it never reads from a client, so no
 * client can stall it. The handshake runs in the connection's own thread,
 * on a non-blocking socket (GnuTLS returns GNUTLS_E_AGAIN instead of
 * blocking, proto_frame.c waits with poll() and a deadline), bounded by
 * [tcp] handshake_timeout: a client that never finishes it loses its
 * connection, and costs no other client anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "core/error.h"
#include "server.h"

HRESULT srv_tls_init(srv_server *s)
{
	const srv_config *cfg = &s->cfg;
	const char *err = NULL;
	int rc;
	if ((rc = gnutls_priority_init(&s->tls_prio, cfg->tls_priority, &err)) != GNUTLS_E_SUCCESS)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [tcp] priority \"%s\": %s (near \"%s\")",
		                   cfg->tls_priority, gnutls_strerror(rc), err ? err : "");
	/* No protocol below TLS 1.2, whatever the priority string says. */
	const unsigned int *protos = NULL;
	int n = gnutls_priority_protocol_list(s->tls_prio, &protos);
	for (int i = 0; i < n; i++)
		if (protos[i] != GNUTLS_TLS1_2 && protos[i] != GNUTLS_TLS1_3) {
			gnutls_priority_deinit(s->tls_prio);
			s->tls_prio = NULL;
			return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: [tcp] priority \"%s\" allows %s; only TLS 1.2 "
			                                             "and 1.3 are accepted",
			                   cfg->tls_priority, gnutls_protocol_get_name(protos[i]));
		}
	if ((rc = gnutls_certificate_allocate_credentials(&s->tls_creds)) != GNUTLS_E_SUCCESS)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: TLS credentials: %s", gnutls_strerror(rc));
	rc = gnutls_certificate_set_x509_key_file2(s->tls_creds, cfg->tls_cert, cfg->tls_key, GNUTLS_X509_FMT_PEM, NULL,
	                                           0);
	if (rc < 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd: cannot load the TLS certificate %s and key %s: %s",
		                   cfg->tls_cert, cfg->tls_key, gnutls_strerror(rc));
	return S_OK;
}

void srv_tls_free(srv_server *s)
{
	if (s->tls_creds)
		gnutls_certificate_free_credentials(s->tls_creds);
	if (s->tls_prio)
		gnutls_priority_deinit(s->tls_prio);
	s->tls_creds = NULL;
	s->tls_prio = NULL;
}

HRESULT srv_tls_accept(srv_conn *c)
{
	srv_server *s = c->srv;
	gnutls_session_t session;
	int rc = gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (rc != GNUTLS_E_SUCCESS)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: TLS session: %s", gnutls_strerror(rc));
	if ((rc = gnutls_priority_set(session, s->tls_prio)) != GNUTLS_E_SUCCESS ||
	    (rc = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, s->tls_creds)) != GNUTLS_E_SUCCESS) {
		gnutls_deinit(session);
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: TLS session: %s", gnutls_strerror(rc));
	}
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(session, c->fd);
	c->io.tls = session;
	int64_t left = c->logon_deadline - srv_now_ms();
	HRESULT hr = mapix_proto_tls_handshake(&c->io, left > 0 ? (int)left : 0, NULL);
	if (FAILED(hr)) {
		/* The caller closes the connection (srv_tls_close frees the session). */
		return hr;
	}
	return S_OK;
}

void srv_tls_close(srv_conn *c)
{
	if (!c->io.tls)
		return;
	/* Best effort, never waiting: the socket is non-blocking. */
	gnutls_bye(c->io.tls, GNUTLS_SHUT_WR);
	gnutls_deinit(c->io.tls);
	c->io.tls = NULL;
}
