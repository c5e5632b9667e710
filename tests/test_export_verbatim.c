/*
 * test_export_verbatim.c — `mapix import` then `mapix export` of the
 * tests/data/mime corpus gives the input back byte for byte (the import
 * keeps each message in PR_INTERNET_CONTENT, the export writes it back):
 *
 *   - as one mbox (mboxrd quoting undone on import and redone on export;
 *     the From_ separator lines are the export's own and left out of the
 *     comparison);
 *   - as EML files, one folder each;
 *   - the clear-signed S/MIME message still verifies after export
 *     (openssl smime -verify -noverify; skipped visibly without openssl);
 *   - with --regenerate the export is built from the properties: the
 *     same as exporting a mailbox imported with --no-keep-mime.
 *
 * Runs the built `mapix` ($MAPIX_BUILD_DIR/mapix) through the shell.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

static const char *const corpus[] = {"alternative", "attachments", "charsets", "plain",   "related",
                                     "rfc2047",     "rfc822",      "smime-signed", "tnef"};
#define NCORPUS (sizeof corpus / sizeof corpus[0])

static char *tmpdir, *datadir;
static char mapix_bin[4096];

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

#define assert_sh(...)                                                      \
	do {                                                                    \
		int rc_ = sh(__VA_ARGS__);                                          \
		if (rc_ != 0)                                                       \
			fail_msg("%s:%d: command exited %d", __FILE__, __LINE__, rc_);  \
	} while (0)

/* Writes the corpus as one mboxrd file: a From_ line, the message with
 * every ^>*From  line quoted once more, a blank line. */
static void write_mbox(const char *path)
{
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	for (size_t i = 0; i < NCORPUS; i++) {
		char in_path[4200];
		snprintf(in_path, sizeof in_path, "%s/%s.eml", datadir, corpus[i]);
		FILE *in = fopen(in_path, "rb");
		assert_non_null(in);
		fprintf(out, "From test@example.com Mon Jan  1 00:00:00 2024\n");
		char line[65536];
		while (fgets(line, sizeof line, in)) {
			const char *p = line;
			while (*p == '>')
				p++;
			if (strncmp(p, "From ", 5) == 0)
				fputc('>', out);
			fputs(line, out);
		}
		fputc('\n', out);
		fclose(in);
	}
	fclose(out);
}

static void test_mbox_round_trip(void **state)
{
	(void)state;
	char mbox[4200];
	snprintf(mbox, sizeof mbox, "%s/corpus.mbox", tmpdir);
	write_mbox(mbox);
	assert_sh("cd '%s' && '%s' import --quiet --mailbox mb.mapix corpus.mbox >/dev/null && "
	          "'%s' export --quiet --mailbox mb.mapix --folder Inbox --format mbox out-mbox >/dev/null",
	          tmpdir, mapix_bin, mapix_bin);
	/* The separators are the export's own (sender and time from the
	 * message); everything else is the input. */
	assert_sh("cd '%s' && grep -v '^From ' corpus.mbox > want && grep -v '^From ' out-mbox/Inbox > got && "
	          "cmp want got && test $(grep -c '^From ' out-mbox/Inbox) -eq %zu",
	          tmpdir, NCORPUS);
}

static void test_eml_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < NCORPUS; i++)
		assert_sh("cd '%s' && '%s' import --quiet --mailbox eml.mapix --folder 'E/%s' '%s/%s.eml' >/dev/null", tmpdir,
		          mapix_bin, corpus[i], datadir, corpus[i]);
	assert_sh("cd '%s' && '%s' export --quiet --mailbox eml.mapix --folder E out-eml >/dev/null", tmpdir, mapix_bin);
	for (size_t i = 0; i < NCORPUS; i++)
		if (sh("cmp '%s/%s.eml' '%s/out-eml/E/%s/000001.eml'", datadir, corpus[i], tmpdir, corpus[i]) != 0)
			fail_msg("%s.eml did not come back unchanged", corpus[i]);
}

static void test_smime_still_verifies(void **state)
{
	(void)state;
	if (sh("command -v openssl >/dev/null 2>&1") != 0)
		MAPIX_SKIP("openssl is not installed: the signature check needs it");
	assert_sh("cd '%s' && '%s' import --quiet --mailbox smime.mapix '%s/smime-signed.eml' >/dev/null && "
	          "'%s' export --quiet --mailbox smime.mapix --folder Inbox out-smime >/dev/null",
	          tmpdir, mapix_bin, datadir, mapix_bin);
	/* The input verifies (else the check says nothing), and so does the export. */
	assert_sh("openssl smime -verify -noverify -in '%s/smime-signed.eml' -out /dev/null 2>/dev/null", datadir);
	assert_sh("openssl smime -verify -noverify -in '%s/out-smime/Inbox/000001.eml' -out /dev/null 2>/dev/null",
	          tmpdir);
}

static void test_regenerate_and_no_keep(void **state)
{
	(void)state;
	char mbox[4200];
	snprintf(mbox, sizeof mbox, "%s/regen.mbox", tmpdir);
	write_mbox(mbox);
	assert_sh("cd '%s' && '%s' import --quiet --mailbox k.mapix regen.mbox >/dev/null && "
	          "'%s' import --quiet --no-keep-mime --mailbox n.mapix regen.mbox >/dev/null && "
	          "'%s' export --quiet --mailbox k.mapix --folder Inbox --regenerate out-k >/dev/null && "
	          "'%s' export --quiet --mailbox n.mapix --folder Inbox out-n >/dev/null && "
	          "'%s' export --quiet --mailbox k.mapix --folder Inbox out-v >/dev/null",
	          tmpdir, mapix_bin, mapix_bin, mapix_bin, mapix_bin, mapix_bin);
	/* Rebuilt either way: the same bytes. */
	assert_sh("diff -r '%s/out-k' '%s/out-n' >/dev/null", tmpdir, tmpdir);
	/* And rebuilt is not verbatim: some message of the corpus changes. */
	int changed = 0;
	for (size_t i = 1; i <= NCORPUS; i++)
		changed += sh("cmp -s '%s/out-v/Inbox/%06zu.eml' '%s/out-k/Inbox/%06zu.eml'", tmpdir, i, tmpdir, i) != 0;
	assert_true(changed > 0);
	/* Nothing kept without it: the mailbox is smaller by about the input. */
	assert_sh("cd '%s' && test $(stat -c %%s n.mapix) -lt $(stat -c %%s k.mapix)", tmpdir);
}

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("MAPIX_BUILD_DIR");
	snprintf(mapix_bin, sizeof mapix_bin, "%s/mapix", build ? build : ".");
	tmpdir = mapix_test_tmpdir("export-verbatim");
	datadir = mapix_test_source_path("tests/data/mime");
	return tmpdir && datadir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mapix_test_rmtree(tmpdir);
	free(tmpdir);
	free(datadir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_round_trip),
		cmocka_unit_test(test_eml_round_trip),
		cmocka_unit_test(test_smime_still_verifies),
		cmocka_unit_test(test_regenerate_and_no_keep),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
