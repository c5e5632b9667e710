/*
 * mime-smime.c — S/MIME mail as MS-OXOSMIME maps it. A clear-signed
 * message (multipart/signed) becomes IPM.Note.SMIME.MultipartSigned with
 * the whole signed MIME entity kept byte for byte in one attachment
 * (multipart/signed), so the signature still verifies after export; the
 * signed content's bodies are promoted to the message for display. An
 * opaque-signed or encrypted message (application/pkcs7-mime) becomes
 * IPM.Note.SMIME with the CMS blob as its attachment and no body.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

static HRESULT add_blob(LPMESSAGE msg, const char *mime_tag, const char *filename, const guint8 *data, size_t len)
{
	LPATTACH att = NULL;
	ULONG num = 0;
	HRESULT hr = IMessage_CreateAttach(msg, NULL, 0, &num, &att);

	if (hr == S_OK) {
		SPropValue pv[2];
		pv[0].ulPropTag = PR_ATTACH_METHOD;
		pv[0].Value.l = ATTACH_BY_VALUE;
		pv[1].ulPropTag = PR_RENDERING_POSITION;
		pv[1].Value.l = -1;
		hr = mapix_mime_set_props((LPMAPIPROP)att, 2, pv);
	}
	if (hr == S_OK)
		hr = mapix_mime_set_utf8((LPMAPIPROP)att, PR_ATTACH_MIME_TAG_W, mime_tag, strlen(mime_tag));
	if (hr == S_OK)
		hr = mapix_mime_set_utf8((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, filename, strlen(filename));
	if (hr == S_OK)
		hr = mapix_mime_set_utf8((LPMAPIPROP)att, PR_DISPLAY_NAME_W, filename, strlen(filename));
	if (hr == S_OK)
		hr = mapix_mime_set_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, data, len);
	if (hr == S_OK)
		hr = IAttach_SaveChanges(att, KEEP_OPEN_READWRITE);
	if (att)
		IAttach_Release(att);
	return hr;
}

/*
 * The signed entity's bytes. At the top of the input they are copied from
 * the source itself: the entity's own header lines (their raw values) and
 * everything after the message's header block, byte for byte, whatever the
 * line endings. Deeper down (inside an embedded message) the parser's
 * offsets are not available; the entity is then written in the canonical
 * CRLF form that S/MIME signs (RFC 5751 3.1.1), so the signature verifies.
 */
static GByteArray *entity_bytes(mapix_mime_import *ctx, GMimeObject *obj)
{
	GByteArray *arr = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(arr);

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (ctx->depth == 0 && ctx->source && ctx->hdr_end >= 0) {
		GMimeHeaderList *list = g_mime_object_get_header_list(obj);
		int n = g_mime_header_list_get_count(list);
		for (int i = 0; i < n; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
			const char *raw = g_mime_header_get_raw_value(h);
			g_mime_stream_printf(mem, "%s:%s", g_mime_header_get_raw_name(h), raw ? raw : "\n");
		}
		GMimeStream *rest = g_mime_stream_substream(ctx->source, ctx->hdr_end, -1);
		g_mime_stream_write_to_stream(rest, mem);
		g_object_unref(rest);
	} else {
		GMimeFormatOptions *fmt = g_mime_format_options_new();
		g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
		g_mime_object_write_to_stream(obj, fmt, mem);
		g_mime_format_options_free(fmt);
	}
	g_object_unref(mem);
	return arr;
}

HRESULT mapix_mime_import_signed(mapix_mime_import *ctx, GMimeObject *signed_part, LPMESSAGE msg)
{
	GByteArray *raw = entity_bytes(ctx, signed_part);
	HRESULT hr;

	hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W, MAPIX_MIME_CLASS_SIGNED,
	                         strlen(MAPIX_MIME_CLASS_SIGNED));
	if (hr == S_OK)
		hr = add_blob(msg, "multipart/signed", "SMIME.txt", raw->data, raw->len);
	g_byte_array_unref(raw);
	/* MS-OXOSMIME 2.2.2.1: the first body part is treated as a complete
	 * message whose bodies are promoted. */
	GMimeObject *content = g_mime_multipart_get_count(GMIME_MULTIPART(signed_part)) > 0
	                           ? g_mime_multipart_get_part(GMIME_MULTIPART(signed_part), 0)
	                           : NULL;
	if (hr == S_OK && content) {
		BOOL saved = ctx->bodies_only;
		ctx->bodies_only = TRUE;
		hr = mapix_mime_import_body(ctx, content, msg);
		ctx->bodies_only = saved;
	}
	return hr;
}

