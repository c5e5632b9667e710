/*
 * test_edkmdb.c — pins edkmdb.h to Microsoft's values: the OPENSTORE_* flags
 * of CreateStoreEntryID, the folder rights and permission levels of ACL
 * tables (MS-OXCPERM), the Exchange property tags (MS-OXPROPS), the ROWLIST
 * layout, and the vtable order of the Exchange interfaces, exercised through
 * their C call macros on stand-in objects.
 */
#include <mapix/edkmdb.h>
#include <mapix/mapitags.h> /* after edkmdb.h: the shared PR_ guards must hold */

#include <stdio.h>
#include <string.h>

#include "testutil.h"

_Static_assert(sizeof(ROWENTRY) == 16, "ROWENTRY");
_Static_assert(offsetof(ROWENTRY, cValues) == 4, "ROWENTRY.cValues");
_Static_assert(offsetof(ROWENTRY, rgPropVals) == 8, "ROWENTRY.rgPropVals");
_Static_assert(offsetof(ROWLIST, aEntries) == 8, "ROWLIST.aEntries");
_Static_assert(CbNewROWLIST(3) == 56, "CbNewROWLIST");
_Static_assert(sizeof(RIGHTS) == 4, "RIGHTS");

static void test_openstore_flags(void **state)
{
	(void)state;
	const struct {
		const char *name;
		ULONG value, expected;
	} flags[] = {
		{"USE_ADMIN_PRIVILEGE", OPENSTORE_USE_ADMIN_PRIVILEGE, 0x00000001},
		{"PUBLIC", OPENSTORE_PUBLIC, 0x00000002},
		{"HOME_LOGON", OPENSTORE_HOME_LOGON, 0x00000004},
		{"TAKE_OWNERSHIP", OPENSTORE_TAKE_OWNERSHIP, 0x00000008},
		{"OVERRIDE_HOME_MDB", OPENSTORE_OVERRIDE_HOME_MDB, 0x00000010},
		{"TRANSPORT", OPENSTORE_TRANSPORT, 0x00000020},
		{"REMOTE_TRANSPORT", OPENSTORE_REMOTE_TRANSPORT, 0x00000040},
		{"INTERNET_ANONYMOUS", OPENSTORE_INTERNET_ANONYMOUS, 0x00000080},
		{"ALTERNATE_SERVER", OPENSTORE_ALTERNATE_SERVER, 0x00000100},
		{"IGNORE_HOME_MDB", OPENSTORE_IGNORE_HOME_MDB, 0x00000200},
		{"NO_MAIL", OPENSTORE_NO_MAIL, 0x00000400},
		{"OVERRIDE_LAST_MODIFIER", OPENSTORE_OVERRIDE_LAST_MODIFIER, 0x00000800},
		{"CALLBACK_LOGON", OPENSTORE_CALLBACK_LOGON, 0x00001000},
		{"LOCAL", OPENSTORE_LOCAL, 0x00002000},
		{"FAIL_IF_NO_MAILBOX", OPENSTORE_FAIL_IF_NO_MAILBOX, 0x00004000},
		{"CACHE_EXCHANGE", OPENSTORE_CACHE_EXCHANGE, 0x00008000},
		{"CLI_WITH_NAMEDPROP_FIX", OPENSTORE_CLI_WITH_NAMEDPROP_FIX, 0x00010000},
		{"ENABLE_LAZY_LOGGING", OPENSTORE_ENABLE_LAZY_LOGGING, 0x00020000},
		{"CLI_WITH_REPLID_GUID_MAPPING_FIX", OPENSTORE_CLI_WITH_REPLID_GUID_MAPPING_FIX, 0x00040000},
		{"NO_LOCALIZATION", OPENSTORE_NO_LOCALIZATION, 0x00080000},
		{"RESTORE_DATABASE", OPENSTORE_RESTORE_DATABASE, 0x00100000},
		{"XFOREST_MOVE", OPENSTORE_XFOREST_MOVE, 0x00200000},
	};
	ULONG seen = 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (flags[i].value != flags[i].expected)
			fail_msg("OPENSTORE_%s is 0x%08X", flags[i].name, (unsigned)flags[i].value);
		assert_int_equal(seen & flags[i].value, 0); /* one distinct bit each */
		seen |= flags[i].value;
	}
	assert_int_equal(seen, 0x003FFFFF);

	/* The wrapped types in store entry IDs (MS-OXCDATA 2.2.4.3). */
	assert_int_equal(MAPIX_STORE_WRAPPED_TYPE_PRIVATE, 0x0000000C);
	assert_int_equal(MAPIX_STORE_WRAPPED_TYPE_PUBLIC, 0x00000006);
	assert_int_equal(PROFILE_PRIMARY_USER, 1);
	assert_int_equal(PROFILE_DELEGATE, 2);
	assert_int_equal(PROFILE_PUBLIC_STORE, 3);
}

