/*
 * remote-table.c — IMAPITable of a mailbox hosted by mapixd. The view
 * (columns, restriction, sort, position, bookmarks) lives on the server.
 * QueryRows asks for at most the server's max_rows per request and keeps
 * asking until it has the rows the caller wanted or the table ends, so a
 * large request never becomes one huge frame. Table advises are pushed
 * like store advises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))

typedef struct table_advise {
	struct table_advise *next;
	ULONG id;
	ULONG_PTR sub;
	ULONG mask;           /* kept to advise again after a reconnect */
} table_advise;

static pthread_mutex_t advise_lock = PTHREAD_MUTEX_INITIALIZER;

static HRESULT simple(IMAPITable *This, ULONG op, const char *fn, int nargs, ULONG a1, ULONG a2)
{
	rcall c;
	RC_OBJ(&c, This, op);
	if (nargs > 0)
		RC_PUT(&c, mapix_wire_put_u32(&c.req, a1));
	if (nargs > 1)
		RC_PUT(&c, mapix_wire_put_u32(&c.req, a2));
	HRESULT hr = rc_run(&c, fn);
	rc_end(&c);
	return hr;
}

static HRESULT table_QueryInterface(IMAPITable *This, REFIID riid, LPVOID *ppv)
{
	return remote_prop_QueryInterface(This, riid, ppv);
}

static ULONG table_AddRef(IMAPITable *This)
{
	return remote_prop_AddRef(This);
}

static ULONG table_Release(IMAPITable *This)
{
	return remote_prop_Release(This);
}

static HRESULT table_GetLastError(IMAPITable *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	return remote_prop_GetLastError(This, hResult, ulFlags, lppMAPIError);
}

/* The table's current connection (a revive may change it). */
static remote_conn *table_conn(remote_obj *o)
{
	if (!remote_conn_alive(o->conn))
		(void)remote_logon_revive(o->logon, "IMAPITable::Advise");
	pthread_mutex_lock(&o->logon->revive_lock);
	remote_conn *c = o->conn;
	pthread_mutex_unlock(&o->logon->revive_lock);
	return c;
}

/* A folder's table remembers the folder's entry ID at its first advise,
 * so that a revive can open it again. */
static void keep_origin(remote_obj *o)
{
	if (o->origin_eid || !o->origin_folder)
		return;
	LPSPropValue v = NULL;
	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)o->origin_folder, PR_ENTRYID, &v)) &&
	    (o->origin_eid = malloc(v->Value.bin.cb ? v->Value.bin.cb : 1))) {
		memcpy(o->origin_eid, v->Value.bin.lpb, v->Value.bin.cb);
		o->cb_origin_eid = v->Value.bin.cb;
	}
	MAPIFreeBuffer(v);
	mapix_error_clear();
	remote_prop_Release(o->origin_folder);
	o->origin_folder = NULL;
}

static HRESULT table_Advise(IMAPITable *This, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                            ULONG_PTR *lpulConnection)
{
	remote_obj *o = OBJ(This);
	remote_logon *l = o->logon;
	if (!lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPITable::Advise: NULL sink or connection");
	if (!l->support)
		return mapix_error(MAPI_E_NO_SUPPORT, "IMAPITable::Advise: the store has no support object");
	ULONG id;
	LPNOTIFKEY key;
	ULONG_PTR sub = 0;
	keep_origin(o);
	remote_conn *conn = table_conn(o);
	HRESULT hr = remote_conn_advise_register(conn, l->support, l, &id, &key);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = IMAPISupport_Subscribe(l->support, key, ulEventMask, 0, lpAdviseSink, &sub))) {
		remote_conn_advise_unregister(conn, id);
		return hr;
	}
	hr = simple(This, MPX_OP_TABLE_ADVISE, "IMAPITable::Advise", 2, ulEventMask, id);
	table_advise *a = SUCCEEDED(hr) ? malloc(sizeof *a) : NULL;
	if (!a) {
		char why[512];
		snprintf(why, sizeof why, "%s", SUCCEEDED(hr) ? "IMAPITable::Advise: out of memory" : MAPIXGetLastErrorText());
		IMAPISupport_Unsubscribe(l->support, sub);
		remote_conn_advise_unregister(conn, id);
		return mapix_error(SUCCEEDED(hr) ? MAPI_E_NOT_ENOUGH_MEMORY : hr, "%s", why);
	}
	a->id = id;
	a->sub = sub;
	a->mask = ulEventMask;
	pthread_mutex_lock(&advise_lock);
	a->next = o->kind_data;
	o->kind_data = a;
	pthread_mutex_unlock(&advise_lock);
	if (o->origin_eid)
		remote_logon_track_table(l, o, TRUE);
	*lpulConnection = sub;
	return S_OK;
}

