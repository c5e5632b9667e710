/*
 * cmd_export.c — `mapix export`: folders of a mailbox to an EML tree, mbox
 * files (mboxrd) or a Maildir++ (export.h says how the formats divide the
 * work).
 *
 *   mapix export (--mailbox PATH | --profile NAME) [--folder F]
 *                [--format eml|mbox|maildir] [--no-recurse] [--append]
 *                [--quiet] DEST
 *
 * Without --folder the IPM subtree is exported: each of its folders at the
 * top of DEST. With --folder F, F itself is the top. Only IPM messages are
 * written (the normal contents table, so no folder-associated ones); a
 * message that cannot be read or converted is reported with its folder and
 * entry ID, counted and skipped (the exit status stays 0, as for import). Folders are walked one at a time and their
 * contents tables one page at a time, and the MIME writer streams large
 * values, so memory stays bounded whatever the size of the mailbox or of
 * one message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>
#include <mapix/mapitags.h>

#include "cli_progress.h"
#include "export.h"

#define PAGE_ROWS 100

typedef struct special_eids {
	SBinary eid[EXPORT_JUNK + 1]; /* indexed by export_special; MAPIAllocateBuffer'd */
} special_eids;

typedef struct walk {
	LPMDB mdb;
	export_run run;
	special_eids special;
	ULONG keywords_tag; /* PR_NULL when the store has no Keywords name */
	BOOL recurse, quiet;
	cli_progress progress;
	uint64_t messages, folders, skipped;
	/* the current path, as display names */
	char **names;
	int depth, cap;
	export_special top_kind;
} walk;

/* ---- the store's special folders -------------------------------------------------- */

static void take_eid(SBinary *dst, const SBinary *src)
{
	if (src->cb && MAPIAllocateBuffer(src->cb, (LPVOID *)&dst->lpb) == S_OK) {
		memcpy(dst->lpb, src->lpb, src->cb);
		dst->cb = src->cb;
	}
}

/* Finds the Inbox, Sent Items, Drafts, Deleted Items and Junk E-mail by
 * entry ID (MS-OXOSFLD); a store without one of them simply has none. */
static void find_special(LPMDB mdb, special_eids *sp)
{
	LPSPropValue v = NULL;
	ULONG cb = 0;
	LPENTRYID inbox_eid = NULL;
	LPMAPIFOLDER inbox = NULL;
	ULONG type = 0;

	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SENTMAIL_ENTRYID, &v)))
		take_eid(&sp->eid[EXPORT_SENT], &v->Value.bin);
	MAPIFreeBuffer(v);
	v = NULL;
	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_WASTEBASKET_ENTRYID, &v)))
		take_eid(&sp->eid[EXPORT_TRASH], &v->Value.bin);
	MAPIFreeBuffer(v);
	v = NULL;
	if (FAILED(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM", 0, &cb, &inbox_eid, NULL)) || !inbox_eid)
		return;
	SBinary b = {cb, (LPBYTE)inbox_eid};
	take_eid(&sp->eid[EXPORT_INBOX], &b);
	if (SUCCEEDED(IMsgStore_OpenEntry(mdb, cb, inbox_eid, NULL, 0, &type, (LPUNKNOWN *)&inbox))) {
		if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)inbox, PR_IPM_DRAFTS_ENTRYID, &v)))
			take_eid(&sp->eid[EXPORT_DRAFTS], &v->Value.bin);
		MAPIFreeBuffer(v);
		v = NULL;
		if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)inbox, PR_ADDITIONAL_REN_ENTRYIDS, &v)) &&
		    v->Value.MVbin.cValues > 4)
			take_eid(&sp->eid[EXPORT_JUNK], &v->Value.MVbin.lpbin[4]);
		MAPIFreeBuffer(v);
		IMAPIFolder_Release(inbox);
	}
	MAPIFreeBuffer(inbox_eid);
}

static export_special special_kind(walk *w, const SBinary *eid)
{
	for (int k = EXPORT_INBOX; k <= EXPORT_JUNK; k++) {
		const SBinary *s = &w->special.eid[k];
		ULONG result = 0;
		if (s->cb && SUCCEEDED(IMsgStore_CompareEntryIDs(w->mdb, s->cb, (LPENTRYID)s->lpb, eid->cb,
		                                                 (LPENTRYID)eid->lpb, 0, &result)) &&
		    result)
			return (export_special)k;
	}
	return EXPORT_PLAIN;
}

