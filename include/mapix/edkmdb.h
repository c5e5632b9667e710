/*
 * edkmdb.h — what a MAPI program written for Exchange expects from the
 * Exchange store: the IExchangeManageStore and IExchangeModifyTable
 * interfaces with ROWLIST, the OPENSTORE_* flags of CreateStoreEntryID, the
 * folder rights of ACL tables (frights*, rights*, ROLE_*), and the store,
 * folder, message, synchronization and administration properties (PR_*),
 * with the values of Microsoft's edkmdb.h and MS-OXPROPS / MS-OXCPERM.
 *
 * mapix's stores answer to these: a service identity opens other users'
 * mailboxes with IExchangeManageStore::CreateStoreEntryID, reads the
 * mailbox table, and edits folder permissions through PR_ACL_TABLE.
 *
 * Some of these tags are also in mapitags.h; every PR_ here is guarded
 * with #ifndef, so the two headers can be included in either order.
 * mapix-only additions (the store entry ID constants) are named MAPIX_*.
 */
#ifndef MAPIX_EDKMDB_H
#define MAPIX_EDKMDB_H

#include <stddef.h>

#include <mapix/mapix.h>
#include <mapix/mapitags.h>
#include <mapix/edkguid.h>

MAPIX_BEGIN_DECLS

/*
 * Property ID ranges Exchange reserves; Windows code sometimes writes tags
 * as PROP_TAG(type, pidStoreMin + n), so the bases stay available.
 */
#define pidStoreNonTransMin 0x0E40
#define pidExchangeXmitReservedMin 0x3FE0
#define pidExchangeNonXmitReservedMin 0x65E0
#define pidProfileMin 0x6600
#define pidStoreMin 0x6618
#define pidFolderMin 0x6638
#define pidMessageReadOnlyMin 0x6640
#define pidMessageWriteableMin 0x6658
#define pidAttachReadOnlyMin 0x666C
#define pidSpecialMin 0x6670
#define pidAdminMin 0x6690
#define pidSecureProfileMin PROP_ID_SECURE_MIN

/* ---- Profile sections of the Exchange service ------------------------- */

/* The global section of a profile that holds the Exchange service. */
#define pbGlobalProfileSectionGuid "\x13\xDB\xB0\xC8\xAA\x05\x10\x1A\x9B\xB0\x00\xAA\x00\x2F\xC4\x5A"

/* Properties of the global section and of each provider's section */
#ifndef PR_PROFILE_VERSION
#define PR_PROFILE_VERSION PROP_TAG(PT_LONG, 0x6600)
#endif
#ifndef PR_PROFILE_CONFIG_FLAGS
#define PR_PROFILE_CONFIG_FLAGS PROP_TAG(PT_LONG, 0x6601)
#endif
#ifndef PR_PROFILE_HOME_SERVER
#define PR_PROFILE_HOME_SERVER PROP_TAG(PT_STRING8, 0x6602)
#endif
#ifndef PR_PROFILE_USER
#define PR_PROFILE_USER PROP_TAG(PT_STRING8, 0x6603)
#endif
#ifndef PR_PROFILE_CONNECT_FLAGS
#define PR_PROFILE_CONNECT_FLAGS PROP_TAG(PT_LONG, 0x6604)
#endif
#ifndef PR_PROFILE_TRANSPORT_FLAGS
#define PR_PROFILE_TRANSPORT_FLAGS PROP_TAG(PT_LONG, 0x6605)
#endif
#ifndef PR_PROFILE_UI_STATE
#define PR_PROFILE_UI_STATE PROP_TAG(PT_LONG, 0x6606)
#endif
#ifndef PR_PROFILE_UNRESOLVED_NAME
#define PR_PROFILE_UNRESOLVED_NAME PROP_TAG(PT_STRING8, 0x6607)
#endif
#ifndef PR_PROFILE_UNRESOLVED_SERVER
#define PR_PROFILE_UNRESOLVED_SERVER PROP_TAG(PT_STRING8, 0x6608)
#endif
#ifndef PR_PROFILE_BINDING_ORDER
#define PR_PROFILE_BINDING_ORDER PROP_TAG(PT_STRING8, 0x6609)
#endif
#ifndef PR_PROFILE_OPEN_FLAGS
#define PR_PROFILE_OPEN_FLAGS PROP_TAG(PT_LONG, 0x6609)
#endif
#ifndef PR_PROFILE_TYPE
#define PR_PROFILE_TYPE PROP_TAG(PT_LONG, 0x660A)
#endif
#ifndef PR_PROFILE_MAILBOX
#define PR_PROFILE_MAILBOX PROP_TAG(PT_STRING8, 0x660B)
#endif
#ifndef PR_PROFILE_SERVER
#define PR_PROFILE_SERVER PROP_TAG(PT_STRING8, 0x660C)
#endif
#ifndef PR_PROFILE_MAX_RESTRICT
#define PR_PROFILE_MAX_RESTRICT PROP_TAG(PT_LONG, 0x660D)
#endif
#ifndef PR_PROFILE_AB_FILES_PATH
#define PR_PROFILE_AB_FILES_PATH PROP_TAG(PT_STRING8, 0x660E)
#endif
#ifndef PR_PROFILE_OFFLINE_STORE_PATH
#define PR_PROFILE_OFFLINE_STORE_PATH PROP_TAG(PT_STRING8, 0x6610)
#endif
#ifndef PR_PROFILE_OFFLINE_INFO
#define PR_PROFILE_OFFLINE_INFO PROP_TAG(PT_BINARY, 0x6611)
#endif
#ifndef PR_PROFILE_HOME_SERVER_DN
#define PR_PROFILE_HOME_SERVER_DN PROP_TAG(PT_STRING8, 0x6612)
#endif
#ifndef PR_PROFILE_HOME_SERVER_ADDRS
#define PR_PROFILE_HOME_SERVER_ADDRS PROP_TAG(PT_MV_STRING8, 0x6613)
#endif
#ifndef PR_PROFILE_SERVER_DN
#define PR_PROFILE_SERVER_DN PROP_TAG(PT_STRING8, 0x6614)
#endif

#define PROFILE_VERSION ((ULONG)0x501)

