/*
 * main.c — `mapix`, the command line of mapix: dispatches to one file per
 * subcommand (cmd_<name>.c). Exit status: 0 success, 1 a MAPI call failed
 * (the one-line message names the object and the reason), 2 usage error.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixstore.h>

#include "cli.h"

static const cli_command commands[] = {
	{"store", "create, inspect, check and back up mailboxes", cmd_store},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mapix COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'mapix COMMAND --help' for a command's options.\n");
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

/* The one place that turns a mailbox address into an open store. Profiles
 * (--profile) and mapixd accounts (--mailbox NAME --server ADDR) are parsed
 * today so that scripts can be written against the final syntax; they answer
 * with a clear "not available yet" until the subsystem's profiles and the
 * remote provider exist, and will be opened here then. */
LPMDB cli_open_mailbox(const cli_mailbox *mb, ULONG flags, int *rc)
{
	LPMDB mdb = NULL;
	HRESULT hr;
	*rc = CLI_EXIT_USAGE;
	if (mb->profile && (mb->mailbox || mb->server)) {
		cli_usage_error("--profile cannot be combined with --mailbox or --server");
		return NULL;
	}
	if (mb->profile) {
		cli_usage_error("--profile %s: opening a profile's store is not available yet", mb->profile);
		return NULL;
	}
	if (!mb->mailbox) {
		cli_usage_error("no mailbox given (--mailbox PATH)");
		return NULL;
	}
	if (mb->server) {
		cli_usage_error("--server %s: mailboxes hosted by mapixd are not available yet", mb->server);
		return NULL;
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
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			HRESULT hr = MAPIInitialize(NULL);
			if (FAILED(hr))
				return cli_fail("MAPIInitialize", hr);
			int rc = commands[i].run(argc - 2, argv + 2);
			MAPIUninitialize();
			return rc;
		}
	return cli_usage_error("unknown command '%s' (see 'mapix --help')", argv[1]);
}
