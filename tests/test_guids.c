/*
 * test_guids.c — pins the value of every GUID mapix publishes (mapiguid.h,
 * edkguid.h) against Microsoft's published values, and checks the Windows
 * INITGUID / USES_IID_ convention end to end.
 *
 * This file is itself a Windows-style "GUID definition" file: it defines
 * INITGUID with USES_IID_IMAPIProp and USES_PSETID_Address before the first
 * mapix header, so those two are defined (weakly) right here, while every
 * other GUID of mapiguid.h it uses — IID_IMAPIFolder, PS_MAPI, ... — is only
 * declared here and must come from libmapix (edkguid.h, as on Windows,
 * defines all of its IIDs under INITGUID). That the program links and the
 * values match is the test of the convention; the last test also checks
 * that the shared library exports the GUIDs despite -fvisibility=hidden.
 */
#define INITGUID
#define USES_IID_IMAPIProp
#define USES_PSETID_Address
#include <mapix/mapix.h>
#include <mapix/mapiguid.h> /* again: the include guard must hold after an INITGUID pass */
#include <mapix/edkmdb.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* In a USES_ pass only the requested GUIDs are defined here. */
_Static_assert(MAPIX_GUID_EMIT_ALL == 0, "INITGUID without MAPIX_INITGUID_ALL emits only USES_ GUIDs");

struct guid_pin {
	const char *name;
	const GUID *guid;
	const char *text; /* registry form, without braces */
};

#define G(name, text) {#name, &name, text}

/*
 * MAPI block and OLE base: Windows mapiguid.h / uuid.lib. Property sets:
 * MS-OXPROPS 1.3.2. Exchange: edkguid.h of the Exchange SDK.
 */
