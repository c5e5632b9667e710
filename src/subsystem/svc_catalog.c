/*
 * svc_catalog.c — MAPISVC.INF: parsing, writing, merging the system
 * catalog with the user's additions, and turning a section's property
 * entries into SPropValues for the profile (see svc_catalog.h).
 */
#include "subsystem/svc_catalog.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixprops.h>

#include "core/error.h"
#include "subsystem/file_replace.h"

/* ---- the document ------------------------------------------------------------- */

HRESULT mapix_svccat_new(mapix_svccat **lppCat)
{
	*lppCat = calloc(1, sizeof **lppCat);
	return *lppCat ? S_OK : mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_new: out of memory");
}

static void section_clear(mapix_ini_section *s)
{
	for (ULONG i = 0; i < s->cEntries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	free(s->name);
}

void mapix_svccat_free(mapix_svccat *cat)
{
	if (!cat)
		return;
	for (ULONG i = 0; i < cat->cSections; i++)
		section_clear(&cat->sections[i]);
	free(cat->sections);
	free(cat);
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static mapix_ini_section *add_section(mapix_svccat *cat, const char *name, size_t n)
{
	if (cat->cSections == cat->capSections) {
		ULONG cap = cat->capSections ? cat->capSections * 2 : 8;
		mapix_ini_section *ns = realloc(cat->sections, cap * sizeof *ns);
		if (!ns)
			return NULL;
		cat->sections = ns;
		cat->capSections = cap;
	}
	mapix_ini_section *s = &cat->sections[cat->cSections];
	memset(s, 0, sizeof *s);
	if (name && !(s->name = dupn(name, n)))
		return NULL;
	cat->cSections++;
	return s;
}

/* Takes ownership of key and value (freed on failure). */
static HRESULT add_entry(mapix_ini_section *s, char *key, char *value)
{
	if (!value) {
		free(key);
		free(value);
		return MAPI_E_NOT_ENOUGH_MEMORY;
	}
	if (s->cEntries == s->capEntries) {
		ULONG cap = s->capEntries ? s->capEntries * 2 : 8;
		mapix_ini_entry *ne = realloc(s->entries, cap * sizeof *ne);
		if (!ne) {
			free(key);
			free(value);
			return MAPI_E_NOT_ENOUGH_MEMORY;
		}
		s->entries = ne;
		s->capEntries = cap;
	}
	s->entries[s->cEntries].key = key;
	s->entries[s->cEntries].value = value;
	s->cEntries++;
	return S_OK;
}

static const char *trim(const char *s, const char *e, const char **end)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*end = e;
	return s;
}

HRESULT mapix_svccat_parse(const char *text, size_t cb, mapix_svccat **lppCat)
{
	mapix_svccat *cat = NULL;
	HRESULT hr = mapix_svccat_new(&cat);
	if (FAILED(hr))
		return hr;
	if (memchr(text, '\0', cb)) {
		mapix_svccat_free(cat);
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_svccat_parse: NUL byte in the service catalog");
	}
	mapix_ini_section *cur = NULL;
	const char *p = text, *end = text + cb;
	unsigned line = 0;
	/* Skip a UTF-8 byte order mark, which Windows editors like to add. */
	if (cb >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end) {
		line++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
		const char *te;
		const char *t = trim(p, le, &te);
		if (t == te || *t == ';' || *t == '#') {
			if (!cur && !(cur = add_section(cat, NULL, 0)))
				goto oom;
			if (FAILED(add_entry(cur, NULL, dupn(t, (size_t)(te - t)))))
				goto oom;
		} else if (*t == '[') {
			if (te[-1] != ']' || te - t < 3) {
				hr = mapix_error(MAPI_E_CORRUPT_DATA, "mapix_svccat_parse: line %u: bad section header", line);
				goto fail;
			}
			const char *ne;
			const char *n = trim(t + 1, te - 1, &ne);
			if (n == ne) {
				hr = mapix_error(MAPI_E_CORRUPT_DATA, "mapix_svccat_parse: line %u: empty section name", line);
				goto fail;
			}
			if (!(cur = add_section(cat, n, (size_t)(ne - n))))
				goto oom;
		} else {
			const char *eq = memchr(t, '=', (size_t)(te - t));
			if (!eq || eq == t) {
				hr = mapix_error(MAPI_E_CORRUPT_DATA, "mapix_svccat_parse: line %u: expected 'key = value'", line);
				goto fail;
			}
			if (!cur) {
				hr = mapix_error(MAPI_E_CORRUPT_DATA, "mapix_svccat_parse: line %u: entry before the first section",
				                 line);
				goto fail;
			}
			const char *ke, *ve;
			const char *k = trim(t, eq, &ke);
			const char *v = trim(eq + 1, te, &ve);
			char *key = dupn(k, (size_t)(ke - k));
			if (!key || FAILED(add_entry(cur, key, dupn(v, (size_t)(ve - v)))))
				goto oom;
		}
		p = next;
	}
	*lppCat = cat;
	return S_OK;
oom:
	hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_parse: out of memory");
fail:
	mapix_svccat_free(cat);
	return hr;
}

HRESULT mapix_svccat_serialize(const mapix_svccat *cat, char **lppText, size_t *lpcb)
{
	size_t len = 1;
	for (ULONG i = 0; i < cat->cSections; i++) {
		const mapix_ini_section *s = &cat->sections[i];
		if (s->name)
			len += strlen(s->name) + 3;
		for (ULONG j = 0; j < s->cEntries; j++)
			len += (s->entries[j].key ? strlen(s->entries[j].key) + 1 : 0) + strlen(s->entries[j].value) + 1;
	}
	char *out = malloc(len), *o = out;
	if (!out)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_serialize: out of memory");
	for (ULONG i = 0; i < cat->cSections; i++) {
		const mapix_ini_section *s = &cat->sections[i];
		if (s->name)
			o += sprintf(o, "[%s]\n", s->name);
		for (ULONG j = 0; j < s->cEntries; j++) {
			if (s->entries[j].key)
				o += sprintf(o, "%s=%s\n", s->entries[j].key, s->entries[j].value);
			else
				o += sprintf(o, "%s\n", s->entries[j].value);
		}
	}
	*o = '\0';
	*lppText = out;
	*lpcb = (size_t)(o - out);
	return S_OK;
}

mapix_ini_section *mapix_svccat_section(const mapix_svccat *cat, const char *name)
{
	for (ULONG i = 0; i < cat->cSections; i++)
		if (cat->sections[i].name && strcasecmp(cat->sections[i].name, name) == 0)
			return &cat->sections[i];
	return NULL;
}

static mapix_ini_entry *find_entry(const mapix_ini_section *s, const char *key)
{
	for (ULONG j = 0; s && j < s->cEntries; j++)
		if (s->entries[j].key && strcasecmp(s->entries[j].key, key) == 0)
			return &s->entries[j];
	return NULL;
}

const char *mapix_svccat_get(const mapix_svccat *cat, const char *section, const char *key)
{
	mapix_ini_entry *e = find_entry(mapix_svccat_section(cat, section), key);
	return e ? e->value : NULL;
}

static BOOL valid_text(const char *s, BOOL key)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || (key && (*s == '=' || *s == '[')))
			return FALSE;
	return TRUE;
}

