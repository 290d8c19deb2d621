#!/usr/bin/python3
"""The dovecot-standby demo: the mail triangle, told and checked step by step.

Run by scripts/demo (which installs packages, builds and cleans up); not
meant to be run by hand:

    /usr/bin/python3 scripts/demo-walkthrough.py --dir DIR

Starts a primary and a standby Dovecot on 127.0.0.1 with TLS (the private
instances of tests/integration/harness.py, under DIR), walks through
mirroring, sent mail, scenario A (restore) and scenario C (failback), and
checks every step. Exit status 0 only if every step did what it says; at
the first step that did not, it prints what was expected and what it saw,
the end of both servers' logs, and exits 1. Both instances are stopped on
the way out, also on SIGINT/SIGTERM/SIGHUP.
"""

import argparse
import imaplib
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402
from harness import make_msg, message_id, wait_mirrored  # noqa: E402

ANNA = "anna@shop.example"
ANNA_STANDBY = "anna.shop@freemail.example"
DOVEADM_PLUGIN = harness.DOVECOT_LIBDIR + \
    "/modules/doveadm/lib10_doveadm_standby_plugin.so"

BUSINESS_WORDS = ('"Bestellung", "Angebot", "Rechnung", '
                  '"order", "quote", "invoice"')
CUSTOMERS = '"fischer-gmbh.example", "angelclub-nord.example"'

# Anna's relevance rules: her personal Sieve script "standby".
RULES = """\
# Anna's relevance rules: what goes to her standby account.
require ["vnd.standby.mirror", "environment"];

if environment :is "vnd.standby.direction" "outgoing" {
    # mail she sends: quotes, invoices, orders and anything to customers
    # go to the standby's Sent folder
    if anyof (header :contains "subject" [%(words)s],
              address :domain :is ["to", "cc"] [%(customers)s]) {
        mirror;
    }
} elsif anyof (header :contains "subject" [%(words)s],
               address :all :is ["to", "cc"] "orders@shop.example") {
    # orders (the shop's order address), quotes, invoices: folder Orders
    mirror :mailbox "Orders";
} elsif address :domain :is "from" [%(customers)s] {
    # everything else from customers: the standby's INBOX
    mirror;
}
# anything else (private mail, newsletters) stays on the primary only
""" % {"words": BUSINESS_WORDS, "customers": CUSTOMERS}

# Her ordinary filter (the active script), as her mail program set it up.
FILTER = """\
require ["fileinto", "mailbox"];
if anyof (header :contains "subject" [%(words)s],
          address :all :is ["to", "cc"] "orders@shop.example") {
    fileinto :create "Orders";
}
""" % {"words": BUSINESS_WORDS}

DATE = "Tue, 04 Jun 2024 %s +0200"


def mail(subject, sender, to, body, at):
    return make_msg(subject=subject, sender=sender, to=to, body=body,
                    date=DATE % at)


ORDER_1 = mail("Neue Bestellung 10041", '"Webshop" <shop@shop.example>',
               "orders@shop.example",
               "Bestellung 10041\r\n2 x Karbonrute 3,60 m, 1 x Rolle FX-40\r\n"
               "Kunde: H. Petersen, Kiel\r\n", "08:12:00")
ORDER_2 = mail("You sold an item: #2231",
               "Marketplace <noreply@marketplace.example>",
               "orders@shop.example",
               "Item: Wathose Gr. 44\r\nBuyer: k.jensen\r\n", "09:40:00")
QUOTE_IN = mail("Angebot 2024-0815 Karbonruten",
                "Vertrieb <vertrieb@rutenbau.example>", ANNA,
                "Sehr geehrte Frau Berg,\r\nanbei unser Angebot.\r\n",
                "10:05:00")
INVOICE = mail("Rechnung RE-4711", "Buchhaltung <buchhaltung@rutenbau.example>",
               ANNA, "Rechnung RE-4711 ueber 1.240,00 EUR, faellig 30 Tage.\r\n",
               "11:30:00")
CUSTOMER = mail("Termin naechste Woche", "Einkauf <einkauf@fischer-gmbh.example>",
                ANNA, "Passt Ihnen Dienstag, 10 Uhr?\r\n", "12:00:00")
PRIVATE = mail("Grillabend am Samstag?", "Tom <tom@freemail.example>", ANNA,
               "Kommst du? Bring Wuerstchen mit.\r\n", "13:15:00")
