/* Unit tests of the packet decoder, the fragment table and the counting
 * core, on packets built here byte by byte. */
#include <stdlib.h>

#include "frag_table.h"
#include "packet_decode.h"
#include "port_counters.h"
#include "portspec.h"
#include "unit.h"

/* --- packet builders --------------------------------------------------- */

static size_t put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return 2;
}

/* Ethernet header with `ntags` VLAN tags (outer 0x88a8 when QinQ). */
static size_t eth(uint8_t *p, int ntags, uint16_t type) {
  memset(p, 0, 12);
  size_t n = 12;
  for (int i = 0; i < ntags; i++) {
    n += put16(p + n, (ntags > 1 && i == 0) ? 0x88a8 : 0x8100);
    n += put16(p + n, (uint16_t)(100 + i));
  }
  n += put16(p + n, type);
  return n;
}

/* IPv4 header + 8 bytes of TCP/UDP ports; `frag` is the flags/offset word. */
static size_t ipv4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport,
                   uint16_t payload, uint16_t id, uint16_t frag) {
  memset(p, 0, 28);
  p[0] = 0x45;
  put16(p + 2, (uint16_t)(20 + payload));
  put16(p + 4, id);
  put16(p + 6, frag);
  p[8] = 64;
  p[9] = proto;
  p[12] = 127, p[15] = 1;
  p[16] = 127, p[19] = 2;
  put16(p + 20, sport);
  put16(p + 22, dport);
  return 28;
}

static size_t ipv6(uint8_t *p, uint8_t nh, uint16_t plen) {
  memset(p, 0, 40);
  p[0] = 0x60;
  put16(p + 4, plen);
  p[6] = nh;
  p[7] = 64;
  p[23] = 1;
  p[39] = 1;
  return 40;
}

/* The frames built here hold the headers only, as a capture cut by a
 * snapshot length: on the wire they were longer (4096 bytes, or the
 * frame's own length when longer). */
static size_t wire_of(size_t n) { return n > 4096 ? n : 4096; }

static port_set_t all_ports;

static decode_result_t decode(int dlt, const uint8_t *p, size_t n) {
  decode_result_t r;
  memset(&r, 0, sizeof(r));
  packet_decode(dlt, p, n, wire_of(n), &r);
  return r;
}

/* --- decoder ----------------------------------------------------------- */

static void test_ipv4_tcp_udp_and_vlans(void) {
  uint8_t b[256];
  for (int tags = 0; tags <= 2; tags++) {
    size_t n = eth(b, tags, 0x0800);
    n += ipv4(b + n, 6, 40000, 80, 100, 1, 0);
    decode_result_t r = decode(ITS_DLT_EN10MB, b, n);
    CHECK(r.kind == DECODE_PORTS);
    CHECK_U64(r.proto, 6);
    CHECK_U64(r.sport, 40000);
    CHECK_U64(r.dport, 80);
    CHECK_U64(r.ip_bytes, 120); /* IP bytes, not the frame */
  }
  size_t n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 53, 53, 30, 1, 0);
  decode_result_t r = decode(ITS_DLT_EN10MB, b, n);
  CHECK(r.kind == DECODE_PORTS && r.proto == 17 && r.sport == 53);
  /* ICMP and ARP */
  n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 1, 0, 0, 8, 1, 0);
  CHECK(decode(ITS_DLT_EN10MB, b, n).kind == DECODE_NOT_TCP_UDP);
  n = eth(b, 0, 0x0806);
  CHECK(decode(ITS_DLT_EN10MB, b, n + 28).kind == DECODE_NOT_IP);
}

