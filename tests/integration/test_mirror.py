"""Mirroring on delivery: rules, folders, flags, byte identity (issue 2)."""

import os
import time

from harness import (make_msg, message_id, assert_same_message,
                     assert_clean_logs, assert_no_passwords_in_logs,
                     wait_mirrored, login_word)

ALICE = "alice@primary.test"

RULES = """\
require ["vnd.standby.mirror", "envelope", "subaddress"];
# sender domain
if address :domain :is "from" "customer.example" {
  mirror :mailbox "Orders";
}
# subject words, with flags and a keyword on the copy
if header :contains "subject" ["invoice", "Rechnung"] {
  mirror :mailbox "Invoices" :flags ["\\\\Flagged", "$Invoice"];
}
# recipient address (envelope, +detail)
if envelope :detail "to" "shop" {
  mirror;
}
"""


def by_id(msgs):
    out = {}
    for m in msgs:
        assert m.message_id not in out, "duplicate %s" % m.message_id
        out[m.message_id] = m
    return out


def test_rules_mirror_exactly_the_matching(env):
    p, s = env.pair()
    pw, spw = p.add_mirrored_user(ALICE)
    p.set_script(ALICE, RULES)
    cases = [
        # (rcpt, from, subject, expected standby folders)
        (ALICE, "bob@customer.example", "Order 1", ["Orders"]),
        (ALICE, "x@other.example", "Invoice 42", ["Invoices"]),
        ("alice+shop@primary.test", "x@other.example", "hi", ["INBOX"]),
        (ALICE, "Bob <bob@customer.example>", "Rechnung 7",
         ["Orders", "Invoices"]),
        (ALICE, "x@other.example", "lunch", []),
        (ALICE, "x@customer.example.net", "newsletter", []),
        ("alice+other@primary.test", "x@other.example", "no", []),
    ]
    want = {"INBOX": set(), "Orders": set(), "Invoices": set()}
    with p.lmtp() as lmtp:
        for rcpt, frm, subj, folders in cases:
            msg = make_msg(subject=subj, sender=frm, to=rcpt)
            res = lmtp.deliver(rcpt, msg)
            assert res[rcpt][0] == 250, res
            for f in folders:
                want[f].add(message_id(msg))
    got = wait_mirrored(p, s, ALICE, {f: len(ids) for f, ids in want.items()})
    primary = by_id(p.fetch_all(ALICE, "INBOX"))
    assert len(primary) == len(cases)
    for folder, ids in want.items():
        copies = by_id(got[folder])
        assert set(copies) == ids, (folder, set(copies), ids)
        for mid, copy in copies.items():
            flags = {"\\Flagged", "$Invoice"} if folder == "Invoices" else ()
            assert_same_message(primary[mid], copy, flags)
    assert p.dead_entries(ALICE) == []
    # the ledger records each copy
    ledger = p.ledger(ALICE)
    assert len(ledger) == sum(len(v) for v in want.values()), ledger
    assert_clean_logs(env)
    assert_no_passwords_in_logs(env, [pw, spw])


def test_user_without_settings_is_untouched(env):
    """standby_host only in alice's userdb: bob (same script, no settings)
    gets plain delivery and no state; alice is mirrored. One LMTP
    transaction for both (the 2nd recipient reads the 1st one's copy)."""
    s = env.make_standby()
    p = env.make_primary(standby=s, settings={"standby_host": None,
                                              "standby_port": None})
    pw, spw = p.add_mirrored_user(ALICE, standby_host="127.0.0.1",
                                  standby_port=s.ports["imaps"])
    bob = "bob@primary.test"
    p.add_user(bob)
    script = 'require "vnd.standby.mirror";\nmirror;\n'
    p.set_script(ALICE, script)
    p.set_script(bob, script)
    for rcpts in ([bob, ALICE], [ALICE, bob]):
        msg = make_msg()
        res = p.lmtp_deliver(rcpts, msg)
        assert all(r[0] == 250 for r in res.values()), res
    got = wait_mirrored(p, s, ALICE, {"INBOX": 2})
    prim = by_id(p.fetch_all(ALICE))
    for copy in got["INBOX"]:
        assert_same_message(prim[copy.message_id], copy)
    assert p.count(bob) == 2
    assert not os.path.exists(p.state_dir(bob)), os.listdir(p.state_dir(bob))
    assert_clean_logs(env)
    assert_no_passwords_in_logs(env, [pw, spw])


