/*
 * ab_dlist.c — personal distribution lists on any IMessage (MS-OXOCNTC
 * 2.2.2): reading the members (stream first, else the two members
 * properties paired by position, with the checksum checked), writing them
 * (properties with their checksum while they fit in 15,000 bytes, the
 * stream beyond), and the member entries a list holds. Works through the
 * public interfaces only, so a local store, mapixd and in-memory messages
 * all serve.
 */
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "core/error.h"
#include "subsystem/ab.h"

HRESULT mapix_ab_named_tags(LPMAPIPROP obj, ULONG n, const ULONG *lids, const ULONG *types, BOOL fCreate, ULONG *tags)
{
	MAPINAMEID names[16], *pnames[16];
	LPSPropTagArray ta = NULL;
	if (n > 16)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "address book: too many named properties");
	for (ULONG i = 0; i < n; i++) {
		names[i].lpguid = (LPGUID)&PSETID_Address;
		names[i].ulKind = MNID_ID;
		names[i].Kind.lID = (LONG)lids[i];
		pnames[i] = &names[i];
	}
	HRESULT hr = obj->lpVtbl->GetIDsFromNames(obj, n, pnames, fCreate ? MAPI_CREATE : 0, &ta);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < n; i++) {
		ULONG t = ta->aulPropTag[i];
		/* An unknown name (not created) is PR_NULL: a column or GetProps slot
		 * that yields nothing, where a PT_ERROR tag would be refused. */
		tags[i] = PROP_TYPE(t) == PT_ERROR ? PR_NULL : PROP_TAG(types[i], PROP_ID(t));
	}
	MAPIFreeBuffer(ta);
	return S_OK;
}

enum { T_NAME, T_MEMBERS, T_ONEOFFS, T_CHECKSUM, T_STREAM, T_COUNT };
static const ULONG DL_LIDS[T_COUNT] = {MAPIX_LID_DL_NAME, MAPIX_LID_DL_MEMBERS, MAPIX_LID_DL_ONEOFF_MEMBERS,
                                       MAPIX_LID_DL_CHECKSUM, MAPIX_LID_DL_STREAM};
static const ULONG DL_TYPES[T_COUNT] = {PT_UNICODE, PT_MV_BINARY, PT_MV_BINARY, PT_LONG, PT_BINARY};

static BOOL have(const SPropValue *v, ULONG type)
{
	return PROP_TYPE(v->ulPropTag) == type;
}

/* A binary property too large for GetProps, through its stream. */
static HRESULT read_big(LPMAPIPROP msg, ULONG tag, LPVOID parent, BYTE **out, ULONG *cb)
{
	LPSTREAM st = NULL;
	HRESULT hr = msg->lpVtbl->OpenProperty(msg, tag, &IID_IStream, 0, 0, (LPUNKNOWN *)&st);
	if (FAILED(hr))
		return hr;
	STATSTG stat;
	if (FAILED(hr = st->lpVtbl->Stat(st, &stat, STATFLAG_NONAME)))
		goto done;
	if (stat.cbSize.QuadPart > 0x7FFFFFF0) {
		hr = mapix_error(MAPI_E_TOO_BIG, "distribution list stream: too large");
		goto done;
	}
	ULONG n = (ULONG)stat.cbSize.QuadPart, got = 0;
	BYTE *p;
	if (FAILED(hr = mapix_ab_alloc(n ? n : 1, parent, (LPVOID *)&p)))
		goto done;
	while (got < n && SUCCEEDED(hr)) {
		ULONG r = 0;
		hr = st->lpVtbl->Read(st, p + got, n - got, &r);
		if (SUCCEEDED(hr) && r == 0)
			hr = mapix_error(MAPI_E_CORRUPT_DATA, "distribution list stream: short read");
		got += r;
	}
	*out = p;
	*cb = n;
done:
	st->lpVtbl->Release(st);
	return hr;
}

