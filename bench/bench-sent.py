#!/usr/bin/python3
"""Benchmark of issue 3, section 7: sent-mail mirroring (see bench/README.md).

One run, two private Dovecot instances on loopback (tests/integration/
harness.py, imported read-only), the primary with the sent-mail block of
conf.d/90-standby.conf (imapsieve on every mailbox -> the installed
standby-wiring.sieve -> the user's "standby" rules):

  a  mirror    IMAP APPEND of N x SIZE messages into Sent over one imaps
               connection, one APPEND per message (with \\Seen and an
               INTERNALDATE); the user's "standby" script mirrors every one
  b  nomatch   the same, with a rule that never matches (same scripts
               compiled and run, nothing queued)

Variants alternate (a b, b a, ...), REPS times each, each into a fresh user,
with the mirror queue drained, os.sync() and a short pause between runs.
Prints the runs and the medians; writes nothing but the temp dir (removed).
Must run as root.
"""

import argparse
import imaplib
import os
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import wait_until  # noqa: E402

MIRROR_RULES = 'require ["vnd.standby.mirror"];\nmirror;\n'
NOMATCH_RULES = ('require ["vnd.standby.mirror"];\n'
                 'if header :contains "subject" "no such subject" {\n'
                 '  mirror;\n}\n')

VARIANTS = {"a": "mirror", "b": "nomatch"}


class BenchPrimary(harness.Primary):
    """The harness' primary, without its standby debug logging (a
    production server would not debug-log every save)."""

    debug_log = False

    def config_text(self):
        t = super().config_text()
        if not self.debug_log:
            t = t.replace("log_debug = category=standby\n", "")
        return t


