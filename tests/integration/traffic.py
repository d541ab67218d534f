"""Steady known traffic over a veth pair, and an independent count of what
arrived on the capturing end.

Sender: one process in the namespace writes prebuilt Ethernet frames on the
peer end (`<dev>p`) through a plain AF_PACKET socket, one at a time, at a
fixed rate, alternating two kinds of known size:

  UDP 10.9.0.2:40000 -> 10.9.0.1:5001, 100 bytes of data (128 IP bytes)
  TCP 10.9.0.2:80 -> 10.9.0.1:40001, 200 bytes of data (240 IP bytes)

so the plugin, watching `Port "udp/5001" "tcp/80"`, counts them as udp-5001
in and tcp-80 out. The sender goes on whatever happens to the interfaces:
a send that fails (the peer down, deleted, not there yet) is counted as
failed and the next one is tried at its time. A veth hands a frame to its
peer inside the sender's send call, so at most one frame is ever in flight.

Witness: another process holds its own AF_PACKET socket (not libpcap, no
ring, no filter, a 32 MiB receive queue) bound to the capturing end and
counts every frame the kernel delivered to it, by the same rule as the
plugin (destination port monitored: in; source port monitored: out). It
shares nothing with the plugin but the kernel's delivery to packet sockets.
Its counts are split into phases; the test moves it to the next phase only
at a moment when no frame can arrive (the capturing end down or gone, or
its peer down), so every frame falls into the right phase.
"""
import json
import subprocess

UDP_PORT, TCP_PORT = 5001, 80
UDP_IP_BYTES, TCP_IP_BYTES = 128, 240

SENDER = r'''
import json, socket, struct, sys, threading, time
dev, rate = sys.argv[1], float(sys.argv[2])

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def frame(proto, l4):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                     socket.inet_aton("10.9.0.2"), socket.inet_aton("10.9.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00" + ip + l4

udp = frame(17, struct.pack("!HHHH", 40000, 5001, 108, 0) + b"u" * 100)
# TCP checksum left 0: a receiver's GRO never merges such segments.
tcp = frame(6, struct.pack("!HHIIBBHHH", 80, 40001, 1, 0, 0x50, 0x18, 65535, 0, 0) + b"t" * 200)
kinds = [("udp", udp), ("tcp", tcp)]

stop = threading.Event()
def watch():
    sys.stdin.readline()
    stop.set()
threading.Thread(target=watch, daemon=True).start()

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sent = {"udp": 0, "tcp": 0}
failed = {}
step = 1.0 / rate
n = 0
print("ready", flush=True)
t = time.monotonic()
while not stop.is_set():
    name, f = kinds[n % 2]
    try:
        s.sendto(f, (dev, 0))
        sent[name] += 1
    except OSError as e:
        failed[e.strerror] = failed.get(e.strerror, 0) + 1
    n += 1
    t += step
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
    elif d < -0.5:
        t = time.monotonic()  # descheduled for long: do not burst to catch up
print(json.dumps({"sent": sent, "failed": failed}), flush=True)
'''

WITNESS = r'''
import errno, json, select, socket, struct, sys
dev = sys.argv[1]
PHASES = {}
phase = None
sock = None
drops = 0

def bind():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
    s.bind((dev, 0))
    s.setblocking(False)
    return s

def new_phase(name):
    PHASES.setdefault(name, {"frames": 0, "udp": [0, 0, 0, 0], "tcp": [0, 0, 0, 0]})
    return name

def count(b):
    c = PHASES[phase]
    c["frames"] += 1
    if len(b) < 34 or b[12:14] != b"\x08\x00":
        return
    ihl = (b[14] & 15) * 4
    total = struct.unpack("!H", b[16:18])[0]
    proto = b[23]
    if proto not in (6, 17):
        return
    sport, dport = struct.unpack("!HH", b[14 + ihl:18 + ihl])
    name, port = ("udp", 5001) if proto == 17 else ("tcp", 80)
    if dport == port:
        c[name][0] += 1
        c[name][1] += total
    if sport == port:
        c[name][2] += 1
        c[name][3] += total

def drain():
    global drops
    while True:
        try:
            count(sock.recv(70000))
        except BlockingIOError:
            break
        except OSError as e:  # the device went down or away: said once
            if e.errno not in (errno.ENETDOWN, errno.ENODEV, errno.ENXIO):
                raise
    st = sock.getsockopt(263, 6, 8)  # SOL_PACKET, PACKET_STATISTICS
    drops += struct.unpack("II", st)[1]

sock = bind()
phase = new_phase(sys.argv[2])
print("ready", flush=True)
while True:
    r, _, _ = select.select([sock, sys.stdin], [], [])
    if sock in r:
        drain()
    if sys.stdin in r:
        cmd = sys.stdin.readline().split()
        drain()
        if not cmd or cmd[0] == "end":
            print(json.dumps({"phases": PHASES, "drops": drops}), flush=True)
            break
        if cmd[0] == "bind":  # the device was created again
            sock.close()
            sock = bind()
        phase = new_phase(cmd[1])
        print("ok", flush=True)
'''


class Sender:
    """`rate` frames a second on `dev` inside namespace `ns` until stop()."""

    def __init__(self, ns, dev, rate=1000):
        self.p = ns.popen(["/usr/bin/python3", "-c", SENDER, dev, str(rate)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def stop(self):
        """{"sent": {"udp": n, "tcp": n}, "failed": {strerror: n}}"""
        out, _ = self.p.communicate("stop\n", timeout=10)
        return json.loads(out.strip().splitlines()[-1])


class Witness:
    """Counts what the kernel delivers to a packet socket on `dev`, by phase."""

    def __init__(self, ns, dev, first_phase):
        self.p = ns.popen(["/usr/bin/python3", "-c", WITNESS, dev, first_phase],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def _cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "ok"

    def phase(self, name):
        """From now on count into `name`. Call only when nothing can arrive."""
        self._cmd("phase " + name)

    def rebind(self, name):
        """The device was created again: a new socket on it, counting into `name`."""
        self._cmd("bind " + name)

    def end(self):
        """{"phases": {name: {"frames": n, "udp": [in_p, in_b, out_p, out_b], "tcp": [...]}},
        "drops": n}"""
        out, _ = self.p.communicate("end\n", timeout=10)
        return json.loads(out.strip().splitlines()[-1])


def expected(phases, names):
    """The plugin's {(proto, port): (in_p, in_b, out_p, out_b)} for the
    witness's phases `names` added up."""
    tot = {"udp": [0, 0, 0, 0], "tcp": [0, 0, 0, 0]}
    for n in names:
        for proto in tot:
            for i in range(4):
                tot[proto][i] += phases[n][proto][i]
    return {("udp", UDP_PORT): tuple(tot["udp"]), ("tcp", TCP_PORT): tuple(tot["tcp"])}
