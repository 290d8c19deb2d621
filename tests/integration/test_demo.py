"""The demo (scripts/demo, issue 5 item 2) runs through and says so."""

import os
import re
import subprocess

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "..", "scripts", "demo")


def test_demo_runs(env):
    # env is unused: the demo starts (and stops) its own two instances
    r = subprocess.run([DEMO, "--no-build"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    out = r.stdout.decode("utf-8", "replace")
    # the step that failed and what it saw (the servers' logs follow it)
    i = out.find("FAILED at step")
    tail = out[i:i + 3000] if i >= 0 else "\n".join(out.splitlines()[-40:])
    assert r.returncode == 0, "scripts/demo exited %d:\n%s" % (
        r.returncode, tail)
    steps = re.findall(r"^(\d)\. ", out, re.M)
    assert steps == ["1", "2", "3", "4", "5", "6"], (steps, tail)
    for line in (
            "ok: ManageSieve accepted and compiled the script \"standby\"",
            "ok: the private mail (\"Grillabend am Samstag?\") is not on "
            "the standby",
            "ok: the standby's Sent holds the quote, byte-identical",
            "ok: every restored message is byte-identical to the original",
            "ok: it copied 0 messages; Orders still holds 4",
            "ok: the primary's INBOX got exactly the two orders from the "
            "outage",
            "ok: the new order is on the standby, in Orders",
            "ok: doveadm standby status exited 0",
            "All steps did what they said"):
        assert line in out, "missing %r in the demo's output:\n%s" % (
            line, tail)
    assert "FAILED" not in out, tail
    assert "$StandbyFailback" in out
