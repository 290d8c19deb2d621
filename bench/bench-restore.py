#!/usr/bin/python3
"""Benchmark of issue 4: restore from the standby into an empty primary.

    /usr/bin/python3 -u bench/bench-restore.py [--messages 5000] [--reps 3]

On two private Dovecot instances (tests/integration/harness.py, read-only)
the standby account src@ holds N messages of 5 KB in INBOX. Side by side, in
rotated order, each run copies them into a fresh, empty primary account:

  a) doveadm standby restore -u <user>
  b) doveadm backup -R -u <user> imapc:   (Dovecot's own tool, imapc: source
     with the same TLS settings)
  c) mbsync (isync), IMAP far -> IMAP near, Sync Pull, Create Near

and then times the no-op rerun of (a) on the same data. Finally one 30 MB
message is restored into a fresh account and the peak RSS of the doveadm
process is taken from getrusage() of a wrapper process that runs only it.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402

SIZE = 5 * 1024


def make_msg(i, size=SIZE):
    head = ("From: shop@customer.example\r\nTo: src@standby.test\r\n"
            "Subject: order %d\r\nDate: Mon, 02 Jan 2023 10:00:00 +0100\r\n"
            "Message-ID: <bench.%d@standby.test>\r\n\r\n" % (i, i)).encode()
    line = b"0123456789abcdefghijklmnopqrstuvwxyz" * 2 + b"\r\n"
    body = line * ((size - len(head)) // len(line) + 1)
    return head + body[:size - len(head)]


def fill_maildir(s, user, n, size=SIZE):
    """Write n messages straight into the standby user's maildir (much
    faster than APPENDs), then let Dovecot index them."""
    cur = os.path.join(s.home(user), "Maildir", "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(s.home(user), "Maildir", d), exist_ok=True)
    for i in range(n):
        path = os.path.join(cur, "%d.M%dP1.bench,S=%d:2,S" %
                            (1700000000 + i, i, size))
        with open(path, "wb") as f:
            f.write(make_msg(i, size))
        os.utime(path, (1700000000 + i, 1700000000 + i))
    for root, dirs, files in os.walk(s.home(user)):
        for x in dirs + files:
            os.chown(os.path.join(root, x), harness.VMAIL_UID,
                     harness.VMAIL_GID)
    s.doveadm("mailbox", "status", "-u", user, "messages", "INBOX")


def timed(cmd):
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (cmd[:6], r.returncode,
                                                 r.stderr.decode()[-800:]))
    return secs


class Bench:
    def __init__(self, a):
        self.a = a
        self.run = harness.Run()
        self.env = self.run.env("restore")
        self.n = 0

    def setup(self):
        e = self.env
        self.s = e.make_standby()
        harness.Primary.debug_log = False
        self.p = e.make_primary(self.s, settings={"standby_host": None})
        self.spw = self.s.add_user("src@standby.test")
        self.s.add_user("big@standby.test")
        fill_maildir(self.s, "src@standby.test", self.a.messages)
        fill_maildir(self.s, "big@standby.test", 1, size=30 * 1024 * 1024)

    def user(self, tag, src="src@standby.test"):
        self.n += 1
        name = "%s%d@primary.test" % (tag, self.n)
        self.p.add_user(name, standby_host="127.0.0.1", standby_user=src,
                        standby_password=self.s.password(src))
        return name

    def count(self, user):
        return int(self.p.doveadm("mailbox", "status", "-u", user,
                                  "messages", "INBOX").stdout.split(b"=")[1])

    def ours(self):
        u = self.user("ours")
        secs = timed(["doveadm", "-c", self.p.conf_path, "standby",
                      "restore", "-u", u])
        assert self.count(u) == self.a.messages
        rerun = timed(["doveadm", "-c", self.p.conf_path, "standby",
                       "restore", "-u", u])
        assert self.count(u) == self.a.messages
        return secs, rerun

    def backup(self):
        u = self.user("backup")
        secs = timed(["doveadm", "-c", self.p.conf_path,
                      "-o", "imapc_host=localhost",
                      "-o", "imapc_port=%d" % self.s.ports["imaps"],
                      "-o", "imapc_ssl=imaps",
                      "-o", "imapc_user=src@standby.test",
                      "-o", "imapc_password=%s" % self.spw,
                      "-o", "ssl_client_ca_file=%s" % self.env.tls.ca,
                      "-o", "imapc_features=rfc822.size fetch-headers",
                      "-o", "mail_prefetch_count=100",
                      "backup", "-R", "-u", u,
                      "imapc:~/imapc-index"])
        assert self.count(u) == self.a.messages
        return secs

    def mbsync(self):
        u = self.user("mbsync")
        d = os.path.join(self.run.root, "mbsync-" + u)
        os.makedirs(d)
        rc = os.path.join(d, "mbsyncrc")
        with open(rc, "w") as f:
            f.write("""IMAPAccount far
