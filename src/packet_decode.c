#include "packet_decode.h"

#include <string.h>

#include "span.h"
#include "wire_constants.h"

/* Bytes of a packet on the wire when the capture does not say (NFLOG's
 * payload is cut to its copy range without a record of the original): a
 * length no frame has, that stays above WIRE_KNOWN_MAX after any header is
 * taken off it (so that wire_after() is a plain saturating subtraction). */
#define WIRE_UNKNOWN (SIZE_MAX / 2)
#define WIRE_KNOWN_MAX (SIZE_MAX / 4)

static decode_kind_t malformed(decode_result_t *r, const char *why) {
  r->kind = DECODE_MALFORMED;
  r->why = why;
  return r->kind;
}

static decode_kind_t not_ip(decode_result_t *r) {
  r->kind = DECODE_NOT_IP;
  return r->kind;
}

/* What is left of the wire length once a header of hdr bytes is read. */
static inline size_t wire_after(size_t wire, size_t hdr) {
  return wire > hdr ? wire - hdr : 0;
}

/* The 4 port bytes at the start of a TCP or UDP header. */
static decode_kind_t ports_at(span_t l4, uint8_t proto, decode_result_t *r) {
  if (!span_has(l4, 0, WIRE_L4_PORTS_LEN))
    return malformed(r, "TCP/UDP header cut off before its ports");
  int short_read = 0;
  r->kind = DECODE_PORTS;
  r->proto = proto;
  r->sport = span_be16(l4, 0, &short_read);
  r->dport = span_be16(l4, 2, &short_read);
  return r->kind;
}

/* The fragment key's addresses (the caller checked the fixed header). */
static inline void frag_addresses(decode_result_t *r, span_t ip, size_t src,
                                  size_t dst, size_t alen) {
  memset(r->frag.src, 0, sizeof(r->frag.src));
  memset(r->frag.dst, 0, sizeof(r->frag.dst));
  if (span_has(ip, src, alen) && span_has(ip, dst, alen)) {
    memcpy(r->frag.src, ip.p + src, alen);
    memcpy(r->frag.dst, ip.p + dst, alen);
  }
}

/* `wire`: the packet's length on the wire from its first byte (what the
 * frame held before any snapshot cut). */
