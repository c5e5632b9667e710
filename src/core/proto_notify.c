/*
 * proto_notify.c — NOTIFICATION structures on the mapixd protocol: what
 * the server pushes in event frames and what IMsgStore::NotifyNewMail
 * sends. Each notification is its event type followed by the fields its
 * union member holds (entry IDs as binaries, the message class as a string
 * that carries its width, table rows and values in the wire encoding).
 * A MAPIERROR inside an error notification is not carried.
 *
 * Decoding makes one MAPIAllocateBuffer root for the whole array, as
 * advise sinks expect to read (and never free) what they are given.
 */
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "core/proto.h"

static HRESULT put_eid(MAPIXWIREBUF *b, ULONG cb, const ENTRYID *eid)
{
	return mapix_proto_put_bin(b, eid ? cb : 0, eid);
}

static HRESULT put_one(MAPIXWIREBUF *b, const NOTIFICATION *n)
{
	HRESULT hr = mapix_wire_put_u32(b, n->ulEventType);
	if (FAILED(hr))
		return hr;
	switch (n->ulEventType) {
	case fnevCriticalError:
		if (SUCCEEDED(hr = put_eid(b, n->info.err.cbEntryID, n->info.err.lpEntryID)) &&
		    SUCCEEDED(hr = mapix_wire_put_u32(b, (ULONG)n->info.err.scode)))
			hr = mapix_wire_put_u32(b, n->info.err.ulFlags);
		return hr;
	case fnevNewMail: {
		const NEWMAIL_NOTIFICATION *m = &n->info.newmail;
		if (SUCCEEDED(hr = put_eid(b, m->cbEntryID, m->lpEntryID)) &&
		    SUCCEEDED(hr = put_eid(b, m->cbParentID, m->lpParentID)) && SUCCEEDED(hr = mapix_wire_put_u32(b, m->ulFlags)) &&
		    SUCCEEDED(hr = mapix_proto_put_tstr(b, m->lpszMessageClass, (m->ulFlags & MAPI_UNICODE) != 0)))
			hr = mapix_wire_put_u32(b, m->ulMessageFlags);
		return hr;
	}
	case fnevObjectCreated:
	case fnevObjectDeleted:
	case fnevObjectModified:
	case fnevObjectMoved:
	case fnevObjectCopied:
	case fnevSearchComplete: {
		const OBJECT_NOTIFICATION *o = &n->info.obj;
		if (SUCCEEDED(hr = put_eid(b, o->cbEntryID, o->lpEntryID)) && SUCCEEDED(hr = mapix_wire_put_u32(b, o->ulObjType)) &&
		    SUCCEEDED(hr = put_eid(b, o->cbParentID, o->lpParentID)) && SUCCEEDED(hr = put_eid(b, o->cbOldID, o->lpOldID)) &&
		    SUCCEEDED(hr = put_eid(b, o->cbOldParentID, o->lpOldParentID)))
			hr = mapix_proto_put_tags(b, o->lpPropTagArray);
		return hr;
	}
	case fnevTableModified: {
		const TABLE_NOTIFICATION *t = &n->info.tab;
		if (SUCCEEDED(hr = mapix_wire_put_u32(b, t->ulTableEvent)) &&
		    SUCCEEDED(hr = mapix_wire_put_u32(b, (ULONG)t->hResult)) &&
		    SUCCEEDED(hr = mapix_wire_put_propval(b, &t->propIndex)) &&
		    SUCCEEDED(hr = mapix_wire_put_propval(b, &t->propPrior)))
			hr = mapix_wire_put_props(b, t->row.lpProps ? t->row.cValues : 0, t->row.lpProps);
		return hr;
	}
	case fnevStatusObjectModified: {
		const STATUS_OBJECT_NOTIFICATION *s = &n->info.statobj;
		if (SUCCEEDED(hr = put_eid(b, s->cbEntryID, s->lpEntryID)))
			hr = mapix_wire_put_props(b, s->lpPropVals ? s->cValues : 0, s->lpPropVals);
		return hr;
	}
	case fnevExtended:
		if (SUCCEEDED(hr = mapix_wire_put_u32(b, n->info.ext.ulEvent)))
			hr = mapix_proto_put_bin(b, n->info.ext.cb, n->info.ext.pbEventParameters);
		return hr;
	default:
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapixd protocol: notification event 0x%08X cannot be sent",
		                   (unsigned)n->ulEventType);
	}
}

