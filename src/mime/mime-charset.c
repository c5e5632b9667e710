/*
 * mime-charset.c — decoded bytes and Unicode text of MIME leaf parts.
 * Every charset is turned into UTF-8 here (MAPI strings are then UTF-16).
 * Mail lies about charsets: a declared charset that iconv does not know or
 * that does not fit the bytes falls back to UTF-8 when the bytes are valid
 * UTF-8, else windows-1252, else ISO-8859-1 (which accepts every byte), and
 * says so in a warning.
 */
#include <errno.h>
#include <string.h>

#include "mime/mime.h"

/* iconv of the whole input, or NULL when the charset is unknown or the
 * bytes do not fit it. */
static char *convert(const char *data, size_t len, const char *charset, size_t *outlen)
{
	const char *name = g_mime_charset_iconv_name(charset);
	iconv_t cd = g_mime_iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = len * 4 + 16;
	char *out = g_malloc(cap);
	char *in = (char *)data, *o = out;
	size_t inleft = len, oleft = cap - 1;
	while (inleft > 0) {
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(o - out);
			cap *= 2;
			out = g_realloc(out, cap);
			o = out + used;
			oleft = cap - used - 1;
			continue;
		}
		/* EILSEQ or EINVAL: the bytes are not in this charset. */
		g_mime_iconv_close(cd);
		g_free(out);
		return NULL;
	}
	iconv(cd, NULL, NULL, &o, &oleft); /* flush the shift state (ISO-2022-*) */
	g_mime_iconv_close(cd);
	*o = 0;
	*outlen = (size_t)(o - out);
	return out;
}

static BOOL is_ascii_name(const char *charset)
{
	return !charset || !g_ascii_strcasecmp(charset, "us-ascii") || !g_ascii_strcasecmp(charset, "ascii") ||
	       !g_ascii_strcasecmp(charset, "ansi_x3.4-1968");
}

char *mapix_mime_to_utf8(const char *data, size_t len, const char *charset, mapix_mime_warnings *w, size_t *outlen)
{
	char *out = NULL;
	size_t n = 0;
	BOOL eight_bit = FALSE;

	mapix_mime_init(); /* GMime's charset tables; also reached from the RTF code */
	if (!data) {
		data = "";
		len = 0;
	}

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] & 0x80) {
			eight_bit = TRUE;
			break;
		}
	if (!eight_bit && is_ascii_name(charset)) {
		out = g_strndup(data, len);
		*outlen = len;
		return out;
	}
	if (charset && !is_ascii_name(charset)) {
		out = convert(data, len, charset, &n);
		if (out && g_utf8_validate(out, (gssize)n, NULL)) {
			*outlen = n;
			return out;
		}
		g_free(out);
		mapix_mime_warn(w, "text in charset \"%s\" could not be decoded as such; guessed another charset",
		                charset);
	} else if (eight_bit && charset) {
		mapix_mime_warn(w, "8-bit text declared as us-ascii; guessed its charset");
	}
	if (g_utf8_validate(data, (gssize)len, NULL)) {
		*outlen = len;
		return g_strndup(data, len);
	}
	if ((out = convert(data, len, "windows-1252", &n)) != NULL) {
		*outlen = n;
		return out;
	}
	out = convert(data, len, "iso-8859-1", &n);
	if (out) {
		*outlen = n;
		return out;
	}
	/* iconv unusable: keep what is valid. */
	out = g_utf8_make_valid(data, (gssize)len);
	*outlen = strlen(out);
	return out;
}

/* GMime's decoders skip what they cannot decode without a word; mail with
 * damaged base64 or quoted-printable deserves a warning, so the encoded
 * form is checked here as it is streamed. */
void mapix_mime_check_encoding(GMimeDataWrapper *dw, mapix_mime_warnings *w)
{
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(dw);
	GMimeStream *src = g_mime_data_wrapper_get_stream(dw);
	char buf[4096];
	ssize_t n;
	size_t bad = 0, pending_eq = 0;
	char eq[2];

	if (!src || (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE))
		return;
	if (g_mime_stream_reset(src) < 0)
		return;
	while ((n = g_mime_stream_read(src, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];
			if (enc == GMIME_CONTENT_ENCODING_BASE64) {
				if (!g_ascii_isalnum(c) && c != '+' && c != '/' && c != '=' && !g_ascii_isspace(c))
					bad++;
				continue;
			}
			if (pending_eq) {
				eq[2 - pending_eq] = (char)c;
				if (--pending_eq == 0) {
					BOOL soft = eq[0] == '\n' || (eq[0] == '\r' && eq[1] == '\n');
					if (!soft && !(g_ascii_isxdigit(eq[0]) && g_ascii_isxdigit(eq[1])))
						bad++;
				} else if (c == '\n') {
					pending_eq = 0; /* "=" LF: a soft line break */
				}
			} else if (c == '=') {
				pending_eq = 2;
			}
		}
	}
	g_mime_stream_reset(src);
	if (bad)
		mapix_mime_warn(w, "%zu invalid characters in %s content were skipped", bad,
		                enc == GMIME_CONTENT_ENCODING_BASE64 ? "base64" : "quoted-printable");
}

GByteArray *mapix_mime_part_bytes(GMimeObject *part, mapix_mime_import *ctx)
{
	GByteArray *arr = g_byte_array_new();
	GMimeDataWrapper *dw;

	if (!GMIME_IS_PART(part))
		return arr;
	dw = g_mime_part_get_content(GMIME_PART(part));
	if (!dw)
		return arr;
	mapix_mime_check_encoding(dw, ctx->warnings);
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (g_mime_data_wrapper_write_to_stream(dw, mem) < 0)
		mapix_mime_warn(ctx->warnings, "could not decode the content of a part");
	g_object_unref(mem);
	return arr;
}

char *mapix_mime_part_text(GMimeObject *part, mapix_mime_import *ctx, size_t *len)
{
	GByteArray *raw = mapix_mime_part_bytes(part, ctx);
	const char *charset = g_mime_object_get_content_type_parameter(part, "charset");
	char *out = mapix_mime_to_utf8((const char *)raw->data, raw->len, charset, ctx->warnings, len);
	g_byte_array_unref(raw);
	return out;
}