/* PR_PROFILE_CONFIG_FLAGS */
#define CONFIG_SERVICE ((ULONG)0x00000001)
#define CONFIG_SHOW_STARTUP_UI ((ULONG)0x00000002)
#define CONFIG_SHOW_CONNECT_UI ((ULONG)0x00000004)
#define CONFIG_PROMPT_FOR_CREDENTIALS ((ULONG)0x00000008)
#define CONFIG_NO_AUTO_DETECT ((ULONG)0x00000010)
#define CONFIG_OST_CACHE_ONLY ((ULONG)0x00000020)

/* PR_PROFILE_CONNECT_FLAGS */
#define CONNECT_USE_ADMIN_PRIVILEGE ((ULONG)0x00000001)
#define CONNECT_NO_RPC_ENCRYPTION ((ULONG)0x00000002)
#define CONNECT_USE_SEPARATE_CONNECTION ((ULONG)0x00000004)
#define CONNECT_NO_UNDER_COVER_CONNECTION ((ULONG)0x00000008)
#define CONNECT_ANONYMOUS_ACCESS ((ULONG)0x00000010)
#define CONNECT_NO_NOTIFICATIONS ((ULONG)0x00000020)
#define CONNECT_NO_TABLE_NOTIFICATIONS ((ULONG)0x00000020)
#define CONNECT_NO_ADDRESS_RESOLUTION ((ULONG)0x00000040)
#define CONNECT_RESTORE_DATABASE ((ULONG)0x00000080)

/* PR_PROFILE_TRANSPORT_FLAGS */
#define TRANSPORT_DOWNLOAD ((ULONG)0x00000001)
#define TRANSPORT_UPLOAD ((ULONG)0x00000002)

/*
 * PR_PROFILE_OPEN_FLAGS, and the ulFlags of
 * IExchangeManageStore::CreateStoreEntryID. A service opening another
 * user's mailbox passes OPENSTORE_USE_ADMIN_PRIVILEGE | OPENSTORE_TAKE_OWNERSHIP;
 * mapix grants that only to identities given access to the mailbox.
 */
#define OPENSTORE_USE_ADMIN_PRIVILEGE ((ULONG)0x00000001)
#define OPENSTORE_PUBLIC ((ULONG)0x00000002)
#define OPENSTORE_HOME_LOGON ((ULONG)0x00000004)
#define OPENSTORE_TAKE_OWNERSHIP ((ULONG)0x00000008)
#define OPENSTORE_OVERRIDE_HOME_MDB ((ULONG)0x00000010)
#define OPENSTORE_TRANSPORT ((ULONG)0x00000020)
#define OPENSTORE_REMOTE_TRANSPORT ((ULONG)0x00000040)
#define OPENSTORE_INTERNET_ANONYMOUS ((ULONG)0x00000080)
#define OPENSTORE_ALTERNATE_SERVER ((ULONG)0x00000100)
#define OPENSTORE_IGNORE_HOME_MDB ((ULONG)0x00000200)
#define OPENSTORE_NO_MAIL ((ULONG)0x00000400)
#define OPENSTORE_OVERRIDE_LAST_MODIFIER ((ULONG)0x00000800)
#define OPENSTORE_CALLBACK_LOGON ((ULONG)0x00001000)
#define OPENSTORE_LOCAL ((ULONG)0x00002000)
#define OPENSTORE_FAIL_IF_NO_MAILBOX ((ULONG)0x00004000)
#define OPENSTORE_CACHE_EXCHANGE ((ULONG)0x00008000)
#define OPENSTORE_CLI_WITH_NAMEDPROP_FIX ((ULONG)0x00010000)
#define OPENSTORE_ENABLE_LAZY_LOGGING ((ULONG)0x00020000)
#define OPENSTORE_CLI_WITH_REPLID_GUID_MAPPING_FIX ((ULONG)0x00040000)
#define OPENSTORE_NO_LOCALIZATION ((ULONG)0x00080000)
#define OPENSTORE_RESTORE_DATABASE ((ULONG)0x00100000)
#define OPENSTORE_XFOREST_MOVE ((ULONG)0x00200000)

/* PR_PROFILE_TYPE */
#define PROFILE_PRIMARY_USER ((ULONG)1)
#define PROFILE_DELEGATE ((ULONG)2)
#define PROFILE_PUBLIC_STORE ((ULONG)3)
#define PROFILE_SUBSCRIPTION ((ULONG)4)

/*
 * ---- Store entry IDs (MS-OXCDATA 2.2.4.3, Store Object EntryID) --------
 * What CreateStoreEntryID returns: a wrapped entry ID whose ProviderUID is
 * MAPIX_MUID_STORE_WRAP, followed by Version 0, Flag 0, the DLL name,
 * WrappedFlags 0, the WrappedProviderUID (private or public store), the
 * WrappedType and the server and mailbox DNs. 16-byte strings, wire order.
 */
#define MAPIX_MUID_STORE_WRAP "\x38\xA1\xBB\x10\x05\xE5\x10\x1A\xA1\xBB\x08\x00\x2B\x2A\x56\xC2"
#define MAPIX_MUID_STORE_PRIVATE "\x1B\x55\xFA\x20\xAA\x66\x11\xCD\x9B\xC8\x00\xAA\x00\x2F\xC4\x5A"
#define MAPIX_MUID_STORE_PUBLIC "\x1C\x83\x02\x10\xAA\x66\x11\xCD\x9B\xC8\x00\xAA\x00\x2F\xC4\x5A"
/* ProviderUID of Address Book EntryIDs (MS-OXCDATA 2.2.5.2): user entry IDs. */
#define MAPIX_MUID_EMSAB "\xDC\xA7\x40\xC8\xC0\x42\x10\x1A\xB4\xB9\x08\x00\x2B\x2F\xE1\x82"
#define MAPIX_STORE_ENTRYID_DLL_NAME "emsmdb.dll"
/* WrappedType: the OPENSTORE_* bits of the store's home logon. */
#define MAPIX_STORE_WRAPPED_TYPE_PRIVATE ((ULONG)(OPENSTORE_HOME_LOGON | OPENSTORE_TAKE_OWNERSHIP))
#define MAPIX_STORE_WRAPPED_TYPE_PUBLIC ((ULONG)(OPENSTORE_HOME_LOGON | OPENSTORE_PUBLIC))

/* ---- Message store object properties (read-only) ---------------------- */

