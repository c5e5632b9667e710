/*
 * mime-export-body.c — the MIME body tree of an exported message:
 *
 *   multipart/mixed                      (only when there are attachments)
 *     multipart/alternative              (only when there are both bodies)
 *       text/plain                       PR_BODY
 *       multipart/related                (only with inline resources)
 *         text/html                      PR_HTML
 *         image/... Content-ID           hidden / ATT_MHTML_REF attachments
 *     application/... attachment         by-value attachments
 *     message/rfc822                     embedded messages, recursively
 *
 * S/MIME messages instead give back their stored entity unchanged.
 *
 * Values too large for GetProps (big attachments, long bodies) are not read
 * here: their parts get a property stream (mime-export-stream.c) that GMime
 * reads while it writes, so memory stays bounded by the pieces in flight.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

static GMimeObject *text_part(const char *subtype, const char *utf8, size_t len)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	char *s = g_strndup(utf8, len);
	g_mime_text_part_set_text(tp, s);
	g_free(s);
	GMimePart *p = GMIME_PART(tp);
	g_mime_part_set_content_encoding(p, g_mime_part_get_best_content_encoding(p, GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT(tp);
}

/* A text part whose UTF-8 content is read while the part is written. */
static GMimeObject *streamed_text_part(mapix_mime_export *ctx, const char *subtype, GMimeStream *content)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	GMimePart *p = GMIME_PART(tp);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(content, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(p, dw);
	g_object_unref(dw);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(tp), "charset", "utf-8");
	/* One pass over the value, in pieces, to choose 7bit, QP or base64. */
	g_mime_part_set_content_encoding(p, g_mime_part_get_best_content_encoding(p, GMIME_ENCODING_CONSTRAINT_7BIT));
	g_ptr_array_add(ctx->streams, g_object_ref(content));
	return GMIME_OBJECT(tp);
}

/* Boundaries are derived from the message (ctx->boundary_seed) and the
 * part's place in it rather than drawn at random, so that exporting the
 * same message twice gives the same bytes (export, import and export again
 * is a fixed point). A collision needs a body that contains this very
 * boundary, which random boundaries do not rule out either. */
static GMimeMultipart *multipart(mapix_mime_export *ctx, const char *subtype)
{
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype(subtype);
	char *in = g_strdup_printf("%s:%d:%u", ctx->boundary_seed ? ctx->boundary_seed : "", ctx->depth,
	                           ctx->boundary_count++);
	char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, in, -1);
	char *boundary = g_strdup_printf("=-mapix-%.32s", sum);
	g_mime_multipart_set_boundary(mp, boundary);
	g_free(boundary);
	g_free(sum);
	g_free(in);
	return mp;
}

typedef struct att_info {
	ULONG num;
	BOOL related;
} att_info;

enum { A_NUM, A_METHOD, A_FLAGS, A_HIDDEN, A_CID, A_LOC, A_COUNT };

static HRESULT list_attachments(LPMESSAGE msg, BOOL have_html, GArray *out)
{
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(A_COUNT, cols) = {A_COUNT,
	                                     {PR_ATTACH_NUM, PR_ATTACH_METHOD, PR_ATTACH_FLAGS, PR_ATTACHMENT_HIDDEN,
	                                      PR_ATTACH_CONTENT_ID_W, PR_ATTACH_CONTENT_LOCATION_W}};
	HRESULT hr = IMessage_GetAttachmentTable(msg, MAPI_UNICODE, &table);

	if (hr != S_OK)
		return hr;
	hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	IMAPITable_Release(table);
	if (hr != S_OK)
		return hr;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue r = rows->aRow[i].lpProps;
		ULONG n = rows->aRow[i].cValues;
		LPSPropValue num = mapix_mime_find(r, n, PR_ATTACH_NUM);
		LPSPropValue flags = mapix_mime_find(r, n, PR_ATTACH_FLAGS);
		LPSPropValue hidden = mapix_mime_find(r, n, PR_ATTACHMENT_HIDDEN);
		BOOL has_ref = mapix_mime_find(r, n, PR_ATTACH_CONTENT_ID_W) || mapix_mime_find(r, n, PR_ATTACH_CONTENT_LOCATION_W);
		if (!num)
			continue;
		att_info a = {.num = (ULONG)num->Value.l};
		a.related = have_html && has_ref &&
		            ((flags && (flags->Value.l & ATT_MHTML_REF)) || (hidden && hidden->Value.b));
		g_array_append_val(out, a);
	}
	FreeProws(rows);
	return S_OK;
}

