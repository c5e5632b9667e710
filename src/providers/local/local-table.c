/*
 * local-table.c — basic folder tables (hierarchy and contents) for the
 * local store, built as snapshot views over ITableData: each row holds the
 * object's properties as GetProps(NULL) reports them, with long strings
 * and binaries truncated to LOCAL_TABLE_TRUNCATE as MS-OXCDATA describes
 * for tables. (Part 2 of the store replaces these with SQL-backed tables
 * that page through indexes.)
 */
#include <string.h>

#include "core/error.h"
#include "local.h"
#include "local-table.h"

static const SizedSPropTagArray(1, no_columns) = {1, {PR_INSTANCE_KEY}};

HRESULT local_table_new(const SPropTagArray *columns, LPTABLEDATA *out)
{
	return CreateTable(&IID_IMAPITableData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL,
	                   TBLTYPE_SNAPSHOT, PR_INSTANCE_KEY,
	                   (LPSPropTagArray)(columns ? columns : (const SPropTagArray *)&no_columns), out);
}

/* Truncates one table value in place (the value lives in `root`). */
static HRESULT truncate_value(LPSPropValue v, LPVOID root)
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
		if (FAILED(hr = truncate_value(&row[i], row)))
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