static void test_folder_rights(void **state)
{
	(void)state;
	assert_int_equal(frightsReadAny, 0x001);
	assert_int_equal(frightsCreate, 0x002);
	assert_int_equal(frightsEditOwned, 0x008);
	assert_int_equal(frightsDeleteOwned, 0x010);
	assert_int_equal(frightsEditAny, 0x020);
	assert_int_equal(frightsDeleteAny, 0x040);
	assert_int_equal(frightsCreateSubfolder, 0x080);
	assert_int_equal(frightsOwner, 0x100);
	assert_int_equal(frightsContact, 0x200);
	assert_int_equal(frightsVisible, 0x400);
	assert_int_equal(frightsFreeBusySimple, 0x800);
	assert_int_equal(frightsFreeBusyDetailed, 0x1000);
	assert_int_equal(rightsNone, 0);
	assert_int_equal(rightsReadOnly, frightsReadAny);
	assert_int_equal(rightsReadWrite, 0x021);
	/* rightsAll: every folder right except contact and the free/busy bits. */
	assert_int_equal(rightsAll, frightsReadAny | frightsCreate | frightsEditOwned | frightsDeleteOwned |
	                                    frightsEditAny | frightsDeleteAny | frightsCreateSubfolder |
	                                    frightsOwner | frightsVisible);
	assert_int_equal(rightsAll, 0x5FB);
}

static void test_roles(void **state)
{
	(void)state;
	const struct {
		const char *name;
		RIGHTS value, expected;
	} roles[] = {
		{"OWNER", ROLE_OWNER, 0x7FB},
		{"PUBLISH_EDITOR", ROLE_PUBLISH_EDITOR, 0x4FB},
		{"EDITOR", ROLE_EDITOR, 0x47B},
		{"PUBLISH_AUTHOR", ROLE_PUBLISH_AUTHOR, 0x49B},
		{"AUTHOR", ROLE_AUTHOR, 0x41B},
		{"NONEDITING_AUTHOR", ROLE_NONEDITING_AUTHOR, 0x413},
		{"REVIEWER", ROLE_REVIEWER, 0x401},
		{"CONTRIBUTOR", ROLE_CONTRIBUTOR, 0x402},
		{"NONE", ROLE_NONE, 0x400},
	};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		RIGHTS r = roles[i].value;
		if (r != roles[i].expected)
			fail_msg("ROLE_%s is 0x%X", roles[i].name, (unsigned)r);
		/* MS-OXCPERM 2.2.7: the *Any bits require the *Owned bits. */
		if ((r & frightsEditAny) && !(r & frightsEditOwned))
			fail_msg("ROLE_%s has EditAny without EditOwned", roles[i].name);
		if ((r & frightsDeleteAny) && !(r & frightsDeleteOwned))
			fail_msg("ROLE_%s has DeleteAny without DeleteOwned", roles[i].name);
		/* Every permission level lets the member see the folder. */
		assert_true(r & frightsVisible);
	}
	assert_int_equal(ROLE_OWNER, rightsAll | frightsContact);
	assert_int_equal(MAPIX_MEMBER_ID_DEFAULT, 0);
	assert_int_equal(MAPIX_MEMBER_ID_ANONYMOUS, -1);
}

