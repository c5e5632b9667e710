/*
 * propdata_copy.c — IPropData::CopyTo and CopyProps: copy (or with
 * MAPI_MOVE, move) this object's properties to any IMAPIProp, driving the
 * destination only through its vtable (QueryInterface, GetProps, SetProps
 * and, for PT_OBJECT properties, IPropData::HrAddObjProps).
 *
 * How it goes: the source values are snapshotted under the source's lock
 * and the lock is dropped before the destination is called, so two objects
 * copying into each other at once cannot deadlock, and a destination that
 * calls back into the source does not either. Copying an object onto
 * itself is refused with MAPI_E_NO_ACCESS.
 *
 * Rules (mapix's reading of the MAPI reference):
 *  - lpInterface names the interface lpDestObj is; the destination must
 *    answer QueryInterface for it and for IID_IMAPIProp.
 *  - CopyTo copies every property except those whose ID is in
 *    lpExcludeProps (types are ignored). Excluding IID_IMAPIProp copies
 *    nothing (every property travels through it); excluding
 *    IID_IMAPIPropData leaves PT_OBJECT properties out. Other interface
 *    IDs are ignored: an IPropData has no subobjects.
 *  - CopyProps copies the properties lpIncludeProps names, in the type
 *    asked (PT_UNSPECIFIED: as stored; a string type: converted); one that
 *    does not exist is a MAPI_E_NOT_FOUND problem.
 *  - PT_OBJECT properties are re-created with HrAddObjProps when the
 *    destination is an IPropData, and are MAPI_E_NO_SUPPORT problems
 *    otherwise.
 *  - MAPI_NOREPLACE leaves properties the destination already has alone
 *    (and, with MAPI_MOVE, in the source). MAPI_MOVE deletes from the
 *    source what was copied; a read-only source property stays and is a
 *    MAPI_E_NO_ACCESS problem; a read-only source object refuses MAPI_MOVE
 *    with MAPI_E_NO_ACCESS before anything is copied.
 *  - Problems carry the index into lpIncludeProps (CopyProps) or into the
 *    source's property list as GetPropList reports it (CopyTo). The
 *    destination's own problems are passed on with those indexes.
 *  - MAPI_DIALOG and lpProgress are accepted and unused (no UI; copies are
 *    in memory), as are ulUIParam and MAPI_DECLINE_OK.
 *  - Memory the destination returns (its GetProps values, its problem
 *    arrays) is freed with MAPIFreeBuffer, as MAPI prescribes for memory
 *    returned by any MAPI object.
 */
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapival.h>

#include "core/error.h"
#include "core/propdata.h"

/* One property being copied. */
typedef struct propdata_copy_item {
	ULONG tag;         /* the source tag (for problems) */
	ULONG index;       /* reported in problems */
	BOOL object;       /* a PT_OBJECT property */
	LPSPropValue val;  /* into the snapshot block; NULL for objects */
	BOOL done;         /* dropped, failed, or finished: nothing more to do */
	BOOL copied;       /* arrived at the destination */
} propdata_copy_item;

typedef struct propdata_copy_job {
	mapix_propdata *pd;
	const char *method;
	propdata_copy_item *items;
	ULONG nitems;
	LPSPropValue snapshot; /* made with pd->alloc */
	mapix_propdata_problems problems;
} propdata_copy_job;

static void propdata_copy_job_free(propdata_copy_job *job)
{
	if (job->snapshot)
		job->pd->freebuf(job->snapshot);
	free(job->items);
	mapix_propdata_problems_free(&job->problems);
}

static HRESULT propdata_copy_problem(propdata_copy_job *job, propdata_copy_item *it, SCODE sc)
{
	it->done = TRUE;
	return mapix_propdata_problems_add(&job->problems, it->index, it->tag, sc);
}

static BOOL propdata_tag_listed(const SPropTagArray *list, ULONG tag)
{
	if (list == NULL)
		return FALSE;
	for (ULONG i = 0; i < list->cValues; i++)
		if (PROP_ID(list->aulPropTag[i]) == PROP_ID(tag))
			return TRUE;
	return FALSE;
}

/* A malloc'd tag array of n entries. */
static LPSPropTagArray propdata_tags_new(ULONG n)
{
	LPSPropTagArray t = malloc(CbNewSPropTagArray(n ? n : 1));
	if (t)
		t->cValues = 0;
	return t;
}

/*
 * Builds the item list and the snapshot of values under the source lock.
 * include: CopyProps' list (NULL for CopyTo); exclude: CopyTo's list.
 */