HRESULT mapix_proto_put_notifs(MAPIXWIREBUF *b, ULONG n, const NOTIFICATION *notifs)
{
	HRESULT hr = mapix_wire_put_u32(b, n);
	for (ULONG i = 0; i < n && SUCCEEDED(hr); i++)
		hr = put_one(b, &notifs[i]);
	return hr;
}

/* ---- decoding into one root ------------------------------------------------------------ */

typedef struct {
	MAPIXWIRECURSOR *c;
	void *root;
} dec;

static HRESULT more(dec *d, size_t cb, void **out)
{
	if (MAPIAllocateMore((ULONG)(cb ? cb : 1), d->root, out) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
	memset(*out, 0, cb ? cb : 1);
	return S_OK;
}

static HRESULT get_eid(dec *d, ULONG *cb, LPENTRYID *eid)
{
	ULONG n;
	const BYTE *pb;
	HRESULT hr = mapix_wire_get_u32(d->c, &n);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = mapix_wire_get_bytes(d->c, n, &pb)))
		return hr;
	*cb = n;
	*eid = NULL;
	if (!n)
		return S_OK;
	if (FAILED(hr = more(d, n, (void **)eid)))
		return hr;
	memcpy(*eid, pb, n);
	return S_OK;
}

static HRESULT get_tstr(dec *d, LPTSTR *out, BOOL want_unicode)
{
	mapix_proto_arena a = {0};
	void *s = NULL;
	BOOL uni = FALSE;
	HRESULT hr = mapix_proto_get_tstr(d->c, &a, &s, &uni);
	*out = NULL;
	if (SUCCEEDED(hr) && s && uni != want_unicode)
		hr = mapix_proto_corrupt(d->c, "message class width");
	if (SUCCEEDED(hr) && s) {
		size_t cb = uni ? (mapix_wcslen(s) + 1) * sizeof(WCHAR) : strlen(s) + 1;
		void *copy;
		if (SUCCEEDED(hr = more(d, cb, &copy))) {
			memcpy(copy, s, cb);
			*out = copy;
		}
	}
	mapix_proto_arena_free(&a);
	return hr;
}

static HRESULT get_props(dec *d, ULONG *count, LPSPropValue *out)
{
	ULONG n;
	HRESULT hr = mapix_wire_get_u32(d->c, &n);
	*count = 0;
	*out = NULL;
	if (FAILED(hr))
		return hr;
	if ((uint64_t)n * 4 > mapix_wire_cursor_left(d->c))
		return mapix_proto_corrupt(d->c, "property count");
	if (!n)
		return S_OK;
	LPSPropValue p;
	if (FAILED(hr = more(d, n * sizeof *p, (void **)&p)))
		return hr;
	for (ULONG i = 0; i < n; i++)
		if (FAILED(hr = mapix_wire_get_propval(d->c, d->root, &p[i])))
			return hr;
	*count = n;
	*out = p;
	return S_OK;
}

