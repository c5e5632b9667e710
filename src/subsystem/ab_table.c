/*
 * ab_table.c — the address book's tables: the root's hierarchy (one row
 * per Contacts folder), a container's contents (its contacts' addresses
 * and lists) and a distribution list's contents (its members, as the list
 * stores them: each with the entry ID IAddrBook::OpenEntry takes and the
 * name and address of the one-off the list keeps beside it). Snapshots
 * (ITableData views) built when asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "core/error.h"
#include "subsystem/ab.h"
#include "subsystem/profadmin.h"

enum { C_EID, C_NAME, C_ADRTYPE, C_ADDRESS, C_OBJTYPE, C_DISPTYPE, C_IKEY, C_COUNT };
static const SizedSPropTagArray(C_COUNT, ENTRY_COLS) = {
	C_COUNT, {PR_ENTRYID, PR_DISPLAY_NAME_W, PR_ADDRTYPE_W, PR_EMAIL_ADDRESS_W, PR_OBJECT_TYPE, PR_DISPLAY_TYPE,
	          PR_INSTANCE_KEY}};

/* A table from rows that are each one MAPIAllocateBuffer block. */
static HRESULT finish(const SPropTagArray *cols, ULONG n, LPSPropValue *rows, HRESULT hr, LPMAPITABLE *out)
{
	if (SUCCEEDED(hr))
		hr = mapix_admin_make_table(cols, n, rows, out);
	for (ULONG i = 0; i < n; i++)
		MAPIFreeBuffer(rows[i]);
	free(rows);
	return hr;
}

static HRESULT entry_row(ULONG i, const char *name, const char *adrtype, const char *address, const SBinary *eid,
                         ULONG disptype, LPSPropValue *out)
{
	LPSPropValue v;
	HRESULT hr = MAPIAllocateBuffer(C_COUNT * sizeof *v + 4, (LPVOID *)&v);
	if (FAILED(hr))
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	memset(v, 0, C_COUNT * sizeof *v);
	BYTE *key = (BYTE *)(v + C_COUNT);
	memcpy(key, &i, 4);
	for (int c = 0; c < C_COUNT; c++)
		v[c].ulPropTag = ENTRY_COLS.aulPropTag[c];
	const char *s[3] = {name, adrtype, address};
	for (int k = 0; k < 3 && SUCCEEDED(hr); k++)
		hr = mapix_utf8_to_utf16(s[k] ? s[k] : "", v, &v[C_NAME + k].Value.lpszW);
	v[C_EID].Value.bin = *eid; /* copied by the table */
	v[C_OBJTYPE].Value.l = disptype == DT_MAILUSER ? MAPI_MAILUSER : MAPI_DISTLIST;
	v[C_DISPTYPE].Value.l = (LONG)disptype;
	v[C_IKEY].Value.bin.cb = 4;
	v[C_IKEY].Value.bin.lpb = key;
	if (FAILED(hr)) {
		MAPIFreeBuffer(v);
		return hr;
	}
	*out = v;
	return S_OK;
}

HRESULT mapix_ab_contents_table(ab_book *ab, ULONG index, LPMAPITABLE *out)
{
	if (!out)
		return MAPI_E_INVALID_PARAMETER;
	if (index == MAPIX_ABCONT_ROOT) /* the root holds containers only */
		return mapix_admin_make_table((LPSPropTagArray)&ENTRY_COLS, 0, NULL, out);
	if (index >= ab->nfolders)
		return mapix_error(MAPI_E_NOT_FOUND, "address book: no container %u", (unsigned)index);
	ab_entry *e = NULL;
	ULONG n = 0;
	HRESULT hr = mapix_ab_folder_entries(&ab->folders[index], &e, &n);
	if (FAILED(hr))
		return hr;
	LPSPropValue *rows = calloc(n ? n : 1, sizeof *rows);
	ULONG made = 0;
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	for (; rows && made < n && SUCCEEDED(hr); made++)
		hr = entry_row(made, e[made].name, e[made].adrtype, e[made].address, &e[made].eid, e[made].display_type,
		               &rows[made]);
	if (FAILED(hr) && made)
		made--; /* the failed row was not made */
	hr = rows ? finish((LPSPropTagArray)&ENTRY_COLS, made, rows, hr, out) : hr;
	mapix_ab_entries_free(e, n);
	return hr;
}

