/*
 * cmd_dl.c — `mapix dl`: personal distribution lists (IPM.DistList items
 * of the Contacts folder, MS-OXOCNTC) through libmapix's mapixab.h:
 *
 *   dl create NAME                     a new, empty list
 *   dl add NAME --contact NAME|EMAIL   a contact's address (EmailN)
 *   dl add NAME --one-off "Name <addr>"
 *   dl add NAME --list OTHER           a nested list
 *   dl remove NAME MEMBER              by the member's name or address
 *   dl show NAME                       the members as stored
 *   dl expand NAME                     the addresses the list reaches
 *
 * Every write recomputes the checksum (or writes the stream for a list past
 * 15,000 bytes): mapix_dl_write does both.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>

#include "cli.h"
#include "cli_contacts.h"

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: mapix dl create NAME      (--mailbox PATH | --mailbox NAME --server ADDR | --profile NAME)\n"
	             "       mapix dl add NAME (--contact NAME|EMAIL | --one-off \"Name <addr>\" | --list NAME)\n"
	             "       mapix dl remove NAME MEMBER\n"
	             "       mapix dl show NAME\n"
	             "       mapix dl expand NAME\n");
	return rc;
}

/* What a subcommand works on: the store, its Contacts folder, the list. */
typedef struct dl_ctx {
	cli_mailbox mb;
	LPMDB mdb;
	LPMAPIFOLDER contacts;
	SBinary list; /* entry ID of the named list (cb 0 when not looked up) */
} dl_ctx;

static void dl_close(dl_ctx *c)
{
	if (c->contacts)
		IMAPIFolder_Release(c->contacts);
	if (c->mdb)
		IMsgStore_Release(c->mdb);
	MAPIFreeBuffer(c->list.lpb);
}

static int dl_open(dl_ctx *c, BOOL write, const char *name, BOOL need_list)
{
	int rc;
	if (!(c->mdb = cli_open_mailbox(&c->mb, write ? MDB_WRITE : 0, &rc)))
		return rc;
	if (FAILED(cli_open_contacts(c->mdb, c->mb.mailbox, write ? MAPI_MODIFY : 0, &c->contacts)))
		return CLI_EXIT_FAILURE;
	if (!need_list)
		return CLI_EXIT_OK;
	HRESULT hr = cli_find_list(c->contacts, name, &c->list);
	if (hr == MAPI_E_NOT_FOUND)
		return cli_error("dl: no distribution list named \"%s\"", name);
	if (hr == MAPI_E_AMBIGUOUS_RECIP)
		return cli_error("dl: more than one distribution list is named \"%s\"", name);
	if (FAILED(hr))
		return cli_fail("Contacts", hr);
	return CLI_EXIT_OK;
}

static int open_message(dl_ctx *c, const SBinary *eid, BOOL write, LPMESSAGE *msg)
{
	ULONG type;
	HRESULT hr = IMsgStore_OpenEntry(c->mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, write ? MAPI_MODIFY : 0, &type,
	                                 (LPUNKNOWN *)msg);
	return FAILED(hr) ? cli_fail("OpenEntry", hr) : CLI_EXIT_OK;
}

/* Writes the members to the list message and saves it. */
static int save_list(dl_ctx *c, LPMESSAGE msg, const char *name, ULONG n, const MAPIX_DL_MEMBER *m, ULONG flags)
{
	HRESULT hr = mapix_dl_write((LPMAPIPROP)msg, name, n, m, flags);
	if (SUCCEEDED(hr))
		hr = IMessage_SaveChanges(msg, 0);
	return FAILED(hr) ? cli_fail(name, hr) : CLI_EXIT_OK;
}

static int dl_create(dl_ctx *c, const char *name)
{
	int rc = dl_open(c, TRUE, name, FALSE);
	if (rc)
		return rc;
	SBinary existing = {0, NULL};
	HRESULT hr = cli_find_list(c->contacts, name, &existing);
	MAPIFreeBuffer(existing.lpb);
	if (hr != MAPI_E_NOT_FOUND)
		return FAILED(hr) && hr != MAPI_E_AMBIGUOUS_RECIP
		           ? cli_fail("Contacts", hr)
		           : cli_error("dl create: a distribution list named \"%s\" exists", name);
	LPMESSAGE msg;
	if (FAILED(hr = IMAPIFolder_CreateMessage(c->contacts, NULL, 0, &msg)))
		return cli_fail("CreateMessage", hr);
	rc = save_list(c, msg, name, 0, NULL, 0);
	IMessage_Release(msg);
	if (!rc)
		printf("created distribution list \"%s\"\n", name);
	return rc;
}

