/*
 * local-mime-content.c — PR_INTERNET_CONTENT is never stale in the local
 * store. The value holds a message's original Internet form (kept by the
 * MIME import, MAPIX_MIME_KEEP_SOURCE) and export writes it instead of
 * rebuilding the message, so it may only live as long as the message still
 * says what those bytes say. The rule, applied by every save of a stored
 * message in the same write transaction:
 *
 *   a save that changes any property outside the whitelist below, or the
 *   recipients, or the attachments (an embedded message's change reaches
 *   the save as a changed attachment), deletes the stored value;
 *
 *   the whitelist is the state a mail client changes on mail it keeps:
 *   read and status flags, follow-up flags and their to-do/task named
 *   properties, reminders, categories (PidNameKeywords), the last verb,
 *   the icon, bookkeeping the store or sync keeps (change keys, times),
 *   and mapix's own properties (0x6000-0x60FF); none of it is written
 *   into the MIME form;
 *
 *   a save that sets or deletes PR_INTERNET_CONTENT itself gets what it
 *   asked for.
 *
 * SetReadFlag and SetMessageStatus write outside the save and touch only
 * state, and copies and moves copy every property: all keep the value. A
 * new message has no stored value to lose.
 */
#include <string.h>

#include <mapix/mapiguid.h>

#include "core/error.h"
#include "local-mime-content.h"

/* Properties whose change leaves the MIME form as it is, by id. */
static const ULONG state_ids[] = {
	PROP_ID(PR_MESSAGE_FLAGS),
	PROP_ID(PR_MSG_STATUS),
	PROP_ID(PR_FLAG_STATUS),
	PROP_ID(PR_FLAG_COMPLETE_TIME),
	PROP_ID(PR_FOLLOWUP_ICON),
	PROP_ID(PR_TODO_ITEM_FLAGS),
	PROP_ID(PR_REPLY_REQUESTED),
	PROP_ID(PR_RESPONSE_REQUESTED),
	PROP_ID(PR_LAST_VERB_EXECUTED),
	PROP_ID(PR_LAST_VERB_EXECUTION_TIME),
	PROP_ID(PR_ICON_INDEX),
	PROP_ID(PR_INTERNET_CONTENT),
	/* bookkeeping of the store and of synchronization */
	PROP_ID(PR_CHANGE_KEY),
	PROP_ID(PR_PREDECESSOR_CHANGE_LIST),
	PROP_ID(PR_LAST_MODIFICATION_TIME),
	PROP_ID(PR_LAST_MODIFIER_NAME),
	PROP_ID(PR_LAST_MODIFIER_ENTRYID),
	PROP_ID(PR_LOCAL_COMMIT_TIME),
};

/* mapix's own property ids (mapixstore.h, mapixremote.h). */
#define MAPIX_IDS_FIRST 0x6000
#define MAPIX_IDS_LAST 0x60FF
#define NAMED_FIRST 0x8000

/* Named properties of the same kind: follow-up flags and to-do items
 * (MS-OXOFLAG), reminders (MS-OXORMDR), by property set and long ID. */
typedef struct state_lid {
	const GUID *set;
	LONG lid;
} state_lid;

static const state_lid state_lids[] = {
	{&PSETID_Common, 0x8530}, /* PidLidFlagRequest */
	{&PSETID_Common, 0x85C0}, /* PidLidFlagString */
	{&PSETID_Common, 0x85BF}, /* PidLidValidFlagStringProof */
	{&PSETID_Common, 0x85A0}, /* PidLidToDoOrdinalDate */
	{&PSETID_Common, 0x85A1}, /* PidLidToDoSubOrdinal */
	{&PSETID_Common, 0x85A4}, /* PidLidToDoTitle */
	{&PSETID_Common, 0x8516}, /* PidLidCommonStart */
	{&PSETID_Common, 0x8517}, /* PidLidCommonEnd */
	{&PSETID_Common, 0x8501}, /* PidLidReminderDelta */
	{&PSETID_Common, 0x8502}, /* PidLidReminderTime */
	{&PSETID_Common, 0x8503}, /* PidLidReminderSet */
	{&PSETID_Common, 0x8560}, /* PidLidReminderSignalTime */
	{&PSETID_Task, 0x8101},   /* PidLidTaskStatus */
	{&PSETID_Task, 0x8102},   /* PidLidPercentComplete */
	{&PSETID_Task, 0x8104},   /* PidLidTaskStartDate */
	{&PSETID_Task, 0x8105},   /* PidLidTaskDueDate */
	{&PSETID_Task, 0x810F},   /* PidLidTaskDateCompleted */
	{&PSETID_Task, 0x811C},   /* PidLidTaskComplete */
};

