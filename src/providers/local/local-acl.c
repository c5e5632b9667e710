/*
 * local-acl.c — folder permissions of the local store: the acl table
 * (schema 5, docs/store.md "Folder permissions"), IExchangeModifyTable on
 * a folder's PR_ACL_TABLE, and the look-ups mapixd makes for identities
 * that are not the mailbox owner.
 *
 * A row is (folder, member id, identity, name, rights). The default member
 * (id 0) and the anonymous member (id -1) have no identity; every other
 * member has one identity string ("user:NAME" or "account:NAME") and the
 * same member id in every folder of the mailbox. A folder without a row
 * for the default or anonymous member reads as rightsNone for it, so a new
 * folder grants nothing to anyone but the owner.
 *
 * The local store itself never restricts its owner: whoever opens the file
 * has every right (PR_RIGHTS says so). The rows matter to mapixd, which
 * checks them for identities that are not owners (src/server/rights.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixstore.h>

#include "core/acl_args.h"
#include "core/entryid.h"
#include "core/entryid_ab.h"
#include "core/error.h"
#include "core/folder_rights.h"
#include "local-acl.h"

#define MEMBER_DEFAULT 0
#define MEMBER_ANONYMOUS (-1)
/* Longest identity string: "account:" + a 64-character name, with room. */
#define IDENTITY_MAX 128

typedef struct local_acl {
	const IExchangeModifyTableVtbl *lpVtbl;
	atomic_ulong refs;
	local_object *folder; /* referenced */
} local_acl;

#define ACL(This) ((local_acl *)(This))

/* ---- rows ---------------------------------------------------------------------------- */

typedef struct acl_row {
	int64_t id;
	char *identity; /* NULL for the default and anonymous members */
	char *name;
	ULONG rights;
} acl_row;

static void free_rows(acl_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].identity);
		free(rows[i].name);
	}
	free(rows);
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? strdup((const char *)s) : NULL;
}

/* Every stored row of folder fid, ordered by member id. Caller holds the lock. */
static HRESULT read_rows(local_db *db, uint64_t fid, acl_row **out, size_t *n_out)
{
	static const char sql[] = "SELECT member_id, identity, name, rights FROM acl WHERE fid = ?1 ORDER BY member_id";
	sqlite3_stmt *st;
	acl_row *rows = NULL;
	size_t n = 0, cap = 0;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			acl_row *nr = realloc(rows, ncap * sizeof *nr);
			if (!nr) {
				rc = SQLITE_NOMEM;
				break;
			}
			rows = nr;
			cap = ncap;
		}
		acl_row *r = &rows[n];
		r->id = sqlite3_column_int64(st, 0);
		r->identity = dup_col(st, 1);
		r->name = dup_col(st, 2);
		r->rights = (ULONG)sqlite3_column_int64(st, 3);
		n++;
		if (!r->name || (sqlite3_column_type(st, 1) != SQLITE_NULL && !r->identity)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free_rows(rows, n);
		return rc == SQLITE_NOMEM ? mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ACL table: out of memory")
		                          : local_db_error(db, rc, "reading a folder's ACL");
	}
	*out = rows;
	*n_out = n;
	return S_OK;
}

static BOOL identity_matches(const char *identity, const char *const *ids, size_t n_ids)
{
	for (size_t i = 0; identity && i < n_ids; i++)
		if (strcmp(identity, ids[i]) == 0)
			return TRUE;
	return FALSE;
}

/* Effective rights from a folder's rows (see local-acl.h). */
static ULONG effective(const acl_row *rows, size_t n, const char *const *ids, size_t n_ids, BOOL anonymous)
{
	ULONG named = 0, fallback = 0;
	BOOL listed = FALSE;
	for (size_t i = 0; i < n; i++) {
		if (identity_matches(rows[i].identity, ids, n_ids)) {
			listed = TRUE;
			named |= rows[i].rights;
		} else if (rows[i].id == (anonymous ? MEMBER_ANONYMOUS : MEMBER_DEFAULT)) {
			fallback = rows[i].rights;
		}
	}
	return listed ? named : fallback;
}

