/*
 * ab_resolve.c — IAddrBook::ResolveName. Every entry of the ADRLIST that
 * has no PR_ENTRYID yet is looked up by its PR_DISPLAY_NAME in the
 * containers of the search path (the Contacts folders, in order):
 *
 *   1. entries whose display name or address (or, in the GAL, SMTP
 *      address) equals it, ignoring case;
 *   2. failing that, entries where it starts the display name, a word of
 *      the display name, or an address (the "ambiguous name resolution"
 *      that Windows address book providers do);
 *   3. the first container (in search path order) with any candidate
 *      decides, as MAPI's walk over the search path does;
 *   4. failing all, a name that is an address ("a@b", "Name <a@b>",
 *      "[SMTP:a@b]") becomes a one-off entry, as the one-off provider does.
 *
 * One candidate resolves the entry: its properties replace the name
 * (PR_DISPLAY_NAME, PR_ADDRTYPE, PR_EMAIL_ADDRESS, PR_SMTP_ADDRESS,
 * PR_ENTRYID, PR_OBJECT_TYPE, PR_DISPLAY_TYPE, PR_SEARCH_KEY,
 * PR_RECORD_KEY); the entry's other properties (PR_RECIPIENT_TYPE...)
 * stay. Several leave the entry as it was, and so does none. Like Windows
 * without MAPI_DIALOG, the call then fails: MAPI_E_AMBIGUOUS_RECIP when any
 * entry was ambiguous, else MAPI_E_NOT_FOUND; the entries that did resolve
 * are resolved either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiutil.h>

#include "core/collation.h"
#include "core/error.h"
#include "subsystem/ab.h"

static BOOL match(const char *hay, const char *needle, ULONG how)
{
	return hay && mapix_collation_match(mapix_text_utf8(hay, strlen(hay)), mapix_text_utf8(needle, strlen(needle)),
	                                    how | FL_IGNORECASE);
}

static BOOL word_prefix(const char *name, const char *needle)
{
	for (const char *p = name; p && *p; p++)
		if ((p == name || p[-1] == ' ') && match(p, needle, FL_PREFIX))
			return TRUE;
	return FALSE;
}

/* "a@b", "Name <a@b>", "[SMTP:a@b]": the name and address, malloc'd. */
static BOOL as_address(const char *s, char **name, char **addr)
{
	size_t len = strlen(s);
	const char *lt = strrchr(s, '<');
	*name = *addr = NULL;
	if (len > 7 && s[0] == '[' && s[len - 1] == ']' && strncasecmp(s + 1, "SMTP:", 5) == 0) {
		*addr = strndup(s + 6, len - 7);
		*name = strdup(*addr ? *addr : "");
	} else if (lt && len && s[len - 1] == '>') {
		const char *end = lt;
		while (end > s && end[-1] == ' ')
			end--;
		*addr = strndup(lt + 1, (size_t)(s + len - 1 - (lt + 1)));
		*name = end > s ? strndup(s, (size_t)(end - s)) : strdup(*addr ? *addr : "");
	} else {
		*addr = strdup(s);
		*name = strdup(s);
	}
	const char *a = *addr;
	const char *at = a ? strchr(a, '@') : NULL;
	if (!*name || !a || !at || at == a || !at[1] || strpbrk(a, " <>[]")) {
		free(*name);
		free(*addr);
		return FALSE;
	}
	return TRUE;
}

/* The entry's PR_DISPLAY_NAME as UTF-8 (malloc'd), and whether it has
 * PR_ENTRYID already. */
static char *display_name(const ADRENTRY *e, BOOL *resolved)
{
	char *out = NULL;
	*resolved = FALSE;
	for (ULONG i = 0; i < e->cValues; i++) {
		const SPropValue *v = &e->rgPropVals[i];
		if (v->ulPropTag == PR_ENTRYID && v->Value.bin.cb) {
			*resolved = TRUE;
		} else if (v->ulPropTag == PR_DISPLAY_NAME_A && v->Value.lpszA && !out) {
			out = strdup(v->Value.lpszA);
		} else if (v->ulPropTag == PR_DISPLAY_NAME_W && v->Value.lpszW && !out) {
			size_t n = mapix_wcslen(v->Value.lpszW), need = mapix_utf16_to_utf8_buf(v->Value.lpszW, n, NULL, 0);
			if ((out = malloc(need + 1)))
				mapix_utf16_to_utf8_buf(v->Value.lpszW, n, out, need + 1);
		}
	}
	return out;
}

