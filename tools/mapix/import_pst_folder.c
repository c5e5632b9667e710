/*
 * import_pst_folder.c — walking the PST's folder tree below its IPM
 * subtree ("Top of Personal Folders") and importing each folder's
 * messages.
 *
 * Each PST folder becomes the folder at the same relative path below the
 * import's target (import_folder); the PST's special folders (Inbox, Sent
 * Items, Deleted Items, Drafts, Junk E-mail, found by import_pst.c) map
 * onto the store's own, and their subfolders follow them there. The
 * folder's PR_CONTAINER_CLASS (IPF.Contact, IPF.Appointment...) goes to
 * folders the engine creates. Search folders are left out: their contents
 * are the results of a query over other folders, not items. Folder
 * associated contents (views, rules, forms of the PST's Outlook) are left
 * out too.
 *
 * Every message is identified as "pst:<realpath>:<node id>" (node ids are
 * stable for the life of a PST), so a second run skips what the first
 * imported. An item libpff cannot read is reported with its folder path
 * and node id and skipped; the walk goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "import_pst_walk.h"

/* A folder's name as a relpath component: '/' separates components, so a
 * slash (and the backslash that escapes it) inside a name is escaped as
 * import_folder reads it. An empty or unreadable name gets one from the
 * node id. The second result is the name as shown in messages. */
static char *component(libpff_item_t *folder, uint32_t nid, char **shown)
{
	libpff_error_t *err = NULL;
	size_t n = 0;
	char *name = NULL, *esc = NULL;
	*shown = NULL;
	if (libpff_folder_get_utf8_name_size(folder, &n, &err) == 1 && n > 1 && n < 4096 && (name = malloc(n)) &&
	    libpff_folder_get_utf8_name(folder, (uint8_t *)name, n, &err) == 1) {
		name[n - 1] = '\0';
	} else {
		free(name);
		name = NULL;
	}
	libpff_error_free(&err);
	if (!name || !name[0]) {
		free(name);
		if (!(name = malloc(32)))
			return NULL;
		snprintf(name, 32, "folder %u", (unsigned)nid);
	}
	if (!(esc = malloc(2 * strlen(name) + 1))) {
		free(name);
		return NULL;
	}
	char *o = esc;
	for (const char *p = name; *p; p++) {
		if (*p == '/' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	*shown = name;
	return esc;
}

static char *join(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 2);
	if (!s)
		return NULL;
	memcpy(s, a, na);
	size_t k = na;
	if (na)
		s[k++] = '/';
	memcpy(s + k, b, nb + 1);
	return s;
}

static import_folder_kind special_kind(const pst_import *pi, uint32_t nid)
{
	if (nid == pi->nid_inbox)
		return IMPORT_FOLDER_INBOX;
	if (nid == pi->nid_sent)
		return IMPORT_FOLDER_SENT;
	if (nid == pi->nid_wastebasket)
		return IMPORT_FOLDER_DELETED;
	if (nid == pi->nid_drafts)
		return IMPORT_FOLDER_DRAFTS;
	if (nid == pi->nid_junk)
		return IMPORT_FOLDER_JUNK;
	return IMPORT_FOLDER_PLAIN;
}

static void import_one(pst_import *pi, libpff_item_t *item, LPMAPIFOLDER target, const char *where)
{
	libpff_error_t *err = NULL;
	uint32_t nid = 0, size = 0;
	char location[4096 + 64], source[4096 + 32], why[512] = "";
	LPMESSAGE msg = NULL;

	if (libpff_item_get_identifier(item, &nid, &err) != 1) {
		pst_error_text(&err, why, sizeof why);
		import_skip(pi->eng, where, "a message without a node id: %s", why);
		return;
	}
	snprintf(location, sizeof location, "%s (node %u)", where, (unsigned)nid);
	snprintf(source, sizeof source, "pst:%s:%u", pi->realpath, (unsigned)nid);
	pst_item_long(item, PROP_ID(PR_MESSAGE_SIZE), &size);

	/* Contacts and lists are what a list's members point at; lists are
	 * what the second pass rewrites. */
	char *cls = pst_item_utf8(pi, item, PROP_ID(PR_MESSAGE_CLASS));
	BOOL is_dl = cls && strncasecmp(cls, "IPM.DistList", 12) == 0;
	BOOL is_contact = cls && strncasecmp(cls, "IPM.Contact", 11) == 0;
	free(cls);

	if (import_seen(pi->eng, target, source)) {
		import_count_existing(pi->eng, size);
	} else {
		HRESULT hr = IMAPIFolder_CreateMessage(target, NULL, 0, &msg);
		if (FAILED(hr)) {
			import_skip(pi->eng, location, "CreateMessage: %s", MAPIXGetLastErrorText());
			return;
		}
		hr = pst_copy_message(pi, item, msg, 0, location, why, sizeof why);
		if (FAILED(hr)) {
			import_skip(pi->eng, location, "%s", why[0] ? why : "unreadable");
			IMessage_Release(msg);
			return;
		}
		if (FAILED(import_commit_message(pi->eng, msg, source, size)))
			return;
	}
	if (is_dl || is_contact)
		pst_note_node(pi, nid, is_dl, target);
}

static void walk_folder(pst_import *pi, libpff_item_t *folder, LPMAPIFOLDER target, import_folder_kind kind,
                        const char *relpath, const char *shown, int depth);

/* The subfolders of folder. Below a special folder the kind is kept: the
 * engine reads the first component of relpath as the special folder and
 * the rest as the path below the store's own. */
static void walk_children(pst_import *pi, libpff_item_t *folder, import_folder_kind kind, const char *relpath,
                          const char *shown, int depth)
{
	libpff_error_t *err = NULL;
	char why[512] = "", where[4096];
	int n = 0;
	if (libpff_folder_get_number_of_sub_folders(folder, &n, &err) != 1) {
		pst_error_text(&err, why, sizeof why);
		snprintf(where, sizeof where, "%s:%s", pi->path, shown[0] ? shown : "/");
		import_skip(pi->eng, where, "subfolders unreadable: %s", why);
		return;
	}
	for (int i = 0; i < n && !import_stopped(pi->eng); i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_folder_get_sub_folder(folder, i, &sub, &err) != 1 ||
		    libpff_item_get_identifier(sub, &nid, &err) != 1) {
			pst_error_text(&err, why, sizeof why);
			snprintf(where, sizeof where, "%s:%s (subfolder %d)", pi->path, shown[0] ? shown : "/", i + 1);
			import_skip(pi->eng, where, "folder unreadable: %s", why);
			if (sub)
				libpff_item_free(&sub, NULL);
			continue;
		}
		uint32_t ftype = 0;
		if (PST_NID_TYPE(nid) == PST_NID_TYPE_SEARCH_FOLDER || nid == pi->nid_finder ||
		    (pst_item_long(sub, PROP_ID(PR_FOLDER_TYPE), &ftype) && ftype == FOLDER_SEARCH)) {
			libpff_item_free(&sub, NULL);
			continue;
		}
		char *name_shown = NULL;
		char *name = component(sub, nid, &name_shown);
		import_folder_kind sub_kind = depth == 0 ? special_kind(pi, nid) : kind;
		char *cls = pst_item_utf8(pi, sub, PROP_ID(PR_CONTAINER_CLASS));
		char *path = name ? join(relpath, name) : NULL;
		char *shown_path = name_shown ? join(shown, name_shown) : NULL;
		LPMAPIFOLDER tf = NULL;
		if (!path || !shown_path)
			import_skip(pi->eng, pi->path, "out of memory");
		/* import_folder reports its own failure; the subtree is left out. */
		else if (SUCCEEDED(import_folder(pi->eng, path, sub_kind, cls && cls[0] ? cls : NULL, &tf)))
			walk_folder(pi, sub, tf, sub_kind, path, shown_path, depth + 1);
		free(path);
		free(shown_path);
		free(cls);
		free(name);
		free(name_shown);
		libpff_item_free(&sub, NULL);
	}
}

