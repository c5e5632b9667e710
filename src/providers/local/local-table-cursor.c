/*
 * local-table-cursor.c — keyset paging for contents tables.
 *
 * A table position is never an offset: it is the sort key of a row (the
 * sort columns, then the message id as tie breaker) and a page is "the next
 * n rows after this key" in index order, so a page costs the same at the
 * start of a folder of a million messages as at the end, no read
 * transaction has to stay open between calls, and rows added or removed
 * elsewhere never shift the cursor. The tie breaker runs in the direction
 * of the last sort key so that one index serves the whole ORDER BY.
 *
 * Materialized views (local-table-categories.c) page the same way over
 * their temporary table, keyed by its row number.
 *
 * What SQL cannot decide (the C part of a restriction) is applied to each
 * row read; pages are then read in batches until enough rows match.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-table.h"

/* Rows read per query when the C side filters. */
#define CURSOR_BATCH 128

void local_anchor_clear(local_anchor *a)
{
	for (int i = 0; i < a->nk; i++)
		sqlite3_value_free(a->k[i]);
	memset(a, 0, sizeof *a);
	a->inst = -1;
}

HRESULT local_anchor_copy(local_anchor *dst, const local_anchor *src)
{
	local_anchor tmp = *src;
	for (int i = 0; i < src->nk; i++) {
		tmp.k[i] = sqlite3_value_dup(src->k[i]);
		if (!tmp.k[i]) {
			tmp.nk = i;
			local_anchor_clear(&tmp);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
		}
	}
	local_anchor_clear(dst);
	*dst = tmp;
	return S_OK;
}

void local_found_free(local_found *f, ULONG n)
{
	for (ULONG i = 0; f && i < n; i++)
		local_anchor_clear(&f[i].key);
	free(f);
}

void local_cursor_reset(local_table *t)
{
	for (int b = 0; b < 2; b++)
		for (int m = 0; m < 4; m++) {
			if (t->stmts[b][m])
				sqlite3_finalize(t->stmts[b][m]);
			t->stmts[b][m] = NULL;
		}
}

/* The key expressions of the table and their directions (TRUE: descending). */
static int key_exprs(const local_table *t, const char **expr, BOOL *desc)
{
	if (t->materialized) {
		expr[0] = "t.seq";
		desc[0] = FALSE;
		return 1;
	}
	int n = 0;
	for (ULONG i = 0; i < t->n_keys; i++) {
		expr[n] = t->keys[i].expr;
		desc[n++] = t->keys[i].desc;
	}
	expr[n] = "m.mid";
	desc[n] = n ? desc[n - 1] : FALSE;
	return n + 1;
}

/* FROM ... WHERE <rows of the table>, with its binds. */
static void source_sql(local_table *t, local_sql *q)
{
	if (t->materialized) {
		local_sql_add(q, " FROM temp.%s t JOIN messages m ON m.mid = t.mid WHERE 1", t->mat_name);
		if (t->finding && t->comp.where.len) {
			local_sql_add(q, " AND (");
			local_sql_append(q, &t->comp.where);
			local_sql_add(q, ")");
		}
		return;
	}
	local_sql_add(q, " FROM messages m WHERE ");
	if (t->scope) {
		local_sql_add(q, "m.fid IN (");
		for (ULONG i = 0; i < t->n_scope; i++)
			local_sql_add(q, i ? ", %llu" : "%llu", (unsigned long long)t->scope[i]);
		local_sql_add(q, ") AND m.associated = 0");
	} else {
		local_sql_add(q, "m.fid = ? AND m.associated = ?");
		local_sql_bind_int(q, (sqlite3_int64)t->fid);
		local_sql_bind_int(q, t->associated ? 1 : 0);
	}
	if (t->comp.where.len) {
		local_sql_add(q, " AND (");
		local_sql_append(q, &t->comp.where);
		local_sql_add(q, ")");
	}
}

