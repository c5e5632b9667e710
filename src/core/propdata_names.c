/*
 * propdata_names.c — named properties on IPropData, a mapix extension:
 * Windows' IPropData answers GetIDsFromNames and GetNamesFromIDs with
 * MAPI_E_NO_SUPPORT, which leaves a provider that builds an object in
 * memory no way to carry named properties. Here each object keeps its own
 * name map:
 *
 *  - GetIDsFromNames with MAPI_CREATE gives each new name the next free
 *    identifier from 0x8000 upwards (per object, never reused while the
 *    object lives); without MAPI_CREATE unknown names come back as
 *    PROP_TAG(PT_ERROR, 0) with MAPI_W_ERRORS_RETURNED. Tags returned carry
 *    PT_UNSPECIFIED. NULL names (with cPropNames 0) list every mapped name.
 *  - As MAPI defines, the PS_MAPI set names the ordinary properties by
 *    their identifiers: {PS_MAPI, MNID_ID, id} maps to id for id below
 *    0x8000, and GetNamesFromIDs answers such ids with that name.
 *  - MNID_STRING names compare exactly (code unit by code unit).
 *  - GetNamesFromIDs: *lppPropTags NULL asks for every mapped name (the tag
 *    list is then returned too); lpPropSetGuid and MAPI_NO_IDS /
 *    MAPI_NO_STRINGS filter; ids with no (or a filtered-out) name give a
 *    NULL entry and MAPI_W_ERRORS_RETURNED.
 *
 * Returned arrays are made with the object's allocators: the tag array is
 * one block; the name pointer array is one block with every MAPINAMEID,
 * GUID and string made with ALLOCATEMORE on it.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapival.h>

#include "core/error.h"
#include "core/propdata.h"

/* Highest identifier the map hands out (0xFFFF is PROP_ID_INVALID). */
#define PROPDATA_NAMED_ID_MAX 0xFFFE

void mapix_propdata_names_free(mapix_propdata *pd)
{
	for (ULONG i = 0; i < pd->nnames; i++)
		free(pd->names[i].name);
	free(pd->names);
	pd->names = NULL;
	pd->nnames = pd->capnames = 0;
}

static BOOL propdata_name_matches(const mapix_propdata_name *n, const MAPINAMEID *id)
{
	if (!IsEqualGUID(&n->guid, id->lpguid) || n->kind != id->ulKind)
		return FALSE;
	if (n->kind == MNID_ID)
		return n->lid == id->Kind.lID;
	size_t len = mapix_wcslen(id->Kind.lpwstrName);
	return len == n->name_len && memcmp(n->name, id->Kind.lpwstrName, len * sizeof(WCHAR)) == 0;
}

static const mapix_propdata_name *propdata_name_by_id(const mapix_propdata *pd, ULONG propid)
{
	for (ULONG i = 0; i < pd->nnames; i++)
		if (pd->names[i].propid == propid)
			return &pd->names[i];
	return NULL;
}

/* The PS_MAPI name of an ordinary property id. */
static BOOL propdata_is_ps_mapi_id(const MAPINAMEID *id)
{
	return IsEqualGUID(id->lpguid, &PS_MAPI) && id->ulKind == MNID_ID && id->Kind.lID > 0 && id->Kind.lID < 0x8000;
}

/* Adds a name with the next identifier: S_OK, MAPI_E_NOT_ENOUGH_MEMORY, or
 * MAPI_E_NAMED_PROP_QUOTA_EXCEEDED when identifiers run out. */
static HRESULT propdata_name_add(mapix_propdata *pd, const MAPINAMEID *id, ULONG *propid)
{
	if (pd->next_named_id > PROPDATA_NAMED_ID_MAX)
		return MAPI_E_NAMED_PROP_QUOTA_EXCEEDED;
	if (pd->nnames == pd->capnames) {
		ULONG cap = pd->capnames ? pd->capnames * 2 : 8;
		mapix_propdata_name *grown = realloc(pd->names, cap * sizeof(*grown));
		if (grown == NULL)
			return MAPI_E_NOT_ENOUGH_MEMORY;
		pd->names = grown;
		pd->capnames = cap;
	}
	mapix_propdata_name *n = &pd->names[pd->nnames];
	memset(n, 0, sizeof(*n));
	n->guid = *id->lpguid;
	n->kind = id->ulKind;
	if (id->ulKind == MNID_ID) {
		n->lid = id->Kind.lID;
	} else {
		n->name_len = mapix_wcslen(id->Kind.lpwstrName);
		n->name = malloc((n->name_len + 1) * sizeof(WCHAR));
		if (n->name == NULL)
			return MAPI_E_NOT_ENOUGH_MEMORY;
		memcpy(n->name, id->Kind.lpwstrName, (n->name_len + 1) * sizeof(WCHAR));
	}
	n->propid = pd->next_named_id++;
	pd->nnames++;
	*propid = n->propid;
	return S_OK;
}

