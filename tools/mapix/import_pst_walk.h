/*
 * import_pst_walk.h — the state of one PST import and the libpff-facing
 * pieces of the source (import_pst.c, import_pst_folder.c,
 * import_pst_props.c, import_pst_content.c, import_pst_fixup.c).
 */
#ifndef MAPIX_CLI_IMPORT_PST_WALK_H
#define MAPIX_CLI_IMPORT_PST_WALK_H

#include <libpff.h>

#include "import.h"
#include "import_pst.h"

/* Node ids of the PST's own folders (MS-PST 2.4.1); NID_TYPE in the low
 * five bits. */
#define PST_NID_ROOT_FOLDER 0x122u
#define PST_NID_TYPE(nid) ((nid)&0x1Fu)
#define PST_NID_TYPE_SEARCH_FOLDER 0x03u

/* Embedded messages nest at most this deep; folders likewise. A damaged
 * file must not run the walk into the ground. */
#define PST_MAX_DEPTH 64

/* An item the second pass may need: a contact or distribution list
 * (something a distribution list can name), and the folder it went to. */
typedef struct pst_node {
	uint32_t nid;
	BOOL is_dl; /* a distribution list: its members are rewritten */
	LPMAPIFOLDER folder;
} pst_node;

typedef struct pst_import {
	import_engine *eng;
	LPMDB mdb;
	libpff_file_t *file;
	const char *path; /* as given, for messages */
	char *realpath;   /* for source identities */
	int codepage;     /* the file's code page for 8-bit strings */

	/* From the PST's message store object. */
	BYTE uid[16];
	BOOL have_uid;
	uint32_t nid_subtree, nid_wastebasket, nid_sent, nid_finder;
	/* Found below the subtree (0: none). */
	uint32_t nid_inbox, nid_drafts, nid_junk;

	/* PST named property id (0x8000...) -> the target store's id; 0 not
	 * asked yet, PST_NAMED_NONE when it cannot be mapped. */
	ULONG *named;

	pst_node *nodes;
	size_t nnodes, capnodes;
	BOOL nodes_sorted;

	unsigned long lists_fixed, members_rewritten, members_unresolved;
} pst_import;

#define PST_NAMED_NONE 0xFFFFFFFFu

/* libpff's error text (its first line) into buf, and frees the error. */
void pst_error_text(libpff_error_t **err, char *buf, size_t n);

/* A property of record set 0 of item as a malloc'd UTF-8 string (NULL when
 * absent or unreadable), as a 32-bit number (FALSE when absent), or as its
 * raw bytes (malloc'd; FALSE when absent). */
char *pst_item_utf8(pst_import *pi, libpff_item_t *item, uint32_t prop_id);
BOOL pst_item_long(libpff_item_t *item, uint32_t prop_id, uint32_t *value);
BOOL pst_item_raw(libpff_item_t *item, uint32_t prop_id, BYTE **data, size_t *size);

/* ---- import_pst_folder.c ---- */
/* Walks the folders below the IPM subtree folder, importing every message. */
void pst_walk(pst_import *pi, libpff_item_t *subtree);

/* ---- import_pst_props.c ---- */
/* What kind of object properties are copied onto: decides which
 * properties belong to the target store instead. */
typedef enum pst_object_kind { PST_OBJ_MESSAGE, PST_OBJ_RECIPIENT, PST_OBJ_ATTACHMENT } pst_object_kind;

/* Values from this size on are streamed: PST_STREAM_MIN, unless the test
 * hook MAPIX_TEST_PST_STREAM_MIN says otherwise. */
size_t pst_stream_min(void);

/* TRUE when a property with this (PST) tag is not copied to an object of
 * kind: the target store computes it or owns it. */
BOOL pst_prop_skipped(pst_object_kind kind, ULONG tag);

/* The target tag of a PST property (named ones mapped through the file's
 * name map into the store), or PROP_TAG(type, PROP_ID_NULL) when there is
 * none. */
ULONG pst_target_tag(pst_import *pi, libpff_record_entry_t *entry, ULONG pst_tag);

/* Copies the properties of record set `set` of item onto target: small
 * values with one SetProps, large ones through streams. The code page for
 * 8-bit strings is the item's PR_MESSAGE_CODEPAGE, else the file's.
 * Problems the store reports for single properties (other than computed
 * ones) become one warning on location. Failures of the item itself
 * (libpff) return MAPI_E_CORRUPT_DATA with *why set. */
HRESULT pst_copy_props(pst_import *pi, libpff_item_t *item, int set, pst_object_kind kind, LPMAPIPROP target,
                       const char *location, char *why, size_t nwhy);

/* Recipients as ModifyRecipients rows (rows are record sets of the
 * recipients item). */
HRESULT pst_rows_from_set(pst_import *pi, libpff_item_t *item, int set, int codepage, pst_object_kind kind,
                          LPSPropValue *lppProps, ULONG *lpcValues, char *why, size_t nwhy);

/* ---- import_pst_content.c ---- */
/* The whole item: properties, recipients, attachments (embedded messages
 * recursively, depth counting). */
HRESULT pst_copy_message(pst_import *pi, libpff_item_t *item, LPMESSAGE target, int depth, const char *location,
                         char *why, size_t nwhy);

/* ---- import_pst_fixup.c ---- */
/* Remembers a contact or distribution list and the folder it is in. */
void pst_note_node(pst_import *pi, uint32_t nid, BOOL is_dl, LPMAPIFOLDER folder);
/* The second pass: distribution-list members pointing into the PST. */
void pst_fixup(pst_import *pi);
void pst_nodes_free(pst_import *pi);

#endif
