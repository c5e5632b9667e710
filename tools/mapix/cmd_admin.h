/*
 * cmd_admin.h — what the files of `mapix admin` share (cmd_admin.c: the
 * dispatcher, accounts, grants, status; cmd_admin_quota.c: quotas and
 * backups; cmd_admin_perms.c: folder permissions).
 */
#ifndef MAPIX_CMD_ADMIN_H
#define MAPIX_CMD_ADMIN_H

#include "cli.h"

void admin_usage(FILE *out);
/* cli_parse, then checks that there are min to max positional arguments
 * (a usage error naming the subcommand `what` otherwise). */
int admin_parse(int argc, char **argv, const cli_option *opts, int min, int max, const char *what, const char ***pos,
                int *npos);
/* "ok", or the MAPIX_QUOTA_STATE_* bits in words. */
const char *admin_quota_state(ULONG state);
int admin_quota(int argc, char **argv, const char *server);
int admin_backup(int argc, char **argv, const char *server);
/* cmd_admin_perms.c: folder permissions of a hosted mailbox. */
int admin_perms(int argc, char **argv, const char *server);

#endif
