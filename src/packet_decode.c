#include "packet_decode.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define MAX_VLAN_TAGS 4
#define MAX_IPV6_EXT_HEADERS 8

static inline uint16_t rd16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}

static decode_kind_t malformed(decode_result_t *r, const char *why) {
  r->kind = DECODE_MALFORMED;
  r->why = why;
  return r->kind;
}

/* The 4 port bytes at the start of a TCP or UDP header. */
static decode_kind_t ports_at(const uint8_t *l4, size_t avail, uint8_t proto,
                              decode_result_t *r) {
  if (avail < 4)
    return malformed(r, "TCP/UDP header cut off before its ports");
  r->kind = DECODE_PORTS;
  r->proto = proto;
  r->sport = rd16(l4);
  r->dport = rd16(l4 + 2);
  return r->kind;
}

static decode_kind_t decode_ipv4(const uint8_t *p, size_t len,
                                 decode_result_t *r) {
  if (len < 20)
    return malformed(r, "IPv4 header cut off");
  if ((p[0] >> 4) != 4)
    return malformed(r, "IPv4 version field is not 4");
  size_t ihl = (size_t)(p[0] & 0x0f) * 4;
  uint16_t total = rd16(p + 2);
  if (ihl < 20 || total < ihl)
    return malformed(r, "IPv4 header length inconsistent");
  if (len < ihl)
    return malformed(r, "IPv4 options cut off");
  r->ip_bytes = total;
  uint8_t proto = p[9];
  uint16_t frag = rd16(p + 6);
  uint16_t offset = frag & 0x1fff;
  int more = (frag & 0x2000) != 0;

  if (offset != 0 || more) {
    r->frag.family = 4;
    r->frag.proto = proto;
    r->frag.id = rd16(p + 4);
    memset(r->frag.src, 0, sizeof(r->frag.src));
    memset(r->frag.dst, 0, sizeof(r->frag.dst));
    memcpy(r->frag.src, p + 12, 4);
    memcpy(r->frag.dst, p + 16, 4);
  }
  if (proto != 6 && proto != 17) {
    r->kind = DECODE_NOT_TCP_UDP;
    return r->kind;
  }
  if (offset != 0) {
    r->kind = DECODE_FRAGMENT;
    r->proto = proto;
    return r->kind;
  }
  r->first_fragment = more;
  /* Ports must lie inside the datagram and inside what was captured. */
  size_t in_datagram = (size_t)total - ihl;
  size_t captured = len - ihl;
  if (in_datagram < 4)
    return malformed(r, "IPv4 datagram too short to hold the ports");
  return ports_at(p + ihl, captured, proto, r);
}

static decode_kind_t decode_ipv6(const uint8_t *p, size_t len,
                                 decode_result_t *r) {
  if (len < 40)
    return malformed(r, "IPv6 header cut off");
  if ((p[0] >> 4) != 6)
    return malformed(r, "IPv6 version field is not 6");
  uint16_t plen = rd16(p + 4);
  r->ip_bytes = (uint32_t)plen + 40;
  uint8_t nh = p[6];
  size_t off = 40;
  /* Extension headers must lie inside the payload and what was captured. */
  size_t end = 40 + (size_t)plen;
  int fragmented = 0;

  /* MAX_IPV6_EXT_HEADERS headers walked, then the upper-layer header. */
  for (int i = 0; i <= MAX_IPV6_EXT_HEADERS; i++) {
    if (nh == 6 || nh == 17) {
      if (end < off + 4)
        return malformed(r, "IPv6 payload too short to hold the ports");
      if (fragmented)
        r->first_fragment = 1;
      return ports_at(p + off, len > off ? len - off : 0, nh, r);
    }
    switch (nh) {
    case 0:   /* hop-by-hop options */
    case 43:  /* routing */
    case 60:  /* destination options */
    case 135: /* mobility */
      if (len < off + 2 || end < off + 8)
        return malformed(r, "IPv6 extension header cut off");
      nh = p[off];
      off += ((size_t)p[off + 1] + 1) * 8;
      break;
    case 51: /* authentication header: length in 4-octet units, minus 2 */
      if (len < off + 2 || end < off + 8)
        return malformed(r, "IPv6 authentication header cut off");
      nh = p[off];
      off += ((size_t)p[off + 1] + 2) * 4;
      break;
    case 44: { /* fragment */
      if (len < off + 8 || end < off + 8)
        return malformed(r, "IPv6 fragment header cut off");
      uint16_t fo = rd16(p + off + 2);
      r->frag.family = 6;
      r->frag.proto = 0;
      r->frag.id = rd32(p + off + 4);
      memcpy(r->frag.src, p + 8, 16);
      memcpy(r->frag.dst, p + 24, 16);
      if ((fo & 0xfff8) != 0) {
        r->kind = DECODE_FRAGMENT;
        r->proto = 0;
        return r->kind;
      }
      fragmented = (fo & 1) != 0;
      nh = p[off];
      off += 8;
      break;
    }
    default:
      r->kind = DECODE_NOT_TCP_UDP; /* ICMPv6, ESP, no next header, ... */
      /* A first fragment says for its later ones, which carry no upper
       * header, that they are not TCP/UDP either. */
      r->first_fragment = fragmented;
      r->proto = nh;
      return r->kind;
    }
    if (i == MAX_IPV6_EXT_HEADERS)
      break;
    if (off > end)
      return malformed(r, "IPv6 extension headers longer than the payload");
  }
  return malformed(r, "too many IPv6 extension headers");
}