/*
 * Rows after (GE/GT) or before (LT) the anchor in table order, as SQL on
 * the key expressions: one row-value comparison when every key runs the
 * same way (an index range), the expanded form otherwise. The anchor's
 * values are bound at run time, so only the placeholders are written here.
 */
static void anchor_sql(local_sql *q, int nk, const char **expr, const BOOL *desc, enum local_mode mode)
{
	BOOL same = TRUE;
	for (int i = 1; i < nk; i++)
		if (desc[i] != desc[0])
			same = FALSE;
	if (same) {
		const char *op;
		BOOL after = mode != LOCAL_MODE_LT;
		if (after != desc[0])
			op = mode == LOCAL_MODE_GE ? ">=" : ">";
		else
			op = mode == LOCAL_MODE_GE ? "<=" : "<";
		local_sql_add(q, " AND (");
		for (int i = 0; i < nk; i++)
			local_sql_add(q, i ? ", %s" : "%s", expr[i]);
		local_sql_add(q, ") %s (", op);
		for (int i = 0; i < nk; i++)
			local_sql_add(q, i ? ", ?" : "?");
		local_sql_add(q, ")");
		return;
	}
	local_sql_add(q, " AND ");
	for (int i = 0; i < nk; i++) {
		BOOL after = mode != LOCAL_MODE_LT;
		const char *op = after != desc[i] ? ">" : "<";
		if (i == nk - 1) {
			local_sql_add(q, "%s %s%s ?", expr[i], op, mode == LOCAL_MODE_GE ? "=" : "");
		} else {
			local_sql_add(q, "(%s %s ? OR (%s = ? AND ", expr[i], op, expr[i]);
		}
	}
	for (int i = 0; i < nk - 1; i++)
		local_sql_add(q, "))");
}

/* Binds the anchor's key for anchor_sql from parameter `at`; returns the next. */
static int bind_anchor(sqlite3_stmt *st, int at, const local_anchor *a, int nk, const BOOL *desc)
{
	BOOL same = TRUE;
	for (int i = 1; i < nk; i++)
		if (desc[i] != desc[0])
			same = FALSE;
	for (int i = 0; i < nk; i++) {
		sqlite3_bind_value(st, at++, a->k[i]);
		if (!same && i < nk - 1)
			sqlite3_bind_value(st, at++, a->k[i]);
	}
	return at;
}

/* The page query for (backward, mode), prepared once per sort and restriction. */
static HRESULT page_stmt(local_table *t, BOOL backward, enum local_mode mode, sqlite3_stmt **out, int *nk_out)
{
	const char *expr[LOCAL_TABLE_MAX_KEYS + 2];
	BOOL desc[LOCAL_TABLE_MAX_KEYS + 2];
	int nk = key_exprs(t, expr, desc);
	*nk_out = nk;
	if (t->stmts[backward][mode]) {
		*out = t->stmts[backward][mode];
		sqlite3_reset(*out);
		sqlite3_clear_bindings(*out);
		return S_OK;
	}
	local_sql q;
	local_sql_init(&q);
	local_sql_add(&q, t->materialized ? "SELECT t.mid, t.inst" : "SELECT m.mid, -1");
	for (int i = 0; i < nk; i++)
		local_sql_add(&q, ", %s", expr[i]);
	source_sql(t, &q);
	if (mode != LOCAL_MODE_ALL)
		anchor_sql(&q, nk, expr, desc, mode);
	local_sql_add(&q, " ORDER BY ");
	for (int i = 0; i < nk; i++)
		local_sql_add(&q, "%s%s%s", i ? ", " : "", expr[i], (desc[i] != backward) ? " DESC" : "");
	local_sql_add(&q, " LIMIT ?");
	HRESULT hr = local_sql_prepare(t->logon->db, &q, out);
	if (SUCCEEDED(hr)) {
		/* The table's own binds stay on the statement; anchors and the
		 * limit are bound per call after them. */
		t->stmts[backward][mode] = *out;
	}
	local_sql_free(&q);
	return hr;
}

