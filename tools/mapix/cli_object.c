/*
 * cli_object.c — finding things in a mailbox from the command line: folder
 * paths ("Inbox/Projects" from the IPM subtree, "/" and "/Finder" from the
 * root, names without regard to case) and entry IDs given in hex.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiutil.h>
#include <mapix/mapitags.h>

#include "cli.h"

BOOL cli_parse_hex(const char *hex, ULONG *lpcb, LPBYTE *lppb)
{
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > 65536)
		return FALSE;
	LPBYTE b;
	if (MAPIAllocateBuffer((ULONG)(n / 2), (LPVOID *)&b) != S_OK)
		return FALSE;
	for (size_t i = 0; i < n; i += 2) {
		int hi = (unsigned char)hex[i], lo = (unsigned char)hex[i + 1];
		if (!isxdigit(hi) || !isxdigit(lo)) {
			MAPIFreeBuffer(b);
			return FALSE;
		}
		hi = isdigit(hi) ? hi - '0' : tolower(hi) - 'a' + 10;
		lo = isdigit(lo) ? lo - '0' : tolower(lo) - 'a' + 10;
		b[i / 2] = (BYTE)(hi << 4 | lo);
	}
	*lpcb = (ULONG)(n / 2);
	*lppb = b;
	return TRUE;
}

HRESULT cli_open_entry(LPMDB mdb, ULONG cb, LPENTRYID eid, ULONG *lpulObjType, LPUNKNOWN *lppUnk)
{
	return IMsgStore_OpenEntry(mdb, cb, eid, NULL, 0, lpulObjType, lppUnk);
}

/* The next path component of *pp (a malloc'd, unescaped copy), or NULL at the
 * end; empty components are skipped. */
static char *next_component(const char **pp)
{
	const char *s = *pp;
	while (*s == '/')
		s++;
	if (!*s) {
		*pp = s;
		return NULL;
	}
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	while (*s && *s != '/') {
		if (*s == '\\' && (s[1] == '/' || s[1] == '\\'))
			s++;
		*o++ = *s++;
	}
	*o = 0;
	*pp = s;
	return out;
}

/* Opens the child of folder called name (compared ignoring case); S_OK with
 * *lppChild NULL when there is none. */
static HRESULT open_child(LPMDB mdb, LPMAPIFOLDER folder, const char *name, LPMAPIFOLDER *lppChild)
{
	static const SizedSPropTagArray(2, cols) = {2, {PR_DISPLAY_NAME_W, PR_ENTRYID}};
	LPMAPITABLE table = NULL;
	LPSRowSet rows = NULL;
	HRESULT hr;
	*lppChild = NULL;
	if (FAILED(hr = IMAPIFolder_GetHierarchyTable(folder, MAPI_UNICODE, &table)))
		return hr;
	hr = HrQueryAllRows(table, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows);
	IMAPITable_Release(table);
	if (FAILED(hr))
		return hr;
	for (ULONG i = 0; i < rows->cRows && !*lppChild; i++) {
		const SPropValue *dn = &rows->aRow[i].lpProps[0], *eid = &rows->aRow[i].lpProps[1];
		if (PROP_TYPE(dn->ulPropTag) != PT_UNICODE || PROP_TYPE(eid->ulPropTag) != PT_BINARY)
			continue;
		char utf8[1024];
		size_t need = mapix_utf16_to_utf8_buf(dn->Value.lpszW, mapix_wcslen(dn->Value.lpszW), utf8, sizeof utf8);
		if (need >= sizeof utf8)
			continue;
		if (mapix_collate_utf8(utf8, need, name, strlen(name), FL_IGNORECASE) != 0)
			continue;
		ULONG type = 0;
		hr = IMsgStore_OpenEntry(mdb, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, 0, &type,
		                         (LPUNKNOWN *)lppChild);
		if (FAILED(hr))
			break;
	}
	FreeProws(rows);
	return hr;
}

HRESULT cli_open_folder(LPMDB mdb, const char *mailbox, const char *path, LPMAPIFOLDER *lppFolder)
{
	LPMAPIFOLDER folder = NULL;
	ULONG type = 0;
	HRESULT hr;
	const char *p = path;
	*lppFolder = NULL;
	if (*p == '/') {
		hr = IMsgStore_OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&folder);
	} else {
		LPSPropValue subtree = NULL;
		hr = HrGetOneProp((LPMAPIPROP)mdb, PR_IPM_SUBTREE_ENTRYID, &subtree);
		if (SUCCEEDED(hr))
			hr = IMsgStore_OpenEntry(mdb, subtree->Value.bin.cb, (LPENTRYID)subtree->Value.bin.lpb, NULL, 0,
			                         &type, (LPUNKNOWN *)&folder);
		MAPIFreeBuffer(subtree);
	}
	if (FAILED(hr)) {
		cli_fail(mailbox, hr);
		return hr;
	}
	/* What has been walked so far, for the error message. */
	size_t done = 0;
	for (;;) {
		char *name = next_component(&p);
		if (!name)
			break;
		LPMAPIFOLDER child = NULL;
		hr = open_child(mdb, folder, name, &child);
		IMAPIFolder_Release(folder);
		folder = child;
		if (FAILED(hr)) {
			free(name);
			cli_fail(mailbox, hr);
			return hr;
		}
		if (!child) {
			if (done)
				cli_error("%s: no folder '%s' in '%.*s'", mailbox, name, (int)done, path);
			else
				cli_error("%s: no folder '%s'%s", mailbox, name,
				          *path == '/' ? " in the root folder" : " in the IPM subtree");
			free(name);
			return MAPI_E_NOT_FOUND;
		}
		free(name);
		done = (size_t)(p - path);
	}
	*lppFolder = folder;
	return S_OK;
}
