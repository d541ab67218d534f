"""<Capture> Method "ebpf": the in-kernel counter (a socket filter on an
AF_PACKET socket) inside a real collectd, in network namespaces: replayed
captures on lo and on a veth pair equal to the ground truth and to the libpcap
method, real clients and servers, an interface deleted and created again,
nothing left in the kernel after shutdown, configuration errors and the
"auto" choice."""
import json
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
from test_capture import (CRAFTED, TOOL, add_veth, as_tuples, ground_truth, replay,
                          sigterm_under_full_speed, table, wait_values)

BPFTOOL = shutil.which("bpftool") or "/usr/sbin/bpftool"
OTHER = ("tcp-other", "udp-other", "fragments-unattributed", "malformed")


def built_with_ebpf():
    try:
        with open(os.path.join(REPO, "Makefile")) as f:
            # The skeleton rule is commented out ("#src/...") without eBPF.
            return re.search(r"^src/its_count\.skel\.h:", f.read(), re.M) is not None
    except OSError:
        return False


def cfg(dev, method, extra=""):
    return ('<Plugin iptraf_services>\n <Capture "%s">\n  Method "%s"\n%s </Capture>\n'
            '</Plugin>\n' % (dev, method, extra))


_probe = {}


@pytest.fixture(scope="module")
def ebpf_ok(tmp_path_factory):
    """Skips the module only where eBPF truly cannot load (with the reason)."""
    if not built_with_ebpf():
        pytest.skip("the plugin was built without the eBPF method (configure "
                    "found no clang BPF target, bpftool or libbpf)")
    work = str(tmp_path_factory.mktemp("probe") / "cd")
    with Netns() as ns:
        cd = Collectd(work, cfg("lo", "ebpf"), rrd=False, netns=ns.name)
        cd.start(wait_for=None)
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                log = cd.log()
                if "capture on lo: started" in log:
                    return True
                m = re.search(r'Method "ebpf": (.*)', log)
                if m:
                    pytest.skip("eBPF cannot load here: " + m.group(1))
                time.sleep(0.1)
            pytest.fail("the eBPF probe neither started nor failed:\n" + cd.log())
        finally:
            cd.stop()


