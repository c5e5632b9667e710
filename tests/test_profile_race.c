/*
 * test_profile_race.c — the seed's failure as a test (design.md, problem 4:
 * unlocked edits of the service catalog). 8 processes x 8 threads at once,
 * repeatedly: create a profile, add the local store service to it and
 * configure it, add a service of their own to the per-user catalog and
 * then add that service to their profile (reading what they just wrote),
 * add a service to one profile they all share, move the default profile,
 * and list the profiles.
 *
 * Afterwards every profile whose creation returned S_OK is listed and has
 * its configured mailbox path in its provider section, the catalog parses
 * and holds every thread's sections, and the shared profile holds every
 * service whose creation returned S_OK: no update is lost.
 *
 * The same run with locking switched off (MAPIX_TEST_NO_LOCK=1) and a
 * delay between read and write (MAPIX_TEST_LOCK_DELAY_MS) must lose
 * updates, which proves the checks above can fail.
 *
 * With locking, every configured profile also logs on (MAPILogonEx) and
 * opens its store through the provider.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

#include "subsystem/profadmin.h"
#include "subsystem/profile_file.h"
#include "subsystem/svc_catalog.h"
#include "testutil.h"

#define NPROC 8
#define NTHR 8
#define MAXIT 32

typedef struct slot {
	HRESULT create, configure, catalog, catalog_service, shared, table;
	MAPIUID shared_uid;
} slot;

typedef struct shared_mem {
	int iterations[NPROC][NTHR];
	slot s[NPROC][NTHR][MAXIT];
} shared_mem;

typedef struct run {
	const char *base;
	char profile_dir[512];
	shared_mem *mem;
	int iters;
	double seconds;
} run;

typedef struct thread_arg {
	run *r;
	int proc, thr;
	LPPROFADMIN pa;
} thread_arg;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void names_for(int p, int t, int i, char *profile, char *service, char *provider)
{
	sprintf(profile, "race-p%d-t%d-i%d", p, t, i);
	sprintf(service, "RACE_P%d_T%d_I%d", p, t, i);
	sprintf(provider, "RACE_P%d_T%d_I%d_MS", p, t, i);
}

static void mailbox_for(const run *r, const char *profile, char *out)
{
	sprintf(out, "%s/mail/%s.mapix", r->base, profile);
}

typedef struct cat_edit {
	const char *service, *provider;
} cat_edit;

static HRESULT add_to_catalog(void *arg, mapix_svccat *cat)
{
	cat_edit *ce = arg;
	HRESULT hr = mapix_svccat_set(cat, "Services", ce->service, "a racing service");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, ce->service, "Providers", ce->provider);
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, ce->service, "PR_SERVICE_DLL_NAME", "libmapix.so.0");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, ce->provider, "PR_PROVIDER_DLL_NAME", "libmapix.so.0");
	if (SUCCEEDED(hr))
		hr = mapix_svccat_set(cat, ce->provider, "PR_RESOURCE_TYPE", "MAPI_STORE_PROVIDER");
	return hr;
}

static HRESULT add_local_service(LPPROFADMIN pa, const char *profile, MAPIUID *uid, const char *mailbox)
{
	LPSERVICEADMIN sa;
	LPSERVICEADMIN2 sa2;
	HRESULT hr = IProfAdmin_AdminServices(pa, (LPTSTR)profile, NULL, 0, 0, &sa);
	if (FAILED(hr))
		return hr;
	hr = IMsgServiceAdmin_QueryInterface(sa, &IID_IMsgServiceAdmin2, (void **)&sa2);
	if (SUCCEEDED(hr)) {
		hr = IMsgServiceAdmin2_CreateMsgServiceEx(sa2, "MAPIX_LOCAL", NULL, 0, 0, uid);
		IMsgServiceAdmin2_Release(sa2);
	}
	if (SUCCEEDED(hr) && mailbox) {
		SPropValue v[2];
		memset(v, 0, sizeof v);
		v[0].ulPropTag = PR_MAPIX_STORE_PATH_A;
		v[0].Value.lpszA = (LPSTR)mailbox;
		v[1].ulPropTag = PR_MAPIX_STORE_CREATE;
		v[1].Value.b = TRUE;
		hr = IMsgServiceAdmin_ConfigureMsgService(sa, uid, 0, 0, 2, v);
	}
	IMsgServiceAdmin_Release(sa);
	return hr;
}

static void *worker(void *arg)
{
	thread_arg *ta = arg;
	run *r = ta->r;
	double deadline = now() + r->seconds;
	char profile[64], service[64], provider[64], mailbox[600];
	int i;
	for (i = 0; i < r->iters && now() < deadline; i++) {
		slot *s = &r->mem->s[ta->proc][ta->thr][i];
		names_for(ta->proc, ta->thr, i, profile, service, provider);
		mailbox_for(r, profile, mailbox);
		MAPIUID uid;

		s->create = IProfAdmin_CreateProfile(ta->pa, (LPTSTR)profile, NULL, 0, 0);
		s->configure = s->create == S_OK ? add_local_service(ta->pa, profile, &uid, mailbox) : MAPI_E_CALL_FAILED;

		cat_edit ce = {service, provider};
		s->catalog = mapix_svccat_edit_user(r->profile_dir, add_to_catalog, &ce);
		/* read back through the catalog what this thread just wrote */
		s->catalog_service = MAPI_E_CALL_FAILED;
		if (s->create == S_OK) {
			LPSERVICEADMIN sa;
			s->catalog_service = IProfAdmin_AdminServices(ta->pa, (LPTSTR)profile, NULL, 0, 0, &sa);
			if (s->catalog_service == S_OK) {
				s->catalog_service = IMsgServiceAdmin_CreateMsgService(sa, (LPTSTR)service, NULL, 0, 0);
				IMsgServiceAdmin_Release(sa);
			}
		}

		s->shared = add_local_service(ta->pa, "shared", &s->shared_uid, NULL);

		if (s->create == S_OK && i % 2 == 0)
			IProfAdmin_SetDefaultProfile(ta->pa, (LPTSTR)profile, 0);
		LPMAPITABLE t;
		s->table = IProfAdmin_GetProfileTable(ta->pa, 0, &t);
		if (s->table == S_OK) {
			ULONG n = 0;
			s->table = IMAPITable_GetRowCount(t, 0, &n);
			IMAPITable_Release(t);
		}
	}
	r->mem->iterations[ta->proc][ta->thr] = i;
	return NULL;
}

