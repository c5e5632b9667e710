/*
 * local-table.h — building the store's basic tables (local-table.c).
 */
#ifndef MAPIX_LOCAL_TABLE_H
#define MAPIX_LOCAL_TABLE_H

#include "local.h"

/* A snapshot table indexed by PR_INSTANCE_KEY with the given default columns. */
HRESULT local_table_new(const SPropTagArray *columns, LPTABLEDATA *out);
/* Adds a row made of obj's properties (GetProps(NULL) with MAPI_UNICODE if
 * asked), then the extra values (which replace the object's), and a
 * PR_INSTANCE_KEY made from `instance`; long values are truncated. */
HRESULT local_table_add_object(LPTABLEDATA td, LPMAPIPROP obj, ULONG ulFlags, const SPropValue *extra,
                               ULONG n_extra, uint64_t instance);
/* Hands out a view and drops the caller's reference on td. */
HRESULT local_table_view(LPTABLEDATA td, LPMAPITABLE *lppTable);

#endif
