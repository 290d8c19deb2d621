"""Integration test harness: two private Dovecot instances on loopback.

* the *primary*: LMTP + IMAP + ManageSieve, Pigeonhole, and (when mirror=True)
  the dovecot-standby plugins and worker service;
* the *standby*: plain IMAP (STARTTLS and imaps) + POP3, like a free-mail
  account at another provider.

Each instance has its own dovecot.conf, base_dir, state_dir, instance_name,
log, TLS certificate (signed by a per-run private CA) and passwd-file, and
listens on free 127.0.0.1 ports.  /etc/dovecot is never read or touched.

Stdlib only (imaplib, smtplib, ssl, subprocess).  Must run as root.
"""

import datetime
import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time

import conf24

VMAIL_UID = 5000
VMAIL_GID = 5000
VMAIL_NAME = "vmail"

DOVECOT_LIBDIR = "/usr/lib/dovecot"
MAIL_PLUGIN = DOVECOT_LIBDIR + "/modules/lib20_standby_plugin.so"
SIEVE_PLUGIN = DOVECOT_LIBDIR + "/modules/sieve/lib90_sieve_standby_plugin.so"
WORKER = DOVECOT_LIBDIR + "/standby-worker"
STANDBY_FILES = (MAIL_PLUGIN, SIEVE_PLUGIN, WORKER)

# Where `make install` put sieve-scripts/ ($(datadir)/dovecot-standby/
# sieve-scripts; /usr/local/share with configure's default prefix).
SIEVE_SCRIPTS_DIRS = ("/usr/share/dovecot-standby/sieve-scripts",
                      "/usr/local/share/dovecot-standby/sieve-scripts")


def sieve_scripts_dir():
    """The installed sieve-scripts directory (raises HarnessError)."""
    for d in SIEVE_SCRIPTS_DIRS:
        if os.path.exists(os.path.join(d, "standby-wiring.sieve")):
            return d
    raise HarnessError("sieve-scripts are not installed in %s; run `make "
                       "install`" % " or ".join(SIEVE_SCRIPTS_DIRS))

# Headers the mirror may add to the copy; stripped before comparing bytes.
# The design says the bytes are unchanged, so this is empty.
STRIP_HEADERS = ()

KEEP = os.environ.get("KEEP", "") not in ("", "0")

_major = []


def dovecot_major():
    """The Dovecot major the tests run against, "2.3" or "2.4":
    STANDBY_DOVECOT_MAJOR (scripts/test sets it), else what `dovecot
    --version` says. The servers' configuration is written in its
    syntax."""
    if not _major:
        m = os.environ.get("STANDBY_DOVECOT_MAJOR", "")
        if m not in ("2.3", "2.4"):
            try:
                v = subprocess.run(["dovecot", "--version"],
                                   stdout=subprocess.PIPE, text=True,
                                   check=True).stdout
            except (OSError, subprocess.CalledProcessError) as e:
                raise HarnessError("dovecot --version: %s" % e)
            m = "2.4" if re.match(r"2\.4\.", v) else "2.3"
        _major.append(m)
    return _major[0]


def dovecot_24():
    return dovecot_major() == "2.4"


def login_word():
    """What imap-login writes before ": user=<...>" on a successful login:
    "Login" on 2.3, "Logged in" on 2.4 (a regex)."""
    return "Logged in" if dovecot_24() else "Login"


class HarnessError(Exception):
    """The test environment itself could not be set up."""


# ---------------------------------------------------------------- valgrind

# VALGRIND=1: the primary's lmtp, imap and standby-worker services (the
# plugins are loaded in them) and Primary.doveadm() run under valgrind's
# memcheck, as Dovecot's RUN_TEST wrapper runs its unit tests. After each
# test, the memory errors and definite leaks with a stack frame in
# dovecot-standby's code fail the test (those of Dovecot and its libraries
# alone only show as the service's exit status 213 in the log).
VALGRIND = os.environ.get("VALGRIND", "") not in ("", "0")
# A stack frame of our code: functions, source files and objects
_VALGRIND_OURS = re.compile(
    r"\b(standby[-_]|lib\d+_(sieve_|doveadm_)?standby|ext[-_]mirror|"
    r"cmd[-_]mirror|worker[-_]|doveadm[-_]standby)")
_VALGRIND_ERROR = re.compile(
    r"^(Invalid (read|write|free)|Conditional jump|Use of uninitialised|"
    r"Syscall param|Mismatched free|Source and destination overlap|"
    r"\S+ bytes in \S+ blocks are definitely lost|Argument .* of function|"
    r"Process terminating with default action)")


_VALGRIND_LEAK = re.compile(r"\S+ bytes in \S+ blocks are definitely lost")
_VALGRIND_SIGTERM = "Process terminating with default action of signal 15"


def valgrind_cmd(logdir):
    """The valgrind command line (no spaces in logdir: Dovecot splits
    a service's executable on them). Not -q: it would also drop the
    "Process terminating with default action of signal 15" line that
    valgrind_reports() needs."""
    os.makedirs(logdir, mode=0o777, exist_ok=True)
    os.chmod(logdir, 0o777)
    return ["/usr/bin/valgrind", "--tool=memcheck", "--vgdb=no",
            "--leak-check=full", "--show-leak-kinds=definite",
            "--errors-for-leak-kinds=definite", "--error-exitcode=213",
            "--num-callers=40", "--log-file=%s/%%p.log" % logdir]


def valgrind_reports(logdir):
    """The error and definite-leak reports of the valgrind logs in logdir
    that have a frame in our code: [(log file, report text)]."""
    out = []
    try:
        names = sorted(os.listdir(logdir))
    except FileNotFoundError:
        return out
    for name in names:
        with open(os.path.join(logdir, name), errors="replace") as f:
            text = f.read()
        # A process that Dovecot's shutdown ended with SIGTERM (a drain
        # child still working when a test stopped the servers) had no
        # chance to free what it was using: its leaks say nothing, its
        # memory errors do. A block whose only pointer was in a register
        # at that moment (one just allocated) even counts as definitely
        # lost: 23 bytes of mail_storage_service_lookup()'s log prefix
        # failed a CI run that way.
        terminated = _VALGRIND_SIGTERM in text
        # "==pid== " prefixed lines; a blank one ends a report
        block = []
        for line in text.splitlines() + ["==0== "]:
            line = re.sub(r"^==\d+== ?", "", line)
            if line.strip():
                block.append(line)
                continue
            if block and _VALGRIND_ERROR.match(block[0]) and \
                    not (terminated and (
                        _VALGRIND_LEAK.match(block[0]) or
                        block[0].startswith(_VALGRIND_SIGTERM))) and \
                    any(_VALGRIND_OURS.search(l) for l in block[1:]):
                out.append((name, "\n".join(block)))
            block = []
    return out


