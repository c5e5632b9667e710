/*
 * test_store_acl.c — folder permissions of a store through the public API:
 * IExchangeModifyTable on PR_ACL_TABLE (the default and anonymous rows,
 * ROW_ADD by PR_MEMBER_ENTRYID or identity, ROW_MODIFY and ROW_REMOVE by
 * PR_MEMBER_ID, ROWLIST_REPLACE, free/busy bits, bad rows refused whole),
 * persistence across a reopen, PR_RIGHTS for the owner, and (local file
 * only) the migration of a mailbox made before ACLs existed.
 *
 * The "open a store" step goes through store_hook_open, so the suite also
 * runs through mapixd as remote_store_acl.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/edkmdb.h>
#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "store_hook.h"

#define assert_hr(expr, want)                                                                          \
	do {                                                                                               \
		HRESULT hr_ = (expr);                                                                          \
		if (hr_ != (HRESULT)(want))                                                                    \
			fail_msg("%s:%d: %s returned 0x%08X, expected 0x%08X (%s)", __FILE__, __LINE__, #expr,     \
			         (unsigned)hr_, (unsigned)(want), MAPIXGetLastErrorText());                        \
	} while (0)
#define assert_ok(expr) assert_hr(expr, S_OK)

typedef struct fixture {
	char *dir;
	char path[4096];
	LPMDB mdb;
	LPMAPIFOLDER inbox;
} fixture;

static LPMAPIFOLDER open_inbox(LPMDB mdb)
{
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	LPMAPIFOLDER f = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(mdb, (LPTSTR) "IPM", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&f));
	assert_int_equal(type, MAPI_FOLDER);
	MAPIFreeBuffer(eid);
	return f;
}

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	fx->dir = mapix_test_tmpdir("store-acl");
	assert_non_null(fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/mailbox.db", fx->dir);
	assert_ok(store_hook_open(fx->path, MDB_WRITE | MAPIX_STORE_CREATE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
	*state = fx;
	return 0;
}

static void close_store(fixture *fx)
{
	if (fx->inbox)
		IMAPIFolder_Release(fx->inbox);
	if (fx->mdb) {
		ULONG flags = LOGOFF_NO_WAIT;
		IMsgStore_StoreLogoff(fx->mdb, &flags);
		IMsgStore_Release(fx->mdb);
	}
	fx->inbox = NULL;
	fx->mdb = NULL;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	close_store(fx);
	mapix_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------- */

static LPEXCHANGEMODIFYTABLE open_acl(LPMAPIFOLDER f)
{
	LPEXCHANGEMODIFYTABLE t = NULL;
	assert_ok(IMAPIFolder_OpenProperty(f, PR_ACL_TABLE, &IID_IExchangeModifyTable, 0, MAPI_DEFERRED_ERRORS,
	                                   (LPUNKNOWN *)&t));
	assert_non_null(t);
	return t;
}

static LPSRowSet acl_rows(LPMAPIFOLDER f, ULONG flags)
{
	LPEXCHANGEMODIFYTABLE m = open_acl(f);
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	assert_ok(IExchangeModifyTable_GetTable(m, flags, &t));
	assert_ok(HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows));
	IMAPITable_Release(t);
	IExchangeModifyTable_Release(m);
	return rows;
}

static LPSPropValue col(const SRow *r, ULONG tag)
{
	return PpropFindProp(r->lpProps, r->cValues, tag);
}

/* The row of member id, or NULL. */
static const SRow *row_of(LPSRowSet rows, LONGLONG id)
{
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue v = col(&rows->aRow[i], PR_MEMBER_ID);
		if (v && v->Value.li.QuadPart == id)
			return &rows->aRow[i];
	}
	return NULL;
}

/* The member id of the row whose identity is `identity`, or 0. */
static LONGLONG id_of(LPSRowSet rows, const char *identity)
{
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue v = col(&rows->aRow[i], PR_MAPIX_MEMBER_IDENTITY_A);
		if (v && strcmp(v->Value.lpszA, identity) == 0)
			return col(&rows->aRow[i], PR_MEMBER_ID)->Value.li.QuadPart;
	}
	return 0;
}

