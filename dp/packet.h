/* Ethernet / ARP / IPv4 / ICMP / UDP for parnikd, over plain byte buffers
 * (the worker passes rte_pktmbuf_mtod(); tests pass arrays). Classifying a
 * frame checks every length and checksum and ends in one verdict: Parnik
 * payload for a partition, a reply written in place (ARP for our address,
 * ICMP echo), a peer's ARP to learn from, or a drop counted by reason.
 * No allocation, no logging, no DPDK: safe in the worker loop.
 */
#ifndef DP_PACKET_H
#define DP_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#define DP_ETH_LEN 14
#define DP_IP_LEN 20		/* we send no options; we accept them */
#define DP_UDP_LEN 8
#define DP_HDRS_LEN (DP_ETH_LEN + DP_IP_LEN + DP_UDP_LEN)

/* X(name, description): drop reasons, one counter each. */
#define DP_DROP_LIST(X)                                                  \
	X(frame_short, "frame shorter than an Ethernet header")          \
	X(eth_type, "EtherType neither IPv4 nor ARP (VLANs included)")   \
	X(mac_other, "unicast frame for another MAC address")            \
	X(arp_malformed, "ARP not Ethernet/IPv4 or truncated")           \
	X(arp_other, "ARP request for another address")                  \
	X(ip_short, "IPv4 header truncated")                             \
	X(ip_version, "IP version or header length invalid")             \
	X(ip_length, "IPv4 total length disagrees with the frame")       \
	X(ip_checksum, "IPv4 header checksum wrong")                     \
	X(ip_fragment, "IPv4 fragment (Parnik datagrams never fragment)") \
	X(ip_other, "IPv4 packet for another address")                   \
	X(ip_proto, "IP protocol neither UDP nor ICMP")                  \
	X(icmp_malformed, "ICMP truncated or bad checksum")              \
	X(icmp_type, "ICMP other than echo request")                     \
	X(udp_short, "UDP header truncated")                             \
	X(udp_length, "UDP length disagrees with the IP length")         \
	X(udp_checksum, "UDP checksum wrong")                            \
	X(udp_port, "UDP port outside the replica's partitions")

enum dp_drop {
#define DP_DROP_ENUM(name, desc) DP_DROP_##name,
	DP_DROP_LIST(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	DP_DROP_COUNT
};

const char *dp_drop_name(unsigned int reason);

/* This replica's address on one port. IPv4 addresses in network order. */
struct dp_iface {
	uint8_t mac[6];
	uint32_t ip;
	uint16_t base_port;	/* partition i listens on base_port + i */
	uint16_t partitions;
};

enum dp_verdict {
	DP_PAYLOAD = 1,		/* UDP for one of our partitions */
	DP_REPLY = 2,		/* the frame was rewritten into a reply: send it back */
	DP_LEARN = 3,		/* a peer's ARP reply (or request): learn its MAC */
	DP_DROP = 4,
};

struct dp_parsed {
	uint8_t verdict;	/* enum dp_verdict */
	uint8_t drop;		/* enum dp_drop, for DP_DROP */
	uint16_t partition;	/* DP_PAYLOAD */
	uint16_t payload_off;	/* DP_PAYLOAD: offset of the UDP payload */
	uint16_t payload_len;
	uint16_t reply_len;	/* DP_REPLY: length of the reply frame */
	uint32_t src_ip;	/* network order */
	uint16_t src_port;	/* host order */
	uint8_t src_mac[6];
};

/* UDP echo (RFC 862): answered like ICMP echo, a baseline for benchmarks. */
#define DP_ECHO_PORT 7

/* Classifies the frame of <len> bytes at <frame>. For ARP requests for our
 * address, ICMP echo requests and UDP echo (port 7), rewrites the frame in
 * place into the reply (verdict DP_REPLY). Never reads outside [frame, frame + len).
 */
void dp_packet_classify(const struct dp_iface *ifc, uint8_t *frame, uint16_t len,
			struct dp_parsed *out);

/* Writes Ethernet + IPv4 + UDP headers before a payload of <payload_len>
 * bytes already at <frame> + DP_HDRS_LEN, with the IPv4 header checksum and,
 * if <udp_csum>, the UDP one (0, "none", otherwise: for links that cannot
 * corrupt a frame, such as memif's shared memory). Returns the frame length.
 * Ports in host order, addresses in network order.
 */
uint16_t dp_packet_build_udp(uint8_t *frame, const uint8_t src_mac[6], const uint8_t dst_mac[6],
			     uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
			     uint16_t payload_len, bool udp_csum);

/* Writes an ARP request for <target_ip> from <ifc> (42 bytes); returns 42. */
uint16_t dp_packet_build_arp_request(uint8_t *frame, const struct dp_iface *ifc,
				     uint32_t target_ip);

/* The IPv4 address of a frame's remote end (network order): an IPv4
 * frame's source (coming in, <out> false) or destination (going out), an
 * ARP frame's sender or target; 0 for any other frame or one too short.
 */
uint32_t dp_packet_remote_ip(const uint8_t *frame, uint16_t len, bool out);

/* RFC 1071 ones' complement sum, folded (not inverted), of <len> bytes. */
uint32_t dp_csum_add(uint32_t sum, const uint8_t *p, uint32_t len);
uint16_t dp_csum_fold(uint32_t sum);

#endif
