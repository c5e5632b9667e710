/*
 * tableview_rows.c — how the views of an in-memory table (tabledata.h) keep
 * their rows: building the filtered and sorted row list, keeping it up to
 * date one changed row at a time (so the cursor stays on its row), turning
 * a stored row into the columns a caller asked for, and the
 * fnevTableModified notifications that changes produce.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/tabledata.h"

/* ---- lookups and checks --------------------------------------------------------- */

LPSPropValue mapix_tableview_find_prop(ULONG cValues, LPSPropValue lpProps, ULONG ulPropTag)
{
	ULONG id = PROP_ID(ulPropTag);
	for (ULONG i = 0; i < cValues; i++)
		if (PROP_ID(lpProps[i].ulPropTag) == id && PROP_TYPE(lpProps[i].ulPropTag) != PT_ERROR)
			return &lpProps[i];
	return NULL;
}

static LPSPropValue find_exact(ULONG cValues, LPSPropValue lpProps, ULONG ulPropTag)
{
	for (ULONG i = 0; i < cValues; i++)
		if (lpProps[i].ulPropTag == ulPropTag)
			return &lpProps[i];
	return NULL;
}

BOOL mapix_tableview_res_contains(const SRestriction *r, ULONG rt, unsigned depth)
{
	if (!r || depth >= MAPIX_RESTRICTION_MAX_DEPTH)
		return FALSE;
	if (r->rt == rt)
		return TRUE;
	switch (r->rt) {
	case RES_AND:
	case RES_OR:
		for (ULONG i = 0; i < r->res.resAnd.cRes; i++)
			if (mapix_tableview_res_contains(&r->res.resAnd.lpRes[i], rt, depth + 1))
				return TRUE;
		return FALSE;
	case RES_NOT: return mapix_tableview_res_contains(r->res.resNot.lpRes, rt, depth + 1);
	case RES_SUBRESTRICTION: return mapix_tableview_res_contains(r->res.resSub.lpRes, rt, depth + 1);
	case RES_COUNT: return mapix_tableview_res_contains(r->res.resCount.lpRes, rt, depth + 1);
	case RES_COMMENT:
	case RES_ANNOTATION: return mapix_tableview_res_contains(r->res.resComment.lpRes, rt, depth + 1);
	default: return FALSE;
	}
}

HRESULT mapix_tableview_check_columns(const SPropTagArray *lpCols, const char *fn)
{
	if (!lpCols || lpCols->cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: no columns", fn);
	for (ULONG i = 0; i < lpCols->cValues; i++)
		if ((PROP_TYPE(lpCols->aulPropTag[i]) & MVI_FLAG) == MVI_FLAG)
			return mapix_error(MAPI_E_TOO_COMPLEX,
			                   "%s: column 0x%08X asks for multi-valued instances, which in-memory tables do not expand",
			                   fn, (unsigned)lpCols->aulPropTag[i]);
	return S_OK;
}

HRESULT mapix_tableview_check_sort(const SSortOrderSet *lpSort, const char *fn)
{
	if (!lpSort)
		return S_OK;
	if (lpSort->cCategories || lpSort->cExpanded)
		return mapix_error(MAPI_E_TOO_COMPLEX, "%s: categorized sorts are a store table feature", fn);
	for (ULONG i = 0; i < lpSort->cSorts; i++) {
		const SSortOrder *s = &lpSort->aSort[i];
		if (s->ulOrder != TABLE_SORT_ASCEND && s->ulOrder != TABLE_SORT_DESCEND)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: sort order 0x%08X on 0x%08X not supported", fn,
			                   (unsigned)s->ulOrder, (unsigned)s->ulPropTag);
		if ((PROP_TYPE(s->ulPropTag) & MVI_FLAG) == MVI_FLAG)
			return mapix_error(MAPI_E_TOO_COMPLEX, "%s: sorting on multi-valued instances of 0x%08X not supported",
			                   fn, (unsigned)s->ulPropTag);
	}
	return S_OK;
}

HRESULT mapix_tableview_copy_columns(const SPropTagArray *src, LPSPropTagArray *lppDst)
{
	LPSPropTagArray dst = NULL;
	SCODE sc = MAPIAllocateBuffer((ULONG)CbNewSPropTagArray(src->cValues), (LPVOID *)&dst);
	if (FAILED(sc))
		return mapix_error(sc, "IMAPITable: out of memory copying columns");
	dst->cValues = src->cValues;
	memcpy(dst->aulPropTag, src->aulPropTag, src->cValues * sizeof(ULONG));
	*lppDst = dst;
	return S_OK;
}

