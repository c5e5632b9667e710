/*
 * mime-rtf-text.c — what an RTF body says, for the mail side: the HTML or
 * plain text that Outlook encapsulated in RTF (MS-OXRTFEX: \fromhtml1 with
 * \*\htmltag groups and \htmlrtf-suppressed RTF; \fromtext), or, for RTF
 * written by hand, its text. A small reader, not an RTF renderer: groups,
 * control words, hex escapes in the document's ANSI code page, \uN.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime-rtf.h"

#define RTF_MAX_DEPTH 512

typedef struct rtf_group {
	BOOL skip;     /* an ignored destination */
	BOOL htmltag;  /* \*\htmltag content: HTML, always emitted in HTML mode */
	BOOL suppress; /* \htmlrtf: RTF-only content of an encapsulation */
	int uc;        /* characters to skip after \uN */
} rtf_group;

typedef struct rtf_reader {
	const BYTE *p;
	size_t len, pos;
	rtf_group stack[RTF_MAX_DEPTH];
	int depth, overflow;
	GString *out;
	GByteArray *pending; /* \'hh bytes waiting for code page conversion */
	char charset[16];
	BOOL html;           /* \fromhtml1 */
	BOOL seen_text;
	int skip_chars;      /* left to skip after \uN */
} rtf_reader;

static rtf_group *top(rtf_reader *r)
{
	return &r->stack[r->depth];
}

static BOOL emitting(rtf_reader *r)
{
	rtf_group *g = top(r);
	if (g->skip)
		return FALSE;
	if (r->html)
		return g->htmltag || !g->suppress;
	return !g->htmltag;
}

static void flush(rtf_reader *r)
{
	if (!r->pending->len)
		return;
	size_t n = 0;
	char *u = mapix_mime_to_utf8((const char *)r->pending->data, r->pending->len, r->charset, NULL, &n);
	g_string_append_len(r->out, u, (gssize)n);
	g_free(u);
	g_byte_array_set_size(r->pending, 0);
}

static void emit_text(rtf_reader *r, const char *s, size_t n)
{
	if (r->skip_chars > 0) {
		r->skip_chars--;
		return;
	}
	if (!emitting(r))
		return;
	flush(r);
	g_string_append_len(r->out, s, (gssize)n);
	r->seen_text = TRUE;
}

static void emit_byte(rtf_reader *r, BYTE b)
{
	if (r->skip_chars > 0) {
		r->skip_chars--;
		return;
	}
	if (!emitting(r))
		return;
	g_byte_array_append(r->pending, &b, 1);
	r->seen_text = TRUE;
}

static void emit_unichar(rtf_reader *r, gunichar c)
{
	char buf[8];
	if (!emitting(r))
		return;
	flush(r);
	if (!g_unichar_validate(c))
		c = 0xFFFD;
	g_string_append_len(r->out, buf, g_unichar_to_utf8(c, buf));
}

static BOOL is_skipped_destination(const char *word)
{
	static const char *const dests[] = {
		"fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "footer", "headerl",
		"headerr", "headerf", "footerl", "footerr", "footerf", "listtable", "listoverridetable", "rsidtbl",
		"generator", "xmlnstbl", "themedata", "colorschememapping", "datastore", "latentstyles", "fldinst",
		"filetbl", "revtbl", "bkmkstart", "bkmkend", "pgdsctbl", "mmathPr", "panose", "falt", "nonshppict",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(dests); i++)
		if (!strcmp(word, dests[i]))
			return TRUE;
	return FALSE;
}

/* Handles a control word; starred says whether it follows \*. */
static void control_word(rtf_reader *r, const char *word, BOOL has_arg, long arg, BOOL group_start, BOOL starred)
{
	rtf_group *g = top(r);

	if (group_start && starred) {
		if (!strcmp(word, "htmltag"))
			g->htmltag = TRUE, g->suppress = FALSE;
		else
			g->skip = TRUE; /* unknown \* destinations are ignorable by definition */
		return;
	}
	if (group_start && is_skipped_destination(word)) {
		g->skip = TRUE;
		return;
	}
	if (!strcmp(word, "fromhtml")) {
		if (!r->seen_text)
			r->html = !has_arg || arg != 0;
	} else if (!strcmp(word, "ansicpg") && has_arg && arg > 0 && arg < 100000) {
		snprintf(r->charset, sizeof r->charset, "CP%ld", arg);
	} else if (!strcmp(word, "htmlrtf")) {
		g->suppress = !has_arg || arg != 0;
	} else if (!strcmp(word, "uc") && has_arg && arg >= 0 && arg < 16) {
		g->uc = (int)arg;
	} else if (!strcmp(word, "u") && has_arg) {
		emit_unichar(r, (gunichar)(arg < 0 ? arg + 65536 : arg));
		r->skip_chars = g->uc;
	} else if (!strcmp(word, "par") || !strcmp(word, "line")) {
		emit_text(r, "\r\n", 2);
	} else if (!strcmp(word, "tab")) {
		emit_text(r, "\t", 1);
	} else if (!strcmp(word, "emdash")) {
		emit_text(r, "\xe2\x80\x94", 3);
	} else if (!strcmp(word, "endash")) {
		emit_text(r, "\xe2\x80\x93", 3);
	} else if (!strcmp(word, "bullet")) {
		emit_text(r, "\xe2\x80\xa2", 3);
	} else if (!strcmp(word, "lquote") || !strcmp(word, "rquote")) {
		emit_text(r, word[0] == 'l' ? "\xe2\x80\x98" : "\xe2\x80\x99", 3);
	} else if (!strcmp(word, "ldblquote") || !strcmp(word, "rdblquote")) {
		emit_text(r, word[0] == 'l' ? "\xe2\x80\x9c" : "\xe2\x80\x9d", 3);
	}
}

