"""Faults: standby down, worker killed, login/TLS refused, queue unwritable
(issue 2); the fault scenarios of issue 6: standby stopped during a burst,
silent or hanging standby, connection cut in an APPEND literal, quota and
over-size refusals, 20 worker kills, primary restarted, queue file system
full, self-signed standby certificate. Delivery never fails; nothing is
lost or duplicated.

Each issue-6 scenario prints one line
  fault <name>: delivered N, mirrored N, lost N, duplicated N
(delivered: the delivered messages that should mirror)."""

import collections
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import time

from harness import (make_msg, message_id, assert_same_message,
                     assert_no_passwords_in_logs, wait_mirrored, wait_until,
                     descendants, pid_alive, strip_headers, HarnessError,
                     dovecot_24, login_word)
from fault_proxy import FaultProxy

ALICE = "alice@primary.test"

ORDERS_ONLY = """\
require "vnd.standby.mirror";
if header :contains "subject" "order" {
  mirror :mailbox "Orders";
}
"""


def deliver_many(p, user, n, subject, body=None):
    """Deliver n messages over one LMTP connection; subject(i) gives the
    subject. Returns (list of raw messages, per-message seconds)."""
    msgs, secs = [], []
    with p.lmtp() as lmtp:
        for i in range(n):
            msg = make_msg(subject=subject(i), body=body)
            res = lmtp.deliver(user, msg)
            secs.append(res.secs)
            assert res[user][0] == 250, (i, res)
            msgs.append(msg)
    return msgs, secs


def check_exactly_once(p, s, user, folder, want_ids):
    prim = {m.message_id: m for m in p.fetch_all(user)}
    copies = s.fetch_all(user, folder)
    ids = [c.message_id for c in copies]
    dups = {i for i in ids if ids.count(i) > 1}
    assert not dups, "%d duplicated on the standby, e.g. %s" % (
        len(dups), sorted(dups)[:3])
    assert set(ids) == set(want_ids), "missing %d, unexpected %d" % (
        len(set(want_ids) - set(ids)), len(set(ids) - set(want_ids)))
    for c in copies:
        assert_same_message(prim[c.message_id], c)


def test_standby_down_200_deliveries(env):
    p, s = env.pair(start=False)
    p.start()                       # the standby stays down
    pw, spw = p.add_mirrored_user(ALICE)
    p.set_script(ALICE, ORDERS_ONLY)
    msgs, secs = deliver_many(
        p, ALICE, 200, lambda i: "order %d" % i if i % 2 else "chat %d" % i)
    want = [message_id(m) for m in msgs if b"Subject: order" in m]
    assert len(want) == 100
    # no added delay: the action only queues
    med, worst = statistics.median(secs), max(secs)
    assert med < 0.25 and worst < 2.0, \
        "delivery slowed down: median %.3fs, max %.3fs" % (med, worst)
    assert p.count(ALICE) == 200
    wait_until(lambda: len(p.queue_entries(ALICE)) == 100, timeout=10,
               what="100 queue entries (have %d)" % len(p.queue_entries(ALICE)))
    assert p.dead_entries(ALICE) == []

    s.start()
    wait_mirrored(p, s, ALICE, {"Orders": 100, "INBOX": 0}, timeout=60)
    time.sleep(2)      # nothing arrives twice later
    check_exactly_once(p, s, ALICE, "Orders", want)
    assert len(p.ledger(ALICE)) == 100
    assert_no_passwords_in_logs(env, [pw, spw])


def test_worker_sigkill_during_drain(env):
    """The whole worker (service process and its drain processes) is
    SIGKILLed 20 times at random moments while it drains (issue 6)."""
    sigkill_during_drain(env, "tree", 20, "worker-sigkill-20")


def test_worker_main_sigkill_during_drain(env):
    """Only the worker's service process is SIGKILLed, up to 8 times (a
    drain process it forked may live on while Dovecot starts a new
    worker): still no duplicates, so two drains of one queue must never
    overlap."""
    sigkill_during_drain(env, "main", 8)


def sigkill_during_drain(env, which, kills_wanted, fault_name=None):
    if which != "tree":
        p, s = env.pair(start=False)
        sigkill_during_drain_real(p, s, which, kills_wanted, fault_name)
        return
    # the drain to the standby runs at 400 KB/s, so that it lasts long
    # enough for 20 kills however fast the machine is
    with slow_link_pair(env, 400000) as (p, s):
        sigkill_during_drain_real(p, s, which, kills_wanted, fault_name)


@contextlib.contextmanager
def slow_link_pair(env, rate):
    """A primary (not started) and a standby, the primary's drains going
    through a FaultProxy that forwards at rate bytes/s."""
    proxy = FaultProxy(mode="forward")
    proxy.rate = rate
    try:
        p, s = env.pair(start=False, settings={
            "standby_port": str(proxy.port)})
        proxy.target = s.ports["imaps"]
        yield p, s
    finally:
        proxy.close()


