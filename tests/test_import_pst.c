/*
 * test_import_pst.c — `mapix import` of a PST file (tools/mapix/import_pst*.c)
 * through the built `mapix` program ($MAPIX_BUILD_DIR/mapix), checked with
 * the public MAPI API:
 *
 *   - the folder tree of ../shared/data/pst/outlook.pst (the project's
 *     shared test data; skipped visibly when it is absent) arrives below
 *     the IPM subtree, its special folders on the store's own (one Inbox,
 *     one Sent Items...), the rest created with their container classes,
 *     the search root left out;
 *   - its two messages with subject, body, sender, HTML, the recipient,
 *     the eleven attachments and their bytes, a named property mapped
 *     through the file's name map, and the source identity;
 *   - a second import adds nothing;
 *   - the same with every value of 1000 bytes or more streamed (the test
 *     hook MAPIX_TEST_PST_STREAM_MIN), as large values are;
 *   - truncated copies (many cut points) and files that are no PST end in
 *     exit status 0 or 1 with "mapix: " lines, never a crash or a
 *     sanitizer report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include <mapix/mapiguid.h>
#include <mapix/mapitags.h>
#include <mapix/mapiutil.h>
#include <mapix/mapix.h>
#include <mapix/mapixstore.h>

static char *tmpdir;
static char mapix_bin[4096];
static char pst_path[PATH_MAX];

/* ---- helpers ------------------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap ? cap * 2 : 8192);
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* Runs `mapix ARGS` with stdout and stderr into dir/out and dir/err;
 * returns the exit status, or 128 + the signal when it died of one. */
static int run_mapix(const char *dir, const char *args)
{
	char cmd[16384];
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >out 2>err", dir, mapix_bin, args);
	int st = system(cmd);
	assert_true(st != -1);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static char *make_case_dir(const char *name)
{
	char *d = NULL;
	assert_true(asprintf(&d, "%s/%s", tmpdir, name) > 0);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(run_mapix(d, "store create --mailbox mbx"), 0);
	return d;
}

/* A child folder of parent by display name (NULL when absent); *count gets
 * how many children carry that name. */
static LPMAPIFOLDER child(LPMDB mdb, LPMAPIFOLDER parent, const char *name, int *count)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	LPMAPIFOLDER found = NULL;
	int n = 0;
	SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_A, PR_ENTRYID}};
	assert_int_equal(IMAPIFolder_GetHierarchyTable(parent, 0, &t), S_OK);
	assert_int_equal(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0), S_OK);
	assert_int_equal(IMAPITable_QueryRows(t, 1000, 0, &rows), S_OK);
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		if (PROP_TYPE(p[0].ulPropTag) != PT_STRING8 || strcmp(p[0].Value.lpszA, name) != 0)
			continue;
		n++;
		if (!found) {
			ULONG type = 0;
			assert_int_equal(IMsgStore_OpenEntry(mdb, p[1].Value.bin.cb, (LPENTRYID)p[1].Value.bin.lpb, NULL, 0,
			                                     &type, (LPUNKNOWN *)&found),
			                 S_OK);
		}
	}
	FreeProws(rows);
	IMAPITable_Release(t);
	if (count)
		*count = n;
	return found;
}

static ULONG content_count(LPMAPIFOLDER f)
{
	LPSPropValue v = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)f, PR_CONTENT_COUNT, &v), S_OK);
	ULONG n = (ULONG)v->Value.l;
	MAPIFreeBuffer(v);
	return n;
}

static char *string_prop(LPMAPIPROP obj, ULONG tag)
{
	LPSPropValue v = NULL;
	if (HrGetOneProp(obj, tag, &v) != S_OK)
		return NULL;
	char *s = strdup(v->Value.lpszA);
	MAPIFreeBuffer(v);
	return s;
}

static LPMDB open_mbx(const char *dir)
{
	char path[4096];
	LPMDB mdb = NULL;
	snprintf(path, sizeof path, "%s/mbx", dir);
	assert_int_equal(MAPIXOpenLocalStore(path, 0, &mdb), S_OK);
	return mdb;
}

