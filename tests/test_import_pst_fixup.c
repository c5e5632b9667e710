/*
 * test_import_pst_fixup.c — the second pass of the PST import
 * (tools/mapix/import_pst_fixup.c) on a real mailbox: a contact and a
 * personal distribution list "imported" from a PST (messages carrying
 * their source identities, the list's members still the PST's wrapped,
 * contact-address and one-off entry IDs) are handed to pst_fixup as the
 * walk would, and the list must come out naming the contact by its new
 * entry ID (which opens it), with the checksum recomputed, the one-off
 * and the member whose item was never imported left as they were (the
 * latter with a warning), and a second pass must change nothing.
 * outlook.pst has no distribution list, hence this constructed one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapix.h>
#include <mapix/mapixstore.h>

#include "import_pst_walk.h"
#include "testutil.h"

/* ---- what the fixup pass uses of the engine ------------------------------------------- */

static unsigned warnings;

void import_warn(import_engine *eng, const char *location, const char *fmt, ...)
{
	(void)eng, (void)location, (void)fmt;
	warnings++;
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static const BYTE uid[16] = {0x4e, 0x88, 0x78, 0x73, 0xe2, 0x9e, 0xc9, 0x44,
                             0x8e, 0xc2, 0x34, 0x6d, 0xfa, 0x6d, 0xf8, 0x58};
#define NID_CONTACT 0x200024u
#define NID_LIST 0x200044u
#define NID_MISSING 0x200064u
#define PST_PATH "/archive/old.pst"

static char *dir;
static LPMDB mdb;
static LPMAPIFOLDER folder;

static void pst_eid(BYTE out[24], uint32_t nid)
{
	memset(out, 0, 4);
	memcpy(out + 4, uid, 16);
	for (int i = 0; i < 4; i++)
		out[20 + i] = (BYTE)(nid >> (8 * i));
}

static ULONG named(LONG lid, ULONG type)
{
	MAPINAMEID n = {.lpguid = (LPGUID)&PSETID_Address, .ulKind = MNID_ID, .Kind.lID = lid};
	LPMAPINAMEID names[1] = {&n};
	LPSPropTagArray tags = NULL;
	assert_int_equal(IMsgStore_GetIDsFromNames(mdb, 1, names, MAPI_CREATE, &tags), S_OK);
	ULONG tag = PROP_TAG(type, PROP_ID(tags->aulPropTag[0]));
	MAPIFreeBuffer(tags);
	return tag;
}

static void save(const SPropValue *props, ULONG n)
{
	LPMESSAGE m = NULL;
	assert_int_equal(IMAPIFolder_CreateMessage(folder, NULL, 0, &m), S_OK);
	assert_int_equal(IMessage_SetProps(m, n, (LPSPropValue)props, NULL), S_OK);
	assert_int_equal(IMessage_SaveChanges(m, 0), S_OK);
	IMessage_Release(m);
}

static LPMESSAGE find(const char *source, ULONG flags)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	LPMESSAGE m = NULL;
	ULONG type = 0;
	SizedSPropTagArray(2, cols) = {2, {PR_ENTRYID, PR_MAPIX_IMPORT_SOURCE_A}};
	assert_int_equal(IMAPIFolder_GetContentsTable(folder, 0, &t), S_OK);
	assert_int_equal(IMAPITable_SetColumns(t, (LPSPropTagArray)&cols, 0), S_OK);
	assert_int_equal(IMAPITable_QueryRows(t, 100, 0, &rows), S_OK);
	for (ULONG i = 0; i < rows->cRows && !m; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		if (PROP_TYPE(p[1].ulPropTag) == PT_STRING8 && strcmp(p[1].Value.lpszA, source) == 0)
			assert_int_equal(IMsgStore_OpenEntry(mdb, p[0].Value.bin.cb, (LPENTRYID)p[0].Value.bin.lpb, NULL, flags,
			                                     &type, (LPUNKNOWN *)&m),
			                 S_OK);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
	assert_non_null(m);
	return m;
}

static int setup(void **state)
{
	(void)state;
	char path[4096];
	LPSPropValue v = NULL;
	ULONG type = 0;
	if (FAILED(MAPIInitialize(NULL)))
		return -1;
	dir = mapix_test_tmpdir("pst-fixup");
	snprintf(path, sizeof path, "%s/mbx", dir);
	if (MAPIXOpenLocalStore(path, MDB_WRITE | MAPIX_STORE_CREATE, &mdb) != S_OK ||
	    HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &v) != S_OK ||
	    IMsgStore_OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                        (LPUNKNOWN *)&folder) != S_OK)
		return -1;
	MAPIFreeBuffer(v);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	IMAPIFolder_Release(folder);
	IMsgStore_Release(mdb);
	MAPIUninitialize();
	mapix_test_rmtree(dir);
	free(dir);
	return 0;
}

/* ---- the test ------------------------------------------------------------------------------ */

