/*
 * dispatch_directory.c — the address book's operations (180-189): the
 * account directory as a global address list. Any identity that has a
 * connection may read it, before or without any logon, as any Exchange
 * user may read the GAL: it carries each account's name, display name,
 * SMTP address, X500 DN and Address Book EntryID (MS-OXCDATA 2.2.5.2) —
 * never its Unix owner, mailbox file or size, which GetMailboxTable keeps
 * for identities with grants.
 */
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "core/error.h"
#include "server.h"

enum { G_IKEY, G_NAME, G_ACCOUNT, G_SMTP, G_DN, G_ADDRTYPE, G_EID, G_OBJTYPE, G_DISPTYPE, G_COUNT };

static void add_account_row(const srv_account *a, void *ctx)
{
	srv_account_fill *f = ctx;
	if (FAILED(f->hr))
		return;
	char dn[512];
	srv_dir_dn(f->r->conn->srv->dir, a->name, dn, sizeof dn);
	SBinary eid = {0, NULL};
	if (FAILED(f->hr = mapix_ab_eid_build(MAPIX_AB_DT_MAILUSER, dn, NULL, &eid)))
		return;
	SPropValue v[G_COUNT];
	memset(v, 0, sizeof v);
	ULONG key = ++f->n;
	v[G_IKEY].ulPropTag = PR_INSTANCE_KEY;
	v[G_IKEY].Value.bin.cb = sizeof key;
	v[G_IKEY].Value.bin.lpb = (LPBYTE)&key;
	v[G_NAME].ulPropTag = PR_DISPLAY_NAME_A;
	v[G_NAME].Value.lpszA = (LPSTR)(a->display_name[0] ? a->display_name : a->name);
	v[G_ACCOUNT].ulPropTag = PR_ACCOUNT_A;
	v[G_ACCOUNT].Value.lpszA = (LPSTR)a->name;
	v[G_SMTP].ulPropTag = PR_SMTP_ADDRESS_A;
	v[G_SMTP].Value.lpszA = (LPSTR)a->smtp;
	v[G_DN].ulPropTag = PR_EMAIL_ADDRESS_A;
	v[G_DN].Value.lpszA = dn;
	v[G_ADDRTYPE].ulPropTag = PR_ADDRTYPE_A;
	v[G_ADDRTYPE].Value.lpszA = (LPSTR) "EX";
	v[G_EID].ulPropTag = PR_ENTRYID;
	v[G_EID].Value.bin = eid;
	v[G_OBJTYPE].ulPropTag = PR_OBJECT_TYPE;
	v[G_OBJTYPE].Value.l = MAPI_MAILUSER;
	v[G_DISPTYPE].ulPropTag = PR_DISPLAY_TYPE;
	v[G_DISPTYPE].Value.l = DT_MAILUSER;
	if (!a->smtp[0])
		v[G_SMTP].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(PR_SMTP_ADDRESS_A)), v[G_SMTP].Value.err = MAPI_E_NOT_FOUND;
	SRow row = {0, G_COUNT, v};
	f->hr = ITableData_HrModifyRow(f->td, &row);
	MAPIFreeBuffer(eid.lpb);
}

static HRESULT op_directory_table(srv_req *r)
{
	ULONG flags;
	SRV_ARG(r, mapix_wire_get_u32(&r->in, &flags));
	SRV_ARGS_END(r);
	if (flags & ~(ULONG)MAPI_UNICODE)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "GetDirectoryTable: unknown flags 0x%08X", (unsigned)flags);
	static const SizedSPropTagArray(G_COUNT, cols) = {
		G_COUNT, {PR_INSTANCE_KEY, PR_DISPLAY_NAME_A, PR_ACCOUNT_A, PR_SMTP_ADDRESS_A, PR_EMAIL_ADDRESS_A,
		          PR_ADDRTYPE_A, PR_ENTRYID, PR_OBJECT_TYPE, PR_DISPLAY_TYPE}};
	return srv_reply_account_table(r, (const SPropTagArray *)&cols, add_account_row);
}

/* Operations of the connection (handle 0), as in srv_ops_conn. */
const srv_op srv_ops_directory[] = {
	{MPX_OP_DIRECTORY_TABLE, op_directory_table, 0, 0, "GetDirectoryTable"},
	{0, NULL, 0, 0, NULL},
};