static int child(run *r, int proc)
{
	MAPIXINIT init = {MAPIX_INIT_VERSION, MAPIX_INIT_NO_SUPPORT_THREADS, r->profile_dir};
	if (MAPIInitialize(&init) != S_OK)
		return 2;
	LPPROFADMIN pa;
	if (MAPIAdminProfiles(0, &pa) != S_OK)
		return 3;
	pthread_t th[NTHR];
	thread_arg ta[NTHR];
	for (int t = 0; t < NTHR; t++) {
		ta[t] = (thread_arg){r, proc, t, pa};
		if (pthread_create(&th[t], NULL, worker, &ta[t]) != 0)
			return 4;
	}
	for (int t = 0; t < NTHR; t++)
		pthread_join(th[t], NULL);
	IProfAdmin_Release(pa);
	MAPIUninitialize();
	return 0;
}

typedef struct result {
	int attempts;            /* iterations run, all threads */
	int failed_calls;        /* calls that did not return S_OK */
	int lost_profiles;       /* created, but not listed */
	int lost_configurations; /* configured, but the path is not in the profile */
	int lost_catalog;        /* catalog edits that returned S_OK but are gone */
	int lost_shared;         /* services added to the shared profile that are gone */
	int failed_logons;       /* configured profiles that did not log on and open their store */
	BOOL catalog_parses;
} result;

static BOOL has_uid(const mapix_profile *p, const MAPIUID *uid)
{
	const mapix_profsect_data *s = mapix_profile_find(p, uid);
	return s && mapix_admin_is_service(s);
}

