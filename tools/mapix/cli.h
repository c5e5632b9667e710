/*
 * cli.h — what the subcommands of `mapix` share: the dispatcher's command
 * table, one option parser, error reporting (one line naming what failed
 * and why, then a non-zero exit), addressing mailboxes and folders, and
 * printing property values. Everything here sits on libmapix's public API
 * only (curl's rule: the tool is a client of the library like any other).
 */
#ifndef MAPIX_CLI_H
#define MAPIX_CLI_H

#include <stdio.h>

#include <mapix/mapix.h>

/* Exit statuses of every subcommand. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1 /* a MAPI call failed, or `check` found a problem */
#define CLI_EXIT_USAGE 2   /* bad command line, including a bad --where */

/* How the mailbox is addressed, the same for every subcommand (design.md):
 *   --mailbox PATH                a local mailbox file
 *   --mailbox NAME [--server A]   an account hosted by mapixd
 *   --profile NAME                a MAPI profile's default store */
typedef struct cli_mailbox {
	const char *mailbox;
	const char *server;
	const char *profile;
	int hosted;        /* set by cli_open_mailbox: an account of mapixd (server is its address) */
} cli_mailbox;

/* Whether the address names an account hosted by mapixd rather than a
 * local file: --server was given, or (the default server) the value is a
 * bare name that is no existing file while the default socket exists.
 * Fills mb->server with the address and sets mb->hosted. */
int cli_mailbox_is_hosted(cli_mailbox *mb);

/* The option specs every mailbox-reading subcommand accepts; spread into an
 * option table with CLI_MAILBOX_OPTIONS(&mb). */
#define CLI_MAILBOX_OPTIONS(mb)                                                                            \
	{"mailbox", 1, &(mb)->mailbox}, {"server", 1, &(mb)->server}, { "profile", 1, &(mb)->profile }

/* An option spec: name without dashes, whether it takes a value, where the
 * value (or "1" for a flag) goes. */
typedef struct cli_option {
	const char *name;
	int takes_value;
	const char **value;
} cli_option;

/* Parses argv (after the subcommand words) against opts; positional
 * arguments are collected into *positional (argv-owned; free the array).
 * Returns 0, or prints a one-line error and returns 2 (*positional is then
 * NULL). */
int cli_parse(int argc, char **argv, const cli_option *opts, const char ***positional, int *npositional);

/* Opens the addressed mailbox (flags as for MAPIXOpenLocalStore). On
 * failure prints the one-line error and returns NULL with *rc set to the
 * exit status (1 for a failed open, 2 for a bad or unsupported address).
 * With --profile NAME it logs on to the profile (MAPILogonEx) and opens the
 * profile's default store; the session stays open until cli_close_mailbox
 * (main() calls it after the subcommand, which must have released the
 * store by then), and mb->mailbox is set to a label for messages: the
 * store's mailbox file (PR_MAPIX_STORE_PATH) or "profile NAME". */
LPMDB cli_open_mailbox(cli_mailbox *mb, ULONG flags, int *rc);
/* Logs off the session of a --profile open, if any. */
void cli_close_mailbox(void);

/* Prints "mapix: <what>: <message> (<CODE NAME>)" for a failed call, where
 * the message is the library's last error text (its leading "<what>: " is
 * not repeated); returns 1. */
int cli_fail(const char *what, HRESULT hr);
/* Prints "mapix: <message>"; returns 2 (usage errors). */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mapix: <message>"; returns 1 (failures found by the tool itself). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- objects (cli_object.c) ----------------------------------------------------- */

/* Opens the folder at path: "/" is the root folder, "/A/B" starts at the
 * root, "A/B" at the IPM subtree (Top of Information Store); names compare
 * without regard to case, "\/" stands for a slash inside a name. Prints the
 * one-line error on failure (rc 1: not found or a failed call). */
HRESULT cli_open_folder(LPMDB mdb, const char *mailbox, const char *path, LPMAPIFOLDER *lppFolder);

/* Parses hex digits (even count, optional "0x") into a MAPIAllocateBuffer'd
 * buffer. Returns FALSE for anything else. */
BOOL cli_parse_hex(const char *hex, ULONG *lpcb, LPBYTE *lppb);

/* Opens any object of the mailbox by entry ID, read-only (IMsgStore::
 * OpenEntry). *lpulObjType gets MAPI_STORE, MAPI_FOLDER, MAPI_MESSAGE... */
HRESULT cli_open_entry(LPMDB mdb, ULONG cb, LPENTRYID eid, ULONG *lpulObjType, LPUNKNOWN *lppUnk);

/* ---- property values (cli_format.c) --------------------------------------------- */

/* A growing string buffer; text is always NUL-terminated (or NULL when empty
 * and never written). */
typedef struct cli_buf {
	char *text;
	size_t len, cap;
	int oom;
} cli_buf;
void cli_buf_add(cli_buf *b, const char *s, size_t n);
void cli_buf_addf(cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_buf_free(cli_buf *b);
static inline const char *cli_buf_str(const cli_buf *b)
{
	return b->text ? b->text : "";
}

/* How a value is written: in `show` listings a PT_LONG also shows its hex
 * (flags read better so); in table cells (CLI_FMT_CELL) numbers are plain and
 * a missing value (PT_ERROR MAPI_E_NOT_FOUND) is empty. */
#define CLI_FMT_CELL 0x1
/* Appends v formatted by its type: strings (UTF-8, \n \t \\ and other
 * control characters escaped), binaries as upper-case hex, PT_SYSTIME as ISO
 * 8601 UTC, MV values as [a, b] (strings quoted), PT_ERROR as the code name. */
void cli_format_value(cli_buf *b, const SPropValue *v, ULONG flags);
/* ISO 8601 UTC ("2024-03-01T12:00:00Z"; fractions of a second when non-zero). */
void cli_format_time(cli_buf *b, FILETIME ft);
/* "{00062008-0000-0000-C000-000000000046}" */
void cli_format_guid(cli_buf *b, const GUID *g);

/* The display name of a property tag: the PR_ name, or "0x%04X" of the id. */
const char *cli_tag_label(ULONG tag, char buf[16]);

/* ---- commands ------------------------------------------------------------------- */

typedef struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} cli_command;

int cmd_store(int argc, char **argv);
int cmd_store_ls(int argc, char **argv);
int cmd_store_show(int argc, char **argv);
int cmd_store_check(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_admin(int argc, char **argv);
/* Parses a size: digits with an optional K, M, G or T suffix (powers of
 * 1024). Returns 0 on success. */
int cli_parse_size(const char *text, unsigned long long *out);
/* "1.5M"-style rendering of a byte count into buf. */
const char *cli_format_size(unsigned long long bytes, char *buf, size_t cap);
int cmd_import(int argc, char **argv); /* cmd_import.c */
int cmd_export(int argc, char **argv); /* cmd_export.c */
/* Executes mapix-runas; returns only when it could not be run. */
int cmd_runas(int argc, char **argv);
int cmd_dl(int argc, char **argv);
int cmd_archive(int argc, char **argv); /* cmd_archive.c */

#endif
