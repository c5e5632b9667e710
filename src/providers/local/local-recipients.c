/*
 * local-recipients.c — the recipients of a local-store message:
 * ModifyRecipients and GetRecipientTable on the staged set, and the
 * database side (recipient rows, each with an object id from the global
 * counter under which its properties live in props).
 *
 * The set is loaded whole on first use and staged as a whole once
 * modified: SaveChanges deletes the stored rows and writes the set again
 * (new object ids, the same PR_ROWIDs). PR_ROWID is kept as the row's
 * row_num, never as a property. Strings are kept as PT_UNICODE and handed
 * out in the width the caller asks for.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-message.h"
#include "local-propset.h"
#include "local-table.h"

#define MSG(This) ((local_object *)(This))

/* ---- values -------------------------------------------------------------------------- */

/* Copies a value into root, giving strings the wanted width (PT_UNICODE or
 * PT_STRING8). */
static HRESULT convert_value(const SPropValue *in, ULONG width, LPVOID root, LPSPropValue out)
{
	ULONG t = PROP_TYPE(in->ulPropTag);
	HRESULT hr;
	BOOL to_w = width == PT_UNICODE;
	if ((t == PT_STRING8 && to_w) || (t == PT_UNICODE && !to_w)) {
		out->ulPropTag = CHANGE_PROP_TYPE(in->ulPropTag, width);
		out->dwAlignPad = 0;
		return to_w ? mapix_utf8_to_utf16(in->Value.lpszA ? in->Value.lpszA : "", root, &out->Value.lpszW)
		            : mapix_utf16_to_utf8(in->Value.lpszW ? in->Value.lpszW : u"", root, &out->Value.lpszA);
	}
	if ((t == PT_MV_STRING8 && to_w) || (t == PT_MV_UNICODE && !to_w)) {
		ULONG n = in->Value.MVszA.cValues;
		void **arr = NULL;
		if (n && FAILED(hr = MAPIAllocateMore(n * (ULONG)sizeof(void *), root, (LPVOID *)&arr)))
			return hr;
		for (ULONG i = 0; i < n; i++) {
			hr = to_w ? mapix_utf8_to_utf16(in->Value.MVszA.lppszA[i] ? in->Value.MVszA.lppszA[i] : "", root,
			                                (LPWSTR *)&arr[i])
			          : mapix_utf16_to_utf8(in->Value.MVszW.lppszW[i] ? in->Value.MVszW.lppszW[i] : u"", root,
			                                (LPSTR *)&arr[i]);
			if (FAILED(hr))
				return hr;
		}
		out->ulPropTag = CHANGE_PROP_TYPE(in->ulPropTag, to_w ? PT_MV_UNICODE : PT_MV_STRING8);
		out->dwAlignPad = 0;
		out->Value.MVszA.cValues = n;
		out->Value.MVszA.lppszA = (LPSTR *)arr;
		return S_OK;
	}
	return PropCopyMore(out, (LPSPropValue)in, MAPIAllocateMore, root);
}

/* Whether a value is kept as a recipient property. */
static BOOL keep_value(ULONG tag)
{
	ULONG t = PROP_TYPE(tag);
	if (t == PT_ERROR || t == PT_NULL || t == PT_OBJECT || t == PT_UNSPECIFIED)
		return FALSE;
	return PROP_ID(tag) != PROP_ID(PR_ROWID) && PROP_ID(tag) != PROP_ID(PR_INSTANCE_KEY) &&
	       PROP_ID(tag) != PROP_ID_NULL;
}

/* A recipient row from caller values: strings as PT_UNICODE, one value per
 * property id (the last wins), no PR_ROWID. */
static HRESULT make_row(ULONG c, const SPropValue *in, ULONG rowid, local_recip *out)
{
	LPSPropValue v;
	HRESULT hr = MAPIAllocateBuffer((c ? c : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&v);
	ULONG m = 0;
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < c; i++) {
		if (!keep_value(in[i].ulPropTag))
			continue;
		ULONG j;
		for (j = 0; j < m; j++)
			if (PROP_ID(v[j].ulPropTag) == PROP_ID(in[i].ulPropTag))
				break;
		if (FAILED(hr = convert_value(&in[i], PT_UNICODE, v, &v[j]))) {
			MAPIFreeBuffer(v);
			return hr;
		}
		v[j].ulPropTag &= ~(ULONG)MV_INSTANCE;
		if (j == m)
			m++;
	}
	out->rowid = rowid;
	out->cValues = m;
	out->props = v;
	return S_OK;
}

