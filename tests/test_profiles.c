/*
 * test_profiles.c — profiles and the service catalog, layer by layer: the
 * locked atomic file replacement (file_replace.c), the profile text format
 * (profile_file.c), the profile directory (profile_dir.c), MAPISVC.INF
 * (svc_catalog.c), and the MAPI objects on top: MAPIAdminProfiles,
 * IProfAdmin, IMsgServiceAdmin(2), IProviderAdmin and IProfSect.
 * The concurrent-writers test is test_profile_race.c.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "subsystem/file_replace.h"
#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/svc_catalog.h"
#include "testutil.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static mode_t file_mode(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* ---- file_replace ---------------------------------------------------------------- */

static HRESULT append_x(void *arg, const char *old, size_t cbOld, BOOL exists, char **lppNew, size_t *lpcbNew)
{
	(void)arg;
	char *n = malloc(cbOld + 2);
	if (exists)
		memcpy(n, old, cbOld);
	n[cbOld] = 'x';
	n[cbOld + 1] = '\0';
	*lppNew = n;
	*lpcbNew = cbOld + 1;
	return S_OK;
}

static HRESULT refuse(void *arg, const char *old, size_t cbOld, BOOL exists, char **lppNew, size_t *lpcbNew)
{
	(void)arg, (void)old, (void)cbOld, (void)exists, (void)lppNew, (void)lpcbNew;
	return MAPI_E_CALL_FAILED;
}

typedef struct locker {
	const char *target;
	volatile int got;
} locker;

static void *take_lock(void *arg)
{
	locker *l = arg;
	mapix_file_lock lk;
	assert_int_equal(mapix_file_lock_acquire(l->target, TRUE, &lk), S_OK);
	l->got = 1;
	mapix_file_lock_release(&lk);
	return NULL;
}

static void test_file_replace(void **state)
{
	(void)state;
	char *dir = mapix_test_tmpdir("profiles");
	char *target = path_in(dir, "f.txt"), *lockp = path_in(dir, "f.txt.lock");
	char *data;
	size_t cb;
	assert_int_equal(mapix_file_read(target, &data, &cb), MAPI_E_NOT_FOUND);
	umask(022);
	assert_int_equal(mapix_file_write_atomic(target, "hello\n", 6), S_OK);
	assert_int_equal(file_mode(target), 0600);
	assert_int_equal(mapix_file_read(target, &data, &cb), S_OK);
	assert_int_equal(cb, 6);
	assert_string_equal(data, "hello\n");
	free(data);

	/* read-modify-write, and an edit that fails writes nothing */
	assert_int_equal(mapix_file_update(target, append_x, NULL), S_OK);
	assert_int_equal(mapix_file_update(target, refuse, NULL), MAPI_E_CALL_FAILED);
	assert_int_equal(mapix_file_read_locked(target, &data, &cb), S_OK);
	assert_string_equal(data, "hello\nx");
	free(data);
	assert_int_equal(file_mode(lockp), 0600);

	/* an update of a missing file that writes nothing leaves no lock file */
	char *missing = path_in(dir, "none"), *missing_lock = path_in(dir, "none.lock");
	assert_int_equal(mapix_file_update(missing, refuse, NULL), MAPI_E_CALL_FAILED);
	assert_int_not_equal(access(missing_lock, F_OK), 0);

	/* the exclusive lock excludes another thread of the same process (OFD) */
	mapix_file_lock lk;
	assert_int_equal(mapix_file_lock_acquire(target, TRUE, &lk), S_OK);
	locker l = {target, 0};
	pthread_t th;
	pthread_create(&th, NULL, take_lock, &l);
	usleep(100 * 1000);
	assert_int_equal(l.got, 0);
	/* removing the lock file while a waiter waits: it retries on a new one */
	mapix_file_lock_release_remove(&lk);
	pthread_join(th, NULL);
	assert_int_equal(l.got, 1);

	/* a shared lock is not taken (nor a lock file made) when none exists */
	unlink(lockp);
	assert_int_equal(mapix_file_read_locked(target, &data, &cb), S_OK);
	free(data);
	assert_int_not_equal(access(lockp, F_OK), 0);

	/* no temporary files are left behind */
	assert_int_equal(mapix_file_remove(target), S_OK);
	assert_int_equal(mapix_file_remove(target), MAPI_E_NOT_FOUND);

	char *deep = path_in(dir, "a/b/c");
	assert_int_equal(mapix_file_mkdirs(deep), S_OK);
	assert_int_equal(file_mode(deep), 0700);

	free(deep);
	free(missing);
	free(missing_lock);
	free(target);
	free(lockp);
	mapix_test_rmtree(dir);
	free(dir);
}

/* ---- the profile text format ----------------------------------------------------- */

