/*
 * standalone-support.c — the IMAPISupport a store provider gets when it is
 * used without the MAPI subsystem (MAPIXOpenLocalStore, the store tests).
 *
 * Providers only ever talk to MAPI through a support object, so giving
 * them a small one here lets a store run exactly as it will under the
 * subsystem, with no second code path in the provider. What it offers:
 *
 *  - the MAPI allocators (GetMemAllocRoutines) and NewUID;
 *  - the provider's profile section (OpenProfileSection with a NULL UID):
 *    an IPropData holding the values the caller gave, e.g. the mailbox
 *    path in PR_MAPIX_STORE_PATH;
 *  - notifications inside this process: Subscribe records an advise sink
 *    under a NOTIFKEY, Notify calls the sinks whose key and event mask
 *    match, synchronously, on the notifying thread, with no lock held (a
 *    sink may call back into the store or unsubscribe);
 *  - CompareEntryIDs by bytes (ignoring the flag bytes), the generic
 *    fallback the subsystem uses for entry IDs no provider claims.
 *
 * Everything else (address book, spooler, dialogs, profile edits) needs
 * the subsystem and answers MAPI_E_NO_SUPPORT.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "providers/standalone-support.h"

struct subscription {
	struct subscription *next;
	ULONG_PTR connection;
	ULONG event_mask;
	LPMAPIADVISESINK sink;
	ULONG key_cb;
	BYTE key[]; /* the NOTIFKEY's bytes */
};

typedef struct standalone_support {
	IMAPISupport itf; /* must stay first */
	atomic_ulong refs;
	LPPROPDATA section;
	MAPIUID section_uid;
	pthread_mutex_t lock; /* guards subs and next_connection */
	struct subscription *subs;
	ULONG_PTR next_connection;
} standalone_support;

#define SUP(This) ((standalone_support *)(This))

static HRESULT sup_QueryInterface(IMAPISupport *This, REFIID riid, LPVOID *ppvObj)
{
	if (!ppvObj || !riid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::QueryInterface: NULL argument");
	*ppvObj = NULL;
	if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IMAPISup))
		return MAPI_E_INTERFACE_NOT_SUPPORTED;
	atomic_fetch_add(&SUP(This)->refs, 1);
	*ppvObj = This;
	return S_OK;
}

static ULONG sup_AddRef(IMAPISupport *This)
{
	return (ULONG)atomic_fetch_add(&SUP(This)->refs, 1) + 1;
}

static ULONG sup_Release(IMAPISupport *This)
{
	standalone_support *s = SUP(This);
	ULONG left = (ULONG)atomic_fetch_sub(&s->refs, 1) - 1;
	if (left)
		return left;
	struct subscription *sub = s->subs;
	while (sub) {
		struct subscription *next = sub->next;
		IMAPIAdviseSink_Release(sub->sink);
		free(sub);
		sub = next;
	}
	if (s->section)
		IPropData_Release(s->section);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return 0;
}

static HRESULT sup_GetLastError(IMAPISupport *This, HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError)
{
	(void)This;
	if (!lppMAPIError)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::GetLastError: lppMAPIError is NULL");
	return mapix_error_to_mapierror(hResult, ulFlags, "mapix standalone support", lppMAPIError);
}

