"""Security properties (issue 6, section 6): a Sieve script cannot send
mail anywhere but the configured standby; the standby password shows up
nowhere but in the configuration; the state files are the mail user's
alone; TLS is required and verified unless configured otherwise; one
user's queue and settings never serve another user."""

import base64
import os
import re
import socket
import stat
import subprocess
import threading
import time

import harness
from harness import (make_msg, message_id, wait_until, wait_mirrored,
                     assert_same_message, assert_clean_logs, run as hrun,
                     VMAIL_UID, VMAIL_GID, login_word)

ALICE = "alice@primary.test"
BOB = "bob@primary.test"
CAROL = "carol@primary.test"
DAVE = "dave@primary.test"

MIRROR_ALL = 'require "vnd.standby.mirror";\nmirror;\n'


# ---------------------------------------------------------------- helpers

class FakeIMAP:
    """A plaintext IMAP server on 127.0.0.1 that records every byte it
    receives. reply(line) returns the bytes to answer a command line
    (without CRLF) or None to stay silent."""

    def __init__(self, greeting, reply):
        self.greeting = greeting
        self.reply = reply
        self.received = bytearray()
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        buf = b""
        try:
            conn.settimeout(60)
            conn.sendall(self.greeting)
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                with self.lock:
                    self.received += data
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    out = self.reply(line)
                    if out:
                        conn.sendall(out)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()

    def data(self):
        with self.lock:
            return bytes(self.received)


def caps_reply(caps, login=None):
    """A reply function: CAPABILITY answers caps; LOGIN/AUTHENTICATE are
    answered by login(tag, line) (None: silence); anything else BAD."""
    def reply(line):
        tag, _, rest = line.partition(b" ")
        cmd = rest.split(b" ", 1)[0].upper()
        if cmd == b"CAPABILITY":
            return b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK done\r\n"
        if cmd in (b"LOGIN", b"AUTHENTICATE") and login is not None:
            return login(tag, line)
        if cmd == b"LOGOUT":
            return b"* BYE bye\r\n" + tag + b" OK done\r\n"
        if cmd in (b"LOGIN", b"AUTHENTICATE"):
            return None
        return tag + b" BAD not here\r\n"
    return reply


def password_forms(user, password):
    """The ways a password could leak: as is, quoted-escaped and in the
    base64 of SASL PLAIN."""
    pw = password.encode("utf-8")
    escaped = pw.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    return [pw, escaped, base64.b64encode(pw),
            base64.b64encode(b"\0" + user.encode() + b"\0" + pw),
            base64.b64encode(user.encode() + b"\0" + user.encode() + b"\0" +
                             pw)]


def find_secret(data, forms):
    for f in forms:
        if f in data:
            return f
    return None


def worker_lines(p, user, rx=r"\b(Error|Warning):"):
    """Log lines of the worker (or its drain child) about user."""
    return [l for l in p.log_lines(r"standby-worker\(%s\)" % re.escape(user))
            if re.search(rx, l)]


def extra_standby(env, name, cert=None):
    """One more standby server (the harness' pair has one)."""
    s = harness.Standby(env, name)
    if cert:
        s.cert, s.key = cert
    env.instances.append(s)
    s.start()
    return s


def wrong_name_cert(env):
    """A certificate signed by the test CA, but for wrong.example only."""
    d = os.path.join(env.dir, "wrongname")
    os.makedirs(d)
    key, csr, crt = (os.path.join(d, n) for n in ("key", "csr", "pem"))
    ext = os.path.join(d, "ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:wrong.example\n")
    hrun(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
          "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
          "-out", csr, "-subj", "/CN=wrong.example"])
    hrun(["openssl", "x509", "-req", "-in", csr, "-CA", env.tls.ca,
          "-CAkey", env.tls.ca_key, "-CAcreateserial", "-days", "3",
          "-extfile", ext, "-out", crt])
    os.chmod(crt, 0o644)
    return crt, key


def add_user_on(p, s, user, standby_user=None, **fields):
    """A primary user mirrored to standby server s (any of several)."""
    suser = standby_user or user
    spw = s.add_user(suser)
    p.add_user(user, standby_user=suser, standby_password=spw, **fields)
    return spw


