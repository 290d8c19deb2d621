"""Bad input in mail (issue 6, section 5): messages with NUL bytes, very
long lines, missing headers, broken MIME, 8-bit and RFC 2047 headers and
50 MB, delivered over LMTP and APPENDed to Sent. Each either mirrors
byte-identically or is refused with a clear error; nothing crashes."""

import imaplib
import re
import time

from harness import (make_msg, imap_quote, assert_clean_logs, wait_until)

ALICE = "alice@primary.test"

# Mirrors every delivered message to the standby's INBOX and every sent
# one to its Sent folder.
MIRROR_ALL = 'require "vnd.standby.mirror";\nmirror;\n'

CRASH_RX = r"\b(Panic|Fatal):|killed with signal|core dumped|Raw backtrace"

H = ("From: Sender <sender@example.org>\r\nTo: alice@primary.test\r\n"
     "Date: Mon, 02 Jan 2023 10:00:00 +0100\r\n")


def bad_messages():
    """{name: raw bytes}; every message is distinct (a marker per name)."""
    m = {}
    # NUL bytes in a header and in the body
    m["nul"] = (b"X-Case: nul\r\nSubject: a\x00b\r\n" + H.encode() +
                b"\r\nbody \x00 with \x00\x00 NULs\r\n\x00\r\n")
    # a 12,000 character body line and a 10,500 character header line
    m["long-body-line"] = make_msg(
        subject="long body line", body="x" * 12000 + "\r\nend\r\n")
    m["long-header-line"] = make_msg(
        subject="long header " + "y" * 10500)
    # missing headers
    m["no-message-id"] = (b"X-Case: no-message-id\r\nSubject: no id\r\n" +
                          H.encode() + b"\r\nbody\r\n")
    m["no-date"] = (b"X-Case: no-date\r\nFrom: a@example.org\r\n"
                    b"Subject: no date\r\nMessage-ID: <nodate@dsb.test>\r\n"
                    b"\r\nbody\r\n")
    m["no-from"] = (b"X-Case: no-from\r\nTo: alice@primary.test\r\n"
                    b"Subject: no from\r\nMessage-ID: <nofrom@dsb.test>\r\n"
                    b"\r\nbody\r\n")
    m["headers-only"] = (b"X-Case: headers-only\r\nSubject: headers only\r\n"
                         + H.encode())
    m["body-only"] = b"\r\nX-Case: body-only (no header at all)\r\n"
    m["no-headers-text"] = b"just text, no colon, case no-headers-text\r\n"
    # broken MIME
    m["unterminated-boundary"] = (
        b"X-Case: unterminated-boundary\r\n" + H.encode() +
        b"Subject: unterminated\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        b"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n"
        b"\r\n--b2\r\nContent-Type: text/plain\r\n\r\npart\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nno closing delimiters\r\n")
    m["missing-boundary"] = (
        b"X-Case: missing-boundary\r\n" + H.encode() +
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"--\r\nno boundary parameter\r\n--\r\n")
    m["wrong-cte"] = (
        b"X-Case: wrong-cte\r\n" + H.encode() +
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
        b"\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!! not base64 at all ====\r\n"
        b"--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"bad escapes =ZZ =\xff =\r\n"
        b"--b\r\nContent-Transfer-Encoding: x-unknown-encoding\r\n\r\n??\r\n"
        b"--b\r\nContent-Transfer-Encoding: 7bit\r\n\r\n8bit \xe4\xf6\xfc\r\n"
        b"--b--\r\n")
    # 8-bit and RFC 2047 headers, valid and broken
    m["8bit-headers"] = make_msg(
        sender="J\u00fcrgen M\u00fcller <jm@customer.example>",
        subject="Bestellung f\u00fcr Gr\u00f6\u00dfe XL \u2013 5 \u20ac",
        headers=["X-Latin1: caf\u00e9"]).replace(
            "caf\u00e9".encode(), b"caf\xe9")
    m["rfc2047-headers"] = make_msg(
        sender="=?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@customer.example>",
        subject="=?iso-8859-1?Q?Bestellung_f=FCr?= =?utf-8?B?invalid!?= "
                "=?x-unknown?Q?abc?= =?utf-8?Q?unterminated",
        headers=["X-Empty-Word: =??Q??=", "X-Long-Word: =?utf-8?B?" +
                 "QUJD" * 200 + "?="])
    return m