def test_mirror_and_fileinto_combine(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, """\
require ["vnd.standby.mirror", "fileinto", "mailbox"];
fileinto :create "Work";
mirror :mailbox "Work";
""")
    res = p.lmtp_deliver(ALICE, make_msg(subject="work"))
    assert res[ALICE][0] == 250, res
    got = wait_mirrored(p, s, ALICE, {"Work": 1, "INBOX": 0})
    assert p.count(ALICE, "INBOX") == 0, "fileinto did not cancel keep"
    work = p.fetch_all(ALICE, "Work")
    assert len(work) == 1
    assert_same_message(work[0], got["Work"][0])
    assert_clean_logs(env)


def test_two_mirrors_same_folder_one_copy(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, """\
require "vnd.standby.mirror";
mirror :mailbox "Orders";
mirror :mailbox "Orders";
mirror;
mirror :mailbox "INBOX";
""")
    res = p.lmtp_deliver(ALICE, make_msg())
    assert res[ALICE][0] == 250, res
    got = wait_mirrored(p, s, ALICE, {"Orders": 1, "INBOX": 1})
    # keep was not cancelled and not doubled on the primary
    prim = p.fetch_all(ALICE)
    assert len(prim) == 1, prim
    for f in ("Orders", "INBOX"):
        assert_same_message(prim[0], got[f][0])
    # and nothing more trickles in later
    time.sleep(2)
    assert s.count(ALICE, "Orders") == 1 and s.count(ALICE, "INBOX") == 1
    assert_clean_logs(env)


def test_two_recipients_two_standby_accounts(env):
    p, s = env.pair()
    carol = "carol@primary.test"
    p.add_mirrored_user(ALICE, standby_user="alice-standby")
    p.add_mirrored_user(carol, standby_user="carol-standby")
    p.set_script(ALICE, 'require "vnd.standby.mirror";\n'
                        'mirror :mailbox "A";\n')
    p.set_script(carol, 'require "vnd.standby.mirror";\n'
                        'mirror :mailbox "C";\n')
    res = p.lmtp_deliver([ALICE, carol], make_msg(subject="for both"))
    assert all(r[0] == 250 for r in res.values()), res
    ga = wait_mirrored(p, s, ALICE, {"A": 1, "C": 0})
    gc = wait_mirrored(p, s, carol, {"C": 1, "A": 0})
    assert_same_message(p.fetch_all(ALICE)[0], ga["A"][0])
    assert_same_message(p.fetch_all(carol)[0], gc["C"][0])
    assert_clean_logs(env)


def test_starttls(env):
    p, s = env.pair()
    p.add_mirrored_user(ALICE, standby_ssl="starttls",
                        standby_port=s.ports["imap"])
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    res = p.lmtp_deliver(ALICE, make_msg())
    assert res[ALICE][0] == 250, res
    got = wait_mirrored(p, s, ALICE, {"INBOX": 1})
    assert_same_message(p.fetch_all(ALICE)[0], got["INBOX"][0])
    assert s.log_lines(r"imap-login: .*%s: user=<%s>.*TLS" %
                       (login_word(), ALICE)), \
        "the worker's login on the standby was not over TLS"
    assert_clean_logs(env)


def test_script_uploaded_by_managesieve(env):
    """managesieve loads the Sieve plugin: a mirror script is accepted, a
    bad one is refused with a clear message; the uploaded script works."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    ms = p.managesieve(ALICE)
    try:
        status, text = ms.putscript("bad", 'require "vnd.standby.mirror";\n'
                                           'mirror :mailbox "";\n',
                                    check=False)
        assert status == "NO" and "mirror" in text.lower(), (status, text)
        ms.putscript("rules", 'require "vnd.standby.mirror";\n'
                              'mirror :mailbox "Uploaded";\n')
        ms.setactive("rules")
    finally:
        ms.logout()
    res = p.lmtp_deliver(ALICE, make_msg())
    assert res[ALICE][0] == 250, res
    got = wait_mirrored(p, s, ALICE, {"Uploaded": 1})
    assert_same_message(p.fetch_all(ALICE)[0], got["Uploaded"][0])
    assert_clean_logs(env)
