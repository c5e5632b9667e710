/*
 * mime-memmsg.c — an IMessage (with IAttach children) held in memory: the
 * properties live in IPropData objects, recipients in a row list,
 * attachments in an array, embedded messages as nested memory messages.
 *
 * The converter itself never depends on it: it talks to any IMessage. The
 * memory message is the store-independent target for conversions that
 * must not touch a store (parsing a part of a bigger message, the fuzz
 * target, tests of the converter alone). CopyTo/CopyProps copy properties
 * only; SaveChanges keeps the state in memory.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"

/* The part shared by messages and attachments: the first member is the
 * vtable pointer, so an IMessage * or IAttach * is a memobj *. */
typedef struct memobj {
	const void *lpVtbl;
	atomic_uint refs;
	IPropData *pd;
	pthread_mutex_t lock;
	BOOL is_attach;
} memobj;

typedef struct memrow {
	ULONG cValues;
	LPSPropValue lpProps; /* one MAPIAllocateBuffer block */
} memrow;

typedef struct memattach memattach;

typedef struct memmsg {
	memobj base;
	memrow *rcpts;
	ULONG nrcpts, caprcpts, next_rowid;
	memattach **atts;
	ULONG natts, capatts, next_attnum;
} memmsg;

struct memattach {
	memobj base;
	ULONG num;
	memmsg *embedded; /* owned reference, or NULL */
};

#define OBJ(This) ((memobj *)(void *)(This))
#define PD(This) (OBJ(This)->pd)

static HRESULT memobj_init(memobj *o, const void *vtbl, BOOL is_attach)
{
	SCODE sc = CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &o->pd);
	if (sc != S_OK)
		return sc;
	o->lpVtbl = vtbl;
	atomic_init(&o->refs, 1);
	pthread_mutex_init(&o->lock, NULL);
	o->is_attach = is_attach;
	return S_OK;
}

static void memobj_fini(memobj *o)
{
	IPropData_Release(o->pd);
	pthread_mutex_destroy(&o->lock);
}

static void memmsg_destroy(memmsg *m);

static ULONG memobj_release(memobj *o)
{
	ULONG left = atomic_fetch_sub(&o->refs, 1) - 1;
	if (left == 0) {
		if (o->is_attach) {
			memattach *a = (memattach *)o;
			if (a->embedded)
				IMessage_Release((IMessage *)(void *)a->embedded);
			memobj_fini(o);
			free(a);
		} else {
			memmsg_destroy((memmsg *)o);
		}
	}
	return left;
}

/* ---- streams on properties ---------------------------------------------- */

typedef struct propstream_ctx {
	memobj *owner;
	ULONG tag;
} propstream_ctx;

static HRESULT propstream_commit(void *ctx, const BYTE *data, size_t len)
{
	propstream_ctx *c = ctx;
	SPropValue v = {.ulPropTag = c->tag};
	void *copy = NULL;
	HRESULT hr;

	if (len > 0x7FFFFFF0)
		return mapix_error(MAPI_E_TOO_BIG, "IStream::Commit: value too large for a memory message");
	if (MAPIAllocateBuffer((ULONG)len + 2, &copy) != S_OK)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IStream::Commit: out of memory");
	memcpy(copy, data, len);
	((BYTE *)copy)[len] = 0;
	((BYTE *)copy)[len + 1] = 0;
	switch (PROP_TYPE(c->tag)) {
	case PT_UNICODE: v.Value.lpszW = copy; break;
	case PT_STRING8: v.Value.lpszA = copy; break;
	default:
		v.Value.bin.cb = (ULONG)len;
		v.Value.bin.lpb = copy;
		break;
	}
	hr = IPropData_SetProps(c->owner->pd, 1, &v, NULL);
	MAPIFreeBuffer(copy);
	return hr;
}

static void propstream_release(void *ctx)
{
	propstream_ctx *c = ctx;
	memobj_release(c->owner);
	free(c);
}

