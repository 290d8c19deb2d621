"""A TCP proxy on 127.0.0.1 that puts itself between the worker and the
standby and injects network faults (tests/integration/test_faults.py).

Modes (set .mode at any time; new connections follow the new mode):
  "silent"   accept the connection and never send a byte (no greeting, no
             TLS handshake); the client's data is read and dropped
  "forward"  pass everything both ways to 127.0.0.1:target
  "cut"      forward, but close both sides once the client has sent more
             than N bytes on the connection
  "hang"     forward, but stop passing anything in either direction once
             the client has sent more than N bytes, keeping both sides
             open: a server that stops answering in mid-session
  "mute"     forward, but once the client has sent more than N bytes drop
             what the server sends, for a second, then close both sides:
             the server has what the client sent, the client never sees
             the replies (APPENDs that arrived, without their OK)
set_faults(mode, [N1, N2, ...]) makes the next connections fail so after
N1, N2, ... bytes, one each (a connection that ends before its limit
leaves it to the next one); once all are done, they forward. An item may
also be a (mode, N) pair.

.rate (bytes per second, default None: unlimited) slows down what the
client sends, as a slow link to the standby would.

The proxy sees TLS records, not IMAP: byte counts are on the wire.
Counters: .connections, .faults (cuts or hangs done)."""

import select
import socket
import threading
import time

FAULT_MODES = ("cut", "hang", "mute")


class FaultProxy:
    def __init__(self, target=None, mode="forward"):
        self.target = target
        self.mode = mode
        self._plan = []
        self.rate = None
        self.connections = 0
        self.faults = 0
        self._lock = threading.Lock()
        self._socks = set()
        self._stop = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop,
                                        daemon=True)
        self._thread.start()

    def _track(self, sock):
        with self._lock:
            self._socks.add(sock)

    def _close(self, *socks):
        for s in socks:
            if s is None:
                continue
            with self._lock:
                self._socks.discard(s)
            try:
                s.close()
            except OSError:
                pass

    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._track(client)
            with self._lock:
                self.connections += 1
                mode, limit = self.mode, 0
                if mode in FAULT_MODES:
                    if self._plan:
                        limit = self._plan.pop(0)
                        if isinstance(limit, tuple):
                            mode, limit = limit
                    else:
                        mode = "forward"
            threading.Thread(target=self._serve, args=(client, mode, limit),
                             daemon=True).start()

    def set_faults(self, mode, limits):
        with self._lock:
            self.mode = mode
            self._plan = list(limits)

    def _serve(self, client, mode, limit):
        upstream = None
        try:
            if mode == "silent":
                self._drain_silently(client)
                return
            upstream = socket.create_connection(("127.0.0.1", self.target),
                                                timeout=10)
            upstream.settimeout(None)
            self._track(upstream)
            if not self._pipe(client, upstream, mode, limit) and \
                    mode in FAULT_MODES:
                # the connection ended before its fault: next one
                with self._lock:
                    self._plan.insert(0, (mode, limit))
        except OSError:
            pass
        finally:
            self._close(client, upstream)

    def _drain_silently(self, client):
        while not self._stop:
            r, _, _ = select.select([client], [], [], 0.5)
            if r and not client.recv(65536):
                return

    def _pipe(self, client, upstream, mode, limit):
        """True when the fault was injected."""
        sent = 0
        hung = False
        muted_until = None
        while not self._stop:
            if muted_until is not None and time.monotonic() >= muted_until:
                return True
            r, _, _ = select.select([client, upstream], [], [], 0.1)
            for s in r:
                data = s.recv(16384)
                if not data:
                    return hung or muted_until is not None
                if hung:
                    # the client's data disappears; nothing comes back
                    continue
                if s is client:
                    if muted_until is None and mode in FAULT_MODES and \
                            sent + len(data) > limit:
                        with self._lock:
                            self.faults += 1
                        if mode == "mute":
                            muted_until = time.monotonic() + 1
                        else:
                            # pass the bytes up to the limit, then fail
                            upstream.sendall(data[:limit - sent])
                            if mode == "cut":
                                return True
                            hung = True
                            continue
                    sent += len(data)
                    upstream.sendall(data)
                    if self.rate:
                        time.sleep(len(data) / self.rate)
                elif muted_until is None:
                    client.sendall(data)
        return hung

    def close(self):
        self._stop = True
        self._close(self.listener)
        with self._lock:
            socks = list(self._socks)
        self._close(*socks)
