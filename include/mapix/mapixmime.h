/*
 * mapixmime.h — mapix extension: Internet mail (RFC 5322/MIME) to and from
 * MAPI messages, plus WrapCompressedRTFStream until mapiutil.h declares it.
 *
 * The converter works on any IMessage through the public MAPI interfaces
 * only (GetProps/SetProps, OpenProperty with IID_IStream for large values,
 * ModifyRecipients, CreateAttach, OpenProperty(PR_ATTACH_DATA_OBJ,
 * IID_IMessage) for embedded messages), so it behaves the same on the local
 * store, on a remote store and on any other provider's messages.
 *
 * Import never calls SaveChanges on the target message itself (the caller
 * decides when to commit); attachments and embedded messages it creates are
 * saved into their parent, as MAPI requires.
 *
 * Malformed input is converted with best effort: the call succeeds and the
 * problems found are reported as warnings (one per line) when the caller
 * asks for them. Only input that is not mail at all, or a failing target
 * message, makes the call fail.
 */
#ifndef MAPIX_MAPIXMIME_H
#define MAPIX_MAPIXMIME_H

#include <stddef.h>
#include <mapix/mapix.h>

MAPIX_BEGIN_DECLS

/* ---- import flags (mapix_mime_to_message*) ------------------------------- */
/* Do not store PR_TRANSPORT_MESSAGE_HEADERS. */
#define MAPIX_MIME_NO_TRANSPORT_HEADERS ((ULONG)0x00000001)
/* Mark the message read (MSGFLAG_READ); by default it is imported unread. */
#define MAPIX_MIME_MARK_READ ((ULONG)0x00000002)
/* Keep a TNEF (winmail.dat) part as a plain attachment instead of decoding it. */
#define MAPIX_MIME_NO_TNEF ((ULONG)0x00000004)
/* Store the message as not yet sent (MSGFLAG_UNSENT, a draft) instead of received mail. */
#define MAPIX_MIME_AS_DRAFT ((ULONG)0x00000008)
/* Also keep the input itself, byte for byte, in PR_INTERNET_CONTENT
 * (edkmdb.h), as Exchange does, so that export can hand it out again
 * unchanged (signatures stay valid, nothing is lost to the mapping). It is
 * written through OpenProperty(IID_IStream, MAPI_CREATE|MAPI_MODIFY) in
 * 64 KiB pieces, from the descriptor or the buffer, so memory stays
 * bounded; the message then takes about twice the space in the store. */
#define MAPIX_MIME_KEEP_SOURCE ((ULONG)0x00000010)

/* ---- export flags (mapix_message_to_mime*) ------------------------------- */
/* Leave out the Bcc header (as a message about to be sent must). */
#define MAPIX_MIME_NO_BCC ((ULONG)0x00000100)
/* Do not copy the headers mapix does not own (Received, List-*, X-*...)
 * from PR_TRANSPORT_MESSAGE_HEADERS into the export. */
#define MAPIX_MIME_NO_PASSTHROUGH ((ULONG)0x00000200)
/* Give a message without PR_INTERNET_MESSAGE_ID a new Message-ID. */
#define MAPIX_MIME_NEW_MESSAGE_ID ((ULONG)0x00000400)
/* Lines end in CRLF (the wire form) instead of LF (the Unix file form). */
#define MAPIX_MIME_CRLF ((ULONG)0x00000800)
/* Build the MIME from the message's properties even when it keeps its
 * original form in PR_INTERNET_CONTENT. */
#define MAPIX_MIME_REGENERATE ((ULONG)0x00001000)

/* Receives the exported message in pieces; returns 0, or non-zero to stop
 * (the export then fails with MAPI_E_USER_CANCEL). */
typedef int(MAPIX_MIME_WRITE)(void *lpvContext, const void *lpData, size_t cbData);

/*
 * Converts the RFC 5322 message in lpData[0..cbData) into lpMessage, which
 * should be new and empty (properties it already has are overwritten where
 * the mail supplies them; recipients and attachments are added).
 * lppszWarnings, when not NULL, receives NULL or a NUL-terminated list of
 * warnings, one per line, allocated with MAPIAllocateBuffer.
 */
MAPIX_API HRESULT mapix_mime_to_message(const BYTE *lpData, size_t cbData, LPMESSAGE lpMessage, ULONG ulFlags,
                                        char **lppszWarnings);
/* The same from an open file descriptor, read from its current position to
 * its end. Seekable files are read part by part, so memory stays bounded
 * whatever the size of the message; pipes are read whole first. */
MAPIX_API HRESULT mapix_mime_fd_to_message(int fd, LPMESSAGE lpMessage, ULONG ulFlags, char **lppszWarnings);

/* Writes lpMessage as an RFC 5322/MIME message through lpfnWrite, in
 * pieces as it is produced: values too large for GetProps (attachments,
 * long bodies) are read through OpenProperty(IID_IStream) while they are
 * encoded, so memory stays bounded whatever the size of the message (the
 * message must stay open and unchanged until the call returns). The same
 * message always gives the same bytes (multipart boundaries are derived
 * from its headers).
 *
 * A message that has PR_INTERNET_CONTENT (kept by MAPIX_MIME_KEEP_SOURCE,
 * or set by anyone) is written as that value, streamed in pieces, instead
 * of being rebuilt; the local store deletes the value when a save changes
 * what the MIME shows (docs/store.md), so it is never stale there. Only the
 * line endings may change: with MAPIX_MIME_CRLF a value whose first line
 * ends in a bare LF gets every bare LF written as CRLF; without it a value
 * whose first line ends in CRLF gets every CRLF written as LF; otherwise,
 * and for a value without any line end, the bytes are copied unchanged.
 * The message is rebuilt from its properties instead with
 * MAPIX_MIME_REGENERATE, and with the flags that ask for a changed message
 * (MAPIX_MIME_NO_BCC, MAPIX_MIME_NO_PASSTHROUGH, MAPIX_MIME_NEW_MESSAGE_ID). */
