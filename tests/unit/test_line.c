/* Unit tests of the line parser and the ctime parser. */
#include <stdlib.h>
#include <time.h>

#include "byte_count.h"
#include "civil_time.h"
#include "iptraf_line.h"
#include "unit.h"

static iptraf_line_t parse(const char *s) {
  iptraf_line_t l;
  iptraf_line_parse(s, strlen(s), &l);
  return l;
}

static void test_ng_port_line(void) {
  iptraf_line_t l = parse(
      "TCP/80: 98 packets, 606926 bytes total,    373.49 kbps; 52 packets, "
      "3262 bytes incoming,      2.00 kbps; 46 packets, 603664 bytes "
      "outgoing,    371.48 kbps");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK(l.proto == ITS_PROTO_TCP);
  CHECK_U64(l.port, 80);
  CHECK_U64(l.total_packets, 98);
  CHECK_U64(l.total_bytes, 606926);
  CHECK_U64(l.in_packets, 52);
  CHECK_U64(l.in_bytes, 3262);
  CHECK_U64(l.out_packets, 46);
  CHECK_U64(l.out_bytes, 603664);
}

static void test_ng_kBps_and_names(void) {
  iptraf_line_t l =
      parse("TCP/netbios-ss: 4 packets, 200 bytes total,      0.02 kBps; 2 "
            "packets, 120 bytes incoming,      0.01 kBps; 2 packets, 80 bytes "
            "outgoing,      0.01 kBps");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK(l.port == -1);
  CHECK_STR(l.name, "netbios-ss");
  CHECK_U64(l.in_bytes, 120);
  CHECK_U64(l.out_bytes, 80);

  l = parse("UDP/echo: 20 packets, 2560 bytes total,      0.21 kBps; 10 "
            "packets, 1280 bytes incoming,      0.10 kBps; 10 packets, 1280 "
            "bytes outgoing,      0.10 kBps");
  CHECK(l.kind == IPTRAF_LINE_PORT && l.proto == ITS_PROTO_UDP);
  CHECK_STR(l.name, "echo");
}

static void test_decimal_comma_and_mbps(void) {
  iptraf_line_t l =
      parse("UDP/53: 1234 packets, 99999 bytes total,      1,23 Mbps; 617 "
            "packets, 50000 bytes incoming,      0,61 Mbps; 617 packets, "
            "49999 bytes outgoing,      0,62 Mbps");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK_U64(l.port, 53);
  CHECK_U64(l.in_packets, 617);
  CHECK_U64(l.out_bytes, 49999);
}

static void test_legacy_formats(void) {
  /* iptraf 2.5.0, as the article quotes it (no space after one ';'). */
  iptraf_line_t l =
      parse("TCP/22: 4645 packets, 4302156 bytes total; 3027 packets, 4198328 "
            "bytes incoming;1618 packets, 103828 bytes outgoing");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK_U64(l.in_bytes, 4198328);
  CHECK_U64(l.out_packets, 1618);
  CHECK_U64(l.out_bytes, 103828);
  /* iptraf 3.0.0: kbits/s, rates sometimes absent. */
  l = parse("TCP/22: 4645 packets, 4302156 bytes total, 114.72 kbits/s; 3027 "
            "packets, 4198328 bytes incoming, 111.96 kbits/s; 1618 packets, "
            "103828 bytes outgoing, 2.77 kbits/s");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK_U64(l.in_packets, 3027);
  l = parse("UDP/53: 2 packets, 140 bytes total; 1 packets, 60 bytes "
            "incoming; 1 packets, 80 bytes outgoing");
  CHECK(l.kind == IPTRAF_LINE_PORT && l.proto == ITS_PROTO_UDP);
  CHECK_U64(l.out_bytes, 80);
  /* CRLF */
  l = parse("TCP/1: 1 packets, 2 bytes total; 1 packets, 2 bytes incoming; 0 "
            "packets, 0 bytes outgoing\r");
  CHECK(l.kind == IPTRAF_LINE_PORT);
}

