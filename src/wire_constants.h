/* wire_constants: the numbers of the wire formats the packet path reads
 * (ethertypes, IP protocol numbers, header sizes, bit fields), named once.
 * Plain C, no includes, so that the C decoder (src/packet_decode.c) and the
 * BPF program (src/bpf/its_count.bpf.c) read the same definitions. */
#ifndef ITS_WIRE_CONSTANTS_H
#define ITS_WIRE_CONSTANTS_H

/* Ethertypes (IEEE 802.3, IANA). */
#define WIRE_ETHERTYPE_IPV4 0x0800
#define WIRE_ETHERTYPE_IPV6 0x86dd
#define WIRE_ETHERTYPE_VLAN 0x8100     /* 802.1Q */
#define WIRE_ETHERTYPE_QINQ 0x88a8     /* 802.1ad service tag */
#define WIRE_ETHERTYPE_QINQ_OLD 0x9100 /* pre-802.1ad vendors' service tag */

/* IP protocol / IPv6 next-header numbers (IANA). */
#define WIRE_IPPROTO_HOPOPTS 0
#define WIRE_IPPROTO_ICMP 1
#define WIRE_IPPROTO_TCP 6
#define WIRE_IPPROTO_UDP 17
#define WIRE_IPPROTO_ROUTING 43
#define WIRE_IPPROTO_FRAGMENT 44
#define WIRE_IPPROTO_ESP 50
#define WIRE_IPPROTO_AH 51
#define WIRE_IPPROTO_ICMPV6 58
#define WIRE_IPPROTO_NONE 59
#define WIRE_IPPROTO_DSTOPTS 60
#define WIRE_IPPROTO_MOBILITY 135

/* Link headers. */
#define WIRE_ETH_HEADER_LEN 14
#define WIRE_ETH_TYPE_OFFSET 12
#define WIRE_VLAN_TAG_LEN 4
#define WIRE_SLL_HEADER_LEN 16 /* Linux cooked v1; its type at 14 */
#define WIRE_SLL_TYPE_OFFSET 14
#define WIRE_SLL2_HEADER_LEN 20 /* Linux cooked v2; its type at 0 */
#define WIRE_LOOP_HEADER_LEN 4  /* DLT_NULL / DLT_LOOP address family */

/* IPv4 (RFC 791). */
#define WIRE_IPV4_MIN_HEADER_LEN 20
#define WIRE_IPV4_TOTAL_LEN_OFFSET 2
#define WIRE_IPV4_ID_OFFSET 4
#define WIRE_IPV4_FRAG_OFFSET 6
#define WIRE_IPV4_PROTO_OFFSET 9
#define WIRE_IPV4_SRC_OFFSET 12
#define WIRE_IPV4_DST_OFFSET 16
#define WIRE_IPV4_ADDR_LEN 4
#define WIRE_IPV4_MORE_FRAGMENTS 0x2000
#define WIRE_IPV4_FRAG_OFFSET_MASK 0x1fff

/* IPv6 (RFC 8200) and its jumbo payload option (RFC 2675). */
#define WIRE_IPV6_HEADER_LEN 40
#define WIRE_IPV6_PAYLOAD_LEN_OFFSET 4
#define WIRE_IPV6_NEXT_HEADER_OFFSET 6
#define WIRE_IPV6_SRC_OFFSET 8
#define WIRE_IPV6_DST_OFFSET 24
#define WIRE_IPV6_ADDR_LEN 16
#define WIRE_IPV6_EXT_MIN_LEN 8 /* every extension header is >= 8 bytes */
#define WIRE_IPV6_FRAG_HEADER_LEN 8
#define WIRE_IPV6_FRAG_OFFSET_MASK 0xfff8
#define WIRE_IPV6_FRAG_MORE 0x0001
#define WIRE_IPV6_OPT_PAD1 0
#define WIRE_IPV6_OPT_JUMBO 0xc2 /* 4 bytes: the payload length */
#define WIRE_IPV6_JUMBO_MIN 65536

/* PPP (RFC 1661, 1662), Cisco HDLC, PPPoE (RFC 2516). */
#define WIRE_PPP_ADDRESS 0xff
#define WIRE_PPP_CONTROL 0x03
#define WIRE_PPP_IPV4 0x0021
#define WIRE_PPP_IPV6 0x0057
#define WIRE_C_HDLC_UNICAST 0x0f
#define WIRE_C_HDLC_MULTICAST 0x8f
#define WIRE_C_HDLC_HEADER_LEN 4
#define WIRE_PPPOE_HEADER_LEN 6

/* Frame Relay (RFC 2427) and its NLPIDs (ISO/IEC TR 9577). */
#define WIRE_FRELAY_UI 0x03
#define WIRE_NLPID_PAD 0x00
#define WIRE_NLPID_SNAP 0x80
#define WIRE_NLPID_IPV4 0xcc
#define WIRE_NLPID_IPV6 0x8e

/* SLIP as libpcap records it (a 16-byte pseudo-header). */
#define WIRE_SLIP_HEADER_LEN 16

/* IEEE 802.11 and 802.2 LLC/SNAP; the capture headers before 802.11. */
#define WIRE_80211_HEADER_LEN 24 /* three addresses, sequence control */
#define WIRE_80211_TYPE_DATA 2
#define WIRE_80211_SUBTYPE_NO_DATA 0x4
#define WIRE_80211_SUBTYPE_QOS 0x8
#define WIRE_80211_FLAG_DS_MASK 0x03 /* to-DS and from-DS: 4 addresses */
#define WIRE_80211_FLAG_PROTECTED 0x40
#define WIRE_80211_FLAG_ORDER 0x80
#define WIRE_80211_QOS_AMSDU 0x80
#define WIRE_LLC_SNAP_SAP 0xaa
#define WIRE_LLC_UI 0x03
#define WIRE_LLC_SNAP_LEN 8 /* DSAP, SSAP, control, OUI, ethertype */
#define WIRE_AVS_MAGIC 0x80211000

/* Linux NFLOG (linux/netfilter/nfnetlink_log.h). */
#define WIRE_NFLOG_HEADER_LEN 4
#define WIRE_NFLOG_TLV_HEADER_LEN 4
#define WIRE_NFLOG_TYPE_MASK 0x3fff
#define WIRE_NFULA_PAYLOAD 9
#define WIRE_NFLOG_MAX_TLVS 32

/* TCP and UDP: the two ports open both headers. */
#define WIRE_L4_PORTS_LEN 4

/* How far the decoders walk (README "How packets are counted"). */
#define WIRE_MAX_VLAN_TAGS 4
#define WIRE_MAX_IPV6_EXT_HEADERS 8

#endif
