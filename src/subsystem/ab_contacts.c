/*
 * ab_contacts.c — the contacts provider: a Contacts folder seen as an
 * address book container, as Outlook's Contact Address Book sees it. Each
 * email address of a contact (Email1..3) is one entry and each personal
 * distribution list another; their entry IDs are the Contact Address
 * EntryID (type 4, index 0-2) and Personal Distribution List EntryID (type
 * 5) of MS-OXCDATA 2.2.5.3/2.2.5.4 around the message's entry ID, so lists
 * and recipients written by Outlook and by mapix name entries alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>

#include "core/error.h"
#include "subsystem/ab.h"

void mapix_ab_entries_free(ab_entry *e, ULONG n)
{
	for (ULONG i = 0; e && i < n; i++) {
		free(e[i].name);
		free(e[i].adrtype);
		free(e[i].address);
		free(e[i].smtp);
		free(e[i].eid.lpb);
	}
	free(e);
}

/* The 9 named tags of Email1..3 (display name, address type, address). */
static HRESULT email_tags(LPMAPIPROP obj, ULONG tags[9])
{
	ULONG lids[9], types[9];
	for (int n = 0; n < 3; n++)
		for (int k = 0; k < 3; k++) {
			lids[3 * n + k] = MAPIX_LID_EMAIL1_DISPLAY_NAME + 0x10 * (ULONG)n + (k == 0 ? 0 : k + 1);
			types[3 * n + k] = PT_UNICODE;
		}
	return mapix_ab_named_tags(obj, 9, lids, types, FALSE, tags);
}

static char *utf8(const SPropValue *v)
{
	if (PROP_TYPE(v->ulPropTag) != PT_UNICODE || !v->Value.lpszW)
		return NULL;
	size_t n = mapix_wcslen(v->Value.lpszW), need = mapix_utf16_to_utf8_buf(v->Value.lpszW, n, NULL, 0);
	char *s = malloc(need + 1);
	if (s)
		mapix_utf16_to_utf8_buf(v->Value.lpszW, n, s, need + 1);
	return s;
}

static HRESULT add_entry(ab_entry **e, ULONG *n, ULONG *cap, char *name, const char *adrtype, char *address,
                         ULONG type, ULONG index, const SBinary *msg)
{
	if (*n == *cap) {
		ULONG c = *cap ? 2 * *cap : 16;
		ab_entry *g = realloc(*e, c * sizeof *g);
		if (!g)
			goto oom;
		*e = g;
		*cap = c;
	}
	SBinary eid;
	HRESULT hr = mapix_contab_eid_build(type, index, msg->cb, msg->lpb, NULL, &eid);
	if (FAILED(hr)) {
		free(name);
		free(address);
		return hr;
	}
	ab_entry *x = &(*e)[*n];
	x->smtp = NULL;
	x->eid.cb = eid.cb;
	x->eid.lpb = malloc(eid.cb);
	x->name = name;
	x->address = address;
	x->adrtype = strdup(adrtype);
	x->display_type = type == MAPIX_CONTAB_USER ? DT_MAILUSER : DT_PRIVATE_DISTLIST;
	if (x->eid.lpb)
		memcpy(x->eid.lpb, eid.lpb, eid.cb);
	MAPIFreeBuffer(eid.lpb);
	(*n)++;
	if (!x->eid.lpb || !x->name || !x->address || !x->adrtype)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	return S_OK;
oom:
	free(name);
	free(address);
	return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
}

