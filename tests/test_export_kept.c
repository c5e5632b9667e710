/*
 * test_export_kept.c — `mapix export` reads only what it needs: the
 * format's values from the contents table, a kept original through
 * OpenProperty(PR_INTERNET_CONTENT, IID_IStream) alone, and the message's
 * properties only when it must be rebuilt (export.h, docs/cli.md).
 *
 *   - messages whose kept bytes are small, larger than a table's limit and
 *     than the 32 KiB the store keeps inline (40 KiB), and larger than one
 *     64 KiB piece (70 KiB) come back byte for byte as mbox, EML and
 *     Maildir; a CRLF message comes back in the LF file form;
 *   - messages imported with --no-keep-mime are rebuilt: the same bytes as
 *     --regenerate of the kept mailbox, and not the input;
 *   - --regenerate of the kept mailbox is not the verbatim export.
 *
 * Runs the built `mapix` ($MAPIX_BUILD_DIR/mapix) through the shell.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

static char *tmpdir;
static char mapix_bin[4096];

static const size_t sizes[] = {600, 40 * 1024, 70 * 1024};
#define NMSG (sizeof sizes / sizeof sizes[0])

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof cmd);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define assert_sh(...)                                                     \
	do {                                                                   \
		int rc_ = sh(__VA_ARGS__);                                         \
		if (rc_ != 0)                                                      \
			fail_msg("%s:%d: command exited %d", __FILE__, __LINE__, rc_); \
	} while (0)

/* Message i of about sizes[i] bytes with line ending eol; none of its
 * lines starts with "From " (so mbox needs no quoting). */
static void write_message(FILE *f, size_t i, const char *eol)
{
	fprintf(f, "From: Sender %zu <sender%zu@example.com>%s", i, i, eol);
	fprintf(f, "To: rcpt@example.org%s", eol);
	fprintf(f, "Subject: kept message %zu%s", i, eol);
	fprintf(f, "Date: Mon, 01 Jan 2024 10:00:%02zu +0000%s", i, eol);
	fprintf(f, "Message-ID: <kept-%zu@example.com>%s", i, eol);
	fprintf(f, "X-Unusual:   spacing  kept%s", eol);
	fprintf(f, "MIME-Version: 1.0%s", eol);
	fprintf(f, "Content-Type: text/plain; charset=us-ascii%s%s", eol, eol);
	size_t n = 300;
	for (unsigned k = 0; n < sizes[i]; k++)
		n += (size_t)fprintf(f, "line %u of message %zu, text to reach its size%s", k, i, eol);
}

static void write_inputs(void)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/in.mbox", tmpdir);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < NMSG; i++) {
		fprintf(f, "From sender%zu@example.com Mon Jan  1 10:00:00 2024\n", i);
		write_message(f, i, "\n");
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < NMSG; i++) {
		snprintf(path, sizeof path, "%s/m%zu.eml", tmpdir, i);
		assert_non_null(f = fopen(path, "wb"));
		write_message(f, i, "\n");
		assert_int_equal(fclose(f), 0);
	}
	snprintf(path, sizeof path, "%s/crlf.eml", tmpdir);
	assert_non_null(f = fopen(path, "wb"));
	write_message(f, 1, "\r\n");
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("MAPIX_BUILD_DIR");
	snprintf(mapix_bin, sizeof mapix_bin, "%s/mapix", build ? build : ".");
	if (!(tmpdir = mapix_test_tmpdir("export-kept")))
		return -1;
	write_inputs();
	/* k: keeps the originals; n: does not. */
	if (sh("cd '%s' && '%s' import --quiet --mailbox k.mapix in.mbox >/dev/null && "
	       "'%s' import --quiet --no-keep-mime --mailbox n.mapix in.mbox >/dev/null && "
	       "'%s' import --quiet --mailbox c.mapix crlf.eml >/dev/null",
	       tmpdir, mapix_bin, mapix_bin, mapix_bin) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mapix_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static void test_kept_verbatim(void **state)
{
	(void)state;
	assert_sh("cd '%s' && for f in mbox eml maildir; do '%s' export --quiet --mailbox k.mapix --folder Inbox "
	          "--format $f out-$f >/dev/null || exit 1; done",
	          tmpdir, mapix_bin);
	/* mbox: everything but the separators is the input. */
	assert_sh("cd '%s' && grep -v '^From ' in.mbox > want && grep -v '^From ' out-mbox/Inbox > got && cmp want got "
	          "&& test $(grep -c '^From ' out-mbox/Inbox) -eq %zu",
	          tmpdir, NMSG);
	for (size_t i = 0; i < NMSG; i++) {
		if (sh("cmp '%s/m%zu.eml' '%s/out-eml/Inbox/%06zu.eml'", tmpdir, i, tmpdir, i + 1) != 0)
			fail_msg("message %zu (%zu bytes) did not come back unchanged as EML", i, sizes[i]);
		/* Maildir: the files in the order written (the Q number). */
		if (sh("cd '%s/out-maildir/cur' && f=$(ls | grep 'Q%zu\\.') && cmp \"$f\" '%s/m%zu.eml'", tmpdir, i + 1,
		       tmpdir, i) != 0)
			fail_msg("message %zu (%zu bytes) did not come back unchanged in the Maildir", i, sizes[i]);
	}
}

static void test_crlf_in_file_form(void **state)
{
	(void)state;
	assert_sh("cd '%s' && '%s' export --quiet --mailbox c.mapix --folder Inbox out-c >/dev/null", tmpdir, mapix_bin);
	/* Kept as CRLF, written with LF: the same as the LF form of message 1. */
	assert_sh("cd '%s' && cmp out-c/Inbox/000001.eml m1.eml && cmp -s crlf.eml m1.eml; test $? -eq 1", tmpdir);
}

static void test_not_kept_rebuilt(void **state)
{
	(void)state;
	assert_sh("cd '%s' && '%s' export --quiet --mailbox n.mapix --folder Inbox out-n >/dev/null && "
	          "'%s' export --quiet --mailbox k.mapix --folder Inbox --regenerate out-r >/dev/null && "
	          "'%s' export --quiet --mailbox k.mapix --folder Inbox out-v >/dev/null",
	          tmpdir, mapix_bin, mapix_bin, mapix_bin);
	/* Rebuilt either way: the same bytes. */
	assert_sh("diff -r '%s/out-n' '%s/out-r' >/dev/null", tmpdir, tmpdir);
	for (size_t i = 0; i < NMSG; i++) {
		/* Rebuilt is not the input (the unusual header spacing is gone)... */
		if (sh("cmp -s '%s/m%zu.eml' '%s/out-n/Inbox/%06zu.eml'", tmpdir, i, tmpdir, i + 1) == 0)
			fail_msg("message %zu without a kept original came out as its input", i);
		/* ...but it is the message. */
		assert_sh("grep -q '^Subject: kept message %zu' '%s/out-n/Inbox/%06zu.eml'", i, tmpdir, i + 1);
		/* And the default export of the kept mailbox is verbatim. */
		assert_sh("cmp '%s/m%zu.eml' '%s/out-v/Inbox/%06zu.eml'", tmpdir, i, tmpdir, i + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kept_verbatim),
	    cmocka_unit_test(test_crlf_in_file_form),
	    cmocka_unit_test(test_not_kept_rebuilt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