HRESULT mapix_svccat_set(mapix_svccat *cat, const char *section, const char *key, const char *value)
{
	if (!section || !*section || !key || !*key || !value || !valid_text(section, TRUE) || strchr(section, ']') ||
	    !valid_text(key, TRUE) || !valid_text(value, FALSE) || *key == ';' || *key == '#')
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_svccat_set: a name or value that MAPISVC.INF cannot hold");
	mapix_ini_section *s = mapix_svccat_section(cat, section);
	if (!s && !(s = add_section(cat, section, strlen(section))))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_set: out of memory");
	mapix_ini_entry *e = find_entry(s, key);
	if (e) {
		char *v = strdup(value);
		if (!v)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_set: out of memory");
		free(e->value);
		e->value = v;
		return S_OK;
	}
	char *k = strdup(key);
	if (!k || FAILED(add_entry(s, k, strdup(value))))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_set: out of memory");
	return S_OK;
}

BOOL mapix_svccat_remove_key(mapix_svccat *cat, const char *section, const char *key)
{
	mapix_ini_section *s = mapix_svccat_section(cat, section);
	mapix_ini_entry *e = find_entry(s, key);
	if (!e)
		return FALSE;
	free(e->key);
	free(e->value);
	ULONG i = (ULONG)(e - s->entries);
	memmove(e, e + 1, (s->cEntries - i - 1) * sizeof *e);
	s->cEntries--;
	return TRUE;
}

