/* its_count: the in-kernel counter of <Capture> Method "ebpf".
 *
 * A socket filter attached to an AF_PACKET socket (SOCK_DGRAM, so the
 * packet starts at its network header whatever the link type) bound to the
 * interface. It counts each packet by protocol, port and direction with the
 * rules of src/packet_decode.c and src/port_counters.c, and returns 0: no
 * packet is ever queued to user space.
 *
 * Exactness with the libpcap method: user space tells the program the link
 * header length libpcap would capture (14 for Ethernet and loopback, 16 for
 * "any", 0 for raw IP links) and the snapshot length, and the program
 * decodes only what libpcap would have captured (a VLAN tag the driver
 * stripped counts 4 bytes, as libpcap re-inserts it). It also applies
 * libpcap's default kernel filter first ("ip proto tcp or ip proto udp or
 * ip6 or vlan"), so what is counted as malformed is the same.
 *
 * Cost: one bpf_skb_load_bytes() of up to 48 bytes covers an IPv4 header
 * without options or an IPv6 header and the 8 bytes after it; options, each
 * further IPv6 extension header and each VLAN tag left in the packet cost one
 * more. Port lookups are array maps (inlined by the JIT); counters are
 * shared with atomic adds; fragments go through a small LRU hash.
 *
 * Kernel: socket filters, array/LRU maps, bounded loops, BPF_F_MMAPABLE
 * arrays and global functions with pointer arguments (decode_ipv4/6): Linux
 * 5.12 and later. Tested on 6.18, and on Debian 12's 6.1 in a virtual
 * machine (tests/kernel61). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "../ebpf_abi.h"
#include "../its_proto.h"
#include "../wire_constants.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, EBPF_PORT_SLOT_ENTRIES);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u32);
} port_slot SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, EBPF_SLOT_FIRST_PORT); /* resized before loading */
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, ebpf_counter_t);
} counters SEC(".maps");

struct frag_key {
  __u8 family; /* 4 or 6 */
  __u8 proto;  /* IPv4 protocol; 0 for IPv6 */
  __u16 pad;
  __u32 id;
  __u8 src[16], dst[16];
};

struct frag_val {
  __u64 expires_ns;
  __u8 proto;
  __u8 pad;
  __u16 sport, dport;
  __u16 pad2;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096); /* FragmentTableSize, set before loading */
  __type(key, struct frag_key);
  __type(value, struct frag_val);
} frags SEC(".maps");

/* Fixed at load time. */
const volatile __u32 snaplen = 128;
const volatile __u64 frag_ttl_ns = 60ULL * 1000000000ULL;

/* Set by user space at each attachment (the interface may change type). */
#define MODE_ETHERNET EBPF_MODE_ETHERNET
#define MODE_RAW_IP EBPF_MODE_RAW_IP
#define MODE_COOKED EBPF_MODE_COOKED
volatile __u32 link_mode = MODE_ETHERNET;
volatile __u32 lo_ifindex = 0; /* outgoing copies on it are not counted */

static __always_inline __u16 rd16(const __u8 *p) {
  return (__u16)((p[0] << 8) | p[1]);
}

