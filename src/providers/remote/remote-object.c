/*
 * remote-object.c — the proxy object of the remote store provider and its
 * IMAPIProp, shared by every kind (store, folder, message, attachment), as
 * local-object.c is for the local store. A proxy is a handle on the
 * server; the server object holds the state, so a message's unsaved
 * changes live there until SaveChanges.
 *
 * Releasing the last reference sends a one-way release of the handle and
 * drops the logon reference; the last object of a logon closes it, so
 * objects may outlive the store object, as with the local store.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))

static const struct {
	BYTE kind;
	const void *vtbl;
	ULONG obj_type;
} kinds[] = {
	{MPX_OBJ_STORE, &remote_store_vtbl, MAPI_STORE},     {MPX_OBJ_FOLDER, &remote_folder_vtbl, MAPI_FOLDER},
	{MPX_OBJ_MESSAGE, &remote_message_vtbl, MAPI_MESSAGE}, {MPX_OBJ_ATTACH, &remote_attach_vtbl, MAPI_ATTACH},
	{MPX_OBJ_TABLE, &remote_table_vtbl, 0},              {MPX_OBJ_STREAM, &remote_stream_vtbl, 0},
	{MPX_OBJ_JOURNAL, &remote_journal_vtbl, 0},
};

HRESULT remote_obj_new(remote_logon *logon, BYTE kind, uint32_t handle, remote_obj **out)
{
	*out = NULL;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (kinds[i].kind != kind)
			continue;
		remote_obj *o = calloc(1, sizeof *o);
		if (!o)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "remote store: out of memory");
		o->lpVtbl = kinds[i].vtbl;
		atomic_init(&o->refs, 1);
		o->logon = logon;
		remote_logon_ref(logon);
		pthread_mutex_lock(&logon->revive_lock);
		o->conn = logon->conn;
		remote_conn_ref(o->conn);
		pthread_mutex_unlock(&logon->revive_lock);
		o->handle = handle;
		o->kind = kind;
		o->obj_type = kinds[i].obj_type;
		*out = o;
		return S_OK;
	}
	return mapix_error(MAPI_E_CALL_FAILED, "remote store: the server returned an object of unknown kind %u",
	                   (unsigned)kind);
}

BOOL remote_obj_is_proxy(const void *obj)
{
	if (!obj)
		return FALSE;
	const void *vtbl = *(const void *const *)obj;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].vtbl == vtbl)
			return TRUE;
	return FALSE;
}

uint32_t remote_obj_handle_of(remote_conn *conn, const void *obj)
{
	return remote_obj_is_proxy(obj) && OBJ(obj)->conn == conn ? OBJ(obj)->handle : 0;
}

void remote_obj_begin(rcall *c, remote_obj *o, uint32_t op)
{
	remote_logon *l = o->logon;
	HRESULT hr = remote_conn_alive(o->conn) ? S_OK : remote_logon_revive(l, "remote store");
	/* A revive swaps the handle and connection of the store and of advised
	 * tables together. */
	pthread_mutex_lock(&l->revive_lock);
	rc_begin(c, o->conn, o->handle, op);
	pthread_mutex_unlock(&l->revive_lock);
	if (FAILED(hr))
		c->enc = hr;
}

/* The interfaces each kind answers QueryInterface for. */
static BOOL kind_has(BYTE kind, REFIID riid)
{
	if (IsEqualIID(riid, &IID_IUnknown))
		return TRUE;
	switch (kind) {
	case MPX_OBJ_STORE:
		return IsEqualIID(riid, &IID_IMAPIProp) || IsEqualIID(riid, &IID_IMsgStore);
	case MPX_OBJ_FOLDER:
		return IsEqualIID(riid, &IID_IMAPIProp) || IsEqualIID(riid, &IID_IMAPIContainer) ||
		       IsEqualIID(riid, &IID_IMAPIFolder);
	case MPX_OBJ_MESSAGE:
		return IsEqualIID(riid, &IID_IMAPIProp) || IsEqualIID(riid, &IID_IMessage);
	case MPX_OBJ_ATTACH:
		return IsEqualIID(riid, &IID_IMAPIProp) || IsEqualIID(riid, &IID_IAttachment);
	case MPX_OBJ_TABLE:
		return IsEqualIID(riid, &IID_IMAPITable);
	case MPX_OBJ_STREAM:
		return IsEqualIID(riid, &IID_IStream) || IsEqualIID(riid, &IID_ISequentialStream);
	case MPX_OBJ_JOURNAL:
		return IsEqualIID(riid, &IID_IMAPIXChangeJournal);
	}
	return FALSE;
}