BOOL mapix_svccat_remove_section(mapix_svccat *cat, const char *section)
{
	mapix_ini_section *s = mapix_svccat_section(cat, section);
	if (!s)
		return FALSE;
	section_clear(s);
	ULONG i = (ULONG)(s - cat->sections);
	memmove(s, s + 1, (cat->cSections - i - 1) * sizeof *s);
	cat->cSections--;
	return TRUE;
}

HRESULT mapix_svccat_merge(mapix_svccat *cat, const mapix_svccat *over)
{
	for (ULONG i = 0; i < over->cSections; i++) {
		const mapix_ini_section *s = &over->sections[i];
		if (!s->name)
			continue;
		if (!mapix_svccat_section(cat, s->name) && !add_section(cat, s->name, strlen(s->name)))
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_merge: out of memory");
		for (ULONG j = 0; j < s->cEntries; j++) {
			if (!s->entries[j].key)
				continue;
			HRESULT hr = mapix_svccat_set(cat, s->name, s->entries[j].key, s->entries[j].value);
			if (FAILED(hr))
				return hr;
		}
	}
	return S_OK;
}

HRESULT mapix_svccat_split_list(const char *value, char ***lpppItems, ULONG *lpcItems)
{
	size_t len = strlen(value);
	ULONG max = 1;
	for (const char *c = value; *c; c++)
		max += *c == ',';
	char **items = malloc(max * sizeof *items + len + 1);
	if (!items)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_split_list: out of memory");
	char *buf = (char *)(items + max);
	memcpy(buf, value, len + 1);
	ULONG n = 0;
	for (char *tok = buf;;) {
		char *comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		const char *te;
		const char *t = trim(tok, tok + strlen(tok), &te);
		if (t != te) {
			((char *)t)[te - t] = '\0';
			items[n++] = (char *)t;
		}
		if (!comma)
			break;
		tok = comma + 1;
	}
	*lpppItems = items;
	*lpcItems = n;
	return S_OK;
}

/* ---- typed values -------------------------------------------------------------- */

static const struct {
	const char *name;
	ULONG value;
} symbols[] = {
	{"SERVICE_DEFAULT_STORE", SERVICE_DEFAULT_STORE},
	{"SERVICE_SINGLE_COPY", SERVICE_SINGLE_COPY},
	{"SERVICE_CREATE_WITH_STORE", SERVICE_CREATE_WITH_STORE},
	{"SERVICE_PRIMARY_IDENTITY", SERVICE_PRIMARY_IDENTITY},
	{"SERVICE_NO_PRIMARY_IDENTITY", SERVICE_NO_PRIMARY_IDENTITY},
	{"STATUS_DEFAULT_OUTBOUND", STATUS_DEFAULT_OUTBOUND},
	{"STATUS_DEFAULT_STORE", STATUS_DEFAULT_STORE},
	{"STATUS_PRIMARY_IDENTITY", STATUS_PRIMARY_IDENTITY},
	{"STATUS_SIMPLE_STORE", STATUS_SIMPLE_STORE},
	{"STATUS_XP_PREFER_LAST", STATUS_XP_PREFER_LAST},
	{"STATUS_NO_PRIMARY_IDENTITY", STATUS_NO_PRIMARY_IDENTITY},
	{"STATUS_NO_DEFAULT_STORE", STATUS_NO_DEFAULT_STORE},
	{"STATUS_TEMP_SECTION", STATUS_TEMP_SECTION},
	{"STATUS_OWN_STORE", STATUS_OWN_STORE},
	{"STATUS_NEED_IPM_TREE", STATUS_NEED_IPM_TREE},
	{"STATUS_PRIMARY_STORE", STATUS_PRIMARY_STORE},
	{"STATUS_SECONDARY_STORE", STATUS_SECONDARY_STORE},
	{"MAPI_STORE_PROVIDER", MAPI_STORE_PROVIDER},
	{"MAPI_AB", MAPI_AB},
	{"MAPI_AB_PROVIDER", MAPI_AB_PROVIDER},
	{"MAPI_TRANSPORT_PROVIDER", MAPI_TRANSPORT_PROVIDER},
	{"MAPI_SPOOLER", MAPI_SPOOLER},
	{"MAPI_PROFILE_PROVIDER", MAPI_PROFILE_PROVIDER},
	{"MAPI_SUBSYSTEM", MAPI_SUBSYSTEM},
	{"MAPI_HOOK_PROVIDER", MAPI_HOOK_PROVIDER},
};

