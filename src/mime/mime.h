/*
 * mime.h — private interface of src/mime, the RFC 5322/MIME <-> MAPI
 * message converter (public API: include/mapix/mapixmime.h).
 *
 * Files: mime-init.c (GMime start-up, warnings), mime-stream.c (an IStream
 * in memory), mime-memmsg.c (an IMessage in memory, for staging, tests and
 * fuzzing), mime-props.c (property reading and writing through the public
 * IMAPIProp methods only), mime-addr.c (addresses and recipients),
 * mime-import*.c (mail -> message), mime-export*.c (message -> mail;
 * mime-export-source.c writes a kept original),
 * mime-smime.c, mime-tnef*.c, mime-rtf*.c.
 */
#ifndef MAPIX_MIME_MIME_H
#define MAPIX_MIME_MIME_H

#include <gmime/gmime.h>

#include <mapix/mapix.h>
#include <mapix/mapiutil.h>
#include <mapix/mapixmime.h>
#include <mapix/edkmdb.h>

/* Nesting (multiparts, embedded messages) deeper than this is flattened
 * into plain attachments: deep nesting must neither exhaust the stack nor
 * the store. */
#define MAPIX_MIME_MAX_DEPTH 24
/* Warnings kept per conversion; later ones are only counted. */
#define MAPIX_MIME_MAX_WARNINGS 50
/* Values larger than this go through OpenProperty(IID_IStream), which
 * every store supports for large properties, instead of SetProps. */
#define MAPIX_MIME_STREAM_THRESHOLD ((size_t)32768)

/* PR_ATTACH_FLAGS bits (MS-OXCMSG 2.2.2.18). */
#ifndef ATT_INVISIBLE_IN_HTML
#define ATT_INVISIBLE_IN_HTML ((ULONG)0x00000001)
#define ATT_INVISIBLE_IN_RTF ((ULONG)0x00000002)
#define ATT_MHTML_REF ((ULONG)0x00000004)
#endif

/* Message classes of S/MIME mail (MS-OXOSMIME 2.1.1). */
#define MAPIX_MIME_CLASS_SIGNED "IPM.Note.SMIME.MultipartSigned"
#define MAPIX_MIME_CLASS_OPAQUE "IPM.Note.SMIME"

/* ---- mime-init.c ---------------------------------------------------------- */

/* Initializes GMime once per process (thread-safe). */
void mapix_mime_init(void);

typedef struct mapix_mime_warnings {
	GString *text;
	unsigned count;
} mapix_mime_warnings;

