/*
 * cmd_store_show.c — `mapix store show`: every property of one object, one
 * line each, the way MrMAPI lists them: tag, name, type, value. Named
 * properties (ids 0x8000 and up) are named by GetNamesFromIDs: the property
 * set's name when it is a published one (PSETID_Common, PS_PUBLIC_STRINGS...)
 * or its GUID, then the dispid or the quoted string name. The object is the
 * store (no address), a folder (--folder PATH), the N-th message of a folder
 * in the contents table's default order (--folder PATH --index N), or any
 * object by entry ID (--entryid HEX). --recipients and --attachments add
 * those tables of a message, all their columns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapitags.h>
#include <mapix/mapixprops.h>

#include "cli.h"

/* The property sets with a published name (mapiguid.h, MS-OXPROPS). */
static const struct {
	const GUID *guid;
	const char *name;
} known_sets[] = {
	{&PS_MAPI, "PS_MAPI"},
	{&PS_PUBLIC_STRINGS, "PS_PUBLIC_STRINGS"},
	{&PS_INTERNET_HEADERS, "PS_INTERNET_HEADERS"},
	{&PSETID_Appointment, "PSETID_Appointment"},
	{&PSETID_Task, "PSETID_Task"},
	{&PSETID_Address, "PSETID_Address"},
	{&PSETID_Common, "PSETID_Common"},
	{&PSETID_Log, "PSETID_Log"},
	{&PSETID_Note, "PSETID_Note"},
	{&PSETID_Report, "PSETID_Report"},
	{&PSETID_Remote, "PSETID_Remote"},
	{&PSETID_Sharing, "PSETID_Sharing"},
	{&PSETID_PostRss, "PSETID_PostRss"},
	{&PSETID_Meeting, "PSETID_Meeting"},
	{&PSETID_Messaging, "PSETID_Messaging"},
	{&PSETID_UnifiedMessaging, "PSETID_UnifiedMessaging"},
	{&PSETID_CalendarAssistant, "PSETID_CalendarAssistant"},
	{&PSETID_Attachment, "PSETID_Attachment"},
	{&PSETID_AirSync, "PSETID_AirSync"},
	{&PSETID_XmlExtractedEntities, "PSETID_XmlExtractedEntities"},
};

/* The names of the named properties among props, looked up once per
 * listing. */
typedef struct names {
	ULONG n;
	ULONG *ids;   /* property ids */
	char **text;  /* "PSETID_Common:0x8580", or NULL when the id has no name */
} names;

static void free_names(names *nm)
{
	for (ULONG i = 0; i < nm->n; i++)
		free(nm->text[i]);
	free(nm->text);
	free(nm->ids);
	memset(nm, 0, sizeof *nm);
}

static char *name_text(const MAPINAMEID *id)
{
	cli_buf b = {0};
	const char *set = NULL;
	if (id->lpguid)
		for (size_t i = 0; i < sizeof known_sets / sizeof known_sets[0]; i++)
			if (memcmp(known_sets[i].guid, id->lpguid, sizeof(GUID)) == 0)
				set = known_sets[i].name;
	if (set)
		cli_buf_addf(&b, "%s", set);
	else if (id->lpguid)
		cli_format_guid(&b, id->lpguid);
	else
		cli_buf_addf(&b, "(no GUID)");
	if (id->ulKind == MNID_ID) {
		cli_buf_addf(&b, ":0x%04X", (unsigned)id->Kind.lID);
	} else {
		SPropValue v = {.ulPropTag = PR_NULL};
		v.ulPropTag = PROP_TAG(PT_MV_UNICODE, 0);
		LPWSTR one[1] = {id->Kind.lpwstrName};
		v.Value.MVszW.cValues = 1;
		v.Value.MVszW.lppszW = one;
		cli_buf b2 = {0};
		cli_format_value(&b2, &v, 0); /* ["name"], quoted and escaped */
		const char *q = cli_buf_str(&b2);
		size_t ql = strlen(q);
		cli_buf_add(&b, ":", 1);
		if (ql >= 2)
			cli_buf_add(&b, q + 1, ql - 2);
		cli_buf_free(&b2);
	}
	return b.text;
}

/* Asks obj for the names of every named id among the tags. Failure only
 * means the names are not shown. */
static void lookup_names(LPMAPIPROP obj, const ULONG *tags, ULONG ntags, names *nm)
{
	memset(nm, 0, sizeof *nm);
	ULONG k = 0;
	for (ULONG i = 0; i < ntags; i++)
		k += PROP_ID(tags[i]) >= 0x8000;
	if (!k)
		return;
	LPSPropTagArray ta = NULL;
	if (MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(k), (LPVOID *)&ta) != S_OK)
		return;
	ta->cValues = 0;
	for (ULONG i = 0; i < ntags; i++)
		if (PROP_ID(tags[i]) >= 0x8000)
			ta->aulPropTag[ta->cValues++] = PROP_TAG(PT_UNSPECIFIED, PROP_ID(tags[i]));
	ULONG cn = 0;
	LPMAPINAMEID *ids = NULL;
	HRESULT hr = IMAPIProp_GetNamesFromIDs(obj, &ta, NULL, 0, &cn, &ids);
	if (SUCCEEDED(hr) && ids && cn == ta->cValues) {
		nm->ids = calloc(cn, sizeof *nm->ids);
		nm->text = calloc(cn, sizeof *nm->text);
		if (nm->ids && nm->text) {
			nm->n = cn;
			for (ULONG i = 0; i < cn; i++) {
				nm->ids[i] = PROP_ID(ta->aulPropTag[i]);
				nm->text[i] = ids[i] ? name_text(ids[i]) : NULL;
			}
		}
	}
	MAPIFreeBuffer(ids);
	MAPIFreeBuffer(ta);
}

