/*
 * mime-export.c — a MAPI message to RFC 5322/MIME: the public entry points
 * (callback, file descriptor, buffer) and the top-level headers built from
 * the message's properties (MS-OXCMAIL 2.2.3 in reverse). Headers mapix
 * does not own (Received, List-*, X-*...) are carried over from
 * PR_TRANSPORT_MESSAGE_HEADERS with their raw values, so that export,
 * import and export again gives the same mail.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "mime/mime.h"

/* Headers that the export derives from properties (or that describe the
 * body it rebuilds), never copied from the transport headers. */
static const char *const owned_headers[] = {
	"From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "Importance", "X-Priority", "Priority", "Sensitivity", "Disposition-Notification-To",
	"Return-Receipt-To", "MIME-Version", "X-MS-TNEF-Correlator", "Content-Type",
	"Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "Content-Description",
	"Content-Location", "Content-Length", "Content-MD5", "Content-Language", "Content-Base",
};

static BOOL is_owned(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(owned_headers); i++)
		if (!g_ascii_strcasecmp(name, owned_headers[i]))
			return TRUE;
	return FALSE;
}

enum {
	P_SUBJECT,
	P_SR_NAME,
	P_SR_ADDRTYPE,
	P_SR_EMAIL,
	P_SR_SMTP,
	P_S_NAME,
	P_S_ADDRTYPE,
	P_S_EMAIL,
	P_S_SMTP,
	P_SUBMIT,
	P_DELIVERY,
	P_MSGID,
	P_INREPLYTO,
	P_REFS,
	P_IMPORTANCE,
	P_SENSITIVITY,
	P_READRCPT,
	P_DELIVRCPT,
	P_REPLY_ENTRIES,
	P_COUNT
};

static const ULONG header_tags[P_COUNT] = {
	PR_SUBJECT_W,
	PR_SENT_REPRESENTING_NAME_W,
	PR_SENT_REPRESENTING_ADDRTYPE_W,
	PR_SENT_REPRESENTING_EMAIL_ADDRESS_W,
	PR_SENT_REPRESENTING_SMTP_ADDRESS_W,
	PR_SENDER_NAME_W,
	PR_SENDER_ADDRTYPE_W,
	PR_SENDER_EMAIL_ADDRESS_W,
	PR_SENDER_SMTP_ADDRESS_W,
	PR_CLIENT_SUBMIT_TIME,
	PR_MESSAGE_DELIVERY_TIME,
	PR_INTERNET_MESSAGE_ID_W,
	PR_IN_REPLY_TO_ID_W,
	PR_INTERNET_REFERENCES_W,
	PR_IMPORTANCE,
	PR_SENSITIVITY,
	PR_READ_RECEIPT_REQUESTED,
	PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED,
	PR_REPLY_RECIPIENT_ENTRIES,
};

static const WCHAR *wstr(LPSPropValue v, int i)
{
	return v[i].ulPropTag == header_tags[i] ? v[i].Value.lpszW : NULL;
}

/* The Internet address of an originator or recipient: the SMTP address
 * property, else the e-mail address when it looks like one. g_free. */
static char *internet_addr(const WCHAR *smtp, const WCHAR *addrtype, const WCHAR *email)
{
	if (smtp && *smtp)
		return mapix_mime_utf16_dup(smtp);
	if (!email || !*email)
		return NULL;
	char *e = mapix_mime_utf16_dup(email);
	char *t = addrtype ? mapix_mime_utf16_dup(addrtype) : NULL;
	BOOL ok = (t && !g_ascii_strcasecmp(t, "SMTP")) || strchr(e, '@');
	g_free(t);
	if (!ok) {
		g_free(e);
		return NULL;
	}
	return e;
}

static void add_to_list(InternetAddressList *list, const WCHAR *name, const WCHAR *addrtype, const WCHAR *email,
                        const WCHAR *smtp)
{
	char *addr = internet_addr(smtp, addrtype, email);
	char *n = name ? mapix_mime_utf16_dup(name) : NULL;
	if (addr) {
		InternetAddress *ia = internet_address_mailbox_new(n && strcmp(n, addr) ? n : NULL, addr);
		internet_address_list_add(list, ia);
		g_object_unref(ia);
	}
	g_free(n);
	g_free(addr);
}