static HRESULT open_prop_stream(memobj *o, ULONG tag, ULONG ulFlags, LPUNKNOWN *lppUnk)
{
	ULONG type = PROP_TYPE(tag);
	const void *data = "";
	size_t len = 0;
	LPSPropValue val = NULL;
	HRESULT hr;

	if (type != PT_BINARY && type != PT_UNICODE && type != PT_STRING8)
		return mapix_error(MAPI_E_NO_SUPPORT, "OpenProperty: IStream needs a string or binary property");
	if (!(ulFlags & MAPI_CREATE)) {
		SizedSPropTagArray(1, one) = {1, {tag}};
		ULONG n = 0;
		hr = IPropData_GetProps(o->pd, (LPSPropTagArray)&one, 0, &n, &val);
		if (FAILED(hr))
			return hr;
		if (n != 1 || PROP_TYPE(val->ulPropTag) == PT_ERROR) {
			MAPIFreeBuffer(val);
			return mapix_error(MAPI_E_NOT_FOUND, "OpenProperty: property 0x%08X not found", (unsigned)tag);
		}
		if (type == PT_UNICODE) {
			data = val->Value.lpszW;
			len = mapix_wcslen(val->Value.lpszW) * sizeof(WCHAR);
		} else if (type == PT_STRING8) {
			data = val->Value.lpszA;
			len = strlen(val->Value.lpszA);
		} else {
			data = val->Value.bin.lpb;
			len = val->Value.bin.cb;
		}
	}
	propstream_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		MAPIFreeBuffer(val);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "OpenProperty: out of memory");
	}
	c->owner = o;
	c->tag = tag;
	atomic_fetch_add(&o->refs, 1);
	LPSTREAM s = NULL;
	hr = mapix_mime_memstream_new(data, len, (ulFlags & (MAPI_MODIFY | MAPI_CREATE)) ? propstream_commit : NULL,
	                              propstream_release, c, &s);
	MAPIFreeBuffer(val);
	if (hr != S_OK) {
		propstream_release(c);
		return hr;
	}
	*lppUnk = (LPUNKNOWN)s;
	return S_OK;
}

static HRESULT memmsg_create(memmsg **out);

static HRESULT memobj_OpenProperty(memobj *o, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, ULONG ulFlags,
                                   LPUNKNOWN *lppUnk)
{
	if (!lpiid || !lppUnk)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenProperty: NULL interface or result");
	*lppUnk = NULL;
	if (IsEqualGUID(lpiid, &IID_IStream) || IsEqualGUID(lpiid, &IID_ISequentialStream))
		return open_prop_stream(o, ulPropTag, ulFlags, lppUnk);
	if (o->is_attach && PROP_ID(ulPropTag) == PROP_ID(PR_ATTACH_DATA_OBJ) && IsEqualGUID(lpiid, &IID_IMessage)) {
		memattach *a = (memattach *)o;
		HRESULT hr = S_OK;
		pthread_mutex_lock(&o->lock);
		if (!a->embedded) {
			if (ulFlags & MAPI_CREATE)
				hr = memmsg_create(&a->embedded);
			else
				hr = mapix_error(MAPI_E_NOT_FOUND, "OpenProperty: the attachment has no embedded message");
		}
		if (hr == S_OK) {
			atomic_fetch_add(&a->embedded->base.refs, 1);
			*lppUnk = (LPUNKNOWN)(void *)a->embedded;
		}
		pthread_mutex_unlock(&o->lock);
		return hr;
	}
	return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "OpenProperty: interface not supported on 0x%08X",
	                   (unsigned)ulPropTag);
}

/* ---- IMAPIProp methods shared by both objects ----------------------------- */

