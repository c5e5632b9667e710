/*
 * cli.h — what the subcommands of `mapix` share: the dispatcher's command
 * table, one option parser, and error reporting (one line naming what
 * failed and why, then a non-zero exit).
 */
#ifndef MAPIX_CLI_H
#define MAPIX_CLI_H

#include <stdio.h>

#include <mapix/mapix.h>

/* How the mailbox is addressed, the same for every subcommand (design.md):
 *   --mailbox PATH                a local mailbox file
 *   --mailbox NAME [--server A]   an account hosted by mapixd
 *   --profile NAME                a MAPI profile's default store */
typedef struct cli_mailbox {
	const char *mailbox;
	const char *server;
	const char *profile;
} cli_mailbox;

/* An option spec: name without dashes, whether it takes a value, where the
 * value (or "1" for a flag) goes. */
typedef struct cli_option {
	const char *name;
	int takes_value;
	const char **value;
} cli_option;

/* Parses argv (after the subcommand words) against opts; positional
 * arguments are collected into *positional (argv-owned). Returns 0, or
 * prints a one-line error and returns 2. */
int cli_parse(int argc, char **argv, const cli_option *opts, const char ***positional, int *npositional);

/* Opens the addressed mailbox (flags as for MAPIXOpenLocalStore). On
 * failure prints the one-line error and returns NULL. */
LPMDB cli_open_mailbox(const cli_mailbox *mb, ULONG flags);

/* Prints "mapix: <what>: <message> (<code>)" for a failed call; returns 1. */
int cli_fail(const char *what, HRESULT hr);
/* Prints "mapix: <message>"; returns 2 (usage errors). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} cli_command;

int cmd_store(int argc, char **argv);

#endif
