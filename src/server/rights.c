/*
 * rights.c — who may open which mailbox, and what a handle allows.
 *
 * Opening a mailbox (checked in this order):
 *   - its owner: the identity whose Unix user the account maps to, or the
 *     account itself logged on with its password over TCP;
 *   - a "full access" grant: the identity acts as the owner;
 *   - OPENSTORE_USE_ADMIN_PRIVILEGE with an "admin" grant on the mailbox,
 *     or as an administrator of mapixd.conf: acts as the owner;
 *   - a "deliver" grant: a deliver-only logon (open folders, create and
 *     save new messages in them, NotifyNewMail — read nothing else);
 *   - a right granted by some folder's ACL (explicitly or to the default
 *     member): a folder-permission logon, whose every handle is checked
 *     against the ACL of the folder it belongs to (acl.c).
 * Nothing else opens a mailbox: not root, not an administrator without
 * OPENSTORE_USE_ADMIN_PRIVILEGE. Each handle then carries SRV_ACC_* bits,
 * and every operation states the bits it needs (dispatch tables), so the
 * check happens before the store is called. A denial answers
 * MAPI_E_NO_ACCESS and writes one audit line.
 */
#include <string.h>
#include <strings.h>

#include <mapix/edkmdb.h>

#include "core/error.h"
#include "server.h"

BOOL srv_rights_is_owner(const srv_identity *who, const srv_account *a)
{
	/* An account identity never matches a Unix user (and the reverse):
	 * "account:alice" and the Unix user alice are different identities. */
	if (who->account[0])
		return strcasecmp(who->account, a->name) == 0;
	return a->unix_user[0] && strcmp(a->unix_user, who->name) == 0;
}

HRESULT srv_rights_logon(srv_server *s, const srv_identity *who, const srv_account *a, ULONG open_flags,
                         ULONG *access, const char **how)
{
	*access = 0;
	*how = NULL;
	if (srv_rights_is_owner(who, a)) {
		*access = SRV_ACC_READ | SRV_ACC_WRITE;
		*how = "owner";
	} else if (srv_dir_has_grant(s->dir, a->name, who->name, MAPIX_GRANT_FULL_ACCESS)) {
		*access = SRV_ACC_READ | SRV_ACC_WRITE;
		*how = "full access";
	} else if ((open_flags & OPENSTORE_USE_ADMIN_PRIVILEGE) &&
	           (who->admin || srv_dir_has_grant(s->dir, a->name, who->name, MAPIX_GRANT_ADMIN))) {
		*access = SRV_ACC_READ | SRV_ACC_WRITE;
		*how = "admin privilege";
	} else if (srv_dir_has_grant(s->dir, a->name, who->name, MAPIX_GRANT_DELIVER)) {
		*access = SRV_ACC_DELIVER;
		*how = "deliver";
	} else {
		/* As on Exchange: an identity some folder's ACL grants a right
		 * opens the mailbox, and reaches only those folders (acl.c). */
		BOOL any = FALSE;
		HRESULT hr = srv_acl_grants_any(s, who, a, &any);
		if (FAILED(hr))
			return hr;
		if (any) {
			*access = SRV_ACC_ACL;
			*how = "folder permissions";
		}
	}
	if (*access)
		return S_OK;
	srv_audit_log(s->audit, who, a->name,
	              (open_flags & OPENSTORE_USE_ADMIN_PRIVILEGE) ? "OpenMsgStore(admin privilege)" : "OpenMsgStore",
	              MAPI_E_NO_ACCESS);
	return mapix_error(MAPI_E_NO_ACCESS, "mapixd: %s has no right to open mailbox %s%s", who->name, a->name,
	                   (open_flags & OPENSTORE_USE_ADMIN_PRIVILEGE) ? " (even with admin privilege)" : "");
}

HRESULT srv_rights_check(srv_conn *c, const srv_handle *h, ULONG need, const char *operation)
{
	if (need && (h->access & SRV_ACC_ACL))
		return srv_acl_check(c, h, (need & SRV_ACC_WRITE) ? SRV_ACL_WRITE : (need & SRV_ACC_READ) ? SRV_ACL_READ
		                                                                                          : SRV_ACL_DENY,
		                     operation);
	if (!need || (h->access & need))
		return S_OK;
	srv_audit_log(c->srv->audit, &c->id, h->logon ? h->logon->mailbox : "", operation, MAPI_E_NO_ACCESS);
	return mapix_error(MAPI_E_NO_ACCESS, "mapixd: %s may not %s in mailbox %s (%s logon)", c->id.name, operation,
	                   h->logon ? h->logon->mailbox : "?", h->logon && h->logon->how ? h->logon->how : "no");
}