static HRESULT propdata_copy_snapshot(propdata_copy_job *job, const SPropTagArray *include,
                                      const SPropTagArray *exclude, BOOL skip_objects, ULONG ulFlags)
{
	mapix_propdata *pd = job->pd;
	HRESULT hr = S_OK;
	LPSPropTagArray req = NULL;

	mapix_propdata_lock(pd);
	if ((ulFlags & MAPI_MOVE) && !(pd->obj_access & IPROP_READWRITE)) {
		mapix_propdata_unlock(pd);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::%s: MAPI_MOVE from a read-only object", job->method);
	}
	ULONG n = include ? include->cValues : pd->nprops;
	job->items = calloc(n ? n : 1, sizeof(*job->items));
	req = propdata_tags_new(n);
	if (job->items == NULL || req == NULL) {
		hr = MAPI_E_NOT_ENOUGH_MEMORY;
		goto out;
	}
	for (ULONG i = 0; i < n; i++) {
		ULONG tag = include ? include->aulPropTag[i] : pd->props[i].tag;
		const mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(tag));
		BOOL object = e && PROP_TYPE(e->tag) == PT_OBJECT;
		if (!include && propdata_tag_listed(exclude, tag))
			continue;
		if (object && skip_objects)
			continue;
		propdata_copy_item *it = &job->items[job->nitems++];
		it->tag = object ? e->tag : tag;
		it->index = i;
		it->object = object;
		if (object && include && PROP_TYPE(tag) != PT_OBJECT && PROP_TYPE(tag) != PT_UNSPECIFIED) {
			hr = propdata_copy_problem(job, it, MAPI_E_NOT_FOUND);
			if (FAILED(hr))
				goto out;
			continue;
		}
		if (!object)
			req->aulPropTag[req->cValues++] = include ? tag : CHANGE_PROP_TYPE(tag, PT_UNSPECIFIED);
	}
	if (req->cValues) {
		ULONG got = 0;
		hr = mapix_propdata_get_values(pd, req, 0, TRUE, &got, &job->snapshot);
		if (FAILED(hr))
			goto out;
		hr = S_OK;
		ULONG k = 0;
		for (ULONG i = 0; i < job->nitems; i++) {
			propdata_copy_item *it = &job->items[i];
			if (it->object || it->done)
				continue;
			it->val = &job->snapshot[k++];
			if (PROP_TYPE(it->val->ulPropTag) == PT_ERROR) {
				hr = propdata_copy_problem(job, it, it->val->Value.err);
				if (FAILED(hr))
					goto out;
			}
		}
	}
out:
	mapix_propdata_unlock(pd);
	free(req);
	if (hr == MAPI_E_NOT_ENOUGH_MEMORY)
		return mapix_error(hr, "IPropData::%s: no memory to snapshot the source", job->method);
	return hr;
}

/* MAPI_NOREPLACE: marks done the items the destination already has. */
static HRESULT propdata_copy_drop_existing(propdata_copy_job *job, IMAPIProp *dest)
{
	LPSPropTagArray ask = propdata_tags_new(job->nitems);
	ULONG *which = malloc((job->nitems ? job->nitems : 1) * sizeof(ULONG));
	HRESULT hr = S_OK;
	if (ask == NULL || which == NULL) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::%s: out of memory", job->method);
		goto out;
	}
	for (ULONG i = 0; i < job->nitems; i++) {
		if (job->items[i].done)
			continue;
		which[ask->cValues] = i;
		ask->aulPropTag[ask->cValues++] = CHANGE_PROP_TYPE(job->items[i].tag, PT_UNSPECIFIED);
	}
	if (ask->cValues == 0)
		goto out;
	ULONG c = 0;
	LPSPropValue have = NULL;
	hr = dest->lpVtbl->GetProps(dest, ask, 0, &c, &have);
	if (FAILED(hr)) {
		hr = mapix_error(hr, "IPropData::%s: the destination's GetProps failed (0x%08X)", job->method, (unsigned)hr);
		goto out;
	}
	hr = S_OK;
	for (ULONG i = 0; i < c && i < ask->cValues; i++) {
		BOOL absent = PROP_TYPE(have[i].ulPropTag) == PT_ERROR && have[i].Value.err == MAPI_E_NOT_FOUND;
		if (!absent)
			job->items[which[i]].done = TRUE;
	}
	MAPIFreeBuffer(have);
out:
	free(ask);
	free(which);
	return hr;
}

/* Passes the destination's problems on under the source's indexes. */
static HRESULT propdata_copy_take_problems(propdata_copy_job *job, LPSPropProblemArray probs, const ULONG *which,
                                           ULONG nwhich)
{
	HRESULT hr = S_OK;
	if (probs == NULL)
		return S_OK;
	for (ULONG p = 0; p < probs->cProblem && SUCCEEDED(hr); p++) {
		ULONG k = probs->aProblem[p].ulIndex;
		if (k < nwhich && !job->items[which[k]].done)
			hr = propdata_copy_problem(job, &job->items[which[k]], probs->aProblem[p].scode);
	}
	MAPIFreeBuffer(probs);
	return hr;
}