def count_local(s, user, folder="INBOX"):
    """Messages in a folder, read by doveadm on the server itself (no
    IMAP: works whatever the server's certificate says)."""
    r = s.doveadm("mailbox", "status", "-u", user, "messages", folder,
                  check=False)
    m = re.search(rb"messages=(\d+)", r.stdout)
    return int(m.group(1)) if m else 0


def assert_nothing_reached(s, suser):
    logins = s.log_lines(r"%s: user=<%s>" % (login_word(), re.escape(suser)))
    assert not logins, "the worker logged in on %s: %s" % (s.name, logins)
    assert count_local(s, suser) == 0


# ------------------------------------------------- where mail can go

def test_script_cannot_choose_the_server(env):
    """Whatever a script does, the copy goes to the configured standby
    account: no tag names a host, port or login (ManageSieve refuses
    them), URLs are no folder names, variables named like settings change
    nothing, and a folder name built to inject a queue record falls back
    to the default folder."""
    p, s = env.pair()
    evil = extra_standby(env, "e")
    p.add_mirrored_user(ALICE)
    evil.add_user(ALICE, password=p.standby.password(ALICE))
    s.add_user(BOB)                    # another account on the standby
    target = "127.0.0.1:%d" % evil.ports["imaps"]
    # as folder names (the standby's Maildir++ layout refuses '.')
    folder = "localhost:%d" % evil.ports["imaps"]

    ms = p.managesieve(ALICE)
    try:
        for tag in (':host "127.0.0.1"', ":port %d" % evil.ports["imaps"],
                    ':user "%s"' % BOB, ':password "x"', ':server "%s"'
                    % target, ':account "%s"' % BOB):
            status, text = ms.putscript("x", 'require "vnd.standby.mirror";'
                                        '\nmirror %s;\n' % tag, check=False)
            assert status == "NO" and "unknown tagged argument" in text, \
                (tag, status, text)
        for url in ("imaps://%s/INBOX" % target, "//%s/INBOX" % target,
                    "/%s" % target):
            status, text = ms.putscript("x", 'require "vnd.standby.mirror";'
                                        '\nmirror :mailbox "%s";\n' % url,
                                        check=False)
            assert status == "NO" and "invalid :mailbox" in text, \
                (url, status, text)
        ms.putscript("rules", """\
require ["vnd.standby.mirror", "variables", "environment"];
set "standby_host" "127.0.0.1";
set "standby_port" "%(port)d";
set "standby_user" "%(bob)s";
set "host" "%(folder)s";
mirror :mailbox "${host}";
mirror :mailbox "bob@${host}/INBOX";
mirror :mailbox "Other Users/bob/INBOX";
set "inject" text:
Orders
host=127.0.0.1
port=%(port)d
.
;
mirror :mailbox "${inject}";
""" % {"port": evil.ports["imaps"], "bob": BOB, "folder": folder})
        ms.setactive("rules")
    finally:
        ms.logout()

    res = p.lmtp_deliver(ALICE, make_msg(subject="where does it go"))
    assert res[ALICE][0] == 250, res
    want = {folder: 1, "bob@%s/INBOX" % folder: 1,
            "Other Users/bob/INBOX": 1, "INBOX": 1}
    got = wait_mirrored(p, s, ALICE, want)
    prim = p.fetch_all(ALICE)[0]
    for copies in got.values():
        assert_same_message(prim, copies[0])
    # the user's own Sieve log says why
    with open(os.path.join(p.home(ALICE), ".dovecot.sieve.log")) as f:
        assert re.search(r"warning: mirror action: invalid :mailbox "
                         r"\"Orders.*control character", f.read())
    # nothing reached the other server, or bob's account
    # (the harness' own port probes log "no auth attempts in 0 secs")
    assert not evil.log_lines(r"%s: |auth failed|[1-9]\d* attempts" %
                              login_word(), 0), \
        evil.log_tail()
    assert s.log_lines(r"%s: user=<%s>" % (login_word(), re.escape(BOB))) == []
    assert s.count(BOB, "INBOX") == 0
    assert evil.count(ALICE, "INBOX") == 0
    assert_clean_logs(env)


# ------------------------------------------------- the password

