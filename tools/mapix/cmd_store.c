/*
 * cmd_store.c — `mapix store create|backup`: making and copying mailboxes.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixstore.h>

#include "cli.h"

static void store_usage(FILE *out)
{
	fprintf(out, "usage: mapix store create --mailbox PATH\n"
	             "       mapix store backup --mailbox PATH DEST\n");
}

static int store_create(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char **pos;
	int npos;
	const cli_option opts[] = {{"mailbox", 1, &mb.mailbox}, {NULL, 0, NULL}};
	int rc = cli_parse(argc, argv, opts, &pos, &npos);
	free(pos);
	if (rc)
		return rc;
	if (npos)
		return cli_usage_error("store create: unexpected argument");
	LPMDB mdb = cli_open_mailbox(&mb, MDB_WRITE | MAPIX_STORE_CREATE);
	if (!mdb)
		return 1;
	mdb->lpVtbl->Release(mdb);
	printf("created %s\n", mb.mailbox);
	return 0;
}

static int store_backup(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char **pos;
	int npos;
	const cli_option opts[] = {{"mailbox", 1, &mb.mailbox}, {NULL, 0, NULL}};
	int rc = cli_parse(argc, argv, opts, &pos, &npos);
	const char *dest = npos == 1 ? pos[0] : NULL;
	free(pos);
	if (rc)
		return rc;
	if (!dest)
		return cli_usage_error("store backup: give exactly one destination file");
	LPMDB mdb = cli_open_mailbox(&mb, 0);
	if (!mdb)
		return 1;
	HRESULT hr = MAPIXBackupStore(mdb, dest);
	mdb->lpVtbl->Release(mdb);
	if (FAILED(hr))
		return cli_fail(dest, hr);
	printf("backed up %s to %s\n", mb.mailbox, dest);
	return 0;
}

int cmd_store(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0) {
		store_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (strcmp(argv[0], "create") == 0)
		return store_create(argc - 1, argv + 1);
	if (strcmp(argv[0], "backup") == 0)
		return store_backup(argc - 1, argv + 1);
	return cli_usage_error("store: unknown subcommand '%s'", argv[0]);
}
