/*
 * local-table.c — IMAPITable on the contents of a folder (and of a search
 * folder), reading the database page by page (local-table.h has the map
 * of the table modules), plus the small snapshot tables over ITableData
 * that recipient and attachment tables use.
 *
 * Each method locks the mailbox, reads in one short read transaction and
 * ends it before returning: nothing stays open between calls, so WAL
 * checkpoints are never held back by an open table. The cursor is a sort
 * key (local-table-cursor.c): rows added or removed elsewhere never shift
 * it, and a bookmark is just a saved key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapival.h>

#include "core/error.h"
#include "local-table.h"

/* ---- snapshot tables (recipients, attachments) ---------------------------------------- */

static const SizedSPropTagArray(1, no_columns) = {1, {PR_INSTANCE_KEY}};

HRESULT local_table_new(const SPropTagArray *columns, LPTABLEDATA *out)
{
	return CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
	                   TBLTYPE_SNAPSHOT, PR_INSTANCE_KEY,
	                   (LPSPropTagArray)(columns ? columns : (const SPropTagArray *)&no_columns), out);
}

HRESULT local_table_truncate(LPSPropValue v, LPVOID root)
{
	switch (PROP_TYPE(v->ulPropTag)) {
	case PT_UNICODE:
		if (v->Value.lpszW && mapix_wcslen(v->Value.lpszW) > LOCAL_TABLE_TRUNCATE) {
			WCHAR *w;
			HRESULT hr = MAPIAllocateMore((LOCAL_TABLE_TRUNCATE + 1) * sizeof(WCHAR), root, (LPVOID *)&w);
			if (FAILED(hr))
				return hr;
			memcpy(w, v->Value.lpszW, LOCAL_TABLE_TRUNCATE * sizeof(WCHAR));
			/* Do not cut a surrogate pair in half. */
			size_t n = LOCAL_TABLE_TRUNCATE;
			if (w[n - 1] >= 0xD800 && w[n - 1] <= 0xDBFF)
				n--;
			w[n] = 0;
			v->Value.lpszW = w;
		}
		break;
	case PT_STRING8:
		if (v->Value.lpszA && strlen(v->Value.lpszA) > LOCAL_TABLE_TRUNCATE) {
			char *s;
			HRESULT hr = MAPIAllocateMore(LOCAL_TABLE_TRUNCATE + 1, root, (LPVOID *)&s);
			if (FAILED(hr))
				return hr;
			size_t n = LOCAL_TABLE_TRUNCATE;
			/* Keep whole UTF-8 sequences. */
			while (n > 0 && ((BYTE)v->Value.lpszA[n] & 0xC0) == 0x80)
				n--;
			memcpy(s, v->Value.lpszA, n);
			s[n] = 0;
			v->Value.lpszA = s;
		}
		break;
	case PT_BINARY:
		if (v->Value.bin.cb > LOCAL_TABLE_TRUNCATE)
			v->Value.bin.cb = LOCAL_TABLE_TRUNCATE;
		break;
	default:
		break;
	}
	return S_OK;
}

