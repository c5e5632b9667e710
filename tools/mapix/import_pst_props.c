/*
 * import_pst_props.c — one libpff record set (the properties of a message,
 * a recipient row or an attachment) onto a MAPI object.
 *
 * Copying is generic: every record entry is a property, its entry type the
 * property id and its value type the property type, so contacts, calendar
 * items, tasks and whatever else a PST holds keep what they had, not only
 * what a mail converter knows about. What is not copied is what the target
 * store computes or owns (identity, sizes, access), the PST's own
 * bookkeeping (0x67F0-0x67FF) and mapix's own tags. Named properties (ids
 * 0x8000 and up) are per file: each is looked up in the file's name map
 * and created in the target store with GetIDsFromNames(MAPI_CREATE).
 *
 * Large values (bodies, PR_RTF_COMPRESSED, big binaries) go through
 * OpenProperty(IID_IStream) in PST_STREAM_PIECE pieces. libpff itself keeps
 * an item's values in memory while the item is open, so memory is bounded
 * by the largest item, never by the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "import_pst_walk.h"

/* ---- what is not copied ------------------------------------------------------------- */

BOOL pst_prop_skipped(pst_object_kind kind, ULONG tag)
{
	ULONG id = PROP_ID(tag);
	/* Identity, place, size, access and change tracking: the store's. */
	switch (id) {
	case PROP_ID(PR_ENTRYID):
	case PROP_ID(PR_RECORD_KEY):
	case PROP_ID(PR_INSTANCE_KEY):
	case PROP_ID(PR_STORE_ENTRYID):
	case PROP_ID(PR_STORE_RECORD_KEY):
	case PROP_ID(PR_STORE_SUPPORT_MASK):
	case PROP_ID(PR_STORE_STATE):
	case PROP_ID(PR_PARENT_ENTRYID):
	case PROP_ID(PR_SOURCE_KEY):
	case PROP_ID(PR_PARENT_SOURCE_KEY):
	case PROP_ID(PR_CHANGE_KEY):
	case PROP_ID(PR_PREDECESSOR_CHANGE_LIST):
	case PROP_ID(PR_MESSAGE_SIZE): /* and PR_MESSAGE_SIZE_EXTENDED, the same id */
	case PROP_ID(PR_HASATTACH):
	case PROP_ID(PR_ACCESS):
	case PROP_ID(PR_ACCESS_LEVEL):
	case PROP_ID(PR_OBJECT_TYPE):
	case PROP_ID(PR_MAPPING_SIGNATURE): return TRUE;
	default: break;
	}
	/* The PST provider's own bookkeeping (row ids and versions of its
	 * tables, its password, its secure properties). */
	if (id >= 0x67F0 && id <= 0x67FF)
		return TRUE;
	/* mapix's own tags (PR_MAPIX_IMPORT_SOURCE, the creator identity that
	 * folder permissions test...) live in 0x6000-0x60FF; a PST's value
	 * there means something else and must not pose as one of them. */
	if (id >= 0x6000 && id <= 0x60FF)
		return TRUE;
	switch (kind) {
	case PST_OBJ_RECIPIENT:
		/* ModifyRecipients numbers the rows itself. */
		return id == PROP_ID(PR_ROWID);
	case PST_OBJ_ATTACHMENT:
		/* The data goes through its own stream or embedded message. */
		return id == PROP_ID(PR_ATTACH_NUM) || id == PROP_ID(PR_ATTACH_SIZE) || id == PROP_ID(PR_ATTACH_DATA_BIN);
	case PST_OBJ_MESSAGE: break;
	}
	return FALSE;
}

/* ---- named properties ----------------------------------------------------------------- */

static void guid_from(const BYTE *p, GUID *g)
{
	g->Data1 = (DWORD)p[0] | ((DWORD)p[1] << 8) | ((DWORD)p[2] << 16) | ((DWORD)p[3] << 24);
	g->Data2 = (WORD)(p[4] | (p[5] << 8));
	g->Data3 = (WORD)(p[6] | (p[7] << 8));
	memcpy(g->Data4, p + 8, 8);
}

/* The target store's id for the PST's named property, asking the store
 * once per PST id. */
