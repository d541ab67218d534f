"""The capture source: the counting core against ground truth (the tool),
and inside a real collectd on a capture file and live in network namespaces
(replayed captures, real clients and servers, interfaces deleted and
created again)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from harness import (DATA, REPO, Collectd, check_sample_log_values, copy_sample_log,
                     unprivileged_collectd)
from netns import Netns

TOOL = os.environ.get("ITS_TOOL") or os.path.join(REPO, "iptraf-services-count")


def ground_truth(name, max_port=65535):
    """{(proto, port): [in_p, in_b, out_p, out_b]} from a *.reasm.tsv (IP bytes)."""
    gt = {}
    with open(os.path.join(DATA, name + ".reasm.tsv")) as f:
        next(f)
        for line in f:
            proto, port, d, packets, _frame_bytes, ipbytes = line.split()
            if int(port) > max_port:
                continue
            v = gt.setdefault((proto, int(port)), [0, 0, 0, 0])
            k = 0 if d == "in" else 2
            v[k], v[k + 1] = int(packets), int(ipbytes)
    return gt


def tool(*args):
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True)
    return r


def table(text):
    lines = text.strip().splitlines()
    assert lines[0] == "proto\tport\tdir\tpackets\tbytes"
    return [tuple(l.split("\t")) for l in lines[1:]]


@pytest.mark.parametrize("sample", ["real_sample", "synth_sample"])
def test_tool_table_equals_ground_truth(sample):
    r = tool("-p", "0-65535", "-r", os.path.join(DATA, sample + ".pcap"))
    assert r.returncode == 0, r.stderr
    want = []
    with open(os.path.join(DATA, sample + ".reasm.tsv")) as f:
        next(f)
        for line in f:
            proto, port, d, packets, _fb, ipbytes = line.split()
            want.append((proto, port, d, packets, ipbytes))
    assert table(r.stdout) == want


def test_tool_default_ports_and_errors():
    r = tool("-r", os.path.join(DATA, "synth_sample.pcap"))
    rows = table(r.stdout)
    assert rows and all(int(p) <= 1023 for _, p, _, _, _ in rows)
    gt = ground_truth("synth_sample", 1023)
    assert len(rows) == sum((v[0] > 0) + (v[2] > 0) for v in gt.values())
    bad = tool("-p", "tcp/99999", "-r", os.path.join(DATA, "synth_sample.pcap"))
    assert bad.returncode == 2 and '"tcp/99999"' in bad.stderr
    missing = tool("-r", "/nonexistent.pcap")
    assert missing.returncode == 2 and "nonexistent" in missing.stderr
    assert tool().returncode == 2


def test_tool_help_and_version():
    """--help and -h print the usage on stdout and succeed; --version names
    the package version (from configure.ac) and the methods built in; an
    unknown long option is a usage error naming it."""
    with open(os.path.join(REPO, "configure.ac")) as f:
        version = re.search(r"AC_INIT\(\[iptraf_services\], \[([^]]+)\]", f.read()).group(1)
    for flag in ("--help", "-h"):
        r = tool(flag)
        assert r.returncode == 0 and r.stderr == "", (flag, r.stderr)
        assert r.stdout.startswith("usage: iptraf-services-count ")
        for opt in ("-p PORTSPEC", "-r FILE", "-i IFACE", "-m METHOD", "-l LOG", "--help", "--version"):
            assert opt in r.stdout, (flag, opt)
    r = tool("--version")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "iptraf-services-count (iptraf_services) %s" % version
    assert lines[1] in ("eBPF method (-m ebpf): built in", "eBPF method (-m ebpf): not in this build")
    assert lines[2].startswith("libpcap version ")
    bad = tool("--bogus")
    assert bad.returncode == 2 and "'--bogus'" in bad.stderr and "usage:" in bad.stderr


def test_tool_prints_an_empty_table_when_nothing_is_counted(tmp_path):
    """No row at all (no traffic on the ports asked for, an empty log) is a
    header-only table and status 0; stage 3 runs this with the sanitizer
    build (qsort(NULL, 0) was undefined behaviour there)."""
    r = tool("-p", "tcp/1", "-r", os.path.join(DATA, "real_sample.pcap"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "proto\tport\tdir\tpackets\tbytes\n"
    assert "frames 915;" in r.stderr and "runtime error" not in r.stderr
    empty = tmp_path / "empty.log"
    empty.write_text("")
    r = tool("-l", str(empty))
    assert r.returncode == 0, r.stderr
    assert r.stdout == "proto\tport\tdir\tpackets\tbytes\n"
    assert "runtime error" not in r.stderr


CRAFTED = os.path.join(DATA, "crafted")


def summary_line(stderr):
    return [l for l in stderr.splitlines() if l.startswith("frames ")][-1]


def test_ipv6_later_fragments_of_other_protocols_are_not_tcp_udp():
    """The later fragment of a fragmented ICMPv6 echo is "not TCP/UDP", as
    its first fragment said (and as for IPv4), not a fragment without its
    first; an orphan later fragment stays unattributed."""
    r = tool("-p", "0-65535", "-r", os.path.join(CRAFTED, "v6-frag-other-protocols.pcap"))
    assert r.returncode == 0, r.stderr
    assert table(r.stdout) == [("udp", "53", "in", "2", "244"), ("udp", "5353", "out", "2", "244")]
    s = summary_line(r.stderr)
    assert "IP not TCP/UDP 2;" in s, s
    assert "fragments without their first fragment 1 packets (68 bytes)" in s, s


def test_ipv6_eight_extension_headers_are_walked():
    r = tool("-p", "0-65535", "-r", os.path.join(CRAFTED, "v6-ext-headers-7-8-9.pcap"))
    assert r.returncode == 0, r.stderr
    assert table(r.stdout) == [("tcp", "80", "in", "1", "124"), ("tcp", "40000", "out", "1", "124"),
                               ("udp", "53", "in", "2", "236"), ("udp", "1007", "out", "1", "114"),
                               ("udp", "1008", "out", "1", "122")]
    assert "malformed 1" in summary_line(r.stderr)


def test_tool_log_mode_gives_the_plugins_totals():
    r = tool("-l", os.path.join(DATA, "runA-after-rotation-then-runB.log"))
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert ("tcp", "80", "in", "92", "5714") in rows
    assert ("tcp", "80", "out", "78", "1006176") in rows
    assert ("tcp", "139", "in", "2", "120") in rows
    assert ("udp", "1023", "in", "4", "152") in rows
    assert not any(d == "out" and p == "1023" for _, p, d, _, _ in rows)



def test_tool_log_mode_reads_past_blocks_held_back(tmp_path):
    """Two blocks in a row older than their predecessor (the clock stepped
    back) emit nothing when read; the tool must still read the whole log."""
    log = tmp_path / "back.log"
    text = "Sun Nov 29 16:59:00 2026; ******** TCP/UDP service monitor started ********\n"
    for minute, n in ((10, 100), (5, 150), (6, 160), (12, 200)):
        text += ("\n*** TCP/UDP traffic log, generated Sun Nov 29 17:%02d:00 2026\n\n"
                 "TCP/22: %d packets, %d bytes total; %d packets, %d bytes incoming; "
                 "0 packets, 0 bytes outgoing\n\nRunning time: 60 seconds\n"
                 % (minute, n, n * 10, n, n * 10))
    log.write_text(text)
    r = subprocess.run([TOOL, "-l", str(log), "-p", "tcp/22"], capture_output=True,
                       text=True, env=dict(os.environ, TZ="UTC"))
    assert r.returncode == 0, r.stderr
    assert ("tcp", "22", "in", "200", "2000") in table(r.stdout)


def last_values(cd, instance, series):
    """{(proto, port): (in_p, in_b, out_p, out_b)} from the csv files."""
    got = {}
    for proto, port in series:
        ti = "%s-%s" % (proto, port)
        o = cd.csv_rows(instance, "if_octets", ti)
        p = cd.csv_rows(instance, "if_packets", ti)
        if o and p:
            got[(proto, port)] = (p[-1][1], o[-1][1], p[-1][2], o[-1][2])
    return got


def wait_values(cd, instance, expected, timeout=20):
    deadline = time.time() + timeout
    while True:
        got = last_values(cd, instance, expected)
        if got == expected or time.time() > deadline:
            return got
        time.sleep(0.25)


def as_tuples(gt):
    return {k: tuple(v) for k, v in gt.items()}


def test_file_mode_in_collectd_equals_ground_truth(tmp_path):
    pcap = os.path.join(DATA, "synth_sample.pcap")
    cfg = ('<Plugin iptraf_services>\n <Capture "replay">\n  File "%s"\n'
           '  ReportOther true\n </Capture>\n</Plugin>\n' % pcap)
    cd = Collectd(str(tmp_path / "cd"), cfg, rrd=False)
    expected = as_tuples(ground_truth("synth_sample", 1023))  # default ports
    with cd:
        got = wait_values(cd, "replay", expected)
        assert got == expected
        time.sleep(1.2)
        series = cd.series("replay")
        want = {"%s-%s-%s" % (t, p, n) for t in ("if_octets", "if_packets") for p, n in expected}
        want |= {"%s-%s" % (t, s) for t in ("if_octets", "if_packets")
                 for s in ("tcp-other", "udp-other", "fragments-unattributed", "malformed")}
        assert series == want
        assert cd.csv_rows("replay", "if_packets", "fragments-unattributed")[-1][1:] == (0, 0)
        # Packets on ports above 1023 are "other".
        full = ground_truth("synth_sample")
        assert cd.csv_rows("replay", "if_packets", "malformed")[-1][1] == 0
        assert cd.csv_rows("replay", "if_octets", "tcp-other")[-1][1] > 0
    assert "counted: 10000 frames" in cd.log()
    assert len(full) > len(expected)


def cut_capture(src, dst_cut, dst_whole, n, into):
    """Writes `src` cut `into` bytes into its record n (0-based; `into` < 16:
    inside the record header) to dst_cut, and its first n records whole to
    dst_whole. Returns the cut file's length."""
    with open(src, "rb") as f:
        data = f.read()
    off = 24
    for _ in range(n):
        caplen = int.from_bytes(data[off + 8:off + 12], "little")
        off += 16 + caplen
    with open(dst_whole, "wb") as f:
        f.write(data[:off])
    with open(dst_cut, "wb") as f:
        f.write(data[:off + into])
    return off + into


