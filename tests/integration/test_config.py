# Copyright (c) 2026 dovecot-standby authors, see the included COPYING file
"""Every configuration example the project ships, checked by doveconf of
the Dovecot major the tests run against: conf.d's 90-standby.conf of that
major with its settings uncommented, and every README block fenced as
```dovecot-2.3 or ```dovecot-2.4. Each goes on top of a copy of Debian's
stock configuration (/usr/share/dovecot) as admins have it once Sieve is
on: 20-lmtp.conf and 20-imap.conf adding sieve and imap_sieve to their own
mail_plugins. On 2.3, the plugins each protocol ends up with are checked
too (doveconf shows them per protocol filter there; 2.4's boolean lists
add up over the filters, which the mirror tests show at run time)."""

import os
import re
import shutil
import subprocess

from harness import dovecot_major, dovecot_24

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
STOCK = "/usr/share/dovecot"

# A commented-out setting, section start or end (Dovecot's example style):
# "#key = value", "#section name {", "#}", and inside a commented section
# "#  key = value", "#  section {", "#  }". Prose is "# text".
_DIRECT = re.compile(r"^(\s*)#(?=[A-Za-z_}!])")
_NESTED = re.compile(r"^(\s*)#(\s+)([A-Za-z_][\w.-]*\s*=.*"
                     r"|[A-Za-z_][\w-]*(\s+[^\s{]+)?\s*\{\s*|\}\s*)$")

# doveconf 2.3 says this of a global mail_plugins after a protocol block
# that sets its own (Debian's 20-lmtp.conf once Sieve is on): true, and
# why the examples add standby in the protocol blocks too.
_EARLIER_FILTER = re.compile(r"Warning: .* Global setting mail_plugins "
                             r"won't change the setting inside an earlier "
                             r"filter")


def uncomment(text):
    """text with its commented-out settings enabled; (text, count)."""
    out, n = [], 0
    for line in text.splitlines(True):
        m = _DIRECT.match(line) or _NESTED.match(line.rstrip("\n"))
        if m:
            line = m.group(1) + line[m.end(1) + 1:]
            n += 1
        out.append(line)
    return "".join(out), n


def example_conf():
    """The shipped 90-standby.conf of this major."""
    if dovecot_24():
        return os.path.join(TOP, "conf.d", "2.4", "90-standby.conf")
    return os.path.join(TOP, "conf.d", "90-standby.conf")


def readme_blocks(major):
    """The README's configuration blocks for major: [(line, text)]."""
    with open(os.path.join(TOP, "README.md"), encoding="utf-8") as f:
        text = f.read()
    out = []
    for m in re.finditer(r"^```dovecot-(\d\.\d)\n(.*?)^```$", text,
                         re.M | re.S):
        if m.group(1) == major:
            out.append((text.count("\n", 0, m.start()) + 1, m.group(2)))
    return out


def stock_debian(env, name):
    """A copy of Debian's stock configuration in env's directory, with
    Sieve on in 20-lmtp.conf and 20-imap.conf and the test's certificate;
    returns its dovecot.conf."""
    d = os.path.join(env.dir, name)
    shutil.copytree(STOCK, d, symlinks=True, ignore=shutil.ignore_patterns(
        "stopwords", "*.pem"))
    cert, key = env.tls.server_cert("conftest")
    edits = {
        "10-ssl.conf": [(r"(?m)^ssl_cert = <.*$", "ssl_cert = <" + cert),
                        (r"(?m)^ssl_key = <.*$", "ssl_key = <" + key),
                        (r"(?m)^ssl_dh = <.*$", "ssl_dh = <%s/dh.pem"
                         % STOCK),
                        (r"(?m)^ssl_server_cert_file = .*$",
                         "ssl_server_cert_file = " + cert),
                        (r"(?m)^ssl_server_key_file = .*$",
                         "ssl_server_key_file = " + key)],
    }
    if dovecot_24():
        edits["20-lmtp.conf"] = [(r"  #mail_plugins \{\n  #  sieve = yes\n"
                                  r"  #\}", "  mail_plugins {\n    sieve = "
                                  "yes\n  }")]
        edits["20-imap.conf"] = [(r"  #mail_plugins \{\n  #  imap_sieve = "
                                  r"yes\n  #\}", "  mail_plugins {\n    "
                                  "imap_sieve = yes\n  }")]
    else:
        edits["20-lmtp.conf"] = [(r"(?m)^  #mail_plugins = \$mail_plugins$",
                                  "  mail_plugins = $mail_plugins sieve")]
        edits["20-imap.conf"] = [(r"(?m)^  #mail_plugins = \$mail_plugins$",
                                  "  mail_plugins = $mail_plugins "
                                  "imap_sieve")]
    for fn, subs in edits.items():
        path = os.path.join(d, "conf.d", fn)
        with open(path) as f:
            text = f.read()
        for rx, repl in subs:
            text, n = re.subn(rx, lambda m: repl, text)
            assert n == 1 or fn == "10-ssl.conf", \
                "stock %s: no %r" % (fn, rx)
        with open(path, "w") as f:
            f.write(text)
    return os.path.join(d, "dovecot.conf")