HRESULT local_table_add_object(LPTABLEDATA td, LPMAPIPROP obj, ULONG ulFlags, const SPropValue *extra,
                               ULONG n_extra, uint64_t instance)
{
	ULONG n = 0;
	LPSPropValue props = NULL, row = NULL;
	HRESULT hr = IMAPIProp_GetProps(obj, NULL, ulFlags & MAPI_UNICODE, &n, &props);
	if (FAILED(hr))
		return hr;
	hr = MAPIAllocateBuffer((n + n_extra + 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&row);
	if (FAILED(hr))
		goto out;
	ULONG m = 0;
	for (ULONG i = 0; i < n; i++) {
		if (PROP_TYPE(props[i].ulPropTag) == PT_ERROR)
			continue; /* a missing column reads as not found anyway */
		row[m++] = props[i];
	}
	for (ULONG i = 0; i < n_extra; i++) {
		/* extra values replace the object's own */
		ULONG j;
		for (j = 0; j < m; j++)
			if (PROP_ID(row[j].ulPropTag) == PROP_ID(extra[i].ulPropTag))
				break;
		row[j] = extra[i];
		if (j == m)
			m++;
	}
	BYTE *key;
	if (FAILED(hr = MAPIAllocateMore(sizeof instance, row, (LPVOID *)&key)))
		goto out;
	memcpy(key, &instance, sizeof instance);
	row[m].ulPropTag = PR_INSTANCE_KEY;
	row[m].dwAlignPad = 0;
	row[m].Value.bin.cb = sizeof instance;
	row[m].Value.bin.lpb = key;
	m++;
	for (ULONG i = 0; i < m; i++)
		if (FAILED(hr = local_table_truncate(&row[i], row)))
			goto out;
	SRow srow = {0, m, row};
	hr = ITableData_HrModifyRow(td, &srow);
out:
	if (row)
		MAPIFreeBuffer(row);
	if (props)
		MAPIFreeBuffer(props);
	return hr;
}

HRESULT local_table_view(LPTABLEDATA td, LPMAPITABLE *lppTable)
{
	HRESULT hr = ITableData_HrGetView(td, NULL, NULL, 0, lppTable);
	ITableData_Release(td);
	return hr;
}

/* ---- contents tables: helpers ---------------------------------------------------------------- */

#define TBL(This) ((local_table *)(This))

static const IMAPITableVtbl table_vtbl;

/* Locks the mailbox and starts the call's read transaction. */
static HRESULT enter(local_table *t)
{
	local_db_lock(t->logon->db);
	HRESULT hr = local_db_begin_read(t->logon->db);
	if (FAILED(hr))
		local_db_unlock(t->logon->db);
	return hr;
}

static void leave(local_table *t)
{
	local_db_end_read(t->logon->db);
	local_db_unlock(t->logon->db);
}

static void anchor_begin(local_anchor *a)
{
	local_anchor_clear(a);
	a->at = LOCAL_AT_BEGIN;
}

static void anchor_end(local_anchor *a)
{
	local_anchor_clear(a);
	a->at = LOCAL_AT_END;
}

/* Makes the view current: materialized views are (re)built when stale. */
static HRESULT ensure_view(local_table *t)
{
	if (t->materialized && !t->mat_valid) {
		ULONG keep = t->cat_cursor;
		HRESULT hr = local_mat_build(t);
		if (FAILED(hr))
			return hr;
		if (t->cat) {
			ULONG vis = local_cat_visible(t);
			t->cat_cursor = keep < vis ? keep : vis;
		}
	}
	return S_OK;
}

/* Recomputes the effective restriction, its compiled form and the view. */
static HRESULT rebuild(local_table *t)
{
	HRESULT hr;
	local_cursor_reset(t);
	local_compiled_free(&t->comp);
	if (t->eff_root) {
		MAPIFreeBuffer(t->eff_root);
		t->eff_root = NULL;
	}
	t->eff_res = t->res ? t->res : t->scope_res;
	if (t->res && t->scope_res) {
		LPSRestriction and;
		if (FAILED(hr = MAPIAllocateBuffer(sizeof *and, (LPVOID *)&and)))
			return hr;
		t->eff_root = and;
		and->rt = RES_AND;
		and->res.resAnd.cRes = 2;
		if (FAILED(hr = MAPIAllocateMore(2 * sizeof(SRestriction), and, (LPVOID *)&and->res.resAnd.lpRes)))
			return hr;
		and->res.resAnd.lpRes[0] = *t->scope_res;
		and->res.resAnd.lpRes[1] = *t->res;
		t->eff_res = and;
	}
	if (FAILED(hr = local_restrict_compile(t->eff_res, t->force_c, &t->comp)))
		return hr;
	/* MV_INSTANCE (one column or key), categories and RES_COUNT need the
	 * rows in a materialized order. */
	t->mvi_tag = 0;
	for (ULONG i = 0; i < t->sort->cSorts; i++)
		if ((PROP_TYPE(t->sort->aSort[i].ulPropTag) & MVI_FLAG) == MVI_FLAG)
			t->mvi_tag = t->sort->aSort[i].ulPropTag;
	for (ULONG i = 0; !t->mvi_tag && i < t->cols->cValues; i++)
		if ((PROP_TYPE(t->cols->aulPropTag[i]) & MVI_FLAG) == MVI_FLAG)
			t->mvi_tag = t->cols->aulPropTag[i];
	local_mat_drop(t);
	t->materialized = t->sort->cCategories > 0 || t->mvi_tag || t->comp.has_count;
	t->mat_valid = FALSE;
	t->cat_cursor = 0;
	anchor_begin(&t->cursor);
	for (ULONG i = 0; i < t->n_bookmarks; i++)
		anchor_begin(&t->bookmarks[i].where);
	return ensure_view(t);
}

static HRESULT set_sort(local_table *t, const SSortOrderSet *sort)
{
	LPSSortOrderSet copy;
	HRESULT hr;
	ULONG cb = (ULONG)CbSSortOrderSet(sort);
	if (FAILED(hr = MAPIAllocateBuffer(cb, (LPVOID *)&copy)))
		return hr;
	memcpy(copy, sort, cb);
	for (ULONG i = 0; i < t->n_keys; i++)
		free(t->keys[i].expr);
	t->n_keys = 0;
	if (t->sort)
		MAPIFreeBuffer(t->sort);
	t->sort = copy;
	for (ULONG i = 0; i < copy->cSorts; i++) {
		local_key *k = &t->keys[t->n_keys];
		k->tag = copy->aSort[i].ulPropTag;
		k->desc = (copy->aSort[i].ulOrder & TABLE_SORT_DESCEND) != 0;
		if (FAILED(hr = local_sort_expr(k->tag, "m", &k->expr)))
			return hr;
		t->n_keys++;
	}
	return S_OK;
}

/* Where a bookmark (or BOOKMARK_*) stands, for flat views. */
static HRESULT resolve(local_table *t, BOOKMARK bk, local_anchor *out, BOOL *moved, const char *fn)
{
	*moved = FALSE;
	if (bk == BOOKMARK_BEGINNING) {
		anchor_begin(out);
		return S_OK;
	}
	if (bk == BOOKMARK_END) {
		anchor_end(out);
		return S_OK;
	}
	if (bk == BOOKMARK_CURRENT)
		return local_anchor_copy(out, &t->cursor);
	for (ULONG i = 0; i < t->n_bookmarks; i++) {
		if (t->bookmarks[i].bk != bk)
			continue;
		HRESULT hr = local_anchor_copy(out, &t->bookmarks[i].where);
		BOOL exists = TRUE;
		if (SUCCEEDED(hr) && out->at == LOCAL_AT_ROW)
			hr = local_cursor_exists(t, out, &exists);
		*moved = !exists;
		return hr;
	}
	return mapix_error(MAPI_E_INVALID_BOOKMARK, "%s: unknown bookmark", fn);
}

/* The same for categorized views: a visible position. */
static HRESULT resolve_pos(local_table *t, BOOKMARK bk, ULONG *pos, BOOL *moved, const char *fn)
{
	*moved = FALSE;
	ULONG vis = local_cat_visible(t);
	if (bk == BOOKMARK_BEGINNING) {
		*pos = 0;
		return S_OK;
	}
	if (bk == BOOKMARK_END) {
		*pos = vis;
		return S_OK;
	}
	if (bk == BOOKMARK_CURRENT) {
		*pos = t->cat_cursor < vis ? t->cat_cursor : vis;
		return S_OK;
	}
	for (ULONG i = 0; i < t->n_bookmarks; i++) {
		if (t->bookmarks[i].bk != bk)
			continue;
		local_bookmark *b = &t->bookmarks[i];
		if (b->where.at == LOCAL_AT_ROW) {
			/* The row's instance key is kept in the anchor's first value. */
			const void *key = sqlite3_value_blob(b->where.k[0]);
			ULONG cb = (ULONG)sqlite3_value_bytes(b->where.k[0]);
			if (SUCCEEDED(local_cat_find_key(t, cb, key, pos)))
				return S_OK;
			mapix_error_clear();
			*moved = TRUE;
		}
		*pos = b->pos < vis ? b->pos : vis;
		return S_OK;
	}
	return mapix_error(MAPI_E_INVALID_BOOKMARK, "%s: unknown bookmark", fn);
}

/* Moves the cursor of a flat view n rows from `from`; *moved gets the rows crossed. */
static HRESULT seek_flat(local_table *t, const local_anchor *from, LONG n, LONG *moved)
{
	local_found *rows = NULL;
	ULONG got = 0;
	HRESULT hr;
	*moved = 0;
	if (n >= 0) {
		if (FAILED(hr = local_cursor_fetch(t, from, LOCAL_MODE_GE, FALSE, (ULONG)n + 1, &rows, &got)))
			return hr;
		if (got > (ULONG)n) {
			hr = local_anchor_copy(&t->cursor, &rows[n].key);
			*moved = n;
		} else {
			if (from != &t->cursor)
				hr = local_anchor_copy(&t->cursor, from);
			anchor_end(&t->cursor);
			*moved = (LONG)got;
		}
	} else {
		ULONG back = n == INT32_MIN ? 0x80000000u : (ULONG)-n;
		if (FAILED(hr = local_cursor_fetch(t, from, LOCAL_MODE_LT, TRUE, back, &rows, &got)))
			return hr;
		if (got)
			hr = local_anchor_copy(&t->cursor, &rows[got - 1].key);
		else if (from != &t->cursor)
			hr = local_anchor_copy(&t->cursor, from);
		*moved = -(LONG)got;
	}
	local_found_free(rows, got);
	return hr;
}

/* ---- IUnknown ---------------------------------------------------------------------------------- */

static HRESULT table_QueryInterface(IMAPITable *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPITable))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&TBL(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG table_AddRef(IMAPITable *This)
{
	return (ULONG)atomic_fetch_add(&TBL(This)->refs, 1) + 1;
}

static ULONG table_Release(IMAPITable *This)
{
	local_table *t = TBL(This);
	ULONG left = (ULONG)atomic_fetch_sub(&t->refs, 1) - 1;
	if (left)
		return left;
	local_table_advise_free(t);
	local_db *db = t->logon->db;
	local_db_lock(db);
	local_cursor_reset(t);
	local_mat_drop(t);
	local_db_unlock(db);
	local_compiled_free(&t->comp);
	for (ULONG i = 0; i < t->n_keys; i++)
		free(t->keys[i].expr);
	local_anchor_clear(&t->cursor);
	for (ULONG i = 0; i < t->n_bookmarks; i++)
		local_anchor_clear(&t->bookmarks[i].where);
	free(t->bookmarks);
	free(t->scope);
	if (t->scope_res)
		MAPIFreeBuffer(t->scope_res);
	if (t->res)
		MAPIFreeBuffer(t->res);
	if (t->eff_root)
		MAPIFreeBuffer(t->eff_root);
	if (t->cols)
		MAPIFreeBuffer(t->cols);
	if (t->sort)
		MAPIFreeBuffer(t->sort);
	pthread_mutex_destroy(&t->advise_lock);
	local_logon *logon = t->logon;
	free(t);
	local_logon_release(logon);
	return 0;
}

static HRESULT table_GetLastError(IMAPITable *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	(void)This;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix local store table", lppMAPIError);
}

/* ---- IMAPITable ------------------------------------------------------------------------------------ */

static HRESULT table_Advise(IMAPITable *This, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                            ULONG_PTR *lpulConnection)
{
	if (!lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::Advise: NULL sink or connection");
	if (!(ulEventMask & fnevTableModified))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::Advise: tables only send fnevTableModified");
	return local_table_advise_add(TBL(This), ulEventMask, lpAdviseSink, lpulConnection);
}

static HRESULT table_Unadvise(IMAPITable *This, ULONG_PTR ulConnection)
{
	return local_table_advise_remove(TBL(This), ulConnection);
}

static HRESULT table_GetStatus(IMAPITable *This, ULONG *lpulTableStatus, ULONG *lpulTableType)
{
	(void)This;
	if (!lpulTableStatus || !lpulTableType)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetStatus: NULL argument");
	*lpulTableStatus = TBLSTAT_COMPLETE; /* every operation completes in its call */
	*lpulTableType = TBLTYPE_DYNAMIC;
	return S_OK;
}

static HRESULT table_SetColumns(IMAPITable *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags)
{
	local_table *t = TBL(This);
	LPSPropTagArray copy;
	HRESULT hr;
	if (!lpPropTagArray || lpPropTagArray->cValues == 0 || FBadColumnSet(lpPropTagArray))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SetColumns: no or bad columns");
	if (ulFlags & ~(TBL_ASYNC | TBL_BATCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::SetColumns: unknown flags 0x%08X", (unsigned)ulFlags);
	ULONG cb = (ULONG)CbSPropTagArray(lpPropTagArray);
	if (FAILED(hr = MAPIAllocateBuffer(cb, (LPVOID *)&copy)))
		return hr;
	memcpy(copy, lpPropTagArray, cb);
	ULONG mvi = 0, n_mvi = 0;
	for (ULONG i = 0; i < copy->cValues; i++)
		if ((PROP_TYPE(copy->aulPropTag[i]) & MVI_FLAG) == MVI_FLAG) {
			if (!mvi || PROP_ID(copy->aulPropTag[i]) != PROP_ID(mvi))
				n_mvi++;
			mvi = copy->aulPropTag[i];
		}
	if (n_mvi > 1) {
		MAPIFreeBuffer(copy);
		return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::SetColumns: more than one MV_INSTANCE column");
	}
	if ((hr = enter(t)) != S_OK) {
		MAPIFreeBuffer(copy);
		return hr;
	}
	ULONG old_mvi = t->mvi_tag;
	BOOL sort_mvi = FALSE;
	for (ULONG i = 0; i < t->sort->cSorts; i++)
		if ((PROP_TYPE(t->sort->aSort[i].ulPropTag) & MVI_FLAG) == MVI_FLAG)
			sort_mvi = TRUE;
	MAPIFreeBuffer(t->cols);
	t->cols = copy;
	/* Expanding or collapsing an MV column changes the rows themselves. */
	if (!sort_mvi && mvi != old_mvi)
		hr = rebuild(t);
	leave(t);
	return hr;
}

static HRESULT table_QueryColumns(IMAPITable *This, ULONG ulFlags, LPSPropTagArray *lpPropTagArray)
{
	static const char all_sql[] =
	    "SELECT DISTINCT p.tag FROM (SELECT mid FROM messages WHERE fid = ?1 AND associated = ?2 LIMIT 256) m"
	    " JOIN props p ON p.obj = m.mid";
	static const ULONG own[] = {PR_INSTANCE_KEY, PR_ROW_TYPE, PR_DEPTH, PR_ENTRYID, PR_RECORD_KEY, PR_SEARCH_KEY,
	                            PR_MESSAGE_FLAGS, PR_MESSAGE_SIZE, PR_CREATION_TIME, PR_LAST_MODIFICATION_TIME,
	                            PR_HASATTACH, PR_SOURCE_KEY, PR_CHANGE_KEY, PR_PARENT_ENTRYID, PR_OBJECT_TYPE};
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lpPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryColumns: NULL result");
	if (ulFlags & ~TBL_ALL_COLUMNS)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::QueryColumns: unknown flags 0x%08X", (unsigned)ulFlags);
	*lpPropTagArray = NULL;
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (!(ulFlags & TBL_ALL_COLUMNS)) {
		ULONG cb = (ULONG)CbSPropTagArray(t->cols);
		if (SUCCEEDED(hr = MAPIAllocateBuffer(cb, (LPVOID *)lpPropTagArray)))
			memcpy(*lpPropTagArray, t->cols, cb);
		leave(t);
		return hr;
	}
	/* Every column the table can show: its own and computed ones, and the
	 * properties found on (the first) messages of the folder. */
	ULONG *tags = NULL, n = 0, cap = 0;
	sqlite3_stmt *st;
	if (SUCCEEDED(hr = local_db_prepare(t->logon->db, all_sql, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)t->fid);
		sqlite3_bind_int(st, 2, t->associated ? 1 : 0);
		uint64_t *vals = NULL;
		size_t nv = 0;
		if (SUCCEEDED(hr = local_collect_ids(t->logon->db, st, 1, &vals, &nv, "listing columns"))) {
			cap = (ULONG)nv + t->cols->cValues + (ULONG)(sizeof own / sizeof own[0]);
			if (!(tags = malloc((cap ? cap : 1) * sizeof *tags)))
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable::QueryColumns: out of memory");
			for (ULONG i = 0; tags && i < cap; i++) {
				ULONG tag = i < t->cols->cValues ? t->cols->aulPropTag[i]
				            : i < t->cols->cValues + sizeof own / sizeof own[0]
				                ? own[i - t->cols->cValues]
				                : (ULONG)vals[i - t->cols->cValues - sizeof own / sizeof own[0]];
				if (!(t->flags & MAPI_UNICODE) && PROP_TYPE(tag) == PT_UNICODE)
					tag = CHANGE_PROP_TYPE(tag, PT_STRING8);
				else if (!(t->flags & MAPI_UNICODE) && PROP_TYPE(tag) == PT_MV_UNICODE)
					tag = CHANGE_PROP_TYPE(tag, PT_MV_STRING8);
				ULONG j;
				for (j = 0; j < n; j++)
					if (PROP_ID(tags[j]) == PROP_ID(tag))
						break;
				if (j == n)
					tags[n++] = tag;
			}
			free(vals);
		}
	}
	if (SUCCEEDED(hr) && SUCCEEDED(hr = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(n), (LPVOID *)lpPropTagArray))) {
		(*lpPropTagArray)->cValues = n;
		memcpy((*lpPropTagArray)->aulPropTag, tags, n * sizeof *tags);
	}
	free(tags);
	leave(t);
	return hr;
}

static HRESULT table_GetRowCount(IMAPITable *This, ULONG ulFlags, ULONG *lpulCount)
{
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lpulCount)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetRowCount: NULL result");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::GetRowCount: unknown flags 0x%08X", (unsigned)ulFlags);
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (t->cat)
			*lpulCount = local_cat_visible(t);
		else
			hr = local_cursor_count(t, NULL, lpulCount);
	}
	leave(t);
	return hr;
}

