/*
 * cmd_store_check.c — `mapix store check`: reads a whole mailbox the way a
 * client would and reports what does not add up. Through MAPI: every folder
 * from the root down, its kept counters (PR_CONTENT_COUNT, PR_CONTENT_UNREAD,
 * PR_ASSOC_CONTENT_COUNT, PR_FOLDER_CHILD_COUNT, PR_SUBFOLDERS) against what
 * its contents and hierarchy tables return, and every message opened with
 * all its properties, recipients, attachments and embedded messages. Then
 * SQLite's integrity_check on the file (cli_integrity.c). Problems are
 * listed on stdout, then a summary; the exit status is 1 when there was any.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapitags.h>

#include "cli.h"
#include "cli_integrity.h"

#define MAX_DEPTH 100     /* folders nested deeper are reported, not walked */
#define MAX_EMBEDDING 16  /* messages attached inside messages */
#define PAGE_ROWS 200

typedef struct checker {
	LPMDB mdb;
	const char *mailbox;
	int quiet;
	unsigned long folders, messages, associated, recipients, attachments, embedded, problems;
} checker;

static void problem(checker *ck, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(checker *ck, const char *where, const char *fmt, ...)
{
	va_list ap;
	ck->problems++;
	printf("problem: %s: ", where);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void call_failed(checker *ck, const char *where, const char *call, HRESULT hr)
{
	const char *text = MAPIXGetLastErrorText();
	problem(ck, where, "%s failed: %s (%s)", call, text && *text ? text : "no message", MAPIXErrorName(hr));
}

/* Properties GetProps could not return. MAPI_E_NOT_ENOUGH_MEMORY is the
 * documented answer for values too large for GetProps (read them with
 * OpenProperty), and MAPI_E_NOT_FOUND a property the object does not have
 * (an embedded message has no entry ID): neither is damage. */
static void check_props(checker *ck, LPMAPIPROP obj, const char *where)
{
	ULONG n = 0;
	LPSPropValue props = NULL;
	HRESULT hr = IMAPIProp_GetProps(obj, NULL, MAPI_UNICODE, &n, &props);
	if (FAILED(hr)) {
		call_failed(ck, where, "GetProps", hr);
		return;
	}
	for (ULONG i = 0; i < n; i++)
		if (PROP_TYPE(props[i].ulPropTag) == PT_ERROR && props[i].Value.err != MAPI_E_NOT_ENOUGH_MEMORY &&
		    props[i].Value.err != MAPI_E_NOT_FOUND) {
			char idbuf[16];
			problem(ck, where, "property %s cannot be read (%s)", cli_tag_label(props[i].ulPropTag, idbuf),
			        MAPIXErrorName(props[i].Value.err));
		}
	MAPIFreeBuffer(props);
}

static void check_message(checker *ck, LPMESSAGE msg, const char *where, int embedding);

static void check_attachments(checker *ck, LPMESSAGE msg, const char *where, int embedding)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_ATTACH_NUM, PR_ATTACH_METHOD}};
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	HRESULT hr = IMessage_GetAttachmentTable(msg, MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	if (table)
		IMAPITable_Release(table);
	if (FAILED(hr)) {
		call_failed(ck, where, "the attachment table", hr);
		return;
	}
	for (ULONG i = 0; i < rows->cRows; i++) {
		const SPropValue *v = rows->aRow[i].lpProps;
		char here[1024];
		snprintf(here, sizeof here, "%s, attachment %lu", where, (unsigned long)i + 1);
		ck->attachments++;
		if (PROP_TYPE(v[0].ulPropTag) != PT_LONG) {
			problem(ck, here, "the attachment table row has no PR_ATTACH_NUM");
			continue;
		}
		LPATTACH att = NULL;
		hr = IMessage_OpenAttach(msg, (ULONG)v[0].Value.l, NULL, 0, &att);
		if (FAILED(hr)) {
			call_failed(ck, here, "OpenAttach", hr);
			continue;
		}
		check_props(ck, (LPMAPIPROP)att, here);
		if (PROP_TYPE(v[1].ulPropTag) == PT_LONG && v[1].Value.l == ATTACH_EMBEDDED_MSG) {
			LPMESSAGE sub = NULL;
			if (embedding >= MAX_EMBEDDING) {
				problem(ck, here, "embedded messages nested more than %d deep", MAX_EMBEDDING);
			} else if (FAILED(hr = IAttach_OpenProperty(att, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, 0,
			                                            (LPUNKNOWN *)&sub))) {
				call_failed(ck, here, "opening the embedded message", hr);
			} else {
				char inner[1100];
				snprintf(inner, sizeof inner, "%s, embedded message", here);
				ck->embedded++;
				check_message(ck, sub, inner, embedding + 1);
				IMessage_Release(sub);
			}
		}
		IAttach_Release(att);
	}
	FreeProws(rows);
}