# ---------------------------------------------------------------- sanitizers

# SANITIZE_BUILD=<dir>: a build tree configured with -fsanitize=address,
# undefined (tests/unit/run-asan.sh makes one). The primary loads the mail
# and Sieve plugins from it (mail_plugin_dir and sieve_plugin_dir point at a
# directory of links: Dovecot's modules, ours replaced) and runs its
# standby-worker; lmtp, imap, managesieve, the worker and doveadm run with
# the ASan runtime preloaded, since Dovecot's own binaries are not
# instrumented. After each test, every AddressSanitizer or UBSan report
# fails it. LeakSanitizer is off: it cannot stop the threads of a process
# that dropped its privileges (not dumpable), which every mail process
# does; leaks in these processes are the valgrind suite's job.
SANITIZE_BUILD = os.environ.get("SANITIZE_BUILD", "")
_SANITIZE_FILES = (
    ("src/plugin/.libs/lib20_standby_plugin.so", "lib20_standby_plugin.so"),
    ("src/sieve/.libs/lib90_sieve_standby_plugin.so",
     "sieve/lib90_sieve_standby_plugin.so"),
)


def sanitize_env(logdir):
    """The environment (NAME=value words, no spaces) for a process that
    loads the sanitized plugins."""
    runtime = subprocess.run(["gcc", "-print-file-name=libasan.so"],
                             stdout=subprocess.PIPE, check=True,
                             text=True).stdout.strip()
    os.makedirs(logdir, mode=0o777, exist_ok=True)
    os.chmod(logdir, 0o777)
    return ["LD_PRELOAD=%s" % os.path.realpath(runtime),
            "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:"
            "log_path=%s/asan" % logdir,
            "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:"
            "log_path=%s/ubsan" % logdir]


def sanitize_reports(logdir):
    """The sanitizer reports in logdir: [(file, text)]."""
    out = []
    try:
        names = sorted(os.listdir(logdir))
    except FileNotFoundError:
        return out
    for name in names:
        with open(os.path.join(logdir, name), errors="replace") as f:
            text = f.read()
        if text.strip():
            out.append((name, text[:6000]))
    return out


# ---------------------------------------------------------------- helpers

def wait_until(predicate, timeout=10.0, interval=0.05, what=None):
    """Poll predicate() until it returns a true value (returned) or raise
    AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    delay = interval
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what or getattr(
                                     predicate, "__name__", "condition")))
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


_ports_given = set()


def free_port():
    """A free port on 127.0.0.1 that this run has not handed out before
    (the kernel may offer the same ephemeral port twice in a row)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def descendants(pid):
    """All descendant PIDs of pid (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def run(cmd, **kw):
    kw.setdefault("check", True)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    try:
        return subprocess.run(cmd, **kw)
    except subprocess.CalledProcessError as e:
        raise HarnessError("%s failed (%d): %s" % (
            " ".join(cmd), e.returncode,
            (e.stderr or b"").decode(errors="replace").strip()))


def atomic_write(path, data, mode=0o644, uid=None, gid=None, mtime=None):
    if isinstance(data, str):
        data = data.encode()
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    if uid is not None:
        os.chown(tmp, uid, gid)
    os.rename(tmp, path)


def ensure_vmail():
    """The unprivileged uid/gid 5000 that owns the mail homes."""
    try:
        grp.getgrgid(VMAIL_GID)
    except KeyError:
        run(["groupadd", "-g", str(VMAIL_GID), VMAIL_NAME])
    try:
        pwd.getpwuid(VMAIL_UID)
    except KeyError:
        run(["useradd", "-u", str(VMAIL_UID), "-g", str(VMAIL_GID), "-M",
             "-d", "/nonexistent", "-s", "/usr/sbin/nologin", VMAIL_NAME])


def standby_installed():
    """List of the dovecot-standby files that `make install` has not (yet)
    put in place."""
    return [p for p in STANDBY_FILES if not os.path.exists(p)]


# ---------------------------------------------------------------- mUTF-7

def mutf7_encode(name):
    """RFC 3501 modified UTF-7 for IMAP mailbox names."""
    import base64
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=")
                       .replace("/", ",") + "-")
            buf.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(name):
    import base64

    def dec(m):
        s = m.group(1)
        if s == "":
            return "&"
        s = s.replace(",", "/")
        s += "=" * (-len(s) % 4)
        return base64.b64decode(s).decode("utf-16-be")
    return re.sub(r"&([^-]*)-", dec, name)


def imap_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- messages

_msg_counter = [0]


def make_msg(subject="test", sender="sender@example.org",
             to="alice@primary.test", body=None, headers=(), msgid=None,
             date=None):
    """A small RFC 5322 message with CRLF line endings (bytes). A unique
    Message-ID is generated unless given."""
    _msg_counter[0] += 1
    if msgid is None:
        msgid = "<%d.%s@dsb.test>" % (_msg_counter[0], secrets.token_hex(6))
    if date is None:
        date = "Mon, 02 Jan 2023 10:00:00 +0100"
    if body is None:
        body = "Hello,\r\nthis is message %d.\r\n" % _msg_counter[0]
    lines = ["From: %s" % sender, "To: %s" % to, "Subject: %s" % subject,
             "Date: %s" % date, "Message-ID: %s" % msgid,
             "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8"]
    lines += list(headers)
    head = "\r\n".join(lines).encode("utf-8")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return head + b"\r\n\r\n" + body


def message_id(raw):
    m = re.search(rb"^Message-ID:\s*(<[^>\r\n]*>)", raw, re.M | re.I)
    return m.group(1).decode("ascii", "replace") if m else None


def strip_headers(raw, names=None):
    names = STRIP_HEADERS if names is None else names
    if not names:
        return raw
    sep = raw.find(b"\r\n\r\n")
    head, rest = (raw, b"") if sep < 0 else (raw[:sep + 2], raw[sep + 2:])
    out, skip = [], False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and skip:
            continue
        skip = any(line.lower().startswith(n.lower().encode() + b":")
                   for n in names)
        if not skip:
            out.append(line)
    return b"\r\n".join(out) + rest


class Message:
    def __init__(self, uid, raw, flags, internaldate):
        self.uid = uid
        self.raw = raw
        self.flags = flags          # set of str, without \Recent
        self.internaldate = internaldate  # aware datetime

    def __iter__(self):
        """Unpacks as (bytes, flags, internaldate)."""
        return iter((self.raw, self.flags, self.internaldate))

    @property
    def message_id(self):
        return message_id(self.raw)

    def __repr__(self):
        return "<Message uid=%s %d bytes %s %s %s>" % (
            self.uid, len(self.raw), self.message_id, sorted(self.flags),
            self.internaldate)


# ---------------------------------------------------------------- TLS

class TLS:
    """A private CA with server certificates (CN=localhost, SAN
    DNS:localhost, IP:127.0.0.1), plus an unrelated CA to provoke
    verification failures."""

    def __init__(self, dir):
        self.dir = dir
        os.makedirs(dir, mode=0o755, exist_ok=True)
        self.ca_key, self.ca = self._ca("ca", "dovecot-standby test CA")
        self.wrong_ca_key, self.wrong_ca = self._ca(
            "wrong-ca", "unrelated test CA")
        self._certs = {}

    def _ca(self, name, cn):
        key = os.path.join(self.dir, name + ".key")
        crt = os.path.join(self.dir, name + ".pem")
        run(["openssl", "req", "-x509", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", crt, "-days", "3", "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        os.chmod(crt, 0o644)
        return key, crt

    def server_cert(self, name):
        """(cert, key) for a server, signed by the test CA."""
        if name in self._certs:
            return self._certs[name]
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".pem")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run(["openssl", "req", "-new", "-newkey", "ec",
             "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=localhost"])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca,
             "-CAkey", self.ca_key, "-CAcreateserial", "-days", "3",
             "-extfile", ext, "-out", crt])
        os.chmod(key, 0o600)
        os.chmod(crt, 0o644)
        self._certs[name] = (crt, key)
        return crt, key

    def client_context(self, cafile=None):
        ctx = ssl.create_default_context(cafile=cafile or self.ca)
        return ctx


# ---------------------------------------------------------------- IMAP

class IMAPClient(imaplib.IMAP4_SSL):
    """IMAP4_SSL to 127.0.0.1, verifying the certificate as 'localhost'."""

    def _create_socket(self, timeout):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname="localhost")


class IMAPStartTLSClient(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection(("127.0.0.1", self.port), timeout)


_FETCH_RE = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE \"([^\"]+)\"")


def parse_internaldate(s):
    return datetime.datetime.strptime(s.strip(), "%d-%b-%Y %H:%M:%S %z")


def imap_check(typ, data, what):
    if typ != "OK":
        raise AssertionError("IMAP %s failed: %s %r" % (what, typ, data))
    return data


# ---------------------------------------------------------------- Dovecot

COMMON_CONF = """\
# generated by tests/integration/harness.py
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {instance_name}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
listen = 127.0.0.1
protocols = {protocols}
hostname = {hostname}
postmaster_address = postmaster@{hostname}

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login

mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox "{sent_mailbox}" {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
}}

service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
"""


class Dovecot:
    """One private Dovecot instance."""

    protocols = "imap"
    hostname = "dovecot.test"
    # The mailbox with special_use = \Sent (set before start())
    sent_mailbox = "Sent"

    def __init__(self, env, name):
        self.env = env
        self.name = name
        self.dir = os.path.join(env.dir, name)
        os.makedirs(self.dir, mode=0o755)
        os.makedirs(os.path.join(self.dir, "home"), mode=0o755)
        self.conf_path = os.path.join(self.dir, "dovecot.conf")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.users_path = os.path.join(self.dir, "users")
        self.cert, self.key = env.tls.server_cert(name)
        self.ports = {"imap": free_port(), "imaps": free_port()}
        self.users = {}         # name -> (password, {userdb field: value})
        self._users_mtime = 0
        self.extra_conf = ""
        self._write_users()

    # -- configuration

    def config_text(self):
        return (conf24.COMMON_CONF if dovecot_24() else COMMON_CONF).format(
            dir=self.dir, instance_name="dsb-%s-%s" % (self.name, self.env.id),
            protocols=self.protocols, hostname=self.hostname,
            cert=self.cert, key=self.key, uid=VMAIL_UID, gid=VMAIL_GID,
            imap_port=self.ports["imap"], imaps_port=self.ports["imaps"],
            sent_mailbox=self.sent_mailbox)

    def write_config(self):
        text = self.config_text() + "\n" + self.extra_conf + "\n"
        atomic_write(self.conf_path, text, 0o644)

    def home(self, user):
        return os.path.join(self.dir, "home", user)

    def add_user(self, name, password=None, **fields):
        """Add (or replace) a passwd-file user; fields become userdb extra
        fields (e.g. standby_user="x" -> userdb_standby_user=x). A value
        of None removes the field. Returns the password."""
        if password is None:
            password = "pw-" + secrets.token_hex(8)
        home = self.home(name)
        os.makedirs(home, mode=0o700, exist_ok=True)
        os.chown(home, VMAIL_UID, VMAIL_GID)
        old = self.users.get(name, (None, {}))[1]
        merged = dict(old)
        for k, v in fields.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = str(v)
        self.users[name] = (password, merged)
        self._write_users()
        return password

    def set_user_fields(self, name, **fields):
        self.add_user(name, self.users[name][0], **fields)

    def password(self, user):
        return self.users[user][0]

    def _write_users(self):
        lines = []
        for name, (pw, fields) in self.users.items():
            for v in list(fields.values()) + [pw]:
                if re.search(r"[\s:]", v):
                    raise HarnessError("value %r cannot be in a "
                                       "passwd-file" % v)
            extra = " ".join("userdb_%s=%s" % kv for kv in fields.items())
            lines.append("%s:%s:%d:%d::%s::%s" % (
                name, pw, VMAIL_UID, VMAIL_GID, self.home(name), extra))
        # Readable by the dovecot user (auth runs as it); atomic rewrite.
        # Auth re-reads the file when its mtime or size changed, checking at
        # most once a second: give every version its own mtime, and when
        # the instance runs, let the second pass so the next lookup sees it.
        mtime = max(int(time.time()), self._users_mtime + 1)
        self._users_mtime = mtime
        atomic_write(self.users_path, "\n".join(lines) + "\n", 0o644,
                     mtime=mtime)
        if self.is_running:
            time.sleep(max(0.0, mtime + 1 - time.time()))

    # -- process control

    @property
    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "run", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    @property
    def is_running(self):
        pid = self.master_pid
        return pid is not None and pid_alive(pid)

    def listen_ports(self):
        return list(self.ports.values())

    def start(self):
        if self.is_running:
            return
        self.write_config()
        # The master keeps the inherited stdout/stderr open for good: give
        # it a file, never a pipe (reading a pipe would wait forever).
        out_path = os.path.join(self.dir, "dovecot.start.out")
        with open(out_path, "wb") as out:
            p = subprocess.run(["dovecot", "-c", self.conf_path],
                               stdin=subprocess.DEVNULL, stdout=out,
                               stderr=subprocess.STDOUT)
        if p.returncode != 0:
            with open(out_path, "rb") as f:
                text = f.read().decode(errors="replace").strip()
            raise HarnessError("dovecot (%s) did not start: %s\n%s" % (
                self.name, text, self.log_tail(20)))
        try:
            wait_until(lambda: all(port_open(p) for p in self.listen_ports()),
                       timeout=15, what="%s listening on %s" % (
                           self.name, self.listen_ports()))
            # the daemonized master writes master.pid a moment after its
            # listeners are up: a stop() before that would do nothing
            wait_until(lambda: self.is_running, timeout=15,
                       what="%s master.pid" % self.name)
        except AssertionError as e:
            raise HarnessError("%s\n%s" % (e, self.log_tail(20)))

    def stop(self):
        pid = self.master_pid
        if pid is None or not pid_alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not pid_alive(pid), timeout=15,
                       what="%s master %d to exit" % (self.name, pid))
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
        # Children exit with the master; wait for the listeners to close.
        wait_until(lambda: not any(port_open(p) for p in self.listen_ports()),
                   timeout=10, what="%s ports to close" % self.name)

    def restart(self):
        self.stop()
        self.start()

    def doveadm(self, *args, check=True):
        return run(["doveadm", "-c", self.conf_path] + list(args),
                   check=check)

    def child_pids(self, pattern):
        """PIDs of this instance's processes (children of its master) whose
        command line matches pattern."""
        pid = self.master_pid
        if pid is None:
            return []
        p = subprocess.run(["pgrep", "-P", str(pid), "-f", pattern],
                           stdout=subprocess.PIPE)
        return [int(x) for x in p.stdout.split()]

    # -- logs

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n=40):
        lines = self.log_text().splitlines()[-n:]
        return "\n".join(lines)

    def log_lines(self, pattern, flags=re.I):
        rx = re.compile(pattern, flags)
        return [l for l in self.log_text().splitlines() if rx.search(l)]

    def log_errors(self):
        return self.log_lines(r"\b(Error|Fatal|Panic|Warning):", 0)

    def log_mark(self):
        """Offset to pass to log_since(): lines logged later."""
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def log_since(self, mark):
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            return f.read().decode("utf-8", "replace")

    # -- IMAP

    def imap(self, user, password=None, cafile=None, starttls=False):
        """A logged-in IMAP connection (imaps; or STARTTLS on the imap
        port), verifying the server against the test CA as 'localhost'."""
        ctx = self.env.tls.client_context(cafile)
        if starttls:
            c = IMAPStartTLSClient("localhost", self.ports["imap"], timeout=60)
            c.starttls(ssl_context=ctx)
        else:
            c = IMAPClient("localhost", self.ports["imaps"], ssl_context=ctx,
                           timeout=60)
        c.login(user, password or self.password(user))
        return c

    def folders(self, user):
        """Folder names (decoded UTF-8) the user has."""
        c = self.imap(user)
        try:
            data = imap_check(*c.list('""', "*"), "LIST")
        finally:
            c.logout()
        out = []
        for line in data:
            if line is None:
                continue
            if isinstance(line, tuple):   # literal name
                name = line[1].decode()
            else:
                m = re.match(rb'\(([^)]*)\) (NIL|"[^"]*") (.*)$', line)
                if not m:
                    continue
                name = m.group(3).decode()
                if name.startswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            out.append(mutf7_decode(name))
        return out

    def fetch_all(self, user, folder="INBOX"):
        """All messages in folder as Message objects, in UID order. [] when
        the folder does not exist."""
        c = self.imap(user)
        try:
            typ, data = c.select(imap_quote(mutf7_encode(folder)),
                                 readonly=True)
            if typ != "OK":
                return []
            if int(data[0]) == 0:
                return []
            typ, data = c.uid("FETCH", "1:*",
                              "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            imap_check(typ, data, "FETCH")
        finally:
            try:
                c.logout()
            except Exception:
                pass
        msgs = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            head, raw = item
            uid = flags = idate = None
            for m in _FETCH_RE.finditer(head):
                if m.group(1):
                    uid = int(m.group(1))
                elif m.group(2) is not None:
                    flags = set(m.group(2).decode().split()) - {"\\Recent"}
                elif m.group(3):
                    idate = parse_internaldate(m.group(3).decode())
            msgs.append(Message(uid, raw, flags or set(), idate))
        msgs.sort(key=lambda m: m.uid)
        return msgs

    def append(self, user, folder, raw, flags=(), date=None):
        c = self.imap(user)
        try:
            mbox = imap_quote(mutf7_encode(folder))
            c.create(mbox)
            idate = imaplib.Time2Internaldate(date or time.time())
            flagstr = "(%s)" % " ".join(flags) if flags else None
            imap_check(*c.append(mbox, flagstr, idate, raw), "APPEND")
        finally:
            c.logout()

    def count(self, user, folder="INBOX"):
        """Number of messages (STATUS), 0 when the folder is missing."""
        c = self.imap(user)
        try:
            typ, data = c.status(imap_quote(mutf7_encode(folder)),
                                 "(MESSAGES)")
        finally:
            c.logout()
        if typ != "OK":
            return 0
        m = re.search(rb"MESSAGES (\d+)", data[0])
        return int(m.group(1)) if m else 0


class Standby(Dovecot):
    """The standby account's server: IMAP (STARTTLS + imaps) and POP3."""

    protocols = "imap pop3"
    hostname = "standby.test"

    def __init__(self, env, name="s"):
        super().__init__(env, name)
        self.ports["pop3"] = free_port()

    def config_text(self):
        return super().config_text() + """
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""".format(pop3=self.ports["pop3"])


