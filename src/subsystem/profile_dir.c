/*
 * profile_dir.c — the profile directory: one "<escaped name>.prof" file per
 * profile plus the "default-profile" record (profile_file.h describes the
 * layout). Every change takes the file's lock and replaces files
 * atomically through file_replace.c.
 *
 * Lock order, to keep operations that touch several files from deadlocking:
 * profile files first (two profile files in byte order of their paths),
 * then the default-profile record.
 */
#include "subsystem/profile_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "subsystem/file_replace.h"

#define PROFILE_SUFFIX ".prof"
#define DEFAULT_FILE "default-profile"
#define ESCAPED_MAX 230 /* + ".prof" + ".tmp.XXXXXX" stays below NAME_MAX */

HRESULT mapix_profile_check_name(const char *name)
{
	if (!name || !*name)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "profile name is empty");
	size_t chars = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (*s < 0x20 || *s == 0x7F)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "profile name \"%s\" contains a control character", name);
		if ((*s & 0xC0) != 0x80)
			chars++;
	}
	if (chars > MAPIX_PROFILE_NAME_MAX)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "profile name \"%s\" is longer than %d characters", name,
		                   MAPIX_PROFILE_NAME_MAX);
	return S_OK;
}

static BOOL escape_byte(unsigned char c, BOOL first)
{
	return c == '/' || c == '%' || (first && c == '.');
}

HRESULT mapix_profile_path(const char *profile_dir, const char *name, char **lppPath)
{
	HRESULT hr = mapix_profile_check_name(name);
	if (FAILED(hr))
		return hr;
	char esc[ESCAPED_MAX + 4];
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++) {
		if (n + 3 > ESCAPED_MAX)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "profile name \"%s\" is too long for a file name", name);
		if (escape_byte(*s, s == (const unsigned char *)name))
			n += (size_t)snprintf(esc + n, sizeof esc - n, "%%%02X", *s);
		else
			esc[n++] = (char)*s;
	}
	esc[n] = '\0';
	size_t len = strlen(profile_dir) + 1 + n + sizeof PROFILE_SUFFIX;
	char *path = malloc(len);
	if (!path)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_path: out of memory");
	snprintf(path, len, "%s/%s" PROFILE_SUFFIX, profile_dir, esc);
	*lppPath = path;
	return S_OK;
}

/* The profile name of a directory entry, or NULL when it is not a profile. */
static char *name_from_entry(const char *entry)
{
	size_t len = strlen(entry), sl = sizeof PROFILE_SUFFIX - 1;
	if (len <= sl || strcmp(entry + len - sl, PROFILE_SUFFIX) != 0)
		return NULL;
	char *name = malloc(len);
	if (!name)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < len - sl; i++) {
		unsigned v;
		if (entry[i] == '%' && i + 2 < len - sl + 1 && sscanf(entry + i + 1, "%2x", &v) == 1) {
			name[k++] = (char)v;
			i += 2;
		} else {
			name[k++] = entry[i];
		}
	}
	name[k] = '\0';
	if (FAILED(mapix_profile_check_name(name))) {
		free(name);
		return NULL;
	}
	return name;
}

static char *default_path(const char *profile_dir)
{
	size_t len = strlen(profile_dir) + sizeof "/" DEFAULT_FILE;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s/" DEFAULT_FILE, profile_dir);
	return p;
}

BOOL mapix_profile_exists(const char *profile_dir, const char *name)
{
	char *path;
	if (FAILED(mapix_profile_path(profile_dir, name, &path)))
		return FALSE;
	struct stat st;
	BOOL ok = stat(path, &st) == 0;
	free(path);
	return ok;
}

