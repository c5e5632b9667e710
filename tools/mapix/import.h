/*
 * import.h — the engine every `mapix import` source feeds (import.c), and
 * the sources it knows (import_eml.c, import_mbox.c, import_maildir.c,
 * import_pst.c).
 *
 * A source walks its input and, for each item, asks the engine whether the
 * item's source identity was imported before; if not it creates a message in
 * the folder the engine resolves for it, fills it, and hands it back with
 * import_commit_message. The engine stores the identity on the message
 * (PR_MAPIX_IMPORT_SOURCE) in the same SaveChanges, so an item is either
 * imported with its identity or not at all: running the same import again,
 * interrupted or not, neither duplicates nor skips anything. It also groups
 * saves into store batches, draws the progress line and keeps the counts for
 * the summary.
 */
#ifndef MAPIX_CLI_IMPORT_H
#define MAPIX_CLI_IMPORT_H

#include <stdint.h>

#include <mapix/mapix.h>

#include "cli.h"

typedef struct import_engine import_engine;

/* ---- for sources ------------------------------------------------------------ */

/* What kind of folder a source asks for: mail, or the special folders a
 * Maildir++ or PST names, which map onto the store's own (Sent Items...)
 * instead of a new folder of the same name. */
typedef enum import_folder_kind {
	IMPORT_FOLDER_PLAIN = 0,
	IMPORT_FOLDER_INBOX,
	IMPORT_FOLDER_SENT,
	IMPORT_FOLDER_DRAFTS,
	IMPORT_FOLDER_DELETED,
	IMPORT_FOLDER_JUNK,
} import_folder_kind;

/* Opens (creating when missing) the folder at relpath below the import's
 * target folder; relpath components are separated by '/', "" is the target
 * itself. A kind other than PLAIN at the top level resolves to the store's
 * special folder instead. container_class (NULL for IPF.Note) is set on a
 * folder the engine creates. The folder stays owned by the engine (do not
 * release it); it stays valid until import_engine_finish. */
HRESULT import_folder(import_engine *eng, const char *relpath, import_folder_kind kind,
                      const char *container_class, LPMAPIFOLDER *lppFolder);

/* TRUE when an item with this source identity is already in folder (the
 * folder import_folder returned). Identities are the source's stable name
 * for an item: "mbox:<realpath>:<byte offset>", "maildir:<base name>",
 * "eml:<realpath>", "pst:<realpath>:<node id>". */
BOOL import_seen(import_engine *eng, LPMAPIFOLDER folder, const char *source_id);

/* Saves msg (KEEP_OPEN_READWRITE is not needed; the engine releases msg)
 * with PR_MAPIX_IMPORT_SOURCE = source_id, counts it, commits the batch
 * when it is full and moves the progress line. bytes is the size the item
 * had in the input (for the rate and the time left). On failure the item is
 * reported as skipped with its location and the import goes on; the return
 * value says whether it was saved. */
HRESULT import_commit_message(import_engine *eng, LPMESSAGE msg, const char *source_id, uint64_t bytes);

/* Reports an item that could not be read ("file:offset: why"), counts it
 * as skipped and goes on. */
