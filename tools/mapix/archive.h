/*
 * archive.h — `mapix archive` (cmd_archive.c): incremental, exactly-once
 * archiving of many mailboxes driven by their change journals.
 *
 * The pieces: archive_state.c keeps what one mailbox's archive has reached
 * (DEST/.mapix-archive/state/<mailbox GUID>: last change number, folder
 * map, recorded mbox lengths), replaced atomically; archive_pass.c runs one
 * "changes since N" pass over an open store and writes what appeared into
 * the mailbox's Maildir++ tree or mbox files; cmd_archive.c finds the
 * mailboxes, runs the passes on a bounded pool of threads, and in --watch
 * mode runs a pass again whenever a store notifies a change;
 * archive_stream.c runs the pass in per-user workers (--runas). docs/cli.md
 * ("mapix archive") argues why every message lands exactly once.
 */
#ifndef MAPIX_CLI_ARCHIVE_H
#define MAPIX_CLI_ARCHIVE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <mapix/mapix.h>

#include "cli.h"
#include "export.h"

typedef enum archive_format_kind { ARCHIVE_MAILDIR, ARCHIVE_MBOX } archive_format_kind;

/* One folder of the mailbox, keyed by its source key: where its messages
 * go (decided when the folder is first seen, never changed: see the rename
 * rule in docs/cli.md) and what it is called now. */
#define ARCHIVE_FOLDER_PLAIN 0
#define ARCHIVE_FOLDER_EXCLUDED 1 /* outside the IPM subtree: not mail to archive */
#define ARCHIVE_FOLDER_INBOX 2    /* the Maildir's top (names is {"Inbox"}) */

typedef struct archive_folder {
	char *key;       /* source key, upper-case hex */
	char **names;    /* archive path components (UTF-8), names[0] the top level */
	int depth;       /* number of components (0 only for excluded folders) */
	char *current;   /* the folder's path now, components joined by '/' ('/' and '%' as %XX) */
	int kind;        /* ARCHIVE_FOLDER_* */
	uint64_t mbox_len; /* mbox: the file's length at the last checkpoint */
	/* run time only */
	BOOL dirty;      /* Maildir: a name was added to cur/ since the last checkpoint */
	export_run *run; /* mbox: the open file */
} archive_folder;

typedef struct archive_state {
	char guid[33];   /* the mailbox GUID (PR_RECORD_KEY of the store), hex */
	char *label;     /* the archive directory's name below DEST */
	uint64_t cn;     /* every change up to this change number is archived */
	archive_folder *folders;
	int nfolders, cap;
} archive_state;

/* Loads DEST/.mapix-archive/state/<guid>; a missing file is a fresh state
 * (cn 0, no folders). Returns 0, or prints the error and returns 1. */
int archive_state_load(const char *dest, const char *guid, archive_state *st);
/* Replaces the state file (write temp, fsync, rename, fsync directory). The
 * caller must have made durable everything the state claims. 0 or 1. */
int archive_state_save(const char *dest, const archive_state *st);
/* The same from and to a stream (--runas passes states through pipes):
 * read checks the guid line against guid, or (NULL) that it is a GUID;
 * what names the source in the error. */
int archive_state_read(FILE *f, const char *guid, archive_state *st, const char *what);
int archive_state_write(FILE *f, const archive_state *st);
void archive_state_free(archive_state *st);
archive_folder *archive_state_find(archive_state *st, const char *key);
/* Adds a folder (takes ownership of names and current). NULL when out of memory. */
archive_folder *archive_state_add(archive_state *st, const char *key, char **names, int depth, char *current,
                                  int kind);
/* %XX-encodes '/', '%', spaces and controls of one path component (malloc'd). */
char *archive_path_escape(const char *s);
/* Splits an archive path ("%" = empty) into decoded components (malloc'd);
 * modifies text. -1 for a malformed path (bad escape, NUL, empty component). */
int archive_path_split(char *text, char ***names, int *depth);

typedef struct archive_options {
	const char *dest;
	archive_format_kind format;
	BOOL versions;
	BOOL quiet;
	const volatile sig_atomic_t *stop; /* set: the pass ends after its current batch */
	/* --stdout-stream (a --runas worker): messages and states go to this
	 * stream as frames (archive_stream.c) instead of files under dest; the
	 * pass starts from stream_state (the state text the parent sent). */
	FILE *stream;
	const char *stream_state;
} archive_options;

/* What one pass did. */
typedef struct archive_counts {
	uint64_t archived;  /* message files or mbox messages written */
	uint64_t versions;  /* of them, versions (--versions) */
	uint64_t present;   /* already in the archive (a repeated pass after a crash) */
	uint64_t gone;      /* created and deleted again before they could be read */
	uint64_t skipped;   /* could not be read or converted (reported) */
	uint64_t bytes;
} archive_counts;

/* Called after each archived message (from the pass's thread). */
typedef void (*archive_step_fn)(void *ctx, uint64_t bytes);

/* One pass: reads the journal of mdb after the state's change number and
 * archives what appeared. label names the mailbox's directory below
 * opts->dest. Returns S_OK or the error (with GetLastError text and a
 * message in *why, 256 bytes); a network error leaves the state at its last
 * checkpoint, so the next pass resumes there. */
HRESULT archive_pass(LPMDB mdb, const char *label, const archive_options *opts, archive_counts *counts,
                     archive_step_fn step, void *step_ctx, char *why);

/* The Maildir++ directory of a folder below a mailbox's directory
 * (malloc'd): the Inbox is the top, others .Name.Sub. */
char *archive_maildir_dir(const char *mbdir, const archive_folder *f);

/* ---- archive_stream.c: --runas (parent) and --stdout-stream (worker) ------------------- */

/* Worker: frames on opts->stream. 0, or -1 (the stream is broken). */
int archive_stream_message(FILE *out, const archive_folder *f, const char *name, int fd, uint64_t len);
int archive_stream_state(FILE *out, const archive_state *st);
/* Worker: `mapix archive --stdout-stream --mailbox PATH`: reads the state
 * from stdin, archives to stdout. Returns the exit status. */
int archive_stream_worker(const char *path, archive_options *opts);
/* Parent: archives the local mailbox file path as its owner, through
 * mapix-runas (pool at pool_socket, or one worker process), writing what
 * the worker streams into opts->dest. S_OK or the failure, text in why. */
HRESULT archive_runas_mailbox(const char *path, const char *label, const char *pool_socket,
                              const archive_options *opts, archive_counts *counts, archive_step_fn step,
                              void *step_ctx, char *why);

/* The mailbox GUID of a store as 32 hex digits. */
HRESULT archive_store_guid(LPMDB mdb, char out[33]);

#endif