/* Identity of the store (all stores, then mailbox stores) */
#ifndef PR_IN_TRANSIT
#define PR_IN_TRANSIT PROP_TAG(PT_BOOLEAN, 0x6618)
#endif
#ifndef PR_USER_ENTRYID
#define PR_USER_ENTRYID PROP_TAG(PT_BINARY, 0x6619)
#endif
#ifndef PR_USER_NAME
#define PR_USER_NAME PROP_TAG(PT_STRING8, 0x661A)
#endif
#ifndef PR_USER_NAME_A
#define PR_USER_NAME_A PROP_TAG(PT_STRING8, 0x661A)
#endif
#ifndef PR_USER_NAME_W
#define PR_USER_NAME_W PROP_TAG(PT_UNICODE, 0x661A)
#endif
#ifndef PR_MAILBOX_OWNER_ENTRYID
#define PR_MAILBOX_OWNER_ENTRYID PROP_TAG(PT_BINARY, 0x661B)
#endif
#ifndef PR_MAILBOX_OWNER_NAME
#define PR_MAILBOX_OWNER_NAME PROP_TAG(PT_STRING8, 0x661C)
#endif
#ifndef PR_MAILBOX_OWNER_NAME_A
#define PR_MAILBOX_OWNER_NAME_A PROP_TAG(PT_STRING8, 0x661C)
#endif
#ifndef PR_MAILBOX_OWNER_NAME_W
#define PR_MAILBOX_OWNER_NAME_W PROP_TAG(PT_UNICODE, 0x661C)
#endif
#ifndef PR_OOF_STATE
#define PR_OOF_STATE PROP_TAG(PT_BOOLEAN, 0x661D)
#endif
/* Entry IDs of special folders */
#ifndef PR_SCHEDULE_FOLDER_ENTRYID
#define PR_SCHEDULE_FOLDER_ENTRYID PROP_TAG(PT_BINARY, 0x661E)
#endif
#ifndef PR_IPM_DAF_ENTRYID
#define PR_IPM_DAF_ENTRYID PROP_TAG(PT_BINARY, 0x661F)
#endif
#ifndef PR_NON_IPM_SUBTREE_ENTRYID
#define PR_NON_IPM_SUBTREE_ENTRYID PROP_TAG(PT_BINARY, 0x6620)
#endif
#ifndef PR_EFORMS_REGISTRY_ENTRYID
#define PR_EFORMS_REGISTRY_ENTRYID PROP_TAG(PT_BINARY, 0x6621)
#endif
#ifndef PR_SPLUS_FREE_BUSY_ENTRYID
#define PR_SPLUS_FREE_BUSY_ENTRYID PROP_TAG(PT_BINARY, 0x6622)
#endif
#ifndef PR_OFFLINE_ADDRBOOK_ENTRYID
#define PR_OFFLINE_ADDRBOOK_ENTRYID PROP_TAG(PT_BINARY, 0x6623)
#endif
#ifndef PR_EFORMS_FOR_LOCALE_ENTRYID
#define PR_EFORMS_FOR_LOCALE_ENTRYID PROP_TAG(PT_BINARY, 0x6624)
#endif
#ifndef PR_FREE_BUSY_FOR_LOCAL_SITE_ENTRYID
#define PR_FREE_BUSY_FOR_LOCAL_SITE_ENTRYID PROP_TAG(PT_BINARY, 0x6625)
#endif
#ifndef PR_ADDRBOOK_FOR_LOCAL_SITE_ENTRYID
#define PR_ADDRBOOK_FOR_LOCAL_SITE_ENTRYID PROP_TAG(PT_BINARY, 0x6626)
#endif
#ifndef PR_OFFLINE_MESSAGE_ENTRYID
#define PR_OFFLINE_MESSAGE_ENTRYID PROP_TAG(PT_BINARY, 0x6627)
#endif
#ifndef PR_IPM_FAVORITES_ENTRYID
#define PR_IPM_FAVORITES_ENTRYID PROP_TAG(PT_BINARY, 0x6630)
#endif
#ifndef PR_IPM_PUBLIC_FOLDERS_ENTRYID
#define PR_IPM_PUBLIC_FOLDERS_ENTRYID PROP_TAG(PT_BINARY, 0x6631)
#endif
#ifndef PR_SYS_CONFIG_FOLDER_ENTRYID
#define PR_SYS_CONFIG_FOLDER_ENTRYID PROP_TAG(PT_BINARY, 0x6636)
#endif
/* Gateway stores */
#ifndef PR_GW_MTSIN_ENTRYID
#define PR_GW_MTSIN_ENTRYID PROP_TAG(PT_BINARY, 0x6628)
#endif
#ifndef PR_GW_MTSOUT_ENTRYID
#define PR_GW_MTSOUT_ENTRYID PROP_TAG(PT_BINARY, 0x6629)
#endif
#ifndef PR_TRANSFER_ENABLED
#define PR_TRANSFER_ENABLED PROP_TAG(PT_BOOLEAN, 0x662A)
#endif
/* 256 zero bytes that always travel from the server: measures the line speed */
#ifndef PR_TEST_LINE_SPEED
#define PR_TEST_LINE_SPEED PROP_TAG(PT_BINARY, 0x662B)
#endif
/* Opened with OpenProperty to reach the synchronization and transfer objects */
#ifndef PR_HIERARCHY_SYNCHRONIZER
#define PR_HIERARCHY_SYNCHRONIZER PROP_TAG(PT_OBJECT, 0x662C)
#endif
#ifndef PR_CONTENTS_SYNCHRONIZER
#define PR_CONTENTS_SYNCHRONIZER PROP_TAG(PT_OBJECT, 0x662D)
#endif
#ifndef PR_COLLECTOR
#define PR_COLLECTOR PROP_TAG(PT_OBJECT, 0x662E)
#endif
#ifndef PR_FAST_TRANSFER
#define PR_FAST_TRANSFER PROP_TAG(PT_OBJECT, 0x662F)
#endif
#ifndef PR_CHANGE_ADVISOR
#define PR_CHANGE_ADVISOR PROP_TAG(PT_OBJECT, 0x6634)
#endif
#ifndef PR_CHANGE_NOTIFICATION_GUID
#define PR_CHANGE_NOTIFICATION_GUID PROP_TAG(PT_CLSID, 0x6637)
#endif
/* TRUE when the store is served by an offline (cached) provider */
#ifndef PR_STORE_OFFLINE
#define PR_STORE_OFFLINE PROP_TAG(PT_BOOLEAN, 0x6632)
#endif
/* Public stores: the server holding the folder hierarchy */
#ifndef PR_HIERARCHY_SERVER
#define PR_HIERARCHY_SERVER PROP_TAG(PT_TSTRING, 0x6633)
#endif
#ifndef PR_FAVORITES_DEFAULT_NAME
#define PR_FAVORITES_DEFAULT_NAME PROP_TAG(PT_STRING8, 0x6635)
#endif
/* Quotas, in kilobytes */
#ifndef PR_PROHIBIT_RECEIVE_QUOTA
#define PR_PROHIBIT_RECEIVE_QUOTA PROP_TAG(PT_LONG, 0x666A)
#endif
#ifndef PR_MAX_SUBMIT_MESSAGE_SIZE
#define PR_MAX_SUBMIT_MESSAGE_SIZE PROP_TAG(PT_LONG, 0x666D)
#endif
#ifndef PR_PROHIBIT_SEND_QUOTA
#define PR_PROHIBIT_SEND_QUOTA PROP_TAG(PT_LONG, 0x666E)
#endif

