/*
 * import_pst_fixup.c — the second pass of a PST import: entry IDs inside
 * imported items that point at other items of the same PST are rewritten
 * to the entry IDs those items got in the target store.
 *
 * What is rewritten: the members of personal distribution lists
 * (PidLidDistributionListMembers, PSETID_Address LID 0x8055: wrapped,
 * contact-address and bare PST entry IDs; pst_eid_rewrite), and
 * PidLidDistributionListChecksum (LID 0x804C) with them when the file's
 * checksum was the CRC-32 of the old members (so a list whose checksum
 * Outlook computed some other way is not made inconsistent). One-off
 * members (PidLidDistributionListOneOffMembers) name addresses, not items,
 * and stay as they are.
 *
 * During the walk the source remembers, for every contact and list it met
 * (imported now or before), its node id and the folder it went to. Items
 * are found again by their source identity (PR_MAPIX_IMPORT_SOURCE), so a
 * list imported in an earlier, interrupted run is still fixed, and running
 * the pass twice changes nothing (rewritten members no longer carry the
 * PST's provider UID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "import_pst_walk.h"

#define LID_DL_MEMBERS 0x8055
#define LID_DL_CHECKSUM 0x804C

void pst_note_node(pst_import *pi, uint32_t nid, BOOL is_dl, LPMAPIFOLDER folder)
{
	if (pi->nnodes == pi->capnodes) {
		size_t cap = pi->capnodes ? pi->capnodes * 2 : 64;
		pst_node *n = realloc(pi->nodes, cap * sizeof *n);
		if (!n)
			return; /* the list's members then stay as they were */
		pi->nodes = n;
		pi->capnodes = cap;
	}
	pi->nodes[pi->nnodes++] = (pst_node){.nid = nid, .is_dl = is_dl, .folder = folder};
	pi->nodes_sorted = FALSE;
}

void pst_nodes_free(pst_import *pi)
{
	free(pi->nodes);
	pi->nodes = NULL;
	pi->nnodes = pi->capnodes = 0;
}

static int by_nid(const void *a, const void *b)
{
	uint32_t x = ((const pst_node *)a)->nid, y = ((const pst_node *)b)->nid;
	return x < y ? -1 : x > y;
}

static const pst_node *find_node(pst_import *pi, uint32_t nid)
{
	if (!pi->nodes_sorted) {
		qsort(pi->nodes, pi->nnodes, sizeof *pi->nodes, by_nid);
		pi->nodes_sorted = TRUE;
	}
	pst_node key = {.nid = nid};
	return bsearch(&key, pi->nodes, pi->nnodes, sizeof *pi->nodes, by_nid);
}

/* The entry ID of the message in folder whose source identity is source;
 * MAPIAllocateBuffer'd into *lppEid. */
