/*
 * remote-folder.c — IMAPIFolder of a mailbox hosted by mapixd. Copies and
 * moves name the destination folder by its handle, so the destination
 * must be a folder opened through the same connection (another mailbox of
 * the same server is fine); anything else is refused with
 * MAPI_E_NO_SUPPORT, as the local store refuses foreign folders.
 * Progress objects (lpProgress) are not called: the work is on the server.
 */
#include <string.h>

#include "core/error.h"
#include "remote.h"

#define OBJ(This) ((remote_obj *)(This))

static HRESULT table_op(IMAPIFolder *This, ULONG op, ULONG ulFlags, LPMAPITABLE *lppTable, const char *fn)
{
	if (!lppTable)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL output pointer", fn);
	*lppTable = NULL;
	rcall c;
	RC_OBJ(&c, This, op);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, fn);
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, &IID_IMAPITable, (LPUNKNOWN *)lppTable))) {
			remote_table_set_origin((remote_obj *)*lppTable, OBJ(This), op, ulFlags);
			hr = keep;
		}
	}
	rc_end(&c);
	return hr;
}

static HRESULT folder_GetContentsTable(IMAPIFolder *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_FOLDER_CONTENTSTABLE, ulFlags, lppTable, "GetContentsTable");
}

static HRESULT folder_GetHierarchyTable(IMAPIFolder *This, ULONG ulFlags, LPMAPITABLE *lppTable)
{
	return table_op(This, MPX_OP_FOLDER_HIERARCHYTABLE, ulFlags, lppTable, "GetHierarchyTable");
}

static HRESULT folder_OpenEntry(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                ULONG ulFlags, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	return remote_open_entry(OBJ(This), cbEntryID, lpEntryID, lpInterface, ulFlags, lpulObjType, lppUnk);
}

static HRESULT folder_SetSearchCriteria(IMAPIFolder *This, LPSRestriction lpRestriction, LPENTRYLIST lpContainerList,
                                        ULONG ulSearchFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_SETSEARCHCRITERIA);
	RC_PUT(&c, mapix_wire_put_restriction(&c.req, lpRestriction));
	RC_PUT(&c, mapix_proto_put_entrylist(&c.req, lpContainerList));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulSearchFlags));
	HRESULT hr = rc_run(&c, "SetSearchCriteria");
	rc_end(&c);
	return hr;
}

static HRESULT folder_GetSearchCriteria(IMAPIFolder *This, ULONG ulFlags, LPSRestriction *lppRestriction,
                                        LPENTRYLIST *lppContainerList, ULONG *lpulSearchState)
{
	if (lppRestriction)
		*lppRestriction = NULL;
	if (lppContainerList)
		*lppContainerList = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_GETSEARCHCRITERIA);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetSearchCriteria");
	if (SUCCEEDED(hr)) {
		LPSRestriction res = NULL;
		mapix_proto_arena a = {0};
		LPENTRYLIST list = NULL;
		ULONG state = 0;
		if (FAILED(mapix_wire_get_restriction(&c.out, &res)) || FAILED(mapix_proto_get_entrylist(&c.out, &a, &list)) ||
		    FAILED(mapix_wire_get_u32(&c.out, &state))) {
			hr = rc_bad_reply(&c, "GetSearchCriteria");
		} else {
			/* The entry list goes back as one MAPI block. */
			if (lppContainerList && list) {
				ULONG total = sizeof(SBinaryArray) + list->cValues * sizeof(SBinary);
				for (ULONG i = 0; i < list->cValues; i++)
					total += list->lpbin[i].cb;
				LPENTRYLIST out;
				if (MAPIAllocateBuffer(total, (LPVOID *)&out) == S_OK) {
					BYTE *p = (BYTE *)(out + 1) + list->cValues * sizeof(SBinary);
					out->cValues = list->cValues;
					out->lpbin = (SBinary *)(out + 1);
					for (ULONG i = 0; i < list->cValues; i++) {
						out->lpbin[i].cb = list->lpbin[i].cb;
						out->lpbin[i].lpb = p;
						memcpy(p, list->lpbin[i].lpb, list->lpbin[i].cb);
						p += list->lpbin[i].cb;
					}
					*lppContainerList = out;
				} else {
					hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "GetSearchCriteria: out of memory");
				}
			}
			if (lppRestriction && SUCCEEDED(hr)) {
				*lppRestriction = res;
				res = NULL;
			}
			if (lpulSearchState)
				*lpulSearchState = state;
		}
		if (res)
			MAPIFreeBuffer(res);
		mapix_proto_arena_free(&a);
	}
	rc_end(&c);
	return hr;
}

