#!/usr/bin/env python3
"""A misbehaving IMAP server for test-standby-imap.

Port 1: scripted server; port 2: accepts and stays silent.

The LOGIN user name chooses how the connection misbehaves (MODES below;
any other name: a well-behaved server), and the APPEND folder name chooses
the reply to that APPEND (BOXES below). Appended messages are kept per
connection, so that EXAMINE, UID SEARCH LARGER/SMALLER and UID FETCH
BODY.PEEK[] (what find_copy sends) find them."""
import re
import socket
import sys
import threading

MB = 1024 * 1024
MODES = {
    # LIST: a \Sent folder named by a 2 GB literal, then 3 MB of garbage
    "biglit-list",
    # UID FETCH: a BODY[] literal of 2 GB, then nothing
    "biglit-fetch",
    # UID FETCH: a BODY[] literal of 2 GB, 3 MB of it, then EOF
    "biglit-fetch-eof",
    # reply to LOGIN: 4 MB without CRLF, then nothing
    "noeol-login",
    # reply to the first APPEND: 4 MB without CRLF, then nothing
    "noeol",
    # LIST: folder names that are not valid modified UTF-7
    "utf7",
    # well-formed unsolicited responses around every reply
    "chatty",
    # an untagged line that does not parse before the first APPEND reply
    "garbage",
    # an unsolicited BYE after the first APPEND reply, then EOF
    "bye",
    # the first APPEND is answered with a tag never sent
    "unknown-tag",
    # ... with a tag that is no tag at all
    "bad-tag",
}
# APPEND folder -> tagged reply (after the literal)
BOXES = {
    "quota": "NO [OVERQUOTA] Quota exceeded",
    "bad": "BAD Broken",
    "uid-alpha": "OK [APPENDUID abc def] done",
    "uid-validity-zero": "OK [APPENDUID 0 5] done",
    "uid-zero": "OK [APPENDUID 77 0] done",
    "uid-set": "OK [APPENDUID 77 5:7] done",
    "uid-list": "OK [APPENDUID 77 5,6] done",
    "uid-count": "OK [APPENDUID 77 5 6] done",
    "uid-huge": "OK [APPENDUID 77 99999999999] done",
    "uid-missing": "OK [APPENDUID 77] done",
}
CHATTER = (
    "* 3 EXISTS\r\n"
    "* 2 EXPUNGE\r\n"
    "* 1 RECENT\r\n"
    "* 1 FETCH (FLAGS (\\Seen))\r\n"
    "* 7 FETCH (UID 99 BODY[] {5}\r\nhello)\r\n"
    "* OK [ALERT] The standby goes down for maintenance\r\n"
    "* XYZZY unknown untagged reply\r\n"
    "* NO [UNAVAILABLE] something is wrong somewhere\r\n"
)
UTF7_LIST = (
    '* LIST (\\Sent) "/" "Sent&AOQ"\r\n'       # unterminated base64
    '* LIST () "/" "Gr\xfc\xdfe"\r\n'          # 8-bit, not encoded
    '* LIST () "/" "&2D0-"\r\n'                # lone surrogate
    '* LIST () "/" "&,,,-"\r\n'                # not UTF-16
    '* LIST () "/" INBOX\r\n'
    '* LIST () "/" "Auftr&AOQ-ge"\r\n'
)


def hold(f):
    """Read (and drop) whatever the client sends until it closes."""
    while f.read(4096):
        pass


