/*
 * mapiguid.h — the interface identifiers (IID_*) and property-set GUIDs
 * (PS_*, PSETID_*) of MAPI, with Microsoft's values: OLE's MAPI block
 * 0x00020300-0x000203FF, the COM base interfaces, and the property sets of
 * MS-OXPROPS. The Exchange IIDs are in edkguid.h.
 *
 * How a GUID gets its one definition — the Windows convention, made
 * forgiving so that it can never fail to link:
 *
 *   - Without INITGUID, every GUID here is declared extern. libmapix
 *     defines all of them (src/core/guids.c) and exports them, so any
 *     program linked with libmapix can use any IID without doing anything.
 *   - With INITGUID defined before the first mapix header, a GUID is also
 *     DEFINED in that translation unit when its USES_xxx macro is defined
 *     (USES_IID_IMAPIProp, USES_PS_MAPI, USES_PSETID_Address, ...: "USES_"
 *     followed by the GUID's name), or when MAPIX_INITGUID_ALL is defined.
 *     Every other GUID stays declared extern, where Windows would leave it
 *     undeclared: so the file that defines INITGUID for a few IIDs may still
 *     use any other IID, and gets the library's copy.
 *   - Definitions are weak (see DEFINE_GUID in mapiwin.h): a program that
 *     defines INITGUID in several files, or defines an IID libmapix also
 *     defines, links without duplicate-symbol errors; all copies are equal.
 *
 * So Windows code builds unchanged: one file with
 *     #define INITGUID
 *     #define USES_IID_IMAPIProp
 *     #include <mapix.h>
 * and IID_IMAPIFolder, PS_PUBLIC_STRINGS, ... used anywhere else.
 *
 * As on Windows, the include guard is only set by a pass with INITGUID, so
 * the header may be included again later (after INITGUID) to emit
 * definitions. DEFINE_GUID itself picks declare or define when mapiwin.h is
 * first included: define INITGUID before the first mapix header, otherwise
 * the USES_ GUIDs of that file are merely declared (and still link).
 */
#ifndef MAPIX_MAPIGUID_H
#ifdef INITGUID
#define MAPIX_MAPIGUID_H
#endif

#include <mapix/mapiwin.h>

/* One switch for the whole pass: everything is emitted (declared without
 * INITGUID, defined for the library's MAPIX_INITGUID_ALL) or only USES_. */
#undef MAPIX_GUID_EMIT_ALL
#if !defined(INITGUID) || defined(MAPIX_INITGUID_ALL)
#define MAPIX_GUID_EMIT_ALL 1
#else
#define MAPIX_GUID_EMIT_ALL 0
#endif

/* The declaration used when INITGUID is on but the GUID is not asked for. */
#ifndef MAPIX_EXTERN_GUID
#define MAPIX_EXTERN_GUID(name) MAPIX_EXTERN_C const GUID name
#endif

/* ---- COM base interfaces. Windows programs get these from uuid.lib; mapix
 * supplies them here so that one header covers every IID mapix answers to. */

#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IUnknown)
DEFINE_OLEGUID(IID_IUnknown, 0x00000000, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IUnknown);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IClassFactory)
DEFINE_OLEGUID(IID_IClassFactory, 0x00000001, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IClassFactory);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMalloc)
DEFINE_OLEGUID(IID_IMalloc, 0x00000002, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMalloc);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_ILockBytes)
DEFINE_OLEGUID(IID_ILockBytes, 0x0000000A, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_ILockBytes);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IStorage)
DEFINE_OLEGUID(IID_IStorage, 0x0000000B, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IStorage);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IStream)
DEFINE_OLEGUID(IID_IStream, 0x0000000C, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IStream);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IEnumSTATSTG)
DEFINE_OLEGUID(IID_IEnumSTATSTG, 0x0000000D, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IEnumSTATSTG);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_ISequentialStream)
DEFINE_GUID(IID_ISequentialStream, 0x0C733A30, 0x2A1C, 0x11CE, 0xAD, 0xE5, 0x00, 0xAA, 0x00, 0x44, 0x77, 0x3D);
#else
MAPIX_EXTERN_GUID(IID_ISequentialStream);
#endif

