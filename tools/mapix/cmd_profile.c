/*
 * cmd_profile.c — `mapix profile`: MAPI profiles from the command line,
 * through the same public API a program uses (MAPIAdminProfiles, IProfAdmin,
 * IMsgServiceAdmin2, IProfSect). Profiles live in the caller's own profile
 * directory, or in the one `mapix --profile-dir DIR` names (main.c passes it
 * to MAPIInitialize); the library locks and replaces the files, so this file
 * only turns words into calls and tables into lines.
 *
 * A message service is named on the command line by its UID (the 32 hex
 * digits `show` prints), by its display name or by its catalog name
 * (MAPIX_LOCAL); a name that fits several services is refused.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixprops.h>
#include <mapix/mapixstore.h>

#include "cli.h"

static void profile_usage(FILE *out)
{
	fprintf(out,
	        "usage: mapix profile list\n"
	        "       mapix profile create NAME [--default]\n"
	        "       mapix profile delete NAME\n"
	        "       mapix profile copy   FROM TO\n"
	        "       mapix profile rename FROM TO\n"
	        "       mapix profile default NAME\n"
	        "       mapix profile show   NAME\n"
	        "       mapix profile service add       NAME SERVICE [--display TEXT] [--mailbox PATH [--create]]\n"
	        "       mapix profile service remove    NAME SERVICE-UID-or-NAME\n"
	        "       mapix profile service configure NAME SERVICE-UID-or-NAME PROP=VALUE...\n"
	        "\n"
	        "Profiles live in your own profile directory, or in the one given with\n"
	        "'mapix --profile-dir DIR profile ...'. See docs/cli.md.\n");
}

/* The subcommand's words ("create", "service add"), which every error line
 * starts with; set by parse_words, which each subcommand calls first. */
static const char *sub_words = "";

/* Parses the subcommand's options and checks the count of positional
 * arguments; on a usage error returns non-zero (the exit status). */
static int parse_words(const char *sub, int argc, char **argv, const cli_option *opts, int want_min, int want_max,
                       const char ***pos, int *npos)
{
	static const cli_option none[] = {{NULL, 0, NULL}};
	sub_words = sub;
	int rc = cli_parse(argc, argv, opts ? opts : none, pos, npos);
	if (rc)
		return rc;
	if (*npos < want_min) {
		rc = cli_usage_error("profile %s: missing argument (see 'mapix profile --help')", sub);
	} else if (want_max >= 0 && *npos > want_max) {
		rc = cli_usage_error("profile %s: unexpected argument '%s'", sub, (*pos)[want_max]);
	}
	if (rc) {
		free(*pos);
		*pos = NULL;
		return rc;
	}
	return 0;
}

/* Prints "mapix: profile SUB: <reason> (<CODE>)" for a failed call. The
 * library's messages start with the method's name ("IProfAdmin::
 * CreateProfile: CreateProfile: ..."), which says nothing to someone who
 * typed a subcommand: those leading identifiers are dropped. */
static int profile_fail(HRESULT hr)
{
	const char *text = MAPIXGetLastErrorText();
	if (!text || !*text || MAPIXGetLastErrorCode() != hr)
		text = "failed";
	for (;;) {
		size_t n = 0;
		while (isalnum((unsigned char)text[n]) || text[n] == '_' || (text[n] == ':' && text[n + 1] == ':'))
			n += text[n] == ':' ? 2 : 1;
		if (n == 0 || strncmp(text + n, ": ", 2) != 0 || !text[n + 2])
			break;
		text += n + 2;
	}
	/* The message may quote what was typed, control characters and all;
	 * the error stays one line. */
	fprintf(stderr, "mapix: profile %s: ", sub_words);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '\n')
			fputs("\\n", stderr);
		else if (*c < 0x20 || *c == 0x7F)
			fprintf(stderr, "\\x%02X", *c);
		else
			fputc(*c, stderr);
	}
	fprintf(stderr, " (%s)\n", MAPIXErrorName(hr));
	return CLI_EXIT_FAILURE;
}