HRESULT mapix_tableview_copy_sort(const SSortOrderSet *src, LPSSortOrderSet *lppDst)
{
	ULONG n = src ? src->cSorts : 0;
	LPSSortOrderSet dst = NULL;
	SCODE sc = MAPIAllocateBuffer((ULONG)CbNewSSortOrderSet(n), (LPVOID *)&dst);
	if (FAILED(sc))
		return mapix_error(sc, "IMAPITable: out of memory copying a sort order");
	dst->cSorts = n;
	dst->cCategories = 0;
	dst->cExpanded = 0;
	if (n)
		memcpy(dst->aSort, src->aSort, n * sizeof(SSortOrder));
	*lppDst = dst;
	return S_OK;
}

/* ---- ordering ------------------------------------------------------------------------ */

/* Missing values sort before present ones; ties fall back to insertion order. */
static int compare_rows(const SSortOrderSet *sort, const struct mapix_tdrow *a, const struct mapix_tdrow *b)
{
	for (ULONG i = 0; sort && i < sort->cSorts; i++) {
		ULONG tag = sort->aSort[i].ulPropTag;
		LPSPropValue va = mapix_tableview_find_prop(a->cValues, a->lpProps, tag);
		LPSPropValue vb = mapix_tableview_find_prop(b->cValues, b->lpProps, tag);
		LONG c;
		if (!va || !vb)
			c = (va != NULL) - (vb != NULL);
		else if (PROP_TYPE(va->ulPropTag) != PROP_TYPE(vb->ulPropTag))
			c = PROP_TYPE(va->ulPropTag) < PROP_TYPE(vb->ulPropTag) ? -1 : 1;
		else
			c = LPropCompareProp(va, vb);
		if (c) {
			if (sort->aSort[i].ulOrder == TABLE_SORT_DESCEND)
				return c < 0 ? 1 : -1;
			return c < 0 ? -1 : 1;
		}
	}
	return a->ulPos < b->ulPos ? -1 : a->ulPos > b->ulPos;
}

static int qsort_cmp(const void *pa, const void *pb, void *arg)
{
	return compare_rows(arg, *(struct mapix_tdrow *const *)pa, *(struct mapix_tdrow *const *)pb);
}

HRESULT mapix_tableview_build(struct mapix_tabledata *td, LPSRestriction lpRes, const SSortOrderSet *lpSort,
                              struct mapix_tdrow ***lpppRows, ULONG *lpcRows)
{
	struct mapix_tdrow **rows;
	ULONG n = 0;
	MAPIXRESTRICTIONSTATE st = MAPIX_RESTRICTION_STATE_INIT;

	rows = malloc((td->cRows ? td->cRows : 1) * sizeof *rows);
	if (!rows)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPITable: out of memory building a view");
	if (td->cRows)
		memcpy(rows, td->rows, td->cRows * sizeof *rows);
	if (lpSort && lpSort->cSorts)
		qsort_r(rows, td->cRows, sizeof *rows, qsort_cmp, (void *)lpSort);
	/* Filter after sorting: RES_COUNT accepts the first matches in view order. */
	for (ULONG i = 0; i < td->cRows; i++) {
		BOOL f = TRUE;
		if (lpRes) {
			HRESULT hr = mapix_restriction_eval_state(lpRes, rows[i]->cValues, rows[i]->lpProps, NULL, &st, &f);
			if (FAILED(hr)) {
				free(rows);
				return hr;
			}
		}
		if (f)
			rows[n++] = rows[i];
	}
	*lpppRows = rows;
	*lpcRows = n;
	return S_OK;
}

ULONG mapix_tableview_index_of(const struct mapix_tableview *v, const struct mapix_tdrow *row)
{
	for (ULONG i = 0; i < v->cRows; i++)
		if (v->rows[i] == row)
			return i;
	return v->cRows;
}

/* ---- rows in a caller's columns --------------------------------------------------------- */

