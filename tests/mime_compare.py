#!/usr/bin/env python3
"""mime_compare.py — compares two Internet messages through an independent
parser (Python's email package), for the mapix MIME tests.

    mime_compare.py ORIGINAL EXPORT [--no-passthrough]

Compared: the address headers (names and addresses), Subject, Date (as an
instant), Message-ID, In-Reply-To, References, Importance, Sensitivity,
the other headers of the original that an export carries over (X-*, List-*,
Received...), the decoded text/plain and text/html bodies, the attachments
(file names, MIME types and bytes, in any order) and embedded messages,
recursively. For multipart/signed messages the signed entity must be
byte-for-byte the same. Exit status 0 when equal, 1 with a report otherwise.
"""
import email
import email.header
import email.policy
import email.utils
import hashlib
import re
import sys

OWNED = {
    "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "in-reply-to",
    "references", "importance", "x-priority", "priority", "sensitivity", "disposition-notification-to",
    "return-receipt-to", "mime-version", "x-ms-tnef-correlator",
}
ADDRESS_HEADERS = ["from", "sender", "to", "cc", "bcc", "reply-to"]


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def decoded_header(msg, name):
    raw = msg.get(name)
    if raw is None:
        return None
    parts = email.header.decode_header(str(raw))
    out = []
    for text, charset in parts:
        if isinstance(text, bytes):
            out.append(text.decode(charset or "ascii", errors="replace"))
        else:
            out.append(text)
    # decode_header drops the whitespace between encoded and plain words
    # inconsistently across versions; compare with single spaces.
    return re.sub(r"\s+", " ", "".join(out)).strip()


def addresses(msg, name):
    values = msg.get_all(name) or []
    result = []
    for value in values:
        text = str(value)
        for real, addr in email.utils.getaddresses([text]):
            real = decoded_text(real)
            result.append((real or addr.lower(), addr.lower()))
    return result


def decoded_text(s):
    if not s:
        return ""
    out = []
    for text, charset in email.header.decode_header(s):
        if isinstance(text, bytes):
            out.append(text.decode(charset or "ascii", errors="replace"))
        else:
            out.append(text)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def norm_ids(value):
    if value is None:
        return None
    return " ".join(str(value).split())


def norm_text(s):
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in s.split("\n")).strip("\n")


def part_text(part):
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("latin-1")


def filename_of(part):
    name = part.get_filename()
    if name is None:
        return None
    return decoded_text(name) if "=?" in name else name


def summarize(msg):
    """Bodies, attachments and embedded messages of a message."""
    texts, htmls, atts, embedded = [], [], [], []

    def walk(part):
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype == "multipart/signed":
                # the content is summarized; the signature is an attachment
                pass
            for sub in part.get_payload():
                walk(sub)
            return
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            embedded.append(summary_of(inner))
            return
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = filename_of(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not name:
            (texts if ctype == "text/plain" else htmls).append(norm_text(part_text(part)))
            return
        data = part.get_payload(decode=True) or b""
        atts.append((name or "", ctype, hashlib.sha256(data).hexdigest(), len(data)))

    walk(msg)
    return {"text": texts, "html": htmls, "attachments": sorted(atts), "embedded": embedded}


def summary_of(msg):
    s = {}
    for h in ADDRESS_HEADERS:
        s[h] = addresses(msg, h)
    s["subject"] = decoded_header(msg, "subject")
    date = msg.get("date")
    s["date"] = email.utils.parsedate_to_datetime(str(date)).timestamp() if date else None
    for h in ("message-id", "in-reply-to", "references"):
        s[h] = norm_ids(msg.get(h))
    imp = msg.get("importance")
    s["importance"] = str(imp).strip().lower() if imp else None
    sens = msg.get("sensitivity")
    s["sensitivity"] = str(sens).strip().lower() if sens else None
    s["receipt"] = msg.get("disposition-notification-to") is not None
    s["body"] = summarize(msg)
    return s


def signed_entity(data):
    """The raw bytes of the first part of a top-level multipart/signed."""
    msg = parse(data)
    if msg.get_content_type() != "multipart/signed":
        return None
    boundary = msg.get_boundary().encode()
    delim = b"--" + boundary
    start = data.find(delim)
    if start < 0:
        return None
    start = data.find(b"\n", start) + 1
    end = data.find(b"\n" + delim, start)
    if end < 0:
        return None
    if data[end - 1:end] == b"\r":
        end -= 1
    return data[start:end]


def compare(a, b, path, problems):
    if isinstance(a, dict):
        for k in a:
            compare(a[k], b.get(k) if isinstance(b, dict) else None, path + "." + k, problems)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, "%s[%d]" % (path, i), problems)
        return
    if a != b:
        problems.append("%s: %r != %r" % (path, a, b))


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = {a for a in argv[1:] if a.startswith("--")}
    if len(args) != 2:
        print(__doc__)
        return 2
    with open(args[0], "rb") as f:
        orig_bytes = f.read()
    with open(args[1], "rb") as f:
        export_bytes = f.read()
    orig, export = parse(orig_bytes), parse(export_bytes)
    problems = []
    compare(summary_of(orig), summary_of(export), "message", problems)

    if "--no-passthrough" not in flags:
        for name in set(k.lower() for k in orig.keys()):
            if name in OWNED or name.startswith("content-"):
                continue
            a = [" ".join(str(v).split()) for v in orig.get_all(name)]
            b = [" ".join(str(v).split()) for v in (export.get_all(name) or [])]
            if a != b:
                problems.append("header %s: %r != %r" % (name, a, b))

    sa, sb = signed_entity(orig_bytes), signed_entity(export_bytes)
    if sa is not None and sa != sb:
        problems.append("signed entity differs (%d bytes vs %s)" % (len(sa), None if sb is None else len(sb)))

    if problems:
        print("%s vs %s:" % (args[0], args[1]))
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
