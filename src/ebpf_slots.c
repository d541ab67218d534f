#include "ebpf_slots.h"

#include <stdlib.h>
#include <string.h>

int ebpf_slots_build(ebpf_slots_t *m, const port_set_t *ports) {
  memset(m, 0, sizeof(*m));
  m->slot_of = calloc(EBPF_PORT_SLOT_ENTRIES, sizeof(uint32_t));
  m->index_of =
      calloc(EBPF_SLOT_FIRST_PORT + ports->count + 1, sizeof(uint32_t));
  if (m->slot_of == NULL || m->index_of == NULL) {
    ebpf_slots_free(m);
    return -1;
  }
  uint32_t n = EBPF_SLOT_FIRST_PORT;
  for (uint32_t idx = 0; idx < EBPF_PORT_SLOT_ENTRIES; idx++) {
    if (!port_set_has(ports, its_index_proto(idx), its_index_port(idx)))
      continue;
    if (n >= EBPF_SLOT_FIRST_PORT + ports->count)
      break; /* count inconsistent with the bits: never overflow */
    m->slot_of[idx] = n;
    m->index_of[n] = idx;
    n++;
  }
  m->nslots = n;
  return 0;
}

void ebpf_slots_free(ebpf_slots_t *m) {
  free(m->slot_of);
  free(m->index_of);
  memset(m, 0, sizeof(*m));
}

int ebpf_link_header_len(int type) {
  switch (type) {
  case 1:   /* ARPHRD_ETHER */
  case 772: /* ARPHRD_LOOPBACK */
    return 14;
  case 65534: /* ARPHRD_NONE (tun, wireguard) */
  case 519:   /* ARPHRD_RAWIP */
  case 768:   /* ARPHRD_TUNNEL (ipip) */
  case 769:   /* ARPHRD_TUNNEL6 */
  case 776:   /* ARPHRD_SIT */
    return 0;
  default:
    return -1;
  }
}

static void copy_pb(pkt_bytes_t *dst, unsigned long long p,
                    unsigned long long b) {
  dst->packets = p;
  dst->bytes = b;
}

void ebpf_slots_to_counters(const ebpf_slots_t *m,
                            const volatile ebpf_counter_t *counters,
                            port_counters_t *dst) {
  copy_pb(&dst->other[0], counters[EBPF_SLOT_OTHER_TCP].in_packets,
          counters[EBPF_SLOT_OTHER_TCP].in_bytes);
  copy_pb(&dst->other[1], counters[EBPF_SLOT_OTHER_UDP].in_packets,
          counters[EBPF_SLOT_OTHER_UDP].in_bytes);
  copy_pb(&dst->frag_unattributed,
          counters[EBPF_SLOT_FRAG_UNATTRIBUTED].in_packets,
          counters[EBPF_SLOT_FRAG_UNATTRIBUTED].in_bytes);
  copy_pb(&dst->malformed, counters[EBPF_SLOT_MALFORMED].in_packets,
          counters[EBPF_SLOT_MALFORMED].in_bytes);
  for (uint32_t s = EBPF_SLOT_FIRST_PORT; s < m->nslots; s++) {
    const volatile ebpf_counter_t *c = &counters[s];
    port_count_t v;
    /* Read while the kernel counts: exact at rest, and never more than the
     * packets in flight behind. */
    v.in.packets = c->in_packets;
    v.out.packets = c->out_packets;
    v.in.bytes = c->in_bytes;
    v.out.bytes = c->out_bytes;
    if (v.in.packets == 0 && v.out.packets == 0)
      continue;
    uint32_t idx = m->index_of[s];
    dst->ports[idx] = v;
    port_counters_mark_seen(dst, idx);
  }
}