def make_sized(size, i, subject="bench"):
    """A message of exactly `size` bytes (CRLF), unique Message-ID."""
    msg = harness.make_msg(subject="%s %d" % (subject, i), body="",
                           sender="alice@primary.test",
                           to="customer@customer.example")
    line = (b"The quick brown fox jumps over the lazy dog 0123456789 "
            b"abcdefghijklmnopqrstu\r\n")            # 78 bytes
    need = size - len(msg)
    body = line * (need // len(line))
    rest = need - len(body)
    if rest >= 2:
        body += b"x" * (rest - 2) + b"\r\n"
    elif rest == 1:
        body += b"\n"
    out = msg + body
    assert len(out) == size, (len(out), size)
    return out


class Bench:
    def __init__(self, args):
        self.a = args
        self.run = harness.Run()
        self.env = self.run.env("bench-sent")
        self.rates = {v: [] for v in VARIANTS}
        self.p50 = {v: [] for v in VARIANTS}
        self.drain = []
        self.notes = []

    def log(self, s):
        print("# " + s, flush=True)

    def setup(self):
        e = self.env
        self.s = e.make_standby()
        BenchPrimary.debug_log = self.a.debug_log
        for attempt in range(3):
            self.p = BenchPrimary(e, standby=self.s,
                                  name="p" if attempt == 0 else
                                  "p%d" % attempt)
            e.instances.append(self.p)
            self.p.enable_sent_mirror()
            try:
                self.p.start()
                break
            except harness.HarnessError as ex:
                if attempt == 2 or "duplicate listener" not in str(ex):
                    raise
                self.log("retrying primary start: %s" % str(ex)[:120])
        self.log("temp dir %s; primary imaps :%d, standby imaps :%d" % (
            self.run.root, self.p.ports["imaps"], self.s.ports["imaps"]))

    def user(self, variant, tag):
        name = "%s%s@primary.test" % (VARIANTS[variant], tag)
        sname = "%s%s@standby.test" % (VARIANTS[variant], tag)
        self.p.add_mirrored_user(name, standby_user=sname)
        self.p.set_rules(name, MIRROR_RULES if variant == "a"
                         else NOMATCH_RULES)
        return name, sname

    def append_all(self, user, msgs, lat):
        """APPEND each message on one connection, waiting for each tagged
        reply. The literal goes as LITERAL+ ({n+}) with TCP_NODELAY:
        imaplib's synchronising literal costs a round trip that collides
        with delayed ACKs (~40 ms per APPEND), which would measure the
        client, not the server."""
        c = self.p.imap(user)
        try:
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            date = imaplib.Time2Internaldate(time.time() - 3600).encode()
            t0 = t = time.monotonic()
            for i, m in enumerate(msgs):
                tag = b"B%d" % i
                c.send(b"%s APPEND Sent (\\Seen) %s {%d+}\r\n" % (
                    tag, date, len(m)) + m + b"\r\n")
                while True:
                    line = c.readline()
                    if not line:
                        raise AssertionError("APPEND: connection closed")
                    if line.startswith(tag + b" "):
                        break
                if not line.startswith(tag + b" OK"):
                    raise AssertionError("APPEND failed: %r" % line)
                now = time.monotonic()
                lat.append(now - t)
                t = now
            t1 = time.monotonic()
        finally:
            c.logout()
        return t0, t1

    def one_run(self, variant, rep, msgs):
        user, suser = self.user(variant, str(rep))
        os.sync()
        time.sleep(self.a.pause)
        lat = []
        t0, t1 = self.append_all(user, msgs, lat)
        n = len(msgs)
        rate = n / (t1 - t0)
        lat.sort()
        self.rates[variant].append(rate)
        self.p50[variant].append(lat[len(lat) // 2])
        extra = ""
        if variant == "a":
            try:
                wait_until(lambda: not self.p.queue_entries(user),
                           timeout=120, interval=0.01,
                           what="queue of %s empty" % user)
                self.drain.append(time.monotonic() - t1)
                extra = "; queue empty %.2fs after the last APPEND" % (
                    time.monotonic() - t1)
            except AssertionError as ex:
                self.notes.append(str(ex))
            got = self.s.count(suser, "Sent")
            if got != n:
                self.notes.append("run a%d: %d/%d copies on the standby"
                                  % (rep, got, n))
        else:
            time.sleep(0.2)
            if self.p.queue_entries(user) or self.s.count(suser, "Sent"):
                self.notes.append("nomatch run %d: something was mirrored"
                                  % rep)
        self.log("%-8s rep %d: %d APPENDs in %.2fs = %.1f msg/s, median "
                 "APPEND %.2f ms%s" % (VARIANTS[variant], rep, n, t1 - t0,
                                       rate, lat[len(lat) // 2] * 1000,
                                       extra))

    def main(self):
        try:
            self.setup()
            t = time.monotonic()
            # warm-up: compile the wiring script, open the worker's paths
            for v in "ab":
                user, _ = self.user(v, "w")
                self.append_all(user, [make_sized(self.a.size, i, "w")
                                       for i in range(20)], [])
            wait_until(lambda: not self.p.queue_entries(
                "mirrorw@primary.test"), timeout=30)
            order = ["a", "b"]
            for rep in range(1, self.a.reps + 1):
                for v in order:
                    msgs = [make_sized(self.a.size, i, "r%d%s" % (rep, v))
                            for i in range(self.a.messages)]
                    self.one_run(v, rep, msgs)
                order.reverse()
            self.log("bench took %.0fs" % (time.monotonic() - t))
            self.report()
        finally:
            if self.a.keep:
                print("# --keep: files kept in %s" % self.run.root)
            self.env.cleanup()
            if not self.a.keep:
                self.run.cleanup()

    def report(self):
        med = {v: statistics.median(self.rates[v]) for v in VARIANTS}
        p50 = {v: statistics.median(self.p50[v]) for v in VARIANTS}
        print()
        print("IMAP APPEND into Sent, %d x %d bytes, %d reps each, "
              "one connection" % (self.a.messages, self.a.size, self.a.reps))
        print("%-10s %12s %18s %16s" % ("variant", "median msg/s",
                                        "min..max msg/s", "median APPEND"))
        for v in VARIANTS:
            print("%-10s %12.1f %8.1f..%-9.1f %13.2f ms" % (
                VARIANTS[v], med[v], min(self.rates[v]), max(self.rates[v]),
                p50[v] * 1000))
        print("ratio mirror/nomatch: %.2f (throughput), %.2f (1/median "
              "APPEND); target >= 0.9" % (med["a"] / med["b"],
                                          p50["b"] / p50["a"]))
        if self.drain:
            print("queue empty after the last APPEND: median %.2fs" %
                  statistics.median(self.drain))
        for n in self.notes:
            print("NOTE: " + n)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", "-n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=5 * 1024,
                    help="bytes per message (default 5120)")
    ap.add_argument("--reps", "-r", type=int, default=3)
    ap.add_argument("--pause", type=float, default=1.0,
                    help="seconds of rest after os.sync() before each run")
    ap.add_argument("--debug-log", action="store_true",
                    help="keep the harness' log_debug=category=standby")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    return ap.parse_args(argv)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench-sent.py must run as root")
    missing = harness.standby_installed()
    if missing:
        sys.exit("dovecot-standby is not installed (missing %s): run "
                 "`make && make install`" % ", ".join(missing))
    Bench(parse_args()).main()