#define MEMOBJ_PROP_METHODS(T, P)                                                                                   \
	static ULONG P##_AddRef(T *This)                                                                             \
	{                                                                                                            \
		return atomic_fetch_add(&OBJ(This)->refs, 1) + 1;                                                    \
	}                                                                                                            \
	static ULONG P##_Release(T *This)                                                                            \
	{                                                                                                            \
		return memobj_release(OBJ(This));                                                                    \
	}                                                                                                            \
	static HRESULT P##_GetLastError(T *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)          \
	{                                                                                                            \
		return IPropData_GetLastError(PD(This), hResult, ulFlags, lppMAPIError);                             \
	}                                                                                                            \
	static HRESULT P##_SaveChanges(T *This, ULONG ulFlags)                                                       \
	{                                                                                                            \
		return S_OK;                                                                                         \
	}                                                                                                            \
	static HRESULT P##_GetProps(T *This, LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues,        \
	                            LPSPropValue *lppPropArray)                                                      \
	{                                                                                                            \
		return IPropData_GetProps(PD(This), lpPropTagArray, ulFlags, lpcValues, lppPropArray);               \
	}                                                                                                            \
	static HRESULT P##_GetPropList(T *This, ULONG ulFlags, LPSPropTagArray *lppPropTagArray)                     \
	{                                                                                                            \
		return IPropData_GetPropList(PD(This), ulFlags, lppPropTagArray);                                    \
	}                                                                                                            \
	static HRESULT P##_OpenProperty(T *This, ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions,            \
	                                ULONG ulFlags, LPUNKNOWN *lppUnk)                                            \
	{                                                                                                            \
		return memobj_OpenProperty(OBJ(This), ulPropTag, lpiid, ulInterfaceOptions, ulFlags, lppUnk);        \
	}                                                                                                            \
	static HRESULT P##_SetProps(T *This, ULONG cValues, LPSPropValue lpPropArray,                                \
	                            LPSPropProblemArray *lppProblems)                                                \
	{                                                                                                            \
		return IPropData_SetProps(PD(This), cValues, lpPropArray, lppProblems);                              \
	}                                                                                                            \
	static HRESULT P##_DeleteProps(T *This, LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems)    \
	{                                                                                                            \
		return IPropData_DeleteProps(PD(This), lpPropTagArray, lppProblems);                                 \
	}                                                                                                            \
	static HRESULT P##_CopyTo(T *This, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps,   \
	                          ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface,                \
	                          LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems)                 \
	{                                                                                                            \
		return IPropData_CopyTo(PD(This), ciidExclude, rgiidExclude, lpExcludeProps, ulUIParam, lpProgress,  \
		                        lpInterface, lpDestObj, ulFlags, lppProblems);                               \
	}                                                                                                            \
	static HRESULT P##_CopyProps(T *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,                   \
	                             LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags, \
	                             LPSPropProblemArray *lppProblems)                                               \
	{                                                                                                            \
		return IPropData_CopyProps(PD(This), lpIncludeProps, ulUIParam, lpProgress, lpInterface, lpDestObj,  \
		                           ulFlags, lppProblems);                                                    \
	}                                                                                                            \
	static HRESULT P##_GetNamesFromIDs(T *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid,              \
	                                   ULONG ulFlags, ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)         \
	{                                                                                                            \
		return IPropData_GetNamesFromIDs(PD(This), lppPropTags, lpPropSetGuid, ulFlags, lpcPropNames,        \
		                                 lpppPropNames);                                                     \
	}                                                                                                            \
	static HRESULT P##_GetIDsFromNames(T *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags,     \
	                                   LPSPropTagArray *lppPropTags)                                             \
	{                                                                                                            \
		return IPropData_GetIDsFromNames(PD(This), cPropNames, lppPropNames, ulFlags, lppPropTags);          \
	}

MEMOBJ_PROP_METHODS(IMessage, mm)
MEMOBJ_PROP_METHODS(IAttach, ma)

static HRESULT mm_QueryInterface(IMessage *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IMAPIProp) || IsEqualGUID(riid, &IID_IMessage)) {
		mm_AddRef(This);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static HRESULT ma_QueryInterface(IAttach *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj)
		return MAPI_E_INVALID_PARAMETER;
	if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IMAPIProp) ||
	    IsEqualGUID(riid, &IID_IAttachment)) {
		ma_AddRef(This);
		*ppvObj = This;
		return S_OK;
	}
	*ppvObj = NULL;
	return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

/* ---- tables --------------------------------------------------------------- */