/* ---- Incremental change synchronization: folders and messages --------- */

#ifndef PR_SOURCE_KEY
#define PR_SOURCE_KEY PROP_TAG(PT_BINARY, 0x65E0)
#endif
#ifndef PR_PARENT_SOURCE_KEY
#define PR_PARENT_SOURCE_KEY PROP_TAG(PT_BINARY, 0x65E1)
#endif
#ifndef PR_CHANGE_KEY
#define PR_CHANGE_KEY PROP_TAG(PT_BINARY, 0x65E2)
#endif
#ifndef PR_PREDECESSOR_CHANGE_LIST
#define PR_PREDECESSOR_CHANGE_LIST PROP_TAG(PT_BINARY, 0x65E3)
#endif
/* MS-OXPROPS PidTagChangeNumber: the change number of the last change (mapix: of its journal entry) */
#ifndef PR_CHANGE_NUMBER
#define PR_CHANGE_NUMBER PROP_TAG(PT_I8, 0x67A4)
#endif

/* ---- Folder properties ------------------------------------------------ */

#ifndef PR_FOLDER_CHILD_COUNT
#define PR_FOLDER_CHILD_COUNT PROP_TAG(PT_LONG, 0x6638)
#endif
#ifndef PR_RIGHTS
#define PR_RIGHTS PROP_TAG(PT_LONG, 0x6639)
#endif
#ifndef PR_HAS_RULES
#define PR_HAS_RULES PROP_TAG(PT_BOOLEAN, 0x663A)
#endif
#ifndef PR_ADDRESS_BOOK_ENTRYID
#define PR_ADDRESS_BOOK_ENTRYID PROP_TAG(PT_BINARY, 0x663B)
#endif
#ifndef PR_PUBLIC_FOLDER_ENTRYID
#define PR_PUBLIC_FOLDER_ENTRYID PROP_TAG(PT_BINARY, 0x663C)
#endif
#ifndef PR_HIERARCHY_CHANGE_NUM
#define PR_HIERARCHY_CHANGE_NUM PROP_TAG(PT_LONG, 0x663E)
#endif
#ifndef PR_HAS_MODERATOR_RULES
#define PR_HAS_MODERATOR_RULES PROP_TAG(PT_BOOLEAN, 0x663F)
#endif
/* The ACL and the rules: opened as IExchangeModifyTable (PT_OBJECT) or read raw (PT_BINARY) */
#ifndef PR_ACL_TABLE
#define PR_ACL_TABLE PROP_TAG(PT_OBJECT, 0x3FE0)
#endif
#ifndef PR_ACL_DATA
#define PR_ACL_DATA PROP_TAG(PT_BINARY, 0x3FE0)
#endif
#ifndef PR_RULES_TABLE
#define PR_RULES_TABLE PROP_TAG(PT_OBJECT, 0x3FE1)
#endif
#ifndef PR_RULES_DATA
#define PR_RULES_DATA PROP_TAG(PT_BINARY, 0x3FE1)
#endif
#ifndef PR_FOLDER_DESIGN_FLAGS
#define PR_FOLDER_DESIGN_FLAGS PROP_TAG(PT_LONG, 0x3FE2)
#endif
#ifndef PR_DESIGN_IN_PROGRESS
#define PR_DESIGN_IN_PROGRESS PROP_TAG(PT_BOOLEAN, 0x3FE4)
#endif
#ifndef PR_SECURE_ORIGINATION
#define PR_SECURE_ORIGINATION PROP_TAG(PT_BOOLEAN, 0x3FE5)
#endif
#ifndef PR_PUBLISH_IN_ADDRESS_BOOK
#define PR_PUBLISH_IN_ADDRESS_BOOK PROP_TAG(PT_BOOLEAN, 0x3FE6)
#endif
#ifndef PR_RESOLVE_METHOD
#define PR_RESOLVE_METHOD PROP_TAG(PT_LONG, 0x3FE7)
#endif
#ifndef PR_ADDRESS_BOOK_DISPLAY_NAME
#define PR_ADDRESS_BOOK_DISPLAY_NAME PROP_TAG(PT_TSTRING, 0x3FE8)
#endif
#ifndef PR_EFORMS_LOCALE_ID
#define PR_EFORMS_LOCALE_ID PROP_TAG(PT_LONG, 0x3FE9)
#endif
#ifndef PR_EXTENDED_ACL_DATA
#define PR_EXTENDED_ACL_DATA PROP_TAG(PT_BINARY, 0x3FFE)
#endif
#ifndef PR_REPLICA_LIST
#define PR_REPLICA_LIST PROP_TAG(PT_BINARY, 0x6698)
#endif
#ifndef PR_OVERALL_AGE_LIMIT
#define PR_OVERALL_AGE_LIMIT PROP_TAG(PT_LONG, 0x6699)
#endif

/* PR_RESOLVE_METHOD */
#define RESOLVE_METHOD_DEFAULT ((LONG)0)
#define RESOLVE_METHOD_LAST_WRITER_WINS ((LONG)1)
#define RESOLVE_METHOD_NO_CONFLICT_NOTIFICATION ((LONG)2)

/* ---- Message and attachment properties -------------------------------- */

