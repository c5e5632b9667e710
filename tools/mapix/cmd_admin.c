/*
 * cmd_admin.c — `mapix admin`: administering mapixd through its protocol
 * (mapixremote.h): accounts, mailbox grants and the server's status here;
 * quotas and backups in cmd_admin_quota.c. Every request is checked by the
 * server (administrators of mapixd.conf only; others get MAPI_E_NO_ACCESS
 * and an audit line there). The server is --server ADDRESS, before or
 * after the subcommand words, or mapixd's default socket.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixremote.h>

#include "cli.h"
#include "cmd_admin.h"

void admin_usage(FILE *out)
{
	fprintf(out,
	        "usage: mapix admin [--server ADDR] account create NAME [--display-name TEXT] [--smtp ADDRESS]\n"
	        "                                  [--unix-user USER] [--password-stdin]\n"
	        "       mapix admin [--server ADDR] account delete NAME\n"
	        "       mapix admin [--server ADDR] account list\n"
	        "       mapix admin [--server ADDR] grant NAME IDENTITY full-access|admin|deliver\n"
	        "       mapix admin [--server ADDR] revoke NAME IDENTITY full-access|admin|deliver\n"
	        "       mapix admin [--server ADDR] grants [NAME]\n"
	        "       mapix admin [--server ADDR] quota NAME [--warn SIZE] [--limit SIZE] [--receive-limit SIZE]\n"
	        "       mapix admin [--server ADDR] backup NAME DEST\n"
	        "       mapix admin [--server ADDR] status\n"
	        "       mapix admin [--server ADDR] perms show MAILBOX FOLDER\n"
	        "       mapix admin [--server ADDR] perms set MAILBOX FOLDER IDENTITY ROLE|0xRIGHTS|remove\n"
	        "\n"
	        "ADDR is mapixd's socket (default " MAPIX_DEFAULT_SERVER_SOCKET "). SIZE is bytes with an\n"
	        "optional K, M, G or T suffix (powers of 1024), 'none' for no limit, or 'default'\n"
	        "for the server's [quota] default. 'quota NAME' alone shows usage and limits.\n"
	        "FOLDER is a path like Inbox or /IPM_SUBTREE/Inbox. IDENTITY is default, anonymous,\n"
	        "user:NAME, account:NAME or a Unix user name. ROLE is owner, publishing-editor,\n"
	        "editor, publishing-author, author, nonediting-author, reviewer, contributor or none.\n"
	        "Only administrators of mapixd.conf may use these. See docs/cli.md.\n");
}

/* Parses a subcommand's options, always with --server; positional
 * arguments must number from min to max. */
int admin_parse(int argc, char **argv, const cli_option *opts, int min, int max, const char *what, const char ***pos,
                int *npos)
{
	int rc = cli_parse(argc, argv, opts, pos, npos);
	if (rc)
		return rc;
	if (*npos < min || *npos > max) {
		free(*pos);
		*pos = NULL;
		return cli_usage_error("admin %s: %s (see 'mapix admin --help')", what,
		                       *npos < min ? "missing arguments" : "too many arguments");
	}
	return 0;
}

/* ---- accounts ---------------------------------------------------------------------------- */

static int read_password(char *buf, size_t cap)
{
	if (!fgets(buf, (int)cap, stdin))
		return cli_usage_error("admin account create: --password-stdin: no password on standard input");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (!n)
		return cli_usage_error("admin account create: --password-stdin: empty password");
	return 0;
}

static int account_create(int argc, char **argv, const char *server)
{
	const char *display = NULL, *smtp = NULL, *user = NULL, *pw_stdin = NULL, **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server},       {"display-name", 1, &display}, {"smtp", 1, &smtp},
	                     {"unix-user", 1, &user},      {"password-stdin", 0, &pw_stdin}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 1, 1, "account create", &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	char password[1024];
	if (pw_stdin && (rc = read_password(password, sizeof password)))
		return rc;
	HRESULT hr = MAPIXRemoteCreateAccount(server, name, display, smtp, user, pw_stdin ? password : NULL);
	memset(password, 0, sizeof password);
	if (FAILED(hr))
		return cli_fail(name, hr);
	printf("created account %s\n", name);
	return CLI_EXIT_OK;
}