static int open_admin(LPPROFADMIN *admin)
{
	HRESULT hr = MAPIAdminProfiles(0, admin);
	return FAILED(hr) ? profile_fail(hr) : CLI_EXIT_OK;
}

/* ---- list, create, delete, copy, rename, default --------------------------------- */

static const char *row_string(const SRow *r, ULONG col)
{
	const SPropValue *v = &r->lpProps[col];
	return PROP_TYPE(v->ulPropTag) == PT_STRING8 && v->Value.lpszA ? v->Value.lpszA : "";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(row_string(a, 0), row_string(b, 0));
}

/* The profile table, sorted by name: column 0 PR_DISPLAY_NAME_A, column 1
 * PR_DEFAULT_PROFILE. */
static int profile_rows(LPPROFADMIN admin, LPSRowSet *rows)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_A, PR_DEFAULT_PROFILE}};
	LPMAPITABLE table = NULL;
	HRESULT hr = IProfAdmin_GetProfileTable(admin, 0, &table);
	if (SUCCEEDED(hr)) {
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, rows);
		IMAPITable_Release(table);
	}
	if (FAILED(hr))
		return profile_fail(hr);
	qsort((*rows)->aRow, (*rows)->cRows, sizeof(SRow), by_name);
	return CLI_EXIT_OK;
}

static BOOL row_is_default(const SRow *r)
{
	return PROP_TYPE(r->lpProps[1].ulPropTag) == PT_BOOLEAN && r->lpProps[1].Value.b;
}

static int profile_list(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("list", argc, argv, NULL, 0, 0, &pos, &npos)))
		return rc;
	free(pos);
	LPPROFADMIN admin;
	LPSRowSet rows = NULL;
	if ((rc = open_admin(&admin)))
		return rc;
	rc = profile_rows(admin, &rows);
	IProfAdmin_Release(admin);
	if (rc)
		return rc;
	for (ULONG i = 0; i < rows->cRows; i++)
		printf("%s %s\n", row_is_default(&rows->aRow[i]) ? "*" : " ", row_string(&rows->aRow[i], 0));
	FreeProws(rows);
	return CLI_EXIT_OK;
}