static void test_ipv6_extension_headers(void) {
  uint8_t b[256];
  /* hop-by-hop (8) -> destination options (16) -> UDP */
  size_t n = eth(b, 1, 0x86dd);
  size_t ip = n;
  n += ipv6(b + n, 0, 8 + 16 + 8 + 20);
  b[n] = 60, b[n + 1] = 0;
  n += 8;
  b[n] = 17, b[n + 1] = 1;
  n += 16;
  put16(b + n, 5353);
  put16(b + n + 2, 53);
  n += 8;
  decode_result_t r = decode(ITS_DLT_EN10MB, b, n);
  CHECK(r.kind == DECODE_PORTS && r.proto == 17);
  CHECK_U64(r.dport, 53);
  CHECK_U64(r.ip_bytes, 40 + 8 + 16 + 8 + 20);
  (void)ip;
  /* ICMPv6 */
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 58, 8);
  CHECK(decode(ITS_DLT_EN10MB, b, n + 8).kind == DECODE_NOT_TCP_UDP);
  /* A loop of extension headers is bounded. */
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 60, 160);
  for (int i = 0; i < 20; i++, n += 8)
    b[n] = 60, b[n + 1] = 0;
  r = decode(ITS_DLT_EN10MB, b, n);
  CHECK(r.kind == DECODE_MALFORMED);
}

static void test_fragments(void) {
  uint8_t b[256] = {0};
  /* IPv4: first fragment (MF), then a later one. */
  size_t n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 1111, 2222, 1480, 77, 0x2000);
  decode_result_t first = decode(ITS_DLT_EN10MB, b, n);
  CHECK(first.kind == DECODE_PORTS && first.first_fragment);
  n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 0, 0, 500, 77, 185);
  decode_result_t later = decode(ITS_DLT_EN10MB, b, n);
  CHECK(later.kind == DECODE_FRAGMENT);
  CHECK_U64(later.ip_bytes, 520);
  CHECK(later.frag.id == first.frag.id && later.frag.family == 4);

  /* IPv6: fragment header, offset 0 with M, then offset > 0. */
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 44, 8 + 8 + 100);
  b[n] = 6;
  put16(b + n + 2, 0x0001);
  b[n + 7] = 9;
  n += 8;
  put16(b + n, 443), put16(b + n + 2, 55555);
  n += 8;
  decode_result_t f6 = decode(ITS_DLT_EN10MB, b, n);
  CHECK(f6.kind == DECODE_PORTS && f6.first_fragment && f6.sport == 443);
  memset(b, 0, sizeof(b));
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 44, 8 + 200);
  b[n] = 6;
  put16(b + n + 2, 0x0010);
  b[n + 7] = 9;
  decode_result_t l6 = decode(ITS_DLT_EN10MB, b, n + 8);
  CHECK(l6.kind == DECODE_FRAGMENT && l6.frag.id == 9);
  CHECK_U64(l6.ip_bytes, 248);
}

/* Every prefix of a valid packet decodes to something without reading past
 * the captured length (run under ASan by the sanitizer build). */
static void test_every_truncation_is_safe(void) {
  uint8_t full[256] = {0};
  size_t n = eth(full, 2, 0x86dd);
  n += ipv6(full + n, 0, 8 + 8 + 8);
  full[n] = 44, full[n + 1] = 0;
  n += 8;
  full[n] = 6;
  n += 8;
  put16(full + n, 1), put16(full + n + 2, 2);
  n += 8;
  for (size_t len = 0; len <= n; len++) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, full, len);
    decode_result_t r = decode(ITS_DLT_EN10MB, copy, len);
    if (len < n - 4)
      CHECK(r.kind == DECODE_MALFORMED);
    free(copy);
  }
  CHECK(decode(ITS_DLT_EN10MB, full, n).kind == DECODE_PORTS);
}

