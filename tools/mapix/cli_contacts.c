/*
 * cli_contacts.c — finding things in a mailbox's Contacts folder for
 * `mapix dl`: the folder itself (PR_IPM_CONTACT_ENTRYID of the root),
 * personal distribution lists by name, contacts by name or address. Names
 * compare without regard to ASCII case.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "cli_contacts.h"

HRESULT cli_open_contacts(LPMDB mdb, const char *mailbox, ULONG flags, LPMAPIFOLDER *out)
{
	LPMAPIFOLDER root = NULL;
	LPSPropValue v = NULL;
	ULONG type;
	HRESULT hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root);
	if (FAILED(hr)) {
		cli_fail(mailbox, hr);
		return hr;
	}
	hr = HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v);
	IMAPIFolder_Release(root);
	if (FAILED(hr)) {
		cli_error("%s: the mailbox has no Contacts folder", mailbox);
		return hr;
	}
	hr = IMsgStore_OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, flags, &type, (LPUNKNOWN *)out);
	MAPIFreeBuffer(v);
	if (FAILED(hr))
		cli_fail("Contacts", hr);
	return hr;
}

/* The PSETID_Address tags of Email1..3's display name and address. */
static HRESULT email_tags(LPMAPIFOLDER f, ULONG tags[6])
{
	MAPINAMEID n[6], *pn[6];
	for (int i = 0; i < 6; i++) {
		n[i].lpguid = (LPGUID)&PSETID_Address;
		n[i].ulKind = MNID_ID;
		n[i].Kind.lID = (LONG)(MAPIX_LID_EMAIL1_DISPLAY_NAME + 0x10 * (i / 2) + (i % 2 ? 3 : 0));
		pn[i] = &n[i];
	}
	LPSPropTagArray ta = NULL;
	HRESULT hr = IMAPIFolder_GetIDsFromNames(f, 6, pn, MAPI_CREATE, &ta);
	if (FAILED(hr))
		return hr;
	for (int i = 0; i < 6; i++)
		tags[i] = PROP_TAG(PT_STRING8, PROP_ID(ta->aulPropTag[i]));
	MAPIFreeBuffer(ta);
	return S_OK;
}

static const char *str(const SPropValue *v)
{
	return PROP_TYPE(v->ulPropTag) == PT_STRING8 && v->Value.lpszA ? v->Value.lpszA : NULL;
}

/* All rows of the folder with the columns given (PT_STRING8 strings). */
static HRESULT all_rows(LPMAPIFOLDER f, ULONG n, const ULONG *cols, LPSRowSet *rows)
{
	LPMAPITABLE t = NULL;
	HRESULT hr = IMAPIFolder_GetContentsTable(f, 0, &t);
	if (FAILED(hr))
		return hr;
	SizedSPropTagArray(10, c) = {n, {0}};
	memcpy(c.aulPropTag, cols, n * sizeof *cols);
	hr = HrQueryAllRows(t, (LPSPropTagArray)&c, NULL, NULL, 0, rows);
	IMAPITable_Release(t);
	return hr;
}

HRESULT cli_find_list(LPMAPIFOLDER f, const char *name, SBinary *eid)
{
	static const ULONG cols[3] = {PR_ENTRYID, PR_MESSAGE_CLASS_A, PR_DISPLAY_NAME_A};
	LPSRowSet rows = NULL;
	HRESULT hr = all_rows(f, 3, cols, &rows);
	if (FAILED(hr))
		return hr;
	hr = MAPI_E_NOT_FOUND;
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		if (!str(&p[1]) || strcasecmp(str(&p[1]), "IPM.DistList") != 0 || !str(&p[2]) ||
		    strcasecmp(str(&p[2]), name) != 0)
			continue;
		if (hr == S_OK) {
			MAPIFreeBuffer(eid->lpb);
			hr = MAPI_E_AMBIGUOUS_RECIP;
			break;
		}
		eid->cb = p[0].Value.bin.cb;
		if (FAILED(MAPIAllocateBuffer(eid->cb, (LPVOID *)&eid->lpb))) {
			hr = MAPI_E_NOT_ENOUGH_MEMORY;
			break;
		}
		memcpy(eid->lpb, p[0].Value.bin.lpb, eid->cb);
		hr = S_OK;
	}
	FreeProws(rows);
	return hr;
}

HRESULT cli_find_contact(LPMAPIFOLDER f, const char *key, cli_contact *out)
{
	ULONG cols[9] = {PR_ENTRYID, PR_MESSAGE_CLASS_A, PR_DISPLAY_NAME_A};
	HRESULT hr = email_tags(f, cols + 3);
	if (FAILED(hr))
		return hr;
	LPSRowSet rows = NULL;
	if (FAILED(hr = all_rows(f, 9, cols, &rows)))
		return hr;
	int found = 0;
	memset(out, 0, sizeof *out);
	for (ULONG i = 0; i < rows->cRows && found < 2; i++) {
		LPSPropValue p = rows->aRow[i].lpProps;
		if (!str(&p[1]) || strncasecmp(str(&p[1]), "IPM.Contact", 11) != 0)
			continue;
		/* An address picks that EmailN; a name picks the first one set. */
		int pick = -1;
		for (int n = 0; n < 3 && pick < 0; n++)
			if (str(&p[4 + 2 * n]) && strcasecmp(str(&p[4 + 2 * n]), key) == 0)
				pick = n;
		if (pick < 0 && str(&p[2]) && strcasecmp(str(&p[2]), key) == 0)
			for (int n = 0; n < 3 && pick < 0; n++)
				if (str(&p[4 + 2 * n]))
					pick = n;
		if (pick < 0)
			continue;
		if (found++)
			break;
		const char *dn = str(&p[3 + 2 * pick]);
		out->n = (ULONG)pick + 1;
		out->eid.cb = p[0].Value.bin.cb;
		out->name = strdup(dn && *dn ? dn : str(&p[2]) ? str(&p[2]) : "");
		out->address = strdup(str(&p[4 + 2 * pick]));
		out->eid.lpb = malloc(out->eid.cb);
		if (!out->name || !out->address || !out->eid.lpb) {
			hr = MAPI_E_NOT_ENOUGH_MEMORY;
			break;
		}
		memcpy(out->eid.lpb, p[0].Value.bin.lpb, out->eid.cb);
	}
	FreeProws(rows);
	if (FAILED(hr) || found != 1) {
		cli_contact_free(out);
		return FAILED(hr) ? hr : found ? MAPI_E_AMBIGUOUS_RECIP : MAPI_E_NOT_FOUND;
	}
	return S_OK;
}

void cli_contact_free(cli_contact *c)
{
	free(c->name);
	free(c->address);
	free(c->eid.lpb);
	memset(c, 0, sizeof *c);
}