static HRESULT propdata_copy_write_values(propdata_copy_job *job, IMAPIProp *dest)
{
	LPSPropValue vals = malloc((job->nitems ? job->nitems : 1) * sizeof(SPropValue));
	ULONG *which = malloc((job->nitems ? job->nitems : 1) * sizeof(ULONG));
	ULONG n = 0;
	HRESULT hr = S_OK;
	if (vals == NULL || which == NULL) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::%s: out of memory", job->method);
		goto out;
	}
	for (ULONG i = 0; i < job->nitems; i++) {
		if (job->items[i].done || job->items[i].object)
			continue;
		which[n] = i;
		vals[n++] = *job->items[i].val;
	}
	if (n == 0)
		goto out;
	LPSPropProblemArray probs = NULL;
	hr = dest->lpVtbl->SetProps(dest, n, vals, &probs);
	if (FAILED(hr)) {
		hr = mapix_error(hr, "IPropData::%s: the destination's SetProps failed (0x%08X)", job->method, (unsigned)hr);
		goto out;
	}
	hr = propdata_copy_take_problems(job, probs, which, n);
	for (ULONG k = 0; k < n && SUCCEEDED(hr); k++)
		if (!job->items[which[k]].done)
			job->items[which[k]].copied = TRUE;
out:
	free(vals);
	free(which);
	return hr;
}

static HRESULT propdata_copy_write_objects(propdata_copy_job *job, IPropData *dest_pd)
{
	LPSPropTagArray tags = propdata_tags_new(job->nitems);
	ULONG *which = malloc((job->nitems ? job->nitems : 1) * sizeof(ULONG));
	HRESULT hr = S_OK;
	if (tags == NULL || which == NULL) {
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "IPropData::%s: out of memory", job->method);
		goto out;
	}
	for (ULONG i = 0; i < job->nitems && SUCCEEDED(hr); i++) {
		propdata_copy_item *it = &job->items[i];
		if (it->done || !it->object)
			continue;
		if (dest_pd == NULL) {
			hr = propdata_copy_problem(job, it, MAPI_E_NO_SUPPORT);
			continue;
		}
		which[tags->cValues] = i;
		tags->aulPropTag[tags->cValues++] = it->tag;
	}
	if (FAILED(hr) || tags->cValues == 0)
		goto out;
	LPSPropProblemArray probs = NULL;
	HRESULT added = dest_pd->lpVtbl->HrAddObjProps(dest_pd, tags, &probs);
	if (FAILED(added)) {
		/* The whole call was refused: every object property has that problem. */
		for (ULONG k = 0; k < tags->cValues && SUCCEEDED(hr); k++)
			hr = propdata_copy_problem(job, &job->items[which[k]], added);
		goto out;
	}
	hr = propdata_copy_take_problems(job, probs, which, tags->cValues);
	for (ULONG k = 0; k < tags->cValues && SUCCEEDED(hr); k++)
		if (!job->items[which[k]].done)
			job->items[which[k]].copied = TRUE;
out:
	free(tags);
	free(which);
	return hr;
}

/* MAPI_MOVE: deletes what arrived from the source. */
static HRESULT propdata_copy_delete_moved(propdata_copy_job *job)
{
	mapix_propdata *pd = job->pd;
	HRESULT hr = S_OK;
	mapix_propdata_lock(pd);
	for (ULONG i = 0; i < job->nitems && SUCCEEDED(hr); i++) {
		propdata_copy_item *it = &job->items[i];
		if (!it->copied)
			continue;
		mapix_propdata_entry *e = mapix_propdata_find(pd, PROP_ID(it->tag));
		if (e == NULL)
			continue;
		if ((e->access & IPROP_READONLY) || !(pd->obj_access & IPROP_READWRITE))
			hr = propdata_copy_problem(job, it, MAPI_E_NO_ACCESS);
		else
			mapix_propdata_remove_at(pd, (ULONG)(e - pd->props));
	}
	mapix_propdata_unlock(pd);
	return hr;
}

/* The destination as IMAPIProp (a reference the caller releases). */
static HRESULT propdata_copy_open_dest(propdata_copy_job *job, LPCIID lpInterface, LPVOID lpDestObj,
                                       IMAPIProp **out)
{
	IUnknown *unk = lpDestObj;
	LPVOID as_declared = NULL;
	*out = NULL;
	if (FAILED(unk->lpVtbl->QueryInterface(unk, lpInterface, &as_declared)))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED,
		                   "IPropData::%s: the destination does not support the interface lpInterface names",
		                   job->method);
	((IUnknown *)as_declared)->lpVtbl->Release((IUnknown *)as_declared);
	LPVOID prop = NULL;
	if (FAILED(unk->lpVtbl->QueryInterface(unk, &IID_IMAPIProp, &prop)))
		return mapix_error(MAPI_E_INTERFACE_NOT_SUPPORTED, "IPropData::%s: the destination is not an IMAPIProp",
		                   job->method);
	*out = prop;
	return S_OK;
}