HRESULT local_acl_rights(local_db *db, uint64_t fid, const char *const *ids, size_t n_ids, BOOL anonymous,
                         ULONG *rights)
{
	acl_row *rows = NULL;
	size_t n = 0;
	local_db_lock(db);
	HRESULT hr = read_rows(db, fid, &rows, &n);
	local_db_unlock(db);
	if (FAILED(hr))
		return hr;
	*rights = effective(rows, n, ids, n_ids, anonymous);
	free_rows(rows, n);
	return S_OK;
}

HRESULT local_acl_grants_any(local_db *db, const char *const *ids, size_t n_ids, BOOL anonymous, BOOL *any)
{
	/* Rows of folders that still exist, folder by folder. */
	static const char sql[] = "SELECT DISTINCT a.fid FROM acl a JOIN folders f ON f.fid = a.fid WHERE a.rights != 0";
	sqlite3_stmt *st;
	uint64_t *fids = NULL;
	size_t n_fids = 0, cap = 0;
	*any = FALSE;
	local_db_lock(db);
	HRESULT hr = local_db_prepare(db, sql, &st);
	int rc = SQLITE_DONE;
	if (SUCCEEDED(hr)) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n_fids == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				uint64_t *nf = realloc(fids, ncap * sizeof *nf);
				if (!nf) {
					rc = SQLITE_NOMEM;
					break;
				}
				fids = nf;
				cap = ncap;
			}
			fids[n_fids++] = (uint64_t)sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			hr = local_db_error(db, rc, "reading the mailbox's ACLs");
	}
	for (size_t i = 0; SUCCEEDED(hr) && !*any && i < n_fids; i++) {
		acl_row *rows = NULL;
		size_t n = 0;
		if (SUCCEEDED(hr = read_rows(db, fids[i], &rows, &n))) {
			*any = effective(rows, n, ids, n_ids, anonymous) != 0;
			free_rows(rows, n);
		}
	}
	local_db_unlock(db);
	free(fids);
	return hr;
}

HRESULT local_acl_delete_folder(local_db *db, uint64_t fid)
{
	static const char sql[] = "DELETE FROM acl WHERE fid = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "deleting a folder's ACL");
}

/* ---- identities ------------------------------------------------------------------------ */

/* "user:NAME" or "account:NAME" with NAME 1-64 printable characters (no
 * spaces, colons or slashes), as mapixd names identities and accounts. */
static BOOL valid_identity(const char *s)
{
	const char *name;
	if (strncmp(s, "user:", 5) == 0)
		name = s + 5;
	else if (strncmp(s, "account:", 8) == 0)
		name = s + 8;
	else
		return FALSE;
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return FALSE;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == 0x7F)
			return FALSE;
	return TRUE;
}

/* A string property of a row as UTF-8 (malloc'd); NULL value = absent. */
static HRESULT string_value(const SPropValue *v, char **out)
{
	*out = NULL;
	if (PROP_TYPE(v->ulPropTag) == PT_STRING8)
		*out = strdup(v->Value.lpszA ? v->Value.lpszA : "");
	else if (PROP_TYPE(v->ulPropTag) == PT_UNICODE) {
		char *u = NULL;
		HRESULT hr = mapix_utf16_to_utf8(v->Value.lpszW ? v->Value.lpszW : (const WCHAR *)u"", NULL, &u);
		if (FAILED(hr))
			return hr;
		*out = strdup(u);
		MAPIFreeBuffer(u);
	} else
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: property 0x%08X is not a string",
		                   (unsigned)v->ulPropTag);
	return *out ? S_OK : mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyTable: out of memory");
}

/* The identity a ROW_ADD names: PR_MAPIX_MEMBER_IDENTITY, or the account of
 * a PR_MEMBER_ENTRYID that is a mapix Address Book EntryID. */
