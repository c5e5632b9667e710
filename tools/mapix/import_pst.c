/*
 * import_pst.c — the PST/OST source of `mapix import`, through libpff.
 *
 * Opens the file read-only, reads the PST's message store object for its
 * provider UID (PR_RECORD_KEY: the UID inside the file's own entry IDs)
 * and the entry IDs of its IPM subtree, Deleted Items, Sent Items and
 * search root, finds the Inbox, Drafts and Junk E-mail below the subtree,
 * walks the subtree (import_pst_folder.c) and then rewrites the entry IDs
 * that items hold of each other (import_pst_fixup.c).
 *
 * What libpff 20180714 (Debian 12) reads: PST and OST files, 32-bit (ANSI,
 * Outlook 97-2002) and 64-bit (Unicode, Outlook 2003 and later) layouts,
 * the 4 KiB-page 64-bit layout of Outlook 2013 OST files with their
 * compressed blocks, no, compressible and high encryption. Personal
 * address books (.pab) are refused: they hold no mail.
 *
 * A file that is not a PST, or whose header and indexes libpff cannot
 * read, is one error line and exit status 1; items inside a damaged file
 * that libpff cannot read are skipped one by one and counted.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mapix/mapiutil.h>

#include "cli.h"
#include "import_pst_walk.h"

void pst_error_text(libpff_error_t **err, char *buf, size_t n)
{
	if (!err || !*err)
		return;
	if (buf && n) {
		/* libpff's backtrace runs from the cause to the outermost call
		 * ("libpff_file_open: unable to open file"): the first line says
		 * why, without the name of the function that noticed. */
		char text[4096] = "";
		libpff_error_backtrace_sprint(*err, text, sizeof text);
		char *nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		const char *why = text;
		const char *colon = strstr(text, ": ");
		if (strncmp(text, "lib", 3) == 0 && colon && !memchr(text, ' ', (size_t)(colon - text)))
			why = colon + 2;
		size_t len = strlen(why);
		while (len && (why[len - 1] == '.' || why[len - 1] == '\r'))
			len--;
		snprintf(buf, n, "%.*s", (int)len, why);
	}
	libpff_error_free(err);
}

/* ---- one property of an item ------------------------------------------------------------- */

static libpff_record_entry_t *item_entry(libpff_item_t *item, uint32_t prop_id)
{
	libpff_error_t *err = NULL;
	libpff_record_set_t *rs = NULL;
	libpff_record_entry_t *entry = NULL;
	if (libpff_item_get_record_set_by_index(item, 0, &rs, &err) == 1)
		if (libpff_record_set_get_entry_by_type(rs, prop_id, 0, &entry, LIBPFF_ENTRY_VALUE_FLAG_MATCH_ANY_VALUE_TYPE,
		                                        &err) != 1)
			entry = NULL;
	libpff_error_free(&err);
	if (rs)
		libpff_record_set_free(&rs, NULL);
	return entry;
}

BOOL pst_item_raw(libpff_item_t *item, uint32_t prop_id, BYTE **data, size_t *size)
{
	libpff_error_t *err = NULL;
	libpff_record_entry_t *entry = item_entry(item, prop_id);
	BOOL ok = FALSE;
	*data = NULL;
	*size = 0;
	if (!entry)
		return FALSE;
	if (libpff_record_entry_get_data_size(entry, size, &err) == 1 && *size <= PST_STREAM_MIN) {
		*data = malloc(*size ? *size : 1);
		ok = *data && (*size == 0 || libpff_record_entry_get_data(entry, *data, *size, &err) == 1);
		if (!ok) {
			free(*data);
			*data = NULL;
		}
	}
	libpff_error_free(&err);
	libpff_record_entry_free(&entry, NULL);
	return ok;
}

BOOL pst_item_long(libpff_item_t *item, uint32_t prop_id, uint32_t *value)
{
	BYTE *data;
	size_t size;
	if (!pst_item_raw(item, prop_id, &data, &size))
		return FALSE;
	BOOL ok = size >= 4;
	if (ok)
		*value = (uint32_t)data[0] | ((uint32_t)data[1] << 8) | ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 24);
	free(data);
	return ok;
}