#ifndef PR_MESSAGE_SIZE_EXTENDED
#define PR_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x0E08)
#endif
#ifndef PR_HAS_NAMED_PROPERTIES
#define PR_HAS_NAMED_PROPERTIES PROP_TAG(PT_BOOLEAN, 0x664A)
#endif
#ifndef PR_CREATOR_NAME
#define PR_CREATOR_NAME PROP_TAG(PT_TSTRING, 0x3FF8)
#endif
#ifndef PR_CREATOR_ENTRYID
#define PR_CREATOR_ENTRYID PROP_TAG(PT_BINARY, 0x3FF9)
#endif
#ifndef PR_LAST_MODIFIER_NAME
#define PR_LAST_MODIFIER_NAME PROP_TAG(PT_TSTRING, 0x3FFA)
#endif
#ifndef PR_LAST_MODIFIER_ENTRYID
#define PR_LAST_MODIFIER_ENTRYID PROP_TAG(PT_BINARY, 0x3FFB)
#endif
#ifndef PR_HAS_DAMS
#define PR_HAS_DAMS PROP_TAG(PT_BOOLEAN, 0x3FEA)
#endif
#ifndef PR_RULE_TRIGGER_HISTORY
#define PR_RULE_TRIGGER_HISTORY PROP_TAG(PT_BINARY, 0x3FF2)
#endif
#ifndef PR_MOVE_TO_STORE_ENTRYID
#define PR_MOVE_TO_STORE_ENTRYID PROP_TAG(PT_BINARY, 0x3FF3)
#endif
#ifndef PR_MOVE_TO_FOLDER_ENTRYID
#define PR_MOVE_TO_FOLDER_ENTRYID PROP_TAG(PT_BINARY, 0x3FF4)
#endif
#ifndef PR_REPLICA_SERVER
#define PR_REPLICA_SERVER PROP_TAG(PT_TSTRING, 0x6644)
#endif
#ifndef PR_REPLICA_VERSION
#define PR_REPLICA_VERSION PROP_TAG(PT_I8, 0x664B)
#endif
#ifndef PR_DEFERRED_SEND_NUMBER
#define PR_DEFERRED_SEND_NUMBER PROP_TAG(PT_LONG, 0x3FEB)
#endif
#ifndef PR_DEFERRED_SEND_UNITS
#define PR_DEFERRED_SEND_UNITS PROP_TAG(PT_LONG, 0x3FEC)
#endif
#ifndef PR_EXPIRY_NUMBER
#define PR_EXPIRY_NUMBER PROP_TAG(PT_LONG, 0x3FED)
#endif
#ifndef PR_EXPIRY_UNITS
#define PR_EXPIRY_UNITS PROP_TAG(PT_LONG, 0x3FEE)
#endif
#ifndef PR_DEFERRED_SEND_TIME
#define PR_DEFERRED_SEND_TIME PROP_TAG(PT_SYSTIME, 0x3FEF)
#endif
#ifndef PR_CONFLICT_ENTRYID
#define PR_CONFLICT_ENTRYID PROP_TAG(PT_BINARY, 0x3FF0)
#endif
#ifndef PR_MESSAGE_LOCALE_ID
#define PR_MESSAGE_LOCALE_ID PROP_TAG(PT_LONG, 0x3FF1)
#endif
#ifndef PR_MESSAGE_CODEPAGE
#define PR_MESSAGE_CODEPAGE PROP_TAG(PT_LONG, 0x3FFD)
#endif
#ifndef PR_STORAGE_QUOTA_LIMIT
#define PR_STORAGE_QUOTA_LIMIT PROP_TAG(PT_LONG, 0x3FF5)
#endif
#ifndef PR_EXCESS_STORAGE_USED
#define PR_EXCESS_STORAGE_USED PROP_TAG(PT_LONG, 0x3FF6)
#endif
#ifndef PR_SVR_GENERATING_QUOTA_MSG
#define PR_SVR_GENERATING_QUOTA_MSG PROP_TAG(PT_TSTRING, 0x3FF7)
#endif
#ifndef PR_DELEGATED_BY_RULE
#define PR_DELEGATED_BY_RULE PROP_TAG(PT_BOOLEAN, 0x3FE3)
#endif
#ifndef PR_AUTO_RESPONSE_SUPPRESS
#define PR_AUTO_RESPONSE_SUPPRESS PROP_TAG(PT_LONG, 0x3FDF)
#endif
#ifndef PR_INTERNET_CPID
#define PR_INTERNET_CPID PROP_TAG(PT_LONG, 0x3FDE)
#endif
/* Deferred action messages and their error reports */
#ifndef PR_CLIENT_ACTIONS
#define PR_CLIENT_ACTIONS PROP_TAG(PT_BINARY, 0x6645)
#endif
#ifndef PR_DAM_ORIGINAL_ENTRYID
#define PR_DAM_ORIGINAL_ENTRYID PROP_TAG(PT_BINARY, 0x6646)
#endif
#ifndef PR_DAM_BACK_PATCHED
#define PR_DAM_BACK_PATCHED PROP_TAG(PT_BOOLEAN, 0x6647)
#endif
#ifndef PR_RULE_ERROR
#define PR_RULE_ERROR PROP_TAG(PT_LONG, 0x6648)
#endif
#ifndef PR_RULE_ACTION_TYPE
#define PR_RULE_ACTION_TYPE PROP_TAG(PT_LONG, 0x6649)
#endif
#ifndef PR_RULE_ACTION_NUMBER
#define PR_RULE_ACTION_NUMBER PROP_TAG(PT_LONG, 0x6650)
#endif
#ifndef PR_RULE_FOLDER_ENTRYID
#define PR_RULE_FOLDER_ENTRYID PROP_TAG(PT_BINARY, 0x6651)
#endif
/* The message as it arrived from the Internet (RFC 5322/MIME bytes), kept
 * so it can be handed out again unchanged (pidMessageWriteableMin + 1).
 * mapix's MIME import stores it with MAPIX_MIME_KEEP_SOURCE; the local
 * store deletes it when a save changes what the MIME represents. */
#ifndef PR_INTERNET_CONTENT
#define PR_INTERNET_CONTENT PROP_TAG(PT_BINARY, 0x6659)
#endif
/* Attachments of a message in conflict: the conflicting versions */
#ifndef PR_IN_CONFLICT
#define PR_IN_CONFLICT PROP_TAG(PT_BOOLEAN, 0x666C)
#endif
/* Contents tables: PR_ENTRYID as a long-term entry ID; rows that are subfolders */
#ifndef PR_LONGTERM_ENTRYID_FROM_TABLE
#define PR_LONGTERM_ENTRYID_FROM_TABLE PROP_TAG(PT_BINARY, 0x6670)
#endif
#ifndef PR_SUBFOLDER
#define PR_SUBFOLDER PROP_TAG(PT_BOOLEAN, 0x6708)
#endif

