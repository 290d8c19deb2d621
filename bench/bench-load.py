#!/usr/bin/python3
"""Load benchmark of issue 6, section 7 (see bench/README.md).

One run, two private Dovecot instances on loopback (tests/integration/
harness.py, imported read-only): the primary (LMTP, Pigeonhole, the
dovecot-standby plugins and standby-worker) and the standby (imaps). The
primary's standby_port points at bench/delay-proxy.py, which forwards to
the standby's imaps port and delays every chunk by --delay-ms in each
direction (TLS passes through untouched).

  mirror  USERS fresh users, each with `require ["vnd.standby.mirror"];
          mirror;`; MESSAGES messages of SIZE bytes (unique Message-ID)
          over CONNECTIONS parallel LMTP connections (threads), one
          transaction per message, message i to user i mod USERS
  plain   the same with USERS other fresh users whose script does not
          mirror (`if false { keep; }`), same plugins loaded

Measured: delivery throughput of both and their ratio; for mirror runs
the time from the last 250 until every copy is on the standby and every
user's queue is empty, the queue depth over time, the peak RSS (VmHWM,
polled from /proc) of the standby-worker and of its drain children, and
the standby's content (every delivered message there exactly once, byte
for byte the primary's file); CPU seconds per process group. Variants
alternate (mirror plain, plain mirror, ...) when --reps > 1. Must run as
root; writes nothing but its temp dir (removed unless --keep).
"""

import argparse
import hashlib
import importlib.util
import itertools
import os
import re
import secrets
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

# /proc helpers and the primary without debug logging: bench-delivery.py's
_spec = importlib.util.spec_from_file_location(
    "bench_delivery", os.path.join(HERE, "bench-delivery.py"))
bd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bd)

MIRROR_SCRIPT = 'require ["vnd.standby.mirror"];\nmirror;\n'
PLAIN_SCRIPT = 'require ["vnd.standby.mirror"];\nif false { keep; }\n'
VARIANTS = ("mirror", "plain")

LINE = (b"The quick brown fox jumps over the lazy dog 0123456789 "
        b"abcdefghijklmnopqrstu\r\n")            # 78 bytes
MSGID_RE = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.M | re.I)


