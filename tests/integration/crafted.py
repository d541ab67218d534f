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


def rules():
    """The README's other rules, one frame each (link type Ethernet)."""
    u = udp(40003, 53, b"\x00" * 12)
    quoted = ipv4(17, u[:8], src=(10, 0, 0, 2), dst=(10, 0, 0, 1))
    frames = [
        # ICMP port unreachable quoting a UDP header: ICMP, not udp/53
        eth(0x0800, ipv4(1, b"\x03\x03\x00\x00\x00\x00\x00\x00" + quoted)),
        # ICMPv6 packet too big quoting a TCP header
        eth(0x86DD, ipv6(58, b"\x02\x00\x00\x00\x00\x00\x05\x00" +
                         ipv6(6, tcp(443, 40004)[:8], plen=1400))),
        # a later fragment before its first: unattributed; then the first
        eth(0x0800, ipv4(17, b"L" * 40, ident=77, frag=185)),
        eth(0x0800, ipv4(17, udp(40005, 123, b"F" * 40), ident=77, frag=0x2000)),
        # 4 VLAN tags (0x9100 outermost) are walked; 5 are malformed
        eth(0x0800, ipv4(6, tcp(40006, 22)),
            tags=[(0x9100, 10), (0x88A8, 11), (0x8100, 12), (0x8100, 13)]),
        eth(0x0800, ipv4(6, tcp(40007, 22)),
            tags=[(0x88A8, 10), (0x8100, 11), (0x8100, 12), (0x8100, 13), (0x8100, 14)]),
        # tunnels: the outer header counts (IP-in-IP: not TCP/UDP; VXLAN: udp/4789)
        eth(0x0800, ipv4(4, ipv4(6, tcp(40008, 80)))),
        eth(0x0800, ipv4(17, udp(40009, 4789, b"\x08\x00\x00\x00\x00\x00\x01\x00" +
                                 eth(0x0800, ipv4(6, tcp(40010, 80)))))),
        # an IPv4 total length beyond the frame (captured whole): malformed
        eth(0x0800, ipv4(6, tcp(40011, 25), total=400)),
    ]
    return DLT_EN10MB, frames


def gso():
    """Frames of more than 64 KiB captured with a 128-byte snapshot length
    (written by gso_pcap: each record's original length is the wire's)."""
    big = 150000
    v4 = eth(0x0800, ipv4(6, tcp(40012, 443), total=0))
    hbh = bytes([6, 0, 0xC2, 4]) + struct.pack(">I", big - 40 - 14)
    jumbo = eth(0x86DD, ipv6(0, hbh + tcp(40013, 443), plen=0))
    return DLT_EN10MB, [v4, jumbo], {0: big, 1: big}


def gso_ipv6_no_hop_by_hop():
    """IPv6 BIG TCP as recent kernels hand it to a capture: payload length
    0 and no hop-by-hop header (tshark reads no TCP header in it)."""
    bare = eth(0x86DD, ipv6(6, tcp(40014, 443), plen=0))
    return DLT_EN10MB, [bare], {0: 150000}


CAPTURES_WIRE = {"gso-big-tcp": gso, "gso-ipv6-no-hop-by-hop": gso_ipv6_no_hop_by_hop}


# --- link types ---------------------------------------------------------------

def inner_packets():
    """(ethertype, IP packet) of every link-type capture: IPv4 TCP to port
    80, IPv6 UDP to port 53, an IPv4 ICMP echo; plus ARP (not IP)."""
    return [
        (0x0800, ipv4(6, tcp(40001, 80, b"GET / HTTP/1.0\r\n\r\n"))),
        (0x86DD, ipv6(17, udp(40002, 514, b"<13>hello from a crafted capture"))),
        (0x0800, ipv4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"p" * 16)),
        (0x0806, bytes(28)),
    ]


def snap(ethertype):
    return b"\xaa\xaa\x03\x00\x00\x00" + struct.pack(">H", ethertype)


def wlan_data(payload, qos=False):
    """An 802.11 data frame from a station to its AP (to-DS)."""
    fc = bytes([0x88 if qos else 0x08, 0x01])
    h = fc + b"\x00\x00" + bytes(range(1, 7)) + bytes(range(7, 13)) + bytes(range(13, 19)) + b"\x10\x00"
    if qos:
        h += b"\x00\x00"
    return h + payload


