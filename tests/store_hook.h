/*
 * store_hook.h — the "open a store" step of the store test suites, in one
 * place so the same suites can later run against the remote provider
 * (mapixd) as well as the local one.
 *
 * Every store test opens its mailbox with store_hook_open(path, flags,
 * &lpMDB) instead of calling MAPIXOpenLocalStore directly. Today that is
 * the local provider. With MAPIX_STORE_PROVIDER=remote in the environment
 * the hook will open the mailbox through the remote provider instead; until
 * that provider exists it answers MAPI_E_NO_SUPPORT, and
 * store_hook_skip_unless_local() lets tests that depend on the local file
 * itself (permissions, corrupt files, backups) skip cleanly.
 *
 * Header-only on purpose: tests/CMakeLists.txt links every test with
 * tests/testutil.c alone.
 */
#ifndef MAPIX_TEST_STORE_HOOK_H
#define MAPIX_TEST_STORE_HOOK_H

#include <stdlib.h>
#include <string.h>

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
static inline HRESULT store_hook_open(const char *path, ULONG flags, LPMDB *lppMDB)
{
	if (!store_hook_is_local()) {
		if (lppMDB)
			*lppMDB = NULL;
		return MAPI_E_NO_SUPPORT; /* the remote provider is not there yet */
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