static HRESULT sup_GetMemAllocRoutines(IMAPISupport *This, LPALLOCATEBUFFER *lpAllocateBuffer,
                                       LPALLOCATEMORE *lpAllocateMore, LPFREEBUFFER *lpFreeBuffer)
{
	(void)This;
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
	standalone_support *s = SUP(This);
	(void)ulFlags; /* NOTIFY_SYNC: delivery here is always synchronous */
	if (!lpKey || !lpAdviseSink || !lpulConnection)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::Subscribe: NULL key, sink or connection");
	if (ulEventMask == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::Subscribe: empty event mask");
	struct subscription *sub = malloc(sizeof *sub + lpKey->cb);
	if (!sub)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPISupport::Subscribe: out of memory");
	sub->event_mask = ulEventMask;
	sub->sink = lpAdviseSink;
	sub->key_cb = lpKey->cb;
	memcpy(sub->key, lpKey->ab, lpKey->cb);
	IMAPIAdviseSink_AddRef(lpAdviseSink);
	pthread_mutex_lock(&s->lock);
	sub->connection = ++s->next_connection;
	sub->next = s->subs;
	s->subs = sub;
	pthread_mutex_unlock(&s->lock);
	*lpulConnection = sub->connection;
	return S_OK;
}

static HRESULT sup_Unsubscribe(IMAPISupport *This, ULONG_PTR ulConnection)
{
	standalone_support *s = SUP(This);
	struct subscription *found = NULL;
	pthread_mutex_lock(&s->lock);
	for (struct subscription **p = &s->subs; *p; p = &(*p)->next) {
		if ((*p)->connection == ulConnection) {
			found = *p;
			*p = found->next;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!found)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPISupport::Unsubscribe: no connection %lu",
		                   (unsigned long)ulConnection);
	IMAPIAdviseSink_Release(found->sink);
	free(found);
	return S_OK;
}

static HRESULT sup_Notify(IMAPISupport *This, LPNOTIFKEY lpKey, ULONG cNotification, LPNOTIFICATION lpNotifications,
                          ULONG *lpulFlags)
{
	standalone_support *s = SUP(This);
	struct target {
		LPMAPIADVISESINK sink;
		ULONG mask;
	} *targets = NULL;
	size_t n = 0, cap = 0;
	HRESULT hr = S_OK;

	if (lpulFlags)
		*lpulFlags = 0;
	if (!lpKey || (cNotification && !lpNotifications))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::Notify: NULL key or notifications");
	if (cNotification == 0)
		return S_OK;

	/* Take the matching sinks with a reference each, then call them with
	 * the lock released: a sink may subscribe, unsubscribe or notify. */
	pthread_mutex_lock(&s->lock);
	for (struct subscription *sub = s->subs; sub; sub = sub->next) {
		if (sub->key_cb != lpKey->cb || memcmp(sub->key, lpKey->ab, lpKey->cb) != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct target *bigger = realloc(targets, ncap * sizeof *bigger);
			if (!bigger) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPISupport::Notify: out of memory");
				break;
			}
			targets = bigger;
			cap = ncap;
		}
		targets[n].sink = sub->sink;
		targets[n].mask = sub->event_mask;
		IMAPIAdviseSink_AddRef(sub->sink);
		n++;
	}
	pthread_mutex_unlock(&s->lock);

	NOTIFICATION *batch = SUCCEEDED(hr) && n ? malloc(cNotification * sizeof *batch) : NULL;
	if (SUCCEEDED(hr) && n && !batch)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IMAPISupport::Notify: out of memory");
	for (size_t i = 0; i < n; i++) {
		ULONG m = 0;
		for (ULONG j = 0; batch && j < cNotification; j++)
			if (lpNotifications[j].ulEventType & targets[i].mask)
				batch[m++] = lpNotifications[j];
		if (m)
			IMAPIAdviseSink_OnNotify(targets[i].sink, m, batch);
		IMAPIAdviseSink_Release(targets[i].sink);
	}
	free(batch);
	free(targets);
	return hr;
}

static HRESULT sup_OpenProfileSection(IMAPISupport *This, LPMAPIUID lpUid, ULONG ulFlags, LPPROFSECT *lppProfileObj)
{
	standalone_support *s = SUP(This);
	(void)ulFlags;
	if (!lppProfileObj)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::OpenProfileSection: NULL result");
	*lppProfileObj = NULL;
	if (lpUid && memcmp(lpUid, &s->section_uid, sizeof s->section_uid) != 0)
		return mapix_error(MAPI_E_NOT_FOUND, "IMAPISupport::OpenProfileSection: no such section without a profile");
	IPropData_AddRef(s->section);
	/* An IPropData is an IMAPIProp, which is all a profile section adds
	 * nothing to. */
	*lppProfileObj = (LPPROFSECT)(void *)s->section;
	return S_OK;
}