static const char *named(const names *nm, ULONG tag)
{
	for (ULONG i = 0; i < nm->n; i++)
		if (nm->ids[i] == PROP_ID(tag))
			return nm->text[i];
	return NULL;
}

static int by_tag(const void *a, const void *b)
{
	ULONG x = ((const SPropValue *)a)->ulPropTag, y = ((const SPropValue *)b)->ulPropTag;
	if (PROP_ID(x) != PROP_ID(y))
		return PROP_ID(x) < PROP_ID(y) ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Prints props (sorted in place by tag), each line indented. */
static void print_props(LPSPropValue props, ULONG n, const names *nm, int indent)
{
	qsort(props, n, sizeof *props, by_tag);
	for (ULONG i = 0; i < n; i++) {
		ULONG tag = props[i].ulPropTag;
		char idbuf[16];
		const char *name = PROP_ID(tag) >= 0x8000 ? named(nm, tag) : NULL;
		if (!name)
			name = cli_tag_label(tag, idbuf);
		const char *tn = mapix_prop_type_name(tag);
		char tbuf[16];
		if (!tn) {
			snprintf(tbuf, sizeof tbuf, "0x%04X", (unsigned)PROP_TYPE(tag));
			tn = tbuf;
		}
		cli_buf b = {0};
		cli_format_value(&b, &props[i], 0);
		printf("%*s0x%08X  %-36s %-14s %s\n", indent, "", (unsigned)tag, name, tn, cli_buf_str(&b));
		cli_buf_free(&b);
	}
}

static int show_object(LPMAPIPROP obj, const char *what)
{
	ULONG n = 0;
	LPSPropValue props = NULL;
	HRESULT hr = IMAPIProp_GetProps(obj, NULL, MAPI_UNICODE, &n, &props);
	if (FAILED(hr))
		return cli_fail(what, hr);
	ULONG *tags = calloc(n ? n : 1, sizeof *tags);
	if (!tags) {
		MAPIFreeBuffer(props);
		return cli_error("out of memory");
	}
	for (ULONG i = 0; i < n; i++)
		tags[i] = props[i].ulPropTag;
	names nm;
	lookup_names(obj, tags, n, &nm);
	print_props(props, n, &nm, 0);
	free_names(&nm);
	free(tags);
	MAPIFreeBuffer(props);
	return CLI_EXIT_OK;
}

/* A recipient or attachment table with every column it has. */
static int show_table(LPMAPIPROP owner, LPMAPITABLE table, const char *title, const char *what)
{
	LPSPropTagArray all = NULL;
	LPSRowSet rows = NULL;
	HRESULT hr = IMAPITable_QueryColumns(table, TBL_ALL_COLUMNS, &all);
	if (SUCCEEDED(hr))
		hr = HrQueryAllRows(table, all, NULL, NULL, 0, &rows);
	if (FAILED(hr)) {
		MAPIFreeBuffer(all);
		return cli_fail(what, hr);
	}
	names nm;
	lookup_names(owner, all->aulPropTag, all->cValues, &nm);
	printf("\n%s: %lu\n", title, (unsigned long)rows->cRows);
	for (ULONG r = 0; r < rows->cRows; r++) {
		/* Columns the row does not have come back as PT_ERROR NOT_FOUND:
		 * leave them out, as GetProps(NULL) would. */
		SRow *row = &rows->aRow[r];
		ULONG k = 0;
		for (ULONG c = 0; c < row->cValues; c++)
			if (!(PROP_TYPE(row->lpProps[c].ulPropTag) == PT_ERROR &&
			      row->lpProps[c].Value.err == MAPI_E_NOT_FOUND))
				row->lpProps[k++] = row->lpProps[c];
		printf("  [%lu]\n", (unsigned long)r);
		print_props(row->lpProps, k, &nm, 4);
	}
	free_names(&nm);
	FreeProws(rows);
	MAPIFreeBuffer(all);
	return CLI_EXIT_OK;
}

/* The index-th message (1-based) of folder's contents in default order. */
static int open_index(LPMDB mdb, LPMAPIFOLDER folder, ULONG index, BOOL assoc, const char *what, LPMESSAGE *lppMsg)
{
	static const SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	LONG sought = 0;
	ULONG count = 0, type = 0;
	int rc = CLI_EXIT_OK;
	HRESULT hr = IMAPIFolder_GetContentsTable(folder, assoc ? MAPI_ASSOCIATED : 0, &table);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(table, (LPSPropTagArray)&cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_GetRowCount(table, 0, &count);
	if (SUCCEEDED(hr) && index <= count)
		hr = IMAPITable_SeekRow(table, BOOKMARK_BEGINNING, (LONG)(index - 1), &sought);
	if (SUCCEEDED(hr) && index <= count)
		hr = IMAPITable_QueryRows(table, 1, 0, &rows);
	if (FAILED(hr)) {
		rc = cli_fail(what, hr);
	} else if (index > count || !rows || rows->cRows != 1 ||
	           PROP_TYPE(rows->aRow[0].lpProps[0].ulPropTag) != PT_BINARY) {
		rc = cli_error("%s: no message %lu (the folder has %lu)", what, (unsigned long)index, (unsigned long)count);
	} else {
		const SBinary *eid = &rows->aRow[0].lpProps[0].Value.bin;
		hr = IMsgStore_OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)lppMsg);
		if (FAILED(hr))
			rc = cli_fail(what, hr);
	}
	if (rows)
		FreeProws(rows);
	if (table)
		IMAPITable_Release(table);
	return rc;
}