/* A PT_STRING8 <-> PT_UNICODE copy of src (single or multi-valued) into dst. */
static SCODE convert_width(const SPropValue *src, ULONG want_tag, LPVOID root, SPropValue *dst)
{
	BOOL to_w = (PROP_TYPE(want_tag) & ~(ULONG)MV_FLAG) == PT_UNICODE;
	SCODE sc = S_OK;
	memset(dst, 0, sizeof *dst);
	dst->ulPropTag = want_tag;
	if (!(PROP_TYPE(want_tag) & MV_FLAG)) {
		if (to_w)
			return mapix_utf8_to_utf16(src->Value.lpszA ? src->Value.lpszA : "", root, &dst->Value.lpszW);
		return mapix_utf16_to_utf8(src->Value.lpszW ? src->Value.lpszW : u"", root, &dst->Value.lpszA);
	}
	ULONG n = src->Value.MVszA.cValues;
	LPVOID arr = NULL;
	sc = MAPIAllocateMore((n ? n : 1) * (ULONG)sizeof(LPVOID), root, &arr);
	if (FAILED(sc))
		return sc;
	for (ULONG i = 0; i < n && SUCCEEDED(sc); i++) {
		if (to_w)
			sc = mapix_utf8_to_utf16(src->Value.MVszA.lppszA[i], root, &((LPWSTR *)arr)[i]);
		else
			sc = mapix_utf16_to_utf8(src->Value.MVszW.lppszW[i], root, &((LPSTR *)arr)[i]);
	}
	dst->Value.MVszA.cValues = n;
	dst->Value.MVszA.lppszA = arr; /* same layout as MVszW */
	return sc;
}

static BOOL width_convertible(ULONG have_tag, ULONG want_tag)
{
	ULONG h = PROP_TYPE(have_tag), w = PROP_TYPE(want_tag);
	if ((h & MV_FLAG) != (w & MV_FLAG))
		return FALSE;
	h &= ~(ULONG)MV_FLAG;
	w &= ~(ULONG)MV_FLAG;
	return h != w && (h == PT_STRING8 || h == PT_UNICODE) && (w == PT_STRING8 || w == PT_UNICODE);
}

HRESULT mapix_tableview_make_row(const SPropTagArray *lpCols, ULONG cValues, LPSPropValue lpProps, LPVOID lpParent,
                                 LPSPropValue *lppOut)
{
	LPSPropValue dst = NULL;
	LPVOID root;
	ULONG n = lpCols->cValues;
	SCODE sc;

	sc = lpParent ? MAPIAllocateMore((n ? n : 1) * (ULONG)sizeof(SPropValue), lpParent, (LPVOID *)&dst)
	              : MAPIAllocateBuffer((n ? n : 1) * (ULONG)sizeof(SPropValue), (LPVOID *)&dst);
	if (FAILED(sc))
		return mapix_error(sc, "IMAPITable: out of memory building a row");
	root = lpParent ? lpParent : dst;
	for (ULONG i = 0; i < n && SUCCEEDED(sc); i++) {
		ULONG tag = lpCols->aulPropTag[i];
		LPSPropValue src;
		if (PROP_TYPE(tag) == PT_UNSPECIFIED) {
			src = mapix_tableview_find_prop(cValues, lpProps, tag);
		} else {
			src = find_exact(cValues, lpProps, tag);
			if (!src) {
				LPSPropValue other = mapix_tableview_find_prop(cValues, lpProps, tag);
				if (other && width_convertible(other->ulPropTag, tag)) {
					sc = convert_width(other, tag, root, &dst[i]);
					continue;
				}
			}
		}
		if (src) {
			sc = PropCopyMore(&dst[i], src, MAPIAllocateMore, root);
		} else {
			memset(&dst[i], 0, sizeof dst[i]);
			dst[i].ulPropTag = CHANGE_PROP_TYPE(tag, PT_ERROR);
			dst[i].Value.err = MAPI_E_NOT_FOUND;
		}
	}
	if (FAILED(sc)) {
		if (!lpParent)
			MAPIFreeBuffer(dst);
		return mapix_error(sc, "IMAPITable: cannot copy a row's values");
	}
	*lppOut = dst;
	return S_OK;
}

/* ---- notifications -------------------------------------------------------------------------- */

static BOOL has_sinks(const struct mapix_tableview *v)
{
	for (ULONG i = 0; i < v->cAdvise; i++)
		if (v->advise[i].ulEventMask & fnevTableModified)
			return TRUE;
	return FALSE;
}

/*
 * Queues one table event for every sink of v. row values (cValues/lpProps)
 * fill tab.row for TABLE_ROW_ADDED/MODIFIED; lpIndex and lpPrior fill
 * propIndex and propPrior (PR_NULL when NULL). Notifications are best
 * effort: when memory runs out the event is dropped.
 */
