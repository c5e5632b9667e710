/*
 * local-names.c — named properties of a local mailbox (GetIDsFromNames,
 * GetNamesFromIDs). One mapping per mailbox, shared by every object in it,
 * kept in the names table: (property set GUID, MNID_ID number or
 * MNID_STRING name) <-> property id 0x8000..0xFFFE. Ids are handed out in
 * order and never reused.
 *
 * PS_MAPI is special, as MAPI requires: its MNID_ID names are the ordinary
 * property ids (name 0x0037 in PS_MAPI is id 0x0037), never stored, and
 * GetNamesFromIDs names any id below 0x8000 that way.
 *
 * The caller (local-object.c) holds the mailbox lock; these functions take
 * their own short transaction (a write transaction only when MAPI_CREATE
 * may add names).
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local.h"

#define NAMED_FIRST 0x8000
#define NAMED_LAST 0xFFFE

#define KIND_ID 0
#define KIND_STRING 1

/* An unmapped entry of a GetIDsFromNames result. */
#define NO_ID PROP_TAG(PT_ERROR, 0)

static BOOL is_ps_mapi(const GUID *g)
{
	return g && memcmp(g, &PS_MAPI, sizeof(GUID)) == 0;
}

/* Looks one name up; *id is 0 when it has none. */
static HRESULT lookup_name(local_db *db, const MAPINAMEID *name, const char *utf8, ULONG *id)
{
	static const char by_lid[] = "SELECT id FROM names WHERE guid = ?1 AND kind = 0 AND lid = ?2";
	static const char by_name[] = "SELECT id FROM names WHERE guid = ?1 AND kind = 1 AND name = ?2";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, name->ulKind == MNID_ID ? by_lid : by_name, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_blob(st, 1, name->lpguid, sizeof(GUID), SQLITE_STATIC);
	if (name->ulKind == MNID_ID)
		sqlite3_bind_int64(st, 2, name->Kind.lID);
	else
		sqlite3_bind_text(st, 2, utf8, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return local_db_error(db, rc, "looking up a named property");
	return S_OK;
}

static HRESULT create_name(local_db *db, const MAPINAMEID *name, const char *utf8, ULONG *id)
{
	static const char next_sql[] = "SELECT coalesce(max(id), 32767) + 1 FROM names";
	static const char ins_sql[] = "INSERT INTO names(id, guid, kind, lid, name) VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, next_sql, &st);
	if (FAILED(hr))
		return hr;
	int rc = sqlite3_step(st);
	sqlite3_int64 next = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return local_db_error(db, rc, "allocating a named property id");
	if (next > NAMED_LAST)
		return mapix_error(MAPI_E_NOT_ENOUGH_RESOURCES, "%s: all %d named property ids are in use", db->path,
		                   NAMED_LAST - NAMED_FIRST + 1);
	if (FAILED(hr = local_db_prepare(db, ins_sql, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, next);
	sqlite3_bind_blob(st, 2, name->lpguid, sizeof(GUID), SQLITE_STATIC);
	sqlite3_bind_int(st, 3, name->ulKind == MNID_ID ? KIND_ID : KIND_STRING);
	if (name->ulKind == MNID_ID) {
		sqlite3_bind_int64(st, 4, name->Kind.lID);
		sqlite3_bind_null(st, 5);
	} else {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_text(st, 5, utf8, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return local_db_error(db, rc, "creating a named property");
	*id = (ULONG)next;
	return S_OK;
}

/* Every stored id, for GetIDsFromNames with no names. */
static HRESULT all_ids(local_db *db, LPSPropTagArray *lppTags)
{
	static const char count_sql[] = "SELECT count(*) FROM names";
	static const char sql[] = "SELECT id FROM names ORDER BY id";
	sqlite3_stmt *st;
	LPSPropTagArray tags = NULL;
	HRESULT hr = local_db_prepare(db, count_sql, &st);
	if (FAILED(hr))
		return hr;
	int rc = sqlite3_step(st);
	ULONG n = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return local_db_error(db, rc, "counting named properties");
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(n), (LPVOID *)&tags)))
		return hr;
	tags->cValues = 0;
	if (FAILED(hr = local_db_prepare(db, sql, &st))) {
		MAPIFreeBuffer(tags);
		return hr;
	}
	while (tags->cValues < n && (rc = sqlite3_step(st)) == SQLITE_ROW)
		tags->aulPropTag[tags->cValues++] = PROP_TAG(PT_UNSPECIFIED, (ULONG)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		MAPIFreeBuffer(tags);
		return local_db_error(db, rc, "listing named properties");
	}
	*lppTags = tags;
	return S_OK;
}

HRESULT local_names_get_ids(local_db *db, ULONG cNames, LPMAPINAMEID *names, ULONG ulFlags, LPSPropTagArray *lppTags)
{
	LPSPropTagArray tags = NULL;
	BOOL create = (ulFlags & MAPI_CREATE) != 0, warn = FALSE;
	HRESULT hr;

	if (!lppTags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetIDsFromNames: NULL result");
	*lppTags = NULL;
	if (ulFlags & ~(ULONG)(MAPI_CREATE | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetIDsFromNames: unknown flags 0x%08X", (unsigned)ulFlags);
	if (cNames && !names)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetIDsFromNames: NULL name array");
	for (ULONG i = 0; i < cNames; i++)
		if (!names[i])
			return mapix_error(MAPI_E_INVALID_PARAMETER, "GetIDsFromNames: name %u is NULL", (unsigned)i);

	hr = create ? local_db_begin_write(db) : local_db_begin_read(db);
	if (FAILED(hr))
		return hr;
	if (cNames == 0) {
		/* No names: every named property of the mailbox. */
		hr = all_ids(db, lppTags);
		goto done;
	}
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(cNames), (LPVOID *)&tags)))
		goto done;
	tags->cValues = cNames;
	for (ULONG i = 0; i < cNames; i++) {
		const MAPINAMEID *name = names[i];
		LPSTR utf8 = NULL;
		ULONG id = 0;
		tags->aulPropTag[i] = NO_ID;
		if (!name->lpguid || (name->ulKind != MNID_ID && name->ulKind != MNID_STRING) ||
		    (name->ulKind == MNID_STRING && (!name->Kind.lpwstrName || !name->Kind.lpwstrName[0]))) {
			warn = TRUE;
			continue;
		}
		if (is_ps_mapi(name->lpguid)) {
			/* PS_MAPI names are the property ids themselves. */
			if (name->ulKind == MNID_ID && name->Kind.lID > 0 && name->Kind.lID < NAMED_FIRST)
				tags->aulPropTag[i] = PROP_TAG(PT_UNSPECIFIED, (ULONG)name->Kind.lID);
			else
				warn = TRUE;
			continue;
		}
		if (name->ulKind == MNID_STRING && FAILED(hr = mapix_utf16_to_utf8(name->Kind.lpwstrName, NULL, &utf8)))
			goto done;
		hr = lookup_name(db, name, utf8, &id);
		if (SUCCEEDED(hr) && id == 0 && create)
			hr = create_name(db, name, utf8, &id);
		if (utf8)
			MAPIFreeBuffer(utf8);
		if (FAILED(hr))
			goto done;
		if (id)
			tags->aulPropTag[i] = PROP_TAG(PT_UNSPECIFIED, id);
		else
			warn = TRUE;
	}
	*lppTags = tags;
	tags = NULL;
done:
	if (create) {
		if (SUCCEEDED(hr))
			hr = local_db_commit(db);
		else
			local_db_rollback(db);
		if (FAILED(hr) && *lppTags) {
			MAPIFreeBuffer(*lppTags);
			*lppTags = NULL;
		}
	} else {
		local_db_end_read(db);
	}
	if (tags)
		MAPIFreeBuffer(tags);
	if (FAILED(hr))
		return hr;
	return warn ? MAPI_W_ERRORS_RETURNED : S_OK;
}

/* ---- GetNamesFromIDs ------------------------------------------------------------------ */

/* Makes one MAPINAMEID on root. utf8 is the MNID_STRING name. */
static HRESULT make_name(LPVOID root, const GUID *guid, int kind, LONG lid, const char *utf8, LPMAPINAMEID *out)
{
	LPMAPINAMEID n;
	SCODE sc = MAPIAllocateMore(sizeof *n + sizeof(GUID), root, (LPVOID *)&n);
	if (FAILED(sc))
		return sc;
	n->lpguid = (LPGUID)(void *)(n + 1);
	memcpy(n->lpguid, guid, sizeof(GUID));
	if (kind == KIND_ID) {
		n->ulKind = MNID_ID;
		n->Kind.lID = lid;
	} else {
		n->ulKind = MNID_STRING;
		sc = mapix_utf8_to_utf16(utf8 ? utf8 : "", root, &n->Kind.lpwstrName);
		if (FAILED(sc))
			return sc;
	}
	*out = n;
	return S_OK;
}

static BOOL name_wanted(const GUID *guid, int kind, const GUID *filter, ULONG ulFlags)
{
	if (filter && memcmp(guid, filter, sizeof(GUID)) != 0)
		return FALSE;
	if (kind == KIND_ID && (ulFlags & MAPI_NO_IDS))
		return FALSE;
	if (kind == KIND_STRING && (ulFlags & MAPI_NO_STRINGS))
		return FALSE;
	return TRUE;
}

/* Reads the columns guid, kind, lid, name of st into a name on root, or
 * *out = NULL when the row does not pass the filter. */
static HRESULT name_from_row(sqlite3_stmt *st, int first_col, LPVOID root, const GUID *filter, ULONG ulFlags,
                             LPMAPINAMEID *out)
{
	GUID guid;
	*out = NULL;
	if (sqlite3_column_bytes(st, first_col) != (int)sizeof guid)
		return S_OK; /* damaged row: report as unknown */
	memcpy(&guid, sqlite3_column_blob(st, first_col), sizeof guid);
	int kind = sqlite3_column_int(st, first_col + 1);
	if (!name_wanted(&guid, kind, filter, ulFlags))
		return S_OK;
	return make_name(root, &guid, kind, (LONG)sqlite3_column_int64(st, first_col + 2),
	                 (const char *)sqlite3_column_text(st, first_col + 3), out);
}

static HRESULT names_all(local_db *db, LPGUID lpGuid, ULONG ulFlags, LPSPropTagArray *lppTags, ULONG *lpcNames,
                         LPMAPINAMEID **lpppNames)
{
	static const char count_sql[] = "SELECT count(*) FROM names";
	static const char sql[] = "SELECT id, guid, kind, lid, name FROM names ORDER BY id";
	sqlite3_stmt *st;
	LPSPropTagArray tags = NULL;
	LPMAPINAMEID *arr = NULL;
	HRESULT hr = local_db_prepare(db, count_sql, &st);
	if (FAILED(hr))
		return hr;
	int rc = sqlite3_step(st);
	ULONG n = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return local_db_error(db, rc, "counting named properties");
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(n), (LPVOID *)&tags)) ||
	    FAILED(hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(LPMAPINAMEID), (LPVOID *)&arr)))
		goto fail;
	tags->cValues = 0;
	if (FAILED(hr = local_db_prepare(db, sql, &st)))
		goto fail;
	while (tags->cValues < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		LPMAPINAMEID name = NULL;
		if (FAILED(hr = name_from_row(st, 1, arr, lpGuid, ulFlags, &name)))
			break;
		if (!name)
			continue;
		arr[tags->cValues] = name;
		tags->aulPropTag[tags->cValues++] = PROP_TAG(PT_UNSPECIFIED, (ULONG)sqlite3_column_int64(st, 0));
	}
	sqlite3_reset(st);
	if (SUCCEEDED(hr) && rc != SQLITE_ROW && rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "listing named properties");
	if (FAILED(hr))
		goto fail;
	*lppTags = tags;
	*lpcNames = tags->cValues;
	*lpppNames = arr;
	return S_OK;
