/*
 * local-props.c — property values in the props table (see local.h).
 *
 * Storage form, by type: integers (PT_I2, PT_LONG, PT_BOOLEAN, PT_ERROR,
 * PT_I8, PT_CURRENCY, PT_SYSTIME as its 64-bit FILETIME) as INTEGER;
 * PT_R4, PT_DOUBLE, PT_APPTIME as REAL; PT_STRING8 and PT_UNICODE as UTF-8
 * TEXT under the PT_UNICODE tag (8-bit strings are UTF-8 in mapix);
 * PT_BINARY, PT_SVREID and PT_CLSID as BLOB; multi-valued types and
 * PT_SRESTRICT as a BLOB in the wire encoding (mapixwire.h), strings inside
 * normalized to PT_MV_UNICODE. One value per property id: writing a tag
 * removes a value of another type under the same id. Values of
 * LOCAL_LARGE_VALUE bytes or more live in the chunks table (value NULL).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mapix/mapixwire.h>

#include "core/error.h"
#include "local-message.h"
#include "local-propset.h"

ULONG local_props_normalize_tag(ULONG tag)
{
	switch (PROP_TYPE(tag) & ~MV_INSTANCE) {
	case PT_STRING8:
		return CHANGE_PROP_TYPE(tag, PT_UNICODE);
	case PT_MV_STRING8:
		return CHANGE_PROP_TYPE(tag, PT_MV_UNICODE);
	default:
		return tag & ~(ULONG)MV_INSTANCE;
	}
}


uint64_t local_props_value_size(const SPropValue *v)
{
	ULONG type = PROP_TYPE(v->ulPropTag);
	switch (type) {
	case PT_STRING8:
		return v->Value.lpszA ? strlen(v->Value.lpszA) : 0;
	case PT_UNICODE:
		return v->Value.lpszW ? mapix_wcslen(v->Value.lpszW) * 2 : 0;
	case PT_BINARY:
	case PT_SVREID:
		return v->Value.bin.cb;
	default:
		return UlPropSize((LPSPropValue)v);
	}
}

/* Converts an MV 8-bit string value to PT_MV_UNICODE on lpParent. */
static HRESULT mv_string8_to_unicode(const SPropValue *in, LPVOID lpParent, SPropValue *out)
{
	*out = *in;
	out->ulPropTag = CHANGE_PROP_TYPE(in->ulPropTag, PT_MV_UNICODE);
	ULONG n = in->Value.MVszA.cValues;
	if (n == 0) {
		out->Value.MVszW.lppszW = NULL;
		return S_OK;
	}
	SCODE sc = MAPIAllocateMore(n * (ULONG)sizeof(LPWSTR), lpParent, (LPVOID *)&out->Value.MVszW.lppszW);
	if (FAILED(sc))
		return sc;
	for (ULONG i = 0; i < n; i++) {
		sc = mapix_utf8_to_utf16(in->Value.MVszA.lppszA[i] ? in->Value.MVszA.lppszA[i] : "", lpParent,
		                         &out->Value.MVszW.lppszW[i]);
		if (FAILED(sc))
			return sc;
	}
	return S_OK;
}

static HRESULT mv_unicode_to_string8(SPropValue *v, LPVOID lpParent)
{
	ULONG n = v->Value.MVszW.cValues;
	LPSTR *arr = NULL;
	if (n) {
		SCODE sc = MAPIAllocateMore(n * (ULONG)sizeof(LPSTR), lpParent, (LPVOID *)&arr);
		if (FAILED(sc))
			return sc;
		for (ULONG i = 0; i < n; i++) {
			sc = mapix_utf16_to_utf8(v->Value.MVszW.lppszW[i], lpParent, &arr[i]);
			if (FAILED(sc))
				return sc;
		}
	}
	v->ulPropTag = CHANGE_PROP_TYPE(v->ulPropTag, PT_MV_STRING8);
	v->Value.MVszA.cValues = n;
	v->Value.MVszA.lppszA = arr;
	return S_OK;
}

