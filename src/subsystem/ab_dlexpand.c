/*
 * ab_dlexpand.c — expanding a personal distribution list into the
 * addresses it reaches: nested lists depth first in member order, each
 * address once, a list that contains itself (directly or further down)
 * reported once and not followed again, and a member that no longer
 * resolves (deleted contact, emptied address) given by the one-off entry
 * ID the list keeps beside it — or reported and skipped when there is none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "core/error.h"
#include "subsystem/ab.h"

typedef struct eid_set {
	SBinary *v;
	size_t n, cap;
} eid_set;

typedef struct expander {
	LPMDB mdb;
	MAPIX_DL_EXPAND_CALLBACK *fn;
	void *ctx;
	eid_set stack;    /* lists being expanded (the current path) */
	eid_set done;     /* lists fully expanded */
	eid_set cycles;   /* lists already reported as cycles */
	char **seen;      /* "adrtype:address" given so far */
	size_t nseen, capseen;
	unsigned depth;
} expander;

#define MAX_DEPTH 64

static BOOL set_has(const eid_set *s, ULONG cb, const BYTE *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].cb == cb && memcmp(s->v[i].lpb, p, cb) == 0)
			return TRUE;
	return FALSE;
}

static HRESULT set_add(eid_set *s, ULONG cb, const BYTE *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		SBinary *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_dl_expand: out of memory");
		s->v = v;
		s->cap = cap;
	}
	BYTE *copy = malloc(cb ? cb : 1);
	if (!copy)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_dl_expand: out of memory");
	memcpy(copy, p, cb);
	s->v[s->n].cb = cb;
	s->v[s->n++].lpb = copy;
	return S_OK;
}

static void set_free(eid_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].lpb);
	free(s->v);
}

/* Gives one address, or reports it as a duplicate. */
static HRESULT emit(expander *x, enum mapix_dl_event ev, const char *name, const char *type, const char *addr,
                    const char *list)
{
	size_t need = strlen(type) + strlen(addr) + 2;
	char *key = malloc(need);
	if (!key)
		return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_dl_expand: out of memory");
	snprintf(key, need, "%s:%s", type, addr);
	for (size_t i = 0; i < x->nseen; i++)
		if (strcasecmp(x->seen[i], key) == 0) {
			free(key);
			x->fn(x->ctx, MAPIX_DL_DUPLICATE, name, type, addr, list);
			return S_OK;
		}
	if (x->nseen == x->capseen) {
		size_t cap = x->capseen ? 2 * x->capseen : 16;
		char **s = realloc(x->seen, cap * sizeof *s);
		if (!s) {
			free(key);
			return mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_dl_expand: out of memory");
		}
		x->seen = s;
		x->capseen = cap;
	}
	x->seen[x->nseen++] = key;
	x->fn(x->ctx, ev, name, type, addr, list);
	return S_OK;
}

/* A member given by its one-off: as a recipient (ev) when it carries an
 * address, else reported as unresolved under `fallback_name`. */
static HRESULT from_oneoff(expander *x, enum mapix_dl_event ev, const SBinary *oneoff, const char *fallback_name,
                           const char *list)
{
	MAPIX_ONEOFF o;
	if (oneoff->cb && SUCCEEDED(mapix_oneoff_parse(oneoff->cb, oneoff->lpb, NULL, &o))) {
		HRESULT hr = S_OK;
		if (*o.lpszAddress)
			hr = emit(x, ev, o.lpszName, o.lpszAdrType, o.lpszAddress, list);
		else
			x->fn(x->ctx, MAPIX_DL_UNRESOLVED, *o.lpszName ? o.lpszName : fallback_name, o.lpszAdrType, "", list);
		MAPIFreeBuffer(o.lpszName);
		return hr;
	}
	mapix_error_clear();
	x->fn(x->ctx, MAPIX_DL_UNRESOLVED, fallback_name, "", "", list);
	return S_OK;
}