def ids(kind):
    r = subprocess.run([BPFTOOL, "-j", kind, "show"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {(o["id"], o.get("name", "")) for o in json.loads(r.stdout or "[]")}


def others(cd, instance):
    """{series: (packets, bytes)} of the always-reported totals."""
    got = {}
    for t in OTHER:
        p = cd.csv_rows(instance, "if_packets", t)
        o = cd.csv_rows(instance, "if_octets", t)
        if p and o:
            got[t] = (p[-1][1], o[-1][1])
    return got


def wait_equal(fn, timeout=15):
    deadline = time.time() + timeout
    while True:
        a, b = fn()
        if a == b or time.time() > deadline:
            return a, b
        time.sleep(0.25)


def pair(ns, tmp_path, dev, extra="  ReportOther true\n"):
    """Two collectds side by side on `dev`: Method "ebpf" and "pcap"."""
    e = Collectd(str(tmp_path / "ebpf"), cfg(dev, "ebpf", extra), rrd=False, netns=ns.name)
    p = Collectd(str(tmp_path / "pcap"), cfg(dev, "pcap", extra), rrd=False, netns=ns.name)
    return e, p


@pytest.mark.parametrize("sample", ["synth_sample", "real_sample"])
def test_replay_on_lo_equals_ground_truth_and_pcap(tmp_path, ebpf_ok, sample):
    expected = as_tuples(ground_truth(sample, 1023))
    with Netns() as ns:
        e, p = pair(ns, tmp_path, "lo")
        with e, p:
            e.wait_log("capture on lo: started (eBPF socket filter")
            p.wait_log("capture on lo: started (link type")
            replay(ns, "lo", os.path.join(DATA, sample + ".pcap"))
            assert wait_values(e, "lo", expected) == expected
            assert wait_values(p, "lo", expected) == expected
            a, b = wait_equal(lambda: (others(e, "lo"), others(p, "lo")))
            assert a == b and set(a) == set(OTHER)
            if sample == "synth_sample":
                assert a["udp-other"][0] > 0 and a["tcp-other"][0] > 0
            assert e.series("lo") == p.series("lo")
            drops = e.csv_rows("lo", "if_rx_dropped", "capture")
            assert drops and drops[-1][1] == 0
        assert e.proc.returncode == 0


@pytest.mark.parametrize("side", ["sender", "receiver"])
def test_replay_on_veth_equals_ground_truth_and_pcap(tmp_path, ebpf_ok, side):
    """Frames replayed into v0 leave through v0 (the sender's side) and
    arrive on v0p (the receiver's side, where VLAN tags are stripped into
    the packet's metadata)."""
    sample = "synth_sample"
    dev = "v0" if side == "sender" else "v0p"
    expected = as_tuples(ground_truth(sample, 1023))
    with Netns() as ns:
        add_veth(ns, "v0")
        e, p = pair(ns, tmp_path, dev)
        with e, p:
            e.wait_log("capture on %s: started (eBPF" % dev)
            p.wait_log("capture on %s: started (link type" % dev)
            replay(ns, "v0", os.path.join(DATA, sample + ".pcap"))
            assert wait_values(e, dev, expected) == expected
            assert wait_values(p, dev, expected) == expected
            a, b = wait_equal(lambda: (others(e, dev), others(p, dev)))
            assert a == b and set(a) == set(OTHER)


def test_full_port_range_equals_ground_truth_on_veth(tmp_path, ebpf_ok):
    """Every port of the real sample monitored: the whole table."""
    expected = as_tuples(ground_truth("real_sample"))
    with Netns() as ns:
        add_veth(ns, "v0")
        e = Collectd(str(tmp_path / "cd"), cfg("v0p", "ebpf", '  Port "0-65535"\n'),
                     rrd=False, netns=ns.name)
        with e:
            e.wait_log("capture on v0p: started")
            replay(ns, "v0", os.path.join(DATA, "real_sample.pcap"))
            assert wait_values(e, "v0p", expected) == expected
            ports = {s.split("-", 1)[1] for s in e.series("v0p")
                     if s.startswith("if_packets-tcp-") or s.startswith("if_packets-udp-")}
            assert ports == {"%s-%d" % k for k in expected}


def test_real_clients_and_servers(tmp_path, ebpf_ok):
    """UDP echo (exact by construction) and TCP transfers over lo (64 KiB
    segments), against an independent capture by the tool."""
    server = r'''
import socket, threading, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 7))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 80)); t.listen(5)
t6 = socket.socket(socket.AF_INET6); t6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t6.bind(("::1", 443)); t6.listen(5)
def udp():
    while True:
        d, a = u.recvfrom(65535); u.sendto(d, a)
def tcp(s):
    while True:
        c, _ = s.accept(); c.recv(1000); c.sendall(b"x" * 300000); c.close()
threading.Thread(target=udp, daemon=True).start()
threading.Thread(target=tcp, args=(t,), daemon=True).start()
threading.Thread(target=tcp, args=(t6,), daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
'''
    client = r'''
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(2)
for i in range(50):
    u.sendto(b"y" * 200, ("127.0.0.1", 7)); u.recvfrom(65535)
for addr in [("127.0.0.1", 80)] * 3 + [("::1", 443)] * 2:
    c = socket.create_connection(addr); c.sendall(b"GET / HTTP/1.0\r\n\r\n")
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
        ports = '  Port "udp/7" "tcp/80" "tcp/443"\n'
        e, p = pair(ns, tmp_path, "lo", ports)
        with e, p:
            e.wait_log("capture on lo: started")
            p.wait_log("capture on lo: started")
            witness = ns.popen([TOOL, "-p", "udp/7", "-p", "tcp/80", "-p", "tcp/443",
                                "-i", "lo", "-t", "6"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            ns.run(["/usr/bin/python3", "-c", client])
            out, err = witness.communicate(timeout=20)
            expected = {}
            for proto, port, d, packets, nbytes in table(out):
                v = expected.setdefault((proto, int(port)), [0, 0, 0, 0])
                k = 0 if d == "in" else 2
                v[k], v[k + 1] = int(packets), int(nbytes)
            expected = as_tuples(expected)
            assert expected[("udp", 7)] == (50, 50 * 228, 50, 50 * 228)
            assert expected[("tcp", 80)][3] > 3 * 300000
            assert expected[("tcp", 443)][3] > 2 * 300000
            assert wait_values(e, "lo", expected) == expected
            assert wait_values(p, "lo", expected) == expected
        srv.kill()


def test_interface_deleted_and_created_again(tmp_path, ebpf_ok):
    pcap = os.path.join(DATA, "real_sample.pcap")
    once = as_tuples(ground_truth("real_sample"))
    twice = {k: tuple(2 * x for x in v) for k, v in once.items()}
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"),
                      cfg("d0", "ebpf", '  Port "0-65535"\n  RetryInterval 0.2\n'),
                      rrd=False, netns=ns.name)
        with cd:
            cd.wait_log("capture on d0: the interface does not exist (yet)")
            add_veth(ns, "d0")
            cd.wait_log("capture on d0: started (eBPF")
            replay(ns, "d0", pcap)
            assert wait_values(cd, "d0", once) == once
            ns.ip("link", "del", "d0")
            cd.wait_log("capture on d0 stopped: the interface was deleted")
            time.sleep(1)
            add_veth(ns, "d0")
            cd.wait_log("capture on d0: resumed (eBPF")
            replay(ns, "d0", pcap)
            assert wait_values(cd, "d0", twice) == twice
            # Down and up again: the socket stays bound, one message each way.
            # (A re-created veth is down for a moment before add_veth raises
            # it, which may be said too: count from here.)
            before = len(cd.log())
            ns.ip("link", "set", "d0", "down")
            cd.wait_log("capture on d0: the interface is down")
            ns.ip("link", "set", "d0", "up")
            ns.ip("link", "set", "d0p", "up")
            cd.wait_log("capture on d0: the interface is up again")
            log = cd.log()
            assert log.count("the interface does not exist (yet)") <= 2
            assert log.count("stopped: the interface was deleted") == 1
            assert log[before:].count("the interface is down") == 1
            assert log[before:].count("the interface is up again") == 1
        assert cd.proc.returncode == 0


def test_clean_detach_on_shutdown(tmp_path, ebpf_ok):
    """The program and its maps exist while collectd runs and are gone after
    it stops (and after it is killed): nothing is left in the kernel."""
    for how in ("stop", "kill"):
        progs0, maps0 = ids("prog"), ids("map")
        with Netns() as ns:
            cd = Collectd(str(tmp_path / how), cfg("lo", "ebpf"), rrd=False, netns=ns.name)
            cd.start()
            cd.wait_log("capture on lo: started")
            new_progs = ids("prog") - progs0
            new_maps = ids("map") - maps0
            assert any(n == "its_count" for _, n in new_progs), new_progs
            names = {n for _, n in new_maps}
            assert {"port_slot", "counters", "frags"} <= names, names
            t = time.time()
            if how == "stop":
                cd.proc.send_signal(signal.SIGTERM)
            else:
                cd.proc.kill()
            cd.proc.wait(timeout=10)
            assert time.time() - t < 3
            if how == "stop":
                assert cd.proc.returncode == 0
        deadline = time.time() + 5  # the kernel frees them asynchronously
        while time.time() < deadline:
            left = (ids("prog") & new_progs) | (ids("map") & new_maps)
            if not left:
                break
            time.sleep(0.1)
        assert not left, left


def test_shutdown_under_full_speed_traffic_is_fast(tmp_path, ebpf_ok):
    rc, elapsed = sigterm_under_full_speed(tmp_path, cfg("lo", "ebpf", '  Port "0-65535"\n'))
    assert rc == 0
    assert elapsed < 2.0, elapsed


def test_auto_takes_ebpf_and_says_so(tmp_path, ebpf_ok):
    expected = as_tuples(ground_truth("real_sample", 1023))
    with Netns() as ns:
        cd = Collectd(str(tmp_path / "cd"), cfg("lo", "auto"), rrd=False, netns=ns.name)
        with cd:
            cd.wait_log('Method "auto" took eBPF')
            cd.wait_log("capture on lo: started (eBPF")
            replay(ns, "lo", os.path.join(DATA, "real_sample.pcap"))
            assert wait_values(cd, "lo", expected) == expected


def test_file_mode_uses_pcap(tmp_path, ebpf_ok):
    pcap = os.path.join(DATA, "synth_sample.pcap")
    cd = Collectd(str(tmp_path / "cd"), cfg("replay", "ebpf", '  File "%s"\n' % pcap),
                  rrd=False)
    expected = as_tuples(ground_truth("synth_sample", 1023))
    with cd:
        assert wait_values(cd, "replay", expected) == expected
        assert "a capture file is always read with libpcap" in cd.log()


def _unprivileged_collectd(body):
    base = tempfile.mkdtemp(prefix="its-noperm-")
    os.chmod(base, 0o755)
    return unprivileged_collectd(base, body), base


def test_no_permission_is_said_clearly(tmp_path, ebpf_ok):
    cd, base = _unprivileged_collectd(cfg("lo", "ebpf"))
    try:
        cd.wait_log('Method "ebpf": permission denied')
        log = cd.log()
        assert "CAP_BPF" in log and "CAP_NET_RAW" in log
        assert "RLIMIT_MEMLOCK" not in log
        assert log.count("permission denied") == 1
    finally:
        cd.stop()
        shutil.rmtree(base, ignore_errors=True)
    cd, base = _unprivileged_collectd(cfg("lo", "auto"))
    try:
        cd.wait_log('Method "auto": eBPF is not available (permission denied')
        cd.wait_log("counting with libpcap instead")
        cd.wait_log("CAP_NET_RAW")  # and libpcap says what it needs
    finally:
        cd.stop()
        shutil.rmtree(base, ignore_errors=True)


PORT_SERIES = re.compile(r"if_(octets|packets)-(tcp|udp)-\d+$")


def capture_and_log(dev, method, log, extra=""):
    """A <Capture> and a <Log> in one plugin. The <Capture> comes first: a
    failing init unloads the plugin, and collectd only drops the read
    callbacks registered before the failure under the plugin's own name."""
    return ('<Plugin iptraf_services>\n <Capture "%s">\n  Method "%s"\n%s </Capture>\n'
            ' <Log "%s">\n </Log>\n</Plugin>\n' % (dev, method, extra, log))


def port_series(cd, instance):
    return {s for s in cd.series(instance) if PORT_SERIES.match(s)}


def test_ebpf_without_permission_leaves_the_log_running(ebpf_ok):
    """collectd as nobody without capabilities: Method "ebpf" cannot load,
    which is said once (while it is retried), and the <Log> block of the
    same plugin is read as usual."""
    base = tempfile.mkdtemp(prefix="its-noperm-")
    try:
        os.chmod(base, 0o755)
        log = copy_sample_log(base)
        cd = unprivileged_collectd(base, capture_and_log("lo", "ebpf", log,
                                                         "  RetryInterval 0.2\n"))
        try:
            cd.wait_log('capture on lo: Method "ebpf": permission denied')
            check_sample_log_values(cd, "eth0")
            time.sleep(3)  # several attempts meanwhile
            text = cd.log()
            assert text.count("permission denied") == 1, text
            assert "not started" not in text and "will be unloaded" not in text, text
            assert "CAP_BPF" in text and "CAP_NET_RAW" in text
            assert port_series(cd, "lo") == set()  # nothing made up
            assert cd.proc.poll() is None
        finally:
            cd.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_ebpf_that_cannot_load_leaves_the_log_running_and_loads_later(tmp_path, ebpf_ok):
    """A failure that goes away while collectd runs, for root: too few file
    descriptors (RLIMIT_NOFILE) to load a second program. Each loaded
    capture holds 9 descriptors (its BTF, five maps, the program, a wake-up
    eventfd, the socket) plus a link-event socket, and loading needs 7 at
    once. With a soft limit of 19: 3 standard + 10 for <Capture "lo"> + the
    eventfd and link-event socket of <Capture "v0"> + the log file leave 3,
    so "v0" cannot load, yet the csv write thread and the logfile plugin
    (which opens its file for every message) always find one. No state
    file (StateFile false): its writes would take two more at times. The limit is then raised from outside, as
    an administrator would, and the next attempt loads the program.

    "lo" loads first on purpose: libbpf probes the kernel's features once
    per process and remembers a probe that failed for lack of descriptors as
    a missing feature; "lo" makes those probes with descriptors to spare."""
    log = copy_sample_log(str(tmp_path))
    expected = as_tuples(ground_truth("real_sample", 1023))
    body = ('<Plugin iptraf_services>\n StateFile false\n'
            ' <Capture "lo">\n  Method "ebpf"\n </Capture>\n'
            ' <Capture "v0">\n  Method "ebpf"\n  RetryInterval 1\n </Capture>\n'
            ' <Log "%s">\n </Log>\n</Plugin>\n' % log)
    with Netns() as ns:
        add_veth(ns, "v0")
        cd = Collectd(str(tmp_path / "cd"), body, rrd=False, netns=ns.name,
                      extra="WriteThreads 1",
                      wrapper=["prlimit", "--nofile=19:4096", "--"])
        with cd:
            cd.wait_log('capture on v0: Method "ebpf": ')
            check_sample_log_values(cd, "eth0")
            cd.wait_log("capture on lo: started (eBPF")
            time.sleep(3)  # attempts after 1 s and 3 s
            text = cd.log()
            assert text.count('Method "ebpf": ') == 1, text
            assert "Too many open files" in text, text
            assert "will be unloaded" not in text, text
            assert port_series(cd, "v0") == set()  # nothing made up
            subprocess.run(["prlimit", "--pid", str(cd.proc.pid), "--nofile=4096:4096"],
                           check=True)
            cd.wait_log('capture on v0: Method "ebpf" loaded after', timeout=20)
            cd.wait_log("capture on v0: started (eBPF")
            replay(ns, "v0", os.path.join(DATA, "real_sample.pcap"))
            assert wait_values(cd, "v0", expected) == expected
            text = cd.log()
            assert text.count('Method "ebpf": ') == 1, text
            assert re.search(r'Method "ebpf" loaded after [2-9] failed attempts', text), text
        assert cd.proc.returncode == 0


@pytest.mark.parametrize("body,expect", [
    ('<Capture "lo">\n Method "xdp"\n</Capture>', '"xdp" is not a method'),
    ('<Capture "lo">\n Method "ebpf"\n Filter "tcp"\n</Capture>',
     'Filter is a libpcap filter and Method "ebpf" has none'),
    ('<Capture "lo">\n Method 1\n</Capture>', 'option "Method" takes one string'),
])
def test_method_config_errors(tmp_path, body, expect):
    cd = Collectd(str(tmp_path / "cd"), "<Plugin iptraf_services>\n%s\n</Plugin>\n" % body,
                  rrd=False)
    cd.start(wait_for=None)
    try:
        if "Filter" in body and not built_with_ebpf():
            expect = 'this build of the plugin has no eBPF method'
        cd.wait_log(expect)
        cd.wait_log("iptraf_services: not started")
    finally:
        cd.stop()


def _start_tool(ns, method, dev, *ports):
    """The tool counting live with `method`; returns once it counts."""
    p = ns.popen([TOOL, "-m", method, "-i", dev, "-t", "60"] + list(ports),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    assert "counting on %s with %s" % (dev, "eBPF" if method == "ebpf" else "libpcap") in line, (
        line + p.stderr.read())
    return p


def _stop_tool(p):
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0, err
    return table(out), err


@pytest.mark.parametrize("dev", ["lo", "v0p"])
def test_tool_method_ebpf_equals_pcap_and_ground_truth(ebpf_ok, dev):
    """iptraf-services-count -m ebpf: the plugin's in-kernel counter, the
    same table as -m pcap and as the ground truth; SIGINT ends both."""
    want = []
    with open(os.path.join(DATA, "synth_sample.reasm.tsv")) as f:
        next(f)
        for line in f:
            proto, port, d, packets, _fb, ipbytes = line.split()
            if int(port) <= 1023:
                want.append((proto, port, d, packets, ipbytes))
    with Netns() as ns:
        if dev != "lo":
            add_veth(ns, "v0")
        e = _start_tool(ns, "ebpf", dev)
        p = _start_tool(ns, "pcap", dev)
        replay(ns, "v0" if dev != "lo" else "lo", os.path.join(DATA, "synth_sample.pcap"))
        time.sleep(0.5)
        (te, erre), (tp, errp) = _stop_tool(e), _stop_tool(p)
    assert te == want
    assert tp == want
    tail = re.compile(r"TCP/UDP on no monitored port: .*")
    assert erre.startswith("eBPF: no frame totals") or "\neBPF: no frame totals" in erre
    assert tail.search(erre).group(0) == tail.search(errp).group(0)


def test_tool_method_errors(ebpf_ok):
    r = subprocess.run([TOOL, "-m", "xdp", "-i", "lo", "-t", "1"], capture_output=True, text=True)
    assert r.returncode == 2 and "the methods are pcap and ebpf" in r.stderr
    r = subprocess.run([TOOL, "-m", "ebpf", "-r", os.path.join(DATA, "synth_sample.pcap")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "-m ebpf counts live only" in r.stderr
    r = subprocess.run([TOOL, "-m", "ebpf", "-i", "nonexistent0", "-t", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "nonexistent0: no such interface" in r.stderr
    unpriv = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             "--inh-caps=-all", "--bounding-set=-all",
                             TOOL, "-m", "ebpf", "-i", "lo", "-t", "1"],
                            capture_output=True, text=True)
    assert unpriv.returncode == 2 and "permission denied" in unpriv.stderr, unpriv.stderr
    assert "CAP_BPF" in unpriv.stderr and "RLIMIT_MEMLOCK" not in unpriv.stderr


@pytest.mark.parametrize("name", ["v6-frag-other-protocols", "v6-ext-headers-7-8-9",
                                  "rules-icmp-vlan-tunnel-frag"])
def test_crafted_captures_ebpf_equals_pcap_and_file(ebpf_ok, name):
    """The in-kernel program follows the C decoder's rules on crafted
    captures (IPv6 fragments of ICMPv6, 8 extension headers): the same
    table and the same TCP/UDP, fragment and malformed totals as -m pcap
    live and as -r on the file."""
    pcap = os.path.join(CRAFTED, name + ".pcap")
    f = subprocess.run([TOOL, "-p", "0-65535", "-r", pcap], capture_output=True, text=True)
    assert f.returncode == 0, f.stderr
    with Netns() as ns:
        add_veth(ns, "v0")
        e = _start_tool(ns, "ebpf", "v0p", "-p", "0-65535")
        p = _start_tool(ns, "pcap", "v0p", "-p", "0-65535")
        replay(ns, "v0", pcap)
        time.sleep(0.5)
        (te, erre), (tp, errp) = _stop_tool(e), _stop_tool(p)
    assert te == table(f.stdout)
    assert tp == table(f.stdout)
    tail = re.compile(r"TCP/UDP on no monitored port: .*")
    assert tail.search(erre).group(0) == tail.search(f.stderr).group(0)
    assert tail.search(errp).group(0) == tail.search(f.stderr).group(0)


BIG_TCP_SERVER = r'''
import socket, sys
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd12::2", 5201)); s.listen(1)
print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    n += len(d)
print(n, flush=True)
'''
BIG_TCP_CLIENT = r'''
import socket
c = socket.create_connection(("fd12::2", 5201))
c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
block = b"z" * (1 << 20)
for i in range(32):
    c.sendall(block)
c.close()
'''


def test_big_tcp_gso_packets_count_their_length_in_both_methods(ebpf_ok):
    """IPv6 BIG TCP on a veth pair (gso_max_size 185000): the sender's
    capture sees TCP packets of more than 64 KiB whose payload length is 0.
    Both methods count them with their real length (32 MiB sent: at least
    that many IP bytes on tcp/5201 in, none malformed), and agree."""
    sent = 32 << 20
    with Netns() as a, Netns() as b:
        a.ip("link", "add", "bt0", "type", "veth", "peer", "name", "bt1")
        a.ip("link", "set", "bt1", "netns", b.name)
        a.ip("link", "set", "bt0", "gso_max_size", "185000")
        b.ip("link", "set", "bt1", "gro_max_size", "185000")
        a.ip("addr", "add", "fd12::1/64", "dev", "bt0", "nodad")
        b.ip("addr", "add", "fd12::2/64", "dev", "bt1", "nodad")
        a.ip("link", "set", "bt0", "up")
        b.ip("link", "set", "bt1", "up")
        srv = b.popen(["/usr/bin/python3", "-c", BIG_TCP_SERVER], stdout=subprocess.PIPE,
                      text=True)
        assert srv.stdout.readline().strip() == "ready"
        e = _start_tool(a, "ebpf", "bt0", "-p", "tcp/5201")
        p = _start_tool(a, "pcap", "bt0", "-p", "tcp/5201")
        a.run(["/usr/bin/python3", "-c", BIG_TCP_CLIENT])
        assert int(srv.stdout.readline()) == sent
        time.sleep(0.5)
        (te, erre), (tp, errp) = _stop_tool(e), _stop_tool(p)
    assert te == tp, (erre, errp)
    rows = {(proto, port, d): (int(n), int(nb)) for proto, port, d, n, nb in te}
    packets, nbytes = rows[("tcp", "5201", "in")]
    assert sent < nbytes < sent * 1.05, (packets, nbytes, erre)
    assert packets < sent // 65536, "no packet over 64 KiB: not a BIG TCP test"
    assert SUMMARY_MALFORMED.search(erre).group(1) == "0", erre
    assert SUMMARY_MALFORMED.search(errp).group(1) == "0", errp


SUMMARY_MALFORMED = re.compile(r"malformed (\d+)")
