/*
 * local-table-categories.c — materialized views of contents tables:
 * categorized sorts, an expanded multi-valued column (MV_INSTANCE) and
 * restrictions with RES_COUNT.
 *
 * Those views are not a range of an index, so their rows are put in order
 * once, into a temporary table temp.lt_<id>(seq, mid, inst, c0..) in the
 * connection's temporary database (a file, so a large view does not live
 * in memory), and paged by seq, which is also the row's position. The view
 * is rebuilt when the folder changes (the table then sends TABLE_RELOAD).
 *
 * Categories: one GROUP BY per level over the temporary table gives every
 * category header with its leaf range, leaf count and unread count; the
 * visible rows are a list of segments (a header, or a range of leaves)
 * with their first visible position, so a position maps to a row with a
 * binary search and expanding or collapsing costs one pass over the
 * headers, never over the leaves. A header's instance key is a hash of its
 * level and key values, so it survives a rebuild and so does its state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-table.h"

typedef struct cat_node {
	ULONG level;
	ULONG first, last;      /* leaf seq range, inclusive */
	ULONG count, unread;
	BOOL expanded;
	uint64_t hash;          /* the instance key's identity */
} cat_node;

typedef struct cat_seg {
	ULONG node;             /* header: node index; leaves: UINT32_MAX */
	ULONG first, count;     /* leaves: seq range */
	ULONG pos;              /* first visible position */
} cat_seg;

struct local_cat {
	cat_node *nodes;
	ULONG n;
	cat_seg *segs;
	ULONG n_segs;
	ULONG visible;
};

#define NO_NODE 0xFFFFFFFFu
#define HEADER_KEY_SIZE 16
static const BYTE header_mark[4] = {'C', 'A', 'T', 0xFF};

void local_cat_free(local_cat *c)
{
	if (!c)
		return;
	free(c->nodes);
	free(c->segs);
	free(c);
}

void local_mat_drop(local_table *t)
{
	if (t->cat) {
		local_cat_free(t->cat);
		t->cat = NULL;
	}
	if (t->materialized || t->mat_rows || t->mat_valid) {
		char sql[96];
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS temp.%s", t->mat_name);
		sqlite3_exec(t->logon->db->db, sql, NULL, NULL, NULL);
	}
	t->mat_valid = FALSE;
	t->mat_rows = 0;
}

