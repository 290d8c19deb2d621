"""Faults: standby down, worker killed, login/TLS refused, queue unwritable
(issue 2). Delivery never fails; nothing is lost or duplicated."""

import os
import random
import re
import statistics
import time

from harness import (make_msg, message_id, assert_same_message,
                     assert_no_passwords_in_logs, wait_mirrored, wait_until,
                     descendants, pid_alive)

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
    SIGKILLed repeatedly while it drains 300 entries."""
    sigkill_during_drain(env, "tree")


def test_worker_main_sigkill_during_drain(env):
    """Only the worker's service process is SIGKILLed (a drain process it
    forked may live on while Dovecot starts a new worker): still no
    duplicates, so two drains of one queue must never overlap."""
    sigkill_during_drain(env, "main")


def sigkill_during_drain(env, which):
    p, s = env.pair(start=False)
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\n'
                        'mirror :mailbox "Orders";\n')
    # queue up 300 while the standby is down, so the drain is one long run
    # (16 KB each, so that a drain takes a while)
    msgs, _ = deliver_many(p, ALICE, 300, lambda i: "order %d" % i,
                           body=("x" * 70 + "\r\n") * 230)
    want = [message_id(m) for m in msgs]
    wait_until(lambda: len(p.queue_entries(ALICE)) == 300, timeout=10)
    s.start()
    # kill the worker whenever the standby grew since the last kill,
    # i.e. in the middle of a drain
    kills, last, deadline = 0, 0, time.monotonic() + 90
    rnd = random.Random(4711)
    while kills < 8 and time.monotonic() < deadline:
        n = s.count(ALICE, "Orders")
        if n >= 300:
            break
        if n > last:
            time.sleep(rnd.uniform(0, 0.05))
            if p.kill_worker(which):
                kills += 1
                last = s.count(ALICE, "Orders")
        time.sleep(0.02)
    assert kills >= 2, "the worker could be killed only %d times mid-drain " \
        "(drain too fast?)" % kills
    wait_mirrored(p, s, ALICE, {"Orders": 300}, timeout=90)
    time.sleep(2)
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
    logins = s.log_lines(r"Login: user=<%s>" % re.escape(suser))
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
