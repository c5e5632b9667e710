/*
 * fuzz_import_split.c — libFuzzer target for the store-free parsers of
 * `mapix import` (tools/mapix/import_split.h): the mbox splitter and From_
 * unquoter, the Maildir file-name, dovecot-keywords and Maildir++
 * folder-name parsers (modified UTF-7 included) and the %XX tree names. Only those two files are compiled in.
 *
 * Invariants checked on every input, in both mbox dialects:
 *   - begin and end alternate, offsets grow and stay inside the input, a
 *     message ends where the next one's separator starts at the latest;
 *   - unquoting only removes bytes: the output is never longer than input;
 *   - feeding the input whole or in pieces of any size gives the same
 *     messages byte for byte (the splitter keeps no line buffer, so a
 *     line cut anywhere must not change anything).
 * Seeds live in corpus/import_split/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/mapix/import_maildir_name.c"
#include "../../tools/mapix/import_mbox_split.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trace {
	uint64_t hash;     /* of every event and byte, in order */
	uint64_t out;      /* message bytes */
	uint64_t last_end; /* end of the previous message */
	uint64_t begin;
	uint64_t size;
	int open, n;
} trace;

static void mix(trace *t, uint64_t v)
{
	t->hash = (t->hash ^ v) * 1099511628211ull;
}

static void t_begin(void *ctx, uint64_t offset)
{
	trace *t = ctx;
	if (t->open || offset < t->last_end || offset >= t->size)
		abort();
	t->open = 1;
	t->begin = offset;
	mix(t, 0x100 + offset);
}

static void t_data(void *ctx, int in_message, const char *p, size_t n)
{
	trace *t = ctx;
	if (!n || (in_message && !t->open))
		abort();
	/* Bytes only, not how they were cut into calls. */
	for (size_t i = 0; i < n; i++)
		mix(t, (unsigned char)p[i] | (in_message ? 0 : 0x1000));
	if (in_message)
		t->out += n;
}

static void t_end(void *ctx, uint64_t end)
{
	trace *t = ctx;
	if (!t->open || end < t->begin || end > t->size)
		abort();
	t->open = 0;
	t->last_end = end;
	t->n++;
	mix(t, 0x400 + end);
}

static const mbox_split_ops ops = {t_begin, t_data, t_end};

static trace run(const uint8_t *data, size_t size, int mboxo, size_t step)
{
	trace t = {.hash = 1469598103934665603ull, .size = size};
	mbox_split s;
	mbox_split_init(&s, &ops, &t, mboxo);
	for (size_t i = 0; i < size; i += step)
		mbox_split_feed(&s, (const char *)data + i, size - i < step ? size - i : step);
	mbox_split_finish(&s);
	if (t.open || t.out > size || s.offset != size)
		abort();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step = size ? (size_t)data[0] % 13 + 1 : 1;
	for (int mboxo = 0; mboxo < 2; mboxo++) {
		trace whole = run(data, size, mboxo, size ? size : 1);
		trace pieces = run(data, size, mboxo, step);
		trace bytes = run(data, size, mboxo, 1);
		if (whole.hash != pieces.hash || whole.hash != bytes.hash || whole.n != bytes.n)
			abort();
	}

	/* The Maildir parsers take C strings and text. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	maildir_name mn;
	maildir_parse_name(text, &mn);
	if (mn.base_len > strlen(text))
		abort();
	char out[64];
	for (unsigned k = 0; k < 26; k++)
		if (maildir_keyword(text, size, k, out, sizeof out) && strlen(out) >= sizeof out)
			abort();
	if (maildir_folder_path(text, out, sizeof out) && strlen(out) >= sizeof out)
		abort();
	if (fs_name_decode(text, out, sizeof out) && strlen(out) >= sizeof out)
		abort();
	free(text);
	return 0;
}