static HRESULT exec(local_table *t, const char *sql)
{
	int rc = sqlite3_exec(t->logon->db->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? S_OK : local_db_error(t->logon->db, rc, "building a table view");
}

static BOOL key_is_string(ULONG tag)
{
	ULONG t = PROP_TYPE(tag) & ~(ULONG)MVI_FLAG;
	return t == PT_STRING8 || t == PT_UNICODE;
}

/* Binds one element value the way props stores values (strings as UTF-8). */
static HRESULT bind_element(sqlite3_stmt *st, int at, const SPropValue *v)
{
	switch (PROP_TYPE(v->ulPropTag) & ~(ULONG)MVI_FLAG) {
	case PT_I2: sqlite3_bind_int64(st, at, v->Value.i); break;
	case PT_LONG: sqlite3_bind_int64(st, at, v->Value.l); break;
	case PT_I8: sqlite3_bind_int64(st, at, v->Value.li.QuadPart); break;
	case PT_CURRENCY: sqlite3_bind_int64(st, at, v->Value.cur.int64); break;
	case PT_SYSTIME: sqlite3_bind_int64(st, at, (sqlite3_int64)mapix_filetime_to_u64(v->Value.ft)); break;
	case PT_R4: sqlite3_bind_double(st, at, v->Value.flt); break;
	case PT_DOUBLE: sqlite3_bind_double(st, at, v->Value.dbl); break;
	case PT_APPTIME: sqlite3_bind_double(st, at, v->Value.at); break;
	case PT_STRING8: sqlite3_bind_text(st, at, v->Value.lpszA ? v->Value.lpszA : "", -1, SQLITE_TRANSIENT); break;
	case PT_UNICODE: {
		LPSTR s;
		HRESULT hr = mapix_utf16_to_utf8(v->Value.lpszW, NULL, &s);
		if (FAILED(hr))
			return hr;
		sqlite3_bind_text(st, at, s, -1, SQLITE_TRANSIENT);
		MAPIFreeBuffer(s);
		break;
	}
	case PT_BINARY: sqlite3_bind_blob(st, at, v->Value.bin.cb ? v->Value.bin.lpb : (LPBYTE) "", (int)v->Value.bin.cb, SQLITE_TRANSIENT); break;
	case PT_CLSID: sqlite3_bind_blob(st, at, v->Value.lpguid, (int)sizeof(GUID), SQLITE_TRANSIENT); break;
	default: sqlite3_bind_int64(st, at, INT64_MIN); break;
	}
	return S_OK;
}

/* Expands the MV_INSTANCE property of the table's messages into
 * temp.<name>_raw(mid, inst, v): one row per value, or (mid, -1, missing). */
static HRESULT fill_raw(local_table *t)
{
	local_db *db = t->logon->db;
	char sql[256];
	sqlite3_stmt *ins = NULL, *sel = NULL;
	local_sql q;
	HRESULT hr;
	ULONG mvtag = PROP_TAG((PROP_TYPE(t->mvi_tag) & ~(ULONG)MV_INSTANCE) | MV_FLAG, PROP_ID(t->mvi_tag));

	snprintf(sql, sizeof sql, "CREATE TEMP TABLE %s_raw(mid INTEGER, inst INTEGER, v)", t->mat_name);
	if (FAILED(hr = exec(t, sql)))
		return hr;
	snprintf(sql, sizeof sql, "INSERT INTO temp.%s_raw(mid, inst, v) VALUES (?1, ?2, ?3)", t->mat_name);
	int rc = sqlite3_prepare_v2(db->db, sql, -1, &ins, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(db, rc, "building a table view");
	local_sql_init(&q);
	local_sql_add(&q, "SELECT m.mid FROM messages m WHERE ");
	if (t->scope) {
		local_sql_add(&q, "m.fid IN (");
		for (ULONG i = 0; i < t->n_scope; i++)
			local_sql_add(&q, i ? ", %llu" : "%llu", (unsigned long long)t->scope[i]);
		local_sql_add(&q, ") AND m.associated = 0");
	} else {
		local_sql_add(&q, "m.fid = ? AND m.associated = ?");
		local_sql_bind_int(&q, (sqlite3_int64)t->fid);
		local_sql_bind_int(&q, t->associated ? 1 : 0);
	}
	if (t->comp.where.len) {
		local_sql_add(&q, " AND (");
		local_sql_append(&q, &t->comp.where);
		local_sql_add(&q, ")");
	}
	if (FAILED(hr = local_sql_prepare(db, &q, &sel)))
		goto out;
	local_sql_bind_all(sel, &q, 1);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		uint64_t mid = (uint64_t)sqlite3_column_int64(sel, 0);
		LPVOID root;
		SPropValue mv;
		if (FAILED(hr = MAPIAllocateBuffer(1, &root)))
			break;
		hr = local_props_read(db, mid, mvtag, root, &mv, TRUE);
		ULONG n = 0;
		if (SUCCEEDED(hr) && (PROP_TYPE(mv.ulPropTag) & MV_FLAG))
			n = mv.Value.MVi.cValues;
		if (hr == MAPI_E_NOT_FOUND) {
			mapix_error_clear();
			hr = S_OK;
		}
		for (ULONG i = 0; SUCCEEDED(hr) && i <= n; i++) {
			SPropValue e;
			if (n && i == n)
				break;
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, (sqlite3_int64)mid);
			if (n) {
				BOOL found;
				if (FAILED(hr = local_rows_instance_value(db, mid, t->mvi_tag, (LONG)i, root, &e, &found)))
					break;
				sqlite3_bind_int64(ins, 2, i);
				if (FAILED(hr = bind_element(ins, 3, &e)))
					break;
			} else {
				sqlite3_bind_int64(ins, 2, -1);
				sqlite3_bind_int64(ins, 3, INT64_MIN);
			}
			if ((rc = sqlite3_step(ins)) != SQLITE_DONE)
				hr = local_db_error(db, rc, "building a table view");
		}
		MAPIFreeBuffer(root);
		if (FAILED(hr))
			break;
	}
	if (SUCCEEDED(hr) && rc != SQLITE_ROW && rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "building a table view");
out:
	if (sel)
		sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	local_sql_free(&q);
	return hr;
}