struct tag_pin {
	const char *name;
	ULONG tag, expected;
};
#define T(name, expected) {#name, name, expected}

static void test_property_tags(void **state)
{
	(void)state;
	const struct tag_pin pins[] = {
		/* synchronization */
		T(PR_SOURCE_KEY, 0x65E00102),
		T(PR_PARENT_SOURCE_KEY, 0x65E10102),
		T(PR_CHANGE_KEY, 0x65E20102),
		T(PR_PREDECESSOR_CHANGE_LIST, 0x65E30102),
		T(PR_CHANGE_NUMBER, 0x67A40014),
		T(PR_HIERARCHY_SYNCHRONIZER, 0x662C000D),
		T(PR_CONTENTS_SYNCHRONIZER, 0x662D000D),
		T(PR_COLLECTOR, 0x662E000D),
		T(PR_FAST_TRANSFER, 0x662F000D),
		T(PR_CHANGE_ADVISOR, 0x6634000D),
		/* store */
		T(PR_IN_TRANSIT, 0x6618000B),
		T(PR_USER_ENTRYID, 0x66190102),
		T(PR_USER_NAME, 0x661A001E),
		T(PR_USER_NAME_W, 0x661A001F),
		T(PR_MAILBOX_OWNER_ENTRYID, 0x661B0102),
		T(PR_MAILBOX_OWNER_NAME, 0x661C001E),
		T(PR_MAILBOX_OWNER_NAME_W, 0x661C001F),
		T(PR_OOF_STATE, 0x661D000B),
		T(PR_IPM_FAVORITES_ENTRYID, 0x66300102),
		T(PR_IPM_PUBLIC_FOLDERS_ENTRYID, 0x66310102),
		T(PR_STORE_OFFLINE, 0x6632000B),
		T(PR_HIERARCHY_SERVER, PROP_TAG(PT_TSTRING, 0x6633)),
		T(PR_PROHIBIT_RECEIVE_QUOTA, 0x666A0003),
		T(PR_MAX_SUBMIT_MESSAGE_SIZE, 0x666D0003),
		T(PR_PROHIBIT_SEND_QUOTA, 0x666E0003),
		/* folder */
		T(PR_FOLDER_CHILD_COUNT, 0x66380003),
		T(PR_RIGHTS, 0x66390003),
		T(PR_HAS_RULES, 0x663A000B),
		T(PR_ACL_TABLE, 0x3FE0000D),
		T(PR_ACL_DATA, 0x3FE00102),
		T(PR_RULES_TABLE, 0x3FE1000D),
		T(PR_RULES_DATA, 0x3FE10102),
		T(PR_EXTENDED_ACL_DATA, 0x3FFE0102),
		T(PR_DELETED_MSG_COUNT, 0x66400003),
		T(PR_DELETED_FOLDER_COUNT, 0x66410003),
		T(PR_DELETED_ASSOC_MSG_COUNT, 0x66430003),
		T(PR_DELETED_ON, 0x668F0040),
		T(PR_DELETED_COUNT_TOTAL, 0x670B0003),
		T(PR_LOCAL_COMMIT_TIME, 0x67090040),
		T(PR_LOCAL_COMMIT_TIME_MAX, 0x670A0040),
		/* message */
		T(PR_MESSAGE_SIZE_EXTENDED, 0x0E080014),
		T(PR_HAS_NAMED_PROPERTIES, 0x664A000B),
		T(PR_CREATOR_ENTRYID, 0x3FF90102),
		T(PR_LAST_MODIFIER_ENTRYID, 0x3FFB0102),
		T(PR_INTERNET_CPID, 0x3FDE0003),
		T(PR_AUTO_RESPONSE_SUPPRESS, 0x3FDF0003),
		T(PR_LONGTERM_ENTRYID_FROM_TABLE, 0x66700102),
		/* ACL rows */
		T(PR_MEMBER_ID, 0x66710014),
		T(PR_MEMBER_NAME_W, 0x6672001F),
		T(PR_MEMBER_NAME_A, 0x6672001E),
		T(PR_MEMBER_ENTRYID, 0x0FFF0102),
		T(PR_MEMBER_RIGHTS, 0x66730003),
		/* rules rows */
		T(PR_RULE_ID, 0x66740014),
		T(PR_RULE_SEQUENCE, 0x66760003),
		T(PR_RULE_STATE, 0x66770003),
		T(PR_RULE_CONDITION, 0x667900FD),
		T(PR_RULE_ACTIONS, 0x668000FE),
		T(PR_RULE_PROVIDER, 0x6681001E),
		T(PR_RULE_LEVEL, 0x66830003),
		T(PR_RULE_PROVIDER_DATA, 0x66840102),
		/* mailbox and public folder tables */
		T(PR_NT_USER_NAME_W, 0x66A0001F),
		T(PR_LOCALE_ID, 0x66A10003),
		T(PR_LAST_LOGON_TIME, 0x66A20040),
		T(PR_LAST_LOGOFF_TIME, 0x66A30040),
		T(PR_STORAGE_LIMIT_INFORMATION, 0x66A40003),
		T(PR_CONTENT_COUNT, 0x36020003),
		T(PR_FOLDER_FLAGS, 0x66A80003),
		T(PR_NORMAL_MESSAGE_SIZE_EXTENDED, 0x66B30014),
		T(PR_ASSOC_MESSAGE_SIZE_EXTENDED, 0x66B40014),
		T(PR_CONTACT_COUNT, 0x66B70003),
		/* directory */
		T(PR_EMS_AB_HOME_MDB_A, 0x8006001E),
		T(PR_EMS_AB_HOME_MDB_W, 0x8006001F),
		/* profile */
		T(PR_PROFILE_HOME_SERVER, 0x6602001E),
		T(PR_PROFILE_USER, 0x6603001E),
		T(PR_PROFILE_OPEN_FLAGS, 0x66090003),
		T(PR_PROFILE_TYPE, 0x660A0003),
		T(PR_PROFILE_HOME_SERVER_DN, 0x6612001E),
		T(PR_PROFILE_HOME_SERVER_ADDRS, 0x6613101E),
	};
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		if (pins[i].tag != pins[i].expected)
			fail_msg("%s is 0x%08X, expected 0x%08X", pins[i].name, (unsigned)pins[i].tag,
			         (unsigned)pins[i].expected);
	}
	/* Windows writes tags from the reserved bases; they must agree. */
	assert_int_equal(PROP_TAG(PT_LONG, pidAdminMin + 0x14), PR_STORAGE_LIMIT_INFORMATION);
	assert_int_equal(PROP_TAG(PT_BINARY, pidExchangeNonXmitReservedMin + 0x0), PR_SOURCE_KEY);
	assert_int_equal(PROP_TAG(PT_BOOLEAN, pidStoreMin + 0x1A), PR_STORE_OFFLINE);
	assert_int_equal(PROP_TAG(PT_I8, pidSpecialMin + 0x01), PR_MEMBER_ID);
	assert_int_equal(PR_MEMBER_ENTRYID, PR_ENTRYID);
	assert_int_equal(PROP_ID(PR_MESSAGE_SIZE_EXTENDED), 0x0E08);
}

