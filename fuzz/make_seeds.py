#!/usr/bin/env python3
"""Writes the packet seed corpora fuzz/seeds/packet_<linktype>/ (standard
library only).

Frames come from tests/data/*.pcap (Ethernet): up to two of every kind found
(VLAN tags, IPv4/IPv6, protocol, extension headers, fragments, non-IP), whole
fragment sequences, and a run of consecutive frames, each frame cut to 200
bytes (every header is kept, as the plugin's SnapLen does); plus synthesized
frames for what the captures lack (IPv6 routing / destination options / AH /
mobility headers, too many headers or tags, truncations, IPv4 options). The
other link types get the same frames re-framed: raw IP (Ethernet header and
tags stripped), Linux cooked v1 (16-byte header) and v2 (20-byte header), and
BSD loopback (4-byte address family, host order, some in network order).

Seed file format (fuzz/fuzz_packet.c): frames as
    uint16 length (big endian) | uint8 seconds since the previous frame | bytes

Usage: fuzz/make_seeds.py [REPO_DIR]   (default: this file's parent's parent)
"""
import hashlib
import os
import struct
import sys

REPO = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "tests", "data")
OUT = os.path.join(REPO, "fuzz", "seeds")

VLAN_TYPES = (0x8100, 0x88A8, 0x9100)