MAPIX_API HRESULT mapix_dl_read(LPMAPIPROP msg, MAPIX_DL **out)
{
	if (!msg || !out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_read: NULL argument");
	*out = NULL;
	ULONG tags[T_COUNT];
	HRESULT hr = mapix_ab_named_tags(msg, T_COUNT, DL_LIDS, DL_TYPES, FALSE, tags);
	if (FAILED(hr))
		return hr;
	SizedSPropTagArray(T_COUNT + 1, cols) = {T_COUNT + 1, {0}};
	for (int i = 0; i < T_COUNT; i++)
		cols.aulPropTag[i] = tags[i];
	cols.aulPropTag[T_COUNT] = PR_DISPLAY_NAME_W;
	ULONG cv = 0;
	LPSPropValue v = NULL;
	hr = msg->lpVtbl->GetProps(msg, (LPSPropTagArray)&cols, 0, &cv, &v);
	if (FAILED(hr))
		return hr;
	MAPIX_DL *dl;
	if (FAILED(hr = mapix_ab_alloc(sizeof *dl, NULL, (LPVOID *)&dl))) {
		MAPIFreeBuffer(v);
		return hr;
	}
	memset(dl, 0, sizeof *dl);
	const WCHAR *wname = have(&v[T_NAME], PT_UNICODE) ? v[T_NAME].Value.lpszW
	                     : have(&v[T_COUNT], PT_UNICODE) ? v[T_COUNT].Value.lpszW
	                                                     : NULL;
	if (FAILED(hr = mapix_utf16_to_utf8(wname ? wname : u"", dl, &dl->lpszName)))
		goto done;
	BOOL big = PROP_TYPE(v[T_STREAM].ulPropTag) == PT_ERROR && v[T_STREAM].Value.err == MAPI_E_NOT_ENOUGH_MEMORY;
	if (have(&v[T_STREAM], PT_BINARY) || big) {
		/* The stream wins over the properties (MS-OXOCNTC 2.2.2.2.4);
		 * its bytes are copied into dl so members can point at them. */
		BYTE *copy;
		ULONG cb = 0;
		if (big) {
			if (FAILED(hr = read_big(msg, tags[T_STREAM], dl, &copy, &cb)))
				goto done;
		} else {
			cb = v[T_STREAM].Value.bin.cb;
			if (FAILED(hr = mapix_ab_alloc(cb ? cb : 1, dl, (LPVOID *)&copy)))
				goto done;
			memcpy(copy, v[T_STREAM].Value.bin.lpb, cb);
		}
		MAPIX_DL s;
		if (FAILED(hr = mapix_dl_stream_parse(cb, copy, dl, &s)))
			goto done;
		dl->cMembers = s.cMembers;
		dl->aMembers = s.aMembers;
		dl->fFromStream = TRUE;
		dl->ulStreamFlags = s.ulStreamFlags;
		goto done;
	}
	if (have(&v[T_MEMBERS], PT_MV_BINARY)) {
		SBinaryArray *mem = &v[T_MEMBERS].Value.MVbin;
		SBinaryArray *one = have(&v[T_ONEOFFS], PT_MV_BINARY) ? &v[T_ONEOFFS].Value.MVbin : NULL;
		if (mem->cValues &&
		    FAILED(hr = mapix_ab_alloc((size_t)mem->cValues * sizeof *dl->aMembers, dl, (LPVOID *)&dl->aMembers)))
			goto done;
		for (ULONG i = 0; i < mem->cValues && SUCCEEDED(hr); i++) {
			const SBinary *parts[2] = {&mem->lpbin[i], one && i < one->cValues ? &one->lpbin[i] : NULL};
			SBinary *dst[2] = {&dl->aMembers[i].member, &dl->aMembers[i].oneoff};
			for (int k = 0; k < 2 && SUCCEEDED(hr); k++) {
				dst[k]->cb = 0;
				dst[k]->lpb = NULL;
				if (!parts[k] || !parts[k]->cb)
					continue;
				if (SUCCEEDED(hr = mapix_ab_alloc(parts[k]->cb, dl, (LPVOID *)&dst[k]->lpb))) {
					memcpy(dst[k]->lpb, parts[k]->lpb, parts[k]->cb);
					dst[k]->cb = parts[k]->cb;
				}
			}
		}
		if (FAILED(hr))
			goto done;
		dl->cMembers = mem->cValues;
		if (have(&v[T_CHECKSUM], PT_LONG)) {
			dl->fChecksumPresent = TRUE;
			dl->ulChecksum = (ULONG)v[T_CHECKSUM].Value.l;
			dl->fChecksumOK = dl->ulChecksum == mapix_dl_checksum(mem->cValues, mem->lpbin);
		}
	}
done:
	MAPIFreeBuffer(v);
	if (FAILED(hr)) {
		MAPIFreeBuffer(dl);
		return hr;
	}
	*out = dl;
	return S_OK;
}

MAPIX_API HRESULT mapix_dl_write(LPMAPIPROP msg, LPCSTR name, ULONG count, const MAPIX_DL_MEMBER *m, ULONG flags)
{
	if (!msg || !name || (count && !m))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_write: NULL argument");
	ULONG tags[T_COUNT];
	HRESULT hr = mapix_ab_named_tags(msg, T_COUNT, DL_LIDS, DL_TYPES, TRUE, tags);
	if (FAILED(hr))
		return hr;
	LPVOID block;
	if (FAILED(hr = mapix_ab_alloc(1, NULL, &block)))
		return hr;
	SBinary *mem = NULL, *one = NULL;
	size_t cb_mem = 0, cb_one = 0;
	if (count && (FAILED(hr = mapix_ab_alloc(count * sizeof *mem, block, (LPVOID *)&mem)) ||
	              FAILED(hr = mapix_ab_alloc(count * sizeof *one, block, (LPVOID *)&one))))
		goto done;
	for (ULONG i = 0; i < count; i++) {
		if (!m[i].member.cb || !m[i].member.lpb) {
			hr = mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_write: member %u has no entry ID", (unsigned)i);
			goto done;
		}
		mem[i] = m[i].member;
		one[i] = m[i].oneoff;
		cb_mem += m[i].member.cb;
		cb_one += m[i].oneoff.cb;
	}
	LPWSTR wname;
	if (FAILED(hr = mapix_utf8_to_utf16(name, block, &wname)))
		goto done;
	SPropValue v[8];
	ULONG n = 0;
	v[n].ulPropTag = PR_MESSAGE_CLASS_W, v[n++].Value.lpszW = u"IPM.DistList";
	v[n].ulPropTag = PR_DISPLAY_NAME_W, v[n++].Value.lpszW = wname;
	v[n].ulPropTag = PR_SUBJECT_W, v[n++].Value.lpszW = wname;
	v[n].ulPropTag = tags[T_NAME], v[n++].Value.lpszW = wname;
	BOOL stream = (flags & MAPIX_DL_STREAM_ALWAYS) || cb_mem >= MAPIX_DL_PROPERTY_LIMIT ||
	              cb_one >= MAPIX_DL_PROPERTY_LIMIT;
	SizedSPropTagArray(3, gone) = {0, {0}};
	if (stream) {
		v[n].ulPropTag = tags[T_STREAM];
		if (FAILED(hr = mapix_dl_stream_build(count, m, flags, block, &v[n++].Value.bin)))
			goto done;
		gone.aulPropTag[gone.cValues++] = tags[T_MEMBERS];
		gone.aulPropTag[gone.cValues++] = tags[T_ONEOFFS];
		gone.aulPropTag[gone.cValues++] = tags[T_CHECKSUM];
	} else {
		v[n].ulPropTag = tags[T_MEMBERS], v[n].Value.MVbin.cValues = count, v[n++].Value.MVbin.lpbin = mem;
		v[n].ulPropTag = tags[T_ONEOFFS], v[n].Value.MVbin.cValues = count, v[n++].Value.MVbin.lpbin = one;
		gone.aulPropTag[gone.cValues++] = tags[T_STREAM];
	}
	/* An empty list has no members properties at all. */
	if (!stream && count == 0) {
		n -= 2;
		gone.aulPropTag[gone.cValues++] = tags[T_MEMBERS];
		gone.aulPropTag[gone.cValues++] = tags[T_ONEOFFS];
	}
	if (!stream) {
		v[n].ulPropTag = tags[T_CHECKSUM];
		v[n++].Value.l = (LONG)mapix_dl_checksum(count, mem);
	}
	LPSPropProblemArray probs = NULL;
	if (FAILED(hr = msg->lpVtbl->SetProps(msg, n, v, &probs)))
		goto done;
	if (probs && probs->cProblem) {
		hr = mapix_error(probs->aProblem[0].scode, "mapix_dl_write: property 0x%08X could not be set",
		                 (unsigned)probs->aProblem[0].ulPropTag);
		MAPIFreeBuffer(probs);
		goto done;
	}
	MAPIFreeBuffer(probs);
	probs = NULL;
	if (gone.cValues && FAILED(hr = msg->lpVtbl->DeleteProps(msg, (LPSPropTagArray)&gone, &probs)))
		goto done;
	MAPIFreeBuffer(probs);
done:
	MAPIFreeBuffer(block);
	return hr;
}

/* ---- member entries ---------------------------------------------------------------------- */

MAPIX_API HRESULT mapix_dl_member_oneoff(LPCSTR name, LPCSTR adrtype, LPCSTR address, LPVOID parent,
                                         MAPIX_DL_MEMBER *out)
{
	if (!out)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_member_oneoff: NULL output");
	/* A one-off member is stored bare (the wrapped form of a one-off,
	 * type 0, is allowed too; readers accept both). */
	HRESULT hr = mapix_oneoff_build(name, adrtype, address, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO, parent,
	                                &out->member);
	if (FAILED(hr))
		return hr;
	return mapix_oneoff_build(name, adrtype, address, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO,
	                          parent ? parent : out->member.lpb, &out->oneoff);
}

MAPIX_API HRESULT mapix_dl_member_contact(ULONG cbEID, const BYTE *eid, ULONG n, LPCSTR name, LPCSTR adrtype,
                                          LPCSTR address, LPVOID parent, MAPIX_DL_MEMBER *out)
{
	if (!out || !eid || !cbEID || n < 1 || n > 3)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_member_contact: bad argument");
	HRESULT hr = mapix_wrapped_eid_build(MAPIX_WRAPPED_TYPE_CONTACT_EMAIL(n), cbEID, eid, parent, &out->member);
	if (FAILED(hr))
		return hr;
	return mapix_oneoff_build(name, adrtype ? adrtype : "SMTP", address ? address : "",
	                          MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO, parent ? parent : out->member.lpb,
	                          &out->oneoff);
}

MAPIX_API HRESULT mapix_dl_member_list(ULONG cbEID, const BYTE *eid, LPCSTR name, LPVOID parent, MAPIX_DL_MEMBER *out)
{
	if (!out || !eid || !cbEID)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_member_list: bad argument");
	HRESULT hr = mapix_wrapped_eid_build(MAPIX_WRAPPED_TYPE_DISTLIST, cbEID, eid, parent, &out->member);
	if (FAILED(hr))
		return hr;
	/* Outlook keeps a one-off for a nested list too: its name, address
	 * type "MAPIPDL" and an empty address. */
	return mapix_oneoff_build(name ? name : "", "MAPIPDL", "", MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO,
	                          parent ? parent : out->member.lpb, &out->oneoff);
}
