/* ebpf_abi: what the in-kernel counter (src/bpf/its_count.bpf.c) and user
 * space (src/ebpf_source.c, src/ebpf_slots.c) share: the counter slot
 * layout. Plain C types only, so that both the BPF target and the host
 * compiler include it. */
#ifndef ITS_EBPF_ABI_H
#define ITS_EBPF_ABI_H

#include "its_proto.h"

/* Slots of the counters map. Slots from EBPF_SLOT_FIRST_PORT on belong to
 * monitored (protocol, port) pairs, through the port_slot map (index
 * its_port_index(proto, port); value 0: not monitored). */
#define EBPF_SLOT_OTHER_TCP 0         /* in: TCP packets on no monitored port */
#define EBPF_SLOT_OTHER_UDP 1         /* in: UDP packets on no monitored port */
#define EBPF_SLOT_FRAG_UNATTRIBUTED 2 /* in: fragments of unknown datagrams */
#define EBPF_SLOT_MALFORMED 3         /* in: packets and captured bytes */
#define EBPF_SLOT_FIRST_PORT 4

#define EBPF_PORT_SLOT_ENTRIES ITS_NINDEXES

/* How the packet data starts (the program's link_mode). */
#define EBPF_MODE_ETHERNET 0 /* SOCK_RAW: an Ethernet header */
#define EBPF_MODE_RAW_IP 1   /* SOCK_RAW on a link without header: IP */
#define EBPF_MODE_COOKED                                                       \
  2 /* SOCK_DGRAM ("any"): from the IP header, as in                           \
       libpcap's 16-byte cooked header */

typedef struct {
  unsigned long long in_packets, in_bytes, out_packets, out_bytes;
} ebpf_counter_t;

#endif