static int account_delete(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 1, 1, "account delete", &pos, &npos)))
		return rc;
	const char *name = pos[0];
	free(pos);
	HRESULT hr = MAPIXRemoteDeleteAccount(server, name);
	if (FAILED(hr))
		return cli_fail(name, hr);
	printf("deleted account %s (its mailbox file is kept on the server)\n", name);
	return CLI_EXIT_OK;
}

static int account_list(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 0, 0, "account list", &pos, &npos)))
		return rc;
	free(pos);
	ULONG n = 0;
	LPMAPIXACCOUNT list = NULL;
	HRESULT hr = MAPIXRemoteListAccounts(server, &n, &list);
	if (FAILED(hr))
		return cli_fail("account list", hr);
	printf("%-20s %-24s %-28s %-12s %10s  %s\n", "NAME", "DISPLAY NAME", "SMTP", "UNIX USER", "USED", "QUOTA");
	for (ULONG i = 0; i < n; i++) {
		char used[32];
		printf("%-20s %-24s %-28s %-12s %10s  %s\n", list[i].lpszName, list[i].lpszDisplayName,
		       *list[i].lpszSmtpAddress ? list[i].lpszSmtpAddress : "-",
		       *list[i].lpszUnixUser ? list[i].lpszUnixUser : "-",
		       cli_format_size(list[i].quota.cbUsed, used, sizeof used), admin_quota_state(list[i].quota.ulState));
	}
	MAPIFreeBuffer(list);
	return CLI_EXIT_OK;
}

static int cmd_account(int argc, char **argv, const char *server)
{
	if (argc < 1)
		return cli_usage_error("admin account: create, delete or list (see 'mapix admin --help')");
	if (strcmp(argv[0], "create") == 0)
		return account_create(argc - 1, argv + 1, server);
	if (strcmp(argv[0], "delete") == 0)
		return account_delete(argc - 1, argv + 1, server);
	if (strcmp(argv[0], "list") == 0)
		return account_list(argc - 1, argv + 1, server);
	return cli_usage_error("admin account: unknown subcommand '%s'", argv[0]);
}

/* ---- grants --------------------------------------------------------------------------------- */

/* The command line says full-access; the protocol's right is "full". */
static const char *right_name(const char *word)
{
	if (strcmp(word, "full-access") == 0 || strcmp(word, MAPIX_GRANT_FULL_ACCESS) == 0)
		return MAPIX_GRANT_FULL_ACCESS;
	if (strcmp(word, MAPIX_GRANT_ADMIN) == 0)
		return MAPIX_GRANT_ADMIN;
	if (strcmp(word, MAPIX_GRANT_DELIVER) == 0)
		return MAPIX_GRANT_DELIVER;
	return NULL;
}

static const char *right_word(const char *right)
{
	return strcmp(right, MAPIX_GRANT_FULL_ACCESS) == 0 ? "full-access" : right;
}

static int cmd_grant(int argc, char **argv, const char *server, BOOL grant)
{
	const char **pos;
	int npos, rc;
	const char *what = grant ? "grant" : "revoke";
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 3, 3, what, &pos, &npos)))
		return rc;
	const char *name = pos[0], *who = pos[1], *right = right_name(pos[2]);
	if (!right) {
		rc = cli_usage_error("admin %s: unknown right '%s' (full-access, admin, deliver)", what, pos[2]);
		free(pos);
		return rc;
	}
	free(pos);
	HRESULT hr = grant ? MAPIXRemoteGrant(server, name, who, right) : MAPIXRemoteRevoke(server, name, who, right);
	if (FAILED(hr))
		return cli_fail(name, hr);
	printf(grant ? "granted %s on %s to %s\n" : "revoked %s on %s from %s\n", right_word(right), name, who);
	return CLI_EXIT_OK;
}

