/*
 * test_ab_dlist.c — personal distribution lists in a local mailbox's
 * Contacts folder (mapixab.h): written and read back in the property form
 * (with the checksum recomputed and checked) and in the stream form (a
 * list past 15,000 bytes, and one that asks for the stream), and expanded:
 * nested lists, a cycle reported once, a deleted contact falling back to
 * its one-off, a member with nothing to fall back to reported and skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapiguid.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixab.h>
#include <mapix/mapixstore.h>

#include "testutil.h"

static char *tmp;
static LPMDB mdb;
static LPMAPIFOLDER contacts;

static int setup(void **state)
{
	(void)state;
	tmp = mapix_test_tmpdir("abdl");
	char path[4096];
	snprintf(path, sizeof path, "%s/mbx", tmp);
	if (MAPIInitialize(NULL) != S_OK || MAPIXOpenLocalStore(path, MAPIX_STORE_CREATE | MDB_WRITE, &mdb) != S_OK)
		return -1;
	LPMAPIFOLDER root;
	ULONG type;
	LPSPropValue v;
	if (mdb->lpVtbl->OpenEntry(mdb, 0, NULL, NULL, 0, &type, (LPUNKNOWN *)&root) != S_OK)
		return -1;
	if (HrGetOneProp((LPMAPIPROP)root, PR_IPM_CONTACT_ENTRYID, &v) != S_OK)
		return -1;
	root->lpVtbl->Release(root);
	HRESULT hr = mdb->lpVtbl->OpenEntry(mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                                    (LPUNKNOWN *)&contacts);
	MAPIFreeBuffer(v);
	return hr == S_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	contacts->lpVtbl->Release(contacts);
	mdb->lpVtbl->Release(mdb);
	MAPIUninitialize();
	mapix_test_rmtree(tmp);
	free(tmp);
	return 0;
}

static ULONG named(LPMAPIPROP obj, ULONG lid, ULONG type)
{
	MAPINAMEID n = {(LPGUID)&PSETID_Address, MNID_ID, {.lID = (LONG)lid}}, *pn = &n;
	LPSPropTagArray ta;
	assert_int_equal(obj->lpVtbl->GetIDsFromNames(obj, 1, &pn, MAPI_CREATE, &ta), S_OK);
	ULONG tag = PROP_TAG(type, PROP_ID(ta->aulPropTag[0]));
	MAPIFreeBuffer(ta);
	return tag;
}

/* A saved message's entry ID (MAPIAllocateBuffer). */
static SBinary entry_id(LPMESSAGE m)
{
	LPSPropValue v;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)m, PR_ENTRYID, &v), S_OK);
	SBinary b = {v->Value.bin.cb, NULL};
	assert_int_equal(MAPIAllocateBuffer(b.cb, (LPVOID *)&b.lpb), S_OK);
	memcpy(b.lpb, v->Value.bin.lpb, b.cb);
	MAPIFreeBuffer(v);
	return b;
}

static SBinary make_contact(const char *name, const char *addr)
{
	LPMESSAGE m;
	assert_int_equal(contacts->lpVtbl->CreateMessage(contacts, NULL, 0, &m), S_OK);
	SPropValue v[5] = {
		{.ulPropTag = PR_MESSAGE_CLASS_A, .Value.lpszA = "IPM.Contact"},
		{.ulPropTag = PR_DISPLAY_NAME_A, .Value.lpszA = (LPSTR)name},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_DISPLAY_NAME, PT_STRING8),
	     .Value.lpszA = (LPSTR)name},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_ADDRTYPE, PT_STRING8),
	     .Value.lpszA = "SMTP"},
		{.ulPropTag = named((LPMAPIPROP)m, MAPIX_LID_EMAIL1_ADDRESS, PT_STRING8),
	     .Value.lpszA = (LPSTR)addr},
	};
	assert_int_equal(m->lpVtbl->SetProps(m, 5, v, NULL), S_OK);
	assert_int_equal(m->lpVtbl->SaveChanges(m, KEEP_OPEN_READWRITE), S_OK);
	SBinary eid = entry_id(m);
	m->lpVtbl->Release(m);
	return eid;
}

