/*
 * profile_file.c — one profile in memory and its text form: INI-like
 * sections "[section <MAPIUID as 32 hex digits>]" with one
 * "<tag> = <type>:<value>" line per property (docs/formats.md, "Profile
 * files"). The directory operations that store these files are in
 * profile_dir.c.
 *
 * Values are stored as SPropValue arrays made with the MAPI allocator (one
 * root block per section), so they can be handed to PropCopyMore,
 * ScDupPropset and IPropData without conversion.
 */
#include "subsystem/profile_file.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixprops.h>

#include "core/error.h"

/* ---- sections ---------------------------------------------------------------- */

HRESULT mapix_profile_new(mapix_profile **lppProfile)
{
	mapix_profile *p = calloc(1, sizeof *p);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_new: out of memory");
	*lppProfile = p;
	return S_OK;
}

void mapix_profile_free(mapix_profile *p)
{
	if (!p)
		return;
	for (ULONG i = 0; i < p->cSections; i++)
		MAPIFreeBuffer(p->sections[i].lpProps);
	free(p->sections);
	free(p);
}

mapix_profsect_data *mapix_profile_find(const mapix_profile *p, const MAPIUID *uid)
{
	for (ULONG i = 0; i < p->cSections; i++)
		if (IsEqualMAPIUID(&p->sections[i].uid, uid))
			return &p->sections[i];
	return NULL;
}

LPSPropValue mapix_profsect_find_prop(const mapix_profsect_data *s, ULONG ulPropTag)
{
	if (!s)
		return NULL;
	for (ULONG i = 0; i < s->cValues; i++)
		if (PROP_ID(s->lpProps[i].ulPropTag) == PROP_ID(ulPropTag))
			return &s->lpProps[i];
	return NULL;
}

