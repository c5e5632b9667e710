#!/usr/bin/env python3
"""test_lmtp.py — mapixd's LMTP delivery tested with an independent client:
Python's smtplib.LMTP, plus raw sockets where smtplib cannot do what a real
MTA does (pipelining several commands in one write, hanging up in the middle
of DATA, not reading replies).

The script starts its own mapixd (a fresh data directory under a temporary
directory), creates the accounts with `mapixd --create-account`, and reads
the delivered messages back with `mapix store ls --mailbox NAME --server
SOCKET` as their owner (the accounts belong to the user running the test).
The user running the test is NOT an administrator of that server, so
"deliver" grants decide what it may deliver to:

  alice, bob, dave: the test user holds "deliver"; carol: no grant
  TCP (127.0.0.1, tcp_identity = account:mta): "deliver" on bob only

Each scenario prints cmocka-style lines ([ RUN ], [ OK ], [ FAILED ]) and
the exit status is non-zero when one fails.

    test_lmtp.py --mapixd PATH --mapix PATH [--keep] [scenario...]
"""
import argparse
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

SKIP = 77


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Server:
    """One mapixd with an LMTP socket (and a loopback TCP listener)."""

    def __init__(self, mapixd, mapix, lmtp_extra="", quota=""):
        self.mapixd, self.mapix = mapixd, mapix
        self.dir = tempfile.mkdtemp(prefix="mapix-lmtp-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "mapixd.sock")
        self.lmtp = os.path.join(self.dir, "lmtp.sock")
        self.audit = os.path.join(self.dir, "audit.log")
        self.conf = os.path.join(self.dir, "mapixd.conf")
        self.me = pwd.getpwuid(os.geteuid()).pw_name
        self.lmtp_extra, self.quota = lmtp_extra, quota
        self.proc = None
        self.write_conf()

    def write_conf(self, lmtp_extra=None):
        if lmtp_extra is not None:
            self.lmtp_extra = lmtp_extra
        with open(self.conf, "w") as f:
            f.write(f"""[server]
name = lmtptest
socket = {self.sock}
data_dir = {self.dir}/data
[rights]
administrators = account:postmaster
[audit]
file = {self.audit}
[lmtp]
socket = {self.lmtp}
listen = 127.0.0.1:0
address_file = {self.dir}/lmtp.address
tcp_identity = account:mta
max_message_size = 64K
max_recipients = 5
timeout = 3
max_connections = 8
{self.lmtp_extra}
""")
            if self.quota:
                f.write("[quota]\n" + self.quota + "\n")

    def admin(self, *args):
        r = subprocess.run([self.mapixd, "--config", self.conf] + list(args),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure("mapixd %s: %s" % (" ".join(args), r.stderr.strip()))

    def setup_accounts(self):
        for name in ("alice", "bob", "carol", "dave"):
            self.admin("--create-account", name, "--display-name", name.title(),
                       "--smtp", name + "@example.org", "--unix-user", self.me)
        self.admin("--create-account", "mta")
        for name in ("alice", "bob", "dave"):
            self.admin("--grant", name, self.me, "deliver")
        self.admin("--grant", "bob", "account:mta", "deliver")

    def start(self):
        for p in (self.lmtp, self.sock):
            if os.path.exists(p):
                os.unlink(p)
        log = open(os.path.join(self.dir, "mapixd.log"), "a")
        self.proc = subprocess.Popen([self.mapixd, "--config", self.conf], stdout=log, stderr=log)
        for _ in range(1000):
            if os.path.exists(self.lmtp) and os.path.exists(self.dir + "/lmtp.address"):
                break
            if self.proc.poll() is not None:
                raise Failure("mapixd exited: " + open(log.name).read()[-2000:])
            time.sleep(0.01)
        with open(self.dir + "/lmtp.address") as f:
            host, port = f.read().strip().rsplit(":", 1)
        self.tcp = (host, int(port))

    def stop(self):
        """Stops the server; raises Failure when it did not end cleanly
        (exit status, or a sanitizer report in its log)."""
        if not self.proc:
            return
        self.proc.terminate()
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "hung"
        self.proc = None
        with open(os.path.join(self.dir, "mapixd.log"), errors="replace") as f:
            log = f.read()
        bad = [w for w in ("AddressSanitizer", "LeakSanitizer", "runtime error:") if w in log]
        if rc != 0 or bad:
            raise Failure("mapixd ended with %s %s: %s" % (rc, bad, log[-3000:]))

    def destroy(self, keep=False):
        try:
            self.stop()
        except Failure:
            keep = True
            raise
        finally:
            if keep:
                print("# kept", self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def inbox(self, mailbox):
        """The Inbox rows as (subject, sender address, body) tuples."""
        r = subprocess.run([self.mapix, "store", "ls", "--mailbox", mailbox, "--server", self.sock,
                            "--folder", "Inbox", "--tsv", "--columns",
                            "PR_SUBJECT,PR_SENDER_EMAIL_ADDRESS,PR_BODY,PR_TRANSPORT_MESSAGE_HEADERS"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure("mapix store ls %s: %s" % (mailbox, r.stderr.strip()))
        rows = []
        for line in r.stdout.splitlines()[1:]:
            cols = line.split("\t")
            cols += [""] * (5 - len(cols))
            unesc = [c.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t") for c in cols[1:5]]
            rows.append(tuple(unesc))
        return rows

    def audit_lines(self, *words):
        try:
            with open(self.audit) as f:
                return [l for l in f if all(w in l for w in words)]
        except FileNotFoundError:
            return []

    def client(self):
        return smtplib.LMTP(self.lmtp, timeout=20)

    def raw(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(self.lmtp)
        return Raw(s)


class Raw:
    """A bare LMTP connection: the test decides what goes out in one write."""

    def __init__(self, s):
        self.s, self.buf = s, b""
        self.greeting = self.reply()

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Failure("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def reply(self):
        """One (multi-line) reply: (code, last line)."""
        while True:
            l = self.line()
            if len(l) < 4 or l[3] != "-":
                return int(l[:3]), l

    def closed(self, wait=10):
        """TRUE when the server closes the connection within wait seconds."""
        self.s.settimeout(wait)
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionError:
            return True

    def close(self):
        self.s.close()


def message(subject, body="Hello.\r\n", sender="Sender <sender@example.net>", to="alice@example.org",
            extra=""):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n%s\r\n%s"
            % (sender, to, subject, subject.replace(" ", "."), extra, body))


def transaction(c, sender, rcpts, msg, mail_options=()):
    """MAIL, RCPT..., DATA with smtplib's primitives; returns the RCPT
    replies and the per-recipient DATA replies (smtplib.LMTP reads only
    the first of those itself: the others are read here)."""
    code, resp = c.mail(sender, list(mail_options))
    check(code == 250, "MAIL: %d %s" % (code, resp))
    rcpt_replies, accepted = {}, []
    for r in rcpts:
        code, resp = c.rcpt(r)
        rcpt_replies[r] = (code, resp.decode())
        if code == 250:
            accepted.append(r)
    data_replies = {}
    if accepted:
        code, resp = c.data(msg.encode() if isinstance(msg, str) else msg)
        data_replies[accepted[0]] = (code, resp.decode())
        for r in accepted[1:]:
            code, resp = c.getreply()
            data_replies[r] = (code, resp.decode())
    else:
        c.rset()
    return rcpt_replies, data_replies


# ---- scenarios ---------------------------------------------------------------------------------


def t_single_recipient(s):
    c = s.client()
    c.ehlo("mx.example.net")
    check(c.has_extn("pipelining") and c.has_extn("enhancedstatuscodes") and c.has_extn("8bitmime"),
          "LHLO advertises PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME: %r" % c.esmtp_features)
    check(c.esmtp_features.get("size") == str(64 * 1024), "SIZE 65536: %r" % c.esmtp_features)
    refused = c.sendmail("sender@example.net", ["alice@example.org"],
                         message("Single one", "First line\r\nSecond line\r\n"))
    check(refused == {}, "refused %r" % refused)
    c.quit()
    rows = s.inbox("alice")
    check(len(rows) == 1, "alice has %d messages" % len(rows))
    subject, sender, body, headers = rows[0]
    check(subject == "Single one", "subject %r" % subject)
    check(sender == "sender@example.net", "sender %r" % sender)
    check("First line\r\nSecond line" in body, "body %r" % body)
    check(headers.startswith("Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n"
                             "Received: from mx.example.net ("), "trace headers %r" % headers[:200])
    check("for <alice@example.org>;" in headers, "Received names the recipient: %r" % headers[:300])


def t_account_name(s):
    c = s.client()
    c.ehlo("mx")
    rr, dr = transaction(c, "x@example.net", ["dave"], message("By account name", to="dave"))
    check(dr["dave"][0] == 250, "delivered to an account name: %r" % dr)
    c.quit()
    check(len(s.inbox("dave")) == 1, "dave got it")


def t_mixed_recipients(s):
    before = {m: len(s.inbox(m)) for m in ("alice", "bob", "carol")}
    audits = len(s.audit_lines('"operation":"LMTP delivery"', '"mailbox":"carol"', "MAPI_E_NO_ACCESS"))
    c = s.client()
    c.ehlo("mx")
    rr, dr = transaction(c, "sender@example.net",
                         ["alice@example.org", "carol@example.org", "ghost@example.org", "BOB@example.org"],
                         message("Mixed", to="alice@example.org, bob@example.org"))
    check(rr["alice@example.org"][0] == 250, "alice accepted: %r" % (rr,))
    check(rr["carol@example.org"][0] == 550 and rr["carol@example.org"][1].startswith("5.7.1"),
          "carol (no deliver right) 550 5.7.1: %r" % (rr["carol@example.org"],))
    check(rr["ghost@example.org"][0] == 550 and rr["ghost@example.org"][1].startswith("5.1.1"),
          "unknown 550 5.1.1: %r" % (rr["ghost@example.org"],))
    check(rr["BOB@example.org"][0] == 250, "address case ignored: %r" % (rr["BOB@example.org"],))
    check(sorted(dr) == ["BOB@example.org", "alice@example.org"], "one DATA reply per accepted: %r" % dr)
    for r, (code, text) in dr.items():
        check(code == 250 and text.startswith("2.0.0 <%s>" % r), "%s: %r" % (r, (code, text)))
    code, _ = c.noop()
    check(code == 250, "in step after the DATA replies")
    c.quit()
    check(len(s.inbox("alice")) == before["alice"] + 1, "alice +1")
    check(len(s.inbox("bob")) == before["bob"] + 1, "bob +1")
    check(len(s.inbox("carol")) == before["carol"], "carol unchanged")
    check(len(s.audit_lines('"operation":"LMTP delivery"', '"mailbox":"carol"', "MAPI_E_NO_ACCESS")) == audits + 1,
          "exactly one audit line for the refusal")


def t_send_message_several(s):
    import email.message
    m = email.message.EmailMessage()
    m["From"] = "Ann <ann@example.net>"
    m["To"] = "alice@example.org, bob@example.org"
    m["Subject"] = "send_message"
    m.set_content("Body of send_message.\n")
    before = (len(s.inbox("alice")), len(s.inbox("bob")))
    c = s.client()
    c.ehlo("mx")
    refused = c.send_message(m, to_addrs=["alice@example.org", "bob@example.org", "nope@example.org"])
    check(list(refused) == ["nope@example.org"] and refused["nope@example.org"][0] == 550, "refused %r" % refused)
    code, text = c.getreply()  # the second recipient's DATA reply (smtplib reads one)
    check(code == 250, "second DATA reply %d %r" % (code, text))
    c.quit()
    check((len(s.inbox("alice")), len(s.inbox("bob"))) == (before[0] + 1, before[1] + 1), "both got it")


def t_raw_pipelining(s):
    before = (len(s.inbox("alice")), len(s.inbox("bob")))
    r = s.raw()
    check(r.greeting[0] == 220, "greeting %r" % (r.greeting,))
    r.send("LHLO pipe.example.net\r\nMAIL FROM:<p@example.net> BODY=8BITMIME\r\nRCPT TO:<alice@example.org>\r\n"
           "RCPT TO:<ghost@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
    codes = [r.reply()[0] for _ in range(6)]
    check(codes == [250, 250, 250, 550, 250, 354], "pipelined replies %r" % codes)
    r.send(message("Pipelined") + "\r\n.\r\nQUIT\r\n")
    codes = [r.reply() for _ in range(3)]
    check([c for c, _ in codes] == [250, 250, 221], "after DATA: %r" % codes)
    check("<alice@example.org>" in codes[0][1] and "<bob@example.org>" in codes[1][1], "in RCPT order: %r" % codes)
    r.close()
    check((len(s.inbox("alice")), len(s.inbox("bob"))) == (before[0] + 1, before[1] + 1), "both got it")


def t_size_limit(s):
    before = len(s.inbox("alice"))
    big = message("Too big", "x" * 76 + "\r\n") + ("y" * 76 + "\r\n") * 1000
    c = s.client()
    c.ehlo("mx")
    # smtplib declares SIZE= since the server advertises it: refused at MAIL.
    try:
        c.sendmail("s@example.net", ["alice@example.org"], big)
        raise Failure("sendmail of 78 KB succeeded")
    except smtplib.SMTPSenderRefused as e:
        check(e.smtp_code == 552 and e.smtp_error.startswith(b"5.3.4"), "MAIL SIZE= refusal %r" % (e.args,))
    c.rset()
    c.quit()
    # Without SIZE=, the limit is found while reading DATA: 552 5.3.4 per recipient.
    r = s.raw()
    r.send("LHLO mx\r\nMAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
           "DATA\r\n")
    codes = [r.reply()[0] for _ in range(5)]
    check(codes == [250, 250, 250, 250, 354], "before DATA %r" % codes)
    r.send(big + "\r\n.\r\n")
    a, b = r.reply(), r.reply()
    check(a[0] == 552 and "5.3.4" in a[1] and b[0] == 552 and "5.3.4" in b[1], "DATA replies %r %r" % (a, b))
    r.send("NOOP\r\n")
    check(r.reply()[0] == 250, "connection still usable")
    r.close()
    check(len(s.inbox("alice")) == before, "nothing delivered")


def t_eight_bit(s):
    text = "Grüße aus Köln — ünïcödé ☃\r\n"
    msg = ("From: =?utf-8?q?J=C3=BCrgen?= <j@example.net>\r\nTo: alice@example.org\r\nSubject: 8bit\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
           "\r\n" + text)
    c = s.client()
    c.ehlo("mx")
    refused = c.sendmail("j@example.net", ["alice@example.org"], msg.encode("utf-8"), mail_options=["BODY=8BITMIME"])
    check(refused == {}, "refused %r" % refused)
    c.quit()
    rows = [r for r in s.inbox("alice") if r[0] == "8bit"]
    check(len(rows) == 1, "delivered")
    check(text.rstrip("\r\n") in rows[0][2], "8-bit body kept: %r" % rows[0][2])


def t_dot_stuffing(s):
    body = ".\r\n..\r\n.leading dot\r\nmiddle . dot\r\n.\r\nend\r\n"
    c = s.client()
    c.ehlo("mx")
    check(c.sendmail("d@example.net", ["alice@example.org"], message("Dots", body)) == {}, "sent")
    c.quit()
    # The same by hand, stuffed by the test itself, with a bare-LF line.
    r = s.raw()
    r.send("LHLO mx\r\nMAIL FROM:<d@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
    check([r.reply()[0] for _ in range(4)] == [250, 250, 250, 354], "to DATA")
    r.send(message("Dots raw", "..\r\n...\r\n..x\r\n") + ".\r\n")
    check(r.reply()[0] == 250, "delivered")
    r.close()
    rows = {row[0]: row for row in s.inbox("alice")}
    check("Dots" in rows and rows["Dots"][2].startswith(body.rstrip("\r\n")),
          "smtplib's stuffing undone: %r" % (rows.get("Dots", ("", "", ""))[2],))
    check("Dots raw" in rows and rows["Dots raw"][2].startswith(".\r\n..\r\n.x"),
          "raw stuffing undone: %r" % (rows.get("Dots raw", ("", "", ""))[2],))


def t_disconnect_mid_data(s):
    before = (len(s.inbox("alice")), len(s.inbox("bob")))
    r = s.raw()
    r.send("LHLO mx\r\nMAIL FROM:<h@example.net>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
           "DATA\r\n")
    check([r.reply()[0] for _ in range(5)] == [250, 250, 250, 250, 354], "to DATA")
    r.send(message("Half", "line\r\n" * 500))
    r.close()
    # A client that hangs up right after the final dot may still get its
    # mail (the dot arrived); this one never sent the dot.
    time.sleep(0.5)
    check((len(s.inbox("alice")), len(s.inbox("bob"))) == before, "nothing delivered")
    c = s.client()
    c.ehlo("mx")
    check(c.sendmail("h@example.net", ["alice@example.org"], message("After")) == {}, "server still delivers")
    c.quit()


def t_tcp_identity(s):
    c = smtplib.LMTP()
    c.connect(s.tcp[0], s.tcp[1])
    c.ehlo("mx")
    before = len(s.audit_lines('"identity":"account:mta"', '"mailbox":"alice"', "MAPI_E_NO_ACCESS"))
    rr, dr = transaction(c, "t@example.net", ["alice@example.org", "bob@example.org"], message("Over TCP"))
    check(rr["alice@example.org"][0] == 550 and rr["alice@example.org"][1].startswith("5.7.1"),
          "account:mta may not deliver to alice: %r" % (rr,))
    check(dr.get("bob@example.org", (0,))[0] == 250, "account:mta delivers to bob: %r" % dr)
    c.quit()
    check(len(s.audit_lines('"identity":"account:mta"', '"mailbox":"alice"', "MAPI_E_NO_ACCESS")) == before + 1,
          "audited with the TCP identity")
    check(any(r[0] == "Over TCP" for r in s.inbox("bob")), "bob got it")


def t_limits(s):
    r = s.raw()
    r.send("LHLO mx\r\nMAIL FROM:<l@example.net>\r\n" + "".join("RCPT TO:<alice@example.org>\r\n" for _ in range(6)))
    codes = [r.reply() for _ in range(8)]
    check([c for c, _ in codes[:7]] == [250] * 7 and codes[7][0] == 452 and "4.5.3" in codes[7][1],
          "sixth recipient: %r" % codes)
    r.send("RSET\r\nMAIL FROM:<l@example.net>\r\nDATA\r\nRCPT TO:<alice@example.org> NOTIFY=NEVER\r\n")
    codes = [r.reply() for _ in range(4)]
    check([c for c, _ in codes] == [250, 250, 503, 555], "order and parameters: %r" % codes)
    # A refused MAIL with its RCPTs and DATA pipelined behind it: every
    # command gets its 503, and order errors do not end the connection.
    r.send("RSET\r\nMAIL FROM:<big@example.net> SIZE=99999999\r\n" +
           "RCPT TO:<alice@example.org>\r\n" * 12 + "DATA\r\nNOOP\r\n")
    codes = [r.reply()[0] for _ in range(16)]
    check(codes == [250, 552] + [503] * 13 + [250], "after a refused MAIL: %r" % codes)
    r.send("HELO mx\r\nMAIL FROM:<a b@x>\r\nFOO\r\n" + "Z" * 3000 + "\r\nNOOP\r\n")
    codes = [r.reply() for _ in range(5)]
    check([c for c, _ in codes] == [500, 501, 500, 500, 250] and "5.5.2" in codes[3][1], "bad commands: %r" % codes)
    r.close()


def t_hostile_clients(s):
    # Garbage, then an endless line: the connection ends with 421 after
    # too many errors; memory stays bounded (the line is not kept).
    g = s.raw()
    g.send(b"\x00\xff\x01garbage\r\n" * 3 + b"A" * (1 << 20))
    g.send(b"\r\n" + b"bad\r\n" * 10)
    replies = []
    while len(replies) < 20 and (not replies or replies[-1][0] != 421):
        replies.append(g.reply())
    # 3 garbage lines, the long line, 6 more: the tenth error ends it.
    check(len(replies) == 11 and replies[-1][0] == 421, "closed after ten errors: %r" % replies[-3:])
    check(replies[3][0] == 500 and "5.5.2" in replies[3][1], "the long line: %r" % (replies[3],))
    check(g.closed(), "connection ended")
    g.close()
    # A client that never reads: it pipelines far more replies than the
    # socket buffers hold and stops; it loses its connection after the
    # timeout while another client delivers meanwhile.
    stuck = s.raw()
    stop = threading.Event()

    def flood():
        try:
            stuck.s.settimeout(10)
            while not stop.is_set():
                stuck.s.sendall(b"NOOP\r\n" * 20000)
        except OSError:
            pass
    t = threading.Thread(target=flood)
    t.start()
    time.sleep(0.5)
    c = s.client()
    c.ehlo("mx")
    t0 = time.time()
    check(c.sendmail("o@example.net", ["bob@example.org"], message("While stuck")) == {}, "delivered meanwhile")
    check(time.time() - t0 < 2, "not held up by the stuck client")
    c.quit()
    t.join(20)
    stop.set()
    check(not t.is_alive(), "the non-reading client was disconnected")
    stuck.close()
    # An idle client is told 421 4.4.2 at the timeout.
    idle = s.raw()
    code, text = idle.reply()
    check(code == 421 and "4.4.2" in text, "idle timeout: %r" % ((code, text),))
    idle.close()


def t_max_connections(s):
    held = [s.raw() for _ in range(8)]
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    extra.settimeout(10)
    extra.connect(s.lmtp)
    data = extra.recv(1000).decode()
    check(data.startswith("421 4.3.2"), "ninth connection: %r" % data)
    extra.close()
    for h in held:
        h.close()
    time.sleep(0.3)
    c = s.client()
    c.ehlo("mx")
    c.quit()


def t_quota(mapixd, mapix, keep):
    """A server of its own: mail first, then a receive limit of 1 KB."""
    q = Server(mapixd, mapix)
    try:
        q.setup_accounts()
        q.start()
        c = q.client()
        c.ehlo("mx")
        rr, dr = transaction(c, "q@example.net", ["dave@example.org"], message("Small", "s\r\n" * 300))
        check(dr["dave@example.org"][0] == 250, "delivered without a limit: %r" % dr)
        c.quit()
        q.stop()
        q.quota = "receive_limit = 1K"
        q.write_conf()
        q.start()
        c = q.client()
        c.ehlo("mx")
        # dave is past the limit already: refused at RCPT, before the data.
        rr, dr = transaction(c, "q@example.net", ["dave@example.org"], message("Refused"))
        code, text = rr["dave@example.org"]
        check(code == 552 and text.startswith("5.2.2"), "over quota at RCPT: %r" % ((code, text),))
        # alice is empty, but this message would take her past it: after DATA.
        rr, dr = transaction(c, "q@example.net", ["alice@example.org", "bob@example.org"],
                             message("Too big", ("w" * 70 + "\r\n") * 30))
        for r in ("alice@example.org", "bob@example.org"):
            code, text = dr[r]
            check(code == 552 and text.startswith("5.2.2"), "past quota at DATA (%s): %r" % (r, (code, text)))
        rr, dr = transaction(c, "q@example.net", ["alice@example.org"], message("Fits", "ok\r\n"))
        check(dr["alice@example.org"][0] == 250, "a small one still fits: %r" % dr)
        c.quit()
        check(len(q.audit_lines("receive quota", "MAPI_E_STORE_FULL")) == 3, "three audited quota refusals")
        check([r[0] for r in q.inbox("dave")] == ["Small"], "dave holds Small only")
        check([r[0] for r in q.inbox("alice")] == ["Fits"], "alice holds Fits only")
        # quota_tempfail: the same refusal as a temporary failure.
        q.stop()
        q.write_conf(q.lmtp_extra + "\nquota_tempfail = yes")
        q.start()
        c = q.client()
        c.ehlo("mx")
        rr, dr = transaction(c, "q@example.net", ["dave@example.org"], message("Refused"))
        code, text = rr["dave@example.org"]
        check(code == 452 and text.startswith("4.2.2"), "tempfail: %r" % ((code, text),))
        c.quit()
    finally:
        q.destroy(keep)


def t_bulk(s, n):
    """n messages over one connection (deliveries per second)."""
    c = s.client()
    c.ehlo("mx")
    before = len(s.inbox("dave"))
    t0 = time.time()
    for i in range(n):
        rr, dr = transaction(c, "b@example.net", ["dave@example.org"], message("Bulk %d" % i, "bulk\r\n" * 20))
        check(dr["dave@example.org"][0] == 250, "bulk %d: %r" % (i, dr))
    dt = time.time() - t0
    c.quit()
    check(len(s.inbox("dave")) == before + n, "all delivered")
    print("# %d deliveries in %.2f s: %.0f/s" % (n, dt, n / dt))


SCENARIOS = [
    ("single_recipient", t_single_recipient),
    ("account_name", t_account_name),
    ("mixed_recipients", t_mixed_recipients),
    ("send_message_several", t_send_message_several),
    ("raw_pipelining", t_raw_pipelining),
    ("size_limit", t_size_limit),
    ("eight_bit", t_eight_bit),
    ("dot_stuffing", t_dot_stuffing),
    ("disconnect_mid_data", t_disconnect_mid_data),
    ("tcp_identity", t_tcp_identity),
    ("limits", t_limits),
    ("hostile_clients", t_hostile_clients),
    ("max_connections", t_max_connections),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mapixd", required=True)
    ap.add_argument("--mapix", required=True)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--bulk", type=int, default=int(os.environ.get("MAPIX_LMTP_BULK", "0")))
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    for p in (a.mapixd, a.mapix):
        if not os.access(p, os.X_OK):
            print("[  SKIPPED ] %s is not built" % p)
            return SKIP
    s = Server(a.mapixd, a.mapix)
    passed, failed = 0, []
    try:
        s.setup_accounts()
        s.start()
        todo = SCENARIOS + [("quota", lambda _s: t_quota(a.mapixd, a.mapix, a.keep))]
        if a.bulk:
            todo.append(("bulk", lambda srv: t_bulk(srv, a.bulk)))
        todo = [t for t in todo if not a.only or t[0] in a.only]
        print("[==========] Running %d LMTP scenarios" % len(todo))
        for name, fn in todo:
            print("[ RUN      ] lmtp.%s" % name, flush=True)
            try:
                fn(s)
                passed += 1
                print("[       OK ] lmtp.%s" % name, flush=True)
            except Exception as e:  # noqa: BLE001 — every failure is reported per scenario
                failed.append(name)
                print("[  FAILED  ] lmtp.%s: %s" % (name, e), flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
        print("[ RUN      ] lmtp.server_exit", flush=True)
        try:
            s.stop()
            passed += 1
            print("[       OK ] lmtp.server_exit", flush=True)
        except Failure as e:
            failed.append("server_exit")
            print("[  FAILED  ] lmtp.server_exit: %s" % e, flush=True)
    except Failure as e:
        print("[  ERROR   ] setting up: %s" % e)
        return 1
    finally:
        try:
            s.destroy(a.keep or bool(failed))
        except Failure:
            pass
    print("[==========] %d scenarios ran" % (passed + len(failed)))
    print("[  PASSED  ] %d" % passed)
    for f in failed:
        print("[  FAILED  ] lmtp.%s" % f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
