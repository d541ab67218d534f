#!/usr/bin/env python3
"""Writes a synthetic Ethernet capture (classic pcap, microsecond stamps) for
the capture benchmark.

    bench/gen_capture.py [-n PACKETS] [-s SNAPLEN] [--seed N] OUT.pcap

The mix (per packet, roughly): IPv4 65 %, IPv6 33 %, ARP 0.3 %; of IP, TCP
76 %, UDP 21 %, ICMP/ICMPv6 2 %; about 1 % of UDP datagrams are fragmented
(IPv4 and IPv6, 2 or 3 fragments); 5 % carry an 802.1Q tag and 1 % two tags
(802.1ad + 802.1Q); 1.5 % of IPv6 packets carry a hop-by-hop or
destination-options header. Ports: ~70 well-known and registered server ports
weighted like ordinary traffic, ephemeral client ports (32768-60999) in both
directions, and some high-to-high (P2P-like) pairs: tens of thousands of
distinct ports in all. Sizes: ACK-sized, mid and MTU-sized segments.

Addresses are loopback only: 127.0.0.0/8 for IPv4, ::1 for IPv6.

Records are cut to SNAPLEN bytes (default 128, as a capture taken with
`tcpdump -s 128` or by the plugin itself); the wire length is kept in the
record header and the IP length fields. -s 0 writes whole frames.

Speed: a pool of distinct packets (a few hundred thousand) is built once from
a handful of templates with struct packing, then written in a shuffled cycle
with rising time stamps: 10-20 s for 5 million packets on 2 busy cores.

Prints one line on stdout: "packets N frames_rejected_by_live_filter M", M being
the frames that the tool's live kernel filter ("ip proto tcp or ip proto udp or
ip6 or vlan") rejects: untagged ARP and ICMP.
"""
import argparse
import itertools
import operator
import random
import struct
import sys

ETH_SRC = bytes.fromhex("020000000001")
ETH_DST = bytes.fromhex("020000000002")

SERVER_PORTS_TCP = [  # (port, weight)
    (443, 300), (80, 160), (22, 40), (25, 10), (587, 6), (993, 12), (995, 3),
    (143, 3), (110, 2), (21, 3), (3306, 12), (5432, 12), (6379, 10),
    (11211, 4), (8080, 25), (8443, 12), (9090, 4), (9200, 6), (5672, 4),
    (9092, 8), (2049, 6), (445, 6), (139, 2), (389, 3), (636, 2), (88, 2),
    (3389, 4), (5900, 2), (1433, 3), (1521, 2), (27017, 4), (2181, 2),
    (6443, 6), (10250, 4), (179, 1), (119, 1), (873, 2), (8000, 6),
    (8888, 3), (3000, 4), (5000, 3), (7000, 2), (50051, 4), (4369, 1),
    (23, 1), (53, 4), (631, 1), (1883, 2), (5222, 1), (6667, 1),
]
SERVER_PORTS_UDP = [
    (53, 300), (443, 120), (123, 40), (514, 20), (161, 15), (162, 3),
    (67, 5), (68, 5), (69, 1), (137, 3), (138, 2), (500, 4), (4500, 6),
    (1194, 6), (51820, 8), (5353, 10), (1900, 4), (3478, 6), (5060, 5),
    (2049, 4), (111, 2), (8125, 10), (8472, 6), (4789, 6), (6081, 2),
    (1812, 2), (1813, 2), (33434, 2), (27015, 2), (19302, 2),
]


def weighted(pairs):
    out = []
    for v, w in pairs:
        out.extend([v] * w)
    return out


TCP_SERVERS = weighted(SERVER_PORTS_TCP)
UDP_SERVERS = weighted(SERVER_PORTS_UDP)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(ethertype, vlan):
    """Ethernet header; vlan: 0 none, 1 one 802.1Q tag, 2 802.1ad + 802.1Q."""
    if vlan == 0:
        return ETH_DST + ETH_SRC + struct.pack("!H", ethertype)
    if vlan == 1:
        return ETH_DST + ETH_SRC + struct.pack("!HHH", 0x8100, 100, ethertype)
    return ETH_DST + ETH_SRC + struct.pack("!HHHHH", 0x88A8, 200, 0x8100, 10, ethertype)


def ipv4(proto, src, dst, payload_len, ident, frag=0, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, frag,
                    ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


V6_LOOP = b"\0" * 15 + b"\1"
SERVERS_V4 = [bytes((127, 0, 0, i)) for i in range(1, 32)]


def ipv6(nh, payload_len, flow=0):
    return struct.pack("!IHBB16s16s", 0x60000000 | flow, payload_len, nh, 64,
                       V6_LOOP, V6_LOOP)


def tcp(sport, dport, seq, flags, window=64240):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, seq ^ 0x5A5A5A5A,
                       0x50, flags, window, 0x1234, 0)