static ULONG find_rowid(const SPropValue *v, ULONG c, BOOL *found)
{
	for (ULONG i = 0; i < c; i++)
		if (v[i].ulPropTag == PR_ROWID) {
			*found = TRUE;
			return (ULONG)v[i].Value.l;
		}
	*found = FALSE;
	return 0;
}

/* ---- the staged set ------------------------------------------------------------------------- */

void local_recipset_free(local_recipset *rs)
{
	for (ULONG i = 0; i < rs->n; i++)
		if (rs->rows[i].props)
			MAPIFreeBuffer(rs->rows[i].props);
	free(rs->rows);
	memset(rs, 0, sizeof *rs);
}

static HRESULT reserve(local_recipset *rs, ULONG more)
{
	if (rs->n + more <= rs->cap)
		return S_OK;
	ULONG cap = rs->cap ? rs->cap : 8;
	while (cap < rs->n + more)
		cap *= 2;
	local_recip *bigger = realloc(rs->rows, cap * sizeof *bigger);
	if (!bigger)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "recipients: out of memory");
	rs->rows = bigger;
	rs->cap = cap;
	return S_OK;
}

HRESULT local_recipset_copy(const local_recipset *src, local_recipset *dst)
{
	HRESULT hr;
	memset(dst, 0, sizeof *dst);
	dst->loaded = src->loaded;
	dst->modified = src->modified;
	dst->next_rowid = src->next_rowid;
	if (FAILED(hr = reserve(dst, src->n)))
		return hr;
	for (ULONG i = 0; i < src->n; i++) {
		local_recip *r = &dst->rows[dst->n];
		r->rowid = src->rows[i].rowid;
		r->cValues = src->rows[i].cValues;
		if (FAILED(hr = ScDupPropset((int)r->cValues, src->rows[i].props, MAPIAllocateBuffer, &r->props))) {
			local_recipset_free(dst);
			return hr;
		}
		dst->n++;
	}
	return S_OK;
}

uint64_t local_recipset_size(const local_recipset *rs)
{
	uint64_t total = 0;
	for (ULONG i = 0; i < rs->n; i++)
		for (ULONG j = 0; j < rs->rows[i].cValues; j++)
			total += local_props_value_size(&rs->rows[i].props[j]);
	return total;
}