static ULONG map_named(pst_import *pi, libpff_record_entry_t *entry, ULONG pst_id)
{
	ULONG slot = pst_id - 0x8000;
	if (!pi->named) {
		pi->named = calloc(0x8000, sizeof *pi->named);
		if (!pi->named)
			return PST_NAMED_NONE;
	}
	if (pi->named[slot])
		return pi->named[slot];
	pi->named[slot] = PST_NAMED_NONE;

	libpff_error_t *err = NULL;
	libpff_name_to_id_map_entry_t *ne = NULL;
	if (libpff_record_entry_get_name_to_id_map_entry(entry, &ne, &err) != 1 || !ne) {
		libpff_error_free(&err);
		return PST_NAMED_NONE;
	}
	BYTE gbytes[16];
	uint8_t kind = 0;
	GUID guid;
	MAPINAMEID name = {.lpguid = &guid};
	WCHAR *wname = NULL;
	if (libpff_name_to_id_map_entry_get_guid(ne, gbytes, sizeof gbytes, &err) != 1 ||
	    libpff_name_to_id_map_entry_get_type(ne, &kind, &err) != 1)
		goto out;
	guid_from(gbytes, &guid);
	if (kind == LIBPFF_NAME_TO_ID_MAP_ENTRY_TYPE_NUMERIC) {
		uint32_t lid = 0;
		if (libpff_name_to_id_map_entry_get_number(ne, &lid, &err) != 1)
			goto out;
		name.ulKind = MNID_ID;
		name.Kind.lID = (LONG)lid;
	} else {
		size_t n = 0;
		if (libpff_name_to_id_map_entry_get_utf16_string_size(ne, &n, &err) != 1 || n == 0 || n > 4096)
			goto out;
		wname = calloc(n + 1, sizeof *wname);
		if (!wname || libpff_name_to_id_map_entry_get_utf16_string(ne, (uint16_t *)wname, n, &err) != 1)
			goto out;
		wname[n] = 0;
		name.ulKind = MNID_STRING;
		name.Kind.lpwstrName = wname;
	}
	LPMAPINAMEID names[1] = {&name};
	LPSPropTagArray tags = NULL;
	HRESULT hr = IMsgStore_GetIDsFromNames(pi->mdb, 1, names, MAPI_CREATE, &tags);
	if (hr == S_OK && tags && tags->cValues == 1 && PROP_ID(tags->aulPropTag[0]) >= 0x8000)
		pi->named[slot] = PROP_ID(tags->aulPropTag[0]);
	MAPIFreeBuffer(tags);
out:
	libpff_error_free(&err);
	free(wname);
	return pi->named[slot];
}

ULONG pst_target_tag(pst_import *pi, libpff_record_entry_t *entry, ULONG pst_tag)
{
	ULONG id = PROP_ID(pst_tag);
	if (id < 0x8000)
		return pst_tag;
	if (id == 0xFFFF)
		return PROP_TAG(PROP_TYPE(pst_tag), PROP_ID_NULL);
	ULONG mapped = map_named(pi, entry, id);
	if (mapped == PST_NAMED_NONE)
		return PROP_TAG(PROP_TYPE(pst_tag), PROP_ID_NULL);
	return PROP_TAG(PROP_TYPE(pst_tag), mapped);
}

/* ---- streams ------------------------------------------------------------------------------ */

/* Copies a large value through OpenProperty(IID_IStream) in pieces;
 * PT_STRING8 is converted to UTF-8 on the way. */
