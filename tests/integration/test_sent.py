"""Mirroring sent mail: imapsieve on saves into \\Sent, one rule set for
both directions, default vs. personal rules, ManageSieve (issue 3)."""

import imaplib
import os
import re
import time

from harness import (make_msg, message_id, imap_check, imap_quote,
                     assert_same_message, assert_clean_logs, wait_mirrored)

# imaplib (3.11) does not know MOVE (RFC 6851)
imaplib.Commands.setdefault("MOVE", ("SELECTED",))

ALICE = "alice@primary.test"
BOB = "bob@primary.test"

# A fixed INTERNALDATE in the past, so that a copy dated "now" shows
SENT_DATE = time.mktime((2024, 3, 1, 9, 30, 0, 0, 0, -1))

INVOICES_OUT = """\
require ["vnd.standby.mirror", "environment"];
if allof (environment :is "vnd.standby.direction" "outgoing",
          header :contains "subject" "invoice") {
  mirror;
}
"""

MIRROR_ALL = 'require "vnd.standby.mirror";\nmirror;\n'

# As a user's active script: its ordinary filters. Must never run on
# sent mail.
FILTERS = """\
require ["fileinto", "mailbox"];
fileinto :create "Filtered";
"""


def sent_pair(env, rules=None, default_rules=None, start=True):
    """A standby and a primary with the sent-mail block enabled; alice is
    mirrored and (rules) has the personal "standby" script."""
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    p.enable_sent_mirror(default_rules=default_rules or
                         'require "vnd.standby.mirror";\n')
    if start:
        p.start()
    p.add_mirrored_user(ALICE)
    if rules is not None:
        p.set_rules(ALICE, rules)
    return p, s


def append(c, folder, raw, flags=("\\Seen",), date=SENT_DATE):
    """APPEND on an open connection; returns the seconds it took."""
    t0 = time.monotonic()
    imap_check(*c.append(imap_quote(folder),
                         "(%s)" % " ".join(flags) if flags else None,
                         imaplib.Time2Internaldate(date), raw), "APPEND")
    return time.monotonic() - t0


def multiappend(c, folder, raws):
    """One APPEND command with several messages (MULTIAPPEND, literals
    as LITERAL+)."""
    cmd = b"MA1 APPEND " + imap_quote(folder).encode()
    for raw in raws:
        cmd += b" (\\Seen) {%d+}\r\n" % len(raw) + raw
    c.send(cmd + b"\r\n")
    while True:
        line = c.readline()
        assert line, "connection closed during MULTIAPPEND"
        if line.startswith(b"MA1 "):
            break
    assert line.startswith(b"MA1 OK"), line


def by_id(msgs):
    return {m.message_id: m for m in msgs}


def assert_copies(p, s, user, folder, standby_folder, ids, flags=("\\Seen",)):
    """The standby's standby_folder holds exactly the messages ids, each
    byte-identical to the primary's copy in folder, with its INTERNALDATE
    and flags."""
    prim = by_id(p.fetch_all(user, folder))
    copies = by_id(s.fetch_all(user, standby_folder))
    assert set(copies) == set(ids), (standby_folder, sorted(copies),
                                     sorted(ids))
    for mid, copy in copies.items():
        assert_same_message(prim[mid], copy, flags)


def quiet_wait(p, user, secs=1.5):
    """Let the worker act on anything queued; the queue must be empty."""
    time.sleep(secs)
    assert p.queue_entries(user) == [], p.queue_entries(user)


def test_append_to_sent_matching_and_not(env):
    p, s = sent_pair(env, rules=INVOICES_OUT)
    yes = make_msg(subject="Invoice 2024-17", to="customer@customer.example")
    no = make_msg(subject="lunch?", to="friend@example.org")
    c = p.imap(ALICE)
    try:
        append(c, "Sent", yes)
        append(c, "Sent", no)
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Sent": 1, "INBOX": 0})
    assert_copies(p, s, ALICE, "Sent", "Sent", [message_id(yes)])
    assert p.count(ALICE, "Sent") == 2
    # the queue entry said "outgoing", with the default (sent) folder
    assert len(p.log_lines(r"Queued message for the standby's default "
                           r"folder")) == 1, p.log_tail()
    assert_clean_logs(env)