void import_skip(import_engine *eng, const char *location, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports a warning about an item that was imported anyway (for example
 * the converter's warnings about malformed mail), counted in the summary. */
void import_warn(import_engine *eng, const char *location, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An item that was imported before and is left alone (import_seen said
 * so): counted for the summary and the progress line. */
void import_count_existing(import_engine *eng, uint64_t bytes);

/* Tells the progress line how much input there is (bytes; 0 when unknown),
 * added to what earlier calls said. */
void import_add_total(import_engine *eng, uint64_t bytes);

/* The names in dir, sorted (import_dir.c); "." and ".." left out, and
 * other names starting with '.' too unless hidden_too. NULL (errno set)
 * when dir cannot be read; free with import_free_list. */
char **import_list_dir(const char *dir, BOOL hidden_too, size_t *count);
void import_free_list(char **names, size_t n);

/* The import's store and the flags the sources pass to the converter
 * (mapix_mime_fd_to_message). */
LPMDB import_store(import_engine *eng);
ULONG import_mime_flags(import_engine *eng);
/* Sets those flags (cmd_import.c: MAPIX_MIME_KEEP_SOURCE unless
 * --no-keep-mime). The PST source converts no MIME and ignores them. */
void import_set_mime_flags(import_engine *eng, ULONG flags);

/* TRUE once the import must stop: SIGINT or SIGTERM arrived, or a batch
 * could not be committed. Sources check it between items and return 0;
 * import_commit_message saves nothing more from then on. */
BOOL import_stopped(import_engine *eng);

/* Reports each line of a converter's warning list (mapix_mime_*'s
 * lppszWarnings) with import_warn and frees the list. */
void import_warn_lines(import_engine *eng, const char *location, char *warnings);

/* The folder kind a Maildir++ or EML tree folder name stands for: "Sent",
 * "Sent Items", "Sent Messages" -> SENT, "Drafts" -> DRAFTS, "Trash",
 * "Deleted Items", "Deleted Messages" -> DELETED, "Junk", "Spam",
 * "Junk E-mail" -> JUNK, "Inbox" -> INBOX (any case); PLAIN otherwise. */
import_folder_kind import_kind_for_name(const char *name);

/* The common path of the MIME sources: creates a message in folder,
 * converts the mail (from fd's current position to its end when fd >= 0,
 * else from data[0..len)), sets extra (n_extra values, may be 0) and
 * commits it under source_id. A failure is reported at location and
 * counted as skipped; converter warnings become import_warn lines. */
HRESULT import_mime(import_engine *eng, LPMAPIFOLDER folder, const char *source_id, const char *location, int fd,
                    const void *data, size_t len, ULONG mime_flags, const SPropValue *extra, ULONG n_extra,
                    uint64_t bytes);

/* ---- for the command (cmd_import.c) ------------------------------------------ */

/* Opens the --folder target: path as cli_open_folder reads it ("/" and
 * "/A" from the root, "A/B" from the IPM subtree, "\\/" a slash inside a
 * name), creating the folders that are missing. */
HRESULT import_open_target(LPMDB mdb, const char *path, LPMAPIFOLDER *lppFolder);

/* An engine importing into base (owned by the engine from here on).
 * base_is_ipm says base is the IPM subtree (no --folder): special folder
 * kinds then resolve to the store's own folders. Saves are grouped batch
 * by batch; quiet turns the progress line off. label names the mailbox in
 * messages. Installs the SIGINT/SIGTERM handlers. NULL when out of memory. */
import_engine *import_engine_new(LPMDB mdb, const char *label, LPMAPIFOLDER base, BOOL base_is_ipm, ULONG batch,
                                 BOOL quiet);
/* Commits what is pending, releases the folders, prints the summary and
 * frees the engine. Returns the exit status: 1 when the import was
 * interrupted or a batch was lost (the line saying so is printed), else
 * source_rc. */
int import_engine_finish(import_engine *eng, int source_rc);

/* ---- the sources ------------------------------------------------------------- */

/* mbox dialects (--mbox-format): mboxrd unquotes every ">From " run, mboxo
 * only ">From " with a single '>'. */
typedef enum import_mbox_format { IMPORT_MBOXRD = 0, IMPORT_MBOXO } import_mbox_format;

/* Each returns 0 when the input could be walked (items it skipped are in
 * the summary), or prints the one-line error and returns 1 when the input
 * itself cannot be read (missing file, not the format named). */
int import_eml(import_engine *eng, const char *path);
/* A directory of .eml files; subdirectories become subfolders (the tree
 * `mapix export --format eml` writes imports back). Files that start with
 * "From " are mbox folders in Thunderbird's layout (NAME is the folder,
 * NAME.sbd/ its subfolders: what `mapix export --format mbox` writes), read
 * in mbox_format. */
int import_eml_tree(import_engine *eng, const char *path, import_mbox_format mbox_format);
int import_mbox(import_engine *eng, const char *path, import_mbox_format format);
/* The same into the folder at relpath (import_folder's arguments). */
int import_mbox_into(import_engine *eng, const char *path, import_mbox_format format, const char *relpath,
                     import_folder_kind kind);
int import_maildir(import_engine *eng, const char *path);
int import_pst(import_engine *eng, const char *path);

#endif