HRESULT mapix_profile_create(const char *profile_dir, const char *name)
{
	char *path;
	HRESULT hr = mapix_profile_path(profile_dir, name, &path);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = mapix_file_mkdirs(profile_dir))) {
		free(path);
		return hr;
	}
	mapix_file_lock lk;
	if (FAILED(hr = mapix_file_lock_acquire(path, TRUE, &lk))) {
		free(path);
		return hr;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		hr = mapix_error(MAPI_E_NO_ACCESS, "CreateProfile: a profile named \"%s\" already exists", name);
	} else {
		mapix_profile *p = NULL;
		char *text = NULL;
		size_t cb = 0;
		hr = mapix_profile_new(&p);
		if (SUCCEEDED(hr))
			hr = mapix_profile_serialize(p, &text, &cb);
		if (SUCCEEDED(hr))
			hr = mapix_file_write_atomic(path, text, cb);
		free(text);
		mapix_profile_free(p);
	}
	if (FAILED(hr) && stat(path, &st) != 0)
		mapix_file_lock_release_remove(&lk);
	else
		mapix_file_lock_release(&lk);
	free(path);
	return hr;
}

HRESULT mapix_profile_load(const char *profile_dir, const char *name, mapix_profile **lppProfile)
{
	char *path, *text = NULL;
	size_t cb = 0;
	HRESULT hr = mapix_profile_path(profile_dir, name, &path);
	if (FAILED(hr))
		return hr;
	hr = mapix_file_read_locked(path, &text, &cb);
	free(path);
	if (hr == MAPI_E_NOT_FOUND)
		return mapix_error(MAPI_E_NOT_FOUND, "there is no profile named \"%s\"", name);
	if (FAILED(hr))
		return hr;
	hr = mapix_profile_parse(text, cb, lppProfile);
	free(text);
	if (FAILED(hr))
		return mapix_error(hr, "profile \"%s\" cannot be read: %s", name, MAPIXGetLastErrorText());
	return hr;
}

typedef struct update_arg {
	const char *name;
	mapix_profile_edit_fn edit;
	void *arg;
} update_arg;

static HRESULT update_edit(void *a, const char *old, size_t cbOld, BOOL exists, char **lppNew, size_t *lpcbNew)
{
	update_arg *u = a;
	if (!exists)
		return mapix_error(MAPI_E_NOT_FOUND, "there is no profile named \"%s\"", u->name);
	mapix_profile *p;
	HRESULT hr = mapix_profile_parse(old, cbOld, &p);
	if (FAILED(hr))
		return mapix_error(hr, "profile \"%s\" cannot be read: %s", u->name, MAPIXGetLastErrorText());
	hr = u->edit(u->arg, p);
	if (hr == S_OK)
		hr = mapix_profile_serialize(p, lppNew, lpcbNew);
	mapix_profile_free(p);
	return hr;
}

HRESULT mapix_profile_update(const char *profile_dir, const char *name, mapix_profile_edit_fn edit, void *arg)
{
	char *path;
	HRESULT hr = mapix_profile_path(profile_dir, name, &path);
	if (FAILED(hr))
		return hr;
	if (!mapix_profile_exists(profile_dir, name)) { /* do not leave a lock file for a missing profile */
		free(path);
		return mapix_error(MAPI_E_NOT_FOUND, "there is no profile named \"%s\"", name);
	}
	update_arg u = {name, edit, arg};
	hr = mapix_file_update(path, update_edit, &u);
	free(path);
	return hr;
}

/* Takes the exclusive locks of two paths in a fixed order. */
static HRESULT lock_two(const char *a, const char *b, mapix_file_lock *la, mapix_file_lock *lb)
{
	BOOL a_first = strcmp(a, b) < 0;
	HRESULT hr = mapix_file_lock_acquire(a_first ? a : b, TRUE, a_first ? la : lb);
	if (FAILED(hr))
		return hr;
	hr = mapix_file_lock_acquire(a_first ? b : a, TRUE, a_first ? lb : la);
	if (FAILED(hr))
		mapix_file_lock_release(a_first ? la : lb);
	return hr;
}

static void release_for(mapix_file_lock *lk, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		mapix_file_lock_release_remove(lk);
	else
		mapix_file_lock_release(lk);
}

/* Reads the default-profile record (no lock); NULL when none. */
static char *read_default(const char *dpath)
{
	char *text = NULL;
	size_t cb = 0;
	if (mapix_file_read(dpath, &text, &cb) != S_OK)
		return NULL;
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (!*text) {
		free(text);
		return NULL;
	}
	return text;
}

