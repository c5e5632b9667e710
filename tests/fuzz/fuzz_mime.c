/*
 * fuzz_mime.c — libFuzzer target for the MIME converter (mapixmime.h): any
 * input is imported into an in-memory message, which is exported, and the
 * export is imported again. Import of arbitrary bytes must succeed (best
 * effort, with warnings); export of whatever came in must succeed; and the
 * export must be mail that imports again. Anything else aborts. Seeds live
 * in corpus/mime/ (the test messages of tests/data/mime), past crash
 * inputs in crashes/mime/; both are replayed in every build by replay_mime.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mapix/mapix.h>
#include <mapix/mapixmime.h>

#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(HRESULT hr, const char *what)
{
	if (hr != S_OK) {
		fprintf(stderr, "fuzz_mime: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LPMESSAGE msg = NULL, again = NULL;
	char *warnings = NULL;
	BYTE *out = NULL;
	size_t outlen = 0;

	check(mapix_mime_memmsg_new(&msg), "creating a message");
	check(mapix_mime_to_message(data, size, msg, 0, &warnings), "import");
	check(mapix_message_to_mime_buffer(msg, 0, &out, &outlen), "export");
	check(mapix_mime_memmsg_new(&again), "creating a message");
	check(mapix_mime_to_message(out, outlen, again, 0, NULL), "import of the export");
	MAPIFreeBuffer(out);
	MAPIFreeBuffer(warnings);
	IMessage_Release(again);
	IMessage_Release(msg);
	return 0;
}