static void drop_advise(remote_obj *o, table_advise *a, BOOL tell_server)
{
	if (tell_server && remote_conn_alive(o->conn)) /* a lost connection is not revived to unadvise */
		simple((IMAPITable *)o, MPX_OP_TABLE_UNADVISE, "IMAPITable::Unadvise", 1, a->id, 0);
	IMAPISupport_Unsubscribe(o->logon->support, a->sub);
	remote_conn_advise_unregister(o->conn, a->id);
	free(a);
	mapix_error_clear();
}

void remote_table_set_origin(remote_obj *table, remote_obj *folder, ULONG op, ULONG flags)
{
	remote_prop_AddRef(folder);
	table->origin_folder = folder;
	table->origin_op = op;
	table->origin_flags = flags;
}

/* Opens the table again the way it was first opened (its columns, sort
 * order and restriction are the defaults again) and re-sends its
 * advises. */
HRESULT remote_table_revive(remote_obj *o)
{
	remote_logon *l = o->logon;
	if (!o->origin_eid || !l->store)
		return mapix_error(MAPI_E_NETWORK_ERROR, "IMAPITable: the connection was lost: open the table again");
	pthread_mutex_lock(&l->revive_lock);
	remote_conn *conn = l->store->conn;
	uint32_t store_h = l->store->handle;
	pthread_mutex_unlock(&l->revive_lock);
	rcall c;
	ULONG type, folder_h = 0, table_h = 0;
	BYTE kind;
	rc_begin(&c, conn, store_h, MPX_OP_OPENENTRY);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, o->cb_origin_eid, o->origin_eid));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, NULL));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, 0));
	HRESULT hr = rc_run(&c, "IMAPITable (reconnecting)");
	if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u32(&c.out, &type)) || FAILED(mapix_wire_get_u8(&c.out, &kind)) ||
	                      FAILED(mapix_wire_get_u32(&c.out, &folder_h)) || kind != MPX_OBJ_FOLDER))
		hr = rc_bad_reply(&c, "IMAPITable (reconnecting)");
	rc_end(&c);
	if (FAILED(hr))
		return hr;
	rc_begin(&c, conn, folder_h, o->origin_op);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, o->origin_flags));
	hr = rc_run(&c, "IMAPITable (reconnecting)");
	if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u8(&c.out, &kind)) || FAILED(mapix_wire_get_u32(&c.out, &table_h)) ||
	                      kind != MPX_OBJ_TABLE))
		hr = rc_bad_reply(&c, "IMAPITable (reconnecting)");
	rc_end(&c);
	remote_conn_release_handle(conn, folder_h);
	if (FAILED(hr))
		return hr;
	remote_conn_ref(conn);
	pthread_mutex_lock(&l->revive_lock);
	remote_conn *old = o->conn;
	o->conn = conn;
	o->handle = table_h;
	pthread_mutex_unlock(&l->revive_lock);
	/* As for the store: ids move under the lock, requests go after it. */
	size_t n = 0, i = 0;
	pthread_mutex_lock(&advise_lock);
	for (table_advise *a = o->kind_data; a; a = a->next)
		n++;
	rcall *calls = n ? calloc(n, sizeof *calls) : NULL;
	for (table_advise *a = o->kind_data; a && calls; a = a->next) {
		ULONG id;
		if (FAILED(remote_conn_advise_move(old, conn, a->id, &id)))
			continue;
		a->id = id;
		rc_begin(&calls[i], conn, table_h, MPX_OP_TABLE_ADVISE);
		RC_PUT(&calls[i], mapix_wire_put_u32(&calls[i].req, a->mask));
		RC_PUT(&calls[i], mapix_wire_put_u32(&calls[i].req, id));
		i++;
	}
	pthread_mutex_unlock(&advise_lock);
	for (size_t k = 0; k < i; k++) {
		(void)rc_run(&calls[k], "IMAPITable::Advise (reconnected)");
		rc_end(&calls[k]);
	}
	free(calls);
	remote_conn_unref(old);
	mapix_error_clear();
	return S_OK;
}