/* Number of binds the source part of the page query carries. */
static int source_binds(local_table *t)
{
	if (t->materialized)
		return t->finding ? t->comp.where.nb : 0;
	return (t->scope ? 0 : 2) + t->comp.where.nb;
}

static HRESULT bind_source(local_table *t, sqlite3_stmt *st)
{
	if (t->materialized) {
		if (t->finding)
			local_sql_bind_all(st, &t->comp.where, 1);
		return S_OK;
	}
	int at = 1;
	if (!t->scope) {
		sqlite3_bind_int64(st, at++, (sqlite3_int64)t->fid);
		sqlite3_bind_int(st, at++, t->associated ? 1 : 0);
	}
	local_sql_bind_all(st, &t->comp.where, at);
	return S_OK;
}

/* One query: up to limit rows from `from` (as the mode says). */
static HRESULT fetch_once(local_table *t, const local_anchor *from, enum local_mode mode, BOOL backward, ULONG limit,
                          local_found *out, ULONG *got)
{
	sqlite3_stmt *st;
	int nk;
	BOOL desc[LOCAL_TABLE_MAX_KEYS + 2];
	const char *expr[LOCAL_TABLE_MAX_KEYS + 2];
	HRESULT hr;

	*got = 0;
	key_exprs(t, expr, desc);
	if (FAILED(hr = page_stmt(t, backward, mode, &st, &nk)))
		return hr;
	bind_source(t, st);
	int at = source_binds(t) + 1;
	if (mode != LOCAL_MODE_ALL) {
		if (from->nk != nk) {
			sqlite3_reset(st);
			return mapix_error(MAPI_E_INVALID_BOOKMARK, "IMAPITable: a position from another sort order");
		}
		at = bind_anchor(st, at, from, nk, desc);
	}
	sqlite3_bind_int64(st, at, limit);
	int rc;
	while (*got < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		local_found *f = &out[*got];
		memset(f, 0, sizeof *f);
		f->mid = (uint64_t)sqlite3_column_int64(st, 0);
		f->inst = (LONG)sqlite3_column_int64(st, 1);
		f->key.at = LOCAL_AT_ROW;
		f->key.mid = f->mid;
		f->key.inst = f->inst;
		for (int i = 0; i < nk; i++) {
			f->key.k[i] = sqlite3_value_dup(sqlite3_column_value(st, 2 + i));
			if (!f->key.k[i]) {
				f->key.nk = i;
				local_anchor_clear(&f->key);
				sqlite3_reset(st);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
			}
			f->key.nk = i + 1;
		}
		(*got)++;
	}
	if (*got < limit && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return local_db_error(t->logon->db, rc, "reading a table");
	}
	sqlite3_reset(st);
	return S_OK;
}