QUOTE_SENT = mail("Angebot A-117 fuer 20 Wathosen", "Anna Berg <%s>" % ANNA,
                  "einkauf@fischer-gmbh.example",
                  "Guten Tag,\r\nhier unser Angebot ueber 20 Wathosen.\r\n",
                  "14:02:00")
# scenario C: during the outage, at the standby account
OUTAGE_ORDER_1 = mail("Neue Bestellung 10042", '"Webshop" <shop@shop.example>',
                      "orders@shop.example",
                      "Bestellung 10042\r\n1 x Kescher XL\r\n", "16:20:00")
OUTAGE_ORDER_2 = mail("You sold an item: #2240",
                      "Marketplace <noreply@marketplace.example>",
                      "orders@shop.example",
                      "Item: Angelkoffer\r\nBuyer: m.olsen\r\n", "17:45:00")
OUTAGE_SENT = mail("Ihre Bestellung 10042: Versand morgen",
                   "Anna Berg <%s>" % ANNA, "h.petersen@example.net",
                   "Ihre Bestellung geht morgen raus.\r\n", "18:00:00")
AFTER_ORDER = mail("Neue Bestellung 10043", '"Webshop" <shop@shop.example>',
                   "orders@shop.example", "Bestellung 10043\r\n3 x Blinker\r\n",
                   "09:00:00")

NAMES = {}
for _name, _raw in list(globals().items()):
    if isinstance(_raw, bytes) and _name.isupper():
        NAMES[message_id(_raw)] = _name


class StepFailed(Exception):
    pass


class Interrupted(Exception):
    pass


# ---------------------------------------------------------------- output

STEP = [None]


def step(n, title):
    STEP[0] = "%s. %s" % (n, title)
    print()
    print("=" * 72)
    print("%s. %s" % (n, title))
    print("=" * 72)


def say(text=""):
    for line in text.splitlines() or [""]:
        print("   " + line)
    sys.stdout.flush()


def show(text, indent="     | "):
    for line in text.rstrip("\n").splitlines():
        print(indent + line)
    sys.stdout.flush()


def check(cond, what, saw=None):
    """One check: prints "ok: what", or fails the step."""
    if not cond:
        raise StepFailed("expected: %s%s" % (what, "" if saw is None else
                                   "\n      saw: %s" % (saw,)))
    print("   ok: " + what)
    sys.stdout.flush()


def subject(raw):
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"subject:"):
            return line[8:].strip().decode("utf-8", "replace")
        if not line:
            break
    return "?"


def table(rows, cols):
    """rows: list of dicts; an aligned text table of cols."""
    widths = [max([len(c)] + [len(str(r.get(c, ""))) for r in rows])
              for c in cols]
    out = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
    for r in rows:
        out.append("  ".join(str(r.get(c, "")).ljust(w)
                             for c, w in zip(cols, widths)).rstrip())
    return "\n".join(out)


# ---------------------------------------------------------------- servers

class DemoRun(harness.Run):
    """harness.Run with a root directory given by scripts/demo."""

    def __init__(self, root):  # pylint: disable=super-init-not-called
        if os.geteuid() != 0:
            raise harness.HarnessError("the demo must run as root")
        harness.ensure_vmail()
        self.root = root
        os.makedirs(root, mode=0o755, exist_ok=True)
        os.chmod(root, 0o755)
        self.id = "demo-%d" % os.getpid()
        self.tls = harness.TLS(os.path.join(root, "tls"))
        self.seq = 0


def doveadm_standby(p, *args):
    """`doveadm -f tab standby ARGS`: (exit code, rows as dicts, stdout,
    stderr)."""
    cmd = ["doveadm", "-c", p.conf_path, "-f", "tab", "standby"] + list(args)
    say("$ doveadm standby " + " ".join(args))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    out = r.stdout.decode("utf-8", "replace")
    err = r.stderr.decode("utf-8", "replace")
    lines = [l for l in out.split("\n") if l]
    rows = []
    if lines:
        head = lines[0].split("\t")
        rows = [dict(zip(head, l.split("\t"))) for l in lines[1:]]
    if rows:
        show(table(rows, [h for h in head if h != "user"]))
    elif out.strip():
        show(out)
    if err.strip():
        show(err, indent="     ! ")
    return r.returncode, rows, out, err


