/*
 * cmd_store.c — `mapix store`: the dispatcher of the mailbox subcommands and
 * the two that make files, `create` and `backup`. The readers live in their
 * own files: cmd_store_ls.c, cmd_store_show.c, cmd_store_check.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

#include "cli.h"

static void store_usage(FILE *out)
{
	fprintf(out, "usage: mapix store create MAILBOX\n"
	             "       mapix store ls     MAILBOX [--folder PATH [--columns LIST] [--sort KEYS]\n"
	             "                          [--where EXPR] [--limit N] [--associated] [--tsv]]\n"
	             "       mapix store show   MAILBOX [--folder PATH [--index N] | --entryid HEX]\n"
	             "                          [--recipients] [--attachments]\n"
	             "       mapix store check  MAILBOX [--quiet]\n"
	             "       mapix store backup MAILBOX DEST\n"
	             "\n"
	             "MAILBOX is one of\n"
	             "  --mailbox PATH                 a local mailbox file\n"
	             "  --mailbox NAME [--server ADDR]  an account hosted by mapixd (ADDR: its socket;\n"
	             "                                 default " MAPIX_DEFAULT_SERVER_SOCKET ")\n"
	             "  --profile NAME                 that profile's default store\n"
	             "For a hosted mailbox, create needs an administrator (it makes the account),\n"
	             "check runs every MAPI check but not SQLite's integrity_check (the file is the\n"
	             "server's), and backup needs an administrator (as 'mapix admin backup').\n"
	             "See docs/cli.md.\n");
}

static int store_create(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb), {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	free(pos);
	if (npos)
		return cli_usage_error("store create: unexpected argument");
	/* Creating never means opening an existing mailbox: a typo must not
	 * report success over someone's mail. */
	struct stat st;
	if (mb.mailbox && !mb.server && !mb.profile && stat(mb.mailbox, &st) == 0)
		return cli_error("%s: already exists", mb.mailbox);
	/* A hosted mailbox: an administrator makes the account (and its
	 * mailbox) on the server, owned by the administrator's Unix user. */
	LPMDB mdb = cli_open_mailbox(&mb, MDB_WRITE | MAPIX_STORE_CREATE, &rc);
	if (!mdb)
		return rc;
	IMsgStore_Release(mdb);
	printf("created %s\n", mb.mailbox);
	return CLI_EXIT_OK;
}

static int store_backup(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb), {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	const char *dest = npos == 1 ? pos[0] : NULL;
	free(pos);
	if (!dest)
		return cli_usage_error("store backup: give exactly one destination file");
	if (!mb.profile && cli_mailbox_is_hosted(&mb)) {
		/* The server makes the copy and streams it here (mapixremote.h). */
		if (!mb.mailbox || !*mb.mailbox)
			return cli_usage_error("store backup: --server needs --mailbox NAME");
		HRESULT hr = MAPIXRemoteBackupMailbox(mb.server, mb.mailbox, dest);
		if (FAILED(hr))
			return cli_fail(dest, hr);
		printf("backed up %s to %s\n", mb.mailbox, dest);
		return CLI_EXIT_OK;
	}
	LPMDB mdb = cli_open_mailbox(&mb, 0, &rc);
	if (!mdb)
		return rc;
	HRESULT hr = MAPIXBackupStore(mdb, dest);
	IMsgStore_Release(mdb);
	if (FAILED(hr))
		return cli_fail(dest, hr);
	printf("backed up %s to %s\n", mb.mailbox, dest);
	return CLI_EXIT_OK;
}

int cmd_store(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"create", "make a new mailbox file", store_create},
		{"ls", "list folders, or a folder's messages", cmd_store_ls},
		{"show", "print every property of an object", cmd_store_show},
		{"check", "verify a mailbox's integrity and counts", cmd_store_check},
		{"backup", "copy a mailbox online", store_backup},
	};
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		store_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(argv[0], subs[i].name) != 0)
			continue;
		for (int j = 1; j < argc; j++)
			if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
				store_usage(stdout);
				return CLI_EXIT_OK;
			}
		return subs[i].run(argc - 1, argv + 1);
	}
	return cli_usage_error("store: unknown subcommand '%s' (see 'mapix store --help')", argv[0]);
}