def test_password_only_in_the_configuration(env):
    """With every debug log on, the standby passwords (as they are, quoted
    or in SASL base64) appear in no log, no `doveadm standby` output of any
    format, no file under the primary's directory other than its
    configuration, and no process' command line or environment: for a
    working standby, a wrong password, and servers that answer LOGIN or
    AUTHENTICATE with BAD, echo the credentials in a NO, or never
    answer."""
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    # Every debug line but one kind: Dovecot's own userdb client logs
    # each userdb lookup with all its fields, passwords included
    # (category auth-client; part of mail_debug = yes). See the README.
    # (2.4 has no verbose_ssl: its log_debug includes category ssl)
    p.extra_conf += ("log_debug = NOT category=auth-client\n"
                     "auth_debug = yes\nauth_verbose = yes\n" +
                     ("" if harness.dovecot_24() else "verbose_ssl = yes\n") +
                     "verbose_proctitle = yes\n")

    def creds(line):
        """The credentials of a LOGIN or AUTHENTICATE PLAIN line."""
        parts = line.split(b" ")
        if len(parts) >= 4 and parts[2].upper() == b"PLAIN":
            return base64.b64decode(parts[3]).replace(b"\0", b" ")
        return b" ".join(parts[2:])

    def by_user(tag, line):
        if b"bad-" in creds(line):          # echoes the whole command
            return tag + b" BAD you said: " + line + b"\r\n"
        if b"echo-" in creds(line):         # echoes the credentials
            return (tag + b" NO [AUTHENTICATIONFAILED] wrong: " +
                    creds(line) + b"\r\n")
        return None                          # silence: a timeout
    fake_login = FakeIMAP(b"* OK [CAPABILITY IMAP4rev1] fake\r\n",
                          caps_reply(b"IMAP4rev1", by_user))
    fake_sasl = FakeIMAP(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] "
                         b"fake\r\n",
                         caps_reply(b"IMAP4rev1 AUTH=PLAIN SASL-IR", by_user))
    p.start()
    secrets = {}
    try:
        # a working standby; a special-character password on it
        pw = 'Sb"q\\x-' + os.urandom(4).hex()
        s.add_user(ALICE, password=pw)
        p.add_user(ALICE, standby_user=ALICE, standby_password=pw)
        secrets[ALICE] = pw
        # wrong password on the real standby
        s.add_user(BOB)
        p.add_user(BOB, standby_user=BOB, standby_password="Wr0ng-" +
                   os.urandom(4).hex())
        secrets[BOB] = p.users[BOB][1]["standby_password"]
        # the fake servers, plaintext so that they see the credentials
        fakes = {}
        for fake, kind in ((fake_login, "login"), (fake_sasl, "sasl")):
            for mode in ("bad", "echo", "silent"):
                user = "%s-%s@primary.test" % (mode, kind)
                # 8-bit passwords make imapc use AUTHENTICATE PLAIN
                secrets[user] = "Fk\\%s\"%s%s" % (
                    mode, "\u00fc" if kind == "sasl" else "",
                    os.urandom(4).hex())
                p.add_user(user, standby_user=user,
                           standby_password=secrets[user],
                           standby_host="127.0.0.1", standby_port=fake.port,
                           standby_ssl="no", standby_timeout="2s")
                fakes[user] = fake
        for u in secrets:
            p.set_script(u, MIRROR_ALL)
        with p.lmtp() as lmtp:
            for u in secrets:
                assert lmtp.deliver(u, make_msg(to=u))[u][0] == 250
        wait_mirrored(p, s, ALICE, {"INBOX": 1})
        # every failing user's attempt was logged (and retried once)
        for u in secrets:
            if u == ALICE:
                continue
            wait_until(lambda: len(worker_lines(p, u)) >= 2, timeout=30,
                       what="two logged failures for %s" % u)
        # the fake servers did get the credentials: the checks below
        # look for something that was really there
        for u, fake in fakes.items():
            forms = password_forms(u, secrets[u])
            assert find_secret(fake.data(), forms), \
                "the fake server never saw %s's credentials" % u

        outputs = []
        for fmt in ("table", "json", "tab", "flow"):
            for sel in (["-A"], ["-u", ALICE], ["-u", BOB]):
                r = p.doveadm("-f", fmt, "standby", "status", *sel,
                              check=False)
                assert r.returncode == 0, (fmt, sel, r.stderr)
                outputs.append(("status %s %s" % (fmt, sel),
                                r.stdout + r.stderr))
        for verb in ("flush", "verify"):
            for u in (ALICE, BOB, "echo-sasl@primary.test"):
                r = p.doveadm("standby", verb, "-u", u, check=False)
                outputs.append(("%s %s" % (verb, u), r.stdout + r.stderr))
        assert b"bad-login@primary.test" in outputs[0][1]   # all users

        # files: everything under the primary's directory, and the
        # standby's log
        files = []
        for top in (p.dir,):
            for dirpath, dirnames, filenames in os.walk(top):
                for n in filenames:
                    path = os.path.join(dirpath, n)
                    if path in (p.users_path, p.conf_path):
                        continue          # the configuration
                    if stat.S_ISREG(os.lstat(path).st_mode):
                        files.append(path)
        files.append(s.log_path)
        assert any(f.endswith("/.standby/ledger") for f in files)
        assert any(f.endswith("/.standby/status") for f in files)
        procs = []
        for pid in [p.master_pid] + harness.descendants(p.master_pid):
            for what in ("cmdline", "environ"):
                try:
                    with open("/proc/%d/%s" % (pid, what), "rb") as f:
                        procs.append(("pid %d %s" % (pid, what), f.read()))
                except OSError:
                    pass
        assert len(procs) > 4, procs

        for u, pw in secrets.items():
            forms = password_forms(u, pw)
            for name, data in outputs + procs:
                f = find_secret(data, forms)
                assert f is None, "%s's password (%r) in doveadm %s" % (
                    u, f, name)
            for path in files:
                with open(path, "rb") as fh:
                    f = find_secret(fh.read(), forms)
                assert f is None, "%s's password (%r) in %s" % (u, f, path)
        # and the configuration does hold them (the search works)
        with open(p.users_path, "rb") as fh:
            users = fh.read()
        assert all(pw.encode() in users for pw in secrets.values())
        # both ways of logging in were tried
        assert b"AUTHENTICATE PLAIN" in fake_sasl.data()
        assert b" LOGIN " in fake_login.data()
    finally:
        fake_login.close()
        fake_sasl.close()
    for inst in env.instances:
        assert not inst.log_lines(r"\b(Panic|Fatal):", 0), inst.name