static LPMAPIFOLDER open_ipm(LPMDB mdb)
{
	LPSPropValue v = NULL;
	LPMAPIFOLDER f = NULL;
	ULONG type = 0;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &v), S_OK);
	assert_int_equal(
	    IMsgStore_OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, 0, &type, (LPUNKNOWN *)&f), S_OK);
	MAPIFreeBuffer(v);
	return f;
}

static LPMESSAGE first_message(LPMDB mdb, LPMAPIFOLDER f)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	LPMESSAGE m = NULL;
	ULONG type = 0;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	assert_int_equal(IMAPIFolder_GetContentsTable(f, 0, &t), S_OK);
	assert_int_equal(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0), S_OK);
	assert_int_equal(IMAPITable_QueryRows(t, 1, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 1);
	SBinary *eid = &rows->aRow[0].lpProps[0].Value.bin;
	assert_int_equal(IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&m), S_OK);
	FreeProws(rows);
	IMAPITable_Release(t);
	return m;
}

/* ---- the outlook.pst import ------------------------------------------------------------------------ */

static void check_welcome_message(LPMDB mdb, LPMAPIFOLDER folder, BOOL check_source)
{
	LPMESSAGE m = first_message(mdb, folder);
	char *s;

	s = string_prop((LPMAPIPROP)m, PR_SUBJECT_A);
	assert_string_equal(s, "Welcome to Microsoft Office Outlook 2003");
	free(s);
	s = string_prop((LPMAPIPROP)m, PR_MESSAGE_CLASS_A);
	assert_string_equal(s, "IPM.Note");
	free(s);
	s = string_prop((LPMAPIPROP)m, PR_SENDER_EMAIL_ADDRESS_A);
	assert_string_equal(s, "olteam@microsoft.com");
	free(s);
	s = string_prop((LPMAPIPROP)m, PR_BODY_A);
	assert_non_null(s);
	assert_non_null(strstr(s, "Thank you for using Microsoft\xC2\xAE Office Outlook\xC2\xAE 2003!"));
	free(s);

	LPSPropValue v = NULL;
	/* Sent and received times as the file has them (2007-04-29T22:27:33.593Z). */
	assert_int_equal(HrGetOneProp((LPMAPIPROP)m, PR_MESSAGE_DELIVERY_TIME, &v), S_OK);
	assert_int_equal(v->Value.ft.dwHighDateTime, 0x01C78AADu);
	assert_int_equal(v->Value.ft.dwLowDateTime, 0x94EDB490u);
	MAPIFreeBuffer(v);
	/* Read, as in the file; the attachments make HASATTACH. */
	assert_int_equal(HrGetOneProp((LPMAPIPROP)m, PR_MESSAGE_FLAGS, &v), S_OK);
	assert_true(v->Value.l & MSGFLAG_READ);
	assert_true(v->Value.l & MSGFLAG_HASATTACH);
	MAPIFreeBuffer(v);
	/* PR_HTML, 12009 bytes of it. */
	assert_int_equal(HrGetOneProp((LPMAPIPROP)m, PR_HTML, &v), S_OK);
	assert_int_equal(v->Value.bin.cb, 12009);
	assert_memory_equal(v->Value.bin.lpb, "<HTML>", 6);
	MAPIFreeBuffer(v);

	/* A named property (PSETID_Common, LID 0x8554: the Outlook version) under
	 * the id the target store gave it. */
	MAPINAMEID nm = {.lpguid = (LPGUID)&PSETID_Common, .ulKind = MNID_ID, .Kind.lID = 0x8554};
	LPMAPINAMEID names[1] = {&nm};
	LPSPropTagArray tags = NULL;
	assert_int_equal(IMessage_GetIDsFromNames(m, 1, names, 0, &tags), S_OK);
	assert_true(PROP_ID(tags->aulPropTag[0]) >= 0x8000);
	s = string_prop((LPMAPIPROP)m, PROP_TAG(PT_STRING8, PROP_ID(tags->aulPropTag[0])));
	assert_string_equal(s, "11.0");
	free(s);
	MAPIFreeBuffer(tags);

	if (check_source) {
		char want[PATH_MAX + 32];
		char real[PATH_MAX];
		assert_non_null(realpath(pst_path, real));
		snprintf(want, sizeof want, "pst:%s:2097188", real);
		s = string_prop((LPMAPIPROP)m, PR_MAPIX_IMPORT_SOURCE_A);
		assert_string_equal(s, want);
		free(s);
	}

	/* The one recipient. */
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(2, rcols) = {2, {PR_DISPLAY_NAME_A, PR_RECIPIENT_TYPE}};
	assert_int_equal(IMessage_GetRecipientTable(m, 0, &t), S_OK);
	assert_int_equal(IMAPITable_SetColumns(t, (LPSPropTagArray)&rcols, 0), S_OK);
	assert_int_equal(IMAPITable_QueryRows(t, 100, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 1);
	assert_string_equal(rows->aRow[0].lpProps[0].Value.lpszA, "New Outlook User");
	assert_int_equal(rows->aRow[0].lpProps[1].Value.l, MAPI_TO);
	FreeProws(rows);
	IMAPITable_Release(t);

	/* Eleven JPEG attachments, the first one 1969 bytes named 1.jpg. */
	SizedSPropTagArray(3, acols) = {3, {PR_ATTACH_NUM, PR_ATTACH_LONG_FILENAME_A, PR_ATTACH_METHOD}};
	assert_int_equal(IMessage_GetAttachmentTable(m, 0, &t), S_OK);
	assert_int_equal(IMAPITable_SetColumns(t, (LPSPropTagArray)&acols, 0), S_OK);
	assert_int_equal(IMAPITable_QueryRows(t, 100, 0, &rows), S_OK);
	assert_int_equal(rows->cRows, 11);
	BOOL saw_first = FALSE;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		assert_int_equal(p[2].Value.l, ATTACH_BY_VALUE);
		if (strcmp(p[1].Value.lpszA, "1.jpg") != 0)
			continue;
		saw_first = TRUE;
		LPATTACH a = NULL;
		assert_int_equal(IMessage_OpenAttach(m, (ULONG)p[0].Value.l, NULL, 0, &a), S_OK);
		assert_int_equal(HrGetOneProp((LPMAPIPROP)a, PR_ATTACH_DATA_BIN, &v), S_OK);
		assert_int_equal(v->Value.bin.cb, 1969);
		assert_memory_equal(v->Value.bin.lpb, "\xFF\xD8\xFF\xE0", 4);
		MAPIFreeBuffer(v);
		s = string_prop((LPMAPIPROP)a, PR_ATTACH_MIME_TAG_A);
		assert_string_equal(s, "image/jpeg");
		free(s);
		IAttach_Release(a);
	}
	assert_true(saw_first);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMessage_Release(m);
}