# Plugin settings of the primary when mirroring. Tests override any of them
# with Primary(settings={...}); a value of None removes a setting.
def default_standby_settings(env, standby):
    return {
        "standby_host": "127.0.0.1",
        "standby_port": str(standby.ports["imaps"]) if standby else "1",
        "standby_ssl": "imaps",
        "standby_ssl_ca_file": env.tls.ca,
        "standby_min_backoff": "1s",
        "standby_max_backoff": "5s",
        "standby_max_queue_lifetime": "1h",
    }


class Primary(Dovecot):
    """The user's real mail server: LMTP, IMAP, ManageSieve, Pigeonhole and
    (mirror=True) the dovecot-standby plugins and worker."""

    protocols = "imap lmtp sieve"
    hostname = "primary.test"
    # log_debug = category=standby (the worker's and plugin's debug lines)
    debug_log = True

    def __init__(self, env, standby=None, mirror=True, settings=None,
                 name="p"):
        if mirror:
            missing = standby_installed()
            if missing:
                raise HarnessError(
                    "dovecot-standby is not installed (missing: %s); run "
                    "`make install` (scripts/test does)" % ", ".join(missing))
        super().__init__(env, name)
        self.standby = standby
        self.mirror = mirror
        self.ports["lmtp"] = free_port()
        self.ports["sieve"] = free_port()
        self.settings = {
            "sieve": "file:~/sieve;active=~/.dovecot.sieve",
        }
        if mirror:
            self.settings.update({
                "sieve_plugins": "sieve_standby",
                "sieve_extensions": "+vnd.standby.mirror",
            })
            self.settings.update(default_standby_settings(env, standby))
        for k, v in (settings or {}).items():
            if v is None:
                self.settings.pop(k, None)
            else:
                self.settings[k] = v
        self.worker_conf = """\
service standby-worker {
  executable = %s
  process_min_avail = 1
  process_limit = 1
  unix_listener standby-worker {
    mode = 0666
  }
}
""" % WORKER

    @property
    def valgrind_dir(self):
        return os.path.join(self.dir, "valgrind")

    def _valgrind_conf(self, t):
        """The configuration t with the services under valgrind."""
        vg = " ".join(valgrind_cmd(self.valgrind_dir))
        t = t.replace("executable = %s\n" % WORKER,
                      "executable = %s %s\n" % (vg, WORKER))
        return t + """
# VALGRIND=1
default_vsz_limit = 0
service lmtp {
  executable = %s %s/lmtp
}
service imap {
  executable = %s %s/imap
}
""" % (vg, DOVECOT_LIBDIR, vg, DOVECOT_LIBDIR)

    @property
    def sanitize_dir(self):
        return os.path.join(self.dir, "sanitizer")

    def _sanitize_conf(self, t):
        """The configuration t with the plugins and the worker of
        SANITIZE_BUILD, and the ASan runtime in the processes using them."""
        mods = os.path.join(self.dir, "modules")
        for sub in ("", "sieve"):
            os.makedirs(os.path.join(mods, sub), exist_ok=True)
            src = os.path.join(DOVECOT_LIBDIR, "modules", sub)
            for name in os.listdir(src):
                dst = os.path.join(mods, sub, name)
                if name.endswith(".so") and not os.path.lexists(dst):
                    os.symlink(os.path.join(src, name), dst)
        for src, dst in _SANITIZE_FILES:
            dst = os.path.join(mods, dst)
            if os.path.lexists(dst):
                os.unlink(dst)
            os.symlink(os.path.join(SANITIZE_BUILD, src), dst)
        env = "/usr/bin/env " + " ".join(sanitize_env(self.sanitize_dir))
        worker = os.path.join(SANITIZE_BUILD, "src/worker/standby-worker")
        t = t.replace("executable = %s\n" % WORKER,
                      "executable = %s %s\n" % (env, worker))
        t = t.replace("\nplugin {\n", "\nplugin {\n  sieve_plugin_dir = %s\n"
                      % os.path.join(mods, "sieve"), 1)
        return t + """
# SANITIZE_BUILD=%s
default_vsz_limit = 0
mail_plugin_dir = %s
# kept when a process re-executes itself (doveadm does), never set here:
# only the services below have them
import_environment = $import_environment LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
service config {
  # runs managesieve --dump-capability, which loads the Sieve plugin
  executable = %s %s/config
}
service lmtp {
  executable = %s %s/lmtp
}
service imap {
  executable = %s %s/imap
}
service managesieve {
  executable = %s %s/managesieve
}
""" % (SANITIZE_BUILD, mods, env, DOVECOT_LIBDIR, env, DOVECOT_LIBDIR,
       env, DOVECOT_LIBDIR, env, DOVECOT_LIBDIR)

    def doveadm_argv(self, *args):
        """The doveadm command line for this instance (under valgrind with
        VALGRIND=1, with the ASan runtime with SANITIZE_BUILD)."""
        argv = ["doveadm", "-c", self.conf_path] + list(args)
        if VALGRIND and self.mirror:
            argv = valgrind_cmd(self.valgrind_dir) + argv
        elif SANITIZE_BUILD and self.mirror:
            argv = ["/usr/bin/env"] + sanitize_env(self.sanitize_dir) + argv
        return argv

    def doveadm(self, *args, check=True):
        return run(self.doveadm_argv(*args), check=check)

    def config_text(self):
        if dovecot_24():
            return self._config_text_24()
        t = super().config_text()
        t += """
recipient_delimiter = +
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service managesieve-login {{
  inet_listener sieve {{
    port = {sieve}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_sieve
}}
""".format(lmtp=self.ports["lmtp"], sieve=self.ports["sieve"])
        if self.mirror:
            t = t.replace("\nprotocol lmtp {",
                          "\nmail_plugins = $mail_plugins notify standby\n" +
                          ("log_debug = category=standby\n"
                           if self.debug_log else "") +
                          "\nprotocol lmtp {", 1)
            t += "\n" + self.worker_conf
        t += "\nplugin {\n"
        for k, v in self.settings.items():
            t += "  %s = %s\n" % (k, v)
        t += "}\n"
        if VALGRIND and self.mirror:
            t = self._valgrind_conf(t)
        elif SANITIZE_BUILD and self.mirror:
            t = self._sanitize_conf(t)
        return t

    def _config_text_24(self):
        """config_text() in Dovecot 2.4 syntax."""
        t = super().config_text() + conf24.PRIMARY_CONF.format(
            lmtp=self.ports["lmtp"], sieve=self.ports["sieve"])
        if self.mirror:
            t += conf24.MIRROR_PLUGINS
            if self.debug_log:
                t += "log_debug = category=standby\n"
            t += "\n" + self.worker_conf
        t += "\n" + conf24.plugin_settings(self.settings)
        if VALGRIND and self.mirror:
            t = self._valgrind_conf(t)
        elif SANITIZE_BUILD and self.mirror:
            raise HarnessError("SANITIZE_BUILD: the sanitized plugins are "
                               "tested on Dovecot 2.3 only")
        return t

    def enable_sent_mirror(self, default_rules=None):
        """Wire the relevance rules as conf.d/90-standby.conf's sent-mail
        block does: the installed standby-wiring.sieve as sieve_before and
        as imapsieve's before script for every mailbox, and a sieve_global
        directory holding standby-default.sieve (default_rules, or the
        installed default). Call before start()."""
        sdir = sieve_scripts_dir()
        wiring = ("file:%s/standby-wiring.sieve;bindir=~/.standby-sieve-bin"
                  % sdir)
        gdir = os.path.join(self.dir, "sieve-global")
        os.makedirs(gdir, mode=0o755, exist_ok=True)
        if default_rules is None:
            with open(os.path.join(sdir, "standby-default.sieve")) as f:
                default_rules = f.read()
        atomic_write(os.path.join(gdir, "standby-default.sieve"),
                     default_rules, 0o644)
        self.set_settings(**{
            "sieve_before": wiring,
            "sieve_global": gdir,
            "imapsieve_mailbox1_name": "*",
            "imapsieve_mailbox1_causes": "APPEND COPY",
            "imapsieve_mailbox1_before": wiring,
        })
        return gdir

    def set_rules(self, user, text):
        """Write the user's personal script "standby" (~/sieve/standby.
        sieve) without activating it: the relevance rules."""
        home = self.home(user)
        sdir = os.path.join(home, "sieve")
        os.makedirs(sdir, mode=0o700, exist_ok=True)
        os.chown(sdir, VMAIL_UID, VMAIL_GID)
        path = os.path.join(sdir, "standby.sieve")
        atomic_write(path, text, 0o600, VMAIL_UID, VMAIL_GID)
        return path

    def set_settings(self, **kw):
        """Change plugin settings; takes effect at the next (re)start."""
        for k, v in kw.items():
            if v is None:
                self.settings.pop(k, None)
            else:
                self.settings[k] = v

    # -- users

    def add_mirrored_user(self, name, standby_user=None, **fields):
        """A primary user with a standby account: creates standby_user on
        the standby (same password unless given) and sets the userdb fields
        standby_user/standby_password. Returns (password, standby_password)."""
        standby_user = standby_user or name
        spw = fields.pop("standby_password", None)
        spw_real = self.standby.add_user(standby_user) if self.standby \
            else "pw-" + secrets.token_hex(8)
        if spw is None:
            spw = spw_real
        pw = self.add_user(name, standby_user=standby_user,
                           standby_password=spw, **fields)
        return pw, spw_real

    def set_script(self, user, text, name="main"):
        """Write ~/sieve/<name>.sieve and make it the active script."""
        home = self.home(user)
        sdir = os.path.join(home, "sieve")
        os.makedirs(sdir, mode=0o700, exist_ok=True)
        os.chown(sdir, VMAIL_UID, VMAIL_GID)
        path = os.path.join(sdir, name + ".sieve")
        atomic_write(path, text, 0o600, VMAIL_UID, VMAIL_GID)
        link = os.path.join(home, ".dovecot.sieve")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink("sieve/%s.sieve" % name, link)
        os.lchown(link, VMAIL_UID, VMAIL_GID)
        return path

    # -- LMTP

    def lmtp(self):
        return LMTPSession(self.ports["lmtp"])

    def lmtp_deliver(self, rcpts, msg, sender="sender@example.org"):
        """Deliver one message on a new connection; returns a
        DeliveryResult {rcpt: (code, text)} with .secs."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        with self.lmtp() as s:
            return s.deliver(rcpts, msg, sender)

    # -- ManageSieve

    def managesieve(self, user, password=None):
        """A logged-in ManageSieve connection (STARTTLS, PLAIN)."""
        return ManageSieve(self.ports["sieve"], self.env.tls.client_context(),
                           user, password or self.password(user))

    def standby_errors(self):
        """Error/Warning lines of the primary's log that mention standby."""
        return self.log_lines(r"\b(Error|Warning|Fatal|Panic):.*standby")

    # -- dovecot-standby state

    def state_dir(self, user):
        """The user's standby_state_dir (userdb field), or the default."""
        d = self.users.get(user, (None, {}))[1].get("standby_state_dir")
        return d or os.path.join(self.home(user), ".standby")

    def _entries(self, user, sub):
        d = os.path.join(self.state_dir(user), sub)
        try:
            return sorted(n for n in os.listdir(d) if not n.startswith("."))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []

    def queue_entries(self, user):
        return self._entries(user, "queue")

    def dead_entries(self, user):
        return [n for n in self._entries(user, "dead")
                if not n.endswith(".reason")]

    def tmp_entries(self, user):
        return self._entries(user, "tmp")

    def status(self, user):
        out = {}
        try:
            with open(os.path.join(self.state_dir(user), "status")) as f:
                for line in f:
                    k, _, v = line.rstrip("\n").partition("=")
                    out[k] = v
        except OSError:
            pass
        return out

    def ledger(self, user):
        try:
            with open(os.path.join(self.state_dir(user), "ledger")) as f:
                return [l.rstrip("\n").split("\t") for l in f if l.strip()]
        except OSError:
            return []

    def missed_records(self, user):
        """The lines of the user's missed list (up to its first NUL)."""
        try:
            with open(os.path.join(self.state_dir(user), "missed"),
                      "rb") as f:
                data = f.read().split(b"\0", 1)[0]
        except OSError:
            return []
        return [l.decode() for l in data.split(b"\n") if l]

    def worker_pids(self):
        """The standby-worker service process(es) (children of the master;
        not the drain processes they fork)."""
        return self.child_pids("standby-worker")

    def kill_worker(self, which="tree"):
        """SIGKILL the worker: which = "tree" (the service process and all
        its descendants, as a crash of the whole worker), "main" (only the
        service process; its drain children live on) or "children" (only
        the descendants). The tree is frozen with SIGSTOP first so that
        nothing forks or finishes in between. Returns the killed PIDs."""
        victims = []
        for pid in self.worker_pids():
            _signal(pid, signal.SIGSTOP)
            kids = descendants(pid)
            for k in kids:
                _signal(k, signal.SIGSTOP)
            if which in ("tree", "main"):
                victims.append(pid)
            if which in ("tree", "children"):
                victims += kids
            for v in victims:
                _signal(v, signal.SIGKILL)
            for k in [pid] + kids:
                if k not in victims:
                    _signal(k, signal.SIGCONT)
        return victims


