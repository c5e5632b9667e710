/*
 * sockets.c — socket set-up shared by mapixd's listeners (sockets.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "sockets.h"

HRESULT srv_unix_clear_stale(const struct sockaddr_un *addr)
{
	struct stat st;
	if (lstat(addr->sun_path, &st) != 0)
		return S_OK;
	if (!S_ISSOCK(st.st_mode))
		return mapix_error(MAPI_E_COLLISION, "mapixd: %s exists and is not a socket", addr->sun_path);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof *addr) == 0) {
		close(probe);
		return mapix_error(MAPI_E_COLLISION, "mapixd: another server listens on %s", addr->sun_path);
	}
	if (probe >= 0)
		close(probe);
	unlink(addr->sun_path);
	return S_OK;
}

int srv_tcp_bind_first(const struct addrinfo *res, BOOL (*want)(const struct sockaddr *), int *err)
{
	int fd = -1;
	*err = 0;
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		if (want && !want(ai->ai_addr))
			continue;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			*err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			*err = errno;
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

void srv_format_address(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(out, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(out, cap, "?");
	}
}

HRESULT srv_write_address_file(int fd, const char *path)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char bound[96], tmp[4200];
	getsockname(fd, (struct sockaddr *)&ss, &len);
	srv_format_address((struct sockaddr *)&ss, bound, sizeof bound);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", bound) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
		return mapix_error(MAPI_E_CALL_FAILED, "mapixd: cannot write %s: %s", path, strerror(errno));
	return S_OK;
}

int srv_start_detached(void *(*fn)(void *), void *arg, size_t stack)
{
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	int rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}