static void test_row_flags_and_misc(void **state)
{
	(void)state;
	assert_int_equal(ROW_ADD, 1);
	assert_int_equal(ROW_MODIFY, 2);
	assert_int_equal(ROW_REMOVE, 4);
	assert_int_equal(ROW_EMPTY, 5);
	assert_int_equal(ROWLIST_REPLACE, 1);
	assert_int_equal(ACLTABLE_FREEBUSY, 2);
	assert_int_equal(ST_ENABLED, 1);
	assert_int_equal(ST_EXIT_LEVEL, 0x10);
	assert_int_equal(MDB_LIMIT_PROHIBIT_SEND, 4);
	assert_int_equal(SHOW_SOFT_DELETES, 2);
	assert_int_equal(DELETE_HARD_DELETE, 0x10);
	assert_int_equal(sizeof(MAPIX_MUID_STORE_WRAP) - 1, 16);
	assert_int_equal(sizeof(MAPIX_MUID_STORE_PRIVATE) - 1, 16);
	assert_int_equal(sizeof(MAPIX_MUID_STORE_PUBLIC) - 1, 16);
	assert_int_equal(sizeof(MAPIX_MUID_EMSAB) - 1, 16);
	assert_int_equal(sizeof(pbGlobalProfileSectionGuid) - 1, 16);
	/* The wrapping UID is the MAPI store-wrapper {10BBA138-E505-1A10-A1BB-08002B2A56C2} on the wire. */
	static const BYTE wrap[16] = {0x38, 0xA1, 0xBB, 0x10, 0x05, 0xE5, 0x10, 0x1A,
	                              0xA1, 0xBB, 0x08, 0x00, 0x2B, 0x2A, 0x56, 0xC2};
	assert_memory_equal(MAPIX_MUID_STORE_WRAP, wrap, 16);
	assert_string_equal(MAPIX_STORE_ENTRYID_DLL_NAME, "emsmdb.dll");
}

