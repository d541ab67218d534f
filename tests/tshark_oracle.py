#!/usr/bin/env python3
"""A tshark oracle of README "How packets are counted", compared with
iptraf-services-count on a folder of captures.

    tests/tshark_oracle.py [--tool PATH] [--quiet] FILE_OR_DIR...

For every capture (*.pcap, *.pcapng, *.cap; directories walked), tshark
dissects each frame independently of the project's decoder (reassembly
off) and this script applies the rules: the outer IPv4/IPv6 header counts;
TCP/UDP right after it (IPv6 extension headers walked) counts for its ports,
IP bytes = IPv4 total length or IPv6 payload length + 40 (the jumbo option's
length for a jumbogram, the frame's for BIG TCP / GSO packets); a later fragment counts for the ports of its
datagram's first fragment seen before it, else as a fragment without its
first fragment; an IPv6 later fragment of a datagram whose first fragment
was not TCP/UDP is not TCP/UDP; an ICMP error quoting a TCP/UDP header is
not TCP/UDP; more than 4 VLAN tags, more than 8 IPv6 extension headers, an
IP length beyond the frame's wire length, or TCP/UDP whose ports tshark could not read is malformed. The
tool runs with -p 0-65535. Both tables must be equal row for row, and the
side totals (frames, not IP, fragments without their first fragment) equal.

Prints one line per capture (OK / DIFF / REFUSED / SKIP with the reason)
and a closing "N files: N exact, N different, N refused (link type), N
skipped"; exit status 1 when one differs.
Skipped: captures tshark cannot read, link types the tool refuses (named),
and link types tshark cannot dissect (DLT_SLIP), with the reason.
"""
import argparse
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = ["frame.len", "frame.protocols", "ip.len", "ip.proto", "ip.flags.mf", "ip.frag_offset",
          "ip.id", "ip.src", "ip.dst", "ipv6.plen", "ipv6.opt.jumbo", "ipv6.src", "ipv6.dst",
          "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "ipv6.fraghdr.ident", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport"]
# Pseudo-protocols tshark lists between the IP header and what it carries.
IPV6_EXT = {"ipv6.hopopts", "ipv6.routing", "ipv6.dstopts", "ipv6.fraghdr", "ipv6.shim6",
            "ipv6.mipv6", "ah"}
MAX_IPV6_EXT_HEADERS = 8
MAX_VLAN_TAGS = 4
LINK_HEADER = {"eth": 14, "sll": 16, "sll2": 20}


class Unverifiable(Exception):
    """A frame tshark cannot dissect as the rules read it."""


