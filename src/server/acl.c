/*
 * acl.c — folder permissions in mapixd: the logons of identities that are
 * neither owners nor holders of a mailbox grant, but to whom some folder's
 * ACL (PR_ACL_TABLE) grants a right.
 *
 * Such a logon ("folder permissions") marks every handle SRV_ACC_ACL and
 * carries the rights of the folder the handle belongs to (srv_acl_state):
 * a folder handle its own folder's, a message, attachment, table or stream
 * handle those of the folder it came from, plus whether the caller created
 * the message. Each operation of the dispatch tables states what it needs
 * (enum srv_acl_rule); the rule reads according to the handle's kind:
 *
 *   rule       store   folder                 message / attachment
 *   READ       yes     frightsVisible (SEE)   frightsReadAny, or created by the caller
 *   WRITE      no      frightsOwner           new, or EditAny, or EditOwned and created by the caller
 *   ITEMS      -       frightsReadAny         -
 *   CREATE     -       frightsCreate          -
 *   EDIT_ANY   -       frightsEditAny         -
 *   SUBFOLDER  -       frightsCreateSubfolder -
 *   ADMIN      -       frightsOwner           -
 *
 * Table and stream handles pass READ and WRITE: they were checked when
 * they were made. Who created a message is PR_MAPIX_CREATOR_IDENTITY,
 * which mapixd writes on every message created through it and which such
 * logons cannot set. The rights are those of the folder when the handle
 * was made: a handle outlives a later ACL change, as an open object does
 * on Exchange. Every denial is MAPI_E_NO_ACCESS and one audit line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include <mapix/mapixremote.h>

#include "core/entryid.h"
#include "core/error.h"
#include "core/folder_rights.h"
#include "providers/local/local-acl.h"
#include "providers/local/local-provider.h"
#include "server.h"

void srv_acl_fill_ids(srv_server *s, const srv_identity *who, srv_logon *l)
{
	srv_account own;
	l->n_ids = 0;
	/* An account logged on with its password (TCP) is already named
	 * "account:NAME", the form ACL members use for accounts. */
	if (strncmp(who->name, MAPIX_ACCOUNT_IDENTITY_PREFIX, strlen(MAPIX_ACCOUNT_IDENTITY_PREFIX)) == 0) {
		snprintf(l->ids[l->n_ids++], sizeof l->ids[0], "%s", who->name);
		return;
	}
	snprintf(l->ids[l->n_ids++], sizeof l->ids[0], "user:%s", who->name);
	if (SUCCEEDED(srv_dir_find_by_unix_user(s->dir, who->name, &own)))
		snprintf(l->ids[l->n_ids++], sizeof l->ids[0], "account:%s", own.name);
	mapix_error_clear();
}

static void id_ptrs(const srv_logon *l, const char *out[2])
{
	out[0] = l->ids[0];
	out[1] = l->ids[1];
}

/* The mailbox database behind a logon's shared read-write store. */
static HRESULT mailbox_db(srv_mailbox *mb, local_db **db)
{
	LPMDB mdb = NULL;
	HRESULT hr = srv_mailbox_store(mb, TRUE, &mdb);
	if (FAILED(hr))
		return hr;
	local_logon *ll = local_store_logon(mdb);
	*db = ll ? ll->db : NULL;
	/* The mailbox keeps its logon open while mb is held. */
	IMsgStore_Release(mdb);
	return *db ? S_OK : mapix_error(MAPI_E_CALL_FAILED, "mapixd: the mailbox is not a local store");
}

HRESULT srv_acl_grants_any(srv_server *s, const srv_identity *who, const srv_account *a, BOOL *any)
{
	srv_logon probe;
	srv_mailbox *mb = NULL;
	local_db *db;
	const char *ids[2];
	*any = FALSE;
	memset(&probe, 0, sizeof probe);
	srv_acl_fill_ids(s, who, &probe);
	id_ptrs(&probe, ids);
	HRESULT hr = srv_mailbox_acquire(s, a, &mb);
	if (FAILED(hr))
		return hr;
	if (SUCCEEDED(hr = mailbox_db(mb, &db)))
		hr = local_acl_grants_any(db, ids, probe.n_ids, FALSE, any);
	srv_mailbox_release(mb);
	return hr;
}

HRESULT srv_acl_folder_rights(srv_logon *l, uint64_t fid, ULONG *rights)
{
	local_db *db;
	const char *ids[2];
	id_ptrs(l, ids);
	HRESULT hr = mailbox_db(l->mb, &db);
	if (SUCCEEDED(hr))
		hr = local_acl_rights(db, fid, ids, l->n_ids, FALSE, rights);
	return hr;
}