static HRESULT sup_NewUID(IMAPISupport *This, LPMAPIUID lpMuid)
{
	(void)This;
	if (!lpMuid)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::NewUID: NULL result");
	BYTE b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return mapix_error(MAPI_E_CALL_FAILED, "IMAPISupport::NewUID: no random bytes");
	memcpy(lpMuid, b, sizeof b);
	return S_OK;
}

static HRESULT sup_CompareEntryIDs(IMAPISupport *This, ULONG cbEntry1, LPENTRYID lpEntry1, ULONG cbEntry2,
                                   LPENTRYID lpEntry2, ULONG ulCompareFlags, ULONG *lpulResult)
{
	(void)This, (void)ulCompareFlags;
	if (!lpulResult || !lpEntry1 || !lpEntry2)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IMAPISupport::CompareEntryIDs: NULL argument");
	if (cbEntry1 < 4 || cbEntry2 < 4)
		return mapix_error(MAPI_E_INVALID_ENTRYID, "IMAPISupport::CompareEntryIDs: entry ID shorter than its flags");
	/* The first four bytes are flags (long-term, short-term ...), not identity. */
	*lpulResult = cbEntry1 == cbEntry2 && memcmp((BYTE *)lpEntry1 + 4, (BYTE *)lpEntry2 + 4, cbEntry1 - 4) == 0;
	return S_OK;
}

