#!/usr/bin/python3
"""The SMTP hop of the `redirect :copy` peer in bench/bench-delivery.py.

Listens for SMTP on 127.0.0.1:LISTEN (the primary's `submission_host`) and
forwards every message, synchronously and unchanged, over ONE persistent
LMTP connection into the standby Dovecot's LMTP listener (127.0.0.1:LMTP).
The SMTP client (the primary's lmtp process, inside its LMTP transaction)
gets the standby's LMTP reply as its reply to the end of DATA: 250 only
once the standby has stored the message (fsync'd), 451 otherwise.

There is no queue and no disk write in the relay itself, so it is cheaper
than a real MTA hop (Postfix would write and fsync its own queue file
before answering 250): the figure it gives the peer is an optimistic one.

Single process, single thread: Python's stdlib `smtpd`/`asyncore`
(deprecated, still in Debian 12's Python 3.11).  Stdlib only.
"""

import argparse
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import asyncore  # noqa: E402
import smtpd     # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import harness   # noqa: E402  (read-only: LMTPSession)


class Relay(smtpd.SMTPServer):
    def __init__(self, listen, lmtp_port):
        super().__init__(("127.0.0.1", listen), None, decode_data=False,
                         data_size_limit=0)
        self.lmtp_port = lmtp_port
        self.session = None
        self.count = 0

    def _lmtp(self):
        if self.session is None:
            self.session = harness.LMTPSession(self.lmtp_port)
        return self.session

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        for attempt in (1, 2):
            try:
                res = self._lmtp().deliver(rcpttos, data, mailfrom or "<>")
                break
            except Exception as e:        # connection lost: reconnect once
                if self.session is not None:
                    self.session.close()
                self.session = None
                if attempt == 2:
                    return "451 4.4.0 relay: LMTP to standby failed: %s" % e
        bad = [(r, c, t) for r, (c, t) in res.items() if c != 250]
        if bad:
            return "451 4.4.0 relay: standby answered %r" % bad
        self.count += 1
        return None            # 250 OK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--lmtp", type=int, required=True)
    a = ap.parse_args()
    Relay(a.listen, a.lmtp)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    asyncore.loop(timeout=1)


if __name__ == "__main__":
    main()
