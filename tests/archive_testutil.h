/*
 * archive_testutil.h — what the `mapix archive` tests share
 * (tests/test_archive.c, tests/test_archive_server.c): running the built
 * program, building messages through the public API, and counting what the
 * archive holds per source key (Maildir: files named <guid>-<key>[.cn]:2,
 * in cur/ directories; mbox: X-Mapix-Source-Key header lines).
 */
#ifndef MAPIX_TEST_ARCHIVE_TESTUTIL_H
#define MAPIX_TEST_ARCHIVE_TESTUTIL_H

#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
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

#define CHECK(call)                                                                                    \
	do {                                                                                               \
		HRESULT hr_ = (call);                                                                          \
		if (FAILED(hr_))                                                                               \
			fail_msg("%s: 0x%08X %s", #call, (unsigned)hr_, MAPIXGetLastErrorText());                  \
	} while (0)

static char archive_bin[4096];

static void archive_need_cli(void)
{
	const char *b = getenv("MAPIX_BUILD_DIR");
	snprintf(archive_bin, sizeof archive_bin, "%s/mapix", b ? b : ".");
	if (access(archive_bin, X_OK) != 0)
		MAPIX_SKIP("%s not built: the archive tests run the mapix program", archive_bin);
}

/* Starts `mapix ARGS...` with stdout and stderr into log (appended);
 * uid/gid other than -1: as that user. Returns the pid. */
static pid_t archive_spawn(const char *const *args, const char *log, int uid)
{
	const char *argv[40] = {archive_bin};
	int n = 1;
	for (; args[n - 1] && n < 39; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(log, O_WRONLY | O_CREAT | O_APPEND, 0666);
		if (o < 0)
			_exit(127);
		dup2(o, 1);
		dup2(o, 2);
		if (uid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0))
			_exit(126);
		execv(archive_bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int archive_wait(pid_t pid)
{
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

__attribute__((unused)) static int archive_run(const char *const *args, const char *log)
{
	return archive_wait(archive_spawn(args, log, -1));
}

static void archive_show_log(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f))
		print_message("  | %s", line);
	if (f)
		fclose(f);
}

/* The source key of a saved message (or folder) as upper-case hex. */
static void archive_key(LPMAPIPROP obj, char out[128])
{
	LPSPropValue v = NULL;
	CHECK(HrGetOneProp(obj, PR_SOURCE_KEY, &v));
	for (ULONG i = 0; i < v->Value.bin.cb && i < 60; i++)
		sprintf(out + 2 * i, "%02X", v->Value.bin.lpb[i]);
	MAPIFreeBuffer(v);
}

/* A saved IPM.Note in folder; its source key into key (may be NULL). */
__attribute__((unused)) static void archive_new_message(LPMAPIFOLDER folder, const char *subject, char key[128])
{
	LPMESSAGE m = NULL;
	CHECK(IMAPIFolder_CreateMessage(folder, NULL, 0, &m));
	SPropValue p[3];
	p[0].ulPropTag = PR_SUBJECT_A;
	p[0].Value.lpszA = (LPSTR)subject;
	p[1].ulPropTag = PR_MESSAGE_CLASS_A;
	p[1].Value.lpszA = (LPSTR) "IPM.Note";
	p[2].ulPropTag = PR_BODY_A;
	p[2].Value.lpszA = (LPSTR) "body text\n";
	CHECK(IMessage_SetProps(m, 3, p, NULL));
	CHECK(IMessage_SaveChanges(m, KEEP_OPEN_READWRITE));
	if (key)
		archive_key((LPMAPIPROP)m, key);
	IMessage_Release(m);
}

/* Counts, under root, Maildir files of key (versions: those with a change
 * number; otherwise the base file) — recursively through the tree. */
static int archive_count_maildir(const char *root, const char *key, int versions)
{
	DIR *d = opendir(root);
	int n = 0;
	struct dirent *e;
	size_t kl = strlen(key);
	BOOL is_cur = strlen(root) >= 4 && strcmp(root + strlen(root) - 4, "/cur") == 0;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, ".mapix-archive") == 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", root, e->d_name);
		struct stat sb;
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			n += archive_count_maildir(path, key, versions);
			continue;
		}
		/* <guid>-<key>[.<cn>]:2, */
		const char *dash = strchr(e->d_name, '-');
		if (!is_cur || !dash)
			continue;
		const char *colon = strchr(dash, ':');
		const char *dot = memchr(dash, '.', colon ? (size_t)(colon - dash) : strlen(dash));
		const char *end = dot ? dot : colon;
		if (!end || (kl && ((size_t)(end - dash - 1) != kl || strncmp(dash + 1, key, kl) != 0)))
			continue;
		if (versions ? dot != NULL : dot == NULL)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* All message files in the Maildir tree (cur/ only). */
static int archive_total_maildir(const char *root)
{
	return archive_count_maildir(root, "", 0) + archive_count_maildir(root, "", 1);
}

/* Counts "X-Mapix-Source-Key: KEY" lines (KEY "" for any) that are
 * followed by a change-number line (versions) or not, in the file root or
 * in every file under the directory root. */
__attribute__((unused)) static int archive_count_mbox(const char *root, const char *key, int versions)
{
	struct stat sb;
	int n = 0;
	if (stat(root, &sb) != 0)
		return 0;
	if (!S_ISDIR(sb.st_mode)) {
		FILE *f = fopen(root, "r");
		char line[1024], want[300];
		snprintf(want, sizeof want, "X-Mapix-Source-Key: %s\n", key);
		BOOL pending = FALSE;
		while (f && fgets(line, sizeof line, f)) {
			BOOL ver = strncmp(line, "X-Mapix-Change-Number: ", 23) == 0;
			if (pending)
				n += versions ? ver : !ver;
			pending = strcmp(line, want) == 0 || (!*key && strncmp(line, "X-Mapix-Source-Key: ", 20) == 0);
		}
		if (f)
			fclose(f);
		return n;
	}
	DIR *d = opendir(root);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, ".mapix-archive") == 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", root, e->d_name);
		n += archive_count_mbox(path, key, versions);
	}
	if (d)
		closedir(d);
	return n;
}

#endif
