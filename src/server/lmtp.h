/*
 * lmtp.h — mapixd's LMTP delivery (RFC 2033): what the lmtp_*.c files
 * share with the rest of the server. Private to src/server/.
 *
 *   lmtp_proto.c    the protocol state machine (lmtp_proto.h; fuzzed)
 *   lmtp_config.c   the [lmtp] section of mapixd.conf
 *   lmtp_listen.c   the sockets, the connection threads, their I/O limits
 *   lmtp_deliver.c  recipients (directory, rights, quota), the spool file,
 *                   and the delivery of each copy into a receive folder
 */
#ifndef MAPIX_SERVER_LMTP_H
#define MAPIX_SERVER_LMTP_H

#include <stdint.h>
#include <sys/types.h>

#include <mapix/mapix.h>

typedef struct srv_lmtp_config {
	char *socket;          /* UNIX socket path (NULL: no UNIX listener) */
	uint32_t socket_mode;  /* its permission bits */
	char *socket_user;     /* its owner (chown; NULL: mapixd's user) */
	char *socket_group;    /* its group (NULL: mapixd's group) */
	char *listen;          /* loopback host:port (NULL: no TCP listener) */
	char *address_file;    /* written with the bound TCP host:port */
	char *tcp_identity;    /* the identity TCP clients act as */
	uint64_t max_size;     /* message bytes */
	uint32_t max_rcpts;    /* recipients per transaction */
	uint32_t max_line;     /* command line bytes */
	uint32_t timeout_ms;   /* waiting for a command, a piece of DATA, or the client to read */
	uint32_t max_connections;
	BOOL quota_tempfail;   /* over quota: 452 4.2.2 instead of 552 5.2.2 */
	BOOL received;         /* add a Received header */
} srv_lmtp_config;

void srv_lmtp_config_defaults(srv_lmtp_config *c);
void srv_lmtp_config_free(srv_lmtp_config *c);
/* One key of [lmtp]; FALSE with *why set for an unknown key or bad value. */
BOOL srv_lmtp_config_apply(srv_lmtp_config *c, const char *key, const char *v, char *why, size_t cap);
/* Checks the section as a whole once the file is read (a TCP listener
 * needs a loopback address and tcp_identity). */
BOOL srv_lmtp_config_check(const srv_lmtp_config *c, char *why, size_t cap);

struct srv_server;
struct srv_identity;
struct lmtp_session;
struct lmtp_backend;

/* Binds the configured LMTP sockets and starts accepting (own thread). */
HRESULT srv_lmtp_start(struct srv_server *s);
/* Stops accepting, ends every LMTP connection (a delivery in progress
 * finishes or is abandoned after a bounded wait). FALSE when a connection
 * did not end in time. */
BOOL srv_lmtp_stop(struct srv_server *s);

/* One LMTP connection's transactions (lmtp_deliver.c). */
typedef struct srv_lmtp_tx srv_lmtp_tx;
HRESULT srv_lmtp_tx_new(struct srv_server *s, const struct srv_identity *peer, const char *peer_desc,
                        srv_lmtp_tx **out);
void srv_lmtp_tx_free(srv_lmtp_tx *t);
/* The lmtp_backend callbacks on a srv_lmtp_tx context. */
extern const struct lmtp_backend srv_lmtp_backend;
/* Gives the transaction the session (for the LHLO name in Received). */
void srv_lmtp_tx_set_session(srv_lmtp_tx *t, struct lmtp_session *session);

#endif