/* The property tag of the categories (PidNameKeywords: PS_PUBLIC_STRINGS
 * "Keywords", PT_MV_UNICODE), PR_NULL when the store never named it. */
static ULONG keywords_tag(LPMDB mdb)
{
	MAPINAMEID name = {(LPGUID)&PS_PUBLIC_STRINGS, MNID_STRING, {.lpwstrName = (LPWSTR)u"Keywords"}};
	LPMAPINAMEID names[1] = {&name};
	LPSPropTagArray tags = NULL;
	ULONG tag = PR_NULL;
	if (SUCCEEDED(IMsgStore_GetIDsFromNames(mdb, 1, names, 0, &tags)) && tags && tags->cValues == 1 &&
	    PROP_TYPE(tags->aulPropTag[0]) != PT_ERROR && PROP_ID(tags->aulPropTag[0]) != 0)
		tag = PROP_TAG(PT_MV_UNICODE, PROP_ID(tags->aulPropTag[0]));
	MAPIFreeBuffer(tags);
	return tag;
}

/* ---- messages --------------------------------------------------------------------- */

enum {
	M_FLAGS,
	M_STATUS,
	M_FLAG_STATUS,
	M_VERB,
	M_DELIVERY,
	M_SUBMIT,
	M_CREATION,
	M_S_SMTP,
	M_S_EMAIL,
	M_S_TYPE,
	M_SR_SMTP,
	M_KEYWORDS,
	M_COUNT
};

static const char *utf8_of(LPSPropValue v, ULONG tag, char **keep)
{
	if (v->ulPropTag != tag || !v->Value.lpszW)
		return NULL;
	if (mapix_utf16_to_utf8(v->Value.lpszW, NULL, keep) != S_OK)
		return NULL;
	return *keep;
}

static char *folder_label(walk *w)
{
	cli_buf b = {0};
	for (int i = 0; i < w->depth; i++)
		cli_buf_addf(&b, "%s%s", i ? "/" : "", w->names[i]);
	return b.text ? b.text : strdup("");
}

static void report_skip(walk *w, const SBinary *eid, HRESULT hr)
{
	char *label = folder_label(w);
	cli_buf what = {0};
	cli_buf_addf(&what, "export: %s: message ", label ? label : "?");
	for (ULONG i = 0; i < eid->cb; i++)
		cli_buf_addf(&what, "%02X", eid->lpb[i]);
	cli_fail(cli_buf_str(&what), hr);
	cli_buf_free(&what);
	free(label);
	w->skipped++;
}

static const ULONG all_tags[M_COUNT] = {
	PR_MESSAGE_FLAGS,          PR_MSG_STATUS,         PR_FLAG_STATUS,   PR_LAST_VERB_EXECUTED,
	PR_MESSAGE_DELIVERY_TIME,  PR_CLIENT_SUBMIT_TIME, PR_CREATION_TIME, PR_SENDER_SMTP_ADDRESS_W,
	PR_SENDER_EMAIL_ADDRESS_W, PR_SENDER_ADDRTYPE_W,  PR_SENT_REPRESENTING_SMTP_ADDRESS_W, PR_NULL};

/* The contents table's first columns; the format's follow (at[]). */
enum { C_EID, C_CLASS, C_FIRST };

/* The columns of one folder's contents table: the entry ID, the class and
 * what the format reads of a message, so that the message is opened only
 * for its MIME form. The envelope's fallbacks (submit and creation time,
 * the sender's other addresses) are not columns: mail converted from MIME
 * has the delivery time and the sender's SMTP address, so they are asked
 * of the message only when a row lacks those.
 *
 * PR_INTERNET_CONTENT is no column: a table cuts long values (the local
 * store's to 255 bytes, MS-OXCDATA's limit), so a row can only say that
 * a message kept its original, never give it, and reading it for the row
 * costs the store the whole value. export_write_mime streams it instead. */
typedef struct export_columns {
	SizedSPropTagArray(C_FIRST + M_COUNT, tags);
	int at[M_COUNT]; /* column of each M_*, or -1 */
} export_columns;

