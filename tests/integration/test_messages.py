"""Unusual messages and folder names mirror byte-identically (issue 2)."""

from harness import (make_msg, assert_same_message, assert_clean_logs,
                     wait_mirrored)

ALICE = "alice@primary.test"


def mirror_one(env, msg, folder="INBOX", timeout=30):
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    if folder == "INBOX":
        p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    else:
        p.set_script(ALICE, 'require "vnd.standby.mirror";\n'
                            'mirror :mailbox "%s";\n' % folder)
    res = p.lmtp_deliver(ALICE, msg)
    assert res[ALICE][0] == 250, res
    got = wait_mirrored(p, s, ALICE, {folder: 1}, timeout=timeout)
    prim = p.fetch_all(ALICE)
    assert len(prim) == 1
    assert_same_message(prim[0], got[folder][0])
    assert_clean_logs(env)
    return p, s, prim[0], got[folder][0]


def test_30mb_message(env):
    line = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            b"0123456789ab\r\n")          # 76 bytes
    body = line * (30 * 1024 * 1024 // len(line) + 1)
    msg = make_msg(subject="big", body=body)
    assert len(msg) > 30 * 1024 * 1024
    _, _, prim, copy = mirror_one(env, msg, timeout=120)
    assert len(copy.raw) > 30 * 1024 * 1024


def test_8bit_headers(env):
    msg = make_msg(sender="Jürgen Müller <jm@customer.example>",
                   subject="Bestellung für Größe XL – 5 €",
                   headers=["X-Note: naïve ÆØÅ ✓", "X-Latin1: caf\xe9"])
    msg = msg.replace("caf\xe9".encode("utf-8"), b"caf\xe9")  # raw latin-1
    _, _, prim, copy = mirror_one(env, msg)
    assert "Müller".encode() in copy.raw and b"caf\xe9" in copy.raw


def test_bare_lf_message(env):
    msg = make_msg(subject="bare LF",
                   body="line 1\nline 2\n.dot line\n\nend\n")
    msg = msg.replace(b"\r\n", b"\n")
    assert b"\r" not in msg
    mirror_one(env, msg)


def test_utf8_folder_name(env):
    p, s, prim, copy = mirror_one(env, make_msg(subject="Auftrag"),
                                  folder="Aufträge")
    # on the wire it is modified UTF-7
    c = s.imap(ALICE)
    try:
        typ, data = c.list('""', '"Auftr&AOQ-ge"')
    finally:
        c.logout()
    assert typ == "OK" and data and data[0] and b"Auftr&AOQ-ge" in data[0], \
        data
    assert "Aufträge" in s.folders(ALICE)
