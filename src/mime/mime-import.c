/*
 * mime-import.c — RFC 5322/MIME to a MAPI message: the public entry points
 * (buffer and file descriptor), the GMime parser set-up for hostile input,
 * and the mapping of the top-level headers to message properties
 * (MS-OXCMAIL 2.2.3). The body tree is mime-import-body.c's job.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "mime/mime.h"

static const char *parser_warning_text(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER: return "duplicated header";
	case GMIME_WARN_DUPLICATED_PARAMETER: return "duplicated header parameter";
	case GMIME_WARN_UNENCODED_8BIT_HEADER: return "unencoded 8-bit header";
	case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid Content-Type, taken as application/octet-stream";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "invalid RFC 2047 encoded header";
	case GMIME_WARN_MALFORMED_MULTIPART: return "multipart without parts";
	case GMIME_WARN_TRUNCATED_MESSAGE: return "truncated message";
	case GMIME_WARN_MALFORMED_MESSAGE: return "malformed message";
	case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header name";
	case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting header";
	case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting header parameter";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "multipart without boundary";
	case GMIME_WARN_INVALID_PARAMETER: return "invalid header parameter";
	case GMIME_WARN_INVALID_ADDRESS_LIST: return "invalid address list";
	case GMIME_CRIT_NESTING_OVERFLOW: return "MIME nesting too deep";
	case GMIME_WARN_PART_WITHOUT_CONTENT: return "part without content";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "part without headers or content";
	}
	return "malformed input";
}

static void parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
	mapix_mime_warnings *w = user_data;
	char *safe = item ? g_utf8_make_valid(item, -1) : NULL;
	if (safe && strlen(safe) > 80)
		safe[80] = 0;
	mapix_mime_warn(w, "offset %lld: %s%s%s", (long long)offset, parser_warning_text(code), safe ? ": " : "",
	                safe ? safe : "");
	g_free(safe);
}

/* ---- header helpers ------------------------------------------------------- */

/* A header's raw value, unfolded and trimmed (g_free), or NULL. */
static char *raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
	const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
	if (!raw)
		return NULL;
	GString *s = g_string_sized_new(strlen(raw));
	for (const char *p = raw; *p; p++)
		if (*p != '\r' && *p != '\n')
			g_string_append_c(s, *p);
	char *v = g_string_free(s, FALSE);
	g_strstrip(v);
	if (!*v) {
		g_free(v);
		return NULL;
	}
	return v;
}

/* Splits "RE: topic" into its prefix ("RE: ") and the normalized subject
 * (MS-OXCMSG 2.2.1.9): one to three letters, a colon, an optional space. */
static size_t subject_prefix_len(const char *subj)
{
	const char *p = subj;
	int letters = 0;
	while (*p && *p != ':' && letters < 4) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		if (c == (gunichar)-1 || c == (gunichar)-2 || !g_unichar_isalpha(c))
			return 0;
		letters++;
		p = g_utf8_next_char(p);
	}
	if (*p != ':' || letters < 1 || letters > 3)
		return 0;
	p++;
	if (*p == ' ')
		p++;
	return (size_t)(p - subj);
}

static HRESULT set_str(LPMESSAGE msg, ULONG tag, const char *utf8)
{
	return mapix_mime_set_utf8((LPMAPIPROP)msg, tag, utf8, strlen(utf8));
}

static HRESULT import_subject(GMimeMessage *gm, LPMESSAGE msg)
{
	const char *subj = g_mime_message_get_subject(gm);
	const char *topic = g_mime_object_get_header(GMIME_OBJECT(gm), "Thread-Topic");
	HRESULT hr;

	if (!subj)
		return S_OK;
	char *valid = g_utf8_make_valid(subj, -1);
	size_t plen = subject_prefix_len(valid);
	char *prefix = g_strndup(valid, plen);
	hr = set_str(msg, PR_SUBJECT_W, valid);
	if (hr == S_OK)
		hr = set_str(msg, PR_SUBJECT_PREFIX_W, prefix);
	if (hr == S_OK)
		hr = set_str(msg, PR_NORMALIZED_SUBJECT_W, valid + plen);
	if (hr == S_OK) {
		char *t = g_utf8_make_valid(topic ? topic : valid + plen, -1);
		hr = set_str(msg, PR_CONVERSATION_TOPIC_W, t);
		g_free(t);
	}
	g_free(prefix);
	g_free(valid);
	return hr;
}

