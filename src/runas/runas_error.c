/*
 * runas_error.c — the per-thread failure message of libmapix-runas
 * (mapix_runas_last_error). The library never prints; the program prints
 * this message as its one-line error.
 */
#include "runas.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char runas_message[512];

int runas_fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(runas_message, sizeof(runas_message), fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

void runas_clear_error(void)
{
	runas_message[0] = 0;
}

MAPIX_RUNAS_API const char *mapix_runas_last_error(void)
{
	return runas_message;
}
