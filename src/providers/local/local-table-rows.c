/*
 * local-table-rows.c — the rows a contents table returns: the table's
 * columns read for one message (computed values through the message
 * object, stored ones from the props table), long strings and binaries
 * cut to LOCAL_TABLE_TRUNCATE as MS-OXCDATA says tables do (a large value
 * kept in chunks gives its first piece, cut the same way), plus the
 * table's own columns: PR_INSTANCE_KEY, PR_ROW_TYPE, PR_DEPTH and the
 * value of an expanded multi-valued (MV_INSTANCE) column.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-table.h"

void local_rows_instance_key(uint64_t mid, LONG inst, BYTE out[12], ULONG *cb)
{
	for (int i = 0; i < 8; i++)
		out[i] = (BYTE)(mid >> (8 * i));
	*cb = 8;
	if (inst >= 0) {
		ULONG u = (ULONG)inst;
		for (int i = 0; i < 4; i++)
			out[8 + i] = (BYTE)(u >> (8 * i));
		*cb = 12;
	}
}

/* Element i of a multi-valued value as a single value of the base type
 * (shares the array's memory). */
static BOOL mv_element(const SPropValue *v, ULONG i, SPropValue *out)
{
	ULONG t = PROP_TYPE(v->ulPropTag) & ~(ULONG)MVI_FLAG;
	if (i >= v->Value.MVi.cValues)
		return FALSE;
	memset(out, 0, sizeof *out);
	out->ulPropTag = PROP_TAG(t, PROP_ID(v->ulPropTag));
	switch (t) {
	case PT_I2: out->Value.i = v->Value.MVi.lpi[i]; break;
	case PT_LONG: out->Value.l = v->Value.MVl.lpl[i]; break;
	case PT_R4: out->Value.flt = v->Value.MVflt.lpflt[i]; break;
	case PT_DOUBLE: out->Value.dbl = v->Value.MVdbl.lpdbl[i]; break;
	case PT_CURRENCY: out->Value.cur = v->Value.MVcur.lpcur[i]; break;
	case PT_APPTIME: out->Value.at = v->Value.MVat.lpat[i]; break;
	case PT_SYSTIME: out->Value.ft = v->Value.MVft.lpft[i]; break;
	case PT_STRING8: out->Value.lpszA = v->Value.MVszA.lppszA[i]; break;
	case PT_UNICODE: out->Value.lpszW = v->Value.MVszW.lppszW[i]; break;
	case PT_BINARY: out->Value.bin = v->Value.MVbin.lpbin[i]; break;
	case PT_CLSID: out->Value.lpguid = &v->Value.MVguid.lpguid[i]; break;
	case PT_I8: out->Value.li = v->Value.MVli.lpli[i]; break;
	default: return FALSE;
	}
	return TRUE;
}

HRESULT local_rows_instance_value(local_db *db, uint64_t mid, ULONG tag, LONG inst, LPVOID root, LPSPropValue out,
                                  BOOL *found)
{
	SPropValue mv;
	*found = FALSE;
	if (inst < 0)
		return S_OK;
	ULONG mvtag = PROP_TAG((PROP_TYPE(tag) & ~(ULONG)MV_INSTANCE) | MV_FLAG, PROP_ID(tag));
	HRESULT hr = local_props_read(db, mid, mvtag, root, &mv, TRUE);
	if (hr == MAPI_E_NOT_FOUND) {
		mapix_error_clear();
		return S_OK;
	}
	if (FAILED(hr))
		return hr;
	if (PROP_TYPE(mv.ulPropTag) & MV_FLAG && mv_element(&mv, (ULONG)inst, out))
		*found = TRUE;
	return S_OK;
}

/* The first piece of a value kept in chunks, cut to the table limit, in
 * the type of `tag` (PT_STRING8, PT_UNICODE or PT_BINARY). */