static void check_tree(const char *dir)
{
	LPMDB mdb = open_mbx(dir);
	LPMAPIFOLDER ipm = open_ipm(mdb), f;
	int n = 0;

	/* Special folders land on the store's own: one of each. */
	static const char *const once[] = {"Inbox",    "Sent Items", "Deleted Items", "Drafts",  "Junk E-mail",
	                                   "Outbox",   "Calendar",   "Contacts",      "Journal", "Notes",
	                                   "Tasks",    "Reminders",  "Content.Filter", "\xE6\x94\xB6\xE4\xBB\xB6\xE7\xAE\xB1",
	                                   "Recovered_Group2"};
	for (size_t i = 0; i < sizeof once / sizeof once[0]; i++) {
		f = child(mdb, ipm, once[i], &n);
		if (n != 1)
			fail_msg("folder '%s' appears %d times below the IPM subtree", once[i], n);
		IMAPIFolder_Release(f);
	}
	/* The search root and the PST's own top folder are not copied. */
	assert_null(child(mdb, ipm, "Search Root", &n));
	assert_null(child(mdb, ipm, "Top of Personal Folders", &n));

	/* Folders the import created keep their container class. */
	f = child(mdb, ipm, "Reminders", NULL);
	char *cls = string_prop((LPMAPIPROP)f, PR_CONTAINER_CLASS_A);
	assert_string_equal(cls, "Outlook.Reminder");
	free(cls);
	IMAPIFolder_Release(f);

	f = child(mdb, ipm, "Inbox", NULL);
	assert_int_equal(content_count(f), 1);
	check_welcome_message(mdb, f, TRUE);
	IMAPIFolder_Release(f);

	f = child(mdb, ipm, "Recovered_Group2", NULL);
	assert_int_equal(content_count(f), 1);
	check_welcome_message(mdb, f, FALSE);
	LPMAPIFOLDER sub = child(mdb, f, "Inbox", &n);
	assert_int_equal(n, 1);
	assert_int_equal(content_count(sub), 0);
	IMAPIFolder_Release(sub);
	IMAPIFolder_Release(f);

	static const char *const empty[] = {"Sent Items", "Deleted Items", "Drafts", "Contacts", "Calendar"};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		f = child(mdb, ipm, empty[i], NULL);
		assert_int_equal(content_count(f), 0);
		IMAPIFolder_Release(f);
	}
	IMAPIFolder_Release(ipm);
	IMsgStore_Release(mdb);
}

