/* packet_decode: from a captured frame to "TCP/UDP, these ports, this many
 * IP bytes" (or why not). Pure: no I/O, no allocation. Every read goes
 * through a bounded span (src/span.h) after a length check against the
 * captured length; the wire formats' numbers are in src/wire_constants.h. */
#ifndef ITS_PACKET_DECODE_H
#define ITS_PACKET_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* libpcap link types this decoder understands (values of DLT_*). */
#define ITS_DLT_NULL 0
#define ITS_DLT_EN10MB 1
#define ITS_DLT_RAW 12 /* OpenBSD-style raw; Linux's is 14 elsewhere */
#define ITS_DLT_RAW_ALT 14
#define ITS_DLT_LOOP 108
#define ITS_DLT_LINUX_SLL 113
#define ITS_DLT_LINKTYPE_RAW 101
#define ITS_DLT_IPV4 228
#define ITS_DLT_IPV6 229
#define ITS_DLT_LINUX_SLL2 276
#define ITS_DLT_SLIP 8
#define ITS_DLT_PPP 9
#define ITS_DLT_PPP_SERIAL 50 /* PPP or Cisco HDLC in HDLC framing */
#define ITS_DLT_PPP_ETHER 51  /* PPPoE session */
#define ITS_DLT_C_HDLC 104
#define ITS_DLT_IEEE802_11 105
#define ITS_DLT_FRELAY 107
#define ITS_DLT_PFLOG 117
#define ITS_DLT_PRISM_HEADER 119
#define ITS_DLT_IEEE802_11_RADIO 127 /* radiotap */
#define ITS_DLT_IEEE802_11_RADIO_AVS 163
#define ITS_DLT_PPP_WITH_DIR 204
#define ITS_DLT_C_HDLC_WITH_DIR 205
#define ITS_DLT_NFLOG 239

typedef enum {
  DECODE_PORTS,       /* a TCP/UDP packet with its ports (first fragment too) */
  DECODE_FRAGMENT,    /* a non-first fragment: ports come from frag_key */
  DECODE_NOT_TCP_UDP, /* IP, but another protocol (ICMP, ...) */
  DECODE_NOT_IP,      /* ARP, LLDP, ... */
  DECODE_MALFORMED,   /* truncated or inconsistent headers */
} decode_kind_t;

/* Identifies a fragmented datagram: addresses, id and protocol. */
typedef struct {
  uint8_t family; /* 4 or 6 */
  uint8_t proto;  /* IPv4 protocol; 0 for IPv6 (found in the first fragment) */
  uint32_t id;
  uint8_t src[16], dst[16];
} frag_key_t;

typedef struct {
  decode_kind_t kind;
  uint8_t proto; /* 6 TCP or 17 UDP (DECODE_PORTS); DECODE_NOT_TCP_UDP of
                    an IPv6 first fragment: its upper-layer protocol */
  uint16_t sport, dport;
  uint32_t ip_bytes;  /* IPv4 total length, or IPv6 payload length + 40 (the
                         jumbo or frame length of GSO / BIG TCP packets) */
  int first_fragment; /* a datagram's first fragment: DECODE_PORTS, or
                         DECODE_NOT_TCP_UDP for IPv6 (whose later fragments
                         do not say their protocol) */
  frag_key_t frag;    /* first_fragment or DECODE_FRAGMENT */
  const char *why;    /* DECODE_MALFORMED: what was wrong */
} decode_result_t;

/* Decodes one frame of link type `dlt`: `caplen` bytes captured of a frame
 * of `wirelen` bytes on the wire (the pcap record's original length; the
 * caplen when not known). Returns res->kind. Unknown link types give
 * DECODE_NOT_IP. An IP length beyond what the frame held on the wire is
 * malformed; IPv4 total length 0 and IPv6 payload length 0 on a frame over
 * 64 KiB (GSO / BIG TCP) count the frame's length, and an IPv6 jumbo
 * payload option its own. */
decode_kind_t packet_decode(int dlt, const uint8_t *pkt, size_t caplen,
                            size_t wirelen, decode_result_t *res);

/* Whether a link type is supported. */
int packet_decode_supports(int dlt);

#endif
