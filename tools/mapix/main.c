/*
 * main.c — `mapix`, the command line of mapix: global options, then one file
 * per subcommand (cmd_<name>.c). Exit status: 0 success, 1 a MAPI call
 * failed (the one-line message names the object and the reason), 2 usage
 * error. Also the helpers every subcommand shares: the option parser, the
 * error lines and cli_open_mailbox.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "cli.h"

static const cli_command commands[] = {
	{"store", "create, inspect, check and back up mailboxes", cmd_store},
	{"profile", "create, list and configure MAPI profiles", cmd_profile},
	{"import", "import mail from EML files, mbox, Maildir and PST", cmd_import},
	{"export", "export folders to EML files, mbox or Maildir", cmd_export},
	{"runas", "run a command as another user (executes mapix-runas)", cmd_runas},
	{"admin", "administer mapixd: accounts, grants, quotas, backups, status", cmd_admin},
	{"dl", "personal distribution lists: create, add, remove, show, expand", cmd_dl},
	{"archive", "archive new messages of many mailboxes, exactly once (Maildir or mbox)", cmd_archive},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mapix [--profile-dir DIR] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n--profile-dir DIR  profiles live in DIR instead of your own profile directory\n"
	             "\nRun 'mapix COMMAND --help' for a command's options.\n");
}

int cli_fail(const char *what, HRESULT hr)
{
	const char *text = MAPIXGetLastErrorText();
	size_t wlen = strlen(what);
	/* Library messages usually name the file already ("PATH: no such
	 * mailbox"); say it once. */
	if (text && strncmp(text, what, wlen) == 0 && strncmp(text + wlen, ": ", 2) == 0)
		text += wlen + 2;
	if (!text || !*text || MAPIXGetLastErrorCode() != hr)
		text = "failed";
	fprintf(stderr, "mapix: %s: %s (%s)\n", what, text, MAPIXErrorName(hr));
	return CLI_EXIT_FAILURE;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("mapix: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAILURE;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("mapix: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

int cli_parse(int argc, char **argv, const cli_option *opts, const char ***positional, int *npositional)
{
	*positional = calloc((size_t)argc + 1, sizeof **positional);
	*npositional = 0;
	if (!*positional)
		return cli_usage_error("out of memory");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				(*positional)[(*npositional)++] = argv[i];
			break;
		}
		if (strncmp(a, "--", 2) != 0) {
			(*positional)[(*npositional)++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const cli_option *o = NULL;
		for (const cli_option *p = opts; p && p->name; p++)
			if (strlen(p->name) == len && strncmp(p->name, name, len) == 0)
				o = p;
		int rc = 0;
		if (!o)
			rc = cli_usage_error("unknown option --%.*s", (int)len, name);
		else if (!o->takes_value) {
			if (eq)
				rc = cli_usage_error("--%s takes no value", o->name);
			else
				*o->value = "1";
		} else if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			rc = cli_usage_error("--%s needs a value", o->name);
		}
		if (rc) {
			free(*positional);
			*positional = NULL;
			*npositional = 0;
			return rc;
		}
	}
	return 0;
}

/* The session behind a store opened through --profile. A store needs its
 * session alive while it is used, and every subcommand releases its store
 * before it returns, so main() logs the session off after the subcommand
 * (cli_close_mailbox); one static keeps the callers' contract a plain LPMDB.
 * label is what error messages call the mailbox: the store's file (for a
 * local store, so `check` can also run its integrity pass on it) or
 * "profile NAME". */
static struct {
	LPMAPISESSION session;
	char *profile;
	char *label;
} opened;

void cli_close_mailbox(void)
{
	if (opened.session) {
		IMAPISession_Logoff(opened.session, 0, 0, 0);
		IMAPISession_Release(opened.session);
	}
	free(opened.profile);
	free(opened.label);
	memset(&opened, 0, sizeof opened);
}

/* Logs on to the profile (once per run) and opens its default store. */
static LPMDB open_profile_store(cli_mailbox *mb, ULONG flags, int *rc)
{
	HRESULT hr;
	LPMDB mdb = NULL;
	*rc = CLI_EXIT_FAILURE;
	if (opened.session && strcmp(opened.profile, mb->profile) != 0) {
		*rc = cli_usage_error("--profile %s: another profile is already open", mb->profile);
		return NULL;
	}
	if (!opened.session) {
		if (!(opened.profile = strdup(mb->profile))) {
			cli_error("out of memory");
			return NULL;
		}
		hr = MAPILogonEx(0, (LPTSTR)mb->profile, NULL, MAPI_EXTENDED | MAPI_NEW_SESSION | MAPI_EXPLICIT_PROFILE,
		                 &opened.session);
		if (FAILED(hr)) {
			cli_fail("MAPILogonEx", hr);
			cli_close_mailbox();
			return NULL;
		}
	}
	/* A NULL entry ID is the profile's default store. */
	ULONG open_flags = MDB_NO_DIALOG | (flags & (MDB_WRITE | MAPI_BEST_ACCESS | MDB_NO_MAIL));
	hr = IMAPISession_OpenMsgStore(opened.session, 0, 0, NULL, NULL, open_flags, &mdb);
	if (FAILED(hr)) {
		cli_fail("OpenMsgStore", hr);
		return NULL;
	}
	if (!opened.label) {
		LPSPropValue path = NULL;
		if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)mdb, PR_MAPIX_STORE_PATH_A, &path)) && path->Value.lpszA &&
		    *path->Value.lpszA)
			opened.label = strdup(path->Value.lpszA);
		else if ((opened.label = malloc(strlen(mb->profile) + sizeof "profile ")))
			sprintf(opened.label, "profile %s", mb->profile);
		MAPIFreeBuffer(path);
		if (!opened.label) {
			IMsgStore_Release(mdb);
			cli_error("out of memory");
			return NULL;
		}
	}
	mb->mailbox = opened.label;
	*rc = CLI_EXIT_OK;
	return mdb;
}