class DeliveryResult(dict):
    """{recipient: (code, text)}, plus .secs: how long the transaction
    took from MAIL FROM to the last reply."""
    secs = 0.0


class LMTPSession:
    """One LMTP connection (smtplib.LMTP) delivering many messages, with a
    reply per accepted recipient after DATA (RFC 2033)."""

    def __init__(self, port):
        self.c = smtplib.LMTP("127.0.0.1", port, timeout=120)
        code, msg = self.c.ehlo("client.test")   # sends LHLO
        if code != 250:
            raise AssertionError("LHLO failed: %d %r" % (code, msg))

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.c.quit()
        except Exception:
            self.c.close()

    def deliver(self, rcpts, msg, sender="sender@example.org"):
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        if isinstance(msg, str):
            msg = msg.encode()
        c = self.c
        t0 = time.monotonic()
        code, text = c.mail(sender)
        if code != 250:
            raise AssertionError("MAIL FROM: %d %r" % (code, text))
        result, accepted = DeliveryResult(), []
        for r in rcpts:
            code, text = c.rcpt(r)
            result[r] = (code, text.decode(errors="replace"))
            if code // 100 == 2:
                accepted.append(r)
        if not accepted:
            c.rset()
            result.secs = time.monotonic() - t0
            return result
        c.putcmd("data")
        code, text = c.getreply()
        if code != 354:
            raise AssertionError("DATA: %d %r" % (code, text))
        # dot-stuff, keeping the line endings exactly as given (bare LF too)
        data = re.sub(rb"(?m)^\.", b"..", msg)
        if not data.endswith(b"\n"):
            data += b"\r\n"
        elif dovecot_24() and not data.endswith(b"\r\n"):
            # 2.4 ends DATA only at CRLF.CRLF (2.3 also at LF.CRLF): the
            # last line's bare LF becomes CRLF, the others stay bare
            data = data[:-1] + b"\r\n"
        c.send(data + b".\r\n")
        for r in accepted:
            code, text = c.getreply()
            result[r] = (code, text.decode(errors="replace"))
        result.secs = time.monotonic() - t0
        return result


