#!/usr/bin/env python3
"""Generates the COM-style interface headers of mapix from one table.

Each interface becomes: a struct whose only member is lpVtbl, a vtable struct
with the methods of every base interface first (Windows declaration order),
the LP* pointer typedef, and one call macro per method, e.g.
IMAPIProp_GetProps(obj, tags, flags, &count, &vals).

Run from the repository root after editing the table:
    python3 scripts/gen-interfaces.py
The generated headers are committed; the build does not need Python.
"""
import os

# (header, [interfaces]) ; interface = (name, base, pointer typedefs, [(ret, method, params)])
GROUPS = {}

def iface(header, name, base, ptrs, methods):
    GROUPS.setdefault(header, []).append((name, base, ptrs, methods))

H = 'objidl.h'
iface(H, 'IUnknown', None, ['LPUNKNOWN'], [
    ('HRESULT', 'QueryInterface', 'REFIID riid, LPVOID *ppvObj'),
    ('ULONG', 'AddRef', ''),
    ('ULONG', 'Release', ''),
])
iface(H, 'IMalloc', 'IUnknown', ['LPMALLOC'], [
    ('LPVOID', 'Alloc', 'size_t cb'),
    ('LPVOID', 'Realloc', 'LPVOID pv, size_t cb'),
    ('void', 'Free', 'LPVOID pv'),
    ('size_t', 'GetSize', 'LPVOID pv'),
    ('int', 'DidAlloc', 'LPVOID pv'),
    ('void', 'HeapMinimize', ''),
])
iface(H, 'ISequentialStream', 'IUnknown', ['LPSEQUENTIALSTREAM'], [
    ('HRESULT', 'Read', 'void *pv, ULONG cb, ULONG *pcbRead'),
    ('HRESULT', 'Write', 'const void *pv, ULONG cb, ULONG *pcbWritten'),
])
iface(H, 'IStream', 'ISequentialStream', ['LPSTREAM'], [
    ('HRESULT', 'Seek', 'LARGE_INTEGER dlibMove, DWORD dwOrigin, ULARGE_INTEGER *plibNewPosition'),
    ('HRESULT', 'SetSize', 'ULARGE_INTEGER libNewSize'),
    ('HRESULT', 'CopyTo', 'IStream *pstm, ULARGE_INTEGER cb, ULARGE_INTEGER *pcbRead, ULARGE_INTEGER *pcbWritten'),
    ('HRESULT', 'Commit', 'DWORD grfCommitFlags'),
    ('HRESULT', 'Revert', ''),
    ('HRESULT', 'LockRegion', 'ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType'),
    ('HRESULT', 'UnlockRegion', 'ULARGE_INTEGER libOffset, ULARGE_INTEGER cb, DWORD dwLockType'),
    ('HRESULT', 'Stat', 'STATSTG *pstatstg, DWORD grfStatFlag'),
    ('HRESULT', 'Clone', 'IStream **ppstm'),
])