static LONG rights_of(LPSRowSet rows, LONGLONG id)
{
	const SRow *r = row_of(rows, id);
	if (!r)
		fail_msg("no ACL row for member %lld", (long long)id);
	return col(r, PR_MEMBER_RIGHTS)->Value.l;
}

/* A ROWLIST of up to 4 entries with up to 3 values each. */
typedef struct rowlist {
	ULONG cEntries;
	ROWENTRY aEntries[4];
	SPropValue vals[4][3];
} rowlist;

static void rl_init(rowlist *l)
{
	memset(l, 0, sizeof *l);
}

static SPropValue *rl_row(rowlist *l, ULONG flags)
{
	ROWENTRY *e = &l->aEntries[l->cEntries];
	e->ulRowFlags = flags;
	e->rgPropVals = l->vals[l->cEntries];
	l->cEntries++;
	return e->rgPropVals;
}

static void rl_add_identity(rowlist *l, const char *identity, LONG rights)
{
	SPropValue *v = rl_row(l, ROW_ADD);
	v[0].ulPropTag = PR_MAPIX_MEMBER_IDENTITY_A;
	v[0].Value.lpszA = (LPSTR)identity;
	v[1].ulPropTag = PR_MEMBER_RIGHTS;
	v[1].Value.l = rights;
	l->aEntries[l->cEntries - 1].cValues = 2;
}

static void rl_id_rights(rowlist *l, ULONG flags, LONGLONG id, LONG rights)
{
	SPropValue *v = rl_row(l, flags);
	v[0].ulPropTag = PR_MEMBER_ID;
	v[0].Value.li.QuadPart = id;
	v[1].ulPropTag = PR_MEMBER_RIGHTS;
	v[1].Value.l = rights;
	l->aEntries[l->cEntries - 1].cValues = flags == ROW_REMOVE ? 1 : 2;
}

static HRESULT modify(LPMAPIFOLDER f, ULONG flags, rowlist *l)
{
	LPEXCHANGEMODIFYTABLE m = open_acl(f);
	HRESULT hr = IExchangeModifyTable_ModifyTable(m, flags, (LPROWLIST)l);
	IExchangeModifyTable_Release(m);
	return hr;
}

/* An Address Book EntryID (MS-OXCDATA 2.2.5.2) for a DN, built by hand. */
static size_t ab_entryid(const char *dn, BYTE *out, size_t cap)
{
	size_t n = strlen(dn) + 1;
	assert_true(28 + n <= cap);
	memset(out, 0, 28);
	memcpy(out + 4, MAPIX_MUID_EMSAB, 16);
	out[20] = 1;
	memcpy(out + 28, dn, n);
	return 28 + n;
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_defaults(void **state)
{
	fixture *fx = *state;
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 2);
	const SRow *def = row_of(rows, 0), *anon = row_of(rows, -1);
	assert_non_null(def);
	assert_non_null(anon);
	/* MS-OXCPERM 2.2.6: "" and "Anonymous". */
	assert_string_equal(col(def, PR_MEMBER_NAME_A)->Value.lpszA, "");
	assert_string_equal(col(anon, PR_MEMBER_NAME_A)->Value.lpszA, "Anonymous");
	assert_int_equal(col(def, PR_MEMBER_RIGHTS)->Value.l, rightsNone);
	assert_int_equal(col(anon, PR_MEMBER_RIGHTS)->Value.l, rightsNone);
	FreeProws(rows);

	/* Unicode names on request. */
	rows = acl_rows(fx->inbox, MAPI_UNICODE);
	assert_non_null(col(row_of(rows, -1), PR_MEMBER_NAME_W));
	FreeProws(rows);

	/* The owner holds every right. */
	LPSPropValue v = NULL;
	assert_ok(HrGetOneProp((LPMAPIPROP)fx->inbox, PR_RIGHTS, &v));
	assert_int_equal(v->Value.l, ROLE_OWNER);
	MAPIFreeBuffer(v);

	LPEXCHANGEMODIFYTABLE m = open_acl(fx->inbox);
	LPMAPITABLE t = NULL;
	assert_hr(IExchangeModifyTable_GetTable(m, 0x10, &t), MAPI_E_UNKNOWN_FLAGS);
	assert_hr(IExchangeModifyTable_ModifyTable(m, 0x10, NULL), MAPI_E_UNKNOWN_FLAGS);
	IExchangeModifyTable_Release(m);
	LPUNKNOWN unk = NULL;
	assert_hr(IMAPIFolder_OpenProperty(fx->inbox, PR_ACL_TABLE, &IID_IMAPITable, 0, 0, &unk),
	          MAPI_E_INTERFACE_NOT_SUPPORTED);
}