/* Replaces the entry's properties by props plus the ones it had that
 * props does not have. */
static HRESULT replace(ADRENTRY *e, ULONG n, const SPropValue *props)
{
	ULONG keep = 0;
	for (ULONG i = 0; i < e->cValues; i++) {
		BOOL dup = FALSE;
		for (ULONG k = 0; k < n && !dup; k++)
			dup = PROP_ID(props[k].ulPropTag) == PROP_ID(e->rgPropVals[i].ulPropTag);
		keep += !dup;
	}
	SPropValue *all = malloc((n + keep) * sizeof *all);
	if (!all)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ResolveName: out of memory");
	memcpy(all, props, n * sizeof *props);
	ULONG m = n;
	for (ULONG i = 0; i < e->cValues; i++) {
		BOOL dup = FALSE;
		for (ULONG k = 0; k < n && !dup; k++)
			dup = PROP_ID(props[k].ulPropTag) == PROP_ID(e->rgPropVals[i].ulPropTag);
		if (!dup)
			all[m++] = e->rgPropVals[i];
	}
	ULONG cb = 0;
	LPSPropValue copy = NULL;
	HRESULT hr = ScCountProps((int)m, all, &cb);
	if (SUCCEEDED(hr))
		hr = MAPIAllocateBuffer(cb, (LPVOID *)&copy);
	if (SUCCEEDED(hr))
		hr = ScCopyProps((int)m, all, copy, NULL);
	free(all);
	if (FAILED(hr)) {
		MAPIFreeBuffer(copy);
		return hr;
	}
	MAPIFreeBuffer(e->rgPropVals);
	e->rgPropVals = copy;
	e->cValues = m;
	return S_OK;
}

/* The entries of every container, read once per call. */
typedef struct container_entries {
	ab_entry *e;
	ULONG n;
} container_entries;

/* Candidates for `name` in one container: exact first, then prefix. */
static ULONG candidates(const container_entries *c, const char *name, ULONG *hits)
{
	ULONG nh = 0;
	for (ULONG k = 0; k < c->n; k++)
		if (match(c->e[k].name, name, FL_FULLSTRING) || match(c->e[k].address, name, FL_FULLSTRING) ||
		    match(c->e[k].smtp, name, FL_FULLSTRING))
			hits[nh++] = k;
	if (!nh)
		for (ULONG k = 0; k < c->n; k++)
			if (word_prefix(c->e[k].name, name) || match(c->e[k].address, name, FL_PREFIX) ||
			    match(c->e[k].smtp, name, FL_PREFIX))
				hits[nh++] = k;
	return nh;
}

HRESULT mapix_ab_resolve(ab_book *ab, ULONG flags, LPADRLIST list)
{
	const ULONG known = MAPI_DIALOG | MAPI_UNICODE | 0x00000001 /* EMS_AB_ADDRESS_LOOKUP */;
	if (!list)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IAddrBook::ResolveName: lpAdrList is NULL");
	if (flags & ~known)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IAddrBook::ResolveName: unknown flags 0x%08X",
		                   (unsigned)(flags & ~known));
	BOOL unicode = (flags & MAPI_UNICODE) != 0;
	container_entries *c = calloc(ab->nfolders ? ab->nfolders : 1, sizeof *c);
	ULONG most = 0;
	HRESULT hr = c ? S_OK : mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ResolveName: out of memory");
	for (ULONG f = 0; c && f < ab->nfolders; f++) {
		if (FAILED(mapix_ab_folder_entries(&ab->folders[f], &c[f].e, &c[f].n))) {
			mapix_error_clear(); /* an unreadable container resolves nothing */
			c[f].e = NULL;
			c[f].n = 0;
		}
		if (c[f].n > most)
			most = c[f].n;
	}
	ULONG ambiguous = 0, unresolved = 0;
	ULONG *hits = malloc((most ? most : 1) * sizeof *hits);
	if (!hits && SUCCEEDED(hr))
		hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "ResolveName: out of memory");
	for (ULONG i = 0; i < list->cEntries && SUCCEEDED(hr); i++) {
		ADRENTRY *e = &list->aEntries[i];
		if (!e->rgPropVals || !e->cValues)
			continue;
		BOOL resolved;
		char *name = display_name(e, &resolved);
		if (resolved || !name) {
			free(name);
			unresolved += !resolved;
			continue;
		}
		/* The search path in order: the first container with a
		 * candidate decides, as MAPI's walk over the containers does. */
		ULONG nh = 0, f = 0;
		for (; f < ab->nfolders && !nh; f++)
			nh = candidates(&c[f], name, hits);
		ULONG np = 0;
		LPSPropValue props = NULL;
		char *oname, *oaddr;
		if (nh == 1) {
			const ab_entry *x = &c[f - 1].e[hits[0]];
			hr = mapix_ab_user_props(x->name, x->adrtype, x->address, x->smtp, &x->eid, x->display_type, unicode, &np,
			                         &props);
		} else if (nh > 1) {
			ambiguous++;
		} else if (as_address(name, &oname, &oaddr)) {
			SBinary eid;
			hr = mapix_oneoff_build(oname, "SMTP", oaddr, MAPI_ONE_OFF_UNICODE | MAPI_ONE_OFF_NO_RICH_INFO, NULL, &eid);
			if (SUCCEEDED(hr)) {
				hr = mapix_ab_user_props(oname, "SMTP", oaddr, NULL, &eid, DT_MAILUSER, unicode, &np, &props);
				MAPIFreeBuffer(eid.lpb);
			}
			free(oname);
			free(oaddr);
		} else {
			unresolved++;
		}
		if (SUCCEEDED(hr) && props)
			hr = replace(e, np, props);
		MAPIFreeBuffer(props);
		free(name);
	}
	free(hits);
	for (ULONG f = 0; c && f < ab->nfolders; f++)
		mapix_ab_entries_free(c[f].e, c[f].n);
	free(c);
	if (FAILED(hr))
		return hr;
	if (ambiguous)
		return mapix_error(MAPI_E_AMBIGUOUS_RECIP, "IAddrBook::ResolveName: %u name%s match more than one entry",
		                   (unsigned)ambiguous, ambiguous == 1 ? "" : "s");
	if (unresolved)
		return mapix_error(MAPI_E_NOT_FOUND, "IAddrBook::ResolveName: %u name%s match no entry", (unsigned)unresolved,
		                   unresolved == 1 ? "" : "s");
	return S_OK;
}

