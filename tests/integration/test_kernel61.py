"""The eBPF method on Debian 12's own kernel (linux 6.1), whatever kernel
runs the tests: tests/kernel61/run-in-vm boots linux-image-6.1.0-NN-amd64 in
qemu (KVM when usable, else TCG) and runs iptraf-services-count -m ebpf and
-m pcap side by side inside it. Its kernel verifier must accept the program,
and both methods must count exactly:

  lo    known traffic (tests/kernel61/vm_traffic.c, which says what it sent);
        the counts are computed here from what was sent, never measured
  veth  tests/data/synth_sample.pcap sent through a veth pair: the ground
        truth of test_capture / test_ebpf

The virtual machine runs once for the module (about 20 s with TCG)."""
import os
import re
import shutil
import subprocess
import time

import pytest

from harness import DATA, REPO
from test_capture import TOOL, table
from test_ebpf import built_with_ebpf

SCRIPT = os.path.join(REPO, "tests", "kernel61", "run-in-vm")
MTU = 1500  # of lo inside the virtual machine (the init script sets it)
LO_PORTS = {("udp", 7), ("udp", 9), ("tcp", 80), ("tcp", 81), ("tcp", 1000)}
SUMMARY = re.compile(r"TCP/UDP on no monitored port: tcp (\d+), udp (\d+) packets; "
                     r"fragments without their first fragment (\d+) packets \((\d+) "
                     r"bytes\); malformed (\d+)")


def sections(console):
    """{name: [lines]} of the "==== ITS <name>" sections of the console."""
    out, cur = {}, None
    for line in console.replace("\r", "").split("\n"):
        m = re.search(r"==== ITS (.*)$", line)
        if m:
            cur = m.group(1).strip()
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


@pytest.fixture(scope="module")
def vm():
    if not built_with_ebpf():
        pytest.skip("the tool was built without the eBPF method")
    missing = [c for c in ("qemu-system-x86_64", "busybox", "cpio") if shutil.which(c) is None]
    if missing:
        pytest.skip("not installed: %s (Debian packages qemu-system-x86, busybox-static, "
                    "cpio; see tests/integration/PACKAGES)" % ", ".join(missing))
    t = time.time()
    r = subprocess.run([SCRIPT, "--tool", TOOL], capture_output=True, text=True, timeout=900)
    elapsed = time.time() - t
    s = sections(r.stdout)
    m = re.search(r"accelerator (\w+), (\d+) s in the virtual machine", r.stderr)
    print("\nkernel 6.1 VM: %s, %.0f s in all (%s s in the VM)"
          % (m.group(1) if m else "?", elapsed, m.group(2) if m else "?"))
    assert r.returncode == 0 and "end" in s, (
        "the virtual machine did not run to its end\n--- run-in-vm said:\n%s\n"
        "--- console (end):\n%s" % (r.stderr, r.stdout[-6000:]))
    return s


def text(s, name):
    return "\n".join(s.get(name, []))


def rows(s, name):
    """{(proto, port, dir): (packets, bytes)} of a printed table."""
    t = table(text(s, name))
    return {(p, int(port), d): (int(n), int(b)) for p, port, d, n, b in t}


def summary(s, name):
    m = SUMMARY.search(text(s, name))
    assert m, text(s, name)
    return tuple(int(x) for x in m.groups())


def test_booted_debian_6_1(vm):
    names = [k for k in vm if k.startswith("uname ")]
    assert names, "no uname in the console"
    release = names[0].split(" ", 1)[1]
    assert re.match(r"6\.1\.0-\d+-amd64$", release), release
    assert any("Debian 6.1." in k for k in vm if k.startswith("version ")), list(vm)


def status(vm, case):
    names = [k for k in vm if k.startswith(case + " status ")]
    assert names, "no status for %s" % case
    return dict(x.split("=") for x in names[0].split()[2:])


def test_verifier_accepts_the_program(vm):
    """The eBPF method loaded and attached on 6.1 (else its error and the
    verifier's log are in the message)."""
    for case, dev in (("lo", "lo"), ("veth", None)):
        err = text(vm, case + " ebpf stderr")
        st = status(vm, case)
        assert st["ebpf"] == "0" and "with eBPF" in err and "refused" not in err, (
            "eBPF on 6.1 (%s):\n%s" % (case, err))
        if dev:
            assert "counting on %s with eBPF" % dev in err
        # Seen from the outside while it counted: loaded, and JIT-compiled.
        shown = text(vm, case + " bpftool")
        assert re.search(r"socket_filter\s+name its_count", shown), shown
        assert re.search(r"jited \d+B", shown), shown


