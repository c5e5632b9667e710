/*
 * bench_cycles.c — MAPI's init/uninit cycles must not leak (the seed's
 * problem 3): repeats MAPIInitialize, MAPILogonEx, OpenMsgStore, GetProps,
 * Release, Logoff, MAPIUninitialize N times (default 10,000) and compares
 * the resident set size after all of them with the size after the first
 * 1,000 (the baseline, measured in the same run). Target: within 1 MiB.
 * With a small N it is also what the valgrind test runs (tests/CMakeLists.txt).
 *
 * Usage: bench_cycles [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapixstore.h>

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

static int check(HRESULT hr, const char *what)
{
	if (FAILED(hr)) {
		fprintf(stderr, "bench_cycles: %s: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
		exit(1);
	}
	return 0;
}

static void one_cycle(const char *profiles)
{
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, profiles};
	LPMAPISESSION session;
	LPMDB mdb;
	ULONG n;
	LPSPropValue vals;
	static const SizedSPropTagArray(3, tags) = {3, {PR_DISPLAY_NAME_A, PR_STORE_SUPPORT_MASK, PR_IPM_SUBTREE_ENTRYID}};
	check(MAPIInitialize(&init), "MAPIInitialize");
	check(MAPILogonEx(0, (LPTSTR) "cycles", NULL, MAPI_EXTENDED | MAPI_NEW_SESSION, &session), "MAPILogonEx");
	check(session->lpVtbl->OpenMsgStore(session, 0, 0, NULL, NULL, MAPI_BEST_ACCESS, &mdb), "OpenMsgStore");
	check(mdb->lpVtbl->GetProps(mdb, (LPSPropTagArray)&tags, 0, &n, &vals), "GetProps");
	MAPIFreeBuffer(vals);
	mdb->lpVtbl->Release(mdb);
	check(session->lpVtbl->Logoff(session, 0, 0, 0), "Logoff");
	session->lpVtbl->Release(session);
	MAPIUninitialize();
}

int main(int argc, char **argv)
{
	long cycles = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	char dir[] = "/tmp/mapix-bench-cycles-XXXXXX";
	char profiles[256], mailbox[256];
	if (cycles < 1 || !mkdtemp(dir))
		return 2;
	snprintf(profiles, sizeof profiles, "%s/profiles", dir);
	snprintf(mailbox, sizeof mailbox, "%s/box.mapix", dir);
	if (!getenv("MAPIX_SYSCONFDIR")) {
		/* The source tree's service catalog: ../data beside bench/. */
		char catalog[4096];
		snprintf(catalog, sizeof catalog, "%s", __FILE__);
		char *slash = strrchr(catalog, '/');
		if (slash) {
			*slash = '\0';
			strncat(catalog, "/../data", sizeof catalog - strlen(catalog) - 1);
			setenv("MAPIX_SYSCONFDIR", catalog, 1);
		}
	}

	/* The profile, made once. */
	MAPIXINIT init = {MAPIX_INIT_VERSION, 0, profiles};
	LPPROFADMIN admin;
	LPSERVICEADMIN svc;
	LPMAPITABLE t;
	LPSRowSet rows;
	static const SizedSPropTagArray(1, cols) = {1, {PR_SERVICE_UID}};
	check(MAPIInitialize(&init), "MAPIInitialize");
	check(MAPIAdminProfiles(0, &admin), "MAPIAdminProfiles");
	check(admin->lpVtbl->CreateProfile(admin, (LPTSTR) "cycles", NULL, 0, 0), "CreateProfile");
	check(admin->lpVtbl->AdminServices(admin, (LPTSTR) "cycles", NULL, 0, 0, &svc), "AdminServices");
	check(svc->lpVtbl->CreateMsgService(svc, (LPTSTR) "MAPIX_LOCAL", NULL, 0, 0), "CreateMsgService");
	check(svc->lpVtbl->GetMsgServiceTable(svc, 0, &t), "GetMsgServiceTable");
	check(HrQueryAllRows(t, (LPSPropTagArray)&cols, NULL, NULL, 0, &rows), "HrQueryAllRows");
	SPropValue cfg[2] = {{.ulPropTag = PR_MAPIX_STORE_PATH_A, .Value.lpszA = mailbox},
	                     {.ulPropTag = PR_MAPIX_STORE_CREATE, .Value.b = TRUE}};
	check(svc->lpVtbl->ConfigureMsgService(svc, (LPMAPIUID)rows->aRow[0].lpProps[0].Value.bin.lpb, 0, 0, 2, cfg),
	      "ConfigureMsgService");
	FreeProws(rows);
	t->lpVtbl->Release(t);
	svc->lpVtbl->Release(svc);
	admin->lpVtbl->Release(admin);
	MAPIUninitialize();

	long warm = cycles < 1000 ? cycles / 2 : 1000, base = 0;
	for (long i = 0; i < cycles; i++) {
		one_cycle(profiles);
		if (i + 1 == warm)
			base = rss_kib();
	}
	long end = rss_kib();
	printf("bench_cycles: %ld cycles of MAPIInitialize/MAPILogonEx/OpenMsgStore/GetProps/Release/Logoff/"
	       "MAPIUninitialize\n",
	       cycles);
	printf("  RSS after %ld cycles (baseline): %ld KiB; after %ld: %ld KiB; growth %ld KiB (target <= 1024)\n", warm,
	       base, cycles, end, end - base);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_cycles: could not remove %s\n", dir);
	return end - base <= 1024 ? 0 : 1;
}
