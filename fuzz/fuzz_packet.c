/* fuzz_packet: the frame decoder, the fragment table and the counting core,
 * for one link type chosen at build time: -DFUZZ_DLT=<value of ITS_DLT_*>
 * (default 1, Ethernet), or -DFUZZ_DLT=-1: the first input byte picks one
 * of the link types of link_types[] (the serial, 802.11, NFLOG and
 * raw-IP ones: one harness for all of them).
 *
 * Input: a sequence of frames, each as
 *     uint16 length (big endian) | uint8 flags_and_seconds | length bytes
 * the last frame taking what is left when the input is shorter. The low 7
 * bits of flags_and_seconds are the seconds since the previous frame; its
 * top bit says the frame was cut by a snapshot length: its wire length is
 * then 2 * length + 65536 (so GSO sizes are reached), else the length. Time
 * starts at 1700000000; the fragment table has 16 slots and a 30 s timeout, so
 * eviction and expiry are both reached.
 *
 * Every frame goes through port_counters_count on two counters: one with
 * every port monitored (as the brief's reference) and one with iptraf's
 * default ports (tcp/0-1023, udp/0-1023), plus packet_decode on its own.
 * Invariants (abort() when violated):
 *  - the decode result is consistent (kinds, protocols, ip_bytes range);
 *  - exactly the counters the decode result names move, by one packet and
 *    ip_bytes (captured bytes for malformed frames); nothing ever decreases;
 *  - with every port monitored nothing is "other"; the default-port counter
 *    agrees with the all-port one on every port it monitors, and counts as
 *    "other" exactly the packets on no monitored port;
 *  - seen_count <= 131072, seen[] holds distinct indexes whose bits are set,
 *    and only indexes that counted something;
 *  - port_counters_copy (a snapshot mid-way, then an incremental one at the
 *    end) reproduces every counter;
 *  - the fragment table never holds more entries than its slots. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frag_table.h"
#include "packet_decode.h"
#include "port_counters.h"
#include "portspec.h"

#ifndef FUZZ_DLT
#define FUZZ_DLT ITS_DLT_EN10MB
#endif

static const int link_types[] = {
    ITS_DLT_SLIP,
    ITS_DLT_PPP,
    ITS_DLT_PPP_SERIAL,
    ITS_DLT_PPP_ETHER,
    ITS_DLT_C_HDLC,
    ITS_DLT_IEEE802_11,
    ITS_DLT_FRELAY,
    ITS_DLT_PFLOG,
    ITS_DLT_PRISM_HEADER,
    ITS_DLT_IEEE802_11_RADIO,
    ITS_DLT_IEEE802_11_RADIO_AVS,
    ITS_DLT_PPP_WITH_DIR,
    ITS_DLT_C_HDLC_WITH_DIR,
    ITS_DLT_NFLOG,
    ITS_DLT_IPV4,
    ITS_DLT_IPV6,
};
#define N_LINK_TYPES (sizeof(link_types) / sizeof(link_types[0]))
/* The link type of the current input. */
static int dlt = FUZZ_DLT;

#define NSLOTS (2u * 65536u)
#define FRAG_SLOTS 16
#define FRAG_TTL 30
#define START_TIME 1700000000u

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr,                                                          \
              "fuzz_packet(dlt %d): invariant violated at %s:%d: %s\n", dlt,   \
              __FILE__, __LINE__, #cond);                                      \
      abort();                                                                 \
    }                                                                          \
  } while (0)

static port_set_t all_ports, default_ports;

typedef struct {
  uint64_t in_packets, in_bytes, out_packets, out_bytes;
} sums_t;

/* Sum of the per-port counters (over the seen list), with the seen list
 * checked on the way. */
static sums_t port_sums(const port_counters_t *c, const port_set_t *set) {
  sums_t s = {0, 0, 0, 0};
  CHECK(c->seen_count <= NSLOTS);
  for (uint32_t i = 0; i < c->seen_count; i++) {
    uint32_t idx = c->seen[i];
    CHECK(idx < NSLOTS);
    CHECK((c->seen_bits[idx >> 6] >> (idx & 63)) & 1);
    CHECK(port_set_has(set, idx >= 65536 ? ITS_PROTO_UDP : ITS_PROTO_TCP,
                       idx & 0xffff));
    const port_count_t *pc = &c->ports[idx];
    CHECK(pc->in.packets + pc->out.packets > 0);
    s.in_packets += pc->in.packets;
    s.in_bytes += pc->in.bytes;
    s.out_packets += pc->out.packets;
    s.out_bytes += pc->out.bytes;
  }
  return s;
}