def sigkill_during_drain_real(p, s, which, kills_wanted, fault_name):
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\n'
                        'mirror :mailbox "Orders";\n')
    # queue up the entries while the standby is down, so the drain is one
    # long run (16 KB each, so that a drain takes a while)
    n = 400 if which == "tree" else 300
    msgs, _ = deliver_many(p, ALICE, n, lambda i: "order %d" % i,
                           body=("x" * 70 + "\r\n") * 230)
    want = [message_id(m) for m in msgs]
    wait_until(lambda: len(p.queue_entries(ALICE)) == n, timeout=20)
    s.start()
    # kill the worker at random moments while it drains: in an APPEND,
    # between the standby's OK and the ledger line, while it looks for an
    # uncertain entry's copy, while it logs in, ...
    kills, last, deadline = 0, 0, time.monotonic() + 150
    rnd = random.Random(4711)
    while kills < kills_wanted and time.monotonic() < deadline:
        if which == "tree":
            # a drain process runs: 0-400 ms into it
            if not [d for w in p.worker_pids() for d in descendants(w)]:
                time.sleep(0.02)
                continue
            time.sleep(rnd.uniform(0, 0.4))
            if s.count(ALICE, "Orders") >= n:
                break
            if p.kill_worker(which):
                kills += 1
            continue
        # main: once the standby grew since the last kill (the drain
        # process lives on; the next one must wait for it)
        have = s.count(ALICE, "Orders")
        if have >= n:
            break
        if have > last:
            time.sleep(rnd.uniform(0, 0.05))
            if p.kill_worker(which):
                kills += 1
                last = s.count(ALICE, "Orders")
        time.sleep(0.02)
    # (the main process only: as many as the drain's length allows)
    assert kills == kills_wanted or (which == "main" and kills >= 2), \
        "the worker could be killed only %d times mid-drain (drain too " \
        "fast?)" % kills
    wait_mirrored(p, s, ALICE, {"Orders": n}, timeout=120)
    time.sleep(2)
    if fault_name:
        report_fault(fault_name, p, s, ALICE, ["Orders"], want)
    check_exactly_once(p, s, ALICE, "Orders", want)
    assert p.dead_entries(ALICE) == []
    assert p.tmp_entries(ALICE) == []


def assert_stays_queued(p, s, user, log_rx, what):
    """The failure is logged as an error or warning, the entry stays
    queued across retries, and the standby got nothing."""
    rx = r"\b(Error|Warning): .*" + log_rx
    wait_until(lambda: p.log_lines(rx), timeout=30,
               what="a logged %s error matching %r" % (what, rx))
    # longer than standby_max_backoff: at least one more attempt was made
    time.sleep(6)
    assert len(p.queue_entries(user)) == 1, p.queue_entries(user)
    assert p.dead_entries(user) == []
    suser = p.users[user][1]["standby_user"]
    # (before the harness logs in itself)
    logins = s.log_lines(r"%s: user=<%s>" % (login_word(), re.escape(suser)))
    assert not logins, "the worker logged in on the standby: %s" % logins
    assert s.count(suser, "INBOX") == 0


def test_wrong_password_stays_queued(env):
    p, s = env.pair()
    pw, spw = p.add_mirrored_user(ALICE, standby_password="WrongPw-0815")
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    res = p.lmtp_deliver(ALICE, make_msg())
    assert res[ALICE][0] == 250, res
    assert_stays_queued(
        p, s, ALICE,
        r"standby.*(authenticat|login|credential|password)", "login")
    assert_no_passwords_in_logs(env, ["WrongPw-0815", spw, pw])


def test_untrusted_certificate_stays_queued(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE, standby_ssl_ca_file=env.tls.wrong_ca)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    res = p.lmtp_deliver(ALICE, make_msg())
    assert res[ALICE][0] == 250, res
    assert_stays_queued(p, s, ALICE, r"standby.*(certificate|verif|SSL|TLS)",
                        "certificate")


def test_queue_unwritable_delivery_succeeds(env):
    p, s = env.pair()
    carol = "carol@primary.test"
    p.add_mirrored_user(ALICE)
    p.add_mirrored_user(carol)
    script = 'require "vnd.standby.mirror";\nmirror;\n'
    p.set_script(ALICE, script)
    p.set_script(carol, script)
    # alice: the state dir is a file owned by root
    with open(p.state_dir(ALICE), "w") as f:
        f.write("not a directory\n")
    os.chmod(p.state_dir(ALICE), 0o600)
    # carol: the queue directories exist but are root's, mode 000
    for sub in ("", "tmp", "queue", "dead"):
        os.makedirs(os.path.join(p.state_dir(carol), sub), exist_ok=True)
    for sub in ("tmp", "queue", "dead", ""):
        os.chmod(os.path.join(p.state_dir(carol), sub), 0)
    for user in (ALICE, carol):
        mark = p.log_mark()
        res = p.lmtp_deliver(user, make_msg())
        assert res[user][0] == 250, res
        assert p.count(user) == 1
        wait_until(lambda: re.search(
            r"Error: .*standby|standby.*Error:|Error:.*queue",
            p.log_since(mark)), timeout=10,
            what="an error about %s's queue in the log" % user)
    assert s.count(ALICE) == 0 and s.count(carol) == 0