/* ---- categories ---------------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const BYTE *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(0x100000001B3);
	}
	return h;
}

static uint64_t hash_value(uint64_t h, sqlite3_value *v)
{
	int type = sqlite3_value_type(v);
	h = fnv(h, &type, sizeof type);
	switch (type) {
	case SQLITE_INTEGER: {
		sqlite3_int64 i = sqlite3_value_int64(v);
		return fnv(h, &i, sizeof i);
	}
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		return fnv(h, &d, sizeof d);
	}
	case SQLITE_TEXT: {
		/* Categories group under MAPIX_NOCASE: hash the folded text. */
		const unsigned char *s = sqlite3_value_text(v);
		int n = sqlite3_value_bytes(v);
		for (int i = 0; s && i < n;) {
			uint32_t cp;
			unsigned c = s[i];
			int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
			if (i + len > n)
				len = n - i;
			cp = c < 0x80 ? c : (c & (0x3F >> (len - 1)));
			for (int j = 1; j < len; j++)
				cp = (cp << 6) | (s[i + j] & 0x3F);
			cp = mapix_fold_codepoint(cp, FL_IGNORECASE);
			h = fnv(h, &cp, sizeof cp);
			i += len;
		}
		return h;
	}
	case SQLITE_BLOB:
		return fnv(h, sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
	default:
		return h;
	}
}

static int node_cmp(const void *a, const void *b)
{
	const cat_node *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->level < y->level ? -1 : x->level > y->level;
}

/* Lays out the visible rows from the nodes' expanded states. */
static HRESULT cat_layout(local_table *t)
{
	local_cat *c = t->cat;
	ULONG ncat = t->sort->cCategories;
	free(c->segs);
	c->segs = malloc((2 * c->n + 1) * sizeof *c->segs);
	c->n_segs = 0;
	c->visible = 0;
	if (!c->segs)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
	ULONG hidden_below = NO_NODE; /* headers deeper than this level are hidden */
	for (ULONG i = 0; i < c->n; i++) {
		cat_node *nd = &c->nodes[i];
		if (hidden_below != NO_NODE && nd->level > hidden_below)
			continue;
		hidden_below = NO_NODE;
		cat_seg *s = &c->segs[c->n_segs++];
		s->node = i;
		s->pos = c->visible++;
		if (!nd->expanded) {
			hidden_below = nd->level;
			continue;
		}
		if (nd->level == ncat - 1) {
			s = &c->segs[c->n_segs++];
			s->node = NO_NODE;
			s->first = nd->first;
			s->count = nd->last - nd->first + 1;
			s->pos = c->visible;
			c->visible += s->count;
		}
	}
	return S_OK;
}