/* PR_MSG_STATUS bits Exchange adds */
#define MSGSTATUS_IN_CONFLICT ((ULONG)0x00000800)
#define MSGSTATUS_MDNSENT ((ULONG)0x00004000)

/* PR_AUTO_RESPONSE_SUPPRESS */
#define AUTO_RESPONSE_SUPPRESS_DR ((ULONG)0x00000001)
#define AUTO_RESPONSE_SUPPRESS_NDR ((ULONG)0x00000002)
#define AUTO_RESPONSE_SUPPRESS_RN ((ULONG)0x00000004)
#define AUTO_RESPONSE_SUPPRESS_NRN ((ULONG)0x00000008)
#define AUTO_RESPONSE_SUPPRESS_OOF ((ULONG)0x00000010)
#define AUTO_RESPONSE_SUPPRESS_AUTO_REPLY ((ULONG)0x00000020)

/* ---- Soft-deleted items, commit times and URL names -------------------- */

#ifndef PR_DELETED_ON
#define PR_DELETED_ON PROP_TAG(PT_SYSTIME, 0x668F)
#endif
#ifndef PR_DELETED_MSG_COUNT
#define PR_DELETED_MSG_COUNT PROP_TAG(PT_LONG, 0x6640)
#endif
#ifndef PR_DELETED_FOLDER_COUNT
#define PR_DELETED_FOLDER_COUNT PROP_TAG(PT_LONG, 0x6641)
#endif
#ifndef PR_OLDEST_DELETED_ON
#define PR_OLDEST_DELETED_ON PROP_TAG(PT_SYSTIME, 0x6642)
#endif
#ifndef PR_DELETED_ASSOC_MSG_COUNT
#define PR_DELETED_ASSOC_MSG_COUNT PROP_TAG(PT_LONG, 0x6643)
#endif
#ifndef PR_DELETED_MESSAGE_SIZE_EXTENDED
#define PR_DELETED_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x669B)
#endif
#ifndef PR_DELETED_NORMAL_MESSAGE_SIZE_EXTENDED
#define PR_DELETED_NORMAL_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x669C)
#endif
#ifndef PR_DELETED_ASSOC_MESSAGE_SIZE_EXTENDED
#define PR_DELETED_ASSOC_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x669D)
#endif
#ifndef PR_RETENTION_AGE_LIMIT
#define PR_RETENTION_AGE_LIMIT PROP_TAG(PT_LONG, 0x66C4)
#endif
#ifndef PR_DISABLE_PERUSER_READ
#define PR_DISABLE_PERUSER_READ PROP_TAG(PT_BOOLEAN, 0x66C5)
#endif
#ifndef PR_LAST_FULL_BACKUP
#define PR_LAST_FULL_BACKUP PROP_TAG(PT_SYSTIME, 0x6685)
#endif
/* Last modification of the object in this database, and the latest in a folder */
#ifndef PR_LOCAL_COMMIT_TIME
#define PR_LOCAL_COMMIT_TIME PROP_TAG(PT_SYSTIME, 0x6709)
#endif
#ifndef PR_LOCAL_COMMIT_TIME_MAX
#define PR_LOCAL_COMMIT_TIME_MAX PROP_TAG(PT_SYSTIME, 0x670A)
#endif
/* Messages ever deleted from a folder (wraps at 2^32) */
#ifndef PR_DELETED_COUNT_TOTAL
#define PR_DELETED_COUNT_TOTAL PROP_TAG(PT_LONG, 0x670B)
#endif
#ifndef PR_URL_NAME
#define PR_URL_NAME PROP_TAG(PT_TSTRING, 0x6707)
#endif
#ifndef PR_URL_NAME_A
#define PR_URL_NAME_A PROP_TAG(PT_STRING8, 0x6707)
#endif
#ifndef PR_URL_NAME_W
#define PR_URL_NAME_W PROP_TAG(PT_UNICODE, 0x6707)
#endif

/* ---- IExchangeModifyTable: edits of the ACL and rules tables ---------- */

/* IExchangeModifyTable::ModifyTable ulFlags: replace the whole table. */
#define ROWLIST_REPLACE ((ULONG)1)

/* IExchangeModifyTable::GetTable and ModifyTable ulFlags on ACL tables:
 * PR_MEMBER_RIGHTS includes frightsFreeBusySimple and
 * frightsFreeBusyDetailed (without it they are masked out on read and
 * kept as they were on write). */
#define ACLTABLE_FREEBUSY ((ULONG)0x00000002)

/* ROWENTRY.ulRowFlags */
#define ROW_ADD ((ULONG)1)
#define ROW_MODIFY ((ULONG)2)
#define ROW_REMOVE ((ULONG)4)
#define ROW_EMPTY (ROW_ADD | ROW_REMOVE)

typedef struct _ROWENTRY {
	ULONG ulRowFlags;
	ULONG cValues;
	LPSPropValue rgPropVals;
} ROWENTRY, *LPROWENTRY;

typedef struct _ROWLIST {
	ULONG cEntries;
	ROWENTRY aEntries[MAPI_DIM];
} ROWLIST, *LPROWLIST;

#define CbNewROWLIST(_centries) (offsetof(ROWLIST, aEntries) + (_centries) * sizeof(ROWENTRY))

/* Needs LPROWLIST, hence after it. */
#include <mapix/edkinterfaces.h>

/*
 * Extra flags of GetContentsTable / GetHierarchyTable / OpenEntry and of
 * DeleteFolder / SaveChanges on Exchange stores (chosen not to collide with
 * MAPI's own bits).
 */
#ifndef SHOW_SOFT_DELETES
#define SHOW_SOFT_DELETES ((ULONG)0x00000002)
#endif
#ifndef SHOW_SUBFOLDERS
#define SHOW_SUBFOLDERS ((ULONG)0x00000004)
#endif
#ifndef MDB_OPEN_MSG_NO_BLOCK
#define MDB_OPEN_MSG_NO_BLOCK ((ULONG)0x00000020)
#endif
#ifndef MDB_SAVE_MSG_UNLOCK
#define MDB_SAVE_MSG_UNLOCK ((ULONG)0x00000040)
#endif
#ifndef DELETE_HARD_DELETE
#define DELETE_HARD_DELETE ((ULONG)0x00000010)
#endif

