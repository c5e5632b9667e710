/*
 * acl_args.h — the argument checks of PR_ACL_TABLE's IExchangeModifyTable
 * that the local and the remote store provider make before anything else,
 * in one place so that both fail alike (same HRESULT, same text).
 *
 * Internal to libmapix (mapix_acl_ prefix, no exports).
 */
#ifndef MAPIX_CORE_ACL_ARGS_H
#define MAPIX_CORE_ACL_ARGS_H

#include <mapix/edkmdb.h>

/* OpenProperty(PR_ACL_TABLE): the interface and the flags it takes. */
HRESULT mapix_acl_check_open(LPCIID lpiid, ULONG ulFlags);
/* ModifyTable: the flags and the row list being there. */
HRESULT mapix_acl_check_modify(ULONG ulFlags, const ROWLIST *lpMods);

#endif