static HRESULT row_identity(const SPropValue *idv, const SPropValue *eidv, char **out)
{
	*out = NULL;
	if (idv) {
		HRESULT hr = string_value(idv, out);
		if (FAILED(hr))
			return hr;
		if (!valid_identity(*out)) {
			free(*out);
			*out = NULL;
			return mapix_error(MAPI_E_INVALID_PARAMETER,
			                   "ModifyTable: a member identity is \"user:NAME\" or \"account:NAME\"");
		}
		return S_OK;
	}
	if (!eidv || PROP_TYPE(eidv->ulPropTag) != PT_BINARY)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: ROW_ADD needs PR_MEMBER_ENTRYID");
	char dn[1100];
	if (FAILED(mapix_entryid_parse_ab(eidv->Value.bin.cb, (const ENTRYID *)eidv->Value.bin.lpb, dn, sizeof dn)))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: PR_MEMBER_ENTRYID is not an address book "
		                                             "entry ID of a mapix account");
	const char *acct = mapix_mailbox_dn_account(dn);
	if (!acct || strncmp(dn, "/o=mapix/", 9) != 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: PR_MEMBER_ENTRYID names %s, not a mapix account",
		                   dn);
	char buf[IDENTITY_MAX];
	snprintf(buf, sizeof buf, "account:%s", acct);
	if (!valid_identity(buf))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: PR_MEMBER_ENTRYID names a bad account");
	*out = strdup(buf);
	return *out ? S_OK : mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyTable: out of memory");
}

/* ---- IUnknown --------------------------------------------------------------------------- */

static HRESULT acl_QueryInterface(IExchangeModifyTable *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	*ppvObj = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IExchangeModifyTable)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&ACL(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG acl_AddRef(IExchangeModifyTable *This)
{
	return (ULONG)atomic_fetch_add(&ACL(This)->refs, 1) + 1;
}

static ULONG acl_Release(IExchangeModifyTable *This)
{
	local_acl *a = ACL(This);
	ULONG left = (ULONG)atomic_fetch_sub(&a->refs, 1) - 1;
	if (left)
		return left;
	local_prop_Release(a->folder);
	free(a);
	return 0;
}

static HRESULT acl_GetLastError(IExchangeModifyTable *This, HRESULT hResult, ULONG ulFlags,
                                LPMAPIERROR *lppMAPIError)
{
	HRESULT hr = local_check_caller(ACL(This)->folder, "IExchangeModifyTable::GetLastError");
	if (FAILED(hr))
		return hr;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return MAPI_E_UNKNOWN_FLAGS;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix local store", lppMAPIError);
}

/* ---- GetTable --------------------------------------------------------------------------- */

enum { COL_ID, COL_NAME, COL_RIGHTS, COL_EID, COL_IDENTITY, N_COLS };

static HRESULT string_prop(LPSPropValue v, ULONG id, const char *s, BOOL unicode, LPVOID root)
{
	if (!unicode) {
		v->ulPropTag = PROP_TAG(PT_STRING8, id);
		v->Value.lpszA = (LPSTR)s;
		return S_OK;
	}
	v->ulPropTag = PROP_TAG(PT_UNICODE, id);
	return mapix_utf8_to_utf16(s, root, &v->Value.lpszW);
}

/* Adds one row to the table data; values live in a buffer freed here. */
static HRESULT add_row(LPTABLEDATA td, const local_logon *logon, const acl_row *r, ULONG ulFlags)
{
	LPSPropValue v;
	HRESULT hr = MAPIAllocateBuffer(N_COLS * sizeof *v, (LPVOID *)&v);
	if (FAILED(hr))
		return hr;
	memset(v, 0, N_COLS * sizeof *v);
	BOOL uni = (ulFlags & MAPI_UNICODE) != 0;
	v[COL_ID].ulPropTag = PR_MEMBER_ID;
	v[COL_ID].Value.li.QuadPart = r->id;
	v[COL_RIGHTS].ulPropTag = PR_MEMBER_RIGHTS;
	v[COL_RIGHTS].Value.l =
		(LONG)((ulFlags & ACLTABLE_FREEBUSY) ? r->rights : (r->rights & ~MAPIX_FRIGHTS_FREEBUSY));
	hr = string_prop(&v[COL_NAME], PROP_ID(PR_MEMBER_NAME_W), r->name, uni, v);
	v[COL_EID].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(PR_MEMBER_ENTRYID));
	v[COL_EID].Value.err = MAPI_E_NOT_FOUND;
	v[COL_IDENTITY].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(PR_MAPIX_MEMBER_IDENTITY_W));
	v[COL_IDENTITY].Value.err = MAPI_E_NOT_FOUND;
	if (SUCCEEDED(hr) && r->identity) {
		hr = string_prop(&v[COL_IDENTITY], PROP_ID(PR_MAPIX_MEMBER_IDENTITY_W), r->identity, uni, v);
		/* Accounts have directory entries; Unix users alone do not. */
		if (SUCCEEDED(hr) && strncmp(r->identity, "account:", 8) == 0) {
			char dn[512];
			ULONG cb;
			LPENTRYID eid;
			snprintf(dn, sizeof dn, "/o=mapix/ou=%s/cn=Recipients/cn=%s", logon->server ? logon->server : "local",
			         r->identity + 8);
			if (SUCCEEDED(hr = mapix_entryid_make_ab(dn, v, &cb, &eid))) {
				v[COL_EID].ulPropTag = PR_MEMBER_ENTRYID;
				v[COL_EID].Value.bin.cb = cb;
				v[COL_EID].Value.bin.lpb = (LPBYTE)eid;
			}
		}
	}
	if (SUCCEEDED(hr)) {
		SRow row = {0, N_COLS, v};
		hr = ITableData_HrModifyRow(td, &row);
	}
	MAPIFreeBuffer(v);
	return hr;
}

