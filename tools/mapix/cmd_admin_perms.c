/*
 * cmd_admin_perms.c — `mapix admin perms show|set`: the folder permissions
 * (PR_ACL_TABLE) of a mailbox hosted by mapixd, read and edited through
 * IExchangeModifyTable on the folder, exactly as a MAPI client would. The
 * administrator opens the mailbox with OPENSTORE_USE_ADMIN_PRIVILEGE
 * (MAPIXMailboxLogon), so the server checks and audits it like any other
 * admin logon; the store applies the change in one transaction.
 *
 * Roles are the published ones (ROLE_* of edkmdb.h, MS-OXCPERM 2.2.7);
 * rights can also be given as bits in hex.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/edkguid.h>
#include <mapix/edkmdb.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "cli.h"
#include "cmd_admin.h"

static const struct {
	const char *name;
	LONG rights;
} roles[] = {
	{"owner", ROLE_OWNER},
	{"publishing-editor", ROLE_PUBLISH_EDITOR},
	{"editor", ROLE_EDITOR},
	{"publishing-author", ROLE_PUBLISH_AUTHOR},
	{"author", ROLE_AUTHOR},
	{"nonediting-author", ROLE_NONEDITING_AUTHOR},
	{"reviewer", ROLE_REVIEWER},
	{"contributor", ROLE_CONTRIBUTOR},
	{"none", ROLE_NONE},
};

static const struct {
	const char *name;
	LONG bit;
} bits[] = {
	{"read", frightsReadAny},         {"create", frightsCreate},
	{"edit-own", frightsEditOwned},   {"delete-own", frightsDeleteOwned},
	{"edit-any", frightsEditAny},     {"delete-any", frightsDeleteAny},
	{"create-subfolder", frightsCreateSubfolder}, {"owner", frightsOwner},
	{"contact", frightsContact},      {"visible", frightsVisible},
	{"freebusy-simple", frightsFreeBusySimple}, {"freebusy-detailed", frightsFreeBusyDetailed},
};

#define ALL_RIGHTS 0x1FFB /* every bit MS-OXCPERM defines */

/* A role name or hex bits; -1 when it is neither. */
static LONG parse_rights(const char *text)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcasecmp(text, roles[i].name) == 0)
			return roles[i].rights;
	if (strncasecmp(text, "0x", 2) != 0 || !text[2] || strlen(text) > 10)
		return -1;
	char *end;
	unsigned long v = strtoul(text + 2, &end, 16);
	if (*end || (v & ~(unsigned long)ALL_RIGHTS))
		return -1;
	return (LONG)v;
}