static void test_link_types(void) {
  uint8_t b[128], ip[64];
  size_t iplen = ipv4(ip, 6, 22, 50000, 40, 1, 0);
  /* raw IP */
  decode_result_t r = decode(ITS_DLT_RAW, ip, iplen);
  CHECK(r.kind == DECODE_PORTS && r.sport == 22);
  CHECK(decode(ITS_DLT_LINKTYPE_RAW, ip, iplen).kind == DECODE_PORTS);
  CHECK(decode(ITS_DLT_IPV4, ip, iplen).kind == DECODE_PORTS);
  /* Linux cooked v1: protocol at 14 */
  memset(b, 0, 16);
  put16(b + 14, 0x0800);
  memcpy(b + 16, ip, iplen);
  r = decode(ITS_DLT_LINUX_SLL, b, 16 + iplen);
  CHECK(r.kind == DECODE_PORTS && r.dport == 50000);
  /* Linux cooked v2: protocol at 0, header 20 */
  memset(b, 0, 20);
  put16(b, 0x0800);
  memcpy(b + 20, ip, iplen);
  r = decode(ITS_DLT_LINUX_SLL2, b, 20 + iplen);
  CHECK(r.kind == DECODE_PORTS && r.sport == 22);
  /* BSD loopback, host order AF_INET = 2 */
  b[0] = 2, b[1] = b[2] = b[3] = 0;
  memcpy(b + 4, ip, iplen);
  CHECK(decode(ITS_DLT_NULL, b, 4 + iplen).kind == DECODE_PORTS);
  b[0] = 0, b[3] = 2;
  CHECK(decode(ITS_DLT_LOOP, b, 4 + iplen).kind == DECODE_PORTS);
  CHECK(decode(147, ip, iplen).kind == DECODE_NOT_IP);
  CHECK(!packet_decode_supports(147));
}

static void test_malformed_headers(void) {
  uint8_t b[128];
  size_t n = eth(b, 0, 0x0800);
  ipv4(b + n, 6, 1, 2, 40, 1, 0);
  b[n] = 0x43; /* IHL 3 */
  CHECK(decode(ITS_DLT_EN10MB, b, n + 60).kind == DECODE_MALFORMED);
  b[n] = 0x45;
  put16(b + n + 2, 10); /* total length below the header */
  CHECK(decode(ITS_DLT_EN10MB, b, n + 60).kind == DECODE_MALFORMED);
  put16(b + n + 2, 22); /* too short for the ports */
  CHECK(decode(ITS_DLT_EN10MB, b, n + 60).kind == DECODE_MALFORMED);
  b[n] = 0x55; /* version 5 behind an IPv4 ethertype */
  CHECK(decode(ITS_DLT_EN10MB, b, n + 60).kind == DECODE_MALFORMED);
  /* five VLAN tags */
  n = eth(b, 5, 0x0800);
  CHECK(decode(ITS_DLT_EN10MB, b, n + 40).kind == DECODE_MALFORMED);
}

/* --- fragment table ----------------------------------------------------- */

static frag_key_t key(uint32_t id) {
  frag_key_t k;
  memset(&k, 0, sizeof(k));
  k.family = 4;
  k.proto = 17;
  k.id = id;
  k.src[0] = 127;
  k.dst[0] = 127;
  return k;
}

static void test_frag_table(void) {
  frag_table_t *t = frag_table_new(16, 30);
  uint8_t proto;
  uint16_t sp, dp;
  frag_key_t k1 = key(1);
  CHECK(!frag_table_get(t, &k1, 100, &proto, &sp, &dp));
  frag_table_put(t, &k1, 17, 5000, 53, 100);
  CHECK(frag_table_get(t, &k1, 120, &proto, &sp, &dp));
  CHECK(proto == 17 && sp == 5000 && dp == 53);
  CHECK(!frag_table_get(t, &k1, 131, &proto, &sp, &dp)); /* expired */
  /* Bounded: many more datagrams than slots, newest still found. */
  for (uint32_t i = 0; i < 1000; i++) {
    frag_key_t k = key(1000 + i);
    frag_table_put(t, &k, 6, (uint16_t)i, 80, 200);
  }
  CHECK(frag_table_used(t, 200) <= 16);
  frag_key_t last = key(1999);
  CHECK(frag_table_get(t, &last, 200, &proto, &sp, &dp) && sp == 999);
  /* Another protocol or address is another datagram. */
  frag_key_t other = last;
  other.proto = 6 == last.proto ? 17 : 6;
  other.dst[3] = 9;
  CHECK(!frag_table_get(t, &other, 200, &proto, &sp, &dp));
  frag_table_free(t);
}

