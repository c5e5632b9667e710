/*
 * import_mbox_split.c — splitting an mbox into messages and undoing the
 * From_ quoting (import_split.h), as a byte-at-a-time state machine so that
 * memory stays constant whatever the file holds: a line is never buffered,
 * only how far its start matches ">*From ".
 *
 * mboxrd (the default): a line ">…>From " had one '>' added on export, so
 * one is taken away. mboxo: only ">From " is unquoted; writers of that
 * dialect quote "From " but leave ">From " alone, so ">>From " is content.
 */
#include <string.h>

#include "import_split.h"

enum {
	S_LINE_START, /* nothing of this line seen yet */
	S_CR,         /* the line so far is "\r": maybe an empty CRLF line */
	S_GT,         /* the line so far is gt '>' */
	S_FROM,       /* the line so far is gt '>' and matched bytes of "From " */
	S_IN_LINE,    /* the rest of the line is content */
	S_FROM_LINE,  /* inside a From_ line, which is not content */
};

static const char FROM[] = "From ";

void mbox_split_init(mbox_split *s, const mbox_split_ops *ops, void *ctx, int mboxo)
{
	memset(s, 0, sizeof *s);
	s->ops = ops;
	s->ctx = ctx;
	s->mboxo = mboxo;
	s->state = S_LINE_START;
}

static void emit(mbox_split *s, const char *p, size_t n)
{
	if (n)
		s->ops->data(s->ctx, s->in_message, p, n);
}

/* Writes n '>' however large n is. */
static void emit_gt(mbox_split *s, uint64_t n)
{
	static const char run[64] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
	while (n) {
		size_t k = n > sizeof run ? sizeof run : (size_t)n;
		emit(s, run, k);
		n -= k;
	}
}

/* The held empty line turned out to be content (no From_ line follows). */
static void flush_blank(mbox_split *s)
{
	if (s->pending_blank == 1)
		emit(s, "\n", 1);
	else if (s->pending_blank == 2)
		emit(s, "\r\n", 2);
	s->pending_blank = 0;
}

/* An empty line: hold it back, it may be the separator before a From_. */
static void blank_line(mbox_split *s, int kind, uint64_t at)
{
	flush_blank(s);
	s->pending_blank = kind;
	s->blank_offset = at;
	s->state = S_LINE_START;
}

/* A line that began with gt '>' and "From " (complete). */
static void from_line(mbox_split *s)
{
	/* A separator needs an unquoted "From " at the start of the file or
	 * right after an empty line. */
	if (s->gt == 0 && (s->line_offset == 0 || s->pending_blank)) {
		if (s->in_message)
			s->ops->end(s->ctx, s->pending_blank ? s->blank_offset : s->line_offset);
		s->pending_blank = 0;
		s->in_message = 1;
		s->ops->begin(s->ctx, s->line_offset);
		s->state = S_FROM_LINE;
		return;
	}
	flush_blank(s);
	uint64_t keep = s->gt;
	if (s->mboxo ? s->gt == 1 : s->gt > 0)
		keep--;
	emit_gt(s, keep);
	emit(s, FROM, 5);
	s->state = S_IN_LINE;
}

/* What was matched at the start of the line is content after all. */
static void flush_prefix(mbox_split *s)
{
	flush_blank(s);
	emit_gt(s, s->gt);
	if (s->state == S_FROM)
		emit(s, FROM, (size_t)s->matched);
	s->state = S_IN_LINE;
}

void mbox_split_feed(mbox_split *s, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		char c = p[i];
		switch (s->state) {
		case S_LINE_START:
			s->line_offset = s->offset + i;
			s->gt = 0;
			s->matched = 0;
			if (c == '\n') {
				blank_line(s, 1, s->line_offset);
				i++;
			} else if (c == '\r') {
				s->state = S_CR;
				i++;
			} else if (c == '>') {
				s->gt = 1;
				s->state = S_GT;
				i++;
			} else if (c == 'F') {
				s->matched = 1;
				s->state = S_FROM;
				i++;
			} else {
				flush_blank(s);
				s->state = S_IN_LINE;
			}
			break;
		case S_CR:
			if (c == '\n') {
				blank_line(s, 2, s->line_offset);
				i++;
			} else {
				flush_blank(s);
				emit(s, "\r", 1);
				s->state = S_IN_LINE;
			}
			break;
		case S_GT:
			if (c == '>') {
				s->gt++;
				i++;
			} else if (c == 'F') {
				s->matched = 1;
				s->state = S_FROM;
				i++;
			} else {
				flush_prefix(s);
			}
			break;
		case S_FROM:
			if (c == FROM[s->matched]) {
				i++;
				if (++s->matched == 5)
					from_line(s);
			} else {
				flush_prefix(s);
			}
			break;
		case S_IN_LINE:
		case S_FROM_LINE: {
			const char *nl = memchr(p + i, '\n', n - i);
			size_t k = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
			if (s->state == S_IN_LINE)
				emit(s, p + i, k);
			i += k;
			if (nl)
				s->state = S_LINE_START;
			break;
		}
		}
	}
	s->offset += n;
}

void mbox_split_finish(mbox_split *s)
{
	if (s->state == S_CR) {
		flush_blank(s);
		emit(s, "\r", 1);
	} else if (s->state == S_GT || s->state == S_FROM) {
		flush_prefix(s);
	}
	/* A last empty line is the framing every writer adds after a message. */
	uint64_t end = s->pending_blank ? s->blank_offset : s->offset;
	s->pending_blank = 0;
	if (s->in_message)
		s->ops->end(s->ctx, end);
	s->in_message = 0;
	s->state = S_LINE_START;
}