def test_reload_during_drain_logs_no_error(env):
    """Dovecot reloaded while a drain waits for more mail: the old worker
    is gone when the drain ends, which is no error (the queue on disk is
    what the new worker goes by)."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    drains = []
    for n in range(1, 4):
        assert p.lmtp_deliver(ALICE, make_msg())[ALICE][0] == 250
        wait_mirrored(p, s, ALICE, {"INBOX": n})
        # the drain keeps its connection a moment for more mail
        drains = [k for w in p.worker_pids() for k in descendants(w)]
        if drains:
            break
    assert drains, "no drain process lingering after the copy"
    mark = p.log_mark()
    p.doveadm("reload")
    wait_until(lambda: not any(pid_alive(k) for k in drains), timeout=30,
               what="the drain processes to end")
    # one more copy through the new worker: it logs after them
    assert p.lmtp_deliver(ALICE, make_msg())[ALICE][0] == 250
    wait_mirrored(p, s, ALICE, {"INBOX": n + 1})
    errors = [l for l in p.log_since(mark).splitlines()
              if re.search(r"\b(Error|Fatal|Panic):", l)]
    assert not errors, errors


# ------------------------------------------------- issue 6: fault scenarios

MIRROR_ORDERS = 'require "vnd.standby.mirror";\nmirror :mailbox "Orders";\n'
BODY_16K = ("x" * 70 + "\r\n") * 230


def report_fault(name, p, s, user, folders, want_ids, dead=(),
                 unqueued=(), note=""):
    """Compare the standby's copies in folders with the primary's messages
    by Message-ID and bytes; print the figures line; then assert that every
    message of want_ids is there exactly once and unchanged.

    Delivered messages that should mirror but are expected not to arrive:
    dead (in the dead letters, on purpose: not counted as lost) and
    unqueued (the queue could not take them: counted as lost)."""
    suser = p.users[user][1]["standby_user"]
    prim = {m.message_id: m for m in p.fetch_all(user)}
    copies = [c for f in folders for c in s.fetch_all(suser, f)]
    want = set(want_ids)
    seen = collections.Counter(c.message_id for c in copies)
    delivered = len(want | set(dead) | set(unqueued))
    mirrored = sum(1 for i in want | set(dead) | set(unqueued) if seen[i])
    duplicated = sum(n - 1 for n in seen.values() if n > 1)
    notes = ["%d in the dead letters" % len(dead)] if dead else []
    notes += [note] if note else []
    print("fault %s: delivered %d, mirrored %d, lost %d, duplicated %d%s" % (
        name, delivered, mirrored, delivered - mirrored - len(dead),
        duplicated, " (%s)" % "; ".join(notes) if notes else ""),
        flush=True)
    dups = sorted(i for i, n in seen.items() if n > 1)
    assert not dups, "%d duplicated on the standby, e.g. %s" % (
        len(dups), dups[:3])
    missing = sorted(want - set(seen))
    assert not missing, "%d lost, e.g. %s" % (len(missing), missing[:3])
    unexpected = sorted(set(seen) - want)
    assert not unexpected, "%d unexpected on the standby, e.g. %s" % (
        len(unexpected), unexpected[:3])
    for c in copies:
        assert_same_message(prim[c.message_id], c)


def poke_worker(p, user):
    """Tell the worker that user's queue has something (as delivery
    does)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(os.path.join(p.dir, "run", "standby-worker"))
        c.sendall(b"POKE\t%s\n" % user.encode())


def standby_status(p, user):
    """`doveadm -f json standby status -u user` as one dict of strings."""
    r = subprocess.run(["doveadm", "-c", p.conf_path, "-f", "json",
                        "standby", "status", "-u", user],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr)
    rows = json.loads(r.stdout.decode())
    assert len(rows) == 1, rows
    return {k: str(v) for k, v in rows[0].items()}