static HRESULT table_SeekRow(IMAPITable *This, BOOKMARK bkOrigin, LONG lRowCount, LONG *lplRowsSought)
{
	local_table *t = TBL(This);
	local_anchor from;
	BOOL moved = FALSE;
	LONG sought = 0;
	HRESULT hr;

	memset(&from, 0, sizeof from);
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (FAILED(hr = ensure_view(t)))
		goto out;
	if (t->cat) {
		ULONG pos, vis = local_cat_visible(t);
		if (FAILED(hr = resolve_pos(t, bkOrigin, &pos, &moved, "IMAPITable::SeekRow")))
			goto out;
		int64_t target = (int64_t)pos + lRowCount;
		if (target < 0)
			target = 0;
		if (target > vis)
			target = vis;
		sought = (LONG)(target - (int64_t)pos);
		t->cat_cursor = (ULONG)target;
	} else {
		if (FAILED(hr = resolve(t, bkOrigin, &from, &moved, "IMAPITable::SeekRow")))
			goto out;
		hr = seek_flat(t, &from, lRowCount, &sought);
	}
	if (SUCCEEDED(hr) && lplRowsSought)
		*lplRowsSought = sought;
	if (SUCCEEDED(hr) && moved)
		hr = MAPI_W_POSITION_CHANGED;
out:
	local_anchor_clear(&from);
	leave(t);
	return hr;
}