/* Writes list `name` (new when eid is NULL) with the given members. */
static SBinary write_list(const SBinary *eid, const char *name, ULONG n, const MAPIX_DL_MEMBER *m, ULONG flags)
{
	LPMESSAGE msg;
	ULONG type;
	if (eid)
		assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, MAPI_MODIFY, &type,
		                                        (LPUNKNOWN *)&msg),
		                 S_OK);
	else
		assert_int_equal(contacts->lpVtbl->CreateMessage(contacts, NULL, 0, &msg), S_OK);
	assert_int_equal(mapix_dl_write((LPMAPIPROP)msg, name, n, m, flags), S_OK);
	assert_int_equal(msg->lpVtbl->SaveChanges(msg, KEEP_OPEN_READWRITE), S_OK);
	SBinary out = entry_id(msg);
	msg->lpVtbl->Release(msg);
	return out;
}

static MAPIX_DL *read_list(const SBinary *eid)
{
	LPMESSAGE msg;
	ULONG type;
	MAPIX_DL *dl;
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, eid->cb, (LPENTRYID)eid->lpb, NULL, 0, &type, (LPUNKNOWN *)&msg),
	                 S_OK);
	assert_int_equal(mapix_dl_read((LPMAPIPROP)msg, &dl), S_OK);
	msg->lpVtbl->Release(msg);
	return dl;
}

static void test_property_form(void **state)
{
	(void)state;
	SBinary c = make_contact("Carol Singer", "carol@example.com");
	MAPIX_DL_MEMBER m[2];
	assert_int_equal(mapix_dl_member_contact(c.cb, c.lpb, 1, "Carol Singer", "SMTP", "carol@example.com", NULL, &m[0]),
	                 S_OK);
	assert_int_equal(mapix_dl_member_oneoff("Dan", "SMTP", "dan@example.com", NULL, &m[1]), S_OK);
	SBinary l = write_list(NULL, "Team", 2, m, 0);
	MAPIX_DL *dl = read_list(&l);
	assert_string_equal(dl->lpszName, "Team");
	assert_false(dl->fFromStream);
	assert_int_equal(dl->cMembers, 2);
	assert_true(dl->fChecksumPresent);
	assert_true(dl->fChecksumOK);
	SBinary mem[2] = {m[0].member, m[1].member};
	assert_int_equal(dl->ulChecksum, mapix_dl_checksum(2, mem));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dl->aMembers[i].member.cb, m[i].member.cb);
		assert_memory_equal(dl->aMembers[i].member.lpb, m[i].member.lpb, m[i].member.cb);
		assert_memory_equal(dl->aMembers[i].oneoff.lpb, m[i].oneoff.lpb, m[i].oneoff.cb);
	}
	MAPIFreeBuffer(dl);
	/* The message class and the named properties as stored. */
	LPMESSAGE msg;
	ULONG type;
	LPSPropValue v;
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, l.cb, (LPENTRYID)l.lpb, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&msg),
	                 S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, PR_MESSAGE_CLASS_A, &v), S_OK);
	assert_string_equal(v->Value.lpszA, "IPM.DistList");
	MAPIFreeBuffer(v);
	ULONG members = named((LPMAPIPROP)msg, MAPIX_LID_DL_MEMBERS, PT_MV_BINARY);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, members, &v), S_OK);
	assert_int_equal(v->Value.MVbin.cValues, 2);
	MAPIFreeBuffer(v);
	/* A members property changed behind the checksum's back is noticed. */
	SBinary one = m[1].member;
	SPropValue edit = {.ulPropTag = members, .Value.MVbin = {1, &one}};
	assert_int_equal(HrSetOneProp((LPMAPIPROP)msg, &edit), S_OK);
	assert_int_equal(msg->lpVtbl->SaveChanges(msg, 0), S_OK);
	msg->lpVtbl->Release(msg);
	dl = read_list(&l);
	assert_int_equal(dl->cMembers, 1);
	assert_true(dl->fChecksumPresent);
	assert_false(dl->fChecksumOK);
	MAPIFreeBuffer(dl);
	for (int i = 0; i < 2; i++)
		MAPIFreeBuffer(m[i].member.lpb);
	MAPIFreeBuffer(l.lpb);
	MAPIFreeBuffer(c.lpb);
}

