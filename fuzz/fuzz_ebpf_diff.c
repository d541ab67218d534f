/* fuzz_ebpf_diff: the in-kernel counter (src/bpf/its_count.bpf.c) against
 * the C decoder and counting core, frame by frame. Each frame runs through
 * the loaded socket filter with BPF_PROG_TEST_RUN and through
 * port_counters_count (after libpcap's default filter, which the program
 * applies itself); every counter the program keeps must then be equal:
 * each monitored (protocol, port) in and out, tcp-other, udp-other,
 * fragments without their first fragment, malformed (packets and bytes).
 *
 * Input (as fuzz/fuzz_packet.c, Ethernet): frames as
 *     uint16 length (big endian) | uint8 ignored | length bytes
 * Frames shorter than 14 bytes or longer than MAX_FRAME are skipped (the
 * kernel's test run takes at most a page). The kernel's test run of a
 * socket filter hands it the packet from the network header, the
 * ethertype in skb->protocol: what an "any" capture (SOCK_DGRAM) sees. So
 * the program runs in its cooked mode, and the C side counts the same
 * packet behind a 16-byte Linux cooked header, as libpcap captures "any".
 * The snapshot length is 128 (the plugin's default): the C side gets 128
 * bytes of a longer frame and its wire length. Monitored: tcp/0-1023 and
 * udp/0-1023.
 *
 * Needs root and a kernel that loads the program (the eBPF method's
 * requirements). Where it cannot load, the harness prints
 * "fuzz_ebpf_diff: SKIP: <reason>" once and runs nothing (fuzz/run reports
 * the skip). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ebpf_abi.h"
#include "its_count.skel.h"
#include "packet_decode.h"
#include "port_counters.h"
#include "portspec.h"
#include "wire_constants.h"

#define SNAPLEN 128
#define MAX_FRAME 3000
#define MONITORED_PER_PROTO 1024
#define NSLOTS (EBPF_SLOT_FIRST_PORT + 2 * MONITORED_PER_PROTO)
#define FRAG_SLOTS 4096

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz_ebpf_diff: invariant violated at %s:%d: %s\n",     \
              __FILE__, __LINE__, #cond);                                      \
      abort();                                                                 \
    }                                                                          \
  } while (0)

static struct its_count *skel;
static ebpf_counter_t *kcounters; /* the program's counters, mapped */
static int prog_fd, frags_fd;
static port_set_t ports;
static port_counters_t c;
static int unavailable;
static unsigned long long refused; /* frames the test run refused */

static uint32_t slot_of(its_proto_t p, uint32_t port) {
  return EBPF_SLOT_FIRST_PORT + (uint32_t)p * MONITORED_PER_PROTO + port;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level, (void)fmt, (void)ap;
  return 0;
}

static void skip(const char *why, int err) {
  printf("fuzz_ebpf_diff: SKIP: %s%s%s\n", why, err ? ": " : "",
         err ? strerror(err) : "");
  fflush(stdout);
  unavailable = 1;
}

static void init_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  port_set_clear(&ports);
  port_set_add_range(&ports, ITS_PROTO_TCP, 0, MONITORED_PER_PROTO - 1);
  port_set_add_range(&ports, ITS_PROTO_UDP, 0, MONITORED_PER_PROTO - 1);
  CHECK(port_counters_init(&c, &ports, FRAG_SLOTS, 60) == 0);

  libbpf_set_print(silent);
  skel = its_count__open();
  if (skel == NULL) {
    skip("opening the eBPF object", errno);
    return;
  }
  skel->rodata->snaplen = SNAPLEN;
  if (bpf_map__set_max_entries(skel->maps.counters, NSLOTS) != 0 ||
      bpf_map__set_max_entries(skel->maps.frags, FRAG_SLOTS) != 0) {
    skip("sizing the maps", errno);
    return;
  }
  int rc = its_count__load(skel);
  if (rc != 0) {
    skip("loading the eBPF program (root and Linux 5.12+ are needed)",
         rc < 0 ? -rc : errno);
    return;
  }
  prog_fd = bpf_program__fd(skel->progs.its_count);
  frags_fd = bpf_map__fd(skel->maps.frags);
  size_t slot_len = EBPF_PORT_SLOT_ENTRIES * 8;
  uint32_t *slot_map = mmap(NULL, slot_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                            bpf_map__fd(skel->maps.port_slot), 0);
  CHECK(slot_map != MAP_FAILED);
  for (uint32_t port = 0; port < MONITORED_PER_PROTO; port++) {
    slot_map[2 * its_port_index(ITS_PROTO_TCP, port)] =
        slot_of(ITS_PROTO_TCP, port);
    slot_map[2 * its_port_index(ITS_PROTO_UDP, port)] =
        slot_of(ITS_PROTO_UDP, port);
  }
  munmap(slot_map, slot_len);
  kcounters =
      mmap(NULL, NSLOTS * sizeof(ebpf_counter_t), PROT_READ | PROT_WRITE,
           MAP_SHARED, bpf_map__fd(skel->maps.counters), 0);
  CHECK(kcounters != MAP_FAILED);
  skel->bss->link_mode = EBPF_MODE_COOKED;
  skel->bss->lo_ifindex = 0;
}

/* libpcap's default kernel filter, "ip proto 6 or ip proto 17 or ip6 or
 * vlan", on an Ethernet frame (its ethertype is the cooked header's). */
