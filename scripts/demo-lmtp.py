#!/usr/bin/env python3
"""demo-lmtp.py — delivers the demo's mail into mapixd through LMTP, as an
MTA would (Python's smtplib.LMTP), and shows what arrived.

Two ways to run it:

  demo-lmtp.py --socket PATH [--to ADDR]... [--eml FILE]...
      a mapixd that is already running with an [lmtp] socket: delivers the
      demo messages (or the given .eml files) to the recipients (default
      alice@example.org and bob@example.org). The caller must hold the
      "deliver" grant on those mailboxes (or be an administrator).

  demo-lmtp.py --build DIR [--dir WORKDIR] [--keep]
      self-contained: starts a mapixd of its own from the build directory
      (DIR/src/server/mapixd) in WORKDIR (default: a temporary directory),
      creates the accounts alice and bob owned by the calling user, grants
      that user "deliver" on both, delivers, lists both Inboxes with
      `mapix store ls --mailbox NAME --server`, and stops the server.

Exit status 0 when every delivery that should succeed did.
"""
import argparse
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone


def demo_messages():
    """A few messages of the kinds a mailbox gets: plain, 8-bit, HTML with
    an attachment."""
    out = []
    m = EmailMessage()
    m["From"] = "Carol Example <carol@example.net>"
    m["To"] = "Alice <alice@example.org>, Bob <bob@example.org>"
    m["Subject"] = "Welcome to mapix"
    m["Date"] = format_datetime(datetime.now(timezone.utc))
    m["Message-ID"] = make_msgid("demo")
    m.set_content("Hello,\n\nthis message came in through mapixd's LMTP listener,\n"
                  "was converted once per recipient and filed into each Inbox.\n\n"
                  ". a line starting with a dot survives dot-stuffing\n")
    out.append(("carol@example.net", m))

    m = EmailMessage()
    m["From"] = "Jürgen Müller <juergen@example.net>"
    m["To"] = "alice@example.org"
    m["Subject"] = "Grüße aus Köln"
    m["Date"] = format_datetime(datetime.now(timezone.utc))
    m["Message-ID"] = make_msgid("demo")
    m.set_content("Schöne Grüße — ein 8-Bit-Text (BODY=8BITMIME).\n", cte="8bit")
    out.append(("juergen@example.net", m))

    m = EmailMessage()
    m["From"] = "Reports <reports@example.net>"
    m["To"] = "bob@example.org"
    m["Subject"] = "Weekly report"
    m["Date"] = format_datetime(datetime.now(timezone.utc))
    m["Message-ID"] = make_msgid("demo")
    m.set_content("The report is attached.\n")
    m.add_alternative("<p>The report is <b>attached</b>.</p>\n", subtype="html")
    m.add_attachment("week;deliveries\n47;1200\n".encode(), maintype="text", subtype="csv",
                     filename="report.csv")
    out.append(("reports@example.net", m))
    return out


def deliver(sock, rcpts, messages):
    """Delivers each message to every recipient in one transaction; prints
    the per-recipient LMTP replies. Returns the number of failures."""
    failures = 0
    c = smtplib.LMTP(sock, timeout=60)
    c.ehlo("demo.example.net")
    for sender, msg in messages:
        data = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        opts = ["BODY=8BITMIME"] if any(b > 127 for b in data) else []
        code, text = c.mail(sender, opts)
        if code != 250:
            print("  MAIL refused: %d %s" % (code, text.decode()))
            failures += 1
            c.rset()
            continue
        accepted = []
        for r in rcpts:
            code, text = c.rcpt(r)
            if code == 250:
                accepted.append(r)
            else:
                print("  %-24s %d %s" % (r, code, text.decode()))
                failures += 1
        if not accepted:
            c.rset()
            continue
        # LMTP answers DATA once per accepted recipient; smtplib reads the
        # first reply, the others are read here.
        replies = [c.data(data)]
        replies += [c.getreply() for _ in accepted[1:]]
        for r, (code, text) in zip(accepted, replies):
            print("  %-24s %d %s   [%s]" % (r, code, text.decode(), msg["Subject"]))
            failures += code != 250
    c.quit()
    return failures