def folder_counts(server, user):
    return {f: server.count(user, f) for f in server.folders(user)}


def show_folders(p, s):
    """Prints both sides' folders and counts; returns (primary, standby)."""
    pc, sc = folder_counts(p, ANNA), folder_counts(s, ANNA_STANDBY)
    names = sorted(set(pc) | set(sc), key=lambda f: (f != "INBOX", f))
    rows = [{"folder": f,
             "primary (anna@shop.example)": pc.get(f, "-"),
             "standby (anna.shop@freemail.example)": sc.get(f, "-")}
            for f in names]
    show(table(rows, ["folder", "primary (anna@shop.example)",
                      "standby (anna.shop@freemail.example)"]))
    return pc, sc


def by_id(msgs):
    return {m.message_id: m for m in msgs}


def ids(*raws):
    return {message_id(r) for r in raws}


def names(mids):
    return sorted(NAMES.get(m, m) for m in mids)


def running(inst):
    """inst's master runs. Instance.start() returns once the ports listen;
    the daemonized master writes master.pid a moment later."""
    try:
        return harness.wait_until(lambda: inst.is_running, timeout=10)
    except AssertionError:
        return False


# ---------------------------------------------------------------- the story

def demo(env):
    # -------------------------------------------------------------- 1
    step(1, "Anna, her standby account and her relevance rules")
    say("Anna Berg runs a small angling shop. Her business mail is\n"
        "anna@shop.example on the shop's mail server (the PRIMARY). As in\n"
        "the 'mail triangle', she also has a free-mail account,\n"
        "anna.shop@freemail.example, at an independent provider (the\n"
        "STANDBY). dovecot-standby copies her business mail there, by\n"
        "itself, over IMAP with TLS.")
    s = env.make_standby(start=False)
    s.hostname = "imap.freemail.example"
    s.start()
    p = env.make_primary(standby=s, start=False)
    p.hostname = "mail.shop.example"
    p.enable_sent_mirror()
    p.start()
    p.add_mirrored_user(ANNA, standby_user=ANNA_STANDBY)
    say("Started two Dovecot servers on 127.0.0.1 (each with its own TLS\n"
        "certificate):")
    say("  primary  mail.shop.example      imaps %d, LMTP %d, ManageSieve %d"
        % (p.ports["imaps"], p.ports["lmtp"], p.ports["sieve"]))
    say("  standby  imap.freemail.example  imaps %d  (a plain IMAP server, "
        "nothing of ours)" % s.ports["imaps"])
    say("The primary knows Anna's standby login (userdb fields\n"
        "standby_user / standby_password); the standby host and port are\n"
        "the admin's settings.")
    check(running(p) and running(s), "both servers are running")
    say()
    say("Anna says in Sieve which mail is relevant. Her personal script\n"
        "\"standby\" (uploaded over ManageSieve, as Roundcube or Thunderbird\n"
        "would):")
    show(RULES)
    say("Her ordinary filter (the active script) sorts business mail into\n"
        "the folder Orders on the primary:")
    show(FILTER)
    ms = p.managesieve(ANNA)
    try:
        check("vnd.standby.mirror" in ms.sieve_extensions(),
              "the server offers the Sieve extension vnd.standby.mirror",
              ms.sieve_extensions())
        status, text = ms.putscript("standby", RULES, check=False)
        check(status == "OK", "ManageSieve accepted and compiled the script "
              "\"standby\"", text.strip())
        status, text = ms.putscript("filter", FILTER, check=False)
        check(status == "OK", "ManageSieve accepted the filter script",
              text.strip())
        status, text = ms._command(b'SETACTIVE "filter"', check=False)
        check(status == "OK", "the filter script is active", text.strip())
    finally:
        ms.logout()

    # -------------------------------------------------------------- 2
    step(2, "Incoming mail: only the relevant mail reaches the standby")
    incoming = [ORDER_1, ORDER_2, QUOTE_IN, INVOICE, CUSTOMER, PRIVATE]
    say("Six messages arrive for Anna over LMTP (as from the MTA):")
    with p.lmtp() as lmtp:
        for raw in incoming:
            res = lmtp.deliver(ANNA, raw)
            check(res[ANNA][0] == 250, "delivered  %-32s from %s" % (
                subject(raw), raw.split(b"\r\n")[0][6:].decode()),
                res[ANNA])
    say("The Sieve action `mirror` only queued copies; the standby-worker\n"
        "appends them to the standby over IMAP. Waiting for the queue to\n"
        "empty ...")
    t0 = time.monotonic()
    try:
        got = wait_mirrored(p, s, ANNA, {"Orders": 4, "INBOX": 1},
                            standby_user=ANNA_STANDBY)
    except AssertionError as e:
        raise StepFailed("the standby did not receive the expected copies "
                         "(Orders 4, INBOX 1): %s" % e)
    say("... done after %.1f s. Folders and message counts:"
        % (time.monotonic() - t0))
    pc, sc = show_folders(p, s)
    check(pc.get("Orders") == 4 and pc.get("INBOX") == 2,
          "primary: 4 in Orders (2 orders, quote, invoice), 2 in INBOX",
          pc)
    check(ids(ORDER_1, ORDER_2, QUOTE_IN, INVOICE) ==
          set(by_id(got["Orders"])),
          "standby Orders: both orders, the quote and the invoice",
          names(by_id(got["Orders"])))
    check(ids(CUSTOMER) == set(by_id(got["INBOX"])),
          "standby INBOX: the customer's mail (rule: customer domain)",
          names(by_id(got["INBOX"])))
    everywhere = set()
    for f in s.folders(ANNA_STANDBY):
        everywhere |= set(by_id(s.fetch_all(ANNA_STANDBY, f)))
    check(message_id(PRIVATE) not in everywhere,
          "the private mail (\"Grillabend am Samstag?\") is not on the "
          "standby")
    prim_orders = by_id(p.fetch_all(ANNA, "Orders"))
    same = all(prim_orders[m.message_id].raw == m.raw and
               prim_orders[m.message_id].internaldate == m.internaldate
               for m in got["Orders"])
    check(same, "each copy is byte-identical to the primary's message, "
          "with the same arrival date (INTERNALDATE)")

    # -------------------------------------------------------------- 3
    step(3, "Sent mail: a quote Anna sends is mirrored too")
    say("Anna sends a quote to a customer. Her mail program sends it and\n"
        "saves it in her folder Sent on the primary (IMAP APPEND):")
    say("  \"%s\" to einkauf@fischer-gmbh.example" % subject(QUOTE_SENT))
    c = p.imap(ANNA)
    try:
        typ, data = c.append("Sent", "(\\Seen)",
                             imaplib.Time2Internaldate(time.time() - 3600),
                             QUOTE_SENT)
    finally:
        c.logout()
    check(typ == "OK", "the primary saved it in Sent", (typ, data))
    try:
        got = wait_mirrored(p, s, ANNA, {"Sent": 1, "Orders": 4, "INBOX": 1},
                            standby_user=ANNA_STANDBY)
    except AssertionError as e:
        raise StepFailed("the sent quote did not reach the standby's Sent: "
                         "%s" % e)
    show_folders(p, s)
    copy = got["Sent"][0]
    orig = p.fetch_all(ANNA, "Sent")[0]
    check(copy.message_id == message_id(QUOTE_SENT) and copy.raw == orig.raw,
          "the standby's Sent holds the quote, byte-identical",
          names([copy.message_id]))
    check("\\Seen" in copy.flags, "with its flag \\Seen", copy.flags)

    # -------------------------------------------------------------- 4
    step(4, "Scenario A: the mail program wiped a folder -> restore")
    say("Friday afternoon: malware in the office wrecks Anna's mail\n"
        "program, and it deletes the folder Orders on the primary (IMAP\n"
        "DELETE). The orders are gone from the primary.")
    before = by_id(p.fetch_all(ANNA, "Orders"))
    c = p.imap(ANNA)
    try:
        typ, data = c.delete("Orders")
    finally:
        c.logout()
    check(typ == "OK", "the folder Orders was deleted on the primary",
          (typ, data))
    pc, _ = show_folders(p, s)
    check("Orders" not in pc, "the primary has no folder Orders any more", pc)
    say()
    say("The admin restores it from the standby:")
    code, rows, _, err = doveadm_standby(p, "restore", "-u", ANNA,
                                         "-m", "Orders")
    check(code == 0, "doveadm standby restore exited 0", "exit %d: %s"
          % (code, err.strip()))
    copied = sum(int(r.get("copied", 0)) for r in rows)
    check(copied == 4, "it copied 4 messages", rows)
    after = by_id(p.fetch_all(ANNA, "Orders"))
    standby_orders = by_id(s.fetch_all(ANNA_STANDBY, "Orders"))
    show_folders(p, s)
    check(set(after) == set(before),
          "Orders on the primary holds the same 4 messages again",
          names(after))
    check(all(after[m].raw == before[m].raw == standby_orders[m].raw
              for m in before),
          "every restored message is byte-identical to the original")
    check(all(after[m].internaldate == before[m].internaldate
              for m in before),
          "and has its original arrival date (INTERNALDATE)")
    say()
    say("Run it again (safe on a live mailbox): it adds nothing.")
    code, rows, _, err = doveadm_standby(p, "restore", "-u", ANNA,
                                         "-m", "Orders")
    check(code == 0, "the second restore exited 0", "exit %d: %s"
          % (code, err.strip()))
    check(sum(int(r.get("copied", 0)) for r in rows) == 0 and
          p.count(ANNA, "Orders") == 4,
          "it copied 0 messages; Orders still holds 4", rows)
    time.sleep(1)
    check(not p.queue_entries(ANNA) and s.count(ANNA_STANDBY, "Orders") == 4,
          "restored mail is not mirrored back to the standby")

    # -------------------------------------------------------------- 5
    step(5, "Scenario C: the primary is down for days -> failback")
    say("The shop's hosting centre fails: the primary is stopped.")
    p.stop()
    try:
        p.lmtp_deliver(ANNA, make_msg())
        down = False
    except OSError as e:
        down = True
        say("  delivery to the primary: %s" % e)
    check(down, "the primary accepts no mail")
    say("Anna points the web shop and the marketplace at her standby\n"
        "account: orders arrive there directly (as the free-mail provider\n"
        "delivers them, here: IMAP APPEND into the standby's INBOX):")
    for raw in (OUTAGE_ORDER_1, OUTAGE_ORDER_2):
        s.append(ANNA_STANDBY, "INBOX", raw, date=time.time() - 1800)
        say("  standby INBOX <- \"%s\"" % subject(raw))
    say("and she answers a customer from the free-mail webmail (saved in\n"
        "the standby's Sent):")
    s.append(ANNA_STANDBY, "Sent", OUTAGE_SENT, flags=("\\Seen",),
             date=time.time() - 900)
    say("  standby Sent  <- \"%s\"" % subject(OUTAGE_SENT))
    sc = folder_counts(s, ANNA_STANDBY)
    check(sc.get("INBOX") == 3 and sc.get("Sent") == 2,
          "the standby now holds 2 new orders and 1 new sent mail", sc)
    say()
    say("Days later the primary is back:")
    p.start()
    check(running(p), "the primary is running again")
    prim_before = {f: by_id(p.fetch_all(ANNA, f))
                   for f in ("INBOX", "Orders", "Sent")}
    say("The roles are reversed once: what arrived at or was sent from the\n"
        "standby flows back. Mail that came from the mirror stays where it\n"
        "is (recognised by the worker's ledger, not by headers).")
    code, rows, _, err = doveadm_standby(p, "failback", "-u", ANNA)
    check(code == 0, "doveadm standby failback exited 0", "exit %d: %s"
          % (code, err.strip()))
    copied = sum(int(r.get("copied", 0)) for r in rows)
    check(copied == 3, "it copied 3 messages", rows)
    new = {}
    for f, old in prim_before.items():
        now = by_id(p.fetch_all(ANNA, f))
        check(set(old) <= set(now), "nothing was removed from the primary's "
              "%s" % f)
        new[f] = {m: now[m] for m in set(now) - set(old)}
    show_folders(p, s)
    check(set(new["INBOX"]) == ids(OUTAGE_ORDER_1, OUTAGE_ORDER_2),
          "the primary's INBOX got exactly the two orders from the outage",
          names(new["INBOX"]))
    check(set(new["Sent"]) == ids(OUTAGE_SENT),
          "the primary's Sent got exactly the mail sent from the webmail",
          names(new["Sent"]))
    check(not new["Orders"], "nothing was added to Orders (all of it came "
          "from the mirror)", names(new["Orders"]))
    originals = {message_id(r): r for r in
                 (OUTAGE_ORDER_1, OUTAGE_ORDER_2, OUTAGE_SENT)}
    say("The primary's INBOX and Sent now (flags and keywords on the "
        "right):")
    for f in ("INBOX", "Sent"):
        for m in p.fetch_all(ANNA, f):
            say("  %-6s %-42s %s" % (f, subject(m.raw),
                                     " ".join(sorted(m.flags)) or "-"))
    fb = [m for f in new.values() for m in f.values()]
    check(all("$StandbyFailback" in m.flags for m in fb),
          "each of the 3 carries the keyword $StandbyFailback (to re-book "
          "the orders)")
    check(all(m.raw == originals[m.message_id] for m in fb),
          "byte-identical to what arrived at the standby")
    marked = [m.message_id for f in ("INBOX", "Orders", "Sent")
              for m in p.fetch_all(ANNA, f) if "$StandbyFailback" in m.flags]
    check(len(marked) == 3, "no other message is marked", names(marked))
    say()
    say("Run it again: only what is new would come.")
    code, rows, _, err = doveadm_standby(p, "failback", "-u", ANNA)
    check(code == 0 and sum(int(r.get("copied", 0)) for r in rows) == 0,
          "the second failback copied 0 messages", "exit %d, %s %s"
          % (code, rows, err.strip()))
    say()
    say("Normal mirroring resumes: the shop's order address points at the\n"
        "primary again, and a new order arrives there:")
    res = p.lmtp_deliver(ANNA, AFTER_ORDER)
    check(res[ANNA][0] == 250, "delivered: %s" % subject(AFTER_ORDER),
          res[ANNA])
    try:
        got = wait_mirrored(p, s, ANNA, {"Orders": 5, "INBOX": 3, "Sent": 2},
                            standby_user=ANNA_STANDBY)
    except AssertionError as e:
        raise StepFailed("the new order did not reach the standby: %s" % e)
    show_folders(p, s)
    check(message_id(AFTER_ORDER) in by_id(got["Orders"]),
          "the new order is on the standby, in Orders")
    check(not p.queue_entries(ANNA),
          "nothing that came back by failback was mirrored again")

    # -------------------------------------------------------------- 6
    step(6, "Status")
    say("What the admin checks (or monitors) per user:")
    code, rows, _, err = doveadm_standby(p, "status", "-u", ANNA)
    check(code == 0 and len(rows) == 1, "doveadm standby status exited 0",
          "exit %d: %s" % (code, err.strip()))
    r = rows[0]
    check(r.get("enabled") == "yes" and r.get("standby_user") == ANNA_STANDBY,
          "mirroring is enabled, to %s" % ANNA_STANDBY, r)
    check(r.get("queued") == "0" and r.get("dead") == "0",
          "nothing queued, no dead letters", r)
    check(int(r.get("mirrored") or 0) == 7,
          "7 messages mirrored so far (4 orders etc., the customer's "
          "mail, 1 sent quote, 1 new order)", r)
    check(not any(p.standby_errors()), "no standby errors in the "
          "primary's log", p.standby_errors()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True,
                    help="working directory (created; scripts/demo "
                         "removes it)")
    args = ap.parse_args()

    def on_signal(signum, frame):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        raise Interrupted(signal.Signals(signum).name)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    missing = harness.standby_installed() + \
        [f for f in (DOVEADM_PLUGIN,) if not os.path.exists(f)]
    if missing:
        print("demo: dovecot-standby is not installed (missing %s); run "
              "scripts/demo without --no-build" % ", ".join(missing))
        return 1

    t0 = time.monotonic()
    env = None
    rc = 1
    try:
        run = DemoRun(args.dir)
        env = run.env("demo")
        demo(env)
        rc = 0
    except StepFailed as e:
        print()
        print("FAILED at step %s:" % STEP[0])
        print("   %s" % e)
    except Interrupted as e:
        print()
        print("demo: interrupted (%s) at step %s; stopping the servers"
              % (e, STEP[0]))
        rc = 130
    except Exception as e:  # harness errors, IMAP errors, timeouts
        import traceback
        print()
        print("FAILED at step %s: %s: %s" % (STEP[0], type(e).__name__, e))
        for line in traceback.format_exc().rstrip().splitlines()[-8:]:
            print("   " + line)
    finally:
        if env is not None:
            if rc not in (0, 130):
                print()
                print(env.dump_logs(25))
            env.cleanup()
    if rc == 0:
        print()
        print("=" * 72)
        print("All steps did what they said (%.0f s). Both servers are "
              "stopped." % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