/* "Name <addr>" or a bare address. Returns FALSE for anything else. */
static BOOL parse_oneoff_arg(const char *arg, char **name, char **addr)
{
	const char *lt = strrchr(arg, '<');
	size_t len = strlen(arg);
	if (lt && len && arg[len - 1] == '>') {
		const char *end = lt;
		while (end > arg && end[-1] == ' ')
			end--;
		const char *start = arg;
		while (*start == ' ')
			start++;
		if (end > start && *start == '"' && end[-1] == '"')
			start++, end--;
		*name = strndup(start, (size_t)(end > start ? end - start : 0));
		*addr = strndup(lt + 1, (size_t)(arg + len - 1 - (lt + 1)));
	} else {
		*name = strdup(arg);
		*addr = strdup(arg);
	}
	if (!*name || !*addr || !**addr || !strchr(*addr, '@') || strpbrk(*addr, " <>")) {
		free(*name);
		free(*addr);
		return FALSE;
	}
	if (!**name) {
		free(*name);
		*name = strdup(*addr);
	}
	return *name != NULL;
}

/* The list's current members, plus room for one more. */
static int load(dl_ctx *c, LPMESSAGE *msg, MAPIX_DL **dl)
{
	int rc = open_message(c, &c->list, TRUE, msg);
	if (rc)
		return rc;
	HRESULT hr = mapix_dl_read((LPMAPIPROP)*msg, dl);
	if (FAILED(hr)) {
		IMessage_Release(*msg);
		return cli_fail("distribution list", hr);
	}
	return CLI_EXIT_OK;
}

static int dl_add(dl_ctx *c, const char *name, const char *contact, const char *oneoff, const char *list)
{
	if (!!contact + !!oneoff + !!list != 1)
		return cli_usage_error("dl add: give one of --contact, --one-off or --list");
	int rc = dl_open(c, TRUE, name, TRUE);
	if (rc)
		return rc;
	MAPIX_DL_MEMBER add;
	LPVOID block = NULL;
	HRESULT hr = MAPIAllocateBuffer(1, &block);
	if (FAILED(hr))
		return cli_fail("dl add", hr);
	char *what = NULL;
	if (contact) {
		cli_contact ct;
		hr = cli_find_contact(c->contacts, contact, &ct);
		if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_AMBIGUOUS_RECIP) {
			MAPIFreeBuffer(block);
			return cli_error("dl add: %s contact matches \"%s\"", hr == MAPI_E_NOT_FOUND ? "no" : "more than one",
			                 contact);
		}
		if (SUCCEEDED(hr)) {
			hr = mapix_dl_member_contact(ct.eid.cb, ct.eid.lpb, ct.n, ct.name, "SMTP", ct.address, block, &add);
			if (asprintf(&what, "%s <%s>", ct.name, ct.address) < 0)
				what = NULL;
			cli_contact_free(&ct);
		}
	} else if (oneoff) {
		char *n, *a;
		if (!parse_oneoff_arg(oneoff, &n, &a)) {
			MAPIFreeBuffer(block);
			return cli_usage_error("dl add: --one-off wants \"Name <address>\" or an address, not \"%s\"", oneoff);
		}
		hr = mapix_dl_member_oneoff(n, "SMTP", a, block, &add);
		if (asprintf(&what, "%s <%s>", n, a) < 0)
			what = NULL;
		free(n);
		free(a);
	} else {
		SBinary other = {0, NULL};
		hr = cli_find_list(c->contacts, list, &other);
		if (hr == MAPI_E_NOT_FOUND || hr == MAPI_E_AMBIGUOUS_RECIP) {
			MAPIFreeBuffer(block);
			return cli_error("dl add: %s distribution list is named \"%s\"",
			                 hr == MAPI_E_NOT_FOUND ? "no" : "more than one", list);
		}
		if (SUCCEEDED(hr) && other.cb == c->list.cb && memcmp(other.lpb, c->list.lpb, other.cb) == 0) {
			MAPIFreeBuffer(other.lpb);
			MAPIFreeBuffer(block);
			return cli_error("dl add: a list cannot be a member of itself");
		}
		if (SUCCEEDED(hr))
			hr = mapix_dl_member_list(other.cb, other.lpb, list, block, &add);
		MAPIFreeBuffer(other.lpb);
		if (asprintf(&what, "list \"%s\"", list) < 0)
			what = NULL;
	}
	if (FAILED(hr)) {
		free(what);
		MAPIFreeBuffer(block);
		return cli_fail("dl add", hr);
	}
	LPMESSAGE msg;
	MAPIX_DL *dl;
	if ((rc = load(c, &msg, &dl))) {
		free(what);
		MAPIFreeBuffer(block);
		return rc;
	}
	MAPIX_DL_MEMBER *m = calloc(dl->cMembers + 1, sizeof *m);
	if (!m)
		rc = cli_error("out of memory");
	for (ULONG i = 0; !rc && i < dl->cMembers; i++) {
		if (dl->aMembers[i].member.cb == add.member.cb &&
		    memcmp(dl->aMembers[i].member.lpb, add.member.lpb, add.member.cb) == 0)
			rc = cli_error("dl add: %s is already a member of \"%s\"", what ? what : "that member", name);
		else
			m[i] = dl->aMembers[i];
	}
	if (!rc) {
		m[dl->cMembers] = add;
		/* A list Outlook keeps as a stream stays one if it asks so. */
		rc = save_list(c, msg, dl->lpszName, dl->cMembers + 1, m, dl->ulStreamFlags & MAPIX_DL_STREAM_ALWAYS);
	}
	if (!rc)
		printf("added %s to \"%s\"\n", what ? what : "member", name);
	free(m);
	free(what);
	MAPIFreeBuffer(dl);
	MAPIFreeBuffer(block);
	IMessage_Release(msg);
	return rc;
}