def ip_packets(family, l4_len):
    """IP packet sizes of a datagram of l4_len bytes (UDP header included)
    sent on a link of MTU bytes: fragmented as RFC 791 / 8200 say, every
    fragment but the last carrying a multiple of 8 bytes."""
    hdr = 20 if family == "ipv4" else 40
    if hdr + l4_len <= MTU:
        return [hdr + l4_len]
    fhdr = hdr if family == "ipv4" else hdr + 8  # IPv6: the fragment header
    chunk = (MTU - fhdr) & ~7
    sizes, left = [], l4_len
    while left > 0:
        n = min(chunk, left)
        sizes.append(fhdr + n)
        left -= n
    return sizes


def expected_lo(sent):
    """The exact counts of the traffic vm_traffic says it sent."""
    want, other = {}, {"tcp": 0, "udp": 0}

    def add(proto, sport, dport, sizes):
        for size in sizes:
            hit = False
            if (proto, dport) in LO_PORTS:
                v = want.setdefault((proto, dport, "in"), [0, 0])
                v[0] += 1
                v[1] += size
                hit = True
            if (proto, sport) in LO_PORTS:
                v = want.setdefault((proto, sport, "out"), [0, 0])
                v[0] += 1
                v[1] += size
                hit = True
            if not hit:
                other[proto] += 1

    kinds = set()
    for line in sent:
        f = line.split()
        if not f or f[0] != "SENT":
            continue
        kind, fam = f[1], f[2]
        nums = [int(x) for x in f[3:]]
        kinds.add(kind)
        if kind == "udp-echo":  # from 40007 to port and back, each size
            port, sizes = nums[0], nums[1:]
            for s in sizes:
                add("udp", 40007, port, ip_packets(fam, s + 8))
                add("udp", port, 40007, ip_packets(fam, s + 8))
        elif kind == "udp-oneway":  # from 40008, not answered
            port, sizes = nums[0], nums[1:]
            for s in sizes:
                add("udp", 40008, port, ip_packets(fam, s + 8))
        elif kind == "tcp-resets":  # 20-byte IP and TCP headers + payload
            sport, dport, sizes = nums[0], nums[1], nums[2:]
            add("tcp", sport, dport, [40 + s for s in sizes])
        elif kind == "tcp-lockstep":
            # SYN and SYN-ACK carry the MSS option only (24-byte TCP
            # header), every other segment a 20-byte one. Client (an
            # ephemeral port): SYN, ACK, the request, one ACK per data
            # segment, RST. Server: SYN-ACK, the ACK of the request, data.
            port, request, data = nums[0], nums[1], nums[2:]
            add("tcp", 50000, port, [44, 40, 40 + request] + [40] * len(data) + [40])
            add("tcp", port, 50000, [44, 40] + [40 + d for d in data])
    assert kinds == {"udp-echo", "udp-oneway", "tcp-resets", "tcp-lockstep"}, sent
    return {k: tuple(v) for k, v in want.items()}, other


def test_lo_known_traffic_counted_exactly(vm):
    sent = vm["lo traffic"]
    assert status(vm, "lo") == {"ebpf": "0", "pcap": "0", "traffic": "0"}, "\n".join(sent)
    want, other = expected_lo(sent)
    ebpf, pcap = rows(vm, "lo ebpf table"), rows(vm, "lo pcap table")
    assert ebpf == want, "eBPF on 6.1 differs from the traffic sent"
    assert pcap == want, "libpcap on 6.1 differs from the traffic sent"
    e, p = summary(vm, "lo ebpf stderr"), summary(vm, "lo pcap stderr")
    assert e == p == (other["tcp"], other["udp"], 0, 0, 0)


def ground_truth_rows(sample, max_port):
    want = {}
    with open(os.path.join(DATA, sample + ".reasm.tsv")) as f:
        next(f)
        for line in f:
            proto, port, d, packets, _fb, ipbytes = line.split()
            if int(port) <= max_port:
                want[(proto, int(port), d)] = (int(packets), int(ipbytes))
    return want


def test_veth_replay_equals_ground_truth(vm):
    """Received on a veth (VLAN tags stripped into the packet's metadata):
    skb->vlan_present, fragments through the LRU map, IPv6 extension
    headers, malformed packets, default ports."""
    assert status(vm, "veth") == {"ebpf": "0", "pcap": "0", "traffic": "0"}, (
        text(vm, "veth traffic"))
    assert "SENT replay v0 10000 frames" in text(vm, "veth traffic")
    want = ground_truth_rows("synth_sample", 1023)
    assert rows(vm, "veth ebpf table") == want
    assert rows(vm, "veth pcap table") == want
    e, p = summary(vm, "veth ebpf stderr"), summary(vm, "veth pcap stderr")
    assert e == p and e[0] > 0 and e[1] > 0
