"""doveadm standby restore / failback / verify / status / flush (issue 4)."""

import json
import os
import shutil
import signal
import subprocess
import time

from harness import (make_msg, message_id, imap_quote, mutf7_encode,
                     imap_check, wait_until, wait_mirrored)

ALICE = "alice@primary.test"
BOB = "bob@primary.test"

EX_TEMPFAIL = 75
EX_USAGE = 64
EX_NOTFOUND = 68        # DOVEADM_EX_NOTFOUND
EX_NOTPOSSIBLE = 65     # DOVEADM_EX_NOTPOSSIBLE


def standby(p, *args, fmt="json"):
    """Run `doveadm -f FMT standby ARGS`: (exit code, parsed rows or stdout
    text, stderr)."""
    cmd = p.doveadm_argv("-f", fmt, "standby", *args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    out = r.stdout.decode("utf-8", "replace")
    if fmt == "json":
        # numbers come as JSON numbers: compare everything as text
        out = [{k: str(v) for k, v in row.items()}
               for row in (json.loads(out) if out.strip() else [])]
    return r.returncode, out, r.stderr.decode("utf-8", "replace")


def ok(p, *args):
    code, rows, err = standby(p, *args)
    assert code == 0, (args, code, err)
    return rows


def total(rows, key):
    return sum(int(r[key]) for r in rows)


MIRROR_ALL = 'require ["vnd.standby.mirror"];\nmirror;\n'
MIRROR_ORDERS = """require ["vnd.standby.mirror", "fileinto", "mailbox"];
if header :contains "subject" "order" {
  fileinto :create "Orders";
  mirror :mailbox "Orders" :flags ["$Order"];
}
"""


def append_many(server, user, folder, raws, flags=(), dates=None):
    """APPEND raws over one connection (creating the folder)."""
    import imaplib
    c = server.imap(user)
    try:
        mbox = imap_quote(mutf7_encode(folder))
        c.create(mbox)
        flagstr = "(%s)" % " ".join(flags) if flags else None
        for i, raw in enumerate(raws):
            date = dates[i] if dates else 1700000000 + 60 * i
            imap_check(*c.append(mbox, flagstr,
                                 imaplib.Time2Internaldate(date), raw),
                       "APPEND")
    finally:
        c.logout()


def fill_standby(s, user, folder, n, flags=(), start=0, size=None):
    """Append n messages directly on the standby; returns their raws."""
    raws = []
    for i in range(n):
        body = None
        if size:
            body = ("x" * 76 + "\r\n") * (size // 78)
        raws.append(make_msg(subject="%s %d" % (folder, start + i),
                             body=body))
    append_many(s, user, folder, raws, flags=flags,
                dates=[1700000000 + 3600 * (start + i) for i in range(n)])
    return raws


def imap_do(server, user, *cmds):
    """Run simple IMAP commands [(name, args...)] on one connection."""
    c = server.imap(user)
    try:
        for cmd in cmds:
            getattr(c, cmd[0])(*cmd[1:])
    finally:
        c.logout()


def expunge_ids(server, user, folder, mids):
    """Expunge the messages with these Message-IDs from folder."""
    uids = [str(m.uid) for m in server.fetch_all(user, folder)
            if m.message_id in mids]
    c = server.imap(user)
    try:
        c.select(imap_quote(mutf7_encode(folder)))
        c.uid("STORE", ",".join(uids), "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
    finally:
        c.logout()
    return len(uids)


def same_folder(p, s, user, pfolder, sfolder=None, extra_flags=()):
    prim = {m.message_id: m for m in p.fetch_all(user, pfolder)}
    stby = {m.message_id: m for m in s.fetch_all(user, sfolder or pfolder)}
    assert set(prim) == set(stby), (pfolder, len(prim), len(stby))
    for mid, sm in stby.items():
        pm = prim[mid]
        assert pm.raw == sm.raw, mid
        assert pm.flags == sm.flags | set(extra_flags), (pm.flags, sm.flags)
        assert pm.internaldate == sm.internaldate, (pm.internaldate,
                                                    sm.internaldate)
    return len(prim)



def per_user_pair(env):
    """A pair where standby_host is a userdb field: users added with
    p.add_user() have no standby settings at all."""
    p, s = env.pair(settings={"standby_host": None})

    def add(name):
        return p.add_mirrored_user(name, standby_host="127.0.0.1")
    return p, s, add


def deliver_mirrored(p, s, user, msgs, expected):
    with p.lmtp() as lmtp:
        for m in msgs:
            assert lmtp.deliver(user, m)[user][0] == 250
    # drain in the foreground: the test does not depend on the worker
    standby(p, "flush", "-u", user)
    return wait_mirrored(p, s, user, expected)


# ------------------------------------------------------------- runbook A

def test_runbook_a_restore_deleted_folder(env):
    """A user deleted the folder Orders on the primary: restore -m Orders
    brings it back, bytes, flags and INTERNALDATE equal to the standby's;
    other folders untouched; a rerun adds nothing."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ORDERS)
    orders = [make_msg(subject="order %d" % i) for i in range(6)]
    other = [make_msg(subject="lunch %d" % i) for i in range(3)]
    deliver_mirrored(p, s, ALICE, orders + other, {"Orders": 6})
    before = {m.message_id: m for m in p.fetch_all(ALICE, "Orders")}
    assert len(before) == 6
    inbox_before = p.count(ALICE, "INBOX")
    imap_do(p, ALICE, ("delete", "Orders"))
    assert "Orders" not in p.folders(ALICE)

    # --dry-run lists, copies nothing
    rows = ok(p, "restore", "-u", ALICE, "-m", "Orders", "--dry-run")
    assert len(rows) == 6 and {r["mailbox"] for r in rows} == {"Orders"}
    assert "Orders" not in p.folders(ALICE)

    rows = ok(p, "restore", "-u", ALICE, "-m", "Orders")
    assert [(r["folder"], r["copied"]) for r in rows] == [("Orders", "6")]
    assert same_folder(p, s, ALICE, "Orders") == 6
    after = {m.message_id: m for m in p.fetch_all(ALICE, "Orders")}
    for mid, m in before.items():
        assert after[mid].raw == m.raw
        assert after[mid].internaldate == m.internaldate
        assert "$Order" in after[mid].flags
    assert p.count(ALICE, "INBOX") == inbox_before
    rows = ok(p, "restore", "-u", ALICE, "-m", "Orders")
    assert rows[0]["copied"] == "0" and rows[0]["present"] == "6", rows
    # restored mail is not mirrored back
    time.sleep(1)
    assert s.count(ALICE, "Orders") == 6
    assert p.queue_entries(ALICE) == []


def test_restore_to_mailbox_and_dates(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    fill_standby(s, ALICE, "Archive", 5)   # dates: 1700000000 + 3600*i
    code, _, err = standby(p, "restore", "-u", ALICE, "-m", "Archive",
                           "--since", "2023-11-14", "--before", "yesterday")
    assert code == EX_USAGE and "Invalid --before" in err, (code, err)
    rows = ok(p, "restore", "-u", ALICE, "-m", "Archive",
              "--since", "1700003600", "--before", "1700010800",
              "--to-mailbox", "Restored")
    assert rows[0]["mailbox"] == "Restored" and rows[0]["copied"] == "2"
    assert p.count(ALICE, "Restored") == 2
    assert "Archive" not in p.folders(ALICE)


# ------------------------------------------------------------- runbook B

def test_runbook_b_restore_everything(env):
    """The primary's disk died: mail storage and ~/.standby are gone.
    restore brings back every folder (the standby's Sent into \\Sent);
    a second run adds 0; mail arriving meanwhile is kept."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ALL)
    deliver_mirrored(p, s, ALICE, [make_msg(subject="m%d" % i)
                                   for i in range(5)], {"INBOX": 5})
    fill_standby(s, ALICE, "Sent", 3, flags=("\\Seen",))
    fill_standby(s, ALICE, "Aufträge/2026", 4, flags=("\\Flagged",))
    home = p.home(ALICE)
    shutil.rmtree(os.path.join(home, "Maildir"))
    shutil.rmtree(os.path.join(home, ".standby"))
    # new mail arrives on the empty primary before the restore
    fresh = make_msg(subject="fresh")
    assert p.lmtp_deliver(ALICE, fresh)[ALICE][0] == 250

    rows = ok(p, "restore", "-A")
    assert total(rows, "copied") == 12, rows
    assert same_folder(p, s, ALICE, "Sent") == 3
    assert same_folder(p, s, ALICE, "Aufträge/2026") == 4
    inbox = {m.message_id for m in p.fetch_all(ALICE, "INBOX")}
    assert len(inbox) == 5 + 1 and message_id(fresh) in inbox
    rows = ok(p, "restore", "-u", ALICE)
    assert total(rows, "copied") == 0, rows
    assert total(rows, "present") == total(rows, "found") >= 12, rows


def test_restore_same_size_messages(env):
    """Messages of one size (a shop's order mails often are): restore
    tells them apart by content, copies exactly those the primary lacks,
    a duplicate on the standby once, and a second run nothing."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    raws = [make_msg(subject="order %02d" % i, msgid="<same-%02d@t>" % i,
                     body="Bestellung %02d\r\n" % i) for i in range(8)]
    assert len({len(r) for r in raws}) == 1, [len(r) for r in raws]
    # the standby: all 8 and a second copy of order 07
    append_many(s, ALICE, "Orders", raws + [raws[7]])
    # the primary already holds 0..3 (same bytes, not through the mirror)
    append_many(p, ALICE, "Orders", raws[:4])
    rows = ok(p, "restore", "-u", ALICE, "-m", "Orders")
    # 04..07 copied; 00..03 and the second 07 present
    assert total(rows, "found") == 9, rows
    assert total(rows, "copied") == 4, rows
    assert total(rows, "present") == 5, rows
    got = sorted(m.message_id for m in p.fetch_all(ALICE, "Orders"))
    assert got == sorted(message_id(r) for r in raws), got
    rows = ok(p, "restore", "-u", ALICE, "-m", "Orders")
    assert total(rows, "copied") == 0, rows
    assert p.count(ALICE, "Orders") == 8


# ------------------------------------------------------------- runbook C

def test_runbook_c_failback(env):
    """The primary was down; mail arrived at and was sent from the standby.
    failback copies exactly that, marked $StandbyFailback, not what came
    from the mirror (even if the user deleted it on the primary); a rerun
    adds 0."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ALL)
    mirrored = [make_msg(subject="before %d" % i) for i in range(4)]
    deliver_mirrored(p, s, ALICE, mirrored, {"INBOX": 4})
    # the user deleted one mirrored message on the primary
    assert expunge_ids(p, ALICE, "INBOX", {message_id(mirrored[0])}) == 1

    p.stop()
    new_in = fill_standby(s, ALICE, "INBOX", 5, start=10)
    new_sent = fill_standby(s, ALICE, "Sent", 2, flags=("\\Seen",))
    new_orders = fill_standby(s, ALICE, "Orders", 3)
    p.start()

    rows = ok(p, "failback", "-u", ALICE)
    by = {r["folder"]: r for r in rows}
    assert by["INBOX"]["copied"] == "5" and by["INBOX"]["mirrored"] == "4"
    assert by["Sent"]["copied"] == "2" and by["Orders"]["copied"] == "3"
    inbox = {m.message_id: m for m in p.fetch_all(ALICE, "INBOX")}
    assert message_id(mirrored[0]) not in inbox
    assert len(inbox) == 3 + 5
    for raw in new_in:
        m = inbox[message_id(raw)]
        assert "$StandbyFailback" in m.flags and m.raw == raw
    sent = {m.message_id: m for m in p.fetch_all(ALICE, "Sent")}
    assert set(sent) == {message_id(r) for r in new_sent}
    assert all(m.flags == {"\\Seen", "$StandbyFailback"}
               for m in sent.values())
    assert p.count(ALICE, "Orders") == 3
    rows = ok(p, "failback", "-u", ALICE)
    assert total(rows, "copied") == 0, rows
    # nothing new is counted at all (IMAP "N:*" returns the last message
    # even when its UID < N: it must not show up as found or mirrored)
    assert total(rows, "found") == 0 and total(rows, "mirrored") == 0, rows
    # more mail on the standby later: only that comes
    fill_standby(s, ALICE, "INBOX", 2, start=20)
    rows = ok(p, "failback", "-u", ALICE)
    assert total(rows, "copied") == 2 and total(rows, "found") == 2, rows
    time.sleep(1)
    assert p.queue_entries(ALICE) == []   # nothing mirrored back


def test_runbook_c_failback_interrupted(env):
    """SIGKILL doveadm failback after its first batches, rerun: every
    message exactly once."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    n = 600
    raws = fill_standby(s, ALICE, "INBOX", n, size=60000)
    state = os.path.join(p.state_dir(ALICE), "failback")
    proc = subprocess.Popen(["doveadm", "-c", p.conf_path, "standby",
                             "failback", "-u", ALICE],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: os.path.exists(state) or proc.poll() is not None,
                   timeout=60, interval=0.01, what="first failback batch")
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "finished before the kill"
    have = p.count(ALICE, "INBOX")
    assert 0 < have < n, have
    rows = ok(p, "failback", "-u", ALICE)
    assert total(rows, "copied") + total(rows, "present") == \
        total(rows, "found")
    ids = [m.message_id for m in p.fetch_all(ALICE, "INBOX")]
    assert len(ids) == n and set(ids) == {message_id(r) for r in raws}
    rows = ok(p, "failback", "-u", ALICE)
    assert total(rows, "copied") == 0


# ------------------------------------------------------------- verify

def test_verify_and_repair(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ALL)
    msgs = [make_msg(subject="v%d" % i) for i in range(4)]
    deliver_mirrored(p, s, ALICE, msgs, {"INBOX": 4})
    rows = ok(p, "verify", "-u", ALICE)
    assert rows == [{"user": ALICE, "checked": "4", "ok": "4",
                     "missing": "0", "altered": "0", "requeued": "0"}], rows
    assert expunge_ids(s, ALICE, "INBOX", {message_id(msgs[1])}) == 1
    code, rows, err = standby(p, "verify", "-u", ALICE)
    assert code == EX_NOTFOUND, (code, err)
    assert rows[0]["missing"] == "1" and rows[0]["ok"] == "3", rows
    assert "Missing on the standby" in err
    rows = ok(p, "verify", "-u", ALICE, "--repair")
    assert rows[0]["requeued"] == "1", rows
    ok(p, "flush", "-u", ALICE)
    got = {m.message_id: m for m in s.fetch_all(ALICE, "INBOX")}
    assert len(got) == 4, (len(got), p.queue_entries(ALICE), p.dead_entries(ALICE))
    prim = {m.message_id: m for m in p.fetch_all(ALICE, "INBOX")}
    assert got[message_id(msgs[1])].raw == prim[message_id(msgs[1])].raw
    rows = ok(p, "verify", "-u", ALICE)
    assert rows[0]["ok"] == rows[0]["checked"], rows


# ------------------------------------------------------------- status/flush

def test_status_flush_exit_codes_all_users(env):
    p, s, add = per_user_pair(env)
    add(ALICE)
    add(BOB)
    p.add_user("carol@primary.test")          # no standby settings
    for u in (ALICE, BOB):
        p.set_script(u, MIRROR_ALL)
    rows = ok(p, "status", "-A")
    by = {r["user"]: r for r in rows}
    assert by[ALICE]["enabled"] == "yes" and by[BOB]["enabled"] == "yes"
    assert by["carol@primary.test"]["enabled"] == "no"
    s.stop()
    for u in (ALICE, BOB):
        assert p.lmtp_deliver(u, make_msg())[u][0] == 250
    code, rows, err = standby(p, "flush", "-u", ALICE)
    assert code == EX_TEMPFAIL and rows[0]["remaining"] == "1", (code, err)
    # nothing to read from a stopped standby either
    for verb in ("restore", "failback", "verify"):
        code, _, err = standby(p, verb, "-u", ALICE)
        assert code == EX_TEMPFAIL, (verb, code, err)
        assert "not available" in err, err
    s.start()
    code, rows, err = standby(p, "flush", "-A")
    assert code == EX_NOTPOSSIBLE, (code, err)     # carol
    by = {r["user"]: r for r in rows}
    assert by[ALICE]["remaining"] == "0" and by[BOB]["remaining"] == "0"
    rows = ok(p, "verify", "-u", BOB)
    assert rows[0]["ok"] == "1"
    rows = ok(p, "restore", "-u", BOB, "--dry-run")
    assert rows == [], rows       # the primary has it all
    # tab output too
    code, out, _ = standby(p, "status", "-u", ALICE, fmt="tab")
    assert code == 0 and out.splitlines()[0].startswith("user\tenabled")


# ------------------------------------------------------------- bad input

def test_bad_input(env):
    p, s, add = per_user_pair(env)
    pw, spw = add(ALICE)
    p.add_user("carol@primary.test")
    fill_standby(s, ALICE, "INBOX", 2)
    code, _, err = standby(p, "restore", "-u", "nobody@primary.test")
    assert code == 67, (code, err)                          # EX_NOUSER
    code, _, err = standby(p, "restore", "-u", "carol@primary.test")
    assert code == EX_NOTPOSSIBLE and "No standby configured" in err
    code, _, err = standby(p, "restore", "-u", ALICE, "-m", "Nope")
    assert code == EX_NOTFOUND and "Standby folder Nope not found" in err
    code, _, err = standby(p, "restore", "-u", ALICE, "--since", "tomorrow")
    assert code == EX_USAGE and "Invalid --since" in err, err
    code, _, err = standby(p, "failback", "-u", ALICE, "--since", "2023-13-45")
    assert code == EX_USAGE, err
    # wrong standby password: one clear error, nothing written
    p.set_user_fields(ALICE, standby_password="wrong")
    before = p.folders(ALICE)
    for verb in ("restore", "failback", "verify"):
        code, rows, err = standby(p, verb, "-u", ALICE)
        assert code == EX_TEMPFAIL, (verb, code, err)
        errs = [l for l in err.splitlines() if "Error" in l]
        assert len(errs) == 1 and "not available" in errs[0], err
        assert "wrong" not in err and spw not in err
    assert p.folders(ALICE) == before and p.count(ALICE, "INBOX") == 0
    assert not os.path.exists(os.path.join(p.state_dir(ALICE), "failback"))


def test_restore_large_and_invalid_messages(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    big = make_msg(subject="big", body=("y" * 998 + "\r\n") * 30000)
    assert len(big) > 30 * 1000 * 1000
    junk = b"this is not a mail message at all\r\n\x01\x02\xff\xfe garbage"
    append_many(s, ALICE, "INBOX", [big, junk])
    rows = ok(p, "restore", "-u", ALICE)
    assert total(rows, "copied") == 2, rows
    got = sorted(m.raw for m in p.fetch_all(ALICE, "INBOX"))
    assert got == sorted(m.raw for m in s.fetch_all(ALICE, "INBOX"))
    rows = ok(p, "restore", "-u", ALICE)
    assert total(rows, "copied") == 0 and total(rows, "present") == 2