class ManageSieve:
    """Just enough of RFC 5804 for the tests: STARTTLS, AUTHENTICATE PLAIN,
    PUTSCRIPT, SETACTIVE, LOGOUT."""

    def __init__(self, port, ctx, user, password):
        import base64
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rb")
        self._response()                                  # greeting
        self._command(b"STARTTLS")
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.f = self.sock.makefile("rb")
        # capabilities after STARTTLS, e.g. '"SIEVE" "fileinto ..."'
        self.capability_text = self._response()[1]
        auth = base64.b64encode(b"\0" + user.encode() + b"\0" +
                                password.encode())
        self._command(b'AUTHENTICATE "PLAIN" "' + auth + b'"')

    def _response(self):
        """Read up to the OK/NO/BYE line: (status, text incl. literals)."""
        text = []
        while True:
            line = self.f.readline()
            if not line:
                raise AssertionError("ManageSieve: connection closed")
            word = line.split(b" ", 1)[0].strip().upper()
            m = re.search(rb"\{(\d+)\+?\}\r\n$", line)
            if m:       # a literal, then the rest of the line
                text.append(line[:m.start()])
                text.append(self.f.read(int(m.group(1))))
                line = self.f.readline()
            text.append(line)
            if word in (b"OK", b"NO", b"BYE"):
                return word.decode(), b"".join(text).decode(errors="replace")

    def _command(self, cmd, check=True):
        self.sock.sendall(cmd + b"\r\n")
        status, text = self._response()
        if check and status != "OK":
            raise AssertionError("ManageSieve %s: %s" % (
                cmd.split(b" ", 1)[0].decode(), text.strip()))
        return status, text

    def putscript(self, name, script, check=True):
        """Upload; returns (status, text). The server compiles it."""
        data = script.encode() if isinstance(script, str) else script
        return self._command(b'PUTSCRIPT "%s" {%d+}\r\n' % (
            name.encode(), len(data)) + data, check=check)

    def sieve_extensions(self):
        """The SIEVE capability's extensions (from after STARTTLS)."""
        m = re.search(r'^"SIEVE" "([^"]*)"', self.capability_text, re.M)
        return m.group(1).split() if m else []

    def setactive(self, name):
        return self._command(b'SETACTIVE "%s"' % name.encode())

    def logout(self):
        try:
            self._command(b"LOGOUT", check=False)
        finally:
            self.sock.close()


