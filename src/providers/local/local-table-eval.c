/*
 * local-table-eval.c — the C side of contents-table restrictions: the part
 * local_restrict_compile could not push into SQL is evaluated here, on a
 * row holding exactly the properties the restriction reads (whole values,
 * large ones included, as the SQL side reads them), with recipients and
 * attachments handed to the evaluator as sub-object rows. The evaluator is
 * the one of mapixrestrict.h, so both sides mean the same thing.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "local-table.h"

static BOOL is_computed(const local_object *m, ULONG tag)
{
	for (ULONG i = 0; i < m->ops->n_computed_tags; i++)
		if (PROP_ID(m->ops->computed_tags[i]) == PROP_ID(tag))
			return TRUE;
	return FALSE;
}

HRESULT local_table_read_prop(local_logon *logon, uint64_t mid, local_object **msg, ULONG tag, LPVOID root,
                              LPSPropValue out, BOOL whole)
{
	HRESULT hr;
	tag &= ~(ULONG)MV_INSTANCE;
	if (!*msg && FAILED(hr = local_message_open(logon, 0, mid, 0, msg)))
		return hr;
	local_object *m = *msg;
	if (is_computed(m, tag) && m->ops->computed) {
		hr = m->ops->computed(m, tag, root, out);
		if (hr != MAPI_E_NOT_FOUND) {
			if (SUCCEEDED(hr) && PROP_TYPE(tag) != PT_UNSPECIFIED && PROP_TYPE(out->ulPropTag) != PROP_TYPE(tag) &&
			    PROP_TYPE(out->ulPropTag) != PT_ERROR)
				return MAPI_E_NOT_FOUND; /* another type under that ID */
			return hr;
		}
	}
	return local_props_read(logon->db, mid, tag, root, out, whole);
}

/* Reads tags of object obj into row[] (missing ones as PT_ERROR). */
static HRESULT read_object(local_db *db, uint64_t obj, const ULONG *tags, ULONG n, LPVOID root, LPSPropValue row)
{
	for (ULONG i = 0; i < n; i++) {
		HRESULT hr = local_props_read(db, obj, tags[i], root, &row[i], TRUE);
		if (hr == MAPI_E_NOT_FOUND) {
			row[i].ulPropTag = CHANGE_PROP_TYPE(tags[i], PT_ERROR);
			row[i].Value.err = MAPI_E_NOT_FOUND;
			mapix_error_clear();
		} else if (FAILED(hr)) {
			return hr;
		}
	}
	return S_OK;
}

typedef struct sub_ctx {
	local_logon *logon;
	const local_compiled *c;
	uint64_t mid;
} sub_ctx;

/* MAPIXSUBOBJECTS: the recipient or attachment rows of the message, each
 * with the properties the sub-restrictions read plus PR_ROWID or
 * PR_ATTACH_NUM. */
static HRESULT sub_rows(LPVOID lpContext, ULONG ulSubObject, ULONG cValues, LPSPropValue lpProps, LPSRowSet *lppRows)
{
	static const char recips[] = "SELECT rid, row_num FROM recipients WHERE mid = ?1 ORDER BY row_num";
	static const char atts[] = "SELECT aid, num FROM attachments WHERE mid = ?1 ORDER BY num";
	sub_ctx *s = lpContext;
	local_db *db = s->logon->db;
	int k = ulSubObject == PR_MESSAGE_RECIPIENTS ? 0 : 1;
	const ULONG *tags = s->c->sub_tags[k];
	ULONG n = s->c->n_sub_tags[k];
	uint64_t *ids = NULL;
	size_t nrows = 0;
	sqlite3_stmt *st;
	LPSRowSet set = NULL;
	HRESULT hr;
	(void)cValues, (void)lpProps;

	*lppRows = NULL;
	if (FAILED(hr = local_db_prepare(db, k == 0 ? recips : atts, &st)))
		return hr;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->mid);
	if (FAILED(hr = local_collect_ids(db, st, 2, &ids, &nrows, "listing sub-objects")))
		return hr;
	if (!nrows)
		goto out;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewSRowSet(nrows), (LPVOID *)&set)))
		goto out;
	set->cRows = 0;
	for (size_t i = 0; i < nrows; i++) {
		LPSPropValue row;
		if (FAILED(hr = MAPIAllocateBuffer((n + 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&row)))
			break;
		memset(row, 0, (n + 1) * sizeof(SPropValue));
		set->aRow[set->cRows].ulAdrEntryPad = 0;
		set->aRow[set->cRows].cValues = n + 1;
		set->aRow[set->cRows].lpProps = row;
		set->cRows++;
		if (FAILED(hr = read_object(db, ids[2 * i], tags, n, row, row)))
			break;
		row[n].ulPropTag = k == 0 ? PR_ROWID : PR_ATTACH_NUM;
		row[n].Value.l = (LONG)ids[2 * i + 1];
	}
	if (FAILED(hr)) {
		FreeProws(set);
		set = NULL;
	}
out:
	free(ids);
	*lppRows = set;
	return hr;
}

HRESULT local_restrict_eval(local_logon *logon, const local_compiled *c, uint64_t mid, const local_instval *inst,
                            MAPIXRESTRICTIONSTATE *state, BOOL *match)
{
	LPSPropValue row = NULL;
	local_object *msg = NULL;
	HRESULT hr;

	*match = TRUE;
	if (!c->c_res)
		return S_OK;
	*match = FALSE;
	if (FAILED(hr = MAPIAllocateBuffer((c->n_tags + 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&row)))
		return hr;
	memset(row, 0, (c->n_tags + 1) * sizeof(SPropValue));
	for (ULONG i = 0; i < c->n_tags; i++) {
		ULONG tag = c->tags[i];
		if (inst && PROP_ID(inst->tag) == PROP_ID(tag)) {
			/* The row of an expanded multi-valued column holds one value. */
			if (inst->value) {
				row[i] = *inst->value;
				row[i].ulPropTag = inst->tag;
			} else {
				row[i].ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
				row[i].Value.err = MAPI_E_NOT_FOUND;
			}
			continue;
		}
		hr = local_table_read_prop(logon, mid, &msg, tag, row, &row[i], TRUE);
		if (hr == MAPI_E_NOT_FOUND) {
			row[i].ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
			row[i].Value.err = MAPI_E_NOT_FOUND;
			mapix_error_clear();
			hr = S_OK;
		}
		if (FAILED(hr))
			goto out;
	}
	sub_ctx sc = {logon, c, mid};
	MAPIXSUBOBJECTS sub = {&sc, sub_rows};
	hr = mapix_restriction_eval_state(c->c_res, c->n_tags, row, &sub, state, match);
out:
	if (msg)
		local_prop_Release(msg);
	MAPIFreeBuffer(row);
	return hr;
}