static void test_round_trip(void **state)
{
	fixture *fx = *state;
	rowlist l;
	BYTE eid[200];
	size_t cb = ab_entryid("/o=mapix/ou=test/cn=Recipients/cn=bob", eid, sizeof eid);

	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_REVIEWER);
	SPropValue *v = rl_row(&l, ROW_ADD);
	v[0].ulPropTag = PR_MEMBER_ENTRYID;
	v[0].Value.bin.cb = (ULONG)cb;
	v[0].Value.bin.lpb = eid;
	v[1].ulPropTag = PR_MEMBER_RIGHTS;
	v[1].Value.l = ROLE_AUTHOR;
	v[2].ulPropTag = PR_MEMBER_NAME_A;
	v[2].Value.lpszA = (LPSTR) "Bob Example";
	l.aEntries[1].cValues = 3;
	assert_ok(modify(fx->inbox, 0, &l));

	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 4);
	LONGLONG alice = id_of(rows, "user:alice"), bob = id_of(rows, "account:bob");
	assert_true(alice > 0);
	assert_true(bob > 0);
	assert_true(alice != bob);
	assert_int_equal(rights_of(rows, alice), ROLE_REVIEWER);
	assert_int_equal(rights_of(rows, bob), ROLE_AUTHOR);
	assert_string_equal(col(row_of(rows, bob), PR_MEMBER_NAME_A)->Value.lpszA, "Bob Example");
	assert_string_equal(col(row_of(rows, alice), PR_MEMBER_NAME_A)->Value.lpszA, "alice");
	/* Accounts come back with their address book entry ID; Unix users
	 * have none. */
	LPSPropValue e = col(row_of(rows, bob), PR_MEMBER_ENTRYID);
	assert_non_null(e);
	/* The DN names the mailbox's own server, whatever the one given said. */
	assert_true(e->Value.bin.cb > 28 + 12);
	assert_memory_equal(e->Value.bin.lpb + 4, MAPIX_MUID_EMSAB, 16);
	assert_memory_equal(e->Value.bin.lpb + 28, "/o=mapix/ou=", 12);
	const char *dn = (const char *)e->Value.bin.lpb + 28;
	assert_string_equal(dn + strlen(dn) - strlen("/cn=Recipients/cn=bob"), "/cn=Recipients/cn=bob");
	assert_null(col(row_of(rows, alice), PR_MEMBER_ENTRYID));
	FreeProws(rows);

	/* Modify and remove by member id; the default member takes rights too. */
	rl_init(&l);
	rl_id_rights(&l, ROW_MODIFY, alice, ROLE_EDITOR);
	rl_id_rights(&l, ROW_REMOVE, bob, 0);
	rl_id_rights(&l, ROW_MODIFY, 0, ROLE_REVIEWER);
	assert_ok(modify(fx->inbox, 0, &l));
	rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 3);
	assert_int_equal(rights_of(rows, alice), ROLE_EDITOR);
	assert_null(row_of(rows, bob));
	assert_int_equal(rights_of(rows, 0), ROLE_REVIEWER);
	assert_int_equal(rights_of(rows, -1), rightsNone);
	FreeProws(rows);

	/* Removing the default member resets it; it stays in the table. */
	rl_init(&l);
	rl_id_rights(&l, ROW_REMOVE, 0, 0);
	assert_ok(modify(fx->inbox, 0, &l));
	rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rights_of(rows, 0), rightsNone);
	FreeProws(rows);

	/* EditAny without EditOwned is completed, as MS-OXCPERM requires. */
	rl_init(&l);
	rl_id_rights(&l, ROW_MODIFY, alice, frightsVisible | frightsReadAny | frightsEditAny);
	assert_ok(modify(fx->inbox, 0, &l));
	rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rights_of(rows, alice), frightsVisible | frightsReadAny | frightsEditAny | frightsEditOwned);
	FreeProws(rows);

	/* The same identity keeps its member id in another folder; adding it
	 * again changes its rights. */
	ULONG type = 0;
	LPMAPIFOLDER sub = NULL;
	assert_ok(IMAPIFolder_CreateFolder(fx->inbox, FOLDER_GENERIC, (LPTSTR) "Shared", NULL, NULL, 0, &sub));
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_CONTRIBUTOR);
	assert_ok(modify(sub, 0, &l));
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_AUTHOR);
	assert_ok(modify(sub, 0, &l));
	rows = acl_rows(sub, 0);
	assert_int_equal(rows->cRows, 3);
	assert_int_equal(id_of(rows, "user:alice"), alice);
	assert_int_equal(rights_of(rows, alice), ROLE_AUTHOR);
	FreeProws(rows);
	(void)type;
	IMAPIFolder_Release(sub);
}

