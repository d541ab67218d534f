"""iptraf-services-import: history from iptraf logs and from the old recipe's
RRD written into the files collectd's rrdtool plugin keeps, read back with
rrdtool, and continued by a real collectd."""
import glob
import gzip
import hashlib
import math
import os
import pty
import select
import shutil
import subprocess
import time

import pytest

import iptraf_log_gen as gen
from harness import (CONF_D, DATA, HOST, REPO, Collectd, append, block_text,
                     rrd_info, rrd_lastupdate, wait_until)

TOOL = os.path.join(REPO, "iptraf-services-import")
MRTG = os.path.join(CONF_D, "rrdtool-mrtg.conf.example")
ENV = dict(os.environ, TZ="UTC")


def run(*args, check=None, **kw):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, env=ENV, **kw)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def dry_run(*args, rebase=None):
    """{identifier: [(time, rx, tx)]} from --dry-run; the re-base updates
    ("TIME.001 ...") go to the dict `rebase` when given."""
    out = {}
    for line in run("--dry-run", "--host", HOST, *args, check=0).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isdigit():
            out.setdefault(parts[1], []).append((int(parts[0]), int(parts[2]), int(parts[3])))
        elif len(parts) == 4 and parts[0].endswith(".001"):
            assert rebase is not None, line
            rebase[parts[1]] = (int(parts[0][:-4]), int(parts[2]), int(parts[3]))
    return out