/* mapixd's directory: one entry per account (docs/mapixd.md). */
static HRESULT gal_entries(ab_folder *f, ab_entry **out, ULONG *nout)
{
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	HRESULT hr = f->mdb->lpVtbl->OpenProperty(f->mdb, PR_MAPIX_DIRECTORY_TABLE, &IID_IMAPITable, 0, MAPI_UNICODE,
	                                          (LPUNKNOWN *)&t);
	if (FAILED(hr))
		return hr;
	static const SizedSPropTagArray(5, cols) = {
		5, {PR_ENTRYID, PR_DISPLAY_NAME_W, PR_ADDRTYPE_W, PR_EMAIL_ADDRESS_W, PR_SMTP_ADDRESS_W}};
	hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	t->lpVtbl->Release(t);
	if (FAILED(hr))
		return hr;
	ab_entry *e = calloc(rows->cRows ? rows->cRows : 1, sizeof *e);
	ULONG n = 0;
	if (!e)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	for (ULONG r = 0; e && r < rows->cRows && SUCCEEDED(hr); r++) {
		LPSPropValue p = rows->aRow[r].lpProps;
		if (PROP_TYPE(p[0].ulPropTag) != PT_BINARY)
			continue;
		ab_entry *x = &e[n++];
		x->name = utf8(&p[1]);
		x->adrtype = utf8(&p[2]);
		x->address = utf8(&p[3]);
		x->smtp = utf8(&p[4]);
		x->display_type = DT_MAILUSER;
		x->eid.cb = p[0].Value.bin.cb;
		if ((x->eid.lpb = malloc(x->eid.cb)))
			memcpy(x->eid.lpb, p[0].Value.bin.lpb, x->eid.cb);
		if (!x->name || !x->adrtype || !x->address || !x->eid.lpb)
			hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	}
	FreeProws(rows);
	if (FAILED(hr)) {
		mapix_ab_entries_free(e, n);
		return hr;
	}
	*out = e;
	*nout = n;
	return S_OK;
}

HRESULT mapix_ab_folder_entries(ab_folder *f, ab_entry **out, ULONG *nout)
{
	if (f->gal)
		return gal_entries(f, out, nout);
	ULONG tags[9];
	HRESULT hr = email_tags((LPMAPIPROP)f->folder, tags);
	if (FAILED(hr))
		return hr;
	SizedSPropTagArray(12, cols) = {12, {PR_ENTRYID, PR_MESSAGE_CLASS_W, PR_DISPLAY_NAME_W}};
	memcpy(&cols.aulPropTag[3], tags, sizeof tags);
	LPMAPITABLE t = NULL;
	LPSRowSet rows = NULL;
	if (FAILED(hr = f->folder->lpVtbl->GetContentsTable(f->folder, MAPI_UNICODE, &t)))
		return hr;
	hr = HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	t->lpVtbl->Release(t);
	if (FAILED(hr))
		return hr;
	ab_entry *e = NULL;
	ULONG n = 0, cap = 0;
	for (ULONG r = 0; r < rows->cRows && SUCCEEDED(hr); r++) {
		LPSPropValue p = rows->aRow[r].lpProps;
		if (PROP_TYPE(p[0].ulPropTag) != PT_BINARY)
			continue;
		char *cls = utf8(&p[1]);
		BOOL contact = cls && strncasecmp(cls, "IPM.Contact", 11) == 0;
		BOOL list = cls && strncasecmp(cls, "IPM.DistList", 12) == 0;
		free(cls);
		if (list) {
			char *name = utf8(&p[2]);
			hr = add_entry(&e, &n, &cap, name ? name : strdup(""), "MAPIPDL", strdup(""), MAPIX_CONTAB_DISTLIST, 0xFF,
			               &p[0].Value.bin);
		}
		for (int k = 0; contact && k < 3 && SUCCEEDED(hr); k++) {
			char *address = utf8(&p[3 + 3 * k + 2]);
			if (!address || !*address) {
				free(address);
				continue;
			}
			char *name = utf8(&p[3 + 3 * k]);
			if (!name || !*name) {
				free(name);
				name = utf8(&p[2]);
			}
			char *type = utf8(&p[3 + 3 * k + 1]);
			hr = add_entry(&e, &n, &cap, name ? name : strdup(address), type && *type ? type : "SMTP", address,
			               MAPIX_CONTAB_USER, (ULONG)k, &p[0].Value.bin);
			free(type);
		}
	}
	FreeProws(rows);
	if (FAILED(hr)) {
		mapix_ab_entries_free(e, n);
		return hr;
	}
	*out = e;
	*nout = n;
	return S_OK;
}

