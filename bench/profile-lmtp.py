#!/usr/bin/python3
"""Where an LMTP delivery's CPU goes, with and without `mirror;`.

Two private Dovecot instances on loopback (tests/integration/harness.py);
two users on the primary, one with a script that mirrors every message
(a), one with a script that does not (b). Rounds a, b, a, b: each round
delivers N x 5 KB to its user over one LMTP connection while `perf record
-g` samples the LMTP processes; the second round of a user delivers into
the N messages of its first. Prints msg/s per round and writes
/tmp/profile-lmtp-<round><variant>.data for `perf report -i FILE
--no-children --sort sym`. Must run as root, with perf installed.
"""

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "bench_delivery", os.path.join(HERE, "bench-delivery.py"))
bd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bd)
harness = bd.harness


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", "-n", type=int, default=1500)
    a = ap.parse_args()
    run = harness.Run()
    env = run.env("profile-lmtp")
    try:
        s = env.make_standby()
        p = bd.BenchPrimary(env, standby=s)
        env.instances.append(p)
        for v in "ab":
            p.add_mirrored_user("u%s@primary.test" % v,
                                standby_user="u%s@standby.test" % v)
        p.start()
        for v in "ab":
            p.set_script("u%s@primary.test" % v,
                         bd.MIRROR_SCRIPT if v == "a" else bd.PLAIN_SCRIPT)
        for rnd, v in enumerate("abab"):
            user = "u%s@primary.test" % v
            sess = p.lmtp()
            sess.deliver([user], bd.make_sized(5120, 0, "warm-up"))
            # every LMTP process (an idle one may serve this connection)
            pids = ",".join(str(x) for x in p.child_pids("lmtp"))
            out = "/tmp/profile-lmtp-%d%s.data" % (rnd, v)
            rec = subprocess.Popen(["perf", "record", "-g", "-p", pids,
                                    "-o", out], stderr=subprocess.DEVNULL)
            time.sleep(1)
            t = time.monotonic()
            for i in range(a.messages):
                sess.deliver([user], bd.make_sized(5120, i, "r%d" % rnd))
            el = time.monotonic() - t
            rec.send_signal(signal.SIGINT)
            rec.wait()
            sess.close()
            print("round %d (%s, %s): %.1f msg/s -> %s" % (
                rnd, v, "mirror" if v == "a" else "plain",
                a.messages / el, out), flush=True)
            time.sleep(3)
    finally:
        env.cleanup()
        run.cleanup()


if __name__ == "__main__":
    sys.exit(main())
