/*
 * cli_where.c — the --where language of `mapix store ls`: a small readable
 * syntax translated into one SRestriction (docs/cli.md, "Restrictions"):
 *
 *   expr  := term { "or" term }
 *   term  := unary { "and" unary }
 *   unary := "not" unary | "(" expr ")" | cond
 *   cond  := prop "exists" | prop OP value | FLAGWORD | prop   (PT_BOOLEAN: = true)
 *   OP    := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=" | "~" | "^="
 *   value := "string" | 'string' | number[k|m|g] | 0xHEX | YYYY-MM-DD[Thh:mm[:ss]][Z]
 *          | true | false
 *
 * The value is converted to the property's type when parsed, so a type error
 * is reported with its column like a syntax error. Comparisons never match a
 * missing property, "!=" included (the evaluator's rule, mapixrestrict.h);
 * string "=", "!=", "~" and "^=" ignore case; a date without seconds stands
 * for its whole day (or minute), so "date = 2024-03-01" means that day.
 *
 * Input is untrusted (it is fuzzed by tests/fuzz/fuzz_cli_where.c): every
 * loop advances, nesting is bounded, and all memory hangs off one
 * MAPIAllocateBuffer root that is freed on any error.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixprops.h>

#include "cli_where.h"

enum tok_kind { T_END, T_IDENT, T_NUMBER, T_HEX, T_DATE, T_STRING, T_OP, T_LPAREN, T_RPAREN };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_SUB, OP_PREFIX };
static const char *const op_text[] = {"=", "!=", "<", "<=", ">", ">=", "~", "^="};

typedef struct token {
	enum tok_kind kind;
	size_t pos, len; /* where in the text (bytes) */
	enum op op;
} token;

typedef struct parser {
	const char *s;
	size_t at; /* the lexer's position */
	token tok; /* the current token */
	LPVOID root;
	char *err;
	size_t errlen;
	HRESULT hr;
	int depth;
} parser;

/* Parentheses cost 2 levels of the restriction tree (an OR holding an AND),
 * "not" costs 1. */
#define PAREN_COST 2

static int fail(parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t pos, const char *fmt, ...)
{
	if (p->hr == S_OK) {
		char msg[200];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		if (p->err && p->errlen)
			snprintf(p->err, p->errlen, "column %zu: %s", pos + 1, msg);
		p->hr = MAPI_E_INVALID_PARAMETER;
	}
	return -1;
}

static int oom(parser *p)
{
	if (p->hr == S_OK) {
		if (p->err && p->errlen)
			snprintf(p->err, p->errlen, "out of memory");
		p->hr = MAPI_E_NOT_ENOUGH_MEMORY;
	}
	return -1;
}

static void *more(parser *p, size_t n)
{
	LPVOID v = NULL;
	if (n > UINT32_MAX || MAPIAllocateMore((ULONG)n, p->root, &v) != S_OK) {
		oom(p);
		return NULL;
	}
	memset(v, 0, n);
	return v;
}

/* ---- lexer --------------------------------------------------------------------- */