/* The methods that need the subsystem. */
#define SUP_NO_SUPPORT(name, ...)                                                                        \
	static HRESULT sup_##name(IMAPISupport *This, __VA_ARGS__)                                           \
	{                                                                                                    \
		(void)This;                                                                                      \
		return mapix_error(MAPI_E_NO_SUPPORT, "IMAPISupport::" #name ": needs the MAPI subsystem");    \
	}

SUP_NO_SUPPORT(ModifyStatusRow, ULONG cValues, LPSPropValue lpColumnVals, ULONG ulFlags)
SUP_NO_SUPPORT(RegisterPreprocessor, LPMAPIUID lpMuid, LPTSTR lpszAdrType, LPTSTR lpszDLLName, LPSTR lpszPreprocess,
               LPSTR lpszRemovePreprocessInfo, ULONG ulFlags)
SUP_NO_SUPPORT(MakeInvalid, ULONG ulFlags, LPVOID lpObject, ULONG ulRefCount, ULONG cMethods)
SUP_NO_SUPPORT(SpoolerYield, ULONG ulFlags)
SUP_NO_SUPPORT(SpoolerNotify, ULONG ulFlags, LPVOID lpvData)
SUP_NO_SUPPORT(CreateOneOff, LPTSTR lpszName, LPTSTR lpszAdrType, LPTSTR lpszAddress, ULONG ulFlags,
               ULONG *lpcbEntryID, LPENTRYID *lppEntryID)
SUP_NO_SUPPORT(SetProviderUID, LPMAPIUID lpProviderID, ULONG ulFlags)
SUP_NO_SUPPORT(OpenTemplateID, ULONG cbTemplateID, LPENTRYID lpTemplateID, ULONG ulTemplateFlags,
               LPMAPIPROP lpMAPIPropData, LPCIID lpInterface, LPMAPIPROP *lppMAPIPropNew,
               LPMAPIPROP lpMAPIPropSibling)
SUP_NO_SUPPORT(OpenEntry, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulOpenFlags,
               ULONG *lpulObjType, LPUNKNOWN *lppUnk)
SUP_NO_SUPPORT(GetOneOffTable, ULONG ulFlags, LPMAPITABLE *lppTable)
SUP_NO_SUPPORT(Address, ULONG_PTR *lpulUIParam, LPVOID lpAdrParms, LPADRLIST *lppAdrList)
SUP_NO_SUPPORT(Details, ULONG_PTR *lpulUIParam, LPVOID lpfnDismiss, LPVOID lpvDismissContext, ULONG cbEntryID,
               LPENTRYID lpEntryID, LPVOID lpfButtonCallback, LPVOID lpvButtonContext, LPTSTR lpszButtonText,
               ULONG ulFlags)
SUP_NO_SUPPORT(NewEntry, ULONG_PTR ulUIParam, ULONG ulFlags, ULONG cbEIDContainer, LPENTRYID lpEIDContainer,
               ULONG cbEIDNewEntryTpl, LPENTRYID lpEIDNewEntryTpl, ULONG *lpcbEIDNewEntry,
               LPENTRYID *lppEIDNewEntry)
SUP_NO_SUPPORT(DoConfigPropsheet, ULONG_PTR ulUIParam, ULONG ulFlags, LPTSTR lpszTitle, LPMAPITABLE lpDisplayTable,
               LPMAPIPROP lpCOnfigData, ULONG ulTopPage)
SUP_NO_SUPPORT(CopyMessages, LPCIID lpSrcInterface, LPVOID lpSrcFolder, LPENTRYLIST lpMsgList,
               LPCIID lpDestInterface, LPVOID lpDestFolder, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
               ULONG ulFlags)
SUP_NO_SUPPORT(CopyFolder, LPCIID lpSrcInterface, LPVOID lpSrcFolder, ULONG cbEntryID, LPENTRYID lpEntryID,
               LPCIID lpDestInterface, LPVOID lpDestFolder, LPTSTR lpszNewFolderName, ULONG_PTR ulUIParam,
               LPMAPIPROGRESS lpProgress, ULONG ulFlags)
SUP_NO_SUPPORT(DoCopyTo, LPCIID lpSrcInterface, LPVOID lpSrcObj, ULONG ciidExclude, LPCIID rgiidExclude,
               LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
               LPCIID lpDestInterface, LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems)
SUP_NO_SUPPORT(DoCopyProps, LPCIID lpSrcInterface, LPVOID lpSrcObj, LPSPropTagArray lpIncludeProps,
               ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpDestInterface, LPVOID lpDestObj,
               ULONG ulFlags, LPSPropProblemArray *lppProblems)
SUP_NO_SUPPORT(DoProgressDialog, ULONG_PTR ulUIParam, ULONG ulFlags, LPMAPIPROGRESS *lppProgress)
SUP_NO_SUPPORT(ReadReceipt, ULONG ulFlags, LPMESSAGE lpReadMessage, LPMESSAGE *lppEmptyMessage)
SUP_NO_SUPPORT(PrepareSubmit, LPMESSAGE lpMessage, ULONG *lpulFlags)
SUP_NO_SUPPORT(ExpandRecips, LPMESSAGE lpMessage, ULONG *lpulFlags)
SUP_NO_SUPPORT(UpdatePAB, ULONG ulFlags, LPMESSAGE lpMessage)
SUP_NO_SUPPORT(DoSentMail, ULONG ulFlags, LPMESSAGE lpMessage)
SUP_NO_SUPPORT(OpenAddressBook, LPCIID lpInterface, ULONG ulFlags, LPADRBOOK *lppAdrBook)
SUP_NO_SUPPORT(Preprocess, ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID)
SUP_NO_SUPPORT(CompleteMsg, ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID)
SUP_NO_SUPPORT(StoreLogoffTransports, ULONG *lpulFlags)
SUP_NO_SUPPORT(StatusRecips, LPMESSAGE lpMessage, LPADRLIST lpRecipList)
SUP_NO_SUPPORT(WrapStoreEntryID, ULONG cbOrigEntry, LPENTRYID lpOrigEntry, ULONG *lpcbWrappedEntry,
               LPENTRYID *lppWrappedEntry)
SUP_NO_SUPPORT(ModifyProfile, ULONG ulFlags)
SUP_NO_SUPPORT(IStorageFromStream, LPUNKNOWN lpUnkIn, LPCIID lpInterface, ULONG ulFlags, LPVOID *lppStorageOut)
SUP_NO_SUPPORT(GetSvcConfigSupportObj, ULONG ulFlags, LPMAPISUP *lppSvcSupport)

static const IMAPISupportVtbl standalone_support_vtbl = {
	.QueryInterface = sup_QueryInterface,
	.AddRef = sup_AddRef,
	.Release = sup_Release,
	.GetLastError = sup_GetLastError,
	.GetMemAllocRoutines = sup_GetMemAllocRoutines,
	.Subscribe = sup_Subscribe,
	.Unsubscribe = sup_Unsubscribe,
	.Notify = sup_Notify,
	.ModifyStatusRow = sup_ModifyStatusRow,
	.OpenProfileSection = sup_OpenProfileSection,
	.RegisterPreprocessor = sup_RegisterPreprocessor,
	.NewUID = sup_NewUID,
	.MakeInvalid = sup_MakeInvalid,
	.SpoolerYield = sup_SpoolerYield,
	.SpoolerNotify = sup_SpoolerNotify,
	.CreateOneOff = sup_CreateOneOff,
	.SetProviderUID = sup_SetProviderUID,
	.CompareEntryIDs = sup_CompareEntryIDs,
	.OpenTemplateID = sup_OpenTemplateID,
	.OpenEntry = sup_OpenEntry,
	.GetOneOffTable = sup_GetOneOffTable,
	.Address = sup_Address,
	.Details = sup_Details,
	.NewEntry = sup_NewEntry,
	.DoConfigPropsheet = sup_DoConfigPropsheet,
	.CopyMessages = sup_CopyMessages,
	.CopyFolder = sup_CopyFolder,
	.DoCopyTo = sup_DoCopyTo,
	.DoCopyProps = sup_DoCopyProps,
	.DoProgressDialog = sup_DoProgressDialog,
	.ReadReceipt = sup_ReadReceipt,
	.PrepareSubmit = sup_PrepareSubmit,
	.ExpandRecips = sup_ExpandRecips,
	.UpdatePAB = sup_UpdatePAB,
	.DoSentMail = sup_DoSentMail,
	.OpenAddressBook = sup_OpenAddressBook,
	.Preprocess = sup_Preprocess,
	.CompleteMsg = sup_CompleteMsg,
	.StoreLogoffTransports = sup_StoreLogoffTransports,
	.StatusRecips = sup_StatusRecips,
	.WrapStoreEntryID = sup_WrapStoreEntryID,
	.ModifyProfile = sup_ModifyProfile,
	.IStorageFromStream = sup_IStorageFromStream,
	.GetSvcConfigSupportObj = sup_GetSvcConfigSupportObj,
};

HRESULT mapix_support_standalone_new(ULONG cProps, const SPropValue *lpProps, LPMAPISUP *lppSup)
{
	standalone_support *s;
	HRESULT hr;

	if (!lppSup || (cProps && !lpProps))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "standalone support: NULL argument");
	*lppSup = NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "standalone support: out of memory");
	s->itf.lpVtbl = &standalone_support_vtbl;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	if (FAILED(hr = sup_NewUID(&s->itf, &s->section_uid)))
		goto fail;
	hr = CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &s->section);
	if (FAILED(hr))
		goto fail;
	if (cProps) {
		LPSPropProblemArray problems = NULL;
		hr = IPropData_SetProps(s->section, cProps, (LPSPropValue)lpProps, &problems);
		if (SUCCEEDED(hr) && problems) {
			hr = mapix_error(problems->aProblem[0].scode,
			                 "standalone support: profile section property 0x%08X refused",
			                 (unsigned)problems->aProblem[0].ulPropTag);
			MAPIFreeBuffer(problems);
		}
		if (FAILED(hr))
			goto fail;
	}
	*lppSup = &s->itf;
	return S_OK;
fail:
	sup_Release(&s->itf);
	return hr;
}