/* Bits set == seen_count, every seen index distinct. */
static void check_seen_bits(const port_counters_t *c) {
  uint64_t bits = 0;
  for (uint32_t w = 0; w < NSLOTS / 64; w++)
    bits += (uint64_t)__builtin_popcountll(c->seen_bits[w]);
  CHECK(bits == c->seen_count);
}

static void check_decode(const decode_result_t *r, size_t wirelen) {
  if (dlt == ITS_DLT_NFLOG)
    wirelen = (size_t)UINT32_MAX; /* NFLOG records no wire length */
  switch (r->kind) {
  case DECODE_PORTS:
    CHECK(r->proto == 6 || r->proto == 17);
    CHECK(r->ip_bytes <= wirelen);
    if (r->first_fragment)
      CHECK(r->frag.family == 4 || r->frag.family == 6);
    break;
  case DECODE_FRAGMENT:
    CHECK(r->frag.family == 4 || r->frag.family == 6);
    CHECK(r->frag.family == 6 ? r->proto == 0
                              : (r->proto == 6 || r->proto == 17));
    CHECK(r->ip_bytes <= wirelen);
    break;
  case DECODE_NOT_TCP_UDP:
    CHECK(r->ip_bytes <= wirelen);
    if (r->first_fragment)
      CHECK(r->frag.family == 6 && r->proto != 6 && r->proto != 17);
    break;
  case DECODE_NOT_IP:
    break;
  case DECODE_MALFORMED:
    CHECK(r->why != NULL && r->why[0] != '\0');
    break;
  default:
    CHECK(!"unknown decode kind");
  }
}

/* Everything port_counters_copy must reproduce. */
static void check_copy(const port_counters_t *dst, const port_counters_t *src) {
  CHECK(dst->seen_count == src->seen_count);
  CHECK(memcmp(dst->seen, src->seen, src->seen_count * sizeof(uint32_t)) == 0);
  CHECK(memcmp(dst->seen_bits, src->seen_bits,
               (NSLOTS / 64) * sizeof(uint64_t)) == 0);
  for (uint32_t i = 0; i < src->seen_count; i++) {
    uint32_t idx = src->seen[i];
    CHECK(memcmp(&dst->ports[idx], &src->ports[idx], sizeof(port_count_t)) ==
          0);
  }
  CHECK(memcmp(dst->other, src->other, sizeof(src->other)) == 0);
  CHECK(memcmp(&dst->frag_unattributed, &src->frag_unattributed,
               sizeof(pkt_bytes_t)) == 0);
  CHECK(memcmp(&dst->malformed, &src->malformed, sizeof(pkt_bytes_t)) == 0);
  CHECK(memcmp(&dst->not_tcp_udp, &src->not_tcp_udp, sizeof(pkt_bytes_t)) == 0);
  CHECK(dst->not_ip == src->not_ip);
  CHECK(dst->frames == src->frames);
}

/* The counters live across inputs: a fresh port_counters_init per input
 * costs 3 x 4.5 MiB of allocation under ASan and runs ~40x slower. reset()
 * brings them back to the state port_counters_init leaves: the counters
 * only ever touch ports[] at indexes they list in seen[] (checked per frame
 * below), and the fragment table is replaced by a new one. */
static port_counters_t c, d, snap;

static void reset(port_counters_t *pc, size_t frag_slots) {
  for (uint32_t i = 0; i < pc->seen_count; i++) {
    uint32_t idx = pc->seen[i];
    memset(&pc->ports[idx], 0, sizeof(pc->ports[idx]));
    pc->seen_bits[idx >> 6] = 0;
  }
  for (uint32_t w = 0; w < NSLOTS / 64; w++)
    CHECK(pc->seen_bits[w] == 0);
  pc->seen_count = 0;
  memset(pc->other, 0, sizeof(pc->other));
  memset(&pc->frag_unattributed, 0, sizeof(pc->frag_unattributed));
  memset(&pc->malformed, 0, sizeof(pc->malformed));
  memset(&pc->not_tcp_udp, 0, sizeof(pc->not_tcp_udp));
  pc->not_ip = 0;
  pc->frames = 0;
  frag_table_free(pc->frags);
  pc->frags = frag_slots ? frag_table_new(frag_slots, FRAG_TTL) : NULL;
  CHECK(frag_slots == 0 || pc->frags != NULL);
}

