/*
 * import_split.h — the parts of `mapix import` that read outside input
 * without touching a store, kept apart so that a fuzz target
 * (tests/fuzz/fuzz_import_split.c) and unit tests can drive them alone:
 * the mbox splitter and From_ unquoter (import_mbox_split.c) and the
 * Maildir file-name and dovecot-keywords parsers (import_maildir_name.c).
 */
#ifndef MAPIX_CLI_IMPORT_SPLIT_H
#define MAPIX_CLI_IMPORT_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* ---- mbox -------------------------------------------------------------------- */

/* A streaming splitter: feed it the file in pieces of any size; it calls
 * begin at each From_ line (a line starting "From " at the start of the
 * file or after an empty line), data with the message's bytes (From_ line
 * left out, ">From " quoting undone) and end after each message. The empty
 * line before a From_ line and a last empty line at the end of the file are
 * the mbox's framing, not message content. Bytes before the first From_
 * line go to data with in_message 0. Memory is O(1) whatever the input:
 * nothing is kept but a few counters, so a line of any length (or a run of
 * '>' of any length) passes through. */
typedef struct mbox_split_ops {
	void (*begin)(void *ctx, uint64_t offset); /* offset of the From_ line */
	void (*data)(void *ctx, int in_message, const char *p, size_t n);
	void (*end)(void *ctx, uint64_t end_offset); /* offset just past the message */
} mbox_split_ops;

typedef struct mbox_split {
	const mbox_split_ops *ops;
	void *ctx;
	int mboxo;              /* unquote only ">From " (mboxo) instead of every ">+From " (mboxrd) */
	int state;              /* where in the current line the splitter is */
	int in_message;         /* a From_ line has been seen */
	int pending_blank;      /* an empty line held back: 0, 1 ("\n") or 2 ("\r\n") */
	int matched;            /* bytes of "From " matched at the start of the line */
	uint64_t gt;            /* '>' at the start of the line */
	uint64_t offset;        /* of the next byte fed */
	uint64_t line_offset;   /* of the current line */
	uint64_t blank_offset;  /* of the held empty line */
} mbox_split;

void mbox_split_init(mbox_split *s, const mbox_split_ops *ops, void *ctx, int mboxo);
void mbox_split_feed(mbox_split *s, const char *p, size_t n);
/* Flushes what is held and ends the last message. */
void mbox_split_finish(mbox_split *s);

/* ---- Maildir ------------------------------------------------------------------ */

/* What a Maildir file name says ("<base>:2,<flags>"): the standard flags,
 * and the keyword letters a..z (bit 0 = 'a'). base_len is the length of
 * the unique part before ':' (the whole name when there is no ":2,"). */
#define MAILDIR_SEEN 0x01     /* S */
#define MAILDIR_REPLIED 0x02  /* R */
#define MAILDIR_FLAGGED 0x04  /* F */
#define MAILDIR_DRAFT 0x08    /* D */
#define MAILDIR_TRASHED 0x10  /* T */
#define MAILDIR_PASSED 0x20   /* P (forwarded) */
typedef struct maildir_name {
	size_t base_len;
	unsigned flags;
	uint32_t keywords;
} maildir_name;

void maildir_parse_name(const char *name, maildir_name *out);

/* The keyword name of index idx in a dovecot-keywords file's text (lines
 * "<index> <name>"), copied into out (NUL-terminated, truncated to n-1);
 * returns 0 when there is no such line. */
int maildir_keyword(const char *text, size_t len, unsigned idx, char *out, size_t n);

/* Turns a Maildir++ folder directory name (".A.B", Dovecot's default '.'
 * separator) into a folder path ("A/B"; a '/' inside a name becomes "\/"
 * and a '\' "\\", cli_open_folder's escapes). Names are decoded from
 * IMAP modified UTF-7 ("&AOQ-" is U+00E4; a run that is not valid stays as
 * it is) and from Dovecot's escapes ("\2e" is a '.' inside a name).
 * Returns 0 when name is not a Maildir++ folder ("." , "..", no leading
 * '.', empty components) or does not fit in n bytes. */
int maildir_folder_path(const char *name, char *out, size_t n);

/* Decodes the %XX escapes `mapix export` writes in EML and mbox tree names
 * ('/', '%', control characters, a leading '.'); 0 when the result does not
 * fit or would hold a NUL. */
int fs_name_decode(const char *name, char *out, size_t n);

#endif
