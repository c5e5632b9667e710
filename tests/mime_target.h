/*
 * mime_target.h — where the MIME tests put converted messages: new
 * messages in the Inbox of a mailbox created for the test run, opened
 * through tests/store_hook.h (the local store, or mapixd with
 * MAPIX_STORE_PROVIDER=remote). MAPIX_MIME_TARGET=memory runs the same
 * tests against the converter's in-memory IMessage instead, which is what
 * the fuzz targets use. Included by the test_mime*.c programs only.
 */
#ifndef MAPIX_TESTS_MIME_TARGET_H
#define MAPIX_TESTS_MIME_TARGET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "mime/mime.h"
#include "store_hook.h"

static LPMDB mime_target_mdb;
static LPMAPIFOLDER mime_target_inbox;

static inline int mime_target_in_memory(void)
{
	const char *t = getenv("MAPIX_MIME_TARGET");
	return t && strcmp(t, "memory") == 0;
}

static inline int mime_target_setup(const char *dir)
{
	char path[4096];
	ULONG cb = 0, type = 0;
	LPENTRYID eid = NULL;

	if (mime_target_in_memory())
		return 0;
	snprintf(path, sizeof path, "%s/mime-mailbox.db", dir);
	if (store_hook_open(path, MDB_WRITE | MAPIX_STORE_CREATE, &mime_target_mdb) != S_OK) {
		fprintf(stderr, "mime_target: cannot create %s: %s\n", path, MAPIXGetLastErrorText());
		return -1;
	}
	if (IMsgStore_GetReceiveFolder(mime_target_mdb, (LPTSTR) "IPM.Note", 0, &cb, &eid, NULL) != S_OK ||
	    IMsgStore_OpenEntry(mime_target_mdb, cb, eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&mime_target_inbox) !=
	        S_OK) {
		fprintf(stderr, "mime_target: no Inbox: %s\n", MAPIXGetLastErrorText());
		MAPIFreeBuffer(eid);
		return -1;
	}
	MAPIFreeBuffer(eid);
	return 0;
}

static inline LPMESSAGE mime_target_open(void)
{
	LPMESSAGE msg = NULL;
	HRESULT hr = mime_target_inbox ? IMAPIFolder_CreateMessage(mime_target_inbox, NULL, 0, &msg)
	                               : mapix_mime_memmsg_new(&msg);
	if (hr != S_OK)
		fail_msg("mime_target_open: 0x%08X %s", (unsigned)hr, MAPIXGetLastErrorText());
	return msg;
}

/* Saves *msg and opens it again from the store, so what the test reads
 * next is what was stored (nothing to do for in-memory messages). */
static inline void mime_target_commit(LPMESSAGE *msg)
{
	LPSPropValue eid = NULL;
	ULONG type = 0;
	LPMESSAGE again = NULL;

	if (!mime_target_inbox)
		return;
	if (IMessage_SaveChanges(*msg, KEEP_OPEN_READWRITE) != S_OK ||
	    HrGetOneProp((LPMAPIPROP)*msg, PR_ENTRYID, &eid) != S_OK)
		fail_msg("mime_target_commit: %s", MAPIXGetLastErrorText());
	if (IMsgStore_OpenEntry(mime_target_mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, MAPI_MODIFY,
	                        &type, (LPUNKNOWN *)&again) != S_OK)
		fail_msg("mime_target_commit: reopening: %s", MAPIXGetLastErrorText());
	MAPIFreeBuffer(eid);
	IMessage_Release(*msg);
	*msg = again;
}

static inline void mime_target_teardown(void)
{
	if (mime_target_inbox)
		IMAPIFolder_Release(mime_target_inbox);
	if (mime_target_mdb)
		IMsgStore_Release(mime_target_mdb);
	mime_target_inbox = NULL;
	mime_target_mdb = NULL;
}

#endif
