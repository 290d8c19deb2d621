#!/usr/bin/python3
"""Benchmark of issue 2, section 8 (see bench/README.md).

One run, two private Dovecot instances on loopback (tests/integration/
harness.py, imported read-only):

  a  mirror    LMTP delivery of N x SIZE messages to one user, one LMTP
               connection, one transaction per message; the user's script
               is `require "vnd.standby.mirror"; mirror;`
  b  plain     the same with the mirror line removed (a test that does
               nothing), same server, same plugins loaded
  c  redirect  `redirect :copy "<user>@standby.test";` through an SMTP hop
               (bench/smtp-relay.py) that forwards by LMTP into the standby
  d  latency   for every `mirror` run: last delivery's 250 reply -> the
               last copy is in the standby user's maildir
  e  memory    peak RSS (VmHWM) of the standby-worker's drain children
               while mirroring one BIG message, plus the lmtp process'
               peak during that delivery (and for a plain user, to compare)

Variants are run in rotated order, REPS times each, each into a fresh user
(fresh maildir), with the queue drained, os.sync() and a short pause
between runs.  Prints a table; writes nothing but the temp dir (removed).
Must run as root.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import wait_until, free_port, port_open  # noqa: E402

MIRROR_SCRIPT = 'require ["vnd.standby.mirror"];\nmirror;\n'
PLAIN_SCRIPT = 'require ["vnd.standby.mirror"];\nif false { keep; }\n'
REDIRECT_SCRIPT = 'require ["copy"];\nredirect :copy "%s";\n'

VARIANTS = {"a": "mirror", "b": "plain", "c": "redirect"}


# ------------------------------------------------------------ servers

class BenchStandby(harness.Standby):
    """The harness' standby plus an LMTP listener (for the redirect hop)."""

    protocols = "imap pop3 lmtp"

    def __init__(self, env, name="s"):
        super().__init__(env, name)
        self.ports["lmtp"] = free_port()

    def config_text(self):
        return super().config_text() + """
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
""".format(lmtp=self.ports["lmtp"])


class BenchPrimary(harness.Primary):
    """The harness' primary; without the harness' standby debug logging
    unless asked (a production server would not debug-log every
    delivery)."""

    debug_log = False

    def config_text(self):
        t = super().config_text()
        if not self.debug_log:
            t = t.replace("log_debug = category=standby\n", "")
        return t


def maildir_count(home):
    n = 0
    for sub in ("new", "cur"):
        try:
            n += sum(1 for _ in os.scandir(os.path.join(home, "Maildir", sub)))
        except FileNotFoundError:
            pass
    return n


# ------------------------------------------------------------ /proc

def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "PPid", "Name"):
                    out[k] = v.strip()
    except OSError:
        return None
    return out