static void test_64bit_counters(void) {
  iptraf_line_t l =
      parse("TCP/443: 18446744073709551615 packets, 18446744073709551615 "
            "bytes total; 1 packets, 18446744073709551615 bytes incoming; 0 "
            "packets, 0 bytes outgoing");
  CHECK(l.kind == IPTRAF_LINE_PORT);
  CHECK_U64(l.in_bytes, UINT64_MAX);
  l = parse("TCP/443: 1 packets, 18446744073709551616 bytes total; 1 packets, "
            "1 bytes incoming; 0 packets, 0 bytes outgoing");
  CHECK(l.kind == IPTRAF_LINE_INVALID);
  CHECK(l.error && strstr(l.error, "64 bits"));
  l = parse("TCP/443: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming; "
            "0 packets, 99999999999999999999999999 bytes outgoing");
  CHECK(l.kind == IPTRAF_LINE_INVALID);
}

static void test_invalid_lines(void) {
  const char *bad[] = {
      "garbage",
      "TCP/: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming; 0 "
      "packets, 0 bytes outgoing",
      "TCP/70000: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming; 0 "
      "packets, 0 bytes outgoing",
      "TCP/80: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming",
      "TCP/80: 1 packets, 1 bytes total; 1 packets, 1 bytes incoming; 0 "
      "packets, 0 bytes outgoing trailing",
      "TCP/80: -1 packets, 1 bytes total; 1 packets, 1 bytes incoming; 0 "
      "packets, 0 bytes outgoing",
      "TCP/80: 1 packets, 1 bytes total, ####; 1 packets, 1 bytes incoming; 0 "
      "packets, 0 bytes outgoing",
      "ICMP/80: 1 packets",
      "*** TCP/UDP traffic log, generated yesterday",
      "Running time: soon",
      "Sun Nov 29 16:47:29 2026; ******** something else ********",
      "TCP/80: 98 packets, 606926 bytes total,    373.49 kbps; 52 packets, "
      "3262 bytes incoming,      2.00 kbps; 46 packets, 6036",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    iptraf_line_t l = parse(bad[i]);
    CHECK(l.kind == IPTRAF_LINE_INVALID);
    CHECK(l.error != NULL);
  }
}

static void test_event_lines(void) {
  iptraf_line_t l =
      parse("Sun Nov 29 16:47:29 2026; ******** TCP/UDP service monitor "
            "started ********");
  CHECK(l.kind == IPTRAF_LINE_STARTED);
  CHECK_U64(l.time.year, 2026);
  CHECK_U64(l.time.month, 11);
  CHECK_U64(l.time.day, 29);
  CHECK_U64(l.time.hour, 16);
  CHECK_U64(l.time.minute, 47);
  CHECK_U64(l.time.second, 29);
  CHECK_U64(l.garbage_prefix, 0);
  l = parse("Sun Nov 29 16:48:29 2026; ******** TCP/UDP service monitor "
            "stopped ********");
  CHECK(l.kind == IPTRAF_LINE_STOPPED);
  l = parse("Sun Nov 29 16:48:01 2026; ***** USR1 signal received, preparing "
            "to reopen log file *****");
  CHECK(l.kind == IPTRAF_LINE_USR1);
  l = parse("Sun Nov 29 16:48:01 2026; ***** Logfile reopened *****");
  CHECK(l.kind == IPTRAF_LINE_REOPENED);
  l = parse("*** TCP/UDP traffic log, generated Sun Nov  1 14:34:12 2009");
  CHECK(l.kind == IPTRAF_LINE_BLOCK_HEADER);
  CHECK_U64(l.time.day, 1);
  CHECK_U64(l.time.year, 2009);
  l = parse("Running time: 1795970605 seconds");
  CHECK(l.kind == IPTRAF_LINE_RUNNING_TIME);
  CHECK_U64(l.running_time, 1795970605);
  l = parse("");
  CHECK(l.kind == IPTRAF_LINE_BLANK);
  l = parse("   \r");
  CHECK(l.kind == IPTRAF_LINE_BLANK);
}

