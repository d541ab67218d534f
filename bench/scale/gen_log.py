#!/usr/bin/env python3
"""Generates a large iptraf-ng 1.2 "TCP/UDP service monitor" log with known totals.

    bench/scale/gen_log.py [--size BYTES | --blocks N] [--ports N] [--interval S]
                           [--start EPOCH] [--seed N] [--restart-at BLOCK]... OUT.log

The log is what `iptraf-ng -s eth0 -B` writes with a log interval of S seconds
(default 300): a `started` line, then one block every S + 1 s (iptraf-ng 1.2.x
writes one second late), each block listing every entry seen so far in order of
first appearance, with cumulative 64-bit counters and the three rate columns
iptraf-ng 1.2 prints (`,    167.42 kbps`: the entry's average rate since it
appeared, `%9.2f`, as iptraf-ng computes it: bytes*8/1000 integer-divided, over
the entry's age in seconds).

Entries: N TCP ports and N UDP ports (default 1000 each, so 2000 lines per
block): mostly ports 1-1023 (iptraf's default set) plus configured higher
ports, appearing over the first 20 blocks. Traffic per entry: a heavy-tailed
mean rate (log-uniform, 10 B/s .. 20 MB/s, a few busy services and many quiet
ones), its own average packet size and in/out split, a random activity factor
per block, and idle blocks for quiet ports. Busy ports pass 2^32 bytes.

--restart-at K (repeatable) ends the iptraf run after block K (a final block,
the `stopped` line) and starts a new one (`started`, counters from zero, entries
appearing again), as a restart of iptraf-ng does.

Times are written with ctime(3) in UTC: read the log with TZ=UTC.

Besides OUT.log it writes:
  OUT.log.expected.tsv  the totals the plugin must report at the end (runs
                        continued across restarts), in the exact format of
                        `iptraf-services-count -l` (proto port dir packets bytes,
                        rows with packets > 0, sorted by proto, port, in/out);
  OUT.log.lastseen.tsv  the same for the last values logged for each entry,
                        whatever the run (what a reader that ignores restarts,
                        like the original recipe, ends up with); equal to
                        expected.tsv without restarts;
  OUT.log.next-block    the block iptraf would write next (not in OUT.log), and
  OUT.log.next-expected.tsv  the totals once it is appended;
  OUT.log.meta.json     parameters, size, blocks, first/last block time.

Speed: about 1 GB in 40 s of CPU (pure Python, one core).

The module also serves the soak test: IptrafLog produces blocks one at a time.
"""
import argparse
import json
import math
import os
import random
import sys
import time

TCP, UDP = 0, 1
PROTO_NAME = ("tcp", "udp")
PROTO_LOG = ("TCP", "UDP")

# Higher ports an administrator adds to iptraf's list (the original article
# suggests e.g. gnutella and xpilot).
EXTRA_PORTS = [1080, 1194, 1433, 1521, 1812, 1813, 1883, 2049, 2181, 3000,
               3128, 3306, 3389, 3478, 4369, 4500, 4789, 5000, 5060, 5222,
               5353, 5432, 5672, 5900, 6081, 6346, 6379, 6443, 6667, 7000,
               8000, 8080, 8125, 8443, 8472, 8888, 9090, 9092, 9200, 10250,
               11211, 15345, 19302, 27015, 27017, 33434, 50051, 51820]


def ctime(t):
    """ctime(3) of epoch t in UTC: 'Sun Nov  1 14:34:12 2009'."""
    return time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t))


class Entry:
    __slots__ = ("proto", "port", "label", "rate", "size_in", "size_out",
                 "share_in", "idle_p", "appear", "start", "ip", "ib", "op", "ob",
                 "base", "last_seen")

    def __init__(self, proto, port):
        self.proto = proto
        self.port = port
        self.label = "%s/%d: " % (PROTO_LOG[proto], port)
        self.base = [0, 0, 0, 0]  # previous runs' totals
        self.last_seen = None     # last logged values of an earlier run
        self.reset()

    def reset(self):
        self.start = None
        self.ip = self.ib = self.op = self.ob = 0