static void test_list_members_rewritten(void **state)
{
	(void)state;
	ULONG tag_members = named(0x8055, PT_MV_BINARY), tag_checksum = named(0x804C, PT_LONG);

	/* The contact, as the walk imported it. */
	SPropValue c[2] = {{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Contact"},
	                   {.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A, .Value.lpszA = "pst:" PST_PATH ":2097188"}};
	save(c, 2);

	/* The list: the contact wrapped (MS-OXOCNTC), the contact as a Contact
	 * Address EntryID (MS-OXCDATA 2.2.5.3), a one-off address, and a
	 * wrapped member whose item was never imported. */
	BYTE wrapped[21 + 24] = {0, 0, 0, 0, 0xC0, 0x91, 0xAD, 0xD3, 0x51, 0x9D, 0xCF, 0x11,
	                         0xA4, 0xA9, 0x00, 0xAA, 0x00, 0x47, 0xFA, 0xA4, 0x83};
	pst_eid(wrapped + 21, NID_CONTACT);
	BYTE contact_addr[36 + 24] = {0,    0,    0,    0,    0xFE, 0x42, 0xAA, 0x0A, 0x18, 0xC7, 0x1A, 0x10,
	                              0xE8, 0x85, 0x0B, 0x65, 0x1C, 0x24, 0x00, 0x00, 3,    0,    0,    0,
	                              4,    0,    0,    0,    0,    0,    0,    0,    24,   0,    0,    0};
	pst_eid(contact_addr + 36, NID_CONTACT);
	static BYTE one_off[] = {0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E,
	                         0x00, 0xDD, 0x01, 0x0F, 0x54, 0x02, 0, 0, 0x01, 0x80, 'b', 0, 0, 0};
	BYTE missing[sizeof wrapped];
	memcpy(missing, wrapped, sizeof wrapped);
	pst_eid(missing + 21, NID_MISSING);
	SBinary members[4] = {{sizeof wrapped, wrapped},
	                      {sizeof contact_addr, contact_addr},
	                      {sizeof one_off, one_off},
	                      {sizeof missing, missing}};
	SBinaryArray old = {4, members};
	SPropValue l[4] = {{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.DistList"},
	                   {.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A, .Value.lpszA = "pst:" PST_PATH ":2097220"},
	                   {.ulPropTag = tag_members, .Value.MVbin = old},
	                   {.ulPropTag = tag_checksum, .Value.l = (LONG)pst_dl_checksum(&old)}};
	save(l, 4);

	/* What the walk noted: both items and their folder. */
	pst_import pi = {.mdb = mdb, .realpath = PST_PATH, .have_uid = TRUE};
	memcpy(pi.uid, uid, 16);
	pst_note_node(&pi, NID_LIST, TRUE, folder);
	pst_note_node(&pi, NID_CONTACT, FALSE, folder);
	warnings = 0;
	pst_fixup(&pi);
	assert_int_equal(pi.lists_fixed, 1);
	assert_int_equal(pi.members_rewritten, 2);
	assert_int_equal(pi.members_unresolved, 1);
	assert_int_equal(warnings, 1);

	/* The contact's entry ID in the mailbox. */
	LPMESSAGE contact = find("pst:" PST_PATH ":2097188", 0);
	LPSPropValue ceid = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)contact, PR_ENTRYID, &ceid), S_OK);
	IMessage_Release(contact);

	LPMESSAGE list = find("pst:" PST_PATH ":2097220", 0);
	LPSPropValue v = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)list, tag_members, &v), S_OK);
	SBinaryArray *now = &v->Value.MVbin;
	assert_int_equal(now->cValues, 4);
	/* Wrapped: the same 21-byte header, then the contact's new entry ID, which opens it. */
	assert_int_equal(now->lpbin[0].cb, 21 + ceid->Value.bin.cb);
	assert_memory_equal(now->lpbin[0].lpb, wrapped, 21);
	assert_memory_equal(now->lpbin[0].lpb + 21, ceid->Value.bin.lpb, ceid->Value.bin.cb);
	ULONG type = 0;
	LPMESSAGE opened = NULL;
	assert_int_equal(IMsgStore_OpenEntry(mdb, now->lpbin[0].cb - 21, (LPENTRYID)(now->lpbin[0].lpb + 21), NULL, 0,
	                                     &type, (LPUNKNOWN *)&opened),
	                 S_OK);
	assert_int_equal(type, MAPI_MESSAGE);
	LPSPropValue cls = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)opened, PR_MESSAGE_CLASS_A, &cls), S_OK);
	assert_string_equal(cls->Value.lpszA, "IPM.Contact");
	MAPIFreeBuffer(cls);
	IMessage_Release(opened);
	/* Contact Address EntryID: header kept, the count follows the new entry ID. */
	assert_int_equal(now->lpbin[1].cb, 36 + ceid->Value.bin.cb);
	assert_memory_equal(now->lpbin[1].lpb, contact_addr, 32);
	assert_int_equal(now->lpbin[1].lpb[32], (BYTE)ceid->Value.bin.cb);
	assert_memory_equal(now->lpbin[1].lpb + 36, ceid->Value.bin.lpb, ceid->Value.bin.cb);
	/* The one-off and the member never imported are as they were. */
	assert_int_equal(now->lpbin[2].cb, sizeof one_off);
	assert_memory_equal(now->lpbin[2].lpb, one_off, sizeof one_off);
	assert_int_equal(now->lpbin[3].cb, sizeof missing);
	assert_memory_equal(now->lpbin[3].lpb, missing, sizeof missing);
	LPSPropValue sum = NULL;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)list, tag_checksum, &sum), S_OK);
	assert_int_equal((uint32_t)sum->Value.l, pst_dl_checksum(now));
	MAPIFreeBuffer(sum);
	MAPIFreeBuffer(v);
	IMessage_Release(list);
	MAPIFreeBuffer(ceid);

	/* A second pass (a rerun finds the list "already present") changes
	 * nothing: the rewritten members no longer carry the PST's UID. */
	pi.lists_fixed = pi.members_rewritten = 0;
	pst_fixup(&pi);
	assert_int_equal(pi.lists_fixed, 0);
	assert_int_equal(pi.members_rewritten, 0);
	pst_nodes_free(&pi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_members_rewritten),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
