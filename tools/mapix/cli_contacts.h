/*
 * cli_contacts.h — the Contacts folder, its lists and contacts, for `mapix dl`.
 */
#ifndef MAPIX_CLI_CONTACTS_H
#define MAPIX_CLI_CONTACTS_H

#include "cli.h"

/* Opens the Contacts folder (flags: MAPI_MODIFY to write); prints the
 * one-line error on failure. */
HRESULT cli_open_contacts(LPMDB mdb, const char *mailbox, ULONG flags, LPMAPIFOLDER *out);

/* The entry ID (MAPIAllocateBuffer) of the personal distribution list
 * called `name`: MAPI_E_NOT_FOUND, or MAPI_E_AMBIGUOUS_RECIP when several
 * lists have that name. Prints nothing. */
HRESULT cli_find_list(LPMAPIFOLDER f, const char *name, SBinary *eid);

typedef struct cli_contact {
	SBinary eid;   /* malloc'd */
	ULONG n;       /* which EmailN (1..3) */
	char *name;    /* EmailN's display name, else the contact's */
	char *address;
} cli_contact;

/* The contact with display name `key` (its first email address) or with
 * `key` as one of its email addresses (that one); MAPI_E_NOT_FOUND or
 * MAPI_E_AMBIGUOUS_RECIP otherwise. Prints nothing. */
HRESULT cli_find_contact(LPMAPIFOLDER f, const char *key, cli_contact *out);
void cli_contact_free(cli_contact *c);

#endif