/* --- counting rules ------------------------------------------------------ */

static void count(port_counters_t *c, uint8_t proto, uint16_t sp, uint16_t dp,
                  uint16_t payload) {
  uint8_t b[128];
  size_t n = eth(b, 0, 0x0800);
  n += ipv4(b + n, proto, sp, dp, payload, 1, 0);
  port_counters_count(c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
}

static void test_counting_rules(void) {
  port_set_t set;
  port_set_clear(&set);
  port_set_add_range(&set, ITS_PROTO_TCP, 80, 80);
  port_set_add_range(&set, ITS_PROTO_TCP, 443, 443);
  port_set_add_range(&set, ITS_PROTO_UDP, 53, 53);
  port_counters_t c;
  CHECK(port_counters_init(&c, &set, 64, 60) == 0);
  count(&c, 6, 40000, 80, 80);  /* in for tcp/80 */
  count(&c, 6, 80, 40000, 980); /* out for tcp/80 */
  count(&c, 6, 443, 80, 8);     /* out for 443 and in for 80 */
  count(&c, 17, 53, 53, 12);    /* in and out for udp/53 */
  count(&c, 17, 80, 80, 12);    /* udp/80 not monitored: other */
  count(&c, 6, 1, 2, 8);        /* other */
  port_count_t *t80 = &c.ports[80], *t443 = &c.ports[443];
  port_count_t *u53 = &c.ports[65536 + 53];
  CHECK_U64(t80->in.packets, 2);
  CHECK_U64(t80->in.bytes, 100 + 28);
  CHECK_U64(t80->out.packets, 1);
  CHECK_U64(t80->out.bytes, 1000);
  CHECK_U64(t443->out.packets, 1);
  CHECK_U64(t443->in.packets, 0);
  CHECK_U64(u53->in.packets, 1);
  CHECK_U64(u53->out.packets, 1);
  CHECK_U64(u53->in.bytes, 32);
  CHECK_U64(c.other[1].packets, 1);
  CHECK_U64(c.other[0].packets, 1);
  CHECK_U64(c.seen_count, 3);
  /* A TCP header too short for its ports is malformed, counted visibly. */
  count(&c, 6, 1, 80, 0);
  CHECK_U64(c.malformed.packets, 1);
  CHECK_U64(t80->in.packets, 2);
  /* A later fragment without its first fragment is visible, not lost. */
  uint8_t b[128];
  size_t n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 0, 0, 100, 9, 100);
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  CHECK_U64(c.frag_unattributed.packets, 1);
  CHECK_U64(c.frag_unattributed.bytes, 120);
  /* With its first fragment first, it counts for the ports. */
  n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 5353, 53, 1000, 10, 0x2000);
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 0, 0, 100, 10, 125);
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  CHECK_U64(u53->in.packets, 3);
  CHECK_U64(u53->in.bytes, 32 + 1020 + 120);
  /* Snapshot copy */
  port_counters_t snap;
  CHECK(port_counters_init(&snap, &set, 0, 0) == 0);
  port_counters_copy(&snap, &c);
  CHECK_U64(snap.seen_count, 3);
  CHECK_U64(snap.ports[80].in.bytes, 128);
  CHECK_U64(snap.frag_unattributed.packets, 1);
  port_counters_destroy(&snap);
  port_counters_destroy(&c);
}

/* IPv6 later fragments of a datagram whose first fragment said it is not
 * TCP/UDP (ICMPv6 here) are "not TCP/UDP" too, as for IPv4; not
 * "fragments without their first fragment". */