# ------------------------------------------------- file modes

def assert_private(state_dir):
    """Every file and directory in state_dir (and itself) belongs to the
    mail user and is not accessible to group or others."""
    checked = 0
    for dirpath, dirnames, filenames in os.walk(state_dir):
        for path in [dirpath] + [os.path.join(dirpath, n)
                                 for n in filenames]:
            st = os.lstat(path)
            assert (st.st_uid, st.st_gid) == (VMAIL_UID, VMAIL_GID), \
                "%s is owned by %d:%d" % (path, st.st_uid, st.st_gid)
            assert stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode), \
                "%s is neither file nor directory" % path
            assert st.st_mode & 0o077 == 0, "%s has mode %o" % (
                path, stat.S_IMODE(st.st_mode))
            checked += 1
    return checked


def test_state_files_private(env):
    """Queue entries, dead letters and their reasons, the ledger, the
    status and lock files: mode 0600/0700 or stricter, owned by the mail
    user, whether written by LMTP (root, seteuid), the worker or doveadm
    (run as root)."""
    p, s = env.pair(start=False)
    p.start()                               # the standby stays down
    p.add_mirrored_user(ALICE)
    p.add_mirrored_user(BOB, standby_max_queue_lifetime="1s")
    for u in (ALICE, BOB):
        p.set_script(u, 'require "vnd.standby.mirror";\nmirror;\n'
                        'mirror :mailbox "Orders";\n')
        assert p.lmtp_deliver(u, make_msg(to=u))[u][0] == 250
    assert len(p.queue_entries(ALICE)) == 2
    sd = p.state_dir(BOB)

    def dead_with_reasons():
        # an entry is moved into dead/ before its .reason is written
        # (through a temp file): wait for both
        names = set(os.listdir(os.path.join(sd, "dead")))
        return (len(p.dead_entries(BOB)) == 2 and
                len([n for n in names if n.endswith(".reason")]) == 2 and
                not any(".tmp." in n for n in names))
    wait_until(dead_with_reasons, timeout=30,
               what="bob's entries to become dead letters with reasons")
    names = set(os.listdir(os.path.join(sd, "dead")))
    assert len([n for n in names if n.endswith(".reason")]) == 2, names
    assert assert_private(sd) >= 7
    assert assert_private(p.state_dir(ALICE)) >= 6

    s.start()
    wait_mirrored(p, s, ALICE, {"INBOX": 1, "Orders": 1})
    # doveadm runs as root: what it writes must still be the user's
    for args in (("flush", "-u", BOB, "--dead-letters"),
                 ("verify", "-u", ALICE), ("restore", "-u", ALICE),
                 ("failback", "-u", ALICE), ("status", "-A")):
        r = p.doveadm("standby", *args, check=False)
        assert r.returncode == 0, (args, r.returncode, r.stderr)
    assert p.dead_entries(BOB) == [] and p.queue_entries(BOB) == []
    assert len(p.ledger(BOB)) == 2
    for u in (ALICE, BOB):
        sd = p.state_dir(u)
        for f in ("ledger", "status"):
            assert os.path.exists(os.path.join(sd, f)), (u, f)
        assert assert_private(sd) >= 6
    assert_clean_logs(env, ignore=[r"connect\(.*\) failed: Connection "
                                   r"refused", r"Cannot reach the standby",
                                   r"moved to dead letters"])


