/*
 * export.h — `mapix export` (cmd_export.c) and the formats it writes
 * (export_eml.c, export_mbox.c, export_maildir.c), with the file-system
 * helpers they share (export_fs.c) and the folder-name encodings
 * (export_names.c).
 *
 * cmd_export.c walks the folder tree one folder at a time and the folder's
 * contents table one page at a time; for every folder it asks the format to
 * open it, hands it each IPM message (opened read-only, released after it
 * was written) and closes it, which makes the folder's files durable. A
 * format keeps only its current folder's state, so memory stays bounded
 * whatever the size of the mailbox, and the MIME writer streams large
 * values, so it stays bounded whatever the size of one message.
 */
#ifndef MAPIX_CLI_EXPORT_H
#define MAPIX_CLI_EXPORT_H

#include <stdint.h>
#include <time.h>

#include <mapix/mapix.h>
#include <mapix/mapixmime.h>

#include "cli.h"

/* PR_MSG_STATUS bits and PR_LAST_VERB_EXECUTED values as Windows' headers
 * define them (mapidefs.h, exchform.h), until mapix's headers carry them. */
#ifndef MSGSTATUS_DRAFT
#define MSGSTATUS_DRAFT ((ULONG)0x00000100)
#endif
#ifndef MSGSTATUS_ANSWERED
#define MSGSTATUS_ANSWERED ((ULONG)0x00000200)
#endif
#ifndef EXCHIVERB_REPLYTOSENDER
#define EXCHIVERB_REPLYTOSENDER 102
#define EXCHIVERB_REPLYTOALL 103
#endif
/* PR_FLAG_STATUS: followupFlagged (MS-OXOFLAG 2.2.1.1). */
#define EXPORT_FLAG_STATUS_FLAGGED 2

/* The store's special folders, found by entry ID; Maildir++ names them
 * the way Dovecot and `mapix import` expect (Sent, Drafts, Trash, Junk). */
typedef enum export_special {
	EXPORT_PLAIN = 0,
	EXPORT_INBOX,
	EXPORT_SENT,
	EXPORT_DRAFTS,
	EXPORT_TRASH,
	EXPORT_JUNK,
} export_special;

/* One folder to write: its path below the export's root, as display names
 * (UTF-8), and what the top-level name stands for. */
typedef struct export_folder {
	const char *const *names; /* path components, names[0] the top level */
	int depth;                /* number of components, >= 1 */
	export_special top_kind;  /* of names[0] */
	BOOL is_inbox;            /* the folder itself is the store's Inbox */
} export_folder;

/* What the formats need of a message besides its MIME form. */
typedef struct export_message {
	LPMESSAGE msg;
	const char *folder_label; /* for messages: "Inbox/Projects" */
	const char *sender;       /* Internet address, NULL when unknown */
	time_t when;              /* delivery, else submit, else creation time; 0 unknown */
	ULONG message_flags, msg_status;
	LONG flag_status, last_verb;
	const char *const *keywords; /* categories (UTF-8) */
	ULONG nkeywords;
	const char *extra_headers; /* mbox: header lines written before the message's own
	                            * ("Name: value\n" each; `mapix archive`'s X-Mapix-Source-Key) */
} export_message;

typedef struct export_format export_format;

typedef struct export_run {
	const char *dest;
	BOOL append;
	ULONG mime_flags;
	const export_format *format;
	void *state;      /* the format's, for the open folder */
	uint64_t bytes;   /* written so far */
} export_run;

/* What a format reads of a message besides its MIME form (each property a
 * message does not have still costs the store a lookup, so none is asked
 * for in vain). */
#define EXPORT_NEEDS_ENVELOPE 0x1 /* sender and time (mbox From_ line) */
#define EXPORT_NEEDS_FLAGS 0x2    /* flags and keywords (Maildir names) */

struct export_format {
	const char *name;
	unsigned needs; /* EXPORT_NEEDS_* */
	/* Opens (creating) the folder's place under run->dest. Returns 0, or
	 * prints the one-line error and returns 1 (the export stops). */
	int (*open_folder)(export_run *run, const export_folder *f);
	/* Writes one message. S_OK, or an error whose text is in GetLastError:
	 * the message is then skipped (nothing of it is left behind). A format
	 * that cannot go on at all returns MAPI_E_DISK_ERROR after printing the
	 * one-line error itself and setting *fatal. */
	HRESULT (*write_message)(export_run *run, const export_message *m, int *fatal);
	/* Makes the folder's files and directory durable and frees the state.
	 * Returns 0 or prints the error and returns 1. */
	int (*close_folder)(export_run *run);
};

extern const export_format export_format_eml;
extern const export_format export_format_mbox;
extern const export_format export_format_maildir;

/* ---- export_fs.c ------------------------------------------------------------------ */

/* mkdir -p; 0 or -1 with errno. */
int export_mkdirs(const char *path);
/* TRUE when path names an empty directory or nothing at all. */
BOOL export_dir_is_empty(const char *path, int *err);
/* Makes the data and metadata of the files written under dir durable:
 * syncfs on the file system (one flush for a whole folder instead of one
 * per message), then fsync of the directory itself. 0 or -1 with errno. */
int export_sync_dir(const char *dir);
/* fsync of a file by path; 0 or -1 with errno. */
int export_fsync_path(const char *path);
/* Writes the message's MIME form to fd; adds the bytes to run->bytes.
 * When writing the file failed (disk full...), *write_err is its errno and
 * the result MAPI_E_DISK_ERROR; otherwise *write_err is 0 and a failure is
 * the message's own (it could not be read or converted). */
HRESULT export_write_mime_fd(export_run *run, const export_message *m, int fd, int *write_err);
/* Writes the message's MIME form through fn. When the flags allow a kept
 * original, it is read alone through OpenProperty(PR_INTERNET_CONTENT,
 * IID_IStream) and written by mapix_mime_write_source_stream (what
 * mapix_message_to_mime would write, without its first GetProps, which
 * makes the local store read every stored value of the message); a
 * message without one (or a provider without streams) goes to
 * mapix_message_to_mime. */
HRESULT export_write_mime(export_run *run, const export_message *m, MAPIX_MIME_WRITE *fn, void *ctx);
/* A path joined from a directory and a name (malloc'd). */
char *export_join(const char *dir, const char *name);

/* ---- export_names.c --------------------------------------------------------------- */

/* A folder name as one file-system name component for the EML tree and
 * mbox (malloc'd): '/', '%', control characters and a leading '.' are
 * written as %XX, so that the name decodes back exactly; an mbox name also
 * gets its ".sbd" or ".msf" ending escaped so as not to look like
 * Thunderbird's own files. */
char *export_fs_name(const char *name, BOOL mbox);
/* A folder name as one component of a Maildir++ folder (malloc'd): IMAP
 * modified UTF-7 (RFC 3501 5.1.3, what Dovecot stores on disk), with '.',
 * '/' and '\' written as \2e, \2f and \5c (Dovecot's escape form). */
char *export_maildir_name(const char *name);
/* A category as an IMAP keyword (malloc'd): spaces, controls and IMAP
 * atom-specials become '_'. */
char *export_keyword(const char *category);

#endif
