/*
 * mapixab.h — mapix extensions for the address book: the entry ID layouts
 * of recipients (MS-OXCDATA 2.2.5: one-off, address book, contact address
 * and personal distribution list entry IDs; MS-OXOCNTC 2.2.2.2.4.1.1:
 * wrapped entry IDs) and personal distribution lists (MS-OXOCNTC 2.2.2:
 * IPM.DistList items, their members, checksum and stream). IAddrBook
 * (IMAPISession::OpenAddressBook) and the `mapix dl` command use these;
 * docs/formats.md documents the bytes.
 *
 * Strings are UTF-8 in and out. Every SBinary or structure a function
 * returns is allocated with MAPIAllocateMore on lpParent, or with
 * MAPIAllocateBuffer when lpParent is NULL (free that one block).
 */
#ifndef MAPIX_MAPIXAB_H
#define MAPIX_MAPIXAB_H

#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

/* ---- PSETID_Address long IDs (MS-OXPROPS) -------------------------------------- */

#define MAPIX_LID_DL_CHECKSUM 0x804C       /* PidLidDistributionListChecksum, PT_LONG */
#define MAPIX_LID_DL_NAME 0x8053           /* PidLidDistributionListName, PT_UNICODE */
#define MAPIX_LID_DL_ONEOFF_MEMBERS 0x8054 /* PidLidDistributionListOneOffMembers, PT_MV_BINARY */
#define MAPIX_LID_DL_MEMBERS 0x8055        /* PidLidDistributionListMembers, PT_MV_BINARY */
#define MAPIX_LID_DL_STREAM 0x8064         /* PidLidDistributionListStream, PT_BINARY */
/* Contact electronic addresses: EmailN's LIDs are these plus 0x10 * (N - 1). */
#define MAPIX_LID_EMAIL1_DISPLAY_NAME 0x8080 /* PT_UNICODE */
#define MAPIX_LID_EMAIL1_ADDRTYPE 0x8082     /* PT_UNICODE */
#define MAPIX_LID_EMAIL1_ADDRESS 0x8083      /* PT_UNICODE */
#define MAPIX_LID_EMAIL1_ORIGINAL_NAME 0x8084 /* PT_UNICODE */
#define MAPIX_LID_EMAIL1_ORIGINAL_EID 0x8085  /* PT_BINARY */

/* MS-OXOCNTC 2.2.2.2.1: the members properties stay under this size; a
 * larger list is written as PidLidDistributionListStream. */
#define MAPIX_DL_PROPERTY_LIMIT 15000

/* ---- one-off entry IDs (MS-OXCDATA 2.2.5.1) ------------------------------------- */

/* The 16-bit flags word after the version (MAPI_ONE_OFF_UNICODE,
 * MAPI_ONE_OFF_NO_RICH_INFO and MAPI_ONE_OFF_MYSTERY_FLAG, the "L" bit:
 * do not look the address up, are in mapidefs.h). */
#define MAPIX_ONE_OFF_FORMAT_MASK 0x001E
#define MAPIX_ONE_OFF_FORMAT_TEXT 0x0006
#define MAPIX_ONE_OFF_FORMAT_HTML 0x000E
#define MAPIX_ONE_OFF_FORMAT_TEXT_AND_HTML 0x0016
#define MAPIX_ONE_OFF_MAE_MASK 0x0060
#define MAPIX_ONE_OFF_MAE_BINHEX 0x0000
#define MAPIX_ONE_OFF_MAE_UUENCODE 0x0020
#define MAPIX_ONE_OFF_MAE_APPLESINGLE 0x0040
#define MAPIX_ONE_OFF_MAE_APPLEDOUBLE 0x0060

typedef struct MAPIX_ONEOFF {
	WORD wFlags;     /* as stored */
	LPSTR lpszName;  /* UTF-8 */
	LPSTR lpszAdrType;
	LPSTR lpszAddress;
} MAPIX_ONEOFF;

/* Builds a one-off entry ID; the strings are UTF-16LE when wFlags has
 * MAPI_ONE_OFF_UNICODE, else the UTF-8 bytes as mapix's 8-bit strings. */
MAPIX_API HRESULT mapix_oneoff_build(LPCSTR lpszName, LPCSTR lpszAdrType, LPCSTR lpszAddress, WORD wFlags,
                                     LPVOID lpParent, SBinary *lpOut);