Host localhost
Port {sport}
User src@standby.test
Pass {spw}
SSLType IMAPS
CertificateFile {ca}
PipelineDepth 50

IMAPStore far
Account far

IMAPAccount near
Host localhost
Port {pport}
User {user}
Pass {ppw}
SSLType IMAPS
CertificateFile {ca}
PipelineDepth 50

IMAPStore near
Account near

Channel c
Far :far:
Near :near:
Patterns INBOX
Sync Pull
Create Near
SyncState {d}/
""".format(sport=self.s.ports["imaps"], spw=self.spw, ca=self.env.tls.ca,
           pport=self.p.ports["imaps"], user=u,
           ppw=self.p.password(u), d=d))
        secs = timed(["mbsync", "-q", "-c", rc, "-a"])
        assert self.count(u) == self.a.messages
        return secs

    def rss(self):
        u = self.user("big", src="big@standby.test")
        wrapper = ("import resource, subprocess, sys;"
                   "r = subprocess.run(sys.argv[1:]);"
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN)"
                   ".ru_maxrss); sys.exit(r.returncode)")
        out = subprocess.run([sys.executable, "-c", wrapper, "doveadm",
                              "-c", self.p.conf_path, "standby", "restore",
                              "-u", u], stdout=subprocess.PIPE, check=True)
        assert self.count(u) == 1
        return int(out.stdout.split()[-1]) / 1024.0

    def main(self):
        try:
            t0 = time.monotonic()
            self.setup()
            print("# %d x %d bytes on the standby (setup %.1fs), temp dir %s"
                  % (self.a.messages, SIZE, time.monotonic() - t0,
                     self.run.root), flush=True)
            res = {"ours": [], "rerun": [], "backup": [], "mbsync": []}
            order = ["ours", "backup", "mbsync"]
            for rep in range(self.a.reps):
                for v in order[rep % 3:] + order[:rep % 3]:
                    os.sync()
                    time.sleep(0.5)
                    if v == "ours":
                        secs, rerun = self.ours()
                        res["ours"].append(secs)
                        res["rerun"].append(rerun)
                    elif v == "backup":
                        res["backup"].append(self.backup())
                    elif v == "mbsync" and shutil.which("mbsync"):
                        res["mbsync"].append(self.mbsync())
                    print("# rep %d %s done" % (rep + 1, v), flush=True)
            rss = max(self.rss() for _ in range(2))
            n = self.a.messages
            print("\nrestore of %d x 5 KB into an empty account "
                  "(median of %d, min..max):" % (n, self.a.reps))
            for k, label in (("ours", "doveadm standby restore"),
                             ("backup", "doveadm backup -R imapc:"),
                             ("mbsync", "mbsync (isync)"),
                             ("rerun", "standby restore, no-op rerun")):
                xs = res[k]
                if not xs:
                    print("  %-30s not run" % label)
                    continue
                m = statistics.median(xs)
                print("  %-30s %6.2f s  %7.0f msg/s  (%.2f..%.2f s)"
                      % (label, m, n / m, min(xs), max(xs)))
            m = statistics.median(res["ours"])
            print("  ratio ours / backup -R: %.2fx throughput"
                  % (statistics.median(res["backup"]) / m))
            print("  no-op rerun: %.0f%% of the first run"
                  % (100 * statistics.median(res["rerun"]) / m))
            print("peak RSS of doveadm standby restore, one 30 MB message: "
                  "%.1f MB" % rss)
        finally:
            self.env.cleanup()
            self.run.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=3)
    Bench(ap.parse_args()).main()


if __name__ == "__main__":
    main()
