"""The worker's scheduling: a user does not wait for a drain slot while
other users' mail keeps coming (issue 6, found by bench/bench-load.py)."""

import threading
import time

from harness import make_msg, wait_until

USERS = ["busy%d@primary.test" % i for i in range(4)]
QUIET = "quiet@primary.test"


def test_waiting_user_gets_a_slot_during_a_burst(env):
    """Four users get mail every 0.4 s, so their drains (the worker runs
    four at a time) would linger on for good; a fifth user's message is
    mirrored while that goes on, because the worker asks a drain to make
    room."""
    p, s = env.pair()
    for u in USERS + [QUIET]:
        p.add_mirrored_user(u)
        p.set_script(u, 'require "vnd.standby.mirror";\nmirror;\n')
    stop = threading.Event()
    sent = {u: 0 for u in USERS}
    errors = []

    def burst():
        try:
            with p.lmtp() as lmtp:
                while not stop.is_set():
                    for u in USERS:
                        assert lmtp.deliver(u, make_msg())[u][0] == 250
                        sent[u] += 1
                    time.sleep(0.1)
        except Exception as e:          # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=burst)
    t.start()
    try:
        # all four drains are running and lingering
        wait_until(lambda: all(s.count(u) >= 2 for u in USERS),
                   timeout=30, what="the four busy users mirrored")
        res = p.lmtp_deliver(QUIET, make_msg(subject="quiet one"))
        assert res[QUIET][0] == 250, res
        wait_until(lambda: s.count(QUIET) == 1 or errors, timeout=60,
                   what="the quiet user's copy during the burst")
        assert not errors, errors
        assert t.is_alive(), "the burst ended before"
    finally:
        stop.set()
        t.join()
    assert not errors, errors
    for u in USERS:
        wait_until(lambda u=u: s.count(u) == sent[u], timeout=60,
                   what="every copy of %s" % u)
    assert p.log_lines(r"Asked the drain of busy\d@primary.test to make "
                       r"room"), p.log_tail()