def radiotap(frame):
    # version 0, length 12, present: flags + rate; flags 0, rate 2 (+pad)
    return struct.pack("<BBHI", 0, 0, 12, 0x00000006) + b"\x00\x02\x00\x00" + frame


def prism(frame):
    return struct.pack("<II", 0x41, 144) + bytes(136) + frame


def avs(frame):
    return struct.pack(">II", 0x80211001, 64) + bytes(56) + frame


def nflog(family, pkt):
    def tlv(t, v):
        n = 4 + len(v)
        return struct.pack("<HH", n, t) + v + b"\x00" * ((4 - n % 4) % 4)
    return bytes([family, 0]) + struct.pack(">H", 1) + tlv(1, struct.pack(">HBB", 0x0800, 3, 0)) + \
        tlv(10, b"prefix\x00") + tlv(9, pkt)


PPP_PROTO = {0x0800: 0x0021, 0x86DD: 0x0057, 0x0806: 0x8021}


def link_capture(linktype, wrap, kinds=(0x0800, 0x86DD, 0x0806)):
    frames = [wrap(t, p) for t, p in inner_packets() if t in kinds]
    return lambda: (linktype, [f for f in frames if f is not None])


def frelay_wrap(t, p):
    if t == 0x0800:
        return b"\x18\x41\x03\xcc" + p
    if t == 0x86DD:
        return b"\x18\x41\x03\x8e" + p
    return b"\x18\x41\x03\x00\x80\x00\x00\x00" + struct.pack(">H", t) + p  # SNAP


LINK_CAPTURES = {
    "link-ppp": link_capture(9, lambda t, p: b"\xff\x03" + struct.pack(">H", PPP_PROTO[t]) + p),
    "link-ppp-serial": link_capture(50, lambda t, p: b"\xff\x03" + struct.pack(">H", PPP_PROTO[t]) + p),
    "link-ppp-serial-cisco": link_capture(50, lambda t, p: b"\x0f\x00" + struct.pack(">H", t) + p),
    "link-c-hdlc": link_capture(104, lambda t, p: b"\x0f\x00" + struct.pack(">H", t) + p),
    "link-frelay": link_capture(107, frelay_wrap),
    "link-ieee802-11": link_capture(105, lambda t, p: wlan_data(snap(t) + p)),
    "link-radiotap": link_capture(127, lambda t, p: radiotap(wlan_data(snap(t) + p, qos=True))),
    "link-prism": link_capture(119, lambda t, p: prism(wlan_data(snap(t) + p))),
    "link-avs": link_capture(163, lambda t, p: avs(wlan_data(snap(t) + p))),
    "link-ipv4": link_capture(228, lambda t, p: p, kinds=(0x0800,)),
    "link-ipv6": link_capture(229, lambda t, p: p, kinds=(0x86DD,)),
    "link-nflog": link_capture(239, lambda t, p: nflog(2 if t == 0x0800 else 10, p),
                               kinds=(0x0800, 0x86DD)),
    "link-slip": link_capture(8, lambda t, p: b"\x00" + b"\x40" + bytes(14) + p,
                              kinds=(0x0800, 0x86DD)),
    "link-pppoe": link_capture(51, lambda t, p: b"\x11\x00\x00\x01" + struct.pack(">H", len(p) + 2)
                               + struct.pack(">H", PPP_PROTO[t]) + p),
}


CAPTURES = {
    "rules-icmp-vlan-tunnel-frag": rules,
    "v6-frag-other-protocols": v6_frag_other_protocols,
    "v6-ext-headers-7-8-9": v6_ext_headers_7_8_9,
}


CAPTURES.update(LINK_CAPTURES)


def write_all(outdir):
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name, fn in CAPTURES.items():
        linktype, frames = fn()
        path = os.path.join(outdir, name + ".pcap")
        write_pcap(path, linktype, frames)
        paths[name] = path
    for name, fn in CAPTURES_WIRE.items():
        linktype, frames, wire = fn()
        path = os.path.join(outdir, name + ".pcap")
        write_pcap(path, linktype, frames, snaplen=128, wire=wire)
        paths[name] = path
    return paths


if __name__ == "__main__":
    for p in write_all(sys.argv[1] if len(sys.argv) > 1 else ".").values():
        print(p)