/* Builds the category headers from the temporary table. */
static HRESULT cat_build(local_table *t, const local_cat *old)
{
	local_db *db = t->logon->db;
	ULONG ncat = t->sort->cCategories;
	local_cat *c = calloc(1, sizeof *c);
	ULONG cap = 0;
	HRESULT hr = S_OK;
	if (!c)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
	for (ULONG level = 0; SUCCEEDED(hr) && level < ncat; level++) {
		local_sql q;
		sqlite3_stmt *st;
		local_sql_init(&q);
		local_sql_add(&q, "SELECT min(t.seq), max(t.seq), count(*), sum((m.flags & 1) = 0)");
		for (ULONG k = 0; k <= level; k++)
			local_sql_add(&q, ", t.c%u", (unsigned)k);
		local_sql_add(&q, " FROM temp.%s t JOIN messages m ON m.mid = t.mid GROUP BY ", t->mat_name);
		for (ULONG k = 0; k <= level; k++)
			local_sql_add(&q, k ? ", t.c%u" : "t.c%u", (unsigned)k);
		if (FAILED(hr = local_sql_prepare(db, &q, &st))) {
			local_sql_free(&q);
			break;
		}
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (c->n == cap) {
				cap = cap ? cap * 2 : 64;
				cat_node *bigger = realloc(c->nodes, cap * sizeof *bigger);
				if (!bigger) {
					hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory");
					break;
				}
				c->nodes = bigger;
			}
			cat_node *nd = &c->nodes[c->n++];
			nd->level = level;
			nd->first = (ULONG)sqlite3_column_int64(st, 0);
			nd->last = (ULONG)sqlite3_column_int64(st, 1);
			nd->count = (ULONG)sqlite3_column_int64(st, 2);
			nd->unread = (ULONG)sqlite3_column_int64(st, 3);
			uint64_t h = fnv(UINT64_C(0xCBF29CE484222325), &level, sizeof level);
			for (ULONG k = 0; k <= level; k++)
				h = hash_value(h, sqlite3_column_value(st, 4 + (int)k));
			nd->hash = h;
			nd->expanded = level < t->sort->cExpanded;
			for (ULONG j = 0; old && j < old->n; j++)
				if (old->nodes[j].hash == h && old->nodes[j].level == level)
					nd->expanded = old->nodes[j].expanded;
		}
		if (SUCCEEDED(hr) && rc != SQLITE_DONE)
			hr = local_db_error(db, rc, "building categories");
		sqlite3_finalize(st);
		local_sql_free(&q);
	}
	if (FAILED(hr)) {
		local_cat_free(c);
		return hr;
	}
	qsort(c->nodes, c->n, sizeof *c->nodes, node_cmp);
	t->cat = c;
	return cat_layout(t);
}