static const struct guid_pin pins[] = {
	G(IID_IUnknown, "00000000-0000-0000-C000-000000000046"),
	G(IID_IClassFactory, "00000001-0000-0000-C000-000000000046"),
	G(IID_IMalloc, "00000002-0000-0000-C000-000000000046"),
	G(IID_ILockBytes, "0000000A-0000-0000-C000-000000000046"),
	G(IID_IStorage, "0000000B-0000-0000-C000-000000000046"),
	G(IID_IStream, "0000000C-0000-0000-C000-000000000046"),
	G(IID_IEnumSTATSTG, "0000000D-0000-0000-C000-000000000046"),
	G(IID_IMAPISession, "00020300-0000-0000-C000-000000000046"),
	G(IID_IMAPITable, "00020301-0000-0000-C000-000000000046"),
	G(IID_IMAPIAdviseSink, "00020302-0000-0000-C000-000000000046"),
	G(IID_IMAPIProp, "00020303-0000-0000-C000-000000000046"),
	G(IID_IProfSect, "00020304-0000-0000-C000-000000000046"),
	G(IID_IMAPIStatus, "00020305-0000-0000-C000-000000000046"),
	G(IID_IMsgStore, "00020306-0000-0000-C000-000000000046"),
	G(IID_IMessage, "00020307-0000-0000-C000-000000000046"),
	G(IID_IAttachment, "00020308-0000-0000-C000-000000000046"),
	G(IID_IAddrBook, "00020309-0000-0000-C000-000000000046"),
	G(IID_IMailUser, "0002030A-0000-0000-C000-000000000046"),
	G(IID_IMAPIContainer, "0002030B-0000-0000-C000-000000000046"),
	G(IID_IMAPIFolder, "0002030C-0000-0000-C000-000000000046"),
	G(IID_IABContainer, "0002030D-0000-0000-C000-000000000046"),
	G(IID_IDistList, "0002030E-0000-0000-C000-000000000046"),
	G(IID_IMAPISup, "0002030F-0000-0000-C000-000000000046"),
	G(IID_IMSProvider, "00020310-0000-0000-C000-000000000046"),
	G(IID_IABProvider, "00020311-0000-0000-C000-000000000046"),
	G(IID_IXPProvider, "00020312-0000-0000-C000-000000000046"),
	G(IID_IMSLogon, "00020313-0000-0000-C000-000000000046"),
	G(IID_IABLogon, "00020314-0000-0000-C000-000000000046"),
	G(IID_IXPLogon, "00020315-0000-0000-C000-000000000046"),
	G(IID_IMAPITableData, "00020316-0000-0000-C000-000000000046"),
	G(IID_IMAPISpoolerInit, "00020317-0000-0000-C000-000000000046"),
	G(IID_IMAPISpoolerSession, "00020318-0000-0000-C000-000000000046"),
	G(IID_ITNEF, "00020319-0000-0000-C000-000000000046"),
	G(IID_IMAPIPropData, "0002031A-0000-0000-C000-000000000046"),
	G(IID_IMAPIControl, "0002031B-0000-0000-C000-000000000046"),
	G(IID_IProfAdmin, "0002031C-0000-0000-C000-000000000046"),
	G(IID_IMsgServiceAdmin, "0002031D-0000-0000-C000-000000000046"),
	G(IID_IMAPISpoolerService, "0002031E-0000-0000-C000-000000000046"),
	G(IID_IMAPIProgress, "0002031F-0000-0000-C000-000000000046"),
	G(IID_ISpoolerHook, "00020320-0000-0000-C000-000000000046"),
	G(IID_IMAPIViewContext, "00020321-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormMgr, "00020322-0000-0000-C000-000000000046"),
	G(IID_IEnumMAPIFormProp, "00020323-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormInfo, "00020324-0000-0000-C000-000000000046"),
	G(IID_IProviderAdmin, "00020325-0000-0000-C000-000000000046"),
	G(IID_IMAPIForm, "00020327-0000-0000-C000-000000000046"),
	G(IID_IPersistMessage, "0002032A-0000-0000-C000-000000000046"),
	G(IID_IMAPIViewAdviseSink, "0002032B-0000-0000-C000-000000000046"),
	G(IID_IStreamDocfile, "0002032C-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormProp, "0002032D-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormContainer, "0002032E-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormAdviseSink, "0002032F-0000-0000-C000-000000000046"),
	G(IID_IStreamTnef, "00020330-0000-0000-C000-000000000046"),
	G(IID_IMAPIFormFactory, "00020350-0000-0000-C000-000000000046"),
	G(IID_IMAPIMessageSite, "00020370-0000-0000-C000-000000000046"),
	G(IID_IMessageRaw, "0002038A-0000-0000-C000-000000000046"),
	G(IID_IMAPIClientShutdown, "00020397-0000-0000-C000-000000000046"),
	G(IID_IMAPIProviderShutdown, "00020398-0000-0000-C000-000000000046"),
	G(PS_MAPI, "00020328-0000-0000-C000-000000000046"),
	G(PS_PUBLIC_STRINGS, "00020329-0000-0000-C000-000000000046"),
	G(PS_ROUTING_EMAIL_ADDRESSES, "00020380-0000-0000-C000-000000000046"),
	G(PS_ROUTING_ADDRTYPE, "00020381-0000-0000-C000-000000000046"),
	G(PS_ROUTING_DISPLAY_NAME, "00020382-0000-0000-C000-000000000046"),
	G(PS_ROUTING_ENTRYID, "00020383-0000-0000-C000-000000000046"),
	G(PS_ROUTING_SEARCH_KEY, "00020384-0000-0000-C000-000000000046"),
	G(MUID_PROFILE_INSTANCE, "00020385-0000-0000-C000-000000000046"),
	G(PS_INTERNET_HEADERS, "00020386-0000-0000-C000-000000000046"),
	G(PSETID_Appointment, "00062002-0000-0000-C000-000000000046"),
	G(PSETID_Task, "00062003-0000-0000-C000-000000000046"),
	G(PSETID_Address, "00062004-0000-0000-C000-000000000046"),
	G(PSETID_Common, "00062008-0000-0000-C000-000000000046"),
	G(PSETID_Log, "0006200A-0000-0000-C000-000000000046"),
	G(PSETID_Note, "0006200E-0000-0000-C000-000000000046"),
	G(PSETID_Report, "00062013-0000-0000-C000-000000000046"),
	G(PSETID_Remote, "00062014-0000-0000-C000-000000000046"),
	G(PSETID_Sharing, "00062040-0000-0000-C000-000000000046"),
	G(PSETID_PostRss, "00062041-0000-0000-C000-000000000046"),
	G(IID_ISequentialStream, "0C733A30-2A1C-11CE-ADE5-00AA0044773D"),
	G(PSETID_Meeting, "6ED8DA90-450B-101B-98DA-00AA003F1305"),
	G(PSETID_Messaging, "41F28F13-83F4-4114-A584-EEDB5A6B0BFF"),
	G(PSETID_UnifiedMessaging, "4442858E-A9E3-4E80-B900-317A210CC15B"),
	G(PSETID_CalendarAssistant, "11000E07-B51B-40D6-AF21-CAA85EDAB1D0"),
	G(PSETID_Attachment, "96357F7F-59E1-47D0-99A7-46515C183B54"),
	G(PSETID_XmlExtractedEntities, "23239608-685D-4732-9C55-4C95CB4E8E33"),
	G(PSETID_AirSync, "71035549-0739-4DCB-9163-00F0580DBBDF"),
	G(SETID_AirSync, "71035549-0739-4DCB-9163-00F0580DBBDF"),
	G(IID_IExchangeManageStore, "559D10B0-A772-11CD-9BC8-00AA002FC45A"),
	G(IID_IExchangeManageStore2, "B6DCA470-0FF3-11D0-A409-00C04FD7BD87"),
	G(IID_IExchangeManageStore3, "166D9BC2-DB75-44A9-8A93-9F3FFC994D76"),
	G(IID_IExchangeManageStore4, "2590FF87-C431-4F9C-B1A8-CD69D760CD10"),
	G(IID_IExchangeManageStore5, "7907DD18-F141-4676-B102-37C9D9363430"),
	G(IID_IExchangeModifyTable, "2D734CB0-53FD-101B-B19D-08002B3056E3"),
	G(IID_IExchangeRuleAction, "74BBA840-C93A-11CE-9581-00AA005742F7"),
	G(IID_IExchangeFavorites, "CF4F3BC0-EC66-11CE-B31C-00AA00574CC6"),
	G(IID_IExchangeExportChanges, "A3EA9CC0-D1B2-11CD-80FC-00AA004BBA0B"),
	G(IID_IExchangeExportChanges2, "387CEBE0-F53F-11CF-A48F-00C04FD65595"),
	G(IID_IExchangeExportChanges3, "702E7F86-50A6-11D1-ABD6-00A0C905660A"),
	G(IID_IExchangeImportHierarchyChanges, "85A66CF0-D0E0-11CD-80FC-00AA004BBA0B"),
	G(IID_IExchangeImportContentsChanges, "F75ABFA0-D0E0-11CD-80FC-00AA004BBA0B"),
	G(IID_IExchangeImportContentsChanges2, "7DFDD720-F53F-11CF-A48F-00C04FD65595"),
	G(IID_IExchangeChangeAdvisor, "1E300720-A839-11CF-BDE0-00004C7531E3"),
	G(IID_IExchangeMessageConversion, "3532B360-D114-11CF-A83B-00C04FD65597"),
	G(IID_IExchangeNntpNewsfeed, "380F41C0-3CDC-11D0-9792-00C04FD6551D"),
};

static void guid_text(const GUID *g, char out[37])
{
	snprintf(out, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", (unsigned)g->Data1,
	         (unsigned)g->Data2, (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3],
	         g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

/* MS-OXCDATA wire form of a GUID: Data1..3 little-endian, Data4 as is. */
static void guid_wire(const GUID *g, BYTE out[16])
{
	for (int i = 0; i < 4; i++)
		out[i] = (BYTE)(g->Data1 >> (8 * i));
	out[4] = (BYTE)g->Data2;
	out[5] = (BYTE)(g->Data2 >> 8);
	out[6] = (BYTE)g->Data3;
	out[7] = (BYTE)(g->Data3 >> 8);
	memcpy(out + 8, g->Data4, 8);
}

static void test_every_guid_has_its_published_value(void **state)
{
	(void)state;
	char text[37];
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		guid_text(pins[i].guid, text);
		if (strcmp(text, pins[i].text) != 0)
			fail_msg("%s is {%s}, expected {%s}", pins[i].name, text, pins[i].text);
	}
	assert_true(sizeof(pins) / sizeof(pins[0]) >= 100);
}

static void test_guids_are_distinct(void **state)
{
	(void)state;
	size_t n = sizeof(pins) / sizeof(pins[0]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (!IsEqualGUID(pins[i].guid, pins[j].guid))
				continue;
			/* The one intended alias: MS-OXPROPS and Windows name the sync set differently. */
			if (pins[i].guid == &PSETID_AirSync && pins[j].guid == &SETID_AirSync)
				continue;
			fail_msg("%s and %s have the same value", pins[i].name, pins[j].name);
		}
	}
}

static void test_ole_guid_layout(void **state)
{
	(void)state;
	/* DEFINE_OLEGUID appends OLE's fixed tail C000-000000000046. */
	static const BYTE ole_tail[8] = {0xC0, 0, 0, 0, 0, 0, 0, 0x46};
	assert_int_equal(IID_IMAPIProp.Data1, 0x00020303);
	assert_int_equal(IID_IMAPIProp.Data2, 0);
	assert_int_equal(IID_IMAPIProp.Data3, 0);
	assert_memory_equal(IID_IMAPIProp.Data4, ole_tail, 8);

	/* Wire order as MS-OXCDATA writes a GUID (PS_PUBLIC_STRINGS in a named-property record). */
	static const BYTE ps_public_strings[16] = {0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                           0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
	BYTE wire[16];
	guid_wire(&PS_PUBLIC_STRINGS, wire);
	assert_memory_equal(wire, ps_public_strings, 16);

	static const BYTE meeting[16] = {0x90, 0xDA, 0xD8, 0x6E, 0x0B, 0x45, 0x1B, 0x10,
	                                 0x98, 0xDA, 0x00, 0xAA, 0x00, 0x3F, 0x13, 0x05};
	guid_wire(&PSETID_Meeting, wire);
	assert_memory_equal(wire, meeting, 16);
}

static void test_iids_of_declared_interfaces(void **state)
{
	(void)state;
	/*
	 * Every interface declared in the generated *interfaces.h headers and objidl.h
	 * has its IID (IAttach answers to IID_IAttachment, IPropData to
	 * IID_IMAPIPropData, IMAPISupport to IID_IMAPISup, as on Windows).
	 */
	const struct {
		const char *iface;
		const GUID *iid;
		DWORD data1;
	} map[] = {
		{"IUnknown", &IID_IUnknown, 0x00000000},
		{"IMalloc", &IID_IMalloc, 0x00000002},
		{"IStream", &IID_IStream, 0x0000000C},
		{"ISequentialStream", &IID_ISequentialStream, 0x0C733A30},
		{"IMAPISession", &IID_IMAPISession, 0x00020300},
		{"IMAPITable", &IID_IMAPITable, 0x00020301},
		{"IMAPIAdviseSink", &IID_IMAPIAdviseSink, 0x00020302},
		{"IMAPIProp", &IID_IMAPIProp, 0x00020303},
		{"IProfSect", &IID_IProfSect, 0x00020304},
		{"IMAPIStatus", &IID_IMAPIStatus, 0x00020305},
		{"IMsgStore", &IID_IMsgStore, 0x00020306},
		{"IMessage", &IID_IMessage, 0x00020307},
		{"IAttach", &IID_IAttachment, 0x00020308},
		{"IAddrBook", &IID_IAddrBook, 0x00020309},
		{"IMailUser", &IID_IMailUser, 0x0002030A},
		{"IMAPIContainer", &IID_IMAPIContainer, 0x0002030B},
		{"IMAPIFolder", &IID_IMAPIFolder, 0x0002030C},
		{"IABContainer", &IID_IABContainer, 0x0002030D},
		{"IDistList", &IID_IDistList, 0x0002030E},
		{"IMAPISupport", &IID_IMAPISup, 0x0002030F},
		{"IMSProvider", &IID_IMSProvider, 0x00020310},
		{"IMSLogon", &IID_IMSLogon, 0x00020313},
		{"IPropData", &IID_IMAPIPropData, 0x0002031A},
		{"IProfAdmin", &IID_IProfAdmin, 0x0002031C},
		{"IMsgServiceAdmin", &IID_IMsgServiceAdmin, 0x0002031D},
		{"IMAPIProgress", &IID_IMAPIProgress, 0x0002031F},
		{"IProviderAdmin", &IID_IProviderAdmin, 0x00020325},
		{"IExchangeManageStore", &IID_IExchangeManageStore, 0x559D10B0},
		{"IExchangeManageStore5", &IID_IExchangeManageStore5, 0x7907DD18},
		{"IExchangeModifyTable", &IID_IExchangeModifyTable, 0x2D734CB0},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].iid->Data1 != map[i].data1)
			fail_msg("IID of %s: Data1 0x%08X", map[i].iface, (unsigned)map[i].iid->Data1);
	}
	assert_true(IsEqualIID(&IID_IMAPIFolder, &IID_IMAPIFolder));
	assert_false(IsEqualIID(&IID_IMAPIFolder, &IID_IMAPIContainer));
}

static void test_uses_convention_links_both_kinds(void **state)
{
	(void)state;
	/*
	 * IID_IMAPIProp and PSETID_Address: defined in this file (USES_).
	 * IID_IMAPIFolder, PS_MAPI, PSETID_Task: only declared here, so these
	 * references resolve to libmapix's definitions.
	 */
	const GUID *here[] = {&IID_IMAPIProp, &PSETID_Address};
	const GUID *library[] = {&IID_IMAPIFolder, &PS_MAPI, &PSETID_Task};
	assert_int_equal(here[0]->Data1, 0x00020303);
	assert_int_equal(here[1]->Data1, 0x00062004);
	assert_int_equal(library[0]->Data1, 0x0002030C);
	assert_int_equal(library[1]->Data1, 0x00020328);
	assert_int_equal(library[2]->Data1, 0x00062003);
}

static void test_exchange_provider_uids(void **state)
{
	(void)state;
	static const BYTE primary[16] = {0x54, 0x94, 0xA1, 0xC0, 0x29, 0x7F, 0x10, 0x1B,
	                                 0xA5, 0x87, 0x08, 0x00, 0x2B, 0x2A, 0x25, 0x17};
	static const BYTE delegate[16] = {0x9E, 0xB4, 0x77, 0x00, 0x74, 0xE4, 0x11, 0xCE,
	                                  0x8C, 0x5E, 0x00, 0xAA, 0x00, 0x42, 0x54, 0xE2};
	static const BYTE pub[16] = {0x78, 0xB2, 0xFA, 0x70, 0xAF, 0xF7, 0x11, 0xCD,
	                             0x9B, 0xC8, 0x00, 0xAA, 0x00, 0x2F, 0xC4, 0x5A};
	static const BYTE xport[16] = {0xA9, 0x06, 0x40, 0xE0, 0xD6, 0x93, 0x11, 0xCD,
	                               0xAF, 0x95, 0x00, 0xAA, 0x00, 0x4A, 0x35, 0xC3};
	assert_int_equal(sizeof(pbExchangeProviderPrimaryUserGuid) - 1, 16);
	assert_int_equal(sizeof(pbExchangeProviderDelegateGuid) - 1, 16);
	assert_int_equal(sizeof(pbExchangeProviderPublicGuid) - 1, 16);
	assert_int_equal(sizeof(pbExchangeProviderXportGuid) - 1, 16);
	assert_int_equal(sizeof(pbExchangeProviderLocalStoreGuid) - 1, 16);
	assert_int_equal(sizeof(pbExchangeProviderPersistStoreGuid) - 1, 16);
	assert_memory_equal(pbExchangeProviderPrimaryUserGuid, primary, 16);
	assert_memory_equal(pbExchangeProviderDelegateGuid, delegate, 16);
	assert_memory_equal(pbExchangeProviderPublicGuid, pub, 16);
	assert_memory_equal(pbExchangeProviderXportGuid, xport, 16);
}

/*
 * The installed libmapix.so must export the GUIDs: programs linked against
 * it (not the static archive the tests use) reference them as data.
 */
static void test_shared_library_exports_guids(void **state)
{
	(void)state;
	const char *dir = getenv("MAPIX_BUILD_DIR");
	if (!dir)
		MAPIX_SKIP("MAPIX_BUILD_DIR not set; run through ctest");
	char path[4096];
	snprintf(path, sizeof(path), "%s/libmapix.so", dir);
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		MAPIX_SKIP("cannot load %s: %s", path, dlerror());
	const struct {
		const char *symbol;
		const GUID *expected;
	} exported[] = {
		{"IID_IUnknown", &IID_IUnknown},
		{"IID_IMAPIProp", &IID_IMAPIProp},
		{"IID_IMAPIFolder", &IID_IMAPIFolder},
		{"IID_IMsgStore", &IID_IMsgStore},
		{"PS_MAPI", &PS_MAPI},
		{"PS_PUBLIC_STRINGS", &PS_PUBLIC_STRINGS},
		{"PSETID_Address", &PSETID_Address},
		{"PSETID_XmlExtractedEntities", &PSETID_XmlExtractedEntities},
		{"IID_IExchangeManageStore", &IID_IExchangeManageStore},
		{"IID_IExchangeModifyTable", &IID_IExchangeModifyTable},
	};
	for (size_t i = 0; i < sizeof(exported) / sizeof(exported[0]); i++) {
		const GUID *g = dlsym(lib, exported[i].symbol);
		if (!g) {
			dlclose(lib);
			fail_msg("libmapix.so does not export %s", exported[i].symbol);
		}
		assert_true(IsEqualGUID(g, exported[i].expected));
	}
	dlclose(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_guid_has_its_published_value),
		cmocka_unit_test(test_guids_are_distinct),
		cmocka_unit_test(test_ole_guid_layout),
		cmocka_unit_test(test_iids_of_declared_interfaces),
		cmocka_unit_test(test_uses_convention_links_both_kinds),
		cmocka_unit_test(test_exchange_provider_uids),
		cmocka_unit_test(test_shared_library_exports_guids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