static char *attach_str(LPSPropValue v, ULONG n, ULONG tag)
{
	LPSPropValue p = mapix_mime_find(v, n, tag);
	return p ? mapix_mime_utf16_dup(p->Value.lpszW) : NULL;
}

enum { B_METHOD, B_LONGNAME, B_NAME, B_DISPLAY, B_MIME, B_CID, B_LOC, B_COUNT };

static HRESULT export_attachment(mapix_mime_export *ctx, LPMESSAGE msg, const att_info *a, GMimeObject **out)
{
	static const ULONG tags[B_COUNT] = {PR_ATTACH_METHOD,       PR_ATTACH_LONG_FILENAME_W, PR_ATTACH_FILENAME_W,
	                                    PR_DISPLAY_NAME_W,      PR_ATTACH_MIME_TAG_W,      PR_ATTACH_CONTENT_ID_W,
	                                    PR_ATTACH_CONTENT_LOCATION_W};
	LPATTACH att = NULL;
	LPSPropValue v = NULL;
	HRESULT hr;

	*out = NULL;
	if ((hr = IMessage_OpenAttach(msg, a->num, NULL, 0, &att)) != S_OK)
		return hr;
	hr = mapix_mime_get_props((LPMAPIPROP)att, tags, B_COUNT, &v);
	if (FAILED(hr)) {
		IAttach_Release(att);
		return hr;
	}
	hr = S_OK;
	LONG method = v[B_METHOD].ulPropTag == PR_ATTACH_METHOD ? v[B_METHOD].Value.l : (LONG)ATTACH_BY_VALUE;
	char *filename = attach_str(v, B_COUNT, PR_ATTACH_LONG_FILENAME_W);
	if (!filename)
		filename = attach_str(v, B_COUNT, PR_ATTACH_FILENAME_W);
	char *mime = attach_str(v, B_COUNT, PR_ATTACH_MIME_TAG_W);
	char *cid = attach_str(v, B_COUNT, PR_ATTACH_CONTENT_ID_W);
	char *loc = attach_str(v, B_COUNT, PR_ATTACH_CONTENT_LOCATION_W);

	if (method == ATTACH_EMBEDDED_MSG) {
		LPMESSAGE emb = NULL;
		hr = IAttach_OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0, (LPUNKNOWN *)&emb);
		if (hr == S_OK && ctx->depth >= MAPIX_MIME_MAX_DEPTH)
			hr = mapix_error(MAPI_E_TOO_COMPLEX, "mapix_message_to_mime: embedded messages nested too deep");
		if (hr == S_OK) {
			GMimeMessage *inner = NULL;
			ctx->depth++;
			hr = mapix_mime_export_message(ctx, emb, &inner);
			ctx->depth--;
			if (hr == S_OK) {
				GMimeMessagePart *mp = g_mime_message_part_new_with_message("rfc822", inner);
				g_object_unref(inner);
				if (filename)
					g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(mp), "filename", filename);
				*out = GMIME_OBJECT(mp);
			}
		}
		if (emb)
			g_ptr_array_add(ctx->keep, emb);
	} else {
		GByteArray *data = NULL;
		GMimeStream *large = NULL;
		hr = mapix_mime_open_value((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, &data, &large);
		if (hr == MAPI_E_NOT_FOUND) {
			data = g_byte_array_new();
			hr = S_OK;
		}
		if (hr == S_OK) {
			GMimeContentType *ct = g_mime_content_type_parse(NULL, mime && strchr(mime, '/') ? mime
			                                                                               : "application/octet-stream");
			GMimePart *part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
			                                            g_mime_content_type_get_media_subtype(ct));
			BOOL is_text = !g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct), "text");
			g_object_unref(ct);
			GMimeStream *content = large ? large : g_mime_stream_mem_new_with_byte_array(data);
			GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(content, GMIME_CONTENT_ENCODING_DEFAULT);
			g_mime_part_set_content(part, dw);
			g_object_unref(dw);
			if (large)
				g_ptr_array_add(ctx->streams, large); /* takes the reference */
			else
				g_object_unref(content);
			g_mime_object_set_disposition(GMIME_OBJECT(part), a->related || (cid && !filename)
			                                                      ? GMIME_DISPOSITION_INLINE
			                                                      : GMIME_DISPOSITION_ATTACHMENT);
			if (filename)
				g_mime_part_set_filename(part, filename);
			if (cid)
				g_mime_object_set_content_id(GMIME_OBJECT(part), cid);
			if (loc)
				g_mime_part_set_content_location(part, loc);
			/* A large binary value is base64 without a scan: reading it
			 * twice from the store would only confirm that. */
			g_mime_part_set_content_encoding(part, large && !is_text
			                                           ? GMIME_CONTENT_ENCODING_BASE64
			                                           : g_mime_part_get_best_content_encoding(
			                                                 part, GMIME_ENCODING_CONSTRAINT_7BIT));
			*out = GMIME_OBJECT(part);
		}
	}
	g_free(filename);
	g_free(mime);
	g_free(cid);
	g_free(loc);
	MAPIFreeBuffer(v);
	/* Kept open until the message is written: streams in the tree read
	 * from the attachment (and from what an embedded message holds). */
	g_ptr_array_add(ctx->keep, att);
	return hr;
}

