/*
 * notify_copy.c — deep copies of NOTIFICATION arrays, so that a provider's
 * notifications can be queued and delivered later on another thread.
 */
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/notify.h"

static HRESULT copy_bytes(LPVOID root, const void *src, ULONG cb, void **dst)
{
	*dst = NULL;
	if (!src || !cb)
		return S_OK;
	HRESULT hr = MAPIAllocateMore(cb, root, dst);
	if (SUCCEEDED(hr))
		memcpy(*dst, src, cb);
	return hr;
}

#define COPY_EID(root, cb, field) copy_bytes(root, field, cb, (void **)&field)

static HRESULT copy_props(LPVOID root, ULONG n, LPSPropValue *props)
{
	LPSPropValue src = *props, dst;
	if (!src || !n)
		return S_OK;
	HRESULT hr = MAPIAllocateMore(n * (ULONG)sizeof(SPropValue), root, (LPVOID *)&dst);
	for (ULONG i = 0; SUCCEEDED(hr) && i < n; i++)
		hr = PropCopyMore(&dst[i], &src[i], MAPIAllocateMore, root);
	if (SUCCEEDED(hr))
		*props = dst;
	return hr;
}

static HRESULT copy_string(LPVOID root, LPTSTR *s, BOOL wide)
{
	if (!*s)
		return S_OK;
	size_t n = wide ? (mapix_wcslen((const WCHAR *)*s) + 1) * sizeof(WCHAR) : strlen((const char *)*s) + 1;
	return copy_bytes(root, *s, (ULONG)n, (void **)s);
}

static HRESULT copy_one(LPVOID root, NOTIFICATION *n)
{
	HRESULT hr = S_OK;
	switch (n->ulEventType) {
	case fnevCriticalError: {
		ERROR_NOTIFICATION *e = &n->info.err;
		hr = COPY_EID(root, e->cbEntryID, e->lpEntryID);
		if (SUCCEEDED(hr) && e->lpMAPIError) {
			BOOL wide = (e->ulFlags & MAPI_UNICODE) != 0;
			hr = copy_bytes(root, e->lpMAPIError, sizeof(MAPIERROR), (void **)&e->lpMAPIError);
			if (SUCCEEDED(hr))
				hr = copy_string(root, &e->lpMAPIError->lpszError, wide);
			if (SUCCEEDED(hr))
				hr = copy_string(root, &e->lpMAPIError->lpszComponent, wide);
		}
		break;
	}
	case fnevNewMail: {
		NEWMAIL_NOTIFICATION *m = &n->info.newmail;
		hr = COPY_EID(root, m->cbEntryID, m->lpEntryID);
		if (SUCCEEDED(hr))
			hr = COPY_EID(root, m->cbParentID, m->lpParentID);
		if (SUCCEEDED(hr))
			hr = copy_string(root, &m->lpszMessageClass, (m->ulFlags & MAPI_UNICODE) != 0);
		break;
	}
	case fnevObjectCreated:
	case fnevObjectDeleted:
	case fnevObjectModified:
	case fnevObjectMoved:
	case fnevObjectCopied:
	case fnevSearchComplete: {
		OBJECT_NOTIFICATION *o = &n->info.obj;
		hr = COPY_EID(root, o->cbEntryID, o->lpEntryID);
		if (SUCCEEDED(hr))
			hr = COPY_EID(root, o->cbParentID, o->lpParentID);
		if (SUCCEEDED(hr))
			hr = COPY_EID(root, o->cbOldID, o->lpOldID);
		if (SUCCEEDED(hr))
			hr = COPY_EID(root, o->cbOldParentID, o->lpOldParentID);
		if (SUCCEEDED(hr) && o->lpPropTagArray)
			hr = copy_bytes(root, o->lpPropTagArray, (ULONG)CbSPropTagArray(o->lpPropTagArray),
			                (void **)&o->lpPropTagArray);
		break;
	}
	case fnevTableModified: {
		TABLE_NOTIFICATION *t = &n->info.tab;
		SPropValue idx = t->propIndex, prior = t->propPrior;
		hr = PropCopyMore(&t->propIndex, &idx, MAPIAllocateMore, root);
		if (SUCCEEDED(hr))
			hr = PropCopyMore(&t->propPrior, &prior, MAPIAllocateMore, root);
		if (SUCCEEDED(hr))
			hr = copy_props(root, t->row.cValues, &t->row.lpProps);
		break;
	}
	case fnevStatusObjectModified: {
		STATUS_OBJECT_NOTIFICATION *s = &n->info.statobj;
		hr = COPY_EID(root, s->cbEntryID, s->lpEntryID);
		if (SUCCEEDED(hr))
			hr = copy_props(root, s->cValues, &s->lpPropVals);
		break;
	}
	case fnevExtended:
		hr = copy_bytes(root, n->info.ext.pbEventParameters, n->info.ext.cb, (void **)&n->info.ext.pbEventParameters);
		break;
	default:
		hr = mapix_error(MAPI_E_INVALID_PARAMETER, "notification: unknown event type 0x%08X",
		                 (unsigned)n->ulEventType);
	}
	return hr;
}

HRESULT mapix_notification_dup(ULONG cNotification, const NOTIFICATION *lpNotifications, LPNOTIFICATION *lppCopy)
{
	LPNOTIFICATION copy;
	if (!cNotification || !lpNotifications)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "notification: nothing to copy");
	HRESULT hr = MAPIAllocateBuffer(cNotification * (ULONG)sizeof(NOTIFICATION), (LPVOID *)&copy);
	if (FAILED(hr))
		return hr;
	memcpy(copy, lpNotifications, cNotification * sizeof(NOTIFICATION));
	for (ULONG i = 0; SUCCEEDED(hr) && i < cNotification; i++)
		hr = copy_one(copy, &copy[i]);
	if (FAILED(hr)) {
		MAPIFreeBuffer(copy);
		return hr;
	}
	*lppCopy = copy;
	return S_OK;
}