/* ---- MAPI interfaces: OLE's block 0x00020300-0x000203FF, reserved for MAPI. */

#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPISession)
DEFINE_OLEGUID(IID_IMAPISession, 0x00020300, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPISession);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPITable)
DEFINE_OLEGUID(IID_IMAPITable, 0x00020301, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPITable);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIAdviseSink)
DEFINE_OLEGUID(IID_IMAPIAdviseSink, 0x00020302, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIAdviseSink);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIProp)
DEFINE_OLEGUID(IID_IMAPIProp, 0x00020303, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIProp);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IProfSect)
DEFINE_OLEGUID(IID_IProfSect, 0x00020304, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IProfSect);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIStatus)
DEFINE_OLEGUID(IID_IMAPIStatus, 0x00020305, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIStatus);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMsgStore)
DEFINE_OLEGUID(IID_IMsgStore, 0x00020306, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMsgStore);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMessage)
DEFINE_OLEGUID(IID_IMessage, 0x00020307, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMessage);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IAttachment)
DEFINE_OLEGUID(IID_IAttachment, 0x00020308, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IAttachment);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IAddrBook)
DEFINE_OLEGUID(IID_IAddrBook, 0x00020309, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IAddrBook);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMailUser)
DEFINE_OLEGUID(IID_IMailUser, 0x0002030A, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMailUser);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIContainer)
DEFINE_OLEGUID(IID_IMAPIContainer, 0x0002030B, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIContainer);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFolder)
DEFINE_OLEGUID(IID_IMAPIFolder, 0x0002030C, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFolder);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IABContainer)
DEFINE_OLEGUID(IID_IABContainer, 0x0002030D, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IABContainer);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IDistList)
DEFINE_OLEGUID(IID_IDistList, 0x0002030E, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IDistList);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPISup)
DEFINE_OLEGUID(IID_IMAPISup, 0x0002030F, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPISup);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMSProvider)
DEFINE_OLEGUID(IID_IMSProvider, 0x00020310, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMSProvider);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IABProvider)
DEFINE_OLEGUID(IID_IABProvider, 0x00020311, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IABProvider);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IXPProvider)
DEFINE_OLEGUID(IID_IXPProvider, 0x00020312, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IXPProvider);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMSLogon)
DEFINE_OLEGUID(IID_IMSLogon, 0x00020313, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMSLogon);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IABLogon)
DEFINE_OLEGUID(IID_IABLogon, 0x00020314, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IABLogon);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IXPLogon)
DEFINE_OLEGUID(IID_IXPLogon, 0x00020315, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IXPLogon);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPITableData)
DEFINE_OLEGUID(IID_IMAPITableData, 0x00020316, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPITableData);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPISpoolerInit)
DEFINE_OLEGUID(IID_IMAPISpoolerInit, 0x00020317, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPISpoolerInit);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPISpoolerSession)
DEFINE_OLEGUID(IID_IMAPISpoolerSession, 0x00020318, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPISpoolerSession);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_ITNEF)
DEFINE_OLEGUID(IID_ITNEF, 0x00020319, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_ITNEF);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIPropData)
DEFINE_OLEGUID(IID_IMAPIPropData, 0x0002031A, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIPropData);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIControl)
DEFINE_OLEGUID(IID_IMAPIControl, 0x0002031B, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIControl);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IProfAdmin)
DEFINE_OLEGUID(IID_IProfAdmin, 0x0002031C, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IProfAdmin);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMsgServiceAdmin)
DEFINE_OLEGUID(IID_IMsgServiceAdmin, 0x0002031D, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMsgServiceAdmin);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMsgServiceAdmin2)
DEFINE_OLEGUID(IID_IMsgServiceAdmin2, 0x00020387, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMsgServiceAdmin2);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPISpoolerService)
DEFINE_OLEGUID(IID_IMAPISpoolerService, 0x0002031E, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPISpoolerService);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIProgress)
DEFINE_OLEGUID(IID_IMAPIProgress, 0x0002031F, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIProgress);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_ISpoolerHook)
DEFINE_OLEGUID(IID_ISpoolerHook, 0x00020320, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_ISpoolerHook);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIViewContext)
DEFINE_OLEGUID(IID_IMAPIViewContext, 0x00020321, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIViewContext);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormMgr)
DEFINE_OLEGUID(IID_IMAPIFormMgr, 0x00020322, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormMgr);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IEnumMAPIFormProp)
DEFINE_OLEGUID(IID_IEnumMAPIFormProp, 0x00020323, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IEnumMAPIFormProp);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormInfo)
DEFINE_OLEGUID(IID_IMAPIFormInfo, 0x00020324, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormInfo);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IProviderAdmin)
DEFINE_OLEGUID(IID_IProviderAdmin, 0x00020325, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IProviderAdmin);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIForm)
DEFINE_OLEGUID(IID_IMAPIForm, 0x00020327, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIForm);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IPersistMessage)
DEFINE_OLEGUID(IID_IPersistMessage, 0x0002032A, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IPersistMessage);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIViewAdviseSink)
DEFINE_OLEGUID(IID_IMAPIViewAdviseSink, 0x0002032B, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIViewAdviseSink);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IStreamDocfile)
DEFINE_OLEGUID(IID_IStreamDocfile, 0x0002032C, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IStreamDocfile);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormProp)
DEFINE_OLEGUID(IID_IMAPIFormProp, 0x0002032D, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormProp);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormContainer)
DEFINE_OLEGUID(IID_IMAPIFormContainer, 0x0002032E, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormContainer);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormAdviseSink)
DEFINE_OLEGUID(IID_IMAPIFormAdviseSink, 0x0002032F, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormAdviseSink);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IStreamTnef)
DEFINE_OLEGUID(IID_IStreamTnef, 0x00020330, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IStreamTnef);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIFormFactory)
DEFINE_OLEGUID(IID_IMAPIFormFactory, 0x00020350, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIFormFactory);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIMessageSite)
DEFINE_OLEGUID(IID_IMAPIMessageSite, 0x00020370, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIMessageSite);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMessageRaw)
DEFINE_OLEGUID(IID_IMessageRaw, 0x0002038A, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMessageRaw);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIClientShutdown)
DEFINE_OLEGUID(IID_IMAPIClientShutdown, 0x00020397, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIClientShutdown);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_IID_IMAPIProviderShutdown)
DEFINE_OLEGUID(IID_IMAPIProviderShutdown, 0x00020398, 0, 0);
#else
MAPIX_EXTERN_GUID(IID_IMAPIProviderShutdown);
#endif