def test_fault_standby_stopped_during_burst(env):
    """1000 deliveries; the standby stops after the first 300 (while the
    worker drains them) and stays down for 60 s, while 400 more arrive
    spread over that minute; then it comes back and 300 more arrive."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    msgs = []
    down_secs = 60

    def deliver(lmtp, n, until=None):
        t0 = time.monotonic()
        for i in range(n):
            msg = make_msg(subject="order %d" % len(msgs))
            res = lmtp.deliver(ALICE, msg)
            assert res[ALICE][0] == 250, (len(msgs), res)
            msgs.append(msg)
            if until is not None:
                # spread the deliveries evenly up to `until` seconds
                delay = t0 + (i + 1) * until / n - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    with p.lmtp() as lmtp:
        deliver(lmtp, 300)
        # stop the standby while the worker is busy with the first ones
        wait_until(lambda: s.count(ALICE, "Orders") > 0, timeout=30,
                   what="mirroring to be under way")
        s.stop()
        stopped = time.monotonic()
        deliver(lmtp, 400, until=down_secs - 5)
        st = standby_status(p, ALICE)
        assert int(st["queued"]) > 0 and st["last_error"], st
        time.sleep(max(0.0, stopped + down_secs - time.monotonic()))
        # The entries' backoff is at most standby_max_backoff (5 s in the
        # tests), so the worker retries soon after the standby is back:
        # neither `doveadm standby flush` nor a poke is needed here.
        s.start()
        deliver(lmtp, 300)
    assert p.count(ALICE) == 1000
    wait_mirrored(p, s, ALICE, {"Orders": 1000}, timeout=120)
    time.sleep(2)      # nothing arrives twice later
    report_fault("standby-stopped-60s-in-1000", p, s, ALICE, ["Orders"],
                 [message_id(m) for m in msgs])
    assert p.dead_entries(ALICE) == []
    assert len(p.ledger(ALICE)) == 1000


def test_fault_standby_silent(env):
    """The standby accepts the connection but never answers: the worker
    times out (standby_timeout = 2s) and retries. Then it answers, but
    stops answering twice in the middle of the APPENDs (after 40 KB and
    100 KB of the worker's data): timeouts with APPENDs uncertain. Then it
    works again: everything arrives once."""
    proxy = FaultProxy(mode="silent")
    try:
        p, s = env.pair(settings={"standby_port": str(proxy.port),
                                  "standby_timeout": "2s"})
        proxy.target = s.ports["imaps"]
        p.add_mirrored_user(ALICE)
        p.set_script(ALICE, MIRROR_ORDERS)
        msgs, _ = deliver_many(p, ALICE, 30, lambda i: "order %d" % i,
                               body=BODY_16K)
        want = [message_id(m) for m in msgs]
        # timed out and tried again
        wait_until(lambda: proxy.connections >= 2 and p.log_lines(
            r"standby.*timed out"), timeout=30,
            what="two connection attempts and a timeout in the log "
                 "(%d connections)" % proxy.connections)
        assert len(p.queue_entries(ALICE)) == 30
        st = standby_status(p, ALICE)
        assert "timed out" in st["last_error"], st
        assert s.count(ALICE, "Orders") == 0

        proxy.set_faults("hang", [40000, 100000])
        wait_until(lambda: proxy.faults >= 2, timeout=60,
                   what="two hangs in mid-session")
        wait_mirrored(p, s, ALICE, {"Orders": 30}, timeout=60)
        time.sleep(2)
        report_fault("standby-silent", p, s, ALICE, ["Orders"], want)
        assert p.dead_entries(ALICE) == []
    finally:
        proxy.close()


def test_fault_connection_cut_in_append_literal(env):
    """The standby's connection is cut in the middle of the APPENDs three
    times (after 100 KB, 300 KB, 700 KB of the worker's data; 64 KB
    messages, so inside a literal): the entries in flight are uncertain,
    the next run looks for them before sending again. Once more the
    standby's replies are lost after 500 KB while it gets all APPENDs
    sent (then the connection closes): entries on the standby, but
    without an OK the worker saw."""
    proxy = FaultProxy(mode="forward")
    try:
        p, s = env.pair(start=False, settings={
            "standby_port": str(proxy.port)})
        proxy.target = s.ports["imaps"]
        proxy.set_faults("cut", [100000, ("mute", 500000), 300000,
                                 700000])
        p.start()
        s.start()
        p.add_mirrored_user(ALICE)
        p.set_script(ALICE, MIRROR_ORDERS)
        msgs, _ = deliver_many(p, ALICE, 40, lambda i: "order %d" % i,
                               body=BODY_16K * 4)
        want = [message_id(m) for m in msgs]
        wait_mirrored(p, s, ALICE, {"Orders": 40}, timeout=90)
        time.sleep(2)
        assert proxy.faults == 4, proxy.faults
        # the APPENDs whose OK was lost were found, not sent again
        assert p.log_lines(r"was already on the standby"), \
            "no uncertain entry was found on the standby"
        # the standby saw at least one literal end early
        # (2.3 logs "While APPENDing: ...", 2.4 "While running APPEND
        # command: ...")
        during = ("While running APPEND command" if dovecot_24()
                  else "While APPENDing")
        cut = [m for m in re.finditer(
            during + r": \d+ msgs, \d+ secs, (\d+)/(\d+) bytes",
            s.log_text()) if 0 < int(m.group(1)) < int(m.group(2))]
        assert cut, "no APPEND literal was cut: %s" % s.log_lines(
            r"Disconnected")
        report_fault("connection-cut-in-append", p, s, ALICE, ["Orders"],
                     want, note="%d faults, %d cut inside a literal" % (
                         proxy.faults, len(cut)))
        assert p.dead_entries(ALICE) == []
    finally:
        proxy.close()


STANDBY_QUOTA_CONF = """
mail_plugins = $mail_plugins quota
plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=%s
  quota_max_mail_size = 100K
}
"""
# The same in Dovecot 2.4 (the count driver counts virtual sizes there)
STANDBY_QUOTA_CONF_24 = """
mail_plugins {
  quota = yes
}
quota "User quota" {
  driver = count
  storage_size = %s
}
quota_mail_size = 100K
"""


def standby_quota_conf(size):
    return (STANDBY_QUOTA_CONF_24 if dovecot_24()
            else STANDBY_QUOTA_CONF) % size


def test_fault_standby_quota_and_oversize(env):
    """The standby has Dovecot's quota plugin: a message over its
    quota_max_mail_size (NO [LIMIT]) goes to the dead letters at once,
    tried once; messages over the quota (NO [OVERQUOTA]) are retried with
    backoff until standby_max_queue_lifetime (15 s here), then dead
    letters too. Both show in `doveadm standby status`. After the quota
    is raised, `doveadm standby flush --dead-letters` sends the quota
    ones (once); the over-size one goes back to the dead letters."""
    p, s = env.pair(start=False)
    s.extra_conf = standby_quota_conf("200K")
    s.start()
    p.start()
    p.add_mirrored_user(ALICE, standby_max_queue_lifetime="15s")
    p.set_script(ALICE, MIRROR_ORDERS)
    big = make_msg(subject="order big", body=BODY_16K * 9)   # 150 KB
    assert p.lmtp_deliver(ALICE, big)[ALICE][0] == 250
    wait_until(lambda: p.dead_entries(ALICE), timeout=30,
               what="the over-size message in the dead letters")
    big_id = p.dead_entries(ALICE)[0]
    with open(os.path.join(p.state_dir(ALICE), "dead",
                           big_id + ".reason")) as f:
        reason = f.read()
    assert "refused" in reason and "[LIMIT]" in reason and \
        "larger than the maximum size" in reason, reason
    # (the status is written when the drain ends)
    wait_until(lambda: "larger than the maximum size" in standby_status(
        p, ALICE)["last_error"], timeout=10, what="the error in the status")
    assert standby_status(p, ALICE)["dead"] == "1"

    # 20 x 16 KB against a quota of 200 KB: some do not fit
    msgs, _ = deliver_many(p, ALICE, 20, lambda i: "order %d" % i,
                           body=BODY_16K)
    wait_until(lambda: p.log_lines(r"Warning: .*OVERQUOTA"), timeout=30,
               what="an over-quota refusal")
    wait_until(lambda: "Quota exceeded" in standby_status(
        p, ALICE)["last_error"], timeout=10, what="the error in the status")
    fitted = s.count(ALICE, "Orders")
    assert 0 < fitted < 20, fitted
    # retried, until the lifetime ends; then dead letters with the reason
    wait_until(lambda: len(p.dead_entries(ALICE)) == 1 + 20 - fitted and
               not p.queue_entries(ALICE), timeout=60,
               what="the over-quota messages in the dead letters")
    over_quota = [d for d in p.dead_entries(ALICE) if d != big_id]
    for d in over_quota:
        with open(os.path.join(p.state_dir(ALICE), "dead",
                               d + ".reason")) as f:
            r = f.read()
        assert "standby_max_queue_lifetime" in r and \
            "[OVERQUOTA] Quota exceeded" in r, r
    quota_tries = len(p.log_lines(r"Warning: Mirroring %s " % over_quota[0]))
    st = standby_status(p, ALICE)
    assert st["dead"] == str(1 + 20 - fitted) and st["queued"] == "0", st
    # no endless retry: the over-size message was tried once, and no
    # attempt follows the dead letters
    tries = p.log_lines(r"Warning: Mirroring %s " % big_id)
    assert len(tries) == 1, tries
    attempts = len(p.log_lines(r"Warning: Mirroring "))
    time.sleep(7)               # longer than standby_max_backoff
    assert len(p.log_lines(r"Warning: Mirroring ")) == attempts

    # room on the standby again: the dead letters are sent once more
    s.extra_conf = standby_quota_conf("10M")
    s.write_config()
    s.doveadm("reload")
    r = p.doveadm("standby", "flush", "--dead-letters", "-u", ALICE,
                  check=False)
    assert p.dead_entries(ALICE) == [big_id], (r.stdout, r.stderr)
    assert not p.queue_entries(ALICE)
    report_fault("standby-quota-and-oversize", p, s, ALICE, ["Orders"],
                 [message_id(m) for m in msgs], dead=[message_id(big)],
                 note="%d over quota: tried %d times in 15 s, dead letters,"
                 " then sent by flush --dead-letters; over-size: tried "
                 "once, dead letter: %s" % (
                     20 - fitted, quota_tries,
                     re.sub(r" \([0-9.+ ]+ secs\)", "",
                            reason.split(" ", 1)[1].strip())))


def test_fault_primary_restarted_during_drain(env):
    """The primary's Dovecot (master, LMTP, the worker and its drain) is
    restarted twice while the worker drains 300 entries; mail delivered
    after each restart mirrors as well."""
    # a link of 400 KB/s: the drain of 5 MB lasts past the restarts
    with slow_link_pair(env, 400000) as (p, s):
        primary_restarted(p, s)


def primary_restarted(p, s):
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    msgs, _ = deliver_many(p, ALICE, 300, lambda i: "order %d" % i,
                           body=BODY_16K)
    wait_until(lambda: len(p.queue_entries(ALICE)) == 300, timeout=20)
    s.start()
    last = 0
    for restart in range(2):
        wait_until(lambda: s.count(ALICE, "Orders") > last, timeout=60,
                   what="the drain to make progress")
        drains = descendants(p.worker_pids()[0])
        assert drains, "no drain process"
        p.stop()
        # the drains ended with Dovecot (and so never keep the worker's
        # listener: the master would not start again)
        wait_until(lambda: not any(pid_alive(d) for d in drains),
                   timeout=5, what="the drain processes to end")
        p.start()
        last = s.count(ALICE, "Orders")
        assert last < len(msgs), "the drain ended before restart %d" % restart
        more, _ = deliver_many(p, ALICE, 20,
                               lambda i: "order after restart %d" % i)
        msgs += more
    wait_mirrored(p, s, ALICE, {"Orders": len(msgs)}, timeout=120)
    time.sleep(2)
    report_fault("primary-restarted-during-drain", p, s, ALICE, ["Orders"],
                 [message_id(m) for m in msgs], note="2 restarts")
    assert p.dead_entries(ALICE) == []
    assert p.tmp_entries(ALICE) == []


def test_fault_standby_self_signed_certificate(env):
    """The standby's certificate is replaced by a self-signed one for
    CN=localhost (same names, no trusted issuer): nothing is sent, the
    entries stay queued, `doveadm standby status` names the TLS error.
    With the right certificate back, everything arrives once."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    good = (s.cert, s.key)
    key = os.path.join(env.dir, "self-signed.key")
    crt = os.path.join(env.dir, "self-signed.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "3",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    s.stop()
    s.cert, s.key = crt, key
    s.start()
    mark = s.log_mark()
    msgs, _ = deliver_many(p, ALICE, 20, lambda i: "order %d" % i)
    wait_until(lambda: p.log_lines(
        r"Error: .*standby.*(certificate|verif|SSL|TLS)"), timeout=30,
        what="a TLS error in the log")
    wait_until(lambda: re.search(r"certificate|TLS", standby_status(
        p, ALICE)["last_error"]), timeout=10, what="the error in the status")
    time.sleep(6)             # longer than standby_max_backoff: retried
    assert len(p.queue_entries(ALICE)) == 20
    # nothing sent: no login on the standby (before the harness's own)
    # (the harness's own IMAP client would not trust the server either)
    text = s.log_since(mark)
    assert not re.search(r"%s: user=" % login_word(), text), text
    st = standby_status(p, ALICE)
    print("# status with the self-signed certificate: last_error=%s" %
          st["last_error"])

    s.stop()
    s.cert, s.key = good
    s.start()
    # backoff at most standby_max_backoff (5 s): no flush needed
    wait_mirrored(p, s, ALICE, {"Orders": 20}, timeout=60)
    time.sleep(2)
    report_fault("standby-self-signed-certificate", p, s, ALICE, ["Orders"],
                 [message_id(m) for m in msgs],
                 note="0 sent while self-signed")


def test_fault_queue_file_system_full(env):
    """The user's standby_state_dir is a 256 KB tmpfs and the standby is
    down: small entries fill the file system to the last block. Delivery
    goes on; every failure shows in `doveadm standby status` (the status
    file is rewritten in place when no new file fits); once the standby
    is back, the queue drains (each accepted entry in the ledger), the
    messages that did not fit are queued again from the mailbox (the
    missed list) and mirroring resumes: nothing lost."""
    p, s = env.pair()
    mnt = os.path.join(env.dir, "statefs")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        "size=256k,mode=0700,uid=5000,gid=5000", "tmpfs",
                        mnt], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise HarnessError("cannot mount a tmpfs (the test needs root with "
                           "CAP_SYS_ADMIN): %s" % r.stdout.decode().strip())
    try:
        queue_fs_full(p, s, mnt)
    finally:
        p.stop()
        subprocess.run(["umount", "-l", mnt])


