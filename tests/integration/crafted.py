"""Crafted captures for the counting rules of README "How packets are
counted": frames built byte by byte (no scapy on a fresh Debian machine),
written as classic pcap files. Each capture is a function returning
(link type, [frames]); `python3 crafted.py DIR` writes them all to DIR as
NAME.pcap (tests/data/crafted/ holds the output, checked against tshark by
test_tshark_oracle.py)."""
import os
import struct
import sys

DLT_EN10MB = 1
DLT_RAW = 101  # LINKTYPE_RAW


def pcap_bytes(linktype, frames, snaplen=65535, wire=None):
    """A classic pcap file; `wire[i]` overrides frame i's original length."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for i, f in enumerate(frames):
        orig = wire[i] if wire and i in wire else len(f)
        out.append(struct.pack("<IIII", 1700000000 + i, 0, len(f), orig))
        out.append(f)
    return b"".join(out)


def write_pcap(path, linktype, frames, **kw):
    with open(path, "wb") as f:
        f.write(pcap_bytes(linktype, frames, **kw))


def eth(ethertype, payload, tags=()):
    """Ethernet II; `tags` are (tpid, vid) VLAN tags, outermost first."""
    b = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in tags:
        b += struct.pack(">HH", tpid, vid)
    return b + struct.pack(">H", ethertype) + payload


def ipv4(proto, payload, ident=1, frag=0, total=None, src=(10, 0, 0, 1), dst=(10, 0, 0, 2)):
    tl = 20 + len(payload) if total is None else total
    h = struct.pack(">BBHHHBBH4B4B", 0x45, 0, tl, ident, frag, 64, proto, 0, *src, *dst)
    return h + payload


def ipv6(nh, payload, plen=None, src=1, dst=2):
    pl = len(payload) if plen is None else plen
    h = struct.pack(">IHBB", 0x60000000, pl, nh, 64)
    h += b"\xfd" + b"\x00" * 14 + bytes([src]) + b"\xfd" + b"\x00" * 14 + bytes([dst])
    return h + payload


def ext(nh, body=b""):
    """An IPv6 extension header in 8-octet units (hop-by-hop, routing,
    destination options): next header, length, body padded with a PadN."""
    n = 2 + len(body)
    units = (n + 7) // 8
    pad = units * 8 - n
    padding = b"" if pad == 0 else (b"\x00" if pad == 1 else bytes([1, pad - 2]) + b"\x00" * (pad - 2))
    return bytes([nh, units - 1]) + body + padding


def frag6(nh, offset, more, ident):
    return struct.pack(">BBHI", nh, 0, (offset << 3) | (1 if more else 0), ident)


def udp(sport, dport, data=b""):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, data=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 1024, 0, 0) + data


def icmp6_echo(data=b""):
    return struct.pack(">BBHHH", 128, 0, 0, 1, 1) + data


# --- the captures -------------------------------------------------------------

def v6_frag_other_protocols():
    """An ICMPv6 echo in two fragments (the later one must be "not TCP/UDP",
    not a fragment without its first), a UDP datagram in two fragments
    (counted for udp/53), an orphan later fragment (unattributed)."""
    data = bytes(range(256)) * 4
    first = icmp6_echo(data[:48 - 8])
    frames = [
        eth(0x86DD, ipv6(44, frag6(58, 0, True, 0x1001) + first)),
        eth(0x86DD, ipv6(44, frag6(58, 6, False, 0x1001) + data[:64])),
        eth(0x86DD, ipv6(44, frag6(17, 0, True, 0x1002) + udp(5353, 53, data[:40]))),
        eth(0x86DD, ipv6(44, frag6(17, 6, False, 0x1002) + data[:100])),
        eth(0x86DD, ipv6(44, frag6(17, 6, False, 0x1003) + data[:20])),
    ]
    return DLT_EN10MB, frames


def v6_ext_headers_7_8_9():
    """UDP to port 53 after 7, 8 and 9 destination-options headers: 7 and 8
    are counted, 9 is malformed (at most 8 are walked)."""
    frames = []
    for count in (7, 8, 9):
        chain = b""
        for i in range(count):
            chain += ext(17 if i == count - 1 else 60)
        frames.append(eth(0x86DD, ipv6(60, chain + udp(1000 + count, 53, b"x" * 10))))
    # and TCP after 8 (hop-by-hop first, as the RFC asks)
    chain = ext(60)
    for i in range(6):
        chain += ext(60)
    chain += ext(6)
    frames.append(eth(0x86DD, ipv6(0, chain + tcp(40000, 80))))
    return DLT_EN10MB, frames


CAPTURES = {
    "v6-frag-other-protocols": v6_frag_other_protocols,
    "v6-ext-headers-7-8-9": v6_ext_headers_7_8_9,
}


def write_all(outdir):
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name, fn in CAPTURES.items():
        linktype, frames = fn()
        path = os.path.join(outdir, name + ".pcap")
        write_pcap(path, linktype, frames)
        paths[name] = path
    return paths


if __name__ == "__main__":
    for p in write_all(sys.argv[1] if len(sys.argv) > 1 else ".").values():
        print(p)