def read_pcap(path):
    """(ts_seconds, frame bytes) of a classic pcap file, either byte order."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap file" % path)
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError("%s: link type %d, expected Ethernet" % (path, linktype))
    off = 24
    frames = []
    while off + 16 <= len(data):
        ts, _us, caplen, _len = struct.unpack(e + "IIII", data[off:off + 16])
        frames.append((ts, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return frames


def eth_split(frame):
    """(vlan tag bytes, final ethertype, payload) of an Ethernet frame."""
    et = struct.unpack(">H", frame[12:14])[0]
    p = frame[14:]
    tags = b""
    while et in VLAN_TYPES and len(p) >= 4:
        tags += struct.pack(">H", et) + p[:2]
        et = struct.unpack(">H", p[2:4])[0]
        p = p[4:]
    return tags, et, p


def classify(frame):
    tags, et, p = eth_split(frame)
    ntags = len(tags) // 4
    if et == 0x0800:
        if len(p) < 20:
            return "t%d-v4-short" % ntags
        fo = struct.unpack(">H", p[6:8])[0]
        frag = "nonfirst" if fo & 0x1FFF else ("first" if fo & 0x2000 else "whole")
        opts = "-opts" if (p[0] & 15) > 5 else ""
        return "t%d-v4-p%d-%s%s" % (ntags, p[9], frag, opts)
    if et == 0x86DD:
        if len(p) < 40:
            return "t%d-v6-short" % ntags
        nh, off, chain = p[6], 40, []
        for _ in range(10):
            chain.append(str(nh))
            if nh not in (0, 43, 44, 51, 60, 135) or len(p) < off + 8:
                break
            if nh == 44:
                fo = struct.unpack(">H", p[off + 2:off + 4])[0]
                chain.append("nonfirst" if fo & 0xFFF8 else "first")
                nh, off = p[off], off + 8
            elif nh == 51:
                nh, off = p[off], off + (p[off + 1] + 2) * 4
            else:
                nh, off = p[off], off + (p[off + 1] + 1) * 8
        return "t%d-v6-%s" % (ntags, "-".join(chain))
    return "t%d-et%04x" % (ntags, et)


def frag_key(frame):
    """Identifies a fragmented datagram, or None."""
    _tags, et, p = eth_split(frame)
    if et == 0x0800 and len(p) >= 20:
        fo = struct.unpack(">H", p[6:8])[0]
        if fo & 0x3FFF:
            return ("4", p[4:6], p[9], p[12:20])
    if et == 0x86DD and len(p) >= 48 and p[6] == 44:
        return ("6", p[44:48], p[8:40])
    return None


# --- synthesized packets (IP level) --------------------------------------

def ipv4(proto, payload, ident=1, frag=0, ihl=5, total=None):
    opts = b"\x01" * ((ihl - 5) * 4)
    tl = total if total is not None else 20 + len(opts) + len(payload)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, tl, ident, frag, 64,
                      proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return hdr + opts + payload


def ipv6(nh, payload, plen=None):
    pl = plen if plen is not None else len(payload)
    return (struct.pack(">IHBB", 0x60000000, pl, nh, 64) +
            bytes(15) + b"\x01" + bytes(15) + b"\x02" + payload)


def tcp(sport, dport):
    return struct.pack(">HHIIHHHH", sport, dport, 1, 0, 0x5002, 65535, 0, 0)


def udp(sport, dport, body=b"hello"):
    return struct.pack(">HHHH", sport, dport, 8 + len(body), 0) + body


def ext(nh, units=0):
    """A generic extension header (hop-by-hop, routing, dest. options,
    mobility): next header, length in 8-octet units minus 1."""
    return bytes([nh, units]) + bytes(6 + units * 8)


def synthetic_ip():
    """(name, [(dt, ip packet bytes)]) sequences."""
    s = []
    s.append(("syn-v6-hop-rt-dst-tcp",
              [(0, ipv6(0, ext(43) + ext(60, 1) + ext(6) + tcp(40000, 22)))]))
    s.append(("syn-v6-ah-udp",
              [(0, ipv6(51, bytes([17, 4]) + bytes(22) + udp(53, 53)))]))
    s.append(("syn-v6-mobility-none", [(0, ipv6(135, ext(59)))]))
    many = b"".join(ext(0) for _ in range(8)) + ext(6) + tcp(1, 2)
    s.append(("syn-v6-too-many-ext", [(0, ipv6(0, many))]))
    s.append(("syn-v6-ext-beyond-payload",
              [(0, ipv6(0, ext(6, 4) + tcp(80, 8080), plen=16))]))
    s.append(("syn-v6-plen-short", [(0, ipv6(6, tcp(443, 5555), plen=2))]))
    s.append(("syn-v6-cut", [(0, ipv6(17, udp(123, 123))[:30])]))
    s.append(("syn-v4-options-tcp", [(0, ipv4(6, tcp(25, 61000), ihl=7))]))
    s.append(("syn-v4-total-short", [(0, ipv4(17, udp(53, 1053), total=22))]))
    s.append(("syn-v4-total-lt-ihl", [(0, ipv4(6, tcp(1, 2), total=12))]))
    s.append(("syn-v4-ihl-4", [(0, ipv4(6, tcp(1, 2), ihl=4))]))
    s.append(("syn-v4-cut", [(0, ipv4(6, tcp(80, 80))[:22])]))
    s.append(("syn-v4-same-port", [(0, ipv4(17, udp(514, 514)))]))
    s.append(("syn-v4-icmp", [(0, ipv4(1, b"\x08\x00" + bytes(30)))]))
    first = ipv4(17, udp(5000, 53, bytes(32)), ident=77, frag=0x2000)
    mid = ipv4(17, bytes(40), ident=77, frag=0x2000 | 5)
    last = ipv4(17, bytes(16), ident=77, frag=10)
    s.append(("syn-v4-frag-seq", [(0, first), (0, mid), (1, last)]))
    s.append(("syn-v4-frag-expired", [(0, first), (200, mid), (0, last)]))
    s.append(("syn-v4-frag-orphan", [(0, mid), (0, last), (0, first)]))
    f6 = lambda off, more, body: ipv6(44, bytes([17, 0]) + struct.pack(
        ">HI", (off << 3) | more, 0xABCD) + body)
    s.append(("syn-v6-frag-seq", [(0, f6(0, 1, udp(9999, 7, bytes(24)))),
                                  (0, f6(4, 1, bytes(32))),
                                  (2, f6(8, 0, bytes(8)))]))
    s.append(("syn-v6-frag-orphan", [(0, f6(4, 0, bytes(32)))]))
    many_frags = []
    for i in range(24):  # more datagrams than the fuzzer's 16 slots
        many_frags.append((0, ipv4(6, tcp(1000 + i, 80), ident=i, frag=0x2000)))
    for i in range(24):
        many_frags.append((0, ipv4(6, bytes(40), ident=i, frag=3)))
    s.append(("syn-v4-frag-table-full", many_frags))
    return s


# --- link-layer framing --------------------------------------------------

MAC = bytes([2, 0, 0, 0, 0, 1])


def to_en10mb(tags, et, payload):
    return MAC + bytes([2, 0, 0, 0, 0, 2]) + tags + struct.pack(">H", et) + payload


def outer_type(tags, et):
    """Ethertype of the first header after the link header, and the bytes
    following it (tags kept, as in the Ethernet frame)."""
    if tags:
        return struct.unpack(">H", tags[:2])[0], tags[2:]
    return et, b""


def to_sll(tags, et, payload):
    t, rest = outer_type(tags, et)
    if tags:  # the tag's TCI, then the inner types, as on the wire
        body = rest + struct.pack(">H", et) + payload
    else:
        body = payload
    return struct.pack(">HHH8sH", 0, 1, 6, MAC + b"\0\0", t) + body


def to_sll2(tags, et, payload):
    t, rest = outer_type(tags, et)
    body = (rest + struct.pack(">H", et) + payload) if tags else payload
    return struct.pack(">HHIHBB8s", t, 0, 2, 1, 0, 6, MAC + b"\0\0") + body


def to_raw(tags, et, payload):
    return payload


NULL_V6_FAMILIES = (10, 24, 28, 30)


def to_null(tags, et, payload, n=[0]):
    n[0] += 1
    if et == 0x0800:
        fam = 2
    elif et == 0x86DD:
        fam = NULL_V6_FAMILIES[n[0] % len(NULL_V6_FAMILIES)]
    else:
        fam = 7
    # Mostly host (little-endian) order, every fifth frame network order.
    hdr = struct.pack(">I" if n[0] % 5 == 0 else "<I", fam)
    return hdr + payload


LINKS = {
    "en10mb": to_en10mb,
    "linux_sll": to_sll,
    "linux_sll2": to_sll2,
    "raw": to_raw,
    "null": to_null,
}


SNAP = 200  # bytes kept per frame: every header, as the plugin's SnapLen does


def record(dt, frame):
    frame = frame[:SNAP]
    return struct.pack(">HB", len(frame), max(0, min(255, dt))) + frame


def write(dirname, name, content, written):
    digest = hashlib.sha1(content).hexdigest()[:10]
    if digest in written:
        return
    written.add(digest)
    with open(os.path.join(dirname, "%s-%s" % (name, digest)), "wb") as f:
        f.write(content)


def main():
    pcaps = sorted(p for p in os.listdir(DATA) if p.endswith(".pcap"))
    # Sequences of (dt, tags, ethertype, payload) per seed name.
    seqs = []
    for pc in pcaps:
        frames = read_pcap(os.path.join(DATA, pc))
        base = pc[:-5]
        per_class = {}
        for ts, fr in frames:
            c = classify(fr)
            if per_class.get(c, 0) < 2:
                per_class[c] = per_class.get(c, 0) + 1
                seqs.append(("%s-%s" % (base, c), [(0, fr)]))
        # Whole fragment sequences (first fragment and its followers).
        groups = {}
        for ts, fr in frames:
            k = frag_key(fr)
            if k is not None:
                groups.setdefault(k, []).append((ts, fr))
        for i, (k, g) in enumerate(sorted(groups.items(), key=lambda kv: kv[1][0][0])):
            if i >= 4:
                break
            seq, prev = [], g[0][0]
            for ts, fr in g:
                seq.append((ts - prev, fr))
                prev = ts
            seqs.append(("%s-fragseq-v%s" % (base, k[0]), seq))
        # A run of consecutive frames, as the capture saw them.
        run, prev = [], frames[0][0]
        for ts, fr in frames[:16]:
            run.append((ts - prev, fr))
            prev = ts
        seqs.append(("%s-run16" % base, run))

    split = []
    for name, seq in seqs:
        split.append((name, [(dt,) + eth_split(fr) for dt, fr in seq]))
    for name, seq in synthetic_ip():
        out = []
        for dt, pkt in seq:
            et = 0x86DD if pkt[0] >> 4 == 6 else 0x0800
            out.append((dt, b"", et, pkt))
        split.append((name, out))
    # Ethernet-only: tags beyond what the decoder walks, a cut tag, QinQ.
    v4 = ipv4(6, tcp(2222, 22))
    eth_only = [
        ("syn-vlan3-qinq", [(0, b"\x88\xa8\x00\x01\x91\x00\x00\x02\x81\x00\x00\x03", 0x0800, v4)]),
        ("syn-vlan5-too-many", [(0, b"\x81\x00\x00\x01" * 5, 0x0800, v4)]),
        ("syn-arp", [(0, b"", 0x0806, bytes(28))]),
    ]

    for link, conv in LINKS.items():
        d = os.path.join(OUT, "packet_" + link)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        written = set()
        for name, seq in split + eth_only:
            if link == "raw" or link == "null":
                seq = [(dt, b"", et, p) for dt, _t, et, p in seq]
            content = b"".join(record(dt, conv(t, et, p)) for dt, t, et, p in seq)
            write(d, name, content, written)
        # Headers cut short.
        write(d, "syn-cut-header", record(0, conv(b"", 0x0800, v4)[:3]), written)
        print("%s: %d seeds" % (d, len(written)))


if __name__ == "__main__":
    main()