static void test_bad_rows(void **state)
{
	fixture *fx = *state;
	rowlist l;

	/* ROW_ADD without rights */
	rl_init(&l);
	SPropValue *v = rl_row(&l, ROW_ADD);
	v[0].ulPropTag = PR_MAPIX_MEMBER_IDENTITY_A;
	v[0].Value.lpszA = (LPSTR) "user:carol";
	l.aEntries[0].cValues = 1;
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	/* ROW_ADD naming nobody */
	rl_init(&l);
	v = rl_row(&l, ROW_ADD);
	v[0].ulPropTag = PR_MEMBER_RIGHTS;
	v[0].Value.l = ROLE_REVIEWER;
	l.aEntries[0].cValues = 1;
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	/* a malformed identity, an entry ID that is not an address book one */
	rl_init(&l);
	rl_add_identity(&l, "carol", ROLE_REVIEWER);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	rl_init(&l);
	rl_add_identity(&l, "user:", ROLE_REVIEWER);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	BYTE junk[40] = {0};
	rl_init(&l);
	v = rl_row(&l, ROW_ADD);
	v[0].ulPropTag = PR_MEMBER_ENTRYID;
	v[0].Value.bin.cb = sizeof junk;
	v[0].Value.bin.lpb = junk;
	v[1].ulPropTag = PR_MEMBER_RIGHTS;
	v[1].Value.l = ROLE_REVIEWER;
	l.aEntries[0].cValues = 2;
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	/* undefined rights bits */
	rl_init(&l);
	rl_add_identity(&l, "user:carol", 0x4);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	rl_init(&l);
	rl_add_identity(&l, "user:carol", 0x2000);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	/* ROW_MODIFY without an id, unknown row flags */
	rl_init(&l);
	v = rl_row(&l, ROW_MODIFY);
	v[0].ulPropTag = PR_MEMBER_RIGHTS;
	v[0].Value.l = ROLE_REVIEWER;
	l.aEntries[0].cValues = 1;
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	rl_init(&l);
	rl_id_rights(&l, ROW_EMPTY, 0, 0);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	rl_init(&l);
	rl_id_rights(&l, 8, 0, 0);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);

	/* A good row before a bad one: nothing is applied. */
	rl_init(&l);
	rl_add_identity(&l, "user:carol", ROLE_REVIEWER);
	rl_add_identity(&l, "user:dave", 0x4);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_INVALID_PARAMETER);
	/* ... also when the bad row is only found while writing. */
	rl_init(&l);
	rl_add_identity(&l, "user:carol", ROLE_REVIEWER);
	rl_id_rights(&l, ROW_MODIFY, 4242, ROLE_REVIEWER);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_NOT_FOUND);
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 2);
	FreeProws(rows);
}