static BOOL parse_long(const char *v, ULONG *out)
{
	ULONG acc = 0;
	BOOL any = FALSE;
	char buf[64];
	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == '|')
			v++;
		if (!*v)
			break;
		size_t n = strcspn(v, " \t|");
		if (n >= sizeof buf)
			return FALSE;
		memcpy(buf, v, n);
		buf[n] = '\0';
		v += n;
		char *end;
		/* decimal or 0x hex; never octal, whatever leading zeros say */
		BOOL hex = buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
		unsigned long long num = strtoull(hex ? buf + 2 : buf, &end, hex ? 16 : 10);
		if (*end == '\0' && buf[0] != '-' && num <= 0xFFFFFFFFull) {
			acc |= (ULONG)num;
		} else if (buf[0] == '-') {
			long long sv = strtoll(buf, &end, 10);
			if (*end || sv < INT32_MIN)
				return FALSE;
			acc |= (ULONG)(LONG)sv;
		} else {
			BOOL found = FALSE;
			for (size_t i = 0; i < sizeof symbols / sizeof symbols[0] && !found; i++)
				if (strcmp(symbols[i].name, buf) == 0) {
					acc |= symbols[i].value;
					found = TRUE;
				}
			if (!found)
				return FALSE;
		}
		any = TRUE;
	}
	*out = acc;
	return any;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)toupper((unsigned char)c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The tag a catalog key names, or PR_NULL when it names none. */
static ULONG key_tag(const char *key)
{
	size_t n = strlen(key);
	if (n == 8) {
		BOOL hex = TRUE;
		for (size_t i = 0; i < 8 && hex; i++)
			hex = hexval(key[i]) >= 0;
		if (hex)
			return (ULONG)strtoul(key, NULL, 16);
	}
	if (strncasecmp(key, "PR_", 3) != 0 && strncasecmp(key, "PidTag", 6) != 0)
		return PR_NULL;
	return mapix_prop_tag_from_name(key);
}

static HRESULT bad_value(const char *section, const char *key, const char *why)
{
	return mapix_error(MAPI_E_CORRUPT_DATA, "service catalog: [%s] %s: %s", section, key, why);
}

static HRESULT convert_value(const char *section, const char *key, const char *value, ULONG tag, LPVOID root,
                             SPropValue *v)
{
	v->ulPropTag = tag;
	v->dwAlignPad = 0;
	switch (PROP_TYPE(tag)) {
	case PT_LONG:
		if (!parse_long(value, &v->Value.ul))
			return bad_value(section, key, "not a number or known flag");
		return S_OK;
	case PT_I2: {
		ULONG u;
		if (!parse_long(value, &u) || (u > 0xFFFF && (LONG)u < -32768))
			return bad_value(section, key, "not a 16-bit number");
		v->Value.i = (short)u;
		return S_OK;
	}
	case PT_BOOLEAN:
		if (!strcasecmp(value, "TRUE") || !strcmp(value, "1"))
			v->Value.b = 1;
		else if (!strcasecmp(value, "FALSE") || !strcmp(value, "0"))
			v->Value.b = 0;
		else
			return bad_value(section, key, "not TRUE or FALSE");
		return S_OK;
	case PT_STRING8: {
		size_t n = strlen(value) + 1;
		if (FAILED(MAPIAllocateMore((ULONG)n, root, (LPVOID *)&v->Value.lpszA)))
			return MAPI_E_NOT_ENOUGH_MEMORY;
		memcpy(v->Value.lpszA, value, n);
		return S_OK;
	}
	case PT_UNICODE:
		return FAILED(mapix_utf8_to_utf16(value, root, &v->Value.lpszW)) ? MAPI_E_NOT_ENOUGH_MEMORY : S_OK;
	case PT_BINARY: {
		size_t n = strlen(value);
		if (n % 2)
			return bad_value(section, key, "odd number of hex digits");
		v->Value.bin.cb = (ULONG)(n / 2);
		if (FAILED(MAPIAllocateMore((ULONG)(n / 2 + 1), root, (LPVOID *)&v->Value.bin.lpb)))
			return MAPI_E_NOT_ENOUGH_MEMORY;
		for (size_t i = 0; i < n / 2; i++) {
			int h = hexval(value[2 * i]), l = hexval(value[2 * i + 1]);
			if (h < 0 || l < 0)
				return bad_value(section, key, "not hex");
			v->Value.bin.lpb[i] = (BYTE)(h << 4 | l);
		}
		return S_OK;
	}
	case PT_MV_STRING8:
	case PT_MV_UNICODE: {
		char **items;
		ULONG n;
		HRESULT hr = mapix_svccat_split_list(value, &items, &n);
		if (FAILED(hr))
			return hr;
		void **arr = NULL;
		if (FAILED(MAPIAllocateMore((ULONG)((n ? n : 1) * sizeof(void *)), root, (LPVOID *)&arr))) {
			free(items);
			return MAPI_E_NOT_ENOUGH_MEMORY;
		}
		for (ULONG i = 0; i < n; i++) {
			if (PROP_TYPE(tag) == PT_MV_UNICODE) {
				if (FAILED(mapix_utf8_to_utf16(items[i], root, (LPWSTR *)&arr[i]))) {
					free(items);
					return MAPI_E_NOT_ENOUGH_MEMORY;
				}
			} else {
				size_t l = strlen(items[i]) + 1;
				if (FAILED(MAPIAllocateMore((ULONG)l, root, &arr[i]))) {
					free(items);
					return MAPI_E_NOT_ENOUGH_MEMORY;
				}
				memcpy(arr[i], items[i], l);
			}
		}
		free(items);
		v->Value.MVszA.cValues = n;
		v->Value.MVszA.lppszA = (LPSTR *)arr;
		return S_OK;
	}
	default:
		return bad_value(section, key, "a property type the catalog cannot hold");
	}
}

HRESULT mapix_svccat_section_props(const mapix_svccat *cat, const char *section, ULONG *lpcValues,
                                   LPSPropValue *lppProps)
{
	const mapix_ini_section *s = mapix_svccat_section(cat, section);
	if (!s)
		return mapix_error(MAPI_E_NOT_FOUND, "service catalog: there is no section [%s]", section);
	LPSPropValue props = NULL;
	if (FAILED(MAPIAllocateBuffer((ULONG)((s->cEntries ? s->cEntries : 1) * sizeof(SPropValue)), (LPVOID *)&props)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_section_props: out of memory");
	ULONG n = 0;
	for (ULONG j = 0; j < s->cEntries; j++) {
		const mapix_ini_entry *e = &s->entries[j];
		if (!e->key)
			continue;
		ULONG tag = key_tag(e->key);
		if (tag == PR_NULL)
			continue; /* Providers=, Sections=, and names mapix does not know */
		/* A later entry for the same property wins, as with merged files. */
		ULONG k;
		for (k = 0; k < n && PROP_ID(props[k].ulPropTag) != PROP_ID(tag); k++)
			;
		HRESULT hr = convert_value(s->name, e->key, e->value, tag, props, &props[k]);
		if (FAILED(hr)) {
			MAPIFreeBuffer(props);
			return hr == MAPI_E_NOT_ENOUGH_MEMORY ? mapix_error(hr, "mapix_svccat_section_props: out of memory") : hr;
		}
		if (k == n)
			n++;
	}
	*lpcValues = n;
	*lppProps = props;
	return S_OK;
}

/* ---- files ---------------------------------------------------------------------- */

HRESULT mapix_svccat_system_path(char **lppPath)
{
	const char *dir = getenv("MAPIX_SYSCONFDIR");
	if (!dir || !*dir)
		dir = MAPIX_DEFAULT_SYSCONFDIR;
	size_t len = strlen(dir) + sizeof "/mapisvc.inf";
	char *p = malloc(len);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_system_path: out of memory");
	snprintf(p, len, "%s/mapisvc.inf", dir);
	*lppPath = p;
	return S_OK;
}

/* The directory above profile_dir (malloc'd). */
static char *parent_dir(const char *profile_dir)
{
	size_t n = strlen(profile_dir);
	while (n > 1 && profile_dir[n - 1] == '/')
		n--;
	while (n > 0 && profile_dir[n - 1] != '/')
		n--;
	while (n > 1 && profile_dir[n - 1] == '/')
		n--;
	if (n == 0)
		return strdup(".");
	return dupn(profile_dir, n);
}

HRESULT mapix_svccat_user_path(const char *profile_dir, char **lppPath)
{
	char *parent = parent_dir(profile_dir);
	if (!parent)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_user_path: out of memory");
	size_t len = strlen(parent) + sizeof "/mapisvc.inf";
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s%smapisvc.inf", parent, strcmp(parent, "/") == 0 ? "" : "/");
	free(parent);
	if (!p)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_user_path: out of memory");
	*lppPath = p;
	return S_OK;
}

HRESULT mapix_svccat_load_file(const char *path, mapix_svccat **lppCat)
{
	char *text = NULL;
	size_t cb = 0;
	HRESULT hr = mapix_file_read_locked(path, &text, &cb);
	if (hr == MAPI_E_NOT_FOUND)
		return mapix_svccat_new(lppCat);
	if (FAILED(hr))
		return hr;
	hr = mapix_svccat_parse(text, cb, lppCat);
	free(text);
	if (FAILED(hr))
		return mapix_error(hr, "%s: %s", path, MAPIXGetLastErrorText());
	return hr;
}

HRESULT mapix_svccat_load(const char *profile_dir, mapix_svccat **lppCat)
{
	char *sys = NULL, *user = NULL;
	mapix_svccat *cat = NULL, *add = NULL;
	HRESULT hr = mapix_svccat_system_path(&sys);
	if (SUCCEEDED(hr))
		hr = mapix_svccat_load_file(sys, &cat);
	if (SUCCEEDED(hr) && profile_dir)
		hr = mapix_svccat_user_path(profile_dir, &user);
	if (SUCCEEDED(hr) && user)
		hr = mapix_svccat_load_file(user, &add);
	if (SUCCEEDED(hr) && add)
		hr = mapix_svccat_merge(cat, add);
	free(sys);
	free(user);
	mapix_svccat_free(add);
	if (FAILED(hr)) {
		mapix_svccat_free(cat);
		return hr;
	}
	*lppCat = cat;
	return S_OK;
}

typedef struct edit_arg {
	const char *path;
	mapix_svccat_edit_fn edit;
	void *arg;
} edit_arg;

static HRESULT edit_text(void *a, const char *old, size_t cbOld, BOOL exists, char **lppNew, size_t *lpcbNew)
{
	edit_arg *ea = a;
	mapix_svccat *cat = NULL;
	HRESULT hr = exists ? mapix_svccat_parse(old, cbOld, &cat) : mapix_svccat_new(&cat);
	if (FAILED(hr))
		return exists ? mapix_error(hr, "%s: %s", ea->path, MAPIXGetLastErrorText()) : hr;
	hr = ea->edit(ea->arg, cat);
	if (hr == S_OK)
		hr = mapix_svccat_serialize(cat, lppNew, lpcbNew);
	mapix_svccat_free(cat);
	return hr;
}

HRESULT mapix_svccat_edit_user(const char *profile_dir, mapix_svccat_edit_fn edit, void *arg)
{
	char *user = NULL, *parent = NULL;
	HRESULT hr = mapix_svccat_user_path(profile_dir, &user);
	if (FAILED(hr))
		return hr;
	parent = parent_dir(profile_dir);
	if (!parent) {
		free(user);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_svccat_edit_user: out of memory");
	}
	hr = mapix_file_mkdirs(parent);
	free(parent);
	if (SUCCEEDED(hr)) {
		edit_arg ea = {user, edit, arg};
		hr = mapix_file_update(user, edit_text, &ea);
	}
	free(user);
	return hr;
}
