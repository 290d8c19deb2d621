"""A drain that fails, retries and succeeds, with doveadm standby status,
flush and verify on the way. Part of scripts/test's valgrind suite (with
VALGRIND=1 the harness runs the primary's services and doveadm under
valgrind); a plain integration test otherwise."""

import json

from harness import make_msg, message_id, wait_mirrored, wait_until

ALICE = "alice@primary.test"


def doveadm_json(p, *args, check=True):
    r = p.doveadm("-f", "json", "standby", *args, check=check)
    out = r.stdout.decode("utf-8", "replace")
    return r.returncode, json.loads(out) if out.strip() else []


def test_drain_retries_then_doveadm(env):
    p, s = env.pair(start=False)
    p.start()                       # the standby stays down for now
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    msgs = [make_msg(subject="retry %d" % i) for i in range(3)]
    with p.lmtp() as lmtp:
        for m in msgs:
            assert lmtp.deliver(ALICE, m)[ALICE][0] == 250
    # the worker tried, failed, and keeps them queued
    wait_until(lambda: p.status(ALICE).get("last_error"), timeout=60,
               what="a failed drain attempt in the status file")
    assert len(p.queue_entries(ALICE)) == 3 and p.dead_entries(ALICE) == []
    code, rows = doveadm_json(p, "status", "-u", ALICE)
    assert code == 0 and str(rows[0]["queued"]) == "3" and \
        rows[0]["last_error"], rows

    s.start()
    code, rows = doveadm_json(p, "flush", "-u", ALICE, check=False)
    # the worker's retry may have taken them first: either way none remain
    assert code == 0, (code, rows)
    got = wait_mirrored(p, s, ALICE, {"INBOX": 3}, timeout=60)
    assert sorted(m.message_id for m in got["INBOX"]) == \
        sorted(message_id(m) for m in msgs)
    code, rows = doveadm_json(p, "verify", "-u", ALICE)
    assert code == 0 and str(rows[0]["ok"]) == "3", rows
