#!/usr/bin/python3
"""Integration test runner (stdlib only).

    python3 tests/integration/run.py [-k PATTERN]... [--list] [-x]

Runs every test_* function of the test_*.py modules next to this file, each
with a fresh Env (its own standby and primary Dovecot instances). Prints
`ok - name (secs)` / `not ok - name: reason`, the tail of both servers' logs
on failure, and finally `N passed, N failed`. Exit status 1 on any failure.
KEEP=1 keeps the temp dir (/tmp/dsb-test-*) for inspection.
"""

import argparse
import fnmatch
import importlib
import inspect
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def discover(patterns):
    tests = []
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        mod = importlib.import_module(fn[:-3])
        funcs = [(name, f) for name, f in vars(mod).items()
                 if name.startswith("test_") and inspect.isfunction(f)
                 and f.__module__ == mod.__name__]
        funcs.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for name, f in funcs:
            full = "%s.%s" % (mod.__name__, name)
            if patterns and not any(pattern in full or
                                    fnmatch.fnmatch(full, pattern) or
                                    fnmatch.fnmatch(name, pattern)
                                    for pattern in patterns):
                continue
            tests.append((full, f))
    return tests


def one_line(e):
    s = "%s: %s" % (type(e).__name__, e) if not isinstance(
        e, AssertionError) else str(e) or "assertion failed"
    return " ".join(s.split())[:600]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", dest="patterns", action="append",
                    help="run only tests whose name contains PATTERN "
                         "(or matches it as a glob); may be repeated")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-x", action="store_true", help="stop at first failure")
    args = ap.parse_args()

    # `timeout` and CI cancel with SIGTERM: stop the instances on the way out
    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_term)

    tests = discover(args.patterns)
    if args.list:
        for name, _ in tests:
            print(name)
        return 0
    if not tests:
        print("no tests match %r" % args.patterns)
        print("0 passed, 1 failed")
        return 1

    missing = harness.standby_installed()
    if missing:
        print("# NOTE: dovecot-standby is not installed (missing %s); the "
              "mirror tests will fail" % ", ".join(missing))

    passed = failed = 0
    try:
        run = harness.Run()
    except Exception as e:
        print("not ok - harness setup: %s" % one_line(e))
        print("0 passed, %d failed" % len(tests))
        return 1
    try:
        for name, func in tests:
            env = run.env(name)
            t0 = time.monotonic()
            err = None
            try:
                func(env)
            except KeyboardInterrupt:
                raise
            except BaseException as e:
                err = e
                tb = traceback.format_exc()
            finally:
                try:
                    env_logs = env.dump_logs() if err else None
                    env.cleanup()
                except Exception as e:
                    if err is None:
                        err, tb = e, traceback.format_exc()
                        env_logs = env.dump_logs()
            secs = time.monotonic() - t0
            if err is None:
                passed += 1
                print("ok - %s (%.1fs)" % (name, secs), flush=True)
            else:
                failed += 1
                print("not ok - %s: %s (%.1fs)" % (name, one_line(err), secs))
                for line in tb.rstrip().splitlines()[-12:]:
                    print("#   " + line)
                for line in env_logs.splitlines():
                    print("# " + line)
                sys.stdout.flush()
                if args.x:
                    break
    finally:
        run.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