/* ---- Named-property sets and well-known profile sections of the same block. */

#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_MAPI)
DEFINE_OLEGUID(PS_MAPI, 0x00020328, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_MAPI);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_PUBLIC_STRINGS)
DEFINE_OLEGUID(PS_PUBLIC_STRINGS, 0x00020329, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_PUBLIC_STRINGS);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_ROUTING_EMAIL_ADDRESSES)
DEFINE_OLEGUID(PS_ROUTING_EMAIL_ADDRESSES, 0x00020380, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_ROUTING_EMAIL_ADDRESSES);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_ROUTING_ADDRTYPE)
DEFINE_OLEGUID(PS_ROUTING_ADDRTYPE, 0x00020381, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_ROUTING_ADDRTYPE);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_ROUTING_DISPLAY_NAME)
DEFINE_OLEGUID(PS_ROUTING_DISPLAY_NAME, 0x00020382, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_ROUTING_DISPLAY_NAME);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_ROUTING_ENTRYID)
DEFINE_OLEGUID(PS_ROUTING_ENTRYID, 0x00020383, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_ROUTING_ENTRYID);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_ROUTING_SEARCH_KEY)
DEFINE_OLEGUID(PS_ROUTING_SEARCH_KEY, 0x00020384, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_ROUTING_SEARCH_KEY);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_MUID_PROFILE_INSTANCE)
DEFINE_OLEGUID(MUID_PROFILE_INSTANCE, 0x00020385, 0, 0);
#else
MAPIX_EXTERN_GUID(MUID_PROFILE_INSTANCE);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PS_INTERNET_HEADERS)
DEFINE_OLEGUID(PS_INTERNET_HEADERS, 0x00020386, 0, 0);
#else
MAPIX_EXTERN_GUID(PS_INTERNET_HEADERS);
#endif