HRESULT srv_acl_deny(srv_conn *c, const srv_handle *h, const char *operation, const char *why)
{
	const char *mailbox = h && h->logon ? h->logon->mailbox : "";
	srv_audit_log(c->srv->audit, &c->id, mailbox, operation, MAPI_E_NO_ACCESS);
	return mapix_error(MAPI_E_NO_ACCESS, "mapixd: %s may not %s in mailbox %s (folder permissions: %s)", c->id.name,
	                   operation, mailbox, why);
}

static BOOL allows(const srv_handle *h, enum srv_acl_rule rule, const char **why)
{
	const srv_acl_state *a = &h->acl;
	BOOL mine = a->owned || a->is_new;
	*why = "the folder's ACL does not grant it";
	switch (h->kind) {
	case MPX_OBJ_STORE:
		*why = "it needs the mailbox itself, not a folder";
		return rule == SRV_ACL_ANY || rule == SRV_ACL_READ || rule == SRV_ACL_SELF;
	case MPX_OBJ_FOLDER:
		switch (rule) {
		case SRV_ACL_ANY:
			return TRUE;
		case SRV_ACL_READ:
			return mapix_frights_allows(a->frights, MAPIX_FOP_SEE, FALSE);
		case SRV_ACL_WRITE:
		case SRV_ACL_ADMIN:
			return mapix_frights_allows(a->frights, MAPIX_FOP_ADMINISTER, FALSE);
		case SRV_ACL_ITEMS:
			return mapix_frights_allows(a->frights, MAPIX_FOP_READ_ITEMS, FALSE);
		case SRV_ACL_CREATE:
			return mapix_frights_allows(a->frights, MAPIX_FOP_CREATE_ITEM, FALSE);
		case SRV_ACL_EDIT_ANY:
			return mapix_frights_allows(a->frights, MAPIX_FOP_EDIT_ITEM, FALSE);
		case SRV_ACL_SUBFOLDER:
			return mapix_frights_allows(a->frights, MAPIX_FOP_CREATE_SUBFOLDER, FALSE);
		case SRV_ACL_SELF:
			return TRUE;
		default:
			*why = "not open to folder-permission logons";
			return FALSE;
		}
	case MPX_OBJ_MESSAGE:
	case MPX_OBJ_ATTACH:
		switch (rule) {
		case SRV_ACL_ANY:
		case SRV_ACL_SELF:
			return TRUE;
		case SRV_ACL_READ:
			return mine || mapix_frights_allows(a->frights, MAPIX_FOP_READ_ITEMS, FALSE);
		case SRV_ACL_WRITE:
			return a->is_new || mapix_frights_allows(a->frights, MAPIX_FOP_EDIT_ITEM, a->owned);
		default:
			*why = "not open to folder-permission logons";
			return FALSE;
		}
	case MPX_OBJ_TABLE:
	case MPX_OBJ_STREAM:
		*why = "not open to folder-permission logons";
		return rule == SRV_ACL_ANY || rule == SRV_ACL_READ || rule == SRV_ACL_WRITE || rule == SRV_ACL_SELF;
	default:
		*why = "not open to folder-permission logons";
		return FALSE;
	}
}

HRESULT srv_acl_check(srv_conn *c, const srv_handle *h, enum srv_acl_rule rule, const char *operation)
{
	const char *why;
	if (allows(h, rule, &why))
		return S_OK;
	return srv_acl_deny(c, h, operation, why);
}

BOOL srv_acl_owns(srv_logon *l, LPMESSAGE msg)
{
	LPSPropValue v = NULL;
	BOOL owned = FALSE;
	if (HrGetOneProp((LPMAPIPROP)msg, PR_MAPIX_CREATOR_IDENTITY_A, &v) == S_OK) {
		for (unsigned i = 0; i < l->n_ids; i++)
			owned |= strcmp(v->Value.lpszA, l->ids[i]) == 0;
		MAPIFreeBuffer(v);
	}
	mapix_error_clear();
	return owned;
}

HRESULT srv_acl_set_creator(srv_logon *l, LPMESSAGE msg)
{
	SPropValue v;
	v.ulPropTag = PR_MAPIX_CREATOR_IDENTITY_A;
	v.dwAlignPad = 0;
	v.Value.lpszA = l->ids[0];
	return HrSetOneProp((LPMAPIPROP)msg, &v);
}

