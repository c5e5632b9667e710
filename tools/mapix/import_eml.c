/*
 * import_eml.c — the EML sources of `mapix import`: one RFC 5322 file, or a
 * directory tree of them where each subdirectory is a folder (the layout
 * `mapix export --format eml` writes). A file's identity is
 * "eml:<realpath>", so the same file imported again is left alone. The
 * tree may hold mbox files too, in Thunderbird's layout (NAME an mbox,
 * NAME.sbd/ its subfolders; `mapix export --format mbox`), handed to the
 * mbox source.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "import_split.h"

/* Imports one file into folder. Failures to read it are reported at path
 * and counted; 0 always (the caller goes on). */
static int import_file(import_engine *eng, LPMAPIFOLDER folder, const char *path)
{
	char *real = realpath(path, NULL), *id = NULL;
	if (!real) {
		import_skip(eng, path, "%s", strerror(errno));
		return 0;
	}
	if (asprintf(&id, "eml:%s", real) < 0) {
		free(real);
		import_skip(eng, path, "out of memory");
		return 0;
	}
	free(real);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		import_skip(eng, path, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		import_skip(eng, path, "not a regular file");
	} else if (import_seen(eng, folder, id)) {
		import_count_existing(eng, (uint64_t)st.st_size);
	} else {
		import_mime(eng, folder, id, path, fd, NULL, 0, 0, NULL, 0, (uint64_t)st.st_size);
	}
	if (fd >= 0)
		close(fd);
	free(id);
	return 0;
}

int import_eml(import_engine *eng, const char *path)
{
	struct stat st;
	LPMAPIFOLDER folder = NULL;
	if (stat(path, &st) != 0)
		return cli_error("%s: %s", path, strerror(errno));
	import_add_total(eng, (uint64_t)st.st_size);
	if (FAILED(import_folder(eng, "", IMPORT_FOLDER_INBOX, NULL, &folder)))
		return CLI_EXIT_FAILURE;
	return import_file(eng, folder, path);
}

static BOOL is_eml_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".eml") == 0;
}

/* Appends name to relpath with cli_open_folder's escapes. */
static char *join_rel(const char *relpath, const char *name)
{
	size_t n = strlen(relpath), k = strlen(name);
	char *out = malloc(n + 2 * k + 2), *o = out;
	if (!out)
		return NULL;
	memcpy(o, relpath, n);
	o += n;
	if (n)
		*o++ = '/';
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = 0;
	return out;
}

/* Sizes every .eml below dir, for the progress line's time left. */
static uint64_t tree_size(const char *dir, int depth)
{
	size_t n = 0;
	char **names = import_list_dir(dir, TRUE, &n);
	uint64_t total = 0;
	for (size_t i = 0; names && i < n; i++) {
		char *p = NULL;
		struct stat st;
		if (asprintf(&p, "%s/%s", dir, names[i]) >= 0 && lstat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < 64)
				total += tree_size(p, depth + 1);
			else if (is_eml_name(names[i]))
				total += (uint64_t)st.st_size;
		}
		free(p);
		free(names[i]);
	}
	free(names);
	return total;
}

/* TRUE when the file at path starts with "From " (an mbox). */
static BOOL starts_like_mbox(const char *path)
{
	char head[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return n == 5 && memcmp(head, "From ", 5) == 0;
}

/* The folder name a directory or mbox file stands for: without the ".sbd"
 * of a Thunderbird subfolder directory, %XX escapes decoded (what `mapix
 * export` writes for '/', '%', control characters and a leading '.'). */
static char *folder_name(const char *fsname, BOOL strip_sbd)
{
	size_t n = strlen(fsname);
	if (strip_sbd && n > 4 && strcmp(fsname + n - 4, ".sbd") == 0)
		n -= 4;
	char *raw = strndup(fsname, n), *out = malloc(n + 1);
	if (raw && out && !fs_name_decode(raw, out, n + 1))
		strcpy(out, raw); /* not an escape after all: keep the name */
	free(raw);
	return out;
}

static int walk_tree(import_engine *eng, const char *dir, const char *relpath, import_folder_kind kind, int depth,
                     import_mbox_format mbox_format)
{
	size_t n = 0;
	char **names = import_list_dir(dir, TRUE, &n);
	if (!names) {
		import_skip(eng, dir, "%s", strerror(errno));
		return 0;
	}
	LPMAPIFOLDER folder = NULL;
	for (size_t i = 0; i < n && !import_stopped(eng); i++) {
		char *p = NULL;
		struct stat st;
		if (asprintf(&p, "%s/%s", dir, names[i]) < 0)
			break;
		/* Symbolic links to directories are not followed (no loops);
		 * to files they are, like any file named on the command line. */
		BOOL ok = lstat(p, &st) == 0;
		if (ok && S_ISDIR(st.st_mode)) {
			if (names[i][0] == '.' || depth >= 64) {
				free(p);
				continue;
			}
			char *name = folder_name(names[i], TRUE);
			char *sub = name ? join_rel(relpath, name) : NULL;
			if (sub)
				walk_tree(eng, p, sub, depth == 0 ? import_kind_for_name(name) : kind, depth + 1, mbox_format);
			free(sub);
			free(name);
		} else if (!is_eml_name(names[i])) {
			/* Only mbox files besides .eml ones: anything else in
			 * the tree (notes, indexes) is not mail. */
			if (ok && names[i][0] != '.' && S_ISREG(st.st_mode) && starts_like_mbox(p)) {
				char *name = folder_name(names[i], FALSE);
				char *sub = name ? join_rel(relpath, name) : NULL;
				if (sub)
					import_mbox_into(eng, p, mbox_format, sub,
					                 depth == 0 ? import_kind_for_name(name) : kind);
				free(sub);
				free(name);
			}
		} else {
			/* The folder is opened (made) only when it has mail. */
			if (!folder && FAILED(import_folder(eng, relpath, kind, NULL, &folder))) {
				free(p);
				break;
			}
			import_file(eng, folder, p);
		}
		free(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

int import_eml_tree(import_engine *eng, const char *path, import_mbox_format mbox_format)
{
	/* .eml files only: import_mbox_into adds each mbox's size itself. */
	import_add_total(eng, tree_size(path, 0));
	/* Files at the top of the tree are the Inbox's (or the --folder's). */
	return walk_tree(eng, path, "", IMPORT_FOLDER_INBOX, 0, mbox_format);
}