static void add_originator(GMimeMessage *gm, GMimeAddressType type, const WCHAR *name, const WCHAR *addrtype,
                           const WCHAR *email, const WCHAR *smtp)
{
	add_to_list(g_mime_message_get_addresses(gm, type), name, addrtype, email, smtp);
}

/* Reads a One-Off EntryID (MS-OXCDATA 2.2.5.1): its name and address. */
static BOOL parse_oneoff(const BYTE *p, size_t cb, char **name, char **addr)
{
	static const BYTE uid[16] = {0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19,
	                             0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02};
	char *fields[3] = {NULL, NULL, NULL};
	size_t pos = 24;

	if (cb < 24 || memcmp(p + 4, uid, 16) != 0)
		return FALSE;
	BOOL unicode = (p[23] & 0x80) != 0;
	for (int f = 0; f < 3; f++) {
		size_t start = pos;
		if (unicode) {
			while (pos + 1 < cb && (p[pos] || p[pos + 1]))
				pos += 2;
			if (pos + 1 >= cb)
				goto bad;
			size_t n = (pos - start) / 2;
			WCHAR *w = g_new(WCHAR, n + 1);
			for (size_t i = 0; i < n; i++)
				w[i] = (WCHAR)(p[start + 2 * i] | (p[start + 2 * i + 1] << 8));
			w[n] = 0;
			fields[f] = mapix_mime_utf16_dup(w);
			g_free(w);
			pos += 2;
		} else {
			while (pos < cb && p[pos])
				pos++;
			if (pos >= cb)
				goto bad;
			fields[f] = mapix_mime_to_utf8((const char *)p + start, pos - start, NULL, NULL, &(size_t){0});
			pos++;
		}
	}
	*name = fields[0];
	*addr = fields[2];
	g_free(fields[1]);
	return TRUE;
bad:
	for (int f = 0; f < 3; f++)
		g_free(fields[f]);
	return FALSE;
}

static void export_reply_to(GMimeMessage *gm, LPSPropValue v)
{
	if (v->ulPropTag != PR_REPLY_RECIPIENT_ENTRIES || v->Value.bin.cb < 8)
		return;
	const BYTE *p = v->Value.bin.lpb;
	size_t cb = v->Value.bin.cb, pos = 8;
	ULONG count = (ULONG)(p[0] | p[1] << 8 | p[2] << 16 | (ULONG)p[3] << 24);
	for (ULONG i = 0; i < count && pos + 4 <= cb; i++) {
		size_t len = (size_t)(p[pos] | p[pos + 1] << 8 | p[pos + 2] << 16 | (size_t)p[pos + 3] << 24);
		pos += 4;
		if (len > cb - pos)
			break;
		char *name = NULL, *addr = NULL;
		if (parse_oneoff(p + pos, len, &name, &addr)) {
			g_mime_message_add_mailbox(gm, GMIME_ADDRESS_TYPE_REPLY_TO, name && strcmp(name, addr) ? name : NULL,
			                           addr);
			g_free(name);
			g_free(addr);
		}
		pos += (len + 3) & ~(size_t)3;
	}
}

