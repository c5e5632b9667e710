/*
 * import_pst_content.c — one PST message onto a MAPI message: its
 * properties, its recipient table (ModifyRecipients rows, one per record
 * set of libpff's recipients item) and its attachments: by value (the data
 * streamed through PR_ATTACH_DATA_BIN), embedded messages (copied the same
 * way, recursively, into OpenProperty(PR_ATTACH_DATA_OBJ, IID_IMessage)),
 * by reference and OLE (their properties only: the path or the object
 * storage they name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>

#include "import_pst_walk.h"

/* ---- recipients ------------------------------------------------------------------------- */

static HRESULT copy_recipients(pst_import *pi, libpff_item_t *item, LPMESSAGE target, const char *location,
                               char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	libpff_item_t *recips = NULL;
	int sets = 0;
	LPADRLIST rows = NULL;
	HRESULT hr = S_OK;
	uint32_t cp = 0;
	int codepage = pst_item_long(item, PROP_ID(PR_MESSAGE_CODEPAGE), &cp) && pst_codepage_name((int)cp)
	                   ? (int)cp
	                   : pi->codepage;

	int r = libpff_message_get_recipients(item, &recips, &err);
	if (r == 0)
		return S_OK; /* no recipient table: none */
	if (r != 1 || libpff_item_get_number_of_record_sets(recips, &sets, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
		goto out;
	}
	if (sets <= 0)
		goto out;
	if (FAILED(hr = MAPIAllocateBuffer((ULONG)CbNewADRLIST(sets), (LPVOID *)&rows)))
		goto out;
	rows->cEntries = 0;
	for (int s = 0; s < sets; s++) {
		LPSPropValue props = NULL;
		ULONG n = 0;
		if (FAILED(hr = pst_rows_from_set(pi, recips, s, codepage, PST_OBJ_RECIPIENT, &props, &n, why, nwhy)))
			goto out;
		/* An empty entry ID says "no address book entry": leave it out. */
		ULONG k = 0;
		for (ULONG i = 0; i < n; i++)
			if (!(PROP_TYPE(props[i].ulPropTag) == PT_BINARY && props[i].Value.bin.cb == 0 &&
			      PROP_ID(props[i].ulPropTag) == PROP_ID(PR_ENTRYID)))
				props[k++] = props[i];
		if (k == 0) {
			MAPIFreeBuffer(props);
			continue;
		}
		rows->aEntries[rows->cEntries].cValues = k;
		rows->aEntries[rows->cEntries].rgPropVals = props;
		rows->cEntries++;
	}
	/* A recipient table the store will not take costs the recipients, not
	 * the item: a warning, and the rest is copied. */
	if (rows->cEntries && FAILED(IMessage_ModifyRecipients(target, MODRECIP_ADD, rows)))
		import_warn(pi->eng, location, "recipients not kept: %s", MAPIXGetLastErrorText());
out:
	if (rows) {
		for (ULONG i = 0; i < rows->cEntries; i++)
			MAPIFreeBuffer(rows->aEntries[i].rgPropVals);
		MAPIFreeBuffer(rows);
	}
	libpff_error_free(&err);
	if (recips)
		libpff_item_free(&recips, NULL);
	return hr;
}

/* ---- attachments ---------------------------------------------------------------------- */

/* By value: the bytes through a stream, piece by piece. */
static HRESULT attach_data(libpff_item_t *att, LPATTACH target, char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	LPSTREAM stm = NULL;
	BYTE *piece = malloc(PST_STREAM_PIECE);
	HRESULT hr = piece ? S_OK : MAPI_E_NOT_ENOUGH_MEMORY;
	size64_t size = 0;

	if (SUCCEEDED(hr) && libpff_attachment_get_data_size(att, &size, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
	}
	if (SUCCEEDED(hr) && size > 0 && libpff_attachment_data_seek_offset(att, 0, SEEK_SET, &err) < 0) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
	}
	if (SUCCEEDED(hr))
		hr = IAttach_OpenProperty(target, PR_ATTACH_DATA_BIN, &IID_IStream, 0, MAPI_CREATE | MAPI_MODIFY,
		                          (LPUNKNOWN *)&stm);
	for (size64_t done = 0; SUCCEEDED(hr) && done < size;) {
		size_t want = (size - done) < PST_STREAM_PIECE ? (size_t)(size - done) : PST_STREAM_PIECE;
		ssize_t got = libpff_attachment_data_read_buffer(att, piece, want, &err);
		if (got <= 0) {
			if (got < 0)
				pst_error_text(&err, why, nwhy);
			else
				snprintf(why, nwhy, "attachment data ends after %llu of %llu bytes", (unsigned long long)done,
				         (unsigned long long)size);
			hr = MAPI_E_CORRUPT_DATA;
			break;
		}
		ULONG written = 0;
		hr = IStream_Write(stm, piece, (ULONG)got, &written);
		if (SUCCEEDED(hr) && written != (ULONG)got)
			hr = MAPI_E_DISK_ERROR;
		done += (size64_t)got;
	}
	if (SUCCEEDED(hr))
		hr = IStream_Commit(stm, 0);
	if (stm)
		IStream_Release(stm);
	free(piece);
	if (FAILED(hr) && !why[0])
		snprintf(why, nwhy, "attachment data: %s", MAPIXGetLastErrorText());
	return hr;
}

/* An embedded message: the same copy, one level deeper. */
static HRESULT attach_item(pst_import *pi, libpff_item_t *att, LPATTACH target, int depth, const char *location,
                           char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	libpff_item_t *sub = NULL;
	LPMESSAGE emb = NULL;
	HRESULT hr;
	int r = libpff_attachment_get_item(att, &sub, &err);
	if (r != 1) {
		pst_error_text(&err, why, nwhy);
		if (!why[0])
			snprintf(why, nwhy, "embedded message missing");
		return MAPI_E_CORRUPT_DATA;
	}
	hr = IAttach_OpenProperty(target, PR_ATTACH_DATA_OBJ, &IID_IMessage, 0, MAPI_CREATE | MAPI_MODIFY,
	                          (LPUNKNOWN *)&emb);
	if (FAILED(hr))
		snprintf(why, nwhy, "embedded message: %s", MAPIXGetLastErrorText());
	if (SUCCEEDED(hr))
		hr = pst_copy_message(pi, sub, emb, depth + 1, location, why, nwhy);
	if (SUCCEEDED(hr) && FAILED(hr = IMessage_SaveChanges(emb, 0)))
		snprintf(why, nwhy, "embedded message: %s", MAPIXGetLastErrorText());
	if (emb)
		IMessage_Release(emb);
	libpff_item_free(&sub, NULL);
	return hr;
}

static HRESULT copy_attachment(pst_import *pi, libpff_item_t *att, LPMESSAGE target, int depth,
                               const char *location, char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	LPATTACH a = NULL;
	ULONG num = 0;
	int type = 0;
	HRESULT hr = IMessage_CreateAttach(target, NULL, 0, &num, &a);
	if (FAILED(hr)) {
		snprintf(why, nwhy, "CreateAttach: %s", MAPIXGetLastErrorText());
		return hr;
	}
	hr = pst_copy_props(pi, att, 0, PST_OBJ_ATTACHMENT, (LPMAPIPROP)a, location, why, nwhy);
	if (SUCCEEDED(hr) && libpff_attachment_get_type(att, &type, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		hr = MAPI_E_CORRUPT_DATA;
	}
	if (SUCCEEDED(hr)) {
		if (type == LIBPFF_ATTACHMENT_TYPE_DATA)
			hr = attach_data(att, a, why, nwhy);
		else if (type == LIBPFF_ATTACHMENT_TYPE_ITEM)
			hr = attach_item(pi, att, a, depth, location, why, nwhy);
		/* LIBPFF_ATTACHMENT_TYPE_REFERENCE: the path properties say it all. */
	}
	if (SUCCEEDED(hr) && FAILED(hr = IAttach_SaveChanges(a, 0)))
		snprintf(why, nwhy, "attachment: %s", MAPIXGetLastErrorText());
	IAttach_Release(a);
	return hr;
}

static HRESULT copy_attachments(pst_import *pi, libpff_item_t *item, LPMESSAGE target, int depth,
                                const char *location, char *why, size_t nwhy)
{
	libpff_error_t *err = NULL;
	int n = 0;
	HRESULT hr = S_OK;
	if (libpff_message_get_number_of_attachments(item, &n, &err) != 1) {
		pst_error_text(&err, why, nwhy);
		return MAPI_E_CORRUPT_DATA;
	}
	for (int i = 0; i < n && SUCCEEDED(hr); i++) {
		libpff_item_t *att = NULL;
		if (libpff_message_get_attachment(item, i, &att, &err) != 1) {
			pst_error_text(&err, why, nwhy);
			return MAPI_E_CORRUPT_DATA;
		}
		hr = copy_attachment(pi, att, target, depth, location, why, nwhy);
		libpff_item_free(&att, NULL);
	}
	return hr;
}

HRESULT pst_copy_message(pst_import *pi, libpff_item_t *item, LPMESSAGE target, int depth, const char *location,
                         char *why, size_t nwhy)
{
	if (depth > PST_MAX_DEPTH) {
		snprintf(why, nwhy, "embedded messages nest deeper than %d levels", PST_MAX_DEPTH);
		return MAPI_E_CORRUPT_DATA;
	}
	HRESULT hr = pst_copy_props(pi, item, 0, PST_OBJ_MESSAGE, (LPMAPIPROP)target, location, why, nwhy);
	if (SUCCEEDED(hr))
		hr = copy_recipients(pi, item, target, location, why, nwhy);
	if (SUCCEEDED(hr))
		hr = copy_attachments(pi, item, target, depth, location, why, nwhy);
	return hr;
}
