/*
 * mime-tnef.c — winmail.dat (TNEF, MS-OXTNEF) to MAPI: the message and
 * attachment properties that Outlook packed into the stream (named
 * properties mapped through the target's GetIDsFromNames), the RTF body,
 * and the attachments. Parsing is libytnef's (behind mime-tnef.h); this
 * file only knows MAPI. Properties a store owns (entry IDs, sizes, keys)
 * are not copied.
 */
#include <string.h>

#include "core/error.h"
#include "mime/mime.h"
#include "mime/mime-tnef.h"

static BOOL store_owned(ULONG tag)
{
	switch (PROP_ID(tag)) {
	case PROP_ID(PR_ENTRYID):
	case PROP_ID(PR_RECORD_KEY):
	case PROP_ID(PR_INSTANCE_KEY):
	case PROP_ID(PR_STORE_ENTRYID):
	case PROP_ID(PR_STORE_RECORD_KEY):
	case PROP_ID(PR_STORE_SUPPORT_MASK):
	case PROP_ID(PR_PARENT_ENTRYID):
	case PROP_ID(PR_MESSAGE_SIZE):
	case PROP_ID(PR_OBJECT_TYPE):
	case PROP_ID(PR_ACCESS):
	case PROP_ID(PR_ACCESS_LEVEL):
	case PROP_ID(PR_HASATTACH):
	case PROP_ID(PR_MESSAGE_FLAGS):
	case PROP_ID(PR_MAPPING_SIGNATURE):
	case PROP_ID(PR_CREATION_TIME):
	case PROP_ID(PR_LAST_MODIFICATION_TIME):
	case PROP_ID(PR_ATTACH_NUM):
	case PROP_ID(PR_ATTACH_SIZE):
	case PROP_ID(PR_ATTACH_DATA_OBJ):
	case PROP_ID(PR_SUBJECT): /* the MIME headers are the authority for these */
	case PROP_ID(PR_SUBJECT_PREFIX):
	case PROP_ID(PR_NORMALIZED_SUBJECT):
		return TRUE;
	}
	return FALSE;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The target's tag for a named property of the stream. */
static ULONG named_tag(LPMESSAGE msg, LPMAPIPROP obj, const mapix_tnef_prop *p)
{
	MAPINAMEID name = {0};
	LPMAPINAMEID names[1] = {&name};
	LPSPropTagArray tags = NULL;
	GUID guid;
	WCHAR *wname = NULL;
	ULONG result = PR_NULL;

	memcpy(&guid, p->guid, sizeof guid);
	name.lpguid = &guid;
	if (p->name) {
		/* libytnef keeps one byte per UTF-16 unit of the name. */
		size_t n = p->name_size / 2;
		wname = g_new0(WCHAR, n + 1);
		for (size_t i = 0; i < n && p->name[i]; i++)
			wname[i] = p->name[i];
		name.ulKind = MNID_STRING;
		name.Kind.lpwstrName = wname;
	} else {
		name.ulKind = MNID_ID;
		name.Kind.lID = (LONG)p->lid;
	}
	if (IMAPIProp_GetIDsFromNames(obj, 1, names, MAPI_CREATE, &tags) == S_OK && tags->cValues == 1 &&
	    PROP_TYPE(tags->aulPropTag[0]) != PT_ERROR)
		result = PROP_TAG(PROP_TYPE(p->tag), PROP_ID(tags->aulPropTag[0]));
	if (tags)
		MAPIFreeBuffer(tags);
	g_free(wname);
	(void)msg;
	return result;
}

/* Sets one property of the stream on obj; problems become warnings. */
static HRESULT apply_prop(mapix_mime_import *ctx, LPMESSAGE msg, LPMAPIPROP obj, const mapix_tnef_prop *p)
{
	ULONG tag = p->tag;
	HRESULT hr = S_OK;

	if (p->count != 1 || !p->values || (!p->named && store_owned(tag)))
		return S_OK; /* multi-valued properties are not carried over yet */
	if (p->named && (tag = named_tag(msg, obj, p)) == PR_NULL) {
		mapix_mime_warn(ctx->warnings, "TNEF: named property could not be mapped");
		return S_OK;
	}
	const uint8_t *d = p->values[0].data;
	size_t n = p->values[0].size;
	SPropValue v = {.ulPropTag = tag};
	GUID guid;
	switch (PROP_TYPE(tag)) {
	case PT_I2:
		if (!d || n < 2)
			return S_OK;
		v.Value.i = (short)(d[0] | d[1] << 8);
		break;
	case PT_LONG:
	case PT_ERROR:
		if (!d || n < 4)
			return S_OK;
		v.Value.l = (LONG)(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24);
		break;
	case PT_BOOLEAN:
		if (!d || n < 2)
			return S_OK;
		v.Value.b = (unsigned short)((d[0] | d[1]) ? 1 : 0);
		break;
	case PT_R4: {
		if (!d || n < 4)
			return S_OK;
		uint32_t bits = d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
		memcpy(&v.Value.flt, &bits, 4);
		break;
	}
	case PT_DOUBLE:
	case PT_APPTIME: {
		if (!d || n < 8)
			return S_OK;
		uint64_t bits = le64(d);
		memcpy(&v.Value.dbl, &bits, 8);
		break;
	}
	case PT_I8:
	case PT_CURRENCY:
		if (!d || n < 8)
			return S_OK;
		v.Value.li.QuadPart = (LONGLONG)le64(d);
		break;
	case PT_SYSTIME:
		if (!d || n < 8)
			return S_OK;
		v.Value.ft = mapix_filetime_from_u64(le64(d));
		break;
	case PT_CLSID:
		if (!d || n < 16)
			return S_OK;
		memcpy(&guid, d, 16);
		v.Value.lpguid = &guid;
		break;
	case PT_STRING8: {
		/* 8-bit strings of Outlook are in the sender's ANSI code page;
		 * windows-1252 is the common case and decodes every byte. */
		size_t len = d ? strnlen((const char *)d, n) : 0;
		size_t outlen = 0;
		char *u = mapix_mime_to_utf8(len ? (const char *)d : "", len, "windows-1252", NULL, &outlen);
		hr = mapix_mime_set_utf8(obj, PROP_TAG(PT_UNICODE, PROP_ID(tag)), u, outlen);
		g_free(u);
		goto done;
	}
	case PT_UNICODE: {
		/* libytnef hands these over already converted to UTF-8. */
		size_t len = d ? strnlen((const char *)d, n) : 0;
		hr = mapix_mime_set_utf8(obj, tag, len ? (const char *)d : "", len);
		goto done;
	}
	case PT_BINARY:
		hr = mapix_mime_set_binary(obj, tag, d ? d : (const uint8_t *)"", d ? n : 0);
		goto done;
	default:
		return S_OK;
	}
	hr = mapix_mime_set_props(obj, 1, &v);
done:
	if (hr != S_OK && hr != MAPI_E_NOT_ENOUGH_MEMORY) {
		mapix_mime_warn(ctx->warnings, "TNEF: property 0x%08X could not be set", (unsigned)tag);
		hr = S_OK;
	}
	return hr;
}

static const mapix_tnef_prop *find(const mapix_tnef_prop *props, size_t n, ULONG tag)
{
	for (size_t i = 0; i < n; i++)
		if (!props[i].named && props[i].tag == tag && props[i].count >= 1)
			return &props[i];
	return NULL;
}

static HRESULT add_attachment(mapix_mime_import *ctx, LPMESSAGE msg, const mapix_tnef_attach *a)
{
	LPATTACH att = NULL;
	ULONG num = 0;
	HRESULT hr = IMessage_CreateAttach(msg, NULL, 0, &num, &att);

	for (size_t i = 0; hr == S_OK && i < a->nprops; i++)
		hr = apply_prop(ctx, msg, (LPMAPIPROP)att, &a->props[i]);
	const mapix_tnef_prop *method = find(a->props, a->nprops, PR_ATTACH_METHOD);
	LONG m = method && method->values[0].data && method->values[0].size >= 4 ? (LONG)method->values[0].data[0]
	                                                                            : (LONG)ATTACH_BY_VALUE;
	if (hr == S_OK && m != ATTACH_BY_VALUE) {
		/* Embedded messages and OLE objects of TNEF are nested streams
		 * mapix does not unpack yet: their bytes stay available. */
		mapix_mime_warn(ctx->warnings, "TNEF: attachment with method %ld kept as plain data", (long)m);
		hr = mapix_mime_set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
	} else if (hr == S_OK && !method) {
		hr = mapix_mime_set_long((LPMAPIPROP)att, PR_ATTACH_METHOD, ATTACH_BY_VALUE);
	}
	if (hr == S_OK && !find(a->props, a->nprops, PR_ATTACH_DATA_BIN))
		hr = mapix_mime_set_binary((LPMAPIPROP)att, PR_ATTACH_DATA_BIN, a->data.data ? a->data.data : (const uint8_t *)"",
		                           a->data.data ? a->data.size : 0);
	if (hr == S_OK && a->title.size && !find(a->props, a->nprops, PR_ATTACH_LONG_FILENAME_A) &&
	    !find(a->props, a->nprops, PR_ATTACH_LONG_FILENAME_W)) {
		size_t len = strnlen((const char *)a->title.data, a->title.size), outlen = 0;
		char *u = mapix_mime_to_utf8((const char *)a->title.data, len, "windows-1252", NULL, &outlen);
		hr = mapix_mime_set_utf8((LPMAPIPROP)att, PR_ATTACH_LONG_FILENAME_W, u, outlen);
		if (hr == S_OK)
			hr = mapix_mime_set_utf8((LPMAPIPROP)att, PR_DISPLAY_NAME_W, u, outlen);
		g_free(u);
	}
	if (hr == S_OK)
		hr = IAttach_SaveChanges(att, KEEP_OPEN_READWRITE);
	if (att)
		IAttach_Release(att);
	return hr;
}

HRESULT mapix_mime_import_tnef(mapix_mime_import *ctx, const BYTE *data, size_t len, LPMESSAGE msg)
{
	mapix_tnef t;
	HRESULT hr = S_OK;

	if (ctx->bodies_only)
		return S_OK;
	if (mapix_tnef_parse(data, len, &t) != 0)
		return mapix_error(MAPI_E_CORRUPT_DATA, "mapix_mime: the TNEF part is damaged");
	if (t.message_class[0] && !find(t.props, t.nprops, PR_MESSAGE_CLASS_A) &&
	    !find(t.props, t.nprops, PR_MESSAGE_CLASS_W))
		hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_MESSAGE_CLASS_W, t.message_class, strlen(t.message_class));
	for (size_t i = 0; hr == S_OK && i < t.nprops; i++)
		hr = apply_prop(ctx, msg, (LPMAPIPROP)msg, &t.props[i]);
	if (hr == S_OK && t.body.size && !find(t.props, t.nprops, PR_BODY_A) && !find(t.props, t.nprops, PR_BODY_W)) {
		size_t blen = strnlen((const char *)t.body.data, t.body.size), outlen = 0;
		char *u = mapix_mime_to_utf8((const char *)t.body.data, blen, "windows-1252", NULL, &outlen);
		hr = mapix_mime_set_utf8((LPMAPIPROP)msg, PR_BODY_W, u, outlen);
		g_free(u);
	}
	for (size_t i = 0; hr == S_OK && i < t.nattachments; i++)
		hr = add_attachment(ctx, msg, &t.attachments[i]);
	mapix_tnef_free(&t);
	return hr;
}