int cmd_store_show(int argc, char **argv)
{
	cli_mailbox mb = {0};
	const char *folder_path = NULL, *index = NULL, *entryid = NULL, *recips = NULL, *attachs = NULL,
	           *assoc = NULL;
	const char **pos;
	int npos, rc;
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&mb),
	                           {"folder", 1, &folder_path},
	                           {"index", 1, &index},
	                           {"entryid", 1, &entryid},
	                           {"associated", 0, &assoc},
	                           {"recipients", 0, &recips},
	                           {"attachments", 0, &attachs},
	                           {NULL, 0, NULL}};
	if ((rc = cli_parse(argc, argv, opts, &pos, &npos)))
		return rc;
	free(pos);
	if (npos)
		return cli_usage_error("store show: unexpected argument");
	if (entryid && (folder_path || index))
		return cli_usage_error("store show: give --entryid or --folder, not both");
	if ((index || assoc) && !folder_path)
		return cli_usage_error("store show: --index and --associated need --folder");
	ULONG idx = 0;
	if (index) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(index, &end, 10);
		if (!*index || *end || errno || v < 1 || v > 0x7FFFFFFFUL || index[0] == '-')
			return cli_usage_error("--index: '%s' is not a message number (1, 2, ...)", index);
		idx = (ULONG)v;
	}
	ULONG eid_cb = 0;
	LPBYTE eid = NULL;
	if (entryid && !cli_parse_hex(entryid, &eid_cb, &eid))
		return cli_usage_error("--entryid: '%s' is not an even number of hex digits", entryid);

	LPMDB mdb = cli_open_mailbox(&mb, 0, &rc);
	if (!mdb) {
		MAPIFreeBuffer(eid);
		return rc;
	}
	LPMAPIPROP obj = NULL;
	ULONG type = MAPI_STORE;
	HRESULT hr;
	if (entryid) {
		hr = cli_open_entry(mdb, eid_cb, (LPENTRYID)eid, &type, (LPUNKNOWN *)&obj);
		if (FAILED(hr))
			rc = cli_fail(mb.mailbox, hr);
	} else if (folder_path) {
		LPMAPIFOLDER f = NULL;
		if (FAILED(cli_open_folder(mdb, mb.mailbox, folder_path, &f))) {
			rc = CLI_EXIT_FAILURE;
		} else if (index) {
			LPMESSAGE m = NULL;
			rc = open_index(mdb, f, idx, assoc != NULL, mb.mailbox, &m);
			IMAPIFolder_Release(f);
			obj = (LPMAPIPROP)m;
			type = MAPI_MESSAGE;
		} else {
			obj = (LPMAPIPROP)f;
			type = MAPI_FOLDER;
		}
	} else {
		obj = (LPMAPIPROP)mdb;
		IMsgStore_AddRef(mdb);
	}
	MAPIFreeBuffer(eid);
	if (obj && (recips || attachs) && type != MAPI_MESSAGE)
		rc = cli_usage_error("store show: --recipients and --attachments need a message");
	else if (obj)
		rc = show_object(obj, mb.mailbox);
	if (obj && rc == CLI_EXIT_OK && recips) {
		LPMAPITABLE t = NULL;
		hr = IMessage_GetRecipientTable((LPMESSAGE)obj, MAPI_UNICODE, &t);
		rc = FAILED(hr) ? cli_fail(mb.mailbox, hr) : show_table(obj, t, "Recipients", mb.mailbox);
		if (t)
			IMAPITable_Release(t);
	}
	if (obj && rc == CLI_EXIT_OK && attachs) {
		LPMAPITABLE t = NULL;
		hr = IMessage_GetAttachmentTable((LPMESSAGE)obj, MAPI_UNICODE, &t);
		rc = FAILED(hr) ? cli_fail(mb.mailbox, hr) : show_table(obj, t, "Attachments", mb.mailbox);
		if (t)
			IMAPITable_Release(t);
	}
	if (obj)
		IMAPIProp_Release(obj);
	IMsgStore_Release(mdb);
	return rc;
}
