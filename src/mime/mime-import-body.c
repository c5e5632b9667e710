/*
 * mime-import-body.c — the MIME body tree of a message to MAPI: the text
 * and HTML bodies (from multipart/alternative or single parts), related
 * parts (inline images with Content-ID) and other leaves as attachments,
 * message/rfc822 parts as embedded messages, and the hand-off to S/MIME
 * and TNEF. The rules follow MS-OXCMAIL 2.2.3.3-2.2.3.4 where they are
 * clear; where mail is ambiguous, no content is dropped: anything that is
 * not taken as a body becomes an attachment.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

typedef struct body_walk {
	BOOL have_text, have_html;
	BOOL in_alternative;
	BOOL top; /* the object is the message's own body */
	int depth;
} body_walk;

static BOOL is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	return g_mime_content_type_is_type(g_mime_object_get_content_type(obj), type, subtype);
}

static BOOL is_attachment_disposition(GMimeObject *obj)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	return d && g_mime_content_disposition_is_attachment(d);
}

static HRESULT take_text(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg, body_walk *bw)
{
	size_t len = 0;
	char *text = mapix_mime_part_text(part, ctx, &len);
	HRESULT hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_BODY_W, text, len);
	g_free(text);
	bw->have_text = TRUE;
	return hr;
}

static HRESULT take_html(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg, body_walk *bw)
{
	size_t len = 0;
	char *html = mapix_mime_part_text(part, ctx, &len);
	HRESULT hr = mapix_mime_set_binary((LPMAPIPROP)msg, PR_HTML, html, len);
	g_free(html);
	bw->have_html = TRUE;
	return hr;
}

/* The serialized entity of obj (headers and body), for parts kept whole. */
static GByteArray *entity_bytes(GMimeObject *obj)
{
	GByteArray *arr = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_object_write_to_stream(obj, NULL, mem);
	g_object_unref(mem);
	return arr;
}

static HRESULT set_attach_str(LPATTACH att, ULONG tag, const char *v)
{
	if (!v)
		return S_OK;
	char *valid = g_utf8_make_valid(v, -1);
	HRESULT hr = mapix_mime_set_utf8((LPMAPIPROP)att, tag, valid, strlen(valid));
	g_free(valid);
	return hr;
}

/* The content of a leaf part when it is large enough to be decoded
 * straight into the store (its encoded form at least
 * MAPIX_MIME_STREAM_THRESHOLD bytes), else NULL: small content is decoded
 * into memory and set with SetProps, which costs the store less. */
static GMimeDataWrapper *large_content(GMimeObject *part)
{
	GMimeDataWrapper *dw = GMIME_IS_PART(part) ? g_mime_part_get_content(GMIME_PART(part)) : NULL;
	GMimeStream *src = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
	gint64 len = src ? g_mime_stream_length(src) : -1;
	return len >= (gint64)MAPIX_MIME_STREAM_THRESHOLD ? dw : NULL;
}

HRESULT mapix_mime_import_attachment(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg, BOOL related,
                                     GByteArray *data)
{
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	char *mime_type = NULL;
	const char *filename = GMIME_IS_PART(part) ? g_mime_part_get_filename(GMIME_PART(part)) : NULL;
	const char *cid = g_mime_object_get_content_id(part);
	const char *location = GMIME_IS_PART(part) ? g_mime_part_get_content_location(GMIME_PART(part)) : NULL;
	GMimeDataWrapper *streamed = NULL;
	GByteArray *bytes = NULL;
	LPATTACH att = NULL;
	ULONG num = 0;
	HRESULT hr;

	if (ctx->bodies_only)
		return S_OK;
	if (data)
		bytes = g_byte_array_ref(data);
	else if ((streamed = large_content(part)) != NULL)
		mapix_mime_check_encoding(streamed, ctx->warnings);
	else
		bytes = GMIME_IS_PART(part) ? mapix_mime_part_bytes(part, ctx) : entity_bytes(part);
	if (ct) {
		char *tmp = g_mime_content_type_get_mime_type(ct);
		mime_type = g_ascii_strdown(tmp, -1);
		g_free(tmp);
	} else {
		mime_type = g_strdup("application/octet-stream");
	}
	hr = IMessage_CreateAttach(msg, NULL, 0, &num, &att);
	if (hr == S_OK) {
		SPropValue pv[4];
		ULONG flags = related && (cid || location) ? ATT_MHTML_REF : 0;
		pv[0].ulPropTag = PR_ATTACH_METHOD;
		pv[0].Value.l = ATTACH_BY_VALUE;
		pv[1].ulPropTag = PR_RENDERING_POSITION;
		pv[1].Value.l = -1;
		pv[2].ulPropTag = PR_ATTACH_FLAGS;
		pv[2].Value.l = (LONG)flags;
		pv[3].ulPropTag = PR_ATTACHMENT_HIDDEN;
		pv[3].Value.b = (unsigned short)(related && (cid || location) ? 1 : 0);
		hr = mapix_mime_set_props((LPMAPIPROP)att, 4, pv);
	}
	if (hr == S_OK)
		hr = set_attach_str(att, PR_ATTACH_MIME_TAG_W, mime_type);
	if (hr == S_OK && filename) {
		const char *dot = strrchr(filename, '.');
		hr = set_attach_str(att, PR_ATTACH_LONG_FILENAME_W, filename);
		if (hr == S_OK)
			hr = set_attach_str(att, PR_DISPLAY_NAME_W, filename);
		if (hr == S_OK && dot && dot[1])
			hr = set_attach_str(att, PR_ATTACH_EXTENSION_W, dot);
	}
	if (hr == S_OK && cid)
		hr = set_attach_str(att, PR_ATTACH_CONTENT_ID_W, cid);
	if (hr == S_OK && location)
		hr = set_attach_str(att, PR_ATTACH_CONTENT_LOCATION_W, location);
	if (hr == S_OK && streamed)
		hr = mapix_mime_decode_to_prop((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, streamed, ctx->warnings);
	else if (hr == S_OK)
		hr = mapix_mime_set_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, bytes->data, bytes->len);
	if (hr == S_OK)
		hr = IAttach_SaveChanges(att, KEEP_OPEN_READWRITE);
	if (att)
		IAttach_Release(att);
	if (bytes)
		g_byte_array_unref(bytes);
	g_free(mime_type);
	return hr;
}