static HRESULT find_imported(LPMAPIFOLDER folder, const char *source, ULONG *lpcb, LPBYTE *lppEid)
{
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	SizedSPropTagArray(1, cols) = {1, {PR_ENTRYID}};
	SPropValue want = {.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A, .Value.lpszA = (LPSTR)source};
	SRestriction res = {.rt = RES_PROPERTY};
	res.res.resProperty.relop = RELOP_EQ;
	res.res.resProperty.ulPropTag = PR_MAPIX_IMPORT_SOURCE_A;
	res.res.resProperty.lpProp = &want;

	HRESULT hr = IMAPIFolder_GetContentsTable(folder, 0, &table);
	if (SUCCEEDED(hr))
		hr = IMAPITable_SetColumns(table, (LPSPropTagArray)&cols, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_Restrict(table, &res, 0);
	if (SUCCEEDED(hr))
		hr = IMAPITable_QueryRows(table, 1, 0, &rows);
	if (SUCCEEDED(hr) && (!rows || rows->cRows == 0 || PROP_TYPE(rows->aRow[0].lpProps[0].ulPropTag) != PT_BINARY))
		hr = MAPI_E_NOT_FOUND;
	if (SUCCEEDED(hr)) {
		SBinary *b = &rows->aRow[0].lpProps[0].Value.bin;
		hr = MAPIAllocateBuffer(b->cb, (LPVOID *)lppEid);
		if (SUCCEEDED(hr)) {
			memcpy(*lppEid, b->lpb, b->cb);
			*lpcb = b->cb;
		}
	}
	if (rows)
		FreeProws(rows);
	if (table)
		IMAPITable_Release(table);
	return hr;
}

/* pst_eid_lookup over the nodes met during the walk. The answer lives until
 * the next call. */
typedef struct lookup_ctx {
	pst_import *pi;
	LPBYTE last;
} lookup_ctx;

static BOOL lookup_nid(void *ctx, uint32_t nid, ULONG *lpcb, const BYTE **lppb)
{
	lookup_ctx *lc = ctx;
	const pst_node *n = find_node(lc->pi, nid);
	char source[4096 + 32];
	if (!n)
		return FALSE;
	snprintf(source, sizeof source, "pst:%s:%u", lc->pi->realpath, (unsigned)nid);
	MAPIFreeBuffer(lc->last);
	lc->last = NULL;
	if (FAILED(find_imported(n->folder, source, lpcb, &lc->last)))
		return FALSE;
	*lppb = lc->last;
	return TRUE;
}

/* The tags of the two list properties in the target store (none when the
 * store never saw them: then no list has members to fix). */
static BOOL list_tags(pst_import *pi, ULONG *members, ULONG *checksum)
{
	MAPINAMEID n1 = {.lpguid = (LPGUID)&PSETID_Address, .ulKind = MNID_ID, .Kind.lID = LID_DL_MEMBERS};
	MAPINAMEID n2 = {.lpguid = (LPGUID)&PSETID_Address, .ulKind = MNID_ID, .Kind.lID = LID_DL_CHECKSUM};
	LPMAPINAMEID names[2] = {&n1, &n2};
	LPSPropTagArray tags = NULL;
	HRESULT hr = IMsgStore_GetIDsFromNames(pi->mdb, 2, names, 0, &tags);
	BOOL ok = SUCCEEDED(hr) && tags && tags->cValues == 2 && PROP_TYPE(tags->aulPropTag[0]) != PT_ERROR;
	if (ok) {
		*members = PROP_TAG(PT_MV_BINARY, PROP_ID(tags->aulPropTag[0]));
		*checksum = PROP_TYPE(tags->aulPropTag[1]) != PT_ERROR ? PROP_TAG(PT_LONG, PROP_ID(tags->aulPropTag[1]))
		                                                       : PR_NULL;
	}
	MAPIFreeBuffer(tags);
	return ok;
}

static void fix_list(pst_import *pi, const pst_node *node, ULONG tag_members, ULONG tag_checksum)
{
	char source[4096 + 32], location[4200];
	LPBYTE eid = NULL;
	ULONG cb = 0, type = 0;
	LPMESSAGE msg = NULL;
	LPSPropValue vals = NULL;
	ULONG nvals = 0;
	SizedSPropTagArray(2, want) = {2, {tag_members, tag_checksum}};
	lookup_ctx lc = {.pi = pi};

	if (tag_checksum == PR_NULL)
		want.cValues = 1;
	snprintf(source, sizeof source, "pst:%s:%u", pi->realpath, (unsigned)node->nid);
	snprintf(location, sizeof location, "%s (node %u)", pi->path, (unsigned)node->nid);
	if (FAILED(find_imported(node->folder, source, &cb, &eid)))
		return; /* not imported (it was skipped): nothing to fix */
	HRESULT hr = IMsgStore_OpenEntry(pi->mdb, cb, (LPENTRYID)eid, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&msg);
	if (SUCCEEDED(hr))
		hr = IMessage_GetProps(msg, (LPSPropTagArray)&want, 0, &nvals, &vals);
	if (FAILED(hr) || PROP_TYPE(vals[0].ulPropTag) != PT_MV_BINARY)
		goto out;

	SBinaryArray *old = &vals[0].Value.MVbin;
	SBinary *fresh = NULL;
	unsigned changed = 0, unresolved = 0;
	if (FAILED(MAPIAllocateMore(old->cValues * (ULONG)sizeof(SBinary), vals, (LPVOID *)&fresh)))
		goto out;
	for (ULONG i = 0; i < old->cValues; i++) {
		int r = pst_eid_rewrite(old->lpbin[i].lpb, old->lpbin[i].cb, pi->uid, lookup_nid, &lc, vals, &fresh[i]);
		if (r != 1)
			fresh[i] = old->lpbin[i];
		changed += r == 1;
		unresolved += r == -1;
	}
	if (unresolved)
		import_warn(pi->eng, location, "%u distribution list members point to items that were not imported",
		            unresolved);
	pi->members_unresolved += unresolved;
	if (!changed)
		goto out;

	SPropValue set[2];
	ULONG nset = 1;
	set[0].ulPropTag = tag_members;
	set[0].Value.MVbin.cValues = old->cValues;
	set[0].Value.MVbin.lpbin = fresh;
	if (nvals > 1 && PROP_TYPE(vals[1].ulPropTag) == PT_LONG && (uint32_t)vals[1].Value.l == pst_dl_checksum(old)) {
		set[1].ulPropTag = tag_checksum;
		set[1].Value.l = (LONG)pst_dl_checksum(&set[0].Value.MVbin);
		nset = 2;
	}
	hr = IMessage_SetProps(msg, nset, set, NULL);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(msg, 0);
	if (SUCCEEDED(hr)) {
		pi->lists_fixed++;
		pi->members_rewritten += changed;
	}
out:
	if (FAILED(hr))
		import_warn(pi->eng, location, "distribution list members not rewritten: %s", MAPIXGetLastErrorText());
	MAPIFreeBuffer(lc.last);
	MAPIFreeBuffer(vals);
	MAPIFreeBuffer(eid);
	if (msg)
		IMessage_Release(msg);
}

void pst_fixup(pst_import *pi)
{
	ULONG tag_members = 0, tag_checksum = 0;
	BOOL any = FALSE;
	for (size_t i = 0; i < pi->nnodes && !any; i++)
		any = pi->nodes[i].is_dl;
	if (!any || !pi->have_uid || !list_tags(pi, &tag_members, &tag_checksum))
		return;
	/* Sorting reorders the array: walk a copy of the lists' entries. */
	size_t nlists = 0;
	pst_node *lists = malloc(pi->nnodes * sizeof *lists);
	if (!lists)
		return;
	for (size_t i = 0; i < pi->nnodes; i++)
		if (pi->nodes[i].is_dl)
			lists[nlists++] = pi->nodes[i];
	for (size_t i = 0; i < nlists; i++)
		fix_list(pi, &lists[i], tag_members, tag_checksum);
	free(lists);
}