static void make_columns(walk *w, export_columns *c)
{
	unsigned needs = w->run.format->needs;
	c->tags.cValues = 0;
	c->tags.aulPropTag[c->tags.cValues++] = PR_ENTRYID;
	c->tags.aulPropTag[c->tags.cValues++] = PR_MESSAGE_CLASS_W;
	for (int i = 0; i < M_COUNT; i++) {
		BOOL flags = i < M_DELIVERY || i == M_KEYWORDS;
		BOOL fallback = i == M_SUBMIT || i == M_CREATION || i == M_S_EMAIL || i == M_S_TYPE || i == M_SR_SMTP;
		ULONG tag = i == M_KEYWORDS ? w->keywords_tag : all_tags[i];
		c->at[i] = -1;
		if (tag != PR_NULL && !fallback && (needs & (flags ? EXPORT_NEEDS_FLAGS : EXPORT_NEEDS_ENVELOPE))) {
			c->at[i] = (int)c->tags.cValues;
			c->tags.aulPropTag[c->tags.cValues++] = tag;
		}
	}
}

/* Writes the message of one contents table row (whose columns c says);
 * returns 1 when the export must stop. Only writing the MIME form opens
 * the message; its other values come from the row. */
static int export_one(walk *w, LPMAPIFOLDER folder, const export_columns *c, LPSPropValue row)
{
	const SBinary *eid = &row[C_EID].Value.bin;
	ULONG type = 0;
	LPMESSAGE msg = NULL;
	SPropValue v[M_COUNT];
	LPSPropValue got2 = NULL;
	char *sender = NULL, *tmp = NULL, **keywords = NULL;
	int fatal = 0;
	SizedSPropTagArray(M_COUNT, tags2) = {0, {0}};
	int at2[M_COUNT];
	unsigned needs = w->run.format->needs;

	for (int i = 0; i < M_COUNT; i++) {
		v[i].ulPropTag = PR_NULL;
		if (c->at[i] >= 0)
			v[i] = row[c->at[i]];
		at2[i] = -1;
	}

	HRESULT hr = IMAPIFolder_OpenEntry(folder, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&msg);
	if (SUCCEEDED(hr) && type != MAPI_MESSAGE)
		hr = MAPI_E_INVALID_ENTRYID;
	if (SUCCEEDED(hr) && (needs & EXPORT_NEEDS_ENVELOPE)) {
		BOOL no_time = PROP_TYPE(v[M_DELIVERY].ulPropTag) != PT_SYSTIME;
		BOOL no_smtp = v[M_S_SMTP].ulPropTag != PR_SENDER_SMTP_ADDRESS_W;
		static const int time_fallbacks[] = {M_SUBMIT, M_CREATION};
		static const int addr_fallbacks[] = {M_S_EMAIL, M_S_TYPE, M_SR_SMTP};
		for (size_t k = 0; no_time && k < sizeof time_fallbacks / sizeof time_fallbacks[0]; k++) {
			at2[time_fallbacks[k]] = (int)tags2.cValues;
			tags2.aulPropTag[tags2.cValues++] = all_tags[time_fallbacks[k]];
		}
		for (size_t k = 0; no_smtp && k < sizeof addr_fallbacks / sizeof addr_fallbacks[0]; k++) {
			at2[addr_fallbacks[k]] = (int)tags2.cValues;
			tags2.aulPropTag[tags2.cValues++] = all_tags[addr_fallbacks[k]];
		}
		ULONG n2 = 0;
		if (tags2.cValues && SUCCEEDED(hr = IMessage_GetProps(msg, (LPSPropTagArray)&tags2, MAPI_UNICODE, &n2, &got2)))
			for (int i = 0; i < M_COUNT; i++)
				if (at2[i] >= 0 && (ULONG)at2[i] < n2)
					v[i] = got2[at2[i]];
	}
	if (FAILED(hr)) {
		report_skip(w, eid, hr);
		goto out;
	}
	export_message m = {.msg = msg};
	m.message_flags = v[M_FLAGS].ulPropTag == PR_MESSAGE_FLAGS ? (ULONG)v[M_FLAGS].Value.l : 0;
	m.msg_status = v[M_STATUS].ulPropTag == PR_MSG_STATUS ? (ULONG)v[M_STATUS].Value.l : 0;
	m.flag_status = v[M_FLAG_STATUS].ulPropTag == PR_FLAG_STATUS ? v[M_FLAG_STATUS].Value.l : 0;
	m.last_verb = v[M_VERB].ulPropTag == PR_LAST_VERB_EXECUTED ? v[M_VERB].Value.l : 0;
	for (int i = M_DELIVERY; i <= M_CREATION; i++)
		if (PROP_TYPE(v[i].ulPropTag) == PT_SYSTIME) {
			m.when = (time_t)mapix_filetime_to_unix(v[i].Value.ft, NULL);
			break;
		}
	m.sender = utf8_of(&v[M_S_SMTP], PR_SENDER_SMTP_ADDRESS_W, &sender);
	if (!m.sender) {
		const char *type_s = utf8_of(&v[M_S_TYPE], PR_SENDER_ADDRTYPE_W, &tmp);
		BOOL smtp = type_s && !strcmp(type_s, "SMTP");
		MAPIFreeBuffer(tmp);
		tmp = NULL;
		m.sender = utf8_of(&v[M_S_EMAIL], PR_SENDER_EMAIL_ADDRESS_W, &sender);
		if (m.sender && !smtp && !strchr(m.sender, '@')) {
			MAPIFreeBuffer(sender);
			sender = NULL;
			m.sender = NULL;
		}
	}
	if (!m.sender)
		m.sender = utf8_of(&v[M_SR_SMTP], PR_SENT_REPRESENTING_SMTP_ADDRESS_W, &sender);
	if (w->keywords_tag != PR_NULL && v[M_KEYWORDS].ulPropTag == w->keywords_tag) {
		ULONG k = v[M_KEYWORDS].Value.MVszW.cValues;
		keywords = calloc(k ? k : 1, sizeof *keywords);
		for (ULONG i = 0; keywords && i < k; i++)
			if (mapix_utf16_to_utf8(v[M_KEYWORDS].Value.MVszW.lppszW[i], NULL, &keywords[m.nkeywords]) == S_OK)
				m.nkeywords++;
		m.keywords = (const char *const *)keywords;
	}
	char *label = folder_label(w);
	m.folder_label = label;
	uint64_t before = w->run.bytes;
	hr = w->run.format->write_message(&w->run, &m, &fatal);
	free(label);
	if (hr == S_OK) {
		w->messages++;
		if (!w->quiet)
			cli_progress_step(&w->progress, w->run.bytes - before);
	} else if (!fatal) {
		report_skip(w, eid, hr);
	}
out:
	if (keywords) {
		for (ULONG i = 0; i < v[M_KEYWORDS].Value.MVszW.cValues && keywords[i]; i++)
			MAPIFreeBuffer(keywords[i]);
		free(keywords);
	}
	MAPIFreeBuffer(sender);
	MAPIFreeBuffer(got2);
	if (msg)
		IMessage_Release(msg);
	return fatal;
}