H = 'mapiinterfaces.h'
iface(H, 'IMAPIAdviseSink', 'IUnknown', ['LPMAPIADVISESINK'], [
    ('ULONG', 'OnNotify', 'ULONG cNotif, LPNOTIFICATION lpNotifications'),
])
iface(H, 'IMAPIProgress', 'IUnknown', ['LPMAPIPROGRESS'], [
    ('HRESULT', 'Progress', 'ULONG ulValue, ULONG ulCount, ULONG ulTotal'),
    ('HRESULT', 'GetFlags', 'ULONG *lpulFlags'),
    ('HRESULT', 'GetMax', 'ULONG *lpulMax'),
    ('HRESULT', 'GetMin', 'ULONG *lpulMin'),
    ('HRESULT', 'SetLimits', 'ULONG *lpulMin, ULONG *lpulMax, ULONG *lpulFlags'),
])
iface(H, 'IMAPIProp', 'IUnknown', ['LPMAPIPROP'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'SaveChanges', 'ULONG ulFlags'),
    ('HRESULT', 'GetProps', 'LPSPropTagArray lpPropTagArray, ULONG ulFlags, ULONG *lpcValues, LPSPropValue *lppPropArray'),
    ('HRESULT', 'GetPropList', 'ULONG ulFlags, LPSPropTagArray *lppPropTagArray'),
    ('HRESULT', 'OpenProperty', 'ULONG ulPropTag, LPCIID lpiid, ULONG ulInterfaceOptions, ULONG ulFlags, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'SetProps', 'ULONG cValues, LPSPropValue lpPropArray, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'DeleteProps', 'LPSPropTagArray lpPropTagArray, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'CopyTo', 'ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'CopyProps', 'LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'GetNamesFromIDs', 'LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid, ULONG ulFlags, ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames'),
    ('HRESULT', 'GetIDsFromNames', 'ULONG cPropNames, LPMAPINAMEID *lppPropNames, ULONG ulFlags, LPSPropTagArray *lppPropTags'),
])
iface(H, 'IMAPITable', 'IUnknown', ['LPMAPITABLE'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'Advise', 'ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unadvise', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'GetStatus', 'ULONG *lpulTableStatus, ULONG *lpulTableType'),
    ('HRESULT', 'SetColumns', 'LPSPropTagArray lpPropTagArray, ULONG ulFlags'),
    ('HRESULT', 'QueryColumns', 'ULONG ulFlags, LPSPropTagArray *lpPropTagArray'),
    ('HRESULT', 'GetRowCount', 'ULONG ulFlags, ULONG *lpulCount'),
    ('HRESULT', 'SeekRow', 'BOOKMARK bkOrigin, LONG lRowCount, LONG *lplRowsSought'),
    ('HRESULT', 'SeekRowApprox', 'ULONG ulNumerator, ULONG ulDenominator'),
    ('HRESULT', 'QueryPosition', 'ULONG *lpulRow, ULONG *lpulNumerator, ULONG *lpulDenominator'),
    ('HRESULT', 'FindRow', 'LPSRestriction lpRestriction, BOOKMARK bkOrigin, ULONG ulFlags'),
    ('HRESULT', 'Restrict', 'LPSRestriction lpRestriction, ULONG ulFlags'),
    ('HRESULT', 'CreateBookmark', 'BOOKMARK *lpbkPosition'),
    ('HRESULT', 'FreeBookmark', 'BOOKMARK bkPosition'),
    ('HRESULT', 'SortTable', 'LPSSortOrderSet lpSortCriteria, ULONG ulFlags'),
    ('HRESULT', 'QuerySortOrder', 'LPSSortOrderSet *lppSortCriteria'),
    ('HRESULT', 'QueryRows', 'LONG lRowCount, ULONG ulFlags, LPSRowSet *lppRows'),
    ('HRESULT', 'Abort', ''),
    ('HRESULT', 'ExpandRow', 'ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulRowCount, ULONG ulFlags, LPSRowSet *lppRows, ULONG *lpulMoreRows'),
    ('HRESULT', 'CollapseRow', 'ULONG cbInstanceKey, LPBYTE pbInstanceKey, ULONG ulFlags, ULONG *lpulRowCount'),
    ('HRESULT', 'WaitForCompletion', 'ULONG ulFlags, ULONG ulTimeout, ULONG *lpulTableStatus'),
    ('HRESULT', 'GetCollapseState', 'ULONG ulFlags, ULONG cbInstanceKey, LPBYTE lpbInstanceKey, ULONG *lpcbCollapseState, LPBYTE *lppbCollapseState'),
    ('HRESULT', 'SetCollapseState', 'ULONG ulFlags, ULONG cbCollapseState, LPBYTE pbCollapseState, BOOKMARK *lpbkLocation'),
])
iface(H, 'IMAPIContainer', 'IMAPIProp', ['LPMAPICONTAINER'], [
    ('HRESULT', 'GetContentsTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'GetHierarchyTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'SetSearchCriteria', 'LPSRestriction lpRestriction, LPENTRYLIST lpContainerList, ULONG ulSearchFlags'),
    ('HRESULT', 'GetSearchCriteria', 'ULONG ulFlags, LPSRestriction *lppRestriction, LPENTRYLIST *lppContainerList, ULONG *lpulSearchState'),
])
iface(H, 'IMAPIFolder', 'IMAPIContainer', ['LPMAPIFOLDER'], [
    ('HRESULT', 'CreateMessage', 'LPCIID lpInterface, ULONG ulFlags, LPMESSAGE *lppMessage'),
    ('HRESULT', 'CopyMessages', 'LPENTRYLIST lpMsgList, LPCIID lpInterface, LPVOID lpDestFolder, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'DeleteMessages', 'LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'CreateFolder', 'ULONG ulFolderType, LPTSTR lpszFolderName, LPTSTR lpszFolderComment, LPCIID lpInterface, ULONG ulFlags, LPMAPIFOLDER *lppFolder'),
    ('HRESULT', 'CopyFolder', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, LPVOID lpDestFolder, LPTSTR lpszNewFolderName, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'DeleteFolder', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'SetReadFlags', 'LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'GetMessageStatus', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, ULONG *lpulMessageStatus'),
    ('HRESULT', 'SetMessageStatus', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulNewStatus, ULONG ulNewStatusMask, ULONG *lpulOldStatus'),
    ('HRESULT', 'SaveContentsSort', 'LPSSortOrderSet lpSortCriteria, ULONG ulFlags'),
    ('HRESULT', 'EmptyFolder', 'ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
])
iface(H, 'IMsgStore', 'IMAPIProp', ['LPMDB', 'LPMSGSTORE'], [
    ('HRESULT', 'Advise', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unadvise', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'CompareEntryIDs', 'ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult'),
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'SetReceiveFolder', 'LPTSTR lpszMessageClass, ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'GetReceiveFolder', 'LPTSTR lpszMessageClass, ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID, LPTSTR *lppszExplicitClass'),
    ('HRESULT', 'GetReceiveFolderTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'StoreLogoff', 'ULONG *lpulFlags'),
    ('HRESULT', 'AbortSubmit', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags'),
    ('HRESULT', 'GetOutgoingQueue', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'SetLockState', 'LPMESSAGE lpMessage, ULONG ulLockState'),
    ('HRESULT', 'FinishedMsg', 'ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'NotifyNewMail', 'LPNOTIFICATION lpNotification'),
])
iface(H, 'IMessage', 'IMAPIProp', ['LPMESSAGE'], [
    ('HRESULT', 'GetAttachmentTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'OpenAttach', 'ULONG ulAttachmentNum, LPCIID lpInterface, ULONG ulFlags, LPATTACH *lppAttach'),
    ('HRESULT', 'CreateAttach', 'LPCIID lpInterface, ULONG ulFlags, ULONG *lpulAttachmentNum, LPATTACH *lppAttach'),
    ('HRESULT', 'DeleteAttach', 'ULONG ulAttachmentNum, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'GetRecipientTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'ModifyRecipients', 'ULONG ulFlags, LPADRLIST lpMods'),
    ('HRESULT', 'SubmitMessage', 'ULONG ulFlags'),
    ('HRESULT', 'SetReadFlag', 'ULONG ulFlags'),
])
iface(H, 'IAttach', 'IMAPIProp', ['LPATTACH'], [])
iface(H, 'IProfSect', 'IMAPIProp', ['LPPROFSECT'], [])
iface(H, 'IMAPIStatus', 'IMAPIProp', ['LPMAPISTATUS'], [
    ('HRESULT', 'ValidateState', 'ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'SettingsDialog', 'ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'ChangePassword', 'LPTSTR lpOldPass, LPTSTR lpNewPass, ULONG ulFlags'),
    ('HRESULT', 'FlushQueues', 'ULONG_PTR ulUIParam, ULONG cbTargetTransport, LPENTRYID lpTargetTransport, ULONG ulFlags'),
])
iface(H, 'IMailUser', 'IMAPIProp', ['LPMAILUSER'], [])
iface(H, 'IABContainer', 'IMAPIContainer', ['LPABCONT'], [
    ('HRESULT', 'CreateEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulCreateFlags, LPMAPIPROP *lppMAPIPropEntry'),
    ('HRESULT', 'CopyEntries', 'LPENTRYLIST lpEntries, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'DeleteEntries', 'LPENTRYLIST lpEntries, ULONG ulFlags'),
    ('HRESULT', 'ResolveNames', 'LPSPropTagArray lpPropTagArray, ULONG ulFlags, LPADRLIST lpAdrList, LPFlagList lpFlagList'),
])
iface(H, 'IDistList', 'IMAPIContainer', ['LPDISTLIST'], [
    ('HRESULT', 'CreateEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulCreateFlags, LPMAPIPROP *lppMAPIPropEntry'),
    ('HRESULT', 'CopyEntries', 'LPENTRYLIST lpEntries, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'DeleteEntries', 'LPENTRYLIST lpEntries, ULONG ulFlags'),
    ('HRESULT', 'ResolveNames', 'LPSPropTagArray lpPropTagArray, ULONG ulFlags, LPADRLIST lpAdrList, LPFlagList lpFlagList'),
])
iface(H, 'IAddrBook', 'IMAPIProp', ['LPADRBOOK'], [
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'CompareEntryIDs', 'ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult'),
    ('HRESULT', 'Advise', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unadvise', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'CreateOneOff', 'LPTSTR lpszName, LPTSTR lpszAdrType, LPTSTR lpszAddress, ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'NewEntry', 'ULONG_PTR ulUIParam, ULONG ulFlags, ULONG cbEIDContainer, LPENTRYID lpEIDContainer, ULONG cbEIDNewEntryTpl, LPENTRYID lpEIDNewEntryTpl, ULONG *lpcbEIDNewEntry, LPENTRYID *lppEIDNewEntry'),
    ('HRESULT', 'ResolveName', 'ULONG_PTR ulUIParam, ULONG ulFlags, LPTSTR lpszNewEntryTitle, LPADRLIST lpAdrList'),
    ('HRESULT', 'Address', 'ULONG_PTR *lpulUIParam, LPVOID lpAdrParms, LPADRLIST *lppAdrList'),
    ('HRESULT', 'Details', 'ULONG_PTR *lpulUIParam, LPVOID lpfnDismiss, LPVOID lpvDismissContext, ULONG cbEntryID, LPENTRYID lpEntryID, LPVOID lpfButtonCallback, LPVOID lpvButtonContext, LPTSTR lpszButtonText, ULONG ulFlags'),
    ('HRESULT', 'RecipOptions', 'ULONG_PTR ulUIParam, ULONG ulFlags, LPADRENTRY lpRecip'),
    ('HRESULT', 'QueryDefaultRecipOpt', 'LPTSTR lpszAdrType, ULONG ulFlags, ULONG *lpcValues, LPSPropValue *lppOptions'),
    ('HRESULT', 'GetPAB', 'ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'SetPAB', 'ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'GetDefaultDir', 'ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'SetDefaultDir', 'ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'GetSearchPath', 'ULONG ulFlags, LPSRowSet *lppSearchPath'),
    ('HRESULT', 'SetSearchPath', 'ULONG ulFlags, LPSRowSet lpSearchPath'),
    ('HRESULT', 'PrepareRecips', 'ULONG ulFlags, LPSPropTagArray lpPropTagArray, LPADRLIST lpRecipList'),
])
iface(H, 'IPropData', 'IMAPIProp', ['LPPROPDATA'], [
    ('HRESULT', 'HrSetObjAccess', 'ULONG ulAccess'),
    ('HRESULT', 'HrSetPropAccess', 'LPSPropTagArray lpPropTagArray, ULONG *rgulAccess'),
    ('HRESULT', 'HrGetPropAccess', 'LPSPropTagArray *lppPropTagArray, ULONG **lprgulAccess'),
    ('HRESULT', 'HrAddObjProps', 'LPSPropTagArray lppPropTagArray, LPSPropProblemArray *lprgulAccess'),
])

H = 'mapixinterfaces.h'
iface(H, 'IMAPISession', 'IUnknown', ['LPMAPISESSION'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetMsgStoresTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'OpenMsgStore', 'ULONG_PTR ulUIParam, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB'),
    ('HRESULT', 'OpenAddressBook', 'ULONG_PTR ulUIParam, LPCIID lpInterface, ULONG ulFlags, LPADRBOOK *lppAdrBook'),
    ('HRESULT', 'OpenProfileSection', 'LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags, LPPROFSECT *lppProfSect'),
    ('HRESULT', 'GetStatusTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'CompareEntryIDs', 'ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult'),
    ('HRESULT', 'Advise', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unadvise', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'MessageOptions', 'ULONG_PTR ulUIParam, ULONG ulFlags, LPTSTR lpszAdrType, LPMESSAGE lpMessage'),
    ('HRESULT', 'QueryDefaultMessageOpt', 'LPTSTR lpszAdrType, ULONG ulFlags, ULONG *lpcValues, LPSPropValue *lppOptions'),
    ('HRESULT', 'EnumAdrTypes', 'ULONG ulFlags, ULONG *lpcAdrTypes, LPTSTR **lpppszAdrTypes'),
    ('HRESULT', 'QueryIdentity', 'ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'Logoff', 'ULONG_PTR ulUIParam, ULONG ulFlags, ULONG ulReserved'),
    ('HRESULT', 'SetDefaultStore', 'ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'AdminServices', 'ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin'),
    ('HRESULT', 'ShowForm', 'ULONG_PTR ulUIParam, LPMDB lpMsgStore, LPMAPIFOLDER lpParentFolder, LPCIID lpInterface, ULONG ulMessageToken, LPMESSAGE lpMessageSent, ULONG ulFlags, ULONG ulMessageStatus, ULONG ulMessageFlags, ULONG ulAccess, LPSTR lpszMessageClass'),
    ('HRESULT', 'PrepareForm', 'LPCIID lpInterface, LPMESSAGE lpMessage, ULONG *lpulMessageToken'),
])
iface(H, 'IProviderAdmin', 'IUnknown', ['LPPROVIDERADMIN'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetProviderTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'CreateProvider', 'LPTSTR lpszProvider, ULONG cValues, LPSPropValue lpProps, ULONG_PTR ulUIParam, ULONG ulFlags, MAPIUID *lpUID'),
    ('HRESULT', 'DeleteProvider', 'LPMAPIUID lpUID'),
    ('HRESULT', 'OpenProfileSection', 'LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags, LPPROFSECT *lppProfSect'),
])
iface(H, 'IMsgServiceAdmin', 'IUnknown', ['LPSERVICEADMIN'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetMsgServiceTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'CreateMsgService', 'LPTSTR lpszService, LPTSTR lpszDisplayName, ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'DeleteMsgService', 'LPMAPIUID lpUID'),
    ('HRESULT', 'CopyMsgService', 'LPMAPIUID lpUID, LPTSTR lpszDisplayName, LPCIID lpInterfaceToCopy, LPCIID lpInterfaceDst, LPVOID lpObjectDst, ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'RenameMsgService', 'LPMAPIUID lpUID, ULONG ulFlags, LPTSTR lpszDisplayName'),
    ('HRESULT', 'ConfigureMsgService', 'LPMAPIUID lpUID, ULONG_PTR ulUIParam, ULONG ulFlags, ULONG cValues, LPSPropValue lpProps'),
    ('HRESULT', 'OpenProfileSection', 'LPMAPIUID lpUID, LPCIID lpInterface, ULONG ulFlags, LPPROFSECT *lppProfSect'),
    ('HRESULT', 'MsgServiceTransportOrder', 'ULONG cUID, LPMAPIUID lpUIDList, ULONG ulFlags'),
    ('HRESULT', 'AdminProviders', 'LPMAPIUID lpUID, ULONG ulFlags, LPPROVIDERADMIN *lppProviderAdmin'),
    ('HRESULT', 'SetPrimaryIdentity', 'LPMAPIUID lpUID, ULONG ulFlags'),
    ('HRESULT', 'GetProviderTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
])
# Outlook 2003 and later: the same object also answers IID_IMsgServiceAdmin2
# (mapiaux.h), whose one new method returns the new service's MAPIUID.
iface(H, 'IMsgServiceAdmin2', 'IMsgServiceAdmin', ['LPSERVICEADMIN2'], [
    ('HRESULT', 'CreateMsgServiceEx', 'LPSTR lpszService, LPSTR lpszDisplayName, ULONG_PTR ulUIParam, ULONG ulFlags, LPMAPIUID lpuidService'),
])
iface(H, 'IProfAdmin', 'IUnknown', ['LPPROFADMIN'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetProfileTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'CreateProfile', 'LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'DeleteProfile', 'LPTSTR lpszProfileName, ULONG ulFlags'),
    ('HRESULT', 'ChangeProfilePassword', 'LPTSTR lpszProfileName, LPTSTR lpszOldPassword, LPTSTR lpszNewPassword, ULONG ulFlags'),
    ('HRESULT', 'CopyProfile', 'LPTSTR lpszOldProfileName, LPTSTR lpszOldPassword, LPTSTR lpszNewProfileName, ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'RenameProfile', 'LPTSTR lpszOldProfileName, LPTSTR lpszOldPassword, LPTSTR lpszNewProfileName, ULONG_PTR ulUIParam, ULONG ulFlags'),
    ('HRESULT', 'SetDefaultProfile', 'LPTSTR lpszProfileName, ULONG ulFlags'),
    ('HRESULT', 'AdminServices', 'LPTSTR lpszProfileName, LPTSTR lpszPassword, ULONG_PTR ulUIParam, ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin'),
])

H = 'edkinterfaces.h'
iface(H, 'IExchangeManageStore', 'IUnknown', ['LPEXCHANGEMANAGESTORE'], [
    ('HRESULT', 'CreateStoreEntryID', 'LPSTR lpszMsgStoreDN, LPSTR lpszMailboxDN, ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'EntryIDFromSourceKey', 'ULONG cFolderKeySize, BYTE *lpFolderSourceKey, ULONG cMessageKeySize, BYTE *lpMessageSourceKey, ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'GetRights', 'ULONG cbUserEntryID, LPENTRYID lpUserEntryID, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG *lpulRights'),
    ('HRESULT', 'GetMailboxTable', 'LPSTR lpszServerName, LPMAPITABLE *lppTable, ULONG ulFlags'),
    ('HRESULT', 'GetPublicFolderTable', 'LPSTR lpszServerName, LPMAPITABLE *lppTable, ULONG ulFlags'),
])
iface(H, 'IExchangeModifyTable', 'IUnknown', ['LPEXCHANGEMODIFYTABLE'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'ModifyTable', 'ULONG ulFlags, LPROWLIST lpMods'),
])
# Later Exchange versions extend IExchangeManageStore one method group at a
# time; each version's vtable starts with all of the previous one's.
iface(H, 'IExchangeManageStore2', 'IExchangeManageStore', ['LPEXCHANGEMANAGESTORE2'], [
    ('HRESULT', 'CreateNewsgroupNameEntryID', 'LPSTR lpszNewsgroupName, ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
])
iface(H, 'IExchangeManageStore3', 'IExchangeManageStore2', ['LPEXCHANGEMANAGESTORE3'], [
    ('HRESULT', 'GetMailboxTableOffset', 'LPSTR lpszServerName, LPMAPITABLE *lppTable, ULONG ulFlags, UINT uOffset'),
])
iface(H, 'IExchangeManageStore4', 'IExchangeManageStore3', ['LPEXCHANGEMANAGESTORE4'], [
    ('HRESULT', 'GetPublicFolderTableOffset', 'LPSTR lpszServerName, LPMAPITABLE *lppTable, ULONG ulFlags, UINT uOffset'),
])
iface(H, 'IExchangeManageStore5', 'IExchangeManageStore4', ['LPEXCHANGEMANAGESTORE5'], [
    ('HRESULT', 'GetMailboxTableEx', 'LPSTR lpszServerName, LPGUID lpguidMdb, LPMAPITABLE *lppTable, ULONG ulFlags, UINT uOffset'),
    ('HRESULT', 'GetPublicFolderTableEx', 'LPSTR lpszServerName, LPGUID lpguidMdb, LPMAPITABLE *lppTable, ULONG ulFlags, UINT uOffset'),
])

H = 'mapispiinterfaces.h'
iface(H, 'IMAPISupport', 'IUnknown', ['LPMAPISUP'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'GetMemAllocRoutines', 'LPALLOCATEBUFFER *lpAllocateBuffer, LPALLOCATEMORE *lpAllocateMore, LPFREEBUFFER *lpFreeBuffer'),
    ('HRESULT', 'Subscribe', 'LPNOTIFKEY lpKey, ULONG ulEventMask, ULONG ulFlags, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unsubscribe', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'Notify', 'LPNOTIFKEY lpKey, ULONG cNotification, LPNOTIFICATION lpNotifications, ULONG *lpulFlags'),
    ('HRESULT', 'ModifyStatusRow', 'ULONG cValues, LPSPropValue lpColumnVals, ULONG ulFlags'),
    ('HRESULT', 'OpenProfileSection', 'LPMAPIUID lpUid, ULONG ulFlags, LPPROFSECT *lppProfileObj'),
    ('HRESULT', 'RegisterPreprocessor', 'LPMAPIUID lpMuid, LPTSTR lpszAdrType, LPTSTR lpszDLLName, LPSTR lpszPreprocess, LPSTR lpszRemovePreprocessInfo, ULONG ulFlags'),
    ('HRESULT', 'NewUID', 'LPMAPIUID lpMuid'),
    ('HRESULT', 'MakeInvalid', 'ULONG ulFlags, LPVOID lpObject, ULONG ulRefCount, ULONG cMethods'),
    ('HRESULT', 'SpoolerYield', 'ULONG ulFlags'),
    ('HRESULT', 'SpoolerNotify', 'ULONG ulFlags, LPVOID lpvData'),
    ('HRESULT', 'CreateOneOff', 'LPTSTR lpszName, LPTSTR lpszAdrType, LPTSTR lpszAddress, ULONG ulFlags, ULONG *lpcbEntryID, LPENTRYID *lppEntryID'),
    ('HRESULT', 'SetProviderUID', 'LPMAPIUID lpProviderID, ULONG ulFlags'),
    ('HRESULT', 'CompareEntryIDs', 'ULONG cbEntry1, LPENTRYID lpEntry1, ULONG cbEntry2, LPENTRYID lpEntry2, ULONG ulCompareFlags, ULONG *lpulResult'),
    ('HRESULT', 'OpenTemplateID', 'ULONG cbTemplateID, LPENTRYID lpTemplateID, ULONG ulTemplateFlags, LPMAPIPROP lpMAPIPropData, LPCIID lpInterface, LPMAPIPROP *lppMAPIPropNew, LPMAPIPROP lpMAPIPropSibling'),
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulOpenFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'GetOneOffTable', 'ULONG ulFlags, LPMAPITABLE *lppTable'),
    ('HRESULT', 'Address', 'ULONG_PTR *lpulUIParam, LPVOID lpAdrParms, LPADRLIST *lppAdrList'),
    ('HRESULT', 'Details', 'ULONG_PTR *lpulUIParam, LPVOID lpfnDismiss, LPVOID lpvDismissContext, ULONG cbEntryID, LPENTRYID lpEntryID, LPVOID lpfButtonCallback, LPVOID lpvButtonContext, LPTSTR lpszButtonText, ULONG ulFlags'),
    ('HRESULT', 'NewEntry', 'ULONG_PTR ulUIParam, ULONG ulFlags, ULONG cbEIDContainer, LPENTRYID lpEIDContainer, ULONG cbEIDNewEntryTpl, LPENTRYID lpEIDNewEntryTpl, ULONG *lpcbEIDNewEntry, LPENTRYID *lppEIDNewEntry'),
    ('HRESULT', 'DoConfigPropsheet', 'ULONG_PTR ulUIParam, ULONG ulFlags, LPTSTR lpszTitle, LPMAPITABLE lpDisplayTable, LPMAPIPROP lpCOnfigData, ULONG ulTopPage'),
    ('HRESULT', 'CopyMessages', 'LPCIID lpSrcInterface, LPVOID lpSrcFolder, LPENTRYLIST lpMsgList, LPCIID lpDestInterface, LPVOID lpDestFolder, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'CopyFolder', 'LPCIID lpSrcInterface, LPVOID lpSrcFolder, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpDestInterface, LPVOID lpDestFolder, LPTSTR lpszNewFolderName, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags'),
    ('HRESULT', 'DoCopyTo', 'LPCIID lpSrcInterface, LPVOID lpSrcObj, ULONG ciidExclude, LPCIID rgiidExclude, LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpDestInterface, LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'DoCopyProps', 'LPCIID lpSrcInterface, LPVOID lpSrcObj, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, LPCIID lpDestInterface, LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems'),
    ('HRESULT', 'DoProgressDialog', 'ULONG_PTR ulUIParam, ULONG ulFlags, LPMAPIPROGRESS *lppProgress'),
    ('HRESULT', 'ReadReceipt', 'ULONG ulFlags, LPMESSAGE lpReadMessage, LPMESSAGE *lppEmptyMessage'),
    ('HRESULT', 'PrepareSubmit', 'LPMESSAGE lpMessage, ULONG *lpulFlags'),
    ('HRESULT', 'ExpandRecips', 'LPMESSAGE lpMessage, ULONG *lpulFlags'),
    ('HRESULT', 'UpdatePAB', 'ULONG ulFlags, LPMESSAGE lpMessage'),
    ('HRESULT', 'DoSentMail', 'ULONG ulFlags, LPMESSAGE lpMessage'),
    ('HRESULT', 'OpenAddressBook', 'LPCIID lpInterface, ULONG ulFlags, LPADRBOOK *lppAdrBook'),
    ('HRESULT', 'Preprocess', 'ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'CompleteMsg', 'ULONG ulFlags, ULONG cbEntryID, LPENTRYID lpEntryID'),
    ('HRESULT', 'StoreLogoffTransports', 'ULONG *lpulFlags'),
    ('HRESULT', 'StatusRecips', 'LPMESSAGE lpMessage, LPADRLIST lpRecipList'),
    ('HRESULT', 'WrapStoreEntryID', 'ULONG cbOrigEntry, LPENTRYID lpOrigEntry, ULONG *lpcbWrappedEntry, LPENTRYID *lppWrappedEntry'),
    ('HRESULT', 'ModifyProfile', 'ULONG ulFlags'),
    ('HRESULT', 'IStorageFromStream', 'LPUNKNOWN lpUnkIn, LPCIID lpInterface, ULONG ulFlags, LPVOID *lppStorageOut'),
    ('HRESULT', 'GetSvcConfigSupportObj', 'ULONG ulFlags, LPMAPISUP *lppSvcSupport'),
])
iface(H, 'IMSLogon', 'IUnknown', ['LPMSLOGON'], [
    ('HRESULT', 'GetLastError', 'HRESULT hResult, ULONG ulFlags, LPMAPIERROR *lppMAPIError'),
    ('HRESULT', 'Logoff', 'ULONG *lpulFlags'),
    ('HRESULT', 'OpenEntry', 'ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk'),
    ('HRESULT', 'CompareEntryIDs', 'ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult'),
    ('HRESULT', 'Advise', 'ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection'),
    ('HRESULT', 'Unadvise', 'ULONG_PTR ulConnection'),
    ('HRESULT', 'OpenStatusEntry', 'LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType, LPVOID *lppEntry'),
])
iface(H, 'IMSProvider', 'IUnknown', ['LPMSPROVIDER'], [
    ('HRESULT', 'Shutdown', 'ULONG *lpulFlags'),
    ('HRESULT', 'Logon', 'LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam, LPTSTR lpszProfileName, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, LPCIID lpInterface, ULONG *lpcbSpoolSecurity, LPBYTE *lppbSpoolSecurity, LPMAPIERROR *lppMAPIError, LPMSLOGON *lppMSLogon, LPMDB *lppMDB'),
    ('HRESULT', 'SpoolerLogon', 'LPMAPISUP lpMAPISup, ULONG_PTR ulUIParam, LPTSTR lpszProfileName, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags, LPCIID lpInterface, ULONG cbSpoolSecurity, LPBYTE lpbSpoolSecurity, LPMAPIERROR *lppMAPIError, LPMSLOGON *lppMSLogon, LPMDB *lppMDB'),
    ('HRESULT', 'CompareStoreIDs', 'ULONG cbEntryID1, LPENTRYID lpEntryID1, ULONG cbEntryID2, LPENTRYID lpEntryID2, ULONG ulFlags, ULONG *lpulResult'),
])

H = 'mapixstoreinterfaces.h'
iface(H, 'IMAPIXChangeJournal', 'IUnknown', ['LPMAPIXCHANGEJOURNAL'], [
    ('HRESULT', 'GetLastChangeNumber', 'ULONGLONG *lpcnLast'),
    ('HRESULT', 'GetChangesSince', 'ULONGLONG cnSince, ULONG cMax, LPSRowSet *lppRows'),
])

HEADS = {
 'objidl.h': ('the COM base interfaces mapix uses: IUnknown, IMalloc and IStream (with\n * ISequentialStream), as Windows declares them in objidl.h.', '#include <mapix/mapiwin.h>\n#include <mapix/mapicode.h>\n#include <mapix/objidl_types.h>\n'),
 'mapiinterfaces.h': ('the MAPI object interfaces of mapidefs.h (and IPropData of mapiutil.h).\n * Included by mapidefs.h; do not include it directly.', ''),
 'mapixinterfaces.h': ('IMAPISession, IProfAdmin, IMsgServiceAdmin (and IMsgServiceAdmin2) and\n * IProviderAdmin.\n * Included by mapix.h; do not include it directly.', ''),
 'mapispiinterfaces.h': ('the service provider interfaces: IMAPISupport, IMSLogon, IMSProvider.\n * Included by mapispi.h.', ''),
 'mapixstoreinterfaces.h': ('IMAPIXChangeJournal, the change journal of a mapix store. Included by\n * mapixstore.h.', ''),
 'edkinterfaces.h': ('IExchangeManageStore (and its versions 2-5) and IExchangeModifyTable.\n * Included by edkmdb.h, which defines ROWLIST first.', ''),
}

def params_list(params):
    return [] if not params.strip() else [p.strip() for p in params.split(',')]

def chain(name, all_ifaces):
    out = []
    while name:
        i = all_ifaces[name]
        out.insert(0, i)
        name = i[1]
    return out

def main():
    all_ifaces = {i[0]: i for g in GROUPS.values() for i in g}
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'include', 'mapix')
    for header, ifaces in GROUPS.items():
        guard = 'MAPIX_' + header.upper().replace('.', '_')
        doc, incl = HEADS[header]
        out = ['/*', ' * %s — GENERATED by scripts/gen-interfaces.py; edit the table there.' % header,
               ' *', ' * ' + doc, ' */', '#ifndef ' + guard, '#define ' + guard, '']
        if incl:
            out += [incl, 'MAPIX_BEGIN_DECLS', '']
        for name, base, ptrs, methods in ifaces:
            out.append('typedef struct %s %s;' % (name, name))
            for p in ptrs:
                out.append('typedef %s *%s;' % (name, p))
        out.append('')
        for name, base, ptrs, methods in ifaces:
            out.append('/* %s%s */' % (name, (' : ' + base) if base else ''))
            out.append('typedef struct %sVtbl {' % name)
            for owner in chain(name, all_ifaces):
                for ret, m, params in owner[3]:
                    args = ', '.join(['%s *This' % name] + params_list(params))
                    out.append('\t%s (*%s)(%s);' % (ret, m, args))
            out.append('} %sVtbl;' % name)
            out.append('struct %s {\n\tconst %sVtbl *lpVtbl;\n};' % (name, name))
            for owner in chain(name, all_ifaces):
                for ret, m, params in owner[3]:
                    n = len(params_list(params))
                    argn = ', '.join('a%d' % k for k in range(1, n + 1))
                    if n:
                        out.append('#define %s_%s(This, %s) ((This)->lpVtbl->%s((This), %s))' % (name, m, argn, m, argn))
                    else:
                        out.append('#define %s_%s(This) ((This)->lpVtbl->%s(This))' % (name, m, m))
            out.append('')
        if incl:
            out += ['MAPIX_END_DECLS', '']
        out.append('#endif /* %s */' % guard)
        with open(os.path.join(root, header), 'w') as f:
            f.write('\n'.join(out) + '\n')

if __name__ == '__main__':
    main()