static void check_message(checker *ck, LPMESSAGE msg, const char *where, int embedding)
{
	check_props(ck, (LPMAPIPROP)msg, where);
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	static const SizedSPropTagArray(1, rcols) = {1, {PR_ROWID}};
	HRESULT hr = IMessage_GetRecipientTable(msg, MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, (LPSPropTagArray)&rcols, NULL, NULL, 0, &rows);
	if (table)
		IMAPITable_Release(table);
	if (FAILED(hr))
		call_failed(ck, where, "the recipient table", hr);
	else
		ck->recipients += rows->cRows;
	if (rows)
		FreeProws(rows);
	check_attachments(ck, msg, where, embedding);
}

/* Every message of one contents table; returns rows seen and unread, and
 * FALSE when the table could not be read to the end (then the counts mean
 * nothing and are not compared). */
static BOOL check_contents(checker *ck, LPMAPIFOLDER folder, const char *path, BOOL assoc, ULONG *seen,
                           ULONG *unread)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_MESSAGE_FLAGS}};
	LPMAPITABLE table = NULL;
	ULONG count = 0;
	*seen = *unread = 0;
	HRESULT hr = IMAPIFolder_GetContentsTable(folder, assoc ? MAPI_ASSOCIATED : 0, &table);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(table, (LPSPropTagArray)&cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_GetRowCount(table, 0, &count);
	if (FAILED(hr)) {
		call_failed(ck, path, assoc ? "the associated contents table" : "the contents table", hr);
		if (table)
			IMAPITable_Release(table);
		return FALSE;
	}
	for (;;) {
		LPSRowSet rows = NULL;
		if (FAILED(hr = IMAPITable_QueryRows(table, PAGE_ROWS, 0, &rows))) {
			call_failed(ck, path, "QueryRows", hr);
			IMAPITable_Release(table);
			return FALSE;
		}
		ULONG got = rows->cRows;
		for (ULONG i = 0; i < got; i++) {
			const SPropValue *v = rows->aRow[i].lpProps;
			char here[1024];
			(*seen)++;
			snprintf(here, sizeof here, "%s, %smessage %lu", path, assoc ? "associated " : "", (unsigned long)*seen);
			if (assoc)
				ck->associated++;
			else
				ck->messages++;
			if (PROP_TYPE(v[1].ulPropTag) == PT_LONG && !(v[1].Value.l & MSGFLAG_READ))
				(*unread)++;
			if (PROP_TYPE(v[0].ulPropTag) != PT_BINARY) {
				problem(ck, here, "the contents table row has no PR_ENTRYID");
				continue;
			}
			LPMESSAGE msg = NULL;
			ULONG type = 0;
			hr = IMsgStore_OpenEntry(ck->mdb, v[0].Value.bin.cb, (LPENTRYID)v[0].Value.bin.lpb, NULL, 0, &type,
			                         (LPUNKNOWN *)&msg);
			if (FAILED(hr)) {
				call_failed(ck, here, "OpenEntry", hr);
				continue;
			}
			if (type != MAPI_MESSAGE)
				problem(ck, here, "the entry ID opens an object of type %lu, not a message", (unsigned long)type);
			else
				check_message(ck, msg, here, 0);
			IUnknown_Release((LPUNKNOWN)msg);
		}
		FreeProws(rows);
		if (!got)
			break;
	}
	if (*seen != count)
		problem(ck, path, "the %scontents table counts %lu rows but returns %lu", assoc ? "associated " : "",
		        (unsigned long)count, (unsigned long)*seen);
	IMAPITable_Release(table);
	return TRUE;
}

static void expect_count(checker *ck, const char *path, const SPropValue *v, ULONG tag, ULONG actual, const char *what)
{
	char idbuf[16];
	if (PROP_TYPE(v->ulPropTag) != PT_LONG)
		problem(ck, path, "%s is missing", cli_tag_label(tag, idbuf));
	else if ((ULONG)v->Value.l != actual)
		problem(ck, path, "%s is %lu but %s %lu", cli_tag_label(tag, idbuf), (unsigned long)(ULONG)v->Value.l, what,
		        (unsigned long)actual);
}