# ------------------------------------------------- TLS

def test_tls_verified_by_default(env):
    """Without standby_ssl_ca_file the system CAs decide (the test CA is
    not one of them): nothing is sent. A certificate for another host name
    is refused even from a trusted CA. standby_ssl_verify = no lets both
    through (so that is what stopped them)."""
    s = env.make_standby()
    p = env.make_primary(standby=s, settings={"standby_ssl_ca_file": None})
    wrong = extra_standby(env, "w", cert=wrong_name_cert(env))
    ca = env.tls.ca
    add_user_on(p, s, ALICE)                                 # defaults
    add_user_on(p, s, BOB, standby_ssl_ca_file=ca)            # control
    add_user_on(p, wrong, CAROL, standby_ssl_ca_file=ca,
                standby_port=wrong.ports["imaps"])
    add_user_on(p, wrong, DAVE, standby_ssl_ca_file=ca,
                standby_port=wrong.ports["imaps"], standby_ssl_verify="no")
    for u in (ALICE, BOB, CAROL, DAVE):
        p.set_script(u, MIRROR_ALL)
        assert p.lmtp_deliver(u, make_msg(to=u))[u][0] == 250
    wait_mirrored(p, s, BOB, {"INBOX": 1})
    wait_until(lambda: count_local(wrong, DAVE) == 1 and
               not p.queue_entries(DAVE), timeout=30,
               what="dave's copy on the standby with the wrong name")
    for u, rx in ((ALICE, r"certificate|verif|issuer"),
                  (CAROL, r"certificate|host ?name|wrong\.example|match")):
        wait_until(lambda: len(worker_lines(p, u)) >= 2, timeout=30,
                   what="two logged TLS failures for %s" % u)
        lines = worker_lines(p, u)
        assert all(re.search(rx, l, re.I) for l in lines), lines
        assert len(p.queue_entries(u)) == 1 and p.dead_entries(u) == []
    assert_nothing_reached(s, ALICE)
    assert_nothing_reached(wrong, CAROL)