def test_copy_and_move_from_drafts(env):
    p, s = sent_pair(env, rules=MIRROR_ALL)
    m1 = make_msg(subject="quote, copied")
    m2 = make_msg(subject="order confirmation, moved")
    c = p.imap(ALICE)
    try:
        append(c, "Drafts", m1, flags=("\\Seen", "\\Draft"))
        append(c, "Drafts", m2, flags=("\\Seen",))
        quiet_wait(p, ALICE)
        assert s.count(ALICE, "Sent") == 0 and s.count(ALICE) == 0, \
            "a save into Drafts was mirrored"
        imap_check(*c.select("Drafts"), "SELECT")
        imap_check(*c.copy("1", "Sent"), "COPY")
        typ, data = c._simple_command("MOVE", "2", "Sent")
        imap_check(typ, data, "MOVE")
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Sent": 2, "INBOX": 0, "Drafts": 0})
    prim = by_id(p.fetch_all(ALICE, "Sent"))
    copies = by_id(s.fetch_all(ALICE, "Sent"))
    assert set(copies) == {message_id(m1), message_id(m2)}
    assert_same_message(prim[message_id(m1)], copies[message_id(m1)],
                        {"\\Seen", "\\Draft"})
    assert_same_message(prim[message_id(m2)], copies[message_id(m2)],
                        {"\\Seen"})
    assert p.count(ALICE, "Drafts") == 1          # MOVE removed m2
    assert_clean_logs(env)


def test_append_to_other_folders_not_mirrored(env):
    p, s = sent_pair(env, rules=MIRROR_ALL)
    c = p.imap(ALICE)
    try:
        for folder in ("INBOX", "Archive", "Sent-old"):
            c.create(imap_quote(folder))
            append(c, folder, make_msg(subject="in %s" % folder))
        append(c, "Sent", make_msg(subject="the only one"))
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Sent": 1, "INBOX": 0, "Archive": 0,
                                "Sent-old": 0})
    assert s.fetch_all(ALICE, "Sent")[0].raw.find(b"the only one") > 0
    ignored = set(re.findall(r"Mail saved to mailbox (\S+), which is not "
                             r"the \\Sent mailbox", p.log_text()))
    assert ignored == {"INBOX", "Archive", "Sent-old"}, ignored
    assert_clean_logs(env)


def test_sent_items_named_otherwise(env):
    """The primary's \\Sent mailbox is "Sent Items"; a plain folder named
    "Sent" there is not the sent folder."""
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    p.sent_mailbox = "Sent Items"
    p.enable_sent_mirror()
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_rules(ALICE, MIRROR_ALL)
    sent = make_msg(subject="from Outlook")
    c = p.imap(ALICE)
    try:
        append(c, "Sent Items", sent)
        c.create("Sent")
        append(c, "Sent", make_msg(subject="not the sent folder"))
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Sent": 1, "Sent Items": 0})
    assert_copies(p, s, ALICE, "Sent Items", "Sent", [message_id(sent)])
    assert_clean_logs(env)


def test_standby_sent_folder_gesendet(env):
    """The standby's sent folder is "Gesendet" (SPECIAL-USE \\Sent): sent
    mail goes there, not into a new "Sent"."""
    s = env.make_standby(start=False)
    s.sent_mailbox = "Gesendet"
    s.start()
    p = env.make_primary(standby=s, start=False)
    p.enable_sent_mirror()
    p.start()
    p.add_mirrored_user(ALICE)
    p.set_rules(ALICE, MIRROR_ALL)
    sent = make_msg(subject="Rechnung 4711")
    c = p.imap(ALICE)
    try:
        append(c, "Sent", sent)
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Gesendet": 1, "INBOX": 0})
    assert_copies(p, s, ALICE, "Sent", "Gesendet", [message_id(sent)])
    assert "Sent" not in s.folders(ALICE), s.folders(ALICE)
    assert_clean_logs(env)


