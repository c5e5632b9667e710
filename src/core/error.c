/*
 * error.c — per-thread last error (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>

#include "core/error.h"

static _Thread_local char last_text[512];
static _Thread_local HRESULT last_code;

HRESULT mapix_error(HRESULT hr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_text, sizeof last_text, fmt, ap);
	va_end(ap);
	last_code = hr;
	return hr;
}

void mapix_error_clear(void)
{
	last_text[0] = '\0';
	last_code = S_OK;
}

STDAPI_(const char *) MAPIXGetLastErrorText(void)
{
	return last_text;
}

STDAPI_(HRESULT) MAPIXGetLastErrorCode(void)
{
	return last_code;
}