char *pst_item_utf8(pst_import *pi, libpff_item_t *item, uint32_t prop_id)
{
	libpff_error_t *err = NULL;
	libpff_record_entry_t *entry = item_entry(item, prop_id);
	uint32_t type = 0;
	BYTE *data = NULL;
	size_t size = 0;
	char *s = NULL;
	if (!entry)
		return NULL;
	if (libpff_record_entry_get_value_type(entry, &type, &err) == 1 && (type == PT_STRING8 || type == PT_UNICODE)) {
		libpff_record_entry_free(&entry, NULL);
		if (pst_item_raw(item, prop_id, &data, &size)) {
			LPSPropValue v = NULL;
			if (SUCCEEDED(MAPIAllocateBuffer(sizeof *v, (LPVOID *)&v)) &&
			    pst_value_from_raw(PROP_TAG(type, prop_id), data, size, pi->codepage, v, v) == S_OK) {
				if (type == PT_STRING8) {
					s = strdup(v->Value.lpszA);
				} else {
					size_t n = mapix_utf16_to_utf8_buf(v->Value.lpszW, mapix_wcslen(v->Value.lpszW), NULL, 0);
					if ((s = malloc(n + 1)))
						mapix_utf16_to_utf8_buf(v->Value.lpszW, mapix_wcslen(v->Value.lpszW), s, n + 1);
				}
			}
			MAPIFreeBuffer(v);
			free(data);
		}
	} else {
		libpff_record_entry_free(&entry, NULL);
	}
	libpff_error_free(&err);
	return s;
}

/* ---- the store object and the special folders ----------------------------------------------- */

/* A node id from a PST entry ID property of item, when the entry ID is this
 * file's (entry IDs with another store's UID are stale copies). */
static uint32_t eid_nid(pst_import *pi, libpff_item_t *item, uint32_t prop_id)
{
	BYTE *data;
	size_t size;
	uint32_t nid = 0;
	if (pi->have_uid && pst_item_raw(item, prop_id, &data, &size)) {
		if (!pst_eid_parse(data, size, pi->uid, &nid))
			nid = 0;
		free(data);
	}
	return nid;
}

static void read_store(pst_import *pi)
{
	libpff_error_t *err = NULL;
	libpff_item_t *store = NULL;
	BYTE *data;
	size_t size;
	if (libpff_file_get_message_store(pi->file, &store, &err) != 1 || !store) {
		libpff_error_free(&err);
		return;
	}
	if (pst_item_raw(store, PROP_ID(PR_RECORD_KEY), &data, &size)) {
		if (size == 16) {
			memcpy(pi->uid, data, 16);
			pi->have_uid = TRUE;
		}
		free(data);
	}
	pi->nid_subtree = eid_nid(pi, store, PROP_ID(PR_IPM_SUBTREE_ENTRYID));
	pi->nid_wastebasket = eid_nid(pi, store, PROP_ID(PR_IPM_WASTEBASKET_ENTRYID));
	pi->nid_sent = eid_nid(pi, store, PROP_ID(PR_IPM_SENTMAIL_ENTRYID));
	pi->nid_finder = eid_nid(pi, store, PROP_ID(PR_FINDER_ENTRYID));
	libpff_item_free(&store, NULL);
}

/* The subtree folder among the root folder's children: by the store's entry
 * ID, else by the names Outlook gives it. */