static HRESULT export_recipients(LPMESSAGE msg, GMimeMessage *gm, ULONG flags)
{
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(5, cols) = {
		5, {PR_RECIPIENT_TYPE, PR_DISPLAY_NAME_W, PR_ADDRTYPE_W, PR_EMAIL_ADDRESS_W, PR_SMTP_ADDRESS_W}};
	HRESULT hr = IMessage_GetRecipientTable(msg, MAPI_UNICODE, &table);

	if (hr != S_OK)
		return hr;
	hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	IMAPITable_Release(table);
	if (hr != S_OK)
		return hr;
	/* Lists filled apart and attached once: the message re-formats its
	 * header on every change of an attached list. */
	InternetAddressList *lists[3] = {internet_address_list_new(), internet_address_list_new(),
	                                 internet_address_list_new()};
	static const GMimeAddressType types[3] = {GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC, GMIME_ADDRESS_TYPE_BCC};
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue r = rows->aRow[i].lpProps;
		ULONG n = rows->aRow[i].cValues;
		LPSPropValue type = mapix_mime_find(r, n, PR_RECIPIENT_TYPE);
		LPSPropValue name = mapix_mime_find(r, n, PR_DISPLAY_NAME_W);
		LPSPropValue at = mapix_mime_find(r, n, PR_ADDRTYPE_W);
		LPSPropValue em = mapix_mime_find(r, n, PR_EMAIL_ADDRESS_W);
		LPSPropValue smtp = mapix_mime_find(r, n, PR_SMTP_ADDRESS_W);
		int t;
		switch (type ? (type->Value.l & ~MAPI_P1) : MAPI_TO) {
		case MAPI_CC: t = 1; break;
		case MAPI_BCC: t = 2; break;
		default: t = 0; break;
		}
		if (t == 2 && (flags & MAPIX_MIME_NO_BCC))
			continue;
		add_to_list(lists[t], name ? name->Value.lpszW : NULL, at ? at->Value.lpszW : NULL,
		            em ? em->Value.lpszW : NULL, smtp ? smtp->Value.lpszW : NULL);
	}
	for (int t = 0; t < 3; t++) {
		if (internet_address_list_length(lists[t]) > 0)
			internet_address_list_append(g_mime_message_get_addresses(gm, types[t]), lists[t]);
		g_object_unref(lists[t]);
	}
	FreeProws(rows);
	return S_OK;
}

/* Parses the stored transport headers into a header list (NULL if none). */
static GMimeObject *transport_headers(LPMESSAGE msg)
{
	GByteArray *raw = NULL;
	if (mapix_mime_read_utf8((LPMAPIPROP)msg, PR_TRANSPORT_MESSAGE_HEADERS_W, &raw) != S_OK)
		return NULL;
	g_byte_array_append(raw, (const guint8 *)"\n\n", 2);
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(raw);
	GMimeParser *parser = g_mime_parser_new_with_stream(mem);
	GMimeObject *obj = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	g_object_unref(mem);
	return obj;
}

static void append_raw_header(GMimeObject *dst, GMimeHeader *h)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(dst);
	const char *raw = g_mime_header_get_raw_value(h);
	g_mime_header_list_append(list, g_mime_header_get_raw_name(h), "", NULL);
	GMimeHeader *nh = g_mime_header_list_get_header_at(list, g_mime_header_list_get_count(list) - 1);
	g_mime_header_set_raw_value(nh, raw ? raw : "\n");
}

static GDateTime *date_for(int64_t unix_time, GMimeObject *orig)
{
	/* Keep the sender's time zone when the original Date is the same instant. */
	const char *od = orig ? g_mime_object_get_header(orig, "Date") : NULL;
	GDateTime *d = od ? g_mime_utils_header_decode_date(od) : NULL;
	if (d && g_date_time_to_unix(d) == unix_time)
		return d;
	if (d)
		g_date_time_unref(d);
	return g_date_time_new_from_unix_utc(unix_time);
}