/* Parses one: MAPI_E_INVALID_ENTRYID when it is not a well-formed one-off. */
MAPIX_API HRESULT mapix_oneoff_parse(ULONG cb, const BYTE *lpb, LPVOID lpParent, MAPIX_ONEOFF *lpOut);
MAPIX_API BOOL mapix_is_oneoff(ULONG cb, const BYTE *lpb);

/* ---- wrapped entry IDs (MS-OXOCNTC 2.2.2.2.4.1.1) ------------------------------- */

/* The low 4 bits of the Type byte. */
#define MAPIX_WRAPPED_ONEOFF 0x0
#define MAPIX_WRAPPED_CONTACT 0x3
#define MAPIX_WRAPPED_DISTLIST 0x4
#define MAPIX_WRAPPED_GAL_USER 0x5
#define MAPIX_WRAPPED_GAL_DISTLIST 0x6
/* Full Type bytes: 0x80 marks a non-one-off, bits 0x70 the electronic
 * address of a contact (4..6 = Email1..3, 0..2 = business, home, primary
 * fax) and 3 for everything else that is not a one-off. */
#define MAPIX_WRAPPED_TYPE_CONTACT_EMAIL(n) ((BYTE)(0x80 | ((3 + (n)) << 4) | MAPIX_WRAPPED_CONTACT)) /* n = 1..3 */
#define MAPIX_WRAPPED_TYPE_DISTLIST ((BYTE)0xB4)
#define MAPIX_WRAPPED_TYPE_GAL_USER ((BYTE)0xB5)
#define MAPIX_WRAPPED_TYPE_GAL_DISTLIST ((BYTE)0xB6)

MAPIX_API HRESULT mapix_wrapped_eid_build(BYTE bType, ULONG cbInner, const BYTE *lpInner, LPVOID lpParent,
                                          SBinary *lpOut);
/* *lppInner points into lpb. */
MAPIX_API HRESULT mapix_wrapped_eid_parse(ULONG cb, const BYTE *lpb, BYTE *lpType, ULONG *lpcbInner,
                                          const BYTE **lppInner);

/* ---- address book entry IDs (MS-OXCDATA 2.2.5.2 - 2.2.5.4) ------------------------ */

#define MAPIX_AB_DT_MAILUSER 0x00000000
#define MAPIX_AB_DT_DISTLIST 0x00000001
/* Address Book EntryID: a directory object by X500 DN (mapix's GAL uses
 * /o=mapix/ou=<server>/cn=Recipients/cn=<account>). */
MAPIX_API HRESULT mapix_ab_eid_build(ULONG ulType, LPCSTR lpszX500DN, LPVOID lpParent, SBinary *lpOut);
MAPIX_API HRESULT mapix_ab_eid_parse(ULONG cb, const BYTE *lpb, ULONG *lpulType, LPVOID lpParent, LPSTR *lppszDN);

/* Contact Address EntryID (type 4, index 0-2 Email1-3, 3-5 faxes) and
 * Personal Distribution List EntryID (type 5, index 0xFF): the entries of
 * a contacts address book, as Outlook's Contact Address Book makes them;
 * lpInner is the Message EntryID of the contact or list. */
#define MAPIX_CONTAB_USER 4
#define MAPIX_CONTAB_DISTLIST 5
MAPIX_API HRESULT mapix_contab_eid_build(ULONG ulType, ULONG ulIndex, ULONG cbInner, const BYTE *lpInner,
                                         LPVOID lpParent, SBinary *lpOut);
MAPIX_API HRESULT mapix_contab_eid_parse(ULONG cb, const BYTE *lpb, ULONG *lpulType, ULONG *lpulIndex,
                                         ULONG *lpcbInner, const BYTE **lppInner);

/* ---- personal distribution lists (MS-OXOCNTC 2.2.2) ----------------------------- */

typedef struct MAPIX_DL_MEMBER {
	SBinary member; /* a wrapped or one-off entry ID */
	SBinary oneoff; /* its one-off entry ID (cb 0 when there is none) */
} MAPIX_DL_MEMBER;

typedef struct MAPIX_DL {
	LPSTR lpszName;        /* PidLidDistributionListName, else PR_DISPLAY_NAME */
	ULONG cMembers;
	MAPIX_DL_MEMBER *aMembers;
	BOOL fFromStream;      /* read from PidLidDistributionListStream */
	ULONG ulStreamFlags;   /* its DistListStreamFlags */
	BOOL fChecksumPresent; /* property form: a checksum was stored ... */
	BOOL fChecksumOK;      /* ... and matches the members */
	ULONG ulChecksum;      /* the stored value */
} MAPIX_DL;