@pytest.mark.parametrize("into", [7, 16 + 5])
def test_tool_counts_a_file_cut_short_and_says_where(tmp_path, into):
    src = os.path.join(DATA, "synth_sample.pcap")
    cut, whole = str(tmp_path / "cut.pcap"), str(tmp_path / "whole.pcap")
    size = cut_capture(src, cut, whole, 4321, into)
    r = tool("-p", "0-65535", "-r", cut)
    w = tool("-p", "0-65535", "-r", whole)
    assert r.returncode == 3, r.stderr
    assert w.returncode == 0 and table(w.stdout)
    assert table(r.stdout) == table(w.stdout)
    assert summary_line(r.stderr) == summary_line(w.stderr)
    assert ("%s: cut short in packet 4322, at byte %d (libpcap: truncated dump file"
            % (cut, size)) in r.stderr, r.stderr
    assert "the table counts the 4321 frames before it" in r.stderr


def test_file_mode_counts_a_file_cut_short_and_does_not_reopen(tmp_path):
    """The plugin counts what the tool counts, says where the file is cut
    with the tool's words, and does not claim to reopen it."""
    src = os.path.join(DATA, "synth_sample.pcap")
    cut, whole = str(tmp_path / "cut.pcap"), str(tmp_path / "whole.pcap")
    size = cut_capture(src, cut, whole, 6000, 30)
    w = tool("-r", whole)  # the plugin's default ports
    expected = {}
    for proto, port, d, packets, nbytes in table(w.stdout):
        v = expected.setdefault((proto, int(port)), [0, 0, 0, 0])
        k = 0 if d == "in" else 2
        v[k], v[k + 1] = int(packets), int(nbytes)
    expected = as_tuples(expected)
    cfg = ('<Plugin iptraf_services>\n <Capture "cut">\n  File "%s"\n </Capture>\n'
           '</Plugin>\n' % cut)
    cd = Collectd(str(tmp_path / "cd"), cfg, rrd=False)
    with cd:
        assert wait_values(cd, "cut", expected) == expected
        cd.wait_log("counted: 6000 frames")
    log = cd.log()
    assert ("capture file %s: cut short in packet 6001, at byte %d (libpcap: truncated"
            % (cut, size)) in log, log
    assert "reopening" not in log
    r = tool("-r", cut)
    assert r.returncode == 3 and table(r.stdout) == table(w.stdout)