/* Under the default-profile lock: if the record names `from`, make it name
 * `to` (or remove it when to is NULL). */
static HRESULT retarget_default(const char *profile_dir, const char *from, const char *to)
{
	char *dpath = default_path(profile_dir);
	if (!dpath)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	mapix_file_lock lk;
	HRESULT hr = mapix_file_lock_acquire(dpath, TRUE, &lk);
	if (FAILED(hr)) {
		free(dpath);
		return hr;
	}
	char *cur = read_default(dpath);
	if (cur && strcmp(cur, from) == 0) {
		if (to) {
			size_t len = strlen(to);
			char *line = malloc(len + 2);
			if (!line) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
			} else {
				memcpy(line, to, len);
				line[len] = '\n';
				hr = mapix_file_write_atomic(dpath, line, len + 1);
				free(line);
			}
		} else {
			hr = mapix_file_remove(dpath);
			if (hr == MAPI_E_NOT_FOUND)
				hr = S_OK;
		}
	}
	free(cur);
	release_for(&lk, dpath);
	free(dpath);
	return hr;
}

HRESULT mapix_profile_delete(const char *profile_dir, const char *name)
{
	char *path;
	HRESULT hr = mapix_profile_path(profile_dir, name, &path);
	if (FAILED(hr))
		return hr;
	if (!mapix_profile_exists(profile_dir, name)) {
		free(path);
		return mapix_error(MAPI_E_NOT_FOUND, "DeleteProfile: there is no profile named \"%s\"", name);
	}
	mapix_file_lock lk;
	if (FAILED(hr = mapix_file_lock_acquire(path, TRUE, &lk))) {
		free(path);
		return hr;
	}
	hr = mapix_file_remove(path);
	if (hr == MAPI_E_NOT_FOUND)
		hr = mapix_error(MAPI_E_NOT_FOUND, "DeleteProfile: there is no profile named \"%s\"", name);
	if (SUCCEEDED(hr))
		hr = retarget_default(profile_dir, name, NULL);
	release_for(&lk, path);
	free(path);
	return hr;
}

static HRESULT copy_or_rename(const char *profile_dir, const char *from, const char *to, BOOL rename_it)
{
	const char *what = rename_it ? "RenameProfile" : "CopyProfile";
	char *src = NULL, *dst = NULL;
	HRESULT hr = mapix_profile_path(profile_dir, from, &src);
	if (SUCCEEDED(hr))
		hr = mapix_profile_path(profile_dir, to, &dst);
	if (FAILED(hr)) {
		free(src);
		return hr;
	}
	if (strcmp(src, dst) == 0) {
		free(src);
		free(dst);
		return mapix_error(MAPI_E_NO_ACCESS, "%s: a profile named \"%s\" already exists", what, to);
	}
	if (!mapix_profile_exists(profile_dir, from)) {
		free(src);
		free(dst);
		return mapix_error(MAPI_E_NOT_FOUND, "%s: there is no profile named \"%s\"", what, from);
	}
	mapix_file_lock ls, ld;
	if (FAILED(hr = lock_two(src, dst, &ls, &ld))) {
		free(src);
		free(dst);
		return hr;
	}
	struct stat st;
	char *text = NULL;
	size_t cb = 0;
	if (stat(dst, &st) == 0) {
		hr = mapix_error(MAPI_E_NO_ACCESS, "%s: a profile named \"%s\" already exists", what, to);
	} else if ((hr = mapix_file_read(src, &text, &cb)) == MAPI_E_NOT_FOUND) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "%s: there is no profile named \"%s\"", what, from);
	} else if (SUCCEEDED(hr)) {
		/* Write the copy first and remove the original after, so a crash
		 * in between leaves two profiles rather than none. */
		hr = mapix_file_write_atomic(dst, text, cb);
		if (SUCCEEDED(hr) && rename_it) {
			hr = mapix_file_remove(src);
			if (SUCCEEDED(hr))
				hr = retarget_default(profile_dir, from, to);
		}
	}
	free(text);
	release_for(&ld, dst);
	release_for(&ls, src);
	free(src);
	free(dst);
	return hr;
}