static void walk_folder(pst_import *pi, libpff_item_t *folder, LPMAPIFOLDER target, import_folder_kind kind,
                        const char *relpath, const char *shown, int depth)
{
	libpff_error_t *err = NULL;
	char why[512] = "", where[4096];
	int n = 0;

	snprintf(where, sizeof where, "%s:%s", pi->path, shown[0] ? shown : "/");
	if (depth > PST_MAX_DEPTH) {
		import_skip(pi->eng, where, "folders nest deeper than %d levels", PST_MAX_DEPTH);
		return;
	}
	if (target) {
		if (libpff_folder_get_number_of_sub_messages(folder, &n, &err) != 1) {
			pst_error_text(&err, why, sizeof why);
			import_skip(pi->eng, where, "messages unreadable: %s", why);
			n = 0;
		}
		for (int i = 0; i < n && !import_stopped(pi->eng); i++) {
			libpff_item_t *item = NULL;
			if (libpff_folder_get_sub_message(folder, i, &item, &err) != 1) {
				pst_error_text(&err, why, sizeof why);
				char one[4200];
				snprintf(one, sizeof one, "%s (message %d)", where, i + 1);
				import_skip(pi->eng, one, "unreadable: %s", why);
				continue;
			}
			import_one(pi, item, target, where);
			libpff_item_free(&item, NULL);
		}
	}
	walk_children(pi, folder, kind, relpath, shown, depth);
}

void pst_walk(pst_import *pi, libpff_item_t *subtree)
{
	/* The subtree's own messages (rare: Outlook keeps none there) go to
	 * the target folder itself. */
	LPMAPIFOLDER top = NULL;
	if (FAILED(import_folder(pi->eng, "", IMPORT_FOLDER_PLAIN, NULL, &top)))
		top = NULL;
	walk_folder(pi, subtree, top, IMPORT_FOLDER_PLAIN, "", "", 0);
}