static void test_profile_format_roundtrip(void **state)
{
	(void)state;
	static const WCHAR wname[] = u"Mailbox \u00e9t\u00e9 \U0001F600, tab\there";
	static char s8[] = "back\\slash\nnew line, comma";
	static BYTE bin[] = {0, 1, 0xAB, 0xFF};
	static GUID guid = {0x12345678, 0x9ABC, 0xDEF0, {1, 2, 3, 4, 5, 6, 7, 8}};
	static LONG longs[] = {1, -2, 0x7FFFFFFF};
	static LPSTR strs[] = {"a,b", "", "c\\d"};
	static const WCHAR w1[] = u"x", w2[] = u"y,z";
	static LPWSTR wstrs[] = {(LPWSTR)w1, (LPWSTR)w2};
	static SBinary bins[] = {{2, bin}, {0, bin}};
	SPropValue v[12];
	memset(v, 0, sizeof v);
	v[0].ulPropTag = PR_DISPLAY_NAME_W;
	v[0].Value.lpszW = (LPWSTR)wname;
	v[1].ulPropTag = PR_SERVICE_ENTRY_NAME;
	v[1].Value.lpszA = s8;
	v[2].ulPropTag = PR_RESOURCE_FLAGS;
	v[2].Value.ul = 0x80000001;
	v[3].ulPropTag = PR_SERVICE_UID;
	v[3].Value.bin.cb = sizeof bin;
	v[3].Value.bin.lpb = bin;
	v[4].ulPropTag = PROP_TAG(PT_CLSID, 0x6610);
	v[4].Value.lpguid = &guid;
	v[5].ulPropTag = PROP_TAG(PT_DOUBLE, 0x6611);
	v[5].Value.dbl = 0.1;
	v[6].ulPropTag = PR_DEFAULT_PROFILE;
	v[6].Value.b = 1;
	v[7].ulPropTag = PROP_TAG(PT_I8, 0x6612);
	v[7].Value.li.QuadPart = -1234567890123LL;
	v[8].ulPropTag = PROP_TAG(PT_MV_LONG, 0x6613);
	v[8].Value.MVl.cValues = 3;
	v[8].Value.MVl.lpl = longs;
	v[9].ulPropTag = PROP_TAG(PT_MV_STRING8, 0x6614);
	v[9].Value.MVszA.cValues = 3;
	v[9].Value.MVszA.lppszA = strs;
	v[10].ulPropTag = PROP_TAG(PT_MV_UNICODE, 0x6615);
	v[10].Value.MVszW.cValues = 2;
	v[10].Value.MVszW.lppszW = wstrs;
	v[11].ulPropTag = PROP_TAG(PT_MV_BINARY, 0x6616);
	v[11].Value.MVbin.cValues = 2;
	v[11].Value.MVbin.lpbin = bins;

	mapix_profile *p;
	MAPIUID u1, u2;
	assert_int_equal(mapix_profile_new(&p), S_OK);
	assert_int_equal(mapix_profile_new_uid(&u1), S_OK);
	assert_int_equal(mapix_profile_new_uid(&u2), S_OK);
	assert_int_equal(mapix_profile_set_props(p, &u1, 12, v), S_OK);
	assert_int_equal(mapix_profile_set_props(p, &u2, 1, &v[2]), S_OK);
	SPropValue obj = {PROP_TAG(PT_OBJECT, 0x6617), 0, {.x = 0}};
	assert_int_equal(mapix_profile_set_props(p, &u2, 1, &obj), MAPI_E_INVALID_TYPE);

	char *text;
	size_t cb;
	assert_int_equal(mapix_profile_serialize(p, &text, &cb), S_OK);
	/* readable: property names and types are spelled out */
	assert_non_null(strstr(text, "PR_RESOURCE_FLAGS = long:-2147483647"));
	assert_non_null(strstr(text, "PR_SERVICE_ENTRY_NAME = string8:back\\\\slash\\nnew line, comma"));
	assert_non_null(strstr(text, "0x6614 = mv-string8:3:a\\,b,,c\\\\d"));

	mapix_profile *q;
	assert_int_equal(mapix_profile_parse(text, cb, &q), S_OK);
	assert_int_equal(q->cSections, 2);
	const mapix_profsect_data *s = mapix_profile_find(q, &u1);
	assert_non_null(s);
	assert_int_equal(s->cValues, 12);
	for (int i = 0; i < 12; i++) {
		LPSPropValue got = mapix_profsect_find_prop(s, v[i].ulPropTag);
		assert_non_null(got);
		assert_int_equal(got->ulPropTag, v[i].ulPropTag);
		if (!(PROP_TYPE(v[i].ulPropTag) & MV_FLAG))
			assert_int_equal(LPropCompareProp(got, &v[i]), 0);
	}
	LPSPropValue mv = mapix_profsect_find_prop(s, v[9].ulPropTag);
	assert_string_equal(mv->Value.MVszA.lppszA[0], "a,b");
	assert_string_equal(mv->Value.MVszA.lppszA[1], "");
	assert_string_equal(mv->Value.MVszA.lppszA[2], "c\\d");
	mv = mapix_profsect_find_prop(s, v[10].ulPropTag);
	assert_memory_equal(mv->Value.MVszW.lppszW[1], w2, sizeof w2);
	mv = mapix_profsect_find_prop(s, v[8].ulPropTag);
	assert_int_equal(mv->Value.MVl.lpl[1], -2);
	/* serializing again gives the same text */
	char *text2;
	size_t cb2;
	assert_int_equal(mapix_profile_serialize(q, &text2, &cb2), S_OK);
	assert_int_equal(cb, cb2);
	assert_memory_equal(text, text2, cb);

	/* delete and remove */
	SizedSPropTagArray(2, del) = {2, {PR_RESOURCE_FLAGS, PR_DISPLAY_NAME_A}};
	assert_int_equal(mapix_profile_delete_props(q, &u1, (LPSPropTagArray)&del), S_OK);
	assert_int_equal(mapix_profile_find(q, &u1)->cValues, 10);
	assert_true(mapix_profile_remove_section(q, &u2));
	assert_false(mapix_profile_remove_section(q, &u2));
	assert_int_equal(q->cSections, 1);
	free(text);
	free(text2);
	mapix_profile_free(p);
	mapix_profile_free(q);
}