static void test_replace_and_freebusy(void **state)
{
	fixture *fx = *state;
	rowlist l;
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_REVIEWER);
	rl_add_identity(&l, "user:bob", ROLE_AUTHOR);
	rl_id_rights(&l, ROW_MODIFY, 0, ROLE_NONE);
	assert_ok(modify(fx->inbox, 0, &l));

	/* ROWLIST_REPLACE: the list is the whole new ACL. */
	rl_init(&l);
	rl_add_identity(&l, "account:carol", ROLE_EDITOR | frightsFreeBusyDetailed);
	assert_ok(modify(fx->inbox, ROWLIST_REPLACE | ACLTABLE_FREEBUSY, &l));
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 3);
	LONGLONG carol = id_of(rows, "account:carol");
	assert_true(carol > 0);
	assert_int_equal(id_of(rows, "user:alice"), 0);
	assert_int_equal(rights_of(rows, 0), rightsNone);
	/* Without ACLTABLE_FREEBUSY the free/busy bits are hidden ... */
	assert_int_equal(rights_of(rows, carol), ROLE_EDITOR);
	FreeProws(rows);
	rows = acl_rows(fx->inbox, ACLTABLE_FREEBUSY);
	assert_int_equal(rights_of(rows, carol), ROLE_EDITOR | frightsFreeBusyDetailed);
	FreeProws(rows);
	/* ... and kept by a modification that cannot see them. */
	rl_init(&l);
	rl_id_rights(&l, ROW_MODIFY, carol, ROLE_REVIEWER);
	assert_ok(modify(fx->inbox, 0, &l));
	rows = acl_rows(fx->inbox, ACLTABLE_FREEBUSY);
	assert_int_equal(rights_of(rows, carol), ROLE_REVIEWER | frightsFreeBusyDetailed);
	FreeProws(rows);
}

static void test_persistence(void **state)
{
	fixture *fx = *state;
	rowlist l;
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_PUBLISH_AUTHOR);
	rl_id_rights(&l, ROW_MODIFY, -1, ROLE_REVIEWER);
	assert_ok(modify(fx->inbox, 0, &l));
	close_store(fx);

	assert_ok(store_hook_open(fx->path, MDB_WRITE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 3);
	assert_int_equal(rights_of(rows, id_of(rows, "user:alice")), ROLE_PUBLISH_AUTHOR);
	assert_int_equal(rights_of(rows, -1), ROLE_REVIEWER);
	FreeProws(rows);
}

/* A mailbox made before folder permissions existed: the file is taken back
 * to the schema before the acl table (the ACL migration is the newest) and
 * reopened; the migration adds the table and the ACL works. */
static void test_migration(void **state)
{
	fixture *fx = *state;
	store_hook_skip_unless_local();
	close_store(fx);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	assert_true(version >= 4);
	char sql[128];
	snprintf(sql, sizeof sql, "DROP TABLE acl; PRAGMA user_version = %d", version - 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_ok(store_hook_open(fx->path, MDB_WRITE, &fx->mdb));
	fx->inbox = open_inbox(fx->mdb);
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 2);
	FreeProws(rows);
	rowlist l;
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_REVIEWER);
	assert_ok(modify(fx->inbox, 0, &l));
	rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 3);
	FreeProws(rows);

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), version);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A read-only logon reads the ACL but cannot change it. */
static void test_read_only(void **state)
{
	fixture *fx = *state;
	close_store(fx);
	assert_ok(store_hook_open(fx->path, 0, &fx->mdb));
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;
	assert_ok(IMsgStore_GetReceiveFolder(fx->mdb, (LPTSTR) "IPM", 0, &cb, &eid, NULL));
	assert_ok(IMsgStore_OpenEntry(fx->mdb, cb, eid, NULL, 0, &type, (LPUNKNOWN *)&fx->inbox));
	MAPIFreeBuffer(eid);
	LPSRowSet rows = acl_rows(fx->inbox, 0);
	assert_int_equal(rows->cRows, 2);
	FreeProws(rows);
	rowlist l;
	rl_init(&l);
	rl_add_identity(&l, "user:alice", ROLE_REVIEWER);
	assert_hr(modify(fx->inbox, 0, &l), MAPI_E_NO_ACCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_freebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
	};
	int rc = MAPIInitialize(NULL);
	if (rc != S_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	MAPIUninitialize();
	return rc;
}