static HRESULT table_SeekRowApprox(IMAPITable *This, ULONG ulNumerator, ULONG ulDenominator)
{
	local_table *t = TBL(This);
	ULONG count = 0;
	LONG moved;
	HRESULT hr;
	if (ulDenominator == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SeekRowApprox: denominator 0");
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (t->cat) {
			count = local_cat_visible(t);
			t->cat_cursor = ulNumerator >= ulDenominator ? count
			                                              : (ULONG)((uint64_t)count * ulNumerator / ulDenominator);
		} else if (ulNumerator >= ulDenominator) {
			anchor_end(&t->cursor);
		} else if (SUCCEEDED(hr = local_cursor_count(t, NULL, &count))) {
			local_anchor begin;
			memset(&begin, 0, sizeof begin);
			begin.at = LOCAL_AT_BEGIN;
			hr = seek_flat(t, &begin, (LONG)((uint64_t)count * ulNumerator / ulDenominator), &moved);
		}
	}
	leave(t);
	return hr;
}

static HRESULT table_QueryPosition(IMAPITable *This, ULONG *lpulRow, ULONG *lpulNumerator, ULONG *lpulDenominator)
{
	local_table *t = TBL(This);
	ULONG row = 0, total = 0;
	HRESULT hr;
	if (!lpulRow || !lpulNumerator || !lpulDenominator)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryPosition: NULL argument");
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (t->cat) {
			total = local_cat_visible(t);
			row = t->cat_cursor < total ? t->cat_cursor : total;
		} else if (SUCCEEDED(hr = local_cursor_count(t, &t->cursor, &row))) {
			hr = local_cursor_count(t, NULL, &total);
		}
	}
	leave(t);
	if (FAILED(hr))
		return hr;
	/* At the end the row number is the row count, as MAPI asks (0xFFFFFFFF
	 * is only for tables that cannot tell). */
	*lpulRow = row;
	*lpulNumerator = row;
	*lpulDenominator = total ? total : 1;
	return S_OK;
}