HRESULT local_recips_load(local_db *db, const local_msgstate *s, local_recipset *rs)
{
	/* Every recipient with its properties in one query (a recipient
	 * without properties comes as one row with a NULL tag). */
	static const char sel[] = "SELECT r.rid, p.tag, p.value, p.size, r.row_num FROM recipients r"
	                          " LEFT JOIN props p ON p.obj = r.rid WHERE r.mid = ?1 ORDER BY r.row_num, r.rid, p.tag";
	local_propgroup *g = NULL;
	size_t n = 0;
	HRESULT hr;

	if (rs->loaded)
		return S_OK;
	if (s->is_new || !s->mid) {
		rs->loaded = TRUE;
		return S_OK;
	}
	if (FAILED(hr = local_db_begin_read(db)))
		return hr;
	if (FAILED(hr = local_propgroups_load(db, sel, s->mid, &g, &n)) || FAILED(hr = reserve(rs, (ULONG)n)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const local_propset *ps = &g[i].set;
		LPSPropValue v = NULL;
		ULONG m = 0;
		hr = MAPIAllocateBuffer((ps->n ? ps->n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&v);
		for (ULONG j = 0; SUCCEEDED(hr) && j < ps->n; j++) {
			hr = local_props_decode(db, g[i].obj, &ps->rows[j], ps->rows[j].tag, v, &v[m], TRUE);
			if (hr == MAPI_E_NOT_FOUND)
				hr = S_OK;
			else if (SUCCEEDED(hr))
				m++;
		}
		if (FAILED(hr)) {
			if (v)
				MAPIFreeBuffer(v);
			goto out;
		}
		local_recip *r = &rs->rows[rs->n++];
		r->rowid = (ULONG)g[i].extra;
		r->cValues = m;
		r->props = v;
		if (r->rowid >= rs->next_rowid)
			rs->next_rowid = r->rowid + 1;
	}
	rs->loaded = TRUE;
out:
	local_db_end_read(db);
	local_propgroups_free(g, n);
	if (FAILED(hr))
		local_recipset_free(rs);
	return hr;
}

/* ---- database ------------------------------------------------------------------------------------ */

HRESULT local_recips_delete_db(local_db *db, uint64_t mid)
{
	static const char sel[] = "SELECT rid FROM recipients WHERE mid = ?1";
	static const char del[] = "DELETE FROM recipients WHERE mid = ?1";
	uint64_t *ids = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	if (FAILED(hr = local_collect_ids(db, st, 1, &ids, &n, "listing recipients")))
		return hr;
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = local_props_delete_all(db, ids[i]);
	free(ids);
	if (FAILED(hr) || FAILED(hr = local_db_prepare(db, del, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)mid);
	return local_step_done(db, st, "deleting recipients");
}

static HRESULT insert_recipient(local_db *db, uint64_t rid, uint64_t mid, ULONG row_num)
{
	static const char ins[] = "INSERT INTO recipients(rid, mid, row_num) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, ins, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)mid);
	sqlite3_bind_int64(st, 3, row_num);
	return local_step_done(db, st, "writing a recipient");
}

HRESULT local_recips_write(local_db *db, uint64_t mid, const local_recipset *rs, BOOL fresh, uint64_t *stored)
{
	uint64_t first = 0, total = 0;
	ULONG nv;
	HRESULT hr = fresh ? S_OK : local_recips_delete_db(db, mid);
	if (SUCCEEDED(hr) && rs->n)
		hr = local_db_next_ids(db, rs->n, &first);
	for (ULONG i = 0; SUCCEEDED(hr) && i < rs->n; i++) {
		const local_recip *r = &rs->rows[i];
		hr = insert_recipient(db, first + i, mid, r->rowid);
		/* Recipient ids are new: nothing to replace. */
		for (ULONG j = 0; SUCCEEDED(hr) && j < r->cValues; j += nv) {
			const SPropValue *vals[16];
			for (nv = 0; nv < 16 && j + nv < r->cValues; nv++)
				vals[nv] = &r->props[j + nv];
			hr = local_props_insert_values(db, first + i, vals, nv, &total);
		}
	}
	if (stored)
		*stored = total;
	return hr;
}

HRESULT local_recips_copy_db(local_db *db, uint64_t src_mid, uint64_t dst_mid)
{
	static const char sel[] = "SELECT rid, row_num FROM recipients WHERE mid = ?1";
	uint64_t *ids = NULL, first = 0;
	size_t n = 0;
	sqlite3_stmt *st;
	HRESULT hr = local_db_prepare(db, sel, &st);
	if (FAILED(hr))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)src_mid);
	if (FAILED(hr = local_collect_ids(db, st, 2, &ids, &n, "listing recipients")))
		return hr;
	if (n)
		hr = local_db_next_ids(db, n, &first);
	for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) {
		hr = insert_recipient(db, first + i, dst_mid, (ULONG)ids[2 * i + 1]);
		if (SUCCEEDED(hr))
			hr = local_props_copy_all(db, ids[2 * i], first + i);
	}
	free(ids);
	return hr;
}

/* ---- IMessage methods -------------------------------------------------------------------------------- */