static HRESULT table_Unadvise(IMAPITable *This, ULONG_PTR ulConnection)
{
	remote_obj *o = OBJ(This);
	table_advise *found = NULL;
	pthread_mutex_lock(&advise_lock);
	for (table_advise **pp = (table_advise **)&o->kind_data; *pp; pp = &(*pp)->next)
		if ((*pp)->sub == ulConnection) {
			found = *pp;
			*pp = found->next;
			break;
		}
	pthread_mutex_unlock(&advise_lock);
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPITable::Unadvise: no advise with connection %lu",
		                   (unsigned long)ulConnection);
	drop_advise(o, found, TRUE);
	return S_OK;
}

void remote_table_destroy(remote_obj *o)
{
	remote_logon_track_table(o->logon, o, FALSE);
	if (o->origin_folder)
		remote_prop_Release(o->origin_folder);
	o->origin_folder = NULL;
	free(o->origin_eid);
	o->origin_eid = NULL;
	table_advise *a = o->kind_data;
	o->kind_data = NULL;
	while (a) {
		table_advise *next = a->next;
		drop_advise(o, a, TRUE);
		a = next;
	}
}

static HRESULT table_GetStatus(IMAPITable *This, ULONG *lpulTableStatus, ULONG *lpulTableType)
{
	if (!lpulTableStatus || !lpulTableType)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetStatus: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_GETSTATUS);
	HRESULT hr = rc_run(&c, "GetStatus");
	if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u32(&c.out, lpulTableStatus)) ||
	                      FAILED(mapix_wire_get_u32(&c.out, lpulTableType))))
		hr = rc_bad_reply(&c, "GetStatus");
	rc_end(&c);
	return hr;
}

static HRESULT table_SetColumns(IMAPITable *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_SETCOLUMNS);
	RC_PUT(&c, mapix_proto_put_tags(&c.req, lpPropTagArray));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "SetColumns");
	rc_end(&c);
	return hr;
}

static HRESULT table_QueryColumns(IMAPITable *This, ULONG ulFlags, LPSPropTagArray *lpPropTagArray)
{
	if (!lpPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryColumns: NULL result");
	*lpPropTagArray = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_QUERYCOLUMNS);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "QueryColumns");
	if (SUCCEEDED(hr)) {
		BYTE present;
		if (FAILED(mapix_wire_get_u8(&c.out, &present)) || present != 1 ||
		    FAILED(mapix_wire_get_proptags(&c.out, lpPropTagArray)))
			hr = rc_bad_reply(&c, "QueryColumns");
	}
	rc_end(&c);
	return hr;
}

static HRESULT table_GetRowCount(IMAPITable *This, ULONG ulFlags, ULONG *lpulCount)
{
	if (!lpulCount)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetRowCount: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_GETROWCOUNT);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetRowCount");
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, lpulCount)))
		hr = rc_bad_reply(&c, "GetRowCount");
	rc_end(&c);
	return hr;
}

