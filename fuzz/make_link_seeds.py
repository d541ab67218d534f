#!/usr/bin/env python3
"""Writes the crafted captures' Ethernet frames into fuzz/seeds/packet_en10mb/
and the seed corpus of the fuzz_packet_links harness
(fuzz/seeds/packet_links/) from the crafted link-type captures of
tests/integration/crafted.py: per capture, one seed per frame, one with all
its frames, and one with every frame cut in half (headers cut off).

Seed file format (fuzz/fuzz_packet.c, built with FUZZ_DLT=-1): one byte, the
index of the link type in link_types[], then frames as
    uint16 length (big endian) | uint8 seconds since the previous frame | bytes

Usage: fuzz/make_link_seeds.py"""
import hashlib
import os
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(FUZZ), "tests", "integration"))
import crafted  # noqa: E402

# index in fuzz_packet.c's link_types[] -> crafted captures
LINKS = {
    0: ["link-slip"], 1: ["link-ppp"], 2: ["link-ppp-serial", "link-ppp-serial-cisco"],
    3: ["link-pppoe"], 4: ["link-c-hdlc"], 5: ["link-ieee802-11"], 6: ["link-frelay"],
    8: ["link-prism"], 9: ["link-radiotap"], 10: ["link-avs"], 13: ["link-nflog"],
    14: ["link-ipv4"], 15: ["link-ipv6"],
}


def seed(frames):
    return b"".join(struct.pack(">HB", len(f), 1) + f for f in frames)


def ethernet_seeds():
    """The crafted Ethernet captures' frames into fuzz/seeds/packet_en10mb/
    (which fuzz_ebpf_diff shares): one seed per capture, its frames in
    order, each cut to 200 bytes as the other seeds are."""
    out = os.path.join(FUZZ, "seeds", "packet_en10mb")
    for name, fn in sorted(crafted.CAPTURES.items()):
        linktype, frames = fn()
        if linktype != crafted.DLT_EN10MB:
            continue
        s = seed([f[:200] for f in frames])
        with open(os.path.join(out, "crafted-%s-%s" % (name, hashlib.sha1(s).hexdigest()[:10])),
                  "wb") as f:
            f.write(s)


def main():
    ethernet_seeds()
    out = os.path.join(FUZZ, "seeds", "packet_links")
    os.makedirs(out, exist_ok=True)
    for index, caps in LINKS.items():
        for cap in caps:
            _, frames = crafted.CAPTURES[cap]()
            seeds = [seed([f]) for f in frames] + [seed(frames),
                                                   seed([f[:len(f) // 2] for f in frames])]
            for s in seeds:
                s = bytes([index]) + s
                name = "%s-%s" % (cap, hashlib.sha1(s).hexdigest()[:10])
                with open(os.path.join(out, name), "wb") as f:
                    f.write(s)


if __name__ == "__main__":
    main()
