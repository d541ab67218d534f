#!/usr/bin/env python3
"""Generates an iptraf-ng 1.2.1 "TCP/UDP service monitor" log in its exact
format (the layout of tests/data/runA-after-rotation-then-runB.log, a genuine
one): blocks every INTERVAL seconds with cumulative per-port counters that
grow by known amounts, so tests can compute what each RRD must hold.

  iptraf_log_gen.py OUT --blocks N [--interval S] [--ports P] [--end-now |
                    --start EPOCH] [--restart-every K]

Timestamps are ctime(3) in the local time zone (TZ), as iptraf-ng writes.
Used by the importer's tests, bench/import and scripts/demo.
"""
import argparse
import time

# Port numbers used, in order: the well-known ones a server has, then more.
BASE_PORTS = [("tcp", 22), ("tcp", 80), ("tcp", 443), ("udp", 53), ("tcp", 25),
              ("udp", 123), ("tcp", 139), ("tcp", 445)]


def ports(n):
    out = list(BASE_PORTS[:n])
    p = 1000
    while len(out) < n:
        if ("tcp", p) not in out:
            out.append(("tcp" if p % 3 else "udp", p))
        p += 7
    return out


def increment(i, k):
    """What port number i gains in block k: (in_p, in_b, out_p, out_b)."""
    in_p = 3 + (i * 7 + k) % 11
    out_p = 2 + (i * 5 + k * 3) % 13
    return in_p, in_p * (60 + (i * 13) % 1400), out_p, out_p * (80 + (i * 29) % 1400)


def ctime(t):
    return time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(t))


def kbps(nbytes, secs):
    return "%9.2f kbps" % (nbytes * 8 / 1000.0 / max(secs, 1))


def blocks(start, n, interval, nports, restart_every=0):
    """Yields (kind, t, entries): kind "started" (entries None) or "block"
    with entries [(proto, port, in_p, in_b, out_p, out_b)] of this run."""
    plist = ports(nports)
    run = [[0, 0, 0, 0] for _ in plist]
    run_start = start - interval
    yield "started", run_start, None
    for k in range(n):
        t = start + k * interval
        if restart_every and k and k % restart_every == 0:
            run = [[0, 0, 0, 0] for _ in plist]
            run_start = t - interval
            yield "started", run_start, None
        for i in range(len(plist)):
            for j, d in enumerate(increment(i, k)):
                run[i][j] += d
        yield "block", t, [(p[0], p[1], *run[i]) for i, p in enumerate(plist)], t - run_start


def write(path, start, n, interval, nports, restart_every=0):
    with open(path, "w") as f:
        for item in blocks(start, n, interval, nports, restart_every):
            if item[0] == "started":
                f.write("%s; ******** TCP/UDP service monitor started ********\n" % ctime(item[1]))
                continue
            _, t, entries, running = item
            out = ["\n*** TCP/UDP traffic log, generated %s\n\n" % ctime(t)]
            for proto, port, ip, ib, op, ob in entries:
                out.append("%s/%d: %d packets, %d bytes total, %s; %d packets, %d bytes incoming, %s; "
                           "%d packets, %d bytes outgoing, %s\n\n"
                           % (proto.upper(), port, ip + op, ib + ob, kbps(ib + ob, running),
                              ip, ib, kbps(ib, running), op, ob, kbps(ob, running)))
            out.append("\nRunning time: %d seconds\n" % running)
            f.write("".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--blocks", type=int, required=True)
    ap.add_argument("--interval", type=int, default=300)
    ap.add_argument("--ports", type=int, default=8)
    ap.add_argument("--start", type=int)
    ap.add_argument("--end-now", action="store_true")
    ap.add_argument("--restart-every", type=int, default=0)
    a = ap.parse_args()
    if a.end_now:
        last = int(time.time()) // a.interval * a.interval
        start = last - (a.blocks - 1) * a.interval
    else:
        start = a.start if a.start is not None else 1790000000
    write(a.out, start, a.blocks, a.interval, a.ports, a.restart_every)


if __name__ == "__main__":
    main()