static HRESULT make_view(ULONG index_tag, const SRow *rows, ULONG nrows, LPMAPITABLE *lppTable)
{
	LPTABLEDATA td = NULL;
	SizedSPropTagArray(1, cols) = {1, {index_tag}};
	HRESULT hr = CreateTable(NULL, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, TBLTYPE_SNAPSHOT,
	                         index_tag, (LPSPropTagArray)&cols, &td);
	if (hr != S_OK)
		return hr;
	for (ULONG i = 0; i < nrows && hr == S_OK; i++)
		hr = ITableData_HrModifyRow(td, (LPSRow)&rows[i]);
	if (hr == S_OK)
		hr = ITableData_HrGetView(td, NULL, NULL, 0, lppTable);
	ITableData_Release(td);
	return hr;
}

static HRESULT mm_GetRecipientTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	memmsg *m = (memmsg *)OBJ(This);
	SRow *rows;
	HRESULT hr;

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetRecipientTable: NULL result");
	pthread_mutex_lock(&m->base.lock);
	rows = calloc(m->nrcpts + 1, sizeof *rows);
	if (!rows) {
		pthread_mutex_unlock(&m->base.lock);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetRecipientTable: out of memory");
	}
	for (ULONG i = 0; i < m->nrcpts; i++) {
		rows[i].cValues = m->rcpts[i].cValues;
		rows[i].lpProps = m->rcpts[i].lpProps;
	}
	hr = make_view(PR_ROWID, rows, m->nrcpts, lppTable);
	pthread_mutex_unlock(&m->base.lock);
	free(rows);
	return hr;
}

static HRESULT mm_GetAttachmentTable(IMessage *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	memmsg *m = (memmsg *)OBJ(This);
	SRow *rows;
	HRESULT hr = S_OK;
	ULONG n = 0;

	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetAttachmentTable: NULL result");
	pthread_mutex_lock(&m->base.lock);
	rows = calloc(m->natts + 1, sizeof *rows);
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetAttachmentTable: out of memory");
	for (ULONG i = 0; hr == S_OK && i < m->natts; i++) {
		hr = IPropData_GetProps(m->atts[i]->base.pd, NULL, MAPI_UNICODE, &rows[i].cValues, &rows[i].lpProps);
		if (hr == S_OK)
			n++;
	}
	if (hr == S_OK)
		hr = make_view(PR_ATTACH_NUM, rows, n, lppTable);
	pthread_mutex_unlock(&m->base.lock);
	for (ULONG i = 0; rows && i < n; i++)
		MAPIFreeBuffer(rows[i].lpProps);
	free(rows);
	return hr;
}

/* ---- attachments ---------------------------------------------------------- */

static const IAttachVtbl memattach_vtbl;

static HRESULT mm_OpenAttach(IMessage *This, ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags,
                             LPATTACH *lppAttach)
{
	memmsg *m = (memmsg *)OBJ(This);
	HRESULT hr = MAPI_E_NOT_FOUND;

	if (!lppAttach)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "OpenAttach: NULL result");
	pthread_mutex_lock(&m->base.lock);
	for (ULONG i = 0; i < m->natts; i++) {
		if (m->atts[i]->num == ulAttachmentNum) {
			atomic_fetch_add(&m->atts[i]->base.refs, 1);
			*lppAttach = (LPATTACH)(void *)m->atts[i];
			hr = S_OK;
			break;
		}
	}
	pthread_mutex_unlock(&m->base.lock);
	if (hr != S_OK)
		return mapix_error(hr, "OpenAttach: no attachment %u", (unsigned)ulAttachmentNum);
	return S_OK;
}

static HRESULT mm_CreateAttach(IMessage *This, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum,
                               LPATTACH *lppAttach)
{
	memmsg *m = (memmsg *)OBJ(This);
	memattach *a;
	HRESULT hr;

	if (!lppAttach)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateAttach: NULL result");
	a = calloc(1, sizeof *a);
	if (!a)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateAttach: out of memory");
	if ((hr = memobj_init(&a->base, &memattach_vtbl, TRUE)) != S_OK) {
		free(a);
		return hr;
	}
	pthread_mutex_lock(&m->base.lock);
	if (m->natts == m->capatts) {
		ULONG cap = m->capatts ? m->capatts * 2 : 8;
		memattach **p = realloc(m->atts, cap * sizeof *p);
		if (!p) {
			pthread_mutex_unlock(&m->base.lock);
			memobj_release(&a->base);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "CreateAttach: out of memory");
		}
		m->atts = p;
		m->capatts = cap;
	}
	a->num = m->next_attnum++;
	m->atts[m->natts++] = a;
	pthread_mutex_unlock(&m->base.lock);
	SPropValue num = {.ulPropTag = PR_ATTACH_NUM, .Value.l = (LONG)a->num};
	IPropData_SetProps(a->base.pd, 1, &num, NULL);
	atomic_fetch_add(&a->base.refs, 1);
	if (lpulAttachmentNum)
		*lpulAttachmentNum = a->num;
	*lppAttach = (LPATTACH)(void *)a;
	return S_OK;
}