/* FindRow in a categorized view: leaf rows in visible order. */
static HRESULT find_cat(local_table *t, const local_compiled *c, ULONG origin, BOOL backward, BOOL *found)
{
	ULONG vis = local_cat_visible(t);
	*found = FALSE;
	for (ULONG i = 0; i < vis; i++) {
		ULONG pos = backward ? origin - 1 - i : origin + i;
		if ((backward && i >= origin) || pos >= vis)
			break;
		BYTE key[16];
		ULONG cb;
		HRESULT hr = local_cat_key_at(t, pos, key, &cb);
		if (FAILED(hr))
			return hr;
		if (cb != 8 && cb != 12)
			continue; /* a header row */
		uint64_t mid = 0;
		for (int b = 7; b >= 0; b--)
			mid = (mid << 8) | key[b];
		BOOL match;
		if (FAILED(hr = local_restrict_eval(t->logon, c, mid, NULL, NULL, &match)))
			return hr;
		if (match) {
			t->cat_cursor = pos;
			*found = TRUE;
			return S_OK;
		}
	}
	return S_OK;
}

static HRESULT table_FindRow(IMAPITable *This, LPSRestriction lpRestriction, BOOKMARK bkOrigin, ULONG ulFlags)
{
	local_table *t = TBL(This);
	local_compiled find, saved;
	sqlite3_stmt *saved_stmts[2][4];
	local_anchor from;
	BOOL moved = FALSE, found = FALSE;
	HRESULT hr;

	if (!lpRestriction)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::FindRow: NULL restriction");
	if (ulFlags & ~DIR_BACKWARD)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::FindRow: unknown flags 0x%08X", (unsigned)ulFlags);
	if (FAILED(hr = mapix_restriction_validate(lpRestriction)))
		return hr;
	BOOL backward = (ulFlags & DIR_BACKWARD) != 0;
	memset(&from, 0, sizeof from);
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (FAILED(hr = ensure_view(t)))
		goto out;
	if (t->cat) {
		ULONG origin;
		if (FAILED(hr = resolve_pos(t, bkOrigin, &origin, &moved, "IMAPITable::FindRow")) ||
		    FAILED(hr = local_restrict_compile(lpRestriction, TRUE, &find)))
			goto out;
		hr = find_cat(t, &find, origin, backward, &found);
		local_compiled_free(&find);
		goto done;
	}
	if (FAILED(hr = resolve(t, bkOrigin, &from, &moved, "IMAPITable::FindRow")))
		goto out;
	/* Search with the table's restriction AND the search, in SQL where it
	 * can be: the page queries are swapped for the call. */
	SRestriction both[2], and;
	ULONG n = 0;
	if (t->eff_res && !t->materialized)
		both[n++] = *t->eff_res;
	both[n++] = *lpRestriction;
	and.rt = RES_AND;
	and.res.resAnd.cRes = n;
	and.res.resAnd.lpRes = both;
	if (FAILED(hr = local_restrict_compile(&and, t->force_c, &find)))
		goto out;
	if (find.has_count) {
		/* A count is stateful: evaluate it alone, in C. */
		local_compiled_free(&find);
		if (FAILED(hr = local_restrict_compile(&and, TRUE, &find)))
			goto out;
	}
	saved = t->comp;
	memcpy(saved_stmts, t->stmts, sizeof saved_stmts);
	memset(t->stmts, 0, sizeof t->stmts);
	t->comp = find;
	t->finding = TRUE;
	local_found *rows = NULL;
	ULONG got = 0;
	hr = local_cursor_fetch(t, &from, backward ? LOCAL_MODE_LT : LOCAL_MODE_GE, backward, 1, &rows, &got);
	local_cursor_reset(t);
	t->finding = FALSE;
	t->comp = saved;
	memcpy(t->stmts, saved_stmts, sizeof saved_stmts);
	local_compiled_free(&find);
	if (SUCCEEDED(hr) && got) {
		found = TRUE;
		hr = local_anchor_copy(&t->cursor, &rows[0].key);
	}
	local_found_free(rows, got);
done:
	if (SUCCEEDED(hr) && !found)
		hr = mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::FindRow: no row matches");
	else if (SUCCEEDED(hr) && moved)
		hr = MAPI_W_POSITION_CHANGED;
out:
	local_anchor_clear(&from);
	leave(t);
	return hr;
}

