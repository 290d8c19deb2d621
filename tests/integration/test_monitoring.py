"""Monitoring (issue 5, README "Monitoring"): the README's OpenMetrics block,
used as written (with a free port), exports what the README says."""

import os
import re
import urllib.request

from harness import (make_msg, free_port, wait_until, assert_clean_logs,
                     dovecot_major)

ALICE = "alice@primary.test"
BOB = "bob@primary.test"
MIRROR_ALL = 'require "vnd.standby.mirror";\nmirror;\n'
README = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "..", "README.md")


def readme_metrics_block():
    """The first code block for this Dovecot major (```dovecot-2.x) after
    the README's "### OpenMetrics"."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    i = text.index("### OpenMetrics")
    m = re.compile(r"^```dovecot-%s\n(.*?)^```$" % re.escape(
        dovecot_major()), re.M | re.S).search(text, i)
    assert m, "no dovecot-%s block after ### OpenMetrics in README.md" % (
        dovecot_major())
    return m.group(1)


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                timeout=5) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_openmetrics_block_from_readme(env):
    block = readme_metrics_block()
    assert "port = 9900" in block, block
    port = free_port()
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    p.enable_sent_mirror(default_rules='require "vnd.standby.mirror";\n')
    p.extra_conf = block.replace("port = 9900", "port = %d" % port)
    p.start()
    for user in (ALICE, BOB):
        p.add_mirrored_user(user)
        p.set_rules(user, MIRROR_ALL)

    # 3 incoming and 1 outgoing, mirrored
    for i in range(3):
        res = p.lmtp_deliver(ALICE, make_msg(subject="order %d" % i))
        assert res[ALICE][0] == 250, res
    c = p.imap(ALICE)
    try:
        c.append("Sent", "(\\Seen)", None, make_msg(subject="quote"))
    finally:
        c.logout()
    wait_until(lambda: s.count(ALICE) + s.count(ALICE, "Sent") == 4,
               timeout=20, what="4 copies on the standby")
    wait_until(lambda: scrape(port).get(
        'dovecot_standby_mirror_finished_bucket{le="+Inf"}') == 4,
        timeout=10, what="4 mirrored in the metrics")
    # a drain run ends 2 s after its queue went empty (it lingers)
    wait_until(lambda: scrape(port).get(
        'dovecot_standby_drain_finished_count', 0) >= 1,
        timeout=10, what="a finished drain run in the metrics")
    m = scrape(port)
    assert m['dovecot_standby_mirror_queued_total{direction="incoming"}'] \
        == 3, m
    assert m['dovecot_standby_mirror_queued_total{direction="outgoing"}'] \
        == 1, m
    # every copy left the queue within 100 s (in fact within 1 s)
    assert m['dovecot_standby_mirror_finished_bucket{le="100"}'] == 4, m
    # a run that emptied the queue reports oldest_secs 0 (le="1")
    assert m['dovecot_standby_drain_finished_bucket{le="1"}'] >= 1, m
    assert m.get('dovecot_standby_drain_failed_total', 0) == 0, m
    assert m.get('dovecot_standby_queue_failed_total', 0) == 0, m
    assert_clean_logs(env)

    # the standby goes away: the drain runs fail and say so
    s.stop()
    res = p.lmtp_deliver(ALICE, make_msg(subject="order while down"))
    assert res[ALICE][0] == 250, res
    wait_until(lambda: scrape(port).get(
        'dovecot_standby_drain_failed_total', 0) >= 1,
        timeout=20, what="a failed drain run in the metrics")
    assert len(p.queue_entries(ALICE)) == 1

    # bob's queue cannot be written: delivery succeeds, the metric counts
    with open(p.state_dir(BOB), "w") as f:
        f.write("not a directory\n")
    res = p.lmtp_deliver(BOB, make_msg(subject="order for bob"))
    assert res[BOB][0] == 250, res
    wait_until(lambda: scrape(port).get(
        'dovecot_standby_queue_failed_total', 0) == 1,
        timeout=10, what="the queue failure in the metrics")
    m = scrape(port)
    assert m['dovecot_standby_mirror_queued_total{direction="incoming"}'] \
        == 4, m


def test_version_in_the_log(env):
    """The worker logs "standby: version X" at info when it starts, and
    the plugins at debug for each user (README "Monitoring"); X is the
    release in configure.ac."""
    with open(os.path.join(os.path.dirname(README), "configure.ac")) as f:
        version = re.search(r"AC_INIT\(\[dovecot-standby\], \[([^]]+)\]",
                            f.read()).group(1)
    s = env.make_standby()
    p = env.make_primary(standby=s, start=False)
    p.enable_sent_mirror(default_rules=MIRROR_ALL)
    p.start()
    p.add_mirrored_user(ALICE)
    res = p.lmtp_deliver(ALICE, make_msg(subject="order"))
    assert res[ALICE][0] == 250, res
    wait_until(lambda: s.count(ALICE) == 1, timeout=20,
               what="the copy on the standby")
    v = re.escape(version)
    assert p.log_lines(r"standby-worker\(\d+\): Info: standby: version %s "
                       r"\(standby-worker started\)" % v), p.log_tail()
    assert p.log_lines(r"lmtp\(%s\).*Debug: .*standby: version %s: "
                       r"mirroring to" % (re.escape(ALICE), v)), p.log_tail()
    assert p.log_lines(r"Debug: .*standby: version %s: Sieve extension "
                       r"vnd.standby.mirror registered" % v), p.log_tail()