HRESULT local_message_ModifyRecipients(IMessage *This, ULONG ulFlags, LPADRLIST lpMods)
{
	LOCAL_CHECK_CALLER(This, "local_message_ModifyRecipients");
	local_object *o = MSG(This);
	local_msgstate *s = local_message_state(o);
	local_db *db = o->logon->db;
	local_recip *made = NULL;
	ULONG n_made = 0;
	HRESULT hr;
	const ULONG ops = MODRECIP_ADD | MODRECIP_MODIFY | MODRECIP_REMOVE;

	if (!lpMods)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyRecipients: lpMods is NULL");
	if (ulFlags & ~(ops | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "ModifyRecipients: unknown flags 0x%08X", (unsigned)ulFlags);
	ULONG op = ulFlags & ops;
	if (op & (op - 1))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyRecipients: more than one of ADD, MODIFY, REMOVE");
	if (!(o->access & MAPI_MODIFY))
		return mapix_error(MAPI_E_NO_ACCESS, "ModifyRecipients: the message was opened read-only");
	for (ULONG i = 0; i < lpMods->cEntries; i++)
		if (lpMods->aEntries[i].cValues && !lpMods->aEntries[i].rgPropVals)
			return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyRecipients: entry %u has no values", (unsigned)i);

	local_db_lock(db);
	local_recipset *rs = &s->recips;
	if (FAILED(hr = local_recips_load(db, s, rs)))
		goto out;
	/* Check everything and build the new rows first, so a failure leaves
	 * the set as it was. */
	if (op == MODRECIP_MODIFY || op == MODRECIP_REMOVE) {
		for (ULONG i = 0; i < lpMods->cEntries; i++) {
			BOOL found;
			ULONG rowid = find_rowid(lpMods->aEntries[i].rgPropVals, lpMods->aEntries[i].cValues, &found);
			ULONG j;
			if (!found) {
				hr = mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyRecipients: entry %u has no PR_ROWID", (unsigned)i);
				goto out;
			}
			for (j = 0; j < rs->n && rs->rows[j].rowid != rowid; j++)
				;
			if (j == rs->n) {
				hr = mapix_error(MAPI_E_NOT_FOUND, "ModifyRecipients: no recipient with PR_ROWID %u",
				                 (unsigned)rowid);
				goto out;
			}
		}
	}
	if (op != MODRECIP_REMOVE) {
		if (lpMods->cEntries && !(made = calloc(lpMods->cEntries, sizeof *made))) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyRecipients: out of memory");
			goto out;
		}
		for (ULONG i = 0; i < lpMods->cEntries; i++) {
			BOOL found;
			ULONG rowid = op == MODRECIP_MODIFY
			                  ? find_rowid(lpMods->aEntries[i].rgPropVals, lpMods->aEntries[i].cValues, &found)
			                  : rs->next_rowid + i;
			if (FAILED(hr = make_row(lpMods->aEntries[i].cValues, lpMods->aEntries[i].rgPropVals, rowid,
			                         &made[n_made])))
				goto out;
			n_made++;
		}
		if (FAILED(hr = reserve(rs, n_made)))
			goto out;
	}
	switch (op) {
	case 0:
		for (ULONG i = 0; i < rs->n; i++)
			MAPIFreeBuffer(rs->rows[i].props);
		rs->n = 0;
		/* fall through */
	case MODRECIP_ADD:
		for (ULONG i = 0; i < n_made; i++)
			rs->rows[rs->n++] = made[i];
		rs->next_rowid += n_made;
		n_made = 0;
		break;
	case MODRECIP_MODIFY:
		for (ULONG i = 0; i < n_made; i++) {
			for (ULONG j = 0; j < rs->n; j++) {
				if (rs->rows[j].rowid == made[i].rowid) {
					MAPIFreeBuffer(rs->rows[j].props);
					rs->rows[j] = made[i];
					made[i].props = NULL;
					break;
				}
			}
			if (made[i].props) /* the same PR_ROWID twice: the first copy won */
				MAPIFreeBuffer(made[i].props);
		}
		n_made = 0;
		break;
	case MODRECIP_REMOVE:
		for (ULONG i = 0; i < lpMods->cEntries; i++) {
			BOOL found;
			ULONG rowid = find_rowid(lpMods->aEntries[i].rgPropVals, lpMods->aEntries[i].cValues, &found);
			for (ULONG j = 0; j < rs->n; j++) {
				if (rs->rows[j].rowid == rowid) {
					MAPIFreeBuffer(rs->rows[j].props);
					memmove(&rs->rows[j], &rs->rows[j + 1], (rs->n - j - 1) * sizeof *rs->rows);
					rs->n--;
					break;
				}
			}
		}
		break;
	}
	rs->modified = TRUE;
	hr = S_OK;
out:
	local_db_unlock(db);
	for (ULONG i = 0; i < n_made; i++)
		if (made[i].props)
			MAPIFreeBuffer(made[i].props);
	free(made);
	return hr;
}

