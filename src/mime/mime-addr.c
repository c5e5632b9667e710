/*
 * mime-addr.c — Internet addresses to MAPI recipients and originators: the
 * recipient rows of To/Cc/Bcc, the sender and sent-representing property
 * groups, and the One-Off EntryIDs (MS-OXCDATA 2.2.5.1) and search keys
 * that let MAPI clients treat those addresses like any other recipient.
 */
#include <string.h>

#include <mapix/mapixab.h>

#include "core/error.h"
#include "mime/mime.h"

static HRESULT bin_from(GByteArray *b, LPVOID parent, SBinary *out)
{
	LPVOID p = NULL;
	SCODE sc = parent ? MAPIAllocateMore(b->len, parent, &p) : MAPIAllocateBuffer(b->len, &p);
	if (sc != S_OK) {
		g_byte_array_unref(b);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
	}
	memcpy(p, b->data, b->len);
	out->cb = b->len;
	out->lpb = p;
	g_byte_array_unref(b);
	return S_OK;
}

/* The one builder of One-Off EntryIDs (mapixab.h): Unicode, no TNEF. */
HRESULT mapix_mime_oneoff_entryid(const char *name, const char *addr, LPVOID parent, SBinary *out)
{
	return mapix_oneoff_build(name && *name ? name : addr, "SMTP", addr, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO,
	                          parent, out);
}

HRESULT mapix_mime_search_key(const char *addr, LPVOID parent, SBinary *out)
{
	GByteArray *b = g_byte_array_new();
	char *up = g_ascii_strup(addr, -1);
	g_byte_array_append(b, (const guint8 *)"SMTP:", 5);
	g_byte_array_append(b, (const guint8 *)up, (guint)strlen(up) + 1);
	g_free(up);
	return bin_from(b, parent, out);
}

static HRESULT dup_w(const char *utf8, LPVOID parent, LPWSTR *out)
{
	SCODE sc = mapix_utf8_to_utf16(utf8 ? utf8 : "", parent, out);
	return sc == S_OK ? S_OK : mapix_error(sc, "mapix_mime: out of memory");
}

/* Collects the mailboxes of list, descending into groups. */
static void flatten(InternetAddressList *list, GPtrArray *out, int depth)
{
	int n = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			g_ptr_array_add(out, ia);
		else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 4)
			flatten(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
	}
}

HRESULT mapix_mime_add_recipients(LPMESSAGE msg, InternetAddressList *list, ULONG ulType, mapix_mime_warnings *w)
{
	GPtrArray *boxes = g_ptr_array_new();
	LPADRLIST al = NULL;
	HRESULT hr = S_OK;

	flatten(list, boxes, 0);
	if (boxes->len == 0)
		goto out;
	if (MAPIAllocateBuffer(CbNewADRLIST(boxes->len), (LPVOID *)&al) != S_OK) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
		goto out;
	}
	memset(al, 0, CbNewADRLIST(boxes->len));
	for (guint i = 0; i < boxes->len && hr == S_OK; i++) {
		InternetAddress *ia = boxes->pdata[i];
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *name = internet_address_get_name(ia);
		enum { NPROPS = 9 };
		LPSPropValue pv = NULL;

		if (!addr || !*addr) {
			mapix_mime_warn(w, "recipient \"%s\" has no address", name ? name : "");
			addr = "";
		}
		if (MAPIAllocateBuffer(NPROPS * sizeof(SPropValue), (LPVOID *)&pv) != S_OK) {
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
			break;
		}
		memset(pv, 0, NPROPS * sizeof(SPropValue));
		al->aEntries[al->cEntries].rgPropVals = pv;
		al->aEntries[al->cEntries].cValues = NPROPS;
		al->cEntries++;
		pv[0].ulPropTag = PR_RECIPIENT_TYPE;
		pv[0].Value.l = (LONG)ulType;
		pv[1].ulPropTag = PR_DISPLAY_NAME_W;
		hr = dup_w(name && *name ? name : addr, pv, &pv[1].Value.lpszW);
		pv[2].ulPropTag = PR_ADDRTYPE_W;
		if (hr == S_OK)
			hr = dup_w("SMTP", pv, &pv[2].Value.lpszW);
		pv[3].ulPropTag = PR_EMAIL_ADDRESS_W;
		if (hr == S_OK)
			hr = dup_w(addr, pv, &pv[3].Value.lpszW);
		pv[4].ulPropTag = PR_SMTP_ADDRESS_W;
		if (hr == S_OK)
			hr = dup_w(addr, pv, &pv[4].Value.lpszW);
		pv[5].ulPropTag = PR_ENTRYID;
		if (hr == S_OK)
			hr = mapix_mime_oneoff_entryid(name, addr, pv, &pv[5].Value.bin);
		pv[6].ulPropTag = PR_SEARCH_KEY;
		if (hr == S_OK)
			hr = mapix_mime_search_key(addr, pv, &pv[6].Value.bin);
		pv[7].ulPropTag = PR_OBJECT_TYPE;
		pv[7].Value.l = MAPI_MAILUSER;
		pv[8].ulPropTag = PR_DISPLAY_TYPE;
		pv[8].Value.l = DT_MAILUSER;
	}
	if (hr == S_OK)
		hr = IMessage_ModifyRecipients(msg, MODRECIP_ADD, al);
	FreePadrlist(al);