/* iptraf died mid-line; the next run's start line was appended to it. */
static void test_cut_line_glued_to_start(void) {
  const char *s = "UDP/459: 2 packets, 76 bytes total,      0.61 kbps; 2 "
                  "packets, 76 bytes incoming,      0Sun Nov 29 16:51:00 "
                  "2026; ******** TCP/UDP service monitor started ********";
  iptraf_line_t l = parse(s);
  CHECK(l.kind == IPTRAF_LINE_STARTED);
  CHECK(l.garbage_prefix > 0);
  CHECK_U64(l.time.minute, 51);
}

static void test_dst(void) {
  /* Europe/Berlin, 2026-10-25: 02:00-03:00 happens twice. */
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  civil_time_t first = {2026, 10, 25, 2, 30, 0};
  time_t t1 = civil_time_to_epoch(&first, 0);
  CHECK_U64(t1, 1792888200); /* 00:30 UTC, still DST */
  time_t t2 = civil_time_to_epoch(&first, t1 + 1);
  CHECK_U64(t2, 1792891800); /* 01:30 UTC, standard time */
  civil_time_t after = {2026, 10, 25, 3, 0, 0};
  CHECK_U64(civil_time_to_epoch(&after, t2), 1792893600);
  /* Spring forward: 2026-03-29 02:30 does not exist; mktime's answer. */
  civil_time_t gap = {2026, 3, 29, 2, 30, 0};
  CHECK(civil_time_to_epoch(&gap, 0) != (time_t)-1);
  setenv("TZ", "UTC", 1);
  tzset();
  civil_time_t utc = {2026, 11, 29, 16, 47, 29};
  CHECK_U64(civil_time_to_epoch(&utc, 0), 1795970849);
}

static void test_civil_time_parse(void) {
  civil_time_t ct;
  const char *s = "Sun Jan 27 00:35:22 2002";
  CHECK_U64(civil_time_parse(s, strlen(s), &ct), 24);
  CHECK_U64(ct.year, 2002);
  CHECK_U64(ct.hour, 0);
  s = "Xyz Jan 27 00:35:22 2002";
  CHECK_U64(civil_time_parse(s, strlen(s), &ct), 0);
  s = "Sun Jan 27 25:35:22 2002";
  CHECK_U64(civil_time_parse(s, strlen(s), &ct), 0);
  s = "Sun Jan 27 00:35";
  CHECK_U64(civil_time_parse(s, strlen(s), &ct), 0);
}

/* byte_count (newlines of a stretch skipped in bulk) against a plain loop:
 * every start alignment, lengths around the vector widths and the 255-step
 * lane limit, buffers full of the byte. */
static void test_byte_count(void) {
  static char buf[70000];
  srand(7);
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (rand() % 5 == 0) ? '\n' : (char)(rand() % 256);
  static const size_t lens[] = {0,    1,    15,   16,    17,    63,    64,   65,
                                4079, 4080, 4081, 16320, 16384, 65536, 69000};
  for (size_t a = 0; a < 16; a++)
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
      uint64_t want = 0;
      for (size_t i = 0; i < lens[k]; i++)
        want += buf[a + i] == '\n';
      CHECK_U64(byte_count(buf + a, lens[k], '\n'), want);
    }
  memset(buf, '\n', sizeof(buf));
  CHECK_U64(byte_count(buf + 3, 69999 - 3, '\n'), 69996);
  CHECK_U64(byte_count(buf, sizeof(buf), 0xff), 0);
  buf[100] = (char)0xff;
  CHECK_U64(byte_count(buf, sizeof(buf), 0xff), 1);
}

int main(void) {
  RUN(test_ng_port_line);
  RUN(test_byte_count);
  RUN(test_ng_kBps_and_names);
  RUN(test_decimal_comma_and_mbps);
  RUN(test_legacy_formats);
  RUN(test_64bit_counters);
  RUN(test_invalid_lines);
  RUN(test_event_lines);
  RUN(test_cut_line_glued_to_start);
  RUN(test_dst);
  RUN(test_civil_time_parse);
  UNIT_MAIN_END();
}