static void test_profile_format_corrupt(void **state)
{
	(void)state;
	static const char *bad[] = {
		"PR_DISPLAY_NAME = unicode:x\n",                                     /* before a section */
		"[section 00]\n",                                                    /* short uid */
		"[section 000102030405060708090A0B0C0D0E0F]\nPR_NO_SUCH = long:1\n", /* unknown name */
		"[section 000102030405060708090A0B0C0D0E0F]\nPR_RESOURCE_FLAGS = long:x\n",
		"[section 000102030405060708090A0B0C0D0E0F]\nPR_RESOURCE_FLAGS = nosuchtype:1\n",
		"[section 000102030405060708090A0B0C0D0E0F]\nPR_SERVICE_UID = binary:ABC\n",
		"[section 000102030405060708090A0B0C0D0E0F]\n0x6600 = mv-long:3:1,2\n",
		"[section 000102030405060708090A0B0C0D0E0F]\n0x6600 = string8:bad\\q\n",
		"[section 000102030405060708090A0B0C0D0E0F]\n0x6600 = string8:nul\\x00\n",
		"[section 000102030405060708090A0B0C0D0E0F]\nPR_RESOURCE_FLAGS = long:1\nPR_RESOURCE_FLAGS = long:2\n",
		"[section 000102030405060708090A0B0C0D0E0F]\n[section 000102030405060708090A0B0C0D0E0F]\n",
		"[section 000102030405060708090A0B0C0D0E0F]\nnot a property line\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mapix_profile *p = NULL;
		assert_int_equal(mapix_profile_parse(bad[i], strlen(bad[i]), &p), MAPI_E_CORRUPT_DATA);
		assert_null(p);
		assert_non_null(strstr(MAPIXGetLastErrorText(), "line"));
	}
	/* comments, blank lines and CRLF are fine */
	const char *ok = "# c\r\n\r\n[section 000102030405060708090a0b0c0d0e0f]\r\n; x\r\nPR_RESOURCE_FLAGS = long:0x10\r\n";
	mapix_profile *p;
	assert_int_equal(mapix_profile_parse(ok, strlen(ok), &p), S_OK);
	assert_int_equal(p->sections[0].lpProps[0].Value.ul, 0x10);
	assert_int_equal(p->sections[0].uid.ab[15], 0x0F);
	mapix_profile_free(p);
}

/* ---- the profile directory ------------------------------------------------------------ */

static void test_profile_dir(void **state)
{
	(void)state;
	char *base = mapix_test_tmpdir("profiles");
	char *dir = path_in(base, "deep/profiles");
	char **names;
	ULONG n;
	assert_int_equal(mapix_profile_list(dir, &names, &n), S_OK);
	assert_int_equal(n, 0);
	assert_int_equal(mapix_profile_create(dir, "alpha"), S_OK);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(mapix_profile_create(dir, "alpha"), MAPI_E_NO_ACCESS);
	assert_int_equal(mapix_profile_create(dir, ".hidden/with%slash"), S_OK);
	assert_int_equal(mapix_profile_create(dir, ""), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(mapix_profile_create(dir, "a\nb"), MAPI_E_INVALID_PARAMETER);
	char longname[80];
	memset(longname, 'x', 65);
	longname[65] = '\0';
	assert_int_equal(mapix_profile_create(dir, longname), MAPI_E_INVALID_PARAMETER);
	char *path;
	assert_int_equal(mapix_profile_path(dir, ".hidden/with%slash", &path), S_OK);
	assert_non_null(strstr(path, "/%2Ehidden%2Fwith%25slash.prof"));
	assert_int_equal(file_mode(path), 0600);
	free(path);

	assert_int_equal(mapix_profile_list(dir, &names, &n), S_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], ".hidden/with%slash");
	assert_string_equal(names[1], "alpha");
	mapix_profile_names_free(names, n);

	char *def;
	assert_int_equal(mapix_profile_get_default(dir, &def), MAPI_E_NOT_FOUND);
	assert_int_equal(mapix_profile_set_default(dir, "nope"), MAPI_E_NOT_FOUND);
	assert_int_equal(mapix_profile_set_default(dir, "alpha"), S_OK);
	assert_int_equal(mapix_profile_get_default(dir, &def), S_OK);
	assert_string_equal(def, "alpha");
	free(def);

	/* copy keeps the original; rename moves the default mark */
	assert_int_equal(mapix_profile_copy(dir, "alpha", "beta"), S_OK);
	assert_int_equal(mapix_profile_copy(dir, "alpha", "beta"), MAPI_E_NO_ACCESS);
	assert_int_equal(mapix_profile_copy(dir, "zeta", "eta"), MAPI_E_NOT_FOUND);
	assert_int_equal(mapix_profile_rename(dir, "alpha", "gamma"), S_OK);
	assert_false(mapix_profile_exists(dir, "alpha"));
	assert_true(mapix_profile_exists(dir, "gamma"));
	assert_int_equal(mapix_profile_get_default(dir, &def), S_OK);
	assert_string_equal(def, "gamma");
	free(def);
	assert_int_equal(mapix_profile_rename(dir, "gamma", "beta"), MAPI_E_NO_ACCESS);

	/* deleting the default profile clears the default */
	assert_int_equal(mapix_profile_delete(dir, "gamma"), S_OK);
	assert_int_equal(mapix_profile_delete(dir, "gamma"), MAPI_E_NOT_FOUND);
	assert_int_equal(mapix_profile_get_default(dir, &def), MAPI_E_NOT_FOUND);

	/* only profiles and their current lock files remain */
	char *gl = path_in(dir, "gamma.prof.lock"), *al = path_in(dir, "alpha.prof.lock");
	assert_int_not_equal(access(gl, F_OK), 0);
	assert_int_not_equal(access(al, F_OK), 0);
	free(gl);
	free(al);

	/* updates of a missing profile fail cleanly */
	assert_int_equal(mapix_profile_load(dir, "gamma", &(mapix_profile *){NULL}), MAPI_E_NOT_FOUND);
	free(dir);
	mapix_test_rmtree(base);
	free(base);
}