out:
	g_ptr_array_free(boxes, TRUE);
	return hr;
}

HRESULT mapix_mime_set_originator(LPMESSAGE msg, InternetAddressList *list, BOOL representing)
{
	GPtrArray *boxes = g_ptr_array_new();
	LPSPropValue pv = NULL;
	HRESULT hr = S_OK;

	flatten(list, boxes, 0);
	if (boxes->len == 0)
		goto out;
	InternetAddress *ia = boxes->pdata[0];
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	const char *name = internet_address_get_name(ia);
	if (!addr)
		addr = "";
	if (MAPIAllocateBuffer(6 * sizeof(SPropValue), (LPVOID *)&pv) != S_OK) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_mime: out of memory");
		goto out;
	}
	pv[0].ulPropTag = representing ? PR_SENT_REPRESENTING_NAME_W : PR_SENDER_NAME_W;
	hr = dup_w(name && *name ? name : addr, pv, &pv[0].Value.lpszW);
	pv[1].ulPropTag = representing ? PR_SENT_REPRESENTING_ADDRTYPE_W : PR_SENDER_ADDRTYPE_W;
	if (hr == S_OK)
		hr = dup_w("SMTP", pv, &pv[1].Value.lpszW);
	pv[2].ulPropTag = representing ? PR_SENT_REPRESENTING_EMAIL_ADDRESS_W : PR_SENDER_EMAIL_ADDRESS_W;
	if (hr == S_OK)
		hr = dup_w(addr, pv, &pv[2].Value.lpszW);
	pv[3].ulPropTag = representing ? PR_SENT_REPRESENTING_SMTP_ADDRESS_W : PR_SENDER_SMTP_ADDRESS_W;
	if (hr == S_OK)
		hr = dup_w(addr, pv, &pv[3].Value.lpszW);
	pv[4].ulPropTag = representing ? PR_SENT_REPRESENTING_ENTRYID : PR_SENDER_ENTRYID;
	if (hr == S_OK)
		hr = mapix_mime_oneoff_entryid(name, addr, pv, &pv[4].Value.bin);
	pv[5].ulPropTag = representing ? PR_SENT_REPRESENTING_SEARCH_KEY : PR_SENDER_SEARCH_KEY;
	if (hr == S_OK)
		hr = mapix_mime_search_key(addr, pv, &pv[5].Value.bin);
	if (hr == S_OK)
		hr = mapix_mime_set_props((LPMAPIPROP)msg, 6, pv);
	MAPIFreeBuffer(pv);
out:
	g_ptr_array_free(boxes, TRUE);
	return hr;
}