/* ---- Access control: the rows of PR_ACL_TABLE ------------------------- */

#ifndef PR_MEMBER_ID
#define PR_MEMBER_ID PROP_TAG(PT_I8, 0x6671)
#endif
#ifndef PR_MEMBER_NAME
#define PR_MEMBER_NAME PROP_TAG(PT_TSTRING, 0x6672)
#endif
#ifndef PR_MEMBER_NAME_A
#define PR_MEMBER_NAME_A PROP_TAG(PT_STRING8, 0x6672)
#endif
#ifndef PR_MEMBER_NAME_W
#define PR_MEMBER_NAME_W PROP_TAG(PT_UNICODE, 0x6672)
#endif
/* The member's address book entry ID: the same tag as PR_ENTRYID */
#ifndef PR_MEMBER_ENTRYID
#define PR_MEMBER_ENTRYID PROP_TAG(PT_BINARY, 0x0FFF)
#endif
#ifndef PR_MEMBER_RIGHTS
#define PR_MEMBER_RIGHTS PROP_TAG(PT_LONG, 0x6673)
#endif

/*
 * PR_MEMBER_RIGHTS / PR_RIGHTS bits (MS-OXCPERM 2.2.7). A client that sets
 * frightsEditAny must also set frightsEditOwned, and frightsDeleteAny needs
 * frightsDeleteOwned. The free/busy bits apply to calendar folders only and
 * never appear in PR_RIGHTS. Plain literals, as Windows writes them, so
 * that #if can test them too.
 */
typedef DWORD RIGHTS;
#define frightsReadAny 0x00000001
#define frightsCreate 0x00000002
#define frightsEditOwned 0x00000008
#define frightsDeleteOwned 0x00000010
#define frightsEditAny 0x00000020
#define frightsDeleteAny 0x00000040
#define frightsCreateSubfolder 0x00000080
#define frightsOwner 0x00000100
#define frightsContact 0x00000200 /* not part of rightsAll */
#define frightsVisible 0x00000400
#define frightsFreeBusySimple 0x00000800
#define frightsFreeBusyDetailed 0x00001000
#define rightsNone 0x00000000
#define rightsReadOnly frightsReadAny
#define rightsReadWrite (frightsReadAny | frightsEditAny)
#define rightsAll 0x000005FB

/*
 * The permission levels Outlook offers, as the rights it writes for them.
 * (Older ACL components shipped Editor/Owner values without the *Owned bits,
 * which MS-OXCPERM forbids with the *Any bits; these are the spec-conforming
 * ones.)
 */
#define ROLE_OWNER 0x000007FB
#define ROLE_PUBLISH_EDITOR 0x000004FB
#define ROLE_EDITOR 0x0000047B
#define ROLE_PUBLISH_AUTHOR 0x0000049B
#define ROLE_AUTHOR 0x0000041B
#define ROLE_NONEDITING_AUTHOR 0x00000413
#define ROLE_REVIEWER 0x00000401
#define ROLE_CONTRIBUTOR 0x00000402
#define ROLE_NONE 0x00000400

/* PR_MEMBER_ID of the two rows every ACL table has. */
#define MAPIX_MEMBER_ID_DEFAULT ((LONGLONG)0)
#define MAPIX_MEMBER_ID_ANONYMOUS ((LONGLONG)-1)

/* ---- Rules: the rows of PR_RULES_TABLE -------------------------------- */

#ifndef PT_SRESTRICTION
#define PT_SRESTRICTION ((ULONG)0x00FD)
#endif
#ifndef PT_ACTIONS
#define PT_ACTIONS ((ULONG)0x00FE)
#endif

#ifndef PR_RULE_ID
#define PR_RULE_ID PROP_TAG(PT_I8, 0x6674)
#endif
#ifndef PR_RULE_IDS
#define PR_RULE_IDS PROP_TAG(PT_BINARY, 0x6675)
#endif
#ifndef PR_RULE_SEQUENCE
#define PR_RULE_SEQUENCE PROP_TAG(PT_LONG, 0x6676)
#endif
#ifndef PR_RULE_STATE
#define PR_RULE_STATE PROP_TAG(PT_LONG, 0x6677)
#endif
#ifndef PR_RULE_USER_FLAGS
#define PR_RULE_USER_FLAGS PROP_TAG(PT_LONG, 0x6678)
#endif
#ifndef PR_RULE_CONDITION
#define PR_RULE_CONDITION PROP_TAG(PT_SRESTRICTION, 0x6679)
#endif
#ifndef PR_RULE_ACTIONS
#define PR_RULE_ACTIONS PROP_TAG(PT_ACTIONS, 0x6680)
#endif
#ifndef PR_RULE_PROVIDER
#define PR_RULE_PROVIDER PROP_TAG(PT_STRING8, 0x6681)
#endif
#ifndef PR_RULE_NAME
#define PR_RULE_NAME PROP_TAG(PT_TSTRING, 0x6682)
#endif
#ifndef PR_RULE_LEVEL
#define PR_RULE_LEVEL PROP_TAG(PT_LONG, 0x6683)
#endif
#ifndef PR_RULE_PROVIDER_DATA
#define PR_RULE_PROVIDER_DATA PROP_TAG(PT_BINARY, 0x6684)
#endif

/* PR_RULE_STATE */
#define ST_DISABLED ((ULONG)0x00000000)
#define ST_ENABLED ((ULONG)0x00000001)
#define ST_ERROR ((ULONG)0x00000002)
#define ST_ONLY_WHEN_OOF ((ULONG)0x00000004)
#define ST_KEEP_OOF_HIST ((ULONG)0x00000008)
#define ST_EXIT_LEVEL ((ULONG)0x00000010)
#define ST_CLEAR_OOF_HIST ((ULONG)0x80000000)

/* ---- Mailbox and public folder tables of IExchangeManageStore --------- */