HRESULT mapix_mime_import_opaque(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg)
{
	GByteArray *raw = mapix_mime_part_bytes(part, ctx);
	const char *name = g_mime_part_get_filename(GMIME_PART(part));
	HRESULT hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W, MAPIX_MIME_CLASS_OPAQUE,
	                                 strlen(MAPIX_MIME_CLASS_OPAQUE));
	if (hr == S_OK)
		hr = add_blob(msg, "application/pkcs7-mime", name ? name : "smime.p7m", raw->data, raw->len);
	g_byte_array_unref(raw);
	return hr;
}

/* Finds the S/MIME attachment of msg: its number, or -1. */
static LONG find_smime_attach(LPMESSAGE msg, const char *want_tag)
{
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(2, cols) = {2, {PR_ATTACH_NUM, PR_ATTACH_MIME_TAG_W}};
	LONG found = -1;

	if (IMessage_GetAttachmentTable(msg, MAPI_UNICODE, &table) != S_OK)
		return -1;
	if (HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows) == S_OK) {
		for (ULONG i = 0; i < rows->cRows && found < 0; i++) {
			LPSPropValue num = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ATTACH_NUM);
			LPSPropValue tag = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_ATTACH_MIME_TAG_W);
			if (!num || !tag)
				continue;
			char *t = mapix_mime_utf16_dup(tag->Value.lpszW);
			if (!g_ascii_strcasecmp(t, want_tag))
				found = num->Value.l;
			g_free(t);
		}
		FreeProws(rows);
	}
	IMAPITable_Release(table);
	return found;
}

GMimeObject *mapix_mime_export_smime_body(LPMESSAGE msg, GByteArray **raw, HRESULT *hr)
{
	LPSPropValue cls = NULL;
	ULONG tag = PR_MESSAGE_CLASS_W;
	BOOL is_signed = FALSE, is_opaque = FALSE;
	GMimeObject *out = NULL;

	*hr = S_OK;
	if (mapix_mime_get_props((LPMAPIPROP)msg, &tag, 1, &cls) == S_OK || cls) {
		if (cls && cls->ulPropTag == PR_MESSAGE_CLASS_W) {
			char *c = mapix_mime_utf16_dup(cls->Value.lpszW);
			is_signed = !g_ascii_strcasecmp(c, MAPIX_MIME_CLASS_SIGNED);
			is_opaque = !g_ascii_strcasecmp(c, MAPIX_MIME_CLASS_OPAQUE);
			g_free(c);
		}
		MAPIFreeBuffer(cls);
	}
	if (!is_signed && !is_opaque)
		return NULL;
	LONG num = find_smime_attach(msg, is_signed ? "multipart/signed" : "application/pkcs7-mime");
	if (num < 0 && is_signed)
		num = find_smime_attach(msg, "application/pkcs7-mime"); /* IPM.Note.SMIME.MultipartSigned may hold either */
	if (num < 0)
		return NULL; /* not the shape we know: export as ordinary mail */
	LPATTACH att = NULL;
	GByteArray *blob = NULL;
	if ((*hr = IMessage_OpenAttach(msg, (ULONG)num, NULL, 0, &att)) != S_OK)
		return NULL;
	*hr = mapix_mime_read_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, &blob);
	IAttach_Release(att);
	if (*hr != S_OK)
		return NULL;
	if (is_signed && raw) {
		*raw = blob;
		return NULL;
	}
	if (is_signed) {
		GMimeStream *mem = g_mime_stream_mem_new_with_buffer((const char *)blob->data, blob->len);
		GMimeParser *parser = g_mime_parser_new_with_stream(mem);
		g_mime_parser_set_persist_stream(parser, TRUE);
		out = g_mime_parser_construct_part(parser, NULL);
		g_object_unref(parser);
		g_object_unref(mem);
	} else {
		GMimeApplicationPkcs7Mime *p7 = g_mime_application_pkcs7_mime_new(GMIME_SECURE_MIME_TYPE_UNKNOWN);
		GMimeStream *mem = g_mime_stream_mem_new_with_buffer((const char *)blob->data, blob->len);
		GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(GMIME_PART(p7), dw);
		g_mime_part_set_content_encoding(GMIME_PART(p7), GMIME_CONTENT_ENCODING_BASE64);
		g_mime_part_set_filename(GMIME_PART(p7), "smime.p7m");
		g_object_unref(dw);
		g_object_unref(mem);
		out = GMIME_OBJECT(p7);
	}
	g_byte_array_unref(blob);
	return out;
}