static HRESULT mm_DeleteAttach(IMessage *This, ULONG ulAttachmentNum, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
                               ULONG ulFlags)
{
	memmsg *m = (memmsg *)OBJ(This);
	memattach *gone = NULL;

	pthread_mutex_lock(&m->base.lock);
	for (ULONG i = 0; i < m->natts; i++) {
		if (m->atts[i]->num == ulAttachmentNum) {
			gone = m->atts[i];
			memmove(&m->atts[i], &m->atts[i + 1], (m->natts - i - 1) * sizeof *m->atts);
			m->natts--;
			break;
		}
	}
	pthread_mutex_unlock(&m->base.lock);
	if (!gone)
		return mapix_error(MAPI_E_NOT_FOUND, "DeleteAttach: no attachment %u", (unsigned)ulAttachmentNum);
	memobj_release(&gone->base);
	return S_OK;
}

/* ---- recipients ----------------------------------------------------------- */

static void clear_rcpts(memmsg *m)
{
	for (ULONG i = 0; i < m->nrcpts; i++)
		MAPIFreeBuffer(m->rcpts[i].lpProps);
	m->nrcpts = 0;
}

/* A copy of entry's values with PR_ROWID set to rowid. */
static HRESULT copy_row(const ADRENTRY *entry, ULONG rowid, memrow *out)
{
	ULONG n = 0;
	LPSPropValue tmp = calloc(entry->cValues + 1, sizeof *tmp);
	HRESULT hr;

	if (!tmp)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyRecipients: out of memory");
	for (ULONG i = 0; i < entry->cValues; i++) {
		ULONG t = entry->rgPropVals[i].ulPropTag;
		if (PROP_ID(t) == PROP_ID(PR_ROWID) || PROP_TYPE(t) == PT_ERROR || t == PR_NULL)
			continue;
		tmp[n++] = entry->rgPropVals[i];
	}
	tmp[n].ulPropTag = PR_ROWID;
	tmp[n].Value.l = (LONG)rowid;
	n++;
	hr = ScDupPropset((int)n, tmp, MAPIAllocateBuffer, &out->lpProps);
	free(tmp);
	if (hr == S_OK)
		out->cValues = n;
	return hr;
}

static HRESULT mm_ModifyRecipients(IMessage *This, ULONG ulFlags, LPADRLIST lpMods)
{
	memmsg *m = (memmsg *)OBJ(This);
	HRESULT hr = S_OK;

	if (!lpMods)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "ModifyRecipients: NULL list");
	pthread_mutex_lock(&m->base.lock);
	if (ulFlags == 0)
		clear_rcpts(m);
	for (ULONG i = 0; hr == S_OK && i < lpMods->cEntries; i++) {
		const ADRENTRY *e = &lpMods->aEntries[i];
		LPSPropValue rid = PpropFindProp(e->rgPropVals, e->cValues, PR_ROWID);
		ULONG found = m->nrcpts;
		if (rid) {
			for (found = 0; found < m->nrcpts; found++) {
				LPSPropValue r = PpropFindProp(m->rcpts[found].lpProps, m->rcpts[found].cValues, PR_ROWID);
				if (r && r->Value.l == rid->Value.l)
					break;
			}
		}
		if (ulFlags & MODRECIP_REMOVE) {
			if (found < m->nrcpts) {
				MAPIFreeBuffer(m->rcpts[found].lpProps);
				memmove(&m->rcpts[found], &m->rcpts[found + 1], (m->nrcpts - found - 1) * sizeof *m->rcpts);
				m->nrcpts--;
			}
			continue;
		}
		if ((ulFlags & MODRECIP_MODIFY) && found < m->nrcpts) {
			memrow row;
			if ((hr = copy_row(e, (ULONG)rid->Value.l, &row)) == S_OK) {
				MAPIFreeBuffer(m->rcpts[found].lpProps);
				m->rcpts[found] = row;
			}
			continue;
		}
		if (m->nrcpts == m->caprcpts) {
			ULONG cap = m->caprcpts ? m->caprcpts * 2 : 8;
			memrow *p = realloc(m->rcpts, cap * sizeof *p);
			if (!p) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ModifyRecipients: out of memory");
				break;
			}
			m->rcpts = p;
			m->caprcpts = cap;
		}
		if ((hr = copy_row(e, m->next_rowid, &m->rcpts[m->nrcpts])) == S_OK) {
			m->next_rowid++;
			m->nrcpts++;
		}
	}
	pthread_mutex_unlock(&m->base.lock);
	return hr;
}