HRESULT local_cursor_fetch(local_table *t, const local_anchor *from, enum local_mode mode, BOOL backward, ULONG n,
                           local_found **out, ULONG *got)
{
	local_found *res = NULL, *batch = NULL;
	ULONG have = 0, nb;
	local_anchor cont;
	HRESULT hr = S_OK;

	*out = NULL;
	*got = 0;
	if (from->at == LOCAL_AT_END && !backward)
		return S_OK;
	if (from->at == LOCAL_AT_BEGIN && backward)
		return S_OK;
	if (from->at != LOCAL_AT_ROW)
		mode = LOCAL_MODE_ALL;
	if (n == 0)
		return S_OK;
	if (!(res = calloc(n, sizeof *res)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
	BOOL filter = t->comp.c_res && (!t->materialized || t->finding);
	if (!filter) {
		hr = fetch_once(t, from, mode, backward, n, res, &have);
		if (FAILED(hr)) {
			local_found_free(res, have);
			return hr;
		}
		*out = res;
		*got = have;
		return S_OK;
	}
	/* Read in batches, keep what the C side accepts. */
	memset(&cont, 0, sizeof cont);
	cont.inst = -1;
	if (FAILED(hr = local_anchor_copy(&cont, from)))
		goto fail;
	if (!(batch = calloc(CURSOR_BATCH, sizeof *batch))) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
		goto fail;
	}
	for (;;) {
		if (FAILED(hr = fetch_once(t, &cont, mode, backward, CURSOR_BATCH, batch, &nb)))
			goto fail;
		/* The next batch starts after the last row read, kept or not. */
		if (nb && FAILED(hr = local_anchor_copy(&cont, &batch[nb - 1].key))) {
			local_found_free(batch, nb);
			batch = NULL;
			goto fail;
		}
		for (ULONG i = 0; i < nb; i++) {
			BOOL match = FALSE;
			if (have < n && FAILED(hr = local_restrict_eval(t->logon, &t->comp, batch[i].mid, NULL, NULL, &match))) {
				local_found_free(batch, nb);
				batch = NULL;
				goto fail;
			}
			if (have < n && match) {
				res[have++] = batch[i];
				memset(&batch[i].key, 0, sizeof batch[i].key);
			}
		}
		for (ULONG i = 0; i < nb; i++)
			local_anchor_clear(&batch[i].key);
		if (have >= n || nb < CURSOR_BATCH)
			break;
		mode = backward ? LOCAL_MODE_LT : LOCAL_MODE_GT;
	}
	free(batch);
	local_anchor_clear(&cont);
	*out = res;
	*got = have;
	return S_OK;
fail:
	free(batch);
	local_anchor_clear(&cont);
	local_found_free(res, have);
	return hr;
}

/* SELECT count(*) of the table's rows (before `upto` when given). */
static HRESULT count_sql(local_table *t, const local_anchor *upto, ULONG *count)
{
	const char *expr[LOCAL_TABLE_MAX_KEYS + 2];
	BOOL desc[LOCAL_TABLE_MAX_KEYS + 2];
	int nk = key_exprs(t, expr, desc);
	local_sql q;
	sqlite3_stmt *st;
	HRESULT hr;

	local_sql_init(&q);
	local_sql_add(&q, "SELECT count(*)");
	source_sql(t, &q);
	if (upto)
		anchor_sql(&q, nk, expr, desc, LOCAL_MODE_LT);
	if (FAILED(hr = local_sql_prepare(t->logon->db, &q, &st))) {
		local_sql_free(&q);
		return hr;
	}
	int at = local_sql_bind_all(st, &q, 1);
	if (upto) {
		if (upto->nk != nk) {
			sqlite3_finalize(st);
			local_sql_free(&q);
			return mapix_error(MAPI_E_INVALID_BOOKMARK, "IMAPITable: a position from another sort order");
		}
		bind_anchor(st, at, upto, nk, desc);
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (ULONG)sqlite3_column_int64(st, 0);
	else
		hr = local_db_error(t->logon->db, rc, "counting a table");
	sqlite3_finalize(st);
	local_sql_free(&q);
	return hr;
}

HRESULT local_cursor_count(local_table *t, const local_anchor *upto, ULONG *count)
{
	HRESULT hr;
	*count = 0;
	if (upto && upto->at == LOCAL_AT_BEGIN)
		return S_OK;
	if (upto && upto->at == LOCAL_AT_END)
		upto = NULL;
	if (t->materialized) {
		if (!upto) {
			*count = t->mat_rows;
			return S_OK;
		}
		/* Row numbers are positions: the key is seq, from 1. */
		sqlite3_int64 seq = sqlite3_value_int64(upto->k[0]);
		*count = seq > 0 ? (ULONG)(seq - 1) : 0;
		return S_OK;
	}
	if (!upto && !t->scope && !t->comp.where.len && !t->comp.c_res) {
		/* The folder's kept counters. */
		static const char sel[] = "SELECT CASE WHEN ?2 THEN assoc_count ELSE content_count END FROM folders"
		                          " WHERE fid = ?1";
		sqlite3_stmt *st;
		if (FAILED(hr = local_db_prepare(t->logon->db, sel, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)t->fid);
		sqlite3_bind_int(st, 2, t->associated ? 1 : 0);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*count = (ULONG)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			return mapix_error(MAPI_E_OBJECT_DELETED, "IMAPITable: the folder was deleted");
		return rc == SQLITE_ROW ? S_OK : local_db_error(t->logon->db, rc, "counting a table");
	}
	if (!t->comp.c_res)
		return count_sql(t, upto, count);
	/* The C side decides: walk the rows (the slow path of such restrictions),
	 * backward from `upto` or forward over the whole table. */
	local_anchor at;
	memset(&at, 0, sizeof at);
	at.inst = -1;
	at.at = LOCAL_AT_BEGIN;
	if (upto && FAILED(hr = local_anchor_copy(&at, upto)))
		return hr;
	BOOL backward = upto != NULL;
	enum local_mode mode = upto ? LOCAL_MODE_LT : LOCAL_MODE_ALL;
	for (;;) {
		local_found *rows;
		ULONG got;
		if (FAILED(hr = local_cursor_fetch(t, &at, mode, backward, CURSOR_BATCH, &rows, &got)))
			break;
		*count += got;
		if (got)
			hr = local_anchor_copy(&at, &rows[got - 1].key);
		local_found_free(rows, got);
		if (FAILED(hr) || got < CURSOR_BATCH)
			break;
		mode = backward ? LOCAL_MODE_LT : LOCAL_MODE_GT;
	}
	local_anchor_clear(&at);
	return hr;
}

HRESULT local_cursor_key_of(local_table *t, uint64_t mid, LONG inst, local_anchor *out, BOOL *found)
{
	const char *expr[LOCAL_TABLE_MAX_KEYS + 2];
	BOOL desc[LOCAL_TABLE_MAX_KEYS + 2];
	int nk = key_exprs(t, expr, desc);
	local_sql q;
	sqlite3_stmt *st;
	HRESULT hr;

	*found = FALSE;
	local_sql_init(&q);
	local_sql_add(&q, "SELECT 1");
	for (int i = 0; i < nk; i++)
		local_sql_add(&q, ", %s", expr[i]);
	source_sql(t, &q);
	if (t->materialized) {
		local_sql_add(&q, " AND t.mid = ? AND t.inst = ?");
		local_sql_bind_int(&q, (sqlite3_int64)mid);
		local_sql_bind_int(&q, inst);
	} else {
		local_sql_add(&q, " AND m.mid = ?");
		local_sql_bind_int(&q, (sqlite3_int64)mid);
	}
	if (FAILED(hr = local_sql_prepare(t->logon->db, &q, &st))) {
		local_sql_free(&q);
		return hr;
	}
	local_sql_bind_all(st, &q, 1);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		local_anchor a;
		memset(&a, 0, sizeof a);
		a.at = LOCAL_AT_ROW;
		a.mid = mid;
		a.inst = inst;
		for (int i = 0; i < nk; i++) {
			if (!(a.k[i] = sqlite3_value_dup(sqlite3_column_value(st, 1 + i)))) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
				break;
			}
			a.nk = i + 1;
		}
		if (SUCCEEDED(hr)) {
			local_anchor_clear(out);
			*out = a;
			*found = TRUE;
		} else {
			local_anchor_clear(&a);
		}
	} else if (rc != SQLITE_DONE) {
		hr = local_db_error(t->logon->db, rc, "reading a table");
	}
	sqlite3_finalize(st);
	local_sql_free(&q);
	if (SUCCEEDED(hr) && *found && t->comp.c_res && !t->materialized) {
		BOOL match;
		if (FAILED(hr = local_restrict_eval(t->logon, &t->comp, mid, NULL, NULL, &match)))
			return hr;
		*found = match;
	}
	return hr;
}

HRESULT local_cursor_exists(local_table *t, const local_anchor *a, BOOL *exists)
{
	local_anchor tmp;
	memset(&tmp, 0, sizeof tmp);
	*exists = FALSE;
	if (a->at != LOCAL_AT_ROW)
		return S_OK;
	HRESULT hr = local_cursor_key_of(t, a->mid, a->inst, &tmp, exists);
	local_anchor_clear(&tmp);
	return hr;
}
