#!/usr/bin/env python3
"""A misbehaving IMAP server for test-standby-imap: the APPEND folder name
chooses the reply. Port 1: scripted server; port 2: accepts and stays silent."""
import socket, sys, threading, re, time

def handle(conn):
    try:
        script(conn)
    except OSError:
        pass

def script(conn):
    f = conn.makefile("rb")
    def send(s):
        conn.sendall(s.encode())
    send("* OK [CAPABILITY IMAP4rev1 UIDPLUS] fake ready\r\n")
    uid = 0
    while True:
        line = f.readline()
        if not line:
            return
        text = line.decode("latin-1").rstrip("\r\n")
        parts = text.split(" ")
        tag, cmd = parts[0], parts[1].upper() if len(parts) > 1 else ""
        m = re.search(r"\{(\d+)(\+?)\}$", text)
        if cmd == "APPEND":
            box = parts[2].strip('"')
            if box == "toobig":
                send(f"{tag} NO [TOOBIG] Message too large\r\n")
                continue
            if box == "drop":
                send("+ go\r\n")
                f.read(int(m.group(1)))
                conn.close()
                return
            if m and not m.group(2):
                send("+ go\r\n")
            f.read(int(m.group(1)))
            f.readline()
            if box == "quota":
                send(f"{tag} NO [OVERQUOTA] Quota exceeded\r\n")
            elif box == "bad":
                send(f"{tag} BAD Broken\r\n")
            else:
                uid += 1
                send(f"{tag} OK [APPENDUID 77 {uid}] done\r\n")
        elif cmd == "LOGOUT":
            send(f"* BYE bye\r\n{tag} OK done\r\n")
            conn.close()
            return
        else:
            send(f"{tag} OK done\r\n")

def serve(port, silent):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    held = []
    while True:
        c, _ = s.accept()
        if silent:
            held.append(c)
        else:
            threading.Thread(target=handle, args=(c,), daemon=True).start()

threading.Thread(target=serve, args=(int(sys.argv[2]), True), daemon=True).start()
serve(int(sys.argv[1]), False)
