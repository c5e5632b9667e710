/*
 * fuzz_rtf.c — libFuzzer target for the RTF code (mapixmime.h): the input
 * is decompressed as PR_RTF_COMPRESSED, read as RTF (HTML or text), and
 * compressed; what was compressed must decompress to exactly the input.
 * Seeds in corpus/rtf/, past crash inputs in crashes/rtf/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapixmime.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	BYTE *out = NULL, *back = NULL;
	ULONG n = 0, bn = 0, kind = 0;
	char *body = NULL;
	size_t blen = 0;

	if (size > 0x100000)
		return 0;
	if (mapix_rtf_decompress(data, (ULONG)size, &out, &n) == S_OK)
		MAPIFreeBuffer(out);
	if (mapix_rtf_to_body(data, (ULONG)size, &kind, &body, &blen) != S_OK)
		abort();
	MAPIFreeBuffer(body);
	if (mapix_rtf_compress(data, (ULONG)size, &out, &n) != S_OK)
		abort();
	if (mapix_rtf_decompress(out, n, &back, &bn) != S_OK || bn != size || (size && memcmp(back, data, size) != 0)) {
		fprintf(stderr, "fuzz_rtf: compression round trip failed\n");
		abort();
	}
	MAPIFreeBuffer(out);
	MAPIFreeBuffer(back);
	return 0;
}
