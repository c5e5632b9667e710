/*
 * fuzz_cli_where.c — libFuzzer target for the --where parser of `mapix store
 * ls` (tools/mapix/cli_where.c). It compiles the parser's two files and
 * nothing else of the CLI (no printing, no mailbox), so only the parser and
 * libmapix are under test. The input, as a C string, must either parse into
 * a restriction that libmapix's validator and evaluator accept (the parser
 * never hands IMAPITable_Restrict something malformed), or fail with
 * MAPI_E_INVALID_PARAMETER and a "column N: ..." message inside the input's
 * bounds. Seeds live in corpus/cli_where/, past crash inputs in
 * crashes/cli_where/ (both replayed in every build by replay_cli_where).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixrestrict.h>

#include "../../tools/mapix/cli_propname.c"
#include "../../tools/mapix/cli_where.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A message row for the evaluator: a few of the properties the aliases
 * name, of the types they have. */
static void sample_row(SPropValue *row, ULONG *n)
{
	static WCHAR subject[] = u"Quarterly report", from[] = u"Alice";
	ULONG k = 0;
	row[k].ulPropTag = PR_SUBJECT_W, row[k++].Value.lpszW = subject;
	row[k].ulPropTag = PR_SENDER_NAME_W, row[k++].Value.lpszW = from;
	row[k].ulPropTag = PR_MESSAGE_SIZE, row[k++].Value.l = 1234;
	row[k].ulPropTag = PR_MESSAGE_FLAGS, row[k++].Value.l = MSGFLAG_READ;
	row[k].ulPropTag = PR_IMPORTANCE, row[k++].Value.l = 1;
	row[k].ulPropTag = PR_MESSAGE_DELIVERY_TIME, row[k++].Value.ft = mapix_filetime_from_unix(1709285400, 0);
	row[k].ulPropTag = PR_HASATTACH, row[k++].Value.b = TRUE;
	*n = k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	size_t len = strlen(text);

	LPSRestriction res = NULL;
	char err[256] = "unset";
	HRESULT hr = cli_where_parse(text, &res, err, sizeof err);
	if (hr == S_OK) {
		if (!res)
			abort();
		if (mapix_restriction_validate(res) != S_OK) {
			fprintf(stderr, "parsed but invalid: %s\n", MAPIXGetLastErrorText());
			abort();
		}
		SPropValue row[8];
		ULONG n = 0;
		BOOL match = FALSE;
		sample_row(row, &n);
		hr = mapix_restriction_eval(res, n, row, NULL, &match);
		if (hr != S_OK) {
			fprintf(stderr, "parsed but not evaluable: %s\n", MAPIXGetLastErrorText());
			abort();
		}
		MAPIFreeBuffer(res);
	} else if (hr == MAPI_E_INVALID_PARAMETER) {
		unsigned long col = 0;
		if (res || sscanf(err, "column %lu: ", &col) != 1 || col < 1 || col > len + 1 || !strchr(err, ':')[1])
			abort();
	} else if (hr != MAPI_E_NOT_ENOUGH_MEMORY) {
		abort();
	}
	free(text);
	return 0;
}