HRESULT mapix_ab_hierarchy_table(ab_book *ab, LPMAPITABLE *out)
{
	enum { H_EID, H_NAME, H_OBJTYPE, H_DISPTYPE, H_DEPTH, H_FLAGS, H_IKEY, H_COUNT };
	static const SizedSPropTagArray(H_COUNT, cols) = {
		H_COUNT, {PR_ENTRYID, PR_DISPLAY_NAME_W, PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_DEPTH, PR_CONTAINER_FLAGS,
		          PR_INSTANCE_KEY}};
	if (!out)
		return MAPI_E_INVALID_PARAMETER;
	LPSPropValue *rows = calloc(ab->nfolders ? ab->nfolders : 1, sizeof *rows);
	if (!rows)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	HRESULT hr = S_OK;
	ULONG made = 0;
	for (; made < ab->nfolders && SUCCEEDED(hr); made++) {
		LPSPropValue v;
		if (FAILED(hr = MAPIAllocateBuffer(H_COUNT * sizeof *v + MAPIX_ABCONT_EID_SIZE + 4, (LPVOID *)&v)))
			break;
		memset(v, 0, H_COUNT * sizeof *v);
		BYTE *eid = (BYTE *)(v + H_COUNT), *key = eid + MAPIX_ABCONT_EID_SIZE;
		mapix_ab_container_eid(made, eid);
		memcpy(key, &made, 4);
		for (int c = 0; c < H_COUNT; c++)
			v[c].ulPropTag = cols.aulPropTag[c];
		v[H_EID].Value.bin.cb = MAPIX_ABCONT_EID_SIZE;
		v[H_EID].Value.bin.lpb = eid;
		v[H_OBJTYPE].Value.l = MAPI_ABCONT;
		v[H_DISPTYPE].Value.l = (LONG)(ab->folders[made].gal ? DT_GLOBAL : DT_NOT_SPECIFIC);
		v[H_DEPTH].Value.l = 0;
		v[H_FLAGS].Value.l = (LONG)(AB_RECIPIENTS | AB_UNMODIFIABLE);
		v[H_IKEY].Value.bin.cb = 4;
		v[H_IKEY].Value.bin.lpb = key;
		rows[made] = v;
		hr = mapix_utf8_to_utf16(ab->folders[made].name, v, &v[H_NAME].Value.lpszW);
	}
	if (FAILED(hr))
		return finish((LPSPropTagArray)&cols, made, rows, mapix_error(hr, "address book: out of memory"), out);
	return finish((LPSPropTagArray)&cols, made, rows, hr, out);
}

/* The entry ID IAddrBook::OpenEntry takes for a list member. */
static HRESULT member_eid(const MAPIX_DL_MEMBER *m, LPVOID parent, SBinary *eid, ULONG *disptype)
{
	*disptype = DT_MAILUSER;
	if (mapix_is_oneoff(m->member.cb, m->member.lpb)) {
		*eid = m->member;
		return S_OK;
	}
	BYTE type;
	ULONG cbi;
	const BYTE *inner;
	HRESULT hr = mapix_wrapped_eid_parse(m->member.cb, m->member.lpb, &type, &cbi, &inner);
	if (FAILED(hr))
		return hr;
	switch (type & 0x0F) {
	case MAPIX_WRAPPED_CONTACT: {
		ULONG idx = (type >> 4) & 7; /* 4..6 Email1..3, 0..2 faxes (contab 3..5) */
		return mapix_contab_eid_build(MAPIX_CONTAB_USER, idx >= 4 ? idx - 4 : idx + 3, cbi, inner, parent, eid);
	}
	case MAPIX_WRAPPED_DISTLIST:
		*disptype = DT_PRIVATE_DISTLIST;
		return mapix_contab_eid_build(MAPIX_CONTAB_DISTLIST, 0xFF, cbi, inner, parent, eid);
	case MAPIX_WRAPPED_GAL_DISTLIST:
		*disptype = DT_DISTLIST;
		/* fall through */
	default: /* a one-off or a directory entry: the embedded ID as is */
		eid->cb = cbi;
		eid->lpb = (LPBYTE)inner;
		return S_OK;
	}
}

HRESULT mapix_ab_members_table(LPMDB mdb, ULONG cbMsg, const BYTE *msgEid, LPMAPITABLE *out)
{
	if (!out)
		return MAPI_E_INVALID_PARAMETER;
	ULONG type;
	LPMAPIPROP msg = NULL;
	HRESULT hr = mdb->lpVtbl->OpenEntry(mdb, cbMsg, (LPENTRYID)msgEid, NULL, 0, &type, (LPUNKNOWN *)&msg);
	if (FAILED(hr))
		return hr;
	MAPIX_DL *dl = NULL;
	hr = mapix_dl_read(msg, &dl);
	msg->lpVtbl->Release(msg);
	if (FAILED(hr))
		return hr;
	LPSPropValue *rows = calloc(dl->cMembers ? dl->cMembers : 1, sizeof *rows);
	ULONG made = 0;
	if (!rows)
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "address book: out of memory");
	for (ULONG i = 0; rows && i < dl->cMembers && SUCCEEDED(hr); i++) {
		const MAPIX_DL_MEMBER *m = &dl->aMembers[i];
		SBinary eid;
		ULONG disptype;
		if (FAILED(member_eid(m, dl, &eid, &disptype))) {
			mapix_error_clear(); /* a member mapix cannot open still shows */
			eid = m->member;
		}
		const SBinary *src = mapix_is_oneoff(m->member.cb, m->member.lpb) ? &m->member : &m->oneoff;
		MAPIX_ONEOFF o;
		BOOL have = src->cb && SUCCEEDED(mapix_oneoff_parse(src->cb, src->lpb, dl, &o));
		if (!have)
			mapix_error_clear();
		hr = entry_row(made, have ? o.lpszName : "", have ? o.lpszAdrType : "", have ? o.lpszAddress : "", &eid,
		               disptype, &rows[made]);
		if (SUCCEEDED(hr))
			made++;
	}
	hr = rows ? finish((LPSPropTagArray)&ENTRY_COLS, made, rows, hr, out) : hr;
	MAPIFreeBuffer(dl);
	return hr;
}