static void test_ipv6_fragments_of_other_protocols(void) {
  port_set_t set;
  port_set_clear(&set);
  port_set_add_range(&set, ITS_PROTO_UDP, 0, 65535);
  port_counters_t c;
  CHECK(port_counters_init(&c, &set, 64, 60) == 0);
  uint8_t b[128] = {0};
  size_t n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 44, 8 + 16);
  b[n] = 58; /* ICMPv6 */
  put16(b + n + 2, 0x0001);
  b[n + 7] = 21;
  n += 8 + 16;
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  CHECK_U64(c.not_tcp_udp.packets, 1);
  CHECK_U64(c.not_tcp_udp.bytes, 40 + 24);
  memset(b, 0, sizeof(b));
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 44, 8 + 32);
  b[n] = 58;
  put16(b + n + 2, 0x0010); /* offset 16, last */
  b[n + 7] = 21;
  n += 8 + 32;
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  CHECK_U64(c.frag_unattributed.packets, 0);
  CHECK_U64(c.not_tcp_udp.packets, 2);
  CHECK_U64(c.not_tcp_udp.bytes, 40 + 24 + 40 + 40);
  /* A later fragment of a datagram never seen stays unattributed. */
  b[n - 32 - 1] = 22;
  port_counters_count(&c, ITS_DLT_EN10MB, b, n, wire_of(n), 0);
  CHECK_U64(c.frag_unattributed.packets, 1);
  CHECK_U64(c.seen_count, 0);
  port_counters_destroy(&c);
}

/* Up to 8 IPv6 extension headers are walked: 8 work, 9 are malformed. */
static void test_ipv6_eight_extension_headers(void) {
  for (int count = 7; count <= 9; count++) {
    uint8_t b[256] = {0};
    size_t n = eth(b, 0, 0x86dd);
    n += ipv6(b + n, 60, (uint16_t)(8 * count + 8));
    for (int i = 0; i < count; i++, n += 8)
      b[n] = i == count - 1 ? 17 : 60, b[n + 1] = 0;
    put16(b + n, 1000), put16(b + n + 2, 53);
    n += 8;
    decode_result_t r = decode(ITS_DLT_EN10MB, b, n);
    if (count <= 8) {
      CHECK(r.kind == DECODE_PORTS && r.dport == 53);
      /* ... and after 8, another upper layer is just not TCP/UDP
       * (fuzz_ebpf_diff found the C side calling it malformed) */
      b[n - 8 - 8] = 58;
      decode_result_t o = decode(ITS_DLT_EN10MB, b, n);
      CHECK(o.kind == DECODE_NOT_TCP_UDP);
      b[n - 8 - 8] = 17;
      CHECK_U64(r.ip_bytes, 40 + 8 * count + 8);
    } else {
      CHECK(r.kind == DECODE_MALFORMED);
    }
  }
}

/* Lengths: GSO / BIG TCP packets over 64 KiB count their real length; an
 * IP length beyond what the frame held on the wire is malformed. */