def append_sent(c, raw):
    """APPEND to Sent; returns (typ, text)."""
    typ, data = c.append(imap_quote("Sent"), "(\\Seen)",
                         imaplib.Time2Internaldate(time.time()), raw)
    return typ, b" ".join(d for d in data if isinstance(d, bytes)).decode(
        errors="replace")


def assert_mirrored_identically(p, s, folder, what):
    """Every message in the primary's folder has exactly one byte-identical
    copy with the same INTERNALDATE in the standby's folder of the same
    name, and the standby has nothing else."""
    prim = p.fetch_all(ALICE, folder)
    copies = s.fetch_all(ALICE, folder)
    left = list(copies)
    for m in prim:
        same = [c for c in left if c.raw == m.raw]
        assert len(same) == 1, "%s: %d copies of the primary's message " \
            "%r (%d bytes) on the standby" % (what, len(same), m.raw[:60],
                                               len(m.raw))
        assert same[0].internaldate == m.internaldate, (
            what, m.raw[:60], same[0].internaldate, m.internaldate)
        left.remove(same[0])
    assert not left, "%s: the standby has %d messages the primary lacks: " \
        "%r" % (what, len(left), [c.raw[:60] for c in left])
    return prim


def assert_no_crash(env):
    for inst in env.instances:
        bad = inst.log_lines(CRASH_RX, 0)
        assert not bad, "%s: %s" % (inst.name, " | ".join(bad[:5]))


def test_bad_mail_lmtp_and_sent(env):
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    p.enable_sent_mirror(default_rules='require "vnd.standby.mirror";\n')
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_rules(ALICE, MIRROR_ALL)
    msgs = bad_messages()
    line = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            b"0123456789ab\r\n")          # 76 bytes
    big = make_msg(subject="50 MB", body=line * (50 * 1024 * 1024 // 76 + 1))
    assert len(big) > 50 * 1024 * 1024

    # LMTP: every message is accepted and stored
    with p.lmtp() as lmtp:
        for name, raw in list(msgs.items()) + [("50mb", big)]:
            res = lmtp.deliver(ALICE, raw)
            assert res[ALICE][0] == 250, (name, res)
    # APPEND to Sent: stored, or refused with a clear tagged NO
    refused = {}
    c = p.imap(ALICE)
    try:
        for name, raw in list(msgs.items()) + [("50mb", big)]:
            typ, text = append_sent(c, raw)
            if typ != "OK":
                refused[name] = text
    finally:
        c.logout()
    n = len(msgs) + 1
    assert p.count(ALICE, "INBOX") == n
    assert p.count(ALICE, "Sent") == n - len(refused), refused
    for name, text in refused.items():
        assert re.search(r"NUL|invalid|8bit|binary", text, re.I), \
            "APPEND of %s refused without a clear reason: %r" % (name, text)

    def drained():
        return (not p.queue_entries(ALICE) and
                s.count(ALICE, "INBOX") >= n and
                s.count(ALICE, "Sent") >= n - len(refused))
    wait_until(drained, timeout=180, interval=0.5,
               what="the standby to hold every message (has INBOX %d, "
               "Sent %d)" % (s.count(ALICE, "INBOX"), s.count(ALICE, "Sent")))
    assert p.dead_entries(ALICE) == [], p.dead_entries(ALICE)
    inbox = assert_mirrored_identically(p, s, "INBOX", "LMTP")
    sent = assert_mirrored_identically(p, s, "Sent", "APPEND to Sent")
    assert max(len(m.raw) for m in inbox) > 50 * 1024 * 1024
    assert len(sent) == n - len(refused)
    assert_no_crash(env)
    assert_clean_logs(env)
