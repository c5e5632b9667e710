/*
 * support.c — the IMAPISupport object the subsystem hands to a provider at
 * logon: its allocators, its own profile section (and others of the same
 * profile), notifications through the instance's engine, unique ids, and
 * entry ID comparison. What needs a UI, a transport or an address book is
 * MAPI_E_NO_SUPPORT.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/notify.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/session.h"

typedef struct support {
	IMAPISupport iface;
	atomic_ulong refs;
	mapix_instance *inst;
	char *profile_dir;
	char *profile;
	MAPIUID provider_uid;
} support;

#define SUP(This) ((support *)(This))

static HRESULT sup_QueryInterface(IMAPISupport *This, REFIID riid, LPVOID *ppv)
{
	if (!ppv)
		return MAPI_E_INVALID_PARAMETER;
	*ppv = NULL;
	if (!riid || (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPISup)))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&SUP(This)->refs, 1);
	*ppv = This;
	return S_OK;
}

static ULONG sup_AddRef(IMAPISupport *This)
{
	return (ULONG)atomic_fetch_add(&SUP(This)->refs, 1) + 1;
}

static ULONG sup_Release(IMAPISupport *This)
{
	support *s = SUP(This);
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (left)
		return left;
	free(s->profile_dir);
	free(s->profile);
	mapix_instance_release(s->inst);
	free(s);
	return 0;
}

static HRESULT sup_GetLastError(IMAPISupport *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	return mapix_error_to_mapierror(hResult, ulFlags, "MAPI support", lppMAPIError);
}

static HRESULT sup_GetMemAllocRoutines(IMAPISupport *This, LPALLOCATEBUFFER *lpAllocateBuffer,
                                       LPALLOCATEMORE *lpAllocateMore, LPFREEBUFFER *lpFreeBuffer)
{
	if (lpAllocateBuffer)
		*lpAllocateBuffer = MAPIAllocateBuffer;
	if (lpAllocateMore)
		*lpAllocateMore = MAPIAllocateMore;
	if (lpFreeBuffer)
		*lpFreeBuffer = MAPIFreeBuffer;
	return S_OK;
}

static HRESULT sup_Subscribe(IMAPISupport *This, LPNOTIFKEY lpKey, ULONG ulEventMask, ULONG ulFlags,
                             LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
	return mapix_notify_subscribe(SUP(This)->inst, lpKey, ulEventMask, lpAdviseSink, lpulConnection);
}

static HRESULT sup_Unsubscribe(IMAPISupport *This, ULONG_PTR ulConnection)
{
	return mapix_notify_unsubscribe(SUP(This)->inst, ulConnection);
}

static HRESULT sup_Notify(IMAPISupport *This, LPNOTIFKEY lpKey, ULONG cNotification, LPNOTIFICATION lpNotifications,
                          ULONG *lpulFlags)
{
	if (lpulFlags)
		*lpulFlags = 0;
	return mapix_notify_post(SUP(This)->inst, lpKey, cNotification, lpNotifications);
}

static HRESULT sup_OpenProfileSection(IMAPISupport *This, LPMAPIUID lpUid, ULONG ulFlags, LPPROFSECT *lppProfileObj)
{
	support *s = SUP(This);
	return mapix_profsect_create(s->inst, s->profile_dir, s->profile, lpUid ? lpUid : &s->provider_uid, ulFlags,
	                             lppProfileObj);
}

static HRESULT sup_NewUID(IMAPISupport *This, LPMAPIUID lpMuid)
{
	if (!lpMuid)
		return MAPI_E_INVALID_PARAMETER;
	return mapix_profile_new_uid(lpMuid);
}

static HRESULT sup_SetProviderUID(IMAPISupport *This, LPMAPIUID lpProviderID, ULONG ulFlags)
{
	return S_OK; /* routing uses the stores' record keys (session.c) */
}

static HRESULT sup_CompareEntryIDs(IMAPISupport *This, ULONG cb1, LPENTRYID e1, ULONG cb2, LPENTRYID e2,
                                   ULONG ulFlags, ULONG *lpulResult)
{
	if (!lpulResult)
		return MAPI_E_INVALID_PARAMETER;
	*lpulResult = cb1 == cb2 && e1 && e2 && memcmp(e1, e2, cb1) == 0;
	return S_OK;
}

