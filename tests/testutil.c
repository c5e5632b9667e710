/*
 * testutil.c — helpers shared by the cmocka tests (see testutil.h).
 */
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned mapix_test_stress(void)
{
	const char *s = getenv("MAPIX_STRESS");
	long v = s ? strtol(s, NULL, 10) : 1;
	return v > 0 ? (unsigned)v : 1;
}

char *mapix_test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/mapix-%s-XXXXXX", base ? base : "/tmp", tag);
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

void mapix_test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *mapix_test_source_path(const char *rel)
{
	const char *src = getenv("MAPIX_SOURCE_DIR");
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/%s", src ? src : ".", rel);
	return path;
}
