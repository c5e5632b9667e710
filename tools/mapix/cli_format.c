/*
 * cli_format.c — property values as text, the one way `ls` cells and `show`
 * listings write them: strings as UTF-8 with control characters escaped (one
 * value never spans lines), binaries as upper-case hex, times as ISO 8601 UTC,
 * multi-valued properties as [a, b], PT_ERROR as the status code's name.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixprops.h>
#include <mapix/mapixstore.h>

#include "cli.h"

void cli_buf_add(cli_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *t = realloc(b->text, cap);
		if (!t) {
			b->oom = 1;
			return;
		}
		b->text = t;
		b->cap = cap;
	}
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = 0;
}

void cli_buf_addf(cli_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		cli_buf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cli_buf_add(b, big, (size_t)n);
	free(big);
}

void cli_buf_free(cli_buf *b)
{
	free(b->text);
	memset(b, 0, sizeof *b);
}

const char *cli_tag_label(ULONG tag, char buf[16])
{
	const char *name = mapix_prop_tag_name(tag);
	if (name)
		return name;
	snprintf(buf, 16, "0x%04X", (unsigned)PROP_ID(tag));
	return buf;
}

void cli_format_guid(cli_buf *b, const GUID *g)
{
	cli_buf_addf(b, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)g->Data1, g->Data2, g->Data3,
	             g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
	             g->Data4[7]);
}

void cli_format_time(cli_buf *b, FILETIME ft)
{
	uint32_t ns = 0;
	int64_t secs = mapix_filetime_to_unix(ft, &ns);
	struct tm tm;
	time_t t = (time_t)secs;
	if ((int64_t)t != secs || !gmtime_r(&t, &tm)) {
		cli_buf_addf(b, "0x%08X%08X", (unsigned)ft.dwHighDateTime, (unsigned)ft.dwLowDateTime);
		return;
	}
	cli_buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec);
	if (ns) {
		/* FILETIME counts 100 ns: at most 7 digits, trailing zeros dropped. */
		char frac[16];
		snprintf(frac, sizeof frac, "%07u", (unsigned)(ns / 100));
		size_t n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			n--;
		cli_buf_add(b, ".", 1);
		cli_buf_add(b, frac, n);
	}
	cli_buf_add(b, "Z", 1);
}

/* UTF-8 text with control characters escaped; `quoted` also escapes '"'. */
static void add_text(cli_buf *b, const char *s, size_t n, int quoted)
{
	if (quoted)
		cli_buf_add(b, "\"", 1);
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[8];
		if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '"' && quoted)
			esc = "\\\"";
		else if (c < 0x20 || c == 0x7F) {
			snprintf(hex, sizeof hex, "\\x%02X", c);
			esc = hex;
		}
		if (esc) {
			cli_buf_add(b, s + start, i - start);
			cli_buf_add(b, esc, strlen(esc));
			start = i + 1;
		}
	}
	cli_buf_add(b, s + start, n - start);
	if (quoted)
		cli_buf_add(b, "\"", 1);
}

static void add_wide(cli_buf *b, const WCHAR *w, int quoted)
{
	if (!w) {
		cli_buf_add(b, quoted ? "\"\"" : "", quoted ? 2 : 0);
		return;
	}
	size_t wl = mapix_wcslen(w);
	size_t need = mapix_utf16_to_utf8_buf(w, wl, NULL, 0);
	char *s = malloc(need + 1);
	if (!s) {
		b->oom = 1;
		return;
	}
	size_t got = mapix_utf16_to_utf8_buf(w, wl, s, need + 1);
	add_text(b, s, got < need ? got : need, quoted);
	free(s);
}

static void add_hex(cli_buf *b, const BYTE *p, ULONG cb)
{
	static const char digits[] = "0123456789ABCDEF";
	char chunk[128];
	size_t n = 0;
	for (ULONG i = 0; i < cb; i++) {
		chunk[n++] = digits[p[i] >> 4];
		chunk[n++] = digits[p[i] & 15];
		if (n == sizeof chunk) {
			cli_buf_add(b, chunk, n);
			n = 0;
		}
	}
	cli_buf_add(b, chunk, n);
}

static void add_double(cli_buf *b, double d)
{
	cli_buf_addf(b, "%.17g", d);
}