static void test_gso_jumbo_and_lengths_beyond_the_frame(void) {
  uint8_t b[256] = {0};
  decode_result_t r;
  /* IPv4 total length 0 on a 200000-byte frame (captured 128 bytes). */
  size_t n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 6, 40000, 443, 0, 1, 0);
  put16(b + 14 + 2, 0);
  memset(&r, 0, sizeof(r));
  packet_decode(ITS_DLT_EN10MB, b, n, 200000, &r);
  CHECK(r.kind == DECODE_PORTS && r.dport == 443);
  CHECK_U64(r.ip_bytes, 200000 - 14);
  /* ... but on a small frame it is malformed. */
  packet_decode(ITS_DLT_EN10MB, b, n, 1514, &r);
  CHECK(r.kind == DECODE_MALFORMED);
  /* IPv4 total length beyond the frame, captured whole: malformed; cut by
   * the snapshot length with the wire holding it: counted. */
  n = eth(b, 0, 0x0800);
  n += ipv4(b + n, 17, 1, 53, 100, 1, 0);
  packet_decode(ITS_DLT_EN10MB, b, n, n, &r);
  CHECK(r.kind == DECODE_MALFORMED);
  CHECK(strstr(r.why, "beyond the frame") != NULL);
  packet_decode(ITS_DLT_EN10MB, b, n, 14 + 120, &r);
  CHECK(r.kind == DECODE_PORTS && r.ip_bytes == 120);
  packet_decode(ITS_DLT_EN10MB, b, n, 14 + 119, &r);
  CHECK(r.kind == DECODE_MALFORMED);
  /* IPv6 jumbogram: payload length 0, hop-by-hop jumbo option 100000. */
  memset(b, 0, sizeof(b));
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 0, 0);
  b[n] = 6, b[n + 1] = 0;        /* hop-by-hop, 8 bytes, then TCP */
  b[n + 2] = 0xc2, b[n + 3] = 4; /* jumbo payload: 100000 */
  b[n + 4] = 0, b[n + 5] = 0x01, b[n + 6] = 0x86, b[n + 7] = 0xa0;
  n += 8;
  put16(b + n, 443), put16(b + n + 2, 50000);
  n += 20;
  packet_decode(ITS_DLT_EN10MB, b, n, 14 + 40 + 100000, &r);
  CHECK(r.kind == DECODE_PORTS && r.sport == 443 && r.dport == 50000);
  CHECK_U64(r.ip_bytes, 40 + 100000);
  /* ... longer than the frame: malformed. */
  packet_decode(ITS_DLT_EN10MB, b, n, 14 + 40 + 99999, &r);
  CHECK(r.kind == DECODE_MALFORMED);
  /* BIG TCP without the hop-by-hop header: payload length 0 on a frame of
   * more than 64 KiB counts the frame. */
  memset(b, 0, sizeof(b));
  n = eth(b, 0, 0x86dd);
  n += ipv6(b + n, 6, 0);
  put16(b + n, 443), put16(b + n + 2, 50000);
  n += 20;
  packet_decode(ITS_DLT_EN10MB, b, n, 14 + 185000, &r);
  CHECK(r.kind == DECODE_PORTS && r.ip_bytes == 185000);
  packet_decode(ITS_DLT_EN10MB, b, n, 1514, &r);
  CHECK(r.kind == DECODE_MALFORMED);
}

static void test_all_ports_monitored(void) {
  port_set_clear(&all_ports);
  port_set_add_range(&all_ports, ITS_PROTO_TCP, 0, 65535);
  port_set_add_range(&all_ports, ITS_PROTO_UDP, 0, 65535);
  port_counters_t c;
  CHECK(port_counters_init(&c, &all_ports, 64, 60) == 0);
  for (uint32_t p = 0; p < 65536; p++) {
    count(&c, 6, (uint16_t)p, (uint16_t)(65535 - p), 8);
    count(&c, 17, (uint16_t)p, (uint16_t)p, 8);
  }
  CHECK_U64(c.seen_count, 2 * 65536);
  CHECK_U64(c.ports[0].in.packets, 1);
  CHECK_U64(c.ports[0].out.packets, 1);
  CHECK_U64(c.ports[65536 + 65535].in.packets, 1);
  CHECK_U64(c.ports[65536 + 65535].out.packets, 1);
  CHECK_U64(c.other[0].packets + c.other[1].packets, 0);
  port_counters_destroy(&c);
}

int main(void) {
  RUN(test_ipv4_tcp_udp_and_vlans);
  RUN(test_ipv6_extension_headers);
  RUN(test_fragments);
  RUN(test_every_truncation_is_safe);
  RUN(test_link_types);
  RUN(test_malformed_headers);
  RUN(test_frag_table);
  RUN(test_counting_rules);
  RUN(test_all_ports_monitored);
  RUN(test_ipv6_fragments_of_other_protocols);
  RUN(test_ipv6_eight_extension_headers);
  RUN(test_gso_jumbo_and_lengths_beyond_the_frame);
  UNIT_MAIN_END();
}