/* The date of the newest Received header (the first one), or NULL. */
static GDateTime *received_date(GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(list);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Received") != 0)
			continue;
		const char *v = g_mime_header_get_raw_value(h);
		const char *semi = v ? strrchr(v, ';') : NULL;
		return semi ? g_mime_utils_header_decode_date(semi + 1) : NULL;
	}
	return NULL;
}

static HRESULT import_dates(mapix_mime_import *ctx, GMimeMessage *gm, LPMESSAGE msg)
{
	GDateTime *date = g_mime_message_get_date(gm);
	GDateTime *recv = received_date(GMIME_OBJECT(gm));
	HRESULT hr = S_OK;

	if (!date && g_mime_object_get_header(GMIME_OBJECT(gm), "Date"))
		mapix_mime_warn(ctx->warnings, "the Date header could not be understood");
	if (date)
		hr = mapix_mime_set_time((LPMAPIPROP)msg, PR_CLIENT_SUBMIT_TIME, g_date_time_to_unix(date));
	if (hr == S_OK && (recv || date))
		hr = mapix_mime_set_time((LPMAPIPROP)msg, PR_MESSAGE_DELIVERY_TIME,
		                         g_date_time_to_unix(recv ? recv : date));
	if (recv)
		g_date_time_unref(recv);
	return hr;
}

static HRESULT import_ids(GMimeMessage *gm, LPMESSAGE msg)
{
	GMimeObject *obj = GMIME_OBJECT(gm);
	HRESULT hr = S_OK;
	char *v;

	if ((v = raw_header(obj, "Message-ID")) != NULL) {
		hr = set_str(msg, PR_INTERNET_MESSAGE_ID_W, v);
		g_free(v);
	}
	if (hr == S_OK && (v = raw_header(obj, "In-Reply-To")) != NULL) {
		hr = set_str(msg, PR_IN_REPLY_TO_ID_W, v);
		g_free(v);
	}
	if (hr == S_OK && (v = raw_header(obj, "References")) != NULL) {
		/* Folding whitespace between the IDs collapses to one space. */
		char **ids = g_strsplit_set(v, " \t", -1);
		GString *s = g_string_new(NULL);
		for (char **p = ids; *p; p++) {
			if (!**p)
				continue;
			if (s->len)
				g_string_append_c(s, ' ');
			g_string_append(s, *p);
		}
		hr = set_str(msg, PR_INTERNET_REFERENCES_W, s->str);
		g_string_free(s, TRUE);
		g_strfreev(ids);
		g_free(v);
	}
	return hr;
}