static decode_kind_t decode_ipv4(span_t ip, size_t wire, decode_result_t *r) {
  if (!span_has(ip, 0, WIRE_IPV4_MIN_HEADER_LEN))
    return malformed(r, "IPv4 header cut off");
  int short_read = 0; /* cannot happen below: 20 bytes are there */
  uint8_t vihl = span_u8(ip, 0, &short_read);
  if ((vihl >> 4) != 4)
    return malformed(r, "IPv4 version field is not 4");
  size_t ihl = (size_t)(vihl & 0x0f) * 4;
  size_t total = span_be16(ip, WIRE_IPV4_TOTAL_LEN_OFFSET, &short_read);
  if (total == 0 && wire > 0xffff && wire <= WIRE_KNOWN_MAX)
    total = wire; /* a GSO / BIG TCP packet of more than 64 KiB */
  if (ihl < WIRE_IPV4_MIN_HEADER_LEN || total < ihl)
    return malformed(r, "IPv4 header length inconsistent");
  if (total > wire)
    return malformed(r, "IPv4 total length beyond the frame");
  if (!span_has(ip, 0, ihl))
    return malformed(r, "IPv4 options cut off");
  r->ip_bytes = (uint32_t)total;
  uint8_t proto = span_u8(ip, WIRE_IPV4_PROTO_OFFSET, &short_read);
  uint16_t frag = span_be16(ip, WIRE_IPV4_FRAG_OFFSET, &short_read);
  uint16_t offset = frag & WIRE_IPV4_FRAG_OFFSET_MASK;
  int more = (frag & WIRE_IPV4_MORE_FRAGMENTS) != 0;

  if (offset != 0 || more) {
    r->frag.family = 4;
    r->frag.proto = proto;
    r->frag.id = span_be16(ip, WIRE_IPV4_ID_OFFSET, &short_read);
    frag_addresses(r, ip, WIRE_IPV4_SRC_OFFSET, WIRE_IPV4_DST_OFFSET,
                   WIRE_IPV4_ADDR_LEN);
  }
  if (proto != WIRE_IPPROTO_TCP && proto != WIRE_IPPROTO_UDP) {
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
  if (total - ihl < WIRE_L4_PORTS_LEN)
    return malformed(r, "IPv4 datagram too short to hold the ports");
  return ports_at(span_from(ip, ihl), proto, r);
}

/* The jumbo payload length (RFC 2675) in the hop-by-hop header `hbh` of
 * `hlen` bytes, or 0 when it has none. */
static uint32_t jumbo_length(span_t hbh, size_t hlen) {
  int short_read = 0;
  size_t o = 2;
  while (o < hlen && !short_read) {
    uint8_t type = span_u8(hbh, o, &short_read);
    if (type == WIRE_IPV6_OPT_PAD1) {
      o++;
      continue;
    }
    uint8_t olen = span_u8(hbh, o + 1, &short_read);
    if (type == WIRE_IPV6_OPT_JUMBO && olen == 4) {
      uint32_t j = span_be32(hbh, o + 2, &short_read);
      return short_read ? 0 : j;
    }
    o += 2 + (size_t)olen;
  }
  return 0;
}

static int is_ipv6_extension_header(uint8_t nh) {
  return nh == WIRE_IPPROTO_HOPOPTS || nh == WIRE_IPPROTO_ROUTING ||
         nh == WIRE_IPPROTO_DSTOPTS || nh == WIRE_IPPROTO_MOBILITY ||
         nh == WIRE_IPPROTO_AH || nh == WIRE_IPPROTO_FRAGMENT;
}

static decode_kind_t decode_ipv6(span_t ip, size_t wire, decode_result_t *r) {
  if (!span_has(ip, 0, WIRE_IPV6_HEADER_LEN))
    return malformed(r, "IPv6 header cut off");
  int short_read = 0; /* set only by reads past a length checked below */
  if ((span_u8(ip, 0, &short_read) >> 4) != 6)
    return malformed(r, "IPv6 version field is not 6");
  size_t plen = span_be16(ip, WIRE_IPV6_PAYLOAD_LEN_OFFSET, &short_read);
  uint8_t nh = span_u8(ip, WIRE_IPV6_NEXT_HEADER_OFFSET, &short_read);
  if (plen == 0 && nh == WIRE_IPPROTO_HOPOPTS) {
    /* A jumbogram: its length is in the hop-by-hop header. */
    span_t hbh = span_from(ip, WIRE_IPV6_HEADER_LEN);
    if (span_has(hbh, 0, 2)) {
      size_t hlen = ((size_t)span_u8(hbh, 1, &short_read) + 1) * 8;
      uint32_t j = jumbo_length(span_head(hbh, hlen), hlen);
      if (j >= WIRE_IPV6_JUMBO_MIN && j <= UINT32_MAX - WIRE_IPV6_HEADER_LEN)
        plen = j;
    }
  }
  if (plen == 0 && nh != WIRE_IPPROTO_NONE &&
      wire > 0xffff + WIRE_IPV6_HEADER_LEN && wire <= WIRE_KNOWN_MAX)
    plen = wire - WIRE_IPV6_HEADER_LEN; /* BIG TCP: jumbo header removed */
  size_t end = WIRE_IPV6_HEADER_LEN + plen;
  if (end > wire)
    return malformed(r, "IPv6 payload length beyond the frame");
  r->ip_bytes = (uint32_t)end;
  size_t off = WIRE_IPV6_HEADER_LEN;
  int fragmented = 0;
  /* Extension headers must lie inside the payload and what was captured. */
  span_t pkt = span_head(ip, end);

  /* WIRE_MAX_IPV6_EXT_HEADERS headers walked, then the upper-layer one. */
  for (int i = 0; i <= WIRE_MAX_IPV6_EXT_HEADERS; i++) {
    if (nh == WIRE_IPPROTO_TCP || nh == WIRE_IPPROTO_UDP) {
      if (end < off + WIRE_L4_PORTS_LEN)
        return malformed(r, "IPv6 payload too short to hold the ports");
      if (fragmented)
        r->first_fragment = 1;
      return ports_at(span_from(ip, off), nh, r);
    }
    if (i == WIRE_MAX_IPV6_EXT_HEADERS && is_ipv6_extension_header(nh))
      break; /* a ninth: too many (another upper header is just that) */
    switch (nh) {
    case WIRE_IPPROTO_HOPOPTS:
    case WIRE_IPPROTO_ROUTING:
    case WIRE_IPPROTO_DSTOPTS:
    case WIRE_IPPROTO_MOBILITY:
      if (!span_has(ip, off, 2) || end < off + WIRE_IPV6_EXT_MIN_LEN)
        return malformed(r, "IPv6 extension header cut off");
      nh = span_u8(ip, off, &short_read);
      off += ((size_t)span_u8(ip, off + 1, &short_read) + 1) * 8;
      break;
    case WIRE_IPPROTO_AH: /* length in 4-octet units, minus 2 */
      if (!span_has(ip, off, 2) || end < off + WIRE_IPV6_EXT_MIN_LEN)
        return malformed(r, "IPv6 authentication header cut off");
      nh = span_u8(ip, off, &short_read);
      off += ((size_t)span_u8(ip, off + 1, &short_read) + 2) * 4;
      break;
    case WIRE_IPPROTO_FRAGMENT: {
      if (!span_has(pkt, off, WIRE_IPV6_FRAG_HEADER_LEN))
        return malformed(r, "IPv6 fragment header cut off");
      uint16_t fo = span_be16(ip, off + 2, &short_read);
      r->frag.family = 6;
      r->frag.proto = 0;
      r->frag.id = span_be32(ip, off + 4, &short_read);
      frag_addresses(r, ip, WIRE_IPV6_SRC_OFFSET, WIRE_IPV6_DST_OFFSET,
                     WIRE_IPV6_ADDR_LEN);
      if ((fo & WIRE_IPV6_FRAG_OFFSET_MASK) != 0) {
        r->kind = DECODE_FRAGMENT;
        r->proto = 0;
        return r->kind;
      }
      fragmented = (fo & WIRE_IPV6_FRAG_MORE) != 0;
      nh = span_u8(ip, off, &short_read);
      off += WIRE_IPV6_FRAG_HEADER_LEN;
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
    if (off > end)
      return malformed(r, "IPv6 extension headers longer than the payload");
  }
  return malformed(r, "too many IPv6 extension headers");
}

/* IPv4 or IPv6, as its version field says. */
static decode_kind_t decode_ip(span_t ip, size_t wire, decode_result_t *r) {
  int short_read = 0;
  uint8_t v = span_u8(ip, 0, &short_read);
  if (short_read)
    return malformed(r, "empty IP packet");
  switch (v >> 4) {
  case 4:
    return decode_ipv4(ip, wire, r);
  case 6:
    return decode_ipv6(ip, wire, r);
  default:
    return not_ip(r);
  }
}

static int is_vlan_tpid(uint16_t type) {
  return type == WIRE_ETHERTYPE_VLAN || type == WIRE_ETHERTYPE_QINQ ||
         type == WIRE_ETHERTYPE_QINQ_OLD;
}

/* An ethertype followed by its payload, VLAN tags walked. */
static decode_kind_t decode_ethertype(uint16_t type, span_t p, size_t wire,
                                      decode_result_t *r) {
  for (int tags = 0;; tags++) {
    if (type == WIRE_ETHERTYPE_IPV4)
      return decode_ipv4(p, wire, r);
    if (type == WIRE_ETHERTYPE_IPV6)
      return decode_ipv6(p, wire, r);
    if (!is_vlan_tpid(type))
      return not_ip(r);
    if (tags == WIRE_MAX_VLAN_TAGS)
      return malformed(r, "too many VLAN tags");
    if (!span_has(p, 0, WIRE_VLAN_TAG_LEN))
      return malformed(r, "VLAN tag cut off");
    int short_read = 0;
    type = span_be16(p, 2, &short_read);
    p = span_from(p, WIRE_VLAN_TAG_LEN);
    wire = wire_after(wire, WIRE_VLAN_TAG_LEN);
  }
}

static inline decode_kind_t decode_ethernet(span_t f, size_t wire,
                                            decode_result_t *r) {
  if (!span_has(f, 0, WIRE_ETH_HEADER_LEN))
    return malformed(r, "Ethernet header cut off");
  int short_read = 0;
  return decode_ethertype(span_be16(f, WIRE_ETH_TYPE_OFFSET, &short_read),
                          span_from(f, WIRE_ETH_HEADER_LEN),
                          wire_after(wire, WIRE_ETH_HEADER_LEN), r);
}

/* A frame whose first `hdr` bytes are a link header, then IP. */
static decode_kind_t after_header(span_t f, size_t wire, size_t hdr, int v,
                                  decode_result_t *r, const char *cut) {
  if (!span_has(f, 0, hdr))
    return malformed(r, cut);
  span_t ip = span_from(f, hdr);
  wire = wire_after(wire, hdr);
  if (v == 4)
    return decode_ipv4(ip, wire, r);
  if (v == 6)
    return decode_ipv6(ip, wire, r);
  return decode_ip(ip, wire, r);
}

/* --- link types that carry IP behind their own headers ------------------ */

/* A PPP frame (RFC 1661): the address and control bytes 0xff 0x03 when
 * present (RFC 1662 framing), then the protocol, 1 byte when compressed
 * (odd) or 2. */
static decode_kind_t decode_ppp(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  size_t o = 0;
  if (span_u8(f, 0, &short_read) == WIRE_PPP_ADDRESS &&
      span_u8(f, 1, &short_read) == WIRE_PPP_CONTROL)
    o = 2;
  uint16_t proto = span_u8(f, o, &short_read);
  if (proto & 1) {
    o += 1;
  } else {
    proto = span_be16(f, o, &short_read);
    o += 2;
  }
  if (short_read)
    return malformed(r, "PPP header cut off");
  span_t ip = span_from(f, o);
  if (proto == WIRE_PPP_IPV4)
    return decode_ipv4(ip, wire_after(wire, o), r);
  if (proto == WIRE_PPP_IPV6)
    return decode_ipv6(ip, wire_after(wire, o), r);
  return not_ip(r);
}

/* Cisco HDLC: address, control, then an ethertype. */
static decode_kind_t decode_c_hdlc(span_t f, size_t wire, decode_result_t *r) {
  if (!span_has(f, 0, WIRE_C_HDLC_HEADER_LEN))
    return malformed(r, "Cisco HDLC header cut off");
  int short_read = 0;
  return decode_ethertype(span_be16(f, 2, &short_read),
                          span_from(f, WIRE_C_HDLC_HEADER_LEN),
                          wire_after(wire, WIRE_C_HDLC_HEADER_LEN), r);
}

/* PPP in HDLC-like framing, or Cisco HDLC (RFC 1547 4.3.1), as the first
 * byte says. */
static decode_kind_t decode_ppp_serial(span_t f, size_t wire,
                                       decode_result_t *r) {
  int short_read = 0;
  uint8_t a = span_u8(f, 0, &short_read);
  if (a == WIRE_C_HDLC_UNICAST || a == WIRE_C_HDLC_MULTICAST)
    return decode_c_hdlc(f, wire, r);
  return decode_ppp(f, wire, r);
}

/* PPPoE session (RFC 2516): 6 bytes, code 0 (session data), then PPP. */
static decode_kind_t decode_pppoe(span_t f, size_t wire, decode_result_t *r) {
  if (!span_has(f, 0, WIRE_PPPOE_HEADER_LEN))
    return malformed(r, "PPPoE header cut off");
  int short_read = 0;
  if (span_u8(f, 1, &short_read) != 0)
    return not_ip(r); /* discovery */
  return decode_ppp(span_from(f, WIRE_PPPOE_HEADER_LEN),
                    wire_after(wire, WIRE_PPPOE_HEADER_LEN), r);
}

/* Frame Relay (RFC 2427): a Q.922 address of 2 to 4 bytes (the last one
 * with its EA bit set), the UI control byte, an optional pad, then an
 * NLPID: IPv4, IPv6, or SNAP with an ethertype. */
static decode_kind_t decode_frelay(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  size_t o = 0;
  while (o < 4 && !(span_u8(f, o, &short_read) & 1) && !short_read)
    o++;
  o++; /* the byte with the EA bit */
  if (short_read || o < 2 || o > 4)
    return malformed(r, "Frame Relay address cut off or too long");
  if (span_u8(f, o, &short_read) != WIRE_FRELAY_UI)
    return short_read ? malformed(r, "Frame Relay header cut off") : not_ip(r);
  o++;
  uint8_t nlpid = span_u8(f, o, &short_read);
  if (nlpid == WIRE_NLPID_PAD)
    nlpid = span_u8(f, ++o, &short_read);
  o++;
  if (short_read)
    return malformed(r, "Frame Relay header cut off");
  if (nlpid == WIRE_NLPID_IPV4)
    return decode_ipv4(span_from(f, o), wire_after(wire, o), r);
  if (nlpid == WIRE_NLPID_IPV6)
    return decode_ipv6(span_from(f, o), wire_after(wire, o), r);
  if (nlpid != WIRE_NLPID_SNAP)
    return not_ip(r);
  uint32_t oui = (uint32_t)span_u8(f, o, &short_read) << 16 |
                 (uint32_t)span_u8(f, o + 1, &short_read) << 8 |
                 span_u8(f, o + 2, &short_read);
  uint16_t pid = span_be16(f, o + 3, &short_read);
  if (short_read)
    return malformed(r, "Frame Relay SNAP header cut off");
  if (oui != 0)
    return not_ip(r);
  return decode_ethertype(pid, span_from(f, o + 5), wire_after(wire, o + 5), r);
}

/* SLIP as libpcap records it: a 16-byte pseudo-header (direction, then the
 * packet type and Van Jacobson compression state), then the packet. A
 * compressed TCP/IP header cannot be read: not IP. */
static decode_kind_t decode_slip(span_t f, size_t wire, decode_result_t *r) {
  if (!span_has(f, 0, WIRE_SLIP_HEADER_LEN))
    return malformed(r, "SLIP header cut off");
  int short_read = 0;
  span_t ip = span_from(f, WIRE_SLIP_HEADER_LEN);
  uint8_t v = span_u8(ip, 0, &short_read);
  if (short_read)
    return malformed(r, "empty IP packet");
  if ((v & 0xf0) == 0x40 || (v & 0xf0) == 0x60)
    return decode_ip(ip, wire_after(wire, WIRE_SLIP_HEADER_LEN), r);
  return not_ip(r); /* Van Jacobson compressed */
}

/* An IEEE 802.11 frame: data frames carrying an LLC/SNAP header with an
 * ethertype. Management, control, null-data and protected (encrypted)
 * frames are not IP; so are A-MSDU aggregates (several packets in one
 * frame). */
static decode_kind_t decode_80211(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  uint8_t fc0 = span_u8(f, 0, &short_read);
  uint8_t fc1 = span_u8(f, 1, &short_read);
  if (short_read)
    return malformed(r, "802.11 header cut off");
  if (((fc0 >> 2) & 3) != WIRE_80211_TYPE_DATA)
    return not_ip(r);
  uint8_t subtype = fc0 >> 4;
  if (subtype & WIRE_80211_SUBTYPE_NO_DATA)
    return not_ip(r);
  if (fc1 & WIRE_80211_FLAG_PROTECTED)
    return not_ip(r);
  size_t hlen = WIRE_80211_HEADER_LEN;
  if ((fc1 & WIRE_80211_FLAG_DS_MASK) == WIRE_80211_FLAG_DS_MASK)
    hlen += 6; /* a fourth address */
  if (subtype & WIRE_80211_SUBTYPE_QOS) {
    if (span_u8(f, hlen, &short_read) & WIRE_80211_QOS_AMSDU)
      return short_read ? malformed(r, "802.11 header cut off") : not_ip(r);
    hlen += 2;
    if (fc1 & WIRE_80211_FLAG_ORDER)
      hlen += 4; /* HT control */
  }
  span_t llc = span_from(f, hlen);
  if (!span_has(f, 0, hlen) || !span_has(llc, 0, WIRE_LLC_SNAP_LEN))
    return malformed(r, "802.11 or LLC/SNAP header cut off");
  if (span_u8(llc, 0, &short_read) != WIRE_LLC_SNAP_SAP ||
      span_u8(llc, 1, &short_read) != WIRE_LLC_SNAP_SAP ||
      span_u8(llc, 2, &short_read) != WIRE_LLC_UI)
    return not_ip(r);
  uint8_t o1 = span_u8(llc, 3, &short_read), o2 = span_u8(llc, 4, &short_read),
          o3 = span_u8(llc, 5, &short_read);
  /* RFC 1042 (OUI 0) and 802.1H bridge tunnel (00-00-f8) */
  if (o1 != 0 || o2 != 0 || (o3 != 0 && o3 != 0xf8))
    return not_ip(r);
  size_t o = hlen + WIRE_LLC_SNAP_LEN;
  return decode_ethertype(span_be16(llc, 6, &short_read), span_from(f, o),
                          wire_after(wire, o), r);
}

/* A capture header of `hlen` bytes (radiotap, Prism, AVS) before 802.11. */
static decode_kind_t after_radio_header(span_t f, size_t wire, size_t hlen,
                                        decode_result_t *r) {
  if (!span_has(f, 0, hlen))
    return malformed(r, "802.11 radio header cut off");
  return decode_80211(span_from(f, hlen), wire_after(wire, hlen), r);
}

static decode_kind_t decode_radiotap(span_t f, size_t wire,
                                     decode_result_t *r) {
  int short_read = 0;
  size_t hlen = span_le16(f, 2, &short_read);
  if (short_read || hlen < 8)
    return malformed(r, "radiotap header cut off or too short");
  return after_radio_header(f, wire, hlen, r);
}

static decode_kind_t decode_avs(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  size_t hlen = span_be32(f, 4, &short_read);
  if (short_read || hlen < 8)
    return malformed(r, "AVS header cut off or too short");
  return after_radio_header(f, wire, hlen, r);
}

/* Prism headers; libpcap files of this link type may hold AVS headers,
 * which start with their own magic. */
static decode_kind_t decode_prism(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  if ((span_be32(f, 0, &short_read) & 0xfffff000) == WIRE_AVS_MAGIC)
    return decode_avs(f, wire, r);
  size_t hlen = span_le32(f, 4, &short_read);
  if (short_read || hlen < 8)
    return malformed(r, "Prism header cut off or too short");
  return after_radio_header(f, wire, hlen, r);
}

/* Linux NFLOG: family, version, resource id, then netlink TLVs (length and
 * type in little-endian order, as libpcap writes them, padded to 4 bytes);
 * the packet is the NFULA_PAYLOAD one. Its length on the wire is not
 * recorded (the copy range may have cut it). */
static decode_kind_t decode_nflog(span_t f, decode_result_t *r) {
  if (!span_has(f, 0, WIRE_NFLOG_HEADER_LEN))
    return malformed(r, "NFLOG header cut off");
  int short_read = 0;
  size_t o = WIRE_NFLOG_HEADER_LEN;
  for (int i = 0; i < WIRE_NFLOG_MAX_TLVS; i++) {
    size_t len = span_le16(f, o, &short_read);
    uint16_t type = span_le16(f, o + 2, &short_read) & WIRE_NFLOG_TYPE_MASK;
    if (short_read)
      return not_ip(r); /* no payload */
    if (len < WIRE_NFLOG_TLV_HEADER_LEN || !span_has(f, o, len))
      return malformed(r, "NFLOG attribute cut off");
    if (type == WIRE_NFULA_PAYLOAD)
      return decode_ip(span_make(f.p + o + WIRE_NFLOG_TLV_HEADER_LEN,
                                 len - WIRE_NFLOG_TLV_HEADER_LEN),
                       WIRE_UNKNOWN, r);
    o += (len + 3) & ~(size_t)3;
  }
  return not_ip(r);
}

/* OpenBSD pflog: its own length (padded to 4 bytes), the family at 1. */
static decode_kind_t decode_pflog(span_t f, size_t wire, decode_result_t *r) {
  int short_read = 0;
  size_t hlen = ((size_t)span_u8(f, 0, &short_read) + 3) & ~(size_t)3;
  uint8_t af = span_u8(f, 1, &short_read);
  if (short_read || hlen < 4 || !span_has(f, 0, hlen))
    return malformed(r, "pflog header cut off");
  if (af == 2)
    return decode_ipv4(span_from(f, hlen), wire_after(wire, hlen), r);
  if (af == 10 || af == 24 || af == 28 || af == 30)
    return decode_ipv6(span_from(f, hlen), wire_after(wire, hlen), r);
  return not_ip(r);
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
  case ITS_DLT_SLIP:
  case ITS_DLT_PPP:
  case ITS_DLT_PPP_SERIAL:
  case ITS_DLT_PPP_ETHER:
  case ITS_DLT_C_HDLC:
  case ITS_DLT_IEEE802_11:
  case ITS_DLT_FRELAY:
  case ITS_DLT_PFLOG:
  case ITS_DLT_PRISM_HEADER:
  case ITS_DLT_IEEE802_11_RADIO:
  case ITS_DLT_IEEE802_11_RADIO_AVS:
  case ITS_DLT_PPP_WITH_DIR:
  case ITS_DLT_C_HDLC_WITH_DIR:
  case ITS_DLT_NFLOG:
    return 1;
  default:
    return 0;
  }
}

decode_kind_t packet_decode(int dlt, const uint8_t *pkt, size_t caplen,
                            size_t wirelen, decode_result_t *r) {
  r->first_fragment = 0;
  r->why = NULL;
  r->ip_bytes = 0;
  span_t f = span_make(pkt, caplen);
  size_t wire = wirelen > caplen ? wirelen : caplen;
  int short_read = 0;
  if (dlt == ITS_DLT_EN10MB) /* the common case, before the switch */
    return decode_ethernet(f, wire, r);
  switch (dlt) {
  case ITS_DLT_EN10MB:
    return decode_ethernet(f, wire, r);
  case ITS_DLT_LINUX_SLL:
    if (!span_has(f, 0, WIRE_SLL_HEADER_LEN))
      return malformed(r, "Linux cooked header cut off");
    return decode_ethertype(span_be16(f, WIRE_SLL_TYPE_OFFSET, &short_read),
                            span_from(f, WIRE_SLL_HEADER_LEN),
                            wire_after(wire, WIRE_SLL_HEADER_LEN), r);
  case ITS_DLT_LINUX_SLL2:
    if (!span_has(f, 0, WIRE_SLL2_HEADER_LEN))
      return malformed(r, "Linux cooked v2 header cut off");
    return decode_ethertype(span_be16(f, 0, &short_read),
                            span_from(f, WIRE_SLL2_HEADER_LEN),
                            wire_after(wire, WIRE_SLL2_HEADER_LEN), r);
  case ITS_DLT_NULL:
  case ITS_DLT_LOOP: {
    if (!span_has(f, 0, WIRE_LOOP_HEADER_LEN))
      return malformed(r, "loopback header cut off");
    /* DLT_NULL: host byte order; DLT_LOOP: network order. Accept both. */
    uint32_t fam_be = span_be32(f, 0, &short_read);
    uint32_t fam_le = span_le32(f, 0, &short_read);
    uint32_t fam =
        dlt == ITS_DLT_LOOP ? fam_be : (fam_le < 256 ? fam_le : fam_be);
    /* AF_INET; AF_INET6 of Linux, NetBSD/OpenBSD, FreeBSD, Darwin */
    if (fam == 2)
      return after_header(f, wire, WIRE_LOOP_HEADER_LEN, 4, r, NULL);
    if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
      return after_header(f, wire, WIRE_LOOP_HEADER_LEN, 6, r, NULL);
    return not_ip(r);
  }
  case ITS_DLT_RAW:
  case ITS_DLT_RAW_ALT:
  case ITS_DLT_LINKTYPE_RAW:
    return decode_ip(f, wire, r);
  case ITS_DLT_IPV4:
    return decode_ipv4(f, wire, r);
  case ITS_DLT_IPV6:
    return decode_ipv6(f, wire, r);
  case ITS_DLT_SLIP:
    return decode_slip(f, wire, r);
  case ITS_DLT_PPP:
    return decode_ppp(f, wire, r);
  case ITS_DLT_PPP_SERIAL:
    return decode_ppp_serial(f, wire, r);
  case ITS_DLT_PPP_ETHER:
    return decode_pppoe(f, wire, r);
  case ITS_DLT_C_HDLC:
    return decode_c_hdlc(f, wire, r);
  case ITS_DLT_PPP_WITH_DIR: /* a direction byte first */
  case ITS_DLT_C_HDLC_WITH_DIR:
    if (!span_has(f, 0, 1))
      return malformed(r, "direction byte cut off");
    f = span_from(f, 1);
    wire = wire_after(wire, 1);
    return dlt == ITS_DLT_PPP_WITH_DIR ? decode_ppp_serial(f, wire, r)
                                       : decode_c_hdlc(f, wire, r);
  case ITS_DLT_FRELAY:
    return decode_frelay(f, wire, r);
  case ITS_DLT_IEEE802_11:
    return decode_80211(f, wire, r);
  case ITS_DLT_IEEE802_11_RADIO:
    return decode_radiotap(f, wire, r);
  case ITS_DLT_PRISM_HEADER:
    return decode_prism(f, wire, r);
  case ITS_DLT_IEEE802_11_RADIO_AVS:
    return decode_avs(f, wire, r);
  case ITS_DLT_NFLOG:
    return decode_nflog(f, r);
  case ITS_DLT_PFLOG:
    return decode_pflog(f, wire, r);
  default:
    return not_ip(r);
  }
}
