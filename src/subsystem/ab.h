/*
 * ab.h — the address book's private interface. IMAPISession::OpenAddressBook
 * makes an IAddrBook (ab_book.c) over the Contacts folders of the session's
 * stores (ab_contacts.c, entries as Outlook's Contact Address Book names
 * them: MS-OXCDATA 2.2.5.3/2.2.5.4), with one-off entries (ab_eid.c), mail
 * users, distribution lists and containers (ab_obj.c, ab_table.c) and name
 * resolution (ab_resolve.c). The public part (entry ID layouts,
 * distribution lists) is include/mapix/mapixab.h.
 */
#ifndef MAPIX_SUBSYSTEM_AB_H
#define MAPIX_SUBSYSTEM_AB_H

#include <pthread.h>
#include <stdatomic.h>

#include <mapix/mapidefs.h>
#include <mapix/mapixab.h>

#include "subsystem/instance.h"

extern const BYTE MAPIX_ONEOFF_UID[16];
extern const BYTE MAPIX_WRAPPED_UID[16];
extern const BYTE MAPIX_AB_UID[16];
extern const BYTE MAPIX_CONTAB_UID[16];
/* mapix's containers: flags, this UID, a 4-byte index (0xFFFFFFFF: the root). */
extern const BYTE MAPIX_ABCONT_UID[16];
#define MAPIX_ABCONT_EID_SIZE 24
#define MAPIX_ABCONT_ROOT 0xFFFFFFFFu

HRESULT mapix_ab_alloc(size_t cb, LPVOID parent, LPVOID *out);
HRESULT mapix_ab_strdup(const char *s, size_t len, LPVOID parent, LPSTR *out);
ULONG mapix_ab_get_u32(const BYTE *p);

/* Named property tags of PSETID_Address in obj (types as given; PT_ERROR
 * where a name is unknown and !fCreate); lids and types are parallel. */
HRESULT mapix_ab_named_tags(LPMAPIPROP obj, ULONG n, const ULONG *lids, const ULONG *types, BOOL fCreate,
                            ULONG *tags);

/* One entry of a contacts container. */
typedef struct ab_entry {
	char *name, *adrtype, *address; /* UTF-8, malloc'd */
	char *smtp;                     /* GAL entries: the SMTP address (else NULL) */
	SBinary eid;                    /* contab or Address Book entry ID (malloc'd) */
	ULONG display_type;             /* DT_MAILUSER or DT_PRIVATE_DISTLIST */
} ab_entry;

void mapix_ab_entries_free(ab_entry *e, ULONG n);

/* A container: a Contacts folder, or mapixd's directory (gal: folder is
 * NULL and mdb the store whose server it is). */
typedef struct ab_folder {
	LPMDB mdb;
	LPMAPIFOLDER folder;
	BOOL gal;
	char *name; /* "Contacts", "Contacts (store name)", "Global Address List" */
} ab_folder;

typedef struct ab_book {
	IAddrBook iface;
	atomic_ulong refs;
	mapix_instance *inst;
	LPMAPISESSION session;
	ab_folder *folders;
	ULONG nfolders;
} ab_book;

HRESULT mapix_addrbook_create(mapix_instance *inst, LPMAPISESSION session, ULONG ulFlags, LPADRBOOK *lppAdrBook);
void mapix_ab_book_addref(ab_book *ab);
void mapix_ab_book_release(ab_book *ab);

/* The container entry ID of folder `index` (or MAPIX_ABCONT_ROOT). */
void mapix_ab_container_eid(ULONG index, BYTE out[MAPIX_ABCONT_EID_SIZE]);
/* Which container an entry ID names: S_OK and *index, or MAPI_E_INVALID_ENTRYID. */
HRESULT mapix_ab_container_parse(ULONG cb, const BYTE *eid, ULONG *index);

/* The entries of one container (contacts with Email1..3 and lists, or the
 * directory's accounts), in its order; malloc'd array. */
HRESULT mapix_ab_folder_entries(ab_folder *f, ab_entry **out, ULONG *n);
/* Opens a contab entry ID: a contact's address as IMailUser, a list as
 * IDistList. */
HRESULT mapix_ab_open_contab(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *type, LPUNKNOWN *out);
/* Opens an Address Book EntryID of the directory as IMailUser. */
HRESULT mapix_ab_open_gal(ab_book *ab, ULONG cb, const BYTE *eid, ULONG *type, LPUNKNOWN *out);

/* The properties of an address book entry: PR_DISPLAY_NAME, PR_ADDRTYPE,
 * PR_EMAIL_ADDRESS, PR_SMTP_ADDRESS (smtp, or the address of an SMTP entry), PR_ENTRYID,
 * PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_SEARCH_KEY, PR_RECORD_KEY; strings
 * in UTF-16 when unicode, else 8-bit (UTF-8). One MAPIAllocateBuffer block. */
HRESULT mapix_ab_user_props(const char *name, const char *adrtype, const char *address, const char *smtp,
                            const SBinary *eid, ULONG display_type, BOOL unicode, ULONG *cValues,
                            LPSPropValue *props);

/* The objects (ab_obj.c): a mail user or a list with the given properties
 * (copied), a container. A list's members come from its message. */
HRESULT mapix_ab_mailuser_new(ab_book *ab, ULONG cValues, const SPropValue *props, LPMAILUSER *out);
HRESULT mapix_ab_distlist_new(ab_book *ab, LPMDB mdb, ULONG cbMsg, const BYTE *msgEid, ULONG cValues,
                              const SPropValue *props, LPDISTLIST *out);
HRESULT mapix_ab_container_new(ab_book *ab, ULONG index, LPABCONT *out);

/* Tables (ab_table.c). */
HRESULT mapix_ab_hierarchy_table(ab_book *ab, LPMAPITABLE *out);
HRESULT mapix_ab_contents_table(ab_book *ab, ULONG index, LPMAPITABLE *out);
HRESULT mapix_ab_members_table(LPMDB mdb, ULONG cbMsg, const BYTE *msgEid, LPMAPITABLE *out);

/* IAddrBook::ResolveName and PrepareRecips (ab_resolve.c). */
HRESULT mapix_ab_resolve(ab_book *ab, ULONG ulFlags, LPADRLIST lpAdrList);
HRESULT mapix_ab_prepare(ab_book *ab, ULONG ulFlags, LPSPropTagArray lpPropTagArray, LPADRLIST lpRecipList);

#endif