/* ---- Stand-ins that record what the call macros pass ------------------ */

struct fake_modify_table {
	IExchangeModifyTable base;
	ULONG flags;
	ULONG entries;
	ULONG first_row_flags;
	ULONG first_rights;
};

static HRESULT fake_modify(IExchangeModifyTable *This, ULONG ulFlags, LPROWLIST lpMods)
{
	struct fake_modify_table *t = (struct fake_modify_table *)This;
	t->flags = ulFlags;
	t->entries = lpMods->cEntries;
	t->first_row_flags = lpMods->aEntries[0].ulRowFlags;
	for (ULONG i = 0; i < lpMods->aEntries[0].cValues; i++)
		if (lpMods->aEntries[0].rgPropVals[i].ulPropTag == PR_MEMBER_RIGHTS)
			t->first_rights = lpMods->aEntries[0].rgPropVals[i].Value.l;
	return S_OK;
}

static void test_modify_table_call_macro(void **state)
{
	(void)state;
	static const IExchangeModifyTableVtbl vtbl = {.ModifyTable = fake_modify};
	struct fake_modify_table t = {.base = {&vtbl}};

	/* A ROWLIST of two rows, as a caller granting rights would build it. */
	union {
		ROWLIST list;
		BYTE raw[CbNewROWLIST(2)];
	} mods;
	SPropValue props[2];
	props[0].ulPropTag = PR_MEMBER_ENTRYID;
	props[0].Value.bin.cb = 0;
	props[0].Value.bin.lpb = NULL;
	props[1].ulPropTag = PR_MEMBER_RIGHTS;
	props[1].Value.l = (LONG)ROLE_REVIEWER;
	memset(&mods, 0, sizeof(mods));
	mods.list.cEntries = 2;
	mods.list.aEntries[0].ulRowFlags = ROW_ADD;
	mods.list.aEntries[0].cValues = 2;
	mods.list.aEntries[0].rgPropVals = props;
	LPROWENTRY second = (LPROWENTRY)(mods.raw + offsetof(ROWLIST, aEntries) + sizeof(ROWENTRY));
	second->ulRowFlags = ROW_REMOVE;

	HRESULT hr = IExchangeModifyTable_ModifyTable(&t.base, ROWLIST_REPLACE, &mods.list);
	assert_int_equal(hr, S_OK);
	assert_int_equal(t.flags, ROWLIST_REPLACE);
	assert_int_equal(t.entries, 2);
	assert_int_equal(t.first_row_flags, ROW_ADD);
	assert_int_equal(t.first_rights, ROLE_REVIEWER);
}

struct fake_manage_store {
	IExchangeManageStore5 base;
	const char *server;
	const char *mailbox;
	ULONG flags;
	UINT offset;
};