def kb(v):
    return int(v.split()[0]) if v else 0


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """(comm, own cpu s, cpu s of waited-for children)"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    f = s[s.rindex(")") + 2:].split()
    return (comm, (int(f[11]) + int(f[12])) / CLK_TCK,
            (int(f[13]) + int(f[14])) / CLK_TCK)


def tree_cpu(master_pid):
    """CPU seconds used so far by a Dovecot instance, by process kind:
    {kind: s}. A live process counts its own time plus that of its
    exited, waited-for children (the worker's drain children, the
    master's old lmtp processes); live children are counted separately,
    so nothing is counted twice."""
    out = {}

    def kind_of(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            return "?"
        return cmd.rsplit("/", 1)[-1].split()[0] if cmd else "?"

    def walk(pid, kind):
        st = proc_cpu(pid)
        if st is None:
            return
        _, own, waited = st
        out[kind] = out.get(kind, 0) + own + waited
        for c in children(pid):
            walk(c, kind if kind != "master" else kind_of(c))

    walk(master_pid, "master")
    return out


def cpu_delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0)
            for k in set(before) | set(after)}


def reset_hwm(pid):
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Sampler(threading.Thread):
    """Polls VmHWM/VmRSS of the worker and of all its children (the drain
    children it forks) every `interval` seconds."""

    def __init__(self, worker_pid, interval=0.002):
        super().__init__(daemon=True)
        self.worker_pid = worker_pid
        self.interval = interval
        self.stop_ev = threading.Event()
        self.peak = {}      # pid -> max VmHWM kB
        self.samples = {}   # pid -> number of samples
        self.worker_hwm = 0

    def run(self):
        while not self.stop_ev.is_set():
            st = proc_status(self.worker_pid)
            if st:
                self.worker_hwm = max(self.worker_hwm, kb(st.get("VmHWM")))
            for c in children(self.worker_pid):
                st = proc_status(c)
                if st and st.get("VmHWM"):
                    self.peak[c] = max(self.peak.get(c, 0), kb(st["VmHWM"]))
                    self.samples[c] = self.samples.get(c, 0) + 1
            time.sleep(self.interval)

    def stop(self):
        self.stop_ev.set()
        self.join()


def foreign_activity(own_root):
    """Other dovecot-standby test instances / test runs on this machine
    (they share the disk and the CPUs and make the figures noisy)."""
    own = os.path.basename(own_root)[len("dsb-test-"):]
    found = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        m = re.search(r"dovecot-dsb-\w+-([\w]+)-t\d+/", cmd) or \
            re.search(r"dsb-test-([\w]+)/", cmd)
        if m and m.group(1) != own:
            found.add(m.group(1))
        elif "tests/integration/run.py" in cmd:
            found.add("run.py")
    return sorted(found)


# ------------------------------------------------------------ messages

def make_sized(size, i, subject="bench"):
    """A message of exactly `size` bytes (CRLF), unique Message-ID."""
    msg = harness.make_msg(subject="%s %d" % (subject, i), body="")
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


# ------------------------------------------------------------ bench

class Bench:
    def __init__(self, args):
        self.a = args
        self.run = harness.Run()
        self.env = self.run.env("bench")
        self.relay = None
        self.results = {v: [] for v in VARIANTS}
        self.p50 = {v: [] for v in VARIANTS}
        self.cpu = {v: [] for v in VARIANTS}
        self.logins = []
        self.latency = []
        self.drain_done = []
        self.notes = []
        self.foreign_runs = 0

    def log(self, s):
        print("# " + s, flush=True)

    # -- setup

    def setup(self):
        e = self.env
        self.s = BenchStandby(e)
        e.instances.append(self.s)
        self.s.start()
        relay_port = free_port()
        self.relay = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "smtp-relay.py"),
             "--listen", str(relay_port), "--lmtp", str(self.s.ports["lmtp"])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_until(lambda: port_open(relay_port), timeout=10,
                   what="smtp relay")
        BenchPrimary.debug_log = self.a.debug_log
        for attempt in range(3):
            # harness.free_port() may hand out the same port twice
            # ("duplicate listener"): retry with new ports
            self.p = BenchPrimary(e, standby=self.s,
                                  name="p" if attempt == 0 else
                                  "p%d" % attempt)
            self.p.extra_conf = ("submission_host = 127.0.0.1:%d\n"
                                 % relay_port)
            e.instances.append(self.p)
            try:
                self.p.start()
                break
            except harness.HarnessError as ex:
                if attempt == 2 or "duplicate listener" not in str(ex):
                    raise
                self.log("retrying primary start: %s" % str(ex)[:120])
        wait_until(lambda: self.p.worker_pids(), timeout=10,
                   what="standby-worker")
        self.worker_pid = self.p.worker_pids()[0]
        self.log("temp dir %s; primary lmtp :%d, standby imaps :%d lmtp :%d,"
                 " relay :%d" % (self.run.root, self.p.ports["lmtp"],
                                 self.s.ports["imaps"], self.s.ports["lmtp"],
                                 relay_port))

    def user(self, variant, tag):
        """A fresh primary user with its own standby account
        <name>@standby.test; returns (primary name, standby name)."""
        name = "%s%s@primary.test" % (VARIANTS[variant], tag)
        sname = "%s%s@standby.test" % (VARIANTS[variant], tag)
        self.p.add_mirrored_user(name, standby_user=sname)
        script = {"a": MIRROR_SCRIPT, "b": PLAIN_SCRIPT,
                  "c": REDIRECT_SCRIPT % sname}[variant]
        self.p.set_script(name, script)
        return name, sname

    # -- one throughput run

    def quiesce(self):
        os.sync()
        time.sleep(self.a.pause)

    def deliver_all(self, user, msgs, lat=None):
        """Deliver msgs over one LMTP connection; returns (t0, t1) around
        the transactions; per-transaction times are appended to lat."""
        with self.p.lmtp() as s:
            t0 = t = time.monotonic()
            for m in msgs:
                r = s.deliver([user], m)
                code, text = r[user]
                if code != 250:
                    raise AssertionError("delivery to %s: %d %s"
                                         % (user, code, text))
                if lat is not None:
                    now = time.monotonic()
                    lat.append(now - t)
                    t = now
            t1 = time.monotonic()
        return t0, t1

    def throughput_run(self, variant, rep, msgs):
        user, suser = self.user(variant, "%d" % rep)
        self.quiesce()
        foreign = foreign_activity(self.run.root)
        cpu0 = (tree_cpu(self.p.master_pid), tree_cpu(self.s.master_pid),
                proc_cpu(self.relay.pid), os.times())
        lat = []
        t0, t1 = self.deliver_all(user, msgs, lat)
        foreign = sorted(set(foreign) | set(foreign_activity(self.run.root)))
        if foreign:
            self.foreign_runs += 1
        n = len(msgs)
        rate = n / (t1 - t0)
        self.results[variant].append(rate)
        lat.sort()
        self.p50[variant].append(lat[len(lat) // 2])
        extra = ""
        shome = self.s.home(suser)
        if variant == "a":
            # (d) last 250 -> last copy on the standby (maildir count)
            deadline = t1 + self.a.latency_timeout
            while maildir_count(shome) < n and time.monotonic() < deadline:
                time.sleep(0.005)
            t2 = time.monotonic()
            got = maildir_count(shome)
            if got < n:
                self.notes.append("run %s%d: only %d/%d copies on the "
                                  "standby after %.0fs" % (
                                      variant, rep, got, n,
                                      self.a.latency_timeout))
                self.latency.append(float("inf"))
            else:
                self.latency.append(t2 - t1)
            try:
                wait_until(lambda: not self.p.queue_entries(user),
                           timeout=30, what="queue of %s empty" % user)
            except AssertionError as ex:
                self.notes.append(str(ex))
            self.drain_done.append(time.monotonic() - t1)
            extra = "; last copy on standby %.3fs after last 250" % (t2 - t1)
        elif variant == "c":
            got = maildir_count(shome)
            extra = "; %d copies on the standby at the last 250" % got
            if got != n:
                self.notes.append("redirect run %d: %d/%d copies on the "
                                  "standby at the last 250" % (rep, got, n))
        else:
            time.sleep(0.2)
            if maildir_count(shome) or self.p.queue_entries(user):
                self.notes.append("plain run %d: something was mirrored"
                                  % rep)
        # CPU used by each side during the run (incl. the drain after it)
        pc = cpu_delta(cpu0[0], tree_cpu(self.p.master_pid))
        sc = cpu_delta(cpu0[1], tree_cpu(self.s.master_pid))
        rc = proc_cpu(self.relay.pid)
        me = os.times()
        cpu = {"p:lmtp": pc.get("lmtp", 0),
               "p:worker": pc.get("standby-worker", 0),
               "p:other": sum(v for k, v in pc.items()
                              if k not in ("lmtp", "standby-worker")),
               "standby": sum(sc.values()),
               "relay": rc[1] - cpu0[2][1] if rc and cpu0[2] else 0,
               "client": (me.user + me.system) - (cpu0[3].user +
                                                  cpu0[3].system)}
        self.cpu[variant].append({k: v * 1000.0 / n for k, v in cpu.items()})
        if variant == "a":
            # one standby login per drain child (connection)
            self.logins.append(len(self.s.log_lines(
                r"Login: user=<%s>" % re.escape(suser))))
        prim = maildir_count(self.p.home(user))
        if prim != n:
            self.notes.append("run %s%d: primary INBOX has %d of %d" % (
                variant, rep, prim, n))
        if foreign:
            extra += "; OTHER TEST RUNS ACTIVE: %s" % " ".join(foreign)
        self.log("%-8s rep %d: %d msgs in %.2fs = %.1f msg/s, median "
                 "transaction %.2f ms%s" % (
                     VARIANTS[variant], rep, n, t1 - t0, rate,
                     lat[len(lat) // 2] * 1000, extra))

    def warmup(self):
        msgs = [make_sized(self.a.size, i, "warmup") for i in range(20)]
        for v in self.a.variants:
            user, _ = self.user(v, "w")
            self.deliver_all(user, msgs)
        for v in self.a.variants:
            if v == "a":
                wait_until(lambda: not self.p.queue_entries(
                    "mirrorw@primary.test"), timeout=30)

    def throughput(self):
        order = list(self.a.variants)
        for rep in range(1, self.a.reps + 1):
            msgs = [[make_sized(self.a.size, i, "r%d%s" % (rep, v))
                     for i in range(self.a.messages)] for v in order]
            for v, ms in zip(order, msgs):
                self.throughput_run(v, rep, ms)
            order = order[1:] + order[:1]      # rotate

    # -- (e) memory

    def lmtp_pids(self):
        return self.p.child_pids("/lmtp$")

    def memory_run(self, rep, mirror=True):
        variant = "a" if mirror else "b"
        user, suser = self.user(variant, "big%d" % rep)
        msg = make_sized(self.a.big_mb * 1024 * 1024, rep, "big")
        self.quiesce()
        with self.p.lmtp() as s:
            pids = self.lmtp_pids()
            before = {}
            for pid in pids:
                reset_hwm(pid)
                before[pid] = kb((proc_status(pid) or {}).get("VmHWM"))
            sampler = Sampler(self.worker_pid) if mirror else None
            if sampler:
                sampler.start()
            t0 = time.monotonic()
            r = s.deliver([user], msg)
            t1 = time.monotonic()
            after = {pid: kb((proc_status(pid) or {}).get("VmHWM"))
                     for pid in pids}
        if r[user][0] != 250:
            raise AssertionError("big delivery: %r" % (r,))
        lmtp_peak = max(after.values()) if after else 0
        res = {"deliver_s": t1 - t0, "lmtp_kb": lmtp_peak,
               "lmtp_pids": len(pids)}
        if mirror:
            shome = self.s.home(suser)
            wait_until(lambda: maildir_count(shome) >= 1, timeout=60,
                       interval=0.005, what="big copy on the standby")
            res["standby_s"] = time.monotonic() - t1
            wait_until(lambda: not self.p.queue_entries(user), timeout=30)
            time.sleep(0.3)         # let the drain child exit
            sampler.stop()
            res["drain_kb"] = max(sampler.peak.values()) \
                if sampler.peak else 0
            res["drain_children"] = len(sampler.peak)
            res["samples"] = max(sampler.samples.values()) \
                if sampler.samples else 0
            res["worker_kb"] = sampler.worker_hwm
            # compare bytes
            got = [m for m in os.scandir(os.path.join(shome, "Maildir",
                                                      "new"))] + \
                  [m for m in os.scandir(os.path.join(shome, "Maildir",
                                                      "cur"))]
            # the copy must be the primary's stored message (LF line
            # endings in maildir, plus LMTP's Return-Path/Delivered-To/
            # Received headers)
            pfiles = [f.path for sub in ("new", "cur") for f in os.scandir(
                os.path.join(self.p.home(user), "Maildir", sub))]
            sfiles = [f.path for sub in ("new", "cur") for f in os.scandir(
                os.path.join(shome, "Maildir", sub))]
            same = len(pfiles) == len(sfiles) == 1
            if same:
                with open(pfiles[0], "rb") as f1, open(sfiles[0], "rb") as f2:
                    same = f1.read() == f2.read()
            res["identical"] = same
            if not same:
                self.notes.append("big copy %d differs from the primary's "
                                  "message (%d/%d files)" % (
                                      rep, len(pfiles), len(sfiles)))
        self.log("big %s rep %d: delivered in %.2fs, lmtp peak %.1f MB%s" % (
            "mirror" if mirror else "plain", rep, res["deliver_s"],
            lmtp_peak / 1024.0,
            ", on standby after %.2fs, drain child peak %.1f MB "
            "(%d children, %d samples), worker %.1f MB" % (
                res["standby_s"], res["drain_kb"] / 1024.0,
                res["drain_children"], res["samples"],
                res["worker_kb"] / 1024.0) if mirror else ""))
        return res

    # -- report

    def report(self, mem_m, mem_p):
        def stats(xs):
            xs = [x for x in xs if x != float("inf")]
            if not xs:
                return (float("nan"),) * 3
            return statistics.median(xs), min(xs), max(xs)

        def spread(xs):
            med, lo, hi = stats(xs)
            return "%.0f%% (%.1f..%.1f)" % (100.0 * (hi - lo) / med, lo, hi)

        print()
        print("dovecot-standby delivery benchmark: %d x %d B over one LMTP "
              "connection, %d reps, %s" % (
                  self.a.messages, self.a.size, self.a.reps,
                  time.strftime("%Y-%m-%d %H:%M")))
        print()
        print("%-34s %10s  %-26s %s" % ("variant", "median", "spread (min..max)",
                                      "runs"))
        med = {}
        for v in self.a.variants:
            xs = self.results[v]
            med[v] = stats(xs)[0]
            print("%-34s %6.1f msg/s  %-24s %s" % (
                "(%s) %s" % (v, {"a": "mirror", "b": "plain (no mirror)",
                                 "c": "redirect :copy via SMTP hop"}[v]),
                med[v], spread(xs), " ".join("%.1f" % x for x in xs)))
        if "a" in med and "b" in med:
            print("%-34s %6.2f x      (target >= 0.90; per-rep %s)" % (
                "mirror / plain", med["a"] / med["b"],
                " ".join("%.2f" % (x / y) for x, y in
                         zip(self.results["a"], self.results["b"]))))
        if "c" in med and "b" in med:
            print("%-34s %6.2f x      (per-rep %s)" % (
                "redirect / plain", med["c"] / med["b"],
                " ".join("%.2f" % (x / y) for x, y in
                         zip(self.results["c"], self.results["b"]))))
        # the same from the median LMTP transaction time: robust against
        # bursts of foreign load on a shared machine
        print()
        print("%-34s %10s  %s" % ("from median transaction time",
                                  "1/p50", "per run (ms)"))
        m50 = {}
        for v in self.a.variants:
            xs = self.p50[v]
            m50[v] = 1.0 / statistics.median(xs)
            print("%-34s %6.1f msg/s  %s" % (
                "(%s) %s" % (v, VARIANTS[v]), m50[v],
                " ".join("%.2f" % (x * 1000) for x in xs)))
        if "a" in m50 and "b" in m50:
            print("%-34s %6.2f x" % ("mirror / plain", m50["a"] / m50["b"]))
        if "c" in m50 and "b" in m50:
            print("%-34s %6.2f x" % ("redirect / plain",
                                     m50["c"] / m50["b"]))
        print()
        keys = ["p:lmtp", "p:worker", "p:other", "standby", "relay",
                "client"]
        print("%-34s %s" % ("CPU ms per message (median)",
                            " ".join("%9s" % k for k in keys)))
        for v in self.a.variants:
            print("%-34s %s" % ("(%s) %s" % (v, VARIANTS[v]), " ".join(
                "%9.3f" % statistics.median([c[k] for c in self.cpu[v]])
                for k in keys)))
        if self.logins:
            print("%-34s %s" % ("standby logins (drain children) per "
                                "mirror run", " ".join(
                                    str(x) for x in self.logins)))
        print()
        if self.latency:
            m, lo, hi = stats(self.latency)
            print("%-34s %6.3f s      (%.3f..%.3f; target < 2 s)" % (
                "(d) last 250 -> last copy on stby", m, lo, hi))
            m, lo, hi = stats(self.drain_done)
            print("%-34s %6.3f s      (%.3f..%.3f)" % (
                "    ... -> primary queue empty", m, lo, hi))
        if mem_m:
            dk = [r["drain_kb"] / 1024.0 for r in mem_m]
            wk = [r["worker_kb"] / 1024.0 for r in mem_m]
            lk = [r["lmtp_kb"] / 1024.0 for r in mem_m]
            ss = [r["standby_s"] for r in mem_m]
            print("%-34s %6.1f MB     (max %.1f; target < 64 MB)" % (
                "(e) drain child VmHWM, %d MB msg" % self.a.big_mb,
                statistics.median(dk), max(dk)))
            print("%-34s %6.1f MB     (max %.1f)" % (
                "    worker (parent) VmHWM", statistics.median(wk), max(wk)))
            print("%-34s %6.1f MB     (max %.1f)" % (
                "    lmtp VmHWM, mirror user", statistics.median(lk),
                max(lk)))
            if mem_p:
                lp = [r["lmtp_kb"] / 1024.0 for r in mem_p]
                print("%-34s %6.1f MB     (max %.1f)" % (
                    "    lmtp VmHWM, plain user", statistics.median(lp),
                    max(lp)))
            print("%-34s %6.2f s      (%.2f..%.2f)" % (
                "    big msg: 250 -> on standby", statistics.median(ss),
                min(ss), max(ss)))
        print()
        errs = []
        for inst in (self.p, self.s):
            errs += ["%s: %s" % (inst.name, l) for l in inst.log_errors()]
        dead = []
        for v in ("a",):
            for tag in ["w"] + [str(r) for r in range(1, self.a.reps + 1)]:
                u = "%s%s@primary.test" % (VARIANTS[v], tag)
                if u in self.p.users:
                    d = self.p.dead_entries(u)
                    if d:
                        dead.append("%s: %d dead" % (u, len(d)))
        if self.foreign_runs:
            self.notes.append("%d throughput runs overlapped with other "
                              "dovecot-standby test runs on this machine "
                              "(shared disk/CPU): figures are noisy"
                              % self.foreign_runs)
        for n in self.notes + dead:
            print("NOTE: " + n)
        print("log errors/warnings: %d" % len(errs))
        for l in errs[:20]:
            print("  " + l)

    def main(self):
        try:
            self.setup()
            t = time.monotonic()
            self.warmup()
            if self.a.messages > 0:
                self.throughput()
            mem_m, mem_p = [], []
            for rep in range(1, self.a.big_reps + 1):
                mem_m.append(self.memory_run(rep, mirror=True))
                mem_p.append(self.memory_run(rep, mirror=False))
            self.log("bench took %.0fs" % (time.monotonic() - t))
            self.report(mem_m, mem_p)
        finally:
            if self.a.keep:
                print("# --keep: servers stopped, files kept in %s"
                      % self.run.root)
            if self.relay:
                self.relay.send_signal(signal.SIGTERM)
                self.relay.wait()
            self.env.cleanup()
            if not self.a.keep:
                self.run.cleanup()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", "-n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=5 * 1024,
                    help="bytes per message (default 5120)")
    ap.add_argument("--reps", "-r", type=int, default=5)
    ap.add_argument("--variants", default="abc",
                    help="subset of abc (default abc)")
    ap.add_argument("--big-mb", type=int, default=30)
    ap.add_argument("--big-reps", type=int, default=3)
    ap.add_argument("--pause", type=float, default=1.0,
                    help="seconds of rest after os.sync() before each run")
    ap.add_argument("--latency-timeout", type=float, default=60.0)
    ap.add_argument("--debug-log", action="store_true",
                    help="keep the harness' log_debug=category=standby")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir")
    a = ap.parse_args(argv)
    a.variants = [v for v in "abc" if v in a.variants]
    return a


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench-delivery.py must run as root")
    missing = harness.standby_installed()
    if missing:
        sys.exit("dovecot-standby is not installed (missing %s): run "
                 "`make && make install`" % ", ".join(missing))
    Bench(parse_args()).main()