static decode_kind_t decode_ip(const uint8_t *p, size_t len,
                               decode_result_t *r) {
  if (len < 1)
    return malformed(r, "empty IP packet");
  switch (p[0] >> 4) {
  case 4:
    return decode_ipv4(p, len, r);
  case 6:
    return decode_ipv6(p, len, r);
  default:
    r->kind = DECODE_NOT_IP;
    return r->kind;
  }
}

/* An ethertype followed by its payload, VLAN tags walked. */
static decode_kind_t decode_ethertype(uint16_t type, const uint8_t *p,
                                      size_t len, decode_result_t *r) {
  for (int tags = 0;; tags++) {
    if (type == ETHERTYPE_IPV4)
      return decode_ipv4(p, len, r);
    if (type == ETHERTYPE_IPV6)
      return decode_ipv6(p, len, r);
    if (type != ETHERTYPE_VLAN && type != ETHERTYPE_QINQ &&
        type != ETHERTYPE_QINQ_OLD) {
      r->kind = DECODE_NOT_IP;
      return r->kind;
    }
    if (tags == MAX_VLAN_TAGS)
      return malformed(r, "too many VLAN tags");
    if (len < 4)
      return malformed(r, "VLAN tag cut off");
    type = rd16(p + 2);
    p += 4;
    len -= 4;
  }
}

int packet_decode_supports(int dlt) {
  switch (dlt) {
  case ITS_DLT_NULL:
  case ITS_DLT_EN10MB:
  case ITS_DLT_RAW:
  case ITS_DLT_RAW_ALT:
  case ITS_DLT_LOOP:
  case ITS_DLT_LINUX_SLL:
  case ITS_DLT_LINKTYPE_RAW:
  case ITS_DLT_IPV4:
  case ITS_DLT_IPV6:
  case ITS_DLT_LINUX_SLL2:
    return 1;
  default:
    return 0;
  }
}

decode_kind_t packet_decode(int dlt, const uint8_t *pkt, size_t caplen,
                            decode_result_t *r) {
  r->first_fragment = 0;
  r->why = NULL;
  r->ip_bytes = 0;
  switch (dlt) {
  case ITS_DLT_EN10MB:
    if (caplen < 14)
      return malformed(r, "Ethernet header cut off");
    return decode_ethertype(rd16(pkt + 12), pkt + 14, caplen - 14, r);
  case ITS_DLT_LINUX_SLL:
    if (caplen < 16)
      return malformed(r, "Linux cooked header cut off");
    return decode_ethertype(rd16(pkt + 14), pkt + 16, caplen - 16, r);
  case ITS_DLT_LINUX_SLL2:
    if (caplen < 20)
      return malformed(r, "Linux cooked v2 header cut off");
    return decode_ethertype(rd16(pkt), pkt + 20, caplen - 20, r);
  case ITS_DLT_NULL:
  case ITS_DLT_LOOP: {
    if (caplen < 4)
      return malformed(r, "loopback header cut off");
    /* DLT_NULL: host byte order; DLT_LOOP: network order. Accept both. */
    uint32_t fam_be = rd32(pkt);
    uint32_t fam_le = (uint32_t)pkt[0] | ((uint32_t)pkt[1] << 8) |
                      ((uint32_t)pkt[2] << 16) | ((uint32_t)pkt[3] << 24);
    uint32_t fam =
        dlt == ITS_DLT_LOOP ? fam_be : (fam_le < 256 ? fam_le : fam_be);
    if (fam == 2)
      return decode_ipv4(pkt + 4, caplen - 4, r);
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
      return decode_ipv6(pkt + 4, caplen - 4, r);
    r->kind = DECODE_NOT_IP;
    return r->kind;
  }
  case ITS_DLT_RAW:
  case ITS_DLT_RAW_ALT:
  case ITS_DLT_LINKTYPE_RAW:
    return decode_ip(pkt, caplen, r);
  case ITS_DLT_IPV4:
    return decode_ipv4(pkt, caplen, r);
  case ITS_DLT_IPV6:
    return decode_ipv6(pkt, caplen, r);
  default:
    r->kind = DECODE_NOT_IP;
    return r->kind;
  }
}
