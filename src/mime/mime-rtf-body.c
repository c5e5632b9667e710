/*
 * mime-rtf-body.c — bodies derived from PR_RTF_COMPRESSED after an import.
 * TNEF mail from Outlook often carries its body only as compressed RTF;
 * MAPI clients and the MIME export want PR_HTML or PR_BODY. The RTF stays
 * as it is; the derived bodies are added where missing.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime-rtf.h"

HRESULT mapix_mime_bodies_from_rtf(LPMESSAGE msg, mapix_mime_warnings *w)
{
	GByteArray *comp = NULL, *rtf = NULL, *probe = NULL;
	BOOL have_body, have_html;
	HRESULT hr;

	if (mapix_mime_read_binary((LPMAPIPROP)msg, PR_RTF_COMPRESSED, &comp) != S_OK)
		return S_OK;
	have_body = mapix_mime_read_utf8((LPMAPIPROP)msg, PR_BODY_W, &probe) == S_OK;
	if (probe)
		g_byte_array_unref(probe);
	probe = NULL;
	have_html = mapix_mime_read_binary((LPMAPIPROP)msg, PR_HTML, &probe) == S_OK;
	if (probe)
		g_byte_array_unref(probe);
	if (have_body && have_html) {
		g_byte_array_unref(comp);
		return S_OK;
	}
	hr = mapix_rtf_decompress_bytes(comp->data, comp->len, &rtf);
	g_byte_array_unref(comp);
	if (hr != S_OK) {
		mapix_mime_warn(w, "the RTF body is damaged; no body was derived from it");
		return S_OK;
	}
	ULONG kind = 0;
	size_t n = 0;
	char *body = mapix_rtf_extract(rtf->data, rtf->len, &kind, &n);
	hr = S_OK;
	if (kind == MAPIX_RTF_HTML && !have_html)
		hr = mapix_mime_set_binary((LPMAPIPROP)msg, PR_HTML, body, n);
	else if (kind == MAPIX_RTF_TEXT && !have_body)
		hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_BODY_W, body, n);
	g_free(body);
	g_byte_array_unref(rtf);
	return hr;
}