# ---------------------------------------------------------------- Env

class Run:
    """Per-run state: the temp root and the TLS material."""

    def __init__(self):
        if os.geteuid() != 0:
            raise HarnessError("the integration tests must run as root")
        ensure_vmail()
        self.root = tempfile.mkdtemp(prefix="dsb-test-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.id = os.path.basename(self.root)[len("dsb-test-"):]
        self.tls = TLS(os.path.join(self.root, "tls"))
        self.seq = 0

    def env(self, name):
        self.seq += 1
        return Env(self, "t%02d" % self.seq, name)

    def cleanup(self):
        if KEEP:
            print("# KEEP=1: test files kept in %s" % self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


class Env:
    """What a test function gets: factories for the two servers; everything
    it started is stopped afterwards."""

    def __init__(self, run, short, testname):
        self.run = run
        self.testname = testname
        self.id = "%s-%s" % (run.id, short)
        self.dir = os.path.join(run.root, short)
        os.makedirs(self.dir, mode=0o755)
        self.tls = run.tls
        self.instances = []

    def make_standby(self, start=True):
        s = Standby(self)
        self.instances.append(s)
        if start:
            s.start()
        return s

    def make_primary(self, standby=None, mirror=True, settings=None,
                     start=True):
        p = Primary(self, standby=standby, mirror=mirror, settings=settings)
        self.instances.append(p)
        if start:
            p.start()
        return p

    def pair(self, settings=None, start=True):
        """A running standby and a mirroring primary pointing at it."""
        s = self.make_standby(start=start)
        p = self.make_primary(standby=s, settings=settings, start=start)
        return p, s

    def cleanup(self):
        vg_pids = []
        for inst in reversed(self.instances):
            if (VALGRIND or SANITIZE_BUILD) and inst.master_pid:
                vg_pids += descendants(inst.master_pid)
            try:
                inst.stop()
            except Exception as e:
                print("# stopping %s failed: %s" % (inst.name, e))
        if VALGRIND:
            self.check_valgrind(vg_pids)
        elif SANITIZE_BUILD:
            self.check_sanitizers(vg_pids)

    def check_sanitizers(self, pids):
        """Raise AssertionError for sanitizer reports (SANITIZE_BUILD),
        once the processes (pids) have exited."""
        try:
            wait_until(lambda: not any(pid_alive(p) for p in pids),
                       timeout=60, what="the sanitized processes to exit")
        except AssertionError as e:
            print("# %s" % e)
        bad = []
        for inst in self.instances:
            if isinstance(inst, Primary) and inst.mirror:
                bad += sanitize_reports(inst.sanitize_dir)
        if bad:
            raise AssertionError("sanitizers: %d report(s), first in %s:\n%s"
                                 % (len(bad), bad[0][0], bad[0][1]))

    def check_valgrind(self, pids):
        """Raise AssertionError for valgrind reports in our code, once the
        processes (pids) have written their leak summaries."""
        try:
            wait_until(lambda: not any(pid_alive(p) for p in pids),
                       timeout=120, what="the valgrind processes to exit")
        except AssertionError as e:
            print("# %s" % e)
        bad = []
        for inst in self.instances:
            if isinstance(inst, Primary):
                bad += valgrind_reports(inst.valgrind_dir)
        if bad:
            raise AssertionError("valgrind: %d report(s) in our code, "
                                 "first in %s:\n%s" % (
                                     len(bad), bad[0][0], bad[0][1]))

    def dump_logs(self, n=50):
        """The last n lines of every instance's log, without imapc's
        protocol chatter (VERBOSE=1: everything)."""
        verbose = os.environ.get("VERBOSE", "") not in ("", "0")
        out = []
        for inst in self.instances:
            lines = [l for l in inst.log_text().splitlines()
                     if verbose or "Debug: imapc(" not in l][-n:]
            out.append("--- %s log (%s), last %d lines:" % (
                inst.name, inst.log_path, len(lines)))
            out.append("\n".join(lines) or "(empty)")
        return "\n".join(out)


# ---------------------------------------------------------------- asserts

def assert_no_passwords_in_logs(env, passwords):
    for inst in env.instances:
        text = inst.log_text()
        for pw in passwords:
            if pw and pw in text:
                raise AssertionError("password %r appears in %s's log"
                                     % (pw, inst.name))


def assert_same_message(primary_msg, standby_msg, flags=None):
    """Byte-identical (after STRIP_HEADERS), same INTERNALDATE, and the
    expected flags on the copy (default: none)."""
    a = strip_headers(primary_msg.raw)
    b = strip_headers(standby_msg.raw)
    if a != b:
        i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
                 min(len(a), len(b)))
        raise AssertionError(
            "copy differs from the primary's message %s at byte %d "
            "(primary %d bytes, standby %d bytes): %r vs %r" % (
                primary_msg.message_id, i, len(a), len(b),
                a[max(0, i - 20):i + 40], b[max(0, i - 20):i + 40]))
    if primary_msg.internaldate != standby_msg.internaldate:
        raise AssertionError("INTERNALDATE differs for %s: primary %s, "
                             "standby %s" % (primary_msg.message_id,
                                             primary_msg.internaldate,
                                             standby_msg.internaldate))
    want = set(flags or ())
    if standby_msg.flags != want:
        raise AssertionError("flags of the copy of %s: %s, expected %s" % (
            primary_msg.message_id, sorted(standby_msg.flags), sorted(want)))


def assert_clean_logs(env, ignore=()):
    """No Error/Fatal/Panic line in any instance's log (besides lines
    matching one of the ignore regexes)."""
    for inst in env.instances:
        bad = [l for l in inst.log_lines(r"\b(Error|Fatal|Panic):", 0)
               if not any(re.search(rx, l) for rx in ignore)]
        if bad:
            raise AssertionError("%s logged errors: %s" % (
                inst.name, " | ".join(bad[:5])))


def wait_mirrored(p, s, user, expected, timeout=30, standby_user=None):
    """Wait until the standby account of user holds expected[folder]
    messages in each folder and user's queue on the primary is empty.
    Returns {folder: [Message]} fetched from the standby."""
    suser = standby_user or p.users[user][1].get("standby_user", user)

    def counts():
        return {f: s.count(suser, f) for f in expected}

    def done():
        # An entry leaves the queue only after the standby's OK: once the
        # queue is empty, the standby holds everything it will ever get.
        if p.queue_entries(user):
            return False
        have = counts()
        return all(have[f] >= n for f, n in expected.items()) and have
    try:
        have = wait_until(done, timeout=timeout, interval=0.2,
                          what="the standby to hold %s for %s" % (
                              expected, user))
    except AssertionError as e:
        raise AssertionError(
            "%s; standby holds %s, primary queue has %d entries, dead "
            "letters %d%s" % (e, counts(), len(p.queue_entries(user)),
                              len(p.dead_entries(user)),
                              "" if p.worker_pids() else
                              ", NO standby-worker process running"))
    if have != expected:
        raise AssertionError("the standby holds more than expected for %s: "
                             "%s instead of %s (duplicates?)" % (
                                 user, have, expected))
    return {f: s.fetch_all(suser, f) for f in expected}
