/*
 * fuzz_mime_keep.c — libFuzzer target for the kept original form of a
 * message (MAPIX_MIME_KEEP_SOURCE on import, the verbatim export of
 * mime-export-source.c): any input imported with the flag into an
 * in-memory message must export as exactly the input in its own line-end
 * form, and in the other form as the input with its line ends converted as
 * mapixmime.h defines (the first line end decides; CRLF <-> LF, lone CRs
 * and LFs that already have their CR left alone). The rebuilt export
 * (MAPIX_MIME_REGENERATE) must succeed too. Anything else aborts. Seeds in
 * corpus/mime_keep/, crash inputs in crashes/mime_keep/, replayed by
 * replay_mime_keep in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapixmime.h>

#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(HRESULT hr, const char *what)
{
	if (hr != S_OK) {
		fprintf(stderr, "fuzz_mime_keep: %s failed: 0x%08X %s\n", what, (unsigned)hr, MAPIXGetLastErrorText());
		abort();
	}
}

/* The input as the export must write it: to CRLF (every LF without its CR
 * gets one) or to LF (every CR LF loses the CR), or unchanged. */
static uint8_t *expected(const uint8_t *in, size_t n, int to_crlf, int to_lf, size_t *outlen)
{
	uint8_t *out = calloc(2 * n + 1, 1);
	size_t o = 0;
	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (to_lf && in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			continue;
		if (to_crlf && in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	*outlen = o;
	return out;
}

static void compare(LPMESSAGE msg, ULONG flags, const uint8_t *want, size_t n)
{
	BYTE *out = NULL;
	size_t outlen = 0;
	check(mapix_message_to_mime_buffer(msg, flags, &out, &outlen), "verbatim export");
	if (outlen != n || memcmp(out, want, n) != 0) {
		fprintf(stderr, "fuzz_mime_keep: export with flags 0x%X is not the input (%zu bytes, %zu expected)\n",
		        (unsigned)flags, outlen, n);
		abort();
	}
	MAPIFreeBuffer(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LPMESSAGE msg = NULL;
	BYTE *out = NULL;
	size_t outlen = 0, n;

	check(mapix_mime_memmsg_new(&msg), "creating a message");
	check(mapix_mime_to_message(data, size, msg, MAPIX_MIME_KEEP_SOURCE, NULL), "import");
	const uint8_t *nl = memchr(data, '\n', size);
	int crlf = nl && nl > data && nl[-1] == '\r';
	uint8_t *want = expected(data, size, 0, crlf, &n);
	compare(msg, 0, want, n);
	free(want);
	want = expected(data, size, nl && !crlf, 0, &n);
	compare(msg, MAPIX_MIME_CRLF, want, n);
	free(want);
	check(mapix_message_to_mime_buffer(msg, MAPIX_MIME_REGENERATE, &out, &outlen), "rebuilt export");
	MAPIFreeBuffer(out);
	IMessage_Release(msg);
	return 0;
}