static int profile_create(int argc, char **argv)
{
	const char *make_default = NULL, **pos;
	int npos, rc;
	const cli_option opts[] = {{"default", 0, &make_default}, {NULL, 0, NULL}};
	if ((rc = parse_words("create", argc, argv, opts, 1, 1, &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	LPPROFADMIN admin;
	if ((rc = open_admin(&admin)))
		return rc;
	HRESULT hr = IProfAdmin_CreateProfile(admin, (LPTSTR)name, NULL, 0, 0);
	if (FAILED(hr))
		rc = profile_fail(hr);
	else if (make_default && FAILED(hr = IProfAdmin_SetDefaultProfile(admin, (LPTSTR)name, 0)))
		rc = profile_fail(hr);
	IProfAdmin_Release(admin);
	if (!rc)
		printf("created profile %s%s\n", name, make_default ? " (default)" : "");
	return rc;
}

static int profile_delete(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("delete", argc, argv, NULL, 1, 1, &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	LPPROFADMIN admin;
	if ((rc = open_admin(&admin)))
		return rc;
	HRESULT hr = IProfAdmin_DeleteProfile(admin, (LPTSTR)name, 0);
	IProfAdmin_Release(admin);
	if (FAILED(hr))
		return profile_fail(hr);
	printf("deleted profile %s\n", name);
	return CLI_EXIT_OK;
}

/* copy and rename share their shape: FROM TO. */
static int copy_or_rename(int argc, char **argv, BOOL rename)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words(rename ? "rename" : "copy", argc, argv, NULL, 2, 2, &pos, &npos)))
		return rc;
	const char *from = pos[0], *to = pos[1];
	free(pos);
	LPPROFADMIN admin;
	if ((rc = open_admin(&admin)))
		return rc;
	HRESULT hr = rename ? IProfAdmin_RenameProfile(admin, (LPTSTR)from, NULL, (LPTSTR)to, 0, 0)
	                    : IProfAdmin_CopyProfile(admin, (LPTSTR)from, NULL, (LPTSTR)to, 0, 0);
	IProfAdmin_Release(admin);
	if (FAILED(hr))
		return profile_fail(hr);
	printf("%s profile %s to %s\n", rename ? "renamed" : "copied", from, to);
	return CLI_EXIT_OK;
}

static int profile_copy(int argc, char **argv)
{
	return copy_or_rename(argc, argv, FALSE);
}

static int profile_rename(int argc, char **argv)
{
	return copy_or_rename(argc, argv, TRUE);
}

static int profile_default(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("default", argc, argv, NULL, 1, 1, &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	LPPROFADMIN admin;
	if ((rc = open_admin(&admin)))
		return rc;
	HRESULT hr = IProfAdmin_SetDefaultProfile(admin, (LPTSTR)name, 0);
	IProfAdmin_Release(admin);
	if (FAILED(hr))
		return profile_fail(hr);
	printf("default profile %s\n", name);
	return CLI_EXIT_OK;
}

/* ---- services -------------------------------------------------------------------- */

/* The profile's IMsgServiceAdmin2 (through IProfAdmin::AdminServices). */
static int open_services(const char *profile, LPSERVICEADMIN2 *sa2)
{
	LPPROFADMIN admin;
	LPSERVICEADMIN sa = NULL;
	int rc;
	*sa2 = NULL;
	if ((rc = open_admin(&admin)))
		return rc;
	HRESULT hr = IProfAdmin_AdminServices(admin, (LPTSTR)profile, NULL, 0, 0, &sa);
	IProfAdmin_Release(admin);
	if (FAILED(hr))
		return profile_fail(hr);
	hr = IMsgServiceAdmin_QueryInterface(sa, &IID_IMsgServiceAdmin2, (LPVOID *)sa2);
	IMsgServiceAdmin_Release(sa);
	return FAILED(hr) ? profile_fail(hr) : CLI_EXIT_OK;
}

/* The message service table: PR_SERVICE_UID, PR_DISPLAY_NAME_A,
 * PR_SERVICE_NAME_A, in the table's (creation) order. */
static int service_rows(LPSERVICEADMIN2 sa, LPSRowSet *rows)
{
	static const SizedSPropTagArray(3, cols) = {3, {PR_SERVICE_UID, PR_DISPLAY_NAME_A, PR_SERVICE_NAME_A}};
	LPMAPITABLE table = NULL;
	HRESULT hr = IMsgServiceAdmin2_GetMsgServiceTable(sa, 0, &table);
	if (SUCCEEDED(hr)) {
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, rows);
		IMAPITable_Release(table);
	}
	return FAILED(hr) ? profile_fail(hr) : CLI_EXIT_OK;
}

static const MAPIUID *row_uid(const SRow *r, ULONG col)
{
	const SPropValue *v = &r->lpProps[col];
	if (PROP_TYPE(v->ulPropTag) != PT_BINARY || v->Value.bin.cb != sizeof(MAPIUID))
		return NULL;
	return (const MAPIUID *)v->Value.bin.lpb;
}

static void uid_hex(const MAPIUID *uid, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02X", uid->ab[i]);
}

/* Finds the service called `which` (UID in hex, display name or catalog
 * name) in the profile; prints the error and returns non-zero when there is
 * none or more than one. */
static int find_service(LPSERVICEADMIN2 sa, const char *profile, const char *which, MAPIUID *uid)
{
	LPSRowSet rows = NULL;
	int rc = service_rows(sa, &rows);
	if (rc)
		return rc;
	const SRow *found = NULL;
	ULONG matches = 0;
	/* A UID names one service for sure; then display names; catalog
	 * names last, since several services may come from one entry. */
	for (int pass = 0; pass < 3 && !matches; pass++)
		for (ULONG i = 0; i < rows->cRows; i++) {
			const SRow *r = &rows->aRow[i];
			const MAPIUID *u = row_uid(r, 0);
			char hex[33] = "";
			if (u)
				uid_hex(u, hex);
			int hit = pass == 0 ? u && strcasecmp(hex, which) == 0
			                    : strcmp(row_string(r, pass == 1 ? 1 : 2), which) == 0;
			if (hit && u) {
				matches++;
				found = r;
			}
		}
	if (matches == 1)
		*uid = *row_uid(found, 0);
	FreeProws(rows);
	if (matches == 0)
		return cli_error("profile %s: profile %s has no message service '%s'", sub_words, profile, which);
	if (matches > 1)
		return cli_error("profile %s: %lu message services of profile %s are called '%s'; give the service's UID",
		                 sub_words, (unsigned long)matches, profile, which);
	return CLI_EXIT_OK;
}

/* PATH as an absolute path (malloc'd): a profile outlives the directory it
 * was made from. The file need not exist yet (--create). */
static char *absolute_path(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	char *out = NULL;
	if (asprintf(&out, "%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path) < 0)
		out = NULL;
	free(cwd);
	return out;
}

static int service_add(int argc, char **argv)
{
	const char *display = NULL, *mailbox = NULL, *create = NULL, **pos;
	int npos, rc;
	const cli_option opts[] = {{"display", 1, &display},
	                           {"mailbox", 1, &mailbox},
	                           {"create", 0, &create},
	                           {NULL, 0, NULL}};
	if ((rc = parse_words("service add", argc, argv, opts, 2, 2, &pos, &npos)))
		return rc;
	const char *profile = pos[0], *service = pos[1];
	free(pos);
	if (create && !mailbox)
		return cli_usage_error("profile service add: --create needs --mailbox");
	if (mailbox && !*mailbox)
		return cli_usage_error("--mailbox: empty path");
	if (display && !*display)
		return cli_usage_error("--display: empty name");
	char *path = mailbox ? absolute_path(mailbox) : NULL;
	if (mailbox && !path)
		return cli_error("%s: %s", mailbox, strerror(errno));

	LPSERVICEADMIN2 sa;
	if ((rc = open_services(profile, &sa))) {
		free(path);
		return rc;
	}
	MAPIUID uid;
	HRESULT hr = IMsgServiceAdmin2_CreateMsgServiceEx(sa, (LPSTR)service, (LPSTR)display, 0, 0, &uid);
	if (FAILED(hr)) {
		rc = profile_fail(hr);
		goto out;
	}
	/* The catalog's display name wins at creation; --display is the
	 * caller's choice, so it is applied as a rename. */
	if (display && FAILED(hr = IMsgServiceAdmin2_RenameMsgService(sa, &uid, 0, (LPTSTR)display))) {
		rc = profile_fail(hr);
	} else if (path) {
		SPropValue cfg[2];
		memset(cfg, 0, sizeof cfg);
		cfg[0].ulPropTag = PR_MAPIX_STORE_PATH_A;
		cfg[0].Value.lpszA = path;
		cfg[1].ulPropTag = PR_MAPIX_STORE_CREATE;
		cfg[1].Value.b = TRUE;
		if (FAILED(hr = IMsgServiceAdmin2_ConfigureMsgService(sa, &uid, 0, 0, create ? 2 : 1, cfg)))
			rc = profile_fail(hr);
	}
	if (rc) {
		/* No half-made service left behind; the error above is the one
		 * that matters, so this one's result is not reported. */
		IMsgServiceAdmin2_DeleteMsgService(sa, &uid);
		goto out;
	}
	char hex[33];
	uid_hex(&uid, hex);
	printf("added service %s %s to profile %s\n", service, hex, profile);
out:
	IMsgServiceAdmin2_Release(sa);
	free(path);
	return rc;
}

static int service_remove(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("service remove", argc, argv, NULL, 2, 2, &pos, &npos)))
		return rc;
	const char *profile = pos[0], *which = pos[1];
	free(pos);
	LPSERVICEADMIN2 sa;
	MAPIUID uid;
	if ((rc = open_services(profile, &sa)))
		return rc;
	if (!(rc = find_service(sa, profile, which, &uid))) {
		HRESULT hr = IMsgServiceAdmin2_DeleteMsgService(sa, &uid);
		if (FAILED(hr))
			rc = profile_fail(hr);
	}
	IMsgServiceAdmin2_Release(sa);
	if (!rc) {
		char hex[33];
		uid_hex(&uid, hex);
		printf("removed service %s from profile %s\n", hex, profile);
	}
	return rc;
}

/* ---- PROP=VALUE ------------------------------------------------------------------ */

/* The tag of a property name: a PR_ or PidTag name (mapix's own PR_MAPIX_
 * names included), or a hex tag of 8 digits. PR_NULL when unknown. */
static ULONG prop_tag(const char *name, size_t len)
{
	char buf[128];
	if (len == 0 || len >= sizeof buf)
		return PR_NULL;
	memcpy(buf, name, len);
	buf[len] = 0;
	if (len == 10 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		char *end;
		unsigned long t = strtoul(buf + 2, &end, 16);
		return *end || !isxdigit((unsigned char)buf[2]) ? PR_NULL : (ULONG)t;
	}
	return mapix_prop_tag_from_name(buf);
}

static BOOL parse_integer(const char *s, long long lo, long long hi, unsigned long long hex_max, long long *out)
{
	char *end;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		/* Hex spells bit patterns: 0xFFFFFFFF is a valid PT_LONG. */
		if (!isxdigit((unsigned char)s[2]))
			return FALSE;
		unsigned long long u = strtoull(s + 2, &end, 16);
		if (errno || *end || u > hex_max)
			return FALSE;
		*out = (long long)u;
		return TRUE;
	}
	if (!*s || isspace((unsigned char)*s))
		return FALSE;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return FALSE;
	*out = v;
	return TRUE;
}

