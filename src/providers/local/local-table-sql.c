/*
 * local-table-sql.c — the SQL side of contents tables: generated SQL text
 * with its bound values, the expressions tables sort by, and restrictions
 * compiled to SQL.
 *
 * One semantics. A restriction means what mapix_restriction_eval says it
 * means (mapixrestrict.h). A node is pushed into SQL only when SQL gives
 * the same answer for every row: values are compared with the collation
 * registered in SQLite (MAPIX, the exact code-point order FPropCompareProp
 * uses; mapix_match for RES_CONTENT), a missing property makes every
 * comparison FALSE (so each leaf is wrapped in coalesce(..., 0) and NOT
 * stays two-valued), and a node SQL cannot express exactly is left to C:
 * multi-valued values, RELOP_RE, RES_SIZE, binary RES_CONTENT, computed
 * properties without a column, RES_COUNT. A top-level RES_AND is split
 * child by child; anything else goes wholly to one side.
 *
 * The C side reads each property in the type the restriction names (that
 * is also what the SQL reads: the props row of that exact tag), so both
 * sides see the same value; a restriction naming one property ID with two
 * different types is evaluated wholly in C.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/collation.h"
#include "core/error.h"
#include "local-message.h"
#include "local-table.h"

/* ---- SQL text and binds ---------------------------------------------------------------- */

void local_sql_init(local_sql *q)
{
	memset(q, 0, sizeof *q);
}

void local_sql_free(local_sql *q)
{
	for (int i = 0; i < q->nb; i++)
		free(q->b[i].p);
	free(q->b);
	free(q->s);
	memset(q, 0, sizeof *q);
}

static BOOL sql_reserve(local_sql *q, size_t more)
{
	if (q->oom)
		return FALSE;
	if (q->len + more + 1 <= q->cap)
		return TRUE;
	size_t cap = q->cap ? q->cap : 256;
	while (cap < q->len + more + 1)
		cap *= 2;
	char *s = realloc(q->s, cap);
	if (!s) {
		q->oom = TRUE;
		return FALSE;
	}
	q->s = s;
	q->cap = cap;
	return TRUE;
}