/* Columns of GetMailboxTable (with PR_DISPLAY_NAME, PR_EMAIL_ADDRESS, PR_MESSAGE_SIZE, PR_CONTENT_COUNT, PR_MAILBOX_OWNER_*) */
#ifndef PR_NT_USER_NAME
#define PR_NT_USER_NAME PROP_TAG(PT_TSTRING, 0x66A0)
#endif
#ifndef PR_NT_USER_NAME_A
#define PR_NT_USER_NAME_A PROP_TAG(PT_STRING8, 0x66A0)
#endif
#ifndef PR_NT_USER_NAME_W
#define PR_NT_USER_NAME_W PROP_TAG(PT_UNICODE, 0x66A0)
#endif
#ifndef PR_LOCALE_ID
#define PR_LOCALE_ID PROP_TAG(PT_LONG, 0x66A1)
#endif
#ifndef PR_LAST_LOGON_TIME
#define PR_LAST_LOGON_TIME PROP_TAG(PT_SYSTIME, 0x66A2)
#endif
#ifndef PR_LAST_LOGOFF_TIME
#define PR_LAST_LOGOFF_TIME PROP_TAG(PT_SYSTIME, 0x66A3)
#endif
#ifndef PR_STORAGE_LIMIT_INFORMATION
#define PR_STORAGE_LIMIT_INFORMATION PROP_TAG(PT_LONG, 0x66A4)
#endif
#ifndef PR_CONTENT_COUNT
#define PR_CONTENT_COUNT PROP_TAG(PT_LONG, 0x3602)
#endif
/* Columns of GetPublicFolderTable */
#ifndef PR_FOLDER_FLAGS
#define PR_FOLDER_FLAGS PROP_TAG(PT_LONG, 0x66A8)
#endif
#ifndef PR_LAST_ACCESS_TIME
#define PR_LAST_ACCESS_TIME PROP_TAG(PT_SYSTIME, 0x66A9)
#endif
#ifndef PR_RESTRICTION_COUNT
#define PR_RESTRICTION_COUNT PROP_TAG(PT_LONG, 0x66AA)
#endif
#ifndef PR_CATEG_COUNT
#define PR_CATEG_COUNT PROP_TAG(PT_LONG, 0x66AB)
#endif
#ifndef PR_CACHED_COLUMN_COUNT
#define PR_CACHED_COLUMN_COUNT PROP_TAG(PT_LONG, 0x66AC)
#endif
#ifndef PR_NORMAL_MSG_W_ATTACH_COUNT
#define PR_NORMAL_MSG_W_ATTACH_COUNT PROP_TAG(PT_LONG, 0x66AD)
#endif
#ifndef PR_ASSOC_MSG_W_ATTACH_COUNT
#define PR_ASSOC_MSG_W_ATTACH_COUNT PROP_TAG(PT_LONG, 0x66AE)
#endif
#ifndef PR_RECIPIENT_ON_NORMAL_MSG_COUNT
#define PR_RECIPIENT_ON_NORMAL_MSG_COUNT PROP_TAG(PT_LONG, 0x66AF)
#endif
#ifndef PR_RECIPIENT_ON_ASSOC_MSG_COUNT
#define PR_RECIPIENT_ON_ASSOC_MSG_COUNT PROP_TAG(PT_LONG, 0x66B0)
#endif
#ifndef PR_ATTACH_ON_NORMAL_MSG_COUNT
#define PR_ATTACH_ON_NORMAL_MSG_COUNT PROP_TAG(PT_LONG, 0x66B1)
#endif
#ifndef PR_ATTACH_ON_ASSOC_MSG_COUNT
#define PR_ATTACH_ON_ASSOC_MSG_COUNT PROP_TAG(PT_LONG, 0x66B2)
#endif
#ifndef PR_NORMAL_MESSAGE_SIZE
#define PR_NORMAL_MESSAGE_SIZE PROP_TAG(PT_LONG, 0x66B3)
#endif
#ifndef PR_NORMAL_MESSAGE_SIZE_EXTENDED
#define PR_NORMAL_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x66B3)
#endif
#ifndef PR_ASSOC_MESSAGE_SIZE
#define PR_ASSOC_MESSAGE_SIZE PROP_TAG(PT_LONG, 0x66B4)
#endif
#ifndef PR_ASSOC_MESSAGE_SIZE_EXTENDED
#define PR_ASSOC_MESSAGE_SIZE_EXTENDED PROP_TAG(PT_I8, 0x66B4)
#endif
#ifndef PR_FOLDER_PATHNAME
#define PR_FOLDER_PATHNAME PROP_TAG(PT_TSTRING, 0x66B5)
#endif
#ifndef PR_OWNER_COUNT
#define PR_OWNER_COUNT PROP_TAG(PT_LONG, 0x66B6)
#endif
#ifndef PR_CONTACT_COUNT
#define PR_CONTACT_COUNT PROP_TAG(PT_LONG, 0x66B7)
#endif

/* PR_FOLDER_FLAGS */
#define MDB_FOLDER_IPM ((ULONG)0x00000001)
#define MDB_FOLDER_SEARCH ((ULONG)0x00000002)
#define MDB_FOLDER_NORMAL ((ULONG)0x00000004)
#define MDB_FOLDER_RULES ((ULONG)0x00000008)

/* GetPublicFolderTable ulFlags */
#define MDB_NON_IPM ((ULONG)0x00000010)
#define MDB_IPM ((ULONG)0x00000020)

/* PR_STORAGE_LIMIT_INFORMATION */
#define MDB_LIMIT_BELOW ((ULONG)0x00000001)
#define MDB_LIMIT_ISSUE_WARNING ((ULONG)0x00000002)
#define MDB_LIMIT_PROHIBIT_SEND ((ULONG)0x00000004)
#define MDB_LIMIT_NO_CHECK ((ULONG)0x00000008)

/* ---- Directory properties a store entry ID is built from -------------- */

/* The home message database (server DN) of a mail user in the Exchange directory (emsabtag.h) */
#ifndef PR_EMS_AB_HOME_MDB
#define PR_EMS_AB_HOME_MDB PROP_TAG(PT_TSTRING, 0x8006)
#endif
#ifndef PR_EMS_AB_HOME_MDB_A
#define PR_EMS_AB_HOME_MDB_A PROP_TAG(PT_STRING8, 0x8006)
#endif
#ifndef PR_EMS_AB_HOME_MDB_W
#define PR_EMS_AB_HOME_MDB_W PROP_TAG(PT_UNICODE, 0x8006)
#endif

MAPIX_END_DECLS

#endif /* MAPIX_EDKMDB_H */