def queue_fs_full(p, s, mnt):
    p.add_mirrored_user(ALICE, standby_state_dir=mnt)
    p.set_script(ALICE, MIRROR_ORDERS)
    s.stop()
    # one small message makes the worker write its status (standby down)
    assert p.lmtp_deliver(ALICE, make_msg())[ALICE][0] == 250
    wait_until(lambda: p.status(ALICE).get("last_error"), timeout=20,
               what="the worker's first status")
    queued, unqueued = [m.message_id for m in p.fetch_all(ALICE)], []
    with p.lmtp() as lmtp:
        for i in range(80):
            msg = make_msg(subject="order %d" % i)
            n = len(p.queue_entries(ALICE))
            res = lmtp.deliver(ALICE, msg)
            assert res[ALICE][0] == 250, (i, res)
            (queued if len(p.queue_entries(ALICE)) > n else
             unqueued).append(message_id(msg))
    assert p.count(ALICE) == 81
    assert queued and unqueued, (len(queued), len(unqueued))
    assert p.log_lines(r"Error: .*Failed to queue.*No space left"), \
        "no ENOSPC error in the log"
    st = standby_status(p, ALICE)
    print("# status with the file system full: queued=%s "
          "queue_write_failures=%s last_error=%s" % (
              st["queued"], st["queue_write_failures"], st["last_error"]))
    assert st["queue_write_failures"] == str(len(unqueued)), st
    assert st["missed"] == str(len(unqueued)), st
    assert "Failed to queue" in st["last_error"] and \
        "No space left on device" in st["last_error"], st

    # each one that did not fit is in the missed list, whose space was
    # reserved when the queue was made
    missed = p.missed_records(ALICE)
    assert len(missed) == len(unqueued), (len(missed), len(unqueued))
    assert p.log_lines(r"Failed to queue message for the standby \(noted "
                       r"to be queued again later\)"), \
        "no 'noted to be queued again' in the log"

    s.start()
    # the drain makes room; then the worker finds the missed ones in the
    # mailbox and queues them again
    wait_mirrored(p, s, ALICE, {"Orders": len(queued) + len(unqueued)},
                  timeout=90)
    assert p.log_lines(r"Queued %d messages again that could not be "
                       r"queued before" % len(unqueued)), \
        "no 'Queued ... again' in the log"
    assert p.missed_records(ALICE) == [], p.missed_records(ALICE)
    assert standby_status(p, ALICE)["missed"] == "0"
    # space is back: new mail mirrors again
    more, _ = deliver_many(p, ALICE, 10, lambda i: "order later %d" % i)
    queued += unqueued + [message_id(m) for m in more]
    wait_mirrored(p, s, ALICE, {"Orders": len(queued)}, timeout=60)
    time.sleep(2)
    report_fault("queue-file-system-full", p, s, ALICE, ["Orders"], queued,
                 note="%d not queued while the file system was full "
                 "(queue_write_failures=%s), noted in the missed list and "
                 "queued again once there was room" % (
                     len(unqueued), st["queue_write_failures"]))
    # every message the standby took is in the ledger (failback and
    # verify rely on it)
    assert len(p.ledger(ALICE)) == len(queued), \
        "ledger has %d lines for %d mirrored" % (len(p.ledger(ALICE)),
                                                 len(queued))