static HRESULT large_prefix(local_db *db, uint64_t mid, ULONG tag, LPVOID root, LPSPropValue out)
{
	static const char sel[] = "SELECT substr(data, 1, 1024) FROM chunks WHERE obj = ?1 AND tag = ?2 AND seq = 0";
	ULONG norm = local_props_normalize_tag(tag);
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 2, norm);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? MAPI_E_NOT_FOUND : local_db_error(db, rc, "reading a large value");
	}
	int n = sqlite3_column_bytes(st, 0);
	const void *p = sqlite3_column_blob(st, 0);
	char *copy;
	if (FAILED(hr = MAPIAllocateMore((ULONG)n + 1, root, (LPVOID *)&copy))) {
		sqlite3_reset(st);
		return hr;
	}
	if (n)
		memcpy(copy, p, (size_t)n);
	copy[n] = 0;
	sqlite3_reset(st);
	out->dwAlignPad = 0;
	if (PROP_TYPE(tag) == PT_BINARY) {
		out->ulPropTag = tag;
		out->Value.bin.cb = (ULONG)n;
		out->Value.bin.lpb = (LPBYTE)copy;
	} else {
		/* Keep whole UTF-8 sequences at the cut. */
		size_t len = (size_t)n;
		while (len > 0 && ((BYTE)copy[len - 1] & 0xC0) == 0x80)
			len--;
		if (len > 0 && (BYTE)copy[len - 1] >= 0xC0)
			len--;
		if (len < (size_t)n && n < 1024)
			len = (size_t)n; /* the whole value was read */
		copy[len] = 0;
		if (PROP_TYPE(tag) == PT_UNICODE) {
			out->ulPropTag = tag;
			if (FAILED(hr = mapix_utf8_to_utf16(copy, root, &out->Value.lpszW)))
				return hr;
		} else {
			out->ulPropTag = CHANGE_PROP_TYPE(tag, PT_STRING8);
			out->Value.lpszA = copy;
		}
	}
	return local_table_truncate(out, root);
}

HRESULT local_rows_make(local_table *t, uint64_t mid, LONG inst, LPSPropValue *lppProps)
{
	local_logon *logon = t->logon;
	ULONG n = t->cols->cValues;
	LPSPropValue row;
	local_object *msg = NULL;
	HRESULT hr;

	*lppProps = NULL;
	if (FAILED(hr = MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&row)))
		return hr;
	memset(row, 0, (n ? n : 1) * sizeof(SPropValue));
	for (ULONG i = 0; i < n; i++) {
		ULONG tag = t->cols->aulPropTag[i];
		LPSPropValue v = &row[i];
		v->ulPropTag = tag;
		switch (tag) {
		case PR_INSTANCE_KEY: {
			BYTE key[12];
			ULONG cb;
			local_rows_instance_key(mid, inst, key, &cb);
			if (FAILED(hr = local_binary_value(v, tag, key, cb, row)))
				goto fail;
			continue;
		}
		case PR_ROW_TYPE:
			v->Value.l = TBL_LEAF_ROW;
			continue;
		case PR_DEPTH:
			v->Value.l = (LONG)t->sort->cCategories;
			continue;
		}
		if ((PROP_TYPE(tag) & MVI_FLAG) == MVI_FLAG) {
			BOOL found;
			if (FAILED(hr = local_rows_instance_value(logon->db, mid, tag, inst, row, v, &found)))
				goto fail;
			if (found) {
				v->ulPropTag = tag;
				if (FAILED(hr = local_table_truncate(v, row)))
					goto fail;
			} else {
				v->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
				v->Value.err = MAPI_E_NOT_FOUND;
			}
			continue;
		}
		hr = local_table_read_prop(logon, mid, &msg, tag, row, v, FALSE);
		if (hr == MAPI_E_NOT_FOUND) {
			mapix_error_clear();
			v->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
			v->Value.err = MAPI_E_NOT_FOUND;
			continue;
		}
		if (FAILED(hr))
			goto fail;
		ULONG want = PROP_TYPE(tag);
		if (PROP_TYPE(v->ulPropTag) == PT_ERROR && v->Value.err == MAPI_E_NOT_ENOUGH_MEMORY &&
		    (want == PT_STRING8 || want == PT_UNICODE || want == PT_BINARY)) {
			hr = large_prefix(logon->db, mid, tag, row, v);
			if (hr == MAPI_E_NOT_FOUND) {
				v->ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
				v->Value.err = MAPI_E_NOT_FOUND;
				hr = S_OK;
			}
			if (FAILED(hr))
				goto fail;
			continue;
		}
		if (want == PT_UNSPECIFIED && PROP_TYPE(v->ulPropTag) == PT_UNICODE && !(t->flags & MAPI_UNICODE)) {
			LPSTR a;
			if (FAILED(hr = mapix_utf16_to_utf8(v->Value.lpszW, row, &a)))
				goto fail;
			v->ulPropTag = CHANGE_PROP_TYPE(v->ulPropTag, PT_STRING8);
			v->Value.lpszA = a;
		}
		if (FAILED(hr = local_table_truncate(v, row)))
			goto fail;
	}
	if (msg)
		local_prop_Release(msg);
	*lppProps = row;
	return S_OK;
fail:
	if (msg)
		local_prop_Release(msg);
	MAPIFreeBuffer(row);
	return hr;
}