HRESULT mapix_mime_export_body(mapix_mime_export *ctx, LPMESSAGE msg, GMimeObject **out)
{
	GByteArray *text = NULL, *html = NULL;
	GMimeStream *text_stream = NULL, *html_stream = NULL;
	GArray *atts = g_array_new(FALSE, FALSE, sizeof(att_info));
	GMimeObject *body = NULL, *html_node = NULL;
	GMimeMultipart *related = NULL, *mixed = NULL;
	HRESULT hr;

	*out = NULL;
	body = mapix_mime_export_smime_body(msg, ctx->depth == 0 ? &ctx->raw_entity : NULL, &hr);
	if (hr != S_OK || body || ctx->raw_entity) {
		g_array_free(atts, TRUE);
		*out = body;
		return hr;
	}
	if ((hr = mapix_mime_open_value((LPMAPIPROP)msg, PR_BODY_W, &text, &text_stream)) == MAPI_E_NOT_FOUND)
		hr = S_OK;
	if (hr == S_OK &&
	    (hr = mapix_mime_open_value((LPMAPIPROP)msg, PR_HTML, &html, &html_stream)) == MAPI_E_NOT_FOUND)
		hr = S_OK;
	BOOL have_text = text || text_stream, have_html = html || html_stream;
	if (hr == S_OK)
		hr = list_attachments(msg, have_html, atts);
	for (guint i = 0; hr == S_OK && i < atts->len; i++) {
		att_info *a = &g_array_index(atts, att_info, i);
		GMimeObject *part = NULL;
		hr = export_attachment(ctx, msg, a, &part);
		if (hr != S_OK || !part)
			break;
		GMimeMultipart **into = a->related ? &related : &mixed;
		if (!*into)
			*into = multipart(ctx, a->related ? "related" : "mixed");
		g_mime_multipart_add(*into, part);
		g_object_unref(part);
	}
	if (hr == S_OK) {
		if (have_html) {
			if (html_stream) {
				html_node = streamed_text_part(ctx, "html", html_stream);
			} else {
				char *s = mapix_mime_to_utf8((const char *)html->data, html->len, "utf-8", NULL, &(size_t){0});
				html_node = text_part("html", s, strlen(s));
				g_free(s);
			}
			if (related) {
				g_mime_multipart_insert(related, 0, html_node);
				g_object_unref(html_node);
				g_mime_object_set_content_type_parameter(GMIME_OBJECT(related), "type", "text/html");
				html_node = GMIME_OBJECT(related);
				related = NULL;
			}
		}
		if (have_text && html_node) {
			GMimeMultipart *alt = multipart(ctx, "alternative");
			GMimeObject *tp = text_stream ? streamed_text_part(ctx, "plain", text_stream)
			                              : text_part("plain", (const char *)text->data, text->len);
			g_mime_multipart_add(alt, tp);
			g_mime_multipart_add(alt, html_node);
			g_object_unref(tp);
			g_object_unref(html_node);
			body = GMIME_OBJECT(alt);
		} else if (html_node) {
			body = html_node;
		} else if (text_stream) {
			body = streamed_text_part(ctx, "plain", text_stream);
		} else if (text || !mixed) {
			body = text_part("plain", text ? (const char *)text->data : "", text ? text->len : 0);
		}
		if (mixed) {
			if (body) {
				g_mime_multipart_insert(mixed, 0, body);
				g_object_unref(body);
			}
			body = GMIME_OBJECT(mixed);
			mixed = NULL;
		}
		*out = body;
	}
	if (related)
		g_object_unref(related);
	if (mixed)
		g_object_unref(mixed);
	if (text)
		g_byte_array_unref(text);
	if (html)
		g_byte_array_unref(html);
	if (text_stream)
		g_object_unref(text_stream);
	if (html_stream)
		g_object_unref(html_stream);
	g_array_free(atts, TRUE);
	return hr;
}
