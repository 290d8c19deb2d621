"""The harness itself, on stock Dovecot (no dovecot-standby plugins): if
these fail, the environment is broken, not the product."""

import time

from harness import make_msg, assert_no_passwords_in_logs


def test_stock_lmtp_sieve_imap(env):
    """Primary without our plugins: LMTP delivery through a plain Sieve
    script, fetched back over IMAP (imaps)."""
    p = env.make_primary(mirror=False)
    pw = p.add_user("alice@primary.test")
    p.set_script("alice@primary.test", """\
require ["fileinto", "mailbox", "imap4flags", "envelope", "subaddress"];
if header :contains "subject" "work" {
  fileinto :create "Work";
}
if envelope :detail "to" "shop" {
  fileinto :create "Shop";
}
addflag "\\\\Flagged";
""")
    m1 = make_msg(subject="hello")
    m2 = make_msg(subject="some work")
    res = p.lmtp_deliver("alice@primary.test", m1)
    assert res["alice@primary.test"][0] == 250, res
    res = p.lmtp_deliver("alice@primary.test", m2)
    assert res["alice@primary.test"][0] == 250, res

    inbox = p.fetch_all("alice@primary.test", "INBOX")
    assert len(inbox) == 1, inbox
    # LMTP prepends Return-Path and Received; the rest is what we sent
    assert inbox[0].raw.endswith(m1), (inbox[0].raw, m1)
    assert inbox[0].flags == {"\\Flagged"}, inbox[0].flags
    work = p.fetch_all("alice@primary.test", "Work")
    assert len(work) == 1 and work[0].raw.endswith(m2), work
    # the envelope recipient keeps its +detail for Sieve
    m3 = make_msg(subject="detail")
    res = p.lmtp_deliver("alice+shop@primary.test", m3)
    assert res["alice+shop@primary.test"][0] == 250, res
    shop = p.fetch_all("alice@primary.test", "Shop")
    assert len(shop) == 1 and shop[0].raw.endswith(m3), shop
    assert "Sent" in p.folders("alice@primary.test")
    assert abs(inbox[0].internaldate.timestamp() - time.time()) < 120
    assert not p.log_errors(), p.log_errors()
    assert_no_passwords_in_logs(env, [pw])


def test_stock_lmtp_multi_rcpt_and_bare_lf(env):
    """Two recipients in one transaction (one reply each) and a message with
    bare LF line endings."""
    p = env.make_primary(mirror=False)
    p.add_user("a@primary.test")
    p.add_user("b@primary.test")
    msg = make_msg(subject="bare lf").replace(b"\r\n", b"\n")
    res = p.lmtp_deliver(["a@primary.test", "b@primary.test",
                          "nobody@primary.test"], msg)
    assert res["a@primary.test"][0] == 250, res
    assert res["b@primary.test"][0] == 250, res
    assert res["nobody@primary.test"][0] // 100 == 5, res
    for u in ("a@primary.test", "b@primary.test"):
        got = p.fetch_all(u)
        assert len(got) == 1
        # LMTP prepends Return-Path and Received
        assert got[0].raw.endswith(msg.replace(b"\n", b"\r\n")), got[0].raw


def test_stock_standby_tls(env):
    """Standby: APPEND + FETCH over imaps and STARTTLS with the test CA;
    a client with another CA is refused; INTERNALDATE and flags kept;
    UTF-8 folder names go as mUTF-7."""
    import ssl
    s = env.make_standby()
    s.add_user("alice")
    raw = make_msg(subject="stored")
    date = time.mktime((2022, 3, 4, 5, 6, 7, 0, 0, -1))
    s.append("alice", "Aufträge", raw, flags=("\\Seen",), date=date)
    got = s.fetch_all("alice", "Aufträge")
    assert len(got) == 1
    assert got[0].raw == raw
    assert got[0].flags == {"\\Seen"}
    assert got[0].internaldate.timestamp() == date
    assert "Aufträge" in s.folders("alice")
    c = s.imap("alice", starttls=True)
    typ, data = c.list('""', '"Auftr&AOQ-ge"')
    assert typ == "OK" and data[0] and b"Auftr&AOQ-ge" in data[0], data
    c.logout()
    try:
        s.imap("alice", cafile=env.tls.wrong_ca)
    except ssl.SSLCertVerificationError:
        pass
    else:
        raise AssertionError("an untrusted CA was accepted")


def test_stock_restart_and_passwd_rewrite(env):
    """Stop/start keeps mail; a user added while running can log in
    (passwd-file re-read after the atomic rewrite)."""
    s = env.make_standby()
    s.add_user("u1")
    s.append("u1", "INBOX", make_msg())
    s.stop()
    assert not s.is_running
    s.start()
    assert s.count("u1") == 1
    s.add_user("u2")
    assert s.count("u2") == 0