static HRESULT table_Restrict(IMAPITable *This, LPSRestriction lpRestriction, ULONG ulFlags)
{
	local_table *t = TBL(This);
	LPSRestriction copy = NULL;
	HRESULT hr;
	if (ulFlags & ~(TBL_ASYNC | TBL_BATCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::Restrict: unknown flags 0x%08X", (unsigned)ulFlags);
	if (lpRestriction && FAILED(hr = mapix_restriction_dup(lpRestriction, &copy)))
		return hr;
	if ((hr = enter(t)) != S_OK) {
		if (copy)
			MAPIFreeBuffer(copy);
		return hr;
	}
	if (t->res)
		MAPIFreeBuffer(t->res);
	t->res = copy;
	hr = rebuild(t);
	leave(t);
	return hr;
}

static HRESULT table_CreateBookmark(IMAPITable *This, BOOKMARK *lpbkPosition)
{
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lpbkPosition)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::CreateBookmark: NULL result");
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (FAILED(hr = ensure_view(t)))
		goto out;
	if (t->n_bookmarks == t->cap_bookmarks) {
		ULONG cap = t->cap_bookmarks ? t->cap_bookmarks * 2 : 8;
		local_bookmark *b = realloc(t->bookmarks, cap * sizeof *b);
		if (!b) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable::CreateBookmark: out of memory");
			goto out;
		}
		t->bookmarks = b;
		t->cap_bookmarks = cap;
	}
	local_bookmark *b = &t->bookmarks[t->n_bookmarks];
	memset(b, 0, sizeof *b);
	b->where.inst = -1;
	if (t->cat) {
		/* Categorized views remember the row's instance key and position. */
		BYTE key[16];
		ULONG cb;
		b->pos = t->cat_cursor;
		b->where.at = LOCAL_AT_END;
		if (t->cat_cursor < local_cat_visible(t) && SUCCEEDED(local_cat_key_at(t, t->cat_cursor, key, &cb))) {
			sqlite3_value *v = NULL;
			sqlite3_stmt *st;
			if (sqlite3_prepare_v2(t->logon->db->db, "SELECT ?1", -1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_blob(st, 1, key, (int)cb, SQLITE_TRANSIENT);
				if (sqlite3_step(st) == SQLITE_ROW)
					v = sqlite3_value_dup(sqlite3_column_value(st, 0));
				sqlite3_finalize(st);
			}
			if (v) {
				b->where.at = LOCAL_AT_ROW;
				b->where.k[0] = v;
				b->where.nk = 1;
			}
		}
	} else if (FAILED(hr = local_anchor_copy(&b->where, &t->cursor))) {
		goto out;
	}
	/* Bookmark values start above the three BOOKMARK_* constants. */
	b->bk = t->next_bk++;
	t->n_bookmarks++;
	*lpbkPosition = b->bk;
out:
	leave(t);
	return hr;
}

static HRESULT table_FreeBookmark(IMAPITable *This, BOOKMARK bkPosition)
{
	local_table *t = TBL(This);
	local_db_lock(t->logon->db);
	for (ULONG i = 0; i < t->n_bookmarks; i++) {
		if (t->bookmarks[i].bk != bkPosition)
			continue;
		local_anchor_clear(&t->bookmarks[i].where);
		t->bookmarks[i] = t->bookmarks[--t->n_bookmarks];
		local_db_unlock(t->logon->db);
		return S_OK;
	}
	local_db_unlock(t->logon->db);
	if (bkPosition <= BOOKMARK_END)
		return S_OK; /* the predefined ones are never freed */
	return mapix_error(MAPI_E_INVALID_BOOKMARK, "IMAPITable::FreeBookmark: unknown bookmark");
}

static HRESULT table_SortTable(IMAPITable *This, LPSSortOrderSet lpSortCriteria, ULONG ulFlags)
{
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lpSortCriteria || FBadSortOrderSet(lpSortCriteria))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SortTable: no or bad sort order");
	if (ulFlags & ~(TBL_ASYNC | TBL_BATCH))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::SortTable: unknown flags 0x%08X", (unsigned)ulFlags);
	if (lpSortCriteria->cSorts > LOCAL_TABLE_MAX_KEYS)
		return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::SortTable: more than %d sort keys", LOCAL_TABLE_MAX_KEYS);
	if (lpSortCriteria->cCategories > lpSortCriteria->cSorts ||
	    lpSortCriteria->cExpanded > lpSortCriteria->cCategories)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SortTable: more categories than keys");
	ULONG n_mvi = 0;
	for (ULONG i = 0; i < lpSortCriteria->cSorts; i++) {
		ULONG order = lpSortCriteria->aSort[i].ulOrder;
		if (order & TABLE_SORT_COMBINE)
			return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::SortTable: TABLE_SORT_COMBINE is not supported");
		if (order & ~(TABLE_SORT_DESCEND | TABLE_SORT_CATEG_MAX | TABLE_SORT_CATEG_MIN))
			return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SortTable: bad order 0x%08X", (unsigned)order);
		if ((PROP_TYPE(lpSortCriteria->aSort[i].ulPropTag) & MVI_FLAG) == MVI_FLAG)
			n_mvi++;
		else if (PROP_TYPE(lpSortCriteria->aSort[i].ulPropTag) & MV_FLAG)
			return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::SortTable: a multi-valued key needs MV_INSTANCE");
	}
	if (n_mvi > 1)
		return mapix_error(MAPI_E_TOO_COMPLEX, "IMAPITable::SortTable: more than one MV_INSTANCE key");
	local_table_sort_index(t, lpSortCriteria);
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = set_sort(t, lpSortCriteria)))
		hr = rebuild(t);
	leave(t);
	return hr;
}

static HRESULT table_QuerySortOrder(IMAPITable *This, LPSSortOrderSet *lppSortCriteria)
{
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lppSortCriteria)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QuerySortOrder: NULL result");
	local_db_lock(t->logon->db);
	ULONG cb = (ULONG)CbSSortOrderSet(t->sort);
	if (SUCCEEDED(hr = MAPIAllocateBuffer(cb, (LPVOID *)lppSortCriteria)))
		memcpy(*lppSortCriteria, t->sort, cb);
	local_db_unlock(t->logon->db);
	return hr;
}