/* ---- Property sets of MS-OXPROPS section 1.3.2 (commonly used property sets). */

#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Appointment)
DEFINE_OLEGUID(PSETID_Appointment, 0x00062002, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Appointment);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Task)
DEFINE_OLEGUID(PSETID_Task, 0x00062003, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Task);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Address)
DEFINE_OLEGUID(PSETID_Address, 0x00062004, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Address);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Common)
DEFINE_OLEGUID(PSETID_Common, 0x00062008, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Common);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Log)
DEFINE_OLEGUID(PSETID_Log, 0x0006200A, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Log);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Note)
DEFINE_OLEGUID(PSETID_Note, 0x0006200E, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Note);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Report)
DEFINE_OLEGUID(PSETID_Report, 0x00062013, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Report);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Remote)
DEFINE_OLEGUID(PSETID_Remote, 0x00062014, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Remote);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Sharing)
DEFINE_OLEGUID(PSETID_Sharing, 0x00062040, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_Sharing);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_PostRss)
DEFINE_OLEGUID(PSETID_PostRss, 0x00062041, 0, 0);
#else
MAPIX_EXTERN_GUID(PSETID_PostRss);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Meeting)
DEFINE_GUID(PSETID_Meeting, 0x6ED8DA90, 0x450B, 0x101B, 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05);
#else
MAPIX_EXTERN_GUID(PSETID_Meeting);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Messaging)
DEFINE_GUID(PSETID_Messaging, 0x41F28F13, 0x83F4, 0x4114, 0xA5, 0x84, 0xEE, 0xDB, 0x5A, 0x6B, 0x0B, 0xFF);
#else
MAPIX_EXTERN_GUID(PSETID_Messaging);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_UnifiedMessaging)
DEFINE_GUID(PSETID_UnifiedMessaging, 0x4442858E, 0xA9E3, 0x4E80, 0xB9, 0x00, 0x31, 0x7A, 0x21, 0x0C, 0xC1, 0x5B);
#else
MAPIX_EXTERN_GUID(PSETID_UnifiedMessaging);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_CalendarAssistant)
DEFINE_GUID(PSETID_CalendarAssistant, 0x11000E07, 0xB51B, 0x40D6, 0xAF, 0x21, 0xCA, 0xA8, 0x5E, 0xDA, 0xB1, 0xD0);
#else
MAPIX_EXTERN_GUID(PSETID_CalendarAssistant);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_Attachment)
DEFINE_GUID(PSETID_Attachment, 0x96357F7F, 0x59E1, 0x47D0, 0x99, 0xA7, 0x46, 0x51, 0x5C, 0x18, 0x3B, 0x54);
#else
MAPIX_EXTERN_GUID(PSETID_Attachment);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_XmlExtractedEntities)
DEFINE_GUID(PSETID_XmlExtractedEntities, 0x23239608, 0x685D, 0x4732, 0x9C, 0x55, 0x4C, 0x95, 0xCB, 0x4E, 0x8E, 0x33);
#else
MAPIX_EXTERN_GUID(PSETID_XmlExtractedEntities);
#endif
/* MS-OXPROPS spells it PSETID_AirSync, Windows' mapiguid.h SETID_AirSync;
 * both names exist, with the same value. */
#if MAPIX_GUID_EMIT_ALL || defined(USES_PSETID_AirSync)
DEFINE_GUID(PSETID_AirSync, 0x71035549, 0x0739, 0x4DCB, 0x91, 0x63, 0x00, 0xF0, 0x58, 0x0D, 0xBB, 0xDF);
#else
MAPIX_EXTERN_GUID(PSETID_AirSync);
#endif
#if MAPIX_GUID_EMIT_ALL || defined(USES_SETID_AirSync)
DEFINE_GUID(SETID_AirSync, 0x71035549, 0x0739, 0x4DCB, 0x91, 0x63, 0x00, 0xF0, 0x58, 0x0D, 0xBB, 0xDF);
#else
MAPIX_EXTERN_GUID(SETID_AirSync);
#endif

#endif /* MAPIX_MAPIGUID_H */