/* "2024-03-01", "2024-03-01T12:00", "2024-03-01T12:00:30", each with an
 * optional "Z": UTC. */
static BOOL parse_time(const char *s, FILETIME *ft)
{
	struct tm tm;
	int n = 0;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return FALSE;
	const char *p = s + n;
	if (*p == 'T') {
		int m = 0;
		if (sscanf(p, "T%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) != 2 || m != 6)
			return FALSE;
		p += m;
		if (*p == ':') {
			if (sscanf(p, ":%2d%n", &tm.tm_sec, &m) != 1 || m != 3)
				return FALSE;
			p += m;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return FALSE;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ft = mapix_filetime_from_unix((int64_t)timegm(&tm), 0);
	return TRUE;
}

static BOOL parse_guid(const char *s, GUID *g)
{
	unsigned d1, d2, d3, b[8];
	int n = 0;
	if (sscanf(s, "{%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}%n", &d1, &d2, &d3, &b[0], &b[1], &b[2], &b[3], &b[4],
	           &b[5], &b[6], &b[7], &n) != 11 ||
	    n != 38 || s[n])
		return FALSE;
	g->Data1 = d1;
	g->Data2 = (unsigned short)d2;
	g->Data3 = (unsigned short)d3;
	for (int i = 0; i < 8; i++)
		g->Data4[i] = (BYTE)b[i];
	return TRUE;
}

/* Parses "PROP=VALUE" into *v, the value by the property's type; memory
 * hangs off parent (MAPIAllocateMore). Returns 0 or the usage error's
 * status. */
static int parse_assignment(const char *arg, LPVOID parent, SPropValue *v)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return cli_usage_error("profile %s: '%s': give PROP=VALUE", sub_words, arg);
	ULONG tag = prop_tag(arg, (size_t)(eq - arg));
	if (tag == PR_NULL)
		return cli_usage_error("profile %s: unknown property '%.*s' (a PR_ name or a hex tag like 0x6004001F)",
		                       sub_words, (int)(eq - arg), arg);
	const char *text = eq + 1;
	memset(v, 0, sizeof *v);
	v->ulPropTag = tag;
	long long n;
	BOOL ok = TRUE;
	switch (PROP_TYPE(tag)) {
	case PT_UNICODE:
		ok = mapix_utf8_to_utf16(text, parent, &v->Value.lpszW) == S_OK;
		if (!ok)
			return cli_error("out of memory");
		break;
	case PT_STRING8:
		v->Value.lpszA = (LPSTR)text;
		break;
	case PT_LONG:
		if ((ok = parse_integer(text, INT32_MIN, INT32_MAX, 0xFFFFFFFFull, &n)))
			v->Value.l = (LONG)(ULONG)n;
		break;
	case PT_SHORT:
		if ((ok = parse_integer(text, INT16_MIN, INT16_MAX, 0xFFFFull, &n)))
			v->Value.i = (short)(unsigned short)n;
		break;
	case PT_I8:
		if ((ok = parse_integer(text, INT64_MIN, INT64_MAX, UINT64_MAX, &n)))
			v->Value.li.QuadPart = n;
		break;
	case PT_BOOLEAN:
		if (!strcasecmp(text, "true") || !strcmp(text, "1") || !strcasecmp(text, "yes"))
			v->Value.b = TRUE;
		else if (!strcasecmp(text, "false") || !strcmp(text, "0") || !strcasecmp(text, "no"))
			v->Value.b = FALSE;
		else
			ok = FALSE;
		break;
	case PT_DOUBLE:
	case PT_FLOAT:
	case PT_APPTIME: {
		char *end;
		errno = 0;
		double d = strtod(text, &end);
		ok = *text && !errno && !*end;
		if (PROP_TYPE(tag) == PT_FLOAT)
			v->Value.flt = (float)d;
		else if (PROP_TYPE(tag) == PT_APPTIME)
			v->Value.at = d;
		else
			v->Value.dbl = d;
		break;
	}
	case PT_SYSTIME:
		ok = parse_time(text, &v->Value.ft);
		break;
	case PT_BINARY: {
		ULONG cb;
		LPBYTE b;
		/* An empty value is an empty binary. */
		if (!*text)
			break;
		if (!(ok = cli_parse_hex(text, &cb, &b)))
			break;
		if (MAPIAllocateMore(cb, parent, (LPVOID *)&v->Value.bin.lpb) != S_OK) {
			MAPIFreeBuffer(b);
			return cli_error("out of memory");
		}
		memcpy(v->Value.bin.lpb, b, cb);
		v->Value.bin.cb = cb;
		MAPIFreeBuffer(b);
		break;
	}
	case PT_CLSID:
		if (MAPIAllocateMore(sizeof(GUID), parent, (LPVOID *)&v->Value.lpguid) != S_OK)
			return cli_error("out of memory");
		ok = parse_guid(text, v->Value.lpguid);
		break;
	default: {
		const char *tn = mapix_prop_type_name(PROP_TYPE(tag));
		return cli_usage_error("profile %s: %.*s: a %s value cannot be given on the command line", sub_words,
		                       (int)(eq - arg), arg,
		                       tn ? tn : "property of this type");
	}
	}
	if (!ok) {
		const char *tn = mapix_prop_type_name(PROP_TYPE(tag));
		return cli_usage_error("profile %s: %.*s: '%s' is not a %s value", sub_words, (int)(eq - arg), arg, text,
		                       tn ? tn : "valid");
	}
	return 0;
}

static int service_configure(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("service configure", argc, argv, NULL, 3, -1, &pos, &npos)))
		return rc;
	const char *profile = pos[0], *which = pos[1];
	/* Values are parsed before anything is opened: a bad value is a usage
	 * error whatever the profile holds. */
	LPSPropValue props = NULL;
	ULONG count = (ULONG)npos - 2;
	if (MAPIAllocateBuffer(count * (ULONG)sizeof(SPropValue), (LPVOID *)&props) != S_OK) {
		free(pos);
		return cli_error("out of memory");
	}
	for (ULONG i = 0; i < count && !rc; i++)
		rc = parse_assignment(pos[i + 2], props, &props[i]);
	free(pos);
	LPSERVICEADMIN2 sa = NULL;
	MAPIUID uid;
	if (!rc && !(rc = open_services(profile, &sa)) && !(rc = find_service(sa, profile, which, &uid))) {
		HRESULT hr = IMsgServiceAdmin2_ConfigureMsgService(sa, &uid, 0, 0, count, props);
		if (FAILED(hr))
			rc = profile_fail(hr);
	}
	if (sa)
		IMsgServiceAdmin2_Release(sa);
	MAPIFreeBuffer(props);
	if (!rc) {
		char hex[33];
		uid_hex(&uid, hex);
		printf("configured service %s of profile %s (%lu %s)\n", hex, profile, (unsigned long)count,
		       count == 1 ? "property" : "properties");
	}
	return rc;
}

/* ---- show -------------------------------------------------------------------------- */

static int by_tag(const void *a, const void *b)
{
	ULONG x = ((const SPropValue *)a)->ulPropTag, y = ((const SPropValue *)b)->ulPropTag;
	if (PROP_ID(x) != PROP_ID(y))
		return PROP_ID(x) < PROP_ID(y) ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Every property of one profile section, as `store show` lists an object's:
 * tag, name, type, value, sorted by property id. */
static int show_section(LPSERVICEADMIN2 sa, const MAPIUID *uid, int indent)
{
	LPPROFSECT sect = NULL;
	LPSPropValue props = NULL;
	ULONG n = 0;
	HRESULT hr = IMsgServiceAdmin2_OpenProfileSection(sa, (LPMAPIUID)uid, NULL, 0, &sect);
	if (FAILED(hr))
		return profile_fail(hr);
	hr = IProfSect_GetProps(sect, NULL, MAPI_UNICODE, &n, &props);
	IProfSect_Release(sect);
	if (FAILED(hr))
		return profile_fail(hr);
	qsort(props, n, sizeof *props, by_tag);
	for (ULONG i = 0; i < n; i++) {
		char idbuf[16], tbuf[16];
		const char *tn = mapix_prop_type_name(PROP_TYPE(props[i].ulPropTag));
		if (!tn) {
			snprintf(tbuf, sizeof tbuf, "0x%04X", (unsigned)PROP_TYPE(props[i].ulPropTag));
			tn = tbuf;
		}
		cli_buf b = {0};
		cli_format_value(&b, &props[i], 0);
		printf("%*s0x%08X  %-36s %-14s %s\n", indent, "", (unsigned)props[i].ulPropTag,
		       cli_tag_label(props[i].ulPropTag, idbuf), tn, cli_buf_str(&b));
		cli_buf_free(&b);
	}
	MAPIFreeBuffer(props);
	return CLI_EXIT_OK;
}

/* The provider table of the whole profile: PR_PROVIDER_UID, PR_SERVICE_UID,
 * PR_DISPLAY_NAME_A. */
static int provider_rows(LPSERVICEADMIN2 sa, LPSRowSet *rows)
{
	static const SizedSPropTagArray(3, cols) = {3, {PR_PROVIDER_UID, PR_SERVICE_UID, PR_DISPLAY_NAME_A}};
	LPMAPITABLE table = NULL;
	HRESULT hr = IMsgServiceAdmin2_GetProviderTable(sa, 0, &table);
	if (SUCCEEDED(hr)) {
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, rows);
		IMAPITable_Release(table);
	}
	return FAILED(hr) ? profile_fail(hr) : CLI_EXIT_OK;
}

static int profile_show(int argc, char **argv)
{
	const char **pos;
	int npos, rc;
	if ((rc = parse_words("show", argc, argv, NULL, 1, 1, &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);

	LPPROFADMIN admin;
	LPSRowSet profiles = NULL;
	if ((rc = open_admin(&admin)))
		return rc;
	rc = profile_rows(admin, &profiles);
	IProfAdmin_Release(admin);
	if (rc)
		return rc;
	int found = 0, is_default = 0;
	for (ULONG i = 0; i < profiles->cRows; i++)
		if (strcmp(row_string(&profiles->aRow[i], 0), name) == 0) {
			found = 1;
			is_default = row_is_default(&profiles->aRow[i]);
		}
	FreeProws(profiles);
	if (!found)
		return cli_error("profile show: there is no profile named \"%s\" in %s", name, MAPIXGetProfileDirectory());

	LPSERVICEADMIN2 sa;
	LPSRowSet services = NULL, providers = NULL;
	if ((rc = open_services(name, &sa)))
		return rc;
	if (!(rc = service_rows(sa, &services)) && !(rc = provider_rows(sa, &providers))) {
		printf("profile %s%s\n", name, is_default ? " (default)" : "");
		if (services->cRows == 0)
			printf("(no message services)\n");
		for (ULONG i = 0; i < services->cRows && !rc; i++) {
			const SRow *s = &services->aRow[i];
			const MAPIUID *su = row_uid(s, 0);
			if (!su)
				continue;
			char hex[33];
			uid_hex(su, hex);
			printf("\nservice %s %s \"%s\"\n", hex, row_string(s, 2), row_string(s, 1));
			rc = show_section(sa, su, 2);
			for (ULONG j = 0; j < providers->cRows && !rc; j++) {
				const SRow *p = &providers->aRow[j];
				const MAPIUID *pu = row_uid(p, 0), *ps = row_uid(p, 1);
				if (!pu || !ps || !IsEqualMAPIUID(ps, su))
					continue;
				uid_hex(pu, hex);
				printf("  provider %s \"%s\"\n", hex, row_string(p, 2));
				rc = show_section(sa, pu, 4);
			}
		}
	}
	FreeProws(services);
	FreeProws(providers);
	IMsgServiceAdmin2_Release(sa);
	return rc;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static int profile_service(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"add", "add a message service from the catalog", service_add},
		{"remove", "remove a message service", service_remove},
		{"configure", "set properties of a message service", service_configure},
	};
	if (argc < 1)
		return cli_usage_error("profile service: give add, remove or configure (see 'mapix profile --help')");
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(argv[0], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage_error("profile service: unknown subcommand '%s' (see 'mapix profile --help')", argv[0]);
}

int cmd_profile(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"list", "the profiles, the default marked *", profile_list},
		{"create", "make an empty profile", profile_create},
		{"delete", "delete a profile", profile_delete},
		{"copy", "copy a profile", profile_copy},
		{"rename", "rename a profile", profile_rename},
		{"default", "make a profile the default", profile_default},
		{"show", "every section of a profile", profile_show},
		{"service", "add, remove and configure message services", profile_service},
	};
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		profile_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(argv[0], subs[i].name) != 0)
			continue;
		for (int j = 1; j < argc; j++) {
			if (strcmp(argv[j], "--") == 0)
				break;
			if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
				profile_usage(stdout);
				return CLI_EXIT_OK;
			}
		}
		return subs[i].run(argc - 1, argv + 1);
	}
	return cli_usage_error("profile: unknown subcommand '%s' (see 'mapix profile --help')", argv[0]);
}