/* DistListStreamFlags: always keep the members in the stream. */
#define MAPIX_DL_STREAM_ALWAYS 0x00000001

/* PidLidDistributionListChecksum: CRC-32 (IEEE 802.3 polynomial, reflected
 * 0xEDB88320) with seed 0 and no final inversion, over the bytes of every
 * value of PidLidDistributionListMembers in order (MS-OXOCNTC 3.1.5.11). */
MAPIX_API ULONG mapix_dl_checksum(ULONG cValues, const SBinary *lpbin);

/* PidLidDistributionListStream. */
MAPIX_API HRESULT mapix_dl_stream_parse(ULONG cb, const BYTE *lpb, LPVOID lpParent, MAPIX_DL *lpOut);
MAPIX_API HRESULT mapix_dl_stream_build(ULONG cMembers, const MAPIX_DL_MEMBER *lpMembers, ULONG ulStreamFlags,
                                        LPVOID lpParent, SBinary *lpOut);

/* Reads the list of an IPM.DistList message (the stream when present, else
 * the members properties, paired by position). *lppDL is one
 * MAPIAllocateBuffer block. */
MAPIX_API HRESULT mapix_dl_read(LPMAPIPROP lpMessage, MAPIX_DL **lppDL);
/* Writes name and members: PR_MESSAGE_CLASS IPM.DistList, PR_DISPLAY_NAME,
 * PR_SUBJECT, PidLidDistributionListName, and either the members
 * properties with their checksum or, when either would reach
 * MAPIX_DL_PROPERTY_LIMIT bytes or ulStreamFlags has MAPIX_DL_STREAM_ALWAYS,
 * the stream (the members properties and checksum are then removed). Does
 * not call SaveChanges. */
MAPIX_API HRESULT mapix_dl_write(LPMAPIPROP lpMessage, LPCSTR lpszName, ULONG cMembers,
                                 const MAPIX_DL_MEMBER *lpMembers, ULONG ulStreamFlags);

/* A member entry for a contact's EmailN (n = 1..3) or for another list,
 * with its one-off: both built from the message's entry ID and, for the
 * one-off, the name and address given. */
MAPIX_API HRESULT mapix_dl_member_contact(ULONG cbEID, const BYTE *lpEID, ULONG n, LPCSTR lpszName,
                                          LPCSTR lpszAdrType, LPCSTR lpszAddress, LPVOID lpParent,
                                          MAPIX_DL_MEMBER *lpOut);
MAPIX_API HRESULT mapix_dl_member_list(ULONG cbEID, const BYTE *lpEID, LPCSTR lpszName, LPVOID lpParent,
                                       MAPIX_DL_MEMBER *lpOut);
MAPIX_API HRESULT mapix_dl_member_oneoff(LPCSTR lpszName, LPCSTR lpszAdrType, LPCSTR lpszAddress,
                                         LPVOID lpParent, MAPIX_DL_MEMBER *lpOut);

/* ---- expanding a list ------------------------------------------------------------ */

enum mapix_dl_event {
	MAPIX_DL_RECIPIENT = 0,    /* a flattened member */
	MAPIX_DL_FALLBACK,         /* a member that no longer resolves, given by its one-off */
	MAPIX_DL_UNRESOLVED,       /* a member that resolves to nothing: skipped */
	MAPIX_DL_CYCLE,            /* a list that contains itself (reported once per list) */
	MAPIX_DL_DUPLICATE,        /* an address already given (skipped) */
};

/* lpszList is the name of the list the member was found in. */
typedef void(MAPIX_DL_EXPAND_CALLBACK)(void *lpContext, enum mapix_dl_event event, LPCSTR lpszName,
                                        LPCSTR lpszAdrType, LPCSTR lpszAddress, LPCSTR lpszList);

/* Expands the list with entry ID lpEID in lpMDB: nested lists (personal
 * lists of the same store) are followed depth first, members in list
 * order; contacts give their EmailN address; GAL members and one-offs
 * give their one-off. Every address is given once. */
MAPIX_API HRESULT mapix_dl_expand(LPMDB lpMDB, ULONG cbEID, LPENTRYID lpEID, MAPIX_DL_EXPAND_CALLBACK *lpfn,
                                  void *lpContext);

MAPIX_END_DECLS

#endif