HRESULT mapix_profile_copy(const char *profile_dir, const char *from, const char *to)
{
	return copy_or_rename(profile_dir, from, to, FALSE);
}

HRESULT mapix_profile_rename(const char *profile_dir, const char *from, const char *to)
{
	return copy_or_rename(profile_dir, from, to, TRUE);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mapix_profile_names_free(char **names, ULONG cNames)
{
	for (ULONG i = 0; i < cNames; i++)
		free(names[i]);
	free(names);
}

HRESULT mapix_profile_list(const char *profile_dir, char ***lpppNames, ULONG *lpcNames)
{
	*lpppNames = NULL;
	*lpcNames = 0;
	DIR *d = opendir(profile_dir);
	if (!d) {
		if (errno == ENOENT)
			return S_OK;
		return mapix_error(errno == EACCES ? MAPI_E_NO_ACCESS : MAPI_E_DISK_ERROR,
		                   "cannot list the profile directory %s: %s", profile_dir, strerror(errno));
	}
	char **names = NULL;
	ULONG n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		char *name = name_from_entry(de->d_name);
		if (!name)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn) {
				free(name);
				closedir(d);
				mapix_profile_names_free(names, n);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_profile_list: out of memory");
			}
			names = nn;
		}
		names[n++] = name;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	*lpppNames = names;
	*lpcNames = n;
	return S_OK;
}

HRESULT mapix_profile_get_default(const char *profile_dir, char **lppName)
{
	*lppName = NULL;
	char *dpath = default_path(profile_dir);
	if (!dpath)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	char *text = NULL;
	size_t cb = 0;
	HRESULT hr = mapix_file_read_locked(dpath, &text, &cb);
	free(dpath);
	if (hr == MAPI_E_NOT_FOUND)
		return mapix_error(MAPI_E_NOT_FOUND, "no default profile is set");
	if (FAILED(hr))
		return hr;
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (!*text || !mapix_profile_exists(profile_dir, text)) {
		free(text);
		return mapix_error(MAPI_E_NOT_FOUND, "no default profile is set");
	}
	*lppName = text;
	return S_OK;
}

HRESULT mapix_profile_set_default(const char *profile_dir, const char *name)
{
	char *dpath = default_path(profile_dir);
	if (!dpath)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
	HRESULT hr;
	if (!name) {
		mapix_file_lock lk;
		if (SUCCEEDED(hr = mapix_file_lock_acquire(dpath, TRUE, &lk))) {
			hr = mapix_file_remove(dpath);
			if (hr == MAPI_E_NOT_FOUND)
				hr = S_OK;
			mapix_file_lock_release_remove(&lk);
		}
		free(dpath);
		return hr;
	}
	char *path;
	if (FAILED(hr = mapix_profile_path(profile_dir, name, &path))) {
		free(dpath);
		return hr;
	}
	/* Hold the profile's lock (it cannot be deleted or renamed meanwhile),
	 * then the record's. */
	mapix_file_lock lp, ld;
	if (!mapix_profile_exists(profile_dir, name)) {
		hr = mapix_error(MAPI_E_NOT_FOUND, "SetDefaultProfile: there is no profile named \"%s\"", name);
	} else if (SUCCEEDED(hr = mapix_file_lock_acquire(path, TRUE, &lp))) {
		struct stat st;
		if (stat(path, &st) != 0) {
			hr = mapix_error(MAPI_E_NOT_FOUND, "SetDefaultProfile: there is no profile named \"%s\"", name);
		} else if (SUCCEEDED(hr = mapix_file_lock_acquire(dpath, TRUE, &ld))) {
			size_t len = strlen(name);
			char *line = malloc(len + 2);
			if (!line) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
			} else {
				memcpy(line, name, len);
				line[len] = '\n';
				hr = mapix_file_write_atomic(dpath, line, len + 1);
				free(line);
			}
			mapix_file_lock_release(&ld);
		}
		release_for(&lp, path);
	}
	free(path);
	free(dpath);
	return hr;
}
