/*
 * fuzz_acl.c — libFuzzer target for folder permission edits as mapixd
 * receives them (MPX_OP_ACL_MODIFY): the input is the request's arguments
 * (u32 flags, u32 row count, rows of u32 row flags + property array),
 * decoded with the protocol's field decoders and handed to
 * IExchangeModifyTable::ModifyTable on the Inbox of a scratch local
 * mailbox. The rows are hostile: any property types, identities, entry IDs
 * (Address Book EntryIDs are parsed) and rights. ModifyTable must answer a
 * documented HRESULT, and afterwards every stored member must have valid
 * rights and the default and anonymous members must be present. Seeds are
 * in corpus/acl/, crash inputs in crashes/acl/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "core/entryid_ab.h"
#include "core/folder_rights.h"
#include "core/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64];
static LPMDB g_mdb;
static LPMAPIFOLDER g_inbox;

static void cleanup(void)
{
	char path[128];
	if (g_inbox)
		IMAPIFolder_Release(g_inbox);
	if (g_mdb)
		IMsgStore_Release(g_mdb);
	static const char *const files[] = {"mailbox.db", "mailbox.db-wal", "mailbox.db-shm"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", g_dir, files[i]);
		unlink(path);
	}
	rmdir(g_dir);
}

static void open_store(void)
{
	char path[128];
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	const char *tmp = getenv("TMPDIR");
	snprintf(g_dir, sizeof g_dir, "%s/fuzz-acl-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(g_dir) || MAPIInitialize(NULL) != S_OK)
		abort();
	atexit(cleanup);
	snprintf(path, sizeof path, "%s/mailbox.db", g_dir);
	if (MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &g_mdb) != S_OK ||
	    IMsgStore_GetReceiveFolder(g_mdb, (LPTSTR) "IPM", 0, &cb, &eid, NULL) != S_OK ||
	    IMsgStore_OpenEntry(g_mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&g_inbox) != S_OK)
		abort();
	MAPIFreeBuffer(eid);
}

static void check_table(LPEXCHANGEMODIFYTABLE acl)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	BOOL def = FALSE, anon = FALSE;
	if (IExchangeModifyTable_GetTable(acl, ACLTABLE_FREEBUSY, &t) != S_OK || HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows) != S_OK)
		abort();
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue id = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_MEMBER_ID);
		LPSPropValue r = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_MEMBER_RIGHTS);
		if (!id || !r || !mapix_frights_valid((ULONG)r->Value.l)) {
			fprintf(stderr, "ACL row without id or with bad rights\n");
			abort();
		}
		def |= id->Value.li.QuadPart == 0;
		anon |= id->Value.li.QuadPart == -1;
	}
	if (!def || !anon) {
		fprintf(stderr, "the default or anonymous member is missing\n");
		abort();
	}
	FreeProws(rows);
	IMAPITable_Release(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!g_mdb)
		open_store();
	/* The entry ID parser on the raw bytes, too. */
	char dn[256];
	(void)mapix_entryid_parse_ab((ULONG)size, (const ENTRYID *)data, dn, sizeof dn);

	MAPIXWIRECURSOR c;
	mapix_wire_cursor_init(&c, data, size);
	mapix_proto_arena a = {0};
	ULONG flags, count;
	ROWLIST *list = NULL;
	if (mapix_wire_get_u32(&c, &flags) != S_OK || mapix_wire_get_u32(&c, &count) != S_OK ||
	    (uint64_t)count * 8 > mapix_wire_cursor_left(&c) ||
	    mapix_proto_arena_alloc(&a, CbNewROWLIST(count ? count : 1), (void **)&list) != S_OK)
		goto done;
	list->cEntries = count;
	for (ULONG i = 0; i < count; i++)
		if (mapix_wire_get_u32(&c, &list->aEntries[i].ulRowFlags) != S_OK ||
		    mapix_proto_get_props(&c, &a, &list->aEntries[i].cValues, &list->aEntries[i].rgPropVals) != S_OK)
			goto done;
	LPEXCHANGEMODIFYTABLE acl = NULL;
	if (IMAPIFolder_OpenProperty(g_inbox, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, 0, (LPUNKNOWN *)&acl) != S_OK)
		abort();
	HRESULT hr = IExchangeModifyTable_ModifyTable(acl, flags, list);
	if (hr != S_OK && hr != MAPI_E_INVALID_PARAMETER && hr != MAPI_E_NOT_FOUND && hr != MAPI_E_UNKNOWN_FLAGS &&
	    hr != MAPI_E_NOT_ENOUGH_MEMORY && hr != MAPI_E_INVALID_TYPE) {
		fprintf(stderr, "ModifyTable: unexpected 0x%08X: %s\n", (unsigned)hr, MAPIXGetLastErrorText());
		abort();
	}
	check_table(acl);
	IExchangeModifyTable_Release(acl);
done:
	mapix_proto_arena_free(&a);
	return 0;
}