def udp(sport, dport, length):
    return struct.pack("!HHHH", sport, dport, length, 0x4321)


def pad(n):
    return b"\xab" * n


class Pool:
    """Builds the distinct packets: a list of (frame bytes, wire length)."""

    def __init__(self, rng, snaplen):
        self.rng = rng
        self.snap = snaplen
        self.groups = []  # each group: list of (caplen bytes, wirelen)
        self.ident = 1

    def add(self, frames):
        out = []
        for f in frames:
            wl = len(f)
            out.append((f[: self.snap] if self.snap else f, wl))
        self.groups.append(out)

    def ri(self, lo, hi):
        """randrange(lo, hi), without randrange's cost."""
        return lo + int(self.rng.random() * (hi - lo))

    def v4addrs(self):
        # clients anywhere in 127.0.0.0/8 (last octet odd), servers 127.0.0.1-31
        client = b"\x7f" + (self.rng.getrandbits(24) | 1).to_bytes(3, "big")
        return client, SERVERS_V4[self.ri(0, 31)]

    def vlan(self):
        x = self.rng.random()
        return 2 if x < 0.01 else 1 if x < 0.06 else 0

    def client_port(self):
        return self.ri(32768, 61000)

    def tcp_len(self):
        x = self.rng.random()
        if x < 0.45:
            return 0
        if x < 0.65:
            return self.ri(1, 200)
        if x < 0.75:
            return self.ri(200, 1000)
        return -1  # full MSS

    def tcp_packet(self, v6):
        r = self.rng
        x = r.random()
        if x < 0.88:
            sp = r.choice(TCP_SERVERS)
            cp = self.client_port()
        else:  # high ports both sides
            sp = self.ri(1024, 65536)
            cp = self.ri(1024, 65536)
        to_server = r.random() < 0.5
        sport, dport = (cp, sp) if to_server else (sp, cp)
        n = self.tcp_len()
        flags = 0x10 if n == 0 else 0x18
        if r.random() < 0.02:
            flags = r.choice((0x02, 0x12, 0x11, 0x04))
            n = 0
        v = self.vlan()
        if v6:
            if n < 0:
                n = 1500 - 40 - 20
            seg = tcp(sport, dport, r.getrandbits(32), flags) + pad(n)
            if r.random() < 0.015:
                return eth(0x86DD, v) + ipv6(60, 8 + len(seg)) + bytes((6, 0)) + b"\1\4\0\0\0\0" + seg
            return eth(0x86DD, v) + ipv6(6, len(seg)) + seg
        if n < 0:
            n = 1500 - 20 - 20
        c, s = self.v4addrs()
        src, dst = (c, s) if to_server else (s, c)
        seg = tcp(sport, dport, r.getrandbits(32), flags) + pad(n)
        self.ident = (self.ident + 1) & 0xFFFF
        return eth(0x0800, v) + ipv4(6, src, dst, len(seg), self.ident, 0x4000) + seg

    def udp_len(self, port):
        r = self.rng
        if port == 53 or port == 5353:
            return self.ri(30, 300)
        if port == 123:
            return 48
        if port == 443:
            return self.ri(1200, 1350) if r.random() < 0.6 else self.ri(30, 100)
        if port in (4789, 8472, 6081, 4500, 51820, 1194):
            return self.ri(80, 1400)
        if port == 8125:
            return self.ri(20, 200)
        return self.ri(20, 600)

    def udp_packet(self, v6):
        r = self.rng
        if r.random() < 0.9:
            sp = r.choice(UDP_SERVERS)
            cp = self.client_port()
        else:
            sp = self.ri(1024, 65536)
            cp = self.ri(1024, 65536)
        to_server = r.random() < 0.5
        sport, dport = (cp, sp) if to_server else (sp, cp)
        n = self.udp_len(sp)
        v = self.vlan()
        dgram = udp(sport, dport, 8 + n) + pad(n)
        if v6:
            return eth(0x86DD, v) + ipv6(17, len(dgram)) + dgram
        c, s = self.v4addrs()
        src, dst = (c, s) if to_server else (s, c)
        self.ident = (self.ident + 1) & 0xFFFF
        return eth(0x0800, v) + ipv4(17, src, dst, len(dgram), self.ident) + dgram

    def udp_fragmented(self, v6):
        """A big UDP datagram (DNS over EDNS, NFS, syslog) in 2 or 3 fragments."""
        r = self.rng
        sp = r.choice((53, 2049, 514, 4789, 161))
        cp = self.client_port()
        sport, dport = (sp, cp) if r.random() < 0.7 else (cp, sp)
        n = self.ri(1600, 4000)
        v = self.vlan()
        dgram = udp(sport, dport, 8 + n) + pad(n)
        frames = []
        if v6:
            ident = r.getrandbits(32)
            step = 1448 - 8  # multiple of 8 after the 8-octet fragment header
            step -= step % 8
            off = 0
            while off < len(dgram):
                chunk = dgram[off:off + step]
                more = 1 if off + step < len(dgram) else 0
                fh = struct.pack("!BBHI", 17, 0, off | more, ident)
                frames.append(eth(0x86DD, v) + ipv6(44, 8 + len(chunk)) + fh + chunk)
                off += step
            return frames
        c, s = self.v4addrs()
        src, dst = (s, c) if sport == sp else (c, s)
        self.ident = (self.ident + 1) & 0xFFFF
        step = 1480
        off = 0
        while off < len(dgram):
            chunk = dgram[off:off + step]
            more = 0x2000 if off + step < len(dgram) else 0
            frames.append(eth(0x0800, v) + ipv4(17, src, dst, len(chunk), self.ident,
                                                more | (off // 8)) + chunk)
            off += step
        return frames

    def icmp(self, v6):
        r = self.rng
        v = self.vlan()
        body = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, r.getrandbits(16), r.getrandbits(16)) + pad(56)
        if v6:
            return eth(0x86DD, v) + ipv6(58, len(body)) + body
        c, s = self.v4addrs()
        self.ident = (self.ident + 1) & 0xFFFF
        return eth(0x0800, v) + ipv4(1, c, s, len(body), self.ident) + body

    def arp(self):
        c, s = self.v4addrs()
        body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, ETH_SRC, c, b"\0" * 6, s)
        return eth(0x0806, 0) + body + pad(18)

    def build(self, npackets):
        r = self.rng
        count = 0
        while count < npackets:
            x = r.random()
            v6 = r.random() < 0.335
            if x < 0.003:
                self.add([self.arp()])
            elif x < 0.023:
                self.add([self.icmp(v6)])
            elif x < 0.025:
                self.add(self.udp_fragmented(v6))
            elif x < 0.235:
                self.add([self.udp_packet(v6)])
            else:
                self.add([self.tcp_packet(v6)])
            count += len(self.groups[-1])
        r.shuffle(self.groups)
        flat = [f for g in self.groups for f in g]
        return flat


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("-n", "--packets", type=int, default=5_000_000)
    ap.add_argument("-s", "--snaplen", type=int, default=128)
    ap.add_argument("--pool", type=int, default=262_144,
                    help="distinct packets before the cycle repeats")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    pool = Pool(rng, a.snaplen)
    frames = pool.build(min(a.pool, a.packets))
    # Precompute per-frame header tails (caplen, wirelen) and the bytes.
    tails = [struct.pack("<II", len(f), wl) + f for f, wl in frames]

    snap = a.snaplen if a.snaplen else 262144
    # Time stamps: 3 to 10 us apart (about 150 kpps), rising through cycles.
    # Built with map() so that the per-packet work stays in C.
    P = len(tails)
    cum = list(itertools.accumulate(3 + (i & 7) for i in range(P)))
    cycle_us = cum[-1]
    t0 = 1_700_000_000 * 1_000_000
    pack_ts = struct.Struct("<II").pack
    M = 1_000_000
    written = 0
    cycle = 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, 1))
        while written < a.packets:
            n = min(P, a.packets - written)
            base = t0 + cycle * cycle_us
            ts = list(map(base.__add__, cum[:n]))
            hdrs = map(pack_ts, map(operator.floordiv, ts, itertools.repeat(M, n)),
                       map(operator.mod, ts, itertools.repeat(M, n)))
            f.write(b"".join(itertools.chain.from_iterable(zip(hdrs, tails[:n]))))
            written += n
            cycle += 1

    # Frames the live kernel filter ("ip proto tcp or ip proto udp or ip6 or
    # vlan") rejects: untagged ARP and ICMPv4, counted over what was written.
    full, rest = divmod(a.packets, P)
    rej = 0
    if full or rest:
        def rejected(fr):
            f = fr[0]
            et = f[12:14]
            if et == b"\x08\x06":
                return 1
            return 1 if et == b"\x08\x00" and f[23] not in (6, 17) else 0
        per = [rejected(fr) for fr in frames]
        rej = full * sum(per) + sum(per[:rest])
    print("packets %d frames_rejected_by_live_filter %d" % (a.packets, rej))
    return 0


if __name__ == "__main__":
    sys.exit(main())
