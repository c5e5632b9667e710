/*
 * test_import_split.c — the store-free parsers of `mapix import`
 * (tools/mapix/import_split.h): the mbox splitter and From_ unquoter in
 * both dialects, fed whole and one byte at a time (a line split anywhere
 * must give the same result), with an mboxrd round trip of quoted lines;
 * Maildir file-name flags, dovecot-keywords lines and Maildir++ folder names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "../tools/mapix/import_maildir_name.c"
#include "../tools/mapix/import_mbox_split.c"

/* ---- mbox ------------------------------------------------------------------- */

#define MAX_MSGS 16

typedef struct collected {
	char *msg[MAX_MSGS];
	size_t len[MAX_MSGS];
	uint64_t begin[MAX_MSGS], end[MAX_MSGS];
	int n, open;
	size_t junk;
} collected;

static void c_begin(void *ctx, uint64_t offset)
{
	collected *c = ctx;
	assert_false(c->open);
	assert_true(c->n < MAX_MSGS);
	c->begin[c->n] = offset;
	c->msg[c->n] = calloc(1, 1);
	c->len[c->n] = 0;
	c->open = 1;
}

static void c_data(void *ctx, int in_message, const char *p, size_t n)
{
	collected *c = ctx;
	if (!in_message) {
		c->junk += n;
		return;
	}
	assert_true(c->open);
	int i = c->n;
	c->msg[i] = realloc(c->msg[i], c->len[i] + n + 1);
	memcpy(c->msg[i] + c->len[i], p, n);
	c->len[i] += n;
	c->msg[i][c->len[i]] = 0;
}

static void c_end(void *ctx, uint64_t end)
{
	collected *c = ctx;
	assert_true(c->open);
	c->end[c->n++] = end;
	c->open = 0;
}

static const mbox_split_ops c_ops = {c_begin, c_data, c_end};

/* Splits text whole (step 0) or in pieces of step bytes. */
static void split(const char *text, int mboxo, size_t step, collected *c)
{
	mbox_split s;
	memset(c, 0, sizeof *c);
	mbox_split_init(&s, &c_ops, c, mboxo);
	size_t n = strlen(text);
	if (!step)
		step = n ? n : 1;
	for (size_t i = 0; i < n; i += step)
		mbox_split_feed(&s, text + i, n - i < step ? n - i : step);
	mbox_split_finish(&s);
	assert_false(c->open);
}

static void collected_free(collected *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->msg[i]);
}

/* The same result whatever the piece size. */
static void check_split(const char *text, int mboxo, int n, const char *const *want, const uint64_t *begins)
{
	static const size_t steps[] = {0, 1, 2, 3, 7};
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		collected c;
		split(text, mboxo, steps[k], &c);
		assert_int_equal(c.n, n);
		for (int i = 0; i < n; i++) {
			assert_string_equal(c.msg[i], want[i]);
			assert_int_equal(c.begin[i], begins[i]);
		}
		collected_free(&c);
	}
}

static void test_mbox_basic(void **state)
{
	(void)state;
	const char *text = "From a@b Mon Jan  1 00:00:00 2024\n"
	                   "Subject: one\n"
	                   "\n"
	                   "body\n"
	                   "From inside a paragraph\n"
	                   "\n"
	                   "From c@d Mon Jan  1 00:00:00 2024\n"
	                   "Subject: two\n"
	                   "\n"
	                   "\n"
	                   "two\n"
	                   "\n";
	const char *want[] = {"Subject: one\n\nbody\nFrom inside a paragraph\n", "Subject: two\n\n\ntwo\n"};
	uint64_t begins[] = {0, 78};
	check_split(text, 0, 2, want, begins);
}

static void test_mbox_unquote_rd(void **state)
{
	(void)state;
	const char *text = "From a@b x\n"
	                   "S: q\n"
	                   "\n"
	                   ">From one\n"
	                   ">>From two\n"
	                   ">>>From three\n"
	                   ">Fro not quoted\n"
	                   ">>Frob\n"
	                   "> From space\n"
	                   "F\n"
	                   "Fr\n"
	                   ">\n"
	                   "\n"
	                   ">From after an empty line\n";
	const char *want[] = {"S: q\n\nFrom one\n>From two\n>>From three\n>Fro not quoted\n>>Frob\n> From space\n"
	                      "F\nFr\n>\n\nFrom after an empty line\n"};
	uint64_t begins[] = {0};
	check_split(text, 0, 1, want, begins);
}

static void test_mbox_unquote_o(void **state)
{
	(void)state;
	const char *text = "From a@b x\n\n>From one\n>>From two\n";
	const char *want[] = {"\nFrom one\n>>From two\n"};
	uint64_t begins[] = {0};
	check_split(text, 1, 1, want, begins);
}