/* ---- the service catalog ---------------------------------------------------------------- */

static void test_catalog(void **state)
{
	(void)state;
	mapix_svccat *cat;
	char *sys;
	assert_int_equal(mapix_svccat_system_path(&sys), S_OK);
	assert_non_null(strstr(sys, "/data/mapisvc.inf"));
	assert_int_equal(mapix_svccat_load_file(sys, &cat), S_OK);
	free(sys);
	assert_string_equal(mapix_svccat_get(cat, "Services", "MAPIX_LOCAL"), "mapix local mailbox");
	assert_string_equal(mapix_svccat_get(cat, "services", "mapix_local"), "mapix local mailbox");
	assert_string_equal(mapix_svccat_get(cat, "MAPIX_LOCAL", "Providers"), "MAPIX_LOCAL_MS");
	ULONG c;
	LPSPropValue props;
	assert_int_equal(mapix_svccat_section_props(cat, "MAPIX_LOCAL_MS", &c, &props), S_OK);
	LPSPropValue t = PpropFindProp(props, c, PR_RESOURCE_TYPE);
	assert_non_null(t);
	assert_int_equal(t->Value.ul, MAPI_STORE_PROVIDER);
	t = PpropFindProp(props, c, PR_RESOURCE_FLAGS);
	assert_int_equal(t->Value.ul, STATUS_DEFAULT_STORE | STATUS_PRIMARY_STORE);
	t = PpropFindProp(props, c, PR_PROVIDER_DLL_NAME_W);
	assert_non_null(t);
	char *u;
	assert_int_equal(mapix_utf16_to_utf8(t->Value.lpszW, NULL, &u), S_OK);
	assert_string_equal(u, "libmapix.so.0");
	MAPIFreeBuffer(u);
	t = PpropFindProp(props, c, PR_SERVICE_ENTRY_NAME);
	assert_string_equal(t->Value.lpszA, "local_MSProviderInit");
	MAPIFreeBuffer(props);
	assert_int_equal(mapix_svccat_section_props(cat, "NoSuch", &c, &props), MAPI_E_NOT_FOUND);

	/* Windows' documentation example: hex tags, lists, symbolic flags */
	const char *ex = "[Services]\nMsgService=My Own Service\n[MsgService]\nPR_DISPLAY_NAME=My Own Service\n"
	                 "Providers=MsgService Prov1, MsgService Prov2\nSections=First_Special_Section\n"
	                 "PR_SERVICE_SUPPORT_FILES=MYSERV.DLL, MYXXX.DLL\nPR_RESOURCE_FLAGS=SERVICE_SINGLE_COPY\n"
	                 "66040003=00000010\n";
	mapix_svccat *c2;
	assert_int_equal(mapix_svccat_parse(ex, strlen(ex), &c2), S_OK);
	assert_int_equal(mapix_svccat_section_props(c2, "MsgService", &c, &props), S_OK);
	assert_int_equal(c, 4);
	assert_int_equal(PpropFindProp(props, c, PR_RESOURCE_FLAGS)->Value.ul, SERVICE_SINGLE_COPY);
	assert_int_equal(PpropFindProp(props, c, PROP_TAG(PT_LONG, 0x6604))->Value.ul, 10);
	assert_int_equal(PpropFindProp(props, c, PR_SERVICE_SUPPORT_FILES_W)->Value.MVszW.cValues, 2);
	MAPIFreeBuffer(props);
	char **items;
	ULONG ni;
	assert_int_equal(mapix_svccat_split_list(mapix_svccat_get(c2, "MsgService", "Providers"), &items, &ni), S_OK);
	assert_int_equal(ni, 2);
	assert_string_equal(items[1], "MsgService Prov2");
	free(items);

	/* merge: user entries override and add */
	assert_int_equal(mapix_svccat_merge(cat, c2), S_OK);
	assert_non_null(mapix_svccat_get(cat, "Services", "MAPIX_LOCAL"));
	assert_non_null(mapix_svccat_get(cat, "Services", "MsgService"));
	assert_int_equal(mapix_svccat_set(cat, "MAPIX_LOCAL", "PR_DISPLAY_NAME", "other"), S_OK);
	assert_string_equal(mapix_svccat_get(cat, "MAPIX_LOCAL", "PR_DISPLAY_NAME"), "other");
	assert_int_equal(mapix_svccat_set(cat, "X", "bad\nkey", "v"), MAPI_E_INVALID_PARAMETER);

	/* round trip keeps comments */
	char *text;
	size_t cb;
	assert_int_equal(mapix_svccat_serialize(cat, &text, &cb), S_OK);
	assert_non_null(strstr(text, "; mapisvc.inf"));
	mapix_svccat *c3;
	assert_int_equal(mapix_svccat_parse(text, cb, &c3), S_OK);
	assert_int_equal(c3->cSections, cat->cSections);
	assert_true(mapix_svccat_remove_section(c3, "MsgService"));
	assert_true(mapix_svccat_remove_key(c3, "Services", "MsgService"));
	assert_false(mapix_svccat_remove_key(c3, "Services", "MsgService"));
	free(text);

	/* bad lines */
	static const char *bad[] = {"[Services\n", "key=value\n", "[S]\nno equals sign\n", "[]\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mapix_svccat *b = NULL;
		assert_int_equal(mapix_svccat_parse(bad[i], strlen(bad[i]), &b), MAPI_E_CORRUPT_DATA);
		assert_null(b);
	}
	const char *badval = "[S]\nPR_RESOURCE_FLAGS=NOT_A_FLAG\n";
	mapix_svccat *b;
	assert_int_equal(mapix_svccat_parse(badval, strlen(badval), &b), S_OK);
	assert_int_equal(mapix_svccat_section_props(b, "S", &c, &props), MAPI_E_CORRUPT_DATA);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "PR_RESOURCE_FLAGS"));
	mapix_svccat_free(b);
	mapix_svccat_free(c3);
	mapix_svccat_free(c2);
	mapix_svccat_free(cat);

	/* user path and user edits */
	char *up;
	assert_int_equal(mapix_svccat_user_path("/home/u/.config/mapix/profiles/", &up), S_OK);
	assert_string_equal(up, "/home/u/.config/mapix/mapisvc.inf");
	free(up);
}