static libpff_item_t *find_subtree(pst_import *pi, libpff_item_t *root)
{
	static const char *const names[] = {"Top of Personal Folders", "Top of Outlook data file",
	                                    "Top of Information Store"};
	libpff_error_t *err = NULL;
	int n = 0;
	libpff_item_t *found = NULL;
	if (libpff_folder_get_number_of_sub_folders(root, &n, &err) != 1)
		n = 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (int i = 0; i < n && !found; i++) {
			libpff_item_t *sub = NULL;
			uint32_t nid = 0;
			if (libpff_folder_get_sub_folder(root, i, &sub, &err) != 1 ||
			    libpff_item_get_identifier(sub, &nid, &err) != 1) {
				libpff_error_free(&err);
				if (sub)
					libpff_item_free(&sub, NULL);
				continue;
			}
			BOOL match = FALSE;
			if (pass == 0) {
				match = pi->nid_subtree && nid == pi->nid_subtree;
			} else {
				char *name = pst_item_utf8(pi, sub, PROP_ID(PR_DISPLAY_NAME));
				for (size_t k = 0; name && k < sizeof names / sizeof names[0]; k++)
					match = match || strcasecmp(name, names[k]) == 0;
				free(name);
			}
			if (match) {
				found = sub;
				pi->nid_subtree = nid;
			} else {
				libpff_item_free(&sub, NULL);
			}
		}
	}
	libpff_error_free(&err);
	return found;
}

/* The Inbox, Drafts and Junk E-mail below the subtree. Outlook marks its
 * Inbox with the special folders' entry IDs (PR_IPM_APPOINTMENT_ENTRYID and
 * friends, MS-OXOSFLD 2.2.2) and keeps the same entry IDs on the root
 * folder: PR_IPM_DRAFTS_ENTRYID names Drafts, PR_ADDITIONAL_REN_ENTRYIDS[4]
 * Junk E-mail. Entry IDs that carry another store's UID (a PST copied from
 * another profile keeps them) are ignored, and the folders' usual English
 * names decide instead; so do they for Sent and Deleted Items when the
 * store object does not say. */
static void find_specials(pst_import *pi, libpff_item_t *root, libpff_item_t *subtree)
{
	libpff_error_t *err = NULL;
	int n = 0;
	if (libpff_folder_get_number_of_sub_folders(subtree, &n, &err) != 1)
		n = 0;
	libpff_error_free(&err);

	/* Drafts and junk from the root folder first, then from the Inbox. */
	libpff_item_t *holders[2] = {root, NULL};
	uint32_t inbox_by_name = 0, drafts_by_name = 0, junk_by_name = 0, sent_by_name = 0, deleted_by_name = 0;
	for (int i = 0; i < n; i++) {
		libpff_item_t *sub = NULL;
		uint32_t nid = 0;
		if (libpff_folder_get_sub_folder(subtree, i, &sub, &err) != 1 ||
		    libpff_item_get_identifier(sub, &nid, &err) != 1) {
			libpff_error_free(&err);
			if (sub)
				libpff_item_free(&sub, NULL);
			continue;
		}
		BYTE *data;
		size_t size;
		if (!pi->nid_inbox && pst_item_raw(sub, PROP_ID(PR_IPM_APPOINTMENT_ENTRYID), &data, &size)) {
			free(data);
			pi->nid_inbox = nid;
			holders[1] = sub;
			sub = NULL;
		} else {
			char *name = pst_item_utf8(pi, sub, PROP_ID(PR_DISPLAY_NAME));
			if (name) {
				if (!inbox_by_name && strcasecmp(name, "Inbox") == 0)
					inbox_by_name = nid;
				else if (!drafts_by_name && strcasecmp(name, "Drafts") == 0)
					drafts_by_name = nid;
				else if (!junk_by_name && (strcasecmp(name, "Junk E-mail") == 0 || strcasecmp(name, "Junk Email") == 0))
					junk_by_name = nid;
				else if (!sent_by_name && strcasecmp(name, "Sent Items") == 0)
					sent_by_name = nid;
				else if (!deleted_by_name && strcasecmp(name, "Deleted Items") == 0)
					deleted_by_name = nid;
			}
			free(name);
		}
		if (sub)
			libpff_item_free(&sub, NULL);
	}
	for (int h = 0; h < 2; h++) {
		if (!holders[h])
			continue;
		if (!pi->nid_drafts)
			pi->nid_drafts = eid_nid(pi, holders[h], PROP_ID(PR_IPM_DRAFTS_ENTRYID));
		BYTE *data;
		size_t size;
		if (!pi->nid_junk && pst_item_raw(holders[h], PROP_ID(PR_ADDITIONAL_REN_ENTRYIDS), &data, &size)) {
			SPropValue *v = NULL;
			if (SUCCEEDED(MAPIAllocateBuffer(sizeof *v, (LPVOID *)&v)) &&
			    pst_value_from_raw(PR_ADDITIONAL_REN_ENTRYIDS, data, size, pi->codepage, v, v) == S_OK &&
			    v->Value.MVbin.cValues > 4 &&
			    !pst_eid_parse(v->Value.MVbin.lpbin[4].lpb, v->Value.MVbin.lpbin[4].cb, pi->uid, &pi->nid_junk))
				pi->nid_junk = 0;
			MAPIFreeBuffer(v);
			free(data);
		}
	}
	if (holders[1])
		libpff_item_free(&holders[1], NULL);
	if (!pi->nid_inbox)
		pi->nid_inbox = inbox_by_name;
	if (!pi->nid_drafts)
		pi->nid_drafts = drafts_by_name;
	if (!pi->nid_junk)
		pi->nid_junk = junk_by_name;
	if (!pi->nid_sent)
		pi->nid_sent = sent_by_name;
	if (!pi->nid_wastebasket)
		pi->nid_wastebasket = deleted_by_name;
}