static int default_filter_passes(const uint8_t *f, size_t len) {
  if (len < WIRE_ETH_HEADER_LEN)
    return 0;
  uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
  if (type == WIRE_ETHERTYPE_VLAN || type == WIRE_ETHERTYPE_QINQ ||
      type == WIRE_ETHERTYPE_QINQ_OLD || type == WIRE_ETHERTYPE_IPV6)
    return 1;
  if (type != WIRE_ETHERTYPE_IPV4 || len < WIRE_ETH_HEADER_LEN + 10)
    return 0;
  uint8_t proto = f[WIRE_ETH_HEADER_LEN + WIRE_IPV4_PROTO_OFFSET];
  return proto == WIRE_IPPROTO_TCP || proto == WIRE_IPPROTO_UDP;
}

static void reset(void) {
  memset(kcounters, 0, NSLOTS * sizeof(ebpf_counter_t));
  struct {
    uint8_t b[64];
  } key, next;
  while (bpf_map_get_next_key(frags_fd, NULL, &next) == 0) {
    key = next;
    CHECK(bpf_map_delete_elem(frags_fd, &key) == 0);
  }
  for (uint32_t i = 0; i < c.seen_count; i++) {
    uint32_t idx = c.seen[i];
    memset(&c.ports[idx], 0, sizeof(c.ports[idx]));
    c.seen_bits[idx >> 6] = 0;
  }
  c.seen_count = 0;
  memset(c.other, 0, sizeof(c.other));
  memset(&c.frag_unattributed, 0, sizeof(c.frag_unattributed));
  memset(&c.malformed, 0, sizeof(c.malformed));
  frag_table_free(c.frags);
  c.frags = frag_table_new(FRAG_SLOTS, 60);
  CHECK(c.frags != NULL);
}

static void check_equal(size_t frame_no) {
  const ebpf_counter_t *k = kcounters;
#define SAME(a, b)                                                             \
  do {                                                                         \
    if ((a) != (b)) {                                                          \
      fprintf(stderr, "frame %zu: %s: kernel %llu, C %llu\n", frame_no, #a,    \
              (unsigned long long)(a), (unsigned long long)(b));               \
      CHECK(!"the eBPF program and the C decoder differ");                     \
    }                                                                          \
  } while (0)
  SAME(k[EBPF_SLOT_OTHER_TCP].in_packets, c.other[ITS_PROTO_TCP].packets);
  SAME(k[EBPF_SLOT_OTHER_TCP].in_bytes, c.other[ITS_PROTO_TCP].bytes);
  SAME(k[EBPF_SLOT_OTHER_UDP].in_packets, c.other[ITS_PROTO_UDP].packets);
  SAME(k[EBPF_SLOT_OTHER_UDP].in_bytes, c.other[ITS_PROTO_UDP].bytes);
  SAME(k[EBPF_SLOT_FRAG_UNATTRIBUTED].in_packets, c.frag_unattributed.packets);
  SAME(k[EBPF_SLOT_FRAG_UNATTRIBUTED].in_bytes, c.frag_unattributed.bytes);
  SAME(k[EBPF_SLOT_MALFORMED].in_packets, c.malformed.packets);
  SAME(k[EBPF_SLOT_MALFORMED].in_bytes, c.malformed.bytes);
  for (int p = 0; p < 2; p++) {
    for (uint32_t port = 0; port < MONITORED_PER_PROTO; port++) {
      const ebpf_counter_t *ks = &k[slot_of((its_proto_t)p, port)];
      const port_count_t *cs = &c.ports[its_port_index((its_proto_t)p, port)];
      SAME(ks->in_packets, cs->in.packets);
      SAME(ks->in_bytes, cs->in.bytes);
      SAME(ks->out_packets, cs->out.packets);
      SAME(ks->out_bytes, cs->out.bytes);
    }
  }
#undef SAME
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  init_once();
  if (unavailable)
    return 0;
  reset();
  size_t pos = 0, frame_no = 0;
  while (size - pos >= 3) {
    size_t len = (size_t)data[pos] << 8 | data[pos + 1];
    pos += 3;
    if (len > size - pos)
      len = size - pos;
    const uint8_t *frame = data + pos;
    pos += len;
    frame_no++;
    if (len < WIRE_ETH_HEADER_LEN || len > MAX_FRAME)
      continue;
    uint8_t out[MAX_FRAME + 64];
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
                .data_size_in = (uint32_t)len, .data_out = out,
                .data_size_out = sizeof(out), .repeat = 1);
    int rc = bpf_prog_test_run_opts(prog_fd, &opts);
    if (rc == -EINVAL) {
      /* The kernel refuses to build a test packet of some frames (an IP
       * header shorter than its fixed part): neither side counts it. */
      refused++;
      continue;
    }
    if (rc != 0)
      fprintf(stderr, "frame %zu (%zu bytes): BPF_PROG_TEST_RUN: %s\n",
              frame_no, len, strerror(-rc));
    CHECK(rc == 0);
    if (default_filter_passes(frame, len)) {
      /* The cooked header libpcap puts before the network header. */
      uint8_t sll[MAX_FRAME + WIRE_SLL_HEADER_LEN];
      memset(sll, 0, WIRE_SLL_HEADER_LEN);
      sll[WIRE_SLL_TYPE_OFFSET] = frame[WIRE_ETH_TYPE_OFFSET];
      sll[WIRE_SLL_TYPE_OFFSET + 1] = frame[WIRE_ETH_TYPE_OFFSET + 1];
      size_t ip_len = len - WIRE_ETH_HEADER_LEN;
      memcpy(sll + WIRE_SLL_HEADER_LEN, frame + WIRE_ETH_HEADER_LEN, ip_len);
      size_t wire = WIRE_SLL_HEADER_LEN + ip_len;
      port_counters_count(&c, ITS_DLT_LINUX_SLL, sll,
                          wire < SNAPLEN ? wire : SNAPLEN, wire, 1700000000u);
    }
    check_equal(frame_no);
  }
  return 0;
}
