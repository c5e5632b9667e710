/*
 * quota.c — mailbox quotas: a warning threshold and two refusal
 * thresholds, per mailbox in the directory (quotas table) or from
 * mapixd.conf's [quota] defaults.
 *
 * What a mailbox "uses" is the bytes of its messages: the folders' kept
 * size counters summed (PR_MESSAGE_SIZE_EXTENDED). A save or a new message
 * that would take the mailbox past its refusal threshold fails with
 * MAPI_E_STORE_FULL before the store is called, so nothing of it is
 * written. Which threshold applies depends on the logon: a deliver logon
 * (an MTA) is held to the receive limit (PR_PROHIBIT_RECEIVE_QUOTA), every
 * other logon to the send limit (PR_PROHIBIT_SEND_QUOTA). Past the warning
 * threshold (PR_STORAGE_QUOTA_LIMIT, the level at which Exchange warns)
 * saves still succeed; the crossing is written once to the audit log and
 * the store object shows the state (PR_MAPIX_QUOTA_STATE).
 *
 * The store object of a hosted mailbox answers these properties from here,
 * in Exchange's units (kilobytes, PT_LONG) plus the exact size in bytes.
 */
#include <stdio.h>
#include <string.h>

#include <mapix/edkmdb.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixremote.h>

#include "core/error.h"
#include "server.h"

/* The thresholds only (no usage measured). */
static HRESULT thresholds(srv_server *s, const srv_account *a, srv_quota *q)
{
	int64_t own[3];
	const uint64_t defaults[3] = {s->cfg.quota_warning, s->cfg.quota_send, s->cfg.quota_receive};
	uint64_t *slots[3] = {&q->warning, &q->send, &q->receive};
	memset(q, 0, sizeof *q);
	HRESULT hr = srv_dir_get_quota(s->dir, a->name, own);
	if (FAILED(hr))
		return hr;
	for (int i = 0; i < 3; i++) {
		if (own[i] < 0) {
			*slots[i] = defaults[i];
			q->defaults |= 1u << i;
		} else {
			*slots[i] = (uint64_t)own[i];
		}
	}
	return S_OK;
}

/* Usage and state, the thresholds being known. */
static HRESULT measure(const srv_account *a, srv_mailbox *mb, srv_quota *q)
{
	HRESULT hr = mb ? srv_mailbox_usage(mb, &q->used) : srv_account_usage(a, &q->used);
	if (FAILED(hr))
		return hr;
	if (q->warning && q->used >= q->warning)
		q->state |= MAPIX_QUOTA_STATE_WARNING;
	if (q->send && q->used >= q->send)
		q->state |= MAPIX_QUOTA_STATE_SEND_PROHIBITED;
	if (q->receive && q->used >= q->receive)
		q->state |= MAPIX_QUOTA_STATE_RECEIVE_PROHIBITED;
	return S_OK;
}

HRESULT srv_quota_get(srv_server *s, const srv_account *a, srv_mailbox *mb, srv_quota *q)
{
	HRESULT hr = thresholds(s, a, q);
	return FAILED(hr) ? hr : measure(a, mb, q);
}

/* The pending size of the message a SaveChanges is about to commit. */
static uint64_t pending_size(LPUNKNOWN obj)
{
	LPSPropValue v = NULL;
	uint64_t size = 0;
	if (SUCCEEDED(HrGetOneProp((LPMAPIPROP)obj, PR_MESSAGE_SIZE_EXTENDED, &v)) && v)
		size = (uint64_t)v->Value.li.QuadPart;
	MAPIFreeBuffer(v);
	mapix_error_clear();
	return size;
}

HRESULT srv_quota_check(srv_req *r, BOOL saving, const char *operation)
{
	srv_logon *l = r->h.logon;
	srv_server *s = r->conn->srv;
	srv_account a;
	srv_quota q;
	if (!l || !l->mb)
		return S_OK;
	HRESULT hr = srv_dir_find(s->dir, l->mailbox, &a);
	if (SUCCEEDED(hr))
		hr = thresholds(s, &a, &q);
	if (FAILED(hr))
		return hr;
	BOOL delivery = (l->access & SRV_ACC_DELIVER) != 0;
	uint64_t limit = delivery ? q.receive : q.send;
	/* No threshold that concerns this save: nothing to measure. */
	if (!limit && !q.warning)
		return S_OK;
	if (FAILED(hr = measure(&a, l->mb, &q)))
		return hr;
	uint64_t adding = saving ? pending_size(r->h.obj) : 0;
	if (srv_mailbox_warn_once(l->mb, (q.state & MAPIX_QUOTA_STATE_WARNING) != 0))
		srv_audit_log(s->audit, &r->conn->id, a.name, "QuotaWarning", S_OK);
	if (!limit || (q.used < limit && q.used + adding <= limit))
		return S_OK;
	char op[96];
	snprintf(op, sizeof op, "%s(%s quota)", operation, delivery ? "receive" : "send");
	srv_audit_log(s->audit, &r->conn->id, a.name, op, MAPI_E_STORE_FULL);
	return mapix_error(MAPI_E_STORE_FULL,
	                   "mapixd: mailbox %s is full: it holds %llu bytes, this would add %llu, the %s limit is %llu",
	                   a.name, (unsigned long long)q.used, (unsigned long long)adding,
	                   delivery ? "receive" : "send", (unsigned long long)limit);
}