fail:
	if (tags)
		MAPIFreeBuffer(tags);
	if (arr)
		MAPIFreeBuffer(arr);
	return hr;
}

HRESULT local_names_get_names(local_db *db, LPSPropTagArray *lppTags, LPGUID lpGuid, ULONG ulFlags,
                              ULONG *lpcNames, LPMAPINAMEID **lpppNames)
{
	static const char sql[] = "SELECT guid, kind, lid, name FROM names WHERE id = ?1";
	LPMAPINAMEID *arr = NULL;
	BOOL warn = FALSE;
	HRESULT hr;

	if (!lppTags || !lpcNames || !lpppNames)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetNamesFromIDs: NULL argument");
	*lpcNames = 0;
	*lpppNames = NULL;
	if (ulFlags & ~(ULONG)(MAPI_NO_IDS | MAPI_NO_STRINGS | MAPI_UNICODE))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetNamesFromIDs: unknown flags 0x%08X", (unsigned)ulFlags);

	if (FAILED(hr = local_db_begin_read(db)))
		return hr;
	if (!*lppTags) {
		/* No tags: every named property (that passes the filters), and
		 * the tags that go with them. */
		hr = names_all(db, lpGuid, ulFlags, lppTags, lpcNames, lpppNames);
		local_db_end_read(db);
		return hr;
	}

	LPSPropTagArray tags = *lppTags;
	ULONG n = tags->cValues;
	if (FAILED(hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(LPMAPINAMEID), (LPVOID *)&arr)))
		goto out;
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++) {
		ULONG id = PROP_ID(tags->aulPropTag[i]);
		arr[i] = NULL;
		if (id == 0 || id > NAMED_LAST) {
			warn = TRUE;
		} else if (id < NAMED_FIRST) {
			/* Ordinary ids are their own names in PS_MAPI. */
			if (name_wanted(&PS_MAPI, KIND_ID, lpGuid, ulFlags))
				hr = make_name(arr, &PS_MAPI, KIND_ID, (LONG)id, NULL, &arr[i]);
			warn |= arr[i] == NULL;
		} else {
			sqlite3_stmt *st;
			if (FAILED(hr = local_db_prepare(db, sql, &st)))
				break;
			sqlite3_bind_int64(st, 1, id);
			int rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				hr = name_from_row(st, 0, arr, lpGuid, ulFlags, &arr[i]);
			else if (rc != SQLITE_DONE)
				hr = local_db_error(db, rc, "reading a named property");
			sqlite3_reset(st);
			warn |= arr[i] == NULL;
		}
	}
out:
	local_db_end_read(db);
	if (FAILED(hr)) {
		if (arr)
			MAPIFreeBuffer(arr);
		return hr;
	}
	*lpcNames = n;
	*lpppNames = arr;
	return warn ? MAPI_W_ERRORS_RETURNED : S_OK;
}