static int is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static int digits_at(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Length of a date literal at s (0 if none): YYYY-MM-DD, then optionally
 * Thh:mm, :ss and Z. Validated later. */
static size_t date_len(const char *s)
{
	if (!digits_at(s, 4) || s[4] != '-' || !digits_at(s + 5, 2) || s[7] != '-' || !digits_at(s + 8, 2))
		return 0;
	size_t n = 10;
	if ((s[n] == 'T' || s[n] == 't') && digits_at(s + n + 1, 2) && s[n + 3] == ':' && digits_at(s + n + 4, 2)) {
		n += 6;
		if (s[n] == ':' && digits_at(s + n + 1, 2))
			n += 3;
	}
	if (s[n] == 'Z' || s[n] == 'z')
		n++;
	return n;
}

static int next(parser *p)
{
	const char *s = p->s;
	size_t i = p->at;
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	token *t = &p->tok;
	t->pos = i;
	unsigned char c = (unsigned char)s[i];
	if (!c) {
		t->kind = T_END;
		t->len = 0;
	} else if (c == '(' || c == ')') {
		t->kind = c == '(' ? T_LPAREN : T_RPAREN;
		t->len = 1;
	} else if (c == '"' || c == '\'') {
		size_t j = i + 1;
		while (s[j] && (unsigned char)s[j] != c) {
			if (s[j] == '\\' && s[j + 1])
				j++;
			j++;
		}
		if (!s[j])
			return fail(p, i, "unterminated string");
		t->kind = T_STRING;
		t->len = j + 1 - i;
	} else if (strchr("=!<>~^", c)) {
		static const struct {
			const char *text;
			enum op op;
		} ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<>", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"^=", OP_PREFIX},
		           {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT},  {"~", OP_SUB}};
		size_t k;
		for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
			if (strncmp(s + i, ops[k].text, strlen(ops[k].text)) == 0)
				break;
		if (k == sizeof ops / sizeof ops[0])
			return fail(p, i, "unexpected '%c'", c);
		t->kind = T_OP;
		t->op = ops[k].op;
		t->len = strlen(ops[k].text);
	} else if (c == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		size_t j = i + 2;
		while (isxdigit((unsigned char)s[j]))
			j++;
		if (j == i + 2 || is_ident_char((unsigned char)s[j]))
			return fail(p, i, "bad hexadecimal literal");
		t->kind = T_HEX;
		t->len = j - i;
	} else if (isdigit(c) || ((c == '-' || c == '+') && (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.')) ||
	           (c == '.' && isdigit((unsigned char)s[i + 1]))) {
		size_t d = isdigit(c) ? date_len(s + i) : 0;
		size_t j;
		if (d) {
			t->kind = T_DATE;
			j = i + d;
		} else {
			j = i + 1;
			while (isdigit((unsigned char)s[j]))
				j++;
			if (s[j] == '.') {
				j++;
				while (isdigit((unsigned char)s[j]))
					j++;
			}
			if (strchr("kKmMgG", s[j]) && s[j])
				j++;
			t->kind = T_NUMBER;
		}
		if (is_ident_char((unsigned char)s[j]) || s[j] == '.' || s[j] == ':' || s[j] == '-')
			return fail(p, i, "bad %s literal", d ? "date" : "number");
		t->len = j - i;
	} else if (is_ident_start(c)) {
		size_t j = i + 1;
		while (is_ident_char((unsigned char)s[j]))
			j++;
		t->kind = T_IDENT;
		t->len = j - i;
	} else {
		if (c >= 0x20 && c < 0x7F)
			return fail(p, i, "unexpected '%c'", c);
		return fail(p, i, "unexpected byte 0x%02X", c);
	}
	p->at = t->pos + t->len;
	return 0;
}

static int is_word(const parser *p, const char *w)
{
	return p->tok.kind == T_IDENT && strlen(w) == p->tok.len && strncasecmp(p->s + p->tok.pos, w, p->tok.len) == 0;
}

static const char *describe(const parser *p)
{
	switch (p->tok.kind) {
	case T_END:
		return "the end";
	case T_LPAREN:
		return "'('";
	case T_RPAREN:
		return "')'";
	case T_OP:
		return "an operator";
	case T_STRING:
		return "a string";
	case T_IDENT:
		return "a name";
	default:
		return "a value";
	}
}

/* ---- literals ------------------------------------------------------------------ */

/* The string token's contents, unescaped, NUL-terminated (malloc'd). */
static char *string_value(parser *p, const token *t)
{
	const char *s = p->s + t->pos + 1;
	size_t n = t->len - 2;
	char *out = malloc(n + 1), *o = out;
	if (!out) {
		oom(p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			c = s[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
		}
		*o++ = c;
	}
	*o = 0;
	return out;
}

/* A number token: an integer (*is_int) or a fraction; k, m, g multiply by
 * 1024, 1024^2, 1024^3. Integers beyond int64 are refused. */
static int number_value(parser *p, const token *t, int64_t *iv, double *dv, int *is_int)
{
	char buf[64];
	if (t->len >= sizeof buf)
		return fail(p, t->pos, "number too long");
	memcpy(buf, p->s + t->pos, t->len);
	buf[t->len] = 0;
	int64_t mult = 1;
	size_t n = t->len;
	switch (buf[n - 1]) {
	case 'k': case 'K': mult = 1024; break;
	case 'm': case 'M': mult = 1024 * 1024; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; break;
	default: break;
	}
	if (mult != 1)
		buf[--n] = 0;
	if (strchr(buf, '.')) {
		char *end;
		double d = strtod(buf, &end);
		if (*end || !isfinite(d))
			return fail(p, t->pos, "bad number");
		d *= (double)mult;
		*dv = d;
		*is_int = 0;
		if (mult != 1 && d == floor(d) && fabs(d) < 9.0e18) {
			*iv = (int64_t)d;
			*is_int = 1;
		}
		return 0;
	}
	errno = 0;
	char *end;
	long long v = strtoll(buf, &end, 10);
	if (*end || errno == ERANGE)
		return fail(p, t->pos, "number out of range");
	if (mult != 1 && (v > INT64_MAX / mult || v < INT64_MIN / mult))
		return fail(p, t->pos, "number out of range");
	*iv = (int64_t)v * mult;
	*dv = (double)*iv;
	*is_int = 1;
	return 0;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Parses a date at s (len bytes; 'T' or one space between date and time):
 * start in *lo, start of the next day/minute/second in *hi. */
static int date_value(parser *p, size_t pos, const char *s, size_t len, FILETIME *lo, FILETIME *hi)
{
	char buf[32];
	if (len >= sizeof buf)
		return fail(p, pos, "bad date (use YYYY-MM-DD[Thh:mm[:ss]][Z])");
	memcpy(buf, s, len);
	buf[len] = 0;
	if (len > 10 && buf[10] == ' ')
		buf[10] = 'T';
	if (date_len(buf) != len)
		return fail(p, pos, "bad date (use YYYY-MM-DD[Thh:mm[:ss]][Z])");
	int y = atoi(buf), mo = atoi(buf + 5), d = atoi(buf + 8), h = 0, mi = 0, se = 0;
	int64_t step = 86400;
	if (len > 11 && buf[10] == 'T') {
		h = atoi(buf + 11);
		mi = atoi(buf + 14);
		step = 60;
		if (buf[16] == ':') {
			se = atoi(buf + 17);
			step = 1;
		}
	}
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1601 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
	    mi > 59 || se > 59)
		return fail(p, pos, "no such date or time");
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	*lo = mapix_filetime_from_unix(secs, 0);
	*hi = mapix_filetime_from_unix(secs + step, 0);
	return 0;
}

/* ---- restriction nodes ----------------------------------------------------------- */

static SPropValue *new_value(parser *p, ULONG tag)
{
	SPropValue *v = more(p, sizeof *v);
	if (v)
		v->ulPropTag = tag;
	return v;
}

static void res_prop(SRestriction *r, ULONG relop, ULONG tag, SPropValue *v)
{
	r->rt = RES_PROPERTY;
	r->res.resProperty.relop = relop;
	r->res.resProperty.ulPropTag = tag;
	r->res.resProperty.lpProp = v;
}

static void res_content(SRestriction *r, ULONG fuzzy, ULONG tag, SPropValue *v)
{
	r->rt = RES_CONTENT;
	r->res.resContent.ulFuzzyLevel = fuzzy;
	r->res.resContent.ulPropTag = tag;
	r->res.resContent.lpProp = v;
}

static int res_list(parser *p, SRestriction *r, ULONG rt, const SRestriction *kids, ULONG n)
{
	SRestriction *a = more(p, n * sizeof *a);
	if (!a)
		return -1;
	memcpy(a, kids, n * sizeof *a);
	r->rt = rt;
	r->res.resAnd.cRes = n; /* resAnd and resOr have the same layout */
	r->res.resAnd.lpRes = a;
	return 0;
}

static int res_not(parser *p, SRestriction *r, const SRestriction *kid)
{
	SRestriction *a = more(p, sizeof *a);
	if (!a)
		return -1;
	*a = *kid;
	memset(r, 0, sizeof *r);
	r->rt = RES_NOT;
	r->res.resNot.lpRes = a;
	return 0;
}

/* "x != v" where the positive test is r: exists and not r (a missing
 * property never matches a comparison). */
static int negate_existing(parser *p, SRestriction *r, ULONG tag)
{
	SRestriction kids[2];
	memset(kids, 0, sizeof kids);
	kids[0].rt = RES_EXIST;
	kids[0].res.resExist.ulPropTag = tag;
	if (res_not(p, &kids[1], r))
		return -1;
	return res_list(p, r, RES_AND, kids, 2);
}

static const ULONG relops[] = {RELOP_EQ, RELOP_NE, RELOP_LT, RELOP_LE, RELOP_GT, RELOP_GE};

static int string_cond(parser *p, SRestriction *r, ULONG tag, enum op op, const token *vt)
{
	if (vt->kind != T_STRING)
		return fail(p, vt->pos, "expected a quoted string, found %s", describe(p));
	ULONG mv = PROP_TYPE(tag) & MV_FLAG;
	tag = CHANGE_PROP_TYPE(tag, PT_UNICODE | mv);
	SPropValue *v = new_value(p, PROP_TAG(PT_UNICODE, PROP_ID(tag)));
	char *s = v ? string_value(p, vt) : NULL;
	if (!s)
		return -1;
	SCODE sc = mapix_utf8_to_utf16(s, p->root, &v->Value.lpszW);
	free(s);
	if (sc != S_OK)
		return oom(p);
	switch (op) {
	case OP_EQ:
	case OP_NE:
		res_content(r, FL_FULLSTRING | FL_IGNORECASE, tag, v);
		return op == OP_NE ? negate_existing(p, r, tag) : 0;
	case OP_SUB:
		res_content(r, FL_SUBSTRING | FL_IGNORECASE, tag, v);
		return 0;
	case OP_PREFIX:
		res_content(r, FL_PREFIX | FL_IGNORECASE, tag, v);
		return 0;
	default:
		res_prop(r, relops[op], tag, v);
		return 0;
	}
}

static int number_cond(parser *p, SRestriction *r, ULONG tag, ULONG type, enum op op, const token *vt)
{
	int64_t iv = 0;
	double dv = 0;
	int is_int = 1;
	if (op == OP_SUB || op == OP_PREFIX)
		return fail(p, vt->pos, "'%s' needs a string or binary property", op_text[op]);
	if (vt->kind == T_HEX) {
		if (vt->len > 18)
			return fail(p, vt->pos, "number out of range");
		uint64_t u = 0;
		for (size_t i = 2; i < vt->len; i++)
			u = (u << 4) | (uint64_t)hexval((unsigned char)p->s[vt->pos + i]);
		iv = (int64_t)u;
		dv = (double)u;
	} else if (vt->kind == T_NUMBER) {
		if (number_value(p, vt, &iv, &dv, &is_int))
			return -1;
	} else {
		return fail(p, vt->pos, "expected a number, found %s", describe(p));
	}
	SPropValue *v = new_value(p, PROP_TAG(type, PROP_ID(tag)));
	if (!v)
		return -1;
	if (!is_int && (type == PT_SHORT || type == PT_LONG || type == PT_I8))
		return fail(p, vt->pos, "value is not a whole number");
	switch (type) {
	/* Unsigned spellings (flags) only in hex: a decimal number above the
	 * signed range would wrap and compare as negative. */
	case PT_SHORT:
		if (iv < -32768 || iv > (vt->kind == T_HEX ? 65535 : 32767))
			return fail(p, vt->pos, "value does not fit a PT_SHORT property");
		v->Value.i = (short)(uint16_t)iv;
		break;
	case PT_LONG:
		if (iv < INT32_MIN || iv > (vt->kind == T_HEX ? (int64_t)UINT32_MAX : INT32_MAX))
			return fail(p, vt->pos, "value does not fit a PT_LONG property");
		v->Value.l = (LONG)(uint32_t)iv;
		break;
	case PT_I8:
		v->Value.li.QuadPart = iv;
		break;
	case PT_CURRENCY:
		if (fabs(dv) > 9.2e14)
			return fail(p, vt->pos, "value does not fit a PT_CURRENCY property");
		v->Value.cur.int64 = is_int ? iv * 10000 : (LONGLONG)llround(dv * 10000.0);
		break;
	case PT_FLOAT:
		v->Value.flt = (float)dv;
		break;
	case PT_DOUBLE:
		v->Value.dbl = dv;
		break;
	default: /* PT_APPTIME */
		v->Value.at = dv;
		break;
	}
	res_prop(r, relops[op], tag, v);
	return 0;
}

static int time_cond(parser *p, SRestriction *r, ULONG tag, enum op op, const token *vt)
{
	FILETIME lo, hi;
	if (op == OP_SUB || op == OP_PREFIX)
		return fail(p, vt->pos, "'%s' needs a string or binary property", op_text[op]);
	if (vt->kind == T_DATE) {
		if (date_value(p, vt->pos, p->s + vt->pos, vt->len, &lo, &hi))
			return -1;
	} else if (vt->kind == T_STRING) {
		if (date_value(p, vt->pos, p->s + vt->pos + 1, vt->len - 2, &lo, &hi))
			return -1;
	} else {
		return fail(p, vt->pos, "expected a date (YYYY-MM-DD[Thh:mm[:ss]][Z]), found %s", describe(p));
	}
	SPropValue *vlo = new_value(p, PROP_TAG(PT_SYSTIME, PROP_ID(tag)));
	SPropValue *vhi = vlo ? new_value(p, PROP_TAG(PT_SYSTIME, PROP_ID(tag))) : NULL;
	if (!vhi)
		return -1;
	vlo->Value.ft = lo;
	vhi->Value.ft = hi;
	/* The literal names an interval [lo, hi): its day, minute or second. */
	SRestriction kids[2];
	memset(kids, 0, sizeof kids);
	switch (op) {
	case OP_EQ:
		res_prop(&kids[0], RELOP_GE, tag, vlo);
		res_prop(&kids[1], RELOP_LT, tag, vhi);
		return res_list(p, r, RES_AND, kids, 2);
	case OP_NE:
		res_prop(&kids[0], RELOP_LT, tag, vlo);
		res_prop(&kids[1], RELOP_GE, tag, vhi);
		return res_list(p, r, RES_OR, kids, 2);
	case OP_LT:
		res_prop(r, RELOP_LT, tag, vlo);
		return 0;
	case OP_LE:
		res_prop(r, RELOP_LT, tag, vhi);
		return 0;
	case OP_GT:
		res_prop(r, RELOP_GE, tag, vhi);
		return 0;
	default: /* OP_GE */
		res_prop(r, RELOP_GE, tag, vlo);
		return 0;
	}
}

static int bool_cond(parser *p, SRestriction *r, ULONG tag, enum op op, const token *vt, int have_value)
{
	BOOL b = TRUE;
	if (have_value) {
		if (op != OP_EQ && op != OP_NE)
			return fail(p, vt->pos, "a PT_BOOLEAN property takes only = and !=");
		const char *s = p->s + vt->pos;
		if (vt->kind == T_IDENT && vt->len == 4 && strncasecmp(s, "true", 4) == 0)
			b = TRUE;
		else if (vt->kind == T_IDENT && vt->len == 5 && strncasecmp(s, "false", 5) == 0)
			b = FALSE;
		else if (vt->kind == T_NUMBER && vt->len == 1 && (*s == '0' || *s == '1'))
			b = *s == '1';
		else
			return fail(p, vt->pos, "expected true or false");
	}
	SPropValue *v = new_value(p, PROP_TAG(PT_BOOLEAN, PROP_ID(tag)));
	if (!v)
		return -1;
	v->Value.b = (unsigned short)b;
	res_prop(r, op == OP_NE ? RELOP_NE : RELOP_EQ, tag, v);
	return 0;
}

static int binary_cond(parser *p, SRestriction *r, ULONG tag, enum op op, const token *vt)
{
	ULONG mv = PROP_TYPE(tag) & MV_FLAG;
	SPropValue *v = new_value(p, PROP_TAG(PT_BINARY, PROP_ID(tag)));
	if (!v)
		return -1;
	if (vt->kind == T_HEX) {
		size_t nd = vt->len - 2;
		if (nd % 2)
			return fail(p, vt->pos, "binary value needs an even number of hex digits");
		BYTE *b = more(p, nd / 2 + 1);
		if (!b)
			return -1;
		for (size_t i = 0; i < nd / 2; i++)
			b[i] = (BYTE)(hexval((unsigned char)p->s[vt->pos + 2 + 2 * i]) << 4 |
			              hexval((unsigned char)p->s[vt->pos + 3 + 2 * i]));
		v->Value.bin.cb = (ULONG)(nd / 2);
		v->Value.bin.lpb = b;
	} else if (vt->kind == T_STRING) {
		char *s = string_value(p, vt);
		if (!s)
			return -1;
		size_t n = strlen(s);
		BYTE *b = more(p, n + 1);
		if (b)
			memcpy(b, s, n);
		free(s);
		if (!b)
			return -1;
		v->Value.bin.cb = (ULONG)n;
		v->Value.bin.lpb = b;
	} else {
		return fail(p, vt->pos, "expected a 0x... or quoted binary value, found %s", describe(p));
	}
	tag = CHANGE_PROP_TYPE(tag, PT_BINARY | mv);
	if (op == OP_SUB)
		res_content(r, FL_SUBSTRING, tag, v);
	else if (op == OP_PREFIX)
		res_content(r, FL_PREFIX, tag, v);
	else
		res_prop(r, relops[op], tag, v);
	return 0;
}

/* ---- grammar ------------------------------------------------------------------- */

static int parse_or(parser *p, SRestriction *r);

static int parse_cond(parser *p, SRestriction *r)
{
	memset(r, 0, sizeof *r);
	if (p->tok.kind != T_IDENT && p->tok.kind != T_HEX)
		return fail(p, p->tok.pos, "expected a property name, found %s", describe(p));
	token name = p->tok;
	if (next(p))
		return -1;
	if (name.kind == T_IDENT && (is_word(p, "and") || is_word(p, "or") || p->tok.kind == T_END ||
	                             p->tok.kind == T_RPAREN)) {
		const cli_flag_word *fw = cli_flag_lookup(p->s + name.pos, name.len);
		if (fw) {
			r->rt = RES_BITMASK;
			r->res.resBitMask.relBMR = fw->relBMR;
			r->res.resBitMask.ulPropTag = PR_MESSAGE_FLAGS;
			r->res.resBitMask.ulMask = fw->mask;
			return 0;
		}
	}
	ULONG tag = cli_prop_lookup(p->s + name.pos, name.len);
	if (tag == PR_NULL)
		return fail(p, name.pos, "unknown property '%.*s'", (int)(name.len > 64 ? 64 : name.len),
		            p->s + name.pos);
	ULONG type = PROP_TYPE(tag) & ~(ULONG)(MV_FLAG | MV_INSTANCE);
	if (is_word(p, "exists")) {
		r->rt = RES_EXIST;
		r->res.resExist.ulPropTag = tag;
		return next(p);
	}
	if (p->tok.kind != T_OP) {
		if (type == PT_BOOLEAN)
			return bool_cond(p, r, tag, OP_EQ, NULL, 0);
		return fail(p, p->tok.pos, "expected an operator or 'exists' after '%.*s', found %s",
		            (int)(name.len > 64 ? 64 : name.len), p->s + name.pos, describe(p));
	}
	enum op op = p->tok.op;
	if (next(p))
		return -1;
	token vt = p->tok;
	if (vt.kind == T_END || vt.kind == T_LPAREN || vt.kind == T_RPAREN || vt.kind == T_OP)
		return fail(p, vt.pos, "expected a value after '%s', found %s", op_text[op], describe(p));
	int rc;
	switch (type) {
	case PT_UNICODE:
	case PT_STRING8:
		rc = string_cond(p, r, tag, op, &vt);
		break;
	case PT_SHORT:
	case PT_LONG:
	case PT_I8:
	case PT_FLOAT:
	case PT_DOUBLE:
	case PT_APPTIME:
	case PT_CURRENCY:
		rc = number_cond(p, r, tag, type, op, &vt);
		break;
	case PT_SYSTIME:
		rc = time_cond(p, r, tag, op, &vt);
		break;
	case PT_BOOLEAN:
		rc = bool_cond(p, r, tag, op, &vt, 1);
		break;
	case PT_BINARY:
		rc = binary_cond(p, r, tag, op, &vt);
		break;
	default: {
		const char *tn = mapix_prop_type_name(type);
		rc = fail(p, name.pos, "cannot compare %s properties", tn ? tn : "properties of this type");
		break;
	}
	}
	if (rc)
		return rc;
	return next(p);
}

static int parse_unary(parser *p, SRestriction *r)
{
	if (is_word(p, "not") || p->tok.kind == T_LPAREN) {
		int is_not = p->tok.kind != T_LPAREN;
		size_t pos = p->tok.pos;
		int cost = is_not ? 1 : PAREN_COST;
		if (p->depth + cost > CLI_WHERE_MAX_DEPTH)
			return fail(p, pos, "expression nested too deeply");
		p->depth += cost;
		if (next(p))
			return -1;
		int rc;
		if (is_not) {
			SRestriction kid;
			rc = parse_unary(p, &kid);
			if (!rc)
				rc = res_not(p, r, &kid);
		} else {
			rc = parse_or(p, r);
			if (!rc && p->tok.kind != T_RPAREN)
				rc = fail(p, p->tok.pos, "expected ')' to close the '(' at column %zu, found %s", pos + 1,
				          describe(p));
			if (!rc)
				rc = next(p);
		}
		p->depth -= cost;
		return rc;
	}
	return parse_cond(p, r);
}

/* One level of "a OP b OP c": collects the operands, then makes one node. */
static int parse_list(parser *p, SRestriction *r, const char *word, ULONG rt,
                      int (*operand)(parser *, SRestriction *))
{
	SRestriction *kids = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (;;) {
		if (n == cap) {
			SRestriction *bigger = realloc(kids, (cap = cap ? cap * 2 : 4) * sizeof *kids);
			if (!bigger) {
				rc = oom(p);
				break;
			}
			kids = bigger;
		}
		if ((rc = operand(p, &kids[n])))
			break;
		n++;
		if (!is_word(p, word))
			break;
		if ((rc = next(p)))
			break;
	}
	if (!rc) {
		if (n == 1)
			*r = kids[0];
		else
			rc = res_list(p, r, rt, kids, (ULONG)n);
	}
	free(kids);
	return rc;
}

static int parse_and(parser *p, SRestriction *r)
{
	return parse_list(p, r, "and", RES_AND, parse_unary);
}

static int parse_or(parser *p, SRestriction *r)
{
	return parse_list(p, r, "or", RES_OR, parse_and);
}

HRESULT cli_where_parse(const char *text, LPSRestriction *lppRes, char *err, size_t errlen)
{
	parser p = {.s = text ? text : "", .err = err, .errlen = errlen};
	SRestriction *res = NULL;
	if (err && errlen)
		err[0] = 0;
	*lppRes = NULL;
	if (MAPIAllocateBuffer(sizeof *res, (LPVOID *)&res) != S_OK) {
		oom(&p);
		return p.hr;
	}
	memset(res, 0, sizeof *res);
	p.root = res;
	if (next(&p) == 0) {
		if (p.tok.kind == T_END)
			fail(&p, p.tok.pos, "empty expression");
		else if (parse_or(&p, res) == 0 && p.tok.kind != T_END)
			fail(&p, p.tok.pos, "expected 'and', 'or' or the end, found %s", describe(&p));
	}
	if (p.hr != S_OK) {
		MAPIFreeBuffer(res);
		return p.hr;
	}
	*lppRes = res;
	return S_OK;
}