HRESULT mapix_propdata_get_ids_from_names(IPropData *This, ULONG cPropNames, LPMAPINAMEID *lppPropNames,
                                          ULONG ulFlags, LPSPropTagArray *lppPropTags)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	if (lppPropTags == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetIDsFromNames: lppPropTags is NULL");
	if (ulFlags & ~MAPI_CREATE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::GetIDsFromNames: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~MAPI_CREATE));
	if (lppPropNames == NULL ? (cPropNames != 0 || (ulFlags & MAPI_CREATE)) : cPropNames == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER,
		                   "IPropData::GetIDsFromNames: names must be given with a count (and with MAPI_CREATE)");
	if (FBadRglpNameID(lppPropNames, cPropNames))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetIDsFromNames: a property name is malformed");

	mapix_propdata_lock(pd);
	ULONG n = lppPropNames ? cPropNames : pd->nnames;
	LPSPropTagArray tags = NULL;
	BOOL errors = FALSE;
	HRESULT hr = S_OK;
	if ((size_t)n * sizeof(ULONG) > MAPIX_PROPDATA_MAX_BYTES ||
	    FAILED(pd->alloc((ULONG)CbNewSPropTagArray(n), (LPVOID *)&tags))) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::GetIDsFromNames: no memory for %u tags",
		                   (unsigned)n);
	}
	tags->cValues = n;
	for (ULONG i = 0; i < n; i++) {
		if (lppPropNames == NULL) {
			tags->aulPropTag[i] = PROP_TAG(PT_UNSPECIFIED, pd->names[i].propid);
			continue;
		}
		const MAPINAMEID *id = lppPropNames[i];
		ULONG propid = 0;
		if (propdata_is_ps_mapi_id(id)) {
			propid = (ULONG)id->Kind.lID;
		} else {
			for (ULONG k = 0; k < pd->nnames && propid == 0; k++)
				if (propdata_name_matches(&pd->names[k], id))
					propid = pd->names[k].propid;
			if (propid == 0 && (ulFlags & MAPI_CREATE)) {
				hr = propdata_name_add(pd, id, &propid);
				if (hr == MAPI_E_NAMED_PROP_QUOTA_EXCEEDED)
					hr = S_OK; /* reported as this name's error entry */
				else if (FAILED(hr))
					break;
			}
		}
		if (propid == 0) {
			tags->aulPropTag[i] = PROP_TAG(PT_ERROR, 0);
			errors = TRUE;
		} else {
			tags->aulPropTag[i] = PROP_TAG(PT_UNSPECIFIED, propid);
		}
	}
	mapix_propdata_unlock(pd);
	if (FAILED(hr)) {
		pd->freebuf(tags);
		return mapix_error(hr, "IPropData::GetIDsFromNames: no memory to register a name");
	}
	*lppPropTags = tags;
	return errors ? MAPI_W_ERRORS_RETURNED : S_OK;
}

/* Whether name n passes GetNamesFromIDs' filters. */
static BOOL propdata_name_wanted(const GUID *guid, ULONG kind, const GUID *filter, ULONG ulFlags)
{
	if (filter && !IsEqualGUID(guid, filter))
		return FALSE;
	if (kind == MNID_ID && (ulFlags & MAPI_NO_IDS))
		return FALSE;
	if (kind == MNID_STRING && (ulFlags & MAPI_NO_STRINGS))
		return FALSE;
	return TRUE;
}