HRESULT remote_obj_from_reply(rcall *c, remote_logon *logon, LPCIID lpiid, LPUNKNOWN *out)
{
	BYTE kind;
	ULONG handle;
	remote_obj *o;
	*out = NULL;
	if (FAILED(mapix_wire_get_u8(&c->out, &kind)) || FAILED(mapix_wire_get_u32(&c->out, &handle)) || !handle)
		return rc_bad_reply(c, "remote store");
	/* The store's own entry ID opens the store object itself. */
	if (kind == MPX_OBJ_STORE && logon->store) {
		remote_conn_release_handle(c->conn, handle);
		remote_prop_AddRef(logon->store);
		*out = (LPUNKNOWN)logon->store;
		return S_OK;
	}
	HRESULT hr = remote_obj_new(logon, kind, handle, &o);
	if (FAILED(hr)) {
		remote_conn_release_handle(c->conn, handle);
		return hr;
	}
	if (lpiid && !kind_has(kind, lpiid)) {
		remote_prop_Release(o);
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "remote store: the object has no such interface");
	}
	*out = (LPUNKNOWN)o;
	return S_OK;
}

/* ---- IUnknown ------------------------------------------------------------------------------ */

HRESULT remote_prop_QueryInterface(void *This, REFIID riid, LPVOID *ppvObj)
{
	remote_obj *o = OBJ(This);
	if (!ppvObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryInterface: ppvObj is NULL");
	*ppvObj = NULL;
	if (!riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "QueryInterface: riid is NULL");
	if (o->kind == MPX_OBJ_STORE && IsEqualIID(riid, &IID_IMAPIXChangeJournal)) {
		rcall c;
		RC_OBJ(&c, o, MPX_OP_STORE_JOURNAL);
		HRESULT hr = rc_run(&c, "QueryInterface(IMAPIXChangeJournal)");
		if (SUCCEEDED(hr))
			hr = remote_obj_from_reply(&c, o->logon, riid, (LPUNKNOWN *)ppvObj);
		rc_end(&c);
		return hr;
	}
	if (o->kind == MPX_OBJ_STORE && IsEqualIID(riid, &IID_IExchangeManageStore))
		return remote_manage_new(o, ppvObj);
	if (!kind_has(o->kind, riid))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&o->refs, 1);
	*ppvObj = o;
	return S_OK;
}

ULONG remote_prop_AddRef(void *This)
{
	return (ULONG)atomic_fetch_add(&OBJ(This)->refs, 1) + 1;
}

ULONG remote_prop_Release(void *This)
{
	remote_obj *o = OBJ(This);
	ULONG left = (ULONG)atomic_fetch_sub(&o->refs, 1) - 1;
	if (left)
		return left;
	if (o->kind == MPX_OBJ_TABLE)
		remote_table_destroy(o);
	else if (o->kind == MPX_OBJ_STORE)
		remote_store_destroy(o);
	remote_logon *logon = o->logon;
	if (logon->store == o)
		logon->store = NULL;
	remote_conn_release_handle(o->conn, o->handle);
	remote_conn_unref(o->conn);
	free(o);
	remote_logon_unref(logon);
	return 0;
}

HRESULT remote_prop_GetLastError(void *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	(void)This;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetLastError: lppMAPIError is NULL");
	if (ulFlags & ~MAPI_UNICODE)
		return MAPI_E_UNKNOWN_FLAGS;
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix remote store", lppMAPIError);
}

/* ---- IMAPIProp ---------------------------------------------------------------------------------- */