static HRESULT acl_GetTable(IExchangeModifyTable *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	local_acl *a = ACL(This);
	HRESULT hr = local_check_caller(a->folder, "IExchangeModifyTable::GetTable");
	if (FAILED(hr))
		return hr;
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetTable: lppTable is NULL");
	*lppTable = NULL;
	if (ulFlags & ~(ULONG)(ACLTABLE_FREEBUSY | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetTable: unknown flags 0x%08X", (unsigned)ulFlags);
	local_db *db = a->folder->logon->db;
	acl_row *rows = NULL;
	size_t n = 0;
	local_db_lock(db);
	hr = read_rows(db, a->folder->id, &rows, &n);
	local_db_unlock(db);
	if (FAILED(hr))
		return hr;

	BOOL uni = (ulFlags & MAPI_UNICODE) != 0;
	SizedSPropTagArray(N_COLS, cols) = {N_COLS,
	                                     {PR_MEMBER_ID, uni ? PR_MEMBER_NAME_W : PR_MEMBER_NAME_A, PR_MEMBER_RIGHTS,
	                                      PR_MEMBER_ENTRYID,
	                                      uni ? PR_MAPIX_MEMBER_IDENTITY_W : PR_MAPIX_MEMBER_IDENTITY_A}};
	LPTABLEDATA td = NULL;
	hr = CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
	                 TBLTYPE_SNAPSHOT, PR_MEMBER_ID, (LPSPropTagArray)&cols, &td);
	/* The default and anonymous members are always there (MS-OXCPERM
	 * names: "" and "Anonymous"), with rightsNone unless stored. */
	BOOL have_default = FALSE, have_anonymous = FALSE;
	for (size_t i = 0; i < n; i++) {
		have_default |= rows[i].id == MEMBER_DEFAULT;
		have_anonymous |= rows[i].id == MEMBER_ANONYMOUS;
	}
	acl_row fixed[2] = {{MEMBER_DEFAULT, NULL, (char *)"", 0}, {MEMBER_ANONYMOUS, NULL, (char *)"Anonymous", 0}};
	if (SUCCEEDED(hr) && !have_default)
		hr = add_row(td, a->folder->logon, &fixed[0], ulFlags);
	if (SUCCEEDED(hr) && !have_anonymous)
		hr = add_row(td, a->folder->logon, &fixed[1], ulFlags);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = add_row(td, a->folder->logon, &rows[i], ulFlags);
	free_rows(rows, n);
	if (SUCCEEDED(hr))
		hr = ITableData_HrGetView(td, NULL, NULL, 0, lppTable);
	if (td)
		ITableData_Release(td);
	return hr;
}

/* ---- ModifyTable ------------------------------------------------------------------------- */

/* One checked row of a ModifyTable call. */
typedef struct acl_change {
	ULONG op;         /* ROW_ADD, ROW_MODIFY, ROW_REMOVE */
	int64_t id;       /* MODIFY, REMOVE */
	char *identity;   /* ADD */
	char *name;       /* ADD: PR_MEMBER_NAME, or NULL */
	ULONG rights;     /* ADD, MODIFY */
} acl_change;

static void free_changes(acl_change *c, ULONG n)
{
	for (ULONG i = 0; c && i < n; i++) {
		free(c[i].identity);
		free(c[i].name);
	}
	free(c);
}

/* Checks every row before anything is written: a bad row refuses the
 * whole call with MAPI_E_INVALID_PARAMETER. */
static HRESULT check_rows(const ROWLIST *list, acl_change *out)
{
	for (ULONG i = 0; i < list->cEntries; i++) {
		const ROWENTRY *e = &list->aEntries[i];
		const SPropValue *id = NULL, *rights = NULL, *eid = NULL, *ident = NULL, *name = NULL;
		if (e->cValues && !e->rgPropVals)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u has no values", (unsigned)i);
		for (ULONG k = 0; k < e->cValues; k++) {
			const SPropValue *v = &e->rgPropVals[k];
			if (v->ulPropTag == PR_MEMBER_ID)
				id = v;
			else if (v->ulPropTag == PR_MEMBER_RIGHTS)
				rights = v;
			else if (v->ulPropTag == PR_MEMBER_ENTRYID)
				eid = v;
			else if (PROP_ID(v->ulPropTag) == PROP_ID(PR_MAPIX_MEMBER_IDENTITY_W))
				ident = v;
			else if (PROP_ID(v->ulPropTag) == PROP_ID(PR_MEMBER_NAME_W))
				name = v;
		}
		acl_change *c = &out[i];
		c->op = e->ulRowFlags;
		if (rights) {
			if (!mapix_frights_valid((ULONG)rights->Value.l))
				return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u: rights 0x%08X carry undefined bits",
				                   (unsigned)i, (unsigned)rights->Value.l);
			c->rights = mapix_frights_normalize((ULONG)rights->Value.l);
		}
		switch (e->ulRowFlags) {
		case ROW_ADD: {
			if (!rights)
				return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u: ROW_ADD needs PR_MEMBER_RIGHTS",
				                   (unsigned)i);
			HRESULT hr = row_identity(ident, eid, &c->identity);
			if (SUCCEEDED(hr) && name && PROP_TYPE(name->ulPropTag) != PT_ERROR)
				hr = string_value(name, &c->name);
			if (FAILED(hr))
				return hr;
			break;
		}
		case ROW_MODIFY:
			if (!id || !rights)
				return mapix_error(MAPI_E_INVALID_PARAMETER,
				                   "ModifyTable: row %u: ROW_MODIFY needs PR_MEMBER_ID and PR_MEMBER_RIGHTS", (unsigned)i);
			c->id = id->Value.li.QuadPart;
			break;
		case ROW_REMOVE:
			if (!id)
				return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u: ROW_REMOVE needs PR_MEMBER_ID",
				                   (unsigned)i);
			c->id = id->Value.li.QuadPart;
			break;
		default:
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: row %u: row flags 0x%X (ACL tables take "
			                                             "ROW_ADD, ROW_MODIFY or ROW_REMOVE)",
			                   (unsigned)i, (unsigned)e->ulRowFlags);
		}
	}
	return S_OK;
}

