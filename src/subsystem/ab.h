/*
 * ab.h — the address book's private interface: entry ID helpers shared by
 * ab_*.c, the IAddrBook made by IMAPISession::OpenAddressBook (ab_book.c),
 * its containers (ab_container.c), the contacts provider (ab_contacts.c),
 * mail users and distribution lists (ab_entry.c) and name resolution
 * (ab_resolve.c). The public part (entry ID layouts, distribution lists)
 * is include/mapix/mapixab.h.
 */
#ifndef MAPIX_SUBSYSTEM_AB_H
#define MAPIX_SUBSYSTEM_AB_H

#include <pthread.h>

#include <mapix/mapidefs.h>
#include <mapix/mapixab.h>

#include "subsystem/instance.h"

extern const BYTE MAPIX_ONEOFF_UID[16];
extern const BYTE MAPIX_WRAPPED_UID[16];
extern const BYTE MAPIX_AB_UID[16];
extern const BYTE MAPIX_CONTAB_UID[16];
/* mapix's own containers (root and one per Contacts folder). */
extern const BYTE MAPIX_ABROOT_UID[16];

HRESULT mapix_ab_alloc(size_t cb, LPVOID parent, LPVOID *out);
HRESULT mapix_ab_strdup(const char *s, size_t len, LPVOID parent, LPSTR *out);
ULONG mapix_ab_get_u32(const BYTE *p);

/* Named property tags of PSETID_Address in obj (PT_ as given, created when
 * fCreate); lids and types are parallel arrays. */
HRESULT mapix_ab_named_tags(LPMAPIPROP obj, ULONG n, const ULONG *lids, const ULONG *types, BOOL fCreate,
                            ULONG *tags);

/* One entry of the contacts address book. */
typedef struct ab_entry {
	char *name, *adrtype, *address; /* UTF-8, malloc'd */
	SBinary eid;                    /* contab entry ID (MAPIAllocateBuffer) */
	ULONG display_type;             /* DT_MAILUSER or DT_PRIVATE_DISTLIST */
} ab_entry;

void mapix_ab_entries_free(ab_entry *e, ULONG n);

/* A Contacts folder the address book shows. */
typedef struct ab_folder {
	LPMDB mdb;
	LPMAPIFOLDER folder;
	char *name;  /* "Contacts" or "Contacts (store name)" */
	BYTE eid[24]; /* container entry ID: mapix root UID + 4-byte index */
} ab_folder;

typedef struct ab_book {
	IAddrBook iface;
	unsigned long refs;
	pthread_mutex_t lock;
	mapix_instance *inst;
	LPMAPISESSION session;
	ab_folder *folders;
	ULONG nfolders;
} ab_book;

HRESULT mapix_addrbook_create(mapix_instance *inst, LPMAPISESSION session, ULONG ulFlags, LPADRBOOK *lppAdrBook);

/* The entries of one contacts folder (contacts with Email1..3, lists). */
HRESULT mapix_ab_folder_entries(ab_folder *f, ab_entry **out, ULONG *n);
/* Opens a contab entry ID as IMailUser/IDistList. */
HRESULT mapix_ab_open_contab(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *type, LPUNKNOWN *out);
/* IMailUser for a one-off or address book entry given by its properties. */
HRESULT mapix_ab_mailuser_new(ab_book *ab, ULONG cValues, LPSPropValue props, LPMAILUSER *out);
/* IDistList over the list message msg (its members as contents rows). */
HRESULT mapix_ab_distlist_new(ab_book *ab, LPMDB mdb, LPMESSAGE msg, ULONG cValues, LPSPropValue props,
                              LPDISTLIST *out);
/* The properties of a mail user row: PR_DISPLAY_NAME, PR_EMAIL_ADDRESS,
 * PR_ADDRTYPE, PR_SMTP_ADDRESS, PR_ENTRYID, PR_OBJECT_TYPE,
 * PR_DISPLAY_TYPE, PR_SEARCH_KEY, PR_RECORD_KEY (UTF-16 strings), in one
 * MAPIAllocateBuffer block. */
HRESULT mapix_ab_user_props(const char *name, const char *adrtype, const char *address, const SBinary *eid,
                            ULONG display_type, ULONG *cValues, LPSPropValue *props);
/* Containers: the root (hierarchy = the Contacts folders) or one folder. */
HRESULT mapix_ab_container_new(ab_book *ab, LONG index, LPABCONT *out);
/* Members of a list message as rows (MAPI_E_... on failure). */
HRESULT mapix_ab_list_rows(LPMDB mdb, LPMESSAGE msg, LPMAPITABLE *table);

HRESULT mapix_ab_resolve(ab_book *ab, ULONG ulFlags, LPADRLIST lpAdrList);

#endif