/* IPM.* (and IPM itself); reports and the like are not mail to export. */
static BOOL is_ipm(LPSPropValue v)
{
	if (PROP_TYPE(v->ulPropTag) != PT_UNICODE || !v->Value.lpszW)
		return TRUE; /* no class: treated as IPM.Note */
	const WCHAR *c = v->Value.lpszW;
	static const char ipm[] = "IPM";
	for (int i = 0; i < 3; i++)
		if ((c[i] | 0x20) != (ipm[i] | 0x20))
			return FALSE;
	return c[3] == 0 || c[3] == '.';
}

/* Writes the folder's messages; returns 1 when the export must stop. */
static int export_messages(walk *w, LPMAPIFOLDER folder)
{
	export_columns cols;
	make_columns(w, &cols);
	LPMAPITABLE table = NULL;
	HRESULT hr = IMAPIFolder_GetContentsTable(folder, MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(table, (LPSPropTagArray)&cols.tags, 0);
	int stop = 0;
	while (SUCCEEDED(hr) && !stop) {
		LPSRowSet rows = NULL;
		if (FAILED(hr = IMAPITable_QueryRows(table, PAGE_ROWS, 0, &rows)))
			break;
		ULONG count = rows->cRows;
		for (ULONG i = 0; i < count && !stop; i++) {
			LPSPropValue r = rows->aRow[i].lpProps;
			if (rows->aRow[i].cValues < cols.tags.cValues || r[C_EID].ulPropTag != PR_ENTRYID ||
			    !is_ipm(&r[C_CLASS]))
				continue;
			stop = export_one(w, folder, &cols, r);
		}
		FreeProws(rows);
		if (count == 0)
			break;
	}
	if (table)
		IMAPITable_Release(table);
	if (FAILED(hr)) {
		char *label = folder_label(w);
		cli_buf what = {0};
		cli_buf_addf(&what, "export: %s", label ? label : "?");
		cli_fail(cli_buf_str(&what), hr);
		cli_buf_free(&what);
		free(label);
		return 1;
	}
	return stop;
}

/* ---- folders ---------------------------------------------------------------------- */

static int push_name(walk *w, const WCHAR *name)
{
	if (w->depth == w->cap) {
		int cap = w->cap ? 2 * w->cap : 16;
		char **grown = realloc(w->names, (size_t)cap * sizeof *grown);
		if (!grown)
			return cli_error("export: out of memory");
		w->names = grown;
		w->cap = cap;
	}
	char *s = NULL;
	if (mapix_utf16_to_utf8(name ? name : (const WCHAR *)u"", NULL, &s) != S_OK)
		return cli_error("export: out of memory");
	w->names[w->depth++] = s;
	return 0;
}

static void pop_name(walk *w)
{
	MAPIFreeBuffer(w->names[--w->depth]);
}

/* Exports folder (whose name is on top of w->names) and, with recursion,
 * its subfolders. write_self is FALSE for the implicit IPM subtree, whose
 * own messages (if any) are exported only when it has some. */
static int export_folder_tree(walk *w, LPMAPIFOLDER folder, const SBinary *eid, BOOL write_self)
{
	int rc = 0;
	if (write_self) {
		export_folder f = {(const char *const *)w->names, w->depth, w->top_kind,
		                   eid && special_kind(w, eid) == EXPORT_INBOX};
		if ((rc = w->run.format->open_folder(&w->run, &f)) != 0)
			return rc;
		w->folders++;
		rc = export_messages(w, folder);
		int crc = w->run.format->close_folder(&w->run);
		if (rc || crc)
			return 1;
	}
	if (!w->recurse && write_self)
		return 0;

	static const SizedSPropTagArray(3, cols) = {3, {PR_ENTRYID, PR_DISPLAY_NAME_W, PR_FOLDER_TYPE}};
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	HRESULT hr = IMAPIFolder_GetHierarchyTable(folder, MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (table)
		IMAPITable_Release(table);
	if (FAILED(hr)) {
		char *label = folder_label(w);
		cli_buf what = {0};
		cli_buf_addf(&what, "export: %s", label && *label ? label : "/");
		rc = cli_fail(cli_buf_str(&what), hr);
		cli_buf_free(&what);
		free(label);
		return rc;
	}
	for (ULONG i = 0; i < rows->cRows && rc == 0; i++) {
		LPSPropValue r = rows->aRow[i].lpProps;
		if (r[0].ulPropTag != PR_ENTRYID || (r[2].ulPropTag == PR_FOLDER_TYPE && r[2].Value.l == FOLDER_SEARCH))
			continue;
		LPMAPIFOLDER child = NULL;
		ULONG type = 0;
		hr = IMAPIFolder_OpenEntry(folder, r[0].Value.bin.cb, (LPENTRYID)r[0].Value.bin.lpb, NULL, 0, &type,
		                           (LPUNKNOWN *)&child);
		if (FAILED(hr)) {
			cli_buf what = {0};
			cli_buf_add(&what, "export: ", 8);
			char *label = folder_label(w);
			cli_buf_addf(&what, "%s%s", label ? label : "", label && *label ? "/" : "");
			free(label);
			char *n = NULL;
			if (r[1].ulPropTag == PR_DISPLAY_NAME_W && mapix_utf16_to_utf8(r[1].Value.lpszW, NULL, &n) == S_OK)
				cli_buf_add(&what, n, strlen(n));
			MAPIFreeBuffer(n);
			rc = cli_fail(cli_buf_str(&what), hr);
			cli_buf_free(&what);
			break;
		}
		if ((rc = push_name(w, r[1].ulPropTag == PR_DISPLAY_NAME_W ? r[1].Value.lpszW : NULL)) == 0) {
			export_special saved = w->top_kind;
			if (w->depth == 1)
				w->top_kind = special_kind(w, &r[0].Value.bin);
			rc = export_folder_tree(w, child, &r[0].Value.bin, TRUE);
			w->top_kind = saved;
			pop_name(w);
		}
		IMAPIFolder_Release(child);
	}
	FreeProws(rows);
	return rc;
}

/* Opens the folder to export: --folder F, or the IPM subtree. */
static HRESULT open_root(walk *w, const char *mailbox, const char *path, LPMAPIFOLDER *out, SBinary *eid)
{
	LPSPropValue v = NULL;
	HRESULT hr;
	eid->cb = 0;
	eid->lpb = NULL;
	if (path) {
		if (FAILED(hr = cli_open_folder(w->mdb, mailbox, path, out)))
			return hr;
	} else {
		ULONG type = 0;
		if (FAILED(hr = HrGetOneProp((LPMAPIPROP)w->mdb, PR_IPM_SUBTREE_ENTRYID, &v))) {
			cli_fail(mailbox, hr);
			return hr;
		}
		hr = IMsgStore_OpenEntry(w->mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, 0, &type,
		                         (LPUNKNOWN *)out);
		MAPIFreeBuffer(v);
		v = NULL;
		if (FAILED(hr)) {
			cli_fail(mailbox, hr);
			return hr;
		}
	}
	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)*out, PR_ENTRYID, &v)))
		take_eid(eid, &v->Value.bin);
	MAPIFreeBuffer(v);
	return S_OK;
}