/* The role's name when the bits are exactly one, else the bits in words. */
static void rights_words(LONG r, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if ((r & ~(frightsFreeBusySimple | frightsFreeBusyDetailed)) == roles[i].rights) {
			snprintf(buf, cap, "%s", roles[i].name);
			return;
		}
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if ((r & bits[i].bit) && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", bits[i].name);
	if (!n)
		snprintf(buf, cap, "-");
}

/* IDENTITY: default, anonymous, user:NAME, account:NAME, or a bare Unix
 * user name (user:NAME). The member id for the two special members, 0
 * (with *identity set) otherwise. */
static int parse_member(const char *text, LONGLONG *member_id, char *identity, size_t cap)
{
	*member_id = 0;
	identity[0] = 0;
	if (strcasecmp(text, "default") == 0)
		return 0;
	if (strcasecmp(text, "anonymous") == 0) {
		*member_id = -1;
		return 0;
	}
	if (!*text || strchr(text, ' '))
		return -1;
	if (strncmp(text, "user:", 5) == 0 || strncmp(text, "account:", 8) == 0)
		snprintf(identity, cap, "%s", text);
	else
		snprintf(identity, cap, "user:%s", text);
	return 0;
}

/* Opens MAILBOX with admin privilege and FOLDER in it, and the folder's
 * ACL. */
static int open_acl(const char *server, const char *mailbox, const char *path, ULONG mdb_flags, LPMDB *mdb,
                    LPEXCHANGEMODIFYTABLE *acl)
{
	LPMAPIFOLDER folder = NULL;
	*mdb = NULL;
	*acl = NULL;
	HRESULT hr = MAPIXMailboxLogon(server, NULL, mailbox, OPENSTORE_USE_ADMIN_PRIVILEGE, mdb_flags, mdb);
	if (FAILED(hr))
		return cli_fail(mailbox, hr);
	if (FAILED(cli_open_folder(*mdb, mailbox, path, &folder)))
		return CLI_EXIT_FAILURE;
	hr = IMAPIFolder_OpenProperty(folder, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, mdb_flags ? MAPI_MODIFY : 0,
	                              (LPUNKNOWN *)acl);
	IMAPIFolder_Release(folder);
	if (FAILED(hr))
		return cli_fail(path, hr);
	return CLI_EXIT_OK;
}

static void close_acl(LPMDB mdb, LPEXCHANGEMODIFYTABLE acl)
{
	if (acl)
		IExchangeModifyTable_Release(acl);
	if (mdb)
		IMsgStore_Release(mdb);
}

/* Members in a stable order: anonymous, default, then by id. */
static int by_member_id(const void *a, const void *b)
{
	const SPropValue *pa = ((const SRow *)a)->lpProps, *pb = ((const SRow *)b)->lpProps;
	LONGLONG x = pa[0].ulPropTag == PR_MEMBER_ID ? pa[0].Value.li.QuadPart : 0;
	LONGLONG y = pb[0].ulPropTag == PR_MEMBER_ID ? pb[0].Value.li.QuadPart : 0;
	return x < y ? -1 : x > y;
}

static int perms_show(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 2, 2, "perms show", &pos, &npos)))
		return rc;
	const char *mailbox = pos[0], *path = pos[1];
	free(pos);
	LPMDB mdb;
	LPEXCHANGEMODIFYTABLE acl;
	if ((rc = open_acl(server, mailbox, path, 0, &mdb, &acl))) {
		close_acl(mdb, acl);
		return rc;
	}
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(4, cols) = {4, {PR_MEMBER_ID, PR_MEMBER_NAME_A, PR_MEMBER_RIGHTS, PR_MAPIX_MEMBER_IDENTITY_A}};
	HRESULT hr = IExchangeModifyTable_GetTable(acl, ACLTABLE_FREEBUSY, &t);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_QueryRows(t, 1000, 0, &rows);
	if (FAILED(hr)) {
		rc = cli_fail(path, hr);
	} else {
		qsort(rows->aRow, rows->cRows, sizeof rows->aRow[0], by_member_id);
		printf("%-6s %-24s %-20s %-10s %s\n", "ID", "IDENTITY", "NAME", "RIGHTS", "ROLE");
		for (ULONG i = 0; i < rows->cRows; i++) {
			LPSPropValue p = rows->aRow[i].lpProps;
			LONGLONG id = p[0].ulPropTag == PR_MEMBER_ID ? p[0].Value.li.QuadPart : 0;
			const char *name = p[1].ulPropTag == PR_MEMBER_NAME_A ? p[1].Value.lpszA : "";
			LONG r = p[2].ulPropTag == PR_MEMBER_RIGHTS ? p[2].Value.l : 0;
			const char *ident = p[3].ulPropTag == PR_MAPIX_MEMBER_IDENTITY_A ? p[3].Value.lpszA
			                    : id == 0                                     ? "default"
			                    : id == -1                                    ? "anonymous"
			                                                                  : "-";
			char words[200];
			rights_words(r, words, sizeof words);
			printf("%-6lld %-24s %-20s 0x%08X %s\n", (long long)id, ident, *name ? name : "-", (unsigned)r, words);
		}
		FreeProws(rows);
	}
	if (t)
		IMAPITable_Release(t);
	close_acl(mdb, acl);
	return rc;
}

