/* ebpf_slots: the user-space side of the in-kernel counter's layout
 * (src/ebpf_abi.h). Monitored (protocol, port) pairs get compact counter
 * slots, so that the kernel touches a small table; this module builds the
 * port-to-slot map from a port set and turns the counters back into a
 * port_counters_t. Pure: no libbpf, no system call. */
#ifndef ITS_EBPF_SLOTS_H
#define ITS_EBPF_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "ebpf_abi.h"
#include "port_counters.h"
#include "portspec.h"

typedef struct {
  uint32_t *slot_of;  /* [EBPF_PORT_SLOT_ENTRIES]: 0 or a slot */
  uint32_t *index_of; /* [nslots]: its_port_index() of each slot */
  uint32_t nslots;    /* EBPF_SLOT_FIRST_PORT + monitored pairs */
} ebpf_slots_t;

/* -1 when out of memory. */
int ebpf_slots_build(ebpf_slots_t *m, const port_set_t *ports);
void ebpf_slots_free(ebpf_slots_t *m);

/* The length libpcap would give a packet's link header on a device of this
 * ARPHRD_* type (14: Ethernet-like, 0: raw IP), -1 when the eBPF method does
 * not support the link type. "any" captures (libpcap's cooked header) use 16.
 */
int ebpf_link_header_len(int arphrd_type);

/* Fills `dst` (initialised with the same ports, reused between calls) from
 * `nslots` counters read from the kernel. Pairs appear in dst->seen once
 * they have counted something, in slot order. */
void ebpf_slots_to_counters(const ebpf_slots_t *m,
                            const volatile ebpf_counter_t *counters,
                            port_counters_t *dst);

#endif