HRESULT mapix_mime_export_message(mapix_mime_export *ctx, LPMESSAGE msg, GMimeMessage **out)
{
	LPSPropValue v = NULL;
	GMimeObject *orig = NULL;
	GMimeMessage *gm;
	GMimeObject *body = NULL;
	HRESULT hr;

	*out = NULL;
	hr = mapix_mime_get_props((LPMAPIPROP)msg, header_tags, P_COUNT, &v);
	if (FAILED(hr))
		return hr;
	gm = g_mime_message_new(FALSE);
	orig = transport_headers(msg); /* also gives the original Date's time zone */
	if (orig && !(ctx->flags & MAPIX_MIME_NO_PASSTHROUGH)) {
		GMimeHeaderList *list = g_mime_object_get_header_list(orig);
		int n = g_mime_header_list_get_count(list);
		for (int i = 0; i < n; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
			if (!is_owned(g_mime_header_get_name(h)))
				append_raw_header(GMIME_OBJECT(gm), h);
		}
	}
	add_originator(gm, GMIME_ADDRESS_TYPE_FROM, wstr(v, P_SR_NAME) ? wstr(v, P_SR_NAME) : wstr(v, P_S_NAME),
	               wstr(v, P_SR_NAME) ? wstr(v, P_SR_ADDRTYPE) : wstr(v, P_S_ADDRTYPE),
	               wstr(v, P_SR_NAME) ? wstr(v, P_SR_EMAIL) : wstr(v, P_S_EMAIL),
	               wstr(v, P_SR_NAME) ? wstr(v, P_SR_SMTP) : wstr(v, P_S_SMTP));
	{
		/* Sender only when someone sent on behalf of the From address. */
		char *sr = internet_addr(wstr(v, P_SR_SMTP), wstr(v, P_SR_ADDRTYPE), wstr(v, P_SR_EMAIL));
		char *s = internet_addr(wstr(v, P_S_SMTP), wstr(v, P_S_ADDRTYPE), wstr(v, P_S_EMAIL));
		if (sr && s && g_ascii_strcasecmp(sr, s) != 0)
			add_originator(gm, GMIME_ADDRESS_TYPE_SENDER, wstr(v, P_S_NAME), wstr(v, P_S_ADDRTYPE),
			               wstr(v, P_S_EMAIL), wstr(v, P_S_SMTP));
		g_free(sr);
		g_free(s);
	}
	export_reply_to(gm, &v[P_REPLY_ENTRIES]);
	hr = export_recipients(msg, gm, ctx->flags);
	if (hr == S_OK && wstr(v, P_SUBJECT)) {
		char *s = mapix_mime_utf16_dup(wstr(v, P_SUBJECT));
		g_mime_message_set_subject(gm, s, "utf-8");
		g_free(s);
	}
	if (hr == S_OK) {
		LPSPropValue t = v[P_SUBMIT].ulPropTag == PR_CLIENT_SUBMIT_TIME       ? &v[P_SUBMIT]
		                 : v[P_DELIVERY].ulPropTag == PR_MESSAGE_DELIVERY_TIME ? &v[P_DELIVERY]
		                                                                       : NULL;
		if (t) {
			GDateTime *d = date_for(mapix_filetime_to_unix(t->Value.ft, NULL), orig);
			g_mime_message_set_date(gm, d);
			g_date_time_unref(d);
		}
	}
	if (hr == S_OK && wstr(v, P_MSGID)) {
		char *id = mapix_mime_utf16_dup(wstr(v, P_MSGID));
		g_mime_object_set_header(GMIME_OBJECT(gm), "Message-ID", id, NULL);
		g_free(id);
	} else if (hr == S_OK && (ctx->flags & MAPIX_MIME_NEW_MESSAGE_ID)) {
		char *id = g_mime_utils_generate_message_id("mapix.invalid");
		g_mime_message_set_message_id(gm, id);
		g_free(id);
	}
	if (hr == S_OK && wstr(v, P_INREPLYTO)) {
		char *id = mapix_mime_utf16_dup(wstr(v, P_INREPLYTO));
		g_mime_object_set_header(GMIME_OBJECT(gm), "In-Reply-To", id, NULL);
		g_free(id);
	}
	if (hr == S_OK && wstr(v, P_REFS)) {
		char *refs = mapix_mime_utf16_dup(wstr(v, P_REFS));
		g_mime_object_set_header(GMIME_OBJECT(gm), "References", refs, NULL);
		g_free(refs);
	}
	if (hr == S_OK && v[P_IMPORTANCE].ulPropTag == PR_IMPORTANCE && v[P_IMPORTANCE].Value.l != IMPORTANCE_NORMAL) {
		BOOL high = v[P_IMPORTANCE].Value.l == IMPORTANCE_HIGH;
		g_mime_object_set_header(GMIME_OBJECT(gm), "Importance", high ? "high" : "low", NULL);
		g_mime_object_set_header(GMIME_OBJECT(gm), "X-Priority", high ? "1" : "5", NULL);
	}
	if (hr == S_OK && v[P_SENSITIVITY].ulPropTag == PR_SENSITIVITY && v[P_SENSITIVITY].Value.l != SENSITIVITY_NONE) {
		static const char *const names[] = {NULL, "Personal", "Private", "Company-Confidential"};
		LONG s = v[P_SENSITIVITY].Value.l;
		if (s > 0 && s < 4)
			g_mime_object_set_header(GMIME_OBJECT(gm), "Sensitivity", names[s], NULL);
	}
	if (hr == S_OK) {
		/* Receipts go to the originator (the From address). */
		InternetAddressList *from = g_mime_message_get_from(gm);
		char *to = from && internet_address_list_length(from) ? internet_address_list_to_string(from, NULL, FALSE)
		                                                      : NULL;
		if (to && v[P_READRCPT].ulPropTag == PR_READ_RECEIPT_REQUESTED && v[P_READRCPT].Value.b)
			g_mime_object_set_header(GMIME_OBJECT(gm), "Disposition-Notification-To", to, NULL);
		if (to && v[P_DELIVRCPT].ulPropTag == PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED && v[P_DELIVRCPT].Value.b)
			g_mime_object_set_header(GMIME_OBJECT(gm), "Return-Receipt-To", to, NULL);
		g_free(to);
	}
	if (hr == S_OK) {
		/* The multipart boundaries follow from what identifies the
		 * message (mime-export-body.c says why). */
		char *saved_seed = ctx->boundary_seed;
		unsigned saved_count = ctx->boundary_count;
		char *ids = g_mime_object_get_headers(GMIME_OBJECT(gm), NULL);
		ctx->boundary_seed = g_compute_checksum_for_string(G_CHECKSUM_SHA256, ids, -1);
		ctx->boundary_count = 0;
		g_free(ids);
		hr = mapix_mime_export_body(ctx, msg, &body);
		g_free(ctx->boundary_seed);
		ctx->boundary_seed = saved_seed;
		ctx->boundary_count = saved_count;
	}
	if (hr == S_OK) {
		if (body) {
			g_mime_message_set_mime_part(gm, body);
			g_object_unref(body);
		}
		*out = gm;
	} else {
		g_object_unref(gm);
	}
	if (orig)
		g_object_unref(orig);
	MAPIFreeBuffer(v);
	return hr;
}