static void queue_event(struct mapix_tableview *v, struct mapix_notifq *q, ULONG event, ULONG cValues,
                        LPSPropValue lpProps, const SPropValue *lpIndex, const SPropValue *lpPrior)
{
	LPNOTIFICATION n = NULL;
	struct mapix_notif_item *it;
	ULONG cs = 0;

	if (!q || !has_sinks(v))
		return;
	if (q->c == q->cap) {
		ULONG ncap = q->cap ? q->cap * 2 : 8;
		struct mapix_notif_item *ni = realloc(q->items, ncap * sizeof *ni);
		if (!ni)
			return;
		q->items = ni;
		q->cap = ncap;
	}
	if (FAILED(MAPIAllocateBuffer(sizeof(NOTIFICATION), (LPVOID *)&n)))
		return;
	memset(n, 0, sizeof *n);
	n->ulEventType = fnevTableModified;
	n->info.tab.ulTableEvent = event;
	n->info.tab.hResult = S_OK;
	n->info.tab.propIndex.ulPropTag = PR_NULL;
	n->info.tab.propPrior.ulPropTag = PR_NULL;
	if (lpIndex && FAILED(PropCopyMore(&n->info.tab.propIndex, (LPSPropValue)lpIndex, MAPIAllocateMore, n)))
		goto fail;
	if (lpPrior && FAILED(PropCopyMore(&n->info.tab.propPrior, (LPSPropValue)lpPrior, MAPIAllocateMore, n)))
		goto fail;
	if (event == TABLE_ROW_ADDED || event == TABLE_ROW_MODIFIED) {
		if (FAILED(mapix_tableview_make_row(v->lpCols, cValues, lpProps, n, &n->info.tab.row.lpProps)))
			goto fail;
		n->info.tab.row.cValues = v->lpCols->cValues;
	}
	it = &q->items[q->c];
	it->lppSinks = malloc(v->cAdvise * sizeof *it->lppSinks);
	if (!it->lppSinks)
		goto fail;
	for (ULONG i = 0; i < v->cAdvise; i++) {
		if (!(v->advise[i].ulEventMask & fnevTableModified))
			continue;
		IMAPIAdviseSink_AddRef(v->advise[i].lpSink);
		it->lppSinks[cs++] = v->advise[i].lpSink;
	}
	it->cSinks = cs;
	it->lpNotif = n;
	q->c++;
	return;
fail:
	MAPIFreeBuffer(n);
}

void mapix_tableview_deliver(struct mapix_notifq *q)
{
	for (ULONG i = 0; i < q->c; i++) {
		struct mapix_notif_item *it = &q->items[i];
		for (ULONG s = 0; s < it->cSinks; s++) {
			IMAPIAdviseSink_OnNotify(it->lppSinks[s], 1, it->lpNotif);
			IMAPIAdviseSink_Release(it->lppSinks[s]);
		}
		free(it->lppSinks);
		MAPIFreeBuffer(it->lpNotif);
	}
	free(q->items);
	q->items = NULL;
	q->c = q->cap = 0;
}

/* ---- keeping a view up to date -------------------------------------------------------------- */

static BOOL row_matches(struct mapix_tableview *v, struct mapix_tdrow *row)
{
	BOOL f = TRUE;
	if (v->lpRes && FAILED(mapix_restriction_eval(v->lpRes, row->cValues, row->lpProps, NULL, &f)))
		return FALSE; /* a row the view cannot judge is not shown */
	return f;
}

static BOOL view_reserve(struct mapix_tableview *v, ULONG need)
{
	if (need <= v->capRows)
		return TRUE;
	ULONG ncap = v->capRows ? v->capRows : 16;
	while (ncap < need)
		ncap *= 2;
	struct mapix_tdrow **n = realloc(v->rows, ncap * sizeof *n);
	if (!n)
		return FALSE;
	v->rows = n;
	v->capRows = ncap;
	return TRUE;
}

