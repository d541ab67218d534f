/* The user-space side of the eBPF counter: compact slots for monitored
 * ports, and the counters read back into a port_counters_t. */
#include <stdlib.h>

#include "ebpf_slots.h"
#include "unit.h"

static void test_slots_are_compact_and_ordered(void) {
  port_set_t set;
  port_set_clear(&set);
  port_set_add_range(&set, ITS_PROTO_TCP, 22, 22);
  port_set_add_range(&set, ITS_PROTO_TCP, 80, 81);
  port_set_add_range(&set, ITS_PROTO_UDP, 53, 53);
  ebpf_slots_t m;
  CHECK(ebpf_slots_build(&m, &set) == 0);
  CHECK_U64(m.nslots, EBPF_SLOT_FIRST_PORT + 4);
  CHECK_U64(m.slot_of[22], EBPF_SLOT_FIRST_PORT);
  CHECK_U64(m.slot_of[80], EBPF_SLOT_FIRST_PORT + 1);
  CHECK_U64(m.slot_of[81], EBPF_SLOT_FIRST_PORT + 2);
  CHECK_U64(m.slot_of[65536 + 53], EBPF_SLOT_FIRST_PORT + 3);
  CHECK_U64(m.slot_of[53], 0); /* tcp/53 not monitored */
  CHECK_U64(m.slot_of[65536 + 22], 0);
  CHECK_U64(m.index_of[EBPF_SLOT_FIRST_PORT + 3], 65536 + 53);
  uint32_t used = 0;
  for (uint32_t i = 0; i < EBPF_PORT_SLOT_ENTRIES; i++)
    used += m.slot_of[i] != 0;
  CHECK_U64(used, 4);
  ebpf_slots_free(&m);
}

static void test_every_port(void) {
  port_set_t set;
  port_set_clear(&set);
  port_set_add_range(&set, ITS_PROTO_TCP, 0, 65535);
  port_set_add_range(&set, ITS_PROTO_UDP, 0, 65535);
  ebpf_slots_t m;
  CHECK(ebpf_slots_build(&m, &set) == 0);
  CHECK_U64(m.nslots, EBPF_SLOT_FIRST_PORT + 2 * 65536);
  CHECK_U64(m.slot_of[0], EBPF_SLOT_FIRST_PORT);
  CHECK_U64(m.slot_of[2 * 65536 - 1], EBPF_SLOT_FIRST_PORT + 2 * 65536 - 1);
  ebpf_slots_free(&m);
  port_set_clear(&set);
  CHECK(ebpf_slots_build(&m, &set) == 0);
  CHECK_U64(m.nslots, EBPF_SLOT_FIRST_PORT); /* nothing monitored */
  ebpf_slots_free(&m);
}

static void test_counters_back_to_port_counters(void) {
  port_set_t set;
  port_set_clear(&set);
  port_set_add_range(&set, ITS_PROTO_TCP, 22, 22);
  port_set_add_range(&set, ITS_PROTO_TCP, 80, 80);
  port_set_add_range(&set, ITS_PROTO_UDP, 53, 53);
  ebpf_slots_t m;
  CHECK(ebpf_slots_build(&m, &set) == 0);
  ebpf_counter_t *c = calloc(m.nslots, sizeof(*c));
  c[EBPF_SLOT_OTHER_TCP] = (ebpf_counter_t){3, 300, 0, 0};
  c[EBPF_SLOT_OTHER_UDP] = (ebpf_counter_t){4, 400, 0, 0};
  c[EBPF_SLOT_FRAG_UNATTRIBUTED] = (ebpf_counter_t){1, 1500, 0, 0};
  c[EBPF_SLOT_MALFORMED] = (ebpf_counter_t){2, 128, 0, 0};
  c[m.slot_of[65536 + 53]] = (ebpf_counter_t){5, 500, 6, 600};
  port_counters_t dst;
  CHECK(port_counters_init(&dst, &set, 0, 0) == 0);
  ebpf_slots_to_counters(&m, c, &dst);
  CHECK_U64(dst.other[0].packets, 3);
  CHECK_U64(dst.other[1].bytes, 400);
  CHECK_U64(dst.frag_unattributed.bytes, 1500);
  CHECK_U64(dst.malformed.packets, 2);
  CHECK_U64(dst.seen_count, 1); /* only pairs that counted something */
  CHECK_U64(dst.seen[0], 65536 + 53);
  CHECK_U64(dst.ports[65536 + 53].in.packets, 5);
  CHECK_U64(dst.ports[65536 + 53].out.bytes, 600);
  /* Later traffic on another port appends it; counters are replaced. */
  c[m.slot_of[22]] = (ebpf_counter_t){0, 0, 1, 60};
  c[m.slot_of[65536 + 53]].in_packets = 7;
  ebpf_slots_to_counters(&m, c, &dst);
  CHECK_U64(dst.seen_count, 2);
  CHECK_U64(dst.seen[1], 22);
  CHECK_U64(dst.ports[22].out.packets, 1);
  CHECK_U64(dst.ports[65536 + 53].in.packets, 7);
  ebpf_slots_to_counters(&m, c, &dst);
  CHECK_U64(dst.seen_count, 2); /* no duplicates */
  port_counters_destroy(&dst);
  free(c);
  ebpf_slots_free(&m);
}

static void test_link_header_lengths(void) {
  CHECK(ebpf_link_header_len(1) == 14);    /* Ethernet, veth */
  CHECK(ebpf_link_header_len(772) == 14);  /* loopback */
  CHECK(ebpf_link_header_len(65534) == 0); /* tun, wireguard */
  CHECK(ebpf_link_header_len(519) == 0);   /* raw IP */
  CHECK(ebpf_link_header_len(801) == -1);  /* 802.11: not supported */
  CHECK(ebpf_link_header_len(32) == -1);   /* InfiniBand */
}

int main(void) {
  RUN(test_slots_are_compact_and_ordered);
  RUN(test_every_port);
  RUN(test_counters_back_to_port_counters);
  RUN(test_link_header_lengths);
  UNIT_MAIN_END();
}
