"""The log source inside a real collectd: exact values and timestamps in the
csv and rrdtool plugins' files, while the test writes the log block by block."""
import os
import shutil
import time

import pytest

from harness import (DATA, Collectd, append, block_text, rrd_lastupdate,
                     started_line, wait_until)


def log_block(path, extra=""):
    return '<Plugin iptraf_services>\n  <Log "%s">\n    Instance "t"\n%s  </Log>\n</Plugin>\n' % (path, extra)


@pytest.fixture
def t0():
    # Whole minutes in the recent past: blocks every 60 s.
    return (int(time.time()) // 60) * 60 - 3600


def test_blocks_are_dispatched_once_with_exact_values_and_times(tmp_path, t0):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 22, 10, 1000, 5, 500),
                                     ("udp", 53, 2, 200, 2, 300),
                                     ("tcp", 53, 1, 60, 1, 40)]))
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        rows = cd.wait_rows("t", "if_octets", "tcp-22", 1)
        assert rows == [(t0 + 60, 1000, 500)]
        assert cd.wait_rows("t", "if_packets", "tcp-22", 1) == [(t0 + 60, 10, 5)]
        # TCP and UDP on one port are separate series.
        assert cd.wait_rows("t", "if_octets", "udp-53", 1) == [(t0 + 60, 200, 300)]
        assert cd.wait_rows("t", "if_octets", "tcp-53", 1) == [(t0 + 60, 60, 40)]

        # Half a block: nothing until it is complete.
        text = block_text(t0 + 120, [("tcp", 22, 30, 3000, 15, 1500),
                                     ("udp", 53, 4, 400, 4, 600),
                                     ("tcp", 53, 1, 60, 1, 40)])
        cut = text.index("bytes incoming") + 3
        append(log, text[:cut])
        time.sleep(2.5)
        assert cd.csv_rows("t", "if_octets", "tcp-22") == [(t0 + 60, 1000, 500)]
        append(log, text[cut:])
        rows = cd.wait_rows("t", "if_octets", "tcp-22", 2)
        assert rows == [(t0 + 60, 1000, 500), (t0 + 120, 3000, 1500)]
        assert cd.wait_rows("t", "if_packets", "udp-53", 2)[-1] == (t0 + 120, 4, 4)

        # No new block: nothing more is dispatched.
        time.sleep(2.5)
        assert len(cd.csv_rows("t", "if_octets", "tcp-22")) == 2
        assert cd.series("t") == {"if_octets-tcp-22", "if_packets-tcp-22",
                                  "if_octets-udp-53", "if_packets-udp-53",
                                  "if_octets-tcp-53", "if_packets-tcp-53"}

    rrd = cd.rrd_path("t", "if_octets", "tcp-22")
    last_time, values = rrd_lastupdate(rrd)
    assert last_time == t0 + 120
    assert values == {"rx": 3000, "tx": 1500}
    assert rrd_lastupdate(cd.rrd_path("t", "if_packets", "udp-53")) == (t0 + 120, {"rx": 4, "tx": 4})
    assert cd.proc.returncode == 0
    assert "iptraf_services" in cd.log() and "following" in cd.log()