static HRESULT step(local_db *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, what);
}

/* The stored rights of a member of folder fid (0 when absent); *found says. */
static HRESULT stored_rights(local_db *db, uint64_t fid, int64_t id, ULONG *rights, BOOL *found)
{
	static const char sql[] = "SELECT rights FROM acl WHERE fid = ?1 AND member_id = ?2";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	*rights = *found ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "reading a member's rights");
}

/* Without ACLTABLE_FREEBUSY a client cannot see the free/busy bits, so it
 * cannot mean to change them: they stay as stored. */
static ULONG merge_freebusy(ULONG given, ULONG old, ULONG ulFlags)
{
	if (ulFlags & ACLTABLE_FREEBUSY)
		return given;
	return (given & ~MAPIX_FRIGHTS_FREEBUSY) | (old & MAPIX_FRIGHTS_FREEBUSY);
}

static HRESULT write_member(local_db *db, uint64_t fid, int64_t id, const char *identity, const char *name,
                            ULONG rights)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO acl(fid, member_id, identity, name, rights) VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
	sqlite3_bind_int64(st, 2, id);
	if (identity)
		sqlite3_bind_text(st, 3, identity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, rights);
	return step(db, st, "writing a member's rights");
}

/* The member id of an identity: the one it has in any folder of the
 * mailbox, or a new one above every id in use. */