/* The member id of an identity in the ACL, or 0 when it is not there. */
static HRESULT find_member(LPEXCHANGEMODIFYTABLE acl, const char *identity, LONGLONG *id)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(2, cols) = {2, {PR_MEMBER_ID, PR_MAPIX_MEMBER_IDENTITY_A}};
	*id = 0;
	HRESULT hr = IExchangeModifyTable_GetTable(acl, 0, &t);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_QueryRows(t, 1000, 0, &rows);
	if (SUCCEEDED(hr)) {
		for (ULONG i = 0; i < rows->cRows; i++) {
			LPSPropValue p = rows->aRow[i].lpProps;
			if (p[1].ulPropTag == PR_MAPIX_MEMBER_IDENTITY_A && strcasecmp(p[1].Value.lpszA, identity) == 0)
				*id = p[0].Value.li.QuadPart;
		}
		FreeProws(rows);
	}
	if (t)
		IMAPITable_Release(t);
	return hr;
}

static int perms_set(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 4, 4, "perms set", &pos, &npos)))
		return rc;
	const char *mailbox = pos[0], *path = pos[1], *who = pos[2], *what = pos[3];
	free(pos);
	LONGLONG member = 0;
	char identity[300];
	if (parse_member(who, &member, identity, sizeof identity))
		return cli_usage_error("admin perms set: '%s' is not an identity (default, anonymous, user:NAME, "
		                       "account:NAME or a Unix user name)",
		                       who);
	BOOL remove = strcasecmp(what, "remove") == 0;
	LONG rights = remove ? 0 : parse_rights(what);
	if (rights < 0)
		return cli_usage_error("admin perms set: '%s' is neither a role (owner, publishing-editor, editor, "
		                       "publishing-author, author, nonediting-author, reviewer, contributor, none), "
		                       "'remove', nor rights bits in hex (0x...)",
		                       what);
	if (remove && !identity[0])
		return cli_usage_error("admin perms set: the %s member cannot be removed; set it to 'none'", who);
	LPMDB mdb;
	LPEXCHANGEMODIFYTABLE acl;
	if ((rc = open_acl(server, mailbox, path, MDB_WRITE, &mdb, &acl))) {
		close_acl(mdb, acl);
		return rc;
	}
	SPropValue v[2];
	memset(v, 0, sizeof v);
	ROWLIST list = {1, {{0, 2, v}}};
	HRESULT hr = S_OK;
	if (remove) {
		if (SUCCEEDED(hr = find_member(acl, identity, &member)) && !member) {
			close_acl(mdb, acl);
			return cli_error("%s: %s is not a member of the folder's ACL", path, identity);
		}
		v[0].ulPropTag = PR_MEMBER_ID;
		v[0].Value.li.QuadPart = member;
		list.aEntries[0].ulRowFlags = ROW_REMOVE;
		list.aEntries[0].cValues = 1;
	} else if (!identity[0]) {
		v[0].ulPropTag = PR_MEMBER_ID;
		v[0].Value.li.QuadPart = member;
		v[1].ulPropTag = PR_MEMBER_RIGHTS;
		v[1].Value.l = rights;
		list.aEntries[0].ulRowFlags = ROW_MODIFY;
	} else {
		/* Adding a member that is there already changes its rights. */
		v[0].ulPropTag = PR_MAPIX_MEMBER_IDENTITY_A;
		v[0].Value.lpszA = identity;
		v[1].ulPropTag = PR_MEMBER_RIGHTS;
		v[1].Value.l = rights;
		list.aEntries[0].ulRowFlags = ROW_ADD;
	}
	if (SUCCEEDED(hr))
		hr = IExchangeModifyTable_ModifyTable(acl, ACLTABLE_FREEBUSY, &list);
	if (FAILED(hr))
		rc = cli_fail(path, hr);
	close_acl(mdb, acl);
	return rc;
}

int admin_perms(int argc, char **argv, const char *server)
{
	if (argc < 1)
		return cli_usage_error("admin perms: show or set (see 'mapix admin --help')");
	if (strcmp(argv[0], "show") == 0)
		return perms_show(argc - 1, argv + 1, server);
	if (strcmp(argv[0], "set") == 0)
		return perms_set(argc - 1, argv + 1, server);
	return cli_usage_error("admin perms: show or set (see 'mapix admin --help')");
}