static HRESULT add_embedded(mapix_mime_import *ctx, GMimeObject *obj, LPMESSAGE msg)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	LPATTACH att = NULL;
	LPMESSAGE emb = NULL;
	ULONG num = 0;
	HRESULT hr;

	if (ctx->bodies_only)
		return S_OK;
	if (!inner) {
		mapix_mime_warn(ctx->warnings, "message/rfc822 part without a message");
		return mapix_mime_import_attachment(ctx, obj, msg, FALSE, NULL);
	}
	if (ctx->depth >= MAPIX_MIME_MAX_DEPTH) {
		mapix_mime_warn(ctx->warnings, "embedded messages nested too deep; kept as a plain attachment");
		GByteArray *raw = entity_bytes(GMIME_OBJECT(inner));
		hr = mapix_mime_import_attachment(ctx, obj, msg, FALSE, raw);
		g_byte_array_unref(raw);
		return hr;
	}
	hr = IMessage_CreateAttach(msg, NULL, 0, &num, &att);
	if (hr == S_OK) {
		SPropValue pv[2];
		pv[0].ulPropTag = PR_ATTACH_METHOD;
		pv[0].Value.l = ATTACH_EMBEDDED_MSG;
		pv[1].ulPropTag = PR_RENDERING_POSITION;
		pv[1].Value.l = -1;
		hr = mapix_mime_set_props((LPMAPIPROP)att, 2, pv);
	}
	if (hr == S_OK)
		hr = set_attach_str(att, PR_ATTACH_MIME_TAG_W, "message/rfc822");
	if (hr == S_OK) {
		const char *subj = g_mime_message_get_subject(inner);
		hr = set_attach_str(att, PR_DISPLAY_NAME_W, subj ? subj : "");
	}
	if (hr == S_OK && GMIME_IS_PART(obj) && g_mime_part_get_filename(GMIME_PART(obj)))
		hr = set_attach_str(att, PR_ATTACH_LONG_FILENAME_W, g_mime_part_get_filename(GMIME_PART(obj)));
	if (hr == S_OK)
		hr = IAttach_OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
		                          (LPUNKNOWN *)&emb);
	if (hr == S_OK) {
		ctx->depth++;
		hr = mapix_mime_import_message(ctx, inner, -1, -1, emb);
		ctx->depth--;
	}
	if (hr == S_OK)
		hr = IMessage_SaveChanges(emb, KEEP_OPEN_READWRITE);
	if (emb)
		IMessage_Release(emb);
	if (hr == S_OK)
		hr = IAttach_SaveChanges(att, KEEP_OPEN_READWRITE);
	if (att)
		IAttach_Release(att);
	return hr;
}

static HRESULT walk(mapix_mime_import *ctx, GMimeObject *obj, LPMESSAGE msg, body_walk *bw);