static int run_export(walk *w, const char *mailbox, const char *path)
{
	LPMAPIFOLDER root = NULL;
	SBinary root_eid;
	LPSPropValue v = NULL;
	int rc;

	find_special(w->mdb, &w->special);
	w->keywords_tag = keywords_tag(w->mdb);
	if (FAILED(open_root(w, mailbox, path, &root, &root_eid)))
		return CLI_EXIT_FAILURE;
	if (export_mkdirs(w->run.dest) != 0) {
		rc = cli_error("export: %s: %s", w->run.dest, strerror(errno));
		goto out;
	}
	if (!w->quiet)
		cli_progress_start(&w->progress, "exporting", 0);
	if (path) {
		/* The named folder is the top: its own name, its own kind. */
		rc = HrGetOneProp((LPMAPIPROP)root, PR_DISPLAY_NAME_W, &v) == S_OK ? push_name(w, v->Value.lpszW)
		                                                                  : push_name(w, NULL);
		MAPIFreeBuffer(v);
		v = NULL;
		if (rc == 0) {
			w->top_kind = root_eid.cb ? special_kind(w, &root_eid) : EXPORT_PLAIN;
			rc = export_folder_tree(w, root, &root_eid, TRUE);
			pop_name(w);
		}
	} else {
		/* The IPM subtree's own messages, if it has any, under its name. */
		BOOL has_messages = HrGetOneProp((LPMAPIPROP)root, PR_CONTENT_COUNT, &v) == S_OK && v->Value.l > 0;
		MAPIFreeBuffer(v);
		v = NULL;
		rc = 0;
		if (has_messages && HrGetOneProp((LPMAPIPROP)root, PR_DISPLAY_NAME_W, &v) == S_OK &&
		    (rc = push_name(w, v->Value.lpszW)) == 0) {
			export_folder f = {(const char *const *)w->names, 1, EXPORT_PLAIN, FALSE};
			if ((rc = w->run.format->open_folder(&w->run, &f)) == 0) {
				w->folders++;
				rc = export_messages(w, root);
				rc = w->run.format->close_folder(&w->run) || rc;
			}
			pop_name(w);
		}
		MAPIFreeBuffer(v);
		if (rc == 0)
			rc = export_folder_tree(w, root, &root_eid, FALSE);
	}
	if (rc == 0 && export_sync_dir(w->run.dest) != 0)
		rc = cli_error("export: %s: %s", w->run.dest, strerror(errno));
	if (!w->quiet)
		cli_progress_finish(&w->progress);
	rc = rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
out:
	MAPIFreeBuffer(root_eid.lpb);
	IMAPIFolder_Release(root);
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: mapix export [--folder F] (--mailbox PATH | --mailbox NAME --server A | --profile NAME)\n"
	        "                    [--format eml|mbox|maildir] [--no-recurse] [--append] [--regenerate]\n"
	        "                    [--quiet] DEST\n"
	        "\n"
	        "Writes the IPM subtree's folders (or F and its subfolders) to the directory\n"
	        "DEST, which must be empty or missing unless --append is given.\n"
	        "\n"
	        "  --format eml      DEST/<folder path>/<NNNNNN>.eml (default)\n"
	        "  --format mbox     one mboxrd file per folder, DEST/<Name> with subfolders\n"
	        "                    in DEST/<Name>.sbd/ (Thunderbird's layout)\n"
	        "  --format maildir  Maildir++ as Dovecot reads it: the Inbox in DEST, other\n"
	        "                    folders in DEST/.A.B, flags and keywords in file names\n"
	        "  --folder F        export F (\"A/B\" from the IPM subtree, \"/A\" from the root)\n"
	        "  --no-recurse      without F's subfolders (without F: the top-level folders)\n"
	        "  --append          add to a DEST that is not empty (mbox files grow, EML\n"
	        "                    and Maildir folders get new files)\n"
	        "  --regenerate      build every message from its properties, even one that\n"
	        "                    kept the bytes it was imported with (by default those are\n"
	        "                    written back unchanged while the message is unchanged)\n"
	        "  --quiet           no progress line\n");
}