def tshark_frames(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-o", "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-E", "occurrence=f",
           "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "tshark failed")
    for line in r.stdout.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        yield dict(zip(FIELDS, vals))


def num(s):
    s = s.split(",")[0]
    return int(s, 0) if s else None


def oracle(path):
    """(table {(proto, port, dir): [packets, bytes]}, totals dict)."""
    table, frags = {}, {}
    tot = {"frames": 0, "not_ip": 0, "unattributed": 0}

    def count(proto, sport, dport, nbytes):
        for port, d in ((dport, "in"), (sport, "out")):
            v = table.setdefault((proto, port, d), [0, 0])
            v[0] += 1
            v[1] += nbytes

    for f in tshark_frames(path):
        tot["frames"] += 1
        chain = f["frame.protocols"].split(":")
        # the outer IP header: the first ip/ipv6 whose fields are there
        fam, at = None, None
        for i, p in enumerate(chain):
            if p == "ip" and f["ip.len"]:
                fam, at = 4, i
                break
            if p == "ipv6" and f["ipv6.plen"]:
                fam, at = 6, i
                break
        if fam is None:
            tot["not_ip"] += 1
            continue
        tags = sum(1 for p in chain[:at] if p in ("vlan", "ieee8021ad"))
        if tags > MAX_VLAN_TAGS:
            continue  # malformed
        # bytes of the IP packet on the wire, where the link header is known
        link = LINK_HEADER.get(chain[0])
        wire = num(f["frame.len"]) - link - 4 * tags if link is not None else None
        rest = chain[at + 1:]
        if fam == 6:
            walked = 0
            while rest and rest[0] in IPV6_EXT:
                rest, walked = rest[1:], walked + 1
            if walked > MAX_IPV6_EXT_HEADERS:
                continue  # malformed: more are not walked
        upper = rest[0] if rest else ""
        if fam == 4:
            nbytes = num(f["ip.len"])
            proto = num(f["ip.proto"])
            off = num(f["ip.frag_offset"]) or 0
            more = f["ip.flags.mf"] in ("1", "True")
            key = (4, f["ip.src"], f["ip.dst"], f["ip.id"], proto)
            if wire is not None and nbytes > wire:
                continue  # malformed: longer than the frame
            if proto not in (6, 17):
                continue  # not TCP/UDP
        else:
            plen = num(f["ipv6.plen"])
            if plen == 0 and f["ipv6.opt.jumbo"]:
                plen = num(f["ipv6.opt.jumbo"])
            elif plen == 0 and wire is not None and wire > 65535 + 40:
                plen = wire - 40  # BIG TCP without its hop-by-hop header
            nbytes = plen + 40
            if wire is not None and nbytes > wire:
                continue  # malformed: longer than the frame
            off = num(f["ipv6.fraghdr.offset"]) or 0
            more = f["ipv6.fraghdr.more"] in ("1", "True")
            key = (6, f["ipv6.src"], f["ipv6.dst"], f["ipv6.fraghdr.ident"])
        if off:
            got = frags.get(key)
            if got is None:
                tot["unattributed"] += 1
            elif got[0] is not None:
                count(*got, nbytes)
            continue
        if upper not in ("tcp", "udp"):
            if fam == 6 and more:
                frags[key] = (None,)
            continue
        sport, dport = num(f[upper + ".srcport"]), num(f[upper + ".dstport"])
        if (sport is None or dport is None) and fam == 6 and num(f["ipv6.plen"]) == 0:
            raise Unverifiable("IPv6 payload length 0 without a jumbo option: tshark reads "
                               "no %s header in it" % upper.upper())
        if sport is None or dport is None:
            continue  # malformed
        if more:
            frags[key] = (upper, sport, dport)
        count(upper, sport, dport, nbytes)
    return table, tot


SUMMARY = re.compile(r"^frames (\d+); not IP (\d+); .*fragments without their first fragment "
                     r"(\d+) packets", re.M)


def tool_counts(tool, path):
    r = subprocess.run([tool, "-p", "0-65535", "-r", path], capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise RuntimeError(r.stderr.strip())
    table = {}
    for line in r.stdout.splitlines()[1:]:
        proto, port, d, packets, nbytes = line.split("\t")
        table[(proto, int(port), d)] = [int(packets), int(nbytes)]
    m = SUMMARY.search(r.stderr)
    tot = {"frames": int(m.group(1)), "not_ip": int(m.group(2)), "unattributed": int(m.group(3))}
    return table, tot


def compare(tool, path):
    """("OK" | "DIFF" | "SKIP", text)."""
    try:
        t_table, t_tot = tool_counts(tool, path)
    except RuntimeError as e:
        text = str(e).splitlines()[-1] if str(e) else "the tool failed"
        return ("REFUSED" if "is not supported" in text else "SKIP"), text
    if open(path, "rb").read(24)[20:24] in (b"\x08\x00\x00\x00", b"\x00\x00\x00\x08"):
        return "SKIP", "link type SLIP: tshark has no dissector for it"
    try:
        o_table, o_tot = oracle(path)
    except RuntimeError as e:
        return "SKIP", "tshark: " + str(e)
    except Unverifiable as e:
        return "SKIP", str(e)
    diffs = []
    if o_tot != t_tot:
        diffs.append("totals: tshark %s, tool %s" % (o_tot, t_tot))
    for k in sorted(set(o_table) | set(t_table), key=str):
        if o_table.get(k) != t_table.get(k):
            diffs.append("%s/%d %s: tshark %s, tool %s" % (k[0], k[1], k[2], o_table.get(k),
                                                          t_table.get(k)))
    if diffs:
        return "DIFF", "; ".join(diffs[:6]) + (" (+%d)" % (len(diffs) - 6) if len(diffs) > 6 else "")
    return "OK", "%d frames, %d rows" % (t_tot["frames"], len(t_table))


def captures(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, files in os.walk(a):
                for n in sorted(files):
                    if n.endswith((".pcap", ".pcapng", ".cap")):
                        yield os.path.join(root, n)
        else:
            yield a


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", default=os.environ.get("ITS_TOOL") or
                    os.path.join(REPO, "iptraf-services-count"))
    ap.add_argument("--quiet", action="store_true", help="print only DIFF lines")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    n = {"OK": 0, "DIFF": 0, "SKIP": 0, "REFUSED": 0}
    for path in captures(a.paths):
        verdict, text = compare(a.tool, path)
        n[verdict] += 1
        if not a.quiet or verdict == "DIFF":
            print("%-4s %s: %s" % (verdict, path, text), flush=True)
    print("%d files: %d exact, %d different, %d refused (link type), %d skipped"
          % (sum(n.values()), n["OK"], n["DIFF"], n["REFUSED"], n["SKIP"]))
    return 1 if n["DIFF"] else 0


if __name__ == "__main__":
    sys.exit(main())