static void init_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  port_set_clear(&all_ports);
  port_set_add_range(&all_ports, ITS_PROTO_TCP, 0, 65535);
  port_set_add_range(&all_ports, ITS_PROTO_UDP, 0, 65535);
  CHECK(all_ports.count == NSLOTS);
  port_set_clear(&default_ports);
  port_set_add_range(&default_ports, ITS_PROTO_TCP, 0, 1023);
  port_set_add_range(&default_ports, ITS_PROTO_UDP, 0, 1023);
  for (size_t i = 0; i < N_LINK_TYPES; i++)
    CHECK(packet_decode_supports(link_types[i]));
  CHECK(FUZZ_DLT < 0 || packet_decode_supports(FUZZ_DLT));
  CHECK(port_counters_init(&c, &all_ports, FRAG_SLOTS, FRAG_TTL) == 0);
  CHECK(port_counters_init(&d, &default_ports, FRAG_SLOTS, FRAG_TTL) == 0);
  CHECK(port_counters_init(&snap, &all_ports, 0, 0) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  reset(&c, FRAG_SLOTS);
  reset(&d, FRAG_SLOTS);
  reset(&snap, 0);
  if (FUZZ_DLT < 0) {
    if (size == 0)
      return 0;
    dlt = link_types[data[0] % N_LINK_TYPES];
    data++;
    size--;
  }

  uint32_t now = START_TIME;
  size_t pos = 0;
  size_t nframes = 0;
  int snapped = 0;
  while (pos < size) {
    size_t len;
    int snap_cut = 0;
    if (size - pos < 3) {
      len = size - pos; /* too short for a header: the rest is a frame */
    } else {
      len = ((size_t)data[pos] << 8) | data[pos + 1];
      now += data[pos + 2] & 0x7f;
      snap_cut = (data[pos + 2] & 0x80) != 0;
      pos += 3;
      if (len > size - pos)
        len = size - pos;
    }
    /* Own copy, so that ASan sees reads past the frame's end. */
    uint8_t *frame = malloc(len ? len : 1);
    CHECK(frame != NULL);
    memcpy(frame, data + pos, len);
    pos += len;
    nframes++;
    size_t wirelen = snap_cut ? 2 * len + 65536 : len;

    decode_result_t r;
    decode_kind_t kind = packet_decode(dlt, frame, len, wirelen, &r);
    CHECK(kind == r.kind);
    check_decode(&r, wirelen);

    port_counters_t before = c; /* scalars only; arrays are shared */
    sums_t sb = port_sums(&c, &all_ports);
    uint32_t seen_before = c.seen_count;
    uint64_t in_before = 0, out_before = 0;
    uint32_t in_idx = 0, out_idx = 0;
    if (kind == DECODE_PORTS) {
      in_idx = (r.proto == 17 ? 65536u : 0u) + r.dport;
      out_idx = (r.proto == 17 ? 65536u : 0u) + r.sport;
      in_before = c.ports[in_idx].in.packets;
      out_before = c.ports[out_idx].out.packets;
    }
    pkt_bytes_t d_other_before[2] = {d.other[0], d.other[1]};

    port_counters_count(&c, dlt, frame, len, wirelen, now);
    port_counters_count(&d, dlt, frame, len, wirelen, now);

    sums_t sa = port_sums(&c, &all_ports);
    CHECK(c.frames == before.frames + 1);
    CHECK(c.seen_count >= seen_before && c.seen_count <= NSLOTS);
    CHECK(c.other[0].packets == 0 && c.other[1].packets == 0);
    uint64_t dp = sa.in_packets - sb.in_packets;
    uint64_t dop = sa.out_packets - sb.out_packets;
    uint64_t db = sa.in_bytes - sb.in_bytes;
    uint64_t dob = sa.out_bytes - sb.out_bytes;
    int frag_moved =
        c.frag_unattributed.packets != before.frag_unattributed.packets;
    switch (kind) {
    case DECODE_PORTS:
      CHECK(dp == 1 && dop == 1 && db == r.ip_bytes && dob == r.ip_bytes);
      CHECK(c.ports[in_idx].in.packets == in_before + 1);
      CHECK(c.ports[out_idx].out.packets == out_before + 1);
      CHECK((c.seen_bits[in_idx >> 6] >> (in_idx & 63)) & 1);
      CHECK((c.seen_bits[out_idx >> 6] >> (out_idx & 63)) & 1);
      CHECK(!frag_moved);
      break;
    case DECODE_FRAGMENT:
      if (frag_moved) {
        CHECK(c.frag_unattributed.packets ==
              before.frag_unattributed.packets + 1);
        CHECK(c.frag_unattributed.bytes ==
              before.frag_unattributed.bytes + r.ip_bytes);
        CHECK(dp == 0 && dop == 0 && db == 0 && dob == 0);
      } else if (c.not_tcp_udp.packets != before.not_tcp_udp.packets) {
        /* an IPv6 datagram whose first fragment was not TCP/UDP */
        CHECK(r.frag.family == 6);
        CHECK(c.not_tcp_udp.packets == before.not_tcp_udp.packets + 1);
        CHECK(c.not_tcp_udp.bytes == before.not_tcp_udp.bytes + r.ip_bytes);
        CHECK(dp == 0 && dop == 0 && db == 0 && dob == 0);
      } else {
        CHECK(dp == 1 && dop == 1 && db == r.ip_bytes && dob == r.ip_bytes);
      }
      break;
    case DECODE_NOT_TCP_UDP:
      CHECK(c.not_tcp_udp.packets == before.not_tcp_udp.packets + 1);
      CHECK(c.not_tcp_udp.bytes == before.not_tcp_udp.bytes + r.ip_bytes);
      break;
    case DECODE_NOT_IP:
      CHECK(c.not_ip == before.not_ip + 1);
      break;
    case DECODE_MALFORMED:
      CHECK(c.malformed.packets == before.malformed.packets + 1);
      CHECK(c.malformed.bytes == before.malformed.bytes + len);
      break;
    }
    if (kind != DECODE_PORTS && kind != DECODE_FRAGMENT)
      CHECK(dp == 0 && dop == 0 && db == 0 && dob == 0 && !frag_moved);
    if (kind != DECODE_NOT_TCP_UDP && kind != DECODE_FRAGMENT)
      CHECK(memcmp(&c.not_tcp_udp, &before.not_tcp_udp, sizeof(pkt_bytes_t)) ==
            0);
    if (kind != DECODE_NOT_IP)
      CHECK(c.not_ip == before.not_ip);
    if (kind != DECODE_MALFORMED)
      CHECK(memcmp(&c.malformed, &before.malformed, sizeof(pkt_bytes_t)) == 0);

    /* The default-port counter: same decode, same fragment table decisions,
     * so it must agree with the all-port counter port by port; a packet
     * counted on ports (DECODE_PORTS, or an attributed fragment) that hits
     * none of its ports is "other". */
    CHECK(d.frames == c.frames && d.not_ip == c.not_ip);
    CHECK(memcmp(&d.malformed, &c.malformed, sizeof(pkt_bytes_t)) == 0);
    CHECK(memcmp(&d.not_tcp_udp, &c.not_tcp_udp, sizeof(pkt_bytes_t)) == 0);
    CHECK(memcmp(&d.frag_unattributed, &c.frag_unattributed,
                 sizeof(pkt_bytes_t)) == 0);
    sums_t ds = port_sums(&d, &default_ports);
    (void)ds;
    for (uint32_t i = 0; i < d.seen_count; i++) {
      uint32_t idx = d.seen[i];
      CHECK(memcmp(&d.ports[idx], &c.ports[idx], sizeof(port_count_t)) == 0);
    }
    uint64_t other_moved = (d.other[0].packets - d_other_before[0].packets) +
                           (d.other[1].packets - d_other_before[1].packets);
    CHECK(other_moved <= 1);
    if (other_moved)
      CHECK(kind == DECODE_PORTS || (kind == DECODE_FRAGMENT && !frag_moved));

    CHECK(frag_table_used(c.frags, now) <= FRAG_SLOTS);

    if (!snapped && pos * 2 >= size) {
      port_counters_copy(&snap, &c);
      check_copy(&snap, &c);
      snapped = 1;
    }
    free(frame);
  }
  check_seen_bits(&c);
  check_seen_bits(&d);
  /* Every port seen by the default-port counter is seen by the other. */
  for (uint32_t i = 0; i < d.seen_count; i++)
    CHECK((c.seen_bits[d.seen[i] >> 6] >> (d.seen[i] & 63)) & 1);
  CHECK(c.frames == nframes);
  /* An incremental snapshot on top of the mid-way one. */
  port_counters_copy(&snap, &c);
  check_copy(&snap, &c);
  return 0;
}