HRESULT srv_acl_hidden_folders(srv_logon *l, LPSRestriction *out)
{
	static const char sql[] = "SELECT fid FROM folders";
	local_db *db;
	sqlite3_stmt *st;
	uint64_t *hidden = NULL;
	size_t n = 0, cap = 0;
	const char *ids[2];
	*out = NULL;
	id_ptrs(l, ids);
	HRESULT hr = mailbox_db(l->mb, &db);
	if (FAILED(hr))
		return hr;
	uint64_t *fids = NULL;
	size_t n_fids = 0;
	local_db_lock(db);
	if (SUCCEEDED(hr = local_db_prepare(db, sql, &st))) {
		int rc;
		size_t fcap = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n_fids == fcap) {
				fcap = fcap ? fcap * 2 : 64;
				uint64_t *nf = realloc(fids, fcap * sizeof *nf);
				if (!nf) {
					rc = SQLITE_NOMEM;
					break;
				}
				fids = nf;
			}
			fids[n_fids++] = (uint64_t)sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			hr = local_db_error(db, rc, "listing folders");
	}
	local_db_unlock(db);
	for (size_t i = 0; SUCCEEDED(hr) && i < n_fids; i++) {
		ULONG rights = 0;
		if (FAILED(hr = local_acl_rights(db, fids[i], ids, l->n_ids, FALSE, &rights)))
			break;
		if (mapix_frights_allows(rights, MAPIX_FOP_SEE, FALSE))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			uint64_t *nh = realloc(hidden, cap * sizeof *nh);
			if (!nh) {
				hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapixd: out of memory");
				break;
			}
			hidden = nh;
		}
		hidden[n++] = fids[i];
	}
	free(fids);
	if (FAILED(hr) || n == 0) {
		free(hidden);
		return hr;
	}
	/* NOT (PR_ENTRYID = e1 OR PR_ENTRYID = e2 ...), in one allocation. */
	LPSRestriction res;
	size_t size = sizeof(SRestriction) * (2 + n) + sizeof(SPropValue) * n + (size_t)MAPIX_FOLDER_ENTRYID_SIZE * n;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)size, (LPVOID *)&res))) {
		free(hidden);
		return hr;
	}
	memset(res, 0, size);
	LPSRestriction or_res = res + 1, terms = res + 2;
	LPSPropValue vals = (LPSPropValue)(terms + n);
	BYTE *eids = (BYTE *)(vals + n);
	res->rt = RES_NOT;
	res->res.resNot.lpRes = or_res;
	or_res->rt = RES_OR;
	or_res->res.resOr.cRes = (ULONG)n;
	or_res->res.resOr.lpRes = terms;
	for (size_t i = 0; i < n; i++) {
		BYTE *e = eids + i * MAPIX_FOLDER_ENTRYID_SIZE;
		mapix_entryid_make_folder(&db->mailbox_guid, hidden[i], e);
		vals[i].ulPropTag = PR_ENTRYID;
		vals[i].Value.bin.cb = MAPIX_FOLDER_ENTRYID_SIZE;
		vals[i].Value.bin.lpb = e;
		terms[i].rt = RES_PROPERTY;
		terms[i].res.resProperty.relop = RELOP_EQ;
		terms[i].res.resProperty.ulPropTag = PR_ENTRYID;
		terms[i].res.resProperty.lpProp = &vals[i];
	}
	free(hidden);
	*out = res;
	return S_OK;
}

void srv_acl_fix_props(const srv_handle *h, ULONG n, LPSPropValue vals)
{
	if (!(h->access & SRV_ACC_ACL) || h->kind != MPX_OBJ_FOLDER || !vals)
		return;
	for (ULONG i = 0; i < n; i++)
		if (PROP_ID(vals[i].ulPropTag) == PROP_ID(PR_RIGHTS)) {
			vals[i].ulPropTag = PR_RIGHTS;
			vals[i].Value.l = (LONG)(h->acl.frights & ~MAPIX_FRIGHTS_FREEBUSY);
		}
}

BOOL srv_acl_touches_creator(ULONG n, const SPropValue *vals, const SPropTagArray *tags)
{
	for (ULONG i = 0; vals && i < n; i++)
		if (PROP_ID(vals[i].ulPropTag) == PROP_ID(PR_MAPIX_CREATOR_IDENTITY_W))
			return TRUE;
	for (ULONG i = 0; tags && i < tags->cValues; i++)
		if (PROP_ID(tags->aulPropTag[i]) == PROP_ID(PR_MAPIX_CREATOR_IDENTITY_W))
			return TRUE;
	return FALSE;
}
