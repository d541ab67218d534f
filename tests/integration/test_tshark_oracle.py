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
    # Two captures tshark cannot dissect as the rules read them (checked
    # below instead): SLIP, and IPv6 BIG TCP without its hop-by-hop header.
    assert last == "%d files: %d exact, 0 different, 0 refused (link type), 2 skipped" % (n, n - 2), (
        r.stdout)
    assert "SKIP %s: link type SLIP" % os.path.join(CRAFTED, "link-slip.pcap") in r.stdout
    assert "SKIP %s: IPv6 payload length 0" % os.path.join(
        CRAFTED, "gso-ipv6-no-hop-by-hop.pcap") in r.stdout


def tool_run(name):
    r = subprocess.run([TOOL, "-p", "0-65535", "-r", os.path.join(CRAFTED, name)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return table(r.stdout), [l for l in r.stderr.splitlines() if l.startswith("frames ")][0]


def test_big_tcp_without_hop_by_hop_counts_the_frame():
    rows, _ = tool_run("gso-ipv6-no-hop-by-hop.pcap")
    assert rows == [("tcp", "443", "in", "1", "149986"), ("tcp", "40014", "out", "1", "149986")]


def test_icmp_errors_vlan_tags_tunnels_and_reordered_fragments():
    """The README's rules, each frame of the crafted capture accounted for:
    ICMP errors quoting UDP/TCP and IP-in-IP are not TCP/UDP (3), the later
    fragment before its first is unattributed and its first counts alone,
    4 tags (0x9100 outermost) are walked and 5 malformed, VXLAN counts as
    udp/4789, an IPv4 length beyond the frame is malformed."""
    rows, summary = tool_run("rules-icmp-vlan-tunnel-frag.pcap")
    assert rows == [("tcp", "22", "in", "1", "40"), ("tcp", "40006", "out", "1", "40"),
                    ("udp", "123", "in", "1", "68"), ("udp", "4789", "in", "1", "90"),
                    ("udp", "40005", "out", "1", "68"), ("udp", "40009", "out", "1", "90")]
    assert summary == ("frames 9; not IP 0; IP not TCP/UDP 3; TCP/UDP on no monitored port: "
                       "tcp 0, udp 0 packets; fragments without their first fragment 1 packets "
                       "(60 bytes); malformed 2")


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