def test_direction_dependent_rules(env):
    rules = """\
require ["vnd.standby.mirror", "environment"];
if environment :is "vnd.standby.direction" "incoming" {
  mirror :mailbox "In";
} elsif environment :is "vnd.standby.direction" "outgoing" {
  mirror :mailbox "Out" :flags "$Sent";
}
"""
    p, s = sent_pair(env, rules=rules)
    inc = make_msg(subject="incoming", sender="x@customer.example")
    res = p.lmtp_deliver(ALICE, inc)
    assert res[ALICE][0] == 250, res
    out = make_msg(subject="outgoing", sender=ALICE)
    c = p.imap(ALICE)
    try:
        append(c, "Sent", out)
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"In": 1, "Out": 1, "Sent": 0, "INBOX": 0})
    assert_copies(p, s, ALICE, "INBOX", "In", [message_id(inc)], flags=())
    assert_copies(p, s, ALICE, "Sent", "Out", [message_id(out)],
                  flags=("\\Seen", "$Sent"))
    assert_clean_logs(env)


def test_default_rules_vs_personal(env):
    """Alice has no "standby" script: the admin's default rules apply.
    Bob has his own: only his apply. Bob's active script (his ordinary
    filters) runs on delivery, never on sent mail."""
    default = """\
require ["vnd.standby.mirror", "environment"];
if environment :is "vnd.standby.direction" "outgoing" {
  mirror :mailbox "Default-Out";
} else {
  mirror :mailbox "Default-In";
}
"""
    personal = """\
require ["vnd.standby.mirror", "environment"];
if environment :is "vnd.standby.direction" "outgoing" {
  mirror :mailbox "Bob-Out";
} else {
  mirror :mailbox "Bob-In";
}
"""
    p, s = sent_pair(env, default_rules=default)
    p.add_mirrored_user(BOB)
    p.set_rules(BOB, personal)
    p.set_script(BOB, FILTERS)
    msgs = {}
    for user in (ALICE, BOB):
        msgs[user, "in"] = make_msg(subject="to %s" % user, to=user)
        res = p.lmtp_deliver(user, msgs[user, "in"])
        assert res[user][0] == 250, res
        msgs[user, "out"] = make_msg(subject="from %s" % user, sender=user)
        c = p.imap(user)
        try:
            append(c, "Sent", msgs[user, "out"])
        finally:
            c.logout()
    wait_mirrored(p, s, ALICE, {"Default-In": 1, "Default-Out": 1,
                                "Bob-In": 0, "Bob-Out": 0})
    wait_mirrored(p, s, BOB, {"Bob-In": 1, "Bob-Out": 1,
                              "Default-In": 0, "Default-Out": 0})
    assert_copies(p, s, ALICE, "INBOX", "Default-In",
                  [message_id(msgs[ALICE, "in"])], flags=())
    assert_copies(p, s, ALICE, "Sent", "Default-Out",
                  [message_id(msgs[ALICE, "out"])])
    assert_copies(p, s, BOB, "Filtered", "Bob-In",
                  [message_id(msgs[BOB, "in"])], flags=())
    assert_copies(p, s, BOB, "Sent", "Bob-Out",
                  [message_id(msgs[BOB, "out"])])
    # the filters filed the delivered mail, and left the sent one alone
    assert p.count(BOB, "Filtered") == 1 and p.count(BOB, "INBOX") == 0
    sent = p.fetch_all(BOB, "Sent")
    assert len(sent) == 1 and "\\Deleted" not in sent[0].flags, sent
    assert_clean_logs(env)