static int hexval(BYTE c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *mapix_rtf_extract(const BYTE *rtf, size_t len, ULONG *kind, size_t *outlen)
{
	rtf_reader r = {.p = rtf, .len = len};
	BOOL group_start = FALSE, starred = FALSE;

	r.out = g_string_new(NULL);
	r.pending = g_byte_array_new();
	strcpy(r.charset, "CP1252");
	r.stack[0].uc = 1;
	while (r.pos < r.len) {
		BYTE c = r.p[r.pos++];
		if (c == '{') {
			flush(&r);
			if (r.depth + 1 < RTF_MAX_DEPTH) {
				r.stack[r.depth + 1] = r.stack[r.depth];
				r.stack[r.depth + 1].htmltag = FALSE;
				r.depth++;
			} else {
				r.overflow++;
			}
			group_start = TRUE;
			starred = FALSE;
			continue;
		}
		if (c == '}') {
			flush(&r);
			if (r.overflow)
				r.overflow--;
			else if (r.depth > 0)
				r.depth--;
			group_start = starred = FALSE;
			r.skip_chars = 0;
			continue;
		}
		if (c == '\r' || c == '\n')
			continue;
		if (c != '\\') {
			emit_byte(&r, c);
			group_start = starred = FALSE;
			continue;
		}
		if (r.pos >= r.len)
			break;
		c = r.p[r.pos];
		if (g_ascii_isalpha(c)) {
			char word[33];
			size_t n = 0;
			while (r.pos < r.len && g_ascii_isalpha(r.p[r.pos])) {
				if (n < sizeof word - 1)
					word[n++] = (char)r.p[r.pos];
				r.pos++;
			}
			word[n] = 0;
			BOOL neg = FALSE, has_arg = FALSE;
			long arg = 0;
			if (r.pos < r.len && r.p[r.pos] == '-') {
				neg = TRUE;
				r.pos++;
			}
			while (r.pos < r.len && g_ascii_isdigit(r.p[r.pos])) {
				if (arg < 100000000)
					arg = arg * 10 + (r.p[r.pos] - '0');
				has_arg = TRUE;
				r.pos++;
			}
			if (neg)
				arg = -arg;
			if (r.pos < r.len && r.p[r.pos] == ' ')
				r.pos++; /* the delimiting space belongs to the control word */
			if (r.skip_chars > 0 && strcmp(word, "u") != 0) {
				r.skip_chars--;
				continue;
			}
			control_word(&r, word, has_arg, arg, group_start, starred);
			group_start = starred = FALSE;
			continue;
		}
		r.pos++;
		switch (c) {
		case '*':
			starred = TRUE;
			continue; /* group_start stays as it was */
		case '\'':
			if (r.pos + 2 <= r.len && hexval(r.p[r.pos]) >= 0 && hexval(r.p[r.pos + 1]) >= 0) {
				emit_byte(&r, (BYTE)(hexval(r.p[r.pos]) << 4 | hexval(r.p[r.pos + 1])));
				r.pos += 2;
			}
			break;
		case '\\':
		case '{':
		case '}':
			emit_byte(&r, c);
			break;
		case '~':
			emit_text(&r, "\xc2\xa0", 2);
			break;
		case '_':
			emit_text(&r, "-", 1);
			break;
		case '\r':
		case '\n':
			emit_text(&r, "\r\n", 2); /* "\<newline>" is \par */
			break;
		default:
			break; /* \- \| \: and others: nothing to show */
		}
		group_start = starred = FALSE;
	}
	flush(&r);
	g_byte_array_unref(r.pending);
	*kind = r.html ? MAPIX_RTF_HTML : MAPIX_RTF_TEXT;
	*outlen = r.out->len;
	return g_string_free(r.out, FALSE);
}

MAPIX_API HRESULT mapix_rtf_to_body(const BYTE *lpRtf, ULONG cbRtf, ULONG *lpulKind, char **lppszBody,
                                    size_t *lpcbBody)
{
	ULONG kind = 0;
	size_t n = 0;
	char *body, *out = NULL;

	if ((!lpRtf && cbRtf) || !lppszBody)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_rtf_to_body: NULL argument");
	body = mapix_rtf_extract(lpRtf ? lpRtf : (const BYTE *)"", cbRtf, &kind, &n);
	if (n > 0x7FFFFFF0 || MAPIAllocateBuffer((ULONG)n + 1, (LPVOID *)&out) != S_OK) {
		g_free(body);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_rtf_to_body: out of memory");
	}
	memcpy(out, body, n + 1);
	g_free(body);
	*lppszBody = out;
	if (lpulKind)
		*lpulKind = kind;
	if (lpcbBody)
		*lpcbBody = n;
	return S_OK;
}