/* One element of a value: the single value itself, or element i of an MV. */
static void add_scalar(cli_buf *b, ULONG type, const SPropValue *v, ULONG i, int mv, ULONG flags)
{
	const union _PV *pv = &v->Value;
	switch (type) {
	case PT_SHORT:
		cli_buf_addf(b, "%d", mv ? pv->MVi.lpi[i] : pv->i);
		break;
	case PT_LONG: {
		LONG l = mv ? pv->MVl.lpl[i] : pv->l;
		cli_buf_addf(b, "%" PRId32, (int32_t)l);
		if (!mv && !(flags & CLI_FMT_CELL) && (l < 0 || l > 9))
			cli_buf_addf(b, " (0x%08" PRIX32 ")", (uint32_t)l);
		break;
	}
	case PT_FLOAT:
		cli_buf_addf(b, "%.9g", (double)(mv ? pv->MVflt.lpflt[i] : pv->flt));
		break;
	case PT_DOUBLE:
		add_double(b, mv ? pv->MVdbl.lpdbl[i] : pv->dbl);
		break;
	case PT_APPTIME:
		add_double(b, mv ? pv->MVat.lpat[i] : pv->at);
		break;
	case PT_CURRENCY: {
		int64_t c = mv ? pv->MVcur.lpcur[i].int64 : pv->cur.int64;
		/* CURRENCY is a count of 1/10000 units. */
		cli_buf_addf(b, "%s%" PRId64 ".%04" PRId64, c < 0 ? "-" : "", c < 0 ? -(c / 10000) : c / 10000,
		             c < 0 ? -(c % 10000) : c % 10000);
		break;
	}
	case PT_I8:
		cli_buf_addf(b, "%" PRId64, (int64_t)(mv ? pv->MVli.lpli[i].QuadPart : pv->li.QuadPart));
		break;
	case PT_SYSTIME:
		cli_format_time(b, mv ? pv->MVft.lpft[i] : pv->ft);
		break;
	case PT_STRING8: {
		const char *s = mv ? pv->MVszA.lppszA[i] : pv->lpszA;
		add_text(b, s ? s : "", s ? strlen(s) : 0, mv);
		break;
	}
	case PT_UNICODE:
		add_wide(b, mv ? pv->MVszW.lppszW[i] : pv->lpszW, mv);
		break;
	case PT_BINARY:
	case PT_SVREID: {
		const SBinary *bin = mv ? &pv->MVbin.lpbin[i] : &pv->bin;
		add_hex(b, bin->lpb, bin->cb);
		break;
	}
	case PT_CLSID: {
		const GUID *g = mv ? &pv->MVguid.lpguid[i] : pv->lpguid;
		if (g)
			cli_format_guid(b, g);
		break;
	}
	default:
		cli_buf_addf(b, "(type 0x%04X)", (unsigned)type);
		break;
	}
}

static ULONG mv_count(ULONG type, const SPropValue *v)
{
	/* Every SMV* structure starts with its ULONG count. */
	(void)type;
	return v->Value.MVl.cValues;
}

void cli_format_value(cli_buf *b, const SPropValue *v, ULONG flags)
{
	ULONG type = PROP_TYPE(v->ulPropTag);
	switch (type) {
	case PT_ERROR:
		if ((flags & CLI_FMT_CELL) && v->Value.err == MAPI_E_NOT_FOUND)
			return;
		cli_buf_addf(b, "%s", MAPIXErrorName(v->Value.err));
		return;
	case PT_NULL:
	case PT_UNSPECIFIED:
		return;
	case PT_BOOLEAN:
		cli_buf_addf(b, "%s", v->Value.b ? "true" : "false");
		return;
	case PT_OBJECT:
		cli_buf_addf(b, "(object)");
		return;
	default:
		break;
	}
	if (type & MV_FLAG) {
		ULONG base = type & ~(ULONG)(MV_FLAG | MV_INSTANCE);
		ULONG n = mv_count(type, v);
		cli_buf_add(b, "[", 1);
		for (ULONG i = 0; i < n; i++) {
			if (i)
				cli_buf_add(b, ", ", 2);
			add_scalar(b, base, v, i, 1, flags);
		}
		cli_buf_add(b, "]", 1);
		return;
	}
	add_scalar(b, type, v, 0, 0, flags);
}