static int cmd_grants(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 0, 1, "grants", &pos, &npos)))
		return rc;
	const char *name = npos ? pos[0] : NULL;
	free(pos);
	ULONG n = 0;
	LPMAPIXGRANT list = NULL;
	HRESULT hr = MAPIXRemoteListGrants(server, name, &n, &list);
	if (FAILED(hr))
		return cli_fail(name ? name : "grants", hr);
	printf("%-20s %-20s %s\n", "MAILBOX", "IDENTITY", "RIGHT");
	for (ULONG i = 0; i < n; i++)
		printf("%-20s %-20s %s\n", list[i].lpszMailbox, list[i].lpszGrantee, right_word(list[i].lpszRight));
	MAPIFreeBuffer(list);
	return CLI_EXIT_OK;
}

/* ---- status ----------------------------------------------------------------------------------- */

static int cmd_status(int argc, char **argv, const char *server)
{
	const char **pos;
	int npos, rc;
	cli_option opts[] = {{"server", 1, &server}, {NULL, 0, NULL}};
	if ((rc = admin_parse(argc, argv, opts, 0, 0, "status", &pos, &npos)))
		return rc;
	free(pos);
	LPMAPIXSERVERSTATUS st = NULL;
	HRESULT hr = MAPIXRemoteGetStatus(server, &st);
	if (FAILED(hr))
		return cli_fail("status", hr);
	printf("server:          %s\n", st->lpszServerName);
	printf("address:         %s\n", server ? server : MAPIX_DEFAULT_SERVER_SOCKET);
	printf("you are:         %s\n", st->lpszIdentity);
	printf("uptime:          %llus\n", (unsigned long long)st->ullUptime);
	printf("connections:     %u\n", (unsigned)st->ulConnections);
	printf("open mailboxes:  %u\n", (unsigned)st->ulOpenMailboxes);
	printf("accounts:        %u\n", (unsigned)st->ulAccounts);
	printf("quota warnings:  %u\n", (unsigned)st->ulOverWarning);
	printf("quota refusals:  %u\n", (unsigned)st->ulOverLimit);
	MAPIFreeBuffer(st);
	return CLI_EXIT_OK;
}

int cmd_admin(int argc, char **argv)
{
	const char *server = NULL;
	int i = 0;
	/* --server before the subcommand words applies to all of them. */
	while (i < argc && strncmp(argv[i], "--server", 8) == 0) {
		if (argv[i][8] == '=') {
			server = argv[i] + 9;
			i++;
		} else if (argv[i][8] == 0 && i + 1 < argc) {
			server = argv[i + 1];
			i += 2;
		} else {
			return cli_usage_error("--server needs a value");
		}
	}
	if (server && !*server)
		return cli_usage_error("--server: empty address");
	if (i == argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		admin_usage(i == argc ? stderr : stdout);
		return i == argc ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (int j = i + 1; j < argc; j++)
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			admin_usage(stdout);
			return CLI_EXIT_OK;
		}
	const char *sub = argv[i];
	int n = argc - i - 1;
	char **rest = argv + i + 1;
	if (strcmp(sub, "account") == 0)
		return cmd_account(n, rest, server);
	if (strcmp(sub, "grant") == 0)
		return cmd_grant(n, rest, server, TRUE);
	if (strcmp(sub, "revoke") == 0)
		return cmd_grant(n, rest, server, FALSE);
	if (strcmp(sub, "grants") == 0)
		return cmd_grants(n, rest, server);
	if (strcmp(sub, "quota") == 0)
		return admin_quota(n, rest, server);
	if (strcmp(sub, "backup") == 0)
		return admin_backup(n, rest, server);
	if (strcmp(sub, "status") == 0)
		return cmd_status(n, rest, server);
	if (strcmp(sub, "perms") == 0)
		return admin_perms(n, rest, server);
	return cli_usage_error("admin: unknown subcommand '%s' (see 'mapix admin --help')", sub);
}