#define NO_SUPPORT(name, ...)                                                                  \
	static HRESULT sup_##name(IMAPISupport *This, __VA_ARGS__)                                 \
	{                                                                                          \
		return mapix_error(MAPI_E_NO_SUPPORT, "IMAPISupport::" #name " is not available"); \
	}

NO_SUPPORT(ModifyStatusRow, ULONG a, LPSPropValue b, ULONG c)
NO_SUPPORT(RegisterPreprocessor, LPMAPIUID a, LPTSTR b, LPTSTR c, LPSTR d, LPSTR e, ULONG f)
NO_SUPPORT(MakeInvalid, ULONG a, LPVOID b, ULONG c, ULONG d)
NO_SUPPORT(SpoolerYield, ULONG a)
NO_SUPPORT(SpoolerNotify, ULONG a, LPVOID b)
NO_SUPPORT(CreateOneOff, LPTSTR a, LPTSTR b, LPTSTR c, ULONG d, ULONG *e, LPENTRYID *f)
NO_SUPPORT(OpenTemplateID, ULONG a, LPENTRYID b, ULONG c, LPMAPIPROP d, LPCIID e, LPMAPIPROP *f, LPMAPIPROP g)
NO_SUPPORT(OpenEntry, ULONG a, LPENTRYID b, LPCIID c, ULONG d, ULONG *e, LPUNKNOWN *f)
NO_SUPPORT(GetOneOffTable, ULONG a, LPMAPITABLE *b)
NO_SUPPORT(Address, ULONG_PTR *a, LPVOID b, LPADRLIST *c)
NO_SUPPORT(Details, ULONG_PTR *a, LPVOID b, LPVOID c, ULONG d, LPENTRYID e, LPVOID f, LPVOID g, LPTSTR h, ULONG i)
NO_SUPPORT(NewEntry, ULONG_PTR a, ULONG b, ULONG c, LPENTRYID d, ULONG e, LPENTRYID f, ULONG *g, LPENTRYID *h)
NO_SUPPORT(DoConfigPropsheet, ULONG_PTR a, ULONG b, LPTSTR c, LPMAPITABLE d, LPMAPIPROP e, ULONG f)
NO_SUPPORT(CopyMessages, LPCIID a, LPVOID b, LPENTRYLIST c, LPCIID d, LPVOID e, ULONG_PTR f, LPMAPIPROGRESS g, ULONG h)
NO_SUPPORT(CopyFolder, LPCIID a, LPVOID b, ULONG c, LPENTRYID d, LPCIID e, LPVOID f, LPTSTR g, ULONG_PTR h,
           LPMAPIPROGRESS i, ULONG j)
NO_SUPPORT(DoCopyTo, LPCIID a, LPVOID b, ULONG c, LPCIID d, LPSPropTagArray e, ULONG_PTR f, LPMAPIPROGRESS g,
           LPCIID h, LPVOID i, ULONG j, LPSPropProblemArray *k)
NO_SUPPORT(DoCopyProps, LPCIID a, LPVOID b, LPSPropTagArray c, ULONG_PTR d, LPMAPIPROGRESS e, LPCIID f, LPVOID g,
           ULONG h, LPSPropProblemArray *i)
NO_SUPPORT(DoProgressDialog, ULONG_PTR a, ULONG b, LPMAPIPROGRESS *c)
NO_SUPPORT(ReadReceipt, ULONG a, LPMESSAGE b, LPMESSAGE *c)
NO_SUPPORT(PrepareSubmit, LPMESSAGE a, ULONG *b)
NO_SUPPORT(ExpandRecips, LPMESSAGE a, ULONG *b)
NO_SUPPORT(UpdatePAB, ULONG a, LPMESSAGE b)
NO_SUPPORT(DoSentMail, ULONG a, LPMESSAGE b)
NO_SUPPORT(OpenAddressBook, LPCIID a, ULONG b, LPADRBOOK *c)
NO_SUPPORT(Preprocess, ULONG a, ULONG b, LPENTRYID c)
NO_SUPPORT(CompleteMsg, ULONG a, ULONG b, LPENTRYID c)
NO_SUPPORT(StoreLogoffTransports, ULONG *a)
NO_SUPPORT(StatusRecips, LPMESSAGE a, LPADRLIST b)
NO_SUPPORT(WrapStoreEntryID, ULONG a, LPENTRYID b, ULONG *c, LPENTRYID *d)
NO_SUPPORT(ModifyProfile, ULONG a)
NO_SUPPORT(IStorageFromStream, LPUNKNOWN a, LPCIID b, ULONG c, LPVOID *d)
NO_SUPPORT(GetSvcConfigSupportObj, ULONG a, LPMAPISUP *b)

static const IMAPISupportVtbl support_vtbl = {
	sup_QueryInterface, sup_AddRef, sup_Release, sup_GetLastError, sup_GetMemAllocRoutines, sup_Subscribe,
	sup_Unsubscribe, sup_Notify, sup_ModifyStatusRow, sup_OpenProfileSection, sup_RegisterPreprocessor, sup_NewUID,
	sup_MakeInvalid, sup_SpoolerYield, sup_SpoolerNotify, sup_CreateOneOff, sup_SetProviderUID, sup_CompareEntryIDs,
	sup_OpenTemplateID, sup_OpenEntry, sup_GetOneOffTable, sup_Address, sup_Details, sup_NewEntry,
	sup_DoConfigPropsheet, sup_CopyMessages, sup_CopyFolder, sup_DoCopyTo, sup_DoCopyProps, sup_DoProgressDialog,
	sup_ReadReceipt, sup_PrepareSubmit, sup_ExpandRecips, sup_UpdatePAB, sup_DoSentMail, sup_OpenAddressBook,
	sup_Preprocess, sup_CompleteMsg, sup_StoreLogoffTransports, sup_StatusRecips, sup_WrapStoreEntryID,
	sup_ModifyProfile, sup_IStorageFromStream, sup_GetSvcConfigSupportObj,
};

HRESULT mapix_support_create(mapix_instance *inst, const char *profile_dir, const char *profile,
                             const MAPIUID *provider_uid, LPMAPISUP *lppSup)
{
	support *s = calloc(1, sizeof *s);
	if (!s || !(s->profile_dir = strdup(profile_dir)) || !(s->profile = strdup(profile))) {
		if (s)
			free(s->profile_dir);
		free(s);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "support object: out of memory");
	}
	s->iface.lpVtbl = &support_vtbl;
	atomic_init(&s->refs, 1);
	s->inst = inst;
	mapix_instance_hold(inst);
	s->provider_uid = *provider_uid;
	*lppSup = &s->iface;
	return S_OK;
}