static HRESULT table_SeekRow(IMAPITable *This, BOOKMARK bkOrigin, LONG lRowCount, LONG *lplRowsSought)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_SEEKROW);
	RC_PUT(&c, mapix_wire_put_u64(&c.req, (ULONGLONG)bkOrigin));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, (ULONG)lRowCount));
	HRESULT hr = rc_run(&c, "SeekRow");
	ULONG sought = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, &sought)))
		hr = rc_bad_reply(&c, "SeekRow");
	if (SUCCEEDED(hr) && lplRowsSought)
		*lplRowsSought = (LONG)sought;
	rc_end(&c);
	return hr;
}

static HRESULT table_SeekRowApprox(IMAPITable *This, ULONG ulNumerator, ULONG ulDenominator)
{
	return simple(This, MPX_OP_TABLE_SEEKROWAPPROX, "SeekRowApprox", 2, ulNumerator, ulDenominator);
}

static HRESULT table_QueryPosition(IMAPITable *This, ULONG *lpulRow, ULONG *lpulNumerator, ULONG *lpulDenominator)
{
	if (!lpulRow || !lpulNumerator || !lpulDenominator)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryPosition: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_QUERYPOSITION);
	HRESULT hr = rc_run(&c, "QueryPosition");
	if (SUCCEEDED(hr) && (FAILED(mapix_wire_get_u32(&c.out, lpulRow)) ||
	                      FAILED(mapix_wire_get_u32(&c.out, lpulNumerator)) ||
	                      FAILED(mapix_wire_get_u32(&c.out, lpulDenominator))))
		hr = rc_bad_reply(&c, "QueryPosition");
	rc_end(&c);
	return hr;
}

static HRESULT table_FindRow(IMAPITable *This, LPSRestriction lpRestriction, BOOKMARK bkOrigin, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_FINDROW);
	RC_PUT(&c, mapix_wire_put_restriction(&c.req, lpRestriction));
	RC_PUT(&c, mapix_wire_put_u64(&c.req, (ULONGLONG)bkOrigin));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "FindRow");
	rc_end(&c);
	return hr;
}

static HRESULT table_Restrict(IMAPITable *This, LPSRestriction lpRestriction, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_RESTRICT);
	RC_PUT(&c, mapix_wire_put_restriction(&c.req, lpRestriction));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "Restrict");
	rc_end(&c);
	return hr;
}

static HRESULT table_CreateBookmark(IMAPITable *This, BOOKMARK *lpbkPosition)
{
	if (!lpbkPosition)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateBookmark: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_CREATEBOOKMARK);
	HRESULT hr = rc_run(&c, "CreateBookmark");
	ULONGLONG bk = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u64(&c.out, &bk)))
		hr = rc_bad_reply(&c, "CreateBookmark");
	if (SUCCEEDED(hr))
		*lpbkPosition = (BOOKMARK)bk;
	rc_end(&c);
	return hr;
}

static HRESULT table_FreeBookmark(IMAPITable *This, BOOKMARK bkPosition)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_FREEBOOKMARK);
	RC_PUT(&c, mapix_wire_put_u64(&c.req, (ULONGLONG)bkPosition));
	HRESULT hr = rc_run(&c, "FreeBookmark");
	rc_end(&c);
	return hr;
}

static HRESULT table_SortTable(IMAPITable *This, LPSSortOrderSet lpSortCriteria, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_SORTTABLE);
	RC_PUT(&c, mapix_proto_put_sort(&c.req, lpSortCriteria));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "SortTable");
	rc_end(&c);
	return hr;
}

static HRESULT table_QuerySortOrder(IMAPITable *This, LPSSortOrderSet *lppSortCriteria)
{
	if (!lppSortCriteria)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QuerySortOrder: NULL result");
	*lppSortCriteria = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_QUERYSORTORDER);
	HRESULT hr = rc_run(&c, "QuerySortOrder");
	if (SUCCEEDED(hr)) {
		BYTE present;
		if (FAILED(mapix_wire_get_u8(&c.out, &present)) || present > 1 ||
		    (present && FAILED(mapix_wire_get_sortorderset(&c.out, lppSortCriteria))))
			hr = rc_bad_reply(&c, "QuerySortOrder");
	}
	rc_end(&c);
	return hr;
}