static HRESULT propdata_copy(mapix_propdata *pd, const char *method, const SPropTagArray *include,
                             const SPropTagArray *exclude, BOOL skip_all, BOOL skip_objects, LPCIID lpInterface,
                             LPVOID lpDestObj, ULONG ulFlags, LPSPropProblemArray *lppProblems)
{
	const ULONG known = MAPI_MOVE | MAPI_NOREPLACE | MAPI_DIALOG | MAPI_DECLINE_OK;
	propdata_copy_job job = {.pd = pd, .method = method};
	IMAPIProp *dest = NULL;
	IPropData *dest_pd = NULL;
	HRESULT hr;

	if (lppProblems)
		*lppProblems = NULL;
	if (ulFlags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IPropData::%s: unknown flags 0x%08X", method,
		                   (unsigned)(ulFlags & ~known));
	if (lpInterface == NULL || lpDestObj == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::%s: NULL destination or interface", method);

	hr = propdata_copy_open_dest(&job, lpInterface, lpDestObj, &dest);
	if (FAILED(hr))
		return hr;
	if ((void *)dest == (void *)&pd->iface) {
		dest->lpVtbl->Release(dest);
		return mapix_error(MAPI_E_NO_ACCESS, "IPropData::%s: source and destination are the same object", method);
	}
	if (skip_all) {
		dest->lpVtbl->Release(dest);
		return S_OK;
	}
	if (!skip_objects) {
		LPVOID p = NULL;
		if (SUCCEEDED(dest->lpVtbl->QueryInterface(dest, &IID_IMAPIPropData, &p)))
			dest_pd = p;
	}

	hr = propdata_copy_snapshot(&job, include, exclude, skip_objects, ulFlags);
	if (SUCCEEDED(hr) && (ulFlags & MAPI_NOREPLACE))
		hr = propdata_copy_drop_existing(&job, dest);
	if (SUCCEEDED(hr))
		hr = propdata_copy_write_values(&job, dest);
	if (SUCCEEDED(hr))
		hr = propdata_copy_write_objects(&job, dest_pd);
	if (SUCCEEDED(hr) && (ulFlags & MAPI_MOVE))
		hr = propdata_copy_delete_moved(&job);
	if (SUCCEEDED(hr))
		hr = mapix_propdata_problems_return(pd, &job.problems, lppProblems);
	else if (hr == MAPI_E_NOT_ENOUGH_MEMORY)
		mapix_error(hr, "IPropData::%s: out of memory", method);

	propdata_copy_job_free(&job);
	if (dest_pd)
		dest_pd->lpVtbl->Release(dest_pd);
	dest->lpVtbl->Release(dest);
	return hr;
}

HRESULT mapix_propdata_copy_to(IPropData *This, ULONG ciidExclude, LPCIID rgiidExclude,
                               LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
                               LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                               LPSPropProblemArray *lppProblems)
{
	BOOL skip_all = FALSE, skip_objects = FALSE;
	if (ciidExclude != 0 && rgiidExclude == NULL)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::CopyTo: ciidExclude is %u but rgiidExclude is NULL",
		                   (unsigned)ciidExclude);
	for (ULONG i = 0; i < ciidExclude; i++) {
		if (IsEqualIID(&rgiidExclude[i], &IID_IMAPIProp))
			skip_all = TRUE;
		else if (IsEqualIID(&rgiidExclude[i], &IID_IMAPIPropData))
			skip_objects = TRUE;
	}
	return propdata_copy(mapix_propdata_from(This), "CopyTo", NULL, lpExcludeProps, skip_all, skip_objects,
	                     lpInterface, lpDestObj, ulFlags, lppProblems);
}

HRESULT mapix_propdata_copy_props(IPropData *This, LPSPropTagArray lpIncludeProps, ULONG_PTR ulUIParam,
                                  LPMAPIPROGRESS lpProgress, LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                                  LPSPropProblemArray *lppProblems)
{
	if (lpIncludeProps == NULL || lpIncludeProps->cValues == 0 || FBadColumnSet(lpIncludeProps))
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IPropData::CopyProps: NULL, empty or malformed lpIncludeProps");
	return propdata_copy(mapix_propdata_from(This), "CopyProps", lpIncludeProps, NULL, FALSE, FALSE, lpInterface,
	                     lpDestObj, ulFlags, lppProblems);
}
