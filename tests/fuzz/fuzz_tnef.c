/*
 * fuzz_tnef.c — libFuzzer target for winmail.dat (TNEF) import: the input
 * is applied to an in-memory message. It must be converted or refused with
 * MAPI_E_CORRUPT_DATA; libytnef only ever sees streams that passed mapix's
 * structural check (it would end the process on some malformed input).
 * Seeds in corpus/tnef/, past crash inputs in crashes/tnef/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mapix/mapix.h>

#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LPMESSAGE msg = NULL;
	mapix_mime_warnings w = {0};
	mapix_mime_import ctx = {.warnings = &w, .hdr_end = -1};

	mapix_mime_init();
	if (mapix_mime_memmsg_new(&msg) != S_OK)
		abort();
	HRESULT hr = mapix_mime_import_tnef(&ctx, data, size, msg);
	if (hr != S_OK && hr != MAPI_E_CORRUPT_DATA) {
		fprintf(stderr, "fuzz_tnef: unexpected 0x%08X %s\n", (unsigned)hr, MAPIXGetLastErrorText());
		abort();
	}
	mapix_mime_warnings_finish(&w, NULL);
	IMessage_Release(msg);
	return 0;
}
