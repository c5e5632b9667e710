/*
 * runas_client.c — the client side of the pool protocol (libmapix-runas):
 * one RUN request with the caller's descriptors, one RESULT reply.
 */
#include "runas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

MAPIX_RUNAS_API int mapix_runas_pool_run(const char *socket_path, const char *user,
                                         const char *const argv[], const char *const env[],
                                         int in, int out, int err, int *status)
{
	runas_clear_error();
	*status = 125 << 8;
	if (!user || !argv || !argv[0] || !argv[0][0])
		return runas_fail(EINVAL, "runas: no user or command given");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return runas_fail(ENAMETOOLONG, "runas: socket path too long: %s", socket_path);
	strcpy(sa.sun_path, socket_path);
	struct runas_frame *f = runas_frame_new(RUNAS_MSG_RUN);
	if (!f)
		return -1;
	runas_frame_put_str(f, RUNAS_TAG_USER, user);
	for (size_t i = 0; argv[i]; i++)
		runas_frame_put_str(f, RUNAS_TAG_ARG, argv[i]);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "LANG=", 5) || !strncmp(env[i], "TZ=", 3) ||
		    !strncmp(env[i], "MAPIX_", 6))
			runas_frame_put_str(f, RUNAS_TAG_ENV, env[i]);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		free(f);
		return runas_fail(errno, "runas: socket: %s", strerror(errno));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		free(f);
		return runas_fail(e, "runas: cannot connect to %s: %s", socket_path, strerror(e));
	}
	int fds[3] = {in < 0 ? 0 : in, out < 0 ? 1 : out, err < 0 ? 2 : err};
	int rc = runas_frame_send(fd, f, fds, 3);
	int nfds, got[1];
	if (rc == 0) {
		rc = runas_frame_recv(fd, f, got, 0, &nfds);
		if (rc == 0)
			rc = runas_fail(ECONNRESET, "runas: the broker at %s closed the connection "
			                "(not an allowed identity, or a refused request)", socket_path);
		else if (rc > 0 && runas_frame_type(f) != RUNAS_MSG_RESULT)
			rc = runas_fail(EPROTO, "runas: unexpected reply from %s", socket_path);
		else if (rc > 0)
			rc = 0;
	}
	close(fd);
	if (rc < 0) {
		free(f);
		return -1;
	}
	uint32_t code = 0, sig = 0, e = 0;
	char *msg = NULL;
	size_t off = 0;
	struct runas_field fl;
	while (runas_frame_next(f, &off, &fl) > 0) {
		if (fl.tag == RUNAS_TAG_EXIT)
			runas_field_u32(&fl, &code);
		else if (fl.tag == RUNAS_TAG_SIGNAL)
			runas_field_u32(&fl, &sig);
		else if (fl.tag == RUNAS_TAG_ERRNO)
			runas_field_u32(&fl, &e);
		else if (fl.tag == RUNAS_TAG_ERROR && !msg)
			msg = runas_field_str(&fl);
	}
	free(f);
	*status = sig ? (int)(sig & 0x7f) : (int)((code & 0xff) << 8);
	if (msg) {
		runas_fail(e ? (int)e : EIO, "%s", msg);
		free(msg);
		return -1;
	}
	return 0;
}