int cli_mailbox_is_hosted(cli_mailbox *mb)
{
	struct stat st;
	if (mb->server) {
		mb->hosted = 1;
		return 1;
	}
	/* A bare name with no file of that name goes to the local mapixd, if
	 * there is one; anything else stays a path, so a typo in a file name
	 * still reads "no such mailbox". */
	if (mb->mailbox && *mb->mailbox && !strchr(mb->mailbox, '/') && stat(mb->mailbox, &st) != 0 &&
	    stat(MAPIX_DEFAULT_SERVER_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode)) {
		mb->server = MAPIX_DEFAULT_SERVER_SOCKET;
		mb->hosted = 1;
		return 1;
	}
	return 0;
}

/* The one place that turns a mailbox address into an open store: a local
 * file (MAPIXOpenLocalStore), an account of mapixd through the remote
 * provider (MAPIXOpenRemoteStore), or a profile's default store. */
LPMDB cli_open_mailbox(cli_mailbox *mb, ULONG flags, int *rc)
{
	LPMDB mdb = NULL;
	HRESULT hr;
	*rc = CLI_EXIT_USAGE;
	if (mb->profile && (mb->mailbox || mb->server)) {
		cli_usage_error("--profile cannot be combined with --mailbox or --server");
		return NULL;
	}
	if (mb->profile) {
		if (!*mb->profile) {
			cli_usage_error("--profile: empty name");
			return NULL;
		}
		/* A profile's store is made by its service (PR_MAPIX_STORE_CREATE),
		 * never by a reader naming the profile. */
		if (flags & MAPIX_STORE_CREATE) {
			cli_usage_error("--profile %s: a profile's mailbox is created by its service "
			                "(mapix profile service add ... --create)",
			                mb->profile);
			return NULL;
		}
		return open_profile_store(mb, flags, rc);
	}
	if (!mb->mailbox) {
		if (mb->server)
			cli_usage_error("--server %s: no mailbox given (--mailbox NAME)", mb->server);
		else
			cli_usage_error("no mailbox given (--mailbox PATH)");
		return NULL;
	}
	if (cli_mailbox_is_hosted(mb)) {
		if (!*mb->mailbox || !*mb->server) {
			cli_usage_error(!*mb->server ? "--server: empty address" : "--mailbox: empty account name");
			return NULL;
		}
		hr = MAPIXOpenRemoteStore(mb->server, mb->mailbox, flags, &mdb);
		if (FAILED(hr)) {
			*rc = cli_fail(mb->mailbox, hr);
			return NULL;
		}
		*rc = CLI_EXIT_OK;
		return mdb;
	}
	if (!*mb->mailbox) {
		cli_usage_error("--mailbox: empty path");
		return NULL;
	}
	hr = MAPIXOpenLocalStore(mb->mailbox, flags, &mdb);
	if (FAILED(hr)) {
		*rc = cli_fail(mb->mailbox, hr);
		return NULL;
	}
	*rc = CLI_EXIT_OK;
	return mdb;
}

int main(int argc, char **argv)
{
	/* Global options come before the command word; --profile-dir is the
	 * explicit profile directory of MAPIXINIT (the "temporary profiles"
	 * case), otherwise MAPIInitialize picks the caller's own. */
	const char *profile_dir = NULL;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--help") != 0; i++) {
		if (strcmp(argv[i], "--profile-dir") == 0) {
			if (++i == argc)
				return cli_usage_error("--profile-dir needs a value");
			profile_dir = argv[i];
		} else if (strncmp(argv[i], "--profile-dir=", 14) == 0) {
			profile_dir = argv[i] + 14;
		} else {
			return cli_usage_error("unknown option %s (see 'mapix --help')", argv[i]);
		}
		if (!*profile_dir)
			return cli_usage_error("--profile-dir: empty path");
	}
	if (i == argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		usage(i == argc ? stderr : stdout);
		return i == argc ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	const cli_command *cmd = NULL;
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			cmd = &commands[k];
	if (!cmd)
		return cli_usage_error("unknown command '%s' (see 'mapix --help')", argv[i]);
	/* runas only executes mapix-runas: no MAPI in this process, and the
	 * worker's profiles are the target user's own. */
	if (cmd->run == cmd_runas) {
		if (profile_dir)
			return cli_usage_error("--profile-dir does not apply to runas");
		return cmd_runas(argc - i - 1, argv + i + 1);
	}
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, profile_dir};
	HRESULT hr = MAPIInitialize(&init);
	if (FAILED(hr))
		return cli_fail("MAPIInitialize", hr);
	int rc = cmd->run(argc - i - 1, argv + i + 1);
	cli_close_mailbox();
	MAPIUninitialize();
	return rc;
}
