#include "port_counters.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define NSLOTS ITS_NINDEXES

int port_counters_init(port_counters_t *c, const port_set_t *monitored,
                       size_t frag_slots, uint32_t frag_ttl) {
  memset(c, 0, sizeof(*c));
  c->monitored = monitored;
  c->ports = calloc(NSLOTS, sizeof(port_count_t));
  c->seen = calloc(NSLOTS, sizeof(uint32_t));
  c->seen_bits = calloc(NSLOTS / 64, sizeof(uint64_t));
  c->frags = frag_slots ? frag_table_new(frag_slots, frag_ttl) : NULL;
  if (!c->ports || !c->seen || !c->seen_bits || (frag_slots && !c->frags)) {
    port_counters_destroy(c);
    return -1;
  }
  return 0;
}

void port_counters_destroy(port_counters_t *c) {
  free(c->ports);
  free(c->seen);
  free(c->seen_bits);
  frag_table_free(c->frags);
  memset(c, 0, sizeof(*c));
}

/* Adds one packet to the in or out side of a monitored (protocol, port);
 * returns 0 when the port is not monitored. */
static inline int count_side(port_counters_t *c, its_proto_t p, uint16_t port,
                             int out, uint32_t bytes) {
  if (!port_set_has(c->monitored, p, port))
    return 0;
  uint32_t idx = its_port_index(p, port);
  pkt_bytes_t *side = out ? &c->ports[idx].out : &c->ports[idx].in;
  side->packets++;
  side->bytes += bytes;
  port_counters_mark_seen(c, idx);
  return 1;
}

static inline void count_ports(port_counters_t *c, uint8_t proto,
                               uint16_t sport, uint16_t dport, uint32_t bytes) {
  its_proto_t p = proto == IPPROTO_UDP ? ITS_PROTO_UDP : ITS_PROTO_TCP;
  int counted = count_side(c, p, dport, 0, bytes);
  counted |= count_side(c, p, sport, 1, bytes);
  if (!counted) {
    c->other[p].packets++;
    c->other[p].bytes += bytes;
  }
}

void port_counters_count(port_counters_t *c, int dlt, const uint8_t *pkt,
                         size_t caplen, size_t wirelen, uint32_t now) {
  decode_result_t r;
  c->frames++;
  switch (packet_decode(dlt, pkt, caplen, wirelen, &r)) {
  case DECODE_PORTS:
    if (r.first_fragment && c->frags)
      frag_table_put(c->frags, &r.frag, r.proto, r.sport, r.dport, now);
    count_ports(c, r.proto, r.sport, r.dport, r.ip_bytes);
    break;
  case DECODE_FRAGMENT: {
    uint8_t proto;
    uint16_t sport, dport;
    if (c->frags &&
        frag_table_get(c->frags, &r.frag, now, &proto, &sport, &dport)) {
      if (proto == 6 || proto == 17) {
        count_ports(c, proto, sport, dport, r.ip_bytes);
      } else { /* an IPv6 datagram of another protocol */
        c->not_tcp_udp.packets++;
        c->not_tcp_udp.bytes += r.ip_bytes;
      }
    } else {
      c->frag_unattributed.packets++;
      c->frag_unattributed.bytes += r.ip_bytes;
    }
    break;
  }
  case DECODE_NOT_TCP_UDP:
    if (r.first_fragment && c->frags)
      frag_table_put(c->frags, &r.frag, r.proto, 0, 0, now);
    c->not_tcp_udp.packets++;
    c->not_tcp_udp.bytes += r.ip_bytes;
    break;
  case DECODE_NOT_IP:
    c->not_ip++;
    break;
  case DECODE_MALFORMED:
    c->malformed.packets++;
    c->malformed.bytes += caplen;
    break;
  }
}

void port_counters_copy(port_counters_t *dst, const port_counters_t *src) {
  for (uint32_t i = dst->seen_count; i < src->seen_count; i++) {
    uint32_t idx = src->seen[i];
    dst->seen[i] = idx;
    dst->seen_bits[idx >> 6] |= (uint64_t)1 << (idx & 63);
  }
  dst->seen_count = src->seen_count;
  for (uint32_t i = 0; i < src->seen_count; i++)
    dst->ports[src->seen[i]] = src->ports[src->seen[i]];
  memcpy(dst->other, src->other, sizeof(dst->other));
  dst->frag_unattributed = src->frag_unattributed;
  dst->malformed = src->malformed;
  dst->not_tcp_udp = src->not_tcp_udp;
  dst->not_ip = src->not_ip;
  dst->frames = src->frames;
}