static HRESULT stream_value(libpff_record_entry_t *entry, ULONG tag, size_t size, int codepage, LPMAPIPROP target,
                            char *why, size_t nwhy)
{
	size_t total = 0;
	LPSTREAM stm = NULL;
	libpff_error_t *err = NULL;
	pst_text_conv conv = {0};
	BYTE *piece = malloc(PST_STREAM_PIECE);
	HRESULT hr = piece ? S_OK : MAPI_E_NOT_ENOUGH_MEMORY;
	BOOL text8 = PROP_TYPE(tag) == PT_STRING8;

	if (SUCCEEDED(hr) && text8)
		hr = pst_text_conv_open(&conv, codepage);
	if (SUCCEEDED(hr))
		hr = IMAPIProp_OpenProperty(target, tag, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY, (LPUNKNOWN *)&stm);
	if (SUCCEEDED(hr) && libpff_record_entry_seek_offset(entry, 0, SEEK_SET, &err) < 0) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
	}
	for (BOOL done = FALSE; SUCCEEDED(hr) && !done;) {
		ssize_t got = libpff_record_entry_read_buffer(entry, piece, PST_STREAM_PIECE, &err);
		if (got < 0) {
			pst_error_text(&err, why, nwhy);
			hr = MAPI_E_CORRUPT_DATA;
			break;
		}
		/* The value's size bounds the reads, whatever libpff goes on returning. */
		total += (size_t)got;
		if (total > size) {
			snprintf(why, nwhy, "property 0x%08X: more data than its size", (unsigned)tag);
			hr = MAPI_E_CORRUPT_DATA;
			break;
		}
		done = got == 0;
		const void *out = piece;
		size_t nout = (size_t)got;
		char *u8 = NULL;
		if (text8) {
			hr = pst_text_conv_run(&conv, piece, (size_t)got, done, &u8, &nout);
			out = u8;
		}
		if (SUCCEEDED(hr) && nout) {
			ULONG written = 0;
			hr = IStream_Write(stm, out, (ULONG)nout, &written);
			if (SUCCEEDED(hr) && written != nout)
				hr = MAPI_E_DISK_ERROR;
		}
		free(u8);
	}
	if (SUCCEEDED(hr))
		hr = IStream_Commit(stm, 0);
	if (stm)
		IStream_Release(stm);
	if (text8)
		pst_text_conv_close(&conv);
	free(piece);
	if (FAILED(hr) && !why[0])
		snprintf(why, nwhy, "property 0x%08X: %s", (unsigned)tag, MAPIXGetLastErrorText());
	return hr;
}

/* ---- one record set -------------------------------------------------------------------- */

static BOOL streamable(ULONG type)
{
	return type == PT_BINARY || type == PT_STRING8 || type == PT_UNICODE;
}

/* PST_STREAM_MIN, or MAPIX_TEST_PST_STREAM_MIN (a test hook: small files
 * then take the streaming path too). */
size_t pst_stream_min(void)
{
	static size_t min;
	if (!min) {
		const char *e = getenv("MAPIX_TEST_PST_STREAM_MIN");
		long v = e ? strtol(e, NULL, 10) : 0;
		min = v > 0 ? (size_t)v : PST_STREAM_MIN;
	}
	return min;
}