static void check_folder(checker *ck, LPMAPIFOLDER folder, const char *path, int depth)
{
	static const SizedSPropTagArray(5, fcols) = {
		5, {PR_CONTENT_COUNT, PR_CONTENT_UNREAD, PR_ASSOC_CONTENT_COUNT, PR_FOLDER_CHILD_COUNT, PR_SUBFOLDERS}};
	static const SizedSPropTagArray(2, hcols) = {2, {PR_DISPLAY_NAME_W, PR_ENTRYID}};
	ULONG n = 0, seen, unread, aseen, aunread;
	LPSPropValue fv = NULL;
	ck->folders++;
	check_props(ck, (LPMAPIPROP)folder, path);
	HRESULT hr = IMAPIFolder_GetProps(folder, (LPSPropTagArray)&fcols, 0, &n, &fv);
	if (FAILED(hr)) {
		call_failed(ck, path, "GetProps", hr);
		return;
	}
	if (check_contents(ck, folder, path, FALSE, &seen, &unread)) {
		expect_count(ck, path, &fv[0], PR_CONTENT_COUNT, seen, "the contents table has");
		expect_count(ck, path, &fv[1], PR_CONTENT_UNREAD, unread, "the contents table has unread");
	}
	if (check_contents(ck, folder, path, TRUE, &aseen, &aunread))
		expect_count(ck, path, &fv[2], PR_ASSOC_CONTENT_COUNT, aseen, "the associated contents table has");

	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	hr = IMAPIFolder_GetHierarchyTable(folder, MAPI_UNICODE, &table);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, (LPSPropTagArray)&hcols, NULL, NULL, 0, &rows);
	if (table)
		IMAPITable_Release(table);
	if (FAILED(hr)) {
		call_failed(ck, path, "the hierarchy table", hr);
		MAPIFreeBuffer(fv);
		return;
	}
	expect_count(ck, path, &fv[3], PR_FOLDER_CHILD_COUNT, rows->cRows, "the hierarchy table has");
	if (PROP_TYPE(fv[4].ulPropTag) == PT_BOOLEAN && !fv[4].Value.b != !rows->cRows)
		problem(ck, path, "PR_SUBFOLDERS is %s but the hierarchy table has %lu rows", fv[4].Value.b ? "true" : "false",
		        (unsigned long)rows->cRows);
	MAPIFreeBuffer(fv);
	for (ULONG i = 0; i < rows->cRows; i++) {
		const SPropValue *v = rows->aRow[i].lpProps;
		cli_buf name = {0}, sub = {0};
		if (PROP_TYPE(v[0].ulPropTag) == PT_UNICODE)
			cli_format_value(&name, &v[0], CLI_FMT_CELL);
		cli_buf_addf(&sub, "%s%s%s", path, strcmp(path, "/") ? "/" : "", cli_buf_str(&name));
		const char *subpath = sub.text ? sub.text : path;
		if (PROP_TYPE(v[1].ulPropTag) != PT_BINARY) {
			problem(ck, subpath, "the hierarchy table row has no PR_ENTRYID");
		} else if (depth + 1 >= MAX_DEPTH) {
			problem(ck, subpath, "folders nested more than %d deep are not checked", MAX_DEPTH);
		} else {
			LPMAPIFOLDER child = NULL;
			ULONG type = 0;
			hr = IMsgStore_OpenEntry(ck->mdb, v[1].Value.bin.cb, (LPENTRYID)v[1].Value.bin.lpb, NULL, 0, &type,
			                         (LPUNKNOWN *)&child);
			if (FAILED(hr))
				call_failed(ck, subpath, "OpenEntry", hr);
			else if (type != MAPI_FOLDER)
				problem(ck, subpath, "the entry ID opens an object of type %lu, not a folder", (unsigned long)type);
			else
				check_folder(ck, child, subpath, depth + 1);
			if (child)
				IUnknown_Release((LPUNKNOWN)child);
		}
		cli_buf_free(&name);
		cli_buf_free(&sub);
	}
	FreeProws(rows);
}

static void integrity_problem(void *ctx, const char *line)
{
	checker *ck = ctx;
	problem(ck, ck->mailbox, "integrity_check: %s", line);
}

int cmd_store_check(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char *quiet = NULL;
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb), {"quiet", 0, &quiet}, {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	free(pos);
	if (npos)
		return cli_usage_error("store check: unexpected argument");
	LPMDB mdb = cli_open_mailbox(&mb, 0, &rc);
	if (!mdb)
		return rc;
	checker ck = {.mdb = mdb, .mailbox = mb.mailbox, .quiet = quiet != NULL};
	check_props(&ck, (LPMAPIPROP)mdb, "the store object");
	LPMAPIFOLDER root = NULL;
	ULONG type = 0;
	HRESULT hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root);
	if (FAILED(hr)) {
		call_failed(&ck, "/", "opening the root folder", hr);
	} else {
		check_folder(&ck, root, "/", 0);
		IMAPIFolder_Release(root);
	}
	/* The page-level pass runs while the store is still open, so the WAL
	 * and its index exist and the read-only connection sees committed data. */
	char err[512];
	/* A hosted mailbox's file is the server's (0600, mapixd's user): its
	 * page-level check is the server's business; a copy from `mapix admin
	 * backup` can be checked here. */
	int bad = mb.hosted ? -2 : cli_integrity_check(mb.mailbox, integrity_problem, &ck, err, sizeof err);
	if (bad == -1)
		problem(&ck, mb.mailbox, "integrity_check could not run: %s", err);
	IMsgStore_Release(mdb);
	if (!ck.quiet) {
		printf("mailbox:         %s\n", mb.mailbox);
		printf("folders:         %lu\n", ck.folders);
		printf("messages:        %lu (+%lu associated, %lu embedded)\n", ck.messages, ck.associated, ck.embedded);
		printf("recipients:      %lu\n", ck.recipients);
		printf("attachments:     %lu\n", ck.attachments);
		printf("integrity_check: %s\n", bad == 0    ? "ok"
		                                 : bad == -2 ? "not run (hosted by mapixd; check a backup copy)"
		                                 : bad < 0   ? "not run"
		                                             : "FAILED");
	}
	if (ck.problems)
		printf("%lu problem%s found\n", ck.problems, ck.problems == 1 ? "" : "s");
	else
		printf("no problems found\n");
	return ck.problems ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