static void test_outlook_pst(void **state)
{
	(void)state;
	if (!pst_path[0])
		MAPIX_SKIP("../shared/data/pst/outlook.pst is not there (shared test data)");
	char *dir = make_case_dir("outlook");
	char args[PATH_MAX + 64];
	snprintf(args, sizeof args, "import --quiet --mailbox mbx '%s'", pst_path);

	assert_int_equal(run_mapix(dir, args), 0);
	char path[4096];
	snprintf(path, sizeof path, "%s/out", dir);
	char *out = slurp(path, NULL);
	assert_non_null(strstr(out, "imported 2 messages"));
	assert_non_null(strstr(out, "0 skipped"));
	free(out);
	check_tree(dir);

	/* Again: everything is already there. */
	assert_int_equal(run_mapix(dir, args), 0);
	out = slurp(path, NULL);
	assert_non_null(strstr(out, "imported 0 messages"));
	assert_non_null(strstr(out, "2 already present"));
	free(out);
	check_tree(dir);
	free(dir);
}

/* The same file with every value of 1000 bytes and more (the bodies, the
 * HTML) taking the streaming path that large values take. */
static void test_outlook_pst_streamed(void **state)
{
	(void)state;
	if (!pst_path[0])
		MAPIX_SKIP("../shared/data/pst/outlook.pst is not there (shared test data)");
	char *dir = make_case_dir("streamed");
	char args[PATH_MAX + 64];
	snprintf(args, sizeof args, "import --quiet --mailbox mbx '%s'", pst_path);
	setenv("MAPIX_TEST_PST_STREAM_MIN", "1000", 1);
	int rc = run_mapix(dir, args);
	unsetenv("MAPIX_TEST_PST_STREAM_MIN");
	assert_int_equal(rc, 0);
	check_tree(dir);
	free(dir);
}

/* ---- damaged input --------------------------------------------------------------------------------- */

/* The run ended as a program should: 0 or 1, and when 1, stderr says why
 * in "mapix: " lines; no sanitizer report either way. */
static void check_clean_end(const char *dir, int rc, const char *what)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/err", dir);
	char *err = slurp(path, NULL);
	assert_non_null(err);
	if (rc != 0 && rc != 1)
		fail_msg("%s: exit status %d; stderr:\n%s", what, rc, err);
	if (strstr(err, "Sanitizer") || strstr(err, "runtime error:"))
		fail_msg("%s: sanitizer report:\n%s", what, err);
	if (rc == 1 && strncmp(err, "mapix: ", 7) != 0)
		fail_msg("%s: exit status 1 without a 'mapix: ' line:\n%s", what, err);
	free(err);
}