/* Reads one entry's type and raw bytes. Returns FALSE when libpff cannot. */
static BOOL entry_raw(libpff_record_entry_t *entry, ULONG *tag, BYTE **data, size_t *size, char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	uint32_t id = 0, type = 0;
	*data = NULL;
	*size = 0;
	if (libpff_record_entry_get_entry_type(entry, &id, &err) != 1 ||
	    libpff_record_entry_get_value_type(entry, &type, &err) != 1 ||
	    libpff_record_entry_get_data_size(entry, size, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		return FALSE;
	}
	*tag = PROP_TAG(type & 0xFFFF, id & 0xFFFF);
	if (*size == 0 || (*size >= pst_stream_min() && streamable(PROP_TYPE(*tag))))
		return TRUE; /* large values are streamed by the caller */
	*data = malloc(*size);
	if (!*data || libpff_record_entry_get_data(entry, *data, *size, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		free(*data);
		*data = NULL;
		return FALSE;
	}
	return TRUE;
}

/* The item's code page for 8-bit strings: PR_MESSAGE_CODEPAGE, else the file's. */
static int item_codepage(pst_import *pi, libpff_item_t *item)
{
	uint32_t cp = 0;
	if (pst_item_long(item, PROP_ID(PR_MESSAGE_CODEPAGE), &cp) && pst_codepage_name((int)cp))
		return (int)cp;
	return pi->codepage;
}

/* Reads record set `set` of item into a MAPIAllocateBuffer'd array. Large
 * values of streamable types are streamed into target when target is not
 * NULL, or read whole (rows) when it is. */
static HRESULT read_set(pst_import *pi, libpff_item_t *item, int set, pst_object_kind kind, int codepage,
                        LPMAPIPROP target, LPSPropValue *lppProps, ULONG *lpc, char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	libpff_record_set_t *rs = NULL;
	int n = 0;
	LPSPropValue props = NULL;
	ULONG count = 0;
	HRESULT hr = S_OK;

	*lppProps = NULL;
	*lpc = 0;
	if (libpff_item_get_record_set_by_index(item, set, &rs, &err) != 1 ||
	    libpff_record_set_get_number_of_entries(rs, &n, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
		goto out;
	}
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)((n > 0 ? n : 1) * sizeof(SPropValue)), (LPVOID *)&props)))
		goto out;
	for (int i = 0; i < n && SUCCEEDED(hr); i++) {
		libpff_record_entry_t *entry = NULL;
		ULONG tag = 0;
		BYTE *data = NULL;
		size_t size = 0;
		if (libpff_record_set_get_entry_by_index(rs, i, &entry, &err) != 1) {
			pst_error_text(&err, why, nwhy);
			hr = MAPI_E_CORRUPT_DATA;
			break;
		}
		if (!entry_raw(entry, &tag, &data, &size, why, nwhy)) {
			hr = MAPI_E_CORRUPT_DATA;
		} else if (!pst_prop_skipped(kind, tag)) {
			ULONG ttag = pst_target_tag(pi, entry, tag);
			if (PROP_ID(ttag) == PROP_ID_NULL) {
				/* a named property the file's map does not name: nothing to key it by */
			} else if (size >= pst_stream_min() && streamable(PROP_TYPE(tag))) {
				if (target)
					hr = stream_value(entry, ttag, size, codepage, target, why, nwhy);
				else if (!(data = malloc(size)) || libpff_record_entry_get_data(entry, data, size, &err) != 1) {
					pst_error_text(&err, why, nwhy);
					hr = MAPI_E_CORRUPT_DATA;
				} else if (pst_value_from_raw(ttag, data, size, codepage, props, &props[count]) == S_OK)
					count++;
			} else if (pst_value_from_raw(ttag, data, size, codepage, props, &props[count]) == S_OK) {
				/* (a value that does not fit its type is left out: the rest of the item still counts) */
				count++;
			}
		}
		free(data);
		libpff_record_entry_free(&entry, NULL);
	}
out:
	libpff_error_free(&err);
	if (rs)
		libpff_record_set_free(&rs, NULL);
	if (FAILED(hr)) {
		MAPIFreeBuffer(props);
		return hr;
	}
	*lppProps = props;
	*lpc = count;
	return S_OK;
}

HRESULT pst_rows_from_set(pst_import *pi, libpff_item_t *item, int set, int codepage, pst_object_kind kind,
                          LPSPropValue *lppProps, ULONG *lpcValues, char *why, size_t nwhy)
{
	return read_set(pi, item, set, kind, codepage, NULL, lppProps, lpcValues, why, nwhy);
}

HRESULT pst_copy_props(pst_import *pi, libpff_item_t *item, int set, pst_object_kind kind, LPMAPIPROP target,
                       const char *location, char *why, size_t nwhy)
{
	LPSPropValue props = NULL;
	ULONG count = 0;
	LPSPropProblemArray problems = NULL;
	HRESULT hr = read_set(pi, item, set, kind, item_codepage(pi, item), target, &props, &count, why, nwhy);
	if (FAILED(hr))
		return hr;
	if (count)
		hr = IMAPIProp_SetProps(target, count, props, &problems);
	if (FAILED(hr))
		snprintf(why, nwhy, "SetProps: %s", MAPIXGetLastErrorText());
	/* Single properties the store will not take: computed ones are
	 * expected (the store owns them); anything else is worth a word. */
	for (ULONG i = 0; problems && i < problems->cProblem; i++) {
		if (problems->aProblem[i].scode == MAPI_E_COMPUTED)
			continue;
		import_warn(pi->eng, location, "property 0x%08X not kept (error 0x%08X)", (unsigned)problems->aProblem[i].ulPropTag,
		            (unsigned)problems->aProblem[i].scode);
	}
	MAPIFreeBuffer(problems);
	MAPIFreeBuffer(props);
	return hr;
}