/* Importance, priority and sensitivity (MS-OXCMAIL 2.2.3.2.5-2.2.3.2.7). */
static HRESULT import_flags(GMimeMessage *gm, LPMESSAGE msg, ULONG flags)
{
	GMimeObject *obj = GMIME_OBJECT(gm);
	const char *imp = g_mime_object_get_header(obj, "Importance");
	const char *xpri = g_mime_object_get_header(obj, "X-Priority");
	const char *pri = g_mime_object_get_header(obj, "Priority");
	const char *sens = g_mime_object_get_header(obj, "Sensitivity");
	LONG importance = IMPORTANCE_NORMAL, sensitivity = SENSITIVITY_NONE;
	HRESULT hr;

	if (imp) {
		char *v = g_strstrip(g_strdup(imp));
		if (!g_ascii_strcasecmp(v, "high"))
			importance = IMPORTANCE_HIGH;
		else if (!g_ascii_strcasecmp(v, "low"))
			importance = IMPORTANCE_LOW;
		g_free(v);
	} else if (xpri) {
		while (*xpri == ' ' || *xpri == '\t')
			xpri++;
		if (*xpri == '1' || *xpri == '2')
			importance = IMPORTANCE_HIGH;
		else if (*xpri == '4' || *xpri == '5')
			importance = IMPORTANCE_LOW;
	} else if (pri) {
		if (g_ascii_strncasecmp(pri, "urgent", 6) == 0 || strstr(pri, " urgent"))
			importance = IMPORTANCE_HIGH;
		else if (g_strrstr(pri, "non-urgent"))
			importance = IMPORTANCE_LOW;
	}
	if (sens) {
		char *v = g_strstrip(g_strdup(sens));
		if (!g_ascii_strcasecmp(v, "personal"))
			sensitivity = SENSITIVITY_PERSONAL;
		else if (!g_ascii_strcasecmp(v, "private"))
			sensitivity = SENSITIVITY_PRIVATE;
		else if (!g_ascii_strcasecmp(v, "company-confidential"))
			sensitivity = SENSITIVITY_COMPANY_CONFIDENTIAL;
		g_free(v);
	}
	hr = mapix_mime_set_long((LPMAPIPROP)msg, PR_IMPORTANCE, importance);
	if (hr == S_OK)
		hr = mapix_mime_set_long((LPMAPIPROP)msg, PR_SENSITIVITY, sensitivity);
	if (hr == S_OK && g_mime_object_get_header(obj, "Disposition-Notification-To"))
		hr = mapix_mime_set_bool((LPMAPIPROP)msg, PR_READ_RECEIPT_REQUESTED, TRUE);
	if (hr == S_OK && g_mime_object_get_header(obj, "Return-Receipt-To"))
		hr = mapix_mime_set_bool((LPMAPIPROP)msg, PR_ORIGINATOR_DELIVERY_REPORT_REQUESTED, TRUE);
	if (hr == S_OK) {
		LONG mf = 0;
		if (flags & MAPIX_MIME_MARK_READ)
			mf |= MSGFLAG_READ;
		if (flags & MAPIX_MIME_AS_DRAFT)
			mf |= MSGFLAG_UNSENT;
		hr = mapix_mime_set_long((LPMAPIPROP)msg, PR_MESSAGE_FLAGS, mf);
	}
	return hr;
}

/* PR_REPLY_RECIPIENT_NAMES and PR_REPLY_RECIPIENT_ENTRIES (a FLATENTRYLIST
 * of One-Off EntryIDs) from Reply-To. */
static HRESULT import_reply_to(GMimeMessage *gm, LPMESSAGE msg)
{
	InternetAddressList *list = g_mime_message_get_reply_to(gm);
	int n = list ? internet_address_list_length(list) : 0;
	GString *names = g_string_new(NULL);
	GByteArray *flat = g_byte_array_new();
	guint32 count = 0;
	HRESULT hr = S_OK;

	g_byte_array_set_size(flat, 8);
	for (int i = 0; i < n && hr == S_OK; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *name = internet_address_get_name(ia);
		SBinary eid = {0};
		if (!addr)
			continue;
		if ((hr = mapix_mime_oneoff_entryid(name, addr, NULL, &eid)) != S_OK)
			break;
		guint8 cb[4] = {(guint8)eid.cb, (guint8)(eid.cb >> 8), (guint8)(eid.cb >> 16), (guint8)(eid.cb >> 24)};
		g_byte_array_append(flat, cb, 4);
		g_byte_array_append(flat, eid.lpb, eid.cb);
		while (flat->len % 4)
			g_byte_array_append(flat, (const guint8 *)"", 1);
		MAPIFreeBuffer(eid.lpb);
		if (names->len)
			g_string_append(names, ";");
		g_string_append(names, name && *name ? name : addr);
		count++;
	}
	if (hr == S_OK && count > 0) {
		guint32 total = flat->len - 8;
		guint8 hdr[8] = {(guint8)count,        (guint8)(count >> 8),  (guint8)(count >> 16), (guint8)(count >> 24),
		                 (guint8)total,        (guint8)(total >> 8),  (guint8)(total >> 16), (guint8)(total >> 24)};
		memcpy(flat->data, hdr, 8);
		hr = mapix_mime_set_binary((LPMAPIPROP)msg, PR_REPLY_RECIPIENT_ENTRIES, flat->data, flat->len);
		if (hr == S_OK)
			hr = set_str(msg, PR_REPLY_RECIPIENT_NAMES_W, names->str);
	}
	g_string_free(names, TRUE);
	g_byte_array_unref(flat);
	return hr;
}