/* ---- the source ---------------------------------------------------------------------------- */

int import_pst(import_engine *eng, const char *path)
{
	libpff_error_t *err = NULL;
	char why[512] = "";
	char real[PATH_MAX];
	pst_import pi = {.eng = eng, .path = path, .codepage = PST_DEFAULT_CODEPAGE};
	libpff_item_t *root = NULL, *subtree = NULL;
	struct stat st;
	int rc = CLI_EXIT_OK;

	if (!realpath(path, real) || stat(real, &st) != 0)
		return cli_error("import: %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cli_error("import: %s: not a PST or OST file (not a regular file)", path);
	int sig = libpff_check_file_signature(real, &err);
	if (sig != 1) {
		pst_error_text(&err, why, sizeof why);
		return cli_error("import: %s: not a PST or OST file%s%s", path, why[0] ? ": " : "", why);
	}
	pi.realpath = real;
	pi.mdb = import_store(eng);
	if (libpff_file_initialize(&pi.file, &err) != 1 || libpff_file_open(pi.file, real, LIBPFF_OPEN_READ, &err) != 1) {
		pst_error_text(&err, why, sizeof why);
		rc = cli_error("import: %s: cannot read the PST file%s%s", path, why[0] ? ": " : "", why);
		goto out;
	}
	uint8_t content = 0;
	if (libpff_file_get_content_type(pi.file, &content, &err) == 1 && content == LIBPFF_FILE_CONTENT_TYPE_PAB) {
		rc = cli_error("import: %s: a personal address book (PAB), not a mail file", path);
		goto out;
	}
	libpff_error_free(&err);
	int cp = 0;
	if (libpff_file_get_ascii_codepage(pi.file, &cp, &err) == 1 && pst_codepage_name(cp))
		pi.codepage = cp;
	libpff_error_free(&err);

	read_store(&pi);
	if (libpff_file_get_root_folder(pi.file, &root, &err) != 1 || !root) {
		pst_error_text(&err, why, sizeof why);
		rc = cli_error("import: %s: the PST's folders cannot be read%s%s", path, why[0] ? ": " : "", why);
		goto out;
	}
	subtree = find_subtree(&pi, root);
	if (!subtree) {
		rc = cli_error("import: %s: the PST has no folder of personal items (IPM subtree)", path);
		goto out;
	}
	find_specials(&pi, root, subtree);

	import_add_total(eng, (uint64_t)st.st_size);
	pst_walk(&pi, subtree);
	if (!import_stopped(eng))
		pst_fixup(&pi);
out:
	libpff_error_free(&err);
	if (subtree)
		libpff_item_free(&subtree, NULL);
	if (root)
		libpff_item_free(&root, NULL);
	if (pi.file) {
		libpff_file_close(pi.file, NULL);
		libpff_file_free(&pi.file, NULL);
	}
	pst_nodes_free(&pi);
	free(pi.named);
	return rc;
}