def test_managesieve_capability_and_upload(env):
    p, s = sent_pair(env)
    ms = p.managesieve(ALICE)
    try:
        assert "vnd.standby.mirror" in ms.sieve_extensions(), \
            ms.capability_text
        status, text = ms.putscript(
            "standby", 'require "vnd.standby.mirror";\n'
                       'mirror :mailbox "../up";\n', check=False)
        assert status == "NO", (status, text)
        assert "mirror command: invalid :mailbox" in text, text
        status, text = ms.putscript(
            "standby", 'require "vnd.standby.mirror";\n'
                       'mirror :flags "\\\\Recent";\n', check=False)
        assert status == "NO" and "invalid :flags item" in text, text
        # the relevance rules: uploaded, not active
        ms.putscript("standby", 'require "vnd.standby.mirror";\n'
                                'mirror :mailbox "Uploaded";\n')
        # and an active script using mirror too (its own rule)
        ms.putscript("main", 'require "vnd.standby.mirror";\n'
                             'mirror :mailbox "Active";\n')
        ms.setactive("main")
    finally:
        ms.logout()
    sent = make_msg(subject="sent")
    c = p.imap(ALICE)
    try:
        append(c, "Sent", sent)
    finally:
        c.logout()
    inc = make_msg(subject="delivered")
    res = p.lmtp_deliver(ALICE, inc)
    assert res[ALICE][0] == 250, res
    # sent: only the "standby" rules; delivered: both scripts
    got = wait_mirrored(p, s, ALICE, {"Uploaded": 2, "Active": 1})
    assert {m.message_id for m in got["Uploaded"]} == {
        message_id(sent), message_id(inc)}
    assert [m.message_id for m in got["Active"]] == [message_id(inc)]
    assert_clean_logs(env)


def test_standby_down_during_100_appends(env):
    p, s = sent_pair(env, rules=MIRROR_ALL)
    s.stop()
    ids, secs = [], []
    c = p.imap(ALICE)
    try:
        for i in range(100):
            msg = make_msg(subject="sent %d" % i, body="x" * 2000 + "\r\n")
            ids.append(message_id(msg))
            secs.append(append(c, "Sent", msg))
    finally:
        c.logout()
    assert p.count(ALICE, "Sent") == 100
    assert len(p.queue_entries(ALICE)) == 100
    # No APPEND waited for the standby (its connect timeout is seconds)
    assert max(secs) < 1.0, "slowest APPEND took %.2fs" % max(secs)
    s.start()
    wait_mirrored(p, s, ALICE, {"Sent": 100}, timeout=60)
    assert_copies(p, s, ALICE, "Sent", "Sent", ids)
    # and nothing more later
    time.sleep(2)
    assert s.count(ALICE, "Sent") == 100
    assert_clean_logs(env, ignore=[r"standby", r"imapc"])


def test_sent_capture_used(env):
    """APPEND into Sent: the Sieve action queues the copy the mail plugin
    kept in memory while saving (no read-back through imapsieve's
    mailbox, which rescans a Maildir per message), for the matching
    messages of a MULTIAPPEND too; nothing of it lands on disk."""
    p, s = sent_pair(env, rules=INVOICES_OUT)
    yes = [make_msg(subject="invoice %d" % i) for i in range(5)]
    no = [make_msg(subject="lunch %d" % i) for i in range(2)]
    c = p.imap(ALICE)
    try:
        for m in (yes[0], no[0], yes[1], no[1], yes[2]):
            append(c, "Sent", m)
        # one command, one transaction, two messages
        multiappend(c, "Sent", yes[3:])
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"Sent": 5, "INBOX": 0})
    assert_copies(p, s, ALICE, "Sent", "Sent", [message_id(m) for m in yes])
    used = p.log_lines(r"Queueing the copy taken while saving")
    assert len(used) == 5, p.log_tail()
    assert not os.path.exists(os.path.join(p.state_dir(ALICE), "capture"))
    assert_clean_logs(env)