static void copy_prefix(const char *src, const char *dst, size_t n)
{
	size_t len = 0;
	char *data = slurp(src, &len);
	assert_non_null(data);
	if (n > len)
		n = len;
	FILE *f = fopen(dst, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	free(data);
}

static void test_truncated(void **state)
{
	(void)state;
	if (!pst_path[0])
		MAPIX_SKIP("../shared/data/pst/outlook.pst is not there (shared test data)");
	struct stat st;
	assert_int_equal(stat(pst_path, &st), 0);
	size_t size = (size_t)st.st_size;
	/* The header alone, inside the indexes, inside the items, one page
	 * short: each point cuts through a different structure. */
	size_t cuts[] = {4, 100, 512, 4096, 17408, size / 8, size / 4, size / 3, size / 2,
	                 size * 2 / 3, size * 3 / 4, size * 7 / 8, size - 4096, size - 512, size - 1};
	unsigned n_fail = 0, n_ok = 0;
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char name[64], file[4096 + 16], args[8300], what[64];
		snprintf(name, sizeof name, "cut%zu", i);
		char *dir = make_case_dir(name);
		snprintf(file, sizeof file, "%s/cut.pst", dir);
		copy_prefix(pst_path, file, cuts[i]);
		snprintf(args, sizeof args, "import --quiet --format pst --mailbox mbx '%s'", file);
		snprintf(what, sizeof what, "cut at %zu", cuts[i]);
		int rc = run_mapix(dir, args);
		check_clean_end(dir, rc, what);
		rc == 0 ? n_ok++ : n_fail++;
		free(dir);
	}
	/* Not every cut can go unnoticed: the short ones lose the header. */
	assert_true(n_fail > 0);
	print_message("truncated copies: %u imported what they could, %u refused\n", n_ok, n_fail);
}

static void test_not_a_pst(void **state)
{
	(void)state;
	char *dir = make_case_dir("notpst");
	char file[4096 + 16], args[8300];
	snprintf(file, sizeof file, "%s/mail.pst", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs("From: someone@example.org\n\nnot a PST at all\n", f);
	fclose(f);
	snprintf(args, sizeof args, "import --quiet --format pst --mailbox mbx '%s'", file);
	int rc = run_mapix(dir, args);
	check_clean_end(dir, rc, "text file");
	assert_int_equal(rc, 1);
	char path[4096];
	snprintf(path, sizeof path, "%s/err", dir);
	char *err = slurp(path, NULL);
	assert_non_null(strstr(err, "not a PST or OST file"));
	assert_non_null(strchr(err, '\n'));
	assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
	free(err);

	/* A PST signature and nothing after it. */
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("!BDN", f);
	fclose(f);
	snprintf(args, sizeof args, "import --quiet --mailbox mbx '%s'", file);
	rc = run_mapix(dir, args);
	check_clean_end(dir, rc, "signature only");
	assert_int_equal(rc, 1);
	free(dir);
}

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("MAPIX_BUILD_DIR");
	const char *src = getenv("MAPIX_SOURCE_DIR");
	if (!build || !src)
		return -1;
	snprintf(mapix_bin, sizeof mapix_bin, "%s/mapix", build);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/../shared/data/pst/outlook.pst", src);
	if (access(p, R_OK) == 0)
		snprintf(pst_path, sizeof pst_path, "%s", p);
	/* A sanitizer report in the child must not pass for a clean exit 1. */
	setenv("ASAN_OPTIONS", "exitcode=86:detect_leaks=1", 1);
	setenv("UBSAN_OPTIONS", "halt_on_error=1:exitcode=87:print_stacktrace=1", 1);
	/* libpff's own leaks on damaged files are not mapix's. */
	char supp[PATH_MAX + 32];
	snprintf(supp, sizeof supp, "suppressions=%s/tests/lsan-libpff.supp", src);
	setenv("LSAN_OPTIONS", supp, 1);
	tmpdir = mapix_test_tmpdir("import-pst");
	return FAILED(MAPIInitialize(NULL)) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	MAPIUninitialize();
	mapix_test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outlook_pst),
	    cmocka_unit_test(test_outlook_pst_streamed),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_not_a_pst),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