void mapix_mime_warn(mapix_mime_warnings *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Hands the warnings to the caller (NULL when there are none) as one
 * MAPIAllocateBuffer block, and frees w's own copy. */
HRESULT mapix_mime_warnings_finish(mapix_mime_warnings *w, char **lppszWarnings);

/* ---- mime-stream.c -------------------------------------------------------- */

/* Called by a memory stream's Commit with its whole contents. */
typedef HRESULT(mapix_mime_commit_fn)(void *ctx, const BYTE *data, size_t len);
/* Called when the stream is destroyed. */
typedef void(mapix_mime_release_fn)(void *ctx);

/* A seekable read/write IStream over a growing memory buffer, starting
 * with a copy of data[0..len). commit (optional) receives the contents on
 * Commit; release (optional) frees ctx when the stream goes away. */
HRESULT mapix_mime_memstream_new(const void *data, size_t len, mapix_mime_commit_fn *commit,
                                 mapix_mime_release_fn *release, void *ctx, LPSTREAM *lppStream);
/* Reads an IStream from its current position to the end into a GByteArray. */
HRESULT mapix_mime_stream_read_all(LPSTREAM stream, GByteArray **out);

/* ---- mime-memmsg.c -------------------------------------------------------- */

/* An IMessage held in memory (properties on IPropData, a recipient list,
 * attachments, embedded messages, streams): a store-independent target for
 * conversions. SaveChanges keeps everything; nothing is persisted. */
HRESULT mapix_mime_memmsg_new(LPMESSAGE *lppMessage);

/* ---- mime-props.c --------------------------------------------------------- */

/* SetProps of n values, turning a per-property problem into an error. */
HRESULT mapix_mime_set_props(LPMAPIPROP obj, ULONG n, LPSPropValue vals);
/* A PT_UNICODE property from UTF-8 (tag must be a _W tag); large values
 * through a stream. Invalid UTF-8 becomes U+FFFD. */
HRESULT mapix_mime_set_utf8(LPMAPIPROP obj, ULONG tag, const char *utf8, size_t len);
/* A PT_BINARY property; large values through a stream. */
HRESULT mapix_mime_set_binary(LPMAPIPROP obj, ULONG tag, const void *data, size_t len);
HRESULT mapix_mime_set_long(LPMAPIPROP obj, ULONG tag, LONG value);
HRESULT mapix_mime_set_bool(LPMAPIPROP obj, ULONG tag, BOOL value);
HRESULT mapix_mime_set_time(LPMAPIPROP obj, ULONG tag, int64_t unix_seconds);
/* Opens tag for writing as a stream (MAPI_CREATE|MAPI_MODIFY). */
HRESULT mapix_mime_open_write_stream(LPMAPIPROP obj, ULONG tag, LPSTREAM *out);

/* GetProps (MAPI_UNICODE) of the given tags; free with MAPIFreeBuffer. */
HRESULT mapix_mime_get_props(LPMAPIPROP obj, const ULONG *tags, ULONG n, LPSPropValue *vals);
/* The full value of a string property (tag of PT_UNICODE) as UTF-8, read
 * through a stream when GetProps cannot return it whole. MAPI_E_NOT_FOUND
 * when missing; *out is NUL-terminated (len excludes the NUL). */
HRESULT mapix_mime_read_utf8(LPMAPIPROP obj, ULONG tag, GByteArray **out);
/* The full value of a binary property likewise. */
HRESULT mapix_mime_read_binary(LPMAPIPROP obj, ULONG tag, GByteArray **out);
/* Value helpers on a GetProps result: NULL/0 when missing or PT_ERROR. */
LPSPropValue mapix_mime_find(LPSPropValue vals, ULONG n, ULONG tag);
/* UTF-16 -> UTF-8 into a g_malloc'd string (NULL for NULL). */
char *mapix_mime_utf16_dup(const WCHAR *s);

/* ---- mime-addr.c ---------------------------------------------------------- */

/* The MS-OXCDATA One-Off EntryID for an SMTP recipient (Unicode form),
 * allocated with MAPIAllocateMore on parent. */
HRESULT mapix_mime_oneoff_entryid(const char *name, const char *addr, LPVOID parent, SBinary *out);
/* PR_SEARCH_KEY of an address: "SMTP:" + upper-cased address + NUL. */
HRESULT mapix_mime_search_key(const char *addr, LPVOID parent, SBinary *out);
/* Adds every mailbox of list (groups flattened) as recipients of type
 * ulType; returns the number added through *added. */
HRESULT mapix_mime_add_recipients(LPMESSAGE msg, InternetAddressList *list, ULONG ulType, mapix_mime_warnings *w);
/* Sets the four sender or sent-representing properties from the first
 * mailbox of list (representing: PR_SENT_REPRESENTING_*, else PR_SENDER_*). */
HRESULT mapix_mime_set_originator(LPMESSAGE msg, InternetAddressList *list, BOOL representing);

/* ---- mime-import*.c ------------------------------------------------------- */

typedef struct mapix_mime_import {
	ULONG flags;
	mapix_mime_warnings *warnings;
	GMimeStream *source; /* the whole input, for byte-exact copies */
	int depth;
	BOOL bodies_only; /* promote bodies, skip attachments (signed content) */
	gint64 hdr_end;   /* end of the top-level header block in source, or -1 */
} mapix_mime_import;

/* Converts a parsed message (whose headers start at hdr_begin and end at
 * hdr_end in ctx->source, or -1 when unknown) into msg. */
HRESULT mapix_mime_import_message(mapix_mime_import *ctx, GMimeMessage *gm, gint64 hdr_begin, gint64 hdr_end,
                                  LPMESSAGE msg);
/* Walks the body of a message: text and HTML bodies, attachments, embedded
 * messages. */
HRESULT mapix_mime_import_body(mapix_mime_import *ctx, GMimeObject *body, LPMESSAGE msg);
/* A leaf (or a part kept whole) as a by-value attachment; data, when not
 * NULL, is stored instead of the part's decoded content. related marks a
 * resource of multipart/related (hidden, ATT_MHTML_REF). */
HRESULT mapix_mime_import_attachment(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg, BOOL related,
                                     GByteArray *data);
/* Decoded content of a leaf part (transfer encoding removed). */
GByteArray *mapix_mime_part_bytes(GMimeObject *part, mapix_mime_import *ctx);
/* Text of a text part converted to UTF-8 from its charset (with fallbacks
 * and a warning when the declared charset is wrong or unknown). */
char *mapix_mime_part_text(GMimeObject *part, mapix_mime_import *ctx, size_t *len);
/* Converts bytes in charset (NULL: guess) to valid UTF-8. */
char *mapix_mime_to_utf8(const char *data, size_t len, const char *charset, mapix_mime_warnings *w, size_t *outlen);
/* Warns when the encoded content of dw (base64, quoted-printable) has
 * characters its decoder will skip; reads it in small pieces. */
void mapix_mime_check_encoding(GMimeDataWrapper *dw, mapix_mime_warnings *w);

/* ---- mime-import-stream.c -------------------------------------------------- */

/* MAPIX_MIME_KEEP_SOURCE: copies source, from its start, into
 * PR_INTERNET_CONTENT of msg in 64 KiB pieces. */
HRESULT mapix_mime_keep_source(GMimeStream *source, LPMESSAGE msg);
/* Decodes dw's content straight into the stream of property tag of obj
 * (a large attachment), never holding it whole. */
HRESULT mapix_mime_decode_to_prop(LPMAPIPROP obj, ULONG tag, GMimeDataWrapper *dw, mapix_mime_warnings *w);

/* ---- mime-smime.c --------------------------------------------------------- */

/* Stores a clear-signed body (multipart/signed) as MS-OXOSMIME describes:
 * the whole entity, byte-exact, as the one attachment of an
 * IPM.Note.SMIME.MultipartSigned message, and the signed content's bodies
 * on the message for display. */
HRESULT mapix_mime_import_signed(mapix_mime_import *ctx, GMimeObject *signed_part, LPMESSAGE msg);
/* Opaque S/MIME (application/pkcs7-mime) as IPM.Note.SMIME. */
HRESULT mapix_mime_import_opaque(mapix_mime_import *ctx, GMimeObject *part, LPMESSAGE msg);
/* On export: when msg is an S/MIME message with its entity attachment,
 * returns that entity as a GMimeObject to use as the body (new ref), else
 * NULL. When raw is not NULL, a clear-signed entity is instead handed over
 * as bytes in *raw (and NULL returned), to be written unchanged. */
GMimeObject *mapix_mime_export_smime_body(LPMESSAGE msg, GByteArray **raw, HRESULT *hr);

/* ---- mime-tnef.c ---------------------------------------------------------- */

/* Applies a TNEF stream (winmail.dat) to msg: its MAPI properties, RTF
 * body and attachments. Returns S_OK, or an error when the data is not
 * TNEF (the caller then keeps it as a plain attachment). */
HRESULT mapix_mime_import_tnef(mapix_mime_import *ctx, const BYTE *data, size_t len, LPMESSAGE msg);

/* ---- mime-export*.c ------------------------------------------------------- */

typedef struct mapix_mime_export {
	ULONG flags;
	int depth;
	GByteArray *raw_entity; /* top-level clear-signed entity, written verbatim */
	GPtrArray *keep;        /* objects (IUnknown) the built tree reads from while it is written */
	GPtrArray *streams;     /* the property streams in the tree, for their errors */
	char *boundary_seed;    /* of the message being built: its identity (g_malloc'd) */
	unsigned boundary_count;
} mapix_mime_export;

/* Builds the GMimeMessage for msg (new reference). */
HRESULT mapix_mime_export_message(mapix_mime_export *ctx, LPMESSAGE msg, GMimeMessage **out);
/* Builds the body tree (text/HTML alternatives, related images,
 * attachments, embedded messages). */
HRESULT mapix_mime_export_body(mapix_mime_export *ctx, LPMESSAGE msg, GMimeObject **out);

/* ---- mime-export-stream.c ------------------------------------------------ */

/* A read-only GMimeStream over one property of obj, read in pieces through
 * OpenProperty(IID_IStream) while GMime writes (obj is AddRef'd). A
 * PT_UNICODE tag reads as UTF-8. Resettable, not otherwise seekable. */
GMimeStream *mapix_mime_prop_stream_new(LPMAPIPROP obj, ULONG tag);
/* The error that made a property stream's read fail (S_OK if none, or if
 * stream is not a property stream). */
HRESULT mapix_mime_prop_stream_error(GMimeStream *stream);
/* A value for export: whole in *small when GetProps returns it (PT_UNICODE
 * as NUL-terminated UTF-8), or as a property stream in *large when it is too
 * big for GetProps. MAPI_E_NOT_FOUND when missing. */
HRESULT mapix_mime_open_value(LPMAPIPROP obj, ULONG tag, GByteArray **small, GMimeStream **large);
/* A write-only GMimeStream handing its bytes, 64 KiB at a time, to fn. */
GMimeStream *mapix_mime_write_stream_new(MAPIX_MIME_WRITE *fn, void *ctx);
/* TRUE once fn returned non-zero (the export was stopped by the caller);
 * FALSE for any other stream. */
BOOL mapix_mime_write_stream_stopped(GMimeStream *stream);

/* ---- mime-export-source.c ------------------------------------------------- */

/* Writes msg's PR_INTERNET_CONTENT to stream as the export (line endings
 * as mapixmime.h says), piece by piece. MAPI_E_NOT_FOUND (no error text
 * set) when the message has no such value: the caller rebuilds it. */
HRESULT mapix_mime_export_source(LPMESSAGE msg, ULONG flags, GMimeStream *stream);
/* (mapix_mime_source_allowed, mapix_mime_write_source and
 * mapix_mime_write_source_stream, public in mapixmime.h, are here too:
 * one writer of kept bytes for every caller.) */

/* ---- mime-rtf*.c ---------------------------------------------------------- */

/* After import: when msg has PR_RTF_COMPRESSED but neither PR_BODY nor
 * PR_HTML, derives them from the RTF (de-encapsulation or text). */
HRESULT mapix_mime_bodies_from_rtf(LPMESSAGE msg, mapix_mime_warnings *w);

#endif /* MAPIX_MIME_MIME_H */
