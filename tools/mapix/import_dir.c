/*
 * import_dir.c — the sorted directory listing the eml and Maildir sources
 * walk (import.h): sorted so that an import goes in a stable order and an
 * interrupted one resumes the same way.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **import_list_dir(const char *dir, BOOL hidden_too, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		/* "." and ".." always go; other dot names only without hidden_too. */
		if (e->d_name[0] == '.' && (!hidden_too || !e->d_name[1] || strcmp(e->d_name, "..") == 0))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof *grown);
			if (!grown)
				break;
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (!names)
		names = calloc(1, sizeof *names);
	if (names)
		qsort(names, n, sizeof *names, by_name);
	*count = n;
	return names;
}

void import_free_list(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}