def test_missed_message_deleted_before_requeue(env):
    """The queue's tmp/ cannot be written (mode 0500): four deliveries
    (the last one a second delivery of the third, of the same size) are
    noted in the missed list instead.
    The user deletes one of them before the queue is writable again;
    then the worker (retrying the list every 10 s) queues the other three
    again from the mailbox, each from its own message, and logs the
    deleted one as gone, not mirrored."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    first, _ = deliver_many(p, ALICE, 1, lambda i: "order first")
    wait_mirrored(p, s, ALICE, {"Orders": 1})
    assert p.missed_records(ALICE) == []

    tmp = os.path.join(p.state_dir(ALICE), "tmp")
    os.chmod(tmp, 0o500)
    try:
        msgs, _ = deliver_many(p, ALICE, 3, lambda i: "order %d" % i)
        assert p.lmtp_deliver(ALICE, msgs[2])[ALICE][0] == 250
        msgs.append(msgs[2])
        assert p.count(ALICE) == 5
        assert len(p.missed_records(ALICE)) == 4, p.missed_records(ALICE)
        assert len(p.log_lines(r"Failed to queue message for the standby "
                               r"\(noted to be queued again later\): "
                               r".*Permission denied")) == 4
        gone = message_id(msgs[1])
        p.doveadm("expunge", "-u", ALICE, "mailbox", "INBOX",
                  "header", "Message-ID", gone)
        assert p.count(ALICE) == 4
    finally:
        os.chmod(tmp, 0o700)

    wait_until(lambda: p.missed_records(ALICE) == [], timeout=40,
               what="the missed list to be emptied")
    wait_mirrored(p, s, ALICE, {"Orders": 4}, timeout=30)
    copies = s.fetch_all(ALICE, "Orders")
    want = [message_id(first[0]), message_id(msgs[0]), message_id(msgs[2]),
            message_id(msgs[2])]
    assert sorted(c.message_id for c in copies) == sorted(want), \
        [c.message_id for c in copies]
    # the message delivered twice has the same size both times but not
    # the same bytes (Received: names the LMTP session): each note must
    # have found its own
    prim = [strip_headers(m.raw) for m in p.fetch_all(ALICE)]
    got = [strip_headers(c.raw) for c in copies]
    assert len(set(got)) == 4 and all(g in prim for g in got), \
        "copies are not the primary's 4 remaining messages"
    assert p.log_lines(r"Queued 3 messages again that could not be "
                       r"queued before"), "no 'Queued 3 messages again'"
    assert p.log_lines(r"Warning: .*A message that could not be queued "
                       r"\(folder 'Orders', \d+ bytes, SHA-256 [0-9a-f]{64}\) "
                       r"is in no mailbox any more: not mirrored"), \
        "no warning for the deleted message"
    time.sleep(1)
    assert s.count(ALICE, "Orders") == 4


def test_missed_note_left_behind_not_queued_twice(env):
    """A drain ended after it queued the noted messages again but before
    it dropped their notes (the worker stopped, say) leaves the notes
    behind. The next run finds their entry ids in the ledger (sent
    already) or in the queue (the standby is down) and drops the notes
    instead of queueing second copies. The test writes the list back as
    it was before the drop, which is what such a drain leaves."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    path = os.path.join(p.state_dir(ALICE), "missed")
    tmp = os.path.join(p.state_dir(ALICE), "tmp")
    dropped_rx = r"A message of the missed list was queued already " \
                 r"\(id %s\): note dropped"

    def noted(n, subject):
        """n deliveries noted in the missed list: (messages, the list's
        bytes, the notes' entry ids)"""
        os.chmod(tmp, 0o500)
        try:
            msgs, _ = deliver_many(p, ALICE, n, subject)
            notes = p.missed_records(ALICE)
            assert len(notes) == n, notes
            with open(path, "rb") as f:
                data = f.read()
        finally:
            os.chmod(tmp, 0o700)
        return msgs, data, [l.split("\t")[1] for l in notes]

    def put_back(data):
        # in place, as the drop writes it
        with open(path, "r+b") as f:
            f.write(data)
        poke_worker(p, ALICE)

    # the first entry makes the list's reserve
    first, _ = deliver_many(p, ALICE, 1, lambda i: "order first")
    wait_mirrored(p, s, ALICE, {"Orders": 1})

    # sent already: the notes' ids are in the ledger
    sent, data, ids = noted(2, lambda i: "order sent %d" % i)
    poke_worker(p, ALICE)
    wait_until(lambda: p.missed_records(ALICE) == [], timeout=40,
               what="the missed list to be emptied")
    wait_mirrored(p, s, ALICE, {"Orders": 3}, timeout=30)
    assert set(ids) <= {r[0] for r in p.ledger(ALICE)}, \
        "not queued under the notes' ids: %s" % ids
    put_back(data)
    wait_until(lambda: p.missed_records(ALICE) == [] and
               not p.queue_entries(ALICE), timeout=40,
               what="the notes put back to be dropped")
    time.sleep(1)
    assert s.count(ALICE, "Orders") == 3, "sent a second time"
    for i in ids:
        assert p.log_lines(dropped_rx % i), "no 'note dropped' for %s" % i

    # queued, not sent (the standby is down): the id is in the queue
    s.stop()
    queued, data, ids = noted(1, lambda i: "order queued")
    poke_worker(p, ALICE)
    wait_until(lambda: p.missed_records(ALICE) == [] and
               p.queue_entries(ALICE) == ids, timeout=40,
               what="the note queued under its id (queue %s)" %
               p.queue_entries(ALICE))
    put_back(data)
    # (the line comes before the drop)
    wait_until(lambda: p.log_lines(dropped_rx % ids[0]) and
               p.missed_records(ALICE) == [], timeout=40,
               what="the note put back to be dropped")
    assert p.queue_entries(ALICE) == ids, p.queue_entries(ALICE)

    s.start()
    wait_mirrored(p, s, ALICE, {"Orders": 4}, timeout=60)
    check_exactly_once(p, s, ALICE, "Orders",
                       [message_id(m) for m in first + sent + queued])
    time.sleep(1)
    assert s.count(ALICE, "Orders") == 4