def make_message(size, user, msgid, subject):
    """About `size` bytes (CRLF), To: user, the given Message-ID."""
    head = harness.make_msg(subject=subject, to=user, msgid=msgid, body="")
    need = max(0, size - len(head))
    body = LINE * (need // len(LINE))
    rest = need - len(body)
    if rest >= 2:
        body += b"x" * (rest - 2) + b"\r\n"
    return head + body


def maildir_files(home):
    out = []
    for sub in ("new", "cur"):
        try:
            out += [e.path for e in os.scandir(
                os.path.join(home, "Maildir", sub))]
        except FileNotFoundError:
            pass
    return out


def file_msgid_digest(path):
    with open(path, "rb") as f:
        data = f.read()
    m = MSGID_RE.search(data[:65536])
    return (m.group(1).decode("ascii", "replace") if m else None,
            hashlib.sha1(data).hexdigest())


def mb(kb):
    return kb / 1024.0


class ChildSampler(threading.Thread):
    """Polls VmHWM of the worker and of its children (the drain children
    it forks, and its queue-scan child) every `interval` s; keeps per
    child the peak and when it was first and last seen."""

    def __init__(self, worker_pid, interval):
        super().__init__(daemon=True)
        self.worker_pid = worker_pid
        self.interval = interval
        self.stop_ev = threading.Event()
        self.kids = {}      # pid -> [peak kB, first seen, last seen, samples]
        self.worker_hwm = 0
        self.worker_rss = 0
        self.polls = 0
        self.cpu_s = 0.0

    def run(self):
        while not self.stop_ev.is_set():
            now = time.monotonic()
            st = bd.proc_status(self.worker_pid)
            if st:
                self.worker_hwm = max(self.worker_hwm, bd.kb(st.get("VmHWM")))
                self.worker_rss = bd.kb(st.get("VmRSS"))
            for c in bd.children(self.worker_pid):
                st = bd.proc_status(c)
                if st and st.get("VmHWM"):
                    k = self.kids.setdefault(c, [0, now, now, 0])
                    k[0] = max(k[0], bd.kb(st["VmHWM"]))
                    k[2] = now
                    k[3] += 1
            self.polls += 1
            time.sleep(self.interval)
        self.cpu_s = time.thread_time()

    def stop(self):
        self.stop_ev.set()
        self.join()


def stat_cpu(pid):
    """(start time, own cpu s, cpu s of waited-for children) or None"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return (int(f[19]), (int(f[11]) + int(f[12])) / bd.CLK_TCK,
            (int(f[13]) + int(f[14])) / bd.CLK_TCK)


def cmd_kind(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return "?"
    return cmd.rsplit("/", 1)[-1].split()[0] if cmd else "?"


class CpuTracker:
    """CPU seconds per process kind of a Dovecot instance over a run,
    robust against processes that come and go (lmtp processes are
    idle-killed and replaced, the standby starts an imap process per
    drain connection). sample() is called at the start, every second
    and at the end: the master counts its own time only; each of its
    children (keyed by PID and start time) its own time plus that of its
    waited-for children (the worker's drain children), from its value at
    the first sample (0 when it started later) to its last sample."""

    def __init__(self, master_pid):
        self.master = master_pid
        self.first = {}     # key -> (kind, cpu at the first sample)
        self.last = {}      # key -> cpu at the last sample
        self.started = False

    def sample(self):
        st = stat_cpu(self.master)
        if st:
            self._see(("master", st[0]), "master", st[1])
        for c in bd.children(self.master):
            st = stat_cpu(c)
            if st:
                key = (c, st[0])
                kind = self.first[key][0] if key in self.first else \
                    cmd_kind(c)
                self._see(key, kind, st[1] + st[2])
        self.started = True

    def _see(self, key, kind, cpu):
        if key not in self.first:
            self.first[key] = (kind, cpu if not self.started else 0.0)
        self.last[key] = cpu

    def totals(self):
        out = {}
        for key, (kind, c0) in self.first.items():
            out[kind] = out.get(kind, 0.0) + self.last[key] - c0
        return out


class Bench:
    def __init__(self, args):
        self.a = args
        self.run = harness.Run()
        self.env = self.run.env("bench-load")
        self.proxy = None
        self.proxy_stats = ""
        self.token = secrets.token_hex(4)
        self.res = {v: [] for v in VARIANTS}     # per run: dict
        self.notes = []

    def log(self, s):
        print("# " + s, flush=True)

    # -- users

    def user_names(self, variant, tag):
        return ["%s%su%02d@primary.test" % (variant[0], tag, i)
                for i in range(self.a.users)]

    def add_users(self):
        """All users of all runs, before the servers start (the harness
        waits a second per passwd-file change of a running server)."""
        for tag in ["w"] + [str(r) for r in range(1, self.a.reps + 1)]:
            for v in VARIANTS:
                names = self.user_names(v, tag)
                if tag == "w":
                    names = names[:1]
                for name in names:
                    self.p.add_mirrored_user(
                        name, standby_user=self.suser(name))
                    self.p.set_script(name, MIRROR_SCRIPT if v == "mirror"
                                      else PLAIN_SCRIPT)

    @staticmethod
    def suser(name):
        return name.replace("@primary.test", "@standby.test")

    # -- setup

    def setup(self):
        e = self.env
        self.s = harness.Standby(e)
        e.instances.append(self.s)
        proxy_port = free_port()
        bd.BenchPrimary.debug_log = self.a.debug_log
        for attempt in range(3):
            # harness.free_port() may hand out the same port twice
            # ("duplicate listener"): retry with new ports
            self.p = bd.BenchPrimary(
                e, standby=self.s, name="p" if attempt == 0 else
                "p%d" % attempt,
                settings={"standby_port": str(proxy_port)})
            e.instances.append(self.p)
            self.add_users()
            try:
                self.p.start()
                break
            except harness.HarnessError as ex:
                if attempt == 2 or "duplicate listener" not in str(ex):
                    raise
                self.log("retrying primary start: %s" % str(ex)[:120])
        self.s.start()
        self.proxy = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "delay-proxy.py"),
             "--listen", str(proxy_port), "--target",
             str(self.s.ports["imaps"]), "--delay-ms", str(self.a.delay_ms)],
            stdout=subprocess.PIPE)
        wait_until(lambda: port_open(proxy_port), timeout=10,
                   what="delay proxy")
        wait_until(lambda: self.p.worker_pids(), timeout=10,
                   what="standby-worker")
        self.worker_pid = self.p.worker_pids()[0]
        self.log("temp dir %s; primary lmtp :%d, proxy :%d (%g ms per chunk "
                 "and direction) -> standby imaps :%d" % (
                     self.run.root, self.p.ports["lmtp"], proxy_port,
                     self.a.delay_ms, self.s.ports["imaps"]))

    # -- delivery

    def deliver(self, users, n, tag, progress=None):
        """n messages over self.a.connections parallel LMTP connections
        (one thread each), message i to users[i % len(users)]. Returns
        (t0, t1, latencies, {user: [msgid]} of the accepted ones,
        failures, CPU s of the client threads)."""
        counter = itertools.count()
        lock = threading.Lock()
        expected = {u: [] for u in users}
        lat, fails, starts, ends, cpu = [], [], [], [], []
        nconn = max(1, min(self.a.connections, n))
        barrier = threading.Barrier(nconn + 1)
        delivered = [0]

        def client():
            try:
                sess = self.p.lmtp()
            except Exception as ex:
                fails.append("connect: %s" % ex)
                barrier.abort()
                return
            mine = []
            try:
                barrier.wait()
                starts.append(time.monotonic())
                t = time.monotonic()
                while True:
                    with lock:
                        i = next(counter)
                    if i >= n:
                        break
                    user = users[i % len(users)]
                    mid = "<load.%s.%s.%d@bench.test>" % (self.token, tag, i)
                    msg = make_message(self.a.size, user, mid,
                                       "load %s %d" % (tag, i))
                    try:
                        code, text = sess.deliver([user], msg)[user]
                    except Exception as ex:
                        fails.append("%s: %s" % (mid, ex))
                        break
                    now = time.monotonic()
                    mine.append(now - t)
                    t = now
                    if code == 250:
                        with lock:
                            expected[user].append(mid)
                            delivered[0] += 1
                    else:
                        fails.append("%s to %s: %d %s" % (mid, user, code,
                                                          text))
                ends.append(time.monotonic())
            except threading.BrokenBarrierError:
                pass
            finally:
                sess.close()
                with lock:
                    lat.extend(mine)
                    cpu.append(time.thread_time())

        threads = [threading.Thread(target=client, daemon=True)
                   for _ in range(nconn)]
        for t in threads:
            t.start()
        barrier.wait()
        if progress:
            progress.delivered = delivered
        for t in threads:
            t.join()
        if not starts or not ends:
            raise AssertionError("delivery failed: %s" % fails[:5])
        return min(starts), max(ends), lat, expected, fails, sum(cpu)

    # -- monitoring of the queues

    def queue_depth(self, users):
        """(entries in all users' queues, users with entries)"""
        depth, busy = 0, 0
        for u in users:
            try:
                n = sum(1 for e in os.scandir(os.path.join(
                    self.p.state_dir(u), "queue"))
                    if not e.name.startswith("."))
            except FileNotFoundError:
                n = 0
            depth += n
            busy += n > 0
        return depth, busy

    class Progress(threading.Thread):
        """Samples every `interval` s: messages delivered, queue depth
        (entries, users with entries), which users have a first copy on
        the standby (looking only at those that had none), and the CPU
        time of the servers' processes."""

        def __init__(self, bench, users, interval):
            super().__init__(daemon=True)
            self.b, self.users, self.interval = bench, users, interval
            self.stop_ev = threading.Event()
            self.delivered = [0]
            self.series = []    # (t, delivered, queued, users busy)
            self.first_copy = {}    # user -> t of the first sample with one
            self.t0 = time.monotonic()
            self.cpu_s = 0.0

        def run(self):
            last_log = 0
            while not self.stop_ev.wait(self.interval):
                t = time.monotonic() - self.t0
                depth, busy = self.b.queue_depth(self.users)
                for u in self.users:
                    if u not in self.first_copy and bd.maildir_count(
                            self.b.s.home(self.b.suser(u))):
                        self.first_copy[u] = t
                self.b.cpu_sample()
                self.series.append((t, self.delivered[0], depth, busy))
                if t - last_log >= self.b.a.progress:
                    last_log = t
                    self.b.log("  t=%5.1fs delivered %d, queued %d in %d "
                               "users, %d users have copies" % (
                                   t, self.delivered[0], depth, busy,
                                   len(self.first_copy)))
            self.cpu_s = time.thread_time()

        def stop(self):
            self.stop_ev.set()
            self.join()

    # -- one run

    def quiesce(self):
        os.sync()
        time.sleep(self.a.pause)

    def cpu_start(self):
        self.cpu_p = CpuTracker(self.p.master_pid)
        self.cpu_s = CpuTracker(self.s.master_pid)
        self.cpu_sample()
        return (bd.proc_cpu(self.proxy.pid), os.times())

    def cpu_sample(self):
        self.cpu_p.sample()
        self.cpu_s.sample()

    def cpu_since(self, c0, client_s):
        self.cpu_sample()
        pc = self.cpu_p.totals()
        sc = self.cpu_s.totals()
        c1 = (bd.proc_cpu(self.proxy.pid), os.times())
        me = (c1[1].user + c1[1].system) - (c0[1].user + c0[1].system)
        return {
            "p:lmtp": pc.get("lmtp", 0),
            "p:worker": pc.get("standby-worker", 0),
            "p:other": sum(v for k, v in pc.items()
                           if k not in ("lmtp", "standby-worker")),
            "standby": sum(sc.values()),
            "proxy": (c1[0][1] - c0[0][1]) if c0[0] and c1[0] else 0,
            # the LMTP client threads; the rest of the bench process
            # (its samplers and polls) is "monitor"
            "client": client_s,
            "monitor": max(0.0, me - client_s),
        }

    def one_run(self, variant, rep):
        users = self.user_names(variant, str(rep))
        n = self.a.messages
        self.quiesce()
        load = os.getloadavg()
        foreign = bd.foreign_activity(self.run.root)
        r = {"rep": rep, "load": load}
        mirror = variant == "mirror"
        # the same monitors in both variants (they cost the same)
        st = bd.proc_status(self.worker_pid) or {}
        r["worker_hwm_before"] = bd.kb(st.get("VmHWM"))
        sampler = ChildSampler(self.worker_pid, self.a.sample_ms / 1000.0)
        sampler.start()
        mark = self.s.log_mark()
        c0 = self.cpu_start()
        prog = self.Progress(self, users, self.a.queue_poll)
        prog.start()
        t0, t1, lat, expected, fails, client_s = self.deliver(
            users, n, "%s%d" % (variant[0], rep), progress=prog)
        # what the bench itself (its samplers, in this process) took
        # while the messages were delivered: it competes for the 2 cores
        c_end = os.times()
        r["monitor_delivery_s"] = max(0.0, (
            c_end.user + c_end.system - c0[1].user - c0[1].system) -
            client_s)
        ok = sum(len(v) for v in expected.values())
        r.update(t0=t0, t1=t1, n=n, ok=ok, fails=len(fails),
                 rate=ok / (t1 - t0), p50=statistics.median(lat),
                 p99=sorted(lat)[int(len(lat) * 0.99)] if lat else 0)
        for f in fails[:5]:
            self.notes.append("%s run %d: delivery failed: %s" % (
                variant, rep, f))
        self.log("%-6s rep %d: %d msgs to %d users over %d connections in "
                 "%.2fs = %.1f msg/s, median transaction %.2f ms, p99 %.2f ms"
                 "%s" % (variant, rep, ok, len(users), self.a.connections,
                         t1 - t0, r["rate"], r["p50"] * 1000,
                         r["p99"] * 1000,
                         ", %d FAILED" % len(fails) if fails else ""))
        r["expected"] = expected
        r["prog_t0"] = prog.t0
        if mirror:
            self.wait_drained(r, users, t1)
        else:
            time.sleep(0.5)
        prog.stop()
        # let the drain children linger out and exit (their CPU time then
        # counts in the worker's)
        try:
            wait_until(lambda: not bd.children(self.worker_pid),
                       timeout=10, interval=0.05)
        except AssertionError:
            pass
        sampler.stop()
        r["worker_hwm"] = sampler.worker_hwm
        r["worker_rss"] = sampler.worker_rss
        r["kids"] = dict(sampler.kids)
        r["polls"] = sampler.polls
        if mirror:
            r["logins"] = len(re.findall(
                r"Login: user=<%s" % re.escape("m%su" % rep),
                self.s.log_since(mark)))
        r["cpu"] = self.cpu_since(c0, client_s)
        r["series"] = prog.series
        # when each user's first copy reached the standby, from the first
        # delivery (sampled every --queue-poll s)
        off = r["t0"] - prog.t0
        r["first_copy"] = sorted(t - off for t in prog.first_copy.values())
        r["users_unmirrored_at_end"] = sum(
            1 for t in prog.first_copy.values() if t > r["t1"] - prog.t0) + \
            len(users) - len(prog.first_copy)
        r["max_depth"] = max([x[2] for x in prog.series] or [0])
        r["max_busy"] = max([x[3] for x in prog.series] or [0])
        foreign = sorted(set(foreign) | set(bd.foreign_activity(
            self.run.root)))
        r["foreign"] = foreign
        if foreign:
            self.notes.append("%s run %d overlapped with other "
                              "dovecot-standby test runs (%s): figures "
                              "are noisy" % (variant, rep, " ".join(foreign)))
        self.check_content(variant, r, users, expected)
        self.res[variant].append(r)

    def wait_drained(self, r, users, t1):
        """Poll until every copy is on the standby and every queue is
        empty. After the last 250 nothing is added, so a user found done
        is not looked at again (keeps the polling cheap)."""
        deadline = t1 + self.a.drain_timeout
        t_copies = t_empty = None
        want = {u: len(r["expected"][u]) for u in users}
        no_copies = set(users)
        queued = set(users)
        while time.monotonic() < deadline:
            now = time.monotonic()
            for u in list(no_copies):
                if bd.maildir_count(self.s.home(self.suser(u))) >= want[u]:
                    no_copies.discard(u)
            for u in list(queued):
                if not self.p.queue_entries(u):
                    queued.discard(u)
            if t_copies is None and not no_copies:
                t_copies = now
            if t_empty is None and not queued:
                t_empty = now
            if t_copies is not None and t_empty is not None:
                break
            time.sleep(0.05)
        r["copies_s"] = t_copies - t1 if t_copies else None
        r["empty_s"] = t_empty - t1 if t_empty else None
        if t_empty is None:
            self.notes.append("mirror run %d: queues not empty %.0fs after "
                              "the last 250 (%d entries left)" % (
                                  r["rep"], self.a.drain_timeout,
                                  self.queue_depth(users)[0]))
        self.log("        last 250 -> all copies on the standby %s, every "
                 "queue empty %s" % (
                     "%.2fs" % r["copies_s"] if t_copies else "NEVER",
                     "%.2fs" % r["empty_s"] if t_empty else "NEVER"))

    def check_content(self, variant, r, users, expected):
        """Primary INBOX: every accepted message once. Standby (mirror):
        every accepted message exactly once, identical to the primary's
        file; nothing else. Plain: nothing on the standby, no queue."""
        t = time.monotonic()
        c = {"users_ok": 0, "missing": 0, "dup": 0, "unexpected": 0,
             "differ": 0, "on_standby": 0, "p_missing": 0, "p_dup": 0,
             "dead": 0, "tmp": 0, "queued": 0}
        for u in users:
            want = expected[u]
            pdig = {}
            for path in maildir_files(self.p.home(u)):
                mid, dig = file_msgid_digest(path)
                if mid in pdig:
                    c["p_dup"] += 1
                pdig[mid] = dig
            c["p_missing"] += len(set(want) - set(pdig))
            c["dead"] += len(self.p.dead_entries(u))
            c["tmp"] += len(self.p.tmp_entries(u))
            c["queued"] += len(self.p.queue_entries(u))
            seen = {}
            for path in maildir_files(self.s.home(self.suser(u))):
                mid, dig = file_msgid_digest(path)
                seen.setdefault(mid, []).append(dig)
            c["on_standby"] += sum(len(x) for x in seen.values())
            if variant != "mirror":
                c["unexpected"] += sum(len(x) for x in seen.values())
                continue
            miss = [m for m in want if m not in seen]
            dup = sum(len(x) - 1 for x in seen.values() if len(x) > 1)
            unexp = sum(len(x) for m, x in seen.items() if m not in pdig)
            differ = sum(1 for m, x in seen.items() if m in pdig and
                         any(d != pdig[m] for d in x))
            c["missing"] += len(miss)
            c["dup"] += dup
            c["unexpected"] += unexp
            c["differ"] += differ
            if not (miss or dup or unexp or differ):
                c["users_ok"] += 1
            if miss or dup:
                self.notes.append("%s: %d missing on the standby (e.g. %s), "
                                  "%d duplicated" % (u, len(miss),
                                                     miss[:2], dup))
        r["content"] = c
        bad = {k: v for k, v in c.items() if v and k not in
               ("users_ok", "on_standby")}
        self.log("        content (%.1fs): primary %d missing %d dup; "
                 "standby %d files%s; dead %d, queued %d, tmp %d" % (
                     time.monotonic() - t, c["p_missing"], c["p_dup"],
                     c["on_standby"],
                     (", %d/%d users complete, %d missing, %d duplicated, "
                      "%d unexpected, %d differ" % (
                          c["users_ok"], len(users), c["missing"], c["dup"],
                          c["unexpected"], c["differ"]))
                     if variant == "mirror" else
                     " (expected 0)", c["dead"], c["queued"], c["tmp"]))
        if bad and variant == "mirror" or \
                variant != "mirror" and (c["on_standby"] or c["queued"]):
            self.notes.append("%s run %d: content check: %s" % (
                variant, r["rep"], bad))

    def warmup(self):
        for v in VARIANTS:
            u = self.user_names(v, "w")[0]
            with self.p.lmtp() as s:
                for i in range(20):
                    s.deliver([u], make_message(self.a.size, u,
                                                "<w.%s.%s.%d@bench.test>" % (
                                                    self.token, v, i), "w"))
        wait_until(lambda: not self.p.queue_entries(
            self.user_names("mirror", "w")[0]), timeout=60)

    # -- report

    def report(self):
        a = self.a

        def med(v, key):
            xs = [r[key] for r in self.res[v] if r.get(key) is not None]
            return statistics.median(xs) if xs else float("nan")

        def lab(text, r):
            return text + (" (rep %d)" % r["rep"] if a.reps > 1 else "")

        def per_run(v, key, fmt):
            return " ".join(fmt % r[key] if r.get(key) is not None else "-"
                            for r in self.res[v])

        print()
        print("dovecot-standby load benchmark: %d users, %d x %d B, %d LMTP "
              "connections, standby behind %g ms per chunk and direction, "
              "%d rep%s; %s" % (
                  a.users, a.messages, a.size, a.connections, a.delay_ms,
                  a.reps, "s" if a.reps > 1 else "",
                  time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
        print("load average before the runs: %s" % "; ".join(
            "%s %d: %.2f %.2f %.2f" % ((v, r["rep"]) + r["load"])
            for v in VARIANTS for r in self.res[v]))
        print()
        fmt = "%-40s %14s %14s"
        print(fmt % ("", "mirror", "plain"))
        print(fmt % ("delivery throughput, msg/s (median)",
                     "%.1f" % med("mirror", "rate"),
                     "%.1f" % med("plain", "rate")))
        if a.reps > 1:
            print(fmt % ("    per run", per_run("mirror", "rate", "%.0f"),
                         per_run("plain", "rate", "%.0f")))
        print(fmt % ("median LMTP transaction, ms",
                     "%.2f" % (med("mirror", "p50") * 1000),
                     "%.2f" % (med("plain", "p50") * 1000)))
        print(fmt % ("99th percentile transaction, ms",
                     "%.2f" % (med("mirror", "p99") * 1000),
                     "%.2f" % (med("plain", "p99") * 1000)))
        ratio = med("mirror", "rate") / med("plain", "rate")
        print("%-40s %14s    (target >= 0.90; by median transaction "
              "%.2fx)" % ("mirror / plain", "%.2fx" % ratio,
                          med("plain", "p50") / med("mirror", "p50")))
        if a.reps > 1:
            print("%-40s %s" % ("    per rep", " ".join(
                "%.2f" % (x["rate"] / y["rate"]) for x, y in
                zip(self.res["mirror"], self.res["plain"]))))
        print()
        m = self.res["mirror"]

        def secs(x):
            return "%.2f s" % x if x is not None else "NEVER"
        print("%-40s %s" % ("last 250 -> every copy on the standby",
                            " ".join(secs(r["copies_s"]) for r in m)))
        print("%-40s %s" % ("last 250 -> every user's queue empty",
                            " ".join(secs(r["empty_s"]) for r in m)))
        print("%-40s %s" % ("queue depth, max (entries / users)", " ".join(
            "%d / %d" % (r["max_depth"], r["max_busy"]) for r in m)))
        print("%-40s %s" % ("queue depth at the last 250", " ".join(
            "%d" % self.depth_at(r, r["t1"]) for r in m)))
        print("%-40s %s" % ("drain rate after the last 250, msg/s",
                            " ".join("%.0f" % (self.depth_at(r, r["t1"]) /
                                               r["empty_s"])
                                     if r["empty_s"] else "-" for r in m)))
        print("%-40s %s" % ("users without a copy at the last 250",
                            " ".join("%d of %d" % (
                                r["users_unmirrored_at_end"], a.users)
                                for r in m)))
        for r in m:
            fc = r["first_copy"]
            if fc:
                print("%-40s median %.1f s, max %.1f s (delivery took "
                      "%.1f s)" % (lab("first delivery -> user's 1st copy",
                                       r),
                                   statistics.median(fc), max(fc),
                                   r["t1"] - r["t0"]))
        print()
        for r in m:
            kids = r["kids"]
            peaks = [k[0] for k in kids.values()]
            life = [k[2] - k[1] for k in kids.values()]
            longest = max(kids.values(), key=lambda k: k[2] - k[1]) \
                if kids else None
            print("%-40s %.1f MB (before the run %.1f MB, RSS after %.1f "
                  "MB)" % (lab("standby-worker VmHWM", r),
                           mb(r["worker_hwm"]),
                           mb(r["worker_hwm_before"]), mb(r["worker_rss"])))
            if peaks:
                print("%-40s %.1f MB max, %.1f MB median; %d children "
                      "seen (%d polls every %g ms)" % (
                          "drain children VmHWM", mb(max(peaks)),
                          mb(statistics.median(peaks)), len(peaks),
                          r["polls"], a.sample_ms))
                print("%-40s %.1f s, VmHWM %.1f MB; median life %.2f s" % (
                    "    longest-lived child", longest[2] - longest[1],
                    mb(longest[0]), statistics.median(life)))
            print("%-40s %d (standby logins)" % (
                "standby connections", r["logins"]))
        print()
        for r in m:
            c = r["content"]
            print("%-40s %d of %d delivered: %d/%d users complete, "
                  "%d missing, %d duplicated, %d unexpected, %d differ "
                  "from the primary's file; %d dead-lettered" % (
                      lab("standby content (mirror)", r), c["on_standby"],
                      r["ok"],
                      c["users_ok"], a.users, c["missing"], c["dup"],
                      c["unexpected"], c["differ"], c["dead"]))
        for r in self.res["plain"]:
            c = r["content"]
            print("%-40s %d on the standby, %d queued (expected 0)" % (
                lab("standby content (plain)", r), c["on_standby"],
                c["queued"]))
        print()
        keys = ["p:lmtp", "p:worker", "p:other", "standby", "proxy",
                "client", "monitor"]
        print("%-40s %s" % ("CPU s per run (incl. the drain)", " ".join(
            "%9s" % k for k in keys)))
        for v in VARIANTS:
            for r in self.res[v]:
                print("%-40s %s" % ("    %s rep %d" % (v, r["rep"]), " ".join(
                    "%9.1f" % r["cpu"][k] for k in keys)))
        for v in VARIANTS:
            print("%-40s %s" % (
                "    %s: monitor during delivery, s" % v, " ".join(
                    "%.1f" % r["monitor_delivery_s"] for r in self.res[v])))
        print("%-40s %s" % ("CPU ms per message (median)", " ".join(
            "%9s" % k for k in keys)))
        for v in VARIANTS:
            print("%-40s %s" % ("    " + v, " ".join(
                "%9.2f" % statistics.median(
                    [r["cpu"][k] * 1000.0 / max(1, r["ok"])
                     for r in self.res[v]]) for k in keys)))
        print()
        if self.proxy_stats:
            print("delay proxy: %s" % self.proxy_stats)
        errs = []
        for inst in (self.p, self.s):
            errs += ["%s: %s" % (inst.name, l) for l in inst.log_errors()]
        for n in self.notes:
            print("NOTE: " + n)
        print("log errors/warnings: %d" % len(errs))
        for l in errs[:20]:
            print("  " + l)

    @staticmethod
    def depth_at(r, t):
        t_rel = t - r["prog_t0"]
        best = None
        for x in r["series"]:
            best = x
            if x[0] >= t_rel:
                break
        return best[2] if best else 0

    def main(self):
        try:
            self.setup()
            t = time.monotonic()
            self.warmup()
            order = list(VARIANTS)
            for rep in range(1, self.a.reps + 1):
                for v in order:
                    self.one_run(v, rep)
                order.reverse()
            self.log("bench took %.0fs" % (time.monotonic() - t))
            self.stop_proxy()
            self.report()
        finally:
            self.stop_proxy()
            if self.a.keep:
                print("# --keep: servers stopped, files kept in %s"
                      % self.run.root)
            self.env.cleanup()
            if not self.a.keep:
                self.run.cleanup()

    def stop_proxy(self):
        if self.proxy and self.proxy.poll() is None:
            self.proxy.send_signal(signal.SIGTERM)
            out, _ = self.proxy.communicate(timeout=10)
            self.proxy_stats = out.decode(errors="replace").strip()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", "-u", type=int, default=50)
    ap.add_argument("--messages", "-n", type=int, default=20000)
    ap.add_argument("--connections", "-c", type=int, default=4,
                    help="parallel LMTP connections (default 4)")
    ap.add_argument("--delay-ms", type=float, default=5.0,
                    help="delay of every chunk between the worker and the "
                    "standby, each direction (default 5)")
    ap.add_argument("--size", type=int, default=5 * 1024,
                    help="bytes per message (default 5120)")
    ap.add_argument("--reps", "-r", type=int, default=1,
                    help="runs of each variant, alternating (default 1)")
    ap.add_argument("--pause", type=float, default=1.0,
                    help="seconds of rest after os.sync() before each run")
    ap.add_argument("--drain-timeout", type=float, default=900.0,
                    help="give up waiting for the queues after this many s")
    ap.add_argument("--sample-ms", type=float, default=50.0,
                    help="VmHWM polling interval (default 50 ms)")
    ap.add_argument("--queue-poll", type=float, default=1.0,
                    help="queue depth sampling interval in s (default 1)")
    ap.add_argument("--progress", type=float, default=10.0,
                    help="print progress every this many s (default 10)")
    ap.add_argument("--debug-log", action="store_true",
                    help="keep the harness' log_debug=category=standby")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    return ap.parse_args(argv)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench-load.py must run as root")
    missing = harness.standby_installed()
    if missing:
        sys.exit("dovecot-standby is not installed (missing %s): run "
                 "`make && make install`" % ", ".join(missing))
    Bench(parse_args()).main()