static HRESULT add_service_edit(void *arg, mapix_svccat *cat)
{
	const char *name = arg;
	HRESULT hr = mapix_svccat_set(cat, "Services", name, "a test service");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, name, "Providers", "TEST_PROV");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, name, "PR_SERVICE_DLL_NAME", "libtest.so");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, "TEST_PROV", "PR_RESOURCE_TYPE", "MAPI_STORE_PROVIDER");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, "TEST_PROV", "PR_PROVIDER_DLL_NAME", "libtest.so");
	return hr;
}

/* ---- the MAPI objects ---------------------------------------------------------------------- */

typedef struct env {
	char *base, *dir;
} env;

static int setup_init(void **state)
{
	env *e = calloc(1, sizeof *e);
	e->base = mapix_test_tmpdir("profiles");
	e->dir = path_in(e->base, "profiles");
	MAPIXINIT init = {MAPIX_INIT_VERSION, MAPIX_INIT_NO_SUPPORT_THREADS, e->dir};
	if (MAPIInitialize(&init) != S_OK)
		return -1;
	*state = e;
	return 0;
}

static int teardown_init(void **state)
{
	env *e = *state;
	MAPIUninitialize();
	mapix_test_rmtree(e->base);
	free(e->base);
	free(e->dir);
	free(e);
	return 0;
}

static LPSRowSet all_rows(LPMAPITABLE t)
{
	LPSRowSet rows = NULL;
	assert_int_equal(HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows), S_OK);
	return rows;
}

static void test_not_initialized(void **state)
{
	(void)state;
	LPPROFADMIN pa = (LPPROFADMIN)1;
	assert_int_equal(MAPIAdminProfiles(0, &pa), MAPI_E_NOT_INITIALIZED);
	assert_null(pa);
}

static void test_profadmin(void **state)
{
	env *e = *state;
	LPPROFADMIN pa;
	assert_int_equal(MAPIAdminProfiles(0, &pa), S_OK);
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "one", NULL, 0, 0), S_OK);
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "one", NULL, 0, 0), MAPI_E_NO_ACCESS);
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR)u"tw\u00f6", NULL, 0, MAPI_UNICODE), S_OK);
	assert_true(mapix_profile_exists(e->dir, "tw\xc3\xb6"));
	assert_int_equal(IProfAdmin_SetDefaultProfile(pa, (LPTSTR) "one", 0), S_OK);

	LPMAPITABLE t;
	assert_int_equal(IProfAdmin_GetProfileTable(pa, 0, &t), S_OK);
	LPSRowSet rows = all_rows(t);
	assert_int_equal(rows->cRows, 2);
	for (ULONG i = 0; i < rows->cRows; i++) {
		LPSPropValue name = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_DISPLAY_NAME_A);
		LPSPropValue def = PpropFindProp(rows->aRow[i].lpProps, rows->aRow[i].cValues, PR_DEFAULT_PROFILE);
		assert_non_null(name);
		assert_non_null(def);
		assert_int_equal(def->Value.b != 0, strcmp(name->Value.lpszA, "one") == 0);
	}
	FreeProws(rows);
	IMAPITable_Release(t);
	assert_int_equal(IProfAdmin_GetProfileTable(pa, MAPI_UNICODE, &t), S_OK);
	rows = all_rows(t);
	assert_non_null(PpropFindProp(rows->aRow[0].lpProps, rows->aRow[0].cValues, PR_DISPLAY_NAME_W));
	FreeProws(rows);
	IMAPITable_Release(t);

	assert_int_equal(IProfAdmin_CopyProfile(pa, (LPTSTR) "one", NULL, (LPTSTR) "three", 0, 0), S_OK);
	assert_int_equal(IProfAdmin_RenameProfile(pa, (LPTSTR) "three", NULL, (LPTSTR) "four", 0, 0), S_OK);
	assert_int_equal(IProfAdmin_RenameProfile(pa, (LPTSTR) "three", NULL, (LPTSTR) "five", 0, 0), MAPI_E_NOT_FOUND);
	assert_int_equal(IProfAdmin_DeleteProfile(pa, (LPTSTR) "four", 0), S_OK);
	assert_int_equal(IProfAdmin_DeleteProfile(pa, (LPTSTR) "four", 0), MAPI_E_NOT_FOUND);
	assert_int_equal(IProfAdmin_ChangeProfilePassword(pa, (LPTSTR) "one", NULL, NULL, 0), MAPI_E_NO_SUPPORT);
	assert_int_equal(IProfAdmin_CreateProfile(pa, NULL, NULL, 0, 0), MAPI_E_INVALID_PARAMETER);
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "x", NULL, 0, 0x40000000), MAPI_E_UNKNOWN_FLAGS);

	LPMAPIERROR err;
	assert_int_equal(IProfAdmin_GetLastError(pa, MAPI_E_UNKNOWN_FLAGS, 0, &err), S_OK);
	MAPIFreeBuffer(err);

	/* MAPI_DEFAULT_SERVICES adds the catalog's [Default Services] */
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "withdefaults", NULL, 0, MAPI_DEFAULT_SERVICES), S_OK);
	LPSERVICEADMIN sa;
	assert_int_equal(IProfAdmin_AdminServices(pa, (LPTSTR) "withdefaults", NULL, 0, 0, &sa), S_OK);
	assert_int_equal(IMsgServiceAdmin_GetMsgServiceTable(sa, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 1);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMsgServiceAdmin_Release(sa);
	assert_int_equal(IProfAdmin_AdminServices(pa, (LPTSTR) "nosuch", NULL, 0, 0, &sa), MAPI_E_NOT_FOUND);

	IUnknown *unk;
	assert_int_equal(IProfAdmin_QueryInterface(pa, &IID_IUnknown, (void **)&unk), S_OK);
	assert_int_equal(unk->lpVtbl->Release(unk), 1);
	assert_int_equal(IProfAdmin_QueryInterface(pa, &IID_IMAPIProp, (void **)&unk), MAPI_E_INTERFACE_NOT_SUPPORTED);
	assert_int_equal(IProfAdmin_Release(pa), 0);
}