HRESULT mapix_ab_user_props(const char *name, const char *adrtype, const char *address, const char *smtp,
                            const SBinary *eid, ULONG disptype, BOOL unicode, ULONG *cValues, LPSPropValue *props)
{
	enum { P_NAME, P_TYPE, P_ADDR, P_EID, P_OBJ, P_DISP, P_SKEY, P_RKEY, P_SMTP, P_COUNT };
	if (!smtp && strcasecmp(adrtype, "SMTP") == 0)
		smtp = address;
	ULONG n = smtp && *smtp ? P_COUNT : P_COUNT - 1;
	LPSPropValue v;
	HRESULT hr = mapix_ab_alloc(P_COUNT * sizeof *v, NULL, (LPVOID *)&v);
	if (FAILED(hr))
		return hr;
	memset(v, 0, P_COUNT * sizeof *v);
	const char *s[4] = {name, adrtype, address, smtp ? smtp : ""};
	static const ULONG wtags[4] = {PR_DISPLAY_NAME_W, PR_ADDRTYPE_W, PR_EMAIL_ADDRESS_W, PR_SMTP_ADDRESS_W};
	static const ULONG atags[4] = {PR_DISPLAY_NAME_A, PR_ADDRTYPE_A, PR_EMAIL_ADDRESS_A, PR_SMTP_ADDRESS_A};
	const int slot[4] = {P_NAME, P_TYPE, P_ADDR, P_SMTP};
	for (int i = 0; i < 4 && SUCCEEDED(hr); i++) {
		v[slot[i]].ulPropTag = unicode ? wtags[i] : atags[i];
		hr = unicode ? mapix_utf8_to_utf16(s[i], v, &v[slot[i]].Value.lpszW)
		             : mapix_ab_strdup(s[i], strlen(s[i]), v, &v[slot[i]].Value.lpszA);
	}
	/* PR_SEARCH_KEY: "ADRTYPE:ADDRESS" upper-cased with its NUL, as MAPI
	 * makes it for recipients. */
	size_t klen = strlen(adrtype) + strlen(address) + 2;
	BYTE *key = NULL;
	if (SUCCEEDED(hr))
		hr = mapix_ab_alloc(klen + eid->cb, v, (LPVOID *)&key);
	if (FAILED(hr)) {
		MAPIFreeBuffer(v);
		return hr;
	}
	snprintf((char *)key, klen, "%s:%s", adrtype, address);
	for (size_t i = 0; i < klen; i++)
		if (key[i] >= 'a' && key[i] <= 'z')
			key[i] = (BYTE)(key[i] - 'a' + 'A');
	memcpy(key + klen, eid->lpb, eid->cb);
	v[P_EID].ulPropTag = PR_ENTRYID;
	v[P_EID].Value.bin.cb = eid->cb;
	v[P_EID].Value.bin.lpb = key + klen;
	v[P_RKEY].ulPropTag = PR_RECORD_KEY;
	v[P_RKEY].Value.bin = v[P_EID].Value.bin;
	v[P_OBJ].ulPropTag = PR_OBJECT_TYPE;
	v[P_OBJ].Value.l = disptype == DT_MAILUSER ? MAPI_MAILUSER : MAPI_DISTLIST;
	v[P_DISP].ulPropTag = PR_DISPLAY_TYPE;
	v[P_DISP].Value.l = (LONG)disptype;
	v[P_SKEY].ulPropTag = PR_SEARCH_KEY;
	v[P_SKEY].Value.bin.cb = (ULONG)klen;
	v[P_SKEY].Value.bin.lpb = key;
	*cValues = n;
	*props = v;
	return S_OK;
}

/* Opens the message a contab entry ID embeds, in whichever store has it. */
static HRESULT open_message(ab_book *ab, ULONG cb, const BYTE *eid, LPMDB *mdb, LPMAPIPROP *msg)
{
	HRESULT hr = MAPI_E_NOT_FOUND;
	for (ULONG i = 0; i < ab->nfolders; i++) {
		ULONG type;
		LPMDB m = ab->folders[i].mdb;
		if (i && m == ab->folders[i - 1].mdb)
			continue;
		hr = m->lpVtbl->OpenEntry(m, cb, (LPENTRYID)eid, NULL, 0, &type, (LPUNKNOWN *)msg);
		if (SUCCEEDED(hr)) {
			*mdb = m;
			return hr;
		}
		mapix_error_clear();
	}
	return mapix_error(MAPI_E_NOT_FOUND, "address book: no open store has that contact or list");
}

