"""iptraf-services-count against an independent tshark oracle of README "How
packets are counted" (tests/tshark_oracle.py), on tests/data: the two
samples and the crafted captures of every counting rule and link type
(tests/data/crafted, written by crafted.py)."""
import os
import subprocess
import sys

from harness import DATA, REPO
from test_capture import TOOL, table

import crafted

ORACLE = os.path.join(REPO, "tests", "tshark_oracle.py")
CRAFTED = os.path.join(DATA, "crafted")


def oracle(*paths, tool=TOOL):
    return subprocess.run([sys.executable, ORACLE, "--tool", tool] + list(paths),
                          capture_output=True, text=True)


def test_crafted_captures_are_those_crafted_py_writes(tmp_path):
    """tests/data/crafted is crafted.py's output, byte for byte."""
    paths = crafted.write_all(str(tmp_path))
    assert sorted(os.listdir(CRAFTED)) == sorted(os.path.basename(p) for p in paths.values())
    for p in paths.values():
        with open(p, "rb") as a, open(os.path.join(CRAFTED, os.path.basename(p)), "rb") as b:
            assert a.read() == b.read(), p


def test_tool_equals_the_tshark_oracle_on_every_test_capture():
    r = oracle(DATA)
    assert r.returncode == 0, r.stdout + r.stderr
    last = r.stdout.strip().splitlines()[-1]
    n = len([f for f in os.listdir(DATA) if f.endswith(".pcap")]) + len(os.listdir(CRAFTED))
    # SLIP is the one capture tshark cannot dissect (checked below instead).
    assert last == "%d files: %d exact, 0 different, 0 refused (link type), 1 skipped" % (n, n - 1), (
        r.stdout)
    assert "SKIP %s: link type SLIP" % os.path.join(CRAFTED, "link-slip.pcap") in r.stdout


def test_oracle_sees_a_planted_difference(tmp_path):
    """A tool that counts IPv6 bytes 20 too few is caught (the oracle can
    fail): a wrapper shifts every udp byte count of its table."""
    fake = tmp_path / "tool"
    fake.write_text("#!/bin/sh\n%s \"$@\" | awk -F'\\t' -v OFS='\\t' "
                    "'$1==\"udp\"{$5=$5-20} {print}'\n" % TOOL)
    fake.chmod(0o755)
    r = oracle(os.path.join(CRAFTED, "link-ppp.pcap"), tool=str(fake))
    assert r.returncode == 1 and "DIFF" in r.stdout, r.stdout


def test_slip_is_read():
    """tshark has no SLIP dissector: the same packets as link-ipv4 and
    link-ipv6 together."""
    def rows(name):
        r = subprocess.run([TOOL, "-p", "0-65535", "-r", os.path.join(CRAFTED, name)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return table(r.stdout)
    assert set(rows("link-slip.pcap")) == set(rows("link-ipv4.pcap") + rows("link-ipv6.pcap"))
    assert len(rows("link-slip.pcap")) == 4


def test_refused_link_types_are_named(tmp_path):
    path = str(tmp_path / "arcnet.pcap")
    crafted.write_pcap(path, 7, [b"\x01\x02\xd4" + bytes(30)])
    r = subprocess.run([TOOL, "-r", path], capture_output=True, text=True)
    assert r.returncode == 2
    assert "link type ARCNET (7) is not supported" in r.stderr
