/*
 * cmd_runas.c — `mapix runas ARGS...`: only executes the mapix-runas
 * program with the same arguments (issue 8: the broker is its own small
 * binary, libc and PAM only, and the main CLI never does its work). The
 * process is replaced, so mapix-runas's own messages and exit status reach
 * the caller unchanged; this file only reports when it cannot be run.
 *
 * Which program: $MAPIX_RUNAS when set (tests, and running from a build
 * tree), else the installed one, MAPIX_RUNAS_PATH (the build passes
 * ${CMAKE_INSTALL_FULL_SBINDIR}/mapix-runas).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef MAPIX_RUNAS_PATH
/* Only when the build did not say: the default install prefix. */
#define MAPIX_RUNAS_PATH "/usr/local/sbin/mapix-runas"
#endif

int cmd_runas(int argc, char **argv)
{
	const char *path = getenv("MAPIX_RUNAS");
	if (!path || !*path)
		path = MAPIX_RUNAS_PATH;
	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (!args)
		return cli_error("runas: out of memory");
	args[0] = (char *)path;
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	fflush(NULL);
	execv(path, args);
	int err = errno;
	free(args);
	return cli_error("runas: cannot run %s: %s", path, strerror(err));
}