def script(conn):
    f = conn.makefile("rb")

    def send(s):
        conn.sendall(s.encode("latin-1") if isinstance(s, str) else s)

    send("* OK [CAPABILITY IMAP4rev1 UIDPLUS] fake ready\r\n")
    mode = ""
    messages = []       # (uid, bytes)
    appends = 0
    while True:
        line = f.readline()
        if not line:
            return
        text = line.decode("latin-1").rstrip("\r\n")
        parts = text.split(" ")
        tag, cmd = parts[0], parts[1].upper() if len(parts) > 1 else ""
        if cmd == "UID" and len(parts) > 2:
            cmd = "UID " + parts[2].upper()
        m = re.search(r"\{(\d+)(\+?)\}$", text)
        if mode == "chatty":
            send(CHATTER)
        if cmd == "LOGIN":
            mode = parts[2].strip('"')
            if mode == "noeol-login":
                send("* OK " + "x" * (4 * MB))
                return hold(f)
            send(f"{tag} OK [CAPABILITY IMAP4rev1 UIDPLUS SPECIAL-USE] "
                 "logged in\r\n")
        elif cmd == "APPEND":
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
            data = f.read(int(m.group(1)))
            f.readline()
            appends += 1
            if mode == "noeol":
                send("* OK " + "y" * (4 * MB))
                return hold(f)
            if mode == "garbage" and appends == 1:
                send("* (((( \x01\x02 }{ ]] \"unterminated\r\n")
            if mode == "unknown-tag" and appends == 1:
                send("99999 OK [APPENDUID 77 1] done\r\n")
                continue
            if mode == "bad-tag" and appends == 1:
                send("Z999 OK [APPENDUID 77 1] done\r\n")
                continue
            if box in BOXES:
                reply = f"{tag} {BOXES[box]}\r\n"
            else:
                uid = len(messages) + 1
                messages.append((uid, data))
                reply = f"{tag} OK [APPENDUID 77 {uid}] done\r\n"
            if mode == "bye":
                # in the same write as the reply, so that the client sees
                # the BYE before it can send its next command
                send(reply + "* BYE Shutting down for hostile testing\r\n")
                conn.close()
                return
            send(reply)
        elif cmd == "CAPABILITY":
            send("* CAPABILITY IMAP4rev1 UIDPLUS SPECIAL-USE\r\n"
                 f"{tag} OK done\r\n")
        elif cmd == "LIST":
            if mode == "biglit-list":
                send('* LIST (\\Sent) "/" {2000000000}\r\n' +
                     "g" * (3 * MB))
                return hold(f)
            if mode == "utf7":
                send(UTF7_LIST)
            send(f"{tag} OK done\r\n")
        elif cmd in ("EXAMINE", "SELECT"):
            send(f"* {len(messages)} EXISTS\r\n* OK [UIDVALIDITY 77] ok\r\n"
                 f"{tag} OK [READ-ONLY] done\r\n")
        elif cmd == "UID SEARCH":
            # UID SEARCH LARGER a SMALLER b
            larger, smaller = int(parts[4]), int(parts[6])
            uids = [str(u) for u, d in messages
                    if larger < len(d) < smaller]
            if mode.startswith("biglit-fetch"):
                uids = ["1"]
            send("* SEARCH %s\r\n%s OK done\r\n" % (" ".join(uids), tag))
        elif cmd == "UID FETCH":
            wanted = {int(u) for u in parts[3].split(",")}
            if mode.startswith("biglit-fetch"):
                send("* 1 FETCH (UID 1 BODY[] {2000000000}\r\n")
                if mode == "biglit-fetch-eof":
                    send("b" * (3 * MB))
                    return
                return hold(f)
            for seq, (uid, data) in enumerate(messages, 1):
                if uid not in wanted:
                    continue
                send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n")
                send(data)
                send(")\r\n")
            send(f"{tag} OK done\r\n")
        elif cmd == "LOGOUT":
            send(f"* BYE bye\r\n{tag} OK done\r\n")
            conn.close()
            return
        else:
            send(f"{tag} OK done\r\n")


def handle(conn):
    try:
        script(conn)
    except OSError:
        pass
    finally:
        conn.close()


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


threading.Thread(target=serve, args=(int(sys.argv[2]), True),
                 daemon=True).start()
serve(int(sys.argv[1]), False)