def self_contained(build, workdir, keep):
    mapixd = os.path.join(build, "src/server/mapixd")
    mapix = os.path.join(build, "mapix")
    for p in (mapixd, mapix):
        if not os.access(p, os.X_OK):
            print("demo-lmtp: %s is not built" % p, file=sys.stderr)
            return 1
    made = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="mapix-demo-lmtp-")
    os.makedirs(workdir, exist_ok=True)
    me = pwd.getpwuid(os.geteuid()).pw_name
    conf = os.path.join(workdir, "mapixd.conf")
    sock, lmtp = os.path.join(workdir, "mapixd.sock"), os.path.join(workdir, "lmtp.sock")
    with open(conf, "w") as f:
        f.write("[server]\nname = demo\nsocket = %s\ndata_dir = %s/data\n[audit]\nfile = %s/audit.log\n"
                "[lmtp]\nsocket = %s\nmax_message_size = 10M\n" % (sock, workdir, workdir, lmtp))

    def admin(*args):
        r = subprocess.run([mapixd, "--config", conf] + list(args), capture_output=True, text=True)
        if r.returncode != 0 and "exists" not in r.stderr and "taken" not in r.stderr:
            raise SystemExit("demo-lmtp: mapixd %s: %s" % (" ".join(args), r.stderr.strip()))

    for name in ("alice", "bob"):
        admin("--create-account", name, "--display-name", name.title(), "--smtp", name + "@example.org",
              "--unix-user", me)
        admin("--grant", name, me, "deliver")
    log = open(os.path.join(workdir, "mapixd.log"), "a")
    server = subprocess.Popen([mapixd, "--config", conf], stdout=log, stderr=log)
    try:
        for _ in range(500):
            if os.path.exists(lmtp):
                break
            time.sleep(0.01)
        print("== mail delivered through LMTP (%s) ==" % lmtp)
        failures = deliver(lmtp, ["alice@example.org", "bob@example.org"], demo_messages())
        deliver_unknown(lmtp)
        for name in ("alice", "bob"):
            print("\n== %s's Inbox (mapix store ls --mailbox %s --server %s) ==" % (name, name, sock))
            sys.stdout.flush()
            subprocess.run([mapix, "store", "ls", "--mailbox", name, "--server", sock, "--folder", "Inbox"])
        return 1 if failures else 0
    finally:
        server.terminate()
        server.wait(20)
        if made and not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def deliver_unknown(sock):
    c = smtplib.LMTP(sock, timeout=60)
    c.ehlo("demo.example.net")
    c.mail("carol@example.net")
    code, text = c.rcpt("nobody@example.org")
    print("  %-24s %d %s" % ("nobody@example.org", code, text.decode()))
    c.rset()
    c.quit()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", help="the LMTP socket of a running mapixd")
    ap.add_argument("--to", action="append", help="recipient (repeatable)")
    ap.add_argument("--eml", action="append", help="an RFC 5322 file to deliver instead of the demo mail")
    ap.add_argument("--build", help="build directory: run a mapixd of our own")
    ap.add_argument("--dir", help="work directory for --build (kept)")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if a.build:
        return self_contained(a.build, a.dir, a.keep)
    if not a.socket:
        ap.error("--socket or --build is needed")
    messages = demo_messages()
    if a.eml:
        import email
        import email.policy
        messages = []
        for path in a.eml:
            with open(path, "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            messages.append((m.get("Return-Path", "").strip("<>") or "demo@example.net", m))
    return 1 if deliver(a.socket, a.to or ["alice@example.org", "bob@example.org"], messages) else 0


if __name__ == "__main__":
    sys.exit(main())
