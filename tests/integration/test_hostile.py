"""The worker against a hostile or broken standby: tests/imap/
fake-imap-server.py, whose misbehaviour the standby user name chooses.
Nothing crashes or hangs, nothing is lost or dead-lettered, and the status
says what went wrong."""

import os
import subprocess
import sys

from harness import free_port, make_msg, port_open, wait_until

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "imap", "fake-imap-server.py")


class FakeStandby:
    def __init__(self):
        self.port, silent = free_port(), free_port()
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, str(self.port), str(silent)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), timeout=10,
                   what="fake-imap-server.py listening")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def hostile_primary(env, fake, modes, n=2):
    """A primary mirroring to the fake server, one user per mode (its
    standby user name), n messages delivered to each."""
    p = env.make_primary(settings={
        "standby_port": str(fake.port),
        "standby_ssl": "no",
        "standby_timeout": "2s",
    })
    users = {}
    for mode in modes:
        user = "%s@primary.test" % mode
        p.add_mirrored_user(user, standby_user=mode)
        p.set_script(user, 'require "vnd.standby.mirror";\n'
                           'mirror :mailbox "ok";\n')
        users[mode] = user
    with p.lmtp() as lmtp:
        for user in users.values():
            for i in range(n):
                assert lmtp.deliver(user, make_msg())[user][0] == 250
    return p, users


def assert_alive(p):
    assert p.worker_pids(), "no standby-worker process"
    bad = p.log_lines(r"\b(Panic|Fatal):|killed with signal|"
                      r"returned error|core dumped", 0)
    assert not bad, bad


def test_hostile_standby_faults_stay_queued(env):
    # mode -> the error's text
    modes = {
        "noeol": "timed out",
        "unknown-tag": "Unknown tag",
        "bad-tag": "Invalid command tag",
    }
    fake = FakeStandby()
    try:
        p, users = hostile_primary(env, fake, modes)
        for mode, text in modes.items():
            user = users[mode]
            wait_until(lambda: text in p.status(user).get("last_error", ""),
                       timeout=60, what="%s's last_error to say %r (is %r)" % (
                           user, text, p.status(user).get("last_error")))
            # every attempt fails: both stay queued
            assert len(p.queue_entries(user)) == 2, \
                (user, p.queue_entries(user))
            assert p.dead_entries(user) == [], (user, p.dead_entries(user))
        assert_alive(p)
    finally:
        fake.stop()


def test_hostile_standby_noise_is_mirrored(env):
    """Unsolicited EXISTS/EXPUNGE/FETCH/[ALERT] replies, an unparsable
    untagged line and a BYE after each APPEND's OK don't keep the
    standby's OKs from counting (imapc connects again for the next
    command when the connection was lost between commands)."""
    fake = FakeStandby()
    try:
        p, users = hostile_primary(env, fake, ("chatty", "garbage", "bye"))
        for user in users.values():
            wait_until(lambda: not p.queue_entries(user) and
                       len(p.ledger(user)) == 2, timeout=60,
                       what="both of %s's messages accepted" % user)
            assert p.dead_entries(user) == []
        assert p.log_lines(r"Warning: .*The standby says: \[ALERT\] "
                           r"The standby goes down for maintenance")
        assert_alive(p)
    finally:
        fake.stop()


def test_hostile_standby_broken_appenduid(env):
    """An APPENDUID that is junk: the message counts as sent, recorded
    without UID, with a warning."""
    fake = FakeStandby()
    try:
        p, users = hostile_primary(env, fake, ("standby",))
        user = users["standby"]
        p.set_script(user, 'require "vnd.standby.mirror";\n'
                           'mirror :mailbox "uid-set";\n')
        assert p.lmtp_deliver(user, make_msg())[user][0] == 250
        wait_until(lambda: not p.queue_entries(user) and
                   len(p.ledger(user)) == 3, timeout=60,
                   what="3 messages accepted")
        uids = [(r[2], r[3]) for r in p.ledger(user)]
        assert uids[2] == ("0", "0") and uids[0] != ("0", "0"), uids
        assert p.log_lines(r"Warning: .*invalid APPENDUID for a message "
                           r"in uid-set, ignoring it: 77 5:7")
        assert_alive(p)
    finally:
        fake.stop()