static HRESULT write_chunks(local_db *db, uint64_t obj, ULONG tag, const BYTE *data, uint64_t size)
{
	static const char ins[] = "INSERT INTO chunks(obj, tag, seq, data) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st;
	HRESULT hr;
	uint64_t seq = 0;

	for (uint64_t off = 0; off < size; off += LOCAL_CHUNK_SIZE, seq++) {
		uint64_t n = size - off < LOCAL_CHUNK_SIZE ? size - off : LOCAL_CHUNK_SIZE;
		if (FAILED(hr = local_db_prepare(db, ins, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		sqlite3_bind_int64(st, 2, tag);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
		sqlite3_bind_blob(st, 4, data + off, (int)n, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "writing a large value");
	}
	return S_OK;
}

static HRESULT clear_id(local_db *db, uint64_t obj, ULONG tag)
{
	static const char del_props[] = "DELETE FROM props WHERE obj = ?1 AND tag BETWEEN ?2 AND ?3";
	static const char del_chunks[] = "DELETE FROM chunks WHERE obj = ?1 AND tag BETWEEN ?2 AND ?3";
	const char *sqls[2] = {del_props, del_chunks};
	sqlite3_stmt *st;
	HRESULT hr;

	for (int i = 0; i < 2; i++) {
		if (FAILED(hr = local_db_prepare(db, sqls[i], &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		sqlite3_bind_int64(st, 2, PROP_TAG(0, PROP_ID(tag)));
		sqlite3_bind_int64(st, 3, PROP_TAG(0xFFFF, PROP_ID(tag)));
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "deleting a property");
	}
	return S_OK;
}

HRESULT local_props_delete(local_db *db, uint64_t obj, ULONG tag)
{
	return clear_id(db, obj, tag);
}

static HRESULT insert_row(local_db *db, uint64_t obj, ULONG tag, sqlite3_stmt **pst)
{
	static const char ins[] = "INSERT INTO props(obj, tag, value, size) VALUES (?1, ?2, ?3, ?4)";
	HRESULT hr = local_db_prepare(db, ins, pst);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(*pst, 1, (sqlite3_int64)obj);
	sqlite3_bind_int64(*pst, 2, tag);
	return S_OK;
}

/* A value in its stored form, ready to be bound as one props row. */
typedef struct stored_value {
	ULONG tag;           /* normalized */
	int kind;            /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL (in chunks) */
	sqlite3_int64 i;
	double d;
	const void *p;       /* text (NUL-terminated) or blob */
	int n;               /* blob bytes */
	uint64_t size;       /* props.size */
	char *utf8;          /* owned: a PT_UNICODE value converted (MAPIAllocateBuffer) */
	MAPIXWIREBUF buf;    /* owned: a multi-valued value encoded */
} stored_value;

static void stored_free(stored_value *sv)
{
	if (sv->utf8)
		MAPIFreeBuffer(sv->utf8);
	sv->utf8 = NULL;
	mapix_wire_buf_free(&sv->buf);
}

/* Puts v into its stored form. A large string or binary is written to
 * chunks here and leaves a row whose value is NULL. */
static HRESULT encode_value(local_db *db, uint64_t obj, const SPropValue *v, stored_value *sv)
{
	ULONG type = PROP_TYPE(v->ulPropTag) & ~(ULONG)MV_INSTANCE;
	HRESULT hr = S_OK;

	memset(sv, 0, sizeof *sv);
	mapix_wire_buf_init(&sv->buf);
	sv->tag = local_props_normalize_tag(v->ulPropTag);
	sv->size = local_props_value_size(v);
	sv->kind = SQLITE_INTEGER;
	/* Large strings and binaries go to chunks. */
	if ((type == PT_BINARY || type == PT_STRING8 || type == PT_UNICODE) && sv->size >= LOCAL_LARGE_VALUE) {
		const BYTE *data;
		uint64_t len;
		if (type == PT_BINARY) {
			data = v->Value.bin.lpb;
			len = v->Value.bin.cb;
		} else if (type == PT_STRING8) {
			data = (const BYTE *)v->Value.lpszA;
			len = strlen(v->Value.lpszA);
		} else {
			if (FAILED(hr = mapix_utf16_to_utf8(v->Value.lpszW, NULL, &sv->utf8)))
				return hr;
			data = (const BYTE *)sv->utf8;
			len = strlen(sv->utf8);
		}
		hr = write_chunks(db, obj, sv->tag, data, len);
		sv->kind = SQLITE_NULL;
		sv->size = len;
		stored_free(sv);
		return hr;
	}
	switch (type) {
	case PT_I2:
		sv->i = v->Value.i;
		break;
	case PT_LONG:
		sv->i = v->Value.l;
		break;
	case PT_BOOLEAN:
		sv->i = v->Value.b ? 1 : 0;
		break;
	case PT_ERROR:
		sv->i = v->Value.err;
		break;
	case PT_I8:
		sv->i = v->Value.li.QuadPart;
		break;
	case PT_CURRENCY:
		sv->i = v->Value.cur.int64;
		break;
	case PT_SYSTIME:
		sv->i = (sqlite3_int64)mapix_filetime_to_u64(v->Value.ft);
		break;
	case PT_R4:
		sv->kind = SQLITE_FLOAT;
		sv->d = v->Value.flt;
		break;
	case PT_DOUBLE:
		sv->kind = SQLITE_FLOAT;
		sv->d = v->Value.dbl;
		break;
	case PT_APPTIME:
		sv->kind = SQLITE_FLOAT;
		sv->d = v->Value.at;
		break;
	case PT_STRING8:
		sv->kind = SQLITE_TEXT;
		sv->p = v->Value.lpszA ? v->Value.lpszA : "";
		break;
	case PT_UNICODE:
		if (FAILED(hr = mapix_utf16_to_utf8(v->Value.lpszW ? v->Value.lpszW : u"", NULL, &sv->utf8)))
			break;
		sv->kind = SQLITE_TEXT;
		sv->p = sv->utf8;
		break;
	case PT_BINARY:
	case PT_SVREID:
		sv->kind = SQLITE_BLOB;
		sv->p = v->Value.bin.cb ? (const void *)v->Value.bin.lpb : "";
		sv->n = (int)v->Value.bin.cb;
		break;
	case PT_CLSID:
		if (!v->Value.lpguid) {
			hr = mapix_error(MAPI_E_INVALID_PARAMETER, "property 0x%08X: NULL GUID", (unsigned)v->ulPropTag);
			break;
		}
		sv->kind = SQLITE_BLOB;
		sv->p = v->Value.lpguid;
		sv->n = sizeof(GUID);
		break;
	case PT_SRESTRICT:
	case PT_MV_I2:
	case PT_MV_LONG:
	case PT_MV_R4:
	case PT_MV_DOUBLE:
	case PT_MV_CURRENCY:
	case PT_MV_APPTIME:
	case PT_MV_SYSTIME:
	case PT_MV_BINARY:
	case PT_MV_UNICODE:
	case PT_MV_CLSID:
	case PT_MV_I8: {
		SPropValue copy = *v;
		copy.ulPropTag = sv->tag;
		if (FAILED(hr = mapix_wire_put_propval(&sv->buf, &copy)))
			break;
		sv->kind = SQLITE_BLOB;
		sv->p = sv->buf.pb;
		sv->n = (int)sv->buf.cb;
		break;
	}
	case PT_MV_STRING8: {
		SPropValue conv;
		LPVOID root = NULL;
		if (FAILED(hr = MAPIAllocateBuffer(1, &root)))
			break;
		hr = mv_string8_to_unicode(v, root, &conv);
		if (SUCCEEDED(hr))
			hr = mapix_wire_put_propval(&sv->buf, &conv);
		MAPIFreeBuffer(root);
		if (FAILED(hr))
			break;
		sv->kind = SQLITE_BLOB;
		sv->p = sv->buf.pb;
		sv->n = (int)sv->buf.cb;
		break;
	}
	default:
		hr = mapix_error(MAPI_E_INVALID_TYPE, "property 0x%08X: type cannot be stored", (unsigned)v->ulPropTag);
		break;
	}
	if (FAILED(hr))
		stored_free(sv);
	return hr;
}

/* Binds one row (obj, tag, value, size) from parameter `first` on. */
static void bind_stored(sqlite3_stmt *st, int first, uint64_t obj, const stored_value *sv)
{
	sqlite3_bind_int64(st, first, (sqlite3_int64)obj);
	sqlite3_bind_int64(st, first + 1, sv->tag);
	switch (sv->kind) {
	case SQLITE_INTEGER:
		sqlite3_bind_int64(st, first + 2, sv->i);
		break;
	case SQLITE_FLOAT:
		sqlite3_bind_double(st, first + 2, sv->d);
		break;
	case SQLITE_TEXT:
		sqlite3_bind_text(st, first + 2, sv->p, -1, SQLITE_STATIC);
		break;
	case SQLITE_BLOB:
		sqlite3_bind_blob(st, first + 2, sv->p, sv->n, SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(st, first + 2);
		break;
	}
	sqlite3_bind_int64(st, first + 3, (sqlite3_int64)sv->size);
}

/* Props rows go in with one statement per 8, 4, 2 or 1 of them: SQLite's
 * cost per statement run is about half the cost of a small row. */
#define PROPS_PER_INSERT 8
static const char ins_rows1[] = "INSERT INTO props(obj, tag, value, size) VALUES (?,?,?,?)";
static const char ins_rows2[] = "INSERT INTO props(obj, tag, value, size) VALUES (?,?,?,?),(?,?,?,?)";
static const char ins_rows4[] =
    "INSERT INTO props(obj, tag, value, size) VALUES (?,?,?,?),(?,?,?,?),(?,?,?,?),(?,?,?,?)";
static const char ins_rows8[] =
    "INSERT INTO props(obj, tag, value, size) VALUES (?,?,?,?),(?,?,?,?),(?,?,?,?),(?,?,?,?),(?,?,?,?),"
    "(?,?,?,?),(?,?,?,?),(?,?,?,?)";

/* Inserts n (1, 2, 4 or 8) encoded rows of obj. */
static HRESULT insert_stored(local_db *db, uint64_t obj, const stored_value *sv, ULONG n)
{
	const char *sql = n == 8 ? ins_rows8 : n == 4 ? ins_rows4 : n == 2 ? ins_rows2 : ins_rows1;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sql, &st);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < n; i++)
		bind_stored(st, 1 + 4 * (int)i, obj, &sv[i]);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "writing a property");
}

HRESULT local_props_insert_values(local_db *db, uint64_t obj, const SPropValue *const *v, ULONG n, uint64_t *stored)
{
	stored_value sv[PROPS_PER_INSERT];
	HRESULT hr = S_OK;
	for (ULONG done = 0; SUCCEEDED(hr) && done < n;) {
		ULONG left = n - done, k = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1, m;
		for (m = 0; m < k; m++)
			if (FAILED(hr = encode_value(db, obj, v[done + m], &sv[m])))
				break;
		if (SUCCEEDED(hr))
			hr = insert_stored(db, obj, sv, k);
		for (ULONG i = 0; i < m; i++) {
			if (stored)
				*stored += sv[i].size;
			stored_free(&sv[i]);
		}
		done += k;
	}
	return hr;
}

static HRESULT write_value(local_db *db, uint64_t obj, const SPropValue *v, BOOL fresh, uint64_t *stored);

HRESULT local_props_write(local_db *db, uint64_t obj, const SPropValue *v)
{
	return write_value(db, obj, v, FALSE, NULL);
}

HRESULT local_props_insert(local_db *db, uint64_t obj, const SPropValue *v)
{
	return write_value(db, obj, v, TRUE, NULL);
}

HRESULT local_props_put(local_db *db, uint64_t obj, const SPropValue *v, BOOL fresh, uint64_t *stored)
{
	return write_value(db, obj, v, fresh, stored);
}

/* fresh: obj was just created, so there is no older value to clear (saves
 * two statements per property when messages are saved). *stored (when not
 * NULL) receives the size recorded in props.size, so the save path can
 * size a new message without reading it back. */
static HRESULT write_value(local_db *db, uint64_t obj, const SPropValue *v, BOOL fresh, uint64_t *stored)
{
	stored_value sv;
	HRESULT hr;
	if (!fresh && FAILED(hr = clear_id(db, obj, local_props_normalize_tag(v->ulPropTag))))
		return hr;
	if (FAILED(hr = encode_value(db, obj, v, &sv)))
		return hr;
	hr = insert_stored(db, obj, &sv, 1);
	if (stored)
		*stored = sv.size;
	stored_free(&sv);
	return hr;
}

HRESULT local_props_write_stream(local_db *db, uint64_t obj, ULONG tag, int fd, uint64_t size)
{
	sqlite3_stmt *st;
	HRESULT hr;
	BYTE *buf;
	uint64_t seq = 0, done = 0;
	static const char ins[] = "INSERT INTO chunks(obj, tag, seq, data) VALUES (?1, ?2, ?3, ?4)";

	tag = local_props_normalize_tag(tag);
	if (FAILED(hr = clear_id(db, obj, tag)))
		return hr;
	if (!(buf = malloc(LOCAL_CHUNK_SIZE)))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "writing a stream: out of memory");
	if (lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return mapix_error(MAPI_E_DISK_ERROR, "writing a stream: %s", strerror(errno));
	}
	while (done < size) {
		size_t want = size - done < LOCAL_CHUNK_SIZE ? (size_t)(size - done) : LOCAL_CHUNK_SIZE;
		size_t got = 0;
		while (got < want) {
			ssize_t n = read(fd, buf + got, want - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				free(buf);
				return mapix_error(MAPI_E_DISK_ERROR, "writing a stream: temporary file: %s",
				                   n < 0 ? strerror(errno) : "short read");
			}
			got += (size_t)n;
		}
		if (FAILED(hr = local_db_prepare(db, ins, &st)))
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		sqlite3_bind_int64(st, 2, tag);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)seq++);
		sqlite3_bind_blob(st, 4, buf, (int)got, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			hr = local_db_error(db, rc, "writing a large value");
			break;
		}
		done += got;
	}
	free(buf);
	if (FAILED(hr))
		return hr;
	/* Small streams are kept inline like any other value. */
	if (size < LOCAL_LARGE_VALUE) {
		/* Re-read the single chunk into an inline value. */
		static const char mv[] =
		    "INSERT INTO props(obj, tag, value, size) SELECT obj, tag, "
		    "CASE WHEN (?2 & 0xFFFF) = 31 THEN CAST(coalesce(data, x'') AS TEXT) ELSE coalesce(data, x'') END, ?3 "
		    "FROM (SELECT ?1 AS obj, ?2 AS tag, (SELECT data FROM chunks WHERE obj = ?1 AND tag = ?2 AND seq = 0) AS data)";
		static const char del[] = "DELETE FROM chunks WHERE obj = ?1 AND tag = ?2";
		if (FAILED(hr = local_db_prepare(db, mv, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		sqlite3_bind_int64(st, 2, tag);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "writing a property");
		if (FAILED(hr = local_db_prepare(db, del, &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		sqlite3_bind_int64(st, 2, tag);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "writing a property");
	}
	if (FAILED(hr = insert_row(db, obj, tag, &st)))
		return hr;
	sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? S_OK : local_db_error(db, rc, "writing a property");
}

/* Reads a chunked value whole (only for internal copies and allow_large). */
static HRESULT read_chunks(local_db *db, uint64_t obj, ULONG tag, uint64_t size, LPVOID lpParent, BYTE **out)
{
	static const char sel[] = "SELECT data FROM chunks WHERE obj = ?1 AND tag = ?2 ORDER BY seq";
	sqlite3_stmt *st;
	HRESULT hr;
	BYTE *p;
	uint64_t off = 0;

	if (size > 0x7FFFFFF0)
		return mapix_error(MAPI_E_TOO_BIG, "property 0x%08X is too large to read whole", (unsigned)tag);
	if (FAILED(hr = MAPIAllocateMore((ULONG)size + 2, lpParent, (LPVOID *)&p)))
		return hr;
	if (FAILED(hr = local_db_prepare(db, sel, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
	sqlite3_bind_int64(st, 2, tag);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_bytes(st, 0);
		if (off + (uint64_t)n > size) {
			sqlite3_reset(st);
			return local_db_error(db, SQLITE_CORRUPT, "reading a large value");
		}
		memcpy(p + off, sqlite3_column_blob(st, 0), (size_t)n);
		off += (uint64_t)n;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return local_db_error(db, rc, "reading a large value");
	if (off != size)
		return local_db_error(db, SQLITE_CORRUPT, "reading a large value (chunks missing)");
	p[size] = 0;
	p[size + 1] = 0;
	*out = p;
	return S_OK;
}

/* Builds a string or binary value of the wanted type from UTF-8/bytes. */
static HRESULT value_from_bytes(ULONG want_type, ULONG stored_tag, const BYTE *data, uint64_t len, LPVOID lpParent,
                                LPSPropValue out)
{
	HRESULT hr;
	if (PROP_TYPE(stored_tag) == PT_UNICODE) {
		if (want_type == PT_STRING8) {
			char *s;
			if (FAILED(hr = MAPIAllocateMore((ULONG)len + 1, lpParent, (LPVOID *)&s)))
				return hr;
			memcpy(s, data, (size_t)len);
			s[len] = '\0';
			out->ulPropTag = CHANGE_PROP_TYPE(stored_tag, PT_STRING8);
			out->Value.lpszA = s;
			return S_OK;
		}
		/* A UTF-16 string has at most as many units as its UTF-8 form has
		 * bytes, so an inline value converts in one pass into a buffer of
		 * that size; a large one is measured first so as not to double it. */
		size_t need = len < LOCAL_LARGE_VALUE ? (size_t)len
		                                      : mapix_utf8_to_utf16_buf((const char *)data, (size_t)len, NULL, 0);
		WCHAR *w;
		if (FAILED(hr = MAPIAllocateMore((ULONG)((need + 1) * sizeof(WCHAR)), lpParent, (LPVOID *)&w)))
			return hr;
		mapix_utf8_to_utf16_buf((const char *)data, (size_t)len, w, need + 1);
		out->ulPropTag = stored_tag;
		out->Value.lpszW = w;
		return S_OK;
	}
	BYTE *b = NULL;
	if (len) {
		if (FAILED(hr = MAPIAllocateMore((ULONG)len, lpParent, (LPVOID *)&b)))
			return hr;
		memcpy(b, data, (size_t)len);
	}
	out->ulPropTag = stored_tag;
	out->Value.bin.cb = (ULONG)len;
	out->Value.bin.lpb = b;
	return S_OK;
}

/* Fills *row from the current row of a statement returning (tag, value,
 * size) from column `first` on. Text and blob bytes point into the
 * statement (valid until it steps or resets). Values are taken with the
 * getter the stored tag's type calls for, whatever SQLite type holds them,
 * so every reader sees the same value. */
void local_stored_from_stmt(sqlite3_stmt *st, int first, local_stored *row)
{
	memset(row, 0, sizeof *row);
	row->tag = (ULONG)sqlite3_column_int64(st, first);
	row->size = (uint64_t)sqlite3_column_int64(st, first + 2);
	if (sqlite3_column_type(st, first + 1) == SQLITE_NULL) {
		row->type = SQLITE_NULL;
		return;
	}
	switch (PROP_TYPE(row->tag)) {
	case PT_R4:
	case PT_DOUBLE:
	case PT_APPTIME:
		row->type = SQLITE_FLOAT;
		row->d = sqlite3_column_double(st, first + 1);
		break;
	case PT_I2:
	case PT_LONG:
	case PT_BOOLEAN:
	case PT_ERROR:
	case PT_I8:
	case PT_CURRENCY:
	case PT_SYSTIME:
		row->type = SQLITE_INTEGER;
		row->i = sqlite3_column_int64(st, first + 1);
		break;
	case PT_UNICODE:
		row->type = SQLITE_TEXT;
		row->p = sqlite3_column_text(st, first + 1);
		row->n = sqlite3_column_bytes(st, first + 1);
		break;
	default:
		row->type = SQLITE_BLOB;
		row->p = sqlite3_column_blob(st, first + 1);
		row->n = sqlite3_column_bytes(st, first + 1);
		break;
	}
}

HRESULT local_props_decode(local_db *db, uint64_t obj, const local_stored *row, ULONG want_tag, LPVOID lpParent,
                           LPSPropValue out, BOOL allow_large)
{
	HRESULT hr;
	ULONG want_type = PROP_TYPE(want_tag) & ~(ULONG)MV_INSTANCE;
	ULONG norm = local_props_normalize_tag(want_tag);
	ULONG stored = row->tag;
	uint64_t size = row->size;

	if (want_type != PT_UNSPECIFIED && PROP_TYPE(stored) != PROP_TYPE(norm))
		return MAPI_E_NOT_FOUND;
	if (want_type == PT_UNSPECIFIED)
		want_type = PROP_TYPE(stored);
	memset(out, 0, sizeof *out);
	out->ulPropTag = stored;

	if (row->type == SQLITE_NULL) {
		/* A chunked large value. */
		if (!allow_large) {
			out->ulPropTag = CHANGE_PROP_TYPE(stored, PT_ERROR);
			out->Value.err = MAPI_E_NOT_ENOUGH_MEMORY;
			return S_OK;
		}
		BYTE *data = NULL;
		if (FAILED(hr = read_chunks(db, obj, stored, size, lpParent, &data)))
			return hr;
		if (PROP_TYPE(stored) == PT_UNICODE && want_type == PT_STRING8) {
			out->ulPropTag = CHANGE_PROP_TYPE(stored, PT_STRING8);
			out->Value.lpszA = (char *)data;
			return S_OK;
		}
		return value_from_bytes(want_type, stored, data, size, lpParent, out);
	}

	switch (PROP_TYPE(stored)) {
	case PT_I2:
		out->Value.i = (short)(int)row->i;
		break;
	case PT_LONG:
		out->Value.l = (LONG)row->i;
		break;
	case PT_BOOLEAN:
		out->Value.b = (int)row->i ? 1 : 0;
		break;
	case PT_ERROR:
		out->Value.err = (SCODE)row->i;
		break;
	case PT_I8:
		out->Value.li.QuadPart = row->i;
		break;
	case PT_CURRENCY:
		out->Value.cur.int64 = row->i;
		break;
	case PT_SYSTIME:
		out->Value.ft = mapix_filetime_from_u64((uint64_t)row->i);
		break;
	case PT_R4:
		out->Value.flt = (float)row->d;
		break;
	case PT_DOUBLE:
		out->Value.dbl = row->d;
		break;
	case PT_APPTIME:
		out->Value.at = row->d;
		break;
	case PT_UNICODE:
	case PT_BINARY:
	case PT_SVREID:
		return value_from_bytes(want_type, stored, row->p, (uint64_t)row->n, lpParent, out);
	case PT_CLSID:
		if (row->n != (int)sizeof(GUID))
			return local_db_error(db, SQLITE_CORRUPT, "reading a GUID property");
		if (FAILED(hr = MAPIAllocateMore(sizeof(GUID), lpParent, (LPVOID *)&out->Value.lpguid)))
			return hr;
		memcpy(out->Value.lpguid, row->p, sizeof(GUID));
		break;
	default: {
		/* Wire-encoded: multi-valued types and PT_SRESTRICT. */
		MAPIXWIRECURSOR cur;
		mapix_wire_cursor_init(&cur, row->p, (size_t)row->n);
		hr = mapix_wire_get_propval(&cur, lpParent, out);
		if (SUCCEEDED(hr))
			hr = mapix_wire_get_end(&cur);
		if (FAILED(hr))
			return local_db_error(db, SQLITE_CORRUPT, "decoding a stored multi-valued property");
		if (out->ulPropTag != stored)
			return local_db_error(db, SQLITE_CORRUPT, "stored property tag mismatch");
		if (want_type == PT_MV_STRING8 && PROP_TYPE(stored) == PT_MV_UNICODE)
			return mv_unicode_to_string8(out, lpParent);
		return S_OK;
	}
	}
	return S_OK;
}

HRESULT local_props_read(local_db *db, uint64_t obj, ULONG want_tag, LPVOID lpParent, LPSPropValue out,
                         BOOL allow_large)
{
	static const char sel[] = "SELECT tag, value, size FROM props WHERE obj = ?1 AND tag BETWEEN ?2 AND ?3";
	sqlite3_stmt *st;
	local_stored row;
	HRESULT hr;

	if (FAILED(hr = local_db_prepare(db, sel, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
	sqlite3_bind_int64(st, 2, PROP_TAG(0, PROP_ID(want_tag)));
	sqlite3_bind_int64(st, 3, PROP_TAG(0xFFFF, PROP_ID(want_tag)));
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? MAPI_E_NOT_FOUND : local_db_error(db, rc, "reading a property");
	}
	local_stored_from_stmt(st, 0, &row);
	if (row.type == SQLITE_NULL) {
		/* Chunks are read by another statement: this one is done. */
		sqlite3_reset(st);
		return local_props_decode(db, obj, &row, want_tag, lpParent, out, allow_large);
	}
	/* The row's bytes live in the statement until it resets. */
	hr = local_props_decode(db, obj, &row, want_tag, lpParent, out, allow_large);
	sqlite3_reset(st);
	return hr;
}

HRESULT local_props_list(local_db *db, uint64_t obj, ULONG **tags, ULONG *count)
{
	static const char sel[] = "SELECT tag FROM props WHERE obj = ?1 ORDER BY tag";
	sqlite3_stmt *st;
	HRESULT hr;
	ULONG n = 0, cap = 16;
	ULONG *arr = malloc(cap * sizeof *arr);

	if (!arr)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "listing properties: out of memory");
	if (FAILED(hr = local_db_prepare(db, sel, &st))) {
		free(arr);
		return hr;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			ULONG *bigger = realloc(arr, (cap *= 2) * sizeof *arr);
			if (!bigger) {
				sqlite3_reset(st);
				free(arr);
				return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "listing properties: out of memory");
			}
			arr = bigger;
		}
		arr[n++] = (ULONG)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(arr);
		return local_db_error(db, rc, "listing properties");
	}
	*tags = arr;
	*count = n;
	return S_OK;
}

HRESULT local_props_delete_all(local_db *db, uint64_t obj)
{
	static const char d1[] = "DELETE FROM props WHERE obj = ?1";
	static const char d2[] = "DELETE FROM chunks WHERE obj = ?1";
	const char *sqls[2] = {d1, d2};
	sqlite3_stmt *st;
	HRESULT hr;
	for (int i = 0; i < 2; i++) {
		if (FAILED(hr = local_db_prepare(db, sqls[i], &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "deleting properties");
	}
	return S_OK;
}

HRESULT local_props_copy_all(local_db *db, uint64_t src, uint64_t dst)
{
	static const char c1[] = "INSERT OR REPLACE INTO props(obj, tag, value, size) SELECT ?2, tag, value, size FROM props WHERE obj = ?1";
	static const char c2[] = "INSERT OR REPLACE INTO chunks(obj, tag, seq, data) SELECT ?2, tag, seq, data FROM chunks WHERE obj = ?1";
	const char *sqls[2] = {c1, c2};
	sqlite3_stmt *st;
	HRESULT hr;
	for (int i = 0; i < 2; i++) {
		if (FAILED(hr = local_db_prepare(db, sqls[i], &st)))
			return hr;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)src);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)dst);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return local_db_error(db, rc, "copying properties");
	}
	return S_OK;
}

HRESULT local_props_total_size(local_db *db, uint64_t obj, uint64_t *size)
{
	static const char sel[] = "SELECT coalesce(sum(size), 0) FROM props WHERE obj = ?1";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)obj);
	int rc = sqlite3_step(st);
	*size = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? S_OK : local_db_error(db, rc, "summing property sizes");
}