def doveconf(conf, *args):
    r = subprocess.run(["doveconf", "-c", conf] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    return r.returncode, r.stdout, r.stderr


def check(conf, what, wants=()):
    """doveconf -n accepts conf with no complaint but the earlier-filter
    warning; the doveconf -n output holds every string of wants. On 2.3,
    LMTP, LDA, IMAP and doveadm load standby when conf adds it
    anywhere, and LMTP and IMAP keep the stock file's Sieve plugins.
    Returns the doveconf -n output."""
    rc, out, err = doveconf(conf, "-n")
    complaints = [l for l in err.splitlines()
                  if l.strip() and not _EARLIER_FILTER.search(l)]
    assert rc == 0 and not complaints, \
        "%s: doveconf -n exited %d:\n%s" % (what, rc, err.strip())
    for w in wants:
        assert w in out, "%s: %r not in doveconf -n:\n%s" % (what, w, out)
    if dovecot_24() or not re.search(r"(?m)^mail_plugins = .*standby",
                                     out):
        return out
    for proto, also in (("lmtp", "sieve"), ("lda", None),
                        ("imap", "imap_sieve"), ("doveadm", None)):
        rc, val, err = doveconf(conf, "-f", "protocol=" + proto, "-h",
                                "mail_plugins")
        plugins = val.split()
        assert "standby" in plugins and (also is None or also in plugins), \
            "%s: protocol %s loads %r" % (what, proto, plugins)
    return out


def test_conf_example_on_stock_debian(env):
    conf = stock_debian(env, "etc")
    with open(example_conf()) as f:
        text, n = uncomment(f.read())
    assert n >= 40, "only %d settings uncommented in %s" % (
        n, example_conf())
    with open(os.path.join(os.path.dirname(conf), "conf.d",
                           "90-standby.conf"), "w") as f:
        f.write(text)
    check(conf, example_conf(), wants=(
        "standby_host", "standby_state_dir", "sieve_standby",
        "vnd.standby.mirror", "standby-wiring.sieve",
        "/usr/lib/dovecot/standby-worker"))


def test_conf_example_is_inert(env):
    """Commented out, the file changes nothing."""
    conf = stock_debian(env, "etc")
    rc, before, err = doveconf(conf, "-n")
    assert rc == 0, err
    shutil.copy(example_conf(), os.path.join(os.path.dirname(conf),
                                             "conf.d", "90-standby.conf"))
    rc, after, err = doveconf(conf, "-n")
    assert rc == 0 and after == before, (err, after)


def test_readme_config_examples(env):
    blocks = readme_blocks(dovecot_major())
    assert len(blocks) >= 3, "README: %d dovecot-%s blocks" % (
        len(blocks), dovecot_major())
    for i, (line, text) in enumerate(blocks):
        conf = stock_debian(env, "readme%d" % i)
        with open(os.path.join(os.path.dirname(conf), "conf.d",
                               "95-readme.conf"), "w") as f:
            f.write(text)
        check(conf, "README.md line %d" % line)