/* A copy of a name inside the block root. */
static SCODE propdata_name_copy(mapix_propdata *pd, const GUID *guid, ULONG kind, LONG lid, const WCHAR *name,
                                size_t name_len, LPVOID root, LPMAPINAMEID *out)
{
	LPMAPINAMEID id = NULL;
	SCODE sc = pd->more(sizeof(MAPINAMEID), root, (LPVOID *)&id);
	if (SUCCEEDED(sc))
		sc = pd->more(sizeof(GUID), root, (LPVOID *)&id->lpguid);
	if (FAILED(sc))
		return sc;
	*id->lpguid = *guid;
	id->ulKind = kind;
	if (kind == MNID_ID) {
		id->Kind.lID = lid;
	} else {
		sc = pd->more((ULONG)((name_len + 1) * sizeof(WCHAR)), root, (LPVOID *)&id->Kind.lpwstrName);
		if (FAILED(sc))
			return sc;
		memcpy(id->Kind.lpwstrName, name, (name_len + 1) * sizeof(WCHAR));
	}
	*out = id;
	return S_OK;
}

HRESULT mapix_propdata_get_names_from_ids(IPropData *This, LPSPropTagArray *lppPropTags, LPGUID lpPropSetGuid,
                                          ULONG ulFlags, ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)
{
	mapix_propdata *pd = mapix_propdata_from(This);
	const ULONG known = MAPI_NO_IDS | MAPI_NO_STRINGS;
	if (lppPropTags == NULL || lpcPropNames == NULL || lpppPropNames == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetNamesFromIDs: NULL argument");
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::GetNamesFromIDs: unknown flags 0x%08X",
		                   (unsigned)(ulFlags & ~known));
	if (*lppPropTags && (*lppPropTags)->cValues == 0)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::GetNamesFromIDs: empty property tag array");

	mapix_propdata_lock(pd);
	LPSPropTagArray tags = *lppPropTags;
	LPSPropTagArray made = NULL;
	LPMAPINAMEID *names = NULL;
	BOOL errors = FALSE;
	ULONG n;

	if (tags == NULL) {
		n = 0;
		for (ULONG i = 0; i < pd->nnames; i++)
			if (propdata_name_wanted(&pd->names[i].guid, pd->names[i].kind, lpPropSetGuid, ulFlags))
				n++;
		if (FAILED(pd->alloc((ULONG)CbNewSPropTagArray(n), (LPVOID *)&made)))
			goto oom;
		made->cValues = 0;
		for (ULONG i = 0; i < pd->nnames; i++)
			if (propdata_name_wanted(&pd->names[i].guid, pd->names[i].kind, lpPropSetGuid, ulFlags))
				made->aulPropTag[made->cValues++] = PROP_TAG(PT_UNSPECIFIED, pd->names[i].propid);
		tags = made;
	}
	n = tags->cValues;
	if ((size_t)n * sizeof(LPMAPINAMEID) > MAPIX_PROPDATA_MAX_BYTES ||
	    FAILED(pd->alloc((ULONG)((n ? n : 1) * sizeof(LPMAPINAMEID)), (LPVOID *)&names)))
		goto oom;
	for (ULONG i = 0; i < n; i++) {
		ULONG propid = PROP_ID(tags->aulPropTag[i]);
		const mapix_propdata_name *nm = propdata_name_by_id(pd, propid);
		SCODE sc = S_OK;
		names[i] = NULL;
		if (nm && propdata_name_wanted(&nm->guid, nm->kind, lpPropSetGuid, ulFlags))
			sc = propdata_name_copy(pd, &nm->guid, nm->kind, nm->lid, nm->name, nm->name_len, names, &names[i]);
		else if (nm == NULL && propid != 0 && propid < 0x8000 &&
		         propdata_name_wanted(&PS_MAPI, MNID_ID, lpPropSetGuid, ulFlags))
			sc = propdata_name_copy(pd, &PS_MAPI, MNID_ID, (LONG)propid, NULL, 0, names, &names[i]);
		if (FAILED(sc))
			goto oom;
		if (names[i] == NULL)
			errors = TRUE;
	}
	mapix_propdata_unlock(pd);
	*lppPropTags = tags;
	*lpcPropNames = n;
	*lpppPropNames = names;
	return errors ? MAPI_W_ERRORS_RETURNED : S_OK;

oom:
	mapix_propdata_unlock(pd);
	if (names)
		pd->freebuf(names);
	if (made)
		pd->freebuf(made);
	return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::GetNamesFromIDs: out of memory");
}
