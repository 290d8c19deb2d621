"""The plugins the tests exercise are the ones meant: the installed build,
or with SANITIZE_BUILD (scripts/test's asan suite) the sanitizer build,
mapped into the primary's lmtp and imap processes and the worker."""

import os
import subprocess

from harness import (make_msg, descendants, wait_mirrored, MAIL_PLUGIN,
                     SIEVE_PLUGIN, WORKER, SANITIZE_BUILD, dovecot_24)

ALICE = "alice@primary.test"


def maps_of(pids):
    """{pid: (exe, set of mapped files)} of the processes still alive."""
    out = {}
    for pid in pids:
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
            with open("/proc/%d/maps" % pid) as f:
                files = {l.split(None, 5)[5].strip() for l in f
                         if len(l.split(None, 5)) == 6}
        except OSError:
            continue
        out[pid] = (exe, files)
    return out


def test_the_meant_plugins_are_loaded(env):
    if SANITIZE_BUILD:
        b = os.path.realpath(SANITIZE_BUILD)
        mail = os.path.join(b, "src/plugin/.libs/lib20_standby_plugin.so")
        sieve = os.path.join(b,
                             "src/sieve/.libs/lib90_sieve_standby_plugin.so")
        worker = os.path.join(b, "src/worker/standby-worker")
    else:
        mail, sieve, worker = (os.path.realpath(f) for f in
                               (MAIL_PLUGIN, SIEVE_PLUGIN, WORKER))
    p, s = env.pair()
    p.add_mirrored_user(ALICE)
    p.set_script(ALICE, 'require "vnd.standby.mirror";\nmirror;\n')
    c = p.imap(ALICE)
    try:
        with p.lmtp() as lmtp:
            assert lmtp.deliver(ALICE, make_msg())[ALICE][0] == 250
            procs = maps_of(descendants(p.master_pid))
    finally:
        c.logout()
    wait_mirrored(p, s, ALICE, {"INBOX": 1})
    by_exe = {}
    for exe, files in procs.values():
        by_exe.setdefault(os.path.basename(exe), []).append(files)
    assert worker in {exe for exe, _ in procs.values()}, sorted(by_exe)
    for name in ("lmtp", "imap"):
        assert by_exe.get(name), (name, sorted(by_exe))
        assert any(mail in files for files in by_exe[name]), \
            (name, mail, [sorted(f for f in files if "standby" in f)
                          for files in by_exe[name]])
    # Pigeonhole unloads its plugins after each run: check where it
    # finds them instead
    r = subprocess.run(["doveconf", "-c", p.conf_path, "-h",
                        "sieve_plugin_dir" if dovecot_24() else
                        "plugin/sieve_plugin_dir"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    sdir = r.stdout.strip() or "/usr/lib/dovecot/modules/sieve"
    assert os.path.realpath(os.path.join(
        sdir, "lib90_sieve_standby_plugin.so")) == sieve, (sdir, sieve)
    if SANITIZE_BUILD:
        asan = [f for f in by_exe["lmtp"][0] if "libasan" in f]
        assert asan, "no ASan runtime in lmtp"