HRESULT mapix_ab_open_contab(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *objtype, LPUNKNOWN *out)
{
	ULONG type, index, cbi;
	const BYTE *inner;
	HRESULT hr = mapix_contab_eid_parse(cb, eid, &type, &index, &cbi, &inner);
	if (FAILED(hr))
		return hr;
	LPMDB mdb = NULL;
	LPMAPIPROP msg = NULL;
	if (FAILED(hr = open_message(ab, cbi, inner, &mdb, &msg)))
		return hr;
	SBinary self = {cb, (LPBYTE)eid};
	ULONG n = 0;
	LPSPropValue props = NULL;
	if (type == MAPIX_CONTAB_DISTLIST) {
		MAPIX_DL *dl = NULL;
		if (SUCCEEDED(hr = mapix_dl_read(msg, &dl))) {
			hr = mapix_ab_user_props(dl->lpszName, "MAPIPDL", "", NULL, &self, DT_PRIVATE_DISTLIST, TRUE, &n, &props);
			MAPIFreeBuffer(dl);
		}
		if (SUCCEEDED(hr))
			hr = mapix_ab_distlist_new(ab, mdb, cbi, inner, n, props, (LPDISTLIST *)out);
		if (SUCCEEDED(hr))
			*objtype = MAPI_DISTLIST;
	} else if (index > 2) {
		hr = mapix_error(MAPI_E_NO_SUPPORT, "address book: fax addresses are not mail users here");
	} else {
		ULONG tags[9];
		LPSPropValue v = NULL;
		ULONG cv;
		if (SUCCEEDED(hr = email_tags(msg, tags))) {
			SizedSPropTagArray(4, cols) = {4, {tags[3 * index], tags[3 * index + 1], tags[3 * index + 2],
			                                   PR_DISPLAY_NAME_W}};
			hr = msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&cols, 0, &cv, &v);
		}
		if (SUCCEEDED(hr)) {
			char *name = utf8(&v[0]), *atype = utf8(&v[1]), *addr = utf8(&v[2]), *dname = utf8(&v[3]);
			if (!addr || !*addr)
				hr = mapix_error(MAPI_E_NOT_FOUND, "address book: the contact has no Email%u", (unsigned)index + 1);
			else
				hr = mapix_ab_user_props(name && *name ? name : dname ? dname : addr, atype && *atype ? atype : "SMTP",
				                         addr, NULL, &self, DT_MAILUSER, TRUE, &n, &props);
			free(name);
			free(atype);
			free(addr);
			free(dname);
		}
		MAPIFreeBuffer(v);
		if (SUCCEEDED(hr))
			hr = mapix_ab_mailuser_new(ab, n, props, (LPMAILUSER *)out);
		if (SUCCEEDED(hr))
			*objtype = MAPI_MAILUSER;
	}
	MAPIFreeBuffer(props);
	msg->lpVtbl->Release(msg);
	return hr;
}

HRESULT mapix_ab_open_gal(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *objtype, LPUNKNOWN *out)
{
	LPSTR dn = NULL;
	HRESULT hr = mapix_ab_eid_parse(cb, eid, NULL, NULL, &dn);
	if (FAILED(hr))
		return hr;
	hr = mapix_error(MAPI_E_NOT_FOUND, "address book: no directory has %s", dn);
	for (ULONG i = 0; i < ab->nfolders && hr == MAPI_E_NOT_FOUND; i++) {
		ab_entry *e = NULL;
		ULONG n = 0;
		if (!ab->folders[i].gal)
			continue;
		if (FAILED(mapix_ab_folder_entries(&ab->folders[i], &e, &n))) {
			mapix_error_clear();
			continue;
		}
		/* DNs compare without regard to case, as X500 DNs do. */
		for (ULONG k = 0; k < n; k++)
			if (strcasecmp(e[k].address, dn) == 0) {
				ULONG np = 0;
				LPSPropValue props = NULL;
				SBinary self = {cb, (LPBYTE)eid};
				hr = mapix_ab_user_props(e[k].name, e[k].adrtype, e[k].address, e[k].smtp, &self, DT_MAILUSER, TRUE,
				                         &np, &props);
				if (SUCCEEDED(hr))
					hr = mapix_ab_mailuser_new(ab, np, props, (LPMAILUSER *)out);
				MAPIFreeBuffer(props);
				if (SUCCEEDED(hr))
					*objtype = MAPI_MAILUSER;
				break;
			}
		mapix_ab_entries_free(e, n);
	}
	MAPIFreeBuffer(dn);
	return hr;
}
