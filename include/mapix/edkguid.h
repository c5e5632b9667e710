/*
 * edkguid.h — the interface identifiers of the Exchange extensions to MAPI
 * (IExchangeManageStore, IExchangeModifyTable, the ICS interfaces, ...) and
 * the Exchange provider UIDs, with Microsoft's values. Included by edkmdb.h.
 *
 * Same mechanics as mapiguid.h, with Windows' edkguid.h behaviour: without
 * INITGUID every IID is declared extern and libmapix supplies it; with
 * INITGUID (defined before the first mapix header) every IID of this file is
 * defined in that translation unit — edkguid.h never had USES_ switches. The
 * definitions are weak, so defining them in several places always links.
 */
#ifndef MAPIX_EDKGUID_H
#ifdef INITGUID
#define MAPIX_EDKGUID_H
#endif

#include <mapix/mapiwin.h>

/* store administration: CreateStoreEntryID, GetMailboxTable, GetRights */
DEFINE_GUID(IID_IExchangeManageStore, 0x559D10B0, 0xA772, 0x11CD,
            0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A);
DEFINE_GUID(IID_IExchangeManageStore2, 0xB6DCA470, 0x0FF3, 0x11D0,
            0xA4, 0x09, 0x00, 0xC0, 0x4F, 0xD7, 0xBD, 0x87);
DEFINE_GUID(IID_IExchangeManageStore3, 0x166D9BC2, 0xDB75, 0x44A9,
            0x8A, 0x93, 0x9F, 0x3F, 0xFC, 0x99, 0x4D, 0x76);
DEFINE_GUID(IID_IExchangeManageStore4, 0x2590FF87, 0xC431, 0x4F9C,
            0xB1, 0xA8, 0xCD, 0x69, 0xD7, 0x60, 0xCD, 0x10);
DEFINE_GUID(IID_IExchangeManageStore5, 0x7907DD18, 0xF141, 0x4676,
            0xB1, 0x02, 0x37, 0xC9, 0xD9, 0x36, 0x34, 0x30);
/* ACL and rules tables of a folder (PR_ACL_TABLE, PR_RULES_TABLE) */
DEFINE_GUID(IID_IExchangeModifyTable, 0x2D734CB0, 0x53FD, 0x101B,
            0xB1, 0x9D, 0x08, 0x00, 0x2B, 0x30, 0x56, 0xE3);
DEFINE_GUID(IID_IExchangeRuleAction, 0x74BBA840, 0xC93A, 0x11CE,
            0x95, 0x81, 0x00, 0xAA, 0x00, 0x57, 0x42, 0xF7);
DEFINE_GUID(IID_IExchangeFavorites, 0xCF4F3BC0, 0xEC66, 0x11CE,
            0xB3, 0x1C, 0x00, 0xAA, 0x00, 0x57, 0x4C, 0xC6);
/* incremental change synchronization (ICS) */
DEFINE_GUID(IID_IExchangeExportChanges, 0xA3EA9CC0, 0xD1B2, 0x11CD,
            0x80, 0xFC, 0x00, 0xAA, 0x00, 0x4B, 0xBA, 0x0B);
DEFINE_GUID(IID_IExchangeExportChanges2, 0x387CEBE0, 0xF53F, 0x11CF,
            0xA4, 0x8F, 0x00, 0xC0, 0x4F, 0xD6, 0x55, 0x95);
DEFINE_GUID(IID_IExchangeExportChanges3, 0x702E7F86, 0x50A6, 0x11D1,
            0xAB, 0xD6, 0x00, 0xA0, 0xC9, 0x05, 0x66, 0x0A);
DEFINE_GUID(IID_IExchangeImportHierarchyChanges, 0x85A66CF0, 0xD0E0, 0x11CD,
            0x80, 0xFC, 0x00, 0xAA, 0x00, 0x4B, 0xBA, 0x0B);
DEFINE_GUID(IID_IExchangeImportContentsChanges, 0xF75ABFA0, 0xD0E0, 0x11CD,
            0x80, 0xFC, 0x00, 0xAA, 0x00, 0x4B, 0xBA, 0x0B);
DEFINE_GUID(IID_IExchangeImportContentsChanges2, 0x7DFDD720, 0xF53F, 0x11CF,
            0xA4, 0x8F, 0x00, 0xC0, 0x4F, 0xD6, 0x55, 0x95);
DEFINE_GUID(IID_IExchangeChangeAdvisor, 0x1E300720, 0xA839, 0x11CF,
            0xBD, 0xE0, 0x00, 0x00, 0x4C, 0x75, 0x31, 0xE3);
DEFINE_GUID(IID_IExchangeMessageConversion, 0x3532B360, 0xD114, 0x11CF,
            0xA8, 0x3B, 0x00, 0xC0, 0x4F, 0xD6, 0x55, 0x97);
DEFINE_GUID(IID_IExchangeNntpNewsfeed, 0x380F41C0, 0x3CDC, 0x11D0,
            0x97, 0x92, 0x00, 0xC0, 0x4F, 0xD6, 0x55, 0x1D);

/*
 * Service UIDs of the Exchange message store providers, as PR_MDB_PROVIDER
 * carries them in the message stores table (16-byte strings, no GUID
 * byte-order conversion: compare them with memcmp against the property).
 */
#define pbExchangeProviderPrimaryUserGuid "\x54\x94\xA1\xC0\x29\x7F\x10\x1B\xA5\x87\x08\x00\x2B\x2A\x25\x17"
#define pbExchangeProviderDelegateGuid "\x9E\xB4\x77\x00\x74\xE4\x11\xCE\x8C\x5E\x00\xAA\x00\x42\x54\xE2"
#define pbExchangeProviderPublicGuid "\x78\xB2\xFA\x70\xAF\xF7\x11\xCD\x9B\xC8\x00\xAA\x00\x2F\xC4\x5A"
#define pbExchangeProviderXportGuid "\xA9\x06\x40\xE0\xD6\x93\x11\xCD\xAF\x95\x00\xAA\x00\x4A\x35\xC3"
#define pbExchangeProviderLocalStoreGuid "\x2D\xE5\x6B\xA1\x64\x6E\x11\xD2\x8D\x4E\x00\xC0\x4F\xAE\x23\x71"
#define pbExchangeProviderPersistStoreGuid "\x98\xA2\x3D\x67\x62\xCF\x4D\x34\x82\x79\xDB\xFA\x6A\x50\x8B\x31"

#endif /* MAPIX_EDKGUID_H */