static HRESULT query_flat(local_table *t, LONG lRowCount, ULONG ulFlags, LPSRowSet set)
{
	local_found *rows = NULL;
	ULONG got = 0, n;
	HRESULT hr;
	BOOL backward = lRowCount < 0;
	n = backward ? (lRowCount == INT32_MIN ? 0x80000000u : (ULONG)-lRowCount) : (ULONG)lRowCount;
	if (!backward) {
		if (FAILED(hr = local_cursor_fetch(t, &t->cursor, LOCAL_MODE_GE, FALSE, n + 1, &rows, &got)))
			return hr;
	} else if (FAILED(hr = local_cursor_fetch(t, &t->cursor, LOCAL_MODE_LT, TRUE, n, &rows, &got))) {
		return hr;
	}
	ULONG take = got < n ? got : n;
	for (ULONG i = 0; i < take; i++) {
		/* Backward reads come nearest first; rows are returned in table order. */
		local_found *f = backward ? &rows[take - 1 - i] : &rows[i];
		set->aRow[i].ulAdrEntryPad = 0;
		set->aRow[i].cValues = t->cols->cValues;
		if (FAILED(hr = local_rows_make(t, f->mid, f->inst, &set->aRow[i].lpProps)))
			goto out;
		set->cRows++;
	}
	if (backward) {
		if (take)
			hr = local_anchor_copy(&t->cursor, &rows[take - 1].key);
	} else if (!(ulFlags & TBL_NOADVANCE)) {
		if (got > n)
			hr = local_anchor_copy(&t->cursor, &rows[n].key);
		else
			anchor_end(&t->cursor);
	} else if (take) {
		hr = local_anchor_copy(&t->cursor, &rows[0].key);
	}
out:
	local_found_free(rows, got);
	return hr;
}

static HRESULT table_QueryRows(IMAPITable *This, LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows)
{
	local_table *t = TBL(This);
	LPSRowSet set = NULL;
	HRESULT hr;
	if (!lppRows || lRowCount == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::QueryRows: NULL result or a row count of 0");
	if (ulFlags & ~TBL_NOADVANCE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::QueryRows: unknown flags 0x%08X", (unsigned)ulFlags);
	*lppRows = NULL;
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (FAILED(hr = ensure_view(t)))
		goto out;
	ULONG want = lRowCount < 0 ? (lRowCount == INT32_MIN ? 0x80000000u : (ULONG)-lRowCount) : (ULONG)lRowCount;
	/* Never more than what is there: allocate for the rows that can come. */
	ULONG avail;
	if (t->cat) {
		ULONG vis = local_cat_visible(t);
		avail = lRowCount > 0 ? vis - (t->cat_cursor < vis ? t->cat_cursor : vis) : t->cat_cursor;
	} else {
		avail = want;
		if (want > 4096) {
			ULONG total;
			if (FAILED(hr = local_cursor_count(t, NULL, &total)))
				goto out;
			avail = total;
		}
	}
	if (avail > want)
		avail = want;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSRowSet(avail ? avail : 1), (LPVOID *)&set)))
		goto out;
	set->cRows = 0;
	if (t->cat) {
		ULONG first = lRowCount > 0 ? t->cat_cursor : t->cat_cursor - avail;
		hr = local_cat_rows(t, first, avail, set);
		if (SUCCEEDED(hr)) {
			if (lRowCount < 0)
				t->cat_cursor = first;
			else if (!(ulFlags & TBL_NOADVANCE))
				t->cat_cursor = first + set->cRows;
		}
	} else {
		hr = query_flat(t, lRowCount > 0 ? (LONG)avail : -(LONG)avail, ulFlags, set);
	}
	if (FAILED(hr)) {
		FreeProws(set);
		set = NULL;
	}
out:
	leave(t);
	*lppRows = set;
	return hr;
}

static HRESULT table_Abort(IMAPITable *This)
{
	(void)This;
	return S_OK; /* nothing runs asynchronously */
}

static HRESULT table_ExpandRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulRowCount,
                               ULONG ulFlags, LPSRowSet *lppRows, ULONG *lpulMoreRows)
{
	local_table *t = TBL(This);
	HRESULT hr;
	ULONG changed = 0, at = 0;
	if (!pbInstanceKey || !cbInstanceKey)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::ExpandRow: no instance key");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::ExpandRow: unknown flags 0x%08X", (unsigned)ulFlags);
	if (lppRows)
		*lppRows = NULL;
	if (lpulMoreRows)
		*lpulMoreRows = 0;
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (!t->cat)
			hr = mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::ExpandRow: the table has no categories");
		else
			hr = local_cat_expand(t, cbInstanceKey, pbInstanceKey, TRUE, &changed, &at);
	}
	if (SUCCEEDED(hr)) {
		if (t->cat_cursor > at)
			t->cat_cursor += changed;
		ULONG take = ulRowCount < changed ? ulRowCount : changed;
		if (lppRows) {
			LPSRowSet set;
			if (SUCCEEDED(hr = MAPIAllocateBuffer((ULONG)CbNewSRowSet(take ? take : 1), (LPVOID *)&set))) {
				set->cRows = 0;
				if (FAILED(hr = local_cat_rows(t, at + 1, take, set))) {
					FreeProws(set);
					set = NULL;
				}
				*lppRows = set;
			}
		}
		if (SUCCEEDED(hr) && lpulMoreRows)
			*lpulMoreRows = changed - take;
	}
	leave(t);
	return hr;
}

static HRESULT table_CollapseRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulFlags,
                                 ULONG *lpulRowCount)
{
	local_table *t = TBL(This);
	HRESULT hr;
	ULONG changed = 0, at = 0;
	if (!pbInstanceKey || !cbInstanceKey)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::CollapseRow: no instance key");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::CollapseRow: unknown flags 0x%08X", (unsigned)ulFlags);
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (!t->cat)
			hr = mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::CollapseRow: the table has no categories");
		else
			hr = local_cat_expand(t, cbInstanceKey, pbInstanceKey, FALSE, &changed, &at);
	}
	if (SUCCEEDED(hr)) {
		/* A cursor inside the collapsed rows moves to the header. */
		if (t->cat_cursor > at + changed)
			t->cat_cursor -= changed;
		else if (t->cat_cursor > at)
			t->cat_cursor = at;
		if (lpulRowCount)
			*lpulRowCount = changed;
	}
	leave(t);
	return hr;
}

static HRESULT table_WaitForCompletion(IMAPITable *This, ULONG ulFlags, ULONG ulTimeout, ULONG *lpulTableStatus)
{
	(void)This, (void)ulFlags, (void)ulTimeout;
	if (lpulTableStatus)
		*lpulTableStatus = TBLSTAT_COMPLETE;
	return S_OK;
}