HRESULT local_mat_build(local_table *t)
{
	local_db *db = t->logon->db;
	local_cat *old = t->cat;
	ULONG ncat = t->sort->cCategories;
	char sql[160];
	local_sql create, q;
	sqlite3_stmt *sel = NULL, *ins = NULL;
	HRESULT hr;
	int rc;

	t->cat = NULL;
	local_cursor_reset(t);
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS temp.%s", t->mat_name);
	sqlite3_exec(db->db, sql, NULL, NULL, NULL);
	t->mat_valid = FALSE;
	t->mat_rows = 0;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS temp.%s_raw", t->mat_name);
	sqlite3_exec(db->db, sql, NULL, NULL, NULL);

	local_sql_init(&create);
	local_sql_init(&q);
	local_sql_add(&create, "CREATE TEMP TABLE %s(seq INTEGER PRIMARY KEY, mid INTEGER NOT NULL, inst INTEGER NOT NULL",
	              t->mat_name);
	for (ULONG k = 0; k < ncat; k++)
		local_sql_add(&create, ", c%u%s", (unsigned)k, key_is_string(t->keys[k].tag) ? " COLLATE MAPIX_NOCASE" : "");
	local_sql_add(&create, ")");
	if (FAILED(hr = local_sql_prepare(db, &create, &sel)))
		goto out;
	rc = sqlite3_step(sel);
	sqlite3_finalize(sel);
	sel = NULL;
	if (rc != SQLITE_DONE) {
		hr = local_db_error(db, rc, "building a table view");
		goto out;
	}
	snprintf(sql, sizeof sql, "CREATE INDEX temp.%s_mid ON %s(mid, inst)", t->mat_name, t->mat_name);
	if (FAILED(hr = exec(t, sql)))
		goto out;
	t->mat_valid = TRUE; /* exists: drop it from now on */
	if (t->mvi_tag && FAILED(hr = fill_raw(t)))
		goto out;

	/* The rows in table order: keys, then the message, then the instance. */
	char mvi_expr[64];
	snprintf(mvi_expr, sizeof mvi_expr, "substr(r.v, 1, 255)%s", key_is_string(t->mvi_tag) ? " COLLATE MAPIX_NOCASE" : "");
	local_sql_add(&q, "SELECT m.mid, %s", t->mvi_tag ? "r.inst" : "-1");
	for (ULONG k = 0; k < t->n_keys; k++) {
		BOOL mv = t->mvi_tag && PROP_ID(t->keys[k].tag) == PROP_ID(t->mvi_tag) &&
		          (PROP_TYPE(t->keys[k].tag) & MVI_FLAG) == MVI_FLAG;
		local_sql_add(&q, ", %s", mv ? mvi_expr : t->keys[k].expr);
	}
	if (t->mvi_tag) {
		local_sql_add(&q, " FROM temp.%s_raw r JOIN messages m ON m.mid = r.mid WHERE 1", t->mat_name);
	} else {
		local_sql_add(&q, " FROM messages m WHERE ");
		if (t->scope) {
			local_sql_add(&q, "m.fid IN (");
			for (ULONG i = 0; i < t->n_scope; i++)
				local_sql_add(&q, i ? ", %llu" : "%llu", (unsigned long long)t->scope[i]);
			local_sql_add(&q, ") AND m.associated = 0");
		} else {
			local_sql_add(&q, "m.fid = ? AND m.associated = ?");
			local_sql_bind_int(&q, (sqlite3_int64)t->fid);
			local_sql_bind_int(&q, t->associated ? 1 : 0);
		}
		if (t->comp.where.len) {
			local_sql_add(&q, " AND (");
			local_sql_append(&q, &t->comp.where);
			local_sql_add(&q, ")");
		}
	}
	local_sql_add(&q, " ORDER BY ");
	for (ULONG k = 0; k < t->n_keys; k++) {
		BOOL mv = t->mvi_tag && PROP_ID(t->keys[k].tag) == PROP_ID(t->mvi_tag) &&
		          (PROP_TYPE(t->keys[k].tag) & MVI_FLAG) == MVI_FLAG;
		local_sql_add(&q, "%s%s", mv ? mvi_expr : t->keys[k].expr, t->keys[k].desc ? " DESC, " : ", ");
	}
	local_sql_add(&q, "m.mid%s", t->mvi_tag ? ", r.inst" : "");
	if (FAILED(hr = local_sql_prepare(db, &q, &sel)))
		goto out;
	local_sql_bind_all(sel, &q, 1);
	local_sql_free(&create);
	local_sql_init(&create);
	local_sql_add(&create, "INSERT INTO temp.%s(mid, inst", t->mat_name);
	for (ULONG k = 0; k < ncat; k++)
		local_sql_add(&create, ", c%u", (unsigned)k);
	local_sql_add(&create, ") VALUES (?, ?");
	for (ULONG k = 0; k < ncat; k++)
		local_sql_add(&create, ", ?");
	local_sql_add(&create, ")");
	if (FAILED(hr = local_sql_prepare(db, &create, &ins)))
		goto out;

	MAPIXRESTRICTIONSTATE state = MAPIX_RESTRICTION_STATE_INIT;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		uint64_t mid = (uint64_t)sqlite3_column_int64(sel, 0);
		LONG inst = (LONG)sqlite3_column_int64(sel, 1);
		if (t->comp.c_res) {
			BOOL match = FALSE, found = FALSE;
			LPVOID root;
			SPropValue e;
			if (FAILED(hr = MAPIAllocateBuffer(1, &root)))
				break;
			if (t->mvi_tag)
				hr = local_rows_instance_value(db, mid, t->mvi_tag, inst, root, &e, &found);
			local_instval iv = {t->mvi_tag, found ? &e : NULL};
			if (SUCCEEDED(hr))
				hr = local_restrict_eval(t->logon, &t->comp, mid, t->mvi_tag ? &iv : NULL, &state, &match);
			MAPIFreeBuffer(root);
			if (FAILED(hr))
				break;
			if (!match)
				continue;
		}
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)mid);
		sqlite3_bind_int64(ins, 2, inst);
		for (ULONG k = 0; k < ncat; k++)
			sqlite3_bind_value(ins, 3 + (int)k, sqlite3_column_value(sel, 2 + (int)k));
		int irc = sqlite3_step(ins);
		if (irc != SQLITE_DONE) {
			hr = local_db_error(db, irc, "building a table view");
			break;
		}
		t->mat_rows++;
	}
	if (SUCCEEDED(hr) && rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "building a table view");
	if (sel) {
		sqlite3_finalize(sel);
		sel = NULL;
	}
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS temp.%s_raw", t->mat_name);
	sqlite3_exec(db->db, sql, NULL, NULL, NULL);
	if (SUCCEEDED(hr) && ncat)
		hr = cat_build(t, old);
