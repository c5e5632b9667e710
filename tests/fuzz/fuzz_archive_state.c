/*
 * fuzz_archive_state.c — libFuzzer target for the state files of
 * `mapix archive` (tools/mapix/archive_state.c), which are read back from
 * the archive directory on every run: whatever the file holds, loading
 * never crashes, and a state that loads saves and loads again to the same
 * change number, label and folders (names, kinds, mbox lengths, current
 * paths). Only archive_state.c is compiled in, with stand-ins for the two
 * CLI helpers it calls. Seeds live in corpus/archive_state/.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/mapix/archive_state.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int cli_error(const char *fmt, ...)
{
	(void)fmt;
	return 1;
}

int export_mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static const char guid[] = "00112233445566778899AABBCCDDEEFF";

static char dir[256];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

/* The scratch directory goes when the run ends. */
static void remove_base(void)
{
	if (dir[0])
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *base(void)
{
	if (!dir[0]) {
		atexit(remove_base);
		snprintf(dir, sizeof dir, "%s/mapix-fuzz-archive-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		         (long)getpid());
		char p[512];
		snprintf(p, sizeof p, "%s/a/.mapix-archive/state", dir);
		export_mkdirs(p);
		snprintf(p, sizeof p, "%s/b/.mapix-archive/state", dir);
		export_mkdirs(p);
	}
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[512], b[512], file[600];
	snprintf(a, sizeof a, "%s/a", base());
	snprintf(b, sizeof b, "%s/b", base());
	snprintf(file, sizeof file, "%s/.mapix-archive/state/%s", a, guid);
	FILE *f = fopen(file, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	archive_state st, again;
	if (archive_state_load(a, guid, &st) == 0) {
		if (archive_state_save(b, &st) != 0 || archive_state_load(b, guid, &again) != 0)
			abort();
		if (again.cn != st.cn || again.nfolders != st.nfolders ||
		    strcmp(again.label ? again.label : "", st.label ? st.label : "") != 0)
			abort();
		for (int i = 0; i < st.nfolders; i++) {
			archive_folder *x = &st.folders[i], *y = &again.folders[i];
			if (strcmp(x->key, y->key) != 0 || x->kind != y->kind || x->mbox_len != y->mbox_len ||
			    x->depth != y->depth || strcmp(x->current, y->current) != 0)
				abort();
			for (int k = 0; k < x->depth; k++)
				if (strcmp(x->names[k], y->names[k]) != 0)
					abort();
		}
		archive_state_free(&again);
	}
	archive_state_free(&st);
	unlink(file);
	return 0;
}