static HRESULT member_id_of(local_db *db, const char *identity, int64_t *id)
{
	static const char find[] = "SELECT member_id FROM acl WHERE identity = ?1 LIMIT 1";
	static const char next[] = "SELECT coalesce(max(member_id), 0) + 1 FROM acl";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, find, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return S_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return local_db_error(db, rc, "finding a member");
	if (FAILED(hr = local_db_prepare(db, next, &st)))
		return hr;
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "numbering a member");
}

static HRESULT apply(local_db *db, uint64_t fid, const acl_change *c, ULONG ulFlags)
{
	static const char find_sql[] = "SELECT member_id, name, rights FROM acl WHERE fid = ?1 AND identity = ?2";
	static const char del_sql[] = "DELETE FROM acl WHERE fid = ?1 AND member_id = ?2";
	sqlite3_stmt *st;
	ULONG old = 0;
	BOOL found = FALSE;
	HRESULT hr;
	switch (c->op) {
	case ROW_ADD: {
		/* Adding a member that is there already changes its rights, as
		 * Outlook's permission dialog expects. */
		int64_t id = 0;
		char *old_name = NULL;
		if (FAILED(hr = local_db_prepare(db, find_sql, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		sqlite3_bind_text(st, 2, c->identity, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			found = TRUE;
			id = sqlite3_column_int64(st, 0);
			old_name = dup_col(st, 1);
			old = (ULONG)sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return local_db_error(db, rc, "finding a member");
		if (!found && FAILED(hr = member_id_of(db, c->identity, &id)))
			return hr;
		const char *name = c->name ? c->name : old_name ? old_name : strchr(c->identity, ':') + 1;
		hr = write_member(db, fid, id, c->identity, name, merge_freebusy(c->rights, old, ulFlags));
		free(old_name);
		return hr;
	}
	case ROW_MODIFY:
	case ROW_REMOVE:
		if (FAILED(hr = stored_rights(db, fid, c->id, &old, &found)))
			return hr;
		if (c->id == MEMBER_DEFAULT || c->id == MEMBER_ANONYMOUS) {
			/* The two reserved members cannot go: removing one resets it
			 * to rightsNone. */
			ULONG r = c->op == ROW_MODIFY ? merge_freebusy(c->rights, old, ulFlags) : 0;
			return write_member(db, fid, c->id, NULL, c->id == MEMBER_DEFAULT ? "" : "Anonymous", r);
		}
		if (!found)
			return mapix_error(MAPI_E_NOT_FOUND, "ModifyTable: no member %lld in this folder's ACL",
			                   (long long)c->id);
		if (c->op == ROW_MODIFY) {
			static const char upd[] = "UPDATE acl SET rights = ?3 WHERE fid = ?1 AND member_id = ?2";
			if (FAILED(hr = local_db_prepare(db, upd, &st)))
				return hr;
			sqlite3_bind_int64(st, 3, merge_freebusy(c->rights, old, ulFlags));
		} else if (FAILED(hr = local_db_prepare(db, del_sql, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)fid);
		sqlite3_bind_int64(st, 2, c->id);
		return step(db, st, "changing a folder's ACL");
	}
	return MAPI_E_INVALID_PARAMETER;
}

static HRESULT acl_ModifyTable(IExchangeModifyTable *This, ULONG ulFlags, LPROWLIST lpMods)
{
	local_acl *a = ACL(This);
	HRESULT hr = local_check_caller(a->folder, "IExchangeModifyTable::ModifyTable");
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = mapix_acl_check_modify(ulFlags, lpMods)))
		return hr;
	local_logon *logon = a->folder->logon;
	if (!(logon->flags & MDB_WRITE))
		return mapix_error(MAPI_E_NO_ACCESS, "ModifyTable: the store was opened read-only");
	if (lpMods->cEntries > 100000)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyTable: too many rows (%u)", (unsigned)lpMods->cEntries);
	acl_change *changes = calloc(lpMods->cEntries ? lpMods->cEntries : 1, sizeof *changes);
	if (!changes)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyTable: out of memory");
	if (FAILED(hr = check_rows(lpMods, changes))) {
		free_changes(changes, lpMods->cEntries);
		return hr;
	}
	local_db *db = logon->db;
	local_db_lock(db);
	if (SUCCEEDED(hr = local_db_begin_write(db))) {
		/* ROWLIST_REPLACE: the list is the whole new ACL. */
		if (ulFlags & ROWLIST_REPLACE) {
			static const char clear[] = "DELETE FROM acl WHERE fid = ?1";
			sqlite3_stmt *st;
			if (SUCCEEDED(hr = local_db_prepare(db, clear, &st))) {
				sqlite3_bind_int64(st, 1, (sqlite3_int64)a->folder->id);
				hr = step(db, st, "replacing a folder's ACL");
			}
		}
		for (ULONG i = 0; SUCCEEDED(hr) && i < lpMods->cEntries; i++)
			hr = apply(db, a->folder->id, &changes[i], ulFlags);
		if (SUCCEEDED(hr))
			hr = local_db_commit(db);
		else
			local_db_rollback(db);
	}
	local_db_unlock(db);
	free_changes(changes, lpMods->cEntries);
	return hr;
}

static const IExchangeModifyTableVtbl acl_vtbl = {
	.QueryInterface = acl_QueryInterface,
	.AddRef = acl_AddRef,
	.Release = acl_Release,
	.GetLastError = acl_GetLastError,
	.GetTable = acl_GetTable,
	.ModifyTable = acl_ModifyTable,
};

HRESULT local_acl_open(local_object *folder, LPCIID lpiid, ULONG ulFlags, LPUNKNOWN *lppUnk)
{
	HRESULT hr = mapix_acl_check_open(lpiid, ulFlags);
	if (FAILED(hr))
		return hr;
	local_acl *a = calloc(1, sizeof *a);
	if (!a)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProperty: out of memory");
	a->lpVtbl = &acl_vtbl;
	atomic_init(&a->refs, 1);
	local_prop_AddRef(folder);
	a->folder = folder;
	*lppUnk = (LPUNKNOWN)a;
	return S_OK;
}