/* A member's kind, name and address as the list stores them. */
static void describe(const MAPIX_DL_MEMBER *m, const char **kind, MAPIX_ONEOFF *o, BOOL *have)
{
	BYTE type = 0;
	ULONG cbi;
	const BYTE *inner;
	*kind = "unknown";
	if (mapix_is_oneoff(m->member.cb, m->member.lpb))
		*kind = "one-off";
	else if (SUCCEEDED(mapix_wrapped_eid_parse(m->member.cb, m->member.lpb, &type, &cbi, &inner))) {
		static const char *kinds[] = {"one-off", "?", "?", "contact", "list", "directory", "directory-list"};
		*kind = kinds[type & 0x0F];
	}
	const SBinary *src = mapix_is_oneoff(m->member.cb, m->member.lpb) ? &m->member : &m->oneoff;
	*have = src->cb && SUCCEEDED(mapix_oneoff_parse(src->cb, src->lpb, NULL, o));
}

static int dl_remove(dl_ctx *c, const char *name, const char *member)
{
	int rc = dl_open(c, TRUE, name, TRUE);
	if (rc)
		return rc;
	LPMESSAGE msg;
	MAPIX_DL *dl;
	if ((rc = load(c, &msg, &dl)))
		return rc;
	MAPIX_DL_MEMBER *m = calloc(dl->cMembers ? dl->cMembers : 1, sizeof *m);
	ULONG kept = 0, removed = 0;
	for (ULONG i = 0; m && i < dl->cMembers; i++) {
		const char *kind;
		MAPIX_ONEOFF o;
		BOOL have;
		describe(&dl->aMembers[i], &kind, &o, &have);
		BOOL match = have && (strcasecmp(o.lpszName, member) == 0 || strcasecmp(o.lpszAddress, member) == 0);
		if (have)
			MAPIFreeBuffer(o.lpszName);
		if (match)
			removed++;
		else
			m[kept++] = dl->aMembers[i];
	}
	if (!m)
		rc = cli_error("out of memory");
	else if (!removed)
		rc = cli_error("dl remove: \"%s\" has no member \"%s\"", name, member);
	else
		rc = save_list(c, msg, dl->lpszName, kept, m, dl->ulStreamFlags & MAPIX_DL_STREAM_ALWAYS);
	if (!rc)
		printf("removed %u member%s from \"%s\"\n", (unsigned)removed, removed == 1 ? "" : "s", name);
	free(m);
	MAPIFreeBuffer(dl);
	IMessage_Release(msg);
	return rc;
}