/* Kilobytes as Exchange's quota properties state them (0: no limit is
 * shown as -1, "unlimited" in MS-OXCSTOR). */
static LONG kb(uint64_t bytes)
{
	if (!bytes)
		return -1;
	uint64_t k = (bytes + 1023) / 1024;
	return k > 0x7FFFFFFF ? 0x7FFFFFFF : (LONG)k;
}

static BOOL quota_value(ULONG tag, const srv_quota *q, SPropValue *out)
{
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_STORAGE_QUOTA_LIMIT):
		out->ulPropTag = PR_STORAGE_QUOTA_LIMIT;
		out->Value.l = kb(q->warning);
		return TRUE;
	case PROP_ID(PR_PROHIBIT_SEND_QUOTA):
		out->ulPropTag = PR_PROHIBIT_SEND_QUOTA;
		out->Value.l = kb(q->send);
		return TRUE;
	case PROP_ID(PR_PROHIBIT_RECEIVE_QUOTA):
		out->ulPropTag = PR_PROHIBIT_RECEIVE_QUOTA;
		out->Value.l = kb(q->receive);
		return TRUE;
	case PROP_ID(PR_MESSAGE_SIZE_EXTENDED):
		out->ulPropTag = PR_MESSAGE_SIZE_EXTENDED;
		out->Value.li.QuadPart = (LONGLONG)q->used;
		return TRUE;
	case PROP_ID(PR_MAPIX_QUOTA_STATE):
		out->ulPropTag = PR_MAPIX_QUOTA_STATE;
		out->Value.l = (LONG)q->state;
		return TRUE;
	default:
		return FALSE;
	}
}

static const ULONG quota_tags[] = {PR_STORAGE_QUOTA_LIMIT, PR_PROHIBIT_SEND_QUOTA, PR_PROHIBIT_RECEIVE_QUOTA,
                                   PR_MESSAGE_SIZE_EXTENDED, PR_MAPIX_QUOTA_STATE};
#define N_QUOTA_TAGS (sizeof quota_tags / sizeof quota_tags[0])

HRESULT srv_quota_store_props(srv_req *r, const SPropTagArray *tags, ULONG *n, LPSPropValue *vals, LPSPropValue *old)
{
	srv_logon *l = r->h.logon;
	srv_server *s = r->conn->srv;
	srv_account a;
	srv_quota q;
	*old = NULL;
	if (!l || !l->mb || !*vals)
		return S_OK;
	if (FAILED(srv_dir_find(s->dir, l->mailbox, &a)) || FAILED(srv_quota_get(s, &a, l->mb, &q))) {
		mapix_error_clear();
		return S_OK;
	}
	if (tags) {
		/* Asked by tag: fill the ones the store did not know. */
		for (ULONG i = 0; i < *n && i < tags->cValues; i++)
			if (PROP_TYPE((*vals)[i].ulPropTag) == PT_ERROR)
				quota_value(tags->aulPropTag[i], &q, &(*vals)[i]);
		return S_OK;
	}
	/* Every property: append ours after the store's (a new array whose
	 * values still point into the old one, which is chained to it). */
	LPSPropValue more = NULL;
	HRESULT hr = MAPIAllocateBuffer((*n + N_QUOTA_TAGS) * sizeof(SPropValue), (LPVOID *)&more);
	if (FAILED(hr))
		return hr;
	ULONG k = 0;
	for (ULONG i = 0; i < *n; i++) {
		BOOL ours = FALSE;
		for (size_t t = 0; t < N_QUOTA_TAGS; t++)
			ours |= PROP_ID((*vals)[i].ulPropTag) == PROP_ID(quota_tags[t]);
		if (!ours)
			more[k++] = (*vals)[i];
	}
	for (size_t t = 0; t < N_QUOTA_TAGS; t++)
		if (quota_value(quota_tags[t], &q, &more[k]))
			k++;
	*old = *vals;
	*vals = more;
	*n = k;
	return S_OK;
}

HRESULT srv_quota_store_proplist(srv_req *r, LPSPropTagArray *tags, LPSPropTagArray *old)
{
	*old = NULL;
	if (!r->h.logon || !r->h.logon->mb || !*tags)
		return S_OK;
	LPSPropTagArray more = NULL;
	HRESULT hr = MAPIAllocateBuffer(CbNewSPropTagArray((*tags)->cValues + N_QUOTA_TAGS), (LPVOID *)&more);
	if (FAILED(hr))
		return hr;
	ULONG k = 0;
	for (ULONG i = 0; i < (*tags)->cValues; i++) {
		BOOL ours = FALSE;
		for (size_t t = 0; t < N_QUOTA_TAGS; t++)
			ours |= PROP_ID((*tags)->aulPropTag[i]) == PROP_ID(quota_tags[t]);
		if (!ours)
			more->aulPropTag[k++] = (*tags)->aulPropTag[i];
	}
	for (size_t t = 0; t < N_QUOTA_TAGS; t++)
		more->aulPropTag[k++] = quota_tags[t];
	more->cValues = k;
	*old = *tags;
	*tags = more;
	return S_OK;
}