def test_plaintext_refused_unless_ssl_no(env):
    """A standby that speaks only plaintext gets no login and no mail:
    not with imaps (the default), not with starttls when the server does
    not offer STARTTLS, refuses it, or greets with PREAUTH. With
    standby_ssl = no, set explicitly, plaintext works."""
    p, s = env.pair()

    def plain():
        return FakeIMAP(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plain\r\n",
                        caps_reply(b"IMAP4rev1 AUTH=PLAIN"))
    users = {
        "imaps@primary.test": (plain(), {}),
        "nostarttls@primary.test": (plain(), {"standby_ssl": "starttls"}),
        "refused@primary.test": (FakeIMAP(
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS] plain\r\n",
            lambda line: line.split(b" ")[0] + b" NO not now\r\n"),
            {"standby_ssl": "starttls"}),
        "preauth@primary.test": (FakeIMAP(
            b"* PREAUTH [CAPABILITY IMAP4rev1] welcome\r\n",
            lambda line: line.split(b" ")[0] + b" OK done\r\n"),
            {"standby_ssl": "starttls"}),
    }
    try:
        secrets = {}
        for u, (fake, fields) in users.items():
            secrets[u] = "P-" + os.urandom(4).hex()
            p.add_user(u, standby_user=u, standby_password=secrets[u],
                       standby_port=fake.port, **fields)
        p.add_mirrored_user(ALICE, standby_ssl="no",
                            standby_port=s.ports["imap"])
        for u in list(users) + [ALICE]:
            p.set_script(u, MIRROR_ALL)
            assert p.lmtp_deliver(u, make_msg(to=u))[u][0] == 250
        got = wait_mirrored(p, s, ALICE, {"INBOX": 1})
        assert_same_message(p.fetch_all(ALICE)[0], got["INBOX"][0])
        logins = s.log_lines(r"imap-login: .*%s: user=<%s>" %
                             (login_word(), re.escape(ALICE)))
        # the worker's login was in plaintext (the harness' are TLS)
        assert any("TLS" not in l for l in logins), logins
        for u, rx in (("imaps@primary.test", r"TLS|SSL"),
                      ("nostarttls@primary.test", r"STARTTLS"),
                      ("refused@primary.test", r"STARTTLS"),
                      ("preauth@primary.test", r"PREAUTH|Banner")):
            fake = users[u][0]
            wait_until(lambda: len(worker_lines(p, u)) >= 2 and
                       fake.connections >= 2, timeout=30,
                       what="two attempts and logged failures for %s" % u)
            lines = worker_lines(p, u)
            assert all(re.search(rx, l) for l in lines), lines
            assert len(p.queue_entries(u)) == 1 and p.dead_entries(u) == []
            data = fake.data()
            for word in (b"LOGIN", b"AUTHENTICATE", b"APPEND", b"SELECT",
                         b"CREATE"):
                assert word not in data.upper(), (u, word, data[:300])
            assert find_secret(data, password_forms(u, secrets[u])) is None
        # imaps: what the plaintext server got was a TLS ClientHello
        data = users["imaps@primary.test"][0].data()
        assert data[:1] == b"\x16", data[:20]
    finally:
        for fake, _ in users.values():
            fake.close()


# ------------------------------------------------- users apart