static BOOL id_keeps(ULONG id)
{
	if (id >= MAPIX_IDS_FIRST && id <= MAPIX_IDS_LAST)
		return TRUE;
	for (size_t i = 0; i < sizeof state_ids / sizeof state_ids[0]; i++)
		if (state_ids[i] == id)
			return TRUE;
	return FALSE;
}

static BOOL name_keeps(const MAPINAMEID *name)
{
	if (!name || !name->lpguid)
		return FALSE;
	if (name->ulKind == MNID_STRING) {
		/* PidNameKeywords: the categories. */
		static const WCHAR keywords[] = {'K', 'e', 'y', 'w', 'o', 'r', 'd', 's', 0};
		return memcmp(name->lpguid, &PS_PUBLIC_STRINGS, sizeof(GUID)) == 0 && name->Kind.lpwstrName &&
		       memcmp(name->Kind.lpwstrName, keywords, sizeof keywords) == 0;
	}
	for (size_t i = 0; i < sizeof state_lids / sizeof state_lids[0]; i++)
		if (name->Kind.lID == state_lids[i].lid && memcmp(name->lpguid, state_lids[i].set, sizeof(GUID)) == 0)
			return TRUE;
	return FALSE;
}

/* Whether the named properties among the changes are all state. */
static HRESULT named_keep(local_db *db, const local_change *c, ULONG n, BOOL *keep)
{
	LPSPropTagArray tags = NULL;
	LPMAPINAMEID *names = NULL;
	ULONG count = 0, cnamed = 0;
	HRESULT hr;

	*keep = TRUE;
	for (ULONG i = 0; i < n; i++)
		cnamed += PROP_ID(c[i].tag) >= NAMED_FIRST;
	if (cnamed == 0)
		return S_OK;
	if (FAILED(hr = MAPIAllocateBuffer(CbNewSPropTagArray(cnamed), (LPVOID *)&tags)))
		return mapix_error(hr, "SaveChanges: out of memory");
	tags->cValues = 0;
	for (ULONG i = 0; i < n; i++)
		if (PROP_ID(c[i].tag) >= NAMED_FIRST)
			tags->aulPropTag[tags->cValues++] = c[i].tag;
	hr = local_names_get_names(db, &tags, NULL, MAPI_UNICODE, &count, &names);
	if (SUCCEEDED(hr)) {
		hr = S_OK;
		/* A name the store does not know is no state we know of. */
		for (ULONG i = 0; i < count && *keep; i++)
			*keep = name_keeps(names[i]);
	}
	if (names)
		MAPIFreeBuffer(names);
	MAPIFreeBuffer(tags);
	return hr;
}

HRESULT local_mime_content_on_save(local_db *db, uint64_t mid, const local_change *c, ULONG n,
                                   const local_msgstate *s)
{
	BOOL changed = (s->recips.loaded && s->recips.modified) || (s->atts.loaded && s->atts.modified);
	for (ULONG i = 0; i < n; i++) {
		if (PROP_ID(c[i].tag) == PROP_ID(PR_INTERNET_CONTENT))
			return S_OK; /* this save says itself what the value is */
		if (PROP_ID(c[i].tag) < NAMED_FIRST && !id_keeps(PROP_ID(c[i].tag)))
			changed = TRUE;
	}
	if (!changed) {
		BOOL keep;
		HRESULT hr = named_keep(db, c, n, &keep);
		if (FAILED(hr))
			return hr;
		changed = !keep;
	}
	return changed ? local_props_delete(db, mid, PR_INTERNET_CONTENT) : S_OK;
}