MAPIX_API HRESULT mapix_message_to_mime(LPMESSAGE lpMessage, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                        void *lpvContext);
/* The same into a file descriptor (written completely, retried on EINTR). */
MAPIX_API HRESULT mapix_message_to_mime_fd(LPMESSAGE lpMessage, ULONG ulFlags, int fd);
/* The same into one buffer allocated with MAPIAllocateBuffer (NUL-terminated,
 * *lpcbData without the NUL), which holds the whole message by nature.
 * Fails with MAPI_E_TOO_BIG past 2 GiB. */
MAPIX_API HRESULT mapix_message_to_mime_buffer(LPMESSAGE lpMessage, ULONG ulFlags, BYTE **lppData,
                                               size_t *lpcbData);

/* ---- writing kept bytes ---------------------------------------------------- */

/* TRUE when ulFlags let an export write a message's kept original
 * (PR_INTERNET_CONTENT) instead of rebuilding it: none of
 * MAPIX_MIME_REGENERATE, MAPIX_MIME_NO_BCC, MAPIX_MIME_NO_PASSTHROUGH and
 * MAPIX_MIME_NEW_MESSAGE_ID is set. mapix_message_to_mime decides with it. */
MAPIX_API BOOL mapix_mime_source_allowed(ULONG ulFlags);
/* Writes a kept original, lpData[0..cbData), through lpfnWrite exactly as
 * mapix_message_to_mime writes a message's PR_INTERNET_CONTENT (the same
 * code): the bytes unchanged but for the line endings MAPIX_MIME_CRLF
 * asks for (see mapix_message_to_mime). For callers that already hold the
 * value, e.g. from a contents table row; whether the flags allow it is
 * the caller's to check (mapix_mime_source_allowed). */
MAPIX_API HRESULT mapix_mime_write_source(const BYTE *lpData, size_t cbData, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                          void *lpvContext);
/* The same from a stream (e.g. OpenProperty(PR_INTERNET_CONTENT,
 * IID_IStream)), read from its current position to its end in 64 KiB
 * pieces, so memory stays bounded. */
MAPIX_API HRESULT mapix_mime_write_source_stream(LPSTREAM lpStream, ULONG ulFlags, MAPIX_MIME_WRITE *lpfnWrite,
                                                 void *lpvContext);

/* ---- compressed RTF (MS-OXRTFCP) ------------------------------------------ */

/* WrapCompressedRTFStream flags, as Windows mapiutil.h defines them
 * (MAPI_MODIFY comes from mapidefs.h). */
#ifndef STORE_UNCOMPRESSED_RTF
#define STORE_UNCOMPRESSED_RTF ((ULONG)0x00008000)
#endif

#ifndef MAPIX_HAVE_WRAPCOMPRESSEDRTFSTREAM
#define MAPIX_HAVE_WRAPCOMPRESSEDRTFSTREAM 1
/*
 * Windows semantics: lpCompressedRTFStream is a stream on PR_RTF_COMPRESSED;
 * the returned stream reads the uncompressed RTF, or, with MAPI_MODIFY,
 * takes uncompressed RTF that is compressed into lpCompressedRTFStream on
 * Commit (and on the last Release). With STORE_UNCOMPRESSED_RTF the data is
 * written in the uncompressed ("MELA") form.
 */
STDAPI WrapCompressedRTFStream(LPSTREAM lpCompressedRTFStream, ULONG ulFlags, LPSTREAM *lpUncompressedRTFStream);
#endif

/* One-shot forms for programs that hold the whole value. Results are
 * allocated with MAPIAllocateBuffer. Decompression checks the CRC of
 * compressed data and fails with MAPI_E_CORRUPT_DATA on a damaged value. */
MAPIX_API HRESULT mapix_rtf_decompress(const BYTE *lpData, ULONG cbData, BYTE **lppRtf, ULONG *lpcbRtf);
MAPIX_API HRESULT mapix_rtf_compress(const BYTE *lpRtf, ULONG cbRtf, BYTE **lppData, ULONG *lpcbData);

/* The body an RTF document carries: MAPIX_RTF_HTML when it encapsulates
 * HTML (\fromhtml1, MS-OXRTFEX), MAPIX_RTF_TEXT when it encapsulates plain
 * text (\fromtext) or is ordinary RTF (its text is extracted then). The
 * UTF-8 result is allocated with MAPIAllocateBuffer. */
#define MAPIX_RTF_TEXT 1
#define MAPIX_RTF_HTML 2
MAPIX_API HRESULT mapix_rtf_to_body(const BYTE *lpRtf, ULONG cbRtf, ULONG *lpulKind, char **lppszBody,
                                    size_t *lpcbBody);

MAPIX_END_DECLS

#endif /* MAPIX_MAPIXMIME_H */
