/*
 * mime-init.c — process-wide GMime start-up and the warning list every
 * conversion fills. GMime keeps global tables (charsets, iconv cache) that
 * g_mime_init builds once; mapix never shuts it down, because another part
 * of the process may still use it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void mime_init_once(void)
{
	g_mime_init();
}

void mapix_mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

void mapix_mime_warn(mapix_mime_warnings *w, const char *fmt, ...)
{
	va_list ap;

	if (!w)
		return;
	w->count++;
	if (w->count > MAPIX_MIME_MAX_WARNINGS)
		return;
	if (!w->text)
		w->text = g_string_new(NULL);
	va_start(ap, fmt);
	g_string_append_vprintf(w->text, fmt, ap);
	va_end(ap);
	g_string_append_c(w->text, '\n');
}

HRESULT mapix_mime_warnings_finish(mapix_mime_warnings *w, char **lppszWarnings)
{
	HRESULT hr = S_OK;

	if (lppszWarnings)
		*lppszWarnings = NULL;
	if (w->count > MAPIX_MIME_MAX_WARNINGS && w->text)
		g_string_append_printf(w->text, "(%u more warnings)\n", w->count - MAPIX_MIME_MAX_WARNINGS);
	if (lppszWarnings && w->text && w->text->len > 0) {
		char *out = NULL;
		if (MAPIAllocateBuffer((ULONG)w->text->len + 1, (LPVOID *)&out) != S_OK) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory for the warnings");
		} else {
			memcpy(out, w->text->str, w->text->len + 1);
			*lppszWarnings = out;
		}
	}
	if (w->text)
		g_string_free(w->text, TRUE);
	w->text = NULL;
	return hr;
}