static void test_mbox_crlf_and_edges(void **state)
{
	(void)state;
	/* CRLF empty lines frame too; several empty lines keep all but the
	 * last; a lone \r is content; no final newline. */
	const char *text = "From a x\r\nA: 1\r\n\r\nb\r\n\r\n\r\n\r\nFrom b y\r\nB: 2\r\n\rz";
	const char *want[] = {"A: 1\r\n\r\nb\r\n\r\n\r\n", "B: 2\r\n\rz"};
	uint64_t begins[] = {0, 27};
	check_split(text, 0, 2, want, begins);

	collected c;
	split("", 0, 0, &c);
	assert_int_equal(c.n, 0);
	split("not an mbox\n\nat all\n", 0, 0, &c);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.junk, strlen("not an mbox\n\nat all\n"));
	/* Text before the first From_ is not a message. */
	split("junk\n\nFrom x\nA: b\n", 0, 1, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.junk, 5);
	assert_string_equal(c.msg[0], "A: b\n");
	assert_int_equal(c.begin[0], 6);
	collected_free(&c);
	/* An empty message between two From_ lines. */
	split("From x\n\nFrom y\nA: b\n", 0, 0, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.msg[0], "");
	assert_string_equal(c.msg[1], "A: b\n");
	collected_free(&c);
}

/* What an mboxrd writer does: "From " lines and already quoted ones get
 * one more '>', an empty line after each message. */
static char *mboxrd_quote(const char *const *msgs, int n)
{
	size_t cap = 64;
	for (int i = 0; i < n; i++)
		cap += 2 * strlen(msgs[i]) + 64;
	char *out = malloc(cap), *o = out;
	for (int i = 0; i < n; i++) {
		o += sprintf(o, "From sender@example.com Mon Jan  1 00:00:00 2024\n");
		for (const char *line = msgs[i]; *line;) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
			size_t g = strspn(line, ">");
			if (g < len && strncmp(line + g, "From ", 5) == 0)
				*o++ = '>';
			memcpy(o, line, len);
			o += len;
			line += len;
		}
		*o++ = '\n';
	}
	*o = 0;
	return out;
}

static void test_mbox_round_trip(void **state)
{
	(void)state;
	const char *msgs[] = {
	    "Subject: a\n\nFrom the start\n>From once\n>>From twice\n\nFrom after empty\n",
	    "Subject: b\n\n\n\nFrom \nFrom\n>From\n",
	    "Subject: c\n\nends without empty line\n",
	};
	char *text = mboxrd_quote(msgs, 3);
	uint64_t begins[3];
	const char *p = text;
	for (int i = 0; i < 3; i++) {
		p = i ? strstr(p + 1, "\nFrom sender@") + 1 : text;
		begins[i] = (uint64_t)(p - text);
	}
	check_split(text, 0, 3, msgs, begins);
	free(text);
}

/* A run of '>' longer than any buffer passes through. */
static void test_mbox_long_runs(void **state)
{
	(void)state;
	size_t n = 100000;
	char *text = malloc(n + 64);
	strcpy(text, "From x\n\n");
	size_t at = strlen(text);
	memset(text + at, '>', n);
	strcpy(text + at + n, "From z\n");
	collected c;
	split(text, 0, 4096, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.len[0], 1 + (n - 1) + 7);
	assert_int_equal(c.msg[0][0], '\n');
	assert_int_equal(strncmp(c.msg[0] + n, "From z\n", 7), 0);
	collected_free(&c);
	split(text, 1, 0, &c);
	assert_int_equal(c.len[0], 1 + n + 7); /* mboxo leaves ">>…From " alone */
	collected_free(&c);
	free(text);
}

/* ---- Maildir ------------------------------------------------------------------- */

static void test_maildir_names(void **state)
{
	(void)state;
	maildir_name m;
	maildir_parse_name("1700000000.M1P2.host:2,DFPRST", &m);
	assert_int_equal(m.base_len, strlen("1700000000.M1P2.host"));
	assert_int_equal(m.flags, MAILDIR_DRAFT | MAILDIR_FLAGGED | MAILDIR_PASSED | MAILDIR_REPLIED | MAILDIR_SEEN |
	                              MAILDIR_TRASHED);
	assert_int_equal(m.keywords, 0);
	maildir_parse_name("1.x:2,Saz", &m);
	assert_int_equal(m.flags, MAILDIR_SEEN);
	assert_int_equal(m.keywords, 1u | 1u << 25);
	maildir_parse_name("1.x,S=1234:2,", &m);
	assert_int_equal(m.base_len, strlen("1.x,S=1234"));
	assert_int_equal(m.flags, 0);
	maildir_parse_name("new-file-without-info", &m);
	assert_int_equal(m.base_len, strlen("new-file-without-info"));
	maildir_parse_name("1.x!2,R", &m);
	assert_int_equal(m.base_len, 3);
	assert_int_equal(m.flags, MAILDIR_REPLIED);
	/* Only ":2," starts the flags: experimental ":1," info is part of
	 * nothing we read. */
	maildir_parse_name("1.x:1,S", &m);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.base_len, strlen("1.x:1,S"));
}

