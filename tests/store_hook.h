/*
 * store_hook.h — the "open a store" step of the store test suites, in one
 * place so the same suites can later run against the remote provider
 * (mapixd) as well as the local one.
 *
 * Every store test opens its mailbox with store_hook_open(path, flags,
 * &lpMDB) instead of calling MAPIXOpenLocalStore directly. By default that
 * is the local provider. With MAPIX_STORE_PROVIDER=remote in the
 * environment the hook opens the mailbox through the remote provider on
 * the mapixd at MAPIX_TEST_SERVER (a socket path; src/server/CMakeLists.txt
 * starts one for the remote_store_* tests): the path becomes a mailbox
 * name of its own ("t" and a hash of the path), and MAPIX_STORE_CREATE
 * creates that account (the test runs as an administrator of the test
 * server). store_hook_skip_unless_local() lets tests that depend on the
 * local file itself (permissions, corrupt files, backups) skip cleanly.
 *
 * Header-only on purpose: tests/CMakeLists.txt links every test with
 * tests/testutil.c alone.
 */
#ifndef MAPIX_TEST_STORE_HOOK_H
#define MAPIX_TEST_STORE_HOOK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapixremote.h>
#include <mapix/mapixstore.h>

/* "local" (the default) or "remote", from MAPIX_STORE_PROVIDER. */
static inline const char *store_hook_provider(void)
{
	const char *p = getenv("MAPIX_STORE_PROVIDER");
	return p && strcmp(p, "remote") == 0 ? "remote" : "local";
}

static inline int store_hook_is_local(void)
{
	return strcmp(store_hook_provider(), "local") == 0;
}

/*
 * Opens (with MAPIX_STORE_CREATE: creates) the mailbox `path` with the
 * flags of MAPIXOpenLocalStore (MDB_WRITE, MAPI_BEST_ACCESS, ...). For the
 * local provider path is the mailbox file; for the remote one it will name
 * the mailbox on the test server.
 */
/* The mailbox name the remote provider uses for a test's path. */
static inline void store_hook_mailbox_name(const char *path, char out[20])
{
	/* FNV-1a, 64 bits: distinct temporary paths give distinct mailboxes. */
	unsigned long long h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	static const char hex[] = "0123456789abcdef";
	out[0] = 't';
	for (int i = 0; i < 16; i++)
		out[1 + i] = hex[(h >> (60 - 4 * i)) & 0xF];
	out[17] = 0;
}

/* Reads the first line of DIR/name into out. */
static inline int store_hook_read(const char *dir, const char *name, char *out, size_t cap)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	if (ok)
		out[strcspn(out, "\r\n")] = 0;
	return ok && *out;
}

static inline HRESULT store_hook_open(const char *path, ULONG flags, LPMDB *lppMDB)
{
	const char *tls_dir = getenv("MAPIX_TEST_TLS_DIR");
	if (!store_hook_is_local() && tls_dir && *tls_dir) {
		char address[160], tcp[200], password[200], ca[4096], name[20];
		if (!path || !store_hook_read(tls_dir, "tcp.address", address, sizeof address) ||
		    !store_hook_read(tls_dir, "suite.password", password, sizeof password)) {
			if (lppMDB)
				*lppMDB = NULL;
			return MAPI_E_NO_SUPPORT; /* the fixture has no TLS listener */
		}
		snprintf(tcp, sizeof tcp, "tcp:%s", address);
		snprintf(ca, sizeof ca, "%s/certs/ca.pem", tls_dir);
		MAPIXREMOTETLS tls = {MAPIX_REMOTE_TLS_VERSION, "suite", password, ca, NULL};
		store_hook_mailbox_name(path, name);
		return MAPIXOpenRemoteStoreTLS(tcp, &tls, name, flags, lppMDB);
	}
	if (!store_hook_is_local()) {
		const char *server = getenv("MAPIX_TEST_SERVER");
		char name[20];
		if (!server || !*server || !path) {
			if (lppMDB)
				*lppMDB = NULL;
			return MAPI_E_NO_SUPPORT; /* no test server to talk to */
		}
		store_hook_mailbox_name(path, name);
		return MAPIXOpenRemoteStore(server, name, flags, lppMDB);
	}
	return MAPIXOpenLocalStore(path, flags, lppMDB);
}

/* For tests about the local mailbox file itself. */
#define store_hook_skip_unless_local()                                                        \
	do {                                                                                      \
		if (!store_hook_is_local())                                                           \
			MAPIX_SKIP("test of the local mailbox file (MAPIX_STORE_PROVIDER=%s)",            \
			           store_hook_provider());                                                 \
	} while (0)

#endif
