/*
 * local-propset.c — the stored properties of one object, or of many
 * objects, read with one query and kept in their stored form
 * (local-propset.h says why). Decoding is local-props.c's
 * (local_props_decode), so a value reads the same from a set as from a
 * single look-up.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-propset.h"

/* Rows being collected: text and blob bytes are appended to one buffer
 * that may move while it grows, so a row keeps its bytes' offset (in i,
 * unused by text and blob rows) until the set is complete. */
typedef struct collector {
	local_stored *rows;
	ULONG n, cap;
	BYTE *bytes;
	size_t used, capb;
} collector;

static HRESULT collect_row(collector *c, sqlite3_stmt *st, int first)
{
	if (c->n == c->cap) {
		ULONG cap = c->cap ? c->cap * 2 : 32;
		local_stored *bigger = realloc(c->rows, cap * sizeof *bigger);
		if (!bigger)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "reading properties: out of memory");
		c->rows = bigger;
		c->cap = cap;
	}
	local_stored *r = &c->rows[c->n];
	local_stored_from_stmt(st, first, r);
	if (r->type == SQLITE_TEXT || r->type == SQLITE_BLOB) {
		if (!r->p && r->n) /* SQLite could not make the value's bytes */
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "reading properties: out of memory");
		/* Text keeps its NUL, so the copy reads like the statement's. */
		size_t need = (size_t)r->n + (r->type == SQLITE_TEXT);
		if (c->used + need > c->capb) {
			size_t capb = c->capb ? c->capb : 4096;
			while (capb < c->used + need)
				capb *= 2;
			BYTE *bigger = realloc(c->bytes, capb);
			if (!bigger)
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "reading properties: out of memory");
			c->bytes = bigger;
			c->capb = capb;
		}
		if (need)
			memcpy(c->bytes + c->used, r->p ? r->p : (const BYTE *)"", need);
		r->i = (sqlite3_int64)c->used;
		r->p = NULL;
		c->used += need;
	}
	c->n++;
	return S_OK;
}

/* Hands the collected rows over as a set (the collector is left empty). */
static void collector_finish(collector *c, local_propset *ps)
{
	for (ULONG i = 0; i < c->n; i++) {
		local_stored *r = &c->rows[i];
		if (r->type == SQLITE_TEXT || r->type == SQLITE_BLOB) {
			r->p = c->bytes + r->i;
			r->i = 0;
		}
	}
	ps->rows = c->rows;
	ps->n = c->n;
	ps->bytes = c->bytes;
	memset(c, 0, sizeof *c);
}

static void collector_free(collector *c)
{
	free(c->rows);
	free(c->bytes);
	memset(c, 0, sizeof *c);
}

void local_propset_free(local_propset *ps)
{
	if (!ps)
		return;
	free(ps->rows);
	free(ps->bytes);
	memset(ps, 0, sizeof *ps);
}

HRESULT local_propset_load(local_db *db, uint64_t obj, local_propset **out)
{
	/* The primary key (obj, tag) returns the rows in tag order. */
	static const char sel[] = "SELECT tag, value, size FROM props WHERE obj = ?1 ORDER BY tag";
	collector c = {0};
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	int rc;

	*out = NULL;
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (FAILED(hr = collect_row(&c, st, 0)))
			break;
	sqlite3_reset(st);
	if (SUCCEEDED(hr) && rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "reading properties");
	local_propset *ps = SUCCEEDED(hr) ? calloc(1, sizeof *ps) : NULL;
	if (SUCCEEDED(hr) && !ps)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "reading properties: out of memory");
	if (FAILED(hr)) {
		collector_free(&c);
		return hr;
	}
	collector_finish(&c, ps);
	*out = ps;
	return S_OK;
}

const local_stored *local_propset_find(const local_propset *ps, ULONG tag)
{
	/* The first row of the id (rows are in tag order, the id in the high
	 * half), as the single look-up's BETWEEN takes it. */
	ULONG lo = 0, hi = ps->n, key = PROP_TAG(0, PROP_ID(tag));
	while (lo < hi) {
		ULONG mid = lo + (hi - lo) / 2;
		if (ps->rows[mid].tag < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ps->n && PROP_ID(ps->rows[lo].tag) == PROP_ID(tag) ? &ps->rows[lo] : NULL;
}

uint64_t local_propset_total_size(const local_propset *ps)
{
	uint64_t total = 0;
	for (ULONG i = 0; i < ps->n; i++)
		total += ps->rows[i].size;
	return total;
}

void local_propgroups_free(local_propgroup *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		local_propset_free(&groups[i].set);
	free(groups);
}

HRESULT local_propgroups_load(local_db *db, const char *sql, uint64_t key, local_propgroup **groups, size_t *n)
{
	local_propgroup *g = NULL;
	size_t ng = 0, capg = 0;
	collector c = {0};
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	int rc;

	*groups = NULL;
	*n = 0;
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)key);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t obj = (uint64_t)sqlite3_column_int64(st, 0);
		if (ng == 0 || g[ng - 1].obj != obj) {
			if (ng)
				collector_finish(&c, &g[ng - 1].set);
			if (ng == capg) {
				size_t cap = capg ? capg * 2 : 8;
				local_propgroup *bigger = realloc(g, cap * sizeof *bigger);
				if (!bigger) {
					hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "reading properties: out of memory");
					break;
				}
				g = bigger;
				capg = cap;
			}
			memset(&g[ng], 0, sizeof g[ng]);
			g[ng].obj = obj;
			g[ng].extra = sqlite3_column_int64(st, 4);
			ng++;
		}
		/* A LEFT JOIN's object without properties comes as one NULL tag. */
		if (sqlite3_column_type(st, 1) != SQLITE_NULL && FAILED(hr = collect_row(&c, st, 1)))
			break;
	}
	sqlite3_reset(st);
	if (SUCCEEDED(hr) && rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "reading properties");
	if (SUCCEEDED(hr) && ng)
		collector_finish(&c, &g[ng - 1].set);
	collector_free(&c);
	if (FAILED(hr)) {
		local_propgroups_free(g, ng);
		return hr;
	}
	*groups = g;
	*n = ng;
	return S_OK;
}