static HRESULT table_GetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbInstanceKey, LPBYTE lpbInstanceKey,
                                      ULONG *lpcbCollapseState, LPBYTE *lppbCollapseState)
{
	local_table *t = TBL(This);
	HRESULT hr;
	if (!lpcbCollapseState || !lppbCollapseState)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::GetCollapseState: NULL result");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::GetCollapseState: unknown flags");
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (!t->cat)
			hr = mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::GetCollapseState: the table has no categories");
		else
			hr = local_cat_get_state(t, cbInstanceKey, lpbInstanceKey, lpcbCollapseState, lppbCollapseState);
	}
	leave(t);
	return hr;
}

static HRESULT table_SetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbCollapseState, LPBYTE pbCollapseState,
                                      BOOKMARK *lpbkLocation)
{
	local_table *t = TBL(This);
	HRESULT hr;
	ULONG pos = 0;
	if (!pbCollapseState || !cbCollapseState || !lpbkLocation)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SetCollapseState: no state");
	if (ulFlags)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IMAPITable::SetCollapseState: unknown flags");
	if ((hr = enter(t)) != S_OK)
		return hr;
	if (SUCCEEDED(hr = ensure_view(t))) {
		if (!t->cat)
			hr = mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::SetCollapseState: the table has no categories");
		else
			hr = local_cat_set_state(t, cbCollapseState, pbCollapseState, &pos);
	}
	leave(t);
	if (FAILED(hr))
		return hr;
	/* The bookmark names the row the state was saved at. */
	ULONG keep = t->cat_cursor;
	t->cat_cursor = pos;
	hr = table_CreateBookmark(This, lpbkLocation);
	t->cat_cursor = keep;
	return hr;
}

static const IMAPITableVtbl table_vtbl = {
	.QueryInterface = table_QueryInterface,
	.AddRef = table_AddRef,
	.Release = table_Release,
	.GetLastError = table_GetLastError,
	.Advise = table_Advise,
	.Unadvise = table_Unadvise,
	.GetStatus = table_GetStatus,
	.SetColumns = table_SetColumns,
	.QueryColumns = table_QueryColumns,
	.GetRowCount = table_GetRowCount,
	.SeekRow = table_SeekRow,
	.SeekRowApprox = table_SeekRowApprox,
	.QueryPosition = table_QueryPosition,
	.FindRow = table_FindRow,
	.Restrict = table_Restrict,
	.CreateBookmark = table_CreateBookmark,
	.FreeBookmark = table_FreeBookmark,
	.SortTable = table_SortTable,
	.QuerySortOrder = table_QuerySortOrder,
	.QueryRows = table_QueryRows,
	.Abort = table_Abort,
	.ExpandRow = table_ExpandRow,
	.CollapseRow = table_CollapseRow,
	.WaitForCompletion = table_WaitForCompletion,
	.GetCollapseState = table_GetCollapseState,
	.SetCollapseState = table_SetCollapseState,
};

HRESULT local_table_open_contents(local_logon *logon, uint64_t fid, ULONG ulFlags, const uint64_t *scope,
                                  ULONG n_scope, const SRestriction *scope_res, LPMAPITABLE *lppTable)
{
	static const SizedSPropTagArray(8, cols_w) = {
		8, {PR_INSTANCE_KEY, PR_ENTRYID, PR_SUBJECT_W, PR_MESSAGE_CLASS_W, PR_MESSAGE_FLAGS, PR_MESSAGE_SIZE,
		    PR_MESSAGE_DELIVERY_TIME, PR_SENDER_NAME_W}};
	static const SizedSPropTagArray(8, cols_a) = {
		8, {PR_INSTANCE_KEY, PR_ENTRYID, PR_SUBJECT_A, PR_MESSAGE_CLASS_A, PR_MESSAGE_FLAGS, PR_MESSAGE_SIZE,
		    PR_MESSAGE_DELIVERY_TIME, PR_SENDER_NAME_A}};
	static const SSortOrderSet no_sort = {0, 0, 0, {{0, 0}}};
	local_table *t;
	HRESULT hr;

	*lppTable = NULL;
	if (!(t = calloc(1, sizeof *t)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetContentsTable: out of memory");
	t->itf.lpVtbl = &table_vtbl;
	atomic_init(&t->refs, 1);
	t->logon = logon;
	atomic_fetch_add(&logon->refs, 1);
	pthread_mutex_init(&t->advise_lock, NULL);
	t->fid = fid;
	t->associated = (ulFlags & MAPI_ASSOCIATED) != 0;
	t->flags = ulFlags;
	t->next_bk = BOOKMARK_END + 1;
	const char *force = getenv("MAPIX_STORE_RESTRICT");
	t->force_c = force && strcmp(force, "c") == 0;
	anchor_begin(&t->cursor);
	snprintf(t->mat_name, sizeof t->mat_name, "lt_%llx", (unsigned long long)(uintptr_t)t);
	local_sql_init(&t->comp.where);

	const SPropTagArray *cols = (ulFlags & MAPI_UNICODE) ? (const SPropTagArray *)&cols_w
	                                                     : (const SPropTagArray *)&cols_a;
	ULONG cb = (ULONG)CbSPropTagArray(cols);
	if (FAILED(hr = MAPIAllocateBuffer(cb, (LPVOID *)&t->cols)))
		goto fail;
	memcpy(t->cols, cols, cb);
	if (scope) {
		if (!(t->scope = malloc((n_scope ? n_scope : 1) * sizeof *t->scope))) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetContentsTable: out of memory");
			goto fail;
		}
		memcpy(t->scope, scope, n_scope * sizeof *scope);
		t->n_scope = n_scope;
		if (scope_res && FAILED(hr = mapix_restriction_dup((LPSRestriction)scope_res, &t->scope_res)))
			goto fail;
	}
	local_db_lock(logon->db);
	hr = local_sql_register(logon->db);
	if (SUCCEEDED(hr))
		hr = set_sort(t, &no_sort);
	if (SUCCEEDED(hr) && SUCCEEDED(hr = local_db_begin_read(logon->db))) {
		hr = rebuild(t);
		local_db_end_read(logon->db);
	}
	local_db_unlock(logon->db);
	if (FAILED(hr))
		goto fail;
	*lppTable = &t->itf;
	return S_OK;
fail:
	table_Release(&t->itf);
	return hr;
}