/* A contact's EmailN: its display name (or the contact's), type and address. */
static HRESULT contact_address(expander *x, ULONG cb, const BYTE *eid, ULONG n, char **name, char **type,
                               char **addr)
{
	ULONG objtype;
	LPMAPIPROP contact = NULL;
	HRESULT hr = x->mdb->lpVtbl->OpenEntry(x->mdb, cb, (LPENTRYID)eid, NULL, 0, &objtype, (LPUNKNOWN *)&contact);
	if (FAILED(hr))
		return hr;
	ULONG base = MAPIX_LID_EMAIL1_DISPLAY_NAME + 0x10 * (n - 1);
	ULONG lids[3] = {base, base + 2, base + 3}, types[3] = {PT_UNICODE, PT_UNICODE, PT_UNICODE}, tags[4];
	if (SUCCEEDED(hr = mapix_ab_named_tags(contact, 3, lids, types, FALSE, tags))) {
		tags[3] = PR_DISPLAY_NAME_W;
		SizedSPropTagArray(4, cols) = {4, {tags[0], tags[1], tags[2], tags[3]}};
		ULONG cv;
		LPSPropValue v = NULL;
		if (SUCCEEDED(hr = contact->lpVtbl->GetProps(contact, (LPSPropTagArray)&cols, 0, &cv, &v))) {
			const WCHAR *w[3];
			w[0] = PROP_TYPE(v[0].ulPropTag) == PT_UNICODE ? v[0].Value.lpszW
			       : PROP_TYPE(v[3].ulPropTag) == PT_UNICODE ? v[3].Value.lpszW
			                                                 : u"";
			w[1] = PROP_TYPE(v[1].ulPropTag) == PT_UNICODE ? v[1].Value.lpszW : u"SMTP";
			w[2] = PROP_TYPE(v[2].ulPropTag) == PT_UNICODE ? v[2].Value.lpszW : NULL;
			if (!w[2] || !*w[2])
				hr = mapix_error(MAPI_E_NOT_FOUND, "contact has no Email%u address", (unsigned)n);
			char **out[3] = {name, type, addr};
			for (int i = 0; i < 3 && SUCCEEDED(hr); i++) {
				size_t len = mapix_utf16_to_utf8_buf(w[i], mapix_wcslen(w[i]), NULL, 0);
				if (!(*out[i] = malloc(len + 1)))
					hr = mapix_error(MAPI_E_NOT_ENOUGH_MEMORY, "mapix_dl_expand: out of memory");
				else
					mapix_utf16_to_utf8_buf(w[i], mapix_wcslen(w[i]), *out[i], len + 1);
			}
			MAPIFreeBuffer(v);
		}
	}
	contact->lpVtbl->Release(contact);
	return hr;
}

static HRESULT expand_list(expander *x, ULONG cb, const BYTE *eid, const char *parent_name);