static void test_svcadmin(void **state)
{
	env *e = *state;
	LPPROFADMIN pa;
	LPSERVICEADMIN sa;
	LPSERVICEADMIN2 sa2;
	LPMAPITABLE t;
	LPSRowSet rows;
	assert_int_equal(MAPIAdminProfiles(0, &pa), S_OK);
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "svc", NULL, 0, 0), S_OK);
	assert_int_equal(IProfAdmin_AdminServices(pa, (LPTSTR) "svc", NULL, 0, 0, &sa), S_OK);
	assert_int_equal(IMsgServiceAdmin_QueryInterface(sa, &IID_IMsgServiceAdmin2, (void **)&sa2), S_OK);

	assert_int_equal(IMsgServiceAdmin_CreateMsgService(sa, (LPTSTR) "NO_SUCH_SERVICE", NULL, 0, 0), MAPI_E_NOT_FOUND);
	assert_non_null(strstr(MAPIXGetLastErrorText(), "[Services]"));
	MAPIUID uid;
	assert_int_equal(IMsgServiceAdmin2_CreateMsgServiceEx(sa2, "MAPIX_LOCAL", "ignored", 0, 0, &uid), S_OK);

	assert_int_equal(IMsgServiceAdmin_GetMsgServiceTable(sa, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 1);
	LPSRow r = &rows->aRow[0];
	assert_string_equal(PpropFindProp(r->lpProps, r->cValues, PR_DISPLAY_NAME_A)->Value.lpszA, "mapix local mailbox");
	assert_string_equal(PpropFindProp(r->lpProps, r->cValues, PR_SERVICE_NAME_A)->Value.lpszA, "MAPIX_LOCAL");
	assert_string_equal(PpropFindProp(r->lpProps, r->cValues, PR_SERVICE_DLL_NAME_A)->Value.lpszA, "libmapix.so.0");
	assert_string_equal(PpropFindProp(r->lpProps, r->cValues, PR_SERVICE_ENTRY_NAME)->Value.lpszA, "local_MSProviderInit");
	LPSPropValue su = PpropFindProp(r->lpProps, r->cValues, PR_SERVICE_UID);
	assert_memory_equal(su->Value.bin.lpb, uid.ab, 16);
	FreeProws(rows);
	IMAPITable_Release(t);

	assert_int_equal(IMsgServiceAdmin_GetProviderTable(sa, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 1);
	r = &rows->aRow[0];
	assert_int_equal(PpropFindProp(r->lpProps, r->cValues, PR_RESOURCE_TYPE)->Value.ul, MAPI_STORE_PROVIDER);
	assert_string_equal(PpropFindProp(r->lpProps, r->cValues, PR_PROVIDER_DLL_NAME_A)->Value.lpszA, "libmapix.so.0");
	MAPIUID prov;
	memcpy(prov.ab, PpropFindProp(r->lpProps, r->cValues, PR_PROVIDER_UID)->Value.bin.lpb, 16);
	FreeProws(rows);
	IMAPITable_Release(t);

	/* unconfigured: no mailbox path anywhere, no dialog to ask for one */
	assert_int_equal(IMsgServiceAdmin_ConfigureMsgService(sa, &uid, 0, 0, 0, NULL), MAPI_E_UNCONFIGURED);
	SPropValue cfg[2];
	memset(cfg, 0, sizeof cfg);
	cfg[0].ulPropTag = PR_MAPIX_STORE_PATH_W;
	cfg[0].Value.lpszW = (LPWSTR)u"/var/mail/box.mapix";
	cfg[1].ulPropTag = PR_DISPLAY_NAME_A;
	cfg[1].Value.lpszA = "My mailbox";
	assert_int_equal(IMsgServiceAdmin_ConfigureMsgService(sa, &uid, 0, 0, 2, cfg), S_OK);
	assert_int_equal(IMsgServiceAdmin_ConfigureMsgService(sa, &uid, 0, 0, 0, NULL), S_OK);

	/* the provider's section has the configuration */
	LPPROFSECT ps;
	assert_int_equal(IMsgServiceAdmin_OpenProfileSection(sa, &prov, NULL, 0, &ps), S_OK);
	LPSPropValue v;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)ps, PR_MAPIX_STORE_PATH_A, &v), S_OK);
	assert_string_equal(v->Value.lpszA, "/var/mail/box.mapix");
	MAPIFreeBuffer(v);
	/* read-only without MAPI_MODIFY */
	SPropValue one = {PR_RESOURCE_FLAGS, 0, {.ul = 1}};
	assert_int_equal(IProfSect_SetProps(ps, 1, &one, NULL), MAPI_E_NO_ACCESS);
	IProfSect_Release(ps);

	/* rename, delete */
	assert_int_equal(IMsgServiceAdmin_RenameMsgService(sa, &uid, 0, (LPTSTR) "Renamed"), S_OK);
	assert_int_equal(IMsgServiceAdmin_GetMsgServiceTable(sa, MAPI_UNICODE, &t), S_OK);
	rows = all_rows(t);
	r = &rows->aRow[0];
	LPSPropValue dn = PpropFindProp(r->lpProps, r->cValues, PR_DISPLAY_NAME_W);
	assert_memory_equal(dn->Value.lpszW, u"Renamed", sizeof u"Renamed");
	FreeProws(rows);
	IMAPITable_Release(t);

	/* copy to another profile */
	LPSERVICEADMIN sb;
	assert_int_equal(IProfAdmin_CreateProfile(pa, (LPTSTR) "svc2", NULL, 0, 0), S_OK);
	assert_int_equal(IProfAdmin_AdminServices(pa, (LPTSTR) "svc2", NULL, 0, 0, &sb), S_OK);
	assert_int_equal(IMsgServiceAdmin_CopyMsgService(sa, &uid, NULL, NULL, &IID_IMsgServiceAdmin, sb, 0, 0), S_OK);
	assert_int_equal(IMsgServiceAdmin_GetProviderTable(sb, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 1);
	r = &rows->aRow[0];
	assert_memory_not_equal(PpropFindProp(r->lpProps, r->cValues, PR_PROVIDER_UID)->Value.bin.lpb, prov.ab, 16);
	FreeProws(rows);
	IMAPITable_Release(t);
	IMsgServiceAdmin_Release(sb);

	/* IProviderAdmin */
	LPPROVIDERADMIN pv;
	assert_int_equal(IMsgServiceAdmin_AdminProviders(sa, &uid, 0, &pv), S_OK);
	MAPIUID p2;
	assert_int_equal(IProviderAdmin_CreateProvider(pv, (LPTSTR) "MAPIX_LOCAL_MS", 1, &one, 0, 0, &p2), S_OK);
	assert_int_equal(IProviderAdmin_GetProviderTable(pv, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 2);
	FreeProws(rows);
	IMAPITable_Release(t);
	assert_int_equal(IProviderAdmin_DeleteProvider(pv, &p2), S_OK);
	assert_int_equal(IProviderAdmin_DeleteProvider(pv, &p2), MAPI_E_NOT_FOUND);
	assert_int_equal(IProviderAdmin_CreateProvider(pv, (LPTSTR) "NOPE", 0, NULL, 0, 0, &p2), MAPI_E_NOT_FOUND);
	IProviderAdmin_Release(pv);

	assert_int_equal(IMsgServiceAdmin_MsgServiceTransportOrder(sa, 0, NULL, 0), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMsgServiceAdmin_SetPrimaryIdentity(sa, &uid, 0), MAPI_E_NO_SUPPORT);
	assert_int_equal(IMsgServiceAdmin_DeleteMsgService(sa, &uid), S_OK);
	assert_int_equal(IMsgServiceAdmin_DeleteMsgService(sa, &uid), MAPI_E_NOT_FOUND);
	assert_int_equal(IMsgServiceAdmin_GetProviderTable(sa, 0, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 0);
	FreeProws(rows);
	IMAPITable_Release(t);

	/* a service the user added to their own catalog */
	assert_int_equal(mapix_svccat_edit_user(e->dir, add_service_edit, "USER_SVC"), S_OK);
	char *up;
	assert_int_equal(mapix_svccat_user_path(e->dir, &up), S_OK);
	assert_int_equal(file_mode(up), 0600);
	free(up);
	assert_int_equal(IMsgServiceAdmin2_CreateMsgServiceEx(sa2, "USER_SVC", NULL, 0, 0, &uid), S_OK);
	assert_int_equal(IMsgServiceAdmin_GetProviderTable(sa, MAPI_UNICODE, &t), S_OK);
	rows = all_rows(t);
	assert_int_equal(rows->cRows, 1);
	r = &rows->aRow[0];
	assert_memory_equal(PpropFindProp(r->lpProps, r->cValues, PR_PROVIDER_DLL_NAME_W)->Value.lpszW, u"libtest.so",
	                    sizeof u"libtest.so");
	FreeProws(rows);
	IMAPITable_Release(t);

	IMsgServiceAdmin2_Release(sa2);
	IMsgServiceAdmin_Release(sa);
	IProfAdmin_Release(pa);
}

static void test_profsect(void **state)
{
	env *e = *state;
	assert_int_equal(mapix_profile_create(e->dir, "sect"), S_OK);
	MAPIUID uid;
	assert_int_equal(mapix_profile_new_uid(&uid), S_OK);
	LPPROFSECT a, b;
	assert_int_equal(mapix_profsect_create(NULL, e->dir, "sect", &uid, MAPI_MODIFY, &a), S_OK);
	assert_int_equal(mapix_profsect_create(NULL, e->dir, "sect", &uid, 0, &b), S_OK);
	ULONG c;
	LPSPropValue vals;
	assert_int_equal(IProfSect_GetProps(b, NULL, 0, &c, &vals), S_OK);
	assert_int_equal(c, 0);
	MAPIFreeBuffer(vals);

	SPropValue set[3];
	memset(set, 0, sizeof set);
	set[0].ulPropTag = PR_PROFILE_NAME_A;
	set[0].Value.lpszA = "sect";
	set[1].ulPropTag = PROP_TAG(PT_OBJECT, 0x6620);
	set[2].ulPropTag = PROP_TAG(PT_LONG, 0x6621);
	set[2].Value.l = 42;
	LPSPropProblemArray probs = NULL;
	assert_int_equal(IProfSect_SetProps(a, 3, set, &probs), S_OK);
	assert_non_null(probs);
	assert_int_equal(probs->cProblem, 1);
	assert_int_equal(probs->aProblem[0].ulIndex, 1);
	MAPIFreeBuffer(probs);
	/* the other object sees it at once: written through */
	SizedSPropTagArray(3, tags) = {3, {PR_PROFILE_NAME_W, PROP_TAG(PT_LONG, 0x6621), PR_DISPLAY_NAME_A}};
	assert_int_equal(IProfSect_GetProps(b, (LPSPropTagArray)&tags, 0, &c, &vals), MAPI_W_ERRORS_RETURNED);
	assert_int_equal(c, 3);
	assert_memory_equal(vals[0].Value.lpszW, u"sect", sizeof u"sect");
	assert_int_equal(vals[1].Value.l, 42);
	assert_int_equal(PROP_TYPE(vals[2].ulPropTag), PT_ERROR);
	MAPIFreeBuffer(vals);
	LPSPropTagArray list;
	assert_int_equal(IProfSect_GetPropList(b, 0, &list), S_OK);
	assert_int_equal(list->cValues, 2);
	MAPIFreeBuffer(list);
	SizedSPropTagArray(1, del) = {1, {PROP_TAG(PT_LONG, 0x6621)}};
	assert_int_equal(IProfSect_DeleteProps(b, (LPSPropTagArray)&del, NULL), MAPI_E_NO_ACCESS);
	assert_int_equal(IProfSect_DeleteProps(a, (LPSPropTagArray)&del, NULL), S_OK);
	assert_int_equal(IProfSect_SaveChanges(a, 0), S_OK);
	assert_int_equal(IProfSect_GetPropList(b, 0, &list), S_OK);
	assert_int_equal(list->cValues, 1);
	MAPIFreeBuffer(list);

	/* CopyTo into an IPropData */
	LPPROPDATA pd;
	assert_int_equal(CreateIProp(&IID_IMAPIPropData, MAPIAllocateBuffer, MAPIAllocateMore, MAPIFreeBuffer, NULL, &pd),
	                 S_OK);
	assert_int_equal(IProfSect_CopyTo(b, 0, NULL, NULL, 0, NULL, &IID_IMAPIProp, pd, 0, NULL), S_OK);
	LPSPropValue pn;
	assert_int_equal(HrGetOneProp((LPMAPIPROP)pd, PR_PROFILE_NAME_A, &pn), S_OK);
	assert_string_equal(pn->Value.lpszA, "sect");
	MAPIFreeBuffer(pn);
	IPropData_Release(pd);

	assert_int_equal(IProfSect_GetIDsFromNames(a, 0, NULL, 0, NULL), MAPI_E_NO_SUPPORT);
	IProfSect_Release(a);
	IProfSect_Release(b);
	/* sections of a deleted profile report it */
	assert_int_equal(mapix_profsect_create(NULL, e->dir, "sect", &uid, MAPI_MODIFY, &a), S_OK);
	assert_int_equal(mapix_profile_delete(e->dir, "sect"), S_OK);
	assert_int_equal(IProfSect_SetProps(a, 1, set, NULL), MAPI_E_NOT_FOUND);
	assert_int_equal(IProfSect_GetProps(a, NULL, 0, &c, &vals), MAPI_E_NOT_FOUND);
	IProfSect_Release(a);
}

int main(void)
{
	char *data = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", data, 1);
	free(data);
	unsetenv("MAPIX_TEST_NO_LOCK");
	unsetenv("MAPIX_TEST_LOCK_DELAY_MS");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_replace),
		cmocka_unit_test(test_profile_format_roundtrip),
		cmocka_unit_test(test_profile_format_corrupt),
		cmocka_unit_test(test_profile_dir),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_not_initialized),
		cmocka_unit_test_setup_teardown(test_profadmin, setup_init, teardown_init),
		cmocka_unit_test_setup_teardown(test_svcadmin, setup_init, teardown_init),
		cmocka_unit_test_setup_teardown(test_profsect, setup_init, teardown_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