static BOOL configured(const mapix_profile *p, const char *mailbox)
{
	for (ULONG i = 0; i < p->cSections; i++) {
		const mapix_profsect_data *s = &p->sections[i];
		if (!mapix_admin_is_provider(s))
			continue;
		LPSPropValue v = mapix_profsect_find_prop(s, PR_MAPIX_STORE_PATH_A);
		if (!v)
			continue;
		char *u = NULL;
		if (PROP_TYPE(v->ulPropTag) == PT_STRING8 && strcmp(v->Value.lpszA, mailbox) == 0)
			return TRUE;
		if (PROP_TYPE(v->ulPropTag) == PT_UNICODE && mapix_utf16_to_utf8(v->Value.lpszW, NULL, &u) == S_OK) {
			BOOL same = strcmp(u, mailbox) == 0;
			MAPIFreeBuffer(u);
			if (same)
				return TRUE;
		}
	}
	return FALSE;
}

static result race(const char *tag, BOOL locking, unsigned delay_ms, int iters, double seconds)
{
	result res;
	memset(&res, 0, sizeof res);
	run r;
	memset(&r, 0, sizeof r);
	char *base = mapix_test_tmpdir(tag);
	assert_non_null(base);
	r.base = base;
	snprintf(r.profile_dir, sizeof r.profile_dir, "%s/config/profiles", base);
	char maildir[4096];
	snprintf(maildir, sizeof maildir, "%s/mail", base);
	assert_int_equal(mkdir(maildir, 0700), 0);
	r.iters = iters > MAXIT ? MAXIT : iters;
	r.seconds = seconds;
	r.mem = mmap(NULL, sizeof *r.mem, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r.mem != MAP_FAILED);
	memset(r.mem, 0, sizeof *r.mem);
	assert_int_equal(mapix_profile_create(r.profile_dir, "shared"), S_OK);

	if (!locking) {
		char d[16];
		snprintf(d, sizeof d, "%u", delay_ms);
		setenv("MAPIX_TEST_NO_LOCK", "1", 1);
		setenv("MAPIX_TEST_LOCK_DELAY_MS", d, 1);
	}
	pid_t pids[NPROC];
	for (int p = 0; p < NPROC; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0)
			_exit(child(&r, p));
	}
	for (int p = 0; p < NPROC; p++) {
		int status = 0;
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	unsetenv("MAPIX_TEST_NO_LOCK");
	unsetenv("MAPIX_TEST_LOCK_DELAY_MS");

	/* Check the results with locking on, through the public API where it
	 * has the answer. */
	MAPIXINIT init = {MAPIX_INIT_VERSION, MAPIX_INIT_NO_SUPPORT_THREADS, r.profile_dir};
	assert_int_equal(MAPIInitialize(&init), S_OK);
	LPPROFADMIN pa;
	assert_int_equal(MAPIAdminProfiles(0, &pa), S_OK);
	LPMAPITABLE t;
	assert_int_equal(IProfAdmin_GetProfileTable(pa, 0, &t), S_OK);
	LPSRowSet rows = NULL;
	assert_int_equal(HrQueryAllRows(t, NULL, NULL, NULL, 0, &rows), S_OK);
	IMAPITable_Release(t);

	mapix_svccat *cat = NULL;
	char *user = NULL;
	assert_int_equal(mapix_svccat_user_path(r.profile_dir, &user), S_OK);
	res.catalog_parses = mapix_svccat_load_file(user, &cat) == S_OK;
	free(user);
	mapix_profile *shared = NULL;
	assert_int_equal(mapix_profile_load(r.profile_dir, "shared", &shared), S_OK);

	char profile[64], service[64], provider[64], mailbox[600];
	for (int p = 0; p < NPROC; p++)
		for (int th = 0; th < NTHR; th++)
			for (int i = 0; i < r.mem->iterations[p][th]; i++) {
				const slot *s = &r.mem->s[p][th][i];
				names_for(p, th, i, profile, service, provider);
				mailbox_for(&r, profile, mailbox);
				res.attempts++;
				res.failed_calls += (s->create != S_OK) + (s->configure != S_OK) + (s->catalog != S_OK) +
				                    (s->catalog_service != S_OK) + (s->shared != S_OK) + (s->table != S_OK);
				if (s->create == S_OK) {
					BOOL listed = FALSE;
					for (ULONG k = 0; k < rows->cRows && !listed; k++) {
						LPSPropValue n = PpropFindProp(rows->aRow[k].lpProps, rows->aRow[k].cValues,
						                               PR_DISPLAY_NAME_A);
						listed = n && strcmp(n->Value.lpszA, profile) == 0;
					}
					res.lost_profiles += !listed;
				}
				if (s->configure == S_OK) {
					mapix_profile *mp = NULL;
					if (mapix_profile_load(r.profile_dir, profile, &mp) != S_OK || !configured(mp, mailbox))
						res.lost_configurations++;
					mapix_profile_free(mp);
				}
				if (locking && s->configure == S_OK) {
					/* The profile is usable: it logs on and opens its store. */
					LPMAPISESSION ses = NULL;
					LPMDB mdb = NULL;
					HRESULT lhr = MAPILogonEx(0, (LPTSTR)profile, NULL, MAPI_EXTENDED | MAPI_NEW_SESSION, &ses);
					if (SUCCEEDED(lhr))
						lhr = ses->lpVtbl->OpenMsgStore(ses, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb);
					if (FAILED(lhr) && res.failed_logons++ == 0)
						print_message("first failed logon: %s: 0x%08X %s\n", profile, (unsigned)lhr,
						              MAPIXGetLastErrorText());
					if (mdb)
						mdb->lpVtbl->Release(mdb);
					if (ses) {
						ses->lpVtbl->Logoff(ses, 0, 0, 0);
						ses->lpVtbl->Release(ses);
					}
				}
				if (s->catalog == S_OK)
					res.lost_catalog += !cat || !mapix_svccat_get(cat, "Services", service) ||
					                    !mapix_svccat_get(cat, service, "Providers") ||
					                    !mapix_svccat_get(cat, provider, "PR_PROVIDER_DLL_NAME");
				if (s->shared == S_OK)
					res.lost_shared += !has_uid(shared, &s->shared_uid);
			}
	mapix_profile_free(shared);
	mapix_svccat_free(cat);
	FreeProws(rows);
	IProfAdmin_Release(pa);
	MAPIUninitialize();
	munmap(r.mem, sizeof *r.mem);
	mapix_test_rmtree(base);
	free(base);
	print_message("%s: %d iterations, %d failed calls, lost: %d profiles, %d configurations, %d catalog entries, "
	              "%d shared services; %d failed logons\n",
	              tag, res.attempts, res.failed_calls, res.lost_profiles, res.lost_configurations, res.lost_catalog,
	              res.lost_shared, res.failed_logons);
	return res;
}