def capture_cfg(dev, extra=""):
    return ('<Plugin iptraf_services>\n <Capture "%s">\n%s </Capture>\n</Plugin>\n'
            % (dev, extra))


def test_live_replay_on_lo_in_a_namespace_is_exact(tmp_path):
    expected = as_tuples(ground_truth("synth_sample", 1023))
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"), capture_cfg("lo"), rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on lo: started")
            r = ns.run(["tcpreplay", "-i", "lo", "--topspeed",
                        os.path.join(DATA, "synth_sample.pcap")], text=True)
            failed = [l for l in r.stdout.splitlines() if "Failed packets:" in l]
            assert failed and failed[0].split()[-1] == "0", r.stdout
            got = wait_values(cd, "lo", expected)
            assert got == expected
            drops = cd.csv_rows("lo", "if_rx_dropped", "capture")
            assert drops and drops[-1][1] == 0
        assert cd.proc.returncode == 0


def test_live_real_clients_and_servers(tmp_path):
    """UDP echo (exact by construction) and an HTTP-like TCP transfer,
    compared with an independent capture by the tool."""
    server = r'''
import socket, threading, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 7))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 80)); t.listen(5)
def udp():
    while True:
        d, a = u.recvfrom(65535); u.sendto(d, a)
def tcp():
    while True:
        c, _ = t.accept(); c.recv(1000); c.sendall(b"x" * 300000); c.close()
threading.Thread(target=udp, daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
'''
    client = r'''
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
for i in range(50):
    u.sendto(b"y" * 200, ("127.0.0.1", 7)); u.recvfrom(65535)
for i in range(3):
    c = socket.create_connection(("127.0.0.1", 80)); c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    n = 0
    while True:
        d = c.recv(65536)
        if not d: break
        n += len(d)
    assert n == 300000, n
    c.close()
'''
    with Netns() as ns:
        srv = ns.popen(["/usr/bin/python3", "-c", server], stdin=subprocess.PIPE,
                       stdout=subprocess.PIPE, text=True)
        assert srv.stdout.readline().strip() == "ready"
        cd = Collectd(str(tmp_path / "cd"), capture_cfg("lo", '  Port "udp/7" "tcp/80"\n'),
                      rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on lo: started")
            witness = ns.popen([TOOL, "-p", "udp/7", "-p", "tcp/80", "-i", "lo", "-t", "6"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            ns.run(["/usr/bin/python3", "-c", client])
            out, err = witness.communicate(timeout=20)
            rows = table(out)
            expected = {}
            for proto, port, d, packets, nbytes in rows:
                v = expected.setdefault((proto, int(port)), [0, 0, 0, 0])
                k = 0 if d == "in" else 2
                v[k], v[k + 1] = int(packets), int(nbytes)
            expected = as_tuples(expected)
            # UDP: 50 requests and 50 echoes of 200 bytes + 28 of headers.
            assert expected[("udp", 7)] == (50, 50 * 228, 50, 50 * 228)
            # TCP: at least the 3 x 300000 bytes of payload went out of port 80.
            assert expected[("tcp", 80)][3] > 3 * 300000
            assert wait_values(cd, "lo", expected) == expected
        srv.kill()


def test_live_default_filter_needs_no_etc_protocols():
    """Without /etc/protocols (no netbase: minimal containers, an initramfs)
    libpcap compiles a protocol name such as "\\tcp" silently as protocol 0;
    the default filter gives numbers, so IPv4 TCP and UDP are still counted.
    Run in a mount namespace whose /etc is empty."""
    script = r'''
mount -t tmpfs none /etc
ip link set lo up
"$1" -p udp/9 -i lo -t 30 >"$2/out" 2>"$2/err" &
tool=$!
i=0
while ! grep -q "counting on" "$2/err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
/usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in (0, 100, 1000):
    s.sendto(b"x" * n, ("127.0.0.1", 9))
'
sleep 0.5
kill -INT $tool
wait $tool
'''
    work = tempfile.mkdtemp(prefix="its-noprotocols-")
    try:
        r = subprocess.run(["unshare", "-m", "-n", "sh", "-c", script, "sh", TOOL, work],
                           capture_output=True, text=True, timeout=60)
        with open(os.path.join(work, "out")) as f:
            out = f.read()
        with open(os.path.join(work, "err")) as f:
            err = f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert r.returncode == 0, r.stderr + err
    assert table(out) == [("udp", "9", "in", "3", str(3 * 28 + 1100))], out + err


def add_veth(ns, name):
    # No dummy interfaces in this kernel everywhere; a veth pair inside the
    # namespace works wherever network namespaces do.
    ns.ip("link", "add", name, "type", "veth", "peer", "name", name + "p")
    # The sample holds loopback frames of up to 64 KiB.
    for dev in (name, name + "p"):
        ns.ip("link", "set", dev, "mtu", "65535")
        ns.ip("link", "set", dev, "up")


def replay(ns, dev, pcap):
    r = ns.run(["tcpreplay", "-i", dev, "--topspeed", pcap], text=True)
    failed = [l for l in r.stdout.splitlines() if "Failed packets:" in l]
    assert failed and failed[0].split()[-1] == "0", r.stdout + r.stderr


def test_interface_deleted_and_created_again(tmp_path):
    pcap = os.path.join(DATA, "real_sample.pcap")
    expected_once = as_tuples(ground_truth("real_sample"))
    expected_twice = {k: tuple(2 * x for x in v) for k, v in expected_once.items()}
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"),
                      capture_cfg("d0", '  Port "0-65535"\n  RetryInterval 0.2\n'),
                      rrd=False, netns=ns.name)
        with cd:
            # Missing at start: one warning, then picked up when it appears.
            cd.wait_log("capture on d0: the interface does not exist (yet)")
            add_veth(ns, "d0")
            cd.wait_log("capture on d0: started")
            replay(ns, "d0", pcap)
            assert wait_values(cd, "d0", expected_once) == expected_once
            ns.ip("link", "del", "d0")
            cd.wait_log("capture on d0 stopped")
            time.sleep(1)
            add_veth(ns, "d0")
            cd.wait_log("capture on d0: resumed")
            replay(ns, "d0", pcap)
            assert wait_values(cd, "d0", expected_twice) == expected_twice
            log = cd.log()
            assert log.count("the interface does not exist (yet)") <= 2
        assert cd.proc.returncode == 0


def test_interface_down_at_start_is_waited_for(tmp_path):
    """An interface that exists but is down when collectd starts: libpcap
    will not open it ("That device is not up"). Like the eBPF method (and
    like an interface going down later), a warning once, not an error every
    time; counting starts when it is up."""
    pcap = os.path.join(DATA, "real_sample.pcap")
    once = as_tuples(ground_truth("real_sample"))
    with Netns() as ns:
        ns.ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p")
        for dev in ("d0", "d0p"):
            ns.ip("link", "set", dev, "mtu", "65535")
        cd = Collectd(str(tmp_path / "cd"),
                      capture_cfg("d0", '  Port "0-65535"\n  RetryInterval 0.2\n'),
                      rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on d0: the interface is down")
            time.sleep(1.5)  # several attempts
            ns.ip("link", "set", "d0", "up")
            ns.ip("link", "set", "d0p", "up")
            cd.wait_log("capture on d0: started")
            replay(ns, "d0", pcap)
            assert wait_values(cd, "d0", once) == once
            log = cd.log()
            assert log.count("the interface is down") == 1, log
            assert "not up" not in log, log
        assert cd.proc.returncode == 0


def sigterm_under_full_speed(tmp_path, config):
    """collectd with `config` capturing on lo in a namespace while tcpreplay
    floods it; SIGTERM. Returns (exit status, seconds to exit)."""
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"), config, rrd=False, netns=ns.name)
        cd.start()
        cd.wait_log("capture on lo: started")
        rep = ns.popen(["tcpreplay", "-i", "lo", "--topspeed", "--loop=0",
                        os.path.join(DATA, "synth_sample.pcap")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)
            t = time.time()
            cd.proc.send_signal(signal.SIGTERM)
            cd.proc.wait(timeout=10)
            elapsed = time.time() - t
        finally:
            rep.kill()
            rep.wait()
        return cd.proc.returncode, elapsed


def test_shutdown_under_full_speed_traffic_is_fast(tmp_path):
    rc, elapsed = sigterm_under_full_speed(tmp_path, capture_cfg("lo", '  Port "0-65535"\n'))
    assert rc == 0
    assert elapsed < 2.0, elapsed


def test_no_capture_permission_is_said_clearly(tmp_path):
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        TOOL, "-i", "lo", "-t", "1"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "CAP_NET_RAW" in r.stderr
    # The plugin inside a collectd that runs without the capability.
    import shutil
    import tempfile
    base = tempfile.mkdtemp(prefix="its-noperm-")
    os.chmod(base, 0o755)
    work = os.path.join(base, "cd")
    cd = Collectd(work, capture_cfg("lo"), rrd=False)
    for root, dirs, files in os.walk(work):
        os.chmod(root, 0o777)
        for f in files:
            os.chmod(os.path.join(root, f), 0o666)
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "/usr/sbin/collectd", "-f", "-C", cd.conf]
    cd.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=cd.env)
    try:
        cd.wait_log("CAP_NET_RAW")
        assert "permission denied" in cd.log()
        assert cd.proc.poll() is None
    finally:
        cd.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_pcap_without_permission_leaves_the_log_running():
    """collectd as nobody without capabilities: Method "pcap" cannot open
    the interface, which is said once (while it is retried), and the <Log>
    block of the same plugin is read as usual."""
    import re
    import shutil
    import tempfile
    base = tempfile.mkdtemp(prefix="its-noperm-")
    try:
        os.chmod(base, 0o755)
        log = copy_sample_log(base)
        body = ('<Plugin iptraf_services>\n <Capture "lo">\n  Method "pcap"\n'
                '  RetryInterval 0.2\n </Capture>\n <Log "%s">\n </Log>\n</Plugin>\n' % log)
        cd = unprivileged_collectd(base, body)
        try:
            cd.wait_log("capture on lo: permission denied")
            check_sample_log_values(cd, "eth0")
            time.sleep(3)  # several attempts meanwhile
            text = cd.log()
            assert text.count("permission denied") == 1, text
            assert "CAP_NET_RAW" in text
            assert "not started" not in text and "will be unloaded" not in text, text
            assert not [s for s in cd.series("lo")
                        if re.match(r"if_(octets|packets)-(tcp|udp)-\d+$", s)]
            assert cd.proc.poll() is None
        finally:
            cd.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("body,expect", [
    ('<Capture "lo">\n BufferSize 0\n</Capture>', 'option "BufferSize": 0 is out of range'),
    ('<Capture "lo">\n Port "udp/x-y"\n</Capture>', '"udp/x-y"'),
    ('<Capture "lo">\n Sniff true\n</Capture>', 'unknown option "Sniff"'),
    ('<Capture "lo">\n</Capture>\n<Capture "lo">\n</Capture>', 'is configured twice'),
    ('<Capture "">\n</Capture>', '<Capture> needs an interface name'),
])
def test_capture_config_errors(tmp_path, body, expect):
    cd = Collectd(str(tmp_path / "cd"), "<Plugin iptraf_services>\n%s\n</Plugin>\n" % body, rrd=False)
    cd.start(wait_for=None)
    try:
        cd.wait_log(expect)
        cd.wait_log("iptraf_services: not started")
    finally:
        cd.stop()