HRESULT local_message_GetRecipientTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	LOCAL_CHECK_CALLER(This, "local_message_GetRecipientTable");
	static const SizedSPropTagArray(7, cols_w) = {
		7, {PR_ROWID, PR_DISPLAY_NAME_W, PR_EMAIL_ADDRESS_W, PR_ADDRTYPE_W, PR_RECIPIENT_TYPE, PR_ENTRYID,
		    PR_INSTANCE_KEY}};
	static const SizedSPropTagArray(7, cols_a) = {
		7, {PR_ROWID, PR_DISPLAY_NAME_A, PR_EMAIL_ADDRESS_A, PR_ADDRTYPE_A, PR_RECIPIENT_TYPE, PR_ENTRYID,
		    PR_INSTANCE_KEY}};
	local_object *o = MSG(This);
	local_msgstate *s = local_message_state(o);
	local_db *db = o->logon->db;
	LPTABLEDATA td = NULL;
	HRESULT hr;

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetRecipientTable: lppTable is NULL");
	if (ulFlags & ~(MAPI_UNICODE | MAPI_DEFERRED_ERRORS))
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetRecipientTable: unknown flags 0x%08X", (unsigned)ulFlags);
	BOOL wide = (ulFlags & MAPI_UNICODE) != 0;
	if (FAILED(hr = local_table_new(wide ? (const SPropTagArray *)&cols_w : (const SPropTagArray *)&cols_a, &td)))
		return hr;
	local_db_lock(db);
	hr = local_recips_load(db, s, &s->recips);
	for (ULONG i = 0; SUCCEEDED(hr) && i < s->recips.n; i++) {
		const local_recip *r = &s->recips.rows[i];
		LPSPropValue row;
		if (FAILED(hr = MAPIAllocateBuffer((r->cValues + 2) * (ULONG)sizeof(SPropValue), (LPVOID *)&row)))
			break;
		ULONG m = 0;
		for (ULONG j = 0; SUCCEEDED(hr) && j < r->cValues; j++)
			hr = convert_value(&r->props[j], wide ? PT_UNICODE : PT_STRING8, row, &row[m++]);
		if (SUCCEEDED(hr)) {
			row[m].ulPropTag = PR_ROWID;
			row[m].dwAlignPad = 0;
			row[m++].Value.l = (LONG)r->rowid;
			hr = local_binary_value(&row[m++], PR_INSTANCE_KEY, &r->rowid, sizeof r->rowid, row);
		}
		if (SUCCEEDED(hr)) {
			SRow srow = {0, m, row};
			hr = ITableData_HrModifyRow(td, &srow);
		}
		MAPIFreeBuffer(row);
	}
	local_db_unlock(db);
	if (FAILED(hr)) {
		ITableData_Release(td);
		return hr;
	}
	return local_table_view(td, lppTable);
}

HRESULT local_recips_copy_to(local_object *src, LPMESSAGE dest, ULONG ulFlags)
{
	local_msgstate *s = local_message_state(src);
	local_db *db = src->logon->db;
	LPADRLIST list = NULL;
	HRESULT hr;

	local_db_lock(db);
	hr = local_recips_load(db, s, &s->recips);
	if (SUCCEEDED(hr))
		hr = MAPIAllocateBuffer((ULONG)CbNewADRLIST(s->recips.n ? s->recips.n : 1), (LPVOID *)&list);
	if (SUCCEEDED(hr)) {
		list->cEntries = 0;
		for (ULONG i = 0; SUCCEEDED(hr) && i < s->recips.n; i++) {
			ADRENTRY *e = &list->aEntries[i];
			e->ulReserved1 = 0;
			e->cValues = s->recips.rows[i].cValues;
			hr = ScDupPropset((int)e->cValues, s->recips.rows[i].props, MAPIAllocateBuffer, &e->rgPropVals);
			if (SUCCEEDED(hr))
				list->cEntries++;
		}
	}
	local_db_unlock(db);
	if (SUCCEEDED(hr) && (list->cEntries || !(ulFlags & MAPI_NOREPLACE)))
		hr = IMessage_ModifyRecipients(dest, (ulFlags & MAPI_NOREPLACE) ? MODRECIP_ADD : 0, list);
	if (list)
		FreePadrlist(list);
	return hr;
}