static void test_stream_form(void **state)
{
	(void)state;
	/* 300 one-offs of ~100 bytes each: past the 15,000-byte limit. */
	enum { N = 300 };
	MAPIX_DL_MEMBER *m = calloc(N, sizeof *m);
	char name[64], addr[64];
	size_t total = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "Member number %03d", i);
		snprintf(addr, sizeof addr, "member%03d@example.com", i);
		assert_int_equal(mapix_dl_member_oneoff(name, "SMTP", addr, NULL, &m[i]), S_OK);
		total += m[i].member.cb;
	}
	assert_true(total >= MAPIX_DL_PROPERTY_LIMIT);
	SBinary l = write_list(NULL, "Everyone", N, m, 0);
	MAPIX_DL *dl = read_list(&l);
	assert_true(dl->fFromStream);
	assert_false(dl->fChecksumPresent);
	assert_int_equal(dl->cMembers, N);
	assert_memory_equal(dl->aMembers[N - 1].member.lpb, m[N - 1].member.lpb, m[N - 1].member.cb);
	MAPIFreeBuffer(dl);
	/* The members properties are gone: readers that know only them see
	 * no stale list. */
	LPMESSAGE msg;
	ULONG type;
	LPSPropValue v;
	assert_int_equal(mdb->lpVtbl->OpenEntry(mdb, l.cb, (LPENTRYID)l.lpb, NULL, MAPI_MODIFY, &type, (LPUNKNOWN *)&msg),
	                 S_OK);
	assert_int_equal(HrGetOneProp((LPMAPIPROP)msg, named((LPMAPIPROP)msg, MAPIX_LID_DL_MEMBERS, PT_MV_BINARY), &v),
	                 MAPI_E_NOT_FOUND);
	msg->lpVtbl->Release(msg);
	/* Shrunk back to two members: the property form again. */
	write_list(&l, "Everyone", 2, m, 0);
	dl = read_list(&l);
	assert_false(dl->fFromStream);
	assert_true(dl->fChecksumOK);
	assert_int_equal(dl->cMembers, 2);
	MAPIFreeBuffer(dl);
	/* A small list that asks for the stream keeps it. */
	SBinary l2 = write_list(NULL, "Small", 2, m, MAPIX_DL_STREAM_ALWAYS);
	dl = read_list(&l2);
	assert_true(dl->fFromStream);
	assert_int_equal(dl->ulStreamFlags, MAPIX_DL_STREAM_ALWAYS);
	assert_int_equal(dl->cMembers, 2);
	MAPIFreeBuffer(dl);
	for (int i = 0; i < N; i++)
		MAPIFreeBuffer(m[i].member.lpb);
	free(m);
	MAPIFreeBuffer(l.lpb);
	MAPIFreeBuffer(l2.lpb);
}

typedef struct seen {
	char lines[32][160];
	int n;
} seen;

static void collect(void *ctx, enum mapix_dl_event ev, LPCSTR name, LPCSTR type, LPCSTR addr, LPCSTR list)
{
	static const char *kinds[] = {"member", "fallback", "unresolved", "cycle", "duplicate"};
	seen *s = ctx;
	assert_true(s->n < 32);
	snprintf(s->lines[s->n++], 160, "%s %s <%s:%s> in %s", kinds[ev], name, type, addr, list ? list : "-");
}