def test_restart_continues_on_top_and_default_instance(tmp_path, t0):
    log = str(tmp_path / "tcp_udp_services-eth1.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 80, 10, 1000, 20, 50000)]))
    cfg = '<Plugin iptraf_services>\n  <Log "%s">\n  </Log>\n</Plugin>\n' % log
    cd = Collectd(str(tmp_path / "cd"), cfg)
    with cd:
        assert cd.wait_rows("eth1", "if_octets", "tcp-80", 1) == [(t0 + 60, 1000, 50000)]
        # iptraf stops and starts again: counters from zero in the log.
        append(log, "%s; ******** TCP/UDP service monitor stopped ********\n"
               % started_line(t0 + 70)[:24])
        append(log, started_line(t0 + 80))
        append(log, block_text(t0 + 140, [("tcp", 80, 1, 100, 2, 5000)]))
        rows = cd.wait_rows("eth1", "if_octets", "tcp-80", 2)
        assert rows[-1] == (t0 + 140, 1100, 55000)
        assert cd.wait_rows("eth1", "if_packets", "tcp-80", 2)[-1] == (t0 + 140, 11, 22)
    assert rrd_lastupdate(cd.rrd_path("eth1", "if_octets", "tcp-80")) == (t0 + 140, {"rx": 1100, "tx": 55000})


def test_rotation_rename_usr1_and_logrotate_without_signal(tmp_path, t0):
    log = str(tmp_path / "svc.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 22, 1, 100, 1, 100)]))
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        cd.wait_rows("t", "if_octets", "tcp-22", 1)
        # Debian's logrotate: rename, create an empty file, no signal.
        os.rename(log, log + ".1")
        open(log, "w").close()
        append(log + ".1", block_text(t0 + 120, [("tcp", 22, 2, 200, 2, 200)]))
        assert cd.wait_rows("t", "if_octets", "tcp-22", 2)[-1] == (t0 + 120, 200, 200)
        # SIGUSR1 later: iptraf-ng closes the renamed file and reopens the name.
        append(log + ".1", "%s; ***** USR1 signal received, preparing to reopen log file *****\n"
               % started_line(t0 + 150)[:24])
        append(log, "%s; ***** Logfile reopened *****\n" % started_line(t0 + 180)[:24])
        append(log, block_text(t0 + 180, [("tcp", 22, 3, 300, 3, 300)]))
        assert cd.wait_rows("t", "if_octets", "tcp-22", 3)[-1] == (t0 + 180, 300, 300)
        # copytruncate
        shutil.copy(log, log + ".2")
        with open(log, "w"):
            pass
        time.sleep(1.5)
        append(log, block_text(t0 + 240, [("tcp", 22, 4, 400, 4, 400)]))
        assert cd.wait_rows("t", "if_octets", "tcp-22", 4)[-1] == (t0 + 240, 400, 400)
        # Deleted, then created again by a new iptraf run.
        os.unlink(log)
        time.sleep(1.5)
        append(log, started_line(t0 + 250))
        append(log, block_text(t0 + 300, [("tcp", 22, 1, 50, 1, 60)]))
        assert cd.wait_rows("t", "if_octets", "tcp-22", 5)[-1] == (t0 + 300, 450, 460)
        rows = cd.csv_rows("t", "if_octets", "tcp-22")
        assert [r[0] for r in rows] == [t0 + 60, t0 + 120, t0 + 180, t0 + 240, t0 + 300]
    assert "was rotated" in cd.log()
    assert "truncated" in cd.log()


def test_missing_file_is_picked_up_when_it_appears(tmp_path, t0):
    log = str(tmp_path / "later.log")
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        cd.wait_log("does not exist (yet)")
        time.sleep(2)
        assert cd.log().count("does not exist") == 1
        append(log, started_line(t0))
        append(log, block_text(t0 + 60, [("udp", 123, 5, 380, 5, 380)]))
        append(log, block_text(t0 + 120, [("udp", 123, 6, 456, 6, 456)]))
        # Read whole: each series once, with its newest block's values.
        rows = cd.wait_rows("t", "if_octets", "udp-123", 1)
        time.sleep(1.5)
        assert cd.csv_rows("t", "if_octets", "udp-123") == [(t0 + 120, 456, 456)]


def test_permission_denied_is_reported_and_retried(tmp_path, t0):
    # collectd runs as root here; a directory in the way of the path gives
    # the same "cannot open / not a regular file" path through the code.
    log = str(tmp_path / "dir.log")
    os.mkdir(log)
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        cd.wait_log("is not a regular file")
        os.rmdir(log)
        append(log, started_line(t0))
        append(log, block_text(t0 + 60, [("tcp", 25, 1, 10, 1, 20)]))
        assert cd.wait_rows("t", "if_octets", "tcp-25", 1) == [(t0 + 60, 10, 20)]
        assert cd.log().count("is not a regular file") == 1


def test_crash_mid_block_counts_complete_lines(tmp_path):
    log = str(tmp_path / "crash.log")
    shutil.copy(os.path.join(DATA, "crash-mid-block.log"), log)
    old = time.time() - 3600
    os.utime(log, (old, old))
    cd = Collectd(str(tmp_path / "cd"),
                  log_block(log, '    Port "udp/1-3" "udp/458-460"\n'), tz="UTC")
    with cd:
        rows = cd.wait_rows("t", "if_octets", "udp-458", 1)
        assert rows == [(1795971031, 76, 0)]  # Sun Nov 29 16:50:31 2026 UTC
        assert cd.wait_rows("t", "if_packets", "udp-1", 1) == [(1795971031, 2, 0)]
        time.sleep(1.5)
        assert cd.series("t") == {"if_octets-udp-%d" % p for p in (1, 2, 3, 458)} | \
                                 {"if_packets-udp-%d" % p for p in (1, 2, 3, 458)}
        assert "unfinished" in cd.log()


def test_samples_catch_up_last_block_and_service_names(tmp_path):
    log = str(tmp_path / "tcp_udp_services-lo.log")
    shutil.copy(os.path.join(DATA, "runA-after-rotation-then-runB.log"), log)
    cd = Collectd(str(tmp_path / "cd"), '<Plugin iptraf_services>\n <Log "%s">\n </Log>\n</Plugin>\n' % log)
    with cd:
        # Only the last block (16:49:06); run A's counts carried under run B's.
        rows = cd.wait_rows("lo", "if_octets", "tcp-80", 1)
        time.sleep(1)
        assert cd.csv_rows("lo", "if_octets", "tcp-80") == [(1795970946, 4488 + 1226, 804920 + 201256)]
        assert cd.wait_rows("lo", "if_octets", "tcp-139", 1) == [(1795970946, 120, 80)]  # netbios-ss
        assert cd.wait_rows("lo", "if_octets", "tcp-8080", 1) == [(1795970946, 1844 + 1026, 202300 + 101046)]
        assert cd.wait_rows("lo", "if_packets", "udp-7", 1) == [(1795970946, 44, 44)]
        assert cd.wait_rows("lo", "if_octets", "tcp-7", 1) == [(1795970946, 4280, 3864)]
        assert cd.wait_rows("lo", "if_octets", "udp-1023", 1) == [(1795970946, 152, 0)]
        time.sleep(0.5)
        assert cd.series("lo") == {"%s-%s" % (t, s) for t in ("if_octets", "if_packets")
                                   for s in ("tcp-80", "udp-7", "tcp-8080", "tcp-139", "udp-1023", "tcp-7")}


def test_replay_history_writes_every_block_in_order(tmp_path):
    log = str(tmp_path / "tcp_udp_services-lo.log")
    shutil.copy(os.path.join(DATA, "runA-after-rotation-then-runB.log"), log)
    cd = Collectd(str(tmp_path / "cd"),
                  '<Plugin iptraf_services>\n <Log "%s">\n  ReplayHistory true\n  Port "tcp/http" "udp/500"\n </Log>\n</Plugin>\n' % log)
    with cd:
        rows = cd.wait_rows("lo", "if_octets", "tcp-80", 5)
        assert rows == [(1795970881, 3262, 603664), (1795970897, 4488, 804920),
                        (1795970909, 4488, 804920), (1795970930, 4488 + 1226, 804920 + 201256),
                        (1795970946, 4488 + 1226, 804920 + 201256)]
        assert cd.wait_rows("lo", "if_octets", "udp-500", 3) == [
            (1795970881, 468, 468), (1795970897, 468, 468), (1795970909, 468, 468)]
        time.sleep(0.5)
        assert cd.series("lo") == {"if_octets-tcp-80", "if_packets-tcp-80",
                                   "if_octets-udp-500", "if_packets-udp-500"}
    last, vals = rrd_lastupdate(cd.rrd_path("lo", "if_octets", "tcp-80"))
    assert (last, vals) == (1795970946, {"rx": 5714, "tx": 1006176})


def test_collectd_restart_keeps_series_continuous(tmp_path, t0):
    log = str(tmp_path / "r.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 443, 1, 100, 1, 1000)]))
    append(log, started_line(t0 + 70))
    append(log, block_text(t0 + 130, [("tcp", 443, 2, 200, 2, 2000)]))
    work = str(tmp_path / "cd")
    with Collectd(work, log_block(log)) as cd:
        assert cd.wait_rows("t", "if_octets", "tcp-443", 1) == [(t0 + 130, 300, 3000)]
    append(log, block_text(t0 + 190, [("tcp", 443, 3, 300, 3, 3000)]))
    with Collectd(work, log_block(log)) as cd:
        rows = cd.wait_rows("t", "if_octets", "tcp-443", 2)
        assert rows == [(t0 + 130, 300, 3000), (t0 + 190, 400, 4000)]
    assert rrd_lastupdate(cd.rrd_path("t", "if_octets", "tcp-443")) == (t0 + 190, {"rx": 400, "tx": 4000})


def test_two_logs_at_once(tmp_path, t0):
    a, b = str(tmp_path / "tcp_udp_services-eth0.log"), str(tmp_path / "tcp_udp_services-eth1.log")
    for p, v in ((a, 111), (b, 222)):
        append(p, started_line(t0))
        append(p, block_text(t0 + 60, [("tcp", 22, 1, v, 1, v)]))
    cfg = '<Plugin iptraf_services>\n <Log "%s">\n </Log>\n <Log "%s">\n </Log>\n</Plugin>\n' % (a, b)
    with Collectd(str(tmp_path / "cd"), cfg) as cd:
        assert cd.wait_rows("eth0", "if_octets", "tcp-22", 1) == [(t0 + 60, 111, 111)]
        assert cd.wait_rows("eth1", "if_octets", "tcp-22", 1) == [(t0 + 60, 222, 222)]


@pytest.mark.parametrize("body,expect", [
    ('<Log "%(log)s">\n Port "tcp/nosuchservice"\n</Log>', 'option "Port": "tcp/nosuchservice": no tcp service named'),
    ('<Log "%(log)s">\n Port "tcp/70000"\n</Log>', '"tcp/70000": ports are 0 to 65535'),
    ('<Log "%(log)s">\n Frobnicate true\n</Log>', 'unknown option "Frobnicate"'),
    ('<Log "%(log)s">\n ReplayHistory "yes please"\n</Log>', 'option "ReplayHistory" takes true or false'),
    ('<Log "%(log)s">\n</Log>\n<Log "%(log)s">\n</Log>', 'is configured twice'),
    ('<Log "%(log)s">\n Interval -1\n</Log>', 'option "Interval": -1 is out of range'),
    ('<Log "">\n</Log>', "<Log> needs the log file's path"),
    ('Bogus 1', 'unknown option "Bogus"'),
    ('StateFile ""', 'option "StateFile": an empty path; to keep no state file, write StateFile false'),
    ('StateFile 3', 'option "StateFile" takes a path or false'),
])
def test_config_errors_are_named_and_stop_the_plugin(tmp_path, t0, body, expect):
    log = str(tmp_path / "tcp_udp_services-eth0.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 22, 1, 1, 1, 1)]))
    cfg = "<Plugin iptraf_services>\n%s\n</Plugin>\n" % (body % {"log": log})
    cd = Collectd(str(tmp_path / "cd"), cfg)
    cd.start(wait_for=None)
    try:
        cd.wait_log(expect)
        cd.wait_log("Initialization complete")
        time.sleep(1.5)
        assert "iptraf_services: not started" in cd.log()
        assert not os.path.exists(os.path.join(cd.csv_dir, "testhost", "iptraf_services-eth0"))
        assert cd.proc.poll() is None  # collectd itself keeps running
    finally:
        cd.stop()


def test_backlog_of_many_blocks_between_reads(tmp_path, t0):
    """100 MB arrive between two reads (1000 ports a block): one value per
    series, the newest, exact; nothing reordered or dropped by collectd."""
    log = str(tmp_path / "big.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 1, [("tcp", p, 1, 100, 1, 100) for p in range(1000)]))
    cd = Collectd(str(tmp_path / "cd"), log_block(log, "    Interval 2\n"), rrd=False)
    with cd:
        cd.wait_rows("t", "if_octets", "tcp-999", 1)
        # Over 100 MB of blocks at once: 660 blocks of 1000 ports.
        chunks = []
        for k in range(1, 661):
            chunks.append(block_text(t0 + 1 + k, [("tcp", p, k + 1, 100 * (k + 1), 1, 100)
                                                  for p in range(1000)]))
        with open(log, "a") as f:
            f.write("".join(chunks))
        assert os.path.getsize(log) > 100 * 1000 * 1000
        rows = cd.wait_rows("t", "if_octets", "tcp-999", 2, timeout=60)
        assert rows[-1] == (t0 + 661, 66100, 100)
        assert cd.wait_rows("t", "if_packets", "tcp-0", 2, timeout=30)[-1] == (t0 + 661, 661, 1)
        time.sleep(2.5)
        assert len(cd.csv_rows("t", "if_octets", "tcp-500")) == 2
    assert "Value too old" not in cd.log()


def test_fifo_and_directory_in_place_of_the_log(tmp_path, t0):
    log = str(tmp_path / "f.log")
    os.mkfifo(log)
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        cd.wait_log("is not a regular file")
        time.sleep(1.5)
        assert cd.proc.poll() is None
        os.unlink(log)
        append(log, started_line(t0))
        append(log, block_text(t0 + 60, [("udp", 514, 3, 300, 0, 0)]))
        assert cd.wait_rows("t", "if_octets", "udp-514", 1) == [(t0 + 60, 300, 0)]


def test_clock_stepping_back_an_hour_keeps_exact_counts(tmp_path, t0):
    log = str(tmp_path / "clock.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 3600, [("tcp", 22, 1, 100, 1, 10)]))
    cd = Collectd(str(tmp_path / "cd"), log_block(log))
    with cd:
        assert cd.wait_rows("t", "if_octets", "tcp-22", 1) == [(t0 + 3600, 100, 10)]
        # The clock steps back an hour: iptraf stamps earlier times.
        append(log, block_text(t0 + 60, [("tcp", 22, 2, 200, 2, 20)]))
        append(log, block_text(t0 + 120, [("tcp", 22, 3, 300, 3, 30)]))
        cd.wait_log("held back")
        time.sleep(1.5)
        assert len(cd.csv_rows("t", "if_octets", "tcp-22")) == 1
        # An hour later the stamps pass the last value again: nothing lost.
        append(log, block_text(t0 + 3660, [("tcp", 22, 4, 400, 4, 40)]))
        rows = cd.wait_rows("t", "if_octets", "tcp-22", 2)
        assert rows == [(t0 + 3600, 100, 10), (t0 + 3660, 400, 40)]


# --- the state file: what a restarted collectd does not send again ----------

STATE_INFO = "were dispatched before collectd restarted; not sent again"


def read_state(path):
    """{(instance, log path): time} from a state file (tab-separated lines)."""
    state = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            instance, log, t = line.rstrip("\n").split("\t")
            state[(instance, log)] = int(t)
    return state


def wait_rrd(cd, instance, type_, ti, t, timeout=10):
    """Waits until the rrdtool plugin has written the value at `t`."""
    p = cd.rrd_path(instance, type_, ti)
    wait_until(lambda: os.path.exists(p) and rrd_lastupdate(p)[0] == t,
               timeout, "%s-%s at %d in its RRD" % (type_, ti, t))


def plugin_block(log, options="", log_options=""):
    return ('<Plugin iptraf_services>\n%s  <Log "%s">\n    Instance "t"\n%s  </Log>\n'
            '</Plugin>\n' % (options, log, log_options))


def test_collectd_restart_without_new_block_sends_nothing_again(tmp_path, t0):
    """collectd restarts and the log has no new block: the last block is not
    dispatched again (the rrdtool plugin would reject it, one error line per
    RRD file); the next block goes out as usual, with exact totals."""
    log = str(tmp_path / "r.log")
    names = ("tcp-443", "udp-53")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 443, 1, 100, 1, 1000),
                                     ("udp", 53, 2, 200, 3, 300)]))
    work = str(tmp_path / "cd")
    with Collectd(work, log_block(log)) as cd:
        assert cd.wait_rows("t", "if_octets", "tcp-443", 1) == [(t0 + 60, 100, 1000)]
        for type_ in ("if_octets", "if_packets"):
            for ti in names:
                wait_rrd(cd, "t", type_, ti, t0 + 60)
    with Collectd(work, log_block(log)) as cd:
        cd.wait_log("following")
        time.sleep(2.5)  # the catch-up read and a few more
        assert cd.csv_rows("t", "if_octets", "tcp-443") == [(t0 + 60, 100, 1000)]
        assert cd.csv_rows("t", "if_packets", "udp-53") == [(t0 + 60, 2, 3)]
        assert "illegal attempt to update" not in cd.log()
        assert cd.log().count(STATE_INFO) == 1
        # The next block goes out as usual.
        append(log, block_text(t0 + 120, [("tcp", 443, 3, 300, 1, 1000),
                                          ("udp", 53, 2, 200, 5, 500)]))
        assert cd.wait_rows("t", "if_octets", "tcp-443", 2) == [
            (t0 + 60, 100, 1000), (t0 + 120, 300, 1000)]
        assert cd.wait_rows("t", "if_octets", "udp-53", 2)[-1] == (t0 + 120, 200, 500)
        for type_ in ("if_octets", "if_packets"):
            for ti in names:
                wait_rrd(cd, "t", type_, ti, t0 + 120)
    log_text = cd.log()
    assert "illegal attempt to update" not in log_text
    assert log_text.count(STATE_INFO) == 1
    assert rrd_lastupdate(cd.rrd_path("t", "if_octets", "tcp-443")) == (t0 + 120, {"rx": 300, "tx": 1000})
    assert rrd_lastupdate(cd.rrd_path("t", "if_packets", "tcp-443")) == (t0 + 120, {"rx": 3, "tx": 1})
    assert rrd_lastupdate(cd.rrd_path("t", "if_octets", "udp-53")) == (t0 + 120, {"rx": 200, "tx": 500})
    # The default state file, in collectd's BaseDir.
    assert read_state(os.path.join(work, "iptraf_services.state")) == {("t", log): t0 + 120}


def test_replay_history_after_restart_sends_only_the_blocks_written_meanwhile(tmp_path):
    log = str(tmp_path / "tcp_udp_services-lo.log")
    shutil.copy(os.path.join(DATA, "runA-after-rotation-then-runB.log"), log)
    cfg = ('<Plugin iptraf_services>\n <Log "%s">\n  ReplayHistory true\n'
           '  Port "tcp/http"\n </Log>\n</Plugin>\n' % log)
    history = [(1795970881, 3262, 603664), (1795970897, 4488, 804920),
               (1795970909, 4488, 804920), (1795970930, 4488 + 1226, 804920 + 201256),
               (1795970946, 4488 + 1226, 804920 + 201256)]
    last = 1795970946
    work = str(tmp_path / "cd")
    with Collectd(work, cfg) as cd:
        assert cd.wait_rows("lo", "if_octets", "tcp-80", 5) == history
        wait_rrd(cd, "lo", "if_octets", "tcp-80", last)
        wait_rrd(cd, "lo", "if_packets", "tcp-80", last)
    # iptraf goes on while collectd is down: two blocks of run B.
    append(log, block_text(last + 60, [("tcp", 80, 30, 2000, 20, 300000)]))
    append(log, block_text(last + 120, [("tcp", 80, 40, 3000, 30, 400000)]))
    with Collectd(work, cfg) as cd:
        cd.wait_rows("lo", "if_octets", "tcp-80", 7)
        wait_rrd(cd, "lo", "if_octets", "tcp-80", last + 120)
        time.sleep(1.5)
        assert cd.csv_rows("lo", "if_octets", "tcp-80") == history + [
            (last + 60, 4488 + 2000, 804920 + 300000),
            (last + 120, 4488 + 3000, 804920 + 400000)]
        cd.wait_log(STATE_INFO)
    assert "illegal attempt to update" not in cd.log()
    assert rrd_lastupdate(cd.rrd_path("lo", "if_octets", "tcp-80")) == (
        last + 120, {"rx": 4488 + 3000, "tx": 804920 + 400000})
    assert rrd_lastupdate(cd.rrd_path("lo", "if_packets", "tcp-80")) == (
        last + 120, {"rx": 72 + 40, "tx": 62 + 30})


def test_corrupt_state_file_lines_are_named_and_values_still_go_out(tmp_path, t0):
    log = str(tmp_path / "c.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 25, 1, 10, 1, 20)]))
    work = str(tmp_path / "cd")
    os.makedirs(work)
    state = os.path.join(work, "its.state")
    with open(state, "w") as f:
        f.write("# a comment\n")
        f.write("t\t%s\tnot-a-time\n" % log)  # line 2: this very source
        f.write("garbage\n")                    # line 3
        f.write("other\t/var/log/other.log\t1700000000\n")
    # A relative StateFile is taken from BaseDir.
    with Collectd(work, plugin_block(log, '  StateFile "its.state"\n')) as cd:
        assert cd.wait_rows("t", "if_octets", "tcp-25", 1) == [(t0 + 60, 10, 20)]
        text = cd.wait_log("%s line 3:" % state) and cd.log()
        assert "%s line 2: " % state in text
        assert "line 1:" not in text and "line 4:" not in text
        assert cd.proc.poll() is None
        # Rewritten without the bad lines once values went out.
        wait_until(lambda: read_state(state) == {("t", log): t0 + 60}, 10,
                   "the state file rewritten")
    assert cd.log().count("%s line 2: " % state) == 1


def test_state_file_that_cannot_be_written_is_reported_once(tmp_path, t0):
    log = str(tmp_path / "w.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("udp", 123, 1, 76, 1, 76)]))
    state = str(tmp_path / "no-such-dir" / "its.state")
    with Collectd(str(tmp_path / "cd"), plugin_block(log, '  StateFile "%s"\n' % state)) as cd:
        assert cd.wait_rows("t", "if_octets", "udp-123", 1) == [(t0 + 60, 76, 76)]
        cd.wait_log("cannot write the state file %s" % state)
        append(log, block_text(t0 + 120, [("udp", 123, 2, 152, 2, 152)]))
        assert cd.wait_rows("t", "if_octets", "udp-123", 2)[-1] == (t0 + 120, 152, 152)
        time.sleep(1.5)
        assert cd.proc.poll() is None
        assert cd.log().count("cannot write the state file") == 1
        # The directory appears: written with the next read, and said.
        os.mkdir(os.path.dirname(state))
        cd.wait_log("the state file %s is written again" % state)
        assert read_state(state) == {("t", log): t0 + 120}
    assert cd.log().count("cannot write the state file") == 1
    assert "No such file or directory" in cd.log()


def test_state_file_false_keeps_the_old_behaviour(tmp_path, t0):
    """StateFile false: no state file; a restart sends the last block again."""
    log = str(tmp_path / "f.log")
    append(log, started_line(t0))
    append(log, block_text(t0 + 60, [("tcp", 22, 1, 100, 1, 10)]))
    work = str(tmp_path / "cd")
    cfg = plugin_block(log, "  StateFile false\n")
    with Collectd(work, cfg) as cd:
        assert cd.wait_rows("t", "if_octets", "tcp-22", 1) == [(t0 + 60, 100, 10)]
        wait_rrd(cd, "t", "if_octets", "tcp-22", t0 + 60)
    with Collectd(work, cfg) as cd:
        assert cd.wait_rows("t", "if_octets", "tcp-22", 2) == [(t0 + 60, 100, 10)] * 2
    assert not [f for f in os.listdir(work) if "state" in f]
    assert STATE_INFO not in cd.log()