static int dl_show(dl_ctx *c, const char *name)
{
	int rc = dl_open(c, FALSE, name, TRUE);
	if (rc)
		return rc;
	LPMESSAGE msg;
	MAPIX_DL *dl;
	if ((rc = open_message(c, &c->list, FALSE, &msg)))
		return rc;
	HRESULT hr = mapix_dl_read((LPMAPIPROP)msg, &dl);
	IMessage_Release(msg);
	if (FAILED(hr))
		return cli_fail(name, hr);
	printf("name:     %s\n", dl->lpszName);
	printf("members:  %u\n", (unsigned)dl->cMembers);
	printf("stored:   %s\n", dl->fFromStream ? "stream (PidLidDistributionListStream)" : "properties");
	if (!dl->fFromStream)
		printf("checksum: %s\n", !dl->fChecksumPresent ? "none"
		                         : dl->fChecksumOK     ? "ok"
		                                               : "MISMATCH (the members were changed without it)");
	for (ULONG i = 0; i < dl->cMembers; i++) {
		const char *kind;
		MAPIX_ONEOFF o;
		BOOL have;
		describe(&dl->aMembers[i], &kind, &o, &have);
		if (have && *o.lpszAddress)
			printf("%4u  %-9s %s <%s>\n", (unsigned)i + 1, kind, o.lpszName, o.lpszAddress);
		else
			printf("%4u  %-9s %s\n", (unsigned)i + 1, kind, have ? o.lpszName : "(no one-off)");
		if (have)
			MAPIFreeBuffer(o.lpszName);
	}
	MAPIFreeBuffer(dl);
	return CLI_EXIT_OK;
}

typedef struct expand_out {
	unsigned count, notes;
} expand_out;

static void print_member(void *ctx, enum mapix_dl_event ev, LPCSTR name, LPCSTR type, LPCSTR addr, LPCSTR list)
{
	expand_out *o = ctx;
	switch (ev) {
	case MAPIX_DL_FALLBACK:
		fprintf(stderr, "mapix: dl expand: a member of \"%s\" no longer resolves; using its one-off %s <%s>\n", list,
		        name, addr);
		o->notes++;
		/* still a recipient */
		__attribute__((fallthrough));
	case MAPIX_DL_RECIPIENT:
		if (strcasecmp(type, "SMTP") == 0)
			printf("%s <%s>\n", name, addr);
		else
			printf("%s <%s:%s>\n", name, type, addr);
		o->count++;
		break;
	case MAPIX_DL_UNRESOLVED:
		fprintf(stderr, "mapix: dl expand: member %s of \"%s\" does not resolve and has no address: skipped\n", name,
		        list);
		o->notes++;
		break;
	case MAPIX_DL_CYCLE:
		fprintf(stderr, "mapix: dl expand: cycle: \"%s\" contains list \"%s\", which contains it again: not followed\n",
		        list, name);
		o->notes++;
		break;
	case MAPIX_DL_DUPLICATE:
		break;
	}
}

static int dl_expand(dl_ctx *c, const char *name)
{
	int rc = dl_open(c, FALSE, name, TRUE);
	if (rc)
		return rc;
	expand_out o = {0, 0};
	HRESULT hr = mapix_dl_expand(c->mdb, c->list.cb, (LPENTRYID)c->list.lpb, print_member, &o);
	if (FAILED(hr))
		return cli_fail(name, hr);
	return CLI_EXIT_OK;
}

int cmd_dl(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)
		return usage(argc < 1 ? stderr : stdout, argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK);
	const char *verb = argv[0];
	dl_ctx c;
	memset(&c, 0, sizeof c);
	const char *contact = NULL, *oneoff = NULL, *list = NULL;
	const cli_option add_opts[] = {CLI_MAILBOX_OPTIONS(&c.mb), {"contact", 1, &contact}, {"one-off", 1, &oneoff},
	                               {"list", 1, &list}, {NULL, 0, NULL}};
	const cli_option opts[] = {CLI_MAILBOX_OPTIONS(&c.mb), {NULL, 0, NULL}};
	BOOL is_add = strcmp(verb, "add") == 0;
	const char **pos = NULL;
	int npos = 0;
	int rc = cli_parse(argc - 1, argv + 1, is_add ? add_opts : opts, &pos, &npos);
	if (rc)
		return rc;
	int want = strcmp(verb, "remove") == 0 ? 2 : 1;
	if (strcmp(verb, "create") && !is_add && strcmp(verb, "remove") && strcmp(verb, "show") && strcmp(verb, "expand")) {
		free(pos);
		return cli_usage_error("dl: unknown subcommand \"%s\" (create, add, remove, show, expand)", verb);
	}
	if (npos != want || !*pos[0]) {
		free(pos);
		return cli_usage_error("dl %s: needs %s", verb, want == 2 ? "a list name and a member" : "a list name");
	}
	if (strcmp(verb, "create") == 0)
		rc = dl_create(&c, pos[0]);
	else if (is_add)
		rc = dl_add(&c, pos[0], contact, oneoff, list);
	else if (strcmp(verb, "remove") == 0)
		rc = dl_remove(&c, pos[0], pos[1]);
	else if (strcmp(verb, "show") == 0)
		rc = dl_show(&c, pos[0]);
	else
		rc = dl_expand(&c, pos[0]);
	dl_close(&c);
	free(pos);
	return rc;
}