static HRESULT fake_create_store_entryid(IExchangeManageStore5 *This, LPSTR lpszMsgStoreDN,
                                         LPSTR lpszMailboxDN, ULONG ulFlags, ULONG *lpcbEntryID,
                                         LPENTRYID *lppEntryID)
{
	struct fake_manage_store *s = (struct fake_manage_store *)This;
	s->server = lpszMsgStoreDN;
	s->mailbox = lpszMailboxDN;
	s->flags = ulFlags;
	*lpcbEntryID = 0;
	*lppEntryID = NULL;
	return S_OK;
}

static HRESULT fake_get_mailbox_table_ex(IExchangeManageStore5 *This, LPSTR lpszServerName, LPGUID lpguidMdb,
                                         LPMAPITABLE *lppTable, ULONG ulFlags, UINT uOffset)
{
	struct fake_manage_store *s = (struct fake_manage_store *)This;
	s->server = lpszServerName;
	s->flags = ulFlags;
	s->offset = uOffset;
	*lppTable = NULL;
	return MAPI_E_NO_SUPPORT;
}

static void test_manage_store_versions(void **state)
{
	(void)state;
	/* Each later version extends the previous vtable; Windows order. */
	const size_t p = sizeof(void *);
	assert_int_equal(offsetof(IExchangeManageStoreVtbl, CreateStoreEntryID), 3 * p);
	assert_int_equal(offsetof(IExchangeManageStoreVtbl, GetPublicFolderTable), 7 * p);
	assert_int_equal(offsetof(IExchangeManageStore2Vtbl, CreateNewsgroupNameEntryID), 8 * p);
	assert_int_equal(offsetof(IExchangeManageStore3Vtbl, GetMailboxTableOffset), 9 * p);
	assert_int_equal(offsetof(IExchangeManageStore4Vtbl, GetPublicFolderTableOffset), 10 * p);
	assert_int_equal(offsetof(IExchangeManageStore5Vtbl, GetMailboxTableEx), 11 * p);
	assert_int_equal(offsetof(IExchangeManageStore5Vtbl, GetPublicFolderTableEx), 12 * p);
	assert_int_equal(sizeof(IExchangeManageStore5Vtbl), 13 * p);
	assert_int_equal(offsetof(IExchangeModifyTableVtbl, ModifyTable), 5 * p);

	static const IExchangeManageStore5Vtbl vtbl = {
		.CreateStoreEntryID = fake_create_store_entryid,
		.GetMailboxTableEx = fake_get_mailbox_table_ex,
	};
	struct fake_manage_store s = {.base = {&vtbl}};
	char server[] = "/o=mapix/ou=host/cn=Configuration/cn=Servers/cn=host";
	char mailbox[] = "/o=mapix/ou=host/cn=Recipients/cn=alice";
	ULONG cb = 1;
	LPENTRYID eid = (LPENTRYID)&cb;
	HRESULT hr = IExchangeManageStore5_CreateStoreEntryID(
		&s.base, server, mailbox, OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP, &cb, &eid);
	assert_int_equal(hr, S_OK);
	assert_ptr_equal(s.server, server);
	assert_ptr_equal(s.mailbox, mailbox);
	assert_int_equal(s.flags, 0x9);
	assert_int_equal(cb, 0);
	assert_null(eid);

	LPMAPITABLE table = (LPMAPITABLE)&s;
	hr = IExchangeManageStore5_GetMailboxTableEx(&s.base, server, NULL, &table, MAPI_DEFERRED_ERRORS, 25);
	assert_int_equal(hr, MAPI_E_NO_SUPPORT);
	assert_int_equal(s.offset, 25);
	assert_int_equal(s.flags, MAPI_DEFERRED_ERRORS);
	assert_null(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openstore_flags),
		cmocka_unit_test(test_folder_rights),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_property_tags),
		cmocka_unit_test(test_row_flags_and_misc),
		cmocka_unit_test(test_modify_table_call_macro),
		cmocka_unit_test(test_manage_store_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