int cmd_export(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char *folder = NULL, *format = NULL, *no_recurse = NULL, *quiet = NULL, *append = NULL, *help = NULL;
	const char *regenerate = NULL;
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb),
	                           {"folder", 1, &folder},
	                           {"format", 1, &format},
	                           {"no-recurse", 0, &no_recurse},
	                           {"append", 0, &append},
	                           {"regenerate", 0, &regenerate},
	                           {"quiet", 0, &quiet},
	                           {"help", 0, &help},
	                           {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	if (help) {
		free(pos);
		usage(stdout);
		return CLI_EXIT_OK;
	}
	const char *dest = npos == 1 ? pos[0] : NULL;
	free(pos);
	if (npos != 1)
		return cli_usage_error("export: give one destination (see 'mapix export --help')");
	walk w = {0};
	if (!format || !strcmp(format, "eml"))
		w.run.format = &export_format_eml;
	else if (!strcmp(format, "mbox"))
		w.run.format = &export_format_mbox;
	else if (!strcmp(format, "maildir"))
		w.run.format = &export_format_maildir;
	else
		return cli_usage_error("export: --format %s: not eml, mbox or maildir", format);
	if (!*dest)
		return cli_usage_error("export: empty destination");
	int err = 0;
	struct stat st;
	if (stat(dest, &st) == 0 && !S_ISDIR(st.st_mode))
		return cli_error("export: %s: not a directory", dest);
	if (!export_dir_is_empty(dest, &err)) {
		if (err)
			return cli_error("export: %s: %s", dest, strerror(err));
		if (!append)
			return cli_error("export: %s: not empty (--append adds to it)", dest);
	}

	LPMDB mdb = cli_open_mailbox(&mb, 0, &rc);
	if (!mdb)
		return rc;
	w.mdb = mdb;
	w.run.dest = dest;
	w.run.append = append != NULL;
	/* LF line endings, Bcc kept: an archive of the mailbox; a message that
	 * kept its original bytes is written as those unless --regenerate. */
	w.run.mime_flags = regenerate ? MAPIX_MIME_REGENERATE : 0;
	w.recurse = no_recurse == NULL;
	w.quiet = quiet != NULL;
	struct timespec started;
	clock_gettime(CLOCK_MONOTONIC, &started);
	rc = run_export(&w, mb.mailbox, folder);
	if (rc == CLI_EXIT_OK || w.messages || w.skipped) {
		struct timespec end;
		clock_gettime(CLOCK_MONOTONIC, &end);
		double secs = (double)(end.tv_sec - started.tv_sec) + (end.tv_nsec - started.tv_nsec) / 1e9;
		printf("exported %llu messages from %llu folders (%.1f MiB in %.1f s, %.0f msg/s); %llu skipped\n",
		       (unsigned long long)w.messages, (unsigned long long)w.folders, w.run.bytes / 1048576.0, secs,
		       secs > 0 ? w.messages / secs : 0.0, (unsigned long long)w.skipped);
	}
	/* Skipped messages are reported and counted, the exit status stays 0
	 * (as for `mapix import`): the summary says how many. */
	for (int k = 0; k <= EXPORT_JUNK; k++)
		MAPIFreeBuffer(w.special.eid[k].lpb);
	free(w.names);
	IMsgStore_Release(mdb);
	return rc;
}