/* ---- entry points --------------------------------------------------------- */

static void release_unknown(gpointer p)
{
	IUnknown_Release((LPUNKNOWN)p);
}

/* Why writing failed: a property stream that could not be read, the
 * caller's write function, or the stream's own errno. */
static HRESULT write_error(mapix_mime_export *ctx, GMimeStream *stream)
{
	for (guint i = 0; i < ctx->streams->len; i++) {
		HRESULT hr = mapix_mime_prop_stream_error(g_ptr_array_index(ctx->streams, i));
		if (hr != S_OK)
			return mapix_error(hr, "mapix_message_to_mime: reading a large property failed: %s",
			                   MAPIXGetLastErrorText());
	}
	if (mapix_mime_write_stream_stopped(stream))
		return mapix_error(MAPI_E_USER_CANCEL, "mapix_message_to_mime: the write function stopped the export");
	return mapix_error(MAPI_E_DISK_ERROR, "mapix_message_to_mime: writing failed: %s", strerror(errno));
}

static HRESULT export_to_stream(LPMESSAGE msg, ULONG flags, GMimeStream *stream)
{
	mapix_mime_export ctx = {.flags = flags};
	GMimeMessage *gm = NULL;
	HRESULT hr;

	mapix_mime_init();
	if (mapix_mime_source_allowed(flags)) {
		/* The message as it came, when it kept that: nothing to build. */
		hr = mapix_mime_export_source(msg, flags, stream);
		if (hr == MAPI_E_DISK_ERROR) {
			if (mapix_mime_write_stream_stopped(stream))
				return mapix_error(MAPI_E_USER_CANCEL,
				                   "mapix_message_to_mime: the write function stopped the export");
			return mapix_error(MAPI_E_DISK_ERROR, "mapix_message_to_mime: writing failed: %s", strerror(errno));
		}
		if (hr != MAPI_E_NOT_FOUND)
			return hr;
	}
	ctx.keep = g_ptr_array_new_with_free_func(release_unknown);
	ctx.streams = g_ptr_array_new_with_free_func(g_object_unref);
	hr = mapix_mime_export_message(&ctx, msg, &gm);
	if (hr != S_OK) {
		if (ctx.raw_entity)
			g_byte_array_unref(ctx.raw_entity);
		g_ptr_array_unref(ctx.streams);
		g_ptr_array_unref(ctx.keep);
		return hr;
	}
	GMimeFormatOptions *fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, (flags & MAPIX_MIME_CRLF) ? GMIME_NEWLINE_FORMAT_DOS
	                                                                        : GMIME_NEWLINE_FORMAT_UNIX);
	if (ctx.raw_entity) {
		/* A clear-signed message: our headers, then the signed entity as
		 * it was received, not one byte changed. */
		char *headers = g_mime_object_get_headers(GMIME_OBJECT(gm), fmt);
		const char *nl = g_mime_format_options_get_newline(fmt);
		if (g_mime_stream_write_string(stream, headers) < 0 ||
		    g_mime_stream_printf(stream, "MIME-Version: 1.0%s", nl) < 0 ||
		    g_mime_stream_write(stream, (const char *)ctx.raw_entity->data, ctx.raw_entity->len) < 0 ||
		    g_mime_stream_flush(stream) < 0)
			hr = write_error(&ctx, stream);
		g_free(headers);
		g_byte_array_unref(ctx.raw_entity);
	} else if (g_mime_object_write_to_stream(GMIME_OBJECT(gm), fmt, stream) < 0 || g_mime_stream_flush(stream) < 0) {
		hr = write_error(&ctx, stream);
	} else {
		/* GMime's encoders end a pass quietly when a read fails: a
		 * stream's error decides. */
		for (guint i = 0; hr == S_OK && i < ctx.streams->len; i++)
			if (mapix_mime_prop_stream_error(g_ptr_array_index(ctx.streams, i)) != S_OK)
				hr = write_error(&ctx, stream);
	}
	g_mime_format_options_free(fmt);
	g_object_unref(gm);
	g_ptr_array_unref(ctx.streams);
	g_ptr_array_unref(ctx.keep);
	return hr;
}

