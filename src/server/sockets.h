/*
 * sockets.h — the socket work mapixd's two listeners (listener.c for the
 * mapix protocol, lmtp_listen.c for LMTP) have in common: replacing a dead
 * server's UNIX socket, binding the first usable TCP address, writing the
 * bound address for whoever started us, and starting a detached thread
 * per connection.
 */
#ifndef MAPIXD_SOCKETS_H
#define MAPIXD_SOCKETS_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <mapix/mapix.h>

/* A socket at addr's path left by a server that died is removed; a live
 * server's (connect succeeds) or a file that is not a socket is
 * MAPI_E_COLLISION. */
HRESULT srv_unix_clear_stale(const struct sockaddr_un *addr);

/* Binds and listens (non-blocking, close-on-exec, SO_REUSEADDR) on the
 * first address of `res` that `want` accepts (NULL: any); the socket, or -1
 * with *err the last errno (0 when no address was tried). */
int srv_tcp_bind_first(const struct addrinfo *res, BOOL (*want)(const struct sockaddr *), int *err);

/* "ip:port" or "[ip6]:port" of a socket address ("?" for other families). */
void srv_format_address(const struct sockaddr *sa, char *out, size_t cap);

/* Writes the address fd is bound to (srv_format_address) into `path`
 * through a temporary file and a rename: with port 0 the kernel picks the
 * port, and this tells whoever started us. */
HRESULT srv_write_address_file(int fd, const char *path);

/* Starts fn(arg) on a detached thread with `stack` bytes of stack; 0 or
 * pthread_create's error. */
int srv_start_detached(void *(*fn)(void *), void *arg, size_t stack);

#endif
