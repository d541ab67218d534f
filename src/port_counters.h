/* port_counters: the counting core shared by the capture thread and the
 * command-line tool. One frame in, 64-bit counters per (protocol, port,
 * direction) out. No lock, allocation or system call per packet. */
#ifndef ITS_PORT_COUNTERS_H
#define ITS_PORT_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "frag_table.h"
#include "packet_decode.h"
#include "portspec.h"

typedef struct {
  uint64_t packets, bytes;
} pkt_bytes_t;

typedef struct {
  pkt_bytes_t in, out;
} port_count_t;

typedef struct {
  /* Index: its_port_index(proto, port). 4 MiB, lazily backed. */
  port_count_t *ports;
  /* Indexes that have counted something, in order of first traffic. */
  uint32_t *seen;
  uint32_t seen_count;
  uint64_t *seen_bits; /* [ITS_NINDEXES / 64] */

  pkt_bytes_t other[2]; /* TCP/UDP packets on no monitored port */
  pkt_bytes_t
      frag_unattributed;   /* fragments whose first fragment was not seen */
  pkt_bytes_t malformed;   /* truncated or inconsistent headers */
  pkt_bytes_t not_tcp_udp; /* IP packets of other protocols (not reported) */
  uint64_t not_ip;         /* frames without IP (not reported) */
  uint64_t frames;

  const port_set_t *monitored;
  frag_table_t *frags;
} port_counters_t;

int port_counters_init(port_counters_t *c, const port_set_t *monitored,
                       size_t frag_slots, uint32_t frag_ttl);
void port_counters_destroy(port_counters_t *c);

/* Records that index `idx` has counted something (once, in order). */
static inline void port_counters_mark_seen(port_counters_t *c, uint32_t idx) {
  uint64_t bit = (uint64_t)1 << (idx & 63);
  if (!(c->seen_bits[idx >> 6] & bit)) {
    c->seen_bits[idx >> 6] |= bit;
    c->seen[c->seen_count++] = idx;
  }
}

/* Counts one frame. `now` (seconds) ages the fragment table. */
void port_counters_count(port_counters_t *c, int dlt, const uint8_t *pkt,
                         size_t caplen, size_t wirelen, uint32_t now);

/* Copies the counters into `dst` (initialised with the same ports), for a
 * snapshot taken by the thread that counts. Only touched entries are copied. */
void port_counters_copy(port_counters_t *dst, const port_counters_t *src);

#endif