/* Where row goes in v's order (v must not contain it). */
static ULONG insertion_point(const struct mapix_tableview *v, const struct mapix_tdrow *row)
{
	ULONG lo = 0, hi = v->cRows;
	while (lo < hi) {
		ULONG mid = lo + (hi - lo) / 2;
		if (compare_rows(v->lpSort, v->rows[mid], row) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* One row changed: take it out, put it back where it belongs now, keep the
 * cursor on the row it was on, and queue the event (q may be NULL). */
static void apply_one(struct mapix_tableview *v, struct mapix_tdrow *row, BOOL fDeleted, struct mapix_notifq *q)
{
	struct mapix_tdrow *cur = v->ulCursor < v->cRows ? v->rows[v->ulCursor] : NULL;
	ULONG old_i = mapix_tableview_index_of(v, row);
	BOOL was = old_i < v->cRows;
	BOOL now = !fDeleted && row_matches(v, row);
	ULONG new_i = 0;

	if (was) {
		memmove(&v->rows[old_i], &v->rows[old_i + 1], (v->cRows - old_i - 1) * sizeof *v->rows);
		v->cRows--;
	}
	if (now) {
		if (!view_reserve(v, v->cRows + 1)) {
			now = FALSE;
		} else {
			new_i = insertion_point(v, row);
			memmove(&v->rows[new_i + 1], &v->rows[new_i], (v->cRows - new_i) * sizeof *v->rows);
			v->rows[new_i] = row;
			v->cRows++;
		}
	}
	if (!cur)
		v->ulCursor = v->cRows;
	else if (cur == row)
		v->ulCursor = now ? new_i : (old_i < v->cRows ? old_i : v->cRows);
	else
		v->ulCursor = mapix_tableview_index_of(v, cur);

	if (!q || (!was && !now))
		return;
	if (!now) {
		queue_event(v, q, TABLE_ROW_DELETED, 0, NULL, row->lpIndex, NULL);
	} else {
		const SPropValue *prior = new_i > 0 ? v->rows[new_i - 1]->lpIndex : NULL;
		queue_event(v, q, was ? TABLE_ROW_MODIFIED : TABLE_ROW_ADDED, row->cValues, row->lpProps, row->lpIndex,
		            prior);
	}
}

/*
 * Many rows at once (or a RES_COUNT view, where which rows are admitted
 * depends on every row before them): drop the deleted rows in one pass and
 * rebuild the list, instead of moving rows one by one. The cursor stays on
 * its row when the row is still shown; otherwise it keeps its position.
 */
static void apply_bulk(struct mapix_tableview *v, const struct mapix_rowchange *ch, ULONG cch)
{
	struct mapix_tdrow *cur = v->ulCursor < v->cRows ? v->rows[v->ulCursor] : NULL;
	ULONG pos = 0, w = 0;
	struct mapix_tdrow **rows = NULL;
	ULONG n = 0;

	for (ULONG i = 0; i < v->cRows; i++) {
		if (v->rows[i]->fDeleted)
			continue;
		if (i < v->ulCursor)
			pos++;
		v->rows[w++] = v->rows[i];
	}
	v->cRows = w;
	if (cur && cur->fDeleted)
		cur = NULL; /* pos is where the next row now stands */
	else if (!cur)
		pos = (ULONG)-1; /* the cursor was at the end */
	if (FAILED(mapix_tableview_build(v->td, v->lpRes, v->lpSort, &rows, &n))) {
		/* Out of memory: fall back to one row at a time (no allocation but
		 * the view's own array). */
		for (ULONG i = 0; i < cch; i++)
			if (!ch[i].fDeleted)
				apply_one(v, ch[i].row, FALSE, NULL);
		return;
	}
	free(v->rows);
	v->rows = rows;
	v->cRows = n;
	v->capRows = v->td->cRows ? v->td->cRows : 1;
	if (cur && mapix_tableview_index_of(v, cur) < n)
		v->ulCursor = mapix_tableview_index_of(v, cur);
	else
		v->ulCursor = pos < n ? pos : n;
}

void mapix_tableview_apply(struct mapix_tableview *v, const struct mapix_rowchange *ch, ULONG cch,
                           struct mapix_notifq *q)
{
	if (cch == 0)
		return;
	if (cch <= MAPIX_TABLE_MAX_ROW_EVENTS && !v->fResHasCount) {
		for (ULONG i = 0; i < cch; i++)
			apply_one(v, ch[i].row, ch[i].fDeleted, q);
		return;
	}
	apply_bulk(v, ch, cch);
	queue_event(v, q, TABLE_CHANGED, 0, NULL, NULL, NULL);
}

void mapix_tableview_notify_values(struct mapix_tableview *v, struct mapix_tdrow *row, ULONG cValues,
                                   LPSPropValue lpProps, struct mapix_notifq *q)
{
	ULONG i = mapix_tableview_index_of(v, row);
	if (i >= v->cRows)
		return;
	queue_event(v, q, TABLE_ROW_MODIFIED, cValues, lpProps, row->lpIndex, i > 0 ? v->rows[i - 1]->lpIndex : NULL);
}
