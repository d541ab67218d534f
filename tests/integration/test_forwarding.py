"""Forwarding with the network plugin, configured from the shipped
collectd.conf.d/network-sensor.conf.example and network-server.conf.example:
a sensor ("sensor1") with the plugin sends encrypted to a central collectd on
127.0.0.1, which stores the sensor's exact counts under the sensor's host
name (csv and RRD files, the RRDs with rrdtool-mrtg.conf.example's layout);
a second sensor with a wrong password is rejected and nothing of it stored.
"""
import os
import re
import socket
import time

from harness import (ConfCollectd, append, block_text, conf_example, free_port,
                     rrd_info, rrd_lastupdate, started_line, wait_until)


def server_config(port, authfile):
    return ("""LoadPlugin csv
<Plugin csv>
  DataDir "%(csv)s"
  StoreRates false
</Plugin>
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "%(rrd)s"
  CacheTimeout 0
</Plugin>
""" + conf_example("rrdtool-mrtg.conf.example")
            + conf_example("network-server.conf.example", [
                ('<Listen "0.0.0.0" "25826">', '<Listen "127.0.0.1" "%d">' % port),
                ('AuthFile "/etc/collectd/passwd"', 'AuthFile "%s"' % authfile)]))


def sensor_config(port, user, password, log):
    return (conf_example("network-sensor.conf.example", [
        ('<Server "collector.example.org" "25826">', '<Server "127.0.0.1" "%d">' % port),
        ('Username "sensor1"', 'Username "%s"' % user),
        ('Password "change-me"', 'Password "%s"' % password)])
        + """PluginDir "%%(plugins)s"
LoadPlugin iptraf_services
<Plugin iptraf_services>
  <Log "%s">
    Instance "eth0"
  </Log>
</Plugin>
""" % log)


def flush_interval():
    text = conf_example("network-sensor.conf.example")
    m = re.search(r"^<LoadPlugin network>.*?^\s*FlushInterval\s+(\d+)\s*$.*?^</LoadPlugin>",
                  text, re.M | re.S)
    assert m, "network-sensor.conf.example sets no FlushInterval for the network plugin"
    return int(m.group(1))


def test_sensor_values_reach_the_server_encrypted_and_a_wrong_password_is_rejected(tmp_path):
    port = free_port(socket.SOCK_DGRAM)
    authfile = str(tmp_path / "passwd")
    with open(authfile, "w") as f:
        f.write("sensor1: s3cret-one\nsensor2: s3cret-two\n")
    os.chmod(authfile, 0o600)
    latency = flush_interval() + 5  # a flush, plus a read interval and slack

    t0 = (int(time.time()) // 300) * 300 - 1800
    log1, log2 = str(tmp_path / "sensor1.log"), str(tmp_path / "sensor2.log")
    for log in (log1, log2):
        append(log, started_line(t0))
    # Only a log's last block is sent at start: the earlier one is history.
    append(log1, block_text(t0 + 300, [("tcp", 22, 1, 1, 1, 1)], running=300))
    append(log1, block_text(t0 + 600, [("tcp", 22, 30, 41000, 20, 3700),
                                       ("udp", 53, 4, 312, 4, 588)], running=600))
    append(log2, block_text(t0 + 600, [("tcp", 22, 9, 999, 9, 999)], running=600))

    server = ConfCollectd(str(tmp_path / "server"), "central", server_config(port, authfile))
    sensor1 = ConfCollectd(str(tmp_path / "sensor1"), "sensor1",
                           sensor_config(port, "sensor1", "s3cret-one", log1))
    sensor2 = ConfCollectd(str(tmp_path / "sensor2"), "sensor2",
                           sensor_config(port, "sensor2", "wrong-password", log2))
    try:
        server.start()
        started = time.time()
        sensor1.start()
        sensor2.start()
        rows = lambda ti: server.host_csv_rows("sensor1", "eth0", "if_octets", ti)  # noqa: E731
        packets = lambda ti: server.host_csv_rows("sensor1", "eth0", "if_packets", ti)  # noqa: E731
        # if_octets and if_packets are separate values: wait for both.
        wait_until(lambda: rows("tcp-22") and rows("udp-53") and packets("tcp-22"), latency,
                   "sensor1's first values")
        assert time.time() - started < latency
        assert rows("tcp-22") == [(t0 + 600, 41000, 3700)]
        assert rows("udp-53") == [(t0 + 600, 312, 588)]
        assert packets("tcp-22") == [(t0 + 600, 30, 20)]
        # sensor2's packets arrived and were dropped.
        server.wait_log("Checksum mismatch. Username: sensor2", timeout=latency)

        # A new block on the sensor reaches the server within one flush.
        appended = time.time()
        append(log1, block_text(t0 + 900, [("tcp", 22, 35, 50000, 25, 4500),
                                           ("udp", 53, 4, 312, 4, 588)], running=900))
        append(log2, block_text(t0 + 900, [("tcp", 22, 10, 1999, 10, 1999)], running=900))
        wait_until(lambda: len(rows("tcp-22")) == 2, latency, "sensor1's second block")
        assert time.time() - appended < latency
        assert rows("tcp-22") == [(t0 + 600, 41000, 3700), (t0 + 900, 50000, 4500)]
        wait_until(lambda: len(rows("udp-53")) == 2, latency, "udp-53's second value")
        assert rows("udp-53") == [(t0 + 600, 312, 588), (t0 + 900, 312, 588)]
        # sensor2's second block was sent and rejected too.
        wait_until(lambda: server.log().count("Username: sensor2") >= 2, latency,
                   "a second rejection of sensor2")
    finally:
        for c in (sensor1, sensor2, server):
            try:
                c.stop()
            except RuntimeError:
                pass

    # The server's files carry the sensor's host name and nothing of sensor2.
    assert sorted(os.listdir(server.csv_dir)) == ["sensor1"]
    assert sorted(os.listdir(server.rrd_dir)) == ["sensor1"]
    assert sorted(os.listdir(os.path.join(server.rrd_dir, "sensor1", "iptraf_services-eth0"))) == \
        ["if_octets-tcp-22.rrd", "if_octets-udp-53.rrd", "if_packets-tcp-22.rrd", "if_packets-udp-53.rrd"]
    rrd = server.host_rrd_path("sensor1", "eth0", "if_octets", "tcp-22")
    assert rrd_lastupdate(rrd) == (t0 + 900, {"rx": 50000, "tx": 4500})
    assert rrd_lastupdate(server.host_rrd_path("sensor1", "eth0", "if_packets", "tcp-22")) == \
        (t0 + 900, {"rx": 35, "tx": 25})
    info = rrd_info(rrd)
    assert info["step"] == 300 and info["rra[11].rows"] == 730 and info["rra[11].pdp_per_row"] == 288
    assert "sensor2" not in server.log().replace("Username: sensor2", "")
    assert "rrdtool plugin" not in server.log().replace("rrdtool plugin: Shutting", "")
    # Encrypted and authenticated: no other rejection, nothing unencrypted.
    assert server.log().count("Checksum mismatch") == server.log().count("Username: sensor2")