static __always_inline __u32 rd32(const __u8 *p) {
  return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

/* Global functions: the verifier checks each once, not at every call. */
__noinline int add_in(__u32 slot, __u64 bytes) {
  ebpf_counter_t *c = bpf_map_lookup_elem(&counters, &slot);
  if (c) {
    __sync_fetch_and_add(&c->in_packets, 1);
    __sync_fetch_and_add(&c->in_bytes, bytes);
  }
  return 0;
}

__noinline int count_ports(__u32 proto, __u32 sport, __u32 dport, __u64 bytes) {
  sport &= 0xffff;
  dport &= 0xffff;
  its_proto_t p = proto == WIRE_IPPROTO_UDP ? ITS_PROTO_UDP : ITS_PROTO_TCP;
  __u32 k = its_port_index(p, dport);
  __u32 *ds = bpf_map_lookup_elem(&port_slot, &k);
  k = its_port_index(p, sport);
  __u32 *ss = bpf_map_lookup_elem(&port_slot, &k);
  int counted = 0;
  if (ds && *ds) {
    __u32 slot = *ds;
    add_in(slot, bytes);
    counted = 1;
  }
  if (ss && *ss) {
    __u32 slot = *ss;
    ebpf_counter_t *c = bpf_map_lookup_elem(&counters, &slot);
    if (c) {
      __sync_fetch_and_add(&c->out_packets, 1);
      __sync_fetch_and_add(&c->out_bytes, bytes);
    }
    counted = 1;
  }
  if (!counted)
    add_in(p == ITS_PROTO_UDP ? EBPF_SLOT_OTHER_UDP : EBPF_SLOT_OTHER_TCP,
           bytes);
  return 0;
}

static __always_inline int malformed(__u32 caplen) {
  add_in(EBPF_SLOT_MALFORMED, caplen);
  return 0;
}

/* A non-first fragment: its datagram's ports, or unattributed. */
static __always_inline int fragment(struct frag_key *key, __u64 ip_bytes) {
  struct frag_val *v = bpf_map_lookup_elem(&frags, key);
  if (v && v->expires_ns > bpf_ktime_get_ns()) {
    if (v->proto == WIRE_IPPROTO_TCP || v->proto == WIRE_IPPROTO_UDP)
      count_ports(v->proto, v->sport, v->dport, ip_bytes);
    /* else an IPv6 datagram of another protocol: not reported */
  } else
    add_in(EBPF_SLOT_FRAG_UNATTRIBUTED, ip_bytes);
  return 0;
}

static __always_inline void remember(struct frag_key *key, __u8 proto,
                                     __u16 sport, __u16 dport) {
  struct frag_val v = {};
  v.expires_ns = bpf_ktime_get_ns() + frag_ttl_ns;
  v.proto = proto;
  v.sport = sport;
  v.dport = dport;
  bpf_map_update_elem(&frags, key, &v, BPF_ANY);
}

/* The first bytes of the IP header, read together with the link header:
 * most packets cost a single bpf_skb_load_bytes(). */
struct prefetch {
  __u8 b[48];
  /* Bytes of the IP packet on the wire (set, not read). Bytes, so that the
   * struct keeps alignment 1 and follows the 14-byte link header. */
  __u8 wire[4];
};

/* IPv4 at `off` (from the start of the data); `r` bytes of it captured;
 * its first `n` bytes are in `pre`. off_n: off | n << 16 (five arguments at
 * most). */
__noinline int decode_ipv4(struct __sk_buff *skb, __u32 off_n, __u32 r,
                           __u32 caplen, struct prefetch *pre) {
  __u32 off = off_n & 0xffff, n = pre ? off_n >> 16 : 0;
  __u8 b[24];
  if (r < 20)
    return malformed(caplen);
  int have_ports = 0;
  if (n >= 24 && pre) { /* already read with the link header */
    __builtin_memcpy(b, pre->b, 24);
    have_ports = 1;
  } else if (r >= 24) {
    if (bpf_skb_load_bytes(skb, off, b, 24) < 0)
      return 0;
    have_ports = 1;
  } else if (bpf_skb_load_bytes(skb, off, b, 20) < 0) {
    return 0;
  }
  if ((b[0] >> 4) != 4)
    return malformed(caplen);
  __u32 wire = 0;
  if (pre)
    __builtin_memcpy(&wire, pre->wire, 4);
  __u32 ihl = (__u32)(b[0] & 0x0f) * 4;
  __u32 total = rd16(b + WIRE_IPV4_TOTAL_LEN_OFFSET);
  if (total == 0 && wire > 0xffff)
    total = wire; /* a GSO / BIG TCP packet of more than 64 KiB */
  if (ihl < WIRE_IPV4_MIN_HEADER_LEN || total < ihl)
    return malformed(caplen);
  if (total > wire)
    return malformed(caplen); /* longer than the frame */
  if (r < ihl)
    return malformed(caplen);
  __u8 proto = b[WIRE_IPV4_PROTO_OFFSET];
  __u16 frag = rd16(b + WIRE_IPV4_FRAG_OFFSET);
  __u16 foff = frag & WIRE_IPV4_FRAG_OFFSET_MASK;
  int more = (frag & WIRE_IPV4_MORE_FRAGMENTS) != 0;
  if (proto != WIRE_IPPROTO_TCP && proto != WIRE_IPPROTO_UDP)
    return 0; /* not TCP/UDP: not reported */
  struct frag_key key = {};
  if (foff != 0 || more) {
    key.family = 4;
    key.proto = proto;
    key.id = rd16(b + WIRE_IPV4_ID_OFFSET);
    __builtin_memcpy(key.src, b + WIRE_IPV4_SRC_OFFSET, WIRE_IPV4_ADDR_LEN);
    __builtin_memcpy(key.dst, b + WIRE_IPV4_DST_OFFSET, WIRE_IPV4_ADDR_LEN);
  }
  if (foff != 0)
    return fragment(&key, total);
  if (total - ihl < WIRE_L4_PORTS_LEN)
    return malformed(caplen);
  if (r - ihl < WIRE_L4_PORTS_LEN)
    return malformed(caplen);
  __u8 *pp = b + 20;
  if (ihl != 20 || !have_ports) {
    if (bpf_skb_load_bytes(skb, off + ihl, b + 20, 4) < 0)
      return 0;
  }
  __u16 sport = rd16(pp), dport = rd16(pp + 2);
  if (more)
    remember(&key, proto, sport, dport);
  count_ports(proto, sport, dport, total);
  return 0;
}

/* The jumbo payload length (RFC 2675) in the hop-by-hop header that
 * follows the IPv6 header at `off` (`r` bytes of the packet captured), or
 * 0: its options walked as src/packet_decode.c does, at most
 * JUMBO_MAX_OPTIONS of them. */
#define JUMBO_MAX_OPTIONS 8
__noinline __u32 jumbo_length(struct __sk_buff *skb, __u32 off, __u32 r) {
  __u8 h[2];
  __u32 at = off + WIRE_IPV6_HEADER_LEN;
  if (r < WIRE_IPV6_HEADER_LEN + 2 || bpf_skb_load_bytes(skb, at, h, 2) < 0)
    return 0;
  __u32 hlen = ((__u32)h[1] + 1) * 8;
  if (hlen > r - WIRE_IPV6_HEADER_LEN)
    hlen = r - WIRE_IPV6_HEADER_LEN; /* what was captured of it */
  __u32 o = 2;
  for (int i = 0; i < JUMBO_MAX_OPTIONS; i++) {
    if (o + 2 > hlen || bpf_skb_load_bytes(skb, at + o, h, 2) < 0)
      return 0;
    if (h[0] == WIRE_IPV6_OPT_PAD1) {
      o++;
      continue;
    }
    if (h[0] == WIRE_IPV6_OPT_JUMBO && h[1] == 4) {
      __u8 j[4];
      if (o + 6 > hlen || bpf_skb_load_bytes(skb, at + o + 2, j, 4) < 0)
        return 0;
      return rd32(j);
    }
    o += 2 + (__u32)h[1];
  }
  return 0;
}

/* IPv6 at `off`; `r` bytes of it captured; its first `n` bytes in `pre`. */
__noinline int decode_ipv6(struct __sk_buff *skb, __u32 off_n, __u32 r,
                           __u32 caplen, struct prefetch *pre) {
  __u32 off = off_n & 0xffff, n = pre ? off_n >> 16 : 0;
  __u8 b[48];
  if (r < 40)
    return malformed(caplen);
  int have_next = 0; /* b[40..47]: the 8 bytes after the fixed header */
  if (n >= 48 && pre) {
    __builtin_memcpy(b, pre->b, 48);
    have_next = 1;
  } else if (r >= 48) {
    if (bpf_skb_load_bytes(skb, off, b, 48) < 0)
      return 0;
    have_next = 1;
  } else if (bpf_skb_load_bytes(skb, off, b, 40) < 0) {
    return 0;
  }
  if ((b[0] >> 4) != 6)
    return malformed(caplen);
  __u32 wire32 = 0;
  if (pre)
    __builtin_memcpy(&wire32, pre->wire, 4);
  __u64 wire = wire32;
  __u64 plen = rd16(b + WIRE_IPV6_PAYLOAD_LEN_OFFSET);
  __u8 nh = b[WIRE_IPV6_NEXT_HEADER_OFFSET];
  if (plen == 0 && nh == WIRE_IPPROTO_HOPOPTS) {
    /* A jumbogram: its length is in the hop-by-hop header. */
    __u32 j = jumbo_length(skb, off, r);
    if (j >= WIRE_IPV6_JUMBO_MIN && j <= 0xffffffffu - WIRE_IPV6_HEADER_LEN)
      plen = j;
  }
  if (plen == 0 && nh != WIRE_IPPROTO_NONE &&
      wire > 0xffff + WIRE_IPV6_HEADER_LEN)
    plen = wire - WIRE_IPV6_HEADER_LEN; /* BIG TCP: jumbo header removed */
  __u64 end = WIRE_IPV6_HEADER_LEN + plen;
  if (end > wire)
    return malformed(caplen); /* longer than the frame */
  __u64 ip_bytes = end;
  __u32 o = WIRE_IPV6_HEADER_LEN;
  int fragmented = 0;
  struct frag_key key = {};
  __u8 *h = b + 40;

  /* WIRE_MAX_IPV6_EXT_HEADERS walked, then the upper-layer header. */
  for (int i = 0; i <= WIRE_MAX_IPV6_EXT_HEADERS; i++) {
    /* The (up to) 8 bytes at o, when they are needed and captured. */
    int need = 0;
    if (nh == WIRE_IPPROTO_TCP || nh == WIRE_IPPROTO_UDP)
      need = WIRE_L4_PORTS_LEN;
    else if (nh == WIRE_IPPROTO_HOPOPTS || nh == WIRE_IPPROTO_ROUTING ||
             nh == WIRE_IPPROTO_DSTOPTS || nh == WIRE_IPPROTO_MOBILITY ||
             nh == WIRE_IPPROTO_AH)
      need = 2;
    else if (nh == WIRE_IPPROTO_FRAGMENT)
      need = WIRE_IPV6_FRAG_HEADER_LEN;
    else {
      /* ICMPv6, ESP, no next header...: not reported; a first fragment
       * says so for its later fragments. */
      if (fragmented)
        remember(&key, nh, 0, 0);
      return 0;
    }
    if (need == WIRE_L4_PORTS_LEN && end < o + WIRE_L4_PORTS_LEN)
      return malformed(caplen);
    if (need != WIRE_L4_PORTS_LEN && end < o + WIRE_IPV6_EXT_MIN_LEN)
      return malformed(caplen);
    if (r < o + need)
      return malformed(caplen);
    if (!(o == 40 && have_next)) {
      int rc;
      if (need == 8)
        rc = bpf_skb_load_bytes(skb, off + o, h, 8);
      else if (need == 4)
        rc = bpf_skb_load_bytes(skb, off + o, h, 4);
      else
        rc = bpf_skb_load_bytes(skb, off + o, h, 2);
      if (rc < 0)
        return 0;
    }
    if (nh == WIRE_IPPROTO_TCP || nh == WIRE_IPPROTO_UDP) {
      __u16 sport = rd16(h), dport = rd16(h + 2);
      if (fragmented)
        remember(&key, nh, sport, dport);
      count_ports(nh, sport, dport, ip_bytes);
      return 0;
    }
    if (nh == WIRE_IPPROTO_FRAGMENT) {
      __u16 fo = rd16(h + 2);
      key.family = 6;
      key.id = rd32(h + 4);
      __builtin_memcpy(key.src, b + WIRE_IPV6_SRC_OFFSET, WIRE_IPV6_ADDR_LEN);
      __builtin_memcpy(key.dst, b + WIRE_IPV6_DST_OFFSET, WIRE_IPV6_ADDR_LEN);
      if ((fo & WIRE_IPV6_FRAG_OFFSET_MASK) != 0)
        return fragment(&key, ip_bytes);
      fragmented = (fo & WIRE_IPV6_FRAG_MORE) != 0;
      nh = h[0];
      o += WIRE_IPV6_FRAG_HEADER_LEN;
    } else if (nh == WIRE_IPPROTO_AH) {
      __u32 len = ((__u32)h[1] + 2) * 4;
      nh = h[0];
      o += len;
    } else {
      __u32 len = ((__u32)h[1] + 1) * 8;
      nh = h[0];
      o += len;
    }
    if (o > end)
      return malformed(caplen);
  }
  return malformed(caplen); /* too many extension headers */
}

static __always_inline int is_vlan(__u16 t) {
  return t == WIRE_ETHERTYPE_VLAN || t == WIRE_ETHERTYPE_QINQ ||
         t == WIRE_ETHERTYPE_QINQ_OLD;
}

SEC("socket")
int its_count(struct __sk_buff *skb) {
  if (skb->pkt_type == PACKET_OUTGOING && skb->ifindex == lo_ifindex)
    return 0; /* loopback: the incoming copy is the one counted */
  __u32 mode = link_mode;
  __u32 len = skb->len; /* from the link header (cooked: the IP header) */
  int tags = skb->vlan_present ? 1 : 0;
  /* What libpcap adds to the data: its cooked header, a stripped tag. */
  __u32 extra = (mode == MODE_COOKED ? 16 : 0) + (tags ? 4 : 0);
  __u32 caplen = len + extra;
  if (caplen > snaplen)
    caplen = snaplen;
  __u32 avail = caplen > extra ? caplen - extra : 0; /* captured, from data */

  /* One read: the link header and the first 48 bytes after it. */
  struct {
    __u8 eth[WIRE_ETH_HEADER_LEN];
    struct prefetch ip;
  } buf = {};
  __u32 n = 0, off = 0;
  __u16 type;
  if (mode == MODE_ETHERNET) {
    if (len < WIRE_ETH_HEADER_LEN)
      return 0; /* libpcap's filter would not pass it */
    if (len >= 62) {
      if (bpf_skb_load_bytes(skb, 0, &buf, 62) < 0)
        return 0;
      n = 48;
    } else if (len >= 38) {
      if (bpf_skb_load_bytes(skb, 0, &buf, 38) < 0)
        return 0;
      n = 24;
    } else if (bpf_skb_load_bytes(skb, 0, &buf, 14) < 0) {
      return 0;
    }
    type = rd16(buf.eth + WIRE_ETH_TYPE_OFFSET);
    off = WIRE_ETH_HEADER_LEN;
  } else {
    if (len < 1) {
      /* An empty packet: libpcap's filter passes "ip6" and "vlan" on the
       * cooked header's type alone, and the decoder finds it cut off. */
      __u16 t = bpf_ntohs(skb->protocol);
      if (mode == MODE_COOKED && (t == WIRE_ETHERTYPE_IPV6 || is_vlan(t)))
        return malformed(caplen);
      return 0;
    }
    if (len >= 48) {
      if (bpf_skb_load_bytes(skb, 0, &buf.ip, 48) < 0)
        return 0;
      n = 48;
    } else if (len >= 24) {
      if (bpf_skb_load_bytes(skb, 0, &buf.ip, 24) < 0)
        return 0;
      n = 24;
    } else if (bpf_skb_load_bytes(skb, 0, &buf.ip, 1) < 0) {
      return 0;
    }
    if (mode == MODE_COOKED)
      type = bpf_ntohs(skb->protocol);
    else if ((buf.ip.b[0] >> 4) == 4)
      type = WIRE_ETHERTYPE_IPV4;
    else if ((buf.ip.b[0] >> 4) == 6)
      type = WIRE_ETHERTYPE_IPV6;
    else
      return 0;
  }

  /* libpcap's default kernel filter (what it would never deliver). */
  if (!tags && !is_vlan(type)) {
    if (type == WIRE_ETHERTYPE_IPV4) {
      __u8 p;
      if (n >= 10)
        p = buf.ip.b[9];
      else if (len < off + 10 || bpf_skb_load_bytes(skb, off + 9, &p, 1) < 0)
        return 0;
      if (p != WIRE_IPPROTO_TCP && p != WIRE_IPPROTO_UDP)
        return 0;
    } else if (type != WIRE_ETHERTYPE_IPV6) {
      return 0;
    }
  }

  /* VLAN tags left in the packet (a stripped one is already in `tags`). */
  for (int i = 0; i <= WIRE_MAX_VLAN_TAGS; i++) {
    if (!is_vlan(type))
      break;
    if (tags >= WIRE_MAX_VLAN_TAGS)
      return malformed(caplen);
    if (avail < off + 4)
      return malformed(caplen);
    __u8 t[4];
    if (bpf_skb_load_bytes(skb, off, t, 4) < 0)
      return 0;
    type = rd16(t + 2);
    off += 4;
    tags++;
    n = 0; /* the prefetched bytes are no longer the IP header */
  }
  __u32 r = avail > off ? avail - off : 0;
  if (n > r)
    n = r; /* never decode what libpcap would not have captured */
  __u32 wire = len > off ? len - off : 0;
  __builtin_memcpy(buf.ip.wire, &wire, 4);
  if (type == WIRE_ETHERTYPE_IPV4)
    return decode_ipv4(skb, off | (n << 16), r, caplen, &buf.ip);
  if (type == WIRE_ETHERTYPE_IPV6)
    return decode_ipv6(skb, off | (n << 16), r, caplen, &buf.ip);
  return 0; /* not IP: not reported */
}
