/*
 * fuzz_pst.c — libFuzzer target for the PST import source
 * (tools/mapix/import_pst*.c, compiled in by tests/fuzz/CMakeLists.txt):
 * the input is written to a temporary file, opened with libpff and walked
 * by the same walker `mapix import` uses, against a stand-in engine that
 * hands out one folder of a temporary mailbox and never saves: every
 * property, recipient, attachment and embedded message is still copied
 * onto a real store's message, which is then dropped, so the mailbox stays
 * empty however long the run.
 *
 * Invariants: import_pst returns 0 (walked, items skipped as needed) or 1
 * (refused with one error line), never anything else; no crash, no leak.
 * Seeds in corpus/pst/ (small hand-made headers); the sanitizer build also
 * fuzzes from the shared test PST when it is there (fuzz_pst_shared).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mapix/mapiutil.h>
#include <mapix/mapix.h>
#include <mapix/mapixstore.h>

#include "../../tools/mapix/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the stand-in engine ---------------------------------------------------------------- */

struct import_engine {
	LPMDB mdb;
	LPMAPIFOLDER folder;
	unsigned long skipped, warnings, created;
};

HRESULT import_folder(import_engine *eng, const char *relpath, import_folder_kind kind, const char *container_class,
                      LPMAPIFOLDER *lppFolder)
{
	(void)relpath, (void)kind, (void)container_class;
	*lppFolder = eng->folder;
	return S_OK;
}

BOOL import_seen(import_engine *eng, LPMAPIFOLDER folder, const char *source_id)
{
	(void)eng, (void)folder;
	if (strncmp(source_id, "pst:", 4) != 0)
		abort();
	return FALSE;
}

HRESULT import_commit_message(import_engine *eng, LPMESSAGE msg, const char *source_id, uint64_t bytes)
{
	(void)source_id, (void)bytes;
	eng->created++;
	IMessage_Release(msg); /* dropped unsaved */
	return S_OK;
}

void import_skip(import_engine *eng, const char *location, const char *fmt, ...)
{
	(void)location, (void)fmt;
	eng->skipped++;
}

void import_warn(import_engine *eng, const char *location, const char *fmt, ...)
{
	(void)location, (void)fmt;
	eng->warnings++;
}

void import_count_existing(import_engine *eng, uint64_t bytes)
{
	(void)eng, (void)bytes;
}

void import_add_total(import_engine *eng, uint64_t bytes)
{
	(void)eng, (void)bytes;
}

LPMDB import_store(import_engine *eng)
{
	return eng->mdb;
}

BOOL import_stopped(import_engine *eng)
{
	(void)eng;
	return FALSE;
}

int cli_error(const char *fmt, ...)
{
	(void)fmt;
	return 1;
}

/* ---- the target ----------------------------------------------------------------------------- */

static import_engine eng;
static char work[] = "/tmp/fuzz_pst.XXXXXX";
static char input_path[64], mbx_path[64];

static void cleanup(void)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[96];
	if (eng.folder)
		IMAPIFolder_Release(eng.folder);
	if (eng.mdb)
		IMsgStore_Release(eng.mdb);
	MAPIUninitialize();
	unlink(input_path);
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(p, sizeof p, "%s%s", mbx_path, suffixes[i]);
		unlink(p);
	}
	rmdir(work);
}

static void setup_once(void)
{
	LPSPropValue v = NULL;
	ULONG type = 0;
	if (!mkdtemp(work) || FAILED(MAPIInitialize(NULL)))
		abort();
	snprintf(mbx_path, sizeof mbx_path, "%s/mbx", work);
	snprintf(input_path, sizeof input_path, "%s/input.pst", work);
	if (FAILED(MAPIXOpenLocalStore(mbx_path, MAPIX_STORE_CREATE | MDB_WRITE, &eng.mdb)))
		abort();
	if (HrGetOneProp((LPMAPIPROP)eng.mdb, PR_IPM_SUBTREE_ENTRYID, &v) != S_OK ||
	    IMsgStore_OpenEntry(eng.mdb, v->Value.bin.cb, (LPENTRYID)v->Value.bin.lpb, NULL, MAPI_MODIFY, &type,
	                        (LPUNKNOWN *)&eng.folder) != S_OK)
		abort();
	MAPIFreeBuffer(v);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!eng.mdb)
		setup_once();
	FILE *f = fopen(input_path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	int rc = import_pst(&eng, input_path);
	if (rc != 0 && rc != 1)
		abort();
	return 0;
}