HRESULT remote_prop_SaveChanges(void *This, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_SAVECHANGES);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "SaveChanges");
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_GetProps(void *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,
                             LPSPropValue *lppPropArray)
{
	if (!lpcValues || !lppPropArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetProps: NULL output pointer");
	*lpcValues = 0;
	*lppPropArray = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_GETPROPS);
	RC_PUT(&c, mapix_proto_put_tags(&c.req, lpPropTagArray));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetProps");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (FAILED(mapix_wire_get_props(&c.out, lpcValues, lppPropArray)) || FAILED(mapix_wire_get_end(&c.out))) {
			if (*lppPropArray)
				MAPIFreeBuffer(*lppPropArray);
			*lppPropArray = NULL;
			*lpcValues = 0;
			hr = rc_bad_reply(&c, "GetProps");
		} else {
			hr = keep;
		}
	}
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_GetPropList(void *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray)
{
	if (!lppPropTagArray)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetPropList: NULL output pointer");
	*lppPropTagArray = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_GETPROPLIST);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetPropList");
	if (SUCCEEDED(hr)) {
		BYTE present;
		if (FAILED(mapix_wire_get_u8(&c.out, &present)) || present != 1 ||
		    FAILED(mapix_wire_get_proptags(&c.out, lppPropTagArray)))
			hr = rc_bad_reply(&c, "GetPropList");
	}
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_OpenProperty(void *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, ULONG ulFlags,
                                 LPUNKNOWN *lppUnk)
{
	if (!lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenProperty: NULL output pointer");
	*lppUnk = NULL;
	/* A folder's ACL is an IExchangeModifyTable made here, which speaks
	 * the ACL operations of the protocol. */
	if (OBJ(This)->kind == MPX_OBJ_FOLDER && PROP_ID(ulPropTag) == PROP_ID(PR_ACL_TABLE)) {
		if (PROP_TYPE(ulPropTag) != PT_OBJECT)
			return mapix_error(MAPI_E_INVALID_TYPE, "OpenProperty: the ACL opens as PR_ACL_TABLE (PT_OBJECT)");
		return remote_acl_open(OBJ(This), lpiid, ulFlags, lppUnk);
	}
	rcall c;
	if (ulPropTag == PR_MAPIX_DIRECTORY_TABLE && OBJ(This)->kind == MPX_OBJ_STORE) {
		/* The server's directory: an operation of the connection. */
		if (!lpiid || !IsEqualIID(lpiid, &IID_IMAPITable))
			return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenProperty: the directory is an IMAPITable");
		rc_begin(&c, OBJ(This)->logon->conn, MAPIX_PROTO_CONN_HANDLE, MPX_OP_DIRECTORY_TABLE);
		RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags & MAPI_UNICODE));
		HRESULT hr = rc_run(&c, "GetDirectoryTable");
		if (SUCCEEDED(hr))
			hr = remote_obj_from_reply(&c, OBJ(This)->logon, &IID_IMAPITable, lppUnk);
		rc_end(&c);
		return hr;
	}
	RC_OBJ(&c, This, MPX_OP_OPENPROPERTY);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulPropTag));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpiid));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulInterfaceOptions));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "OpenProperty");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		hr = remote_obj_from_reply(&c, OBJ(This)->logon, NULL, lppUnk);
		if (SUCCEEDED(hr))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT read_problems(rcall *c, LPSPropProblemArray *lppProblems, HRESULT hr, const char *fn)
{
	LPSPropProblemArray p = NULL;
	if (FAILED(mapix_proto_get_problems(&c->out, &p)))
		return rc_bad_reply(c, fn);
	if (lppProblems)
		*lppProblems = p;
	else if (p)
		MAPIFreeBuffer(p);
	return hr;
}

HRESULT remote_prop_SetProps(void *This, ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems)
{
	if (lppProblems)
		*lppProblems = NULL;
	if (!lpPropArray && cValues)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "SetProps: NULL property array");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_SETPROPS);
	RC_PUT(&c, mapix_wire_put_props(&c.req, cValues, lpPropArray));
	RC_PUT(&c, mapix_wire_put_u8(&c.req, lppProblems != NULL));
	HRESULT hr = rc_run(&c, "SetProps");
	if (SUCCEEDED(hr))
		hr = read_problems(&c, lppProblems, hr, "SetProps");
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_DeleteProps(void *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems)
{
	if (lppProblems)
		*lppProblems = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_DELETEPROPS);
	RC_PUT(&c, mapix_proto_put_tags(&c.req, lpPropTagArray));
	RC_PUT(&c, mapix_wire_put_u8(&c.req, lppProblems != NULL));
	HRESULT hr = rc_run(&c, "DeleteProps");
	if (SUCCEEDED(hr))
		hr = read_problems(&c, lppProblems, hr, "DeleteProps");
	rc_end(&c);
	return hr;
}