static void test_maildir_keywords(void **state)
{
	(void)state;
	const char *text = "0 $Important\n1 Work\r\n12 twelve\n3\nx y\n2 \n";
	char out[16];
	assert_true(maildir_keyword(text, strlen(text), 0, out, sizeof out));
	assert_string_equal(out, "$Important");
	assert_true(maildir_keyword(text, strlen(text), 1, out, sizeof out));
	assert_string_equal(out, "Work");
	assert_true(maildir_keyword(text, strlen(text), 12, out, sizeof out));
	assert_string_equal(out, "twelve");
	assert_false(maildir_keyword(text, strlen(text), 2, out, sizeof out));
	assert_false(maildir_keyword(text, strlen(text), 3, out, sizeof out));
	assert_false(maildir_keyword(text, strlen(text), 4, out, sizeof out));
	assert_true(maildir_keyword(text, strlen(text), 0, out, 5));
	assert_string_equal(out, "$Imp");
}

static void test_maildir_folders(void **state)
{
	(void)state;
	char out[64];
	assert_true(maildir_folder_path(".Sent", out, sizeof out));
	assert_string_equal(out, "Sent");
	assert_true(maildir_folder_path(".Work.2024.Q1", out, sizeof out));
	assert_string_equal(out, "Work/2024/Q1");
	assert_true(maildir_folder_path(".a/b\\c", out, sizeof out));
	assert_string_equal(out, "a\\/b\\\\c");
	assert_false(maildir_folder_path(".", out, sizeof out));
	assert_false(maildir_folder_path("..", out, sizeof out));
	assert_false(maildir_folder_path("cur", out, sizeof out));
	assert_false(maildir_folder_path(".A..B", out, sizeof out));
	assert_false(maildir_folder_path(".A.", out, sizeof out));
	assert_false(maildir_folder_path(".Averylongname", out, 8));
	/* Modified UTF-7 and Dovecot's escapes. */
	assert_true(maildir_folder_path(".&AMQ-rger.Caf&AOk-", out, sizeof out));
	assert_string_equal(out, "\xc3\x84rger/Caf\xc3\xa9");
	assert_true(maildir_folder_path(".Tom&-Jerry", out, sizeof out));
	assert_string_equal(out, "Tom&Jerry");
	assert_true(maildir_folder_path(".&2D3eAA-", out, sizeof out)); /* U+1F600 as a surrogate pair */
	assert_string_equal(out, "\xf0\x9f\x98\x80");
	assert_true(maildir_folder_path(".v1\\2e0.a\\2fb", out, sizeof out));
	assert_string_equal(out, "v1.0/a\\/b");
	/* Not valid modified UTF-7: kept as it is. */
	assert_true(maildir_folder_path(".&ZZZ", out, sizeof out));
	assert_string_equal(out, "&ZZZ");
	assert_true(maildir_folder_path(".&3gA-", out, sizeof out)); /* a lone low surrogate */
	assert_string_equal(out, "&3gA-");
	assert_false(maildir_folder_path(".\\00", out, sizeof out));
}

static void test_fs_names(void **state)
{
	(void)state;
	char out[32];
	assert_true(fs_name_decode("%2Ehidden", out, sizeof out));
	assert_string_equal(out, ".hidden");
	assert_true(fs_name_decode("a%2Fb%25c", out, sizeof out));
	assert_string_equal(out, "a/b%c");
	assert_true(fs_name_decode("50%", out, sizeof out));
	assert_string_equal(out, "50%");
	assert_true(fs_name_decode("%zz", out, sizeof out));
	assert_string_equal(out, "%zz");
	assert_false(fs_name_decode("nul%00", out, sizeof out));
	assert_false(fs_name_decode("toolong", out, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mbox_basic),       cmocka_unit_test(test_mbox_unquote_rd),
	    cmocka_unit_test(test_mbox_unquote_o),   cmocka_unit_test(test_mbox_crlf_and_edges),
	    cmocka_unit_test(test_mbox_round_trip),  cmocka_unit_test(test_mbox_long_runs),
	    cmocka_unit_test(test_maildir_names),    cmocka_unit_test(test_maildir_keywords),
	    cmocka_unit_test(test_maildir_folders),  cmocka_unit_test(test_fs_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