/* PR_TRANSPORT_MESSAGE_HEADERS: the header block as it came, when the
 * source offsets are known, else as GMime kept it. */
static HRESULT import_transport_headers(mapix_mime_import *ctx, GMimeMessage *gm, gint64 hb, gint64 he,
                                        LPMESSAGE msg)
{
	GByteArray *raw = NULL;
	char *text;
	size_t len;
	HRESULT hr;

	if (ctx->source && hb >= 0 && he > hb) {
		GMimeStream *sub = g_mime_stream_substream(ctx->source, hb, he);
		raw = g_byte_array_new();
		GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(raw);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
		g_mime_stream_write_to_stream(sub, mem);
		g_object_unref(sub);
		g_object_unref(mem);
	} else {
		char *s = g_mime_header_list_to_string(g_mime_object_get_header_list(GMIME_OBJECT(gm)), NULL);
		raw = g_byte_array_new_take((guint8 *)s, s ? strlen(s) : 0);
	}
	for (guint i = 0; i < raw->len; i++) {
		if (raw->data[i] & 0x80) {
			mapix_mime_warn(ctx->warnings, "the headers contain 8-bit characters that are not RFC 2047 encoded");
			break;
		}
	}
	text = mapix_mime_to_utf8((const char *)raw->data, raw->len, NULL, ctx->warnings, &len);
	hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_TRANSPORT_MESSAGE_HEADERS_W, text, len);
	g_free(text);
	g_byte_array_unref(raw);
	return hr;
}

HRESULT mapix_mime_import_message(mapix_mime_import *ctx, GMimeMessage *gm, gint64 hdr_begin, gint64 hdr_end,
                                  LPMESSAGE msg)
{
	InternetAddressList *from = g_mime_message_get_from(gm);
	InternetAddressList *sender = g_mime_message_get_sender(gm);
	HRESULT hr;

	hr = set_str(msg, PR_MESSAGE_CLASS_W, "IPM.Note");
	if (hr == S_OK)
		hr = import_subject(gm, msg);
	if (hr == S_OK)
		hr = mapix_mime_set_originator(msg, from, TRUE);
	if (hr == S_OK)
		hr = mapix_mime_set_originator(msg, sender && internet_address_list_length(sender) ? sender : from,
		                               FALSE);
	if (hr == S_OK)
		hr = mapix_mime_add_recipients(msg, g_mime_message_get_to(gm), MAPI_TO, ctx->warnings);
	if (hr == S_OK)
		hr = mapix_mime_add_recipients(msg, g_mime_message_get_cc(gm), MAPI_CC, ctx->warnings);
	if (hr == S_OK)
		hr = mapix_mime_add_recipients(msg, g_mime_message_get_bcc(gm), MAPI_BCC, ctx->warnings);
	if (hr == S_OK)
		hr = import_reply_to(gm, msg);
	if (hr == S_OK)
		hr = import_dates(ctx, gm, msg);
	if (hr == S_OK)
		hr = import_ids(gm, msg);
	if (hr == S_OK)
		hr = import_flags(gm, msg, ctx->flags);
	if (hr == S_OK && !(ctx->flags & MAPIX_MIME_NO_TRANSPORT_HEADERS))
		hr = import_transport_headers(ctx, gm, hdr_begin, hdr_end, msg);
	if (hr == S_OK)
		hr = mapix_mime_set_long((LPMAPIPROP)msg, PR_INTERNET_CPID, 65001);
	if (hr == S_OK && g_mime_message_get_mime_part(gm))
		hr = mapix_mime_import_body(ctx, g_mime_message_get_mime_part(gm), msg);
	if (hr == S_OK)
		hr = mapix_mime_bodies_from_rtf(msg, ctx->warnings);
	return hr;
}