out:
	if (sel)
		sqlite3_finalize(sel);
	if (ins)
		sqlite3_finalize(ins);
	local_sql_free(&create);
	local_sql_free(&q);
	local_cat_free(old);
	if (FAILED(hr))
		local_mat_drop(t);
	return hr;
}

/* ---- rows by visible position --------------------------------------------------------------- */

ULONG local_cat_visible(local_table *t)
{
	return t->cat ? t->cat->visible : 0;
}

static const cat_seg *seg_at(const local_cat *c, ULONG pos)
{
	ULONG lo = 0, hi = c->n_segs;
	while (hi - lo > 1) {
		ULONG mid = (lo + hi) / 2;
		if (c->segs[mid].pos <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return c->n_segs ? &c->segs[lo] : NULL;
}

static void header_key(const cat_node *nd, BYTE out[HEADER_KEY_SIZE])
{
	memcpy(out, header_mark, 4);
	for (int i = 0; i < 4; i++)
		out[4 + i] = (BYTE)(nd->level >> (8 * i));
	for (int i = 0; i < 8; i++)
		out[8 + i] = (BYTE)(nd->hash >> (8 * i));
}

/* The message and instance of the leaf with row number seq. */
static HRESULT leaf_at(local_table *t, ULONG seq, uint64_t *mid, LONG *inst)
{
	char sql[96];
	sqlite3_stmt *st;
	snprintf(sql, sizeof sql, "SELECT mid, inst FROM temp.%s WHERE seq = ?1", t->mat_name);
	int rc = sqlite3_prepare_v2(t->logon->db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(t->logon->db, rc, "reading a table view");
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*mid = (uint64_t)sqlite3_column_int64(st, 0);
		*inst = (LONG)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: the row is gone");
	return rc == SQLITE_ROW ? S_OK : local_db_error(t->logon->db, rc, "reading a table view");
}

/* A header row: its own columns, and the category values of the first leaf. */
static HRESULT header_row(local_table *t, const cat_node *nd, LPSPropValue *out)
{
	uint64_t mid;
	LONG inst;
	LPSPropValue leaf = NULL, row;
	ULONG n = t->cols->cValues;
	HRESULT hr = leaf_at(t, nd->first, &mid, &inst);
	if (FAILED(hr) || FAILED(hr = local_rows_make(t, mid, inst, &leaf)))
		return hr;
	if (FAILED(hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&row))) {
		MAPIFreeBuffer(leaf);
		return hr;
	}
	for (ULONG i = 0; i < n; i++) {
		ULONG tag = t->cols->aulPropTag[i];
		LPSPropValue v = &row[i];
		memset(v, 0, sizeof *v);
		v->ulPropTag = tag;
		switch (tag) {
		case PR_INSTANCE_KEY: {
			BYTE key[HEADER_KEY_SIZE];
			header_key(nd, key);
			hr = local_binary_value(v, tag, key, sizeof key, row);
			break;
		}
		case PR_ROW_TYPE:
			v->Value.l = nd->expanded ? TBL_EXPANDED_CATEGORY : TBL_COLLAPSED_CATEGORY;
			break;
		case PR_DEPTH:
			v->Value.l = (LONG)nd->level;
			break;
		case PR_CONTENT_COUNT:
			v->Value.l = (LONG)nd->count;
			break;
		case PR_CONTENT_UNREAD:
			v->Value.l = (LONG)nd->unread;
			break;
		default: {
			BOOL category = FALSE;
			for (ULONG k = 0; k <= nd->level; k++)
				if (PROP_ID(t->keys[k].tag) == PROP_ID(tag))
					category = TRUE;
			if (category && PROP_TYPE(leaf[i].ulPropTag) != PT_ERROR) {
				hr = PropCopyMore(v, &leaf[i], MAPIAllocateMore, row);
			} else {
				v->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
				v->Value.err = MAPI_E_NOT_FOUND;
			}
		}
		}
		if (FAILED(hr))
			break;
	}
	MAPIFreeBuffer(leaf);
	if (FAILED(hr)) {
		MAPIFreeBuffer(row);
		return hr;
	}
	*out = row;
	return S_OK;
}

HRESULT local_cat_rows(local_table *t, ULONG first, ULONG count, LPSRowSet set)
{
	local_cat *c = t->cat;
	for (ULONG p = first; p < first + count && p < c->visible; p++) {
		const cat_seg *s = seg_at(c, p);
		LPSPropValue props;
		HRESULT hr;
		if (s->node != NO_NODE) {
			hr = header_row(t, &c->nodes[s->node], &props);
		} else {
			uint64_t mid;
			LONG inst;
			hr = leaf_at(t, s->first + (p - s->pos), &mid, &inst);
			if (SUCCEEDED(hr))
				hr = local_rows_make(t, mid, inst, &props);
		}
		if (FAILED(hr))
			return hr;
		set->aRow[set->cRows].ulAdrEntryPad = 0;
		set->aRow[set->cRows].cValues = t->cols->cValues;
		set->aRow[set->cRows].lpProps = props;
		set->cRows++;
	}
	return S_OK;
}

HRESULT local_cat_key_at(local_table *t, ULONG pos, BYTE key[16], ULONG *cb)
{
	local_cat *c = t->cat;
	if (!c || pos >= c->visible)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: no row at %u", (unsigned)pos);
	const cat_seg *s = seg_at(c, pos);
	if (s->node != NO_NODE) {
		header_key(&c->nodes[s->node], key);
		*cb = HEADER_KEY_SIZE;
		return S_OK;
	}
	uint64_t mid;
	LONG inst;
	HRESULT hr = leaf_at(t, s->first + (pos - s->pos), &mid, &inst);
	if (SUCCEEDED(hr))
		local_rows_instance_key(mid, inst, key, cb);
	return hr;
}

/* The node of a header instance key, or NO_NODE. */
static ULONG find_node(const local_cat *c, ULONG cb, const BYTE *key)
{
	if (cb != HEADER_KEY_SIZE || memcmp(key, header_mark, 4) != 0)
		return NO_NODE;
	ULONG level = 0;
	uint64_t hash = 0;
	for (int i = 3; i >= 0; i--)
		level = (level << 8) | key[4 + i];
	for (int i = 7; i >= 0; i--)
		hash = (hash << 8) | key[8 + i];
	for (ULONG i = 0; i < c->n; i++)
		if (c->nodes[i].level == level && c->nodes[i].hash == hash)
			return i;
	return NO_NODE;
}

HRESULT local_cat_find_key(local_table *t, ULONG cb, const BYTE *key, ULONG *pos)
{
	local_cat *c = t->cat;
	if (!c || !key)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: no such row");
	ULONG node = find_node(c, cb, key);
	if (node != NO_NODE) {
		for (ULONG i = 0; i < c->n_segs; i++)
			if (c->segs[i].node == node) {
				*pos = c->segs[i].pos;
				return S_OK;
			}
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: the category is hidden");
	}
	if (cb != 8 && cb != 12)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: no such row");
	uint64_t mid = 0;
	LONG inst = -1;
	for (int i = 7; i >= 0; i--)
		mid = (mid << 8) | key[i];
	if (cb == 12) {
		ULONG u = 0;
		for (int i = 3; i >= 0; i--)
			u = (u << 8) | key[8 + i];
		inst = (LONG)u;
	}
	char sql[96];
	sqlite3_stmt *st;
	snprintf(sql, sizeof sql, "SELECT seq FROM temp.%s WHERE mid = ?1 AND inst = ?2", t->mat_name);
	int rc = sqlite3_prepare_v2(t->logon->db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(t->logon->db, rc, "reading a table view");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 2, inst);
	rc = sqlite3_step(st);
	ULONG seq = rc == SQLITE_ROW ? (ULONG)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: no such row")
		                         : local_db_error(t->logon->db, rc, "reading a table view");
	for (ULONG i = 0; i < c->n_segs; i++) {
		const cat_seg *s = &c->segs[i];
		if (s->node == NO_NODE && seq >= s->first && seq < s->first + s->count) {
			*pos = s->pos + (seq - s->first);
			return S_OK;
		}
	}
	return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: the row is in a collapsed category");
}

HRESULT local_cat_expand(local_table *t, ULONG cb, const BYTE *key, BOOL expand, ULONG *changed, ULONG *at)
{
	local_cat *c = t->cat;
	ULONG node = find_node(c, cb, key);
	*changed = 0;
	if (node == NO_NODE)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable: %s: not a category header of this table",
		                   expand ? "ExpandRow" : "CollapseRow");
	ULONG pos;
	HRESULT hr = local_cat_find_key(t, cb, key, &pos);
	if (FAILED(hr))
		return hr;
	*at = pos;
	if (c->nodes[node].expanded == expand)
		return S_OK;
	ULONG before = c->visible;
	c->nodes[node].expanded = expand;
	if (FAILED(hr = cat_layout(t)))
		return hr;
	*changed = expand ? c->visible - before : before - c->visible;
	return S_OK;
}

/* Collapse state: "MXCS", the number of collapsed headers, their 16-byte
 * keys, then the length and bytes of the instance key of the row. */
HRESULT local_cat_get_state(local_table *t, ULONG cb_key, const BYTE *key, ULONG *cb, LPBYTE *state)
{
	local_cat *c = t->cat;
	ULONG ncollapsed = 0;
	for (ULONG i = 0; i < c->n; i++)
		if (!c->nodes[i].expanded)
			ncollapsed++;
	if (cb_key > 64)
		cb_key = 64;
	ULONG size = 8 + ncollapsed * HEADER_KEY_SIZE + 4 + (key ? cb_key : 0);
	LPBYTE p;
	HRESULT hr = MAPIAllocateBuffer(size, (LPVOID *)&p);
	if (FAILED(hr))
		return hr;
	memcpy(p, "MXCS", 4);
	for (int i = 0; i < 4; i++)
		p[4 + i] = (BYTE)(ncollapsed >> (8 * i));
	ULONG off = 8;
	for (ULONG i = 0; i < c->n; i++)
		if (!c->nodes[i].expanded) {
			header_key(&c->nodes[i], p + off);
			off += HEADER_KEY_SIZE;
		}
	ULONG kb = key ? cb_key : 0;
	for (int i = 0; i < 4; i++)
		p[off + (ULONG)i] = (BYTE)(kb >> (8 * i));
	off += 4;
	if (kb)
		memcpy(p + off, key, kb);
	*cb = size;
	*state = p;
	return S_OK;
}

HRESULT local_cat_set_state(local_table *t, ULONG cb, const BYTE *state, ULONG *pos)
{
	local_cat *c = t->cat;
	if (cb < 12 || memcmp(state, "MXCS", 4) != 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SetCollapseState: not a collapse state");
	ULONG n = 0, kb = 0;
	for (int i = 3; i >= 0; i--)
		n = (n << 8) | state[4 + i];
	if (n > (cb - 12) / HEADER_KEY_SIZE)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SetCollapseState: truncated state");
	ULONG off = 8 + n * HEADER_KEY_SIZE;
	for (int i = 3; i >= 0; i--)
		kb = (kb << 8) | state[off + (ULONG)i];
	if (kb > cb - off - 4)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::SetCollapseState: truncated state");
	for (ULONG i = 0; i < c->n; i++)
		c->nodes[i].expanded = TRUE;
	for (ULONG k = 0; k < n; k++) {
		ULONG node = find_node(c, HEADER_KEY_SIZE, state + 8 + k * HEADER_KEY_SIZE);
		if (node != NO_NODE)
			c->nodes[node].expanded = FALSE;
	}
	HRESULT hr = cat_layout(t);
	if (FAILED(hr))
		return hr;
	*pos = 0;
	if (kb && FAILED(local_cat_find_key(t, kb, state + off + 4, pos))) {
		mapix_error_clear();
		*pos = 0;
	}
	return S_OK;
}
