/*
 * cmd_import.c — `mapix import`: EML files and trees, mbox, Maildir(++) and
 * PST into a mailbox. This file reads the command line, recognizes each
 * input's format and hands it to its source (import_<format>.c); the
 * engine (import.c) does the saving, the identities, the progress line and
 * the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>
#include <mapix/mapixstore.h>

#include "import.h"

typedef enum input_format { FMT_AUTO, FMT_EML, FMT_EML_TREE, FMT_MBOX, FMT_MAILDIR, FMT_PST } input_format;

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: mapix import [--folder F] (--mailbox PATH | --mailbox NAME --server A | --profile NAME)\n"
	        "                    [--format eml|mbox|maildir|pst] [--mbox-format mboxrd|mboxo]\n"
	        "                    [--batch N] [--no-keep-mime] [--quiet] PATH...\n"
	        "\n"
	        "Imports mail into the mailbox (a local mailbox file is created when missing).\n"
	        "Without --format each PATH is recognized: a directory with cur/ and new/ is a\n"
	        "Maildir (Maildir++ subfolders included), another directory a tree of .eml\n"
	        "files or mbox files (subdirectories, and NAME.sbd/ beside an mbox NAME,\n"
	        "become subfolders), a file starting with \"From \" an\n"
	        "mbox, one starting with \"!BDN\" a PST or OST, anything else one message.\n"
	        "\n"
	        "  --folder F       import below F (created when missing; \"A/B\" starts at the\n"
	        "                   IPM subtree, \"/A\" at the root); by default Maildirs, PSTs\n"
	        "                   and EML trees go below the IPM subtree with their special\n"
	        "                   folders mapped to the mailbox's own, an mbox or a single\n"
	        "                   .eml into the Inbox\n"
	        "  --mbox-format    mboxrd (default) unquotes every \">From \" run by one '>',\n"
	        "                   mboxo only \">From \"\n"
	        "  --batch N        commit every N messages (default 1000)\n"
	        "  --no-keep-mime   do not keep each message's original bytes (by default they\n"
	        "                   are kept in PR_INTERNET_CONTENT, about doubling the space a\n"
	        "                   message takes, so that export writes them back unchanged)\n"
	        "  --quiet          no progress line\n"
	        "\n"
	        "Every message remembers where it came from, so running the same import again\n"
	        "(after an interruption or not) imports only what is missing.\n");
}

static int parse_format(const char *s, input_format *out)
{
	static const struct {
		const char *name;
		input_format f;
	} names[] = {{"eml", FMT_EML}, {"mbox", FMT_MBOX}, {"maildir", FMT_MAILDIR}, {"pst", FMT_PST}, {"ost", FMT_PST}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].f;
			return 0;
		}
	return cli_usage_error("--format %s: expected eml, mbox, maildir or pst", s);
}

static BOOL is_dir(const char *dir, const char *sub)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* What path is; prints the one-line error and returns 1 when it cannot be
 * read at all. */
static int detect(const char *path, input_format forced, input_format *out)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return cli_error("%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		BOOL maildir = is_dir(path, "cur") && is_dir(path, "new");
		if (forced == FMT_AUTO)
			*out = maildir ? FMT_MAILDIR : FMT_EML_TREE;
		else if (forced == FMT_EML)
			*out = FMT_EML_TREE;
		else if (forced == FMT_MAILDIR && !maildir)
			return cli_error("%s: not a Maildir (no cur/ and new/)", path);
		else if (forced != FMT_MAILDIR)
			return cli_error("%s: is a directory", path);
		else
			*out = FMT_MAILDIR;
		return 0;
	}
	if (forced == FMT_MAILDIR)
		return cli_error("%s: not a Maildir (not a directory)", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_error("%s: %s", path, strerror(errno));
	char head[5] = {0};
	ssize_t n = read(fd, head, sizeof head);
	int err = errno;
	close(fd);
	if (n < 0)
		return cli_error("%s: %s", path, strerror(err));
	if (forced != FMT_AUTO)
		*out = forced;
	else if (n == 5 && memcmp(head, "From ", 5) == 0)
		*out = FMT_MBOX;
	else if (n >= 4 && memcmp(head, "!BDN", 4) == 0)
		*out = FMT_PST;
	else
		*out = FMT_EML;
	return 0;
}