void local_sql_add(local_sql *q, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sql_reserve(q, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(q->s + q->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	q->len += (size_t)n;
}

static local_bind *bind_slot(local_sql *q)
{
	if (q->oom)
		return NULL;
	if (q->nb == q->capb) {
		int cap = q->capb ? q->capb * 2 : 8;
		local_bind *b = realloc(q->b, (size_t)cap * sizeof *b);
		if (!b) {
			q->oom = TRUE;
			return NULL;
		}
		q->b = b;
		q->capb = cap;
	}
	local_bind *b = &q->b[q->nb++];
	memset(b, 0, sizeof *b);
	return b;
}

void local_sql_bind_int(local_sql *q, sqlite3_int64 v)
{
	local_bind *b = bind_slot(q);
	if (b) {
		b->type = SQLITE_INTEGER;
		b->i = v;
	}
}

void local_sql_bind_double(local_sql *q, double v)
{
	local_bind *b = bind_slot(q);
	if (b) {
		b->type = SQLITE_FLOAT;
		b->d = v;
	}
}

static void bind_bytes(local_sql *q, int type, const void *p, int n)
{
	local_bind *b = bind_slot(q);
	if (!b)
		return;
	b->type = type;
	b->n = n;
	b->p = malloc((size_t)n + 1);
	if (!b->p) {
		q->oom = TRUE;
		b->type = SQLITE_NULL;
		return;
	}
	if (n)
		memcpy(b->p, p, (size_t)n);
	((char *)b->p)[n] = 0;
}

void local_sql_bind_text(local_sql *q, const char *s, int n)
{
	if (!s)
		s = "";
	bind_bytes(q, SQLITE_TEXT, s, n < 0 ? (int)strlen(s) : n);
}

void local_sql_bind_blob(local_sql *q, const void *p, int n)
{
	bind_bytes(q, SQLITE_BLOB, p, n);
}

void local_sql_bind_value(local_sql *q, sqlite3_value *v)
{
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		local_sql_bind_int(q, sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		local_sql_bind_double(q, sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		local_sql_bind_text(q, (const char *)sqlite3_value_text(v), sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB:
		local_sql_bind_blob(q, sqlite3_value_blob(v), sqlite3_value_bytes(v));
		break;
	default: {
		local_bind *b = bind_slot(q);
		if (b)
			b->type = SQLITE_NULL;
	}
	}
}

void local_sql_append(local_sql *q, const local_sql *other)
{
	if (other->oom) {
		q->oom = TRUE;
		return;
	}
	if (other->len)
		local_sql_add(q, "%s", other->s);
	for (int i = 0; i < other->nb; i++) {
		const local_bind *o = &other->b[i];
		switch (o->type) {
		case SQLITE_INTEGER: local_sql_bind_int(q, o->i); break;
		case SQLITE_FLOAT: local_sql_bind_double(q, o->d); break;
		case SQLITE_TEXT: local_sql_bind_text(q, o->p, o->n); break;
		case SQLITE_BLOB: local_sql_bind_blob(q, o->p, o->n); break;
		default: {
			local_bind *b = bind_slot(q);
			if (b)
				b->type = SQLITE_NULL;
		}
		}
	}
}

int local_sql_bind_all(sqlite3_stmt *st, const local_sql *q, int first)
{
	for (int i = 0; i < q->nb; i++, first++) {
		const local_bind *b = &q->b[i];
		switch (b->type) {
		case SQLITE_INTEGER: sqlite3_bind_int64(st, first, b->i); break;
		case SQLITE_FLOAT: sqlite3_bind_double(st, first, b->d); break;
		case SQLITE_TEXT: sqlite3_bind_text(st, first, b->p, b->n, SQLITE_TRANSIENT); break;
		case SQLITE_BLOB: sqlite3_bind_blob(st, first, b->n ? b->p : "", b->n, SQLITE_TRANSIENT); break;
		default: sqlite3_bind_null(st, first); break;
		}
	}
	return first;
}

HRESULT local_sql_prepare(local_db *db, const local_sql *q, sqlite3_stmt **st)
{
	*st = NULL;
	if (q->oom)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "%s: out of memory building a table query", db->path);
	int rc = sqlite3_prepare_v3(db->db, q->s ? q->s : "", -1, 0, st, NULL);
	if (rc != SQLITE_OK)
		return local_db_error(db, rc, "preparing a table query");
	return S_OK;
}

/* ---- SQL functions ------------------------------------------------------------------------- */

/* local_largeval(obj, tag): a value kept in chunks, whole (text for string
 * tags, else a blob), so restrictions see large values as C does. */
static void fn_largeval(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3 *db = sqlite3_context_db_handle(ctx);
	sqlite3_stmt *st;
	sqlite3_int64 obj = sqlite3_value_int64(argv[0]), tag = sqlite3_value_int64(argv[1]);
	if (sqlite3_prepare_v2(db, "SELECT data FROM chunks WHERE obj = ?1 AND tag = ?2 ORDER BY seq", -1, &st, NULL) !=
	    SQLITE_OK) {
		sqlite3_result_error(ctx, "local_largeval: cannot read chunks", -1);
		return;
	}
	sqlite3_bind_int64(st, 1, obj);
	sqlite3_bind_int64(st, 2, tag);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		if (len + n > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			while (ncap < len + n)
				ncap *= 2;
			char *bigger = realloc(buf, ncap);
			if (!bigger) {
				free(buf);
				sqlite3_finalize(st);
				sqlite3_result_error_nomem(ctx);
				return;
			}
			buf = bigger;
			cap = ncap;
		}
		if (n)
			memcpy(buf + len, sqlite3_column_blob(st, 0), n);
		len += n;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || !buf) {
		free(buf);
		sqlite3_result_null(ctx);
		return;
	}
	if (PROP_TYPE((ULONG)tag) == PT_UNICODE)
		sqlite3_result_text(ctx, buf, (int)len, free);
	else
		sqlite3_result_blob(ctx, buf, (int)len, free);
}

HRESULT local_sql_register(local_db *db)
{
	/* Registering again would expire every prepared statement of the
	 * connection (the shared cache too): only the first table does it. */
	sqlite3_stmt *probe;
	if (sqlite3_prepare_v2(db->db, "SELECT local_largeval(0, 0)", -1, &probe, NULL) == SQLITE_OK) {
		sqlite3_finalize(probe);
		return S_OK;
	}
	int rc = sqlite3_create_function_v2(db->db, "local_largeval", 2, SQLITE_UTF8, NULL, fn_largeval, NULL, NULL, NULL);
	/* SQLITE_BUSY: registered already and in use by a running statement. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return local_db_error(db, rc, "registering table functions");
	return S_OK;
}

/* ---- sort keys ------------------------------------------------------------------------------- */

/* Properties with a column of their own in messages, and the index that
 * pages through it: messages_by_delivery always exists, the others are
 * built on demand (local_schema_sort_index_sql, local-table-index.c). */
static const struct {
	ULONG tag;
	const char *col;      /* %s is the alias */
	const char *index;    /* NULL: none */
} sort_columns[] = {
	{PR_MESSAGE_DELIVERY_TIME, "%s.s_delivery", "messages_by_delivery"},
	{PR_CLIENT_SUBMIT_TIME, "%s.s_submit", "messages_by_submit"},
	{PR_IMPORTANCE, "%s.s_importance", "messages_by_importance"},
	{PROP_TAG(PT_UNICODE, 0x0037), "%s.s_subject", "messages_by_subject"},
	{PROP_TAG(PT_UNICODE, 0x0E1D), "%s.s_nsubject", "messages_by_nsubject"},
	{PROP_TAG(PT_UNICODE, 0x001A), "%s.s_class", "messages_by_class"},
	{PROP_TAG(PT_UNICODE, 0x0C1A), "%s.s_sender", "messages_by_sender"},
	{PR_MESSAGE_SIZE, "%s.size", "messages_by_size"},
	{PROP_TAG(PT_I8, 0x0E08), "%s.size", "messages_by_size"},
	{PR_LAST_MODIFICATION_TIME, "%s.modified", "messages_by_modified"},
	{PR_CREATION_TIME, "%s.created", NULL},
	/* The expression is the one messages_by_flags indexes (local-schema.c). */
	{PR_MESSAGE_FLAGS, "(%s.flags | (%s.n_attach > 0) * 16)", "messages_by_flags"},
	{PROP_TAG(PT_BOOLEAN, 0x0E1B), "(%s.n_attach > 0)", NULL},
};

static BOOL is_string(ULONG t)
{
	return t == PT_STRING8 || t == PT_UNICODE;
}

static int sort_column(ULONG tag)
{
	ULONG norm = local_props_normalize_tag(tag & ~(ULONG)MV_INSTANCE);
	for (size_t i = 0; i < sizeof sort_columns / sizeof sort_columns[0]; i++)
		if (sort_columns[i].tag == norm)
			return (int)i;
	return -1;
}

const char *local_sort_index(ULONG tag)
{
	int i = sort_column(tag);
	return i < 0 ? NULL : sort_columns[i].index;
}

HRESULT local_sort_expr(ULONG tag, const char *alias, char **expr)
{
	ULONG norm = local_props_normalize_tag(tag & ~(ULONG)MV_INSTANCE);
	char buf[256];
	int col = sort_column(tag);
	if (col >= 0)
		snprintf(buf, sizeof buf, sort_columns[col].col, alias, alias);
	else if (is_string(PROP_TYPE(norm)))
		snprintf(buf, sizeof buf,
		         "coalesce((SELECT substr(value, 1, 255) FROM props WHERE obj = %s.mid AND tag = %u), " LOCAL_SORT_MISSING
		         ") COLLATE MAPIX_NOCASE",
		         alias, (unsigned)norm);
	else if (PROP_TYPE(norm) == PT_DOUBLE || PROP_TYPE(norm) == PT_R4 || PROP_TYPE(norm) == PT_APPTIME)
		snprintf(buf, sizeof buf, "coalesce((SELECT value FROM props WHERE obj = %s.mid AND tag = %u), -9e999)", alias,
		         (unsigned)norm);
	else
		snprintf(buf, sizeof buf,
		         "coalesce((SELECT value FROM props WHERE obj = %s.mid AND tag = %u), " LOCAL_SORT_MISSING ")", alias,
		         (unsigned)norm);
	if (!(*expr = strdup(buf)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SortTable: out of memory");
	return S_OK;
}

/* ---- string sort columns ------------------------------------------------------------------- */

/* The columns the message save path writes itself (local_sort_keys), in
 * enum local_sort_col order: integers as stored, strings folded. */
static const ULONG sort_key_tags[LOCAL_SORT_NCOLS] = {
	PR_MESSAGE_DELIVERY_TIME,     PR_CLIENT_SUBMIT_TIME,        PR_IMPORTANCE,
	PROP_TAG(PT_UNICODE, 0x0037), PROP_TAG(PT_UNICODE, 0x0E1D), PROP_TAG(PT_UNICODE, 0x001A),
	PROP_TAG(PT_UNICODE, 0x0C1A),
};

/* The first 255 characters of t, folded as MAPIX_NOCASE folds them (so
 * that BINARY order of the result is MAPIX_NOCASE order). malloc'd. UTF-16
 * and UTF-8 give the same key for the same text: the stored UTF-8 is made
 * with the same decoder (lone surrogates become U+FFFD either way). */
static char *fold_key(struct mapix_text t)
{
	return mapix_collation_fold_key(t, FL_IGNORECASE, 255);
}

void local_table_sort_keys_free(local_sort_keys *k)
{
	for (int i = 0; i < LOCAL_SORT_NCOLS; i++) {
		free(k->text[i]);
		k->text[i] = NULL;
	}
}

HRESULT local_table_sort_keys(const local_change *c, ULONG n, local_sort_keys *k)
{
	memset(k, 0, sizeof *k);
	for (ULONG i = 0; i < n; i++) {
		for (int col = 0; col < LOCAL_SORT_NCOLS; col++) {
			if (PROP_ID(c[i].tag) != PROP_ID(sort_key_tags[col]))
				continue;
			/* Any change of the id replaces the stored value; the column
			 * has a value only when the new one has the column's type. */
			k->touched[col] = TRUE;
			k->any = TRUE;
			if (c[i].tag != sort_key_tags[col])
				break;
			if (c[i].stream_fd >= 0) {
				k->reread = TRUE; /* in a temporary file: read back once written */
				break;
			}
			const SPropValue *v = c[i].value;
			if (!v)
				break;
			switch (PROP_TYPE(v->ulPropTag)) {
			case PT_SYSTIME:
				k->num[col] = (int64_t)mapix_filetime_to_u64(v->Value.ft);
				break;
			case PT_LONG:
				k->num[col] = v->Value.l;
				break;
			case PT_STRING8:
				k->text[col] = fold_key(mapix_text_utf8(v->Value.lpszA ? v->Value.lpszA : "",
				                                        v->Value.lpszA ? strlen(v->Value.lpszA) : 0));
				break;
			case PT_UNICODE:
				k->text[col] = fold_key(mapix_text_utf16(v->Value.lpszW ? v->Value.lpszW : u"",
				                                         v->Value.lpszW ? mapix_wcslen(v->Value.lpszW) : 0));
				break;
			}
			if (col >= LOCAL_SORT_N_INT && !k->text[col]) {
				local_table_sort_keys_free(k);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "SaveChanges: out of memory making sort keys");
			}
			k->present[col] = TRUE;
			break;
		}
	}
	return S_OK;
}

HRESULT local_table_sort_refresh(local_db *db, uint64_t mid)
{
	static const char sel[] =
	    "SELECT p.tag, coalesce(p.value, (SELECT substr(data, 1, 1024) FROM chunks c WHERE c.obj = p.obj"
	    " AND c.tag = p.tag AND c.seq = 0)) FROM props p WHERE p.obj = ?1 AND p.tag IN (?2, ?3, ?4, ?5)";
	static const char upd[] =
	    "UPDATE messages SET s_subject = ?2, s_nsubject = ?3, s_class = ?4, s_sender = ?5 WHERE mid = ?1";
	const ULONG *tags = sort_key_tags + LOCAL_SORT_N_INT;
	char *keys[4] = {NULL, NULL, NULL, NULL};
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_int64(st, 2 + i, tags[i]);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ULONG tag = (ULONG)sqlite3_column_int64(st, 0);
		for (int i = 0; i < 4; i++) {
			if (tags[i] != tag || keys[i])
				continue;
			const char *text = (const char *)sqlite3_column_text(st, 1);
			if (text && !(keys[i] = fold_key(mapix_text_utf8(text, (size_t)sqlite3_column_bytes(st, 1)))))
				rc = SQLITE_NOMEM;
		}
		if (rc == SQLITE_NOMEM)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		hr = local_db_error(db, rc, "reading sort keys");
	if (SUCCEEDED(hr) && SUCCEEDED(hr = local_db_prepare(db, upd, &st))) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
		for (int i = 0; i < 4; i++) {
			if (keys[i])
				sqlite3_bind_text(st, 2 + i, keys[i], -1, SQLITE_STATIC);
			else
				sqlite3_bind_int64(st, 2 + i, INT64_MIN);
		}
		hr = local_step_done(db, st, "writing sort keys");
	}
	for (int i = 0; i < 4; i++)
		free(keys[i]);
	return hr;
}

/* ---- restrictions ----------------------------------------------------------------------------- */

BOOL local_restrict_has(const SRestriction *r, ULONG rt, unsigned depth)
{
	if (!r || depth > MAPIX_RESTRICTION_MAX_DEPTH)
		return FALSE;
	if (r->rt == rt)
		return TRUE;
	switch (r->rt) {
	case RES_AND:
	case RES_OR:
		for (ULONG i = 0; i < r->res.resAnd.cRes; i++)
			if (local_restrict_has(&r->res.resAnd.lpRes[i], rt, depth + 1))
				return TRUE;
		return FALSE;
	case RES_NOT:
		return local_restrict_has(r->res.resNot.lpRes, rt, depth + 1);
	case RES_SUBRESTRICTION:
		return local_restrict_has(r->res.resSub.lpRes, rt, depth + 1);
	case RES_COUNT:
		return local_restrict_has(r->res.resCount.lpRes, rt, depth + 1);
	case RES_COMMENT:
	case RES_ANNOTATION:
		return local_restrict_has(r->res.resComment.lpRes, rt, depth + 1);
	default:
		return FALSE;
	}
}

/* Where a node's properties live. */
enum obj_kind { OBJ_MESSAGE, OBJ_RECIP, OBJ_ATTACH };

typedef struct emit_ctx {
	enum obj_kind kind;
	const char *obj;        /* SQL of the object id: m.mid, r.rid, a.aid */
	const char *row;        /* alias of the object's row: m, r, a */
} emit_ctx;

/* Message properties the store computes (local-message.c). Those with a
 * column are pushed; the others are read in C. */
static const ULONG message_computed_ids[] = {
	0x0FFF, /* PR_ENTRYID */ 0x0E09, /* PR_PARENT_ENTRYID */ 0x0FF9, /* PR_RECORD_KEY */
	0x65E0, /* PR_SOURCE_KEY */ 0x65E1, /* PR_PARENT_SOURCE_KEY */ 0x65E2, /* PR_CHANGE_KEY */
	0x65E3, /* PR_PREDECESSOR_CHANGE_LIST */ 0x300B, /* PR_SEARCH_KEY */ 0x0FFE, /* PR_OBJECT_TYPE */
	0x0E08, /* PR_MESSAGE_SIZE(_EXTENDED) */ 0x0E1B, /* PR_HASATTACH */ 0x0E07, /* PR_MESSAGE_FLAGS */
	0x0FF4, /* PR_ACCESS */ 0x0FF7, /* PR_ACCESS_LEVEL */ 0x3007, /* PR_CREATION_TIME */
	0x3008, /* PR_LAST_MODIFICATION_TIME */ 0x0FFB, /* PR_STORE_ENTRYID */ 0x0FFA, /* PR_STORE_RECORD_KEY */
	0x0FF8, /* PR_MAPPING_SIGNATURE */
};

static BOOL message_computed(ULONG id)
{
	for (size_t i = 0; i < sizeof message_computed_ids / sizeof message_computed_ids[0]; i++)
		if (message_computed_ids[i] == id)
			return TRUE;
	return FALSE;
}

/* Value expressions of computed properties that have a column: type and SQL. */
typedef struct computed_col {
	ULONG tag;
	const char *sql;        /* %s: the row alias */
} computed_col;

static const computed_col message_cols[] = {
	{PR_MESSAGE_FLAGS, "(%s.flags | (%s.n_attach > 0) * 16 | %s.associated * 64)"},
	{PR_MESSAGE_SIZE, "min(%s.size, 2147483647)"},
	{PROP_TAG(PT_I8, 0x0E08), "%s.size"},
	{PR_CREATION_TIME, "%s.created"},
	{PR_LAST_MODIFICATION_TIME, "%s.modified"},
	{PROP_TAG(PT_BOOLEAN, 0x0E1B), "(%s.n_attach > 0)"},
	{PR_SEARCH_KEY, "%s.search_key"},
	{PR_OBJECT_TYPE, "5"},
};
static const computed_col recip_cols[] = {{PR_ROWID, "%s.row_num"}};
static const computed_col attach_cols[] = {{PR_ATTACH_NUM, "%s.num"}};

/* The computed column of (kind, tag): 1 found (*sql set), 0 not computed,
 * -1 computed without a column (C only). ID matches with another type
 * answer -2: the row holds another type, so value comparisons are FALSE. */
static int computed_sql(const emit_ctx *c, ULONG tag, char *sql, size_t cb)
{
	const computed_col *cols;
	size_t n;
	switch (c->kind) {
	case OBJ_MESSAGE: cols = message_cols; n = sizeof message_cols / sizeof message_cols[0]; break;
	case OBJ_RECIP: cols = recip_cols; n = 1; break;
	default: cols = attach_cols; n = 1; break;
	}
	BOOL id_match = FALSE;
	for (size_t i = 0; i < n; i++) {
		if (PROP_ID(cols[i].tag) != PROP_ID(tag))
			continue;
		id_match = TRUE;
		if (PROP_TYPE(cols[i].tag) == PROP_TYPE(tag)) {
			snprintf(sql, cb, cols[i].sql, c->row, c->row, c->row);
			return 1;
		}
	}
	if (c->kind == OBJ_MESSAGE && message_computed(PROP_ID(tag)))
		return id_match ? -2 : -1;
	return id_match ? -2 : 0;
}

/* SQL for the scalar value of tag on the context's object, or FALSE when
 * SQL cannot give it exactly. *never: the value never matches (another
 * type under a computed ID). */
static BOOL value_sql(const emit_ctx *c, ULONG tag, local_sql *q, BOOL *never)
{
	char buf[160];
	*never = FALSE;
	if (PROP_TYPE(tag) & (MV_FLAG | MV_INSTANCE))
		return FALSE;
	int k = computed_sql(c, tag, buf, sizeof buf);
	if (k == 1) {
		local_sql_add(q, "%s", buf);
		return TRUE;
	}
	if (k == -1)
		return FALSE;
	if (k == -2) {
		*never = TRUE;
		return TRUE;
	}
	ULONG norm = local_props_normalize_tag(tag);
	ULONG t = PROP_TYPE(norm);
	if (t == PT_UNICODE || t == PT_BINARY || t == PT_SVREID)
		local_sql_add(q, "(SELECT coalesce(value, local_largeval(obj, tag)) FROM props WHERE obj = %s AND tag = %u)",
		              c->obj, (unsigned)norm);
	else
		local_sql_add(q, "(SELECT value FROM props WHERE obj = %s AND tag = %u)", c->obj, (unsigned)norm);
	return TRUE;
}

static const char *relop_sql(ULONG relop)
{
	switch (relop) {
	case RELOP_LT: return "<";
	case RELOP_LE: return "<=";
	case RELOP_GT: return ">";
	case RELOP_GE: return ">=";
	case RELOP_EQ: return "=";
	case RELOP_NE: return "<>";
	default: return NULL;
	}
}

static BOOL scalar_comparable(ULONG t)
{
	switch (t) {
	case PT_I2: case PT_LONG: case PT_R4: case PT_DOUBLE: case PT_CURRENCY: case PT_APPTIME: case PT_BOOLEAN:
	case PT_I8: case PT_STRING8: case PT_UNICODE: case PT_SYSTIME: case PT_CLSID: case PT_BINARY: case PT_SVREID:
		return TRUE;
	default:
		return FALSE;
	}
}

/* A string value as UTF-8 (malloc'd). */
static char *value_utf8(const SPropValue *v)
{
	if (PROP_TYPE(v->ulPropTag) == PT_STRING8)
		return strdup(v->Value.lpszA ? v->Value.lpszA : "");
	static const WCHAR empty[1] = {0};
	const WCHAR *w = v->Value.lpszW ? v->Value.lpszW : empty;
	size_t len = mapix_wcslen(w);
	size_t need = mapix_utf16_to_utf8_buf(w, len, NULL, 0);
	char *s = malloc(need + 1);
	if (s)
		mapix_utf16_to_utf8_buf(w, len, s, need + 1);
	return s;
}

/* Binds a restriction's value in the stored form; FALSE for types SQL does
 * not compare. */
static BOOL bind_value(local_sql *q, const SPropValue *v)
{
	switch (PROP_TYPE(v->ulPropTag)) {
	case PT_I2: local_sql_bind_int(q, v->Value.i); return TRUE;
	case PT_LONG: local_sql_bind_int(q, v->Value.l); return TRUE;
	case PT_BOOLEAN: local_sql_bind_int(q, v->Value.b ? 1 : 0); return TRUE;
	case PT_I8: local_sql_bind_int(q, v->Value.li.QuadPart); return TRUE;
	case PT_CURRENCY: local_sql_bind_int(q, v->Value.cur.int64); return TRUE;
	case PT_R4: local_sql_bind_double(q, v->Value.flt); return TRUE;
	case PT_DOUBLE: local_sql_bind_double(q, v->Value.dbl); return TRUE;
	case PT_APPTIME: local_sql_bind_double(q, v->Value.at); return TRUE;
	case PT_SYSTIME: local_sql_bind_int(q, (sqlite3_int64)mapix_filetime_to_u64(v->Value.ft)); return TRUE;
	case PT_STRING8:
	case PT_UNICODE: {
		char *s = value_utf8(v);
		if (!s) {
			q->oom = TRUE;
			return FALSE;
		}
		local_sql_bind_text(q, s, -1);
		free(s);
		return TRUE;
	}
	case PT_BINARY:
	case PT_SVREID:
		local_sql_bind_blob(q, v->Value.bin.lpb, (int)v->Value.bin.cb);
		return TRUE;
	case PT_CLSID:
		if (!v->Value.lpguid)
			return FALSE;
		local_sql_bind_blob(q, v->Value.lpguid, (int)sizeof(GUID));
		return TRUE;
	default:
		return FALSE;
	}
}

/* "a relop b" with FPropCompareProp's order for type t; a and b are SQL. */
static void compare_sql(local_sql *q, ULONG t, const local_sql *a, const local_sql *b, const char *op)
{
	local_sql_add(q, "coalesce(");
	if (t == PT_SYSTIME) {
		/* FILETIMEs are unsigned, stored as signed 64-bit integers: the
		 * sign first gives the unsigned order. */
		local_sql_add(q, "((");
		local_sql_append(q, a);
		local_sql_add(q, ") < 0, (");
		local_sql_append(q, a);
		local_sql_add(q, ")) %s ((", op);
		local_sql_append(q, b);
		local_sql_add(q, ") < 0, (");
		local_sql_append(q, b);
		local_sql_add(q, "))");
	} else if (t == PT_BOOLEAN) {
		local_sql_add(q, "((");
		local_sql_append(q, a);
		local_sql_add(q, ") <> 0) %s ((", op);
		local_sql_append(q, b);
		local_sql_add(q, ") <> 0)");
	} else {
		local_sql_add(q, "(");
		local_sql_append(q, a);
		local_sql_add(q, is_string(t) ? ") COLLATE MAPIX %s (" : ") %s (", op);
		local_sql_append(q, b);
		local_sql_add(q, ")");
	}
	local_sql_add(q, ", 0)");
}

static BOOL emit(const SRestriction *r, const emit_ctx *c, local_sql *q, unsigned depth);

static BOOL emit_list(const SRestriction *r, const emit_ctx *c, local_sql *q, unsigned depth, const char *sep,
                      const char *empty)
{
	if (r->res.resAnd.cRes == 0) {
		local_sql_add(q, "%s", empty);
		return TRUE;
	}
	local_sql_add(q, "(");
	for (ULONG i = 0; i < r->res.resAnd.cRes; i++) {
		if (i)
			local_sql_add(q, " %s ", sep);
		if (!emit(&r->res.resAnd.lpRes[i], c, q, depth + 1))
			return FALSE;
	}
	local_sql_add(q, ")");
	return TRUE;
}

static BOOL emit_content(const SRestriction *r, const emit_ctx *c, local_sql *q)
{
	const SContentRestriction *cr = &r->res.resContent;
	ULONG vt = PROP_TYPE(cr->lpProp->ulPropTag);
	if (!is_string(PROP_TYPE(cr->ulPropTag)) || !is_string(vt))
		return FALSE;
	local_sql v;
	BOOL never;
	local_sql_init(&v);
	if (!value_sql(c, cr->ulPropTag, &v, &never)) {
		local_sql_free(&v);
		return FALSE;
	}
	if (never) {
		local_sql_add(q, "0");
	} else {
		local_sql_add(q, "mapix_match(");
		local_sql_append(q, &v);
		local_sql_add(q, ", ?, ?)");
		if (!bind_value(q, cr->lpProp)) {
			local_sql_free(&v);
			return FALSE;
		}
		local_sql_bind_int(q, cr->ulFuzzyLevel);
	}
	local_sql_free(&v);
	return TRUE;
}

static BOOL emit_property(const SRestriction *r, const emit_ctx *c, local_sql *q)
{
	const SPropertyRestriction *p = &r->res.resProperty;
	ULONG t = PROP_TYPE(p->ulPropTag), vt = PROP_TYPE(p->lpProp->ulPropTag);
	const char *op = relop_sql(p->relop);
	if (!op || (vt & (MV_FLAG | MV_INSTANCE)) || !scalar_comparable(vt))
		return FALSE;
	if (t != vt && !(is_string(t) && is_string(vt)))
		return FALSE;
	local_sql a, b;
	BOOL never, ok;
	local_sql_init(&a);
	local_sql_init(&b);
	ok = value_sql(c, p->ulPropTag, &a, &never);
	if (ok && never) {
		local_sql_add(q, "0");
	} else if (ok) {
		local_sql_add(&b, "?");
		ok = bind_value(&b, p->lpProp);
		if (ok)
			compare_sql(q, vt, &a, &b, op);
	}
	local_sql_free(&a);
	local_sql_free(&b);
	return ok;
}

static BOOL emit_compareprops(const SRestriction *r, const emit_ctx *c, local_sql *q)
{
	const SComparePropsRestriction *p = &r->res.resCompareProps;
	ULONG t1 = PROP_TYPE(p->ulPropTag1), t2 = PROP_TYPE(p->ulPropTag2);
	const char *op = relop_sql(p->relop);
	if (!op || !scalar_comparable(t1) || !scalar_comparable(t2))
		return FALSE;
	if (t1 != t2 && !(is_string(t1) && is_string(t2)))
		return FALSE;
	local_sql a, b;
	BOOL n1, n2, ok;
	local_sql_init(&a);
	local_sql_init(&b);
	ok = value_sql(c, p->ulPropTag1, &a, &n1) && value_sql(c, p->ulPropTag2, &b, &n2);
	if (ok) {
		if (n1 || n2)
			local_sql_add(q, "0");
		else
			compare_sql(q, t1, &a, &b, op);
	}
	local_sql_free(&a);
	local_sql_free(&b);
	return ok;
}

static BOOL emit_bitmask(const SRestriction *r, const emit_ctx *c, local_sql *q)
{
	const SBitMaskRestriction *b = &r->res.resBitMask;
	ULONG t = PROP_TYPE(b->ulPropTag);
	if (t != PT_LONG && t != PT_I2)
		return FALSE;
	local_sql v;
	BOOL never;
	local_sql_init(&v);
	if (!value_sql(c, b->ulPropTag, &v, &never)) {
		local_sql_free(&v);
		return FALSE;
	}
	if (never) {
		local_sql_add(q, "0");
	} else {
		local_sql_add(q, "coalesce(((");
		local_sql_append(q, &v);
		local_sql_add(q, t == PT_I2 ? ") & 65535 & ?) %s 0, 0)" : ") & ?) %s 0, 0)", b->relBMR == BMR_EQZ ? "=" : "<>");
		local_sql_bind_int(q, (sqlite3_int64)b->ulMask);
	}
	local_sql_free(&v);
	return TRUE;
}

static BOOL emit_exist(const SRestriction *r, const emit_ctx *c, local_sql *q)
{
	ULONG id = PROP_ID(r->res.resExist.ulPropTag);
	char buf[160];
	/* Computed with a column: always there. Computed without: C. */
	int k = computed_sql(c, PROP_TAG(PT_UNSPECIFIED, id), buf, sizeof buf);
	if (k == -1)
		return FALSE;
	if (k == -2 || k == 1) {
		local_sql_add(q, "1");
		return TRUE;
	}
	local_sql_add(q, "EXISTS (SELECT 1 FROM props WHERE obj = %s AND tag BETWEEN %u AND %u)", c->obj,
	              (unsigned)PROP_TAG(0, id), (unsigned)PROP_TAG(0xFFFF, id));
	return TRUE;
}

static BOOL emit_sub(const SRestriction *r, const emit_ctx *c, local_sql *q, unsigned depth)
{
	if (c->kind != OBJ_MESSAGE)
		return FALSE;
	BOOL recips = r->res.resSub.ulSubObject == PR_MESSAGE_RECIPIENTS;
	emit_ctx sub = {recips ? OBJ_RECIP : OBJ_ATTACH, recips ? "r.rid" : "a.aid", recips ? "r" : "a"};
	if (recips)
		local_sql_add(q, "EXISTS (SELECT 1 FROM recipients r WHERE r.mid = m.mid AND ");
	else
		local_sql_add(q, "EXISTS (SELECT 1 FROM attachments a WHERE a.mid = m.mid AND ");
	if (!emit(r->res.resSub.lpRes, &sub, q, depth + 1))
		return FALSE;
	local_sql_add(q, ")");
	return TRUE;
}

static BOOL emit(const SRestriction *r, const emit_ctx *c, local_sql *q, unsigned depth)
{
	if (depth > MAPIX_RESTRICTION_MAX_DEPTH)
		return FALSE;
	switch (r->rt) {
	case RES_AND:
		return emit_list(r, c, q, depth, "AND", "1");
	case RES_OR:
		return emit_list(r, c, q, depth, "OR", "0");
	case RES_NOT:
		local_sql_add(q, "NOT ");
		return emit(r->res.resNot.lpRes, c, q, depth + 1);
	case RES_CONTENT:
		return emit_content(r, c, q);
	case RES_PROPERTY:
		return emit_property(r, c, q);
	case RES_COMPAREPROPS:
		return emit_compareprops(r, c, q);
	case RES_BITMASK:
		return emit_bitmask(r, c, q);
	case RES_EXIST:
		return emit_exist(r, c, q);
	case RES_SUBRESTRICTION:
		return emit_sub(r, c, q, depth);
	case RES_COMMENT:
	case RES_ANNOTATION:
		if (!r->res.resComment.lpRes) {
			local_sql_add(q, "1");
			return TRUE;
		}
		return emit(r->res.resComment.lpRes, c, q, depth + 1);
	default: /* RES_SIZE, RES_COUNT */
		return FALSE;
	}
}

/* ---- tags the C side reads --------------------------------------------------------------------- */

typedef struct tagset {
	ULONG *tags;
	ULONG n, cap;
	BOOL conflict;
} tagset;

static void tagset_add(tagset *s, ULONG tag)
{
	/* Strings are read in the width the restriction names (the same stored value). */
	for (ULONG i = 0; i < s->n; i++) {
		if (PROP_ID(s->tags[i]) != PROP_ID(tag))
			continue;
		if (local_props_normalize_tag(s->tags[i]) != local_props_normalize_tag(tag))
			s->conflict = TRUE;
		return;
	}
	if (s->n == s->cap) {
		ULONG cap = s->cap ? s->cap * 2 : 8;
		ULONG *t = realloc(s->tags, cap * sizeof *t);
		if (!t) {
			s->conflict = TRUE; /* forces the all-C path, which reads by ID */
			return;
		}
		s->tags = t;
		s->cap = cap;
	}
	s->tags[s->n++] = tag;
}

/* What a node reads, by tag: exact types for comparisons, any type
 * (PT_UNSPECIFIED) for RES_EXIST and RES_SIZE. */
static void collect(const SRestriction *r, tagset *msg, tagset sub[2], int in_sub, unsigned depth)
{
	tagset *s = in_sub >= 0 ? &sub[in_sub] : msg;
	if (!r || depth > MAPIX_RESTRICTION_MAX_DEPTH)
		return;
	switch (r->rt) {
	case RES_AND:
	case RES_OR:
		for (ULONG i = 0; i < r->res.resAnd.cRes; i++)
			collect(&r->res.resAnd.lpRes[i], msg, sub, in_sub, depth + 1);
		break;
	case RES_NOT:
		collect(r->res.resNot.lpRes, msg, sub, in_sub, depth + 1);
		break;
	case RES_CONTENT:
		tagset_add(s, r->res.resContent.ulPropTag & ~(ULONG)MV_INSTANCE);
		break;
	case RES_PROPERTY:
		tagset_add(s, r->res.resProperty.ulPropTag & ~(ULONG)MV_INSTANCE);
		break;
	case RES_COMPAREPROPS:
		tagset_add(s, r->res.resCompareProps.ulPropTag1 & ~(ULONG)MV_INSTANCE);
		tagset_add(s, r->res.resCompareProps.ulPropTag2 & ~(ULONG)MV_INSTANCE);
		break;
	case RES_BITMASK:
		tagset_add(s, r->res.resBitMask.ulPropTag & ~(ULONG)MV_INSTANCE);
		break;
	case RES_SIZE:
		tagset_add(s, PROP_TAG(PT_UNSPECIFIED, PROP_ID(r->res.resSize.ulPropTag)));
		break;
	case RES_EXIST:
		tagset_add(s, PROP_TAG(PT_UNSPECIFIED, PROP_ID(r->res.resExist.ulPropTag)));
		break;
	case RES_SUBRESTRICTION:
		if (in_sub >= 0) {
			msg->conflict = TRUE; /* nested sub-objects: the evaluator has none */
			break;
		}
		collect(r->res.resSub.lpRes, msg, sub, r->res.resSub.ulSubObject == PR_MESSAGE_RECIPIENTS ? 0 : 1,
		        depth + 1);
		break;
	case RES_COMMENT:
	case RES_ANNOTATION:
		collect(r->res.resComment.lpRes, msg, sub, in_sub, depth + 1);
		break;
	case RES_COUNT:
		collect(r->res.resCount.lpRes, msg, sub, in_sub, depth + 1);
		break;
	}
}

void local_compiled_free(local_compiled *c)
{
	local_sql_free(&c->where);
	if (c->c_root)
		MAPIFreeBuffer(c->c_root);
	free(c->tags);
	free(c->sub_tags[0]);
	free(c->sub_tags[1]);
	memset(c, 0, sizeof *c);
}

HRESULT local_restrict_compile(const SRestriction *res, BOOL force_c, local_compiled *out)
{
	static const emit_ctx top = {OBJ_MESSAGE, "m.mid", "m"};
	tagset msg = {0}, sub[2] = {{0}, {0}};
	HRESULT hr = S_OK;

	memset(out, 0, sizeof *out);
	local_sql_init(&out->where);
	if (!res)
		return S_OK;
	collect(res, &msg, sub, -1, 0);
	out->has_count = local_restrict_has(res, RES_COUNT, 0);
	BOOL all_c = force_c || out->has_count || msg.conflict || sub[0].conflict || sub[1].conflict;

	if (all_c) {
		out->c_res = (LPSRestriction)res;
	} else if (res->rt == RES_AND) {
		/* Child by child: what SQL takes, and an AND of the rest for C. */
		ULONG n = res->res.resAnd.cRes, nc = 0;
		BOOL *pushed = calloc(n ? n : 1, sizeof *pushed);
		if (!pushed) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Restrict: out of memory");
			goto out;
		}
		for (ULONG i = 0; i < n; i++) {
			local_sql part;
			local_sql_init(&part);
			pushed[i] = emit(&res->res.resAnd.lpRes[i], &top, &part, 1) && !part.oom;
			if (pushed[i]) {
				local_sql_add(&out->where, out->where.len ? " AND " : "");
				local_sql_append(&out->where, &part);
			} else {
				nc++;
			}
			local_sql_free(&part);
		}
		if (nc == n) {
			out->c_res = (LPSRestriction)res;
		} else if (nc) {
			LPSRestriction and;
			if (FAILED(hr = MAPIAllocateBuffer(sizeof *and, (LPVOID *)&and))) {
				free(pushed);
				goto out;
			}
			out->c_root = and;
			and->rt = RES_AND;
			and->res.resAnd.cRes = nc;
			if (FAILED(hr = MAPIAllocateMore(nc * (ULONG)sizeof(SRestriction), and,
			                                 (LPVOID *)&and->res.resAnd.lpRes))) {
				free(pushed);
				goto out;
			}
			for (ULONG i = 0, j = 0; i < n; i++)
				if (!pushed[i])
					and->res.resAnd.lpRes[j++] = res->res.resAnd.lpRes[i];
			out->c_res = and;
		}
		free(pushed);
	} else {
		if (!emit(res, &top, &out->where, 0) || out->where.oom) {
			local_sql_free(&out->where);
			local_sql_init(&out->where);
			out->c_res = (LPSRestriction)res;
		}
	}
	if (out->where.oom) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "Restrict: out of memory");
		goto out;
	}
	/* On a conflict the C side reads by ID, in the stored type. */
	if (msg.conflict)
		for (ULONG i = 0; i < msg.n; i++)
			msg.tags[i] = PROP_TAG(PT_UNSPECIFIED, PROP_ID(msg.tags[i]));
	for (int k = 0; k < 2; k++)
		if (sub[k].conflict)
			for (ULONG i = 0; i < sub[k].n; i++)
				sub[k].tags[i] = PROP_TAG(PT_UNSPECIFIED, PROP_ID(sub[k].tags[i]));
	out->tags = msg.tags;
	out->n_tags = msg.n;
	msg.tags = NULL;
	for (int k = 0; k < 2; k++) {
		out->sub_tags[k] = sub[k].tags;
		out->n_sub_tags[k] = sub[k].n;
		sub[k].tags = NULL;
	}
out:
	free(msg.tags);
	free(sub[0].tags);
	free(sub[1].tags);
	if (FAILED(hr))
		local_compiled_free(out);
	return hr;
}