static void test_expand_nested_cycle_fallback(void **state)
{
	(void)state;
	SBinary ca = make_contact("Ann Archer", "ann@example.com");
	SBinary cb = make_contact("Bob Baker", "bob@example.com");
	MAPIX_DL_MEMBER m[4];
	/* Inner: Bob, a one-off, and (later) Outer: a cycle. */
	assert_int_equal(mapix_dl_member_contact(cb.cb, cb.lpb, 1, "Bob Baker", "SMTP", "bob@example.com", NULL, &m[0]),
	                 S_OK);
	assert_int_equal(mapix_dl_member_oneoff("Eve", "SMTP", "eve@example.com", NULL, &m[1]), S_OK);
	SBinary inner = write_list(NULL, "Inner", 2, m, 0);
	/* Outer: Ann, Inner, Bob again (a duplicate). */
	MAPIX_DL_MEMBER o[3];
	assert_int_equal(mapix_dl_member_contact(ca.cb, ca.lpb, 1, "Ann Archer", "SMTP", "ann@example.com", NULL, &o[0]),
	                 S_OK);
	assert_int_equal(mapix_dl_member_list(inner.cb, inner.lpb, "Inner", NULL, &o[1]), S_OK);
	o[2] = m[0];
	SBinary outer = write_list(NULL, "Outer", 3, o, 0);
	/* Close the loop: Inner gets Outer. */
	assert_int_equal(mapix_dl_member_list(outer.cb, outer.lpb, "Outer", NULL, &m[2]), S_OK);
	write_list(&inner, "Inner", 3, m, 0);

	seen s = {.n = 0};
	assert_int_equal(mapix_dl_expand(mdb, outer.cb, (LPENTRYID)outer.lpb, collect, &s), S_OK);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.lines[0], "member Ann Archer <SMTP:ann@example.com> in Outer");
	assert_string_equal(s.lines[1], "member Bob Baker <SMTP:bob@example.com> in Inner");
	assert_string_equal(s.lines[2], "member Eve <SMTP:eve@example.com> in Inner");
	assert_string_equal(s.lines[3], "cycle Outer <MAPIPDL:> in Inner");
	assert_string_equal(s.lines[4], "duplicate Bob Baker <SMTP:bob@example.com> in Outer");

	/* Ann's contact is deleted: her one-off stands in. A member with an
	 * unusable entry ID and no one-off is reported and skipped. */
	ENTRYLIST del = {1, &ca};
	assert_int_equal(contacts->lpVtbl->DeleteMessages(contacts, &del, 0, NULL, 0), S_OK);
	BYTE junk[30] = {0};
	memcpy(junk + 4, "\xC0\x91\xAD\xD3\x51\x9D\xCF\x11\xA4\xA9\x00\xAA\x00\x47\xFA\xA4", 16);
	junk[20] = 0xC3; /* a contact whose embedded ID is garbage */
	o[2].member.cb = sizeof junk;
	o[2].member.lpb = junk;
	o[2].oneoff.cb = 0;
	write_list(&outer, "Outer", 3, o, 0);
	s.n = 0;
	assert_int_equal(mapix_dl_expand(mdb, outer.cb, (LPENTRYID)outer.lpb, collect, &s), S_OK);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.lines[0], "fallback Ann Archer <SMTP:ann@example.com> in Outer");
	assert_string_equal(s.lines[3], "cycle Outer <MAPIPDL:> in Inner");
	assert_string_equal(s.lines[4], "unresolved (deleted contact) <:> in Outer");

	/* Not a list, or no such message. */
	assert_int_equal(mapix_dl_expand(mdb, cb.cb, (LPENTRYID)cb.lpb, collect, &s), S_OK);
	assert_int_equal(mapix_dl_expand(mdb, ca.cb, (LPENTRYID)ca.lpb, collect, &s), MAPI_E_NOT_FOUND);

	for (int i = 0; i < 3; i++)
		MAPIFreeBuffer(m[i].member.lpb);
	MAPIFreeBuffer(o[0].member.lpb);
	MAPIFreeBuffer(o[1].member.lpb);
	MAPIFreeBuffer(inner.lpb);
	MAPIFreeBuffer(outer.lpb);
	MAPIFreeBuffer(ca.lpb);
	MAPIFreeBuffer(cb.lpb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property_form),
		cmocka_unit_test(test_stream_form),
		cmocka_unit_test(test_expand_nested_cycle_fallback),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