def proc_uids(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return []


def test_users_apart(env):
    """One LMTP session, one transaction for four recipients plus one
    message each: alice and bob on two accounts of one standby, carol on
    another standby server, dave without standby. Bob has his own system
    uid (5001). Every copy lands in its user's account only; each drain
    child serves one user with that user's uid for good (real, effective
    and saved); bob's uid cannot read alice's queue."""
    s = env.make_standby()
    # the standby server only per user: dave has none
    p = env.make_primary(standby=s, start=False, settings={
        "standby_host": None, "standby_port": None})
    s2 = extra_standby(env, "s2")
    bob_uid = VMAIL_UID + 1
    p.extra_conf += "last_valid_uid = %d\n" % bob_uid
    p.start()
    host = "127.0.0.1"
    add_user_on(p, s, ALICE, standby_user="alice-sb", standby_host=host,
                standby_port=s.ports["imaps"])
    add_user_on(p, s, BOB, standby_user="bob-sb", uid=bob_uid,
                standby_host=host, standby_port=s.ports["imaps"])
    add_user_on(p, s2, CAROL, standby_user="carol-sb", standby_host=host,
                standby_port=s2.ports["imaps"])
    p.add_user(DAVE)
    rules = {ALICE: 'mirror :mailbox "A";', BOB: 'mirror :mailbox "B";',
             CAROL: 'mirror :mailbox "C";', DAVE: 'mirror :mailbox "D";'}
    for u, rule in rules.items():
        p.set_script(u, 'require "vnd.standby.mirror";\n' + rule + "\n")
    hrun(["chown", "-R", "%d:%d" % (bob_uid, VMAIL_GID), p.home(BOB)])

    mark = p.log_mark()
    users = list(rules)
    want = {u: set() for u in users}
    with p.lmtp() as lmtp:
        msg = make_msg(subject="for everybody")
        res = lmtp.deliver(users, msg)
        assert all(r[0] == 250 for r in res.values()), res
        for u in users:
            want[u].add(message_id(msg))
        for u in users + list(reversed(users)):
            m = make_msg(subject="for %s" % u, to=u)
            assert lmtp.deliver(u, m)[u][0] == 250
            want[u].add(message_id(m))

    # The drain children ("Draining <user> (pid N)", logged by the worker
    # when it forks one), read while they live (a child that sent
    # something lingers 2 s after its queue is empty): pid -> the uids
    # seen, in order. A child starts as root and takes its user's uid
    # when it looks the user up; one that found nothing to do may end
    # before it was seen as the user.
    uid_of = {ALICE: VMAIL_UID, BOB: bob_uid, CAROL: VMAIL_UID}
    seen, done = {}, {}
    deadline = time.monotonic() + 20

    def seen_as_user(u):
        return any(uids[-1] == [uid_of[u]] * 4
                   for uids in done.get(u, {}).values())

    while time.monotonic() < deadline and \
            not all(seen_as_user(u) for u in uid_of):
        for pid in p.worker_pids():
            for c in harness.descendants(pid):
                try:
                    uids = proc_uids(c)
                except OSError:
                    continue
                if uids and seen.setdefault(c, [uids])[-1] != uids:
                    seen[c].append(uids)
        for u, pid in re.findall(r"Draining (\S+) \(pid (\d+)\)",
                                 p.log_since(mark)):
            pid = int(pid)
            if pid in seen and not harness.pid_alive(pid):
                done.setdefault(u, {})[pid] = seen[pid]
        time.sleep(0.02)
    assert all(seen_as_user(u) for u in uid_of), (done, seen)
    for u, pids in done.items():
        for pid, uids in pids.items():
            # root, then the user's uid (real, effective, saved) for good
            assert uids in ([[uid_of[u]] * 4], [[0] * 4, [uid_of[u]] * 4],
                            [[0] * 4]), (u, pid, uids)

    got = {ALICE: wait_mirrored(p, s, ALICE, {"A": 3},
                                standby_user="alice-sb"),
           BOB: wait_mirrored(p, s, BOB, {"B": 3}, standby_user="bob-sb"),
           CAROL: wait_mirrored(p, s2, CAROL, {"C": 3},
                                standby_user="carol-sb")}
    for u, folders in got.items():
        (folder, copies), = folders.items()
        assert {c.message_id for c in copies} == want[u], (u, folder)
        prim = {m.message_id: m for m in p.fetch_all(u)}
        for c in copies:
            assert_same_message(prim[c.message_id], c)
        assert len(p.ledger(u)) == 3, (u, p.ledger(u))
    # nothing anywhere else
    for srv, acct, folder in ((s, "alice-sb", "A"), (s, "bob-sb", "B"),
                              (s2, "carol-sb", "C")):
        folders = set(srv.folders(acct)) - {"INBOX", "Sent", "Drafts",
                                            "Trash"}
        assert folders == {folder}, (acct, folders)
        assert srv.count(acct, "INBOX") == 0
    assert not s.log_lines(r"%s: user=<carol" % login_word()) and \
        not s2.log_lines(r"%s: user=<(alice|bob)" % login_word())
    assert p.count(DAVE) == 3 and not os.path.exists(p.state_dir(DAVE))
    st = os.stat(p.state_dir(BOB))
    assert st.st_uid == bob_uid, st

    # log lines name the user they are about: a drain child logs as a
    # process of its own, and the parent's lines keep its own prefix
    log = p.log_since(mark)
    for u, folder in ((ALICE, "A"), (BOB, "B"), (CAROL, "C")):
        for line in re.findall(r".*Appended to %s:.*" % folder, log):
            assert line.split(": ", 1)[0].split(" ")[-1].startswith(
                "standby-worker(%s)" % u), line
    for line in re.findall(r".*Draining \S+ \(pid.*", log):
        assert re.search(r" standby-worker\(\d+\): Debug: ", line), line

    # bob's uid cannot even list alice's queue
    r = subprocess.run(["setpriv", "--reuid=%d" % bob_uid, "--regid=%d" %
                        VMAIL_GID, "--clear-groups", "ls",
                        p.state_dir(ALICE) + "/queue"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode != 0 and b"denied" in r.stderr, r
    assert_clean_logs(env)


def test_pokes_for_unknown_users(env):
    """The worker's socket is open to every local process: a poke for a
    user the userdb does not know (or a path) is logged once and not
    retried, and a real user's mirroring goes on."""
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, MIRROR_ALL)
    names = ["nobody@primary.test", "../../../etc", "x" * 900]
    for name in names:
        c = socket.socket(socket.AF_UNIX)
        try:
            c.connect(os.path.join(p.dir, "run", "standby-worker"))
            c.sendall(b"POKE\t" + name.encode() + b"\n")
        finally:
            c.close()
    wait_until(lambda: len(p.log_lines(r"lookup failed: Unknown user")) ==
               len(names), timeout=10, what="the unknown users looked up")
    assert p.lmtp_deliver(ALICE, make_msg())[ALICE][0] == 250
    wait_mirrored(p, s, ALICE, {"INBOX": 1})
    # longer than the worker's retry delay for failed drains (10 s)
    time.sleep(12)
    for name in names:
        drains = p.log_lines(r"Draining %s\S* \(pid" %
                             re.escape(name[:100]))
        assert len(drains) == 1, (name[:20], drains)
    assert not p.log_lines(r"Drain of .* failed"), p.log_lines("failed")


def test_shared_state_dir_keeps_users_apart(env):
    """An admin sets standby_state_dir without %u, so that two users share
    one queue: each entry still goes only to the standby account of the
    user it was queued for. Bob's drain finds alice's entry due and leaves
    it, saying why; alice's own drain sends it."""
    shared = os.path.join(env.dir, "shared-state")
    os.mkdir(shared, 0o700)
    os.chown(shared, VMAIL_UID, VMAIL_GID)
    qdir = os.path.join(shared, "queue")
    s = env.make_standby()
    p = env.make_primary(standby=s, settings={"standby_state_dir": shared})
    # alice's next attempt after a failure is an hour away
    add_user_on(p, s, ALICE, standby_user="alice-sb",
                standby_min_backoff="1h", standby_max_backoff="1h")
    add_user_on(p, s, BOB, standby_user="bob-sb")
    msgs = {}
    for u in (ALICE, BOB):
        p.set_script(u, 'require "vnd.standby.mirror";\n'
                        'mirror :mailbox "%s";\n' % u.split("@")[0])
        msgs[u] = make_msg(subject="for %s only" % u, to=u)
    s.stop()
    assert p.lmtp_deliver(ALICE, msgs[ALICE])[ALICE][0] == 250
    wait_until(lambda: p.log_lines(r"standby-worker\(%s\).*Cannot reach" %
                                   re.escape(ALICE)), timeout=20,
               what="alice's first attempt")
    # alice's entry is due again (its next attempt is its file's mtime)
    (entry,) = os.listdir(qdir)
    os.utime(os.path.join(qdir, entry), (time.time() - 10,) * 2)
    s.start()
    # bob's mail makes bob's drain run: it sees both entries due
    assert p.lmtp_deliver(BOB, msgs[BOB])[BOB][0] == 250
    wait_until(lambda: s.count("bob-sb", "bob") == 1 and
               entry in os.listdir(qdir) and len(os.listdir(qdir)) == 1,
               timeout=30, what="bob's copy sent, alice's entry left")
    wait_until(lambda: p.log_lines(r"standby-worker\(%s\).*%s was queued "
                                   r"for user %s, not %s" % (
                                       re.escape(BOB), entry,
                                       re.escape(ALICE), re.escape(BOB))),
               timeout=10, what="bob's drain saying why")
    assert s.count("bob-sb", "alice") == 0
    # alice's own drain (doveadm sends what is not due yet too)
    r = p.doveadm("standby", "flush", "-u", ALICE, check=False)
    assert r.returncode == 0, r.stderr
    assert not os.listdir(qdir)
    for u, acct, folder in ((ALICE, "alice-sb", "alice"),
                            (BOB, "bob-sb", "bob")):
        got = s.fetch_all(acct, folder)
        assert [m.message_id for m in got] == [message_id(msgs[u])], got
        other = "bob" if folder == "alice" else "alice"
        assert other not in s.folders(acct), (acct, s.folders(acct))