HRESULT mapix_profile_new_uid(MAPIUID *uid)
{
	size_t got = 0;
	while (got < sizeof uid->ab) {
		ssize_t n = getrandom(uid->ab + got, sizeof uid->ab - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mapix_error(MAPI_E_CALL_FAILED, "mapix_profile_new_uid: getrandom failed: %s", strerror(errno));
		got += (size_t)n;
	}
	return S_OK;
}

static BOOL storable_type(ULONG type)
{
	switch (type & ~(ULONG)MV_FLAG) {
	case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME:
	case PT_I8: case PT_STRING8: case PT_UNICODE: case PT_SYSTIME: case PT_CLSID: case PT_BINARY:
		return TRUE;
	case PT_BOOLEAN:
		return !(type & MV_FLAG);
	default:
		return FALSE;
	}
}

static mapix_profsect_data *add_section(mapix_profile *p, const MAPIUID *uid)
{
	if (p->cSections == p->capSections) {
		ULONG cap = p->capSections ? p->capSections * 2 : 8;
		mapix_profsect_data *n = realloc(p->sections, cap * sizeof *n);
		if (!n)
			return NULL;
		p->sections = n;
		p->capSections = cap;
	}
	mapix_profsect_data *s = &p->sections[p->cSections++];
	memset(s, 0, sizeof *s);
	s->uid = *uid;
	return s;
}

/*
 * Rebuilds a section's block: the old properties that are neither
 * replaced nor deleted, then the new ones (the last of several with one id
 * wins). One new block per change keeps ownership simple.
 */
static HRESULT section_rebuild(mapix_profsect_data *s, ULONG cNew, const SPropValue *lpNew, const SPropTagArray *lpDel)
{
	ULONG total = 0;
	for (ULONG i = 0; i < s->cValues; i++) {
		ULONG id = PROP_ID(s->lpProps[i].ulPropTag);
		BOOL gone = FALSE;
		for (ULONG j = 0; j < cNew && !gone; j++)
			gone = PROP_ID(lpNew[j].ulPropTag) == id;
		for (ULONG j = 0; lpDel && j < lpDel->cValues && !gone; j++)
			gone = PROP_ID(lpDel->aulPropTag[j]) == id;
		if (!gone)
			total++;
	}
	for (ULONG j = 0; j < cNew; j++) {
		BOOL later = FALSE;
		for (ULONG k = j + 1; k < cNew && !later; k++)
			later = PROP_ID(lpNew[k].ulPropTag) == PROP_ID(lpNew[j].ulPropTag);
		if (!later)
			total++;
	}
	LPSPropValue block = NULL;
	SCODE sc = MAPIAllocateBuffer((ULONG)((total ? total : 1) * sizeof(SPropValue)), (LPVOID *)&block);
	if (FAILED(sc))
		return mapix_error(sc, "mapix_profile: out of memory for a profile section");
	ULONG n = 0;
	for (ULONG i = 0; i < s->cValues; i++) {
		ULONG id = PROP_ID(s->lpProps[i].ulPropTag);
		BOOL gone = FALSE;
		for (ULONG j = 0; j < cNew && !gone; j++)
			gone = PROP_ID(lpNew[j].ulPropTag) == id;
		for (ULONG j = 0; lpDel && j < lpDel->cValues && !gone; j++)
			gone = PROP_ID(lpDel->aulPropTag[j]) == id;
		if (gone)
			continue;
		sc = PropCopyMore(&block[n++], &s->lpProps[i], MAPIAllocateMore, block);
		if (FAILED(sc))
			goto fail;
	}
	for (ULONG j = 0; j < cNew; j++) {
		BOOL later = FALSE;
		for (ULONG k = j + 1; k < cNew && !later; k++)
			later = PROP_ID(lpNew[k].ulPropTag) == PROP_ID(lpNew[j].ulPropTag);
		if (later)
			continue;
		sc = PropCopyMore(&block[n++], (LPSPropValue)&lpNew[j], MAPIAllocateMore, block);
		if (FAILED(sc))
			goto fail;
	}
	MAPIFreeBuffer(s->lpProps);
	s->lpProps = block;
	s->cValues = n;
	return S_OK;
fail:
	MAPIFreeBuffer(block);
	return mapix_error(sc, "mapix_profile: cannot copy a property value (%s)", mapix_error_name(sc));
}

HRESULT mapix_profile_set_props(mapix_profile *p, const MAPIUID *uid, ULONG cValues, const SPropValue *lpProps)
{
	for (ULONG i = 0; i < cValues; i++)
		if (!storable_type(PROP_TYPE(lpProps[i].ulPropTag)))
			return mapix_error(MAPI_E_INVALID_TYPE, "mapix_profile_set_props: property 0x%08X cannot be stored in a profile",
			                   (unsigned)lpProps[i].ulPropTag);
	mapix_profsect_data *s = mapix_profile_find(p, uid);
	BOOL added = FALSE;
	if (!s) {
		s = add_section(p, uid);
		if (!s)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_set_props: out of memory");
		added = TRUE;
	}
	HRESULT hr = section_rebuild(s, cValues, lpProps, NULL);
	if (FAILED(hr) && added)
		p->cSections--;
	return hr;
}

HRESULT mapix_profile_delete_props(mapix_profile *p, const MAPIUID *uid, const SPropTagArray *lpTags)
{
	mapix_profsect_data *s = mapix_profile_find(p, uid);
	if (!s)
		return S_OK;
	return section_rebuild(s, 0, NULL, lpTags);
}

BOOL mapix_profile_remove_section(mapix_profile *p, const MAPIUID *uid)
{
	mapix_profsect_data *s = mapix_profile_find(p, uid);
	if (!s)
		return FALSE;
	MAPIFreeBuffer(s->lpProps);
	ULONG i = (ULONG)(s - p->sections);
	memmove(&p->sections[i], &p->sections[i + 1], (p->cSections - i - 1) * sizeof *s);
	p->cSections--;
	return TRUE;
}

/* ---- writing ------------------------------------------------------------------ */

typedef struct textbuf {
	char *p;
	size_t len, cap;
	BOOL oom;
} textbuf;

static void tb_put(textbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = TRUE;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void tb_str(textbuf *b, const char *s)
{
	tb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void tb_fmt(textbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		tb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Numbers are written and read in the C locale whatever the program set. */
static void tb_double(textbuf *b, double v, int digits)
{
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	locale_t old = c ? uselocale(c) : (locale_t)0;
	tb_fmt(b, "%.*g", digits, v);
	if (c) {
		uselocale(old);
		freelocale(c);
	}
}

static void tb_escaped(textbuf *b, const char *s, size_t n, BOOL in_list)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			tb_str(b, "\\\\");
		else if (c == '\n')
			tb_str(b, "\\n");
		else if (c == '\r')
			tb_str(b, "\\r");
		else if (c == '\t')
			tb_str(b, "\\t");
		else if (c == ',' && in_list)
			tb_str(b, "\\,");
		else if (c < 0x20 || c == 0x7F)
			tb_fmt(b, "\\x%02X", c);
		else
			tb_put(b, (const char *)&c, 1);
	}
}

static void tb_wstring(textbuf *b, const WCHAR *w, BOOL in_list)
{
	size_t wl = mapix_wcslen(w);
	size_t need = mapix_utf16_to_utf8_buf(w, wl, NULL, 0);
	char *u = malloc(need + 1);
	if (!u) {
		b->oom = TRUE;
		return;
	}
	mapix_utf16_to_utf8_buf(w, wl, u, need + 1);
	tb_escaped(b, u, need, in_list);
	free(u);
}

static void tb_hex(textbuf *b, const BYTE *p, ULONG cb)
{
	static const char hx[] = "0123456789ABCDEF";
	for (ULONG i = 0; i < cb; i++) {
		char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
		tb_put(b, two, 2);
	}
}

static void tb_guid(textbuf *b, const GUID *g)
{
	tb_fmt(b, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", (unsigned)g->Data1, g->Data2, g->Data3,
	       g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static uint64_t ft_u64(FILETIME ft)
{
	return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

static const struct {
	ULONG type;
	const char *name;
} type_names[] = {
	{PT_I2, "i2"},           {PT_LONG, "long"},       {PT_R4, "float"},       {PT_DOUBLE, "double"},
	{PT_CURRENCY, "currency"}, {PT_APPTIME, "apptime"}, {PT_BOOLEAN, "boolean"}, {PT_I8, "i8"},
	{PT_STRING8, "string8"}, {PT_UNICODE, "unicode"}, {PT_SYSTIME, "systime"}, {PT_CLSID, "clsid"},
	{PT_BINARY, "binary"},
};

static const char *type_name(ULONG base)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (type_names[i].type == base)
			return type_names[i].name;
	return NULL;
}

/* One element (index i of an MV value, or the single value when !mv). */
static void put_elem(textbuf *b, const SPropValue *v, ULONG base, BOOL mv, ULONG i)
{
	const union _PV *pv = &v->Value;
	switch (base) {
	case PT_I2:
		tb_fmt(b, "%d", mv ? pv->MVi.lpi[i] : pv->i);
		break;
	case PT_LONG:
		tb_fmt(b, "%ld", (long)(mv ? pv->MVl.lpl[i] : pv->l));
		break;
	case PT_R4:
		tb_double(b, mv ? pv->MVflt.lpflt[i] : pv->flt, 9);
		break;
	case PT_DOUBLE:
		tb_double(b, mv ? pv->MVdbl.lpdbl[i] : pv->dbl, 17);
		break;
	case PT_APPTIME:
		tb_double(b, mv ? pv->MVat.lpat[i] : pv->at, 17);
		break;
	case PT_CURRENCY:
		tb_fmt(b, "%" PRId64, (int64_t)(mv ? pv->MVcur.lpcur[i].int64 : pv->cur.int64));
		break;
	case PT_I8:
		tb_fmt(b, "%" PRId64, (int64_t)(mv ? pv->MVli.lpli[i].QuadPart : pv->li.QuadPart));
		break;
	case PT_BOOLEAN:
		tb_str(b, pv->b ? "true" : "false");
		break;
	case PT_SYSTIME:
		tb_fmt(b, "0x%016" PRIX64, ft_u64(mv ? pv->MVft.lpft[i] : pv->ft));
		break;
	case PT_CLSID:
		tb_guid(b, mv ? &pv->MVguid.lpguid[i] : pv->lpguid);
		break;
	case PT_BINARY: {
		const SBinary *bin = mv ? &pv->MVbin.lpbin[i] : &pv->bin;
		tb_hex(b, bin->lpb, bin->cb);
		break;
	}
	case PT_STRING8: {
		const char *s = mv ? pv->MVszA.lppszA[i] : pv->lpszA;
		tb_escaped(b, s ? s : "", s ? strlen(s) : 0, mv);
		break;
	}
	case PT_UNICODE: {
		const WCHAR *w = mv ? pv->MVszW.lppszW[i] : pv->lpszW;
		if (w)
			tb_wstring(b, w, mv);
		break;
	}
	}
}

static void put_prop(textbuf *b, const SPropValue *v)
{
	ULONG tag = v->ulPropTag, type = PROP_TYPE(tag), base = type & ~(ULONG)MV_FLAG;
	BOOL mv = (type & MV_FLAG) != 0;
	const char *name = mapix_prop_tag_name(tag);
	if (name && PROP_ID(mapix_prop_tag_from_name(name)) == PROP_ID(tag))
		tb_str(b, name);
	else
		tb_fmt(b, "0x%04X", (unsigned)PROP_ID(tag));
	tb_str(b, " = ");
	if (mv)
		tb_str(b, "mv-");
	tb_str(b, type_name(base));
	tb_str(b, ":");
	if (!mv) {
		put_elem(b, v, base, FALSE, 0);
	} else {
		ULONG n = v->Value.MVl.cValues; /* every MV array starts with cValues */
		tb_fmt(b, "%lu:", (unsigned long)n);
		for (ULONG i = 0; i < n; i++) {
			if (i)
				tb_str(b, ",");
			put_elem(b, v, base, TRUE, i);
		}
	}
	tb_str(b, "\n");
}

HRESULT mapix_profile_serialize(const mapix_profile *p, char **lppText, size_t *lpcb)
{
	textbuf b = {0};
	tb_str(&b, "# mapix profile, format 1 (docs/formats.md, \"Profile files\"). Written atomically under a lock;\n"
	           "# change it with mapix tools, not by hand while programs use it.\n");
	for (ULONG i = 0; i < p->cSections; i++) {
		const mapix_profsect_data *s = &p->sections[i];
		tb_str(&b, "\n[section ");
		tb_hex(&b, s->uid.ab, sizeof s->uid.ab);
		tb_str(&b, "]\n");
		for (ULONG j = 0; j < s->cValues; j++) {
			if (!storable_type(PROP_TYPE(s->lpProps[j].ulPropTag)))
				continue;
			put_prop(&b, &s->lpProps[j]);
		}
	}
	if (b.oom) {
		free(b.p);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_serialize: out of memory");
	}
	*lppText = b.p;
	*lpcb = b.len;
	return S_OK;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct parse_ctx {
	unsigned line;
	LPVOID root; /* the section block values are allocated on */
} parse_ctx;

static HRESULT corrupt(const parse_ctx *c, const char *why)
{
	return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_profile_parse: line %u: %s", c->line, why);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static BOOL parse_hex_bytes(const char *s, size_t n, BYTE *out)
{
	if (n % 2)
		return FALSE;
	for (size_t i = 0; i < n / 2; i++) {
		int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
		if (h < 0 || l < 0)
			return FALSE;
		out[i] = (BYTE)(h << 4 | l);
	}
	return TRUE;
}

/* Length of one list element of s[0..n): up to an unescaped ',' (when in
 * a list) or the end. */
static size_t elem_len(const char *s, size_t n, BOOL in_list)
{
	if (!in_list)
		return n;
	size_t i = 0;
	while (i < n && s[i] != ',') {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		i++;
	}
	return i;
}

/* Unescapes s[0..n) into a new child of the root (NUL-terminated UTF-8). */
static HRESULT unescape(parse_ctx *c, const char *s, size_t n, char **out)
{
	char *d = NULL;
	if (FAILED(MAPIAllocateMore((ULONG)n + 1, c->root, (LPVOID *)&d)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			d[k++] = s[i];
			continue;
		}
		if (++i >= n)
			return corrupt(c, "backslash at the end of a value");
		switch (s[i]) {
		case '\\': d[k++] = '\\'; break;
		case 'n': d[k++] = '\n'; break;
		case 'r': d[k++] = '\r'; break;
		case 't': d[k++] = '\t'; break;
		case ',': d[k++] = ','; break;
		case 'x': {
			int h = i + 2 < n ? hexval(s[i + 1]) : -1, l = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return corrupt(c, "bad \\x escape");
			d[k++] = (char)(h << 4 | l);
			i += 2;
			break;
		}
		default:
			return corrupt(c, "unknown escape");
		}
	}
	d[k] = '\0';
	*out = d;
	return S_OK;
}

static HRESULT parse_int64(parse_ctx *c, const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
	char tmp[40];
	if (n == 0 || n >= sizeof tmp)
		return corrupt(c, "bad number");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	errno = 0;
	long long v;
	if (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))
		v = (long long)strtoull(tmp, &end, 16);
	else
		v = strtoll(tmp, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return corrupt(c, "bad number");
	*out = v;
	return S_OK;
}

static HRESULT parse_double(parse_ctx *c, const char *s, size_t n, double *out)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return corrupt(c, "bad floating-point number");
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	locale_t cl = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (!cl)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
	char *end;
	*out = strtod_l(tmp, &end, cl);
	freelocale(cl);
	if (*end)
		return corrupt(c, "bad floating-point number");
	return S_OK;
}

static HRESULT parse_guid(parse_ctx *c, const char *s, size_t n, GUID *g)
{
	/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} */
	if (n != 38 || s[0] != '{' || s[37] != '}' || s[9] != '-' || s[14] != '-' || s[19] != '-' || s[24] != '-')
		return corrupt(c, "bad GUID");
	BYTE b[16];
	const int at[16] = {1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35};
	for (int i = 0; i < 16; i++)
		if (!parse_hex_bytes(s + at[i], 2, &b[i]))
			return corrupt(c, "bad GUID");
	g->Data1 = (DWORD)b[0] << 24 | (DWORD)b[1] << 16 | (DWORD)b[2] << 8 | b[3];
	g->Data2 = (WORD)(b[4] << 8 | b[5]);
	g->Data3 = (WORD)(b[6] << 8 | b[7]);
	memcpy(g->Data4, b + 8, 8);
	return S_OK;
}

/* Parses one element of base type into slot (an element of the right C
 * type, or the union for single values). */
static HRESULT parse_elem(parse_ctx *c, ULONG base, const char *s, size_t n, void *slot)
{
	HRESULT hr;
	int64_t iv;
	double dv;
	switch (base) {
	case PT_I2:
		if (FAILED(hr = parse_int64(c, s, n, INT16_MIN, UINT16_MAX, &iv)))
			return hr;
		*(short *)slot = (short)iv;
		return S_OK;
	case PT_LONG:
		if (FAILED(hr = parse_int64(c, s, n, INT32_MIN, UINT32_MAX, &iv)))
			return hr;
		*(LONG *)slot = (LONG)(int32_t)(uint32_t)iv;
		return S_OK;
	case PT_CURRENCY:
	case PT_I8:
		if (FAILED(hr = parse_int64(c, s, n, INT64_MIN, INT64_MAX, &iv)))
			return hr;
		*(LONGLONG *)slot = iv;
		return S_OK;
	case PT_R4:
		if (FAILED(hr = parse_double(c, s, n, &dv)))
			return hr;
		*(float *)slot = (float)dv;
		return S_OK;
	case PT_DOUBLE:
	case PT_APPTIME:
		if (FAILED(hr = parse_double(c, s, n, &dv)))
			return hr;
		*(double *)slot = dv;
		return S_OK;
	case PT_BOOLEAN:
		if (n == 4 && memcmp(s, "true", 4) == 0)
			*(unsigned short *)slot = 1;
		else if (n == 5 && memcmp(s, "false", 5) == 0)
			*(unsigned short *)slot = 0;
		else
			return corrupt(c, "bad boolean (true or false)");
		return S_OK;
	case PT_SYSTIME: {
		if (n != 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
			return corrupt(c, "bad systime (0x followed by 16 hex digits)");
		BYTE be[8];
		if (!parse_hex_bytes(s + 2, 16, be))
			return corrupt(c, "bad systime");
		FILETIME *ft = slot;
		ft->dwHighDateTime = (DWORD)be[0] << 24 | (DWORD)be[1] << 16 | (DWORD)be[2] << 8 | be[3];
		ft->dwLowDateTime = (DWORD)be[4] << 24 | (DWORD)be[5] << 16 | (DWORD)be[6] << 8 | be[7];
		return S_OK;
	}
	case PT_CLSID:
		return parse_guid(c, s, n, slot);
	case PT_BINARY: {
		SBinary *bin = slot;
		bin->cb = (ULONG)(n / 2);
		bin->lpb = NULL;
		if (FAILED(MAPIAllocateMore(bin->cb ? bin->cb : 1, c->root, (LPVOID *)&bin->lpb)))
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
		if (!parse_hex_bytes(s, n, bin->lpb))
			return corrupt(c, "bad hex in a binary value");
		return S_OK;
	}
	case PT_STRING8:
		return unescape(c, s, n, (char **)slot);
	case PT_UNICODE: {
		char *u;
		if (FAILED(hr = unescape(c, s, n, &u)))
			return hr;
		if (FAILED(mapix_utf8_to_utf16(u, c->root, (LPWSTR *)slot)))
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
		return S_OK;
	}
	}
	return corrupt(c, "unknown type");
}

static size_t elem_size(ULONG base)
{
	switch (base) {
	case PT_I2: return sizeof(short);
	case PT_LONG: return sizeof(LONG);
	case PT_R4: return sizeof(float);
	case PT_DOUBLE: case PT_APPTIME: return sizeof(double);
	case PT_CURRENCY: return sizeof(CURRENCY);
	case PT_I8: return sizeof(LARGE_INTEGER);
	case PT_SYSTIME: return sizeof(FILETIME);
	case PT_CLSID: return sizeof(GUID);
	case PT_BINARY: return sizeof(SBinary);
	case PT_STRING8: return sizeof(LPSTR);
	case PT_UNICODE: return sizeof(LPWSTR);
	default: return 0;
	}
}

static void *single_slot(SPropValue *v, ULONG base)
{
	switch (base) {
	case PT_I2: return &v->Value.i;
	case PT_LONG: return &v->Value.l;
	case PT_R4: return &v->Value.flt;
	case PT_DOUBLE: return &v->Value.dbl;
	case PT_APPTIME: return &v->Value.at;
	case PT_CURRENCY: return &v->Value.cur.int64;
	case PT_I8: return &v->Value.li.QuadPart;
	case PT_BOOLEAN: return &v->Value.b;
	case PT_SYSTIME: return &v->Value.ft;
	case PT_BINARY: return &v->Value.bin;
	case PT_STRING8: return &v->Value.lpszA;
	case PT_UNICODE: return &v->Value.lpszW;
	default: return NULL;
	}
}

static const char *trim(const char *s, const char *e, const char **end)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*end = e;
	return s;
}

/* One "tag = type:value" line (s..e) into v. */
static HRESULT parse_prop_line(parse_ctx *c, const char *s, const char *e, SPropValue *v)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	if (!eq)
		return corrupt(c, "expected 'tag = type:value'");
	const char *ke;
	const char *k = trim(s, eq, &ke);
	char key[128];
	if (ke == k || (size_t)(ke - k) >= sizeof key)
		return corrupt(c, "bad property tag");
	memcpy(key, k, (size_t)(ke - k));
	key[ke - k] = '\0';
	ULONG id;
	if (key[0] == '0' && (key[1] == 'x' || key[1] == 'X')) {
		char *end;
		unsigned long u = strtoul(key + 2, &end, 16);
		if (*end || !key[2] || u == 0 || u > 0xFFFF)
			return corrupt(c, "bad property id");
		id = (ULONG)u;
	} else {
		ULONG t = mapix_prop_tag_from_name(key);
		if (t == PR_NULL)
			return corrupt(c, "unknown property name");
		id = PROP_ID(t);
	}
	const char *vs = eq + 1;
	while (vs < e && (*vs == ' ' || *vs == '\t'))
		vs++;
	const char *colon = memchr(vs, ':', (size_t)(e - vs));
	if (!colon)
		return corrupt(c, "expected 'type:value'");
	BOOL mv = FALSE;
	const char *tn = vs;
	if (colon - tn > 3 && memcmp(tn, "mv-", 3) == 0) {
		mv = TRUE;
		tn += 3;
	}
	ULONG base = 0;
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (strlen(type_names[i].name) == (size_t)(colon - tn) && memcmp(type_names[i].name, tn, (size_t)(colon - tn)) == 0)
			base = type_names[i].type;
	if (!base || (mv && base == PT_BOOLEAN))
		return corrupt(c, "unknown property type");
	v->ulPropTag = PROP_TAG(mv ? (base | MV_FLAG) : base, id);
	const char *val = colon + 1;
	size_t n = (size_t)(e - val);
	if (!mv) {
		if (base == PT_CLSID) {
			if (FAILED(MAPIAllocateMore(sizeof(GUID), c->root, (LPVOID *)&v->Value.lpguid)))
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
			return parse_elem(c, base, val, n, v->Value.lpguid);
		}
		return parse_elem(c, base, val, n, single_slot(v, base));
	}
	const char *colon2 = memchr(val, ':', n);
	int64_t count;
	HRESULT hr;
	if (!colon2)
		return corrupt(c, "expected 'mv-type:count:values'");
	if (FAILED(hr = parse_int64(c, val, (size_t)(colon2 - val), 0, 100000, &count)))
		return hr;
	size_t es = elem_size(base);
	BYTE *arr = NULL;
	if (FAILED(MAPIAllocateMore((ULONG)(es * (size_t)(count ? count : 1)), c->root, (LPVOID *)&arr)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
	const char *p = colon2 + 1;
	size_t left = (size_t)(e - p);
	for (int64_t i = 0; i < count; i++) {
		if (i > 0) {
			if (left == 0 || *p != ',')
				return corrupt(c, "fewer values than the count says");
			p++;
			left--;
		}
		size_t l = elem_len(p, left, TRUE);
		if (FAILED(hr = parse_elem(c, base, p, l, arr + es * (size_t)i)))
			return hr;
		p += l;
		left -= l;
	}
	if (left)
		return corrupt(c, "more values than the count says");
	/* every SxxxArray is { ULONG cValues; T *lpX; } */
	v->Value.MVl.cValues = (ULONG)count;
	v->Value.MVl.lpl = (LONG *)(void *)arr;
	return S_OK;
}

static BOOL parse_section_header(const char *s, const char *e, MAPIUID *uid)
{
	static const char pre[] = "[section ";
	size_t pl = sizeof pre - 1;
	if ((size_t)(e - s) != pl + 32 + 1 || memcmp(s, pre, pl) != 0 || e[-1] != ']')
		return FALSE;
	return parse_hex_bytes(s + pl, 32, uid->ab);
}

/* The end of the line starting at s (without a trailing '\r'), and the start of the next. */
static const char *line_end(const char *s, const char *end, const char **next)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*next = nl ? nl + 1 : end;
	if (e > s && e[-1] == '\r')
		e--;
	return e;
}

static BOOL is_blank_or_comment(const char *s, const char *e)
{
	const char *te;
	s = trim(s, e, &te);
	return s == te || *s == '#' || *s == ';';
}

HRESULT mapix_profile_parse(const char *text, size_t cb, mapix_profile **lppProfile)
{
	mapix_profile *p = NULL;
	HRESULT hr = mapix_profile_new(&p);
	if (FAILED(hr))
		return hr;
	parse_ctx c = {0};
	const char *cur = text, *end = text + cb, *next;
	if (memchr(text, '\0', cb)) {
		mapix_profile_free(p);
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_profile_parse: NUL byte in a profile file");
	}
	while (cur < end) {
		c.line++;
		const char *e = line_end(cur, end, &next);
		if (is_blank_or_comment(cur, e)) {
			cur = next;
			continue;
		}
		MAPIUID uid;
		if (!parse_section_header(cur, e, &uid)) {
			hr = corrupt(&c, "expected '[section <32 hex digits>]'");
			goto fail;
		}
		if (mapix_profile_find(p, &uid)) {
			hr = corrupt(&c, "the same section appears twice");
			goto fail;
		}
		/* Count the section's property lines first, then parse them into
		 * one block. */
		unsigned first_line = c.line;
		const char *body = next, *q = next, *qn;
		ULONG count = 0;
		while (q < end) {
			const char *qe = line_end(q, end, &qn);
			if (!is_blank_or_comment(q, qe)) {
				if (*q == '[')
					break;
				count++;
			}
			q = qn;
		}
		mapix_profsect_data *s = add_section(p, &uid);
		if (!s) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
			goto fail;
		}
		if (FAILED(MAPIAllocateBuffer((ULONG)((count ? count : 1) * sizeof(SPropValue)), (LPVOID *)&s->lpProps))) {
			p->cSections--;
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_parse: out of memory");
			goto fail;
		}
		c.root = s->lpProps;
		c.line = first_line;
		cur = body;
		while (cur < q) {
			c.line++;
			const char *le = line_end(cur, end, &next);
			if (!is_blank_or_comment(cur, le)) {
				SPropValue *v = &s->lpProps[s->cValues];
				memset(v, 0, sizeof *v);
				hr = parse_prop_line(&c, cur, le, v);
				if (FAILED(hr))
					goto fail;
				if (mapix_profsect_find_prop(s, v->ulPropTag)) {
					hr = corrupt(&c, "the same property appears twice in a section");
					goto fail;
				}
				s->cValues++;
			}
			cur = next;
		}
	}
	*lppProfile = p;
	return S_OK;
fail:
	mapix_profile_free(p);
	return hr;
}