static HRESULT mm_SubmitMessage(IMessage *This, ULONG ulFlags)
{
	return mapix_error(MAPI_E_NO_SUPPORT, "SubmitMessage: a memory message has no transport");
}

static HRESULT mm_SetReadFlag(IMessage *This, ULONG ulFlags)
{
	LPSPropValue v = NULL;
	ULONG flags = 0;

	if (HrGetOneProp((LPMAPIPROP)This, PR_MESSAGE_FLAGS, &v) == S_OK) {
		flags = (ULONG)v->Value.l;
		MAPIFreeBuffer(v);
	}
	if (ulFlags & CLEAR_READ_FLAG)
		flags &= ~MSGFLAG_READ;
	else
		flags |= MSGFLAG_READ;
	SPropValue nv = {.ulPropTag = PR_MESSAGE_FLAGS, .Value.l = (LONG)flags};
	return IPropData_SetProps(PD(This), 1, &nv, NULL);
}

static const IMessageVtbl memmsg_vtbl = {
	mm_QueryInterface,  mm_AddRef,           mm_Release,         mm_GetLastError,     mm_SaveChanges,
	mm_GetProps,        mm_GetPropList,      mm_OpenProperty,    mm_SetProps,         mm_DeleteProps,
	mm_CopyTo,          mm_CopyProps,        mm_GetNamesFromIDs, mm_GetIDsFromNames,  mm_GetAttachmentTable,
	mm_OpenAttach,      mm_CreateAttach,     mm_DeleteAttach,    mm_GetRecipientTable, mm_ModifyRecipients,
	mm_SubmitMessage,   mm_SetReadFlag,
};

static const IAttachVtbl memattach_vtbl = {
	ma_QueryInterface, ma_AddRef,    ma_Release,  ma_GetLastError,    ma_SaveChanges,     ma_GetProps,
	ma_GetPropList,    ma_OpenProperty, ma_SetProps, ma_DeleteProps, ma_CopyTo,          ma_CopyProps,
	ma_GetNamesFromIDs, ma_GetIDsFromNames,
};

static void memmsg_destroy(memmsg *m)
{
	clear_rcpts(m);
	free(m->rcpts);
	for (ULONG i = 0; i < m->natts; i++)
		memobj_release(&m->atts[i]->base);
	free(m->atts);
	memobj_fini(&m->base);
	free(m);
}

static HRESULT memmsg_create(memmsg **out)
{
	memmsg *m = calloc(1, sizeof *m);
	HRESULT hr;

	if (!m)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime_memmsg_new: out of memory");
	if ((hr = memobj_init(&m->base, &memmsg_vtbl, FALSE)) != S_OK) {
		free(m);
		return hr;
	}
	m->next_rowid = 0;
	*out = m;
	return S_OK;
}

HRESULT mapix_mime_memmsg_new(LPMESSAGE *lppMessage)
{
	memmsg *m = NULL;
	HRESULT hr;

	if (!lppMessage)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_mime_memmsg_new: NULL result");
	if ((hr = memmsg_create(&m)) != S_OK)
		return hr;
	*lppMessage = (LPMESSAGE)(void *)m;
	return S_OK;
}
