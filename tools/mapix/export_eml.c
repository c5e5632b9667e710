/*
 * export_eml.c — the EML tree: DEST/<folder path>/<NNNNNN>.eml, one file per
 * message, subfolders as subdirectories. Each message is written to
 * "<NNNNNN>.eml.tmp" and renamed when complete, so a file with the .eml
 * name is always a whole message; with --append numbering goes on after
 * the highest number already in the directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"

typedef struct eml_state {
	char *dir;
	unsigned long next;
} eml_state;

/* The highest NNNNNN of "NNNNNN.eml" in dir (0 when none). */
static unsigned long highest_number(const char *dir)
{
	unsigned long high = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end = NULL;
		unsigned long n = strtoul(e->d_name, &end, 10);
		if (end != e->d_name && strcmp(end, ".eml") == 0 && n > high)
			high = n;
	}
	closedir(d);
	return high;
}

static int eml_open(export_run *run, const export_folder *f)
{
	eml_state *s = calloc(1, sizeof *s);
	char *dir = strdup(run->dest);
	for (int i = 0; dir && i < f->depth; i++) {
		char *part = export_fs_name(f->names[i], FALSE);
		char *next = part ? export_join(dir, part) : NULL;
		free(part);
		free(dir);
		dir = next;
	}
	if (!s || !dir) {
		free(s);
		free(dir);
		return cli_error("export: out of memory");
	}
	if (export_mkdirs(dir) != 0) {
		int rc = cli_error("export: %s: %s", dir, strerror(errno));
		free(dir);
		free(s);
		return rc;
	}
	s->dir = dir;
	s->next = highest_number(dir) + 1;
	run->state = s;
	return 0;
}

static HRESULT eml_write(export_run *run, const export_message *m, int *fatal)
{
	eml_state *s = run->state;
	char name[64], tmpname[64];
	snprintf(name, sizeof name, "%06lu.eml", s->next);
	snprintf(tmpname, sizeof tmpname, "%06lu.eml.tmp", s->next);
	char *path = export_join(s->dir, name), *tmp = export_join(s->dir, tmpname);
	HRESULT hr = S_OK;
	int fd = -1, err = 0;

	if (!path || !tmp) {
		*fatal = 1;
		cli_error("export: out of memory");
		hr = MAPI_E_NOT_ENOUGH_MEMORY;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		*fatal = 1;
		cli_error("export: %s: %s", tmp, strerror(errno));
		hr = MAPI_E_DISK_ERROR;
		goto out;
	}
	hr = export_write_mime_fd(run, m, fd, &err);
	if (close(fd) != 0 && hr == S_OK) {
		err = errno;
		hr = MAPI_E_DISK_ERROR;
	}
	if (hr == S_OK && rename(tmp, path) != 0) {
		err = errno;
		hr = MAPI_E_DISK_ERROR;
	}
	if (hr != S_OK) {
		unlink(tmp);
		if (err) {
			*fatal = 1;
			cli_error("export: %s: %s", path, strerror(err));
		}
		goto out;
	}
	s->next++;
out:
	free(path);
	free(tmp);
	return hr;
}

static int eml_close(export_run *run)
{
	eml_state *s = run->state;
	int rc = 0;
	if (export_sync_dir(s->dir) != 0)
		rc = cli_error("export: %s: %s", s->dir, strerror(errno));
	free(s->dir);
	free(s);
	run->state = NULL;
	return rc;
}

const export_format export_format_eml = {"eml", 0, eml_open, eml_write, eml_close};