static HRESULT folder_CreateMessage(IMAPIFolder *This, LPCIID lpInterface, ULONG ulFlags, LPMESSAGE *lppMessage)
{
	if (!lppMessage)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateMessage: NULL output pointer");
	*lppMessage = NULL;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_CREATEMESSAGE);
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CreateMessage");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, NULL, (LPUNKNOWN *)lppMessage)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT dest_folder(IMAPIFolder *This, LPVOID lpDestFolder, const char *fn, uint32_t *h)
{
	*h = 0;
	if (!lpDestFolder)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "%s: NULL destination folder", fn);
	*h = remote_obj_handle_of(OBJ(This)->conn, lpDestFolder);
	if (!*h)
		return mapix_error(MAPI_E_NO_SUPPORT, "%s: the destination is not a folder of this mailbox", fn);
	return S_OK;
}

static HRESULT folder_CopyMessages(IMAPIFolder *This, LPENTRYLIST lpMsgList, LPCIID lpInterface, LPVOID lpDestFolder,
                                   ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	uint32_t dest;
	(void)ulUIParam, (void)lpProgress;
	if (!lpMsgList)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CopyMessages: NULL message list");
	HRESULT hr = dest_folder(This, lpDestFolder, "CopyMessages", &dest);
	if (FAILED(hr))
		return hr;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_COPYMESSAGES);
	RC_PUT(&c, mapix_proto_put_entrylist(&c.req, lpMsgList));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dest));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	hr = rc_run(&c, "CopyMessages");
	rc_end(&c);
	return hr;
}

static HRESULT list_op(IMAPIFolder *This, ULONG op, LPENTRYLIST lpMsgList, ULONG ulFlags, const char *fn)
{
	rcall c;
	RC_OBJ(&c, This, op);
	RC_PUT(&c, mapix_proto_put_entrylist(&c.req, lpMsgList));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, fn);
	rc_end(&c);
	return hr;
}

static HRESULT folder_DeleteMessages(IMAPIFolder *This, LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam,
                                     LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	(void)ulUIParam, (void)lpProgress;
	return list_op(This, MPX_OP_FOLDER_DELETEMESSAGES, lpMsgList, ulFlags, "DeleteMessages");
}

static HRESULT folder_SetReadFlags(IMAPIFolder *This, LPENTRYLIST lpMsgList, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	(void)ulUIParam, (void)lpProgress;
	return list_op(This, MPX_OP_FOLDER_SETREADFLAGS, lpMsgList, ulFlags, "SetReadFlags");
}

static HRESULT folder_CreateFolder(IMAPIFolder *This, ULONG ulFolderType, LPTSTR lpszFolderName,
                                   LPTSTR lpszFolderComment, LPCIID lpInterface, ULONG ulFlags, LPMAPIFOLDER *lppFolder)
{
	if (!lppFolder)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "CreateFolder: NULL output pointer");
	*lppFolder = NULL;
	BOOL uni = (ulFlags & MAPI_UNICODE) != 0;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_CREATEFOLDER);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFolderType));
	RC_PUT(&c, mapix_proto_put_tstr(&c.req, lpszFolderName, uni));
	RC_PUT(&c, mapix_proto_put_tstr(&c.req, lpszFolderComment, uni));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "CreateFolder");
	if (SUCCEEDED(hr)) {
		HRESULT keep = hr;
		if (SUCCEEDED(hr = remote_obj_from_reply(&c, OBJ(This)->logon, NULL, (LPUNKNOWN *)lppFolder)))
			hr = keep;
	}
	rc_end(&c);
	return hr;
}