/* The server handle of a copy's destination: a proxy on the same connection. */
static HRESULT dest_handle(void *This, LPVOID lpDestObj, const char *fn, uint32_t *h)
{
	*h = 0;
	if (!lpDestObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL destination", fn);
	*h = remote_obj_handle_of(OBJ(This)->conn, lpDestObj);
	if (!*h)
		return mapix_error(MAPI_E_NO_SUPPORT, "%s: the destination is not an object of the same mapixd connection",
		                   fn);
	return S_OK;
}

HRESULT remote_prop_CopyTo(void *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,
                           ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj,
                           ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	uint32_t dest;
	(void)ulUIParam, (void)lpProgress;
	if (lppProblems)
		*lppProblems = NULL;
	if (ciidExclude && !rgiidExclude)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CopyTo: NULL interface exclusion list");
	HRESULT hr = dest_handle(This, lpDestObj, "CopyTo", &dest);
	if (FAILED(hr))
		return hr;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_COPYTO);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ciidExclude));
	RC_PUT(&c, mapix_wire_put_bytes(&c.req, rgiidExclude, ciidExclude * sizeof(IID)));
	RC_PUT(&c, mapix_proto_put_tags(&c.req, lpExcludeProps));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dest));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_wire_put_u8(&c.req, lppProblems != NULL));
	hr = rc_run(&c, "CopyTo");
	if (SUCCEEDED(hr))
		hr = read_problems(&c, lppProblems, hr, "CopyTo");
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_CopyProps(void *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                              LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                              LPSPropProblemArray *lppProblems)
{
	uint32_t dest;
	(void)ulUIParam, (void)lpProgress;
	if (lppProblems)
		*lppProblems = NULL;
	HRESULT hr = dest_handle(This, lpDestObj, "CopyProps", &dest);
	if (FAILED(hr))
		return hr;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_COPYPROPS);
	RC_PUT(&c, mapix_proto_put_tags(&c.req, lpIncludeProps));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dest));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	RC_PUT(&c, mapix_wire_put_u8(&c.req, lppProblems != NULL));
	hr = rc_run(&c, "CopyProps");
	if (SUCCEEDED(hr))
		hr = read_problems(&c, lppProblems, hr, "CopyProps");
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_GetNamesFromIDs(void *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags,
                                    ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)
{
	if (!lppPropTags || !lpcPropNames || !lpppPropNames)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetNamesFromIDs: NULL argument");
	*lpcPropNames = 0;
	*lpppPropNames = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_GETNAMESFROMIDS);
	RC_PUT(&c, mapix_proto_put_tags(&c.req, *lppPropTags));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpPropSetGuid));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetNamesFromIDs");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		BYTE present;
		LPSPropTagArray tags = NULL;
		if (FAILED(mapix_wire_get_u8(&c.out, &present)) || present > 1 ||
		    (present && FAILED(mapix_wire_get_proptags(&c.out, &tags))) ||
		    FAILED(mapix_proto_get_names(&c.out, NULL, lpcPropNames, lpppPropNames))) {
			if (tags)
				MAPIFreeBuffer(tags);
			hr = rc_bad_reply(&c, "GetNamesFromIDs");
		} else {
			/* The caller's array came back as it was sent; a new one
			 * (all names) is handed over. */
			if (!*lppPropTags)
				*lppPropTags = tags;
			else if (tags)
				MAPIFreeBuffer(tags);
			hr = keep;
		}
	}
	rc_end(&c);
	return hr;
}

HRESULT remote_prop_GetIDsFromNames(void *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                    LPSPropTagArray *lppPropTags)
{
	if (!lppPropTags)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetIDsFromNames: NULL output pointer");
	*lppPropTags = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_GETIDSFROMNAMES);
	RC_PUT(&c, mapix_wire_put_u8(&c.req, lppPropNames != NULL));
	RC_PUT(&c, mapix_proto_put_names(&c.req, lppPropNames ? cPropNames : 0, lppPropNames));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetIDsFromNames");
	if (SUCCEEDED(hr)) {
		BYTE present;
		HRESULT keep = hr;
		if (FAILED(mapix_wire_get_u8(&c.out, &present)) || present != 1 ||
		    FAILED(mapix_wire_get_proptags(&c.out, lppPropTags)))
			hr = rc_bad_reply(&c, "GetIDsFromNames");
		else
			hr = keep;
	}
	rc_end(&c);
	return hr;
}