/* One QueryRows request of at most `want` rows (sign = direction). */
static HRESULT query_some(IMAPITable *This, LONG want, ULONG ulFlags, LPSRowSet *rows)
{
	rcall c;
	*rows = NULL;
	RC_OBJ(&c, This, MPX_OP_TABLE_QUERYROWS);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, (ULONG)want));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "QueryRows");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (FAILED(mapix_proto_get_rows(&c.out, rows)) || !*rows) {
			if (*rows)
				FreeProws(*rows);
			*rows = NULL;
			hr = rc_bad_reply(&c, "QueryRows");
		} else {
			hr = keep;
		}
	}
	rc_end(&c);
	return hr;
}

/* Appends the rows of `more` to *all (taking them over). */
static HRESULT append_rows(LPSRowSet *all, LPSRowSet more)
{
	if (!*all) {
		*all = more;
		return S_OK;
	}
	ULONG n = (*all)->cRows + more->cRows;
	LPSRowSet joined;
	if (MAPIAllocateBuffer((ULONG)CbNewSRowSet(n), (LPVOID *)&joined) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "QueryRows: out of memory");
	joined->cRows = n;
	memcpy(joined->aRow, (*all)->aRow, (*all)->cRows * sizeof(SRow));
	memcpy(joined->aRow + (*all)->cRows, more->aRow, more->cRows * sizeof(SRow));
	/* The rows' property arrays moved; free only the two containers. */
	MAPIFreeBuffer(*all);
	MAPIFreeBuffer(more);
	*all = joined;
	return S_OK;
}

static HRESULT table_QueryRows(IMAPITable *This, LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows)
{
	if (!lppRows)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryRows: NULL result");
	*lppRows = NULL;
	LONG max = (LONG)remote_conn_max_rows(OBJ(This)->conn);
	LONG left = lRowCount;
	LPSRowSet all = NULL;
	HRESULT hr = S_OK;
	/* TBL_NOADVANCE reads the same rows again: one request only. */
	do {
		LONG want = left > max ? max : left < -max ? -max : left;
		LPSRowSet part = NULL;
		if (FAILED(hr = query_some(This, want, ulFlags, &part)))
			break;
		ULONG got = part->cRows;
		if (FAILED(hr = append_rows(&all, part))) {
			FreeProws(part);
			break;
		}
		if (got == 0 || (ulFlags & TBL_NOADVANCE) || got < (ULONG)(want < 0 ? -want : want))
			break;
		left = left > 0 ? left - (LONG)got : left + (LONG)got;
	} while (left != 0);
	if (FAILED(hr)) {
		if (all)
			FreeProws(all);
		return hr;
	}
	*lppRows = all;
	return hr;
}

static HRESULT table_Abort(IMAPITable *This)
{
	return simple(This, MPX_OP_TABLE_ABORT, "Abort", 0, 0, 0);
}

static HRESULT table_ExpandRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulRowCount,
                               ULONG ulFlags, LPSRowSet *lppRows, ULONG *lpulMoreRows)
{
	if (lppRows)
		*lppRows = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_EXPANDROW);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbInstanceKey, pbInstanceKey));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulRowCount));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "ExpandRow");
	if (SUCCEEDED(hr)) {
		ULONG more = 0;
		LPSRowSet rows = NULL;
		if (FAILED(mapix_wire_get_u32(&c.out, &more)) || FAILED(mapix_proto_get_rows(&c.out, &rows))) {
			hr = rc_bad_reply(&c, "ExpandRow");
		} else {
			if (lpulMoreRows)
				*lpulMoreRows = more;
			if (lppRows)
				*lppRows = rows;
			else if (rows)
				FreeProws(rows);
		}
	}
	rc_end(&c);
	return hr;
}