/*
 * IAddrBook::PrepareRecips: every entry that has a PR_ENTRYID gets the
 * properties lpPropTagArray names, read from the entry it names, first and
 * in that order; its other properties follow (MAPI's rule: the caller's
 * columns lead). Entries without an entry ID are left alone. An entry ID no
 * container owns fails the call with the error OpenEntry gives.
 */
HRESULT mapix_ab_prepare(ab_book *ab, ULONG flags, LPSPropTagArray tags, LPADRLIST list)
{
	if (!list)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "IAddrBook::PrepareRecips: lpRecipList is NULL");
	if (flags & ~(ULONG)MAPI_CACHE_ONLY)
		return mapix_error(MAPI_E_UNKNOWN_FLAGS, "IAddrBook::PrepareRecips: unknown flags 0x%08X",
		                   (unsigned)(flags & ~(ULONG)MAPI_CACHE_ONLY));
	HRESULT hr = S_OK;
	for (ULONG i = 0; i < list->cEntries && SUCCEEDED(hr); i++) {
		ADRENTRY *e = &list->aEntries[i];
		const SPropValue *eid = NULL;
		for (ULONG k = 0; k < e->cValues && e->rgPropVals; k++)
			if (e->rgPropVals[k].ulPropTag == PR_ENTRYID)
				eid = &e->rgPropVals[k];
		if (!eid || !tags || !tags->cValues)
			continue;
		ULONG type;
		LPMAPIPROP obj = NULL;
		hr = ab->iface.lpVtbl->OpenEntry(&ab->iface, eid->Value.bin.cb, (LPENTRYID)eid->Value.bin.lpb, NULL, 0, &type,
		                                 (LPUNKNOWN *)&obj);
		if (FAILED(hr))
			break;
		ULONG n = 0;
		LPSPropValue v = NULL;
		hr = obj->lpVtbl->GetProps(obj, tags, 0, &n, &v);
		obj->lpVtbl->Release(obj);
		if (FAILED(hr))
			break;
		/* Properties the entry lacks keep the value the recipient had. */
		for (ULONG k = 0; k < n; k++)
			if (PROP_TYPE(v[k].ulPropTag) == PT_ERROR)
				for (ULONG j = 0; j < e->cValues; j++)
					if (PROP_ID(e->rgPropVals[j].ulPropTag) == PROP_ID(v[k].ulPropTag))
						v[k] = e->rgPropVals[j];
		hr = replace(e, n, v);
		MAPIFreeBuffer(v);
	}
	return hr == MAPI_W_ERRORS_RETURNED ? S_OK : hr;
}