def test_uncertain_entry_found_behind_many_same_size(env):
    """An uncertain entry (an APPEND was sent, the OK never seen) whose
    copy is on the standby behind more than 50 newer messages of the same
    size (an order template; other mail went out while the entry waited)
    is found there, not sent a second time."""
    p, s = env.pair(start=False)
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    msg = make_msg(subject="order 1", body=BODY_16K)
    assert p.lmtp_deliver(ALICE, msg)[ALICE][0] == 250
    wait_until(lambda: len(p.queue_entries(ALICE)) == 1, timeout=10)
    entry = p.queue_entries(ALICE)[0]
    path = os.path.join(p.state_dir(ALICE), "queue", entry)
    # after the worker's first attempt (standby down), not due for an
    # hour: the worker leaves it alone while the standby is prepared
    wait_until(lambda: p.status(ALICE).get("last_error"), timeout=20,
               what="the worker's first attempt")
    os.utime(path, (time.time() + 3600,) * 2)
    # the copy of the first attempt, then 60 others of the same size
    s.start()
    mid = message_id(msg)
    raw = p.fetch_all(ALICE)[0].raw
    others = [raw.replace(mid.encode(), ("<%s-%03d>" % (
        mid[1:-5], i)).encode()[:len(mid)].ljust(len(mid), b"x"))
        for i in range(60)]
    assert all(len(o) == len(raw) for o in others)
    s.append(ALICE, "Orders", raw)
    for o in others:
        s.append(ALICE, "Orders", o)
    # the entry as the worker leaves it after sending: marked uncertain;
    # due now
    os.chmod(path, 0o400)
    os.utime(path, (time.time() - 1,) * 2)
    poke_worker(p, ALICE)
    wait_until(lambda: not p.queue_entries(ALICE), timeout=30,
               what="the worker to take the entry")
    copies = [m.message_id for m in s.fetch_all(ALICE, "Orders")]
    assert copies.count(mid) == 1, "%d copies of %s" % (copies.count(mid),
                                                       mid)
    assert len(copies) == 61
    assert p.log_lines(r"%s was already on the standby" % entry)