static HRESULT get_one(dec *d, NOTIFICATION *n)
{
	HRESULT hr = mapix_wire_get_u32(d->c, &n->ulEventType);
	ULONG u = 0;
	if (FAILED(hr))
		return hr;
	switch (n->ulEventType) {
	case fnevCriticalError:
		if (SUCCEEDED(hr = get_eid(d, &n->info.err.cbEntryID, &n->info.err.lpEntryID)) &&
		    SUCCEEDED(hr = mapix_wire_get_u32(d->c, &u)))
			hr = mapix_wire_get_u32(d->c, &n->info.err.ulFlags);
		n->info.err.scode = (SCODE)u;
		return hr;
	case fnevNewMail: {
		NEWMAIL_NOTIFICATION *m = &n->info.newmail;
		if (SUCCEEDED(hr = get_eid(d, &m->cbEntryID, &m->lpEntryID)) &&
		    SUCCEEDED(hr = get_eid(d, &m->cbParentID, &m->lpParentID)) && SUCCEEDED(hr = mapix_wire_get_u32(d->c, &m->ulFlags)) &&
		    SUCCEEDED(hr = get_tstr(d, &m->lpszMessageClass, (m->ulFlags & MAPI_UNICODE) != 0)))
			hr = mapix_wire_get_u32(d->c, &m->ulMessageFlags);
		return hr;
	}
	case fnevObjectCreated:
	case fnevObjectDeleted:
	case fnevObjectModified:
	case fnevObjectMoved:
	case fnevObjectCopied:
	case fnevSearchComplete: {
		OBJECT_NOTIFICATION *o = &n->info.obj;
		mapix_proto_arena a = {0};
		LPSPropTagArray t = NULL;
		if (FAILED(hr = get_eid(d, &o->cbEntryID, &o->lpEntryID)) || FAILED(hr = mapix_wire_get_u32(d->c, &o->ulObjType)) ||
		    FAILED(hr = get_eid(d, &o->cbParentID, &o->lpParentID)) || FAILED(hr = get_eid(d, &o->cbOldID, &o->lpOldID)) ||
		    FAILED(hr = get_eid(d, &o->cbOldParentID, &o->lpOldParentID)) || FAILED(hr = mapix_proto_get_tags(d->c, &a, &t)))
			return hr;
		if (t) {
			size_t cb = CbSPropTagArray(t);
			if (SUCCEEDED(hr = more(d, cb, (void **)&o->lpPropTagArray)))
				memcpy(o->lpPropTagArray, t, cb);
		}
		mapix_proto_arena_free(&a);
		return hr;
	}
	case fnevTableModified: {
		TABLE_NOTIFICATION *t = &n->info.tab;
		if (SUCCEEDED(hr = mapix_wire_get_u32(d->c, &t->ulTableEvent)) && SUCCEEDED(hr = mapix_wire_get_u32(d->c, &u)) &&
		    SUCCEEDED(hr = mapix_wire_get_propval(d->c, d->root, &t->propIndex)) &&
		    SUCCEEDED(hr = mapix_wire_get_propval(d->c, d->root, &t->propPrior)))
			hr = get_props(d, &t->row.cValues, &t->row.lpProps);
		t->hResult = (HRESULT)u;
		return hr;
	}
	case fnevStatusObjectModified: {
		STATUS_OBJECT_NOTIFICATION *s = &n->info.statobj;
		if (SUCCEEDED(hr = get_eid(d, &s->cbEntryID, &s->lpEntryID)))
			hr = get_props(d, &s->cValues, &s->lpPropVals);
		return hr;
	}
	case fnevExtended:
		if (SUCCEEDED(hr = mapix_wire_get_u32(d->c, &n->info.ext.ulEvent)))
			hr = get_eid(d, &n->info.ext.cb, (LPENTRYID *)&n->info.ext.pbEventParameters);
		return hr;
	default:
		return mapix_proto_corrupt(d->c, "notification event type");
	}
}

HRESULT mapix_proto_get_notifs(MAPIXWIRECURSOR *c, ULONG *pn, LPNOTIFICATION *out)
{
	ULONG n;
	HRESULT hr = mapix_wire_get_u32(c, &n);
	*pn = 0;
	*out = NULL;
	if (FAILED(hr))
		return hr;
	/* A notification takes at least its event type and one more field. */
	if (n == 0 || (uint64_t)n * 8 > mapix_wire_cursor_left(c))
		return mapix_proto_corrupt(c, "notification count");
	dec d = {c, NULL};
	if (MAPIAllocateBuffer((ULONG)(n * sizeof(NOTIFICATION)), &d.root) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd protocol: out of memory");
	memset(d.root, 0, n * sizeof(NOTIFICATION));
	LPNOTIFICATION arr = d.root;
	for (ULONG i = 0; i < n; i++)
		if (FAILED(hr = get_one(&d, &arr[i]))) {
			MAPIFreeBuffer(d.root);
			return hr;
		}
	*pn = n;
	*out = arr;
	return S_OK;
}