static HRESULT table_CollapseRow(IMAPITable *This, ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulFlags,
                                 ULONG *lpulRowCount)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_COLLAPSEROW);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbInstanceKey, pbInstanceKey));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CollapseRow");
	ULONG n = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, &n)))
		hr = rc_bad_reply(&c, "CollapseRow");
	if (SUCCEEDED(hr) && lpulRowCount)
		*lpulRowCount = n;
	rc_end(&c);
	return hr;
}

static HRESULT table_WaitForCompletion(IMAPITable *This, ULONG ulFlags, ULONG ulTimeout, ULONG *lpulTableStatus)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_WAITFORCOMPLETION);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulTimeout));
	HRESULT hr = rc_run(&c, "WaitForCompletion");
	ULONG st = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, &st)))
		hr = rc_bad_reply(&c, "WaitForCompletion");
	if (SUCCEEDED(hr) && lpulTableStatus)
		*lpulTableStatus = st;
	rc_end(&c);
	return hr;
}

static HRESULT table_GetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbInstanceKey, LPBYTE lpbInstanceKey,
                                      ULONG *lpcbCollapseState, LPBYTE *lppbCollapseState)
{
	if (!lpcbCollapseState || !lppbCollapseState)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetCollapseState: NULL result");
	*lpcbCollapseState = 0;
	*lppbCollapseState = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_GETCOLLAPSESTATE);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbInstanceKey, lpbInstanceKey));
	HRESULT hr = rc_run(&c, "GetCollapseState");
	if (SUCCEEDED(hr)) {
		mapix_proto_arena a = {0};
		ULONG cb;
		BYTE *pb;
		if (FAILED(mapix_proto_get_bin(&c.out, &a, &cb, &pb)))
			hr = rc_bad_reply(&c, "GetCollapseState");
		else if (MAPIAllocateBuffer(cb ? cb : 1, (LPVOID *)lppbCollapseState) != S_OK)
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetCollapseState: out of memory");
		else {
			if (cb)
				memcpy(*lppbCollapseState, pb, cb);
			*lpcbCollapseState = cb;
		}
		mapix_proto_arena_free(&a);
	}
	rc_end(&c);
	return hr;
}

static HRESULT table_SetCollapseState(IMAPITable *This, ULONG ulFlags, ULONG cbCollapseState, LPBYTE pbCollapseState,
                                      BOOKMARK *lpbkLocation)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_TABLE_SETCOLLAPSESTATE);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbCollapseState, pbCollapseState));
	HRESULT hr = rc_run(&c, "SetCollapseState");
	ULONGLONG bk = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u64(&c.out, &bk)))
		hr = rc_bad_reply(&c, "SetCollapseState");
	if (SUCCEEDED(hr) && lpbkLocation)
		*lpbkLocation = (BOOKMARK)bk;
	rc_end(&c);
	return hr;
}

const IMAPITableVtbl remote_table_vtbl = {
	.QueryInterface = table_QueryInterface,
	.AddRef = table_AddRef,
	.Release = table_Release,
	.GetLastError = table_GetLastError,
	.Advise = table_Advise,
	.Unadvise = table_Unadvise,
	.GetStatus = table_GetStatus,
	.SetColumns = table_SetColumns,
	.QueryColumns = table_QueryColumns,
	.GetRowCount = table_GetRowCount,
	.SeekRow = table_SeekRow,
	.SeekRowApprox = table_SeekRowApprox,
	.QueryPosition = table_QueryPosition,
	.FindRow = table_FindRow,
	.Restrict = table_Restrict,
	.CreateBookmark = table_CreateBookmark,
	.FreeBookmark = table_FreeBookmark,
	.SortTable = table_SortTable,
	.QuerySortOrder = table_QuerySortOrder,
	.QueryRows = table_QueryRows,
	.Abort = table_Abort,
	.ExpandRow = table_ExpandRow,
	.CollapseRow = table_CollapseRow,
	.WaitForCompletion = table_WaitForCompletion,
	.GetCollapseState = table_GetCollapseState,
	.SetCollapseState = table_SetCollapseState,
};