/* ---- entry points --------------------------------------------------------- */

static HRESULT import_stream(GMimeStream *stream, LPMESSAGE msg, ULONG flags, char **lppszWarnings)
{
	static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
	mapix_mime_warnings w = {0};
	mapix_mime_import ctx = {.flags = flags, .warnings = &w, .source = stream, .hdr_end = -1};
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeParser *parser;
	GMimeMessage *gm;
	HRESULT hr;

	g_mime_parser_options_set_warning_callback(opts, parser_warning, &w);
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(opts, TRUE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_persist_stream(parser, TRUE);
	gm = g_mime_parser_construct_message(parser, opts);
	if (!gm) {
		/* No header block at all: keep the input as the text of an
		 * otherwise empty message rather than lose it. */
		mapix_mime_warn(&w, "no message headers found; the input is kept as the message text");
		gm = g_mime_message_new(FALSE);
		GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
		g_mime_stream_reset(stream);
		GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(GMIME_PART(tp), dw);
		g_object_unref(dw);
		g_mime_message_set_mime_part(gm, GMIME_OBJECT(tp));
		g_object_unref(tp);
		hr = mapix_mime_import_message(&ctx, gm, -1, -1, msg);
		g_object_unref(gm);
	} else {
		ctx.hdr_end = g_mime_parser_get_headers_end(parser);
		hr = mapix_mime_import_message(&ctx, gm, g_mime_parser_get_headers_begin(parser),
		                               g_mime_parser_get_headers_end(parser), msg);
		g_object_unref(gm);
	}
	g_object_unref(parser);
	g_mime_parser_options_free(opts);
	/* Last, once the conversion succeeded: the input read once more from
	 * its start, copied as it is. */
	if (hr == S_OK && (flags & MAPIX_MIME_KEEP_SOURCE))
		hr = mapix_mime_keep_source(stream, msg);
	HRESULT whr = mapix_mime_warnings_finish(&w, hr == S_OK ? lppszWarnings : NULL);
	if (hr == S_OK)
		hr = whr;
	return hr;
}

MAPIX_API HRESULT mapix_mime_to_message(const BYTE *lpData, size_t cbData, LPMESSAGE lpMessage, ULONG ulFlags,
                                        char **lppszWarnings)
{
	if (lppszWarnings)
		*lppszWarnings = NULL;
	if ((!lpData && cbData) || !lpMessage)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_mime_to_message: NULL data or message");
	mapix_mime_init();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)(lpData ? lpData : (const BYTE *)""),
	                                                        cbData);
	HRESULT hr = import_stream(stream, lpMessage, ulFlags, lppszWarnings);
	g_object_unref(stream);
	return hr;
}

MAPIX_API HRESULT mapix_mime_fd_to_message(int fd, LPMESSAGE lpMessage, ULONG ulFlags, char **lppszWarnings)
{
	GMimeStream *stream;
	HRESULT hr;

	if (lppszWarnings)
		*lppszWarnings = NULL;
	if (fd < 0 || !lpMessage)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_mime_fd_to_message: bad descriptor or NULL message");
	mapix_mime_init();
	if (lseek(fd, 0, SEEK_CUR) >= 0) {
		int own = dup(fd);
		if (own < 0)
			return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "mapix_mime_fd_to_message: dup: %s",
			                   strerror(errno));
		stream = g_mime_stream_fs_new(own);
	} else {
		GByteArray *all = g_byte_array_new();
		char buf[65536];
		for (;;) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				g_byte_array_unref(all);
				return mapix_error(MAPI_E_DISK_ERROR, "mapix_mime_fd_to_message: read: %s", strerror(errno));
			}
			if (n == 0)
				break;
			g_byte_array_append(all, (const guint8 *)buf, (guint)n);
		}
		stream = g_mime_stream_mem_new_with_byte_array(all);
	}
	hr = import_stream(stream, lpMessage, ulFlags, lppszWarnings);
	g_object_unref(stream);
	return hr;
}
