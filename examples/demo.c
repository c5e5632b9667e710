/*
 * demo.c — what `make demo` runs: exercises the MAPI API that exists so far
 * and prints what it did. Written only against the installed headers.
 */
#include <stdio.h>
#include <mapix.h>
#include <mapiutil.h>

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	HRESULT hr = MAPIInitialize(NULL);
	if (FAILED(hr)) {
		fprintf(stderr, "demo: MAPIInitialize failed: 0x%08X %s\n", (unsigned)hr, MAPIXGetLastErrorText());
		return 1;
	}
	printf("MAPIInitialize: S_OK\n");
	MAPIUninitialize();
	return 0;
}
