"""The real iptraf-ng (`iptraf-ng -s lo -B`) in a network namespace, on
traffic the test makes: the plugin reports exactly what iptraf-ng logged."""
import time

import pytest

import iptraf_ng_runner as itr
from harness import Collectd, rrd_lastupdate

OK, WHY = itr.available()
pytestmark = pytest.mark.skipif(not OK, reason="iptraf-ng cannot run here: %s" % WHY)

SERVICES = {"echo": 7, "http-alt": 8080, "discard": 9}


def run_and_compare(tmp_path, servnames):
    with itr.IptrafNg(str(tmp_path / "ipt"), interval=3, servnames=servnames,
                      env={"TZ": "UTC"}) as ipt:
        ipt.wait_blocks(1, timeout=20)
        cfg = ('<Plugin iptraf_services>\n <Log "%s">\n  Instance "lo"\n'
               '  IncompleteBlockTimeout 30\n </Log>\n</Plugin>\n' % ipt.log_path)
        cd = Collectd(str(tmp_path / "cd"), cfg)
        with cd:
            for _ in range(2):
                itr.generate_traffic(ipt, udp_count=4, udp_size=150)
            ipt.wait_next_block(timeout=20)
            assert ipt.stop(), "iptraf-ng did not write its stop line"
            blocks = itr.parse_blocks(ipt.log_path)
            last = blocks[-1]
            assert last, "iptraf-ng logged no port"
            # Wait until collectd has the final block for every port.
            expected = {}
            for (proto, port), (ip_, ib, op, ob) in last.items():
                if isinstance(port, str):
                    port = SERVICES[port]
                expected[(proto, port)] = (ip_, ib, op, ob)
            deadline = time.time() + 15
            while True:
                got = {}
                for (proto, port) in expected:
                    o = cd.csv_rows("lo", "if_octets", "%s-%d" % (proto, port))
                    p = cd.csv_rows("lo", "if_packets", "%s-%d" % (proto, port))
                    if o and p:
                        got[(proto, port)] = (p[-1][1], o[-1][1], p[-1][2], o[-1][2])
                if got == expected or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert got == expected
            # The traffic is there: UDP echo on 7 over IPv4, 9 over IPv6,
            # iptraf-ng counting each loopback packet twice.
            assert expected[("udp", 7)] == (16, 16 * (150 + 28), 16, 16 * (150 + 28))
            assert expected[("udp", 9)] == (16, 16 * (150 + 48), 16, 16 * (150 + 48))
            assert expected[("tcp", 8080)][1] >= 2 * 2 * 10000
        # Same numbers in the RRD.
        t, vals = rrd_lastupdate(cd.rrd_path("lo", "if_octets", "udp-7"))
        assert vals == {"rx": expected[("udp", 7)][1], "tx": expected[("udp", 7)][3]}
        return cd


def test_plugin_reports_exactly_what_iptraf_ng_logged(tmp_path):
    cd = run_and_compare(tmp_path, servnames=False)
    assert "line skipped" not in cd.log()


def test_service_names_mapped_back_to_ports(tmp_path):
    run_and_compare(tmp_path, servnames=True)
    text = open(str(tmp_path / "ipt" / "log" / "tcp_udp_services-lo.log")).read()
    assert "UDP/echo:" in text and "TCP/http-alt:" in text  # names were logged