class IptrafLog:
    """An iptraf-ng service monitor: call started(t), then block(t) as often as
    wanted (t rising), restart(t) for a new run; text comes back as strings."""

    def __init__(self, nports=1000, seed=1, appear_blocks=20):
        self.rng = rng = random.Random(seed)
        entries = []
        for proto in (TCP, UDP):
            nextra = min(len(EXTRA_PORTS), max(0, nports // 20))
            low = rng.sample(range(1, 1024), min(1023, nports - nextra))
            high = rng.sample(EXTRA_PORTS, nextra)
            more = nports - len(low) - len(high)
            pool = [p for p in range(1024, 65536) if p not in set(high)]
            high += rng.sample(pool, more) if more > 0 else []
            for port in low + high:
                entries.append(Entry(proto, port))
        for e in entries:
            # log-uniform mean rate 10 B/s .. 20 MB/s
            e.rate = 10 ** rng.uniform(1.0, math.log10(20e6))
            e.size_in = rng.randint(40, 1500)
            e.size_out = rng.randint(40, 1500)
            e.share_in = rng.uniform(0.05, 0.95)
            e.idle_p = 0.6 if e.rate < 200 else (0.2 if e.rate < 5000 else 0.0)
        self.all_entries = entries
        self.appear_blocks = appear_blocks
        self.run_entries = []   # this run's entries, in order of first appearance
        self.run_block = 0      # blocks written in this run
        self.run_start = None
        self.last_t = None
        self.blocks = 0

    # --- lines -------------------------------------------------------------
    def started(self, t):
        self.run_start = t
        self.last_t = t
        self.run_block = 0
        self.run_entries = []
        order = self.all_entries[:]
        self.rng.shuffle(order)
        # 60 % appear in the first block, the rest over the next blocks.
        for i, e in enumerate(order):
            e.appear = 0 if i < 0.6 * len(order) else self.rng.randrange(1, self.appear_blocks)
        self.pending = sorted(order, key=lambda e: e.appear)
        return "%s; ******** TCP/UDP service monitor started ********\n" % ctime(t)

    def block(self, t):
        """One block generated at t (counts for the time since the last line)."""
        rng = self.rng
        gap = t - self.last_t
        while self.pending and self.pending[0].appear <= self.run_block:
            e = self.pending.pop(0)
            e.reset()
            # first packet somewhere in this interval, at least 1 s before
            e.start = self.last_t + rng.randint(0, max(0, gap - 1))
            self.run_entries.append(e)
        out = ["\n*** TCP/UDP traffic log, generated %s\n\n" % ctime(t)]
        app = out.append
        random_ = rng.random
        for e in self.run_entries:
            if e.idle_p and (e.ip or e.op) and random_() < e.idle_p:
                pass  # quiet this interval
            else:
                active = t - max(e.start, self.last_t)
                nbytes = e.rate * active * (0.2 + 1.6 * random_())
                pin = int(nbytes * e.share_in / e.size_in)
                pout = int(nbytes * (1.0 - e.share_in) / e.size_out)
                if pin == 0 and pout == 0:
                    pin = 1
                e.ip += pin
                e.ib += pin * e.size_in + (pin * 37 % 11)
                e.op += pout
                e.ob += pout * e.size_out + (pout * 53 % 7)
            age = t - e.start
            tot_b = e.ib + e.ob
            app("%s%d packets, %d bytes total, %9.2f kbps; "
                "%d packets, %d bytes incoming, %9.2f kbps; "
                "%d packets, %d bytes outgoing, %9.2f kbps\n\n"
                % (e.label, e.ip + e.op, tot_b, (tot_b * 8 // 1000) / age,
                   e.ip, e.ib, (e.ib * 8 // 1000) / age,
                   e.op, e.ob, (e.ob * 8 // 1000) / age))
        app("\nRunning time: %d seconds\n" % (t - self.run_start))
        self.last_t = t
        self.run_block += 1
        self.blocks += 1
        return "".join(out)

    def stopped(self, t):
        return "%s; ******** TCP/UDP service monitor stopped ********\n" % ctime(t)

    def restart(self, t_stop, t_start):
        """Final block + stopped line at t_stop, started line at t_start."""
        text = self.block(t_stop) + self.stopped(t_stop)
        for e in self.run_entries:
            e.last_seen = (e.ip, e.ib, e.op, e.ob)
            e.base[0] += e.ip
            e.base[1] += e.ib
            e.base[2] += e.op
            e.base[3] += e.ob
            e.reset()
        for e in self.all_entries:
            e.reset()
        return text + self.started(t_start)

    # --- what a reader must report ----------------------------------------
    def totals(self, continued=True):
        """{(proto_name, port): (in_p, in_b, out_p, out_b)}: continued across runs
        (the plugin's figures), or else the last values logged for each entry
        in whatever run (what a reader that ignores restarts keeps)."""
        res = {}
        current = set(id(e) for e in self.run_entries)
        for e in self.all_entries:
            if continued:
                b = e.base
                v = (b[0] + e.ip, b[1] + e.ib, b[2] + e.op, b[3] + e.ob)
            elif id(e) in current:
                v = (e.ip, e.ib, e.op, e.ob)
            else:
                v = e.last_seen or (0, 0, 0, 0)
            if any(v):
                res[(PROTO_NAME[e.proto], e.port)] = v
        return res


def table_text(totals):
    """The totals in `iptraf-services-count` output format."""
    out = ["proto\tport\tdir\tpackets\tbytes\n"]
    for (proto, port) in sorted(totals, key=lambda k: (k[0] != "tcp", k[1])):
        ip, ib, op, ob = totals[(proto, port)]
        if ip:
            out.append("%s\t%d\tin\t%d\t%d\n" % (proto, port, ip, ib))
        if op:
            out.append("%s\t%d\tout\t%d\t%d\n" % (proto, port, op, ob))
    return "".join(out)


def parse_table(text):
    """Tool-format text -> {(proto, port): [in_p, in_b, out_p, out_b]}."""
    res = {}
    lines = text.splitlines()
    if not lines or lines[0] != "proto\tport\tdir\tpackets\tbytes":
        raise ValueError("not a table: %r" % (lines[:1],))
    for line in lines[1:]:
        proto, port, d, p, b = line.split("\t")
        v = res.setdefault((proto, int(port)), [0, 0, 0, 0])
        k = 0 if d == "in" else 2
        v[k], v[k + 1] = int(p), int(b)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--size", type=float, default=float(1 << 30),
                   help="stop after the block that makes the file at least this "
                        "many bytes (default 1 GiB)")
    g.add_argument("--blocks", type=int, help="write exactly this many blocks")
    ap.add_argument("--ports", type=int, default=1000, help="ports per protocol (1000)")
    ap.add_argument("--interval", type=int, default=300, help="iptraf's log interval (300)")
    ap.add_argument("--start", type=int, default=1735689600,
                    help="epoch of the started line (default 2025-01-01 00:00 UTC)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--restart-at", type=int, action="append", default=[],
                    help="restart iptraf after this block number (1-based)")
    a = ap.parse_args()
    if os.path.abspath(a.out).startswith(os.path.abspath(os.path.join(
            os.path.dirname(__file__), "..", "..")) + os.sep):
        sys.exit("gen_log.py: write the log outside the repository (e.g. /var/tmp)")

    t0 = time.time()
    g = IptrafLog(nports=a.ports, seed=a.seed)
    gap = a.interval + 1
    t = a.start
    n = 0
    size = 0
    first_block_t = None
    restarts = sorted(set(a.restart_at))
    tmp = a.out + ".part"
    with open(tmp, "w", buffering=1 << 22) as f:
        size += f.write(g.started(t))
        while True:
            n += 1
            t += gap
            if first_block_t is None:
                first_block_t = t
            if n in restarts:
                size += f.write(g.restart(t, t + 7))
                t += 7
            else:
                size += f.write(g.block(t))
            if (a.blocks is not None and n >= a.blocks) or \
               (a.blocks is None and size >= a.size):
                break
    os.replace(tmp, a.out)
    with open(a.out + ".expected.tsv", "w") as f:
        f.write(table_text(g.totals(True)))
    with open(a.out + ".lastseen.tsv", "w") as f:
        f.write(table_text(g.totals(False)))
    # The block iptraf would write next, kept aside: appending it measures
    # what one live block costs after the catch-up.
    with open(a.out + ".next-block", "w") as f:
        f.write(g.block(t + gap))
    with open(a.out + ".next-expected.tsv", "w") as f:
        f.write(table_text(g.totals(True)))
    meta = dict(path=a.out, bytes=os.path.getsize(a.out), blocks=n,
                ports_per_proto=a.ports, entries=len(g.all_entries),
                interval=a.interval, first_block_time=first_block_t,
                last_block_time=t, next_block_time=t + gap,
                restarts_after_blocks=restarts, seed=a.seed,
                start=a.start, generator_seconds=round(time.time() - t0, 1))
    with open(a.out + ".meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