def fetch(path, cf, res, start, end):
    """{time: [values]} from rrdtool fetch (NaN kept)."""
    out = subprocess.run(["rrdtool", "fetch", path, cf, "-r", str(res), "-s", str(start),
                          "-e", str(end)], check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        if ":" in line:
            t, vals = line.split(":", 1)
            rows[int(t)] = [float(v) for v in vals.split()]
    return rows


def tree_digest(root):
    """{relative path: sha256} of every file under root (dot files too)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


# --- layout -------------------------------------------------------------

VOLATILE = (".cur_row", ".cdp_prep[", ".last_ds", ".value", ".unknown_sec", "filename", "last_update")


def layout(path):
    return {k: repr(v) for k, v in rrd_info(path).items() if not any(s in k for s in VOLATILE)}


def collectd_file(tmp_path, extra, t0):
    """An if_octets RRD that a real collectd's rrdtool plugin created with the
    settings in `extra`."""
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    append(log, gen.ctime(t0 - 300) + "; ******** TCP/UDP service monitor started ********\n")
    cd = Collectd(str(tmp_path / "cd"), '<Plugin iptraf_services>\n <Log "%s">\n  Interval 0.1\n'
                  ' </Log>\n</Plugin>\n' % log, extra=extra)
    with cd:
        append(log, block_text(t0, [("tcp", 22, 1, 100, 1, 100)]))
        path = cd.rrd_path("eth0", "if_octets", "tcp-22")
        wait_until(lambda: os.path.exists(path) and rrd_lastupdate(path)[0] == t0, 15, path)
        assert "rrdtool plugin" not in cd.log()
    return cd, path


def test_files_have_the_layout_collectd_gives_them(tmp_path):
    """Default layout = the shipped MRTG example, as a real collectd creates
    it."""
    t0 = (int(time.time()) // 300) * 300 - 3600
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    _, ref = collectd_file(ref_dir, 'Include "%s"\n' % MRTG, t0)
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    with open(log, "w") as f:
        f.write(block_text(t0, [("tcp", 22, 1, 100, 1, 100)]))
    run("--datadir", str(tmp_path / "imp"), "--host", HOST, "--no-state-file", log, check=0)
    mine = str(tmp_path / "imp" / HOST / "iptraf_services-eth0" / "if_octets-tcp-22.rrd")
    assert layout(mine) == layout(ref)
    assert len([k for k in layout(mine) if k.endswith(".cf")]) == 12


def test_collectd_config_settings_give_collectds_layout(tmp_path):
    """--collectd-config reads the configuration collectd ran with (an
    Include of a directory with a Filter, two <Plugin rrdtool> blocks, a
    timespan list) and gives the file collectd created from it."""
    t0 = (int(time.time()) // 60) * 60 - 3600
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    (conf_d / "a.conf").write_text('<Plugin rrdtool>\n  StepSize 60\n  HeartBeat 300\n'
                                   '  RRARows 100\n  XFF 0.3\n</Plugin>\n')
    (conf_d / "b.conf").write_text('<Plugin rrdtool>\n  RRATimespan "86400 3600"\n'
                                   '  RRATimespan 604800\n</Plugin>\n')
    (conf_d / "ignored.txt").write_text("not collectd syntax <<<\n")
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    cd, ref = collectd_file(ref_dir, '<Include "%s">\n  Filter "*.conf"\n</Include>\n' % conf_d, t0)
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    with open(log, "w") as f:
        f.write(block_text(t0, [("tcp", 22, 1, 100, 1, 100)]))
    out = tmp_path / "out"
    run("--collectd-config", cd.conf, "--datadir", str(out), "--no-state-file", log, check=0)
    mine = str(out / HOST / "iptraf_services-eth0" / "if_octets-tcp-22.rrd")
    assert layout(mine) == layout(ref)
    assert layout(mine)["step"] == "60" and layout(mine)["rra[0].xff"] == "0.3"
    # The same settings as options.
    out2 = tmp_path / "out2"
    run("--datadir", str(out2), "--host", HOST, "--no-state-file", "--step", "60",
        "--heartbeat", "300", "--rra-rows", "100", "--xff", "0.3", "--rra-timespan", "86400",
        "--rra-timespan", "3600", "--rra-timespan", "604800", log, check=0)
    assert layout(str(out2 / HOST / "iptraf_services-eth0" / "if_octets-tcp-22.rrd")) == layout(ref)


# --- values -------------------------------------------------------------

@pytest.mark.parametrize("name", ["runA-after-rotation-then-runB.log", "iptraf-3.0.0-reconstructed.log",
                                  "iptraf-2.5.0-seed.log", "crash-mid-block.log"])
def test_values_are_the_plugins(tmp_path, name):
    """Every value the tool writes is the one a real collectd's <Log> source
    dispatches for the same log with ReplayHistory (every block at its own
    time; restarts, rotation lines, service names, old formats, a crash)."""
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    shutil.copy(os.path.join(DATA, name), log)
    os.utime(log, (time.time() - 3600, time.time() - 3600))
    mine = dry_run(log)
    assert mine
    cd = Collectd(str(tmp_path / "cd"), '<Plugin iptraf_services>\n <Log "%s">\n'
                  '  ReplayHistory true\n  Interval 0.2\n </Log>\n</Plugin>\n' % log, rrd=False)
    with cd:
        for ident, rows in mine.items():
            type_ti = ident.split("/")[-1]
            type_, ti = type_ti.split("-", 1)
            got = cd.wait_rows("eth0", type_, ti, len(rows), timeout=20)
            assert got == rows, (ident, got, rows)
        time.sleep(0.5)
        assert {"%s-%s" % tuple(i.split("/")[-1].split("-", 1)) for i in mine} == cd.series("eth0")


def test_rotated_and_compressed_logs_continue_one_series(tmp_path):
    """.2.gz, .1 and the live log, oldest first: the same values as one file
    holding them all, then a re-base to the totals the plugin computes from
    the live log alone (so that collectd continues them)."""
    whole = str(tmp_path / "whole.log")
    gen.write(whole, 1790000000, 90, 300, 4, restart_every=25)
    with open(whole) as f:
        text = f.read()
    # Cut at block headers: 30 blocks each.
    parts = text.split("\n*** TCP/UDP traffic log")
    heads = [parts[0]] + ["\n*** TCP/UDP traffic log" + p for p in parts[1:]]
    chunks = ["".join(heads[:31]), "".join(heads[31:61]), "".join(heads[61:])]
    d = tmp_path / "logs"
    d.mkdir()
    live = str(d / "tcp_udp_services-eth0.log")
    with gzip.open(live + ".2.gz", "wt") as f:
        f.write(chunks[0])
    with open(live + ".1", "w") as f:
        f.write(chunks[1])
    with open(live, "w") as f:
        f.write(chunks[2])
    os.utime(live, (time.time() - 3600, time.time() - 3600))
    rebase = {}
    rotated = dry_run(live + ".2.gz", live + ".1", live, rebase=rebase)
    one = dry_run("--instance", "eth0", whole)
    alone = dry_run(live)
    assert rotated.keys() == one.keys()
    for ident in one:
        a, b = rotated[ident], one[ident]
        assert [r[0] for r in a] == [r[0] for r in b]
        rates_a = [(y[1] - x[1], y[2] - x[2]) for x, y in zip(a, a[1:])]
        rates_b = [(y[1] - x[1], y[2] - x[2]) for x, y in zip(b, b[1:])]
        assert rates_a == rates_b, ident
        assert a == b, ident  # the whole history's continuous totals
        # Then the stored counter is set to the plugin's own total for the
        # live log, at its last block.
        assert rebase[ident] == alone[ident][-1], ident


def test_collectd_continues_the_imported_files(tmp_path):
    """Import rotated history, start a real collectd on the live log with the
    MRTG layout: its first new block follows the imported ones without a
    gap (the 5-minute rate at the hand-off is known), no update is rejected,
    and no imported block is sent again."""
    t_last = (int(time.time()) // 300) * 300 - 1800
    n = 60
    start = t_last - (n - 1) * 300
    whole = str(tmp_path / "whole.log")
    gen.write(whole, start, n, 300, 3, restart_every=20)
    with open(whole) as f:
        heads = f.read().split("\n*** TCP/UDP traffic log")
    blocks = [heads[0]] + ["\n*** TCP/UDP traffic log" + p for p in heads[1:]]
    live = str(tmp_path / "tcp_udp_services-eth0.log")
    with open(live + ".1", "w") as f:
        f.write("".join(blocks[:46]))  # restarts at 20 and 40 are in here
    with open(live, "w") as f:
        f.write("".join(blocks[46:]))
    os.utime(live, (time.time() - 3600, time.time() - 3600))

    work = str(tmp_path / "cd")
    cd = Collectd(work, '<Plugin iptraf_services>\n <Log "%s">\n  Interval 0.2\n </Log>\n'
                  '</Plugin>\n' % live, extra='Include "%s"\n' % MRTG)
    p = run("--collectd-config", cd.conf, live + ".1", live, check=0)
    assert os.path.join(work, "iptraf_services.state") in p.stdout
    octets = cd.rrd_path("eth0", "if_octets", "tcp-22")
    assert rrd_lastupdate(octets)[0] == t_last

    # The run going on in the live log: blocks n, n+1, n+2 of the generator.
    with cd:
        cd.wait_log("were dispatched before collectd restarted; not sent again", 15)
        for k in range(n, n + 3):
            t = start + k * 300
            entries = []
            for i, (proto, port) in enumerate(gen.ports(3)):
                tot = [sum(gen.increment(i, kk)[j] for kk in range(40, k + 1)) for j in range(4)]
                entries.append((proto, port, *tot))
            append(live, block_text(t, entries, running=(k - 39) * 300))
            wait_until(lambda: rrd_lastupdate(octets)[0] == t, 15, "block %d in %s" % (k, octets))
        log = cd.log()
    assert "illegal attempt to update" not in log, log
    assert "rrdtool plugin" not in log, log
    # Nothing imported was sent again: collectd's csv holds new blocks only.
    sent = {r[0] for r in cd.csv_rows("eth0", "if_octets", "tcp-22")}
    assert sent == {start + k * 300 for k in range(n, n + 3)}, sorted(sent)
    # Every interval, imported (across two restarts and the rotation) or
    # new, holds the exact rate.
    rows = fetch(octets, "AVERAGE", 300, start, start + (n + 2) * 300)
    for k in range(1, n + 3):
        t = start + k * 300
        in_p, in_b, out_p, out_b = gen.increment(0, k)
        assert math.isclose(rows[t][0], in_b / 300, rel_tol=1e-9), (k, t, rows.get(t))
        assert math.isclose(rows[t][1], out_b / 300, rel_tol=1e-9), (k, t, rows.get(t))


# --- never damage, clear failures ----------------------------------------

def test_refuses_to_touch_a_file_with_newer_data(tmp_path):
    log_new = str(tmp_path / "new.log")
    gen.write(log_new, 1790100000, 20, 300, 2)
    log_old = str(tmp_path / "old.log")
    gen.write(log_old, 1790000000, 20, 300, 2)
    dd = str(tmp_path / "rrd")
    args = ("--datadir", dd, "--host", HOST, "--instance", "eth0", "--no-state-file")
    run(*args, log_new, check=0)
    before = tree_digest(dd)
    p = run(*args, log_old, check=1)
    assert "if_octets-tcp-22.rrd already holds data up to" in p.stderr, p.stderr
    assert "no RRD file was changed" in p.stderr
    assert tree_digest(dd) == before  # same files, same bytes, no temporary file
    # An older file is continued, and keeps what it had.
    log_later = str(tmp_path / "later.log")
    gen.write(log_later, 1790100000 + 20 * 300, 5, 300, 2)
    run(*args, log_later, check=0)
    path = os.path.join(dd, HOST, "iptraf_services-eth0", "if_octets-tcp-22.rrd")
    assert rrd_lastupdate(path)[0] == 1790100000 + 24 * 300
    rows = fetch(path, "AVERAGE", 300, 1790100000 + 600, 1790100000 + 1800)
    assert not math.isnan(rows[1790100000 + 900][0]), rows


def test_bad_lines_are_named_and_skipped(tmp_path):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(log, 1790000000, 5, 300, 2)
    with open(log) as f:
        lines = f.read().split("\n")
    lines.insert(4, "TCP/22: this is not a counter line")
    with open(log, "w") as f:
        f.write("\n".join(lines))
    p = run("--dry-run", "--host", HOST, log, check=0)
    assert "%s line 5:" % log in p.stderr, p.stderr
    good = str(tmp_path / "good.log")
    gen.write(good, 1790000000, 5, 300, 2)
    assert dry_run(log) == {k.replace("-good/", "-eth0/"): v for k, v in
                            dry_run("--instance", "eth0", good).items()}


@pytest.mark.parametrize("case", ["missing", "truncated-gz", "unwritable"])
def test_failures_exit_non_zero_and_leave_nothing(tmp_path, case):
    dd = tmp_path / "rrd"
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(log, 1790000000, 30, 300, 2)
    args = ["--datadir", str(dd), "--host", HOST, "--state-file", str(tmp_path / "state")]
    if case == "missing":
        p = run(*args, str(tmp_path / "nope.log"), log)
        assert "nope.log: cannot open: No such file or directory" in p.stderr
    elif case == "truncated-gz":
        with open(log, "rb") as f:
            data = gzip.compress(f.read())
        with open(log + ".1.gz", "wb") as f:
            f.write(data[: len(data) // 2])
        p = run(*args, log + ".1.gz", log)
        assert "tcp_udp_services-eth0.log.1.gz" in p.stderr and "ends early" in p.stderr, p.stderr
    else:
        target = dd / HOST / "iptraf_services-eth0"
        target.mkdir(parents=True)
        os.chmod(target, 0o555)
        # root ignores the mode: a file in the way of the directory instead.
        os.chmod(target, 0o755)
        os.rmdir(target)
        target.write_text("a file, not a directory")
        p = run(*args, log)
        assert "iptraf_services-eth0" in p.stderr, p.stderr
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert not glob.glob(str(dd / "**" / "*.rrd*"), recursive=True)
    assert not glob.glob(str(dd / "**" / ".*import*"), recursive=True)
    assert not os.path.exists(tmp_path / "state")


def test_progress_only_on_a_terminal(tmp_path):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(log, 1790000000, 3000, 300, 20)
    args = [TOOL, "--datadir", str(tmp_path / "a"), "--host", HOST, "--no-state-file", log]
    p = subprocess.run(args, capture_output=True, text=True, env=ENV)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    args[2] = str(tmp_path / "b")
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave, env=ENV)
    os.close(slave)
    seen = b""
    while True:
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(30)
    os.close(master)
    assert proc.returncode == 0
    assert b"% of" in seen and b"blocks/s" in seen, seen


# --- rrdcached ----------------------------------------------------------

def test_writes_through_rrdcached(tmp_path):
    sock = str(tmp_path / "rrdcached.sock")
    base = tmp_path / "base"
    base.mkdir()
    d = subprocess.Popen(["rrdcached", "-g", "-l", "unix:" + sock, "-j", str(tmp_path),
                          "-w", "3600", "-z", "1", "-F"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: os.path.exists(sock), 10, "rrdcached socket")
        log = str(tmp_path / "tcp_udp_services-eth0.log")
        gen.write(log, 1790000000, 50, 300, 2)
        run("--daemon", "unix:" + sock, "--datadir", str(base), "--host", HOST,
            "--no-state-file", log, check=0)
        path = str(base / HOST / "iptraf_services-eth0" / "if_octets-tcp-22.rrd")
        total = [sum(gen.increment(0, k)[j] for k in range(50)) for j in range(4)]
        assert rrd_lastupdate(path) == (1790000000 + 49 * 300, {"rx": total[1], "tx": total[3]})
    finally:
        d.terminate()
        d.wait(10)


# --- the old recipe's database ------------------------------------------

RECIPE = """rrdtool create tcp_services.rrd              \\
        DS:22_in:COUNTER:600:U:12500000      \\
        DS:22_out:COUNTER:600:U:12500000     \\
        DS:25_in:COUNTER:600:U:12500000      \\
        DS:25_out:COUNTER:600:U:12500000     \\
        DS:80_in:COUNTER:600:U:12500000      \\
        DS:80_out:COUNTER:600:U:12500000     \\
        DS:119_in:COUNTER:600:U:12500000     \\
        DS:119_out:COUNTER:600:U:12500000    \\
        DS:443_in:COUNTER:600:U:12500000     \\
        DS:443_out:COUNTER:600:U:12500000    \\
        RRA:AVERAGE:0.5:1:600                \\
        RRA:AVERAGE:0.5:6:700                \\
        RRA:AVERAGE:0.5:24:775               \\
        RRA:AVERAGE:0.5:288:797              \\
        RRA:MAX:0.5:1:600                    \\
        RRA:MAX:0.5:6:700                    \\
        RRA:MAX:0.5:24:775"""


def test_from_rrd_keeps_the_recipes_history(tmp_path):
    """The recipe's own create command (from the notes), several days of
    known rates fed as the recipe's script did, then --from-rrd: the same
    AVERAGE values at 5 and 30 minutes wherever both files hold them."""
    days = 5
    t_end = 1790000000 // 300 * 300
    t_start = t_end - days * 86400
    cmd = RECIPE.replace("\\\n", " ").split()
    cmd[cmd.index("tcp_services.rrd")] = str(tmp_path / "tcp_services.rrd")
    subprocess.run(cmd[:3] + ["-b", str(t_start - 300)] + cmd[3:], check=True)
    old = str(tmp_path / "tcp_services.rrd")
    ports = [22, 25, 80, 119, 443]
    counters = [0] * 10
    updates = []
    for k in range((t_end - t_start) // 300 + 1):
        for i in range(10):
            counters[i] += (i + 1) * 300 * (1 + (k * 7 + i) % 13)  # rate (i+1)*(1..13) B/s
        updates.append("%d:%s" % (t_start + k * 300, ":".join(map(str, counters))))
    for i in range(0, len(updates), 500):
        subprocess.run(["rrdtool", "update", old, *updates[i:i + 500]], check=True)
    dd = tmp_path / "rrd"
    p = run("--from-rrd", old, "--datadir", str(dd), "--host", HOST, check=0)
    assert "no if_packets" in p.stdout
    for port in ports:
        new = str(dd / HOST / "iptraf_services-tcp_services" / ("if_octets-tcp-%d.rrd" % port))
        assert rrd_info(new)["last_update"] == t_end
        assert not os.path.exists(new.replace("if_octets", "if_packets"))
        i_in = ports.index(port) * 2
        # The old file keeps 600 five-minute rows (2 days), 700 of 30 min.
        for res, since in ((300, t_end - 590 * 300), (1800, t_start)):
            a = fetch(old, "AVERAGE", res, since, t_end)
            b = fetch(new, "AVERAGE", res, since, t_end)
            step_a = sorted(a)[1] - sorted(a)[0]
            step_b = sorted(b)[1] - sorted(b)[0]
            assert step_a == step_b == res
            both = [t for t in a if t in b and not math.isnan(a[t][i_in]) and not math.isnan(b[t][0])]
            assert len(both) > (550 if res == 300 else 200), len(both)
            for t in both:
                assert math.isclose(b[t][0], a[t][i_in], rel_tol=1e-9), (port, res, t)
                assert math.isclose(b[t][1], a[t][i_in + 1], rel_tol=1e-9), (port, res, t)
        assert layout(new)["ds[rx].type"] == "'DERIVE'"
    # A second conversion would replace them: refused.
    p = run("--from-rrd", old, "--datadir", str(dd), "--host", HOST, check=1)
    assert "already exists" in p.stderr


def test_a_full_disk_is_named_and_leaves_nothing(tmp_path):
    """A file system that fills up while the files are written: the error
    names the file, exit status 1, no RRD and no temporary file left."""
    small = tmp_path / "small"
    small.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(small)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs (needs root): " + r.stderr.strip())
    try:
        log = str(tmp_path / "tcp_udp_services-eth0.log")
        gen.write(log, 1790000000, 50, 300, 5)  # 10 files of 145 KB
        p = run("--datadir", str(small / "rrd"), "--host", HOST, "--no-state-file", log)
        assert p.returncode == 1, (p.stdout, p.stderr)
        assert str(small / "rrd") in p.stderr and "bytes free: full?" in p.stderr, p.stderr
        assert "no RRD file was changed" in p.stderr, p.stderr
        left = [f for _, _, files in os.walk(str(small)) for f in files]
        assert left == [], left
    finally:
        subprocess.run(["umount", str(small)])


# --- every bad argument and configuration is named ----------------------

@pytest.mark.parametrize("argv, code, expect", [
    ([], 2, "give the logs to import, or --from-rrd"),
    (["--from-rrd", "x.rrd", "a.log"], 2, "one of the two"),
    (["--bogus", "a.log"], 2, "unrecognized option"),
    (["--instance", "a/b", "a.log"], 2, "--instance a/b: must be non-empty and contain no '/'"),
    (["--instance", "", "a.log"], 2, "must be non-empty"),
    (["--port", "tcp/70000", "a.log"], 2, "--port"),
    (["--step", "0", "a.log"], 2, "--step 0: a whole number from 1"),
    (["--step", "x", "a.log"], 2, "--step x"),
    (["--heartbeat", "-5", "a.log"], 2, "--heartbeat -5"),
    (["--rra-rows", "0", "a.log"], 2, "--rra-rows 0"),
    (["--rra-timespan", "abc", "a.log"], 2, "--rra-timespan abc"),
    (["--xff", "1", "a.log"], 2, "--xff 1: a number from 0 to 1"),
    (["--xff", "zz", "a.log"], 2, "--xff zz"),
    (["--collectd-config", "/nonexistent.conf", "a.log"], 2, "/nonexistent.conf: cannot open"),
    (["--daemon", "unix:/nonexistent/sock", "a.log"], 1, "cannot connect to rrdcached"),
    (["--from-rrd", "/nonexistent.rrd"], 1, "/nonexistent.rrd: cannot read"),
    (["--help"], 0, "Usage: iptraf-services-import"),
    (["-V"], 0, "iptraf-services-import 0."),
])
def test_bad_arguments_are_named(tmp_path, argv, code, expect):
    p = run(*argv, cwd=str(tmp_path))
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert expect in p.stdout + p.stderr, p.stdout + p.stderr


@pytest.mark.parametrize("text, expect", [
    ('<Plugin rrdtool>\n  StepSize 60\n', "line 1: this block is not closed"),
    ('</Plugin>\n', "line 1: a closing tag without a block"),
    ('Hostname "unclosed\n', "line 1: a string is not closed"),
    ('<Plugin rrdtool\n', "line 1: a block tag without '>'"),
    ('<Plugin rrdtool>\n  RRARows 0\n</Plugin>\n', "line 2: RRARows must be greater than 0"),
    ('<Plugin rrdtool>\n  XFF 1.5\n</Plugin>\n', "line 2: XFF must be in the range 0 to 1"),
    ('<Plugin rrdtool>\n  DataDir "a" "b"\n</Plugin>\n', "line 2: DataDir takes one value"),
    ('Include "/nonexistent/x.conf"\n', "/nonexistent/x.conf: cannot open"),
    ('<Plugin iptraf_services>\n <Log "%(log)s">\n  Port "tcp/99999"\n </Log>\n</Plugin>\n',
     "line 3: Port"),
    ('<Plugin rrdtool>\n</Plugin>\n', "the RRD step is unknown"),
])
def test_bad_collectd_configuration_is_named(tmp_path, text, expect):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(log, 1790000000, 3, 300, 1)
    conf = tmp_path / "collectd.conf"
    conf.write_text(text % {"log": log})
    p = run("--collectd-config", str(conf), "--datadir", str(tmp_path / "rrd"), log)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert expect in p.stderr, p.stderr
    if "line" in expect:
        assert str(conf) in p.stderr
    assert not os.path.exists(tmp_path / "rrd")


def test_collectd_configuration_as_debian_lays_it_out(tmp_path):
    """Debian's shape: BaseDir, a relative Include of a glob, DataDir left
    out (files under BaseDir), the plugin's relative StateFile, the <Log>
    block's Instance and Port, a line continued with a backslash; the state
    file merged with another source's entry."""
    base = tmp_path / "base"
    base.mkdir()
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(log, 1790000000, 10, 300, 4)
    d = tmp_path / "etc"
    (d / "conf.d").mkdir(parents=True)
    (d / "collectd.conf").write_text(
        'Hostname "deb"\nFQDNLookup false\nBaseDir "%s"\nLoadPlugin rrdtool\n'
        'Include "conf.d/*.conf"\n' % base)
    (d / "conf.d" / "rrd.conf").write_text('<Plugin rrdtool>\n  StepSize 300\n  RRARows 730\n'
                                           '  RRATimespan 172800 \\\n    1339200\n</Plugin>\n')
    (d / "conf.d" / "its.conf").write_text(
        '# the plugin\n<Plugin iptraf_services>\n  StateFile "its.state"\n'
        '  <Log "/other.log">\n    Instance "other"\n  </Log>\n'
        '  <Log "%s">\n    Instance "edge"\n    Port "tcp/22" "udp/53"\n  </Log>\n</Plugin>\n' % log)
    (base / "its.state").write_text("other\t/other.log\t1700000000\n")
    p = run("--collectd-config", str(d / "collectd.conf"), log, check=0)
    rrd_dir = base / "deb" / "iptraf_services-edge"
    assert sorted(os.listdir(str(rrd_dir))) == ["if_octets-tcp-22.rrd", "if_octets-udp-53.rrd",
                                                "if_packets-tcp-22.rrd", "if_packets-udp-53.rrd"]
    info = rrd_info(str(rrd_dir / "if_octets-tcp-22.rrd"))
    assert [info["rra[%d].rows" % i] for i in (0, 3)] == [730, 744]
    state = (base / "its.state").read_text()
    assert "other\t/other.log\t1700000000\n" in state
    assert "edge\t%s\t%d\n" % (log, 1790000000 + 9 * 300) in state, state


def test_log_faults_are_named_and_the_rest_imported(tmp_path):
    """A rotated file that ends inside a block (iptraf died), a counter line
    outside a block, NUL bytes, an over-long line: each named, the rest
    imported; a directory given as a log is refused."""
    live = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(live + ".1", 1790000000, 5, 300, 2)
    with open(live + ".1") as f:
        text = f.read()
    text = text[: text.rindex("Running time")]  # the last block cut off
    with open(live + ".1", "w") as f:
        f.write("TCP/22: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming; "
                "0 packets, 0 bytes outgoing\n")
        f.write(text)
        f.write("TCP/80: \0\0 bad\n" + "x" * 70000 + "\n")
    gen.write(live, 1790000000 + 3000, 5, 300, 2)
    p = run("--dry-run", "--host", HOST, live + ".1", live, check=0)
    assert "%s line 1: counter line outside a block" % (live + ".1") in p.stderr, p.stderr
    assert "the block generated here is unfinished" in p.stderr
    assert "NUL bytes in the line" in p.stderr
    assert "line longer than 65536 bytes" in p.stderr
    lines = [l for l in p.stdout.splitlines()
             if "if_octets-tcp-22 " in l and ".001 " not in l]  # no re-base line
    assert len(lines) == 10, lines  # 5 blocks (the last one cut) + 5
    p = run("--host", HOST, "--datadir", str(tmp_path / "rrd"), str(tmp_path))
    assert p.returncode == 1 and "not a regular file" in p.stderr, p.stderr


@pytest.mark.parametrize("case", ["corrupt-gz", "cut-start-line", "partial-last-line"])
def test_more_log_faults(tmp_path, case):
    live = str(tmp_path / "tcp_udp_services-eth0.log")
    gen.write(live, 1790000000, 4, 300, 1)
    env = None
    if case == "corrupt-gz":
        with open(live, "rb") as f:
            data = bytearray(gzip.compress(f.read() * 50))
        data[len(data) // 2: len(data) // 2 + 64] = b"\xff" * 64
        with open(live + ".1.gz", "wb") as f:
            f.write(bytes(data))
        p = run("--dry-run", live + ".1.gz", live)
        assert p.returncode == 1 and "tcp_udp_services-eth0.log.1.gz: read error after line" in p.stderr, p.stderr
        return
    if case == "cut-start-line":
        with open(live, "a") as f:
            f.write("TCP/22: 5 pack" + gen.ctime(1790009000) +
                    "; ******** TCP/UDP service monitor started ********\n")
        p = run("--dry-run", "--host", HOST, live)
        assert "a line cut off by an iptraf crash precedes this start line" in p.stderr, p.stderr
    else:
        # A rotated file ending without a newline: its last line is read;
        # the live log's half-written last line is left to the plugin.
        with open(live, "a") as f:
            f.write("TCP/22: 5 pack")
        shutil.copy(live, live + ".1")
        p = run("--dry-run", "--host", HOST, live + ".1", live)
        assert "eth0.log.1 line 30: expected" in p.stderr, p.stderr
        assert "eth0.log line 30" not in p.stderr, p.stderr
    assert p.returncode == 0, p.stderr
    assert len([l for l in p.stdout.splitlines() if "if_octets-tcp-22 " in l]) == 4


@pytest.mark.parametrize("case", ["not-an-rrd", "no-recipe-ds", "daemon", "one-direction",
                                  "existing-not-rrd"])
def test_from_rrd_and_target_faults(tmp_path, case):
    dd = tmp_path / "rrd"
    old = str(tmp_path / "old.rrd")
    if case == "not-an-rrd":
        with open(old, "w") as f:
            f.write("not an rrd\n")
        p = run("--from-rrd", old, "--datadir", str(dd), "--host", HOST, check=1)
        assert "old.rrd: not an RRD librrd can read" in p.stderr, p.stderr
    elif case == "no-recipe-ds":
        subprocess.run(["rrdtool", "create", old, "DS:load:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
                       check=True)
        p = run("--from-rrd", old, "--datadir", str(dd), "--host", HOST, check=1)
        assert "no PORT_in / PORT_out data source" in p.stderr, p.stderr
    elif case == "daemon":
        p = run("--from-rrd", old, "--daemon", "unix:/nonexistent", "--datadir", str(dd))
        assert p.returncode == 1 and "rrdcached" in p.stderr, p.stderr
    elif case == "one-direction":
        subprocess.run(["rrdtool", "create", old, "-b", "1790000100", "DS:25_in:COUNTER:600:U:U",
                        "RRA:AVERAGE:0.5:1:10"], check=True)
        subprocess.run(["rrdtool", "update", old, "1790000400:0", "1790000700:30000",
                        "1790001000:60000"], check=True)
        run("--from-rrd", old, "--datadir", str(dd), "--host", HOST, "--instance", "mrtg", check=0)
        new = str(dd / HOST / "iptraf_services-mrtg" / "if_octets-tcp-25.rrd")
        rows = fetch(new, "AVERAGE", 300, 1790000700, 1790001000)
        assert rows[1790001000][0] == 100.0 and math.isnan(rows[1790001000][1]), rows
        return
    else:
        log = str(tmp_path / "tcp_udp_services-eth0.log")
        gen.write(log, 1790000000, 3, 300, 1)
        target = dd / HOST / "iptraf_services-eth0" / "if_octets-tcp-22.rrd"
        target.parent.mkdir(parents=True)
        target.write_text("garbage")
        p = run("--datadir", str(dd), "--host", HOST, "--no-state-file", log, check=1)
        assert "if_octets-tcp-22.rrd exists but is not an RRD librrd can read" in p.stderr, p.stderr
        assert target.read_text() == "garbage"
    assert not dd.exists() or not [f for _, _, fs in os.walk(str(dd)) for f in fs if f.endswith(".rrd")
                                    and "tcp-22" not in f]