int cmd_import(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char *folder = NULL, *format = NULL, *mbox_format = NULL, *batch = NULL, *quiet = NULL, *help = NULL;
	const char *no_keep = NULL;
	const cli_option opts[] = {
	    CLI_MAILBOX_OPTIONS(&mb),
	    {"folder", 1, &folder},
	    {"format", 1, &format},
	    {"mbox-format", 1, &mbox_format},
	    {"batch", 1, &batch},
	    {"quiet", 0, &quiet},
	    {"no-keep-mime", 0, &no_keep},
	    {"help", 0, &help},
	    {NULL, 0, NULL},
	};
	const char **paths;
	int npaths, rc;
	if ((rc = cli_parse(argc, argv, opts, &paths, &npaths)))
		return rc;
	if (help) {
		usage(stdout);
		free(paths);
		return CLI_EXIT_OK;
	}

	input_format forced = FMT_AUTO;
	import_mbox_format dialect = IMPORT_MBOXRD;
	unsigned long batch_n = 1000;
	if (format && (rc = parse_format(format, &forced)))
		goto out;
	if (mbox_format) {
		if (strcmp(mbox_format, "mboxrd") == 0)
			dialect = IMPORT_MBOXRD;
		else if (strcmp(mbox_format, "mboxo") == 0)
			dialect = IMPORT_MBOXO;
		else {
			rc = cli_usage_error("--mbox-format %s: expected mboxrd or mboxo", mbox_format);
			goto out;
		}
	}
	if (batch) {
		char *end;
		errno = 0;
		batch_n = strtoul(batch, &end, 10);
		if (errno || *end || !*batch || batch_n == 0 || batch_n > 1000000) {
			rc = cli_usage_error("--batch %s: expected a count from 1 to 1000000", batch);
			goto out;
		}
	}
	if (npaths == 0) {
		rc = cli_usage_error("nothing to import (see 'mapix import --help')");
		goto out;
	}
	if (folder && !*folder) {
		rc = cli_usage_error("--folder: empty path");
		goto out;
	}

	/* Every input is looked at before the mailbox is opened (or
	 * created), so a mistyped path costs nothing. */
	input_format *fmts = calloc((size_t)npaths, sizeof *fmts);
	if (!fmts) {
		rc = cli_error("out of memory");
		goto out;
	}
	for (int i = 0; i < npaths; i++)
		if ((rc = detect(paths[i], forced, &fmts[i]))) {
			free(fmts);
			goto out;
		}

	/* A local mailbox file is created by its first import; a profile's
	 * store is made by its service. */
	LPMDB mdb = cli_open_mailbox(&mb, MDB_WRITE | (mb.profile ? 0 : MAPIX_STORE_CREATE), &rc);
	if (!mdb) {
		free(fmts);
		goto out;
	}
	LPMAPIFOLDER base = NULL;
	HRESULT hr = import_open_target(mdb, folder ? folder : "", &base);
	if (FAILED(hr)) {
		rc = cli_fail(folder ? folder : mb.mailbox, hr);
		IMsgStore_Release(mdb);
		free(fmts);
		goto out;
	}
	import_engine *eng = import_engine_new(mdb, mb.mailbox, base, folder == NULL, (ULONG)batch_n, quiet != NULL);
	if (!eng) {
		IMAPIFolder_Release(base);
		IMsgStore_Release(mdb);
		free(fmts);
		rc = cli_error("out of memory");
		goto out;
	}
	import_set_mime_flags(eng, no_keep ? 0 : MAPIX_MIME_KEEP_SOURCE);
	int src_rc = 0;
	for (int i = 0; i < npaths && !import_stopped(eng); i++) {
		int r = 0;
		switch (fmts[i]) {
		case FMT_EML:
			r = import_eml(eng, paths[i]);
			break;
		case FMT_EML_TREE:
			r = import_eml_tree(eng, paths[i], dialect);
			break;
		case FMT_MBOX:
			r = import_mbox(eng, paths[i], dialect);
			break;
		case FMT_MAILDIR:
			r = import_maildir(eng, paths[i]);
			break;
		case FMT_PST:
			r = import_pst(eng, paths[i]);
			break;
		case FMT_AUTO:
			break;
		}
		if (r)
			src_rc = r;
	}
	rc = import_engine_finish(eng, src_rc);
	IMsgStore_Release(mdb);
	free(fmts);
out:
	free(paths);
	return rc;
}