static HRESULT expand_member(expander *x, const MAPIX_DL_MEMBER *m, const char *list)
{
	const SBinary *eid = &m->member;
	if (mapix_is_oneoff(eid->cb, eid->lpb))
		return from_oneoff(x, MAPIX_DL_RECIPIENT, eid, "(one-off)", list);
	BYTE type;
	ULONG cbi;
	const BYTE *inner;
	if (FAILED(mapix_wrapped_eid_parse(eid->cb, eid->lpb, &type, &cbi, &inner))) {
		mapix_error_clear();
		return from_oneoff(x, MAPIX_DL_FALLBACK, &m->oneoff, "(unknown member)", list);
	}
	switch (type & 0x0F) {
	case MAPIX_WRAPPED_ONEOFF: {
		SBinary in = {cbi, (LPBYTE)inner};
		return from_oneoff(x, MAPIX_DL_RECIPIENT, &in, "(one-off)", list);
	}
	case MAPIX_WRAPPED_CONTACT: {
		ULONG idx = (type >> 4) & 7;
		char *name = NULL, *atype = NULL, *addr = NULL;
		HRESULT hr = idx >= 4 && idx <= 6 ? contact_address(x, cbi, inner, idx - 3, &name, &atype, &addr)
		                                  : MAPI_E_NO_SUPPORT; /* fax numbers are not mail addresses */
		if (SUCCEEDED(hr))
			hr = emit(x, MAPIX_DL_RECIPIENT, name, atype, addr, list);
		else if (hr == MAPI_E_NOT_ENOUGH_MEMORY)
			;
		else {
			mapix_error_clear();
			hr = from_oneoff(x, MAPIX_DL_FALLBACK, &m->oneoff, "(deleted contact)", list);
		}
		free(name);
		free(atype);
		free(addr);
		return hr;
	}
	case MAPIX_WRAPPED_DISTLIST: {
		if (set_has(&x->stack, cbi, inner)) {
			if (!set_has(&x->cycles, cbi, inner)) {
				MAPIX_ONEOFF o;
				BOOL named = m->oneoff.cb && SUCCEEDED(mapix_oneoff_parse(m->oneoff.cb, m->oneoff.lpb, NULL, &o));
				x->fn(x->ctx, MAPIX_DL_CYCLE, named ? o.lpszName : "(list)", "MAPIPDL", "", list);
				if (named)
					MAPIFreeBuffer(o.lpszName);
				mapix_error_clear();
				return set_add(&x->cycles, cbi, inner);
			}
			return S_OK;
		}
		if (set_has(&x->done, cbi, inner))
			return S_OK; /* every address it has was given already */
		HRESULT hr = expand_list(x, cbi, inner, list);
		if (hr == MAPI_E_NOT_ENOUGH_MEMORY)
			return hr;
		if (FAILED(hr)) {
			mapix_error_clear();
			return from_oneoff(x, MAPIX_DL_FALLBACK, &m->oneoff, "(deleted list)", list);
		}
		return hr;
	}
	default:
		/* Directory members: no directory is consulted here, so the
		 * one-off the list keeps is their address. */
		return from_oneoff(x, MAPIX_DL_RECIPIENT, &m->oneoff, "(directory member)", list);
	}
}

static HRESULT expand_list(expander *x, ULONG cb, const BYTE *eid, const char *parent_name)
{
	(void)parent_name;
	if (x->depth >= MAX_DEPTH)
		return mapix_error(MAPI_E_TOO_COMPLEX, "mapix_dl_expand: lists nested deeper than %d", MAX_DEPTH);
	ULONG objtype;
	LPMAPIPROP msg = NULL;
	HRESULT hr = x->mdb->lpVtbl->OpenEntry(x->mdb, cb, (LPENTRYID)eid, NULL, 0, &objtype, (LPUNKNOWN *)&msg);
	if (FAILED(hr))
		return hr;
	MAPIX_DL *dl = NULL;
	if (objtype != MAPI_MESSAGE)
		hr = mapix_error(MAPI_E_INVALID_ENTRYID, "mapix_dl_expand: the entry ID is not a message");
	else
		hr = mapix_dl_read(msg, &dl);
	msg->lpVtbl->Release(msg);
	if (FAILED(hr))
		return hr;
	if (FAILED(hr = set_add(&x->stack, cb, eid))) {
		MAPIFreeBuffer(dl);
		return hr;
	}
	x->depth++;
	for (ULONG i = 0; i < dl->cMembers && SUCCEEDED(hr); i++)
		hr = expand_member(x, &dl->aMembers[i], dl->lpszName);
	x->depth--;
	/* Off the path, onto the finished lists. */
	x->stack.n--;
	free(x->stack.v[x->stack.n].lpb);
	if (SUCCEEDED(hr))
		hr = set_add(&x->done, cb, eid);
	MAPIFreeBuffer(dl);
	return hr;
}

MAPIX_API HRESULT mapix_dl_expand(LPMDB mdb, ULONG cbEID, LPENTRYID eid, MAPIX_DL_EXPAND_CALLBACK *fn, void *ctx)
{
	if (!mdb || !eid || !cbEID || !fn)
		return mapix_error(MAPI_E_INVALID_PARAMETER, "mapix_dl_expand: NULL argument");
	expander x = {.mdb = mdb, .fn = fn, .ctx = ctx};
	HRESULT hr = expand_list(&x, cbEID, (const BYTE *)eid, NULL);
	set_free(&x.stack);
	set_free(&x.done);
	set_free(&x.cycles);
	for (size_t i = 0; i < x.nseen; i++)
		free(x.seen[i]);
	free(x.seen);
	return hr;
}