static HRESULT walk_child(mapix_mime_import *ctx, GMimeObject *child, LPMESSAGE msg, body_walk *bw,
                          BOOL in_alternative)
{
	body_walk sub = *bw;
	sub.top = FALSE;
	sub.in_alternative = in_alternative;
	sub.depth = bw->depth + 1;
	HRESULT hr = walk(ctx, child, msg, &sub);
	bw->have_text = sub.have_text;
	bw->have_html = sub.have_html;
	return hr;
}

/* multipart/related: the root is the body, the rest are the resources it
 * refers to (RFC 2387). */
static HRESULT walk_related(mapix_mime_import *ctx, GMimeMultipart *mp, LPMESSAGE msg, body_walk *bw)
{
	int n = g_mime_multipart_get_count(mp);
	const char *start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
	int root = 0;
	HRESULT hr = S_OK;

	if (start) {
		char *want = g_strdup(start);
		g_strstrip(want);
		size_t wl = strlen(want);
		const char *id = want;
		if (wl >= 2 && want[0] == '<' && want[wl - 1] == '>') {
			want[wl - 1] = 0;
			id = want + 1;
		}
		for (int i = 0; i < n; i++) {
			const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
			if (cid && !strcmp(cid, id)) {
				root = i;
				break;
			}
		}
		g_free(want);
	}
	for (int i = 0; i < n && hr == S_OK; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		if (i == root)
			hr = walk_child(ctx, child, msg, bw, bw->in_alternative);
		else if (GMIME_IS_MULTIPART(child) || GMIME_IS_MESSAGE_PART(child))
			hr = walk_child(ctx, child, msg, bw, FALSE);
		else
			hr = mapix_mime_import_attachment(ctx, child, msg, TRUE, NULL);
	}
	return hr;
}

static HRESULT walk_leaf(mapix_mime_import *ctx, GMimeObject *obj, LPMESSAGE msg, body_walk *bw)
{
	BOOL body_ok = !is_attachment_disposition(obj) && (bw->in_alternative || (!bw->have_text && !bw->have_html));

	if ((is_type(obj, "application", "ms-tnef") || is_type(obj, "application", "vnd.ms-tnef")) &&
	    !(ctx->flags & MAPIX_MIME_NO_TNEF)) {
		GByteArray *raw = mapix_mime_part_bytes(obj, ctx);
		HRESULT hr = mapix_mime_import_tnef(ctx, raw->data, raw->len, msg);
		g_byte_array_unref(raw);
		if (hr == S_OK)
			return S_OK;
		if (hr != MAPI_E_CORRUPT_DATA && hr != MAPI_E_NO_SUPPORT)
			return hr;
		mapix_mime_warn(ctx->warnings, "TNEF part could not be decoded; kept as an attachment");
		return mapix_mime_import_attachment(ctx, obj, msg, FALSE, NULL);
	}
	if (bw->top && (is_type(obj, "application", "pkcs7-mime") || is_type(obj, "application", "x-pkcs7-mime")))
		return mapix_mime_import_opaque(ctx, obj, msg);
	if (body_ok && is_type(obj, "text", "plain") && !bw->have_text)
		return take_text(ctx, obj, msg, bw);
	if (body_ok && is_type(obj, "text", "html") && !bw->have_html)
		return take_html(ctx, obj, msg, bw);
	return mapix_mime_import_attachment(ctx, obj, msg, FALSE, NULL);
}

static HRESULT walk(mapix_mime_import *ctx, GMimeObject *obj, LPMESSAGE msg, body_walk *bw)
{
	if (bw->depth > MAPIX_MIME_MAX_DEPTH) {
		mapix_mime_warn(ctx->warnings, "MIME structure nested too deep; the rest is kept as one attachment");
		GByteArray *raw = entity_bytes(obj);
		HRESULT hr = mapix_mime_import_attachment(ctx, obj, msg, FALSE, raw);
		g_byte_array_unref(raw);
		return hr;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return add_embedded(ctx, obj, msg);
	if (GMIME_IS_MULTIPART_SIGNED(obj) && bw->top)
		return mapix_mime_import_signed(ctx, obj, msg);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		HRESULT hr = S_OK;
		if (is_type(obj, "multipart", "related"))
			return walk_related(ctx, mp, msg, bw);
		BOOL alt = is_type(obj, "multipart", "alternative");
		for (int i = 0; i < n && hr == S_OK; i++)
			hr = walk_child(ctx, g_mime_multipart_get_part(mp, i), msg, bw, alt);
		return hr;
	}
	if (GMIME_IS_PART(obj))
		return walk_leaf(ctx, obj, msg, bw);
	return S_OK;
}

HRESULT mapix_mime_import_body(mapix_mime_import *ctx, GMimeObject *body, LPMESSAGE msg)
{
	body_walk bw = {.top = !ctx->bodies_only};
	return walk(ctx, body, msg, &bw);
}