static HRESULT folder_CopyFolder(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, LPCIID lpInterface,
                                 LPVOID lpDestFolder, LPTSTR lpszNewFolderName, ULONG_PTR ulUIParam,
                                 LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	uint32_t dest;
	(void)ulUIParam, (void)lpProgress;
	HRESULT hr = dest_folder(This, lpDestFolder, "CopyFolder", &dest);
	if (FAILED(hr))
		return hr;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_COPYFOLDER);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_proto_put_guid(&c.req, lpInterface));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, dest));
	RC_PUT(&c, mapix_proto_put_tstr(&c.req, lpszNewFolderName, (ulFlags & MAPI_UNICODE) != 0));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	hr = rc_run(&c, "CopyFolder");
	rc_end(&c);
	return hr;
}

static HRESULT folder_DeleteFolder(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG_PTR ulUIParam,
                                   LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	(void)ulUIParam, (void)lpProgress;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_DELETEFOLDER);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "DeleteFolder");
	rc_end(&c);
	return hr;
}

static HRESULT folder_GetMessageStatus(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulFlags,
                                       ULONG *lpulMessageStatus)
{
	if (!lpulMessageStatus)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "GetMessageStatus: NULL result");
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_GETMESSAGESTATUS);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "GetMessageStatus");
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, lpulMessageStatus)))
		hr = rc_bad_reply(&c, "GetMessageStatus");
	rc_end(&c);
	return hr;
}

static HRESULT folder_SetMessageStatus(IMAPIFolder *This, ULONG cbEntryID, LPENTRYID lpEntryID, ULONG ulNewStatus,
                                       ULONG ulNewStatusMask, ULONG *lpulOldStatus)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_SETMESSAGESTATUS);
	RC_PUT(&c, mapix_proto_put_bin(&c.req, cbEntryID, lpEntryID));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulNewStatus));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulNewStatusMask));
	HRESULT hr = rc_run(&c, "SetMessageStatus");
	ULONG old = 0;
	if (SUCCEEDED(hr) && FAILED(mapix_wire_get_u32(&c.out, &old)))
		hr = rc_bad_reply(&c, "SetMessageStatus");
	if (SUCCEEDED(hr) && lpulOldStatus)
		*lpulOldStatus = old;
	rc_end(&c);
	return hr;
}

static HRESULT folder_SaveContentsSort(IMAPIFolder *This, LPSSortOrderSet lpSortCriteria, ULONG ulFlags)
{
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_SAVECONTENTSSORT);
	RC_PUT(&c, mapix_proto_put_sort(&c.req, lpSortCriteria));
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "SaveContentsSort");
	rc_end(&c);
	return hr;
}

static HRESULT folder_EmptyFolder(IMAPIFolder *This, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress, ULONG ulFlags)
{
	(void)ulUIParam, (void)lpProgress;
	rcall c;
	RC_OBJ(&c, This, MPX_OP_FOLDER_EMPTYFOLDER);
	RC_PUT(&c, mapix_wire_put_u32(&c.req, ulFlags));
	HRESULT hr = rc_run(&c, "EmptyFolder");
	rc_end(&c);
	return hr;
}

const IMAPIFolderVtbl remote_folder_vtbl = {
	REMOTE_IMAPIPROP_METHODS,
	.GetContentsTable = folder_GetContentsTable,
	.GetHierarchyTable = folder_GetHierarchyTable,
	.OpenEntry = folder_OpenEntry,
	.SetSearchCriteria = folder_SetSearchCriteria,
	.GetSearchCriteria = folder_GetSearchCriteria,
	.CreateMessage = folder_CreateMessage,
	.CopyMessages = folder_CopyMessages,
	.DeleteMessages = folder_DeleteMessages,
	.CreateFolder = folder_CreateFolder,
	.CopyFolder = folder_CopyFolder,
	.DeleteFolder = folder_DeleteFolder,
	.SetReadFlags = folder_SetReadFlags,
	.GetMessageStatus = folder_GetMessageStatus,
	.SetMessageStatus = folder_SetMessageStatus,
	.SaveContentsSort = folder_SaveContentsSort,
	.EmptyFolder = folder_EmptyFolder,
};