static void test_race_locked(void **state)
{
	(void)state;
	unsigned stress = mapix_test_stress();
	result res = race("race-locked", TRUE, 0, (int)(3 * stress), 4.0 * stress);
	assert_true(res.attempts >= NPROC * NTHR);
	assert_true(res.catalog_parses);
	assert_int_equal(res.failed_calls, 0);
	assert_int_equal(res.lost_profiles, 0);
	assert_int_equal(res.lost_configurations, 0);
	assert_int_equal(res.lost_catalog, 0);
	assert_int_equal(res.lost_shared, 0);
	assert_int_equal(res.failed_logons, 0);
}

/* Proves the test can fail: without the lock, concurrent read-modify-write
 * cycles overwrite each other. Files are still replaced atomically, so
 * everything parses; updates are lost. */
static void test_race_unlocked_loses_updates(void **state)
{
	(void)state;
	result res = race("race-unlocked", FALSE, 20, 2, 30.0);
	assert_true(res.attempts >= NPROC * NTHR);
	assert_true(res.catalog_parses);
	assert_true(res.lost_catalog + res.lost_shared > 0);
}

int main(void)
{
	char *data = mapix_test_source_path("data");
	setenv("MAPIX_SYSCONFDIR", data, 1);
	free(data);
	unsetenv("MAPIX_TEST_NO_LOCK");
	unsetenv("MAPIX_TEST_LOCK_DELAY_MS");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_locked),
		cmocka_unit_test(test_race_unlocked_loses_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