MAPIX_API HRESULT mapix_message_to_mime_buffer(LPMESSAGE lpMessage, ULONG ulFlags, BYTE **lppData, size_t *lpcbData)
{
	if (!lpMessage || !lppData)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_message_to_mime_buffer: NULL argument");
	*lppData = NULL;
	if (lpcbData)
		*lpcbData = 0;
	GByteArray *arr = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	HRESULT hr = export_to_stream(lpMessage, ulFlags, mem);
	g_object_unref(mem);
	if (hr == S_OK && arr->len > 0x7FFFFFFE)
		hr = mapix_error(MAPI_E_TOO_BIG, "mapix_message_to_mime_buffer: message of %u bytes", arr->len);
	if (hr == S_OK) {
		BYTE *out = NULL;
		if (MAPIAllocateBuffer(arr->len + 1, (LPVOID *)&out) != S_OK) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_message_to_mime_buffer: out of memory");
		} else {
			if (arr->len) /* an empty kept message */
				memcpy(out, arr->data, arr->len);
			out[arr->len] = 0;
			*lppData = out;
			if (lpcbData)
				*lpcbData = arr->len;
		}
	}
	g_byte_array_unref(arr);
	return hr;
}

MAPIX_API HRESULT mapix_message_to_mime(LPMESSAGE lpMessage, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                        void *lpvContext)
{
	if (!lpMessage || !lpfnWrite)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_message_to_mime: NULL argument");
	/* Written as it is produced: the message is never whole in memory. */
	GMimeStream *out = mapix_mime_write_stream_new(lpfnWrite, lpvContext);
	HRESULT hr = export_to_stream(lpMessage, ulFlags, out);
	g_object_unref(out);
	return hr;
}

static int write_fd(void *ctx, const void *data, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

MAPIX_API HRESULT mapix_message_to_mime_fd(LPMESSAGE lpMessage, ULONG ulFlags, int fd)
{
	if (fd < 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_message_to_mime_fd: bad descriptor");
	HRESULT hr = mapix_message_to_mime(lpMessage, ulFlags, write_fd, &fd);
	if (hr == MAPI_E_USER_CANCEL)
		hr = mapix_error(MAPI_E_DISK_ERROR, "mapix_message_to_mime_fd: write failed: %s", strerror(errno));
	return hr;
}
